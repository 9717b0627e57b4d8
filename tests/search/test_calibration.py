"""Proxy fidelity numbers: Kendall tau-b and Spearman rho against hand-worked cases, the bootstrap, the record."""

import math

import pytest

from search.report.calibration import (bootstrap_interval, calibrate, calibration_data, fidelity_line, kendall_tau,
                                recommended, spearman_rho, ProxyFidelity)


def test_kendall_tau_is_one_for_the_same_order_and_minus_one_for_the_reverse():
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert kendall_tau([1, 2, 3, 4], [40, 30, 20, 10]) == -1.0


def test_kendall_tau_counts_concordant_and_discordant_pairs():
    # pairs (0,1) and (0,2) agree, (1,2) disagrees: (2 - 1) / 3
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)


def test_kendall_tau_b_divides_by_the_pairs_untied_on_each_side():
    # x ties pair (1,2), y ties pair (0,1); the 4 pairs untied on both sides all agree: 4 / sqrt(5 * 5)
    assert kendall_tau([1, 2, 2, 3], [1, 1, 2, 3]) == pytest.approx(0.8)
    # one tie in x only: 5 concordant pairs / sqrt(5 untied in x * 6 untied in y)
    assert kendall_tau([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / math.sqrt(30))


def test_rank_correlations_are_undefined_when_one_side_is_all_ties():
    assert math.isnan(kendall_tau([0.5, 0.5, 0.5], [1, 2, 3]))
    assert math.isnan(spearman_rho([1, 2, 3], [0.5, 0.5, 0.5]))
    assert math.isnan(kendall_tau([1], [2])) and math.isnan(spearman_rho([1], [2]))


def test_spearman_rho_hand_worked():
    assert spearman_rho([1, 2, 3, 4], [1, 4, 9, 16]) == pytest.approx(1.0)
    assert spearman_rho([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman_rho([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)  # 1 - 6 * 2 / (3 * 8)
    # ranks [1, 2.5, 2.5, 4] against [1, 2, 3, 4]: 4.5 / sqrt(4.5 * 5)
    assert spearman_rho([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(3 / math.sqrt(10))


def test_mismatched_lengths_are_an_error():
    with pytest.raises(ValueError, match="equally long"):
        kendall_tau([1, 2], [1, 2, 3])


def test_bootstrap_of_a_perfect_order_is_one_to_one_and_holds_the_estimate():
    x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert bootstrap_interval(x, [v * 2 for v in x]) == (pytest.approx(1.0), pytest.approx(1.0))  # SciPy: 1 - 1e-16
    assert bootstrap_interval(x, [-v for v in x]) == (pytest.approx(-1.0), pytest.approx(-1.0))


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    x = [0.31, 0.42, 0.35, 0.50, 0.47, 0.29, 0.44, 0.38]
    y = [0.52, 0.61, 0.49, 0.70, 0.58, 0.50, 0.66, 0.55]
    lo, hi = bootstrap_interval(x, y, seed=3)
    assert bootstrap_interval(x, y, seed=3) == (lo, hi)
    assert bootstrap_interval(x, y, seed=4) != (lo, hi)
    assert -1 <= lo < kendall_tau(x, y) < hi <= 1
    narrow = bootstrap_interval(x, y, seed=3, confidence=0.5)
    assert lo <= narrow[0] <= narrow[1] <= hi


def test_recommended_is_the_fewest_epochs_reaching_the_threshold():
    ps = [ProxyFidelity(1, 0.4, 0.5, 0.1, 0.7, 6), ProxyFidelity(5, 0.8, 0.9, 0.6, 1.0, 6),
          ProxyFidelity(3, 0.7, 0.8, 0.5, 0.9, 6), ProxyFidelity(2, None, None, None, None, 6)]
    assert recommended(ps) == 3
    assert recommended(ps, 0.9) is None


def test_a_tau_of_fewer_than_six_architectures_is_not_meaningful_and_recommends_nothing():
    few = [ProxyFidelity(1, 1.0, 1.0, 1.0, 1.0, 5), ProxyFidelity(3, 0.8, 0.9, 0.6, 1.0, 6)]
    assert [p.meaningful for p in few] == [False, True]
    assert recommended(few) == 3  # 1 epoch's perfect tau of 5 architectures is not taken
    c = calibrate({1: [0.4, 0.3, 0.2], 3: [0.5, 0.4, 0.3]}, 3, resamples=50)
    assert c["proxies"][0]["meaningful"] is False and c["recommended_epochs"] is None
    assert fidelity_line(c, 1) == ("proxy fidelity: Kendall tau 1.00 [1.00, 1.00] for 1 epochs against 3 "
                                   "(nas calibrate, 3 architectures; not meaningful with fewer than 6)")


def test_calibrate_skips_failed_architectures_and_recommends():
    acc = {1: [0.2, 0.3, None, 0.4, 0.5], 2: [0.3, 0.2, 0.6, 0.5, 0.4], 4: [0.3, 0.4, 0.5, 0.6, 0.7]}
    c = calibrate(acc, 4, seed=0, resamples=200)
    assert c["full_epochs"] == 4 and c["split"] == "validation"
    assert [p["epochs"] for p in c["proxies"]] == [1, 2]
    one, two = c["proxies"]
    assert one["n_archs"] == 4 and one["kendall_tau"] == pytest.approx(1.0) and one["spearman_rho"] == pytest.approx(1.0)
    assert two["n_archs"] == 5 and two["kendall_tau"] == pytest.approx(0.2)  # 6 agreeing pairs, 4 not, of 10
    assert c["recommended_epochs"] is None  # 4 and 5 architectures: not meaningful
    assert c["bootstrap"] == {"resamples": 200, "confidence": 0.95, "seed": 0}


def test_fidelity_line_and_dashboard_panels_read_the_record():
    c = calibrate({1: [0.2, 0.3, 0.4], 3: [0.3, 0.4, 0.5]}, 3, resamples=50)
    c["archs"] = [{"arch": f"a{i}", "val_acc": {"1": p, "3": f}} for i, (p, f) in enumerate([(0.2, 0.3), (0.3, 0.4),
                                                                                           (0.4, 0.5)])]
    assert fidelity_line(c, 2) == "proxy fidelity: calibrated for [1] epochs against 3, not for 2"
    d = calibration_data(c)
    assert d.full_epochs == 3 and [p.epochs for p in d.panels] == [1]
    assert d.panels[0].proxy_acc == (0.2, 0.3, 0.4) and d.panels[0].full_acc == (0.3, 0.4, 0.5)
    assert d.panels[0].kendall_tau == 1.0 and d.panels[0].arch == ("a0", "a1", "a2")
    assert calibration_data(None) is None and calibration_data({"proxies": []}) is None
