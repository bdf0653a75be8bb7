"""The vanilla AutoEncoder: it learns, and it works inside scikit-learn's tools."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoEncoder, DenoisingAutoEncoder
from skae._architectures import dense_autoencoder
from skae._base import MIN_REFRESH_ROWS
from skae._reconstruction import HuberError, SquaredError
from skae._training_checks import MIN_ROWS_FOR_FAILURE


def _held_out_mse(model, X_test):
    return float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))


@pytest.fixture(scope="module")
def digits_split(digits):
    X, y = digits
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def test_learns_digits_better_than_mean_and_pca(digits_split):
    X_train, X_test, _, _ = digits_split
    mean_mse = float(np.mean((X_test - X_train.mean(axis=0)) ** 2))

    # Longer than the default (tuned for outlier detection) for good reconstructions.
    ae8 = AutoEncoder(n_components=8, max_epochs=100, random_state=0).fit(X_train)
    assert _held_out_mse(ae8, X_test) < 0.4 * mean_mse

    ae2 = AutoEncoder(n_components=2, max_epochs=100, random_state=0).fit(X_train)
    pca2 = PCA(n_components=2).fit(X_train)
    assert _held_out_mse(ae2, X_test) < _held_out_mse(pca2, X_test)


def test_grid_search_over_pipeline(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    pipe = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("autoencoder", AutoEncoder(n_components=8, max_epochs=30, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"autoencoder__n_components": [2, 8]}, cv=3)
    search.fit(X_train[:600], y_train[:600])
    # Two codes cannot separate ten digits as well as eight can.
    assert search.best_params_ == {"autoencoder__n_components": 8}
    assert search.score(X_test, y_test) > 0.8


# --- regressions from a mutation audit of skae/_base.py --------------------------
def test_a_stream_of_small_chunks_refits_the_sampling_density_at_every_call():
    """Mutation audit (m45): while fewer than MIN_REFRESH_ROWS rows have been
    seen, each partial_fit refits the sampling density on the codes of all the
    rows so far; the mutant waited for DENSITY_REFRESH_ROWS new rows, so a
    short stream sampled from the codes of its first chunk, under an older
    network. A Gaussian mixture's weighted mean is the mean of the codes it was
    fitted to: after every chunk, that of the current codes of the rows seen."""
    X = np.random.RandomState(0).normal(size=(60, 3)) * [1, 5, 10]
    model = AutoEncoder(n_components=2, random_state=0).partial_fit(X[:10])
    for stop in range(15, 61, 5):
        model.partial_fit(X[stop - 5 : stop])
        density = model.latent_density_
        assert_allclose(
            density.weights_ @ density.means_,
            model.transform(X[:stop]).mean(axis=0),
            atol=1e-5,
            err_msg=f"after {stop} rows",
        )


def test_a_large_fit_keeps_only_min_refresh_rows_rows_for_partial_fit():
    """Mutation audit (m43): a fit on more than MIN_REFRESH_ROWS rows keeps a
    random MIN_REFRESH_ROWS of them (scaled) for partial_fit's statistics; the
    mutant kept every row of a fit up to ten times that, a model carrying (and
    pickling) its whole training table."""
    X = np.random.RandomState(0).normal(size=(2000, 4))
    model = AutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(X)
    kept = model._recent_rows
    assert kept.shape == (MIN_REFRESH_ROWS, 4)


def test_the_first_partial_fit_with_early_stopping_holds_out_no_rows():
    """Mutation audit (m61): partial_fit trains on every row of its chunk,
    early_stopping or not (one chunk is one pass; nothing to stop); the mutant
    held a validation split out of the first call's chunk, so history had a
    valid_loss and the model trained on fewer rows."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    model = AutoEncoder(n_components=2, early_stopping=True, random_state=0).partial_fit(X)
    assert all("valid_loss" not in row for row in model.net_.history)
    assert "early_stopping" not in dict(model.net_.callbacks_)


def test_verbose_1_prints_no_progress_bar_and_verbose_2_does(capsys):
    """Mutation audit (m64): the per-batch progress bar (tqdm, on stderr) is
    for verbose >= 2; verbose=1 prints the epoch table only. The mutant showed
    the bar at verbose=1 as well."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    AutoEncoder(n_components=2, max_epochs=2, verbose=1, random_state=0).fit(X)
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "it/s" not in err and "%|" not in err
    AutoEncoder(n_components=2, max_epochs=2, verbose=2, random_state=0).fit(X)
    out, err = capsys.readouterr()
    assert "train_loss" in out
    assert "%|" in err


def test_the_epoch_table_has_the_epoch_at_which_early_stopping_ends_the_fit(capsys):
    """skorch prints its table after every other callback, so the epoch whose
    held-out loss ran out the patience was missing from it (a probe: 16 lines
    for 17 epochs); its line comes now, then the message, and its time left."""
    X = np.random.RandomState(0).normal(size=(400, 6))
    model = AutoEncoder(
        max_epochs=50, early_stopping=True, patience=2, verbose=1, random_state=0
    ).fit(X)
    assert model.n_iter_ < 50  # stopped early
    lines = capsys.readouterr().out.splitlines()
    epochs = [int(line.split()[0]) for line in lines if line.strip()[:1].isdigit()]
    assert epochs == list(range(1, model.n_iter_ + 1))
    stop = next(i for i, line in enumerate(lines) if line.startswith("Stopping since"))
    assert lines[stop - 1].split()[0] == str(model.n_iter_)
    assert model.net_.history[-1, "time_left"] >= 0


def test_a_fit_on_fewer_than_min_rows_for_failure_rows_gives_no_convergence_warning():
    """Mutation audit (m16): the "learned nothing usable" ConvergenceWarning
    needs MIN_ROWS_FOR_FAILURE (64) rows or more: the spread of fewer rows says
    too little. 63 rows at lr=0.3 end a little worse than they started (not
    diverged): no warning; the mutant warned on any number of rows."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    X[:, 1] = 2 * X[:, 0] + 0.1 * rng.randn(200)
    assert len(X[:63]) < MIN_ROWS_FOR_FAILURE
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        DenoisingAutoEncoder(2, lr=0.3, max_epochs=20, random_state=0).fit(X[:63])
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_a_small_first_partial_fit_chunk_warns_about_its_scaling():
    """Mutation audit (m36): a first partial_fit chunk of fewer than
    MIN_SCALING_ROWS (10) rows fits the kept scaling on too few rows, and
    says so; the mutant warned below 2 rows only."""
    X = np.random.RandomState(0).normal(size=(10, 4))
    with pytest.warns(UserWarning, match="first partial_fit chunk has 5 row"):
        AutoEncoder(n_components=2, random_state=0).partial_fit(X[:5])
    with pytest.warns(UserWarning, match="first partial_fit chunk has 9 row"):
        AutoEncoder(n_components=2, random_state=0).partial_fit(X[:9])
    # Ten rows are enough (a mutation audit: the boundary was not pinned).
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoEncoder(n_components=2, random_state=0).partial_fit(X)
    assert not [w for w in caught if "partial_fit chunk" in str(w.message)]


def test_a_small_first_partial_fit_chunk_does_not_warn_without_scaling():
    """Mutation audit (m35): with scaling="none" nothing is fitted on the
    first chunk, so a small one gets no warning about its scaling; the mutant
    warned whatever the scaling."""
    X = np.random.RandomState(0).normal(size=(5, 4))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AutoEncoder(n_components=2, scaling="none", random_state=0).partial_fit(X)
    assert not [w for w in caught if "partial_fit chunk" in str(w.message)]


def test_a_warm_start_refuses_a_network_built_otherwise_with_the_same_shapes():
    """Mutation audit (m53): warm_start continues the fitted network only if
    the new one is built the same; the mutant compared the loss alone, so a
    subclass whose network changed its activation (every weight the same
    shape) loaded the old weights into a tanh network silently."""

    class Custom(AutoEncoder):
        act = "relu"  # how the network is built, not an __init__ parameter

        def _make_module(self, n_features):
            return dense_autoencoder(
                n_features,
                self._n_codes(),
                self._network_sizes(n_features),
                self.act,
                self._make_latent(),
            )

    X = np.random.RandomState(0).normal(size=(100, 4))
    model = Custom(2, max_epochs=2, random_state=0, warm_start=True).fit(X)
    model.act = "tanh"
    with pytest.raises(ValueError, match="the network or the loss differs from the fitted one"):
        model.fit(X)

    # Nor a loss of another type (the same network, and no weights in
    # either loss to tell them apart): a mutation audit.
    class OtherLoss(AutoEncoder):
        robust = False

        def _make_criterion(self, n_features):
            return HuberError() if self.robust else SquaredError()

    model = OtherLoss(2, max_epochs=2, random_state=0, warm_start=True).fit(X)
    model.robust = True
    with pytest.raises(ValueError, match="the network or the loss differs from the fitted one"):
        model.fit(X)


def test_offset_is_the_contamination_quantile_of_calibrated_scores_with_missing_entries():
    """Mutation audit (m68): the training rows with missing entries get their
    count's calibration before offset_ is taken as the contamination quantile
    of the training scores, so with contamination=0.1 a tenth of the training
    rows score below it, as score_samples (calibrated) scores them. The mutant
    took the quantile of the uncalibrated scores (7.7% flagged here). Checked
    against the fitted model's own scores, not fixed numbers."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    X[rng.rand(300, 5) < 0.3] = np.nan
    model = AutoEncoder(n_components=2, max_epochs=5, contamination=0.1, random_state=0).fit(X)
    scores = model.score_samples(X)
    assert np.isnan(X).any(axis=1).mean() > 0.5
    assert abs(np.mean(scores < model.offset_) - 0.1) <= 1 / len(X)
    assert_allclose(model.offset_, np.percentile(scores, 10.0), rtol=1e-3)


def test_transform_preserves_float64_and_float32_as_its_tags_say():
    """Mutation audit: the tags say transform preserves float64 and float32
    (codes in the dtype of X), which scikit-learn's dtype checks rely on.
    The mutant listed float64 only."""
    from sklearn.utils import get_tags

    assert get_tags(AutoEncoder()).transformer_tags.preserves_dtype == ["float64", "float32"]
    X = np.random.RandomState(0).normal(size=(100, 4)).astype(np.float32)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert model.transform(X).dtype == np.float32
    assert model.transform(X.astype(np.float64)).dtype == np.float64


# --- loss="huber" ----------------------------------------------------------------
def test_the_huber_loss_trains_on_huber_and_scores_on_squared_errors():
    import torch

    from skae._reconstruction import HuberError

    criterion = HuberError()
    x = torch.zeros(1, 3)
    out = {"x_hat": torch.tensor([[0.5, -3.0, 1.0]])}
    # The square within one (standardised) unit, linear beyond (2|e| - 1).
    assert_allclose(criterion.per_feature(out, x).numpy(), [[0.25, 5.0, 1.0]])
    assert_allclose(criterion.score_terms(out, x).numpy(), [[0.25, 9.0, 1.0]])


def test_the_huber_loss_is_pulled_less_by_wild_training_rows(tmp_path):
    """Eight of 408 training rows hold three values 10 standard deviations
    off: under the squared error the network bends toward them, and
    reconstructs new normal rows 7.6 times worse than under the Huber loss."""
    from skae import load

    rng = np.random.RandomState(0)
    weights = rng.normal(size=(2, 6))
    normal = rng.normal(size=(400, 2)) @ weights + 0.1 * rng.normal(size=(400, 6))
    wild = normal[:8].copy()
    wild[:, :3] += 10 * normal.std(axis=0)[:3] * rng.choice([-1, 1], size=(8, 3))
    X = np.vstack([normal, wild])
    new = rng.normal(size=(400, 2)) @ weights + 0.1 * rng.normal(size=(400, 6))
    squared = AutoEncoder(loss="squared_error", random_state=0).fit(X)
    # The Huber loss is the plain kind's default.
    huber = AutoEncoder(random_state=0).fit(X)
    assert huber.loss == "huber"
    assert type(huber.net_.criterion_).__name__ == "HuberError"
    assert _held_out_mse(huber, new) < 0.5 * _held_out_mse(squared, new)
    # It learns: the training loss falls.
    losses = huber.net_.history[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    # Its scores are squared errors: the wild rows are its outliers.
    assert set(np.argsort(huber.score_samples(X))[:8]) == set(range(400, 408))
    huber.save(tmp_path / "huber.skae")
    assert_allclose(load(tmp_path / "huber.skae").score_samples(new), huber.score_samples(new))


def test_the_variational_kind_refuses_the_huber_loss():
    from sklearn.utils._param_validation import InvalidParameterError

    from skae import VariationalAutoEncoder

    with pytest.raises(InvalidParameterError, match="'loss' parameter of VariationalAutoEncoder"):
        VariationalAutoEncoder(loss="huber").fit(np.zeros((10, 2)))
