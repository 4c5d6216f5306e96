"""The sans-I/O layers must not import network, event-loop or threading modules.

import-linter checks module-level imports between our packages; this test reads every source
file of `moldau.protocol` and `moldau.storage` (and `moldau.common`) and also catches imports
hidden inside functions or done through importlib with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moldau

FORBIDDEN = {"asyncio", "socket", "selectors", "threading", "uvloop", "concurrent"}
ROOT = Path(moldau.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["protocol", "storage", "common"])
def test_layer_imports_no_io_modules(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no sources found for moldau.{package}"
    offenders = {
        str(f.relative_to(ROOT)): sorted(_imported_modules(f) & FORBIDDEN)
        for f in files
        if _imported_modules(f) & FORBIDDEN
    }
    assert offenders == {}


def test_checker_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import socket\n    from asyncio import sleep\n")
    assert _imported_modules(sample) >= {"socket", "asyncio"}
