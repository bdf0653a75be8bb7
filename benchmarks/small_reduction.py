"""Reduction on a small table: held-out reconstruction error of the default kinds
against PCA with the same number of codes.

100 training rows of iris (a random permutation per seed), the other 50 held out;
2 codes. Each cell is the held-out mean squared error (original units) divided by
PCA's. Prints a markdown table; ``results/small_reduction.md`` holds its output.

Run: ``python benchmarks/small_reduction.py`` (about a minute on one thread).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

import skae

MODELS = {
    "AutoEncoder": lambda seed: skae.AutoEncoder(n_components=2, random_state=seed),
    "AutoEncoder, max_epochs=100": lambda seed: skae.AutoEncoder(
        n_components=2, max_epochs=100, random_state=seed
    ),
    "VariationalAutoEncoder": lambda seed: skae.VariationalAutoEncoder(
        n_components=2, random_state=seed
    ),
    # The network "auto" gives tables of 4 features from 1,000 rows on
    # (skae._sizing.TINY_WIDTHS): why it needs that many.
    "AutoEncoder(hidden_layer_sizes=(16, 8))": lambda seed: skae.AutoEncoder(
        n_components=2, hidden_layer_sizes=(16, 8), random_state=seed
    ),
    "AutoEncoder(hidden_layer_sizes=(16, 8)), max_epochs=100": lambda seed: skae.AutoEncoder(
        n_components=2, hidden_layer_sizes=(16, 8), max_epochs=100, random_state=seed
    ),
}


def main() -> None:
    X = load_iris().data
    print("| model | seed 0 | seed 1 |")
    print("|---|---:|---:|")
    ratios: dict[str, list[float]] = {name: [] for name in MODELS}
    for seed in (0, 1):
        order = np.random.RandomState(seed).permutation(len(X))
        train, test = X[order[:100]], X[order[100:]]
        pca = PCA(2).fit(train)
        reference = np.mean((test - pca.inverse_transform(pca.transform(test))) ** 2)
        for name, make in MODELS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = make(seed).fit(train)
            error = np.mean((test - model.inverse_transform(model.transform(test))) ** 2)
            ratios[name].append(error / reference)
    for name, values in ratios.items():
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + " |")


if __name__ == "__main__":
    main()
