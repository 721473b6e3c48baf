"""Standard Webhooks signatures, made by the maintained `standardwebhooks` package.

A message is signed over `{webhook-id}.{webhook-timestamp}.{body}` with HMAC-SHA256 under
each live secret: after a rotation the previous secret signs too, for a while, so receivers
can switch without losing a message (the header carries both, space-separated).
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the specification asks for 24 to 64


def new_secret() -> str:
    """`whsec_` and 32 random bytes in base64, the form every Standard Webhooks library reads."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """The `webhook-id` of a message: the same on every attempt, so receivers can dedupe."""
    return "msg_" + secrets.token_hex(16)


def headers(message_id: str, body: bytes, at: datetime, keys: list[str]) -> dict[str, str]:
    """The request headers of one attempt at `at`, signed with every secret of `keys`."""
    signatures = " ".join(Webhook(key).sign(message_id, at, body) for key in keys)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
