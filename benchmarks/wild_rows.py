"""How hard a few wild training rows pull the network: Huber against squared error.

The user guide's choosing page says that under the squared error a few wild
training rows bend the network toward them, and that the Huber loss (the
default of ``AutoEncoder``) is pulled less. This script measures it on the
table of ``tests/test_autoencoder.py``'s Huber test, over several draws: 400
normal rows of 6 features made from 2 factors, plus 8 copies of normal rows
with three values moved 10 standard deviations; 400 new normal rows of the
same draw are reconstructed by ``AutoEncoder(loss="squared_error")`` and by the
default, and the ratio of their mean squared errors is printed per data draw
and per ``random_state`` (above 1: the squared error reconstructs new normal
rows worse), with the median, the range and how many ratios are above 1.

Run: ``python benchmarks/wild_rows.py [--draws 0 1 2 3] [--seeds 0 1 2]``
(under a minute on one thread).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from skae import AutoEncoder


def table(draw: int) -> tuple[np.ndarray, np.ndarray]:
    """Training rows (400 normal, 8 wild last) and 400 new normal rows."""
    rng = np.random.RandomState(draw)
    weights = rng.normal(size=(2, 6))
    normal = rng.normal(size=(400, 2)) @ weights + 0.1 * rng.normal(size=(400, 6))
    wild = normal[:8].copy()
    wild[:, :3] += 10 * normal.std(axis=0)[:3] * rng.choice([-1, 1], size=(8, 3))
    new = rng.normal(size=(400, 2)) @ weights + 0.1 * rng.normal(size=(400, 6))
    return np.vstack([normal, wild]), new


def held_out_mse(model: AutoEncoder, X: np.ndarray) -> float:
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(1)
    print("| data draw | random_state | squared error's MSE | Huber's MSE | ratio |")
    print("|---|---|---|---|---|")
    ratios = []
    for draw in args.draws:
        X, new = table(draw)
        for seed in args.seeds:
            squared = held_out_mse(AutoEncoder(loss="squared_error", random_state=seed).fit(X), new)
            huber = held_out_mse(AutoEncoder(random_state=seed).fit(X), new)
            ratios.append(squared / huber)
            print(f"| {draw} | {seed} | {squared:.4g} | {huber:.4g} | {ratios[-1]:.2f} |")
    ratios = np.array(ratios)
    print(
        f"\nmedian ratio {np.median(ratios):.2f}, range {ratios.min():.2f} to "
        f"{ratios.max():.2f}, above 1 in {(ratios > 1).sum()} of {len(ratios)}"
    )


if __name__ == "__main__":
    main()
