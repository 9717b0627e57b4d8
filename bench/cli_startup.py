"""Start-up cost of the ``nas`` command line against ``import torch``, measured in the same run.

Each command runs as a fresh process (``nas`` as ``python -m search.cli`` from this checkout), once
untimed to warm the disk cache and bytecode, then in interleaved rounds so that load from other processes
falls on all of them alike. Prints the median wall time and peak memory of each, and the ratio of
each ``nas`` command to ``import torch`` (the aim: below 1/3, i.e. help, the preset table and a genome's
description without loading torch).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

COMMANDS = {
    "nas --help": [sys.executable, "-m", "search.cli", "--help"],
    "nas --version": [sys.executable, "-m", "search.cli", "--version"],
    "nas presets": [sys.executable, "-m", "search.cli", "presets"],
    "nas describe": [sys.executable, "-m", "search.cli", "describe", "resnet50"],
    "import torch": [sys.executable, "-c", "import torch"],
}


def run_once(argv: list[str]) -> tuple[float, float | None, int]:
    """Wall seconds, peak resident MB (where the OS reports it) and exit code of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if hasattr(os, "wait4"):  # the child's own rusage, not the maximum over all children so far
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    else:
        proc.wait()
        peak_mb = None
    return time.perf_counter() - start, peak_mb, proc.returncode


def cpu_name() -> str:
    """The CPU model as the OS names it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5, help="timed runs of each command (the median is printed)")
    args = p.parse_args()
    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "not installed"
    print(f"device: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"torch {torch_version}")

    for argv in COMMANDS.values():
        run_once(argv)
    samples: dict[str, list[tuple[float, float | None, int]]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            samples[name].append(run_once(argv))

    wall = {}
    for name, runs in samples.items():
        wall[name] = statistics.median(s for s, _, _ in runs)
        peaks = [mb for _, mb, _ in runs if mb is not None]
        codes = {code for _, _, code in runs}
        memory = f"{statistics.median(peaks):6.0f} MB peak" if peaks else "peak memory n/a"
        note = "" if codes == {0} else f"  (exit {', '.join(map(str, sorted(codes)))})"
        print(f"{name:<14} {wall[name]:6.2f} s  {memory}{note}")
    for name in COMMANDS:
        if name.startswith("nas "):
            print(f"{name} / import torch: {wall[name] / wall['import torch']:.2f} (aim: below 0.33), median of "
                  f"{args.runs} runs each")


if __name__ == "__main__":
    main()
