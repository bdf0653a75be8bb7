"""One corrupt value in a small ``partial_fit`` chunk, and the detector.

A detector fitted on 1,000 rows of six correlated features (contamination=0.1)
is given one more ``partial_fit`` chunk of 10 ordinary rows, one of them with a
value ``--far`` standard deviations out in its first feature; then a clean chunk.
The table gives, for each kind, the share of clear outliers (held-out rows moved 8
standard deviations in the third feature) and of held-out normal rows that
``predict`` flags before, after the corrupt chunk, and after the clean one, and
the warnings the corrupt chunk raised.

Run: ``python benchmarks/stream_outlier_rows.py`` (about 20 s). To measure another
version, put its package first on ``PYTHONPATH`` (``git archive <commit> | tar -x -C
/tmp/snap``, then ``PYTHONPATH=/tmp/snap python .../stream_outlier_rows.py``).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

import skae

KINDS = (
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "VariationalAutoEncoder",
    "ContractiveAutoEncoder",
)


def flagged(model, X: np.ndarray) -> float:
    return float(np.mean(model.predict(X) == -1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--far", type=float, default=1e6)
    args = parser.parse_args()
    rng = np.random.default_rng(13)
    mixing = rng.normal(size=(6, 6))
    X = rng.normal(size=(1000, 6)) @ mixing
    normal = rng.normal(size=(200, 6)) @ mixing
    outliers = normal.copy()
    outliers[:, 2] += 8 * X[:, 2].std()
    corrupt = X[10:20].copy()
    corrupt[0, 0] = args.far * X[:, 0].std()
    print(f"skae {skae.__version__}; one value {args.far:g} sd out in a 10-row chunk\n")
    print(
        "| kind | outliers flagged: before / after / after a clean chunk "
        "| normal rows flagged: before / after / after a clean chunk | warnings |"
    )
    print("|---|---|---|---|")
    for name in KINDS:
        model = getattr(skae, name)(max_epochs=10, random_state=0, contamination=0.1).fit(X)
        shares = [(flagged(model, outliers), flagged(model, normal))]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                model.partial_fit(corrupt)
            except ValueError as exc:  # a version that refused the chunk
                print(f"| {name} | partial_fit raised: {str(exc)[:70]}... | | |")
                continue
        shares.append((flagged(model, outliers), flagged(model, normal)))
        model.partial_fit(X[20:30])
        shares.append((flagged(model, outliers), flagged(model, normal)))
        out = " / ".join(f"{a:.3f}" for a, _ in shares)
        norm = " / ".join(f"{b:.3f}" for _, b in shares)
        print(f"| {name} | {out} | {norm} | {len(caught)} |")


if __name__ == "__main__":
    main()
