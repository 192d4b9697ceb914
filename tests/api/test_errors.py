"""Malformed requests get a 4xx in the error envelope, never a 500."""

from __future__ import annotations

import httpx
import pytest

LONG_Q = "a" * 5000


@pytest.mark.parametrize(
    ("method", "url", "status", "code"),
    [
        ("GET", "/api/v1/videos?limit=0", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos?limit=-1", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/videos?limit={10**9}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos?limit=abc", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos?limit=", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos?limit=1.5", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos?offset=-5", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/videos?offset={10**30}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos/search", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos/search?q=", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/videos/search?q={LONG_Q}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos/search?q=a&limit=0", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/videos/search?q=a&limit={10**9}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos/search?q=a&limit=abc", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/videos/search?q=a&offset=-1", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/videos/search?q=a&offset={10**30}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?limit=0", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?limit=-1", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/jobs?limit={10**9}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?limit=abc", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?offset=-5", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?status=bogus", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/jobs?kind={'k' * 100}", 422, "VALIDATION_ERROR"),
        ("GET", "/api/v1/jobs?id_prefix=", 422, "VALIDATION_ERROR"),
        ("GET", f"/api/v1/jobs?id_prefix={'a' * 65}", 422, "VALIDATION_ERROR"),
        ("GET", "/nope", 404, "NOT_FOUND"),
        ("GET", "/api/v2/videos", 404, "NOT_FOUND"),
        ("GET", "/api/v1/videos/x/y", 404, "NOT_FOUND"),
        ("GET", "/api/v1/jobs/x/y", 404, "NOT_FOUND"),
        ("POST", "/api/v1/nothing", 404, "NOT_FOUND"),
        ("PUT", "/api/v1/videos", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/api/v1/videos", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/api/v1/videos", 405, "METHOD_NOT_ALLOWED"),
        ("PATCH", "/api/v1/videos/some-id", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/api/v1/jobs", 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", "/api/v1/jobs/some-id", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/api/v1/jobs/some-id/cancel", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/health/live", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/health/ready", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/metrics", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/api/v1/videos/search?q=a", 405, "METHOD_NOT_ALLOWED"),
        ("POST", "/ws", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/ws", 400, "BAD_REQUEST"),
        ("GET", "/api/v1/videos/%00", 404, "NOT_FOUND"),
        ("GET", "/api/v1/jobs/%FF", 404, "NOT_FOUND"),
        ("GET", "/api/v1/videos?limit=5&limit=6", 422, "VALIDATION_ERROR"),
    ],
)
async def test_malformed_request_gets_its_error(
    client: httpx.AsyncClient, method: str, url: str, status: int, code: str
) -> None:
    """Each malformed request is answered with its exact status and code in the envelope."""
    response = await client.request(method, url)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"}
    assert body["detail"]["code"] == code
    assert isinstance(body["detail"]["message"], str)
    assert body["detail"]["message"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/videos?limit=0", "limit"),
        ("/api/v1/videos?offset=-5", "offset"),
        ("/api/v1/videos/search?q=", "q"),
        ("/api/v1/jobs?status=bogus", "status"),
    ],
)
async def test_validation_error_names_the_field(
    client: httpx.AsyncClient, url: str, field: str
) -> None:
    """A query-string validation error's message starts with the offending parameter."""
    response = await client.get(url)
    assert response.status_code == 422
    assert response.json()["detail"]["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "_",
        "___",
        "(",
        ")",
        "NEAR(",
        "NEAR(a b)",
        "*",
        "a*",
        "a OR",
        "OR",
        "AND NOT",
        "a:b",
        "filename:x",
        "^a",
        "-a",
        "+",
        "{a b}",
        "'",
        "%",
        "\\",
        "   ",
        "🎬",
        "a" * 1000,
        " ".join(["word"] * 190),
    ],
)
async def test_search_text_is_never_query_syntax(client: httpx.AsyncClient, q: str) -> None:
    """Search text holding FTS5 operators or odd characters is 200 with no results, not 500."""
    response = await client.get("/api/v1/videos/search", params={"q": q})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "videos": [],
        "total": 0,
        "total_exact": True,
        "query": q,
        "limit": 20,
        "offset": 0,
    }


@pytest.mark.parametrize("limit", [1, 500])
async def test_page_limits_at_the_bounds_are_accepted(
    client: httpx.AsyncClient, limit: int
) -> None:
    """The smallest and largest page sizes are accepted and echoed back."""
    response = await client.get("/api/v1/videos", params={"limit": limit, "offset": 0})
    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("videos", "total", "limit", "offset")} == {
        "videos": [],
        "total": 0,
        "limit": limit,
        "offset": 0,
    }
