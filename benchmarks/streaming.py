"""Training on more rows than fit in memory, chunk by chunk with ``partial_fit``.

A generator yields 5,000,000 rows x 50 features in chunks of 100,000 (50
chunks; float32, 20 MB each): a 5-dimensional latent signal mapped through a
fixed random non-linear map, plus noise. The whole data set would take 1 GB in
float32 (2 GB in float64); it is never held at once. After each chunk the
script prints the chunk's training loss, the held-out reconstruction error on
a fixed validation chunk, and the peak resident memory of the process so far.

Run: ``python benchmarks/streaming.py`` (a few minutes on one CPU thread;
``--chunks 10`` for a quicker look).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Iterator

import numpy as np
import torch

from skae import AutoEncoder

N_FEATURES = 50
N_LATENT = 5


def make_chunk(rng: np.random.RandomState, n_rows: int, mixing: tuple) -> np.ndarray:
    """Rows of the synthetic data: a non-linear image of a 5-D signal, plus noise."""
    first, second = mixing
    latent = rng.normal(size=(n_rows, N_LATENT)).astype(np.float32)
    hidden = np.tanh(latent @ first)
    return hidden @ second + 0.05 * rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)


def chunks(n_chunks: int, chunk_size: int, mixing: tuple) -> Iterator[np.ndarray]:
    rng = np.random.RandomState(1)
    for _ in range(n_chunks):
        yield make_chunk(rng, chunk_size, mixing)


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50)
    parser.add_argument("--chunk-size", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    mixing_rng = np.random.RandomState(0)
    mixing = (
        mixing_rng.normal(size=(N_LATENT, 32)).astype(np.float32),
        mixing_rng.normal(size=(32, N_FEATURES)).astype(np.float32) / 4,
    )
    validation = make_chunk(np.random.RandomState(2), 10_000, mixing)
    model = AutoEncoder(n_components=N_LATENT, batch_size=256, random_state=0)
    total = args.chunks * args.chunk_size
    print(
        f"{total:,} rows x {N_FEATURES} features in {args.chunks} chunks of "
        f"{args.chunk_size:,}; torch threads {torch.get_num_threads()}; "
        f"peak RSS before training {peak_rss_mb():.0f} MB"
    )
    print("| chunk | rows seen | train loss | held-out MSE | peak RSS MB | s |")
    print("|---|---|---|---|---|---|")
    start = time.perf_counter()
    for i, chunk in enumerate(chunks(args.chunks, args.chunk_size, mixing), start=1):
        model.partial_fit(chunk)
        mse = float(
            np.mean((model.inverse_transform(model.transform(validation)) - validation) ** 2)
        )
        if i == 1 or i % 5 == 0 or i == args.chunks:
            print(
                f"| {i} | {i * args.chunk_size:,} | {model.net_.history[-1, 'train_loss']:.4f} "
                f"| {mse:.4f} | {peak_rss_mb():.0f} | {time.perf_counter() - start:.0f} |",
                flush=True,
            )
    print(f"\nvariance of the held-out data (MSE of predicting the mean): {validation.var():.4f}")


if __name__ == "__main__":
    main()
