"""The verdict rule on hand-made seed values (test fixtures, not results)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from wstal.artifacts import Claim
from wstal.catalog import load_catalog
from wstal.errors import ConfigError
from wstal.report.aggregate import SeedStats
from wstal.report.verdicts import (
    Difference,
    Verdict,
    judge,
    judge_exact,
    paired_t,
    seeds_needed,
    smallest_effect,
    verdict_rule,
    welch,
    what_it_takes,
)

SEEDS = (0, 1, 2)
T_95_DF2 = 2.919986  # t quantile 0.95 with 2 degrees of freedom (tables)


def s(*values: float, group: str | None = "data") -> SeedStats:
    return SeedStats(tuple(values), SEEDS[:len(values)], group)


def claim(check: str) -> Claim:
    lhs, op, rhs = re.match(r"^(.+?) (>=|<=|~=|>|<|best-in) (.+)$", check).groups()
    return Claim(text="", lhs=lhs, op=op, rhs=rhs)


def test_welch_matches_hand_computation():
    diff = welch(s(10.0, 12.0, 14.0), s(8.0, 9.0, 10.0))
    # d = 12 - 9 = 3; se = sqrt(4/3 + 1/3) = sqrt(5/3); df = (5/3)^2 / ((4/3)^2/2 + (1/3)^2/2) = 25/8.5
    assert diff.test == "Welch t"
    assert diff.d == pytest.approx(3.0) and diff.se == pytest.approx(math.sqrt(5 / 3))
    assert diff.df == pytest.approx(25 / 8.5)


def test_paired_t_matches_hand_computation():
    diff = paired_t(s(10.0, 12.0, 14.0), s(8.0, 9.0, 10.0))
    # per-seed differences 2, 3, 4: d = 3, sd = 1, se = 1/sqrt(3), df = 2
    assert diff.test == "paired t" and diff.n == 3 and diff.df == 2
    assert diff.d == pytest.approx(3.0) and diff.se == pytest.approx(1 / math.sqrt(3))
    assert diff.lower == pytest.approx(3 - T_95_DF2 / math.sqrt(3), abs=1e-5)
    assert diff.upper == pytest.approx(3 + T_95_DF2 / math.sqrt(3), abs=1e-5)


def test_paired_when_rows_share_seeds_and_data_welch_otherwise():
    # a large seed-to-seed spread, but A is above B on every seed by 0.5 to 1 point
    a, b = (30.0, 35.0, 40.0), (29.0, 34.0, 39.5)
    same = judge(claim("A > B"), {"A": s(*a), "B": s(*b)}, 1.0)
    assert same.verdict is Verdict.HOLDS and same.detail.startswith("paired t, n=3, Δ=+0.83 [")
    assert same.detail.endswith(", ∞)")
    other = judge(claim("A > B"), {"A": s(*a, group="unt"), "B": s(*b, group="i3d")}, 1.0)
    assert other.verdict is Verdict.INCONCLUSIVE and other.detail.startswith("Welch t, n=3")
    shifted = SeedStats(b, (3, 4, 5), "data")  # same data, other seeds: nothing to pair
    assert judge(claim("A > B"), {"A": s(*a), "B": shifted}, 1.0).detail.startswith("Welch t")


def test_paired_tost_by_hand():
    # differences -0.1, 0.2, -0.2: d = -1/30, sd = sqrt(0.13/3), bounds d ± t(0.95, 2) sd / sqrt(3)
    rows = {"A": s(30.0, 30.5, 30.2), "B": s(30.1, 30.3, 30.4)}
    j = judge(claim("A ~= B"), rows, 1.0)
    half = T_95_DF2 * math.sqrt(0.13 / 3) / math.sqrt(3)
    assert j.difference.lower == pytest.approx(-1 / 30 - half, abs=1e-5)
    assert j.difference.upper == pytest.approx(-1 / 30 + half, abs=1e-5)
    assert j.verdict is Verdict.HOLDS and "margin 1" in j.detail
    assert judge(claim("A ~= B"), rows, 0.3).verdict is Verdict.INCONCLUSIVE  # upper bound 0.32 > 0.3
    far = {"A": s(35.0, 35.1, 35.2), "B": s(30.0, 30.1, 30.2)}
    assert judge(claim("A ~= B"), far, 1.0).verdict is Verdict.FAILS


def test_order_and_bounded_claims():
    rows = {"hn": s(32.0, 32.5, 33.0), "base": s(28.0, 28.4, 28.9), "noisy": s(20.0, 30.0, 40.0)}
    assert judge(claim("hn > base"), rows, 1.0).verdict is Verdict.HOLDS
    failed = judge(claim("base > hn"), rows, 1.0)
    assert failed.verdict is Verdict.FAILS and "upper bound −" in failed.detail
    assert judge(claim("noisy > base"), rows, 1.0).verdict is Verdict.INCONCLUSIVE
    assert judge(claim("base < hn"), rows, 1.0).verdict is Verdict.HOLDS
    no_gain = judge(claim("hn <= base"), rows, 1.0)  # hn is ~4 points better
    assert no_gain.verdict is Verdict.FAILS and no_gain.detail.endswith("> +1")
    assert judge(claim("base >= hn"), rows, 1.0).verdict is Verdict.FAILS  # the same claim, mirrored
    assert judge(claim("base <= hn"), rows, 1.0).verdict is Verdict.HOLDS


def test_order_claims_fail_when_the_asserted_effect_is_ruled_out():
    # A is within a few tenths of B on every seed: no sign of a gain, and a gain of 1 point is ruled out
    rows = {"A": s(30.1, 31.0, 29.9), "B": s(30.0, 31.1, 29.8)}
    j = judge(claim("A > B"), rows, 1.0)
    assert j.verdict is Verdict.FAILS and "< e=1" in j.detail
    # the same values against a smaller asserted effect (the paper's own 0.1): not ruled out
    assert judge(claim("A > B"), rows, 1.0, min_effect=0.1).verdict is Verdict.INCONCLUSIVE
    mirrored = judge(claim("B < A"), rows, 1.0)
    assert mirrored.verdict is Verdict.FAILS and "> −e=−1" in mirrored.detail
    # a clear gain smaller than e still holds: the claim is a sign, e only decides its refutation
    small = {"A": s(30.3, 31.3, 30.2), "B": s(30.0, 31.1, 29.9)}
    assert judge(claim("A > B"), small, 1.0).verdict is Verdict.HOLDS


def test_smallest_effect_never_exceeds_the_papers_difference():
    gain = Claim("", "A", ">", "B")
    assert smallest_effect(gain, {"A": 45.1, "B": 44.7}, 1.0) == pytest.approx(0.4)
    assert smallest_effect(gain, {"A": 45.1, "B": 42.5}, 1.0) == 1.0  # a large reported gain: the margin
    assert smallest_effect(gain, {"A": 40.0, "B": 41.0}, 1.0) == 1.0  # reported against the claim: the margin
    assert smallest_effect(gain, {"A": None, "B": 41.0}, 1.0) == 1.0
    assert smallest_effect(Claim("", "B", "<", "A"), {"A": 45.1, "B": 44.7}, 1.0) == pytest.approx(0.4)
    slight = Claim("", "A", ">", "B", min_effect=0.2)
    assert smallest_effect(slight, {"A": 45.1, "B": 44.7}, 1.0) == 0.2


def test_best_in():
    rows = {"k1": s(30.0, 30.2, 30.4), "k4": s(36.0, 36.2, 36.4), "k8": s(34.0, 34.2, 34.1)}
    members = ["k1", "k4", "k8"]
    assert judge(claim("k4 best-in K"), rows, 1.0, members).verdict is Verdict.HOLDS
    assert judge(claim("k8 best-in K"), rows, 1.0, members).verdict is Verdict.FAILS
    flat = {"k1": s(30.0, 31.0, 32.0, group=None), "k4": s(30.5, 31.5, 32.6, group=None)}
    assert judge(claim("k4 best-in K"), flat, 1.0, ["k1", "k4"]).verdict is Verdict.INCONCLUSIVE
    # k4 is within 0.2 of k1 on every seed: an optimum by 1 point is ruled out
    close = {"k1": s(30.0, 31.0, 32.0), "k4": s(30.1, 31.2, 32.0)}
    tie = judge(claim("k4 best-in K"), close, 1.0, ["k1", "k4"])
    assert tie.verdict is Verdict.FAILS and "not above k1 by e=1" in tie.detail


def test_one_seed_is_inconclusive_and_missing_rows_are_errors():
    rows = {"a": s(40.0), "b": s(10.0, 11.0)}
    judgement = judge(claim("a > b"), rows, 1.0)
    assert judgement.verdict is Verdict.INCONCLUSIVE and "2 seeds" in judgement.detail
    with pytest.raises(ConfigError, match="no results"):
        judge(claim("a > missing"), rows, 1.0)


def test_identical_differences_are_exact():
    rows = {"a": s(5.0, 6.0), "b": s(4.0, 5.0)}
    assert judge(claim("a > b"), rows, 1.0).verdict is Verdict.HOLDS


def test_seeds_needed_matches_known_power_tables():
    # standardized effect 1 at one-sided alpha 0.05, power 0.8: paired t needs 8 pairs, two-sample t 14 per group
    paired = Difference("paired t", 3, 1.0, 0.5, 2, -0.5, 2.5, (1.0,))
    assert seeds_needed(paired, "order", 0.5) == 8
    independent = Difference("Welch t", 3, 1.0, 0.8, 4, -0.6, 2.6, (1.0, 1.0))
    assert seeds_needed(independent, "order", 0.5) == 14
    assert "8 seeds would decide it (paired t, power 0.8)" == what_it_takes(paired, "order", 0.5)
    # d = 0.2 < e = 1: ruling out e (shift 0.8) is the nearer decision; sd 2 needs 41 pairs for 0.4 sd
    tiny = Difference("paired t", 3, 0.2, 1.2, 2, -3.3, 3.7, (2.0,))
    showing_a_gain_of_0_8 = Difference("paired t", 3, 0.8, 1.2, 2, -2.7, 4.3, (2.0,))
    assert seeds_needed(tiny, "order", 1.0) == seeds_needed(showing_a_gain_of_0_8, "order", 0.8) == 41
    noisy = Difference("paired t", 3, 0.5, 5.0, 2, -14.0, 15.0, (8.0,))
    assert what_it_takes(noisy, "order", 1.0).startswith("spread too large")
    # a '<' claim is oriented: d = +2 against the claimed sign is decided by ruling out e (shift 1 + 2)
    against = Difference("paired t", 3, 2.0, 0.5, 2, 0.5, 3.5, (1.0,))
    assert seeds_needed(against, "order", 1.0, direction=-1) < seeds_needed(against, "order", 1.0)
    # equivalence: |d| = 0.5 inside a margin of 1 with sd 0.5 is decided by a few seeds
    assert seeds_needed(Difference("paired t", 3, 0.5, 0.3, 2, -0.4, 1.4, (0.5,)), "equivalent", 1.0) <= 10


def test_inconclusive_claims_say_what_would_decide_them():
    rows = {"a": s(30.0, 32.0, 31.0), "b": s(29.0, 32.5, 29.6)}  # differences 1, -0.5, 1.4
    j = judge(claim("a > b"), rows, 0.5)
    assert j.verdict is Verdict.INCONCLUSIVE and "seeds would decide it" in j.would_take
    assert j.would_take in j.full_detail


def test_exact_counts():
    values = {"a": 1.0, "b": 1.05, "c": 3.0}
    assert judge_exact(claim("a ~= b"), values).verdict is Verdict.HOLDS
    assert judge_exact(claim("c > a"), values).verdict is Verdict.HOLDS
    assert judge_exact(claim("a ~= c"), values).verdict is Verdict.FAILS


def test_readme_quotes_the_one_rule_text():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert verdict_rule(load_catalog(check_methods=False).margin) in readme.replace("\n", " ")
