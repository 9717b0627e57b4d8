"""Parsing budgets and durations from the command line: pure functions, one clear error each."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# "FLOPs" and "MACs" are the same unit here: multiply-accumulates of conv and linear layers
_COMPUTE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)\s*(flops|macs)?\s*$", re.IGNORECASE)
_COUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)\s*(params)?\s*$", re.IGNORECASE)
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|sec|m|min|h|hr|d)?\s*$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12}
_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


class BudgetError(ValueError):
    """A budget or duration string that cannot be read."""


def _number(text: str, pattern: re.Pattern, what: str, example: str) -> float:
    m = pattern.match(text or "")
    if not m:
        raise BudgetError(f"{what} {text!r} is not understood; write e.g. {example}")
    value = float(m.group(1)) * _SCALE[m.group(2).lower()]
    if not math.isfinite(value) or value <= 0:
        raise BudgetError(f"{what} {text!r} must be positive")
    return value


def parse_macs(text: str) -> int:
    """'400MFLOPs', '400M', '0.4GFLOPs', '1.2GMACs', '400e6' -> multiply-accumulates (FLOPs = MACs here)."""
    if text.strip().startswith("-"):
        raise BudgetError(f"budget {text!r} must be positive")
    return int(round(_number(text, _COMPUTE, "budget", "400MFLOPs, 0.4GFLOPs, 1.2GMACs or 400e6")))


def parse_params(text: str) -> int:
    """'5M', '500k', '5e6' -> a parameter count."""
    if text.strip().startswith("-"):
        raise BudgetError(f"parameter budget {text!r} must be positive")
    return int(round(_number(text, _COUNT, "parameter budget", "5M, 500k or 5e6")))


def parse_duration(text: str) -> float:
    """'30m', '2h', '90s', '45' (seconds) -> seconds."""
    m = _DURATION.match(text or "")
    if not m:
        raise BudgetError(f"duration {text!r} is not understood; write e.g. 90s, 30m or 2h")
    seconds = float(m.group(1)) * _SECONDS[m.group(2).lower() if m.group(2) else None]
    if seconds <= 0:
        raise BudgetError(f"duration {text!r} must be positive")
    return seconds


@dataclass(frozen=True)
class Budget:
    """What a trained candidate may cost: MACs (= FLOPs here) and parameters, at the search resolution."""

    max_macs: int | None = None
    max_params: int | None = None
    min_macs: int = 0  # --min-budget as MACs: keeps the search from drifting to tiny models

    def fits(self, macs: int | None, params: int | None) -> bool:
        """Whether a cost is inside the budget: the one definition of "within budget".

        An unset bound always holds; an unknown cost (None) never meets a set one."""
        return not self.over(macs, params) and (not self.min_macs or (macs is not None and macs >= self.min_macs))

    def over(self, macs: int | None, params: int | None) -> bool:
        """Whether a cost exceeds an upper bound (too big, as opposed to too small)."""
        def above(cost: int | None, bound: int | None) -> bool:
            return bound is not None and (cost is None or cost > bound)

        return above(macs, self.max_macs) or above(params, self.max_params)

    def text(self) -> str:
        """The bounds in words: "MACs <= 400.00M and params <= 5.00M" ("no bound" when none is set)."""
        from space.units import human

        parts = [f"MACs <= {human(self.max_macs)}" if self.max_macs else "",
                 f"params <= {human(self.max_params)}" if self.max_params else ""]
        return " and ".join(p for p in parts if p) or "no bound"
