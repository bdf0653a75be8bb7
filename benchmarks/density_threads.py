"""The code density's threads: one or every thread for the mixture fit? (issue 19)

After the epochs, a fit (and every ``partial_fit``) fits the Gaussian mixture
that :meth:`sample` draws from (``skae._latent_density.fit_code_density``: BIC
over 1, 2, 4 and 10 components, EM from a k-means start) on at most 10,000
codes of a few dimensions. Each operation works on a few thousand numbers,
and its threads meet at a barrier per operation: times the fit with one torch
thread and with every thread, on an idle machine and with a competing
process busy on one core (``--load``), as when another fit or a test runs
beside it. Best of ``--repeats`` runs, the settings interleaved.

Run: ``python benchmarks/density_threads.py`` and again with ``--load``
(about a minute each on two cores).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import time

import torch

import skae
import skae._latent_density as latent_density
from skae._latent_density import fit_code_density

SHAPES = ((256, 2), (2_000, 2), (10_000, 2), (10_000, 4), (2_000, 16))


def _spin(stop) -> None:
    """Keep one core busy until ``stop`` is set."""
    while not stop.is_set():
        sum(range(10_000))


@contextlib.contextmanager
def _threads_as_set(device, small=True):
    """In place of skae's one-thread rule: the fit runs on the threads set."""
    yield


def _time(codes: torch.Tensor, threads: int, repeats: int) -> float:
    torch.set_num_threads(threads)
    best = float("inf")
    for seed in range(repeats):
        start = time.perf_counter()
        fit_code_density(codes, seed)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--load", action="store_true", help="a process busy on one core")
    args = parser.parse_args()
    every = os.cpu_count() or 1
    stop = multiprocessing.Event()
    spinner = None
    # Measure the fit itself on each thread count, not the rule that fixes it.
    latent_density.one_thread = _threads_as_set
    if args.load:
        spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
        spinner.start()
    print(f"torch {torch.__version__}, skae {skae.__version__}, {platform.machine()}")
    print(f"{every} cores; {'one core busy with another process' if args.load else 'idle'}\n")
    print(f"| codes x dimensions | 1 thread, ms | {every} threads, ms | ratio |")
    print("|---|---:|---:|---:|")
    try:
        for rows, dims in SHAPES:
            codes = torch.randn(rows, dims, generator=torch.Generator().manual_seed(0))
            one = many = float("inf")
            for _ in range(args.repeats):
                one = min(one, _time(codes, 1, 1))
                many = min(many, _time(codes, every, 1))
            print(f"| {rows:,} x {dims} | {1e3 * one:.0f} | {1e3 * many:.0f} | {many / one:.2f} |")
    finally:
        stop.set()
        if spinner is not None:
            spinner.join()


if __name__ == "__main__":
    main()
