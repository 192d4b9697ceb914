"""HTTP/1.1 exchanges written byte by byte, for headers a client library would normalise.

httpx sets ``Host`` itself and refuses some header shapes; these helpers send exactly
the request given (a missing or doubled ``Host``, a WebSocket upgrade with any
``Origin``) and read the response head and its body.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import urlsplit

import attrs
import trio


@attrs.frozen
class RawResponse:
    status: int
    #: Header names in lower case, each with every value it was sent with.
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def authority(base_url: str) -> str:
    """``host:port`` of ``base_url``, as a browser would write it in ``Host``."""
    return urlsplit(base_url).netloc


async def exchange(base_url: str, request: bytes) -> RawResponse:
    """Send ``request`` as is to the server of ``base_url``; its response (head and body)."""
    host, port = _address(base_url)
    with trio.fail_after(15):
        stream = await trio.open_tcp_stream(host, port)
        async with stream:
            await stream.send_all(request)
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers: dict[str, list[str]] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
            length = int(headers.get("content-length", ["0"])[0])
            while status != 101 and len(body) < length:
                chunk = await stream.receive_some(65536)
                if not chunk:
                    break
                body += chunk
    return RawResponse(status, headers, body)


def request_bytes(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes = b""
) -> bytes:
    """An HTTP/1.1 request with exactly ``headers`` (add ``Host`` yourself, or leave it out)."""
    lines = [f"{method} {target} HTTP/1.1", *(f"{n}: {v}" for n, v in headers)]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def websocket_upgrade(
    base_url: str, *, host: str | None = None, extra: list[tuple[str, str]] | None = None
) -> RawResponse:
    """Ask for a ``/ws`` upgrade with ``Host: host`` (default: the server's) and ``extra``."""
    headers = [
        ("Host", host if host is not None else authority(base_url)),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", base64.b64encode(os.urandom(16)).decode()),
        ("Sec-WebSocket-Version", "13"),
        *(extra or []),
    ]
    lines = ["GET /ws HTTP/1.1", *(f"{n}: {v}" for n, v in headers)]
    return await exchange(base_url, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
