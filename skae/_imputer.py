"""Missing values filled with an autoencoder's reconstruction."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin, _fit_context, clone
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import BaseAutoEncoder
from ._categorical import (
    _dtype_kind,
    check_no_temporal_columns,
    dictionary_values,
    numbers_in_dtype,
    object_numbers_as_float,
    resolve_categorical,
    series_of,
)
from ._denoising import DenoisingAutoEncoder
from ._input import as_pandas, infinite_entries_error, rows_of_one_length
from ._locking import lock_of, reading

#: Training length of the default estimator: imputation gains from long
#: training, which a detector's 20-epoch cap would cut short.
IMPUTER_MAX_EPOCHS = 100


class AutoEncoderImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Impute missing values with the reconstruction of an autoencoder.

    Goes where :class:`~sklearn.impute.SimpleImputer`,
    ``KNNImputer`` or ``IterativeImputer`` go: ``fit`` trains an
    autoencoder on the incomplete data (the missing entries, NaN, left out of
    its loss), and ``transform`` returns ``X`` with each missing entry
    replaced by the autoencoder's reconstruction of its row; the observed
    entries are returned unchanged.

    A numeric column with no observed value at fit is kept (scikit-learn's
    imputers drop it unless ``keep_empty_features=True``) and filled with 0,
    with a warning at fit; a categorical one is refused, even when its dtype
    lists categories: no row says which of them to fill in.

    A filled value is the network's reconstruction, not one of the values
    seen, and may lie outside a column's observed range (a count column
    observed from 0 to 4 got fills up to 9 on one table), which
    :class:`~sklearn.impute.SimpleImputer` and ``KNNImputer`` cannot do;
    clip the result where the range is a hard bound.

    Missing entries are NaN (``None`` and ``pd.NA`` read as NaN); there is
    no ``missing_values`` parameter, so a marker such as -1 or ``"?"`` is
    data (replace it with NaN first: ``X.replace("?", np.nan)``), and no
    ``add_indicator``: put :class:`~sklearn.impute.MissingIndicator` beside
    the imputer in a :class:`~sklearn.pipeline.FeatureUnion` for that.

    Parameters
    ----------
    estimator : skae autoencoder, default=None
        The autoencoder to fit (cloned), any kind. None uses
        ``DenoisingAutoEncoder(noise="mask", n_components=max(2, n_features
        // 2), max_epochs=100, early_stopping=False)``. Masking sets random
        entries to the value missing ones are filled with (a categorical
        column's whole, as a missing category is), so training practises
        exactly what imputation asks, reconstructing entries from the rest
        of their row; every row trains, as an imputer places no threshold.
        Imputation wants the best reconstructions, so the code is wider and
        the training longer than a detector's defaults (which stop early so
        as not to learn the outliers): on the 21 ADBench tables, digits and
        MNIST with 10% of the entries removed, the mean RMSE went from 0.741
        (the detector's defaults) to 0.611, and with 30% from 0.793 to 0.707
        (``benchmarks/results/missing.md``). To tune the default's settings
        (``estimator__n_components`` in a grid search, say), pass it
        explicitly: with None there is no estimator to set them on, as in
        scikit-learn's meta-estimators. A convolutional kind takes its images
        as rows of pixels here, since the imputer's ``X`` is 2-D.
    random_state : int, RandomState instance or None, default=None
        Seed of the default estimator; ignored when ``estimator`` is given
        (seed it yourself).

    Attributes
    ----------
    estimator_ : skae autoencoder
        The fitted autoencoder.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when ``X`` has
        feature names that are all strings.

    See Also
    --------
    sklearn.impute.SimpleImputer : Imputes each feature with a statistic of it.
    DenoisingAutoEncoder : The default estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoEncoderImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 4))
    >>> X_missing = X.copy()
    >>> X_missing[::3, 1] = np.nan
    >>> filled = AutoEncoderImputer(random_state=0).fit_transform(X_missing)
    >>> bool(np.isnan(filled).any()), bool(np.all(filled[1::3] == X[1::3]))
    (False, True)
    """

    _parameter_constraints: dict = {
        # A skae autoencoder: only its reconstructions fill the missing entries
        # (a StandardScaler, say, has inverse_transform too and left them NaN).
        "estimator": [BaseAutoEncoder, None],
        "random_state": ["random_state"],
    }

    def __init__(self, estimator=None, *, random_state=None) -> None:
        self.estimator = estimator
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None) -> AutoEncoderImputer:
        """Fit the autoencoder to the incomplete ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries as NaN.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : AutoEncoderImputer
            The fitted imputer.
        """
        # A refit that fails (refused input, or a Ctrl-C before training)
        # leaves the imputer as it was; Ctrl-C during training ends it early
        # and keeps what was trained, as the estimators do. Alone: a transform
        # in another thread saw the new fit's columns with the old estimator_
        # (:mod:`skae._locking`).
        with lock_of(self).write():
            before = dict(vars(self))
            try:
                return self._fit(X)
            except (Exception, KeyboardInterrupt):
                vars(self).clear()
                vars(self).update(before)
                raise

    def _fit(self, X) -> AutoEncoderImputer:
        X = as_pandas(X)  # a pyarrow Table: its columns and dtypes as a DataFrame's
        _refuse_one_dimensional(X)
        rows_of_one_length(X)  # named as the estimators name it
        # Categorical columns as the estimator finds them: it encodes them itself.
        if self.estimator is None:
            spec = "from_dtype"  # the default estimator's
        else:
            spec = getattr(self.estimator, "categorical_features", None)
        mask = resolve_categorical(X, spec)
        check_no_temporal_columns(X, mask, _numeric_columns(X, mask))
        self._categorical = mask is not None
        # The levels of each category of numbers read as numbers, as fitted:
        # a batch's dtype may list only the levels it holds (astype("category")
        # on a few rows), and its fills snapped to those (2.0 became 0.0).
        self._numeric_levels = _numeric_category_levels(X, mask)
        labels = getattr(X, "columns", None)
        if self._categorical:
            validate_data(self, X, skip_check_array=True)
        else:
            X = self._checked_numbers(X, reset=True)
        if self.estimator is None:
            estimator = DenoisingAutoEncoder(
                noise="mask",
                n_components=max(2, self.n_features_in_ // 2),
                max_epochs=IMPUTER_MAX_EPOCHS,
                # Every row trains: an imputer places no threshold.
                early_stopping=False,
                random_state=self.random_state,
            )
        else:
            estimator = clone(self.estimator)
        # The rows an imputer reconstructs have holes, filled with the means:
        # training on half of them filled with reconstructions instead (which
        # a detector does, so that complete rows look familiar) raised the
        # RMSE on the ADBench tables from 0.656 to 0.661 at 10% missing.
        estimator._refill_missing = False
        self.estimator_ = estimator.fit(self._named(X, labels))
        return self

    def _named(self, X, labels=None):
        """Numeric rows as the estimator sees them: under the fitted column
        names, when there are some, so that its messages name the columns; at
        fit, under the table's other labels (integers, tuples), which the
        estimator then checks as it checks its own input."""
        names = getattr(self, "feature_names_in_", None)
        if self._categorical or (names is None and labels is None):
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=labels if names is None else names, copy=False)

    def _checked_numbers(self, X, *, reset: bool) -> np.ndarray:
        """A table of numbers ``X`` checked as scikit-learn checks it (a copy
        out of ``fit``, whose fills go into it), its infinite entries named."""
        try:
            return validate_data(
                self,
                _object_numbers_as_float(X),
                reset=reset,
                dtype=[np.float64, np.float32],
                ensure_all_finite="allow-nan",
                copy=not reset,
            )
        except ValueError as exc:
            named = infinite_entries_error(exc, X)
            if named is None:
                raise
            raise named from exc

    @reading
    def transform(self, X) -> np.ndarray:
        """``X`` with its missing entries filled.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries as NaN.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features), or DataFrame
            ``X`` with each NaN replaced by the reconstruction of its row. A
            DataFrame with categorical columns (``category``, ``object``,
            ``string`` or ``bool`` dtype, as the estimator's
            ``categorical_features`` finds them) comes back as a DataFrame in
            its dtypes, its missing categories filled with the most probable
            category, and its integer columns (``int64``, ``Int64``) filled
            with rounded numbers. Read as numbers only (a table without
            categorical columns, or ``categorical_features=None``), it comes
            back as an array of float numbers, as from scikit-learn's imputers
            (a DataFrame of float64 columns with
            ``set_output(transform="pandas")``; the fills of an integer column
            are not rounded), a ``category`` column of numbers filled with the
            nearest of its levels at fit.
        """
        check_is_fitted(self)
        X = as_pandas(X)
        _refuse_one_dimensional(X)
        rows_of_one_length(X)
        if getattr(self, "_categorical", False):
            if not hasattr(X, "iloc"):
                return self._transform_rows(X)
            return self._transform_frame(X)
        check_no_temporal_columns(X, None, _numeric_columns(X, None))
        levels = {**_numeric_category_levels(X), **getattr(self, "_numeric_levels", {})}
        if hasattr(X, "columns"):
            # Labels other than strings, which scikit-learn does not check:
            # columns in another order were filled from the wrong ones (a
            # probe: -2978 for -2.5), where the estimators refuse them.
            self.estimator_._check_column_labels(X)
        X = self._checked_numbers(X, reset=False)
        if not X.flags.writeable:
            # A single nullable pandas column converts to a read-only array,
            # which copy=True does not copy again.
            X = X.copy()
        missing = np.isnan(X)
        if missing.any():
            rows = missing.any(axis=1)
            codes = self.estimator_.transform(self._named(X[rows]))
            reconstruction = np.asarray(self.estimator_.inverse_transform(codes))
            for j, known in levels.items():
                # A category of numbers is filled with a level of its own, the
                # nearest, as when the table has categorical columns too.
                nearest = np.abs(reconstruction[:, j, None] - known[None, :]).argmin(axis=1)
                reconstruction[:, j] = known[nearest]
            X[rows] = np.where(missing[rows], reconstruction, X[rows])
        return X

    def _transform_frame(self, X):
        """A DataFrame with categorical columns: each missing entry, number or
        category, filled from the reconstruction of its row, in the column's
        dtype."""
        import pandas as pd

        validate_data(self, X, reset=False, skip_check_array=True)
        # The estimator refuses an infinite number, in any row (the rows
        # without a missing entry never reach it).
        self.estimator_._check_input(X, blocks=True)
        X = X.copy()
        categorical = self.estimator_.is_categorical_
        # A copy: pandas may hand out a read-only view.
        missing = np.array(X.isna().to_numpy(), dtype=bool)
        for j in np.flatnonzero(~categorical):
            # A pyarrow float column (read from Parquet) may hold NaN as a
            # value, not as null: not NA for pandas, missing for the model.
            numbers = X.iloc[:, j].to_numpy(dtype=np.float64, na_value=np.nan)
            missing[:, j] |= np.isnan(numbers)
        rows = missing.any(axis=1)
        if rows.any():
            positions = np.flatnonzero(rows)
            part = X.iloc[positions]
            reconstruction = self.estimator_.inverse_transform(self.estimator_.transform(part))
            # By position: the index may repeat labels.
            for j in range(X.shape[1]):
                holes = np.flatnonzero(missing[positions, j])
                if len(holes):
                    column = X.iloc[:, j]
                    filled = reconstruction.iloc[holes, j]
                    values = (
                        filled.to_numpy()
                        if categorical[j]
                        else _in_dtype(
                            filled, column.dtype, getattr(self, "_numeric_levels", {}).get(j)
                        )
                    )
                    if isinstance(column.dtype, pd.CategoricalDtype):
                        # A batch's dtype may list only the categories it holds:
                        # it gains those the model fills in.
                        new = pd.unique(values[~pd.isna(values)])
                        new = [c for c in new if c not in column.cat.categories]
                        if new:
                            X.isetitem(j, self._with_categories(column, new, categorical, j))
                    elif categorical[j]:
                        full = column.to_numpy(dtype=object, copy=True)
                        full[positions[holes]] = values
                        order = self._dictionary_order(column, values, categorical, j)
                        X.isetitem(j, _in_own_dtype(full, column, X.index, order))
                        continue
                    X.iloc[positions[holes], j] = values
        return X

    def _with_categories(self, column, new: list, categorical: np.ndarray, j: int):
        """``column`` (a category) with the ``new`` categories the model
        filled in; an ordered one takes them where the fit's order puts them
        (added at the end, "M" of S < M < L came after "L")."""
        if not column.cat.ordered or not categorical[j]:
            return column.cat.add_categories(new)
        fitted = list(self.estimator_.categories_[int(categorical[:j].sum())])
        order = _in_fit_order(column.name, list(column.cat.categories), new, fitted)
        return column.cat.set_categories(order, ordered=True)

    def _dictionary_order(self, column, values: np.ndarray, categorical: np.ndarray, j: int):
        """An ordered pyarrow dictionary's values with those the model filled
        in where the fit's order puts them (appended, "M" of S < M < L came
        after "L"); None for any other column (its own dictionary first)."""
        import pandas as pd

        if _dtype_kind(column.dtype) != "dictionary" or not column.dtype.pyarrow_dtype.ordered:
            return None
        held = list(dictionary_values(column))
        new = [v for v in pd.unique(values[~pd.isna(values)]) if v not in held]
        fitted = list(self.estimator_.categories_[int(categorical[:j].sum())])
        return np.asarray(_in_fit_order(column.name, held, new, fitted), dtype=object)

    def _transform_rows(self, X) -> np.ndarray:
        """An array with categorical columns (``categorical_features`` as
        indices or a mask): each missing entry filled from the reconstruction
        of its row, the result an array as ``X`` is (object for mixed types)."""
        # The imputer's own checks first, so that a wrong number of columns
        # or rows without the fitted names are reported once, under its name.
        validate_data(self, X, reset=False, skip_check_array=True)
        with warnings.catch_warnings():
            # Said once above, under the imputer's name.
            warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
            self.estimator_._check_input(X, blocks=True)
            X = np.array(X, dtype=object if np.asarray(X).dtype.kind in "OUS" else None, copy=True)
            import pandas as pd

            missing = np.asarray(pd.isna(X), dtype=bool)
            rows = np.flatnonzero(missing.any(axis=1))
            if not len(rows):
                return X
            estimator = self.estimator_
            reconstruction = estimator.inverse_transform(estimator.transform(X[rows]))
        filled = reconstruction.to_numpy(dtype=X.dtype)
        X[rows] = np.where(missing[rows], filled, X[rows])
        return X

    def __getstate__(self) -> dict:
        # Under the lock, as save and transform: a pickle taken while another
        # thread refitted held the new columns with the old estimator_. The
        # state is the live attributes, which pickle walks after this returns,
        # so it is copied under the lock (a probe: a fit during the pickle
        # changed the dictionary being pickled); shallowly, as a fit rebinds
        # them (estimator_ pickles itself under its own lock).
        with lock_of(self).read():
            return dict(super().__getstate__())

    def __sklearn_is_fitted__(self) -> bool:
        # The estimator is the last thing a fit sets: a transform called
        # during the first fit raises NotFittedError, not an AttributeError.
        return "estimator_" in vars(self)

    @reading
    def save(self, path) -> None:
        """Save the fitted imputer to ``path`` without pickle; :func:`skae.load`
        reads it back.

        The file is its estimator's (see :meth:`AutoEncoder.save`), with the
        imputer's parameters and fitted attributes beside; callbacks are not
        saved.

        Parameters
        ----------
        path : str or path-like
            Where to write the file (conventionally ``*.skae``).
        """
        from ._persistence import save

        check_is_fitted(self)
        save(self.estimator_, path, imputer=self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # Categorical columns are filled too, with the estimator's encoding;
        # the tag stays False, as for the estimators (see BaseAutoEncoder).
        tags.input_tags.categorical = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _in_fit_order(name, held: list, new: list, fitted: list) -> list:
    """An ordered column's categories ``held`` with ``new`` ones, in the
    fit's order (``fitted``); the batch's others after them."""
    if [c for c in fitted if c in held] != [c for c in held if c in fitted]:
        raise ValueError(
            f"Column {name!r} is an ordered category whose order differs "
            f"from the fit's ({held} against {fitted}): the categories filled in "
            "have no place in it. Give it the fit's order."
        )
    kept = set(held) | set(new)
    return [c for c in fitted if c in kept] + [c for c in held if c not in fitted]


def _in_own_dtype(values: np.ndarray, column, index, categories: np.ndarray | None = None):
    """A filled categorical column (objects) as a Series on ``index``, in its
    own ``dtype`` (an object, string, boolean or pyarrow dictionary one;
    numbers named categorical), or as objects where that dtype cannot hold
    the categories (a column that came all missing, as float NaN or NaT).
    A Series, not an array: pandas 3 would take an object array of strings
    for its "str" dtype. ``categories``: a dictionary's values, in order (its
    own by default)."""
    import pandas as pd

    if categories is None:
        categories = dictionary_values(column)
    try:
        # A dictionary keeps its own, gaining the categories filled in.
        filled = series_of(values, column.dtype, categories)
    except (TypeError, ValueError, NotImplementedError):
        filled = pd.Series(values, dtype=object)
    filled.index = index
    return filled


def _refuse_one_dimensional(X) -> None:
    """scikit-learn's refusal of a 1-D ``X`` (a pandas Series, one column or
    one row), before anything reads it as a table: a Series of categories
    was "could not convert string to float", or, to an imputer fitted with
    categorical columns, "X does not contain any features" (a probe)."""
    if getattr(X, "ndim", None) == 1:
        check_array(X, dtype=None, ensure_all_finite=False)


def _numeric_category_levels(X, categorical: np.ndarray | None = None) -> dict[int, np.ndarray]:
    """The levels (float64) of each ``category`` column of numbers of a
    DataFrame ``X`` that is not in ``categorical`` (read as numbers), by
    position; none for an array."""
    import pandas as pd

    levels = {}
    # A DataFrame's columns only: an array has no dtypes, and a Series (one
    # dtype, refused before this) failed here with "Float64DType object is
    # not iterable" (a probe).
    for j, dtype in enumerate(X.dtypes if hasattr(X, "columns") else []):
        if categorical is not None and categorical[j]:
            continue
        if isinstance(dtype, pd.CategoricalDtype) and len(dtype.categories):
            if pd.api.types.is_numeric_dtype(dtype.categories.dtype):
                levels[j] = np.asarray(dtype.categories, dtype=np.float64)
    return levels


def _in_dtype(values, dtype, fitted_levels: np.ndarray | None = None) -> np.ndarray:
    """Reconstructed values of a column, in the column's ``dtype``: rounded
    for integers, cast for float32 (pandas refuses to set a float64 there);
    for a category of numbers, the nearest of its ``fitted_levels`` (the
    dtype's own where the fit had none)."""
    import pandas as pd

    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        # A category of numbers the model reads as numbers: the category
        # nearest each reconstruction (each fill, 1.9692 say, became a new
        # category: 3 categories grew to 23).
        levels = np.asarray(dtype.categories)
        if fitted_levels is not None and len(fitted_levels):
            own = dtype.categories.dtype
            levels = np.asarray(fitted_levels, dtype=np.float64)
            if pd.api.types.is_numeric_dtype(own):
                # In the batch's dtype, whose categories a fill must match or
                # join: floats round to their nearest, but integers only where
                # they hold the levels (a batch listing the integers 1 and 4
                # turned the level 2.5 into 2).
                cast = levels.astype(own)
                if own.kind == "f" or np.array_equal(cast.astype(np.float64), levels):
                    levels = cast
        if len(levels) and pd.api.types.is_numeric_dtype(levels.dtype):
            numbers = values.to_numpy(dtype=np.float64)
            nearest = np.abs(numbers[:, None] - levels[None, :].astype(np.float64)).argmin(axis=1)
            return levels[nearest]
        return values.to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        # A boolean column read as numbers (0 and 1): the nearer of the two
        # (pandas refused to store the reconstruction 0.53 in a boolean).
        return values.to_numpy(dtype=np.float64) >= 0.5
    if not numeric:
        return values.to_numpy()
    return numbers_in_dtype(values.to_numpy(dtype=np.float64), dtype)


def _object_numbers_as_float(X):
    """A DataFrame's object columns of numbers as float, missing markers
    (``pd.NA``, ``pd.NaT``, None) as NaN, as the estimators read them;
    scikit-learn's check cannot convert ``pd.NA``."""
    if hasattr(getattr(X, "dtypes", None), "items"):
        return object_numbers_as_float(X)
    return X


def _numeric_columns(X, categorical: np.ndarray | None) -> np.ndarray | None:
    """Which columns of a DataFrame ``X`` the estimator reads as numbers (a
    category of dates there is refused by name); None for other inputs."""
    if not hasattr(getattr(X, "dtypes", None), "items") or len(getattr(X, "shape", ())) != 2:
        return None
    return np.ones(X.shape[1], bool) if categorical is None else ~categorical
