"""How close default and over-regularised fits come to the "won" warnings.

``DenoisingAutoEncoder`` warns that its corruption won, and
``VariationalAutoEncoder`` above ``beta=1`` that its KL term won, when the
median training row is reconstructed no better than by the features' means
(``skae._penalties.no_better_than_means``: at least 0.99 of their error) after
five epochs and 50 optimiser steps or more. This script prints, for each
table, that median-row ratio (in the standardised units the model trains in)
of each setting's fit, and marks a fit that warned with ``W``. The tables: the
training split (70%, seed 0, at most 5,000 rows) of each ADBench set of at
most 200 features, scikit-learn's breast-cancer, wine, diabetes and iris
tables, and tables of independent normal columns (no structure).

Run: ``python benchmarks/won_checks.py [--data DIR]`` (about 15 minutes on
one thread); the ADBench folder is ``--data``, else ``$SKAE_ADBENCH``, else
``../shared/data/adbench`` (skipped when missing).
"""

from __future__ import annotations

import argparse
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import DenoisingAutoEncoder, VariationalAutoEncoder

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))

SETTINGS = {
    "DAE": lambda: DenoisingAutoEncoder(random_state=0),
    "DAE mask": lambda: DenoisingAutoEncoder(noise="mask", random_state=0),
    "DAE noise_std=100": lambda: DenoisingAutoEncoder(noise_std=100.0, random_state=0),
    "VAE": lambda: VariationalAutoEncoder(random_state=0),
    "VAE beta=4": lambda: VariationalAutoEncoder(beta=4.0, random_state=0),
}


def median_row_ratio(model, X: np.ndarray) -> float:
    """The median row's squared reconstruction error over its squared
    distance from the features' means, in the model's standardised units."""
    rows = X[:2048]
    scaled = (rows - model.mean_) / model.scale_
    back = (model.inverse_transform(model.transform(rows)) - model.mean_) / model.scale_
    reference = np.square(scaled - scaled.mean(axis=0)).sum(axis=1)
    return float(np.median(np.square(scaled - back).sum(axis=1)) / np.median(reference))


def tables(data: Path) -> dict[str, np.ndarray]:
    found = {}
    for path in sorted(data.glob("*.npz")) if data.is_dir() else []:
        npz = np.load(path)
        X, y = npz["X"].astype(np.float64), npz["y"]
        if X.shape[1] > 200:
            continue
        train, _ = train_test_split(X, train_size=0.7, random_state=0, stratify=y)
        found[path.stem] = train[:5000]
    for name, load in (
        ("breast_cancer", load_breast_cancer),
        ("wine", load_wine),
        ("diabetes", load_diabetes),
        ("iris", load_iris),
    ):
        found[name] = load().data
    rng = np.random.RandomState(0)
    for width in (5, 20, 100):
        found[f"independent_{width}"] = rng.normal(size=(1000, width))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| table | rows | features | " + " | ".join(SETTINGS) + " |")
    print("|---|---:|---:|" + "---:|" * len(SETTINGS))
    for name, X in tables(args.data).items():
        cells = []
        for make in SETTINGS.values():
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                model = make().fit(X)
            won = any(
                issubclass(w.category, ConvergenceWarning) and " won over " in str(w.message)
                for w in caught
            )
            cells.append(f"{median_row_ratio(model, X):.3f}{' W' if won else ''}")
        print(f"| {name} | {len(X)} | {X.shape[1]} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
