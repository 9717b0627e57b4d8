"""Hand-made studies for the dashboard tests, stored exactly as ``nas run`` stores them (no training).

The study's settings are one :class:`StudySettings` record under ``SETTINGS_KEY``; each trial's user attributes
are made by :func:`record_attrs` (the one writer's key table). Studies of the older per-key format are built by
the legacy test alone (tests/search/test_legacy_study.py).

TRIALS: number -> (state, status, accuracy, macs, params, genome); macs and params are the stored
attributes, chosen so that the fronts are known by hand. Budget: 1000 MACs.
"""

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from search.budget import Budget
from search.report.results import read_study
from search.study.record import record_attrs
from search.study.schema import SETTINGS_KEY, StudySettings
from space import Genome, Stage, Stem, arch_string

optuna.logging.set_verbosity(optuna.logging.WARNING)

EPOCHS = 3  # the proxy recipe's epochs: a complete trial's history has this many accuracies
DATA = "synthetic:240:32:10"  # 240 images of 32 x 32 in 10 classes, as the genomes below expect
TWO = ("accuracy", "macs")


def genome(blocks=("basic",), kernel=3, se=0.0, stem="cifar") -> Genome:
    """A small valid genome: one stage per entry of ``blocks``."""
    stages = tuple(Stage(b, 1, 16 * (i + 1), 1 if i == 0 else 2, kernel, se=se) for i, b in enumerate(blocks))
    return Genome(stages, Stem(stem, 16), resolution=32, num_classes=10)


TRIALS = {
    0: ("complete", "ok", 0.70, 100, 10, genome(("basic", "basic"))),
    1: ("complete", "ok", 0.80, 200, 30, genome(("mbconv",) * 3, 5, 0.25, "conv3x3")),
    2: ("complete", "ok", 0.75, 250, 15, genome(("basic", "mbconv"))),  # dominated by 1 on MACs
    3: ("complete", "ok", 0.80, 200, 20, genome(("mbconv",) * 3)),  # ties 1 exactly on MACs: both on the front
    4: ("complete", "ok", 0.90, 500, 50, genome(("mbconv",) * 3, 5, 0.25, "conv3x3")),
    5: ("complete", "ok", 0.85, 600, 40, genome(("basic", "basic"), 5)),  # dominated by 4 on MACs
    6: ("complete", "ok", 0.95, 1500, 10, genome(("mbconv",) * 4, 7, 0.25, "conv3x3")),  # over budget
    7: ("complete", "ok", 0.60, 100, 5, genome(("basic",))),  # same MACs as 0, less accurate
    8: ("pruned", "pruned", None, 300, 25, genome(("basic", "basic"))),
    9: ("rejected", "rejected", None, 5000, 500, genome(("basic",) * 4)),
    10: ("failed", "oom", None, 300, 25, genome(("basic", "basic"))),
    11: ("complete", "ok", 0.92, 900, 100, genome(("mbconv",) * 3, 5, 0.25)),
}
PRUNED_HISTORY = (0.3, 0.5)  # the pruned trial's accuracies before it was stopped: it reads as 0.5
DISTRIBUTIONS = {"n_stages": IntDistribution(1, 4), "s0_kernel": CategoricalDistribution([3, 5, 7]),
                 "stem": CategoricalDistribution(["cifar", "conv3x3"])}
# how nas run ends each kind of trial (a rejected one fails: older studies pruned it)
STATES = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "rejected": TrialState.FAIL,
          "failed": TrialState.FAIL}


def settings(budget_macs=1000, params_budget=None, min_macs=0, objectives=TWO, space=None) -> StudySettings:
    """The settings record of a hand-made study (a synthetic data set of 10 classes, the proxy's 3 epochs)."""
    return StudySettings(Budget(budget_macs, params_budget, min_macs), tuple(objectives), DATA, "hand-data", 32, 3,
                         10, train={"epochs": EPOCHS, "batch_size": 64, "lr": 0.1}, space=space or {})


def make_trial(state, acc, macs, params, g, status, objectives=TWO, **fields):
    """One finished trial with the record ``nas run`` writes (``fields``: more record fields, e.g. baseline)."""
    record = {"status": status, "reason": "" if status == "ok" else f"{status} here", "genome": g.to_dict(),
              "arch": arch_string(g), "params": params, "macs": macs, **fields}
    if state == "pruned":
        record.update(accuracy=PRUNED_HISTORY[-1], history=PRUNED_HISTORY, epochs=len(PRUNED_HISTORY))
    values = None
    if state == "complete":
        record.update(accuracy=acc, history=(round(acc / 2, 4), round(acc * 0.9, 4), acc), epochs=EPOCHS)
        second = {"macs": macs, "latency": (record.get("latency_ms") or {}).get("b1")}
        values = [acc] + [second[o] for o in objectives[1:]]
    params_ = {"n_stages": len(g.stages), "s0_kernel": g.stages[0].kernel, "stem": g.stem.kind}
    return create_trial(state=STATES[state], values=values, params=params_, distributions=DISTRIBUTIONS,
                        user_attrs=record_attrs(**record))


def build_study(name="hand", budget_macs=1000, params_budget=None, trials=TRIALS, objectives=TWO, latency=False,
                min_macs=0, space=None, storage=None):
    """The study of TRIALS as ``nas run`` would have stored it (with latency: b1 = MACs / 100 ms, b64 = MACs / 10),
    in memory or in ``storage``."""
    study = optuna.create_study(study_name=name, storage=storage,
                                directions=["maximize", "minimize"][:len(objectives)])
    study.set_user_attr(SETTINGS_KEY, settings(budget_macs, params_budget, min_macs, objectives, space).to_json())
    for n in sorted(trials):
        state, status, acc, macs, params, g = trials[n]
        extra = {"latency_ms": {"b1": macs / 100, "b64": macs / 10}} if latency else {}
        study.add_trial(make_trial(state, acc, macs, params, g, status, objectives, **extra))
    return study


def build_view(name="hand", **kw):
    """build_study's study as the one reader gives it (what the plot-data functions take)."""
    return read_study(build_study(name, **kw))
