"""Variants of round 22 of issue 14's ablation, for ``detection.py --extra``: a
batch that shrinks on small tables, so that an epoch takes at least 16 steps.

Why: 20 epochs at batches of 64 give a table of 56 training rows 20 steps in all
and one of 256 rows 80. Round 21 (``detection_ablation_18.md``) found batches of
16 at ``lr="auto"`` gaining the dependency, global and local types, at 2.8 times
the fit seconds, nearly all of them spent on the large tables, where it changed
little. Here the rule touches small tables only: ``batch_size="auto"`` halves the
batch of 64, down to 16, while an epoch would take fewer than 16 steps (16 rows a
batch below 512 training rows, 32 below 1,024), at the rate ``lr="auto"`` gives it
(``1e-3 * sqrt(batch / 64)``). Tables of 1,024 rows or more train as before.

- ``<Kind>.steps16``: each kind with that rule, its other parameters as
  ``detection.py`` builds that kind.

Results: ``benchmarks/results/detection_ablation_19.md``.
"""

from collections.abc import Callable
from functools import partial

import skae

MIN_BATCH_SIZE = 16
MIN_STEPS_PER_EPOCH = 16


def small_table_batch(n_samples: int | None, default: int) -> int:
    """The rule: ``default`` halved while an epoch would take fewer than
    ``MIN_STEPS_PER_EPOCH`` steps, down to ``MIN_BATCH_SIZE``."""
    batch = default
    if n_samples is None or batch > 64:
        return batch
    while batch > MIN_BATCH_SIZE and n_samples < batch * MIN_STEPS_PER_EPOCH:
        batch //= 2
    return batch


def _with_rule(kind: type) -> type:
    class Steps(kind):
        def _batch_size(self, n_samples):
            return small_table_batch(n_samples, super()._batch_size(n_samples))

    Steps.__name__ = Steps.__qualname__ = f"{kind.__name__}Steps16"
    return Steps


KINDS = [
    skae.AutoEncoder,
    skae.DenoisingAutoEncoder,
    skae.SparseAutoEncoder,
    skae.VariationalAutoEncoder,
    skae.ContractiveAutoEncoder,
    skae.ConvolutionalAutoEncoder,
]


def _make(kind: type, seed: int):
    # As detection.py builds the convolutional kind.
    params = {"scaling": "feature"} if kind is skae.ConvolutionalAutoEncoder else {}
    return _with_rule(kind)(random_state=seed, **params)


EXTRA: dict[str, Callable[[int], object]] = {
    f"{kind.__name__}.steps16": partial(_make, kind) for kind in KINDS
}
