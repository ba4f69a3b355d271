"""The verdict rule on hand-made seed values (test fixtures, not results)."""

from __future__ import annotations

import math

import pytest

from wstal.errors import ConfigError
from wstal.report.aggregate import SeedStats
from wstal.report.verdicts import Verdict, judge, parse_claim, welch


def s(*values: float) -> SeedStats:
    return SeedStats(tuple(values))


def test_welch_matches_hand_computation():
    a, b = s(10.0, 12.0, 14.0), s(8.0, 9.0, 10.0)
    diff = welch(a, b)
    # d = 12 - 9 = 3; se = sqrt(4/3 + 1/3) = sqrt(5/3); df = (5/3)^2 / ((4/3)^2/2 + (1/3)^2/2) = 25/8.5
    assert diff.d == pytest.approx(3.0)
    assert diff.se == pytest.approx(math.sqrt(5 / 3))
    assert diff.df == pytest.approx(25 / 8.5)
    from scipy import stats

    t = stats.t.ppf(0.95, 25 / 8.5)
    assert diff.lower == pytest.approx(3 - t * math.sqrt(5 / 3))


def test_greater_claim_holds_fails_or_is_inconclusive():
    rows = {"hn": s(32.0, 32.5, 33.0), "base": s(28.0, 28.4, 28.9), "noisy": s(20.0, 30.0, 40.0)}
    assert judge(parse_claim("hn > base"), rows).verdict is Verdict.HOLDS
    assert judge(parse_claim("base > hn"), rows).verdict is Verdict.FAILS
    assert judge(parse_claim("noisy > base"), rows).verdict is Verdict.INCONCLUSIVE
    assert judge(parse_claim("base < hn"), rows).verdict is Verdict.HOLDS


def test_comparable_and_no_improvement_use_the_margin():
    rows = {"a": s(30.0, 30.1, 30.2), "b": s(30.05, 30.15, 30.1), "c": s(35.0, 35.1, 35.2)}
    assert judge(parse_claim("a ~ b"), rows).verdict is Verdict.HOLDS
    assert judge(parse_claim("c ~ a"), rows).verdict is Verdict.FAILS
    assert judge(parse_claim("a <= b"), rows).verdict is Verdict.HOLDS
    assert judge(parse_claim("c <= a"), rows).verdict is Verdict.FAILS
    # 'b >= c' reads 'c makes no improvement over b': c is 5 points better, so it fails
    assert judge(parse_claim("b >= c"), rows).verdict is Verdict.FAILS
    assert judge(parse_claim("c ~ a", margin=10.0), rows).verdict is Verdict.HOLDS


def test_best_claim():
    rows = {"k1": s(30.0, 30.2, 30.4), "k4": s(36.0, 36.2, 36.4), "k8": s(34.0, 34.2, 34.1)}
    assert judge(parse_claim("best(k1, k4, k8) = k4"), rows).verdict is Verdict.HOLDS
    assert judge(parse_claim("best(k1, k4, k8) = k8"), rows).verdict is Verdict.FAILS
    flat = {"k1": s(30.0, 31.0, 32.0), "k4": s(30.5, 31.5, 32.5)}
    assert judge(parse_claim("best(k1, k4) = k4"), flat).verdict is Verdict.INCONCLUSIVE


def test_one_seed_is_inconclusive_and_bad_claims_are_errors():
    rows = {"a": s(40.0), "b": s(10.0, 11.0)}
    judgement = judge(parse_claim("a > b"), rows)
    assert judgement.verdict is Verdict.INCONCLUSIVE and "2 seeds" in judgement.detail
    with pytest.raises(ConfigError, match="no results"):
        judge(parse_claim("a > missing"), rows)
    with pytest.raises(ConfigError, match="expected"):
        parse_claim("a >> b")
    with pytest.raises(ConfigError, match="optimum"):
        parse_claim("best(a, b) = c")


def test_identical_seeds_give_an_exact_difference():
    rows = {"a": s(5.0, 5.0), "b": s(4.0, 4.0)}
    assert judge(parse_claim("a > b"), rows).verdict is Verdict.HOLDS
