"""Fit speed of AutoEncoder against a minimal hand-written PyTorch loop.

Data: the MNIST test images (10,000 x 784, pixels / 255), read from
``--data`` (default: the environment variable ``SKAE_MNIST`` or
``../shared/data/mnist`` beside the repository).

Model: a 784-512-128-32 MLP encoder and its mirror, ReLU, Adam (lr 1e-3), MSE,
one epoch of shuffled mini-batches. The hand loop is what a user would write:
the data as one tensor on the device, a permutation per epoch, slice, forward,
loss, backward, step. ``AutoEncoder`` gets the same architecture, optimiser,
learning rate, batch size and epochs (``scaling="none"``: the pixels are
already in [0, 1]). Its fit time includes all of ``fit``: validation, the
internal scaling, training, and the fitting of the outlier threshold and of the
code density.

Each figure is a ratio measured in the same process: the two runs alternate
(``--repeats`` pairs, order flipped each time) and the table gives the median
of the paired ratios. PyOD's ``AutoEncoder`` with the same layers, epoch and
optimiser (its dropout, batch norm, weight decay and preprocessing off) is
timed too when PyOD is installed; its column is the ratio of the medians.
The thread count is pinned and printed. The achieved
GFLOP/s of a training step (forward + backward = 3x the forward's 2*m*n*k per
layer) is printed next to the machine's measured fp32 matrix-multiply rate.

Run: ``python benchmarks/speed.py`` (about a minute), ``--device cuda`` on a GPU.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from skae import AutoEncoder

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


def hand_loop(X: np.ndarray, batch_size: int, device: str, seed: int) -> float:
    """Seconds for one epoch of the minimal loop, data moved to the device first."""
    torch.manual_seed(seed)
    start = time.perf_counter()
    model = nn.Sequential(mlp(LAYERS), mlp(LAYERS[::-1])).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.from_numpy(X).to(device)
    order = torch.randperm(len(x), device=device)
    for i in range(0, len(x), batch_size):
        batch = x[order[i : i + batch_size]]
        loss = nn.functional.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def skae_fit(X: np.ndarray, batch_size: int, device: str, seed: int) -> tuple[float, float]:
    """Seconds for the whole ``fit``, and for its training epoch alone."""
    model = AutoEncoder(
        n_components=LAYERS[-1],
        hidden_layer_sizes=LAYERS[1:-1],
        scaling="none",
        max_epochs=1,
        batch_size=batch_size,
        lr=1e-3,
        device=device,
        random_state=seed,
    )
    start = time.perf_counter()
    model.fit(X)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start, model.net_.history[-1, "dur"]


def pyod_fit(X: np.ndarray, batch_size: int, device: str, seed: int) -> float | None:
    """Seconds for PyOD's AutoEncoder with the same layers, epochs and optimiser
    (no dropout, no batch norm, no weight decay, no preprocessing); None
    without PyOD (``pip install "skae[bench]"``)."""
    try:
        from pyod.models.auto_encoder import AutoEncoder as PyODAutoEncoder
    except ImportError:
        return None
    model = PyODAutoEncoder(
        hidden_neuron_list=list(LAYERS[1:]),
        epoch_num=1,
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
    (the data already a tensor on the device; one call over all rows)."""
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
    x = torch.from_numpy(X).to(device)

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
        ("transform", lambda: model.transform(X), lambda: module.encode(x)),
        (
            "score_samples",
            lambda: model.score_samples(X),
            lambda: (module(x)["x_hat"] - x).square().mean(dim=1),
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("SKAE_MNIST", str(REPO / ".." / "shared" / "data" / "mnist"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--repeats", type=int, default=5)
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
        f"X {X.shape}, fp32 matmul {peak:.1f} GFLOP/s"
    )
    print(
        "| batch | hand loop s | skae fit s | fit / hand | skae epoch s | epoch / hand "
        "| hand GFLOP/s | skae epoch GFLOP/s | PyOD fit / skae fit |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for batch_size in args.batch_sizes:
        hand_loop(X, batch_size, args.device, 0)  # warm-up
        skae_fit(X, batch_size, args.device, 0)
        pyod = [pyod_fit(X, batch_size, args.device, rep) for rep in range(args.repeats)]
        hand, fits, epochs = [], [], []
        for rep in range(args.repeats):
            # Alternate the order, so neither side always runs on a warmer cache.
            if rep % 2:
                fit, epoch = skae_fit(X, batch_size, args.device, rep)
                hand.append(hand_loop(X, batch_size, args.device, rep))
            else:
                hand.append(hand_loop(X, batch_size, args.device, rep))
                fit, epoch = skae_fit(X, batch_size, args.device, rep)
            fits.append(fit)
            epochs.append(epoch)
        fit_ratio = statistics.median(f / h for f, h in zip(fits, hand, strict=True))
        epoch_ratio = statistics.median(e / h for e, h in zip(epochs, hand, strict=True))
        flops = step_flops(len(X))
        h, f, e = (statistics.median(v) for v in (hand, fits, epochs))
        pyod_cell = "-" if None in pyod else f"{statistics.median(pyod) / f:.2f}"
        print(
            f"| {batch_size} | {h:.3f} | {f:.3f} | {fit_ratio:.3f} | {e:.3f} | {epoch_ratio:.3f} "
            f"| {flops / h / 1e9:.1f} ({flops / h / 1e9 / peak:.0%}) "
            f"| {flops / e / 1e9:.1f} ({flops / e / 1e9 / peak:.0%}) | {pyod_cell} |",
            flush=True,
        )

    print("\n| method | skae rows/s | skae throughput / hand forward |")
    print("|---|---|---|")
    for name, rate, ratio in throughput(X, args.device, args.repeats):
        print(f"| {name} | {rate:,.0f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
