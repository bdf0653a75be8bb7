"""Peak memory of ``fit`` and ``partial_fit`` on a float32 table, as the
operating system sees it (issue 6: fit copies the data at most once).

The test suite's bound (``tests/test_memory.py``) uses ``tracemalloc``, which
sees numpy's allocations only; torch's buffers are invisible to it. This script
samples the process's resident memory (``/proc/self/statm``, Linux) every
millisecond in a thread while one call runs, and prints the peak rise over the
level before the call, in units of the size of X. A first fit on 1,000 rows
loads the libraries and their caches first, so they are not counted.

Thirty-sixth session, 800,000 x 50 float32 rows (153 MiB), this script on the
code before the training errors were kept only within a share of
``working_memory`` (commit 6b7a85e, first on ``PYTHONPATH``) and after it, with
a test suite running beside it: ``fit`` 2.51 -> 1.54 times X, ``partial_fit``
2.43 -> 1.45. (The probe that found it measured 2.48 -> 1.49 and 2.34-2.46 ->
1.28 on a quieter machine, and, with ``scaling="none"``, no scaled copy, 0.37
at 400,000 rows: the fixed overhead.)

Run: ``OMP_NUM_THREADS=1 python benchmarks/fit_memory.py --rows 800000
[--scaling feature] [--method fit|partial_fit] [--working-memory 1024]``.
"""

from __future__ import annotations

import argparse
import threading
import time
import warnings

import numpy as np
import sklearn
import torch

from skae import AutoEncoder


def resident_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=800_000)
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--scaling", default="feature")
    parser.add_argument("--method", choices=["fit", "partial_fit"], default="fit")
    parser.add_argument("--working-memory", type=int, default=1024, help="MiB")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    rng = np.random.RandomState(0)
    X = np.empty((args.rows, args.features), dtype=np.float32)
    for start in range(0, args.rows, 50_000):
        stop = min(start + 50_000, args.rows)
        X[start:stop] = rng.standard_normal((stop - start, args.features))
    model = AutoEncoder(
        hidden_layer_sizes=(8,),
        max_epochs=1,
        batch_size=4096,
        early_stopping=False,
        scaling=args.scaling,
        random_state=0,
    )
    model.fit(X[:1000])
    if args.method == "partial_fit":
        model.fit(X)
    base, peak, done = resident_mib(), [0.0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], resident_mib() - base)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with sklearn.config_context(working_memory=args.working_memory):
        getattr(model, args.method)(X)
    time.sleep(0.01)
    done.set()
    watcher.join()
    size = X.nbytes / 2**20
    print(
        f"{args.rows} x {args.features} float32 ({size:.0f} MiB), scaling={args.scaling}, "
        f"{args.method}: peak rise {peak[0]:.0f} MiB = {peak[0] / size:.2f} x X"
    )


if __name__ == "__main__":
    main()
