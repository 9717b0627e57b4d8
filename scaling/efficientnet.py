"""The published EfficientNet B0-B7 scaling table (Tan & Le 2019, and the reference TF/torchvision code).

The released variants do not follow ``d = 1.2^phi, w = 1.1^phi, r = 1.15^phi`` exactly: the
authors rounded and hand-adjusted each row (B1 is w 1.0, d 1.1, r 240 where the formula gives
1.1, 1.2, 258). These are the rows that ``efficientnet_b0`` must be scaled with to reproduce
torchvision's ``efficientnet_b1`` ... ``efficientnet_b7``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableRow:
    """One released variant: its multipliers relative to B0, input size and classifier dropout."""

    name: str
    width: float  # width multiplier of every channel count (stem, stages, head)
    depth: float  # depth multiplier of every stage's block count (rounded up)
    resolution: int  # input size the variant was trained and evaluated at (B0's 224 is what the others grow from)
    dropout: float  # dropout before the classifier
    paper_macs: float  # the paper's "FLOPs" column (Table 2), in G multiply-adds
    paper_params: float  # the paper's "#Params" column, in millions


EFFICIENTNET: tuple[TableRow, ...] = (
    TableRow("B0", 1.0, 1.0, 224, 0.2, 0.39, 5.3),
    TableRow("B1", 1.0, 1.1, 240, 0.2, 0.70, 7.8),
    TableRow("B2", 1.1, 1.2, 260, 0.3, 1.0, 9.2),
    TableRow("B3", 1.2, 1.4, 300, 0.3, 1.8, 12.0),
    TableRow("B4", 1.4, 1.8, 380, 0.4, 4.2, 19.0),
    TableRow("B5", 1.6, 2.2, 456, 0.4, 9.9, 30.0),
    TableRow("B6", 1.8, 2.6, 528, 0.5, 19.0, 43.0),
    TableRow("B7", 2.0, 3.1, 600, 0.5, 37.0, 66.0),
)

TABLES: dict[str, tuple[TableRow, ...]] = {"efficientnet": EFFICIENTNET}

# The coefficients the paper found by grid search at phi = 1 on its B0 (alpha * beta^2 * gamma^2 = 1.92).
PAPER_COEFFICIENTS = (1.2, 1.1, 1.15)


def table(name: str) -> tuple[TableRow, ...]:
    """A published scaling table by name."""
    if name not in TABLES:
        raise ValueError(f"unknown scaling table {name!r}; tables: {', '.join(TABLES)}")
    return TABLES[name]
