"""The missing-value calibration's statistics (``skae/_calibration.py``),
pinned after a mutation audit (thirty-eighth session) found them unpinned."""

import numpy as np
from numpy.testing import assert_allclose

from skae._calibration import (
    MIN_GROUP,
    SMOOTHING_ROWS,
    _smooth,
    calibration_rows,
    fit_calibration,
)


def test_a_count_borrows_from_its_neighbours_by_their_sizes():
    at = np.array([1.0, 2.0, 3.0])
    sizes = np.array([1000, 10, 100])
    smoothed = _smooth(at, np.array([0.0, 10.0, 4.0]), sizes, at)
    neighbours = (1000 * 0.0 + 100 * 4.0) / 1100
    assert_allclose(smoothed[1], (10 * 10.0 + SMOOTHING_ROWS * neighbours) / (10 + SMOOTHING_ROWS))


def _two_groups(rng, n=4000):
    scores = np.r_[rng.normal(size=n), 2.0 * rng.normal(size=n) - 3.0]
    counts = np.r_[np.full(n, 4), np.full(n, 2)]
    natural = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    return scores, counts, natural


def test_a_count_of_exactly_min_group_rows_is_measured():
    rng = np.random.RandomState(0)
    scores, counts, natural = _two_groups(rng)
    base = fit_calibration(scores, counts, natural, 5)
    extra = fit_calibration(
        np.r_[scores, -50.0 + rng.normal(size=MIN_GROUP)],
        np.r_[counts, np.full(MIN_GROUP, 3)],
        np.r_[natural, np.zeros(MIN_GROUP, bool)],
        5,
    )
    assert abs(extra[0][3] - base[0][3]) > 1.0  # measured: count 3 is shifted up


def test_a_count_whose_scores_do_not_spread_is_left_out():
    rng = np.random.RandomState(0)
    scores, counts, natural = _two_groups(rng)
    shift, scale = fit_calibration(
        np.r_[scores, np.full(100, -1.0)],
        np.r_[counts, np.full(100, 3)],
        np.r_[natural, np.zeros(100, bool)],
        5,
    )
    assert np.isfinite(shift).all() and np.isfinite(scale).all() and (scale > 0).all()


def test_training_scores_without_spread_give_the_identity():
    rng = np.random.RandomState(0)
    scores = np.r_[np.full(1000, 0.5), rng.normal(size=1000)]
    counts = np.r_[np.full(1000, 5), np.full(1000, 3)]
    natural = np.r_[np.ones(1000, bool), np.zeros(1000, bool)]
    shift, scale = fit_calibration(scores, counts, natural, 5)
    assert_allclose(shift, 0.0)
    assert_allclose(scale, 1.0)


def _calibrated_holed(holed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complete rows (10 entries) scoring N(0, 1) and as many rows of 5
    entries scoring ``holed``: the latter calibrated, and the former."""
    natural = np.random.RandomState(0).normal(size=len(holed))
    n = len(holed)
    shift, scale = fit_calibration(
        np.r_[natural, holed],
        np.r_[np.full(n, 10), np.full(n, 5)],
        np.r_[np.ones(n, bool), np.zeros(n, bool)],
        10,
    )
    return shift[5] + scale[5] * holed, natural


def test_each_count_s_five_percent_tail_is_matched():
    holed = np.random.RandomState(1).laplace(scale=0.7, size=20000)
    calibrated, natural = _calibrated_holed(holed)
    assert_allclose(np.percentile(calibrated, 5), np.percentile(natural, 5), rtol=0.04)


def test_each_count_s_centre_is_its_median():
    holed = -np.random.RandomState(1).exponential(size=20000)  # median -0.69, mean -1
    calibrated, natural = _calibrated_holed(holed)
    assert abs(np.median(calibrated) - np.median(natural)) < 0.05


def test_binned_counts_follow_their_count():
    """Wide data: 60 counts binned into 16 groups. Scores of count c spread
    as 3/sqrt(c) around -0.05 (60 - c); calibrated, each count's median and
    5% quantile lie near the complete rows' (original: mean errors 0.012 and
    0.029; a group placed at its least count 0.051, 8 groups 0.055 on the tail)."""
    rng = np.random.RandomState(0)
    c = rng.randint(1, 61, size=60000)
    scores = rng.normal(size=len(c)) * 3.0 / np.sqrt(c) - 0.05 * (60 - c)
    natural = c == 60
    shift, scale = fit_calibration(scores, c, natural, 60)
    ref = np.percentile(scores[natural], [5, 50])
    errors = np.array(
        [
            np.abs(np.percentile(shift[k] + scale[k] * scores[c == k], [5, 50]) - ref)
            for k in range(1, 60)
        ]
    ).mean(axis=0)
    assert errors[0] < 0.04 and errors[1] < 0.025, errors


def test_calibration_rows_in_literal_numbers():
    """Mutation audit: every row up to 2,048, fewer for wide data (2**17
    entries), never fewer than 256."""
    assert calibration_rows(100, 10) == 100
    assert calibration_rows(100_000, 10) == 2048
    assert calibration_rows(100_000, 256) == 512
    assert calibration_rows(100_000, 20_000) == 256
