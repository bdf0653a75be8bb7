"""New rows of a mixed table missing 2 of their 6 entries: flagged as often as
complete rows? (issue 16; an independent acceptance suite saw 1.1-2 times).

Per table, kind, training share missing and seed (0-2): a detector with
``contamination=0.05`` fitted on 2,000 rows (``payments``) or 1,500 rows
(``factors``); 3,000 new normal rows scored complete, then with 2 of their 6
entries removed at random in each row. Both fills of a missing entry at
inference are run in the same process (``means`` and ``refill``, as in
``benchmarks/missing_refill.py``).

Tables:

payments
    the gallery example's card payments (3 numbers, 2 categories, a flag;
    ``channel`` and ``card_present`` go together); trained with 5% and 30%
    of the entries missing.
factors
    4 numbers from 2 factors with noise 0.3, a category tied to the first
    factor's sign and an independent one of 3 levels; trained complete and
    with 10% missing.

Run: ``python benchmarks/missing_mixed.py`` (about 10 minutes on one thread);
writes ``--out`` (default ``benchmarks/results/missing_mixed.md``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import skae

sys.path.insert(0, str(Path(__file__).parent))
import missing_refill  # noqa: E402  (the payments table and the two fills)

KINDS = ("AutoEncoder", "VariationalAutoEncoder")
TABLES = {"payments": (0.05, 0.3), "factors": (0.0, 0.1)}


def factors(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, 2))
    mixing = np.random.RandomState(7).normal(size=(2, 4))
    numbers = latent @ mixing + 0.3 * rng.normal(size=(n, 4))
    frame = pd.DataFrame(numbers, columns=[f"x{i}" for i in range(4)])
    frame["colour"] = pd.Categorical(rng.choice(["red", "green", "blue"], n))
    frame["size"] = pd.Categorical(np.where(latent[:, 0] > 0, "big", "small"))
    return frame


def two_missing(frame: pd.DataFrame, rng: np.random.RandomState) -> pd.DataFrame:
    """``frame`` with 2 entries of each row removed at random."""
    out = frame.copy()
    for column in frame.columns[frame.dtypes.eq(bool)]:
        out[column] = out[column].astype(object)  # a missing flag is None
    n, d = frame.shape
    picked = np.argsort(rng.uniform(size=(n, d)), axis=1)[:, :2]
    for j, column in enumerate(frame.columns):
        rows = (picked == j).any(axis=1)
        out.loc[rows, column] = None if frame[column].dtype == bool else np.nan
    return out


def run(table: str, rate: float, kind: str, variant: str, seed: int) -> tuple[float, float]:
    missing_refill.use(variant)
    if table == "payments":
        train, test = missing_refill.payments(seed, 2000), missing_refill.payments(500 + seed, 3000)
    else:
        train, test = factors(seed, 1500), factors(500 + seed, 3000)
    if rate:
        train = missing_refill.holed(train, rate, np.random.RandomState(1000 + seed))
    model = getattr(skae, kind)(random_state=seed, contamination=0.05).fit(train)
    complete = float(np.mean(model.predict(test) == -1))
    holed = float(np.mean(model.predict(two_missing(test, np.random.RandomState(seed))) == -1))
    return complete, holed


def ratio_cells(cells: np.ndarray) -> str:
    """The table's last four cells from ``(complete, holed)`` per seed: their
    means, the ratio of the means, and each seed's ratio."""
    complete, holed = cells.mean(axis=0)
    per_seed = ", ".join(f"{h / c:.2f}" for c, h in cells)
    return f"{complete:.3f} | {holed:.3f} | {holed / complete:.2f} | {per_seed} |"


def variant_ratios(label: str, variants: dict, kinds, seeds) -> list[str]:
    """A section comparing ``variants`` (name: what sets it up, called before
    its runs) on this protocol: a row of :func:`ratio_cells` per table, kind,
    training rate and variant, the ``label`` column naming the variant."""
    lines = [
        "",
        "## Two of six entries missing (`missing_mixed.py`'s protocol)",
        "",
        f"| table | kind | trained missing | {label} | complete | 2 of 6 missing | ratio "
        "| per seed |",
        "|---|---|---:|---|---:|---:|---:|---|",
    ]
    for table, rates in TABLES.items():
        for kind in kinds:
            for rate in rates:
                for name, setup in variants.items():
                    setup()
                    cells = np.array([run(table, rate, kind, "refill", s) for s in seeds])
                    lines.append(f"| {table} | {kind} | {rate:.0%} | {name} | {ratio_cells(cells)}")
                    print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/missing_mixed.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "# New rows of a mixed table missing 2 of 6 entries (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/missing_mixed.py', *sys.argv[1:]])}`",
        "",
        "Share of new normal rows flagged (contamination=0.05), complete and missing 2 of 6 "
        "entries; ratio: the second over the first, on the means over the seeds, then per seed.",
        "",
        "| table | trained missing | kind | fill | complete | 2 of 6 missing | ratio | per seed |",
        "|---|---:|---|---|---:|---:|---:|---|",
    ]
    for table, rates in TABLES.items():
        for rate in rates:
            for kind in KINDS:
                for variant in missing_refill.VARIANTS:
                    cells = np.array([run(table, rate, kind, variant, s) for s in args.seeds])
                    lines.append(
                        f"| {table} | {rate:.0%} | {kind} | {variant} | {ratio_cells(cells)}"
                    )
                    print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
