"""A density on the training codes, so deterministic autoencoders can sample.

A deterministic autoencoder has no prior over its codes. Following the
"ex-post density estimation" of regularised autoencoders (Ghosh et al., 2020),
a Gaussian mixture is fitted to the codes of the training data; ``sample``
draws codes from it and decodes them.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

#: At most this many mixture components, and at most this many codes to fit them.
MAX_COMPONENTS = 10
MAX_CODES = 10_000
#: Wide codes get fewer rows, so that EM (whose cost grows with rows x dims^2)
#: costs about what it does on 10,000 4-D codes, but never fewer than this.
MIN_CODES = 2_000


def max_codes(n_dims: int) -> int:
    """How many codes of ``n_dims`` dimensions the mixture is fitted on, at most."""
    return int(np.clip(MAX_CODES * 16 // max(n_dims, 1) ** 2, MIN_CODES, MAX_CODES))


def fit_code_density(codes: np.ndarray, random_state: int) -> GaussianMixture:
    """Fit a full-covariance Gaussian mixture to (a seeded subsample of) ``codes``."""
    rng = np.random.RandomState(random_state)
    limit = max_codes(codes.shape[1])
    if len(codes) > limit:
        codes = codes[rng.choice(len(codes), limit, replace=False)]
    if len(codes) < 2:
        # A mixture needs two rows; one code gives a point mass (plus reg_covar).
        codes = np.repeat(codes, 2, axis=0)
    n_distinct = len(np.unique(codes, axis=0))
    gmm = GaussianMixture(
        n_components=max(1, min(MAX_COMPONENTS, n_distinct)),
        covariance_type="full",
        reg_covar=1e-6,
        random_state=rng,
    )
    with warnings.catch_warnings():
        # A few EM iterations short of convergence still give a usable sampler.
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm.fit(codes.astype(np.float64))
    return gmm


def sample_codes(gmm: GaussianMixture, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
    """Draw ``n_samples`` codes from ``gmm`` using ``rng`` (not the mixture's own seed)."""
    component = rng.choice(len(gmm.weights_), size=n_samples, p=gmm.weights_)
    chol = np.linalg.cholesky(gmm.covariances_)
    noise = rng.standard_normal((n_samples, gmm.means_.shape[1]))
    return gmm.means_[component] + np.einsum("nij,nj->ni", chol[component], noise)


def log_density(gmm: GaussianMixture, z: torch.Tensor) -> torch.Tensor:
    """log p(z) under the fitted mixture, per row, computed in torch (float64).

    Equal to ``gmm.score_samples`` but on ``z``'s device, so the estimators
    can score codes inside their batched, device-side inference.
    """
    z = z.double()

    def as_tensor(array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float64, device=z.device)

    means, prec_chol = as_tensor(gmm.means_), as_tensor(gmm.precisions_cholesky_)
    # Mahalanobis terms via the Cholesky factors of the precisions: (n, c, k).
    y = torch.einsum("nk,ckj->ncj", z, prec_chol) - torch.einsum("ck,ckj->cj", means, prec_chol)
    log_det = torch.log(torch.diagonal(prec_chol, dim1=1, dim2=2)).sum(dim=1)
    log_normal = -0.5 * (y.square().sum(dim=2) + z.shape[1] * math.log(2 * math.pi)) + log_det
    return torch.logsumexp(log_normal + torch.log(as_tensor(gmm.weights_)), dim=1)
