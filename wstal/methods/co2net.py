"""CO2-Net (ACM MM 2021) as released (`harlanhong/MM2021-CO2-Net`, class `CO2`), layer-exact, for table7 MACs.

Two cross-modal attention modules (RGB guided by flow, flow guided by RGB), a 1x1
fusion convolution and a two-layer convolutional classifier over C + 1 classes, all
channels-first over time. `feat_encoder` is defined but unused in the released
`forward()`; it is kept so the parameter list matches, and costs no MACs.
"""

from __future__ import annotations

import torch
from torch import nn


class CrossModalAttention(nn.Module):
    """`BWA_fusion_dropout_feat_v2`: filter the main modality by a channel x guide-modality gate."""

    def __init__(self, channels: int = 1024, hidden: int = 512):
        super().__init__()
        self.channel_avg = nn.AdaptiveAvgPool1d(1)
        self.channel_conv = nn.Sequential(nn.Conv1d(channels, channels, 3, padding=1), nn.LeakyReLU(0.2),
                                          nn.Dropout(0.5))
        self.bit_wise_attn = nn.Sequential(nn.Conv1d(channels, channels, 3, padding=1), nn.LeakyReLU(0.2),
                                           nn.Dropout(0.5))
        self.attention = nn.Sequential(
            nn.Conv1d(channels, hidden, 3, padding=1), nn.LeakyReLU(0.2), nn.Dropout(0.5),
            nn.Conv1d(hidden, hidden, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv1d(hidden, 1, 1), nn.Dropout(0.5), nn.Sigmoid(),
        )

    def forward(self, main: torch.Tensor, guide: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """main, guide [B, 1024, T] -> (attention [B, 1, T], filtered main features [B, 1024, T])."""
        channel_gate = self.channel_conv(self.channel_avg(main))  # [B, 1024, 1]
        filtered = torch.sigmoid(self.bit_wise_attn(guide) * channel_gate) * main
        return self.attention(filtered), filtered


class CO2Net(nn.Module):
    def __init__(self, feature_dim: int = 2048, num_classes: int = 20):
        super().__init__()
        half = feature_dim // 2
        self.v_attn = CrossModalAttention(half)
        self.f_attn = CrossModalAttention(half)
        self.feat_encoder = nn.Sequential(nn.Conv1d(feature_dim, feature_dim, 3, padding=1), nn.LeakyReLU(0.2),
                                          nn.Dropout(0.7))  # unused in forward(), as released
        self.fusion = nn.Sequential(nn.Conv1d(feature_dim, feature_dim, 1), nn.LeakyReLU(0.2), nn.Dropout(0.7))
        self.classifier = nn.Sequential(
            nn.Dropout(0.7), nn.Conv1d(feature_dim, feature_dim, 3, padding=1), nn.LeakyReLU(0.2), nn.Dropout(0.7),
            nn.Conv1d(feature_dim, num_classes + 1, 1),
        )

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """x [B, T, D] (RGB | flow) -> CAS [B, T, C+1], attention [B, T, 1], fused features [B, T, D]."""
        feat = x.transpose(-1, -2)
        half = feat.shape[1] // 2
        rgb, flow = feat[:, :half], feat[:, half:]
        v_atn, v_feat = self.v_attn(rgb, flow)
        f_atn, f_feat = self.f_attn(flow, rgb)
        fused = self.fusion(torch.cat([v_feat, f_feat], dim=1))
        cas = self.classifier(fused)
        return {"cas": cas.transpose(-1, -2), "attention": ((v_atn + f_atn) / 2).transpose(-1, -2),
                "features": fused.transpose(-1, -2)}
