"""Rows missing an entry tied to an observed one: the ablation behind the
inference refill of ``skae._architectures.AutoEncoderModule`` (issue 16).

Outside training a missing entry is first filled with its feature's training
mean, then (``refill``, the default) with the network's reconstruction of the
row at the means, the fill training gives half the rows. The variant
``means`` stops at the means, in the fit's calibration too (it switches the
module's ``refill_inference`` buffer off as the module is built).

Protocol, per table, kind and seed (0-2): 2,000 training rows with 5% of their
entries removed at random; ``contamination=0.05``; 3,000 new normal rows
scored complete, then with one column removed from every row, column by
column; then the same rows, that column removed, with another numeric column
moved by 4 standard deviations (``spiked``). Normal rows with a column missing
should be flagged about as often as complete ones; spiked rows, nearly all.

Tables:

payments
    the gallery example's card payments (amount, items, hour, channel,
    country, card_present): ``channel`` and ``card_present`` go together
    (online payments have no card), and the hour follows the channel.
coded
    the same table with ``channel``, ``card_present`` and ``country`` coded as
    numbers (0/1, 0-3), as a user who encoded them would pass it.
numeric
    10 columns from 3 latent factors with noise 0.1: every column tied to
    the others, nothing categorical.

Columns of the table: ``complete`` (share of complete rows flagged), one per
column (rows missing that column), ``worst`` (the largest of those),
``mean |dev|`` (their mean distance from ``complete``), ``spiked`` (mean and
least share of spiked rows flagged, over the columns).

Run: ``python benchmarks/missing_refill.py`` (about 8 minutes); writes
``--out`` (default ``benchmarks/results/missing_refill.md``).
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
import skae._architectures as architectures

VARIANTS = ("means", "refill")
TABLES = ("payments", "coded", "numeric")
KINDS = ("AutoEncoder", "VariationalAutoEncoder")
_BUILD = architectures.AutoEncoderModule.__init__


def use(variant: str) -> None:
    def build_without_refill(module, *args, **kwargs):
        _BUILD(module, *args, **kwargs)
        module.refill_inference.fill_(False)

    architectures.AutoEncoderModule.__init__ = (
        build_without_refill if variant == "means" else _BUILD
    )


def payments(seed: int, n: int, coded: bool = False) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    online = rng.uniform(size=n) < 0.4
    items = rng.randint(1, 7, n)
    table = pd.DataFrame(
        {
            "amount": items * rng.lognormal(3, 0.2, n),
            "items": items.astype(float),
            "hour": np.where(online, rng.uniform(0, 24, n), rng.normal(14, 2.5, n)),
            "channel": pd.Categorical(np.where(online, "online", "store")),
            "country": pd.Categorical(
                rng.choice(["FR", "DE", "ES", "IT"], n, p=[0.3, 0.3, 0.2, 0.2])
            ),
            "card_present": ~online,
        }
    )
    if coded:
        table["channel"] = online.astype(float)
        table["card_present"] = (~online).astype(float)
        table["country"] = table["country"].cat.codes.astype(float)
    return table


def numeric(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    mixing = np.random.RandomState(99).normal(size=(3, 10))
    values = rng.normal(size=(n, 3)) @ mixing + 0.1 * rng.normal(size=(n, 10))
    return pd.DataFrame(values, columns=[f"x{i}" for i in range(10)])


def make(table: str, seed: int, n: int) -> pd.DataFrame:
    if table == "numeric":
        return numeric(seed, n)
    return payments(seed, n, coded=table == "coded")


def holed(frame: pd.DataFrame, rate: float, rng: np.random.RandomState) -> pd.DataFrame:
    out = frame.mask(rng.uniform(size=frame.shape) < rate)
    if frame.dtypes.eq(bool).any():
        # A missing flag is None; observed, it stays a boolean.
        for column in frame.columns[frame.dtypes.eq(bool)]:
            out[column] = out[column].astype(object)
    return out


def without(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.copy()
    if frame[column].dtype == bool:
        out[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    else:
        out[column] = np.nan
    return out


def run(variant: str, table: str, kind: str, seed: int) -> dict:
    use(variant)
    rng = np.random.RandomState(1000 + seed)
    train = holed(make(table, seed, 2000), 0.05, rng)
    model = getattr(skae, kind)(random_state=seed, contamination=0.05).fit(train)
    test = make(table, 500 + seed, 3000)
    numbers = [c for c in test.columns if test[c].dtype.kind == "f"]
    rates, spiked = {}, []
    for column in test.columns:
        missing = without(test, column)
        rates[column] = float(np.mean(model.predict(missing) == -1))
        moved = (
            numbers[(numbers.index(column) + 1) % len(numbers)] if column in numbers else numbers[0]
        )
        missing[moved] = missing[moved] + 4 * test[moved].std()
        spiked.append(float(np.mean(model.predict(missing) == -1)))
    complete = float(np.mean(model.predict(test) == -1))
    deviation = np.mean([abs(rate - complete) for rate in rates.values()])
    return {
        "complete": complete,
        "rates": rates,
        "worst": max(rates.values()),
        "deviation": float(deviation),
        "spiked": (float(np.mean(spiked)), float(np.min(spiked))),
    }


def mean_cells(runs: list[dict]) -> str:
    """The last cells of a table row from :func:`run`'s results over seeds:
    the means of ``complete``, of each column's rate, of ``worst`` and of
    ``deviation``, then the mean / least share of spiked rows found."""
    rates = [np.mean([r["rates"][c] for r in runs]) for c in runs[0]["rates"]]
    return (
        f"{np.mean([r['complete'] for r in runs]):.3f} | "
        + " | ".join(f"{v:.3f}" for v in rates)
        + f" | {np.mean([r['worst'] for r in runs]):.3f}"
        f" | {np.mean([r['deviation'] for r in runs]):.3f}"
        f" | {np.mean([r['spiked'][0] for r in runs]):.3f}"
        f" / {np.min([r['spiked'][1] for r in runs]):.3f} |"
    )


def variant_tables(label: str, variants: dict, kinds, seeds) -> list[str]:
    """A section comparing ``variants`` (name: what sets it up, called before
    its runs) on this protocol: per table and kind, one row per variant of
    :func:`mean_cells` over ``seeds``, the ``label`` column naming it."""
    lines = []
    for table in TABLES:
        for kind in kinds:
            header = None
            for name, setup in variants.items():
                setup()
                runs = [run("refill", table, kind, seed) for seed in seeds]
                if header is None:
                    columns = list(runs[0]["rates"])
                    header = f"| table | kind | {label} | complete | " + " | ".join(columns)
                    lines += ["", header + " | worst | mean abs dev | spiked |"]
                    lines.append("|---|---|---|" + "---:|" * (len(columns) + 4))
                lines.append(f"| {table} | {kind} | {name} | {mean_cells(runs)}")
                print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--tables", nargs="+", default=list(TABLES), choices=TABLES)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/missing_refill.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "# Rows missing an entry tied to an observed one (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/missing_refill.py', *sys.argv[1:]])}`",
        "",
        "Share of new normal rows flagged (contamination=0.05), complete and with each "
        "column missing in turn; spiked: the same rows with another numeric column moved "
        "by 4 standard deviations (mean / least over the columns).",
    ]
    summary = []
    for table in args.tables:
        for kind in args.kinds:
            lines += ["", f"## {table}, {kind}", ""]
            header = None
            for seed in args.seeds:
                for variant in args.variants:
                    result = run(variant, table, kind, seed)
                    if header is None:
                        columns = list(result["rates"])
                        header = (
                            "| seed | variant | complete | "
                            + " | ".join(columns)
                            + " | worst | mean abs dev | spiked |"
                        )
                        lines += [header, "|---|---|" + "---:|" * (len(columns) + 4)]
                    lines.append(
                        f"| {seed} | {variant} | {result['complete']:.3f} | "
                        + " | ".join(f"{result['rates'][c]:.3f}" for c in columns)
                        + f" | {result['worst']:.3f} | {result['deviation']:.3f} | "
                        f"{result['spiked'][0]:.3f} / {result['spiked'][1]:.3f} |"
                    )
                    summary.append((table, kind, variant, result))
                    print(lines[-1], flush=True)
    lines += [
        "",
        "## Means over the seeds",
        "",
        "| table | kind | variant | complete | worst | mean abs dev | spiked, mean | least |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for table in args.tables:
        for kind in args.kinds:
            for variant in args.variants:
                results = [r for t, k, v, r in summary if (t, k, v) == (table, kind, variant)]
                lines.append(
                    f"| {table} | {kind} | {variant} | "
                    f"{np.mean([r['complete'] for r in results]):.3f} | "
                    f"{np.mean([r['worst'] for r in results]):.3f} | "
                    f"{np.mean([r['deviation'] for r in results]):.3f} | "
                    f"{np.mean([r['spiked'][0] for r in results]):.3f} | "
                    f"{np.min([r['spiked'][1] for r in results]):.3f} |"
                )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
