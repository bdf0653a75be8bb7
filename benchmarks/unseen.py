"""Detection on problems the defaults were not tuned on: a view independent of the 21
ADBench sets behind ``benchmarks/detection.py``.

Four families of one-class problems, 54 in all, each drawn afresh for every seed:

(a) scikit-learn's bundled tables as one-class problems (17): breast cancer with the
    benign class normal, and each class of wine, iris and digits in turn normal; the
    anomalies are a random draw of the other classes at 5% of the rows.
(b) Synthetic tabular problems (13): ``make_classification`` (an easy and a hard one),
    heavy-tailed normals (Student t, 3 degrees of freedom) against shifted Gaussian
    anomalies, features on scales from 1e-3 to 1e3, 5 informative features among 95 of
    noise (anomalies that break the informative block's correlation, or shift it),
    Poisson counts, binary features, normal rows that repeat 150 distinct rows,
    anomalies that repeat 3 distinct rows, 100 rows in all, and 50,000 rows (local or
    clustered anomalies).
(c) Embedding-like high-dimensional data (4): unit vectors of 384 or 768 dimensions,
    ``tanh`` of a random map of an 8-dimensional Gaussian mixture; the anomalies come
    from a mixture component the normal rows never use, or through another, partly
    related map.
(d) ADBench-style anomaly types (20) generated from four bases (a random Gaussian
    mixture and the standardised breast cancer, wine and diabetes tables): a Gaussian
    mixture is fitted to the base (the number of components by BIC, 1 to 5), 2,000
    normal rows are sampled from it and 105 anomalies of one type: ``local`` (the
    covariances times 5), ``clustered`` (the means times 5), ``global`` (uniform over
    the normal rows' range widened by 5% each side), ``dependency`` (each feature drawn
    independently from a sample of the mixture) and ``tight``: near-duplicates of one
    point (sd 0.02) a few standard deviations from the normal rows' mean.

Protocol (the same as ``benchmarks/anomaly.py``'s on ADBench): a stratified 70/30
train/test split with ``random_state=seed``; a ``StandardScaler`` fitted on the
training part and applied to both; each detector is fitted on the scaled training rows,
the anomalies left in at their natural rate (about 5%) and no labels; the anomaly
score is ``-score_samples`` of the scaled test rows, judged by ROC-AUC and average
precision. Warnings raised while fitting are silenced.

Detectors (the ``DETECTORS`` registry: name -> factory of the seed): the skae kinds
with their defaults and ``random_state=seed``, ``IsolationForest(random_state=seed)``,
PCA reconstruction error with the components that explain 90% of the variance, and
``LocalOutlierFactor(novelty=True)``. ``--extra FILE`` adds the ``EXTRA`` entries of a
Python file, as in ``detection.py`` (the ablation variants of
``detection_variants_*.py``).

Results go to ``--out`` (default ``benchmarks/results/unseen``): ``.csv`` with one row
per problem, seed and detector (written as each problem finishes, then sorted), and
``.md`` with the mean ROC-AUC per problem, the means per family and over all problems,
the collapses (a seed where an autoencoder scores ROC-AUC below 0.6 while
IsolationForest scores above 0.9) and the mean fit seconds.

The problems and the protocol were first written by an independent probe in the
thirty-sixth session; the generators here draw the same numbers.

Run: ``OMP_NUM_THREADS=1 python benchmarks/unseen.py [--seeds 0 1 2] [--families a b c d]
[--problems d_gmm_tight ...] [--detectors AutoEncoder IsolationForest ...] [--extra FILE]
[--jobs 2]`` (everything: about 15 minutes on two processes).
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anomaly import PCAReconstruction  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "benchmarks" / "results" / "unseen"
RATE = 0.05  # the anomalies' share of the rows
TEST_SIZE = 0.3
FIELDS = [
    "problem",
    "family",
    "seed",
    "n",
    "d",
    "rate",
    "detector",
    "roc_auc",
    "average_precision",
    "fit_seconds",
]
FAMILIES = {
    "a": "scikit-learn tables",
    "b": "synthetic tabular",
    "c": "embeddings",
    "d": "anomaly types",
}
BASELINES = ("IsolationForest", "PCA", "LOF")
DEFAULT_DETECTORS = [
    "AutoEncoder",
    "DenoisingAutoEncoder",
    "VariationalAutoEncoder",
    "IsolationForest",
    "PCA",
    "LOF",
]

Problem = tuple[np.ndarray, np.ndarray]  # X, y (1: anomaly)


# --- detectors --------------------------------------------------------------------


def _skae(name: str) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        import skae

        return getattr(skae, name)(random_state=seed)

    return make


#: name -> factory of the seed. Ablation variants are added by ``--extra``.
DETECTORS: dict[str, Callable[[int], Any]] = {
    "AutoEncoder": _skae("AutoEncoder"),
    "DenoisingAutoEncoder": _skae("DenoisingAutoEncoder"),
    "VariationalAutoEncoder": _skae("VariationalAutoEncoder"),
    "SparseAutoEncoder": _skae("SparseAutoEncoder"),
    "ContractiveAutoEncoder": _skae("ContractiveAutoEncoder"),
    "IsolationForest": lambda seed: IsolationForest(random_state=seed),
    "PCA": lambda seed: PCAReconstruction(n_components=0.9),
    "LOF": lambda seed: LocalOutlierFactor(novelty=True),
}


def detector_registry(extra: Path | None = None) -> dict[str, Callable[[int], Any]]:
    """``DETECTORS`` and the ``EXTRA`` entries of the Python file ``extra``, if any."""
    if extra is None:
        return dict(DETECTORS)
    namespace: dict = {"__file__": str(extra)}
    exec(compile(Path(extra).read_text(), str(extra), "exec"), namespace)
    return {**DETECTORS, **namespace["EXTRA"]}


# --- helpers ----------------------------------------------------------------------


def _labelled(normal: np.ndarray, anomalies: np.ndarray) -> Problem:
    """Normal rows then anomalies, with labels 0 then 1."""
    X = np.r_[normal, anomalies]
    return X, np.r_[np.zeros(len(normal)), np.ones(len(anomalies))]


def _n_anomalies(n_normal: int, rate: float = RATE) -> int:
    """Anomalies beside ``n_normal`` normal rows for a share ``rate`` of all rows."""
    return int(rate / (1 - rate) * n_normal)


def random_covariance(d: int, rng: np.random.RandomState, scale: float = 1.0) -> np.ndarray:
    """A random covariance ``A A' / d + 0.1 I`` (A standard normal, d x d)."""
    A = rng.randn(d, d)
    return (A @ A.T / d + 0.1 * np.eye(d)) * scale


def _random_cholesky(d: int, rng: np.random.RandomState) -> np.ndarray:
    return np.linalg.cholesky(random_covariance(d, rng))


# --- (a) scikit-learn's bundled tables --------------------------------------------


def one_class(X: np.ndarray, y: np.ndarray, normal: Sequence[int], seed: int) -> Problem:
    """The rows of the ``normal`` classes and a random 5% of anomalies from the others."""
    rng = np.random.RandomState(seed)
    normal_rows = np.where(np.isin(y, normal))[0]
    other_rows = np.where(~np.isin(y, normal))[0]
    k = max(2, int(round(RATE / (1 - RATE) * len(normal_rows))))
    anomalies = rng.choice(other_rows, k, replace=False)
    return _labelled(X[normal_rows], X[anomalies])


def bundled_class(loader: Callable, normal: int, seed: int) -> Problem:
    """One class of a bundled table normal (breast cancer: 1, benign)."""
    X, y = loader(return_X_y=True)
    return one_class(X, y, normal=[normal], seed=seed)


# --- (b) synthetic tabular problems -----------------------------------------------


def make_classification(seed: int, hard: bool = False) -> Problem:
    """``make_classification`` with classes of 95% and 5% (the minority anomalous)."""
    if hard:
        params = dict(
            n_features=40, n_informative=8, n_redundant=8, n_repeated=4, n_clusters_per_class=3
        )
    else:
        params = dict(n_features=20, n_informative=5, n_redundant=5, n_repeated=3)
    return datasets.make_classification(
        n_samples=3000, weights=[0.95, 0.05], flip_y=0, random_state=seed, **params
    )


def student_t(seed: int, df: int = 3, d: int = 10, n: int = 2000, shift: float = 2.5) -> Problem:
    """Multivariate Student t normals; Gaussian anomalies shifted along a random direction."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    chi2 = rng.chisquare(df, size=(n, 1)) / df
    normal = (rng.randn(n, d) @ L.T) / np.sqrt(chi2)
    k = _n_anomalies(n)
    direction = rng.randn(d)
    direction /= np.linalg.norm(direction)
    anomalies = rng.randn(k, d) @ L.T + shift * np.sqrt(df / (df - 2)) * direction
    return _labelled(normal, anomalies)


def mixed_scales(seed: int, d: int = 12, n: int = 2000) -> Problem:
    """Local anomalies (covariance times 5), features on scales from 1e-3 to 1e3."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    normal = rng.randn(n, d) @ L.T
    k = _n_anomalies(n)
    anomalies = rng.randn(k, d) @ (np.sqrt(5) * L.T)
    scales = np.logspace(-3, 3, d)
    rng.shuffle(scales)
    X, y = _labelled(normal, anomalies)
    return X * scales + rng.randn(d) * scales * 10, y


def noise_features(
    seed: int, informative: int = 5, noise: int = 95, n: int = 2000, kind: str = "corr"
) -> Problem:
    """A correlated informative block (rank 2 plus noise) beside ``noise`` noise features.

    ``kind="corr"``: the anomalies break the block's correlation and keep its marginal
    scales; ``"shift"``: they keep the correlation, shifted 3 sd in every feature.
    """
    rng = np.random.RandomState(seed)
    # Unused; drawn only because the probe drew it first (it consumes the generator).
    _random_cholesky(informative, rng)
    loadings = rng.randn(informative, 2)
    latent = rng.randn(n, 2)
    block = latent @ loadings.T + 0.2 * rng.randn(n, informative)
    k = _n_anomalies(n)
    if kind == "corr":
        anomalies = rng.randn(k, informative) * block.std(0)
    else:
        anomalies = (
            rng.randn(k, 2) @ loadings.T
            + 0.2 * rng.randn(k, informative)
            + 3 * block.std(0) * np.sign(rng.randn(informative))
        )
    X, y = _labelled(block, anomalies)
    return np.c_[X, rng.randn(n + k, noise)], y


def poisson_counts(seed: int, d: int = 15, n: int = 2000) -> Problem:
    """Poisson counts of a 3-factor gamma model; anomalies load the factors differently
    (rescaled to the normal rows' mean rate)."""
    rng = np.random.RandomState(seed)
    loadings = np.abs(rng.randn(d, 3))
    factors = rng.gamma(2.0, 1.0, size=(n, 3))
    normal = rng.poisson(factors @ loadings.T)
    k = _n_anomalies(n)
    factors_a = rng.gamma(2.0, 1.0, size=(k, 3))
    loadings_a = np.abs(rng.randn(d, 3))
    rates_a = factors_a @ loadings_a.T
    anomalies = rng.poisson(rates_a * (factors @ loadings.T).mean() / rates_a.mean())
    X, y = _labelled(normal, anomalies)
    return X.astype(float), y


def binary_features(seed: int, d: int = 30, n: int = 2000) -> Problem:
    """Binary features of a 3-factor logistic model; anomalies with the same marginals,
    independent features."""
    rng = np.random.RandomState(seed)
    loadings = 2 * rng.randn(d, 3)
    latent = rng.randn(n, 3)
    probability = 1 / (1 + np.exp(-(latent @ loadings.T)))
    normal = (rng.rand(n, d) < probability).astype(float)
    k = _n_anomalies(n)
    anomalies = (rng.rand(k, d) < normal.mean(0)).astype(float)
    return _labelled(normal, anomalies)


def duplicated_normals(seed: int, d: int = 8, distinct: int = 150, n: int = 2000) -> Problem:
    """Normal rows that repeat ``distinct`` Gaussian rows; anomalies of twice the sd."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    rows = rng.randn(distinct, d) @ L.T
    normal = rows[rng.randint(0, distinct, n)]
    k = _n_anomalies(n)
    anomalies = rng.randn(k, d) @ (np.sqrt(4) * L.T)
    return _labelled(normal, anomalies)


def duplicated_anomalies(seed: int, d: int = 8, n: int = 2000) -> Problem:
    """Anomalies that repeat 3 distinct far points exactly (masking)."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    normal = rng.randn(n, d) @ L.T
    k = _n_anomalies(n)
    points = rng.randn(3, d) @ L.T * 3
    return _labelled(normal, points[rng.randint(0, 3, k)])


def small_n(seed: int, d: int = 6, n: int = 95) -> Problem:
    """95 Gaussian rows and 5 anomalies of sqrt(6) times the sd."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    normal = rng.randn(n, d) @ L.T
    anomalies = rng.randn(5, d) @ (np.sqrt(6) * L.T)
    return _labelled(normal, anomalies)


def large_n(seed: int, d: int = 4, n: int = 47500, kind: str = "local") -> Problem:
    """A 3-component mixture of 47,500 rows and 2,500 anomalies: ``local`` (covariance
    times 5 around the components) or ``clustered`` (tight clusters at 2.5 times the
    means)."""
    rng = np.random.RandomState(seed)
    L = _random_cholesky(d, rng)
    means = rng.randn(3, d) * 3
    component = rng.randint(0, 3, n)
    normal = means[component] + rng.randn(n, d) @ L.T
    k = 2500
    if kind == "local":
        anomalies = means[rng.randint(0, 3, k)] + rng.randn(k, d) @ (np.sqrt(5) * L.T)
    else:
        anomalies = means[rng.randint(0, 3, k)] * 2.5 + 0.3 * rng.randn(k, d)
    return _labelled(normal, anomalies)


# --- (c) embedding-like data ------------------------------------------------------


def embeddings(
    seed: int,
    dim: int = 384,
    n: int = 2000,
    kind: str = "component",
    latent: int = 8,
    components: int = 5,
) -> Problem:
    """Unit vectors ``tanh(z W' + b) + noise`` of a ``latent``-dimensional mixture.

    The normal rows use ``components`` mixture components; the anomalies an extra one
    (``kind="component"``) or the same ones through another map ``0.5 W + sqrt(0.75) W2``
    (``"map"``).
    """
    rng = np.random.RandomState(seed)
    means = rng.randn(components + 1, latent) * 2.0
    weights = rng.randn(dim, latent) / np.sqrt(latent)
    bias = 0.3 * rng.randn(dim)

    def draw(component: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
        z = means[component] + rng.randn(count, latent) * 0.7
        embedded = np.tanh(z @ weights.T + bias)
        embedded += 0.02 * rng.randn(count, dim)
        return embedded / np.linalg.norm(embedded, axis=1, keepdims=True)

    normal = draw(rng.randint(0, components, n), weights, n)
    k = _n_anomalies(n)
    if kind == "component":
        anomalies = draw(np.full(k, components), weights, k)
    else:
        other = rng.randn(dim, latent) / np.sqrt(latent)
        anomalies = draw(rng.randint(0, components, k), 0.5 * weights + np.sqrt(0.75) * other, k)
    return _labelled(normal, anomalies)


# --- (d) anomaly types from a base ------------------------------------------------


def base_mixture(seed: int, d: int = 10, n: int = 2000, components: int = 3) -> np.ndarray:
    """2,000 rows of a random 3-component Gaussian mixture in 10 dimensions."""
    rng = np.random.RandomState(seed)
    means = rng.randn(components, d) * 2
    covariances = [random_covariance(d, rng) for _ in range(components)]
    component = rng.randint(0, components, n)
    return np.array([rng.multivariate_normal(means[i], covariances[i]) for i in component])


def base_table(name: str, seed: int) -> np.ndarray:
    """A bundled table (the same for every seed): breast cancer's benign rows, wine,
    diabetes."""
    if name == "bc":
        X, y = datasets.load_breast_cancer(return_X_y=True)
        return X[y == 1]
    loader = {"wine": datasets.load_wine, "diabetes": datasets.load_diabetes}[name]
    return loader(return_X_y=True)[0]


def _mixture_like(
    fitted: GaussianMixture, means: np.ndarray, covariances: np.ndarray, seed: int
) -> GaussianMixture:
    """A full-covariance mixture with ``fitted``'s weights and the given moments, to sample."""
    mixture = GaussianMixture(fitted.n_components, covariance_type="full", random_state=seed)
    mixture.weights_ = fitted.weights_
    mixture.means_ = means
    mixture.covariances_ = covariances
    mixture.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(covariances))
    return mixture


def anomaly_type(base: Callable[[int], np.ndarray], kind: str, seed: int, n: int = 2000) -> Problem:
    """``n`` normal rows of a mixture fitted to the standardised ``base`` (components by
    BIC, 1 to 5) and 5% of anomalies of the type ``kind``.

    ``GaussianMixture.sample`` draws from a fresh ``RandomState(seed)`` at every call,
    so the normal rows, the ``local`` and ``clustered`` anomalies and the ``dependency``
    pool start from the same stream: some ``local`` and ``clustered`` anomalies are
    normal rows scaled or shifted (about a third on the ``gmm`` base), as in the probe.
    """
    rng = np.random.RandomState(1000 + seed)
    B = base(seed)
    B = (B - B.mean(0)) / B.std(0)
    best = None
    for components in range(1, 6):
        candidate = GaussianMixture(
            components, covariance_type="full", random_state=seed, reg_covar=1e-3
        ).fit(B)
        bic = candidate.bic(B)
        if best is None or bic < best[0]:
            best = (bic, candidate)
    mixture = best[1]
    normal, _ = mixture.sample(n)
    normal = normal[rng.permutation(n)]
    d = normal.shape[1]
    k = _n_anomalies(n)
    if kind == "local":
        wide = _mixture_like(mixture, mixture.means_, mixture.covariances_ * 5, seed)
        anomalies, _ = wide.sample(k)
    elif kind == "clustered":
        far = _mixture_like(mixture, mixture.means_ * 5, mixture.covariances_, seed)
        anomalies, _ = far.sample(k)
    elif kind == "tight":
        # Near-duplicates of one point 4 d^(1/4) normal-row sds from their mean.
        direction = rng.randn(d)
        offset = direction / np.linalg.norm(direction) * 4 * np.sqrt(d) ** 0.5
        anomalies = normal.mean(0) + offset * normal.std(0) + 0.02 * rng.randn(k, d)
    elif kind == "global":
        low, high = normal.min(0), normal.max(0)
        width = high - low
        anomalies = rng.uniform(low - 0.05 * width, high + 0.05 * width, size=(k, d))
    elif kind == "dependency":
        # The probe first built anomalies by permuting each column of a sample of k rows,
        # then replaced them by the pool's below. Its d permutations are kept, unused,
        # because they advance ``rng`` before the pool's row draws; the sample itself
        # is not: ``sample`` draws from its own fresh generator and advances nothing.
        for _ in range(d):
            rng.permutation(k)
        # Each feature drawn independently from a pool of 20 k mixture rows.
        pool, _ = mixture.sample(20 * k)
        anomalies = np.column_stack([pool[rng.randint(0, len(pool), k), j] for j in range(d)])
    else:
        raise ValueError(f"unknown anomaly type {kind!r}")
    return _labelled(normal, anomalies)


# --- the registry -----------------------------------------------------------------


def _problems() -> dict[str, Callable[[int], Problem]]:
    """name -> generator of the seed, in the report's order (the family is the name's
    first letter)."""
    found: dict[str, Callable[[int], Problem]] = {}
    found["a_breast_cancer"] = partial(bundled_class, datasets.load_breast_cancer, 1)
    for name, loader, n_classes in [
        ("wine", datasets.load_wine, 3),
        ("iris", datasets.load_iris, 3),
        ("digits", datasets.load_digits, 10),
    ]:
        for c in range(n_classes):
            found[f"a_{name}_c{c}"] = partial(bundled_class, loader, c)
    found.update(
        {
            "b_make_classification": make_classification,
            "b_make_classification_hard": partial(make_classification, hard=True),
            "b_student_t_shift": student_t,
            "b_mixed_scales_local": mixed_scales,
            "b_noise95_corrbreak": noise_features,
            "b_noise95_shift": partial(noise_features, kind="shift"),
            "b_integer_poisson": poisson_counts,
            "b_binary_dependency": binary_features,
            "b_duplicated_normals": duplicated_normals,
            "b_duplicated_anomalies": duplicated_anomalies,
            "b_small_n100": small_n,
            "b_large_n50k_local": large_n,
            "b_large_n50k_clustered": partial(large_n, kind="clustered"),
        }
    )
    for dim in (384, 768):
        for kind in ("component", "map"):
            found[f"c_embed{dim}_{kind}"] = partial(embeddings, dim=dim, kind=kind)
    bases = {"gmm": base_mixture} | {
        name: partial(base_table, name) for name in ("bc", "wine", "diabetes")
    }
    for name, base in bases.items():
        for kind in ("local", "clustered", "global", "dependency", "tight"):
            found[f"d_{name}_{kind}"] = partial(anomaly_type, base, kind)
    return found


#: name -> generator of the seed (X, y with y == 1 for anomalies).
PROBLEMS = _problems()


# --- running ----------------------------------------------------------------------


def run_problem(
    name: str, seed: int, detectors: Sequence[str], extra: Path | None = None
) -> list[dict]:
    """Fit each detector on one problem and seed; one result row each."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    registry = detector_registry(extra)  # each process reads ``extra`` itself
    X, y = PROBLEMS[name](seed)
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).astype(int)
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    base = {
        "problem": name,
        "family": name[0],
        "seed": seed,
        "n": len(X),
        "d": X.shape[1],
        "rate": float(y.mean()),
    }
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for detector_name in detectors:
            detector = registry[detector_name](seed)
            roc_auc = average_precision = np.nan
            start = time.perf_counter()
            try:
                detector.fit(X_train)
                fit_seconds = time.perf_counter() - start
                scores = -np.asarray(detector.score_samples(X_test), dtype=float)
                if np.isnan(scores).any():  # reported as a failure, below
                    raise ValueError(f"{int(np.isnan(scores).sum())} NaN scores")
                scores = np.nan_to_num(scores, posinf=1e300, neginf=-1e300)
                roc_auc = roc_auc_score(y_test, scores)
                average_precision = average_precision_score(y_test, scores)
            except Exception as error:  # a failed fit is reported, not fatal
                fit_seconds = time.perf_counter() - start
                print(f"{name}/{seed}/{detector_name}: {error!r}", file=sys.stderr)
            rows.append(
                {
                    **base,
                    "detector": detector_name,
                    "roc_auc": roc_auc,
                    "average_precision": average_precision,
                    "fit_seconds": fit_seconds,
                }
            )
    return rows


def select_problems(families: Sequence[str], names: Sequence[str] | None) -> list[str]:
    """The problems of ``families``, restricted to ``names`` when given."""
    chosen = [p for p in PROBLEMS if p[0] in families]
    if names:
        unknown = sorted(set(names) - set(PROBLEMS))
        if unknown:
            sys.exit(f"error: unknown problems {unknown}; known: {list(PROBLEMS)}")
        chosen = [p for p in chosen if p in names]
    return chosen


# --- the report -------------------------------------------------------------------


def _markdown(
    frame: pd.DataFrame, digits: int = 3, index_label: str = "", signed: Sequence[str] = ()
) -> str:
    """A markdown table: integers as they are, floats to ``digits`` (with a sign in the
    ``signed`` columns), missing values blank."""
    header = [index_label, *map(str, frame.columns)]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            if pd.isna(value):
                cells.append("")
            elif isinstance(value, (int, np.integer)):
                cells.append(str(value))
            else:
                cells.append(f"{value:{'+' if column in signed else ''}.{digits}f}")
        out.append("| " + " | ".join([str(index), *cells]) + " |")
    return "\n".join(out)


def summary(results: pd.DataFrame, detectors: Sequence[str]) -> str:
    """The markdown report of the result rows."""
    order = [p for p in PROBLEMS if p in set(results.problem)]
    means = results.pivot_table(
        index="problem", columns="detector", values="roc_auc", aggfunc="mean"
    ).reindex(index=order, columns=detectors)
    shape = results.groupby("problem")[["n", "d"]].first().reindex(order)
    seeds = results.groupby("problem")["seed"].nunique().reindex(order)
    difference = "AutoEncoder - IsolationForest"
    has_difference = {"AutoEncoder", "IsolationForest"} <= set(detectors)
    lines = ["## Mean ROC-AUC per problem", ""]
    table = pd.concat([shape, seeds.rename("seeds"), means], axis=1)
    if has_difference:
        table[difference] = means["AutoEncoder"] - means["IsolationForest"]
    lines += [_markdown(table.astype(object), index_label="problem", signed=[difference]), ""]

    lines += ["## Means over the problems of each family", ""]
    for metric, label in [("roc_auc", "ROC-AUC"), ("average_precision", "average precision")]:
        per_problem = results.pivot_table(
            index="problem", columns="detector", values=metric, aggfunc="mean"
        ).reindex(index=order, columns=detectors)
        family = per_problem.index.str[0]
        rows = per_problem.groupby(family).mean()
        rows.loc["all"] = per_problem.mean()
        counts = per_problem.groupby(family).size()
        counts.loc["all"] = len(per_problem)
        rows.index = [
            f"{f} ({FAMILIES[f]}, {counts[f]})" if f in FAMILIES else f"all ({counts[f]})"
            for f in rows.index
        ]
        if has_difference:
            rows[difference] = rows["AutoEncoder"] - rows["IsolationForest"]
        table = _markdown(rows, index_label="family (problems)", signed=[difference])
        lines += [f"Mean {label}:", "", table, ""]

    lines += [
        "## Collapses (an autoencoder's ROC-AUC below 0.6 where IsolationForest's is above "
        "0.9, per seed)",
        "",
    ]
    if "IsolationForest" in detectors:
        per_seed = results.pivot_table(
            index=["problem", "seed"], columns="detector", values="roc_auc"
        )
        per_seed = per_seed.reindex(
            sorted(per_seed.index, key=lambda key: (order.index(key[0]), key[1]))
        )
        collapses = []
        for name in [d for d in detectors if d not in BASELINES]:
            hits = per_seed[(per_seed[name] < 0.6) & (per_seed["IsolationForest"] > 0.9)]
            collapses += [
                f"- {name}: {problem} seed {seed}: {row[name]:.3f} "
                f"(IsolationForest {row['IsolationForest']:.3f})"
                for (problem, seed), row in hits.iterrows()
            ]
        lines += collapses or ["none"]
    else:
        lines += ["(IsolationForest not run)"]
    lines += [""]

    fit = results.pivot_table(
        index="detector", columns="family", values="fit_seconds", aggfunc="mean"
    )
    fit["all"] = results.groupby("detector")["fit_seconds"].mean()
    fit = fit.reindex(detectors)
    lines += ["## Mean fit seconds per fit (one thread)", ""]
    lines += [_markdown(fit, digits=2, index_label="detector"), ""]

    failed = results[results.roc_auc.isna()]
    if len(failed):
        lines += ["## Failed fits", ""]
        lines += [f"- {r.detector}: {r.problem} seed {r.seed}" for r in failed.itertuples()]
        lines += [""]
    return "\n".join(lines)


def _versions() -> str:
    import sklearn
    import torch

    import skae

    return (
        f"torch {torch.__version__}, skae {skae.__version__}, scikit-learn "
        f"{sklearn.__version__}, numpy {np.__version__}; one thread per process"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--detectors", nargs="+", default=DEFAULT_DETECTORS)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--problems", nargs="+", help="problem names (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="processes (one thread each)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="path of the results, less .csv and .md"
    )
    parser.add_argument(
        "--extra", type=Path, help="a Python file defining EXTRA: more name -> factory entries"
    )
    args = parser.parse_args(argv)
    extra = args.extra.resolve() if args.extra else None
    registry = detector_registry(extra)
    unknown = [d for d in args.detectors if d not in registry]
    if unknown:
        sys.exit(f"error: unknown detectors {unknown}; known: {list(registry)}")
    names = select_problems(args.families, args.problems)
    tasks = [(name, seed) for name in names for seed in args.seeds]

    from joblib import Parallel, delayed

    csv_path = args.out.with_name(args.out.name + ".csv")
    md_path = args.out.with_name(args.out.name + ".md")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="") as f:
        csv.DictWriter(f, FIELDS).writeheader()
    started = time.perf_counter()
    parallel = Parallel(n_jobs=args.jobs, return_as="generator_unordered")
    jobs = (delayed(run_problem)(name, seed, args.detectors, extra) for name, seed in tasks)
    for i, rows in enumerate(parallel(jobs), 1):
        with csv_path.open("a", newline="") as f:
            csv.DictWriter(f, FIELDS).writerows(rows)
        print(
            f"[{i}/{len(tasks)} {time.perf_counter() - started:.0f}s] "
            f"{rows[0]['problem']}/{rows[0]['seed']}",
            file=sys.stderr,
        )
    wall = time.perf_counter() - started

    # Sorted in the registry's order, seeds and detectors as given.
    results = pd.read_csv(csv_path)
    results["_problem"] = results.problem.map(list(PROBLEMS).index)
    results["_detector"] = results.detector.map(list(args.detectors).index)
    results = results.sort_values(["_problem", "seed", "_detector"])
    results = results.drop(columns=["_problem", "_detector"])
    results.to_csv(csv_path, index=False)

    command = "python benchmarks/unseen.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    report = summary(results, list(args.detectors))
    md_path.write_text(
        "# Detection on unseen problems\n\n"
        f"Command: `OMP_NUM_THREADS=1 {command.strip()}` ({wall / 60:.1f} minutes on "
        f"{args.jobs} process{'es' if args.jobs > 1 else ''})\n\n"
        f"Versions: {_versions()}\n\n"
        f"Problems: {len(names)}; seeds: {' '.join(map(str, args.seeds))}. "
        "The protocol and the problems: the docstring of `benchmarks/unseen.py`.\n\n" + report
    )
    print(report)


if __name__ == "__main__":
    main()
