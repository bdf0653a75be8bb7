"""One-class detection on embeddings from a network trained on other classes.

Issue 14 names a group of unseen 512-feature image-embedding datasets
(ADBench's, made with a network pretrained on other data) on which the first
release's default fell below IsolationForest and PCA. Its stand-in
``mnist-features`` (``benchmarks/views.py``) is a random ReLU layer. This
script makes a closer one from ``../shared/data/mnist``: a small convolutional
network is trained (3 epochs, Adam) to classify the digits of one group (0-4)
in a random half of the images, and the 256 ReLU features of its last hidden
layer embed the digits of the other group (5-9) in the other half, classes
it never saw, as a pretrained network embeds a new data set. Each digit of
that group is then a one-class problem (``views.one_class_mnist``: the other
digits of the group at 5% of the normal count, a 70/30 split). ``--swap``
trains on 5-9 and embeds 0-4, an independent view.

Detectors: the default ``AutoEncoder``, ``DenoisingAutoEncoder`` and
``VariationalAutoEncoder``, IsolationForest, and PCA's reconstruction error
at 90% of the variance, on the same splits; mean ROC-AUC and average precision
per detector, over the digits and seeds.

Run: ``python benchmarks/transfer_embeddings.py [--swap] [--seeds 0 1 2]``
(about three minutes on one thread; ``--data`` or ``$SKAE_MNIST`` for the
MNIST folder).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import views  # noqa: E402

from skae import AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder  # noqa: E402


def embedder(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> torch.nn.Module:
    """A small CNN trained to classify ``images`` (N, 1, 28, 28) by ``labels``;
    returned without its classification head."""
    torch.manual_seed(seed)
    body = torch.nn.Sequential(
        torch.nn.Conv2d(1, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(32, 64, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(64 * 49, 256),
        torch.nn.ReLU(),
    )
    classes = np.unique(labels)
    head = torch.nn.Linear(256, len(classes))
    optimizer = torch.optim.Adam([*body.parameters(), *head.parameters()], lr=1e-3)
    x = torch.tensor(images)
    y = torch.tensor(np.searchsorted(classes, labels)).long()
    for _ in range(3):
        order = torch.randperm(len(x))
        for start in range(0, len(x), 64):
            batch = order[start : start + 64]
            loss = torch.nn.functional.cross_entropy(head(body(x[batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return body.eval()


def pca_error(X_train: np.ndarray, X_test: np.ndarray) -> np.ndarray:
    pca = PCA(0.9, random_state=0).fit(X_train)
    return ((X_test - pca.inverse_transform(pca.transform(X_test))) ** 2).sum(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=os.environ.get("SKAE_MNIST"))
    parser.add_argument("--swap", action="store_true", help="train on 5-9, embed 0-4")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    images, labels = views.load_mnist(args.data) if args.data else views.load_mnist()
    images = images.reshape(-1, 1, 28, 28).astype(np.float32) / 255.0
    half = np.random.RandomState(0).rand(len(labels)) < 0.5
    seen = labels >= 5 if args.swap else labels < 5
    body = embedder(images[half & seen], labels[half & seen])
    rest = ~half & ~seen
    with torch.no_grad():
        features = body(torch.tensor(images[rest])).numpy().astype(np.float64)
    trained, embedded = sorted(set(labels[seen].tolist())), sorted(set(labels[rest].tolist()))
    print(
        f"trained on digits {trained}, embedding {features.shape[0]} images "
        f"of {embedded} in {features.shape[1]} features "
        f"({(features > 0).mean():.0%} of the entries above 0); torch threads 1\n"
    )
    rows = []
    for digit in sorted(set(labels[rest])):
        for seed in args.seeds:
            X_train, X_test, y_test = views.one_class_mnist(features, labels[rest], digit, seed)
            scores = {
                "AutoEncoder": -AutoEncoder(random_state=seed).fit(X_train).score_samples(X_test),
                "DenoisingAutoEncoder": -DenoisingAutoEncoder(random_state=seed)
                .fit(X_train)
                .score_samples(X_test),
                "VariationalAutoEncoder": -VariationalAutoEncoder(random_state=seed)
                .fit(X_train)
                .score_samples(X_test),
                "IsolationForest": -IsolationForest(random_state=seed)
                .fit(X_train)
                .score_samples(X_test),
                "PCA": pca_error(X_train, X_test),
            }
            for name, score in scores.items():
                rows.append(
                    {
                        "digit": digit,
                        "seed": seed,
                        "detector": name,
                        "roc_auc": roc_auc_score(y_test, score),
                        "average_precision": average_precision_score(y_test, score),
                    }
                )
    frame = pd.DataFrame(rows)
    per_digit = frame.pivot_table(index="digit", columns="detector", values="roc_auc")
    print("Mean ROC-AUC per normal digit (over the seeds):\n")
    print(per_digit.round(3).to_markdown())
    means = frame.groupby("detector")[["roc_auc", "average_precision"]].mean()
    print(f"\nMeans over {frame.digit.nunique()} digits x {len(args.seeds)} seeds:\n")
    print(means.round(4).to_markdown())


if __name__ == "__main__":
    main()
