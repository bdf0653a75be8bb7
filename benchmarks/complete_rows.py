"""Complete rows scored by a model fitted on incomplete ones (issue 16).

Protocol: tables of ``--features`` correlated columns (``Z @ W + 0.3 * E``,
``Z`` 3 standard normals per row), 1,000 training rows with a share
(``--rates``) of their entries removed at random, for seeds 0 and 1
(``--seeds``); ``AutoEncoder`` and ``VariationalAutoEncoder``
(``contamination=0.05``, ``max_epochs=20``). Test rows: 3,000 new normal rows,
complete and with entries removed at the training rate, and the complete rows
with a spike of 4 standard deviations in one entry. The table gives the share
of rows ``predict`` flags (-1): about 0.05 for the normal rows whatever is
missing, high for the spiked ones; and the ROC-AUC of ``score_samples``
between the spiked and the normal complete rows (how well the spikes are
found whatever the threshold).

Variants (``--variants``), in this process:

- ``filled`` (the default): ``half``, and the calibration of the scores of
  rows with missing entries also re-scores the training rows with their
  missing entries filled (drawn around the network's reconstruction,
  :func:`skae._calibration.filled_copy`), which measures rows more complete
  than the training rows were;
- ``half``: in training, half the rows of each batch have their missing
  entries filled with the network's reconstruction of the row at its means
  (:class:`skae._architectures.AutoEncoderModule`), the others with the
  means; the calibration re-scores the training rows with holes only (skae
  before the twenty-seventh session);
- ``means``: every training row has them filled with the means (skae before
  the twenty-first session): the module gets no map from its output to the
  input's units.

Run: ``python benchmarks/complete_rows.py`` (about 6 minutes on one core, the
default two variants);
writes ``--out`` (default ``benchmarks/results/complete_rows.md``).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import skae
from skae._architectures import AutoEncoderModule

VARIANTS = ("filled", "half", "means")
REFILL = AutoEncoderModule.set_output_map
FILLED_COPY = skae._base.filled_copy


def use(variant: str) -> None:
    """Switch the fill of missing entries for the models fitted next."""
    if variant == "means":
        AutoEncoderModule.set_output_map = lambda module, output_map: REFILL(module, None)
    else:
        AutoEncoderModule.set_output_map = REFILL
    skae._base.filled_copy = FILLED_COPY if variant == "filled" else lambda *args: None


def run(variant: str, seed: int, n_features: int, rate: float) -> list[list]:
    use(variant)
    rng = np.random.RandomState(seed)
    mixing = rng.normal(size=(3, n_features))

    def draw(n: int) -> np.ndarray:
        return rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, n_features))

    rows = []
    for cls in (skae.AutoEncoder, skae.VariationalAutoEncoder):
        X = draw(1000)
        X[rng.uniform(size=X.shape) < rate] = np.nan
        model = cls(random_state=seed, contamination=0.05, max_epochs=20).fit(X)
        test = draw(3000)
        holed = test.copy()
        holed[rng.uniform(size=test.shape) < rate] = np.nan
        column = np.arange(len(test)) % n_features
        spiked = test.copy()
        spiked[np.arange(len(test)), column] += 4 * np.nanstd(X, axis=0)[column]
        flagged = [float(np.mean(model.predict(t) == -1)) for t in (test, holed, spiked)]
        scores = np.r_[model.score_samples(test), model.score_samples(spiked)]
        found = roc_auc_score(np.r_[np.zeros(len(test)), np.ones(len(test))], -scores)
        rows.append([variant, cls.__name__, n_features, rate, seed, *flagged, float(found)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="+", default=["filled", "half"], choices=VARIANTS)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--features", type=int, nargs="+", default=[10, 20, 50, 100])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "complete_rows.md"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    header = [
        "variant",
        "model",
        "columns",
        "training entries missing",
        "seed",
        "complete rows",
        "rows missing as in training",
        "spiked complete rows",
        "ROC-AUC, spiked against normal complete rows",
    ]
    lines = [
        "# Complete rows scored by a model fitted on incomplete ones (issue 16)",
        "",
        f"command: `{' '.join(['python benchmarks/complete_rows.py', *sys.argv[1:]])}`",
        "",
        "Share of test rows flagged (`predict == -1`, `contamination=0.05`), and the "
        "ROC-AUC of the spiked complete rows against the normal ones.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    results = []
    for n_features in args.features:
        for rate in args.rates:
            for seed in args.seeds:
                for variant in args.variants:
                    for row in run(variant, seed, n_features, rate):
                        results.append(row)
                        cells = [
                            f"{v:.3f}" if isinstance(v, float) and v < 1 else str(v) for v in row
                        ]
                        lines.append("| " + " | ".join(cells) + " |")
                        print(lines[-1], flush=True)
    lines += ["", "Means over the seeds and both models:", ""]
    lines += [
        "| variant | columns | training entries missing | complete rows | rows missing as in "
        "training | spiked complete rows | ROC-AUC |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant in args.variants:
        for n_features in args.features:
            for rate in args.rates:
                mine = [
                    r for r in results if r[0] == variant and r[2] == n_features and r[3] == rate
                ]
                means = np.mean([r[5:] for r in mine], axis=0)
                lines.append(
                    f"| {variant} | {n_features} | {rate} | "
                    + " | ".join(f"{m:.3f}" for m in means)
                    + " |"
                )
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines[-(2 + len(args.variants) * len(args.features) * len(args.rates)) :]))


if __name__ == "__main__":
    main()
