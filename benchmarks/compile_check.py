"""Does ``torch.compile`` pay for skae's training step? Eager against compiled.

The plain autoencoder's hand loop of ``speed.py`` (784-512-128-32 MLP and its
mirror, fused Adam, MNIST test images), run for ``--epochs`` epochs eagerly
and with its loss function compiled by ``torch.compile``. Full batches only,
so the compiled graph sees one shape. The first compiled epoch includes the
compilation. Prints the seconds of every epoch.

Run: ``python benchmarks/compile_check.py --batch-sizes 64 256``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch
from speed import REPO, HandAutoEncoder, load_mnist
from threadpoolctl import threadpool_limits


def epochs_seconds(x: torch.Tensor, batch_size: int, epochs: int, compiled: bool) -> list[float]:
    torch.manual_seed(0)
    model = HandAutoEncoder()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    loss = torch.compile(model.loss) if compiled else model.loss
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(x))
        for i in range(0, len(x) - batch_size + 1, batch_size):
            value = loss(x[order[i : i + batch_size]])
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.environ.get("SKAE_MNIST", str(REPO / ".." / "shared" / "data" / "mnist"))
    parser.add_argument("--data", type=Path, default=Path(default_data))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 256])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    x = torch.from_numpy(load_mnist(args.data))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, X {tuple(x.shape)}")
    print("| batch | mode | seconds per epoch |")
    print("|---|---|---|")
    for batch_size in args.batch_sizes:
        for compiled in (False, True):
            times = epochs_seconds(x, batch_size, args.epochs, compiled)
            mode = "compiled" if compiled else "eager"
            print(f"| {batch_size} | {mode} | {', '.join(f'{t:.3f}' for t in times)} |", flush=True)


if __name__ == "__main__":
    main()
