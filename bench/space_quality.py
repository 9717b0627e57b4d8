"""How well the pattern (default) and free spaces follow the design rules, over 500+ random samples per setting.

Run: python bench/space_quality.py [N]  (prints the table committed as bench/results/space_quality.txt)

Samples are drawn as ``nas run --dry-run`` draws them (one seeded sampler per trial number), so a column is what
a new study with that setting trains first. The top rows say whether the hand designs are points of the space.
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
from search.sampling import DataShape, SpaceError, decode, dry_run, encode, load_space  # noqa: E402
from space import complexity, preset  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
SETTINGS = (("32px 40M", DataShape(32, 3, 10), 40_000_000), ("32px 400M", DataShape(32, 3, 10), 400_000_000),
            ("224px 400M", DataShape(224, 3, 1000), 400_000_000),
            ("24px/1ch/5cls 5M", DataShape(24, 1, 5), 5_000_000), ("64px 50M", DataShape(64, 3, 10), 50_000_000))
HAND_DESIGNS = ("resnet20", "resnet56", "resnet18", "resnet34", "resnet50", "mobilenet_v2", "efficientnet_b0",
                "regnet_x_400mf", "regnet_y_400mf")


def pct(x: float) -> str:
    return f"{x:.1%}"


ROWS = (("sampled", lambda q: f"{q.sampled}"), ("rejected %", lambda q: pct(q.rejected)),
        ("within 80-100% of budget %", lambda q: pct(q.near_top)),
        ("MACs/budget min/median/max", lambda q: "/".join(f"{x:.2f}" for x in q.macs_share)),
        ("label mismatches (nets) %", lambda q: pct(q.mislabelled)),
        ("k x k conv over the cap % (cap)", lambda q: f"{pct(q.over_cap)} ({q.cap})"),
        ("stage output over the cap % *", lambda q: pct(q.wide_outputs)),
        ("a stage >= 4x deeper than all others %", lambda q: pct(q.pile)),
        ("<= 10 weighted layers %", lambda q: pct(q.shallow)),
        ("a stage < 16 ch %", lambda q: pct(q.narrow_stage)),
        ("depths falling before the last stage %", lambda q: pct(q.depth_falls)),
        ("stage counts", lambda q: " ".join(f"{k}:{v}" for k, v in q.stage_counts.items())),
        ("stems", lambda q: " ".join(f"{k}:{v}" for k, v in sorted(q.stems.items()))),
        ("distinct architectures per 1,000", lambda q: f"{q.distinct_per_1000:.0f}"),
        ("non-decreasing widths %", lambda q: pct(q.non_decreasing)),
        ("halvings outside x1.5-x3 per net", lambda q: f"{q.bad_halvings:.2f}"),
        ("reducing bottleneck < 256 ch %", lambda q: pct(q.narrow_bottleneck)),
        ("> 10 layers in a row without skips %", lambda q: pct(q.deep_skip_free)),
        ("all rules ok %", lambda q: pct(q.rules_ok)), ("last map 2-8 px %", lambda q: pct(q.last_map_ok)),
        ("RF >= 70% of input %", lambda q: pct(q.rf_ok)))


def hand_designs() -> str:
    """Which hand designs are points of the default space: encode, then decode at their own MACs."""
    space, out = load_space("pattern"), []
    for name in HAND_DESIGNS:
        g = preset(name)
        try:
            back = decode(encode(g, space), space, DataShape(g.resolution, g.in_channels, g.num_classes),
                          Budget(complexity(g).macs))
            out.append(f"{name} {'yes' if back == g else 'NO (decodes to another genome)'}")
        except SpaceError as e:
            out.append(f"{name} no ({e})")
    return "hand designs that are points of the pattern space (encode, decode at their own MACs, equal): " + \
        "; ".join(out)


def main() -> None:
    """Print the table."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    cols, names = [], []
    for kind in ("pattern", "free"):
        for name, shape, macs in SETTINGS:
            d = dry_run(load_space(kind), shape, Budget(macs), 1, N, lambda k: optuna.samplers.RandomSampler(seed=k))
            cols.append(d.quality)
            names.append(f"{kind} {name}")
    width = max(len(r[0]) for r in ROWS)
    print(f"host: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {N} samples per column, "
          "RandomSampler seeded per trial number (as nas run), single objective")
    print(hand_designs())
    for part in (slice(0, len(SETTINGS)), slice(len(SETTINGS), None)):
        print("\n" + " " * width + "".join(f"  {n:>24}" for n in names[part]))
        for label, fmt in ROWS:
            print(label.ljust(width) + "".join(f"  {fmt(q):>24}" for q in cols[part]))
    print("* a bottleneck's output is its expansion times its k x k conv (ResNet-50's last stage: 2,048 = 4 x 512); "
          "the cap (max_width) is on the k x k conv, which no pattern sample exceeds")
    print(f"took {time.perf_counter() - start:.0f} s (not a timing: other work shared the cores)")


if __name__ == "__main__":
    main()
