"""Representative-snippet summarisation by EM attention (docs/methods/rskp.md §4).

A video's embedded snippets are modelled by a mixture of n Gaussians with identity
covariance; the means after a few EM steps are the video's online representatives
mu^(a). The initial means mu^(0) are parameters: gradients flow through the soft
assignments into them and into F (nothing is detached here).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from wstal.methods.rskp_parts.head import l2_normalise

ASSIGNMENT_SCALE = 5.0  # lambda of the E-step softmax over components (cosine x 5)
COLUMN_EPS = 1e-9


def em_step(features: torch.Tensor, features_hat: torch.Tensor, means: torch.Tensor,
            scale: float = ASSIGNMENT_SCALE) -> torch.Tensor:
    """One E + M step: soft assignment over the n means, then assignment-weighted snippet means."""
    z = F.softmax(scale * l2_normalise(means) @ features_hat.t(), dim=0)  # [n, T], softmax over components
    z_bar = z / (z.sum(dim=1, keepdim=True) + COLUMN_EPS)  # each component's distribution over snippets
    return z_bar @ features  # [n, d], weighted means of the un-normalised features


def em_summarise(features: torch.Tensor, bases: torch.Tensor, iterations: int,
                 scale: float = ASSIGNMENT_SCALE) -> torch.Tensor:
    """mu^(a) = EM^iterations(mu^(0) = bases, F); `iterations = 0` returns the bases themselves."""
    features_hat = l2_normalise(features)
    means = bases
    for _ in range(iterations):
        means = em_step(features, features_hat, means, scale)
    return means


def top_score_snippets(features: torch.Tensor, scores: torch.Tensor, k: int) -> torch.Tensor:
    """The table5 'representative snippets of high scores' rule: the k highest- and k lowest-scored snippets."""
    k = max(1, min(k, features.shape[0] // 2 or 1))
    top = scores.topk(k, largest=True).indices
    bottom = scores.topk(k, largest=False).indices
    return torch.cat([features[top], features[bottom]], dim=0)
