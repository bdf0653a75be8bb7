"""Missing values: detection on incomplete tables, and imputation (issue 16).

Protocol: the ADBench sets of ``anomaly.py`` (``--data``, default
``$SKAE_ADBENCH`` else ``../shared/data/adbench``; at most 10,000 rows,
stratified 70/30 split with seed 0, standardised with the training part's
statistics), then a fraction ``rate`` (10% and 30%) of the entries of both
parts removed completely at random (seed 0 for the training part, 1 for the
test part). The imputation RMSE is over the removed test entries of every row,
anomalies included.

(a) Detection, ROC-AUC on the test part: ``AutoEncoder()`` fitted on the
incomplete data; ``IsolationForest()`` on the same incomplete data (it takes
NaN); ``SimpleImputer()`` then ``AutoEncoder()``.

(b) Imputation, RMSE on the removed test entries (standardised units), each
imputer fitted on the incomplete training part: ``AutoEncoderImputer()``,
``SimpleImputer(mean)``, ``KNNImputer()``, ``IterativeImputer()`` (with
``n_nearest_features=20`` beyond 20 features, which keeps it to minutes); also
on ``load_digits`` / 16 and on 3,000 MNIST test images / 255 (``--mnist``,
``$SKAE_MNIST``), split 80/20, not standardised.

``--ablation`` adds ``AutoEncoderImputer`` with the variants of its default
estimator that chose it (``ABLATION``).

Run: ``python benchmarks/missing.py [--jobs 2] [--ablation] [--datasets ...]``
(about 20 minutes on two cores, 25 with ``--ablation``; ``--detection-only``,
the detection table alone, about 3); writes
``--out`` (default ``benchmarks/results/missing``) ``.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.datasets import load_digits
from sklearn.ensemble import IsolationForest
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

sys.path.insert(0, str(Path(__file__).parent))
from anomaly import DEFAULT_DATA, find_datasets, load, split  # noqa: E402
from views import MNIST, load_mnist  # noqa: E402

import skae  # noqa: E402
from skae import AutoEncoder, AutoEncoderImputer, DenoisingAutoEncoder  # noqa: E402

RATES = (0.1, 0.3)
DETECTORS = {
    "AutoEncoder on NaN": lambda: AutoEncoder(random_state=0),
    "IsolationForest on NaN": lambda: IsolationForest(random_state=0),
    "SimpleImputer + AutoEncoder": lambda: make_pipeline(
        SimpleImputer(), AutoEncoder(random_state=0)
    ),
}


#: ``--ablation``: the default estimator of AutoEncoderImputer with the
#: detector's defaults, and with each of the two changes alone.
ABLATION = {
    "mask, detector defaults": lambda d: {},
    "mask, 100 epochs": lambda d: {"max_epochs": 100},
    "mask, d // 2 codes": lambda d: {"n_components": max(2, d // 2)},
}


def imputers(n_features: int, ablation: bool = False) -> dict:
    nearest = None if n_features <= 20 else 20
    chosen = {
        "AutoEncoderImputer": AutoEncoderImputer(random_state=0),
        "SimpleImputer": SimpleImputer(),
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(n_nearest_features=nearest, random_state=0),
    }
    if ablation:
        for name, params in ABLATION.items():
            dae = DenoisingAutoEncoder(noise="mask", random_state=0, **params(n_features))
            chosen[name] = AutoEncoderImputer(dae)
    return chosen


def remove(X: np.ndarray, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``X`` with a fraction ``rate`` of its entries set to NaN, and the mask."""
    mask = np.random.RandomState(seed).uniform(size=X.shape) < rate
    return np.where(mask, np.nan, X), mask


def imputation_rows(
    name: str, rate: float, train, test, ablation: bool, make=imputers
) -> list[dict]:
    """RMSE on the removed test entries of each imputer ``make(n_features,
    ablation)`` gives."""
    train_missing, _ = remove(train, rate, 0)
    test_missing, mask = remove(test, rate, 1)
    rows = []
    for imputer_name, imputer in make(train.shape[1], ablation).items():
        tic = time.perf_counter()
        filled = imputer.fit(train_missing).transform(test_missing)
        seconds = time.perf_counter() - tic
        rmse = float(np.sqrt(np.mean((filled - test)[mask] ** 2)))
        rows.append(
            {
                "dataset": name,
                "rate": rate,
                "task": "imputation",
                "method": imputer_name,
                "value": round(rmse, 4),
                "seconds": round(seconds, 2),
            }
        )
    return rows


def tabular(
    name: str, path: Path, rate: float, ablation: bool, imputation: bool = True
) -> list[dict]:
    torch.set_num_threads(1)
    X, y = load(path)
    train, test, _, y_test = split(X, y, 0)
    train_missing, _ = remove(train, rate, 0)
    test_missing, _ = remove(test, rate, 1)
    rows = []
    for detector_name, make in DETECTORS.items():
        tic = time.perf_counter()
        detector = make().fit(train_missing)
        auc = roc_auc_score(y_test, -detector.score_samples(test_missing))
        rows.append(
            {
                "dataset": name,
                "rate": rate,
                "task": "detection",
                "method": detector_name,
                "value": round(float(auc), 4),
                "seconds": round(time.perf_counter() - tic, 2),
            }
        )
    if not imputation:
        return rows
    # Imputation over all the rows, anomalies included (about one row in ten
    # on average), as the published tables were measured: a table to impute
    # holds its outliers too.
    return rows + imputation_rows(name, rate, train, test, ablation)


def images(name: str, X: np.ndarray, rate: float, ablation: bool) -> list[dict]:
    torch.set_num_threads(1)
    train, test = train_test_split(X, test_size=0.2, random_state=0)
    return imputation_rows(name, rate, train, test, ablation)


def markdown(rows: list[dict], command: str) -> str:
    import pandas as pd

    frame = pd.DataFrame(rows)
    lines = [
        "# Missing values (issue 16)",
        "",
        f"command: `{command}`",
        "",
        f"torch {torch.__version__}, skae {skae.__version__}, one thread per fit",
        "",
    ]
    for task, label in (("detection", "ROC-AUC"), ("imputation", "RMSE on the removed entries")):
        part = frame[frame.task == task]
        if part.empty:
            continue
        table = part.pivot_table(index=["dataset"], columns=["rate", "method"], values="value")
        lines += [f"## {task.capitalize()}: {label}", ""]
        for rate in sorted(part.rate.unique()):
            sub = table[rate]
            means = sub.mean()
            lines += [f"### {int(rate * 100)}% of the entries removed", ""]
            lines.append("| dataset | " + " | ".join(sub.columns) + " |")
            lines.append("|---|" + "---:|" * len(sub.columns))
            for dataset, values in sub.iterrows():
                lines.append(f"| {dataset} | " + " | ".join(f"{v:.3f}" for v in values) + " |")
            lines.append("| **mean** | " + " | ".join(f"**{v:.3f}**" for v in means) + " |")
            if task == "imputation":
                best = sub.idxmin(axis=1).value_counts()
                lines.append("")
                lines.append("Best per dataset: " + ", ".join(f"{k} {v}" for k, v in best.items()))
            lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--datasets", nargs="+")
    parser.add_argument("--mnist", type=Path, default=MNIST)
    parser.add_argument("--no-images", action="store_true")
    parser.add_argument(
        "--detection-only",
        action="store_true",
        help="the detection table alone (the imputers take most of the time)",
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument(
        "--ablation", action="store_true", help="add the imputer-default variants (ABLATION)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "missing")
    args = parser.parse_args()
    command = "python benchmarks/missing.py " + shlex.join(sys.argv[1:])
    tasks = [
        delayed(tabular)(name, path, rate, args.ablation, not args.detection_only)
        for name, path in find_datasets(args.data, args.datasets).items()
        for rate in RATES
    ]
    if not (args.no_images or args.detection_only):
        digits = load_digits().data / 16.0
        images_ = {"digits": digits}
        if args.mnist.is_dir():
            pixels, _ = load_mnist(args.mnist)
            order = np.random.RandomState(0).permutation(len(pixels))[:3000]
            images_["mnist"] = pixels[order].astype(np.float64) / 255.0
        tasks += [
            delayed(images)(name, X, rate, args.ablation)
            for name, X in images_.items()
            for rate in RATES
        ]
    results = Parallel(n_jobs=args.jobs, verbose=5)(tasks)
    rows = [row for part in results for row in part]
    text = markdown(rows, command.strip())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text)
    with open(args.out.with_suffix(".csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(text)


if __name__ == "__main__":
    main()
