"""Copies of the data: fit makes at most one, transform works batch by batch.

tracemalloc sees numpy's allocations (torch's own are not traced, but the
tensors here share memory with numpy arrays), so these tests bound the host
copies of X that skae makes.
"""

import tracemalloc

import numpy as np
import pytest

from skae import AutoEncoder
from skae._base import INFERENCE_BATCH_SIZE


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


#: The code density is fitted on at most 10,000 codes: its memory is bounded
#: whatever the size of X (about 6 MB for 2-D codes).
MIXTURE_BYTES = 8e6


@pytest.fixture(scope="module")
def X():
    rng = np.random.RandomState(0)
    return rng.normal(size=(100_000, 50)).astype(np.float32)  # 20 MB


@pytest.mark.parametrize("scaling, copies", [("feature", 1), ("none", 0)])
def test_fit_on_float32_copies_x_at_most_once(X, scaling, copies):
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, scaling=scaling)
    model.set_params(random_state=0).fit(X[:1000])  # lazy imports and caches, not counted
    peak = _peak_bytes(lambda: model.fit(X))
    assert peak < (copies + 0.1) * X.nbytes + MIXTURE_BYTES


def test_transform_holds_one_batch_at_a_time(X):
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, random_state=0)
    model.fit(X)
    peak = _peak_bytes(lambda: model.transform(X))
    output = len(X) * 2 * X.itemsize
    one_batch = INFERENCE_BATCH_SIZE * X.shape[1] * X.itemsize
    assert peak < output + 3 * one_batch
    assert peak < 0.1 * X.nbytes


def test_inverse_transform_holds_the_output_about_three_times(X):
    """The float64 reconstructions, unscaled in place, and the float32
    result: not the five or six copies of the output it made."""
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, random_state=0)
    model.fit(X)
    codes = model.transform(X)
    peak = _peak_bytes(lambda: model.inverse_transform(codes))
    assert peak < 3.5 * X.nbytes


@pytest.mark.parametrize("early_stopping", [False, True])
def test_data_beyond_working_memory_is_scaled_batch_by_batch(X, early_stopping):
    """Above scikit-learn's working_memory, fit keeps no scaled copy of X
    (float64 rows are scaled by numpy, whose copies tracemalloc sees), with
    the hold-out of early stopping too (it scaled both parts whole)."""
    from sklearn import config_context

    X64 = X[:50_000].astype(np.float64)  # 20 MB
    model = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_epochs=1,
        batch_size=4096,
        early_stopping=early_stopping,
        random_state=0,
    )
    model.fit(X64[:1000])
    assert _peak_bytes(lambda: model.fit(X64)) > X64.nbytes  # the whole scaled copy
    with config_context(working_memory=1):
        assert _peak_bytes(lambda: model.fit(X64)) < 0.1 * X64.nbytes + MIXTURE_BYTES


@pytest.mark.parametrize("early_stopping", [False, True])
def test_batch_by_batch_scaling_trains_the_same_model(early_stopping):
    from sklearn import config_context

    rows = np.random.RandomState(0).normal(size=(2000, 6)) * [1, 10, 100, 1, 1, 1e-3]
    params = dict(max_epochs=3, early_stopping=early_stopping, random_state=0)
    whole = AutoEncoder(**params).fit(rows)
    with config_context(working_memory=0.01):
        batched = AutoEncoder(**params).fit(rows)
    np.testing.assert_array_equal(whole.transform(rows), batched.transform(rows))
    assert whole.offset_ == batched.offset_
    assert whole.noise_variance_ == batched.noise_variance_
    np.testing.assert_array_equal(
        whole.net_.module_.input_high.numpy(), batched.net_.module_.input_high.numpy()
    )
