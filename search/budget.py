"""Parsing budgets and durations from the command line: pure functions, one clear error each."""

from __future__ import annotations

import math
import re

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
