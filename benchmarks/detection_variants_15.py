"""Variants of round 21 of issue 14's ablation, for ``detection.py --extra``: smaller
batches, at the rate ``lr="auto"`` gives them.

Why: with ``lr="auto"`` (thirty-third session) a batch of ``b`` rows trains at ``1e-3 *
sqrt(b / 64)``. On the 254-row penguin table of ``categorical.py`` a batch of 16 (four
times the steps of an epoch, at half the rate) lifted the combination kind from 0.792 to
0.933 and cost the synthetic table's rare kind (0.964 to 0.948). Small tables are also
where issue 14's views have found longer training to cost the clustered type; this
measures the batch on every view.

- ``AE.b16``, ``AE.b32``: ``AutoEncoder(batch_size=16)`` and ``(batch_size=32)``,
  ``lr="auto"`` (5e-4 and 7.1e-4).

Results: ``benchmarks/results/detection_ablation_18.md``.
"""

from collections.abc import Callable
from functools import partial

import skae


def _batch(size: int, seed: int) -> skae.AutoEncoder:
    return skae.AutoEncoder(batch_size=size, random_state=seed)


EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {
    "AE.b16": partial(_batch, 16),
    "AE.b32": partial(_batch, 32),
}
