"""The package layout holds: no import cycles between modules, and sub-packages depend in one
direction (cli/entrypoint/bench -> itemtext -> ncf/classifier -> data/contract -> errors/aws/metrics)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "mlbundle_training"
# sub-package (or top-level module) -> what it may import from this package
ALLOWED = {
    "errors": set(), "aws": set(), "metrics": set(),
    "contract": {"errors", "aws"},
    "data": {"errors", "aws", "contract"},
    "ncf": {"errors", "metrics", "contract", "data"},
    "classifier": {"errors", "metrics", "contract", "data"},
    "itemtext": {"errors", "metrics", "contract", "data", "ncf", "classifier"},
    "bench": {"errors", "metrics", "data", "ncf", "classifier", "itemtext"},
    "cli": {"errors", "contract", "data", "ncf", "classifier", "itemtext"},
    "entrypoint": {"errors", "aws", "contract", "data", "ncf", "classifier", "itemtext"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Modules of this package that ``path`` imports (at any depth, lazy imports included)."""
    me = module_name(path)
    pkg = me.split(".") if path.name == "__init__.py" else me.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = pkg[: len(pkg) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            names = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            out.update(names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    known = {module_name(p) for p in ROOT.rglob("*.py")}
    return {n for n in out if n in known and n != me}


GRAPH = {module_name(p): imports(p) for p in ROOT.rglob("*.py")}


def area(mod: str) -> str:
    return mod.split(".")[1] if "." in mod else ""


def test_no_import_cycles():
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for n in GRAPH[m]:
            if state.get(n) == 1:
                pytest.fail("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


@pytest.mark.parametrize("mod", sorted(m for m in GRAPH if area(m)))
def test_dependencies_point_one_way(mod):
    src = area(mod)
    bad = {n for n in GRAPH[mod] if area(n) and area(n) != src and area(n) not in ALLOWED[src]}
    assert not bad, f"{mod} imports {sorted(bad)}, outside what {src} may use"
