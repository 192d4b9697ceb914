"""Property-based fuzzing of the live API from its own /openapi.json (schemathesis).

Schemathesis generates requests from the document (valid ones and, in its
coverage phase, deliberately invalid ones), sends them to the real app served on
loopback, and checks every response: never a 5xx, always a status the document
lists for that operation, a content type and body that match the documented
schema, and 405 with ``Allow`` for methods the path does not take.

Bounded: a fixed number of cases per operation and a fixed seed, so a run takes
about a minute and sends the same requests every time. Set ``STOAT_FUZZ_SEED`` to
explore with another seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import trio

from ..conftest import LiveServer

SCHEMATHESIS = Path(sys.executable).with_name("st")

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "unsupported_method",
    # Not allow_header_conformance: OPTIONS /api/v1/videos/scan truthfully allows GET
    # and DELETE too, as /api/v1/videos/{video_id} also matches that path.
]


@pytest.mark.fuzz
async def test_fuzzing_the_api_finds_no_server_error_and_no_undocumented_answer(
    live_server: LiveServer, tmp_path: Path
) -> None:
    """Generated requests to every operation get documented, schema-valid answers, never 5xx."""
    if not SCHEMATHESIS.exists():
        pytest.fail(f"{SCHEMATHESIS} is missing: install the test extra (pip install -e .[test])")
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{live_server.url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "60",
        "--seed",
        os.environ.get("STOAT_FUZZ_SEED", "20261130"),
        "--workers",
        "1",
        # Generous: the machine may be busy; a slow answer is not what this looks for.
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--no-color",
        "--report-dir",
        str(tmp_path / "schemathesis"),
    ]
    with trio.fail_after(300):
        done = await trio.run_process(
            command,
            # Schemathesis keeps caches in its working directory: not in the repository.
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_stdout=True,
            capture_stderr=True,
            check=False,
        )
    output = done.stdout.decode(errors="replace") + done.stderr.decode(errors="replace")
    assert done.returncode == 0, output
    assert " passed" in output
