"""Which survey is on screen, whether it may show, and what the server and page hear of it.

`showForm`, `dismissForm` and `closeForm` land here, as do the surveys whose trigger fired
(`refiner_web.moments`). One survey is on screen at a time; later requests wait their turn.
The widget (`refiner_web.widget.SurveyView`) draws and reports back through `Hooks`; this
module turns its reports into views, responses and dismissals for the server and into the
lifecycle callbacks of the reference documents.
"""

import json

from refiner_web.commands import path_segment

STATE_KEY = "refiner:forms"
NOT_LIVE = "is not live or not served to this user"


class Hooks:
    """What one shown survey reports; bound to its form and response id."""

    def __init__(self, surveys: object, form: dict) -> None:
        self.surveys = surveys
        self.form = form
        self.form_id = form["id"]
        self.response_id = surveys.client.platform.random_id()
        self.closed_once = False

    def shown(self) -> None:
        self.surveys._shown(self)

    def navigated(self, question: dict, progress: int) -> None:
        self.surveys.client.emit("onNavigation", [self.form_id, question, progress])

    def answered(self, answers: dict, completed: bool) -> None:
        self.surveys._answered(self, answers, completed)

    def dismissed(self) -> None:
        self.surveys._dismissed(self.form_id)

    def finished(self) -> None:
        """The thank-you screen is over; the view closes itself and `closed` follows."""

    def closed(self) -> None:
        if not self.closed_once:
            self.closed_once = True
            self.surveys._closed(self)


class Surveys:
    def __init__(self, client: object, make_view: object = None) -> None:
        self.client = client
        self.make_view = make_view
        self.waiting = []
        self.current = None
        self.view = None
        self.asked_server = []
        self.fetching = []
        self.state = client._load_json(STATE_KEY) or {}

    # -- requests ----------------------------------------------------------------------

    def show(self, form_id: str, force: bool) -> None:
        """`showForm`: queued until the survey is known and the screen is free."""
        if self._on_screen(form_id) or form_id in [w[0] for w in self.waiting]:
            self.client._warn("showForm", "survey %s is already showing or waiting" % form_id)
            return
        self.waiting.append((form_id, force, False))
        self._advance()

    def dismiss(self, form_id: str) -> None:
        """`dismissForm`: closes it and stores a dismissal with its time on the server."""
        self._dismissed(form_id)

    def close(self, form_id: str) -> None:
        """`closeForm`: closes it and tells nobody."""
        self.waiting = [w for w in self.waiting if w[0] != form_id]
        if self._on_screen(form_id):
            self.view.close()

    def forms_changed(self) -> None:
        """A ping answered: requests that waited for their survey may go on."""
        self._advance()

    def triggered(self, form_ids: list) -> None:
        """Surveys whose trigger fired: shown like a plain `showForm`, if still allowed."""
        for form_id in form_ids:
            form = self._served(form_id)
            busy = self._on_screen(form_id) or form_id in [w[0] for w in self.waiting]
            if form is not None and not busy and self._may_show(form, False, quiet=True):
                self.waiting.append((form_id, False, True))
        self._advance()

    def withdraw(self, form_ids: list) -> None:
        """Triggered surveys whose page rule stopped matching leave the queue; requests
        the page made itself stay."""
        self.waiting = [w for w in self.waiting if not (w[2] and w[0] in form_ids)]

    # -- the queue ---------------------------------------------------------------------

    def _on_screen(self, form_id: str) -> bool:
        return self.current is not None and self.current.form_id == form_id

    def _served(self, form_id: str) -> object:
        for form in self.client.forms:
            if form["id"] == form_id:
                return form
        return None

    def _advance(self) -> None:
        """Shows the first waiting survey that can be shown now."""
        while self.current is None and self.waiting:
            form_id, force, _ = self.waiting[0]
            form = self._served(form_id)
            if form is None:
                client = self.client
                if client.project is None or (client.pinging and not client.forms_known):
                    return  # the project or the first ping's answer is still to come
                # Forcing skips audience and trigger; with pinging stopped there is no
                # ping to serve it, yet showForm must still work: ask for it directly.
                if (force or not client.forms_known) and form_id not in self.asked_server:
                    self.asked_server.append(form_id)
                    self.fetching.append(form_id)
                    self.client.platform.spawn(self._fetch(form_id))
                    return
                if form_id in self.fetching:
                    return  # a ping that answers meanwhile must not give up on it
                self.waiting.pop(0)
                self.client._warn("showForm", "survey %s %s" % (form_id, NOT_LIVE))
                continue
            self.waiting.pop(0)
            if self._may_show(form, force, quiet=False):
                self._before_show(form)

    async def _fetch(self, form_id: str) -> None:
        """A forced survey the ping did not serve: ask for its definition (live only), as
        the user writes do (a verified project serves only a signed user)."""
        client = self.client
        form = None
        try:
            body = json.dumps(client._ids({}))
            status, text, _ = await client.platform.request(
                "POST", client._url("forms/" + path_segment(form_id)), body, False
            )
            if 200 <= status < 300:
                form = json.loads(text)
            elif client.refused_origin("showForm", status, text):
                # the site's to fix, not the survey's fault: no "not live" warning
                self.waiting = [w for w in self.waiting if w[0] != form_id]
        except ValueError:
            form = None
        finally:
            self.fetching.remove(form_id)
        if isinstance(form, dict) and form.get("id") == form_id:
            client.forms.append(form)
        self._advance()

    def _may_show(self, form: dict, force: bool, quiet: bool) -> bool:
        """What the user already did with it; `force` skips these restrictions."""
        if force:
            return True
        state = self.state.get(form["id"], {})
        frequency = form.get("frequency")
        repeat = frequency.get("repeat") if isinstance(frequency, dict) else "once"
        reason = None
        if repeat != "each_trigger":
            if state.get("completed_at"):
                reason = "already completed"
            elif state.get("dismissed_at"):
                reason = "already dismissed"
        if reason and not quiet:
            self.client._warn("showForm", "survey %s not shown: %s" % (form["id"], reason))
        return reason is None

    def _before_show(self, form: dict) -> None:
        """`onBeforeShow(formId, formConfig, next)`: false cancels; a callback that declares
        `next` decides asynchronously and the survey shows when it calls `next()`."""
        client = self.client
        hooks = Hooks(self, form)
        self.current = hooks
        fn = client.callbacks.get("onBeforeShow")
        if fn is None:
            self._open(hooks)
            return
        if client.platform.arity(fn) >= 3:
            called = []

            def proceed(*_: object) -> None:
                if not called and self.current is hooks and self.view is None:
                    called.append(True)
                    self._open(hooks)

            result = client.emit("onBeforeShow", [form["id"], form], proceed)
            if result == "false":
                called.append(False)  # a later next() must not revive it
                self._cancel(form)
            elif result == "error":
                proceed()  # a broken callback must not hold the queue forever
            return
        if client.emit("onBeforeShow", [form["id"], form]) == "false":
            self._cancel(form)
            return
        self._open(hooks)

    def _cancel(self, form: dict) -> None:
        self.client._warn(
            "showForm", "survey %s not shown: onBeforeShow returned false" % form["id"]
        )
        self.current = None
        self._advance()

    def _open(self, hooks: Hooks) -> None:
        make_view = self.make_view
        if make_view is None:
            from refiner_web.widget import SurveyView

            make_view = SurveyView
        self.view = make_view(hooks.form, self.client.locale, hooks)
        self.view.open()

    # -- what the view reports -----------------------------------------------------------

    def _mark(self, form_id: str, field: str) -> str:
        when = self.client._now_iso()
        self.state.setdefault(form_id, {})[field] = when
        self.client.storage.set(STATE_KEY, json.dumps(self.state))
        return when

    def _shown(self, hooks: Hooks) -> None:
        shown_at = self._mark(hooks.form_id, "seen_at")
        view_id = self.client.platform.random_id()
        self.client.record(
            "view",
            view_id,
            "POST",
            "views",
            {"view_id": view_id, "form_id": hooks.form_id, "shown_at": shown_at},
        )
        self.client.emit("onShow", [hooks.form_id])

    def _answered(self, hooks: Hooks, answers: dict, completed: bool) -> None:
        client = self.client
        data = client.hidden_fields()
        client.record(
            "response",
            hooks.response_id,
            "PUT",
            "responses/" + hooks.response_id,
            {
                "form_id": hooks.form_id,
                "answers": answers,
                "data": data,
                "locale": client.locale,
                "page_url": client.page()["url"],
                "completed": completed,
            },
        )
        if completed:
            self._mark(hooks.form_id, "completed_at")
            response_data = dict(data)
            response_data.update(answers)
            client.emit("onComplete", [hooks.form_id, response_data])

    def _dismissed(self, form_id: str) -> None:
        dismissed_at = self._mark(form_id, "dismissed_at")
        dismissal_id = self.client.platform.random_id()
        self.client.record(
            "dismissal",
            dismissal_id,
            "POST",
            "dismissals",
            {"dismissal_id": dismissal_id, "form_id": form_id, "dismissed_at": dismissed_at},
        )
        self.client.emit("onDismiss", [form_id])
        self.close(form_id)

    def _closed(self, hooks: Hooks) -> None:
        if self.current is hooks:
            self.current = None
            self.view = None
        self.client.emit("onClose", [hooks.form_id])
        self._advance()
