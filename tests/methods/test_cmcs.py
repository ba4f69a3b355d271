"""CMCS model and losses: hand-computed losses, shapes/gradients of every variant, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError
from wstal.methods.base import StepContext, apply_overrides, get_method
from wstal.methods.cmcs import (
    CMCS,
    CMCSConfig,
    CMCSModel,
    describe_model,
    diversity_loss,
    mil_loss,
    norm_loss,
    offset_view,
    sample_losses,
)
from wstal.utils.seeding import step_rng, step_seed

LN3 = math.log(3.0)


def toy_branch_logits() -> torch.Tensor:
    """K=2 branches, T=2, C'=2: branch 0 is flat, branch 1 prefers class 0 then class 1."""
    return torch.tensor([[[0.0, 0.0], [0.0, 0.0]],
                         [[LN3, 0.0], [0.0, LN3]]])


def test_mil_loss_is_cross_entropy_of_the_label():
    assert float(mil_loss(torch.tensor([0.0, LN3]), 1)) == pytest.approx(math.log(4 / 3))
    assert float(mil_loss(torch.tensor([0.0, LN3]), 0)) == pytest.approx(math.log(4))


def test_diversity_loss_by_hand():
    # class 0 columns: [.5, .5] vs [.75, .25]; class 1: [.5, .5] vs [.25, .75]; both cosines = 2/sqrt(5)
    assert float(diversity_loss(toy_branch_logits())) == pytest.approx(2 / math.sqrt(5), abs=1e-5)
    # identical branches are maximally similar
    same = torch.zeros(3, 4, 5)
    assert float(diversity_loss(same)) == pytest.approx(1.0, abs=1e-5)


def test_norm_loss_by_hand():
    # mean |logit| per (branch, class): branch 0 -> 0, branch 1 -> ln3/2; deviation from the mean ln3/4
    assert float(norm_loss(toy_branch_logits())) == pytest.approx(LN3 / 4)
    assert float(norm_loss(torch.ones(4, 3, 2))) == 0.0


def test_total_loss_weights_and_lambda():
    branch = toy_branch_logits()
    out = {"branch_logits": branch, "cas": branch.mean(0), "attention": torch.tensor([0.5, 0.5]),
           "video_logits": torch.tensor([0.0, LN3])}
    losses = sample_losses(out, label=1, weight=0.5, cfg=CMCSConfig())
    expected = 0.5 * (math.log(4 / 3) + 0.2 * (2 / math.sqrt(5) + LN3 / 4))
    assert float(losses["total"]) == pytest.approx(expected, abs=1e-5)
    off = sample_losses(out, label=1, weight=1.0, cfg=CMCSConfig(diversity=False))
    assert set(off) == {"mil", "total"} and float(off["total"]) == pytest.approx(math.log(4 / 3))


def test_ensemble_reading_sums_one_cross_entropy_per_branch():
    branch = toy_branch_logits()
    att = torch.tensor([0.5, 0.5])
    out = {"branch_logits": branch, "cas": branch.mean(0), "attention": att, "video_logits": torch.zeros(2)}
    losses = sample_losses(out, 0, 1.0, CMCSConfig(branch_loss="ensemble", diversity=False))
    # branch 0 pools to [0, 0] -> ln 2; branch 1 pools to [ln3/2, ln3/2] -> ln 2
    assert float(losses["total"]) == pytest.approx(2 * math.log(2))


# ---------------------------------------------------------------- toy dataset


def toy_dataset(num_classes: int = 3, dim: int = 8, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    videos = []
    for i in range(12):
        t = int(rng.integers(20, 40))
        feats = rng.normal(size=(t, dim)).astype(np.float32)
        motion = (rng.random(t) + 1.0).astype(np.float32)
        motion[2:8] = 0.01 * np.arange(6)  # a 6-snippet static run: ~15-30 % of the video
        labels = (i % num_classes,) if i % 4 else (0, 1)
        subset = "validation" if i < 8 else "test"
        seg = np.array([[3.0, 6.0]] * len(labels))
        videos.append(Video(f"v{i}", subset, t * 0.64, feats, seg, np.array(labels), labels, motion=motion))
    return Dataset("toy", tuple(f"c{c}" for c in range(num_classes)), videos)


VARIANT_OVERRIDES = {
    "full": {},
    "single-mil": {"num_branches": 1, "diversity": False},
    "multiple-mil": {"diversity": False},
    "wide": {"num_branches": 1, "branch_channels": 64, "diversity": False},
    "gap-max": {"pooling": "max"},
    "gap-mean": {"pooling": "mean"},
    "kernel1": {"branch_kernel": 1},
    "deep": {"branch_layers": 2, "attention_layers": 2},
    "ensemble": {"branch_loss": "ensemble", "diversity": False},
    "no-hn": {"hard_negatives": False},
    "rgb": {"modality": "rgb"},
    "flow": {"modality": "flow"},
    "late": {"modality": "late"},
    "stride3": {"temporal_stride": 3},
}


def make(overrides: dict, ds: Dataset | None = None) -> CMCS:
    ds = ds or toy_dataset()
    method = get_method("cmcs")(apply_overrides(CMCSConfig(), overrides, "test"), ds)
    method.prepare()
    return method


def ctx(step: int = 0) -> StepContext:
    return StepContext(step, 0, step_rng(0, step), torch.device("cpu"))


@pytest.mark.parametrize("name", sorted(VARIANT_OVERRIDES))
def test_every_variant_has_the_right_shapes_and_gradients(name):
    torch.manual_seed(0)
    method = make(VARIANT_OVERRIDES[name])
    model = method.build_model()
    cfg = method.config
    c_out = 3 + (1 if cfg.hard_negatives else 0)
    video = method.dataset.train_videos[0]
    out = model(torch.from_numpy(video.features))
    t = video.num_snippets
    assert out["branch_logits"].shape == (cfg.num_branches, t, c_out)
    assert out["cas"].shape == (t, c_out) and out["attention"].shape == (t,)
    assert out["video_logits"].shape == (c_out,)
    assert float(out["attention"].detach().sum()) == pytest.approx(1.0, abs=1e-5)
    item = method.train_items()[0]
    losses = method.loss(model, item, ctx())
    losses["total"].backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0
    outputs = method.infer(model, method.dataset.test_videos[0], "default")
    t_test = offset_view(torch.from_numpy(method.dataset.test_videos[0].features), cfg.temporal_stride, 0).shape[0]
    assert outputs["cas"].shape == (t_test, c_out) and outputs["video_scores"].shape == (3,)
    for variant in CMCS.VARIANTS:
        for d in method.localize(outputs, method.dataset.test_videos[0], variant):
            assert 0.0 <= d.start < d.end <= method.dataset.test_videos[0].duration


def test_samples_replicate_multilabel_videos_and_add_background_pseudo_videos():
    method = make({})
    items = method.train_items()
    real = [i for i in items if not i.name.endswith("_bg")]
    assert sum(1 for i in real if i.weight == 0.5) == 4  # videos 0 and 4 have two labels -> 2 samples each
    pseudo = [i for i in items if i.name.endswith("_bg")]
    assert pseudo and all(i.label == 3 and i.weight == 1.0 for i in pseudo)
    # around the planted static run 2..7 (a random neighbour below the percentile may join it)
    assert all(4 <= p.snippets.size <= 8 and set(p.snippets.tolist()) <= set(range(1, 10))
               for p in method.pseudo_videos)
    assert sorted(i.features.shape[0] for i in pseudo) == sorted(p.snippets.size for p in method.pseudo_videos)
    assert all(not i.name.endswith("_bg") for i in make({"hard_negatives": False}).train_items())


def test_wide_has_the_capacity_of_four_branches():
    ds = toy_dataset()
    full = describe_model(make({}, ds).build_model())["early"]
    wide = describe_model(make(VARIANT_OVERRIDES["wide"], ds).build_model())["early"]
    single = describe_model(make(VARIANT_OVERRIDES["single-mil"], ds).build_model())["early"]
    assert abs(full - wide) / full < 0.01 < (full - single) / full


def test_late_fusion_streams_train_as_if_alone():
    ds = toy_dataset()
    late = make({"modality": "late", "dropout": 0.0}, ds)
    rgb = make({"modality": "rgb", "dropout": 0.0}, ds)
    late_model, rgb_model = late.build_model(), rgb.build_model()
    rgb_model.streams["rgb"].load_state_dict(late_model.streams["rgb"].state_dict())
    item = late.train_items()[0]
    late.loss(late_model, item, ctx())["total"].backward()
    rgb.loss(rgb_model, item, ctx())["total"].backward()
    for (name, a), b in zip(late_model.streams["rgb"].named_parameters(), rgb_model.streams["rgb"].parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_temporal_augmentation_draws_an_offset_from_the_step_rng():
    x = torch.arange(10).float().unsqueeze(1)
    assert offset_view(x, 3, 1).squeeze(1).tolist() == [1.0, 4.0, 7.0]
    assert offset_view(x, 3, 0).squeeze(1).tolist() == [0.0, 3.0, 6.0]
    assert offset_view(x, 1, 0) is x


@pytest.mark.parametrize("overrides, message", [
    ({"num_branches": 1}, "diversity needs num_branches"),
    ({"modality": "audio"}, "modality"),
    ({"pooling": "sum"}, "pooling"),
    ({"branch_kernel": 2}, "branch_kernel"),
    ({"branch_loss": "mean"}, "branch_loss"),
])
def test_invalid_configs_are_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        make(overrides)


def test_unknown_variant_is_a_config_error():
    method = make({})
    with pytest.raises(ConfigError, match="unknown variant"):
        method.variant_config("no-inner")


def _train(seed: int, steps: int = 3) -> dict:
    method = make({"train.batch_videos": 4})
    torch.manual_seed(seed)
    model = method.build_model()
    opt = method.build_optimizer(model)
    items = method.train_items()
    for step in range(steps):
        torch.manual_seed(step_seed(seed, step))
        c = StepContext(step, 0, step_rng(seed, step), torch.device("cpu"))
        opt.zero_grad()
        for k in range(4):
            method.loss(model, items[(step * 4 + k) % len(items)], c)["total"].backward()
        opt.step()
    return model.state_dict()


def test_same_seed_same_weights_on_the_cpu():
    a, b, other = _train(1), _train(1), _train(2)
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert any(not torch.equal(a[k], other[k]) for k in a)


def test_config_defaults_are_the_released_thumos_unt_config():
    cfg = CMCSConfig()
    assert (cfg.num_branches, cfg.embed_dim, cfg.branch_channels, cfg.attention_channels) == (4, 32, 16, 16)
    assert (cfg.dropout, cfg.diversity_weight, cfg.hard_negatives, cfg.pooling) == (0.8, 0.2, True, "attention")
    t = cfg.train
    assert (t.steps, t.batch_videos, t.lr, t.weight_decay) == (7500, 24, 1e-4, 1e-3)
    assert isinstance(CMCSModel(8, 4, cfg), torch.nn.Module)


@pytest.mark.slow
def test_smoke_run_through_the_cli(tmp_path):
    """One catalog experiment end to end: `wstal prepare` + `wstal train` + `wstal evaluate --run`."""
    import json
    import subprocess
    import sys

    def wstal(*args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "wstal.cli", *args], capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr

    data = tmp_path / "data"
    run_dir = tmp_path / "run"
    wstal("prepare", "--dataset", "synthetic", "--scale", "smoke", "--data-variant", "unt", "--out", str(data))
    wstal("train", "--experiment", "cmcs_full", "--seed", "0", "--dataset", "synthetic", "--scale", "smoke",
          "--data", str(data), "--out", str(run_dir), "--device", "cpu", "--threads", "1", "--progress", "none")
    assert (run_dir / "model.pt").is_file()
    for variant in ("default", "no-outer"):
        wstal("evaluate", "--run", str(run_dir), "--variant", variant)
        metrics = json.loads((run_dir / variant / "metrics.json").read_text())
        assert metrics["protocol"] == "th14" and metrics["variant"] == variant
        assert len(metrics["map"]) == len(metrics["tiou"]) and 0.0 <= metrics["average"] <= 100.0
        predictions = json.loads((run_dir / variant / "predictions.json").read_text())
        assert set(predictions["results"]) == {v["name"] for v in json.loads(
            (data / "annotations.json").read_text())["videos"] if v["subset"] == "test"}
