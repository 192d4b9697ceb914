"""The documented surface: /openapi.json, /docs, health checks and /metrics."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import trio
from prometheus_client.parser import text_string_to_metric_families

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
    ("get", "/api/v1/videos/{video_id}/strip"),
    ("post", "/api/v1/videos/thumbnails"),
    ("get", "/api/v1/videos/{video_id}/stream"),
    ("get", "/api/v1/videos/{video_id}/duplicates"),
    ("get", "/api/v1/videos/{video_id}/jobs"),
    ("get", "/api/v1/library/summary"),
    ("get", "/api/v1/watches"),
    ("post", "/api/v1/watches"),
    ("get", "/api/v1/watches/{watch_id}"),
    ("delete", "/api/v1/watches/{watch_id}"),
    ("post", "/api/v1/videos/purge-missing"),
    ("get", "/api/v1/videos/duplicates"),
    ("get", "/api/v1/videos/export"),
    ("post", "/api/v1/videos/export"),
    ("get", "/api/v1/folders"),
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


async def test_openapi_documents_the_scrub_strip(document: dict[str, Any]) -> None:
    """The strip is a JPEG or a 404 error envelope; a video says how many frames it holds."""
    responses = document["paths"]["/api/v1/videos/{video_id}/strip"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["image/jpeg"]
    schema = resolve(document, responses["404"]["content"]["application/json"]["schema"])
    assert {"code", "message"} <= set(resolve(document, schema["properties"]["detail"])["required"])
    video = resolve(document, {"$ref": "#/components/schemas/Video"})
    assert "strip_frames" in video["required"]
    assert {t["type"] for t in video["properties"]["strip_frames"]["anyOf"]} == {"integer", "null"}


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


def tool_version(program: str) -> str:
    """The version ``program -version`` reports first, as the readiness check should give it."""
    first_line = (
        subprocess.run([program, "-version"], capture_output=True, check=True)
        .stdout.decode()
        .splitlines()[0]
    )
    return first_line.split()[2]


async def test_readiness_ok(client: httpx.AsyncClient) -> None:
    """/health/ready is 200 ok, each check an object: database latency, program versions."""
    response = await client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "checks"}
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "ffprobe", "ffmpeg"}
    assert set(checks["database"]) == {"status", "latency_ms"}
    assert checks["database"]["status"] == "ok"
    assert 0 < checks["database"]["latency_ms"] < 2000
    versions = await trio.to_thread.run_sync(
        lambda: [tool_version(p) for p in ("ffprobe", "ffmpeg")]
    )
    assert checks["ffprobe"] == {"status": "ok", "version": versions[0]}
    assert checks["ffmpeg"] == {"status": "ok", "version": versions[1]}


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
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["ffmpeg"]["status"] == "ok"
    assert body["checks"]["ffprobe"] == {"status": "error", "reason": f"{missing} not found"}


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
    assert body["checks"]["ffprobe"] == {
        "status": "error",
        "reason": f"{broken} -version exited with status 3",
    }
    assert (body["checks"]["database"]["status"], body["checks"]["ffmpeg"]["status"]) == (
        "ok",
        "ok",
    )


async def test_readiness_schema_describes_check_objects(document: dict[str, Any]) -> None:
    """/openapi.json gives each readiness check as an object with a status and its details."""
    responses = document["paths"]["/health/ready"]["get"]["responses"]
    body = resolve(document, responses["200"]["content"]["application/json"]["schema"])
    check = resolve(document, body["properties"]["checks"]["additionalProperties"])
    assert set(check["properties"]) == {"status", "latency_ms", "version", "reason"}
    assert check["required"] == ["status"]
    assert check["properties"]["status"]["enum"] == ["ok", "error"]


# -- metrics --------------------------------------------------------------------------------


def samples_of(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, frozenset(labels.items())))


#: The service's own series, by type: kept, with their names and meanings, across versions.
SERVICE_SERIES = {
    "stoat_jobs_finished_total": "counter",
    "stoat_job_duration_seconds": "summary",
    "stoat_jobs_running": "gauge",
    "stoat_jobs_pending": "gauge",
    "stoat_probes_total": "counter",
    "stoat_probe_duration_seconds": "histogram",
    "stoat_thumbnails_total": "counter",
    "stoat_ws_subscribers": "gauge",
    "stoat_events_published_total": "counter",
    "stoat_loop_longest_step_seconds": "gauge",
    "stoat_loop_slow_steps": "gauge",
    "http_requests_total": "counter",
    "http_request_duration_seconds": "histogram",
}


async def test_metrics_count_a_finished_scan(
    live_server: LiveServer, client: httpx.AsyncClient, samples: dict[str, Path], media_root: Path
) -> None:
    """/metrics is Prometheus text that counts a completed scan, its probe and its requests."""
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
    for name, kind in SERVICE_SERIES.items():
        assert f"# TYPE {name} {kind}" in lines, name
    found = samples_of(response.text)
    assert value(found, "stoat_jobs_finished_total", kind="scan", status="complete") == 1
    assert value(found, "stoat_job_duration_seconds_count", kind="scan") == 1
    assert value(found, "stoat_probes_total", outcome="ok") == 1
    assert value(found, "stoat_probe_duration_seconds_count") == 1
    assert value(found, "stoat_jobs_running") == 0
    assert value(found, "stoat_events_published_total") == live_server.service.hub.published
    scan = {"method": "POST", "route": "/api/v1/videos/scan", "status": "202"}
    assert value(found, "http_requests_total", **scan) == 1
    assert value(found, "http_request_duration_seconds_count", **scan) == 1
    assert value(found, "http_requests_total", method="GET", route="/metrics", status="200") == 1
    for name, _labels in found:
        assert name.startswith(("stoat_", "http_", "process_", "python_")), name


async def test_metrics_include_the_process(client: httpx.AsyncClient) -> None:
    """/metrics carries the process's resident memory, open file descriptors and CPU time."""
    found = samples_of((await client.get("/metrics")).text)
    rss = value(found, "process_resident_memory_bytes")
    fds = value(found, "process_open_fds")
    cpu = value(found, "process_cpu_seconds_total")
    assert rss is not None
    assert rss > 10_000_000
    assert fds is not None
    assert fds > 5
    assert cpu is not None
    assert cpu > 0


async def test_request_metrics_are_labelled_by_route_template(client: httpx.AsyncClient) -> None:
    """Requests count under the route that answered, never the path; unknown ones together."""
    for video_id in ("one-id", "another-id"):
        assert (await client.get(f"/api/v1/videos/{video_id}")).status_code == 404
    for path in ("/no/such/page", "/other-nonsense"):
        assert (await client.get(path)).status_code == 404
    assert (await client.patch("/api/v1/videos")).status_code == 405

    text = (await client.get("/metrics")).text
    found = samples_of(text)
    one_video = {"method": "GET", "route": "/api/v1/videos/<video_id>", "status": "404"}
    assert value(found, "http_requests_total", **one_video) == 2
    assert value(found, "http_request_duration_seconds_count", **one_video) == 2
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(found, "http_requests_total", **unmatched) == 2
    assert value(found, "http_requests_total", method="PATCH", route="unmatched", status="405") == 1
    for raw in ("one-id", "another-id", "no/such", "nonsense"):
        assert raw not in text


async def test_each_service_counts_its_own_requests(
    live_server: LiveServer,
    client: httpx.AsyncClient,
    make_settings: Callable[..., Settings],
    tmp_path: Path,
) -> None:
    """Two services in one process keep separate metrics: one's requests are not the other's."""
    other_settings = make_settings(database_path=tmp_path / "other" / "library.db")
    async for other in start_live_server(other_settings):
        async with other.client() as http:
            for _ in range(3):
                await http.get("/health/live")
            other_text = (await http.get("/metrics")).text
    own_text = (await client.get("/metrics")).text

    live = {"method": "GET", "route": "/health/live", "status": "200"}
    assert value(samples_of(other_text), "http_requests_total", **live) == 3
    assert value(samples_of(own_text), "http_requests_total", **live) is None
