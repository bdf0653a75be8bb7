"""The data views on which skae's detection defaults are judged.

A default that wins on one table can be fitted to that table. The detection
benchmark therefore looks at the same detectors through several independent
views, each a list of ``(X_train, X_test, y_test)`` problems:

``real``
    The ADBench datasets as they are (protocol of ``benchmarks/anomaly.py``:
    at most 10,000 rows, stratified 70/30 split per seed, ``StandardScaler``
    fitted on the training part).
``local``, ``clustered``, ``global``, ``dependency``
    ADBench's "realistic synthetic anomalies" (Han et al., *ADBench*, NeurIPS
    2022, section 4.3), generated from each real dataset: a
    ``GaussianMixture`` (full covariances, components chosen by BIC among
    1-9) is fitted to the dataset's standardised normal rows and sampled for
    as many synthetic normal rows; the anomalies (as many as the dataset has)
    come from

    * local: the same mixture with every covariance multiplied by 5;
    * clustered: the same mixture with every mean multiplied by 5;
    * global: uniform within each feature's [min, max] of the synthetic
      normals, widened by 10% of its width on each side (ADBench's own code
      draws from [1.1 min, 1.1 max], about 10% wider in all for centred
      features: a box 1.2 times the normals' range here against 1.1 there;
      IsolationForest's ROC-AUC on this view moves by at most 0.012 between
      the two, checked on wine, Pima, vertebral and Stamps);
    * dependency: each feature drawn independently from a 1-D Gaussian
      kernel density estimate of that feature of the synthetic normals
      (Silverman's bandwidth), which breaks the dependence between features.

    The mixture is fitted once per dataset (``MIXTURE_RECIPE``: seed 0, on at
    most ``MIXTURE_ROWS`` normal rows, ``reg_covar=1e-3``); each seed draws its
    own sample and split. Unlike ADBench, the mixture is fitted to
    standardised rows (so "means times 5" pushes the components away from
    the data's mean, not from the raw origin) and the dependency view's
    normals are the mixture's, not a vine copula's.

    The synthetic rows repeat exactly on one machine and library build, not
    across them: the mixture's fit and numpy's ``multivariate_normal``
    (through an SVD) depend on the linear-algebra library's rounding. On
    another build the same seeds moved IsolationForest's per-view mean
    ROC-AUC by up to 0.006 and PCA's by up to 0.009 (local), the size of some
    of the margins reported; compare detectors within one run, as the
    reports do, not across runs on different machines.
    Datasets with more than ``MAX_SYNTHETIC_FEATURES`` features are left out
    of the synthetic views: a full-covariance mixture on thousands of mostly
    binary features is neither cheap nor a faithful model of them.
``mnist``
    One-class MNIST from the IDX test images: the normal class is one digit,
    the anomalies are other digits drawn at 5% of the normal count; 70/30
    stratified split; ``StandardScaler`` on the training part.

``mnist-features``
    The same one-class problems on 512 dense features of each image instead
    of its pixels: ``relu(x W + b)`` with ``x`` the pixels / 255 and a fixed
    Gaussian ``W`` (784 x 512, variance 1 / 784) and ``b`` (variance 1), seed
    0 (random features). A stand-in for the wide, dense, correlated
    embeddings the project cannot see: no near-constant pixels, every
    feature a mixture of the whole image. Not part of the default views.

Paths: ``SKAE_ADBENCH`` (default ``../shared/data/adbench``) and
``SKAE_MNIST`` (default ``../shared/data/mnist``) beside the repository root.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anomaly  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ADBENCH = Path(os.environ.get("SKAE_ADBENCH", REPO / ".." / "shared" / "data" / "adbench"))
MNIST = Path(os.environ.get("SKAE_MNIST", REPO / ".." / "shared" / "data" / "mnist"))
MIXTURE_ROWS = 5_000
#: The mixture's settings (1e-3 on the covariances' diagonal, where
#: scikit-learn's default is 1e-6, keeps near-constant or binary features from
#: giving singular components); part of the cache key of ``detection.py``.
MIXTURE_RECIPE = {"rows": MIXTURE_ROWS, "components": (1, 9), "reg_covar": 1e-3, "seed": 0}
MAX_SYNTHETIC_FEATURES = 200
SYNTHETIC_TYPES = ("local", "clustered", "global", "dependency")
VIEWS = ("real", *SYNTHETIC_TYPES, "mnist")
#: Views run only when asked for.
EXTRA_VIEWS = ("mnist-features",)
EMBEDDING_DIM = 512

Problem = tuple[np.ndarray, np.ndarray, np.ndarray]


def adbench_datasets(folder: Path = ADBENCH) -> dict[str, Path]:
    """The ADBench ``*.npz`` files of ``folder`` by name, in ADBench's order."""
    return anomaly.find_datasets(folder, None)


def load_adbench(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` of one file, cut as ``benchmarks/anomaly.py`` does."""
    return anomaly.load(path)


def split(X: np.ndarray, y: np.ndarray, seed: int) -> Problem:
    """The split of ``benchmarks/anomaly.py``: stratified 70/30, standardised on the
    training part; the training labels are dropped (the fits are unsupervised)."""
    X_train, X_test, _, y_test = anomaly.split(X, y, seed)
    return X_train, X_test, y_test


def fit_normal_mixture(X: np.ndarray, y: np.ndarray) -> GaussianMixture:
    """The mixture of the synthetic views: BIC's choice among 1-9 full-covariance
    components, fitted to (at most ``MIXTURE_ROWS`` of) the standardised normal rows."""
    normal = StandardScaler().fit_transform(X)[y == 0]
    rng = np.random.RandomState(MIXTURE_RECIPE["seed"])
    rows = MIXTURE_RECIPE["rows"]
    if len(normal) > rows:
        normal = normal[rng.choice(len(normal), rows, replace=False)]
    best, best_bic = None, np.inf
    low, high = MIXTURE_RECIPE["components"]
    for k in range(low, high + 1):
        if k > len(normal) // 2:
            break
        gmm = GaussianMixture(
            k,
            covariance_type="full",
            random_state=MIXTURE_RECIPE["seed"],
            reg_covar=MIXTURE_RECIPE["reg_covar"],
        )
        gmm.fit(normal)
        bic = gmm.bic(normal)
        if bic < best_bic:
            best, best_bic = gmm, bic
    return best


def _draw(gmm: GaussianMixture, n: int, rng: np.random.RandomState, *, cov=1.0, mean=1.0):
    """``n`` rows of ``gmm`` with its covariances times ``cov`` and its means times ``mean``."""
    counts = rng.multinomial(n, gmm.weights_)
    rows = [
        rng.multivariate_normal(mean * mu, cov * sigma, size=c)
        for mu, sigma, c in zip(gmm.means_, gmm.covariances_, counts, strict=True)
        if c
    ]
    return np.vstack(rows)


def synthetic(gmm: GaussianMixture, n_normal: int, n_anomaly: int, kind: str, seed: int):
    """Synthetic normals and anomalies of type ``kind`` (``X``, ``y``)."""
    rng = np.random.RandomState(seed)
    normal = _draw(gmm, n_normal, rng)
    if kind == "local":
        anomalies = _draw(gmm, n_anomaly, rng, cov=5.0)
    elif kind == "clustered":
        anomalies = _draw(gmm, n_anomaly, rng, mean=5.0)
    elif kind == "global":
        low, high = normal.min(axis=0), normal.max(axis=0)
        pad = 0.1 * (high - low)
        anomalies = rng.uniform(low - pad, high + pad, size=(n_anomaly, normal.shape[1]))
    elif kind == "dependency":
        # Sampling a 1-D Gaussian KDE: a random data value plus kernel noise.
        std = normal.std(axis=0)
        iqr = np.subtract(*np.percentile(normal, [75, 25], axis=0))
        spread = np.minimum(std, iqr / 1.349)
        spread = np.where(spread > 0, spread, std)
        bandwidth = 0.9 * spread * n_normal ** (-0.2)
        picks = rng.randint(n_normal, size=(n_anomaly, normal.shape[1]))
        picked = normal[picks, np.arange(normal.shape[1])]
        anomalies = picked + bandwidth * rng.standard_normal(picked.shape)
    else:
        raise ValueError(f"unknown synthetic type {kind!r}")
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(len(normal), int), np.ones(len(anomalies), int)]
    return X, y


def load_mnist(folder: Path = MNIST) -> tuple[np.ndarray, np.ndarray]:
    """The MNIST test images (rows of 784 pixels in [0, 255]) and their labels."""
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "rb") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "rb") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images.astype(np.float64), labels.astype(int)


def random_features(images: np.ndarray, n_features: int = EMBEDDING_DIM) -> np.ndarray:
    """``relu(images / 255 @ W + b)`` with a fixed Gaussian ``W`` and ``b`` (seed 0)."""
    rng = np.random.RandomState(0)
    weights = rng.normal(scale=1 / np.sqrt(images.shape[1]), size=(images.shape[1], n_features))
    bias = rng.normal(size=n_features)
    return np.maximum(images / 255.0 @ weights + bias, 0.0)


def one_class_mnist(images: np.ndarray, labels: np.ndarray, digit: int, seed: int) -> Problem:
    """Normal: ``digit``; anomalies: other digits at 5% of the normal count."""
    rng = np.random.RandomState(seed)
    normal = images[labels == digit]
    others = np.flatnonzero(labels != digit)
    anomalies = images[rng.choice(others, int(round(0.05 * len(normal))), replace=False)]
    X = np.vstack([normal, anomalies])
    y = np.r_[np.zeros(len(normal), int), np.ones(len(anomalies), int)]
    return split(X, y, seed)
