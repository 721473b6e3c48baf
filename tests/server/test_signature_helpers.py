"""The signature helpers of docs/security.md, taken from the page itself, sign as the server
checks: every language agrees with `refiner_server.client.signature`, and a ping signed with each
is accepted by a verified project (with and without an account).

Python and Node are always here. Ruby and PHP run when installed; `REFINER_REQUIRE_SIGNERS=1`
(set by `./dev test`, which installs them) makes a missing one fail instead of skip."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from refiner_server.client.signature import sign

DOC = Path(__file__).parents[2] / "docs" / "security.md"
SECRET = "s3cret-for-tests"  # project `sec` (conftest)
CASES = [
    [SECRET, "user-a", None],
    [SECRET, "ü-漢字-😀 ", "acme"],
    ["clé secrète 🔑", "u", "a b\n"],
    [SECRET, "42", ""],
]

# language: (fence, interpreter, file suffix, the driver appended to the snippet; it reads
# the cases as JSON from $CASES and prints the signatures as a JSON list)
LANGUAGES = {
    "python": (
        "python",
        [sys.executable],
        ".py",
        "import json, os\n"
        "print(json.dumps([refiner_signature(*c) for c in json.loads(os.environ['CASES'])]))\n",
    ),
    "node": (
        "js",
        ["node"],
        ".cjs",
        "const cases = JSON.parse(process.env.CASES);\n"
        "console.log(JSON.stringify(cases.map((c) => refinerSignature(...c))));\n",
    ),
    "ruby": (
        "ruby",
        ["ruby"],
        ".rb",
        'require "json"\n'
        'puts JSON.generate(JSON.parse(ENV["CASES"]).map { |c| refiner_signature(*c) })\n',
    ),
    "php": (
        "php",
        ["php"],
        ".php",
        "$cases = json_decode(getenv('CASES'), true);\n"
        "echo json_encode(array_map(fn($c) => refiner_signature(...$c), $cases));\n",
    ),
}


def snippet(fence: str) -> str:
    (code,) = re.findall(rf"```{fence}\n(.*?)```", DOC.read_text("utf-8"), re.S)
    return code


def run(language: str, cases: list[list[str | None]]) -> list[str]:
    fence, command, suffix, driver = LANGUAGES[language]
    if shutil.which(command[0]) is None:
        if os.environ.get("REFINER_REQUIRE_SIGNERS") == "1":
            pytest.fail(f"REFINER_REQUIRE_SIGNERS=1 but {command[0]} is not installed")
        pytest.skip(f"{command[0]} is not installed")
    code = snippet(fence) + "\n" + driver
    if language == "php":
        code = "<?php\n" + code
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"refiner_sig_{os.getpid()}{suffix}"
    path.write_text(code, "utf-8")
    try:
        out = subprocess.run(
            [*command, str(path)],
            env={**os.environ, "CASES": json.dumps(cases)},  # ASCII: \u escapes
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    finally:
        path.unlink()
    return json.loads(out.stdout)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_helper_signs_as_the_server_checks(language) -> None:
    assert run(language, CASES) == [sign(*case) for case in CASES]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_verified_project_accepts_the_helpers_signature(client, language) -> None:
    cases = [[SECRET, "helper-user", None], [SECRET, "helper-user", "helper-acct"]]
    for (_, user, account), signature in zip(cases, run(language, cases), strict=True):
        body = {"user": {"id": user, "account": account and {"id": account}}}
        r = client.post("/api/v1/client/sec/ping", json={**body, "signature": signature})
        assert r.status_code == 200, r.text
