"""Copies of the data: fit makes at most one, transform works batch by batch.

tracemalloc sees numpy's allocations (torch's own are not traced, but the
tensors here share memory with numpy arrays), so these tests bound the host
copies of X that skae makes.
"""

import tracemalloc
import warnings

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


def test_inverse_transform_holds_the_output_and_one_block():
    """float32 codes: the float32 result and one block's float64
    reconstructions (it held the output five or six times, then three: the
    float64 reconstructions whole and their float32 copy)."""
    X = np.random.RandomState(0).normal(size=(40_000, 50)).astype(np.float32)  # 8 MB
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, random_state=0)
    model.fit(X[:2000])
    codes = model.transform(X)
    peak = _peak_bytes(lambda: model.inverse_transform(codes))
    one_block = INFERENCE_BATCH_SIZE * X.shape[1] * 8
    assert peak < X.nbytes + 3 * one_block
    assert peak < 1.5 * X.nbytes
    np.testing.assert_array_equal(
        model.inverse_transform(codes[:10]),
        model.inverse_transform(codes[:10].astype(np.float64)).astype(np.float32),
    )


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

    # More rows than the missing-value calibration re-scores: it drew them at
    # random in memory, took the first ones batch by batch.
    rows = np.random.RandomState(0).normal(size=(3000, 6)) * [1, 10, 100, 1, 1, 1e-3]
    rows[::7, 2] = np.nan
    # A row with no observed value sets none of the statistics either way
    # (batch by batch, it was left out of the threshold only).
    rows[[5, 2900]] = np.nan
    params = dict(max_epochs=3, early_stopping=early_stopping, random_state=0)
    whole = AutoEncoder(**params).fit(rows)
    with config_context(working_memory=0.01):
        batched = AutoEncoder(**params).fit(rows)
    np.testing.assert_array_equal(whole.transform(rows), batched.transform(rows))
    # The statistics' passes run fewer rows at a time in less working
    # memory, which float32 rounds differently.
    same = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(whole.offset_, batched.offset_, **same)
    np.testing.assert_allclose(whole.noise_variance_, batched.noise_variance_, **same)
    np.testing.assert_allclose(whole.missing_shift_, batched.missing_shift_, **same)
    np.testing.assert_allclose(whole.code_mean_, batched.code_mean_, **same)
    np.testing.assert_allclose(whole.error_scale_, batched.error_scale_, **same)
    np.testing.assert_array_equal(
        whole.net_.module_.input_high.numpy(), batched.net_.module_.input_high.numpy()
    )


def _mixed_table(n_rows, rng, n_categories=100):
    import pandas as pd

    columns = {f"c{j}": pd.Categorical(rng.randint(n_categories, size=n_rows)) for j in range(3)}
    columns["x"] = rng.normal(size=n_rows)
    return pd.DataFrame(columns)


def test_categorical_columns_are_encoded_one_batch_at_a_time():
    """Issue 16's gap: a DataFrame with categorical columns was one-hot
    encoded whole before its batches (a float64 entry per category and row:
    here 30,000 x 301, 72 MB); the scoring methods now encode a batch of
    rows at a time, with the same results as the whole encoding."""
    from skae._base import EncodedRows

    rng = np.random.RandomState(0)
    frame = _mixed_table(30_000, rng)
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, random_state=0)
    model.fit(frame)
    whole = len(frame) * 301 * 8
    for method in (model.score_samples, model.transform, model.predict):
        method(frame[:10])  # lazy imports and caches, not counted
        assert _peak_bytes(lambda m=method: m(frame)) < 0.5 * whole
    # The same numbers as encoding the table whole.
    rows = model._check_input(frame, blocks=True)
    assert isinstance(rows, EncodedRows)
    encoded = model._check_input(frame)
    assert encoded.shape == rows.shape == (len(frame), 301)
    np.testing.assert_array_equal(rows[100:5000], encoded[100:5000])
    scores = model._apply(encoded, model._scores_scaled, scale_input=True, dtype=np.float64)
    np.testing.assert_array_equal(model.score_samples(frame), scores[:, 0])


def test_a_table_with_categorical_columns_beyond_working_memory_trains_batch_by_batch():
    """As a memmap does: fit encoded such a table whole (a float64 entry per
    category and row, then its float32 copy), whatever scikit-learn's
    ``working_memory``; it now trains on it a batch of rows at a time,
    to the same model."""
    from sklearn import config_context

    rng = np.random.RandomState(3)
    frame = _mixed_table(3000, rng, 20).assign(w=rng.normal(size=3000))
    frame.loc[::5, "x"] = np.nan
    frame.loc[::11, "c1"] = np.nan
    # Re-probe findings, each a difference between the two ways: a row with
    # no observed value fed the statistics batch by batch; the means of the
    # numbers were summed otherwise (float32 numbers averaged in float32 in
    # memory; complete data by numpy's pairwise sum, off in the last bits).
    frame.loc[[7, 2500]] = np.nan
    params = dict(max_epochs=2, hidden_layer_sizes=(8,), early_stopping=True, random_state=0)
    complete = _mixed_table(3000, rng, 20).assign(w=1e5 + 1e-3 * rng.normal(size=3000))
    for table in (frame, frame.astype({"x": np.float32}), complete):
        whole = AutoEncoder(**params).fit(table)
        with config_context(working_memory=0.01):
            batched = AutoEncoder(**params).fit(table)
            batched.partial_fit(table[:700])
        whole.partial_fit(table[:700])
        np.testing.assert_array_equal(whole.mean_, batched.mean_)
        assert whole.mean_.dtype == np.float64
        # The same training; the scores' passes run fewer rows at a time in
        # less working memory, which float32 rounds differently.
        same = dict(rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(whole.offset_, batched.offset_, **same)
        np.testing.assert_allclose(whole.missing_shift_, batched.missing_shift_, **same)
        np.testing.assert_allclose(whole.code_mean_, batched.code_mean_, **same)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the rows with nothing observed
            np.testing.assert_allclose(
                whole.score_samples(table), batched.score_samples(table), **same
            )

    large = _mixed_table(30_000, rng)
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=256, random_state=0)
    model.fit(large[:500])  # lazy imports and caches, not counted
    with config_context(working_memory=8):
        peak = _peak_bytes(lambda: model.fit(large))
    # The whole encoding alone, in float64, is 30,000 x 301 x 8 bytes.
    assert peak < 0.5 * len(large) * 301 * 8


def test_explain_encodes_categorical_columns_one_batch_at_a_time():
    """Its memory does not grow with the rows (it held the whole encoding),
    and its terms are those of the whole encoding."""
    frame = _mixed_table(2 * INFERENCE_BATCH_SIZE + 10, np.random.RandomState(0), 50)
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, batch_size=4096, random_state=0)
    model.fit(frame)
    model.explain(frame[:10])  # lazy imports and caches, not counted
    one_batch = _peak_bytes(lambda: model.explain(frame[:INFERENCE_BATCH_SIZE]))
    explained = []
    assert _peak_bytes(lambda: explained.append(model.explain(frame))) < 1.2 * one_batch
    whole = model._explained_rows(model._check_input(frame))
    # The last block alone is a few rows, which run on one thread (float32
    # rounding differs in the last bits).
    np.testing.assert_allclose(explained[0].to_numpy(), whole, rtol=1e-5)


def test_encoded_rows_find_rows_with_no_observed_value():
    rng = np.random.RandomState(1)
    frame = _mixed_table(300, rng)
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(frame)
    holed = frame.copy()
    holed.iloc[[3, 250], :] = np.nan
    with pytest.warns(UserWarning, match="2 row.* no observed value"):
        scores = model.score_samples(holed)
    assert scores[3] == scores[250] == model.offset_
    rows = model._check_input(holed, blocks=True)
    assert np.flatnonzero(rows.empty_rows()).tolist() == [3, 250]
    assert model._check_input(frame, blocks=True).empty_rows() is None
    with pytest.warns(UserWarning, match="2 row.* no observed value"):
        explained = model.explain(holed)
    assert (explained.iloc[[3, 250], :-1] == 0).all().all()
    assert (explained.iloc[[3, 250], -1] == model.offset_).all()


def test_a_table_read_in_batches_is_checked_whole_before_the_first():
    """Probe finding: encoded a batch at a time, a table was refused at the
    batch of its first bad row, after the batches before it had run, and
    with another error than the whole encoding's (a non-number at row 5,000
    and an infinity at row 2: the infinity's message; explain, which encoded
    whole then, named the column of the non-number)."""
    rng = np.random.RandomState(2)
    model = AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, random_state=0)
    model.fit(_mixed_table(300, rng, 5).assign(w=rng.normal(size=300)))
    table = _mixed_table(9000, rng, 5).assign(w=rng.normal(size=9000))
    not_number = table.astype({"x": object})
    not_number.loc[5000, "x"] = "abc"
    not_number.loc[2, "w"] = np.inf
    # An infinity late, a number too large for float32 early.
    infinite = table.copy()
    infinite.loc[5000, "x"] = np.inf
    infinite.loc[10, "w"] = 1e39
    calls = []
    model.net_.module_.register_forward_hook(lambda *args: calls.append(1))
    for method in ("score_samples", "transform", "predict", "explain", "score"):
        with pytest.raises(ValueError, match="Column 'x' is numeric .* not numbers"):
            getattr(model, method)(not_number)
        with pytest.raises(ValueError, match="Input contains infinity"):
            getattr(model, method)(infinite)
    assert calls == []


def test_an_integer_array_beyond_working_memory_is_cast_batch_by_batch(tmp_path):
    """uint8 rows (images in a memmap, say) are cast to float64 as each batch
    is read, with the numbers of the whole cast: fit and transform held the
    whole float64 copy, 8 bytes an entry (12 MB here)."""
    from sklearn import config_context

    rows = np.random.RandomState(0).randint(0, 256, size=(60_000, 25)).astype(np.uint8)
    np.save(tmp_path / "rows.npy", rows)
    X = np.load(tmp_path / "rows.npy", mmap_mode="r")
    params = dict(hidden_layer_sizes=(4,), max_epochs=1, batch_size=2048, random_state=0)
    whole = AutoEncoder(**params).fit(rows[:3000].astype(np.float64))
    with config_context(working_memory=1):
        model = AutoEncoder(**params).fit(X[:3000])
        np.testing.assert_array_equal(model.transform(X[:3000]), whole.transform(rows[:3000]))
        model.fit(X)
        peak = _peak_bytes(lambda: model.fit(X))
        assert peak < 0.2 * rows.size * 8 + MIXTURE_BYTES
        peak = _peak_bytes(lambda: model.transform(X))
        # The float64 codes, and a few float64 copies of one batch.
        assert peak < len(X) * 2 * 8 + 4 * INFERENCE_BATCH_SIZE * X.shape[1] * 8


def test_inference_batches_are_sized_by_the_working_memory():
    """Probe finding: inference ran 4,096 rows at a time whatever the width
    (328 MB per float32 copy of a batch at 20,000 features). A batch holds as many
    rows as scikit-learn's ``working_memory`` has room for, with the same
    scores."""
    from sklearn import config_context

    X = np.random.RandomState(0).normal(size=(300, 2000))
    est = AutoEncoder(hidden_layer_sizes=(64,), max_epochs=1, random_state=0).fit(X)
    batches = []
    hook = est.net_.module_.register_forward_pre_hook(lambda _, args: batches.append(len(args[0])))
    try:
        scores = est.score_samples(X)
        assert batches == [300]
        batches.clear()
        with config_context(working_memory=1):
            small = est.score_samples(X)
    finally:
        hook.remove()
    # 1 MiB holds about 30 rows of 2,000 floats, four copies and the layers.
    assert 10 <= max(batches) <= 32 and sum(batches) == 300
    np.testing.assert_allclose(small, scores, rtol=1e-5)
    # No limit is the largest batch (inf // floats, NaN, gave one row at a time).
    batches.clear()
    hook = est.net_.module_.register_forward_pre_hook(lambda _, args: batches.append(len(args[0])))
    try:
        with config_context(working_memory=float("inf")):
            est.score_samples(np.tile(X, (20, 1)))
    finally:
        hook.remove()
    assert batches == [4096, 1904]


def test_the_missing_value_calibration_holds_one_holed_copy_at_a_time(monkeypatch):
    """Probe finding: the calibration built every holed copy of its rows at
    once (20 copies at 20,000 features: about 100 times a table of a few
    hundred rows). It scores them one at a time, to the same calibration."""
    X = np.random.RandomState(0).normal(size=(300, 40))
    params = dict(hidden_layer_sizes=(8,), max_epochs=2, random_state=0)
    expected = AutoEncoder(**params).fit(X)
    passes = []
    apply = AutoEncoder._apply

    def spy(self, x, *args, **kwargs):
        passes.append(len(x))
        return apply(self, x, *args, **kwargs)

    monkeypatch.setattr(AutoEncoder, "_apply", spy)
    est = AutoEncoder(**params).fit(X)
    assert max(passes) == 300 and len(passes) > 10
    np.testing.assert_allclose(est.missing_shift_, expected.missing_shift_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(est.missing_scale_, expected.missing_scale_, rtol=1e-5, atol=1e-6)


def test_a_working_memory_of_nan_scores_in_the_largest_batches():
    """Mutation audit: a working_memory that is not a number (NaN) sets no
    limit: inference runs INFERENCE_BATCH_SIZE rows at a time, with the same
    scores. The mutant, testing ``rows > INFERENCE_BATCH_SIZE`` (False for
    NaN), converted NaN rows to an integer and raised "cannot convert float
    NaN to integer"."""
    from sklearn import config_context

    X = np.random.RandomState(0).normal(size=(100, 4))
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    scores = est.score_samples(X)
    with config_context(working_memory=float("nan")):
        assert est._inference_rows() == INFERENCE_BATCH_SIZE
        np.testing.assert_array_equal(est.score_samples(X), scores)


def test_the_training_errors_are_kept_only_within_a_share_of_working_memory(monkeypatch):
    """Probe finding: the per-feature errors of every training row were kept
    (a float32 buffer the size of X, which tracemalloc does not see) up to
    the whole working_memory, on top of the scaled copy: 2.5 times X at the
    peak of a fit. Beyond KEPT_ERRORS_SHARE of it, a second pass recomputes
    them, to the same statistics."""
    import torch
    from sklearn import config_context

    import skae._base

    rng = np.random.RandomState(0)
    rows = rng.normal(size=(3000, 6)).astype(np.float32)
    allocated = []
    empty = torch.empty

    def recording_empty(*shape, **kwargs):
        if len(shape) == 1 and isinstance(shape[0], tuple | list | torch.Size):
            shape = tuple(shape[0])
        allocated.append(tuple(shape))
        return empty(*shape, **kwargs)

    monkeypatch.setattr(skae._base.torch, "empty", recording_empty)
    params = dict(max_epochs=2, early_stopping=False, random_state=0)
    # The errors take 72 kB: within the share of 2 MiB, not of 1 MiB.
    fits = {}
    for working_memory, kept in ((2.0, True), (1.0, False)):
        allocated.clear()
        with config_context(working_memory=working_memory):
            fits[kept] = AutoEncoder(**params).fit(rows)
        assert ((3000, 6) in allocated) is kept
    assert (
        skae._base.KEPT_ERRORS_SHARE * 2 * 2**20
        >= rows.nbytes
        > skae._base.KEPT_ERRORS_SHARE * 2**20
    )
    np.testing.assert_allclose(fits[True].offset_, fits[False].offset_, rtol=1e-6)
    np.testing.assert_allclose(fits[True].error_scale_, fits[False].error_scale_, rtol=1e-6)


# --- regressions from a mutation audit of skae/_scaling.py -----------------------
def test_training_rows_are_one_tensor_up_to_working_memory():
    """Mutation audit (S28): the scaled float32 copy (4 bytes an entry) is
    made whole when it fits in working_memory, else scaled batch by batch."""
    import torch

    from skae._scaling import ScaledRows, rows_for_training

    mean, scale = np.zeros(4), np.ones(4)
    fits = rows_for_training(np.zeros((65536, 4), np.float32), mean, scale, "cpu", 1)
    assert isinstance(fits, torch.Tensor)
    over = rows_for_training(np.zeros((65537, 4), np.float32), mean, scale, "cpu", 1)
    assert isinstance(over, ScaledRows)


def test_the_float32_range_check_skips_blocks_without_a_value():
    """Mutation audit (S6): a block of rows that is all NaN is skipped (numpy
    warned "All-NaN slice encountered"), and the other blocks still count."""
    from skae._scaling import _check_float32_range

    X = np.full((2, 2**18), np.nan, dtype=np.float32)
    X[1] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _check_float32_range(X)
    tiny = np.full((2, 2**18), np.nan)
    tiny[1] = 1e-300  # the second block's values still count
    with pytest.raises(ValueError, match="too small for float32"):
        _check_float32_range(tiny)


def test_a_convolution_s_maps_count_in_the_inference_batch():
    """Mutation audit (m36): the floats a forward pass holds per row count
    each convolution's channels times the row's width, besides the row's
    copies and the linear layers' outputs."""
    import torch

    from skae._base import ROW_COPIES, _activation_floats

    module = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.Flatten(), torch.nn.Linear(256, 8)
    )
    assert _activation_floats(module, 64) == ROW_COPIES * 64 + 4 * 64 + 8


# --- regressions from a mutation audit of skae/_input.py -------------------------
def test_a_float32_array_beyond_working_memory_keeps_float32():
    """Mutation audit (I4): only arrays of another dtype than float32 or
    float64 (integers, float16) are cast to float64 a batch at a time; a
    float32 array beyond working_memory is read as it is, and transform and
    inverse_transform give float32 as below it. The mutant cast it too, and
    both gave float64."""
    from sklearn import config_context

    X = np.random.RandomState(0).normal(size=(300, 8)).astype(np.float32)
    with config_context(working_memory=0.001):  # about 1 kB: X holds 9.6 kB
        model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
        codes = model.transform(X)
        assert codes.dtype == np.float32
        assert model.inverse_transform(codes).dtype == np.float32
