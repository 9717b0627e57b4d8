"""``nas presets``, ``nas describe`` and ``nas build``: look at a genome and take it elsewhere."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from space import DESCRIPTIONS, PRESETS, build, complexity, preset, resolve_model
from space.report import describe, describe_text, human

from ..cli import FLOPS_NOTE, positive_int


def add(sub: argparse._SubParsersAction) -> None:
    """Register presets, describe and build."""
    p = sub.add_parser("presets", help="list the reference networks", epilog=FLOPS_NOTE)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(handler=run_presets)

    p = sub.add_parser("describe", help="shape-flow table, exact params/MACs/receptive field and design notes",
                       epilog=FLOPS_NOTE)
    p.add_argument("model", metavar="MODEL", help="a preset name (nas presets) or a genome JSON file")
    p.add_argument("--resolution", type=positive_int, help="input size in pixels (default: the genome's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_describe)

    p = sub.add_parser("build", help="write the untrained model as TorchScript", epilog=FLOPS_NOTE)
    p.add_argument("model", metavar="MODEL", help="a preset name or a genome JSON file")
    p.add_argument("--out", required=True, type=Path, help="output file (.pt), loadable with torch.jit.load")
    p.set_defaults(handler=run_build)


def run_presets(args: argparse.Namespace) -> int:
    """List presets with their params and MACs."""
    rows = []
    for name in PRESETS:
        g = preset(name)
        c = complexity(g)
        rows.append({"name": name, "params": c.params, "macs": c.macs, "resolution": g.resolution,
                     "description": DESCRIPTIONS[name]})
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        print(f"{r['name']:<{width}}  {human(r['params']):>8} params  {human(r['macs']):>8} MACs  "
              f"@{r['resolution']:<3}  {r['description']}")
    return 0


def run_describe(args: argparse.Namespace) -> int:
    """Print the shape-flow table and design notes of a genome."""
    info = describe(resolve_model(args.model), args.resolution)
    print(json.dumps(info, indent=2) if args.json else describe_text(info))
    return 0


def run_build(args: argparse.Namespace) -> int:
    """Build the model and save it as TorchScript."""
    import torch

    g = resolve_model(args.model)
    complexity(g)  # fails with a clear line if the genome cannot run at its resolution
    out: Path = args.out
    if out.exists() and out.is_dir():
        raise ValueError(f"--out {out} is a folder; give a file name such as model.pt")
    if not out.parent.exists():
        raise ValueError(f"--out {out}: the folder {out.parent} does not exist")
    with warnings.catch_warnings():  # TorchScript is deprecated upstream but is still the portable format asked for
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.script(build(g).eval())
    scripted.save(str(out))
    c = complexity(g)
    print(f"wrote {out}: {human(c.params)} params, {human(c.macs)} MACs at {g.resolution}x{g.resolution} "
          f"(input: float tensor of shape (N, {g.in_channels}, {g.resolution}, {g.resolution}))")
    return 0
