"""The default detectors on data bundled with scikit-learn: a view that needs no file of
``../shared`` and that no default was chosen on (eleventh session; issue 14's "data you
cannot see").

Problems (33): one class normal, the other classes the anomalies, for breast cancer,
wine, iris and digits (each class in turn); the digits through a fixed random 64 x 256
Gaussian projection, tanh, rows L2-normalised (a stand-in for embeddings); and synthetic
tables from ``make_classification`` (20 features, 2 classes; 40 features, 3 classes),
``make_blobs`` (10 features; one blob normal, or two) and ``make_moons`` (2 features, and
with 8 noise features). Per seed: as many anomalies as 5% of the normal rows (at least
3), drawn from the other classes; a stratified 70/30 split; ``StandardScaler`` fitted on
the training part; every detector fitted on the training part, anomalies included (as
unsupervised use is), and scored on the test part.

Detectors: skae's ``AutoEncoder``, ``VariationalAutoEncoder`` and
``DenoisingAutoEncoder`` with their defaults (scored by ``-score_samples``),
``IsolationForest`` and PCA's reconstruction error at 90% of the variance.

    python benchmarks/bundled.py [--seeds 0 1 2] [--out benchmarks/results/bundled]

(about 4 minutes on one thread) writes ``--out`` ``.md`` (mean ROC-AUC and average
precision per group, ROC-AUC per problem, the problems where a skae default is more than
0.05 below IsolationForest) and ``.csv``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_blobs,
    make_classification,
    make_moons,
)
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skae import AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder

#: Anomalies per normal row, and the fewest (one at least reaches the test part).
ANOMALY_SHARE, MIN_ANOMALIES = 0.05, 3


def _classes(group: str, X: np.ndarray, y: np.ndarray) -> Iterator[tuple]:
    for c in np.unique(y):
        yield group, f"{group} {c}", X[y == c], X[y != c]


def problems() -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """(group, problem, normal rows, the pool of anomalies)."""
    cancer = load_breast_cancer()
    benign = cancer.target == 1
    yield "breast_cancer", "breast_cancer benign", cancer.data[benign], cancer.data[~benign]
    for loader, group in ((load_wine, "wine"), (load_iris, "iris"), (load_digits, "digits")):
        data = loader()
        yield from _classes(group, data.data, data.target)
    digits = load_digits()
    projection = np.random.RandomState(12345).normal(size=(64, 256)) / 8.0
    embedded = np.tanh(digits.data / 16.0 @ projection)
    embedded /= np.linalg.norm(embedded, axis=1, keepdims=True)
    yield from _classes("digits_embed256", embedded, digits.target)
    X, y = make_classification(
        n_samples=3000, n_features=20, n_informative=8, n_redundant=4, random_state=0
    )
    yield "make_classification", "classification 20", X[y == 0], X[y == 1]
    X, y = make_classification(
        n_samples=3000,
        n_features=40,
        n_informative=5,
        n_redundant=10,
        n_classes=3,
        class_sep=2.0,
        random_state=1,
    )
    yield "make_classification", "classification 40", X[y == 0], X[y != 0]
    X, y = make_blobs(n_samples=3000, n_features=10, centers=4, cluster_std=1.5, random_state=0)
    yield "make_blobs", "blobs, two normal", X[y <= 1], X[y >= 2]
    yield "make_blobs", "blobs, one normal", X[y == 0], X[y != 0]
    X, y = make_moons(n_samples=3000, noise=0.1, random_state=0)
    yield "make_moons", "moons", X[y == 0], X[y == 1]
    noisy = np.hstack([X, 0.1 * np.random.RandomState(7).normal(size=(len(X), 8))])
    yield "make_moons", "moons + 8 noise", noisy[y == 0], noisy[y == 1]


def _pca_error(seed: int, train: np.ndarray, test: np.ndarray) -> np.ndarray:
    pca = PCA(n_components=0.9, svd_solver="full").fit(train)
    return np.square(test - pca.inverse_transform(pca.transform(test))).sum(axis=1)


#: name -> (seed, train, test) -> outlier scores of the test rows (higher: more abnormal).
DETECTORS: dict[str, Callable[[int, np.ndarray, np.ndarray], np.ndarray]] = {
    "AutoEncoder": lambda s, tr, te: -AutoEncoder(random_state=s).fit(tr).score_samples(te),
    "VariationalAutoEncoder": lambda s, tr, te: (
        -VariationalAutoEncoder(random_state=s).fit(tr).score_samples(te)
    ),
    "DenoisingAutoEncoder": lambda s, tr, te: (
        -DenoisingAutoEncoder(random_state=s).fit(tr).score_samples(te)
    ),
    "IsolationForest": lambda s, tr, te: -IsolationForest(random_state=s).fit(tr).score_samples(te),
    "PCA": _pca_error,
}


def run(group: str, name: str, normal: np.ndarray, pool: np.ndarray, seed: int) -> list[dict]:
    rng = np.random.RandomState(seed)
    n_anomalies = max(MIN_ANOMALIES, math.ceil(ANOMALY_SHARE * len(normal)))
    anomalies = pool[rng.choice(len(pool), n_anomalies, replace=False)]
    X = np.vstack([normal, anomalies]).astype(np.float64)
    y = np.r_[np.zeros(len(normal)), np.ones(n_anomalies)]
    train, test, _, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    scaler = StandardScaler().fit(train)
    train, test = scaler.transform(train), scaler.transform(test)
    rows = []
    for detector, score in DETECTORS.items():
        tic = time.perf_counter()
        scores = score(seed, train, test)
        rows.append(
            {
                "group": group,
                "problem": name,
                "seed": seed,
                "detector": detector,
                "roc_auc": roc_auc_score(y_test, scores),
                "average_precision": average_precision_score(y_test, scores),
                "fit_seconds": time.perf_counter() - tic,
                "test_anomalies": int(y_test.sum()),
            }
        )
    return rows


def markdown(results: pd.DataFrame, command: str) -> str:
    order = list(DETECTORS)

    def table(frame: pd.DataFrame) -> str:
        frame = frame[order].round(3)
        lines = ["| | " + " | ".join(order) + " |", "|---|" + "---:|" * len(order)]
        lines += [
            f"| {i} | " + " | ".join(f"{v:.3f}" for v in r) + " |" for i, r in frame.iterrows()
        ]
        return "\n".join(lines)

    def by(index: str, metric: str) -> pd.DataFrame:
        return results.pivot_table(index=index, columns="detector", values=metric, sort=False)

    overall = results.groupby("detector")[["roc_auc", "average_precision"]].mean().T
    overall.index = ["all problems: ROC-AUC", "all problems: average precision"]
    per_problem = by("problem", "roc_auc")
    gaps = [
        f"- {problem}: {kind} {row[kind]:.3f}, IsolationForest {row['IsolationForest']:.3f}"
        for problem, row in per_problem.iterrows()
        for kind in order[:3]
        if row[kind] < row["IsolationForest"] - 0.05
    ]
    return (
        "\n\n".join(
            [
                "# The default detectors on data bundled with scikit-learn",
                f"Command: `{command}`. Protocol: the docstring of `benchmarks/bundled.py`.",
                "## Mean over problems and seeds\n\n" + table(overall),
                "## Mean ROC-AUC per group\n\n" + table(by("group", "roc_auc")),
                "## Mean average precision per group\n\n" + table(by("group", "average_precision")),
                "## ROC-AUC per problem (mean over the seeds)\n\n" + table(per_problem),
                "## A skae default more than 0.05 below IsolationForest (per problem)\n\n"
                + ("\n".join(gaps) or "none"),
            ]
        )
        + "\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bundled")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for group, name, normal, pool in problems():
        for seed in args.seeds:
            rows += run(group, name, normal, pool, seed)
        print(name, flush=True)
    results = pd.DataFrame(rows)
    results.to_csv(args.out.with_suffix(".csv"), index=False)
    given = sys.argv[1:] if argv is None else argv
    command = "python benchmarks/bundled.py " + " ".join(given)
    args.out.with_suffix(".md").write_text(markdown(results, command.strip()))
    print(args.out.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()
