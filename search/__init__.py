"""nas's search: Optuna studies whose trials train proxies of sampled CNNs under a budget.

The Python API (``search.api``) is re-exported here, loaded on first use (PEP 562), so ``import search``
and ``nas --help`` stay free of torch, optuna and plotly::

    import search
    search.cost("resnet20").params                   # 269722, nothing built
    result = search.run(search.RunConfig(data="synthetic:400:16:4", budget="3M", trials=3, epochs=1))
"""

from space.lazy import lazy_getattr

__version__ = "0.2.0"

_HOME = {
    **dict.fromkeys(("SearchResult", "build", "cost", "decode", "describe", "encode", "genome", "run", "sample"), "api"),
    **dict.fromkeys(("ConfigError", "RunConfig"), "config"),
}

__all__ = sorted(_HOME)

__getattr__ = lazy_getattr(__name__, globals(), _HOME)
