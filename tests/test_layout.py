"""The layout's promises, checked mechanically: imports run one way (``nmf_kit`` -> ``nmf_helpers``
-> ``nmf_course``), what students get imports no solution, and the packages are light to import."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "sklearn", "matplotlib", "nbgrader", "distributed")
# package folder -> top-level packages of the kit it must never import
NEVER = {
    ROOT / "nmf_helpers": {"nmf_kit"},
    ROOT / "notebooks" / "nmf_course": {"nmf_kit", "nmf_helpers"},
    ROOT / "source": {"nmf_kit", "nmf_helpers"},
    ROOT / "release": {"nmf_kit", "nmf_helpers"},
}


def _imports(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module or ""


def _sources(folder):
    for path in sorted(folder.rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted(folder.rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                # the source's hidden-test blocks call the checks; they never leave source/
                code = re.sub(
                    r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", "".join(cell["source"]), flags=re.S
                )
                # IPython magics and shell lines are not Python
                yield (
                    path,
                    "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))),
                )


@pytest.mark.parametrize("folder", list(NEVER), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_one_way(folder):
    wrong = [
        (str(path.relative_to(ROOT)), module)
        for path, source in _sources(folder)
        for module in _imports(source)
        if module.split(".")[0] in NEVER[folder]
    ]
    assert not wrong, wrong


@pytest.mark.parametrize(
    "package", ["nmf_helpers", "nmf_kit", "nmf_course", "nmf_kit.grading.kernel_launcher"]
)
def test_packages_are_light_to_import(package):
    code = f"import sys, {package}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT / "notebooks"
    )
    assert run.stdout.strip() == "", f"importing {package} loads {run.stdout.strip()}"


def _module_name(path, package_root):
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _internal_imports(path, module, packages):
    """Modules of ``packages`` that ``module`` imports anywhere in its file (function-local
    imports included: they hide a cycle, they do not remove it)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = module.split(".")
            if node.level:
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        yield from (n for n in names if n.split(".")[0] in packages)


@pytest.mark.parametrize(
    "root", [ROOT / "nmf_kit", ROOT / "nmf_helpers", ROOT / "notebooks" / "nmf_course"], ids=lambda p: p.name
)
def test_no_import_cycle_inside_a_package(root):
    modules = {_module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph = {
        name: {m for m in _internal_imports(path, name, {root.name}) if m in modules and m != name}
        for name, path in modules.items()
    }
    # a package's __init__ importing its submodules is no cycle of the submodules'
    for name in graph:
        graph[name] -= {p for p in graph if name.startswith(p + ".")}
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)
