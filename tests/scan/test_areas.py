"""Folders held by scans: overlapping holders take turns, others run side by side."""

from __future__ import annotations

import trio
import trio.testing

from stoat_ferret.scan.areas import Areas, overlap


def test_overlap_is_the_same_folder_or_one_inside_the_other() -> None:
    """/m/a overlaps /m/a and /m/a/b, not /m/ab or /m/b."""
    assert overlap("/m/a", "/m/a")
    assert overlap("/m/a", "/m/a/b")
    assert overlap("/m/a/b", "/m/a")
    assert not overlap("/m/a", "/m/ab")
    assert not overlap("/m/a", "/m/b")


async def test_an_overlapping_holder_waits_for_the_first_and_others_do_not() -> None:
    """While /m/a is held, /m/a/b waits until it is let go; /m/b goes ahead at once."""
    areas = Areas()
    order: list[str] = []
    release = trio.Event()

    async def hold(folder: str, *, until: trio.Event | None = None) -> None:
        async with areas.hold(folder):
            order.append(f"in {folder}")
            if until is not None:
                await until.wait()
            order.append(f"out {folder}")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: hold("/m/a", until=release))
        await trio.testing.wait_all_tasks_blocked()
        nursery.start_soon(hold, "/m/a/b")
        nursery.start_soon(hold, "/m/b")
        await trio.testing.wait_all_tasks_blocked()
        assert order == ["in /m/a", "in /m/b", "out /m/b"]
        assert areas.busy("/m/a/b/c")
        release.set()
    assert order == ["in /m/a", "in /m/b", "out /m/b", "out /m/a", "in /m/a/b", "out /m/a/b"]
    assert not areas.busy("/m")


async def test_a_waiter_cancelled_holds_nothing() -> None:
    """Cancelling a task waiting for a folder leaves the folder free for the next."""
    areas = Areas()
    async with areas.hold("/m"):
        with trio.move_on_after(0.01):
            async with areas.hold("/m/x"):
                raise AssertionError("entered while /m was held")
    async with areas.hold("/m/x"):
        assert areas.busy("/m")
