"""Every kind finds planted outliers, with its default parameters."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from conftest import KINDS as ALL_KINDS
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal
from sklearn.metrics import roc_auc_score

from skae import AutoEncoder, VariationalAutoEncoder

KINDS = list(ALL_KINDS)


def _blob_with_far_points():
    """A Gaussian blob in 6-D and 15 points about 6 standard deviations away."""
    rng = np.random.RandomState(0)
    inliers = rng.normal(size=(300, 6))
    directions = rng.normal(size=(15, 6))
    outliers = 6.0 * directions / np.linalg.norm(directions, axis=1, keepdims=True)
    return np.vstack([inliers, outliers]), np.r_[np.zeros(300), np.ones(15)]


def _manifold_with_off_manifold_points():
    """A 2-D curved surface in 10-D, and 15 points inside its range but off it."""
    rng = np.random.RandomState(0)

    def embed(t):
        return np.column_stack(
            [
                t[:, 0],
                t[:, 1],
                np.sin(t[:, 0]),
                np.cos(t[:, 1]),
                t[:, 0] * t[:, 1],
                np.sin(t[:, 0] + t[:, 1]),
                t[:, 0] ** 2,
                np.cos(2 * t[:, 0]),
                t[:, 1] ** 2,
                np.sin(t[:, 1] - t[:, 0]),
            ]
        )

    inliers = embed(rng.uniform(-2, 2, size=(400, 2))) + 0.02 * rng.normal(size=(400, 10))
    # Each outlier is a manifold point pushed off it by 1.5 standard deviations of
    # every feature (random signs): within the data's range, off its surface.
    outliers = embed(rng.uniform(-2, 2, size=(16, 2)))
    outliers += 1.5 * rng.choice([-1.0, 1.0], size=(16, 10)) * inliers.std(axis=0)
    return np.vstack([inliers, outliers]), np.r_[np.zeros(400), np.ones(16)]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
@pytest.mark.parametrize(
    "make_data",
    [_blob_with_far_points, _manifold_with_off_manifold_points],
    ids=["blob", "manifold"],
)
def test_planted_outliers_are_found(kind, make_data):
    X, is_outlier = make_data()
    # Fit on the contaminated data, as in real use, with default parameters.
    detector = kind(random_state=0).fit(X)
    assert roc_auc_score(is_outlier, -detector.score_samples(X)) >= 0.95
    # The default threshold flags most planted outliers and few inliers.
    flagged = detector.predict(X) == -1
    assert flagged[is_outlier == 1].mean() > 0.5
    assert flagged[is_outlier == 0].mean() < 0.1


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_training_scores_do_not_depend_on_working_memory(kind, blobs):
    # Within ``working_memory`` fit keeps the per-feature errors of its one
    # pass over the training data; below it, a second pass recomputes them.
    # Both must give the same threshold (up to float32's rounding: in so
    # little memory the passes run a row at a time), and the one
    # score_samples agrees with.
    one_pass = kind(max_epochs=3, random_state=0).fit(blobs)
    with sklearn.config_context(working_memory=1e-4):
        two_passes = kind(max_epochs=3, random_state=0).fit(blobs)
    assert np.isclose(one_pass.offset_, two_passes.offset_, rtol=1e-6, atol=1e-6)
    flagged = one_pass.score_samples(blobs) < one_pass.offset_
    np.testing.assert_array_equal(one_pass.predict(blobs) == -1, flagged)
    assert 0.0 < flagged.mean() < 0.2


def test_read_only_input_is_not_copied_into_a_warning(blobs):
    X = blobs.astype(np.float32)
    X.flags.writeable = False
    model = AutoEncoder(max_epochs=2, scaling="none", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        codes = model.fit(X).transform(X)
    assert codes.shape == (len(X), 2) and np.isfinite(codes).all()


@pytest.mark.parametrize("scaling", ["auto", "none"])
def test_float32_rows_read_backwards_give_the_copy_s_results(blobs, scaling):
    """Found by a probe: float32 rows reversed (X[::-1], a negative stride)
    failed every method with torch's error, where PCA takes them."""
    X = blobs.astype(np.float32)
    backwards, copy = X[::-1, ::-1], np.ascontiguousarray(X[::-1, ::-1])
    model = AutoEncoder(max_epochs=2, scaling=scaling, random_state=0).fit(backwards)
    same = AutoEncoder(max_epochs=2, scaling=scaling, random_state=0).fit(copy)
    np.testing.assert_array_equal(model.score_samples(backwards), same.score_samples(copy))
    codes = model.transform(backwards)
    np.testing.assert_array_equal(codes, same.transform(copy))
    np.testing.assert_array_equal(
        model.inverse_transform(codes[::-1]), same.inverse_transform(codes[::-1].copy())
    )


def test_tied_scores_get_one_label_whatever_the_batch():
    """Binary rows tie: offset_ lies just below the contamination's
    percentile, so a row scored alone gets the label it gets among others
    (float32 rounding differs with the batch size by about 1e-7)."""
    from skae import ContractiveAutoEncoder, VariationalAutoEncoder

    X = np.random.RandomState(0).randint(0, 2, size=(300, 5)).astype(float)
    for cls in (ContractiveAutoEncoder, VariationalAutoEncoder):
        est = cls(contamination=0.1, max_epochs=3, random_state=0).fit(X)
        together = est.predict(X)
        alone = np.array([est.predict(X[i : i + 1])[0] for i in range(len(X))])
        np.testing.assert_array_equal(alone, together)
        assert np.mean(together == -1) <= 0.1


def test_identical_training_scores_give_one_label_with_auto_contamination():
    X = np.ones((20, 4))
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert est.predict(X[:1])[0] == 1 and np.all(est.predict(X) == 1)


@pytest.mark.parametrize("mixed", [False, True])
def test_a_constant_column_has_the_error_scale_of_a_typical_one(mixed):
    """A column constant in the training rows had the mean of the network's
    near-zero error there as its scale (30-50 times below the others'): the
    network's noise on it took the blame in 40-70% of flagged normal rows,
    and a deviation from the constant counted a million times a typical
    feature's. It now has the median scale of the varying columns."""
    import pandas as pd

    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(600, 6))
    X[:, 4] = 3.0
    data = X
    if mixed:
        data = pd.DataFrame(X, columns=list("abcdef"))
        data["kind"] = pd.Categorical(np.where(X[:, 0] > 0, "p", "q"))
    est = AutoEncoder(max_epochs=8, random_state=0).fit(data)
    varying = [0, 1, 2, 3, 5]
    assert est.error_scale_[4] == np.median(est.error_scale_[varying])
    # A row that holds the constant scores as the rows did; one that leaves
    # it by the median spread is an outlier, not a millionfold one.
    far = X[:50].copy()
    far[:, 4] += est.scale_[4]
    if mixed:
        far = pd.DataFrame(far, columns=list("abcdef")).assign(kind=data["kind"][:50].to_numpy())
    drop = est.score_samples(data[:50]) - est.score_samples(far)
    assert np.all(drop > 0) and np.all(drop < 100)


def test_more_features_than_rows_does_not_flag_every_new_row():
    """30 rows of 2,000 features get 32 codes: their sample covariance had
    directions of variance 1e-6, and every new normal row was flagged. Below
    10 rows per code the covariance is shrunk (Ledoit and Wolf)."""
    rng = np.random.RandomState(0)
    W = rng.randn(5, 2000)

    def make(n):
        return rng.randn(n, 5) @ W + 0.3 * rng.randn(n, 2000)

    X, new = make(30), make(200)
    est = AutoEncoder(max_epochs=5, random_state=0).fit(X)
    assert est.n_components_ == 32
    assert np.mean(est.predict(new) == -1) < 0.2
    eigenvalues = np.linalg.eigvalsh(est.code_covariance_)
    assert eigenvalues.min() > 1e3 * 1e-6  # not the diagonal's 1e-6 alone


def test_binary_cross_entropy_scores_the_error_not_the_entropy():
    """The raw cross-entropy of a perfect reconstruction is log 2 for an entry
    of 0.5 and 0 for one of 1.0: rows of 0s and 1s, far from data around 0.5,
    scored as the most normal and were not flagged."""
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(400, 2))
    X = np.clip(0.5 + 0.08 * (Z @ rng.randn(2, 10)) + 0.01 * rng.randn(400, 10), 0, 1)
    ae = AutoEncoder(loss="binary_crossentropy", random_state=0).fit(X)
    far = np.vstack([np.ones(10), np.zeros(10)])
    assert ae.score_samples(far).max() < np.percentile(ae.score_samples(X), 1)
    assert (ae.predict(far) == -1).all()
    # So with a categorical column beside (the mixed loss scored the raw
    # cross-entropy of the numbers: the row of 0s above the least normal
    # training row).
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(10)])
    frame["kind"] = pd.Categorical(rng.choice(["p", "q"], 400))
    mixed = AutoEncoder(loss="binary_crossentropy", random_state=0).fit(frame)
    rows = pd.DataFrame(far, columns=frame.columns[:10])
    rows["kind"] = pd.Categorical(["p", "p"], categories=["p", "q"])
    assert mixed.score_samples(rows).max() < np.percentile(mixed.score_samples(frame), 1)
    # A perfect reconstruction costs 0 whatever the value.
    criterion = ae.net_.criterion_
    x = torch.tensor([[0.0, 0.5, 1.0, 0.2]])
    logits = torch.logit(x.clamp(1e-6, 1 - 1e-6))
    assert torch.allclose(criterion.score_terms({"x_hat": logits}, x), torch.zeros(1, 4), atol=1e-4)


def test_below_ten_rows_per_code_the_code_covariance_is_shrunk():
    """Mutation audit: under 10 training rows per code (100 rows, 32 codes)
    the code Gaussian's covariance is Ledoit and Wolf's, and new normal codes
    fall below the training codes' 5% quantile about as often as 5%; from 10
    rows per code on it is the sample covariance."""
    from sklearn.covariance import ledoit_wolf

    from skae._latent_density import REG_COVAR, fit_code_gaussian, gaussian_log_density

    rng = np.random.RandomState(0)
    codes = rng.normal(size=(100, 32))
    mean, covariance = fit_code_gaussian(torch.as_tensor(codes))
    shrunk, _ = ledoit_wolf(codes - codes.mean(axis=0), assume_centered=True)
    np.testing.assert_allclose(covariance, shrunk + REG_COVAR * np.eye(32), atol=1e-12)
    assert np.linalg.eigvalsh(covariance).min() > 0.9
    new = rng.normal(size=(2000, 32))
    train = gaussian_log_density(mean, covariance, torch.as_tensor(codes)).numpy()
    fresh = gaussian_log_density(mean, covariance, torch.as_tensor(new)).numpy()
    assert np.mean(fresh < np.quantile(train, 0.05)) < 0.2
    # The boundary: 319 rows of 32 codes are shrunk, 320 are not.
    for n_rows, is_shrunk in ((319, True), (320, False)):
        codes = rng.normal(size=(n_rows, 32))
        centred = codes - codes.mean(axis=0)
        _, covariance = fit_code_gaussian(torch.as_tensor(codes))
        expected = (
            ledoit_wolf(centred, assume_centered=True)[0]
            if is_shrunk
            else centred.T @ centred / n_rows
        )
        np.testing.assert_allclose(covariance, expected + REG_COVAR * np.eye(32), atol=1e-12)


# --- regressions from a mutation audit of skae/_base.py --------------------------
def test_the_code_term_is_the_code_log_density_per_code_dimension():
    """Mutation audit (m25): the code term of score_samples (explain's last
    column) is the log-density of the code under the code Gaussian
    (code_mean_, code_covariance_), divided by n_components_: a mean per code
    dimension, as the reconstruction term is a mean per feature. The mutant
    left out the division (four times the term here). Checked against scipy's
    density of transform's codes."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 8)) + 0.05 * rng.normal(size=(300, 8))
    model = AutoEncoder(n_components=4, max_epochs=5, random_state=0).fit(X)
    Y = X[:5].copy()
    Y[2] *= 6  # far along the data's own directions: a large code term
    density = multivariate_normal(model.code_mean_, model.code_covariance_).logpdf(
        model.transform(Y)
    )
    code_term = np.asarray(model.explain(Y))[:, -1]
    assert_allclose(code_term, density / 4, rtol=1e-4)


def test_a_column_never_observed_in_training_has_error_scale_one():
    """Mutation audit (m22): a column with no observed entry in training has
    no error to measure, so its error_scale_ is exactly 1 (its errors count in
    the standardised units); the constant-column rule (the median of the
    varying columns') is for observed constant columns only. The mutant gave
    the never-observed column the median too."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:, 2] = 5.0  # constant: the rule applies to it
    X[:, 3] = np.nan  # never observed
    with pytest.warns(UserWarning, match=r"Features \[3\] have no observed value"):
        model = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    assert model.error_scale_[3] == 1.0
    assert model.error_scale_[2] == np.median(model.error_scale_[:2])


def test_error_scale_can_go_far_below_one_percent_on_low_rank_data():
    """Mutation audit (m27): error_scale_ (each feature's mean training error,
    in standardised units) is floored at 1e-6 only, against a division by 0.
    Data of rank 2 in 6 features with 0.1% noise are reconstructed to a few
    thousandths; the mutant's floor of 1e-2 raised every feature's scale to
    0.01, so their deviations counted several times less."""
    rng = np.random.RandomState(0)
    t = rng.normal(size=(500, 2))
    X = np.hstack([t, t @ rng.normal(size=(2, 4))]) + 0.001 * rng.normal(size=(500, 6))
    model = AutoEncoder(max_epochs=20, random_state=0).fit(X)
    assert np.all(model.error_scale_ >= 1e-6)
    assert np.all(model.error_scale_ < 5e-3)


def _wide_rows(rng, n):
    """Rows near a 6-dimensional subspace of 120 features."""
    basis = np.random.RandomState(1).normal(size=(6, 120))
    return rng.normal(size=(n, 6)) @ basis + 0.3 * rng.normal(size=(n, 120))


def test_early_stopping_places_the_auto_threshold_on_the_held_out_rows(monkeypatch):
    """The rows early stopping holds out score as new rows will: the fence
    of ``contamination="auto"`` is theirs, not the training rows' (which a
    network fitted to them scores better: on a small, wide table it flagged
    most new normal rows)."""
    from skae._base import AUTO_FENCE
    from skae._net import HoldOutSplit

    taken = []
    take = HoldOutSplit.take_held_out

    def spy(self):
        held_out = take(self)
        taken.append(held_out)
        return held_out

    monkeypatch.setattr(HoldOutSplit, "take_held_out", spy)
    rng = np.random.RandomState(0)
    train, new = _wide_rows(rng, 400), _wide_rows(rng, 400)
    model = AutoEncoder(max_epochs=200, early_stopping=True, random_state=0).fit(train)
    (held,) = taken
    assert len(held) == 40
    scores = model.score_samples(held.numpy() * model.scale_ + model.mean_)
    q1, q3 = np.percentile(scores, [25, 75])
    assert_allclose(model.offset_, q1 - AUTO_FENCE * (q3 - q1), rtol=1e-4)
    # Forgotten once used: not pickled with the net.
    assert model.net_.train_split.held_out is None

    # 200 epochs learn the training rows: 30% of new ones flagged, 1.8% of them.
    plain = AutoEncoder(max_epochs=200, early_stopping=False, random_state=0).fit(train)
    assert np.mean(plain.predict(new) == -1) > 0.2
    assert np.mean(model.predict(new) == -1) < 0.08


def test_a_held_out_fence_that_chance_lifts_is_capped_by_the_training_rows_fence():
    """Quartiles of 30 held-out scores move with the draw: on 300 rows of 4
    features the variational kind (which holds a tenth out from 200 rows)
    flagged 10% and 26% of new normal rows at seeds 0 and 4, where the
    training rows' fence flags about 3%. The lower of the two fences is kept."""
    rng = np.random.RandomState(1000)
    train, new = rng.normal(size=(300, 4)), rng.normal(size=(2000, 4))
    for seed in (0, 4):
        model = VariationalAutoEncoder(random_state=seed).fit(train)
        assert len(model._held_out_rows) == 30
        assert np.mean(model.predict(new) == -1) < 0.05
        # At or below the fence of every row of the fit, and of the held-out ones.
        for rows in (train, train[model._held_out_rows]):
            q1, q3 = np.percentile(model.score_samples(rows), [25, 75])
            assert model.offset_ <= q1 - 1.5 * (q3 - q1) + 1e-4 * (q3 - q1)


def test_a_contamination_share_and_few_held_out_rows_keep_the_training_rows_threshold():
    rng = np.random.RandomState(0)
    train = _wide_rows(rng, 400)
    shared = AutoEncoder(max_epochs=3, early_stopping=True, contamination=0.1, random_state=0)
    assert np.mean(shared.fit(train).predict(train) == -1) == pytest.approx(0.1)
    # 15 rows held out, fewer than 20: the training rows' fence.
    few = AutoEncoder(max_epochs=3, early_stopping=True, validation_fraction=0.05, random_state=0)
    few.fit(train[:300])
    scores = few.score_samples(train[:300])
    q1, q3 = np.percentile(scores, [25, 75])
    assert_allclose(few.offset_, q1 - 1.5 * (q3 - q1), rtol=1e-4)


# --- regressions from a mutation audit of the inference side of _base.py ---------
def test_a_row_without_values_is_an_inlier_by_a_hair():
    """Mutation audit (m01): a row with no observed value scores offset_
    itself, a decision of 0, and predict's strict "< 0" keeps it an inlier."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    est = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    rows = np.r_[X[:5], np.full((2, 4), np.nan)]
    with pytest.warns(UserWarning, match="no observed value"):
        assert est.decision_function(rows)[5:].tolist() == [0.0, 0.0]
    with pytest.warns(UserWarning, match="no observed value"):
        assert est.predict(rows)[5:].tolist() == [1, 1]


def test_the_tie_margin_counts_the_spread_of_the_scores_when_the_fence_is_zero(monkeypatch):
    """Mutation audit (m03): offset_ lies TIE_TOLERANCE * (|fence| + IQR)
    below the fence; at a fence of exactly 0 only the IQR's part is left."""
    from skae._base import TIE_TOLERANCE

    X = np.random.RandomState(0).normal(size=(200, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    scores = np.array([1.0, 1.5, 2.0, 2.5, 3.0])  # quartiles 1.5, 2.5: fence 0
    monkeypatch.setattr(est, "_calibrated", lambda x, s: (scores, None))
    est._fit_statistics(est._scaled_tensor(X, est.device_), 0, whole=False)
    assert est.offset_ == pytest.approx(-TIE_TOLERANCE * 1.0, rel=1e-9)


def test_the_held_out_fence_counts_twenty_scored_rows_and_no_empty_one():
    """Mutation audit (m07, m08): the held-out rows' fence is drawn from 20
    rows on (MIN_VALIDATION_ROWS), and held-out rows with no observed value
    (no score) neither count towards the 20 nor move the quartiles."""
    from skae._base import AUTO_FENCE
    from skae._sizing import MIN_VALIDATION_ROWS

    rng = np.random.RandomState(0)
    basis = np.random.RandomState(1).normal(size=(6, 120))
    wide = lambda n: rng.normal(size=(n, 6)) @ basis + 0.3 * rng.normal(size=(n, 120))  # noqa: E731
    train, new = wide(400), wide(MIN_VALIDATION_ROWS)
    # 200 epochs on 400 rows of 120 features: the training rows' fence is
    # far above new rows', so the held-out one is kept.
    est = AutoEncoder(max_epochs=200, early_stopping=False, random_state=0).fit(train)
    q1, q3 = np.percentile(est.score_samples(new), [25, 75])
    fence = q1 - AUTO_FENCE * (q3 - q1)
    x = est._scaled_tensor(train, est.device_)
    for held in (new, np.r_[new, np.full((15, 120), np.nan)]):
        est._fit_statistics(x, 0, whole=False, held_out=est._scaled_tensor(held, est.device_))
        assert_allclose(est.offset_, fence, rtol=1e-4)
    # One scored row fewer: too few, and the training rows' fence stands.
    short = np.r_[new[:-1], np.full((15, 120), np.nan)]
    est._fit_statistics(x, 0, whole=False, held_out=est._scaled_tensor(short, est.device_))
    assert est.offset_ > fence + 1.0


def test_a_nan_score_is_minus_inf(monkeypatch):
    """Mutation audit (m10): a score NaN (a module's overflow) is -inf, the
    most abnormal, not a NaN that predict would call an inlier."""
    X = np.random.RandomState(0).normal(size=(200, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    scores_scaled = type(est)._scores_scaled

    def nan_first(self, module, x):
        scores = scores_scaled(self, module, x).clone()
        scores[0] = float("nan")
        return scores

    monkeypatch.setattr(type(est), "_scores_scaled", nan_first)
    assert est.score_samples(X[:3])[0] == -np.inf
    assert est.predict(X[:3])[0] == -1


def test_transform_refuses_codes_that_overflow(monkeypatch):
    """Mutation audit (m22): infinite codes are an error, not returned."""
    import torch

    X = np.random.RandomState(0).normal(size=(200, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    monkeypatch.setattr(
        est.net_.module_, "encode", lambda xb: torch.full((len(xb), 2), float("inf"))
    )
    with pytest.raises(ValueError, match="transform overflowed"):
        est.transform(X)


def test_a_tiny_working_memory_scores_one_row_at_a_time():
    """Mutation audit (m35): the inference batch never drops below one row."""
    from sklearn import config_context

    X = np.random.RandomState(0).normal(size=(50, 3))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    with config_context(working_memory=1e-6):
        assert est._inference_rows() == 1
        np.testing.assert_allclose(est.score_samples(X[:3]), est.score_samples(X)[:3], rtol=1e-5)


def test_inference_runs_in_eval_mode_after_a_fit_without_early_stopping():
    """Mutation audit (m53): _apply puts the module in eval mode, where the
    encoder clips its input to the training range; the last pass of a fit
    without early stopping was a training batch."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    est = AutoEncoder(max_epochs=2, early_stopping=False, random_state=0).fit(X)
    est.net_.module_.train()  # as a training batch leaves it
    far = X[:1] * 1e3
    clipped = np.clip(far, X.min(axis=0), X.max(axis=0))
    assert_allclose(est.transform(far), est.transform(clipped), rtol=1e-5)


def test_sample_with_no_random_state_draws_from_numpys_global_state():
    """Mutation audit (m52): random_state=None draws from numpy's global
    state and advances it, as scikit-learn's check_random_state(None)."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    state = np.random.get_state()  # noqa: NPY002 (the legacy global is the point)
    try:
        np.random.seed(1)  # noqa: NPY002
        first, second = est.sample(5), est.sample(5)
        assert not np.allclose(first, second)
        np.random.seed(1)  # noqa: NPY002
        np.testing.assert_array_equal(est.sample(5), first)
    finally:
        np.random.set_state(state)  # noqa: NPY002


def test_inverse_transform_returns_the_codes_dtype():
    """Mutation audit (m47): float32 codes decode to float32, as PCA's."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    est = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert est.inverse_transform(est.transform(X.astype(np.float32))).dtype == np.float32
    assert est.inverse_transform(est.transform(X)).dtype == np.float64


def _errors_in_scaled_units(model, X):
    scaled = (X - model.mean_) / model.scale_
    rebuilt = (model.inverse_transform(model.transform(X)) - model.mean_) / model.scale_
    return scaled, rebuilt


def test_error_scale_is_the_mean_squared_error_over_every_row_early_stopping_held_out():
    """error_scale_ is what score_samples divides by: the squared error (also
    under the default Huber loss), averaged over every row given to fit, the
    tenth early stopping holds out included (its docstring)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 6)) + 0.3 * rng.normal(size=(600, 6))
    model = AutoEncoder(max_epochs=4, early_stopping=True, random_state=0).fit(X)
    assert model.loss == "huber"
    scaled, rebuilt = _errors_in_scaled_units(model, X)
    # float32 network: the pass of fit and this one agree to rounding.
    assert_allclose(model.error_scale_, ((scaled - rebuilt) ** 2).mean(axis=0), rtol=1e-4)


def test_error_scale_leaves_out_the_rows_tail_screen_left_out():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    X[:5] += 8.0  # far out in every column: the screen leaves them out
    model = AutoEncoder(max_epochs=3, tail_screen=2.0, random_state=0).fit(X)
    assert model.n_screened_ == 5
    scaled, rebuilt = _errors_in_scaled_units(model, X)
    assert_allclose(model.error_scale_, ((scaled[5:] - rebuilt[5:]) ** 2).mean(axis=0), rtol=1e-4)


def test_error_scale_of_the_cross_entropy_is_measured_above_each_entrys_entropy():
    """Under loss="binary_crossentropy" a perfect reconstruction costs 0 in
    the score (the docs' formula): the entry's own entropy is subtracted."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0.05, 0.95, size=(300, 1)) * np.ones((1, 5)) + 0.02 * rng.normal(size=(300, 5))
    X = np.clip(X, 0.01, 0.99)
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=3, random_state=0).fit(X)
    rebuilt = model.inverse_transform(model.transform(X)).astype(np.float64)
    rebuilt = np.clip(rebuilt, 1e-7, 1 - 1e-7)
    cross = -(X * np.log(rebuilt) + (1 - X) * np.log(1 - rebuilt))
    entropy = -(X * np.log(X) + (1 - X) * np.log(1 - X))
    assert_allclose(model.error_scale_, (cross - entropy).mean(axis=0), rtol=1e-3)


def test_the_fit_rows_kept_for_partial_fit_leave_in_random_order():
    """A probe: the random 256 of the fit's rows that a small chunk's
    partial_fit draws the threshold on were kept in table order, and a chunk
    pushed the first out: a table sorted with its anomalies first lost all of
    them from the sample to a chunk of 20 rows, and the threshold moved into
    the normal rows (0.6% to 7.5% of new normal rows flagged). lr=1e-12: only
    the statistics move."""
    rng = np.random.RandomState(1)
    mixing = rng.normal(size=(6, 6))
    normal = rng.normal(size=(950, 6)) @ mixing
    anomalies = rng.normal(size=(50, 6)) @ mixing + 5 * rng.normal(size=(50, 6))
    new = rng.normal(size=(3000, 6)) @ mixing
    chunk = rng.normal(size=(20, 6)) @ mixing
    table = np.vstack([anomalies, normal])
    model = AutoEncoder(contamination=0.05, random_state=1).fit(table)
    before = np.mean(model.predict(new) == -1)
    model.set_params(lr=1e-12).partial_fit(chunk)
    assert np.mean(model.predict(new) == -1) < max(3 * before, 0.03)
    # A review: a stream's chunk of 256 rows or more kept its last rows.
    model = AutoEncoder(contamination=0.05, random_state=1)
    for _ in range(3):
        model.partial_fit(table)
    before = np.mean(model.predict(new) == -1)
    model.set_params(lr=1e-12).partial_fit(chunk)
    assert np.mean(model.predict(new) == -1) < max(3 * before, 0.03)
