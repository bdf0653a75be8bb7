"""The code density behind sample() and the outlier score."""

import numpy as np
import torch
from numpy.testing import assert_allclose

from skae._latent_density import fit_code_density, log_density, sample_codes


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
