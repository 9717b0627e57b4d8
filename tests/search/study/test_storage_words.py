"""A damaged study is one line in every command, and storage errors name their cause (issue 26, items 3 and 7)."""

from __future__ import annotations

import random
import sqlite3

import pytest

import search
from search.cli import main
from search.study.storage import fault, transient


def fake_train(model, data, train_config, device, on_epoch=None):
    from search.train import TrainResult

    acc = 1 - sum(p.numel() for p in model.parameters()) / 1e7
    return TrainResult(status="ok", reason="", epochs=1, val_acc=acc, val_loss=1.0, history=[{"val_acc": acc}])


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """A study of 40 trials whose study.db has 8 KB of random bytes in its middle (past the schema pages)."""
    root = tmp_path_factory.mktemp("damaged")
    cfg = search.RunConfig(data="synthetic:120:8:3", budget="3M", trials=40, epochs=1, device="cpu", chance_stop=0,
                           studies_dir=root / "studies", study="d")
    assert len(search.run(cfg, train_fn=fake_train).trials) == 40
    db = root / "studies" / "d" / "study.db"
    blob = bytearray(db.read_bytes())
    middle = len(blob) // 2
    blob[middle:middle + 8192] = random.Random(2).randbytes(8192)
    db.write_bytes(bytes(blob))
    return root


@pytest.mark.parametrize("argv", [["show", "d"], ["dashboard", "d", "--out", "elsewhere.html"],
                                  ["run", "--budget", "3M", "--data", "synthetic:120:8:3", "--study", "d", "--epochs",
                                   "1", "--trials", "41", "--chance-stop", "0", "--device", "cpu", "--quiet"]])
def test_a_damaged_study_is_one_line_naming_the_repair(damaged, argv, monkeypatch, capsys):
    monkeypatch.chdir(damaged)
    code = main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("nas: error")]
    assert "Traceback" not in err and code in (1, 2) and len(lines) == 1, err
    assert "the database file is corrupt: `sqlite3 " in lines[0] and ".recover" in lines[0], lines[0]


def _wrapped(message: str) -> Exception:
    """An error as Optuna raises it: its own vague words, raised from SQLite's."""
    import optuna

    try:
        try:
            raise sqlite3.OperationalError(message)
        except sqlite3.OperationalError as e:
            raise optuna.exceptions.StorageInternalError(
                "An exception is raised during the commit. This typically happens due to invalid data in the "
                "commit, e.g. exceeding max length.") from e
    except optuna.exceptions.StorageInternalError as e:
        return e


@pytest.mark.parametrize("sqlite_says, words, lasting", [
    ("database or disk is full", "no space left on the device", True),
    ("attempt to write a readonly database", "the database is read-only (its permissions, an immutable flag", True),
    ("database disk image is malformed", "the database file is corrupt: `sqlite3 study.db .recover", True),
    ("database is locked", "the database stayed locked by another process", False),
    ("something new", "something new", False),
])
def test_storage_errors_name_their_cause(sqlite_says, words, lasting):
    said, lasts = fault(_wrapped(sqlite_says))
    assert said.startswith(words) and "exceeding max length" not in said and lasts is lasting
    assert transient(_wrapped(sqlite_says)) is not lasting  # a full, read-only or corrupt file is not retried


def test_a_deleted_database_is_called_missing(tmp_path):
    said, lasts = fault(_wrapped("attempt to write a readonly database"), f"sqlite:///{tmp_path}/gone/study.db")
    assert (said, lasts) == (f"the database file {tmp_path}/gone/study.db is missing (deleted while in use?)", True)
