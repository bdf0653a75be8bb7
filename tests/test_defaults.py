"""The defaults that follow the data: bounded scaling, the "auto" sizes, the
code term of the score, and what they must guarantee with default parameters."""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import DENSE_KINDS, KINDS
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits, make_s_curve
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skae import (
    AutoEncoder,
    DenoisingAutoEncoder,
    VariationalAutoEncoder,
)
from skae._base import INFERENCE_BATCH_SIZE
from skae._latent_density import (
    CODE_RESOLUTION,
    REG_COVAR,
    _precision_cholesky,
    fit_code_gaussian,
    gaussian_log_density,
)
from skae._scaling import (
    BLOCK_ROWS,
    SCALE_FLOOR,
    fit_input_scaling,
    fit_scaling,
    input_gain,
    on_one_scale,
    scaled_tensor,
)
from skae._sizing import (
    MAX_EPOCHS,
    MIN_EPOCHS,
    SAMPLES_SEEN,
    VARIATIONAL_MAX_EPOCHS,
    auto_epochs,
    auto_hidden_layer_sizes,
    auto_n_components,
)


def near_constant_table(n=1500, seed=0):
    """10 correlated features of rank 3, then 3 features of standard deviation 1e-3."""
    rng = np.random.RandomState(seed)
    latent = rng.standard_normal((n, 3))
    signal = latent @ rng.standard_normal((3, 10)) + 0.05 * rng.standard_normal((n, 10))
    return np.hstack([signal, 1e-3 * rng.standard_normal((n, 3))])


# --- scaling and the clipped encoder input ---------------------------------------
def test_feature_scaling_is_standard_scaling_in_mixed_units():
    X = near_constant_table()
    mean, scale = fit_scaling(X, "feature", unit_interval=False)
    reference = StandardScaler().fit(X)
    np.testing.assert_allclose(mean, reference.mean_)
    np.testing.assert_allclose(scale, reference.scale_)


def test_features_centred_at_zero_are_still_divided_by_their_scale():
    """Mutation audit (M38): the network reads ``(X - mean_) / scale_`` when
    every mean is exactly 0 too (readings symmetric around 0). Skipping the
    arithmetic whenever the means were 0 fed values of 576 where 2.9 was
    meant, and the reconstructions were 170 times the data."""
    rng = np.random.RandomState(0)
    A = np.round(rng.normal(size=(100, 2)) @ rng.normal(size=(2, 6)) * 100.0)
    X = np.vstack([A, -A])
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert np.all(model.mean_ == 0.0) and np.all(model.scale_ > 10.0)
    scaled = model._scaled_tensor(X, torch.device("cpu")).numpy()
    assert_allclose(scaled, (X / model.scale_).astype(np.float32), rtol=1e-6)


def test_auto_scaling_standardises_and_attenuates_the_encoder_input():
    """ "auto" standardises exactly as "feature"; only the encoder's input gain
    attenuates the features quieter than SCALE_FLOOR times the median."""
    X = near_constant_table()
    mean, scale, gain = fit_input_scaling(X, "auto", unit_interval=False)
    reference = StandardScaler().fit(X)
    np.testing.assert_allclose(mean, reference.mean_)
    np.testing.assert_allclose(scale, reference.scale_)
    floor = SCALE_FLOOR * np.median(reference.scale_)
    np.testing.assert_allclose(gain, np.minimum(1.0, reference.scale_ / floor))
    assert np.all(gain[:10] > 0.5) and np.all(gain[10:] < 0.01)
    # Spreads within the floor of the median: no attenuation at all, so
    # standardised data train exactly as with "feature".
    standardised = StandardScaler().fit_transform(X)
    assert fit_input_scaling(standardised, "auto", unit_interval=False)[2] is None
    assert fit_input_scaling(X, "feature", unit_interval=False)[2] is None
    assert fit_input_scaling(X, "global", unit_interval=False)[2] is None


def test_blocks_of_missing_rows_do_not_hide_the_range_of_the_rest():
    """Mutation audit: a first block of rows (BLOCK_ROWS) missing every
    entry gave NaN bounds, which Python's min and numpy's min let through:
    values of 7 passed binary cross-entropy's [0, 1] check (and scored
    -inf), and a feature in units of 1e-165 was taken for constant."""
    X = np.full((BLOCK_ROWS + 904, 3), 0.5)
    X[BLOCK_ROWS:] = 7.0
    X[:BLOCK_ROWS] = np.nan
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\], but X ranges over \[7.0, 7.0\]"):
        AutoEncoder(loss="binary_crossentropy", max_epochs=1).fit(X)
    tiny = np.random.RandomState(0).normal(size=(BLOCK_ROWS + 904, 2))
    tiny[:, 0] *= 1e-165
    tiny[:BLOCK_ROWS, 0] = np.nan
    scale = fit_input_scaling(tiny, "feature", unit_interval=False)[1]
    assert 5e-166 < scale[0] < 2e-165 and 0.9 < scale[1] < 1.1


def test_a_column_that_differs_by_rounding_only_is_constant():
    """Mutation audit: 0.3 and 0.1 + 0.2 differ by one ulp; taken for a
    spread, the column was divided by about 1e-17."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    X[:, 0] = np.where(rng.uniform(size=200) < 0.5, 0.3, 0.1 + 0.2)
    mean, scale, _ = fit_input_scaling(X, "feature", unit_interval=False)
    assert scale[0] == scale[1] and mean[0] == 0.3


def test_auto_scaling_sees_shared_bounds_through_missing_entries():
    """Mutation audit: indicators with missing entries are on one fixed
    scale; bounds taken with NaN let through scaled them per feature."""
    rng = np.random.RandomState(0)
    P = (rng.uniform(size=(400, 6)) < [0.5, 0.5, 0.5, 0.5, 0.05, 0.05]).astype(float)
    P[rng.uniform(size=P.shape) < 0.1] = np.nan
    _, scale, gain = fit_input_scaling(P, "auto", unit_interval=False)
    assert np.ptp(scale) == 0.0 and gain is None


@pytest.mark.parametrize("scaling", ["auto", "none"])
def test_float32_rows_with_negative_strides_give_a_contiguous_copys_results(scaling):
    """Mutation audit: torch refuses negative strides; nothing tested that
    reversed float32 views are copied first."""
    X = np.random.RandomState(0).normal(size=(200, 4)).astype(np.float32)
    for view in (X[::-1], X[:, ::-1]):
        copy = np.ascontiguousarray(view)
        model = AutoEncoder(scaling=scaling, max_epochs=2, random_state=0).fit(view)
        twin = AutoEncoder(scaling=scaling, max_epochs=2, random_state=0).fit(copy)
        assert_array_equal(model.transform(view), twin.transform(copy))
        assert_array_equal(model.score_samples(view), twin.score_samples(copy))


def test_auto_scaling_keeps_one_scale_for_data_on_fixed_bounds():
    """Pixels, 0/1 indicators and min-max scaled columns share their bounds:
    "auto" centres each feature and divides all by one scale (the root mean
    square of their standard deviations), so a quiet feature stays quiet."""
    X = load_digits().data / 16.0
    mean, scale, gain = fit_input_scaling(X, "auto", unit_interval=False)
    std = X.std(axis=0)
    varies = std > 0
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(scale[varies], np.sqrt(np.mean(std[varies] ** 2)))
    # Constant pixels: the one scale too (a blank pixel that lights up counts as a pixel).
    np.testing.assert_allclose(scale[~varies], np.sqrt(np.mean(std[varies] ** 2)))
    assert gain is None
    # A table min-max scaled by scikit-learn (bounds 0 and 1 up to rounding).
    table = MinMaxScaler().fit_transform(near_constant_table())
    assert on_one_scale(table, table.std(axis=0) == 0)
    # The same table in its own units: each bound is reached by one feature.
    raw = near_constant_table()
    assert not on_one_scale(raw, raw.std(axis=0) == 0)
    # Standardised data have no shared bounds; fewer than two varying features
    # are not a scale.
    assert not on_one_scale(StandardScaler().fit_transform(X), std == 0)
    assert not on_one_scale(X[:, [0, 10]], np.array([True, False]))
    # More than half of the features must reach each bound: exactly half is not enough.
    rng = np.random.RandomState(0)
    # (The other two reach the bottom only, as a border pixel does.)
    bottom_only = np.vstack([np.zeros((1, 2)), rng.uniform(0.0, 0.8, (49, 2))])
    half = np.column_stack([np.linspace(0, 1, 50), np.linspace(1, 0, 50), bottom_only])
    assert not on_one_scale(half, np.zeros(4, bool))
    assert on_one_scale(np.column_stack([half, np.linspace(0, 1, 50)]), np.zeros(5, bool))


def indicators_and_rates(n_rows, seed):
    """Six 0/1 indicators and two rates of 5e-4 +- 1e-4 (a probe's table)."""
    rng = np.random.RandomState(seed)
    flags = (rng.uniform(size=(n_rows, 6)) < 0.3).astype(float)
    return np.column_stack([flags, 5e-4 + 1e-4 * rng.standard_normal((n_rows, 2))])


def test_a_measurement_that_reaches_neither_bound_makes_the_units_mixed():
    """Indicators share their bounds, but a rate among them that reaches
    neither is in units of its own: "auto" standardises every feature then.
    On one scale, the rate was 4,600 times quieter than the indicators, the
    network ignored it, and a value 100 of its standard deviations out
    ranked 959th of 1,000 rows."""
    X = indicators_and_rates(400, 0)
    constant = np.zeros(8, bool)
    assert not on_one_scale(X, constant)
    # The same rates, each floored at a bound, are taken for quiet pixels.
    assert on_one_scale(np.column_stack([X[:, :6], X[:, 6:] - X[:, 6:].min(axis=0)]), constant)
    assert on_one_scale(X[:, :6], constant[:6])
    _, scale, _ = fit_input_scaling(X, "auto", unit_interval=False)
    np.testing.assert_allclose(scale, X.std(axis=0))
    model = AutoEncoder(random_state=0).fit(X)
    new = indicators_and_rates(300, 1)
    new[0, 7] = X[:, 7].mean() + 10 * X[:, 7].std()
    scores = model.score_samples(new)
    assert np.argmin(scores) == 0
    assert model.predict(new[:1])[0] == -1
    assert np.argmin(model.explain(new[:1])[0, :8]) == 7


@pytest.mark.parametrize("cls", DENSE_KINDS)
def test_no_amplification_on_noisy_digits(cls):
    """Issue 14's goal as a test: with the defaults, reconstructing noisy
    digits (Gaussian noise of 0.25, clipped to [0, 1]) lands closer to the
    clean digits than the noisy digits are."""
    X = load_digits().data / 16.0
    train, test = X[:1400], X[1400:]
    noisy = np.clip(test + np.random.RandomState(0).normal(scale=0.25, size=test.shape), 0, 1)
    model = cls(n_components=16, random_state=0).fit(train)
    denoised = model.inverse_transform(model.transform(noisy))
    assert np.mean((denoised - test) ** 2) < 0.9 * np.mean((noisy - test) ** 2)


def test_input_gain_divides_a_constant_feature_by_at_least_the_floor():
    scale = np.array([1e-4, 0.02, 0.03, 1.0])
    constant = np.array([False, False, False, True])
    gain = input_gain(scale, constant)
    floor = SCALE_FLOOR * 0.02
    np.testing.assert_allclose(gain, [1e-4 / floor, 1.0, 1.0, 1.0])
    # A constant feature's scale (1, a placeholder) becomes the median
    # scale: it needs no attenuation, whatever the units. Read as 1 beside
    # scales of 20 and 30, it was attenuated 6-fold (a review).
    large = input_gain(np.array([0.1, 20.0, 30.0, 1.0]), constant)
    np.testing.assert_allclose(large, [0.1 / (SCALE_FLOOR * 20.0), 1.0, 1.0, 1.0])
    assert input_gain(scale, np.ones(4, bool)) is None
    # The floor is 0.3 of the median scale (mutation audit: the tests above
    # follow the constant): 0.4 of it is not attenuated, 0.2 is, to 2/3.
    varying = np.zeros(4, bool)
    assert input_gain(np.array([1.0, 1.0, 1.0, 0.4]), varying) is None
    np.testing.assert_allclose(input_gain(np.array([1.0, 1.0, 1.0, 0.2]), varying)[3], 2 / 3)


def test_a_denoiser_with_a_constant_feature_does_not_depend_on_the_units():
    """Review finding: the constant feature's gain was read from its
    placeholder scale, so X * 128 (exact in floating point) attenuated its
    noised entries 38-fold where X did not, and trained another denoiser."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 5))
    X[:, 0] *= 0.1  # attenuated: the gain is not None
    X[:, 4] = 3.0
    a = DenoisingAutoEncoder(max_epochs=3, random_state=0).fit(X)
    b = DenoisingAutoEncoder(max_epochs=3, random_state=0).fit(X * 128.0)
    assert_array_equal(b.scale_, a.scale_ * 128.0)
    assert_array_equal(a.score_samples(X), b.score_samples(X * 128.0))


def test_a_constant_feature_is_divided_by_the_median_scale():
    rng = np.random.RandomState(0)
    X = np.c_[rng.standard_normal((100, 3)) * [1.0, 2.0, 9.0], np.full(100, 7.0)]
    mean, scale = fit_scaling(X, "feature", unit_interval=False)
    assert mean[3] == 7.0 and scale[3] == np.median(scale[:3])
    _, scale = fit_scaling(np.full((10, 2), 3.0), "feature", unit_interval=False)
    assert_array_equal(scale, [1.0, 1.0])  # nothing to take a scale from


@pytest.mark.parametrize("constant", [5.0, 1e25, 1e100])
def test_a_constant_feature_reaches_the_network_as_zero_whatever_its_value(constant):
    """Centred on its value, not on its float64 mean: a constant of 1e25 is
    2**31 from that mean, which collapsed every code, and 1e100 overflowed."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:10, 0] += 4.0
    model = AutoEncoder(max_epochs=3, random_state=0).fit(np.c_[X, np.full(200, constant)])
    reference = AutoEncoder(max_epochs=3, random_state=0).fit(np.c_[X, np.full(200, 5.0)])
    assert model.mean_[-1] == constant
    assert_allclose(
        model.score_samples(np.c_[X, np.full(200, constant)]),
        reference.score_samples(np.c_[X, np.full(200, 5.0)]),
        rtol=1e-6,
    )


def test_a_jump_of_a_constant_feature_is_found_in_any_units():
    """A constant divided by 1 (StandardScaler's rule) weighed a deviation by
    the units of X: in units of 1e-6 a jump of 95 units went unnoticed."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(300, 3)), np.full(300, 5.0)]
    odd = X[:3].copy()
    odd[:, 3] = 100.0
    labels = {}
    for units in (1.0, 1e-6, 1e6):
        model = AutoEncoder(max_epochs=3, random_state=0).fit(X * units)
        assert_array_equal(model.predict(odd * units), -1)
        labels[units] = model.predict(X * units)
    # The units change nothing else either.
    assert_array_equal(labels[1e-6], labels[1.0])
    assert_array_equal(labels[1e6], labels[1.0])


@pytest.mark.parametrize("scaling", ["none", "global"])
def test_the_clipping_range_is_the_training_range_when_zero_lies_outside_it(scaling):
    """Mutation audit: the range was widened to take in 0, the fill of a
    missing entry once; with scaling that does not centre each feature, data
    in [5, 10] let inputs down to 0 through unclipped. Missing entries are
    filled with the feature's mean, inside the range."""
    X = np.random.RandomState(0).uniform(5.0, 10.0, size=(100, 3))
    model = AutoEncoder(n_components=2, scaling=scaling, max_epochs=2, random_state=0).fit(X)
    module = model.net_.module_
    x = (X - model.mean_) / model.scale_
    np.testing.assert_allclose(module.input_low.numpy(), x.min(axis=0), rtol=1e-6)
    low = X.min(axis=0)
    below = np.array([[1.0, 7.0, 7.0]])
    np.testing.assert_allclose(
        model.transform(below), model.transform([[low[0], 7.0, 7.0]]), rtol=1e-5
    )
    holes = np.array([[np.nan, 7.0, 7.0]])
    assert np.isfinite(model.transform(holes)).all()


def test_the_encoder_input_is_clipped_to_the_training_range():
    X = near_constant_table(300)
    model = AutoEncoder(max_epochs=2, scaling="feature", random_state=0).fit(X[:200])
    module = model.net_.module_
    x = torch.as_tensor((X[:200] - model.mean_) / model.scale_, dtype=torch.float32)
    np.testing.assert_allclose(module.input_low.numpy(), x.amin(dim=0).numpy())
    np.testing.assert_allclose(module.input_high.numpy(), x.amax(dim=0).numpy())
    # A row far beyond the range has the code of the row clipped to it ...
    far = X[:1] + 1e3
    clipped = np.clip(far, X[:200].min(axis=0), X[:200].max(axis=0))
    np.testing.assert_allclose(model.transform(far), model.transform(clipped), rtol=1e-5)
    # ... but its full distance from the reconstruction counts in the score.
    assert model.score_samples(far)[0] < model.score_samples(clipped)[0] - 1e3
    # partial_fit widens the range to the new rows.
    model.partial_fit(X[200:] * 2)
    assert np.all(module.input_high.numpy() >= x.amax(dim=0).numpy())
    assert module.input_high.numpy().max() > x.amax(dim=0).numpy().max()


@pytest.mark.parametrize("cls", DENSE_KINDS)
def test_noise_on_near_constant_features_stays_bounded(cls):
    """Noise of 100 times a near-constant feature's spread (1,000 times louder
    once standardised) moves the reconstruction no more than the clipped
    noise does, a small fraction of what the unclipped network would make of
    it."""
    X = near_constant_table(2000)
    train, test = X[:1500], X[1500:]
    noise = 0.1 * np.random.RandomState(1).standard_normal(test.shape)
    noise[:, :10] = 0.0
    # 20 epochs for every kind (the variational one would take 100 here): the
    # clipping does not depend on the training length. "feature" scaling: the
    # clipping alone, without the default's attenuation.
    model = cls(n_components=3, max_epochs=20, scaling="feature", random_state=0).fit(train)
    module = model.net_.module_

    def moved(A):
        reconstruct = model.inverse_transform
        return np.mean((reconstruct(model.transform(A)) - reconstruct(model.transform(test))) ** 2)

    clipped = np.clip(test + noise, train.min(axis=0), train.max(axis=0))
    bounded = moved(test + noise)
    np.testing.assert_allclose(bounded, moved(clipped), rtol=1e-4)
    module.input_low.fill_(-np.inf)
    module.input_high.fill_(np.inf)
    assert 10 * bounded < moved(test + noise)


@pytest.mark.parametrize("cls", DENSE_KINDS)
def test_default_scaling_keeps_near_constant_noise_below_the_noise(cls):
    """With the defaults, noise of 100 times a near-constant feature's spread
    moves the reconstruction, in the data's units, by less than the noise
    itself (PCA's guarantee: a projection never amplifies), where plain
    per-feature standardisation moves it by far more."""
    X = near_constant_table(2000)
    train, test = X[:1500], X[1500:]
    noise = 0.1 * np.random.RandomState(1).standard_normal(test.shape)
    noise[:, :10] = 0.0
    moved = {}
    for scaling in ("auto", "feature"):
        model = cls(n_components=3, max_epochs=20, scaling=scaling, random_state=0).fit(train)
        clean = model.inverse_transform(model.transform(test))
        noisy = model.inverse_transform(model.transform(test + noise))
        moved[scaling] = np.mean((noisy - clean) ** 2)
    noise_mse = np.mean(noise**2)
    assert moved["auto"] < noise_mse < 0.1 * moved["feature"], (moved, noise_mse)


# --- sizes -----------------------------------------------------------------
def test_auto_epochs_is_a_budget_of_samples_seen():
    assert auto_epochs(SAMPLES_SEEN // 20) == 20
    assert auto_epochs(10) == MAX_EPOCHS
    assert auto_epochs(10**7) == MIN_EPOCHS
    epochs = [auto_epochs(n) for n in (100, 1000, 10_000, 100_000)]
    assert epochs == sorted(epochs, reverse=True)


def test_the_variational_kind_spends_the_same_budget_over_up_to_200_epochs():
    # The density model: same samples seen, but small tables are not cut at 20 epochs.
    assert auto_epochs(1500, VARIATIONAL_MAX_EPOCHS) == 100 > auto_epochs(1500) == MAX_EPOCHS
    assert VariationalAutoEncoder()._n_epochs(1500) == 100
    assert VariationalAutoEncoder()._n_epochs(10) == VARIATIONAL_MAX_EPOCHS
    assert VariationalAutoEncoder()._n_epochs(10**6) == MIN_EPOCHS
    assert AutoEncoder()._n_epochs(1500) == MAX_EPOCHS
    assert VariationalAutoEncoder(max_epochs=7)._n_epochs(1500) == 7


def test_auto_hidden_layer_sizes_follow_the_features():
    assert auto_hidden_layer_sizes(8) == (64, 32)
    assert auto_hidden_layer_sizes(784) == (512, 256)
    widths = [auto_hidden_layer_sizes(d)[0] for d in (2, 30, 100, 200, 400, 5000)]
    assert widths == sorted(widths)
    assert all(64 <= w <= 512 and w & (w - 1) == 0 for w in widths)


def test_auto_widths_carry_the_codes():
    # 16 units per code next to the code, twice that before it.
    assert auto_hidden_layer_sizes(64, 16) == (512, 256)
    assert auto_hidden_layer_sizes(64, 8) == (256, 128)
    assert auto_hidden_layer_sizes(64, 2) == (64, 32)
    assert auto_hidden_layer_sizes(20, 1000) == (512, 256)  # bounded
    # The codes "auto" gives never widen the network the features give.
    for d in range(1, 3000):
        assert auto_hidden_layer_sizes(d, auto_n_components(d)) == auto_hidden_layer_sizes(d)


def test_auto_n_components_is_one_code_per_32_features():
    assert [auto_n_components(d) for d in (1, 8, 95, 96, 166, 512, 784, 5000)] == [
        2,
        2,
        2,
        3,
        5,
        16,
        24,
        32,
    ]


def test_the_default_unrolls_a_curved_3d_manifold_better_than_pca():
    """Two codes of an S curve (3 features, 1,000 training rows): the default
    reconstructs held-out rows with less than half PCA's error (0.050
    against 0.111). A 16-8 network, which a rejected rule gave tables of 3
    or 4 features, was five times worse than PCA here (0.562)."""
    X, _ = make_s_curve(2000, noise=0.05, random_state=0)
    train, test = X[:1000], X[1000:]
    pca = PCA(2).fit(train)
    reference = np.mean((test - pca.inverse_transform(pca.transform(test))) ** 2)
    model = AutoEncoder(n_components=2, random_state=0).fit(train)
    error = np.mean((test - model.inverse_transform(model.transform(test))) ** 2)
    assert error < 0.6 * reference


def test_auto_values_reach_the_network():
    X = np.random.RandomState(0).standard_normal((3000, 200))
    # Noise: the held-out loss would stop it early.
    model = AutoEncoder(random_state=0, max_epochs="auto", early_stopping=False).fit(X)
    assert model.n_iter_ == auto_epochs(3000)
    linear = [m for m in model.net_.module_.encoder if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [*auto_hidden_layer_sizes(200), 6]
    assert model.hidden_layer_sizes_ == auto_hidden_layer_sizes(200)
    wide = AutoEncoder(n_components=16, max_epochs=1, random_state=0).fit(X[:200, :64])
    linear = [m for m in wide.net_.module_.encoder if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [512, 256, 16]
    assert wide.hidden_layer_sizes_ == (512, 256)
    assert model.get_params()["hidden_layer_sizes"] == "auto"
    assert model.get_params()["n_components"] == "auto"
    assert model.n_components_ == auto_n_components(200) == 6
    assert model.transform(X).shape == (3000, 6)
    assert model.get_feature_names_out().shape == (6,)
    assert model.inverse_transform(model.transform(X[:5])).shape == (5, 200)
    with pytest.raises(ValueError, match="expecting 6 features"):
        model.inverse_transform(np.zeros((5, 2)))


def test_explicit_values_override_the_rules():
    X = np.random.RandomState(0).standard_normal((200, 5))
    model = AutoEncoder(hidden_layer_sizes=(7,), max_epochs=3, random_state=0).fit(X)
    assert model.n_iter_ == 3
    linear = [m for m in model.net_.module_.encoder if isinstance(m, torch.nn.Linear)]
    assert [m.out_features for m in linear] == [7, 2]
    wide = np.random.RandomState(0).standard_normal((100, 300))
    model = AutoEncoder(n_components=3, max_epochs=1, random_state=0).fit(wide)
    assert model.n_components_ == 3 and model.transform(wide).shape == (100, 3)
    # partial_fit continues the fitted network, which keeps its codes: another
    # n_components is refused, as IncrementalPCA.partial_fit refuses it.
    with pytest.raises(ValueError, match="partial_fit continues the fitted network.*n_components"):
        model.set_params(n_components=5).partial_fit(wide)
    assert model.n_components_ == 3 and model.transform(wide).shape == (100, 3)


# --- the code term of the score ------------------------------------------------
def test_code_gaussian_is_the_mean_and_covariance_of_the_codes():
    codes = np.random.RandomState(0).standard_normal((300, 3)) @ np.diag([1.0, 2.0, 0.5])
    mean, covariance = fit_code_gaussian(torch.as_tensor(codes))
    np.testing.assert_allclose(mean, codes.mean(axis=0))
    np.testing.assert_allclose(covariance, np.cov(codes.T, bias=True) + REG_COVAR * np.eye(3))
    z = np.random.RandomState(1).standard_normal((5, 3))
    ours = gaussian_log_density(mean, covariance, torch.as_tensor(z)).numpy()
    np.testing.assert_allclose(ours, multivariate_normal(mean, covariance).logpdf(z))


def test_the_code_gaussian_is_no_narrower_than_float32_resolves_the_codes():
    """Codes of 1e4 that vary by 1e-3 (float32's resolution there) get a
    variance of (1e-5 of their size)^2, not REG_COVAR alone; scaled codes
    are not moved."""
    rng = np.random.RandomState(0)
    codes = np.array([1.6e4, -3e3]) + 1e-3 * rng.standard_normal((200, 2))
    _, covariance = fit_code_gaussian(torch.as_tensor(codes))
    floor = (CODE_RESOLUTION**2) * (codes**2).mean(axis=0)
    np.testing.assert_allclose(np.diag(covariance), np.var(codes, axis=0) + REG_COVAR + floor)
    assert covariance[0, 0] > 0.02 and covariance[1, 1] > 9e-4


def test_rows_far_from_zero_score_nearly_alike_in_any_batch():
    """Unscaled rows near 1e6 give codes near 1e4, which float32 computes
    to about 1e-2 differently in batches of other sizes: two identical rows
    scored 7.6 apart; rows near 1e5 moved by up to 1.16 (the scores'
    interquartile range 0.38) and 7 of 300 changed their label scored one
    at a time. What remains is float32's (see ``scaling="none"``)."""
    X = np.tile([3.0, -2.0, 1e6], (100, 1))
    ae = AutoEncoder(scaling="none", max_epochs=2, random_state=0).fit(X)
    scores = ae.score_samples(X)
    assert np.ptp(scores) == 0.0
    np.testing.assert_allclose(ae.score_samples(X[:2]), scores[:2], atol=0.02)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 1)) @ rng.normal(size=(1, 4)) + 0.01 * rng.normal(size=(300, 4))
    X += 1e5
    ae = AutoEncoder(scaling="none", max_epochs=3, random_state=0).fit(X)
    scores = ae.score_samples(X)
    alone = np.array([ae.score_samples(X[i : i + 1])[0] for i in range(len(X))])
    spread = np.subtract(*np.percentile(scores, [75, 25]))
    assert np.abs(alone - scores).max() < 0.25 * spread


def test_a_tight_group_of_training_anomalies_is_not_called_normal():
    """Clustered anomalies (2% of the rows, near-duplicates far from the bulk)
    are in the training data: a mixture on the codes would give them their
    own component; the default score still ranks them as outliers."""
    rng = np.random.RandomState(0)
    latent = rng.standard_normal((1000, 2))
    normal = latent @ rng.standard_normal((2, 6)) + 0.1 * rng.standard_normal((1000, 6))
    centre = 5 * normal.std(axis=0) * np.sign(rng.standard_normal(6))
    anomalies = centre + 0.05 * rng.standard_normal((20, 6))
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(1000), np.ones(20)]
    model = AutoEncoder(random_state=0).fit(X)
    assert roc_auc_score(y, -model.score_samples(X)) > 0.95


def test_float32_rows_are_scaled_as_numpy_does_without_touching_them():
    """float32 input is scaled where it is trained on (the device), with the
    same float32 arithmetic as numpy, and the caller's array is left alone."""
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(50, 4)) * [1.0, 10.0, 0.1, 1000.0] + 3.0).astype(np.float32)
    original = X.copy()
    mean, scale = fit_scaling(X, "feature", unit_interval=False)
    x = scaled_tensor(X, mean, scale, torch.device("cpu"))
    expected = (X - mean.astype(np.float32)) / scale.astype(np.float32)
    assert x.dtype == torch.float32
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(X, original)


def test_a_large_table_trains_on_a_fresh_subset_each_epoch(monkeypatch):
    """Above ROWS_PER_EPOCH rows, "auto" epochs are random subsets of that many
    rows, so the training cost stops growing with the rows."""
    import skae._sizing

    monkeypatch.setattr(skae._sizing, "ROWS_PER_EPOCH", 256)
    X = np.random.RandomState(0).normal(size=(1000, 4))
    model = AutoEncoder(batch_size=64, random_state=0).fit(X)
    assert model.net_.rows_per_epoch == 256
    assert model.n_iter_ == auto_epochs(1000)
    assert all(row["train_batch_count"] == 4 for row in model.net_.history)
    # An explicit training length makes full passes; so does partial_fit.
    full = AutoEncoder(max_epochs=2, batch_size=64, random_state=0).fit(X)
    assert full.net_.rows_per_epoch is None
    assert all(row["train_batch_count"] == 16 for row in full.net_.history)
    assert AutoEncoder(random_state=0).partial_fit(X).net_.rows_per_epoch is None
    # A table at the threshold keeps whole epochs.
    assert AutoEncoder(random_state=0).fit(X[:256]).net_.rows_per_epoch is None


@pytest.mark.parametrize("kind", list(KINDS))
def test_auto_batch_size_and_rate_grow_above_200000_rows(kind):
    """``batch_size="auto"`` is 64 up to 200,000 training rows and 256 above;
    ``lr="auto"`` follows the batch by the square-root rule; explicit values
    are kept as given."""
    model = kind()
    assert (model.batch_size, model.lr) == ("auto", "auto")
    assert [model._batch_size(n) for n in (None, 10, 200_000, 200_001, 10**7)] == [
        64,
        64,
        64,
        256,
        256,
    ]
    assert model._lr(64) == pytest.approx(1e-3)
    assert model._lr(256) == pytest.approx(2e-3)
    assert model._lr(16) == pytest.approx(5e-4)
    explicit = kind(batch_size=np.int16(32), lr=np.float32(0.01))
    assert explicit._batch_size(10**7) == 32 and isinstance(explicit._batch_size(1), int)
    assert explicit._lr(256) == pytest.approx(0.01)
    assert kind(batch_size=32)._lr(32) == pytest.approx(1e-3 * 0.5**0.5)


def test_a_batch_size_above_the_rows_trains_as_one_batch_of_them():
    """Fewer rows than ``batch_size`` make one batch, and ``lr="auto"`` is the
    rate of that batch: any larger ``batch_size`` fits the same model, in
    ``fit`` and in ``partial_fit`` (from the nominal 10,000,000, a rate of
    0.395 diverged on 200 rows; a probe)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 6)) + 0.1 * rng.normal(size=(200, 6))
    codes, streamed = [], []
    for batch_size in (200, 1000, 10_000_000):
        model = AutoEncoder(batch_size=batch_size, max_epochs=5, random_state=0).fit(X)
        assert model.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(
            1e-3 * (200 / 64) ** 0.5
        )
        codes.append(model.transform(X))
        chunks = AutoEncoder(batch_size=batch_size, random_state=0)
        for chunk in np.array_split(X, 2):
            chunks.partial_fit(chunk)
        streamed.append(chunks.transform(X))
    for other, other_streamed in zip(codes[1:], streamed[1:], strict=True):
        # The same steps; float32 kernels may round differently by 1e-7.
        np.testing.assert_allclose(other, codes[0], atol=1e-5)
        np.testing.assert_allclose(other_streamed, streamed[0], atol=1e-5)
    # Below a batch of 64 rows the rate stays the default batch's (or that
    # of a smaller batch_size): small tables train as the defaults were chosen.
    assert AutoEncoder()._lr(64, 16) == pytest.approx(1e-3)
    assert AutoEncoder()._lr(1000, 16) == pytest.approx(1e-3)
    assert AutoEncoder()._lr(16, 8) == pytest.approx(5e-4)


def test_a_stream_of_small_chunks_trains_at_the_rate_of_their_rows():
    """A probe: after a fit, one-row partial_fit chunks each took a step at
    the rate of 64 rows, with far more gradient noise, and 100 of them raised
    the held-out error of a digits model by 89%; at their own rows' rate, by
    4%, and a stream still learns."""
    X = load_digits().data / 16
    X = X[np.random.RandomState(0).permutation(len(X))]
    train, stream, test = X[:600], X[600:700], X[800:1200]
    model = AutoEncoder(n_components=8, max_epochs=20, random_state=0).fit(train)

    def error(m):
        return np.mean((m.inverse_transform(m.transform(test)) - test) ** 2)

    before = error(model)
    for row in stream:
        model.partial_fit(row[None])
    assert error(model) < 1.15 * before
    assert model.net_.lr == pytest.approx(1e-3 / 8)
    # The rows' rate, without fit's floor of 64: 16 rows train at half the rate.
    assert AutoEncoder()._lr(64, 16, chunk=True) == pytest.approx(5e-4)
    assert AutoEncoder()._lr(64, 1000, chunk=True) == pytest.approx(1e-3)
    # From scratch, a stream of 8-row chunks learns.
    fresh = AutoEncoder(n_components=8, random_state=0)
    for chunk in np.array_split(train, 75):
        fresh.partial_fit(chunk)
    start = AutoEncoder(n_components=8, random_state=0).partial_fit(train[:8])
    assert error(fresh) < 0.7 * error(start)


def test_a_large_table_trains_in_larger_batches_at_a_larger_rate(monkeypatch, tmp_path):
    """Above the large-table threshold (lowered here) a default fit trains
    in batches of 256 at lr 2e-3, over subsets; a saved and loaded model keeps
    that rate; a later partial_fit on a small chunk goes back to 64 rows and
    lr 1e-3; explicit values win."""
    import skae._sizing
    from skae import load

    monkeypatch.setattr(skae._sizing, "LARGE_TABLE_ROWS", 500)
    monkeypatch.setattr(skae._sizing, "ROWS_PER_EPOCH", 800)
    X = np.random.RandomState(0).normal(size=(1000, 4))
    model = AutoEncoder(random_state=0).fit(X)
    net = model.net_
    assert (net.batch_size, net.rows_per_epoch) == (256, 800)
    assert net.lr == pytest.approx(2e-3)
    assert [group["lr"] for group in net.optimizer_.param_groups] == pytest.approx([2e-3])
    assert all(row["train_batch_count"] == 4 for row in net.history)  # 800 rows / 256
    losses = [row["train_loss"] for row in net.history]
    assert losses[-1] < 0.8 * losses[0]
    model.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    assert loaded.lr == "auto" and loaded.net_.lr == pytest.approx(2e-3)
    assert loaded.net_.batch_size == 256  # the fit's, not a rebuilt net's 64
    rates = [group["lr"] for group in loaded.net_.optimizer_.param_groups]
    assert rates == pytest.approx([2e-3])
    model.partial_fit(X[:100])
    assert model.net_.batch_size == 64 and model.net_.history[-1, "train_batch_count"] == 2
    rates = [group["lr"] for group in model.net_.optimizer_.param_groups]
    assert rates == pytest.approx([1e-3])
    # Between the two thresholds: batches of 256 over every row, no subsets.
    middle = AutoEncoder(random_state=0).fit(X[:700])
    assert (middle.net_.batch_size, middle.net_.rows_per_epoch) == (256, None)
    assert all(row["train_batch_count"] == 3 for row in middle.net_.history)  # 700 / 256
    small = AutoEncoder(random_state=0).fit(X[:400])
    assert (small.net_.batch_size, small.net_.rows_per_epoch) == (64, None)
    assert small.net_.lr == pytest.approx(1e-3)
    explicit = AutoEncoder(batch_size=100, lr=5e-3, random_state=0).fit(X)
    assert (explicit.net_.batch_size, explicit.net_.lr) == (100, 5e-3)
    assert explicit.net_.history[0, "train_batch_count"] == 8  # 800 rows / 100


def test_batches_counted_are_the_batches_given():
    """Mutation audit of ``TensorBatches`` (m01, m04): ``len`` is the number
    of batches an epoch yields, and every shard takes as many steps, for any
    count of processes. A subset larger than the rows (early stopping's
    held-out tenth below ``ROWS_PER_EPOCH``) counted 10 batches where 4 came;
    padding by ``len % processes`` instead of ``-len % processes`` (the same
    for 2) gave 3 shards 3, 3 and 2 steps, and a data-parallel step waits for
    every process."""
    from skae._net import TensorBatches

    batches = TensorBatches(torch.zeros(100, 1), 32, shuffle=True, rows=300)
    assert len(batches) == len(list(batches)) == 4
    X = torch.arange(7.0)[:, None]
    steps = []
    for rank in range(3):
        torch.manual_seed(0)
        batches = TensorBatches(X, 3, shuffle=True, shard=(rank, 3))
        sizes = [len(batch) for batch in batches]
        assert len(sizes) == len(batches)
        steps.append(len(sizes))
    assert steps == [len(batches)] * 3


def test_each_subset_epoch_draws_other_rows():
    from skae._net import TensorBatches

    X = torch.arange(1000, dtype=torch.float32)[:, None]
    batches = TensorBatches(X, batch_size=64, shuffle=True, rows=300)
    assert len(batches) == 5
    torch.manual_seed(0)
    first = torch.cat(list(batches)).flatten()
    second = torch.cat(list(batches)).flatten()
    assert len(first) == len(second) == 300
    # Without replacement within an epoch, different rows across epochs.
    assert len(first.unique()) == 300 and not torch.equal(first.sort()[0], second.sort()[0])
    # Inference passes (no shuffling) keep every row.
    assert len(torch.cat(list(TensorBatches(X, 64, shuffle=False, rows=300)))) == 1000


def test_the_code_gaussian_is_factorised_once_not_per_batch():
    """Scoring factorises the code covariance once per model: a LAPACK call per
    batch wakes the BLAS threads, which then fight torch's for the cores."""
    X = near_constant_table(600)
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    many = np.tile(X, (3 * INFERENCE_BATCH_SIZE // len(X) + 1, 1))
    _precision_cholesky.cache_clear()
    scores = model.score_samples(many)
    assert _precision_cholesky.cache_info().misses == 1
    assert _precision_cholesky.cache_info().hits >= 2
    # The cached factor gives the density scipy gives.
    z = torch.as_tensor(model.transform(X[:50]))
    expected = multivariate_normal(model.code_mean_, model.code_covariance_).logpdf(z.numpy())
    np.testing.assert_allclose(
        gaussian_log_density(model.code_mean_, model.code_covariance_, z).numpy(), expected
    )
    np.testing.assert_allclose(scores[: len(X)], model.score_samples(X), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_features_in_small_units_are_scaled_not_taken_for_constant(dtype):
    """A feature is constant when its spread is rounding relative to its
    mean, as StandardScaler decides; data in small units (1e-5 in float32,
    1e-14 in float64) are standardised like the same data in larger units."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6))
    unit = 1e-5 if dtype is np.float32 else 1e-14
    small = (X * unit).astype(dtype)
    est = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(small)
    np.testing.assert_allclose(est.scale_, small.astype(np.float64).std(axis=0), rtol=1e-5)
    codes = est.transform(small)
    assert codes.std(axis=0).min() > 0.1
    error = np.sqrt(np.mean((est.inverse_transform(codes) - small) ** 2)) / small.std()
    assert error < 1.0


@pytest.mark.parametrize("offset", [1e13, -2e13])
def test_a_feature_far_from_zero_is_scaled_by_its_own_spread(offset):
    """A spread of 1.5 at 1e13 is 770 float64 epsilons of the mean, within the
    mean's rounding: it was taken for a constant, centred 1.34 off, divided
    by the other features' scale (1e-3) and an outlier elsewhere was missed.
    Adding a constant to a column must not change the model."""
    rng = np.random.RandomState(0)
    base = rng.normal(size=(400, 3))
    base[:, 2] = base[:, 0] + 0.3 * base[:, 2]
    X = np.c_[base * 1e-3, 1.5 * rng.normal(size=400)]
    shifted = X.copy()
    shifted[:, 3] += offset
    near, far = (AutoEncoder(max_epochs=5, random_state=0).fit(data) for data in (X, shifted))
    assert_allclose(far.scale_, near.scale_, rtol=1e-4)  # the offset takes digits
    assert abs(far.mean_[3] - offset - near.mean_[3]) < 0.1
    assert far.inverse_transform(far.transform(shifted))[:, 3].std() > 0.1
    odd = shifted[:40].copy()
    odd[0, 0] += 8e-3
    assert np.argmin(far.score_samples(odd)) == 0
    # Decoded as varying too: values 0 and 1.5 at 1e13 came back constant.
    two = np.c_[X[:, :3], offset + 1.5 * (X[:, 0] > 0)]
    model = AutoEncoder(max_epochs=5, random_state=0).fit(two)
    assert np.ptp(model.inverse_transform(model.transform(two))[:, 3]) > 0.5
    assert np.ptp(model.sample(200, random_state=0)[:, 3]) > 0.5


def test_a_constant_feature_is_reconstructed_and_sampled_as_its_constant():
    """Not the network's output for it, which has no units (scale 1): in
    small units that made the constant vary the most of all features."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6)) * 1e-3
    X[:, 0] = 0.005
    est = AutoEncoder(n_components=2, max_epochs=20, random_state=0).fit(X)
    # The mean, to its rounding.
    reconstructed = est.inverse_transform(est.transform(X))[:, 0]
    np.testing.assert_allclose(reconstructed, 0.005, rtol=1e-12)
    np.testing.assert_allclose(est.sample(50, random_state=0)[:, 0], 0.005, rtol=1e-12)
    # A feature that varies is not pinned.
    assert est.sample(50, random_state=0)[:, 1].std() > 0


def test_a_feature_constant_up_to_rounding_is_sampled_as_its_constant():
    """Mutation audit: a feature whose values differ by a few float64
    epsilons (1 and 1 + 5 eps) is constant (CONSTANT_ULPS of rounding);
    taken for varying, its samples spread over five values."""
    rng = np.random.RandomState(0)
    eps = np.finfo(np.float64).eps
    X = np.column_stack(
        [rng.normal(size=100), rng.normal(size=100), 1.0 + 5 * eps * (np.arange(100) % 2)]
    )
    est = AutoEncoder(n_components=2, max_epochs=2, random_state=0).fit(X)
    assert np.unique(est.sample(5, random_state=0)[:, 2]).size == 1


def test_a_tiny_varying_feature_is_not_taken_for_constant_without_scaling():
    """With scaling="none" (mean 0, scale 1) a feature that varies within
    1e-6 of zero is reconstructed by the network, not pinned to 0."""
    rng = np.random.RandomState(0)
    z = rng.normal(size=(300, 1))
    X = np.hstack([z, 2 * z, 1e-7 * (z + 3)])
    est = AutoEncoder(scaling="none", max_epochs=3, random_state=0).fit(X)
    assert np.all(est.inverse_transform(est.transform(X[:5]))[:, 2] != 0.0)
    assert est._output_map()[0][2] == 1.0


def test_float32_codes_of_huge_units_are_refused_not_inf():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) * 1e100
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    codes = est.transform(X[:3]).astype(np.float32)
    with pytest.raises(ValueError, match="pass float64 codes"):
        est.inverse_transform(codes)
    assert np.all(np.isfinite(est.inverse_transform(codes.astype(np.float64))))


@pytest.mark.parametrize("units", [1e-165, 1e-160])
def test_data_in_tiny_units_is_scaled_not_taken_for_constant(units):
    """Deviations of 1e-165 square to 0 in float64: every feature was taken
    for constant, and an 8-sigma row was an inlier."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    reference = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    model = AutoEncoder(max_epochs=3, random_state=0).fit(X * units)
    assert_allclose(model.scale_ / units, reference.scale_, rtol=1e-10)
    assert model.predict(np.array([[8.0, 8.0, -8.0, 8.0]]) * units)[0] == -1


def test_global_scaling_is_one_mean_and_one_scale_over_every_entry():
    """Mutation audit: scaling="global" centres and scales every feature by
    the mean and standard deviation of all entries together, not per feature."""
    X = np.random.RandomState(0).normal(size=(200, 3)) * [1.0, 10.0, 100.0] + [0, 5, -50]
    mean, scale = fit_scaling(X, "global", unit_interval=False)
    assert_allclose(mean, np.full(3, X.mean()), rtol=1e-12)
    assert_allclose(scale, np.full(3, X.std()), rtol=1e-12)
    model = AutoEncoder(scaling="global", max_epochs=1, random_state=0).fit(X)
    assert_allclose(model.mean_, np.full(3, X.mean()), rtol=1e-12)
    assert_allclose(model.scale_, np.full(3, X.std()), rtol=1e-12)
    assert np.ptp(model.mean_) == 0 and np.ptp(model.scale_) == 0


def test_a_feature_constant_at_zero_is_reconstructed_and_sampled_as_zero():
    """Mutation audit: a constant of exactly 0 (no rounding to allow for) is a
    constant too: its output scale is 0, so reconstructions and samples are 0."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6))
    X[:, 0] = 0.0
    est = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    assert est._output_map()[0][0] == 0.0
    assert_array_equal(est.inverse_transform(est.transform(X))[:, 0], 0.0)
    assert_array_equal(est.sample(50, random_state=0)[:, 0], 0.0)
    assert est.sample(50, random_state=0)[:, 1].std() > 0


def test_auto_epochs_literal_values():
    """Mutation audit: ceil(150,000 / n_samples) clipped to [10, 20], in
    literal numbers: 20 up to 7,894 rows, 10 from 15,000 rows on."""
    sizes = (1, 100, 7894, 7895, 10_000, 14_999, 15_000, 20_000, 10**7)
    assert [auto_epochs(n) for n in sizes] == [20, 20, 20, 19, 15, 11, 10, 10, 10]
    assert AutoEncoder()._n_epochs(20_000) == 10
    assert VariationalAutoEncoder()._n_epochs(20_000) == 10


def test_the_variational_kind_trains_a_small_table_for_200_epochs():
    """Mutation audit: the variational kind's cap is 200 epochs (literal):
    500 rows would get 300 from the budget of samples seen."""
    assert VariationalAutoEncoder()._n_epochs(500) == 200
    assert VariationalAutoEncoder()._n_epochs(750) == 200
    assert VariationalAutoEncoder()._n_epochs(1000) == 150
    assert auto_epochs(500, VARIATIONAL_MAX_EPOCHS) == 200


@pytest.mark.parametrize("kind", list(KINDS))
def test_auto_early_stopping_holds_out_a_tenth_of_wide_tables_from_200_to_200000_rows(kind):
    """``early_stopping="auto"``, every kind's default: on once the held-out
    tenth holds 20 rows, off above 200,000 rows (fresh subsets each epoch),
    and for the kinds of 20 epochs only from 91 columns (where the auto
    widths grow past 64-32); the variational kind's 200 epochs, any width."""
    from sklearn.utils._param_validation import InvalidParameterError

    assert auto_hidden_layer_sizes(90) == (64, 32) != auto_hidden_layer_sizes(91)
    model = kind()
    assert model.early_stopping == "auto"
    sizes = (10, 195, 199, 200, 200_000, 200_001, 10**7)
    assert [model._early_stopping_on(n, 91) for n in sizes] == [
        False,
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    variational = kind is VariationalAutoEncoder
    assert model._early_stopping_on(1000, 90) is variational
    assert model._early_stopping_on(1000, 1) is variational
    assert model._early_stopping_on(None)  # a loaded model's net
    assert not kind(validation_fraction=0.05)._early_stopping_on(300, 100)
    assert not kind(early_stopping=False)._early_stopping_on(10**4, 100)
    assert kind(early_stopping=True)._early_stopping_on(10, 1)
    assert kind(early_stopping=True)._early_stopping_on(10**7, 1)

    rng = np.random.RandomState(0)
    wide, narrow = rng.normal(size=(250, 100)), rng.normal(size=(250, 16))
    fitted = kind(max_epochs=3, random_state=0).fit(wide)
    assert "valid_loss" in fitted.net_.history[-1]
    small = kind(max_epochs=3, random_state=0).fit(wide[:150])
    assert "valid_loss" not in small.net_.history[-1]
    on_narrow = kind(max_epochs=3, random_state=0).fit(narrow)
    assert ("valid_loss" in on_narrow.net_.history[-1]) is variational
    with pytest.raises(InvalidParameterError, match="early_stopping"):
        kind(early_stopping="sometimes").fit(narrow)


def test_auto_early_stopping_counts_a_categorical_column_once_per_category():
    """Review finding: the rule counted columns where its reason, the auto
    widths, count the network's inputs: 30 categorical columns of 10
    categories get a (256, 128) network and held no rows out."""
    rng = np.random.RandomState(0)
    levels = np.array(list("abcdefghij"))
    table = pd.DataFrame(
        {f"c{j}": pd.Categorical(levels[rng.randint(10, size=250)]) for j in range(30)}
    )
    fitted = AutoEncoder(max_epochs=2, random_state=0).fit(table)
    assert fitted.hidden_layer_sizes_ == (256, 128)
    assert "valid_loss" in fitted.net_.history[-1]
    numbers = AutoEncoder(max_epochs=2, random_state=0).fit(rng.normal(size=(250, 30)))
    assert "valid_loss" not in numbers.net_.history[-1]


@pytest.mark.parametrize("kind", DENSE_KINDS)
def test_the_default_threshold_holds_for_new_rows_of_a_small_wide_table(kind):
    """300 rows of 512 features near a 48-dimensional subspace, normalised as
    embeddings often are: a fence on the training rows' scores (which the
    network learns better than new rows) flagged 85% of new normal rows;
    the default draws it on the held-out tenth."""
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(48, 512)) * np.linspace(1, 0.1, 48)[:, None]

    def rows(n):
        X = rng.normal(size=(n, 48)) @ basis + 0.15 * rng.normal(size=(n, 512))
        return X / np.linalg.norm(X, axis=1, keepdims=True)

    train, new = rows(300), rows(300)
    assert np.mean(kind(random_state=0).fit(train).predict(new) == -1) < 0.15
    if kind is AutoEncoder:
        on_training_rows = AutoEncoder(early_stopping=False, random_state=0).fit(train)
        assert np.mean(on_training_rows.predict(new) == -1) > 0.5


def test_the_variational_default_does_not_memorise_a_small_wide_table():
    """Up to 200 epochs on 300 rows of 120 features learned the training
    rows' noise: the held-out log-likelihood fell far below that of the
    epoch the held-out rows pick, and every new row looked unlikely."""
    rng = np.random.RandomState(0)
    basis = rng.normal(size=(6, 120))

    def rows(n):
        return rng.normal(size=(n, 6)) @ basis + 0.3 * rng.normal(size=(n, 120))

    train, new = rows(300), rows(300)
    default = VariationalAutoEncoder(random_state=0).fit(train)
    full = VariationalAutoEncoder(early_stopping=False, random_state=0).fit(train)
    assert full.n_iter_ == 200 > default.n_iter_
    assert default.score(new) > full.score(new) + 20
    assert np.mean(default.predict(new) == -1) < np.mean(full.predict(new) == -1)


def test_auto_widths_take_the_nearest_power_of_two():
    """Mutation audit: the first layer has the power of two nearest to
    n_features (in log scale, rounded, not the next one up): 90 features get
    64 units, 91 get 128."""
    features = (45, 90, 91, 180, 181, 360, 362, 700)
    assert [auto_hidden_layer_sizes(d) for d in features] == [
        (64, 32),
        (64, 32),
        (128, 64),
        (128, 64),
        (128, 64),
        (256, 128),
        (256, 128),
        (512, 256),
    ]
    # Next to the code: 16 units per code, to the nearest power of two.
    assert auto_hidden_layer_sizes(64, 5) == (128, 64)
    assert auto_hidden_layer_sizes(64, 6) == (256, 128)


def test_partial_fit_extends_the_clipping_range_of_the_fit():
    """Mutation audit (m39): after a fit, partial_fit widens the encoder's
    clipping range (input_low, input_high) to take in the new chunk; only the
    first call sets it anew. The mutant reset it to each chunk's range, so one
    small chunk after a 300-row fit clipped the training rows to it (their
    codes, and scores, then changed)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4))
    model = AutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    low = model.net_.module_.input_low.clone()
    high = model.net_.module_.input_high.clone()
    model.partial_fit(X[:5] * 0.1)  # well inside the fit's range
    module = model.net_.module_
    assert torch.all(module.input_low <= low) and torch.all(module.input_high >= high)


# --- regressions from a mutation audit of skae/_input.py -------------------------
def test_a_negative_constant_feature_is_reconstructed_and_sampled_as_its_constant():
    """Mutation audit (I31): a feature constant at -5 is decoded as its
    constant (output scale 0): the rounding allowed for is that of |mean|.
    The mutant took the signed mean, allowed a negative rounding that no
    range is below, and reconstructed and sampled the constant with the
    network's noise on it."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    X[:, 1] = -5.0
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert_array_equal(est.inverse_transform(est.transform(X))[:, 1], -5.0)
    assert_array_equal(est.sample(5, random_state=0)[:, 1], -5.0)
    assert est._output_map()[0][1] == 0.0


@pytest.mark.parametrize("cls", [c for c in KINDS if c is not VariationalAutoEncoder])
def test_any_move_from_all_constant_training_rows_lowers_the_score(cls):
    """A probe: the errors were measured from the network's output for a
    constant feature, not from the constant, so a row moved by 0.01 towards
    that output scored above the training rows (and was an inlier). Every
    deviation from the only training row is now an outlier, either way."""
    X = np.full((50, 4), 3.0)
    model = cls(max_epochs=5, random_state=0).fit(X)
    base = model.decision_function(X[:1])[0]
    assert model.predict(X[:1])[0] == 1
    for j in range(4):
        for step in (-0.01, 0.01):
            row = X[:1].copy()
            row[0, j] += step
            assert model.decision_function(row)[0] < base
            assert model.predict(row)[0] == -1


def test_a_constant_binary_column_is_reconstructed_sampled_and_scored_as_its_constant():
    """Data taken as they are (binary cross-entropy: mean 0, scale 1): a
    column of ones came back from inverse_transform and sample as 0, and
    score() measured the training rows 1 away from it."""
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(200, 5)) > 0.5).astype(float)
    X[:, 0], X[:, 1] = 1.0, 0.0
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=3, random_state=0).fit(X)
    assert_array_equal(model.inverse_transform(model.transform(X[:5]))[:, :2], [[1.0, 0.0]] * 5)
    assert_array_equal(model.sample(20, random_state=0)[:, :2], [[1.0, 0.0]] * 20)
    # Each constant flipped: an outlier, and below every training row.
    flipped = X[:2].copy()
    flipped[0, 0], flipped[1, 1] = 0.0, 1.0
    assert np.all(model.score_samples(flipped) < model.score_samples(X).min())
    assert_array_equal(model.predict(flipped), [-1, -1])
    # The training rows' likelihood: the constants cost nothing.
    varying = AutoEncoder(loss="binary_crossentropy", max_epochs=3, random_state=0)
    assert model.score(X) > varying.fit(X[:, 2:]).score(X[:, 2:]) - 1.0
