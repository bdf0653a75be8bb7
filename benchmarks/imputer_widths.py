"""Imputer widths (issue 16): the default ``AutoEncoderImputer`` against the
same estimator with its hidden layers sized from ``n_features`` alone
("narrow": the detector's widths, without the rule that widens the layers for
many codes), and ``KNNImputer``, on every ADBench set with 10% and 30% of the
entries removed (the protocol and the data of ``missing.py``: ``--data``,
default ``$SKAE_ADBENCH`` else ``../shared/data/adbench``).

Run: ``python benchmarks/imputer_widths.py [--jobs 2]`` (about 10 minutes on
two cores); prints the RMSE per set and rate, the means, and the seconds.
"""

from __future__ import annotations

import argparse
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
from skae._sizing import auto_hidden_layer_sizes  # noqa: E402


def imputers(n_features: int, ablation: bool = False) -> dict:
    narrow = DenoisingAutoEncoder(
        noise="mask",
        n_components=max(2, n_features // 2),
        max_epochs=100,
        hidden_layer_sizes=auto_hidden_layer_sizes(n_features),
        random_state=0,
    )
    return {
        "default": AutoEncoderImputer(random_state=0),
        "narrow": AutoEncoderImputer(narrow),
        "KNNImputer": KNNImputer(),
    }


def run(name: str, path: Path, rate: float) -> list[dict]:
    torch.set_num_threads(1)
    X, y = load(path)
    train, test, _, _ = split(X, y, 0)
    return imputation_rows(name, rate, train, test, False, make=imputers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    jobs = [(n, p, r) for n, p in find_datasets(args.data, None).items() for r in RATES]
    results = Parallel(n_jobs=args.jobs)(delayed(run)(*job) for job in jobs)
    frame = pd.DataFrame([row for rows in results for row in rows])
    table = frame.pivot_table(index=["rate", "dataset"], columns="method", values="value")
    print(table.round(3).to_markdown())
    print(table.groupby(level=0).mean().round(3).to_markdown())
    print(frame.groupby("method").seconds.sum().round(1).to_markdown())


if __name__ == "__main__":
    main()
