"""How the CPU runs the training loop: how many threads, and denormal floats.

PyTorch splits each operation over all the cores it finds. The networks that
the defaults build for tables of up to 90 features are small (50 features get
50-64-32-2 and its mirror: about 10,600 multiply-adds per row, 680,000 per step
of 64 rows), so a training step is tens of small operations, and waking a
second thread for each costs more than it saves: on two cores a 4-epoch fit of
100,000 x 10 took 1.02x as long with two threads as with one, 100,000 x 50
1.03x (up to 1.06x in other runs). Larger networks gain (2.7 million
multiply-adds per step: 1.10x faster with two threads; 10.8 million: 1.26x; a
784-512-256 network: 1.57x)
(``benchmarks/threads.py``, ``benchmarks/results/large.md``). Training steps
below ``PARALLEL_STEP_MACS``, between those two measured points, therefore run
on one thread; the thread count is restored afterwards. Scoring, which
works on batches of thousands of rows, keeps every thread, but the same rule
covers inference passes whose batches are that small (a few rows to
predict, the statistics a small ``partial_fit`` chunk refits), and the
code mixture of :mod:`skae._latent_density` always runs on one thread: beside
another busy process, a second thread waiting for its core at every small
operation's barrier made a one-row ``partial_fit`` take 75 ms instead of 23
(``benchmarks/results/small_chunks.md``).
``torch.set_num_threads`` is process-wide, so fits run concurrently in threads
of one process share the setting while one of them trains.

Training also flushes denormal floats (below 1.2e-38 in float32) to zero.
Adam's moment estimates for weights whose gradients are zero (those of a
pixel that is never lit) decay by 0.9 per step into that range, where x86
arithmetic is many times slower, and every later step pays for them: a
15-epoch fit on MNIST at batch 64 took 8.6 s instead of 18.0 s
(``benchmarks/results/speed_cpu.md``). The trained networks were bitwise the
same (MNIST and Pima, four kinds; 28 of 28 detection problems of three views
gave identical scores): a moment of 1e-39 moves no float32 weight. The
previous setting is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

#: Training steps with fewer multiply-adds than this run on one thread.
PARALLEL_STEP_MACS = 1_500_000


def step_multiply_adds(module: nn.Module, batch_size: int) -> int | None:
    """Multiply-adds of one forward pass over a batch, counted over the dense
    layers; None for a network with convolutions (whose work this count would
    miss)."""
    layers = list(module.modules())
    # Any convolution (a kind of its own may use Conv1d or Conv3d).
    if any(isinstance(m, nn.modules.conv._ConvNd) for m in layers):
        return None
    dense = [m for m in layers if isinstance(m, nn.Linear)]
    # In Python integers: a numpy int8 batch_size would overflow.
    return int(batch_size) * sum(int(m.in_features) * int(m.out_features) for m in dense)


@contextmanager
def step_threads(module: nn.Module, rows: int, device: torch.device) -> Iterator[None]:
    """Run passes of ``rows`` rows through ``module`` (training steps, or the
    batches of a scoring pass) on one CPU thread when a pass is too small to
    split (see the module's docstring), and restore torch's thread count on
    exit."""
    work = step_multiply_adds(module, rows)
    with one_thread(device, work is not None and work < PARALLEL_STEP_MACS):
        yield


@contextmanager
def one_thread(device: torch.device | str, small: bool = True) -> Iterator[None]:
    """Run torch on one CPU thread while ``small`` (the work is too small to
    split), and restore torch's thread count on exit; on an accelerator,
    change nothing."""
    threads = torch.get_num_threads()
    if torch.device(device).type != "cpu" or threads == 1 or not small:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _flushing_denormals() -> bool:
    """Whether torch flushes denormal floats now (torch has no getter)."""
    # In float32, where 1e-39 is denormal: in the default dtype, float64
    # there, the probe said "not flushing" and the exit turned the caller's
    # flushing off (a review).
    return bool((torch.tensor(1e-39, dtype=torch.float32) * 1.0).item() == 0.0)


@contextmanager
def flush_denormals(device: torch.device) -> Iterator[None]:
    """Flush denormal floats to zero on the CPU while training (see the
    module's docstring), and restore the previous setting on exit."""
    if device.type != "cpu" or _flushing_denormals():
        yield
        return
    if not torch.set_flush_denormal(True):  # a CPU without the instructions
        yield
        return
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
