"""How the default detector's two score terms are best combined (issue 14).

``AutoEncoder.score_samples`` adds two terms: minus the mean of the
per-feature reconstruction errors (each divided by its training mean), and the
codes' log-density under one Gaussian (per code dimension). The script fits the
default ``AutoEncoder`` once per problem of ``benchmarks/detection.py`` (seed 0
unless ``--seeds``: the real sets, the four synthetic types, one-class MNIST),
keeps both terms on the training and the test rows, and
scores the test rows by several combinations of them, without refitting:

``current``
    the estimator's own score;
``rec`` / ``code``
    one term alone (the code term as the Mahalanobis distance of the code);
``z_iqr``
    each term centred on its training median and divided by its training
    interquartile range, then added (scale-free);
``max_z``
    the larger of the two standardised terms;
``log``
    the sum of the logs of each term over its training median (a product);
``fisher`` / ``fisher_max``
    minus the log of each term's training tail probability (beyond the
    training top 5%, an exponential tail fitted to it), summed, or the larger;
``hinge_1`` / ``hinge_50`` / ``hinge_90``
    the estimator's sum with the code term floored: a code more central than
    the floor (the Gaussian's expected distance, or the training median or
    90th percentile of the distance) counts as the floor, so central codes earn
    no bonus;
``rfloor_5`` / ``rfloor_10`` / ``rfloor_25`` / ``rfloor_50``
    the estimator's sum with the reconstruction term floored at its training
    5th, 10th, 25th or 50th percentile: a row that reconstructs better than that
    (a group of training anomalies the network has learned) earns no bonus,
    and the code term ranks it (thirty-first session);
``likelihood``
    the two terms weighted as in a Gaussian log-likelihood of the whole row
    (``k`` code dimensions, ``d`` residuals): the code term at ``k / d`` of
    the mean reconstruction term, where the estimator's sum gives it a half
    (thirty-second session);
``mcd_scaled``
    the code term under a robust Gaussian of the training codes
    (``MinCovDet``), rescaled to the current term's training median: a robust
    centre and shape without the larger weight that made round 2's robust
    Gaussian lose the local, global and dependency types (thirty-second
    session; caches written since then keep the codes);
``manifold``
    the estimator's score with the code term turned into a density on the
    learned manifold: plus half the log-determinant of the decoder's metric per
    code dimension (``decoder_stretch``; thirty-second session, caches written
    since);
``tail`` / ``tail_w`` / ``hinge90_w`` / ``hinge99_w`` / ``z3``
    a third term, on the inputs rather than the network (thirty-ninth
    session): each feature's two-sided tail probability under the training
    rows' empirical distribution, ``-log min(F(x), 1 - F(x-))`` (at least
    ``1 / (n + 1)``), divided by its training mean and averaged over the
    features, as ``error_scale_`` weighs the reconstruction errors. Alone;
    added to the estimator's score with weight ``w``; added only beyond its
    training 90th or 99th percentile (an alarm for values in the far tails,
    silent elsewhere); or as a third ``z_iqr`` term;
``if_codes`` / ``z_if_codes``
    IsolationForest fitted on the training codes in place of the Gaussian:
    alone, or as a ``z_iqr`` sum with the reconstruction term;
``maha`` / ``sum_maha_w`` / ``z_maha`` / ``rec_maha``
    a third term on the inputs (forty-fourth session, ``--inputs``): each
    row's squared Mahalanobis distance per feature under one Gaussian of the
    standardised training rows (Ledoit-Wolf's shrunk covariance). Alone;
    added with weight ``w`` to the estimator's two terms; as a third
    ``z_iqr`` term beside the estimator's sum; in place of the code term.
    Where the reconstruction term is blind to a group the network learned,
    this term is not, and it sees the relations between features that the
    marginal tail term cannot;
``IF``
    IsolationForest on the same split, for reference.

Run: ``python benchmarks/score_combinations.py`` (about 15 minutes on one
thread; the terms are cached in ``--cache``, so a second run only scores).
Prints the mean ROC-AUC and average precision per view; with ``--grid``, the
mean ROC-AUC of the floored sum for several weights of the code term and
floors (training percentiles of the code's distance). ``--seeds 0 1 2`` takes
the means over those splits (each fitted with ``random_state`` equal to the
split's seed, as ``benchmarks/detection.py`` does; seed 0 alone by default).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from sklearn.covariance import LedoitWolf, MinCovDet
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
import detection  # noqa: E402
import views  # noqa: E402

from skae import AutoEncoder  # noqa: E402
from skae._sizing import auto_n_components  # noqa: E402

VIEWS = ("real", "local", "clustered", "global", "dependency", "mnist")


def terms(model: AutoEncoder, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean normalised reconstruction error and the code's squared
    Mahalanobis distance per code dimension, of each row."""
    contributions = np.asarray(model.explain(X))
    reconstruction = -contributions[:, :-1].sum(axis=1)
    codes = model.transform(X).astype(np.float64)
    chol = np.linalg.cholesky(model.code_covariance_)
    y = np.linalg.solve(chol, (codes - model.code_mean_).T).T
    return reconstruction, (y**2).sum(axis=1) / model.n_components_


def decoder_stretch(model: AutoEncoder, codes: np.ndarray, codes_train: np.ndarray) -> np.ndarray:
    """Half the log-determinant of the decoder's metric ``J^T J`` at each of
    ``codes``, per code dimension: ``J`` the decoder's Jacobian in standardised units
    (central differences of ``inverse_transform``, steps of a tenth of each
    code's training spread). ``-log p(z) + stretch`` is minus the log-density
    that the code Gaussian gives the reconstructions on the learned manifold."""
    codes = codes.astype(np.float64)
    steps = 0.1 * codes_train.std(axis=0)
    columns = []
    for axis, step in enumerate(steps):
        shift = np.zeros(codes.shape[1])
        shift[axis] = step
        up = model.inverse_transform(codes + shift) / model.scale_
        down = model.inverse_transform(codes - shift) / model.scale_
        columns.append((up - down) / (2 * step))
    jacobian = np.stack(columns, axis=2)
    _, logdet = np.linalg.slogdet(np.einsum("ndk,ndl->nkl", jacobian, jacobian))
    return 0.5 * logdet / codes.shape[1]


def dump(view: str, dataset: str, cache: Path, seed: int = 0) -> Path:
    # Seed 0 keeps the file names of the caches written before --seeds existed.
    path = cache / (f"{view}__{dataset}.npz" if seed == 0 else f"{view}__{dataset}__{seed}.npz")
    if path.exists():
        return path
    X_train, X_test, y_test = detection.problem(view, dataset, seed)
    # The seed of the split is also the model's, as in benchmarks/detection.py.
    model = AutoEncoder(random_state=seed).fit(X_train)
    rec_train, code_train = terms(model, X_train)
    rec_test, code_test = terms(model, X_test)
    codes_train, codes_test = model.transform(X_train), model.transform(X_test)
    forest = IsolationForest(random_state=seed).fit(X_train)
    code_forest = IsolationForest(random_state=seed).fit(codes_train)
    np.savez(
        path,
        rec_train=rec_train,
        code_train=code_train,
        rec_test=rec_test,
        code_test=code_test,
        y=y_test,
        current=-model.score_samples(X_test),
        iforest=-forest.score_samples(X_test),
        code_forest_train=-code_forest.score_samples(codes_train),
        code_forest_test=-code_forest.score_samples(codes_test),
        codes_train=codes_train,
        codes_test=codes_test,
        stretch_test=decoder_stretch(model, codes_test, codes_train),
    )
    print(view, dataset, seed, file=sys.stderr, flush=True)
    return path


def _iqr_z(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    q1, median, q3 = np.percentile(train, [25, 50, 75])
    return (test - median) / max(q3 - q1, 1e-12)


def _tail(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """-log of the training tail probability, exponential beyond the top 5%."""
    ordered = np.sort(train)
    n = len(ordered)
    p = 1.0 - np.searchsorted(ordered, test, side="left") / (n + 1)
    log_p = np.log(np.maximum(p, 1.0 / (n + 1)))
    t95 = np.percentile(train, 95)
    beta = max(np.mean(ordered[ordered >= t95] - t95), 1e-12)
    beyond = test > t95
    log_p[beyond] = np.log(0.05) - (test[beyond] - t95) / beta
    return -log_p


def _robust_codes(d, code_t: np.ndarray) -> dict[str, np.ndarray]:
    """``mcd_scaled``: the code term under a robust Gaussian (``MinCovDet``) of
    the training codes, rescaled so that its training median is the current
    term's: a robust shape and centre at the current weight (a cache written
    before the codes were kept has none)."""
    if "codes_train" not in d:
        return {}
    codes_train, codes_test = d["codes_train"].astype(np.float64), d["codes_test"]
    robust = MinCovDet(random_state=0).fit(codes_train)
    k = codes_train.shape[1]
    train, test = robust.mahalanobis(codes_train) / k, robust.mahalanobis(codes_test) / k
    scaled = test * np.median(code_t) / np.median(train)
    return {"mcd_scaled": d["rec_test"] + 0.5 * scaled}


def marginal_tails(X_train: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each feature's ``-log`` two-sided tail probability of each row of ``X``
    under the empirical distribution of ``X_train``, shape ``X.shape``."""
    n = len(X_train)
    ordered = np.sort(X_train, axis=0)
    out = np.empty(X.shape)
    for j in range(X.shape[1]):
        below = np.searchsorted(ordered[:, j], X[:, j], side="right") / n
        above = (n - np.searchsorted(ordered[:, j], X[:, j], side="left")) / n
        out[:, j] = -np.log(np.maximum(np.minimum(below, above), 1.0 / (n + 1)))
    return out


def tail_terms(view: str, dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The mean normalised marginal tail term of the training and test rows."""
    X_train, X_test, _ = detection.problem(view, dataset, seed)
    train = marginal_tails(X_train, X_train)
    scale = np.maximum(train.mean(axis=0), 1e-6)
    return (train / scale).mean(axis=1), (marginal_tails(X_train, X_test) / scale).mean(axis=1)


def input_distances(view: str, dataset: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The squared Mahalanobis distance per feature of the training and test
    rows under one Gaussian of the standardised training rows."""
    X_train, X_test, _ = detection.problem(view, dataset, seed)
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    scale[scale < 1e-12] = 1.0
    gaussian = LedoitWolf().fit((X_train - mean) / scale)
    d = X_train.shape[1]
    return (
        gaussian.mahalanobis((X_train - mean) / scale) / d,
        gaussian.mahalanobis((X_test - mean) / scale) / d,
    )


def _input_combinations(d, distances: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    train, test = distances
    base_t = d["rec_train"] + 0.5 * d["code_train"]
    base = d["rec_test"] + 0.5 * d["code_test"]
    return {
        "maha": test,
        "sum_maha_0.5": base + 0.5 * test,
        "sum_maha_1": base + test,
        "z_maha": _iqr_z(base_t, base) + _iqr_z(train, test),
        "rec_maha": d["rec_test"] + 0.5 * test,
    }


def _tail_combinations(d, tails: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    train, test = tails
    current = d["current"]
    scores = {"tail": test}
    for weight in (0.25, 0.5, 1, 2):
        scores[f"tail_{weight}"] = current + weight * test
    for q in (90, 99):
        excess = np.maximum(test - np.percentile(train, q), 0)
        for weight in (1, 4):
            scores[f"hinge{q}_{weight}"] = current + weight * excess
    scores["z3"] = (
        _iqr_z(d["rec_train"], d["rec_test"])
        + _iqr_z(d["code_train"], d["code_test"])
        + _iqr_z(train, test)
    )
    return scores


def combinations(d, n_features: int, tails=None, distances=None) -> dict[str, np.ndarray]:
    """Anomaly scores (higher is more abnormal) of the test rows of a problem of
    ``n_features`` features; with ``tails`` (:func:`tail_terms`), the
    marginal tail term's combinations too, and with ``distances``
    (:func:`input_distances`) the input Gaussian's."""
    rec, code = d["rec_test"], d["code_test"]
    rec_t, code_t = d["rec_train"], d["code_train"]
    return {
        "current": d["current"],
        "rec": rec,
        "code": code,
        "z_iqr": _iqr_z(rec_t, rec) + _iqr_z(code_t, code),
        "max_z": np.maximum(_iqr_z(rec_t, rec), _iqr_z(code_t, code)),
        "log": np.log(rec / np.median(rec_t)) + np.log((code + 1) / np.median(code_t + 1)),
        "fisher": _tail(rec_t, rec) + _tail(code_t, code),
        "fisher_max": np.maximum(_tail(rec_t, rec), _tail(code_t, code)),
        "hinge_1": rec + 0.5 * np.maximum(code, 1.0),
        "hinge_50": rec + 0.5 * np.maximum(code, np.median(code_t)),
        "hinge_90": rec + 0.5 * np.maximum(code, np.percentile(code_t, 90)),
        "rfloor_5": np.maximum(rec, np.percentile(rec_t, 5)) + 0.5 * code,
        "rfloor_10": np.maximum(rec, np.percentile(rec_t, 10)) + 0.5 * code,
        "rfloor_25": np.maximum(rec, np.percentile(rec_t, 25)) + 0.5 * code,
        "rfloor_50": np.maximum(rec, np.median(rec_t)) + 0.5 * code,
        # Both terms as a Gaussian log-likelihood of the whole row (a code of k
        # dimensions, residuals in d): k/d of the code term beside the mean
        # reconstruction term, where the estimator's per-dimension means give it 1/2.
        "likelihood": rec + auto_n_components(n_features) / n_features * code,
        **_robust_codes(d, code_t),
        **({"manifold": d["current"] + d["stretch_test"]} if "stretch_test" in d else {}),
        "if_codes": d["code_forest_test"],
        "z_if_codes": _iqr_z(rec_t, rec) + _iqr_z(d["code_forest_train"], d["code_forest_test"]),
        "IF": d["iforest"],
        **(_tail_combinations(d, tails) if tails is not None else {}),
        **(_input_combinations(d, distances) if distances is not None else {}),
    }


def print_grid(chosen: list[str], cache: Path, seeds: list[int]) -> None:
    """Mean ROC-AUC per view of ``rec + weight * max(code, floor) / 2``."""
    cells: dict[tuple[str, str], list[float]] = {}
    for view in chosen:
        for dataset, seed in ((d, s) for d in datasets(view) for s in seeds):
            with np.load(dump(view, dataset, cache, seed)) as d:
                rec, code, code_t = d["rec_test"], d["code_test"], d["code_train"]
                for weight in (1, 2, 4, 8):
                    for q in (0, 50, 75, 90):
                        floor = np.percentile(code_t, q) if q else -np.inf
                        score = rec + 0.5 * weight * np.maximum(code, floor)
                        finite = np.isfinite(score)
                        score = np.where(finite, score, score[finite].max() + 1)
                        key = (f"weight {weight}, floor q{q}", view)
                        cells.setdefault(key, []).append(roc_auc_score(d["y"], score))
    rows = sorted({r for r, _ in cells}, key=lambda r: (int(r.split()[1][:-1]), r))
    print("| code weight, floor | " + " | ".join(chosen) + " |")
    print("|---|" + "---:|" * len(chosen))
    for r in rows:
        print(f"| {r} | " + " | ".join(f"{np.mean(cells[r, v]):.3f}" for v in chosen) + " |")


def n_features(view: str, dataset: str) -> int:
    return 784 if view == "mnist" else detection._n_features(dataset)


def datasets(view: str) -> list[str]:
    if view == "mnist":
        return [str(digit) for digit in range(10)]
    names = sorted(views.adbench_datasets())
    if view != "real":
        names = [n for n in names if detection._n_features(n) <= 200]
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", nargs="+", default=list(VIEWS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/skae_score_terms"))
    parser.add_argument("--grid", action="store_true", help="print the floored sums' grid")
    parser.add_argument(
        "--tails", action="store_true", help="also the marginal tail term's combinations"
    )
    parser.add_argument(
        "--inputs", action="store_true", help="also the input Gaussian's combinations"
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="splits and models")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.grid:
        print_grid(args.views, args.cache, args.seeds)
        return
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for view in args.views:
        for dataset, seed in ((d, s) for d in datasets(view) for s in args.seeds):
            path = dump(view, dataset, args.cache, seed)
            tails = tail_terms(view, dataset, seed) if args.tails else None
            distances = input_distances(view, dataset, seed) if args.inputs else None
            with np.load(path) as d:
                scores = combinations(d, n_features(view, dataset), tails, distances)
                for name, score in scores.items():
                    finite = np.isfinite(score)
                    score = np.where(finite, score, score[finite].max() + 1)
                    results.setdefault(view, {}).setdefault(name, []).append(
                        (roc_auc_score(d["y"], score), average_precision_score(d["y"], score))
                    )
    names = list(next(iter(results.values())))
    print("| view | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))
    for view, by_name in results.items():
        cells = [
            f"{np.mean([a for a, _ in by_name[n]]):.3f} ({np.mean([p for _, p in by_name[n]]):.2f})"
            for n in names
        ]
        print(f"| {view} (n={len(by_name[names[0]])}) | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
