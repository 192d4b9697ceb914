"""A loopback TCP proxy that a test can cut, hold or shut down, to break connections on cue."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import attrs
import trio


@attrs.define(eq=False)
class TcpProxy:
    """Forwards every connection it accepts to ``upstream``, byte for byte, both ways."""

    upstream: tuple[str, int]
    port: int
    #: Connections accepted so far.
    accepted: int = 0
    #: Connections ended by :meth:`cut`.
    cut_count: int = 0
    #: Set while a connection waits at the gate of :meth:`hold`.
    held: trio.Event = attrs.field(factory=trio.Event)
    #: With ``record``: every byte each connection (by number) sent upstream.
    sent: dict[int, bytearray] | None = None
    _live: dict[int, trio.CancelScope] = attrs.field(factory=dict)
    _gate: trio.Event | None = None
    _accepting: trio.CancelScope = attrs.field(factory=trio.CancelScope)
    _stopped: trio.Event = attrs.field(factory=trio.Event)

    @property
    def live_connections(self) -> int:
        return len(self._live)

    def url(self, scheme: str, path: str = "") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def cut(self) -> int:
        """Close every proxied connection not cut yet, both sides at once; how many."""
        scopes = [scope for scope in self._live.values() if not scope.cancel_called]
        for scope in scopes:
            scope.cancel()
        self.cut_count += len(scopes)
        return len(scopes)

    def hold(self) -> None:
        """Accept new connections but connect none upstream until :meth:`release`."""
        self._gate = trio.Event()
        self.held = trio.Event()

    def release(self) -> None:
        assert self._gate is not None
        self._gate.set()
        self._gate = None

    async def stop_listening(self) -> None:
        """Close the listening socket: from now on connecting is refused."""
        self._accepting.cancel()
        await self._stopped.wait()

    async def _accept_all(self, listener: trio.SocketListener, handlers: trio.Nursery) -> None:
        async with listener:
            with self._accepting:
                while True:
                    stream = await listener.accept()
                    self.accepted += 1
                    handlers.start_soon(self._forward, self.accepted, stream)
        self._stopped.set()

    async def _forward(self, number: int, downstream: trio.SocketStream) -> None:
        scope = self._live[number] = trio.CancelScope()
        try:
            async with downstream:
                with scope:
                    gate = self._gate
                    if gate is not None:
                        self.held.set()
                        await gate.wait()
                    upstream = await trio.open_tcp_stream(*self.upstream)
                    record = (
                        None if self.sent is None else self.sent.setdefault(number, bytearray())
                    )
                    async with upstream, trio.open_nursery() as nursery:
                        nursery.start_soon(
                            _pipe, downstream, upstream, nursery.cancel_scope, record
                        )
                        nursery.start_soon(_pipe, upstream, downstream, nursery.cancel_scope, None)
        finally:
            del self._live[number]


async def _pipe(
    source: trio.SocketStream,
    target: trio.SocketStream,
    both: trio.CancelScope,
    record: bytearray | None,
) -> None:
    try:
        async for chunk in source:
            if record is not None:
                record.extend(chunk)
            await target.send_all(chunk)
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        await trio.lowlevel.checkpoint()
    # One direction has ended (EOF or a broken socket): end the other with it.
    both.cancel()


def request_heads(sent: bytes) -> list[tuple[str, dict[str, str]]]:
    """The request line and headers (names lowercased) of every HTTP request in ``sent``.

    For a WebSocket connection, that is the opening handshake; the frames after it are
    binary and never look like a request line.
    """
    found = []
    for match in _REQUEST_HEAD.finditer(sent):
        line, _, rest = match.group(0).decode("latin-1").partition("\r\n")
        headers = {}
        for header in rest.split("\r\n"):
            if header:
                name, _, value = header.partition(":")
                headers[name.strip().lower()] = value.strip()
        found.append((line, headers))
    return found


_REQUEST_HEAD = re.compile(rb"(?:GET|POST|PUT|PATCH|DELETE) /\S* HTTP/1\.1\r\n.*?\r\n\r\n", re.S)


@asynccontextmanager
async def open_proxy(target_url: str, *, record: bool = False) -> AsyncIterator[TcpProxy]:
    """A proxy on 127.0.0.1 (port 0) in front of the server at ``target_url``.

    With ``record``, it keeps what each connection sent upstream (:attr:`TcpProxy.sent`).
    """
    target = urlsplit(target_url)
    assert target.hostname is not None
    assert target.port is not None
    (listener,) = await trio.open_tcp_listeners(0, host="127.0.0.1")
    proxy = TcpProxy((target.hostname, target.port), listener.socket.getsockname()[1])
    if record:
        proxy.sent = {}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(proxy._accept_all, listener, nursery)
        try:
            yield proxy
        finally:
            nursery.cancel_scope.cancel()
