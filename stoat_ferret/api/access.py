"""Who may ask: host names, origins and the API token. Pure: no I/O, no framework.

:class:`AccessPolicy` answers the questions the request guard (:mod:`.guard`) asks
of every request; it is built once from the settings. See docs/security.md for the
threats each answer stands against.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re

import attrs

from ..settings import Settings

#: Host names every server answers to, whatever the settings: the loopback names.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: Bind addresses that mean "every interface": they name no host a request could use.
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "*"})

_NAME = re.compile(
    r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*"
)
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[^:\[\]]+))(?::(?P<port>[0-9]{1,5}))?")
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<authority>[^/?#@]+)")

#: What the browser cookie's value is derived from (with the token as the key).
_SESSION_LABEL = b"stoat-ferret browser session"


def split_host(value: str) -> tuple[str, int | None] | None:
    """``(name, port)`` from a ``Host`` value (lower case, IPv6 unbracketed); None if malformed."""
    match = _HOST.fullmatch(value.strip().lower())
    if match is None:
        return None
    port = int(match["port"]) if match["port"] is not None else None
    if port is not None and not 0 < port < 65536:
        return None
    if match["v6"] is not None:
        try:
            ipaddress.IPv6Address(match["v6"])
        except ValueError:
            return None
        return match["v6"], port
    name = match["name"]
    return (name, port) if _NAME.fullmatch(name) else None


def is_loopback_bind(host: str) -> bool:
    """Whether binding ``host`` listens on this machine's loopback interface only."""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_problem(settings: Settings) -> str | None:
    """Why the server must not start as configured, or None: beyond loopback needs a token."""
    if settings.api_token is not None or is_loopback_bind(settings.api_host):
        return None
    return (
        f"refusing to serve on {settings.api_host} without an API token: anyone who can "
        "reach that address could read and change the library. Set STOAT_API_TOKEN or "
        "pass --token-file PATH (see docs/security.md)"
    )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest()


@attrs.frozen(kw_only=True)
class AccessPolicy:
    """Host names a request may name, origins that may change things, and the token."""

    #: Names (no port) a request's ``Host`` may carry: loopback, the bind address unless it
    #: is a wildcard, and ``STOAT_ALLOWED_HOSTS``.
    hosts: frozenset[str]
    #: ``STOAT_ALLOWED_HOSTS`` alone: pages served under these names (by a reverse proxy,
    #: say) may send state-changing requests and open ``/ws``.
    trusted_origin_hosts: frozenset[str]
    token: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessPolicy:
        bind = settings.api_host.strip().lower().removeprefix("[").removesuffix("]")
        hosts = set(LOOPBACK_NAMES) | set(settings.allowed_hosts)
        if bind not in WILDCARD_BINDS:
            hosts.add(bind)
        return cls(
            hosts=frozenset(hosts),
            trusted_origin_hosts=frozenset(settings.allowed_hosts),
            token=settings.api_token,
        )

    def host_allowed(self, host: tuple[str, int | None]) -> bool:
        return host[0] in self.hosts

    def origin_allowed(self, origin: str, host: tuple[str, int | None]) -> bool:
        """Whether a page of ``origin`` may act on this server, reached as ``host``.

        Yes for the server's own origin (the same host and port as the request names)
        and for pages under ``STOAT_ALLOWED_HOSTS``; no for anything else, ``null``
        included.
        """
        match = _ORIGIN.fullmatch(origin.strip().lower())
        if match is None:
            return False
        authority = split_host(match["authority"])
        if authority is None:
            return False
        return authority == host or authority[0] in self.trusted_origin_hosts

    def token_matches(self, presented: str) -> bool:
        """Constant-time comparison (of digests, so not even the length leaks)."""
        if self.token is None:
            return False
        return hmac.compare_digest(_digest(presented), _digest(self.token))

    def session_value(self) -> str:
        """The browser cookie's value: derived from the token, so it is not the token."""
        assert self.token is not None
        return hmac.new(self.token.encode(), _SESSION_LABEL, hashlib.sha256).hexdigest()

    def session_matches(self, presented: str) -> bool:
        if self.token is None:
            return False
        return hmac.compare_digest(_digest(presented), _digest(self.session_value()))
