"""What several commands share: argument types and groups, one-line errors, and loading a study or genome.

Command modules import this, never ``search.cli``; nothing here imports torch, optuna or plotly at
module level, so building the parser (``nas --help``) stays fast.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..config import default
from ..train.config import TrainConfig

FLOPS_NOTE = ('"FLOPs" in this tool means multiply-accumulates (MACs) of conv and linear layers, as in the '
              "EfficientNet paper and torchvision's GFLOPS column (EfficientNet-B0 = 0.39 G); elementwise work "
              "(BN, activations, SE scaling, residual adds) is reported separately.")
FORMATS = ("pt2", "onnx", "torchscript")  # the keys of search.export.EXPORTS, spelled here to keep --help light
STORAGE_ENV = "NAS_STORAGE"  # a storage URL (with its password) need not be on the command line, visible in ps


class UsageError(ValueError):
    """A command-line value a user gave is wrong."""


def positive_int(value: str) -> int:
    """argparse type: a whole number >= 1."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {n}")
    return n


def add_storage_arg(p: argparse.ArgumentParser, help: str) -> None:  # noqa: A002 (argparse's word)
    """--storage, defaulting to $NAS_STORAGE (so a password need not be on the command line)."""
    p.add_argument("--storage", default=os.environ.get(STORAGE_ENV) or None, help=help)


def add_model_args(p: argparse.ArgumentParser) -> None:
    """MODEL, and where its study:NAME form is looked up (--studies-dir, --storage)."""
    p.add_argument("model", metavar="MODEL", help="a preset name, a genome JSON file, or study:NAME (its best genome)")
    p.add_argument("--studies-dir", default="studies", help="where study:NAME is looked up")
    add_storage_arg(p, "storage URL holding study:NAME")


def add_storage_args(p: argparse.ArgumentParser) -> None:
    """--storage (default $NAS_STORAGE) and --studies-dir."""
    add_storage_arg(p, f"Optuna storage URL (default ${STORAGE_ENV}, else sqlite under STUDIES_DIR/NAME/; "
                       "postgresql://... for several machines)")
    p.add_argument("--studies-dir", default=default("studies_dir"),
                   help=f"where studies live (default ./{default('studies_dir')})")


def add_data_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    """--data and --cache-dir."""
    p.add_argument("--data", required=required,
                   help="synthetic[:N[:RES[:CLASSES]]], a torchvision name (cifar10, cifar100, svhn, fashionmnist, "
                        "mnist), an ImageFolder folder, or a .tar.gz/.zip of one")
    p.add_argument("--cache-dir", help="where decoded data sets are cached (default $NAS_CACHE or ~/.cache/nas)")


def add_output_args(p: argparse.ArgumentParser) -> None:
    """--json and --quiet."""
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--quiet", action="store_true", help="print no progress, only the result")


def writable_folder(folder: Path, flag: str) -> Path:
    """``folder`` created and proven writable before any work starts, or one UsageError naming ``flag``."""
    from ..files import probe_folder

    try:
        return probe_folder(folder)
    except OSError as e:
        raise UsageError(f"{flag} {folder}: cannot write there ({e.strerror or e}); nothing was done") from None


def say(args: argparse.Namespace, message: str) -> None:
    """A progress line on stderr, unless --quiet."""
    import sys

    if not getattr(args, "quiet", False):
        print(message, file=sys.stderr, flush=True)


def storage_url(name: str, storage: str | None, studies_dir: str | Path) -> str:
    """The URL of study ``name``: ``storage``, or its SQLite file under ``studies_dir`` (which must exist)."""
    from ..paths import StudyPaths, sqlite_file

    if storage is not None:
        path = sqlite_file(storage)
        if path is not None and not path.is_file():  # SQLAlchemy would silently create an empty database
            raise UsageError(f"--storage {storage}: no such file {path}")
        return storage
    paths = StudyPaths.of(studies_dir, name)
    if paths.db.exists() and not paths.db.is_file():
        raise UsageError(f"study {name!r}: {paths.db} is not a SQLite file but a "
                         f"{'folder' if paths.db.is_dir() else 'special file'}; move it away or give --storage URL")
    if not paths.db.is_file():
        folder = Path(studies_dir)
        names = [p.folder.name for p in StudyPaths.all_in(folder)]
        there = (f"studies there: {', '.join(names)}" if names else f"{folder} holds no study") if folder.is_dir() \
            else f"{folder} does not exist"
        raise UsageError(f"no study {name!r} in {studies_dir}/ ({there}; give --storage URL for a study stored "
                         "elsewhere)")
    return paths.sqlite_url()


def load_study(name: str, storage: str | None, studies_dir: str | Path) -> tuple[Any, str]:
    """Study ``name`` from ``storage`` (default: its SQLite file), or one line saying what is there instead."""
    import optuna

    from ..study import open_storage, quiet_optuna, redact_url

    quiet_optuna()
    url = storage_url(name, storage, studies_dir)
    rdb = open_storage(url)
    names = sorted(s.study_name for s in rdb.get_all_studies())
    if name not in names:
        there = f"studies there: {', '.join(names)}" if names else "it holds no study"
        raise UsageError(f"no study {name!r} in {redact_url(url)} ({there})")
    return optuna.load_study(study_name=name, storage=rdb), url


def resolve_genome(spec: str, studies_dir: str | Path = "studies", storage: str | None = None, flag: str = ""):
    """A preset, a genome JSON file, or ``study:NAME`` (that study's best genome, read from its storage)."""
    from space import Genome, resolve_model

    if not spec.startswith("study:"):
        return described_genome(spec) or resolve_model(spec)
    return Genome.from_dict(study_best(spec, studies_dir, storage, flag).genome)


def described_genome(spec: str) -> Any:
    """The genome of a ``nas describe --json`` file (its totals and rows are beside the genome), else None."""
    from space import Genome

    p = Path(spec)
    if p.suffix.lower() != ".json" or not p.is_file():
        return None
    try:
        import json

        d = json.loads(p.read_text())
    except (OSError, ValueError):
        return None  # resolve_model reads it again and says what is wrong
    return Genome.from_dict(d["genome"]) if isinstance(d, dict) and isinstance(d.get("genome"), dict) else None


def study_best(spec: str, studies_dir: str | Path = "studies", storage: str | None = None, flag: str = "") -> Any:
    """The best TrialRecord of ``study:NAME`` (its genome, and the training values it tuned), or one line why not."""
    name = spec[len("study:"):]
    if not name:
        raise UsageError(f"{flag}study:NAME needs a study name")
    from ..report.results import best_trial, read_study

    try:
        study, _ = load_study(name, storage, studies_dir)
    except UsageError as e:
        raise UsageError(f"{flag}{spec}: {e}") from None
    best = best_trial(read_study(study))
    if best is None or best.genome is None:
        raise UsageError(f"{flag}{spec}: the study has no complete trial within its budget yet")
    return best


def add_search_args(p: argparse.ArgumentParser) -> None:
    """The flags that say what is searched and how each trial trains, shared by ``nas run`` and ``nas calibrate``."""
    p.add_argument("--budget", help="max MACs per image at the search resolution: 400MFLOPs, 400M, 0.4GFLOPs, "
                                    "1.2GMACs, 400e6 (FLOPs = MACs = multiply-adds)")
    p.add_argument("--params-budget", help="max parameters: 5M, 500k")
    p.add_argument("--min-budget", type=float, help="lower bound as a fraction of --budget (e.g. 0.5)")
    add_data_args(p)
    p.add_argument("--batch-size", type=positive_int,
                   help="proxy training batch (default: from the size of the training split, 32 to 256)")
    p.add_argument("--lr", type=float, help=f"peak learning rate (default: {TrainConfig.lr:g} scaled to the batch size)")
    p.add_argument("--max-train-images", type=positive_int, help="train each proxy on a random subset of this size")
    p.add_argument("--study", help="study name (default: derived from data and budget)")
    add_storage_args(p)
    p.add_argument("--space", help="'free' for the free-form space, or a YAML/JSON search-space file "
                                   "(default: the design-pattern space)")
    p.add_argument("--workers", type=positive_int, default=default("workers"), help="trial processes at once")
    p.add_argument("--device", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--seed", type=int, default=default("seed"),
                   help="seeds this run's sampler and training (the study's data and validation split never depend "
                        "on it: workers may each have one)")
    p.add_argument("--resolution", type=positive_int, help="search resolution (default: the data's native size)")
    p.add_argument("--trial-timeout", help="fail a trial whose training runs longer than this: 90s, 10m")
    p.add_argument("--max-failures", type=positive_int, default=default("max_failures"),
                   help=f"stop after this many failed or rejected trials in a row (default {default('max_failures')})")
    p.add_argument("--heartbeat", type=positive_int, default=default("heartbeat"),
                   help=f"seconds between a running trial's heartbeats, for a new study (default "
                        f"{default('heartbeat')}); a trial silent "
                        "for 6 of them is marked interrupted")


def config_from_args(args: argparse.Namespace):
    """Validate the flags into a checked RunConfig (one clear error for the first bad one), as the API does."""
    from dataclasses import fields

    from ..config import RunConfig

    return RunConfig(**{f.name: getattr(args, f.name) for f in fields(RunConfig) if hasattr(args, f.name)}).checked()
