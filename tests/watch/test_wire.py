"""The watch object agrees everywhere it is declared: service value, API schema, client, event."""

from __future__ import annotations

import attrs

from stoat_ferret.api import schemas
from stoat_ferret.client import models as client_models
from stoat_ferret.events.payloads import WatchStatusChanged
from stoat_ferret.library.models import WatchRecord
from stoat_ferret.protocol import EventType, WatchChange, WatchState
from stoat_ferret.timestamps import parse_timestamp
from stoat_ferret.watch.models import Watch, WatchStatus

RECORD = WatchRecord(
    id="w1",
    path="/m/in",
    poll=True,
    created_at=parse_timestamp("2024-05-01T10:00:00.000Z"),
    last_change_at=parse_timestamp("2024-05-01T11:00:00.000Z"),
    job_id="j1",
)


def test_the_watch_fields_agree() -> None:
    """The service's watch, the API schema and the client model declare the same fields."""
    fields = {f.name for f in attrs.fields(Watch)}
    assert set(schemas.Watch.model_fields) == fields
    assert {f.name for f in attrs.fields(client_models.Watch)} - {"extra", "_source"} == fields


def test_a_watchs_wire_form_is_what_its_schema_says() -> None:
    """A watch's JSON validates as the schema, comes out unchanged, and reads back in the client."""
    watch = Watch.of(RECORD, WatchStatus(WatchState.POLLING, "polling was asked for"))
    wire = watch.to_wire()
    assert schemas.Watch.model_validate(wire).model_dump(mode="json") == wire
    read = client_models.Watch.from_json(wire)
    assert (read.id, read.state, read.reason, read.job_id) == (
        "w1",
        WatchState.POLLING,
        "polling was asked for",
        "j1",
    )
    assert read.last_change_at == RECORD.last_change_at


def test_a_watch_status_event_is_the_watch_and_what_changed() -> None:
    """The ``watch_status`` payload: every field of the watch, and ``change``."""
    watch = Watch.of(RECORD, WatchStatus(WatchState.UNAVAILABLE, "gone"))
    payload = WatchStatusChanged(watch=watch, change=WatchChange.REMOVED)
    assert payload.event_type == EventType.WATCH_STATUS
    assert payload.to_wire() == {**watch.to_wire(), "change": "removed"}
