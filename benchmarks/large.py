"""Large tables: what a default fit costs as the rows grow, and what it scores (issue 19).

Detectors: skae's ``AutoEncoder()`` (defaults), ``AutoEncoder(max_epochs=20,
batch_size=64, lr=1e-3)`` (20 full epochs at the first release's batch and rate,
the reference for quality) and ``IsolationForest()``, all with ``random_state=0``.

Problems:

* every ADBench set in ``--data`` (default ``$SKAE_ADBENCH``, else
  ``../shared/data/adbench``) with more than 10,000 rows, at full size: one
  stratified 70/30 split (seed 0), ``StandardScaler`` fitted on the training
  part, unsupervised fit (the anomalies stay in the training data), ROC-AUC on
  the test part;
* ``synthetic-N``: N rows x 50 features, a 5-dimensional latent signal through
  a fixed random non-linear map plus noise, 1% of the rows anomalies whose 10
  random features are taken from other rows (the dependence between features
  broken); the test set is 100,000 fresh rows of the same kind. With
  ``--huge`` the 10,000,000-row table is written to a ``numpy.memmap`` in a
  temporary folder (2 GB of float32) and fitted from it.

``--ablation`` adds larger-batch variants of the default (``ABLATION``: batch
size, learning rate, rows per epoch, cosine decay) on the 1,000,000-row
synthetic table, donors and skin, with 1 and 2 threads when
``--thread-scaling`` is given too; ``--variants`` picks some of them.

Each fit runs in a child process, so that its peak resident memory (``peak
MB``, the process's high-water mark, the data included) is its own. ``score
rows/s``: ``score_samples`` on the test rows. Torch and BLAS use ``--threads``
threads (1 by default); ``--thread-scaling`` also times the default fit on
the synthetic tables of 100,000 rows or more with 1 and 2 threads.

Run: ``python benchmarks/large.py [--huge] [--thread-scaling] [--ablation]
[--problems ...]`` (about 20 minutes on one core with all three flags);
writes ``--out`` (default ``benchmarks/results/large``) ``.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
ADBENCH = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))
MIN_ROWS = 10_000
SYNTHETIC_SIZES = (10_000, 100_000, 1_000_000)
HUGE = 10_000_000
N_FEATURES, N_LATENT, TEST_ROWS = 50, 5, 100_000
CHUNK = 500_000
DETECTORS = ("skae default", "skae 20 epochs", "IsolationForest")

#: ``--ablation``: larger batches on large tables, the direction issue 19
#: suggests for quality and threads. Name: (AutoEncoder parameters, rows per
#: epoch, epochs or None for "auto", cosine learning-rate decay).
ABLATION = {
    "b256 lr2e-3 R500k": ({"batch_size": 256, "lr": 2e-3}, 500_000, None, False),
    "b512 lr3e-3 R500k": ({"batch_size": 512, "lr": 3e-3}, 500_000, None, False),
    "b1024 lr4e-3 R1M": ({"batch_size": 1024, "lr": 4e-3}, 1_000_000, None, False),
    "b1024 lr8e-3 R1M cosine": ({"batch_size": 1024, "lr": 8e-3}, 1_000_000, None, True),
    "b512 lr2.8e-3, 16k steps": ({"batch_size": 512, "lr": 2.8e-3}, 819_200, "steps", False),
    # The default batch, its learning rate decayed over the budget.
    "b64 lr1e-3 cosine": ({"batch_size": 64, "lr": 1e-3}, 200_000, None, True),
    "b64 lr3e-3 cosine": ({"batch_size": 64, "lr": 3e-3}, 200_000, None, True),
    "b64 lr1e-3 R250k cosine": ({"batch_size": 64, "lr": 1e-3}, 250_000, None, True),
}
#: Where the ablation runs: the large table that keeps learning, and the
#: real ones with the most rows.
ABLATION_PROBLEMS = ("synthetic-1000000", "11_donors", "33_skin")


# --- data -----------------------------------------------------------------------------
def _mixing() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(0)
    first = rng.normal(size=(N_LATENT, 32)).astype(np.float32)
    second = (rng.normal(size=(32, N_FEATURES)) / 4).astype(np.float32)
    return first, second


def synthetic_chunk(rng: np.random.RandomState, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows and labels (1 = anomaly) of the synthetic table."""
    first, second = _mixing()
    latent = rng.normal(size=(n, N_LATENT)).astype(np.float32)
    X = np.tanh(latent @ first) @ second
    X += 0.05 * rng.normal(size=X.shape).astype(np.float32)
    y = (rng.uniform(size=n) < 0.01).astype(int)
    anomalies = np.flatnonzero(y)
    donors = rng.randint(n, size=(len(anomalies), 10))
    columns = np.array([rng.choice(N_FEATURES, 10, replace=False) for _ in anomalies])
    if len(anomalies):
        X[anomalies[:, None], columns] = X[donors, columns]
    return X, y


def synthetic(n: int, folder: Path | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training rows (in memory, or in a memmap under ``folder``), test rows, test labels."""
    rng = np.random.RandomState(1)
    if folder is None:
        train, _ = synthetic_chunk(rng, n)
    else:
        train = np.lib.format.open_memmap(
            folder / "train.npy", mode="w+", dtype=np.float32, shape=(n, N_FEATURES)
        )
        for start in range(0, n, CHUNK):
            train[start : start + CHUNK] = synthetic_chunk(rng, min(CHUNK, n - start))[0]
        train.flush()
    test, labels = synthetic_chunk(np.random.RandomState(2), TEST_ROWS)
    return train, test, labels


def adbench(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    data = np.load(path)
    X, y = data["X"].astype(np.float64), data["y"].astype(int)
    train, test, _, labels = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    scaler = StandardScaler().fit(train)
    return scaler.transform(train), scaler.transform(test), labels


def problems(data: Path) -> list[str]:
    names = []
    for path in sorted(data.glob("*.npz")):
        with np.load(path) as archive:
            if len(archive["y"]) > MIN_ROWS:
                names.append(path.stem)
    return names + [f"synthetic-{n}" for n in SYNTHETIC_SIZES]


# --- one fit, in a child process ------------------------------------------------------
def make(detector: str, n_samples: int):
    from sklearn.ensemble import IsolationForest

    import skae._sizing
    from skae import AutoEncoder

    if detector in ABLATION:
        params, rows, epochs, cosine = ABLATION[detector]
        skae._sizing.ROWS_PER_EPOCH = rows
        params = dict(params)
        if epochs == "steps":
            # 16,000 steps: 10 epochs of a subset, or more passes of a smaller table.
            samples = 16_000 * params["batch_size"]
            if n_samples * 10 < samples:
                params["max_epochs"] = -(-samples // n_samples)
        if cosine:
            from skorch.callbacks import LRScheduler
            from torch.optim.lr_scheduler import CosineAnnealingLR

            params["callbacks"] = [LRScheduler(policy=CosineAnnealingLR, T_max=10)]
        return AutoEncoder(random_state=0, **params)
    if detector == "skae default":
        return AutoEncoder(random_state=0)
    if detector == "skae 20 epochs":
        # The reference: 20 full epochs of the first release's batch and rate.
        return AutoEncoder(max_epochs=20, batch_size=64, lr=1e-3, random_state=0)
    return IsolationForest(random_state=0)


def run_one(job: dict) -> dict:
    import torch
    from sklearn.metrics import roc_auc_score
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(job["threads"])
    problem = job["problem"]
    with tempfile.TemporaryDirectory() as tmp:
        # The data do not depend on the threads of the fit.
        with threadpool_limits(1):
            if problem.startswith("synthetic-"):
                n = int(problem.removeprefix("synthetic-"))
                train, test, labels = synthetic(n, Path(tmp) if n >= HUGE else None)
            else:
                train, test, labels = adbench(Path(job["data"]) / f"{problem}.npz")
        detector = make(job["detector"], len(train))
        with threadpool_limits(job["threads"]):
            tic = time.perf_counter()
            detector.fit(train)
            fit_s = time.perf_counter() - tic
            tic = time.perf_counter()
            scores = detector.score_samples(test)
            score_s = time.perf_counter() - tic
        epochs = getattr(detector, "n_iter_", None)
        rows = getattr(getattr(detector, "net_", None), "rows_per_epoch", None)
        return {
            **job,
            "train rows": len(train),
            "fit s": round(fit_s, 2),
            "score rows/s": round(len(test) / score_s),
            "peak MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "ROC-AUC": round(float(roc_auc_score(labels, -scores)), 4),
            "epochs": epochs,
            "rows per epoch": rows or (len(train) if epochs else None),
        }


def in_child(job: dict) -> dict:
    command = [sys.executable, __file__, "--one", json.dumps(job)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"{job} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the table ------------------------------------------------------------------------
COLUMNS = (
    "problem",
    "train rows",
    "detector",
    "threads",
    "epochs",
    "rows per epoch",
    "fit s",
    "score rows/s",
    "peak MB",
    "ROC-AUC",
)


def markdown(rows: list[dict], command: str, ratios: list[str]) -> str:
    import sklearn
    import torch

    import skae

    lines = [
        "# Large tables (issue 19)",
        "",
        f"command: `{command}`",
        "",
        f"torch {torch.__version__}, skae {skae.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in COLUMNS) + " |")
    lines += ["", *ratios, ""]
    return "\n".join(lines)


def default_fits(rows: list[dict], threads: int) -> dict[int, float]:
    """Fit seconds of the default detector on each synthetic table, by rows."""
    return {
        r["train rows"]: r["fit s"]
        for r in rows
        if r["problem"].startswith("synthetic-")
        and r["detector"] == "skae default"
        and r["threads"] == threads
    }


def cost_ratios(rows: list[dict]) -> list[str]:
    """The default fit's cost at each synthetic size against 100,000 rows."""
    fits, threaded = default_fits(rows, 1), default_fits(rows, 2)
    if 100_000 not in fits:
        return []
    lines = [
        "Default fit cost against 100,000 rows (goal: at most 3x at 1,000,000, 10x at 10,000,000):",
        "",
    ]
    for n in sorted(fits):
        lines.append(f"- {n:,} rows: {fits[n]} s, {fits[n] / fits[100_000]:.2f}x")
    if threaded:
        lines += ["", "Default fit, 1 thread / 2 threads:", ""]
        for n in sorted(threaded):
            ratio = fits[n] / threaded[n]
            lines.append(f"- {n:,} rows: {fits[n]} s / {threaded[n]} s = {ratio:.2f}x")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, default=ADBENCH)
    parser.add_argument("--problems", nargs="+")
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS), choices=DETECTORS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--huge", action="store_true", help="add the 10,000,000-row memmap")
    parser.add_argument("--thread-scaling", action="store_true")
    parser.add_argument(
        "--ablation", action="store_true", help="add the larger-batch variants (ABLATION)"
    )
    parser.add_argument(
        "--variants", nargs="+", choices=list(ABLATION), help="with --ablation: only these"
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "large")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return
    command = "python benchmarks/large.py " + shlex.join(sys.argv[1:])
    names = args.problems or problems(args.data)
    if args.huge:
        names.append(f"synthetic-{HUGE}")
    jobs = [
        {"problem": p, "detector": d, "threads": args.threads, "data": str(args.data)}
        for p in names
        for d in args.detectors
        # 20 full epochs of 10,000,000 rows would take about half an hour.
        if not (p == f"synthetic-{HUGE}" and d == "skae 20 epochs")
    ]
    if args.thread_scaling:
        jobs += [
            {"problem": p, "detector": "skae default", "threads": 2, "data": str(args.data)}
            for p in names
            if p.startswith("synthetic-") and int(p.removeprefix("synthetic-")) >= 100_000
        ]
    if args.ablation:
        jobs += [
            {"problem": p, "detector": d, "threads": t, "data": str(args.data)}
            for p in ABLATION_PROBLEMS
            for d in args.variants or ABLATION
            for t in sorted({1, 2} if args.thread_scaling else {args.threads})
        ]
    rows = []
    for job in jobs:
        rows.append({k: v for k, v in in_child(job).items() if k != "data"})
        print(rows[-1], file=sys.stderr, flush=True)
    text = markdown(rows, command.strip(), cost_ratios(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text)
    with open(args.out.with_suffix(".csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({c: r.get(c) for c in COLUMNS} for r in rows)
    print(text)


if __name__ == "__main__":
    main()
