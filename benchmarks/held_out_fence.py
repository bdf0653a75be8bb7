"""How stable the fence of ``contamination="auto"`` is where early stopping
holds rows out (thirty-fourth session).

Where ``early_stopping="auto"`` holds a tenth of the rows out (the variational
kind from 200 rows, every kind on tables of 91 columns or more), the fence is
drawn with the held-out rows' scores: 20 to 40 of them on tables of 200 to 400
rows, whose quartiles move with the draw. For each problem and detector, over
``--seeds`` fits (``random_state``), the share of new normal rows that
``predict`` flags (mean, lowest, highest), of the training rows, of the
anomalies where the problem has some, and the share of new normal rows that
Tukey's fence drawn on the new rows' own scores flags (mean over the seeds: the
rule's rate with every new row to draw it on).

Problems: ``gauss300x4`` and ``gauss2000x4`` (standard normal rows, 4
features; new rows from the same law; anomalies: 25 rows at 5 sd along a random
direction), ``gauss300x100`` (100 features from 10 factors plus noise; the
same anomalies), ``lowrank400x768`` (768 features from 20 factors plus noise,
400 rows: a probe's table, thirty-eighth session; the same anomalies), and
``new_rows.py``'s ``sphere0`` (400 x 768) and ``mnist0``
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


def gauss(n_rows: int, n_features: int, seed: int = 0, n_factors: int = 10):
    rng = np.random.RandomState(1000 + seed)
    if n_features <= n_factors:
        draw = lambda n: rng.normal(size=(n, n_features))  # noqa: E731
    else:
        mixing = rng.normal(size=(n_factors, n_features))
        draw = lambda n: (  # noqa: E731
            rng.normal(size=(n, n_factors)) @ mixing + rng.normal(size=(n, n_features))
        )
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
    "lowrank400x768": lambda folder: gauss(400, 768, n_factors=20),
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
        "| training rows flagged | anomalies flagged | flagged by the new rows' own fence |"
    )
    print("|---|---|---|---|---:|---:|---:|")
    for name in args.problems:
        train, new, anomalies = PROBLEMS[name](args.mnist)
        for detector in args.detectors:
            rates, trained, caught, own = [], [], [], []
            for seed in range(args.seeds):
                model = DETECTORS[detector](random_state=seed).fit(train)
                rates.append(np.mean(model.predict(new) == -1))
                # Tukey's fence drawn on the new rows' own scores: what the
                # rule would flag with every new row to draw it on.
                scores = model.score_samples(new)
                q1, q3 = np.percentile(scores, [25.0, 75.0])
                own.append(np.mean(scores < q1 - 1.5 * (q3 - q1)))
                trained.append(np.mean(model.predict(train) == -1))
                caught.append(np.mean(model.predict(anomalies) == -1))
            rates = np.array(rates)
            print(
                f"| {args.label} | {name} | {detector} | {rates.mean():.3f} ({rates.min():.3f}, "
                f"{rates.max():.3f}) | {np.mean(trained):.3f} | {np.mean(caught):.3f} "
                f"| {np.mean(own):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
