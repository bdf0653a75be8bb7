"""Ablation round 4 of issue 14, for ``detection.py --extra``: small ensembles.

The issue names "small ensembles over subsamples or bottleneck sizes inside
one estimator" among the directions. These detectors average the scores of
default ``AutoEncoder`` members fitted with different seeds, each member's
score first centred on its training median and divided by its training
interquartile range:

* ``AE.ens2``: two members at the default training length (twice the cost);
* ``AE.ens2h``: two members at half the default number of epochs each (the
  default's cost);
* ``AE.half``: one member at half the epochs, to tell the ensemble's effect
  from the shorter training's.

Commands and tables: ``benchmarks/results/detection_ablation_3.md``, section 4.
"""

import numpy as np

import skae
from skae import _sizing


def _default_epochs(n_samples: int) -> int:
    """The epochs of ``max_epochs="auto"`` for a table of ``n_samples`` rows."""
    epochs = -(-_sizing.SAMPLES_SEEN // n_samples)
    return int(min(_sizing.MAX_EPOCHS, max(_sizing.MIN_EPOCHS, epochs)))


class Ensemble:
    """The mean of ``members`` AutoEncoders' standardised scores."""

    def __init__(self, seed: int, members: int = 2, epochs_divisor: int = 1) -> None:
        self.seed, self.members, self.epochs_divisor = seed, members, epochs_divisor

    def fit(self, X):
        epochs = max(1, _default_epochs(len(X)) // self.epochs_divisor)
        self.models_ = [
            skae.AutoEncoder(random_state=self.seed + 1000 * i, max_epochs=epochs).fit(X)
            for i in range(self.members)
        ]
        self.stats_ = []
        for model in self.models_:
            q1, median, q3 = np.percentile(model.score_samples(X), [25, 50, 75])
            self.stats_.append((median, max(q3 - q1, 1e-12)))
        return self

    def score_samples(self, X):
        return np.mean(
            [
                (model.score_samples(X) - median) / spread
                for model, (median, spread) in zip(self.models_, self.stats_, strict=True)
            ],
            axis=0,
        )


EXTRA = {
    "AE.ens2": lambda seed: Ensemble(seed, members=2),
    "AE.ens2h": lambda seed: Ensemble(seed, members=2, epochs_divisor=2),
    "AE.half": lambda seed: Ensemble(seed, members=1, epochs_divisor=2),
}
