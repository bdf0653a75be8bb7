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
the highest single cell; rerun on the code of the forty-fourth session, after
the changes below and the Huber loss, every cell is at 3.1% to 7.9%:
``missing_calibration_rerun.md``). For the latter, its few complete training
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

The holed copies only remove entries, so they measure no count above the
training rows' own. On a table missing 30% of its entries a complete row
lies beyond them, and its code beyond the training codes: read with their
missing entries at the means, those lie nearer the centre (on 50 correlated
columns, new complete rows' codes were spread 1.3-1.4 times as widely), so
the code term of the deterministic kinds' score called complete rows
unusual. Since the twenty-seventh session the training rows that miss
entries are also scored with them filled (:func:`filled_copy`): their
medians set the counts they reach. ``benchmarks/complete_rows.py``
(``AutoEncoder`` and ``VariationalAutoEncoder``, seeds 0 and 1), complete
rows flagged at ``contamination=0.05``, mean over the eight tables (10 to
100 columns, 10% and 30% missing): 7.5% before, 6.4% after; at 30% missing
on 10, 20, 50 and 100 columns, 7.0%, 8.6%, 8.5% and 9.8% before, 6.1%,
6.6%, 6.2% and 5.9% after; on 100 columns with 10% missing, 8.1% before and
9.0% after, the one table that lost. Rows missing entries as the training
rows did moved by at most 0.002. Over the eight seeds of
``benchmarks/missing_calibration.py`` (10 columns), complete rows of an
``AutoEncoder`` fitted with 30% missing went from 7.0% (at most 10.6%) to
4.2% (at most 5.7%); models fitted on complete rows do not change.

Which columns are missing matters too, where columns are tied: a payment
missing its card flag leaves the channel that goes with it poorly
reconstructed in some rows, and its score's tail is wider than a row
missing the hour, which the other columns explain. Calibrated for their
count alone, an ``AutoEncoder`` flagged normal coded payments missing the
card flag at 10.6% and those missing the hour at 3.0%, complete ones at
5.5%. Since the fifty-seventh session each input column also has a factor
on a calibrated score's distance from the training rows' median
(:func:`fit_column_scale`, on training rows with that column removed:
:func:`one_hole_copies`); a row takes the geometric mean of its missing
columns' factors, so a complete row keeps its score, and the count's
calibration still carries the average. ``benchmarks/column_calibration.py``
(seeds 0-2): over four cells of two mixed tables, the worst column's rate
0.083-0.106 went to 0.063-0.073 and the mean distance from the complete
rows' 0.019-0.024 to 0.005-0.008; a numeric table without tied columns did
not move. The costs: rows missing 2 of 6 entries of the payments are
flagged 0.04-0.06 less often relative to complete rows (0.73 -> 0.68 at
worst), and the least share of spiked rows found fell on two of the three
tables (0.764 -> 0.739 on the coded payments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
#: Passes of the network that fill the calibration rows' missing entries.
FILL_PASSES = 10
#: At most this many groups of observed counts (wide data: counts are binned).
MAX_GROUPS = 16
#: Groups of fewer rows are left out of the fit.
MIN_GROUP = 20
#: How many rows' worth of weight a group's neighbours have in its smoothed
#: statistics (:func:`_smooth`).
SMOOTHING_ROWS = 200
#: The quantile whose distance below the median is matched across counts.
TAIL = 0.05
#: Copies of the calibration rows with one observed input column removed
#: (:func:`one_hole_copies`): one per column up to this many columns.
COLUMN_COPIES = 8


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


def filled_copy(
    rows: torch.Tensor, criterion, apply: Callable, rng: np.random.RandomState
) -> torch.Tensor | None:
    """The ``rows`` (scaled, encoded) that miss entries but not all, each
    of those entries drawn around the network's reconstruction of the row:
    rows as complete as new complete rows, which :func:`holed_copies` cannot
    give. None when no row is such.

    The reconstruction is re-read :data:`FILL_PASSES` times, each pass
    filling the entries with the last one's (the first reads the means).
    A row's code, read with its missing entries at their means, lies nearer
    the centre than a complete row's: on 50 correlated columns with 30% of
    the entries missing, new complete rows' codes were spread 1.3-1.4 times
    as widely as the training rows'. The noise is the spread of the last
    pass's errors on each entry's observed values (a categorical column
    draws its category, :meth:`~skae._reconstruction.PerFeatureLoss.draw`),
    so that a filled entry costs what an observed one does; the draws are
    kept in the training range, as the encoder clips its input.

    ``apply(rows, fn)`` runs ``fn(module, batch)`` over ``rows`` in batches
    (the estimator's ``_apply``)."""
    column_missing = criterion.column_missing(rows)
    # A row with nothing observed would come out the network's own making.
    incomplete = column_missing.any(dim=1) & ~column_missing.all(dim=1)
    if not bool(incomplete.any()):
        return None
    rows = rows[incomplete]
    missing = torch.isnan(rows)
    observed = ~missing

    def reconstruct(module, batch):
        return criterion.reconstruct(module(batch))

    filled = rows
    for _ in range(FILL_PASSES):
        mean = torch.as_tensor(apply(filled, reconstruct), device=rows.device)
        filled = torch.where(missing, mean.to(rows.dtype), rows)
    errors = torch.where(observed, mean - rows, 0.0)
    spread = (errors.square().sum(dim=0) / observed.sum(dim=0).clamp(min=1)).sqrt()
    # The draws for every row at once, from numpy: the same whatever the
    # batches of ``apply`` (scikit-learn's working_memory) and the device.
    noise = torch.zeros_like(rows)
    noise[missing] = torch.as_tensor(
        rng.standard_normal(int(missing.sum())), dtype=rows.dtype, device=rows.device
    )
    noise = noise * spread
    uniform = torch.full_like(rows, 0.5)
    uniform[missing] = torch.as_tensor(
        rng.uniform(size=int(missing.sum())), dtype=rows.dtype, device=rows.device
    )
    done = [0]  # rows drawn so far: apply runs the batches in order

    def draw(module, batch):
        start, stop = done[0], done[0] + len(batch)
        done[0] = stop
        drawn = criterion.draw(
            module(batch),
            noise[start:stop].to(batch.device),
            uniform[start:stop].to(batch.device),
        )
        low = getattr(module, "input_low", None)
        return drawn if low is None else torch.clamp(drawn, low, module.input_high)

    drawn = torch.as_tensor(apply(filled, draw), device=rows.device)
    return torch.where(missing, drawn.to(rows.dtype), rows)


def one_hole_copies(
    x: torch.Tensor, blocks: list[tuple[int, int]], rng: np.random.RandomState
) -> Iterator[tuple[np.ndarray, torch.Tensor]]:
    """The rows of ``x`` with one observed input column (``blocks`` of the
    encoded row) removed, as ``(removed, copy)``: ``removed`` the column each
    row of the copy lost (a row with one observed column or fewer, or with
    the column missing already, is left out). With at most :data:`COLUMN_COPIES` columns,
    one copy per column; otherwise that many copies, each row losing a
    column drawn at random among its observed ones. One copy at a time, as
    :func:`holed_copies`."""
    starts = np.array([start for start, _ in blocks])
    widths = np.array([stop - start for start, stop in blocks])
    column_of_entry = np.repeat(np.arange(len(blocks)), widths)
    observed = ~torch.isnan(x[:, starts]).cpu().numpy()
    usable = observed.sum(axis=1) >= 2
    rows = np.arange(len(x))
    if len(blocks) <= COLUMN_COPIES:
        choices = [np.full(len(x), j) for j in range(len(blocks))]
    else:
        choices = []
        for _ in range(COLUMN_COPIES):
            keys = rng.uniform(size=observed.shape)
            keys[~observed] = -1.0
            choices.append(np.argmax(keys, axis=1))
    for chosen in choices:
        hit = usable & observed[rows, chosen]
        if not hit.any():
            continue
        holes = np.zeros((int(hit.sum()), len(blocks)), dtype=bool)
        holes[np.arange(len(holes)), chosen[hit]] = True
        mask = torch.as_tensor(holes[:, column_of_entry], device=x.device)
        yield chosen[hit], x[torch.as_tensor(hit, device=x.device)].masked_fill(mask, float("nan"))


def fit_column_scale(
    scores: np.ndarray, removed: np.ndarray, centre: float, n_columns: int
) -> np.ndarray:
    """Per input column, the factor on a calibrated score's distance from
    ``centre`` for a row missing that column, of shape ``(n_columns,)``.

    ``scores`` are calibrated scores of rows that each lost the column
    ``removed`` (:func:`one_hole_copies`). The count calibration
    gives every row missing one entry the same lower tail, but which entry
    is missing matters: where the missing column is tied to an observed one
    (a payment's channel and its card flag), the reconstruction of the
    other misses in some rows, and those rows' tail is wider; where it is
    explained by the rest, narrower. An ``AutoEncoder`` on such a table
    flagged 10.6% of normal rows missing the card flag and 3.0% of those
    missing the hour, where complete rows were at 5.5%
    (``benchmarks/results/column_calibration.md``). The factor gives each
    column's rows the tail distance of all of them together; it is pulled
    towards 1 as if :data:`SMOOTHING_ROWS` rows had shown none (a column of
    fewer than :data:`MIN_GROUP` rows keeps 1)."""
    factor = np.ones(n_columns)
    keep = np.isfinite(scores)
    scores, removed = scores[keep], removed[keep]
    if len(scores) == 0:
        return factor
    pooled = centre - np.percentile(scores, 100.0 * TAIL)
    if pooled <= 0:
        return factor
    for j in np.unique(removed):
        own = scores[removed == j]
        tail = centre - np.percentile(own, 100.0 * TAIL)
        if len(own) < MIN_GROUP or tail <= 0:
            continue
        weight = len(own) / (len(own) + SMOOTHING_ROWS)
        factor[j] = np.exp(weight * np.log(pooled / tail))
    return factor


def fit_calibration(
    scores: np.ndarray,
    counts: np.ndarray,
    natural: np.ndarray,
    n_columns: int,
    drawn: np.ndarray | None = None,
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
    one entry were at 4%.

    The tails of the ``drawn`` rows (:func:`filled_copy`) are a lower bound:
    their filled entries' noise is Gaussian and independent across entries,
    the lightest tail errors have. A count's tail is the wider of that with
    them and that without them (the counts they alone reach: of the nearest
    count measured). For the variational kind (40 correlated columns, 30%
    missing) the filled rows' 5% quantile lay 25-30% nearer their median than
    new complete rows' did, where their medians differed by 4% of that
    distance: with their tails, complete rows were flagged at 7.3% on five
    seeds, 6.2% before the filled rows and 6.1% with this bound."""
    finite = np.isfinite(scores)
    drawn = np.zeros(len(scores), dtype=bool) if drawn is None else drawn
    scores, counts = scores[finite], counts[finite]
    natural, drawn = natural[finite], drawn[finite]
    ref_centre, ref_tail = _centre_and_tail(scores[natural])
    values = np.unique(counts)
    if len(values) > MAX_GROUPS:
        # Groups of about equal size over the counts.
        edges = np.unique(np.quantile(counts, np.linspace(0, 1, MAX_GROUPS + 1)))
        group = np.clip(np.searchsorted(edges, counts, side="right") - 1, 0, len(edges) - 2)
    else:
        group = np.searchsorted(values, counts)
    # Per group: mean count, median, log tail, rows; of all rows, and of
    # the rows not drawn.
    every, measured = [], []
    for g in np.unique(group):
        for rows, kept in ((group == g, every), ((group == g) & ~drawn, measured)):
            centre, tail = _centre_and_tail(scores[rows])
            if rows.sum() >= MIN_GROUP and tail > 0:
                kept.append((counts[rows].mean(), centre, np.log(tail), rows.sum()))
    if not measured or ref_tail <= 0:
        return np.zeros(n_columns + 1), np.ones(n_columns + 1)
    grid = np.arange(n_columns + 1, dtype=np.float64)
    at, centres, log_tails, sizes = np.array(every).T
    centre = _smooth(at, centres, sizes, grid)
    tail = np.exp(_smooth(at, log_tails, sizes, grid))
    at, _, log_tails, sizes = np.array(measured).T
    tail = np.maximum(tail, np.exp(_smooth(at, log_tails, sizes, grid)))
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
