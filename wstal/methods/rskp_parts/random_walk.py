"""Bipartite random walk between snippets and representatives, in closed form (docs/methods/rskp.md §6, paper Eq. 4-10).

F* = (1 - w) (I_T - w^2 P)^{-1} (w A^T Y + F), with A the snippets' soft assignment
to the K representatives (softmax over K of 5 cos) and P = A^T Abar. The released code
solves a T x T system; by the push-through identity
(I_T - w^2 A^T Abar)^{-1} = I_T + w^2 A^T (I_K - w^2 Abar A^T)^{-1} Abar
only a K x K system is needed, which keeps long videos (T = 5,000) cheap. Both solvers
are kept: `inverse` is the released code's arithmetic (and its MAC count), and
`alternating_walk` iterates Eq. 4-5 for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from wstal.errors import ConfigError
from wstal.methods.rskp_parts.head import l2_normalise

AFFINITY_SCALE = 5.0
COLUMN_EPS = 1e-9
SOLVERS = ("push_through", "inverse")


@dataclass
class Affinity:
    """A [K, T]: each snippet's distribution over representatives; Abar: each representative's over snippets."""

    a: torch.Tensor
    a_bar: torch.Tensor


def affinity(features: torch.Tensor, reps: torch.Tensor, scale: float = AFFINITY_SCALE) -> Affinity:
    a = F.softmax(scale * l2_normalise(reps) @ l2_normalise(features).t(), dim=0)  # [K, T]
    return Affinity(a=a, a_bar=a / (a.sum(dim=1, keepdim=True) + COLUMN_EPS))


def random_walk(features: torch.Tensor, reps: torch.Tensor, w: float = 0.5, solver: str = "push_through",
                scale: float = AFFINITY_SCALE) -> torch.Tensor:
    """The converged walk F* for features [T, d] and representatives [K, d]."""
    if solver not in SOLVERS:
        raise ConfigError(f"random-walk solver {solver!r} unknown; choose one of {', '.join(SOLVERS)}")
    return propagate(affinity(features, reps, scale), features, reps, w, solver)


def propagate(aff: Affinity, features: torch.Tensor, reps: torch.Tensor, w: float, solver: str) -> torch.Tensor:
    """(1 - w) (I - w^2 A^T Abar)^{-1} (w A^T Y + F) for given affinities (Eq. 10)."""
    rhs = w * aff.a.t() @ reps + features  # [T, d]
    if solver == "inverse":  # the released code: a T x T solve against the identity, then a T x T x d product
        t = features.shape[0]
        eye = torch.eye(t, dtype=features.dtype, device=features.device)
        transition = aff.a.t() @ aff.a_bar  # P [T, T], row-stochastic
        inverse = torch.linalg.solve(eye - (w * w) * transition, eye)
        return (1.0 - w) * (inverse @ rhs)
    k = reps.shape[0]
    eye_k = torch.eye(k, dtype=features.dtype, device=features.device)
    small = eye_k - (w * w) * (aff.a_bar @ aff.a.t())  # [K, K]
    correction = torch.linalg.solve(small, aff.a_bar @ rhs)  # [K, d]
    return (1.0 - w) * (rhs + (w * w) * (aff.a.t() @ correction))


def alternating_walk(features: torch.Tensor, reps: torch.Tensor, w: float = 0.5, steps: int = 200,
                     scale: float = AFFINITY_SCALE) -> torch.Tensor:
    """Eq. 4-5 iterated: Y <- w Abar F + (1-w) Y0 and F <- w A^T Y + (1-w) F0 (the reference for the closed form).

    Written with the fixed point of the released code, F^(t) = w A^T Y^(t) + (1-w) F^(0) with
    Y^(t+1) = w Abar F^(t) + (1-w) Y^(0) (docs/methods/rskp.md §6), whose limit is the closed form.
    """
    aff = affinity(features, reps, scale)
    y = reps
    current = features
    for _ in range(steps):
        current = w * aff.a.t() @ y + (1.0 - w) * features
        y = w * aff.a_bar @ current + (1.0 - w) * reps
    return current


def naive_inverse_walk(features: torch.Tensor, reps: torch.Tensor, w: float = 0.5,
                       scale: float = AFFINITY_SCALE) -> torch.Tensor:
    """Explicit T x T inverse (torch.linalg.inv), the baseline of the speed/memory benchmark."""
    aff = affinity(features, reps, scale)
    t = features.shape[0]
    eye = torch.eye(t, dtype=features.dtype, device=features.device)
    inverse = torch.linalg.inv(eye - (w * w) * (aff.a.t() @ aff.a_bar))
    return (1.0 - w) * inverse @ (w * aff.a.t() @ reps + features)
