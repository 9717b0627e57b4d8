"""Read-only commands never write into the study folder (issue 26, item 6): show, dashboard --out elsewhere, describe."""

from __future__ import annotations

import json

import search
from search.cli import main


def fake_train(model, data, train_config, device, on_epoch=None):
    from search.train import TrainResult

    acc = 1 - sum(p.numel() for p in model.parameters()) / 1e7
    return TrainResult(status="ok", reason="", epochs=1, val_acc=acc, val_loss=1.0, history=[{"val_acc": acc}])


def state(folder):
    """Every file in the folder with its inode, size and mtime: an atomic rewrite of the same bytes changes it."""
    return {p.name: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_show_dashboard_elsewhere_and_describe_leave_the_study_folder_untouched(tmp_path, monkeypatch, capsys):
    cfg = search.RunConfig(data="synthetic:120:8:3", budget="3M", trials=3, epochs=1, device="cpu", chance_stop=0,
                           studies_dir=tmp_path / "studies", study="r")
    search.run(cfg, train_fn=fake_train)
    folder = tmp_path / "studies" / "r"
    before = state(folder)
    assert sorted(before) == ["best.json", "study.db", "study.db.lock", "trials.csv"]
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["show", "r", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["trials"], shown["finished"], shown["statuses"], "files" in shown) == (3, 3, {"ok": 3}, False)
    assert main(["show", "r"]) == 0
    assert main(["dashboard", "r", "--out", "elsewhere.html"]) == 0
    assert main(["describe", "study:r"]) == 0
    assert state(folder) == before
    assert (tmp_path / "elsewhere.html").stat().st_size > 0
    assert main(["show", "r", "--write"]) == 0  # asked for: best.json and trials.csv rewritten
    after = state(folder)
    assert after["trials.csv"] != before["trials.csv"] and after["study.db"] == before["study.db"]
