"""Hand-checked pieces of RSKP: EM, memory bank, losses, the random walk's closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from wstal.methods.rskp_parts.em import em_step, em_summarise, top_score_snippets
from wstal.methods.rskp_parts.head import (
    PredictionModule, attention_normalisation_loss, l2_normalise, nce_loss, pseudo_label_loss,
)
from wstal.methods.rskp_parts.memory import ClassMemory, VideoMemory
from wstal.methods.rskp_parts.random_walk import (
    Affinity, affinity, alternating_walk, naive_inverse_walk, propagate, random_walk,
)


def test_em_one_step_on_a_toy_by_hand():
    features = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    bases = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # E-step, softmax over the 2 bases of 5 cos: snippet 0 -> (s, 1-s), 1 -> (1-s, s), 2 -> (1/2, 1/2)
    s = 1.0 / (1.0 + math.exp(-5.0))
    # M-step: each base's weights over snippets sum to 1.5, then the weighted mean of the raw features
    expected = torch.tensor([[(s + 0.5) / 1.5, (1 - s + 0.5) / 1.5],
                             [(1 - s + 0.5) / 1.5, (s + 0.5) / 1.5]])
    got = em_step(features, l2_normalise(features), bases)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.allclose(em_summarise(features, bases, iterations=1), expected, atol=1e-6)
    assert torch.equal(em_summarise(features, bases, iterations=0), bases)


def test_em_bases_receive_gradients_through_the_assignments():
    features = torch.randn(20, 6)
    bases = torch.randn(3, 6, requires_grad=True)
    em_summarise(features, bases, iterations=2).sum().backward()
    assert bases.grad is not None and bases.grad.abs().sum() > 0


def test_top_score_rule_takes_the_highest_and_lowest_snippets():
    features = torch.arange(12.0).reshape(6, 2)
    scores = torch.tensor([0.5, 0.9, 0.1, 0.8, 0.0, 0.3])
    reps = top_score_snippets(features, scores, k=2)
    assert torch.equal(reps, features[[1, 3, 4, 2]])


def test_class_memory_keeps_the_top_s_per_class_and_only_for_the_video_classes():
    memory = ClassMemory(num_classes=3, slots=2, dim=2)
    reps = torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    probs = torch.zeros(3, 4)
    probs[:, 1] = torch.tensor([0.2, 0.9, 0.5])
    probs[:, 2] = torch.tensor([0.6, 0.1, 0.3])
    memory.update([1], reps, probs)
    assert torch.equal(memory.features[1], torch.tensor([[2.0, 2.0], [3.0, 3.0]]))
    assert torch.allclose(memory.scores[1], torch.tensor([0.9, 0.5]))
    assert memory.features[0].abs().sum() == 0 and memory.features[2].abs().sum() == 0  # other classes untouched
    # a later video: its 0.7 entry replaces the stored 0.5 one; stale scores are kept, not refreshed
    new_probs = torch.zeros(1, 4)
    new_probs[0, 1], new_probs[0, 2] = 0.7, 0.4
    memory.update([1, 2], torch.tensor([[4.0, 4.0]]), new_probs)
    assert torch.equal(memory.features[1], torch.tensor([[2.0, 2.0], [4.0, 4.0]]))
    assert torch.allclose(memory.scores[1], torch.tensor([0.9, 0.7]))
    assert torch.allclose(memory.scores[2], torch.tensor([0.4, 0.0]))
    read = memory.read([1, 2])
    assert read.shape == (4, 2) and not read.requires_grad


def test_class_memory_update_never_enters_the_graph():
    memory = ClassMemory(num_classes=2, slots=1, dim=3)
    reps = torch.randn(2, 3, requires_grad=True)
    memory.update([0], reps * 2, torch.softmax(torch.randn(2, 3, requires_grad=True), dim=-1))
    assert not memory.features.requires_grad and memory.features.grad_fn is None


def test_video_memory_moving_average_and_same_class_read():
    memory = VideoMemory([(0,), (0,), (1,)], reps_per_video=2, dim=2, momentum=0.75)
    memory.update([0], torch.ones(2, 2), torch.zeros(2, 3), video_index=0)  # first write copies
    memory.update([0], torch.full((2, 2), 5.0), torch.zeros(2, 3), video_index=0)
    assert torch.allclose(memory.features[0], torch.full((2, 2), 0.75 * 1 + 0.25 * 5))
    memory.update([0], torch.full((2, 2), 9.0), torch.zeros(2, 3), video_index=1)
    rng = np.random.default_rng(0)
    # video 1 (class 0) reads the only other video of class 0: video 0
    assert torch.allclose(memory.read([0], rng=rng, video_index=1), memory.features[0])


def test_attention_normalisation_loss_by_hand():
    attention = torch.tensor([0.9, 0.1, 0.5, 0.8, 0.2, 0.3, 0.7, 0.6,
                              0.4, 0.05, 0.95, 0.15, 0.35, 0.45, 0.55, 0.65])
    # T = 16 -> k = 2: smallest {0.05, 0.1}, largest {0.95, 0.9}
    assert attention_normalisation_loss(attention).item() == pytest.approx(0.075 - 0.925, abs=1e-6)
    assert attention_normalisation_loss(torch.tensor([0.2, 0.6])).item() == pytest.approx(0.2 - 0.6)  # k >= 1


def test_pseudo_label_loss_by_hand_and_teacher_detached():
    student = torch.tensor([[0.0, 0.5 * math.log(3.0)]], requires_grad=True)
    teacher = torch.tensor([[1.0, 1.0]], requires_grad=True)
    loss = pseudo_label_loss(student, teacher, temperature=0.5)
    # softmax(student / 0.5) = (1/4, 3/4); teacher softmax = (1/2, 1/2)
    assert loss.item() == pytest.approx(-0.5 * (math.log(0.25) + math.log(0.75)), abs=1e-6)
    loss.backward()
    assert teacher.grad is None and student.grad is not None


def test_nce_normalises_the_target():
    probs = torch.tensor([0.5, 0.25, 0.25])
    assert nce_loss(probs, torch.tensor([1.0, 1.0, 0.0])).item() == pytest.approx(
        -0.5 * (math.log(0.5) + math.log(0.25)), abs=1e-6)


def test_head_attention_is_sigmoid_and_branches_are_distributions():
    torch.manual_seed(0)
    head = PredictionModule(dim=8, num_classes=3)
    assert torch.allclose(head.foreground, -head.centres[-1:])
    out = head(torch.randn(10, 8))
    assert out.tcam.shape == (10, 4) and out.attention.shape == (10,)
    assert torch.allclose(out.p_ca.sum(), torch.tensor(1.0)) and torch.allclose(out.p_cw.sum(), torch.tensor(1.0))
    assert ((out.attention > 0) & (out.attention < 1)).all()


@pytest.mark.parametrize("solver", ["push_through", "inverse"])
def test_closed_form_equals_the_alternating_walk_iterated_to_convergence(solver):
    gen = torch.Generator().manual_seed(3)
    features = torch.randn(30, 8, generator=gen, dtype=torch.float64)
    reps = torch.randn(5, 8, generator=gen, dtype=torch.float64)
    closed = random_walk(features, reps, w=0.5, solver=solver)
    iterated = alternating_walk(features, reps, w=0.5, steps=100)
    assert torch.allclose(closed, iterated, atol=1e-10)
    assert torch.allclose(closed, naive_inverse_walk(features, reps, w=0.5), atol=1e-10)
    # a single step is not the limit: the closed form is doing real work
    assert not torch.allclose(closed, alternating_walk(features, reps, w=0.5, steps=1), atol=1e-3)


def test_transition_matrix_is_row_stochastic():
    aff = affinity(torch.randn(12, 4), torch.randn(3, 4))
    transition = aff.a.t() @ aff.a_bar
    assert torch.allclose(transition.sum(dim=1), torch.ones(12), atol=1e-5)


@pytest.mark.parametrize("solver", ["push_through", "inverse"])
def test_eq11_special_case_mu_equals_f(solver):
    """mu^(0) = F with a symmetric doubly stochastic Z (so Norm1(Z)^T = Z): Eq. 10 reduces to Eq. 3."""
    gen = torch.Generator().manual_seed(5)
    t, w = 15, 0.5
    raw = torch.rand(t, t, generator=gen, dtype=torch.float64) + 0.1
    z = raw + raw.t()
    for _ in range(500):  # symmetric Sinkhorn: converges to a symmetric doubly stochastic matrix
        d = z.sum(dim=1).rsqrt()
        z = d[:, None] * z * d[None, :]
    assert torch.allclose(z.sum(dim=0), torch.ones(t, dtype=torch.float64), atol=1e-10)
    features = torch.randn(t, 6, generator=gen, dtype=torch.float64)
    got = propagate(Affinity(a=z, a_bar=z), features, features, w, solver)
    eye = torch.eye(t, dtype=torch.float64)
    expected = (1 - w) * torch.linalg.solve(eye - w * z, features)
    assert torch.allclose(got, expected, atol=1e-10)
