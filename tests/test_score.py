"""``score``: a held-out log-likelihood comparable across models (issue 18),
and the scorers for searches with other criteria."""

import functools

import numpy as np
import pandas as pd
import pytest
from conftest import FAST_ESTIMATORS
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skae
from skae import (
    AutoEncoder,
    mass_volume_scorer,
    reconstruction_error_scorer,
)
from skae._base import MIN_NOISE_VARIANCE

DETERMINISTIC = sorted(name for name in FAST_ESTIMATORS if name != "VariationalAutoEncoder")


@pytest.fixture(scope="module")
def four_dimensional():
    """600 x 12 data on a curved 4-dimensional manifold plus a little noise,
    split 400 / 200."""
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(600, 4))
    X = np.tanh(latent @ rng.normal(size=(4, 12))) + 0.05 * rng.normal(size=(600, 12))
    return X[:400], X[400:]


def held_out_mse(est, X):
    return float(np.mean((X - est.inverse_transform(est.transform(X))) ** 2))


def gaussian_score(residual, variance):
    """The mean log-likelihood of the observed entries of ``residual`` under
    an isotropic Gaussian of ``variance``."""
    squares = np.nansum(residual**2, axis=1)
    observed = np.sum(~np.isnan(residual), axis=1)
    return np.mean(-0.5 * squares / variance - 0.5 * observed * np.log(2 * np.pi * variance))


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_score_is_the_gaussian_likelihood_of_the_reconstruction(name, four_dimensional):
    """At the larger of the training variance and the scored rows' own mean
    squared error: on the training rows, the training variance itself."""
    train, test = four_dimensional
    est = FAST_ESTIMATORS[name](n_components=3).fit(train)
    assert est.noise_variance_ == pytest.approx(held_out_mse(est, train), rel=1e-5)
    for rows in (train, test, test[:7]):
        residual = rows - est.inverse_transform(est.transform(rows))
        variance = max(est.noise_variance_, np.mean(residual**2))
        assert est.score(rows) == pytest.approx(gaussian_score(residual, variance), rel=1e-5)
    assert est.score(train) == pytest.approx(
        gaussian_score(train - est.inverse_transform(est.transform(train)), est.noise_variance_),
        rel=1e-5,
    )


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_a_model_that_reconstructs_better_scores_higher(name, four_dimensional):
    """Longer training, then more codes: held-out MSE and score move together."""
    train, test = four_dimensional
    make = FAST_ESTIMATORS[name]
    models = [
        make(n_components=1, max_epochs=1, lr=1e-3),
        make(n_components=1, max_epochs=20),
        make(n_components=4, max_epochs=20),
    ]
    errors, scores = [], []
    for model in models:
        model.fit(train)
        errors.append(held_out_mse(model, test))
        scores.append(model.score(test))
    # The models really differ in how well they reconstruct...
    assert errors[0] > 1.2 * errors[1] and errors[1] > 1.2 * errors[2]
    # ...and score ranks them the same way.
    assert scores[0] < scores[1] < scores[2]


def test_the_noise_variance_counts_constant_features_reconstructed_exactly():
    """Mutation audit: under binary cross-entropy a constant pixel is
    reconstructed as its constant, and its squared errors count as 0 in
    noise_variance_ (the mean squared error of the reconstructions), not
    the decoder's own errors there (0.0946 instead of 0.0859 on digits)."""
    X = load_digits().data[:300] / 16
    assert (X.std(axis=0) == 0).sum() >= 3
    est = AutoEncoder(loss="binary_crossentropy", max_epochs=5, random_state=0).fit(X)
    assert est.noise_variance_ == pytest.approx(held_out_mse(est, X), rel=1e-5)


def test_the_noise_variance_is_over_the_observed_entries():
    """Probe finding: with missing entries noise_variance_ was the mean of the
    per-feature mean errors, 9 times the mean over the observed entries (its
    maximum-likelihood value) where a badly reconstructed feature was mostly
    missing."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 8)) + 0.05 * rng.normal(size=(300, 8))
    X[:, 0] = 3 * rng.normal(size=300)
    X[rng.rand(300) < 0.9, 0] = np.nan
    est = AutoEncoder(n_components=3, max_epochs=30, random_state=0).fit(X[:200])
    squared = (X[:200] - est.inverse_transform(est.transform(X[:200]))) ** 2
    assert est.noise_variance_ == pytest.approx(np.nanmean(squared), rel=1e-4)
    assert est.noise_variance_ < 0.5 * np.mean(np.nanmean(squared, axis=0))
    # With a categorical column, over the observed numeric entries too.
    frame = pd.DataFrame(X[:200], columns=[f"x{j}" for j in range(8)])
    frame["kind"] = pd.Categorical(np.where(X[:200, 1] > 0, "a", "b"))
    mixed = AutoEncoder(n_components=3, max_epochs=30, random_state=0).fit(frame)
    numbers = frame.iloc[:, :8].to_numpy()
    squared = (numbers - mixed.inverse_transform(mixed.transform(frame)).iloc[:, :8]) ** 2
    assert mixed.noise_variance_ == pytest.approx(np.nanmean(squared.to_numpy()), rel=1e-4)


@pytest.mark.parametrize("name", ["AutoEncoder", "ContractiveAutoEncoder"])
def test_a_constant_feature_counts_as_inverse_transform_reconstructs_it(name):
    """Probe finding: inverse_transform gives a feature constant in training
    back as that constant, but noise_variance_ and score counted the
    network's own output for it (1% off, and 0.03 nats)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 5)) + 0.2 * rng.normal(size=(400, 5))
    X[:, 3] = 5.0
    model = FAST_ESTIMATORS[name](n_components=2, max_epochs=20).fit(X[:300])
    train = X[:300] - model.inverse_transform(model.transform(X[:300]))
    assert_allclose(train[:, 3], 0.0)
    assert model.noise_variance_ == pytest.approx(np.mean(train**2), rel=1e-5)
    test = X[300:].copy()
    test[:5, 3] = 7.0  # a new value of the constant counts in full
    residual = test - model.inverse_transform(model.transform(test))
    variance = max(model.noise_variance_, np.mean(residual**2))
    assert model.score(test) == pytest.approx(gaussian_score(residual, variance), rel=1e-5)


def test_score_is_in_the_units_of_x(four_dimensional):
    """Scaling X by c scales the fitted model's noise variance by c**2 and
    shifts the log-likelihood by -d log c, as a density of X must."""
    train, test = four_dimensional
    c = 1000.0
    small = AutoEncoder(n_components=3, max_epochs=5, random_state=0).fit(train)
    large = AutoEncoder(n_components=3, max_epochs=5, random_state=0).fit(c * train)
    assert large.noise_variance_ == pytest.approx(c**2 * small.noise_variance_, rel=1e-4)
    shift = train.shape[1] * np.log(c)
    assert large.score(c * test) == pytest.approx(small.score(test) - shift, rel=1e-4)


@pytest.mark.parametrize("name", DETERMINISTIC)
def test_score_in_units_whose_variance_underflows(name, four_dimensional, tmp_path):
    """In units of 1e-165 the noise variance (about 1e-330) is below the
    smallest float64: score stays finite, shifted by -d log c as in any
    units, and the model saves and loads (its variance of 0 was refused)."""
    train, test = four_dimensional
    c = 1e-165
    make = FAST_ESTIMATORS[name]
    unit = make(random_state=0).fit(train)
    tiny = make(random_state=0).fit(c * train)
    shift = train.shape[1] * np.log(c)
    assert tiny.score(c * test) == pytest.approx(unit.score(test) - shift, rel=1e-3)
    tiny.save(tmp_path / "tiny.skae")
    loaded = skae.load(tmp_path / "tiny.skae")
    assert loaded.score(c * test) == tiny.score(c * test)


def test_a_model_trained_longer_that_reconstructs_better_scores_higher():
    """Probe finding: at the training variance, a model that reconstructed 90
    held-out rows 50 times better than an untrained one (held-out mean squared
    error 0.046 against 2.41, worse than the column means) scored 100 nats
    below it, its training error being 10 times lower still; a search with
    no scorer picked one epoch. At the larger of the two variances it ranks
    by the held-out error."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(90, 3)) @ rng.normal(size=(3, 20)) + 0.05 * rng.normal(size=(90, 20))
    train, test = X[:60], X[60:]
    models = [
        AutoEncoder(n_components=3, max_epochs=epochs, random_state=0).fit(train)
        for epochs in (1, 200)
    ]
    errors = [held_out_mse(model, test) for model in models]
    assert errors[1] < 0.1 * errors[0]
    # The long fit's training error is far below its held-out one...
    assert models[1].noise_variance_ < 0.5 * errors[1]
    # ...and it still scores higher, as the search picks it.
    assert models[1].score(test) > models[0].score(test)
    search = GridSearchCV(
        AutoEncoder(n_components=3, random_state=0), {"max_epochs": [1, 200]}, cv=3
    ).fit(X)
    assert search.best_params_ == {"max_epochs": 200}


def test_score_is_no_more_confident_than_the_training_rows():
    """Rows reconstructed better than the training rows are scored at the
    training variance: the score of a few easy rows does not soar."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    est = AutoEncoder(n_components=2, max_epochs=10, random_state=0).fit(X)
    codes = est.transform(X[:30])
    on_the_manifold = est.inverse_transform(codes)
    residual = on_the_manifold - est.inverse_transform(est.transform(on_the_manifold))
    assert np.mean(residual**2) < est.noise_variance_
    assert est.score(on_the_manifold) == pytest.approx(
        gaussian_score(residual, est.noise_variance_), rel=1e-5
    )


def test_the_variational_score_is_its_bound(four_dimensional):
    train, test = four_dimensional
    est = FAST_ESTIMATORS["VariationalAutoEncoder"]().fit(train)
    assert not hasattr(est, "noise_variance_")
    assert est.score(test) == pytest.approx(est.score_samples(test).mean())


def test_grid_search_without_a_scorer_picks_the_best_reconstruction(four_dimensional):
    train, _ = four_dimensional
    cv = KFold(3, shuffle=True, random_state=0)
    grid = {"n_components": [1, 2, 4]}
    base = AutoEncoder(hidden_layer_sizes=(32,), max_epochs=20, random_state=0)
    by_score = GridSearchCV(base, grid, cv=cv).fit(train)
    by_error = GridSearchCV(base, grid, cv=cv, scoring=reconstruction_error_scorer).fit(train)
    assert by_score.best_params_ == by_error.best_params_ == {"n_components": 4}
    assert (
        np.argsort(by_score.cv_results_["mean_test_score"]).tolist()
        == np.argsort(by_error.cv_results_["mean_test_score"]).tolist()
    )


# --- scorers ------------------------------------------------------------------------


def test_reconstruction_error_scorer_is_minus_the_mse(blobs):
    est = AutoEncoder(max_epochs=3, random_state=0).fit(blobs)
    assert reconstruction_error_scorer(est, blobs) == pytest.approx(-held_out_mse(est, blobs))
    # Any transformer with an inverse: PCA keeping every component is exact.
    assert reconstruction_error_scorer(PCA().fit(blobs), blobs) == pytest.approx(0.0, abs=1e-6)


def test_mass_volume_prefers_the_detector_fitted_to_the_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) * [1.0, 0.2]
    fitted = AutoEncoder(n_components=1, max_epochs=20, random_state=0).fit(X)
    elsewhere = AutoEncoder(n_components=1, max_epochs=20, random_state=0).fit(X[:, ::-1] + 2)
    good, bad = mass_volume_scorer(fitted, X), mass_volume_scorer(elsewhere, X)
    assert -1.0 <= bad < good <= 0.0
    # Fixed draws: the same value twice, and another seed only estimates it.
    assert mass_volume_scorer(fitted, X) == good
    other = functools.partial(mass_volume_scorer, random_state=1)(fitted, X)
    assert other != good and other == pytest.approx(good, abs=0.02)


def test_mass_volume_needs_two_samples():
    est = IsolationForest(random_state=0).fit(np.random.RandomState(0).normal(size=(50, 2)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        mass_volume_scorer(est, np.zeros((1, 2)))


@pytest.mark.parametrize("scorer", [reconstruction_error_scorer, mass_volume_scorer])
def test_a_search_with_each_scorer_runs_in_a_pipeline(scorer, blobs):
    pipe = make_pipeline(StandardScaler(), AutoEncoder(max_epochs=5, random_state=0))
    grid = {"autoencoder__n_components": [1, 3]}
    search = GridSearchCV(pipe, grid, scoring=scorer, cv=2).fit(blobs)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and scores[0] != scores[1]
    assert search.best_score_ == scores.max()


def test_an_older_model_gets_a_noise_variance(blobs):
    """A model fitted before score's likelihood takes the mean training loss."""
    import pickle

    model = AutoEncoder(max_epochs=3, random_state=0).fit(blobs)
    expected = model.noise_variance_
    del model.noise_variance_
    old = pickle.loads(pickle.dumps(model))
    assert_allclose(old.noise_variance_, expected, rtol=1e-4)
    assert np.isfinite(old.score(blobs))


def test_the_scorers_take_missing_entries_as_the_estimators_do(blobs):
    holes = blobs.copy()
    holes[::7, 1] = np.nan
    est = AutoEncoder(max_epochs=3, random_state=0).fit(holes)
    reconstruction = est.inverse_transform(est.transform(holes))
    observed = ~np.isnan(holes)
    expected = -np.mean((holes[observed] - reconstruction[observed]) ** 2)
    assert reconstruction_error_scorer(est, holes) == pytest.approx(expected)
    # It prefers the detector fitted to these rows, holes and all.
    elsewhere = AutoEncoder(max_epochs=3, random_state=0).fit(holes[:, ::-1] + 5)
    good = mass_volume_scorer(est, holes, n_uniform=500)
    assert mass_volume_scorer(elsewhere, holes, n_uniform=500) < good <= 0.0


def test_the_scorers_keep_a_dataframe_and_name_categorical_columns(blobs):
    import warnings

    frame = pd.DataFrame(blobs, columns=[f"f{i}" for i in range(blobs.shape[1])])
    est = AutoEncoder(max_epochs=3, random_state=0).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        assert np.isfinite(mass_volume_scorer(est, frame, n_uniform=500))
        assert np.isfinite(reconstruction_error_scorer(est, frame))
    mixed = frame.assign(kind=pd.Categorical(np.where(blobs[:, 0] > 0, "a", "b")))
    fitted = AutoEncoder(max_epochs=3, random_state=0).fit(mixed)
    # Each points to a criterion for its own job: score is one for a
    # reduction, not for detection (a probe: mass_volume_scorer pointed to it).
    for scorer, instead in (
        (reconstruction_error_scorer, "estimator's own score"),
        (mass_volume_scorer, "scoring='roc_auc'"),
    ):
        with pytest.raises(ValueError, match="categorical columns: \\['kind'\\]") as caught:
            scorer(fitted, mixed)
        assert instead in str(caught.value)
    assert "own score" not in str(caught.value)


def test_the_scorers_refuse_columns_of_numbers_declared_categorical(blobs):
    """A column of numbers that categorical_features names is a category to
    the model: the scorers took its codes for distances (-2078, mostly the
    squared distances between codes 0, 100 and 200; a perfect -0.0 for the
    mass-volume, every draw an unseen category)."""

    X = blobs.copy()
    X[:, 0] = np.where(blobs[:, 0] > 0, 100.0, 200.0)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    for data, spec, name in [(frame, ["f0"], "f0"), (X, [0], "0")]:
        est = AutoEncoder(max_epochs=2, categorical_features=spec, random_state=0).fit(data)
        # A search too (nested cross-validation): it scored the codes silently.
        search = GridSearchCV(clone(est), {"n_components": [2]}, cv=2).fit(data)
        for model in (est, make_pipeline(clone(est)).fit(data), search):
            for scorer in (reconstruction_error_scorer, mass_volume_scorer):
                with pytest.raises(ValueError, match=f"categorical columns: \\['{name}'\\]"):
                    scorer(model, data)


def test_the_scorers_take_a_bool_column_the_estimator_reads_as_numbers(blobs):
    """With categorical_features=None a bool column is a number to the
    model; the scorers refused it by its dtype."""

    frame = pd.DataFrame(blobs, columns=[f"f{i}" for i in range(blobs.shape[1])])
    frame["flag"] = blobs[:, 0] > 0
    est = AutoEncoder(max_epochs=2, categorical_features=None, random_state=0).fit(frame)
    numbers = frame.astype({"flag": float})
    for scorer in (reconstruction_error_scorer, mass_volume_scorer):
        assert scorer(est, frame) == scorer(est, numbers)
    # With the default, the bool column is a category, and refused by name.
    categorical = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    with pytest.raises(ValueError, match=r"categorical columns: \['flag'\]"):
        reconstruction_error_scorer(categorical, frame)


def test_the_scorers_read_other_librarys_tables_as_the_estimators_do(blobs):
    """polars' float columns were called categorical (pandas' dtype test on
    polars dtypes), and a pyarrow Table's columns, arrays, became the
    uniform draws' column names (TypeError: unhashable)."""

    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame(blobs, columns=[f"f{i}" for i in range(blobs.shape[1])])
    est = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    tables = [pa.Table.from_pandas(frame, preserve_index=False)]
    try:
        import polars as pl

        tables.append(pl.from_pandas(frame))
    except ImportError:
        pass
    for scorer in (reconstruction_error_scorer, mass_volume_scorer):
        for table in tables:
            assert scorer(est, table) == scorer(est, frame)


def test_the_scorers_take_an_object_column_of_numbers_and_missing_values(blobs):
    """pandas keeps numbers with pd.NA as object: numeric for the estimators,
    refused by the scorers as categorical."""

    numbers = pd.DataFrame(blobs[:, :3], columns=list("abc"))
    numbers.iloc[::7, 1] = np.nan
    frame = numbers.astype(object)
    frame.iloc[::7, 1] = pd.NA
    est = AutoEncoder(max_epochs=2, random_state=0).fit(frame)
    assert est.is_categorical_ is None
    assert reconstruction_error_scorer(est, frame) == reconstruction_error_scorer(est, numbers)
    assert mass_volume_scorer(est, frame, n_uniform=500) == mass_volume_scorer(
        est, numbers, n_uniform=500
    )


@pytest.mark.parametrize("n_uniform, error", [(0, ValueError), (-5, ValueError), (2.5, TypeError)])
def test_mass_volume_scorer_checks_n_uniform(n_uniform, error, blobs):
    est = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(error, match="n_uniform"):
        mass_volume_scorer(est, blobs, n_uniform=n_uniform)


class _FixedScores:
    """A detector whose ``score_samples`` is a known function of the rows."""

    def __init__(self, function):
        self.function = function

    def score_samples(self, X):
        return self.function(np.asarray(X, dtype=np.float64))


def test_mass_volume_is_minus_the_mean_mass_for_a_score_that_is_the_value():
    """Scores x on held-out rows spread evenly over [0, 1]: the level set of
    mass alpha is [1 - alpha, 1], of volume alpha, so the scorer is minus the
    mean of the masses 0.9, 0.901, ..., 0.999, -0.9495 (up to the draws)."""
    X = np.linspace(0.0, 1.0, 1001)[:, None]
    detector = _FixedScores(lambda rows: rows[:, 0])
    assert mass_volume_scorer(detector, X) == pytest.approx(-0.9495, abs=0.01)
    # Reversed, the level sets are [0, alpha]: the same volumes.
    reversed_ = _FixedScores(lambda rows: -rows[:, 0])
    assert mass_volume_scorer(reversed_, X) == pytest.approx(-0.9495, abs=0.01)


def test_mass_volume_counts_draws_that_tie_with_the_threshold_as_inside():
    """A level set holds the draws scoring at least its threshold: with every
    held-out row on the diagonal of the unit square, scored 1 as the half
    x0 >= x1, every threshold is 1 and the level sets are that half."""
    t = np.linspace(0.0, 1.0, 200)
    X = np.c_[t, t]
    half = _FixedScores(lambda rows: (rows[:, 0] >= rows[:, 1]).astype(float))
    assert mass_volume_scorer(half, X) == pytest.approx(-0.5, abs=0.01)
    # A constant score: every draw ties, and the level sets are the box.
    constant = _FixedScores(lambda rows: np.ones(len(rows)))
    assert mass_volume_scorer(constant, X) == -1.0


def test_mass_volume_names_a_bool_column_of_another_detector():
    """For an estimator that is not skae's, a bool column is refused by its
    dtype, as a category, and named."""

    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {"a": rng.normal(size=300), "b": rng.normal(size=300), "flag": rng.rand(300) > 0.5}
    )
    model = IsolationForest(random_state=0).fit(X)
    for scorer in (mass_volume_scorer, reconstruction_error_scorer):
        with pytest.raises(ValueError, match=r"categorical columns: \['flag'\]"):
            scorer(model, X)


def test_a_level_set_holds_at_least_its_mass_of_the_held_out_rows():
    """Mutation audit: the threshold of mass alpha is a score that at least
    alpha of the held-out rows reach (an order statistic, not interpolated).
    With three rows, every level set of mass 0.9 or more holds all three,
    the whole box; interpolated, its threshold lay between two rows."""
    detector = _FixedScores(lambda rows: rows[:, 0])
    assert mass_volume_scorer(detector, np.array([[0.0], [0.5], [1.0]])) == -1.0


def test_a_skae_first_step_says_which_columns_are_categories_for_the_scorers():
    """Mutation audit: the scorers ask the pipeline's first step, the one
    reading X, which columns are categories. A bool column that
    categorical_features=None makes a number is scored; behind another
    first step, the columns go by their dtype."""
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    frame["flag"] = frame["a"] > 0
    first = make_pipeline(
        AutoEncoder(categorical_features=None, max_epochs=2, random_state=0),
        IsolationForest(random_state=0),
    ).fit(frame)
    assert np.isfinite(mass_volume_scorer(first, frame, n_uniform=500))
    behind = make_pipeline(
        FunctionTransformer(lambda X: X.astype(float), check_inverse=False),
        AutoEncoder(categorical_features=None, max_epochs=2, random_state=0),
    ).fit(frame)
    with pytest.raises(ValueError, match=r"categorical columns: \['flag'\]"):
        reconstruction_error_scorer(behind, frame)


def test_the_scorers_refuse_rows_without_observed_entries(blobs):
    """With no observed entry there is no error to average (numpy's mean of
    nothing, NaN), and a feature never observed has no box to draw in
    (numpy's OverflowError): each is the scorer's ValueError."""
    est = AutoEncoder(n_components=2, max_epochs=3, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="at least one observed entry"):
        reconstruction_error_scorer(est, np.full((5, blobs.shape[1]), np.nan))
    held_out = blobs[:50].copy()
    held_out[:, 2] = np.nan
    with pytest.raises(ValueError, match="every feature observed in at least one sample"):
        mass_volume_scorer(est, held_out)


# --- regressions from a mutation audit of skae/_base.py --------------------------
def test_a_near_exact_model_keeps_the_noise_variance_floor():
    """Mutation audit (m04): noise_variance_ is floored at MIN_NOISE_VARIANCE
    times the mean of scale_ ** 2. A linear network with as many codes as
    features reconstructs its training rows almost exactly; without the floor
    (the mutant) its variance fell to 7e-15 of the data's, and rows shifted by
    0.01 scored -4.7e7 where the training rows scored +30."""
    X = np.random.RandomState(0).normal(size=(300, 2))
    model = AutoEncoder(
        n_components=2,
        hidden_layer_sizes=(16,),
        activation="identity",
        max_epochs=300,
        lr=1e-2,
        random_state=0,
    ).fit(X)
    ratio = model.noise_variance_ / np.mean(model.scale_**2)
    # The floor is what holds it here (the training error is below it).
    assert ratio == pytest.approx(MIN_NOISE_VARIANCE, rel=1e-6)
    shifted = model.score(X + 0.01)
    assert np.isfinite(shifted)
    assert shifted > model.score(X) - 5.0


def test_score_of_rows_with_a_missing_entry_is_the_density_of_their_observed_entries():
    """Mutation audit (m26): score() of a row with missing entries is the
    Gaussian density of its observed entries: its normaliser counts the
    observed entries, -n_observed / 2 * log(2 pi noise_variance_). The mutant
    counted every column. Computed here from the fitted model itself (its
    reconstruction of the rows, whatever fills their missing entry)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    model = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    Y = X[:50].copy()
    Y[:, 3] = np.nan
    residual = (Y - model.inverse_transform(model.transform(Y)))[:, :3]
    variance = max(model.noise_variance_, np.mean(residual**2))
    expected = -0.5 * (residual**2).sum(axis=1) / variance - 1.5 * np.log(2 * np.pi * variance)
    assert_allclose(model.score(Y), expected.mean(), rtol=1e-5)


def test_score_of_binary_crossentropy_rows_with_an_entry_outside_the_unit_interval_is_minus_inf():
    """Mutation audit: with loss="binary_crossentropy" an entry outside
    [0, 1] has likelihood 0, so its row's score_samples is -inf, and score()
    (the mean log-likelihood) is -inf too. The mutant's score() left such
    entries to the Bernoulli formula and gave a finite mean (-1.78 here)."""
    X = np.random.RandomState(0).uniform(size=(200, 4))
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=2, random_state=0).fit(X)
    rows = X[:5].copy()
    rows[0, 2] = 1.5
    assert model.score_samples(rows)[0] == -np.inf
    assert np.isfinite(model.score(X[:5]))
    assert model.score(rows) == -np.inf


def test_mass_volume_averages_the_masses_from_0_9_to_0_999():
    """Mutation audit: the levels run to a mass of 0.999 (ending at 0.99,
    the mean was -0.9457); with enough draws the mean is -0.9495 to three
    decimals, which the looser test above cannot tell apart."""
    X = np.linspace(0.0, 1.0, 1001)[:, None]
    detector = _FixedScores(lambda rows: rows[:, 0])
    score = mass_volume_scorer(detector, X, n_uniform=200_000)
    assert score == pytest.approx(-0.9495, abs=0.002)


@pytest.mark.parametrize("scorer", [mass_volume_scorer, reconstruction_error_scorer])
def test_the_scorers_keep_scikit_learn_s_message_for_an_infinite_value(scorer):
    """Mutation audit: only values that are not numbers are called so; an
    infinite one keeps check_array's own message (which names infinity)."""
    model = PCA(1).fit(np.random.RandomState(0).normal(size=(50, 2)))
    with pytest.raises(ValueError, match="infinity") as info:
        scorer(model, np.array([[np.inf, 1.0], [0.0, 0.0]]))
    assert "not numbers" not in str(info.value)


def test_reconstruction_error_scorer_reads_a_pyarrow_table_s_dtypes():
    """Mutation audit: a pyarrow Table's bool column is a category, refused
    and named as in a DataFrame (read as numbers, the scorer returned a
    distance to the flags)."""
    pa = pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"a": np.arange(20.0), "flag": np.arange(20) % 2 == 0})
    model = PCA(1).fit(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pytest.raises(ValueError, match=r"categorical columns: \['flag'\]"):
        reconstruction_error_scorer(model, table)
