"""Shared fixtures: small seeded data and a fast configuration of every estimator."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skae import AutoEncoder

#: Every public estimator, in a configuration that trains in well under a second.
FAST_ESTIMATORS = {
    "AutoEncoder": lambda **kw: AutoEncoder(
        **{
            "n_components": 2,
            "hidden_layer_sizes": (16,),
            "max_epochs": 10,
            "batch_size": 32,
            "lr": 1e-2,
            "random_state": 0,
            **kw,
        }
    ),
}


@pytest.fixture(params=sorted(FAST_ESTIMATORS))
def make_estimator(request):
    """A factory for a fast, seeded instance of each estimator."""
    return FAST_ESTIMATORS[request.param]


@pytest.fixture(scope="session")
def blobs():
    """200 x 5 correlated Gaussian data in mixed units (not standardised)."""
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(200, 2))
    X = latent @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(200, 5))
    return X * np.array([1.0, 10.0, 100.0, 0.1, 1000.0]) + np.array([0, 5, -50, 1, 2000])


@pytest.fixture(scope="session")
def digits():
    X, y = load_digits(return_X_y=True)
    return X, y
