"""Rows with missing entries under the variational kind: each missing column's
typical term (``missing_terms_``) against scaling the observed terms to a
whole row (issue 16).

``VariationalAutoEncoder.score_samples`` is a log-likelihood. For a row with
missing entries it was the observed entries' likelihood scaled by
``n_features / n_observed`` (variant ``scaled``, run here by leaving
``missing_terms_`` unfitted, as a model fitted before it); it is now the
observed entries' likelihood plus each missing column's mean term on the
training rows (``typical``). Both run in the same process, the calibration
of missing entries fitted on each variant's own scores.

Two protocols, seeds 0-2, ``contamination=0.05``:

columns
    ``benchmarks/missing_refill.py``'s: 2,000 training rows with 5% missing,
    3,000 new normal rows complete and with one column removed in turn, and
    spiked (another numeric column moved 4 standard deviations). Tables
    ``payments``, ``coded``, ``numeric``.
two of six
    ``benchmarks/missing_mixed.py``'s: new rows of two mixed tables missing
    2 of their 6 entries, against complete rows.

Run: ``python benchmarks/vae_missing_terms.py`` (about 8 minutes on one
thread); writes ``--out`` (default ``benchmarks/results/vae_missing_terms.md``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

from skae import VariationalAutoEncoder

sys.path.insert(0, str(Path(__file__).parent))
import missing_mixed  # noqa: E402
import missing_refill  # noqa: E402

VARIANTS = ("scaled", "typical")
_FIT_TERMS = VariationalAutoEncoder._fit_missing_terms


def use(variant: str) -> None:
    def unfitted(self, x, seed):
        self.missing_terms_ = None

    VariationalAutoEncoder._fit_missing_terms = unfitted if variant == "scaled" else _FIT_TERMS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/vae_missing_terms.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    kind = "VariationalAutoEncoder"
    lines = [
        "# Missing entries under the variational kind: typical terms or scaling (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/vae_missing_terms.py', *sys.argv[1:]])}`",
        "",
        "## One column missing (`missing_refill.py`'s protocol; means over the seeds)",
        "",
        "Share of new normal rows flagged, complete and with each column missing; worst and "
        "mean distance from complete over the columns; spiked rows found (mean / least).",
    ]
    for table in missing_refill.TABLES:
        header = None
        for variant in VARIANTS:
            use(variant)
            runs = [missing_refill.run("refill", table, kind, seed) for seed in args.seeds]
            columns = list(runs[0]["rates"])
            if header is None:
                header = "| table | variant | complete | " + " | ".join(columns)
                lines += ["", header + " | worst | mean abs dev | spiked |"]
                lines.append("|---|---|" + "---:|" * (len(columns) + 4))
            lines.append(f"| {table} | {variant} | {missing_refill.mean_cells(runs)}")
            print(lines[-1], flush=True)
    lines += [
        "",
        "## Two of six entries missing (`missing_mixed.py`'s protocol)",
        "",
        "| table | trained missing | variant | complete | 2 of 6 missing | ratio | per seed |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    for table, rates in missing_mixed.TABLES.items():
        for rate in rates:
            for variant in VARIANTS:
                use(variant)
                cells = np.array(
                    [missing_mixed.run(table, rate, kind, "refill", s) for s in args.seeds]
                )
                lines.append(
                    f"| {table} | {rate:.0%} | {variant} | {missing_mixed.ratio_cells(cells)}"
                )
                print(lines[-1], flush=True)
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
