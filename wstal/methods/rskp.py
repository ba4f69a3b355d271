"""RSKP (CVPR 2022): representative snippet knowledge propagation (docs/methods/rskp.md).

The model embeds the snippets (Linear + ReLU + Dropout), summarises them into n online
representatives by EM attention, propagates the representatives back to the snippets
with a bipartite random walk in closed form (intra-video branch) and, after a warm-up,
does the same with per-class representatives kept in a memory bank across videos
(inter-video branch). One shared prediction head scores every branch; the main
branch's TCAM learns from the propagated branches through soft pseudo labels.

Every ablation of the supplement (tables 4-6, figures 5-6) is a config switch here,
so the catalog realises them as dotted-key overrides of one method.

Warm-up: the paper's `warmup_epoch` (epoch index 100 of 200) stays in epochs and is
translated into steps with the training-set size: the memory is initialised after the
step at which (warmup_epoch + 1) epochs of samples have been drawn, i.e. after step
ceil((warmup_epoch + 1) * n_train / batch_videos) - 1 (20 steps/epoch on THUMOS'14).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from wstal.data.records import Dataset, Detection, Video
from wstal.errors import ConfigError
from wstal.localize.rskp import ProposalConfig, localize as localize_proposals
from wstal.methods.base import METHODS, Method, StepContext, TrainConfig
from wstal.methods.packing import Pack
from wstal.methods.rskp_parts.dropout import ReLUDropout
from wstal.methods.rskp_parts.em import em_summarise, top_score_snippets
from wstal.methods.rskp_parts.head import (
    HeadOutput, PredictionModule, attention_normalisation_loss, l2_normalise, nce_loss, pseudo_label_loss,
)
from wstal.methods.rskp_parts.head import EMBEDDING_INITS
from wstal.methods.rskp_parts.memory import ClassMemory, VideoMemory
from wstal.methods.rskp_parts.packed import (
    PackedBranches, em_packed, head_packed, inverse_norms, nce_rows, pseudo_label_rows, top_score_packed, walk_packed,
)
from wstal.methods.rskp_parts.random_walk import SOLVERS, random_walk

REPRESENTATIVE_RULES = ("em", "foreground", "background", "top_score")
MEMORY_KINDS = ("class", "video")
PROPAGATION_LOSSES = ("pseudo_label", "feature_l1", "feature_l2")


def _rskp_train() -> TrainConfig:
    return TrainConfig(steps=4000, batch_videos=10, lr=5e-5, weight_decay=5e-4, betas=(0.9, 0.99))


@dataclass
class RSKPConfig:
    """RSKP `options.py` defaults for THUMOS'14 (docs/methods/rskp.md §7) plus the ablation switches (§9)."""

    train: TrainConfig = field(default_factory=_rskp_train)
    embed_dim: int = 2048  # out-feat-num
    dropout: float = 0.6
    embedding_init: str = "xavier"  # released: xavier-uniform weights, zero bias | default (PyTorch's)
    scale: float = 20.0  # cosine scale of every classifier
    recompute_tcam: bool = True  # the released head computes the TCAM cosine twice (MACs only)
    # representatives
    use_representatives: bool = True  # False = baseline head only (table4/5 "Baseline")
    representative_rule: str = "em"  # em | foreground | background | top_score (table5)
    num_online: int = 8  # mu-num: EM bases n
    em_iterations: int = 2
    top_score_k: int = 4  # top_score rule: k highest + k lowest attention snippets (= n / 2, paper silent)
    # propagation
    walk_weight: float = 0.5  # w
    walk_solver: str = "push_through"  # push_through (K x K) | inverse (the released T x T solve)
    concat_representatives: bool = False  # table6: one walk over [mu_a; mu_e] after warm-up
    # memory
    use_memory: bool = True
    memory_kind: str = "class"  # class (top-s per class) | video (table5 video-wise bank)
    num_offline: int = 5  # mu-queue-len: slots per class
    video_memory_momentum: float = 0.9  # video-wise bank moving average (paper: "as MoCo", value not stated)
    warmup_epoch: int = 100  # memory initialised at the end of this epoch index
    # losses
    lambda_back: float = 0.2  # class-wise ("MIL") branch
    lambda_att: float = 0.1  # attention normalisation on the main branch
    attention_divisor: int = 8  # k = T // 8
    lambda_spl: float = 1.0  # pseudo-label (or feature) loss during warm-up
    lambda_spl_after_warmup: float = 0.5
    inter_loss_weight: float = 0.5  # classification losses of the inter branch
    teacher_inter_weight: float = 0.2  # teacher = (1 - x) S^a + x S^e after warm-up
    temperature: float = 0.2
    propagation_loss: str = "pseudo_label"  # pseudo_label | feature_l1 | feature_l2 (table6)
    # test
    test_main_weight: float = 0.6  # video score / CAS = 0.6 main + 0.4 propagated
    test_inter_weight: float = 0.2  # inter variant: propagated part = (1 - x) intra + x inter
    proposals: ProposalConfig = field(default_factory=ProposalConfig)

    def check(self) -> "RSKPConfig":
        """Reject values that would make a switch meaningless (one-line ConfigError)."""
        choices = {"representative_rule": REPRESENTATIVE_RULES, "memory_kind": MEMORY_KINDS,
                   "embedding_init": tuple(EMBEDDING_INITS),
                   "propagation_loss": PROPAGATION_LOSSES, "walk_solver": SOLVERS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"rskp config {name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        for name in ("embed_dim", "num_online", "num_offline", "attention_divisor", "top_score_k"):
            if getattr(self, name) < 1:
                raise ConfigError(f"rskp config {name}={getattr(self, name)}: must be >= 1")
        if self.em_iterations < 0:
            raise ConfigError(f"rskp config em_iterations={self.em_iterations}: must be >= 0")
        if not 0.0 <= self.walk_weight < 1.0:
            raise ConfigError(f"rskp config walk_weight={self.walk_weight}: must be in [0, 1)")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"rskp config dropout={self.dropout}: must be in [0, 1)")
        if self.temperature <= 0:
            raise ConfigError(f"rskp config temperature={self.temperature}: must be > 0")
        if self.use_memory and not self.use_representatives:
            raise ConfigError("rskp config use_memory=true needs use_representatives=true")
        if self.concat_representatives and not self.use_memory:
            raise ConfigError("rskp config concat_representatives=true needs use_memory=true")
        return self


@dataclass
class Branches:
    """Head outputs of the branches computed for one video."""

    main: HeadOutput
    online: torch.Tensor  # mu^(a) [n, d]
    online_probs: torch.Tensor  # P^mu [n, C+1]
    intra: HeadOutput | None = None
    intra_features: torch.Tensor | None = None
    inter: HeadOutput | None = None
    embedded: torch.Tensor | None = None


class RSKPModel(nn.Module):
    """Embedding, shared head, EM bases and the memory bank (a buffer, never a parameter)."""

    def __init__(self, cfg: RSKPConfig, input_dim: int, num_classes: int, train_video_classes: list[tuple[int, ...]]):
        super().__init__()
        self.cfg = cfg
        # Linear + ReLU + Dropout, the activation and dropout fused (`rskp_parts.dropout`)
        self.embedding = nn.Sequential(nn.Linear(input_dim, cfg.embed_dim), ReLUDropout(cfg.dropout))
        EMBEDDING_INITS[cfg.embedding_init](self.embedding[0])
        self.head = PredictionModule(cfg.embed_dim, num_classes, cfg.scale, cfg.recompute_tcam)
        self.bases = nn.Parameter(torch.empty(cfg.num_online, cfg.embed_dim))  # mu^(0), learned
        nn.init.xavier_uniform_(self.bases)
        if cfg.memory_kind == "video":
            self.memory: nn.Module = VideoMemory(train_video_classes, cfg.num_online, cfg.embed_dim,
                                                 cfg.video_memory_momentum)
        else:
            self.memory = ClassMemory(num_classes, cfg.num_offline, cfg.embed_dim)

    def representative_probs(self, reps: torch.Tensor) -> torch.Tensor:
        """P^mu = softmax over C+1 of scale * cos(mu_k, W_c): scores memory entries."""
        logits = self.cfg.scale * l2_normalise(reps) @ l2_normalise(self.head.centres).t()
        return torch.softmax(logits, dim=-1)

    def walk(self, features: torch.Tensor, reps: torch.Tensor) -> torch.Tensor:
        return random_walk(features, reps, self.cfg.walk_weight, self.cfg.walk_solver)

    def online_representatives(self, embedded: torch.Tensor,
                               attention: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(mu^(a), the features the walk updates, the part added back afterwards) under the table5 rule."""
        rule = self.cfg.representative_rule
        if rule == "em":
            return em_summarise(embedded, self.bases, self.cfg.em_iterations), embedded, None
        if rule == "top_score":
            return top_score_snippets(embedded, attention.detach(), self.cfg.top_score_k), embedded, None
        # foreground / background: EM and the walk on the attention-modulated part, the other part added back
        weight = attention.detach().unsqueeze(-1)
        if rule == "background":
            weight = 1.0 - weight
        modulated = embedded * weight
        return em_summarise(modulated, self.bases, self.cfg.em_iterations), modulated, embedded * (1.0 - weight)

    def forward_packed(self, xs: list[torch.Tensor], pack: Pack) -> PackedBranches:
        """`forward(x, intra=True)` of several videos xs[i] [T_i, D] in one pass (`rskp_parts.packed`).

        The embedding (Linear, ReLU, Dropout) runs on the concatenated videos: on the CPU one
        dropout draw over [N, d] gives exactly the masks of the per-video draws, in order.
        Outputs are packed (`PackedBranches`); the memory bank is not touched here.
        """
        embedded = self.embedding(torch.cat(xs) if len(xs) > 1 else xs[0])
        inv = inverse_norms(embedded)
        cfg = self.cfg
        first_em = cfg.use_representatives and cfg.representative_rule == "em" and cfg.em_iterations > 0
        main, means = head_packed(self.head, embedded, inv, pack, self.bases if first_em else None)
        out = PackedBranches(main=main, embedded=embedded, inv_norm=inv)
        if not cfg.use_representatives:
            return out
        rule, iterations = cfg.representative_rule, cfg.em_iterations
        walked, walked_inv, rest = embedded, inv, None
        if rule == "em":
            out.online = em_packed(embedded, inv, means, iterations - 1, pack) if means else [self.bases] * pack.size
        elif rule == "top_score":
            out.online = top_score_packed(embedded, main.attention.detach(), cfg.top_score_k, pack)
        else:  # foreground / background: EM and the walk on the attention-modulated part, the rest added back
            weight = main.attention.detach().unsqueeze(-1)
            if rule == "background":
                weight = 1.0 - weight
            walked = embedded * weight
            walked_inv = inverse_norms(walked)
            rest = embedded * (1.0 - weight)
            out.online = em_packed(walked, walked_inv, [self.bases] * pack.size, iterations, pack)
        updated = self.walk_packed(walked, walked_inv, out.online, pack)
        updated = updated if rest is None else updated + rest
        out.intra, out.intra_features = self.head_packed(updated, pack), updated
        return out

    def walk_packed(self, features: torch.Tensor, inv: torch.Tensor, reps: list[torch.Tensor],
                    pack: Pack) -> torch.Tensor:
        return walk_packed(features, inv, reps, self.cfg.walk_weight, self.cfg.walk_solver, pack)

    def head_packed(self, features: torch.Tensor, pack: Pack) -> HeadOutput:
        return head_packed(self.head, features, inverse_norms(features), pack)[0]

    def forward(self, x: torch.Tensor, intra: bool = True, inter_reps: torch.Tensor | None = None) -> Branches:
        """Branch outputs for one video [T, D]. EM and representative scoring always run, as in the released
        `forward()` (they are part of its 'main 0.44 G')."""
        embedded = self.embedding(x)
        main = self.head(embedded)
        if not self.cfg.use_representatives:
            empty = embedded.new_zeros(0, embedded.shape[1])
            return Branches(main=main, online=empty, online_probs=empty[:, :0], embedded=embedded)
        reps, walked, rest = self.online_representatives(embedded, main.attention)
        out = Branches(main=main, online=reps, online_probs=self.representative_probs(reps), embedded=embedded)
        if intra:
            updated = self.walk(walked, reps)
            updated = updated if rest is None else updated + rest
            out.intra, out.intra_features = self.head(updated), updated
        if inter_reps is not None:
            out.inter = self.head(self.walk(embedded, inter_reps))
        return out


@METHODS.register("rskp")
class RSKP(Method):
    """RSKP on any `Dataset`; variants select the test-time branches (table7)."""

    name = "rskp"
    Config = RSKPConfig
    SCALES = {
        # CI: a few dozen steps on the smoke data (40 train videos, 64-d); memory after half of the epochs.
        "smoke": {"embed_dim": 64, "train.steps": 24, "train.lr": 1e-3, "warmup_epoch": 2},
        # CPU default (200 train videos, 128-d, ~110 snippets; <= 45 s train + evaluate on one thread):
        # 20 epochs, memory from epoch index 10 (the paper: from 101 of 200, the same half). 200 steps left
        # the head under-trained (final L_fore ~3 vs ~0.5 at 400 steps) and pseudo labels then hurt.
        "default": {"embed_dim": 128, "train.steps": 400, "train.lr": 1e-3, "warmup_epoch": 9},
        # The released code scores the test set every 5 epochs (100 steps) and its README picks the best
        # epoch; we keep that log, labelled `best_on_test`, next to the final checkpoint's primary result.
        "paper": {"train.eval_every": 100},
    }
    VARIANTS = {
        "default": {"branches": ("main", "intra")},  # the paper's test: 0.6 main + 0.4 intra
        "main": {"branches": ("main",)},
        "intra": {"branches": ("main", "intra")},
        "inter": {"branches": ("main", "intra", "inter")},  # table7: + inter with predicted classes
    }
    PROTOCOL = "snippet"
    TIOUS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)

    def __init__(self, config: RSKPConfig, dataset: Dataset):
        super().__init__(config.check(), dataset)
        self._train_videos = list(dataset.train_videos)
        self._features: dict[tuple[str, str], torch.Tensor] = {}

    # ------------------------------------------------------------------ training

    def prepare(self) -> None:
        cfg = self.config
        if cfg.use_memory and self.warmup_end_step() >= cfg.train.steps - 1:
            raise ConfigError(
                f"rskp config warmup_epoch={cfg.warmup_epoch}: the memory bank would be initialised after step "
                f"{self.warmup_end_step()} but training has only {cfg.train.steps} steps "
                f"({len(self._train_videos)} training videos, batch {cfg.train.batch_videos}); "
                f"lower warmup_epoch or set use_memory=false")

    def warmup_end_step(self) -> int:
        """The step after which (warmup_epoch + 1) epochs of samples have been drawn (module docstring)."""
        samples = (self.config.warmup_epoch + 1) * len(self._train_videos)
        return math.ceil(samples / self.config.train.batch_videos) - 1

    def build_model(self) -> RSKPModel:
        classes = [tuple(v.labels) for v in self._train_videos]
        return RSKPModel(self.config, self.dataset.feature_dim, self.dataset.num_classes, classes)

    def train_items(self) -> list[int]:
        return list(range(len(self._train_videos)))

    def _tensor(self, video: Video, device: torch.device) -> torch.Tensor:
        key = (video.name, str(device))
        if key not in self._features:
            self._features[key] = torch.as_tensor(np.ascontiguousarray(video.features), dtype=torch.float32,
                                                  device=device)
        return self._features[key]

    def _targets(self, video: Video, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.zeros(self.dataset.num_classes + 1, device=device)
        y[list(video.labels)] = 1.0
        y_back = y.clone()
        y_back[-1] = 1.0
        return y, y_back  # y_f (background 0), y_b (background 1)

    def loss(self, model: RSKPModel, item: int, ctx: StepContext) -> dict[str, torch.Tensor]:
        cfg = self.config
        video = self._train_videos[item]
        x = self._tensor(video, ctx.device)
        y_fore, y_back = self._targets(video, ctx.device)
        classes = list(video.labels)
        after_warmup = cfg.use_memory and model.memory.ready

        inter_reps = None
        if after_warmup:
            inter_reps = model.memory.read(classes, rng=ctx.rng, video_index=item)
        out = model(x, intra=True)
        fore = nce_loss(out.main.p_ca, y_fore)
        back = nce_loss(out.main.p_cw, y_back)
        att = attention_normalisation_loss(out.main.attention, cfg.attention_divisor)
        losses = {"fore": fore, "back": back, "att": att}
        if not cfg.use_representatives:
            losses["total"] = fore + cfg.lambda_back * back + cfg.lambda_att * att
            return losses

        propagated, teacher_features = out.intra, out.intra_features
        if after_warmup and cfg.concat_representatives:  # one walk over [mu_a; mu_e] replaces the intra branch
            teacher_features = model.walk(out.embedded, torch.cat([out.online, inter_reps], dim=0))
            propagated = model.head(teacher_features)
        fore = fore + nce_loss(propagated.p_ca, y_fore)
        back = back + nce_loss(propagated.p_cw, y_back)
        teacher_logits = propagated.tcam
        if after_warmup and not cfg.concat_representatives:
            inter_features = model.walk(out.embedded, inter_reps)
            inter = model.head(inter_features)
            fore = fore + cfg.inter_loss_weight * nce_loss(inter.p_ca, y_fore)
            back = back + cfg.inter_loss_weight * nce_loss(inter.p_cw, y_back)
            x_w = cfg.teacher_inter_weight
            teacher_logits = (1.0 - x_w) * propagated.tcam + x_w * inter.tcam
            teacher_features = (1.0 - x_w) * teacher_features + x_w * inter_features
        if after_warmup:
            model.memory.update(classes, out.online, out.online_probs, video_index=item)

        spl = self._propagation_loss(out.main.tcam, teacher_logits, out.embedded, teacher_features)
        lambda_s = cfg.lambda_spl_after_warmup if after_warmup else cfg.lambda_spl
        losses.update(fore=fore, back=back, spl=spl)
        losses["total"] = fore + cfg.lambda_back * back + cfg.lambda_att * att + lambda_s * spl
        return losses

    def batch_loss(self, model: RSKPModel, items: list[int], ctx: StepContext) -> dict[str, torch.Tensor]:
        """`loss` of every item in one packed pass, each value [B].

        The memory bank couples the videos of a batch (video i reads what videos < i wrote), so
        reads and writes run video by video in batch order, between the packed forward and the
        inter-video walk: what the per-video loop reads and writes, in its order.
        """
        cfg = self.config
        videos = [self._train_videos[i] for i in items]
        xs = [self._tensor(v, ctx.device) for v in videos]
        pack = Pack([x.shape[0] for x in xs], ctx.device)
        targets = [self._targets(v, ctx.device) for v in videos]
        y_fore = torch.stack([t[0] for t in targets])
        y_back = torch.stack([t[1] for t in targets])
        after_warmup = cfg.use_memory and model.memory.ready

        out = model.forward_packed(xs, pack)
        fore = nce_rows(out.main.p_ca, y_fore)
        back = nce_rows(out.main.p_cw, y_back)
        att = torch.stack([attention_normalisation_loss(a, cfg.attention_divisor)
                           for a in pack.split(out.main.attention)])
        losses = {"fore": fore, "back": back, "att": att}
        if not cfg.use_representatives:
            losses["total"] = fore + cfg.lambda_back * back + cfg.lambda_att * att
            return losses

        inter_reps: list[torch.Tensor] = []
        if after_warmup:
            with torch.no_grad():
                probs = [model.representative_probs(reps) for reps in out.online]
            for i, (item, video) in enumerate(zip(items, videos)):
                classes = list(video.labels)
                inter_reps.append(model.memory.read(classes, rng=ctx.rng, video_index=item))
                model.memory.update(classes, out.online[i], probs[i], video_index=item)

        propagated, teacher_features = out.intra, out.intra_features
        if after_warmup and cfg.concat_representatives:
            both = [torch.cat([online, inter], dim=0) for online, inter in zip(out.online, inter_reps)]
            teacher_features = model.walk_packed(out.embedded, out.inv_norm, both, pack)
            propagated = model.head_packed(teacher_features, pack)
        fore = fore + nce_rows(propagated.p_ca, y_fore)
        back = back + nce_rows(propagated.p_cw, y_back)
        teacher_logits = propagated.tcam
        if after_warmup and not cfg.concat_representatives:
            inter_features = model.walk_packed(out.embedded, out.inv_norm, inter_reps, pack)
            inter = model.head_packed(inter_features, pack)
            fore = fore + cfg.inter_loss_weight * nce_rows(inter.p_ca, y_fore)
            back = back + cfg.inter_loss_weight * nce_rows(inter.p_cw, y_back)
            x_w = cfg.teacher_inter_weight
            teacher_logits = (1.0 - x_w) * propagated.tcam + x_w * inter.tcam
            if cfg.propagation_loss != "pseudo_label":
                teacher_features = (1.0 - x_w) * teacher_features + x_w * inter_features

        spl = self._packed_propagation_loss(out.main.tcam, teacher_logits, out.embedded, teacher_features, pack)
        lambda_s = cfg.lambda_spl_after_warmup if after_warmup else cfg.lambda_spl
        losses.update(fore=fore, back=back, spl=spl)
        losses["total"] = fore + cfg.lambda_back * back + cfg.lambda_att * att + lambda_s * spl
        return losses

    def _packed_propagation_loss(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                                 features: torch.Tensor, teacher_features: torch.Tensor, pack: Pack) -> torch.Tensor:
        """`_propagation_loss` per packed video [B]."""
        kind = self.config.propagation_loss
        if kind == "pseudo_label":
            return pack.mean(pseudo_label_rows(student_logits, teacher_logits, self.config.temperature))
        diff = features - teacher_features.detach()
        per_snippet = diff.abs().sum(dim=-1) if kind == "feature_l1" else diff.pow(2).sum(dim=-1)
        return pack.mean(per_snippet) / features.shape[1]

    def _propagation_loss(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                          features: torch.Tensor, teacher_features: torch.Tensor) -> torch.Tensor:
        """L_spl (soft pseudo labels) or the table6 feature losses ||F - F^a|| (mean over elements, F^a detached)."""
        kind = self.config.propagation_loss
        if kind == "pseudo_label":
            return pseudo_label_loss(student_logits, teacher_logits, self.config.temperature)
        diff = features - teacher_features.detach()
        return diff.abs().mean() if kind == "feature_l1" else diff.pow(2).mean()

    def after_step(self, model: RSKPModel, ctx: StepContext) -> None:
        """Initialise the memory bank once warm-up ends (eval mode, all training videos in file order)."""
        cfg = self.config
        if not cfg.use_memory or model.memory.ready or ctx.step < self.warmup_end_step():
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            for index, video in enumerate(self._train_videos):
                out = model(self._tensor(video, ctx.device), intra=False)
                model.memory.update(list(video.labels), out.online, out.online_probs, video_index=index)
        model.memory.mark_initialised()
        model.train(was_training)

    # ------------------------------------------------------------------ inference

    def _branches(self, variant: str) -> tuple[str, ...]:
        if variant not in self.VARIANTS:
            known = ", ".join(self.VARIANTS)
            raise ConfigError(f"rskp has no variant {variant!r}; known: {known}")
        branches = tuple(self.VARIANTS[variant]["branches"])
        if not self.config.use_representatives:
            if variant != "default" and branches != ("main",):
                raise ConfigError(f"rskp variant {variant!r} needs representatives; this model is the baseline "
                                  f"head (use_representatives=false): use variant 'main' or 'default'")
            return ("main",)
        return branches

    @torch.no_grad()
    def infer(self, model: RSKPModel, video: Video, variant: str) -> dict[str, np.ndarray]:
        """Video scores and CAS: (w main + (1 - w) propagated softmax) x main attention (docs/methods/rskp.md §8)."""
        branches = self._branches(variant)
        cfg = self.config
        model.eval()
        device = next(model.parameters()).device
        out = model(self._tensor(video, device), intra="intra" in branches)
        main_probs = torch.softmax(out.main.tcam, dim=-1)
        video_probs, snippet_probs = out.main.p_ca, main_probs
        result: dict[str, np.ndarray] = {"attention": out.main.attention.cpu().numpy(),
                                         "main_probs": main_probs.cpu().numpy()}
        if "intra" in branches:
            w = cfg.test_main_weight
            intra_probs = torch.softmax(out.intra.tcam, dim=-1)
            video_probs = w * out.main.p_ca + (1 - w) * out.intra.p_ca
            snippet_probs = w * main_probs + (1 - w) * intra_probs
            result["intra_probs"] = intra_probs.cpu().numpy()
            if "inter" in branches:
                video_probs, snippet_probs = self._with_inter(model, out, video_probs, main_probs, intra_probs)
        cas = snippet_probs * out.main.attention.unsqueeze(-1)
        c = self.dataset.num_classes
        result.update(cas=cas[:, :c].cpu().numpy(), video_scores=video_probs[:c].cpu().numpy())
        return result

    def _with_inter(self, model: RSKPModel, out: Branches, two_branch_scores: torch.Tensor,
                    main_probs: torch.Tensor, intra_probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Second round (paper §4 'Branch analysis'): classes predicted by main + intra pick the memory slots."""
        cfg = self.config
        if not (cfg.use_memory and cfg.memory_kind == "class" and model.memory.ready):
            raise ConfigError("rskp variant 'inter' needs a trained class memory bank "
                              "(use_memory=true, memory_kind=class, training past warm-up)")
        c = self.dataset.num_classes
        scores = two_branch_scores[:c]
        predicted = torch.nonzero(scores >= cfg.proposals.class_threshold).flatten().tolist()
        if not predicted:
            predicted = [int(torch.argmax(scores))]
        inter = model.head(model.walk(out.embedded, model.memory.read(predicted)))
        w, x_w = cfg.test_main_weight, cfg.test_inter_weight
        video = w * out.main.p_ca + (1 - w) * ((1 - x_w) * out.intra.p_ca + x_w * inter.p_ca)
        snippet = w * main_probs + (1 - w) * ((1 - x_w) * intra_probs + x_w * torch.softmax(inter.tcam, dim=-1))
        return video, snippet

    def localize(self, outputs: dict[str, np.ndarray], video: Video, variant: str) -> list[Detection]:
        self._branches(variant)
        return localize_proposals(outputs["cas"], outputs["video_scores"], video.name,
                                  self.dataset.snippet_seconds, self.config.proposals)


__all__ = ["RSKP", "RSKPConfig", "RSKPModel", "Branches"]
