"""Input corruptions for denoising autoencoders, applied to training batches only.

They act on the internally scaled data, so ``noise_std`` is in units of each
feature's ``scale_`` (its standard deviation, or the shared scale of data on
one fixed scale). Masking an entry makes it missing (NaN): the network fills
it as it fills a missing entry, with the feature's training mean, whatever
the scaling (0 is that mean only where each feature is centred), or, for half
the rows, with its reconstruction of the row at the means
(:class:`~skae._architectures.AutoEncoderModule`).
"""

from __future__ import annotations

import torch


class GaussianNoise:
    """Add ``N(0, std^2)`` noise to every entry."""

    #: Whether the corrupted batch holds NaN for the network to fill.
    makes_missing = False

    def __init__(self, std: float) -> None:
        self.std = std

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x)


class MaskingNoise:
    """Make each entry missing (NaN) with probability ``rate``: the network
    fills it with the feature's training mean, as a missing entry."""

    makes_missing = True

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(torch.rand_like(x) < self.rate, float("nan"))
