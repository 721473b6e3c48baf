"""The ranking renderer: an ordered list of the items, first the best. Each item has a
"move up" and a "move down" button (Tab and Enter or Space; focus stays with the item as it
moves), and the pointer drags an item to its place (mouse, pen or touch, by pointer events,
so a phone drags too). Every move is read out in a live region ("Alerts: position 2 of 4").

The answer is the order shown when the person goes on. Drawn into `screen` for a
`refiner_web.widget.SurveyView` (see `refiner_web.questions`).
"""

from refiner_web.dom import attrs, el, nodes
from refiner_web.ffi import absent


def _start_order(question: dict, value: object) -> list:
    """The order answered before (after Back), else the definition's."""
    ids = [c["id"] for c in question["choices"]]
    if isinstance(value, list) and sorted(value) == sorted(ids):
        return list(value)
    return ids


class Ranking:
    def __init__(
        self, view: object, question: dict, value: object, screen: object, describedby: list
    ) -> None:
        self.view = view
        run = view.run
        labels = {c["id"]: c["label"] for c in question["choices"]}
        el("p", "hint", run.text("rank_hint"), screen).id = "rf-rank-hint"
        listing = el("ol", "ranking", None, screen)
        listing.setAttribute("aria-labelledby", "rf-title")
        view.describe(listing, ["rf-rank-hint"] + describedby)
        for cid in _start_order(question, value):
            item = el("li", "rank-item", None, listing)
            item.setAttribute("data-id", cid)
            el("span", "grip", "\u2807", item).setAttribute("aria-hidden", "true")
            el("span", "rank", None, item).setAttribute("aria-hidden", "true")
            el("span", "label", labels[cid], item)
            for step, key, arrow in ((-1, "move_up", "\u2191"), (1, "move_down", "\u2193")):
                button = el("button", "move", arrow, item)
                attrs(
                    button,
                    [
                        ("type", "button"),
                        ("data-step", str(step)),
                        ("aria-label", run.text(key) % labels[cid]),
                    ],
                )
        self.live = el("p", "sr-only", None, screen)
        self.live.id = "rf-rank-live"
        attrs(self.live, [("aria-live", "polite"), ("aria-atomic", "true")])
        self.listing = listing
        self.labels = labels
        self.dragged = None
        self._numbered()
        view.on(listing, "click", self._click)
        view.on(listing, "pointerdown", self._grab)
        view.on(listing, "pointermove", self._drag)
        view.on(listing, "pointerup", self._drop)
        view.on(listing, "pointercancel", self._drop)

    def order(self) -> list:
        return [item.getAttribute("data-id") for item in nodes(self.listing, "li")]

    def collect(self) -> object:
        return self.view.run.answer(self.order())

    def _numbered(self) -> None:
        """Ranks shown, and the first item's "up" and the last's "down" disabled."""
        items = nodes(self.listing, "li")
        for index, item in enumerate(items):
            nodes(item, ".rank")[0].textContent = str(index + 1)
            up, down = nodes(item, "button")
            up.disabled = index == 0
            down.disabled = index == len(items) - 1

    def _moved(self, item: object) -> None:
        items = nodes(self.listing, "li")
        position = [i for i, it in enumerate(items) if it.isSameNode(item)][0] + 1
        self._numbered()
        self.view.clear_error()
        label = self.labels[item.getAttribute("data-id")]
        self.live.textContent = self.view.run.text("moved") % (label, position, len(items))

    def _click(self, event: object) -> None:
        button = event.target.closest("button")
        if absent(button) or button.disabled:
            return
        item = button.closest("li")
        step = int(button.getAttribute("data-step"))
        if step < 0:
            self.listing.insertBefore(item, item.previousElementSibling)
        else:
            self.listing.insertBefore(item.nextElementSibling, item)
        self._moved(item)
        # the pressed button may now be disabled (at an end): focus the item's other one
        target = button if not button.disabled else nodes(item, "button")[0 if step > 0 else 1]
        target.focus()

    def _grab(self, event: object) -> None:
        item = event.target.closest("li")
        if absent(item) or not absent(event.target.closest("button")) or event.button:
            return
        event.preventDefault()  # no text selection, no scrolling under a finger
        self.dragged = item
        item.classList.add("dragging")
        self.listing.setPointerCapture(event.pointerId)

    def _drag(self, event: object) -> None:
        """The dragged item goes before the first other item whose middle is below the
        pointer (or last)."""
        item = self.dragged
        if item is None:
            return
        for other in nodes(self.listing, "li"):
            if other.isSameNode(item):
                continue
            box = other.getBoundingClientRect()
            if event.clientY < box.top + box.height / 2:
                if not other.isSameNode(item.nextElementSibling):
                    self.listing.insertBefore(item, other)
                return
        if not absent(item.nextElementSibling):
            self.listing.appendChild(item)

    def _drop(self, event: object) -> None:
        item = self.dragged
        if item is None:
            return
        self.dragged = None
        item.classList.remove("dragging")
        if self.listing.hasPointerCapture(event.pointerId):
            self.listing.releasePointerCapture(event.pointerId)
        self._moved(item)
