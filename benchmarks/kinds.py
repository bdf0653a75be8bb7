"""What each kind of autoencoder adds, measured on load_digits.

The figures behind the assertions of ``tests/test_kinds.py``, printed as one
table: every kind against its reference on held-out digits (a stratified 75/25
split, seed 0; all models seeded with 0).

Run: ``python benchmarks/kinds.py`` (about a minute on one CPU thread).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.model_selection import train_test_split

from skae import (
    AutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from skae._penalties import jacobian_frobenius_sq


def _mse(model, X: np.ndarray, target: np.ndarray) -> float:
    return float(np.mean((model.inverse_transform(model.transform(X)) - target) ** 2))


def _n_parameters(model) -> int:
    return sum(p.numel() for p in model.net_.module_.parameters())


def _sensitivity(model, X: np.ndarray) -> float:
    """Mean squared Jacobian norm of the encoder per unit of code variance."""
    x = model._scaled_tensor(X, model.device_)
    norm = jacobian_frobenius_sq(model.net_.module_.encode, x, exact=True).mean().item()
    return norm / float(model.transform(X).var(axis=0).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch threads: {torch.get_num_threads()}")

    X, y = load_digits(return_X_y=True)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0, stratify=y)[:2]
    rows: list[tuple[str, str, str, str]] = []
    start = time.perf_counter()

    noisy = X_test + np.random.RandomState(0).normal(scale=4.0, size=X_test.shape)
    same = dict(n_components=16, scaling="global", max_epochs=100, random_state=0)
    dae = _mse(DenoisingAutoEncoder(noise_std=0.5, **same).fit(X_train), noisy, X_test)
    ae = _mse(AutoEncoder(**same).fit(X_train), noisy, X_test)
    pca, k = min((_mse(PCA(k).fit(X_train), noisy, X_test), k) for k in range(1, 40))
    rows.append(
        (
            "DenoisingAutoEncoder",
            "MSE to clean digits from noisy ones (noise sd 4)",
            f"{dae:.3f}",
            f"AutoEncoder {ae:.3f}; best PCA (k={k}) {pca:.3f}; noisy input "
            f"{float(np.mean((noisy - X_test) ** 2)):.3f}",
        )
    )

    for n in (32, 96):
        same = dict(n_components=n, scaling="global", max_epochs=60, random_state=0)
        sae, ae = SparseAutoEncoder(**same).fit(X_train), AutoEncoder(**same).fit(X_train)
        zeros = [np.mean(np.abs(m.transform(X_test)) < 1e-3) for m in (sae, ae)]
        rows.append(
            (
                "SparseAutoEncoder",
                f"share of codes with abs(z) < 1e-3, n_components={n} (test MSE)",
                f"{zeros[0]:.3f} ({_mse(sae, X_test, X_test):.3f})",
                f"AutoEncoder {zeros[1]:.4f} ({_mse(ae, X_test, X_test):.3f})",
            )
        )

    rng = np.random.RandomState(0)
    Xd_train = X_train + rng.uniform(size=X_train.shape)
    Xd_test = X_test + rng.uniform(size=X_test.shape)
    vae = VariationalAutoEncoder(n_components=8, max_epochs=100, random_state=0).fit(Xd_train)
    elbo = vae.score_samples(Xd_test).mean()
    iwae = vae.set_params(n_importance_samples=50).score_samples(Xd_test).mean()
    pca_ll = PCA(8).fit(Xd_train).score_samples(Xd_test).mean()
    fa_ll = FactorAnalysis(8, random_state=0).fit(Xd_train).score_samples(Xd_test).mean()
    rows.append(
        (
            "VariationalAutoEncoder",
            "mean held-out log-likelihood, nats (dequantised, k=8)",
            f"ELBO {elbo:.2f}; IWAE-50 {iwae:.2f}",
            f"FactorAnalysis {fa_ll:.2f}; PCA {pca_ll:.2f}",
        )
    )

    same = dict(n_components=8, max_epochs=60, random_state=0)
    cae = ContractiveAutoEncoder(**same).fit(X_train)
    ae = AutoEncoder(**same).fit(X_train)
    rows.append(
        (
            "ContractiveAutoEncoder",
            "squared Frobenius norm of J per unit of code variance (test MSE)",
            f"{_sensitivity(cae, X_test):.4f} ({_mse(cae, X_test, X_test):.3f})",
            f"AutoEncoder {_sensitivity(ae, X_test):.4f} ({_mse(ae, X_test, X_test):.3f})",
        )
    )

    conv = ConvolutionalAutoEncoder(
        n_components=8, image_shape=(1, 8, 8), max_epochs=100, random_state=0
    ).fit(X_train)
    dense = [
        AutoEncoder(n_components=8, max_epochs=100, random_state=0, scaling=s).fit(X_train)
        for s in ("feature", "global")
    ]
    rows.append(
        (
            "ConvolutionalAutoEncoder",
            "test MSE, k=8 (parameters)",
            f"{_mse(conv, X_test, X_test):.3f} ({_n_parameters(conv)})",
            "; ".join(
                f"AutoEncoder scaling={m.scaling} {_mse(m, X_test, X_test):.3f} "
                f"({_n_parameters(m)})"
                for m in dense
            ),
        )
    )

    print("| kind | measure | kind's value | reference |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
