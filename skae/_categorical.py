"""The input side, categorical columns: which they are, and their one-hot encoding.

A table often mixes numbers with categories (a country, a product code, a
flag). skae encodes those columns inside the estimator, the way
:class:`~sklearn.ensemble.HistGradientBoostingRegressor` does with
``categorical_features="from_dtype"``: a pandas column of dtype
``category``, ``object`` (strings), ``string`` or ``bool`` is categorical (so is
a pyarrow dictionary column, pandas' arrow form of ``category``), the rest is
numeric (an ``object`` column that holds only numbers, such as
``df.astype(object)`` or decimals read from a database, is numeric); a list
of column names or indices, or a boolean mask, says so explicitly. Each
categorical column with ``K`` categories becomes ``K`` one-hot entries of the
network's input, in the column's place, and the decoder gives it ``K`` logits
that a softmax turns into the probabilities of its categories
(:class:`skae._reconstruction.MixedTypeLoss` scores them with the
cross-entropy). A category is therefore never treated as a number, and a
categorical column counts once in the loss, the scores and :meth:`explain`,
like a numeric one.

The categories are learned at the first ``fit`` (sorted; a pandas
``category`` column keeps its own, a pyarrow dictionary its dictionary's, in
its order). A missing entry (``NaN``, ``None``,
``pd.NA``) is encoded as a block of ``NaN``, which the network reads as the
categories' training frequencies (the estimator standardises the one-hot
entries, so that is 0, as a missing number's mean is) and the loss leaves
out, exactly as a missing number. A category not seen at fit is encoded as
all zeros, as :class:`~sklearn.preprocessing.OneHotEncoder` does with
``handle_unknown="ignore"``; it is scored as a category of frequency
``1 / (n_samples + 1)`` (``unseen_nats`` is its cross-entropy), so it counts
as unusual whatever the network predicts. A category that a pandas column's
dtype lists but no row of the first fit holds (its training frequency is 0;
slicing a DataFrame, as a cross-validation fold does, keeps every category of
its dtype) is encoded as none too, and never predicted: ``inverse_transform``
and ``sample`` do not return it.
"""

from __future__ import annotations

import base64
import numbers
from dataclasses import dataclass

import numpy as np

from ._warnings import warn_caller

#: What "from_dtype" calls categorical: pandas dtype kinds.
_CATEGORICAL_KINDS = ("category", "dictionary", "object", "string", "bool")


#: The prefix of a pyarrow-backed dtype's name in ``kinds``.
_ARROW = "arrow:"
#: ... and of a string dtype whose missing value is NaN ("str"), before its storage.
_NAN_STRING = "str:"
#: ... and of a pyarrow-backed dtype that has no alias (a dictionary, a
#: decimal), before its type serialised as an Arrow schema, in base64.
_ARROW_SCHEMA = "arrow-schema:"
#: Between a ``category`` kind and the dtype of its categories, when that is
#: not the one pandas would infer from them (strings stored by pyarrow).
_CATEGORIES_OF = " of "


def _dtype_name(dtype) -> str:
    """A name that gives ``dtype`` back (:func:`_dtype_from_name`). A pyarrow
    string column's own name, "string[pyarrow]", is read back by pandas as
    its ``StringDtype``, not as the ``ArrowDtype`` it was."""
    import pandas as pd

    if isinstance(dtype, pd.StringDtype):
        # "string" alone would read back with pandas' default storage, and
        # "str" (missing values NaN) too.
        if dtype.na_value is pd.NA:
            return f"string[{dtype.storage}]"
        return _NAN_STRING + dtype.storage
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        alias = str(dtype.pyarrow_dtype)
        try:
            if pa.type_for_alias(alias) == dtype.pyarrow_dtype:
                return _ARROW + alias
        except ValueError:
            pass
        # pandas cannot read back every arrow type's name (a dictionary's,
        # a decimal's precision): the type itself, as Arrow writes it.
        schema = pa.schema([pa.field("x", dtype.pyarrow_dtype)])
        return _ARROW_SCHEMA + base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
    return str(dtype)


def _dtype_from_name(name: str):
    """The dtype :func:`_dtype_name` named."""
    if name.startswith(_NAN_STRING):
        import pandas as pd

        return pd.StringDtype(name[len(_NAN_STRING) :], na_value=np.nan)
    if name.startswith(_ARROW):
        import pandas as pd
        import pyarrow as pa

        return pd.ArrowDtype(pa.type_for_alias(name[len(_ARROW) :]))
    if name.startswith(_ARROW_SCHEMA):
        import pandas as pd
        import pyarrow as pa

        data = base64.b64decode(name[len(_ARROW_SCHEMA) :])
        return pd.ArrowDtype(pa.ipc.read_schema(pa.py_buffer(data)).field("x").type)
    return name


def _check_rebuilt_dtype(name, dtype) -> None:
    """A ValueError when the dtype of column ``name`` cannot be rebuilt from
    its name, for the columns :meth:`inverse_transform` and :meth:`sample`
    return (a sparse column of strings: decoding failed after the fit)."""
    import pandas as pd

    try:
        pd.api.types.pandas_dtype(_dtype_from_name(_dtype_name(dtype)))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Categorical column {name!r} has the dtype {dtype}, which the decoded "
            f"columns cannot be given back ({exc}): convert it first (to category or "
            "object, say)."
        ) from exc


def dictionary_values(column) -> np.ndarray | None:
    """The values of a pyarrow dictionary column's dictionary, in its order
    (for an ordered one, the order of the values); None for another column."""
    import pandas as pd

    if not isinstance(column.dtype, pd.ArrowDtype):
        return None
    import pyarrow as pa

    if not pa.types.is_dictionary(column.dtype.pyarrow_dtype):
        return None
    array = pa.array(column)
    if isinstance(array, pa.ChunkedArray):
        array = array.unify_dictionaries().combine_chunks()
    values = [v for v in array.dictionary.to_pylist() if v is not None]
    return np.asarray(pd.unique(np.asarray(values, dtype=object)), dtype=object)


def series_of(values: np.ndarray, dtype, categories: np.ndarray | None = None):
    """``values`` (objects) as a Series of ``dtype``; for a pyarrow
    dictionary, with ``categories`` as its dictionary, in their order (and
    any other value after them)."""
    import pandas as pd

    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        kind = dtype.pyarrow_dtype
        if pa.types.is_dictionary(kind):
            # pandas cannot convert objects to a dictionary type: the
            # dictionary and the indices into it, built by hand.
            listed = pd.Index([] if categories is None else list(categories), dtype=object)
            missing = np.asarray(pd.isna(values), dtype=bool)
            extra = pd.Index(pd.unique(values[~missing]), dtype=object).difference(
                listed, sort=False
            )
            dictionary = listed.append(extra)
            indices = np.where(missing, 0, dictionary.get_indexer(values))
            array = pa.DictionaryArray.from_arrays(
                pa.array(indices, type=kind.index_type, mask=missing),
                pa.array(dictionary.tolist(), type=kind.value_type),
                ordered=kind.ordered,
            )
            return pd.Series(pd.arrays.ArrowExtensionArray(array))
    return pd.Series(values, dtype=object).astype(dtype)


def _draw(probabilities: np.ndarray, random_state: np.random.RandomState) -> np.ndarray:
    """One index per row, drawn from the row's probabilities (rescaled to
    sum to 1: they went through float32)."""
    cumulative = np.cumsum(np.clip(probabilities, 0.0, None), axis=1)
    u = random_state.uniform(size=(len(cumulative), 1)) * cumulative[:, -1:]
    # Never past the last category of positive probability.
    chosen = (cumulative <= u).sum(axis=1)
    return np.minimum(chosen, np.argmax(cumulative >= cumulative[:, -1:], axis=1))


def _category_kind(dtype) -> str:
    """The kind of a ``category`` column, with the dtype of its categories
    when pandas would not infer that one from them again."""
    import pandas as pd

    kind = "ordered category" if dtype.ordered else "category"
    values = np.asarray(dtype.categories, dtype=object)
    if pd.CategoricalDtype(values).categories.dtype != dtype.categories.dtype:
        kind += _CATEGORIES_OF + _dtype_name(dtype.categories.dtype)
    return kind


def _category_dtype(kind: str, categories: np.ndarray):
    """The ``CategoricalDtype`` that :func:`_category_kind` named."""
    import pandas as pd

    kind, _, of = kind.partition(_CATEGORIES_OF)
    if of:
        categories = pd.Index(categories, dtype=_dtype_from_name(of))
    return pd.CategoricalDtype(categories, ordered=kind == "ordered category")


def _dtype_kind(dtype) -> str:
    import pandas as pd

    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        if pa.types.is_dictionary(dtype.pyarrow_dtype):
            return "dictionary"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_object_dtype(dtype):
        return "object"
    if pd.api.types.is_string_dtype(dtype):
        return "string"
    return "numeric"


#: What :func:`pandas.api.types.infer_dtype` says of an object column of numbers.
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


#: ... and what it says of a column that holds no number.
_NOT_NUMBER_KINDS = ("string", "bytes", "boolean", "date", "datetime", "period", "interval")


def numbers_only(values) -> bool:
    """Whether every entry of an object column is a number or missing: ints,
    floats, numpy scalars, decimals, fractions, with None, NaN, ``pd.NA`` or
    ``pd.NaT`` for missing (a column of missing entries only counts too, as
    a float column of NaN is numeric). Booleans and complex numbers are not."""
    import pandas as pd

    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in _NUMBER_KINDS:
        return True
    if inferred in _NOT_NUMBER_KINDS:
        return False
    for value in np.asarray(values, dtype=object):
        if pd.api.types.is_scalar(value) and pd.isna(value):
            continue
        if (
            not isinstance(value, numbers.Number)
            or isinstance(value, bool | np.bool_)
            or isinstance(value, complex | np.complexfloating)
        ):
            return False
    return True


def object_numbers_as_float(X):
    """``X`` with each ``object`` column that :func:`numbers_only` accepts
    converted to float64 (missing entries to NaN), for scikit-learn's check,
    which cannot convert ``pd.NaT``; ``X`` itself when there is none."""
    import pandas as pd

    converted = {}
    for j, dtype in enumerate(X.dtypes):
        if pd.api.types.is_object_dtype(dtype) and numbers_only(X.iloc[:, j]):
            values = np.asarray(X.iloc[:, j], dtype=object)
            missing = _is_missing(values)
            numbers = np.full(len(values), np.nan)
            numbers[~missing] = [float(v) for v in values[~missing]]
            converted[j] = numbers
    if not converted:
        return X
    X = X.copy(deep=False)
    for j, numbers in converted.items():
        X.isetitem(j, numbers)
    return X


def _from_dtype(X, j: int) -> bool:
    """Whether "from_dtype" calls column ``j`` of the DataFrame ``X`` categorical."""
    kind = _dtype_kind(X.dtypes.iloc[j])
    if kind == "object":
        # Numbers stored as objects are numbers: one category per distinct
        # value would make a number's size invisible to the model. Dates
        # stored as objects (``.dt.date`` gives them) are dates.
        column = X.iloc[:, j]
        return not (numbers_only(column) or _holds_temporal_objects(column))
    return kind in _CATEGORICAL_KINDS


#: What :func:`pandas.api.types.infer_dtype` calls a column of dates, times,
#: time spans, periods or intervals.
_TEMPORAL_INFERRED = {
    "datetime64",
    "datetime",
    "date",
    "timedelta64",
    "timedelta",
    "time",
    "period",
    "interval",
}


def _holds_temporal_objects(column) -> bool:
    """Whether an ``object`` column holds dates, times, time spans, periods
    or intervals (Python or pandas objects; missing entries aside)."""
    import pandas as pd

    return pd.api.types.infer_dtype(column, skipna=True) in _TEMPORAL_INFERRED


def _is_temporal_dtype(dtype) -> bool:
    """Whether ``dtype`` is one of dates, times, time spans, periods or intervals."""
    return (
        getattr(dtype, "kind", None) in ("m", "M")
        or type(dtype).__name__ in ("PeriodDtype", "IntervalDtype", "DatetimeTZDtype")
        or str(dtype).startswith(("timestamp", "duration", "date", "time"))
    )


def _has_temporal_categories(dtype) -> bool:
    """Whether ``dtype`` is a category, or a pyarrow dictionary, of dates,
    times, time spans, periods or intervals."""
    import pandas as pd

    kind = _dtype_kind(dtype)
    if kind == "category":
        categories = dtype.categories
        return _is_temporal_dtype(categories.dtype) or (
            _dtype_kind(categories.dtype) == "object" and _holds_temporal_objects(categories)
        )
    if kind == "dictionary":
        return _is_temporal_dtype(pd.ArrowDtype(dtype.pyarrow_dtype.value_type))
    return False


#: The most categories a categorical column may have, as HistGradientBoosting
#: allows (its ``max_bins``): the one-hot input and the softmax output grow
#: with them, dense, for every row (an identifier column of 11,000 values on
#: 20,000 rows took 4.6 GB and a minute per epoch).
MAX_CATEGORIES = 255


def _other_columns(X, categorical: np.ndarray | None) -> list[tuple[int, object, object]]:
    """``(position, name, dtype)`` of each column of a DataFrame ``X`` that is
    not among its ``categorical`` ones; none for an array, nor for other
    columns than the fitted ones (the check of their names and their number
    says so, naming them)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return []
    if categorical is not None and len(categorical) != len(dtypes):
        return []
    return [
        (j, name, dtype)
        for j, (name, dtype) in enumerate(dtypes.items())
        if categorical is None or not categorical[j]
    ]


def check_no_temporal_columns(
    X, categorical: np.ndarray | None, numeric: np.ndarray | None = None
) -> None:
    """Refuse, naming them, the date, time-span, period and interval columns
    of a DataFrame ``X`` that are not among its ``categorical`` ones: they
    are neither numbers nor categories until the user says which features
    they mean (numpy's own refusal is a TypeError naming no column). A
    ``category`` or pyarrow dictionary of them is refused where the
    ``numeric`` mask expects a number ("from_dtype" takes it for categorical
    otherwise)."""
    if not hasattr(getattr(X, "dtypes", None), "items"):
        _check_no_temporal_array(X)
        return
    named = [
        name
        for j, name, dtype in _other_columns(X, categorical)
        if (
            _is_temporal_dtype(dtype)
            # a category of dates, where a number is expected
            or (numeric is not None and numeric[j] and _has_temporal_categories(dtype))
            or (_dtype_kind(dtype) == "object" and _holds_temporal_objects(X.iloc[:, j]))
        )
    ]
    if named:
        raise ValueError(
            f"The columns {named} hold dates, times or intervals, which are neither numbers "
            "nor categories: convert them first (seconds since a date, say, or the hour and "
            "the weekday as categories), or drop them."
        )


def _check_no_temporal_array(X) -> None:
    """Refuse a numpy array of dates or time spans (``datetime64``,
    ``timedelta64``, or such objects), as their DataFrame columns are
    refused: read as numbers they were nanosecond counts."""
    import pandas as pd

    dtype = getattr(X, "dtype", None)
    if not isinstance(X, np.ndarray) or dtype is None:
        return
    if dtype.kind in "mM" or (
        dtype.kind == "O" and pd.api.types.infer_dtype(X.ravel(), skipna=True) in _TEMPORAL_INFERRED
    ):
        raise ValueError(
            "X holds dates, times or time spans, which are neither numbers nor categories: "
            "convert them first (seconds since a date, say), or drop them."
        )


def check_no_complex_columns(X, categorical: np.ndarray | None) -> None:
    """Refuse, naming them, the ``object`` columns of a DataFrame ``X`` that
    hold complex numbers (and numbers only) and are not among its
    ``categorical`` ones, as scikit-learn refuses a complex array: taken for
    categories, each value was one, and every new row an outlier."""
    named = [
        name
        for j, name, dtype in _other_columns(X, categorical)
        if _dtype_kind(dtype) == "object" and _holds_complex_numbers(X.iloc[:, j])
    ]
    if named:
        raise ValueError(
            f"Complex data not supported: the columns {named} hold complex numbers. "
            "Split them into their real and imaginary parts (or their modulus), or drop them."
        )


def _holds_complex_numbers(column) -> bool:
    """Whether an ``object`` column holds numbers only (missing entries
    aside), one of them complex at least."""
    import pandas as pd

    if pd.api.types.infer_dtype(column, skipna=True) not in ("complex", "mixed"):
        return False
    values = np.asarray(column, dtype=object)
    values = values[~_is_missing(values)]
    return any(isinstance(v, complex | np.complexfloating) for v in values) and all(
        isinstance(v, numbers.Number) and not isinstance(v, bool | np.bool_) for v in values
    )


#: An object or string column taken as categorical is flagged when at least
#: this share of its entries are numbers (or strings of numbers).
MOSTLY_NUMBERS = 0.9


def _numbers_hint(categories: np.ndarray) -> str:
    """A hint for a column refused for its many categories when they are
    text of numbers (a CSV read with dtype=str: the refusal said only "an
    identifier?", a probe)."""
    import pandas as pd

    values = pd.Series(categories, dtype=object)
    if all(isinstance(value, str) for value in categories):
        if pd.to_numeric(values, errors="coerce").notna().mean() < MOSTLY_NUMBERS:
            return ""
        return (
            " Its values are text of numbers: if they are quantities, convert the column "
            "first (pd.to_numeric(column, errors='coerce'))."
        )
    if _real_numbers(values).mean() < MOSTLY_NUMBERS:
        return ""
    return (
        " Its values are numbers but for a few others: if they are quantities, turn the "
        "others into NaN first."
    )


def _real_numbers(values):
    """Which of ``values`` (a Series of objects) are numbers or text of
    numbers. A bool is one only among 0s and 1s, the categories True and
    False equal: pd.to_numeric reads True as 1, and a column of amounts with
    a few True in it was made categorical without a word."""
    import pandas as pd

    flags = values.map(lambda value: isinstance(value, (bool, np.bool_))).to_numpy(dtype=bool)
    try:
        numbers = pd.to_numeric(values, errors="coerce")
    except OverflowError:  # an int beyond float64 (10**400): a number all the same
        numbers = pd.to_numeric(values.map(_int_as_float), errors="coerce")
    is_number = numbers.notna().to_numpy()
    if flags.any() and numbers[is_number & ~flags].isin((0, 1)).all():
        return is_number
    return is_number & ~flags


def _int_as_float(value):
    """An int as a float, infinite beyond float64's range; other values as they are."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return np.inf if value > 0 else -np.inf
    return value


def _quantities(values) -> np.ndarray:
    """Which of ``values`` (a Series of numbers or text of numbers) read as
    quantities rather than codes: fractions ("2.5") and numbers written with
    an exponent ("1e3"); whole numbers may be codes (postcodes)."""
    import pandas as pd

    try:
        numbers = pd.to_numeric(values, errors="coerce")
    except OverflowError:
        numbers = pd.to_numeric(values.map(_int_as_float), errors="coerce")
    numbers = numbers.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        fraction = np.isfinite(numbers) & (numbers != np.round(numbers))
    exponent = values.map(lambda v: isinstance(v, str) and "e" in v.lower().lstrip("+-"))
    return fraction | (exponent.to_numpy(dtype=bool) & ~np.isnan(numbers))


def warn_numbers_as_categories(X, mask: np.ndarray, categorical_features) -> None:
    """Warn of the columns that ``"from_dtype"`` calls categorical although
    they hold numbers: because of a few entries that are not numbers (a "?"
    or "n/a" left by a CSV), or because the numbers are text and some are
    fractions or have an exponent (a CSV read with ``dtype=str``, or JSON;
    whole numbers as text may be codes, such as postcodes, and are taken
    silently). One category
    per distinct number makes a number's size invisible, and an unseen value
    of 1e300 scored as any unseen category."""
    if not isinstance(categorical_features, str) or not hasattr(X, "columns"):
        return
    flagged, as_text = [], []
    for j in np.flatnonzero(mask):
        if _dtype_kind(X.dtypes.iloc[j]) not in ("object", "string"):
            continue
        column = X.iloc[:, j]
        present = column[~column.isna()]
        if len(present) == 0:
            continue
        is_number = _real_numbers(present.astype(object))
        numbers = int(is_number.sum())
        if numbers < len(present) and numbers >= MOSTLY_NUMBERS * len(present):
            others = present[~is_number].astype(str).unique()[:3].tolist()
            flagged.append(f"{X.columns[j]!r} ({numbers:,} of {len(present):,}; also {others})")
        elif numbers == len(present):
            quantities = _quantities(present.astype(object))
            if quantities.any():
                examples = present[quantities].astype(str).unique()[:3].tolist()
                as_text.append(f"{X.columns[j]!r} (e.g. {examples})")
    if as_text:
        warn_caller(
            "Columns holding numbers written as text, fractions or exponents among them, "
            f"are taken as categorical (one category per distinct value): "
            f"{'; '.join(as_text)}. To model them as numbers, convert them first, e.g. "
            "pd.to_numeric(column)."
        )
    if flagged:
        warn_caller(
            f"Columns holding numbers but for a few other values are taken as categorical "
            f"(one category per distinct value): {'; '.join(flagged)}. To model them as "
            "numbers, turn the other values into NaN first, e.g. "
            "pd.to_numeric(column, errors='coerce').",
        )


def resolve_categorical(X, categorical_features) -> np.ndarray | None:
    """The boolean mask of categorical columns of ``X`` that
    ``categorical_features`` names, or None when there are none."""
    if categorical_features is None:
        return None
    if not hasattr(X, "shape"):  # a list of rows
        X = np.asarray(X, dtype=object)
    n_features = X.shape[1] if len(X.shape) == 2 else None
    columns = list(X.columns) if hasattr(X, "columns") else None
    if isinstance(categorical_features, str):  # "from_dtype"
        if columns is None:
            return None
        mask = np.array([_from_dtype(X, j) for j in range(len(columns))], dtype=bool)
        return mask if mask.any() else None
    spec = np.asarray(categorical_features)
    if spec.ndim != 1:
        raise ValueError(
            "categorical_features must be one-dimensional: a list of column names or "
            f"indices, or a boolean mask; got an array of shape {spec.shape}."
        )
    if spec.size == 0:
        return None
    if n_features is None:
        raise ValueError(f"Expected a 2-D X to find categorical_features in, got shape {X.shape}.")
    if spec.dtype.kind == "b":
        if spec.shape != (n_features,):
            raise ValueError(
                f"categorical_features as a boolean mask needs one entry per feature "
                f"({n_features}), got shape {spec.shape}."
            )
        return spec.copy() if spec.any() else None
    mask = np.zeros(n_features, dtype=bool)
    if spec.dtype.kind in "iu":
        # Not counted from the end: HistGradientBoosting refuses a negative
        # index, and a typed -1 for 1 would pick another column silently.
        if spec.min() < 0 or spec.max() >= n_features:
            raise ValueError(
                "categorical_features set as integer indices must be in "
                f"[0, n_features - 1] = [0, {n_features - 1}]; got {spec.tolist()}."
            )
        mask[spec] = True
        return mask
    if spec.dtype.kind in "UO":
        if columns is None:
            raise ValueError(
                "categorical_features names columns, but X has no column names: pass a "
                "pandas DataFrame, or indices or a boolean mask."
            )
        unknown = [name for name in spec.tolist() if name not in columns]
        if unknown:
            raise ValueError(f"categorical_features names columns X does not have: {unknown}.")
        for name in spec.tolist():
            mask[columns.index(name)] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a list of column names or "
        f"indices, or a boolean mask; got {categorical_features!r}."
    )


def _column(X, j: int) -> np.ndarray:
    """Column ``j`` of ``X`` as objects. The column alone: the whole array
    converted for each column cost O(n_samples * n_features**2) (a probe:
    4.9 s where the same DataFrame took 0.17 s, at 150 columns)."""
    if hasattr(X, "iloc"):
        return X.iloc[:, j].to_numpy(dtype=object)
    return _array_or_frame(X)[:, j].astype(object)


def _array_or_frame(X):
    """``X`` itself if a DataFrame or an array, else its rows as one object
    array, converted once for all its columns."""
    return X if hasattr(X, "iloc") or isinstance(X, np.ndarray) else np.asarray(X, dtype=object)


def _is_missing(values: np.ndarray) -> np.ndarray:
    import decimal

    import pandas as pd

    try:
        return np.asarray(pd.isna(values), dtype=bool)
    except decimal.InvalidOperation as exc:
        # A signalling NaN traps when compared: refused as float() refuses it.
        raise ValueError(f"X holds a signalling NaN, which has no value: {exc!r}.") from exc


def _label(name: object) -> object:
    """A column label as messages print it: a numpy integer label (pandas
    keeps integer labels as numpy scalars) as the plain number, not
    ``np.int64(2)``."""
    return name.item() if isinstance(name, np.generic) else name


def _mixed_order(value: object) -> tuple:
    """A sort key for categories of mixed types: the numbers first, in
    numeric order (ints and floats together, as a column of numbers sorts),
    then each other type by its text."""
    if isinstance(value, numbers.Real):
        return (0, "", value)
    return (1, type(value).__name__, str(value))


def _sorted_categories(values: np.ndarray) -> np.ndarray:
    present = values[~_is_missing(values)]
    unique = list(dict.fromkeys(present.tolist()))
    if any(isinstance(value, tuple) for value in unique):
        # Hashable, so not refused as a list is, but numpy makes equal-length
        # tuples a 2-D array of categories (decoding then failed).
        raise TypeError("a tuple")
    try:
        unique.sort()
    except TypeError:  # mixed types: a stable order all the same
        try:
            unique.sort(key=_mixed_order)
        except TypeError:  # numbers that do not compare with each other
            unique.sort(key=lambda v: (type(v).__name__, str(v)))
    return np.array(unique, dtype=object)


def numeric_kind(dtype) -> str:
    """The name of the dtype a numeric column is decoded to: its own for
    numbers (``int64``, ``float32``, ``Int64``, pyarrow's ...), float64 for
    any other (an object column of numbers, booleans read as numbers). A
    pandas sparse column is decoded dense, in its values' dtype (as
    scikit-learn reads a sparse frame: numpy's finfo refused the sparse
    dtype itself, in inverse_transform, sample and the imputer)."""
    import pandas as pd

    if isinstance(dtype, pd.SparseDtype):
        dtype = dtype.subtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return "float64"
    name = _dtype_name(dtype)
    try:
        pd.api.types.pandas_dtype(_dtype_from_name(name))
    except (TypeError, ValueError, ImportError):
        return "float64"
    return name


def numbers_in_dtype(numbers: np.ndarray, dtype):
    """Reconstructed numbers (float64) in a numeric column's ``dtype``:
    rounded for integers, and within the dtype's range (a reconstruction of
    127.6 in an Int8 column is its largest value, 127, not an error; one of
    70,000 in a float16 column is 65,504, not inf)."""
    import pandas as pd

    if pd.api.types.is_float_dtype(dtype):
        limit = np.finfo(getattr(dtype, "numpy_dtype", dtype)).max
        with np.errstate(invalid="ignore"):  # NaN stays NaN
            numbers = np.clip(numbers, -limit, limit)
    elif (decimal := _decimal_type(dtype)) is not None:
        # Rounded to its digits, then within its precision: pyarrow refused a
        # reconstruction of 10.26 in a decimal(3, 2) column, and the whole call
        # with it.
        limit = float(10 ** (decimal.precision - decimal.scale) - 10.0**-decimal.scale)
        if limit >= 10.0 ** (decimal.precision - decimal.scale):  # rounded up as a float
            limit = np.nextafter(limit, 0.0)
        with np.errstate(invalid="ignore"):
            numbers = np.clip(np.round(numbers, decimal.scale), -limit, limit)
    elif pd.api.types.is_integer_dtype(dtype):
        integer = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        limits = np.iinfo(integer)
        rounded = np.rint(numbers)
        missing = np.isnan(rounded)  # an imputer's unfilled entry stays missing
        # Compared as floats, the limits set as integers: float(2**63 - 1) is
        # 2**63, past int64, and casting it wraps around.
        with np.errstate(invalid="ignore"):
            high, low = rounded >= limits.max, rounded <= limits.min
        values = np.where(missing | high | low, 0, rounded).astype(integer)
        values[high], values[low] = limits.max, limits.min
        if missing.any():
            array = pd.array(values, dtype=dtype)
            array[missing] = None
            return array
        numbers = values
    return pd.array(numbers, dtype=dtype)


def _decimal_type(dtype):
    """The pyarrow decimal type of a pyarrow-backed decimal dtype, else None."""
    import pandas as pd

    if not isinstance(dtype, pd.ArrowDtype):
        return None
    import pyarrow as pa

    kind = dtype.pyarrow_dtype
    return kind if pa.types.is_decimal(kind) else None


#: A missing entry's code in :class:`CodedRows` (an unseen category's is -1).
MISSING_CODE = -2


@dataclass
class CodedRows:
    """The rows of a table with categorical columns, read once: ``numbers``
    (float64, one column per numeric input column, NaN where missing) and
    ``codes`` (the index of each categorical column's category, -1 where
    unseen, ``MISSING_CODE`` where missing). A few bytes per row and column
    where the one-hot encoding holds one float per category; indexing rows
    (a slice or indices) is numpy's, with no pandas in between, which is
    what lets a table be encoded a batch of rows at a time at little cost."""

    numbers: np.ndarray
    codes: np.ndarray

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index) -> CodedRows:
        return CodedRows(self.numbers[index], self.codes[index])


def _not_a_category(name: object, exc: TypeError) -> TypeError:
    """The error for a value a category cannot be (a dict, a list): worded as
    scikit-learn's encoders word it, which its checks look for."""
    return TypeError(
        f"Categorical column {name!r} holds a value that cannot be a category ({exc}): "
        "a category's argument must be a string, a number or a boolean."
    )


def _type_family(value: object) -> str:
    """What a category is, as far as matching it goes: numbers of any type
    match each other (1 is 1.0, as pandas matches them), text does not match
    a number, nor a bool either."""
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, str | np.str_):
        return "str"
    if isinstance(value, numbers.Number):
        return "number"
    return type(value).__name__


def _check_category_types(
    name: object, known: np.ndarray, values: np.ndarray, codes: np.ndarray
) -> None:
    """Raise a TypeError when a categorical column holds values of a type
    that none of its categories at fit had (numbers where it held text, text
    where it held bools): each would be an unseen category, and every row an
    outlier. A column read as text in one file and as numbers in another
    flagged every row of the second without a word."""
    import pandas as pd

    # The unmatched entries first: usually none or a few, so the check of
    # missing values runs on those, not again on the whole column.
    unseen = values[codes < 0]
    unseen = unseen[~_is_missing(unseen)]
    if len(unseen) == 0:
        return
    fitted = {_type_family(v) for v in known}
    foreign = [v for v in pd.unique(unseen) if _type_family(v) not in fitted]
    if foreign:
        now = sorted({_type_family(v) for v in foreign})
        raise TypeError(
            f"Categorical column {name!r} holds {' and '.join(now)} values (such as "
            f"{foreign[0]!r}) where its categories at fit were {' and '.join(sorted(fitted))} "
            f"values (such as {known[0]!r}): no such value can match a category, so each "
            "would count as unseen, and its row as an outlier. Give the column the type "
            f"it had at fit ({' or '.join(sorted(fitted))})."
        )


@dataclass
class CategoricalEncoding:
    """The layout of the encoded input: ``is_categorical`` per input column,
    the ``categories`` of each categorical one (in order) and the dtype to
    decode it to (``kinds``: "category", or the name of its pandas dtype),
    the loss of an unseen category, and the dtype of each numeric column
    (``numeric_kinds``; None: float64, as a model saved before they were
    kept decodes them)."""

    is_categorical: np.ndarray
    categories: list[np.ndarray]
    kinds: list[str]
    unseen_nats: float
    numeric_kinds: list[str] | None = None

    @classmethod
    def fit(cls, X, mask: np.ndarray) -> CategoricalEncoding:
        X = _array_or_frame(X)
        categories, kinds = [], []
        for j in np.flatnonzero(mask):
            name = _label(X.columns[j]) if hasattr(X, "columns") else int(j)
            if hasattr(X, "dtypes"):
                dtype = X.dtypes.iloc[j]
            elif getattr(X, "dtype", np.dtype(object)).kind in "biuf":
                # The array's own: its categories are its numbers, and came
                # back as objects (a probe: float64 in, object out, where
                # the imputer gave float64).
                dtype = X.dtype
            else:
                dtype = np.dtype(object)
            kind = _dtype_kind(dtype)
            if kind == "category":
                cats = np.asarray(dtype.categories, dtype=object)
            elif kind == "dictionary":  # its own values, in its order
                cats = dictionary_values(X.iloc[:, j])
            else:
                try:
                    cats = _sorted_categories(_column(X, j))
                except TypeError as exc:  # a dict or a list among the values
                    raise _not_a_category(name, exc) from exc
            # A dtype's categories are listed whether rows hold them or not.
            listed = kind in ("category", "dictionary")
            if len(cats) == 0 or (
                listed and _is_missing(np.asarray(_column(X, j), dtype=object)).all()
            ):
                raise ValueError(f"Categorical column {name!r} has no observed value.")
            if len(cats) > MAX_CATEGORIES:
                unused = ""
                if kind == "category":
                    import pandas as pd

                    held = len(pd.unique(np.asarray(X.iloc[:, j].dropna(), dtype=object)))
                    if held < len(cats):
                        unused = (
                            f" (its dtype lists them; rows hold {held:,}: "
                            ".cat.remove_unused_categories() drops the others)"
                        )
                raise ValueError(
                    f"Categorical column {name!r} has {len(cats):,} categories{unused}, more "
                    f"than {MAX_CATEGORIES} (HistGradientBoosting's limit of categories "
                    "per feature): each takes one input and one output of the network, for "
                    "every row, and a category seen in a handful of rows teaches it nothing "
                    "(an identifier?). Leave the column out of categorical_features or drop "
                    "it, or group its rare values first (OneHotEncoder(max_categories=...), "
                    f"say).{_numbers_hint(cats)}"
                )
            if kind != "category":
                _check_rebuilt_dtype(name, dtype)
            categories.append(cats)
            # The dtype to give the decoded column back ("object", "str", ...).
            if kind == "category":
                kinds.append(_category_kind(dtype))
            else:
                kinds.append(_dtype_name(dtype))
        unseen = float(np.log(len(X) + 1.0))
        # An array's numbers come back in its dtype, as a DataFrame's columns
        # in theirs (a uint8 array gave its numbers back as float64 beside
        # its categories as uint8; a review).
        array = getattr(X, "dtype", np.dtype(object))
        numeric = [
            numeric_kind(X.dtypes.iloc[j] if hasattr(X, "dtypes") else array)
            for j in np.flatnonzero(~np.asarray(mask, dtype=bool))
        ]
        return cls(np.asarray(mask, dtype=bool), categories, kinds, unseen, numeric)

    @property
    def widths(self) -> list[int]:
        """The number of encoded entries of each input column."""
        sizes = iter(len(c) for c in self.categories)
        return [next(sizes) if c else 1 for c in self.is_categorical]

    @property
    def n_encoded(self) -> int:
        return sum(self.widths)

    def entry_columns(self) -> np.ndarray:
        """The input column of each encoded entry."""
        return np.repeat(np.arange(len(self.widths)), self.widths)

    def blocks(self) -> list[tuple[int, int]]:
        """``(start, stop)`` of each input column in the encoded input."""
        stops = np.cumsum(self.widths)
        return [(int(b - w), int(b)) for b, w in zip(stops, self.widths, strict=True)]

    def numeric_positions(self) -> np.ndarray:
        """The encoded positions of the numeric columns."""
        pairs = zip(self.blocks(), self.is_categorical, strict=True)
        return np.array([start for (start, _), c in pairs if not c], dtype=np.int64)

    def one_hot_mask(self) -> np.ndarray:
        """Which encoded entries are one-hot (not numbers)."""
        mask = np.ones(self.n_encoded, dtype=bool)
        mask[self.numeric_positions()] = False
        return mask

    def encode(self, X) -> np.ndarray:
        """``X`` as a float64 array of ``n_encoded`` columns: numbers as they
        are, each categorical column one-hot (NaN where missing, zeros where
        unseen). Raises a ValueError naming a numeric column that is not."""
        return self.expand(self.coded(X))

    def coded(self, X) -> CodedRows:
        """``X`` read once into :class:`CodedRows`: what :meth:`expand`
        encodes any rows of without going back to ``X``. Raises what
        :meth:`encode` raises."""
        n_categorical = len(self.categories)
        numbers = np.empty((X.shape[0], len(self.is_categorical) - n_categorical))
        codes = np.empty((X.shape[0], n_categorical), dtype=np.int16)
        k = m = 0
        for _, categorical, values, coded in self._columns(X):
            if categorical:
                codes[:, k] = np.where(_is_missing(values), MISSING_CODE, coded)
                k += 1
            else:
                numbers[:, m] = coded
                m += 1
        return CodedRows(numbers, codes)

    def expand(self, rows: CodedRows) -> np.ndarray:
        """The encoding of :meth:`coded` ``rows`` (as :meth:`encode`)."""
        out = np.zeros((len(rows), self.n_encoded), dtype=np.float64)
        out[:, self.numeric_positions()] = rows.numbers
        blocks = [b for b, c in zip(self.blocks(), self.is_categorical, strict=True) if c]
        for (start, stop), codes in zip(blocks, rows.codes.T, strict=True):
            seen = np.flatnonzero(codes >= 0)
            # int16 codes plus a position past 32,767 would wrap in int16.
            out[seen, start + codes[seen].astype(np.intp)] = 1.0
            out[codes == MISSING_CODE, start:stop] = np.nan
        return out

    @staticmethod
    def check_finite(rows: CodedRows) -> None:
        """Raise the error :func:`~sklearn.utils.check_array` gives an
        encoding of ``rows`` that holds an infinite number: what reads the
        rows a batch at a time refuses them before the first batch, as it
        did the whole encoding (and with the same error whichever rows are
        bad)."""
        from sklearn.utils import check_array

        infinite = np.isinf(rows.numbers).any(axis=0)
        if infinite.any():
            check_array(rows.numbers[:, [np.argmax(infinite)]], ensure_all_finite="allow-nan")

    def _columns(self, X):
        """For each input column of ``X``: its block of encoded entries,
        whether it is categorical, its values (objects), and its numbers
        (float64), or its categories' indices (-1 for a missing or unseen
        value)."""
        import pandas as pd

        X = _array_or_frame(X)
        cats = iter(self.categories)
        names = list(X.columns) if hasattr(X, "columns") else None
        for j, (block, categorical) in enumerate(
            zip(self.blocks(), self.is_categorical, strict=True)
        ):
            values = _column(X, j)
            name = _label(names[j]) if names is not None else j
            if not categorical:
                missing = _is_missing(values)
                try:
                    numbers = np.where(missing, np.nan, values).astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"Column {name!r} is numeric (not in categorical_features) but holds "
                        f"values that are not numbers: {exc}"
                    ) from exc
                yield block, categorical, values, numbers
                continue
            known = next(cats)
            try:
                # An object index of the values as they are: inferred, text
                # became pyarrow strings, which refuse a lone surrogate
                # (bytes decoded with "surrogateescape") where Python keeps it.
                codes = pd.Index(known, dtype=object).get_indexer(pd.Index(values, dtype=object))
            except TypeError as exc:  # a dict or a list among the values
                raise _not_a_category(name, exc) from exc
            _check_category_types(name, known, values, codes)
            yield block, categorical, values, codes

    def choose(self, values: np.ndarray, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """From reconstructions in the encoded layout (numbers in original
        units, category probabilities): the numbers, one column per numeric
        input column, and the index of each categorical column's category,
        the most probable, or one drawn from its probabilities with
        ``random_state`` (a ``RandomState``), as a sample is."""
        numbers = values[:, self.numeric_positions()]
        chosen = np.empty((len(values), len(self.categories)), dtype=np.intp)
        blocks = [b for b, c in zip(self.blocks(), self.is_categorical, strict=True) if c]
        for k, (start, stop) in enumerate(blocks):
            probabilities = values[:, start:stop]
            if random_state is None:
                chosen[:, k] = np.argmax(probabilities, axis=1)
            else:
                chosen[:, k] = _draw(probabilities, random_state)
        return numbers, chosen

    def frame(self, numbers: np.ndarray, chosen: np.ndarray, columns, index=None):
        """:meth:`choose`'s numbers and categories as a DataFrame with the
        input's columns, each in its dtype (integers rounded into their range)."""
        import pandas as pd

        data = {}
        numeric = iter(range(numbers.shape[1]))
        numeric_kinds = self.numeric_kinds or ["float64"] * numbers.shape[1]
        cats = iter(enumerate(zip(self.categories, self.kinds, strict=True)))
        for name, categorical in zip(columns, self.is_categorical, strict=True):
            if not categorical:
                j = next(numeric)
                if numeric_kinds[j] == "float64":
                    data[name] = pd.Series(numbers[:, j], copy=False)
                else:
                    dtype = pd.api.types.pandas_dtype(_dtype_from_name(numeric_kinds[j]))
                    data[name] = pd.Series(numbers_in_dtype(numbers[:, j], dtype))
                continue
            k, (categories, kind) = next(cats)
            labels = categories[chosen[:, k]]
            if kind.partition(_CATEGORIES_OF)[0] in ("category", "ordered category"):
                dtype = _category_dtype(kind, categories)
                data[name] = pd.Series(pd.Categorical(labels, dtype=dtype))
            else:
                # A Series of the column's own dtype: a DataFrame built from
                # bare values would infer one ("str" for pandas 3's objects).
                data[name] = series_of(labels, _dtype_from_name(kind), categories)
        frame = pd.DataFrame(data)
        if index is not None:
            frame.index = index
        return frame
