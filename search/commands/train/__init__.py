"""``nas train``: train one model with the proxy engine, select on validation, report test once, export it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ...sampling.tuning import tuned_values
from ...train.config import TrainConfig
from ..common import (FLOPS_NOTE, FORMATS, UsageError, add_data_args, add_model_args, positive_int, resolve_genome,
                     study_best, writable_folder)


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``nas train``."""
    p = sub.add_parser("train", help="train a preset or genome; validation per epoch, test once at the end",
                       epilog=FLOPS_NOTE)
    add_model_args(p)
    add_data_args(p)
    p.add_argument("--epochs", type=positive_int, default=30)
    p.add_argument("--batch-size", type=positive_int, help="training batch (default: from the data size, 32 to 256)")
    p.add_argument("--lr", type=float, help=f"peak learning rate (default: {TrainConfig.lr:g} scaled to the batch size)")
    p.add_argument("--cutout", type=int, help="cutout square side in pixels (default 0 = off, or a study's tuned "
                                               "value)")
    p.add_argument("--max-train-images", type=positive_int, help="train on a random subset of this size")
    p.add_argument("--resolution", type=positive_int,
                   help="train and test at this size (default: the genome's; images are resized on the device)")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="folder for model.pt2, weights.pt, genome.json and result.json "
                                            "(default trained/MODEL)")
    p.add_argument("--format", choices=FORMATS, action="append",
                   help="exports besides the weights (default pt2; repeat for several): pt2 = torch.export, "
                        "onnx (needs the onnx extra), torchscript")
    p.add_argument("--force", action="store_true", help="overwrite an existing --out folder")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(handler=run_train)


TRAINED_FILES = ("model.pt2", "weights.pt", "genome.json", "result.json")  # what tells a trained model's folder


def _out_folder(args: argparse.Namespace) -> Path:
    """The output folder, refused if it holds something (without --force), created and proven writable."""
    folder = args.out or Path("trained") / Path(args.model.replace("study:", "study-")).stem
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} is a file; give a folder")
    held = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    if held and not args.force:
        what = ("already holds a trained model" if set(held) & set(TRAINED_FILES) else
                f"is not empty (it holds {', '.join(held[:3])}{', ...' if len(held) > 3 else ''})")
        raise UsageError(f"{folder} {what}; give --force to write into it or another --out")
    return writable_folder(folder, "--out")


def run_train(args: argparse.Namespace) -> int:
    """Train, print per-epoch validation, evaluate the test split once, write the artefacts."""
    import torch

    from space import arch_string, build, complexity
    from space.units import human

    from ...config import check_seed, positive_number
    from ...data import load_data
    from ...memory import check_fits, model_bytes
    from ...train import auto_recipe, few_steps_warning, resolve_device, train_proxy
    from ...train.progress import step_bar
    from .output import write_trained

    genome = resolve_genome(args.model, args.studies_dir, args.storage)
    # what the study tuned with the genome (--tune), unless given here: study:NAME trains as its best trial did
    tuned = tuned_values(study_best(args.model, args.studies_dir, args.storage).optuna_params
                         if args.model.startswith("study:") else {})
    tuned = {k: v for k, v in tuned.items() if getattr(args, k, None) is None}
    if args.cutout is None:
        args.cutout = tuned.pop("cutout", 0)
    dev = resolve_device(args.device)
    if args.lr is not None and not positive_number(args.lr):
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr!r}")
    check_seed(args.seed)
    folder = _out_folder(args)
    data = load_data(args.data, args.cache_dir, seed=args.seed)
    if args.max_train_images is not None and args.max_train_images < data.num_classes:
        raise UsageError(f"--max-train-images {args.max_train_images} is fewer than the {data.num_classes} classes")
    res = args.resolution or genome.resolution
    if args.cutout > res:
        raise UsageError(f"--cutout {args.cutout} is larger than the {res}-px training images")
    genome = genome.replace(in_channels=data.channels, num_classes=data.num_classes, resolution=res)
    cost = complexity(genome)  # one clear line if the genome cannot run at this resolution
    n = min(len(data.train_y), args.max_train_images or len(data.train_y))
    given = {k: v for k, v in (("batch_size", args.batch_size), ("lr", args.lr)) if v is not None}
    cfg = auto_recipe(TrainConfig(epochs=args.epochs, cutout=args.cutout, seed=args.seed,
                                  max_train_images=args.max_train_images, resolution=res, **given, **tuned),
                      len(data.train_y), args.batch_size is not None, args.lr is not None or "lr" in tuned)
    batch, lr = cfg.batch_size, cfg.lr
    check_fits(f"training {args.model} at {res}x{res} in batches of {batch} ({human(cost.params)} params, "
               f"{human(cost.acts)} activations per image)", model_bytes(cost.params, cost.acts, batch, True), dev)
    notes = []
    if res != data.resolution:
        notes.append(f"training at {res}x{res}: the {data.resolution}x{data.resolution} images are "
                     f"{'upsampled' if res > data.resolution else 'downsampled'} on the device")
    if warning := few_steps_warning(n, batch, args.epochs):
        notes.append(warning)
    say = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    say(f"{arch_string(genome)}\n{human(cost.params)} params, {human(cost.macs)} MACs (= FLOPs); {data.name}: "
        f"{n} train / {len(data.val_y)} val / {len(data.test_y)} test images on {dev}; batch {batch}, lr {lr:g}")
    if tuned:
        notes.append("the study's tuned values: " + ", ".join(f"{k} {v:.4g}" for k, v in tuned.items()))
    for note in notes:
        say(f"note: {note}")

    steps = step_bar("training", None if not args.json else False)  # moves inside an epoch, on a terminal

    def on_epoch(stats) -> None:
        bar = "#" * int(20 * stats.epoch / cfg.epochs)
        line = (f"[{bar:<20}] epoch {stats.epoch}/{cfg.epochs}  train_loss {stats.train_loss:.3f}  "
                f"val_loss {stats.val_loss:.3f}  val_acc {stats.val_acc:.4f}  ({stats.seconds:.1f}s)")
        steps.write(line) if steps is not None else say(line)

    torch.manual_seed(args.seed)
    model = build(genome)
    try:
        result = train_proxy(model, data, cfg, dev, on_epoch=on_epoch, evaluate_test=True, on_step=steps)
    finally:
        if steps is not None:
            steps.close()
    out = {"model": args.model, "arch": arch_string(genome), "data": data.name, "resolution": res,
           "params": cost.params, "macs": cost.macs, "batch_size": batch, "lr": lr, **result.to_dict(),
           "mean": list(data.mean), "std": list(data.std), "classes": list(data.classes), "channels": data.channels,
           "notes": notes}
    if result.status == "ok":
        out["files"] = write_trained(folder, model.cpu().eval(), genome, out, args.format or ["pt2"])
        out["out"] = str(folder)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        test = f"{result.test_acc:.4f}" if result.test_acc is not None else "n/a (no test split)"
        lat = ", ".join(f"{k} {v:.2f} ms" for k, v in result.latency_ms.items() if v is not None)
        print(f"{result.status}: val_acc {result.val_acc}, test_acc {test}, {result.epochs} epochs in "
              f"{result.train_seconds:.1f}s ({result.images_per_second:,.0f} img/s), latency {lat or 'n/a'}, "
              f"device {result.device}" + (f"; wrote {folder}/ ({', '.join(out['files'])})" if "out" in out else ""))
    if result.status != "ok":
        print(f"nas: error: training ended with status {result.status}: {result.reason} (nothing written)",
              file=sys.stderr)
        return 1
    return 0
