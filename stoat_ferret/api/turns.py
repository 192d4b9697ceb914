"""The library's pages take turns at the event loop.

A page of the library (list, search, duplicates, folders) costs the event loop a few
milliseconds of Python: validating the query, planning it, shaping 50 videos and encoding
them. Trio runs every task that is ready once per round, in no set order, so when sixteen
clients ask at once every round holds sixteen such steps, and anything else (a readiness
probe, a job's progress, a click in the page) waits through several rounds of them: a
tenth of a second and more on two cores.

So pages take turns, first come first served: one page at a time does its Python, and
gives the turn up while it waits for SQLite (the reader connections still run several
queries at once, and a slow search keeps no list waiting behind it while it is in the
database). A round of the loop then holds one page's step, and the other work waits
milliseconds, not rounds; pages are answered in the order they came, so none waits
much longer than the rest. ``docs/performance.md`` has the figures.
"""

from __future__ import annotations

import collections
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any, TypeVar

import outcome
import trio
from quart import current_app

TURNS_KEY = "stoat_ferret.page_turns"
#: Seconds a page keeps its turn while it waits for the database. Most reads of a page
#: take less (1 to 3 ms at a million videos). On a machine the pages keep busy, handing
#: the turn on during such a read only sets more threads to share the same CPUs: sixteen
#: clients waited longer with 2 ms than with 8 (docs/performance.md). A longer read, a
#: deep page for one, gives the turn up so the next page can go meanwhile.
GRACE = 0.008

#: What holds the turn for the request being served here (the handler may run in a task
#: of its own; the context goes with it).
_holder: ContextVar[object | None] = ContextVar("stoat_ferret_page_turn", default=None)

T = TypeVar("T")
Scope = dict[str, Any]
ASGIApp = Callable[..., Awaitable[None]]


class _Waiter:
    __slots__ = ("granted", "holder")

    def __init__(self, holder: object) -> None:
        self.holder = holder
        self.granted = trio.Event()


class PageTurns:
    """First come, first served turns at the event loop for the library's pages.

    A page that gave its turn up while it read the database has it back before any page
    that has not had a turn yet: it has waited its turn once already.

    Only the page holding the turn waits with it, so one wait at a time is timed against
    :data:`GRACE`: by a deadline on one long-lived task of the run's own, which hands the
    turn on when the deadline passes. A page's wait then costs two changes of that
    deadline, rather than a task started and cancelled (a page waits twice: for its read,
    and for its answer to go out).
    """

    def __init__(self) -> None:
        self._owner: object | None = None
        self._new: collections.deque[_Waiter] = collections.deque()
        self._returning: collections.deque[_Waiter] = collections.deque()
        #: The holder whose wait is timed now, and when its grace ends.
        self._timed: object | None = None
        self._deadline = math.inf
        #: The timekeeper's sleep (None until it has started), and the run it belongs to.
        self._sleep: trio.CancelScope | None = None
        self._run: trio.lowlevel.Task | None = None

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the turn for the block (waiting for it first)."""
        holder = object()
        token = _holder.set(holder)

        def end() -> None:
            # Not held once ended, or when cancelled while waiting to have it back.
            if self._owner is holder:
                self._pass_on()

        try:
            await self._acquire(holder, queue=self._new)
            try:
                yield
            finally:
                end()
        finally:
            _holder.reset(token)

    async def read(self, read: Callable[[], Awaitable[T]]) -> T:
        """``await read()`` (a read of the database), keeping the turn while it is quick;
        when it takes longer than :data:`GRACE`, the turn goes to the next page, and comes
        back, ahead of pages that have not had theirs, when the read is done. Outside a
        turn it is just ``await read()``."""
        return await self._waiting(read, come_back=True)

    async def _waiting(self, wait: Callable[[], Awaitable[T]], *, come_back: bool) -> T:
        """``await wait()``, giving the turn up if it takes longer than :data:`GRACE`,
        and then, if ``come_back``, having it back after."""
        holder = _holder.get()
        if holder is None or self._owner is not holder:
            return await wait()
        self._time(holder)
        try:
            # Captured, so that what it raises comes out as itself, after the turn is back.
            result = await outcome.acapture(wait)
        finally:
            if self._timed is holder:
                self._time(None)
        if self._owner is not holder and come_back:  # the timekeeper handed it on
            await self._acquire(holder, queue=self._returning)
        return result.unwrap()

    def _time(self, holder: object | None) -> None:
        """Time ``holder``'s wait from now (None: time nothing)."""
        self._timed = holder
        self._deadline = math.inf if holder is None else trio.current_time() + GRACE
        root = trio.lowlevel.current_root_task()
        if self._run is not root:
            self._run, self._sleep = root, None
            trio.lowlevel.spawn_system_task(self._keep_time, name="page turns' timekeeper")
        elif self._sleep is not None:
            self._sleep.deadline = self._deadline

    async def _keep_time(self) -> None:
        """Hand the turn on from a wait that outlasts its grace (runs as long as the run)."""
        while True:
            with trio.CancelScope(deadline=self._deadline) as self._sleep:
                await trio.sleep_forever()
            holder = self._timed
            if holder is not None and trio.current_time() >= self._deadline:
                self._timed, self._deadline = None, math.inf
                if self._owner is holder:
                    self._pass_on()

    async def _acquire(self, holder: object, *, queue: collections.deque[_Waiter]) -> None:
        await trio.lowlevel.checkpoint_if_cancelled()
        if self._owner is None and not self._returning and not self._new:
            self._owner = holder
            await trio.lowlevel.cancel_shielded_checkpoint()
            return
        waiter = _Waiter(holder)
        queue.append(waiter)
        try:
            await waiter.granted.wait()
        except BaseException:
            if waiter.granted.is_set():
                self._pass_on()  # handed the turn just as it was cancelled: hand it on
            else:
                queue.remove(waiter)
            raise

    def _pass_on(self) -> None:
        """The turn goes to the next page: a returning one first, else a new one."""
        queue = self._returning or self._new
        if queue:
            waiter = queue.popleft()
            self._owner = waiter.holder
            waiter.granted.set()
        else:
            self._owner = None


class TakingTurns:
    """ASGI middleware: GET and HEAD requests for ``paths`` are served in turn, the whole
    of each (Quart's own work included), giving the turn up only inside
    :meth:`PageTurns.read`, or when sending the answer waits on the client: a slow
    client keeps no other page waiting."""

    def __init__(self, app: ASGIApp, turns: PageTurns, paths: Collection[str]) -> None:
        self.app = app
        self.turns = turns
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] in self.paths
        ):
            await self.app(scope, receive, send)
            return

        async def send_in_turn(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                # The bytes go out here, and wait if the client does not read them.
                await self.turns._waiting(partial(send, message), come_back=False)
            else:
                await send(message)

        async with self.turns.turn():
            await self.app(scope, receive, send_in_turn)


def page_turns() -> PageTurns:
    """The application's :class:`PageTurns`."""
    turns: PageTurns = current_app.extensions[TURNS_KEY]
    return turns
