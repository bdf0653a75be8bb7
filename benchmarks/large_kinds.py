"""Every dense kind on a large table, at ``batch_size="auto"`` / ``lr="auto"`` and at
the batch and rate of the first release (issue 19, thirty-third session).

The larger batch of ``"auto"`` above 200,000 rows was chosen on ``AutoEncoder``
(``large_seeds.py``); this checks that every dense kind trains at it (the loss falls,
no divergence) and scores about as well, on 250,000 rows of 20 features (a
3-dimensional signal through a fixed non-linear map, plus noise) with 20,000 test rows
of which 200 are shifted by Gaussian noise. One thread, ``random_state=0``.

Run: ``python benchmarks/large_kinds.py`` (about 4 minutes on one core).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from skae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

KINDS = (
    AutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
    ContractiveAutoEncoder,
)


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)

    def table(n: int) -> np.ndarray:
        z = rng.normal(size=(n, 3))
        return np.tanh(z @ rng.normal(size=(3, 20))) + 0.05 * rng.normal(size=(n, 20))

    X, test = table(250_000), table(20_000)
    labels = np.zeros(len(test), dtype=int)
    labels[:200] = 1
    test[:200] += rng.normal(size=(200, 20))
    print("| kind | batch, lr | fit s | first / last train loss | ROC-AUC |")
    print("|---|---|---:|---|---:|")
    for kind in KINDS:
        for params in ({}, {"batch_size": 64, "lr": 1e-3}):
            start = time.perf_counter()
            model = kind(random_state=0, **params).fit(X)
            seconds = time.perf_counter() - start
            history = model.net_.history
            auc = roc_auc_score(labels, -model.score_samples(test))
            print(
                f"| {kind.__name__} | {model.net_.batch_size}, {model.net_.lr:g} | "
                f"{seconds:.1f} | {history[0, 'train_loss']:.4f} / "
                f"{history[-1, 'train_loss']:.4f} | {auc:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
