"""A JSON form for the probe's attrs values, exact both ways. Pure.

:func:`dump` turns a frozen attrs value into plain JSON data and :func:`load` builds it
back from that data, checked against the class's annotations, so that
``load(type(v), dump(v)) == v`` for every value the probe makes. Fractions are written
as ``"numerator/denominator"`` text and datetimes as ISO 8601 text, both of which read
back exactly; floats round-trip exactly through JSON already. A union of attrs classes
(the stream types) is told apart by each member's ``kind``.

Loading refuses, with :class:`JsonFormError` naming the place, anything it was not
written as: unknown keys, wrong types, malformed fractions or times. A field missing
from the data takes its default, so values written before a field was added still load.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime
from fractions import Fraction
from typing import Any, Literal, TypeVar, Union

import attrs

T = TypeVar("T")

#: Turns one stored JSON value into a model value; the text names the place, for errors.
Loader = Callable[[Any, str], Any]


class JsonFormError(ValueError):
    """Stored JSON that does not describe the value it should."""


def dump(value: Any) -> Any:
    """Plain JSON data (dicts, lists, text, numbers, None) for an attrs value."""
    cls: Any = type(value)  # Any: mypy does not see a class as hashable for the cache
    if attrs.has(cls):
        return {name: convert(getattr(value, name)) for name, convert in _dumpers(cls)}
    return _dump_any(value)


def load(cls: type[T], data: Any) -> T:
    """The value of attrs class ``cls`` that :func:`dump` wrote as ``data``."""
    kind: Any = cls
    result: T = _loader(kind)(data, "$")
    return result


# -- dumping -----------------------------------------------------------------------------------


def _dump_any(value: Any) -> Any:
    if attrs.has(type(value)):
        return dump(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump_any(item) for item in value]
    return value


def _same(value: Any) -> Any:
    return value


@functools.cache
def _dumpers(cls: Any) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each field with how to write it: as it is when its type is plain JSON already."""
    plain = {int, float, str, bool, type(None)}
    result = []
    for name, kind in _field_types(cls).items():
        members = set(typing.get_args(kind)) if _is_union(kind) else {kind}
        is_plain = all(m in plain or typing.get_origin(m) is Literal for m in members)
        result.append((name, _same if is_plain else _dump_any))
    return tuple(result)


# -- loading -----------------------------------------------------------------------------------


def _is_union(kind: Any) -> bool:
    origin = typing.get_origin(kind)
    return origin is Union or origin is types.UnionType


@functools.cache
def _loader(kind: Any) -> Loader:
    """How to load a value of type ``kind``, worked out once per type."""
    if attrs.has(kind):
        return _attrs_loader(kind)
    if _is_union(kind):
        return _union_loader(typing.get_args(kind))
    origin = typing.get_origin(kind)
    if origin is tuple:
        return _tuple_loader(_loader(typing.get_args(kind)[0]))
    if origin is Literal:
        return _literal_loader(typing.get_args(kind))
    if kind is type(None):
        return _load_none
    loader = _SCALARS.get(kind)
    if loader is None:  # pragma: no cover - a model field of a type this module lacks
        raise TypeError(f"no JSON form for {kind!r}")
    return loader


def _attrs_loader(cls: Any) -> Loader:
    fields = {name: _loader(kind) for name, kind in _field_types(cls).items()}

    def load_attrs(data: Any, where: str) -> Any:
        if not isinstance(data, dict):
            raise JsonFormError(f"{where}: expected an object, got {_name(data)}")
        unknown = data.keys() - fields.keys()
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise JsonFormError(f"{where}: unknown field(s) {names}")
        values = {name: fields[name](value, f"{where}.{name}") for name, value in data.items()}
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise JsonFormError(f"{where}: {exc}") from exc

    return load_attrs


def _union_loader(members: tuple[Any, ...]) -> Loader:
    optional = type(None) in members
    rest = tuple(m for m in members if m is not type(None))
    if len(rest) == 1:
        inner = _loader(rest[0])

        def load_optional(data: Any, where: str) -> Any:
            return None if data is None and optional else inner(data, where)

        return load_optional
    # A union of attrs classes: the member whose ``kind`` names the data's kind, else the
    # member that takes any kind (its ``kind`` is plain text).
    if not all(attrs.has(m) for m in rest):  # pragma: no cover - no such field in the models
        raise TypeError(f"no JSON form for a union of {rest!r}")
    by_kind = {tag: _loader(member) for tag, member in _kinds(rest).items()}

    def load_tagged(data: Any, where: str) -> Any:
        if data is None and optional:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
            raise JsonFormError(f"{where}: expected an object with a kind")
        chosen = by_kind.get(data["kind"]) or by_kind.get(None)
        if chosen is None:
            raise JsonFormError(f"{where}: unknown kind {data['kind']!r}")
        return chosen(data, where)

    return load_tagged


def _tuple_loader(item: Loader) -> Loader:
    def load_tuple(data: Any, where: str) -> Any:
        if not isinstance(data, list):
            raise JsonFormError(f"{where}: expected a list, got {_name(data)}")
        return tuple(item(value, f"{where}[{i}]") for i, value in enumerate(data))

    return load_tuple


def _literal_loader(allowed: tuple[Any, ...]) -> Loader:
    def load_literal(data: Any, where: str) -> Any:
        if not isinstance(data, str) or data not in allowed:
            choices = ", ".join(map(repr, allowed))
            raise JsonFormError(f"{where}: expected one of {choices}, got {data!r}")
        return data

    return load_literal


def _load_none(data: Any, where: str) -> None:
    if data is not None:
        raise JsonFormError(f"{where}: expected null, got {_name(data)}")


@functools.cache
def _field_types(cls: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in attrs.fields(cls)}


def _kinds(members: tuple[Any, ...]) -> dict[str | None, Any]:
    """Each member by the kind it is tagged with; the open member (any kind) under None."""
    by_kind: dict[str | None, Any] = {}
    for member in members:
        kind_type = _field_types(member)["kind"]
        if typing.get_origin(kind_type) is Literal:
            for tag in typing.get_args(kind_type):
                by_kind[tag] = member
        else:
            by_kind[None] = member
    return by_kind


def _name(data: Any) -> str:
    return "null" if data is None else type(data).__name__


def _load_int(data: Any, where: str) -> int:
    if not isinstance(data, int) or isinstance(data, bool):
        raise JsonFormError(f"{where}: expected an integer, got {_name(data)}")
    return data


def _load_float(data: Any, where: str) -> float:
    if not isinstance(data, int | float) or isinstance(data, bool):
        raise JsonFormError(f"{where}: expected a number, got {_name(data)}")
    return float(data)


def _load_str(data: Any, where: str) -> str:
    if not isinstance(data, str):
        raise JsonFormError(f"{where}: expected text, got {_name(data)}")
    return data


def _load_bool(data: Any, where: str) -> bool:
    if not isinstance(data, bool):
        raise JsonFormError(f"{where}: expected true or false, got {_name(data)}")
    return data


def _load_fraction(data: Any, where: str) -> Fraction:
    text = _load_str(data, where)
    numerator, slash, denominator = text.partition("/")
    try:
        if not (numerator.lstrip("-").isdigit() and (not slash or denominator.isdigit())):
            raise ValueError(text)
        return Fraction(int(numerator), int(denominator) if slash else 1)
    except (ValueError, ZeroDivisionError):
        raise JsonFormError(
            f"{where}: expected a fraction such as 30000/1001, got {text!r}"
        ) from None


def _load_datetime(data: Any, where: str) -> datetime:
    text = _load_str(data, where)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise JsonFormError(f"{where}: expected an ISO 8601 time, got {text!r}") from None
    if moment.tzinfo is None:
        raise JsonFormError(f"{where}: the time {text!r} has no UTC offset")
    return moment


_SCALARS: dict[Any, Loader] = {
    int: _load_int,
    float: _load_float,
    str: _load_str,
    bool: _load_bool,
    Fraction: _load_fraction,
    datetime: _load_datetime,
}
