"""Scores of rows with missing entries, on the scale of the training rows' scores.

A row's outlier score is made of means over its observed entries, so its
centre does not depend on how many are missing; its spread does. The mean
of fewer terms varies more, and the code of a row whose missing entries are
filled with their means moves less: on a table of 10 correlated features, an
``AutoEncoder`` fitted on complete rows flagged 5% of normal complete rows
at ``contamination=0.05``, but 34% of the rows missing 8 of their 10
entries (``VariationalAutoEncoder``: 67%). The threshold ``offset_`` is one
number, so the score's distribution must not depend on how much of a row
is there.

After a fit, up to :data:`CALIBRATION_ROWS` (2,048; fewer for wide data)
training rows are scored again with a share of their observed entries removed
(each of :data:`LEVELS`, at random), and the median and the interquartile
range of the scores are measured as a function of the number of observed
entries. A row with ``m`` observed entries then scores ``missing_shift_[m] +
missing_scale_[m] * s``, which gives the scores of such rows the median and
interquartile range of the training rows' own (robust statistics: a training
set holds outliers, and an overflow scores ``-inf``). Rows as complete as the
training rows keep their score exactly when the training rows were complete.
The same rows with 8 of 10 entries missing were then flagged at 8% and 6%.
"""

from __future__ import annotations

import numpy as np
import torch

#: Training rows re-scored with holes to fit the calibration: at most this
#: many, and no more than ``CALIBRATION_ENTRIES`` entries in all (wide data,
#: whose counts are binned, needs fewer rows per group), but at least
#: ``MIN_CALIBRATION_ROWS``. About 3% of a default fit on digits.
CALIBRATION_ROWS = 2048
CALIBRATION_ENTRIES = 2**17
MIN_CALIBRATION_ROWS = 256
#: The shares of each row's observed entries removed.
LEVELS = (0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875)
#: At most this many groups of observed counts (wide data: counts are binned).
MAX_GROUPS = 16


def calibration_rows(n_samples: int, n_inputs: int) -> int:
    """How many training rows to re-score (see :data:`CALIBRATION_ROWS`)."""
    budget = max(MIN_CALIBRATION_ROWS, CALIBRATION_ENTRIES // max(n_inputs, 1))
    return min(n_samples, CALIBRATION_ROWS, budget)


def holed_copies(
    x: torch.Tensor, blocks: list[tuple[int, int]], rng: np.random.RandomState
) -> tuple[torch.Tensor, np.ndarray]:
    """``x`` repeated once per level of :data:`LEVELS`, each copy with that
    share of each row's observed input columns (``blocks`` of the encoded
    row) set to NaN, at random; and which copy each row belongs to. Every
    row keeps at least one observed column."""
    starts = np.array([start for start, _ in blocks])
    widths = np.array([stop - start for start, stop in blocks])
    # Which input column each encoded entry belongs to.
    column_of_entry = np.repeat(np.arange(len(blocks)), widths)
    observed = ~torch.isnan(x[:, starts]).cpu().numpy()
    copies, level_of = [], []
    for level, share in enumerate(LEVELS):
        holed = x.clone()
        if share > 0:
            keys = rng.uniform(size=observed.shape)
            keys[~observed] = np.inf  # missing already: never "removed"
            rank = np.argsort(np.argsort(keys, axis=1), axis=1)
            remove = np.floor(share * observed.sum(axis=1)).astype(int)
            removed = rank < remove[:, None]
            holes = torch.as_tensor(removed[:, column_of_entry], device=x.device)
            holed = holed.masked_fill(holes, float("nan"))
        copies.append(holed)
        level_of.append(np.full(len(x), level))
    return torch.cat(copies), np.concatenate(level_of)


def fit_calibration(
    scores: np.ndarray, counts: np.ndarray, natural: np.ndarray, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """``shift`` and ``scale`` of shape ``(n_columns + 1,)``, indexed by a
    row's number of observed columns, that give the ``scores`` of rows with
    each count the median and interquartile range of the ``natural`` ones
    (the training rows as they are). Identity at ``n_columns`` when every
    natural row is complete."""
    finite = np.isfinite(scores)
    scores, counts, natural = scores[finite], counts[finite], natural[finite]
    ref_median, ref_spread = _median_and_spread(scores[natural])
    values = np.unique(counts)
    if len(values) > MAX_GROUPS:
        # Groups of about equal size over the counts.
        edges = np.unique(np.quantile(counts, np.linspace(0, 1, MAX_GROUPS + 1)))
        group = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, len(edges) - 2)
    else:
        group = np.searchsorted(values, counts)
    at, medians, spreads = [], [], []
    for g in np.unique(group):
        members = group == g
        median, spread = _median_and_spread(scores[members])
        if members.sum() >= 8 and spread > 0:
            at.append(counts[members].mean())
            medians.append(median)
            spreads.append(spread)
    grid = np.arange(n_columns + 1, dtype=np.float64)
    if not at or ref_spread <= 0:
        return np.zeros(n_columns + 1), np.ones(n_columns + 1)
    median = np.interp(grid, at, medians)
    scale = ref_spread / np.interp(grid, at, spreads)
    shift = ref_median - scale * median
    if counts[natural].min() == n_columns:
        # Complete training rows: a complete row keeps its score exactly.
        shift[n_columns], scale[n_columns] = 0.0, 1.0
    return shift, scale


def _median_and_spread(scores: np.ndarray) -> tuple[float, float]:
    if len(scores) == 0:
        return 0.0, 0.0
    q1, median, q3 = np.percentile(scores, [25.0, 50.0, 75.0])
    return float(median), float(q3 - q1)


def calibrate(
    scores: torch.Tensor, counts: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """``scores`` of rows with ``counts`` observed columns, calibrated
    (``shift[count] + scale[count] * score``)."""
    return shift[counts] + scale[counts] * scores
