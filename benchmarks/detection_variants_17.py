"""Variants of round 23 of issue 14's ablation, for ``detection.py --extra``:
training rows screened by how far out their values lie in their own columns.

Why: the clustered type's anomalies (the normal mixture's means times 5) lie far
out in the input space, but they are in the training rows too, as a dense
group, and the network learns to reconstruct them. Each feature's two-sided tail
probability under the training rows' empirical distribution scores them
above IsolationForest on its own (0.974 against 0.966, seed 0), but added to
the score it costs the real sets and one-class MNIST
(``detection_ablation_20.md``). Here it does not enter the score: it only
chooses what the network trains on. The rows whose mean normalised tail term
(``score_combinations.marginal_tails``, each feature divided by its training
mean) is above its ``q``-th percentile are left out of the fit, so a group of
rows far out in the columns is not learned and reconstructs badly; the score is
the estimator's own.

- ``AutoEncoder.tail95`` / ``AutoEncoder.tail90``: the default ``AutoEncoder``
  trained without the 5% / 10% of the rows farthest out.
- ``AutoEncoder.tailabs2`` / ``AutoEncoder.tailabs1.5``: without the rows whose
  term is above 2 / 1.5 (a typical row's is 1), however many: a clean table
  loses few rows, fewer the wider it is (the term is a mean over the columns).
- ``<Kind>.tailabs2``: the other five kinds with the level-2 screen.
- ``<Kind>.screen2``: every kind with ``tail_screen=2.0``, the screen as
  ``fit`` builds it in (round 24): the scaling is fitted on every row, and the
  threshold drawn on every row's score.

Results: ``benchmarks/results/detection_ablation_20.md``.
"""

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

import skae

sys.path.insert(0, str(Path(__file__).resolve().parent))
from score_combinations import marginal_tails  # noqa: E402


def tail_term(X: np.ndarray) -> np.ndarray:
    """Each row's mean normalised marginal tail term (a typical row's is 1)."""
    tails = marginal_tails(X, X)
    return (tails / np.maximum(tails.mean(axis=0), 1e-6)).mean(axis=1)


def farthest_out(X: np.ndarray, q: float | None = None, above: float | None = None) -> np.ndarray:
    """The rows of ``X`` whose term is above its ``q``-th percentile, or above
    ``above``."""
    term = tail_term(X)
    return term > (np.percentile(term, q) if q is not None else above)


def _make(screen: dict, seed: int, kind: type = skae.AutoEncoder):
    class Screened(kind):
        """The kind's default network, fitted without the rows farthest out."""

        def fit(self, X, y=None):
            X = np.asarray(X, dtype=np.float64)
            return super().fit(X[~farthest_out(X, **screen)])

    Screened.__name__ = Screened.__qualname__ = f"TailScreened{kind.__name__}"
    # As detection.py builds the convolutional kind.
    params = {"scaling": "feature"} if kind is skae.ConvolutionalAutoEncoder else {}
    return Screened(random_state=seed, **params)


def _built_in(seed: int, kind: type = skae.AutoEncoder):
    """The kind with its own ``tail_screen=2.0`` (the screen built into fit:
    the scaling stays the whole table's, the threshold every row's)."""
    params = {"scaling": "feature"} if kind is skae.ConvolutionalAutoEncoder else {}
    return kind(random_state=seed, tail_screen=2.0, **params)


KINDS = [
    skae.DenoisingAutoEncoder,
    skae.SparseAutoEncoder,
    skae.VariationalAutoEncoder,
    skae.ContractiveAutoEncoder,
    skae.ConvolutionalAutoEncoder,
]

EXTRA: dict[str, Callable[[int], object]] = {
    "AutoEncoder.tail95": partial(_make, {"q": 95.0}),
    "AutoEncoder.tail90": partial(_make, {"q": 90.0}),
    "AutoEncoder.tailabs2": partial(_make, {"above": 2.0}),
    "AutoEncoder.tailabs1.5": partial(_make, {"above": 1.5}),
    **{f"{k.__name__}.tailabs2": partial(_make, {"above": 2.0}, kind=k) for k in KINDS},
    **{f"{k.__name__}.screen2": partial(_built_in, kind=k) for k in [skae.AutoEncoder, *KINDS]},
}
