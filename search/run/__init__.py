"""A run's steps shared by ``nas run`` and the Python API (prepare, execute), and the budget-matched baselines.

Its modules are imported by name (``from search.run import <module>``): this package
loads nothing itself, so importing one module costs only that module."""
