"""The calibration studies' bookkeeping, on hand-made studies: drawing, enqueuing, resuming, reading, attaching."""

import json

import optuna
import pytest
from optuna.trial import TrialState, create_trial

from search.budget import Budget
from search.calibrate.studies import (accuracies, attach, enqueue_missing, genome_key, length_config, pending,
                                    sample_archs, study_name, sync)
from search.report.results import CALIBRATION_KEY, read_study
from search.sampling import space_from_dict
from search.config import RunConfig
from search.study import StudyPaths, StudySettings
from space import complexity
from tiny_search import TINY

optuna.logging.set_verbosity(optuna.logging.WARNING)
SPACE = space_from_dict(TINY)
SETTINGS = StudySettings(Budget(3_000_000), resolution=16, channels=3, num_classes=4)


def test_length_config_names_the_study_and_trains_only_enqueued_trials_to_the_end():
    cfg = length_config(RunConfig(study="c10", data="synthetic", budget=1000, space=TINY).checked(), 5)
    assert cfg.study == study_name("c10", 5) == "c10.calibrate-e5"
    assert (cfg.train.epochs, cfg.trials, cfg.pruner, cfg.chance_stop, cfg.train.latency_batch_sizes) == \
        (5, 0, "none", 0, ())


def test_archs_are_distinct_within_budget_seeded_and_a_larger_k_only_adds():
    five = sample_archs(SPACE, SETTINGS, 5, seed=1)
    assert len({genome_key(g) for g in five}) == 5
    assert all(complexity(g).macs <= 3_000_000 and g.resolution == 16 and g.num_classes == 4 for g in five)
    three = sample_archs(SPACE, SETTINGS, 3, seed=1)
    assert [genome_key(g) for g in three] == [genome_key(g) for g in five[:3]]
    assert [genome_key(g) for g in sample_archs(SPACE, SETTINGS, 3, seed=2)] != [genome_key(g) for g in three]


def test_too_many_archs_for_a_tiny_space_is_one_clear_error():
    one = {"stages": [1, 1], "depths": [1, 1], "widths": [8], "stems": ["cifar"], "stem_widths": [8],
           "blocks": ["plain"], "strides": [1], "kernels": [3, 5], "se": [0.0], "activations": ["relu"]}
    with pytest.raises(ValueError, match="only 2 distinct architectures of the space fit the budget"):
        sample_archs(space_from_dict({"kind": "free", **one}), SETTINGS, 3, seed=0)  # kernel 3 or 5, no other choice


def test_enqueue_missing_adds_each_arch_once_and_again_only_after_an_interruption():
    g = sample_archs(SPACE, SETTINGS, 3, seed=0)
    study = optuna.create_study(direction="maximize")
    assert enqueue_missing(study, g[:2]) == 2 and pending(study) == 2
    assert enqueue_missing(study, g) == 1 and pending(study) == 3  # only the new one
    for status in ("interrupted", "nan"):
        trial = study.ask()  # a worker claims the oldest waiting trial
        trial.set_user_attr("status", status)
        study.tell(trial, state=TrialState.FAIL)
    assert pending(study) == 1
    assert enqueue_missing(study, g) == 1  # the interrupted one trains again; the one that diverged does not
    assert [t.state for t in study.trials].count(TrialState.WAITING) == 2


def trained(g, acc, state=TrialState.COMPLETE, status="ok"):
    return create_trial(state=state, values=[acc] if state == TrialState.COMPLETE else None,
                        user_attrs={"status": status, "genome": g.to_dict()})


def test_accuracies_take_each_archs_first_complete_trial_in_the_given_order():
    g = sample_archs(SPACE, SETTINGS, 3, seed=0)
    study = optuna.create_study(direction="maximize")
    for t in (trained(g[2], 0.6), trained(g[0], 0.5), trained(g[0], 0.7), trained(g[1], None, TrialState.FAIL, "oom")):
        study.add_trial(t)
    assert accuracies(read_study(study), g) == [0.5, None, 0.6]


def test_attach_never_creates_the_main_study_and_sync_copies_the_file(tmp_path):
    db = tmp_path / "study.db"
    url = f"sqlite:///{db}"
    cfg = RunConfig(study="main", data="synthetic", budget=1000, space=TINY, storage=url).checked()
    cal = {"full_epochs": 2, "proxies": [{"epochs": 1, "kendall_tau": 0.5}]}
    assert attach(cfg, cal) is False and not db.exists()
    optuna.create_study(study_name="other", storage=url)
    assert attach(cfg, cal) is False and optuna.get_all_study_names(url) == ["other"]
    study = optuna.create_study(study_name="main", storage=url)
    study.set_user_attr("nas_settings", SETTINGS.to_json())  # as nas run creates it
    assert attach(cfg, cal) is True
    assert optuna.load_study(study_name="main", storage=url).user_attrs[CALIBRATION_KEY] == cal
    paths = StudyPaths.of(tmp_path / "studies", "main")
    paths.folder.mkdir(parents=True)
    newer = {**cal, "full_epochs": 3}
    paths.calibration.write_text(json.dumps(newer))
    sync(study, paths)
    assert optuna.load_study(study_name="main", storage=url).user_attrs[CALIBRATION_KEY] == newer
