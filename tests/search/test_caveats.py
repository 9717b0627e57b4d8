"""Statistics with their evidence: importances need 10 complete trials, a score under guessing says so."""

import optuna
from optuna.trial import TrialState, create_trial

from dashboard_study import TRIALS, build_study, genome, make_trial
from search.budget import Budget
from search.report.results import format_summary
from search.report.patterns import MIN_IMPORTANCE_TRIALS, importance_caveat
from search.report.results import below_chance, read_study, summary
from search.study.schema import SETTINGS_KEY, StudySettings


def test_importances_need_ten_complete_trials():
    study = build_study()  # 9 complete trials (and a pruned, a rejected and a failed one)
    assert MIN_IMPORTANCE_TRIALS == 10
    assert importance_caveat(read_study(study)) == ("not drawn from 9 complete trials; they need at least 10 to "
                                                    "say more than noise")
    study.add_trial(make_trial("complete", 0.65, 150, 12, genome(("basic", "basic")), "ok"))
    assert importance_caveat(read_study(study)) == ""
    one = build_study(trials={0: TRIALS[0], 9: TRIALS[9]})
    assert importance_caveat(read_study(one)) == ("not drawn from 1 complete trial; they need at least 10 to say "
                                                  "more than noise")


def test_the_dashboard_prints_the_importance_note(tmp_path):
    from search.dashboard import write_dashboard

    page = write_dashboard(build_study(), tmp_path / "d.html", studies_dir=tmp_path).read_text()
    assert ('<p class="note">parameter importances: not drawn from 9 complete trials; they need at least 10 to say '
            'more than noise</p>') in page
    assert "parameter importances for accuracy" not in page


def _chance_study(accuracies):
    """Four classes (chance 0.25); every complete trial flagged at chance."""
    study = optuna.create_study(study_name="c", directions=["maximize"])
    settings = StudySettings(Budget(1000), ("accuracy",), "synthetic", "x", 16, 3, 4, train={"epochs": 1})
    study.set_user_attr(SETTINGS_KEY, settings.to_json())
    for i, acc in enumerate(accuracies):
        study.add_trial(create_trial(state=TrialState.COMPLETE, values=[acc], user_attrs={
            "status": "ok", "macs": 100, "params": 10, "arch": f"net{i}", "at_chance": True}))
    return study


def test_a_score_under_chance_is_called_below_chance():
    view = read_study(_chance_study([0.2609, 0.1304, 0.25]))
    assert [below_chance(r, view) for r in view.trials] == [False, True, False]
    lines = format_summary(summary(view)).splitlines()
    assert lines[3].startswith("  #0    0.2609 (at chance)")
    assert lines[4].startswith("  #2    0.2500 (at chance)")
    assert lines[5].startswith("  #1    0.1304 (below chance)")
