"""How many fills inference tries for a row's missing entries
(``skae._architectures.INFERENCE_REFILL_PASSES``; issue 16).

Outside training a missing entry is filled with its feature's training mean,
then with the network's reconstruction of the row, then with the
reconstruction of the row so filled, and so on; each row keeps the fill
whose reconstruction is nearest its observed entries. The variants here are
the number of fills (1: the rule before), set on the module's
``refill_passes`` buffer as it is built, so the fit's calibration of missing
entries is fitted on each variant's own scores. All variants run in the same
process.

Two protocols, seeds 0-2, ``contamination=0.05``:

columns
    ``benchmarks/missing_refill.py``'s: 2,000 training rows with 5% missing,
    3,000 new normal rows complete and with one column removed in turn, and
    spiked (another numeric column moved 4 standard deviations). Tables
    ``payments``, ``coded``, ``numeric``.
two of six
    ``benchmarks/missing_mixed.py``'s: new rows of two mixed tables missing
    2 of their 6 entries, against complete rows.
cost
    seconds to fit an ``AutoEncoder`` on 20,000 rows of the ``numeric``
    table with 10% of the entries missing (the calibration scores its holed
    copies) and to score 20,000 new rows so, median of 3 runs on one thread.

Run: ``python benchmarks/refill_passes.py`` (about 40 minutes on one
thread); writes ``--out`` (default ``benchmarks/results/refill_passes.md``).
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import skae
import skae._architectures as architectures

sys.path.insert(0, str(Path(__file__).parent))
import missing_mixed  # noqa: E402
import missing_refill  # noqa: E402

_BUILD = architectures.AutoEncoderModule.__init__
SECTIONS = ("columns", "mixed", "cost")


def use(passes: int) -> None:
    """Build every module with ``passes`` refill passes (``missing_refill``'s
    ``refill`` variant builds with this)."""

    def build(module, *args, **kwargs):
        _BUILD(module, *args, **kwargs)
        module.refill_passes.fill_(passes)

    missing_refill._BUILD = build


def cost(passes: list[int], n: int = 20000, repeats: int = 3) -> list[str]:
    """The ``cost`` section's lines: median seconds to fit and to score."""
    rng = np.random.RandomState(0)
    train = missing_refill.holed(missing_refill.numeric(0, n), 0.1, rng)
    test = missing_refill.holed(missing_refill.numeric(1, n), 0.1, rng)
    lines = [
        "",
        f"## Cost ({n:,} rows of `numeric`, 10% missing; median of {repeats} runs, one thread)",
        "",
        "| passes | fit s | score_samples s |",
        "|---:|---:|---:|",
    ]
    for count in passes:
        use(count)
        missing_refill.use("refill")
        fits, scores = [], []
        for _ in range(repeats):
            tic = time.perf_counter()
            model = skae.AutoEncoder(random_state=0).fit(train)
            fits.append(time.perf_counter() - tic)
            tic = time.perf_counter()
            model.score_samples(test)
            scores.append(time.perf_counter() - tic)
        lines.append(f"| {count} | {np.median(fits):.2f} | {np.median(scores):.3f} |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, nargs="+", default=[1, 2, 3, 6])
    parser.add_argument("--mixed-passes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--kinds", nargs="+", default=list(missing_refill.KINDS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/refill_passes.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "# How many times inference refills missing entries (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/refill_passes.py', *sys.argv[1:]])}`",
        "",
        "## One column missing (`missing_refill.py`'s protocol; means over the seeds)",
        "",
        "Share of new normal rows flagged, complete and with each column missing; worst and "
        "mean distance from complete over the columns; spiked rows found (mean / least).",
    ]
    if "columns" in args.sections:
        passes = {str(count): functools.partial(use, count) for count in args.passes}
        lines += missing_refill.variant_tables("passes", passes, args.kinds, args.seeds)
    if "mixed" in args.sections:
        passes = {str(count): functools.partial(use, count) for count in args.mixed_passes}
        lines += missing_mixed.variant_ratios("passes", passes, args.kinds, args.seeds)
    if "cost" in args.sections:
        lines += cost(args.passes)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
