"""Which density on the codes makes the best code term (issue 14, round 15).

``AutoEncoder.score_samples`` adds the codes' log-density per code dimension
to minus the mean normalised reconstruction error. The density is one
Gaussian fitted to all training codes: a mixture flexible enough to sample
well gave a tight group of anomalies its own component, and so a high
density (the clustered type's masking). One Gaussian cannot do that, but on
data whose normal codes form several groups (the species of a penguin
table, the components of the synthetic views) it scores the rows between
and beyond the groups by their distance from one centre, and that spread
is noise beside the reconstruction term.

The candidates, each fitted to the training codes and added to the same
reconstruction term (the estimator's own, so ``gaussian`` reproduces
``current``):

``gaussian``
    the estimator's code term;
``full``
    a full-covariance Gaussian mixture, components chosen by BIC among
    1, 2, 4, 10 (the code density ``sample`` uses; the first release's
    code term);
``tied``
    the same with one covariance shared by every component: a component
    cannot shrink around a tight group, so a group earns density only by its
    share of the rows;
``min``
    the lower of the Gaussian's and the tied mixture's log-densities: a code
    is unusual if either says so;
``min_full``
    the same with the full-covariance mixture;
``min_full_0.25`` / ``min_full_0.5``
    the Gaussian's log-density plus a quarter (a half) of the mixture's
    shortfall below it: between the Gaussian alone and ``min_full``.

The default ``AutoEncoder(random_state=0)`` is fitted once per problem of
``benchmarks/detection.py`` (seed 0: the real sets, the four synthetic types,
one-class MNIST); its reconstruction term and codes are cached in
``--cache``, so a second run only refits the densities.

With ``--categorical``, the same candidates on the mixed tables of
``benchmarks/categorical.py`` (the native ``AutoEncoder(random_state=seed)``,
seeds 0-4, each anomaly kind), where the penguins' species make the normal
codes fall in separate groups.

Run: ``python benchmarks/code_density.py --seeds 0 1 2 [--views ...]`` (about
15 minutes per seed on one thread for every view; ``--csv`` keeps the
per-problem rows); ``python benchmarks/code_density.py --categorical`` (about
2 minutes).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.mixture import GaussianMixture

sys.path.insert(0, str(Path(__file__).resolve().parent))
import detection  # noqa: E402
import score_combinations  # noqa: E402

from skae import AutoEncoder  # noqa: E402
from skae._latent_density import gaussian_log_density  # noqa: E402

VIEWS = score_combinations.VIEWS
CANDIDATES = (
    "current",
    "gaussian",
    "full",
    "tied",
    "min",
    "min_full",
    "min_full_0.25",
    "min_full_0.5",
    "rec",
)
#: The mixtures' candidate numbers of components (the estimator's, for ``sample``).
COMPONENTS = (1, 2, 4, 10)


def dump(view: str, dataset: str, cache: Path, seed: int = 0) -> Path:
    path = cache / f"{view}__{dataset}__{seed}.npz"
    if path.exists():
        return path
    X_train, X_test, y_test = detection.problem(view, dataset, seed)
    model = AutoEncoder(random_state=seed).fit(X_train)
    np.savez(path, **_terms(model, X_train, X_test, y_test))
    print(view, dataset, file=sys.stderr, flush=True)
    return path


def categorical_tables() -> None:
    """Print the candidates' mean ROC-AUC on the mixed tables, seeds 0-4."""
    import categorical
    from sklearn.model_selection import train_test_split

    tables = {"penguins": categorical.penguins(), "synthetic": categorical.synthetic(0)}
    print("| table | kind | " + " | ".join(CANDIDATES) + " |")
    print("|---|---|" + "---:|" * len(CANDIDATES))
    for name, (table, roles) in tables.items():
        for kind in categorical.KINDS:
            results: dict[str, list[float]] = {}
            for seed in range(5):
                data, labels = categorical.plant(table, roles, kind, seed)
                X_train, X_test, _, y_test = train_test_split(
                    data, labels, test_size=0.3, stratify=labels, random_state=seed
                )
                model = AutoEncoder(random_state=seed).fit(X_train)
                terms = _terms(model, X_train, X_test, y_test)
                for candidate, score in candidates(terms).items():
                    results.setdefault(candidate, []).append(roc_auc_score(y_test, score))
            cells = " | ".join(f"{np.mean(results[c]):.3f}" for c in CANDIDATES)
            print(f"| {name} | {kind} | {cells} |", flush=True)


def _terms(model: AutoEncoder, X_train, X_test, y_test) -> dict[str, np.ndarray]:
    """What :func:`candidates` needs of one fitted model."""

    def reconstruction(X) -> np.ndarray:
        return -np.asarray(model.explain(X))[:, :-1].sum(axis=1)

    return {
        "rec_train": reconstruction(X_train),
        "rec_test": reconstruction(X_test),
        "codes_train": model.transform(X_train).astype(np.float64),
        "codes_test": model.transform(X_test).astype(np.float64),
        "code_mean": model.code_mean_,
        "code_covariance": model.code_covariance_,
        "y": y_test,
        "current": -model.score_samples(X_test),
    }


def _mixture(codes: np.ndarray, covariance_type: str) -> GaussianMixture:
    best, best_bic = None, np.inf
    for k in COMPONENTS:
        if k > len(codes) // 2:
            break
        gmm = GaussianMixture(k, covariance_type=covariance_type, random_state=0, reg_covar=1e-6)
        gmm.fit(codes)
        bic = gmm.bic(codes)
        if bic < best_bic:
            best, best_bic = gmm, bic
    return best


def candidates(d) -> dict[str, np.ndarray]:
    """Anomaly scores (higher is more abnormal) of the test rows."""
    train, test = d["codes_train"], d["codes_test"]
    k = train.shape[1]
    gaussian = gaussian_log_density(
        d["code_mean"], d["code_covariance"], torch.as_tensor(test)
    ).numpy()
    full = _mixture(train, "full").score_samples(test)
    tied = _mixture(train, "tied").score_samples(test)
    rec = d["rec_test"]
    return {
        "current": d["current"],
        "gaussian": rec - gaussian / k,
        "full": rec - full / k,
        "tied": rec - tied / k,
        "min": rec - np.minimum(gaussian, tied) / k,
        "min_full": rec - np.minimum(gaussian, full) / k,
        "min_full_0.25": rec - (gaussian + 0.25 * np.minimum(full - gaussian, 0.0)) / k,
        "min_full_0.5": rec - (gaussian + 0.5 * np.minimum(full - gaussian, 0.0)) / k,
        "rec": rec,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", nargs="+", default=list(VIEWS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--csv", type=Path, help="write the per-problem rows here")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/skae_code_density"))
    parser.add_argument("--categorical", action="store_true", help="the mixed tables instead")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.categorical:
        categorical_tables()
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for view in args.views:
        for dataset in score_combinations.datasets(view):
            for seed in args.seeds:
                with np.load(dump(view, dataset, args.cache, seed)) as d:
                    for name, score in candidates(d).items():
                        finite = np.isfinite(score)
                        score = np.where(finite, score, score[finite].max() + 1)
                        rows.append(
                            (
                                view,
                                dataset,
                                seed,
                                name,
                                roc_auc_score(d["y"], score),
                                average_precision_score(d["y"], score),
                            )
                        )
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["view", "dataset", "seed", "density", "roc_auc", "ap"])
    order = {name: i for i, name in enumerate(sorted(frame["dataset"].unique()))}
    frame["half"] = frame["dataset"].map(order) % 2
    if args.csv:
        frame.to_csv(args.csv, index=False)
    for metric in ("roc_auc", "ap"):
        table = frame.pivot_table(index="density", columns="view", values=metric, aggfunc="mean")
        print(f"\nMean {metric} per view\n")
        print(table.round(3).to_markdown())
    halves = frame.pivot_table(
        index="density", columns=["view", "half"], values="roc_auc", aggfunc="mean"
    )
    print("\nMean ROC-AUC per half (alphabetical order, 0 = even)\n")
    print(halves.round(3).to_markdown())


if __name__ == "__main__":
    main()
