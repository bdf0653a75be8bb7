"""Categorical columns: found, encoded inside, reconstructed and scored as categories."""

import copy
import pickle
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import DENSE_KINDS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

import skae
from skae import (
    AutoEncoder,
    AutoEncoderImputer,
    DenoisingAutoEncoder,
    VariationalAutoEncoder,
    load,
)
from skae._categorical import (
    MISSING_CODE,
    CategoricalEncoding,
    CodedRows,
    resolve_categorical,
)


def _table(n_rows=600, seed=0):
    """A size that depends on the colour, a flag that is the colour, and noise."""
    rng = np.random.RandomState(seed)
    colour = rng.choice(["red", "green", "blue"], n_rows)
    size = np.where(colour == "red", rng.normal(10, 1, n_rows), rng.normal(0, 1, n_rows))
    return pd.DataFrame(
        {
            "size": size,
            "colour": pd.Categorical(colour),
            "weight": 100 * rng.normal(size=n_rows),
            "blue": colour == "blue",
        }
    )


@pytest.fixture(scope="module")
def table():
    return _table()


@pytest.fixture(scope="module")
def fitted(table):
    return AutoEncoder(random_state=0).fit(table)


# --- which columns, and how they are encoded --------------------------------------


def test_from_dtype_finds_category_string_and_bool_columns():
    frame = pd.DataFrame(
        {
            "x": [1.0, 2.0],
            "c": pd.Categorical(["a", "b"]),
            "s": ["u", "v"],
            "o": np.array(["u", 1], dtype=object),
            "b": [True, False],
            "i": [1, 2],
        }
    )
    assert resolve_categorical(frame, "from_dtype").tolist() == [0, 1, 1, 1, 1, 0]
    assert resolve_categorical(frame, None) is None
    assert resolve_categorical(frame, ["i"]).tolist() == [0, 0, 0, 0, 0, 1]
    assert resolve_categorical(frame, [0, 5]).tolist() == [1, 0, 0, 0, 0, 1]
    assert resolve_categorical(frame.to_numpy(), "from_dtype") is None  # no dtypes to read


def test_encoding_is_one_hot_with_missing_as_nan_and_unseen_as_zeros():
    frame = pd.DataFrame({"x": [1.5, np.nan, 3.0], "c": ["b", "a", None]})
    encoding = CategoricalEncoding.fit(frame, np.array([False, True]))
    assert [c.tolist() for c in encoding.categories] == [["a", "b"]]
    assert encoding.blocks() == [(0, 1), (1, 3)]
    assert_array_equal(encoding.encode(frame), [[1.5, 0, 1], [np.nan, 1, 0], [3.0, np.nan, np.nan]])
    unseen = pd.DataFrame({"x": [0.0], "c": ["zzz"]})
    assert_array_equal(encoding.encode(unseen), [[0.0, 0.0, 0.0]])
    # A pandas category keeps its own categories, unobserved ones included.
    frame["c"] = pd.Categorical(frame["c"], categories=["b", "a", "c"])
    encoding = CategoricalEncoding.fit(frame, np.array([False, True]))
    assert encoding.categories[0].tolist() == ["b", "a", "c"]


def test_coded_rows_encode_any_rows_as_the_table_encodes_them():
    # What batch-by-batch reading rests on: the table read once into codes
    # (unseen -1, missing -2) gives any rows' encoding without pandas.
    frame = pd.DataFrame(
        {
            "c": ["b", "a", None, "zzz", "b"],
            "x": [1.5, np.nan, 3.0, -2.0, 0.25],
            "d": pd.Categorical(["u", "v", "u", np.nan, "v"]),
        }
    )
    encoding = CategoricalEncoding.fit(frame.iloc[:3], np.array([True, False, True]))
    rows = encoding.coded(frame)
    assert len(rows) == 5 and rows.numbers.shape == (5, 1)
    assert rows.codes.dtype == np.int16
    assert rows.codes.tolist() == [[1, 0], [0, 1], [-2, 0], [-1, -2], [1, 1]]
    assert_array_equal(rows.numbers[:, 0], frame["x"])
    whole = encoding.encode(frame)
    assert_array_equal(encoding.expand(rows), whole)
    for index in (slice(1, 4), np.array([4, 0, 3]), np.array([], dtype=int)):
        assert_array_equal(encoding.expand(rows[index]), whole[index])
    assert_array_equal(whole[3], [0.0, 0.0, -2.0, np.nan, np.nan])
    # An infinite number is refused by the check of the whole table, in
    # scikit-learn's words, wherever it is.
    frame.loc[4, "x"] = np.inf
    with pytest.raises(ValueError, match="Input contains infinity"):
        encoding.check_finite(encoding.coded(frame))
    encoding.check_finite(rows)


def test_coded_rows_encode_past_the_range_of_their_codes():
    # The codes are int16; positions in an encoding of more than 32,767
    # entries are not (a prober's finding: they wrapped into other columns).
    wide = CategoricalEncoding(
        is_categorical=np.array([False] * 32_800 + [True]),
        categories=[np.array(["a", "b", "c", "d"], dtype=object)],
        kinds=["object"],
        unseen_nats=1.0,
    )
    rows = CodedRows(np.zeros((2, 32_800)), np.array([[3], [MISSING_CODE]], dtype=np.int16))
    encoded = wide.expand(rows)
    assert encoded.shape == (2, 32_804)
    assert np.flatnonzero(encoded[0]).tolist() == [32_803]
    assert np.isnan(encoded[1, 32_800:]).all() and not encoded[1, :32_800].any()


# --- fitting and reconstructing ---------------------------------------------------


@pytest.mark.parametrize("cls", DENSE_KINDS, ids=lambda c: c.__name__)
def test_every_kind_reconstructs_categories_as_categories(cls, table):
    model = cls(random_state=0).fit(table)
    assert model.n_features_in_ == 4
    assert model.is_categorical_.tolist() == [False, True, False, True]
    assert [c.tolist() for c in model.categories_] == [["blue", "green", "red"], [False, True]]
    codes = model.transform(table)
    assert codes.shape == (len(table), model.n_components_)
    back = model.inverse_transform(codes)
    assert isinstance(back, pd.DataFrame)
    assert list(back.columns) == list(table.columns)
    assert back.dtypes.to_dict() == table.dtypes.to_dict()
    # Two codes carry the colour (it sets the size) well enough to give it back.
    assert np.mean(back["colour"] == table["colour"]) > 0.9
    losses = model.net_.history[:, "train_loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_the_size_follows_the_reconstructed_colour(fitted, table):
    back = fitted.inverse_transform(fitted.transform(table))
    red = back["colour"] == "red"
    assert back.loc[red, "size"].mean() > 8 and abs(back.loc[~red, "size"].mean()) < 2


def test_sample_gives_known_categories_in_their_dtypes(fitted, table):
    drawn = fitted.sample(50, random_state=0)
    assert drawn.dtypes.to_dict() == table.dtypes.to_dict()
    assert set(drawn["colour"]) <= {"red", "green", "blue"}
    assert_array_equal(drawn, fitted.sample(50, random_state=0))


def _numbers_of_several_dtypes(n_rows=400, seed=0):
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "green"], n_rows)
    count = np.where(colour == "red", 60, 20) + rng.integers(-5, 6, n_rows)
    return pd.DataFrame(
        {
            "colour": pd.Categorical(colour),
            "count": count.astype(np.int64),
            "small": (count - 40).astype(np.int8),
            "nullable": pd.array(count // 10, dtype="Int64"),
            "single": (count / 10 + rng.normal(scale=0.1, size=n_rows)).astype(np.float32),
            "double": count / 10 + rng.normal(scale=0.1, size=n_rows),
        }
    )


def test_numeric_columns_come_back_in_their_dtypes(tmp_path):
    """Issue 16: inverse_transform and sample give the input's dtypes back.
    The numbers came back as float64 whatever their dtype (probe finding);
    integer columns are now the reconstructions rounded, within the dtype's
    range, and a saved model keeps the dtypes."""
    table = _numbers_of_several_dtypes()
    model = AutoEncoder(max_epochs=30, random_state=0).fit(table)
    back = model.inverse_transform(model.transform(table))
    drawn = model.sample(50, random_state=0)
    for frame in (back, drawn):
        assert frame.dtypes.to_dict() == table.dtypes.to_dict()
    # Rounded reconstructions, not truncated ones: the float64 decoding of an
    # older model (no dtypes kept) rounds to the same integers.
    del model._numeric_kinds
    as_floats = model.inverse_transform(model.transform(table))
    assert as_floats["count"].dtype == np.float64
    assert_array_equal(back["count"], np.rint(as_floats["count"]).astype(np.int64))
    assert_array_equal(back["small"], np.clip(np.rint(as_floats["small"]), -128, 127))
    assert_allclose(back["single"], as_floats["single"].astype(np.float32))
    # They are reconstructions: the counts follow the colour.
    red = back["colour"] == "red"
    assert back.loc[red, "count"].mean() > back.loc[~red, "count"].mean() + 20
    model = AutoEncoder(max_epochs=30, random_state=0).fit(table)
    model.save(tmp_path / "model.skae")
    loaded = skae.load(tmp_path / "model.skae")
    assert loaded.sample(5, random_state=0).dtypes.to_dict() == table.dtypes.to_dict()


def test_a_pandas_sparse_column_beside_a_categorical_one_comes_back_dense():
    """Found by an independent probe: a Sparse[float64] column beside a
    categorical one fitted and scored, then inverse_transform, sample and the
    imputer failed in numpy's finfo (the sparse dtype is not a float dtype
    it knows). It comes back dense in its values' dtype, as scikit-learn
    reads a sparse frame, and the imputer keeps its observed entries."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    table = pd.DataFrame(
        {
            "x": a,
            "s": pd.arrays.SparseArray(np.where(a > 1, a, 0.0)),
            "c": pd.Categorical(np.where(a > 0, "p", "q")),
        }
    )
    model = AutoEncoder(max_epochs=3, random_state=0).fit(table)
    back = model.inverse_transform(model.transform(table))
    assert back["s"].dtype == np.float64
    assert model.sample(3, random_state=0)["s"].dtype == np.float64
    holed = table.assign(c=table["c"].where(a < 1.5))
    imputer = AutoEncoderImputer(estimator=AutoEncoder(max_epochs=3, random_state=0))
    filled = imputer.fit_transform(holed)
    assert_array_equal(np.asarray(filled["s"], dtype=float), np.asarray(table["s"], dtype=float))
    assert filled["c"].notna().all()


def test_reconstructions_are_kept_within_their_dtype_range():
    """A reconstruction past a column's dtype is its largest value, never a
    wrapped integer or an infinity."""
    from skae._categorical import numbers_in_dtype

    values = np.array([7e4, -1e40, 1.4, 1.6])
    half = np.asarray(numbers_in_dtype(values, np.dtype(np.float16)))
    assert_array_equal(half, np.array([65504, -65504, 1.4, 1.6], dtype=np.float16))
    assert_array_equal(numbers_in_dtype(values, np.dtype(np.uint8)), [255, 0, 1, 2])
    assert_array_equal(numbers_in_dtype(values, pd.Int8Dtype()), [127, -128, 1, 2])
    # At int64's and uint64's own limits, which float64 cannot hold exactly.
    extremes = np.array([1e19, -1e19, 2.0**63, -(2.0**63), 2.0**64])
    assert numbers_in_dtype(extremes, np.dtype(np.int64)).tolist() == [
        2**63 - 1,
        -(2**63),
        2**63 - 1,
        -(2**63),
        2**63 - 1,
    ]
    assert numbers_in_dtype(extremes, np.dtype(np.uint64)).tolist() == [
        10**19,
        0,
        2**63,
        0,
        2**64 - 1,
    ]
    # A missing entry (an imputer's unfilled one) stays missing in a nullable column.
    nullable = numbers_in_dtype(np.array([2.6, np.nan, -1e40]), pd.Int64Dtype())
    assert nullable.dtype == pd.Int64Dtype()
    assert nullable.tolist() == [3, pd.NA, -(2**63)]
    limit = np.finfo(np.float32).max
    single = numbers_in_dtype(values, pd.Float32Dtype()).to_numpy(dtype=np.float32)
    assert_array_equal(single, np.array([7e4, -limit, 1.4, 1.6], dtype=np.float32))


def test_a_file_with_a_numeric_dtype_that_is_not_one_is_refused(tmp_path):
    table = _numbers_of_several_dtypes(n_rows=100)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(table)
    model._numeric_kinds[0] = "str"
    model.save(tmp_path / "model.skae")
    with pytest.raises(ValueError, match="numeric column 0: its dtype 'str' is not one of numbers"):
        skae.load(tmp_path / "model.skae")


def test_without_categorical_columns_nothing_changes():
    X = np.random.RandomState(0).normal(size=(200, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    default = AutoEncoder(max_epochs=3, random_state=0).fit(frame)
    plain = AutoEncoder(max_epochs=3, random_state=0, categorical_features=None).fit(frame)
    assert default.is_categorical_ is None
    assert_array_equal(default.score_samples(frame), plain.score_samples(frame))
    assert isinstance(default.inverse_transform(default.transform(frame)), np.ndarray)


def test_integer_codes_can_be_declared_categorical():
    rng = np.random.RandomState(0)
    code = rng.choice([0, 10, 20], 400)
    X = np.column_stack([code + rng.normal(scale=0.1, size=400), code])
    model = AutoEncoder(random_state=0, categorical_features=[1]).fit(X)
    back = model.inverse_transform(model.transform(X))
    # Categories come back as one of them, never as an average of 0 and 20.
    assert set(back[1]) <= {0, 10, 20}
    assert np.mean(back[1] == code) > 0.95


# --- scoring -------------------------------------------------------------------------


def test_a_category_combination_never_seen_is_an_outlier(fitted, table):
    normal = table.iloc[:40].copy()
    odd = normal.copy()
    # Red rows are large; a small red (or a large blue) was never seen.
    odd["colour"] = pd.Categorical(
        np.where(odd["colour"] == "red", "green", "red"), categories=table["colour"].cat.categories
    )
    odd["blue"] = odd["colour"] == "blue"
    assert np.median(fitted.score_samples(odd)) < np.min(fitted.score_samples(normal))
    terms = fitted.explain(odd)
    assert list(terms.columns) == [*table.columns, "code"]
    assert_allclose(terms.to_numpy().sum(axis=1), fitted.score_samples(odd), rtol=1e-6)
    # The colour and the size that do not fit each other take the blame:
    # either, set right, makes the row normal; the weight and the flag
    # (which follows the colour here) take less. The weight, pure noise that
    # a code carries, is reconstructed worse when the odd pair moves the
    # codes: it takes 18% of the blame under the Huber loss (9% under the
    # squared error, where the pair's own terms are smaller).
    per_column = terms.drop(columns="code")
    pair = per_column[["colour", "size"]].sum(axis=1)
    assert np.all(pair < 0.5 * per_column.sum(axis=1))
    assert pair.sum() < 0.75 * per_column.sum(axis=1).sum()
    assert set(per_column.idxmin(axis=1)) <= {"colour", "size"}
    assert pair.mean() < 10 * fitted.explain(normal)[["colour", "size"]].sum(axis=1).mean()


@pytest.mark.parametrize("cls", [AutoEncoder, VariationalAutoEncoder])
def test_a_category_the_dtype_lists_but_no_training_row_holds_is_unseen(cls):
    """A cross-validation fold keeps every category of a pandas column: one
    that no training row holds scored about as a row's real colour (it was
    trained as an ordinary category of frequency 0)."""
    rng = np.random.RandomState(0)
    colour = rng.choice(["red", "green", "blue"], 300)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300) + 3 * (colour == "red"),
            "y": rng.normal(size=300),
            "colour": pd.Categorical(colour, categories=["blue", "green", "red", "purple"]),
        }
    )
    model = cls(max_epochs=5, random_state=0).fit(frame)
    rows = frame.iloc[:20]
    listed = rows.assign(
        colour=pd.Categorical(["purple"] * 20, categories=frame["colour"].cat.categories)
    )
    unlisted = rows.astype({"colour": object}).assign(colour="purple")
    assert_allclose(model.score_samples(listed), model.score_samples(unlisted), rtol=1e-6)
    assert np.all(model.score_samples(listed) < model.score_samples(rows))
    assert np.all(model.predict(listed) == -1)


def test_a_listed_category_no_row_held_neither_weakens_its_column_nor_is_produced():
    """The same values in two columns, one whose dtype lists an extra
    category: that column's training error was 2 to 11 times the other's
    (the empty category's predicted probability counted, divided by a
    variance of 1 / (n + 1)), so all its errors counted less."""
    rng = np.random.RandomState(0)
    values = rng.choice(["a", "b"], 300)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300) + 2 * (values == "b"),
            "y": rng.normal(size=300),
            "declared": pd.Categorical(values, categories=["a", "b", "zz"]),
            "plain": pd.Categorical(values, categories=["a", "b"]),
        }
    )
    model = AutoEncoder(max_epochs=3, hidden_layer_sizes=(8,), random_state=0).fit(frame)
    declared, plain = model.error_scale_[2], model.error_scale_[3]
    # 11 times before (26.2 against 2.3).
    assert 0.67 < declared / plain < 1.5
    # Nor does it count in the column's training weight (its degrees of
    # freedom: counted, the declared column weighed twice the plain one).
    weight = model.net_.criterion_.column_weight.numpy()
    assert weight[2] == pytest.approx(weight[3], rel=1e-6)
    back = model.inverse_transform(model.transform(frame))
    assert set(back["declared"]) <= {"a", "b"}
    assert set(model.sample(300, random_state=0)["declared"]) <= {"a", "b"}


def test_a_category_first_seen_after_the_first_partial_fit_stays_unseen():
    """Categories are learned at the first fit: one that later chunks hold
    is encoded as none (its rows encoded as a never-listed category's are),
    and is never produced."""
    rng = np.random.RandomState(0)
    values = rng.choice(["a", "b", "c"], 600)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=600) + 2 * (values == "c"),
            "kind": pd.Categorical(values, categories=["a", "b", "c"]),
        }
    )
    model = AutoEncoder(hidden_layer_sizes=(8,), random_state=0)
    model.partial_fit(frame[frame["kind"] != "c"].iloc[:150])
    for start in range(150, 600, 150):
        model.partial_fit(frame.iloc[start : start + 150])
    rows = frame[frame["kind"] == "c"].iloc[:10]
    unlisted = rows.astype({"kind": object}).assign(kind="zz")
    assert_allclose(model.transform(rows), model.transform(unlisted))
    assert_allclose(model.score_samples(rows), model.score_samples(unlisted))
    assert "c" not in set(model.inverse_transform(model.transform(frame))["kind"])
    assert "c" not in set(model.sample(300, random_state=0)["kind"])


def _shops(n: int = 400) -> pd.DataFrame:
    """Two correlated numbers and a shop ("a" or "b") as strings."""
    rng = np.random.RandomState(0)
    size = rng.normal(size=n)
    return pd.DataFrame(
        {
            "size": size,
            "weight": 2 * size + 0.3 * rng.normal(size=n),
            "shop": pd.Series(rng.choice(["a", "b"], n), dtype=object),
        }
    )


def test_training_on_a_category_the_first_fit_did_not_see_warns_and_keeps_it_unusual():
    """A category met after the first fit costs n_samples + 1 in each row
    that holds it: counted in its column's error scale (from 1.8 to 60 with
    50 such rows in 100), it made every unseen category look usual."""
    frame = _shops()
    odd = frame.iloc[:5].assign(shop="zzz")
    model = AutoEncoder(max_epochs=10, random_state=0).fit(frame.iloc[:300])
    scale = model.error_scale_[2]
    assert (model.predict(odd) == -1).all()
    chunk = frame.iloc[300:].copy()
    chunk.loc[chunk.index[:50], "shop"] = "c"
    with pytest.warns(UserWarning, match=r"50 categorical entries .* \(in 'shop'\)") as record:
        model.partial_fit(chunk)
    assert record[0].filename == __file__
    assert 0.5 * scale < model.error_scale_[2] < 2 * scale
    assert (model.predict(odd) == -1).all()
    # Chunks of known categories only: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.partial_fit(frame.iloc[300:])


def test_a_category_constant_at_fit_costs_what_an_unseen_one_costs():
    """One category at fit: its training error is 0, and an unseen value's
    cost divided by it gave a term of -6.7e7 (a number 100 standard
    deviations out: -9e4)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "y": rng.normal(size=200), "flag": np.ones(200, bool)}
    )
    model = AutoEncoder(random_state=0).fit(frame)
    flipped = model.explain(frame.iloc[:1].assign(flag=False))
    # n_samples + 1 in standardised units for the unseen value, and as much
    # for the category predicted instead, over three columns (and the share
    # of the other columns' small errors that the repair gives the flag).
    assert -135 < flipped["flag"].iloc[0] <= -402 / 3
    assert model.predict(frame.iloc[:1].assign(flag=False))[0] == -1


@pytest.mark.parametrize("kind", [AutoEncoder, DenoisingAutoEncoder])
def test_a_category_never_seen_is_more_unusual_than_one_seen_once(kind):
    """Probe finding: an unseen category cost n_samples + 1 in place of its
    column's error, where a category seen once pays about that for its own
    entry and as much again for the categories predicted instead; a new
    category then scored as more normal than the rarest seen one."""
    frame = _shops().assign(kind=pd.Series(["A"] * 399 + ["rare"], dtype=object))
    model = kind(random_state=0).fit(frame)
    rows = frame.iloc[:50]
    rare = model.score_samples(rows.assign(kind="rare"))
    unseen = model.score_samples(rows.assign(kind="new"))
    assert np.all(unseen < rare)


def test_an_unseen_category_counts_as_unusual(fitted, table):
    rows = table.iloc[:20].copy()
    unseen = rows.astype({"colour": object})
    unseen["colour"] = "purple"
    assert np.all(fitted.score_samples(unseen) < fitted.score_samples(rows))
    assert np.all(fitted.explain(unseen)["colour"] < fitted.explain(rows)["colour"])
    assert np.all(fitted.predict(unseen) == -1)


def test_a_categorical_column_of_another_type_than_at_fit_is_refused(fitted, table):
    """A column read as text at fit and as numbers now (two CSV reads that
    inferred different types, or ``.cat.codes`` in place of the categories)
    matched no category: every row was an outlier, without a word. It is
    refused, naming the column; numbers of another numeric type match, as
    pandas matches 1 and 1.0, and bools match 0 and 1."""
    rows = table.iloc[:20]
    codes = rows.assign(colour=rows["colour"].cat.codes)
    text = rows.assign(blue=rows["blue"].astype(str))
    for method in ("score_samples", "predict", "transform", "explain", "partial_fit"):
        model = copy.deepcopy(fitted) if method == "partial_fit" else fitted
        with pytest.raises(TypeError, match="'colour' holds number values .* were str"):
            getattr(model, method)(codes)
        with pytest.raises(TypeError, match="'blue' holds str values .* were bool"):
            getattr(model, method)(text)
    as_numbers = rows.assign(blue=rows["blue"].astype(int))
    assert_allclose(fitted.score_samples(as_numbers), fitted.score_samples(rows))
    # One unseen value of the fitted type is an unseen category, as before.
    purple = rows.astype({"colour": object})
    purple.loc[purple.index[0], "colour"] = "purple"
    assert fitted.predict(purple)[0] == -1


def test_integer_categories_match_numbers_of_any_type():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "k": pd.Categorical(rng.randint(1, 4, 300))})
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    expected = model.score_samples(frame)
    for other in (frame.assign(k=frame["k"].astype(float)), frame.assign(k=frame["k"].astype(int))):
        assert_allclose(model.score_samples(other), expected)
    with pytest.raises(TypeError, match="'k' holds str values"):
        model.score_samples(frame.assign(k=frame["k"].astype(str)))


@pytest.fixture(scope="module")
def holed(table):
    holed = table.astype({"colour": object})
    holed.loc[::7, "colour"] = None
    return holed, AutoEncoder(random_state=0).fit(holed)


def test_training_with_missing_categories(holed, table):
    holed, model = holed
    back = model.inverse_transform(model.transform(holed))
    observed = holed["colour"].notna()
    assert np.mean(back.loc[observed, "colour"] == holed.loc[observed, "colour"]) > 0.9
    # The missing colours are filled from the size.
    assert np.mean(back.loc[~observed, "colour"] == table.loc[~observed, "colour"]) > 0.8


def test_a_missing_category_is_left_out(holed, table):
    _, model = holed
    rows = table.iloc[:20]
    missing = rows.astype({"colour": object})
    missing["colour"] = None
    scores = model.score_samples(missing)
    assert np.all(np.isfinite(scores))
    assert_array_equal(model.explain(missing)["colour"], 0.0)
    # Close to the complete rows' scores, far above an unseen colour's.
    unseen = missing.assign(colour="purple")
    complete = np.median(model.score_samples(rows))
    assert abs(np.median(scores) - complete) < 2.5
    assert np.median(model.score_samples(unseen)) < complete - 10


def test_score_is_a_likelihood_of_the_categories_too(fitted, table):
    shuffled = table.copy()
    shuffled["colour"] = pd.Categorical(
        np.random.RandomState(1).permutation(table["colour"].to_numpy()),
        categories=table["colour"].cat.categories,
    )
    assert fitted.score(shuffled) < fitted.score(table) - 1.0


# --- persistence and incremental fits ---------------------------------------------


def test_save_load_and_pickle_keep_the_encoding(fitted, table, tmp_path):
    path = tmp_path / "mixed.skae"
    fitted.save(path)
    for twin in (load(path), pickle.loads(pickle.dumps(fitted))):
        assert_array_equal(twin.score_samples(table), fitted.score_samples(table))
        back = twin.inverse_transform(twin.transform(table.iloc[:5]))
        assert back.dtypes.to_dict() == table.dtypes.to_dict()
        assert_array_equal(twin.categories_[0], fitted.categories_[0])


def test_partial_fit_keeps_the_first_categories(table):
    model = AutoEncoder(random_state=0)
    model.partial_fit(table.iloc[:300])
    later = table.iloc[300:].astype({"colour": object})
    later.iloc[:5, 1] = "purple"
    model.partial_fit(later)
    assert model.categories_[0].tolist() == ["blue", "green", "red"]
    assert model.transform(later).shape == (300, model.n_components_)


def test_one_hot_entries_are_standardised_by_their_frequencies(fitted, table):
    frequencies = table["colour"].value_counts(normalize=True)[["blue", "green", "red"]]
    start = 1  # "size" is entry 0; then the three colours
    assert_allclose(fitted.mean_[start : start + 3], frequencies, rtol=1e-12)
    spread = np.sqrt(frequencies * (1 - frequencies))
    assert_allclose(fitted.scale_[start : start + 3], spread, rtol=1e-12)


def test_a_categorical_column_weighs_its_degrees_of_freedom_in_training(fitted, table):
    """The cross-entropy times (K - 1) / H: predicting the frequencies costs
    K - 1, as a numeric column predicted by its mean costs 1."""
    colour = table["colour"].value_counts(normalize=True).to_numpy()
    blue = table["blue"].value_counts(normalize=True).to_numpy()

    def entropy(f):
        return -(f * np.log(f)).sum()

    # Columns: size, colour, weight, blue.
    expected = [1.0, 2 / entropy(colour), 1.0, 1 / entropy(blue)]
    assert_allclose(fitted.net_.criterion_.column_weight.numpy(), expected, rtol=1e-5)
    # A likelihood (the variational kind) stays in nats: no weights.
    vae = VariationalAutoEncoder(max_epochs=1, random_state=0).fit(table)
    assert_allclose(vae.net_.criterion_.column_weight.numpy(), np.ones(4))


def test_a_rare_category_scores_as_rarer_than_a_common_one():
    rng = np.random.RandomState(0)
    n = 2000
    channel = rng.choice(["shop", "web", "fax"], n, p=[0.68, 0.3, 0.02])
    frame = pd.DataFrame({"channel": channel, "x": rng.normal(size=n), "y": rng.normal(size=n)})
    model = AutoEncoder(random_state=0).fit(frame)
    terms = model.explain(frame)["channel"]
    by_channel = terms.groupby(frame["channel"]).median()
    # Standardised squared errors: about 1 / f, not log(1 / f).
    assert by_channel["fax"] < 5 * by_channel["web"] < 5 * by_channel["shop"]


def test_the_imputer_fills_missing_categories_and_numbers(table):
    holed = table.astype({"colour": object}).copy()
    holed.loc[::7, "colour"] = None
    holed.loc[3::11, "size"] = np.nan
    imputer = AutoEncoderImputer(random_state=0).fit(holed)
    filled = imputer.transform(holed)
    assert isinstance(filled, pd.DataFrame) and not filled.isna().any().any()
    observed = holed.notna()
    for name in holed.columns:  # the observed entries unchanged
        assert (filled.loc[observed[name], name] == holed.loc[observed[name], name]).all()
    holes = holed["colour"].isna()
    assert np.mean(filled.loc[holes, "colour"] == table.loc[holes, "colour"]) > 0.8
    assert set(filled["colour"]) <= {"red", "green", "blue"}
    size_holes = holed["size"].isna()
    error = np.sqrt(np.mean((filled.loc[size_holes, "size"] - table.loc[size_holes, "size"]) ** 2))
    # Mean imputation would be about one standard deviation off.
    assert error < 0.5 * table["size"].std()


def test_a_list_of_rows_with_categories_by_index():
    rng = np.random.RandomState(0)
    kind = rng.choice(["a", "b"], 300)
    rows = [[k, (5.0 if k == "a" else -5.0) + rng.normal()] for k in kind]
    model = AutoEncoder(random_state=0, categorical_features=[0]).fit(rows)
    assert model.categories_[0].tolist() == ["a", "b"]
    back = model.inverse_transform(model.transform(rows))
    assert np.mean(back[0] == kind) > 0.95
    with pytest.raises(ValueError, match="Expected 2D array"):
        AutoEncoder(categorical_features=[0]).fit(["a", "b", "c"])


def test_the_imputer_finds_categories_as_its_estimator_does(table):
    # An estimator told that every column is numeric gets numbers only.
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, categorical_features=None))
    with pytest.raises(ValueError, match="could not convert"):
        imputer.fit(table[["size", "colour"]])


def test_every_categorical_dtype_comes_back_as_it_came():
    """object stays object (pandas 3 would infer "str"), the string and the
    nullable boolean dtypes stay, an ordered categorical stays ordered."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    frame = pd.DataFrame(
        {
            "x": a,
            "obj": pd.Series(np.where(a > 0, "p", "q"), dtype=object),
            "text": pd.Series(np.where(a > 0.5, "u", "v"), dtype="string"),
            "flag": pd.Series(a > -0.5, dtype="boolean"),
            "level": pd.Categorical(
                np.where(a > 1, "high", "low"), categories=["low", "high"], ordered=True
            ),
        }
    )
    est = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    for out in (est.inverse_transform(est.transform(frame)), est.sample(20, random_state=0)):
        assert list(out.columns) == list(frame.columns)
        for name in ("obj", "text", "flag", "level"):
            assert out[name].dtype == frame[name].dtype, name
        assert out["level"].cat.ordered


def test_the_imputer_keeps_float32_and_integer_columns_of_a_mixed_frame():
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    frame = pd.DataFrame(
        {
            "x": a.astype(np.float32),
            "n": pd.array(np.round(10 * a).astype(int), dtype="Int64"),
            "k": pd.Categorical(np.where(a > 0, "p", "q")),
        }
    )
    holes = frame.copy()
    holes.loc[::4, "x"] = np.nan
    holes.loc[1::4, "n"] = pd.NA
    filled = AutoEncoderImputer(AutoEncoder(max_epochs=3, random_state=0)).fit_transform(holes)
    assert list(filled.dtypes) == list(frame.dtypes)
    assert not filled.isna().any().any()
    observed = ~holes.isna()
    assert (filled["x"][observed["x"]] == frame["x"][observed["x"]]).all()
    assert (filled["n"][observed["n"]] == frame["n"][observed["n"]]).all()


def test_the_imputer_refuses_an_infinite_number_in_a_mixed_frame(table):
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(table)
    bad = table.copy()
    bad.loc[3, "size"] = np.inf
    with pytest.raises(ValueError, match="Input contains infinity"):
        imputer.transform(bad)


def test_the_imputer_fills_an_array_with_categorical_indices():
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    X = np.column_stack([a, np.where(a > 0, 1.0, 2.0)])
    holes = X.copy()
    holes[::4, 1] = np.nan
    est = AutoEncoder(max_epochs=20, categorical_features=[False, True], random_state=0)
    filled = AutoEncoderImputer(est).fit_transform(holes)
    assert isinstance(filled, np.ndarray) and filled.dtype == np.float64
    assert_array_equal(filled[1::4], X[1::4])
    # Each hole gets a category, and mostly the one its number implies.
    assert set(np.unique(filled[::4, 1])) <= {1.0, 2.0}
    assert np.mean(filled[::4, 1] == X[::4, 1]) > 0.8


def _saved_and_loaded(est, tmp_path):
    est.save(tmp_path / "m.skae")
    return skae.load(tmp_path / "m.skae")


@pytest.mark.parametrize("dtype", [np.float64, np.int64, bool, np.uint8, np.uint16])
def test_categorical_columns_of_an_array_come_back_in_its_dtype(dtype, tmp_path):
    """A probe: the categorical column of a float64 array came back from
    inverse_transform and sample as objects, where the imputer gave float64
    for the same input. Unsigned integers too (a mutation audit: the mutant
    gave uint8 and uint16 columns back as objects)."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    X = np.column_stack([a > 0, a > 1, a < -1]).astype(dtype)
    est = AutoEncoder(max_epochs=2, categorical_features=[2], random_state=0).fit(X)
    for decoded in (
        est.inverse_transform(est.transform(X)),
        est.sample(20, random_state=0),
        _saved_and_loaded(est, tmp_path).sample(20, random_state=0),
    ):
        assert decoded.dtypes.iloc[2] == np.dtype(dtype)
        assert set(decoded.iloc[:, 2]) <= set(X[:, 2])
        # The numbers too, as a DataFrame's columns (they came back as
        # float64 beside their categories in the array's dtype; a review);
        # bool numbers as float64, as in a DataFrame.
        numbers = np.dtype(np.float64) if dtype is bool else np.dtype(dtype)
        assert list(decoded.dtypes.iloc[:2]) == [numbers, numbers]


def test_the_imputer_of_a_frame_checks_an_array_under_its_own_name(table):
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(table)
    rows = table.to_numpy()[:3]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imputer.transform(rows)
    messages = [str(w.message) for w in caught if "feature names" in str(w.message)]
    assert messages == [
        "X does not have valid feature names, but AutoEncoderImputer was fitted with feature names"
    ]
    with pytest.raises(ValueError, match="but AutoEncoderImputer is expecting"):
        imputer.transform(np.column_stack([rows, np.ones(3)]))


def test_a_refit_on_numbers_forgets_the_categories(table):
    est = AutoEncoder(max_epochs=2, random_state=0).fit(table)
    assert hasattr(est, "categories_")
    est.fit(table[["size", "weight"]].to_numpy())
    assert est.is_categorical_ is None and not hasattr(est, "categories_")


def test_the_categorical_tag_is_left_to_integer_coded_input():
    """As HistGradientBoosting*, which also takes categorical columns: the tag
    says the input is integer-coded categories, and scikit-learn's checks
    would then feed only rounded non-negative integers."""
    from sklearn.utils import get_tags

    from skae import ConvolutionalAutoEncoder

    for est in (AutoEncoder(), AutoEncoderImputer(), ConvolutionalAutoEncoder()):
        assert not get_tags(est).input_tags.categorical
        assert get_tags(est).input_tags.allow_nan


def test_inverse_transform_keeps_the_index_of_pandas_codes(table):
    frame = table.set_index(table.index + 1000)
    model = AutoEncoder(n_components=2, max_epochs=2, random_state=0)
    codes = model.set_output(transform="pandas").fit(frame).transform(frame)
    back = model.inverse_transform(codes)
    # Aligned with the input rows, so arithmetic with them is not all NaN.
    assert_array_equal(back.index, frame.index)
    numeric = frame.select_dtypes("number").columns
    assert (frame[numeric] - back[numeric]).notna().all().all()
    assert_array_equal(model.inverse_transform(codes.to_numpy()).index, np.arange(len(frame)))


def test_strings_without_categorical_features_are_named(table):
    with pytest.raises(ValueError, match=r"the columns \['colour'\] are not numbers"):
        AutoEncoder(max_epochs=1, categorical_features=None).fit(table)


def test_an_object_column_of_numbers_is_numeric():
    """``df.astype(object)`` or decimals from a database: numbers, not one
    category per distinct value, so a far value is far."""
    from decimal import Decimal

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    as_objects = frame.astype({"a": object})
    as_objects["b"] = pd.Series([Decimal(str(round(v, 6))) for v in frame["b"]], dtype=object)
    assert resolve_categorical(as_objects, "from_dtype") is None
    model = AutoEncoder(max_epochs=5, random_state=0).fit(as_objects)
    assert model.is_categorical_ is None
    far = frame.iloc[:20].assign(a=50.0).astype({"a": object})
    assert (model.predict(far) == -1).all()
    # A column mixing strings with numbers stays categorical.
    mixed = frame.assign(c=pd.Series(["x" if v > 0 else 1.5 for v in frame["c"]], dtype=object))
    assert_array_equal(resolve_categorical(mixed, "from_dtype"), [False, False, True])


@pytest.mark.parametrize(
    "odd", ["decimal", "decimal nan", "fraction", "NaT", "NA", "None", "all None"]
)
def test_numbers_of_any_python_type_with_any_missing_marker_are_numeric(odd):
    """One Decimal among floats, a Fraction, or a missing entry written as
    ``pd.NaT``: still numbers, the missing ones NaN, scored as the float
    column with NaN is."""
    from decimal import Decimal
    from fractions import Fraction

    rng = np.random.RandomState(0)
    x = rng.normal(size=(120, 2))
    values = list(x[:, 1])
    expected = x[:, 1].copy()
    put = {
        "decimal": (Decimal("1.5"), 1.5),
        "decimal nan": (Decimal("NaN"), np.nan),
        "fraction": (Fraction(1, 2), 0.5),
        "NaT": (pd.NaT, np.nan),
        "NA": (pd.NA, np.nan),
        "None": (None, np.nan),
    }
    if odd == "all None":
        values, expected = [None] * len(values), np.full(len(values), np.nan)
    else:
        values[0], expected[0] = put[odd]
    frame = pd.DataFrame({"a": x[:, 0], "b": pd.Series(values, dtype=object)})
    floats = pd.DataFrame({"a": x[:, 0], "b": expected})
    assert resolve_categorical(frame, "from_dtype") is None
    if odd == "all None":
        return  # a column never observed: numeric, as the float one (see test_missing)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    reference = AutoEncoder(max_epochs=2, random_state=0).fit(floats)
    assert_allclose(model.score_samples(frame), reference.score_samples(floats))


def test_a_value_that_is_not_a_number_gets_an_error_that_fits_the_case():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=100), "b": pd.Series(list(rng.normal(size=100)))})
    frame["b"] = frame["b"].astype(object)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    word = frame.copy()
    word.loc[0, "b"] = "x"
    with pytest.raises(ValueError, match=r"\['b'\] hold values that are not numbers, but "):
        model.transform(word)
    # An infinite number is scikit-learn's own error, with no advice on categories.
    infinite = frame.copy()
    infinite.loc[0, "b"] = float("inf")
    with pytest.raises(ValueError, match="infinity") as caught:
        model.transform(infinite)
    assert "categor" not in str(caught.value)
    # A string column the fit never saw was not taken for numbers: the
    # names' check says what is wrong, and only that.
    for new in (frame.assign(city="Paris"), frame.drop(columns="b").assign(city="Paris")):
        with pytest.raises(ValueError, match="city") as caught:
            model.transform(new)
        assert "not numbers" not in str(caught.value)
        assert "Feature names unseen at fit time" in str(caught.value)


@pytest.mark.parametrize("na_value", [pd.NA, np.nan], ids=["string", "str"])
def test_a_python_string_column_keeps_its_storage(na_value, tmp_path):
    try:
        dtype = pd.StringDtype("python", na_value=na_value)
    except TypeError:
        pytest.skip("pandas before 2.3 has no na_value for its string dtype")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=100)})
    frame["s"] = pd.Series(np.where(frame["x"] > 0, "p", "q"), dtype=dtype)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    model.save(tmp_path / "model.skae")
    loaded = skae.load(tmp_path / "model.skae")
    for m in (model, loaded):
        for out in (m.inverse_transform(m.transform(frame)), m.sample(5, random_state=0)):
            # The storage too (pandas' == says python and pyarrow "str" are equal).
            assert repr(out["s"].dtype) == repr(frame["s"].dtype)


def test_a_pyarrow_string_column_comes_back_in_its_dtype():
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=100)})
    frame["s"] = pd.Series(np.where(frame["x"] > 0, "p", "q"), dtype=pd.ArrowDtype(pa.string()))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    for out in (model.inverse_transform(model.transform(frame)), model.sample(5, random_state=0)):
        assert out["s"].dtype == frame["s"].dtype


def test_categorical_features_as_an_array_a_series_or_an_index():
    """``categorical_features == "from_dtype"`` compared each element of an
    array-like (ValueError: the truth value of an array is ambiguous); a
    list worked."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"c": rng.choice([1, 2], 80), "d": rng.choice([5, 6], 80), "x": rng.normal(size=80)}
    )
    specs = [
        np.array([True, True, False]),
        np.array([0, 1]),
        np.array(["c", "d"]),
        pd.Index(["c", "d"]),
        frame.nunique() < 3,
    ]
    scores = None
    for spec in specs:
        model = AutoEncoder(max_epochs=2, random_state=0, categorical_features=spec).fit(frame)
        assert_array_equal(model.is_categorical_, [True, True, False])
        if scores is None:
            scores = model.score_samples(frame)
        assert_allclose(model.score_samples(frame), scores)
    model = AutoEncoder(max_epochs=2, random_state=0, categorical_features=np.array([0]))
    assert_array_equal(model.fit(frame.to_numpy()).is_categorical_, [True, False, False])


def test_sample_draws_categories_as_often_as_the_training_data():
    """A category the codes do not determine came out as the most probable
    one every time: 30% of the training rows, 0% of the variational kind's
    samples (10% of the plain kind's)."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=500)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": rng.normal(size=500),
            "c": pd.Categorical(rng.choice(["x", "y"], size=500, p=[0.3, 0.7])),
            "s": np.where(a > 0, "p", "q"),  # one the codes do determine
        }
    )
    for kind in (AutoEncoder, VariationalAutoEncoder):
        # The defaults: 20 epochs; the variational kind's best held-out epoch.
        model = kind(random_state=0).fit(frame)
        drawn = model.sample(2000, random_state=1)
        assert abs((drawn["c"] == "x").mean() - 0.3) < 0.1, kind.__name__
        assert ((drawn["a"] > 0) == (drawn["s"] == "p")).mean() > 0.7, kind.__name__
        assert drawn.equals(model.sample(2000, random_state=1))
        assert not drawn["c"].equals(model.sample(2000, random_state=2)["c"])


def _arrow_columns(pa, rng, n):
    """Columns that pyarrow backs, each of two or three categories."""
    return {
        # pandas' arrow form of ``category`` (HistGradientBoosting calls it
        # categorical under "from_dtype"), of strings and of numbers
        "dict_str": pd.Series(
            pa.array(rng.choice(["red", "green", "blue"], n)).dictionary_encode(),
            dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.string())),
        ),
        "dict_int": pd.Series(
            pa.array(rng.choice([3, 5, 7], n)).dictionary_encode(),
            dtype=pd.ArrowDtype(pa.dictionary(pa.int32(), pa.int64())),
        ),
        # a category whose categories pyarrow stores (pandas infers "str")
        "cat": pd.Series(rng.choice(["x", "y"], n), dtype="string[pyarrow]").astype("category"),
    }


def test_pyarrow_dictionary_and_category_columns_come_back_in_their_dtypes(tmp_path):
    """A dictionary column was a number to "from_dtype" (refused as strings,
    or one of ints read as a number), and named categorical, its dtype could
    not be rebuilt from its name (TypeError in inverse_transform and sample);
    a category of pyarrow strings came back with categories of "str"."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    a = rng.normal(size=150)
    for name, column in _arrow_columns(pa, rng, 150).items():
        frame = pd.DataFrame({"a": a, "b": 2 * a, "c": column})
        model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
        assert_array_equal(model.is_categorical_, [False, False, True])
        model.save(tmp_path / f"{name}.skae")
        loaded = skae.load(tmp_path / f"{name}.skae")
        for m in (model, loaded):
            back = m.inverse_transform(m.transform(frame))
            for out in (back, m.sample(5, random_state=0)):
                assert out["c"].dtype == frame["c"].dtype, name
                assert set(out["c"]) <= set(column), name
            assert (back["c"] == frame["c"]).mean() > 0.3, name


def test_a_pyarrow_dictionary_keeps_its_own_order():
    """The column was rebuilt by encoding its values, so an ordered
    dictionary's order (the order of its values) followed the rows: the
    imputer reordered the user's own observed rows, and ``categories_``
    came out sorted."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    codes = 2 - rng.choice(3, 150)  # the first rows are "hi"
    holes = rng.rand(150) < 0.2
    levels = pa.DictionaryArray.from_arrays(
        pa.array(codes, pa.int8(), mask=holes), pa.array(["lo", "mid", "hi"]), ordered=True
    )
    frame = pd.DataFrame(
        {"x": codes + rng.normal(scale=0.1, size=150), "lvl": pd.arrays.ArrowExtensionArray(levels)}
    )

    def order(column):
        return pa.array(column).dictionary.to_pylist()

    filled = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit_transform(frame)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame.dropna())
    assert_array_equal(model.categories_[0], ["lo", "mid", "hi"])
    back = model.inverse_transform(model.transform(frame.dropna()))
    for column in (filled["lvl"], back["lvl"], model.sample(20, random_state=0)["lvl"]):
        assert order(column) == ["lo", "mid", "hi"] and column.dtype == frame["lvl"].dtype
    observed = ~holes
    assert_array_equal(
        filled["lvl"].to_numpy(dtype=object)[observed],
        frame["lvl"].to_numpy(dtype=object)[observed],
    )


def test_a_named_decimal_column_comes_back_in_its_dtype():
    """pandas cannot read back a decimal's name with its precision."""
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    rng = np.random.RandomState(0)
    k = rng.randint(0, 3, 120)
    dtype = pd.ArrowDtype(pa.decimal128(10, 2))
    frame = pd.DataFrame(
        {
            "a": k + rng.normal(scale=0.1, size=120),
            "w": pd.Series([Decimal(int(v)) for v in k], dtype=dtype),
        }
    )
    model = AutoEncoder(max_epochs=2, random_state=0, categorical_features=["w"]).fit(frame)
    for out in (model.inverse_transform(model.transform(frame)), model.sample(5, random_state=0)):
        assert out["w"].dtype == dtype and set(out["w"]) <= {Decimal(0), Decimal(1), Decimal(2)}


def test_a_numeric_decimal_column_comes_back_within_its_precision():
    """Found by a probe: a decimal(3, 2) column read as numbers failed
    inverse_transform and sample with pyarrow's overflow error whenever a
    reconstruction passed 9.99 (an integer column is clipped to its range)."""
    pa = pytest.importorskip("pyarrow")
    from decimal import Decimal

    rng = np.random.RandomState(0)
    x = rng.normal(size=300)
    dtype = pd.ArrowDtype(pa.decimal128(3, 2))
    frame = pd.DataFrame(
        {
            "c": np.where(x > 0, "a", "b"),
            "x": x,
            "d": pd.Series(
                [Decimal(f"{v:.2f}") for v in np.clip(np.abs(x) * 4, 0, 9.99)], dtype=dtype
            ),
        }
    )
    model = AutoEncoder(max_epochs=20, random_state=0).fit(frame)
    back = model.inverse_transform(model.transform(frame))
    drawn = model.sample(5000, random_state=0)
    for out in (back, drawn):
        assert out["d"].dtype == dtype
        assert out["d"].max() == Decimal("9.99") and out["d"].min() >= Decimal("-9.99")
    # Below the edge, the reconstruction is the decoder's number to 2 digits.
    decoded = model._decoded_units(model.transform(frame), "inverse_transform")
    column = model._encoding().numeric_positions()[1]  # "x", then "d"
    inside = np.abs(decoded[:, column]) < 9.99
    assert 0 < inside.sum() < len(frame)
    expected = np.round(decoded[inside, column], 2)
    assert_allclose(back["d"][inside].astype(float), expected, atol=1e-9)


def test_categories_of_mixed_numbers_and_text_sort_numbers_by_value():
    """Found by a probe: an object column of 10, 2, 1.5 and "b" listed its
    categories as [1.5, 10, 2, "b"] (by type name, then text), where the
    docstring says they are sorted."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    column = np.array([10, 2, 1.5, "b"], dtype=object)[rng.randint(0, 4, 200)]
    frame = pd.DataFrame({"a": a, "b": 2 * a, "c": pd.Series(column, dtype=object)})
    model = AutoEncoder(max_epochs=1, random_state=0, categorical_features=["c"]).fit(frame)
    assert model.categories_[0].tolist() == [1.5, 2, 10, "b"]


def test_an_integer_column_label_prints_as_its_number():
    """Found by a probe: messages named the column np.int64(2)."""
    a = np.random.RandomState(0).normal(size=50)
    frame = pd.DataFrame({"a": a, "b": a, "c": pd.Categorical([None] * 50, categories=["p"])})
    frame.columns = np.arange(3)  # numpy integers, as an array's columns are
    assert isinstance(frame.columns[2], np.integer)
    with pytest.raises(ValueError, match=r"^Categorical column 2 has no observed value"):
        AutoEncoder(max_epochs=1).fit(frame)


@pytest.mark.parametrize(
    "dtype", ["object", "str", "string", "boolean", "string[pyarrow]", "bool[pyarrow]", "dict"]
)
def test_the_imputer_keeps_string_and_boolean_dtypes(dtype):
    """Filled, a string or boolean column came back as objects (pandas 3's
    default "str" included), a dictionary one raised; and an object column
    must not become "str" (pandas 3 infers it from an array of strings)."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    a = rng.normal(size=150)
    if dtype == "dict":
        column = _arrow_columns(pa, rng, 150)["dict_str"]
    elif "bool" in dtype:
        column = pd.Series(a > 0, dtype=dtype)
    else:
        column = pd.Series(np.where(a > 0, "p", "q"), dtype=dtype)
    frame = pd.DataFrame({"a": a, "b": 2 * a, "c": column})
    holes = frame.copy()
    holes.loc[rng.rand(150) < 0.2, "c"] = None
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(holes)
    filled = imputer.transform(holes)
    assert filled["c"].dtype == frame["c"].dtype
    assert not filled["c"].isna().any() and set(filled["c"]) <= set(column)
    kept = holes["c"].notna().to_numpy()
    assert_array_equal(
        filled["c"].to_numpy(dtype=object)[kept], holes["c"].to_numpy(dtype=object)[kept]
    )


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ("sparse", TypeError, "Sparse data was passed"),
        ("row", ValueError, "Expected 2D array"),
        ("series", ValueError, "Expected a 2-dimensional container"),
        ("3d", ValueError, "Found array with dim 3"),
        ("empty", ValueError, r"0 sample\(s\) \(shape=\(0, 4\)\)"),
    ],
)
def test_a_model_with_categories_checks_the_layout_of_its_input(fitted, table, bad, error, match):
    """The errors a model without categorical columns gives, naming the
    user's columns, not the encoded ones."""
    import scipy.sparse as sp

    inputs = {
        "sparse": lambda: sp.csr_matrix(np.zeros((2, 4))),
        "row": lambda: table.to_numpy()[0],
        "series": lambda: table.iloc[0],
        "3d": lambda: np.zeros((2, 4, 1)),
        "empty": lambda: table.head(0),
    }
    for method in (fitted.transform, fitted.score_samples, fitted.explain):
        with pytest.raises(error, match=match):
            method(inputs[bad]())
    if bad in ("sparse", "empty"):
        with pytest.raises(error, match=match):
            AutoEncoder(categorical_features=[1]).fit(
                inputs[bad]() if bad == "sparse" else np.zeros((0, 4))
            )


def test_float32_numbers_give_float32_codes_with_categories():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=(200, 3)), rng.choice([0.0, 1.0], 200)])
    model = AutoEncoder(categorical_features=[3], max_epochs=2, random_state=0)
    assert model.fit(X.astype(np.float32)).transform(X.astype(np.float32)).dtype == np.float32
    assert model.transform(X).dtype == np.float64
    frame = pd.DataFrame(X[:, :3].astype(np.float32), columns=list("abc"))
    frame["k"] = pd.Categorical(np.where(X[:, 3] > 0, "y", "n"))
    assert AutoEncoder(max_epochs=2, random_state=0).fit(frame).transform(frame).dtype == (
        np.float32
    )
    # Float32 only where every number is: a float64 column beside them keeps
    # its precision (mutation audit: float32 as soon as any column was).
    mixed = frame.assign(b=rng.normal(size=200) * 1e-9 + 1.0)
    assert AutoEncoder(max_epochs=2, random_state=0).fit(mixed).transform(mixed).dtype == (
        np.float64
    )


def test_numbers_centred_at_zero_are_not_taken_for_absent_categories():
    """Mutation audit: a category that no row held is encoded as none; with
    loss="binary_crossentropy" numbers are not centred (mean_ 0), and a rule
    reading every entry of mean_ 0 as such a category encoded every number
    as 0 once a categorical column was there: a changed number changed no
    score and no code."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"p": rng.uniform(size=300), "q": rng.uniform(size=300), "c": rng.choice(["x", "y"], 300)}
    )
    model = AutoEncoder(
        n_components=2, max_epochs=5, loss="binary_crossentropy", random_state=0
    ).fit(X)
    assert_array_equal(model.mean_[:2], 0.0)
    rows = X.iloc[:2]
    changed = rows.assign(p=1.0 - rows["p"])
    assert np.all(np.abs(model.score_samples(rows) - model.score_samples(changed)) > 1e-3)
    assert np.all(np.abs(model.transform(rows) - model.transform(changed)).max(axis=1) > 1e-4)


def test_a_text_column_with_one_complex_number_is_categorical():
    """Mutation audit: only a column of numbers, a complex one among them, is
    refused as complex (test_an_object_column_of_complex_numbers_is_refused_by_name);
    text holding one complex value is text, whose values are categories."""
    rng = np.random.RandomState(0)
    values = rng.choice(["a", "b", "c"], 60).astype(object)
    values[5] = 1 + 2j
    X = pd.DataFrame({"z": values, "x": rng.normal(size=60)})
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert list(model.is_categorical_) == [True, False]
    assert 1 + 2j in list(model.categories_[0])


def test_binary_crossentropy_with_categories_scores_rows_in_range():
    """The [0, 1] rule of binary cross-entropy is for the numbers: the one-hot
    entries are standardised whatever the loss, and every row scored -inf."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.uniform(size=(200, 3)), columns=list("abc"))
    frame["kind"] = pd.Categorical(rng.choice(list("xyz"), 200))
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=2, random_state=0).fit(frame)
    assert np.isfinite(model.score_samples(frame)).all() and np.isfinite(model.score(frame))
    assert np.mean(model.predict(frame) == -1) < 0.2
    far = frame.head(3).copy()
    far.loc[0, "a"] = 3.0
    assert_array_equal(np.isneginf(model.score_samples(far)), [True, False, False])
    assert np.isneginf(model.explain(far).loc[0, "a"])


def test_an_unhashable_category_is_named():
    X = np.random.RandomState(0).uniform(size=(30, 3)).astype(object)
    X[0, 0] = {"foo": "bar"}
    with pytest.raises(TypeError, match=r"Categorical column 0 holds a value that cannot be"):
        AutoEncoder(max_epochs=1, categorical_features=[0]).fit(X)
    # ... and so it is after the fit, by every method that encodes rows.
    model = AutoEncoder(max_epochs=1, categorical_features=[0], random_state=0)
    model.fit(X[1:])
    for method in ("transform", "score_samples", "partial_fit"):
        with pytest.raises(TypeError, match=r"Categorical column 0 holds a value that cannot be"):
            getattr(model, method)(X)


def test_score_of_a_table_without_numbers_is_its_categories_likelihood():
    """No numeric column: score is the mean log-probability of the observed
    categories (it crashed on an empty reduction), between that of a
    uniform guess and 0."""
    frame = pd.DataFrame({"a": pd.Categorical(np.random.RandomState(0).choice(list("abc"), 60))})
    model = AutoEncoder(n_components=1, max_epochs=5, random_state=0).fit(frame)
    assert -np.log(3) - 0.5 < model.score(frame) < 0.0


def test_score_sums_the_log_probabilities_of_a_rows_categorical_columns():
    """Mutation audit: a row's categories are independent parts of its
    likelihood, so their log-probabilities add up over the columns;
    averaged, two balanced columns of 3 and 4 categories that the network
    cannot predict scored about -1.19, half their joint log-probability
    (-log 12 = -2.48 for a uniform guess)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "c1": pd.Categorical(rng.choice(list("abc"), 300)),
            "c2": pd.Categorical(rng.choice(list("pqrs"), 300)),
        }
    )
    model = AutoEncoder(n_components=1, max_epochs=5, random_state=0).fit(frame)
    # Summed: near the uniform guess's -log 12 (a network that learned a
    # little of the training rows does a little better); averaged, half.
    assert -np.log(12) - 0.3 < model.score(frame) < -0.75 * np.log(12)


def test_integer_column_labels_come_back_and_survive_a_save(tmp_path):
    """scikit-learn keeps string names only; a frame labelled 10, 20, 30 (as
    pivot tables and read_csv(header=None) give) gets its labels back, not
    the positions 0, 1, 2 that misalign a pd.concat with the input."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            10: rng.normal(size=80),
            20: rng.normal(size=80),
            30: pd.Categorical(rng.choice(["u", "v"], 80)),
        }
    )
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert list(est.inverse_transform(est.transform(X)).columns) == [10, 20, 30]
    assert list(est.sample(3, random_state=0).columns) == [10, 20, 30]
    path = tmp_path / "model.skae"
    est.save(path)
    assert list(load(path).sample(3, random_state=0).columns) == [10, 20, 30]
    # A refit on string names forgets them.
    est.fit(X.set_axis(["a", "b", "c"], axis=1))
    assert list(est.sample(1, random_state=0).columns) == ["a", "b", "c"]


def test_the_imputer_fills_a_category_the_batch_dtype_does_not_list():
    """``pd.Categorical(values)`` lists only the categories present: filling
    another one raised pandas' TypeError; the column gains it."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=200)
    X = pd.DataFrame({"x": z, "c": pd.Categorical(np.where(z > 0, "hi", "lo"))})
    X.loc[::7, "x"] = np.nan
    imputer = AutoEncoderImputer(
        AutoEncoder(n_components=1, max_epochs=20, lr=0.01, random_state=0)
    ).fit(X)
    batch = pd.DataFrame({"x": [2.0, -2.0], "c": pd.Categorical(["hi", None])})
    filled = imputer.transform(batch)
    assert filled["c"].tolist() == ["hi", "lo"]
    assert set(filled["c"].cat.categories) == {"hi", "lo"}


def test_an_ordered_category_gains_a_filled_category_in_the_fits_order():
    """Added at the end, "M" of S < M < L came after "L": the filled row
    compared as larger than "L"."""
    rng = np.random.RandomState(0)
    size = pd.CategoricalDtype(["S", "M", "L"], ordered=True)
    X = pd.DataFrame({"a": rng.normal(size=120), "size": rng.choice(["S", "M", "L"], 120)})
    X["size"] = X["size"].astype(size)
    X.loc[::5, "size"] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(X)
    gap = X["size"].isna().to_numpy()
    filled = imputer.transform(X)["size"]  # reference: what the model fills in
    batch = pd.DataFrame(
        {
            "a": X["a"].to_numpy()[gap][:3],
            "size": pd.Categorical([np.nan, "S", "L"], categories=["S", "L"], ordered=True),
        }
    )
    out = imputer.transform(batch)["size"]
    assert out.cat.ordered
    assert [c for c in out.cat.categories] == [c for c in "SML" if c in out.cat.categories]
    assert out.iloc[0] == filled[gap].iloc[0]
    assert (out > "L").sum() == 0
    shuffled = batch.assign(size=batch["size"].cat.reorder_categories(["L", "S"]))
    with pytest.raises(ValueError, match="order differs from the fit's"):
        imputer.transform(shuffled)


def test_a_category_of_numbers_read_as_numbers_is_filled_with_a_level():
    """A category column left out of categorical_features is numbers to the
    model: each fill (1.9692, 1.9723, ...) became a new category."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=80), "k": rng.choice(["x", "y"], 80)})
    X["lvl"] = pd.Categorical(rng.choice([1, 2, 3], 80))
    X.loc[::4, "lvl"] = np.nan
    estimator = AutoEncoder(max_epochs=2, random_state=0, categorical_features=["k"])
    out = AutoEncoderImputer(estimator).fit(X).transform(X)
    assert list(out["lvl"].cat.categories) == [1, 2, 3]
    assert not out["lvl"].isna().any()


def test_the_imputer_keeps_filled_integers_within_their_dtype():
    """A reconstruction of 127.6 rounded to 128 did not fit an Int8 column."""
    rng = np.random.RandomState(0)
    x = rng.normal(size=300)
    small = pd.array(np.clip(np.round(100 + 30 * x), -128, 127).astype(int), dtype="Int8")
    X = pd.DataFrame({"x": x, "c": pd.Categorical(np.where(x > 0, "a", "b")), "v": small})
    top = np.argsort(x)[-5:]
    X.loc[top, "v"] = pd.NA
    imputer = AutoEncoderImputer(
        AutoEncoder(n_components=1, max_epochs=30, lr=0.01, random_state=0)
    ).fit(X)
    filled = imputer.transform(X)["v"]
    assert filled.dtype == "Int8" and filled.iloc[top].between(-128, 127).all()


def test_the_never_observed_warning_names_the_input_column():
    """It gave the position among the numeric columns ([1] for 'e')."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"c": pd.Categorical(rng.choice(["a", "b"], 60)), "x": rng.normal(size=60), "e": np.nan}
    )
    for scaling in ("auto", "global"):
        with pytest.warns(UserWarning, match=r"Features \['e'\] have no observed value"):
            AutoEncoder(max_epochs=1, scaling=scaling, random_state=0).fit(X)


def test_score_with_one_numeric_column_and_categories():
    """numpy read the one-element index of the numeric column as a scalar:
    ``score`` raised a TypeError on the training data itself."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "d": rng.choice(["x", "y"], 60)})
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert np.isfinite(est.score(X))


def test_the_imputer_fills_a_categorical_column_that_came_all_missing():
    """An all-missing column is float64 (NaN, as read_csv gives it): the
    categories filled in did not fit its dtype."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.normal(size=60), "d": rng.choice(["x", "y"], 60)})
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(X)
    filled = imputer.transform(X.iloc[:3].assign(d=np.nan))
    assert set(filled["d"]) <= {"x", "y"}


def test_the_imputer_clips_filled_64_bit_integers():
    """float(2**63 - 1) is 2**63: the clip itself overflowed Int64."""
    from skae._imputer import _in_dtype

    filled = _in_dtype(pd.Series([1e19, -1e19, 3.4]), pd.Int64Dtype())
    assert filled.tolist() == [2**63 - 1, -(2**63), 3]
    assert _in_dtype(pd.Series([1e20, -1.0]), pd.UInt64Dtype()).tolist() == [2**64 - 1, 0]


@pytest.mark.parametrize("dtype", ["object", "category"])
def test_a_column_of_too_many_categories_is_refused_by_name(dtype):
    """An identifier column taken for categorical (11,000 values on 20,000
    rows) took 4.6 GB and a minute an epoch; HistGradientBoosting refuses more
    than 255 categories, and so does skae, naming the column."""
    rng = np.random.RandomState(0)
    ids = pd.Series([f"u{i}" for i in range(300)], dtype=dtype)
    X = pd.DataFrame({"x": rng.normal(size=300), "user": ids})
    with pytest.raises(ValueError, match=r"column 'user' has 300 categories, more than 255"):
        AutoEncoder(max_epochs=1).fit(X)
    # 255 are accepted.
    fewer = X.assign(user=pd.Series([f"u{i % 255}" for i in range(300)], dtype=dtype))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(fewer)
    assert len(model.categories_[0]) == 255


def test_decoding_categories_holds_one_block_of_probabilities():
    """Cliff-probe finding: inverse_transform and sample held every row's
    probability of every category (100,000 rows of five columns of 255
    categories: 1 GB) for one label per column."""
    import tracemalloc

    rng = np.random.RandomState(0)
    X = pd.DataFrame({f"c{j}": pd.Categorical(rng.randint(0, 200, 600)) for j in range(3)})
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    codes = rng.normal(size=(20_000, model.n_components_))
    whole = 20_000 * sum(len(c) for c in model.categories_) * 8
    tracemalloc.start()
    try:
        decoded = model.inverse_transform(codes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < whole / 2
    assert decoded.shape == (20_000, 3)
    # Block by block, the same labels as row by row.
    assert decoded.iloc[[5000, 19_999]].equals(
        model.inverse_transform(codes[[5000, 19_999]]).set_axis([5000, 19_999])
    )


def test_the_imputer_fills_a_nan_that_pyarrow_does_not_call_missing():
    """A pyarrow float column read from Parquet may hold NaN as a value, not
    as null (``isna()`` is False there); the model takes it for missing, and
    the imputer of a mixed frame left it NaN."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    kind = rng.choice(["a", "b"], 100)
    x = np.where(kind == "a", 3.0, -3.0) + rng.normal(size=100)
    x[::5] = np.nan
    frame = pd.DataFrame(
        {
            "x": pd.Series(pa.array(x, from_pandas=False), dtype=pd.ArrowDtype(pa.float64())),
            "y": rng.normal(size=100),
            "c": pd.Categorical(kind),
        }
    )
    assert not frame["x"].isna().any()
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(frame)
    out = imputer.transform(frame)
    filled = out["x"].to_numpy(dtype=np.float64)
    assert not np.isnan(filled).any()
    assert_array_equal(filled[~np.isnan(x)], x[~np.isnan(x)])


def test_a_column_of_tuples_is_refused_as_lists_are():
    """Tuples fitted (hashable), but numpy made equal-length tuples a 2-D
    array of categories, and inverse_transform and sample failed."""
    X = pd.DataFrame({"x": np.arange(40.0), "c": pd.Series([(1, 2), (3, 4)] * 20, dtype=object)})
    with pytest.raises(TypeError, match="column 'c' holds a value that cannot be a category"):
        AutoEncoder(max_epochs=1, categorical_features=["c"]).fit(X)


def test_a_refused_column_of_many_numbers_as_text_says_to_convert_it():
    """A probe: amounts read as text (a CSV read with dtype=str) were
    refused for their many categories with "an identifier?" alone."""
    x = np.random.RandomState(0).lognormal(size=600).round(2)
    amounts = pd.DataFrame({"amount": x.astype(str), "b": 2 * x}).astype({"amount": "string"})
    with pytest.raises(ValueError, match="text of numbers.*pd.to_numeric"):
        AutoEncoder(max_epochs=1).fit(amounts)
    names = pd.DataFrame({"id": [f"u{i}" for i in range(600)], "b": x})
    with pytest.raises(ValueError, match="an identifier\\?") as raised:
        AutoEncoder(max_epochs=1).fit(names)
    assert "text of numbers" not in str(raised.value)


def test_declared_categorical_columns_pass_the_object_dtype_check():
    """Probe finding: with ``categorical_features=[0]``, scikit-learn's
    ``check_dtype_object`` failed, the error for a dict among the values not
    saying that the argument must be a string or a number."""
    from sklearn.utils.estimator_checks import check_dtype_object

    check_dtype_object(
        "AutoEncoder", AutoEncoder(categorical_features=[0], max_epochs=2, random_state=0)
    )


def test_a_category_column_with_no_observed_value_is_refused():
    """Its dtype lists categories, but no row holds one: sample and
    inverse_transform returned the first for every row, and predict flagged
    every sample, where a str column in the same state was refused."""
    X = pd.DataFrame(
        {"x": np.arange(40.0), "c": pd.Categorical([np.nan] * 40, categories=["a", "b"])}
    )
    with pytest.raises(ValueError, match="column 'c' has no observed value"):
        AutoEncoder(max_epochs=1).fit(X)


def test_too_many_listed_categories_say_how_many_rows_hold():
    """A frame filtered from a larger table lists categories no row holds:
    the error says so, and how to drop them."""
    listed = [f"k{i}" for i in range(300)]
    X = pd.DataFrame(
        {"x": np.arange(30.0), "c": pd.Categorical(["k0", "k1", "k2"] * 10, categories=listed)}
    )
    with pytest.raises(ValueError, match=r"300 categories \(.*rows hold 3.*remove_unused"):
        AutoEncoder(max_epochs=1).fit(X)
    model = AutoEncoder(max_epochs=1, random_state=0)
    model.fit(X.assign(c=X["c"].cat.remove_unused_categories()))
    assert list(model.categories_[0]) == ["k0", "k1", "k2"]


def test_a_dtype_that_cannot_be_rebuilt_is_refused_at_fit():
    """A sparse column of strings fitted, then inverse_transform and sample
    failed: pandas cannot read its dtype's name back."""
    X = pd.DataFrame(
        {"x": np.arange(40.0), "c": pd.arrays.SparseArray(["a", "b"] * 20, fill_value="a")}
    )
    with pytest.raises(ValueError, match="column 'c' has the dtype Sparse"):
        AutoEncoder(max_epochs=1, categorical_features=["c"]).fit(X)


def test_unsigned_column_labels_beyond_int64_are_kept(tmp_path):
    """np.int64 of the labels overflowed (OverflowError) with categorical columns."""
    labels = pd.Index(np.array([2**63, 2**63 + 1], dtype=np.uint64))
    X = pd.DataFrame({labels[0]: np.arange(40.0), labels[1]: ["a", "b"] * 20})
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    model.save(tmp_path / "model.skae")
    for fitted in (model, skae.load(tmp_path / "model.skae")):
        out = fitted.inverse_transform(fitted.transform(X))
        assert list(out.columns) == list(labels)


def test_a_pyarrow_table_is_read_as_a_dataframe():
    """Read as an array, a Table lost its column names (columns reordered at
    predict were scored in the fitted order), its string column was not a
    category, and explain failed on it."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)) * [1, 10, 100], columns=list("abc"))
    frame["kind"] = rng.choice(["x", "y"], 200)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(table)
    assert list(model.feature_names_in_) == ["a", "b", "c", "kind"]
    assert list(model.is_categorical_) == [False, False, False, True]
    with pytest.raises(ValueError, match="same order"):
        model.score_samples(table.select(["b", "a", "c", "kind"]))
    reference = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert_allclose(model.score_samples(table), reference.score_samples(frame))
    terms = model.explain(table)
    assert list(terms.columns) == ["a", "b", "c", "kind", "code"]
    # The imputer too (it read the Table's categories as a DataFrame's dtypes).
    holes = frame.copy()
    holes.iloc[::7, 0] = np.nan
    imputer = skae.AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0))
    filled = imputer.fit(pa.Table.from_pandas(holes, preserve_index=False)).transform(holes)
    assert not filled.isna().any().any()


def test_a_polars_frame_is_read_as_a_dataframe():
    """polars 2 has no ``__dataframe__``: its frames were read as arrays, so
    string and categorical columns were refused ("could not convert string
    to float"), a boolean column became a number, the names were lost (columns
    reordered at predict were scored), a date column was trained on as days,
    and the imputer and explain failed on it."""
    pl = pytest.importorskip("polars")
    pytest.importorskip("pyarrow")  # polars' to_pandas
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 2)) * [1, 10], columns=["a", "b"])
    frame["kind"] = pd.Categorical(rng.choice(["x", "y", "z"], 200))
    frame["name"] = rng.choice(["p", "q"], 200)
    frame["flag"] = rng.rand(200) < 0.3
    table = pl.from_pandas(frame)
    assert table.schema["kind"] == pl.Categorical and table.schema["flag"] == pl.Boolean
    model = AutoEncoder(max_epochs=2, random_state=0).fit(table)
    assert list(model.feature_names_in_) == ["a", "b", "kind", "name", "flag"]
    assert list(model.is_categorical_) == [False, False, True, True, True]
    # As its pandas copy is (polars lists a category's levels as they came).
    reference = AutoEncoder(max_epochs=2, random_state=0).fit(table.to_pandas())
    assert_allclose(model.score_samples(table), reference.score_samples(table.to_pandas()))
    with pytest.raises(ValueError, match="same order"):
        model.score_samples(table.select(["b", "a", "kind", "name", "flag"]))
    assert list(model.explain(table).columns) == ["a", "b", "kind", "name", "flag", "code"]
    holes = table.with_columns(pl.when(pl.int_range(200) % 7 == 0).then(None).otherwise("a"))
    filled = skae.AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(holes)
    assert not filled.transform(holes).isna().any().any()
    with pytest.raises(TypeError, match="LazyFrame, a query: collect it first"):
        model.score_samples(table.lazy())
    dated = pl.DataFrame({"a": frame["a"], "d": pd.date_range("2020", periods=200)})
    with pytest.raises(ValueError, match="dates"):
        AutoEncoder(max_epochs=1).fit(dated)


def test_another_librarys_table_is_recognised_by_its_class(monkeypatch):
    """Without the dataframe interchange protocol (polars 2 dropped it), a
    table of a listed library is still read through its ``to_pandas``; the
    test runs without polars installed, with a stand-in library."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(100, 2)), columns=["a", "b"])
    frame["kind"] = rng.choice(["x", "y"], 100)

    class Table:  # no iloc, no __dataframe__: read as an array before
        def __init__(self, data):
            self._data = data
            self.columns = list(data.columns)
            self.shape = data.shape

        def __array__(self, dtype=None, copy=None):
            return self._data.to_numpy(dtype=dtype)

        def __len__(self):
            return len(self._data)

        def to_pandas(self):
            return self._data.copy()

    # A module of its own: a stand-in named polars would mislead narwhals.
    stand_in = type(sys)("tables_without_interchange")
    stand_in.Table = Table
    monkeypatch.setitem(sys.modules, stand_in.__name__, stand_in)
    monkeypatch.setattr(skae._input, "OTHER_TABLES", ((stand_in.__name__, ("Table",)),))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(Table(frame))
    assert list(model.feature_names_in_) == ["a", "b", "kind"]
    assert list(model.is_categorical_) == [False, False, True]
    assert_allclose(model.score_samples(Table(frame)), model.score_samples(frame))


@pytest.mark.parametrize("dtype", [object, "string"])
def test_a_column_of_fractions_written_as_text_is_flagged(dtype):
    """A column of numbers as text ("0.5", read from JSON or with dtype=str)
    was made categorical without a word, where PCA and IsolationForest read
    it as numbers (a probe). It still is (the documented rule), with a
    warning; whole numbers as text (codes such as postcodes) stay silent."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    frame = pd.DataFrame({"a": a, "b": pd.Series(np.round(2 * a, 1).astype(str)).astype(dtype)})
    with pytest.warns(UserWarning, match=r"numbers written as text.*'b' \(e\.g\.") as record:
        model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert [w.filename for w in record if "taken as categorical" in str(w.message)] == [__file__]
    assert list(model.is_categorical_) == [False, True]
    # The examples are the values that look like quantities.
    frame["b"] = pd.Series(["1e3"] + ["7"] * 199).astype(dtype)
    with pytest.warns(UserWarning, match=r"'b' \(e\.g\. \['1e3'\]\)"):
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    frame["b"] = pd.Series(rng.randint(10000, 10010, size=200).astype(str)).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert list(model.is_categorical_) == [False, True]


def test_a_column_of_numbers_but_for_a_stray_value_is_flagged():
    """One "?" in a numeric column (a CSV artefact) made it categorical, with
    one category per distinct number: any new number, 1e300 too, then scored
    as the same unseen category. It still is (the documented rule), with a
    warning naming the column and the way to keep it numeric."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc"))
    stray = frame["a"].astype(object)
    stray[5] = "?"
    frame["a"] = stray
    with pytest.warns(UserWarning, match=r"'a' \(199 of 200; also \['\?'\]\)") as record:
        model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert [w.filename for w in record if "taken as categorical" in str(w.message)] == [__file__]
    assert model.is_categorical_[0]
    frame["kind"] = rng.choice(["x", "y"], 200)  # a plain category: no warning
    frame["a"] = pd.to_numeric(frame["a"], errors="coerce")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)


def test_a_column_of_zeros_and_ones_with_a_few_bools_does_not_warn():
    """A probe finding, reverted after a second probe: True and False among
    0 and 1 are the same categories (True == 1), not stray values; the
    warning said they were."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(100, 2)), columns=list("ab"))
    frame["c"] = pd.Series([i % 2 for i in range(98)] + [True, False], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert list(model.categories_[0]) == [0, 1]


@pytest.mark.parametrize("imaginary", [1.0, 0.0])
def test_an_object_column_of_complex_numbers_is_refused_by_name(imaginary):
    """Probe finding: refused as a complex array, the same values as objects
    were taken for categories (one per row) and every new row scored as an
    unseen one."""
    rng = np.random.RandomState(0)
    values = rng.normal(size=60) + 1j * imaginary * rng.normal(size=60)
    frame = pd.DataFrame({"x": rng.normal(size=60), "z": pd.Series(values, dtype=object)})
    frame.loc[4, "z"] = None  # missing entries aside
    match = r"Complex data not supported: the columns \['z'\]"
    for est in (AutoEncoder(max_epochs=1), AutoEncoderImputer(AutoEncoder(max_epochs=1))):
        with pytest.raises(ValueError, match=match):
            est.fit(frame)
    fitted = AutoEncoder(max_epochs=1, random_state=0).fit(frame.assign(z=1.0))
    with pytest.raises(ValueError, match=match):
        fitted.score_samples(frame)
    # Named categorical, the values are categories: the user said so.
    named = AutoEncoder(max_epochs=1, random_state=0, categorical_features=["z"]).fit(frame)
    assert list(named.is_categorical_) == [False, True]


def test_the_frequencies_of_a_half_missing_column_are_over_its_observed_rows():
    """Mutation audit: a categorical column missing in half of the rows gets
    the frequencies of its observed rows as mean_ (summing to 1), not counts
    over every row (summing to 0.5)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=300),
            "c": pd.Categorical(rng.choice(["x", "y"], 300, p=[0.3, 0.7])),
        }
    )
    frame.loc[::2, "c"] = np.nan
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    frequencies = frame["c"].value_counts(normalize=True)[["x", "y"]].to_numpy()
    assert_allclose(model.mean_[1:], frequencies, rtol=1e-12)
    assert model.mean_[1:].sum() == pytest.approx(1.0)
    assert_allclose(model.scale_[1:], np.sqrt(frequencies * (1 - frequencies)), rtol=1e-12)


def test_an_unseen_category_costs_the_log_of_the_rows_plus_one():
    """Mutation audit: an unseen category has the frequency 1 / (n_samples + 1)
    (``_unseen_nats`` its cross-entropy)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=list("ab"))
    frame["c"] = rng.choice(["x", "y"], 120)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    assert model._unseen_nats == pytest.approx(np.log(121))


def test_a_column_of_exactly_ninety_percent_numbers_is_flagged():
    """Mutation audit: "at least" MOSTLY_NUMBERS of the entries."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=list("ab"))
    column = frame["a"].astype(object)
    column[:20] = "?"
    frame["a"] = column
    with pytest.warns(UserWarning, match=r"'a' \(180 of 200"):
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)


def test_a_categorical_index_out_of_range_is_refused():
    """Mutation audit: index n_features is out of range too (numpy's own
    IndexError named nothing)."""
    X = np.random.RandomState(0).normal(size=(50, 5))
    with pytest.raises(ValueError, match=r"must be in \[0, n_features - 1\] = \[0, 4\]"):
        AutoEncoder(max_epochs=1, categorical_features=[5]).fit(X)


def test_a_dictionary_column_with_nothing_observed_is_refused():
    """Mutation audit: a pyarrow dictionary column of missing entries only is
    refused as a category column of them is."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(50, 2)), columns=list("ab"))
    codes = pa.array([None] * 50, type=pa.int32())
    column = pa.DictionaryArray.from_arrays(codes, pa.array(["x", "y"]))
    frame["d"] = pd.Series(pd.arrays.ArrowExtensionArray(column))
    with pytest.raises(ValueError, match="has no observed value"):
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)


def test_a_missing_category_costs_nothing_in_score():
    """Mutation audit: the log-probability of a row's categories leaves a
    missing one out (0 nats); summed as NaN, score was -inf for a table with
    a few missing categories. A row with its category missing scores as its
    numbers alone do, above the same row with its least likely category."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(300, 2)), columns=["a", "b"])
    frame["kind"] = pd.Categorical(rng.choice(["x", "y", "z"], size=300, p=[0.7, 0.2, 0.1]))
    model = AutoEncoder(max_epochs=5, random_state=0).fit(frame)
    holes = frame.copy()
    holes.loc[::10, "kind"] = np.nan
    assert np.isfinite(model.score(holes))
    assert np.isfinite(model.score_samples(holes)).all()
    # A missing category adds 0 nats: the rows missing it score above the
    # same rows with theirs (costed as unseen, they scored -8.5 for -2.8).
    assert model.score(holes.iloc[::10]) > model.score(frame.iloc[::10])


def test_drawn_categories_follow_the_decoders_probabilities():
    """Mutation audit: the categories drawn for the calibration of rows with
    missing entries follow the softmax of the decoder's logits (the
    Gumbel-max trick; with its sign flipped, three categories of logits
    2, 0, 0 came out 0.823 / 0.089 / 0.089 for 0.787 / 0.107 / 0.107)."""
    import torch

    from skae._reconstruction import MixedTypeLoss, SquaredError

    loss = MixedTypeLoss(
        SquaredError(),
        [(0, 1), (1, 4)],
        [False, True],
        5.0,
        mean=np.array([0.0, 1 / 3, 1 / 3, 1 / 3]),
        scale=np.array([1.0, 0.5, 0.5, 0.5]),
    )
    n = 20000
    x_hat = torch.tensor([[0.0, 2.0, 0.0, 0.0]]).repeat(n, 1)
    uniform = torch.as_tensor(np.random.RandomState(0).uniform(size=(n, 4)), dtype=torch.float32)
    drawn = loss.draw({"x_hat": x_hat}, torch.zeros(n, 4), uniform)
    one_hot = drawn[:, 1:] * 0.5 + 1 / 3
    assert_allclose(one_hot.sum(dim=1).numpy(), 1.0, atol=1e-6)
    expected = torch.softmax(torch.tensor([2.0, 0.0, 0.0]), dim=0).numpy()
    assert_allclose(one_hot.mean(dim=0).numpy(), expected, atol=0.015)


def test_a_category_column_of_one_level_is_centred_not_scaled():
    """Mutation audit: the one-hot entry of a category seen in every row has
    no spread; it is centred only (scale 1, as a constant feature), so an
    unseen category there reaches the network one unit away, not two."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(100, 2)), columns=["a", "b"])
    frame["c"] = pd.Series(["a"] * 100, dtype="category")
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert model.scale_[-1] == 1.0
    assert model.mean_[-1] == 1.0


def test_scoring_complete_rows_with_categories_does_not_warn_of_empty_rows():
    """Mutation audit: with no row empty, the encoded rows say None, not an
    array of False, and scoring warns of nothing."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(100, 2)), columns=["a", "b"])
    frame["kind"] = pd.Categorical(rng.choice(["x", "y"], size=100))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.score_samples(frame)
        model.predict(frame)
        model.transform(frame)


def test_a_boolean_mask_changed_after_fit_does_not_change_the_model():
    """Mutation audit: the fitted encoding must copy the user's mask (shared,
    a mask edited after fit broke transform with a broadcasting error)."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame({"a": rng.choice(["x", "y", "z"], 200), "b": rng.normal(size=200)})
    mask = np.array([True, False])
    est = AutoEncoder(categorical_features=mask, max_epochs=2, random_state=0).fit(X)
    codes = est.transform(X)
    mask[0] = False
    assert_array_equal(est.transform(X), codes)
    assert est.get_params()["categorical_features"] is mask


# --- regressions from a mutation audit of _categorical and _imputer --------------
@pytest.mark.parametrize("spec", [[-1], [-2], [0, -1]])
def test_categorical_features_refuse_negative_positions_and_take_an_empty_list(spec):
    """Mutation audit (C14, C15), then a probe: a negative index is refused,
    as HistGradientBoostingRegressor refuses it (counted from the end, a
    typed -1 for 1 picked another column silently); an empty list names no
    categorical column."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"c": rng.randint(0, 3, 120), "x": rng.normal(size=120)})
    with pytest.raises(ValueError, match=r"must be in \[0, n_features - 1\] = \[0, 1\]"):
        AutoEncoder(max_epochs=1, random_state=0, categorical_features=spec).fit(frame)
    model = AutoEncoder(max_epochs=1, random_state=0, categorical_features=[0]).fit(frame)
    assert model.is_categorical_.tolist() == [True, False]
    plain = AutoEncoder(max_epochs=1, random_state=0, categorical_features=[]).fit(frame)
    assert plain.is_categorical_ is None and not hasattr(plain, "categories_")


def test_a_wide_decimal_column_is_kept_within_its_precision():
    """Mutation audit (C16): the largest decimal(38, 2), 1e36 - 0.01, rounds
    up to 1e36 as a float, which has 37 integer digits: the bound steps
    below it."""
    pa = pytest.importorskip("pyarrow")
    from skae._categorical import numbers_in_dtype

    dtype = pd.ArrowDtype(pa.decimal128(38, 2))
    values = numbers_in_dtype(np.array([1e40, -1e40, 1.234]), dtype)
    assert all(abs(v) < 10**36 for v in values[:2])
    assert str(values[2]) == "1.23"


def test_an_object_column_of_many_dates_or_one_complex_number_is_refused_by_name():
    """Mutation audit (C7, C11): 300 distinct dates in an object column are
    refused as dates (not as a column of too many categories), and a column
    of floats with one complex number (pandas infers "mixed") as complex
    data (not taken for a category)."""
    import datetime

    rng = np.random.RandomState(0)
    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=i) for i in range(300)]
    dates = pd.DataFrame({"d": pd.Series(days, dtype=object), "x": rng.normal(size=300)})
    with pytest.raises(ValueError, match=r"The columns \['d'\] hold dates"):
        AutoEncoder(max_epochs=1).fit(dates)
    mixed = pd.Series([*rng.normal(size=59), 2j], dtype=object)
    complex_frame = pd.DataFrame({"z": mixed, "x": rng.normal(size=60)})
    with pytest.raises(ValueError, match=r"Complex data not supported: the columns \['z'\]"):
        AutoEncoder(max_epochs=1).fit(complex_frame)


# --- regressions from a mutation audit of _input and _reconstruction ------------
def test_a_table_of_categories_only_gives_float64_codes():
    """Mutation audit (I1): a frame with no numeric column has no float32
    number to follow, so its codes are float64. The mutant, taking "every
    numeric column is float32" as true of no column, gave float32."""
    frame = pd.DataFrame(
        {"c": pd.Categorical(list("abcab") * 8), "d": pd.Categorical(list("xy") * 20)}
    )
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert model.transform(frame).dtype == np.float64


def test_a_float32_array_of_categorical_indices_only_gives_float64_codes():
    """Mutation audit (I2): a float32 array whose every column is declared
    categorical holds no float32 number, so its codes are float64. The
    mutant followed the array's dtype and gave float32."""
    A = np.tile([[0, 1], [1, 0], [2, 1]], (10, 1)).astype(np.float32)
    model = AutoEncoder(categorical_features=[0, 1], max_epochs=2, random_state=0).fit(A)
    assert model.transform(A).dtype == np.float64


def test_a_rare_category_is_scaled_by_its_own_spread():
    """Mutation audit (I15): a category seen in 2 rows of 100 has a one-hot
    spread of sqrt(0.02 * 0.98) = 0.14, and is scaled by it; only a category
    never or always seen (spread below 1e-6) is centred only. The mutant
    left a spread below 0.2 unscaled (scale 1), so a rare category was seven
    times quieter in the input than in the score."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=100), "c": pd.Categorical(["r"] * 2 + ["a"] * 49 + ["b"] * 49)}
    )
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    rare = 1 + list(model.categories_[0]).index("r")  # after the numeric "x"
    assert model.mean_[rare] == pytest.approx(0.02)
    assert model.scale_[rare] == pytest.approx(np.sqrt(0.02 * 0.98), rel=1e-12)
    common = [1 + j for j in range(3) if j != rare - 1]
    assert_allclose(model.scale_[common], np.sqrt(0.49 * 0.51), rtol=1e-12)
    # Mutation audit (M30): one row in 1,000 (a spread of 0.032) is scaled
    # too; a threshold of 0.05 left it at 1, 32 times quieter at the encoder.
    once = pd.DataFrame(
        {"x": rng.normal(size=1000), "c": pd.Categorical(["r"] + ["a"] * 500 + ["b"] * 499)}
    )
    model = AutoEncoder(max_epochs=1, random_state=0).fit(once)
    rare = 1 + list(model.categories_[0]).index("r")
    assert model.scale_[rare] == pytest.approx(np.sqrt(0.001 * 0.999), rel=1e-12)


def test_a_quiet_number_beside_a_category_is_attenuated_at_the_encoder():
    """Mutation audit (M17): the encoder's input gain of the numeric columns
    is the one a numbers-only table gets, with a categorical column beside
    them too. Left at 1, noise on a feature of spread 1e-3 moved the other
    reconstructions 180 times as much."""
    rng = np.random.RandomState(0)
    numbers = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    numbers["quiet"] = rng.normal(0, 1e-3, 200)
    mixed = numbers.assign(kind=pd.Categorical(rng.choice(["x", "y", "z"], 200)))
    alone = AutoEncoder(max_epochs=1, random_state=0).fit(numbers)
    beside = AutoEncoder(max_epochs=1, random_state=0).fit(mixed)
    gain = alone.net_.module_.input_gain.numpy()
    assert gain[3] < 0.01 and np.all(gain[:3] == 1.0)
    assert_array_equal(beside.net_.module_.input_gain.numpy()[:4], gain)
    assert np.all(beside.net_.module_.input_gain.numpy()[4:] == 1.0)


def test_a_row_missing_a_category_with_a_listed_unseen_first_category_stays_missing():
    """Mutation audit (I21): a category the dtype lists but no training row
    held ("a", the first of its column) is encoded as 0 in every row that
    holds a category, but stays NaN where the column is missing: the column's
    first entry says whether it is, so a row with it missing costs nothing
    there, and a row with nothing observed scores offset_ with a warning. The
    mutant set the entry to 0 in every row: the column counted as observed,
    the row of NaN scored 2.7 (above offset_) with no warning, and the row
    with its number observed scored -1.2 where it scores -2.1."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=80),
            "c": pd.Categorical(rng.choice(list("bc"), 80), categories=list("abc")),
        }
    )
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert model.mean_[1] == 0.0  # "a": absent from the training rows
    rows = frame.iloc[:2].copy()
    rows["c"] = np.nan
    rows.loc[rows.index[1], "x"] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        scores = model.score_samples(rows)
    assert scores[1] == model.offset_
    assert np.isnan(model._check_input(rows)[:, 1:]).all()
    # The row with its number observed scores as its number alone does: as
    # the same row encoded with the whole categorical block NaN.
    import torch

    encoded = np.array([[frame["x"].iloc[0], np.nan, np.nan, np.nan]])
    x = model._scaled_tensor(encoded, torch.device("cpu"))
    with torch.no_grad():
        alone = model._scores_scaled(model.net_.module_, x).double().numpy()
    assert_allclose(scores[0], alone[0], rtol=1e-6)


def test_missing_categories_in_rows_continuing_a_fit_are_not_called_unseen():
    """Mutation audit (I23): partial_fit warns of categories the first fit
    did not see (code -1), not of missing entries (MISSING_CODE, -2). The
    mutant counted every negative code, and called 6 missing entries
    "categories the first fit did not see"."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"c": pd.Categorical(rng.choice(list("ab"), 60)), "x": rng.normal(size=60)}
    )
    model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    holes = frame.copy()
    holes.loc[:5, "c"] = np.nan
    assert holes["c"].isna().sum() == 6
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.partial_fit(holes)
    assert not [w for w in caught if "first fit did not see" in str(w.message)]
    unseen = holes.copy()
    unseen["c"] = unseen["c"].cat.add_categories("z")
    unseen.loc[:2, "c"] = "z"
    with pytest.warns(UserWarning, match="3 categorical entries of X hold categories the first"):
        model.partial_fit(unseen)


def _one_number_and_one_category_loss():
    """A squared error on one number and the cross-entropy of one column of
    two balanced categories (standardised: frequency 0.5, spread 0.5),
    trained with missing entries."""
    from skae._reconstruction import MixedTypeLoss, SquaredError

    loss = MixedTypeLoss(
        SquaredError(),
        [(0, 1), (1, 3)],
        [False, True],
        5.0,
        mean=np.array([0.0, 0.5, 0.5]),
        scale=np.array([1.0, 0.5, 0.5]),
    )
    loss.masked = True
    return loss


def test_a_missing_category_costs_nothing_in_the_training_loss():
    """Mutation audit (R19): with masking, a missing categorical column's
    term is left out of the training loss, so the logits of its categories
    do not change it: a row missing its category costs its number's squared
    error alone (0.3 squared). The mutant kept the term of the filled target
    (the frequencies), so logits 5 and -5 cost more than 0 and 0."""
    import torch

    loss = _one_number_and_one_category_loss()
    x = torch.tensor([[0.3, np.nan, np.nan]])
    flat = loss({"x_hat": torch.tensor([[0.0, 0.0, 0.0]])}, x)
    sharp = loss({"x_hat": torch.tensor([[0.0, 5.0, -5.0]])}, x)
    assert_allclose(flat.numpy(), [0.09], rtol=1e-6)
    assert_allclose(sharp.numpy(), flat.numpy(), rtol=1e-6)


def test_a_row_with_nothing_observed_costs_nothing_in_the_training_loss():
    """Mutation audit (R20): an all-missing row in a masked batch averages
    its (no) terms over at least one, and costs 0; the mutant divided 0 by
    0, and its NaN loss would have made the whole batch's gradient NaN."""
    import torch

    loss = _one_number_and_one_category_loss()
    x = torch.tensor([[np.nan, np.nan, np.nan], [0.3, np.nan, np.nan]])
    out = loss({"x_hat": torch.tensor([[1.0, 2.0, -2.0], [0.0, 0.0, 0.0]])}, x)
    assert_allclose(out.numpy(), [0.0, 0.09], rtol=1e-6)


def test_a_chunk_with_many_unseen_categories_keeps_the_threshold_on_the_others():
    """Found by an independent probe: a partial_fit chunk in which 30% of
    the rows hold a category unseen at the first fit (each scoring about
    -(n_samples + 1)) put the fence among them: offset_ went from -5.2 to
    -1.6e8 and predict flagged nothing, rows 50 standard deviations out
    included. The threshold is placed on the other rows now."""
    rng = np.random.RandomState(0)

    def chunk(n, categories, p=None):
        return pd.DataFrame(
            {
                "a": rng.choice(categories, size=n, p=p),
                "x": rng.normal(size=n),
                "y": rng.normal(size=n),
            }
        )

    model = AutoEncoder(max_epochs=5, random_state=0).fit(chunk(1000, ["p", "q", "r"]))
    before = model.offset_
    with pytest.warns(UserWarning, match="first fit did not see"):
        model.partial_fit(chunk(600, ["p", "q", "r", "s"], p=[0.7 / 3] * 3 + [0.3]))
    assert abs(model.offset_) < 10 * abs(before)
    far = chunk(200, ["p"])
    far["x"] += 50
    assert (model.predict(far) == -1).all()
    assert (model.predict(chunk(200, ["s"])) == -1).all()
    assert (model.predict(chunk(400, ["p", "q", "r"])) == -1).mean() < 0.2
    # Mutation audit: a chunk in which every row holds one left no other
    # row, and the fence fell among them (-3.4 to -105: rows 15 standard
    # deviations out no longer flagged). The last threshold stays.
    before = model.offset_
    with pytest.warns(UserWarning, match="first fit did not see"):
        model.partial_fit(chunk(300, ["s"]))
    assert model.offset_ == before
    assert (model.predict(far) == -1).all()


def test_held_out_rows_with_unseen_categories_do_not_draw_the_fence():
    """A probe: a warm start with early stopping on rows of which 30% hold
    a category unseen at the first fit drew the held-out fence among them
    (offset_ -4.2 to -36) and flagged 0.2% of rows shifted 1.5 standard
    deviations; without early stopping, all of them. Held-out rows with
    such a category are left out of the fence, as training rows are."""

    def rows(seed, n, categories, p=None, shift=0.0):
        rng = np.random.RandomState(seed)
        z = rng.normal(size=(n, 2))
        x = np.c_[z, z @ np.random.RandomState(0).normal(size=(2, 4))]
        frame = pd.DataFrame(x + 0.1 * rng.normal(size=(n, 6)) + shift, columns=list("abcdef"))
        frame["c"] = pd.Series(rng.choice(categories, n, p=p), dtype=object)
        return frame

    model = AutoEncoder(max_epochs=5, early_stopping=True, random_state=0)
    model.fit(rows(0, 600, ["x", "y"]))
    before = model.offset_
    model.set_params(warm_start=True)
    with pytest.warns(UserWarning, match="first fit did not see"):
        model.fit(rows(1, 600, ["x", "y", "z"], p=[0.35, 0.35, 0.3]))
    assert abs(model.offset_) < 2 * abs(before)
    assert (model.predict(rows(3, 300, ["x", "y"], shift=1.5)) == -1).mean() > 0.9
    assert (model.predict(rows(2, 300, ["x", "y"])) == -1).mean() < 0.15


def test_a_category_with_a_lone_surrogate_is_a_category(tmp_path):
    """A probe: text decoded with "surrogateescape" (file names, a CSV read
    in the wrong encoding) crashed fit with pyarrow's UnicodeEncodeError,
    where OneHotEncoder takes it; it is a category like any other."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    odd = b"bad\xff".decode("utf-8", "surrogateescape")
    frame = pd.DataFrame(
        {
            "x": a,
            "y": -a + 0.1 * rng.normal(size=300),
            "c": pd.Series(np.where(a > 0, "ok", odd), dtype=object),
        }
    )
    model = AutoEncoder(max_epochs=5, random_state=0).fit(frame)
    assert model.categories_[0].tolist() == [odd, "ok"]
    back = model.inverse_transform(model.transform(frame))
    assert (back["c"] == frame["c"]).mean() > 0.9
    path = tmp_path / "odd.skae"
    model.save(path)
    assert_array_equal(skae.load(path).score_samples(frame), model.score_samples(frame))


@pytest.mark.parametrize("first", [False, True], ids=["last", "first"])
def test_an_unseen_category_counts_as_missing_in_the_error_scales(first):
    """Mutation audit: the entries of a category unseen at the first fit are
    left out of their column's typical error, in its count as in its sum;
    counted, a chunk half of them halved the column's error scale. With the
    network held still, such a chunk gives the column the scale of the same
    chunk with those entries missing. Which entries hold one is read in the
    input's column order: in the loss's own (numbers first), a categorical
    column placed first had a scale of 90.4 for 1.92 with them missing."""
    import copy

    rng = np.random.RandomState(0)

    def frame(n):
        x = rng.normal(size=n)
        columns = {
            "a": x,
            "b": 2 * x + 0.1 * rng.normal(size=n),
            "c": pd.Categorical(rng.choice(["x", "y"], n), categories=["x", "y", "z"]),
        }
        return pd.DataFrame(columns)[["c", "a", "b"] if first else ["a", "b", "c"]]

    base = AutoEncoder(n_components=1, max_epochs=5, random_state=0).fit(frame(300))
    chunk = frame(300)
    chunk.loc[::2, "c"] = "z"
    holed = chunk.copy()
    holed.loc[::2, "c"] = np.nan
    unseen = copy.deepcopy(base).set_params(lr=1e-12).partial_fit(chunk)
    missing = copy.deepcopy(base).set_params(lr=1e-12).partial_fit(holed)
    # (Only the categorical column's: an unseen category and a missing one
    # reach the encoder differently, and the numbers' scales differ a little.)
    at = 0 if first else 2
    assert unseen.error_scale_[at] == pytest.approx(missing.error_scale_[at], rel=1e-6)


def _refusal_of_a_column_of_many_categories(column, warned=None) -> str:
    """The error of a fit on ``column`` (600 rows) beside a numeric one; the
    warnings' messages appended to ``warned``."""
    frame = pd.DataFrame({"c": column, "x": np.linspace(0.0, 1.0, 600)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="'c' has .* categories") as raised:
            AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    if warned is not None:
        warned.extend(str(w.message) for w in caught)
    return str(raised.value)


def test_text_of_numbers_with_a_stray_word_is_still_said_to_be_numbers():
    """Mutation audit: the hint that a refused column is text of numbers
    needs most of its categories to be numbers, not all: 590 amounts and an
    "n/a" (in 10 rows) of a "string" column get it. The mutant asked for
    every category to be a number and left the CSV's usual "n/a" without
    the hint."""
    amounts = [f"{value:.2f}" for value in np.arange(590) * 1.25 + 3.0]
    column = pd.Series(amounts + ["n/a"] * 10, dtype="string")
    message = _refusal_of_a_column_of_many_categories(column)
    assert "has 591 categories" in message
    assert "text of numbers" in message


def test_the_numbers_hint_takes_ninety_percent_of_the_categories():
    """Mutation audit: "at least" MOSTLY_NUMBERS (0.9) of the categories are
    numbers for the hint: 270 numbers and 30 words (each in two rows) get
    it, 267 and 33 do not. The mutant's "more than" left out exactly 90%."""
    for numbers, expected in ((270, True), (267, False)):
        values = [str(k) for k in range(numbers)] + [f"w{k}" for k in range(300 - numbers)]
        message = _refusal_of_a_column_of_many_categories(pd.Series(values * 2, dtype=object))
        assert "has 300 categories" in message
        assert ("text of numbers" in message) is expected


def test_the_hint_of_numbers_but_for_a_few_others_takes_ninety_percent():
    """Mutation audit: the same boundary for a column of numbers (not text):
    270 floats and 30 words among 300 categories get the hint."""
    for numbers, expected in ((270, True), (267, False)):
        values = [k + 0.5 for k in range(numbers)] + [f"w{k}" for k in range(300 - numbers)]
        message = _refusal_of_a_column_of_many_categories(pd.Series(values * 2, dtype=object))
        assert "has 300 categories" in message
        assert ("numbers but for a few others" in message) is expected


def test_text_of_numbers_in_a_column_the_user_names_is_not_warned_of():
    """Mutation audit: the warning that numbers written as text are taken as
    categories is for "from_dtype"; a column named in categorical_features
    is categorical by the user's choice."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "grade": rng.choice(["1.5", "2.5", "3.0", "1e3"], 200)}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoEncoder(max_epochs=1, categorical_features=["grade"], random_state=0).fit(frame)
    assert not [w for w in caught if "taken as categor" in str(w.message)]
    with pytest.warns(UserWarning, match="taken as categor"):
        AutoEncoder(max_epochs=1, random_state=0).fit(frame)


def test_a_pyarrow_dictionary_with_a_null_or_a_repeated_value_has_each_category_once():
    """Mutation audit: a null in the dictionary is no category (kept, it
    made a fourth input and inverse_transform failed in pyarrow), and a
    value the dictionary repeats is one category (kept twice, fit failed)."""
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    for dictionary, held in ((["a", None, "b"], [0, 2]), (["a", "b", "a"], [0, 1, 2])):
        codes = rng.choice(held, 120)
        column = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(dictionary))
        frame = pd.DataFrame(
            {"x": rng.normal(size=120), "c": pd.arrays.ArrowExtensionArray(column)}
        )
        model = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
        assert [list(c) for c in model.categories_] == [["a", "b"]]
        assert np.isfinite(model.score_samples(frame)).all()
        back = model.inverse_transform(model.transform(frame.head(5)))
        assert back["c"].dtype == frame["c"].dtype


def test_a_column_of_numbers_and_a_stray_word_is_not_said_to_be_text_of_numbers():
    """Mutation audit: the hint is for text, a column read as strings: an
    object column of 599 integers (numbers already) and one "?" is refused
    for its categories without it (its numbers are not text to convert; the
    warning of numbers among categories is the one for it). The mutant
    without the test of text gave the hint."""
    column = pd.Series(list(range(599)) + ["?"], dtype=object)
    warned = []
    message = _refusal_of_a_column_of_many_categories(column, warned)
    assert "has 600 categories" in message
    assert "text of numbers" not in message
    assert [m for m in warned if "'c' (599 of 600; also ['?'])" in m]


def test_a_column_of_numbers_with_a_few_bools_is_warned_of():
    """A probe: amounts with a few True / False in them (read from JSON) were
    made categorical without a word, where "N/A" in their place warned (a
    bool passed for a number, pd.to_numeric reading True as 1), and refused
    for their many categories with "an identifier?" alone."""
    rng = np.random.RandomState(0)
    amount = pd.Series(rng.normal(size=200).round(3), dtype=object)
    amount[::10] = True
    X = pd.DataFrame({"x": rng.normal(size=200), "amount": amount})
    with pytest.warns(UserWarning, match=r"'amount' \(180 of 200; also \['True'\]\)"):
        model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert model.is_categorical_[1]
    # A mutation audit: counts that hold 0 and 1 among larger whole numbers
    # are not flags either (a rule reading True as a number where any
    # number was 0 or 1 passed the amounts above and warned of nothing).
    counts = pd.Series(rng.randint(0, 20, size=200), dtype=object)
    counts[::10] = True
    X = pd.DataFrame({"x": rng.normal(size=200), "amount": counts})
    with pytest.warns(UserWarning, match=r"'amount' \(180 of 200; also \['True'\]\)"):
        AutoEncoder(max_epochs=1, random_state=0).fit(X)
    many = pd.Series(rng.normal(size=400).round(3), dtype=object)
    many[::10] = False
    with pytest.raises(ValueError, match="numbers but for a few others"):
        AutoEncoder(max_epochs=1).fit(pd.DataFrame({"x": rng.normal(size=400), "amount": many}))
    # Flags alone stay a categorical column of their own, with no warning.
    flags = pd.Series([True, False, None] * 20, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        AutoEncoder(max_epochs=1, random_state=0).fit(
            pd.DataFrame({"x": np.arange(60.0), "flag": flags})
        )


def test_an_int_beyond_float64_among_categories_fits():
    """Found beside the probe above: the check for numbers among a
    categorical column's values raised OverflowError on 10**400."""
    X = pd.DataFrame(
        {"x": np.arange(40.0), "c": pd.Series(["a", "b", 10**400, 3] * 10, dtype=object)}
    )
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert len(model.categories_[0]) == 4
    assert model.inverse_transform(model.transform(X))["c"].isin(model.categories_[0]).all()


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_integer_and_boolean_columns_with_nulls_keep_their_type(library):
    """A probe: a polars (or arrow) Int64 column with nulls was read through a
    plain to_pandas copy as float64, so the imputer filled it with 10.31 and
    inverse_transform gave it back as floats, where the same pandas Int64
    column got integers; a Boolean column with nulls came back as object."""
    lib = pytest.importorskip(library)
    pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    z = rng.normal(size=200)
    missing = rng.rand(200) < 0.1
    frame = pd.DataFrame(
        {
            "a": z,
            "k": pd.array(np.where(missing, None, np.round(3 * z) + 10), dtype="Int64"),
            "flag": pd.array(np.where(missing, None, z > 0), dtype="boolean"),
        }
    )
    table = (
        lib.from_pandas(frame)
        if library == "polars"
        # Without the pandas metadata that would name the dtypes.
        else lib.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    )
    imputer = skae.AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0))
    filled = imputer.fit_transform(table)
    reference = skae.AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0))
    expected = reference.fit_transform(frame)
    assert filled["k"].dtype == "Int64" and filled["flag"].dtype == "boolean"
    pd.testing.assert_frame_equal(filled, expected)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(table)
    back = model.inverse_transform(model.transform(table))
    assert back["k"].dtype == "Int64"
    twin = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert_allclose(model.score_samples(table), twin.score_samples(frame))


def test_a_blown_up_cross_entropy_fit_beside_a_category_is_refused_as_diverged():
    """Review finding: the check of a bounded loss's level (binary
    cross-entropy: ten times above its start and above log 2 is a divergence)
    never ran on a table with a categorical column, whose loss did not carry
    the numbers' ``uninformed`` level: lr=10 ended 9e5 nats per entry and the
    model was kept. The same table at the default rate trains."""
    from sklearn.datasets import load_digits

    pixels, digit = load_digits(return_X_y=True)
    table = pd.DataFrame((pixels[:400] > 8).astype(float), columns=[f"p{i}" for i in range(64)])
    table["group"] = pd.Categorical(np.where(digit[:400] < 5, "low", "high"))
    params = {"n_components": 4, "max_epochs": 5, "loss": "binary_crossentropy", "random_state": 0}
    # The collapse it also leaves is warned of first.
    with pytest.raises(FloatingPointError, match="nats per entry"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        AutoEncoder(lr=10.0, **params).fit(table)
    model = AutoEncoder(**params).fit(table)
    assert model.net_.history[-1]["train_loss"] < model.net_.history[0]["train_loss"]


def test_a_blown_up_fit_of_categories_under_the_default_loss_is_refused_as_diverged():
    """Review finding: a category's probabilities are bounded whatever the
    numbers' loss, so under the default loss (no level of its own) the check
    of how far the reconstructions are could not see a blow-up: lr=10 on 13
    categorical columns ended at 8e6 and was kept. The default rate trains."""
    from sklearn.datasets import load_digits

    pixels, digit = load_digits(return_X_y=True)
    on = np.where(pixels[:400, 20:32] > 8, "on", "off")
    table = pd.DataFrame({f"c{i}": pd.Categorical(on[:, i]) for i in range(12)})
    table["group"] = pd.Categorical(np.where(digit[:400] < 5, "low", "high"))
    params = {"n_components": 4, "max_epochs": 5, "random_state": 0}
    with pytest.raises(FloatingPointError, match="Training diverged"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        AutoEncoder(lr=10.0, **params).fit(table)
    model = AutoEncoder(**params).fit(table)
    assert model.net_.history[-1]["train_loss"] < model.net_.history[0]["train_loss"]


def test_masking_hides_a_categorical_column_whole(table):
    """Review finding: masking hid one-hot entries one at a time, and the
    entries left gave the category away (a column of two categories was
    wholly hidden, as a missing category reaches the network, in 6% of the
    rows at mask_rate=0.25). Now each column is hidden whole, at the rate."""
    model = DenoisingAutoEncoder(noise="mask", mask_rate=0.25, max_epochs=2, random_state=0)
    model.fit(table)
    # size, colour (3 categories), weight, blue (2): 7 encoded entries.
    torch.manual_seed(0)
    hidden = torch.isnan(model.net_.corruption(torch.ones(20_000, 7))).numpy()
    for start, stop in model._encoding().blocks():
        block = hidden[:, start:stop]
        assert (block.all(axis=1) == block.any(axis=1)).all()
        assert abs(block[:, 0].mean() - 0.25) < 0.015
    # Columns are hidden independently of each other.
    assert abs((hidden[:, 0] & hidden[:, 1]).mean() - 0.25**2) < 0.01


def test_masking_keeps_its_device_copy_out_of_a_pickle(table):
    """A probe: the masking moved its column map to the training device and
    kept it on itself, an attribute skorch's device mapping does not reach,
    so a model pickled after a GPU fit held a CUDA tensor a CPU machine
    cannot load. The copy stays behind (the meta device stands for a GPU)."""
    model = DenoisingAutoEncoder(noise="mask", max_epochs=2, random_state=0).fit(table)
    corruption = model.net_.corruption
    corruption(torch.ones(4, 7, device="meta"))
    assert corruption._on_device.device.type == "meta"
    copy = pickle.loads(pickle.dumps(corruption))
    assert {v.device.type for v in vars(copy).values() if torch.is_tensor(v)} == {"cpu"}
    torch.manual_seed(0)
    hidden = copy(torch.ones(1000, 7))
    torch.manual_seed(0)
    assert_array_equal(torch.isnan(hidden).numpy(), torch.isnan(corruption(torch.ones(1000, 7))))


def test_a_category_the_dtype_lists_but_the_first_fit_never_held_is_warned_of():
    """A probe: such a category is encoded as none (never learned, never
    predicted), as one unseen at the first fit is, but a stream of them in
    partial_fit was taken without the warning an object column's gets."""
    rng = np.random.RandomState(0)
    dtype = pd.CategoricalDtype(["a", "b", "c", "d"])

    def rows(categories, n=200):
        return pd.DataFrame(
            {"x": rng.normal(size=n), "c": pd.Series(rng.choice(categories, n), dtype=dtype)}
        )

    model = AutoEncoder(max_epochs=2, random_state=0).fit(rows(["a", "b", "c"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.partial_fit(rows(["a", "b", "c"]))
    chunk = rows(["a", "d"])
    held = int((chunk["c"] == "d").sum())
    with pytest.warns(UserWarning, match=rf"{held} categorical entries .* first fit did not see"):
        model.partial_fit(chunk)
