"""The adaptive recipe on the small folders a new user brings: does a 3-epoch proxy learn, or say why not?

Builds two ImageFolder trees from the CIFAR-10 tarball (``--data`` or $NAS_CIFAR10_TAR):
- ``small10``: 10 classes x 200 training images (plus 50 test images per class), 32 px colour;
- ``gray5``: the first 5 classes x 200 training images (plus 50 test), resized to 24 px, grayscale;
then runs, with the tool's defaults except the epochs (the recipe picks batch and learning rate):
1. ``nas train resnet20 --data small10 --epochs 3`` (test accuracy; chance is 10 %);
2. ``nas train resnet20 --data gray5 --epochs 3`` (chance is 20 %);
3. ``nas run --budget 5MFLOPs --data gray5 --trials 4 --epochs 2`` (trials not all at chance, or the chance stop).
Prints each result, the recipe the tool chose, and the device.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def build_folders(tar_path: Path, out: Path, train_per_class: int = 200, test_per_class: int = 50) -> None:
    """Write small10/ and gray5/ (train/ and test/ each) from the first images of each class."""
    counts: dict[tuple[str, str], int] = {}
    classes: list[str] = []
    with tarfile.open(tar_path) as tar:
        for m in tar:
            parts = m.name.split("/")
            if not m.isfile() or len(parts) != 3 or parts[0] not in ("train", "test"):
                continue
            split, cls, name = parts
            if cls not in classes:
                classes.append(cls)
            key = (split, cls)
            if counts.get(key, 0) >= (train_per_class if split == "train" else test_per_class):
                continue
            counts[key] = counts.get(key, 0) + 1
            img = Image.open(io.BytesIO(tar.extractfile(m).read())).convert("RGB")
            target = out / "small10" / split / cls / name
            target.parent.mkdir(parents=True, exist_ok=True)
            img.save(target)
            gray = out / "gray5" / split / cls / (Path(name).stem + ".png")
            gray.parent.mkdir(parents=True, exist_ok=True)
            img.convert("L").resize((24, 24), Image.BILINEAR).save(gray)
    keep = sorted(classes)[:5]
    for split in ("train", "test"):
        for d in (out / "gray5" / split).iterdir():
            if d.name not in keep:
                for f in d.iterdir():
                    f.unlink()
                d.rmdir()


def nas(*args: str, cwd: Path) -> tuple[int, dict | None, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "search.cli", *args, "--json"], cwd=cwd, env=env,
                          capture_output=True, text=True)
    try:
        out = json.loads(done.stdout) if done.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    return done.returncode, out, done.stderr.strip()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("NAS_CIFAR10_TAR"), help="CIFAR-10 tarball")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    if not args.data:
        sys.exit("give --data or set NAS_CIFAR10_TAR")
    work = Path(tempfile.mkdtemp(prefix="nas-recipe-"))
    build_folders(Path(args.data), work)
    import torch

    print(f"device: {args.device}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}; defaults except --epochs (the recipe picks batch and lr)")
    for folder, chance in (("small10", 0.10), ("gray5", 0.20)):
        code, r, err = nas("train", "resnet20", "--data", str(work / folder), "--epochs", "3", "--device",
                           args.device, "--out", str(work / f"t-{folder}"), cwd=work)
        if code != 0 or r is None:
            print(f"nas train resnet20 --data {folder}: exit {code}: {err.splitlines()[-1] if err else ''}")
            continue
        print(f"nas train resnet20 --data {folder} --epochs 3: test_acc {r['test_acc']:.4f} (chance {chance:.2f}), "
              f"val_acc {r['val_acc']:.4f}, batch {r.get('batch_size')}, lr {r.get('lr')}")
    code, r, err = nas("run", "--budget", "5MFLOPs", "--data", str(work / "gray5"), "--trials", "4", "--epochs", "2",
                       "--device", args.device, "--studies-dir", str(work / "studies"), cwd=work)
    accs = [t["val_acc"] for t in (r or {}).get("top", [])]
    at_chance = [t.get("at_chance") for t in (r or {}).get("top", [])]
    print(f"nas run --budget 5MFLOPs --data gray5 --trials 4 --epochs 2: exit {code}; validation accuracies "
          f"{', '.join(f'{a:.4f}' for a in accs)}; at chance {at_chance}"
          + (f"; {err.splitlines()[-1]}" if code else ""))


if __name__ == "__main__":
    main()
