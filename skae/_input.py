"""The input side of every estimator, once: what ``X`` may be and how it
reaches the network.

:class:`InputSide` is the part of :class:`~skae._base.BaseAutoEncoder` that
checks ``X`` (shapes, dtypes, images, columns that are neither numbers nor
categories), learns and applies the categorical encoding
(:mod:`skae._categorical`), and fits and applies the scaling
(:mod:`skae._scaling`), missing entries included; :meth:`_output_map` is
the way back, in the input's units. The base orchestrates fitting and
scoring and calls these; the kinds never touch them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from numbers import Integral

import numpy as np
import torch
from sklearn import get_config
from sklearn.utils import check_array
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data

from ._categorical import (
    CategoricalEncoding,
    CodedRows,
    check_no_complex_columns,
    check_no_temporal_columns,
    object_numbers_as_float,
    resolve_categorical,
    warn_numbers_as_categories,
)
from ._scaling import (
    BLOCK_ROWS,
    CONSTANT_ULPS,
    UNIT_TOLERANCE,
    column_means,
    fit_input_scaling,
    never_observed,
    per_feature_scaling,
    scaled_tensor,
)
from ._warnings import warn_caller

#: A feature counts as constant when decoding if its scaled training values
#: span at most this times its mean over its scale: rounding, as
#: :func:`skae._scaling.fit_input_scaling` decides (values within
#: ``CONSTANT_ULPS`` float64 epsilons of one of them). A varying feature has
#: a spread above that and is scaled by it, so its scaled range (at least 1)
#: lies above this bound; with 1e3 epsilons, values 0 and 1.5 at 1e13 (675
#: epsilons) fitted as varying were decoded as a constant.
CONSTANT_ROUNDING = CONSTANT_ULPS * np.finfo(np.float64).eps


#: The tables of other libraries read as pandas DataFrames: (module, class names).
OTHER_TABLES = (("pyarrow", ("Table", "RecordBatch")), ("polars", ("DataFrame",)))


def as_pandas(X):
    """A table of another library (a pyarrow Table, a polars DataFrame) as a
    pandas DataFrame, so that its column names and dtypes are read as a
    DataFrame's: read as an array, a Table lost its names (columns reordered
    at predict went through) and a string column was not a category.

    Recognised by class, not only by the dataframe interchange protocol:
    polars 2 dropped ``__dataframe__``, and its frames were read as arrays
    (names lost, string and categorical columns refused)."""
    if hasattr(X, "iloc"):
        return X
    polars = sys.modules.get("polars")
    if polars is not None and isinstance(X, getattr(polars, "LazyFrame", ())):
        raise TypeError("X is a polars LazyFrame, a query: collect it first (X.collect()).")
    for module_name, class_names in OTHER_TABLES:
        module = sys.modules.get(module_name)  # not imported: X is none of its
        if module is not None and isinstance(
            X, tuple(getattr(module, name) for name in class_names if hasattr(module, name))
        ):
            return _with_nullable_columns(X.to_pandas(), X)
    if hasattr(X, "__dataframe__") and hasattr(X, "to_pandas"):
        return X.to_pandas()
    return X


#: pandas' nullable dtype for each arrow integer and boolean type.
NULLABLE_DTYPES = {
    **{
        f"{sign}int{bits}": f"{sign.upper()}Int{bits}"
        for sign in ("", "u")
        for bits in (8, 16, 32, 64)
    },
    "bool": "boolean",
}


def _with_nullable_columns(frame, table):
    """``frame`` (``table.to_pandas()``) with the integer and boolean columns
    that hold nulls in pandas' nullable dtypes, as the table has them: the
    plain copy made them float64 and object, and a polars ``Int64`` column
    with one null was filled with 10.31 and given back as float64, where the
    same pandas ``Int64`` column got integers."""
    import pandas as pd

    if not frame.columns.is_unique:
        return frame
    arrow = table
    if not hasattr(getattr(table, "schema", None), "field"):  # not pyarrow's
        if not hasattr(table, "to_arrow"):
            return frame
        arrow = table.to_arrow()  # polars
    for field in arrow.schema:
        nullable = NULLABLE_DTYPES.get(str(field.type))
        if nullable is None or field.name not in frame.columns:
            continue
        column = arrow.column(field.name)
        if column.null_count:
            dtype = pd.api.types.pandas_dtype(nullable)
            frame[field.name] = column.to_pandas(types_mapper={field.type: dtype}.get).array
    return frame


def _numbers_in_float32(X, is_categorical: np.ndarray) -> bool:
    """Whether every numeric column of ``X`` (a DataFrame or an array) is
    float32, and there is one."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "iloc"):
        numeric = [dtypes.iloc[j] for j in np.flatnonzero(~is_categorical)]
        return bool(numeric) and all(d == np.float32 for d in numeric)
    return getattr(X, "dtype", None) == np.float32 and not is_categorical.all()


def _non_numeric_columns(X) -> list:
    """The names of a DataFrame's columns whose dtype is not numeric (or bool)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):  # not a DataFrame (a Series)
        return []
    return [name for name, dtype in dtypes.items() if getattr(dtype, "kind", "O") not in "biufc"]


def _infinite_entries(X) -> tuple[list, list]:
    """The labels of ``X``'s columns holding an infinite number (a
    DataFrame's names, an array's positions) and the first few such rows'
    positions; empty where none can be told."""
    if hasattr(getattr(X, "dtypes", None), "items"):
        columns = [(name, column.to_numpy()) for name, column in X.items()]
    else:
        X = np.asarray(X) if isinstance(X, list | tuple | np.ndarray) else None
        if X is None or X.ndim != 2:
            return [], []
        columns = list(enumerate(X.T))
    labels, rows = [], np.zeros(len(columns[0][1]) if columns else 0, bool)
    for label, values in columns:
        try:
            numbers = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            # Strings and categories (an object array's categorical column
            # too): nothing infinite, or a column of numbers as objects
            # with one, which the test of each entry below finds.
            numbers = np.array([_as_number(value) for value in values])
        infinite = np.isinf(numbers)
        if infinite.any():
            labels.append(label)
            rows |= infinite
    return labels, np.flatnonzero(rows)[:5].tolist()


def _as_number(value: object) -> float:
    """``value`` as a float, or NaN where it is none."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def infinite_entries_error(exc: ValueError, X) -> ValueError | None:
    """scikit-learn's refusal ``exc`` of infinite input ``X``, naming the
    columns and rows that hold them (it names neither: one cell of a wide
    table had to be searched for by hand); None for another error."""
    labels, rows = _infinite_entries(X) if "contains infinity" in str(exc) else ([], [])
    if not labels:
        return None
    named = hasattr(getattr(X, "dtypes", None), "items")
    columns = f"columns {labels}" if named else f"columns at positions {labels}"
    return ValueError(
        f"{exc} The {columns} hold infinite values (first rows by position: {rows}); "
        "a missing entry is NaN, which the estimator accepts."
    )


def _cast_in_batches(X) -> bool:
    """Whether ``X`` is an array of numbers in another dtype than float32 or
    float64 (uint8 images, int16 sensor readings, float16) whose float32 copy
    would not fit in scikit-learn's ``working_memory``: such an array (a
    memmap, say) is cast to float64 a batch at a time, as it is read, rather
    than copied whole (8 bytes an entry, where uint8 holds 1)."""
    return (
        isinstance(X, np.ndarray)
        and X.ndim == 2
        and X.dtype.kind in "biuf"
        and X.dtype not in (np.float32, np.float64)
        and X.size * 4 > get_config()["working_memory"] * 2**20
    )


def _as_float64(rows: np.ndarray) -> np.ndarray:
    return rows.astype(np.float64)


class EncodedRows:
    """The rows of a table with categorical columns, encoded a block at a time
    (or of an array of integers cast a block at a time, see
    :func:`_cast_in_batches`).

    What the inference methods read in place of the whole encoded table,
    which holds a one-hot entry per category and row (100,000 rows of five
    columns of 255 categories: 1 GB in float64), and what ``fit`` trains on
    when that table's float32 copy would not fit in scikit-learn's
    ``working_memory`` (as it does with a memmap). ``rows`` is the table read
    once (:class:`~skae._categorical.CodedRows`: a number or a category's
    index per entry), so that encoding a batch does not go back to pandas.
    Indexing rows, by a slice or by an array of row indices, gives them as
    ``encode`` makes them (checked, in ``dtype``); ``len``, ``shape`` and
    ``dtype`` are the encoded table's, and ``X[rows][:, columns]`` works as
    on an array. Each slice read records which of its rows have no observed
    entry, so :meth:`empty_rows` costs no second encoding after a pass over
    every row.
    """

    def __init__(self, rows: CodedRows, n_encoded: int, encode, dtype) -> None:
        self.rows, self._encode = rows, encode
        self.shape = (len(rows), n_encoded)
        self.dtype = np.dtype(dtype)
        self._empty = np.zeros(len(rows), dtype=bool)
        self._read = np.zeros(len(rows), dtype=bool)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index) -> np.ndarray:
        if isinstance(index, tuple):
            raise TypeError("EncodedRows are indexed by rows only: take columns of the result.")
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        encoded = self._encode(self.rows[index])
        if isinstance(index, slice):
            self._empty[index] = np.isnan(encoded).all(axis=1)
            self._read[index] = True
        return encoded

    def empty_rows(self) -> np.ndarray | None:
        """Which rows have no observed entry; None when none is empty."""
        for start in range(0, len(self), BLOCK_ROWS):
            if not self._read[start : start + BLOCK_ROWS].all():
                self[start : start + BLOCK_ROWS]
        return self._empty.copy() if self._empty.any() else None

    def columns(self, columns: np.ndarray) -> EncodedRows:
        """The same rows with only the encoded ``columns``."""
        return EncodedRows(
            self.rows, len(columns), lambda rows: self._encode(rows)[:, columns], self.dtype
        )


def rows_of_one_length(X):
    """A list of rows as an object array (no category turned into a number,
    nor a number into a string), refused when its rows differ in length;
    any other ``X`` as it is."""
    if hasattr(X, "shape") or hasattr(X, "iloc"):
        return X
    X = np.asarray(X, dtype=object)
    rows = X if X.ndim == 1 else ()  # a scalar (0-d) is check_array's to refuse
    lengths = {np.size(row) for row in rows if isinstance(row, (list, tuple, np.ndarray))}
    if len(lengths) > 1:
        # Rows of different lengths: an object array of lists, which
        # check_array called 1-D data to reshape (and printed whole), and
        # numpy an "inhomogeneous shape".
        raise ValueError(
            f"X is a list of rows of different lengths ({min(lengths)} to "
            f"{max(lengths)} entries): every row needs one entry per column."
        )
    return X


class InputSide:
    """Checking, encoding and scaling ``X`` for the network (a mixin of
    :class:`~skae._base.BaseAutoEncoder`, whose parameters it reads)."""

    def _same_categorical_columns(self) -> bool:
        """Whether ``categorical_features``, as a mask, indices or names (or
        None), names the fitted categorical columns. ``"from_dtype"`` reads
        a DataFrame's dtypes, which a fitted model does not keep, so after a
        DataFrame it is compared as written; data without column names has
        no dtypes to read, and there it means no categorical column."""
        spec = self.categorical_features
        names = getattr(self, "feature_names_in_", None)
        if isinstance(spec, str) and names is not None:
            return False
        if names is not None:
            import pandas as pd

            template = pd.DataFrame(columns=list(names))
        else:
            template = np.empty((0, self.n_features_in_))
        mask = resolve_categorical(template, spec)
        fitted = self.is_categorical_
        if mask is None or fitted is None:
            return mask is None and fitted is None
        return bool(np.array_equal(mask, fitted))

    def _flatten_images(self, X, *, reset: bool = False):
        """Accept 4-D image arrays ``(n, C, H, W)`` for the convolutional
        architecture. At a first fit (``reset``) they are checked against the
        ``image_shape`` parameter, and give the images' shape when it is None;
        later calls check them against the fitted ``image_shape_``."""
        if reset:
            self._input_image_shape = None
            self._check_image_shape()
        conv = (self.architecture if reset else self._fitted_architecture()) == "conv"
        if conv and isinstance(X, (list, tuple)):
            # Nested lists of images are images too, as arrays are.
            try:
                X = np.asarray(X)
            except ValueError as exc:
                raise ValueError(
                    "X is a nested list whose rows or images do not all have one shape; "
                    "give rows of flattened images (n_samples, n_pixels) or images "
                    "(n_samples, channels, height, width)."
                ) from exc
        if conv and getattr(X, "ndim", None) == 4:
            images = tuple(int(v) for v in X.shape[1:])
            shape = self.image_shape if reset else getattr(self, "image_shape_", None)
            if shape is not None and images != tuple(shape):
                # After a fit, the shape fitted, which the parameter (None,
                # or set since) need not be (a probe).
                name = "image_shape" if reset else "the fitted image_shape_"
                raise ValueError(f"X has images of shape {images}, but {name} is {tuple(shape)}.")
            if 0 in X.shape:
                # scikit-learn's check would name the flattened shape, one
                # the user never passed.
                what = "sample(s)" if len(X) == 0 else "feature(s)"
                count = len(X) if len(X) == 0 else int(np.prod(images))
                raise ValueError(
                    f"Found array with {count} {what} (shape={tuple(X.shape)}) while a "
                    f"minimum of 1 is required by {type(self).__name__}."
                )
            if reset:
                self._input_image_shape = images
            return X.reshape(len(X), int(np.prod(images)))
        ndim = getattr(X, "ndim", None)
        if conv and ndim is not None and ndim not in (1, 2, 4):
            # scikit-learn's own message would say only 2-D is accepted.
            # The hint of the channel axis is for 3-D arrays only (a probe
            # got it for a 5-D one).
            hint = (
                "; add the channel axis to images of shape (n_samples, H, W)" if ndim == 3 else ""
            )
            raise ValueError(
                f"Found array with dim {ndim}. {type(self).__name__} with "
                "architecture='conv' takes rows of pixels (n_samples, n_features) or "
                f"images (n_samples, C, H, W){hint}."
            )
        if not conv and ndim == 4:
            # scikit-learn's message ("dim <= 2 is required") did not say that
            # images are the convolutional architecture's (a probe).
            raise ValueError(
                f"Found array with dim 4. {type(self).__name__} with "
                "architecture='dense' takes rows (n_samples, n_features): flatten the "
                "images (X.reshape(len(X), -1)), or set architecture='conv'."
            )
        return X

    def _check_image_shape(self) -> None:
        """Refuse an ``image_shape`` that is not three positive integers, with
        any architecture: scikit-learn checks a parameter's type whether or not
        the other parameters use it."""
        if self.image_shape is None:
            return
        values = np.asarray(self.image_shape, dtype=object)
        # One dimension: [[1, 3, 4]] would pass once flattened, and stay the
        # parameter a saved model keeps.
        if (
            values.ndim != 1
            or len(values) != 3
            or not all(
                isinstance(v, Integral | np.integer)
                and not isinstance(v, bool | np.bool_)
                and v >= 1
                for v in values
            )
        ):
            raise InvalidParameterError(
                f"The 'image_shape' parameter of {type(self).__name__} must be None or three "
                f"positive integers (channels, height, width). Got {self.image_shape!r} instead."
            )

    def _fit_scaling(self, X: np.ndarray) -> None:
        self._fit_scaling_statistics(X)
        # A column with no value here has no centre or spread to read later
        # values by: they are read as missing, as its entries were here (taken
        # as the constant 0, a sensor that began to report flagged every row).
        self._never_observed = never_observed(X)
        # A missing entry reaches the encoder as its feature's training mean:
        # 0 once centred per feature; otherwise (binary cross-entropy, and
        # scaling "global" or "none") that mean in the scaled units, not 0,
        # which may lie outside every value the feature takes.
        self._input_fill = None
        encoding = self._encoding()
        if not per_feature_scaling(self.scaling, self.loss == "binary_crossentropy"):
            fill = (column_means(X, self._entry_names()) - self.mean_) / self.scale_
            if encoding is not None:
                fill[encoding.one_hot_mask()] = 0.0  # centred on their frequencies
            self._input_fill = fill

    def _numeric_columns(self, X) -> Iterator[np.ndarray]:
        """The numeric columns of the checked rows ``X`` (from
        :meth:`_validated`), one at a time in float64, NaN where missing:
        what the screen of the training rows (:mod:`skae._screen`) ranks. A
        categorical column's rarity is in the score already (a rare
        category is as loud as its frequency makes it), so it is not among
        them."""
        encoding = self._encoding()
        if isinstance(X, EncodedRows):
            # Read as they are stored: the table's numbers (or the integers
            # cast batch by batch), not the one-hot encoding.
            source = X.rows if encoding is None else X.rows.numbers
            positions = range(source.shape[1])
        else:
            source = X
            positions = range(X.shape[1]) if encoding is None else encoding.numeric_positions()
        for j in positions:
            yield np.asarray(source[:, j], dtype=np.float64)

    def _entry_names(self) -> np.ndarray:
        """The input column of each encoded entry, for messages: its name,
        or its position for an array (a categorical column has several)."""
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.arange(self.n_features_in_)
        encoding = self._encoding()
        widths = [1] * len(names) if encoding is None else encoding.widths
        return np.repeat(np.asarray(names, dtype=object), widths)

    def _fit_scaling_statistics(self, X: np.ndarray) -> None:
        encoding = self._encoding()
        unit_interval = self.loss == "binary_crossentropy"
        if encoding is None:
            self.mean_, self.scale_, self._input_gain = fit_input_scaling(
                X, self.scaling, unit_interval=unit_interval, names=self._entry_names()
            )
            return
        # The numeric columns are scaled as usual. The one-hot entries are
        # standardised as a StandardScaler after a OneHotEncoder would: centred
        # on the categories' frequencies f and divided by sqrt(f (1 - f)). A
        # missing category then reaches the encoder as the frequencies (0 once
        # centred), as a missing number reaches it as its mean, and a rare
        # category is as loud in the input as in the score
        # (MixedTypeLoss.score_terms): seen in 2% of the rows, about 7.
        # A block of rows at a time, in float64, whether the rows are in
        # memory or encoded as they are read (EncodedRows): the same scaling
        # either way.
        numeric = encoding.numeric_positions()
        # A column never observed is centred on 0 (the numeric ones warn below).
        self.mean_ = column_means(X, warn=False)
        numbers = X.columns(numeric) if isinstance(X, EncodedRows) else X[:, numeric]
        self.scale_ = np.ones(X.shape[1])
        onehot = encoding.one_hot_mask()
        spread = np.sqrt(self.mean_[onehot] * (1 - self.mean_[onehot]))
        # A category never or always seen: centred only, as a constant feature.
        self.scale_[onehot] = np.where(spread > 1e-6, spread, 1.0)
        self._input_gain = None
        if len(numeric):
            mean, scale, gain = fit_input_scaling(
                numbers,
                self.scaling,
                unit_interval=unit_interval,
                names=self._entry_names()[numeric],
                blockwise=True,
            )
            self.mean_[numeric], self.scale_[numeric] = mean, scale
            if gain is not None:
                self._input_gain = np.ones(X.shape[1])
                self._input_gain[numeric] = gain

    def _scaled_tensor(
        self, X: np.ndarray, device: torch.device, *, overflow: bool = False
    ) -> torch.Tensor:
        return scaled_tensor(X, self._centre(), self.scale_, device, overflow=overflow)

    def _centre(self) -> np.ndarray:
        """What the rows are centred on before scaling: ``mean_``, with NaN
        for a column the scaling saw no value of, so that every value it holds
        later is read as missing, in training and in scoring alike."""
        never = getattr(self, "_never_observed", None)
        if never is None:
            return self.mean_
        centre = self.mean_.copy()
        centre[never] = np.nan
        return centre

    def _check_input(self, X, *, blocks: bool = False) -> np.ndarray | EncodedRows:
        """``X`` checked against the fit; with ``blocks``, a table with
        categorical columns comes back as :class:`EncodedRows`, encoded as
        the methods that read it in batches reach each block."""
        check_is_fitted(self)
        return self._validated(X, reset=False, blocks=blocks)

    def _outside_unit_interval(self, x: torch.Tensor | np.ndarray):
        """With ``loss="binary_crossentropy"``, which entries of scaled ``x``
        (a tensor, or an array for the same mask in numpy) lie outside [0, 1]
        (beyond ``UNIT_TOLERANCE``; a missing one does not); None with
        another loss. Their likelihood is 0: the
        cross-entropy of such a target has no lower bound, and a far value
        scored as the most normal row of all."""
        if self._fitted_loss() != "binary_crossentropy":
            return None
        outside = (x < -UNIT_TOLERANCE) | (x > 1 + UNIT_TOLERANCE)
        encoding = self._encoding()
        if encoding is not None:
            # One-hot entries are standardised whatever the loss: theirs is
            # the cross-entropy of the categories, not this.
            numeric = ~encoding.one_hot_mask()
            if isinstance(x, torch.Tensor):
                numeric = torch.as_tensor(numeric, device=x.device)
            outside = outside & numeric
        return outside

    def _validated(
        self, X, *, reset: bool, blocks: bool = False, training: bool = False
    ) -> np.ndarray | EncodedRows:
        """``X`` checked for the network (``reset``: at a first fit, which also
        learns its categorical columns), and one-hot encoded if it has any:
        as :class:`EncodedRows` with ``blocks``, or when its float32 copy
        would not fit in scikit-learn's ``working_memory``. ``training``:
        rows that continue a fit, warned of for categories it did not see."""
        X = as_pandas(X)
        try:
            return self._validated_table(X, reset=reset, blocks=blocks, training=training)
        except ValueError as exc:
            named = infinite_entries_error(exc, X)
            if named is None:
                raise
            raise named from exc

    def _validated_table(
        self, X, *, reset: bool, blocks: bool, training: bool
    ) -> np.ndarray | EncodedRows:
        """:meth:`_validated` of ``X`` as a pandas DataFrame if it was a table."""
        X = self._flatten_images(X, reset=reset)
        if reset:
            if self.categorical_features is not None:
                X = self._checked_layout(X)
            self._fit_categories(X)
            self._fit_column_labels(X)
        else:
            self._check_column_labels(X)
        # "from_dtype" never takes dates for categories, so a date column is
        # refused even where the fit found categories (strings, say). Other
        # columns than the fitted ones: the check of their names says so.
        fitted = getattr(self, "is_categorical_", None)
        if reset or getattr(X, "shape", (0, 0))[1:] == (self.n_features_in_,):
            named = None if isinstance(self.categorical_features, str) else fitted
            numeric = None
            if hasattr(X, "dtypes") and len(getattr(X, "shape", ())) == 2:
                numeric = np.ones(X.shape[1], bool) if fitted is None else ~fitted
            check_no_temporal_columns(X, named, numeric)
            check_no_complex_columns(X, named)
        encoding = self._encoding()
        if encoding is None:
            is_frame = hasattr(getattr(X, "dtypes", None), "items")
            if is_frame:
                X = object_numbers_as_float(X)
            try:
                if _cast_in_batches(X):
                    # Checked as it is (no copy); each batch read is cast to
                    # the float64 that checking converts such an array to.
                    X = validate_data(
                        self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan"
                    )
                    return EncodedRows(X, X.shape[1], _as_float64, np.float64)
                return validate_data(
                    self,
                    X,
                    reset=reset,
                    dtype=[np.float64, np.float32],
                    ensure_all_finite="allow-nan",
                )
            except ValueError as exc:
                named = _non_numeric_columns(X) if is_frame else []
                known = getattr(self, "feature_names_in_", None)
                if not reset and known is not None:
                    # A column the fit did not see is not one it took for
                    # numbers: the check of the names says what is wrong.
                    fitted = set(known)
                    named = [name for name in named if name in fitted]
                if not named:
                    raise
                raise self._not_numbers_error(exc, named, reset=reset) from exc
        if not reset:
            X = self._checked_layout(X)
        # Names and the number of columns, on the columns as they come.
        validate_data(self, X, reset=reset, skip_check_array=True)
        # The dtype of the input's numbers, as without categorical columns
        # (the one-hot entries, 0, 1 or NaN, are exact in it).
        dtype = np.float32 if _numbers_in_float32(X, encoding.is_categorical) else np.float64
        absent = self._absent_categories() if not reset else None

        def finish(encoded: np.ndarray) -> np.ndarray:
            encoded = encoded.astype(dtype, copy=False)
            if absent is not None and absent.any():
                # Encoded as none, as an unseen category is.
                block = encoded[:, absent]
                encoded[:, absent] = np.where(np.isnan(block), np.nan, 0.0)
            return encoded

        rows = encoding.coded(X)
        if training and not reset:
            self._warn_unseen_in_training(rows.codes, encoding, absent)
        large = X.shape[0] * encoding.n_encoded * 4 > get_config()["working_memory"] * 2**20
        if blocks or large:
            # Checked once here, not batch by batch: the batches are then
            # only numpy's indexing (scikit-learn's check of each would cost
            # as much as encoding it).
            encoding.check_finite(rows)

            def encode(coded: CodedRows) -> np.ndarray:
                return finish(encoding.expand(coded))

            return EncodedRows(rows, encoding.n_encoded, encode, dtype)
        encoded = encoding.expand(rows)
        return finish(check_array(encoded, dtype=np.float64, ensure_all_finite="allow-nan"))

    def _warn_unseen_in_training(
        self, codes: np.ndarray, encoding: CategoricalEncoding, absent: np.ndarray | None
    ) -> None:
        """Warn that rows continuing a fit hold categories the first fit did
        not see: its categories stay, so these train and score as unseen.
        Those of a column's dtype that no row of the first fit held (``absent``
        encoded positions) count too: they are encoded as none as well, and
        a stream of them was never learned, without a word (a probe)."""
        unseen = (codes == -1).sum(axis=0)
        if absent is not None and absent.any():
            pairs = zip(encoding.blocks(), encoding.is_categorical, strict=True)
            starts = [start for (start, _), categorical in pairs if categorical]
            for k, start in enumerate(starts):
                column = codes[:, k]
                held = column >= 0
                unseen[k] += int(absent[start + column[held].astype(np.intp)].sum())
        if not unseen.any():
            return
        names = getattr(self, "feature_names_in_", np.arange(self.n_features_in_))
        columns = names[np.flatnonzero(self.is_categorical_)][unseen > 0]
        warn_caller(
            f"{int(unseen.sum())} categorical entries of X hold categories the first fit did not "
            f"see (in {', '.join(map(repr, columns.tolist()))}). The categories are those of the "
            "first fit: these entries are encoded as none and score as unusual, and the "
            "columns' error scales leave them out. Fit from scratch to learn them.",
        )

    def _not_numbers_error(self, exc: Exception, columns: list, *, reset: bool) -> ValueError:
        """scikit-learn's error ``exc``, with what to do about the ``columns``
        that are not numbers."""
        if not reset:
            return ValueError(
                f"{exc}: the columns {columns} hold values that are not numbers, but "
                f"{type(self).__name__} was fitted with them as numeric columns."
            )
        if self.architecture == "conv":
            advice = "a convolution reads the columns as pixels: encode or drop them first."
        elif isinstance(self.categorical_features, str):
            advice = (
                'their dtype is not one that "from_dtype" reads as categorical (category, '
                "object, string, bool): name them in categorical_features to encode them "
                "as categories."
            )
        else:
            advice = (
                f"categorical_features is {self.categorical_features!r}: name them in it (or "
                'leave it "from_dtype") to encode them as categories.'
            )
        return ValueError(f"{exc}: the columns {columns} are not numbers, and {advice}")

    def _checked_layout(self, X):
        """``X`` checked as :func:`validate_data` checks it (2-D, dense, at
        least one row), before the categorical encoding reads its columns; a
        list of rows becomes an object array, so that no category is turned
        into a number or a number into a string."""
        if hasattr(X, "iloc") and getattr(X, "ndim", 0) == 2:  # a DataFrame
            if len(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 "
                    f"is required by {type(self).__name__}."
                )
            return X
        X = rows_of_one_length(X)
        return check_array(X, dtype=None, ensure_all_finite=False, estimator=self, input_name="X")

    def _absent_categories(self) -> np.ndarray | None:
        """Which encoded entries are categories that no row of the first fit
        held (a pandas dtype lists them; a cross-validation fold keeps every
        category of its column), or None before the scaling is fitted."""
        encoding = self._encoding()
        if encoding is None or not hasattr(self, "mean_"):
            return None
        return encoding.one_hot_mask() & (self.mean_ == 0)

    def _fit_categories(self, X) -> None:
        """Learn which columns of ``X`` are categorical, and their categories
        (:mod:`skae._categorical`); ``is_categorical_`` is None when none is."""
        mask = resolve_categorical(X, self.categorical_features)
        self.is_categorical_ = mask
        if mask is None:
            # A refit on numbers only: nothing of an earlier fit's categories.
            for name in ("categories_", "_categorical_kinds", "_unseen_nats", "_numeric_kinds"):
                if hasattr(self, name):
                    delattr(self, name)
            return
        if self.architecture == "conv":
            raise ValueError(
                "Categorical columns need architecture='dense': a convolution treats the "
                "columns as pixels. Encode or drop those columns first, or pass "
                "categorical_features=None if they are pixels."
            )
        warn_numbers_as_categories(X, mask, self.categorical_features)
        encoding = CategoricalEncoding.fit(X, mask)
        self.categories_ = encoding.categories
        self._categorical_kinds = encoding.kinds
        self._unseen_nats = encoding.unseen_nats
        self._numeric_kinds = encoding.numeric_kinds

    def _fit_column_labels(self, X) -> None:
        """Keep a DataFrame's integer column labels (``_column_labels``), and
        the text of labels of other types (``_column_label_text``: floats,
        bools, tuples of a MultiIndex, dates).

        scikit-learn keeps string column names only (``feature_names_in_``)
        and checks them at predict time; the others are kept too, for the
        same check (:meth:`_check_column_labels`), and integer labels for
        the DataFrames that ``inverse_transform`` and ``sample`` return.
        """
        labels = list(getattr(X, "columns", []))
        # A bool is an Integral too, but is not kept as one below: labels
        # [False, True] were then not checked at all, and a frame with its
        # columns swapped was scored silently.
        if labels and not all(
            isinstance(label, str | Integral) and not isinstance(label, bool | np.bool_)
            for label in labels
        ):
            self._column_label_text = np.array([str(label) for label in labels], dtype=object)
        elif hasattr(self, "_column_label_text"):
            del self._column_label_text
        kept = None
        if labels and all(
            isinstance(label, Integral) and not isinstance(label, bool | np.bool_)
            for label in labels
        ):
            # int64, or uint64 beyond its range (np.int64 overflowed there);
            # labels in neither (both signs past int64) are not kept.
            kept = np.asarray(labels)
        if kept is not None and kept.dtype.kind in "iu":
            # np.int64 or np.uint64 itself (not ulonglong, which torch's
            # files do not take).
            self._column_labels = kept.astype(np.dtype(kept.dtype.kind + "8"))
        elif hasattr(self, "_column_labels"):
            del self._column_labels

    def _check_column_labels(self, X) -> None:
        """Refuse a DataFrame whose column labels other than strings are not the fit's,
        in the fit's order, as scikit-learn refuses string names that are
        not: its columns would be read as other features, silently."""
        labels = list(getattr(X, "columns", []))
        fitted = getattr(self, "_column_labels", None)
        if fitted is None:
            fitted = getattr(self, "_column_label_text", None)
            labels = [str(label) for label in labels]
        if fitted is None or len(labels) != len(fitted):
            # Another number of columns: validate_data says so.
            return
        known = fitted.tolist()
        if labels == known or all(isinstance(label, str) for label in getattr(X, "columns", [])):
            # The fit's labels; or string names, of which scikit-learn warns.
            return
        if sorted(map(str, labels)) == sorted(map(str, known)):
            detail = "The columns are the same but in another order: reorder them as at fit."
        else:
            seen, given = set(known), set(labels)
            unseen = [c for c in labels if c not in seen]
            if unseen:
                detail = f"Column labels unseen at fit: {unseen[:10]}."
            else:
                # The fit's labels, some repeated in place of others.
                missing = [c for c in known if c not in given]
                detail = f"Column labels repeated, and missing: {missing[:10]}."
        raise ValueError(
            "The column labels of X should match those that were passed during fit "
            f"({known[:10]}{', ...' if len(known) > 10 else ''}). {detail}"
        )

    def _encoding(self) -> CategoricalEncoding | None:
        """The fitted one-hot layout, or None without categorical columns."""
        mask = getattr(self, "is_categorical_", None)
        if mask is None:
            return None
        return CategoricalEncoding(
            mask,
            self.categories_,
            self._categorical_kinds,
            self._unseen_nats,
            # A model saved before they were kept: float64.
            getattr(self, "_numeric_kinds", None),
        )

    def _n_inputs(self) -> int:
        """The width of the network's input: the encoded columns."""
        encoding = self._encoding()
        return self.n_features_in_ if encoding is None else encoding.n_encoded

    def _constant_inputs(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Which of the network's inputs were constant in every row trained
        on, and each one's value in the scaled units the network sees (0
        for a standardised feature, the constant itself for data taken as
        they are, such as binary columns under ``loss="binary_crossentropy"``);
        None for a model pickled before the input range existed."""
        module = self.net_.module_
        if "input_low" not in getattr(module, "_buffers", {}):
            return None
        # The range of the scaled training rows: [0, 0] for a constant feature,
        # up to the rounding of its mean (the test of fit_input_scaling); a
        # feature that varies, however little, spans more.
        low = module.input_low.detach().cpu().numpy().reshape(-1).astype(np.float64)
        high = module.input_high.detach().cpu().numpy().reshape(-1).astype(np.float64)
        if low.shape != np.shape(self.scale_):
            return None
        rounding = CONSTANT_ROUNDING * np.abs(self.mean_) / self.scale_
        flat = high - low <= rounding
        value = np.zeros_like(low)
        value[flat] = (low[flat] + high[flat]) / 2
        return flat, value

    def _output_map(self) -> tuple[np.ndarray, np.ndarray]:
        """The scale and the shift that take decoded rows to the units of X.

        The scale is ``scale_``, with 0 for each feature that was constant in
        every row trained on, and the shift ``mean_`` plus that constant's
        scaled value in its units: its reconstruction is the constant, as
        PCA's is. The network's output for it is not a spread of the
        feature's (it has none), and read in the feature's units it would
        make a constant vary in :meth:`sample`; and a binary column of ones
        taken as it is (its mean 0, its scale 1) was reconstructed as 0."""
        scale = np.array(self.scale_, dtype=np.float64)
        shift = np.array(self.mean_, dtype=np.float64)
        constant = self._constant_inputs()
        if constant is not None:
            flat, value = constant
            shift[flat] += scale[flat] * value[flat]
            scale[flat] = 0.0
        return scale, shift
