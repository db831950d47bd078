"""The common package depends on no service: ``shared/`` is what the services share, so an
import of ``services`` (or of ``demo``, which the command line starts) from it would make the
common package depend on what depends on it."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
UPWARD = ("services", "demo", "bench", "scripts", "tests")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_shared_imports_no_service() -> None:
    offenders = {
        f"{path.relative_to(SHARED.parent)}: {name}"
        for path in SHARED.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in UPWARD
    }
    assert not offenders, sorted(offenders)


def test_the_check_sees_function_level_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from services.harvester import fetcher\n")
    assert "services.harvester" in imported_modules(module)
