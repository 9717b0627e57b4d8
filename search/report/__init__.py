"""The read side of a study: the one reader (results), what the dashboard plots, the study list, calibration measures.

Its modules are imported by name (``from search.report import <module>``): this package
loads nothing itself, so importing one module costs only that module."""
