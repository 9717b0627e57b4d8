"""The ``nas`` command line: one sub-command module each, errors turned into one clear line."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

# sub-command modules, each with ``add(subparsers)`` that registers its parser and sets ``handler``
COMMANDS = ("describe", "train", "run", "scale", "dashboard")

FLOPS_NOTE = ('"FLOPs" in this tool means multiply-accumulates (MACs) of conv and linear layers, as in the '
              "EfficientNet paper and torchvision's GFLOPS column (EfficientNet-B0 = 0.39 G); elementwise work "
              "(BN, activations, SE scaling, residual adds) is reported separately.")


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


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with where to look), not the whole usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"nas: error: {self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    p = _Parser(prog="nas", description="Neural architecture search and compound scaling of CNNs.",
                                epilog=FLOPS_NOTE)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        import_module(f"search.commands.{name}").add(sub)
    return p


def _error(message: str, code: int = 2) -> int:
    print(f"nas: error: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nas`` console script; returns the exit code."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed as one line
        return int(e.code or 0)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except (ValueError, FileNotFoundError, PermissionError, IsADirectoryError) as e:
        return _error(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)


if __name__ == "__main__":
    sys.exit(main())
