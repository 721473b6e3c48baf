"""The survey layer's side of `showForm`, `dismissForm` and `closeForm`.

This module decides and records; drawing is the widget's job (`display`, attached when the
widget is loaded). `dismissForm` stores a dismissal with its time on the server whether or
not the survey is on screen; `closeForm` tells nobody.
"""

import json

STATE_KEY = "refiner:forms"


class SurveyRequests:
    def __init__(self, client: object) -> None:
        self.client = client
        self.display = None
        self.requests = []
        self.state = client._load_json(STATE_KEY) or {}

    def _mark(self, form_id: str, field: str) -> None:
        self.state.setdefault(form_id, {})[field] = self.client._now_iso()
        self.client.storage.set(STATE_KEY, json.dumps(self.state))

    def show(self, form_id: str, force: bool) -> None:
        """Keeps the request for the widget, which shows it once the survey is known."""
        self.requests.append((form_id, force))
        if self.display is not None:
            self.display.requested()

    def dismiss(self, form_id: str) -> None:
        self._mark(form_id, "dismissed_at")
        dismissal_id = self.client.platform.random_id()
        self.client.record(
            "dismissal",
            dismissal_id,
            "POST",
            "dismissals",
            {
                "dismissal_id": dismissal_id,
                "form_id": form_id,
                "dismissed_at": self.state[form_id]["dismissed_at"],
            },
        )
        self.close(form_id)

    def close(self, form_id: str) -> None:
        self.requests = [r for r in self.requests if r[0] != form_id]
        if self.display is not None:
            self.display.close(form_id)

    def forms_changed(self) -> None:
        if self.display is not None:
            self.display.requested()
