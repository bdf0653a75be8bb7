"""The code density behind sample() and the outlier score."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.mixture import GaussianMixture

from skae import _latent_density
from skae._latent_density import bound_codes, fit_code_density, log_density, sample_codes


def test_torch_log_density_matches_scikit_learn():
    rng = np.random.RandomState(0)
    codes = np.vstack([rng.normal(size=(200, 3)), rng.normal(loc=5, size=(100, 3))])
    gmm = fit_code_density(codes, random_state=0)
    ours = log_density(gmm, torch.as_tensor(codes)).numpy()
    assert_allclose(ours, gmm.score_samples(codes), rtol=1e-10)


def test_samples_follow_the_fitted_mixture():
    rng = np.random.RandomState(0)
    codes = rng.normal(loc=[0.0, 10.0], scale=[1.0, 0.1], size=(500, 2))
    gmm = fit_code_density(codes, random_state=0)
    drawn = sample_codes(gmm, 5000, np.random.RandomState(1))
    assert_allclose(drawn.mean(axis=0), codes.mean(axis=0), atol=0.05)
    assert_allclose(drawn.std(axis=0), codes.std(axis=0), rtol=0.05)


def test_one_code_gives_a_point_mass():
    gmm = fit_code_density(np.array([[1.0, 2.0]]), random_state=0)
    drawn = sample_codes(gmm, 10, np.random.RandomState(0))
    assert_allclose(drawn, np.tile([1.0, 2.0], (10, 1)), atol=1e-2)


def test_wide_codes_fit_the_mixture_on_fewer_rows():
    from skae._latent_density import MAX_CODES, MIN_CODES, max_codes

    assert max_codes(2) == max_codes(4) == MAX_CODES
    assert max_codes(8) == MAX_CODES // 4
    assert max_codes(32) == max_codes(512) == MIN_CODES
    rng = np.random.RandomState(0)
    codes = rng.normal(size=(5000, 32))
    gmm = fit_code_density(codes, random_state=0)
    # Fitted on a subsample, the density still covers the data.
    assert np.mean(gmm.score_samples(codes)) > np.mean(gmm.score_samples(codes * 3))


def _blobs(centres, n_per, scale, seed=0):
    rng = np.random.RandomState(seed)
    return np.vstack([rng.normal(loc=c, scale=scale, size=(n_per, len(c))) for c in centres])


def test_bic_picks_the_number_of_clusters():
    one = _blobs([[0.0, 0.0, 0.0]], 600, 1.0)
    assert fit_code_density(one, random_state=0).n_components == 1
    four = _blobs([[0, 0, 0], [20, 0, 0], [0, 20, 0], [0, 0, 20]], 150, 1.0)
    gmm = fit_code_density(four, random_state=0)
    assert gmm.n_components == 4
    # Each true centre is recovered by one component.
    found = np.sort(np.round(gmm.means_ / 20.0).astype(int), axis=0)
    assert_allclose(found, np.sort([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], axis=0))
    assert_allclose(np.sort(gmm.weights_), 0.25, atol=0.01)


def test_em_reaches_scikit_learns_likelihood():
    from sklearn.mixture import GaussianMixture

    rng = np.random.RandomState(0)
    codes = rng.standard_t(df=3, size=(1500, 5))  # heavy tails: 10 components pay
    ours = fit_code_density(codes, random_state=0)
    reference = GaussianMixture(ours.n_components, covariance_type="full", random_state=0)
    reference.fit(codes)
    assert ours.converged_
    assert ours.score(codes) > reference.score(codes) - 0.02
    # The parameters are consistent: covariances are the precisions' inverses.
    assert_allclose(np.linalg.inv(ours.precisions_), ours.covariances_, rtol=1e-8, atol=1e-12)
    assert_allclose(ours.weights_.sum(), 1.0)
    # The stopping rule reads the mean log-likelihood per code, as
    # scikit-learn's does (a mutation audit: on its sum, 2,000 times stricter,
    # the fit ran 62 iterations where 17 do, and lower_bound_ was -10,508).
    assert ours.lower_bound_ == pytest.approx(ours.score(codes), abs=0.05)


def test_fewer_distinct_codes_than_components():
    codes = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]]), 40, axis=0)
    gmm = fit_code_density(codes, random_state=0)
    assert gmm.n_components <= 3
    assert np.all(np.isfinite(gmm.score_samples(codes)))


def test_a_constant_code_dimension_is_covered_by_reg_covar():
    rng = np.random.RandomState(0)
    codes = np.column_stack([rng.normal(size=500), np.full(500, 3.0)])
    gmm = fit_code_density(codes, random_state=0)
    assert np.all(np.isfinite(gmm.score_samples(codes)))
    drawn = sample_codes(gmm, 200, np.random.RandomState(0))
    assert_allclose(drawn[:, 1], 3.0, atol=1e-2)


def test_same_seed_same_mixture_and_tensors_equal_arrays():
    codes = _blobs([[0.0, 0.0], [6.0, 0.0]], 300, 1.0)
    a = fit_code_density(codes, random_state=3)
    b = fit_code_density(torch.as_tensor(codes, dtype=torch.float32), random_state=3)
    c = fit_code_density(codes, random_state=3)
    assert_allclose(a.means_, c.means_, rtol=0, atol=0)
    # float32 codes give the same fit up to their rounding.
    assert_allclose(np.sort(a.means_, axis=0), np.sort(b.means_, axis=0), atol=1e-4)


def test_the_fit_runs_on_the_codes_device(monkeypatch):
    """No numpy work on the codes: the EM sees only tensors."""
    from skae import _latent_density

    seen = []
    original = _latent_density._m_step

    def spy(z, resp):
        seen.append((type(z), z.device, z.dtype))
        return original(z, resp)

    monkeypatch.setattr(_latent_density, "_m_step", spy)
    fit_code_density(torch.randn(300, 3, generator=torch.Generator().manual_seed(0)), 0)
    assert seen and all(s == (torch.Tensor, torch.device("cpu"), torch.float64) for s in seen)


def test_a_failed_cholesky_is_a_clear_error():
    # Codes so large that reg_covar is lost in rounding: singular covariances.
    rng = np.random.RandomState(0)
    line = rng.normal(size=(200, 1)) * 1e12
    codes = np.hstack([line, line])
    with pytest.raises(ValueError, match="not positive definite"):
        fit_code_density(codes, random_state=0)


def test_the_stored_mixture_keeps_gaussian_mixtures_methods():
    four = _blobs([[0, 0], [20, 0], [0, 20], [20, 20]], 100, 1.0)
    gmm = fit_code_density(four, random_state=0)
    labels = gmm.predict(four)
    # One label per blob, the same within each blob.
    assert len(np.unique(labels)) == 4
    assert all(len(np.unique(labels[i : i + 100])) == 1 for i in range(0, 400, 100))
    assert_allclose(gmm.predict_proba(four).sum(axis=1), 1.0)
    # Its BIC is lower than that of the other candidates' scikit-learn fits.
    from sklearn.mixture import GaussianMixture

    for n in (1, 2, 10):
        other = GaussianMixture(n, covariance_type="full", random_state=0).fit(four)
        assert gmm.bic(four) < other.bic(four)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_codes_are_a_clear_error(bad):
    codes = np.random.RandomState(0).normal(size=(50, 2))
    codes[7, 1] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        fit_code_density(codes, random_state=0)


def test_duplicated_codes_never_get_two_components():
    # Exact duplicates of five 4-D codes away from the origin, where the
    # |a|^2 + |b|^2 - 2ab form of the distance makes duplicates look distinct.
    rng = np.random.RandomState(0)
    base = rng.normal(size=(5, 4)) * 100 + 1e3
    which = rng.randint(5, size=600)
    gmm = fit_code_density(base[which], random_state=0)
    assert gmm.n_components == 5
    # One component per distinct code, weighted by how often it occurs.
    order, truth = np.argsort(gmm.means_[:, 0]), np.argsort(base[:, 0])
    assert_allclose(gmm.means_[order], base[truth], rtol=1e-9)
    assert_allclose(gmm.weights_[order], np.bincount(which, minlength=5)[truth] / 600, atol=1e-9)


def test_each_candidate_s_bic_is_scikit_learns_and_the_lowest_is_kept(monkeypatch):
    """A mutation audit: with the parameters' penalty halved, 1,000 uniform
    codes got 10 components (scikit-learn's BIC 598.1) where 4 have the
    lowest (586.9)."""
    fits = []
    fit_mixture = _latent_density._fit_mixture

    def recording(z, n_components, generator):
        fits.append((fit_mixture(z, n_components, generator), z.numpy().copy()))
        return fits[-1][0]

    monkeypatch.setattr(_latent_density, "_fit_mixture", recording)
    codes = np.random.RandomState(0).uniform(size=(1000, 2))
    gmm = fit_code_density(codes, random_state=0)
    bics = [fit.as_gaussian_mixture().bic(z) for fit, z in fits]
    assert_allclose([fit.bic for fit, _ in fits], bics, rtol=1e-6)
    assert gmm.n_components == fits[int(np.argmin(bics))][0].n_components


@pytest.mark.parametrize(("n_dims", "tried"), [(2, [1, 2, 4, 10]), (32, [1, 2])])
def test_mixtures_with_more_parameters_than_codes_are_not_tried(monkeypatch, n_dims, tried):
    """2,000 codes of 32 dimensions cannot fit a 4-component full-covariance
    mixture (2,243 free parameters): BIC chooses among 1 and 2 only."""
    calls = []
    fit_mixture = _latent_density._fit_mixture

    def recording(z, n_components, generator):
        calls.append(n_components)
        return fit_mixture(z, n_components, generator)

    monkeypatch.setattr(_latent_density, "_fit_mixture", recording)
    codes = np.random.RandomState(0).normal(size=(2000, n_dims))
    gmm = fit_code_density(codes, random_state=0)
    assert calls == tried
    assert gmm.n_components in tried


def test_sampling_codes_holds_no_factor_per_sample():
    """Cliff-probe finding: each sample indexed its component's Cholesky
    factor, an (n, d, d) array (1.5 GB for 200,000 samples of 32 codes)."""
    import tracemalloc

    rng = np.random.RandomState(0)
    codes = np.r_[rng.normal(size=(300, 32)), rng.normal(3.0, 1.0, size=(300, 32))]
    gmm = GaussianMixture(2, random_state=0).fit(codes)
    tracemalloc.start()
    try:
        drawn = sample_codes(gmm, 20_000, np.random.RandomState(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert drawn.shape == (20_000, 32)
    # The draws, the noise and a component's rows: a few outputs' worth, not
    # the 32 outputs' worth that the factors per sample took.
    assert peak < 5 * drawn.nbytes
    # Each component's draws have its mean and covariance.
    component = gmm.predict(drawn)
    for k in range(2):
        assert_allclose(drawn[component == k].mean(axis=0), gmm.means_[k], atol=0.1)


def test_samples_of_each_component_have_its_covariance():
    """Mutation audit: a component's codes are drawn with its covariance
    (noise times the Cholesky factor's transpose), correlations included."""
    gmm = GaussianMixture(n_components=2, covariance_type="full")
    gmm.weights_ = np.array([0.5, 0.5])
    gmm.means_ = np.array([[-20.0, 0.0], [20.0, 0.0]])
    gmm.covariances_ = np.array([[[1.0, 0.9], [0.9, 1.0]], [[4.0, -1.0], [-1.0, 0.5]]])
    drawn = sample_codes(gmm, 40_000, np.random.RandomState(0))
    left = drawn[:, 0] < 0
    assert 0.48 < left.mean() < 0.52
    assert_allclose(drawn[left].mean(axis=0), [-20.0, 0.0], atol=0.05)
    assert_allclose(np.cov(drawn[left].T), [[1.0, 0.9], [0.9, 1.0]], atol=0.05)
    assert_allclose(np.cov(drawn[~left].T), [[4.0, -1.0], [-1.0, 0.5]], atol=0.1)


def test_the_parameters_counted_are_gaussian_mixtures():
    """Mutation audit: the free parameters behind the BIC are scikit-learn's
    GaussianMixture's (the weights count one fewer than the components)."""
    X = np.random.RandomState(0).normal(size=(100, 3))
    for n in (1, 2, 4):
        expected = GaussianMixture(n, random_state=0).fit(X)._n_parameters()
        assert _latent_density._n_parameters(n, 3) == expected


def test_codes_are_bounded_at_bound_times_their_number_from_their_median():
    """Mutation audit: bound_codes caps a code's squared Mahalanobis distance
    at ``bound`` times the number of codes (the distance's expectation),
    along the line to the codes' median. A probe: measured from the previous
    mean, a stream that moved had every code shrunk and the covariance
    collapsed; codes that moved together, or spread wider than before, are
    left as they are."""

    codes = torch.as_tensor(np.random.RandomState(0).normal(size=(201, 4)))
    codes[0] = torch.tensor([1000.0, 0.0, 0.0, 0.0])
    out = bound_codes(codes, np.eye(4), 100.0)
    centre = codes.median(dim=0).values
    torch.testing.assert_close(out[1:], codes[1:], rtol=0, atol=1e-12)
    assert float((out[0] - centre).square().sum()) == pytest.approx(400.0)
    direction = (out[0] - centre) / (codes[0] - centre)
    torch.testing.assert_close(
        direction, torch.full_like(direction, float(direction[0])), rtol=0, atol=1e-12
    )
    for moved in (codes[1:] + 50.0, 100.0 * codes[1:]):
        torch.testing.assert_close(bound_codes(moved, np.eye(4), 100.0), moved, rtol=0, atol=1e-9)


def test_the_mixture_is_fitted_on_at_most_min_codes(monkeypatch):
    """Mutation audit: the mixture of many wide codes is fitted on a sample of
    MIN_CODES of them, not on all."""
    sizes = []
    fit = _latent_density._fit_mixture

    def recording(z, *args):
        sizes.append(len(z))
        return fit(z, *args)

    monkeypatch.setattr(_latent_density, "_fit_mixture", recording)
    fit_code_density(np.random.RandomState(0).normal(size=(5000, 32)), random_state=0)
    assert set(sizes) == {_latent_density.MIN_CODES}


# --- regressions from a mutation audit of skae/_latent_density.py ----------------
def test_the_mixture_is_fitted_on_a_random_subsample_of_the_codes():
    """Mutation audit (L16): more codes than max_codes are subsampled at
    random; the first ones alone (a sorted or ordered table) saw one of two
    groups."""
    from skae._latent_density import fit_code_density, max_codes

    rng = np.random.RandomState(0)
    n = max_codes(4)
    codes = np.r_[rng.normal(size=(n, 4)), rng.normal(10.0, 1.0, size=(n, 4))]
    gmm = fit_code_density(codes, random_state=0)
    far = gmm.means_[:, 0] > 5.0
    assert far.any() and abs(gmm.weights_[far].sum() - 0.5) < 0.05


def test_an_emptied_component_stays_defined():
    """Mutation audit (L13): a component no code is responsible for keeps
    finite parameters (scikit-learn's floor of 10 eps on its count)."""
    from skae._latent_density import _m_step

    z = torch.as_tensor(np.random.RandomState(0).normal(size=(10, 2)))
    resp = torch.nn.functional.one_hot(torch.zeros(10, dtype=torch.long), 2).double()
    weights, means, covariances, _, failed = _m_step(z, resp)
    assert torch.isfinite(means).all() and torch.isfinite(covariances).all()
    assert not bool(failed) and float(weights[1]) < 1e-12


def test_k_means_labels_are_a_lloyd_fixed_point():
    """Mutation audit (L4): the seeding is followed by Lloyd iterations, so
    every code's label is its nearest cluster mean."""
    from skae._latent_density import _kmeans_labels

    z = torch.as_tensor(np.random.RandomState(0).normal(size=(500, 2)))
    labels, k = _kmeans_labels(z, 4, torch.Generator().manual_seed(0))
    assert k == 4
    centres = torch.stack([z[labels == j].mean(dim=0) for j in range(k)])
    assert torch.equal(torch.cdist(z, centres).argmin(dim=1), labels)


def test_codes_are_bounded_in_the_mahalanobis_distance_of_the_covariance():
    """Mutation audit: tested only with an identity covariance, the bound
    could have been Euclidean, or divided by the Cholesky factor's diagonal
    alone. Along a correlation of 0.99 a code 6 out stays; across it, one 3
    out is brought in to the limit (100 x 2 codes, squared)."""
    covariance = np.array([[1.0, 0.99], [0.99, 1.0]])
    rng = np.random.RandomState(0)
    codes = torch.as_tensor(rng.multivariate_normal([0, 0], covariance, size=401))
    codes[0] = torch.tensor([3.0, -3.0])
    codes[1] = torch.tensor([6.0, 6.0])
    out = bound_codes(codes, covariance, 100.0)
    precision = torch.as_tensor(np.linalg.inv(covariance))
    offset = out[0] - codes.median(dim=0).values
    assert float(offset @ precision @ offset) == pytest.approx(200.0)
    torch.testing.assert_close(out[1:], codes[1:], rtol=0, atol=1e-12)


def test_the_code_gaussian_is_shrunk_below_ten_rows_per_code():
    """Mutation audit: only 30 rows of 32 codes were tested, which any
    threshold shrinks; at 100 rows of 32 codes of rank 4 the sample
    covariance has directions of variance 1e-6 (the regularisation alone),
    Ledoit and Wolf's estimate none, and from 10 rows per code the sample
    covariance is kept."""
    from sklearn.covariance import ledoit_wolf

    from skae._latent_density import ROWS_PER_CODE, fit_code_gaussian

    rng = np.random.RandomState(0)
    basis = rng.randn(4, 32)
    codes = rng.randn(100, 4) @ basis
    _, covariance = fit_code_gaussian(torch.as_tensor(codes))
    shrunk, _ = ledoit_wolf(codes - codes.mean(axis=0), assume_centered=True)
    assert_allclose(covariance, shrunk, atol=1e-4)
    assert np.linalg.eigvalsh(covariance).min() > 1e-3
    codes = rng.randn(ROWS_PER_CODE * 32, 4) @ basis
    _, covariance = fit_code_gaussian(torch.as_tensor(codes))
    centred = codes - codes.mean(axis=0)
    assert_allclose(covariance, centred.T @ centred / len(codes), atol=1e-4)
