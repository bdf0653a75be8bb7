"""Two findings of an independent probe of issue 16 (thirty-eighth session),
kept as a benchmark: what remains short, measured.

1. ``rates``: new normal rows flagged (``contamination=0.05``) by a detector
   fitted on rows with 30% of their entries missing at random, split by how
   complete the new rows are (complete, or 30% missing). Table: 1,000
   training rows of 8 columns from 2 factors plus noise of sd 0.15; 3,000 new
   rows; seeds 0-7 (table and model).
2. ``explain``: hit rate of ``explain`` (the planted column has the lowest
   term, the code term left out) on a mixed table of 5 numbers from 2
   factors and a bool ``flag`` (the second factor's sign), with the flag
   flipped in rows far from its boundary (|factor| > 1), when the scored rows
   also miss ``x0`` or ``x1`` (the flag stays observed). The model is fitted
   on rows missing 20% of each number.

Run: ``python benchmarks/missing_probe.py`` (about 5 minutes on one thread).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch

import skae

KINDS = {"AutoEncoder": skae.AutoEncoder, "VariationalAutoEncoder": skae.VariationalAutoEncoder}


def rates(seeds: range) -> None:
    print("| detector | complete new rows flagged: mean (lowest, highest) | new rows 30% missing |")
    print("|---|---|---|")
    for name, kind in KINDS.items():
        complete, holed = [], []
        for seed in seeds:
            rng = np.random.RandomState(seed)
            mixing = rng.normal(size=(2, 8))

            def draw(n, rng=rng, mixing=mixing):
                return rng.normal(size=(n, 2)) @ mixing + 0.15 * rng.normal(size=(n, 8))

            train = draw(1000)
            train[rng.uniform(size=train.shape) < 0.3] = np.nan
            model = kind(random_state=seed, contamination=0.05).fit(train)
            new = draw(3000)
            complete.append(np.mean(model.predict(new) == -1))
            new[rng.uniform(size=new.shape) < 0.3] = np.nan
            holed.append(np.mean(model.predict(new) == -1))
        c, h = np.array(complete), np.array(holed)
        print(
            f"| {name} | {c.mean():.3f} ({c.min():.3f}, {c.max():.3f}) "
            f"| {h.mean():.3f} ({h.min():.3f}, {h.max():.3f}) |",
            flush=True,
        )


def explain(seeds: range) -> None:
    print("| detector | seed | hit rate: complete rows | x0 missing | x1 missing |")
    print("|---|---:|---:|---:|---:|")
    for name, kind in KINDS.items():
        for seed in seeds:
            rng = np.random.RandomState(seed)
            mixing = rng.normal(size=(2, 5))

            def draw(n, rng=rng, mixing=mixing):
                factors = rng.normal(size=(n, 2))
                numbers = factors @ mixing + 0.15 * rng.normal(size=(n, 5))
                frame = pd.DataFrame(numbers, columns=[f"x{i}" for i in range(5)])
                frame["flag"] = factors[:, 1] > 0
                return frame, factors

            train, _ = draw(1000)
            for column in [f"x{i}" for i in range(5)]:
                train.loc[rng.uniform(size=1000) < 0.2, column] = np.nan
            test, factors = draw(600)
            test = test[np.abs(factors[:, 1]) > 1].reset_index(drop=True)
            test["flag"] = ~test["flag"]
            model = kind(random_state=seed).fit(train)
            hits = []
            for missing in (None, "x0", "x1"):
                rows = test.copy()
                if missing:
                    rows[missing] = np.nan
                terms = model.explain(rows).drop(columns="code")
                hits.append(np.mean(terms.idxmin(axis=1) == "flag"))
            print(f"| {name} | {seed} | " + " | ".join(f"{h:.2f}" for h in hits) + " |", flush=True)


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rates(range(8))
    print()
    explain(range(3))


if __name__ == "__main__":
    main()
