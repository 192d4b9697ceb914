"""The access policy's answers: host names, origins, the exposure rule and token comparison."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest

from stoat_ferret.api.access import (
    AccessPolicy,
    exposure_problem,
    is_loopback_bind,
    split_host,
)
from stoat_ferret.settings import Settings, SettingsError

TOKEN = "a-token-of-enough-length"


def settings(**changes: object) -> Settings:
    return Settings(database_path=Path("/nonexistent/library.db"), **changes)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("localhost", ("localhost", None)),
        ("LocalHost:8000", ("localhost", 8000)),
        ("127.0.0.1:65535", ("127.0.0.1", 65535)),
        ("[::1]", ("::1", None)),
        ("[::1]:80", ("::1", 80)),
        ("media.example.org", ("media.example.org", None)),
        ("", None),
        ("127.0.0.1:0", None),
        ("127.0.0.1:65536", None),
        ("127.0.0.1:", None),
        ("[::1", None),
        ("[nothex]:80", None),
        ("::1", None),
        ("user@host", None),
        ("host name", None),
        ("localhost.", None),
        ("-bad.example", None),
        ("a/b", None),
    ],
)
def test_split_host(value: str, expected: tuple[str, int | None] | None) -> None:
    """Host values split into a lower-case name and port; anything malformed is None."""
    assert split_host(value) == expected


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("example.org", False),
    ],
)
def test_loopback_binds(host: str, loopback: bool) -> None:
    """Only loopback addresses (and localhost) count as binding to this machine alone."""
    assert is_loopback_bind(host) is loopback


def test_binding_beyond_loopback_needs_a_token() -> None:
    """A wildcard or network bind without a token is refused, saying how to set one."""
    problem = exposure_problem(settings(api_host="0.0.0.0"))
    assert problem is not None
    assert problem.startswith("refusing to serve on 0.0.0.0 without an API token")
    assert "STOAT_API_TOKEN" in problem
    assert "--token-file" in problem
    assert exposure_problem(settings(api_host="0.0.0.0", api_token=TOKEN)) is None
    assert exposure_problem(settings(api_host="127.0.0.1")) is None


def test_the_bind_address_is_an_allowed_host_unless_a_wildcard() -> None:
    """A specific bind address is answered to; a wildcard names no host and adds none."""
    specific = AccessPolicy.from_settings(settings(api_host="192.0.2.7", api_token=TOKEN))
    wildcard = AccessPolicy.from_settings(settings(api_host="0.0.0.0", api_token=TOKEN))
    assert specific.host_allowed(("192.0.2.7", 8000))
    assert not wildcard.host_allowed(("0.0.0.0", 8000))
    assert wildcard.hosts == {"localhost", "127.0.0.1", "::1"}


def test_allowed_hosts_are_normalised() -> None:
    """STOAT_ALLOWED_HOSTS entries are compared in lower case, IPv6 without brackets."""
    policy = AccessPolicy.from_settings(settings(allowed_hosts=["Media.Example", "[fd00::1]"]))
    assert policy.host_allowed(("media.example", None))
    assert policy.host_allowed(("fd00::1", 443))
    assert not policy.host_allowed(("other.example", None))


@pytest.mark.parametrize("bad", ['["a b"]', '["a/b"]', '"media.example"', "[1]", "not json"])
def test_malformed_allowed_hosts_are_refused(bad: str) -> None:
    """STOAT_ALLOWED_HOSTS must be a JSON list of host names."""
    with pytest.raises(SettingsError, match=r"allowed_hosts|STOAT_ALLOWED_HOSTS"):
        Settings.from_env({"STOAT_ALLOWED_HOSTS": bad})


@pytest.mark.parametrize(
    ("token", "accepted"),
    [
        (TOKEN, True),
        ("short", False),
        ("has a space in it...", False),
        ("ünïcødé-token-123", False),
    ],
)
def test_token_shape(token: str, accepted: bool) -> None:
    """A token must be at least 16 printable ASCII characters without spaces."""
    if accepted:
        assert Settings.from_env({"STOAT_API_TOKEN": token}).api_token == token
    else:
        with pytest.raises(SettingsError, match="STOAT_API_TOKEN") as refused:
            Settings.from_env({"STOAT_API_TOKEN": token})
        # A secret is never echoed, not even a wrong one.
        assert token not in str(refused.value)


def test_the_token_never_shows_in_the_settings_repr() -> None:
    """The token is left out of the settings' repr, so logging settings cannot leak it."""
    assert TOKEN not in repr(settings(api_token=TOKEN))
    assert TOKEN not in repr(AccessPolicy.from_settings(settings(api_token=TOKEN)))


@pytest.mark.parametrize(
    ("origin", "host", "allowed"),
    [
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000), True),
        ("http://LOCALHOST:8000", ("localhost", 8000), True),
        ("https://media.example", ("media.example", None), True),
        ("https://media.example", ("127.0.0.1", 8000), True),
        ("http://127.0.0.1:8001", ("127.0.0.1", 8000), False),
        ("http://localhost:8000", ("127.0.0.1", 8000), False),
        ("http://evil.example", ("127.0.0.1", 8000), False),
        ("http://127.0.0.1:8000.evil.example", ("127.0.0.1", 8000), False),
        ("http://user@127.0.0.1:8000", ("127.0.0.1", 8000), False),
        ("null", ("127.0.0.1", 8000), False),
        ("file://", ("127.0.0.1", 8000), False),
        ("ftp://127.0.0.1:8000", ("127.0.0.1", 8000), False),
        ("", ("127.0.0.1", 8000), False),
    ],
)
def test_origins(origin: str, host: tuple[str, int | None], allowed: bool) -> None:
    """Only the server's own origin and pages under STOAT_ALLOWED_HOSTS may act on it."""
    policy = AccessPolicy.from_settings(settings(allowed_hosts=["media.example"]))
    assert policy.origin_allowed(origin, host) is allowed


def test_tokens_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Token and cookie checks go through hmac.compare_digest, on equal-length digests."""
    compared: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    policy = AccessPolicy.from_settings(settings(api_token=TOKEN))
    assert policy.token_matches(TOKEN)
    assert not policy.token_matches("x")
    assert not policy.session_matches(TOKEN)
    assert policy.session_matches(policy.session_value())
    assert compared == [(32, 32)] * 4
