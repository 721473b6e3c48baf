"""The matrix renderer: a table whose rows are radio groups. Row headers and column headers
are real `<th>`s, each radio is named "row: column" (a screen reader reads both wherever
it lands), and the radios of a row share a name, so Tab stops once per row and the arrow
keys pick within it, as the browser does for any radio group.

Drawn into `screen` for a `refiner_web.widget.SurveyView` (see `refiner_web.questions`).
"""

from refiner_web.dom import attrs, el, nodes
from refiner_web.questions import enter_submits


class Matrix:
    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        self.rows = question["rows"]
        self.columns = question["columns"]
        chosen = value if isinstance(value, dict) else {}
        wrap = el("div", "matrix", None, screen)  # scrolls sideways when the columns do not fit
        table = el("table", None, None, wrap)
        table.setAttribute("aria-labelledby", "rf-title")
        if question["required"]:  # a table cannot take aria-required: the visible mark says it
            describedby = ["rf-req"] + describedby
        view.describe(table, describedby)
        head = el("tr", None, None, el("thead", None, None, table))
        el("td", None, None, head)
        for column in self.columns:
            el("th", None, column["label"], head).setAttribute("scope", "col")
        body = el("tbody", None, None, table)
        for r, row in enumerate(self.rows):
            line = el("tr", None, None, body)
            el("th", None, row["label"], line).setAttribute("scope", "row")
            for c, column in enumerate(self.columns):
                box = el("input", None, None, el("td", None, None, line))
                attrs(
                    box,
                    [
                        ("type", "radio"),
                        ("name", "rf-row%d" % r),
                        ("value", str(c)),
                        ("aria-label", "%s: %s" % (row["label"], column["label"])),
                    ],
                )
                box.checked = chosen.get(row["id"]) == column["id"]
        self.table = table
        view.on(table, "change", lambda event: view.clear_error())
        view.on(table, "keydown", lambda event: enter_submits(view, event))

    def picked(self) -> dict:
        """Row id -> column id (or the scale's integer) of every row with a pick."""
        out = {}
        for box in nodes(self.table, "input:checked"):
            row = self.rows[int(box.name[len("rf-row") :])]
            out[row["id"]] = self.columns[int(box.value)]["id"]
        return out

    def collect(self) -> object:
        return self.view.run.answer(self.picked())
