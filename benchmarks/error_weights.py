"""How the reconstruction term weighs each feature, and how many codes
one-class MNIST needs (issue 14, ninth session).

``AutoEncoder.score_samples`` divides each feature's reconstruction error by
its mean on the training rows (``error_scale_``) before averaging: a feature
the network reconstructs well counts as much as one it reconstructs badly.
On pixels, a border pixel that training reconstructs almost exactly then
weighs thousands of times more than a central one. The script fits the
default ``AutoEncoder(random_state=0)`` once per problem of
``benchmarks/detection.py`` (seed 0), keeps the per-feature errors of the
training and test rows, and rescores the test rows with other weights,
without refitting. Every variant keeps the code term and scales the
reconstruction term to a training mean of 1, as the estimator's is:

``cur``
    the estimator's own score (weights ``1 / error_scale_``);
``unw``
    every feature weighted alike (the plain mean squared error);
``fl0.1`` / ``fl0.25`` / ``fl0.5``
    ``error_scale_`` floored at its 10% / 25% / 50% quantile over features;
``fl_mean0.1``
    floored at a tenth of its mean;
``sqrt``
    weights ``1 / sqrt(error_scale_ * mean(error_scale_))``, halfway;
``pca`` / ``iso``
    PCA reconstruction error (90% of the variance) and IsolationForest.

``--mnist-codes 24 32 48`` instead fits ``AutoEncoder(n_components=k)`` on
one-class MNIST (seed 0) for each ``k`` and prints the mean ROC-AUC.

Run: ``python benchmarks/error_weights.py`` (about 10 minutes on one
thread; the errors are cached in ``--cache``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import detection  # noqa: E402
from score_combinations import datasets  # noqa: E402

from skae import AutoEncoder  # noqa: E402

VIEWS = ("real", "local", "clustered", "global", "dependency", "mnist")


def feature_errors(model: AutoEncoder, X: np.ndarray) -> np.ndarray:
    """Each row's reconstruction error per feature, in the scaled units."""
    criterion = model.net_.criterion_
    return model._apply(
        X, lambda module, b: criterion.score_terms(module(b), b), scale_input=True, dtype=np.float64
    )


def dump(view: str, dataset: str, cache: Path) -> Path:
    path = cache / f"{view}__{dataset}.npz"
    if path.exists():
        return path
    X_train, X_test, y_test = detection.problem(view, dataset, 0)
    model = AutoEncoder(random_state=0).fit(X_train)
    e_train, e_test = feature_errors(model, X_train), feature_errors(model, X_test)
    scale = model.error_scale_
    s_test = model.score_samples(X_test)
    pca = PCA(0.9, random_state=0).fit(X_train)
    pca_error = ((X_test - pca.inverse_transform(pca.transform(X_test))) ** 2).sum(axis=1)
    np.savez(
        path,
        e_train=e_train.astype(np.float32),
        e_test=e_test.astype(np.float32),
        scale=scale,
        code_test=s_test + (e_test / scale).mean(axis=1),
        y=y_test,
        current=-s_test,
        pca=pca_error,
        iforest=-IsolationForest(random_state=0).fit(X_train).score_samples(X_test),
    )
    print(view, dataset, file=sys.stderr, flush=True)
    return path


def variants(d) -> dict[str, np.ndarray]:
    """Anomaly scores (higher is more abnormal) of the test rows."""
    e_test, e_train, scale = d["e_test"].astype(float), d["e_train"].astype(float), d["scale"]

    def combined(weights: np.ndarray) -> np.ndarray:
        norm = (e_train * weights).mean(axis=1).mean()
        return -(d["code_test"] - (e_test * weights).mean(axis=1) / norm)

    mean = scale.mean()
    out = {"cur": d["current"], "unw": combined(np.full_like(scale, 1 / mean))}
    for q in (0.1, 0.25, 0.5):
        out[f"fl{q}"] = combined(1 / np.maximum(scale, np.quantile(scale, q)))
    out["sqrt"] = combined(1 / np.sqrt(scale * mean))
    out["fl_mean0.1"] = combined(1 / np.maximum(scale, 0.1 * mean))
    out["pca"], out["iso"] = d["pca"], d["iforest"]
    return out


def mnist_codes(counts: list[int]) -> None:
    for k in counts:
        aucs = []
        for digit in datasets("mnist"):
            X_train, X_test, y_test = detection.problem("mnist", digit, 0)
            model = AutoEncoder(n_components=k, random_state=0).fit(X_train)
            aucs.append(roc_auc_score(y_test, -model.score_samples(X_test)))
        print(f"mnist n_components={k}: mean ROC-AUC {np.mean(aucs):.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", nargs="+", default=list(VIEWS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/skae_error_weights"))
    parser.add_argument("--mnist-codes", nargs="+", type=int)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.mnist_codes:
        mnist_codes(args.mnist_codes)
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    names = None
    for view in args.views:
        results: dict[str, list[float]] = {}
        for dataset in datasets(view):
            with np.load(dump(view, dataset, args.cache)) as d:
                for name, score in variants(d).items():
                    if np.isnan(score).any():
                        print(f"{name} gave NaN scores on {view}/{dataset}: left out")
                        continue
                    score = np.nan_to_num(score, posinf=1e300)
                    results.setdefault(name, []).append(roc_auc_score(d["y"], score))
        if names is None:
            names = list(results)
            print("| view | " + " | ".join(names) + " |")
            print("|---|" + "---:|" * len(names))
        cells = " | ".join(f"{np.mean(results[n]):.4f}" for n in names)
        print(f"| {view} (n={len(results[names[0]])}) | {cells} |", flush=True)


if __name__ == "__main__":
    main()
