"""Categorical columns, natively or one-hot encoded outside (issue 16).

Three kinds of anomaly that only categories make, planted in two mixed tables:

rare
    a row whose categorical column (``channel`` / ``island``) holds a level
    that only the anomalies have, the rest of the row a copy of a normal row;
combination
    a pair of categories never seen together in the normal rows (a region
    with a product it never sells; a penguin species on an island it does
    not live on), the numbers those of a normal row of the same product or
    species (and the region's volume that of a row of the new region), so
    that every column alone, and every number with its own category, looks
    normal;
mismatch
    a number that does not fit its row's categories (the price of another
    product; the body mass and flipper length of another species).

Tables:

synthetic
    3,000 normal rows: ``region`` (4 levels), ``product`` (6 levels, each
    region selling two, and rarely a third), ``channel`` (3 levels), a
    ``price`` set by the product, a ``volume`` set by the region, a
    ``discount`` correlated with the price, and noise.
penguins
    the ``palmerpenguins`` table (344 rows: species, island and sex are
    strings, four measurements and the year numbers; 2 to 11 missing
    entries per column), as the package ships it. Installed by the ``bench``
    extra.

The anomalies are 3% of the rows (at least 5), planted in the whole table;
then a stratified 70/30 split per seed (0-4), fitted on the training part
with its anomalies (unsupervised), ROC-AUC and average precision on the test
part. Detectors:

``skae (native)``
    ``AutoEncoder(random_state=seed)`` on the DataFrame as it is: the string
    and category columns are categorical (``categorical_features="from_dtype"``);
``one-hot + IsolationForest``
    ``OneHotEncoder(handle_unknown="ignore")`` on the categorical columns and
    ``StandardScaler`` on the others, then ``IsolationForest``;
``one-hot + skae``
    the same encoding, then ``AutoEncoder(categorical_features=None)``: skae
    on numbers only.

The goal (issue 16): native at least as good as both on every kind.

Run: ``python benchmarks/categorical.py`` (about 3 minutes on one thread).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from skae import AutoEncoder

REPO = Path(__file__).resolve().parents[1]
KINDS = ("rare", "combination", "mismatch")
FRACTION = 0.03


def synthetic(seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rng = np.random.RandomState(seed)
    n = 3000
    region = rng.randint(4, size=n)
    # Each region sells products 2r and 2r + 1 (mod 6), and 5% of the time a third.
    product = (2 * region + rng.randint(2, size=n)) % 6
    third = rng.rand(n) < 0.05
    product[third] = (2 * region[third] + 2) % 6
    price = np.array([5.0, 12.0, 20.0, 35.0, 50.0, 80.0])[product] * rng.lognormal(0, 0.1, n)
    table = pd.DataFrame(
        {
            "region": pd.Categorical(np.array(["north", "south", "east", "west"])[region]),
            "product": pd.Categorical(np.array(list("ABCDEF"))[product]),
            "channel": pd.Categorical(rng.choice(["shop", "web", "phone"], n, p=[0.5, 0.4, 0.1])),
            "price": price,
            "volume": np.array([100.0, 300.0, 150.0, 500.0])[region] * rng.lognormal(0, 0.2, n),
            "discount": 0.2 * np.log(price) + rng.normal(0, 0.05, n),
            "noise": rng.normal(size=n),
        }
    )
    roles = {
        "rare": ("channel", "fax"),
        "combination": ("region", "product", ["volume"]),
        "mismatch": ("product", ["price", "discount"]),
    }
    return table, roles


def penguins() -> tuple[pd.DataFrame, dict] | None:
    try:
        from palmerpenguins import load_penguins
    except ImportError:
        return None
    roles = {
        "rare": ("island", "Anvers"),
        "combination": ("island", "species", []),
        "mismatch": ("species", ["body_mass_g", "flipper_length_mm"]),
    }
    return load_penguins(), roles


def plant(
    table: pd.DataFrame, roles: dict, kind: str, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """``table`` with anomalies of ``kind`` appended, and the labels."""
    rng = np.random.RandomState(1000 + seed)
    categorical = _categorical(table)
    base = table.astype({c: object for c in categorical})
    n_anomalies = max(5, int(round(FRACTION * len(table))))
    rows = base.iloc[rng.randint(len(base), size=n_anomalies)].copy()
    if kind == "rare":
        column, level = roles["rare"]
        rows[column] = level
    elif kind == "combination":
        group, member, follow_group = roles["combination"]
        seen = set(zip(base[group], base[member], strict=True))
        groups = base[group].dropna().unique()
        for i in range(n_anomalies):
            # A member (product, species) with the numbers of one of its own
            # rows, put in a group (region, island) that never has it.
            while True:
                source = base.iloc[rng.randint(len(base))]
                options = [g for g in groups if (g, source[member]) not in seen]
                if options and pd.notna(source[member]):
                    break
            rows.iloc[i] = source
            chosen = options[rng.randint(len(options))]
            rows.iloc[i, base.columns.get_loc(group)] = chosen
            # Numbers that the group sets come from a row of the new group.
            peers = base[base[group] == chosen]
            peer = peers.iloc[rng.randint(len(peers))]
            for name in follow_group:
                rows.iloc[i, base.columns.get_loc(name)] = peer[name]
    else:
        column, numbers = roles["mismatch"]
        for i in range(n_anomalies):
            # The numbers of a row of another category.
            mine = rows.iloc[i][column]
            others = base[(base[column] != mine) & base[column].notna()]
            donor = others.iloc[rng.randint(len(others))]
            for name in numbers:
                rows.iloc[i, base.columns.get_loc(name)] = donor[name]
    data = pd.concat([base, rows], ignore_index=True)
    data[categorical] = data[categorical].astype("category")
    labels = np.r_[np.zeros(len(base)), np.ones(n_anomalies)]
    return data, labels


def _categorical(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    ]


def _encoder(frame: pd.DataFrame) -> ColumnTransformer:
    categorical = _categorical(frame)
    numeric = [c for c in frame.columns if c not in categorical]
    return ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            ),
            ("numbers", StandardScaler(), numeric),
        ]
    )


def detectors(
    frame: pd.DataFrame,
    seed: int,
    codes: tuple[int, ...] = (),
    losses: tuple[str, ...] = (),
    batch_sizes: tuple[int, ...] = (),
) -> dict:
    more = {
        f"skae (native, {k} codes)": AutoEncoder(n_components=k, random_state=seed) for k in codes
    }
    more.update(
        {
            f"skae (native, loss={loss})": AutoEncoder(loss=loss, random_state=seed)
            for loss in losses
        }
    )
    # lr="auto" follows the batch (1e-3 * sqrt(batch_size / 64)).
    more.update(
        {
            f"skae (native, batch_size={size})": AutoEncoder(batch_size=size, random_state=seed)
            for size in batch_sizes
        }
    )
    return {
        **more,
        "skae (native)": AutoEncoder(random_state=seed),
        "one-hot + IsolationForest": make_pipeline(
            _encoder(frame), IsolationForest(random_state=seed)
        ),
        "one-hot + skae": make_pipeline(
            _encoder(frame), AutoEncoder(random_state=seed, categorical_features=None)
        ),
    }


def run(
    tables: dict,
    seeds: list[int],
    codes: tuple[int, ...] = (),
    losses: tuple[str, ...] = (),
    batch_sizes: tuple[int, ...] = (),
) -> pd.DataFrame:
    rows = []
    for name, (table, roles) in tables.items():
        for kind in KINDS:
            for seed in seeds:
                data, labels = plant(table, roles, kind, seed)
                X_train, X_test, _, y_test = train_test_split(
                    data, labels, test_size=0.3, stratify=labels, random_state=seed
                )
                for detector, model in detectors(data, seed, codes, losses, batch_sizes).items():
                    start = time.perf_counter()
                    model.fit(X_train)
                    seconds = time.perf_counter() - start
                    scores = -model.score_samples(X_test)
                    rows.append(
                        {
                            "table": name,
                            "kind": kind,
                            "seed": seed,
                            "detector": detector,
                            "roc_auc": roc_auc_score(y_test, scores),
                            "average_precision": average_precision_score(y_test, scores),
                            "fit_seconds": seconds,
                        }
                    )
                    print(
                        f"{name} {kind} {seed} {detector}: {rows[-1]['roc_auc']:.3f}",
                        file=sys.stderr,
                        flush=True,
                    )
    return pd.DataFrame(rows)


def report(results: pd.DataFrame) -> str:
    lines = []
    for metric, label in [("roc_auc", "ROC-AUC"), ("average_precision", "average precision")]:
        table = results.pivot_table(
            index=["table", "detector"], columns="kind", values=metric, aggfunc="mean"
        )[list(KINDS)]
        lines += [
            f"## Mean {label} over the seeds",
            "",
            "| table | detector | " + " | ".join(KINDS) + " |",
        ]
        lines.append("|---|---|" + "---:|" * len(KINDS))
        for (name, detector), row in table.iterrows():
            cells = " | ".join(f"{v:.3f}" for v in row)
            lines.append(f"| {name} | {detector} | {cells} |")
        lines.append("")
    fit = results.groupby(["table", "detector"])["fit_seconds"].sum()
    lines += [
        "## Fit seconds (sum over kinds and seeds)",
        "",
        "| table | detector | s |",
        "|---|---|---:|",
    ]
    lines += [f"| {t} | {d} | {s:.1f} |" for (t, d), s in fit.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/categorical.md")
    parser.add_argument(
        "--codes",
        nargs="+",
        type=int,
        default=[],
        help="also run the native detector with these n_components (an ablation)",
    )
    parser.add_argument(
        "--batch-sizes",
        nargs="+",
        type=int,
        default=[],
        help="also run the native detector with these batch sizes, lr='auto' (an ablation)",
    )
    parser.add_argument(
        "--losses",
        nargs="+",
        default=[],
        help="also run the native detector with these losses (an ablation)",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    threadpool_limits(1)
    tables = {"synthetic": synthetic()}
    real = penguins()
    if real is None:
        print("palmerpenguins is not installed: the penguins table is skipped", file=sys.stderr)
    else:
        tables["penguins"] = real
    results = run(
        tables, args.seeds, tuple(args.codes), tuple(args.losses), tuple(args.batch_sizes)
    )
    results.to_csv(args.out.with_suffix(".csv"), index=False)
    header = [
        "# Categorical columns: native against one-hot encoded outside (issue 16)",
        "",
        "command: `python benchmarks/categorical.py --seeds "
        + " ".join(map(str, args.seeds))
        + (" --codes " + " ".join(map(str, args.codes)) if args.codes else "")
        + (" --losses " + " ".join(args.losses) if args.losses else "")
        + (" --batch-sizes " + " ".join(map(str, args.batch_sizes)) if args.batch_sizes else "")
        + "`",
        "",
        f"torch {torch.__version__}, one thread",
        "",
    ]
    args.out.write_text("\n".join(header) + report(results))
    print(report(results))


if __name__ == "__main__":
    main()
