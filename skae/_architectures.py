"""Torch building blocks: encoders, decoders and the module that joins them.

The estimators never build layers themselves; they ask this module for an
encoder and a decoder (dense or convolutional) and wrap them in
:class:`AutoEncoderModule`. A latent component (:mod:`skae._latent`) sits
between the two, so a variational or sparse model only swaps that piece and
any objective works with any architecture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from ._latent import DeterministicLatent

#: The share of a training batch's rows whose missing entries the encoder
#: reads as the network's reconstruction of them (the others: as the means).
REFILL_SHARE = 0.5
#: How many fills inference tries for a row's missing entries: the network's
#: reconstruction of the row at its means, then of the row so filled, and so
#: on; each row keeps the one whose reconstruction is nearest its observed
#: entries (:meth:`AutoEncoderModule._refilled`). One pass left a missing
#: payment channel partly at its mean, and the observed card flag that goes
#: with it reconstructed from that blend; repeated blindly, a fill could
#: drift from what is observed instead. Measured in
#: ``benchmarks/results/refill_passes.md``.
INFERENCE_REFILL_PASSES = 3
#: Rows the encoder and the decoder compute at least, outside training: fewer
#: are padded with copies of the last one. For a few rows the BLAS picks other
#: kernels (rows 1-3 on one thread, up to 11 on two, measured on float32
#: layers), whose results differ in the last bits, so that a row's codes and
#: score depended on the rows scored with it (scikit-learn's
#: ``check_methods_subset_invariance``); from 12 rows on, a row's result was
#: the same at every batch size and thread count. Only networks of layers
#: that compute each row alone (``ROW_WISE_LAYERS``) are padded: a batch
#: normalisation on the batch's own statistics (a subclass's) would be
#: computed otherwise.
MIN_INFERENCE_ROWS = 16

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "gelu": nn.GELU,
}
#: The layers skae builds, each computing every row on its own.
ROW_WISE_LAYERS = (
    nn.Sequential,
    nn.Linear,
    nn.Conv2d,
    nn.ConvTranspose2d,
    nn.Flatten,
    nn.Unflatten,
    *ACTIVATIONS.values(),
)


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


class AutoEncoderModule(nn.Module):
    """Encoder, latent component and decoder.

    ``forward`` returns a dict so that objectives can read whatever they need
    (``"z"``, ``"x_hat"`` and, for a variational latent, its statistics)
    without the module knowing which objective trains it.

    Outside training, the encoder sees each input feature clipped to the
    range it had in the training data (the buffers ``input_low`` and
    ``input_high``, set by :meth:`extend_input_range`; unbounded until then).
    The network was fitted on that range only: a value beyond it, noise on a
    near-constant feature say, would otherwise be amplified by weights that
    nothing constrained. The reconstruction is still compared with the
    unclipped input, so a value out of range shows in the error in full.

    The encoder's input is also multiplied by ``input_gain`` (ones unless
    :meth:`set_input_gain` sets it; :func:`skae._scaling.input_gain`), which
    attenuates near-constant features, in training too.

    A missing entry (NaN) is first filled with its feature's training mean.
    In training, half the rows of each batch (:data:`REFILL_SHARE`, drawn
    afresh) have their missing entries filled instead with the network's
    reconstruction of the row at its means (one pass without gradients), so
    that the encoder also learns rows that look complete. Trained on
    mean-filled rows only, the encoder of a table missing 30% of its entries
    had never seen a complete row: on 50 and 100 correlated columns, new
    complete rows were flagged at 14% and 73% with ``contamination=0.05``
    (``benchmarks/results/complete_rows.md``). Filling every training row so
    lost detection on the incomplete ADBench tables (0.716 to 0.711 at 30%
    missing); half the rows did not.

    Outside training every row with a missing entry is read so, filled with
    the reconstruction at its means (``refill_inference``, a buffer, so that
    a model saved before it scores as it did). Read at the means, a row whose
    missing entry goes with an observed one (a payment's channel and whether
    the card was present) was reconstructed as a blend of both channels, and
    its observed flag counted against it: normal payments missing their
    channel or flag were flagged 3 times as often as complete ones, 1.6
    times with the refill (2.3 for the variational kind, 1.25 once its score
    added the missing columns' typical terms: ``missing_terms_``); the ADBench
    tables' detection did not move (``benchmarks/results/missing_refill.md``).
    The refill is repeated, each pass from the last one's fill, and each row
    keeps the fill whose reconstruction is nearest its observed entries
    (``refill_passes``, :data:`INFERENCE_REFILL_PASSES`; :meth:`_refilled`).
    :meth:`set_output_map` gives the map from the decoder's output to the
    input's units (the loss's ``reconstruct``); without one, none is filled so.
    """

    def __init__(
        self,
        encoder: nn.Module,
        decoder: nn.Module,
        latent: nn.Module | None = None,
        n_features: int | None = None,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.latent = latent if latent is not None else DeterministicLatent()
        self.decoder = decoder
        shape = (n_features,) if n_features is not None else ()
        #: Whether training batches may hold NaN (set at fit): filling them
        #: costs a pass over each batch, spared when the data are complete.
        self.fill_missing = False
        self.register_buffer("input_low", torch.full(shape, -math.inf))
        self.register_buffer("input_high", torch.full(shape, math.inf))
        self.register_buffer("input_gain", torch.ones(shape))
        #: What a missing entry is filled with: the feature's training mean in
        #: the scaled units (0 when the scaling centres each feature).
        self.register_buffer("input_fill", torch.zeros(shape))
        #: Whether inference fills missing entries with the reconstruction
        #: at the means, as training does half the rows (off in a model saved
        #: before it: its missing-entry calibration was fitted without).
        self.register_buffer("refill_inference", torch.tensor(True))
        #: How many fills it tries (``INFERENCE_REFILL_PASSES``; 1 in a model
        #: saved before they were repeated: its calibration was fitted so).
        self.register_buffer("refill_passes", torch.tensor(INFERENCE_REFILL_PASSES))
        #: Whether ``input_gain`` differs from 1 (spares the multiplication).
        self.attenuate = False
        #: The map from the module's output to the input's units that fills
        #: missing entries in training (:meth:`set_output_map`).
        self.output_map: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None
        # Models saved before the buffers existed load with the range
        # unbounded and a gain of one.
        self._register_load_state_dict_pre_hook(_defaults_if_missing, with_module=True)

    @torch.no_grad()
    def size_input(self, n_features: int) -> None:
        """Give the input side's buffers one entry per feature: a module built
        without ``n_features`` has them 0-d, which no feature's range fits.

        Raises
        ------
        ValueError
            If the module was built for another number of features.
        """
        shape = tuple(self.input_low.shape)
        if shape == (n_features,):
            return
        if shape:
            raise ValueError(
                f"The AutoEncoderModule was built with n_features={shape[0]}, "
                f"but the data have {n_features} features (encoded columns)."
            )
        for name in ("input_low", "input_high", "input_gain", "input_fill"):
            self.register_buffer(name, getattr(self, name).expand(n_features).clone())

    @torch.no_grad()
    def extend_input_range(self, x: torch.Tensor, *, reset: bool) -> None:
        """Widen the clipping range to cover the rows of ``x`` (or set it to
        theirs, with ``reset``)."""
        if isinstance(x, torch.Tensor) and torch.isnan(x.sum()):
            # Missing entries: the range of the observed ones.
            low = torch.nan_to_num(x, nan=math.inf).amin(dim=0)
            high = torch.nan_to_num(x, nan=-math.inf).amax(dim=0)
        else:
            low, high = x.amin(dim=0), x.amax(dim=0)
        # A feature with none observed gets [0, 0]. A missing entry is
        # filled with its feature's training mean (``input_fill``), which
        # lies in the range. (The range once reached 0 too, when 0 was the
        # fill: with scaling="none", data in [5, 10] then let inputs down to
        # 0 through unclipped.)
        low = torch.nan_to_num(low, nan=0.0, posinf=0.0)
        high = torch.nan_to_num(high, nan=0.0, neginf=0.0)
        if "input_low" not in self._buffers:  # pickled before the range existed
            self.register_buffer("input_low", torch.full_like(low, -math.inf))
            self.register_buffer("input_high", torch.full_like(high, math.inf))
        if not reset:
            low, high = torch.minimum(low, self.input_low), torch.maximum(high, self.input_high)
        self.input_low.copy_(low)
        self.input_high.copy_(high)

    @torch.no_grad()
    def set_input_gain(self, gain: torch.Tensor | None) -> None:
        """Set the encoder's per-feature input gain (None: ones)."""
        if "input_gain" not in self._buffers:  # pickled before the gain existed
            self.register_buffer("input_gain", torch.ones_like(self.input_low))
        self.attenuate = gain is not None
        self.input_gain.copy_(torch.ones_like(self.input_gain) if gain is None else gain)

    @torch.no_grad()
    def set_input_fill(self, fill: torch.Tensor | None) -> None:
        """Set the value each feature's missing entries are filled with (None: 0)."""
        if "input_fill" not in self._buffers:  # pickled before the fill existed
            self.register_buffer("input_fill", torch.zeros_like(self.input_low))
        self.input_fill.copy_(torch.zeros_like(self.input_fill) if fill is None else fill)

    def set_output_map(self, output_map: Callable[[dict], torch.Tensor] | None) -> None:
        """Set the map from the module's output to reconstructions in the
        input's units (a loss's ``reconstruct``) with which training fills the
        missing entries of half the rows; None for the means only."""
        self.output_map = output_map

    def bound(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` clipped to the training range, outside training."""
        # A module pickled before the range existed has no buffers: unbounded.
        if self.training or "input_low" not in self._buffers:
            return x
        return torch.clamp(x, self.input_low, self.input_high)

    def encoder_output(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's raw output for ``x`` (clipped outside training), before
        the latent component reads it (a VAE's mean and log-variance)."""
        return self._filled_encoder_output(x)[0]

    def _filled_encoder_output(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """:meth:`encoder_output`, and which entries of ``x`` were missing and
        filled (None where none were looked for: training on complete rows)."""
        missing = None
        if self.fill_missing or not self.training:
            # A missing entry (NaN) is filled with the feature's training
            # mean (``input_fill``, 0 once standardised); the loss leaves it
            # out. (Not nan_to_num: no infinity gets here, and an exported
            # graph then tests each entry once, not three times.)
            x, missing = self._mean_filled(x)
            output_map = getattr(self, "output_map", None)  # None if pickled before it
            # Cheapest test first: reading a buffer or ``missing.any()`` on a
            # GPU waits for the device.
            if (
                output_map is not None
                and (self.training or self._refills_inference())
                and bool(missing.any())
            ):
                if self.training:
                    with torch.no_grad():
                        refill = output_map(self._inference_output(self._encoded(x)))
                    rows = torch.rand(len(x), 1, device=x.device) < REFILL_SHARE
                    missing_refilled = missing & rows
                else:
                    refill = self._refilled(x, missing, output_map)
                    missing_refilled = missing
                # Outside no_grad: the codes stay differentiable in the
                # observed entries (the contractive penalty's Jacobian).
                x = torch.where(missing_refilled, refill, x)
        return self._encoded(x), missing

    def output_at_means(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The output outside training for ``x``, each missing entry read as
        its feature's training mean only (not refilled): from what
        ``explain`` predicts a column it masks. (Refilled there too, its hit
        rates moved by -0.02 to +0.08 over the tables of
        ``benchmarks/explain.py``, for a third more passes.)"""
        return self._inference_output(self._encoded(self._mean_filled(x)[0]))

    def _mean_filled(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``x`` with each missing entry (NaN) set to its feature's training
        mean, and the mask of those entries."""
        missing = torch.isnan(x)
        fill = self._buffers.get("input_fill")  # None if pickled before it
        if fill is None:
            return x.masked_fill(missing, 0.0), missing
        return torch.where(missing, fill, x), missing

    def _refilled(
        self,
        x: torch.Tensor,
        missing: torch.Tensor,
        output_map: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    ) -> torch.Tensor:
        """What fills the missing entries of ``x`` (read at the means): the
        network's reconstruction of the row, then of the row so filled, and
        so on, ``refill_passes`` fills in all (:data:`INFERENCE_REFILL_PASSES`);
        per row, the one whose own reconstruction is nearest the observed
        entries. The first fill is kept unless a later one explains them
        better: repeated blindly, a fill can drift from them (a payment's
        missing card flag drifted to "present", and its observed channel,
        online, was then reconstructed as a store's)."""
        passes = self._buffers.get("refill_passes")  # None if pickled before it
        passes = 1 if passes is None else int(passes)
        with torch.no_grad():
            refill = output_map(self._inference_output(self._encoded(x)))
            if passes <= 1:
                return refill
            best, best_error = refill, None
            for _ in range(passes):
                filled = torch.where(missing, refill, x)
                again = output_map(self._inference_output(self._encoded(filled)))
                error = (again - x).masked_fill(missing, 0.0).square().sum(dim=1)
                if best_error is None:
                    best_error = error
                else:
                    better = error < best_error
                    best = torch.where(better[:, None], refill, best)
                    best_error = torch.where(better, error, best_error)
                refill = again
        return best

    def _refills_inference(self) -> bool:
        """Whether inference refills missing entries (False for a model
        pickled before the buffer existed: it scores as it did then)."""
        return bool(self._buffers.get("refill_inference", False))

    def _inference_output(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """The output :meth:`forward` gives outside training for the encoder's
        output ``h``: the latent's dict at its mean code, and ``x_hat``."""
        # The latent alone out of training: a VAE's code is its mean, and no
        # noise is drawn from the seeded generator.
        training = self.latent.training
        self.latent.train(False)
        try:
            out = self.latent(h)
        finally:
            self.latent.train(training)
        out["x_hat"] = self._rows(self.decoder, out["z"])
        return out

    def _rows(self, layers: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """``layers(x)``; outside training (and tracing, whose graph must not
        hold the padding), a batch of fewer than ``MIN_INFERENCE_ROWS`` rows
        is computed padded with copies of its last row, when every layer
        computes each row alone."""
        n = len(x)
        if self.training or n == 0 or n >= MIN_INFERENCE_ROWS or torch.jit.is_tracing():
            return layers(x)
        if not all(type(m) in ROW_WISE_LAYERS for m in layers.modules()):
            return layers(x)
        padding = x[-1:].expand(MIN_INFERENCE_ROWS - n, *x.shape[1:])
        return layers(torch.cat([x, padding]))[:n]

    def _encoded(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's output for ``x`` with no entry missing."""
        x = self.bound(x)
        if getattr(self, "attenuate", False):
            x = x * self.input_gain
        return self._rows(self.encoder, x)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic code of ``x`` (the posterior mean for a VAE)."""
        return self.latent.mean(self.encoder_output(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self._rows(self.decoder, z)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, missing = self._filled_encoder_output(x)
        out = self.latent(h)
        out["x_hat"] = self._rows(self.decoder, out["z"])
        if missing is not None:
            # What a loss on the entries a masking corruption hid reads (those
            # missing here but observed in the clean rows the loss gets).
            out["missing"] = missing
        return out


def _defaults_if_missing(module, state_dict, prefix, *args) -> None:
    for name in ("input_low", "input_high", "input_gain", "input_fill"):
        if prefix + name not in state_dict:
            state_dict[prefix + name] = getattr(module, name).clone()
    if prefix + "refill_inference" not in state_dict:
        # Saved before inference refilled: it scores as it did.
        state_dict[prefix + "refill_inference"] = torch.tensor(False)
    if prefix + "refill_passes" not in state_dict:
        # Saved before the fills were repeated: one, as then.
        state_dict[prefix + "refill_passes"] = torch.tensor(1)
    # The flag is not in the state: a gain other than one switches it on.
    module.attenuate = bool(torch.any(state_dict[prefix + "input_gain"] != 1.0))


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
    return AutoEncoderModule(encoder, decoder, latent, n_features)


def _conv_output_size(size: int) -> int:
    # Conv2d(kernel_size=3, stride=2, padding=1) halves a size, rounding up.
    return (size + 1) // 2


def conv_autoencoder(
    image_shape: tuple[int, int, int],
    n_components: int,
    channels: Sequence[int],
    activation: str,
    latent: nn.Module | None = None,
) -> AutoEncoderModule:
    """A convolutional autoencoder for flattened ``(C, H, W)`` images.

    The encoder is a stack of strided 3x3 convolutions with ``channels``
    filters, each halving the height and width (rounding up), then a linear
    layer to the code. The decoder mirrors it with transposed convolutions
    whose ``output_padding`` restores the exact sizes, so any image size
    works, powers of two or not. Inputs and outputs are 2-D
    ``(n_samples, C * H * W)`` tensors, as in a scikit-learn pipeline.
    """
    latent = latent if latent is not None else DeterministicLatent()
    n_channels, height, width = image_shape
    widths = [n_channels, *channels]
    sizes = [(height, width)]
    for _ in channels:
        h, w = sizes[-1]
        sizes.append((_conv_output_size(h), _conv_output_size(w)))
    flat = widths[-1] * sizes[-1][0] * sizes[-1][1]

    encoder: list[nn.Module] = [nn.Unflatten(1, tuple(image_shape))]
    for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
        encoder += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), ACTIVATIONS[activation]()]
    encoder += [nn.Flatten(), nn.Linear(flat, n_components * latent.outputs_per_dimension)]

    decoder: list[nn.Module] = [nn.Linear(n_components, flat)]
    if channels:
        # Without convolutions this layer makes the output, which must stay
        # linear (a ReLU there held half the reconstructions at the mean).
        decoder.append(ACTIVATIONS[activation]())
    decoder.append(nn.Unflatten(1, (widths[-1], *sizes[-1])))
    for i in range(len(channels), 0, -1):
        (h_in, w_in), (h_out, w_out) = sizes[i], sizes[i - 1]
        padding = (h_out - (2 * h_in - 1), w_out - (2 * w_in - 1))
        decoder.append(
            nn.ConvTranspose2d(
                widths[i], widths[i - 1], 3, stride=2, padding=1, output_padding=padding
            )
        )
        if i > 1:
            decoder.append(ACTIVATIONS[activation]())
    decoder.append(nn.Flatten())
    return AutoEncoderModule(
        nn.Sequential(*encoder), nn.Sequential(*decoder), latent, math.prod(image_shape)
    )
