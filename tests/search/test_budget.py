"""Budget and duration strings."""

import pytest

from search.budget import BudgetError, parse_duration, parse_macs, parse_params


@pytest.mark.parametrize("text, macs", [
    ("400MFLOPs", 400_000_000), ("400M", 400_000_000), ("0.4GFLOPs", 400_000_000), ("1.2GMACs", 1_200_000_000),
    ("400e6", 400_000_000), ("400 mflops", 400_000_000), ("50k", 50_000), ("2G", 2_000_000_000), ("123", 123),
])
def test_compute_budgets(text, macs):
    assert parse_macs(text) == macs


@pytest.mark.parametrize("text", ["abc", "-5M", "400MB", "", "0", "1.2.3M", "M", "400 MFLOPS extra"])
def test_junk_budgets_are_one_clear_error(text):
    with pytest.raises(BudgetError, match="budget"):
        parse_macs(text)


@pytest.mark.parametrize("text, n", [("5M", 5_000_000), ("500k", 500_000), ("5e6", 5_000_000),
                                     ("2.5Mparams", 2_500_000)])
def test_param_budgets(text, n):
    assert parse_params(text) == n


@pytest.mark.parametrize("text", ["5MFLOPs", "-1M", "lots"])
def test_bad_param_budgets(text):
    with pytest.raises(BudgetError, match="parameter budget"):
        parse_params(text)


@pytest.mark.parametrize("text, s", [("30m", 1800), ("2h", 7200), ("90s", 90), ("45", 45), ("1.5h", 5400)])
def test_durations(text, s):
    assert parse_duration(text) == s


@pytest.mark.parametrize("text", ["soon", "-3m", "0", "3 weeks"])
def test_bad_durations(text):
    with pytest.raises(BudgetError, match="duration"):
        parse_duration(text)
