"""Issue 18's own measurement: what grid search without a scorer picks on digits.

``load_digits`` / 16; for each kind, ``kind(n_components=k, random_state=0,
max_epochs=30)`` for k in 1, 2, 4, 8, 16, 32, cross-validated on ``KFold(3)``
(what ``GridSearchCV(..., cv=3)`` uses for an unsupervised estimator), scoring
both the estimator's own ``score`` (what ``GridSearchCV`` maximises without a
scorer) and ``skae.reconstruction_error_scorer``. Prints one markdown row per
kind: the Spearman correlation of the two over the candidates, the ``k`` each
picks and the mean ``score`` per candidate.

Run: ``python benchmarks/model_selection_issue.py`` (about 2 minutes, one thread).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.datasets import load_digits
from sklearn.model_selection import KFold, cross_validate

import skae

KINDS = (
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "VariationalAutoEncoder",
)
GRID = (1, 2, 4, 8, 16, 32)


def own_score(estimator, X, y=None) -> float:
    return estimator.score(X)


def main() -> None:
    torch.set_num_threads(1)
    X = load_digits().data / 16.0
    scoring = {"score": own_score, "mse": skae.reconstruction_error_scorer}
    print("| kind | rho | picks | best by held-out MSE | mean `score` per candidate |")
    print("|---|---:|---:|---:|---|")
    for name in KINDS:
        scores, errors = [], []
        for k in GRID:
            model = getattr(skae, name)(n_components=k, random_state=0, max_epochs=30)
            result = cross_validate(model, X, cv=KFold(3), scoring=scoring)
            scores.append(result["test_score"].mean())
            errors.append(result["test_mse"].mean())
        rho = spearmanr(scores, errors).statistic
        picks, best = GRID[int(np.argmax(scores))], GRID[int(np.argmax(errors))]
        values = ", ".join(f"{s:.1f}" for s in scores)
        print(f"| {name} | {rho:+.2f} | {picks} | {best} | {values} |", flush=True)


if __name__ == "__main__":
    main()
