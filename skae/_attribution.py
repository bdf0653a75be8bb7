"""Which input columns made a row an outlier: blame by repair.

A reconstruction error shows where a row is reconstructed badly, not which of
its values is wrong. One abnormal value moves the row's code, and the
reconstructions of the other columns move with it: on a table whose category
follows from its numbers, a number moved 5 standard deviations flipped the
predicted category, and another column's error (the category's), not the
number's, was the row's largest for 23-33% of such rows
(``benchmarks/results/explain.md``).

The question an alert raises is counterfactual: *which value, set right,
makes the row normal?* For each observed input column, :func:`repair_gains`
replaces the row's value by the one the model predicts for it from the other
columns (the column is marked missing and reconstructed; for a categorical
column, the best scoring of its most probable categories) and measures how
much the reconstruction part of the outlier score rises. :func:`share_by_gain`
then shares that part among the row's columns in proportion to those gains
(as much of it as the repairs gain; the rest stays with the columns' own
terms), so that the terms still add up to the score, and the code's part
stays its own term. (Gains of the whole score, code part included, gave a column that
moved the code more of the blame than the moved column on 64 features.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

#: Categories tried as the repair of a categorical column: the most probable
#: ones given the row's other columns.
REPAIR_CANDIDATES = 3

#: Numeric columns repaired in each row: those with the largest errors of
#: their own (the lowest terms). The others' gains are taken as their own terms (what setting
#: them right would gain if the code did not move), so that the cost does not
#: grow with the number of features.
NUMERIC_REPAIRS = 8

#: Categorical columns repaired in each row: those with the lowest own terms,
#: as for the numeric ones. Each repair scores the whole (encoded) row, whose
#: width grows with the columns: repairing every categorical column made the
#: cost grow with the square of their number.
CATEGORICAL_REPAIRS = 8

#: Entries (rows x encoded width) scored in one pass: the repairs of a batch
#: are stacked, as many as fit.
REPAIR_BUDGET = 1 << 22


def repair_gains(
    score: Callable[[torch.Tensor], torch.Tensor],
    reconstruct: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    own: torch.Tensor,
    blocks: Sequence[tuple[int, int]],
    is_categorical: Sequence[bool],
    mean: torch.Tensor,
    scale: torch.Tensor,
) -> torch.Tensor:
    """How much each row's score rises when one column is repaired.

    Parameters
    ----------
    score : callable
        Scores of (standardised, encoded) rows, higher is more normal.
    reconstruct : callable
        Reconstructions of (standardised, encoded) rows, where NaN marks a
        missing entry.
    x : tensor of shape (n_samples, n_encoded)
        The rows, standardised and encoded.
    own : tensor of shape (n_samples, n_columns)
        Each column's own (non-positive) term of the score, adding up to
        ``score(x)`` (so the rows are not scored again): the numeric columns
        with the lowest, and the categorical columns with the lowest, are
        repaired; the others' gains are minus it.
    blocks : sequence of (start, stop)
        The encoded entries of each input column.
    is_categorical : sequence of bool
        Which input columns are one-hot blocks.
    mean, scale : tensors of shape (n_encoded,)
        The standardisation of the encoded entries, to encode a category.

    Returns
    -------
    gains : tensor of shape (n_samples, n_columns), float64
        ``score(x repaired at column j) - score(x)``; 0 for a missing entry.
    """
    n, width = x.shape
    device = x.device
    base = own.double().sum(dim=1)
    gains = (-own).double().clone()
    numeric = torch.tensor([j for j, c in enumerate(is_categorical) if not c], device=device)
    if len(numeric):
        starts = torch.tensor([start for start, _ in blocks], device=device)
        chosen = min(NUMERIC_REPAIRS, len(numeric))
        # (n, chosen): each row's numeric columns with the lowest own terms.
        columns = numeric[own[:, numeric].topk(chosen, dim=1, largest=False).indices]
        group = max(1, REPAIR_BUDGET // max(1, n * width))
        rows = torch.arange(n, device=device)
        for first in range(0, chosen, group):
            picked = columns[:, first : first + group]
            copies = picked.shape[1]
            # One copy of the batch per rank, that rank's column masked.
            stacked = x.repeat(copies, 1)
            every = torch.arange(n * copies, device=device)
            where = starts[picked.T.reshape(-1)]
            stacked[every, where] = torch.nan
            stacked[every, where] = reconstruct(stacked)[every, where]
            repaired = score(stacked).double().view(copies, n)
            gains[rows[:, None], picked] = (repaired - base).T
    categorical = [j for j, c in enumerate(is_categorical) if c]
    picked = None
    if len(categorical) > CATEGORICAL_REPAIRS:
        # (n, CATEGORICAL_REPAIRS): each row's categorical columns with the lowest own terms.
        index = torch.tensor(categorical, device=device)
        lowest = own[:, index].topk(CATEGORICAL_REPAIRS, dim=1, largest=False).indices
        picked = index[lowest]
    for j in categorical:
        # The rows that repair column j: all of them, or those that picked it.
        rows = None if picked is None else (picked == j).any(dim=1).nonzero().squeeze(1)
        if rows is not None and len(rows) == 0:
            continue
        part = x if rows is None else x[rows]
        start, stop = blocks[j]
        masked = part.clone()
        masked[:, start:stop] = torch.nan
        probability = reconstruct(masked)[:, start:stop] * scale[start:stop] + mean[start:stop]
        candidates = probability.topk(min(REPAIR_CANDIDATES, stop - start), dim=1).indices
        best = torch.full((len(part),), -torch.inf, dtype=torch.float64, device=device)
        for k in range(candidates.shape[1]):
            one_hot = torch.nn.functional.one_hot(candidates[:, k], stop - start).to(x.dtype)
            repaired = part.clone()
            repaired[:, start:stop] = (one_hot - mean[start:stop]) / scale[start:stop]
            best = torch.maximum(best, score(repaired).double())
        if rows is None:
            gains[:, j] = best - base
        else:
            gains[rows, j] = best - base[rows]
    # A missing entry has nothing to repair.
    missing = torch.isnan(x[:, [start for start, _ in blocks]])
    return gains.masked_fill(missing, 0.0).nan_to_num(0.0, posinf=0.0, neginf=0.0)


#: Gains below this fraction of a row's score (plus one) are float32 rounding.
GAIN_TOLERANCE = 1e-5


def share_by_gain(terms: torch.Tensor, gains: torch.Tensor) -> torch.Tensor:
    """The per-column ``terms`` (adding up to a row's reconstruction part of
    the score) shared again in proportion to the positive ``gains``.

    The repairs share as much of the part as they gain together (all of it
    when that is more); the rest keeps the proportions of the ``terms``, so
    a column is given at most its gain beyond its own term. A row whose
    repairs gain nothing (a normal row), or whose terms are not finite (an
    overflow, explained by the feature that overflowed), keeps its ``terms``.
    """
    total = terms.sum(dim=1, keepdim=True)
    # A gain within float32 rounding of the scores is none: repairing a
    # column to the value it holds "gained" 2.5e-8 in one batch and nothing
    # in another, and took the whole share of a normal row.
    noise = GAIN_TOLERANCE * (1.0 + total.abs())
    weight = torch.where(gains > noise, gains, torch.zeros_like(gains))
    weight_sum = weight.sum(dim=1, keepdim=True)
    keep = (weight_sum <= 0) | ~torch.isfinite(total) | ~torch.isfinite(weight_sum)
    shared = total * weight / weight_sum.masked_fill(keep, 1.0)
    # The repairs explain at most what they gain: the rest of the part stays
    # with the columns' own terms. Else a row whose repairs gain almost
    # nothing (flagged for its code) gave all of it to the one column
    # whose repair gained a rounding error more than the tolerance, such
    # as a constant column.
    explained = (weight_sum / total.abs().masked_fill(keep, 1.0)).clamp(max=1.0)
    shared = explained * shared + (1.0 - explained) * terms
    return torch.where(keep, terms, shared)
