"""Imputer training length (issue 16): the default ``AutoEncoderImputer``
(100 epochs whatever the rows) against the same estimator trained for a
budget of gradient steps, ``max(100, ceil(steps / batches per epoch))``
epochs (at most 3,000), and ``KNNImputer``.

100 epochs are 100 steps on the 56 training rows of Hepatitis and 15,000 on
the 9,600 of a large set; the small sets are where ``KNNImputer`` leads
(``results/missing.md``), so the question is whether they are undertrained.
Only the sets whose training rows are too few for the largest budget in 100
epochs run (the rule changes nothing on the others). Protocol and data of
``missing.py`` (``--data``, default ``$SKAE_ADBENCH`` else
``../shared/data/adbench``).

With ``--early-stopping``, the same estimator with ``early_stopping=True``
(10% of the rows held out, patience 10) and a cap of 100 and of 300 epochs
runs too: whether a stop chosen on the held-out rows' loss is the length
small sets need.

Run: ``python benchmarks/imputer_steps.py [--steps 2000 5000] [--seeds 0]
[--jobs 2] [--early-stopping]`` (about 10 minutes on two cores); prints the
RMSE per set and rate, and the means.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.impute import KNNImputer

sys.path.insert(0, str(Path(__file__).parent))
from anomaly import DEFAULT_DATA, find_datasets, load, split  # noqa: E402
from missing import RATES, imputation_rows  # noqa: E402

from skae import AutoEncoderImputer, DenoisingAutoEncoder  # noqa: E402

#: Rows per batch (the estimators' default) and the most epochs a budget gives.
BATCH, MAX_EPOCHS = 64, 3000


def epochs_for(steps: int, n_rows: int) -> int:
    """Epochs of a budget of ``steps`` gradient steps on ``n_rows`` rows."""
    return min(max(100, math.ceil(steps / math.ceil(n_rows / BATCH))), MAX_EPOCHS)


def run(
    name: str, path: Path, rate: float, seed: int, budgets: list[int], stopping: bool = False
) -> list[dict]:
    torch.set_num_threads(1)
    X, y = load(path)
    train, test, _, _ = split(X, y, seed)

    def imputers(n_features: int, ablation: bool = False) -> dict:
        chosen = {
            "default": AutoEncoderImputer(random_state=seed),
            "KNNImputer": KNNImputer(),
        }
        for steps in budgets:
            dae = DenoisingAutoEncoder(
                noise="mask",
                n_components=max(2, n_features // 2),
                max_epochs=epochs_for(steps, len(train)),
                random_state=seed,
            )
            chosen[f"{steps} steps"] = AutoEncoderImputer(dae)
        for cap in (100, 300) if stopping else ():
            dae = DenoisingAutoEncoder(
                noise="mask",
                n_components=max(2, n_features // 2),
                max_epochs=cap,
                early_stopping=True,
                random_state=seed,
            )
            chosen[f"early stopping, {cap}"] = AutoEncoderImputer(dae)
        return chosen

    rows = imputation_rows(name, rate, train, test, False, make=imputers)
    return [{**row, "seed": seed, "train rows": len(train)} for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--steps", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--early-stopping", action="store_true")
    args = parser.parse_args()
    jobs = []
    for name, path in find_datasets(args.data, None).items():
        X, _ = load(path)
        if int(0.7 * len(X)) < BATCH * max(args.steps) / 100:
            jobs += [(name, path, rate, seed) for rate in RATES for seed in args.seeds]
    results = Parallel(n_jobs=args.jobs)(
        delayed(run)(*job, args.steps, args.early_stopping) for job in jobs
    )
    frame = pd.DataFrame([row for rows in results for row in rows])
    table = frame.pivot_table(
        index=["rate", "dataset", "train rows"], columns="method", values="value"
    )
    print(table.round(3).to_markdown())
    print(table.groupby(level=0).mean().round(4).to_markdown())


if __name__ == "__main__":
    main()
