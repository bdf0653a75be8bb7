"""Fit speed of skae's estimators against minimal hand-written PyTorch loops.

Data: the MNIST test images (10,000 x 784, pixels / 255), read from
``--data`` (default: the environment variable ``SKAE_MNIST`` or
``../shared/data/mnist`` beside the repository).

Model: a 784-512-128-32 MLP encoder and its mirror, ReLU, Adam (lr 1e-3),
``--epochs`` epochs (default 1) of shuffled mini-batches. The hand loops are
what a user would write: the data as one tensor on the device, a permutation
per epoch, slice, forward, loss, backward, step. One per kind:

* ``AutoEncoder``: MSE;
* ``VariationalAutoEncoder``: skae's objective, a Gaussian decoder with one
  learned scale per feature plus the KL divergence to N(0, I);
* ``ContractiveAutoEncoder``: MSE plus 0.1 x the encoder's squared Jacobian
  norm, estimated with one random projection as skae does for 32 codes.

The estimators get the same architecture, optimiser, learning rate, batch
size and epochs (``scaling="none"``: the pixels are already in [0, 1]). Their
fit time includes all of ``fit``: validation, training, and the work that
makes the model an outlier detector and a sampler (one pass over the training
data for the per-feature errors, codes and scores that set ``offset_``, and
the Gaussian mixture on the codes; for the VAE, its 8-draw ELBO on every
row). "training" is the epochs alone (skorch's ``dur`` in ``net_.history``).

Each figure is a ratio measured in the same process: the two runs alternate
(``--repeats`` pairs, order flipped each time) and the table gives the median
of the paired ratios. PyOD's ``AutoEncoder`` with the same layers, epochs and
optimiser (its dropout, batch norm, weight decay and preprocessing off) is
timed too when PyOD is installed; its column is the ratio of the medians.
The thread count is pinned and printed. The hand loops flush denormal
floats to zero, as skae's training does (``--hand-keeps-denormals``: they
do not). The achieved GFLOP/s of the plain
autoencoder's training (forward + backward = 3x the forward's 2*m*n*k per
layer) is printed next to the machine's measured fp32 matrix-multiply rate.
The last table is the throughput of ``transform`` and ``score_samples``
against the trained model's own forward pass run by hand.

Run: ``python benchmarks/speed.py`` (about two minutes), ``--device cuda`` on
a GPU, ``--epochs 10`` for longer fits.
"""

from __future__ import annotations

import argparse
import gzip
import math
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from skae import AutoEncoder, ContractiveAutoEncoder, VariationalAutoEncoder

REPO = Path(__file__).resolve().parents[1]
LAYERS = (784, 512, 128, 32)


def load_mnist(folder: Path) -> np.ndarray:
    """The MNIST test images as float32 rows in [0, 1]."""
    path = folder / "t10k-images-idx3-ubyte.gz"
    if not path.exists():
        raise SystemExit(f"error: {path} not found; pass --data or set SKAE_MNIST.")
    with gzip.open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return (raw.reshape(-1, 784) / 255.0).astype(np.float32)


def mlp(widths: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class HandAutoEncoder(nn.Module):
    """The plain autoencoder a user would write: MSE."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder, self.decoder = mlp(LAYERS), mlp(LAYERS[::-1])

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.mse_loss(self.decoder(self.encoder(x)), x)


class HandHuberAutoEncoder(HandAutoEncoder):
    """The same with ``AutoEncoder``'s default loss, written as a user would:
    twice PyTorch's Huber loss (the squared error within one unit, linear
    beyond), so that both sides do the same work."""

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return 2.0 * nn.functional.huber_loss(self.decoder(self.encoder(x)), x, delta=1.0)


class HandVAE(nn.Module):
    """A VAE with skae's objective: Gaussian decoder with one learned scale per
    feature, plus the KL divergence to N(0, I), summed over dimensions and
    averaged over the batch."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = mlp(LAYERS[:-1] + (2 * LAYERS[-1],))
        self.decoder = mlp(LAYERS[::-1])
        self.log_scale = nn.Parameter(torch.zeros(LAYERS[0]))

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        r = (x - self.decoder(z)) * torch.exp(-self.log_scale)
        nll = (0.5 * r.square() + self.log_scale + 0.5 * math.log(2 * math.pi)).sum(dim=1)
        kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar).sum(dim=1)
        return (nll + kl).mean()


class HandContractive(HandAutoEncoder):
    """MSE plus 0.1 x the encoder's squared Jacobian norm, estimated as skae
    does for codes wider than 16: ``||J^T v||^2`` with ``v ~ N(0, I)``."""

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        x = x.requires_grad_(True)
        z = self.encoder(x)
        (jtv,) = torch.autograd.grad(z, x, torch.randn_like(z), create_graph=True)
        mse = nn.functional.mse_loss(self.decoder(z), x.detach())
        return mse + 0.1 * jtv.square().sum(dim=1).mean()


#: Each kind timed: its estimator, the estimator's extra parameters, the hand loop's model.
KINDS = {
    "AutoEncoder": (AutoEncoder, {}, HandHuberAutoEncoder),
    "AutoEncoder(loss='squared_error')": (
        AutoEncoder,
        {"loss": "squared_error"},
        HandAutoEncoder,
    ),
    "VariationalAutoEncoder": (VariationalAutoEncoder, {}, HandVAE),
    "ContractiveAutoEncoder": (
        ContractiveAutoEncoder,
        {"contraction_weight": 0.1},
        HandContractive,
    ),
}


def hand_loop(
    kind: str,
    X: np.ndarray,
    batch_size: int,
    epochs: int,
    device: str,
    seed: int,
    flush_denormals: bool = True,
) -> float:
    """Seconds for the minimal loop, data moved to the device first.

    With ``flush_denormals`` (the default) the loop flushes denormal floats to
    zero, as skae's training does (``skae._threads``): Adam's moments for the
    weights of never-lit pixels decay into the denormal range, where the CPU
    is many times slower, and a reference that pays for that would flatter
    skae.
    """
    torch.manual_seed(seed)
    torch.set_flush_denormal(flush_denormals)
    start = time.perf_counter()
    model = KINDS[kind][2]().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.from_numpy(X).to(device)
    for _ in range(epochs):
        order = torch.randperm(len(x), device=device)
        for i in range(0, len(x), batch_size):
            loss = model.loss(x[order[i : i + batch_size]])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    torch.set_flush_denormal(False)
    return elapsed


def skae_fit(
    kind: str, X: np.ndarray, batch_size: int, epochs: int, device: str, seed: int
) -> tuple[float, float]:
    """Seconds for the whole ``fit``, and for its training epochs alone."""
    cls, params, _ = KINDS[kind]
    model = cls(
        n_components=LAYERS[-1],
        hidden_layer_sizes=LAYERS[1:-1],
        scaling="none",
        max_epochs=epochs,
        batch_size=batch_size,
        lr=1e-3,
        # Every row in every epoch, as the hand loops train (the variational
        # kind's default holds a tenth out from 200 rows).
        early_stopping=False,
        device=device,
        random_state=seed,
        **params,
    )
    start = time.perf_counter()
    model.fit(X)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, sum(model.net_.history[:, "dur"])


def pyod_fit(X: np.ndarray, batch_size: int, epochs: int, device: str, seed: int) -> float | None:
    """Seconds for PyOD's AutoEncoder with the same layers, epochs and optimiser
    (no dropout, no batch norm, no weight decay, no preprocessing); None
    without PyOD (``pip install "skae[bench]"``)."""
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder
    except ImportError:
        return None
    model = PyODAutoEncoder(
        hidden_neuron_list=list(LAYERS[1:]),
        epoch_num=epochs,
        batch_size=batch_size,
        lr=1e-3,
        optimizer_params={"weight_decay": 0.0},
        batch_norm=False,
        dropout_rate=0.0,
        preprocessing=False,
        device=device,
        random_state=seed,
        verbose=0,
    )
    start = time.perf_counter()
    model.fit(X)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def throughput(X: np.ndarray, device: str, repeats: int) -> list[tuple[str, float, float]]:
    """Rows per second of ``transform`` and ``score_samples`` against the same
    trained model's forward pass run by hand under ``torch.inference_mode()``
    (one call over all rows, copied from numpy to the device and back)."""
    model = AutoEncoder(
        n_components=LAYERS[-1],
        hidden_layer_sizes=LAYERS[1:-1],
        scaling="none",
        max_epochs=1,
        batch_size=256,
        device=device,
        random_state=0,
    ).fit(X)
    module = model.net_.module_.eval()

    def x() -> torch.Tensor:
        # The rows start in numpy, as the estimator's do: on a GPU the hand
        # forward pays for the copy too (on the CPU it shares X's memory).
        return torch.from_numpy(X).to(device)

    def by_hand(fn) -> float:
        start = time.perf_counter()
        with torch.inference_mode():
            fn().cpu()
        return time.perf_counter() - start

    def timed(fn) -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    pairs = [
        ("transform", lambda: model.transform(X), lambda: module.encode(x())),
        (
            "score_samples",
            lambda: model.score_samples(X),
            lambda: (module(xs := x())["x_hat"] - xs).square().mean(dim=1),
        ),
    ]
    rows = []
    for name, ours, hand in pairs:
        ratios = []
        for _ in range(repeats):
            ratios.append(by_hand(hand) / timed(ours))
        rows.append((name, len(X) / timed(ours), statistics.median(ratios)))
    return rows


def matmul_gflops(device: str, n: int = 1024, repeats: int = 20) -> float:
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def step_flops(n_rows: int) -> float:
    """FLOPs of one epoch: forward + backward of every linear layer (3 x 2mnk)."""
    widths = list(LAYERS) + list(LAYERS[::-1][1:])
    return sum(3 * 2 * n_rows * a * b for a, b in zip(widths[:-1], widths[1:], strict=True))


def time_kind(kind: str, X: np.ndarray, batch_size: int, args, peak: float) -> str:
    """One table row: interleaved pairs of the hand loop and skae's fit."""
    run = (X, batch_size, args.epochs, args.device)
    flush = not args.hand_keeps_denormals
    hand_loop(kind, *run, 0, flush)  # warm-up
    skae_fit(kind, *run, 0)
    pyod = None
    if kind == "AutoEncoder":
        pyod = [pyod_fit(*run, rep) for rep in range(args.repeats)]
    hand, fits, trains = [], [], []
    for rep in range(args.repeats):
        # Alternate the order, so neither side always runs on a warmer cache.
        if rep % 2:
            fit, train = skae_fit(kind, *run, rep)
            hand.append(hand_loop(kind, *run, rep, flush))
        else:
            hand.append(hand_loop(kind, *run, rep, flush))
            fit, train = skae_fit(kind, *run, rep)
        fits.append(fit)
        trains.append(train)
    fit_ratio = statistics.median(f / h for f, h in zip(fits, hand, strict=True))
    train_ratio = statistics.median(t / h for t, h in zip(trains, hand, strict=True))
    h, f, t = (statistics.median(v) for v in (hand, fits, trains))
    pyod_cell = "-" if pyod is None or None in pyod else f"{statistics.median(pyod) / f:.2f}"
    cells = [kind, batch_size, f"{h:.3f}", f"{f:.3f}", f"{fit_ratio:.3f}", f"{t:.3f}"]
    cells.append(f"{train_ratio:.3f}")
    if kind == "AutoEncoder":
        # FLOPs are counted for the plain MLP only.
        flops = step_flops(len(X)) * args.epochs
        cells.append(f"{flops / h / 1e9:.1f} ({flops / h / 1e9 / peak:.0%})")
        cells.append(f"{flops / t / 1e9:.1f} ({flops / t / 1e9 / peak:.0%})")
    else:
        cells += ["-", "-"]
    cells.append(pyod_cell)
    return "| " + " | ".join(str(c) for c in cells) + " |"


def profile_fit(kind: str, X: np.ndarray, batch_size: int, args) -> None:
    """Print where one fit's host time goes (cProfile): skae's and skorch's
    functions by cumulative time, then every function by own time, and the
    same for the hand loop. On a GPU, a host synchronisation shows up as the
    own time of the call that waits (``.item()``, ``.tolist()``, ``.cpu()``)."""
    import cProfile
    import pstats

    for name, fn in (("skae fit", skae_fit), ("hand loop", hand_loop)):
        fn(kind, X, batch_size, args.epochs, args.device, 0)  # warm-up, not profiled
        profiler = cProfile.Profile()
        profiler.enable()
        fn(kind, X, batch_size, args.epochs, args.device, 0)
        profiler.disable()
        print(f"\n### {name}: {kind}, batch {batch_size}, {args.epochs} epochs\n")
        stats = pstats.Stats(profiler)
        if name == "skae fit":
            stats.sort_stats("cumulative").print_stats(r"skae|skorch", 30)
        stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("SKAE_MNIST", str(REPO / ".." / "shared" / "data" / "mnist"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of the tables, profile one fit and one hand loop per kind "
        "at the last batch size",
    )
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument(
        "--hand-keeps-denormals",
        action="store_true",
        help="the hand loops keep denormal floats (skae's training flushes them)",
    )
    parser.add_argument(
        "--tile", type=int, default=1, help="repeat the 10,000 images this many times"
    )
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    X = np.tile(load_mnist(args.data), (args.tile, 1))
    peak = matmul_gflops(args.device)
    print(
        f"device {args.device}, torch threads {torch.get_num_threads()}, "
        f"X {X.shape}, fp32 matmul {peak:.1f} GFLOP/s, hand loops "
        + ("keep" if args.hand_keeps_denormals else "flush")
        + " denormals"
    )
    if args.profile:
        for kind in args.kinds:
            profile_fit(kind, X, args.batch_sizes[-1], args)
        return
    print(
        "| model | batch | hand loop s | skae fit s | fit / hand | skae training s "
        "| training / hand | hand GFLOP/s | skae training GFLOP/s | PyOD fit / skae fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind in args.kinds:
        for batch_size in args.batch_sizes:
            row = time_kind(kind, X, batch_size, args, peak)
            print(row, flush=True)

    if not args.no_throughput:
        print("\n| method | skae rows/s | skae throughput / hand forward |")
        print("|---|---|---|")
        for name, rate, ratio in throughput(X, args.device, args.repeats):
            print(f"| {name} | {rate:,.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
