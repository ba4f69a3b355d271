"""The one run-length helper against a plain loop."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from wstal.utils.runs import runs


def _loop_runs(mask: list[bool]) -> list[tuple[int, int]]:
    found, start = [], None
    for i, value in enumerate(mask + [False]):
        if value and start is None:
            start = i
        elif not value and start is not None:
            found.append((start, i))
            start = None
    return found


@given(st.lists(st.booleans(), max_size=60))
def test_runs_match_a_plain_loop(mask):
    assert runs(np.array(mask, dtype=bool)) == _loop_runs(mask)


def test_runs_accept_non_boolean_masks():
    assert runs(np.array([0, 2, 3, 0, 1])) == [(1, 3), (4, 5)]
    assert runs(np.zeros(0)) == []
