"""Token buckets for the client API's rate limits (per project, per client address).

Pure: the caller passes the time in, so tests drive a clock of their own. The buckets live in
one process; what that means with several workers or servers is in docs/security.md ("The server").
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Hashable


class Rate:
    """`per_s` requests a second on average, bursts of up to `burst`."""

    __slots__ = ("per_s", "burst")

    def __init__(self, per_s: float, burst: float) -> None:
        if per_s <= 0 or burst < 1:
            raise ValueError("a rate needs per_s > 0 and burst >= 1")
        self.per_s = per_s
        self.burst = burst

    @classmethod
    def parse(cls, text: str) -> Rate | None:
        """`"RATE"` or `"RATE/BURST"` (burst defaults to ten seconds' worth), or `"off"`."""
        if text.strip().lower() == "off":
            return None
        rate, _, burst = text.partition("/")
        try:
            per_s = float(rate)
            return cls(per_s, float(burst) if burst else max(1.0, per_s * 10))
        except ValueError:
            raise ValueError(f"{text!r}: expected RATE, RATE/BURST or off") from None

    def __str__(self) -> str:
        """What `parse` reads back (`serve --workers N` hands rates to workers as text)."""
        return f"{self.per_s!r}/{self.burst!r}"

    def split(self, parts: int) -> Rate:
        """This rate shared by `parts` processes that each get a like share of the traffic."""
        return Rate(self.per_s / parts, max(1.0, self.burst / parts))


class Buckets:
    """One token bucket per key, all at the same `rate`. A key's bucket starts full; a
    full bucket carries no information, so when there are more than `max_keys` (a flood
    of made-up project ids or addresses) the full ones are dropped, then the oldest."""

    def __init__(self, rate: Rate, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._buckets: dict[Hashable, list[float]] = {}  # key: [tokens, time of tokens]

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` has a token (0 when it has one now). Takes nothing."""
        tokens = self._tokens(key, now)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate.per_s

    def take(self, key: Hashable, now: float) -> None:
        """Spend one token of `key` (after `wait` said 0)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            self._make_room(now)
            bucket = self._buckets[key] = [self.rate.burst, now]
        bucket[0] = self._tokens(key, now) - 1
        bucket[1] = now

    def _tokens(self, key: Hashable, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            return self.rate.burst
        elapsed = max(0.0, now - bucket[1])  # a clock that steps back refills nothing
        return min(self.rate.burst, bucket[0] + elapsed * self.rate.per_s)

    def _make_room(self, now: float) -> None:
        if len(self._buckets) < self.max_keys:
            return
        # the time a bucket needs to fill up from empty: any bucket untouched that long is full
        full_after = self.rate.burst / self.rate.per_s
        self._buckets = {k: b for k, b in self._buckets.items() if now - b[1] < full_after}
        if len(self._buckets) >= self.max_keys:  # all busy: forget the older half
            keep = sorted(self._buckets.items(), key=lambda kv: kv[1][1])[len(self._buckets) // 2 :]
            self._buckets = dict(keep)


class Limiter:
    """Per project and per client address. A request passes when both its buckets have a
    token, and then takes one from each; a refused request takes none, so a flood from one
    address does not use up its project's allowance."""

    def __init__(self, project: Rate | None, address: Rate | None) -> None:
        self.project = Buckets(project) if project is not None else None
        self.address = Buckets(address) if address is not None else None

    def check(self, project: str, address: str | None, now: float) -> int:
        """0 when the request may go on (tokens taken), else the whole seconds to wait
        before trying again (the `Retry-After` value, at least 1). `address` None: not
        limited by address (see `address_key`)."""
        chosen = [(self.project, project), (self.address, address)]
        chosen = [(b, k) for b, k in chosen if b is not None and k is not None]
        wait = max((b.wait(k, now) for b, k in chosen), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for b, k in chosen:
            b.take(k, now)
        return 0


def address_key(host: str) -> str | None:
    """The bucket of a client address: IPv4 as is, IPv6 by its /64 (one subscriber's
    network, where a client picks new addresses at will), None for loopback. A loopback
    peer is this machine: a reverse proxy whose forwarded address is not trusted (limiting
    it would limit every visitor together) or local tooling."""
    if host.startswith("127.") or host == "::1":
        return None
    if ":" not in host:
        return host
    try:
        ip = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if ip.ipv4_mapped is not None:
        return address_key(str(ip.ipv4_mapped))
    return str(ipaddress.IPv6Network((ip, 64), strict=False))
