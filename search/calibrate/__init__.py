"""The studies behind ``nas calibrate``: one per training length, the same architectures in each.

Its modules are imported by name (``from search.calibrate import <module>``): this package
loads nothing itself, so importing one module costs only that module."""
