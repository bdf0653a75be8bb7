"""Latent components: what sits between the encoder's output and the code.

A latent component turns the encoder's output ``h`` into the code ``z`` used
for training (``forward``, which returns a dict of tensors the objective may
read) and into the deterministic code returned by ``transform`` (``mean``).
``outputs_per_dimension`` tells the architecture how wide the encoder's last
layer must be per latent dimension.
"""

from __future__ import annotations

import torch
from torch import nn

#: Bounds on a Gaussian latent's log-variance, so exp() never overflows.
LOGVAR_MIN, LOGVAR_MAX = -12.0, 8.0


class DeterministicLatent(nn.Module):
    """The code is the encoder's (linear) output, in training and at inference."""

    outputs_per_dimension = 1

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"z": h}

    def mean(self, h: torch.Tensor) -> torch.Tensor:
        return h


class ActivatedLatent(DeterministicLatent):
    """A deterministic code passed through ``activation`` (e.g. ReLU or sigmoid codes)."""

    def __init__(self, activation: nn.Module) -> None:
        super().__init__()
        self.activation = activation

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"z": self.activation(h)}

    def mean(self, h: torch.Tensor) -> torch.Tensor:
        return self.activation(h)


class GaussianLatent(nn.Module):
    """A diagonal Gaussian posterior q(z|x) = N(mu, diag(exp(logvar))).

    The encoder outputs ``mu`` and ``logvar`` side by side. In training the
    code is drawn by reparameterisation, ``z = mu + exp(logvar / 2) * eps``;
    at inference the code is the posterior mean.
    """

    outputs_per_dimension = 2

    def split(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(LOGVAR_MIN, LOGVAR_MAX)

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar = self.split(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return {"z": z, "mu": mu, "logvar": logvar}

    def mean(self, h: torch.Tensor) -> torch.Tensor:
        return self.split(h)[0]
