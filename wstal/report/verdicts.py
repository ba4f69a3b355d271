"""Verdicts on the papers' claims, given our values over seeds; the one statement of the rule.

A claim (`wstal.artifacts.Claim`, the catalog's grammar) compares two rows on one column.
`verdict_rule(margin)` below is the rule's only description: tables, the summary and the
README quote it (a test checks the README). Paired rows (same seeds on the same data) are
compared by their per-seed differences, because the seed-to-seed spread of training is
shared by both rows and cancels; `seeds_needed` says how many seeds would decide a claim
that is still inconclusive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from scipy import stats

from wstal.artifacts import Claim
from wstal.errors import ConfigError
from wstal.report.aggregate import SeedStats

ALPHA = 0.05
POWER = 0.8
SEED_BUDGET = 50  # seeds beyond which we call a claim undecidable in practice
COUNT_TOLERANCE = 0.10  # relative: counts (MACs) within 10% are "about equal"


def verdict_rule(margin: float) -> str:
    """The verdict rule, as every table, the summary and the README state it."""
    level = f"{100 * (1 - ALPHA):.0f}%"
    return (
        f"Verdict rule: each claim compares two rows on one column over seeds. When both rows share seeds on the "
        f"same data (inference variants and protocol re-scorings of one model, or models trained with the same "
        f"seed on the same data variant), the test is a paired t-test on the per-seed differences (n - 1 degrees "
        f"of freedom); otherwise Welch's t-test on the two seed samples. With d the mean difference and one-sided "
        f"{level} bounds: 'A > B' holds when the lower bound is above 0 and does not hold when the upper bound is "
        f"below e, the smallest effect the claim asserts, so that an effect of e or more is ruled out ('A < B' "
        f"mirrors it); e is the paper's own difference of the two rows when it is below the margin, a value the "
        f"catalog gives for claims of a slight effect, else the equivalence margin of {margin:g} mAP point; when "
        f"both bounds lie between 0 and e (a real effect, smaller than asserted) the claim holds. "
        f"'A ~= B' (comparable) is a TOST with the margin: it holds when both bounds lie within "
        f"(-{margin:g}, +{margin:g}) and does not hold when both lie beyond one side of the margin; 'A <= B' (A no "
        f"better) holds when the upper bound is below +{margin:g} and does not hold when the lower bound is above "
        f"it ('A >= B' mirrors it); 'A best-in S' holds when A beats every other row of series S by the '>' rule "
        f"and does not hold when the '>' rule fails against one of them. Otherwise, and with fewer than 2 seeds, "
        f"inconclusive. For an inconclusive claim, the seeds that would decide it: the smallest n per row at "
        f"which one of the claim's one-sided tests at alpha = {ALPHA:g} (TOST for '~=') reaches power {POWER:g} "
        f"for the observed difference and spread (noncentral t); when more than {SEED_BUDGET} seeds would be "
        f"needed: 'difference at the margin: seeds will not decide it' for '~=' and '<=' claims whose difference "
        f"sits on the margin, else 'spread too large'. Claims on GMACs compare exact counts (about equal = within "
        f"{COUNT_TOLERANCE:.0%})."
    )


class Verdict(str, Enum):
    HOLDS = "holds"
    FAILS = "does not hold"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Difference:
    """d = mean(A - B) (paired) or mean(A) - mean(B) (Welch), with one-sided (1 - alpha) bounds."""

    test: str  # "paired t" | "Welch t"
    n: int  # pairs (paired) or seeds of the smaller row (Welch)
    d: float
    se: float
    df: float
    lower: float
    upper: float
    spread: tuple[float, ...]  # paired: (sd of the differences,); Welch: (sd of A, sd of B)

    def sample(self) -> str:
        return f"{self.test}, n={self.n}"

    def interval(self, side: str = "both") -> str:
        """`[lo, ∞)` (side "lower"), `(-∞, hi]` ("upper"), or `[lo, hi]` (both one-sided bounds)."""
        lo, hi = _signed(self.lower), _signed(self.upper)
        return {"lower": f"[{lo}, ∞)", "upper": f"(−∞, {hi}]"}.get(side, f"[{lo}, {hi}]")

    def format(self, side: str = "both") -> str:
        return f"{self.sample()}, Δ={_signed(self.d)} {self.interval(side)}"


def _signed(value: float) -> str:
    text = f"{value:+.2f}"
    return "+0.00" if text == "-0.00" else text.replace("-", "−")


def _t(df: float, alpha: float = ALPHA) -> float:
    return float(stats.t.ppf(1 - alpha, df))


def paired_t(a: SeedStats, b: SeedStats, alpha: float = ALPHA) -> Difference | None:
    """Per-seed differences A_s - B_s over the seeds both rows have; None below 2 pairs."""
    va, vb = a.by_seed(), b.by_seed()
    shared = [s for s in a.seeds if s in vb]
    if len(shared) < 2:
        return None
    diffs = [va[s] - vb[s] for s in shared]
    n = len(diffs)
    d = math.fsum(diffs) / n
    sd = math.sqrt(math.fsum((x - d) ** 2 for x in diffs) / (n - 1))
    se = sd / math.sqrt(n)
    if se == 0.0:  # the same difference on every seed (deterministic variants): exact
        return Difference("paired t", n, d, 0.0, n - 1, d, d, (0.0,))
    t = _t(n - 1, alpha)
    return Difference("paired t", n, d, se, n - 1, d - t * se, d + t * se, (sd,))


def welch(a: SeedStats, b: SeedStats, alpha: float = ALPHA) -> Difference | None:
    """Welch difference of two independent seed samples; None when a side has fewer than 2 seeds."""
    if a.n < 2 or b.n < 2:
        return None
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    se = math.sqrt(va + vb)
    d = a.mean - b.mean
    n = min(a.n, b.n)
    if se == 0.0:
        return Difference("Welch t", n, d, 0.0, math.inf, d, d, (0.0, 0.0))
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    t = _t(df, alpha)
    return Difference("Welch t", n, d, se, df, d - t * se, d + t * se, (a.std, b.std))


def difference(a: SeedStats, b: SeedStats, paired: bool, alpha: float = ALPHA) -> Difference | None:
    """Paired t when the rows are paired and share at least 2 seeds, else Welch."""
    if paired:
        diff = paired_t(a, b, alpha)
        if diff is not None:
            return diff
    return welch(a, b, alpha)


def is_paired(a: SeedStats, b: SeedStats) -> bool:
    """Rows on the same data (group) with shared seeds: runs of one seed are paired."""
    return a.group is not None and a.group == b.group and len(set(a.seeds) & set(b.seeds)) >= 2


# ------------------------------------------------------------------ what it would take


def _design(diff: Difference) -> Callable[[int], tuple[float, float]]:
    """n -> (standard error, degrees of freedom) of the same test with n seeds per row."""
    if diff.test == "paired t":
        sd = diff.spread[0]
        return lambda n: (sd / math.sqrt(n), n - 1)
    sa2, sb2 = diff.spread[0] ** 2, diff.spread[1] ** 2

    def welch_design(n: int) -> tuple[float, float]:
        var = (sa2 + sb2) / n
        df = (sa2 + sb2) ** 2 * (n - 1) / (sa2**2 + sb2**2) if sa2 + sb2 > 0 else math.inf
        return math.sqrt(var), df

    return welch_design


def one_sided_power(shift: float, se: float, df: float, alpha: float = ALPHA) -> float:
    """Power of the one-sided t-test at level alpha when the true difference is `shift` (> 0)."""
    if se == 0.0:
        return 1.0 if shift > 0 else 0.0
    return float(stats.nct.sf(_t(df, alpha), df, shift / se))


def seeds_needed(diff: Difference, relation: str, margin: float, alpha: float = ALPHA, power: float = POWER,
                 budget: int = SEED_BUDGET, direction: int = 1) -> int | None:
    """Smallest seeds per row at which one of the claim's tests decides it with `power` at the observed d
    and spread; None when more than `budget` seeds would be needed (or the difference sits on the boundary).

    `relation`: "order" (>, <, best-in; `margin` is then the smallest asserted effect e and `direction`
    the claimed sign: decided by showing d > 0 (shift d) or by ruling out e (shift e - d), d oriented),
    "equivalent" (~=: TOST; shift m - |d| inside the margin, |d| - m outside), "bounded" (<=: shift |m - d|).
    """
    design = _design(diff)
    d = diff.d
    if relation == "order":
        oriented = direction * d
        shifts = [x for x in (oriented, margin - oriented) if x > 0]

        def achieved(n: int) -> float:
            se, df = design(n)
            return max(one_sided_power(x, se, df, alpha) for x in shifts)
    elif relation == "equivalent" and abs(d) < margin:
        def achieved(n: int) -> float:  # TOST: both one-sided tests reject (Bonferroni lower bound)
            se, df = design(n)
            return one_sided_power(margin - d, se, df, alpha) + one_sided_power(margin + d, se, df, alpha) - 1
    else:
        shift = {"equivalent": abs(d) - margin, "bounded": abs(margin - d)}[relation]
        if shift <= 0:
            return None

        def achieved(n: int) -> float:
            se, df = design(n)
            return one_sided_power(shift, se, df, alpha)

    for n in range(2, budget + 1):
        if achieved(n) >= power:
            return n
    return None


def what_it_takes(diff: Difference, relation: str, margin: float, direction: int = 1) -> str:
    n = seeds_needed(diff, relation, margin, direction=direction)
    if n is not None:
        return f"{n} seeds would decide it ({diff.test}, power {POWER:g})"
    distance = abs(abs(diff.d) - margin) if relation == "equivalent" else abs(margin - diff.d)
    if relation != "order" and distance < margin / 2:
        return f"difference at the margin (Δ {_signed(diff.d)}, margin {margin:g}): seeds will not decide it"
    return f"spread too large: more than {SEED_BUDGET} seeds would be needed"


def smallest_effect(claim: Claim, paper: Mapping[str, float | None], margin: float) -> float:
    """e: the smallest effect an order claim asserts, below which the claim does not hold.

    The catalog's `min_effect` (claims of a slight effect); else the paper's own difference of the
    two rows in the claimed direction when it is smaller than the margin (a claim cannot be refuted
    by ruling out more than the paper reported); else the margin.
    """
    if claim.min_effect is not None:
        return claim.min_effect
    a, b = paper.get(claim.lhs), paper.get(claim.rhs)
    if claim.op in (">", "<") and a is not None and b is not None:
        reported = (a - b) if claim.op == ">" else (b - a)
        if 0 < reported < margin:
            return reported
    return margin


# ------------------------------------------------------------------ judging


@dataclass(frozen=True)
class Judgement:
    claim: Claim
    verdict: Verdict
    detail: str
    difference: Difference | None = None
    would_take: str = ""  # inconclusive claims: the seeds that would decide them

    @property
    def full_detail(self) -> str:
        return f"{self.detail}; {self.would_take}" if self.would_take else self.detail


def _decide(holds: bool, fails: bool) -> Verdict:
    if holds:
        return Verdict.HOLDS
    if fails:
        return Verdict.FAILS
    return Verdict.INCONCLUSIVE


_PAIR_RULES: dict[str, tuple[str, str, Callable[[Difference, float], tuple[bool, bool]]]] = {
    # op -> (relation for seeds_needed, interval shown, (holds, fails) from the difference and the threshold:
    # e, the smallest asserted effect, for the order claims; the margin for the others)
    ">": ("order", "lower", lambda f, e: (f.lower > 0, f.upper < e)),
    "<": ("order", "upper", lambda f, e: (f.upper < 0, f.lower > -e)),
    "~=": ("equivalent", "both", lambda f, m: (-m < f.lower and f.upper < m, f.lower >= m or f.upper <= -m)),
    "<=": ("bounded", "upper", lambda f, m: (f.upper < m, f.lower > m)),
}


def _ruled_out(diff: Difference, side: str, effect: float) -> str:
    """Why an order claim does not hold: the bound that rules out the asserted effect e."""
    if side == "lower":
        return f"; upper bound {_signed(diff.upper)} < e={effect:g}"
    return f"; lower bound {_signed(diff.lower)} > −e=−{effect:g}"


def judge(claim: Claim, rows: Mapping[str, SeedStats], margin: float, members: Sequence[str] = (),
          alpha: float = ALPHA, min_effect: float | None = None) -> Judgement:
    """Apply the rule to one claim given each row's values over seeds on the claim's column.

    `members`: the rows of the series a `best-in` claim ranges over. `min_effect`: e of an order
    claim (`smallest_effect`; default the margin). Pairing follows the rows' seeds and groups
    (`is_paired`).
    """
    effect = margin if min_effect is None else min_effect
    names = list(members) if claim.op == "best-in" else [claim.lhs, claim.rhs]
    missing = [r for r in names if r not in rows]
    if missing:
        raise ConfigError(f"claim {claim.check!r}: no results for row(s) {missing}")
    if claim.op == "best-in":
        return _judge_best(claim, rows, members, effect, alpha)
    lhs, rhs, op = claim.lhs, claim.rhs, claim.op
    if op == ">=":  # "A >= B": B makes no improvement over A
        lhs, rhs, op = rhs, lhs, "<="
    if op not in _PAIR_RULES:
        raise ConfigError(f"claim {claim.check!r}: unknown operator {claim.op!r}")
    a, b = rows[lhs], rows[rhs]
    diff = difference(a, b, is_paired(a, b), alpha)
    if diff is None:
        return Judgement(claim, Verdict.INCONCLUSIVE, f"needs ≥ 2 seeds per row (have {a.n} and {b.n})")
    relation, side, rule = _PAIR_RULES[op]
    threshold = effect if relation == "order" else margin
    verdict = _decide(*rule(diff, threshold))
    shown = "lhs" if (lhs, rhs) == (claim.lhs, claim.rhs) else "swapped"
    detail = diff.format(side) + (f" ({rhs} − {lhs})" if shown == "swapped" else "")
    if relation != "order":
        detail += f", margin {margin:g}"
    if verdict is Verdict.FAILS and relation == "order":
        detail += _ruled_out(diff, side, effect)
    elif verdict is Verdict.FAILS and relation == "bounded":
        detail += f"; lower bound {_signed(diff.lower)} > +{margin:g}"
    direction = -1 if op == "<" else 1
    would_take = what_it_takes(diff, relation, threshold, direction) if verdict is Verdict.INCONCLUSIVE else ""
    return Judgement(claim, verdict, detail, diff, would_take)


def _judge_best(claim: Claim, rows: Mapping[str, SeedStats], members: Sequence[str], effect: float,
                alpha: float) -> Judgement:
    target = rows[claim.lhs]
    others = [r for r in members if r != claim.lhs]
    found = {r: difference(target, rows[r], is_paired(target, rows[r]), alpha) for r in others}
    diffs = {r: d for r, d in found.items() if d is not None}
    if len(diffs) < len(found) or not diffs:
        return Judgement(claim, Verdict.INCONCLUSIVE, "needs ≥ 2 seeds per row")
    above = _PAIR_RULES[">"][2]  # the '>' rule against each other row: (holds, fails)
    not_below = [r for r, d in diffs.items() if above(d, effect)[1]]  # A is not above r by e or more
    if not_below:
        worst = min(not_below, key=lambda r: diffs[r].upper)
        beaten = [r for r in not_below if diffs[r].upper < 0]
        why = (f"{', '.join(beaten)} better than {claim.lhs}" if beaten
               else f"{claim.lhs} not above {', '.join(not_below)} by e={effect:g}")
        return Judgement(claim, Verdict.FAILS, f"{why} (vs {worst}: {diffs[worst].format('lower')}"
                                               f"{_ruled_out(diffs[worst], 'lower', effect)})", diffs[worst])
    runner_up = min(others, key=lambda r: diffs[r].lower)  # the row the optimum is least clearly above
    diff = diffs[runner_up]
    if all(above(d, effect)[0] for d in diffs.values()):
        return Judgement(claim, Verdict.HOLDS, f"vs closest {runner_up}: {diff.format('lower')}", diff)
    return Judgement(claim, Verdict.INCONCLUSIVE, f"vs closest {runner_up}: {diff.format('lower')}", diff,
                     what_it_takes(diff, "order", effect))


def judge_exact(claim: Claim, values: Mapping[str, float]) -> Judgement:
    """Claims on exact counts (GMACs): no seeds, no noise, so never inconclusive.

    `>`/`<` compare the numbers; `~=`/`<=`/`>=` allow a relative tolerance of COUNT_TOLERANCE.
    """
    missing = [r for r in (claim.lhs, claim.rhs) if r not in values]
    if missing:
        raise ConfigError(f"claim {claim.check!r}: no count for row(s) {missing}")
    a, b = values[claim.lhs], values[claim.rhs]
    tol = COUNT_TOLERANCE * max(abs(a), abs(b))
    holds = {">": a > b, "<": a < b, "~=": abs(a - b) <= tol, "<=": a <= b + tol, ">=": a >= b - tol}.get(claim.op)
    if holds is None:
        raise ConfigError(f"claim {claim.check!r}: operator {claim.op!r} is not defined on counts")
    tolerance = f", tolerance {COUNT_TOLERANCE:.0%}" if claim.op in ("~=", "<=", ">=") else ""
    return Judgement(claim, Verdict.HOLDS if holds else Verdict.FAILS, f"{a:.3g} vs {b:.3g} (exact counts{tolerance})")
