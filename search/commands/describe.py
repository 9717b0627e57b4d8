"""``nas presets``, ``nas describe`` and ``nas build``: look at a genome and take it elsewhere."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .common import FLOPS_NOTE, FORMATS, UsageError, add_model_args, positive_int, resolve_genome, writable_folder


def add(sub: argparse._SubParsersAction) -> None:
    """Register presets, describe and build."""
    p = sub.add_parser("presets", help="list the reference networks", epilog=FLOPS_NOTE)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(handler=run_presets)

    p = sub.add_parser("describe", help="shape-flow table, exact params/MACs/receptive field and design notes",
                       epilog=FLOPS_NOTE)
    add_model_args(p)
    p.add_argument("--resolution", type=positive_int, help="input size in pixels (default: the genome's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_describe)

    p = sub.add_parser("build", help="export the untrained model (torch.export .pt2 by default)", epilog=FLOPS_NOTE)
    add_model_args(p)
    p.add_argument("--out", required=True, type=Path, help="output file (model.pt2, model.onnx or model.ts)")
    p.add_argument("--format", choices=FORMATS, default="pt2",
                   help="pt2 (torch.export, default), onnx (needs the onnx extra) or torchscript")
    p.set_defaults(handler=run_build)


def run_presets(args: argparse.Namespace) -> int:
    """List presets with their params and MACs."""
    from space import DESCRIPTIONS, PRESETS, complexity, preset
    from space.units import human

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
    from space.report import describe, describe_text

    info = describe(resolve_genome(args.model, args.studies_dir, args.storage), args.resolution)
    print(json.dumps(info, indent=2) if args.json else describe_text(info))
    return 0


def run_build(args: argparse.Namespace) -> int:
    """Build the untrained model and export it (no normalisation inside: inputs are the network's own)."""
    from space import build, complexity
    from space.units import human

    from ..export import EXAMPLE_BATCH, EXPORTS
    from ..memory import check_fits, model_bytes

    g = resolve_genome(args.model, args.studies_dir, args.storage)
    c = complexity(g)  # fails with a clear line if the genome cannot run at its resolution
    out: Path = args.out
    if out.exists() and out.is_dir():
        raise UsageError(f"--out {out} is a folder; give a file name such as model.pt2")
    if not out.parent.exists():
        raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
    writable_folder(out.parent, "--out")
    check_fits(f"{args.model} ({human(c.params)} params, {human(c.acts)} activations per image)",
               model_bytes(c.params, c.acts, EXAMPLE_BATCH, training=False))
    fn = EXPORTS[args.format][1]
    identity = ([0.0] * g.in_channels, [1.0] * g.in_channels)
    fn(build(g).eval(), *identity, g.in_channels, g.resolution, out)
    print(f"wrote {out} ({args.format}): {human(c.params)} params, {human(c.macs)} MACs at {g.resolution}x"
          f"{g.resolution} (input: float tensor of shape (N, {g.in_channels}, {g.resolution}, {g.resolution}))")
    return 0
