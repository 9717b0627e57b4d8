"""``nas train``: train one model with the proxy engine, select on validation, report test once."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from space import arch_string, build, complexity
from space.report import human

from ..cli import FLOPS_NOTE, UsageError, positive_int
from ..study import resolve_genome


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas train``."""
    p = sub.add_parser("train", help="train a preset or genome; validation per epoch, test once at the end",
                       epilog=FLOPS_NOTE)
    p.add_argument("model", metavar="MODEL", help="a preset, a genome JSON file, or study:NAME (its best genome)")
    p.add_argument("--data", required=True, help="synthetic, a torchvision name, an ImageFolder folder or archive")
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--batch-size", type=positive_int, default=256)
    p.add_argument("--lr", type=float, help="peak learning rate (default 0.2)")
    p.add_argument("--cutout", type=int, default=0, help="cutout square side in pixels (0 = off)")
    p.add_argument("--max-train-images", type=positive_int, help="train on a random subset of this size")
    p.add_argument("--resolution", type=positive_int,
                   help="train and test at this size (default: the genome's; images are resized on the device)")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--studies-dir", default="studies", help="where study:NAME is looked up")
    p.add_argument("--cache-dir", help="where decoded data sets are cached")
    p.add_argument("--out", type=Path, help="folder for model.pt, genome.json and result.json (default trained/MODEL)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Train, print per-epoch validation, evaluate the test split once, write the artefacts."""
    import torch

    from ..data import load_data
    from ..train import TrainConfig, resolve_device, train_proxy

    genome = resolve_genome(args.model, args.studies_dir)
    dev = resolve_device(args.device)
    if args.lr is not None and not args.lr > 0:
        raise UsageError(f"--lr must be positive, got {args.lr}")
    data = load_data(args.data, args.cache_dir, seed=args.seed)
    res = args.resolution or genome.resolution
    genome = replace(genome, in_channels=data.channels, num_classes=data.num_classes, resolution=res)
    complexity(genome)  # one clear line if the genome cannot run at this resolution
    notes = []
    if res != data.resolution:
        notes.append(f"training at {res}x{res}: the {data.resolution}x{data.resolution} images are "
                     f"{'upsampled' if res > data.resolution else 'downsampled'} on the device")
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, cutout=args.cutout, seed=args.seed,
                      max_train_images=args.max_train_images, resolution=res,
                      **({"lr": args.lr} if args.lr is not None else {}))
    cost = complexity(genome)
    say = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    say(f"{arch_string(genome)}\n{human(cost.params)} params, {human(cost.macs)} MACs; {data.name}: "
        f"{len(data.train_y)} train / {len(data.val_y)} val / {len(data.test_y)} test images on {dev}")
    for n in notes:
        say(f"note: {n}")

    def on_epoch(stats) -> None:
        bar = "#" * int(20 * stats.epoch / cfg.epochs)
        say(f"[{bar:<20}] epoch {stats.epoch}/{cfg.epochs}  train_loss {stats.train_loss:.3f}  "
            f"val_loss {stats.val_loss:.3f}  val_acc {stats.val_acc:.4f}  ({stats.seconds:.1f}s)")

    torch.manual_seed(args.seed)
    model = build(genome)
    result = train_proxy(model, data, cfg, dev, on_epoch=on_epoch, evaluate_test=True)
    out = {"model": args.model, "arch": arch_string(genome), "data": data.name, "resolution": res,
           "params": cost.params, "macs": cost.macs, **result.to_dict(), "notes": notes}
    folder = args.out or Path("trained") / Path(args.model.replace("study:", "study-")).stem
    try:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), folder / "model.pt")
        (folder / "genome.json").write_text(genome.to_json())
        (folder / "result.json").write_text(json.dumps(out, indent=2))
        out["out"] = str(folder)
    except OSError as e:
        raise UsageError(f"cannot write to {folder}: {e.strerror or e}") from None
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        test = f"{result.test_acc:.4f}" if result.test_acc is not None else "n/a (no test split)"
        lat = ", ".join(f"{k} {v:.2f} ms" for k, v in result.latency_ms.items() if v is not None)
        print(f"{result.status}: val_acc {result.val_acc}, test_acc {test}, {result.epochs} epochs in "
              f"{result.train_seconds:.1f}s ({result.images_per_second:,.0f} img/s), latency {lat or 'n/a'}, "
              f"device {result.device}; wrote {folder}/")
    if result.status != "ok":
        print(f"nas: training ended with status {result.status}: {result.reason}", file=sys.stderr)
        return 1
    return 0
