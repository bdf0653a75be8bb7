"""Anomaly-detection benchmark of skae's autoencoders on the ADBench "Classical" datasets.

Protocol (fixed; change it only with a new name for the results):

1. Data: every ``*.npz`` file with keys ``X`` and ``y`` (``y == 1``: anomaly) in the
   data folder: ``--data DIR``, else the environment variable ``SKAE_ADBENCH``, else
   ``../shared/data/adbench`` beside the repository root.
2. A dataset with more than 10,000 rows is cut to a stratified random subsample of
   10,000 rows (``train_test_split(X, y, train_size=10000, stratify=y, random_state=0)``).
3. For each seed (default 0, 1, 2): a stratified 70/30 train/test split with
   ``random_state=seed``; a ``StandardScaler`` fitted on the training part and applied
   to both parts.
4. Each detector is fitted on the scaled training ``X`` only: no labels, and the
   anomalies stay in. It then scores the scaled test part. The anomaly score is
   ``-score_samples(X)`` for skae and scikit-learn detectors (there higher means more
   normal) and ``decision_function(X)`` for PyOD detectors (there higher already means
   more abnormal).
5. Metrics on the test labels: ROC-AUC and average precision; fit and score times in
   seconds (``time.perf_counter``).
6. Detectors (the ``DETECTORS`` registry; adding one is one line there): every skae
   kind with its defaults and ``random_state=seed`` (``ConvolutionalAutoEncoder`` with
   ``scaling="feature"``, rows being 1-D signals); ``IsolationForest(random_state=0)``;
   PCA reconstruction error with the components explaining 90% of the variance; PyOD's
   ``AutoEncoder`` and ``VAE`` with their defaults (skipped when PyOD is not installed).
7. Report: per-dataset tables of the mean ROC-AUC and mean average precision over the
   seeds, and a summary per detector: mean ROC-AUC and AP and mean rank of the ROC-AUC
   (1 = best) over the datasets where every detector finished (a failed fit is left
   out), the number of (dataset, seed) results, total fit and score seconds.

Torch and BLAS run on ``--threads`` threads (default 1: on a small, busy machine more
threads make torch training far slower). Results go to ``--out`` as ``anomaly.csv`` (one
row per dataset, seed and detector, written as each finishes) and ``anomaly.md``;
``--resume`` keeps the rows of an existing ``anomaly.csv`` and runs only the missing ones.

Example::

    python benchmarks/anomaly.py --datasets Pima wine vertebral --seeds 0
"""

from __future__ import annotations

import argparse
import csv
import importlib
import inspect
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import skae

REPO = Path(__file__).resolve().parents[1]
#: ``$SKAE_ADBENCH``, else ``../shared/data/adbench``: the default of every
#: script that reads these sets.
DEFAULT_DATA = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))
DEFAULT_OUT = REPO / "benchmarks" / "results"
MAX_ROWS = 10_000
TEST_SIZE = 0.3
CSV_NAME = "anomaly.csv"
MD_NAME = "anomaly.md"
CSV_FIELDS = [
    "dataset",
    "seed",
    "detector",
    "n_train",
    "n_test",
    "n_features",
    "anomaly_rate",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    "score_seconds",
]

Factory = Callable[[int], Any]


class PCAReconstruction:
    """Outlier detector: minus the squared PCA reconstruction error of each row.

    Parameters
    ----------
    n_components : int or float, default=0.9
        Passed to :class:`sklearn.decomposition.PCA`; a float in (0, 1) keeps the
        components that explain that fraction of the variance.
    """

    def __init__(self, n_components: int | float = 0.9) -> None:
        self.n_components = n_components

    def fit(self, X: np.ndarray, y: None = None) -> PCAReconstruction:
        """Fit the PCA on ``X``."""
        self.pca_ = PCA(n_components=self.n_components, svd_solver="full").fit(X)
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Minus the squared reconstruction error per row; higher is more normal."""
        reconstruction = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.sum((X - reconstruction) ** 2, axis=1)


def _pyod(module: str, name: str, seed: int) -> Any:
    """A PyOD detector with its defaults, seeded and quiet where its constructor allows."""
    cls = getattr(importlib.import_module(module), name)
    accepted = inspect.signature(cls).parameters
    wanted = {"random_state": seed, "verbose": 0}
    return cls(**{key: value for key, value in wanted.items() if key in accepted})


def _pyod_importable() -> bool:
    """Whether ``import pyod`` works."""
    try:
        importlib.import_module("pyod")
    except ImportError:
        return False
    return True


#: name -> factory taking the seed and returning an unfitted detector.
DETECTORS: dict[str, Factory] = {
    "skae.AutoEncoder": lambda seed: skae.AutoEncoder(random_state=seed),
    "skae.DenoisingAutoEncoder": lambda seed: skae.DenoisingAutoEncoder(random_state=seed),
    "skae.SparseAutoEncoder": lambda seed: skae.SparseAutoEncoder(random_state=seed),
    "skae.VariationalAutoEncoder": lambda seed: skae.VariationalAutoEncoder(random_state=seed),
    "skae.ContractiveAutoEncoder": lambda seed: skae.ContractiveAutoEncoder(random_state=seed),
    "skae.ConvolutionalAutoEncoder": lambda seed: skae.ConvolutionalAutoEncoder(
        scaling="feature", random_state=seed
    ),
    "IsolationForest": lambda seed: IsolationForest(random_state=0),
    "PCA": lambda seed: PCAReconstruction(n_components=0.9),
    "pyod.AutoEncoder": lambda seed: _pyod("pyod.models.auto_encoder", "AutoEncoder", seed),
    "pyod.VAE": lambda seed: _pyod("pyod.models.vae", "VAE", seed),
}


def anomaly_scores(detector: Any, X: np.ndarray) -> np.ndarray:
    """Scores of ``X`` where higher is more anomalous."""
    if type(detector).__module__.startswith("pyod."):
        return np.asarray(detector.decision_function(X), dtype=np.float64)
    return -np.asarray(detector.score_samples(X), dtype=np.float64)


def select(names: Iterable[str], patterns: Sequence[str] | None) -> list[str]:
    """The names equal to a pattern, else containing one (case-insensitive); all if None."""
    names = list(names)
    if not patterns:
        return names
    chosen: set[str] = set()
    for pattern in patterns:
        exact = [name for name in names if name.lower() == pattern.lower()]
        chosen.update(exact or [name for name in names if pattern.lower() in name.lower()])
    return [name for name in names if name in chosen]


def dataset_name(path: Path) -> str:
    """``29_Pima.npz`` -> ``Pima``."""
    prefix, _, rest = path.stem.partition("_")
    return rest if prefix.isdigit() and rest else path.stem


def _adbench_order(path: Path) -> tuple[int, str]:
    """Sort key: ADBench's number prefix, then the name."""
    prefix = path.stem.partition("_")[0]
    return (int(prefix) if prefix.isdigit() else sys.maxsize, path.stem)


def find_datasets(data: Path, patterns: Sequence[str] | None) -> dict[str, Path]:
    """The selected ``*.npz`` files of ``data``, by dataset name, in ADBench's order."""
    if not data.is_dir():
        sys.exit(
            f"error: data folder {data} not found. Pass --data DIR or set SKAE_ADBENCH to a "
            "folder of ADBench .npz files (keys X and y)."
        )
    paths = sorted(data.glob("*.npz"), key=_adbench_order)
    if not paths:
        sys.exit(f"error: no .npz files in {data}.")
    by_name = {dataset_name(path): path for path in paths}
    chosen = select(by_name, patterns)
    if not chosen:
        sys.exit(f"error: no dataset matches {list(patterns or [])}; found {list(by_name)}.")
    return {name: by_name[name] for name in chosen}


def load(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` of one file, subsampled (stratified, seed 0) to ``MAX_ROWS`` rows."""
    with np.load(path, allow_pickle=False) as data:
        X = np.asarray(data["X"], dtype=np.float64)
        y = np.asarray(data["y"]).astype(int).ravel()
    if len(X) > MAX_ROWS:
        X, _, y, _ = train_test_split(X, y, train_size=MAX_ROWS, stratify=y, random_state=0)
    return X, y


def split(
    X: np.ndarray, y: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified 70/30 split, standardised with the training part's statistics."""
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def run_one(
    factory: Factory, seed: int, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray
) -> dict[str, float]:
    """Fit one detector, score the test part, and measure it."""
    detector = factory(seed)
    start = time.perf_counter()
    detector.fit(X_train)
    fitted = time.perf_counter()
    scores = anomaly_scores(detector, X_test)
    scored = time.perf_counter()
    return {
        "roc_auc": float(roc_auc_score(y_test, scores)),
        "average_precision": float(average_precision_score(y_test, scores)),
        "fit_seconds": fitted - start,
        "score_seconds": scored - fitted,
    }


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of an existing results CSV; exits if its columns differ from ours."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != CSV_FIELDS:
            sys.exit(
                f"error: {path} has columns {reader.fieldnames}, expected {CSV_FIELDS}; "
                "use another --out or drop --resume."
            )
        return list(reader)


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table of ``frame`` (index first), floats rounded to ``digits``."""

    def cell(value: object) -> str:
        if isinstance(value, float | np.floating):
            return "" if np.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    header = [frame.index.name or "", *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        lines.append("| " + " | ".join([str(index), *map(cell, row.tolist())]) + " |")
    return "\n".join(lines)


def report(results: pd.DataFrame, datasets: list[str], detectors: list[str]) -> str:
    """The per-dataset ROC-AUC and AP tables and the per-detector summary, as Markdown."""
    means = results.groupby(["dataset", "detector"])[["roc_auc", "average_precision"]].mean()
    auc = means["roc_auc"].unstack("detector")
    ap = means["average_precision"].unstack("detector")
    order = [d for d in datasets if d in auc.index]
    columns = [d for d in detectors if d in auc.columns]
    auc, ap = auc.loc[order, columns], ap.loc[order, columns]
    auc.index.name = ap.index.name = "dataset"

    # The summary's means and ranks are over the datasets where every detector
    # has a result (a failed fit is skipped): a detector that failed on the
    # hard datasets would otherwise be averaged over the easy ones only.
    complete = auc.dropna()
    ranks = complete.rank(axis=1, ascending=False).mean()
    totals = results.groupby("detector")[["fit_seconds", "score_seconds"]].sum()
    runs = results.groupby("detector").size()
    summary = pd.DataFrame(
        {
            "mean ROC-AUC": complete.mean(),
            "mean AP": ap.loc[complete.index].mean(),
            "mean rank": ranks,
            "runs": runs.reindex(columns).map(lambda n: f"{n:.0f}"),
            "fit s": totals["fit_seconds"],
            "score s": totals["score_seconds"],
        }
    ).loc[columns]
    summary = summary.sort_values(["mean rank", "mean ROC-AUC"], ascending=[True, False])
    summary.index.name = "detector"

    seeds = sorted(results["seed"].unique().tolist())
    parts = [
        f"Seeds: {', '.join(map(str, seeds))}. Each cell: mean over the seeds.",
        "## ROC-AUC\n\n" + markdown_table(auc),
        "## Average precision\n\n" + markdown_table(ap),
        "## Summary\n\n" + markdown_table(summary, digits=3),
    ]
    if len(complete) < len(auc):
        parts.append(
            f"Means and rank over the {len(complete)} of {len(auc)} datasets where every "
            "detector has a result."
        )
    seeds_per_cell = results.groupby(["dataset", "detector"])["seed"].nunique()
    short = seeds_per_cell[seeds_per_cell < len(seeds)]
    if len(short):
        parts.append(
            "Cells over fewer seeds (failed fits): "
            + ", ".join(f"{d} / {m} ({n})" for (d, m), n in short.items())
            + ". The runs column counts each detector's (dataset, seed) results, "
            "over which its fit and score seconds are summed."
        )
    return "\n\n".join(parts) + "\n"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="folder of ADBench .npz files (default: $SKAE_ADBENCH or ../shared/data/adbench)",
    )
    parser.add_argument("--datasets", nargs="+", help="substrings of dataset names")
    parser.add_argument("--detectors", nargs="+", help="detector names or substrings")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results folder")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument(
        "--resume", action="store_true", help="keep the rows of an existing anomaly.csv"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and write ``anomaly.csv`` and ``anomaly.md``."""
    args = parse_args(argv)
    if args.threads < 1:
        sys.exit("error: --threads must be at least 1.")
    torch.set_num_threads(args.threads)
    print(f"threads: {args.threads} (torch {torch.get_num_threads()}, BLAS {args.threads})")

    detectors = select(DETECTORS, args.detectors)
    if any(name.startswith("pyod.") for name in detectors) and not _pyod_importable():
        print("note: PyOD cannot be imported; skipping pyod.AutoEncoder and pyod.VAE.")
        detectors = [name for name in detectors if not name.startswith("pyod.")]
    if not detectors:
        sys.exit(f"error: no detector matches {args.detectors}; known: {list(DETECTORS)}.")
    datasets = find_datasets(args.data, args.datasets)

    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / CSV_NAME
    rows = read_rows(csv_path) if args.resume and csv_path.exists() else []
    if not rows:
        with csv_path.open("w", newline="") as handle:
            csv.DictWriter(handle, CSV_FIELDS).writeheader()
    done = {(row["dataset"], int(row["seed"]), row["detector"]) for row in rows}
    if rows:
        print(f"resuming: {len(rows)} rows already in {csv_path}", file=sys.stderr, flush=True)

    total = len(datasets) * len(args.seeds) * len(detectors)
    count = 0
    with threadpool_limits(limits=args.threads):
        for name, path in datasets.items():
            X, y = load(path)
            for seed in args.seeds:
                todo = [d for d in detectors if (name, seed, d) not in done]
                count += len(detectors) - len(todo)
                if not todo:
                    continue
                X_train, X_test, _, y_test = split(X, y, seed)
                for detector in todo:
                    count += 1
                    try:
                        metrics = run_one(DETECTORS[detector], seed, X_train, X_test, y_test)
                    except Exception as exc:  # one failure must not end the run
                        print(
                            f"[{count}/{total}] {name} seed={seed} {detector}: FAILED "
                            f"{type(exc).__name__}: {exc}",
                            file=sys.stderr,
                            flush=True,
                        )
                        continue
                    row = {
                        "dataset": name,
                        "seed": seed,
                        "detector": detector,
                        "n_train": len(X_train),
                        "n_test": len(X_test),
                        "n_features": X.shape[1],
                        "anomaly_rate": round(float(y.mean()), 6),
                        **{key: round(value, 6) for key, value in metrics.items()},
                    }
                    with csv_path.open("a", newline="") as handle:
                        csv.DictWriter(handle, CSV_FIELDS).writerow(row)
                    rows.append({key: str(value) for key, value in row.items()})
                    print(
                        f"[{count}/{total}] {name} seed={seed} {detector}: "
                        f"ROC-AUC {metrics['roc_auc']:.3f} AP {metrics['average_precision']:.3f} "
                        f"fit {metrics['fit_seconds']:.1f}s score {metrics['score_seconds']:.2f}s",
                        file=sys.stderr,
                        flush=True,
                    )

    results = pd.DataFrame(rows, columns=CSV_FIELDS)
    results["seed"] = results["seed"].astype(int)
    for column in ["roc_auc", "average_precision", "fit_seconds", "score_seconds"]:
        results[column] = results[column].astype(float)
    results = results[
        results["dataset"].isin(list(datasets))
        & results["seed"].isin(args.seeds)
        & results["detector"].isin(detectors)
    ]
    if results.empty:
        sys.exit("error: no results to report.")
    text = report(results, list(datasets), detectors)
    header = (
        "# Anomaly-detection benchmark (ADBench Classical)\n\n"
        f"Protocol: see the docstring of benchmarks/anomaly.py. Threads: {args.threads}.\n\n"
    )
    (args.out / MD_NAME).write_text(header + text)
    print(text, end="")
    print(f"wrote {csv_path} and {args.out / MD_NAME}")


if __name__ == "__main__":
    main()
