"""RSKP's head, EM summarisation and random walk on a packed batch (`wstal.methods.packing`).

The same maths as `head`, `em` and `random_walk` (the per-video reference), arranged for
a batch of videos concatenated along time [N, d]:

* the 2048 x 2048 embedding runs once on the whole batch;
* cosines never normalise the [T, d] features: cos(x_t, w) = (x_t . w_hat) / |x_t|, so the
  row norms are computed once and applied to the small [T, C] products (the reference
  divides every [T, d] feature matrix, and again in its backward pass);
* what couples the snippets of one video (pooling, EM means, the walk) runs per video
  on views of the packed tensor; what does not (cosines to the class centres, the
  sigmoids, the pseudo-label softmaxes) runs once on the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F

from wstal.methods.packing import Pack
from wstal.methods.rskp_parts.em import ASSIGNMENT_SCALE, COLUMN_EPS as EM_EPS, top_score_snippets
from wstal.methods.rskp_parts.head import ATTENTION_EPS, NORM_EPS, HeadOutput, PredictionModule, l2_normalise
from wstal.methods.rskp_parts.random_walk import AFFINITY_SCALE, COLUMN_EPS as WALK_EPS, random_walk


def inverse_norms(x: torch.Tensor) -> torch.Tensor:
    """1 / (|x_t| + 1e-9) per row [N]: `l2_normalise` without materialising the normalised rows."""
    return 1.0 / (x.norm(p=2, dim=-1) + NORM_EPS)


def head_packed(head: PredictionModule, x: torch.Tensor, inv: torch.Tensor, pack: Pack,
                bases: torch.Tensor | None = None) -> tuple[HeadOutput, list[torch.Tensor] | None]:
    """`PredictionModule.forward` of every packed video: p_ca, p_cw [B, C+1], attention [N], tcam [N, C+1].

    With `bases` [n, d] it also takes the first EM step from them (`em_step`) and returns
    each video's means [n, d]: its cosines and its weighted means read x in the same two
    passes as the head's (one matmul against [W; u; bases], one pooling matmul per video).
    """
    c = head.centres.shape[0]
    w_hat = l2_normalise(head.centres)  # [C+1, d]
    rows = [w_hat, l2_normalise(head.foreground)] + ([l2_normalise(bases)] if bases is not None else [])
    cosines = (x @ torch.cat(rows).t()) * inv.unsqueeze(-1)  # [N, C+2 (+n)]
    logits = head.scale * cosines[:, : c + 1]
    tcam, attention = logits[:, :c], torch.sigmoid(logits[:, c])
    class_attention = torch.sigmoid(tcam)
    weights = [attention.unsqueeze(-1), class_attention]  # normalised over each video's time below
    if bases is not None:  # E-step: soft assignment over the n components
        weights.append(F.softmax(ASSIGNMENT_SCALE * cosines[:, c + 1:], dim=-1))
    weights = torch.cat(weights, dim=-1)
    eps = torch.cat([weights.new_full((c + 1,), ATTENTION_EPS), weights.new_full((weights.shape[1] - c - 1,),
                                                                                   EM_EPS)])
    weights = weights / (pack.expand(pack.sum(weights)) + eps)
    pooled = [wv.t() @ f for wv, f in zip(pack.split(weights), pack.split(x))]  # [1 + C+1 (+n), d] per video
    stacked = torch.stack(pooled[:]) if bases is None else torch.stack([p[: c + 1] for p in pooled])
    q = head.scale * l2_normalise(stacked[:, 0]) @ w_hat.t()  # [B, C+1]: CA branch
    r = head.scale * (l2_normalise(stacked[:, 1:]) * w_hat).sum(dim=-1)  # [B, C+1]: class-wise branch
    out = HeadOutput(p_ca=F.softmax(q, dim=-1), p_cw=F.softmax(r, dim=-1), attention=attention, tcam=tcam)
    return out, (None if bases is None else [p[c + 1:] for p in pooled])


def em_packed(x: torch.Tensor, inv: torch.Tensor, means: list[torch.Tensor], iterations: int,
              pack: Pack) -> list[torch.Tensor]:
    """`iterations` more EM steps (`em_step`) per packed video from its current means [n, d]."""
    for _ in range(iterations):
        updated = []
        for f, iv, m in zip(pack.split(x), pack.split(inv), means):
            z = F.softmax(ASSIGNMENT_SCALE * (f @ l2_normalise(m).t()) * iv.unsqueeze(-1), dim=-1)  # [T, n]
            updated.append((z / (z.sum(dim=0, keepdim=True) + EM_EPS)).t() @ f)
        means = updated
    return means


def walk_packed(x: torch.Tensor, inv: torch.Tensor, reps: Sequence[torch.Tensor], w: float, solver: str,
                pack: Pack) -> torch.Tensor:
    """`random_walk` of every packed video with its own representatives reps[i] [K_i, d] -> [N, d].

    push_through, rearranged to read x three times per video: with R = F + w A^T Y and
    C = (I - w^2 Abar A^T)^{-1} Abar R, F* = (1 - w)(R + w^2 A^T C) = (1 - w) F + A^T G,
    G = (1 - w) w (Y + w C), and Abar R = Abar F + w (Abar A^T) Y needs no [T, d] product.
    """
    out = []
    for f, iv, y in zip(pack.split(x), pack.split(inv), reps):
        if solver != "push_through":
            out.append(random_walk(f, y, w, solver))
            continue
        a = F.softmax(AFFINITY_SCALE * (l2_normalise(y) @ f.t()) * iv.unsqueeze(0), dim=0)  # [K, T]
        a_bar = a / (a.sum(dim=1, keepdim=True) + WALK_EPS)
        gram = a_bar @ a.t()  # [K, K]
        eye = torch.eye(y.shape[0], dtype=f.dtype, device=f.device)
        correction = torch.linalg.solve(eye - (w * w) * gram, a_bar @ f + w * (gram @ y))  # [K, d]
        g = ((1.0 - w) * w) * (y + w * correction)
        out.append(torch.addmm(f, a.t(), g, beta=1.0 - w))
    return torch.cat(out) if len(out) > 1 else out[0]


def nce_rows(probabilities: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """`nce_loss` of each row [B, C+1] -> [B]."""
    weights = target / (target.sum(dim=-1, keepdim=True) + 1e-8)
    return -(weights * torch.log(probabilities)).sum(dim=-1)


def pseudo_label_rows(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      temperature: float) -> torch.Tensor:
    """`pseudo_label_loss` of each snippet [N] (the per-video loss is its mean over the video)."""
    teacher = F.softmax(teacher_logits.detach() / temperature, dim=-1)
    return -(teacher * F.log_softmax(student_logits / temperature, dim=-1)).sum(dim=-1)


@dataclass
class PackedBranches:
    """`Branches` of a packed batch: head outputs packed, representatives per video."""

    main: HeadOutput
    embedded: torch.Tensor  # F [N, d]
    inv_norm: torch.Tensor  # 1 / |F_t| [N]
    online: list[torch.Tensor] = field(default_factory=list)  # mu^(a) per video [n, d]
    intra: HeadOutput | None = None
    intra_features: torch.Tensor | None = None  # F^a [N, d]


def top_score_packed(x: torch.Tensor, attention: torch.Tensor, k: int, pack: Pack) -> list[torch.Tensor]:
    """The table5 top-score rule per video."""
    return [top_score_snippets(f, a, k) for f, a in zip(pack.split(x), pack.split(attention))]


__all__ = ["inverse_norms", "head_packed", "em_packed", "walk_packed", "top_score_packed", "nce_rows",
           "pseudo_label_rows", "PackedBranches"]
