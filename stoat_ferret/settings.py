"""Service settings, read from ``STOAT_*`` environment variables (pydantic-settings).

Every setting has a default that works on a fresh machine: data goes under the
user's data directory, the API binds loopback only, and scans are allowed under
the user's home directory. :meth:`Settings.from_env` reads the environment; a
``Settings(...)`` built with keywords takes only what it is given. A value that
cannot be used raises :class:`SettingsError`, whose message names the variable:
``STOAT_LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'loud'``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import attrs
import platformdirs
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .extensions import ExtensionError, normalize_extension
from .extensions import video_extensions as all_video_extensions

ENV_PREFIX = "STOAT_"

LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


class SettingsError(ValueError):
    """A setting holds a value that cannot be used; the message names its variable."""


def default_data_dir() -> Path:
    """Where the library lives unless ``STOAT_DATABASE_PATH`` says otherwise."""
    return Path(platformdirs.user_data_dir("stoat-ferret", appauthor=False))


def default_database_readers() -> int:
    """The CPUs and 4 more, at most 32: with more readers than CPUs a quick read gets a
    connection while slow ones run, instead of waiting for one of them to end."""
    return min(32, (os.cpu_count() or 1) + 4)


def env_name(field: str) -> str:
    """The environment variable of the setting ``field``: ``STOAT_`` and its name in capitals."""
    return ENV_PREFIX + field.upper()


def _expand_user(path: Path) -> Path:
    return path.expanduser()


def _scan_roots(value: object) -> object:
    """A JSON list of directories, or one directory path as it is."""
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            return [text]
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ValueError(
                'must be one directory path, or a JSON list of them such as ["/srv/media"]'
            ) from exc
    if isinstance(value, list | tuple) and all(isinstance(r, str | Path) for r in value):
        return tuple(value)
    raise ValueError('must be one directory path, or a JSON list of them such as ["/srv/media"]')


def _log_level(value: object) -> object:
    if isinstance(value, str) and value.strip().upper() in LOG_LEVELS:
        return value.strip().upper()
    raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")


def _niceness(value: int) -> int:
    if not 0 <= value <= 19:
        raise ValueError("must be from 0 to 19")
    return value


def _extensions(value: object) -> object:
    """A JSON list of extensions (``".r3d"`` or ``"R3D"``), normalised, duplicates dropped."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError as exc:
            raise ValueError('must be a JSON list of extensions such as [".r3d", "braw"]') from exc
    if not isinstance(value, list | tuple) or not all(isinstance(e, str) for e in value):
        raise ValueError('must be a JSON list of extensions such as [".r3d", "braw"]')
    try:
        return tuple(dict.fromkeys(normalize_extension(e) for e in value))
    except ExtensionError as exc:
        raise ValueError(str(exc)) from exc


#: The shortest API token accepted: shorter ones can be guessed over the network.
MIN_TOKEN_LENGTH = 16


def _host_names(value: object) -> object:
    """Host names as compared against a request's ``Host``: lower case, IPv6 unbracketed."""
    problem = 'must be a JSON list of host names such as ["media.example"]'
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except ValueError as exc:
            raise ValueError(problem) from exc
    if not isinstance(value, list | tuple) or not all(isinstance(h, str) for h in value):
        raise ValueError(problem)
    names = tuple(h.strip().lower().removeprefix("[").removesuffix("]") for h in value)
    for name in names:
        if not name or any(c.isspace() or c in "/@?#" for c in name):
            raise ValueError(f"{name!r} is not a host name or address")
    return names


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) < MIN_TOKEN_LENGTH:
        raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters")
    if not all("!" <= c <= "~" for c in value):
        raise ValueError("must be printable ASCII without spaces")
    return value


UserPath = Annotated[Path, AfterValidator(_expand_user)]
Seconds = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


class Settings(BaseSettings):
    """Everything the service can be told at start-up."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,
        frozen=True,
        extra="forbid",
        validate_default=True,
    )

    database_path: UserPath = Field(
        default_factory=lambda: default_data_dir() / "library.db",
        description="The SQLite library; missing parent directories are created.",
    )
    thumbnail_dir: UserPath = Field(
        default_factory=lambda: default_data_dir() / "thumbnails",
        description="Where thumbnail images are kept (created when needed).",
    )
    api_host: str = Field(default="127.0.0.1", description="Address to bind.")
    api_port: int = Field(default=8000, ge=0, le=65535, description="Port to bind.")
    allowed_scan_roots: Annotated[tuple[UserPath, ...], NoDecode, BeforeValidator(_scan_roots)] = (
        Field(
            default_factory=lambda: (Path.home(),),
            description="Directories scans may read below: one path, or a JSON list of paths.",
        )
    )
    log_level: Annotated[str, BeforeValidator(_log_level)] = Field(
        default="INFO", description=f"Log level: {', '.join(LOG_LEVELS)} (any case)."
    )
    prober: Literal["ffprobe", "libav"] = Field(
        default="ffprobe",
        description="How files are read: ffprobe and ffmpeg run per file (the reference), or "
        "libav, long-lived media workers using PyAV (pip install 'stoat-ferret[libav]').",
    )
    ffprobe_path: str = Field(
        default="ffprobe", description="The ffprobe program (looked up on PATH unless a path)."
    )
    ffmpeg_path: str = Field(default="ffmpeg", description="The ffmpeg program, for thumbnails.")
    probe_timeout: Seconds = Field(
        default=30.0, description="Seconds one ffprobe run may take; then the file is an error."
    )
    probe_concurrency: Count = Field(
        default_factory=lambda: os.cpu_count() or 1,
        description="Files read at once across all jobs: ffprobe and ffmpeg processes, or "
        "media workers (default: CPUs).",
    )
    probe_nice: Annotated[int, AfterValidator(_niceness)] = Field(
        default=10,
        description="Niceness ffprobe and ffmpeg run at (0-19; 0 is the server's own).",
    )
    database_readers: Count = Field(
        default_factory=default_database_readers,
        description="Reader connections to the library, hence reads at once "
        "(default: the CPUs and 4 more, at most 32).",
    )
    thumbnails_after_scan: bool = Field(
        default=True,
        description="Queue a thumbnails job after each scan that stored new or changed videos.",
    )
    thumbnail_timeout: Seconds = Field(
        default=30.0,
        description="Seconds one thumbnail, or one scrub strip, may take; then the video is "
        "an error.",
    )
    strip_frames: Annotated[int, Field(ge=0, le=100)] = Field(
        default=16,
        description="Frames in each video's scrub strip, made with its thumbnail (0: no strips).",
    )
    thumbnail_job_timeout: Seconds = Field(
        default=4 * 3600.0,
        description="Seconds a thumbnails job may run before it ends as timeout.",
    )
    max_running_jobs: Count = Field(
        default=2, description="Jobs running at once; the rest wait as pending."
    )
    scan_timeout: Seconds = Field(
        default=4 * 3600.0, description="Seconds a scan job may run before it ends as timeout."
    )
    cancel_wait: Seconds = Field(
        default=10.0,
        description="Seconds a cancel request waits for the job's final state before 202.",
    )
    shutdown_grace: Seconds = Field(
        default=5.0, description="Seconds running jobs get to wind down at shutdown."
    )
    loop_warn_threshold: Seconds = Field(
        default=0.1,
        description="A task step holding the event loop longer than this is logged as a warning.",
    )
    ws_heartbeat_interval: Seconds = Field(
        default=30.0, description="Seconds of silence on /ws before a heartbeat is sent."
    )
    ws_replay_size: Count = Field(
        default=2048, description="Events kept for clients that reconnect with the last id."
    )
    ws_client_buffer: Count = Field(
        default=256,
        description="Undelivered non-progress events one /ws client may fall behind by.",
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_host_names)] = Field(
        default=(),
        description="Host names, besides the loopback ones and a non-wildcard bind address, "
        "that requests may name in Host and whose pages may send changes: a JSON list.",
    )
    api_token: Annotated[str | None, AfterValidator(_token)] = Field(
        default=None,
        repr=False,
        description="Bearer token the API, /ws and the page require (at least 16 printable "
        "characters); required to bind beyond loopback. serve --token-file reads it from a file.",
    )
    max_pending_jobs: Count = Field(
        default=100, description="Jobs that may wait as pending at once; more are refused (429)."
    )
    watch_settle: Seconds = Field(
        default=2.0,
        description="Seconds a new or changed file in a watched folder must keep the same size "
        "and mtime before it is probed.",
    )
    watch_poll: bool = Field(
        default=False,
        description="Poll watched folders instead of using inotify (for network filesystems, "
        "where inotify does not see changes made by other machines).",
    )
    watch_poll_interval: Seconds = Field(
        default=10.0, description="Seconds between two walks of a polled folder."
    )
    watch_roots: Annotated[tuple[UserPath, ...], NoDecode, BeforeValidator(_scan_roots)] = Field(
        default=(),
        description="Folders watched from start-up (each under an allowed scan root): one "
        "path, or a JSON list of paths. Added once; removing one through the API lasts until "
        "the next start.",
    )
    rescan_interval: Seconds | None = Field(
        default=None,
        description="Seconds between scans of every watched folder, to catch what a watcher "
        "cannot see (network filesystems, lost events); unset: never.",
    )
    resume_interrupted: bool = Field(
        default=True,
        description="Submit scans (and watch jobs) interrupted by a stop again at the next start.",
    )
    video_extensions: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_extensions)] = Field(
        default=(),
        description="File name extensions to treat as video on top of the built-in list, "
        'as a JSON list such as [".r3d", "braw"].',
    )

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_describe(exc)) from exc

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keywords only: the environment is read by from_env, from the mapping it is given.
        return (init_settings,)

    @property
    def data_dir(self) -> Path:
        return self.database_path.parent

    @property
    def all_video_extensions(self) -> frozenset[str]:
        """Every extension a scan treats as video: the built-in list and the extra ones."""
        return all_video_extensions(self.video_extensions)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``STOAT_*`` variables (default: the process's); ``overrides`` win.

        An unset or empty variable means the default.
        """
        source = EnvSettingsSource(cls)
        env = os.environ if environ is None else environ
        # The source reads the names in lower case (settings are not case-sensitive).
        source.env_vars = {k.lower(): v for k, v in env.items() if v != ""}
        try:
            values = source()
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
        return cls(**{**values, **overrides})


#: Settings whose values are never printed.
_SECRET = frozenset({"api_token"})


def _describe(error: ValidationError) -> str:
    """One sentence per bad value, naming its variable."""
    sentences = []
    for problem in error.errors(include_url=False):
        field = str(problem["loc"][0]) if problem["loc"] else "settings"
        # A secret is never echoed back, not even a wrong one.
        got = "" if field in _SECRET else f", got {problem['input']!r}"
        sentences.append(f"{env_name(field)} {_what_is_wrong(problem)}{got}")
    return "; ".join(sentences)


def _what_is_wrong(problem: Any) -> str:
    kind = problem["type"]
    context = problem.get("ctx") or {}
    if kind == "value_error":
        return str(context["error"])
    if kind == "greater_than":
        return f"must be greater than {context['gt']:g}"
    if kind == "greater_than_equal":
        return f"must be at least {context['ge']:g}"
    if kind == "less_than_equal":
        return f"must be at most {context['le']:g}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "must be a number"
    if kind == "literal_error":
        return f"must be {context['expected']}"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind == "extra_forbidden":
        return "is not a setting"
    message = str(problem["msg"])
    return message[:1].lower() + message[1:]


@attrs.frozen
class SettingHelp:
    """One setting as ``serve --help`` lists it."""

    variable: str
    default: str
    help: str


def describe_settings() -> list[SettingHelp]:
    """Every ``STOAT_*`` variable with its default (as it would be here) and what it does."""
    defaults = Settings()
    described = []
    for name, field in Settings.model_fields.items():
        described.append(
            SettingHelp(env_name(name), _as_text(getattr(defaults, name)), field.description or "")
        )
    return described


def _as_text(value: object) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return json.dumps([str(v) for v in value])
    return str(value)
