"""Torch building blocks: encoders, decoders and the module that joins them.

The estimators never build layers themselves; they ask this module for an
encoder and a decoder of the right widths and wrap them in
:class:`AutoEncoderModule`. A latent component sits between the two so that a
variational model only swaps that piece.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
}


def make_mlp(widths: Sequence[int], activation: str) -> nn.Sequential:
    """A stack of linear layers with ``activation`` between them.

    The last layer has no activation: codes and reconstructions of
    standardised data are unbounded, so a linear output is the right match.
    """
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class DeterministicLatent(nn.Module):
    """The code is the encoder's output, in training and at inference."""

    #: How many encoder outputs make one latent dimension.
    outputs_per_dimension = 1

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"z": h}

    def mean(self, h: torch.Tensor) -> torch.Tensor:
        return h


class AutoEncoderModule(nn.Module):
    """Encoder, latent component and decoder.

    ``forward`` returns a dict so that objectives can read whatever they need
    (``"z"``, ``"x_hat"`` and, for a variational latent, its statistics)
    without the module knowing which objective trains it.
    """

    def __init__(
        self, encoder: nn.Module, decoder: nn.Module, latent: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.latent = latent if latent is not None else DeterministicLatent()
        self.decoder = decoder

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic code of ``x`` (the posterior mean for a VAE)."""
        return self.latent.mean(self.encoder(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.latent(self.encoder(x))
        out["x_hat"] = self.decoder(out["z"])
        return out


def dense_autoencoder(
    n_features: int,
    n_components: int,
    hidden_layer_sizes: Sequence[int],
    activation: str,
    latent: nn.Module | None = None,
) -> AutoEncoderModule:
    """A fully connected autoencoder with a mirrored decoder."""
    latent = latent if latent is not None else DeterministicLatent()
    hidden = list(hidden_layer_sizes)
    encoder = make_mlp(
        [n_features, *hidden, n_components * latent.outputs_per_dimension], activation
    )
    decoder = make_mlp([n_components, *reversed(hidden), n_features], activation)
    return AutoEncoderModule(encoder, decoder, latent)
