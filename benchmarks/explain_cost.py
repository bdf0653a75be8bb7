"""The cost of ``explain`` as the categorical columns grow (issue 16).

A table of ``n`` categorical columns of 5 categories, each the row's group
(one of 5) in 95% of the rows and a random category otherwise, and one
number (the group plus noise); 1,000 rows. The default ``AutoEncoder`` (20
epochs) is fitted, column ``c0`` of 200 training rows is moved to another
group's category, and ``explain`` and ``score_samples`` are timed on those
rows, with the share of them whose most negative contribution is ``c0``.

Run: ``python benchmarks/explain_cost.py`` (about a minute; one thread).
Prints a markdown table: categorical columns, ``explain`` seconds,
``score_samples`` seconds, hit rate.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import torch

from skae import AutoEncoder

COLUMNS = (8, 16, 32, 64, 128)
N_ROWS, N_PLANTED, AGREEMENT = 1000, 200, 0.95


def table(n_columns: int, rng: np.random.RandomState) -> tuple[pd.DataFrame, np.ndarray]:
    group = rng.randint(0, 5, size=N_ROWS)
    columns = {}
    for j in range(n_columns):
        values = np.where(rng.rand(N_ROWS) < AGREEMENT, group, rng.randint(0, 5, size=N_ROWS))
        columns[f"c{j}"] = pd.Categorical([f"k{v}" for v in values])
    columns["x"] = group + 0.1 * rng.randn(N_ROWS)
    return pd.DataFrame(columns), group


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    print("| categorical columns | explain s | score_samples s | c0 blamed |")
    print("|---:|---:|---:|---:|")
    for n_columns in COLUMNS:
        frame, group = table(n_columns, rng)
        model = AutoEncoder(random_state=0).fit(frame)
        planted = frame.iloc[:N_PLANTED].copy()
        planted["c0"] = pd.Categorical(
            [f"k{(g + 2) % 5}" for g in group[:N_PLANTED]], categories=frame["c0"].cat.categories
        )
        model.explain(planted.iloc[:10])  # warm up
        start = time.perf_counter()
        terms = model.explain(planted)
        explain = time.perf_counter() - start
        start = time.perf_counter()
        model.score_samples(planted)
        score = time.perf_counter() - start
        blamed = (terms.drop(columns=["code"]).idxmin(axis=1) == "c0").mean()
        print(f"| {n_columns} | {explain:.2f} | {score:.3f} | {blamed:.3f} |", flush=True)


if __name__ == "__main__":
    main()
