"""nas run --baselines: the hand designs train beside the search, never in its count, never its best."""

import json
import re

from search.cli import main
from tiny_search import load, run_args


def test_baselines_do_not_take_the_searched_trials_place(tmp_path, capsys, one_thread):
    args = run_args(tmp_path, "s", "--trials", "2", "--baselines", "--pruner", "none")
    assert main([*args, "--json"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    # the baselines train first (enqueued) and leave the bar at 0/2 and the search's best unset
    assert re.search(r"\] 0/2 best - .*\| trial 0 ok", err) and re.search(r"\] 0/2 best - .*\| trial 1 ok", err)
    study = load(tmp_path)
    trained = [t for t in study.trials if t.user_attrs.get("status") == "ok"]
    searched = [t for t in trained if not t.user_attrs.get("baseline")]
    names = sorted(t.user_attrs["baseline"] for t in trained if t.user_attrs.get("baseline"))
    assert len(searched) == 2 == summary["finished"]
    assert names == ["mobilenet_v2-style", "resnet-style"] == sorted(r["baseline"] for r in summary["baselines"])
    best = json.loads((tmp_path / "studies" / "s" / "best.json").read_text())
    assert best["genome"] in [t.user_attrs["genome"] for t in searched]
    assert main([*args, "--json"]) == 0  # a rerun owes nothing: no trial is added
    assert len(load(tmp_path).trials) == len(study.trials)
    capsys.readouterr()
    assert main(["show", "s", "--studies-dir", str(tmp_path / "studies")]) == 0
    shown = capsys.readouterr().out
    assert "2 trials finished and 2 baselines" in shown
    assert shown.index("top trials") < shown.index("baseline resnet-style: val_acc")
