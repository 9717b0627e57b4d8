"""The study schema: settings written once and read back whole, reruns diffed, trial records read exactly."""

import optuna
import pytest
from optuna.distributions import IntDistribution
from optuna.trial import TrialState, create_trial

from search.budget import Budget
from search.status import Status
from search.paths import StudyPaths
from search.study.record import LEGACY_KEYS, TrialRecord, record_attrs, write_record
from search.study.schema import SETTINGS_KEY, StudySettings, read_settings
from space import preset

optuna.logging.set_verbosity(optuna.logging.WARNING)

SETTINGS = StudySettings(Budget(400_000_000, 5_000_000, 200_000_000), ("accuracy", "macs"), "cifar10", "ab12",
                         32, 3, 10, 7, 0.1, {"epochs": 10, "batch_size": 256, "lr": 0.2, "cutout": 0},
                         {"kind": "pattern", "blocks": ["basic", "mbconv"]}, 10)


def test_settings_round_trip_through_one_json_attribute():
    study = optuna.create_study()
    study.set_user_attr(SETTINGS_KEY, SETTINGS.to_json())
    back = read_settings(study.user_attrs)
    assert back == SETTINGS
    assert (back.epochs, back.grace_s, back.budget.max_macs, back.split_seed) == (10, 60, 400_000_000, 7)


def test_differences_name_every_changed_setting_and_ignore_the_spec_string():
    from dataclasses import replace

    other = replace(SETTINGS, data="./cifar10", budget=Budget(500_000_000, 5_000_000, 200_000_000),
                    train={**SETTINGS.train, "batch_size": 64}, space={"kind": "free"})
    assert SETTINGS.differences(replace(SETTINGS, data="elsewhere/cifar10")) == []
    assert SETTINGS.differences(other) == [
        "budget.max_macs: 400000000 -> 500000000",
        "train.batch_size: 256 -> 64",
        "space.blocks: ['basic', 'mbconv'] -> None",
        "space.kind: 'pattern' -> 'free'"]
    assert SETTINGS.differences(replace(SETTINGS, data_id="ffff")) == [
        "data: 'cifar10' -> 'cifar10' (other images)"]


def test_legacy_attributes_still_give_the_budget():
    s = read_settings({"budget_macs": 1000, "params_budget": 50, "min_macs": 10, "objectives": ["accuracy"]})
    assert (s.budget, s.objectives) == (Budget(1000, 50, 10), ("accuracy",))
    assert read_settings({"something": 1}) is None


@pytest.mark.parametrize("state, status, want", [
    (TrialState.COMPLETE, "ok", Status.OK), (TrialState.PRUNED, "pruned", Status.PRUNED),
    (TrialState.PRUNED, "rejected", Status.REJECTED),  # how older studies stored rejections
    (TrialState.FAIL, "rejected", Status.REJECTED), (TrialState.FAIL, "oom", Status.OOM),
    (TrialState.FAIL, "interrupted", Status.INTERRUPTED), (TrialState.FAIL, None, Status.ERROR),
    (TrialState.FAIL, "ok", Status.ERROR),  # a failed trial cannot have ended well
])
def test_status_of_each_state(state, status, want):
    attrs = {"status": status} if status else {}
    t = create_trial(state=state, values=[0.5] if state == TrialState.COMPLETE else None, user_attrs=attrs)
    r = TrialRecord.from_trial(t)
    assert r.status is want
    assert r.category == {"ok": "complete", "pruned": "pruned", "rejected": "rejected"}.get(want.value, "failed")


def test_record_reads_every_field_and_costs_a_bare_genome():
    g = preset("resnet20")
    study = optuna.create_study()
    trial = study.ask({"n": IntDistribution(1, 4)})
    write_record(trial, genome=g.to_dict(), history=(0.2, 0.4), latency_ms={"b1": 1.5}, worker=1,
                 at_chance=False, status=Status.RUNNING, solved={"width_mult": 0.75}, epochs=2,
                 peak_memory_bytes=3 << 20)
    study.tell(trial, 0.4)
    r = TrialRecord.from_trial(study.trials[0])
    assert (r.status, r.accuracy, r.values, r.history) == (Status.OK, 0.4, (0.4,), (0.2, 0.4))
    assert (r.params, r.macs) == (269_722, 40_551_040)  # computed from the genome: the trial stored no cost
    assert r.arch.startswith("cifar:16 res_d3_w16") and r.optuna_params["n"] in (1, 2, 3, 4)
    assert (r.worker, r.at_chance, r.solved, r.latency_ms) == (1, False, {"width_mult": 0.75}, {"b1": 1.5})
    assert (r.epochs, r.peak_memory_bytes) == (2, 3 << 20)


def test_the_writer_takes_only_record_fields_under_their_own_names():
    assert record_attrs(status=Status.OK, history=[0.5], accuracy=0.5) == {"status": "ok", "history": [0.5],
                                                                           "accuracy": 0.5}
    with pytest.raises(KeyError, match="'val_acc' is not a field of a trial's record"):
        record_attrs(val_acc=0.5)


def test_a_study_of_the_older_keys_reads_the_same():
    old = {"status": "pruned", "val_acc_history": [0.3, 0.35], "val_acc": 0.35}
    new = {"status": "pruned", "history": [0.3, 0.35], "accuracy": 0.35}
    assert set(LEGACY_KEYS) == {"val_acc", "val_acc_history"}
    a, b = (TrialRecord.from_trial(create_trial(state=TrialState.PRUNED, user_attrs=u)) for u in (old, new))
    assert (a.history, a.accuracy) == (b.history, b.accuracy) == ((0.3, 0.35), 0.35)


def test_a_pruned_trial_reads_its_last_accuracy():
    t = create_trial(state=TrialState.PRUNED, user_attrs={"status": "pruned", "val_acc_history": [0.3, 0.35]},
                     intermediate_values={1: 0.3, 2: 0.35})
    assert TrialRecord.from_trial(t).accuracy == 0.35


def test_status_rules():
    assert [s.value for s in Status if s.trained] == ["ok", "pruned"]
    assert not Status.RUNNING.failed and Status.REJECTED.failed and Status.TIMEOUT.failed


def test_paths_name_every_file(tmp_path):
    p = StudyPaths.of(tmp_path, "s")
    assert [x.name for x in (p.db, p.best, p.trials_csv, p.dashboard, p.baselines, p.scaling, p.calibration)] == [
        "study.db", "best.json", "trials.csv", "dashboard.html", "baselines.json", "scaling.json", "calibration.json"]
    assert p.sqlite_url() == f"sqlite:///{(tmp_path / 's' / 'study.db').resolve()}"
