"""Hand-made event payloads, for tests of the event transport itself."""

from __future__ import annotations

from typing import Any

import attrs

from stoat_ferret.protocol import EventType


@attrs.frozen
class RawPayload:
    """A payload of any shape under any type: what the hub's own tests publish."""

    event_type: EventType
    data: dict[str, Any]

    def to_wire(self) -> dict[str, Any]:
        return dict(self.data)
