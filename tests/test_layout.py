"""The Python package is organized by business area (``dagster_project/defs/<area>/``), with plain domain
code apart from the Dagster wiring.

PLAIN_MODULES below is the one list of the plain modules: they import neither Dagster nor dagster-dbt
(not even inside a function) and only other plain modules of this package. Everything else is wiring
and does import Dagster, directly or through another wiring module: an area's ``assets.py``,
``checks.py``, ``jobs.py``, ``schedules.py``, ``sensors.py``, ``resources.py`` and ``definitions.py``,
and the thin modules around them (the CLI, the runner, status, the gate, the dbt project).
A new module that imports no Dagster belongs in PLAIN_MODULES; the tests below say so.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

from dagster_project.definitions import AREAS

PACKAGE = "dagster_project"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

PLAIN_MODULES = (
    "dagster_project.settings",
    "dagster_project.lib.*",
    "dagster_project.demo.*",
    "dagster_project.defs.landing.contract",
    "dagster_project.defs.landing.files",
    "dagster_project.defs.landing.loader",
    "dagster_project.defs.landing.isolated",
    "dagster_project.defs.landing.manifest",
    "dagster_project.defs.landing.engine_sync",
    "dagster_project.defs.quality.config",
    "dagster_project.defs.quality.suites",
    "dagster_project.defs.quality.frames",
    "dagster_project.defs.quality.gx_suites",
    "dagster_project.defs.quality.freshness",
    "dagster_project.defs.quality.quarantine",
    "dagster_project.defs.quality.row_counts",
    "dagster_project.defs.quality.reuse",
    "dagster_project.defs.warehouse.refresh_window",
    "dagster_project.defs.warehouse.seeds_state",
    "dagster_project.defs.warehouse.models_state",
    "dagster_project.defs.warehouse.spark_sync",
    "dagster_project.defs.warehouse.parse_state",
    "dagster_project.defs.warehouse.staging_rebuild",
    "dagster_project.defs.warehouse.threads",
    "dagster_project.defs.publish.check_results",
    "dagster_project.defs.publish.publisher",
    "dagster_project.defs.publish.staging",
    "dagster_project.defs.payouts.contract",
    "dagster_project.defs.payouts.ledger",
    "dagster_project.defs.payouts.finance_files",
    "dagster_project.defs.partner_feeds.feeds",
    "dagster_project.defs.serving.chunks",
    "dagster_project.defs.serving.postgres",
    "dagster_project.defs.reports.executive",
    "dagster_project.defs.reports.svg",
    "dagster_project.defs.operations.locking",
    "dagster_project.defs.operations.backfill",
    "dagster_project.defs.operations.retention",
    "dagster_project.defs.operations.summary",
    "dagster_project.defs.operations.up_to_date",
)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def is_plain(module: str) -> bool:
    """Listed, or a package's ``__init__`` (imported with every module of the package: it must stay plain)."""
    return modules()[module].name == "__init__.py" or any(fnmatchcase(module, p) for p in PLAIN_MODULES)


def imported(module: str) -> set[str]:
    """Every module an import statement anywhere in ``module`` names (also inside functions)."""
    path = modules()[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            source = ".".join(part for part in (base, node.module) if part)
            names.add(source)
            names.update(f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in modules())
    return names


def _is_dagster(name: str) -> bool:
    top = name.split(".")[0]
    return top == "dagster" or (top.startswith("dagster_") and top != PACKAGE)


def _own(name: str) -> str | None:
    """The module of this package that ``name`` refers to (None for other packages)."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def test_plain_modules_import_no_dagster_and_only_plain_modules():
    listed = [m for m in modules() if any(fnmatchcase(m, p) for p in PLAIN_MODULES)]
    assert len(listed) >= len(PLAIN_MODULES), "an entry of PLAIN_MODULES names no module"
    problems = []
    for module in sorted(m for m in modules() if is_plain(m)):
        for name in sorted(imported(module)):
            own = _own(name) if name.split(".")[0] == PACKAGE else None
            if _is_dagster(name):
                problems.append(f"{module} imports {name}")
            elif own is not None and not is_plain(own):
                problems.append(f"{module} imports {own}, a Dagster wiring module")
    assert not problems, "plain modules must not use Dagster (tests/test_layout.py):\n" + "\n".join(problems)


def _uses_dagster(module: str) -> bool:
    """Imports Dagster, directly or through modules of this package (import cycles are fine)."""
    seen, todo = {module}, [module]
    while todo:
        for name in imported(todo.pop()):
            if _is_dagster(name):
                return True
            own = _own(name) if name.split(".")[0] == PACKAGE else None
            if own is not None and own not in seen:
                seen.add(own)
                todo.append(own)
    return False


def test_every_module_that_imports_no_dagster_is_listed_as_plain():
    unlisted = sorted(m for m in modules() if not is_plain(m) and not _uses_dagster(m))
    assert not unlisted, f"these modules import no Dagster, list them in PLAIN_MODULES: {unlisted}"


def test_the_package_has_one_package_per_area_and_no_loose_modules():
    top = sorted(p.name for p in PACKAGE_DIR.iterdir() if p.name != "__pycache__")
    assert top == ["__init__.py", "cli.py", "definitions.py", "defs", "demo", "lib", "settings.py"]
    areas = sorted(p.name for p in (PACKAGE_DIR / "defs").iterdir() if p.is_dir() and p.name != "__pycache__")
    # every area package is merged into the definitions, each through its definitions.py
    assert sorted(module.__name__.split(".")[-2] for module in AREAS) == areas
    assert all(module.__name__.endswith(".definitions") for module in AREAS)
    for area in areas:  # each area exposes its Dagster objects one way: defs(ctx) in its definitions.py
        tree = ast.parse((PACKAGE_DIR / "defs" / area / "definitions.py").read_text(encoding="utf-8"))
        assert "defs" in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, area


def test_plain_modules_load_without_dagster():
    plain = sorted(m for m in modules() if is_plain(m))
    code = (
        "import importlib, sys\n"
        f"for name in {plain!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'dagster' or m.startswith('dagster_')"
        " and not m.startswith('dagster_project'))\n"
        "print(loaded[:5])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
