"""``nas scale``: a family B0 ... Bn of a base genome, by coefficients, the EfficientNet table, or derived ones."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import NamedTuple, Sequence

from scaling import (GRID_STEP, PAPER_COEFFICIENTS, TABLES, TARGET, TOLERANCE, Coefficients, DeriveResult, Variant,
                     candidate_grid, family_notes, macs_growth, parse_coefficients, parse_variant, scale_family, table,
                     upsample_note)
import space
from space.genome import Genome
from space.render import arch_string
from space.units import human

from ..files import write_atomic
from ..paths import StudyPaths
from ..train.config import TrainConfig

from .common import FLOPS_NOTE, UsageError, add_storage_arg, resolve_genome, writable_folder

# below this base size a data set's own images are usually that small (CIFAR 32, MNIST 28, Tiny ImageNet 64),
# so larger variants train on upsampled inputs; ImageNet-sized bases crop from larger images
_SMALL_NATIVE = 224


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``scale``."""
    p = sub.add_parser(
        "scale", help="compound-scale a base network into a family B0 ... Bn (EfficientNet's recipe)",
        description="Scale depth, width and resolution together: d = alpha^phi, w = beta^phi, r = gamma^phi. "
                    "By default the paper's alpha, beta, gamma = 1.2, 1.1, 1.15.", epilog=FLOPS_NOTE)
    p.add_argument("--base", required=True, metavar="MODEL",
                   help="a preset name, a genome JSON file, or study:NAME (that study's best genome)")
    p.add_argument("--to", default="B7", metavar="Bn", help="the largest variant, B0 ... B9 (default B7)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--coefficients", metavar="A,B,G",
                      help="alpha,beta,gamma, each >= 1 (default: the paper's 1.2,1.1,1.15)")
    mode.add_argument("--table", choices=tuple(TABLES),
                      help="the published multipliers and resolutions (efficientnet: B0-B7 as released)")
    mode.add_argument("--derive", action="store_true",
                      help="derive alpha, beta, gamma by a grid search at phi = 1, training each candidate on --data")
    p.add_argument("--json", action="store_true", help="print a JSON list of the variants (notes go to stderr)")
    p.add_argument("--out", type=Path, metavar="DIR", help="write B0.json ... Bn.json and scale.html here")
    p.add_argument("--studies-dir", type=Path, default=Path("studies"),
                   help="where study:NAME and the --derive study live (default: studies)")
    add_storage_arg(p, "Optuna storage URL holding study:NAME (default: its SQLite file under --studies-dir)")
    d = p.add_argument_group("--derive")
    d.add_argument("--data", help="training data (synthetic[:N[:RES[:CLASSES]]], cifar10, a folder or archive)")
    d.add_argument("--study", help="name of the derive study, resumed when it exists (default: scale-<base>)")
    d.add_argument("--target", type=float, help=f"alpha*beta^2*gamma^2 to aim at (default {TARGET:g})")
    d.add_argument("--tolerance", type=float,
                   help=f"relative tolerance around --target (default {TOLERANCE:g}, i.e. within 5 %%)")
    d.add_argument("--grid-step", type=float, help=f"grid spacing of alpha, beta, gamma (default {GRID_STEP:g})")
    d.add_argument("--epochs", type=int,
                   help=f"proxy training epochs per candidate (default {TrainConfig.epochs}, the proxy engine's)")
    d.add_argument("--max-train-images", type=int, default=None,
                   help="train each candidate on at most this many images (default: all)")
    d.add_argument("--device", default=None, help="torch device for training (default: cuda if available)")
    d.add_argument("--seed", type=int, help="seed of the validation split and of training (default 0)")
    p.set_defaults(handler=run_scale)


def _check_derive_args(args: argparse.Namespace) -> None:
    derive_only = ("data", "study", "target", "tolerance", "grid_step", "epochs", "max_train_images", "device",
                   "seed")
    if not args.derive:
        given = [f"--{k.replace('_', '-')}" for k in derive_only if getattr(args, k) is not None]
        if given:
            raise ValueError(f"{given[0]} is only used with --derive")
        return
    if not args.data:
        raise ValueError("--derive trains every candidate: give the training data with --data")
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be >= 1, got {args.epochs}")
    if args.max_train_images is not None and args.max_train_images < 1:
        raise ValueError(f"--max-train-images must be >= 1, got {args.max_train_images}")
    candidate_grid(*_grid_args(args))  # a bad target, tolerance or step fails before any data is loaded
    from ..train import resolve_device

    resolve_device(args.device)


def _grid_args(args: argparse.Namespace) -> tuple[float, float, float]:
    return (TARGET if args.target is None else args.target, TOLERANCE if args.tolerance is None else args.tolerance,
            GRID_STEP if args.grid_step is None else args.grid_step)


def run_scale(args: argparse.Namespace) -> int:
    """Print (and optionally write) the scaled family."""
    up_to = parse_variant(args.to)
    _check_derive_args(args)
    base = resolve_genome(args.base, args.studies_dir, args.storage, "--base ")
    space.complexity(base)  # a base that cannot run at its own resolution fails here, with its own message
    if args.out:  # checked before --derive trains, not after
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out {args.out} is a file; give a folder")
        writable_folder(args.out, "--out")
    out = sys.stderr if args.json else sys.stdout
    notes: list[str] = []
    native = None
    if args.table:
        rows = table(args.table)
        variants = scale_family(base, up_to, table=rows)
        header = (f"scaling by the published {args.table} table ({rows[0].name}-{rows[-1].name}: width, depth, "
                  "resolution and dropout as released, not the formula)")
        if base.resolution != rows[0].resolution:
            notes.append(f"the base is at {base.resolution}, not the table's {rows[0].resolution}: resolutions "
                         f"grow by the table's ratios ({rows[up_to].resolution}/{rows[0].resolution} at "
                         f"{rows[up_to].name}) rounded to a multiple of 8")
    else:
        if args.derive:
            base, result, native = _derive(args, base, out)
            coefficients = result.coefficients
            print(derive_table(result), file=out)
            print(file=out)
            how = f"derived on {args.data}"
        elif args.coefficients:
            coefficients, how = parse_coefficients(args.coefficients), "given"
        else:
            coefficients, how = Coefficients(*PAPER_COEFFICIENTS), "the paper's, found on its B0"
        _check_growth(coefficients, up_to)
        variants = scale_family(base, up_to, coefficients=coefficients)
        a, b, g = coefficients.alpha, coefficients.beta, coefficients.gamma
        header = (f"scaling by alpha={a:g} beta={b:g} gamma={g:g} ({how}): MACs x{coefficients.product:.3f} "
                  "per step of phi before rounding (alpha*beta^2*gamma^2)")
    print(f"base: {arch_string(base)}", file=out)
    print(header, file=out)
    print(family_table(variants), file=out)
    if up_to:
        print(f"measured MACs growth per step of phi: {macs_growth(variants):.3f}x (nominal 2x)", file=out)
    if native is None and base.resolution < _SMALL_NATIVE and variants[-1].resolution > base.resolution:
        r, top = base.resolution, variants[-1].resolution
        notes.append(f"the variants take inputs up to {top}x{top}: on data whose images are {r}x{r} like the "
                     "base's, that means training on upsampled images (more compute, no new detail)")
    for note in notes + family_notes(variants, native):
        print(f"note: {note}", file=out)
    rows = [variant_row(v) for v in variants]
    if args.out:
        write_family(variants, rows, args.out)
        print(f"wrote B0.json ... {variants[-1].name}.json, scaling.json and scale.html to {args.out}", file=out)
    if args.base.startswith("study:"):  # the study's dashboard shows the family of its best network

        path = StudyPaths.of(args.studies_dir, args.base[len("study:"):]).scaling
        write_atomic(path, json.dumps(rows, indent=2) + "\n")
        print(f"wrote {path} (nas dashboard shows it)", file=out)
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


def variant_row(v: Variant) -> dict:
    """One variant as the JSON object ``--json`` prints."""
    return {"name": v.name, "phi": v.phi, "depth_mult": round(v.depth_mult, 6), "width_mult": round(v.width_mult, 6),
            "resolution_mult": round(v.resolution_mult, 6), "resolution": v.resolution, "params": v.params,
            "macs": v.macs, "macs_ratio": round(v.macs_ratio, 6), "nominal_ratio": v.nominal_ratio,
            "multiplier_ratio": round(v.multiplier_ratio, 6), "dropout": v.genome.head.dropout,
            "arch": arch_string(v.genome), "genome": v.genome.to_dict()}


def _format(rows: list[list[str]], right: Sequence[bool]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)).rstrip()
                     for row in rows)


def family_table(variants: Sequence[Variant]) -> str:
    """One row per variant: phi, multipliers, resolution, params, MACs and the MACs ratios."""
    rows = [["name", "phi", "depth x", "width x", "res", "params", "MACs", "MACs x", "d*w^2*r^2", "2^phi"]]
    for v in variants:
        rows.append([v.name, f"{v.phi:g}", f"{v.depth_mult:.3f}", f"{v.width_mult:.3f}", str(v.resolution),
                     human(v.params), human(v.macs), f"{v.macs_ratio:.2f}", f"{v.multiplier_ratio:.2f}",
                     f"{v.nominal_ratio:g}"])
    return _format(rows, [False] + [True] * 9)


def derive_table(result: DeriveResult) -> str:
    """The derive candidates, best first: coefficients, nominal and measured ratios, cost, accuracy."""
    first: dict[Genome, str] = {}
    for c in result.candidates:  # grid order: the first candidate of each network is the one trained
        first.setdefault(c.genome, f"{c.alpha:g},{c.beta:g},{c.gamma:g}")
    rows = [["alpha", "beta", "gamma", "a*b^2*g^2", "MACs x", "res", "params", "MACs", "val acc", ""]]
    for c in result.ranked():
        trained_as = first[c.genome]
        mark = "<- chosen" if c == result.chosen else ""
        if trained_as != f"{c.alpha:g},{c.beta:g},{c.gamma:g}":
            mark = f"{mark} (same network as {trained_as})".strip()
        rows.append([f"{c.alpha:g}", f"{c.beta:g}", f"{c.gamma:g}", f"{c.product:.3f}", f"{c.macs_ratio:.3f}",
                     str(c.resolution), human(c.params), human(c.macs),
                     "failed" if c.val_acc is None else f"{c.val_acc:.4f}", mark])
    return _format(rows, [True] * 9 + [False])


class ChartData(NamedTuple):
    """What the scale chart plots: params and MACs of each variant against phi, and the nominal MACs."""

    names: tuple[str, ...]
    phi: tuple[float, ...]
    params: tuple[int, ...]
    macs: tuple[int, ...]
    nominal_macs: tuple[float, ...]  # the base's MACs times 2^phi


def chart_data(variants: Sequence[Variant]) -> ChartData:
    """The chart's numbers, computed without plotly."""
    base = variants[0].macs
    return ChartData(tuple(v.name for v in variants), tuple(v.phi for v in variants),
                     tuple(v.params for v in variants), tuple(v.macs for v in variants),
                     tuple(base * v.nominal_ratio for v in variants))


def chart_figure(data: ChartData, title: str):
    """A plotly figure of :func:`chart_data` (log axes: each step of phi is a constant factor)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=data.phi, y=data.macs, name="MACs", mode="lines+markers+text", text=data.names,
                             textposition="top left"))
    fig.add_trace(go.Scatter(x=data.phi, y=data.nominal_macs, name="base MACs x 2^phi", mode="lines",
                             line={"dash": "dash"}))
    fig.add_trace(go.Scatter(x=data.phi, y=data.params, name="params", mode="lines+markers", yaxis="y2"))
    fig.update_layout(title=title, xaxis_title="phi", yaxis={"title": "MACs", "type": "log"},
                      yaxis2={"title": "params", "type": "log", "overlaying": "y", "side": "right"},
                      legend={"x": 0.02, "y": 0.98})
    return fig


MAX_GROWTH = 1000  # the most a variant's depth, width or resolution may grow over its base's (B7 is 2-4x)


def _check_growth(c: Coefficients, up_to: int) -> None:
    """Refuse coefficients whose top variant is beyond costing (1e300 ** 7 is no network), before it is built."""
    top = max(c.alpha, c.beta, c.gamma)
    if up_to * math.log(top) > math.log(MAX_GROWTH):
        raise UsageError(f"coefficients {c.alpha:g},{c.beta:g},{c.gamma:g}: B{up_to} would grow by {top:g}^{up_to}, "
                         f"over {MAX_GROWTH}x the base; alpha*beta^2*gamma^2 near 2 keeps each under 5x at B7")


def write_family(variants: Sequence[Variant], rows: Sequence[dict], out: Path) -> None:
    """Each variant's genome as ``NAME.json``, the ``--json`` rows as ``scaling.json``, the chart as ``scale.html``."""
    out.mkdir(parents=True, exist_ok=True)  # run_scale checked it before any work
    for v in variants:
        write_atomic(out / f"{v.name}.json", v.genome.to_json() + "\n")
    write_atomic(StudyPaths(out).scaling, json.dumps(list(rows), indent=2) + "\n")  # where a study's dashboard reads it
    title = f"{variants[0].name}-{variants[-1].name} of {arch_string(variants[0].genome)}"
    figure = chart_figure(chart_data(variants), title)
    write_atomic(out / "scale.html", lambda tmp: figure.write_html(tmp, include_plotlyjs=True))


def _derive(args: argparse.Namespace, base: Genome, out) -> tuple[Genome, DeriveResult, int]:
    """Run the derive study; the base adapted to the data, the result, and the data's native size."""
    from ..config import check_seed
    from ..data import load_data
    from ..scale.derive import derive_study, study_storage

    seed = args.seed or 0
    check_seed(seed)
    data = load_data(args.data, seed=seed)
    if (base.num_classes, base.in_channels) != (data.num_classes, data.channels):
        print(f"note: the base is set to the data's {data.num_classes} classes and {data.channels} channels",
              file=out)
        base = base.replace(num_classes=data.num_classes, in_channels=data.channels)
    name = args.study or f"scale-{_slug(args.base)}"
    cfg = TrainConfig(epochs=args.epochs or TrainConfig.epochs, max_train_images=args.max_train_images, seed=seed)
    target, tolerance, step = _grid_args(args)
    result = derive_study(base, data, cfg, name, study_storage(args.studies_dir, name), target=target,
                          tolerance=tolerance, step=step, device=args.device, log=lambda line: print(line, file=out))
    upsampled = [c.resolution for c in result.candidates if c.resolution > data.resolution]
    if upsampled:
        print(f"note: {upsample_note(data.resolution, upsampled)}", file=out)
    return base, result, data.resolution


def _slug(spec: str) -> str:
    stem = Path(spec.removeprefix("study:")).name.removesuffix(".json")
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem) or "base"
