"""Which survey is on screen, whether it may show, and what the server and page hear of it.

`showForm`, `dismissForm` and `closeForm` land here, as do the surveys whose trigger fired
(`refiner_web.moments`). One survey is on screen at a time; later requests wait their turn.
A view made by `make_view` (boot hands in the widget's `SurveyView`) draws and reports
back through `Hooks`; this module turns its reports into views, responses and dismissals
for the server and into the lifecycle callbacks of the reference documents.
"""

import json

from refiner_web import wire
from refiner_web.commands import path_segment
from refiner_web.lifecycle import RAISED, RETURNED_FALSE

STATE_KEY = "refiner:forms"
NOT_LIVE = "is not live or not served to this user"
HOLD_WARN_MS = 5000
"""How long an `onBeforeShow` that declares `next` may hold its survey before one warning
says so: the reference's own example declares `next` and never calls it."""


class Hooks:
    """What one shown survey reports; bound to its form and response id."""

    def __init__(self, surveys: object, form: dict) -> None:
        self.surveys = surveys
        self.form = form
        self.form_id = form["id"]
        self.response_id = surveys.client.platform.random_id()
        #: a try-out link's survey (`refiner_web.tryout`): shown, never recorded
        self.trial = form.get("trial") is True
        self.closed_once = False
        self.hold_timer = None

    def shown(self) -> None:
        self.surveys._shown(self)

    def navigated(self, question: dict, progress: int) -> None:
        self.surveys.client.lifecycle.emit("onNavigation", [self.form_id, question, progress])

    def answered(self, answers: dict, completed: bool) -> None:
        self.surveys._answered(self, answers, completed)

    def dismissed(self) -> None:
        self.surveys._dismissed(self.form_id)

    def closed(self) -> None:
        if not self.closed_once:
            self.closed_once = True
            self.surveys._closed(self)


class Surveys:
    """The survey queue of one page's client; `make_view(form, locale, hooks)` makes the
    view that draws one (it has `open()` and `close()`)."""

    def __init__(self, client: object, make_view: object) -> None:
        self.client = client
        self.make_view = make_view
        self.waiting = []  # (form_id, force, triggered, hooks once onBeforeShow said yes)
        self.held = []  # Hooks of surveys whose onBeforeShow has not called next() yet
        self.current = None
        self.view = None
        self.fetching = []
        self.state = client.storage.get_json(STATE_KEY) or {}
        self.feedback = None
        if client.make_button is not None:
            from refiner_web.feedback import Feedback

            self.feedback = Feedback(self, client.make_button)

    # -- requests ----------------------------------------------------------------------

    def show(self, form_id: str, force: bool) -> None:
        """`showForm`: queued until the survey is known and the screen is free."""
        if self._busy(form_id):
            self.client.warn_command(
                "showForm", "survey %s is already showing or waiting" % form_id
            )
            return
        self.waiting.append((form_id, force, False, None))
        self._advance()

    def dismiss(self, form_id: str) -> None:
        """`dismissForm`: closes it and stores a dismissal with its time on the server."""
        self._dismissed(form_id)

    def close(self, form_id: str) -> None:
        """`closeForm`: closes it and tells nobody."""
        self.waiting = [w for w in self.waiting if w[0] != form_id]
        for hooks in [h for h in self.held if h.form_id == form_id]:
            self._release(hooks)  # its later next() finds it gone
        if self._on_screen(form_id):
            self.view.close()

    def forms_changed(self) -> None:
        """A ping answered: requests that waited for their survey may go on, and the
        feedback button follows what was served."""
        if self.feedback is not None:
            self.feedback.refresh()
        self._advance()

    def on_screen(self, form_id: str) -> bool:
        return self._on_screen(form_id)

    def triggered(self, form_ids: list) -> None:
        """Surveys whose trigger fired: shown like a plain `showForm`, if still allowed."""
        for form_id in form_ids:
            form = self._served(form_id)
            if form is not None and not self._busy(form_id) and self._may_show(form, False, True):
                self.waiting.append((form_id, False, True, None))
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

    def _busy(self, form_id: str) -> bool:
        """On screen, waiting its turn, or held by onBeforeShow."""
        return (
            self._on_screen(form_id)
            or form_id in [w[0] for w in self.waiting]
            or form_id in [h.form_id for h in self.held]
        )

    def _advance(self) -> None:
        """Shows the first waiting survey that can be shown now."""
        while self.current is None and self.waiting:
            form_id, force, _, approved = self.waiting[0]
            if approved is not None:  # onBeforeShow said yes while another was on screen
                self.waiting.pop(0)
                self._open(approved)
                continue
            form = self._served(form_id)
            if form is None:
                client = self.client
                if client.project is None or (client.pinger.pinging and not client.forms_known):
                    return  # the project or the first ping's answer is still to come
                if form_id in self.fetching:
                    return  # a ping that answers meanwhile must not give up on it
                # Forcing skips audience and trigger; with pinging stopped there is no
                # ping to serve it, yet showForm must still work: ask for it directly,
                # every time it is not in hand (each ping replaces the served list).
                if force or not client.forms_known:
                    self.fetching.append(form_id)
                    client.platform.spawn(self._fetch(form_id))
                    return
                self.waiting.pop(0)
                self._refuse(form_id, self._done(form_id, None) or NOT_LIVE)
                continue
            self.waiting.pop(0)
            if self._may_show(form, force, quiet=False):
                self._before_show(form)

    def _refuse(self, form_id: str, reason: str) -> None:
        text = "survey %s %s" if reason == NOT_LIVE else "survey %s not shown: %s"
        self.client.warn_command("showForm", text % (form_id, reason))

    async def _fetch(self, form_id: str) -> None:
        """A survey the ping did not serve: ask for its definition (live only), as the
        user writes do (a verified project serves only a signed user). The answer settles
        this request; a later one asks again."""
        client = self.client
        form = None
        reason = NOT_LIVE
        try:
            body = wire.dumps(client.identity.ids({}))
            status, text, _ = await client.platform.request(
                "POST", client.url("forms/" + path_segment(form_id)), body, False
            )
            if 200 <= status < 300:
                form = json.loads(text)
            elif client.refusals.refused_origin("showForm", status, text):
                reason = None  # the site's to fix, not the survey's fault: warned already
            elif status != 404:
                reason = "could not be loaded from the server (%s)" % (status or "no answer")
        except ValueError:
            form = None
        finally:
            self.fetching.remove(form_id)
        if isinstance(form, dict) and form.get("id") == form_id:
            client.forms.append(form)
        else:
            asked = len(self.waiting)
            self.waiting = [w for w in self.waiting if w[0] != form_id]
            if reason is not None and len(self.waiting) < asked:
                self._refuse(form_id, reason)
        self._advance()

    def _may_show(self, form: dict, force: bool, quiet: bool) -> bool:
        """What the user already did with it; `force` skips these restrictions."""
        reason = None if force else self._done(form["id"], form)
        if reason and not quiet:
            self._refuse(form["id"], reason)
        return reason is None

    def _done(self, form_id: str, form: object) -> object:
        """Why this browser's record keeps the survey away ("already completed" or "already
        dismissed"), else None. Without its definition (`form` None: the server no longer
        serves it) the record alone speaks: the server stops serving a survey once it was
        completed or dismissed, and the refusal must name that, not "not live"."""
        if form is not None:
            frequency = form.get("frequency")
            if isinstance(frequency, dict) and frequency.get("repeat") == "each_trigger":
                return None
        state = self.state.get(form_id, {})
        if state.get("completed_at"):
            return "already completed"
        if state.get("dismissed_at"):
            return "already dismissed"
        return None

    def _before_show(self, form: dict) -> None:
        """`onBeforeShow(formId, formConfig, next)`: false cancels; a callback that declares
        `next` decides asynchronously and the survey shows when it calls `next()`. Until
        then the survey is held aside, so the surveys after it still take their turn."""
        lifecycle = self.client.lifecycle
        hooks = Hooks(self, form)
        parameters = lifecycle.parameters("onBeforeShow")
        if parameters is None:
            self._open(hooks)
            return
        if parameters < 3:
            if lifecycle.emit("onBeforeShow", [form["id"], form]) == RETURNED_FALSE:
                self._cancel(form)
            else:
                self._open(hooks)
            return
        decided = []

        def proceed(*_: object) -> None:
            if not decided:
                decided.append(True)
                self._approved(hooks)

        self.held.append(hooks)
        result = lifecycle.emit("onBeforeShow", [form["id"], form], proceed)
        if decided:
            return  # next() came at once
        if result == RETURNED_FALSE:
            decided.append(False)  # a later next() must not revive it
            self._release(hooks)
            self._cancel(form)
        elif result == RAISED:
            proceed()  # a broken callback must not hold its survey forever
        else:
            hooks.hold_timer = self.client.platform.set_timeout(
                lambda: self._still_held(hooks), HOLD_WARN_MS
            )

    def _approved(self, hooks: Hooks) -> None:
        """`next()` came: the survey shows now, or first once the screen is free."""
        if hooks not in self.held:
            return  # closed meanwhile
        self._release(hooks)
        if self.current is None:
            self._open(hooks)
        else:
            self.waiting.insert(0, (hooks.form_id, True, False, hooks))

    def _release(self, hooks: Hooks) -> None:
        self.held.remove(hooks)
        if hooks.hold_timer is not None:
            self.client.platform.clear_timeout(hooks.hold_timer)
            hooks.hold_timer = None

    def _still_held(self, hooks: Hooks) -> None:
        hooks.hold_timer = None
        if hooks in self.held:
            self.client.warn_command(
                "onBeforeShow",
                "survey %s is held: the callback declares `next` and has not called it "
                "after %d s; call next() to show the survey, or return false to cancel it"
                % (hooks.form_id, HOLD_WARN_MS // 1000),
            )

    def _cancel(self, form: dict) -> None:
        self._refuse(form["id"], "onBeforeShow returned false")

    def _open(self, hooks: Hooks) -> None:
        self.current = hooks
        self.view = self.make_view(hooks.form, self.client.identity.locale, hooks)
        self.view.open()
        if self.feedback is not None and self.current is hooks:
            self.feedback.opened(hooks.form_id, self.view)

    # -- what the view reports -----------------------------------------------------------

    def _mark(self, form_id: str, field: str) -> str:
        when = self.client.now_iso()
        self.state.setdefault(form_id, {})[field] = when
        self.client.storage.set_json(STATE_KEY, self.state)
        return when

    def _shown(self, hooks: Hooks) -> None:
        if hooks.trial:
            self.client.lifecycle.emit("onShow", [hooks.form_id])
            return
        shown_at = self._mark(hooks.form_id, "seen_at")
        view_id = self.client.platform.random_id()
        self.client.record(
            "view",
            view_id,
            "POST",
            "views",
            {"view_id": view_id, "form_id": hooks.form_id, "shown_at": shown_at},
        )
        self.client.lifecycle.emit("onShow", [hooks.form_id])

    def _answered(self, hooks: Hooks, answers: dict, completed: bool) -> None:
        client = self.client
        data = client.hidden_fields()
        if not hooks.trial:
            client.record(
                "response",
                hooks.response_id,
                "PUT",
                "responses/" + hooks.response_id,
                {
                    "form_id": hooks.form_id,
                    "answers": answers,
                    "data": data,
                    "locale": client.identity.locale,
                    "page_url": client.page()["url"],
                    "completed": completed,
                },
            )
        if completed:
            if not hooks.trial:
                self._mark(hooks.form_id, "completed_at")
            response_data = dict(data)
            response_data.update(answers)
            client.lifecycle.emit("onComplete", [hooks.form_id, response_data])

    def _dismissed(self, form_id: str) -> None:
        if self._on_screen(form_id) and self.current.trial:
            self.client.lifecycle.emit("onDismiss", [form_id])
            self.close(form_id)
            return
        dismissed_at = self._mark(form_id, "dismissed_at")
        dismissal_id = self.client.platform.random_id()
        self.client.record(
            "dismissal",
            dismissal_id,
            "POST",
            "dismissals",
            {"dismissal_id": dismissal_id, "form_id": form_id, "dismissed_at": dismissed_at},
        )
        self.client.lifecycle.emit("onDismiss", [form_id])
        self.close(form_id)

    def _closed(self, hooks: Hooks) -> None:
        if self.current is hooks:
            self.current = None
            self.view = None
        if self.feedback is not None:
            self.feedback.closed(hooks.form_id)
        self.client.lifecycle.emit("onClose", [hooks.form_id])
        self._advance()
