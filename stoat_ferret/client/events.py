"""The ``/ws`` event stream, reconnecting and resuming by itself."""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import attrs
import trio
from trio_websocket import (
    ConnectionClosed,
    ConnectionTimeout,
    HandshakeError,
    WebSocketConnection,
    wrap_client_stream,
)

from ..excgroups import single_leaf
from ..protocol import EventType
from .errors import ConnectionFailed, ProtocolError, StoatFerretError
from .models import Event

log = logging.getLogger(__name__)

#: Seconds before the first reconnection attempt; doubled after each failure.
RECONNECT_DELAY = 0.1
#: The longest pause between reconnection attempts.
MAX_RECONNECT_DELAY = 2.0
#: Seconds one connection attempt (TCP and WebSocket handshake) may take.
CONNECT_TIMEOUT = 10.0


@attrs.define(eq=False)
class EventStream:
    """Events from ``/ws``, oldest first: ``async for event in stream``.

    The connection behind it reconnects by itself after a drop and resumes from
    :attr:`last_event_id`, so no event is lost and none is repeated. If the server
    no longer holds the missed events (or restarted), the stream yields an event
    whose :attr:`~Event.resync_required` is true: fetch current state over HTTP,
    then keep reading. Iteration raises :class:`ConnectionFailed` once the server
    has been unreachable for ``reconnect_attempts`` attempts in a row.
    """

    _receive: trio.MemoryReceiveChannel[Event]
    #: The id of the last numbered event handled (delivered, or filtered out).
    last_event_id: int | None = None
    #: How many times the connection was re-established after a drop.
    reconnects: int = 0
    _error: StoatFerretError | None = None

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        try:
            event = await self._receive.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            if self._error is not None:
                raise self._error from None
            raise StopAsyncIteration from None
        # Recorded as the event is handed over, so it is never behind what the caller holds.
        if event.id is not None:
            self.last_event_id = event.id
        return event


@asynccontextmanager
async def open_event_stream(
    ws_url: str,
    *,
    job_id: str | None = None,
    last_event_id: int | None = None,
    heartbeats: bool = False,
    reconnect_attempts: int = 10,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> AsyncIterator[EventStream]:
    """Subscribe to ``ws_url``; the stream is live (subscribed) when the block starts.

    ``job_id`` keeps only that job's events (and resync notices); ``last_event_id``
    resumes after an event seen earlier; ``heartbeats`` passes heartbeats through;
    ``headers`` go with every opening handshake (the bearer token, for one).
    """
    send, receive = trio.open_memory_channel[Event](0)
    stream = EventStream(receive, last_event_id)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(
                _pump, ws_url, stream, send, job_id, heartbeats, reconnect_attempts, list(headers)
            )
            try:
                yield stream
            finally:
                nursery.cancel_scope.cancel()
                receive.close()
    except BaseExceptionGroup as group:
        # The nursery is ours, not the caller's: what the block (or the connection)
        # raised comes out as itself, not wrapped in a group the caller never opened.
        leaf = single_leaf(group)
        if leaf is not None:
            raise leaf from None
        raise


async def _pump(
    ws_url: str,
    stream: EventStream,
    send: trio.MemorySendChannel[Event],
    job_id: str | None,
    heartbeats: bool,
    reconnect_attempts: int,
    headers: list[tuple[bytes, bytes]],
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Own the WebSocket: connect, forward events, reconnect and resume after a drop."""
    started = False
    failures = 0
    delay = RECONNECT_DELAY
    async with send:
        while True:
            await trio.lowlevel.checkpoint()
            query = {} if stream.last_event_id is None else {"last_event_id": stream.last_event_id}
            url = ws_url + ("?" + urlencode(query) if query else "")
            connected = False
            try:
                async with _connect(url, headers) as ws:
                    connected = True
                    failures, delay = 0, RECONNECT_DELAY
                    if started:
                        stream.reconnects += 1
                        if stream.last_event_id is None:
                            # Dropped before any numbered event: there is nothing to
                            # resume from, so what happened meanwhile is unknown.
                            await send.send(_resync("the connection dropped before any event"))
                    else:
                        started = True
                        task_status.started()
                    await _forward(ws, stream, send, job_id, heartbeats)
            except ConnectionClosed as exc:
                log.info("event stream dropped (%s); resuming", _reason(exc))
            except (HandshakeError, OSError, trio.TooSlowError) as exc:
                if connected:
                    continue  # the close after a drop failed: reconnect at once
                failures += 1
                if failures >= reconnect_attempts:
                    stream._error = ConnectionFailed(ws_url, _reason(exc))
                    if not started:
                        raise stream._error from exc
                    return
                await trio.sleep(delay)
                delay = min(delay * 2, MAX_RECONNECT_DELAY)
            except trio.BrokenResourceError:
                return  # the consumer has left
            except ProtocolError as exc:
                stream._error = exc
                return


async def _forward(
    ws: WebSocketConnection,
    stream: EventStream,
    send: trio.MemorySendChannel[Event],
    job_id: str | None,
    heartbeats: bool,
) -> None:
    while True:
        text = await ws.get_message()
        try:
            event = Event.from_json(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ProtocolError(f"the server sent an event that is not JSON: {exc}") from exc
        if event.resync_required:
            # The server could not resume: ids from before mean nothing now.
            stream.last_event_id = None
        already_handled = (
            event.id is not None
            and stream.last_event_id is not None
            and event.id <= stream.last_event_id
        )
        if already_handled:
            continue  # delivered before the reconnection
        wanted = (heartbeats or event.type != EventType.HEARTBEAT) and (
            job_id is None or event.resync_required or event.job_id == job_id
        )
        if wanted:
            await send.send(event)  # the stream records its id as it hands it over
        elif event.id is not None:
            stream.last_event_id = event.id


@asynccontextmanager
async def _connect(
    url: str, headers: list[tuple[bytes, bytes]]
) -> AsyncIterator[WebSocketConnection]:
    """One WebSocket connection whose socket is closed however it ends.

    trio-websocket's own ``open_websocket_url`` leaves the socket open when the
    peer drops the connection, so the TCP stream is opened and closed here.
    """
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host = parts.hostname or "localhost"
    port = parts.port or (443 if secure else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authority = parts.netloc.rpartition("@")[2]
    with trio.fail_after(CONNECT_TIMEOUT):
        tcp = await trio.open_tcp_stream(host, port)
    try:
        transport: trio.SocketStream | trio.SSLStream[trio.SocketStream] = tcp
        if secure:
            context = await trio.to_thread.run_sync(ssl.create_default_context)
            transport = trio.SSLStream(tcp, context, server_hostname=host, https_compatible=True)
        try:
            async with trio.open_nursery() as nursery:
                with trio.fail_after(CONNECT_TIMEOUT):
                    # The Host header names the port too, as an HTTP client's does.
                    ws = await wrap_client_stream(
                        nursery, transport, authority, resource, extra_headers=headers
                    )
                try:
                    yield ws
                finally:
                    with trio.CancelScope(shield=True), trio.move_on_after(1):
                        await ws.aclose()
                    nursery.cancel_scope.cancel()
        except BaseExceptionGroup as group:
            leaf = single_leaf(group)
            if leaf is not None:
                raise leaf from None
            raise
    finally:
        with trio.CancelScope(shield=True), trio.move_on_after(1):
            await tcp.aclose()


def _resync(reason: str) -> Event:
    return Event(
        id=None,
        type=EventType.RESYNC_REQUIRED,
        payload={"reason": reason + "; fetch current state over HTTP"},
        correlation_id=None,
        timestamp=datetime.now(UTC),
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionTimeout | trio.TooSlowError):
        return f"no answer within {CONNECT_TIMEOUT:g}s"
    if isinstance(exc, ConnectionClosed):
        return f"connection closed ({exc.reason})"
    cause = exc.__cause__ or exc.__context__
    if not str(exc) and cause is not None:
        return _reason(cause)
    return str(exc) or type(exc).__name__
