"""Building and finding elements for the widget. Survey text only ever goes in through
`textContent` or attribute values, never parsed as HTML."""

import js

SVG_NS = "http://www.w3.org/2000/svg"


def el(tag: str, cls: object = None, text: object = None, parent: object = None) -> object:
    """An element; `text` goes in as text, never as markup."""
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    if text is not None:
        node.textContent = text
    if parent is not None:
        parent.appendChild(node)
    return node


def attrs(node: object, pairs: list) -> object:
    for name, value in pairs:
        node.setAttribute(name, value)
    return node


def svg(parts: list, cls: str) -> object:
    """A small decorative icon: [(tag, [(attribute, value), ...]), ...]."""
    icon = js.document.createElementNS(SVG_NS, "svg")
    attrs(icon, [("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")])
    icon.setAttribute("class", cls)
    for tag, pairs in parts:
        icon.appendChild(attrs(js.document.createElementNS(SVG_NS, tag), pairs))
    return icon


def nodes(root: object, selector: str) -> list:
    found = root.querySelectorAll(selector)
    return [found.item(i) for i in range(found.length)]
