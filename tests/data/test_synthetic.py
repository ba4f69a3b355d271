"""The synthetic benchmark: determinism, valid records, THUMOS-like statistics, and each knob at 0
removing its planted phenomenon."""

from __future__ import annotations

import numpy as np
import pytest

from wstal.data.records import validate_dataset
from wstal.data.synthetic import SCALE_PRESETS, SynthConfig, describe, generate, make_config, planted_mask
from wstal.data.synthetic.config import parse_assignments
from wstal.data.synthetic.prototypes import build_prototypes
from wstal.data.synthetic.render import interval_snippets
from wstal.data.synthetic.timeline import Interval
from wstal.errors import ConfigError


def smoke(**knobs) -> SynthConfig:
    return make_config("smoke", knobs)


@pytest.fixture(scope="module")
def dataset():
    return generate(smoke())


def action_mask(video) -> np.ndarray:
    mask = np.zeros(video.num_snippets, bool)
    for s, e in video.segments:
        mask[interval_snippets(Interval(float(s), float(e), 0), video.num_snippets)] = True
    return mask


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_same_seed_gives_byte_identical_arrays():
    first, second = generate(smoke(seed=3)), generate(smoke(seed=3))
    assert [v.name for v in first.videos] == [v.name for v in second.videos]
    for a, b in zip(first.videos, second.videos):
        assert a.features.tobytes() == b.features.tobytes()
        assert a.motion.tobytes() == b.motion.tobytes()
        assert a.segments.tobytes() == b.segments.tobytes() and a.labels == b.labels
    assert first.meta == second.meta


def test_other_seed_gives_other_data():
    a, b = generate(smoke(seed=0)), generate(smoke(seed=1))
    assert a.videos[0].features.shape != b.videos[0].features.shape or \
        not np.array_equal(a.videos[0].features, b.videos[0].features)


def test_a_larger_test_set_extends_the_smaller_one():
    """Raising num_test (choice synthetic-test-size) adds test videos; it changes no training video
    and none of the first test videos, so the smaller set's numbers stay comparable."""
    a, b = generate(smoke(num_test=5)), generate(smoke(num_test=9))
    assert a.train_videos[3].features.tobytes() == b.train_videos[3].features.tobytes()
    assert len(b.test_videos) == 9
    for small, large in zip(a.test_videos, b.test_videos):
        assert small.name == large.name and small.features.tobytes() == large.features.tobytes()
        assert np.array_equal(small.segments, large.segments)


def test_default_scale_scores_five_times_the_thumos_test_set():
    cfg = make_config("default")
    assert (cfg.num_train, cfg.num_test) == (200, 1060)


def test_records_are_valid_and_shaped(dataset):
    validate_dataset(dataset)
    cfg = smoke()
    assert len(dataset.train_videos) == cfg.num_train and len(dataset.test_videos) == cfg.num_test
    assert dataset.train_subset == "validation" and dataset.test_subset == "test"
    assert dataset.snippet_seconds == pytest.approx(0.64)
    assert dataset.num_classes == 20 and dataset.feature_dim == 2 * cfg.stream_dim
    for v in dataset.videos:
        assert v.features.dtype == np.float32 and v.motion.dtype == np.float32
        assert v.motion.shape == (v.num_snippets,) and (v.motion > 0).all()
        assert v.num_snippets == int(v.duration / 0.64)
        assert v.segments.shape[0] >= 1 and v.segments[:, 1].max() <= v.duration
        assert set(v.labels) == set(v.segment_labels.tolist())
    assert dataset.meta["knobs"]["context"] == cfg.context


def test_features_have_unit_scale_at_every_width():
    for width in (32, 256):
        ds = generate(smoke(stream_dim=width, num_train=6, num_test=2))
        std = np.concatenate([v.features for v in ds.videos]).std()
        assert 0.7 < std < 1.4


def test_context_is_static_and_near_actions(dataset):
    context_motion, action_motion, context_snippets = [], [], 0
    for v in dataset.videos:
        context = planted_mask(dataset, v, "context")
        context_snippets += context.sum()
        context_motion.append(v.motion[context])
        action = action_mask(v)
        action_motion.append(v.motion[action])
        # every context run touches an action instance (within one snippet)
        for first, end in dataset.meta["planted"][v.name]["context"]:
            assert action[max(first - 1, 0):end + 1].any()
    assert context_snippets > 0
    assert np.median(np.concatenate(context_motion)) < 0.1 < 0.5 < np.median(np.concatenate(action_motion))


def test_context_zero_removes_static_context():
    ds = generate(smoke(context=0))
    assert all(planted_mask(ds, v, "context").sum() == 0 for v in ds.videos)


def test_static_context_is_what_the_25th_percentile_of_motion_selects(dataset):
    """CMCS's threshold (+ removing runs < 3 snippets) should pick mostly planted context."""
    hits = picked = 0
    for v in dataset.train_videos:
        static = v.motion < np.percentile(v.motion, 25)
        padded = np.concatenate([[False], static, [False]])
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        keep = np.zeros_like(static)
        for a, b in zip(edges[::2], edges[1::2]):
            if b - a >= 3:
                keep[a:b] = True
        hits += (keep & planted_mask(dataset, v, "context")).sum()
        picked += keep.sum()
    assert picked > 0 and hits / picked > 0.8


def test_context_rgb_carries_the_class_appearance_and_flow_does_not():
    ds = generate(smoke(noise=0.0, style=0.0, background=0.0))
    protos = build_prototypes(smoke(noise=0.0, style=0.0, background=0.0))
    d = ds.feature_dim // 2
    for v in ds.videos:
        context = planted_mask(ds, v, "context")
        if not context.any():
            continue
        row = v.features[np.flatnonzero(context)[0]]
        assert max(cosine(row[:d], protos.appearance[c]) for c in v.labels) > 0.99
        assert np.abs(row[d:]).max() == 0.0  # background=0 and static: no motion signal at all
        return
    pytest.fail("no context snippet generated")


def test_completeness_zero_makes_phases_equally_discriminative():
    for completeness, expected in ((0.0, False), (1.0, True)):
        protos = build_prototypes(smoke(completeness=completeness))
        disc = protos.discriminative_phase
        sims = []
        for c in range(4):  # classes 0..3 form one group
            for p in range(protos.flow_phase.shape[1]):
                if p == disc[c] or p == disc[c + 1 if c < 3 else 0]:
                    continue
                sims.append(cosine(protos.flow_phase[c, p], protos.flow_phase[(c + 1) % 4, p]))
        # shared phases are (nearly) identical across related classes; independent ones are not
        assert bool(np.mean(sims) > 0.9) is expected, (completeness, sims)
    # the discriminative phase is purely class-specific in any case
    protos = build_prototypes(smoke(completeness=1.0))
    a, b = protos.discriminative_phase[:2]
    assert abs(cosine(protos.flow_phase[0, a], protos.flow_phase[1, b])) < 0.5


def test_multilabel_zero_gives_single_label_videos():
    ds = generate(smoke(multilabel=0.0))
    assert all(len(v.labels) == 1 for v in ds.videos)
    ds = generate(smoke(multilabel=1.0))
    assert np.mean([len(v.labels) == 2 for v in ds.videos]) > 0.7


def test_ambiguous_intervals_only_on_test_videos_and_zero_removes_them():
    ds = generate(smoke(ambiguous=1.0))
    assert all(v.ambiguous.shape[0] == 0 for v in ds.train_videos)
    assert np.mean([v.ambiguous.shape[0] > 0 for v in ds.test_videos]) > 0.8
    ds = generate(smoke(ambiguous=0.0))
    assert all(v.ambiguous.shape[0] == 0 for v in ds.videos)


def test_weak_zero_removes_weak_instances():
    ds = generate(smoke(weak=0.0))
    assert all(planted_mask(ds, v, "weak").sum() == 0 for v in ds.videos)
    ds = generate(smoke(weak=1.0))
    assert sum(planted_mask(ds, v, "weak").sum() for v in ds.videos) > 0


def test_unt_rgb_carries_no_motion_signal():
    """Without noise/background, UNT RGB is the same inside an action and in its context."""
    knobs = dict(noise=0.0, background=0.0, style=0.0, weak=0.0, context=1.0)
    unt, i3d = generate(smoke(feature_kind="unt", **knobs)), generate(smoke(feature_kind="i3d", **knobs))
    d = unt.feature_dim // 2
    for ds, same in ((unt, True), (i3d, False)):
        v = ds.videos[0]
        context = np.flatnonzero(planted_mask(ds, v, "context"))[0]
        label = v.segment_labels[0]
        first = int(np.ceil(v.segments[0, 0] / 0.64 - 0.5))
        assert bool(cosine(v.features[first, :d], v.features[context, :d]) > 0.999) is same or label not in v.labels


def test_actor_zero_is_the_default_and_actor_only_adds_to_action_rgb():
    """The knob at 0 changes nothing; on, it touches the RGB of action (and ambiguous) snippets only."""
    base, same, actor = generate(smoke()), generate(smoke(actor=0.0)), generate(smoke(actor=1.5))
    d = base.feature_dim // 2
    changed_any = False
    for a, b, c in zip(base.videos, same.videos, actor.videos):
        assert a.features.tobytes() == b.features.tobytes() and a.motion.tobytes() == c.motion.tobytes()
        acting = action_mask(a) | planted_mask(base, a, "ambiguous")
        differs = np.any(a.features != c.features, axis=1)
        assert not differs[~acting].any()  # background and static context are untouched
        assert np.array_equal(a.features[:, d:], c.features[:, d:])  # flow too
        changed_any |= bool(differs[acting].any())
    assert changed_any


def test_actor_plants_a_class_shared_component_that_static_context_lacks():
    knobs = dict(feature_kind="unt", noise=0.0, background=0.0, style=0.0, weak=0.0, context=1.0, actor=1.5)
    ds, protos = generate(smoke(**knobs)), build_prototypes(smoke(**knobs))
    d = ds.feature_dim // 2
    for v in ds.videos:
        first = int(np.ceil(v.segments[0, 0] / 0.64 - 0.5))
        context = np.flatnonzero(planted_mask(ds, v, "context"))
        if v.segment_labels[0] not in v.labels or len(set(v.labels)) > 1 or context.size == 0:
            continue
        difference = v.features[first, :d] - v.features[context[0], :d]
        assert np.allclose(difference, 1.5 * protos.actor, atol=1e-4)
        return
    pytest.fail("no single-label video with context")


def test_statistics_are_thumos_like():
    ds = generate(make_config("default"))
    rows = {(r["statistic"], r["subset"]): r for r in describe(ds)}
    test_len = rows[("instance length median (s)", "test")]
    assert 2.0 <= test_len["synthetic"] <= 4.5 and test_len["thumos14"] == 3.2
    assert 8 <= rows[("multi-label share (%)", "validation")]["synthetic"] <= 25
    ambiguous_share = rows[("videos with ambiguous", "test")]["synthetic"] / len(ds.test_videos)
    assert 0.04 <= ambiguous_share <= 0.28  # THUMOS'14: 36 of 212 (17%)
    assert 5 <= rows[("static-context share (%)", "test")]["synthetic"] <= 30


def test_paper_scale_matches_thumos_sizes():
    cfg = make_config("paper")
    assert (cfg.num_train, cfg.num_test, cfg.stream_dim) == (200, 212, 1024)
    assert set(SCALE_PRESETS) == {"smoke", "default", "paper"}


def test_unknown_or_bad_knobs_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="unknown synthetic knob 'contxt'.*context"):
        make_config("smoke", {"contxt": "0"})
    with pytest.raises(ConfigError, match="context expects float, got 'x'"):
        make_config("smoke", {"context": "x"})
    with pytest.raises(ConfigError, match="within"):
        make_config("smoke", {"context": "1.5"})
    with pytest.raises(ConfigError, match="feature_kind"):
        make_config("smoke", {"feature_kind": "c3d"})
    with pytest.raises(ConfigError, match="knob=value"):
        parse_assignments(["context"])
    with pytest.raises(ConfigError, match="unknown synthetic scale"):
        make_config("huge")
    assert parse_assignments(["context=0", "noise = 1.5"]) == {"context": "0", "noise": "1.5"}


def test_cli_writes_a_dataset_that_loads_back_identically(tmp_path, capsys):
    from wstal.cli import main
    from wstal.data.io import load_dataset

    out = tmp_path / "synth"
    assert main(["synth", "--out", str(out), "--scale", "smoke", "--seed", "2", "--set", "context=0.2",
                 "--describe"]) == 0
    printed = capsys.readouterr().out
    assert "static-context share (%)" in printed and "thumos14" in printed
    loaded = load_dataset(out)
    expected = generate(smoke(seed=2, context=0.2))
    assert loaded.meta["knobs"] == expected.meta["knobs"] and loaded.meta["scale"] == "smoke"
    for a, b in zip(loaded.videos, expected.videos):
        assert a.name == b.name and np.array_equal(a.features, b.features) and np.array_equal(a.motion, b.motion)
        assert np.array_equal(a.segments, b.segments) and a.labels == b.labels


def test_cli_unknown_knob_is_a_one_line_error(capsys):
    from wstal.cli import main

    assert main(["synth", "--describe", "--scale", "smoke", "--set", "contxt=0"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown synthetic knob 'contxt'" in err and "completeness" in err


def test_layout_keeps_the_real_annotations(thumos_reduced):
    from wstal.data.reduced import read_reduced
    from wstal.data.synthetic.layout import generate_on_layout

    real = read_reduced(thumos_reduced)
    ds = generate_on_layout(make_config("smoke", {"stream_dim": 4}), thumos_reduced)
    assert [v.name for v in ds.videos] == [v.name for v in real.videos] and ds.classes == real.classes
    rows = {(r["statistic"], r["subset"]): r for r in describe(ds)}
    for statistic in ("videos", "instances", "instance length median (s)", "multi-label share (%)",
                      "videos with ambiguous", "duration median (s)"):
        for subset in ("validation", "test"):
            row = rows[(statistic, subset)]
            if row["thumos14"] is not None:
                assert row[ds.name] == pytest.approx(row["thumos14"], abs=0.051), (statistic, subset)
    video = ds.video("video_test_0000004")
    assert video.motion.shape == (video.num_snippets,)
    assert sum(planted_mask(ds, v, "context").sum() for v in ds.videos) > 0


def test_new_knobs_at_zero_leave_the_output_byte_identical():
    """The knobs added after the benchmark's first release default to 0 and then change nothing."""
    base = generate(smoke())
    for knobs in ({"venue": 0.0},):
        same = generate(smoke(**knobs))
        for a, b in zip(base.videos, same.videos):
            assert a.features.tobytes() == b.features.tobytes() and a.motion.tobytes() == b.motion.tobytes()
        assert {k: v for k, v in same.meta.items() if k != "knobs"} == {k: v for k, v in base.meta.items()
                                                                        if k != "knobs"}


def _clean(**knobs) -> SynthConfig:
    return smoke(feature_kind="unt", noise=0.0, style=0.0, weak=0.0, background=0.0, multilabel=0.0, **knobs)


def test_venue_makes_a_unt_frame_tell_the_group_not_the_class_nor_the_action():
    """venue 1: UNT RGB is the same in the action and outside it, and the same for related classes;
    venue 0: RGB is zero outside the action and its context and differs between related classes."""
    for venue in (0.0, 1.0):
        ds = generate(_clean(venue=venue))
        protos = build_prototypes(_clean(venue=venue))
        d = ds.feature_dim // 2
        action_rgb = {}
        for v in ds.videos:
            action = action_mask(v)
            outside = ~action & ~planted_mask(ds, v, "context")
            if not outside.any():
                continue
            inside_row = v.features[np.flatnonzero(action)[0], :d]
            outside_row = v.features[np.flatnonzero(outside)[0], :d]
            if venue:
                assert cosine(inside_row, outside_row) > 0.999
            else:
                assert np.abs(outside_row).max() == 0.0
            action_rgb[int(v.labels[0])] = inside_row
        same_group = [(a, b) for a in action_rgb for b in action_rgb
                      if a < b and protos.group[a] == protos.group[b]]
        assert same_group
        similar = [cosine(action_rgb[a], action_rgb[b]) > 0.999 for a, b in same_group]
        assert all(similar) if venue else not any(similar)


def test_venue_leaves_flow_and_motion_alone():
    a, b = generate(smoke(venue=0.0)), generate(smoke(venue=0.7))
    d = a.feature_dim // 2
    for x, y in zip(a.videos, b.videos):
        assert np.array_equal(x.features[:, d:], y.features[:, d:]) and np.array_equal(x.motion, y.motion)
        assert not np.array_equal(x.features[:, :d], y.features[:, :d])


def test_cmcs_data_variants_differ_only_in_feature_kind_and_their_swept_knob():
    """So that figure1's UNT vs I3D rows compare feature kinds, and each figure11 point moves one knob.

    The context sweep runs at venue 0 (the venue is static class context itself): its points
    differ from `unt-venue0`, the others from `unt`.
    """
    from wstal.catalog import load_catalog

    variants = load_catalog(check_methods=False).data_variants
    unt = dict(variants["unt"].knobs)
    assert unt["venue"] > 0 and unt["feature_kind"] == "unt"
    swept = {"unt-ctx0": ("context", "unt-venue0"), "unt-ctx1": ("context", "unt-venue0"),
             "unt-cmp0": ("completeness", "unt"), "unt-cmp05": ("completeness", "unt"),
             "unt-venue0": ("venue", "unt"), "i3d": ("feature_kind", "unt")}
    for name, (knob, base) in swept.items():
        reference = dict(variants[base].knobs)
        knobs = dict(variants[name].knobs)
        knobs.setdefault("feature_kind", "i3d")
        assert {k: v for k, v in knobs.items() if k != knob} == {k: v for k, v in reference.items() if k != knob}, name
        assert knobs[knob] != reference.get(knob, getattr(SynthConfig(), knob)), name
