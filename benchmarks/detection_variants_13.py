"""Variants of round 18 of issue 14's ablation, for ``detection.py --extra``: a weight
decay (Adam's L2 penalty, the estimators' ``weight_decay``) on the default
``AutoEncoder``.

Why: a small, tight group of anomalies in the training rows (near-duplicates, the
clustered type at a low share) is reconstructed *better* than the normal rows after 20
epochs: the network spends a little of its capacity on one more point, far from the
rows it generalises over, and fits it exactly. A probe of that case (a 3-feature table
with 0.4% near-duplicate anomalies three standard deviations out in one feature, the
shape of the unseen set issue 14 names) scored the default's reconstruction term at
ROC-AUC 0.11-0.71 over three draws, worse than chance where it was lowest. Fitting one
isolated point exactly takes large weights that no other row needs; an L2 penalty on
the weights makes them cost, while the structure the many normal rows share is still
learned (it lowers their loss far more than it costs). Nothing else changes: the loss,
the score, the network and the training length are the defaults.

- ``AE.wd1e-3``: ``AutoEncoder(weight_decay=1e-3)``;
- ``AE.wd1e-2``: ``AutoEncoder(weight_decay=1e-2)``;
- ``AE.wd0.01/d``, ``AE.wd0.03/d``: ``weight_decay = c / n_features`` with ``c`` 0.01
  and 0.03 (``_PenaltyPerFeature``);
- ``AE.narrow4``, ``AE.narrow2``: narrower hidden layers on tables of fewer than 16
  features (``_NarrowOnNarrowTables``).

Results: ``benchmarks/results/detection_ablation_15.md``.
"""

import math
from collections.abc import Callable

import skae

EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {
    "AE.wd1e-3": lambda seed: skae.AutoEncoder(weight_decay=1e-3, random_state=seed),
    "AE.wd1e-2": lambda seed: skae.AutoEncoder(weight_decay=1e-2, random_state=seed),
}


class _PenaltyPerFeature(skae.AutoEncoder):
    """``weight_decay = c / n_features``: the training loss is a mean over the
    features, so a fixed penalty weighs ``n_features`` times more against a row's
    summed reconstruction error on a wide table than on a narrow one; this keeps
    it at ``c`` against the summed error."""

    per_feature_penalty = 0.0

    def fit(self, X, y=None):
        self.weight_decay = self.per_feature_penalty / X.shape[1]
        return super().fit(X, y)


class _NarrowOnNarrowTables(skae.AutoEncoder):
    """On tables of fewer than 16 features, hidden layers of the power of two
    nearest ``units_per_feature * n_features`` units (at least 8) and half that;
    wider tables keep ``hidden_layer_sizes="auto"``. A 3-feature table then gets
    a 16-8 network instead of 64-32: capacity that follows the data leaves less
    to spare for fitting a small group of training rows exactly."""

    units_per_feature = 4

    def fit(self, X, y=None):
        n_features = X.shape[1]
        if n_features < 16:
            width = min(64, max(8, 2 ** round(math.log2(self.units_per_feature * n_features))))
            self.hidden_layer_sizes = (width, max(4, width // 2))
        return super().fit(X, y)


def _variant(base: type, **attributes: float) -> Callable[[int], skae.AutoEncoder]:
    """The factory of a subclass of ``base`` with these class attributes, named
    as the kind it varies (as the earlier variants files name theirs)."""
    # The module is named outright: ``detection.py --extra`` runs this file
    # with ``exec``, whose namespace has no ``__name__`` for ``type`` to read.
    cls = type("AutoEncoder", (base,), {"__module__": base.__module__, **attributes})
    return lambda seed: cls(random_state=seed)


EXTRA["AE.wd0.01/d"] = _variant(_PenaltyPerFeature, per_feature_penalty=0.01)
EXTRA["AE.wd0.03/d"] = _variant(_PenaltyPerFeature, per_feature_penalty=0.03)
EXTRA["AE.narrow4"] = _variant(_NarrowOnNarrowTables, units_per_feature=4)
EXTRA["AE.narrow2"] = _variant(_NarrowOnNarrowTables, units_per_feature=2)
