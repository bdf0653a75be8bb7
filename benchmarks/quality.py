"""Reduction, density and denoising quality of skae's estimators against classical references.

One markdown table, printed and written to ``--out`` (default
``benchmarks/results/quality.md``). Every number is measured on held-out data.

Data
----
* digits: ``sklearn.datasets.load_digits`` (1,797 x 64), pixels / 16 so in
  [0, 1]; an 80/20 split stratified by label, ``random_state=0`` (1,437
  training rows, 360 test rows).
* MNIST: the test images ``t10k-images-idx3-ubyte.gz`` and labels
  ``t10k-labels-idx1-ubyte.gz`` read from ``--mnist`` (default: ``$SKAE_MNIST``,
  else ``../shared/data/mnist`` beside the repository), pixels / 255; the first
  8,000 rows train, the last 2,000 test. Without the files the MNIST rows are
  skipped with a note.
* tabular: 2,500 rows drawn with ``RandomState(0)``: 10 correlated features
  ``Z @ W + 0.05 * E`` (``Z``: 3 latent standard normals per row, ``W``: a
  3 x 10 standard normal matrix, ``E``: standard normal), then 3 near-constant
  features ``1e-3 * N(0, 1)``. The first 2,000 rows train, the last 500 test.

Every MSE is the mean over all entries of the squared difference, in the units
of the data (pixel / 16, pixel / 255, or the raw tabular units).

Sections (``--only`` picks some)
--------------------------------
reduction
    Held-out reconstruction MSE, ``inverse_transform(transform(X_test))``
    against ``X_test``, of ``AutoEncoder(n_components=k, random_state=0)``
    and ``PCA(k)`` for k = 2, 8, 16 on digits and k = 16 on MNIST; and the
    accuracy of ``KNeighborsClassifier(n_neighbors=5)`` fitted on the training
    codes and scored on the test codes at k = 16 (raw pixels as a further
    reference). ``--hand`` adds a plain PyTorch autoencoder on digits, written
    here: 64-512-256-k encoder, mirrored decoder, ReLU between layers, linear
    code and output, Adam (lr 1e-3), shuffled batches of 64, 200 epochs, MSE
    on the unscaled pixels, ``torch.manual_seed(0)``.
density
    Dequantised digits: the training then the test pixels / 16 plus uniform
    noise on [0, 1/17), both drawn in that order from one ``RandomState(0)``.
    Held-out mean log-likelihood in nats per image (higher is better) of
    ``VariationalAutoEncoder(n_components=8, random_state=0)``: ``vae.score``,
    the mean ELBO over the 2k cubature points of every code axis (not the mean
    of ``score_samples``, which averages fewer draws). skae's VAE computes its
    ELBO on the data it standardised internally and subtracts
    ``sum(log(vae.scale_))`` itself (``_variational.py``), so the score is a
    density of the data in their own units, as ``FactorAnalysis(8).score`` is,
    and is used as is. Reference: ``FactorAnalysis(8)``; and, unless
    ``--vae-reference-epochs 0``, the same VAE with ``max_epochs=N`` (default
    200). The goal: the defaults within 10% of the long fit.
denoising
    Test digits plus Gaussian noise of standard deviation 0.25 drawn with
    ``RandomState(0)``, clipped to [0, 1]; the metric is the MSE of the
    denoised images to the clean test images. Model:
    ``DenoisingAutoEncoder(n_components=16, noise_std=0.25, random_state=0)``
    fitted on the clean training digits, applied as
    ``inverse_transform(transform(noisy))``. References: the noisy input
    itself; ``PCA(k)`` fitted on the clean training digits, the best k of
    2, 4, 8, 16, 24, 32, 48; ``KernelPCA(n_components=400, kernel="rbf",
    gamma=g, fit_inverse_transform=True, alpha=5e-3)`` fitted on the clean
    training digits (the recipe of scikit-learn's "Image denoising using
    Kernel PCA" example), the best g of 0.01, 0.03, 0.1; and the best of
    these. The best k and g are chosen on the test images themselves, an
    oracle choice that favours the references.
amplification
    Does a model make noise worse? For every kind with its defaults (only
    ``n_components`` and ``random_state=0`` set, and ``image_shape=(1, 8, 8)``
    for ``ConvolutionalAutoEncoder``), fitted on clean training rows: the MSE
    of ``inverse_transform(transform(noisy))`` to the clean test rows divided
    by the MSE of ``noisy`` itself (goal < 1). digits: the noisy test digits of
    *denoising*, ``n_components=16``. tabular: the test rows plus Gaussian
    noise of standard deviation 0.1 on every feature, drawn with
    ``RandomState(1)``; ``n_components=3``, the data's rank, as 16 codes for
    13 features could carry the noise through unchanged;
    ``ConvolutionalAutoEncoder`` is left out (not an image). ``PCA`` with the
    same number of components is the reference. The same fitted models are
    also given the table's test rows with noise of standard deviation
    0.05, 0.2 and 0.3 (same draw, rescaled), which separates a model that
    amplifies noise (ratio growing with the noise) from one whose own
    reconstruction error, its bias, exceeds a small noise (ratio falling as
    the noise grows).

Estimator parameters
--------------------
Apart from the settings named above, skae's estimators run with their current
defaults. ``--params JSON`` (e.g. ``'{"max_epochs": 100}'``) is merged into
every skae constructor, each estimator taking the keys it accepts, so the same
protocol measures candidate defaults; the protocol's own settings above win
over it. JSON lists become tuples.

Run: ``python benchmarks/quality.py`` (about 40 s on one CPU thread; two
minutes with ``--hand``), ``--only reduction density``,
``--params '{"max_epochs": 100}'``. Torch and BLAS use ``--threads``
threads (1 by default). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA, FactorAnalysis, KernelPCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits
from torch import nn

import skae
from skae import (
    AutoEncoder,
    BaseAutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)

REPO = Path(__file__).resolve().parents[1]
SECTIONS = ("reduction", "density", "denoising", "amplification")
KINDS: tuple[type[BaseAutoEncoder], ...] = (
    AutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
)
#: Settings that define the protocol; ``--params`` may not change them.
PROTOCOL_KEYS = ("n_components", "random_state", "image_shape")
PCA_GRID = (2, 4, 8, 16, 24, 32, 48)
GAMMA_GRID = (1e-2, 3e-2, 1e-1)


class Reducer(Protocol):
    def fit(self, X: np.ndarray) -> Any: ...
    def transform(self, X: np.ndarray) -> np.ndarray: ...
    def inverse_transform(self, X: np.ndarray) -> np.ndarray: ...


@dataclass
class Data:
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray | None = None
    y_test: np.ndarray | None = None


@dataclass
class Row:
    task: str
    dataset: str
    model: str
    metric: str
    value: float
    reference: str = ""
    fit_s: float | None = None


# ----------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------
def digits() -> Data:
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.2, stratify=y, random_state=0
    )
    return Data(X_train, X_test, y_train, y_test)


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes (the MNIST format) as an array of its shape."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    n_dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def mnist(folder: Path) -> Data | None:
    images = folder / "t10k-images-idx3-ubyte.gz"
    labels = folder / "t10k-labels-idx1-ubyte.gz"
    if not (images.exists() and labels.exists()):
        return None
    X = read_idx(images).reshape(-1, 28 * 28) / 255.0
    y = read_idx(labels)
    return Data(X[:8000], X[-2000:], y[:8000], y[-2000:])


def tabular(seed: int = 0) -> Data:
    rng = np.random.RandomState(seed)
    n_rows = 2500
    latent = rng.standard_normal((n_rows, 3))
    mixing = rng.standard_normal((3, 10))
    correlated = latent @ mixing + 0.05 * rng.standard_normal((n_rows, 10))
    near_constant = 1e-3 * rng.standard_normal((n_rows, 3))
    X = np.hstack([correlated, near_constant])
    return Data(X[:2000], X[2000:])


def noisy_digits(clean: np.ndarray) -> np.ndarray:
    noise = np.random.RandomState(0).normal(scale=0.25, size=clean.shape)
    return np.clip(clean + noise, 0.0, 1.0)


# ----------------------------------------------------------------------
# Models and metrics
# ----------------------------------------------------------------------
class HandAutoEncoder:
    """A plain PyTorch MLP autoencoder: 64-512-256-k, mirrored, trained by hand."""

    def __init__(self, n_components: int, *, epochs: int = 200, batch_size: int = 64) -> None:
        self.n_components = n_components
        self.epochs = epochs
        self.batch_size = batch_size

    def fit(self, X: np.ndarray) -> HandAutoEncoder:
        torch.manual_seed(0)
        widths = (X.shape[1], 512, 256, self.n_components)
        self.encoder = _mlp(widths)
        self.decoder = _mlp(widths[::-1])
        parameters = [*self.encoder.parameters(), *self.decoder.parameters()]
        optimizer = torch.optim.Adam(parameters, lr=1e-3)
        x = torch.as_tensor(X, dtype=torch.float32)
        generator = torch.Generator().manual_seed(0)
        for _ in range(self.epochs):
            order = torch.randperm(len(x), generator=generator)
            for start in range(0, len(x), self.batch_size):
                batch = x[order[start : start + self.batch_size]]
                loss = nn.functional.mse_loss(self.decoder(self.encoder(batch)), batch)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.encoder(torch.as_tensor(X, dtype=torch.float32)).double().numpy()

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self.decoder(torch.as_tensor(Z, dtype=torch.float32)).double().numpy()


def _mlp(widths: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(len(widths) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(widths[i], widths[i + 1]))
    return nn.Sequential(*layers)


def mse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean((a - b) ** 2))


def reconstruct(model: Reducer, X: np.ndarray) -> np.ndarray:
    return model.inverse_transform(model.transform(X))


def knn_accuracy(model: Reducer | None, data: Data) -> float:
    """5-NN accuracy on the test codes, fitted on the training codes (raw rows if no model)."""
    train, test = data.X_train, data.X_test
    if model is not None:
        train, test = model.transform(train), model.transform(test)
    knn = KNeighborsClassifier(n_neighbors=5).fit(train, data.y_train)
    return float(knn.score(test, data.y_test))


def fmt(value: float) -> str:
    return f"{value:.4g}"


# ----------------------------------------------------------------------
# The benchmark
# ----------------------------------------------------------------------
class Bench:
    """The rows so far, and the skae constructor with ``--params`` merged in."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.start = time.perf_counter()

    def make(self, cls: type[BaseAutoEncoder], **protocol: Any) -> BaseAutoEncoder:
        accepted = cls().get_params()
        kwargs = {key: value for key, value in self.params.items() if key in accepted}
        for key in sorted(kwargs.keys() & protocol.keys()):
            if kwargs[key] != protocol[key]:
                note = f"{cls.__name__}: the protocol's {key}={protocol[key]!r} replaces --params'"
                if note not in self.notes:
                    self.notes.append(note)
                    log(note)
        return cls(**{**kwargs, **protocol})

    def fit(self, model: Any, X: np.ndarray, label: str) -> float:
        """Fit ``model`` on ``X``; the seconds it took."""
        log(f"[{time.perf_counter() - self.start:7.1f}s] fitting {label} on {X.shape}")
        start = time.perf_counter()
        model.fit(X)
        return time.perf_counter() - start

    def add(self, row: Row) -> None:
        self.rows.append(row)
        fit = "" if row.fit_s is None else f" (fit {row.fit_s:.1f}s)"
        log(
            f"[{time.perf_counter() - self.start:7.1f}s] {row.task} | {row.dataset} | "
            f"{row.model} | {row.metric} = {fmt(row.value)}{fit}"
        )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def reduction(bench: Bench, data: dict[str, Data], hand: bool) -> None:
    runs = [("digits", k) for k in (2, 8, 16)]
    if "mnist" in data:
        runs.append(("mnist", 16))
    for name, k in runs:
        d = data[name]
        pca = PCA(n_components=k, random_state=0)
        pca_s = bench.fit(pca, d.X_train, f"PCA({k})")
        pca_mse = mse(reconstruct(pca, d.X_test), d.X_test)
        ae = bench.make(AutoEncoder, n_components=k, random_state=0)
        ae_s = bench.fit(ae, d.X_train, f"AutoEncoder({k})")
        ae_mse = mse(reconstruct(ae, d.X_test), d.X_test)
        metric = "held-out reconstruction MSE"
        ref = f"PCA {fmt(pca_mse)} (ratio {ae_mse / pca_mse:.2f})"
        bench.add(Row("reduction", name, f"AutoEncoder(k={k})", metric, ae_mse, ref, ae_s))
        bench.add(Row("reduction", name, f"PCA(k={k})", metric, pca_mse, "", pca_s))
        if hand and name == "digits":
            mlp = HandAutoEncoder(k)
            mlp_s = bench.fit(mlp, d.X_train, f"hand MLP({k})")
            mlp_mse = mse(reconstruct(mlp, d.X_test), d.X_test)
            model = f"hand MLP 64-512-256-{k}, 200 epochs"
            ref = f"PCA {fmt(pca_mse)} (ratio {mlp_mse / pca_mse:.2f})"
            bench.add(Row("reduction", name, model, metric, mlp_mse, ref, mlp_s))
        if k == 16:
            metric = "5-NN accuracy on the codes"
            pca_acc, ae_acc = knn_accuracy(pca, d), knn_accuracy(ae, d)
            raw_acc = knn_accuracy(None, d)
            ref = f"PCA {fmt(pca_acc)}; raw pixels {fmt(raw_acc)}"
            bench.add(Row("reduction", name, f"AutoEncoder(k={k})", metric, ae_acc, ref))
            bench.add(Row("reduction", name, f"PCA(k={k})", metric, pca_acc))


def density(bench: Bench, d: Data, reference_epochs: int) -> None:
    rng = np.random.RandomState(0)
    train = d.X_train + rng.uniform(0.0, 1.0 / 17.0, size=d.X_train.shape)
    test = d.X_test + rng.uniform(0.0, 1.0 / 17.0, size=d.X_test.shape)
    name, metric = "digits, dequantised", "held-out log-likelihood, nats / image"
    fa = FactorAnalysis(n_components=8, random_state=0)
    fa_s = bench.fit(fa, train, "FactorAnalysis(8)")
    fa_ll = float(fa.score(test))
    vae = bench.make(VariationalAutoEncoder, n_components=8, random_state=0)
    vae_s = bench.fit(vae, train, "VariationalAutoEncoder(8)")
    vae_ll = vae.score(test)
    ref = f"FactorAnalysis {fmt(fa_ll)}"
    long_row = None
    if reference_epochs > 0:
        # Every epoch: the default's early stopping would stop the reference.
        long = bench.make(
            VariationalAutoEncoder,
            n_components=8,
            random_state=0,
            max_epochs=reference_epochs,
            early_stopping=False,
        )
        long_s = bench.fit(long, train, f"VariationalAutoEncoder(8), {reference_epochs} epochs")
        long_ll = long.score(test)
        gap = (long_ll - vae_ll) / abs(long_ll)
        ref += f"; {reference_epochs} epochs {fmt(long_ll)} (gap {gap:.1%}, goal <= 10%)"
        model = f"VariationalAutoEncoder(k=8, max_epochs={reference_epochs})"
        long_row = Row("density", name, model, metric, long_ll, "", long_s)
    bench.add(Row("density", name, "VariationalAutoEncoder(k=8)", metric, vae_ll, ref, vae_s))
    if long_row is not None:
        bench.add(long_row)
    bench.add(Row("density", name, "FactorAnalysis(8)", metric, fa_ll, "", fa_s))


def denoising(bench: Bench, d: Data) -> None:
    noisy = noisy_digits(d.X_test)
    name, metric = "digits + N(0, 0.25²), clipped", "MSE to the clean test digits"
    dae = bench.make(DenoisingAutoEncoder, n_components=16, noise_std=0.25, random_state=0)
    dae_s = bench.fit(dae, d.X_train, "DenoisingAutoEncoder(16)")
    dae_mse = mse(reconstruct(dae, noisy), d.X_test)

    # (short name, row) of each reference, the best of each grid kept.
    references = [("noisy input", Row("denoising", name, "noisy input", metric, 0.0))]
    references[0][1].value = mse(noisy, d.X_test)
    best_pca: tuple[str, Row] | None = None
    for k in PCA_GRID:
        pca = PCA(n_components=k, random_state=0)
        fit_s = bench.fit(pca, d.X_train, f"PCA({k})")
        row = Row("denoising", name, f"PCA (best k={k} of {PCA_GRID})", metric, 0.0, "", fit_s)
        row.value = mse(reconstruct(pca, noisy), d.X_test)
        if best_pca is None or row.value < best_pca[1].value:
            best_pca = (f"PCA k={k}", row)
    best_kpca: tuple[str, Row] | None = None
    for gamma in GAMMA_GRID:
        kpca = KernelPCA(
            n_components=400,
            kernel="rbf",
            gamma=gamma,
            fit_inverse_transform=True,
            alpha=5e-3,
            random_state=0,
        )
        fit_s = bench.fit(kpca, d.X_train, f"KernelPCA(gamma={gamma})")
        model = f"KernelPCA(400, rbf, alpha=5e-3; best gamma={gamma} of {GAMMA_GRID})"
        row = Row("denoising", name, model, metric, 0.0, "", fit_s)
        row.value = mse(reconstruct(kpca, noisy), d.X_test)
        if best_kpca is None or row.value < best_kpca[1].value:
            best_kpca = (f"KernelPCA gamma={gamma}", row)
    assert best_pca is not None and best_kpca is not None
    references += [best_pca, best_kpca]
    best_name, best = min(references, key=lambda pair: pair[1].value)
    ref = f"best reference {fmt(best.value)} ({best_name}); ratio {dae_mse / best.value:.2f}"
    model = "DenoisingAutoEncoder(k=16, noise_std=0.25)"
    bench.add(Row("denoising", name, model, metric, dae_mse, ref, dae_s))
    for _, row in references:
        bench.add(row)
    bench.add(Row("denoising", name, f"best reference: {best_name}", metric, best.value))


#: Further noise scales on the near-constant table (0.1 is the table's row).
TABLE_NOISE_SWEEP = (0.05, 0.2, 0.3)


def noise_sweep(bench: Bench, model: Any, d: Data, label: str) -> None:
    unit = np.random.RandomState(1).normal(size=d.X_test.shape)
    metric = "MSE(denoised) / MSE(noisy), goal < 1"
    for scale in TABLE_NOISE_SWEEP:
        noisy = d.X_test + scale * unit
        ratio = mse(reconstruct(model, noisy), d.X_test) / mse(noisy, d.X_test)
        name = f"tabular, 3 near-constant features, noise sd {scale}"
        bench.add(Row("amplification", name, label, metric, ratio, ""))


def amplification(bench: Bench, digit_data: Data) -> None:
    runs = [
        ("digits + N(0, 0.25²), clipped", digit_data, noisy_digits(digit_data.X_test), 16),
    ]
    table = tabular()
    table_noise = np.random.RandomState(1).normal(scale=0.1, size=table.X_test.shape)
    runs.append(("tabular, 3 near-constant features", table, table.X_test + table_noise, 3))
    metric = "MSE(denoised) / MSE(noisy), goal < 1"
    for name, d, noisy, k in runs:
        noisy_mse = mse(noisy, d.X_test)
        pca = PCA(n_components=k, random_state=0)
        pca_s = bench.fit(pca, d.X_train, f"PCA({k})")
        pca_mse = mse(reconstruct(pca, noisy), d.X_test)
        for cls in KINDS:
            protocol: dict[str, Any] = {"n_components": k, "random_state": 0}
            if cls is ConvolutionalAutoEncoder:
                if d is table:
                    continue
                protocol["image_shape"] = (1, 8, 8)
            model = bench.make(cls, **protocol)
            fit_s = bench.fit(model, d.X_train, f"{cls.__name__}({k})")
            model_mse = mse(reconstruct(model, noisy), d.X_test)
            ref = f"MSE {fmt(model_mse)} vs noisy {fmt(noisy_mse)}; PCA {pca_mse / noisy_mse:.3g}"
            label = f"{cls.__name__}(k={k})"
            bench.add(Row("amplification", name, label, metric, model_mse / noisy_mse, ref, fit_s))
            if d is table:
                noise_sweep(bench, model, d, label)
        ref = f"MSE {fmt(pca_mse)} vs noisy {fmt(noisy_mse)}"
        label = f"PCA(k={k})"
        bench.add(Row("amplification", name, label, metric, pca_mse / noisy_mse, ref, pca_s))
        if d is table:
            noise_sweep(bench, pca, d, label)


def markdown(rows: list[Row]) -> list[str]:
    lines = [
        "| task | dataset | model | metric | value | reference | fit s |",
        "|---|---|---|---|---:|---|---:|",
    ]
    for row in rows:
        fit = "" if row.fit_s is None else f"{row.fit_s:.1f}"
        lines.append(
            f"| {row.task} | {row.dataset} | {row.model} | {row.metric} | {fmt(row.value)} "
            f"| {row.reference} | {fit} |"
        )
    return lines


def parse_params(text: str) -> dict[str, Any]:
    params = json.loads(text)
    if not isinstance(params, dict):
        raise SystemExit("error: --params must be a JSON object")
    fixed = sorted(params.keys() & set(PROTOCOL_KEYS))
    if fixed:
        raise SystemExit(f"error: --params may not set {fixed}: they are the protocol")
    known = set().union(*(cls().get_params() for cls in KINDS))
    unknown = sorted(params.keys() - known)
    if unknown:
        raise SystemExit(f"error: no skae estimator takes {unknown}")
    return {key: tuple(v) if isinstance(v, list) else v for key, v in params.items()}


def main() -> None:
    default_mnist = Path(os.environ.get("SKAE_MNIST") or REPO / ".." / "shared" / "data" / "mnist")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--params", default="{}", help="JSON merged into every skae estimator")
    parser.add_argument("--mnist", type=Path, default=default_mnist)
    parser.add_argument("--vae-reference-epochs", type=int, default=200, metavar="N")
    parser.add_argument("--hand", action="store_true", help="add a hand-written PyTorch MLP")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/quality.md")
    args = parser.parse_args()
    params = parse_params(args.params)
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)

    header = [
        f"command: `{shlex.join(['python', *sys.argv])}`",
        "",
        f"torch {torch.__version__}, torch threads {torch.get_num_threads()}, "
        f"skae {skae.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "",
    ]
    for line in header:
        log(line)

    # One tiny fit first, so that torch's one-off start-up is in no row's fit time.
    AutoEncoder(max_epochs=1, random_state=0).fit(np.random.RandomState(0).rand(64, 4))
    bench = Bench(params)
    data = {"digits": digits()}
    if "reduction" in args.only:
        mnist_data = mnist(args.mnist)
        if mnist_data is None:
            note = f"MNIST rows skipped: no t10k IDX files in {args.mnist} (--mnist, $SKAE_MNIST)"
            bench.notes.append(note)
            log(note)
        else:
            data["mnist"] = mnist_data
        reduction(bench, data, args.hand)
    if "density" in args.only:
        density(bench, data["digits"], args.vae_reference_epochs)
    if "denoising" in args.only:
        denoising(bench, data["digits"])
    if "amplification" in args.only:
        amplification(bench, data["digits"])

    total = time.perf_counter() - bench.start
    notes = [f"Note: {note}." for note in bench.notes]
    lines = [*header, *markdown(bench.rows), "", *notes, f"Total {total:.0f} s."]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    log(f"written to {args.out}")


if __name__ == "__main__":
    main()
