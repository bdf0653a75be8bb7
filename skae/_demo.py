"""The ``skae demo`` job: autoencoders next to their classical counterparts.

Two small benchmarks on datasets shipped with scikit-learn:

* dimensionality reduction on the digits: held-out reconstruction error and
  k-NN accuracy on the codes, against PCA and the training mean;
* outlier detection on the breast cancer data (benign samples plus a few
  malignant ones as outliers): ROC-AUC and average precision of the anomaly
  scores, against IsolationForest and the reconstruction error of PCA.

Every model of the tables is listed once, in :data:`MODELS`; a new kind of
autoencoder joins both tables with one line there.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from ._base import BaseAutoEncoder
from ._contractive import ContractiveAutoEncoder
from ._convolutional import ConvolutionalAutoEncoder
from ._denoising import DenoisingAutoEncoder
from ._persistence import replace_file
from ._sizing import auto_n_components
from ._sparse import SparseAutoEncoder
from ._vanilla import AutoEncoder
from ._variational import VariationalAutoEncoder

#: Training epochs of the autoencoders for dimensionality reduction (longer
#: than the estimators' default of 20, which suits outlier detection), and
#: with ``quick``. The outlier-detection table uses the estimators' defaults.
EPOCHS = 100
QUICK_EPOCHS = 20

#: Code sizes compared on the digits.
N_COMPONENTS = (2, 8)

#: Seed of every split, subsample and model.
SEED = 0

#: Share of the malignant samples kept as outliers in the outlier-detection set.
OUTLIER_FRACTION = 0.1

PLOT_INSTALL_HINT = 'the demo plot needs matplotlib: pip install "skae[plot]"'


class MissingDependencyError(ImportError):
    """An optional dependency that the requested output needs is not installed."""


class PlotWriteError(OSError):
    """The figure could not be written, after the training."""


class _PCAReconstructionError:
    """Outlier detector: StandardScaler, then PCA; score is minus the reconstruction error.

    ``n_components="auto"`` keeps as many components as the autoencoders'
    default has codes for these features.
    """

    def __init__(self, n_components: int | str) -> None:
        self.n_components = n_components

    def fit(self, X: np.ndarray) -> _PCAReconstructionError:
        self.scaler_ = StandardScaler().fit(X)
        k = auto_n_components(X.shape[1]) if self.n_components == "auto" else self.n_components
        self.pca_ = PCA(n_components=k).fit(self.scaler_.transform(X))
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        Z = self.scaler_.transform(X)
        return -np.mean((self.pca_.inverse_transform(self.pca_.transform(Z)) - Z) ** 2, axis=1)


@dataclass(frozen=True)
class Model:
    """A row of the demo's tables.

    Parameters
    ----------
    name : str
        The name in the ``model`` column.
    reducer : callable or None, default=None
        ``reducer(n_components, max_epochs)`` returns an unfitted transformer
        with ``transform`` and ``inverse_transform``; None leaves the model out
        of the dimensionality-reduction table.
    detector : callable or None, default=None
        ``detector(max_epochs)`` returns an unfitted outlier detector with
        ``score_samples`` (higher is more normal); None leaves the model out of
        the outlier-detection table.
    """

    name: str
    reducer: Callable[[int, int], Any] | None = None
    detector: Callable[[int], Any] | None = None


def autoencoder(name: str, cls: type[BaseAutoEncoder], **params: Any) -> Model:
    """The :class:`Model` of a kind of autoencoder, in both tables.

    Parameters
    ----------
    name : str
        The name in the ``model`` column.
    cls : type
        A subclass of :class:`~skae.BaseAutoEncoder`.
    **params
        Extra constructor parameters of ``cls``.

    Returns
    -------
    model : Model
        The model; the dimensionality-reduction table sets ``n_components``,
        the outlier-detection table keeps the default of ``cls``.
    """
    return Model(
        name,
        reducer=lambda k, epochs: cls(
            n_components=k, max_epochs=epochs, random_state=SEED, **params
        ),
        detector=lambda epochs: cls(random_state=SEED, **params),
    )


#: The models of the tables, in table order. The first autoencoder is the one plotted.
MODELS: tuple[Model, ...] = (
    autoencoder("AutoEncoder", AutoEncoder),
    autoencoder("DenoisingAutoEncoder", DenoisingAutoEncoder),
    autoencoder("SparseAutoEncoder", SparseAutoEncoder),
    autoencoder("VariationalAutoEncoder", VariationalAutoEncoder),
    autoencoder("ContractiveAutoEncoder", ContractiveAutoEncoder),
    # Images only: the digits' 8x8 pixels, not the breast cancer table.
    Model(
        "ConvolutionalAutoEncoder",
        reducer=lambda k, epochs: ConvolutionalAutoEncoder(
            n_components=k, image_shape=(1, 8, 8), max_epochs=epochs, random_state=SEED
        ),
    ),
    Model(
        "PCA",
        reducer=lambda k, _: PCA(n_components=k),
        detector=lambda _: _PCAReconstructionError("auto"),
    ),
    Model("IsolationForest", detector=lambda _: IsolationForest(random_state=SEED)),
)

#: Table columns: (header, key of the result row, format, alignment).
Column = tuple[str, str, str, str]
REDUCTION_COLUMNS: tuple[Column, ...] = (
    ("model", "model", "{}", "<"),
    ("n_components", "n_components", "{}", ">"),
    ("test MSE", "mse", "{:.3f}", ">"),
    ("k-NN accuracy", "knn_accuracy", "{:.3f}", ">"),
    ("fit s", "fit_seconds", "{:.2f}", ">"),
)
OUTLIER_COLUMNS: tuple[Column, ...] = (
    ("model", "model", "{}", "<"),
    ("ROC-AUC", "roc_auc", "{:.3f}", ">"),
    ("average precision", "average_precision", "{:.3f}", ">"),
    ("fit s", "fit_seconds", "{:.2f}", ">"),
)


def format_table(columns: Sequence[Column], rows: Sequence[dict[str, Any]]) -> str:
    """Format result rows as an aligned, markdown-style table.

    Parameters
    ----------
    columns : sequence of (header, key, format, alignment)
        One entry per column; ``alignment`` is ``"<"`` (left) or ``">"`` (right).
    rows : sequence of dict
        One dict per row; a value of None prints as ``-``.

    Returns
    -------
    table : str
        The table, one line per row after a header and a rule, no final newline.
    """
    cells = [
        ["-" if row[key] is None else fmt.format(row[key]) for _, key, fmt, _ in columns]
        for row in rows
    ]
    headers = [header for header, *_ in columns]
    widths = [max(len(line[i]) for line in [headers, *cells]) for i in range(len(columns))]
    aligns = [align for *_, align in columns]

    def line(values: Sequence[str]) -> str:
        padded = (
            value.ljust(width) if align == "<" else value.rjust(width)
            for value, width, align in zip(values, widths, aligns, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ":" + "-" * (width + 1) if align == "<" else "-" * (width + 1) + ":"
            for width, align in zip(widths, aligns, strict=True)
        )
        + "|"
    )
    return "\n".join([line(headers), rule, *(line(values) for values in cells)])


@contextlib.contextmanager
def _interrupt_passed_on() -> Iterator[None]:
    """Raise KeyboardInterrupt after a fit that Ctrl-C cut short.

    A fit keeps the model trained so far when interrupted, as skorch does, and
    returns normally; the demo must stop instead of printing that model's
    figures as if it were trained. Outside the main thread no handler can be
    set, and the interrupt goes where Python sends it.
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous == signal.SIG_IGN:
        # No handler can be set here, or Ctrl-C is ignored (a background
        # job): leave it so.
        yield
        return
    interrupted = []

    def note(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt


def _timed_fit(estimator: Any, X: np.ndarray, label: str, out: TextIO) -> float:
    """Fit ``estimator`` on ``X``, with a progress line; return the seconds taken."""
    print(f"  fitting {label} ...", end="", file=out, flush=True)
    start = time.perf_counter()
    with _interrupt_passed_on():
        estimator.fit(X)
    seconds = time.perf_counter() - start
    print(f" {seconds:.2f} s", file=out, flush=True)
    return seconds


def _reduction(epochs: int, out: TextIO) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The dimensionality-reduction benchmark on the digits.

    Returns the table rows, and what the plot needs (fitted models and test data).
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=SEED)
    print(
        f"Dimensionality reduction: digits, {len(X_train)} train / {len(X_test)} test samples, "
        f"{X.shape[1]} pixels in [0, 16]",
        file=out,
        flush=True,
    )

    start = time.perf_counter()
    mean = X_train.mean(axis=0)
    rows = [
        {
            "model": "mean",
            "n_components": None,
            "mse": float(np.mean((X_test - mean) ** 2)),
            "knn_accuracy": None,
            "fit_seconds": time.perf_counter() - start,
        }
    ]
    fitted = {}
    for k in N_COMPONENTS:
        for model in MODELS:
            if model.reducer is None:
                continue
            reducer = model.reducer(k, epochs)
            seconds = _timed_fit(reducer, X_train, f"{model.name} (n_components={k})", out)
            codes_train, codes_test = reducer.transform(X_train), reducer.transform(X_test)
            knn = KNeighborsClassifier(n_neighbors=5).fit(codes_train, y_train)
            rows.append(
                {
                    "model": model.name,
                    "n_components": k,
                    "mse": float(np.mean((X_test - reducer.inverse_transform(codes_test)) ** 2)),
                    "knn_accuracy": float(knn.score(codes_test, y_test)),
                    "fit_seconds": seconds,
                }
            )
            fitted[model.name, k] = reducer
    return rows, {"fitted": fitted, "X_test": X_test, "y_test": y_test}


def _outliers(epochs: int, out: TextIO) -> list[dict[str, Any]]:
    """The outlier-detection benchmark on the breast cancer data; returns the table rows."""
    X, y = load_breast_cancer(return_X_y=True)
    benign, malignant = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    rng = np.random.RandomState(SEED)
    n_outliers = int(round(OUTLIER_FRACTION * len(malignant)))
    outliers = rng.choice(malignant, size=n_outliers, replace=False)
    index = np.concatenate([benign, outliers])
    X, is_outlier = X[index], (y[index] == 0).astype(int)
    X_train, X_test, _, is_outlier_test = train_test_split(
        X, is_outlier, test_size=0.3, stratify=is_outlier, random_state=SEED
    )
    print(
        f"Outlier detection: breast cancer, {len(benign)} benign + {n_outliers} malignant "
        f"(outliers), {len(X_train)} train / {len(X_test)} test samples "
        f"({is_outlier_test.sum()} test outliers), {X.shape[1]} features; fit without labels",
        file=out,
        flush=True,
    )

    rows = []
    for model in MODELS:
        if model.detector is None:
            continue
        detector = model.detector(epochs)
        seconds = _timed_fit(detector, X_train, model.name, out)
        anomaly = -detector.score_samples(X_test)
        rows.append(
            {
                "model": model.name,
                "roc_auc": float(roc_auc_score(is_outlier_test, anomaly)),
                "average_precision": float(average_precision_score(is_outlier_test, anomaly)),
                "fit_seconds": seconds,
            }
        )
    return rows


def _matplotlib() -> tuple[type, type]:
    """matplotlib's ``Figure`` and Agg canvas, or :class:`MissingDependencyError`."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependencyError(PLOT_INSTALL_HINT) from exc
    return Figure, FigureCanvasAgg


def _plot(path: str, data: dict[str, Any]) -> None:
    """Write the demo figure: 2-D codes of the test digits, and a few reconstructions."""
    Figure, FigureCanvasAgg = _matplotlib()
    fitted, X_test, y_test = data["fitted"], data["X_test"], data["y_test"]
    ae_name = next(name for (name, _), est in fitted.items() if isinstance(est, BaseAutoEncoder))

    fig = Figure(figsize=(11, 8.5), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.3, 1])
    top.suptitle("Digits test set in two dimensions")
    classes = np.unique(y_test)
    axes = top.subplots(1, 2)
    for ax, name, axis_label in zip(axes, (ae_name, "PCA"), ("code", "PC"), strict=True):
        codes = fitted[name, 2].transform(X_test)
        for c in classes:
            ax.scatter(*codes[y_test == c].T, s=10, color=f"C{c % 10}", label=str(c))
        ax.set(title=name, xlabel=f"{axis_label} 1", ylabel=f"{axis_label} 2")
    top.legend(*axes[-1].get_legend_handles_labels(), title="digit", loc="outside right center")

    k = max(N_COMPONENTS)
    originals = X_test[[np.flatnonzero(y_test == c)[0] for c in classes]]
    reconstructed = fitted[ae_name, k].inverse_transform(fitted[ae_name, k].transform(originals))
    bottom.suptitle(f"Test digits (top) and their {ae_name} reconstructions, {k} components")
    axes = bottom.subplots(2, len(originals))
    for row, images in zip(axes, (originals, reconstructed), strict=True):
        for ax, image in zip(row, images, strict=True):
            ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
            ax.set_axis_off()
    # format="png": the file is the name given, with or without an extension.
    # Written beside it and renamed over it: a failed write (a full disk)
    # left a truncated figure in place of the one there.
    try:
        replace_file(os.path.realpath(path), lambda file: fig.savefig(file, dpi=100, format="png"))
    except OSError as exc:
        # The checks before training cannot foresee a full disk or a
        # permission changed since.
        raise PlotWriteError(f"cannot write --plot {path}: {exc.strerror or exc}") from exc


def run_demo(
    *, plot: str | Path | None = None, quick: bool = False, out: TextIO | None = None
) -> dict[str, Any]:
    """Run the demo: fit every model of :data:`MODELS`, print the tables, return the numbers.

    Parameters
    ----------
    plot : str, path or None, default=None
        Where to write a PNG figure of the 2-D codes of the digits and of a
        few reconstructions; None draws nothing. Needs matplotlib.
    quick : bool, default=False
        Train the dimensionality-reduction autoencoders for ``QUICK_EPOCHS``
        epochs instead of ``EPOCHS``, for tests (the outlier detectors keep
        their defaults either way).
    out : file-like or None, default=None
        Where progress and tables are printed; None means ``sys.stdout``.

    Returns
    -------
    results : dict
        ``"reduction"``: one dict per row of the dimensionality-reduction table
        (``model``, ``n_components``, ``mse``, ``knn_accuracy``,
        ``fit_seconds``; None where not applicable); ``"outliers"``: one dict
        per row of the outlier-detection table (``model``, ``roc_auc``,
        ``average_precision``, ``fit_seconds``); ``"max_epochs"``, ``"plot"``
        (the path written, or None) and ``"seconds"`` (the total wall time).

    Raises
    ------
    MissingDependencyError
        If ``plot`` is given and matplotlib is not installed; raised before
        any training.
    PlotWriteError
        If the figure cannot be written (a full disk, a permission changed
        since the command line checked the path).
    KeyboardInterrupt
        If a fit was interrupted: its partly trained model is not reported.
    """
    out = sys.stdout if out is None else out
    if plot is not None:
        _matplotlib()
    # The networks are small: extra intra-op threads do not speed them up, and when other
    # processes keep the cores busy their spin-waiting slows training down many times over.
    n_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(plot, epochs=QUICK_EPOCHS if quick else EPOCHS, out=out)
    finally:
        torch.set_num_threads(n_threads)


def _run(plot: str | Path | None, *, epochs: int, out: TextIO) -> dict[str, Any]:
    """The body of :func:`run_demo`."""
    start = time.perf_counter()
    print(
        f"skae demo: autoencoders trained for {epochs} epochs for dimensionality reduction, "
        f"with their defaults for outlier detection; seed {SEED}\n",
        file=out,
    )

    reduction, plot_data = _reduction(epochs, out)
    print(
        "\nHeld-out reconstruction MSE (pixel units) and 5-NN accuracy on the codes:\n",
        file=out,
    )
    print(format_table(REDUCTION_COLUMNS, reduction) + "\n", file=out, flush=True)

    outliers = _outliers(epochs, out)
    print("\nAnomaly scores of the test samples against the outlier labels:\n", file=out)
    print(format_table(OUTLIER_COLUMNS, outliers) + "\n", file=out, flush=True)

    if plot is not None:
        _plot(str(plot), plot_data)
        print(f"wrote {plot}", file=out)
    seconds = time.perf_counter() - start
    print(f"done in {seconds:.1f} s", file=out, flush=True)
    return {
        "reduction": reduction,
        "outliers": outliers,
        "max_epochs": epochs,
        "plot": None if plot is None else str(plot),
        "seconds": seconds,
    }
