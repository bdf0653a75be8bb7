"""Scorers for hyperparameter search without labels.

Each is a callable ``scorer(estimator, X, y=None) -> float``, higher is
better, to pass as ``GridSearchCV(scoring=...)``; they work on any fitted
estimator with the methods they use, a :class:`~sklearn.pipeline.Pipeline`
ending in an autoencoder included. The estimators' own ``score`` (a held-out
log-likelihood) is what a search uses when no scorer is given.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, check_random_state, check_scalar

from ._categorical import object_numbers_as_float
from ._input import as_pandas

#: The mass levels of the mass-volume curve (Goix, 2016): the high-mass level
#: sets, whose boundary is where normal data ends and outliers begin.
MASS_LEVELS = np.linspace(0.9, 0.999, 100)

#: Uniform draws that estimate the volume of each level set.
N_UNIFORM = 10_000


def reconstruction_error_scorer(estimator, X, y=None) -> float:
    """Negative mean squared reconstruction error of ``X``, in its own units.

    The reconstruction is ``estimator.inverse_transform(estimator.transform(X))``:
    for a :class:`~sklearn.pipeline.Pipeline` every step must have an
    ``inverse_transform``, and the error is in the units of the Pipeline's
    input. It favours whichever model reconstructs best, however much more
    capacity that takes (the number of codes above all). So does the
    deterministic kinds' ``score`` wherever the held-out rows reconstruct
    worse than the training rows, as they mostly do: both then rank models
    alike, and neither stops at the data's dimension. The variational kind's
    ``score``, a bound that charges each code, ranks them differently.
    Categorical columns have no squared error: ``X`` with any (as the
    estimator encodes them) raises a ValueError naming the estimator's own
    ``score``, which scores a category by its likelihood.

    Parameters
    ----------
    estimator : object
        A fitted estimator with ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features)
        Held-out data.
    y : Ignored
        Not used, present for API consistency by convention.

    Returns
    -------
    score : float
        ``-mean((X - reconstruction) ** 2)``; higher is better.

    See Also
    --------
    mass_volume_scorer : A label-free criterion for outlier detectors.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skae import AutoEncoder, reconstruction_error_scorer
    >>> X = load_digits().data / 16
    >>> search = GridSearchCV(
    ...     AutoEncoder(max_epochs=5, random_state=0),
    ...     {"n_components": [2, 8]},
    ...     scoring=reconstruction_error_scorer,
    ...     cv=2,
    ... ).fit(X)
    >>> search.best_params_
    {'n_components': 8}
    """
    X = as_pandas(X)  # a polars DataFrame's column dtypes, as the estimator reads them
    rows = _numeric_rows(estimator, X, "reconstruction_error_scorer")
    reconstruction = estimator.inverse_transform(estimator.transform(X))
    reconstruction = np.asarray(reconstruction, dtype=np.float64)
    # The observed entries only: a missing one has nothing to be compared with.
    squared = np.square(rows.reshape(len(rows), -1) - reconstruction)
    if not np.isfinite(squared).any():
        raise ValueError("reconstruction_error_scorer needs at least one observed entry in X.")
    return -float(np.nanmean(squared))


def mass_volume_scorer(
    estimator, X, y=None, *, n_uniform: int = N_UNIFORM, random_state: int = 0
) -> float:
    """Negative area under the mass-volume curve of an outlier detector.

    A label-free criterion for outlier detectors (Goix, "How to evaluate the
    quality of unsupervised anomaly detection algorithms?", 2016): for each
    mass :math:`\\alpha` in [0.9, 0.999], the level set of ``score_samples``
    that holds a fraction :math:`\\alpha` of the held-out samples is found,
    and its volume measured, as the fraction of uniform draws over the
    bounding box of ``X`` that land in it. A detector whose normal region is
    tight (small volume for the same mass) is better; the scorer returns
    minus the mean volume, so higher is better, 0 at best.

    The volumes are estimated with uniform draws, which in high dimension
    almost never land in a tight level set: with a large held-out set every
    detector then scores about 0 (on 20 standard normal features, IsolationForest -0.003
    with 2,000 held-out rows). With a few hundred rows the level sets of the
    largest masses reach out to the lowest held-out scores, so the scores
    spread further apart (though still closer to 0 than to -1), but what
    they rank is mostly how far a
    model's normal region reaches into the empty corners of the box. Goix
    recommends the criterion for at most about 8 features. A box needs
    numbers: ``X`` with categorical columns (as the estimator encodes them)
    raises a ValueError.

    Parameters
    ----------
    estimator : object
        A fitted estimator with ``score_samples`` (higher = more normal).
    X : array-like of shape (n_samples, n_features)
        Held-out data, assumed mostly normal.
    y : Ignored
        Not used, present for API consistency by convention.
    n_uniform : int, default=10000
        Uniform draws that estimate the volumes; pass another value with
        ``functools.partial``.
    random_state : int, default=0
        Seed of the uniform draws. Fixed, so that every model of a search is
        measured on the same draws.

    Returns
    -------
    score : float
        Minus the mean, over the mass levels, of the fraction of the bounding
        box the level set fills; in [-1, 0], higher is better.

    See Also
    --------
    reconstruction_error_scorer : Held-out reconstruction error.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import IsolationForest
    >>> from skae import mass_volume_scorer
    >>> X = np.random.RandomState(0).normal(size=(500, 2))
    >>> good = IsolationForest(random_state=0).fit(X)
    >>> bad = IsolationForest(random_state=0).fit(X + 3)
    >>> mass_volume_scorer(good, X) > mass_volume_scorer(bad, X)
    True
    """
    check_scalar(n_uniform, "n_uniform", Integral, min_val=1)
    # A pyarrow Table's columns are arrays, not names; polars' dtypes are not pandas'.
    X = as_pandas(X)
    array = _numeric_rows(estimator, X, "mass_volume_scorer")
    if len(array) < 2:
        raise ValueError(f"mass_volume_scorer needs at least 2 samples; got {len(array)}.")
    rows = array.reshape(len(array), -1)
    # The box of the observed values (a missing entry bounds nothing).
    low, high = np.fmin.reduce(rows, axis=0), np.fmax.reduce(rows, axis=0)
    if np.isnan(low).any():
        raise ValueError("mass_volume_scorer needs every feature observed in at least one sample.")
    rng = check_random_state(random_state)
    uniform = rng.uniform(low, high, size=(n_uniform, rows.shape[1])).reshape(
        (n_uniform, *array.shape[1:])
    )
    if hasattr(X, "columns"):
        # The draws carry X's column names, as the rows the detector was fitted on.
        import pandas as pd

        uniform = pd.DataFrame(uniform, columns=X.columns)
    scores = np.asarray(estimator.score_samples(X), dtype=np.float64)
    uniform_scores = np.sort(np.asarray(estimator.score_samples(uniform), dtype=np.float64))
    # The level set of mass alpha: the samples scoring at least the
    # (1 - alpha) quantile of the held-out scores.
    thresholds = np.quantile(scores, 1.0 - MASS_LEVELS, method="inverted_cdf")
    inside = n_uniform - np.searchsorted(uniform_scores, thresholds, side="left")
    return -float(np.mean(inside / n_uniform))


def _numeric_rows(estimator, X, scorer: str) -> np.ndarray:
    """``X`` as a float64 array (missing entries NaN); a ValueError naming
    ``scorer`` when it has columns that are not numbers: those a fitted skae
    estimator reading X (itself, a Pipeline's first step or a search's best
    estimator) encodes as categories (``categorical_features`` naming
    columns of numbers), or, for another reader, by their dtype."""
    models = [m for m in (estimator, getattr(estimator, "best_estimator_", None)) if m is not None]
    # A search's best estimator too: wrapped in GridSearchCV (nested
    # cross-validation), categories that are numbers were scored as numbers.
    names = []
    for model in models:
        for step in [model, *_steps(model)]:
            mask = getattr(step, "is_categorical_", None)
            if mask is not None and np.any(mask) and not names:
                labels = getattr(step, "feature_names_in_", np.arange(len(mask)))
                names = [str(label) for label in np.asarray(labels)[np.asarray(mask)]]
    if hasattr(X, "dtypes"):
        import pandas as pd

        # An object column of numbers (and pd.NA) is numeric, as for the estimators.
        X = object_numbers_as_float(X)
        # A skae estimator reading X says which columns are categories: a
        # bool column that categorical_features=None makes a number was
        # refused by its dtype.
        if not any(hasattr(_steps(model)[0], "is_categorical_") for model in models):
            kinds = [
                pd.api.types.is_numeric_dtype(d) and not pd.api.types.is_bool_dtype(d)
                for d in X.dtypes
            ]
            names = names or [
                str(c) for c, numeric in zip(X.columns, kinds, strict=True) if not numeric
            ]
    # The way out is a criterion for the same job: score is one for a
    # reduction, not for detection (docs: choosing.rst).
    if scorer == "mass_volume_scorer":
        instead = (
            "With a few labelled outliers, search with scoring='roc_auc' (y: 1 for "
            "inliers, 0 for outliers); without, keep the defaults, chosen for detection."
        )
    else:
        instead = (
            "Use the estimator's own score (GridSearchCV's default), which scores "
            "categories by their likelihood."
        )
    if names:
        raise ValueError(
            f"{scorer} measures distances between numbers, but X has categorical "
            f"columns: {names}. {instead}"
        )
    try:
        return check_array(X, allow_nd=True, dtype=np.float64, ensure_all_finite="allow-nan")
    except ValueError as exc:
        if "convert" not in str(exc):
            raise
        raise ValueError(
            f"{scorer} measures distances between numbers, but X holds values that are "
            f"not numbers ({exc}). {instead}"
        ) from exc


def _steps(model) -> list:
    """A Pipeline's steps, or ``[model]``."""
    return [step for _, step in getattr(model, "steps", [])] or [model]
