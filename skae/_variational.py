"""Variational autoencoder: a latent-variable density model with a N(0, I) prior."""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions, validate_parameter_constraints
from skorch.callbacks import Callback
from torch import nn

from ._base import BaseAutoEncoder, _finite, _subset_rows
from ._docs import fill_doc
from ._latent import GaussianLatent
from ._locking import reading
from ._net import Penalty
from ._penalties import GaussianKL, RegulariserWonCheck, gaussian_kl
from ._reconstruction import LIKELIHOODS
from ._sizing import VARIATIONAL_MAX_EPOCHS

#: Draws of eps that estimate the ELBO's expectation when n_importance_samples=1.
ELBO_DRAWS = 8
#: The largest ``n_importance_samples``: a million draws of 32 codes hold 256 MB
#: of fixed noise; the bound stops tightening measurably long before.
MAX_IMPORTANCE_SAMPLES = 10**6
#: The KL divergence of the posterior from the prior, in nats per row over
#: all codes, below which the codes count as unused: early stopping does not
#: count an epoch that ends there. A binary table of strong structure sat at
#: 0.002 to 0.004 for tens of epochs before its codes grew past 0.01 and the
#: held-out loss fell by a sixth; a code in use carries a nat or more.
UNUSED_CODES_KL = 0.05
#: Training rows (at most) whose terms give ``missing_terms_``: a mean of each
#: column's term, which a few thousand rows estimate well, at one pass.
MISSING_TERM_ROWS = 4096


@functools.lru_cache(maxsize=32)
def _fixed_draws(n_draws: int, n_components: int) -> torch.Tensor:
    """The standard normal draws the scores average over, shape (n_draws, 1, k).

    Fixed and shared by all rows: a row's score does not depend on which
    draws the rows beside it got (only, in the last float32 bits, on the
    network's arithmetic for a batch of that size), two calls agree, and,
    drawn on the CPU whatever the device, a model scores the same on a GPU
    and on the CPU. Cached: made once, they are a constant of the graph
    :func:`skae.to_onnx` traces.

    Scrambled Sobol points (seed 0) through the normal quantile function,
    not independent draws: shared by every row, the error of the draws is
    common to all of them, and independent ones put one far point among 200
    (the 200th of seed 0) whose weight lifted a bound 0.11 nats above the
    exact log-likelihood of a 2-code model (a grid over its codes gave it),
    0.05 at K = 199 and 201. These cover the normal evenly: within 0.015
    nats of it for K from 5 to 5,000, smooth in K. A random scrambling keeps
    the mean of the weights unbiased, so the bound holds in expectation over
    it.
    """
    from scipy.stats import norm, qmc

    if n_components > qmc.Sobol.MAXDIM:
        # Beyond the dimensions Sobol's directions are tabulated for: plain
        # independent draws.
        u = np.random.RandomState(0).uniform(size=(n_draws, n_components))
    else:
        with warnings.catch_warnings():
            # Sobol's balance wants a power of 2 of points; any K is still
            # far more even than independent draws.
            warnings.simplefilter("ignore", UserWarning)
            u = qmc.Sobol(d=n_components, scramble=True, seed=0).random(n_draws)
    # Scrambled points are never 0 or 1 in practice; clipped all the same,
    # as the quantile function is infinite there.
    tiny = np.finfo(np.float32).tiny
    eps = norm.ppf(np.clip(u, tiny, 1.0 - np.finfo(np.float64).epsneg))
    return torch.as_tensor(eps, dtype=torch.float32)[:, None, :]


@functools.lru_cache(maxsize=32)
def _elbo_draws(n_components: int, every_axis: bool = False) -> torch.Tensor:
    """The draws of eps the ELBO's expectation is estimated with, shape
    (n, 1, k): ``ELBO_DRAWS`` of them (12 for 3 codes); with ``every_axis``,
    ``max(ELBO_DRAWS, 2k)``.

    Random draws shared by every row would shift every row's estimate the
    same way (8 standard normal draws in two dimensions have a mean squared
    norm of 0.84 per dimension, not 1, and the bound came out 0.18 nats too
    high on digits, enough to reorder models by :meth:`score`). These are
    ``+-sqrt(k)`` times orthonormal directions, the axes of random
    rotations: their mean is exactly 0 and their mean squared norm exactly
    k. Up to 4 codes they are the spherical cubature points (all k axes,
    repeated under new rotations), whose covariance is exactly the identity
    (exact for any polynomial of degree 3 in eps). With more codes,
    :meth:`score_samples` takes 4 of the axes, so that it costs
    ``ELBO_DRAWS`` decodes whatever k (2k points made the fit of 32 codes,
    which scores every training row, 1.5 times the hand-written loop's time,
    against 0.97): the error of the uncovered directions is common to every
    row, which does not reorder the rows of one model, but reorders models.
    :meth:`score`, which compares models, takes ``every_axis``: the 2k
    cubature points (``benchmarks/results/elbo_rules.md``: within 0.03 nats
    of a 20,000-draw average after 60 epochs on digits, where the 4 axes were
    up to 1.19 off). Fixed, as :func:`_fixed_draws` are, for the same reasons.
    """
    generator = torch.Generator().manual_seed(0)
    k = n_components
    per_block = k if every_axis else ELBO_DRAWS // 2
    total = max(ELBO_DRAWS, 2 * k) if every_axis else ELBO_DRAWS
    blocks = []
    while 2 * sum(len(b) for b in blocks) < total:
        q, r = torch.linalg.qr(torch.randn(k, k, generator=generator, dtype=torch.float64))
        axes = (q * torch.sign(torch.diagonal(r))).T[:per_block]
        blocks.append(math.sqrt(k) * axes)
    axes = torch.cat(blocks)
    return torch.cat([axes, -axes]).reshape(-1, 1, k).float()


@fill_doc(
    defaults={"loss": '"squared_error"'},
    # Its decoder is a likelihood: no Huber one.
    choices={"loss": '{"squared_error", "binary_crossentropy"}'},
    without=(
        "error_scale_",
        "noise_variance_",
        "latent_density_",
        "code_mean_",
        "code_covariance_",
    ),
)
class VariationalAutoEncoder(BaseAutoEncoder):
    """Variational autoencoder (beta-VAE): a deep latent-variable density model.

    The encoder gives the mean and log-variance of a Gaussian posterior
    :math:`q(z|x) = N(\\mu(x), \\mathrm{diag}\\,\\sigma^2(x))`; training draws
    :math:`z = \\mu + \\sigma \\odot \\epsilon`, :math:`\\epsilon \\sim N(0, I)`
    (reparameterisation) and minimises, per sample and averaged over the batch,

    .. math:: L = -\\log p(x|z) + \\beta\\, KL(q(z|x) \\,\\|\\, N(0, I))

    summed over features and latent dimensions (Kingma & Welling, 2014;
    Higgins et al., 2017 for ``beta``). With ``loss="squared_error"`` the
    decoder is a Gaussian with a learned standard deviation per feature, with
    ``loss="binary_crossentropy"`` a Bernoulli for data in [0, 1] (a
    proper density of binary data only: on values inside (0, 1) it is not
    normalised, and it favours entries at 0 and 1). ``net_.history`` logs
    the two terms of the loss as ``train_reconstruction`` and ``train_kl``,
    the latter already multiplied by ``beta`` (0 at ``beta=0``, whatever the
    divergence: :meth:`posterior` gives what it is computed from).

    ``max_epochs="auto"`` trains it longer than the other kinds: the same
    budget of about 150,000 samples seen, but up to 200 epochs instead of 20
    (105 epochs on the 1,437 training digits of ``benchmarks/quality.py``),
    since its likelihood keeps improving long after 20 epochs. So that this
    does not memorise a small, wide table, ``early_stopping="auto"`` holds
    out a tenth of the rows (from 200 rows) and keeps the epoch whose
    held-out loss was lowest: on one-class MNIST (686 training rows of 784
    pixels) the held-out log-likelihood was -987 nats after 200 epochs and
    -556 at the best epoch. Epochs whose KL term ends below 0.05 nats per
    row (codes unused, the plateau a fit starts in) do not count towards
    ``patience``, so the fit does not stop before it uses its codes. On a
    small table that long training can still
    learn the outliers among its own training rows (see the user guide,
    "Choosing n_components and the network"): there, set ``max_epochs=20``
    to detect them.

    Use it to generate data (:meth:`sample` decodes draws from the prior) and
    for likelihood-based outlier scores: :meth:`score_samples` is a
    log-likelihood estimate in nats, in the units of the original data
    (the internal standardisation's Jacobian is accounted for), so it is
    comparable with :meth:`sklearn.decomposition.PCA.score_samples`. For a
    row with missing entries it is the log-likelihood of the observed
    entries plus each missing column's typical term on the training rows
    (``missing_terms_``), so that rows are compared on one footing whatever
    they miss (:meth:`score`, a density for model selection, leaves those
    terms out).
    :meth:`transform` returns the posterior mean; :meth:`posterior` gives the
    variance as well.

    Parameters
    ----------
    %(parameters)s
    beta : float, default=1.0
        Weight of the KL term; 1 is the plain VAE, larger values give more
        disentangled but blurrier models. At 1, training can leave every code
        on the prior (unused: :meth:`posterior` variances near 1) where the data
        has structure, without a warning: on a column of two separated peaks
        (N(-3, 0.5) and N(3, 0.5)) the model stayed one Gaussian, held-out
        log-likelihood -2.53 where the true density gives -1.41, with 93-100%
        of :meth:`sample` between the peaks, and beside three noise columns
        it ranked anomalies between the peaks as normal (ROC-AUC 0.43-0.44);
        ``beta=0.5`` found the peaks (-1.67 to -1.70; ROC-AUC 0.98-0.995;
        three seeds, ``benchmarks/doc_figures.py``, section 18). Where
        :meth:`posterior` shows every code unused, try a ``beta`` below 1.
    n_importance_samples : int, default=1
        How :meth:`score_samples` and :meth:`score` estimate log p(x). 1: the
        evidence lower bound, its expectation over :math:`q(z|x)` computed on
        fixed points of :math:`\\epsilon`, ``+-sqrt(k)`` along rotated axes,
        whose mean and mean squared norm are exactly those of N(0, I).
        :meth:`score_samples` takes 8 of them (12 with 3 codes) whatever k:
        up to 4 codes they are the spherical cubature points (covariance
        exactly I, exact for any polynomial of degree 3), so no error of the
        draws is common to every row; with more codes they cover 4 of the k
        directions, an error common to the rows (up to 1.19 nats on digits)
        that does not reorder one model's rows, but would reorder models.
        :meth:`score`, which compares them, takes the 2k cubature points of
        every axis (2k decodes per row): on digits, within 0.03 nats of a
        20,000-draw average after 60 epochs, where the 8 points were up to
        1.19 off (``benchmarks/results/elbo_rules.md``). K > 1: the
        importance-weighted bound with K draws (Burda et al., 2016), whose
        expectation over the draws is tighter as K grows. The draws are fixed
        (the same for every sample and call), so scores are deterministic,
        and the error of the K draws is common to every row: they are
        scrambled Sobol points (seed 0) mapped to N(0, I), which cover it
        evenly. On a 2-code model of 12 binary features, whose exact
        log-likelihood a grid over the codes gives, the mean bound lay within
        0.015 nats of it for K from 5 to 5,000 (independent draws: 0.11 above
        it at K = 200, 0.23 below at K = 2); on digits with 8 codes it rose
        with K, 42.02, 42.40 and 42.76 nats at K = 50, 200 and 5,000
        (independent draws: 42.94 at K = 200). Below about 50 draws the fixed
        points can put it on either side of the converged value (a
        2-code Gaussian model, exact log-likelihood from a grid: the mean
        0.015, 0.041 and 0.021 nats above it at K = 2, 5 and 10, single rows
        up to 0.46 above at K = 2; within 0.001 from K = 50). Use K of 50 or
        more. With
        ``beta`` below 1 (a narrower posterior, so a poorer proposal for the
        draws) the estimate settles more slowly: on digits (4 codes,
        ``beta=0.2``) it moved by up to 0.3 nats between K = 50 and 3,000. It
        changes how the likelihood is estimated, not the model, so keep it
        fixed in a grid search: searched over, it picks the tighter estimate
        (the larger K), not a better model. It is read at each scoring: set
        after the fit, it changes :meth:`score_samples`,
        :meth:`score` and :meth:`decision_function`, but not ``offset_``,
        which the training scores set at the fit with the K of then, so
        :meth:`predict` then does not flag the share ``contamination`` says;
        refit for a threshold on the new scores. At most 1,000,000.

    Attributes
    ----------
    %(attributes)s
    missing_terms_ : ndarray of shape (`n_features_in_`,)
        Each input column's mean log-likelihood term on the training rows
        (decoded from the posterior mean, in the original units): what
        :meth:`score_samples` adds for each column a row misses.

    See Also
    --------
    AutoEncoder : The deterministic counterpart.
    sklearn.decomposition.FactorAnalysis : The linear-Gaussian latent model.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoEncoder(n_components=4, max_epochs=5, random_state=0).fit(X)
    >>> vae.sample(3, random_state=0).shape
    (3, 64)
    >>> mean, variance = vae.posterior(X[:2])
    >>> mean.shape, variance.shape
    ((2, 4), (2, 4))
    """

    _auto_max_epochs = VARIATIONAL_MAX_EPOCHS
    # Its 200 epochs can memorise a small table of any width (see skae._sizing).
    _auto_early_stopping_features = 1
    # A model of data without structure leaves its codes unused and
    # reconstructs the means, as it should: only reconstructions that are
    # the same for every row (a dead decoder) are a failure.
    _flat_share = 0.0
    # Its decoder and prior score and sample.
    _scoring_attributes = ()

    _parameter_constraints: dict = {
        **BaseAutoEncoder._parameter_constraints,
        # The loss names the decoder's likelihood: no Huber one.
        "loss": [StrOptions(set(LIKELIHOODS))],
        "beta": [Interval(Real, 0, None, closed="left")],
        # Each draw's standard normal noise is kept (K x k floats): a K of
        # 10**9 failed in torch's allocator, with an error that did not name
        # the parameter.
        "n_importance_samples": [Interval(Integral, 1, MAX_IMPORTANCE_SAMPLES, closed="both")],
    }

    def __init__(
        self,
        n_components: str | int = "auto",
        *,
        hidden_layer_sizes: str | tuple[int, ...] = "auto",
        activation: str = "relu",
        architecture: str = "dense",
        image_shape: tuple[int, int, int] | None = None,
        scaling: str = "auto",
        categorical_features: str | list | np.ndarray | None = "from_dtype",
        loss: str = "squared_error",
        max_epochs: str | int = "auto",
        batch_size: str | int = "auto",
        lr: str | float = "auto",
        weight_decay: float = 0.0,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 10,
        contamination: str | float = "auto",
        tail_screen: float | None = None,
        device: str = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator: object | None = None,
        beta: float = 1.0,
        n_importance_samples: int = 1,
    ) -> None:
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            architecture=architecture,
            image_shape=image_shape,
            scaling=scaling,
            categorical_features=categorical_features,
            loss=loss,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            contamination=contamination,
            tail_screen=tail_screen,
            device=device,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            accelerator=accelerator,
        )
        self.beta = beta
        self.n_importance_samples = n_importance_samples

    def _make_latent(self) -> nn.Module:
        return GaussianLatent()

    def _make_criterion(self, n_features: int) -> nn.Module:
        return LIKELIHOODS[self.loss](n_features)

    _regulariser_parameter = "beta"

    def _regulariser_off(self) -> str | None:
        # Without the KL term nothing keeps the posterior's spread open: it
        # shrinks to 0, and the codes copy X as a plain network's do.
        return "beta=0" if self.beta == 0 else None

    def _make_penalties(self) -> dict[str, Penalty]:
        return {"kl": GaussianKL(self.beta)}

    def _early_stopping_plateau(self) -> tuple[str, float] | None:
        # A fit starts with its posterior pulled onto the prior (codes
        # unused) and can take tens of epochs to leave it, the held-out loss
        # all but flat meanwhile: early stopping ended half the fits of a
        # binary table of strong structure there (a probe). Not with beta=0,
        # which nothing pulls onto the prior.
        return ("train_kl", self.beta * UNUSED_CODES_KL) if self.beta > 0 else None

    def _make_callbacks(self) -> list[tuple[str, Callback]]:
        if not self.beta > 1:
            # At beta=1 the model is the ELBO's own: codes left on the prior
            # are most often its verdict on data without structure, and a
            # check could not tell them from a fit stuck there on structure
            # (a column of two separated peaks, the docstring's ``beta``).
            return []
        return [
            (
                "kl_won_check",
                RegulariserWonCheck(
                    f"The KL term won over the reconstruction at beta={self.beta}: every "
                    "code's posterior is the prior, so the codes carry nothing and the "
                    "training rows are reconstructed no better than by the features' means. "
                    "Try a smaller beta (beta=1 is the ELBO's own weight; on data without "
                    "structure the codes capture, it reconstructs the means as well).",
                    below=self._early_stopping_plateau(),
                ),
            )
        ]

    def _check_importance_samples(self) -> None:
        # Read at each scoring, so checked there too: a value set after the
        # fit reached torch (errors that did not name it).
        name = "n_importance_samples"
        validate_parameter_constraints(
            {name: self._parameter_constraints[name]},
            {name: self.n_importance_samples},
            caller_name=type(self).__name__,
        )

    def _scoring_rows(self, rows: int) -> int:
        # Only the scores decode K codes a row: encoding and decoding take
        # one, whatever K (they ran one row per batch at K=10**6).
        self._check_importance_samples()
        # K importance draws per row hold K codes and decodes per row: as many
        # rows per batch as the ELBO's draws hold (scoring 4,096 rows of 32
        # codes peaked at 1.3 GB with K=300, 0.3 GB with the ELBO).
        # (The ELBO's draws, 2k for score, are decoded one at a time.)
        draws = max(ELBO_DRAWS, int(self.n_importance_samples))
        return max(1, rows * ELBO_DRAWS // draws)

    def _draws(
        self, module: nn.Module, x: torch.Tensor, *, every_axis: bool = False, codes: bool = True
    ) -> tuple[torch.Tensor, ...]:
        """The posterior's mean and log-variance (float64), the fixed standard
        normal draws ``eps`` (n_draws, 1, k) and the codes ``z`` (n_draws, n, k)
        that the scores average over (the ELBO's with ``every_axis``: see
        :func:`_elbo_draws`); without ``codes``, None for ``z``."""
        mu, logvar = module.latent.split(module.encoder_output(x))
        # The sums run in float64: their rounding does not grow with the
        # number of draws and features (the network's float32 outputs still
        # differ in the last bits with the batch size: BLAS kernels).
        mu, logvar = mu.double(), logvar.double()
        self._check_importance_samples()
        if self.n_importance_samples == 1:
            eps = _elbo_draws(self.n_components_, every_axis)
        else:
            eps = _fixed_draws(self.n_importance_samples, self.n_components_)
        eps = eps.to(device=x.device, dtype=torch.float64)
        return mu, logvar, eps, mu + torch.exp(0.5 * logvar) * eps if codes else None

    def _row_weights(self, x: torch.Tensor) -> torch.Tensor | None:
        """Per row, the number of input columns over the number observed,
        shape (n, 1); None when every entry is observed.

        A model fitted before ``missing_terms_`` multiplies a row's feature
        terms by it in :meth:`score_samples`: the likelihood of the observed
        entries, scaled to a whole row (:meth:`_missing_terms` says why that
        was replaced). :meth:`score` keeps the plain likelihood of the
        observed entries (a density, as model selection needs)."""
        if not torch.isnan(x.sum()):
            return None
        missing = self.net_.criterion_.column_missing(x)
        observed = (~missing).sum(dim=1, keepdim=True).clamp(min=1)
        return (missing.shape[1] / observed).double()

    def _feature_nll(
        self,
        module: nn.Module,
        x: torch.Tensor,
        z_draw: torch.Tensor,
        weights: torch.Tensor | None = None,
    ):
        """Per-feature negative log-likelihood of ``x`` decoded from one draw,
        each row's multiplied by its ``weights`` (see :meth:`_row_weights`).
        The terms are elementwise, so a row's are the same in any batch."""
        out = {"x_hat": module.decode(z_draw.float())}
        terms = self.net_.criterion_.per_feature(out, x).double()
        if not torch.isnan(x.sum()):
            return terms  # complete batches skip the passes below
        # A missing entry (NaN) is left out: the likelihood of the observed ones.
        terms = terms.masked_fill(torch.isnan(terms), 0.0)
        return terms if weights is None else terms * weights

    def _draw_nlls(
        self,
        module: nn.Module,
        x: torch.Tensor,
        z: torch.Tensor,
        weights: torch.Tensor | None = None,
    ) -> Iterator[tuple[int, torch.Tensor]]:
        """:meth:`_feature_nll` of ``x`` for each draw of ``z`` (n_draws, n,
        k), as ``(first draw, terms of shape (g, n, d))`` for groups of ``g``
        draws decoded together.

        K importance draws score ``K / ELBO_DRAWS`` times fewer rows per batch
        (:meth:`_scoring_rows`); decoded one draw at a time, each call then
        had a handful of rows, and scoring took time growing as K squared
        (200 rows: 0.9 s at K=500, 61 s at K=5,000). A group decodes about
        as many rows as one batch of the other kinds."""
        group = max(1, len(z) // ELBO_DRAWS)
        for start in range(0, len(z), group):
            draws = z[start : start + group]
            g = len(draws)
            terms = self._feature_nll(
                module,
                x.repeat(g, 1),
                draws.reshape(-1, draws.shape[-1]),
                None if weights is None else weights.repeat(g, 1),
            )
            yield start, terms.reshape(g, -1, terms.shape[-1])

    def _log_jacobian(self, x: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """Per row and feature, the log of the standardisation's scale where
        the entry is observed (0 where missing), times the row's ``weights``:
        the change of units of the density."""
        log_scale = torch.as_tensor(self._column_log_scale(), device=x.device)
        if not torch.isnan(x.sum()):
            return log_scale.expand(len(x), -1)
        terms = torch.where(self.net_.criterion_.column_missing(x), 0.0, log_scale)
        return terms if weights is None else terms * weights

    def _log_importance(self, mu, logvar, eps, z) -> torch.Tensor:
        """log p(z) - log q(z|x) of each draw, shape (n_draws, n)."""
        k = mu.shape[1]
        log_prior = -0.5 * (z.square().sum(dim=2) + k * math.log(2 * math.pi))
        log_q = -0.5 * (eps.square().sum(dim=2) + logvar.sum(dim=1) + k * math.log(2 * math.pi))
        return log_prior - log_q

    def _score_samples_scaled(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """log p(x) in nats (a lower bound), in the units of the original data;
        with missing entries, the observed ones' and each missing column's
        typical term (:meth:`_missing_terms`)."""
        if getattr(self, "missing_terms_", None) is None:
            # Fitted before the typical terms: scored as it was then.
            return self._bound(module, x, self._row_weights(x))
        return self._bound(module, x, None) + self._missing_terms(x)

    def _missing_terms(self, x: torch.Tensor) -> torch.Tensor:
        """Per row, the sum of ``missing_terms_`` over its missing columns (0
        for a complete row), in float64.

        Scaling the observed entries' terms to a whole row
        (:meth:`_row_weights`, the rule before) treated every column as
        carrying the same share of a row's likelihood: a row missing a
        column that the others predict (a payment's channel, given whether
        the card was present; a term near 0) was scaled further down, and
        one missing a column in large units, up. With ``contamination=0.05``
        normal payments missing their channel were flagged at 14%, missing
        their amount at 0%; with each missing column's typical term, at 8%
        and 4% (``benchmarks/results/vae_missing_terms.md``)."""
        if not torch.isnan(x.sum()):
            return torch.zeros(len(x), dtype=torch.float64, device=x.device)
        missing = self.net_.criterion_.column_missing(x).double()
        return missing @ torch.as_tensor(self.missing_terms_, dtype=torch.float64, device=x.device)

    def _fit_missing_terms(self, x, seed: int) -> None:
        """Fit ``missing_terms_``: each input column's mean log-likelihood
        term over up to ``MISSING_TERM_ROWS`` training rows where it is
        observed, decoded from the posterior mean, in the original units.
        A column observed in none of them gets the median of the others."""
        x = _subset_rows(x, MISSING_TERM_ROWS, np.random.RandomState(seed % 2**32))

        def terms(module: nn.Module, rows: torch.Tensor) -> torch.Tensor:
            out = {"x_hat": module.decode(module.encode(rows))}
            return -self.net_.criterion_.per_feature(out, rows).double()

        values = self._apply(x, terms, dtype=np.float64)
        finite = np.isfinite(values)
        counts = finite.sum(axis=0)
        means = np.where(finite, values, 0.0).sum(axis=0) / np.maximum(counts, 1)
        if (counts > 0).any():
            means[counts == 0] = np.median(means[counts > 0])
        self.missing_terms_ = means - self._column_log_scale()

    def _bound(
        self,
        module: nn.Module,
        x: torch.Tensor,
        weights: torch.Tensor | None,
        *,
        every_axis: bool = False,
    ) -> torch.Tensor:
        """The bound on log p(x), the feature terms of each row multiplied by
        its ``weights`` (None: the observed entries' likelihood as it is)."""
        elbo = self.n_importance_samples == 1
        mu, logvar, eps, z = self._draws(module, x, every_axis=every_axis, codes=not elbo)
        if elbo:
            # One draw at a time, codes included: only one draw's codes and
            # decoded batch are alive (score's 2k draws of 32 codes held 2k
            # copies of the batch's codes).
            std = torch.exp(0.5 * logvar)
            nll = torch.stack(
                [self._feature_nll(module, x, mu + std * e, weights).sum(dim=1) for e in eps]
            )
            log_px = -nll.mean(dim=0) - gaussian_kl(mu, logvar)
        else:
            # A group of draws at a time: one decoded batch's worth is alive.
            groups = self._draw_nlls(module, x, z, weights)
            nll = torch.cat([terms.sum(dim=2) for _, terms in groups])
            log_w = -nll + self._log_importance(mu, logvar, eps, z)
            log_px = torch.logsumexp(log_w, dim=0) - math.log(len(z))
        # Densities of standardised data, mapped back to the original units.
        return log_px - self._log_jacobian(x, weights).sum(dim=1)

    def _feature_terms_scaled(
        self, module: nn.Module, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Each feature's share of :meth:`_score_samples_scaled` (its decoder
        log-likelihood, averaged over the draws with the weights the bound
        gives them, in the standardised units, less that of a perfect
        reconstruction, so at most 0), and the rest as the code term.

        The change of units (minus the sum of the logs of ``scale_``, the
        same for every complete row) and the likelihoods' normalisers go to
        the code term: in a feature's term they would make the feature in
        the largest units, or with the widest decoder variance, the lowest of
        every row, whatever the row holds."""
        mu, logvar, eps, z = self._draws(module, x)
        typical = getattr(self, "missing_terms_", None) is not None
        rows = None if typical else self._row_weights(x)
        if self.n_importance_samples == 1:
            weights = torch.full(z.shape[:2], 1.0 / len(z), dtype=z.dtype, device=z.device)
            code = -gaussian_kl(mu, logvar)
        else:
            # log sum_k exp(a_k) = sum_k w_k a_k + H(w), with w = softmax(a):
            # the features take their weighted terms, the code term the rest.
            nll = torch.cat([terms.sum(dim=2) for _, terms in self._draw_nlls(module, x, z, rows)])
            log_importance = self._log_importance(mu, logvar, eps, z)
            log_weights = -nll + log_importance
            # A row that no draw can have produced (a value beyond float32's
            # range: every likelihood is 0) has no weights to give; its draws
            # count alike, so that the feature that overflowed takes the -inf
            # of the score rather than every term being NaN.
            impossible = ~torch.isfinite(log_weights).any(dim=0)
            weights = torch.softmax(log_weights, dim=0)
            weights = torch.where(impossible, 1.0 / len(z), weights)
            entropy = -(weights * torch.log(weights.clamp_min(1e-300))).sum(dim=0)
            code = (weights * log_importance).sum(dim=0) + entropy - math.log(len(z))
        features = sum(
            (weights[start : start + len(terms), :, None] * -terms).sum(dim=0)
            for start, terms in self._draw_nlls(module, x, z, rows)
        )
        units = self._log_jacobian(x, rows).sum(dim=1)
        # Each feature's shortfall from a perfect reconstruction's likelihood
        # (<= 0); the normalisers, like the change of units, go to the code
        # term: a feature with a wide decoder variance would otherwise be the
        # lowest term of every row, whatever the row holds.
        floor = self.net_.criterion_.floor(x).double().nan_to_num(0.0)
        if rows is not None:
            floor = floor * rows
        code = code - units - floor.sum(dim=1)
        if typical:
            # The missing columns' typical terms: not the row's doing.
            code = code + self._missing_terms(x)
        return features + floor, code

    def _log_likelihood_scaled(self, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The bound on the log-likelihood of the observed entries (with
        missing ones, without the typical terms :meth:`score_samples` adds), with the
        ELBO's expectation over every axis: :meth:`score` compares models."""
        return self._bound(module, x, None, every_axis=True)

    def _fit_scoring(
        self, x: torch.Tensor, seed: int, *, density: bool = True, bounded: bool = False
    ) -> None:
        """The ELBO needs nothing fitted, and the prior N(0, I) is the code
        density; rows with missing entries need ``missing_terms_``, fitted
        with the calibration they go with (kept by ``partial_fit``)."""
        if density:
            self._fit_missing_terms(x, seed)
        return None

    def _sample_codes(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        return rng.standard_normal((n_samples, self.n_components_))

    @reading
    def posterior(self, X) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the posterior q(z|x) of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_components)
            The posterior means (what :meth:`transform` returns).
        variance : ndarray of shape (n_samples, n_components)
            The posterior variances.
        """
        X = self._check_input(X, blocks=True)

        def both(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
            mu, logvar = module.latent.split(module.encoder_output(x))
            return torch.cat([mu, logvar.exp()], dim=1)

        stats = self._apply(X, both, scale_input=True, dtype=X.dtype, draws=False)
        stats = _finite(stats, "posterior")
        return stats[:, : self.n_components_], stats[:, self.n_components_ :]
