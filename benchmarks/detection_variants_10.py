"""Variant of round 13 of issue 14's ablation, for ``detection.py --extra``: ``VAE.es``,
the default ``VariationalAutoEncoder`` with ``early_stopping=True`` (a tenth of the
training rows held out, training stopped once their loss has not improved for
``patience`` epochs, the best epoch's weights kept).

Why: ``max_epochs="auto"`` lets the variational kind train up to 200 epochs (its
likelihood kept improving that long on the digits), and on small, wide tables that
memorises the training rows. A probe (400 rows of 768 features on the unit sphere) and
one-class MNIST (digit 0, 686 training rows) measured the held-out ``score`` (the mean
log-likelihood) at -1012 and -987 after the default's 200 epochs, against 1673 and -784
after 20, and 1711 and -556 with early stopping (stopped at 47 and 100 epochs)."""

from collections.abc import Callable

import skae

EXTRA: dict[str, Callable[[int], skae.VariationalAutoEncoder]] = {
    "VAE.es": lambda seed: skae.VariationalAutoEncoder(early_stopping=True, random_state=seed),
}
