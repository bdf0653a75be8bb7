"""Variants of round 14 of issue 14's ablation, for ``detection.py --extra``: each kind
with the variational kind's ``early_stopping="auto"`` rule (from 200 training rows a
tenth is held out; training keeps the best held-out epoch, and ``contamination="auto"``
draws its fence on the held-out rows' scores). ``AE.es`` is ``AutoEncoder``'s; the other
kinds' are named ``<Kind>.es``.

Why: after a fit on a small, wide table the default ``AutoEncoder`` scores its training
rows better than new ones, so the fence drawn on the training scores flagged 81-85% of
new normal rows on 400 rows of 768 features (``benchmarks/results/new_rows.md``)."""

from collections.abc import Callable

import skae


def _held_out(kind: type) -> type:
    """``kind`` with ``early_stopping="auto"`` on from 200 rows on tables of any
    width (the adopted default asks for 91 columns or more but for the
    variational kind; before it, the other kinds' ``"auto"`` was off)."""
    return type(
        f"HeldOut{kind.__name__}",
        (kind,),
        {"_auto_early_stopping_features": 1, "__module__": "detection_variants_11"},
    )


def _factory(kind: type, params: dict) -> Callable[[int], skae.BaseAutoEncoder]:
    return lambda seed: kind(early_stopping="auto", random_state=seed, **params)


EXTRA: dict[str, Callable[[int], skae.BaseAutoEncoder]] = {
    f"{short}.es": _factory(
        _held_out(getattr(skae, name)),
        {"scaling": "feature"} if name == "ConvolutionalAutoEncoder" else {},
    )
    for name, short in [
        ("AutoEncoder", "AE"),
        ("DenoisingAutoEncoder", "DenoisingAutoEncoder"),
        ("SparseAutoEncoder", "SparseAutoEncoder"),
        ("ContractiveAutoEncoder", "ContractiveAutoEncoder"),
        ("ConvolutionalAutoEncoder", "ConvolutionalAutoEncoder"),
    ]
}
