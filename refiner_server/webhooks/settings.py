"""The server's webhook settings (`app.state.webhooks`)."""

from __future__ import annotations

import os

#: `serve --webhooks-allow-private` and `--no-webhook-delivery`, read by every worker process
ENV_ALLOW_PRIVATE, ENV_DELIVER = "REFINER_WEBHOOKS_ALLOW_PRIVATE", "REFINER_WEBHOOKS_DELIVER"


class WebhookSettings:
    """`allow_private`: endpoints may be http and resolve to loopback or private ranges (a
    self-hosted network, tests). `deliver`: run the delivery worker in this process."""

    __slots__ = ("allow_private", "deliver")

    def __init__(self, allow_private: bool = False, deliver: bool = True) -> None:
        self.allow_private = allow_private
        self.deliver = deliver

    @classmethod
    def from_env(cls) -> WebhookSettings:
        env = os.environ
        return cls(env.get(ENV_ALLOW_PRIVATE) == "1", env.get(ENV_DELIVER, "1") == "1")

    def to_env(self) -> dict[str, str]:
        """The environment `from_env` reads these settings back from."""
        return {
            ENV_ALLOW_PRIVATE: "1" if self.allow_private else "0",
            ENV_DELIVER: "1" if self.deliver else "0",
        }
