"""Passwords, hashed with argon2id (`argon2-cffi`).

The parameters are argon2-cffi's defaults (RFC 9106's low-memory profile) unless a
`Passwords` is built with others (tests use the cheapest, a server could ask for more); a
stored hash made with other parameters is replaced at the next good sign-in
(`needs_rehash`), so raising them upgrades every account in time.
"""

from __future__ import annotations

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

#: NIST SP 800-63B asks for at least 8 and room for at least 64; a passphrase fits
MIN_LENGTH, MAX_LENGTH = 10, 1024


class WeakPassword(ValueError):
    """A password the server refuses to set; the message says why, for the person."""


def check_strength(password: str, email: str = "") -> None:
    """WeakPassword unless `password` has `MIN_LENGTH` to `MAX_LENGTH` characters and is not
    the email itself (the one guess every attacker makes first)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"A password has at most {MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword("A password must not be the email address.")


class Passwords:
    """Hash and verify with one set of argon2 parameters."""

    def __init__(self, parameters: Parameters = RFC_9106_LOW_MEMORY) -> None:
        self.hasher = PasswordHasher.from_parameters(parameters)
        self._decoy: str | None = None

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`. With no stored hash (no such person) a
        decoy is verified all the same, so the answer takes as long either way and does
        not tell who has an account."""
        if stored is None:
            if self._decoy is None:
                self._decoy = self.hash("decoy password, never matches")
            stored, password = self._decoy, password + "\0"
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """True when `stored` was made with other parameters than these."""
        return self.hasher.check_needs_rehash(stored)
