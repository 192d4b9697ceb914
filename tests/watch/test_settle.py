"""The settling rules: when a noticed path goes out, and with what."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stoat_ferret.watch.models import FileStat, WatchBatch
from stoat_ferret.watch.settle import Settler

A, B, C = "/m/a.mp4", "/m/b.mp4", "/m/c.mp4"


def look(settler: Settler, now: float, world: dict[str, FileStat | None]) -> list[str]:
    """One round's looks: stat every due path in ``world``; the paths looked at."""
    due = settler.due(now)
    for path in due:
        settler.observe(path, world.get(path), now)
    return due


def step(settler: Settler, now: float, world: dict[str, FileStat | None]) -> WatchBatch | None:
    look(settler, now, world)
    return settler.take(now)


# -- exact cases -----------------------------------------------------------------------------


def test_a_new_file_goes_out_once_its_window_has_passed_unchanged() -> None:
    """A file noticed at 0 is looked at at once and again at 2 s, then goes out."""
    settler = Settler(settle=2.0)
    world = {A: FileStat(10, 1)}
    settler.notice(A, 0.0)
    assert settler.due(0.0) == [A]
    settler.observe(A, world[A], 0.0)
    assert settler.take(0.0) is None
    assert settler.wakeup(0.0) == 2.0
    assert step(settler, 1.9, world) is None
    assert step(settler, 2.0, world) == WatchBatch(settled=(A,))
    assert settler.pending_count == 0
    assert settler.wakeup(2.0) is None


def test_a_growing_file_goes_out_a_window_after_it_stops_growing() -> None:
    """Each look that finds a new size restarts the window; it goes out 2 s after the last."""
    settler = Settler(settle=2.0)
    for now, size in [(0.0, 1), (0.5, 2), (1.0, 3)]:
        settler.notice(A, now)
        assert step(settler, now, {A: FileStat(size, size)}) is None
    final = {A: FileStat(3, 3)}
    assert settler.wakeup(1.0) == 3.0
    assert step(settler, 2.9, final) is None
    assert step(settler, 3.0, final) == WatchBatch(settled=(A,))


def test_a_file_that_grows_without_notices_is_held_until_it_stops() -> None:
    """No notice came, but each look saw a new size: the window restarts each time."""
    settler = Settler(settle=1.0)
    settler.notice(A, 0.0)
    for now in (0.0, 1.0, 2.0, 3.0):
        assert step(settler, now, {A: FileStat(int(now) + 1, 0)}) is None
        assert settler.wakeup(now) == now + 1.0
    assert step(settler, 4.0, {A: FileStat(4, 0)}) == WatchBatch(settled=(A,))


def test_a_notice_restarts_the_window_even_when_the_file_looks_the_same() -> None:
    """A change notice at 1.5 s delays the file to 3.5 s although its size never changed."""
    settler = Settler(settle=2.0)
    world = {A: FileStat(5, 5)}
    settler.notice(A, 0.0)
    step(settler, 0.0, world)
    settler.notice(A, 1.5)
    assert settler.wakeup(1.5) == 1.5
    assert step(settler, 1.5, world) is None
    assert step(settler, 2.0, world) is None
    assert step(settler, 3.5, world) == WatchBatch(settled=(A,))


def test_both_sides_of_a_rename_go_out_in_one_batch() -> None:
    """A rename reported as a deletion and a creation: old path deleted, new path settled."""
    settler = Settler(settle=2.0)
    world: dict[str, FileStat | None] = {A: None, B: FileStat(7, 7)}
    settler.notice(A, 0.0)
    settler.notice(B, 0.0)
    step(settler, 0.0, world)
    assert step(settler, 2.0, world) == WatchBatch(settled=(B,), deleted=(A,))


def test_a_file_deleted_and_recreated_in_the_window_goes_out_as_settled() -> None:
    """Whatever order the notices came in, what the last look saw decides."""
    settler = Settler(settle=1.0)
    settler.notice(A, 0.0)
    step(settler, 0.0, {A: None})
    settler.notice(A, 0.4)
    step(settler, 0.4, {A: FileStat(3, 3)})
    assert step(settler, 1.4, {A: FileStat(3, 3)}) == WatchBatch(settled=(A,))


def test_a_settled_file_waits_for_others_still_settling() -> None:
    """A (ready at 2 s) waits for B (ready at 3.5 s): one batch with both, at 3.5 s."""
    settler = Settler(settle=2.0, max_hold=10.0)
    world = {A: FileStat(1, 1), B: FileStat(2, 2)}
    settler.notice(A, 0.0)
    step(settler, 0.0, world)
    settler.notice(B, 1.5)
    step(settler, 1.5, world)
    assert step(settler, 2.0, world) is None
    assert settler.wakeup(2.0) == 3.5
    assert step(settler, 3.5, world) == WatchBatch(settled=(A, B))


def test_a_settled_file_is_held_at_most_max_hold() -> None:
    """B keeps growing; A (ready at 2 s) goes out alone at 2 + 3 s, B stays pending."""
    settler = Settler(settle=2.0, max_hold=3.0)
    settler.notice(A, 0.0)
    settler.notice(B, 0.0)
    batches = []
    for tick in range(11):
        now = tick * 0.5
        settler.notice(B, now)
        batch = step(settler, now, {A: FileStat(1, 1), B: FileStat(tick, tick)})
        if batch is not None:
            batches.append((now, batch))
    assert batches == [(5.0, WatchBatch(settled=(A,)))]
    assert settler.pending_count == 1


def test_a_file_changed_while_held_is_looked_at_again_and_kept_back() -> None:
    """A settled at 2 s, held for B, changed by 3 s without a notice: it settles again."""
    settler = Settler(settle=2.0, max_hold=10.0)
    settler.notice(A, 0.0)
    step(settler, 0.0, {A: FileStat(1, 1)})
    settler.notice(B, 1.0)
    step(settler, 1.0, {A: FileStat(1, 1), B: FileStat(2, 2)})
    assert step(settler, 2.0, {A: FileStat(1, 1), B: FileStat(2, 2)}) is None
    changed = {A: FileStat(9, 9), B: FileStat(2, 2)}
    assert look(settler, 3.0, changed) == [A, B]
    # B is ready, but A is settling again: B waits for it.
    assert settler.take(3.0) is None
    assert settler.wakeup(3.0) == 5.0
    assert step(settler, 5.0, changed) == WatchBatch(settled=(A, B))


def test_max_batch_splits_a_burst_and_sends_the_oldest_first() -> None:
    """Five files ready at once with max_batch 2: batches of 2, 2 and 1, oldest first."""
    settler = Settler(settle=1.0, max_batch=2)
    paths = [f"/m/{i}.mp4" for i in range(5)]
    world: dict[str, FileStat | None] = {p: FileStat(1, 1) for p in paths}
    for i, path in enumerate(paths):
        settler.notice(path, i * 0.1)
        step(settler, i * 0.1, world)
    sent = []
    now = 1.4
    while (batch := step(settler, now, world)) is not None:
        sent.append(batch.settled)
    assert sent == [tuple(paths[0:2]), tuple(paths[2:4]), (paths[4],)]


def test_a_rescan_request_goes_out_at_once_without_what_is_still_settling() -> None:
    """A rescan is not held: it goes out alone while A is still in its window."""
    settler = Settler(settle=2.0)
    settler.notice(A, 0.0)
    step(settler, 0.0, {A: FileStat(1, 1)})
    settler.request_rescan("/m")
    settler.request_rescan("/m")
    assert settler.wakeup(0.5) == 0.5
    assert step(settler, 0.5, {A: FileStat(1, 1)}) == WatchBatch(rescan=("/m",))
    assert step(settler, 2.0, {A: FileStat(1, 1)}) == WatchBatch(settled=(A,))


def test_gone_directories_go_out_after_the_window_outermost_only() -> None:
    """Nested gone directories collapse to the outermost, sent a window after the last."""
    settler = Settler(settle=1.0)
    settler.dir_gone("/m/x", 0.0)
    settler.dir_gone("/m/x/y", 0.1)
    settler.dir_gone("/m/xy", 0.2)
    assert settler.wakeup(0.2) == 1.0
    assert step(settler, 1.0, {}) is None
    assert step(settler, 1.2, {}) == WatchBatch(deleted_dirs=("/m/x", "/m/xy"))


def test_a_path_noticed_again_after_going_out_goes_out_again() -> None:
    """Each quiet spell after a change gives one batch entry."""
    settler = Settler(settle=1.0)
    world = {A: FileStat(1, 1)}
    settler.notice(A, 0.0)
    step(settler, 0.0, world)
    assert step(settler, 1.0, world) == WatchBatch(settled=(A,))
    assert step(settler, 1.5, world) is None
    settler.notice(A, 2.0)
    world[A] = FileStat(2, 2)
    step(settler, 2.0, world)
    assert step(settler, 3.0, world) == WatchBatch(settled=(A,))


def test_forget_and_clear_drop_pending_paths() -> None:
    """A forgotten path never goes out; clear drops paths, gone directories and rescans."""
    settler = Settler(settle=1.0)
    settler.notice(A, 0.0)
    settler.notice(B, 0.0)
    settler.forget(A)
    assert settler.due(0.0) == [B]
    settler.dir_gone("/m/x", 0.0)
    settler.request_rescan("/m")
    settler.clear()
    assert settler.pending_count == 0
    assert settler.wakeup(0.0) is None
    assert step(settler, 5.0, {B: FileStat(1, 1)}) is None


def test_a_look_older_than_the_latest_notice_does_not_settle_anything() -> None:
    """A stat taken before a notice leaves the path due for another look."""
    settler = Settler(settle=1.0)
    settler.notice(A, 0.0)
    step(settler, 0.0, {A: FileStat(1, 1)})
    settler.notice(A, 1.5)
    settler.observe(A, FileStat(1, 1), 1.2)
    assert settler.due(1.5) == [A]
    settler.observe(A, FileStat(1, 1), 1.5)
    assert step(settler, 2.4, {A: FileStat(1, 1)}) is None
    assert step(settler, 2.5, {A: FileStat(1, 1)}) == WatchBatch(settled=(A,))


def test_observations_of_paths_not_pending_are_ignored() -> None:
    """A look at a path nobody noticed does not make it pending."""
    settler = Settler(settle=1.0)
    settler.observe(A, FileStat(1, 1), 0.0)
    assert settler.pending_count == 0
    assert step(settler, 5.0, {A: FileStat(1, 1)}) is None


@pytest.mark.parametrize(
    ("field", "value"), [("settle", 0.0), ("max_hold", -1.0), ("max_batch", 0)]
)
def test_settings_out_of_range_are_refused(field: str, value: float) -> None:
    """A zero settle window, a negative hold or an empty batch size is a ValueError."""
    with pytest.raises(ValueError, match=field):
        Settler(**{field: value})


# -- properties, over simulated writers ------------------------------------------------------


@attrs.frozen
class Change:
    """At ``time`` the file becomes ``size`` bytes (``None``: deleted); noticed ``delay`` later."""

    time: float
    size: int | None
    delay: float


@attrs.frozen
class Scenario:
    settle: float
    max_hold: float
    max_batch: int
    changes: dict[str, tuple[Change, ...]]

    def stat(self, path: str, now: float) -> FileStat | None:
        current: FileStat | None = None
        for change in self.changes[path]:
            if change.time <= now:
                current = None if change.size is None else FileStat(change.size, change.size)
        return current


def simulate(scenario: Scenario) -> list[tuple[float, WatchBatch]]:
    """Drive a settler as the watcher does, jumping to each notice and each wake-up."""
    settler = Settler(
        settle=scenario.settle, max_hold=scenario.max_hold, max_batch=scenario.max_batch
    )
    notices = sorted(
        (c.time + c.delay, path) for path, changes in scenario.changes.items() for c in changes
    )
    sent: list[tuple[float, WatchBatch]] = []
    now = 0.0
    rounds_at_now = 0
    while True:
        while notices and notices[0][0] <= now:
            settler.notice(notices.pop(0)[1], now)
        for path in settler.due(now):
            settler.observe(path, scenario.stat(path, now), now)
        batch = settler.take(now)
        if batch is not None:
            sent.append((now, batch))
        wake = settler.wakeup(now)
        times = [t for t in (wake, notices[0][0] if notices else None) if t is not None]
        if not times:
            return sent
        if min(times) <= now:
            rounds_at_now += 1
            # Looking again at the same instant must make progress: a handful of rounds
            # (a look, then a batch, then the rest of a split batch) and no more.
            assert rounds_at_now <= 2 + len(scenario.changes), "busy loop"
            continue
        rounds_at_now = 0
        now = min(times)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    settle = draw(st.sampled_from([0.5, 1.0, 2.0]))
    # Times are in eighths of a second, exact in binary floating point.
    # Notices arrive late, but within the settle window (inotify's are milliseconds late).
    delays = st.integers(0, int(settle * 8) - 1).map(lambda d: d / 8)
    changes = {}
    for i in range(draw(st.integers(1, 6))):
        times = sorted(draw(st.lists(st.integers(0, 80), min_size=1, max_size=6, unique=True)))
        sizes: list[int | None] = list(range(1, len(times) + 1))
        if draw(st.booleans()):
            sizes[-1] = None
        changes[f"/m/{i}.mp4"] = tuple(
            Change(t / 8, size, draw(delays)) for t, size in zip(times, sizes, strict=True)
        )
    return Scenario(
        settle=settle,
        max_hold=draw(st.sampled_from([0.0, 1.0, 5.0, 10.0])),
        max_batch=draw(st.sampled_from([1, 3, 1000])),
        changes=changes,
    )


def emissions(sent: list[tuple[float, WatchBatch]]) -> list[tuple[float, str, bool]]:
    """(time, path, exists) for every file entry sent."""
    out = [(t, p, True) for t, b in sent for p in b.settled]
    out += [(t, p, False) for t, b in sent for p in b.deleted]
    return out


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_nothing_goes_out_while_it_is_changing(scenario: Scenario) -> None:
    """Every entry sent at T is what the file was at T, unchanged since T - settle."""
    for sent_at, path, exists in emissions(simulate(scenario)):
        assert (scenario.stat(path, sent_at) is not None) == exists
        assert not [
            c for c in scenario.changes[path] if sent_at - scenario.settle < c.time <= sent_at
        ], f"{path} sent at {sent_at} while changing"


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_every_final_state_goes_out_exactly_once_and_in_time(scenario: Scenario) -> None:
    """After a file's last change it is sent once, within settle + max_hold of its notices."""
    sent = emissions(simulate(scenario))
    for path, changes in scenario.changes.items():
        last = changes[-1].time
        after = [(t, exists) for t, p, exists in sent if p == path and t > last]
        assert len(after) == 1, f"{path}: {after}"
        sent_at, exists = after[0]
        assert exists == (changes[-1].size is not None)
        latest_notice = max(c.time + c.delay for c in changes)
        assert sent_at <= latest_notice + scenario.settle + scenario.max_hold + 1e-9


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_batches_are_never_empty_and_name_each_path_once(scenario: Scenario) -> None:
    """No empty batch; no path twice in one batch; no batch larger than max_batch."""
    for _, batch in simulate(scenario):
        paths = batch.settled + batch.deleted
        assert paths
        assert len(set(paths)) == len(paths)
        assert len(paths) <= scenario.max_batch


@settings(max_examples=200, deadline=None)
@given(settle=st.sampled_from([0.5, 2.0]), extra_hold=st.integers(0, 20), data=st.data())
def test_a_burst_goes_out_as_one_batch(settle: float, extra_hold: int, data: st.DataObject) -> None:
    """Files noticed less than a window apart, over no more than max_hold: one batch."""
    gaps = data.draw(st.lists(st.integers(0, int(settle * 8) - 1), min_size=1, max_size=60))
    times = [sum(gaps[: i + 1]) / 8 for i in range(len(gaps))]
    changes = {f"/m/{i:03}.mp4": (Change(t, 1, 0.0),) for i, t in enumerate(times)}
    max_hold = times[-1] - times[0] + extra_hold / 8
    sent = simulate(Scenario(settle=settle, max_hold=max_hold, max_batch=1000, changes=changes))
    assert [b.settled for _, b in sent] == [tuple(sorted(changes))]


@settings(max_examples=100, deadline=None)
@given(gap=st.integers(1, 7), count=st.integers(2, 40))
def test_a_long_copy_goes_out_once_per_hold(gap: int, count: int) -> None:
    """A copy longer than max_hold goes out every max_hold or so, each file exactly once."""
    settle, max_hold = 1.0, 3.0
    step_s = gap / 8  # files land closer together than the settle window
    changes = {f"/m/{i:03}.mp4": (Change(i * step_s, 1, 0.0),) for i in range(count)}
    sent = simulate(Scenario(settle=settle, max_hold=max_hold, max_batch=1000, changes=changes))
    names = [p for _, b in sent for p in b.settled]
    assert sorted(names) == sorted(changes)
    # Each batch but the last went out when its oldest file had waited max_hold.
    span = (count - 1) * step_s
    assert len(sent) <= span // max_hold + 1
