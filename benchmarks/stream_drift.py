"""A ``partial_fit`` stream that drifts, and the code statistics.

A detector is fitted on 400 rows of nine features of rank two (plus noise);
then ``partial_fit`` is given ten chunks of 400 fresh rows of the same kind,
every feature moved by ``--shift`` (about two standard deviations at the
default 4). For each deterministic kind and data seed the table gives: the
code covariance's trace over that of the codes of the last chunk (1: the
statistics follow the stream; near 0: collapsed), the median over features of
``sample``'s standard deviation over the shifted data's, and the detector on
300 new shifted rows and 30 of them with one feature moved 6 (ROC-AUC of
``score_samples``, and the share of the 30 that ``predict`` flags), beside a
fresh fit on the shifted rows.

Run: ``python benchmarks/stream_drift.py`` (about a minute on one thread). To
measure another version, put its package first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

import skae

KINDS = (
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "SparseAutoEncoder",
    "ContractiveAutoEncoder",
)


def draw(rng: np.random.RandomState, mixing: np.ndarray, n: int) -> np.ndarray:
    return rng.randn(n, 2) @ mixing + 0.2 * rng.randn(n, mixing.shape[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shift", type=float, default=4.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    print(f"skae {skae.__version__}; ten chunks of 400 rows moved by {args.shift:g}\n")
    print(
        "| kind | seed | covariance trace / codes' | sample sd / data sd | ROC-AUC "
        "| outliers flagged | fresh fit ROC-AUC | fresh fit outliers flagged |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in KINDS:
        for seed in args.seeds:
            rng = np.random.RandomState(seed)
            mixing = rng.randn(2, 9)
            X = draw(rng, mixing, 400)
            model = getattr(skae, name)(max_epochs=10, random_state=0).fit(X)
            for _ in range(10):
                last = draw(rng, mixing, 400) + args.shift
                model.partial_fit(last)
            codes = model.transform(last)
            ratio = np.trace(model.code_covariance_) / codes.var(axis=0).sum()
            spread = np.median(model.sample(1000, random_state=0).std(axis=0) / last.std(axis=0))
            new = draw(rng, mixing, 300) + args.shift
            outliers = new[:30].copy()
            outliers[:, 3] += 6.0
            rows, labels = np.vstack([new, outliers]), np.r_[np.zeros(300), np.ones(30)]
            fresh = getattr(skae, name)(max_epochs=10, random_state=0).fit(last)
            cells = []
            for detector in (model, fresh):
                auc = roc_auc_score(labels, -detector.score_samples(rows))
                cells += [f"{auc:.3f}", f"{np.mean(detector.predict(outliers) == -1):.2f}"]
            print(f"| {name} | {seed} | {ratio:.3g} | {spread:.3f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
