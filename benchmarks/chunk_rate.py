"""The learning rate of small ``partial_fit`` chunks (``lr="auto"``).

A ``partial_fit`` chunk is one pass: one optimiser step for a chunk smaller
than a batch. ``lr="auto"`` gives such a chunk the rate of its own rows,
``1e-3 * sqrt(rows / 64)``; before, it was the rate of 64 rows whatever the
chunk. On ``load_digits`` / 16 (shuffled with seed 0), ``AutoEncoder(n_components=8,
random_state=0)``, held-out mean squared error of the reconstructions:

- *stationary*: fitted on 1,000 rows, then given 400 more in chunks of 1, 8 or
  64 rows, error on the last 397 rows (a stream that should change little);
- *drift*: fitted on the digits 0-4, then given 600 rows of the digits 5-9 in
  chunks of 1 or 8, error on the other digits 5-9 after 200, 400 and 600 rows
  (a stream the model must follow);
- *fresh*: no fit, 600 rows in 75 chunks of 8, error after the stream over the
  error after the first chunk (learning from a stream alone).

The rate of 64 rows is ``lr=1e-3`` set on the model after the fit (and on the
fresh model), the rows' rate ``lr="auto"``. Run: ``python
benchmarks/chunk_rate.py`` (about a minute).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits

from skae import AutoEncoder


def _error(model: AutoEncoder, X: np.ndarray) -> float:
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def main() -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    order = np.random.RandomState(0).permutation(len(X))
    X, y = X[order] / 16.0, y[order]
    rates = {"rate of 64 rows (lr=1e-3)": 1e-3, 'rows\' rate (lr="auto")': "auto"}

    print("## Stationary: fit on 1,000 rows, 400 more in chunks\n")
    train, stream, test = X[:1000], X[1000:1400], X[1400:]
    print("| rate | after fit | chunks of 1 | chunks of 8 | chunks of 64 |")
    print("|---|---:|---:|---:|---:|")
    for name, lr in rates.items():
        cells = []
        for size in (1, 8, 64):
            model = AutoEncoder(n_components=8, random_state=0).fit(train)
            before = _error(model, test)
            model.set_params(lr=lr)
            for start in range(0, len(stream), size):
                model.partial_fit(stream[start : start + size])
            cells.append(f"{_error(model, test):.4f}")
        print(f"| {name} | {before:.4f} | " + " | ".join(cells) + " |")

    print("\n## Drift: fit on the digits 0-4, 600 rows of 5-9 in chunks\n")
    old, new = X[y < 5], X[y >= 5]
    stream, test = new[:600], new[600:]
    print("| rate | chunk | after fit | after 200 | after 400 | after 600 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, lr in rates.items():
        for size in (1, 8):
            model = AutoEncoder(n_components=8, random_state=0).fit(old)
            cells = [f"{_error(model, test):.4f}"]
            model.set_params(lr=lr)
            for start in range(0, len(stream), size):
                model.partial_fit(stream[start : start + size])
                if (start + size) % 200 == 0:
                    cells.append(f"{_error(model, test):.4f}")
            print(f"| {name} | {size} | " + " | ".join(cells) + " |")

    print("\n## Fresh: 600 rows in 75 chunks of 8, no fit\n")
    print("| rate | error after the first chunk | after the stream | ratio |")
    print("|---|---:|---:|---:|")
    test = X[1400:]
    for name, lr in rates.items():
        start = AutoEncoder(n_components=8, lr=lr, random_state=0).partial_fit(X[:8])
        model = AutoEncoder(n_components=8, lr=lr, random_state=0)
        for chunk in np.array_split(X[:600], 75):
            model.partial_fit(chunk)
        first, last = _error(start, test), _error(model, test)
        print(f"| {name} | {first:.4f} | {last:.4f} | {last / first:.3f} |")


if __name__ == "__main__":
    main()
