"""Per-sample reconstruction losses, used as the skorch criterion.

Each criterion maps the module's output dict and the clean input to one loss
per sample. Training takes the batch mean; ``score_samples`` uses the same
per-sample values, so what the model is trained on and what it scores agree.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SquaredError(nn.Module):
    """Mean squared error over features, per sample, for real-valued data."""

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return (out["x_hat"] - x).square().mean(dim=1)

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return out["x_hat"]


class BinaryCrossEntropy(nn.Module):
    """Mean binary cross-entropy over features, per sample, for data in [0, 1].

    The decoder outputs logits; the sigmoid is applied here (and in
    :meth:`reconstruct`) so the loss is computed in its numerically stable
    form.
    """

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["x_hat"], x, reduction="none").mean(dim=1)

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(out["x_hat"])


RECONSTRUCTION_LOSSES: dict[str, type[nn.Module]] = {
    "squared_error": SquaredError,
    "binary_crossentropy": BinaryCrossEntropy,
}
