"""The ``nas`` command line: one sub-command module each, errors turned into one clear line.

The parser is built from light modules (no torch, optuna or plotly at import), so ``nas --help`` and
``nas --version`` are quick; each handler imports what it needs.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import __version__
from .commands import calibrate, dashboard, describe, run, scale, show, train
from .commands.common import FLOPS_NOTE
from .logs import one_line_warnings

COMMANDS = (describe, train, run, calibrate, scale, show, dashboard)
SHELLS = ("bash", "zsh", "tcsh")  # what --print-completion writes (through shtab)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with where to look), not the whole usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"nas: error: {self.prog}: {message} (see {self.prog} --help)\n")


class _PrintCompletion(argparse.Action):
    """--print-completion SHELL: a static completion script made by shtab from this parser (an optional extra)."""

    def __call__(self, parser, namespace, shell, option_string=None) -> None:  # noqa: ANN001 - argparse's API
        try:
            import shtab
        except ImportError:
            parser.exit(2, "nas: error: --print-completion needs the shtab package: pip install shtab "
                           '(or pip install "nas-cnn[completion]")\n')
        print(shtab.complete(parser, shell))
        parser.exit(0)


def parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    p = _Parser(prog="nas", description="Neural architecture search and compound scaling of CNNs.", epilog=FLOPS_NOTE)
    p.add_argument("--version", action="version", version=f"nas {__version__}")
    p.add_argument("--print-completion", action=_PrintCompletion, choices=SHELLS, metavar="SHELL",
                   help=f"print a tab-completion script for {', '.join(SHELLS)} (needs shtab), e.g. "
                        "nas --print-completion bash > ~/.local/share/bash-completion/completions/nas")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for module in COMMANDS:
        module.add(sub)
    return p


def _error(message: str, code: int = 2) -> int:
    print(f"nas: error: {message}", file=sys.stderr)
    return code


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _sigterm(signum, frame) -> None:  # noqa: ANN001 - the signal API
    raise KeyboardInterrupt  # kill, systemd, Slurm and containers send SIGTERM: end as cleanly as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``nas`` console script; returns the exit code."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed as one line
        return int(e.code or 0)
    except BrokenPipeError:  # `nas --print-completion bash | head`
        _silence_stdout()
        return 0
    previous = signal.signal(signal.SIGTERM, _sigterm) if _main_thread() else None
    try:
        with one_line_warnings():  # "nas: warning: ..." every time, not Python's file:line: UserWarning
            return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return _error("interrupted", 130)
    except BrokenPipeError:  # `nas ... | head`: the reader left; nothing more to say
        _silence_stdout()
        return 0
    except (ValueError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as e:
        return _error(_first_line(e), getattr(e, "exit_code", 2))
    except Exception as e:
        if not type(e).__module__.startswith(("sqlalchemy.", "optuna.")):
            raise
        from .study.storage import fault  # loaded by now: a storage call raised this

        # a storage read that no retry guards (opening, a summary, a progress line) met a storage that failed
        return _error(f"the storage failed: {fault(e)[0]}", 1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
