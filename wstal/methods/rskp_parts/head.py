"""The classification head RSKP shares between its branches (docs/methods/rskp.md §2).

One `PredictionModule` is applied to the embedded features F and to every
propagated version of them (F^a, F^e); sharing it is what lets the main branch learn
from the pseudo labels of the others. Losses here are the head's own: the NCE
classification loss (§2) and the attention-normalisation loss (§3).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-9  # RSKP adds it to every L2 norm (FAC-Net did not)
ATTENTION_EPS = 1e-5  # denominator of the attention normalisation over time


def init_xavier_zero_bias(layer: nn.Linear) -> None:
    """The released embedding init: xavier-uniform weights, zero bias (draws from torch's seeded RNG)."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def keep_pytorch_default(layer: nn.Linear) -> None:
    """PyTorch's own Linear init (uniform in ±1/sqrt(fan_in) for weights and bias): nothing to redo."""


EMBEDDING_INITS = {"xavier": init_xavier_zero_bias, "default": keep_pytorch_default}


def l2_normalise(x: torch.Tensor) -> torch.Tensor:
    """Rows divided by their L2 norm (+1e-9), as the released code's `calculate_l1_norm` does."""
    return x / (x.norm(p=2, dim=-1, keepdim=True) + NORM_EPS)


@dataclass
class HeadOutput:
    """What one pass of the prediction module gives for one video."""

    p_ca: torch.Tensor  # [C+1] class-agnostic-attention branch probabilities (target: background 0)
    p_cw: torch.Tensor  # [C+1] class-wise ("MIL") branch probabilities (target: background 1)
    attention: torch.Tensor  # [T] sigmoid class-agnostic attention, not normalised
    tcam: torch.Tensor  # [T, C+1] snippet logits (scale x cosine), the TCAM


class PredictionModule(nn.Module):
    """Cosine classifier over C actions + background, sigmoid attentions, CA and class-wise branches.

    `recompute_tcam` repeats the snippet-class cosine for the TCAM output as the released
    code does (4.3 M MACs at T = 100); it changes no value, only the MAC count that
    the paper's table reports.
    """

    def __init__(self, dim: int, num_classes: int, scale: float = 20.0, recompute_tcam: bool = True):
        super().__init__()
        self.scale = scale
        self.recompute_tcam = recompute_tcam
        self.centres = nn.Parameter(torch.empty(num_classes + 1, dim))  # W: C actions + background
        nn.init.xavier_uniform_(self.centres)
        # u: a separate foreground centre, initialised to minus the background centre
        self.foreground = nn.Parameter(-self.centres.detach()[-1:].clone())

    def class_logits(self, x_hat: torch.Tensor, centres_hat: torch.Tensor) -> torch.Tensor:
        return self.scale * x_hat @ centres_hat.t()

    def forward(self, x: torch.Tensor) -> HeadOutput:
        x_hat = l2_normalise(x)
        w_hat = l2_normalise(self.centres)
        u_hat = l2_normalise(self.foreground)
        snippet_logits = self.class_logits(x_hat, w_hat)  # [T, C+1]
        foreground_logit = self.scale * (x_hat @ u_hat.t()).squeeze(-1)  # [T]
        attention = torch.sigmoid(foreground_logit)
        class_attention = torch.sigmoid(snippet_logits)
        attention_bar = attention / (attention.sum() + ATTENTION_EPS)
        class_attention_bar = class_attention / (class_attention.sum(dim=0, keepdim=True) + ATTENTION_EPS)
        # CA branch: attention-pooled (un-normalised) feature against every class centre
        pooled = attention_bar.unsqueeze(0) @ x  # [1, d]
        q = self.scale * (l2_normalise(pooled) @ w_hat.t()).squeeze(0)  # [C+1]
        # class-wise branch: class-c-pooled feature against its own centre (the diagonal)
        class_pooled = class_attention_bar.t() @ x  # [C+1, d]
        r = self.scale * torch.einsum("cd,cd->c", l2_normalise(class_pooled), w_hat)
        tcam = self.class_logits(x_hat, w_hat) if self.recompute_tcam else snippet_logits
        return HeadOutput(p_ca=F.softmax(q, dim=-1), p_cw=F.softmax(r, dim=-1), attention=attention, tcam=tcam)


def nce_loss(probabilities: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """-sum_c (y_c / sum y) log p_c, the target normalised to sum 1 (+1e-8), no epsilon in the log."""
    weights = target / (target.sum(dim=-1, keepdim=True) + 1e-8)
    return -(weights * torch.log(probabilities)).sum(dim=-1).mean()


def attention_normalisation_loss(attention: torch.Tensor, divisor: int = 8) -> torch.Tensor:
    """mean of the k smallest minus mean of the k largest attentions, k = max(T // 8, 1) (TSCN)."""
    k = max(attention.shape[-1] // divisor, 1)
    largest = attention.topk(k, dim=-1, largest=True).values.mean(dim=-1)
    smallest = attention.topk(k, dim=-1, largest=False).values.mean(dim=-1)
    return (smallest - largest).mean()


def pseudo_label_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft cross-entropy of temperature softmaxes over C+1 classes, averaged over snippets (teacher detached)."""
    teacher = F.softmax(teacher_logits.detach() / temperature, dim=-1)
    log_student = F.log_softmax(student_logits / temperature, dim=-1)
    return -(teacher * log_student).sum(dim=-1).mean()
