"""Protocol names, dataset names and the snippet length are defined once and drive the CLI choices."""

from __future__ import annotations

import argparse
import dataclasses

import pytest

from wstal.cli import build_parser
from wstal.data.records import DATASET_NAMES, SNIPPET_SECONDS, Dataset
from wstal.data.reduced import VARIANTS
from wstal.data.synthetic.config import SNIPPET_SECONDS as SYNTH_SNIPPET
from wstal.evaluation.ground_truth import GroundTruth
from wstal.evaluation.protocols import PROTOCOL_NAMES, PROTOCOLS


def _choices(command: str, option: str) -> tuple:
    sub = next(a for a in build_parser(command)._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if option in a.option_strings)
    return tuple(action.choices)


def test_protocol_names_are_the_registry_and_the_evaluate_choices():
    assert PROTOCOL_NAMES == tuple(PROTOCOLS) and {"activitynet", "th14", "wtalc"} <= set(PROTOCOL_NAMES)
    assert _choices("evaluate", "--protocol") == PROTOCOL_NAMES


@pytest.mark.parametrize("command", ["train", "prepare"])
def test_dataset_names_are_the_dataset_choices(command):
    assert _choices(command, "--dataset") == DATASET_NAMES


def test_one_snippet_length_everywhere():
    assert SNIPPET_SECONDS == 16.0 / 25.0 and SYNTH_SNIPPET is SNIPPET_SECONDS
    assert Dataset("x", ("a",), []).snippet_seconds == SNIPPET_SECONDS
    assert {f.name: f.default for f in dataclasses.fields(GroundTruth)}["snippet_seconds"] == SNIPPET_SECONDS
    assert all(v.snippet_seconds == SNIPPET_SECONDS for _, v in VARIANTS.items())
