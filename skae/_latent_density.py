"""A density on the training codes, so deterministic autoencoders can sample.

A deterministic autoencoder has no prior over its codes. Following the
"ex-post density estimation" of regularised autoencoders (Ghosh et al., 2020),
a Gaussian mixture is fitted to the codes of the training data; ``sample``
draws codes from it and decodes them.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

#: At most this many mixture components, and at most this many codes to fit them.
MAX_COMPONENTS = 10
MAX_CODES = 10_000


def fit_code_density(codes: np.ndarray, random_state: int) -> GaussianMixture:
    """Fit a full-covariance Gaussian mixture to (a seeded subsample of) ``codes``."""
    rng = np.random.RandomState(random_state)
    if len(codes) > MAX_CODES:
        codes = codes[rng.choice(len(codes), MAX_CODES, replace=False)]
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
