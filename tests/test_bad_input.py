"""Bad input, for every estimator and every method that takes it.

Each case gets a scikit-learn-style error whose message names the problem.
Sparse matrices are refused (scikit-learn's ``TypeError``): the networks need
dense batches, and densifying a whole sparse matrix silently could exhaust
memory; the README says so. The last tests are property-based: random shapes
and values either give finite output of the right shape and dtype, or one of
the documented errors.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from conftest import FAST_ESTIMATORS
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from skorch.callbacks import Callback

from skae import (
    AutoEncoder,
    AutoEncoderImputer,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
    load,
)
from skae._base import ERROR_SCALE_FLOOR
from skae._latent_density import gaussian_log_density
from skae._persistence import save

N_FEATURES = 5
X_METHODS = ["fit", "partial_fit", "transform", "score_samples", "predict", "decision_function"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    return rng.normal(size=(60, N_FEATURES)) * [1, 10, 100, 0.1, 1000]


@pytest.fixture(scope="module", params=sorted(FAST_ESTIMATORS))
def fitted(request, data):
    make = FAST_ESTIMATORS[request.param]
    return make, make(max_epochs=2).fit(data)


def _call(make, model, method, X):
    # fit and partial_fit get a fresh estimator; the others use the fitted one.
    if method in ("fit", "partial_fit"):
        return getattr(make(max_epochs=2), method)(X)
    return getattr(model, method)(X)


def _with(value, data):
    X = data[:10].copy()
    X[3, 2] = value
    return X


# NaN is a missing entry, accepted (tests/test_missing.py); infinities are not.
BAD_X = {
    "+inf": (lambda d: _with(np.inf, d), ValueError, "infinity"),
    "-inf": (lambda d: _with(-np.inf, d), ValueError, "infinity"),
    "strings": (
        lambda d: np.array([["a"] * N_FEATURES] * 3, dtype=object),
        ValueError,
        "could not convert string to float",
    ),
    "sparse": (
        lambda d: sp.csr_matrix(d[:10]),
        TypeError,
        "Sparse data was passed .* but dense data is required",
    ),
    "1-D": (lambda d: d[:10, 0], ValueError, "Expected 2D array"),
    "3-D": (lambda d: d[:12].reshape(3, 4, N_FEATURES), ValueError, "dim 3"),
    "no rows": (lambda d: d[:0], ValueError, "0 sample"),
    "no features": (lambda d: d[:10, :0], ValueError, "0 feature"),
    "complex": (lambda d: d[:10] + 1j, ValueError, "Complex data not supported"),
}


@pytest.mark.parametrize("method", X_METHODS)
@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_x_is_rejected(fitted, data, method, case):
    make, model = fitted
    build, error, match = BAD_X[case]
    with pytest.raises(error, match=match):
        _call(make, model, method, build(data))


@pytest.mark.parametrize("method", X_METHODS)
def test_a_value_too_large_once_scaled_is_refused_by_fit_and_transform_only(fitted, data, method):
    """1e300 among numbers of units 0.1 to 1000 does not fit float32 once
    standardised: fit, partial_fit and transform refuse it; the scores take
    its row as an outlier (score -inf), the others as alone."""
    make, model = fitted
    huge = _with(1e300, data)
    if method in ("fit", "partial_fit", "transform"):
        with pytest.raises(ValueError, match="too large"):
            _call(make, model, method, huge)
        return
    result = _call(make, model, method, huge)
    alone = _call(make, model, method, np.delete(huge, 3, axis=0))
    assert result[3] == (-1 if method == "predict" else -np.inf)
    assert_allclose(np.delete(result, 3), alone, rtol=1e-5)


@pytest.mark.parametrize("method", X_METHODS[2:])
def test_other_feature_count_is_rejected(fitted, data, method):
    make, model = fitted
    with pytest.raises(ValueError, match=f"X has 3 features, but .* expecting {N_FEATURES}"):
        _call(make, model, method, data[:, :3])


def test_overflowing_float32_is_refused_by_fit_and_transform_and_scored_as_an_outlier(fitted, data):
    """Without rescaling a value beyond float32's range cannot reach the
    network: fit and transform refuse it. The scores take it as infinite: its
    row scores -inf and is an outlier, and the other rows score as alone
    (probe finding: one such row failed the whole batch, where
    IsolationForest flags it)."""
    make, _ = fitted
    with pytest.raises(ValueError, match="too large for float32"):
        make(scaling="none", max_epochs=1).fit(_with(1e39, data))
    model = make(scaling="none", max_epochs=1).fit(data)
    bad = _with(-1e39, data)
    with pytest.raises(ValueError, match="too large for float32"):
        model.transform(bad)
    rows = np.flatnonzero(np.any(np.abs(bad) > 1e38, axis=1))
    assert len(rows) == 1
    scores = model.score_samples(bad)
    assert scores[rows[0]] == -np.inf
    others = np.delete(np.arange(len(bad)), rows)
    assert_allclose(scores[others], model.score_samples(bad[others]), rtol=1e-5)
    assert model.predict(bad)[rows[0]] == -1
    assert model.decision_function(bad)[rows[0]] == -np.inf
    terms = model.explain(bad)[rows[0]]
    column = int(np.flatnonzero(np.abs(bad[rows[0]]) > 1e38)[0])
    assert terms[column] == -np.inf
    assert np.isfinite(np.delete(terms, column)).all()


def test_data_float32_reads_as_zeros_is_refused_without_scaling(fitted, data):
    """1e-300 data became zeros in float32: every row got the same code and
    score, and none was flagged, silently. (Scaled, they are fine.)"""
    make, _ = fitted
    with pytest.raises(ValueError, match="too small for float32 without scaling"):
        make(scaling="none", max_epochs=1).fit(data * 1e-300)
    scaled = make(max_epochs=1).fit(data * 1e-300)
    assert np.ptp(scaled.score_samples(data * 1e-300)) > 0


@pytest.mark.parametrize(
    "codes, match",
    [
        (np.zeros((4, 3)), "X has 3 features.*expecting 2 features"),
        (np.zeros(4), "Expected 2D array"),
        (np.zeros((0, 2)), "0 sample"),
        # NaN is a missing code, filled with the mean code (test_missing.py).
        (np.array([[0.0, np.inf]]), "infinity"),
    ],
    ids=["components", "1-D", "no rows", "inf"],
)
def test_inverse_transform_rejects_bad_codes(fitted, codes, match):
    _, model = fitted
    with pytest.raises(ValueError, match=match):
        model.inverse_transform(codes)


# True: a mutation audit found it drew one row where np.True_ was refused.
@pytest.mark.parametrize("n_samples", [0, -1, 2.5, "3", None, True, np.True_])
def test_sample_rejects_bad_counts(fitted, n_samples):
    _, model = fitted
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        model.sample(n_samples)


@pytest.mark.parametrize("method", X_METHODS[2:])
def test_frame_with_other_columns_is_rejected(data, method):
    columns = [f"f{i}" for i in range(N_FEATURES)]
    frame = pd.DataFrame(data, columns=columns)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    with pytest.raises(ValueError, match="same order as they were in fit"):
        getattr(model, method)(frame[columns[::-1]])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        getattr(model, method)(frame.rename(columns={"f0": "other"}))


@pytest.mark.parametrize("method", X_METHODS[2:])
@pytest.mark.parametrize("mixed", [False, True])
def test_frame_with_integer_labels_in_another_order_is_rejected(data, method, mixed):
    """Integer labels, which scikit-learn does not keep, are checked as string
    names are: reordered columns were read as other features, and flagged
    almost every row (probe finding)."""
    frame = pd.DataFrame(data)
    if mixed:
        frame[N_FEATURES] = pd.Categorical(np.where(data[:, 0] > 0, "a", "b"))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    getattr(model, method)(frame)  # the fit's labels, in the fit's order
    if not mixed:
        getattr(model, method)(frame.to_numpy())  # no labels: nothing to check
    with pytest.raises(ValueError, match="same but in another order"):
        getattr(model, method)(frame[frame.columns[::-1]])
    with pytest.raises(ValueError, match=r"labels unseen at fit: \[99\]"):
        getattr(model, method)(frame.rename(columns={0: 99}))
    # Fewer columns: scikit-learn's check of their number says so.
    with pytest.raises(ValueError, match=f"X has {frame.shape[1] - 1} features"):
        getattr(model, method)(frame.iloc[:, 1:])
    # A label repeated in place of another (mutation audit: "unseen: []").
    repeated = frame.set_axis([0, 0, *frame.columns[2:]], axis=1)
    with pytest.raises(ValueError, match=r"repeated, and missing: \[1\]"):
        getattr(model, method)(repeated)


@pytest.mark.parametrize(
    "labels",
    [
        [0.5, 1.5, 2.5, 3.5],
        pd.MultiIndex.from_tuples([("g", "a"), ("g", "b"), ("h", "c"), ("h", "d")]),
        pd.date_range("2020-01-01", periods=4),
        [True, False, 2, 3],
    ],
    ids=["floats", "multiindex", "dates", "bools"],
)
def test_frame_with_other_label_types_in_another_order_is_rejected(data, labels, tmp_path):
    """Float, tuple, date and bool labels, which scikit-learn does not keep
    either, are checked too, also after a save (probe finding: reordered, they
    were read as other features and flagged 99% of the rows; a mutation
    audit: bools, which are integers to Python, were not checked at all)."""
    frame = pd.DataFrame(data[:, :4], columns=labels)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    path = tmp_path / "model.skae"
    save(model, path)
    for fitted in (model, load(path)):
        assert_allclose(fitted.score_samples(frame), model.score_samples(frame))
        with pytest.raises(ValueError, match="same but in another order"):
            fitted.predict(frame[frame.columns[::-1]])
        with pytest.raises(ValueError, match=r"labels unseen at fit: \['0'"):
            fitted.score_samples(frame.set_axis(range(4), axis=1))
    # A refit on string names forgets them: scikit-learn's own check takes over.
    model.fit(frame.set_axis(list("abcd"), axis=1))
    assert not hasattr(model, "_column_label_text")


def test_all_zero_data_fit_without_scaling():
    """Mutation audit: the refusal of data too small for float32 (without
    scaling) is for values below float32's smallest normal, not for zeros."""
    model = AutoEncoder(scaling="none", max_epochs=1, random_state=0).fit(np.zeros((50, 3)))
    assert np.all(np.isfinite(model.score_samples(np.zeros((2, 3)))))
    with pytest.raises(ValueError, match="too small for float32"):
        AutoEncoder(scaling="none", max_epochs=1).fit(np.full((50, 3), 1e-40))


def _rows_with_clear_outliers():
    rng = np.random.default_rng(13)
    mixing = rng.normal(size=(6, 6))
    X = rng.normal(size=(1000, 6)) @ mixing
    outliers = rng.normal(size=(200, 6)) @ mixing
    outliers[:, 2] += 8 * X[:, 2].std()
    return X, outliers


@pytest.mark.parametrize(
    "kind",
    [
        AutoEncoder,
        DenoisingAutoEncoder,
        SparseAutoEncoder,
        ContractiveAutoEncoder,
        VariationalAutoEncoder,
    ],
)
def test_one_value_far_out_in_a_chunk_leaves_the_detector_working(kind):
    """Probe finding: one value 1e6 standard deviations out in a 10-row
    partial_fit chunk multiplied every feature's error scale by about 1e8,
    and the detector went from flagging 100% of clear outliers to 19.5%
    (the sparse kind: 5%). Each row now counts for at most ROW_BOUND times
    the typical error and code distance in the refitted statistics."""
    X, outliers = _rows_with_clear_outliers()
    model = kind(max_epochs=10, random_state=0, contamination=0.1).fit(X)
    assert np.mean(model.predict(outliers) == -1) == 1.0
    scales = getattr(model, "error_scale_", None)  # the variational kind's score needs none
    chunk = X[10:20].copy()
    chunk[0, 0] = 1e6 * X[:, 0].std()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.partial_fit(chunk)
    assert np.mean(model.predict(outliers) == -1) >= 0.95
    assert np.mean(model.predict(X[500:]) == -1) <= 0.2
    if scales is not None:
        assert np.median(model.error_scale_ / scales) < 2.0


@pytest.mark.parametrize("value", [1e10, 1e15])
def test_one_value_far_out_after_a_small_fit_refits_the_codes(value):
    """Probe findings: after a fit on 200 rows (statistics from fewer than
    partial_fit's 256), one value 1e10 or 1e15 standard deviations out in a
    chunk made the Gaussian mixture on the codes fail ("a component's
    covariance is not positive definite"); the codes are now bounded too."""
    X, outliers = _rows_with_clear_outliers()
    model = AutoEncoder(max_epochs=10, random_state=0, contamination=0.1).fit(X[:200])
    chunk = X[10:20].copy()
    chunk[0, 0] = value * X[:, 0].std()
    model.partial_fit(chunk)
    assert np.isfinite(model.code_covariance_).all()
    assert np.mean(model.predict(outliers) == -1) >= 0.95


def test_the_code_statistics_follow_a_stream_that_drifts():
    """Probe finding: chunks moved by about 2 standard deviations put every
    code beyond partial_fit's bound (measured from the previous code mean),
    each was shrunk onto the bound's edge, the code covariance collapsed
    (1e-5 where the codes' variance was 3.6) and never recovered: sample
    returned one row, without a word. The statistics now follow the codes
    of the latest rows."""
    rng = np.random.RandomState(0)
    mixing = rng.randn(2, 9)
    X = rng.randn(400, 2) @ mixing + 0.2 * rng.randn(400, 9)
    model = AutoEncoder(max_epochs=10, random_state=0).fit(X)
    for _ in range(10):
        model.partial_fit(X + 4.0)
    codes = model.transform(X + 4.0)
    np.testing.assert_allclose(model.code_mean_, codes.mean(axis=0), atol=0.05 * codes.std())
    np.testing.assert_allclose(np.diag(model.code_covariance_), codes.var(axis=0), rtol=0.05)
    drawn = model.sample(1000, random_state=0)
    # The collapsed statistics drew rows 0.003 apart at most.
    assert np.median(drawn.std(axis=0) / (X + 4.0).std(axis=0)) > 0.5


def test_a_chunk_in_other_units_warns():
    """Many rows far out at once (here a chunk of 300 rows in units a
    thousand times smaller) swamp the error scales however each row is
    bounded: partial_fit says so."""
    X, _ = _rows_with_clear_outliers()
    model = AutoEncoder(max_epochs=10, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.partial_fit(X[10:20])
    with pytest.warns(UserWarning, match="multiplied the typical reconstruction errors") as record:
        model.partial_fit(1000 * X[:300])
    assert record[0].filename == __file__


def test_one_corrupt_value_in_a_chunk_moves_neither_error_scales_nor_code_spread():
    """Mutation audit: partial_fit's docstring promises that no row counts
    for more than ROW_BOUND times a feature's typical error, nor its code
    for more than 100 times the codes' typical spread, and neither bound was
    pinned. One value 1e6 standard deviations out multiplied error_scale_
    by up to 4e10 without the first bound, and the codes' covariance by 4e7
    without the second."""
    rng = np.random.RandomState(0)
    X = rng.randn(500, 2) @ rng.randn(2, 8) + 0.1 * rng.randn(500, 8)
    model = AutoEncoder(max_epochs=10, random_state=0).fit(X)
    scales, spread = model.error_scale_.copy(), np.diag(model.code_covariance_).copy()
    chunk = X[:10].copy()
    chunk[0, 3] = 1e6 * X[:, 3].std()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.partial_fit(chunk)
    assert (model.error_scale_ / scales).max() < 10
    assert (np.diag(model.code_covariance_) / spread).max() < 10


def test_a_chunk_in_other_units_after_small_chunks_warns():
    """Mutation audit: statistics refitted on exactly MIN_REFRESH_ROWS (256)
    rows, as after a fit and a small chunk, are settled: a chunk in other
    units then warns (the mutant took them for unsettled, silently)."""
    rng = np.random.RandomState(0)
    model = AutoEncoder(n_components=2, max_epochs=10, random_state=0)
    model.fit(rng.normal(size=(1000, 6)))
    model.partial_fit(rng.normal(size=(50, 6)))
    assert model._statistics_rows == 256
    with pytest.warns(UserWarning, match="multiplied the typical reconstruction errors"):
        model.partial_fit(1000 * rng.normal(size=(150, 6)))


def test_a_tenfold_jump_of_near_zero_error_scales_does_not_warn():
    """Probe finding: on 2 features with 2 codes the error scales were 1e-5
    of a standardised feature's variance; a partial_fit on the fit's own rows
    at a new learning rate took them to 4e-4, a tenfold jump that moved no
    row's label, and the warning sent the user looking for corrupt values.
    The jump counts once the median scale reaches ERROR_SCALE_FLOOR."""
    X, _ = _rows_with_clear_outliers()
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    model.error_scale_ = np.full(X.shape[1], 4e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model._warn_if_error_scales_jumped(np.full(X.shape[1], 1e-5))
    model.error_scale_ = np.full(X.shape[1], 10 * ERROR_SCALE_FLOOR)
    with pytest.warns(UserWarning, match=r"reconstruction errors \(error_scale_\) by 100 "):
        model._warn_if_error_scales_jumped(np.full(X.shape[1], ERROR_SCALE_FLOOR / 10))


def test_a_covariance_of_the_codes_that_cannot_be_factored_names_the_cause():
    """numpy's bare "Matrix is not positive definite" named no cause (probe:
    once met in partial_fit, with one value 1e10 standard deviations out)."""
    not_definite = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="codes could not be fitted.*rows far outside"):
        gaussian_log_density(np.zeros(2), not_definite, torch.zeros(3, 2, dtype=torch.float64))


def test_frame_with_a_string_column_is_rejected_without_categorical_features(data):
    frame = pd.DataFrame(data, columns=[f"f{i}" for i in range(N_FEATURES)]).assign(label="x")
    with pytest.raises(ValueError, match="could not convert string to float"):
        AutoEncoder(max_epochs=1, categorical_features=None).fit(frame)
    # By default (categorical_features="from_dtype") the string column is categorical.
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert model.is_categorical_.tolist() == [False] * N_FEATURES + [True]


def test_numeric_column_with_strings_is_named(data):
    frame = pd.DataFrame(data, columns=[f"f{i}" for i in range(N_FEATURES)])
    frame["f1"] = frame["f1"].astype(object)
    frame.loc[3, "f1"] = "oops"
    frame = frame.assign(kind=pd.Categorical(["a", "b"] * (len(frame) // 2)))
    with pytest.raises(ValueError, match="Column 'f1' is numeric"):
        AutoEncoder(max_epochs=1, categorical_features=["kind"]).fit(frame)


@pytest.mark.parametrize(
    "spec, message",
    [
        (["nope"], "names columns X does not have"),
        ([7], r"must be in \[0, n_features - 1\]"),
        ([True, False], "one entry per feature"),
    ],
)
def test_bad_categorical_features_are_named(data, spec, message):
    frame = pd.DataFrame(data, columns=[f"f{i}" for i in range(N_FEATURES)])
    with pytest.raises(ValueError, match=message):
        AutoEncoder(max_epochs=1, categorical_features=spec).fit(frame)


def test_categorical_columns_need_the_dense_architecture(data):
    frame = pd.DataFrame(data, columns=[f"f{i}" for i in range(N_FEATURES)]).assign(label="x")
    with pytest.raises(ValueError, match="architecture='dense'"):
        ConvolutionalAutoEncoder(max_epochs=1).fit(frame)


def test_image_shape_must_match_the_features(data):
    with pytest.raises(ValueError, match=r"image_shape=\(1, 2, 2\) does not match X"):
        ConvolutionalAutoEncoder(image_shape=(1, 2, 2), max_epochs=1).fit(data)
    images = np.random.RandomState(0).normal(size=(20, 1, 4, 4))
    model = ConvolutionalAutoEncoder(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    model.fit(images)
    # After a fit the fitted shape is named as such: the parameter is None.
    with pytest.raises(
        ValueError, match=r"images of shape \(1, 2, 8\), but the fitted image_shape_ is \(1, 4, 4\)"
    ):
        model.transform(images.reshape(20, 1, 2, 8))
    with pytest.raises(ValueError, match=r"images of shape \(1, 2, 8\), but image_shape is"):
        ConvolutionalAutoEncoder(image_shape=(1, 4, 4), max_epochs=1).fit(
            images.reshape(20, 1, 2, 8)
        )
    # A 3-D array is not an image batch: the message says what is.
    with pytest.raises(ValueError, match=r"dim 3.*\(n_samples, C, H, W\)"):
        model.transform(images[:, 0])
    with pytest.raises(ValueError, match=r"dim 3.*add the channel axis"):
        ConvolutionalAutoEncoder(max_epochs=1).fit(images[:, 0])
    # ... and the hint of the channel axis is for 3-D arrays only.
    with pytest.raises(ValueError, match=r"dim 5.*\(n_samples, C, H, W\)\.$") as error:
        ConvolutionalAutoEncoder(max_epochs=1).fit(images[:, None])
    assert "channel axis" not in str(error.value)
    # Nested lists of images are images, as the array is.
    from_list = ConvolutionalAutoEncoder(hidden_layer_sizes=(2,), max_epochs=1, random_state=0)
    assert from_list.fit(images.tolist()).image_shape_ == (1, 4, 4)
    assert_allclose(from_list.transform(images.tolist()), model.transform(images), rtol=1e-6)
    ragged = images.tolist()
    ragged[3][0][1] = ragged[3][0][1][:2]
    with pytest.raises(ValueError, match="images do not all have one shape"):
        ConvolutionalAutoEncoder(max_epochs=1).fit(ragged)


@pytest.mark.parametrize(
    "shape",
    [(1, -4, -4), (-1, -4, 4), (1.0, 4, 4), (1, 16), (0, 4, 4), [[1, 4, 4]], (True, 4, 4)],
)
@pytest.mark.parametrize("architecture", ["conv", "dense"])
def test_image_shape_must_be_three_positive_integers(data, shape, architecture):
    """Checked whatever the architecture, as scikit-learn checks a parameter's
    type even where the others leave it unused; (1, -4, -4) multiplies to 16."""
    from skae import AutoEncoder

    model = AutoEncoder(image_shape=shape, architecture=architecture, max_epochs=1)
    with pytest.raises(ValueError, match="'image_shape' parameter of AutoEncoder must be"):
        model.fit(np.random.RandomState(0).normal(size=(20, 16)))


def test_a_series_gets_scikit_learns_error(data):
    from skae import AutoEncoder

    frame = pd.DataFrame(data)
    with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
        AutoEncoder(max_epochs=1).fit(frame[0])
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    for method in (model.transform, model.score_samples, model.predict, model.explain):
        with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
            method(frame.iloc[0])


def test_a_list_of_rows_of_different_lengths_is_named():
    """It became a 1-D object array of lists, and check_array advised
    reshape(-1, 1) and printed the whole list."""
    rows = [[1.0, 2.0, 3.0], [1.0, 2.0]] * 50
    with pytest.raises(ValueError, match=r"different lengths \(2 to 3 entries\)") as info:
        AutoEncoder(max_epochs=1).fit(rows)
    assert len(str(info.value)) < 200
    model = AutoEncoder(max_epochs=1, random_state=0).fit([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]] * 50)
    assert model.n_features_in_ == 3
    # The imputer names it alike (a probe: numpy's "inhomogeneous shape").
    from skae import AutoEncoderImputer

    with pytest.raises(ValueError, match=r"different lengths \(2 to 3 entries\)"):
        AutoEncoderImputer(AutoEncoder(max_epochs=1)).fit(rows)
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0))
    imputer.fit([[1.0, np.nan, 3.0], [3.0, 1.0, 2.0]] * 50)
    assert imputer.transform([[1.0, np.nan, 3.0]]).shape == (1, 3)
    with pytest.raises(ValueError, match=r"different lengths \(2 to 3 entries\)"):
        imputer.transform(rows)
    # Not a table at all: scikit-learn's error, not "iteration over a 0-d array".
    for nothing in (5, None, "abc"):
        with pytest.raises(ValueError, match="Expected 2D array"):
            AutoEncoder(max_epochs=1).fit(nothing)


@pytest.mark.parametrize(
    "X",
    [
        np.random.RandomState(1).normal(size=(1, N_FEATURES)),
        np.full((12, 1), 7.0),
        np.c_[np.random.RandomState(2).normal(size=(12, 2)), np.full(12, -3.0)],
    ],
    ids=["one row", "one constant feature", "with a constant feature"],
)
def test_degenerate_but_valid_data_works(make_estimator, X):
    model = make_estimator(max_epochs=2).fit(X)
    codes = model.transform(X)
    assert codes.shape == (len(X), 2) and np.isfinite(codes).all()
    for method in ("score_samples", "decision_function"):
        scores = getattr(model, method)(X)
        assert scores.shape == (len(X),) and np.isfinite(scores).all()
    assert set(model.predict(X)) <= {-1, 1}
    back = model.inverse_transform(codes)
    assert back.shape == X.shape and np.isfinite(back).all()
    drawn = model.sample(3, random_state=0)
    assert drawn.shape == (3, X.shape[1]) and np.isfinite(drawn).all()


# --- property-based -------------------------------------------------------------------

#: What a call may raise on arbitrary numeric input: the documented errors.
DOCUMENTED = (ValueError, FloatingPointError)

# scikit-learn's finiteness check sums the input first; with +inf and -inf in
# one array numpy warns about the sum before the check raises its ValueError.
sums_of_infinities = pytest.mark.filterwarnings(
    "ignore:invalid value encountered in reduce:RuntimeWarning"
)

MODERATE = st.floats(-1e3, 1e3)
EXTREME = st.one_of(MODERATE, st.sampled_from([1e300, -1e300, 1e39, -1e39, 1e-300]))
ANY = st.floats(allow_nan=True, allow_infinity=True, width=64)


@st.composite
def matrices(draw):
    # Mostly 2-D and finite, so that most examples get past validation and
    # exercise training and inference; the rest probe the refusals.
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    ndim = draw(st.sampled_from([2, 2, 2, 1, 3]))
    shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=0, max_side=12))
    elements = draw(st.sampled_from([MODERATE, MODERATE, EXTREME, ANY]))
    with np.errstate(over="ignore"):
        return draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)


@sums_of_infinities
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(X=matrices(), kind=st.sampled_from(sorted(FAST_ESTIMATORS)))
def test_any_array_gives_finite_output_or_a_documented_error(X, kind):
    model = FAST_ESTIMATORS[kind](max_epochs=1)
    try:
        model.fit(X)
    except DOCUMENTED:
        event("fit refused")
        return
    event("fitted")
    n, d = X.shape
    outputs = {
        "transform": (model.transform(X), (n, 2), X.dtype),
        "score_samples": (model.score_samples(X), (n,), np.float64),
        "inverse_transform": (
            model.inverse_transform(model.transform(X)),
            (n, d),
            X.dtype,
        ),
        "sample": (model.sample(4, random_state=0), (4, d), np.float64),
    }
    for method, (out, shape, dtype) in outputs.items():
        assert out.shape == shape, method
        assert out.dtype == dtype, method
        assert np.isfinite(out).all(), method
    assert set(model.predict(X)) <= {-1, 1}


@sums_of_infinities
@settings(max_examples=40, deadline=None, derandomize=True)
@given(X=matrices())
def test_a_fitted_model_gives_finite_output_or_a_documented_error(X):
    """Finite output, or a documented error; but for the scores of rows
    beyond what the float32 network represents (1e300 among numbers near 1,
    say), which are -inf (the README's "Input"), and flagged."""
    model = _FITTED_ON_THREE_FEATURES
    outputs = {}
    for method in ("transform", "score_samples", "predict", "decision_function"):
        try:
            out = getattr(model, method)(X)
        except DOCUMENTED:
            continue
        assert X.ndim == 2 and X.shape[1] == 3 and len(X) > 0
        assert len(out) == len(X), method
        outputs[method] = out
        if method in ("score_samples", "decision_function"):
            assert not np.isnan(out).any() and (out < np.inf).all(), method
        else:
            assert np.isfinite(out).all(), method
    if "score_samples" in outputs and "predict" in outputs:
        assert (outputs["predict"][outputs["score_samples"] == -np.inf] == -1).all()


_FITTED_ON_THREE_FEATURES = AutoEncoder(max_epochs=2, random_state=0).fit(
    np.random.RandomState(0).normal(size=(40, 3))
)


# --- finite input beyond what the float32 network can represent -------------------------


@pytest.fixture(scope="module")
def unscaled(data):
    # Without internal scaling, finite values near float32's limit reach the
    # network; two hidden layers amplify them past it.
    return {
        name: make(scaling="none", max_epochs=1, hidden_layer_sizes=(64, 32)).fit(data)
        for name, make in sorted(FAST_ESTIMATORS.items())
        if name != "ConvolutionalAutoEncoder"
    }


def _far_rows(data):
    X = data[:3].copy()
    X[0] = 3e38
    X[1, ::2] = -3e38
    return X


def _finite_or_overflow(call, method):
    """The call's output if finite; None if it raised the overflow error."""
    try:
        out = call()
    except ValueError as exc:
        assert f"{method} overflowed" in str(exc)
        return None
    assert np.isfinite(out).all(), method
    return out


def test_overflow_inside_the_network_is_never_silent(unscaled, data):
    X = _far_rows(data)
    huge_codes = np.full((1, 2), 3e38)
    refused = 0
    for name, model in unscaled.items():
        # Scores: the far rows are maximally abnormal, never NaN.
        scores = model.score_samples(X)
        assert np.isneginf(scores[:2]).all() and np.isfinite(scores[2]), name
        assert model.predict(X).tolist() == [-1, -1, 1], name
        # The encoder sees the far rows clipped to the training range, so
        # their codes are finite: those of the clipped rows.
        clipped = np.clip(X, data.min(axis=0), data.max(axis=0))
        assert_allclose(model.transform(X), model.transform(clipped), rtol=1e-5)
        # Reconstructions of huge codes are finite, or refused: never inf or NaN.
        if (
            _finite_or_overflow(
                lambda m=model: m.inverse_transform(huge_codes), "inverse_transform"
            )
            is None
        ):
            refused += 1
        with pytest.raises(ValueError, match="codes too large for float32"):
            model.inverse_transform(np.array([[1e39, 0.0]]))
    # The overflow does happen here, so the checks above are exercised.
    assert refused >= 1


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.full((10, 4), np.inf), "infinity"),
        (np.ones(10), "Expected 2D array"),
        (np.empty((0, 4)), "0 sample"),
        (np.ones((10, 4)) * 1j, "Complex data not supported"),
    ],
    ids=["inf", "1-D", "empty", "complex"],
)
def test_a_failed_fit_leaves_the_estimator_unfitted(bad, match, data):
    """As scikit-learn's estimators: NotFittedError afterwards, not an
    AttributeError from a part the failed fit did not make."""
    est = FAST_ESTIMATORS["AutoEncoder"]()
    with pytest.raises(ValueError, match=match):
        est.fit(bad)
    for method in ("transform", "score_samples", "predict"):
        with pytest.raises(NotFittedError):
            getattr(est, method)(data)


def test_a_failed_refit_does_not_mix_two_fits(data):
    """A refit refused after its input set the new layout (five columns)
    leaves the first fit whole, not its network with the new layout."""
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(data)
    codes, scores = est.transform(data), est.score_samples(data)
    wider = np.hstack([data, data[:, :1] * 1e300])
    with pytest.raises(ValueError, match="too large"):
        est.fit(wider)
    assert est.n_features_in_ == data.shape[1]
    with pytest.raises(ValueError, match="features"):
        est.transform(wider)
    assert_allclose(est.transform(data), codes)
    assert_allclose(est.score_samples(data), scores)


@pytest.mark.parametrize("kind", ["inf", "string"])
def test_a_refused_refit_keeps_the_previous_fit(kind, data):
    """As PCA and IsolationForest: fit(bad) raises and the model fitted
    before stays usable, unchanged."""
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(data)
    predictions = est.predict(data)
    if kind == "inf":
        bad = data.copy()
        bad[0, 0] = np.inf
        match = "infinity"
    else:
        bad = pd.DataFrame(data).astype(object)
        bad.iloc[0, 0] = "x"
        est.set_params(categorical_features=None)
        match = "could not convert string to float"
    with pytest.raises(ValueError, match=match):
        est.fit(bad)
    assert_array_equal(est.predict(data), predictions)


def test_scores_follow_the_fitted_loss_not_a_loss_set_since(data):
    """As PCA's transform follows its fitted components: a refit refused
    for the loss it asked for (binary cross-entropy needs [0, 1]), or a
    loss set without a refit, does not change what the fitted model scores."""
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(data)
    scores, predictions = est.score_samples(data), est.predict(data)
    est.set_params(loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        est.fit(data)
    assert_allclose(est.score_samples(data), scores)
    assert_array_equal(est.predict(data), predictions)
    assert_allclose(est.explain(data).sum(axis=1), scores, rtol=1e-4, atol=1e-4)
    # And the other way: a model of [0, 1] data keeps scoring values outside it.
    unit = np.random.RandomState(0).rand(60, 4)
    bce = FAST_ESTIMATORS["AutoEncoder"](loss="binary_crossentropy").fit(unit)
    assert np.isinf(bce.score_samples(unit + 2)).all()
    bce.set_params(loss="mse")
    assert np.isinf(bce.score_samples(unit + 2)).all()


def test_a_refused_imputer_refit_keeps_the_previous_fit(data):
    holes = data.copy()
    holes[::7, 1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(n_components=2, max_epochs=2, random_state=0)).fit(
        holes
    )
    filled = imputer.transform(holes)
    # Passes the imputer's own check (NaN allowed), refused by its model.
    with pytest.raises(ValueError, match="no observed value"):
        imputer.fit(np.full((20, 2 * data.shape[1]), np.nan))
    assert imputer.n_features_in_ == data.shape[1]
    assert_allclose(imputer.transform(holes), filled)
    # Nor does a Ctrl-C after its model's epochs (the model raises it then).

    class Interrupt(Callback):
        def on_train_end(self, net, **kwargs):
            raise KeyboardInterrupt

    interrupted = AutoEncoder(n_components=3, max_epochs=1, callbacks=[Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        imputer.set_params(estimator=interrupted).fit(holes[:, :2])
    assert imputer.n_features_in_ == data.shape[1]
    assert_allclose(imputer.transform(holes), filled)


class _FailAfter(Callback):
    """Raise at the end of the epoch that makes ``epochs`` in the history
    (a Checkpoint on a full disk, say)."""

    def __init__(self, epochs):
        self.epochs = epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epochs:
            raise OSError("disk full")


@pytest.mark.parametrize("method", ["partial_fit", "warm_start"])
def test_a_continued_fit_that_fails_in_training_keeps_the_model(method, data):
    """The weights trained before the failure go, with their epochs: the
    model scores as before, not with new weights and old statistics."""
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=3, callbacks=[_FailAfter(4)]).fit(data)
    scores, history = est.score_samples(data), len(est.net_.history)
    with pytest.raises(OSError, match="disk full"):
        if method == "partial_fit":
            est.partial_fit(data)
        else:
            est.set_params(warm_start=True).fit(data)
    assert est.n_iter_ == 3 and len(est.net_.history) == history
    assert_array_equal(est.score_samples(data), scores)
    # ... and continues from there as a model that never failed.
    est.set_params(callbacks=None, warm_start=False)
    twin = FAST_ESTIMATORS["AutoEncoder"](max_epochs=3).fit(data)
    assert_allclose(
        est.partial_fit(data).score_samples(data), twin.partial_fit(data).score_samples(data)
    )


@pytest.mark.parametrize("param, group_key", [("weight_decay", "weight_decay"), ("lr", "lr")])
def test_a_parameter_set_before_a_failed_partial_fit_applies_to_the_next(param, group_key, data):
    """The failed call's rollback put the optimiser's old weight decay back
    but kept the new one on the net, which the next call compared with: the
    new weight decay was never applied for the rest of the stream."""
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=3, callbacks=[_FailAfter(4)]).fit(data)
    est.set_params(**{param: 0.5})
    with pytest.raises(OSError, match="disk full"):
        est.partial_fit(data)
    est.set_params(callbacks=None).partial_fit(data)
    assert [g[group_key] for g in est.net_.optimizer_.param_groups] == [0.5]


def test_partial_fit_refuses_a_device_other_than_the_fitted_models(data):
    """A probe: the docs said a device set after fitting changes nothing
    until the next fit, and partial_fit moved the chunk to it while the
    network stayed where it was (torch's device mismatch, mid-training, on
    a machine with both). The CPU stands in for the other device here."""
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(data)
    scores, epochs = est.score_samples(data), est.n_iter_
    est.device_ = torch.device("cuda")  # as if fitted there
    with pytest.raises(ValueError, match=r"device='cpu' places training on cpu, but the fitted"):
        est.partial_fit(data)
    est.device_ = torch.device("cpu")
    assert est.n_iter_ == epochs
    assert_array_equal(est.score_samples(data), scores)


def test_a_failed_partial_fit_keeps_the_model(data):
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(data)
    codes = est.transform(data)
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(data[:, :2])
    assert_allclose(est.transform(data), codes)


@pytest.mark.parametrize(
    "column",
    [
        pd.date_range("2020", periods=40),
        pd.date_range("2020", periods=40, tz="UTC"),
        pd.timedelta_range(0, periods=40, freq="h"),
        pd.period_range("2020", periods=40, freq="D"),
        pd.interval_range(0, 40),
    ],
    ids=["datetime", "tz-aware", "timedelta", "period", "interval"],
)
@pytest.mark.parametrize("with_category", [False, True])
def test_a_date_column_is_refused_by_name(column, with_category):
    """numpy's own refusal is a TypeError naming no column, and it was a
    ValueError naming it only when the frame also had a categorical column."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=40), "when": column})
    if with_category:
        X["k"] = rng.choice(["u", "v"], 40)
    match = r"columns \['when'\] hold dates, times or intervals"
    for est in (AutoEncoder(max_epochs=1), AutoEncoderImputer(AutoEncoder(max_epochs=1))):
        with pytest.raises(ValueError, match=match):
            est.fit(X)
    fitted = AutoEncoder(max_epochs=1, random_state=0).fit(X.assign(when=1.0))
    with pytest.raises(ValueError, match=match):
        fitted.predict(X)
    # A category of them, where the fit found numbers (a TypeError naming none).
    with pytest.raises(ValueError, match=match):
        fitted.predict(X.assign(when=pd.Categorical(column)))


@pytest.mark.parametrize("kind", ["datetime64[ns]", "timedelta64[s]", "object"])
def test_an_array_of_dates_is_refused_as_their_columns_are(kind):
    """Probe finding: refused by name as DataFrame columns, the same dates as
    a numpy array were fitted as nanosecond counts (mean_ about 1.6e18)."""
    import datetime

    days = np.arange(80).reshape(40, 2)
    if kind == "object":
        X = np.array(
            [
                [datetime.datetime(2020, 1, 1) + datetime.timedelta(days=int(d)) for d in row]
                for row in days
            ],
            dtype=object,
        )
    else:
        X = days.astype(kind)
    match = "X holds dates, times or time spans"
    for est in (AutoEncoder(max_epochs=1), AutoEncoderImputer(AutoEncoder(max_epochs=1))):
        with pytest.raises(ValueError, match=match):
            est.fit(X)
    fitted = AutoEncoder(max_epochs=1, random_state=0).fit(days.astype(float))
    with pytest.raises(ValueError, match=match):
        fitted.score_samples(X)
    # As codes (2 of them here): inverse_transform decoded the day counts.
    assert fitted.n_components_ == 2
    with pytest.raises(ValueError, match=match):
        fitted.inverse_transform(X)


def test_a_category_or_dictionary_of_dates_is_refused_where_numbers_are_expected():
    """A category of date objects and a pyarrow dictionary of dates gave
    float()'s TypeError, naming no column."""
    import datetime

    pa = pytest.importorskip("pyarrow")
    days = pd.Series([datetime.date(2020, 1, 1), datetime.date(2021, 5, 5)] * 20)
    x = np.random.RandomState(0).normal(size=40)
    for column in (
        days.astype("category"),
        pd.Series(pd.arrays.ArrowExtensionArray(pa.array(days).dictionary_encode())),
    ):
        with pytest.raises(ValueError, match=r"columns \['d'\] hold dates"):
            AutoEncoder(max_epochs=1, categorical_features=None).fit(
                pd.DataFrame({"x": x, "d": column})
            )


def test_the_imputer_refuses_a_category_of_dates_by_name():
    """Its numeric path (no categorical column) gave float()'s TypeError,
    naming no column, at fit and at transform; its estimator named it."""
    from skae import AutoEncoderImputer

    x = np.random.RandomState(0).normal(size=(60, 2))
    numbers = pd.DataFrame(x, columns=["a", "z"])
    dates = numbers.assign(z=pd.Categorical(pd.date_range("2020-01-01", periods=60)))
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(numbers)
    with pytest.raises(ValueError, match=r"columns \['z'\] hold dates"):
        imputer.transform(dates)
    estimator = AutoEncoder(max_epochs=1, categorical_features=None)
    with pytest.raises(ValueError, match=r"columns \['z'\] hold dates"):
        AutoEncoderImputer(estimator).fit(dates)


@pytest.mark.parametrize("spec", [np.array([["c"]]), np.array([[0]]), np.array(0)])
def test_categorical_features_of_another_shape_is_refused(spec):
    """A 2-D array of names was read as names X lacks ([['c']]), one of
    indices silently as its entries."""
    X = pd.DataFrame({"c": ["a", "b"] * 20, "x": np.arange(40.0)})
    with pytest.raises(ValueError, match="categorical_features must be one-dimensional"):
        AutoEncoder(max_epochs=1, categorical_features=spec).fit(X)


def test_a_column_of_date_objects_is_refused_as_dates_are():
    """``.dt.date`` gives an object column: it was taken for a categorical
    one (and its model could not be saved)."""
    days = pd.Series(pd.date_range("2020", periods=5).date).sample(40, replace=True, random_state=0)
    X = pd.DataFrame({"a": np.arange(40.0), "day": days.to_numpy()})
    with pytest.raises(ValueError, match=r"columns \['day'\] hold dates"):
        AutoEncoder(max_epochs=1).fit(X)
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0))
    with pytest.raises(ValueError, match=r"columns \['day'\] hold dates"):
        imputer.fit(X.assign(day=1.0)).transform(X)
    named = AutoEncoder(max_epochs=1, random_state=0, categorical_features=["day"]).fit(X)
    assert len(named.categories_[0]) == 5


def test_the_date_check_leaves_other_errors_as_they_were():
    """It ran before the check of the columns' names, and an extra column of
    a model with categorical columns raised an IndexError; a TypeError of
    scikit-learn's (mixed str and int names) came back as a ValueError."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.rand(40), "c": pd.Categorical(rng.choice(["a", "b"], 40))})
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    for extra in (X.assign(extra=1.0), X.assign(when=pd.date_range("2020", periods=40))):
        with pytest.raises(ValueError, match="Feature names unseen at fit time"):
            est.transform(extra)
    mixed = pd.DataFrame({"x": rng.rand(40), 1: rng.choice(["a", "b"], 40).astype(object)})
    with pytest.raises(TypeError, match="Feature names are only supported if all input"):
        AutoEncoder(categorical_features=None, max_epochs=1).fit(mixed)


def test_a_date_column_where_the_fit_found_categories_is_refused():
    """It was read as an unseen category in every row: all rows flagged."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "d": rng.choice(["x", "y"], 60)})
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"columns \['d'\] hold dates"):
        est.predict(X.assign(d=pd.date_range("2020", periods=60)))


def test_a_date_column_named_categorical_is_a_category():
    X = pd.DataFrame({"a": np.arange(40.0), "day": pd.date_range("2020", periods=4).repeat(10)})
    est = AutoEncoder(max_epochs=1, random_state=0, categorical_features=["day"]).fit(X)
    assert len(est.categories_[0]) == 4


def test_the_convolutional_kind_says_to_encode_string_columns():
    """Its two messages sent the user in a circle: each one recommended the
    setting that raised the other."""
    X = pd.DataFrame(np.random.RandomState(0).rand(16, 16)).add_prefix("p")
    X["k"] = ["u", "v"] * 8
    with pytest.raises(ValueError, match="encode or drop them first"):
        ConvolutionalAutoEncoder(max_epochs=1, categorical_features=None).fit(X)
    with pytest.raises(ValueError, match="Encode or drop those columns first"):
        ConvolutionalAutoEncoder(max_epochs=1).fit(X)


def test_a_refused_partial_fit_never_shows_another_thread_an_unfitted_model():
    """The rollback emptied the instance before refilling it: a predict in
    another thread meanwhile raised NotFittedError (735 of 2,000 here)."""
    import sys
    import threading

    from skae import AutoEncoder

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: the window was short
    stop, failures = threading.Event(), []
    try:
        rng = np.random.RandomState(0)
        X, new = rng.normal(size=(300, 5)), rng.normal(size=(50, 5))
        model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
        expected = model.predict(new)

        def predict() -> None:
            while not stop.is_set():
                try:
                    if not np.array_equal(model.predict(new), expected):
                        failures.append("another prediction")
                except Exception as exc:  # noqa: BLE001 - any failure is the finding
                    failures.append(exc)

        thread = threading.Thread(target=predict)
        thread.start()
        for _ in range(2000):
            with pytest.raises(ValueError):
                model.partial_fit(rng.normal(size=(10, 4)))
        stop.set()
        thread.join()
    finally:
        stop.set()
        sys.setswitchinterval(interval)
    assert failures == []


def test_a_signalling_nan_is_refused_with_a_value_error():
    """pandas' missing-value test traps on Decimal("sNaN"): a bare
    decimal.InvalidOperation came out; PCA raises a ValueError."""
    from decimal import Decimal

    import pandas as pd

    from skae import AutoEncoder

    X = np.random.RandomState(0).normal(size=(50, 3))
    frame = pd.DataFrame(X, columns=list("abc"))
    frame["a"] = pd.Series([Decimal("sNaN")] + [Decimal(str(v)) for v in X[1:, 0]], dtype=object)
    with pytest.raises(ValueError, match="signalling NaN"):
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match="signalling NaN"):
        model.predict(frame)


@pytest.mark.parametrize("sizes", [True, [8, True], np.array([True, False]), (0,), (8, 0), (-4,)])
def test_booleans_and_empty_layers_are_not_layer_widths(sizes):
    """Probe finding: ``hidden_layer_sizes=True`` built a layer of 1 unit (a
    bool is an int to Python); scikit-learn's MLPs refuse it. A mutation
    audit: a layer of 0 units was refused by nothing else."""
    X = np.random.RandomState(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match="hidden_layer_sizes must be a sequence of positive"):
        AutoEncoder(hidden_layer_sizes=sizes, max_epochs=1).fit(X)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's overflow warned at 1e307
@pytest.mark.parametrize("constant", [1e150, 1e200, 1e250, 1e307])
def test_a_huge_constant_feature_is_a_constant(constant):
    """Probe finding: a feature constant at 1e200 was refused as too large to
    standardise (its mean, rounded by 1e184, squared to infinity), where
    1e150 and 1e307 were centred on their value. A varying feature whose
    squares overflow is still refused."""
    X = np.random.RandomState(0).normal(size=(100, 3))
    X[:, 1] = constant
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert model.mean_[1] == constant
    assert np.isfinite(model.score_samples(X)).all()
    X[::2, 1] *= 3
    if constant > 1e154:  # its square overflows
        with pytest.raises(ValueError, match="too large to standardise"):
            AutoEncoder(max_epochs=2, random_state=0).fit(X)
        # One scale for every feature: the constant's size is everyone's
        # spread (the re-measure made it scale 1, refused later as too large
        # for float32 "once standardised").
        X[:, 1] = constant
        with pytest.raises(ValueError, match="too large to standardise"):
            AutoEncoder(scaling="global", max_epochs=2, random_state=0).fit(X)


@pytest.mark.parametrize("table", ["array", "frame", "mixed"])
def test_an_infinite_entry_is_refused_naming_its_column_and_row(table):
    """A probe's finding: one infinite cell of a wide table was refused in
    scikit-learn's words, which name neither the column nor the row."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 6))
    X[17, 4] = -np.inf
    if table != "array":
        X = pd.DataFrame(X, columns=[f"s{i}" for i in range(6)])
        if table == "mixed":
            X["kind"] = rng.choice(["a", "b"], 60)
    column = "at positions [4]" if table == "array" else "['s4']"
    expected = rf"contains infinity .*The columns {re.escape(column)} hold infinite values .*\[17\]"
    with pytest.raises(ValueError, match=expected):
        AutoEncoder(max_epochs=1).fit(X)
    # Five rows are named, the first (mutation audit: four).
    many = pd.DataFrame(X).copy()
    many.iloc[[3, 7, 11, 20, 30, 40], 4] = np.inf
    many = many.to_numpy() if table == "array" else many
    with pytest.raises(ValueError, match=r"\[3, 7, 11, 17, 20\]\)"):
        AutoEncoder(max_epochs=1).fit(many)
    clean = pd.DataFrame(X).copy() if table == "array" else X.copy()
    clean.iloc[17, 4] = 0.0
    clean = clean.to_numpy() if table == "array" else clean
    model = AutoEncoder(max_epochs=1, random_state=0).fit(clean)
    for method in (model.score_samples, model.transform):
        with pytest.raises(ValueError, match=expected):
            method(X)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # sklearn's sum
def test_float32_rows_near_its_limit_are_standardised_as_float64_rows_are():
    """A probe's finding: float32 rows of -3.3e38 beside a mean of 2e37 were
    refused as too large for float32 once standardised (their difference
    overflowed in float32 arithmetic), where the float64 copy fitted with
    standardised values of -6.6, and so did the float64 model's transform
    of the float32 copy."""
    rng = np.random.RandomState(0)
    X64 = rng.normal(size=(300, 4)) * 5e37 + 2e37
    X64[0, 0] = -3.3e38
    X32 = X64.astype(np.float32)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X64)
    codes = model.transform(X32)
    assert np.isfinite(codes).all()
    assert_allclose(codes, model.transform(X32.astype(np.float64)), rtol=1e-5, atol=1e-6)
    assert np.isfinite(AutoEncoder(max_epochs=2, random_state=0).fit(X32).transform(X32)).all()


def test_values_too_large_to_standardise_name_their_column():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(50, 3)), columns=["a", "b", "c"])
    X.loc[3, "b"] = 1e160
    with pytest.raises(ValueError, match=r"too large to standardise, in the columns \['b'\]"):
        AutoEncoder(max_epochs=1).fit(X)
    positions = r"too large to standardise, in the columns at positions \[1\]"
    with pytest.raises(ValueError, match=positions):
        AutoEncoder(max_epochs=1).fit(X.to_numpy())
    # Columns named by integers are told by position, and said so; an
    # infinite entry is told by the column's own name, 2 (a review).
    X.columns = [1, 2, 3]
    with pytest.raises(ValueError, match=positions):
        AutoEncoder(max_epochs=1).fit(X)
    X.loc[3, 2] = np.inf
    with pytest.raises(ValueError, match=r"The columns \[2\] hold infinite values"):
        AutoEncoder(max_epochs=1).fit(X)


def test_an_infinite_entry_of_an_object_array_with_categories_is_named():
    """A review: an object array with a categorical column could not be
    read as numbers whole, and the refusal named nothing."""
    rng = np.random.RandomState(0)
    X = np.empty((40, 4), dtype=object)
    X[:, :3] = rng.normal(size=(40, 3))
    X[:, 3] = rng.choice(["u", "v"], 40)
    X[7, 2] = np.inf
    with pytest.raises(ValueError, match=r"columns at positions \[2\] hold .*: \[7\]\)"):
        AutoEncoder(max_epochs=1, categorical_features=[3]).fit(X)


def test_features_on_one_scale_near_the_float64_limit_keep_a_finite_scale():
    """Found beside a mutation audit: features on one scale (scaling="auto")
    share the root mean square of their spreads, which squared spreads of
    9e153 to infinity: scale_ inf and noise_variance_ NaN, with no error,
    where scaling="feature" gave finite ones."""
    X = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -0.5]]) * 9e153
    model = AutoEncoder(n_components=1, hidden_layer_sizes=(4,), max_epochs=3, random_state=0)
    model.fit(X)
    spread = np.std(X / 1e150, axis=0)
    assert_allclose(model.scale_, 1e150 * np.sqrt(np.mean(spread**2)), rtol=1e-6)
    assert np.isfinite(model.noise_variance_)
    assert np.isfinite(model.score_samples(X)).all()


def test_float32_values_near_its_largest_are_scaled_as_in_float64():
    """Found by an independent probe: one float32 column spanning +-2e38 (finite)
    made the range of the table overflow to inf in on_one_scale's test, so
    scaling="auto" took the table for pixels on one scale and divided every
    column by 5e37 (the others read as 1e-37, and their anomalies were
    missed). Its scale is now that of the float64 copy."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    X[:, 4] = rng.uniform(-2e38, 2e38, 300)
    wide = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    narrow = AutoEncoder(max_epochs=2, random_state=0).fit(X.astype(np.float32))
    assert_allclose(narrow.scale_, wide.scale_, rtol=1e-6)
    assert narrow.scale_[:4].max() < 2


@pytest.mark.parametrize("value", [1.005, -0.005])
def test_binary_crossentropy_refuses_a_value_just_outside_the_unit_interval(value):
    """Mutation audit: 0.5% outside [0, 1] is outside (fit refuses it, a row
    holding it scores -inf); only rounding (1e-7 here) is let through."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(60, 4))
    outside, rounded = X.copy(), X.copy()
    outside[0, 0] = value
    rounded[0, 0] = 1 + 1e-7 if value > 1 else -1e-7
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        AutoEncoder(loss="binary_crossentropy", max_epochs=1, random_state=0).fit(outside)
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=1, random_state=0).fit(rounded)
    scores = model.score_samples(np.vstack([outside[:2], rounded[:2]]))
    assert scores[0] == -np.inf
    assert np.isfinite(scores[1:]).all()


@pytest.mark.parametrize("kind", [AutoEncoder, VariationalAutoEncoder], ids=lambda k: k.__name__)
def test_a_first_fit_that_left_the_network_as_it_started_warns(kind):
    """A probe: lr=1e-9 returned a random network without a word. A fit
    whose training did not reduce its rows' reconstruction error by a
    hundredth of a percent warns, after enough steps to tell (a fit of 8
    steps, and a partial_fit that continues a trained model, do not)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(500, 8))
    with pytest.warns(ConvergenceWarning, match=r"the network is as it started, untrained"):
        kind(lr=1e-9, max_epochs=8, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = kind(max_epochs=8, random_state=0).fit(X)
        kind(lr=1e-9, max_epochs=1, random_state=0).fit(X[:256])
        model.set_params(lr=1e-9).partial_fit(X)
    # A slow rate that moves the network is not this failure.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        kind(lr=1e-5, max_epochs=8, random_state=0).fit(X)
    # Nor a high one that made the error grow (a probe: lr=0.3 on wine, 1.76
    # times worse, was told to try a higher rate).
    wine = load_wine().data
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        DenoisingAutoEncoder(lr=0.3, random_state=0).fit(wine)
    assert not [w for w in record if "as it started" in str(w.message)]


# --- regressions from a mutation audit of skae/_base.py --------------------------
@pytest.mark.parametrize("n_rows", [20, 40])
def test_a_fit_ending_tens_of_times_worse_is_refused_as_diverged(n_rows):
    """Mutation audit (m15): a fit whose training reconstructions end
    DIVERGED_RATIO (10) times worse than before training, or than the
    features' means, raises FloatingPointError. These two end about 80 and 45
    times worse: the mutant's threshold (100) let them through as fitted."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    X[:, 1] = 2 * X[:, 0] + 0.1 * rng.randn(200)
    model = DenoisingAutoEncoder(2, lr=0.3, max_epochs=20, random_state=0)
    with pytest.raises(FloatingPointError, match="Training diverged"):
        model.fit(X[:n_rows])


def test_a_diverged_first_fit_leaves_no_fitted_attribute_behind():
    """Mutation audit (m31): a first fit that fails in training (here it
    diverges) removes every attribute it set, so the estimator is as before
    the call; the mutant left mean_, scale_, n_features_in_,
    hidden_layer_sizes_ and is_categorical_ of a model that does not exist."""
    X = np.random.RandomState(0).normal(size=(200, 5))
    est = AutoEncoder(n_components=2, lr=50.0, max_epochs=20, random_state=0)
    before = set(vars(est))
    with pytest.raises(FloatingPointError, match="Training diverged"):
        est.fit(X)
    assert set(vars(est)) == before
    for name in ("mean_", "scale_", "n_features_in_", "hidden_layer_sizes_", "is_categorical_"):
        assert not hasattr(est, name), name


def test_a_failed_run_whose_codes_break_the_scores_is_a_floating_point_error():
    """lr=10 on 500 digits: training warns that the decoder collapsed, and
    the Gaussian mixture of the scores cannot be fitted on the codes it left.
    That is reported as the failed training it is (FloatingPointError, a
    lower learning rate), not as the mixture's ValueError advising fewer
    n_components (the default's 2 already), and leaves the model unfitted."""
    X = load_digits().data[:500]
    est = AutoEncoder(lr=10.0, max_epochs=10, random_state=0)
    with (
        pytest.warns(ConvergenceWarning),
        pytest.raises(FloatingPointError, match="Training failed.*lower learning rate"),
    ):
        est.fit(X)
    assert not hasattr(est, "net_")


def test_training_errors_that_overflow_float32_are_a_floating_point_error():
    """A probe's finding: scaling="none" on data of 1e20 trained on (the Huber
    loss stayed finite), but the squared errors of the scoring pass overflowed
    float32: error_scale_ inf, offset_ NaN, and predict flagged no row, not
    even those scoring -inf. Now the fit fails, naming the columns, and a
    refit that fails so keeps the model fitted before."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)) @ rng.normal(size=(2, 4)), columns=list("abcd"))
    est = AutoEncoder(scaling="none", max_epochs=3, random_state=0)
    match = r"overflow float32 in the columns \['a', 'b', 'c', 'd'\].*scaling='auto'"
    with pytest.raises(FloatingPointError, match=match):
        est.fit(X * 1e20)
    assert not hasattr(est, "net_")
    est.fit(X)
    offset = est.offset_
    with pytest.raises(FloatingPointError, match="overflow float32"):
        est.fit(X * 1e20)
    assert est.offset_ == offset and np.isfinite(est.decision_function(X)).all()
    # partial_fit caps each row's errors, and fails on the threshold: the
    # advice names the units too, not only the rate (a review).
    with pytest.raises(FloatingPointError, match=r"not finite.*scaling='auto'.*lower learning"):
        est.partial_fit(X * 1e20)
    assert est.offset_ == offset


def test_a_step_that_leaves_no_finite_training_score_is_a_divergence():
    """A probe's finding: one step of lr=1e7 on a 30-row chunk left the
    variational kind's weights at 1e7 and its loss finite: every score -inf,
    offset_ NaN, predict flagging nothing, and no error. Now it fails as a
    divergence, and the model stays as it was (its reconstructions are not
    finite either, which the check after training reports first)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(4000, 3)) @ rng.normal(size=(3, 8)) + 0.3 * rng.normal(size=(4000, 8))
    model = VariationalAutoEncoder(random_state=0, max_epochs=2).fit(X[:600])
    offset, scores = model.offset_, model.score_samples(X[1000:1100])
    model.set_params(lr=1e7)
    with pytest.raises(FloatingPointError, match="training rows are not finite.*lr=1"):
        model.partial_fit(X[600:630])
    assert model.offset_ == offset
    assert_array_equal(model.score_samples(X[1000:1100]), scores)
    model.set_params(lr="auto").partial_fit(X[630:660])
    assert np.isfinite(model.offset_)


def test_an_inverse_transform_that_overflows_to_inf_is_refused():
    """Mutation audit (m02): output the float32 network cannot represent is
    refused with "inverse_transform overflowed", infinite as well as NaN. These
    codes (far beyond any training code) reconstruct as +-inf, not NaN: the
    mutant, checking for NaN only, returned the infinities."""
    data = np.random.RandomState(0).normal(size=(60, 4))
    model = AutoEncoder(
        n_components=2, scaling="none", max_epochs=1, hidden_layer_sizes=(1,), random_state=3
    ).fit(data)
    with pytest.raises(ValueError, match="inverse_transform overflowed"):
        model.inverse_transform(np.full((1, 2), -3e38))


def test_inverse_transform_refuses_too_few_codes_by_name():
    """Mutation audit: codes of fewer columns than n_components_ are refused
    with scikit-learn's "X has 1 features ... expecting 2" ValueError, as too
    many are. The mutant checked only for too many: torch's RuntimeError
    ("mat1 and mat2 shapes cannot be multiplied") came from the decoder."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    model = AutoEncoder(n_components=2, max_epochs=2, random_state=0).fit(X)
    with pytest.raises(
        ValueError, match=r"X has 1 features, but AutoEncoder.inverse_transform is expecting 2"
    ):
        model.inverse_transform(np.zeros((3, 1)))


def test_reconstructions_below_the_float32_range_are_refused_for_float32_codes():
    """Mutation audit: float32 codes of a model whose data (float64) lie
    around -1e39 decode to reconstructions below -float32 max, which are
    refused ("do not fit in float32"), as those above +float32 max are. The
    mutant checked the maximum only and returned rows of -inf."""
    rng = np.random.RandomState(0)
    X = -(1e39 + 1e38 * rng.normal(size=(200, 3)))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    codes = model.transform(X[:3]).astype(np.float32)
    assert model.inverse_transform(codes.astype(np.float64)).max() < -np.finfo(np.float32).max
    with pytest.raises(ValueError, match="do not fit in float32, the dtype of the codes"):
        model.inverse_transform(codes)


# --- regressions from a mutation audit of skae/_input.py -------------------------
def test_a_complex_column_of_a_frame_is_refused_as_complex_not_as_text():
    """Mutation audit (I3): a complex128 column is numbers (dtype kind "c"),
    so the error is scikit-learn's "Complex data not supported", without the
    advice for columns that are not numbers. The mutant listed it among the
    non-numeric columns and told to name it in categorical_features."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=20), "z": rng.normal(size=20) + 1j})
    with pytest.raises(ValueError, match="Complex data not supported") as caught:
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert "are not numbers" not in str(caught.value)


def test_a_channels_last_image_array_warns():
    """A probe: (n, H, W, C) images trained, silently, as H channels of
    W x C pixels. fit says how it reads them; channels-first arrays say
    nothing. So does an image_shape given in that order (Keras names a grey
    digit's input (28, 28, 1)), for rows of pixels as for such an array (a
    probe: rows trained silently as 8 channels of 8 x 1 pixels)."""
    rng = np.random.RandomState(0)
    model = ConvolutionalAutoEncoder(n_components=2, max_epochs=1, random_state=0)
    with pytest.warns(UserWarning, match=r"8 channels of 8 x 3 pixels.*np.moveaxis\(X, -1, 1\)"):
        model.fit(rng.rand(30, 8, 8, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.fit(rng.rand(30, 3, 8, 8))
        model.fit(rng.rand(30, 1, 8, 8))
        model.set_params(image_shape=(3, 8, 8)).fit(rng.rand(30, 192))
        model.set_params(image_shape=(1, 1, 64)).fit(rng.rand(30, 64))
        # Two channels of a 1-D signal of 4 samples (a review: warned).
        model.set_params(image_shape=(2, 1, 4)).fit(rng.rand(30, 8))
        # A first axis of channels says so, whatever the last (a mutation
        # audit: warned when the last axis could be channels too).
        model.set_params(image_shape=None).fit(rng.rand(30, 1, 16, 3))
        model.set_params(image_shape=(3, 16, 4)).fit(rng.rand(30, 192))
    message = (
        r"image_shape=\(8, 8, 1\) is read .* 8 channels of 8 x 1 pixels.* image_shape=\(1, 8, 8\)"
    )
    with pytest.warns(UserWarning, match=message):
        model.set_params(image_shape=(8, 8, 1)).fit(rng.rand(30, 64))
    with pytest.warns(UserWarning, match=r"image_shape=\(8, 8, 3\) .*image_shape=\(3, 8, 8\)"):
        model.set_params(image_shape=(8, 8, 3)).fit(rng.rand(30, 8, 8, 3))
    assert model.image_shape_ == (8, 8, 3)


@pytest.mark.parametrize("kind", [AutoEncoder, ConvolutionalAutoEncoder])
def test_images_given_to_a_dense_network_are_refused_with_the_way_out(kind):
    """A probe: scikit-learn's "dim <= 2 is required" did not say that 4-D
    images are the convolutional architecture's."""
    images = np.random.RandomState(0).rand(20, 1, 4, 4)
    model = kind(architecture="dense", max_epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"dim 4.*flatten the images.*architecture='conv'"):
        model.fit(images)
    model.fit(images.reshape(20, -1))
    with pytest.raises(ValueError, match=r"dim 4.*flatten the images"):
        model.transform(images)


def test_an_image_shape_of_one_number_is_an_invalid_parameter():
    """Mutation audit (I12): a 0-d array (np.array(4)) is not three positive
    integers: scikit-learn's InvalidParameterError. The mutant, without the
    check of its dimensions, took its len() and raised a TypeError."""
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'image_shape' parameter"):
        ConvolutionalAutoEncoder(image_shape=np.array(4), max_epochs=1).fit(np.ones((10, 16)))


def test_binary_crossentropy_lets_a_value_rounded_below_zero_through():
    """Mutation audit (I18): with loss="binary_crossentropy" an entry of
    -1e-9 is rounding (within UNIT_TOLERANCE of [0, 1]), and its row scores
    as any other. The mutant, without the tolerance, scored it -inf."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(80, 4))
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=2, random_state=0).fit(X)
    rows = X[:2].copy()
    rows[0, 0] = -1e-9
    scores = model.score_samples(rows)
    assert np.isfinite(scores).all()
    assert_allclose(scores[0], model.score_samples(np.where(rows < 0, 0.0, rows))[0], atol=1e-6)


def test_string_names_for_a_fit_on_integer_labels_only_warn_as_scikit_learn_does():
    """Mutation audit (I30): a frame of string column names scored by a model
    fitted on integer labels gets scikit-learn's warning (fitted without
    feature names) and is scored, as after a fit on an array. The mutant
    checked the strings against the integer labels and refused them
    ("Column labels unseen at fit")."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(50, 3)))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    named = pd.DataFrame(X.values, columns=list("abc"))
    with pytest.warns(UserWarning, match="fitted without feature names"):
        scores = model.score_samples(named)
    assert_allclose(scores, model.score_samples(X), rtol=1e-12)
