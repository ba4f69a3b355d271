"""The CMCS authors' released THUMOS'14 networks: their configs and their weight names.

The released network (one per input: rgb 1024-d, flow 1024-d, or both 2048-d) is ours with
the thumos-UNT / thumos-I3D settings below: a 1x1 embedding conv (`base.base_conv_0`), K = 4
branches of a k=3 conv (`cls_bottoms.k.cls_bk_conv_0`) and a per-time linear head to 21
outputs (`cls_heads.k`), and an attention conv (`att_bottom.att_conv_0`) with a linear head
(`att_head`). Our `CMCSStream` holds the K branches as one wide conv followed by a grouped
1x1 conv, so the branch weights are concatenated in branch order; linear heads become 1x1
convs. Any missing or extra name, or a wrong shape, is a one-line error naming the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import torch

from wstal.errors import DataError
from wstal.methods.base import apply_overrides
from wstal.methods.cmcs import CMCSConfig
from wstal.registry import Registry

# Every architecture and detection setting spelled out, so a later change of a default cannot
# silently change what an imported checkpoint computes.
_COMMON = {
    "embed_dim": 32, "num_branches": 4, "branch_channels": 16, "branch_kernel": 3, "branch_layers": 1,
    "attention_channels": 16, "attention_layers": 1, "pooling": "attention", "diversity": True,
    "diversity_weight": 0.2, "branch_loss": "fused", "hard_negatives": True,
    "localize.class_threshold": 0.1, "localize.theta": 1.0, "localize.dilation_snippets": 1.25,
    "localize.w_inner": 1.0, "localize.w_outer": -1.0, "localize.w_global": 0.25, "localize.tick_offset": 0.0,
    "localize.clip_left_outer": False, "localize.masking": False, "localize.past_end": "clip",
    "class_scores": "logits", "hn.trailing_run": "released",
    "train.batch_videos": 24, "train.lr": 1e-4, "train.weight_decay": 1e-3, "train.lr_decay_steps": [],
}


@dataclass(frozen=True)
class ReleasedConfig:
    """One released config file (`configs/thumos-{UNT,I3D}.json`) in our terms."""

    name: str
    feature_kind: str  # the CMCS feature layout it was trained on
    steps: int  # the checkpoint step (`model-*-<steps>`)
    overrides: Mapping[str, Any]
    experiments: Mapping[str, str]  # our modality -> the catalog experiment it corresponds to

    def config(self, modality: str) -> CMCSConfig:
        return apply_overrides(CMCSConfig(), {**_COMMON, **self.overrides, "modality": modality,
                                              "train.steps": self.steps}, f"released config {self.name}")


RELEASED: Registry[ReleasedConfig] = Registry("released CMCS config")
RELEASED.register("thumos-UNT")(ReleasedConfig(
    "thumos-UNT", "unt", 7500,
    {"dropout": 0.8, "sample_rate": 15, "temporal_stride": 3, "localize.upsample": 15},
    {"early": "cmcs_full", "rgb": "cmcs_full_rgb", "flow": "cmcs_full_flow", "late": "cmcs_full_late"}))
RELEASED.register("thumos-I3D")(ReleasedConfig(
    "thumos-I3D", "i3d", 15000,
    {"dropout": 0.5, "sample_rate": 16, "temporal_stride": 4, "localize.upsample": 16},
    {"early": "cmcs_full_i3d_early", "rgb": "cmcs_full_i3d_rgb", "flow": "cmcs_full_i3d_flow",
     "late": "cmcs_full_i3d"}))

FILE_STREAMS = {"both": "early", "rgb": "rgb", "flow": "flow"}  # released file name -> our modality
STREAM_WIDTH = {"both": 2048, "rgb": 1024, "flow": 1024}


def released_shapes(width: int, cfg: CMCSConfig, num_outputs: int) -> dict[str, tuple[int, ...]]:
    """Every parameter name of the released network and its shape."""
    e, ch, a = cfg.embed_dim, cfg.branch_channels, cfg.attention_channels
    shapes = {"base.base_conv_0.weight": (e, width, 1), "base.base_conv_0.bias": (e,)}
    for k in range(cfg.num_branches):
        shapes[f"cls_bottoms.{k}.cls_b{k}_conv_0.weight"] = (ch, e, cfg.branch_kernel)
        shapes[f"cls_bottoms.{k}.cls_b{k}_conv_0.bias"] = (ch,)
        shapes[f"cls_heads.{k}.weight"] = (num_outputs, ch)
        shapes[f"cls_heads.{k}.bias"] = (num_outputs,)
    shapes.update({"att_bottom.att_conv_0.weight": (a, e, 1), "att_bottom.att_conv_0.bias": (a,),
                   "att_head.weight": (1, a), "att_head.bias": (1,)})
    return shapes


def check_released(state: Mapping[str, Any], width: int, cfg: CMCSConfig, num_outputs: int, path: Path) -> None:
    """Names and shapes exactly those of the released network, or a one-line DataError."""
    expected = released_shapes(width, cfg, num_outputs)
    missing = [k for k in expected if k not in state]
    if missing:
        raise DataError(path, f"missing parameter {missing[0]!r} of the released CMCS network")
    extra = [k for k in state if k not in expected]
    if extra:
        raise DataError(path, f"unexpected parameter {extra[0]!r} (not in the released CMCS network)")
    for key, shape in expected.items():
        value = state[key]
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise DataError(path, f"parameter {key!r} is not a float tensor")
        if tuple(value.shape) != shape:
            raise DataError(path, f"parameter {key!r} has shape {tuple(value.shape)}, expected {shape}")


def to_stream_state(state: Mapping[str, torch.Tensor], cfg: CMCSConfig) -> dict[str, torch.Tensor]:
    """Released names -> the parameters of one `CMCSStream` (branches concatenated in order)."""
    k = range(cfg.num_branches)
    return {
        "embed.0.weight": state["base.base_conv_0.weight"],
        "embed.0.bias": state["base.base_conv_0.bias"],
        "branches.0.weight": torch.cat([state[f"cls_bottoms.{i}.cls_b{i}_conv_0.weight"] for i in k]),
        "branches.0.bias": torch.cat([state[f"cls_bottoms.{i}.cls_b{i}_conv_0.bias"] for i in k]),
        "branches.2.weight": torch.cat([state[f"cls_heads.{i}.weight"] for i in k]).unsqueeze(-1),
        "branches.2.bias": torch.cat([state[f"cls_heads.{i}.bias"] for i in k]),
        "attention.0.weight": state["att_bottom.att_conv_0.weight"],
        "attention.0.bias": state["att_bottom.att_conv_0.bias"],
        "attention.2.weight": state["att_head.weight"].unsqueeze(-1),
        "attention.2.bias": state["att_head.bias"],
    }


def load_released(path: Path) -> dict[str, torch.Tensor]:
    """A released checkpoint: a plain state dict, read with `weights_only=True` (no code runs)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DataError(path, "checkpoint not found") from None
    except Exception as exc:  # corrupt, truncated or code-carrying file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(path, f"not a loadable state dict ({first[:160]})") from None
    if not isinstance(state, Mapping):
        raise DataError(path, f"expected a state dict, got {type(state).__name__}")
    return dict(state)


__all__ = ["RELEASED", "ReleasedConfig", "FILE_STREAMS", "STREAM_WIDTH", "released_shapes", "check_released",
           "to_stream_state", "load_released"]
