"""Folders being scanned: jobs whose folders overlap take turns instead of racing.

A scan and a watched folder's job may both want the same folder (a scan of ``/media``
while files land in the watched ``/media/incoming``). Each holds its folder for as long
as it reads the disk and writes the library; a job whose folder overlaps one held
waits for it, so neither decides what is missing from a view the other is changing.
"""

from __future__ import annotations

from types import TracebackType

import attrs
import trio

from .plan import is_within


def overlap(a: str, b: str) -> bool:
    """Whether resolved folders ``a`` and ``b`` are the same, or one lies below the other."""
    return is_within(a, b) or is_within(b, a)


@attrs.define(eq=False)
class Areas:
    """The folders held now. ``async with areas.hold(folder): ...``"""

    _held: dict[str, int] = attrs.field(factory=dict, init=False)
    _released: trio.Event = attrs.field(factory=trio.Event, init=False)

    def hold(self, folder: str) -> _Hold:
        """Hold ``folder`` for the block, first waiting while an overlapping one is held.

        Holding is not re-entrant: a task holding a folder that waits for an overlapping
        one waits forever.
        """
        return _Hold(self, folder)

    def busy(self, folder: str) -> bool:
        """Whether a folder overlapping ``folder`` is held now."""
        return any(overlap(folder, held) for held in self._held)

    async def _acquire(self, folder: str) -> None:
        await trio.lowlevel.checkpoint()
        while self.busy(folder):
            await self._released.wait()
        # No await between the last look and taking it: nothing can slip in.
        self._held[folder] = self._held.get(folder, 0) + 1

    def _release(self, folder: str) -> None:
        count = self._held.pop(folder) - 1
        if count:
            self._held[folder] = count
        # Every waiter looks again; those still overlapping wait for the next release.
        self._released.set()
        self._released = trio.Event()


@attrs.frozen
class _Hold:
    areas: Areas
    folder: str

    async def __aenter__(self) -> None:
        await self.areas._acquire(self.folder)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.areas._release(self.folder)
        # A checkpoint that cannot raise Cancelled over the block's own exception.
        await trio.lowlevel.cancel_shielded_checkpoint()
