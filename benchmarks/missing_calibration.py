"""Flag rates by number of missing entries: the ablation behind ``skae._calibration``.

Protocol: 10 correlated features (``Z @ W + 0.3 * E``, ``Z`` 3 standard
normals per row; ``--features``), 1,000 training rows, for seeds 0 and 1
(``--seeds``); ``AutoEncoder`` and
``VariationalAutoEncoder`` (``contamination=0.05``, ``max_epochs=20``) fitted
on complete rows and on rows with 30% of their entries removed at random;
3,000 normal test rows with 0, 3, 6 or 9 of their 10 entries removed (``--missing``), and the
same rows with a spike of 4 standard deviations in one entry that is never
removed. The table gives the share of rows ``predict`` flags (-1): for the
normal rows it should be about 0.05 whatever is missing; for the spiked rows,
high.

Variants (``--variants``): ``off`` (no calibration), ``iqr`` (median and
interquartile range matched per count, linear interpolation), ``iqr+smooth``,
``tail`` (median and the distance down to the 5% quantile), ``tail+smooth``
(the default), ``tail+smooth+cap`` (the default, crediting counts above the
training rows' median count with no narrower tail than that count's). They
replace functions of ``skae._calibration`` in this process.

Run: ``python benchmarks/missing_calibration.py`` (about 5 minutes); writes
``--out`` (default ``benchmarks/results/missing_calibration.md``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch

import skae
import skae._base as base
import skae._calibration as calibration

VARIANTS = ("off", "iqr", "iqr+smooth", "tail", "tail+smooth", "tail+smooth+cap")
MISSING = (0, 3, 6, 9)
DEFAULTS = {
    "fit": calibration.fit_calibration,
    "centre": calibration._centre_and_tail,
    "smooth": calibration._smooth,
}


def _iqr(scores: np.ndarray) -> tuple[float, float]:
    if len(scores) == 0:
        return 0.0, 0.0
    q1, median, q3 = np.percentile(scores, [25.0, 50.0, 75.0])
    return float(median), float(q3 - q1)


def _fit_capped(scores, counts, natural, n_columns, **options):
    """The default, crediting counts above the training rows' median count
    with no narrower tail (no larger scale) than the median count's."""
    shift, scale = DEFAULTS["fit"](scores, counts, natural, n_columns, **options)
    reference = np.isfinite(scores) & natural
    centre_of_reference, _ = calibration._centre_and_tail(scores[reference])
    median = int(np.median(counts[reference]))
    centre = (centre_of_reference - shift) / scale
    above = np.arange(n_columns + 1) > median
    capped = np.where(above, np.minimum(scale, scale[median]), scale)
    return centre_of_reference - capped * centre, capped


def use(variant: str) -> None:
    base.fit_calibration = _fit_capped if variant.endswith("+cap") else DEFAULTS["fit"]
    calibration._centre_and_tail = _iqr if variant.startswith("iqr") else DEFAULTS["centre"]
    if "+smooth" in variant:
        calibration._smooth = DEFAULTS["smooth"]
    else:
        calibration._smooth = lambda at, values, sizes, grid: np.interp(grid, at, values)
    if variant == "off":
        base.fit_calibration = lambda scores, counts, natural, d, **options: (
            np.zeros(d + 1),
            np.ones(d + 1),
        )


def holed(X: np.ndarray, k: int, rng: np.random.RandomState, keep=None) -> np.ndarray:
    X = X.copy()
    for i, row in enumerate(X):
        columns = [c for c in range(X.shape[1]) if keep is None or c != keep[i]]
        row[rng.choice(columns, k, replace=False)] = np.nan
    return X


def run(variant: str, seeds=(0, 1), n_features: int = 10, missing_counts=MISSING) -> list[tuple]:
    use(variant)
    rows = []
    d = n_features
    for seed in seeds:
        rng = np.random.RandomState(seed)
        mixing = rng.normal(size=(3, d))

        def draw(n, rng=rng, mixing=mixing):
            return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, d))

        for cls in (skae.AutoEncoder, skae.VariationalAutoEncoder):
            for missing in (0.0, 0.3):
                X = draw(1000)
                X[rng.uniform(size=X.shape) < missing] = np.nan
                model = cls(random_state=seed, contamination=0.05, max_epochs=20).fit(X)
                test = draw(3000)
                column = np.arange(3000) % d
                spiked = test.copy()
                spiked[np.arange(3000), column] += 4 * np.nanstd(X, axis=0)[column]
                normal = [np.mean(model.predict(holed(test, k, rng)) == -1) for k in missing_counts]
                found = [
                    np.mean(model.predict(holed(spiked, k, rng, keep=column)) == -1)
                    for k in missing_counts
                ]
                rows.append((variant, cls.__name__, seed, missing, normal, found))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--features", type=int, default=10, help="columns of the table")
    parser.add_argument(
        "--missing",
        type=int,
        nargs="+",
        default=list(MISSING),
        help="entries removed from the test rows (each count a column of the table)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results/missing_calibration.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    lines = [
        "# Flag rates by number of missing entries (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/missing_calibration.py', *sys.argv[1:]])}`",
        "",
        f"Share of rows flagged, with {' / '.join(map(str, args.missing))} of "
        f"{args.features} entries missing (contamination=0.05).",
        "",
        "| variant | model | seed | training rows missing | normal rows | spiked rows |",
        "|---|---|---|---|---|---|",
    ]
    summary = []
    for variant in args.variants:
        rows = run(variant, args.seeds, args.features, args.missing)
        for name, model, seed, missing, normal, found in rows:
            lines.append(
                f"| {name} | {model} | {seed} | {missing:.0%} | "
                f"{' / '.join(f'{v:.3f}' for v in normal)} | "
                f"{' / '.join(f'{v:.3f}' for v in found)} |"
            )
        normal = np.array([r[4] for r in rows])
        found = np.array([r[5] for r in rows])
        summary.append(
            f"| {variant} | {normal.min():.3f} | {normal.max():.3f} | "
            f"{np.abs(normal - 0.05).mean():.4f} | {found.min():.3f} | {found.mean():.3f} |"
        )
        print(summary[-1], flush=True)
    lines += [
        "",
        "| variant | normal rows flagged, least | most | mean distance from 0.05 "
        "| spiked rows flagged, least | mean |",
        "|---|---|---|---|---|---|",
        *summary,
    ]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
