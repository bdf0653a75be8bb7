"""Dead codes of ``SparseAutoEncoder`` at its defaults, and what they cost.

A ReLU code that no training row activates is revived before each epoch
(``skae._sparse.ReviveDeadCodes``). Revived with zero weights into the decoder
and the optimiser's moments at zero, the same codes died again within every
epoch and default fits ended with codes that are zero on every row (a probe).
This script measures, for the estimator as it is imported (run it on another
commit with ``PYTHONPATH`` set to that commit's checkout), on problems no
setting was chosen on:

* the digits (raw pixels, 75/25 split), a 384-feature "embedding" table (a
  tanh layer of 16 latent factors, rows of unit length) and a low-rank table
  (``make_low_rank_matrix``, 50 features, effective rank 5) at 8 and 16
  codes, seeds 0-2;
* every ADBench set with 20 to 200 features (at most 5,000 rows drawn at
  random, 80/20 split, standardised on the training part, test values
  clipped to [-10, 10]) at an eighth and a quarter of its features, seed 0.

For each: the codes zero on every training row at the end of the fit, the
share of non-zero code entries, and the held-out reconstruction MSE (PCA's
beside it).

Run: ``python benchmarks/sparse_revival.py --out FILE`` (about four minutes,
one thread). Data: ``--data`` or ``$SKAE_ADBENCH``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import numpy as np
import torch
from reduction_widths import adbench_problems
from sklearn.datasets import load_digits, make_low_rank_matrix
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

import skae
from skae import SparseAutoEncoder

REPO = Path(__file__).resolve().parents[1]
ADBENCH = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def synthetic():
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(1500, 16))
    embedding = np.tanh(latent @ rng.normal(size=(16, 64)) / 4) @ rng.normal(size=(64, 384)) / 8
    embedding += 0.1 * embedding.std() * rng.normal(size=embedding.shape)
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
    low_rank = make_low_rank_matrix(1500, 50, effective_rank=5, random_state=0) * 10
    tables = [("digits", load_digits().data), ("embedding", embedding), ("low rank", low_rank)]
    for name, X in tables:
        X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
        for k in (8, 16):
            yield name, X_train, X_test, k, (0, 1, 2)


def adbench(folder: Path):
    for name, X_train, X_test, k in adbench_problems(folder):
        yield name, X_train, X_test, k, (0,)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ADBENCH)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)
    source = Path(skae.__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        "| data | features | codes | dead codes per seed | non-zero entries | MSE | PCA MSE |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    dead_total = fits = 0
    log_ratios = []
    for name, X_train, X_test, k, seeds in [*synthetic(), *adbench(args.data)]:
        pca = PCA(n_components=k).fit(X_train)
        pca_mse = mse(pca.inverse_transform(pca.transform(X_test)), X_test)
        dead, live, errors = [], [], []
        for seed in seeds:
            model = SparseAutoEncoder(n_components=k, random_state=seed).fit(X_train)
            codes = model.transform(X_train)
            dead.append(int((~(codes > 0).any(axis=0)).sum()))
            live.append(float((codes > 0).mean()))
            errors.append(mse(model.inverse_transform(model.transform(X_test)), X_test))
        dead_total, fits = dead_total + sum(dead), fits + len(seeds)
        log_ratios.append(np.log(np.mean(errors) / pca_mse))
        row = [name, str(X_train.shape[1]), str(k), str(dead), f"{np.mean(live):.2f}"]
        lines.append("| " + " | ".join(row + [f"{np.mean(errors):.4g}", f"{pca_mse:.4g}"]) + " |")
        print(lines[-1], flush=True)
    summary = (
        f"\n{dead_total} dead codes in {fits} fits; held-out MSE / PCA's, geometric mean "
        f"over the {len(log_ratios)} problems: {np.exp(np.mean(log_ratios)):.3f}."
    )
    print(summary)
    header = [
        "# `SparseAutoEncoder` at its defaults: dead codes and held-out reconstruction",
        "",
        f"skae from {source} (commit {commit or 'unknown'}), torch {torch.__version__}, one thread",
        "",
    ]
    args.out.write_text("\n".join(header + lines) + "\n" + summary + "\n")


if __name__ == "__main__":
    main()
