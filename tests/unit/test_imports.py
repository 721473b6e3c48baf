"""The direction of imports in `refiner_web/`, read from the sources (ast).

`boot` is the one place that builds the browser side and hands it down; the pure modules
(all but the adapters below) import nothing of the browser, the interpreters' FFI, the
widget or boot, so CPython tests and the server import them as they are. Imports inside
functions count: a deferred import still runs back up.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "refiner_web"
#: the modules that touch the browser or the interpreter, the only ones that may import
#: what BROWSER names; a module not named here is pure
ADAPTERS = ("boot", "browser", "ffi", "widget", "host", "questions", "focus", "dom", "launcher")
ADAPTERS += ("matrix", "ranking", "inputs")  # renderers beside questions.py
ADAPTERS += ("preview_frame",)  # the dashboard's preview frame
#: the browser's modules, the interpreters' FFI and the loader's bridge
BROWSER = ("js", "pyscript", "pyodide", "jsffi", "refiner_bridge")


def imported(tree: ast.AST) -> list:
    """Every module an import in `tree` names, as dotted paths (`from refiner_web import
    boot` names `refiner_web` and `refiner_web.boot`); a relative import as its dots."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            names.append("." * node.level + (node.module or ""))
        elif isinstance(node, ast.ImportFrom):
            names.append(node.module)
            names += [node.module + "." + alias.name for alias in node.names]
    return names


def _within(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def upward(names: list) -> list:
    """The names among `names` that a pure module may not import: the browser's, the
    adapters', and any relative import (the package imports absolutely, so none hides)."""
    adapters = ["refiner_web." + module for module in ADAPTERS]
    return [
        name
        for name in names
        if name.startswith(".")
        or name.split(".")[0] in BROWSER
        or [adapter for adapter in adapters if _within(name, adapter)]
    ]


def modules() -> list:
    return sorted(path.stem for path in PACKAGE.glob("*.py"))


def parse(module: str) -> ast.Module:
    return ast.parse((PACKAGE / (module + ".py")).read_text(), module + ".py")


def test_the_reader_sees_every_form_of_import():
    source = (
        "import js\nfrom refiner_web import boot\nimport refiner_web.widget as w\n"
        "def later():\n    from pyscript import config\n    from . import ffi\n"
        "import refiner_web.survey\nfrom refiner_web.bootstrap import x\n"
    )
    assert upward(imported(ast.parse(source))) == [
        "js",
        "refiner_web.boot",
        "refiner_web.widget",
        "pyscript",
        "pyscript.config",
        ".",
    ]


@pytest.mark.parametrize("module", [m for m in modules() if m not in ADAPTERS + ("__init__",)])
def test_a_pure_module_imports_nothing_of_the_browser(module):
    names = upward(imported(parse(module)))
    assert names == [], "%s is pure (not in ADAPTERS) yet imports %s" % (module, names)


def test_the_package_is_pure_at_its_top():
    """Importing any module of the package runs `__init__` first: at its top it imports
    nothing of the browser. Its `refiner()`, the PyScript app's entrance, starts the client
    through boot from inside functions."""
    tree = parse("__init__")
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert upward(imported(ast.Module(body=top, type_ignores=[]))) == []


@pytest.mark.parametrize("module", [m for m in modules() if m not in ("boot", "__init__")])
def test_only_the_entrance_imports_boot(module):
    names = [name for name in imported(parse(module)) if _within(name, "refiner_web.boot")]
    assert names == [], "%s imports boot, which builds it: boot hands things down" % module


def test_every_adapter_exists():
    assert [module for module in ADAPTERS if module not in modules()] == []
