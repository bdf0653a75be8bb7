"""Helpers for skae's Sphinx build: offline cross-reference targets and gallery order.

The build must not need the network (CI reaches package registries only), so
the targets of references to other projects' documentation (scikit-learn,
skorch, PyTorch, NumPy, Python) are listed here and written into a local
intersphinx inventory at build time. A reference to a name missing from this
list fails the build (``nitpicky``), so a broken link cannot slip through;
add the name here when the docs start to refer to it.
"""

from __future__ import annotations

import zlib
from pathlib import Path

#: Examples in the order a reader meets the ideas (file names in ``examples/``).
GALLERY_ORDER = [
    "plot_digits_embedding.py",
    "plot_mnist_denoising.py",
    "plot_outlier_detection.py",
    "plot_mixed_table_outliers.py",
    "plot_vae_generation.py",
    "plot_grid_search.py",
    "plot_training_curves.py",
    "plot_sparse_contractive.py",
]


def gallery_order(filename: str) -> tuple[int, str]:
    """Sort key for sphinx-gallery's ``within_subsection_order``."""
    name = Path(filename).name
    position = GALLERY_ORDER.index(name) if name in GALLERY_ORDER else len(GALLERY_ORDER)
    return position, name


def one_torch_thread(gallery_conf: dict, fname: str | None, when: str) -> None:
    """sphinx-gallery's ``reset_modules`` hook: each example trains on one torch
    thread. The examples' networks are too small to split across cores, and
    on a machine whose other cores are busy (CI, a parallel build) the
    threads' spin-waiting made one example take ten times as long."""
    import torch

    torch.set_num_threads(1)


def _sklearn_api(*names: str) -> dict[str, tuple[str, str]]:
    """scikit-learn's classes, functions and methods: each class or function has its own page."""
    targets = {}
    for name in names:
        parent, last = name.rsplit(".", 1)
        if last[0].isupper():
            role, page = "py:class", name
        elif parent.rsplit(".", 1)[-1][0].isupper():
            role, page = "py:method", parent
        else:
            role, page = "py:function", name
        targets[name] = (role, f"modules/generated/{page}.html#{name}")
    return targets


#: ``{project: (base URL, {name: (domain:role, path relative to the base URL)})}``.
EXTERNAL = {
    "sklearn": (
        "https://scikit-learn.org/stable/",
        {
            **_sklearn_api(
                "sklearn.base.BaseEstimator",
                "sklearn.compose.ColumnTransformer",
                "sklearn.datasets.load_breast_cancer",
                "sklearn.datasets.load_digits",
                "sklearn.covariance.EllipticEnvelope",
                "sklearn.decomposition.DictionaryLearning",
                "sklearn.decomposition.FactorAnalysis",
                "sklearn.decomposition.IncrementalPCA",
                "sklearn.decomposition.IncrementalPCA.partial_fit",
                "sklearn.decomposition.KernelPCA",
                "sklearn.decomposition.PCA",
                "sklearn.decomposition.PCA.score_samples",
                "sklearn.impute.MissingIndicator",
                "sklearn.impute.SimpleImputer",
                "sklearn.ensemble.IsolationForest",
                "sklearn.ensemble.HistGradientBoostingRegressor",
                "sklearn.linear_model.LogisticRegression",
                "sklearn.manifold.trustworthiness",
                "sklearn.metrics.RocCurveDisplay",
                "sklearn.metrics.RocCurveDisplay.from_predictions",
                "sklearn.metrics.precision_score",
                "sklearn.metrics.recall_score",
                "sklearn.metrics.roc_auc_score",
                "sklearn.mixture.GaussianMixture",
                "sklearn.model_selection.GridSearchCV",
                "sklearn.model_selection.cross_val_score",
                "sklearn.model_selection.train_test_split",
                "sklearn.neighbors.KernelDensity",
                "sklearn.neighbors.KernelDensity.sample",
                "sklearn.neighbors.KNeighborsClassifier",
                "sklearn.neighbors.LocalOutlierFactor",
                "sklearn.neural_network.MLPRegressor",
                "sklearn.pipeline.FeatureUnion",
                "sklearn.pipeline.Pipeline",
                "sklearn.pipeline.make_pipeline",
                "sklearn.preprocessing.FunctionTransformer",
                "sklearn.preprocessing.MinMaxScaler",
                "sklearn.preprocessing.OneHotEncoder",
                "sklearn.preprocessing.StandardScaler",
                "sklearn.utils.estimator_checks.check_estimator",
                "sklearn.utils.metadata_routing.MetadataRequest",
                "sklearn.utils.metadata_routing.MetadataRouter",
                "sklearn.set_config",
            ),
            # Glossary terms that scikit-learn's inherited docstrings use.
            **{
                term: ("std:term", f"glossary.html#term-{term.replace(' ', '-')}")
                for term in (
                    "fit",
                    "fit_transform",
                    "predict",
                    "transform",
                    "estimator",
                    "estimators",
                    "parameter",
                    "metadata routing",
                    "outlier detector",
                    "outlier detectors",
                    "transformer",
                )
            },
            "metadata_routing": ("std:label", "metadata_routing.html"),
            "df_output_transform": ("std:label", "modules/df_output_transform.html"),
            "sphx_glr_auto_examples_miscellaneous_plot_set_output.py": (
                "std:label",
                "auto_examples/miscellaneous/plot_set_output.html",
            ),
        },
    ),
    "skorch": (
        "https://skorch.readthedocs.io/en/stable/",
        {
            "skorch.NeuralNet": ("py:class", "net.html#skorch.net.NeuralNet"),
            "skorch.net.NeuralNet": ("py:class", "net.html#skorch.net.NeuralNet"),
            "skorch.callbacks": ("py:module", "callbacks.html#module-skorch.callbacks"),
            "skorch.history.History": ("py:class", "history.html#skorch.history.History"),
            **{
                f"skorch.callbacks.{name}": ("py:class", f"callbacks.html#skorch.callbacks.{name}")
                for name in (
                    "Callback",
                    "Checkpoint",
                    "EarlyStopping",
                    "EpochScoring",
                    "LRScheduler",
                    "PrintLog",
                    "ProgressBar",
                )
            },
        },
    ),
    "torch": (
        "https://docs.pytorch.org/docs/stable/",
        {
            "torch.device": ("py:class", "tensor_attributes.html#torch.device"),
            "torch.load": ("py:function", "generated/torch.load.html#torch.load"),
            "torch.save": ("py:function", "generated/torch.save.html#torch.save"),
            "torch.set_num_threads": (
                "py:function",
                "generated/torch.set_num_threads.html#torch.set_num_threads",
            ),
            "torch.nn.Module": ("py:class", "generated/torch.nn.Module.html#torch.nn.Module"),
            "torch.optim.Adam": ("py:class", "generated/torch.optim.Adam.html#torch.optim.Adam"),
            "torch.optim.lr_scheduler.StepLR": (
                "py:class",
                "generated/torch.optim.lr_scheduler.StepLR.html#torch.optim.lr_scheduler.StepLR",
            ),
        },
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        {
            "numpy.memmap": ("py:class", "reference/generated/numpy.memmap.html#numpy.memmap"),
            "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
        },
    ),
    "python": (
        "https://docs.python.org/3/",
        {
            "pickle": ("py:module", "library/pickle.html#module-pickle"),
            "KeyboardInterrupt": ("py:exception", "library/exceptions.html#KeyboardInterrupt"),
            "FloatingPointError": ("py:exception", "library/exceptions.html#FloatingPointError"),
        },
    ),
    "joblib": (
        "https://joblib.readthedocs.io/en/stable/",
        {
            "joblib.dump": ("py:function", "generated/joblib.dump.html#joblib.dump"),
            "joblib.load": ("py:function", "generated/joblib.load.html#joblib.load"),
        },
    ),
}


def write_inventory(path: Path, project: str, targets: dict[str, tuple[str, str]]) -> None:
    """Write ``targets`` as an intersphinx inventory (format version 2) at ``path``."""
    lines = []
    for name, (role, uri) in sorted(targets.items()):
        # Display name "-" means: show the name itself.
        lines.append(f"{name} {role} -1 {uri} -")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.write_bytes(header.encode() + zlib.compress(("\n".join(lines) + "\n").encode()))


def intersphinx_mapping(folder: Path) -> dict[str, tuple[str, str]]:
    """Write one inventory per project under ``folder``; the ``intersphinx_mapping`` for them."""
    folder.mkdir(parents=True, exist_ok=True)
    mapping = {}
    for project, (base_url, targets) in EXTERNAL.items():
        path = folder / f"{project}.inv"
        write_inventory(path, project, targets)
        mapping[project] = (base_url, str(path))
    return mapping
