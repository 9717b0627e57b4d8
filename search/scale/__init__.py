"""The derive grid of ``nas scale`` as a resumable study.

Its modules are imported by name (``from search.scale import <module>``): this package
loads nothing itself, so importing one module costs only that module."""
