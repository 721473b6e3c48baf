"""Start-up, and the one place that builds the client's browser side: from the loader's
bridge, or inside a PyScript app. The client and everything under it are pure; what they
need of the browser (the platform, the view that draws a survey) is made here and handed
down."""

import json

import js

from refiner_web.browser import BrowserPlatform
from refiner_web.client import Client
from refiner_web.ffi import proxy
from refiner_web.jsvalues import decode_call


def _client(platform: BrowserPlatform, api: str, page: bool = False) -> Client:
    """The client over `platform`, its surveys drawn by the widget, with a feedback button
    (`refiner_web.launcher`); on the link page (`page`) in the full-page layout, with no
    button. The widget is imported when the first view is made (boot imports it early, see
    `_load_survey_layer_soon`), not before the page goes live."""

    def make_view(form: dict, locale: object, hooks: object) -> object:
        from refiner_web.widget import SurveyView

        return SurveyView(form, locale, hooks, platform.nonce, client.warn, page)

    def make_button(form_id: str, spec: dict, pressed: object) -> object:
        from refiner_web.launcher import Launcher

        return Launcher(form_id, spec, pressed, platform.nonce, client.warn)

    client = Client(platform, api, make_view, None if page else make_button)
    return client


def _run_encoded(client: Client, call: object) -> None:
    try:
        args = decode_call(call.json, list(call.fns))
    except Exception as error:  # noqa: BLE001 - a value the loader could not encode
        client.warn("_refiner: arguments could not be read: %r" % (error,))
        return
    client.dispatch(args)


def start() -> Client:
    """Runs the calls queued before we were ready, in order, then goes live."""
    import refiner_bridge

    if refiner_bridge.linkPage:
        return _start_link_page(refiner_bridge)
    client = _client(BrowserPlatform(refiner_bridge, refiner_bridge.nonce), refiner_bridge.api)
    for call in refiner_bridge.drain():
        _run_encoded(client, call)
    client.finish_boot()
    refiner_bridge.listen(proxy(lambda call: _run_encoded(client, call)))
    _load_survey_layer_soon(client)
    return client


def _start_link_page(bridge: object) -> Client:
    """The link page (`/s/{project}/{survey}`): its settings come from the page, not from
    `_refiner` calls, and it sets no cookie (`refiner_web.channels.start_link_page`,
    imported here: a site's pages never need it)."""
    from refiner_web.channels import start_link_page

    platform = BrowserPlatform(bridge, bridge.nonce, cookies=False)
    client = _client(platform, bridge.api, page=True)
    try:
        settings = json.loads(bridge.linkPage)
    except ValueError:
        client.warn("link page: its settings are not JSON")
        return client
    answered = start_link_page(client, settings if isinstance(settings, dict) else {})
    if answered is not None:
        note = js.document.createElement("p")
        note.textContent = answered
        js.document.getElementById("refiner-page").appendChild(note)
    return client


def _load_survey_layer_soon(client: Client) -> None:
    """Imports the survey layer while the first ping is out, rather than after its answer
    (or a `showForm`). Its timer fires after the ping's, so its task starts after the ping's
    task, which sends the request before it first waits."""

    async def load() -> None:
        import refiner_web.surveys
        import refiner_web.widget  # noqa: F401 - imported for later

    client.platform.set_timeout(lambda: client.platform.spawn(load()), 0)


def app_client(calls: list, script_nonce: object, api: object = None) -> Client:
    """The client of a PyScript app.

    Runs the calls the app queued (`refiner_web.refiner`) in order, those made meanwhile
    too, then goes live, so the commands an app issues together (setProject, identifyUser,
    ...) go out in one first ping. `script_nonce` is that of the app's own script tag, for
    the widget's <style>, as the loader's tag's is. The API is at `api` (the tag's
    `data-api`), else at the server whose stable config the app loaded, else at the page's
    origin.
    """
    client = _client(
        BrowserPlatform(None, script_nonce), api or _config_api() or js.location.origin
    )
    while calls:
        client.dispatch(calls.pop(0))
    client.finish_boot()
    _load_survey_layer_soon(client)
    return client


def _config_api() -> object:
    """`refiner.api` of the app's PyScript config: the server that wrote it names itself
    (`refiner_server.http.pyscript_apps`); None in a config of another making."""
    try:
        from pyscript import config
    except ImportError:
        return None
    section = config.get("refiner")
    return section.get("api") if isinstance(section, dict) else None
