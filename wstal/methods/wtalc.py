"""W-TALC (ECCV 2018) as released (`sujoyp/wtalc-pytorch` `model.py`), layer-exact, for RSKP table7 MACs.

Not a trainable method of the harness: RSKP's table compares its cost with this model's.
FC 2048 -> 2048 + ReLU + Dropout(0.7), then a 2048 -> C classifier per snippet; the
second FC layer of the released file is commented out of `forward()` and is not here.
"""

from __future__ import annotations

import torch
from torch import nn


class WTALC(nn.Module):
    def __init__(self, feature_dim: int = 2048, num_classes: int = 20, dropout: float = 0.7):
        super().__init__()
        self.fc = nn.Linear(feature_dim, feature_dim)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x [B, T, D] -> (embedded features [B, T, D], snippet logits [B, T, C])."""
        features = self.dropout(torch.relu(self.fc(x)))
        return features, self.classifier(features)
