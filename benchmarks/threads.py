"""Training threads: when does a second thread speed up a fit? (issue 19)

For a few table shapes (random rank-8 data plus noise; the default
``AutoEncoder`` builds the network it builds for that many features), times a
``max_epochs``-epoch fit with one torch thread, with two threads and the
training-thread rule of ``skae._threads`` (steps under
``PARALLEL_STEP_MACS`` multiply-adds train on one thread), and with two threads
and the rule switched off. Best of ``--repeats`` runs, in one process, the
three settings interleaved. The fits include the post-training pass (the
detector's offset and the code density), which uses every thread.

Run: ``python benchmarks/threads.py`` (about 4 minutes on two cores).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import sklearn
import torch

import skae
import skae._threads as threads
from skae import AutoEncoder

SHAPES = ((100_000, 10), (100_000, 50), (60_000, 100), (50_000, 150), (50_000, 200), (20_000, 784))


def table(n_rows: int, n_features: int) -> np.ndarray:
    rng = np.random.RandomState(0)
    signal = rng.standard_normal((n_rows, 8)) @ rng.standard_normal((8, n_features))
    return (signal + 0.1 * rng.standard_normal((n_rows, n_features))).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rule = threads.PARALLEL_STEP_MACS
    settings = {"1 thread": (1, rule), "2 threads": (2, rule), "2 threads, no rule": (2, 0)}
    print(f"torch {torch.__version__}, skae {skae.__version__}, scikit-learn {sklearn.__version__}")
    print(f"{platform.processor() or platform.machine()}, {args.epochs} epochs, batch 64\n")
    header = "| rows x features | network | multiply-adds per step | " + " | ".join(settings)
    print(header + " | 2 threads / 1 thread | without the rule |")
    print("|---|---|---:|" + "---:|" * (len(settings) + 2))
    for n_rows, n_features in SHAPES:
        X = table(n_rows, n_features)
        seconds: dict[str, float] = {}
        for _ in range(args.repeats):
            for label, (n_threads, macs) in settings.items():
                torch.set_num_threads(n_threads)
                threads.PARALLEL_STEP_MACS = macs
                model = AutoEncoder(max_epochs=args.epochs, random_state=0)
                tic = time.perf_counter()
                model.fit(X)
                elapsed = time.perf_counter() - tic
                seconds[label] = min(seconds.get(label, np.inf), elapsed)
        threads.PARALLEL_STEP_MACS = rule
        work = threads.step_multiply_adds(model.net_.module_, model.batch_size)
        network = "-".join(map(str, (n_features, *model.hidden_layer_sizes_)))
        cells = " | ".join(f"{seconds[label]:.2f} s" for label in settings)
        one, two, off = seconds["1 thread"], seconds["2 threads"], seconds["2 threads, no rule"]
        print(
            f"| {n_rows:,} x {n_features} | {network} | {work:,} | {cells} | "
            f"{one / two:.2f}x | {one / off:.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
