"""Host and device memory of one fit on a large random table.

Fits ``AutoEncoder`` (defaults, except ``--epochs`` and ``--device``) on
``--rows`` x 50 float32 rows drawn at random, and prints one table row: fit
seconds, the process's peak resident memory above what it held once the data
existed, the device's peak allocation (CUDA only), and both as multiples of
the data's own size. Run it once per size, each in a fresh process (the peak
resident memory is the process's), to see whether anything grows with the
rows: ``python benchmarks/device_memory.py --rows 100000 --device cuda``, then
``--rows 1000000``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import torch

from skae import AutoEncoder

N_FEATURES = 50


def peak_rss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--header", action="store_true", help="print the table's header first")
    args = parser.parse_args()

    X = np.random.RandomState(0).standard_normal((args.rows, N_FEATURES)).astype(np.float32)
    data = X.nbytes
    model = AutoEncoder(max_epochs=args.epochs, device=args.device, random_state=0)
    # Warm the device up on a few rows, so its libraries are loaded before the baseline.
    AutoEncoder(max_epochs=1, device=args.device, random_state=0).fit(X[:1000])
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    baseline = peak_rss_bytes()
    start = time.perf_counter()
    model.fit(X)
    scores = model.score_samples(X)
    seconds = time.perf_counter() - start
    host = peak_rss_bytes() - baseline
    device = torch.cuda.max_memory_allocated() if args.device.startswith("cuda") else 0
    assert np.all(np.isfinite(scores))
    if args.header:
        print(
            "| rows | epochs | data MB | fit + score_samples s | host peak above baseline MB "
            "(x data) | device peak MB (x data) |"
        )
        print("|---|---|---|---|---|---|")
    mb = 2**20
    print(
        f"| {args.rows:,} | {args.epochs} | {data / mb:.0f} | {seconds:.1f} | "
        f"{host / mb:.0f} ({host / data:.2f}) | {device / mb:.0f} ({device / data:.2f}) |",
        flush=True,
    )


if __name__ == "__main__":
    main()
