"""Variants of round 20 of issue 14's ablation, for ``detection.py --extra``: one code,
not two, on tables of fewer than 64 features.

Why: ``n_components="auto"`` gives one code per 32 features but at least two. On a
3-feature table two codes keep two of the three dimensions, room enough for the network
to fit a small tight group of training anomalies exactly: on the near-duplicate tables
of ``near_duplicates.py`` the default's mean ROC-AUC over three table seeds is 0.66-0.94
on 3 features (lowest draw 0.28; IsolationForest 0.95-0.99). A probe with one code raised
the 3-feature tables to 0.90-0.99 and the 4- and 6-feature ones by 0.14-0.29. Unlike a
narrower network (round 19, rejected), the number of codes of a reduction is the user's
``n_components``, so the rule moves only what ``"auto"`` decides.

- ``AE.k1``: ``AutoEncoder`` with one code per 32 features, at least one (``n_features //
  32`` within [1, 32]): one code below 64 features, as before from 64 on.

Results: ``benchmarks/results/detection_ablation_17.md``.
"""

from collections.abc import Callable

import skae


class _OneCodeMinimum(skae.AutoEncoder):
    """``n_components="auto"`` with a minimum of one code instead of two."""

    def fit(self, X, y=None):
        self.n_components = min(32, max(1, X.shape[1] // 32))
        return super().fit(X, y)


def _one_code(seed: int) -> skae.AutoEncoder:
    return _OneCodeMinimum(random_state=seed)


EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {"AE.k1": _one_code}
