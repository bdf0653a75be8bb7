"""Does ``hidden_layer_sizes="auto"`` need to count the codes? (issue 14)

Before, ``"auto"`` sized the network from ``n_features`` alone: (64, 32) for
every table up to 90 features, whatever ``n_components`` the user asked for.
Now the second layer has at least 16 units per code (``WIDTH_PER_CODE``) and
the first twice as many (:mod:`skae._sizing`). With ``n_components="auto"``
the two rules give the same network, so the detection benchmarks cannot see
the change; a reduction to more codes can. This script measures it on
problems the rule was not chosen on as well as on the digits it came from:

* the digits (pixels / 16, 80/20 stratified split, seed 0) at 2, 8 and 16
  codes, the protocol of ``benchmarks/quality.py``;
* every ADBench set with 20 to 200 features (at most 5,000 rows drawn at
  random, 80/20 split, standardised on the training part, test values
  clipped to [-10, 10]) at an eighth and a quarter of its features.

For each problem: held-out reconstruction MSE (in standardised units for the
tables) of ``PCA``, of ``AutoEncoder`` with the features-only widths and with
the widths that count the codes (every other parameter default, seed 0), and
the fit seconds of both. Problems where both rules give the same network are
listed but say so.

Run: ``python benchmarks/reduction_widths.py`` (about two minutes, one
thread). Data: ``--data`` or ``$SKAE_ADBENCH``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skae import AutoEncoder
from skae._sizing import auto_hidden_layer_sizes

REPO = Path(__file__).resolve().parents[1]
ADBENCH = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def problems(folder: Path):
    X, y = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X / 16.0, test_size=0.2, stratify=y, random_state=0)
    for k in (2, 8, 16):
        yield "digits", X_train, X_test, k
    yield from adbench_problems(folder)


def adbench_problems(folder: Path):
    """Every ADBench set with 20 to 200 features (at most 5,000 rows, 80/20,
    standardised on the training part, test values clipped to [-10, 10]) at
    an eighth and a quarter of its features: name, X_train, X_test, codes."""
    for path in sorted(folder.glob("*.npz"), key=lambda p: int(p.name.split("_")[0])):
        X = np.load(path)["X"].astype(np.float64)
        if not 20 <= X.shape[1] <= 200:
            continue
        X = X[np.random.RandomState(0).permutation(len(X))[:5000]]
        X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), np.clip(scaler.transform(X_test), -10, 10)
        for k in sorted({max(2, X.shape[1] // 8), max(2, X.shape[1] // 4)}):
            yield path.stem.split("_", 1)[1], X_train, X_test, k


def fit(X_train: np.ndarray, X_test: np.ndarray, k: int, sizes: tuple) -> tuple[float, float]:
    start = time.perf_counter()
    model = AutoEncoder(n_components=k, hidden_layer_sizes=sizes, random_state=0).fit(X_train)
    seconds = time.perf_counter() - start
    return mse(model.inverse_transform(model.transform(X_test)), X_test), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ADBENCH)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/reduction_widths.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)
    lines = [
        "| data | features | codes | PCA | features-only widths | MSE | s "
        "| widths counting the codes | MSE | s | MSE ratio |",
        "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    ratios = []
    for name, X_train, X_test, k in problems(args.data):
        n = X_train.shape[1]
        pca = PCA(n_components=k).fit(X_train)
        pca_mse = mse(pca.inverse_transform(pca.transform(X_test)), X_test)
        old, new = auto_hidden_layer_sizes(n), auto_hidden_layer_sizes(n, k)
        old_mse, old_s = fit(X_train, X_test, k, old)
        if new == old:
            cells = ["same", "", "", ""]
        else:
            new_mse, new_s = fit(X_train, X_test, k, new)
            ratios.append(new_mse / old_mse)
            cells = [f"{new}", f"{new_mse:.4g}", f"{new_s:.1f}", f"{new_mse / old_mse:.2f}"]
        row = [name, str(n), str(k), f"{pca_mse:.4g}", f"{old}", f"{old_mse:.4g}", f"{old_s:.1f}"]
        lines.append("| " + " | ".join(row + cells) + " |")
        print(lines[-1], flush=True)
    summary = (
        f"\nProblems changed: {len(ratios)}; MSE lower on {sum(r < 1 for r in ratios)}; "
        f"ratio (counting the codes / features only) from {min(ratios):.2f} to "
        f"{max(ratios):.2f}, geometric mean {np.exp(np.mean(np.log(ratios))):.2f}."
    )
    print(summary)
    header = [
        '# `hidden_layer_sizes="auto"` counting the codes: held-out reconstruction',
        "",
        "command: `python benchmarks/reduction_widths.py` (one thread)",
        "",
        f"torch {torch.__version__}",
        "",
    ]
    args.out.write_text("\n".join(header + lines) + "\n" + summary + "\n")


if __name__ == "__main__":
    main()
