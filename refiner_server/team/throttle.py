"""How fast anyone may guess passwords: failed sign-ins are counted per email and per client
address (token buckets of `http.ratelimit`), and while either bucket is empty every sign-in
for it is refused before any password is checked, the right one too. A good sign-in costs
nothing, so a person who types well is never slowed down by a stranger's guesses on
another address; one whose email is being guessed waits like the guesser.

In memory, per process: with N workers a guesser gets N times the rate (docs/dashboard.md).
"""

from __future__ import annotations

import math

from refiner_server.http.ratelimit import Buckets, Rate, address_key

#: 5 failures at once, then one a minute, per email; 20 then one every 6 s per address
PER_EMAIL = Rate(1 / 60, 5)
PER_ADDRESS = Rate(1 / 6, 20)


class SignInLimits:
    def __init__(self, per_email: Rate = PER_EMAIL, per_address: Rate = PER_ADDRESS) -> None:
        self.email = Buckets(per_email)
        self.address = Buckets(per_address)

    def wait(self, email: str, host: str | None, now: float) -> int:
        """Whole seconds until a sign-in for `email` from `host` may be tried (0: now)."""
        wait = max((b.wait(k, now) for b, k in self._keys(email, host)), default=0.0)
        return 0 if wait <= 0 else max(1, math.ceil(wait))

    def failed(self, email: str, host: str | None, now: float) -> None:
        """Count one failed sign-in against both."""
        for bucket, key in self._keys(email, host):
            bucket.take(key, now)

    def _keys(self, email: str, host: str | None) -> list[tuple[Buckets, str]]:
        out = [(self.email, email.strip().lower())]
        address = address_key(host) if host else None
        if address is not None:  # loopback: a proxy for everyone, or this machine
            out.append((self.address, address))
        return out
