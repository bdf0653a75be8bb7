"""Input corruptions for denoising autoencoders, applied to training batches only.

They act on the internally scaled data, so ``noise_std`` is in units of each
feature's ``scale_`` (its standard deviation, or the shared scale of data on
one fixed scale), and masking a feature (setting it to zero)
replaces it by its training mean.
"""

from __future__ import annotations

import torch


class GaussianNoise:
    """Add ``N(0, std^2)`` noise to every entry."""

    def __init__(self, std: float) -> None:
        self.std = std

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x)


class MaskingNoise:
    """Set each entry to zero (the feature's mean) with probability ``rate``."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x * (torch.rand_like(x) >= self.rate)
