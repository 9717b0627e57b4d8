"""``nas show`` with no name lists the studies; ``nas describe`` takes its own ``--json`` output back."""

import json
import re
from datetime import datetime, timezone

from dashboard_study import TRIALS, build_study
from search.cli import main


def _stored(folder, name, budget_macs, trials):
    """A study as nas run stores it, in folder/studies/NAME/study.db."""
    db = folder / "studies" / name / "study.db"
    db.parent.mkdir(parents=True)
    build_study(name, budget_macs, trials={n: TRIALS[n] for n in trials}, storage=f"sqlite:///{db}")


def test_show_without_a_name_lists_the_studies(tmp_path, capsys):
    _stored(tmp_path, "hand", 1000, sorted(TRIALS))
    _stored(tmp_path, "empty", 2_000_000, [9, 10])  # rejected and failed only: nothing trained, no best
    args = ["show", "--studies-dir", str(tmp_path / "studies")]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["study", "trials", "best", "acc", "last", "change", "budget"]
    hand = lines[2].split()  # by name: empty, then hand
    assert hand[:3] == ["hand", "10", "0.9200"]  # 9 complete + 1 pruned; trial 6 (0.95) is over budget
    assert lines[1].split()[:3] == ["empty", "0", "-"] and lines[1].endswith("MACs <= 2.00M")
    assert main([*args, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["study"], r["trials"], r["best_accuracy"], r["budget"]) for r in rows] == [
        ("empty", 0, None, "MACs <= 2.00M"), ("hand", 10, 0.92, "MACs <= 1.00K")]
    stamp = datetime.strptime(rows[1]["last_change"], "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - stamp).total_seconds()) < 24 * 3600
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0]["last_change"])
    # one storage URL lists what it holds
    assert main(["show", "--storage", f"sqlite:///{tmp_path / 'studies' / 'hand' / 'study.db'}", "--json"]) == 0
    assert [r["study"] for r in json.loads(capsys.readouterr().out)] == ["hand"]


def test_show_lists_nothing_in_an_empty_folder(tmp_path, capsys):
    assert main(["show", "--studies-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"no study in {tmp_path} (nas run --study NAME makes one)\n"


def test_describe_takes_its_own_json_output_back(tmp_path, capsys):
    assert main(["describe", "resnet20", "--resolution", "64", "--json"]) == 0
    first = capsys.readouterr().out
    (tmp_path / "d.json").write_text(first)
    assert main(["describe", str(tmp_path / "d.json"), "--resolution", "64", "--json"]) == 0
    again = capsys.readouterr().out
    assert again == first
    assert json.loads(again)["params"] == 269_722 and json.loads(again)["resolution"] == 64
