"""nas calibrate end to end on the CPU: the numbers against the stored trials, resume, nas run's header, bad flags."""

import json
import math

import pytest
from optuna.trial import TrialState

from search.report.calibration import kendall_tau, spearman_rho
from search.cli import main
from tiny_search import TINY, load, run_args

DATA = "synthetic:400:8:2"  # 8-px, 2 classes, 200 training images: the cheapest data on which the nets differ
COMMON = ["--budget", "3M", "--data", DATA, "--batch-size", "16", "--max-train-images", "200", "--device", "cpu",
          "--study", "s"]


def calibrate_args(folder, *extra):
    """``nas calibrate`` arguments: 3 tiny nets trained for 1 and 2 epochs, every file under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.json").write_text(json.dumps(TINY))
    return ["calibrate", *COMMON, "--space", str(folder / "tiny.json"), "--studies-dir", str(folder / "studies"),
            "--cache-dir", str(folder / "cache"), "--archs", "3", "--proxy-epochs", "1", "--full-epochs", "2",
            "--quiet", *extra]


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    """One calibration, shared: (folder, its --json output)."""
    folder = tmp_path_factory.mktemp("cal")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(calibrate_args(folder, "--json")) == 0
    return folder, json.loads(out.getvalue())


def stored_accuracy(folder, epochs):
    """genome JSON -> validation accuracy of the complete trials of one length's study."""
    study = load(folder, f"s.calibrate-e{epochs}")
    return {json.dumps(t.user_attrs["genome"], sort_keys=True): t.values[0]
            for t in study.get_trials(states=(TrialState.COMPLETE,))}


@pytest.mark.slow
def test_calibration_json_matches_the_stored_trials(calibrated):
    folder, r = calibrated
    assert set(r) >= {"proxies", "archs", "full_epochs", "recommended_epochs"}
    assert r["full_epochs"] == 2 and [p["epochs"] for p in r["proxies"]] == [1]
    assert len(r["archs"]) == 3 and all(set(a["val_acc"]) == {"1", "2"} for a in r["archs"])
    keys = [json.dumps(a["genome"], sort_keys=True) for a in r["archs"]]
    proxy, full = stored_accuracy(folder, 1), stored_accuracy(folder, 2)
    assert [proxy[k] for k in keys] == [a["val_acc"]["1"] for a in r["archs"]]
    assert [full[k] for k in keys] == [a["val_acc"]["2"] for a in r["archs"]]
    p = r["proxies"][0]
    tau = kendall_tau([proxy[k] for k in keys], [full[k] for k in keys])
    rho = spearman_rho([proxy[k] for k in keys], [full[k] for k in keys])
    assert p["n_archs"] == 3
    if math.isnan(tau):  # every net scored the same at one length (a few-image proxy can): stored as undefined
        assert p["kendall_tau"] is p["spearman_rho"] is None and r["recommended_epochs"] is None
    else:
        assert p["kendall_tau"] == pytest.approx(tau) and p["spearman_rho"] == pytest.approx(rho)
        assert p["tau_low"] <= p["kendall_tau"] <= p["tau_high"]
        assert p["meaningful"] is False and r["recommended_epochs"] is None  # 3 architectures recommend nothing
    for epochs in (1, 2):  # each length is a study of its own, trained to its last epoch
        study = load(folder, f"s.calibrate-e{epochs}")
        assert study.user_attrs["nas_settings"]["train"]["epochs"] == epochs
        assert [len(t.user_attrs["history"]) for t in study.trials] == [epochs] * 3
        assert study.user_attrs["nas_calibration"] == r
    assert json.loads((folder / "studies" / "s" / "calibration.json").read_text()) == r
    assert not (folder / "studies" / "s" / "study.db").exists()  # the main study is not created


@pytest.mark.slow
def test_a_rerun_trains_nothing_and_reports_the_same(calibrated, capsys):
    folder, first = calibrated
    before = {e: len(load(folder, f"s.calibrate-e{e}").trials) for e in (1, 2)}
    capsys.readouterr()
    assert main(calibrate_args(folder, "--json")) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert {e: len(load(folder, f"s.calibrate-e{e}").trials) for e in (1, 2)} == before == {1: 3, 2: 3}


@pytest.mark.slow
def test_nas_run_after_calibrate_shows_the_measured_tau_for_its_epochs(calibrated, capsys):
    folder, r = calibrated
    p = r["proxies"][0]
    capsys.readouterr()
    args = run_args(folder, "s", "--trials", "1", "--max-train-images", "200", "--batch-size", "16", data=DATA,
                    epochs=1)
    assert main(args) == 0
    err = capsys.readouterr().err
    if p["kendall_tau"] is None:
        assert "proxy fidelity: Kendall tau undefined for 1 epochs (too few distinct accuracies)" in err
    else:
        assert (f"proxy fidelity: Kendall tau {p['kendall_tau']:.2f} [{p['tau_low']:.2f}, {p['tau_high']:.2f}] for "
                "1 epochs against 2 (nas calibrate, 3 architectures; not meaningful with fewer than 6)") in err
    assert load(folder, "s").user_attrs["nas_calibration"] == r


@pytest.mark.parametrize("extra, message", [
    (("--archs", "2"), "--archs 2: a rank correlation needs at least 3 architectures"),
    (("--proxy-epochs", "5,x"), "each entry must be a whole number of epochs, got 'x'"),
    (("--proxy-epochs", "0,5"), "each entry must be >= 1 epoch, got 0"),
    (("--proxy-epochs", "5,2.5"), "each entry must be a whole number of epochs, got '2.5'"),
    (("--proxy-epochs", "2,30", "--full-epochs", "30"), "--proxy-epochs 30 is not shorter than --full-epochs 30"),
    (("--full-epochs", "0"), "--full-epochs: must be >= 1, got 0"),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path, capsys, extra, message):
    assert main(calibrate_args(tmp_path, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("nas: error:") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "studies").exists()


def test_no_budget_is_one_line(tmp_path, capsys):
    args = calibrate_args(tmp_path)
    i = args.index("--budget")
    assert main(args[:i] + args[i + 2:]) == 2
    assert capsys.readouterr().err == ("nas: error: give a compute budget (--budget 400MFLOPs) and/or a parameter "
                                       "budget (--params-budget 5M)\n")


@pytest.mark.parametrize("taus, words", [
    ((None, None), "no proxy length can be judged: at every length (or at the full one) the architectures all scored "
                   "the same, so there is no ranking to compare; train longer or use more --archs"),
    ((None, 0.2), "no proxy length reaches Kendall tau 0.7: the ranking of architectures at 10 epochs differs from the "
                  "30-epoch one; try longer proxies or more --archs"),
])
def test_no_ranking_is_not_called_a_ranking_that_differs(taus, words):
    from search.commands.calibrate import verdict

    r = {"recommended_epochs": None, "full_epochs": 30, "threshold": 0.7,
         "proxies": [{"epochs": e, "kendall_tau": t} for e, t in zip((5, 10), taus)]}
    assert verdict(r) == words
