"""Qualitative RSKP figures (supp. Fig. 4-7) from one trained run: load its checkpoint, run the model.

Videos are chosen by a fixed rule (catalog choice `qualitative-videos`): per test video the
mean over its GT instances of the best tIoU reached by a same-class detection; the highest
for figure7 (detections), the lowest for figure8 (failure cases). Projections are PCA fitted
on the plotted features (choice `projection`): deterministic, unlike t-SNE.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from wstal.artifacts import Artifact
from wstal.catalog import Catalog
from wstal.errors import ConfigError, DataError
from wstal.evaluation.matching import temporal_iou
from wstal.report.aggregate import read_json
from wstal.report.paths import Layout
from wstal.report.style import COLORS, DOUBLE_WIDTH_IN, figure_style, save


def _load_run(catalog: Catalog, art: Artifact, layout: Layout, seed: int):
    import torch

    from wstal.data.io import load_dataset
    from wstal.run import model_from_checkpoint
    from wstal.train import CHECKPOINT, load_checkpoint

    row = art.rows[0]
    run_dir = layout.run_dir(row.experiment, seed)
    ckpt = load_checkpoint(run_dir / CHECKPOINT)
    if ckpt["method"] != "rskp":
        raise ConfigError(f"{art.name}: qualitative figures show RSKP internals; {row.experiment} is {ckpt['method']}")
    dataset = load_dataset(layout.data_dir(catalog.data_key(row.experiment, layout.dataset)))
    method, model = model_from_checkpoint(ckpt, dataset, run_dir / CHECKPOINT)
    model.eval()
    torch.set_grad_enabled(False)
    return method, model, dataset, row


def video_quality(video, detections: list[dict], classes: Sequence[str]) -> float:
    """Mean over GT instances of the best same-class tIoU of any detection (NaN without GT)."""
    if len(video.segments) == 0:
        return float("nan")
    best = []
    for seg, label in zip(video.segments, video.segment_labels):
        same = np.array([d["segment"] for d in detections if d["label"] == classes[int(label)]],
                        dtype=np.float64).reshape(-1, 2)
        best.append(float(temporal_iou(seg[0], seg[1], same[:, 0], same[:, 1]).max(initial=0.0)))
    return float(np.mean(best))


def _ranked_videos(dataset, predictions: dict) -> list[tuple[float, object]]:
    results = predictions["results"]
    ranked = [(video_quality(v, results.get(v.name, []), dataset.classes), v) for v in dataset.test_videos]
    ranked = [(q, v) for q, v in ranked if np.isfinite(q)]
    if not ranked:
        raise DataError(None, "no test video with ground truth to show")
    return sorted(ranked, key=lambda qv: (-qv[0], qv[1].name))


def _timeline(ax, video, values: np.ndarray, label: str, color: str, snippet_seconds: float) -> None:
    t = (np.arange(len(values)) + 0.5) * snippet_seconds
    ax.plot(t, values, color=color, lw=1.0, label=label)


def _gt_bar(ax, video, cls: int, y: float, color: str = "black", label: str = "GT") -> None:
    for k, (seg, lab) in enumerate(zip(video.segments, video.segment_labels)):
        if int(lab) == cls:
            ax.plot(seg, [y, y], color=color, lw=4, solid_capstyle="butt", label=label if k == 0 else None)


def _detections_figure(method, model, dataset, predictions, videos, title: str, failure: bool):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(videos), 1, figsize=(DOUBLE_WIDTH_IN, 1.45 * len(videos)), squeeze=False)
    for ax, (quality, video) in zip(axes[:, 0], videos):
        outputs = method.infer(model, video, "default")
        cls = int(video.segment_labels[0]) if len(video.segment_labels) else int(np.argmax(outputs["video_scores"]))
        _timeline(ax, video, outputs["cas"][:, cls], "action activation (CAS)", COLORS[0], dataset.snippet_seconds)
        if "intra_probs" in outputs:
            _timeline(ax, video, outputs["intra_probs"][:, cls], "pseudo-label score (intra branch)", COLORS[1],
                      dataset.snippet_seconds)
        _gt_bar(ax, video, cls, -0.08)
        dets = [d for d in predictions["results"].get(video.name, []) if d["label"] == dataset.classes[cls]]
        for k, d in enumerate(sorted(dets, key=lambda d: -d["score"])[:5]):
            ax.plot(d["segment"], [-0.18, -0.18], color=COLORS[3] if failure else COLORS[2], lw=4,
                    solid_capstyle="butt", alpha=0.4 + 0.6 * d["score"] / max(x["score"] for x in dets),
                    label="top-5 detections" if k == 0 else None)
        ax.set_ylim(-0.28, 1.05)
        ax.set_xlim(0, video.duration)
        ax.set_title(f"{video.name} — {dataset.classes[cls]} (mean best tIoU {quality:.2f})", fontsize=7)
        ax.set_ylabel("score")
    axes[-1, 0].set_xlabel("time (s)")
    axes[0, 0].legend(loc="upper right", ncol=4)
    fig.suptitle(title, fontsize=7.5)
    return fig


def _pca(x: np.ndarray, fit_on: np.ndarray) -> np.ndarray:
    mean = fit_on.mean(axis=0)
    _, _, vt = np.linalg.svd(fit_on - mean, full_matrices=False)
    return (x - mean) @ vt[:2].T


def _foreground_mask(video, n: int, snippet_seconds: float) -> np.ndarray:
    t = (np.arange(n) + 0.5) * snippet_seconds
    mask = np.zeros(n, dtype=bool)
    for seg in video.segments:
        mask |= (t >= seg[0]) & (t <= seg[1])
    return mask


def _online_figure(method, model, dataset, videos, title: str):
    import matplotlib.pyplot as plt
    import torch

    fig, axes = plt.subplots(1, len(videos), figsize=(DOUBLE_WIDTH_IN, 2.4), squeeze=False)
    for ax, (_, video) in zip(axes[0], videos):
        out = model(torch.as_tensor(video.features, dtype=torch.float32), intra=False)
        feats, reps = out.embedded.numpy(), out.online.numpy()
        xy, rxy = _pca(feats, feats), _pca(reps, feats)
        fg = _foreground_mask(video, len(feats), dataset.snippet_seconds)
        ax.scatter(*xy[~fg].T, s=4, color="#999999", alpha=0.6, label="background snippets")
        ax.scatter(*xy[fg].T, s=4, color=COLORS[0], alpha=0.7, label="action snippets (GT)")
        ax.scatter(*rxy.T, s=60, marker="*", color=COLORS[3], edgecolor="black", lw=0.4,
                   label="online representatives")
        cls = dataset.classes[int(video.segment_labels[0])] if len(video.segment_labels) else "-"
        ax.set_title(f"{video.name} ({cls})", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 0].legend(loc="best")
    fig.suptitle(title, fontsize=7.5)
    return fig


def _memory_figure(method, model, dataset, title: str, classes_shown: int = 4):
    import matplotlib.pyplot as plt
    import torch

    memory = getattr(model, "memory", None)
    bank = getattr(memory, "features", None)
    if bank is None or bank.dim() != 3:
        raise ConfigError("figure10 needs a class memory bank (rskp use_memory=true, memory_kind=class)")
    counts = np.bincount(np.concatenate([v.segment_labels for v in dataset.test_videos if len(v.segment_labels)]),
                         minlength=dataset.num_classes)
    shown = [int(c) for c in np.argsort(-counts, kind="stable")[:classes_shown]]
    points, labels = [], []
    for video in dataset.test_videos:
        present = [c for c in shown if c in set(int(x) for x in video.segment_labels)]
        if not present:
            continue
        emb = model(torch.as_tensor(video.features, dtype=torch.float32), intra=False).embedded.numpy()
        t = (np.arange(len(emb)) + 0.5) * dataset.snippet_seconds
        for seg, lab in zip(video.segments, video.segment_labels):
            if int(lab) in shown:
                inside = (t >= seg[0]) & (t <= seg[1])
                points.append(emb[inside])
                labels += [int(lab)] * int(inside.sum())
    feats = np.concatenate(points) if points else np.zeros((0, bank.shape[-1]))
    labels = np.array(labels)
    reps = bank.numpy()[shown]  # [classes, slots, d]
    fig, ax = plt.subplots(figsize=(DOUBLE_WIDTH_IN / 2, 2.6))
    fit = np.concatenate([feats, reps.reshape(-1, reps.shape[-1])])
    for i, c in enumerate(shown):
        color = COLORS[i % len(COLORS)]
        ax.scatter(*_pca(feats[labels == c], fit).T, s=3, color=color, alpha=0.35)
        ax.scatter(*_pca(reps[i], fit).T, s=70, marker="*", color=color, edgecolor="black", lw=0.4,
                   label=dataset.classes[c])
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(loc="best", title="stars: memory slots; dots: action snippets", title_fontsize=6)
    ax.set_title(title, fontsize=7.5)
    return fig


def render_qualitative(catalog: Catalog, art: Artifact, layout: Layout, seeds: Sequence[int], pdf: Path,
                       png: Path) -> None:
    seed = seeds[0]
    method, model, dataset, row = _load_run(catalog, art, layout, seed)
    predictions = read_json(layout.predictions(row.experiment, seed, row.variant), "predictions")
    ranked = _ranked_videos(dataset, predictions)
    head = f"{art.name}: {art.source} — {row.experiment} seed {seed} ({layout.dataset}, {layout.scale})"
    renderers = {
        "figure7": lambda: _detections_figure(method, model, dataset, predictions, ranked[:3], head, failure=False),
        "figure8": lambda: _detections_figure(method, model, dataset, predictions, ranked[::-1][:2], head,
                                              failure=True),
        "figure9": lambda: _online_figure(method, model, dataset, ranked[:3], head),
        "figure10": lambda: _memory_figure(method, model, dataset, head),
    }
    if art.name not in renderers:
        raise ConfigError(f"{art.name}: no qualitative renderer (known: {', '.join(renderers)})")
    with figure_style():
        save(renderers[art.name](), pdf, png)
