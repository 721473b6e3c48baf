"""docs/architecture.md's picture is the code's import graph: every module of `refiner_web/`
and every package and module of `refiner_server/` sits in exactly one box, every arrow
between boxes is an import (solid: at module level; dotted: only inside a function) and
every such import is an arrow, and the boxes marked pure import no browser API. A module
added, moved or renamed without its line in the picture fails here, naming it."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
PACKAGES = ("refiner_web", "refiner_server")
#: what only a browser has: importing any of these makes a module an adapter
BROWSER = {"js", "jsffi", "pyodide", "pyscript", "refiner_bridge"}
SOLID, DOTTED = "-->", "-.->"


def picture(text: str) -> tuple[dict, dict]:
    """The Mermaid block: {box id: (package, label)} for the boxes inside each package's
    subgraph, and {(box, box): arrow} for every arrow drawn between two boxes."""
    block = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    boxes, arrows, inside = {}, {}, []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("subgraph "):
            inside.append(re.match(r"subgraph (\w+)", line).group(1))
        elif line == "end":
            inside.pop()
        elif node := re.fullmatch(r'(\w+)\["(.*)"\]', line):
            package = next((p for p in reversed(inside) if p in PACKAGES), None)
            if package:
                boxes[node.group(1)] = (package, node.group(2))
        elif arrow := re.fullmatch(r"(\w+) (-->|-\.->)(?:\|[^|]*\|)? (\w+)", line):
            arrows[(arrow.group(1), arrow.group(3))] = arrow.group(2)
    arrows = {k: v for k, v in arrows.items() if k[0] in boxes and k[1] in boxes}
    return boxes, arrows


def units(label: str) -> list:
    """The files a box names: `name.py` for a module, `name/` for a package."""
    return re.findall(r"\b\w+\.py\b|\b\w+/", label)


def unit_of(package: str, path: Path) -> str:
    parts = path.relative_to(ROOT / package).parts
    return parts[0] + "/" if len(parts) > 1 else parts[0]


def unit_named(dotted: str) -> str | None:
    """`refiner_server.client.store` -> "refiner_server:client/"; None when not ours."""
    parts = dotted.split(".")
    if parts[0] not in PACKAGES or len(parts) == 1:
        return None
    if (ROOT / parts[0] / parts[1]).is_dir():
        return parts[0] + ":" + parts[1] + "/"
    return parts[0] + ":" + parts[1] + ".py"


def imports(path: Path) -> list:
    """(imported dotted name, at module level?) for every import in the file."""
    found = []

    def walk(node: ast.AST, level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = level and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inner))
                found.extend((child.module + "." + a.name, inner) for a in child.names)
            walk(child, inner)

    walk(ast.parse(path.read_text()), True)
    return found


def files(package: str) -> list:
    """The package's Python files; not `refiner_server/built/`, the client build an sdist's
    tree carries (setup.py), which is data."""
    skip = {"__pycache__", "built"}
    root = ROOT / package
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def unit_faults(text: str) -> list:
    boxes, _ = picture(text)
    faults = []
    for package in PACKAGES:
        drawn = [u for p, label in boxes.values() if p == package for u in units(label)]
        real = {unit_of(package, p) for p in files(package)}
        twice = {u for u in drawn if drawn.count(u) > 1}
        faults += ["%s/%s: not in the code" % (package, u) for u in sorted(set(drawn) - real)]
        faults += ["%s/%s: not in the picture" % (package, u) for u in sorted(real - set(drawn))]
        faults += ["%s/%s: in two boxes" % (package, u) for u in sorted(twice)]
    return faults


def arrow_faults(text: str) -> dict:
    """{(box, box): (arrow drawn, import found)} where the two differ."""
    boxes, arrows = picture(text)
    box_of = {p + ":" + u: box for box, (p, label) in boxes.items() for u in units(label)}
    real = {}
    for package in PACKAGES:
        for path in files(package):
            source = box_of.get(package + ":" + unit_of(package, path))
            for name, level in imports(path):
                target = box_of.get(unit_named(name) or "")
                if source is None or target is None or target == source:
                    continue
                if level or real.get((source, target)) != SOLID:
                    real[(source, target)] = SOLID if level else DOTTED
    pairs = set(arrows) | set(real)
    return {k: (arrows.get(k), real.get(k)) for k in pairs if arrows.get(k) != real.get(k)}


def purity_faults(text: str) -> list:
    """Pure boxes import no browser API, and at module level only pure boxes; the server
    imports only pure boxes of the client."""
    boxes, arrows = picture(text)
    pure = {box for box, (p, label) in boxes.items() if label.startswith("pure")}
    faults = [] if pure else ["no box is marked pure"]
    for box in sorted(pure):
        for unit in units(boxes[box][1]):
            path = ROOT / boxes[box][0] / unit
            if not path.is_file():
                continue  # a package, or a name unit_faults reports
            found = sorted({n for n, _ in imports(path) if n.split(".")[0] in BROWSER})
            if found:
                faults.append("%s is in a pure box but imports %s" % (unit, found))
    for (source, target), arrow in sorted(arrows.items()):
        if source in pure and arrow == SOLID and target not in pure:
            faults.append("pure %s imports %s at module level" % (source, target))
        if boxes[source][0] == "refiner_server" and boxes[target][0] == "refiner_web":
            if target not in pure:
                faults.append("the server imports %s, which is not pure" % target)
    return faults


def test_every_module_is_in_one_box():
    assert unit_faults(DOC.read_text()) == []


def test_the_arrows_are_the_imports():
    faults = arrow_faults(DOC.read_text())
    assert not faults, "(drawn, found); --> at module level, -.-> only in a function: %s" % faults


def test_pure_boxes_import_no_browser_api():
    assert purity_faults(DOC.read_text()) == []


def test_a_wrong_picture_is_seen():
    """A module left out, an arrow the code lacks and an adapter among the pure are each
    named, so the three tests above can fail."""
    text = DOC.read_text()
    boxes, arrows = picture(text)
    pure = next(b for b, (p, label) in boxes.items() if label.startswith("pure"))
    other = next(b for b in boxes if (pure, b) not in arrows and b != pure)
    label = boxes[pure][1]
    wrong = text.replace(label, label + ", widget.py", 1).replace(
        "```mermaid\n", "```mermaid\n%s --> %s\n" % (pure, other), 1
    )
    assert "refiner_web/widget.py: in two boxes" in unit_faults(wrong)
    assert arrow_faults(wrong)[(pure, other)][0] == SOLID
    assert any("widget.py is in a pure box" in f for f in purity_faults(wrong))
    module = units(label)[0]
    assert "refiner_web/%s: not in the picture" % module in unit_faults(
        text.replace(label, label.replace(module, "gone.py"), 1)
    )
