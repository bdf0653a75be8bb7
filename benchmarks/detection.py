"""Detection defaults judged on every view: real ADBench sets, four synthetic anomaly
types generated from them, and one-class MNIST (see ``benchmarks/views.py``).

Each problem (view, dataset, seed) is fitted by every selected detector; rows go to
``--out``/``detection.csv`` as they finish (``--resume`` skips finished rows) and the
summary tables to ``detection.md``: per view, mean ROC-AUC, mean average precision
and fit seconds per detector, plus the split-half check (datasets in ADBench's
order, odd positions against even positions) and the collapses (a problem where a
detector scores ROC-AUC below 0.6 while IsolationForest scores above 0.9).

Examples::

    python benchmarks/detection.py --views real clustered --detectors AutoEncoder IsolationForest
    python benchmarks/detection.py --jobs 2          # everything, two processes
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anomaly  # noqa: E402
import views  # noqa: E402
from anomaly import PCAReconstruction, anomaly_scores  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results"
CACHE = Path(os.environ.get("SKAE_BENCH_CACHE", Path.home() / ".cache" / "skae-bench"))
FIELDS = [
    "view",
    "dataset",
    "seed",
    "detector",
    "roc_auc",
    "average_precision",
    "fit_seconds",
    "flagged_normal",
    "flagged_anomalies",
]


def _skae(name: str, **params: Any) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import skae

        return getattr(skae, name)(random_state=seed, **params)

    return make


#: name -> factory of the seed. Ablation variants are added by ``--extra``.
DETECTORS: dict[str, Callable[[int], Any]] = {
    "AutoEncoder": _skae("AutoEncoder"),
    "DenoisingAutoEncoder": _skae("DenoisingAutoEncoder"),
    "SparseAutoEncoder": _skae("SparseAutoEncoder"),
    "VariationalAutoEncoder": _skae("VariationalAutoEncoder"),
    "ContractiveAutoEncoder": _skae("ContractiveAutoEncoder"),
    "ConvolutionalAutoEncoder": _skae("ConvolutionalAutoEncoder", scaling="feature"),
    "IsolationForest": lambda seed: IsolationForest(random_state=seed),
    "PCA": lambda seed: PCAReconstruction(),
    # PyOD's detectors as anomaly.py builds them (defaults, seeded, quiet).
    "pyod.AutoEncoder": anomaly.DETECTORS["pyod.AutoEncoder"],
    "pyod.VAE": anomaly.DETECTORS["pyod.VAE"],
}


@functools.lru_cache(maxsize=4)
def _mixture(name: str) -> Any:
    """The dataset's synthetic-view mixture, fitted once and kept in ``CACHE``.

    The file name holds a digest of the data file, of the recipe's settings and
    of the numerical libraries' versions, so that a changed dataset, recipe or
    build fits a new mixture instead of reading a stale one."""
    import scipy
    import sklearn

    source = views.adbench_datasets()[name]
    digest = hashlib.sha256(Path(source).read_bytes())
    digest.update(repr(views.MIXTURE_RECIPE).encode())
    digest.update(f"{np.__version__} {scipy.__version__} {sklearn.__version__}".encode())
    path = CACHE / f"mixture-{name}-{digest.hexdigest()[:16]}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    X, y = views.load_adbench(views.adbench_datasets()[name])
    gmm = views.fit_normal_mixture(X, y)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as f:
        pickle.dump(gmm, f)
    tmp.replace(path)
    return gmm


@functools.lru_cache(maxsize=1)
def _mnist() -> tuple[np.ndarray, np.ndarray]:
    return views.load_mnist()


@functools.lru_cache(maxsize=1)
def _mnist_features() -> tuple[np.ndarray, np.ndarray]:
    images, labels = _mnist()
    return views.random_features(images), labels


def problem(view: str, dataset: str, seed: int) -> views.Problem:
    """The train and test data of one (view, dataset, seed)."""
    if view in ("mnist", "mnist-features"):
        images, labels = _mnist() if view == "mnist" else _mnist_features()
        return views.one_class_mnist(images, labels, int(dataset), seed)
    X, y = views.load_adbench(views.adbench_datasets()[dataset])
    if view == "real":
        return views.split(X, y, seed)
    n_anomaly = int(y.sum())
    Xs, ys = views.synthetic(_mixture(dataset), len(y) - n_anomaly, n_anomaly, view, seed)
    return views.split(Xs, ys, seed)


def problems(
    chosen_views: Sequence[str], datasets: Sequence[str] | None, seeds: Sequence[int]
) -> Iterator[tuple[str, str, int]]:
    """Every (view, dataset, seed) selected."""
    names = list(views.adbench_datasets())
    for view in chosen_views:
        if view in ("mnist", "mnist-features"):
            pool = [str(d) for d in range(10)]
        else:
            pool = names
            if view != "real":
                pool = [n for n in names if _n_features(n) <= views.MAX_SYNTHETIC_FEATURES]
        if datasets and view not in ("mnist", "mnist-features"):
            pool = [n for n in pool if any(d.lower() in n.lower() for d in datasets)]
        for name in pool:
            for seed in seeds:
                yield view, name, seed


@functools.cache
def _n_features(name: str) -> int:
    with np.load(views.adbench_datasets()[name]) as data:
        return int(data["X"].shape[1])


def run_problem(view: str, dataset: str, seed: int, detectors: Sequence[str]) -> list[dict]:
    """Fit each detector on one problem; one result row each."""
    import torch

    torch.set_num_threads(1)
    from threadpoolctl import threadpool_limits

    X_train, X_test, y_test = problem(view, dataset, seed)
    rows = []
    with threadpool_limits(1):
        for name in detectors:
            detector = DETECTORS[name](seed)
            start = time.perf_counter()
            detector.fit(X_train)
            fit_seconds = time.perf_counter() - start
            scores = anomaly_scores(detector, X_test)
            if np.isnan(scores).any():
                # A NaN read as 0 ranked as a score like any other (half NaN
                # scores gave a ROC-AUC above IsolationForest's on wine): the
                # detector gets no row here (the report's count of problems
                # per view shows it), the others theirs.
                print(
                    f"{name} gave {int(np.isnan(scores).sum())} NaN scores of "
                    f"{len(scores)} on {view}/{dataset}/seed {seed}: left out",
                    file=sys.stderr,
                )
                continue
            scores = np.nan_to_num(scores, posinf=1e300, neginf=-1e300)
            flagged_normal = flagged_anomalies = np.nan
            if hasattr(detector, "predict") and not type(detector).__module__.startswith("pyod."):
                # The threshold on new rows: shares of the test's normal rows
                # and anomalies that predict calls outliers (-1).
                outlier = detector.predict(X_test) == -1
                flagged_normal = float(outlier[y_test == 0].mean())
                flagged_anomalies = float(outlier[y_test == 1].mean())
            rows.append(
                {
                    "view": view,
                    "dataset": dataset,
                    "seed": seed,
                    "detector": name,
                    "roc_auc": roc_auc_score(y_test, scores),
                    "average_precision": average_precision_score(y_test, scores),
                    "fit_seconds": fit_seconds,
                    "flagged_normal": flagged_normal,
                    "flagged_anomalies": flagged_anomalies,
                }
            )
    return rows


def summary(results: pd.DataFrame, order: Sequence[str]) -> str:
    """The markdown report: per view, and the split-half and collapse checks."""
    names = list(views.adbench_datasets())
    position = {name: i for i, name in enumerate(names)}
    position.update({str(d): d for d in range(10)})
    for column in ("flagged_normal", "flagged_anomalies"):
        if column not in results:  # a CSV written before these were measured
            results = results.assign(**{column: np.nan})
    means = results.groupby(["view", "dataset", "detector"], as_index=False)[
        ["roc_auc", "average_precision", "fit_seconds", "flagged_normal", "flagged_anomalies"]
    ].mean()
    means["half"] = means["dataset"].map(lambda n: "odd" if position[n] % 2 else "even")
    lines = []
    for metric, label in [("roc_auc", "ROC-AUC"), ("average_precision", "average precision")]:
        table = means.pivot_table(index="detector", columns="view", values=metric, aggfunc="mean")
        table = table.reindex([d for d in order if d in table.index])
        table = table[[v for v in views.VIEWS + views.EXTRA_VIEWS if v in table.columns]]
        lines += [f"## Mean {label} per view", "", _markdown(table), ""]
    halves = means.pivot_table(
        index="detector", columns=["view", "half"], values="roc_auc", aggfunc="mean"
    )
    halves = halves.reindex([d for d in order if d in halves.index])
    halves.columns = [f"{v} {h}" for v, h in halves.columns]
    lines += ["## Mean ROC-AUC per half of the datasets (ADBench order)", "", _markdown(halves), ""]
    for metric, label in [
        ("flagged_normal", "new normal rows"),
        ("flagged_anomalies", "anomalies"),
    ]:
        table = means.pivot_table(index="detector", columns="view", values=metric, aggfunc="mean")
        table = table.reindex([d for d in order if d in table.index])
        table = table[[v for v in views.VIEWS + views.EXTRA_VIEWS if v in table.columns]]
        if len(table):
            lines += [f"## Mean share of test {label} that `predict` flags, per view", ""]
            lines += [_markdown(table), ""]
    counts = results.groupby(["detector", "view"]).size().unstack()
    counts = counts.reindex([d for d in order if d in counts.index])
    lines += ["## Problems per view (datasets x seeds)", "", _markdown(counts, 0), ""]
    for metric, label in [("roc_auc", "ROC-AUC"), ("average_precision", "average precision")]:
        real = means[means.view == "real"]
        if len(real):
            table = real.pivot_table(index="dataset", columns="detector", values=metric)
            table = table.reindex(index=[n for n in names if n in table.index])
            table = table[[d for d in order if d in table.columns]]
            lines += [f"## Real sets: {label} per dataset", "", _markdown(table), ""]
    fit = results.groupby(["detector", "view"])["fit_seconds"].sum().unstack()
    fit["total"] = fit.sum(axis=1)
    fit = fit.reindex([d for d in order if d in fit.index])
    lines += ["## Fit seconds (sum over problems)", "", _markdown(fit, 1), ""]
    iforest = means[means.detector == "IsolationForest"].set_index(["view", "dataset"])["roc_auc"]
    collapses = []
    for row in means.itertuples():
        ref = iforest.get((row.view, row.dataset))
        if ref is not None and row.roc_auc < 0.6 and ref > 0.9:
            collapses.append(
                f"- {row.detector}: {row.view} / {row.dataset}: {row.roc_auc:.3f} "
                f"(IsolationForest {ref:.3f})"
            )
    lines += ["## Collapses (ROC-AUC < 0.6 where IsolationForest > 0.9)", ""]
    lines += collapses or ["none"]
    return "\n".join(lines) + "\n"


def _markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    header = ["", *map(str, frame.columns)]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.{digits}f}" for v in row.tolist()]
        out.append("| " + " | ".join([str(index), *cells]) + " |")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--views",
        nargs="+",
        default=list(views.VIEWS),
        choices=views.VIEWS + views.EXTRA_VIEWS,
    )
    parser.add_argument("--datasets", nargs="+", help="substrings of ADBench dataset names")
    parser.add_argument("--detectors", nargs="+", default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--jobs", type=int, default=1, help="processes (one thread each)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--extra", type=Path, help="a Python file defining EXTRA: more name -> factory entries"
    )
    args = parser.parse_args(argv)
    if args.extra:
        namespace: dict = {"__file__": str(args.extra)}
        exec(compile(args.extra.read_text(), str(args.extra), "exec"), namespace)
        DETECTORS.update(namespace["EXTRA"])
    detectors = args.detectors or [d for d in DETECTORS if "pyod" not in d]
    unknown = [d for d in detectors if d not in DETECTORS]
    if unknown:
        sys.exit(f"error: unknown detectors {unknown}; known: {list(DETECTORS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path = args.out / "detection.csv"
    done: set[tuple] = set()
    if args.resume and csv_path.exists():
        old = pd.read_csv(csv_path, dtype={"dataset": str})
        if list(old.columns) != FIELDS:
            sys.exit(f"error: {csv_path} has columns {list(old.columns)}; --resume needs {FIELDS}")
        done = set(zip(old.view, old.dataset, old.seed, old.detector, strict=True))
    else:
        with csv_path.open("w", newline="") as f:
            csv.DictWriter(f, FIELDS).writeheader()
    tasks = []
    for view, dataset, seed in problems(args.views, args.datasets, args.seeds):
        todo = [d for d in detectors if (view, dataset, seed, d) not in done]
        if todo:
            tasks.append((view, dataset, seed, todo))
    # The synthetic views' mixtures are fitted once, before the workers need them.
    for name in sorted({t[1] for t in tasks if t[0] not in ("real", "mnist", "mnist-features")}):
        _mixture(name)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_problem, *task) for task in tasks]
        for i, future in enumerate(as_completed(futures), 1):
            rows = future.result()
            with csv_path.open("a", newline="") as f:
                csv.DictWriter(f, FIELDS).writerows(rows)
            print(
                f"[{i}/{len(tasks)} {time.perf_counter() - started:.0f}s] "
                f"{rows[0]['view']}/{rows[0]['dataset']}/{rows[0]['seed']}",
                file=sys.stderr,
            )
    results = pd.read_csv(csv_path, dtype={"dataset": str})
    results = results[results.detector.isin(detectors)]
    report = summary(results, detectors)
    (args.out / "detection.md").write_text(
        "# Detection on every view\n\nCommand: `python benchmarks/detection.py "
        + " ".join(argv if argv is not None else sys.argv[1:])
        + "`\n\n"
        + report
    )
    print(report)


if __name__ == "__main__":
    main()
