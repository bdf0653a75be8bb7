"""The contraction-won warning under ``loss="binary_crossentropy"``.

Under the cross-entropy the loss includes the data's entropy, which a perfect
reconstruction still pays, and a contraction that won drives itself to near
0 (an encoder that maps every row to one code has no Jacobian). The warning
judged only a penalty of 1% of the loss or more, so it never came under this
loss. It now takes the share of the loss above the entropy, and after 50
optimiser steps judges a smaller share by flattened reconstructions alone.

For each table (min-max scaled for the cross-entropy; ``load_digits`` / 16 on
its first 600 rows) and ``contraction_weight``, a default
``ContractiveAutoEncoder(random_state=0)`` fit: the median row's squared error
over the features' means' (``err/means``; 1 is no better than the means), and
whether it warned that the penalty won (``W``) or that the reconstructions
hardly vary (``F``, the fit's own check, which the won warning yields to), else
``-``. The plain ``AutoEncoder`` of the same loss is the first column.

Run: ``python benchmarks/cross_entropy_won.py`` (a few minutes).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.preprocessing import minmax_scale

from skae import AutoEncoder, ContractiveAutoEncoder

WEIGHTS = (0.01, 0.1, 1.0, 10.0)


def _fit(model, X: np.ndarray) -> str:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X)
    messages = [str(w.message) for w in caught]
    mark = "W" if any("penalty won" in m for m in messages) else "-"
    if mark == "-" and any("hardly vary" in m for m in messages):
        mark = "F"
    R = model.inverse_transform(model.transform(X))
    ratio = np.median(((R - X) ** 2).mean(1)) / np.median(((X.mean(0) - X) ** 2).mean(1))
    return f"{ratio:.3f} {mark}"


def main() -> None:
    torch.set_num_threads(1)
    tables = {
        "digits": load_digits().data[:600] / 16.0,
        "wine": load_wine().data,
        "breast_cancer": load_breast_cancer().data,
        "iris": load_iris().data,
    }
    print("| table | loss | AutoEncoder | " + " | ".join(f"weight {w:g}" for w in WEIGHTS) + " |")
    print("|---|---|---:|" + "---:|" * len(WEIGHTS))
    for name, X in tables.items():
        for loss in ("squared_error", "binary_crossentropy"):
            data = minmax_scale(X) if loss == "binary_crossentropy" else X
            cells = [_fit(AutoEncoder(loss=loss, random_state=0), data)]
            for weight in WEIGHTS:
                model = ContractiveAutoEncoder(loss=loss, contraction_weight=weight, random_state=0)
                cells.append(_fit(model, data))
            print(f"| {name} | {loss} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
