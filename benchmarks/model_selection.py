"""Does grid search without a scorer choose well? (issue 18)

For each kind, a 3-fold ``GridSearchCV`` with no scorer over ``n_components``
in {2, 4, 8, 16, 32} and two ``hidden_layer_sizes`` ("auto" and one layer of
128; channels "auto" and (8, 16) for the convolutional kind), every other
parameter at its default and ``random_state=0``. The same fits are also
scored by

* held-out reconstruction MSE in the original units
  (:func:`skae.reconstruction_error_scorer`), the criterion the deterministic
  kinds' ``score`` should rank like (goal: Spearman correlation at least 0.9,
  and the chosen candidate's MSE within 5% of the best candidate's);
* the mean of ``score_samples``, which is what ``score`` was before issue 18
  (the "before" columns; ``score_samples`` did not change);
* for the variational kind, a held-out log-likelihood estimate, the
  importance-weighted bound with 64 draws (goal: the candidate chosen by
  ``score``, the ELBO over the 2k cubature points of the k codes, within 1 nat
  of the best).

Data: ``load_digits`` / 16 (1,797 images) and MNIST test images / 255 (the
first ``--mnist-rows`` of a seeded permutation, default 3,000, from
``--mnist``, default ``$SKAE_MNIST`` else ``../shared/data/mnist``).

Run: ``OMP_NUM_THREADS=1 python benchmarks/model_selection.py [--datasets
digits mnist] [--kinds AutoEncoder ...] [--n-jobs 2]`` (the environment
variable keeps each parallel fit to one thread); writes ``--out`` (default
``benchmarks/results/model_selection``) ``.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from scipy.stats import spearmanr
from sklearn.datasets import load_digits
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, KFold

import skae

sys.path.insert(0, str(Path(__file__).parent))
from views import MNIST, load_mnist  # noqa: E402

KINDS = (
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
    "ConvolutionalAutoEncoder",
    "VariationalAutoEncoder",
)
N_COMPONENTS = (2, 4, 8, 16, 32)
IWAE_DRAWS = 64


def hidden_sizes(kind: str) -> list:
    return ["auto", (8, 16)] if kind == "ConvolutionalAutoEncoder" else ["auto", (128,)]


def datasets(names: list[str], mnist_folder: Path, mnist_rows: int) -> dict[str, np.ndarray]:
    data = {}
    if "digits" in names:
        data["digits"] = load_digits().data / 16.0
    if "mnist" in names:
        images, _ = load_mnist(mnist_folder)
        order = np.random.RandomState(0).permutation(len(images))[:mnist_rows]
        data["mnist"] = images[order].astype(np.float64) / 255.0
    return data


def old_score(estimator, X, y=None) -> float:
    """``score`` before issue 18: the mean of ``score_samples``."""
    return float(np.mean(estimator.score_samples(X)))


def iwae_score(estimator, X, y=None) -> float:
    """Held-out log-likelihood estimate of a variational model (64-draw IWAE)."""
    draws = estimator.n_importance_samples
    estimator.set_params(n_importance_samples=IWAE_DRAWS)
    try:
        return float(np.mean(estimator.score_samples(X)))
    finally:
        estimator.set_params(n_importance_samples=draws)


def search(kind: str, X: np.ndarray, n_jobs: int) -> GridSearchCV:
    estimator = getattr(skae, kind)(random_state=0)
    scoring = {
        # What GridSearchCV uses when given no scorer: estimator.score.
        "score": check_scoring(estimator),
        "before": old_score,
        "neg_mse": skae.reconstruction_error_scorer,
    }
    if kind == "VariationalAutoEncoder":
        scoring["log_likelihood"] = iwae_score
    grid = {"n_components": list(N_COMPONENTS), "hidden_layer_sizes": hidden_sizes(kind)}
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(estimator, grid, scoring=scoring, refit=False, cv=cv, n_jobs=n_jobs)
    return search.fit(X)


def candidate(params: dict) -> str:
    hidden = params["hidden_layer_sizes"]
    hidden = hidden if isinstance(hidden, str) else "-".join(map(str, hidden))
    return f"k={params['n_components']}, h={hidden}"


def summarise(dataset: str, kind: str, result: GridSearchCV, seconds: float) -> dict:
    res = result.cv_results_
    mse = -res["mean_test_neg_mse"]
    # A failed candidate scores NaN (GridSearchCV's error_score); argmin and
    # argmax would pick it.
    best = int(np.nanargmin(mse))
    row = {
        "dataset": dataset,
        "kind": kind,
        "best by MSE": candidate(res["params"][best]),
        "fit s": round(seconds, 1),
    }
    for column in ("before", "score"):
        values = res[f"mean_test_{column}"]
        pick = int(np.nanargmax(values))
        ok = np.isfinite(values) & np.isfinite(mse)
        row[f"rho {column}"] = round(float(spearmanr(values[ok], -mse[ok])[0]), 3)
        row[f"pick {column}"] = candidate(res["params"][pick])
        row[f"MSE ratio {column}"] = round(float(mse[pick] / mse[best]), 3)
        if "mean_test_log_likelihood" in res:
            ll = res["mean_test_log_likelihood"]
            row[f"LL gap {column}"] = round(float(np.nanmax(ll) - ll[pick]), 2)
    return row


def candidates_rows(dataset: str, kind: str, result: GridSearchCV) -> list[dict]:
    res = result.cv_results_
    rows = []
    for i, params in enumerate(res["params"]):
        row = {"dataset": dataset, "kind": kind, "candidate": candidate(params)}
        for key in res:
            if key.startswith("mean_test_"):
                row[key.removeprefix("mean_test_")] = float(res[key][i])
        rows.append(row)
    return rows


def markdown(rows: list[dict], command: str, total: float) -> str:
    lines = [
        "# Grid search without a scorer (issue 18)",
        "",
        f"command: `{command}`",
        "",
        f"torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
        f"skae {skae.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "",
        "rho: Spearman correlation, over the 10 candidates, of the mean 3-fold score with "
        "minus the held-out reconstruction MSE (original units). before: the mean of "
        "`score_samples` (`score` until issue 18); after: `score`. MSE ratio: held-out MSE "
        "of the candidate the score picks / the best candidate's. LL gap (variational kind): "
        f"nats between the best candidate's held-out {IWAE_DRAWS}-draw IWAE log-likelihood "
        "and the picked one's. Goals: rho >= 0.9 and MSE ratio <= 1.05 (deterministic "
        "kinds), LL gap <= 1 (variational).",
        "",
        "| dataset | kind | rho before | rho after | pick before | pick after | best by MSE "
        "| MSE ratio before | MSE ratio after | LL gap before | LL gap after | fit s |",
        "|---|---|---:|---:|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['kind']} | {r['rho before']:+.2f} | {r['rho score']:+.2f} "
            f"| {r['pick before']} | {r['pick score']} | {r['best by MSE']} "
            f"| {r['MSE ratio before']:.3f} | {r['MSE ratio score']:.3f} "
            f"| {r.get('LL gap before', '')} | {r.get('LL gap score', '')} | {r['fit s']} |"
        )
    lines += ["", f"Total {total:.0f} s.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["digits", "mnist"])
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--mnist", type=Path, default=MNIST)
    parser.add_argument("--mnist-rows", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per fit")
    parser.add_argument("--n-jobs", type=int, default=1, help="GridSearchCV's n_jobs")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "model_selection"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    command = "python benchmarks/model_selection.py " + shlex.join(sys.argv[1:])
    start = time.perf_counter()
    summary, detail = [], []
    for dataset, X in datasets(args.datasets, args.mnist, args.mnist_rows).items():
        for kind in args.kinds:
            tic = time.perf_counter()
            result = search(kind, X, args.n_jobs)
            summary.append(summarise(dataset, kind, result, time.perf_counter() - tic))
            detail += candidates_rows(dataset, kind, result)
            print(summary[-1], flush=True)
    text = markdown(summary, command.strip(), time.perf_counter() - start)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(text)
    with open(args.out.with_suffix(".csv"), "w", newline="") as handle:
        fields = list(dict.fromkeys(key for row in detail for key in row))
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(detail)
    print(text)


if __name__ == "__main__":
    main()
