"""Where a webhook may go: https URLs of public hosts only, unless the server allows
private targets (self-hosted networks, tests).

The host is checked when an endpoint is saved and resolved again on every attempt; every
address it resolves to must be public (no loopback, private, link-local such as cloud
metadata at 169.254.169.254, shared, multicast or reserved ranges), and the request goes to
the address that was checked (the URL's name stays in `Host` and TLS SNI), so a DNS answer
that changes between check and connect cannot point it inside.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit

MAX_URL = 2048
#: names that are never public, whatever they resolve to
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """A URL or address a webhook may not be sent to; the message says why."""


def check_url(url: str, allow_private: bool) -> SplitResult:
    """The parts of `url` when an endpoint may have it; raises UnsafeTarget otherwise."""
    if len(url) > MAX_URL:
        raise UnsafeTarget(f"url: longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise UnsafeTarget(f"url: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("url: must be https" + ("" if allow_private else " (public targets)"))
    host = parts.hostname
    if not host:
        raise UnsafeTarget("url: has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("url: credentials in the URL are not allowed (use the signature)")
    if not allow_private:
        name = host.lower().rstrip(".")
        if name == "localhost" or name.endswith(LOCAL_SUFFIXES) or "." not in name:
            if not _is_literal(name):
                raise UnsafeTarget(f"url: {host} is not a public host name")
        if _is_literal(name) and not is_public(ipaddress.ip_address(name)):
            raise UnsafeTarget(f"url: {host} is not a public address")
    return parts


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def resolve(parts: SplitResult, allow_private: bool) -> str:
    """The address to connect to for `parts`: its host resolved now, every address checked."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if _is_literal(host):  # no lookup (a thread hop) for an address
        addresses = [ipaddress.ip_address(host)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise UnsafeTarget(f"{host} does not resolve: {exc}") from None
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeTarget(f"{host} does not resolve")
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise UnsafeTarget(f"{host} resolves to {address}, not a public address")
    return str(addresses[0])


def pinned_url(parts: SplitResult, address: str) -> str:
    """`parts` with the host replaced by the checked `address`."""
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
