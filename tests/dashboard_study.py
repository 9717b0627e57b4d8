"""Hand-made studies for the dashboard tests (a copy of test_dashboard_data's, which another module owns).

TRIALS: number -> (state, status, accuracy, macs, params, genome); macs and params are the stored
attributes, chosen so that the fronts are known by hand. Budget: 1000 MACs.
"""

import optuna
from optuna.distributions import CategoricalDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from space import Genome, Stage, Stem, arch_string

optuna.logging.set_verbosity(optuna.logging.WARNING)


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
DISTRIBUTIONS = {"n_stages": IntDistribution(1, 4), "s0_kernel": CategoricalDistribution([3, 5, 7]),
                 "stem": CategoricalDistribution(["cifar", "conv3x3"])}


def make_trial(number_state, acc, macs, params, g, status, objectives=2, **attrs):
    state = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "rejected": TrialState.PRUNED,
             "failed": TrialState.FAIL}[number_state]
    user_attrs = {"status": status, "reason": "" if status == "ok" else f"{status} here", "genome": g.to_dict(),
                  "arch": arch_string(g), "params": params, "macs": macs, **attrs}
    if number_state == "pruned":
        user_attrs["val_acc_history"] = [0.3, 0.5]
    values = None
    if number_state == "complete":
        user_attrs["val_acc"] = acc
        values = [acc, macs][:objectives]
    params_ = {"n_stages": len(g.stages), "s0_kernel": g.stages[0].kernel, "stem": g.stem.kind}
    return create_trial(state=state, values=values, params=params_, distributions=DISTRIBUTIONS,
                        user_attrs=user_attrs)


def build_study(name="hand", budget_macs=1000, params_budget=None, trials=TRIALS, objectives=2, latency=False):
    """The study of TRIALS as ``nas run`` would have stored it (with latency: b1 = MACs / 100 ms, b64 = MACs / 10)."""
    study = optuna.create_study(study_name=name, directions=["maximize", "minimize"][:objectives])
    for k, v in {"budget_macs": budget_macs, "params_budget": params_budget, "data": "synthetic",
                 "objectives": ["accuracy", "macs"][:objectives], "resolution": 32, "epochs": 3, "seed": 0}.items():
        study.set_user_attr(k, v)
    for n in sorted(trials):
        state, status, acc, macs, params, g = trials[n]
        extra = {"latency_ms": {"b1": macs / 100, "b64": macs / 10}} if latency else {}
        study.add_trial(make_trial(state, acc, macs, params, g, status, objectives, **extra))
    return study
