"""How this project launches Chromium, for the e2e tests and the benchmarks alike.

Debian's `chromium` (or the browser $REFINER_CHROMIUM names): Playwright cannot download its
own here. Background networking, component updates, QUIC and sync are off because this
machine reaches only 127.0.0.1 and package registries; left on, Chromium keeps trying.
"""

import os

CHROMIUM = os.environ.get("REFINER_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
