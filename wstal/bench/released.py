"""The released code's training step, written from the description of that code, as the benchmark's peer.

Both papers' code trains one video per forward/backward pass (a DataLoader of batch
size 1) and sums the gradients of a batch before one Adam update. These modules follow
that code's layout, not ours: CMCS embeds a channels-first [1, D, T] input with 2-D
channel dropout and K separate branch modules whose per-time heads are Linear layers;
RSKP normalises every feature matrix explicitly, recomputes the TCAM and solves the
T x T random-walk system against the identity. They exist only to be timed next to our
step (`wstal.bench.step`); nothing trains with them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ReleasedCMCS(nn.Module):
    """CMCS `model.py`: dropout2d -> Conv1d(k=1) base -> K x (Conv1d(k) + ReLU + Linear) and attention."""

    def __init__(self, in_dim: int, num_outputs: int, embed_dim: int, branches: int, branch_channels: int,
                 kernel: int, attention_channels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout2d(dropout)
        self.base = nn.Conv1d(in_dim, embed_dim, 1)
        self.convs = nn.ModuleList([nn.Conv1d(embed_dim, branch_channels, kernel, padding=kernel // 2)
                                    for _ in range(branches)])
        self.heads = nn.ModuleList([nn.Linear(branch_channels, num_outputs) for _ in range(branches)])
        self.att_conv = nn.Conv1d(embed_dim, attention_channels, 1)
        self.att_head = nn.Linear(attention_channels, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [1, T, D] -> branch logits [K, T, C'], video logits [C']."""
        h = self.dropout(x.transpose(1, 2).unsqueeze(-1)).squeeze(-1)  # [1, D, T]
        e = F.relu(self.base(h))
        branch = torch.cat([head(F.relu(conv(e)).transpose(1, 2)) for conv, head in zip(self.convs, self.heads)])
        attention = torch.softmax(self.att_head(F.relu(self.att_conv(e)).transpose(1, 2)), dim=1)  # [1, T, 1]
        video = (attention * branch.mean(dim=0, keepdim=True)).sum(dim=1)[0]
        return branch, video


def released_cmcs_loss(model: ReleasedCMCS, x: torch.Tensor, label: int, weight: float,
                       diversity_weight: float) -> torch.Tensor:
    """w (L_mil + lambda (L_div + L_norm)) of one video, as the released training loop."""
    branch, video = model(x.unsqueeze(0))
    k = branch.shape[0]
    cls = -torch.log_softmax(video, dim=-1)[label]
    p = torch.softmax(branch, dim=-1).permute(2, 0, 1)  # [C', K, T]
    norms = p.norm(dim=-1, keepdim=True)
    sim = torch.relu(p @ p.transpose(1, 2) / (norms @ norms.transpose(1, 2) + 1e-6)
                     - torch.eye(k, device=x.device))
    div = (sim.sum(dim=(1, 2)) / (k * (k - 1))).mean()
    m = branch.abs().mean(dim=1)
    norm = (m - m.mean(dim=0, keepdim=True)).abs().mean()
    return weight * (cls + diversity_weight * (div + norm))


def _l2(x: torch.Tensor) -> torch.Tensor:
    return x / (x.norm(p=2, dim=-1, keepdim=True) + 1e-9)


class ReleasedRSKP(nn.Module):
    """RSKP `main_branch.py`: Linear + ReLU + Dropout, the prediction module, EM attention, the BiRW."""

    def __init__(self, in_dim: int, dim: int, num_classes: int, dropout: float, bases: int, scale: float = 20.0):
        super().__init__()
        self.embedding = nn.Sequential(nn.Linear(in_dim, dim), nn.ReLU(), nn.Dropout(dropout))
        self.centres = nn.Parameter(torch.empty(num_classes + 1, dim))
        nn.init.xavier_uniform_(self.centres)
        self.foreground = nn.Parameter(-self.centres.detach()[-1:].clone())
        self.mu = nn.Parameter(torch.empty(bases, dim))
        nn.init.xavier_uniform_(self.mu)
        self.scale = scale

    def head(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x_hat, w_hat = _l2(x), _l2(self.centres)
        tcam = self.scale * x_hat @ w_hat.t()
        attention = torch.sigmoid(self.scale * x_hat @ _l2(self.foreground).t()).squeeze(-1)
        class_attention = torch.sigmoid(tcam)
        pooled = (attention / (attention.sum() + 1e-5)).unsqueeze(0) @ x
        class_pooled = (class_attention / (class_attention.sum(dim=0, keepdim=True) + 1e-5)).t() @ x
        p_ca = torch.softmax(self.scale * (_l2(pooled) @ w_hat.t())[0], dim=-1)
        p_cw = torch.softmax(self.scale * torch.einsum("cd,cd->c", _l2(class_pooled), w_hat), dim=-1)
        tcam = self.scale * _l2(x) @ _l2(self.centres).t()  # recomputed, as released
        return p_ca, p_cw, attention, tcam

    def em(self, x: torch.Tensor, iterations: int) -> torch.Tensor:
        x_hat, mu = _l2(x), self.mu
        for _ in range(iterations):
            z = torch.softmax(5.0 * _l2(mu) @ x_hat.t(), dim=0)
            mu = (z / (z.sum(dim=1, keepdim=True) + 1e-9)) @ x
        return mu

    def walk(self, x: torch.Tensor, reps: torch.Tensor, w: float) -> torch.Tensor:
        a = torch.softmax(5.0 * _l2(reps) @ _l2(x).t(), dim=0)
        a_bar = a / (a.sum(dim=1, keepdim=True) + 1e-9)
        eye = torch.eye(x.shape[0], device=x.device, dtype=x.dtype)
        inverse = torch.linalg.solve(eye - (w * w) * (a.t() @ a_bar), eye)  # T x T, against the identity
        return (1.0 - w) * inverse @ (w * a.t() @ reps + x)


def released_rskp_loss(model: ReleasedRSKP, x: torch.Tensor, y_fore: torch.Tensor, y_back: torch.Tensor,
                       em_iterations: int, w: float, temperature: float) -> torch.Tensor:
    """L_fore + 0.2 L_back + 0.1 L_att + L_spl of one video during warm-up (main + intra branches)."""
    f = model.embedding(x)
    main = model.head(f)
    reps = model.em(f, em_iterations)
    torch.softmax(model.scale * _l2(reps) @ _l2(model.centres).t(), dim=-1)  # representative scores
    intra = model.head(model.walk(f, reps, w))

    def nce(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -(y / (y.sum() + 1e-8) * torch.log(p)).sum()

    k = max(x.shape[0] // 8, 1)
    att = main[2].topk(k, largest=False).values.mean() - main[2].topk(k).values.mean()
    teacher = torch.softmax(intra[3].detach() / temperature, dim=-1)
    spl = -(teacher * torch.log_softmax(main[3] / temperature, dim=-1)).sum(dim=-1).mean()
    fore = nce(main[0], y_fore) + nce(intra[0], y_fore)
    back = nce(main[1], y_back) + nce(intra[1], y_back)
    return fore + 0.2 * back + 0.1 * att + spl


__all__ = ["ReleasedCMCS", "released_cmcs_loss", "ReleasedRSKP", "released_rskp_loss"]
