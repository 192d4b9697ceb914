"""Single-exception groups seen as their one exception."""

from __future__ import annotations

import pytest
import trio

from stoat_ferret.excgroups import first_leaf, leaves, single_leaf, unwrap_single


def nested() -> BaseExceptionGroup[BaseException]:
    return BaseExceptionGroup(
        "outer", [ValueError("a"), BaseExceptionGroup("inner", [KeyError("b"), OSError("c")])]
    )


def test_leaves_flatten_groups_depth_first() -> None:
    """leaves lists every exception inside, in order, without the groups."""
    assert [str(e) for e in leaves(nested())] == ["a", "'b'", "c"]
    plain = RuntimeError("x")
    assert leaves(plain) == [plain]


def test_first_and_single_leaf() -> None:
    """first_leaf is the first exception inside; single_leaf only exists for a group of one."""
    assert str(first_leaf(nested())) == "a"
    lone = OSError("only")
    assert single_leaf(ExceptionGroup("g", [ExceptionGroup("h", [lone])])) is lone
    assert single_leaf(nested()) is None


async def test_unwrap_single_raises_the_lone_exception_of_a_nursery() -> None:
    """A nursery whose one child failed raises that failure itself, cause kept."""

    async def fail() -> None:
        await trio.lowlevel.checkpoint()
        try:
            raise KeyError("inner")
        except KeyError as exc:
            raise OSError("disk") from exc

    with pytest.raises(OSError, match=r"^disk$") as excinfo, unwrap_single():
        async with trio.open_nursery() as nursery:
            nursery.start_soon(fail)
    assert isinstance(excinfo.value.__cause__, KeyError)


def test_unwrap_single_lets_several_failures_through_as_a_group() -> None:
    """Two failures stay a group: neither may hide the other."""
    with pytest.RaisesGroup(ValueError, KeyError, OSError, flatten_subgroups=True), unwrap_single():
        raise nested()
