"""The missing-value calibration's statistics (``skae/_calibration.py``),
pinned after a mutation audit (thirty-eighth session) found them unpinned."""

import numpy as np
import torch
from numpy.testing import assert_allclose, assert_array_equal

from skae._calibration import (
    COLUMN_COPIES,
    MAX_GROUPS,
    MIN_GROUP,
    SMOOTHING_ROWS,
    TAIL,
    _smooth,
    calibration_rows,
    fit_calibration,
    fit_column_scale,
    holed_copies,
    one_hole_copies,
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
    # Mutation audit: a count equal to a group's edge opens that group (put
    # in the group below, count 1's 5% quantile was 0.248 off, not 0.174).
    worst = np.abs(np.percentile(shift[1] + scale[1] * scores[c == 1], 5) - ref[0])
    assert worst < 0.21, worst


def test_as_many_counts_as_groups_are_each_their_own_group():
    """Mutation audit: counts are pooled only when there are more than
    ``MAX_GROUPS`` of them; pooling exactly as many raised the mean errors
    of the calibrated 5% quantile and median from 0.013 and 0.006 to 0.043
    and 0.017."""
    rng = np.random.RandomState(0)
    c = np.r_[np.full(20000, MAX_GROUPS), rng.randint(1, MAX_GROUPS, size=20000)]
    assert len(np.unique(c)) == MAX_GROUPS
    scores = rng.normal(size=len(c)) * 3.0 / np.sqrt(c) - 0.2 * (MAX_GROUPS - c)
    natural = c == MAX_GROUPS
    shift, scale = fit_calibration(scores, c, natural, MAX_GROUPS)
    ref = np.percentile(scores[natural], [5, 50])
    errors = np.array(
        [
            np.abs(np.percentile(shift[k] + scale[k] * scores[c == k], [5, 50]) - ref)
            for k in range(1, MAX_GROUPS)
        ]
    ).mean(axis=0)
    assert errors[0] < 0.025 and errors[1] < 0.012, errors


def test_only_drawn_rows_measured_give_the_identity():
    """Mutation audit: when no group but the drawn (filled) rows' has
    ``MIN_GROUP`` rows, there is nothing measured to calibrate on: the
    identity (a check on every group instead reached an empty array)."""
    rng = np.random.RandomState(0)
    scores = rng.normal(size=45)
    counts = np.r_[np.full(15, 3), np.full(30, 5)]
    natural = np.r_[np.ones(15, bool), np.zeros(30, bool)]
    shift, scale = fit_calibration(scores, counts, natural, 5, drawn=~natural)
    assert_array_equal(shift, np.zeros(6))
    assert_array_equal(scale, np.ones(6))


def test_each_holed_copy_keeps_half_the_entries_of_the_last_down_to_one():
    """Mutation audit: the shares of ``LEVELS``, then copies keeping half as
    many entries each, down to one; at least one such copy, also for narrow
    rows (without it, count 1 on 8 columns was measured on fewer rows)."""
    for n_columns, kept in [
        (8, [8, 7, 6, 5, 4, 3, 2, 1, 1]),
        (100, [100, 88, 75, 63, 50, 38, 25, 13, 6, 3, 1, 1]),
    ]:
        x = torch.as_tensor(np.random.RandomState(0).normal(size=(30, n_columns)))
        blocks = [(i, i + 1) for i in range(n_columns)]
        copies = list(holed_copies(x, blocks, np.random.RandomState(1)))
        assert [level for level, _ in copies] == list(range(len(kept)))
        for (_, copy), k in zip(copies, kept, strict=True):
            assert_array_equal((~torch.isnan(copy)).sum(dim=1).numpy(), np.full(30, k))


def test_calibration_rows_in_literal_numbers():
    """Mutation audit: every row up to 2,048, fewer for wide data (2**17
    entries), never fewer than 256."""
    assert calibration_rows(100, 10) == 100
    assert calibration_rows(100_000, 10) == 2048
    assert calibration_rows(100_000, 256) == 512
    assert calibration_rows(100_000, 20_000) == 256


def test_a_column_whose_rows_spread_more_gets_a_factor_below_one():
    """Each column's factor gives its rows the lower tail of all rows missing
    one column, pulled towards 1 by its number of rows; a column with fewer
    than MIN_GROUP rows, or no spread, keeps 1; an overflow is left out."""
    rng = np.random.RandomState(0)
    n = 4000
    removed = np.repeat([0, 1, 2], n)
    spread = np.repeat([2.0, 1.0, 1.0], n)
    scores = -np.abs(rng.normal(size=3 * n)) * spread
    scores = np.r_[scores, -np.inf, np.zeros(MIN_GROUP - 1)]
    removed = np.r_[removed, 1, np.full(MIN_GROUP - 1, 3)]
    factor = fit_column_scale(scores, removed, 0.0, 5)
    # Every finite score counts in the pooled tail, the small column's too.
    pooled = -np.percentile(scores[np.isfinite(scores)], 100 * TAIL)
    weight = n / (n + SMOOTHING_ROWS)
    for j in range(3):
        own = -np.percentile(scores[: 3 * n][removed[: 3 * n] == j], 100 * TAIL)
        assert_allclose(factor[j], (pooled / own) ** weight)
    assert factor[0] < 0.8 < 1.1 < factor[1]
    # Column 3: too few rows; column 4: none.
    assert_array_equal(factor[3:], [1.0, 1.0])
    flat = fit_column_scale(np.zeros(100), np.zeros(100, dtype=int), 0.0, 2)
    assert_array_equal(flat, [1.0, 1.0])


def test_each_one_hole_copy_removes_one_observed_column_per_row():
    """A copy per column on narrow data (every row that has the column and
    another observed), COLUMN_COPIES copies of random observed columns on
    wide data; a categorical column's block goes whole."""
    x = torch.arange(1.0, 25.0).reshape(4, 6)
    x[0, 0] = float("nan")  # column 0 missing already
    x[1, 2:] = float("nan")  # one observed column (0..1 is one block)
    blocks = [(0, 1), (1, 2), (2, 4), (4, 6)]
    x[1, 1] = float("nan")
    copies = list(one_hole_copies(x, blocks, np.random.RandomState(0)))
    assert [list(removed) for removed, _ in copies] == [[0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3]]
    for removed, copy in copies:
        j = removed[0]
        start, stop = blocks[j]
        assert torch.isnan(copy[:, start:stop]).all()
        rows = [i for i in range(4) if i != 1 and (j != 0 or i != 0)]
        others = [k for k in range(6) if not start <= k < stop]
        assert torch.equal(copy[:, others].nan_to_num(-1), x[rows][:, others].nan_to_num(-1))
    wide = torch.randn(50, 3 * COLUMN_COPIES)
    wide[:, 0] = float("nan")
    copies = list(
        one_hole_copies(wide, [(j, j + 1) for j in range(wide.shape[1])], np.random.RandomState(0))
    )
    assert len(copies) == COLUMN_COPIES
    for removed, copy in copies:
        assert len(copy) == 50 and (removed > 0).all()
        assert_array_equal(torch.isnan(copy).sum(dim=1).numpy(), 2)
        assert torch.isnan(copy[np.arange(50), removed]).all()
    # Random columns, not the same one each time.
    assert len(np.unique(np.concatenate([removed for removed, _ in copies]))) > COLUMN_COPIES
