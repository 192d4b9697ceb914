"""The CLI's watch commands end to end: ``watches``, ``watch`` and ``unwatch`` on a live server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from ..conftest import LiveServer
from .test_cli_commands import assert_one_error_line, cells, lines, stoat


@pytest.fixture
def real_root(media_root: Path) -> str:
    """The media root as the server reports it: fully resolved."""
    return os.path.realpath(media_root)


async def test_watch_lists_and_unwatch_a_folder(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path, real_root: str
) -> None:
    """``watch`` prints the id; ``watches`` shows it in a table; ``unwatch`` removes it."""
    folder = media_root / "incoming"
    folder.mkdir()

    added = await stoat(live_server.url, "watch", str(folder))

    assert added.returncode == 0, added
    (watch_id,) = lines(added.stdout)
    assert lines(added.stderr) == [f"stoat-ferret: watching {real_root}/incoming: active"]
    (watch,) = (await client.get("/api/v1/watches")).json()["watches"]
    assert watch["id"] == watch_id

    listed = await stoat(live_server.url, "watches")
    assert listed.returncode == 0, listed
    header, row = lines(listed.stdout)
    assert cells(header) == ["WATCH", "STATE", "LAST CHANGE", "PATH"]
    assert cells(row) == [watch_id, "active", "-", f"{real_root}/incoming"]

    removed = await stoat(live_server.url, "unwatch", watch_id[:6])
    assert (removed.returncode, lines(removed.stdout)) == (0, [f"{watch_id}: no longer watched"])
    assert (await client.get("/api/v1/watches")).json() == {"watches": []}
    empty = await stoat(live_server.url, "watches")
    assert lines(empty.stdout) == ["no watched folders"]


async def test_watch_poll_and_json_output(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path
) -> None:
    """``--poll`` asks for polling; ``--json`` prints the API's own objects."""
    added = await stoat(live_server.url, "watch", "--poll", "--json", str(media_root))
    assert added.returncode == 0, added
    watch = json.loads(added.stdout)
    assert (watch["poll"], watch["state"]) == (True, "polling")

    listed = await stoat(live_server.url, "watches", "--json")
    assert json.loads(listed.stdout) == (await client.get("/api/v1/watches")).json()
    table = await stoat(live_server.url, "watches")
    assert cells(lines(table.stdout)[1])[1] == "polling (poll)"
    assert lines(table.stdout)[2] == f"{watch['id']}: {watch['reason']}"

    removed = await stoat(live_server.url, "unwatch", "--json", str(media_root))
    assert json.loads(removed.stdout) == {"removed": watch["id"]}


async def test_watch_refusals_are_one_line_with_the_code(
    live_server: LiveServer, media_root: Path, tmp_path: Path, real_root: str
) -> None:
    """Outside the roots, overlapping, or an unknown id: exit 1, the reason and code."""
    outside = await stoat(live_server.url, "watch", str(tmp_path))
    assert outside.returncode == 1
    assert outside.stderr.decode().endswith("(PATH_NOT_ALLOWED)\n")

    first = await stoat(live_server.url, "watch", str(media_root))
    again = await stoat(live_server.url, "watch", str(media_root))
    (watch_id,) = lines(first.stdout)
    assert_one_error_line(
        again,
        f"{real_root} is watched already (watch {watch_id}) (WATCH_OVERLAP)",
    )

    unknown = await stoat(live_server.url, "unwatch", "no-such-watch")
    assert_one_error_line(unknown, "no watched folder has the id 'no-such-watch' (NOT_FOUND)")


async def test_unwatch_of_an_ambiguous_prefix_is_a_usage_error(
    live_server: LiveServer, client: httpx.AsyncClient, media_root: Path
) -> None:
    """A start of an id that two watches share: exit 2, both named, nothing removed."""
    ids = []
    # 17 random hex ids: at least two of them start with the same digit.
    for number in range(17):
        (media_root / str(number)).mkdir()
        response = await client.post(
            "/api/v1/watches", json={"path": str(media_root / str(number))}
        )
        ids.append(response.json()["id"])
    shared = next(c for c in "0123456789abcdef" if sum(i.startswith(c) for i in ids) > 1)

    done = await stoat(live_server.url, "unwatch", shared)

    assert (done.returncode, done.stdout) == (2, b"")
    named = [i for i in ids if i.startswith(shared)]
    assert done.stderr.decode() == (
        f"stoat-ferret: watch id prefix {shared!r} matches {len(named)} watches: "
        f"{', '.join(named)}\n"
    )
    assert len((await client.get("/api/v1/watches")).json()["watches"]) == len(ids)


async def test_unwatch_of_an_empty_id_is_a_usage_error() -> None:
    """``unwatch " "``: exit 2 and the complaint, before any request."""
    done = await stoat("http://127.0.0.1:9", "unwatch", " ")
    assert (done.returncode, done.stdout) == (2, b"")
    assert "a watch id cannot be empty" in done.stderr.decode()
