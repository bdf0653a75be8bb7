"""Scattered outliers among the training rows of a small, wide table: how
long the variational kind trains against how well it finds them
(tenth session, a probe's finding).

The table: 1,000 inlier rows around ten random centres in 512 dimensions
and 30 outlier rows each around a direction of its own, every row
L2-normalised (as image or text embeddings often are), float32. Each
detector is fitted on all 1,030 rows and scores them; the table gives the
ROC-AUC of the outliers against the inliers, and the epochs trained.
``--seeds`` draws other tables.

    python benchmarks/wide_outliers.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from skae import AutoEncoder, VariationalAutoEncoder

N_INLIERS, N_OUTLIERS, N_FEATURES, N_CENTRES = 1000, 30, 512, 10


def table(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)

    def unit_rows(X: np.ndarray) -> np.ndarray:
        return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)

    centres = rng.normal(size=(N_CENTRES, N_FEATURES))
    inliers = 2 * centres[rng.randint(N_CENTRES, size=N_INLIERS)]
    inliers = unit_rows(inliers + rng.normal(size=inliers.shape))
    outliers = unit_rows(
        2 * rng.normal(size=(N_OUTLIERS, N_FEATURES)) + rng.normal(size=(N_OUTLIERS, N_FEATURES))
    )
    X = np.vstack([inliers, outliers])
    return X, np.r_[np.zeros(N_INLIERS), np.ones(N_OUTLIERS)]


def pca_error(X: np.ndarray, k: int) -> np.ndarray:
    pca = PCA(k, random_state=0).fit(X)
    return -np.square(X - pca.inverse_transform(pca.transform(X))).sum(axis=1)


DETECTORS: dict[str, Callable[[int], object]] = {
    "VariationalAutoEncoder (default)": lambda s: VariationalAutoEncoder(random_state=s),
    # The default before early_stopping="auto" (twenty-second session).
    "VariationalAutoEncoder(early_stopping=False)": lambda s: VariationalAutoEncoder(
        early_stopping=False, random_state=s
    ),
    "VariationalAutoEncoder(max_epochs=50)": lambda s: VariationalAutoEncoder(
        max_epochs=50, random_state=s
    ),
    "VariationalAutoEncoder(max_epochs=20)": lambda s: VariationalAutoEncoder(
        max_epochs=20, random_state=s
    ),
    "AutoEncoder (default)": lambda s: AutoEncoder(random_state=s),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print("| seed | detector | epochs | ROC-AUC |\n|---|---|---:|---:|")
    for seed in args.seeds:
        X, y = table(seed)
        for name, make in DETECTORS.items():
            model = make(seed).fit(X)
            auc = roc_auc_score(y, -model.score_samples(X))
            print(f"| {seed} | {name} | {model.n_iter_} | {auc:.3f} |", flush=True)
        forest = IsolationForest(random_state=seed).fit(X)
        print(
            f"| {seed} | IsolationForest | - | {roc_auc_score(y, -forest.score_samples(X)):.3f} |"
        )
        for k in (16, 0.9):
            print(f"| {seed} | PCA({k}) error | - | {roc_auc_score(y, -pca_error(X, k)):.3f} |")


if __name__ == "__main__":
    main()
