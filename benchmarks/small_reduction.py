"""Reduction on a small table: held-out reconstruction error of the default kinds
against PCA with the same number of codes.

100 training rows of iris (a random permutation per seed), the other 50 held out;
2 codes. Each cell is the held-out mean squared error (original units) divided by
PCA's. Prints a markdown table; ``results/small_reduction.md`` holds its output.

A second table: 3-feature manifolds (``make_s_curve`` and ``make_swiss_roll``,
noise 0.05) of 1,000, 2,000 and 5,000 training rows and 1,000 held out, 2
codes: held-out mean squared error of PCA, of the default, of a 16-8
network (the width a rejected rule gave tables of 3 or 4 features;
``results/detection_ablation_16.md``) and of the default trained 10 and 5
epochs instead of 20 (``results/detection_ablation_17.md``).

Run: ``python benchmarks/small_reduction.py`` (about two minutes on one thread).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_iris, make_s_curve, make_swiss_roll
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
    # A narrower network learns more slowly (results/detection_ablation_16.md).
    "AutoEncoder(hidden_layer_sizes=(16, 8))": lambda seed: skae.AutoEncoder(
        n_components=2, hidden_layer_sizes=(16, 8), random_state=seed
    ),
    "AutoEncoder(hidden_layer_sizes=(16, 8)), max_epochs=100": lambda seed: skae.AutoEncoder(
        n_components=2, hidden_layer_sizes=(16, 8), max_epochs=100, random_state=seed
    ),
}


def heldout_error(model, train: np.ndarray, test: np.ndarray) -> float:
    """``model`` fitted on ``train`` (warnings silenced): the mean squared error
    of its reconstructions of ``test``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(train)
    return float(np.mean((test - model.inverse_transform(model.transform(test))) ** 2))


def main() -> None:
    X = load_iris().data
    print("| model | seed 0 | seed 1 |")
    print("|---|---:|---:|")
    ratios: dict[str, list[float]] = {name: [] for name in MODELS}
    for seed in (0, 1):
        order = np.random.RandomState(seed).permutation(len(X))
        train, test = X[order[:100]], X[order[100:]]
        reference = heldout_error(PCA(2), train, test)
        for name, make in MODELS.items():
            ratios[name].append(heldout_error(make(seed), train, test) / reference)
    for name, values in ratios.items():
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in values) + " |")
    manifolds()


def manifolds() -> None:
    print(
        "\n| data | training rows | PCA | AutoEncoder | 16-8 network "
        "| AutoEncoder, max_epochs=10 | AutoEncoder, max_epochs=5 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, make in (("S curve", make_s_curve), ("swiss roll", make_swiss_roll)):
        for n in (1_000, 2_000, 5_000):
            X, _ = make(n + 1_000, noise=0.05, random_state=0)
            train, test = X[:n], X[n:]
            models = (
                [PCA(2)]
                + [
                    skae.AutoEncoder(n_components=2, hidden_layer_sizes=sizes, random_state=0)
                    for sizes in ("auto", (16, 8))
                ]
                + [
                    # Shorter training, which keeps the default from learning a small
                    # group of training anomalies (results/detection_ablation_17.md).
                    skae.AutoEncoder(n_components=2, max_epochs=epochs, random_state=0)
                    for epochs in (10, 5)
                ]
            )
            errors = [heldout_error(model, train, test) for model in models]
            print(f"| {name} | {n} | " + " | ".join(f"{e:.4f}" for e in errors) + " |")


if __name__ == "__main__":
    main()
