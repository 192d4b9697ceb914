"""The watcher's settings, read from STOAT_WATCH_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from stoat_ferret.settings import Settings, SettingsError


def test_watch_settings_default_to_a_two_second_window_and_inotify() -> None:
    """Unset: settle 2 s, no forced polling, polls (when polling) 10 s apart."""
    settings = Settings.from_env({})
    assert settings.watch_settle == 2.0
    assert settings.watch_poll is False
    assert settings.watch_poll_interval == 10.0


def test_watch_settings_are_read_from_the_environment() -> None:
    """STOAT_WATCH_SETTLE, STOAT_WATCH_POLL and STOAT_WATCH_POLL_INTERVAL are parsed."""
    settings = Settings.from_env(
        {
            "STOAT_WATCH_SETTLE": "0.5",
            "STOAT_WATCH_POLL": "true",
            "STOAT_WATCH_POLL_INTERVAL": "30",
        }
    )
    assert (settings.watch_settle, settings.watch_poll, settings.watch_poll_interval) == (
        0.5,
        True,
        30.0,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STOAT_WATCH_SETTLE", "0"),
        ("STOAT_WATCH_POLL", "sometimes"),
        ("STOAT_WATCH_POLL_INTERVAL", "-1"),
    ],
)
def test_watch_settings_out_of_range_are_refused(name: str, value: str) -> None:
    """A zero settle window, a non-boolean poll flag or a negative interval is refused."""
    with pytest.raises(SettingsError):
        Settings.from_env({name: value})


def test_service_side_watch_settings_default_off_and_resuming_on() -> None:
    """Unset: no watch roots, no scheduled rescans, resuming interrupted scans on."""
    settings = Settings.from_env({})
    assert settings.watch_roots == ()
    assert settings.rescan_interval is None
    assert settings.resume_interrupted is True


def test_watch_roots_take_one_path_or_a_json_list(tmp_path: Path) -> None:
    """STOAT_WATCH_ROOTS: one folder, or a JSON list; ``~`` is expanded."""
    one = Settings.from_env({"STOAT_WATCH_ROOTS": str(tmp_path)})
    assert one.watch_roots == (tmp_path,)
    many = Settings.from_env({"STOAT_WATCH_ROOTS": f'["{tmp_path}/a", "~/b"]'})
    assert many.watch_roots == (tmp_path / "a", Path.home() / "b")


def test_rescan_interval_and_resuming_are_read_from_the_environment() -> None:
    """STOAT_RESCAN_INTERVAL and STOAT_RESUME_INTERRUPTED are parsed."""
    settings = Settings.from_env(
        {"STOAT_RESCAN_INTERVAL": "3600", "STOAT_RESUME_INTERRUPTED": "false"}
    )
    assert (settings.rescan_interval, settings.resume_interrupted) == (3600.0, False)


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("STOAT_WATCH_ROOTS", "[1, 2]", "JSON list"),
        ("STOAT_WATCH_ROOTS", "[not json", "JSON list"),
        ("STOAT_RESCAN_INTERVAL", "0", "greater than 0"),
        ("STOAT_RESUME_INTERRUPTED", "perhaps", "true or false"),
    ],
)
def test_service_side_watch_settings_that_cannot_be_used_are_refused(
    name: str, value: str, complaint: str
) -> None:
    """A bad value names its variable and says what is wrong."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({name: value})
    assert name in str(caught.value)
    assert complaint in str(caught.value)
