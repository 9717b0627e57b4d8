"""Aggregate training throughput of K proxy runs sharing one device, for each K given.

Each run is its own spawned process (as parallel search trials would be) that loads the data
from the decoded cache, builds a preset, trains it with the proxy engine and reports its
training images and the wall-clock window it trained in. Aggregate images/s for K runs is all
their images over the union of those windows; the ratio to K=1 says how far running trials
side by side fills the device. On the CPU the cores are split evenly between the runs.

    python bench/concurrent_runs.py --data $NAS_CIFAR10_TAR --k 1,2,4,8 --epochs 2
    python bench/concurrent_runs.py --data synthetic:1024 --k 1,2 --epochs 1 --max-images 512 --device cpu
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing as mp
import os
import sys
import time

import torch

from search.data import load_data
from search.train import TrainConfig, resolve_device, train_proxy
from space import build, preset


def worker(args: argparse.Namespace, threads: int, seed: int, out: mp.Queue) -> None:
    """One run: (training images, start, end, status) onto ``out``; the window spans the run from
    the start of training to the end of its last validation, in wall-clock time."""
    try:
        torch.set_num_threads(threads)
        data = load_data(args.data)
        torch.manual_seed(seed)
        g = dataclasses.replace(preset(args.preset), resolution=data.resolution, in_channels=data.channels,
                                num_classes=data.num_classes)
        cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, max_train_images=args.max_images,
                          seed=seed, latency_batch_sizes=())  # no latency: the window ends with training
        result = train_proxy(build(g), data, cfg, args.device)
        end = time.time()
        start = end - (result.history[-1]["seconds"] if result.history else 0.0)
        out.put((result.images_per_second * result.train_seconds, start, end, result.status))
    except Exception as e:  # report instead of leaving the parent waiting
        out.put((0.0, time.time(), time.time(), f"crashed: {type(e).__name__}: {e}"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("NAS_CIFAR10_TAR"), help="data spec (default: $NAS_CIFAR10_TAR)")
    ap.add_argument("--k", default="1,2,4,8", help="comma-separated numbers of concurrent runs")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--max-images", type=int, default=None, help="train each run on a subset of this size")
    ap.add_argument("--preset", default="resnet20")
    ap.add_argument("--device", default="auto")
    args = ap.parse_args()
    if not args.data:
        sys.exit("give --data (or set NAS_CIFAR10_TAR)")
    preset(args.preset)  # an unknown preset fails here, not in every worker
    dev = resolve_device(args.device)
    args.device = str(dev)
    data = load_data(args.data)  # decode once here so that the workers only read the cache
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else f"cpu ({os.cpu_count()} cores)"
    print(f"device: {name}; data: {data}; preset {args.preset}, {args.epochs} epochs per run")
    ctx = mp.get_context("spawn")  # CUDA cannot be forked
    base = None
    for k in [int(v) for v in args.k.split(",")]:
        threads = max(1, (os.cpu_count() or 1) // k) if dev.type == "cpu" else torch.get_num_threads()
        out = ctx.Queue()
        procs = [ctx.Process(target=worker, args=(args, threads, seed, out)) for seed in range(k)]
        for p in procs:
            p.start()
        reports = [out.get() for _ in procs]
        for p in procs:
            p.join()
        images = sum(r[0] for r in reports)
        window = max(r[2] for r in reports) - min(r[1] for r in reports)
        rate = images / window if window > 0 else 0.0
        base = base or rate or 1.0
        statuses = ",".join(sorted({r[3] for r in reports}))
        print(f"K={k:2d}: {rate:9.0f} img/s aggregate ({rate / k:8.0f} per run), {rate / base:5.2f}x K=1, "
              f"window {window:6.1f} s, {threads} threads per run, status {statuses}")


if __name__ == "__main__":
    main()
