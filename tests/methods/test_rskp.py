"""RSKP as a method: config switches, gradient flow, memory in the checkpoint, determinism, variants."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from wstal.data.records import Dataset, Video
from wstal.errors import ConfigError
from wstal.methods.base import StepContext, apply_overrides, get_method
from wstal.train import load_checkpoint, train
from wstal.utils.seeding import step_rng

SMALL = {"embed_dim": 16, "train.batch_videos": 4, "train.lr": 1e-3, "warmup_epoch": 0}


def toy_dataset(num_train: int = 8, num_test: int = 4, classes: int = 3, dim: int = 12, length: int = 30,
                seed: int = 0) -> Dataset:
    """Videos with one planted action of a class prototype each (enough to exercise every code path)."""
    rng = np.random.default_rng(seed)
    prototypes = rng.normal(size=(classes, dim)).astype(np.float32)
    videos = []
    for i in range(num_train + num_test):
        c = i % classes
        features = rng.normal(scale=0.5, size=(length, dim)).astype(np.float32)
        start = int(rng.integers(3, length - 12))
        end = start + int(rng.integers(4, 10))
        features[start:end] += prototypes[c]
        videos.append(Video(name=f"v{i}", subset="validation" if i < num_train else "test",
                            duration=length * 0.64, features=features,
                            segments=np.array([[start * 0.64, end * 0.64]]), segment_labels=np.array([c]),
                            labels=(c,)))
    return Dataset(name="toy", classes=tuple(f"c{k}" for k in range(classes)), videos=videos)


def make(overrides: dict | None = None, dataset: Dataset | None = None):
    cls = get_method("rskp")
    cfg = apply_overrides(cls.Config(), {"train.steps": 6, **SMALL, **(overrides or {})}, "test")
    method = cls(cfg, dataset or toy_dataset())
    method.prepare()
    return method


def context(step: int = 0) -> StepContext:
    return StepContext(step=step, epoch=0, rng=step_rng(0, step), device=torch.device("cpu"))


def test_paper_defaults():
    cfg = get_method("rskp").Config()
    assert (cfg.train.steps, cfg.train.batch_videos, cfg.train.lr, cfg.train.weight_decay) == (4000, 10, 5e-5, 5e-4)
    assert tuple(cfg.train.betas) == (0.9, 0.99)
    assert (cfg.num_online, cfg.num_offline, cfg.em_iterations, cfg.walk_weight, cfg.temperature) == (8, 5, 2, 0.5, 0.2)
    assert (cfg.lambda_back, cfg.lambda_att, cfg.lambda_spl, cfg.lambda_spl_after_warmup) == (0.2, 0.1, 1.0, 0.5)
    assert cfg.scale == 20.0 and cfg.dropout == 0.6 and cfg.warmup_epoch == 100
    cls = get_method("rskp")
    assert cls.PROTOCOL == "snippet" and cls.TIOUS == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    assert set(cls.VARIANTS) == {"default", "main", "intra", "inter"}


def test_warmup_translates_epochs_to_steps():
    method = make({"warmup_epoch": 100, "train.batch_videos": 10, "train.steps": 4000},
                  toy_dataset(num_train=200, num_test=2))
    assert method.warmup_end_step() == 2019  # 101 epochs x 20 steps, 0-based


def test_memory_that_would_never_be_used_is_a_config_error():
    with pytest.raises(ConfigError, match="warmup_epoch"):
        make({"warmup_epoch": 50})


@pytest.mark.parametrize("overrides, match", [
    ({"representative_rule": "kmeans"}, "representative_rule"),
    ({"use_representatives": False}, "use_memory"),
    ({"concat_representatives": True, "use_memory": False}, "concat"),
    ({"walk_weight": 1.0}, "walk_weight"),
])
def test_bad_switches_are_config_errors(overrides, match):
    with pytest.raises(ConfigError, match=match):
        make(overrides)


def test_gradient_flow_memory_detached_bases_learned():
    torch.manual_seed(0)
    method = make()
    model = method.build_model()
    method.after_step(model, context(step=method.warmup_end_step()))  # initialise the bank
    assert model.memory.ready and model.memory.features.abs().sum() > 0
    model.memory.scores.fill_(-1.0)  # every stored slot loses to a new representative: the merge must take them
    before = model.memory.features.clone()
    model.train()
    losses = method.loss(model, 0, context(step=5))
    assert set(losses) >= {"fore", "back", "att", "spl", "total"}
    losses["total"].backward()
    assert model.bases.grad is not None and model.bases.grad.abs().sum() > 0
    assert model.embedding[0].weight.grad.abs().sum() > 0
    assert all(not b.requires_grad for b in model.memory.buffers())
    assert model.memory.features.grad is None
    assert not torch.equal(before, model.memory.features)  # the per-iteration update ran (top-s merge)
    assert all(name.startswith("memory.") for name, _ in model.named_buffers())
    assert not any(name.startswith("memory.") for name, _ in model.named_parameters())


def test_baseline_has_no_representative_parameters_in_use():
    method = make({"use_representatives": False, "use_memory": False})
    model = method.build_model()
    losses = method.loss(model, 1, context())
    assert "spl" not in losses
    losses["total"].backward()
    assert model.bases.grad is None
    with pytest.raises(ConfigError, match="baseline"):
        method.infer(model, method.dataset.test_videos[0], "intra")
    outputs = method.infer(model, method.dataset.test_videos[0], "default")
    assert "intra_probs" not in outputs


@pytest.mark.parametrize("overrides", [
    {"use_memory": False, "representative_rule": "foreground"},
    {"use_memory": False, "representative_rule": "background"},
    {"use_memory": False, "representative_rule": "top_score"},
    {"use_memory": False, "propagation_loss": "feature_l1"},
    {"use_memory": False, "propagation_loss": "feature_l2"},
    {"memory_kind": "video"},
    {"concat_representatives": True},
    {"walk_solver": "inverse"},
])
def test_every_ablation_trains_a_step(overrides):
    method = make(overrides)
    model = method.build_model()
    optimizer = method.build_optimizer(model)
    if method.config.use_memory:
        method.after_step(model, context(step=method.warmup_end_step()))
    for item in method.train_items()[:2]:
        method.loss(model, item, context(step=3))["total"].backward()
    optimizer.step()
    detections = method.localize(method.infer(model, method.dataset.test_videos[0], "default"),
                                 method.dataset.test_videos[0], "default")
    assert all(d.end > d.start for d in detections)


def test_variants_fuse_branches_and_inter_needs_the_bank():
    method = make()
    model = method.build_model()
    video = method.dataset.test_videos[0]
    with pytest.raises(ConfigError, match="inter"):
        method.infer(model, video, "inter")
    method.after_step(model, context(step=method.warmup_end_step()))
    main, both, inter = (method.infer(model, video, v) for v in ("main", "default", "inter"))
    assert np.allclose(method.infer(model, video, "intra")["cas"], both["cas"])
    expected = (0.6 * both["main_probs"] + 0.4 * both["intra_probs"])[:, :3] * both["attention"][:, None]
    assert np.allclose(both["cas"], expected, atol=1e-6)
    assert not np.allclose(main["cas"], both["cas"]) and not np.allclose(inter["cas"], both["cas"])
    with pytest.raises(ConfigError, match="no variant"):
        method.infer(model, video, "everything")


def test_same_seed_same_model_and_resume_keeps_the_memory(tmp_path, monkeypatch):
    dataset = toy_dataset()
    cls = get_method("rskp")
    cfg = apply_overrides(cls.Config(), {"train.steps": 6, "train.checkpoint_every": 2, **SMALL}, "test")
    a = train("rskp", cfg, dataset, tmp_path / "a", seed=3, device="cpu", progress="none")
    b = train("rskp", cfg, dataset, tmp_path / "b", seed=3, device="cpu", progress="none")
    state_a = load_checkpoint(tmp_path / "a" / "model.pt")["model"]
    state_b = load_checkpoint(tmp_path / "b" / "model.pt")["model"]
    assert a["steps"] == b["steps"] == 6
    assert bool(state_a["memory.initialised"]) and state_a["memory.features"].abs().sum() > 0
    assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)

    # interrupted after the step-4 checkpoint (memory already initialised), then resumed
    original = cls.after_step

    def crash(self, model, ctx):
        original(self, model, ctx)
        if ctx.step == 4:
            raise KeyboardInterrupt

    monkeypatch.setattr(cls, "after_step", crash)
    with pytest.raises(KeyboardInterrupt):
        train("rskp", cfg, dataset, tmp_path / "c", seed=3, device="cpu", progress="none")
    monkeypatch.setattr(cls, "after_step", original)
    interrupted = load_checkpoint(tmp_path / "c" / "model.pt")
    assert interrupted["step"] == 4 and bool(interrupted["model"]["memory.initialised"])
    train("rskp", cfg, dataset, tmp_path / "c", seed=3, device="cpu", progress="none")
    state_c = load_checkpoint(tmp_path / "c" / "model.pt")["model"]
    assert all(torch.equal(state_a[k], state_c[k]) for k in state_a)
