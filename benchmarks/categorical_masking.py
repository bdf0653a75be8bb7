"""Masking a categorical column whole, or one one-hot entry at a time (issue 16).

``AutoEncoderImputer``'s default estimator is ``DenoisingAutoEncoder(
noise="mask")``. A missing category reaches the network as its whole one-hot
block missing; masking one entry at a time rarely hid a whole block (at a
rate of 0.25, 6% of the rows for two categories) and the entries left gave
the category away. This script fills entries removed completely at random
(10%, 20% and 30% of every column) with the imputer as it is (each column
masked whole) and with the same estimator masking one entry at a time, and
reports the share of removed categories filled right, the numbers' RMSE in
units of their standard deviation, and the most frequent category's share
(what ``SimpleImputer(strategy="most_frequent")`` gets right).

Tables: ``penguins`` (``palmerpenguins``, rows with no missing entry, the
year left out: species, island and sex categorical; the ``bench`` extra
installs it) and ``synthetic`` (1,500 rows of five numbers from two factors
and three categories set by them: thresholds of one factor, the sign of the
other, and bins of their sum). Seeds 0-4: the removal, the table and the fit.

    python benchmarks/categorical_masking.py --out benchmarks/results/categorical_masking.md
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np
import pandas as pd
import torch

from skae import AutoEncoderImputer, DenoisingAutoEncoder
from skae._corruption import MaskingNoise
from skae._imputer import IMPUTER_MAX_EPOCHS


class EntryMasking(DenoisingAutoEncoder):
    """The default imputer's estimator, masking one encoded entry at a time."""

    def _make_corruption(self):
        return MaskingNoise(self.mask_rate)


def penguins() -> pd.DataFrame | None:
    try:
        from palmerpenguins import load_penguins
    except ImportError:
        return None
    table = load_penguins().drop(columns="year").dropna().reset_index(drop=True)
    for column in ("species", "island", "sex"):
        table[column] = table[column].astype("category")
    return table


def synthetic(seed: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    n_rows = 1500
    factors = rng.normal(size=(n_rows, 2))
    numbers = factors @ rng.normal(size=(2, 5)) + 0.3 * rng.normal(size=(n_rows, 5))
    table = pd.DataFrame(numbers, columns=[f"x{i}" for i in range(5)])
    first = np.where(factors[:, 0] > 0.5, "hi", np.where(factors[:, 0] < -0.5, "lo", "mid"))
    table["a"] = pd.Categorical(first)
    table["b"] = pd.Categorical(np.where(factors[:, 1] > 0, "p", "q"))
    bins = np.digitize(factors.sum(axis=1), [-1.5, -0.5, 0.5, 1.5])
    table["c"] = pd.Categorical(np.array(list("vwxyz"))[bins])
    return table


def imputers(n_columns: int, seed: int) -> dict[str, AutoEncoderImputer]:
    entry = EntryMasking(
        noise="mask",
        n_components=max(2, n_columns // 2),
        max_epochs=IMPUTER_MAX_EPOCHS,
        early_stopping=False,
        random_state=seed,
    )
    return {
        "whole column (default)": AutoEncoderImputer(random_state=seed),
        "one entry at a time": AutoEncoderImputer(estimator=entry, random_state=seed),
    }


def measure(table: pd.DataFrame, rate: float, seed: int) -> list[dict]:
    holes = np.random.RandomState(100 + seed).rand(*table.shape) < rate
    holed = table.copy()
    for j, column in enumerate(table.columns):
        holed.loc[holes[:, j], column] = np.nan
    categorical = [c for c in table if isinstance(table[c].dtype, pd.CategoricalDtype)]
    rows = []
    for name, imputer in imputers(table.shape[1], seed).items():
        filled = imputer.fit_transform(holed)
        right, errors, most = [], [], []
        for j, column in enumerate(table.columns):
            hidden = holes[:, j]
            truth = table[column][hidden]
            if column in categorical:
                right.append(
                    np.mean(filled[column][hidden].astype(str).values == truth.astype(str).values)
                )
                most.append(np.mean(truth.astype(str).values == str(holed[column].mode()[0])))
            else:
                scaled = (filled[column][hidden] - truth) / table[column].std()
                errors.append(np.sqrt(np.mean(scaled**2)))
        rows.append(
            {
                "masking": name,
                "rate": rate,
                "seed": seed,
                "categories right": np.mean(right),
                "most frequent": np.mean(most),
                "numbers RMSE / sd": np.mean(errors),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    parser.add_argument("--out", default=None, help="write the Markdown table here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rows = []
    real = penguins()
    if real is None:
        print("palmerpenguins is not installed: the penguins table is skipped", file=sys.stderr)
    for seed in args.seeds:
        tables = {"synthetic": synthetic(seed)}
        if real is not None:
            tables["penguins"] = real
        for name, table in tables.items():
            for rate in args.rates:
                for row in measure(table, rate, seed):
                    rows.append({"table": name, **row})
                    print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["table", "rate", "masking"], sort=True)[
        ["categories right", "numbers RMSE / sd", "most frequent"]
    ].mean()
    text = [
        "# Masking a categorical column whole (issue 16)",
        "",
        "command: `python benchmarks/categorical_masking.py --seeds "
        f"{' '.join(map(str, args.seeds))}`",
        "",
        f"torch {torch.__version__}, one thread; means over seeds {args.seeds}",
        "",
        summary.round(3).to_markdown(),
        "",
    ]
    print("\n".join(text))
    if args.out:
        with open(args.out, "w") as file:
            file.write("\n".join(text))


if __name__ == "__main__":
    main()
