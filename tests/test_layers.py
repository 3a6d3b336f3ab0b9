"""The layers import one way: faces -> services -> {survey, render -> analysis} -> core.

Read from the source with :mod:`ast`, so that an import inside a function counts as well."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {
    "core",
    "survey",
    "analysis",
    "render",
    "services",
    "app_pages",
    "cli",
    "app",
    "streamlit",
    "typer",
}
ALLOWED = {
    "core": {"core"},
    "survey": {"survey", "core"},
    "analysis": {"analysis", "core"},
    "render": {"render", "analysis", "core"},
    "services": {"services", "survey", "render", "analysis", "core"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & PROJECT


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    modules = sorted((ROOT / package).rglob("*.py"))
    assert modules
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
        for path in modules
        if imported_packages(path) - ALLOWED[package]
    }
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package])}: {wrong}"


MODULE_LINES = 600
PAGE_LINES = 200


def test_modules_stay_small():
    """A module past ~600 lines (a page past ~200) means logic leaked or two concerns share a room."""
    packages = [*ALLOWED, "app_pages", "cli"]
    sizes = {
        path: len(path.read_text(encoding="utf-8").splitlines())
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }
    large = {
        str(path.relative_to(ROOT)): n
        for path, n in sizes.items()
        if n > (PAGE_LINES if path.parent.name == "app_pages" else MODULE_LINES)
    }
    assert not large, f"modules over {MODULE_LINES} lines (pages over {PAGE_LINES}): {large}"
