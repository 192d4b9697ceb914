"""The documented surface: /openapi.json, /docs, health checks and /metrics."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio

from stoat_ferret.settings import Settings

from ..conftest import LiveServer, start_live_server
from ..support.media import copy_as

#: DESIGN.md's API contract: every HTTP route and its method (``/ws`` is not HTTP).
CONTRACT = [
    ("get", "/health/live"),
    ("get", "/health/ready"),
    ("get", "/api/v1/videos"),
    ("get", "/api/v1/videos/search"),
    ("get", "/api/v1/videos/{video_id}"),
    ("delete", "/api/v1/videos/{video_id}"),
    ("post", "/api/v1/videos/scan"),
    ("get", "/api/v1/jobs/{job_id}"),
    ("post", "/api/v1/jobs/{job_id}/cancel"),
    ("get", "/api/v1/jobs"),
    ("get", "/metrics"),
    ("get", "/api/v1/info"),
    ("get", "/api/v1/videos/{video_id}/thumbnail"),
    ("post", "/api/v1/videos/thumbnails"),
]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (if any) to the schema it names."""
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def test_openapi_document_is_openapi_3(document: dict[str, Any]) -> None:
    """/openapi.json is an OpenAPI 3 document titled for the service."""
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "stoat-ferret"
    assert isinstance(document["info"]["version"], str)
    assert isinstance(document["paths"], dict)


@pytest.mark.parametrize(("method", "path"), CONTRACT)
async def test_openapi_lists_every_contract_route(
    document: dict[str, Any], method: str, path: str
) -> None:
    """Every route of the API contract is documented with its method."""
    assert path in document["paths"]
    assert method in document["paths"][path]


async def test_openapi_documents_only_the_contract(document: dict[str, Any]) -> None:
    """The document holds no route beyond the contract's."""
    documented = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert documented == set(CONTRACT)


async def test_openapi_scan_request_schema(document: dict[str, Any]) -> None:
    """The scan request body is JSON with path (required), recursive and force, nothing else."""
    body = document["paths"]["/api/v1/videos/scan"]["post"]["requestBody"]
    schema = resolve(document, body["content"]["application/json"]["schema"])
    properties = schema["properties"]
    assert set(properties) == {"path", "recursive", "force"}
    assert properties["path"]["type"] == "string"
    assert (properties["recursive"]["type"], properties["recursive"]["default"]) == (
        "boolean",
        True,
    )
    assert (properties["force"]["type"], properties["force"]["default"]) == ("boolean", False)
    assert schema["required"] == ["path"]
    assert schema["additionalProperties"] is False


async def test_openapi_documents_error_responses(document: dict[str, Any]) -> None:
    """The scan and cancel routes document their error statuses with the error envelope."""
    scan = document["paths"]["/api/v1/videos/scan"]["post"]["responses"]
    cancel = document["paths"]["/api/v1/jobs/{job_id}/cancel"]["post"]["responses"]
    assert {"202", "400", "403", "409", "422"} <= set(scan)
    assert {"200", "404", "409"} <= set(cancel)
    for response in (scan["400"], scan["403"], scan["409"], cancel["404"], cancel["409"]):
        schema = resolve(document, response["content"]["application/json"]["schema"])
        detail = resolve(document, schema["properties"]["detail"])
        assert {"code", "message"} <= set(detail["required"])


async def test_docs_page_is_html(client: httpx.AsyncClient) -> None:
    """/docs serves an HTML page whose start-up script loads /openapi.json."""
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script src="/docs/start.js"></script>' in response.text
    script = await client.get("/docs/start.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'url: "/openapi.json"' in script.text


async def test_docs_page_assets_are_served_locally(client: httpx.AsyncClient) -> None:
    """Every script and stylesheet the docs page loads comes from the service itself."""
    page = (await client.get("/docs")).text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets == [
        "/docs/assets/swagger-ui.css",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/start.js",
    ]
    for url in assets:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(("text/javascript", "text/css"))
        assert len(response.content) > 200


# -- health ---------------------------------------------------------------------------------


async def test_liveness(client: httpx.AsyncClient) -> None:
    """/health/live is 200 {"status": "ok"}."""
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_ok(client: httpx.AsyncClient) -> None:
    """/health/ready is 200 ok when the database, ffprobe and ffmpeg all work."""
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "ffprobe": "ok", "ffmpeg": "ok"},
    }


async def test_readiness_degraded_without_ffprobe(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """/health/ready is 503 degraded, saying what is wrong, when ffprobe cannot be found."""
    missing = str(tmp_path / "no-such-ffprobe")
    async for server in start_live_server(make_settings(ffprobe_path=missing)):
        async with server.client() as http:
            response = await http.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["ffmpeg"] == "ok"
    assert missing in body["checks"]["ffprobe"]
    assert "not found" in body["checks"]["ffprobe"]


async def test_readiness_degraded_when_ffprobe_fails(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """/health/ready is 503 degraded when ffprobe exists but exits with an error."""
    broken = tmp_path / "bin" / "ffprobe-broken"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    async for server in start_live_server(make_settings(ffprobe_path=str(broken))):
        async with server.client() as http:
            response = await http.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["ffprobe"] == f"{broken} -version exited with status 3"
    assert (body["checks"]["database"], body["checks"]["ffmpeg"]) == ("ok", "ok")


# -- metrics --------------------------------------------------------------------------------


async def test_metrics_count_a_finished_scan(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """/metrics is Prometheus text that counts a completed scan and its probe."""
    before = await client.get("/metrics")
    assert 'stoat_jobs_finished_total{kind="scan"' not in before.text

    copy_as(samples["h264_aac.mp4"], media_root / "clip.mp4")
    response = await client.post("/api/v1/videos/scan", json={"path": str(media_root)})
    assert response.status_code == 202
    with trio.fail_after(30):
        await live_server.service.runner.wait(response.json()["job_id"])

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    assert "# TYPE stoat_jobs_finished_total counter" in lines
    assert 'stoat_jobs_finished_total{kind="scan",status="complete"} 1' in lines
    assert 'stoat_probes_total{outcome="ok"} 1' in lines
    assert "stoat_jobs_running 0" in lines
    for line in lines:
        if line and not line.startswith("#"):
            name_and_labels, value = line.rsplit(" ", 1)
            float(value)
            assert name_and_labels.startswith("stoat_")
