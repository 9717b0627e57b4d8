"""The package layering: imports flow down the layers (commands -> api -> run, report ... -> study -> config ->
sampling, train, data -> leaves; search -> scaling -> space), and no import cycle, counting imports inside
functions (only ``if TYPE_CHECKING:`` imports, which never run, are left out)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("space", "scaling", "search")
# each concept's rank: a module may import its own concept and lower ranks only (the longest prefix names it)
RANKS = {
    "space": 0, "scaling": 1,
    "search.budget": 2, "search.files": 2, "search.logs": 2, "search.memory": 2, "search.status": 2,
    "search.paths": 2, "search.export": 3,
    "search.data": 3, "search.train": 4, "search.sampling": 4,
    "search.config": 5,
    "search.study": 6,
    "search.report": 7,
    "search.dashboard": 8, "search.run": 8, "search.calibrate": 8, "search.scale": 8,
    "search.api": 9, "search": 9,  # search/__init__.py: the API's names, loaded on first use
    "search.commands": 10, "search.cli": 11,
}
SHARED_COMMAND_MODULES = ("search.commands.common",)  # what command modules share; commands never import each other


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks (imports for annotations: never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for n in ast.walk(node)}
    return out


def imports(path: Path, root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> set[str]:
    """Project modules ``path`` imports at run time, at module level or inside functions (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip = _type_checking_only(tree)
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
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
    return {m for m in out if m.split(".")[0] in packages}


def modules(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    return {module_name(p, root): p for pkg in packages for p in (root / pkg).rglob("*.py")}


def concept(name: str) -> str:
    """The RANKS key that names a module's concept: the longest prefix of its dotted name."""
    keys = [k for k in RANKS if name == k or name.startswith(k + ".")]
    assert keys, f"{name} belongs to no concept of RANKS: give its package a rank"
    return max(keys, key=len)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (module -> modules it imports), as a path that ends where it began; None
    without one. A module importing its own package (``from . import x`` in a submodule) is not counted."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(n: str, path: list[str]) -> list[str] | None:
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if n.startswith(m + "."):
                continue
            if state.get(m) == 1:
                return path[path.index(m):] + [m]
            if m not in state and (cycle := visit(m, path + [m])):
                return cycle
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (cycle := visit(n, [n])):
            return cycle
    return None


def import_graph(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> dict[str, set[str]]:
    known = modules(root, packages)
    return {n: {m for m in imports(p, root, packages) if m in known and m != n} for n, p in known.items()}


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_flow_down_the_layers(name):
    here = concept(name)
    for imported in imports(modules()[name]):
        there = concept(imported)
        assert there == here or RANKS[there] < RANKS[here], f"{name} ({here}) imports {imported} ({there})"
        if here == "search.commands" and imported.startswith("search.commands."):
            own = ".".join(name.split(".")[:3])  # search.commands.run and its submodules are one command
            assert imported.startswith((own + ".", own)) or imported.startswith(SHARED_COMMAND_MODULES), \
                f"command {name} imports another command's module {imported}"


def test_no_import_cycle_even_inside_functions():
    assert find_cycle(import_graph()) is None, " -> ".join(find_cycle(import_graph()))


def test_a_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    """The check above would fail on the tree if one module imported another at its top and the other imported it
    back inside a function (the cycle the run config and the study once had), and not for a TYPE_CHECKING import."""
    pkg = tmp_path / "search"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import g\n\ndef f():\n    return g()\n")
    (pkg / "b.py").write_text("def g():\n    from .a import f\n    return f\n")
    assert find_cycle(import_graph(tmp_path, ("search",))) == ["search.a", "search.b", "search.a"]
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .a import f\n")
    assert find_cycle(import_graph(tmp_path, ("search",))) is None
