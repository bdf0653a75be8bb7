"""Which columns a row misses, in the calibration of its score
(``skae._calibration.fit_column_scale``; issue 16).

The calibration of a row with missing entries first maps its score by its
number of observed columns (``missing_shift_``, ``missing_scale_``), then
scales its distance from the training rows' median by the geometric mean of
``missing_column_scale_`` over the columns it misses, fitted on training rows
with one column removed. The variants here: ``count`` (every column's factor
1, the rule before) and ``columns``; both run in the same process, each
fitting its own calibration.

Sections, seeds 0-2 (``counts``: 0-3), ``contamination=0.05``:

columns
    ``benchmarks/missing_refill.py``'s protocol: new normal rows complete
    and with one column removed in turn, and spiked rows.
mixed
    ``benchmarks/missing_mixed.py``'s: new rows missing 2 of their 6 entries.
counts
    ``benchmarks/missing_calibration.py``'s: 10 correlated columns, rows
    missing 0, 3, 6 or 9 entries.

Run: ``python benchmarks/column_calibration.py`` (about 30 minutes on one
thread); writes ``--out`` (default ``benchmarks/results/column_calibration.md``).
"""

from __future__ import annotations

import argparse
import functools
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

import skae._base as base

sys.path.insert(0, str(Path(__file__).parent))
import missing_calibration  # noqa: E402
import missing_mixed  # noqa: E402
import missing_refill  # noqa: E402

VARIANTS = ("count", "columns")
SECTIONS = ("columns", "mixed", "counts")
_FIT = base.fit_column_scale


def use(variant: str) -> None:
    """Fit each column's factor (``columns``) or give every column 1."""
    if variant == "count":
        base.fit_column_scale = lambda scores, removed, centre, n: np.ones(n)
    else:
        base.fit_column_scale = _FIT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--kinds", nargs="+", default=list(missing_refill.KINDS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--count-seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/column_calibration.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "# Which columns a row misses, in the calibration of its score (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/column_calibration.py', *sys.argv[1:]])}`",
    ]
    variants = {name: functools.partial(use, name) for name in args.variants}
    if "columns" in args.sections:
        lines += [
            "",
            "## One column missing (`missing_refill.py`'s protocol; means over the seeds)",
            "",
            "Share of new normal rows flagged, complete and with each column missing; worst "
            "and mean distance from complete over the columns; spiked rows found (mean / least).",
        ]
        lines += missing_refill.variant_tables("variant", variants, args.kinds, args.seeds)
    if "mixed" in args.sections:
        lines += missing_mixed.variant_ratios("variant", variants, args.kinds, args.seeds)
    if "counts" in args.sections:
        lines += [
            "",
            "## Rows missing 0 / 3 / 6 / 9 of 10 entries (`missing_calibration.py`'s protocol)",
            "",
            "| variant | normal rows flagged, least | most | mean distance from 0.05 "
            "| spiked rows flagged, least | mean |",
            "|---|---|---|---|---|---|",
        ]
        for variant in args.variants:
            use(variant)
            rows = missing_calibration.run("tail+smooth", args.count_seeds)
            normal = np.array([r[4] for r in rows])
            found = np.array([r[5] for r in rows])
            lines.append(
                f"| {variant} | {normal.min():.3f} | {normal.max():.3f} | "
                f"{np.abs(normal - 0.05).mean():.4f} | {found.min():.3f} | {found.mean():.3f} |"
            )
            print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
