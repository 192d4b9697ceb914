"""The request guard: ASGI middleware that checks every request before any route runs.

In order, for every HTTP request and ``/ws`` upgrade:

1. ``Host`` must name this server (loopback, the bind address, ``STOAT_ALLOWED_HOSTS``):
   otherwise 421 (400 when missing or malformed), so a DNS-rebinding page gets nothing.
2. Cross-site requests are refused with 403: a ``/ws`` upgrade or a state-changing
   request (POST, PUT, PATCH, DELETE) whose ``Origin`` is not this server's (or an
   allowed host's), or whose ``Sec-Fetch-Site`` says another site sent it; and any
   request the browser marks ``cross-site`` that is not a plain page navigation.
3. With a token configured, the request must carry it (``Authorization: Bearer``) or the
   browser cookie that ``?token=`` sets; otherwise 401.

Every response (refusals included) gets ``X-Content-Type-Options: nosniff`` and
``X-Frame-Options: DENY``. Nothing the client sent in ``Host`` is ever written into a
response. Refusals use the error envelope.

A request's body is read whole (up to ``max_body`` bytes; more is 413) before the
application sees the request, so no response ever goes out while the client is still
sending: hypercorn leaves a keep-alive connection hanging, neither served nor closed,
when a response completes before the request body has arrived. For the same reason a
body over the limit is read to its end and dropped before its 413 goes out (up to
:data:`DRAIN_BYTES` and :data:`DRAIN_SECONDS`): a client cut off while still sending
sees a broken pipe or a reset, not the answer. Only a body declared larger than that is
refused at once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import attrs
import trio

from ..protocol import ErrorCode
from .access import AccessPolicy, split_host

log = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

#: The largest request body taken, in bytes. The largest request the API defines is a
#: list of 10,000 video ids (an export or a thumbnails job): 10,000 of the library's
#: 36-character ids come to about 400 kB of JSON.
MAX_BODY = 512 * 1024

#: How much of a body over the limit is still read, and for how long, before its 413.
DRAIN_BYTES = 16 * MAX_BODY
DRAIN_SECONDS = 5.0

#: Methods that change nothing; every other method is checked for cross-site origins.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Paths open without the token: a liveness probe that says nothing but "ok".
OPEN_PATHS = frozenset({"/health/live"})
#: The query parameter of the browser log-in link.
TOKEN_PARAM = "token"
#: Headers every response carries.
ALWAYS_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
)


@attrs.frozen
class Refusal:
    status: int
    code: ErrorCode
    message: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


def _headers(scope: Scope) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in scope.get("headers", ()):
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def _one(headers: dict[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values is not None and len(values) == 1 else None


def cookie_name(scope: Scope) -> str:
    """One cookie per port: browsers send a host's cookies to all of its ports."""
    server = scope.get("server")
    port = server[1] if server and len(server) > 1 and server[1] is not None else None
    return "stoat_ferret_session" if port is None else f"stoat_ferret_session_{port}"


def _cookies(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    jar: dict[str, list[str]] = {}
    for line in headers.get("cookie", ()):
        for part in line.split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                jar.setdefault(name, []).append(value)
    return jar


@attrs.define
class RequestGuard:
    """Wraps an ASGI application; see the module docstring for what it checks."""

    app: ASGIApp
    policy: AccessPolicy
    #: Largest request body taken, in bytes.
    max_body: int = MAX_BODY

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self._check(scope, headers)
        if refusal is not None:
            log.info(
                "refused %s %r: %s",
                scope.get("method", "WEBSOCKET"),
                scope.get("path"),
                refusal.message,
            )
            await _refuse(scope, send, refusal)
            return
        if self._is_login(scope):
            await self._log_in(scope, send)
            return
        if scope["type"] == "http":
            declared = _one(headers, "content-length")
            length = int(declared) if declared is not None and declared.isdigit() else None
            if length is not None and length > self.max_body:
                if length <= DRAIN_BYTES:
                    await _drain(receive, 0)
                await _refuse(scope, send, _too_large(self.max_body))
                return
            body = await _read_body(receive, self.max_body)
            if body is None:
                await _refuse(scope, send, _too_large(self.max_body))
                return
            receive = _replay(body, receive)
        await self.app(scope, receive, _with_headers(send))

    # -- the checks ---------------------------------------------------------------------

    def _check(self, scope: Scope, headers: dict[str, list[str]]) -> Refusal | None:
        raw_host = _one(headers, "host")
        host = split_host(raw_host) if raw_host is not None else None
        if host is None:
            return Refusal(
                400,
                ErrorCode.HOST_NOT_ALLOWED,
                "the request needs exactly one well-formed Host header",
            )
        if not self.policy.host_allowed(host):
            return Refusal(
                421,
                ErrorCode.HOST_NOT_ALLOWED,
                "this server does not answer to the host name the request names; "
                "the names it answers to are set with STOAT_ALLOWED_HOSTS",
            )
        return self._check_site(scope, headers, host) or self._check_token(scope, headers)

    def _check_site(
        self, scope: Scope, headers: dict[str, list[str]], host: tuple[str, int | None]
    ) -> Refusal | None:
        websocket = scope["type"] == "websocket"
        method = scope.get("method", "GET")
        changes = websocket or method not in SAFE_METHODS
        origins = headers.get("origin")
        site = _one(headers, "sec-fetch-site")
        if (
            changes
            and origins is not None
            and (len(origins) != 1 or not self.policy.origin_allowed(origins[0], host))
        ):
            return _cross_site("its Origin is not this server's")
        if changes and site in ("cross-site", "same-site"):
            return _cross_site("the browser says another site sent it")
        if site == "cross-site":
            navigation = (
                method in ("GET", "HEAD")
                and _one(headers, "sec-fetch-mode") == "navigate"
                and _one(headers, "sec-fetch-dest") in ("document", None)
            )
            if not navigation:
                return _cross_site("another site may only link to this server's pages")
        return None

    def _check_token(self, scope: Scope, headers: dict[str, list[str]]) -> Refusal | None:
        if self.policy.token is None or scope.get("path") in OPEN_PATHS:
            return None
        authorization = _one(headers, "authorization")
        if authorization is not None:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() == "bearer" and self.policy.token_matches(credentials.strip()):
                return None
        elif self._is_login(scope):
            # Checked by _log_in, which sets the cookie or refuses.
            return None
        for value in _cookies(headers).get(cookie_name(scope), ()):
            if self.policy.session_matches(value):
                return None
        return _unauthorized()

    def _is_login(self, scope: Scope) -> bool:
        return (
            self.policy.token is not None
            and scope["type"] == "http"
            and scope.get("method") in ("GET", "HEAD")
            and any(name == TOKEN_PARAM for name, _ in _query(scope))
        )

    async def _log_in(self, scope: Scope, send: Send) -> None:
        """``?token=…``: set the session cookie and send the browser to the clean URL."""
        query = _query(scope)
        presented = [value for name, value in query if name == TOKEN_PARAM]
        if len(presented) != 1 or not self.policy.token_matches(presented[0]):
            log.info("refused a log-in link with a wrong token")
            await _refuse(scope, send, _unauthorized())
            return
        rest = urlencode([(n, v) for n, v in query if n != TOKEN_PARAM])
        # Only ever a path on this server: "//elsewhere" would leave it.
        path = "/" + scope.get("raw_path", b"/").decode("latin-1").lstrip("/\\")
        location = path + ("?" + rest if rest else "")
        cookie = (
            f"{cookie_name(scope)}={self.policy.session_value()}; Path=/; HttpOnly; "
            "SameSite=Strict" + ("; Secure" if scope.get("scheme") == "https" else "")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", location.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-length", b"0"),
                    *ALWAYS_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})


async def _read_body(receive: Receive, limit: int) -> Message | None:
    """The whole request body as one message; None if it grows past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            if message.get("more_body", False):
                await _drain(receive, size)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}


async def _drain(receive: Receive, size: int) -> None:
    """Read and drop the rest of a body (``size`` bytes read so far), within the limits."""
    with trio.move_on_after(DRAIN_SECONDS):
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            size += len(message.get("body", b""))
            if size > DRAIN_BYTES:
                return


def _replay(first: Message, receive: Receive) -> Receive:
    """``receive`` that answers ``first`` once, then passes on to the real one."""
    pending = [first]

    async def replaying() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replaying


def _too_large(limit: int) -> Refusal:
    return Refusal(
        413, ErrorCode.PAYLOAD_TOO_LARGE, f"the request body is larger than {limit} bytes"
    )


def _query(scope: Scope) -> list[tuple[str, str]]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qsl(raw, keep_blank_values=True, encoding="utf-8", errors="replace")


def _cross_site(why: str) -> Refusal:
    return Refusal(403, ErrorCode.CROSS_SITE_REQUEST, f"cross-site request refused: {why}")


def _unauthorized() -> Refusal:
    return Refusal(
        401,
        ErrorCode.UNAUTHORIZED,
        "a valid API token is required: send Authorization: Bearer <token>, "
        "or open the log-in link the server printed at start-up",
        headers=((b"www-authenticate", b'Bearer realm="stoat-ferret"'),),
    )


async def _refuse(scope: Scope, send: Send, refusal: Refusal) -> None:
    body = json.dumps({"detail": {"code": str(refusal.code), "message": refusal.message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *refusal.headers,
        *ALWAYS_HEADERS,
    ]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {"type": "websocket.http.response.start", "status": refusal.status, "headers": headers}
        )
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        # Closing before accepting makes the server answer the upgrade with 403.
        await send({"type": "websocket.close", "code": 1008})


def _with_headers(send: Send) -> Send:
    async def send_with_headers(message: Message) -> None:
        if message["type"] in ("http.response.start", "websocket.http.response.start"):
            present = {name.lower() for name, _ in message.get("headers", ())}
            extra = [(n, v) for n, v in ALWAYS_HEADERS if n not in present]
            if extra:
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return send_with_headers
