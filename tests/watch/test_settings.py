"""The watcher's settings, read from STOAT_WATCH_* variables."""

from __future__ import annotations

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
