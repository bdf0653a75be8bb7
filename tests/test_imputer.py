"""``AutoEncoderImputer``: its default estimator, its refits and its ordered
categories."""

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal

from skae import AutoEncoder, AutoEncoderImputer, DenoisingAutoEncoder


def test_the_default_estimator_codes_half_the_features():
    """The documented default: n_components=max(2, n_features // 2)."""
    X = np.random.RandomState(0).normal(size=(100, 10))
    X[::4, 0] = np.nan
    imputer = AutoEncoderImputer(random_state=0).fit(X)
    assert isinstance(imputer.estimator_, DenoisingAutoEncoder)
    assert imputer.estimator_.n_components == imputer.estimator_.n_components_ == 5


def test_the_default_estimator_is_the_documented_one():
    """Mutation audit: the docstring's default estimator, parameter by
    parameter (n_features // 2 rounds down; 100 epochs; every row trains;
    masking noise; the imputer's seed)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 7)) @ rng.normal(size=(7, 7))
    X[::5, 2] = np.nan
    imputer = AutoEncoderImputer(random_state=0).fit(X)
    params = imputer.estimator_.get_params()
    assert params["n_components"] == 3
    assert params["max_epochs"] == 100
    assert params["early_stopping"] is False
    assert params["noise"] == "mask"
    assert params["random_state"] == 0
    assert_array_equal(AutoEncoderImputer(random_state=0).fit_transform(X), imputer.transform(X))


def test_a_refit_refused_for_an_infinite_value_keeps_the_previous_fit():
    """The imputer's own check refuses inf: the imputer is left as it was,
    and fills as it did."""
    X = np.random.RandomState(0).normal(size=(100, 3))
    X[::4, 0] = np.nan
    imputer = AutoEncoderImputer(DenoisingAutoEncoder(max_epochs=2, random_state=0)).fit(X)
    estimator, filled = imputer.estimator_, imputer.transform(X)
    bad = X[:, :2].copy()
    bad[0, 1] = np.inf
    named = r"infinity.*columns at positions \[1\] hold infinite values \(first rows .*: \[0\]\)"
    with pytest.raises(ValueError, match=named):
        imputer.fit(bad)
    assert imputer.estimator_ is estimator and imputer.n_features_in_ == 3
    assert_array_equal(imputer.transform(X), filled)
    bad = X.copy()
    bad[0, 1] = np.inf
    with pytest.raises(ValueError, match=named):
        imputer.transform(bad)


def test_an_ordered_category_in_another_order_than_the_fits_is_refused():
    """Filled categories have no place in an order the fit did not see
    (L < S against S < M < L): a ValueError, not a guess."""
    rng = np.random.RandomState(0)
    size = pd.Categorical(
        rng.choice(["S", "M", "L"], p=[0.05, 0.9, 0.05], size=300),
        categories=["S", "M", "L"],
        ordered=True,
    )
    X = pd.DataFrame({"x": rng.normal(size=300), "size": size})
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=5, random_state=0)).fit(X)
    new = pd.DataFrame(
        {
            "x": [0.0, 0.1, 0.2],
            "size": pd.Categorical([None, "L", "S"], categories=["L", "S"], ordered=True),
        }
    )
    with pytest.raises(ValueError, match=r"ordered category whose order differs"):
        imputer.transform(new)
    # In the fit's order, the filled category takes its place in it.
    new["size"] = pd.Categorical([None, "L", "S"], categories=["S", "L"], ordered=True)
    filled = imputer.transform(new)["size"]
    assert list(filled.cat.categories) == ["S", "M", "L"] and filled.cat.ordered
    assert filled.tolist() == ["M", "L", "S"]
    # A category the fit did not see keeps its place after the fit's
    # (mutation audit: the order of the two parts).
    new["size"] = pd.Categorical([None, "L", "XL"], categories=["S", "L", "XL"], ordered=True)
    filled = imputer.transform(new)["size"]
    assert list(filled.cat.categories) == ["S", "M", "L", "XL"]
    assert list(filled[1:]) == ["L", "XL"]


@pytest.mark.parametrize("other", [True, False], ids=["with-categories", "numbers-only"])
def test_a_category_of_numbers_read_as_numbers_is_filled_with_the_nearest_level(other):
    """Mutation audit: a category of numbers that the model reads as numbers
    is filled with the level nearest the reconstruction; in a table of
    numbers only too, whose result is an array (it was the reconstruction
    itself, 2.04 in a column of levels 1, 2 and 3)."""
    rng = np.random.RandomState(0)
    a = rng.uniform(0.6, 3.4, size=400)
    level = np.clip(np.round(a), 1, 3)
    X = pd.DataFrame(
        {"a": a, "b": 2 * a + 0.05 * rng.normal(size=400), "lvl": pd.Categorical(level)}
    )
    if other:
        X["kind"] = rng.choice(["u", "v"], 400)
    holes = np.arange(400) % 5 == 0
    X.loc[holes, "lvl"] = np.nan
    # "lvl" is not named categorical: the model reads its levels as numbers.
    model = AutoEncoder(
        n_components=1,
        max_epochs=60,
        categorical_features=["kind"] if other else None,
        random_state=0,
    )
    filled = AutoEncoderImputer(model).fit_transform(X)
    if other:
        assert list(filled["lvl"].cat.categories) == [1.0, 2.0, 3.0]
        filled = np.asarray(filled["lvl"], dtype=float)
    else:
        filled = filled[:, 2]
    assert set(filled) == {1.0, 2.0, 3.0}
    assert np.mean(filled[holes] == level[holes]) > 0.8


def test_a_boolean_column_read_as_numbers_is_filled_with_a_boolean():
    """Found by a mutation audit: in a table with a categorical column, a
    nullable boolean column that the estimator reads as numbers (0 and 1)
    was filled with its reconstruction (0.53), which pandas refused to store
    in a boolean: transform raised TypeError."""
    rng = np.random.RandomState(0)
    flag = rng.rand(200) > 0.5
    frame = pd.DataFrame(
        {
            "s": np.where(flag, "a", "b"),
            "x": flag + 0.1 * rng.normal(size=200),
            "b": pd.array(flag, dtype="boolean"),
        }
    )
    imputer = AutoEncoderImputer(
        AutoEncoder(max_epochs=30, categorical_features=["s"], random_state=0)
    ).fit(frame)
    holes = frame.head(20).copy()
    holes.loc[:9, "b"] = pd.NA
    filled = imputer.transform(holes)
    assert filled["b"].dtype == "boolean" and not filled["b"].isna().any()
    assert_array_equal(filled["b"][10:], frame["b"][10:20])
    # The nearer of 0 and 1 to the reconstruction: here, the row's own flag.
    assert (filled["b"][:10] == frame["b"][:10]).mean() >= 0.9


def test_the_default_estimator_has_at_least_two_codes():
    """Mutation audit (I1): the default estimator's codes are half the
    features, at least 2 (3 features: 2 codes, not 1)."""
    X = np.random.RandomState(0).normal(size=(100, 3)) @ np.eye(3)
    X[::5, 1] = np.nan
    imputer = AutoEncoderImputer(random_state=0).fit(X)
    assert imputer.estimator_.n_components == 2


@pytest.mark.parametrize("with_text", [False, True])
def test_a_category_of_numbers_is_filled_with_the_fit_s_levels(tmp_path, with_text):
    """Found by a mutation audit: a category column of numbers read as
    numbers was filled with the nearest level its *batch's* dtype lists; a
    batch made with astype("category") lists only the levels it holds, so
    fills of 2.0 became 0.0. The fit's levels are kept, and saved."""
    from skae import load

    rng = np.random.RandomState(0)
    c = rng.randint(0, 3, 400).astype(float)
    frame = pd.DataFrame({"x": c + 0.05 * rng.normal(size=400), "c": pd.Categorical(c)})
    batch = pd.DataFrame({"x": [0.0, 2.0, 2.0], "c": pd.Categorical([0.0, np.nan, np.nan])})
    if with_text:  # a categorical column too: the DataFrame path
        frame["s"] = np.where(c > 0, "p", "q")
        batch["s"] = ["q", "p", "p"]
    estimator = AutoEncoder(
        max_epochs=60, random_state=0, categorical_features=["s"] if with_text else None
    )
    imputer = AutoEncoderImputer(estimator).fit(frame)
    filled = imputer.transform(batch)
    column = np.asarray(filled["c"] if with_text else filled[:, 1], dtype=float)
    # Each fill is the fit's level nearest the reconstruction (not 0.0, the
    # batch's only level).
    model = imputer.estimator_
    raw = model.inverse_transform(model.transform(batch))
    raw = np.asarray(raw["c"] if with_text else raw[:, 1], dtype=float)
    assert_array_equal(column, [0.0, *np.abs(raw[1:, None] - [0, 1, 2]).argmin(axis=1)])
    assert (column[1:] > 0).all()
    imputer.save(tmp_path / "i.skae")
    loaded = load(tmp_path / "i.skae")
    again = loaded.transform(batch)
    assert_array_equal(np.asarray(again["c"] if with_text else again[:, 1], dtype=float), column)


def _imputer_of_three_levels(values: list[float]) -> AutoEncoderImputer:
    """An imputer fitted on a category of numbers read as numbers, ``lv``
    (the three ``values`` as ``a`` rises), beside a number and a category."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    levels = np.select([a < -0.5, a < 0.5], values[:2], values[2])
    frame = pd.DataFrame({"a": a, "lv": pd.Categorical(levels), "s": np.where(a > 0, "p", "q")})
    estimator = AutoEncoder(max_epochs=20, random_state=0, categorical_features=["s"])
    return AutoEncoderImputer(estimator).fit(frame)


def test_a_fit_s_level_that_the_batch_s_dtype_cannot_hold_is_filled_as_it_is():
    """A probe's finding: the fit's levels 1.0, 2.5 and 4.0 were cast to a
    batch's category dtype of integers (it listed 1 and 4), so a fill
    nearest 2.5 became 2, a value never seen, added as a new category."""
    imputer = _imputer_of_three_levels([1.0, 2.5, 4.0])
    batch = pd.DataFrame(
        {"a": [0.0, -0.1, 0.1], "lv": pd.Categorical([1, 4, np.nan]), "s": ["p", "q", "p"]}
    )
    assert batch["lv"].cat.categories.dtype == np.int64
    model = imputer.estimator_
    raw = float(model.inverse_transform(model.transform(batch))["lv"].iloc[2])
    expected = [1.0, 2.5, 4.0][int(np.abs(raw - np.array([1.0, 2.5, 4.0])).argmin())]
    filled = imputer.transform(batch)["lv"]
    assert filled.iloc[2] == expected
    assert set(filled.cat.categories) <= {1.0, 2.5, 4.0}


def test_a_fit_s_level_is_filled_as_a_float32_batch_s_own_category():
    """A review of the fix above: levels of 0.1, 0.2 and 0.3 kept in float64
    beside a batch of float32 categories made a fill no category matched,
    and pandas refused to set it."""
    imputer = _imputer_of_three_levels([0.1, 0.2, 0.3])
    own = np.array([0.1, 0.2, 0.3, np.nan, np.nan, np.nan], dtype=np.float32)
    batch = pd.DataFrame(
        {"a": [-2.0, 0.0, 2.0, -2.0, 0.0, 2.0], "lv": pd.Categorical(own), "s": list("qqpqqp")}
    )
    filled = imputer.transform(batch)["lv"]
    assert_array_equal(filled.cat.categories, batch["lv"].cat.categories)
    assert filled.notna().all()


def test_an_ordered_pyarrow_dictionary_takes_a_filled_value_in_the_fit_s_order():
    """Found by a mutation audit: an ordered pyarrow dictionary gained the
    filled category after its own values (S < L < M where the fit had
    S < M < L), as ordered categories did before; in another order than the
    fit's it is refused as they are."""
    pa = pytest.importorskip("pyarrow")

    def ordered(values, dictionary):
        indices = pa.array([None if v is None else dictionary.index(v) for v in values])
        array = pa.DictionaryArray.from_arrays(indices, pa.array(dictionary), ordered=True)
        return pd.Series(pd.arrays.ArrowExtensionArray(array))

    rng = np.random.RandomState(0)
    sizes = rng.choice(["S", "M", "L"], p=[0.05, 0.9, 0.05], size=300).tolist()
    X = pd.DataFrame({"x": rng.normal(size=300), "size": ordered(sizes, ["S", "M", "L"])})
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=5, random_state=0)).fit(X)
    new = pd.DataFrame({"x": [0.0, 0.1, 0.2], "size": ordered([None, "L", "S"], ["S", "L"])})
    filled = imputer.transform(new)["size"]
    assert filled.dtype.pyarrow_dtype.ordered and filled[0] == "M"
    assert pa.array(filled).dictionary.to_pylist() == ["S", "M", "L"]
    assert filled[1:].tolist() == ["L", "S"]
    new["size"] = ordered([None, "L", "S"], ["L", "S"])
    with pytest.raises(ValueError, match=r"ordered category whose order differs"):
        imputer.transform(new)


def test_a_refused_refit_on_a_frame_leaves_no_feature_names_behind():
    """Mutation audit (I2): a refit refused (a frame with no observed value)
    leaves the imputer fitted on its array, without the frame's names, so
    transform does not warn about feature names."""
    import warnings

    X = np.random.RandomState(0).normal(size=(100, 2))
    X[::5, 1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(X)
    filled = imputer.transform(X)
    with pytest.raises(ValueError, match="no observed value"):
        imputer.fit(pd.DataFrame({"a": [np.nan] * 10, "b": [np.nan] * 10}))
    assert "feature_names_in_" not in vars(imputer)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_array_equal(imputer.transform(X), filled)


def test_a_list_of_rows_with_text_has_its_missing_numbers_filled():
    """Mutation audit (I8): rows given as a list that holds text are read as
    objects, so a missing number is NaN and filled (as a string array, 'nan'
    was a value)."""
    rows = np.array([["a", 1.0], ["b", 2.0]] * 50, dtype=object)
    imputer = AutoEncoderImputer(
        AutoEncoder(max_epochs=2, random_state=0, categorical_features=[0])
    ).fit(rows)
    filled = imputer.transform([["a", np.nan], [np.nan, 2.0]])
    assert filled.dtype == object
    assert isinstance(filled[0, 1], float) and np.isfinite(filled[0, 1])
    assert filled[1, 0] in ("a", "b") and filled[1, 1] == 2.0


def test_a_category_dtype_with_no_category_is_filled_as_a_number():
    """Mutation audit: a column of missing entries only, as a category dtype
    (``astype("category")`` of NaNs: no categories), read as numbers with
    ``categorical_features=None``, has no levels to snap its fills to; without
    the guard, transform failed (argmin of an empty sequence)."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    X["d"] = pd.Series([np.nan] * 60).astype("category")
    X.iloc[::4, 0] = np.nan
    model = AutoEncoder(max_epochs=1, random_state=0, categorical_features=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the column with no value
        out = AutoEncoderImputer(model).fit(X).transform(X)
    assert not np.isnan(out).any()
    assert_array_equal(out[:, 3], 0.0)
    assert_array_equal(out[1::4, 0], X["a"].to_numpy()[1::4])


def test_columns_labelled_other_than_by_strings_are_checked():
    """A probe: scikit-learn checks string names only, and a numeric table
    with integer (or tuple) labels in another order was filled from the
    wrong columns (-2978 for a value of -3.3), where every estimator refuses
    it. The imputer refuses it too; the fit's order is filled as before."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 4)) * [1, 10, 100, 1000]
    for labels in ([0, 1, 2, 3], pd.MultiIndex.from_product([["a", "b"], [1, 2]])):
        imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(
            pd.DataFrame(X, columns=labels)
        )
        rows = pd.DataFrame(X[:5].copy(), columns=labels)
        rows.iloc[0, 0] = np.nan
        filled = imputer.transform(rows)
        assert_array_equal(filled[1:], X[1:5])
        assert_array_equal(imputer.transform(rows.to_numpy()), filled)
        with pytest.raises(ValueError, match="same but in another order"):
            imputer.transform(rows[rows.columns[::-1]])
    with pytest.raises(ValueError, match="unseen at fit"):
        imputer.transform(pd.DataFrame(X[:5], columns=[10, 11, 12, 13]))


def test_transform_leaves_the_caller_s_array_and_frame_as_they_were():
    """Mutation audit: transform fills a copy. Writing into the caller's
    array, or its DataFrame, was only caught by other checks by chance."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2)) @ rng.normal(size=(2, 4))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(X)
    before = X.copy()
    assert not np.isnan(imputer.transform(X)).any()
    assert_array_equal(X, before, strict=True)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(
        kind=pd.Categorical(np.where(rng.uniform(size=200) < 0.5, "x", "y"))
    )
    frame.loc[::7, "kind"] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(frame)
    before = frame.copy()
    assert not imputer.transform(frame).isna().any().any()
    pd.testing.assert_frame_equal(frame, before)
