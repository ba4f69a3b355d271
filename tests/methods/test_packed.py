"""The packed training step (`train.batching: packed`) equals the per-video step.

Every method variant is run both ways on a batch of mixed lengths (T = 1 included):
losses per video and gradients must agree to 1e-5 relative in float32 and to float64
rounding in float64 (where the dropout masks are the same draws, so any leak across
videos or any mis-ordered draw would show). A parameter whose exact gradient is zero
(CMCS's attention output bias: softmax over time is shift-invariant) is compared with
1e-5 of the largest gradient instead of its own.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from methods.test_cmcs import VARIANT_OVERRIDES
from methods.test_cmcs import ctx as cmcs_ctx
from methods.test_cmcs import make as make_cmcs
from methods.test_rskp import context as rskp_ctx
from methods.test_rskp import make as make_rskp
from methods.test_rskp import toy_dataset as rskp_toy
from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError
from wstal.methods.cmcs import TrainSample
from wstal.methods.packing import Pack, temporal_conv
from wstal.methods.rskp_parts.dropout import ReLUDropout

LENGTHS = [1, 2, 7, 33, 1, 12]


def compare(method, model, items, make_ctx, dtype, seed: int = 5) -> tuple[float, float]:
    """(max relative loss difference, max relative gradient difference) of per-video vs packed."""
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    torch.manual_seed(seed)
    c = make_ctx()
    per_video = [method.loss(model, item, c) for item in items]
    sum(losses["total"] for losses in per_video).backward()
    reference = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    memory = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    c = make_ctx()
    packed = method.batch_loss(model, items, c)
    packed["total"].sum().backward()
    assert set(packed) == set(per_video[0])
    loss_error = 0.0
    for key in packed:
        ref = torch.stack([losses[key] for losses in per_video]).detach()
        assert packed[key].shape == (len(items),)
        scale = ref.abs().max().clamp_min(1e-12)
        loss_error = max(loss_error, float(((packed[key].detach() - ref).abs() / (ref.abs() + 1e-3 * scale)).max()))
    grads = {n: p.grad for n, p in model.named_parameters() if p.grad is not None}
    assert grads.keys() == reference.keys()
    largest = max(float(g.norm()) for g in reference.values())
    grad_error = max(float((grads[n] - g).norm()) / max(float(g.norm()), 1e-2 * largest)
                     for n, g in reference.items())
    for key, value in model.state_dict().items():  # buffers (RSKP's memory bank) written alike
        torch.testing.assert_close(value, memory[key], rtol=1e-5, atol=1e-6 if dtype == torch.float32 else 1e-12)
    return loss_error, grad_error


TOLERANCE = {torch.float32: 1e-5, torch.float64: 1e-10}


# ---------------------------------------------------------------- CMCS


def cmcs_items(method, dtype) -> list[TrainSample]:
    rng = np.random.default_rng(1)
    stride = method.config.temporal_stride
    dim = method.dataset.feature_dim
    return [TrainSample(f"s{i}", torch.from_numpy(rng.normal(size=(t * stride + i % 2, dim))).to(dtype), i % 3,
                        1.0 / (1 + i % 2)) for i, t in enumerate(LENGTHS)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(VARIANT_OVERRIDES))
def test_cmcs_packed_step_equals_the_per_video_step(name, dtype):
    method = make_cmcs(VARIANT_OVERRIDES[name])
    torch.manual_seed(0)
    model = method.build_model().to(dtype)
    loss_error, grad_error = compare(method, model, cmcs_items(method, dtype), lambda: cmcs_ctx(3), dtype)
    assert loss_error < TOLERANCE[dtype] and grad_error < TOLERANCE[dtype], (loss_error, grad_error)


# ---------------------------------------------------------------- RSKP


def mixed_rskp_dataset() -> Dataset:
    """Eight training videos of lengths 1 .. 40 (two of one snippet), one with two classes."""
    base = rskp_toy(num_train=8, num_test=2)
    rng = np.random.default_rng(3)
    lengths = [1, 2, 5, 30, 1, 17, 40, 3]
    videos = []
    for i, video in enumerate(base.videos):
        if video.subset != "validation":
            videos.append(video)
            continue
        labels = (i % 3,) if i % 4 else (0, 2)
        t = lengths[i]
        videos.append(Video(video.name, video.subset, t * 0.64, rng.normal(size=(t, 12)).astype(np.float32),
                            np.array([[0.0, 0.64]] * len(labels)), np.array(labels), labels))
    return Dataset("toy", base.classes, videos)


RSKP_CASES = {
    "default": {},
    "baseline": {"use_representatives": False, "use_memory": False},
    "foreground": {"use_memory": False, "representative_rule": "foreground"},
    "background": {"use_memory": False, "representative_rule": "background"},
    "top_score": {"use_memory": False, "representative_rule": "top_score"},
    "feature_l1": {"use_memory": False, "propagation_loss": "feature_l1"},
    "feature_l2": {"propagation_loss": "feature_l2"},
    "inverse": {"walk_solver": "inverse"},
    "concat": {"concat_representatives": True},
    "video_memory": {"memory_kind": "video"},
    "em0": {"em_iterations": 0},
    "em3": {"em_iterations": 3},
    "no_dropout": {"dropout": 0.0},
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("warm", [False, True], ids=["warm-up", "memory"])
@pytest.mark.parametrize("name", sorted(RSKP_CASES))
def test_rskp_packed_step_equals_the_per_video_step(name, warm, dtype):
    overrides = RSKP_CASES[name]
    if warm and not overrides.get("use_memory", True):
        pytest.skip("no memory bank in this variant")
    if name == "feature_l1" and dtype == torch.float32:
        pytest.skip("|F - F^a| has a kink at 0, where one-snippet videos sit: float64 only")
    method = make_rskp(overrides, mixed_rskp_dataset())
    torch.manual_seed(0)
    model = method.build_model().to(dtype)
    for video in method._train_videos:
        method._features[(video.name, "cpu")] = torch.from_numpy(video.features).to(dtype)
    if warm:  # the memory bank is read and written video by video inside the batch
        method.after_step(model, rskp_ctx(step=method.warmup_end_step()))
        assert model.memory.ready
    loss_error, grad_error = compare(method, model, list(range(8)), lambda: rskp_ctx(3), dtype)
    assert loss_error < TOLERANCE[dtype] and grad_error < TOLERANCE[dtype], (loss_error, grad_error)


def test_rskp_batch_with_a_repeated_video_reads_the_memory_its_first_copy_wrote():
    method = make_rskp({}, mixed_rskp_dataset())
    torch.manual_seed(0)
    model = method.build_model().double()
    for video in method._train_videos:
        method._features[(video.name, "cpu")] = torch.from_numpy(video.features).double()
    method.after_step(model, rskp_ctx(step=method.warmup_end_step()))
    loss_error, grad_error = compare(method, model, [3, 6, 3, 0], lambda: rskp_ctx(4), torch.float64)
    assert loss_error < 1e-10 and grad_error < 1e-10


# ---------------------------------------------------------------- the pieces


def test_segment_operations_match_per_video_reductions():
    torch.manual_seed(0)
    pack = Pack(LENGTHS)
    x = torch.randn(pack.total, 3, dtype=torch.float64)
    w = torch.rand(pack.total, dtype=torch.float64)
    parts = x.split(LENGTHS)
    torch.testing.assert_close(pack.sum(x), torch.stack([p.sum(0) for p in parts]))
    torch.testing.assert_close(pack.mean(x), torch.stack([p.mean(0) for p in parts]))
    torch.testing.assert_close(pack.amax(x), torch.stack([p.max(0).values for p in parts]))
    torch.testing.assert_close(pack.softmax(x), torch.cat([torch.softmax(p, 0) for p in parts]))
    torch.testing.assert_close(pack.weighted_sum(w, x), torch.stack([q @ p for q, p in zip(w.split(LENGTHS), parts)]))
    torch.testing.assert_close(pack.expand(torch.arange(6.0)), torch.repeat_interleave(torch.arange(6.0),
                                                                                     torch.tensor(LENGTHS)))
    with pytest.raises(ValueError):
        Pack([3, 0])


@pytest.mark.parametrize("kernel, groups", [(1, 1), (3, 1), (5, 1), (3, 4), (1, 4)])
def test_temporal_conv_equals_the_convolution_of_each_video_alone(kernel, groups):
    torch.manual_seed(0)
    conv = nn.Conv1d(8, 12, kernel, padding=kernel // 2, groups=groups).double()
    pack = Pack(LENGTHS)
    x = torch.randn(pack.total, 8, dtype=torch.float64, requires_grad=True)
    packed = temporal_conv(x, conv, pack)
    alone = torch.cat([conv(p.t().unsqueeze(0))[0].t() for p in x.split(LENGTHS)])
    torch.testing.assert_close(packed, alone)
    g_packed = torch.autograd.grad(packed.square().sum(), [x, conv.weight])
    g_alone = torch.autograd.grad(alone.square().sum(), [x, conv.weight])
    for a, b in zip(g_packed, g_alone):
        torch.testing.assert_close(a, b)


def test_fused_relu_dropout_is_relu_then_dropout():
    torch.manual_seed(0)
    layer = ReLUDropout(0.6)
    x = torch.randn(400, 300, dtype=torch.float64, requires_grad=True)
    y = layer(x)
    kept = y > 0
    positive = x.detach() > 0
    assert bool((~positive <= ~kept).all())  # a non-positive input is never kept
    rate = float(kept.sum()) / float(positive.sum())
    assert abs(rate - 0.4) < 0.01  # keep probability 1 - p among positive units
    torch.testing.assert_close(y[kept], x.detach()[kept] / 0.4)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(g, kept.double() / 0.4)
    torch.manual_seed(1)
    whole = layer(torch.ones(7, 5))
    torch.manual_seed(1)
    parts = torch.cat([layer(torch.ones(3, 5)), layer(torch.ones(4, 5))])
    assert torch.equal(whole, parts)  # one draw over a packed batch = the per-video draws in order
    layer.eval()
    assert torch.equal(layer(x), torch.relu(x))
    with pytest.raises(ValueError):
        ReLUDropout(1.0)


def test_unknown_batching_is_a_config_error(tmp_path):
    from toy_method import ToyConfig, toy_dataset

    from wstal.methods.base import apply_overrides
    from wstal.train import train

    config = apply_overrides(ToyConfig(), {"train.batching": "padded"}, "test")
    with pytest.raises(ConfigError, match="train.batching"):
        train("toy", config, toy_dataset(), tmp_path / "run", seed=0, device="cpu", progress="none")


# ---------------------------------------------------------------- the training loop


def _train_both(tmp_path, method_name: str):
    from wstal.methods.base import apply_overrides
    from wstal.train import load_checkpoint, train

    if method_name == "cmcs":
        method = make_cmcs({"train.steps": 3, "train.batch_videos": 5})
    else:  # memory bank initialised after step 1, so steps 2-4 read and write it inside packed batches
        method = make_rskp({"train.steps": 5}, mixed_rskp_dataset())
    runs = {}
    for name, batching in (("packed", "packed"), ("again", "packed"), ("per_video", "per_video")):
        config = apply_overrides(method.config, {"train.batching": batching}, "test")
        train(method_name, config, method.dataset, tmp_path / name, seed=4, device="cpu", progress="none")
        runs[name] = (load_checkpoint(tmp_path / name / "model.pt")["model"],
                      (tmp_path / name / "train_log.jsonl").read_text())
    return runs


@pytest.mark.parametrize("method_name", ["cmcs", "rskp"])
def test_training_packed_is_deterministic_and_follows_the_per_video_run(tmp_path, method_name):
    import json

    runs = _train_both(tmp_path, method_name)
    packed, again, per_video = runs["packed"], runs["again"], runs["per_video"]
    assert packed[1] == again[1]  # same seed, same numbers
    for key in packed[0]:
        assert torch.equal(packed[0][key], again[0][key]), key
        torch.testing.assert_close(packed[0][key], per_video[0][key], rtol=1e-4, atol=1e-5, msg=key)
    logs = [[json.loads(line) for line in run[1].splitlines()] for run in (packed, per_video)]
    assert [sorted(e) for e in logs[0]] == [sorted(e) for e in logs[1]]
    for a, b in zip(*logs):
        assert a["total"] == pytest.approx(b["total"], rel=1e-5)


def test_a_non_finite_loss_in_a_packed_batch_stops_training_naming_the_video(tmp_path):
    import dataclasses

    from methods.test_cmcs import toy_dataset as cmcs_toy

    from wstal.errors import TrainingDiverged
    from wstal.methods.base import apply_overrides
    from wstal.methods.cmcs import CMCSConfig
    from wstal.train import train

    ds = cmcs_toy()
    videos = [dataclasses.replace(v, features=np.full_like(v.features, np.nan)) if v.subset == "validation" else v
              for v in ds.videos]
    config = apply_overrides(CMCSConfig(), {"train.steps": 2, "train.batch_videos": 3, "hard_negatives": False},
                             "test")
    with pytest.raises(TrainingDiverged, match=r"loss is nan at step 0 \(video 1/3 of the batch\)"):
        train("cmcs", config, dataclasses.replace(ds, videos=videos), tmp_path / "run", seed=0, device="cpu",
              progress="none")


def test_a_run_resumes_under_the_other_batching(tmp_path):
    """`train.batching` is how a step runs, not what it trains: a checkpoint belongs to either."""
    from wstal.methods.base import apply_overrides
    from wstal.train import train

    method = make_cmcs({"train.steps": 2, "train.batch_videos": 3})
    first = apply_overrides(method.config, {"train.batching": "per_video"}, "test")
    done = train("cmcs", first, method.dataset, tmp_path / "run", seed=1, device="cpu", progress="none")
    again = train("cmcs", method.config, method.dataset, tmp_path / "run", seed=1, device="cpu", progress="none")
    assert again == done  # the finished run is recognised, not retrained or refused
    other = apply_overrides(method.config, {"train.lr": 0.5}, "test")
    with pytest.raises(ConfigError, match="train.lr"):
        train("cmcs", other, method.dataset, tmp_path / "run", seed=1, device="cpu", progress="none")
