"""Scores of rows with missing entries, on the scale of the training rows' scores.

A row's outlier score is made of means over its observed entries, so its
centre does not depend on how many are missing; its spread does. The mean
of fewer terms varies more, and the code of a row whose missing entries are
filled with their means moves less: on a table of 10 correlated features,
uncalibrated, an ``AutoEncoder`` fitted on complete rows flagged 6.1% and
4.3% of normal complete rows at ``contamination=0.05`` (seeds 0 and 1), but
32.5% and 37.7% of the rows missing 9 of their 10 entries
(``VariationalAutoEncoder``: 36.7% and 41.9%;
``benchmarks/results/missing_calibration.md``, variant ``off``). The
threshold ``offset_`` is one number, so the score's distribution must not
depend on how much of a row is there.

After a fit, up to :data:`CALIBRATION_ROWS` (2,048; fewer for wide data)
training rows are scored again with a share of their observed entries removed
(each of :data:`LEVELS`, at random), and with only a sixteenth, a 32nd, ...
of them kept, down to one entry (on 100 columns the shares alone reached 13
observed entries, and rows keeping 1 to 3 were flagged at 11-21% where 5% was
asked: ``benchmarks/results/missing_calibration_wide.md``; after, 4-9%). For
each number of observed entries the
median of the scores and the distance from it down to their 5% quantile (the
lower tail, where rows are flagged) are measured, robust statistics, as a
training set holds outliers and an overflow scores ``-inf``; a count with few
rows borrows from its neighbours (:func:`_smooth`). A row with ``m`` observed
entries then scores ``missing_shift_[m] + missing_scale_[m] * s``, which gives
the scores of such rows the median and lower tail of the training rows' own.
Rows as complete as the training rows keep their score exactly when the
training rows were complete.

Chosen on 10 correlated features (seeds 0 and 1; ``AutoEncoder`` and
``VariationalAutoEncoder`` fitted on complete rows and on rows with 30% of
their entries missing; normal test rows missing 0, 3, 6 or 9 of their 10
entries; ``contamination=0.05``): uncalibrated, 3.2% to 41.9% of the normal
rows were flagged; matching the median and the interquartile range, 1.8% to
27.7% (complete rows of a model fitted on incomplete ones: their few
training rows set their scale); with the lower tail instead, 4.0% to 13.5%;
with the tail and the smoothing, 3.8% to 10.5%. Rows with a 4-standard-
deviation spike in an observed entry were flagged at 87% to 100% (98% on
average). ``benchmarks/missing_calibration.py``; its table:
``benchmarks/results/missing_calibration.md``. Over eight seeds
(``missing_calibration_seeds.md``) the normal rows were flagged at 3.7% to
11.8%. The worst, on average over the seeds, are rows missing 9 of their 10
entries scored by a model fitted on complete rows (``VariationalAutoEncoder``
10.4%, 8.5% to 11.7%; ``AutoEncoder`` 8.9%, 7.6% to 10.3%) and complete rows
of an ``AutoEncoder`` fitted on rows with 30% missing (8.6%, 4.4% to 11.8%,
the highest single cell). For the latter, its few complete training
rows (under 3%) set their statistics, and they are fitted more closely than
new rows are: their 5% quantile lies nearer the median than a new complete
row's (on three seeds the calibration expected a distance of 2.1-2.3 where
new rows showed 2.7-3.2). Crediting the counts above the training rows'
median count with no narrower tail than the median count's was measured and
not adopted: complete rows 8.6% to 7.8% on average (the worst seed 11.8% to
10.7%), but rows missing 3 or 6 entries rose on some seeds (5.3% to 7.0%
on one), and the mean distance from 5% over every cell barely moved (0.0154
to 0.0150).

These figures predate the fill of half the training rows' missing entries
with the network's reconstruction (:class:`~skae._architectures.AutoEncoderModule`),
which changes models fitted on incomplete rows only: on a table of this kind
with 30% missing, complete rows went from 7.7% to 7.0% flagged, and on 100
columns from 72.7% to 6.1% (``benchmarks/results/complete_rows.md``).
"""

from __future__ import annotations

from collections.abc import Iterator

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
#: Groups of fewer rows are left out of the fit.
MIN_GROUP = 20
#: How many rows' worth of weight a group's neighbours have in its smoothed
#: statistics (:func:`_smooth`).
SMOOTHING_ROWS = 200
#: The quantile whose distance below the median is matched across counts.
TAIL = 0.05


def calibration_rows(n_samples: int, n_inputs: int) -> int:
    """How many training rows to re-score (see :data:`CALIBRATION_ROWS`)."""
    budget = max(MIN_CALIBRATION_ROWS, CALIBRATION_ENTRIES // max(n_inputs, 1))
    return min(n_samples, CALIBRATION_ROWS, budget)


def holed_copies(
    x: torch.Tensor, blocks: list[tuple[int, int]], rng: np.random.RandomState
) -> Iterator[tuple[int, torch.Tensor]]:
    """``x`` once per level of :data:`LEVELS` and the halvings below, as
    ``(level, copy)``, each copy with that share of each row's observed input
    columns (``blocks`` of the encoded row) set to NaN, at random. Every row
    keeps at least one observed column.

    One copy at a time: all of them at once (20 copies of 256 rows at 20,000
    features, with the random keys behind them) took about 100 times the
    memory of a table of a few hundred rows."""
    starts = np.array([start for start, _ in blocks])
    widths = np.array([stop - start for start, stop in blocks])
    # Which input column each encoded entry belongs to.
    column_of_entry = np.repeat(np.arange(len(blocks)), widths)
    observed = ~torch.isnan(x[:, starts]).cpu().numpy()
    n_observed = observed.sum(axis=1)
    removals = [np.floor(share * n_observed).astype(int) for share in LEVELS]
    # The last share keeps an eighth of a row: on wide data the counts below
    # it (1 to 12 of 100 entries) were never measured, and such rows were
    # flagged at 3 times the contamination. Each further copy keeps half as
    # many entries as the one before, down to one.
    halvings = max(1, int(np.ceil(np.log2(max(int(n_observed.max()), 1)))) - 3)
    for j in range(1, halvings + 1):
        removals.append(n_observed - np.maximum(1, n_observed >> (3 + j)))
    for level, remove in enumerate(removals):
        if level == 0:
            yield level, x
            continue
        keys = rng.uniform(size=observed.shape)
        keys[~observed] = np.inf  # missing already: never "removed"
        # Each entry's rank in its row, from one sort and a scatter (an
        # argsort of the argsort was 6% of a default fit on a GPU).
        order = np.argsort(keys, axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(keys.shape[1])[None, :], axis=1)
        removed = rank < np.maximum(remove, 0)[:, None]
        del keys, order, rank
        holes = torch.as_tensor(removed[:, column_of_entry], device=x.device)
        yield level, x.masked_fill(holes, float("nan"))


def fit_calibration(
    scores: np.ndarray, counts: np.ndarray, natural: np.ndarray, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """``shift`` and ``scale`` of shape ``(n_columns + 1,)``, indexed by a
    row's number of observed columns, that give the ``scores`` of rows with
    each count the median and lower tail (:func:`_centre_and_tail`) of the
    ``natural`` ones (the training rows as they are). Identity at
    ``n_columns`` when every natural row is complete.

    The statistics of each group of counts are smoothed across the groups
    (:func:`_smooth`): the few complete rows of a table with 30% of its
    entries missing gave complete rows a scale 0.58 where the neighbouring
    counts had 0.85, and complete rows were flagged at 1% while rows missing
    one entry were at 4%."""
    finite = np.isfinite(scores)
    scores, counts, natural = scores[finite], counts[finite], natural[finite]
    ref_centre, ref_tail = _centre_and_tail(scores[natural])
    values = np.unique(counts)
    if len(values) > MAX_GROUPS:
        # Groups of about equal size over the counts.
        edges = np.unique(np.quantile(counts, np.linspace(0, 1, MAX_GROUPS + 1)))
        group = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, len(edges) - 2)
    else:
        group = np.searchsorted(values, counts)
    at, centres, tails, sizes = [], [], [], []
    for g in np.unique(group):
        members = group == g
        centre, tail = _centre_and_tail(scores[members])
        if members.sum() >= MIN_GROUP and tail > 0:
            at.append(counts[members].mean())
            centres.append(centre)
            tails.append(tail)
            sizes.append(members.sum())
    if not at or ref_tail <= 0:
        return np.zeros(n_columns + 1), np.ones(n_columns + 1)
    grid = np.arange(n_columns + 1, dtype=np.float64)
    centre = _smooth(np.array(at), np.array(centres), np.array(sizes), grid)
    tail = np.exp(_smooth(np.array(at), np.log(tails), np.array(sizes), grid))
    scale = ref_tail / tail
    shift = ref_centre - scale * centre
    if counts[natural].min() == n_columns:
        # Complete training rows: a complete row keeps its score exactly.
        shift[n_columns], scale[n_columns] = 0.0, 1.0
    return shift, scale


def _smooth(at: np.ndarray, values: np.ndarray, sizes: np.ndarray, grid: np.ndarray):
    """``values`` measured at counts ``at`` (groups of ``sizes`` rows, in
    order), each pulled towards its neighbouring groups' (weighted by their
    sizes) as if they were ``SMOOTHING_ROWS`` rows of its own, then
    interpolated on ``grid`` (held constant beyond the counts measured): a
    small group (the few complete rows of an incomplete table) borrows from
    the counts next to it, a large one mostly keeps its own."""
    smoothed = values.astype(np.float64).copy()
    for g in range(len(values)):
        near = [h for h in (g - 1, g + 1) if 0 <= h < len(values)]
        if near:
            neighbours = np.average(values[near], weights=sizes[near])
            smoothed[g] = (sizes[g] * values[g] + SMOOTHING_ROWS * neighbours) / (
                sizes[g] + SMOOTHING_ROWS
            )
    return np.interp(grid, at, smoothed)


def _centre_and_tail(scores: np.ndarray) -> tuple[float, float]:
    """The median of ``scores``, and how far below it their ``TAIL``
    quantile lies: outliers are flagged in the lower tail, which a mean of
    fewer terms makes heavier than its interquartile range says."""
    if len(scores) == 0:
        return 0.0, 0.0
    low, median = np.percentile(scores, [100.0 * TAIL, 50.0])
    return float(median), float(median - low)


def calibrate(
    scores: torch.Tensor, counts: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor
) -> torch.Tensor:
    """``scores`` of rows with ``counts`` observed columns, calibrated
    (``shift[count] + scale[count] * score``)."""
    return shift[counts] + scale[counts] * scores
