"""Verdicts on the papers' claims, given the spread over seeds.

A claim compares rows of an artifact on one metric. The rule (documented in the README
and printed under every table) is a Welch comparison of the two rows' seed means:

    d  = mean(A) - mean(B)
    se = sqrt(s_A^2 / n_A + s_B^2 / n_B)          (s = sample std over seeds)
    df = Welch-Satterthwaite degrees of freedom
    CI = d ± t(1 - alpha, df) · se                 (one-sided bounds, alpha = 0.05)

* `A > B` ("A improves over B"): holds when the lower bound is > 0; does not hold when
  the upper bound is < 0 (B is better); inconclusive otherwise.
* `A < B`: the mirror image.
* `A ~ B` ("comparable", "no evident gain"): an equivalence test (TOST) with margin m
  (default 1.0 mAP point): holds when the whole CI lies inside (-m, m); does not hold
  when it lies entirely outside it; inconclusive otherwise.
* `A <= B` ("A makes no improvement over B"): holds when the upper bound is < m; does
  not hold when the lower bound is > m; inconclusive otherwise.
* `best(A, B, C) = B` ("the optimum is at B"): holds when B has the highest mean and is
  better than the runner-up by the `>` rule; does not hold when some row is better than
  B by the `>` rule; inconclusive otherwise.

With fewer than two seeds in a compared row there is no spread, so the verdict is
inconclusive (a single seed cannot separate an effect from noise).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from typing import Mapping

from scipy import stats

from wstal.errors import ConfigError
from wstal.report.aggregate import SeedStats

ALPHA = 0.05
DEFAULT_MARGIN = 1.0  # mAP points: differences smaller than this are "comparable"


VERDICT_RULE_TEXT = (
    "Verdict rule: for each claim, d = difference of the two rows' seed means with a Welch standard error "
    f"and one-sided {100 * (1 - ALPHA):.0f}% bounds. 'A > B' holds when the lower bound is above 0 and does not "
    "hold when the upper bound is below 0; 'A ~= B' (comparable) and 'A <= B' (no improvement) use an "
    f"equivalence margin of {DEFAULT_MARGIN:g} mAP point; 'best-in' holds when the stated optimum has the highest "
    "mean and beats the runner-up by the '>' rule. Otherwise, and with fewer than 2 seeds, inconclusive."
)


class Verdict(str, Enum):
    HOLDS = "holds"
    FAILS = "does not hold"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Difference:
    """d = mean(A) - mean(B) with one-sided (1 - alpha) bounds from a Welch comparison."""

    d: float
    se: float
    df: float
    lower: float
    upper: float

    def format(self) -> str:
        return f"Δ={self.d:+.2f} [{self.lower:+.2f}, {self.upper:+.2f}]"


def welch(a: SeedStats, b: SeedStats, alpha: float = ALPHA) -> Difference | None:
    """Welch difference of two seed samples; None when a side has fewer than 2 seeds."""
    if a.n < 2 or b.n < 2:
        return None
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    se = math.sqrt(va + vb)
    d = a.mean - b.mean
    if se == 0.0:  # identical seeds on both sides (deterministic variants): the difference is exact
        return Difference(d, 0.0, math.inf, d, d)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    t = float(stats.t.ppf(1 - alpha, df))
    return Difference(d, se, df, d - t * se, d + t * se)


@dataclass(frozen=True)
class Claim:
    """A checkable comparison between rows (by row name) on one metric."""

    relation: str  # ">", "<", "~", "<=", "best"
    rows: tuple[str, ...]  # (A, B) for pairwise relations; candidates for "best"
    target: str | None = None  # the stated optimum for "best"
    metric: str | None = None  # None = the artifact's primary metric
    margin: float = DEFAULT_MARGIN
    text: str = ""  # the paper's wording

    def describe(self) -> str:
        if self.relation == "best":
            return f"best({', '.join(self.rows)}) = {self.target}"
        return f"{self.rows[0]} {self.relation} {self.rows[1]}"


_PAIR = re.compile(r"^\s*(?P<a>[\w.+\-=@]+)\s*(?P<op>>=|<=|>|<|~)\s*(?P<b>[\w.+\-=@]+)\s*$")
_BEST = re.compile(r"^\s*best\((?P<rows>[^)]*)\)\s*=+\s*(?P<t>[\w.+\-=@]+)\s*$")


def parse_claim(expr: str, *, metric: str | None = None, margin: float = DEFAULT_MARGIN, text: str = "") -> Claim:
    """`"full > gap"`, `"masking <= baseline"`, `"wide ~ baseline_hn"`, `"best(k1, k2, k4) = k4"`."""
    m = _BEST.match(expr)
    if m:
        rows = tuple(r.strip() for r in m["rows"].split(",") if r.strip())
        if m["t"] not in rows:
            raise ConfigError(f"claim {expr!r}: the stated optimum {m['t']!r} is not among {rows}")
        return Claim("best", rows, m["t"], metric, margin, text)
    m = _PAIR.match(expr)
    if not m:
        raise ConfigError(f"claim {expr!r}: expected 'A > B', 'A < B', 'A ~ B', 'A <= B' or 'best(A, B, ...) = A'")
    op = m["op"]
    a, b = m["a"], m["b"]
    if op == ">=":  # "A >= B" reads "B makes no improvement over A"
        op, a, b = "<=", b, a
    return Claim(op, (a, b), None, metric, margin, text)


@dataclass(frozen=True)
class Judgement:
    claim: Claim
    verdict: Verdict
    detail: str


def judge(claim: Claim, rows: Mapping[str, SeedStats], alpha: float = ALPHA) -> Judgement:
    """Apply the module's rule to one claim given each row's seed values on the claim's metric."""
    missing = [r for r in claim.rows if r not in rows]
    if missing:
        raise ConfigError(f"claim {claim.describe()!r}: no results for row(s) {missing}")
    if claim.relation == "best":
        return _judge_best(claim, rows, alpha)
    a, b = rows[claim.rows[0]], rows[claim.rows[1]]
    diff = welch(a, b, alpha)
    if diff is None:
        return Judgement(claim, Verdict.INCONCLUSIVE, f"needs ≥ 2 seeds per row (have {a.n} and {b.n})")
    m = claim.margin
    if claim.relation == ">":
        verdict = _decide(diff.lower > 0, diff.upper < 0)
    elif claim.relation == "<":
        verdict = _decide(diff.upper < 0, diff.lower > 0)
    elif claim.relation == "~":
        verdict = _decide(-m < diff.lower and diff.upper < m, diff.lower >= m or diff.upper <= -m)
    elif claim.relation == "<=":
        verdict = _decide(diff.upper < m, diff.lower > m)
    else:
        raise ConfigError(f"claim {claim.describe()!r}: unknown relation {claim.relation!r}")
    margin_note = f", margin {m:g}" if claim.relation in ("~", "<=") else ""
    return Judgement(claim, verdict, diff.format() + margin_note)


def _decide(holds: bool, fails: bool) -> Verdict:
    if holds:
        return Verdict.HOLDS
    if fails:
        return Verdict.FAILS
    return Verdict.INCONCLUSIVE


def _judge_best(claim: Claim, rows: Mapping[str, SeedStats], alpha: float) -> Judgement:
    target = rows[claim.target]
    others = [r for r in claim.rows if r != claim.target]
    if target.n < 2 or any(rows[r].n < 2 for r in others):
        return Judgement(claim, Verdict.INCONCLUSIVE, "needs ≥ 2 seeds per row")
    beaten_by = [r for r in others if welch(rows[r], target, alpha).lower > 0]
    if beaten_by:
        return Judgement(claim, Verdict.FAILS, f"{', '.join(beaten_by)} better than {claim.target}")
    runner_up = max(others, key=lambda r: rows[r].mean)
    if target.mean <= rows[runner_up].mean:
        return Judgement(claim, Verdict.INCONCLUSIVE, f"best mean at {runner_up}, not significantly")
    diff = welch(target, rows[runner_up], alpha)
    verdict = Verdict.HOLDS if diff.lower > 0 else Verdict.INCONCLUSIVE
    return Judgement(claim, verdict, f"vs runner-up {runner_up}: {diff.format()}")


COUNT_TOLERANCE = 0.10  # relative: counts (MACs) within 10% are "about equal"


def judge_exact(claim: Claim, values: Mapping[str, float]) -> Judgement:
    """Claims on exact counts (GMACs): no seeds, no noise, so never inconclusive.

    `>`/`<` compare the numbers; `~`/`<=` allow a relative tolerance of COUNT_TOLERANCE.
    """
    missing = [r for r in claim.rows if r not in values]
    if missing:
        raise ConfigError(f"claim {claim.describe()!r}: no count for row(s) {missing}")
    a, b = values[claim.rows[0]], values[claim.rows[1]]
    tol = COUNT_TOLERANCE * max(abs(a), abs(b))
    holds = {">": a > b, "<": a < b, "~": abs(a - b) <= tol, "<=": a <= b + tol}.get(claim.relation)
    if holds is None:
        raise ConfigError(f"claim {claim.describe()!r}: relation {claim.relation!r} is not defined on counts")
    detail = f"{a:.3g} vs {b:.3g} (exact counts" + (f", tolerance {COUNT_TOLERANCE:.0%})" if claim.relation in ("~", "<=") else ")")
    return Judgement(claim, Verdict.HOLDS if holds else Verdict.FAILS, detail)
