"""Which training rows the network learns from: a screen by marginal tails.

Anomalies that form a group of their own far out in their columns (the
clustered type of ADBench's synthetic anomalies: a mixture's means times 5)
are training rows too, and a network learns a group as it learns the normal
rows: it then reconstructs them well and scores them as normal. IsolationForest
escapes this by subsampling; here such rows are found before training by how
far out each of their values lies in its own column, and left out of what the
network learns from.

A row's term is the mean over its observed numeric entries of each entry's
two-sided tail, ``-log min(F(x), 1 - F(x-))`` under the training column's
empirical distribution ``F`` (the per-feature term of ECOD, Li et al., 2022),
each divided by the mean a column of distinct values has (``1 + log 2``), so
that a typical row's term is about 1. Ranks only: the term does not change with
the units or the scaling of a column. ``tail_screen`` is the level above which a
row is left out (``benchmarks/results/detection_ablation_22.md``: at 2, the
21 real sets lose 0 to 4.3% of their rows, 0.6% on average).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._scaling import BLOCK_ROWS

#: The mean tail of a column of distinct values (``-log min(U, 1 - U)`` for
#: ``U`` uniform: ``1 + log 2``), what every column's tails are divided by.
#: Not a column's own mean: a pixel inked in 1% of the images has a mean
#: tail of about 0.06, and divided by it one inked pixel counted 80 times a
#: typical entry, so the unusual writers of a digit were left out (one-class
#: MNIST 0.909 to 0.899, ``benchmarks/results/detection_ablation_22.md``).
#: Tied values have smaller tails, so a column of few values counts less,
#: never more, than one of distinct values.
CONTINUOUS_MEAN = 1.0 + math.log(2.0)

#: Below this many training rows no row is left out: the tails of a few
#: rows' empirical distribution say little (each row is 1/n of it).
MIN_SCREEN_ROWS = 50

#: At most this share of the training rows is left out, the farthest out:
#: when more rows are above the level, they are a part of the data (a heavy
#: tail, a second mode) rather than a few rows apart from it.
MAX_SCREEN_SHARE = 0.1


def column_tails(values: np.ndarray) -> np.ndarray:
    """Each value's ``-log`` two-sided tail probability under the empirical
    distribution of the observed values of its column; NaN where missing.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
        One column, NaN where missing.

    Returns
    -------
    tails : ndarray of shape (n_samples,)
        At least 0 (a value tied with every other one), at most
        ``log(n)`` for ``n`` observed values (the lowest or the highest
        alone).
    """
    values = np.asarray(values, dtype=np.float64)
    tails = np.full(len(values), np.nan)
    observed = ~np.isnan(values)
    present = values[observed]
    n = len(present)
    if n == 0:
        return tails
    ordered = np.sort(present)
    below = np.searchsorted(ordered, present, side="right") / n
    above = (n - np.searchsorted(ordered, present, side="left")) / n
    # Both counts include the value itself: the least is 1 / n, never 0.
    tails[observed] = -np.log(np.minimum(below, above))
    return tails


def tail_terms(columns: Iterable[np.ndarray], n_samples: int) -> np.ndarray:
    """Each row's mean normalised marginal tail term (a typical row's is
    about 1).

    Parameters
    ----------
    columns : iterable of ndarray of shape (n_samples,)
        The numeric columns, one at a time (so that only one is held in
        float64), NaN where missing.
    n_samples : int
        The number of rows.

    Returns
    -------
    terms : ndarray of shape (n_samples,)
        NaN for a row with no observed entry in a column that varies, and
        for every row when no column varies.
    """
    total = np.zeros(n_samples)
    count = np.zeros(n_samples)
    for values in columns:
        tails = column_tails(values)
        observed = ~np.isnan(tails)
        if not tails[observed].any():
            # A constant column (where observed) says nothing of any row;
            # counted as 0 it pulled every row's mean down (one constant
            # column of three: a typical row's term 0.67, and no row left out).
            continue
        total[observed] += tails[observed] / CONTINUOUS_MEAN
        count += observed
    return np.divide(total, count, out=np.full(n_samples, np.nan), where=count > 0)


def screened_rows(terms: np.ndarray, level: float | None) -> np.ndarray | None:
    """Which rows to leave out of training: those whose term is above
    ``level``, at most ``MAX_SCREEN_SHARE`` of the rows with a term (the
    highest terms); None when none is, ``level`` is None, or fewer than
    ``MIN_SCREEN_ROWS`` rows have a term.

    Parameters
    ----------
    terms : ndarray of shape (n_samples,)
        The rows' terms (:func:`tail_terms`), NaN for a row without one
        (nothing observed in a column that varies): it is kept, and counts
        towards neither bound.
    level : float or None
        The level above which a row is left out.

    Returns
    -------
    left_out : ndarray of bool of shape (n_samples,) or None
    """
    n_samples = len(terms)
    ranked = ~np.isnan(terms)
    if level is None or ranked.sum() < MIN_SCREEN_ROWS:
        return None
    left_out = np.zeros(n_samples, dtype=bool)
    left_out[ranked] = terms[ranked] > level
    most = int(MAX_SCREEN_SHARE * ranked.sum())
    if left_out.sum() > most:
        # The highest terms (NaN sorts last); ties by position, so the
        # choice is reproducible.
        farthest = np.argsort(-terms, kind="stable")[:most]
        left_out = np.zeros(n_samples, dtype=bool)
        left_out[farthest] = True
    return left_out if left_out.any() else None


class KeptRows:
    """The rows ``indices`` of ``X`` (an array or encoded rows that are too
    large to copy, a memmap say), read when a slice or an array of them is
    asked for, as :class:`~skae._scaling.ScaledRows` reads its rows."""

    def __init__(self, X, indices: np.ndarray) -> None:
        self.X, self.indices = X, indices
        self.shape = (len(indices), *X.shape[1:])
        self.dtype = X.dtype

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, tuple):
            raise TypeError("KeptRows are indexed by rows only: take columns of the result.")
        # (ScaledRows, which reads it, turns a tensor of indices to numpy.)
        return self.X[self.indices[index]]

    def empty_rows(self) -> np.ndarray | None:
        """Which rows have no observed entry; None when none is empty."""
        empty = np.concatenate(
            [
                np.isnan(self[start : start + BLOCK_ROWS]).all(axis=1)
                for start in range(0, len(self), BLOCK_ROWS)
            ]
        )
        return empty if empty.any() else None


def select_rows(X, rows: np.ndarray):
    """The ``rows`` (a boolean mask) of ``X``: a copy of them for an array in
    memory, else :class:`KeptRows` (a memmap, rows encoded as they are read),
    which copies nothing."""
    indices = np.flatnonzero(rows)
    if isinstance(X, np.ndarray) and not isinstance(X, np.memmap):
        return X[indices]
    return KeptRows(X, indices)
