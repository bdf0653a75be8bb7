"""Variants of round 7 of issue 14's ablation (``results/detection_ablation_6.md``):
``VariationalAutoEncoder`` with its ``max_epochs="auto"`` cap at 50 (``VAE.E50``) and 20
(``VAE.E20``) instead of 200 (not adopted). Use with ``detection.py --extra``."""

from collections.abc import Callable

import skae


def capped(cap: int) -> Callable[[int], skae.VariationalAutoEncoder]:
    class Capped(skae.VariationalAutoEncoder):
        _auto_max_epochs = cap

    Capped.__name__ = "VariationalAutoEncoder"
    return lambda seed: Capped(random_state=seed)


EXTRA = {"VAE.E20": capped(20), "VAE.E50": capped(50)}
