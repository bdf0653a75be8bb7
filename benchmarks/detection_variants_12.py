"""Variants of round 16 of issue 14's ablation, for ``detection.py --extra``: training on
the absolute error instead of the squared error.

Why: every view's training rows hold anomalies, and the network learns to reconstruct
them, after which they score as normal (the clustered type most of all). Under the squared
error a row's pull on the network grows with the square of its error, so a group far from
the normal rows is what the network learns first. Under the absolute error every row pulls
with the same strength whatever its error (the gradient of ``|e|`` is its sign), so a far
group gets the weight of its share of the rows and no more. This is the usual robust
alternative to trimming, which rounds 1 and 12 measured (``trim10``, ``AE.fence``). It
fixes no share of rows to leave out.

- ``AE.l1``: the default ``AutoEncoder`` trained on the absolute error, and scored on it
  (each feature's absolute error over its training mean);
- ``AE.l1.sq``: trained on the absolute error, scored on the squared error as the
  default is;
- ``AE.huber``: trained on the Huber loss with a threshold of one standard deviation of
  the feature (the inputs are standardised, so 1), scored on the squared error. An entry
  reconstructed within its feature's spread costs its squared error (half of it), as
  now, so normal rows are fitted as tightly; beyond that it pulls with a constant
  strength. This is the usual middle between the two;
- ``AE.huber.h``: the same, scored on the Huber loss;
- ``DAE.huber``, ``SAE.huber``, ``CAE.huber``, ``Conv.huber``: the denoising, sparse,
  contractive and convolutional kinds with ``loss="huber"`` (the convolutional one with
  ``scaling="feature"``, as ``detection.py`` runs it).

``AE.huber`` was first a subclass here; it is now ``AutoEncoder(loss="huber")``
(:class:`skae._reconstruction.HuberError`), which scored every problem checked exactly as
the subclass did.
"""

from collections.abc import Callable

import skae
from skae._reconstruction import HuberError, PerFeatureLoss, SquaredError


class _AbsoluteError(PerFeatureLoss):
    def per_feature(self, out, x):
        return (out["x_hat"] - x).abs()

    def reconstruct(self, out):
        return out["x_hat"]


class _AbsoluteErrorScoredSquared(_AbsoluteError):
    def score_terms(self, out, x):
        return (out["x_hat"] - x).square()


class _HuberScoredHuber(HuberError):
    def score_terms(self, out, x):
        return self.per_feature(out, x)


class _L1(skae.AutoEncoder):
    _loss_class = _AbsoluteError

    def _make_criterion(self, n_features):
        criterion = super()._make_criterion(n_features)
        # Numbers only (the views' data): a mixed-type loss is kept as it is.
        return self._loss_class() if type(criterion) is SquaredError else criterion


class _L1Squared(_L1):
    _loss_class = _AbsoluteErrorScoredSquared


class _HuberScored(_L1):
    _loss_class = _HuberScoredHuber


for _cls in (_L1, _L1Squared, _HuberScored):
    _cls.__name__ = "AutoEncoder"


EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {
    "AE.l1": lambda seed: _L1(random_state=seed),
    "AE.l1.sq": lambda seed: _L1Squared(random_state=seed),
    "AE.huber": lambda seed: skae.AutoEncoder(loss="huber", random_state=seed),
    "AE.huber.h": lambda seed: _HuberScored(random_state=seed),
    "DAE.huber": lambda seed: skae.DenoisingAutoEncoder(loss="huber", random_state=seed),
    "SAE.huber": lambda seed: skae.SparseAutoEncoder(loss="huber", random_state=seed),
    "CAE.huber": lambda seed: skae.ContractiveAutoEncoder(loss="huber", random_state=seed),
    "Conv.huber": lambda seed: skae.ConvolutionalAutoEncoder(
        loss="huber", scaling="feature", random_state=seed
    ),
}
