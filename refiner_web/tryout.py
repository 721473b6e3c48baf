"""Try-out links (docs/dashboard.md, "Try it on my site"): a page opened with
`?refiner_try=<token>` shows the survey the token names, whatever its status, once, and
writes nothing about it.

The dashboard mints the token for a signed-in owner; the server checks it
(`POST /api/v1/client/{project}/tryout`) and answers the survey marked `"trial": true`,
which the survey queue shows as `showForm(id, true)` would and records nothing of
(`refiner_web.surveys`). A token that is malformed, forged, expired or another project's
costs one console warning, never an exception. Pure Python, like `refiner_web.client`.
"""

import json

from refiner_web import wire

PARAM = "refiner_try"
#: the server's limit too (refiner_server/tryouts.py MAX_TOKEN)
MAX_TOKEN = 512
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def token_in(url: str) -> object:
    """The try-out token in `url`'s query, None when it has none; ValueError when it has
    one that cannot be a token (it is not sent)."""
    query = url.split("#", 1)[0].partition("?")[2]
    for part in query.split("&"):
        name, _, value = part.partition("=")
        if name != PARAM:
            continue
        if not value or len(value) > MAX_TOKEN:
            raise ValueError("the link's token is empty or too long")
        for char in value:
            if char not in _TOKEN_CHARS:
                raise ValueError("the link's token holds characters no token has")
        return value
    return None


class Tryout:
    """Asks the server once per page, as soon as the page has a project."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.asked = False

    def start(self) -> None:
        client = self.client
        if self.asked or client.project is None:
            return
        self.asked = True
        try:
            token = token_in(client.page()["url"])
        except ValueError as error:
            self.refused(str(error))
            return
        if token is not None:  # asked of the project named now, whatever comes later
            client.platform.spawn(self._ask(client.url("tryout"), wire.dumps({"token": token})))

    def refused(self, why: str) -> None:
        self.client.warn_command("tryout", "survey not shown: " + why)

    async def _ask(self, url: str, body: str) -> None:
        client = self.client
        status, text, _ = await client.platform.request("POST", url, body, False)
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.refused("the server did not answer (%s)" % (status or "no connection"))
            return
        if status != 200:
            error = answer.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            self.refused(message if isinstance(message, str) else "refused (%d)" % status)
            return
        form_id = answer.get("id")
        if answer.get("trial") is not True or not isinstance(form_id, str):
            self.refused("the server's answer is not a try-out survey")
            return
        client.forms.insert(0, answer)  # before a live copy the last ping served
        client.survey_layer().show(form_id, True)
