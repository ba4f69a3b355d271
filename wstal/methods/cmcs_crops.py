"""CMCS on CMCS-layout data (`Video.crops`): crop x offset samples, crop-averaged inference, frame grid.

The hooks in `wstal.methods.cmcs` hand a video to these functions when it carries a
`CropSource`; data without crops (synthetic, W-TALC) never reaches them, so its numbers
do not change. What differs from the plain path, following the released code:

* the sample rate is in frames (`sample_rate`, 0 = the feature kind's released value: UNT 15,
  I3D 16) and sets the offset count f = sample_rate / base_sample_rate (`temporal_stride`
  is for data without frames);
* every training sample is one of B * f crop/offset sequences, drawn per iteration;
* a test video runs through the model crop by crop and every output (CAS, attention, video
  logits, branch logits) is averaged over the crops before any softmax;
* localization interpolates to the video's frames (ticks every `sample_rate` frames, as many
  as have a time in the video), dilates 1.25 snippets in frames, and converts with its fps.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from wstal.data.cmcs_layout.sequences import CropSequences, flow_motion, offset0_view, offset_stride, static_snippets
from wstal.data.hard_negatives import static_mask
from wstal.data.records import Video
from wstal.localize.cmcs import localize_video
from wstal.data.records import Detection

if TYPE_CHECKING:
    from wstal.methods.cmcs import CMCS, TrainSample


def sample_rate_of(method: CMCS, video: Video) -> int:
    return int(method.config.sample_rate) or video.crops.feature_kind.sample_rate


def crop_samples(method: CMCS, sample_class: type[TrainSample]) -> list[TrainSample]:
    """(video, label) samples with weight 1/L and background pseudo videos, all as crop/offset sequences."""
    samples = []
    background = method.num_classes
    for video in method.dataset.train_videos:
        if not video.labels:
            continue
        rate = sample_rate_of(method, video)
        stride = offset_stride(video.crops, rate)
        base = video.crops.load()
        sequences = CropSequences(torch.from_numpy(base), stride, name=video.name)
        labels = sorted(set(video.labels))
        samples += [sample_class(f"{video.name}-{c}", sequences, c, 1.0 / len(labels)) for c in labels]
        if method.config.hard_negatives:
            index = static_snippets(video.crops, base, rate, method.config.hn, sequences.full_length)
            if index is not None:
                pseudo = CropSequences(sequences.base, stride, torch.from_numpy(index), name=video.name)
                samples.append(sample_class(f"{video.name}_bg", pseudo, background, 1.0))
    return samples


def crop_infer(method: CMCS, model: nn.Module, video: Video, masking: bool) -> dict[str, np.ndarray]:
    """Model outputs of the offset-0 sequence of every crop, averaged over the crops."""
    device = next(model.parameters()).device
    rate = sample_rate_of(method, video)
    stride = offset_stride(video.crops, rate)
    base = video.crops.load()
    view = torch.from_numpy(np.ascontiguousarray(offset0_view(base, stride)))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        outs = [model(view[b].to(device)) for b in range(view.shape[0])]
    model.train(was_training)
    mean = {key: torch.stack([o[key] for o in outs]).mean(dim=0) for key in outs[0]}
    probs = torch.softmax(mean["video_logits"], dim=-1)
    result = {
        "cas": mean["cas"].cpu().numpy(),
        "attention": mean["attention"].cpu().numpy(),
        "video_logits": mean["video_logits"].cpu().numpy(),
        "branch_logits": mean["branch_logits"].cpu().numpy(),
        "video_probs": probs.cpu().numpy(),
        "video_scores": probs[: method.num_classes].cpu().numpy(),
    }
    if masking:  # "simply masking" at test: the static selection of this video, no discard rule
        motion = flow_motion(base, stride)
        result["static"] = static_mask(motion, rate / video.crops.fps, method.config.hn)
    return result


def crop_localize(method: CMCS, outputs: dict[str, np.ndarray], video: Video, variant: str) -> list[Detection]:
    """Detections on the video's own frame grid (ticks every sample_rate frames, seconds = frame / fps)."""
    cfg = method.variant_config(variant)
    rate = sample_rate_of(method, video)
    ticks = min(outputs["cas"].shape[0], video.crops.num_ticks(rate))
    static = outputs["static"][:ticks] if cfg.localize.masking else None
    return localize_video(video.name, outputs["cas"][:ticks], outputs["video_probs"], method.num_classes,
                          rate / video.crops.fps, video.duration, replace(cfg.localize, upsample=rate), static)


__all__ = ["crop_samples", "crop_infer", "crop_localize", "sample_rate_of"]
