"""CMCS (Liu, Jiang, Wang, CVPR 2019): completeness modeling and context separation.

Method description: `docs/methods/cmcs.md` (the released code is its reference). Why each part:

* K classification branches whose CASs are pushed apart by a **diversity loss** make
  the fused CAS cover several phases of an action instead of only its most
  discriminative one (completeness); a **norm regulariser** stops a branch from
  winning the diversity game by shrinking to nothing.
* **Hard negatives** (static clips cut from training videos, labelled background)
  teach the classifier that a motionless context clip is not the action (context
  separation); they add a background class.
* The localization scoring function ranks segments by how much they stand out from
  their surroundings (`wstal.localize.cmcs`).

One sample = one (video, label) pair with weight 1/L for a video with L labels, or a
background pseudo video with weight 1. Losses are per sample; the shared loop sums
them over `batch_videos` samples, as the released code does. `loss` runs one sample
(the released layout, channels-first convolutions); `batch_loss` runs a whole batch in
one packed, channels-last pass with the same losses and dropout draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from wstal.data.cmcs_layout.sequences import CropSequences
from wstal.data.hard_negatives import HardNegativeConfig, pseudo_background_videos, static_mask
from wstal.data.records import Dataset, Detection, Video
from wstal.errors import ConfigError, DataError
from wstal.localize.cmcs import CMCSLocalizeConfig, localize_video
from wstal.methods.base import METHODS, Method, StepContext, TrainConfig, apply_overrides
from wstal.methods.packing import Pack, temporal_conv

MODALITIES = ("rgb", "flow", "early", "late")
POOLINGS = ("attention", "max", "mean")
BRANCH_LOSSES = ("fused", "ensemble")
CLASS_SCORES = {"logits": "video_logits", "probs": "video_probs"}  # what classification mAP ranks


@dataclass
class CMCSConfig:
    """THUMOS'14 UNT config of the released code (docs/methods/cmcs.md §6)."""

    modality: str = "early"  # rgb | flow | early (concatenated) | late (rgb and flow networks averaged)
    dropout: float = 0.8  # channel dropout on the input features (0.5 for I3D)
    embed_dim: int = 32
    num_branches: int = 4  # K
    branch_channels: int = 16  # per branch; "Wide" = 1 branch of 64
    branch_kernel: int = 3  # "KernelSize=1" ablation sets 1
    branch_layers: int = 1  # temporal convs per branch ("deep" variant of the supplement: 2)
    attention_channels: int = 16
    attention_layers: int = 1
    pooling: str = "attention"  # attention | max (released "gap") | mean (the paper's word "GAP")
    diversity: bool = True  # L_div and L_norm on; off for L_mil-only rows and for K = 1
    diversity_weight: float = 0.2  # lambda of both L_div and L_norm
    branch_loss: str = "fused"  # fused: one CE on the branch mean; ensemble: one CE per branch, summed
    hard_negatives: bool = True  # background pseudo videos + a background class
    hn: HardNegativeConfig = field(default_factory=HardNegativeConfig)
    temporal_stride: int = 1  # offset augmentation: train on x[o::f] with random o, test on x[::f]
    # CMCS-layout data (frames known): frames between used snippets, f = sample_rate / base rate
    # (0 = the feature kind's released value, UNT 15 / I3D 16); replaces temporal_stride there
    sample_rate: int = 0
    localize: CMCSLocalizeConfig = field(default_factory=CMCSLocalizeConfig)
    class_scores: str = "logits"  # classification mAP ranks the raw averaged logits (released) | probs
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(steps=7500, batch_videos=24, lr=1e-4, weight_decay=1e-3)
    )


def validate_config(cfg: CMCSConfig) -> None:
    """Reject combinations the method cannot run, naming the option."""
    if cfg.modality not in MODALITIES:
        raise ConfigError(f"cmcs: modality must be one of {MODALITIES}, got {cfg.modality!r}")
    if cfg.pooling not in POOLINGS:
        raise ConfigError(f"cmcs: pooling must be one of {POOLINGS}, got {cfg.pooling!r}")
    if cfg.branch_loss not in BRANCH_LOSSES:
        raise ConfigError(f"cmcs: branch_loss must be one of {BRANCH_LOSSES}, got {cfg.branch_loss!r}")
    if cfg.class_scores not in CLASS_SCORES:
        raise ConfigError(f"cmcs: class_scores must be one of {tuple(CLASS_SCORES)}, got {cfg.class_scores!r}")
    if cfg.num_branches < 1:
        raise ConfigError(f"cmcs: num_branches must be >= 1, got {cfg.num_branches}")
    if cfg.diversity and cfg.num_branches < 2:
        raise ConfigError("cmcs: diversity needs num_branches >= 2 (set diversity: false for a single branch)")
    if cfg.branch_kernel < 1 or cfg.branch_kernel % 2 == 0:
        raise ConfigError(f"cmcs: branch_kernel must be odd and >= 1, got {cfg.branch_kernel}")
    if cfg.temporal_stride < 1:
        raise ConfigError(f"cmcs: temporal_stride must be >= 1, got {cfg.temporal_stride}")
    if cfg.sample_rate < 0:
        raise ConfigError(f"cmcs: sample_rate must be >= 0 (0 = the features' released value), got {cfg.sample_rate}")
    if not 0.0 <= cfg.dropout < 1.0:
        raise ConfigError(f"cmcs: dropout must be in [0, 1), got {cfg.dropout}")
    if cfg.branch_layers < 1 or (cfg.pooling == "attention" and cfg.attention_layers < 1):
        raise ConfigError("cmcs: branch_layers and attention_layers must be >= 1")


# ---------------------------------------------------------------- model


class CMCSStream(nn.Module):
    """One CMCS network on one input (rgb, flow, or their concatenation).

    The K branches are one wide convolution followed by grouped ones: the same function
    and the same default initialisation as K separate branches, in one kernel call.
    """

    def __init__(self, in_dim: int, num_outputs: int, cfg: CMCSConfig):
        super().__init__()
        k, ch = cfg.num_branches, cfg.branch_channels
        self.num_branches, self.num_outputs, self.pooling = k, num_outputs, cfg.pooling
        self.dropout = nn.Dropout1d(cfg.dropout)  # one mask per channel, shared over time
        self.embed = nn.Sequential(nn.Conv1d(in_dim, cfg.embed_dim, 1), nn.ReLU())
        pad = cfg.branch_kernel // 2
        layers: list[nn.Module] = [nn.Conv1d(cfg.embed_dim, k * ch, cfg.branch_kernel, padding=pad), nn.ReLU()]
        for _ in range(cfg.branch_layers - 1):
            layers += [nn.Conv1d(k * ch, k * ch, cfg.branch_kernel, padding=pad, groups=k), nn.ReLU()]
        layers.append(nn.Conv1d(k * ch, k * num_outputs, 1, groups=k))  # per-time linear head of each branch
        self.branches = nn.Sequential(*layers)
        self.attention: nn.Module | None = None
        if cfg.pooling == "attention":
            att: list[nn.Module] = []
            width = cfg.embed_dim
            for _ in range(cfg.attention_layers):
                att += [nn.Conv1d(width, cfg.attention_channels, 1), nn.ReLU()]
                width = cfg.attention_channels
            att.append(nn.Conv1d(width, 1, 1))
            self.attention = nn.Sequential(*att)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x [T, D] -> branch_logits [K, T, C'], cas [T, C'], attention [T], video_logits [C']."""
        h = self.dropout(x.t().unsqueeze(0))  # [1, D, T]
        e = self.embed(h)
        t = x.shape[0]
        branch = self.branches(e).view(self.num_branches, self.num_outputs, t).transpose(1, 2)
        cas = branch.mean(dim=0)
        if self.attention is not None:
            attention = torch.softmax(self.attention(e).view(t), dim=0)
        elif self.pooling == "max":
            attention = F.one_hot(cas.argmax(dim=0), t).float().mean(dim=0)  # where the max came from (display only)
        else:
            attention = torch.full((t,), 1.0 / t, device=x.device)
        return {"branch_logits": branch, "cas": cas, "attention": attention,
                "video_logits": pool(cas, attention, self.pooling)}


    # -- the packed pass (several videos at once, channels-last; `wstal.methods.packing`)

    def channel_mask(self, width: int, like: torch.Tensor) -> torch.Tensor | None:
        """One video's channel-dropout mask [D] (0 or 1/(1-p)): the draw nn.Dropout1d makes on [1, D, T]."""
        p = self.dropout.p
        if not self.training or p == 0.0:
            return None
        return like.new_empty(width).bernoulli_(1.0 - p).div_(1.0 - p)

    def forward_packed(self, xs: list[torch.Tensor], pack: Pack,
                       masks: list[torch.Tensor | None]) -> dict[str, torch.Tensor]:
        """The per-video forward of several videos in one pass; outputs packed along time.

        xs[i] [T_i, D] (any row stride), masks[i] its channel-dropout mask. The 1x1 embedding is a
        Linear on [T, D] with the mask folded into its weight (x m W^T = x (W m)^T): the wide input is
        read once by the matmul and never transposed or copied. Returns branch_logits [K, N, C'],
        cas [N, C'], attention [N] (attention pooling only) and video_logits [B, C'].
        """
        conv = self.embed[0]
        weight = conv.weight.flatten(1)  # [E, D]
        e = torch.cat([F.linear(x, weight if m is None else weight * m, conv.bias) for x, m in zip(xs, masks)])
        e = torch.relu(e)  # [N, E]
        h = e
        modules = list(self.branches)
        for module in modules[:-1]:  # temporal convs (k = 3) and ReLUs, each video zero-padded alone
            h = temporal_conv(h, module, pack) if isinstance(module, nn.Conv1d) else module(h)
        y = temporal_conv(h, modules[-1], pack)  # [N, K C']: the per-time heads of the K branches
        branch = y.view(pack.total, self.num_branches, self.num_outputs).transpose(0, 1)  # [K, N, C']
        cas = branch.mean(dim=0)
        out = {"branch_logits": branch, "cas": cas}
        if self.attention is not None:
            a = e
            for module in self.attention:  # 1 x 1 convs
                a = temporal_conv(a, module, pack) if isinstance(module, nn.Conv1d) else module(a)
            out["attention"] = pack.softmax(a.view(pack.total))
            out["video_logits"] = pack.sum(out["attention"].unsqueeze(-1) * cas)
        else:
            out["video_logits"] = packed_pool(cas, None, self.pooling, pack)
        return out


def pool(cas: torch.Tensor, attention: torch.Tensor, pooling: str) -> torch.Tensor:
    """Video logits from a CAS [.., T, C']: attention-weighted sum, temporal max, or temporal mean."""
    if pooling == "attention":
        return (attention.unsqueeze(-1) * cas).sum(dim=-2)
    if pooling == "max":
        return cas.max(dim=-2).values
    return cas.mean(dim=-2)


def packed_pool(cas: torch.Tensor, attention: torch.Tensor | None, pooling: str, pack: Pack) -> torch.Tensor:
    """`pool` per video of a packed CAS [N, ...] -> [B, ...]."""
    if pooling == "attention":
        return pack.sum(attention.view(-1, *([1] * (cas.dim() - 1))) * cas)
    if pooling == "max":
        return pack.amax(cas)
    return pack.mean(cas)


class CMCSModel(nn.Module):
    """The trained model: one stream, or (late fusion) an rgb and a flow stream trained side by side.

    Late fusion trains the two streams on the sum of their losses; their parameters are
    disjoint, so each gets exactly the gradient (and Adam update) of training it alone.
    """

    def __init__(self, feature_dim: int, num_outputs: int, cfg: CMCSConfig):
        super().__init__()
        half = feature_dim // 2
        self.modality = cfg.modality
        if cfg.modality == "late":
            self.streams = nn.ModuleDict({"rgb": CMCSStream(half, num_outputs, cfg),
                                          "flow": CMCSStream(half, num_outputs, cfg)})
        else:
            width = feature_dim if cfg.modality == "early" else half
            self.streams = nn.ModuleDict({cfg.modality: CMCSStream(width, num_outputs, cfg)})
        self.half = half

    def stream_inputs(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: select_modality(x, name, self.half) for name in self.streams}

    def forward_streams(self, x: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        """Outputs of each stream (the training losses are per stream)."""
        return [self.streams[name](inp) for name, inp in self.stream_inputs(x).items()]

    def forward_packed(self, xs: list[torch.Tensor], pack: Pack) -> list[dict[str, torch.Tensor]]:
        """Packed outputs of each stream for videos xs[i] [T_i, D] (`CMCSStream.forward_packed`).

        Dropout masks are drawn video by video, stream by stream: the order of the per-video
        path, so both paths see the same masks.
        """
        inputs = {name: [select_modality(x, name, self.half) for x in xs] for name in self.streams}
        masks: dict[str, list[torch.Tensor | None]] = {name: [] for name in self.streams}
        for i in range(len(xs)):
            for name, stream in self.streams.items():
                masks[name].append(stream.channel_mask(inputs[name][i].shape[1], xs[i]))
        return [stream.forward_packed(inputs[name], pack, masks[name]) for name, stream in self.streams.items()]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Outputs averaged over streams (late fusion averages all of them before any softmax)."""
        outs = self.forward_streams(x)
        if len(outs) == 1:
            return outs[0]
        return {key: torch.stack([o[key] for o in outs]).mean(dim=0) for key in outs[0]}


def select_modality(x: torch.Tensor, modality: str, half: int) -> torch.Tensor:
    """Features are RGB | flow along channels; early fusion takes both."""
    if modality == "rgb":
        return x[:, :half]
    if modality == "flow":
        return x[:, half:]
    return x


# ---------------------------------------------------------------- losses


def mil_loss(video_logits: torch.Tensor, label: int) -> torch.Tensor:
    """L_mil: cross-entropy of the pooled video logits against the single label."""
    return -torch.log_softmax(video_logits, dim=-1)[..., label]


def diversity_loss(branch_logits: torch.Tensor) -> torch.Tensor:
    """L_div: mean cosine similarity, over classes and branch pairs, of the branches' class-softmax CASs."""
    k = branch_logits.shape[0]
    p = torch.softmax(branch_logits, dim=-1).permute(2, 0, 1)  # [C', K, T]
    norms = p.norm(dim=-1)  # [C', K]
    sim = (p @ p.transpose(1, 2)) / (norms.unsqueeze(2) * norms.unsqueeze(1) + 1e-6)  # [C', K, K]
    off_diagonal = sim.sum(dim=(1, 2)) - sim.diagonal(dim1=1, dim2=2).sum(dim=1)
    return (off_diagonal / (k * (k - 1))).mean()


def norm_loss(branch_logits: torch.Tensor) -> torch.Tensor:
    """L_norm: mean absolute deviation of each branch's per-class mean |logit| from the branch average."""
    m = branch_logits.abs().mean(dim=1)  # [K, C']
    return (m - m.mean(dim=0, keepdim=True)).abs().mean()


def sample_losses(out: dict[str, torch.Tensor], label: int, weight: float, cfg: CMCSConfig) -> dict[str, torch.Tensor]:
    """w · (L_cls + λ·L_div + λ·L_norm) of one stream on one sample."""
    if cfg.branch_loss == "ensemble":
        branch_video = pool(out["branch_logits"], out["attention"], cfg.pooling)  # [K, C']
        cls = mil_loss(branch_video, label).sum()
    else:
        cls = mil_loss(out["video_logits"], label)
    losses = {"mil": cls}
    total = cls
    if cfg.diversity:
        losses["diversity"] = diversity_loss(out["branch_logits"])
        losses["norm"] = norm_loss(out["branch_logits"])
        total = total + cfg.diversity_weight * (losses["diversity"] + losses["norm"])
    losses["total"] = weight * total
    return losses


def packed_sample_losses(out: dict[str, torch.Tensor], pack: Pack, labels: torch.Tensor, weights: torch.Tensor,
                         cfg: CMCSConfig) -> dict[str, torch.Tensor]:
    """`sample_losses` of every packed video at once: each value [B]."""
    rows = torch.arange(pack.size, device=labels.device)
    branch = out["branch_logits"]  # [K, N, C']
    if cfg.branch_loss == "ensemble":
        branch_video = packed_pool(branch.transpose(0, 1), out.get("attention"), cfg.pooling, pack)  # [B, K, C']
        cls = -torch.log_softmax(branch_video, dim=-1)[rows, :, labels].sum(dim=-1)
    else:
        cls = -torch.log_softmax(out["video_logits"], dim=-1)[rows, labels]
    losses = {"mil": cls}
    total = cls
    if cfg.diversity:
        losses["diversity"] = packed_diversity_loss(branch, pack)
        losses["norm"] = packed_norm_loss(branch, pack)
        total = total + cfg.diversity_weight * (losses["diversity"] + losses["norm"])
    losses["total"] = weights.to(total.dtype) * total
    return losses


def packed_diversity_loss(branch_logits: torch.Tensor, pack: Pack) -> torch.Tensor:
    """`diversity_loss` per video of packed branch logits [K, N, C'] -> [B].

    Per video one batched matmul gives the K x K Gram matrix of the branches' class-softmax
    columns for every class (a segment sum of outer products would move K times more memory).
    """
    k = branch_logits.shape[0]
    p = torch.softmax(branch_logits, dim=-1).permute(2, 0, 1).contiguous()  # [C', K, N]
    gram = torch.stack([q @ q.transpose(1, 2) for q in p.split(pack.lengths, dim=2)])  # [B, C', K, K]
    norms = gram.diagonal(dim1=-2, dim2=-1).sqrt()  # [B, C', K]: the columns' L2 norms
    sim = gram / (norms.unsqueeze(-1) * norms.unsqueeze(-2) + 1e-6)
    off_diagonal = sim.sum(dim=(-1, -2)) - sim.diagonal(dim1=-2, dim2=-1).sum(dim=-1)  # [B, C']
    return (off_diagonal / (k * (k - 1))).mean(dim=-1)


def packed_norm_loss(branch_logits: torch.Tensor, pack: Pack) -> torch.Tensor:
    """`norm_loss` per video of packed branch logits [K, N, C'] -> [B]."""
    m = pack.mean(branch_logits.abs().transpose(0, 1))  # [B, K, C']
    return (m - m.mean(dim=1, keepdim=True)).abs().mean(dim=(1, 2))


# ---------------------------------------------------------------- the method


@dataclass(frozen=True, eq=False)
class TrainSample:
    """One training sample: features shared with its video, a single label and the loss weight."""

    name: str
    features: torch.Tensor | CropSequences  # [T, D], or the crop/offset sequences of CMCS-layout data
    label: int
    weight: float


def offset_view(features: torch.Tensor, stride: int, offset: int) -> torch.Tensor:
    """Temporal augmentation of docs/methods/cmcs.md §1: every `stride`-th snippet from `offset`, cut to T // stride."""
    if stride == 1:
        return features
    length = max(1, features.shape[0] // stride)
    return features[offset::stride][:length]


@METHODS.register("cmcs")
class CMCS(Method):
    name = "cmcs"
    Config = CMCSConfig
    SCALES = {
        # seconds: proves the plumbing, numbers mean nothing
        "smoke": {"train.steps": 4, "train.batch_videos": 4},
        # one default-scale run (train + evaluate) in <= 30 s on one CPU thread: 9,600 sample passes
        # (the paper: 180,000), so a 10x larger lr and batches of 8 (more updates for the same passes;
        # batches of 4 let a run with hard negatives collapse on one seed in three; lr 3e-3 doubled the
        # seed spread of the HN runs). No input dropout: channel dropout of a 64-d stream (0.8 leaves
        # ~13 channels, real 1024-d streams keep ~200) erased the hard-negative gain on the synthetic
        # UNT data (measured, choice cmcs-default-scale). The last quarter runs at the paper's lr (1e-3 x 0.1
        # from update 900): seed std of Baseline + HN 2.7 -> 2.0, Full 2.9 -> 2.7 AVG5 (unt, 5 seeds); rows that
        # learn slowest (flow alone, late fusion, I3D) lose 3-7 points (choice cmcs-default-scale).
        "default": {"train.steps": 1200, "train.batch_videos": 8, "train.lr": 1e-3, "dropout": 0.0,
                    "train.lr_decay_steps": (900,)},
        # the released THUMOS UNT config (= the Config defaults)
        "paper": {},
    }
    VARIANTS = {
        "default": {},
        "only-inner": {"localize.w_outer": 0.0, "localize.w_global": 0.0},
        "no-global": {"localize.w_global": 0.0},
        "no-outer": {"localize.w_outer": 0.0},
        "masking": {"localize.masking": True},
    }
    PROTOCOL = "th14"
    TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5)

    def __init__(self, config: CMCSConfig, dataset: Dataset):
        validate_config(config)
        super().__init__(config, dataset)
        self.num_classes = dataset.num_classes
        self.num_outputs = dataset.num_classes + (1 if config.hard_negatives else 0)
        self._samples: list[TrainSample] | None = None
        self.pseudo_videos: list = []

    # -- training

    def prepare(self) -> None:
        """Build the sample list: (video, label) pairs with weight 1/L, plus background pseudo videos."""
        samples: list[TrainSample] = []
        if any(v.crops is not None for v in self.dataset.train_videos):  # CMCS-layout data
            from wstal.methods.cmcs_crops import crop_samples

            samples = crop_samples(self, TrainSample)
            if not samples:
                raise DataError(None, f"dataset {self.dataset.name!r}: no labelled training video for cmcs")
            self._samples = samples
            return
        for video in self.dataset.train_videos:
            if not video.labels:
                continue  # an unlabelled video carries no weak supervision
            feats = torch.from_numpy(np.ascontiguousarray(video.features, dtype=np.float32))
            labels = sorted(set(video.labels))
            samples += [TrainSample(f"{video.name}-{c}", feats, c, 1.0 / len(labels)) for c in labels]
        if self.config.hard_negatives:
            self.pseudo_videos = pseudo_background_videos(self.dataset, self.config.hn)
            background = self.num_classes
            for p in self.pseudo_videos:
                feats = torch.from_numpy(np.ascontiguousarray(p.features, dtype=np.float32))
                samples.append(TrainSample(p.name, feats, background, 1.0))
        if not samples:
            raise DataError(None, f"dataset {self.dataset.name!r}: no labelled training video for cmcs")
        self._samples = samples

    def train_items(self) -> list[TrainSample]:
        if self._samples is None:
            self.prepare()
        return list(self._samples)

    def build_model(self) -> nn.Module:
        return CMCSModel(self.dataset.feature_dim, self.num_outputs, self.config)

    def loss(self, model: nn.Module, item: TrainSample, ctx: StepContext) -> dict[str, torch.Tensor]:
        if isinstance(item.features, CropSequences):  # one of the B * f crop/offset sequences
            x = item.features.sequence(int(ctx.rng.integers(item.features.count))).to(ctx.device)
        else:
            stride = self.config.temporal_stride
            offset = int(ctx.rng.integers(stride)) if stride > 1 else 0
            x = offset_view(item.features, stride, offset).to(ctx.device)
        totals: dict[str, torch.Tensor] = {}
        for out in model.forward_streams(x):
            for key, value in sample_losses(out, item.label, item.weight, self.config).items():
                totals[key] = totals[key] + value if key in totals else value
        return totals

    def batch_loss(self, model: nn.Module, items: list[TrainSample], ctx: StepContext) -> dict[str, torch.Tensor]:
        """`loss` of every item in one packed pass: offsets and dropout masks drawn in the per-video order."""
        stride = self.config.temporal_stride
        xs = []
        for item in items:
            if isinstance(item.features, CropSequences):  # one of the B * f crop/offset sequences, as in `loss`
                xs.append(item.features.sequence(int(ctx.rng.integers(item.features.count))).to(ctx.device))
                continue
            offset = int(ctx.rng.integers(stride)) if stride > 1 else 0
            xs.append(offset_view(item.features, stride, offset).to(ctx.device))
        pack = Pack([x.shape[0] for x in xs], ctx.device)
        labels = torch.tensor([item.label for item in items], device=ctx.device)
        weights = torch.tensor([item.weight for item in items], dtype=torch.float64, device=ctx.device)
        totals: dict[str, torch.Tensor] = {}
        for out in model.forward_packed(xs, pack):
            for key, value in packed_sample_losses(out, pack, labels, weights, self.config).items():
                totals[key] = totals[key] + value if key in totals else value
        return totals

    # -- inference

    def variant_config(self, variant: str) -> CMCSConfig:
        if variant not in self.VARIANTS:
            raise ConfigError(f"cmcs: unknown variant {variant!r}; known: {', '.join(self.VARIANTS)}")
        return apply_overrides(replace(self.config), self.VARIANTS[variant], f"cmcs variant {variant!r}")

    def infer(self, model: nn.Module, video: Video, variant: str) -> dict[str, np.ndarray]:
        if video.crops is not None:  # CMCS-layout data: outputs averaged over the crops
            from wstal.methods.cmcs_crops import crop_infer

            return crop_infer(self, model, video, self.variant_config(variant).localize.masking)
        device = next(model.parameters()).device
        x = torch.from_numpy(np.ascontiguousarray(video.features, dtype=np.float32))
        x = offset_view(x, self.config.temporal_stride, 0).to(device)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            out = model(x)
        model.train(was_training)
        probs = torch.softmax(out["video_logits"], dim=-1)
        return {
            "cas": out["cas"].cpu().numpy(),
            "attention": out["attention"].cpu().numpy(),
            "video_logits": out["video_logits"].cpu().numpy(),
            "video_probs": probs.cpu().numpy(),
            "video_scores": probs[: self.num_classes].cpu().numpy(),
        }

    def video_scores(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
        """Classification-mAP scores: the released code ranks the raw (averaged) video logits."""
        return outputs[CLASS_SCORES[self.config.class_scores]][: self.num_classes]

    def localize(self, outputs: dict[str, np.ndarray], video: Video, variant: str) -> list[Detection]:
        if video.crops is not None:  # CMCS-layout data: the video's own frame grid and fps
            from wstal.methods.cmcs_crops import crop_localize

            return crop_localize(self, outputs, video, variant)
        cfg = self.variant_config(variant)
        snippet_seconds = self.dataset.snippet_seconds * cfg.temporal_stride
        static = None
        if cfg.localize.masking:
            static = self.test_static_mask(video, outputs["cas"].shape[0])
        return localize_video(video.name, outputs["cas"], outputs["video_probs"], self.num_classes,
                              snippet_seconds, video.duration, cfg.localize, static)

    def test_static_mask(self, video: Video, length: int) -> np.ndarray:
        """"Simply masking": the same static-clip selection, run on the test video (no discard rule)."""
        if video.motion is None:
            raise DataError(None, f"video {video.name!r} has no motion curve; the masking variant needs one")
        mask = static_mask(video.motion, self.dataset.snippet_seconds, self.config.hn)
        return offset_view(torch.from_numpy(mask), self.config.temporal_stride, 0).numpy()[:length]


def describe_model(model: CMCSModel) -> dict[str, Any]:
    """Parameter count per stream (the Wide row must match the multi-branch capacity)."""
    return {name: sum(p.numel() for p in s.parameters()) for name, s in model.streams.items()}


__all__ = [
    "CMCS", "CMCSConfig", "CMCSModel", "CMCSStream", "TrainSample", "mil_loss", "diversity_loss", "norm_loss",
    "sample_losses", "packed_sample_losses", "pool", "packed_pool", "offset_view", "validate_config",
    "describe_model", "MODALITIES", "POOLINGS", "BRANCH_LOSSES", "CLASS_SCORES",
]
