"""nas's search: Optuna studies whose trials train proxies of sampled CNNs under a budget.

The Python API (``search.api``) is re-exported here, loaded on first use (PEP 562), so ``import search``
and ``nas --help`` stay free of torch, optuna and plotly::

    import search
    search.cost("resnet20").params                   # 272474, nothing built
    result = search.run(search.RunConfig(data="synthetic:400:16:4", budget="3M", trials=3, epochs=1))
"""

from importlib import import_module
from typing import Any

__version__ = "0.2.0"

_HOME = {
    **dict.fromkeys(("SearchResult", "build", "cost", "describe", "genome", "run", "sample"), "api"),
    **dict.fromkeys(("ConfigError", "RunConfig"), "run_config"),
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    value = getattr(import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value
