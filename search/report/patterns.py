"""What a study says about design patterns: accuracy grouped by design choice, and Optuna's importances.

Plot data only, like :mod:`search.report.plots`: from a :class:`~search.report.results.StudyView`, except
the importances, which Optuna computes from the live study; nothing here reads or writes files. Design patterns
are read from each trial's ``genome`` attribute, not from its Optuna parameters, so studies written by other
tools work as long as they store a genome.
"""

from __future__ import annotations

import importlib.util
import warnings
from typing import Callable, NamedTuple, Sequence

from space import BLOCK_KINDS, STEM_KINDS

from ..study.record import TrialRecord
from .results import StudyView, chance_stop


class PatternGroup(NamedTuple):
    """The accuracies of the complete trials that share one value of a design choice."""

    label: str
    numbers: tuple[int, ...]
    accuracy: tuple[float, ...]


class PatternFactor(NamedTuple):
    """One design choice (block type, SE, kernel, stem, number of stages) and its groups."""

    name: str
    title: str
    groups: tuple[PatternGroup, ...]


class PatternData(NamedTuple):
    """Accuracy grouped by design choice, one factor per plot."""

    factors: tuple[PatternFactor, ...]


class ImportanceData(NamedTuple):
    """Optuna's parameter importances for accuracy, most important first (empty when not computable)."""

    params: tuple[str, ...]
    importances: tuple[float, ...]
    method: str  # the evaluator's name, "" when empty


def _stages_label(n: int) -> str:
    return f"{n} stage" if n == 1 else f"{n} stages"


def _order(values: set, known: Sequence) -> list:
    return sorted(values, key=lambda v: (known.index(v) if v in known else len(known), str(v)))


# one factor per design choice: name, title, the labels a genome dict falls under (a trial whose stages mix
# block types or kernels counts once under each one it uses), and the order of the labels
_FACTORS: tuple[tuple[str, str, Callable[[dict], set], Sequence], ...] = (
    ("block", "block type", lambda g: {s["block"] for s in g["stages"]}, BLOCK_KINDS),
    ("se", "squeeze-excitation", lambda g: {"SE on" if any(s.get("se", 0) > 0 for s in g["stages"]) else "SE off"},
     ("SE off", "SE on")),
    ("kernel", "kernel size", lambda g: {f"k{s.get('kernel', 3)}" for s in g["stages"]}, ("k3", "k5", "k7")),
    ("stem", "stem", lambda g: {g.get("stem", {}).get("kind", "conv3x3")}, STEM_KINDS),
    ("stages", "number of stages", lambda g: {_stages_label(len(g["stages"]))},
     [_stages_label(n) for n in range(1, 9)]),
)


def pattern_data(view: StudyView) -> PatternData:
    """Accuracy of complete trials grouped by block type, SE on/off, kernel, stem and number of stages."""
    rows = [r for r in view.trials if r.category == "complete" and r.accuracy is not None
            and isinstance(r.genome, dict) and isinstance(r.genome.get("stages"), list)]
    factors = []
    for name, title, labels_of, known in _FACTORS:
        groups: dict[str, list[TrialRecord]] = {}
        for r in rows:
            for label in labels_of(r.genome):
                groups.setdefault(label, []).append(r)
        factors.append(PatternFactor(name, title, tuple(
            PatternGroup(label, tuple(r.number for r in groups[label]), tuple(r.accuracy for r in groups[label]))
            for label in _order(set(groups), known))))
    return PatternData(tuple(factors))


MIN_IMPORTANCE_TRIALS = 10  # fANOVA's forest on fewer complete trials ranks the parameters by noise


def importance_caveat(view: StudyView) -> str:
    """Why a study's importances are not drawn, as one line ('' when they are): every trial at chance, or fewer
    than MIN_IMPORTANCE_TRIALS complete ones."""
    from ..config import default
    from ..study import Status

    scored = [r for r in view.trials if r.at_chance is not None]
    if chance_stop(view, default("chance_stop")) or (scored and all(r.at_chance for r in scored)):
        return "not drawn, every trial scored at chance"
    complete = sum(r.status is Status.OK for r in view.trials)
    if complete < MIN_IMPORTANCE_TRIALS:
        return (f"not drawn from {complete} complete trial{'s' * (complete != 1)}; they need at least "
                f"{MIN_IMPORTANCE_TRIALS} to say more than noise")
    return ""


def importance_data(study) -> ImportanceData:
    """Optuna's importances of the parameters for accuracy (fANOVA with scikit-learn, else PED-ANOVA)."""
    # the live optuna.Study, not a StudyView: Optuna's evaluators read the trials' distributions, which a view lacks
    import optuna
    from optuna.trial import TrialState

    empty = ImportanceData((), (), "")
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
        return empty
    if importlib.util.find_spec("sklearn") is not None:  # fANOVA's random forest comes from scikit-learn
        evaluator, method, sign = optuna.importance.FanovaImportanceEvaluator(seed=0), "fANOVA", 1.0
    else:  # PED-ANOVA needs nothing else, and ranks parameters by what gives *low* targets
        evaluator, method, sign = optuna.importance.PedAnovaImportanceEvaluator(), "PED-ANOVA", -1.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = optuna.importance.get_param_importances(study, evaluator=evaluator,
                                                             target=lambda t: sign * t.values[0])
    except (ValueError, RuntimeError, ZeroDivisionError):  # e.g. no parameter common to the trials
        return empty
    items = sorted(result.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return empty
    return ImportanceData(tuple(k for k, _ in items), tuple(float(v) for _, v in items), method)
