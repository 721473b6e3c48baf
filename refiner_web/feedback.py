"""The feedback button: which survey it opens on this page, and what it says of that
survey (open or not), kept in step with the pings and the page's route.

Pure Python: the survey queue (`refiner_web.surveys`) owns it and tells it when a survey
opens or closes; `make_button(form_id, spec, pressed)` (boot hands in
`refiner_web.launcher.Launcher`) draws one and has `expanded(bool)` and `remove()`. What it
shows is `refiner_web.channels.launcher`: a survey the server served (so the person is in
its audience) whose button's page rules match.
"""

from refiner_web.channels import launcher


class Feedback:
    """The one feedback button of a page, if any."""

    def __init__(self, surveys: object, make_button: object) -> None:
        self.surveys = surveys
        self.make_button = make_button
        self.shown = None  # (form id, button spec) on screen
        self.drawing = None
        self.opening = None  # the form id the button was pressed for, until it opens

    def refresh(self, *_: object) -> None:
        """After a ping's answer or a route change: the button this page should show."""
        client = self.surveys.client
        found = launcher(client.forms, client.page()["url"])
        if found == self.shown:
            return
        if self.drawing is not None:
            self.drawing.remove()
            self.drawing = None
        self.shown = found
        if found is not None:
            form_id, spec = found
            self.drawing = self.make_button(form_id, spec, self.pressed)
            self.drawing.expanded(self.surveys.on_screen(form_id))

    def pressed(self) -> None:
        """Opens its survey (whatever its trigger, and again after an answer: on demand),
        or closes it when it is open."""
        if self.shown is None:
            return
        form_id = self.shown[0]
        if self.surveys.on_screen(form_id):
            self.surveys.close(form_id)
            return
        self.opening = form_id
        self.surveys.show(form_id, True)

    def opened(self, form_id: str, view: object) -> None:
        """A survey is on screen: the button says so, and when it was pressed for this
        survey the survey takes the focus (it goes back to the button on close)."""
        if self.shown is not None and self.shown[0] == form_id:
            self.drawing.expanded(True)
            if self.opening == form_id:
                view.take_focus()
        self.opening = None

    def closed(self, form_id: str) -> None:
        if self.shown is not None and self.shown[0] == form_id:
            self.drawing.expanded(False)
