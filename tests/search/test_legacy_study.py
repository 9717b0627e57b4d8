"""Studies on disk from older versions stay readable: per-key study attributes (budget_macs, data, epochs ...)
instead of the one settings record, val_acc / val_acc_history instead of accuracy / history, rejections pruned."""

import re

import optuna
from optuna.trial import TrialState, create_trial

from dashboard_study import TRIALS, build_study
from search.budget import Budget
from search.report.plots import from_view
from search.report.results import read_study
from search.status import Status
from search.study.schema import SETTINGS_KEY

OLD_NAMES = {"accuracy": "val_acc", "history": "val_acc_history"}


def legacy_study(name="hand", budget_macs=1000):
    """build_study's study as nas 0.1 stored it: each setting its own attribute, the trials' older keys."""
    today = build_study(name, budget_macs)
    study = optuna.create_study(study_name=name, directions=["maximize", "minimize"])
    for k, v in {"budget_macs": budget_macs, "params_budget": None, "data": "synthetic",
                 "objectives": ["accuracy", "macs"], "resolution": 32, "epochs": 3, "seed": 0}.items():
        study.set_user_attr(k, v)
    for t in today.get_trials():
        rejected = t.user_attrs["status"] == "rejected"
        study.add_trial(create_trial(state=TrialState.PRUNED if rejected else t.state, values=t.values,
                                     params=t.params, distributions=t.distributions,
                                     user_attrs={OLD_NAMES.get(k, k): v for k, v in t.user_attrs.items()}))
    assert SETTINGS_KEY not in study.user_attrs and "val_acc" in study.trials[0].user_attrs
    return study, today


def test_a_legacy_study_reads_as_todays():
    old, today = (read_study(s) for s in legacy_study())
    s = old.settings
    assert (s.budget, s.objectives, s.data, s.resolution, s.epochs) == (Budget(1000), ("accuracy", "macs"),
                                                                       "synthetic", 32, 3)
    assert [r.status for r in old.trials] == [Status.OK] * 8 + [Status.PRUNED, Status.REJECTED, Status.OOM, Status.OK]
    assert [r.accuracy for r in old.trials] == [TRIALS[n][2] for n in range(8)] + [0.5, None, None, 0.92]
    assert old.trials[11].history == (0.46, 0.828, 0.92) and old.trials[8].history == (0.3, 0.5)
    assert old.trials == today.trials  # every record field, read from the older keys
    assert from_view(old).rows == from_view(today).rows  # the dashboard's rows: fronts, history, patterns, table


def test_the_dashboard_of_a_legacy_study_shows_its_settings(tmp_path):
    from search.dashboard import write_dashboard

    old, _ = legacy_study()
    page = write_dashboard(old, tmp_path / "d.html", studies_dir=tmp_path).read_text()
    assert re.findall(r'<p class="summary">(data [^<]*)</p>', page) == ["data synthetic, resolution 32, epochs 3"]
    assert "MACs budget 1.00K (1,000)" in page and page.count('<tr id="row-') == 12
