"""Per-sample reconstruction losses, used as the skorch criterion.

Each criterion maps the module's output dict and the clean input to one loss
per sample. Training takes the batch mean; ``score_samples`` uses the same
per-sample values, so what the model is trained on and what it scores agree.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

#: Bounds on the learned log standard deviation of a Gaussian decoder, in units
#: of the feature's standard deviation: a (near-)constant feature cannot drive
#: the likelihood to infinity.
LOG_SCALE_MIN, LOG_SCALE_MAX = -5.0, 3.0


class PerFeatureLoss(nn.Module):
    """A loss computed per feature, then averaged (or summed) over features.

    ``masked`` (set at fit when the training data have missing entries)
    leaves out the NaN terms of missing entries: the mean is over a row's
    observed entries, the sum is the likelihood of the observed entries
    alone. Complete data skip the masking, which costs a pass per batch.
    """

    #: Mean over features (True) or sum (False, for log-likelihoods).
    averages = True

    def __init__(self) -> None:
        super().__init__()
        self.masked = False

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        if not self.masked:
            terms = self.per_feature(out, x)
            return terms.mean(dim=1) if self.averages else terms.sum(dim=1)
        # The terms of a filled target, then zeroed: a NaN term, even zeroed
        # afterwards, would make the gradient NaN.
        missing = torch.isnan(x)
        terms = self.per_feature(out, torch.nan_to_num(x, nan=0.0)).masked_fill(missing, 0.0)
        total = terms.sum(dim=1)
        if not self.averages:
            return total
        return total / (~missing).sum(dim=1).clamp(min=1)


class SquaredError(PerFeatureLoss):
    """Mean squared error over features, per sample, for real-valued data."""

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return (out["x_hat"] - x).square()

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return out["x_hat"]


class BinaryCrossEntropy(PerFeatureLoss):
    """Mean binary cross-entropy over features, per sample, for data in [0, 1].

    The decoder outputs logits; the sigmoid is applied here (and in
    :meth:`reconstruct`) so the loss is computed in its numerically stable
    form.
    """

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["x_hat"], x, reduction="none")

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(out["x_hat"])


class GaussianNLL(PerFeatureLoss):
    """Negative log-likelihood of x under N(x_hat, diag(sigma^2)), per sample, in nats.

    ``sigma`` is one learned standard deviation per feature, so the decoder is
    a proper density and the loss is comparable with probabilistic PCA's.
    """

    averages = False

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(n_features))

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        log_scale = self.log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
        z = (x - out["x_hat"]) * torch.exp(-log_scale)
        # log_scale + log(2 pi) / 2 + z^2 / 2 in one pass over the batch.
        return torch.addcmul(log_scale + 0.5 * math.log(2 * math.pi), z, z, value=0.5)

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return out["x_hat"]


class BernoulliNLL(PerFeatureLoss):
    """Negative log-likelihood of x in [0, 1] under Bernoulli(sigmoid(logits)), in nats."""

    averages = False

    def __init__(self, n_features: int) -> None:
        super().__init__()

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["x_hat"], x, reduction="none")

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(out["x_hat"])


#: The decoder likelihoods of a variational autoencoder, by ``loss``.
LIKELIHOODS: dict[str, type[nn.Module]] = {
    "squared_error": GaussianNLL,
    "binary_crossentropy": BernoulliNLL,
}

RECONSTRUCTION_LOSSES: dict[str, type[nn.Module]] = {
    "squared_error": SquaredError,
    "binary_crossentropy": BinaryCrossEntropy,
}
