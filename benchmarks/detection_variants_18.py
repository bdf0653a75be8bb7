"""Round 25 of issue 14: the screen of ``tail_screen`` without its two costs.

Round 24 (``results/detection_ablation_21.md``) built the screen into ``fit``;
it cost one-class MNIST and the dependency type 0.002 each. Two causes, one
variant each (``AutoEncoder`` with ``tail_screen`` set, the rows left out
chosen otherwise):

- ``AutoEncoder.screen_const``: each column's tails divided by the mean a
  continuous column's have, ``1 + log 2``, not by the column's own mean. A
  pixel inked in 1% of the images has a mean tail of about 0.06, so dividing
  by it made one inked pixel count 80 times a typical one, and the unusual
  writers of a digit were left out; a column of ties now counts less, never
  more, than a continuous one.
- ``AutoEncoder.screen_width``: the level is no lower than the 99.9th
  percentile of a clean table's term (independent continuous columns: the
  mean of ``d`` tails is ``(log 2 + Gamma(d, 1) / d) / (1 + log 2)`` once
  normalised), so a narrow table does not lose the edges of its spread (6.8%
  of the rows of one column at the level 2): 4.5 for one column, 3.1 for
  two, 2.2 for five, 2 from seven on.
- ``AutoEncoder.screen_both``: both.

Results: ``benchmarks/results/detection_ablation_22.md``.
"""

import math
from collections.abc import Callable
from functools import partial

import numpy as np
from scipy.stats import gamma

import skae
from skae._screen import column_tails, screened_rows, tail_terms

#: The mean of ``-log min(U, 1 - U)`` for U uniform: a continuous column's
#: mean tail.
CONTINUOUS_MEAN = 1.0 + math.log(2.0)


def constant_terms(columns, n_samples: int) -> np.ndarray:
    """As :func:`skae._screen.tail_terms`, each column divided by
    ``CONTINUOUS_MEAN`` rather than by its own mean."""
    total = np.zeros(n_samples)
    count = np.zeros(n_samples)
    for values in columns:
        tails = column_tails(values)
        observed = ~np.isnan(tails)
        if not observed.any() or not tails[observed].any():
            continue  # constant where observed: as tail_terms, not counted
        total[observed] += tails[observed] / CONTINUOUS_MEAN
        count += observed
    return np.divide(total, count, out=np.full(n_samples, np.nan), where=count > 0)


def clean_level(n_columns: int, q: float = 0.999) -> float:
    """The ``q``-quantile of a clean table's term: ``n_columns`` independent
    continuous columns."""
    mean_excess = gamma.ppf(q, n_columns) / n_columns
    return (math.log(2.0) + mean_excess) / CONTINUOUS_MEAN


class _Variant(skae.AutoEncoder):
    """``AutoEncoder`` whose screen chooses its rows otherwise."""

    _constant: bool = False
    _by_width: bool = False

    def _screened_rows(self, X):
        columns = list(self._numeric_columns(X))
        terms = (constant_terms if self._constant else tail_terms)(columns, len(X))
        level = self.tail_screen
        if self._by_width:
            level = max(level, clean_level(max(len(columns), 1)))
        return screened_rows(terms, level)


class ScreenConstAutoEncoder(_Variant):
    _constant = True


class ScreenWidthAutoEncoder(_Variant):
    _by_width = True


class ScreenBothAutoEncoder(_Variant):
    _constant = True
    _by_width = True


def _make(seed: int, cls: type):
    return cls(random_state=seed, tail_screen=2.0)


EXTRA: dict[str, Callable[[int], object]] = {
    "AutoEncoder.screen_const": partial(_make, cls=ScreenConstAutoEncoder),
    "AutoEncoder.screen_width": partial(_make, cls=ScreenWidthAutoEncoder),
    "AutoEncoder.screen_both": partial(_make, cls=ScreenBothAutoEncoder),
}
