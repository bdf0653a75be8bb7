"""Shared fixtures: small seeded data and a fast configuration of every estimator."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from skae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

#: Every public estimator and the small settings that make it train fast.
KINDS = {
    AutoEncoder: {},
    DenoisingAutoEncoder: {"noise_std": 0.1},
    SparseAutoEncoder: {"sparsity_weight": 1e-3},
    # The KL term slows the start: more epochs to show learning.
    VariationalAutoEncoder: {"max_epochs": 30},
    ContractiveAutoEncoder: {"contraction_weight": 0.01},
    # The protocol data is tabular, in mixed units: scale per feature.
    ConvolutionalAutoEncoder: {"hidden_layer_sizes": (4,), "scaling": "feature"},
}

#: The kinds with a dense network (categorical columns, near-constant features).
DENSE_KINDS = [cls for cls in KINDS if cls is not ConvolutionalAutoEncoder]

FAST = {
    "n_components": 2,
    "hidden_layer_sizes": (16,),
    "max_epochs": 10,
    "batch_size": 32,
    "lr": 1e-2,
    "random_state": 0,
}


def _factory(cls):
    def make(**params):
        return cls(**{**FAST, **KINDS[cls], **params})

    make.__name__ = cls.__name__
    return make


#: A factory per estimator: fast, seeded instances, parameters overridable.
FAST_ESTIMATORS = {cls.__name__: _factory(cls) for cls in KINDS}


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


@pytest.fixture
def fresh_accelerator_state():
    """Accelerate keeps one state per process, fixed by the first Accelerator
    (its mixed precision, say); a test using it starts and ends with none, as
    a script does."""
    state = pytest.importorskip("accelerate.state")
    state.AcceleratorState._reset_state(reset_partial_state=True)
    yield
    state.AcceleratorState._reset_state(reset_partial_state=True)


def incomplete_mixed_frame(n_rows: int) -> pd.DataFrame:
    """A category that sets a number, another number, 30% of the category
    and of the first number missing (seeded)."""
    rng = np.random.RandomState(0)
    colour = rng.choice(["red", "green", "blue"], size=n_rows)
    size = np.where(colour == "red", 1.0, -1.0) + 0.3 * rng.normal(size=n_rows)
    frame = pd.DataFrame(
        {"colour": pd.Categorical(colour), "size": size, "weight": rng.normal(size=n_rows)}
    )
    frame.loc[rng.uniform(size=n_rows) < 0.3, "colour"] = np.nan
    frame.loc[rng.uniform(size=n_rows) < 0.3, "size"] = np.nan
    return frame
