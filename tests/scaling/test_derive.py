"""Deriving alpha, beta, gamma: the grid at phi = 1, the choice, and the whole loop with real proxy training."""

import pytest

from scaling import Coefficients, candidate_grid, candidates, choose, derive, scaled_candidate
from space import Genome, Head, Stage, Stem

TINY = Genome((Stage("basic", 1, 8, 1), Stage("mbconv", 1, 16, 2, expansion=2)), Stem("cifar", 8),
              Head(), resolution=16, num_classes=4)


def test_default_grid():
    grid = candidate_grid()
    assert len(grid) == 111
    assert Coefficients(1.2, 1.1, 1.15) in grid
    assert all(1.9 - 1e-9 <= c.product <= 2.1 + 1e-9 for c in grid)
    assert all(min(c.alpha, c.beta, c.gamma) >= 1 for c in grid)
    assert len(set(grid)) == len(grid)


def test_grid_step_and_tolerance():
    coarse = candidate_grid(step=0.1)
    assert len(coarse) == 22
    assert (1.2, 1.1, 1.2) in [(c.alpha, c.beta, c.gamma) for c in coarse]
    assert candidate_grid(2.0, 0.0, 0.1) == [Coefficients(2.0, 1.0, 1.0)]
    wide = candidate_grid(2.0, 0.2, 0.1)
    assert len(wide) > len(coarse) and all(1.6 - 1e-9 <= c.product <= 2.4 + 1e-9 for c in wide)
    assert all(2.7 - 1e-9 <= c.product <= 3.3 + 1e-9 for c in candidate_grid(3.0, 0.1, 0.1))


@pytest.mark.parametrize("args,message", [
    ((1.0, 0.05, 0.05), "target MACs ratio per step must be > 1"),
    ((2.0, 1.0, 0.05), "tolerance must be in"),
    ((2.0, 0.05, 0.0), "grid step must be in"),
    ((2.0, 0.0, 0.3), "no grid point of step 0.3"),
])
def test_grid_errors(args, message):
    with pytest.raises(ValueError, match=message):
        candidate_grid(*args)


def test_scaled_candidate_reports_the_rounded_ratio():
    c = scaled_candidate(TINY, Coefficients(1.2, 1.1, 1.15))
    assert c.resolution == 16  # 16 * 1.15 = 18.4 rounds back to 16
    assert [st.depth for st in c.genome.stages] == [2, 2]
    assert [st.width for st in c.genome.stages] == [8, 16]  # 8.8 -> 8 and 17.6 -> 16 are within 10 %
    assert c.product == pytest.approx(1.92027)
    assert c.macs_ratio == pytest.approx(1.927173, abs=1e-6)  # only the doubled depth is left
    wide = scaled_candidate(TINY, Coefficients(1.0, 1.0, 1.4))
    assert (wide.resolution, wide.macs_ratio) == (24, pytest.approx(2.249804, abs=1e-6))  # 22.4 -> 24


def test_derive_picks_the_most_accurate_and_evaluates_each_genome_once():
    calls = []

    def evaluate(c):
        calls.append(c.genome)
        return 1 - abs(c.alpha - 1.2) - abs(c.beta - 1.1) - abs(c.gamma - 1.15)

    result = derive(TINY, evaluate, step=0.05)
    assert len(result.candidates) == 111
    assert len(calls) == len(set(calls)) == len({c.genome for c in result.candidates})
    assert len(calls) < 111  # rounding makes many candidates the same network
    best = max(c.val_acc for c in result.candidates)
    assert result.chosen.val_acc == best
    assert result.ranked()[0] == result.chosen
    same = [c for c in result.candidates if c.genome == result.chosen.genome]
    assert all(c.val_acc == best for c in same)
    assert (1.2, 1.1, 1.15) in [(c.alpha, c.beta, c.gamma) for c in same]


def test_choose_skips_failed_and_breaks_ties_by_measured_ratio():
    grid = [Coefficients(1.0, 1.0, 1.4), Coefficients(1.2, 1.1, 1.15), Coefficients(1.0, 1.4, 1.0),
            Coefficients(2.0, 1.0, 1.0)]
    scores = iter([0.5, float("nan"), 0.5])  # (2, 1, 1) rounds to the same network as (1.2, 1.1, 1.15)
    result = derive(TINY, lambda c: next(scores), grid=grid)
    assert [c.val_acc for c in result.candidates] == [0.5, None, 0.5, None]
    # the two at 0.5 measure 2.25x and 3.64x: the one nearer the target of 2 wins
    assert [round(c.macs_ratio, 2) for c in result.candidates] == [2.25, 1.93, 3.64, 1.93]
    assert result.coefficients == Coefficients(1.0, 1.0, 1.4)
    assert result.ranked()[-1].val_acc is None
    with pytest.raises(ValueError, match="no candidate trained successfully"):
        choose(candidates(TINY, grid), 2.0, 0.05)


# --- the study: real proxy training on synthetic data, on the CPU --------------------------

GRID = [Coefficients(1.0, 1.0, 1.4), Coefficients(1.2, 1.1, 1.15), Coefficients(2.0, 1.0, 1.0)]


@pytest.fixture(scope="module")
def data():
    from search.data import load_data

    return load_data("synthetic:160:16:4")


def _study(tmp_path, data, lines, epochs=1, grid=GRID, name="s"):
    from search.scale.derive import derive_study
    from search.train import TrainConfig

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    result = derive_study(TINY, data, TrainConfig(epochs=epochs, batch_size=64), name, storage, device="cpu",
                          log=lines.append, grid=grid)
    return result, storage


def test_derive_study_trains_each_network_once_and_resumes(tmp_path, data):
    import optuna

    lines = []
    result, storage = _study(tmp_path, data, lines)
    study = optuna.load_study(study_name="s", storage=storage)
    trials = study.get_trials()
    # (2, 1, 1) rounds to the network of (1.2, 1.1, 1.15): two trainings for three candidates
    assert [t.params for t in trials] == [{"alpha": 1.0, "beta": 1.0, "gamma": 1.4},
                                          {"alpha": 1.2, "beta": 1.1, "gamma": 1.15}]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert [t.user_attrs["solved"]["resolution"] for t in trials] == [24, 16]
    assert [t.user_attrs["solved"]["upsampled"] for t in trials] == [True, False]
    assert [t.user_attrs["params"] for t in trials] == [c.params for c in result.candidates[:2]]
    assert trials[0].user_attrs["solved"]["macs_ratio"] == pytest.approx(2.249804, abs=1e-6)
    assert all(0 <= t.user_attrs["accuracy"] == t.value <= 1 for t in trials)
    assert study.user_attrs["nas_settings"]["space"]["kind"] == "scale-derive"  # a study like a search's
    assert [c.val_acc for c in result.candidates] == [trials[0].value, trials[1].value, trials[1].value]
    assert result.chosen.val_acc == max(t.value for t in trials)
    assert study.user_attrs["chosen"]["alpha"] == result.chosen.alpha
    assert "res 24 (upsampled from 16)" in lines[1]
    assert lines[-1].startswith("derive: trained 2, reused 0 finished trials; 1 candidates round")

    again = []  # same study: nothing left to train, same answer
    assert _study(tmp_path, data, again)[0] == result
    assert len(optuna.load_study(study_name="s", storage=storage).trials) == 2
    assert again[-1].startswith("derive: trained 0, reused 2")

    more = []  # a wider grid trains only its new network
    _study(tmp_path, data, more, grid=GRID + [Coefficients(1.0, 1.4, 1.0)])
    assert more[-1].startswith("derive: trained 1, reused 2")


def test_derive_study_retrains_interrupted_trials_and_refuses_other_settings(tmp_path, data):
    import optuna

    storage = f"sqlite:///{tmp_path / 'study.db'}"
    lines = []
    _study(tmp_path, data, lines, grid=GRID[:1])
    study = optuna.load_study(study_name="s", storage=storage)
    study.ask()  # a run killed mid-training leaves its trial RUNNING
    study.enqueue_trial({"alpha": 1.0, "beta": 1.0, "gamma": 1.4})  # ... or enqueued
    lines = []
    _study(tmp_path, data, lines, grid=GRID[1:2])
    assert lines[0] == "derive: 2 trials of an interrupted run marked failed; their candidates train again"
    states = [t.state.name for t in optuna.load_study(study_name="s", storage=storage).trials]
    assert states == ["COMPLETE", "FAIL", "FAIL", "COMPLETE"]
    with pytest.raises(ValueError, match=r"study 's' was started with other settings \(train.epochs: 1 -> 2\); rerun"):
        _study(tmp_path, data, [], epochs=2)
