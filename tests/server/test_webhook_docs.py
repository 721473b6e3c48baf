"""The verification snippets of docs/webhooks.md, taken from the page itself, accept what
the server signs (one secret, and both secrets after a rotation) and refuse a changed body,
a wrong secret and an old timestamp: Python with `standardwebhooks`, Node with `crypto`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from refiner_server.db import utcnow
from refiner_server.webhooks.signing import headers, new_message_id, new_secret

DOC = Path(__file__).parents[2] / "docs" / "webhooks.md"
BODY = json.dumps({"type": "webhook.test", "data": {"project_id": "p1 ü"}}, ensure_ascii=False)


def snippet(fence: str, marker: str) -> str:
    blocks = re.findall(rf"```{fence}\n(.*?)```", DOC.read_text("utf-8"), re.S)
    return next(b for b in blocks if marker in b)


def cases() -> tuple[str, list[dict]]:
    """(the receiver's secret, messages with whether each must be accepted)"""
    mine, other = new_secret(), new_secret()
    now = utcnow()

    def message(keys: list[str], body: str = BODY, at=now) -> dict:
        return {"body": body, "headers": headers(new_message_id(), body.encode(), at, keys)}

    signed = message([mine])
    tampered = dict(signed, body=BODY.replace("p1", "p2"))
    return mine, [
        dict(signed, ok=True),
        dict(message([other, mine]), ok=True),  # during a rotation: two signatures
        dict(tampered, ok=False),
        dict(message([other]), ok=False),
        dict(message([mine], at=now - timedelta(minutes=10)), ok=False),  # a replay
    ]


def test_the_python_snippet(tmp_path: Path):
    secret, messages = cases()
    program = (
        f"SECRET = {secret!r}\n"
        "seen = lambda _id: False\n"
        "handle = lambda kind, data: print(kind)\n"
        + snippet("python", "def receive(")
        + "import json, sys\n"
        "out = []\n"
        "for m in json.loads(sys.stdin.read()):\n"
        "    try:\n"
        "        receive(m['body'].encode(), m['headers'])\n"
        "        out.append(True)\n"
        "    except PermissionError:\n"
        "        out.append(False)\n"
        "print(json.dumps(out))\n"
    )
    path = tmp_path / "receiver.py"
    path.write_text(program)
    run = subprocess.run(
        [sys.executable, str(path)], input=json.dumps(messages), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.splitlines()[-1]) == [m["ok"] for m in messages]


def test_the_node_crypto_snippet(tmp_path: Path):
    secret, messages = cases()
    program = (
        snippet("js", "function verify(")
        + "const messages = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));\n"
        + f"const secret = {json.dumps(secret)};\n"
        + "console.log(JSON.stringify(messages.map((m) =>"
        " verify(secret, Buffer.from(m.body, 'utf8'), m.headers))));\n"
    ).replace(
        'import { createHmac, timingSafeEqual } from "node:crypto";',
        'const { createHmac, timingSafeEqual } = require("node:crypto");',
    )
    path = tmp_path / "receiver.cjs"
    path.write_text(program)
    run = subprocess.run(
        ["node", str(path)], input=json.dumps(messages), capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == [m["ok"] for m in messages]
