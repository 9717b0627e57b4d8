"""Names that load on first use (PEP 562), for packages whose submodules import torch."""

from __future__ import annotations

from importlib import import_module
from typing import Any, Callable, Mapping, MutableMapping


def lazy_getattr(package: str, namespace: MutableMapping[str, Any], home: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<home[name]>`` when ``name`` is first asked for.

    Every name of that submodule is bound at once: importing it also bound the submodule's own name on the
    package (``scaling.derive`` the module would otherwise shadow ``derive`` the function).
    """

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f".{home[name]}", package)
        namespace.update({n: getattr(module, n) for n, h in home.items() if h == home[name]})
        return namespace[name]

    return __getattr__
