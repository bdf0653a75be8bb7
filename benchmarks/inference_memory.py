"""Peak memory of scoring wide rows: ``score_samples`` on 4,096 rows of 20,000
features, after a fit on 60 rows (one thread).

Prints the peak resident memory of the process above what it held before the call
(the rows to score included in "before"). Run it against two versions of the package
to compare them, e.g.::

    git archive <commit> skae | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old python benchmarks/inference_memory.py

Results: ``results/inference_memory.md``.
"""

from __future__ import annotations

import resource
import time
import warnings

import numpy as np
import torch

import skae


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 20_000)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = skae.AutoEncoder(max_epochs=1, hidden_layer_sizes=(64,), random_state=0).fit(X)
    rows = rng.normal(size=(4096, 20_000)).astype(np.float32)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    scores = model.score_samples(rows)
    seconds = time.perf_counter() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    print(f"package {skae.__file__}")
    print(f"score_samples: peak {peak} MB above before, {seconds:.2f} s")
    print(f"mean score {scores.mean():.6f}")


if __name__ == "__main__":
    main()
