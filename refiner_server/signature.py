"""Identity verification: the host app signs its user id with the project secret."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, user_id: str) -> str:
    """Hex HMAC-SHA256 of `user_id` under `secret`, as the host's backend computes it."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, user_id: str, signature: str) -> bool:
    """Constant-time check; hex case does not matter. Compared as bytes: `compare_digest`
    refuses non-ASCII text, and a signature is whatever the request sent."""
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign(secret, user_id).encode(), given)
