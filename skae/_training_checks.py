"""Was training healthy: the checks that end every fit.

Training that blew up raises (:func:`check_not_diverged`); training that
left the network as it started, collapsed its codes or flattened its
reconstructions warns with what to change. Each check compares one forward
pass over a few training rows before and after training
(:func:`reconstruction_error`), so it costs a small share of a fit.
"""

from __future__ import annotations

import math

import torch
from sklearn.exceptions import ConvergenceWarning

from ._warnings import warn_caller

#: Training that ends with the reconstructions of its rows this many times
#: worse than they started (and than the features' means) has diverged.
DIVERGED_RATIO = 10.0
#: ... and this many times worse, a fit that learned nothing usable: warned
#: (a too high learning rate left the denoising kind 5 times, the sparse one
#: 10 times worse than the features' means, without a word).
FAILED_RATIO = 2.0
#: ... measured on at least this many rows: the spread of one row is 0, and a
#: partial_fit of one row warned for healthy models (4 chunks in 30).
MIN_ROWS_FOR_FAILURE = 64
#: A first fit whose training reduced the error of its rows' reconstructions
#: by less than this share left the network as it started (a far too low
#: learning rate: lr=1e-9 gained 1e-8 to 6e-8 on four tables, every kind;
#: lr=1e-5, slow but moving, 0.0015 to 0.007; the default, at least 0.0046,
#: the variational kind on 100 independent columns) ...
UNTRAINED_SHARE = 1e-4
#: ... when it took at least this many optimiser steps: fewer (a fit of 2
#: epochs on 200 rows takes 8) are too few to say.
MIN_STEPS_TO_JUDGE = 50
#: Training rows that test for it (one forward pass before and after): a
#: blow-up is orders of magnitude, which a few rows show (2,048 rows cost 2%
#: of a 15-epoch fit of 10,000 MNIST images at batch 256; 256 cost less).
DIVERGENCE_ROWS = 256
#: Codes that vary by less than this (relative to their size) over those
#: rows are constant: float32 rounding of a live code is far above it.
COLLAPSE_TOLERANCE = 1e-6
#: Codes on at most this many points over rows that hold at least
#: ``FEW_CODES_ROWS`` distinct inputs: the network collapsed to a few points.
FEW_CODES = 8
FEW_CODES_ROWS = 32
#: Reconstructions whose spread is at most this share of the inputs' own in
#: every feature hardly vary: the decoder, or a penalty, flattened them (the
#: deterministic kinds; a variational model of data without structure keeps
#: its codes unused and reconstructs the means, as it should).
FLAT_SHARE = 1e-3
#: ... and this many times flatter than before training (a penalty took
#: them from 5e-3 to 1e-3 and below, a blow-up to 1e-6).
FLATTENED = 4.0


def judged_rows(x):
    """The ``DIVERGENCE_ROWS`` rows of ``x`` the checks judge the network on
    (all of fewer): spread evenly over the table. The first ones judged a
    table sorted with hundreds of like rows first by those alone (a probe:
    300 identical rows first hid a collapse at lr=0.3, and 300 near-identical
    ones warned a healthy fit of collapsed codes; shuffled, both right)."""
    if len(x) <= DIVERGENCE_ROWS:
        return x[: len(x)]
    spread = torch.linspace(0, len(x) - 1, DIVERGENCE_ROWS, dtype=torch.float64)
    return x[spread.round().long()]


def reconstruction_error(
    module: torch.nn.Module, criterion: torch.nn.Module, x
) -> tuple[float, float, float, float]:
    """On :func:`judged_rows` of the scaled ``x`` (observed entries): the
    mean squared error (inf when a reconstruction of an observed entry is
    not finite) of their reconstructions, the mean
    variance of their features (the error of reconstructing every row as the
    features' means), the criterion's mean loss above a perfect
    reconstruction's (0 for a criterion without ``uninformed``), and how flat
    the reconstructions are (:func:`flatness`)."""
    rows = judged_rows(x)
    was_training = module.training, criterion.training
    module.eval()
    criterion.eval()  # a loss may weigh entries otherwise in training
    with torch.inference_mode():
        out = module(rows)
        residual = (criterion.reconstruct(out) - rows).double()
        excess = 0.0
        if getattr(criterion, "uninformed", None) is not None:
            terms = (criterion.per_feature(out, rows) - criterion.floor(rows)).double()
            excess = torch.nanmean(terms).item()
        how_flat = flatness(rows, out["x_hat"])
    module.train(was_training[0])
    criterion.train(was_training[1])
    # The inputs say which entries are observed: a residual's NaN may be a
    # reconstruction's, which training that blew up gives every entry (a
    # probe: lr=1e20 measured an error of 0 and passed this check).
    observed = ~torch.isnan(rows)
    if not observed.any():
        return 0.0, 0.0, 0.0, how_flat
    error = residual[observed].square().mean().item()
    if not math.isfinite(error):
        error = math.inf
    rows = rows.double()
    centred = rows - torch.nanmean(rows, dim=0)
    variance = centred[observed].square().mean().item()
    if len(rows) < MIN_ROWS_FOR_FAILURE:
        # The spread of a few rows about their own mean says little (one
        # row's is 0): how far they lie from the fitted means too. A healthy
        # model's one-row partial_fit was refused as diverged.
        variance = max(variance, rows[observed].square().mean().item())
    return error, variance, excess, how_flat


def flatness(rows: torch.Tensor, x_hat: torch.Tensor) -> float:
    """The largest spread of a feature's reconstructions ``x_hat`` relative to
    the spread of its values in ``rows`` (standard deviations over the rows,
    observed entries; features constant in the rows left out); inf when
    every feature is."""
    inputs = rows.reshape(len(rows), -1).double()
    x_hat = x_hat.reshape(len(rows), -1).double()
    observed = ~torch.isnan(inputs)
    counts = observed.sum(dim=0).clamp(min=1)
    means = torch.where(observed, inputs, 0.0).sum(dim=0) / counts
    spread = (torch.where(observed, inputs - means, 0.0).square().sum(dim=0) / counts).sqrt()
    varying = spread > COLLAPSE_TOLERANCE * means.abs().clamp(min=1.0)
    if not varying.any():
        return math.inf
    return float((x_hat.std(dim=0, correction=0)[varying] / spread[varying]).max())


def collapsed_codes(module: torch.nn.Module, x) -> tuple[int, int, bool]:
    """How far the network collapsed on :func:`judged_rows` of the scaled
    ``x``: the number of codes when every code takes one value
    (within float32 rounding) on all of them, else 0; the number of distinct
    codes when they are at most ``FEW_CODES`` for rows that hold at least
    ``FEW_CODES_ROWS`` distinct inputs, else 0; and whether the
    reconstructions are the same for every row (how flat they are otherwise
    comes with the error, :func:`reconstruction_error`).

    A network whose units all died outputs a constant: its reconstructions
    are no worse than the features' means, so the check on the error alone
    let a learning rate of 0.3 leave the denoising, contractive and
    variational kinds constant without a word. A blow-up can also kill the
    decoder's units alone (lr=1 on the breast-cancer table: live codes, one
    reconstruction for every row), leave the codes on a handful of points (6
    for 200 rows, where a held-out row then scored far below a far outlier),
    or a penalty flatten the reconstructions to a thousandth of the data's
    spread; independent probes found each without a warning."""
    rows = judged_rows(x)
    was_training = module.training
    module.eval()  # the codes of transform (a VAE's posterior mean)
    with torch.inference_mode():
        out = module(rows)
    module.train(was_training)
    z = out["z"].reshape(len(rows), -1)
    n_codes = z.shape[1] if constant_columns(z) else 0
    points = 0
    if not n_codes:
        n_points = len(torch.unique(z, dim=0))
        if n_points <= FEW_CODES and len(torch.unique(rows.reshape(len(rows), -1), dim=0)) >= (
            FEW_CODES_ROWS
        ):
            points = n_points
    return n_codes, points, constant_columns(out["x_hat"].reshape(len(rows), -1))


def constant_columns(values: torch.Tensor) -> bool:
    """Whether every column takes one value, within float32 rounding, on
    every row."""
    values = values.double()
    span = values.amax(dim=0) - values.amin(dim=0)
    return bool((span <= COLLAPSE_TOLERANCE * values.abs().amax(dim=0).clamp(min=1.0)).all())


def training_steps(net) -> int:
    """The optimiser steps ``net``'s history records (every epoch's)."""
    return sum(row.get("train_batch_count", 0) for row in net.history)


def check_trained(
    x, before: tuple[float, float, float, float], after: float, steps: int, lr: float
) -> bool:
    """Warn when a first fit of at least ``MIN_STEPS_TO_JUDGE`` optimiser
    steps on at least ``MIN_ROWS_FOR_FAILURE`` rows left the reconstruction
    error of the training rows within ``UNTRAINED_SHARE`` of where it
    started, either way: the network is as it was initialised (lr=1e-9
    returned a random network, silently). Training that moves the weights at
    all gains more than that, on data with structure or none. Returns
    whether it warned."""
    start = before[0]
    if steps < MIN_STEPS_TO_JUDGE or not start > 0.0 or len(x) < MIN_ROWS_FOR_FAILURE:
        return False
    # Unchanged both ways: an error that grew moved the network (a too high
    # rate: lr=0.3 on wine, 1.76 times worse, was told to go higher).
    if abs(after - start) < UNTRAINED_SHARE * start:
        warn_caller(
            f"Training reduced the reconstruction error of the training rows by "
            f"{100 * (1 - after / start):.2g}% in {steps} steps (mean squared error in the "
            f"scaled units, {start:.6g} before, {after:.6g} after): the network is as it "
            f"started, untrained. Try a higher learning rate than lr={lr}.",
            ConvergenceWarning,
        )
        return True
    return False


def check_not_diverged(
    module: torch.nn.Module,
    criterion: torch.nn.Module,
    x,
    before: tuple[float, float, float, float],
    after_training: tuple[float, float, float, float],
    lr: float,
    flat_share: float = FLAT_SHARE,
    held_back_by: str = "",
) -> bool:
    """Raise a FloatingPointError when training made the reconstructions of
    the training rows ``DIVERGED_RATIO`` times worse than they were before it,
    and than reconstructing each row as the features' means: a run that blew
    up without reaching inf (lr=10 gave losses of 1e8 and finite, useless
    outputs). Reconstructions squeezed into [0, 1] (binary cross-entropy)
    cannot get far from anything, so their loss is compared too: with the
    loss before training and with that of an output that knows nothing
    (probability 1/2 everywhere, log 2 above a perfect reconstruction).

    Reconstructions whose spread is at most ``flat_share`` of the inputs'
    in every feature, and ``FLATTENED`` times flatter than before training,
    are reported as flattened (0 reports only ones that are the same for
    every row). A network starts flat (a convolutional one spreads them by
    1e-4 to 7e-4 of the rows' own in its first epoch on iris and two moons,
    and a second epoch can flatten them by a tenth): training that has not
    yet spread them is not a failure.

    ``before`` and ``after_training`` are :func:`reconstruction_error` of
    the network before and after training; ``held_back_by`` names the
    settings that pull the network towards a constant (``"weight_decay"``,
    a kind's penalty weight), for the advice. Returns whether a
    ConvergenceWarning said that training failed (a collapse, or
    reconstructions worse than the means)."""
    after, variance, excess, how_flat = after_training
    reference = max(before[0], variance)
    if not math.isfinite(after):
        raise FloatingPointError(
            "Training diverged: the reconstructions of the training rows are not finite "
            f"(NaN or infinite) at the end of training. Try a lower learning rate than lr={lr}."
        )
    if after > DIVERGED_RATIO * reference > 0.0:
        raise FloatingPointError(
            f"Training diverged: the reconstructions of the training rows ended "
            f"{after / reference:.3g} times further from them (mean squared error in the "
            f"scaled units) than before training or than the features' means. Try a lower "
            f"learning rate than lr={lr}."
        )
    # A collapse of the codes first: its reconstructions may also be worse
    # than the means, and it is the more specific diagnosis. A decoder that
    # collapsed far from the means says so in the second message already.
    # A probe: weight_decay=10 was told of a lower rate or wider layers, and
    # an AutoEncoder of "a smaller penalty", which it has none of.
    smaller = f", or a smaller {held_back_by}" if held_back_by else ""
    n_codes, points, same, flat = 0, 0, False, False
    if variance > 0.0 and len(x) >= MIN_ROWS_FOR_FAILURE:
        n_codes, points, same = collapsed_codes(module, x)
        flat = same or how_flat <= min(flat_share, before[3] / FLATTENED)
    worse = after > FAILED_RATIO * reference > 0.0 and len(x) >= MIN_ROWS_FOR_FAILURE
    if n_codes:
        warn_caller(
            f"Every one of the {n_codes} codes takes one value on every training row "
            "at the end of training (the network collapsed): transform returns a "
            "constant, the reconstructions are the same for every row, and the "
            f"scores rank rows by their distance from it. Try a lower learning rate "
            f"than lr={lr}{smaller}.",
            ConvergenceWarning,
        )
    elif worse:
        warn_caller(
            f"Training made the reconstructions of the training rows {after / reference:.3g} "
            "times worse (mean squared error in the scaled units) than before training and "
            "than the features' means: the model learned nothing usable. Try a lower "
            f"learning rate than lr={lr}.",
            ConvergenceWarning,
        )
    elif points:
        warn_caller(
            f"The codes take only {points} distinct values on the training rows checked "
            f"({DIVERGENCE_ROWS} at most, spread over the table) at the end of training "
            "(the network collapsed to a few points): transform maps different rows "
            "to the same code, and the scores of new rows are "
            f"unreliable. Try a lower learning rate than lr={lr}{smaller}.",
            ConvergenceWarning,
        )
    elif same:
        warn_caller(
            "Every training row has the same reconstruction at the end of training "
            "(the decoder collapsed): inverse_transform returns one row whatever the "
            "codes, and the scores rank rows by their distance from it. Try a lower "
            f"learning rate than lr={lr}{smaller}, or wider hidden_layer_sizes (a layer "
            "of a few ReLU units can be dead from the start, at any learning rate).",
            ConvergenceWarning,
        )
    elif flat:
        warn_caller(
            "The reconstructions of the training rows hardly vary at the end of training "
            f"(in every feature, their spread is at most {how_flat:.2g} times the rows' "
            "own): the decoder, or a penalty, flattened them, so inverse_transform "
            "returns nearly one row whatever the codes, and the scores rank rows by "
            f"their distance from it. Try a lower learning rate than lr={lr}{smaller}.",
            ConvergenceWarning,
        )
    failed = bool(n_codes) or worse or bool(points) or flat
    uninformed = getattr(criterion, "uninformed", None)
    if uninformed is None:
        return failed
    reference = max(before[2], uninformed)
    if not math.isfinite(excess) or excess > DIVERGED_RATIO * reference:
        raise FloatingPointError(
            f"Training diverged: the loss on the training rows ended {excess:.3g} nats per "
            f"entry above a perfect reconstruction's, {excess / reference:.3g} times that "
            f"before training or of an output that knows nothing. Try a lower learning "
            f"rate than lr={lr}."
        )
    return failed
