"""Settings from STOAT_* variables: defaults, parsing, and errors that name the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stoat_ferret.settings import (
    ENV_PREFIX,
    Settings,
    SettingsError,
    default_data_dir,
    describe_settings,
    env_name,
)

HOME = Path.home()


def test_defaults_work_on_a_fresh_machine() -> None:
    """Without variables: data under the user's data directory, loopback, roots = home."""
    settings = Settings.from_env({})
    assert settings.database_path == default_data_dir() / "library.db"
    assert settings.thumbnail_dir == default_data_dir() / "thumbnails"
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)
    assert settings.allowed_scan_roots == (HOME,)
    assert settings.log_level == "INFO"
    assert settings.probe_concurrency == (os.cpu_count() or 1)
    assert (settings.thumbnail_timeout, settings.thumbnail_job_timeout) == (30.0, 14400.0)
    assert settings.thumbnails_after_scan is True


@pytest.mark.parametrize(
    ("raw", "roots"),
    [
        pytest.param("/srv/media", (Path("/srv/media"),), id="bare-path"),
        pytest.param("  /srv/media ", (Path("/srv/media"),), id="bare-path-padded"),
        pytest.param("~/Videos", (HOME / "Videos",), id="bare-home-path"),
        pytest.param(
            '["/srv/media", "~/Videos"]', (Path("/srv/media"), HOME / "Videos"), id="list"
        ),
        pytest.param("[]", (), id="empty-list"),
    ],
)
def test_scan_roots_take_one_path_or_a_json_list(raw: str, roots: tuple[Path, ...]) -> None:
    """STOAT_ALLOWED_SCAN_ROOTS is one directory as it is, or a JSON list of them."""
    assert Settings.from_env({"STOAT_ALLOWED_SCAN_ROOTS": raw}).allowed_scan_roots == roots


def test_variables_are_parsed_into_their_types() -> None:
    """Numbers, booleans, paths and the log level are read from their text forms."""
    settings = Settings.from_env(
        {
            "STOAT_DATABASE_PATH": "~/lib/library.db",
            "STOAT_API_PORT": "9000",
            "STOAT_PROBE_TIMEOUT": "2.5",
            "STOAT_THUMBNAILS_AFTER_SCAN": "off",
            "STOAT_LOG_LEVEL": "debug",
            "STOAT_THUMBNAIL_TIMEOUT": "7",
        }
    )
    assert settings.database_path == HOME / "lib" / "library.db"
    assert settings.data_dir == HOME / "lib"
    assert (settings.api_port, settings.probe_timeout) == (9000, 2.5)
    assert settings.thumbnails_after_scan is False
    assert (settings.log_level, settings.thumbnail_timeout) == ("DEBUG", 7.0)


def test_an_empty_variable_means_the_default_and_overrides_win() -> None:
    """An empty variable is unset; keyword overrides beat the environment."""
    settings = Settings.from_env(
        {"STOAT_LOG_LEVEL": "", "STOAT_API_PORT": "9000"}, api_port=0, api_host="::1"
    )
    assert (settings.log_level, settings.api_port, settings.api_host) == ("INFO", 0, "::1")


def test_keyword_settings_read_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Settings(...)`` takes only what it is given; from_env() reads the process's variables."""
    monkeypatch.setenv("STOAT_LOG_LEVEL", "ERROR")
    assert Settings(api_port=0).log_level == "INFO"
    assert Settings.from_env().log_level == "ERROR"


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        (
            "STOAT_LOG_LEVEL",
            "loud",
            "STOAT_LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'loud'",
        ),
        (
            "STOAT_ALLOWED_SCAN_ROOTS",
            '["/srv", 3]',
            "STOAT_ALLOWED_SCAN_ROOTS must be one directory path, or a JSON list of them such "
            'as ["/srv/media"], got \'["/srv", 3]\'',
        ),
        (
            "STOAT_ALLOWED_SCAN_ROOTS",
            "[/srv",
            "STOAT_ALLOWED_SCAN_ROOTS must be one directory path, or a JSON list of them such "
            "as [\"/srv/media\"], got '[/srv'",
        ),
        ("STOAT_PROBE_TIMEOUT", "0", "STOAT_PROBE_TIMEOUT must be greater than 0, got '0'"),
        ("STOAT_PROBE_TIMEOUT", "soon", "STOAT_PROBE_TIMEOUT must be a number, got 'soon'"),
        ("STOAT_API_PORT", "eighty", "STOAT_API_PORT must be a whole number, got 'eighty'"),
        ("STOAT_API_PORT", "70000", "STOAT_API_PORT must be at most 65535, got '70000'"),
        ("STOAT_MAX_RUNNING_JOBS", "0", "STOAT_MAX_RUNNING_JOBS must be at least 1, got '0'"),
        ("STOAT_PROBE_NICE", "20", "STOAT_PROBE_NICE must be from 0 to 19, got '20'"),
        (
            "STOAT_THUMBNAILS_AFTER_SCAN",
            "maybe",
            "STOAT_THUMBNAILS_AFTER_SCAN must be true or false, got 'maybe'",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(variable: str, raw: str, message: str) -> None:
    """Each unusable value raises SettingsError with a sentence that names the variable."""
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env({variable: raw})
    assert str(excinfo.value) == message


def test_every_bad_value_is_named_at_once() -> None:
    """Several bad values are reported together, one sentence each."""
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env({"STOAT_API_PORT": "x", "STOAT_LOG_LEVEL": "y"})
    assert str(excinfo.value) == (
        "STOAT_API_PORT must be a whole number, got 'x'; "
        "STOAT_LOG_LEVEL must be one of CRITICAL, ERROR, WARNING, INFO, DEBUG, got 'y'"
    )


def test_a_keyword_that_is_no_setting_is_refused() -> None:
    """Settings(...) with an unknown name raises SettingsError rather than ignoring it."""
    with pytest.raises(SettingsError, match=r"^STOAT_PROBE_TIMOUT is not a setting, got 3$"):
        Settings(probe_timout=3)


def test_describe_settings_lists_every_variable_with_its_default_and_help() -> None:
    """describe_settings covers each setting once: its variable, default as text, and help."""
    described = describe_settings()
    assert [d.variable for d in described] == [env_name(n) for n in Settings.model_fields]
    assert all(d.variable.startswith(ENV_PREFIX) for d in described)
    assert all(d.help for d in described)
    defaults = {d.variable: d.default for d in described}
    assert defaults["STOAT_API_HOST"] == "127.0.0.1"
    assert defaults["STOAT_API_PORT"] == "8000"
    assert defaults["STOAT_SCAN_TIMEOUT"] == "14400"
    assert defaults["STOAT_LOOP_WARN_THRESHOLD"] == "0.1"
    assert defaults["STOAT_THUMBNAILS_AFTER_SCAN"] == "true"
    assert defaults["STOAT_DATABASE_PATH"] == str(default_data_dir() / "library.db")
    assert defaults["STOAT_ALLOWED_SCAN_ROOTS"] == f'["{HOME}"]'
