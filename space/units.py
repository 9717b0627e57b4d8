"""Counts for people: 12345678 -> '12.35M' (no torch here, so command-line help stays quick)."""


def human(n: float) -> str:
    """12345678 -> '12.35M'."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return f"{n:g}"
