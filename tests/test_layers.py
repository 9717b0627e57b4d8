"""The package layering: imports flow commands -> search -> scaling -> space, and no module-level import cycle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("space", "scaling", "search")
# what each layer may import from the project, by module-name prefix (itself included)
ALLOWED = {"space": ("space",), "scaling": ("scaling", "space"),
           "search": ("search", "scaling", "space"), "search.commands": ("search", "scaling", "space"),
           "search.cli": ("search", "scaling", "space")}
NOT_BELOW = {"search": ("search.commands", "search.cli"), "search.commands": ("search.cli",)}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level_only: bool) -> set[str]:
    """Project modules ``path`` imports (relative imports resolved); only module-level ones if asked."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            out |= {f"{mod}.{a.name}" for a in node.names}  # "from . import x" may name a submodule
    return {m for m in out if m.split(".")[0] in PACKAGES}


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def layer(name: str) -> str:
    if name == "search.cli" or name.startswith("search.commands"):
        return "search.cli" if name == "search.cli" else "search.commands"
    return name.split(".")[0]


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_flow_down_the_layers(name):
    here = layer(name)
    for imported in imports(modules()[name], top_level_only=False):
        assert imported.startswith(ALLOWED[here]), f"{name} imports {imported}"
        assert not imported.startswith(NOT_BELOW.get(here, ("\0",))), f"{name} imports {imported}"


def test_no_module_level_import_cycle():
    known = modules()
    graph = {n: {m for m in imports(p, top_level_only=True) if m in known and m != n} for n, p in known.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in sorted(graph[n]):
            if state.get(m) == 1 and not n.startswith(m + "."):  # a package's __init__ importing its own modules
                cycle = path[path.index(m):] + [m] if m in path else [n, m]
                raise AssertionError(" -> ".join(cycle))
            if m not in state:
                visit(m, path + [m])
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n, [n])
