"""Penalties: named loss terms added to the reconstruction term.

Each is a callable ``penalty(module, x_in, out) -> scalar tensor`` where
``module`` is the :class:`~skae._architectures.AutoEncoderModule`, ``x_in`` the
(possibly corrupted) input batch and ``out`` the module's output dict. The net
adds them to the batch-mean reconstruction loss and logs each under its name.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from ._net import TensorData
from ._scaling import ScaledRows
from ._sizing import auto_lr
from ._training_checks import MIN_ROWS_FOR_FAILURE, MIN_STEPS_TO_JUDGE, flatness, training_steps
from ._warnings import warn_after_training

#: A fit whose median training row is reconstructed no better than this
#: share of the error of the features' means: its penalty won over the
#: reconstruction. (A fit of one epoch reconstructs no better than the means.)
MEANS_SHARE = 0.99
#: ... judged in a fit of this many epochs or more: after 2 epochs a healthy
#: model can still reconstruct no better than the means.
PENALTY_WON_EPOCHS = 5
#: ... and, for a penalty, when it makes at least this share of the
#: reconstruction loss in the last epoch.
WON_SHARE = 0.01


def _table(X: object) -> torch.Tensor | ScaledRows | None:
    """The rows the net was given, unwrapped from a dataset of one (None:
    not a table of rows)."""
    if isinstance(X, TensorData):
        X = X.X
    return X if isinstance(X, torch.Tensor | ScaledRows) else None


def _n_rows(X: object) -> int | None:
    """How many rows the net was given (None: not a table of rows)."""
    table = _table(X)
    return None if table is None else len(table)


def checked_rows(X: object, limit: int, min_rows: int) -> torch.Tensor | None:
    """Up to ``limit`` scaled training rows for a check at the end of
    training: ``X`` as the net was given it (a tensor, a dataset of one, or
    rows scaled a batch at a time, which slice to a tensor as a tensor
    does: unwrapped to their raw array, they skipped the checks). None when
    there are fewer than ``min_rows``: a chunk of 50 rows' own means made a
    healthy stream's 27th chunk look no better than the means (a probe)."""
    X = _table(X)
    if X is None or len(X) < min_rows:
        return None
    return X[:limit]


def _mean_floor(criterion, rows: torch.Tensor) -> float:
    """The least the criterion's loss can be on ``rows``, as training averages
    it (its :meth:`~skae._reconstruction.PerFeatureLoss.floor`, over each
    row's observed entries, then over the rows)."""
    with torch.no_grad():
        floor = criterion.floor(rows.float())
        per_row = floor.nanmean(dim=1) if criterion.averages else floor.nansum(dim=1)
        return float(per_row.nanmean())


def inference_outputs(net, rows: torch.Tensor) -> dict:
    """The module's outputs for ``rows`` in eval mode (missing entries filled,
    as :meth:`transform` sees them), its mode restored after."""
    module = net.unwrapped(net.module_)
    was_training = module.training
    module.eval()
    with torch.no_grad():
        out = module(rows)
    module.train(was_training)
    return out


def no_better_than_means(net, rows: torch.Tensor, out: dict) -> bool:
    """Whether the module's reconstructions ``out`` of ``rows`` (its scaled
    training rows, missing entries NaN) are no better than the features'
    means, row by row: in the median row, the error is at least
    ``MEANS_SHARE`` of the means' error. Row by row, and the median row: one
    row of 1e6 in training made the pooled error of the means 0.1 of the
    model's, which reconstructed every other row 14,700 times worse than the
    means (a probe), and the warnings built on this did not come."""
    observed = ~torch.isnan(rows)
    if not observed.any():
        return False
    values = torch.where(observed, rows, 0.0).double()
    centre = values.sum(dim=0) / observed.sum(dim=0).clamp(min=1)
    reference = torch.where(observed, values - centre, 0.0).square().sum(dim=1)
    # The reconstructions, not the decoder's output: under the binary
    # cross-entropy that is logits (and a categorical column's too), and a
    # healthy model was said to be silenced.
    reconstructed = net.unwrapped(net.criterion_).reconstruct(out).double()
    error = torch.where(observed, values - reconstructed, 0.0).square().sum(dim=1)
    return bool(reference.median() > 0.0 and error.median() >= MEANS_SHARE * reference.median())


#: ... or whose reconstructions spread at most this share of the rows' own
#: spread in every feature that varies: a near-constant output close to the
#: means can beat them in the median row by chance (0.97-0.99 of their error
#: on iris, where ``noise_std=50``, ``beta=20`` and ``contraction_weight=100``
#: left reconstructions spread 0.04-0.8% of the data's, silently; a probe).
WON_FLAT_SHARE = 0.02


def flattened(net, rows: torch.Tensor, out: dict, share: float = WON_FLAT_SHARE) -> bool:
    """Whether the reconstructions ``out`` of ``rows`` (scaled training rows)
    spread at most ``share`` of the rows' own standard deviation in every
    feature that varies among them (:func:`~skae._training_checks.flatness`)."""
    return flatness(rows, net.unwrapped(net.criterion_).reconstruct(out)) <= share


class RegulariserWonCheck(Callback):
    """Warn when what keeps a kind from copying its input (a penalty, a
    corruption) won over the reconstruction.

    Too large, it leaves every row about the same code and the features'
    means as its reconstruction. The reconstructions still vary by a
    hundredth of the data's spread, more than the check for flattened
    reconstructions allows, so that warning missed it
    (``contraction_weight=100`` on wine: the error of the means, 0.989 of it
    in the median row; ``noise_std=100`` on the breast-cancer table, 1.001 of
    it; ``beta=4`` on wine, 0.992; all silent, found by probes). Judged in a
    fit of ``PENALTY_WON_EPOCHS`` epochs or more, on up to ``rows`` training
    rows (:func:`no_better_than_means`, or :func:`flattened`).

    Parameters
    ----------
    message : str
        The warning.
    penalty : str or None, default=None
        The history name of a penalty that must make at least ``WON_SHARE``
        of the reconstruction loss (above its least, the data's entropy under
        the cross-entropy) in the last epoch for the check to judge, unless
        it is above 0 and the fit took ``MIN_STEPS_TO_JUDGE`` steps or more:
        a smaller one in a shorter fit may not have held the reconstructions
        at the means, the fit was too short (a probe: 5 epochs on 118 rows of
        wine warned of a contraction that won, at a weight of 0 too, with the
        penalty 0.2% of the loss; a won one is 13% at 100). None for a corruption, which
        adds no term, and for a penalty that is near 0 when it won (the KL
        term of codes left on the prior): the fit must then have taken
        ``MIN_STEPS_TO_JUDGE`` optimiser steps or more (the default denoising
        model's 20 steps on 56 rows of a 19-feature table left the median
        row 0.990 of the means' error; its 40 on 90 rows of wine, 0.886).
    below : tuple of (str, float) or None, default=None
        A history name and a level that its last value must be below for
        the check to judge (the KL term of codes unused).
    rows : int, default=2048
        How many training rows to judge on.
    """

    def __init__(
        self,
        message: str,
        penalty: str | None = None,
        below: tuple[str, float] | None = None,
        rows: int = 2048,
    ) -> None:
        self.message = message
        self.penalty = penalty
        self.below = below
        self.rows = rows

    def on_train_end(self, net, X: object = None, **kwargs) -> None:
        rows = checked_rows(X, self.rows, MIN_ROWS_FOR_FAILURE)
        if rows is None or len(net.history) < PENALTY_WON_EPOCHS:
            return
        last = net.history[-1]
        flat_only = False
        if self.penalty is not None:
            penalty = last.get(f"train_{self.penalty}", np.nan)
            # Above the least the loss can be: the cross-entropy of a perfect
            # reconstruction is the data's entropy. A penalty that won can
            # also have driven itself to near 0 (the contraction of an encoder
            # that maps every row to one code: 0.6% of the loss above the
            # entropy at contraction_weight=10 on digits, silent; a probe):
            # after MIN_STEPS_TO_JUDGE steps a smaller share is judged, by
            # flattened reconstructions alone (a plain model slow to learn is
            # also near the means' error, but its reconstructions vary).
            floor = _mean_floor(net.unwrapped(net.criterion_), rows)
            # A product, not a share: a reconstruction at its floor (a perfect
            # one) divided by zero and failed the fit (a review).
            if not penalty >= WON_SHARE * (last.get("train_reconstruction", np.nan) - floor):
                if not (penalty > 0 and training_steps(net) >= MIN_STEPS_TO_JUDGE):
                    return
                flat_only = True
        elif training_steps(net) < MIN_STEPS_TO_JUDGE:
            return
        if self.below is not None and not last.get(self.below[0], np.nan) < self.below[1]:
            return
        out = inference_outputs(net, rows)
        if (not flat_only and no_better_than_means(net, rows, out)) or flattened(net, rows, out):
            message = self.message
            chunk = getattr(net, "skae_chunk", False)
            if net.lr > auto_lr(net.batch_size, _n_rows(X), chunk=chunk) * (1.0 + 1e-9):
                # A rate above the default can hold the reconstructions at
                # the means by itself: lr=0.3 did so for the denoising kind
                # on the breast-cancer table at noise_std=0 as at its
                # default, and was told of a smaller noise_std alone (a
                # mutation audit).
                message = f"{message[:-1]}, or a lower learning rate than lr={net.lr}."
            # A collapse or flattening that fit reports names the learning
            # rate and every setting that holds the network back; this
            # warning beside it blamed the kind's own at weight_decay=10,
            # which failed alone (an audit).
            warn_after_training(net, message, ConvergenceWarning, yields_to_failure=True)


class L1Sparsity:
    """``weight * mean_i sum_j |z_ij|``: pushes code entries to exactly zero."""

    def __init__(self, weight: float) -> None:
        self.weight = weight

    def __call__(self, module, x_in: torch.Tensor, out: dict) -> torch.Tensor:
        return self.weight * out["z"].abs().sum(dim=1).mean()


class KLSparsity:
    """``weight * sum_j KL(rho || rho_hat_j)`` for codes in (0, 1).

    ``rho_hat_j`` is the mean activation of code unit ``j`` over the batch and
    ``rho`` the target activation rate (Ng, "Sparse autoencoder", 2011).
    """

    def __init__(self, weight: float, target: float) -> None:
        self.weight = weight
        self.target = target

    def __call__(self, module, x_in: torch.Tensor, out: dict) -> torch.Tensor:
        # In float64: a target below float32's range (1e-40, say) became 0 in
        # rho / rho_hat, and 0 * log(0) made every loss NaN. At least float64's
        # smallest normal number: training flushes subnormals (1e-310) to 0.
        rho = max(self.target, float(np.finfo(np.float64).tiny))
        rho_hat = out["z"].mean(dim=0).double().clamp(1e-6, 1 - 1e-6)
        kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
        return (self.weight * kl.sum()).to(out["z"].dtype)


class GaussianKL:
    """``beta * mean_i KL(q(z|x_i) || N(0, I))``, summed over latent dimensions."""

    def __init__(self, beta: float) -> None:
        self.beta = beta

    def __call__(self, module, x_in: torch.Tensor, out: dict) -> torch.Tensor:
        return self.beta * gaussian_kl(out["mu"], out["logvar"]).mean()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Per-sample KL(N(mu, exp(logvar)) || N(0, I)), summed over dimensions."""
    return 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)


def jacobian_frobenius_sq(
    encode, x: torch.Tensor, *, exact: bool, create_graph: bool = True
) -> torch.Tensor:
    """Per-sample squared Frobenius norm of the Jacobian of ``encode`` at ``x``.

    See :func:`code_jacobian_norm_sq`, which this calls on ``encode(x)``.
    """
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        return code_jacobian_norm_sq(encode(x), x, exact=exact, create_graph=create_graph)


def code_jacobian_norm_sq(
    z: torch.Tensor, x: torch.Tensor, *, exact: bool, create_graph: bool = True
) -> torch.Tensor:
    """Per-sample squared Frobenius norm of dz/dx, for codes ``z`` computed
    from ``x`` (which requires grad).

    ``exact=True`` takes one backward pass per code dimension (the rows of the
    Jacobian). ``exact=False`` takes one: with ``v ~ N(0, I)`` in code space,
    ``E ||J^T v||^2 = trace(J J^T) = ||J||_F^2``, an unbiased estimate
    (Hutchinson, 1989). Rows are independent samples, so summing the codes
    over the batch before differentiating gives every row's Jacobian at once.
    """
    if exact:
        total = torch.zeros(len(x), device=x.device, dtype=x.dtype)
        for j in range(z.shape[1]):
            (row,) = torch.autograd.grad(
                z[:, j].sum(), x, create_graph=create_graph, retain_graph=True
            )
            total = total + row.square().sum(dim=1)
        return total
    v = torch.randn_like(z)
    (jtv,) = torch.autograd.grad(z, x, grad_outputs=v, create_graph=create_graph)
    return jtv.square().sum(dim=1)


class Contraction:
    """``weight * mean_i ||J_f(x_i)||_F^2``, the encoder's Jacobian (Rifai et al., 2011).

    In training the net makes the input batch require grad before the forward
    pass (``needs_input_grad``), so the penalty differentiates the codes of
    that pass (``out["z"]``, the encoder's output for the deterministic latent
    a contractive model has) instead of running the encoder a second time.
    Elsewhere (the validation loss) it runs the encoder itself.

    A weight of 0 computes nothing: the term is 0 and no Jacobian is taken,
    so the model is the plain autoencoder's, draw for draw (the stochastic
    estimate's draws shifted the seeded shuffling, and the exact one cost 3x
    the fit for a term multiplied by 0; a review).
    """

    def __init__(self, weight: float, exact: bool) -> None:
        self.weight = weight
        self.exact = exact
        self.needs_input_grad = weight != 0

    def __call__(self, module, x_in: torch.Tensor, out: dict) -> torch.Tensor:
        if self.weight == 0:
            return out["z"].new_zeros(())
        if x_in.requires_grad and out["z"].requires_grad:
            norms = code_jacobian_norm_sq(out["z"], x_in, exact=self.exact)
        else:
            norms = jacobian_frobenius_sq(module.encode, x_in, exact=self.exact)
        return self.weight * norms.mean()
