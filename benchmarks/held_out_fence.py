"""How stable the fence of ``contamination="auto"`` is where early stopping
holds rows out (thirty-fourth session).

Where ``early_stopping="auto"`` holds a tenth of the rows out (the variational
kind from 200 rows, every kind on tables of 91 columns or more), the fence is
drawn with the held-out rows' scores: 20 to 40 of them on tables of 200 to 400
rows, whose quartiles move with the draw. For each problem and detector, over
``--seeds`` fits (``random_state``), the share of new normal rows that
``predict`` flags (mean, lowest, highest), of the training rows, and of the
anomalies where the problem has some.

Problems: ``gauss300x4`` and ``gauss2000x4`` (standard normal rows, 4
features; new rows from the same law; anomalies: 25 rows at 5 sd along a random
direction), ``gauss300x100`` (100 features from 10 factors plus noise; the
same anomalies), and ``new_rows.py``'s ``sphere0`` (400 x 768) and ``mnist0``
(686 training images of digit 0, needs ``--mnist``).

Run: ``python benchmarks/held_out_fence.py`` (about 5 minutes on one thread);
``--label`` names the code measured in the output table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import new_rows  # noqa: E402

import skae  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def gauss(n_rows: int, n_features: int, seed: int = 0):
    rng = np.random.RandomState(1000 + seed)
    if n_features <= 10:
        draw = lambda n: rng.normal(size=(n, n_features))  # noqa: E731
    else:
        mixing = rng.normal(size=(10, n_features))
        draw = lambda n: rng.normal(size=(n, 10)) @ mixing + rng.normal(size=(n, n_features))  # noqa: E731
    train, new = draw(n_rows), draw(2000)
    direction = rng.normal(size=n_features)
    direction /= np.linalg.norm(direction)
    spread = np.sqrt((train.var(axis=0) * direction**2).sum())
    anomalies = draw(25) + 5 * spread * direction
    return train, new, anomalies


PROBLEMS = {
    "gauss300x4": lambda folder: gauss(300, 4),
    "gauss2000x4": lambda folder: gauss(2000, 4),
    "gauss300x100": lambda folder: gauss(300, 100),
    "sphere0": lambda folder: new_rows.sphere(0)[:3],
    "mnist0": lambda folder: new_rows.mnist(folder, 0)[:3],
}

DETECTORS = {
    "VariationalAutoEncoder": skae.VariationalAutoEncoder,
    "AutoEncoder": skae.AutoEncoder,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--detectors", nargs="+", default=list(DETECTORS))
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--mnist", type=Path, default=REPO / ".." / "shared" / "data" / "mnist")
    parser.add_argument("--label", default="this code")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        "| code | problem | detector | new normal flagged: mean (lowest, highest) "
        "| training rows flagged | anomalies flagged |"
    )
    print("|---|---|---|---|---:|---:|")
    for name in args.problems:
        train, new, anomalies = PROBLEMS[name](args.mnist)
        for detector in args.detectors:
            rates, trained, caught = [], [], []
            for seed in range(args.seeds):
                model = DETECTORS[detector](random_state=seed).fit(train)
                rates.append(np.mean(model.predict(new) == -1))
                trained.append(np.mean(model.predict(train) == -1))
                caught.append(np.mean(model.predict(anomalies) == -1))
            rates = np.array(rates)
            print(
                f"| {args.label} | {name} | {detector} | {rates.mean():.3f} ({rates.min():.3f}, "
                f"{rates.max():.3f}) | {np.mean(trained):.3f} | {np.mean(caught):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
