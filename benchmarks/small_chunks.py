"""The cost of a small ``partial_fit`` chunk (issue 19): one-row calls.

A fitted ``AutoEncoder`` (1,000 rows x 10 features) is given 256 one-row
chunks (after which each call refits the scores' statistics on the last 256
rows), then 200 more, timed; then 200 one-row ``predict`` calls. Three
settings of the same code, in one process:

- *every thread, all refitted*: the statistics' small operations on torch's
  threads and the sampling mixture and missing-value calibration refitted at
  every call (``skae._threads`` rules switched off, ``DENSITY_REFRESH_ROWS``
  set to 1);
- *one thread, all refitted*: the thread rules on;
- *adopted*: both rules on (the mixture and the calibration once 64 rows are
  new).

With ``--load``, a second process keeps one core busy, as another job would.
Also prints the share of held-out normal rows flagged at
``contamination=0.1`` after the stream: the rule must not make it stale.

Run: ``python benchmarks/small_chunks.py`` and ``... --load`` (a minute each).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import time

import numpy as np

import skae
import skae._base as base
import skae._latent_density as latent_density
from skae import AutoEncoder


def _spin(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


@contextlib.contextmanager
def _every_thread(*args, **kwargs):
    yield


def _run(rng_seed: int = 0) -> tuple[float, float, float]:
    rng = np.random.RandomState(rng_seed)
    weights = rng.standard_normal((3, 10))
    X = rng.standard_normal((1_700, 3)) @ weights + 0.1 * rng.standard_normal((1_700, 10))
    held_out = X[1_500:]
    model = AutoEncoder(contamination=0.1, random_state=0).fit(X[:1_000])
    for i in range(1_000, 1_256):
        model.partial_fit(X[i : i + 1])
    start = time.perf_counter()
    for i in range(1_256, 1_456):
        model.partial_fit(X[i : i + 1])
    fit_ms = (time.perf_counter() - start) / 200 * 1e3
    start = time.perf_counter()
    for i in range(200):
        model.predict(held_out[i : i + 1])
    predict_ms = (time.perf_counter() - start) / 200 * 1e3
    return fit_ms, predict_ms, float(np.mean(model.predict(held_out) == -1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="a process busy on one core")
    args = parser.parse_args()
    stop = multiprocessing.Event()
    spinner = None
    if args.load:
        spinner = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
        spinner.start()
    rules = (base.step_threads, latent_density.one_thread, base.DENSITY_REFRESH_ROWS)
    settings = {
        "every thread, all refitted": (_every_thread, _every_thread, 1),
        "one thread, all refitted": (rules[0], rules[1], 1),
        "adopted": rules,
    }
    print(f"skae {skae.__version__}; {'one core busy' if args.load else 'idle'}\n")
    print("| setting | one-row partial_fit, ms | one-row predict, ms | held-out flagged |")
    print("|---|---:|---:|---:|")
    try:
        for name, (steps, mixture, refresh) in settings.items():
            base.step_threads, latent_density.one_thread = steps, mixture
            base.DENSITY_REFRESH_ROWS = refresh
            fit_ms, predict_ms, flagged = _run()
            print(f"| {name} | {fit_ms:.1f} | {predict_ms:.2f} | {flagged:.3f} |")
    finally:
        base.step_threads, latent_density.one_thread, base.DENSITY_REFRESH_ROWS = rules
        stop.set()
        if spinner is not None:
            spinner.join()


if __name__ == "__main__":
    main()
