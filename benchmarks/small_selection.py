"""Grid search without a scorer on small tables (issue 18): the training
variance against the profiled one.

``score`` of the deterministic kinds is a Gaussian log-likelihood of the
scored rows around their reconstructions. Its variance was the training
reconstructions' mean squared error (``noise_variance_``) alone; it is now
the larger of that and the scored rows' own. On a few dozen rows a long fit
reconstructs its training rows far better than new ones, and at the training
variance alone that cost more than a better held-out reconstruction gained
(an independent probe: a search over ``max_epochs`` picked 1 epoch, worse
than the column means, over 200).

For each kind, table and seed, a 3-fold ``GridSearchCV`` over
``max_epochs`` in {1, 20, 200} and ``hidden_layer_sizes`` in {(8,),
(256, 128)} (``n_components=3``, ``random_state=0``), scored on the same
fits by

* ``score`` (the profiled variance),
* the same Gaussian at ``noise_variance_`` (the training variance: ``score``
  before),
* held-out reconstruction MSE in the original units
  (:func:`skae.reconstruction_error_scorer`), the criterion both should
  rank like.

Tables (seeded): rank 3 plus noise of sd 0.05, linear in 20 features or
through ``tanh`` in 8, at 90 and 300 rows.

Run: ``OMP_NUM_THREADS=1 python benchmarks/small_selection.py [--seeds 0 1 2]
[--kinds AutoEncoder ...] [--n-jobs 2]``; writes ``--out`` (default
``benchmarks/results/small_selection``) ``.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import GridSearchCV, KFold

import skae

KINDS = (
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "ConvolutionalAutoEncoder",
)
GRID = {"max_epochs": [1, 20, 200], "hidden_layer_sizes": [(8,), (256, 128)]}


def make_table(name: str, n_rows: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n_rows, 3))
    if name == "linear-20":
        clean = latent @ rng.normal(size=(3, 20))
    else:
        clean = np.tanh(latent @ rng.normal(size=(3, 8)))
    return clean + 0.05 * rng.normal(size=clean.shape)


def training_variance_score(est, X, y=None) -> float:
    """``score`` before: the Gaussian at the training variance alone."""
    residual = X - est.inverse_transform(est.transform(X))
    variance = est.noise_variance_
    d = X.shape[1]
    per_row = -0.5 * (residual**2).sum(axis=1) / variance - 0.5 * d * np.log(2 * np.pi * variance)
    return float(per_row.mean())


def profiled_score(est, X, y=None) -> float:
    return est.score(X)


def run(kind: str, table: str, n_rows: int, seed: int, n_jobs: int) -> dict:
    X = make_table(table, n_rows, seed)
    params = {"n_components": 3, "random_state": 0}
    grid = dict(GRID)
    if kind == "ConvolutionalAutoEncoder":
        grid["hidden_layer_sizes"] = [(4,), (32, 64)]
    search = GridSearchCV(
        getattr(skae, kind)(**params),
        grid,
        cv=KFold(3, shuffle=True, random_state=seed),
        scoring={
            "after": profiled_score,
            "before": training_variance_score,
            "mse": skae.reconstruction_error_scorer,
        },
        refit=False,
        n_jobs=n_jobs,
        error_score="raise",
    )
    start = time.perf_counter()
    search.fit(X)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    mse = -np.asarray(results["mean_test_mse"])
    row = {"kind": kind, "table": table, "rows": n_rows, "seed": seed, "fit_s": round(seconds, 1)}
    best = int(np.argmin(mse))
    row["best"] = _label(results["params"][best])
    for name in ("before", "after"):
        values = np.asarray(results[f"mean_test_{name}"])
        pick = int(np.argmax(values))
        row[f"rho_{name}"] = round(float(spearmanr(values, -mse).statistic), 3)
        row[f"pick_{name}"] = _label(results["params"][pick])
        row[f"ratio_{name}"] = round(float(mse[pick] / mse[best]), 3)
    return row


def _label(params: dict) -> str:
    return f"e={params['max_epochs']}, h={'-'.join(map(str, params['hidden_layer_sizes']))}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/small_selection")
    args = parser.parse_args()
    rows = []
    for kind in args.kinds:
        for table in ("linear-20", "tanh-8"):
            for n_rows in (90, 300):
                for seed in args.seeds:
                    rows.append(run(kind, table, n_rows, seed, args.n_jobs))
                    print(rows[-1], flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".csv"), "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Grid search without a scorer on small tables (issue 18)",
        "",
        f"command: `{shlex.join(['python', *sys.argv])}`",
        "",
        "Per kind, over its tables and seeds: mean Spearman rho of the score with minus the "
        "held-out MSE (6 candidates), picks with the best held-out MSE, the worst and the mean "
        "ratio of the pick's held-out MSE to the best candidate's. before: the Gaussian at the "
        "training variance; after: `score` (the larger of the training and the scored rows' "
        "variance).",
        "",
        "| kind | searches | rho before | rho after | best picked before | best picked after "
        "| worst ratio before | worst ratio after | mean ratio before | mean ratio after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in args.kinds:
        mine = [row for row in rows if row["kind"] == kind]
        cells = [kind, str(len(mine))]
        for key in ("rho_before", "rho_after"):
            cells.append(f"{np.mean([row[key] for row in mine]):+.2f}")
        for name in ("before", "after"):
            cells.append(str(sum(row[f"pick_{name}"] == row["best"] for row in mine)))
        for reduce in (np.max, np.mean):
            for name in ("before", "after"):
                cells.append(f"{reduce([row[f'ratio_{name}'] for row in mine]):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Every search:", ""]
    keys = list(rows[0])
    lines.append("| " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * len(keys))
    for row in rows:
        lines.append("| " + " | ".join(str(row[key]) for key in keys) + " |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[: 12 + len(args.kinds)]))


if __name__ == "__main__":
    main()
