"""Service settings, read from ``STOAT_*`` environment variables.

Every setting has a default that works on a fresh machine: data goes under the
user's data directory, the API binds loopback only, and scans are allowed under
the user's home directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import platformdirs

ENV_PREFIX = "STOAT_"


class SettingsError(ValueError):
    """A ``STOAT_*`` variable holds a value that cannot be used."""


def default_data_dir() -> Path:
    """Where the library lives unless ``STOAT_DATABASE_PATH`` says otherwise."""
    return Path(platformdirs.user_data_dir("stoat-ferret", appauthor=False))


def _positive_float(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise SettingsError(f"{attribute.name} must be greater than 0, got {value!r}")


def _positive_int(_instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if value < 1:
        raise SettingsError(f"{attribute.name} must be at least 1, got {value!r}")


def _path_tuple(roots: Iterable[str | Path]) -> tuple[Path, ...]:
    return tuple(Path(r) for r in roots)


def _boolean(value: bool | str) -> bool:
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"expected true or false, got {value!r}")


def _niceness(_instance: object, attribute: attrs.Attribute[Any], value: int) -> None:
    if not 0 <= value <= 19:
        raise SettingsError(f"{attribute.name} must be from 0 to 19, got {value!r}")


_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def _upper(value: str) -> str:
    return value.upper()


def _log_level(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if value not in _LOG_LEVELS:
        raise SettingsError(f"{attribute.name} must be one of {', '.join(_LOG_LEVELS)}")


# -- access control -------------------------------------------------------------------------

#: The shortest API token accepted: shorter ones can be guessed over the network.
MIN_TOKEN_LENGTH = 16


def _host_names(names: Iterable[str]) -> tuple[str, ...]:
    """Host names as compared against a request's ``Host``: lower case, IPv6 unbracketed."""
    return tuple(str(n).strip().lower().removeprefix("[").removesuffix("]") for n in names)


def _host_list(_instance: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for name in value:
        if not name or any(c.isspace() or c in "/@?#" for c in name):
            raise SettingsError(f"{attribute.name}: {name!r} is not a host name or address")


def _token(_instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if len(value) < MIN_TOKEN_LENGTH:
        raise SettingsError(f"{attribute.name} must be at least {MIN_TOKEN_LENGTH} characters")
    if not all("!" <= c <= "~" for c in value):
        raise SettingsError(f"{attribute.name} must be printable ASCII without spaces")


# ----------------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the service can be told at start-up."""

    database_path: Path = attrs.field(factory=lambda: default_data_dir() / "library.db")
    thumbnail_dir: Path = attrs.field(factory=lambda: default_data_dir() / "thumbnails")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    #: Directories a scan may read below. Unset means the user's home directory.
    allowed_scan_roots: tuple[Path, ...] = attrs.field(
        factory=lambda: (Path.home(),), converter=_path_tuple
    )
    log_level: str = attrs.field(default="INFO", converter=_upper, validator=_log_level)
    ffprobe_path: str = "ffprobe"
    ffmpeg_path: str = "ffmpeg"
    #: Seconds one ffprobe call may take before the file is reported as timed out.
    probe_timeout: float = attrs.field(default=30.0, validator=_positive_float)
    #: Parallel ffprobe processes across all jobs.
    probe_concurrency: int = attrs.field(
        factory=lambda: os.cpu_count() or 1, validator=_positive_int
    )
    #: Niceness ffprobe runs at (0 to 19; 0 = the server's own priority). Below the
    #: server's, so probing every core still leaves the event loop a CPU when it needs one.
    probe_nice: int = attrs.field(default=10, validator=_niceness)
    #: Queue a thumbnails job after each scan that stored new or changed videos.
    thumbnails_after_scan: bool = attrs.field(default=True, converter=_boolean)
    #: Jobs running at once; the rest wait as ``pending``.
    max_running_jobs: int = attrs.field(default=2, validator=_positive_int)
    #: Seconds a scan job may run before it ends as ``timeout``.
    scan_timeout: float = attrs.field(default=4 * 3600.0, validator=_positive_float)
    #: Seconds ``POST /jobs/{id}/cancel`` waits for the job to reach its final state.
    cancel_wait: float = attrs.field(default=10.0, validator=_positive_float)
    #: Seconds running jobs get to wind down at shutdown before they are abandoned.
    shutdown_grace: float = attrs.field(default=5.0, validator=_positive_float)
    #: A task step holding the event loop longer than this (seconds) is logged as a warning.
    loop_warn_threshold: float = attrs.field(default=0.1, validator=_positive_float)
    ws_heartbeat_interval: float = attrs.field(default=30.0, validator=_positive_float)
    #: Events kept for clients that reconnect with the last id they saw.
    ws_replay_size: int = attrs.field(default=2048, validator=_positive_int)
    #: Undelivered non-progress events one WebSocket client may fall behind by.
    ws_client_buffer: int = attrs.field(default=256, validator=_positive_int)

    # -- access control and limits (see docs/security.md) ------------------------------------
    #: Host names (besides loopback and a non-wildcard bind address) requests may name in
    #: ``Host``, and whose pages may send state-changing requests. A JSON list.
    allowed_hosts: tuple[str, ...] = attrs.field(
        default=(), converter=_host_names, validator=_host_list
    )
    #: Bearer token for the API, ``/ws`` and the page; required to bind beyond loopback.
    api_token: str | None = attrs.field(default=None, repr=False, validator=_token)
    #: Jobs that may wait as ``pending`` at once; more are refused with 429.
    max_pending_jobs: int = attrs.field(default=100, validator=_positive_int)

    @property
    def data_dir(self) -> Path:
        return self.database_path.parent

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``STOAT_*`` variables; ``overrides`` win over both."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in attrs.fields(cls):
            raw = env.get(ENV_PREFIX + field.name.upper())
            if raw is None or raw == "":
                continue
            values[field.name] = _parse(field.name, field.type, raw)
        values.update(overrides)
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:
            raise SettingsError(str(exc)) from exc


def _parse(name: str, kind: Any, raw: str) -> Any:
    env_name = ENV_PREFIX + name.upper()
    try:
        if kind in ("int", int):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if kind in ("bool", bool):
            return _boolean(raw)
        if kind in ("Path", Path):
            return Path(raw).expanduser()
        if name == "allowed_scan_roots":
            roots = json.loads(raw)
            if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
                raise ValueError("expected a JSON list of directory paths")
            return tuple(Path(r).expanduser() for r in roots)
        if name == "allowed_hosts":
            hosts = json.loads(raw)
            if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
                raise ValueError("expected a JSON list of host names")
            return tuple(hosts)
    except ValueError as exc:
        raise SettingsError(f"{env_name}={raw!r}: {exc}") from exc
    return raw
