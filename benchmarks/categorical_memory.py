"""Memory and time of tables with categorical columns (issue 16): the
one-hot encoding made whole, or a batch of rows at a time.

Three tables, all in one process:

- *scoring*: 100,000 rows of five columns of 255 categories and one number
  (1,276 encoded entries; encoded whole in float64, 1 GB). A model fitted on
  20,000 of them scores all of them with ``score_samples``, ``transform``
  and ``predict`` (the rows encoded a batch at a time), against the same
  passes over the table encoded whole first (what those methods did before).
- *training*: 100,000 rows of three columns of 100 categories and one
  number (301 encoded entries), fitted under scikit-learn's default
  ``working_memory`` (the table encoded whole) and under
  ``working_memory=8`` (trained on a batch of encoded rows at a time); both
  give the same model, which the script checks. The same on a smaller table
  and network, 20,000 rows of three columns of 50 categories and one number
  (``working_memory=1``), where the cost of reading the rows a batch at a
  time weighs most against the network's steps.

Peaks are numpy's allocations traced by ``tracemalloc`` (torch's own are not
traced). One torch thread.

Run: ``python benchmarks/categorical_memory.py`` (about two minutes).
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pandas as pd
import torch
from sklearn import config_context

from skae import AutoEncoder


def _table(n_rows: int, n_columns: int, n_categories: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.RandomState(seed)
    columns = {
        f"c{j}": pd.Categorical(rng.randint(n_categories, size=n_rows)) for j in range(n_columns)
    }
    columns["x"] = rng.normal(size=n_rows)
    return pd.DataFrame(columns)


def _measure(fn) -> tuple[float, float]:
    """Seconds, and the peak MiB of numpy's allocations, of ``fn()``."""
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return seconds, peak / 2**20


def _scoring_rows() -> list[str]:
    frame = _table(100_000, 5, 255)
    model = AutoEncoder(max_epochs=1, batch_size=4096, random_state=0).fit(frame[:20_000])
    model.score_samples(frame[:10])  # lazy imports and caches, not counted

    def whole() -> None:
        encoded = model._check_input(frame)  # within working_memory: encoded whole
        model._apply(encoded, model._scores_scaled, scale_input=True, dtype=np.float64)

    rows = []
    for name, fn in [
        ("score_samples, a batch at a time", lambda: model.score_samples(frame)),
        ("transform, a batch at a time", lambda: model.transform(frame)),
        ("predict, a batch at a time", lambda: model.predict(frame)),
        ("the scores' pass over the table encoded whole", whole),
    ]:
        seconds, peak = _measure(fn)
        rows.append(f"| scoring 100,000 x 1,276 | {name} | {seconds:.2f} | {peak:.0f} |")
    return rows


def _training_rows(n_rows: int, n_columns: int, n_categories: int, memory: float) -> list[str]:
    frame = _table(n_rows, n_columns, n_categories, seed=1)
    size = f"{n_rows:,} x {n_columns * n_categories + 1}"
    AutoEncoder(max_epochs=1, random_state=0).fit(frame[:500])
    rows, offsets = [], []
    for limit, name in [(1024, "encoded whole (default)"), (memory, "a batch at a time")]:
        with config_context(working_memory=limit):
            model = AutoEncoder(max_epochs=3, random_state=0)
            start = time.perf_counter()
            model.fit(frame)
            seconds = time.perf_counter() - start
            offsets.append(model.offset_)
            _, peak = _measure(lambda: AutoEncoder(max_epochs=1, random_state=0).fit(frame))
        rows.append(
            f"| training {size}, working_memory={limit} | {name} | {seconds:.2f} "
            f"(3 epochs) | {peak:.0f} (1 epoch) |"
        )
    if offsets[0] != offsets[1]:
        raise AssertionError(f"the two fits differ: offset_ {offsets}")
    return rows


def main() -> None:
    torch.set_num_threads(1)
    print("| table | what | seconds | peak MiB of numpy arrays |")
    print("|---|---|---:|---:|")
    training = _training_rows(100_000, 3, 100, 8) + _training_rows(20_000, 3, 50, 1)
    for row in _scoring_rows() + training:
        print(row, flush=True)


if __name__ == "__main__":
    main()
