"""New normal rows after a fit on a small, wide table: the held-out
likelihood, and the share that ``predict`` flags (issue 14, twenty-second
and twenty-third sessions).

A network that learns its training rows better than new ones scores them
higher. Tukey's fence of ``contamination="auto"`` drawn on the training scores
then flags new normal rows, all of them when the gap is large against the
scores' spread. ``early_stopping="auto"`` (every kind's default) holds a
tenth of the rows out from 200 rows, on tables of 91 columns or more (of any
width for ``VariationalAutoEncoder``, which trains up to 200 epochs), keeps
the best held-out epoch and draws the fence on the held-out rows. Each kind
is run with its default and with ``early_stopping=False``.

Problems (``--problems``):

- ``mnist<d>``: one-class MNIST from ``--mnist`` (the test set): digit ``d``,
  a 70/30 split of its images, standardised; anomalies are other digits, 5%
  of the normal count (``benchmarks/detection.py``'s protocol);
- ``sphere<s>``: 400 training and 475 new rows of 768 features, a
  64-dimensional subspace with decaying scales plus noise, each row
  L2-normalised (as embeddings often are); anomalies are 25 new rows pushed
  0.6 off it, renormalised (seed ``s``);
- ``digits``: ``load_digits`` / 16 with ``benchmarks/quality.py``'s 80/20
  split and dequantisation, ``n_components=8``; no anomalies.

For each detector: the epochs trained, ``score`` (the mean log-likelihood for
the variational kind, minus the mean reconstruction term for the others) on
the training and the new rows, the shares of training and new normal rows
flagged, and the ROC-AUC of new normal rows against the anomalies.

Run: ``python benchmarks/new_rows.py`` (about 10 minutes on one core);
writes ``--out`` (default ``benchmarks/results/new_rows.md``).
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skae

sys.path.insert(0, str(Path(__file__).parent))
from quality import digits, read_idx  # noqa: E402

DETECTORS: dict[str, Callable[[dict], object]] = {
    "VariationalAutoEncoder (default)": lambda kw: skae.VariationalAutoEncoder(**kw),
    "VariationalAutoEncoder(early_stopping=False)": lambda kw: skae.VariationalAutoEncoder(
        early_stopping=False, **kw
    ),
    "VariationalAutoEncoder(max_epochs=20)": lambda kw: skae.VariationalAutoEncoder(
        max_epochs=20, **kw
    ),
    **{
        f"{kind}{label}": functools.partial(
            lambda kind, params, kw: getattr(skae, kind)(**params, **kw), kind, params
        )
        for kind in (
            "AutoEncoder",
            "DenoisingAutoEncoder",
            "SparseAutoEncoder",
            "ContractiveAutoEncoder",
            "ConvolutionalAutoEncoder",
        )
        for label, params in (
            (" (default)", {}),
            ("(early_stopping=False)", {"early_stopping": False}),
        )
    },
}


def mnist(folder: Path, digit: int):
    images = read_idx(folder / "t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    labels = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    rng = np.random.RandomState(0)
    normal, other = images[labels == digit], images[labels != digit]
    train, new = train_test_split(normal, test_size=0.3, random_state=0)
    anomalies = other[rng.choice(len(other), int(0.05 * len(normal)), replace=False)]
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(new), scaler.transform(anomalies), {}


def sphere(seed: int):
    rng = np.random.RandomState(seed)
    basis = rng.normal(size=(64, 768)) * np.linspace(1, 0.1, 64)[:, None]

    def rows(n: int) -> np.ndarray:
        X = rng.normal(size=(n, 64)) @ basis + 0.15 * rng.normal(size=(n, 768))
        return X / np.linalg.norm(X, axis=1, keepdims=True)

    train, new = rows(400), rows(500)
    anomalies = new[:25] + 0.6 * rng.normal(size=(25, 768)) / np.sqrt(768)
    anomalies /= np.linalg.norm(anomalies, axis=1, keepdims=True)
    return train, new[25:], anomalies, {}


def dequantised_digits():
    d = digits()
    rng = np.random.RandomState(0)
    train = d.X_train + rng.uniform(0.0, 1.0 / 17.0, size=d.X_train.shape)
    new = d.X_test + rng.uniform(0.0, 1.0 / 17.0, size=d.X_test.shape)
    return train, new, None, {"n_components": 8}


def problem(name: str, folder: Path):
    if name.startswith("mnist"):
        return mnist(folder, int(name.removeprefix("mnist")))
    if name.startswith("sphere"):
        return sphere(int(name.removeprefix("sphere")))
    if name == "digits":
        return dequantised_digits()
    raise ValueError(f"unknown problem {name!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--problems", nargs="+", default=["mnist0", "mnist1", "sphere0", "sphere1", "digits"]
    )
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=DETECTORS)
    parser.add_argument(
        "--mnist", type=Path, default=Path(__file__).parents[1] / ".." / "shared/data/mnist"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results/new_rows")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "| data | detector | epochs | `score` train | `score` new | flagged train "
        "| flagged new | ROC-AUC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in args.problems:
        train, new, anomalies, params = problem(name, args.mnist)
        for detector in args.detectors:
            model = DETECTORS[detector]({"random_state": 0, **params}).fit(train)
            auc = ""
            if anomalies is not None:
                truth = np.r_[np.zeros(len(new)), np.ones(len(anomalies))]
                auc = f"{roc_auc_score(truth, -model.score_samples(np.r_[new, anomalies])):.3f}"
            row = (
                f"| {name} ({len(train)} x {train.shape[1]}) | {detector} | {model.n_iter_} "
                f"| {model.score(train):.1f} | {model.score(new):.1f} "
                f"| {np.mean(model.predict(train) == -1):.3f} "
                f"| {np.mean(model.predict(new) == -1):.3f} | {auc} |"
            )
            print(row, flush=True)
            lines.append(row)
    header = [
        "# New normal rows after a fit on a small, wide table",
        "",
        f"command: `python benchmarks/new_rows.py --problems {' '.join(args.problems)}`",
        "",
        f"torch {torch.__version__}, skae {skae.__version__}, one thread",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text("\n".join(header + lines) + "\n")


if __name__ == "__main__":
    main()
