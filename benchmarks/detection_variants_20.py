"""Variants of round 28 of issue 14's ablation, for ``detection.py --extra``: the
default ``AutoEncoder``'s score combined with an ``IsolationForest``'s on the same
training rows.

Why: 27 rounds found every lever that stops the network learning a group of
anomalies among its training rows (the clustered type, where IsolationForest
leads by 0.05) also costs the fine structure the dependency and local types and
one-class MNIST need (where the autoencoder leads). IsolationForest is immune to
the group by subsampling (256 rows per tree hold about one of its rows), the
issue's first named direction; the network is not, whatever it is trained with.
The question here is what the two scores give together, each on a scale-free
footing, before any thought of building a forest into the estimator (which its
``partial_fit``, ``explain``, ONNX export and likelihood ``score`` would all have
to follow).

Each detector's training scores are centred on their median and divided by
their interquartile range (so neither dominates by its units), then:

- ``AE.if_mean``: the mean of the two standardised scores;
- ``AE.if_min``: the lower of the two (a row either one finds abnormal).

The threshold is Tukey's fence on the combined training scores, as
``contamination="auto"`` draws it.

Results: ``benchmarks/results/detection_ablation_25.md``.
"""

from collections.abc import Callable

import numpy as np
from sklearn.ensemble import IsolationForest

import skae


class _WithForest:
    """An ``AutoEncoder`` and an ``IsolationForest`` scored together."""

    def __init__(self, seed: int, how: str) -> None:
        self.autoencoder = skae.AutoEncoder(random_state=seed)
        self.forest = IsolationForest(random_state=seed)
        self.how = how

    def _standardised(self, X) -> list[np.ndarray]:
        return [
            (model.score_samples(X) - centre) / spread
            for model, (centre, spread) in zip(
                (self.autoencoder, self.forest), self.scales, strict=True
            )
        ]

    def fit(self, X, y=None):
        self.autoencoder.fit(X)
        self.forest.fit(X)
        self.scales = []
        for model in (self.autoencoder, self.forest):
            scores = model.score_samples(X)
            q1, median, q3 = np.percentile(scores, [25, 50, 75])
            self.scales.append((median, max(q3 - q1, 1e-12)))
        train = self.score_samples(X)
        q1, q3 = np.percentile(train, [25, 75])
        self.offset_ = q1 - 1.5 * (q3 - q1)
        return self

    def score_samples(self, X) -> np.ndarray:
        ae, forest = self._standardised(X)
        return (ae + forest) / 2 if self.how == "mean" else np.minimum(ae, forest)

    def predict(self, X) -> np.ndarray:
        return np.where(self.score_samples(X) < self.offset_, -1, 1)


def _variant(how: str) -> Callable[[int], _WithForest]:
    return lambda seed: _WithForest(seed, how)


EXTRA: dict[str, Callable[[int], _WithForest]] = {
    "AE.if_mean": _variant("mean"),
    "AE.if_min": _variant("min"),
}
