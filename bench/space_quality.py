"""How well the pattern and free spaces follow the design rules, over 1,000 random samples per setting.

Run: python bench/space_quality.py  (prints the table committed as bench/results/space_quality.txt)
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optuna  # noqa: E402

from search.budget import Budget  # noqa: E402
from search.sampling import DataShape, dry_run, load_space  # noqa: E402

N = 1000
SETTINGS = (("32px 400M", DataShape(32, 3, 10), 400_000_000, 16),
            ("224px 400M", DataShape(224, 3, 1000), 400_000_000, 16),
            ("24px/1ch/5cls 5M", DataShape(24, 1, 5), 5_000_000, 8))
ROWS = (("sampled", lambda q: f"{q.sampled}"), ("non-decreasing widths %", lambda q: f"{q.non_decreasing:.1%}"),
        ("halvings outside x1.5-x3 per net", lambda q: f"{q.bad_halvings:.2f}"),
        ("bottleneck < 256 ch %", lambda q: f"{q.narrow_bottleneck:.1%}"),
        ("> 10 layers in a row without skips %", lambda q: f"{q.deep_skip_free:.1%}"),
        ("median width multiplier *", lambda q: f"{q.median_width_mult:.2f}"),
        ("a stage < limit ch % (limit)", lambda q: f"{q.narrow_stage:.1%} ({q.narrow_limit})"),
        ("rejected %", lambda q: f"{q.rejected:.1%}"), ("within 80-100% of budget %", lambda q: f"{q.near_top:.1%}"),
        ("MACs/budget min/median/max", lambda q: "/".join(f"{x:.2f}" for x in q.macs_share)),
        ("all rules ok %", lambda q: f"{q.rules_ok:.1%}"), ("last map 2-8 px %", lambda q: f"{q.last_map_ok:.1%}"),
        ("RF >= 70% of input %", lambda q: f"{q.rf_ok:.1%}"))


def main() -> None:
    """Print the table."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    cols, names = [], []
    for kind in ("pattern", "free"):
        for name, shape, macs, narrow in SETTINGS:
            d = dry_run(load_space(kind), shape, Budget(macs), 1, N, optuna.samplers.RandomSampler(seed=0), narrow)
            cols.append(d.quality)
            names.append(f"{kind} {name}")
    width = max(len(r[0]) for r in ROWS)
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{N} samples per column, RandomSampler(seed=0), single objective")
    print(" " * width + "".join(f"  {n:>26}" for n in names))
    for label, fmt in ROWS:
        print(label.ljust(width) + "".join(f"  {fmt(q):>26}" for q in cols))
    print("* free: the factor its widths were squashed by to fit; pattern: the solved scale of a 16-channel first "
          "stage (nothing squashed)")
    print(f"took {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
