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

import numpy as np
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
    fills it with the feature's training mean, as a missing entry.

    With ``columns``, the input column of each encoded entry, a categorical
    column's one-hot entries are hidden together, as a missing category
    reaches the network. Hidden one at a time, the entries left gave the
    category away: at a rate of 0.25 a column of two categories was wholly
    hidden in 6% of the rows (0.25 squared), and the imputer learned little
    of filling a missing category (per-column masking raised the share of hidden
    categories it filled right on two mixed tables at 10%, 20% and 30%
    missing, ``benchmarks/results/categorical_masking.md``).
    """

    makes_missing = True

    def __init__(self, rate: float, columns: np.ndarray | None = None) -> None:
        self.rate = rate
        self.columns = None if columns is None else torch.as_tensor(columns, dtype=torch.long)
        # Counted once: read from a tensor on a GPU, each batch would wait on it.
        self.n_columns = 0 if columns is None else int(np.max(columns)) + 1
        self._on_device = self.columns

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.columns is None:
            hide = torch.rand_like(x) < self.rate
        else:
            if self._on_device.device != x.device:  # moved once, not every batch
                self._on_device = self.columns.to(x.device)
            draws = torch.rand((len(x), self.n_columns), dtype=x.dtype, device=x.device)
            hide = (draws < self.rate)[:, self._on_device]
        return x.masked_fill(hide, float("nan"))

    def __getstate__(self) -> dict:
        # The copy on the training device stays behind: a model pickled after
        # a GPU fit held a CUDA tensor that skorch's device mapping does not
        # reach (the corruption is no module), and a CPU machine could not
        # load it (a probe).
        state = dict(vars(self))
        state["_on_device"] = self.columns
        return state
