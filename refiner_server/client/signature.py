"""Identity verification: the host app signs its user's identity with the project secret.

The signed message is the user id, or the user id, a NUL and the account id when the
identity names an account (docs/security.md). Ids never hold a NUL, so no two identities
share a message: a signature for user "a" in account "b" is no signature for anyone else.
"""

from __future__ import annotations

import hashlib
import hmac

SEPARATOR = "\x00"


def message(user_id: str, account_id: str | None = None) -> str:
    """What a signature covers."""
    return user_id if account_id is None else user_id + SEPARATOR + account_id


def sign(secret: str, user_id: str, account_id: str | None = None) -> str:
    """Hex HMAC-SHA256 of the identity under `secret`, as the host's backend computes it."""
    text = message(user_id, account_id)
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, user_id: str, signature: str, account_id: str | None = None) -> bool:
    """Constant-time check; hex case does not matter. Compared as bytes: `compare_digest`
    refuses non-ASCII text, and a signature is whatever the request sent."""
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign(secret, user_id, account_id).encode(), given)
