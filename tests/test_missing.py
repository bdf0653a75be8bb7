"""Missing entries (NaN): accepted everywhere, filled by the network, left out
of the loss and of the scores (issue 16)."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAST_ESTIMATORS, incomplete_mixed_frame
from numpy.testing import assert_allclose, assert_array_equal

from skae import (
    AutoEncoder,
    AutoEncoderImputer,
    DenoisingAutoEncoder,
    VariationalAutoEncoder,
    load,
)
from skae._base import AUTO_FENCE
from skae._scaling import fit_scaling


@pytest.fixture(scope="module")
def incomplete():
    """600 x 6 rows on a 2-dimensional plane, and a copy with 20% of the
    entries removed at random (the mask)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(600, 6))
    mask = rng.uniform(size=X.shape) < 0.2
    missing = X.copy()
    missing[mask] = np.nan
    return X, missing, mask


def test_the_scaling_leaves_missing_entries_out():
    X = np.array([[1.0, np.nan, 5.0], [3.0, np.nan, 5.0], [np.nan, np.nan, 5.0]])
    with pytest.warns(UserWarning, match=r"Features \[1\] have no observed value"):
        mean, scale = fit_scaling(X, "feature", unit_interval=False)
    assert_allclose(mean, [2.0, 0.0, 5.0])
    # A feature never observed is centred on 0 and, constant, not scaled.
    assert_allclose(scale, [1.0, 1.0, 1.0])


def test_global_scaling_counts_the_observed_entries_of_every_feature():
    """Mutation audit (M47): under ``scaling="global"`` the one mean and scale
    are over every observed entry. Dividing the total by each feature's own
    count gave means of 18.3 and 27.4 for data around 5, and reconstruction
    errors 6 times as large."""
    X = 5.0 + np.random.RandomState(0).normal(size=(300, 4))
    X[::3, 1] = np.nan
    mean, scale = fit_scaling(X, "global", unit_interval=False)
    assert_allclose(mean, np.full(4, np.nanmean(X)), rtol=1e-12)
    assert_allclose(scale, np.full(4, np.nanstd(X)), rtol=1e-12)
    model = AutoEncoder(scaling="global", max_epochs=1, random_state=0).fit(X)
    assert_allclose(model.mean_, mean, rtol=1e-12)
    assert_allclose(model.scale_, scale, rtol=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        {"scaling": "feature"},
        {"scaling": "global"},
        {"scaling": "none"},
        {"loss": "binary_crossentropy"},
    ],
)
def test_a_feature_never_observed_at_the_first_fit_is_reported(params):
    """Whatever the scaling, a first chunk without any value of a feature
    fixes what its missing entries become for the rest of the stream: said,
    not silent (binary cross-entropy filled them with 0 without a word)."""
    X = np.random.RandomState(0).uniform(0.5, 1.0, size=(50, 3))
    X[:, 2] = np.nan
    with pytest.warns(UserWarning, match=r"Features \[2\] have no observed value"):
        est = AutoEncoder(max_epochs=1, random_state=0, **params).partial_fit(X)
    # ... and, as the warning says, given back as 0 (under "global" it came
    # back as the other features' mean, 0.75).
    assert_array_equal(est.inverse_transform(est.transform(X))[:, 2], 0.0)
    imputer = AutoEncoderImputer(DenoisingAutoEncoder(max_epochs=1, random_state=0, **params))
    with pytest.warns(UserWarning, match="no observed value"):
        assert_array_equal(imputer.fit_transform(X)[:, 2], 0.0)


@pytest.mark.parametrize("kind", [AutoEncoder, VariationalAutoEncoder])
def test_values_of_a_column_never_observed_at_fit_are_read_as_missing(kind, tmp_path):
    """Probe finding: a sensor with no reading at fit was taken as the
    constant 0, so its first readings (around 20) flagged every row (score
    -75 against an offset_ of -1.85). Its values now count as missing, as
    its entries did at fit, in every method, after a save, and in training."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    train = np.c_[a, a + 0.1 * rng.normal(size=300), np.full(300, np.nan)]
    with pytest.warns(UserWarning, match=r"Features \[2\] have no observed value"):
        model = kind(max_epochs=5, random_state=0).fit(train)
    reporting = train[:20].copy()
    reporting[:, 2] = 20.0 + rng.normal(size=20)
    reporting[0, 2] = 1e6
    expected = model.score_samples(train[:20])
    assert_array_equal(model.score_samples(reporting), expected)
    assert_array_equal(model.predict(reporting), model.predict(train[:20]))
    assert_array_equal(model.transform(reporting), model.transform(train[:20]))
    assert_array_equal(model.explain(reporting)[:, 2], 0.0)
    model.save(tmp_path / "model.skae")
    assert_array_equal(load(tmp_path / "model.skae").score_samples(reporting), expected)
    # Training on a chunk that reports is training on it without the column.
    twin = load(tmp_path / "model.skae")
    model.partial_fit(reporting)
    twin.partial_fit(train[:20])
    assert_array_equal(model.score_samples(reporting), twin.score_samples(train[:20]))


@pytest.mark.parametrize("kind", [AutoEncoder, VariationalAutoEncoder])
def test_a_row_whose_only_value_lies_in_a_column_never_observed_has_no_value(kind):
    """Review finding: such a row, every value of it read as missing, went
    through the network with nothing observed and scored on its code alone,
    among the most normal rows (the variational kind above every training
    row), and score() counted it as a log-likelihood of about 0. It is now a
    row with no observed value: offset_ with a warning, left out of score,
    refused as a partial_fit chunk of nothing else."""
    rng = np.random.RandomState(0)
    train = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 4))
    train[:, 3] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        model = kind(n_components=2, max_epochs=5, random_state=0).fit(train)
    lone = np.array([[np.nan, np.nan, np.nan, 5.0]])
    with pytest.warns(UserWarning, match="1 row.* no observed value .*saw no value of"):
        assert_array_equal(model.score_samples(lone), [model.offset_])
    with pytest.warns(UserWarning, match="no observed value"):
        assert_allclose(model.explain(lone).sum(axis=1), [model.offset_])
    with pytest.warns(UserWarning, match="left out of the mean"):
        assert model.score(np.vstack([train[:5], lone])) == pytest.approx(model.score(train[:5]))
    with pytest.raises(ValueError, match="no observed value.*saw no value of"):
        model.score(np.vstack([lone, lone]))
    with pytest.raises(ValueError, match="no observed value.*saw no value of"):
        model.partial_fit(np.vstack([lone, lone]))


@pytest.mark.parametrize("kind", [AutoEncoder, VariationalAutoEncoder])
def test_a_never_observed_column_reads_as_missing_when_rows_are_scaled_in_batches(kind):
    """A probe: rows larger than working_memory are scaled batch by batch,
    and whether they hold a missing entry was read off the raw rows; a
    column the first fit saw no value of, reporting in a later chunk, reached
    the loss as numbers (NaN) and partial_fit failed as diverged where the
    same chunk in memory trained. Both paths train the same model."""
    import sklearn

    rng = np.random.RandomState(0)
    a = rng.normal(size=400)
    X = np.column_stack([a, a + 0.3 * rng.normal(size=400), 3 - 5 * a, rng.normal(size=400)])
    first = X.copy()
    first[:, 3] = np.nan
    X[0, :3] = np.nan  # its only value lies in the column never observed
    fitted = []
    for memory in (1024, 0.001):
        with pytest.warns(UserWarning, match="no observed value"):
            model = kind(n_components=2, max_epochs=3, random_state=0).partial_fit(first)
        with sklearn.config_context(working_memory=memory), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.partial_fit(X)
        fitted.append(model)
    in_memory, in_batches = fitted
    assert_allclose(in_batches.transform(X[1:]), in_memory.transform(X[1:]), rtol=1e-4, atol=1e-5)
    assert in_batches.offset_ == pytest.approx(in_memory.offset_, rel=1e-4)


def test_binary_cross_entropy_checks_only_the_columns_whose_values_count():
    """A probe: a continued fit checked every column for [0, 1], and refused
    values in a column the first fit saw no value of, which it reads as
    missing (as the scores do). Values outside [0, 1] elsewhere still are."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 4))
    first = X.copy()
    first[:, 3] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        model = AutoEncoder(loss="binary_crossentropy", max_epochs=2, random_state=0).fit(first)
    later = X.copy()
    later[:, 3] = 50 * rng.normal(size=200)
    assert_array_equal(model.score_samples(later), model.score_samples(first))
    model.partial_fit(later)
    model.set_params(warm_start=True).fit(later)
    later[0, 0] = 2.0
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\].*2\.0"):
        model.partial_fit(later)


def test_the_imputer_names_a_never_observed_column_of_a_dataframe():
    """Its estimator was fitted on the validated array: the warning named the
    column by position ([1]) where the user's table calls it 'b'."""
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(60, 3)), columns=["a", "b", "c"])
    X["b"] = np.nan
    imputer = AutoEncoderImputer(DenoisingAutoEncoder(max_epochs=1, random_state=0))
    with pytest.warns(UserWarning, match=r"Features \['b'\] have no observed value"):
        imputer.fit(X)
    X.iloc[0, 0] = np.nan
    filled = imputer.transform(X)
    assert isinstance(filled, np.ndarray) and not np.isnan(filled).any()
    assert_array_equal(filled[:, 1], 0.0)
    assert_array_equal(filled[1:, 0], X["a"].to_numpy()[1:])


def test_every_kind_learns_from_incomplete_rows(make_estimator, incomplete):
    X, missing, mask = incomplete
    est = make_estimator(max_epochs=20).fit(missing)
    losses = est.net_.history[:, "train_loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.6 * losses[0]
    for method in ("transform", "score_samples", "decision_function", "predict"):
        assert np.all(np.isfinite(getattr(est, method)(missing))), method
    assert np.isfinite(est.score(missing))
    assert_allclose(
        est.explain(missing).sum(axis=1), est.score_samples(missing), rtol=1e-5, atol=1e-5
    )
    # The reconstruction fills the missing entries, far better than the mean.
    filled = est.inverse_transform(est.transform(missing))
    error = np.sqrt(np.mean((filled[mask] - X[mask]) ** 2))
    mean_error = np.sqrt(np.mean((np.nanmean(missing, axis=0) - X)[mask] ** 2))
    assert error < 0.5 * mean_error


def test_a_missing_entry_is_neither_favoured_nor_penalised(incomplete):
    """For a model trained on incomplete rows, removing an entry from a normal
    row leaves its score about where it was; removing the entry that made a
    row abnormal makes it normal again."""
    X, missing, _ = incomplete
    est = AutoEncoder(random_state=0).fit(missing[:500])
    rows = X[500:].copy()
    holed = rows.copy()
    holed[:, 1] = np.nan
    normal, with_hole = est.score_samples(rows), est.score_samples(holed)
    spread = np.std(normal)
    assert abs(np.median(with_hole) - np.median(normal)) < 0.25 * spread
    assert np.median(np.abs(with_hole - normal)) < 0.3 * spread
    odd = rows.copy()
    odd[:, 1] += 10 * X[:, 1].std()
    assert np.all(est.score_samples(odd) < est.offset_)
    odd[:, 1] = np.nan
    assert np.mean(est.score_samples(odd) >= est.offset_) > 0.9
    # A missing entry adds nothing to the explanation.
    assert_array_equal(est.explain(holed)[:, 1], 0.0)


def test_complete_data_fit_as_before(incomplete):
    """The masking is only switched on when the training rows hold NaN."""
    X, missing, _ = incomplete
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert not est.net_.criterion_.masked and not est.net_.module_.fill_missing
    est.fit(missing)
    assert est.net_.criterion_.masked and est.net_.module_.fill_missing


def test_infinity_is_still_refused(incomplete):
    _, missing, _ = incomplete
    bad = missing.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        AutoEncoder(max_epochs=1).fit(bad)


# --- the imputer ----------------------------------------------------------------------


def test_the_imputer_fills_only_the_missing_entries(incomplete):
    from sklearn.impute import SimpleImputer

    from skae import AutoEncoderImputer

    X, missing, mask = incomplete
    imputer = AutoEncoderImputer(random_state=0).fit(missing)
    filled = imputer.transform(missing)
    assert not np.isnan(filled).any()
    assert_array_equal(filled[~mask], X[~mask])
    ours = np.sqrt(np.mean((filled - X)[mask] ** 2))
    mean = np.sqrt(np.mean((SimpleImputer().fit_transform(missing) - X)[mask] ** 2))
    assert ours < 0.5 * mean
    # Complete rows come back as they are, in a copy.
    assert_array_equal(imputer.transform(X), X)
    assert imputer.transform(X) is not X


@pytest.mark.parametrize("marker", [None, np.nan, pd.NA, pd.NaT])
def test_the_imputer_reads_object_columns_of_numbers_as_the_estimators_do(marker):
    """An object column holding numbers and a missing marker is numeric, for
    the imputer as for the estimators (pd.NA and pd.NaT were a TypeError)."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    frame = pd.DataFrame(
        {"a": pd.Series(list(a), dtype=object), "b": a + 0.1 * rng.normal(size=200)}
    )
    frame.loc[3, "a"] = marker
    from skae import AutoEncoderImputer

    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(frame)
    filled = imputer.transform(frame)
    assert filled.dtype == np.float64 and not np.isnan(filled).any()
    assert_allclose(np.delete(filled[:, 0], 3), np.delete(a, 3))


@pytest.mark.parametrize("dtype", ["float64", "category", "object", "string"])
def test_the_imputer_refuses_a_series_as_scikit_learn_does(dtype):
    """A pandas Series (one column, or one row) is refused with
    scikit-learn's message, as the estimators and SimpleImputer refuse it;
    the imputer failed with "Float64DType object is not iterable" (a probe)."""
    from skae import AutoEncoderImputer

    frame = pd.DataFrame(np.random.RandomState(0).normal(size=(100, 3)), columns=list("abc"))
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0))
    with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
        imputer.fit(frame["a"].astype(dtype))
    imputer.fit(frame)
    with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
        imputer.transform(frame.iloc[0].astype(dtype))
    # Fitted with a categorical column, whose transform reads a DataFrame.
    frame["kind"] = pd.Categorical(np.where(frame["a"] > 0, "x", "y"))
    imputer.fit(frame)
    with pytest.raises(ValueError, match="Expected a 2-dimensional container"):
        imputer.transform(frame["a"].astype(dtype))


def test_score_of_rows_without_values_refuses_them_without_a_warning():
    """score() of rows that are all empty warned that they are left out of
    the mean, then refused them (a probe): now the refusal alone."""
    X = np.random.RandomState(0).normal(size=(100, 3))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="X has no observed value"):
            model.score(np.full((4, 3), np.nan))


def test_the_imputer_refuses_an_estimator_that_is_not_an_autoencoder(incomplete):
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils._param_validation import InvalidParameterError

    from skae import AutoEncoderImputer

    _, missing, _ = incomplete
    # It has inverse_transform too, and left every missing entry NaN.
    with pytest.raises(InvalidParameterError, match="estimator.*BaseAutoEncoder"):
        AutoEncoderImputer(StandardScaler()).fit(missing)


def test_the_imputer_wraps_any_kind_and_goes_in_a_pipeline(incomplete):
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import make_pipeline

    from skae import AutoEncoderImputer

    X, missing, mask = incomplete
    kind = FAST_ESTIMATORS["VariationalAutoEncoder"](max_epochs=20)
    imputer = AutoEncoderImputer(kind).fit(missing)
    assert type(imputer.estimator_) is type(kind) and imputer.estimator_ is not kind
    assert_array_equal(imputer.transform(missing)[~mask], X[~mask])
    pipe = make_pipeline(AutoEncoderImputer(random_state=0), IsolationForest(random_state=0))
    labels = pipe.fit(missing).predict(missing)
    assert set(np.unique(labels)) <= {-1, 1} and np.mean(labels == 1) > 0.8


@pytest.mark.filterwarnings("ignore:.*no observed value")  # a few rows of 60% holes
def test_rows_missing_more_entries_score_alike(make_estimator):
    """The score of a row is normalised by its observed entries: rows of the
    same distribution score alike whether they miss none, 30% or 60% of their
    entries (measured within 0.33 IQRs; the variational kind summed the
    observed terms, so that a row missing more scored higher, more normal:
    medians -16.7, -12.5, -7.7 before)."""
    rng = np.random.RandomState(1)
    W = rng.normal(size=(3, 10))

    def draw(n):
        return rng.normal(size=(n, 3)) @ W + 0.3 * rng.normal(size=(n, 10))

    train, test = draw(400), draw(400)
    # Trained on incomplete rows, as the data come (a model that never saw a
    # hole reconstructs a row with many worse: measured -0.2 to -2.5 IQRs).
    train[np.random.RandomState(3).uniform(size=train.shape) < 0.3] = np.nan
    est = make_estimator(n_components=3, max_epochs=10).fit(train)
    complete = est.score_samples(test)
    spread = np.subtract(*np.percentile(complete, [75, 25]))
    for fraction in (0.3, 0.6):
        holes = test.copy()
        holes[np.random.RandomState(7).uniform(size=holes.shape) < fraction] = np.nan
        shift = np.median(est.score_samples(holes)) - np.median(complete)
        assert abs(shift) < 0.5 * spread, (fraction, shift, spread)


def test_a_row_with_no_observed_value_scores_at_the_threshold(make_estimator):
    """A row of NaN only has no terms to sum: it summed to the most normal
    score of all (above every training row). It scores offset_, with a
    warning, and rows like it in the training data do not set offset_."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    est = make_estimator(max_epochs=3).fit(X)
    rows = np.r_[X[:5], np.full((2, 4), np.nan)]
    with pytest.warns(UserWarning, match="2 row.* no observed value"):
        scores = est.score_samples(rows)
    assert_array_equal(scores[5:], est.offset_)
    with pytest.warns(UserWarning, match="no observed value"):
        assert_allclose(est.explain(rows).sum(axis=1), scores, rtol=1e-10)
    holes = X.copy()
    holes[:30] = np.nan
    est = make_estimator(max_epochs=3, contamination=0.1).fit(holes)
    # The threshold is the 10th percentile of the 270 other rows' scores.
    assert_allclose(est.offset_, np.percentile(est.score_samples(holes[30:]), 10), rtol=1e-3)


def test_the_warning_of_an_empty_row_points_at_the_callers_line():
    """Probe finding: raised with a fixed stacklevel inside score_samples, it
    pointed into skae when predict or decision_function had called it."""
    X = np.random.RandomState(0).normal(size=(100, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    rows = np.r_[X[:3], np.full((1, 3), np.nan)]
    for method in ("score_samples", "decision_function", "predict", "explain", "score"):
        with pytest.warns(UserWarning, match="no observed value") as record:
            getattr(est, method)(rows)
        assert [w.filename for w in record] == [__file__], method


def test_the_warning_of_a_column_never_observed_points_at_the_callers_line():
    """Probe finding: raised with a fixed stacklevel in the scaling, it pointed
    into skae from every fit, and through the imputer's fit_transform."""
    X = np.random.RandomState(0).normal(size=(50, 3))
    X[:, 1] = np.nan
    calls = {
        "fit": lambda: AutoEncoder(max_epochs=1, random_state=0).fit(X),
        "fit_predict": lambda: AutoEncoder(max_epochs=1, random_state=0).fit_predict(X),
        "imputer.fit_transform": lambda: AutoEncoderImputer(
            AutoEncoder(max_epochs=1, random_state=0)
        ).fit_transform(X),
    }
    for name, call in calls.items():
        with pytest.warns(UserWarning, match=r"Features \[1\] have no observed value") as record:
            call()
        assert {w.filename for w in record} == {__file__}, name


def test_data_with_nothing_observed(make_estimator):
    """Nothing to fit on; nothing to score; nothing to refresh the statistics with."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    with pytest.raises(ValueError, match="no observed value"):
        make_estimator(max_epochs=2).fit(np.full((20, 4), np.nan))
    est = make_estimator(max_epochs=2).fit(X)
    # score, a mean log-likelihood, leaves an empty row out (it counted 0 nats).
    with pytest.warns(UserWarning, match="left out of the mean"):
        assert est.score(np.r_[X[:10], np.full((1, 4), np.nan)]) == est.score(X[:10])
    with pytest.raises(ValueError, match="no observed value"):
        est.score(np.full((2, 4), np.nan))
    # A chunk with nothing observed is refused too: an epoch on it logged a
    # loss of 0 and still moved the weights (the optimiser's momentum).
    weights = [p.detach().clone() for p in est.net_.module_.parameters()]
    with pytest.raises(ValueError, match="no observed value"):
        est.partial_fit(np.full((300, 4), np.nan))
    after = list(est.net_.module_.parameters())
    assert all(torch.equal(a, b) for a, b in zip(weights, after, strict=True))


def test_the_variational_score_keeps_the_observed_likelihood():
    """``score`` stays the density of the observed entries (without the
    missing columns' typical terms ``score_samples`` adds), and a complete
    row is unaffected."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    est = FAST_ESTIMATORS["VariationalAutoEncoder"]().fit(X)
    holes = X[:50].copy()
    holes[:, :3] = np.nan
    assert np.isclose(est.score(X[:50]), est.score_samples(X[:50]).mean())
    # Half the entries observed: score_samples adds the typical terms of the
    # three missing columns to the observed entries' likelihood, then is
    # calibrated for rows with 3 of 6 entries observed, and missing the first
    # three columns.
    factor = np.exp(np.log(est.missing_column_scale_[:3]).mean())
    centre = est.missing_centre_
    shift = centre + factor * (est.missing_shift_[3] - centre)
    raw = (est.score_samples(holes) - shift) / (factor * est.missing_scale_[3])
    assert np.isclose(raw.mean(), est.score(holes) + est.missing_terms_[:3].sum())


@pytest.mark.parametrize("chunk", [1000, 100, 32])
def test_partial_fit_in_small_chunks_keeps_a_working_detector(chunk):
    """The scores' statistics are refitted on at least the last 256 rows: a
    stream of small chunks, or a one-row remainder, or a chunk of NaN, does
    not estimate them from a handful of rows (a one-row chunk made every row
    an outlier; chunks under 256 rows, had they kept the first chunk's
    statistics, would have flagged 96% of the inliers)."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(2, 6))

    def draw(n):
        return rng.normal(size=(n, 2)) @ W + 0.1 * rng.normal(size=(n, 6))

    X, held_out = draw(4001), draw(1000)
    est = AutoEncoder(n_components=2, contamination=0.1, random_state=0)
    for start in range(0, 4000, chunk):
        est.partial_fit(X[start : start + chunk])
    assert abs(np.mean(est.predict(held_out) == -1) - 0.1) < 0.05
    est.partial_fit(X[4000:])
    with pytest.raises(ValueError, match="no observed value"):
        est.partial_fit(np.full((5, 6), np.nan))
    assert abs(np.mean(est.predict(held_out) == -1) - 0.1) < 0.05


def test_a_mostly_empty_chunk_counts_its_observed_rows_only(monkeypatch):
    """Probe finding: a chunk of 300 rows, 296 of them with no observed
    value, counted as a chunk of 256 rows or more, so offset_ and the code
    Gaussian were refitted on its 4 observed rows alone. Its 4 rows join the
    last rows kept instead, as a 4-row chunk's do."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(1000, 2)) @ rng.normal(size=(2, 6))
    est = AutoEncoder(n_components=2, contamination=0.1, max_epochs=3, random_state=0).fit(X)
    fitted_on = []
    refit = est._fit_statistics

    def spy(x, *args):
        fitted_on.append(len(x))
        return refit(x, *args)

    monkeypatch.setattr(est, "_fit_statistics", spy)
    chunk = np.full((300, 6), np.nan)
    chunk[::75] = X[:4]
    est.partial_fit(chunk)
    est.partial_fit(X[:4])
    assert fitted_on == [256, 256]


def test_a_stream_that_starts_with_single_rows_refits_its_statistics():
    """The first row alone set the statistics, and the 256-row rule kept
    them: every row was an outlier until the 256th. Statistics from fewer
    rows than the stream has given are refitted on all of them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    est = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), random_state=0)
    # One row cannot give the scaling: said, as it is then kept.
    with pytest.warns(UserWarning, match="first partial_fit chunk has 1 row"):
        est.partial_fit(X[:1])
    for i in range(1, 40):
        est.partial_fit(X[i : i + 1])
    assert np.mean(est.predict(X[100:]) == -1) < 0.2


def test_a_saved_stream_that_started_with_one_row_refits_like_a_pickled_one(tmp_path):
    """The file keeps how many rows the statistics came from: loaded, the
    model refits them on its next chunks as the original and a pickled copy
    do (it kept the one row's threshold and flagged every row)."""
    from skae import load

    X = np.random.RandomState(0).normal(size=(1000, 5))
    with pytest.warns(UserWarning, match="first partial_fit chunk has 1 row"):
        est = AutoEncoder(n_components=2, random_state=0).partial_fit(X[:1])
    est.save(tmp_path / "m.skae")
    copies = [est, load(tmp_path / "m.skae"), pickle.loads(pickle.dumps(est))]
    for start in range(1, 241, 20):
        for model in copies:
            model.partial_fit(X[start : start + 20])
    for model in copies:
        assert np.mean(model.predict(X[500:]) == -1) < 0.2
    assert copies[1].offset_ == pytest.approx(copies[2].offset_)


def test_small_chunks_refresh_the_threshold_every_call_and_the_sampler_every_64_rows():
    """From the last 256 rows of small chunks, offset_ and the code Gaussian
    (what predict needs) are refitted at every call; the mixture that sample
    draws from and the missing-value calibration (most of such a call's cost)
    once 64 rows are new since they were."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(2, 6))

    def draw(n):
        return rng.normal(size=(n, 2)) @ W + 0.1 * rng.normal(size=(n, 6))

    X, held_out = draw(600), draw(1000)
    X[::7, 3] = np.nan
    est = AutoEncoder(n_components=2, contamination=0.1, random_state=0)
    est.partial_fit(X[:300])
    density, shift, offset = est.latent_density_, est.missing_shift_, est.offset_
    refits = []
    for i in range(300, 300 + 2 * 64):
        est.partial_fit(X[i : i + 1])
        assert est.offset_ != offset
        offset = est.offset_
        if est.latent_density_ is not density:
            refits.append(i - 300 + 1)
            assert est.missing_shift_ is not shift
            density, shift = est.latent_density_, est.missing_shift_
        else:
            assert est.missing_shift_ is shift
    assert refits == [64, 128]
    assert abs(np.mean(est.predict(held_out) == -1) - 0.1) < 0.05
    # Rows count as they come, in chunks of any size under 256.
    est.partial_fit(X[500:563])
    kept = est.latent_density_
    est.partial_fit(X[563:564])
    assert est.latent_density_ is not kept
    # A chunk of 256 rows or more refits everything on itself.
    est.partial_fit(X[:1])
    kept = est.latent_density_
    est.partial_fit(X[:256])
    assert est.latent_density_ is not kept and est._rows_since_density == 0
    # A fit starts the count afresh: the rows of a stream before it do not
    # hasten the refit after it (a mutation audit).
    est.partial_fit(X[:63])
    est.fit(X[:500])
    kept = est.latent_density_
    est.partial_fit(X[:1])
    assert est.latent_density_ is kept and est._rows_since_density == 1


def test_a_feature_never_observed_is_not_a_million_times_louder():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    X[:, 2] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        est = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    assert est.error_scale_[2] == 1.0


def _two_factor_rows():
    """Draws of seeded rows with three features from two factors."""
    rng = np.random.RandomState(0)
    W = rng.normal(size=(2, 3))

    def draw(n):
        return rng.normal(size=(n, 2)) @ W + 0.1 * rng.normal(size=(n, 3))

    return draw


def test_small_chunks_after_a_fit_or_a_load_refit_the_statistics_on_kept_rows(tmp_path):
    """Probe finding: after a fit (or a load), chunks under 256 rows kept the
    fit's statistics while each trained the network on: 100 one-row chunks
    after a fit flagged 71% of held-out normal rows at contamination=0.1, and
    a stream saved and loaded at its 60th row 38%. The model keeps a random
    256 of the fit's rows (and then the latest chunks') and refits on them;
    files and pickles carry them, so a loaded copy continues as the original."""
    from skae import load

    draw = _two_factor_rows()
    held_out = draw(1000)
    est = AutoEncoder(max_epochs=5, contamination=0.1, random_state=0).fit(draw(300))
    assert len(est._recent_rows) == 256
    est.save(tmp_path / "m.skae")
    copies = [est, load(tmp_path / "m.skae"), pickle.loads(pickle.dumps(est))]
    for row in draw(100):
        for model in copies:
            model.partial_fit(row[None])
    for model in copies:
        assert abs(np.mean(model.predict(held_out) == -1) - 0.1) < 0.05
        assert model.offset_ == pytest.approx(est.offset_, rel=1e-5)
        assert_allclose(model.score_samples(held_out), est.score_samples(held_out), rtol=1e-5)


def test_a_model_without_kept_rows_refits_its_statistics_within_a_few_dozen_rows():
    """Re-probe finding: a model with no kept rows (a file or pickle of an
    earlier version) kept its fit's statistics until 256 new rows had come in
    one-row chunks, while the network trained on: 95% of held-out normal rows
    flagged at contamination=0.1 after 200 rows. They are now refitted once
    ``DENSITY_REFRESH_ROWS`` rows are new."""
    from skae._base import DENSITY_REFRESH_ROWS

    draw = _two_factor_rows()
    held_out = draw(1000)
    est = AutoEncoder(max_epochs=5, contamination=0.1, random_state=0).fit(draw(300))
    del est._recent_rows
    offset = est.offset_
    for i, row in enumerate(draw(120)):
        est.partial_fit(row[None])
        if i + 1 < DENSITY_REFRESH_ROWS:
            # Not re-estimated from a handful of rows.
            assert est.offset_ == offset
    assert est.offset_ != offset
    assert abs(np.mean(est.predict(held_out) == -1) - 0.1) < 0.05


def _holed(X, k, rng):
    X = X.copy()
    for row in X:
        row[rng.choice(X.shape[1], k, replace=False)] = np.nan
    return X


@pytest.mark.parametrize("cls", [AutoEncoder, VariationalAutoEncoder])
def test_rows_missing_most_entries_are_flagged_as_often_as_complete_ones(cls):
    """The mean of fewer terms spreads more: fitted on complete rows, the
    AutoEncoder flagged 34% of normal rows missing 8 of 10 entries at
    contamination=0.05 (the VAE 67%); calibrated by the number observed,
    about 5% whatever is missing."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(3, 10))

    def draw(n):
        return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, 10))

    model = cls(contamination=0.05, max_epochs=20, random_state=0).fit(draw(1000))
    # Complete training rows: a complete row keeps its uncalibrated score.
    assert model.missing_shift_[10] == 0.0 and model.missing_scale_[10] == 1.0
    test = draw(2000)
    rates = {k: np.mean(model.predict(_holed(test, k, rng)) == -1) for k in (0, 4, 8)}
    assert all(0.02 < rate < 0.12 for rate in rates.values()), rates
    # Fewer entries, less evidence: a planted deviation moves a holed row less.
    odd = test[:200].copy()
    odd[:, 0] += 5 * test[:, 0].std()
    holed = odd.copy()
    holed[:, 5:] = np.nan
    assert np.mean(model.predict(odd) == -1) > 0.9
    assert np.mean(model.predict(holed) == -1) > 0.5


def test_wide_rows_with_a_few_entries_are_calibrated_too():
    """The holed copies removed at most 7 of 8 entries: on 64 columns, counts
    below 8 were never measured, and the rows keeping 1 to 3 entries were
    flagged at about 3 times the contamination."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(3, 64))

    def draw(n):
        return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, 64))

    model = AutoEncoder(contamination=0.05, max_epochs=5, random_state=0).fit(draw(1000))
    test = draw(3000)
    rates = {k: np.mean(model.predict(_holed(test, 64 - k, rng)) == -1) for k in (1, 2, 4)}
    assert all(0.02 < rate < 0.09 for rate in rates.values()), rates


def test_the_calibration_keeps_the_explanation_adding_up(incomplete):
    X, missing, _ = incomplete
    est = AutoEncoder(max_epochs=5, random_state=0).fit(missing[:500])
    rows = _holed(X[500:600], 3, np.random.RandomState(1))
    assert_allclose(est.explain(rows).sum(axis=1), est.score_samples(rows), rtol=1e-10)


def test_a_missing_code_is_decoded_as_the_mean_code(incomplete):
    """inverse_transform takes NaN too (issue 16): a missing code is filled
    with the training codes' mean, as a missing input with its feature's."""
    X, _, _ = incomplete
    for est in (
        AutoEncoder(max_epochs=3, random_state=0).fit(X),
        VariationalAutoEncoder(max_epochs=3, random_state=0).fit(X),
    ):
        codes = est.transform(X[:20])
        holed = codes.copy()
        holed[:, 0] = np.nan
        filled = codes.copy()
        filled[:, 0] = getattr(est, "code_mean_", np.zeros(est.n_components_))[0]
        assert_allclose(est.inverse_transform(holed), est.inverse_transform(filled))
        with pytest.raises(ValueError, match="infinity"):
            est.inverse_transform(np.where(np.isnan(holed), np.inf, holed))


@pytest.mark.parametrize(
    "params",
    [{"loss": "binary_crossentropy"}, {"scaling": "none"}, {"scaling": "global"}],
    ids=["bce", "none", "global"],
)
def test_a_missing_entry_is_its_features_mean_whatever_the_scaling(params):
    """Filled with 0 in the scaled units, a missing entry was the raw value 0
    where the scaling does not centre each feature (binary cross-entropy,
    "none", "global"): outside every value the feature took. (The first
    fill, which the reconstruction at the means then replaces: read without
    that step here.)"""
    rng = np.random.RandomState(0)
    X = 0.25 + 0.5 * rng.uniform(size=(300, 4)) + np.array([0.0, 0.1, 0.2, -0.2])
    model = AutoEncoder(max_epochs=2, random_state=0, **params).fit(X)
    model.net_.module_.refill_inference.fill_(False)
    holed, filled = X[:5].copy(), X[:5].copy()
    holed[:, 1] = np.nan
    filled[:, 1] = X[:, 1].mean()
    assert_allclose(model.transform(holed), model.transform(filled), rtol=1e-5, atol=1e-6)


def test_complete_rows_after_incomplete_training_are_not_all_outliers():
    """Trained on rows with their missing entries at the means only, the
    encoder of a table missing 30% of its entries had never seen a complete
    row, and flagged 22% of new complete rows here at contamination=0.05 (15%
    and 73% on 50 and 100 columns). Half the training rows now have them
    filled with the network's reconstruction."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(3, 40))

    def draw(n):
        return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, 40))

    X = draw(800)
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    model = AutoEncoder(contamination=0.05, max_epochs=10, random_state=0).fit(X)
    complete = draw(2000)
    holed = complete.copy()
    holed[rng.uniform(size=holed.shape) < 0.3] = np.nan
    assert np.mean(model.predict(complete) == -1) < 0.13
    assert np.mean(model.predict(holed) == -1) < 0.08


def test_training_fills_half_the_rows_missing_entries_with_their_reconstruction():
    """In training, each row's missing entries reach the encoder as the means
    or, for half the rows (drawn from torch's generator), as the network's
    reconstruction of the row at the means; in scoring, every row's as that
    reconstruction, or as the reconstruction of the row so filled, and so on
    (``INFERENCE_REFILL_PASSES`` fills): per row, the fill whose own
    reconstruction is nearest the observed entries."""
    from skae._architectures import INFERENCE_REFILL_PASSES, REFILL_SHARE

    X = np.random.RandomState(0).normal(size=(200, 6))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    module = model.net_.module_
    x = torch.as_tensor((X[:100] - model.mean_) / model.scale_, dtype=torch.float32)
    holed = x.clone()
    holed[:, 2] = float("nan")
    at_means = holed.nan_to_num(0.0)  # the means, once centred
    module.train()
    module.fill_missing = True
    with torch.no_grad():
        first = module.decoder(module.latent.mean(module._encoded(at_means)))
        refilled = torch.where(torch.isnan(holed), first, at_means)
        torch.manual_seed(0)
        out = module.encoder_output(holed)
        torch.manual_seed(0)
        rows = torch.rand(len(holed), 1) < REFILL_SHARE
        expected = torch.where(rows, module._encoded(refilled), module._encoded(at_means))
        assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
        assert 30 < int(rows.sum()) < 70
        assert not torch.allclose(refilled, at_means)
        # Without the map (a model pickled before it), the means only.
        module.set_output_map(None)
        assert torch.equal(module.encoder_output(holed), module._encoded(at_means))
        module.set_output_map(model.net_.criterion_.reconstruct)
        module.eval()
        assert INFERENCE_REFILL_PASSES == 3

        def reconstruct(rows):
            bounded = rows.clamp(module.input_low, module.input_high)
            return module.decoder(module.latent.mean(module._encoded(bounded)))

        fills, errors = [at_means], []
        for _ in range(INFERENCE_REFILL_PASSES):
            fills.append(torch.where(torch.isnan(holed), reconstruct(fills[-1]), at_means))
            errors.append((reconstruct(fills[-1]) - x)[:, [0, 1, 3, 4, 5]].square().sum(dim=1))
        chosen = torch.stack(errors).argmin(dim=0)
        best = torch.stack(fills[1:])[chosen, torch.arange(len(x))]
        codes = module.latent.mean(module._encoded(best)).numpy()
        holed_rows = X[:100] * np.where(np.arange(6) == 2, np.nan, 1)
        # (Rows whose fills explain them equally well, to float rounding, may
        # take another: their codes differ by 1e-5.)
        assert_allclose(model.transform(holed_rows), codes, rtol=1e-5, atol=1e-4)
        assert len(set(chosen.tolist())) > 1, chosen.bincount()


def _payments(seed, n):
    """Card payments: the channel sets whether the card was present (never
    online) and how the hours spread; amounts follow the items bought."""
    rng = np.random.RandomState(seed)
    online = rng.uniform(size=n) < 0.4
    items = rng.randint(1, 7, n)
    return pd.DataFrame(
        {
            "amount": items * rng.lognormal(3, 0.2, n),
            "items": items.astype(float),
            "hour": np.where(online, rng.uniform(0, 24, n), rng.normal(14, 2.5, n)),
            "channel": pd.Categorical(np.where(online, "online", "store")),
            "country": pd.Categorical(rng.choice(["FR", "DE", "ES"], n)),
            "card_present": pd.Categorical(np.where(online, "no", "yes")),
        }
    )


def test_rows_missing_an_entry_tied_to_an_observed_one_are_not_flagged_more():
    """Read at the means, a payment missing its channel was reconstructed as
    a blend of both channels, and its observed card flag counted against it:
    normal rows missing the channel or the flag were flagged 13.7% and 18.5%
    of the time here, complete ones 5.5% (7.7%, 8.0% and 6.0% now; more
    tables in ``benchmarks/missing_refill.py``). Scoring fills them with the
    reconstruction at the means, as training does half the rows."""
    train = _payments(0, 2000)
    train = train.mask(np.random.RandomState(1).uniform(size=train.shape) < 0.05)
    model = AutoEncoder(contamination=0.05, random_state=0).fit(train)
    test = _payments(1, 3000)
    complete = np.mean(model.predict(test) == -1)
    tied = []
    for column in ("channel", "card_present"):
        holed = test.copy()
        holed[column] = np.nan
        tied.append(np.mean(model.predict(holed) == -1))
    assert np.mean(tied) < 1.6 * complete, (tied, complete)


def _coded_payments():
    """Training (2,000 rows, 5% of the entries missing) and new rows (3,000)
    of the payments with the channel, the card flag and the country coded
    as numbers."""
    coded = []
    for seed, n in ((0, 2000), (500, 3000)):
        table = _payments(seed, n)
        coded.append(
            np.column_stack(
                [
                    table[["amount", "items", "hour"]].to_numpy(),
                    table["channel"] == "online",
                    table["card_present"] == "yes",
                    table["country"].cat.codes,
                ]
            ).astype(float)
        )
    train, test = coded
    train[np.random.RandomState(1000).uniform(size=train.shape) < 0.05] = np.nan
    return train, test


def test_rows_missing_any_one_column_are_flagged_as_often_as_complete_ones():
    """Calibrated for their count of observed entries alone, normal rows
    missing the card flag were flagged 1.63 times as often as complete ones
    here, and rows missing the hour (which the channel's spread of hours
    explains) 0.51 times. Each column's factor, fitted on training rows with
    that column removed, brings every column within 0.81-1.10 (more tables
    in ``benchmarks/column_calibration.py``)."""
    train, test = _coded_payments()
    model = AutoEncoder(contamination=0.05, random_state=0).fit(train)
    complete = np.mean(model.predict(test) == -1)

    def ratios():
        rates = []
        for column in range(6):
            holed = test.copy()
            holed[:, column] = np.nan
            rates.append(np.mean(model.predict(holed) == -1))
        return np.array(rates) / complete

    fitted = ratios()
    assert ((0.75 < fitted) & (fitted < 1.25)).all(), fitted
    # The flag's absence leaves the channel poorly reconstructed: its rows
    # spread more, and its factor pulls them in; the hour's, the reverse.
    scale = model.missing_column_scale_
    assert scale[4] < 0.9 and scale[2] > 1.1, scale
    # A complete row's score does not move; a row's factor is the geometric
    # mean of its missing columns'.
    complete_scores = model.score_samples(test[:50])
    model.missing_column_scale_ = np.ones(6)
    assert_array_equal(model.score_samples(test[:50]), complete_scores)
    count_only = ratios()
    assert count_only.max() > 1.5 and count_only.min() < 0.6, count_only
    holed = test[:50].copy()
    holed[:, [2, 4]] = np.nan
    before = model.score_samples(holed)
    model.missing_column_scale_ = scale
    centre = model.missing_centre_
    factor = np.sqrt(scale[2] * scale[4])
    assert_allclose(model.score_samples(holed), centre + factor * (before - centre))


def test_rows_missing_one_of_two_coded_flags_that_go_together_are_not_flagged_more():
    """The payments with their channel, card flag and country coded as
    numbers (the channel and the flag always add up to 1): with one of the
    two missing, one refill from the means left it partly at its mean and the
    other reconstructed from that blend; such rows were flagged 10.1% and
    12.9% of the time here, complete ones 7.0%. The refill is repeated, each
    pass from the last one's fill, and each row keeps the fill that explains
    its observed entries best (8.8% and 11.4%; more tables in
    ``benchmarks/refill_passes.py``)."""
    train, test = _coded_payments()
    model = AutoEncoder(contamination=0.05, random_state=0).fit(train)
    complete = np.mean(model.predict(test) == -1)
    rates = []
    for column in (3, 4):
        holed = test.copy()
        holed[:, column] = np.nan
        rates.append(np.mean(model.predict(holed) == -1))
    assert np.mean(rates) < 1.56 * complete, (rates, complete)

    def observed_errors(rows):
        back = model.inverse_transform(model.transform(rows))
        return np.nansum(((back - rows) / model.scale_) ** 2, axis=1)

    # Each row keeps the fill that explains its observed entries best, so
    # none is explained worse than by the first fill (repeated blindly, the
    # fills drifted from them: 619 of the 3,000 rows worse, by up to 2.3),
    # and a fifth better.
    holed = test.copy()
    holed[:, 4] = np.nan
    chosen = observed_errors(holed)
    model.net_.module_.refill_passes.fill_(1)
    first = observed_errors(holed)
    assert (chosen <= first + 1e-4).all(), (chosen - first).max()
    assert (chosen < first - 1e-2).mean() > 0.05


def test_the_imputer_trains_on_rows_filled_with_the_means_only():
    """Its rows to reconstruct have holes, filled with the means: training
    on half of them filled with reconstructions (as a detector does) raised
    its RMSE on the ADBench tables."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    X[::3, 1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(X)
    assert imputer.estimator_.net_.module_.output_map is None
    assert AutoEncoder(max_epochs=1, random_state=0).fit(X).net_.module_.output_map is not None


@pytest.mark.parametrize("dtype", ["Float64", "Int64"])
def test_the_imputer_fills_a_single_nullable_column(dtype):
    """pandas converts one nullable column to a read-only array, which the
    imputer wrote into."""
    from skae import AutoEncoderImputer

    frame = pd.DataFrame({"a": pd.array([1, 2, None, 4, 5, 6, 7, 8, 9, 10], dtype=dtype)})
    model = AutoEncoder(n_components=1, max_epochs=1, random_state=0)
    filled = AutoEncoderImputer(model).fit_transform(frame)
    assert not np.isnan(filled).any()
    assert_array_equal(np.delete(filled.ravel(), 2), [1, 2, 4, 5, 6, 7, 8, 9, 10])


def test_transforming_in_another_thread_sees_one_imputer_during_a_refit():
    """A refit set the new fit's columns before its estimator was fitted: a
    transform in another thread meanwhile checked rows against one fit and
    filled them with the other (its estimator refused them: "X has 6
    features, but AutoEncoder is expecting 8")."""
    import threading

    rng = np.random.RandomState(0)
    X8 = rng.normal(size=(200, 8))
    X8[::4, 0] = np.nan
    X6 = X8[:, :6]
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(X8)
    stop, outcomes = threading.Event(), []

    def transform() -> None:
        while not stop.is_set():
            for X in (X8, X6):
                try:
                    imputer.transform(X)
                    outcomes.append(X.shape[1])
                except ValueError as error:
                    outcomes.append(str(error))

    thread = threading.Thread(target=transform)
    thread.start()
    try:
        while not outcomes:
            stop.wait(0.001)
        imputer.set_params(estimator__max_epochs=30).fit(X6)
        for _ in range(10_000):  # a call after the refit (at most 10 s)
            if 6 in outcomes:
                break
            stop.wait(0.001)
    finally:
        stop.set()
        thread.join()
    # Each call met the old imputer (8 columns) or the new one (6), whole.
    assert 8 in outcomes and 6 in outcomes
    for outcome in outcomes:
        assert outcome in (8, 6) or "but AutoEncoderImputer is expecting" in outcome, outcome


@pytest.mark.parametrize(
    "params",
    [{"loss": "binary_crossentropy"}, {"scaling": "none"}, {"scaling": "global"}],
    ids=["bce", "none", "global"],
)
def test_a_missing_entry_is_the_mean_of_its_observed_entries(params):
    """Mutation audit: with half of a feature missing at fit, a missing entry
    is filled with the mean of its observed entries (not their sum over all
    rows, half of it), where the scaling does not centre each feature. (The
    first fill, read here without the reconstruction that replaces it.)"""
    rng = np.random.RandomState(0)
    X = 0.25 + 0.5 * rng.uniform(size=(300, 4)) + np.array([0.0, 0.1, 0.2, -0.2])
    train = X.copy()
    train[::2, 1] = np.nan
    model = AutoEncoder(max_epochs=2, random_state=0, **params).fit(train)
    model.net_.module_.refill_inference.fill_(False)
    holed, filled, halved = X[:5].copy(), X[:5].copy(), X[:5].copy()
    holed[:, 1] = np.nan
    filled[:, 1] = np.nanmean(train[:, 1])
    halved[:, 1] = np.nanmean(train[:, 1]) / 2
    assert_allclose(model.transform(holed), model.transform(filled), rtol=1e-5, atol=1e-6)
    assert not np.allclose(model.transform(holed), model.transform(halved), atol=1e-4)


def test_the_holed_copies_remove_observed_entries_only():
    """Mutation audit: each calibration copy removes floor(share * observed)
    of a row's observed input columns, never one already missing, so a copy's
    row misses what it missed plus that many (a categorical block whole)."""
    from skae._calibration import holed_copies

    rng = np.random.RandomState(0)
    x = rng.normal(size=(200, 11))
    blocks = [(i, i + 1) for i in range(8)] + [(8, 11)]  # 8 numbers, a 3-wide one-hot
    starts = np.array([start for start, _ in blocks])
    missing = rng.uniform(size=(200, 9)) < 0.3
    missing[:, 0] &= missing[:, 1:].sum(axis=1) < 8  # every row keeps an entry
    x[np.repeat(missing, [1] * 8 + [3], axis=1)] = np.nan
    x = torch.as_tensor(x)
    already = missing.sum(axis=1)
    n_observed = 9 - already
    copies = list(holed_copies(x, blocks, np.random.RandomState(1)))
    # Shares 0 to 7/8, then one copy keeping a single entry (9 columns: one halving).
    assert [level for level, _ in copies] == list(range(9))
    for level, copy in copies:
        holes = torch.isnan(copy).numpy()
        expected = n_observed - 1 if level == 8 else np.floor(level / 8 * n_observed)
        assert_array_equal(holes[:, starts].sum(axis=1), already + expected)
        assert (holes[:, starts] >= missing).all()
        assert (holes[:, 8:11] == holes[:, 8:9]).all()  # a block is removed whole
        observed = ~holes
        assert_array_equal(copy.numpy()[observed], x.numpy()[observed])
    assert (9 - torch.isnan(copies[8][1][:, starts]).sum(dim=1).numpy() == 1).all()


def test_the_holed_copies_halve_down_to_one_entry():
    """Mutation audit: below the last share (an eighth kept), each copy keeps
    half as many entries as the one before, down to one: on 16 columns the
    copies keep 16, 14, 12, 10, 8, 6, 4, 2, then 1 (the test above, on 9
    columns, cannot tell a halving from a quartering)."""
    from skae._calibration import holed_copies

    x = torch.as_tensor(np.random.RandomState(0).normal(size=(50, 16)))
    blocks = [(i, i + 1) for i in range(16)]
    kept = [
        set((16 - torch.isnan(copy).sum(dim=1)).tolist())
        for _, copy in holed_copies(x, blocks, np.random.RandomState(1))
    ]
    assert kept == [{16}, {14}, {12}, {10}, {8}, {6}, {4}, {2}, {1}]


class _MeanOfRow(torch.nn.Module):
    """A toy network: every entry reconstructed as the mean of the row, its
    missing entries counted as 0 (the means of standardised data)."""

    def forward(self, batch):
        return batch.nan_to_num(0.0).mean(dim=1, keepdim=True).expand_as(batch)


class _Zero(torch.nn.Module):
    """A toy network that reconstructs every entry as 0."""

    def forward(self, batch):
        return torch.zeros_like(batch)


class _IdentityCriterion:
    def reconstruct(self, out):
        return out

    def column_missing(self, rows):
        return torch.isnan(rows)

    def draw(self, out, noise, uniform):
        return out + noise


def _apply_with(module, batch_size=None):
    """The estimator's ``_apply`` for ``module``: ``fn`` over the rows in
    batches of ``batch_size`` (all at once by default)."""

    def apply(rows, fn):
        size = batch_size or len(rows)
        return torch.cat(
            [fn(module, rows[i : i + size]) for i in range(0, len(rows), size)]
        ).numpy()

    return apply


def test_the_filled_copy_is_the_same_whatever_the_batches():
    """Mutation audit: each batch of the draws reads its own rows' noise, so
    the filled copy (and the calibration fitted on it) does not depend on the
    batches ``apply`` runs (scikit-learn's working_memory). Reading the first
    batch's noise again, row 10's filled entries came out 0.0 and -1.22 in
    batches of 10 where one batch gave 2.92 and -4.12."""
    from skae._calibration import filled_copy

    rng = np.random.RandomState(0)
    table = np.where(rng.uniform(size=(40, 3)) < 0.5, -2.0, 2.0)
    table[np.arange(40), rng.randint(0, 3, 40)] = np.nan
    x = torch.as_tensor(table)
    whole, batched = (
        filled_copy(x, _IdentityCriterion(), _apply_with(_Zero(), size), np.random.RandomState(1))
        for size in (None, 10)
    )
    assert_array_equal(batched.numpy(), whole.numpy())
    filled = whole.numpy()[np.isnan(table)]
    # Each filled entry its own draw: no two rows share one.
    assert len(np.unique(filled)) == len(filled)
    assert_array_equal(whole.numpy()[~np.isnan(table)], table[~np.isnan(table)])


def test_the_filled_copy_rereads_the_reconstruction():
    """Mutation audit of filled_copy: the reconstruction is re-read
    FILL_PASSES (10) times, each pass filling the entries with the last
    one's. On the row [2, NaN] each pass moves the fill half way to 2 (a
    single pass drew around 1.5, with errors of spread 1)."""
    from skae._calibration import filled_copy

    rows = torch.tensor([[2.0, np.nan], [2.0, 2.0]], dtype=torch.float64)
    filled = filled_copy(
        rows, _IdentityCriterion(), _apply_with(_MeanOfRow()), np.random.RandomState(0)
    )
    assert filled.shape == (1, 2)  # the complete row is not drawn
    assert filled[0, 0] == 2.0
    assert abs(float(filled[0, 1]) - 2.0) < 0.01


def test_the_filled_copy_draws_with_the_spread_of_the_errors():
    """Mutation audit of filled_copy: the noise is the spread (a standard
    deviation, not a variance) of the errors on the observed entries: +-2
    around a reconstruction of 0 draws filled entries of spread 2."""
    from skae._calibration import filled_copy

    rng = np.random.RandomState(0)
    table = np.where(rng.uniform(size=(6000, 3)) < 0.5, -2.0, 2.0)
    table[np.arange(6000), rng.randint(0, 3, 6000)] = np.nan  # one missing entry a row
    missing = np.isnan(table)
    filled = filled_copy(
        torch.as_tensor(table), _IdentityCriterion(), _apply_with(_Zero()), np.random.RandomState(1)
    ).numpy()
    assert_array_equal(filled[~missing], table[~missing])
    assert 1.9 < filled[missing].std() < 2.1


def test_the_calibration_pulls_a_small_group_towards_its_neighbours():
    """Mutation audit: _smooth gives a group's neighbours the weight of 200
    rows: a group of 10 rows between two of 1,000 moves most of the way to
    them, the large ones a sixth of the way to it."""
    from skae._calibration import _smooth

    at = np.array([1.0, 2.0, 3.0])
    smoothed = _smooth(at, np.array([1.0, 5.0, 1.0]), np.array([1000, 10, 1000]), at)
    assert_allclose(smoothed, [2000 / 1200, 250 / 210, 2000 / 1200], rtol=1e-12)
    # Interpolated between the counts measured, constant beyond them.
    grid = np.array([0.0, 1.5, 4.0])
    assert_allclose(
        _smooth(at, np.array([1.0, 5.0, 1.0]), np.array([1000, 10, 1000]), grid),
        [2000 / 1200, (2000 / 1200 + 250 / 210) / 2, 2000 / 1200],
        rtol=1e-12,
    )


def test_rows_with_no_observed_value_do_not_count_towards_early_stopping():
    """Issue 14's gap: early_stopping="auto" holds rows out from 200 training
    rows (20 held out at the default tenth); rows with every entry missing
    teach nothing and judge no epoch, so they do not count towards them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 4)) @ rng.normal(size=(4, 4))
    empty = np.full((60, 4), np.nan)
    padded = VariationalAutoEncoder(max_epochs=3, random_state=0).fit(np.vstack([X, empty]))
    assert "valid_loss" not in padded.net_.history[-1]
    # As many rows with values do turn it on.
    more = np.vstack([X, rng.normal(size=(60, 4)) @ rng.normal(size=(4, 4)), empty[:5]])
    held = VariationalAutoEncoder(max_epochs=3, random_state=0).fit(more)
    assert "valid_loss" in held.net_.history[-1]


@pytest.mark.filterwarnings("ignore:Early stopping kept the model of the first")
def test_rows_with_no_observed_value_are_never_held_out():
    """Early stopping holds out a tenth of the rows with values, none of the
    empty ones: 80 empty rows of 100 once made up all ten held-out rows, the
    validation loss was 0 on every epoch, and the fit stopped after 11
    epochs with the first epoch's network."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4)) @ rng.normal(size=(4, 4))
    X[20:] = np.nan
    model = AutoEncoder(early_stopping=True, max_epochs=30, random_state=0).fit(X)
    valid = np.array(model.net_.history[:, "valid_loss"])
    assert valid.min() > 0.0 and np.ptp(valid) > 0.0
    # A tenth of 4 rows with values rounds to none: refused, naming them.
    with pytest.raises(ValueError, match=r"n_samples=4 \(of 84, those with an observed value\)"):
        AutoEncoder(early_stopping=True, random_state=0).fit(np.vstack([X[:4], X[20:]]))


@pytest.mark.parametrize("name", ["AutoEncoder", "VariationalAutoEncoder"])
def test_rows_with_no_observed_value_leave_the_fit_as_it_was(name):
    """Empty rows teach nothing, and are left out of training: kept, each
    counted as a row of zero loss in the batch means (300 of them beside
    300 rows halved the training loss and its gradient, a probe). The fit
    with them is the fit without them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(300, 5))
    padded = np.full((600, 5), np.nan)
    padded[np.sort(rng.choice(600, 300, replace=False))] = X  # in X's order
    plain = FAST_ESTIMATORS[name](early_stopping=True).fit(X)
    both = FAST_ESTIMATORS[name](early_stopping=True).fit(padded)
    for key in ("train_loss", "valid_loss"):
        assert_allclose(both.net_.history[:, key], plain.net_.history[:, key])
    assert_allclose(both.transform(X), plain.transform(X))
    assert both.offset_ == plain.offset_


def _capture_filled_copy(monkeypatch) -> dict:
    """Record what the calibration's filled copy gives during a fit."""
    import skae._base
    from skae._calibration import filled_copy

    seen = {}

    def recording(rows, *args):
        seen["rows"] = rows.clone()
        seen["filled"] = filled_copy(rows, *args)
        return seen["filled"]

    monkeypatch.setattr(skae._base, "filled_copy", recording)
    return seen


def test_the_filled_copy_fills_the_missing_entries_only(monkeypatch, incomplete):
    """The calibration re-scores the training rows that miss entries with
    those entries drawn around the reconstruction: the observed entries are
    kept, the draws lie in the training range and differ from the plain
    reconstruction (noise), the same for the same random_state."""
    _, missing, _ = incomplete
    seen = _capture_filled_copy(monkeypatch)
    est = AutoEncoder(max_epochs=3, random_state=0).fit(missing)
    rows, filled = seen["rows"].numpy(), seen["filled"].numpy()
    holes = np.isnan(rows).any(axis=1)
    assert len(filled) == holes.sum() > 0
    rows = rows[holes]
    observed = ~np.isnan(rows)
    assert not np.isnan(filled).any()
    assert_array_equal(filled[observed], rows[observed])
    module = est.net_.module_
    low, high = module.input_low.numpy(), module.input_high.numpy()
    assert ((filled >= low) & (filled <= high)).all()
    with torch.no_grad():
        mean = est.net_.criterion_.reconstruct(module(torch.as_tensor(filled))).numpy()
    assert np.abs(filled - mean)[~observed].mean() > 0.05
    first = filled
    AutoEncoder(max_epochs=3, random_state=0).fit(missing)
    assert_array_equal(seen["filled"].numpy(), first)
    # A row with nothing observed is left out: its fill would be all model.
    from skae._calibration import filled_copy

    empty = torch.full((1, rows.shape[1]), float("nan"))
    apply = lambda batch, fn: est._apply(batch, fn, on_device=True)  # noqa: E731
    alone, with_empty = (
        filled_copy(x, est.net_.criterion_, apply, np.random.RandomState(0)).numpy()
        for x in (seen["rows"], torch.cat([seen["rows"], empty]))
    )
    assert_array_equal(with_empty, alone)
    # Complete training rows: nothing to fill, and no copy.
    X, _, _ = incomplete
    AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert seen["filled"] is None


def test_a_filled_categorical_column_draws_one_category(monkeypatch):
    """Noise on a category's probabilities would leave no block one-hot, and
    a block far from one-hot reads as a category unseen at fit: a filled
    categorical column holds one whole category."""
    frame = incomplete_mixed_frame(300)
    seen = _capture_filled_copy(monkeypatch)
    est = AutoEncoder(max_epochs=3, random_state=0).fit(frame)
    criterion = est.net_.criterion_
    filled = seen["filled"]
    assert not torch.isnan(filled).any()
    targets = criterion._targets(filled).numpy()  # (rows, categorical columns, width)
    assert_allclose(targets.sum(axis=-1), 1.0, atol=1e-5)
    assert_allclose(np.abs(targets - 0.5), 0.5, atol=1e-5)  # every entry 0 or 1
    # The categories drawn vary with the rows (not one category for all).
    assert len(np.unique(targets.argmax(axis=-1))) == 3


def test_the_drawn_rows_set_the_centre_and_widen_the_tail_only():
    """Mutation audit of fit_calibration's drawn rows: a count only they
    reach takes their median, and the wider of their tail and the measured
    counts' (Gaussian draws have the lightest tails errors can have)."""
    from skae._calibration import fit_calibration

    rng = np.random.RandomState(0)
    natural = rng.normal(size=4000)
    counts = np.full(4000, 5)
    for spread, expected_scale in ((0.5, 1.0), (2.0, 0.5)):
        drawn = -1.0 + spread * rng.normal(size=4000)
        scores = np.r_[natural, drawn]
        shift, scale = fit_calibration(
            scores,
            np.r_[counts, np.full(4000, 10)],
            np.r_[np.ones(4000, bool), np.zeros(4000, bool)],
            10,
            drawn=np.r_[np.zeros(4000, bool), np.ones(4000, bool)],
        )
        calibrated = shift[10] + scale[10] * drawn
        # Up to the smoothing (each group is pulled by 200 rows' worth of
        # its neighbour's statistics): without the drawn rows' median, the
        # count would take count 5's, 1.0 away.
        assert abs(np.median(calibrated) - np.median(natural)) < 0.1
        assert_allclose(scale[10], expected_scale, rtol=0.1)
        # Counts measured by natural rows keep their own statistics.
        assert_allclose([shift[5], scale[5]], [0.0, 1.0], atol=0.1)


def test_the_calibration_leaves_out_overflowing_scores_and_small_groups():
    """Mutation audit of fit_calibration: a score of -inf (an overflow) is
    left out of the statistics, and a count of fewer than MIN_GROUP rows is
    not measured: it takes its neighbours' statistics, as if it had no row."""
    from skae._calibration import MIN_GROUP, fit_calibration

    rng = np.random.RandomState(0)
    scores = np.r_[rng.normal(size=1000), 2.0 * rng.normal(size=1000) - 3.0]
    counts = np.r_[np.full(1000, 2), np.full(1000, 4)]
    natural = np.ones(2000, bool)
    shift, scale = fit_calibration(scores, counts, natural, 5)
    assert np.all(np.isfinite(shift)) and np.all(np.isfinite(scale))
    # Ten percent more rows that overflowed: the same statistics.
    overflowing = np.r_[scores, np.full(200, -np.inf)]
    with_inf = fit_calibration(overflowing, np.r_[counts, np.full(200, 2)], np.ones(2200, bool), 5)
    assert_allclose(with_inf[0], shift)
    assert_allclose(with_inf[1], scale)
    # A few rows of count 3 (of a holed copy), far below: too few to be measured.
    few = MIN_GROUP // 4
    small = fit_calibration(
        np.r_[scores, np.full(few, -1000.0)],
        np.r_[counts, np.full(few, 3)],
        np.r_[natural, np.zeros(few, bool)],  # rows of a holed copy
        5,
    )
    assert_allclose(small[0], shift, rtol=1e-9)
    assert_allclose(small[1], scale, rtol=1e-9)


def test_complete_rows_are_calibrated_from_filled_training_rows():
    """A code read with its missing entries at their means lies nearer the
    centre than a complete row's: trained on 40 columns with 30% missing,
    the AutoEncoder flagged 9.8%, 9.6% and 9.0% of new complete rows here at
    contamination=0.05 (seeds 0, 1, 2; 9.5% on average). With the training
    rows also re-scored filled: 6.2%, 8.0% and 7.2% (7.1%)."""
    flagged = []
    for seed in range(3):
        rng = np.random.RandomState(seed)
        mixing = rng.normal(size=(3, 40))

        def draw(n, rng=rng, mixing=mixing):
            return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, 40))

        X = draw(800)
        X[rng.uniform(size=X.shape) < 0.3] = np.nan
        model = AutoEncoder(contamination=0.05, max_epochs=10, random_state=seed).fit(X)
        complete = draw(2000)
        holed = complete.copy()
        holed[rng.uniform(size=holed.shape) < 0.3] = np.nan
        flagged.append([np.mean(model.predict(rows) == -1) for rows in (complete, holed)])
    complete, holed = np.mean(flagged, axis=0)
    assert complete < 0.085, flagged
    assert holed < 0.075, flagged


def test_the_masked_training_loss_is_the_mean_over_a_rows_observed_entries():
    """Mutation audit: a row's training loss is its squared error averaged
    over its observed entries (a row with holes weighs as much as a complete
    one), not divided by every feature."""
    from skae._reconstruction import SquaredError

    loss = SquaredError()
    loss.masked = True
    x = torch.tensor([[1.0, float("nan"), 3.0], [1.0, 2.0, 3.0]])
    value = loss({"x_hat": torch.zeros(2, 3)}, x)
    assert_allclose(value.numpy(), [(1 + 9) / 2, (1 + 4 + 9) / 3], rtol=1e-6)


# --- regressions from a mutation audit of skae/_scaling.py -----------------------
def test_a_sparse_feature_s_spread_counts_its_observed_entries_only():
    """Mutation audit (S22): a feature observed in 4 of 4,000 rows, whose
    values are huge next to their spread, is measured again around an
    observed value; the mean square divides by the 4 observed entries, not
    the 4,000 rows (the mutant called it constant)."""
    from skae._scaling import fit_input_scaling

    X = np.full((4000, 2), np.nan)
    X[:, 0] = np.random.RandomState(0).normal(size=4000)
    X[:4, 1] = 1e13 + np.array([0.0, 1.5, 0.0, 1.5])
    mean, scale, _ = fit_input_scaling(X, "feature", unit_interval=False)
    assert scale[1] == pytest.approx(0.75, rel=1e-6)
    assert mean[1] == pytest.approx(1e13 + 0.75, rel=1e-15)


def test_scoring_rows_with_a_missing_entry_but_none_empty_does_not_warn():
    """Mutation audit (S29): empty_rows says None when no row is empty; an
    all-False mask made score_samples warn "0 row(s) ... no observed value"."""
    import warnings

    X = np.random.RandomState(0).normal(size=(200, 4))
    X[3, 2] = np.nan
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.score_samples(X)


def test_a_spread_at_the_floor_up_to_rounding_gets_no_input_gain():
    """Mutation audit (S16): the encoder's input gain snaps to 1 within 1e-6
    of the floor (SCALE_FLOOR times the median spread)."""
    from skae._scaling import SCALE_FLOOR, input_gain

    constant = np.zeros(3, dtype=bool)
    assert input_gain(np.array([1.0, 1.0, SCALE_FLOOR * (1 - 1e-7)]), constant) is None
    gain = input_gain(np.array([1.0, 1.0, SCALE_FLOOR * 0.5]), constant)
    assert_allclose(gain, [1.0, 1.0, 0.5])


def test_a_warning_points_at_a_users_own_function_named_wrapper():
    """Mutation audit: warnings skip scikit-learn's wrappers of a method
    (named "wrapper" in its set_output module) to point at the user's line;
    a user's own function of that name is the user's line."""
    import inspect

    X = np.random.RandomState(0).normal(size=(100, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    rows = np.r_[X[:3], np.full((1, 3), np.nan)]

    def wrapper(model, data):
        return model.score_samples(data)  # the warning's line

    line = inspect.getsourcelines(wrapper)[1] + 1
    with pytest.warns(UserWarning, match="no observed value") as record:
        wrapper(est, rows)
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def test_the_variational_score_counts_the_units_of_observed_entries_only():
    """Mutation audit: a column's units (its scale_) enter a row's likelihood
    through the change of variables, for its observed entries only; counted
    for a missing entry too, a row missing a column measured in units 1000
    times smaller lost log(1000) nats (the test above is blind to it: both
    sides of its equation move)."""
    from skae import VariationalAutoEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(300, 5))
    Y = X.copy()
    Y[:, 0] *= 1000.0
    params = dict(
        n_components=2,
        hidden_layer_sizes=(16,),
        max_epochs=10,
        batch_size=32,
        scaling="feature",
        random_state=0,
    )
    a = VariationalAutoEncoder(**params).fit(X)
    b = VariationalAutoEncoder(**params).fit(Y)
    assert np.isclose(a.score(X[:50]) - b.score(Y[:50]), np.log(1000.0), atol=1e-4)
    hx, hy = X[:50].copy(), Y[:50].copy()
    hx[:, 0] = hy[:, 0] = np.nan
    assert np.isclose(a.score(hx), b.score(hy), rtol=0, atol=1e-4)


def test_a_threshold_drawn_on_complete_rows_is_on_their_calibrated_scores():
    """Mutation audit: complete rows are calibrated too, by the fit's shift
    and scale for rows with every entry (not the identity after a fit on
    incomplete rows). A threshold drawn on complete rows alone (as a
    ``partial_fit`` of complete chunks draws it) from their raw scores
    flagged 9.4% of new complete rows at ``contamination=0.05``."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(3, 10))

    def draw(n):
        return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, 10))

    X = draw(600)
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    model = AutoEncoder(n_components=3, max_epochs=3, contamination=0.05, random_state=0).fit(X)
    assert model.missing_scale_[-1] != 1.0
    complete = draw(300)
    model._fit_statistics(model._scaled_tensor(complete, model.device_), 0, whole=False)
    flagged = np.mean(model.score_samples(complete) < model.offset_)
    assert abs(flagged - 0.05) <= 1 / 300, flagged


def test_the_held_out_fence_is_drawn_on_calibrated_scores():
    """Mutation audit: under ``contamination="auto"`` with early stopping,
    the held-out rows' fence is drawn on their scores calibrated for their
    missing entries, as they score in ``score_samples`` (raw, on a wide
    table half missing, it lay at -5.42 where the calibrated one is -4.48,
    and flagged 1.6% of new rows rather than 6.0%)."""
    rng = np.random.RandomState(0)
    basis = np.random.RandomState(1).normal(size=(6, 120))
    X = rng.normal(size=(400, 6)) @ basis + 0.3 * rng.normal(size=(400, 120))
    X[rng.uniform(size=X.shape) < 0.5] = np.nan
    model = AutoEncoder(max_epochs=20, early_stopping=True, random_state=0).fit(X)
    held_out = model.score_samples(X[model._held_out_rows])
    q1, q3 = np.percentile(held_out, [25.0, 75.0])
    assert_allclose(model.offset_, q1 - AUTO_FENCE * (q3 - q1), rtol=1e-4)


def test_a_variational_row_missing_a_column_scores_as_complete_rows_do():
    """The variational kind adds each missing column's typical term to the
    observed entries' likelihood. Scaling the observed terms to a whole row
    (the rule before) read a row missing a column in large units (its term
    the lowest, -log 100 below the others) as far more normal: the median
    score of such rows was -5.5 against -11.1 for complete rows, and 0.4%
    of them were flagged at ``contamination=0.05``; now -10.9 and 5%."""
    rng = np.random.RandomState(0)

    def table(n):
        z = rng.normal(size=(n, 2))
        tied = z + 0.05 * rng.normal(size=(n, 2))
        return np.column_stack([100 * rng.normal(size=n), z[:, 0], tied[:, 0], z[:, 1], tied[:, 1]])

    X, new = table(400), table(800)
    model = VariationalAutoEncoder(max_epochs=15, random_state=0, contamination=0.05).fit(X)
    complete = np.median(model.score_samples(new))
    for j in range(5):
        holed = new.copy()
        holed[:, j] = np.nan
        assert abs(np.median(model.score_samples(holed)) - complete) < 0.6, j
        assert 0.02 < np.mean(model.predict(holed) == -1) < 0.1, j


def test_a_refit_calibrates_missing_entries_as_the_first_fit_did():
    """Mutation audit: the calibration is fitted on the uncalibrated scores.
    Fitted on the calibrated ones, a second fit read them through the first
    fit's calibration, still set: the same data and random_state gave shifts
    up to 0.58 apart and another offset_."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(400, 6))
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    model = AutoEncoder(max_epochs=3, random_state=0, contamination=0.05).fit(X)
    first = model.missing_shift_.copy(), model.missing_scale_.copy(), model.offset_
    model.fit(X)
    assert_array_equal(model.missing_shift_, first[0])
    assert_array_equal(model.missing_scale_, first[1])
    assert model.offset_ == first[2]


def test_the_calibration_counts_a_categorical_column_once_and_draws_filled_rows(monkeypatch):
    """Mutation audit: a row's count of observed entries, which picks its
    calibration, counts input columns (a one-hot block once), as the fit's
    calibration does; counting encoded entries, rows missing a number beside
    an observed 4-category column were calibrated as complete ones. And the
    fit measures the training rows with their missing entries filled
    (``drawn``), not only the holed copies."""
    import skae._base

    calls = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return fit_calibration(*args, **kwargs)

    from skae._calibration import fit_calibration

    monkeypatch.setattr(skae._base, "fit_calibration", spy)
    rng = np.random.RandomState(0)
    colour = rng.choice(["red", "green", "blue", "black"], size=600)
    frame = pd.DataFrame(
        {
            "colour": pd.Categorical(colour),
            "size": np.where(colour == "red", 1.0, -1.0) + 0.3 * rng.normal(size=600),
            "weight": rng.normal(size=600),
            "w2": rng.normal(size=600),
        }
    )
    frame.loc[rng.uniform(size=600) < 0.3, "colour"] = np.nan
    frame.loc[rng.uniform(size=600) < 0.3, "size"] = np.nan
    model = AutoEncoder(max_epochs=5, random_state=0, contamination=0.05).fit(frame)
    assert len(calls) == 1 and calls[0]["drawn"].any()
    rows = frame.iloc[:40]
    scores = model.score_samples(rows)
    shift, scale = model.missing_shift_, model.missing_scale_
    model.missing_shift_ = None  # the scores before calibration
    raw = model.score_samples(rows)
    model.missing_shift_ = shift
    observed = rows.notna().sum(axis=1).to_numpy()
    assert set(observed) == {2, 3, 4}
    # Then scaled about the centre by the geometric mean of the missing
    # columns' factors (columns, not encoded entries, again).
    missing = rows.isna().to_numpy()
    factor = np.exp(missing @ np.log(model.missing_column_scale_) / np.maximum(missing.sum(1), 1))
    centre = model.missing_centre_
    by_count = shift[observed] + scale[observed] * raw
    assert_allclose(scores, centre + factor * (by_count - centre), rtol=1e-10)
    assert not np.allclose(factor, 1.0)
