"""Variants of round 27 of issue 14's ablation, for ``detection.py --extra``: a
decoupled weight decay (AdamW, Loshchilov and Hutter, 2019) on the default
``AutoEncoder``, in place of Adam's L2 penalty that ``weight_decay`` adds.

Why: round 18 (``detection_ablation_15.md``) found that Adam's L2 penalty at
``1e-2`` keeps a group of anomalies among the training rows from being learned
(clustered 0.914 to 0.945) and costs the fine structure the dependency and local
types and one-class MNIST need. Adam divides the penalty's gradient by each
weight's running gradient size, so it shrinks hardest the weights the loss uses
least and barely touches the busy ones: a penalty of a different shape from L2.
AdamW shrinks every weight by the same share each step (``lr * decay``), the
shape of L2 itself; whether that shape makes a different trade is the question.

- ``AE.adamw0.1``, ``AE.adamw1``, ``AE.adamw3``, ``AE.adamw10``: AdamW with
  ``weight_decay`` 0.1, 1, 3 and 10 (at the default rate of 1e-3 a step shrinks
  each weight by 1e-4 to 1e-2 of itself).

Results: ``benchmarks/results/detection_ablation_24.md``.
"""

from collections.abc import Callable

import torch

import skae


class _DecoupledDecay(skae.AutoEncoder):
    """``AutoEncoder`` trained with AdamW at ``decoupled_decay``."""

    decoupled_decay = 0.0

    def _make_net(self, *args, **kwargs):
        net = super()._make_net(*args, **kwargs)
        net.optimizer = torch.optim.AdamW
        net.optimizer__weight_decay = self.decoupled_decay
        return net


def _variant(decay: float) -> Callable[[int], skae.AutoEncoder]:
    # Named outright: ``detection.py --extra`` runs this file with ``exec``,
    # whose namespace has no ``__name__`` for ``type`` to read.
    attributes = {"__module__": _DecoupledDecay.__module__, "decoupled_decay": decay}
    cls = type("AutoEncoder", (_DecoupledDecay,), attributes)
    return lambda seed: cls(random_state=seed)


EXTRA: dict[str, Callable[[int], skae.AutoEncoder]] = {
    f"AE.adamw{decay:g}": _variant(decay) for decay in (0.1, 1.0, 3.0, 10.0)
}
