"""Ablation round 3 of issue 14, for ``detection.py --extra``: wider hidden layers.

Today's ``hidden_layer_sizes="auto"`` gives the first hidden layer the power of
two nearest ``n_features`` (within [64, 512]), the second half as many: a 64-32
network for the 64 pixels of the digits, where a hand-written 64-512-256-k
network reaches held-out reconstruction errors a third to half of the default's
(issue 14). These variants only widen the layers, ``factor`` times
``n_features`` before rounding to a power of two, same bounds:

* ``AE.w4``: the power of two nearest ``4 * n_features``;
* ``AE.w8``: the power of two nearest ``8 * n_features``.

They change only data sets with more than about 16 (``w4``) or 8 (``w8``)
features; the rest reproduce the default's rows. Commands and tables:
``benchmarks/results/detection_ablation_3.md``.
"""

import math

import skae
from skae import _sizing


def widened(factor: int):
    def factory(seed):
        class Wider(skae.AutoEncoder):
            def _fit(self, X, *, partial):
                first = 2 ** round(math.log2(factor * X.shape[1]))
                first = int(min(_sizing.MAX_WIDTH, max(_sizing.MIN_WIDTH, first)))
                self.hidden_layer_sizes = (first, max(_sizing.MIN_WIDTH // 2, first // 2))
                return super()._fit(X, partial=partial)

        Wider.__name__ = "AutoEncoder"
        return Wider(random_state=seed)

    return factory


EXTRA = {"AE.w4": widened(4), "AE.w8": widened(8)}
