"""Ablation of ``scaling="auto"``'s encoder-input floor on data in mixed units.

The detection views of ``benchmarks/detection.py`` standardise every dataset
before the detectors see it, so there every feature has the same spread and
``scaling="auto"`` trains exactly as ``scaling="feature"``: its cost, if any,
shows only on data in their own units. Two views of the 21 ADBench sets
(``benchmarks/anomaly.py``'s cut to 10,000 rows and stratified 70/30 split,
seeds 0-2), fitted with ``AutoEncoder(random_state=seed)`` and its defaults:

raw
    The features as the files store them, unstandardised.
rescaled
    Standardised on the training part, then each feature multiplied by
    ``10 ** u`` with ``u`` uniform on [-3, 3] (``RandomState(100 + seed)``):
    a harsher mix of units than real tables have.

Rows: ``scaling="feature"`` (plain standardisation) and ``scaling="auto"``
with ``SCALE_FLOOR`` set to each ``--floors`` value; ``--without-bounds-rule``
adds each of those with the bounds rule (``skae._scaling.on_one_scale``: data
on one fixed scale divided by one scale) switched off, as before it existed.
The table gives the mean ROC-AUC per dataset over the seeds, the means, the
two halves of the datasets (every other one in ADBench's order) and the wins
and losses beyond 0.005.

Run: ``python benchmarks/scaling_ablation.py --floors 0.3 1.0`` (about 15
minutes with two processes). Data: ``--data`` or ``$SKAE_ADBENCH``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anomaly  # noqa: E402

import skae._scaling  # noqa: E402

#: The bounds rule's threshold; above 1 no data passes it.
SHARED_BOUNDS = skae._scaling.SHARED_BOUNDS

REPO = Path(__file__).resolve().parents[1]
ADBENCH = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))


def run_one(
    path: Path, seed: int, floor: float | None, view: str, bounds_rule: bool = True
) -> dict:
    """One fit: ``floor`` None is ``scaling="feature"``."""
    import torch
    from threadpoolctl import threadpool_limits

    import skae._scaling
    from skae import AutoEncoder

    torch.set_num_threads(1)
    threadpool_limits(1)
    if floor is not None:
        skae._scaling.SCALE_FLOOR = floor
    # Set on every task: a worker process runs several.
    skae._scaling.SHARED_BOUNDS = SHARED_BOUNDS if bounds_rule else 1.0
    X, y = anomaly.load(path)
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=anomaly.TEST_SIZE, stratify=y, random_state=seed
    )
    if view == "rescaled":
        scaler = StandardScaler().fit(X_train)
        factors = 10.0 ** np.random.RandomState(100 + seed).uniform(-3, 3, X.shape[1])
        X_train, X_test = scaler.transform(X_train) * factors, scaler.transform(X_test) * factors
    scaling = "feature" if floor is None else "auto"
    model = AutoEncoder(scaling=scaling, random_state=seed).fit(X_train)
    outlying = -model.score_samples(X_test)
    return {
        "dataset": path.stem,
        "seed": seed,
        "row": "feature"
        if floor is None
        else f"auto {floor:g}" + ("" if bounds_rule else ", no bounds rule"),
        "view": view,
        "roc_auc": roc_auc_score(y_test, outlying),
        "ap": average_precision_score(y_test, outlying),
    }


def markdown(results: pd.DataFrame, order: list[str]) -> list[str]:
    lines = []
    for view, group in results.groupby("view", sort=False):
        table = group.pivot_table(index="dataset", columns="row", values="roc_auc").loc[order]
        rows = ["feature", *[c for c in table.columns if c != "feature"]]
        table = table[rows]
        lines += [f"### {view}", "", table.round(3).to_markdown(), ""]
        ap = group.groupby("row").ap.mean()
        summary = pd.DataFrame(
            {
                "mean ROC-AUC": table.mean(),
                "first half": table.iloc[0::2].mean(),
                "second half": table.iloc[1::2].mean(),
                "mean AP": ap[rows],
                "wins / losses vs feature": [
                    f"{(table[r] > table.feature + 0.005).sum()} / "
                    f"{(table[r] < table.feature - 0.005).sum()}"
                    for r in rows
                ],
            }
        )
        lines += [summary.round(4).to_markdown(), ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--floors", type=float, nargs="+", default=[1.0])
    parser.add_argument("--views", nargs="+", default=["raw", "rescaled"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="*", help="names, e.g. 29_Pima (default: all)")
    parser.add_argument("--data", type=Path, default=ADBENCH)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--without-bounds-rule", action="store_true")
    args = parser.parse_args()
    datasets = anomaly.find_datasets(args.data, None)
    if args.datasets:
        datasets = {k: v for k, v in datasets.items() if v.stem in args.datasets}
    rules = [True, False] if args.without_bounds_rule else [True]
    tasks = [
        (path, seed, floor, view, rule)
        for view in args.views
        for path in datasets.values()
        for seed in args.seeds
        for floor in [None, *args.floors]
        for rule in (rules if floor is not None else [True])
    ]
    results = pd.DataFrame(Parallel(n_jobs=args.jobs)(delayed(run_one)(*t) for t in tasks))
    order = [path.stem for path in datasets.values()]
    text = "\n".join(markdown(results, order)) + "\n"
    print(text, end="")
    if args.out is not None:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
