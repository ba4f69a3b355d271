"""The 11-point AP's recall levels: MATLAB's 0:0.1:1 (the kit), the nearest doubles, Octave's range."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from test_evaluate import truth  # noqa: F401  (tests/ is on sys.path, as for toy_method)
from wstal.evaluate import PROTOCOLS, evaluate_detections
from wstal.evaluation.precision import AP_RULES, RECALL_LEVELS, matlab_colon, octave_range


def hexes(values) -> list[str]:
    return [float(v).hex() for v in values]


# The doubles written out: "0.30000000000000004" is 0.1 * 3, one ulp above the double nearest to 0.3.
NEAREST = ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]
MATLAB = ["0.0", "0.1", "0.2", "0.30000000000000004", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]
OCTAVE = ["0.0", "0.1", "0.2", "0.30000000000000004", "0.4", "0.5", "0.6000000000000001", "0.7000000000000001",
          "0.8", "0.9", "1.0"]


def test_level_bit_patterns():
    assert hexes(RECALL_LEVELS.get("matlab")) == hexes(float(v) for v in MATLAB)
    assert hexes(RECALL_LEVELS.get("nearest")) == hexes(float(v) for v in NEAREST)
    assert hexes(RECALL_LEVELS.get("octave")) == hexes(float(v) for v in OCTAVE)
    matlab = RECALL_LEVELS.get("matlab")
    assert matlab[3] == 0.1 * 3 == np.nextafter(0.3, 1.0)  # left half: a + k*d
    assert matlab[6] == 1 - 4 * 0.1 == 0.6 and matlab[7] == 1 - 3 * 0.1 == 0.7  # right half: b - (n-k)*d
    octave = RECALL_LEVELS.get("octave")
    assert octave[6] == np.nextafter(0.6, 1.0) and octave[7] == np.nextafter(0.7, 1.0)


def test_matlab_colon_halves_and_middle_rule():
    # n = 6 (even): middle element (0 + 0.6)/2 = 0.3 exactly the nearest double, not 3 * 0.1;
    # right half 0.6 - 2*0.1 = 0.39999999999999997 and 0.6 - 0.1 = 0.5
    assert hexes(matlab_colon(0.0, 0.1, 0.6)) == hexes([0.0, 0.1, 0.2, 0.3, 0.39999999999999997, 0.5, 0.6])
    # n = 7 (odd): no middle element; indices 0..3 from the left, 4..7 from the right (last = 0.7)
    assert hexes(matlab_colon(0.0, 0.1, 0.7)) == hexes(
        [0.0, 0.1, 0.2, 0.30000000000000004, 0.3999999999999999, 0.49999999999999994, 0.6, 0.7])
    # the end point is b when a + n*d is within the tolerance; an overshooting last interval is dropped
    assert matlab_colon(0.0, 0.1, 1.0)[-1] == 1.0
    assert len(matlab_colon(0.0, 0.3, 1.0)) == 4 and matlab_colon(0.0, 0.3, 1.0)[-1] == 0.3 * 3
    assert hexes(octave_range(0.0, 0.1, 1.0)) == hexes(float(v) for v in OCTAVE)


def test_protocols_name_the_three_level_sets():
    assert PROTOCOLS.get("th14-11pt").ap == "11-point"  # default: the kit's MATLAB levels
    assert PROTOCOLS.get("th14-11pt-nearest").ap == "11-point-nearest"
    assert PROTOCOLS.get("th14-11pt-octave").ap == "11-point-octave"


# Ten GT; ranking TP, FP, TP, FP, ..., TP (19 predictions): the i-th TP sits at rank 2i - 1, precision
# P_i = i / (2i - 1), strictly decreasing, so "max precision at recall >= r" is P of the first TP reaching r.
P = [Fraction(i, 2 * i - 1) for i in range(1, 11)]
NEAREST_AP = (1 + sum(P)) / 11  # level 0 -> P_1 = 1, level k/10 -> P_k
MATLAB_AP = NEAREST_AP + (P[3] - P[2]) / 11  # 0.30000000000000004 needs the 4th TP, not the 3rd
OCTAVE_AP = MATLAB_AP + (P[7] - P[5]) / 11  # ... and 0.6 / 0.7 one ulp up need the 7th / 8th TP


def alternating_case():
    gt = truth([("A", 20 * i, 20 * i + 10) for i in range(10)])
    rows = []
    for i in range(10):
        rows.append({"label": "A", "score": 1.0 - 0.04 * i, "segment": [20 * i, 20 * i + 10]})
        if i < 9:
            rows.append({"label": "A", "score": 0.98 - 0.04 * i, "segment": [20 * i + 12, 20 * i + 14]})
    return gt, {"results": {"v1": rows}}


@pytest.mark.parametrize("protocol, expected", [
    ("th14-11pt", MATLAB_AP), ("th14-11pt-nearest", NEAREST_AP), ("th14-11pt-octave", OCTAVE_AP),
])
def test_eleven_point_ap_differs_between_the_level_sets(protocol, expected):
    gt, predictions = alternating_case()
    result = evaluate_detections(gt, predictions, protocol, (0.5,))
    assert result["map"] == [pytest.approx(100 * float(expected), abs=1e-9)]


def test_the_three_values_are_distinct():
    assert len({float(NEAREST_AP), float(MATLAB_AP), float(OCTAVE_AP)}) == 3
    tp = np.array([[True], [False]] * 9 + [[True]])
    values = [float(AP_RULES.get(rule)(tp, 10)[0]) for rule in ("11-point", "11-point-nearest", "11-point-octave")]
    assert values == pytest.approx([float(MATLAB_AP), float(NEAREST_AP), float(OCTAVE_AP)], abs=1e-12)
