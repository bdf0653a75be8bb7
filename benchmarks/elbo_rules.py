"""How far the ELBO's fixed draws put the variational kind's score from its
expectation, per number of codes (the rule of ``skae._variational._elbo_draws``).

One model per (data, epochs, codes) on sklearn's digits (first 1,200 rows to
fit, the rest held out; pixels / 16, or binarised with the Bernoulli decoder);
its held-out mean bound with each rule of draws, minus that of 20,000 centred
standard normal draws (the Monte-Carlo reference). Rules: the 8 points that
``score_samples`` takes (``4 axes``), the 2k cubature points on every axis
that ``score`` takes (``every axis``), 4k points on two rotations, and 32 or
64 random draws matched to mean 0 and covariance I.

    python benchmarks/elbo_rules.py
"""

from __future__ import annotations

import argparse
import math

import numpy as np
import torch
from sklearn.datasets import load_digits

import skae._variational as variational
from skae import VariationalAutoEncoder


def axes(k: int, n_axes: int) -> torch.Tensor:
    """+-sqrt(k) times n_axes orthonormal directions (whole rotations, then part of one)."""
    generator = torch.Generator().manual_seed(0)
    blocks, total = [], 0
    while total < n_axes:
        q, r = torch.linalg.qr(torch.randn(k, k, generator=generator, dtype=torch.float64))
        block = (q * torch.sign(torch.diagonal(r))).T[: min(k, n_axes - total)]
        blocks.append(math.sqrt(k) * block)
        total += len(block)
    points = torch.cat(blocks)
    return torch.cat([points, -points]).reshape(-1, 1, k).float()


def matched(k: int, n: int) -> torch.Tensor:
    """n antithetic normal draws whitened to covariance I."""
    half = torch.randn(n // 2, k, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    draws = torch.cat([half, -half])
    factor = torch.linalg.cholesky(draws.T @ draws / len(draws))
    draws = torch.linalg.solve_triangular(factor, draws.T, upper=False).T
    return draws.reshape(-1, 1, k).float()


def mean_bound(model: VariationalAutoEncoder, X: np.ndarray, eps: torch.Tensor) -> float:
    original = variational._elbo_draws
    variational._elbo_draws = lambda *args: eps
    try:
        return float(model.score_samples(X).mean())
    finally:
        variational._elbo_draws = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[8, 60])
    parser.add_argument("--codes", type=int, nargs="+", default=[4, 6, 8, 16])
    args = parser.parse_args()
    torch.set_num_threads(1)
    pixels = load_digits().data / 16
    print(
        "| data | epochs | codes | Monte-Carlo bound | 4 axes (8) | every axis (2k) |"
        " two rotations (4k) | matched 32 | matched 64 | score - Monte-Carlo |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for data in ("binarised", "pixels / 16"):
        X = (pixels > 0.5).astype(float) if data == "binarised" else pixels
        train, test = X[:1200], X[1200:]
        loss = "binary_crossentropy" if data == "binarised" else "squared_error"
        for epochs in args.epochs:
            for k in args.codes:
                model = VariationalAutoEncoder(
                    n_components=k, loss=loss, max_epochs=epochs, random_state=0
                ).fit(train)
                draws = torch.randn(20_000, 1, k, generator=torch.Generator().manual_seed(1))
                reference = mean_bound(model, test, draws - draws.mean(dim=0))
                rules = [
                    variational._elbo_draws(k),
                    axes(k, k),
                    axes(k, 2 * k),
                    matched(k, 32),
                    matched(k, 64),
                ]
                gaps = [mean_bound(model, test, eps) - reference for eps in rules]
                score = model.score(test) - reference
                cells = " | ".join(f"{gap:+.3f}" for gap in [*gaps, score])
                print(f"| {data} | {epochs} | {k} | {reference:.3f} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
