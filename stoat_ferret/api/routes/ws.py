"""``/ws``: server-push events."""

from __future__ import annotations

import trio
from quart import Blueprint, websocket

from ...events.hub import Subscriber, make_event
from ...events.payloads import Heartbeat
from ..context import current_service

blueprint = Blueprint("ws", __name__)


def _parse_last_event_id(raw: str | None) -> tuple[int | None, str | None]:
    if raw is None or raw == "":
        return None, None
    try:
        return int(raw), None
    except ValueError:
        return None, f"last_event_id must be an integer, got {raw!r}"


@blueprint.websocket("/ws")
async def events() -> None:
    """Stream events; ``?last_event_id=N`` first replays what came after event ``N``."""
    service = current_service()
    last_event_id, problem = _parse_last_event_id(websocket.args.get("last_event_id"))
    # Subscribed before the handshake completes: once the client sees the connection
    # open, nothing published from then on can be missed.
    with service.hub.subscribe(last_event_id=last_event_id) as subscriber:
        await websocket.accept()
        if problem is not None:
            subscriber.request_resync(problem)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_discard_incoming)
            await _send_events(subscriber, service.settings.ws_heartbeat_interval)
            nursery.cancel_scope.cancel()


async def _discard_incoming() -> None:
    # The stream is one-way; reading keeps a chatty client from filling a queue.
    while True:
        await websocket.receive()


async def _send_events(subscriber: Subscriber, heartbeat_interval: float) -> None:
    hub = current_service().hub
    while True:
        try:
            with trio.move_on_after(heartbeat_interval) as idle:
                event = await subscriber.receive()
        except trio.EndOfChannel:
            return
        if idle.cancelled_caught:
            event = make_event(Heartbeat(last_event_id=hub.last_id))
        await websocket.send(event.to_json())
