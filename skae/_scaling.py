"""The input side: how ``X`` is scaled before it reaches the network, and back.

The estimators learn a per-feature ``mean_`` and ``scale_`` at the first
``fit`` (or ``partial_fit``) and feed the network ``(X - mean_) / scale_``.
With ``scaling="feature"`` that is what
:class:`~sklearn.preprocessing.StandardScaler` does, so tabular data in mixed
units can be passed as it is.

Per-feature standardisation amplifies a near-constant feature: a feature with
a standard deviation of 0.001 among features of standard deviation 1 becomes a
thousand times louder, and noise there at predict time explodes through the
network (reconstructions 30 times further from the clean data than the noisy
input, ``benchmarks/quality.py``). No rule on the standard deviations alone can
tell such a feature from one measured in small units, and a floor under the
scales would make the second weigh less in the loss.

The default, ``scaling="auto"``, first looks at the data's bounds. When more
than half of the varying features reach the smallest value of the varying
features, more than half their largest, and none reaches neither
(:func:`on_one_scale`; a constant column does not count), the
features are measured on one fixed scale: pixel intensities, 0/1 indicators,
columns already min-max scaled. There a quiet feature (a border pixel) is
quiet because little happens in it, not because of its units, so every
feature is centred and all are divided by one scale, the root mean square of
their standard deviations: the loss, the scores and the reconstructions weigh
the features as the data does.
On digits this is what brings the default reconstructions below PCA's and a
noisy digit's reconstruction closer to the clean digit than the noise
(``benchmarks/results/quality.md``). Continuous measurements in their own
units never share both bounds (one feature reaches each), nor do standardised
data.

Otherwise ``"auto"`` standardises every feature exactly (the loss, the scores
and the reconstructions treat each feature alike, whatever its units) and
bounds the amplification where it happens, at the encoder's input: the encoder
sees a feature whose standard deviation is below ``SCALE_FLOOR`` (0.3) times
the median one of the non-constant features attenuated by the ratio
(:func:`input_gain`), so that a unit of it, in its own units, moves the
network's input no more than a unit of a feature at that floor does: a
near-constant feature is at most about three times louder than a typical one,
not thousands of times. On the decoder's side nothing is amplified: a
near-constant feature's reconstruction is multiplied by its own small scale.
Data whose features have spreads within that factor of the median
(standardised data, for one) train exactly as with ``"feature"``. The
attenuation has a price: an informative feature much quieter than the others
also reaches the encoder attenuated, and the network takes longer to learn to
use it (a floor of 1.0 cost a third of the imputation accuracy on a small
table whose spreads differ up to seventeenfold). The measurements that chose
the rules, and what they cost data in mixed units:
``benchmarks/results/scaling_ablation.md``.

Outside training, the encoder also sees each feature clipped to the range it
had in the training data (:class:`skae._architectures.AutoEncoderModule`), so
a perturbation of any feature moves the network's input no further than the
training data span.

Data larger than scikit-learn's ``working_memory`` is scaled a batch at a
time (:class:`ScaledRows`) rather than copied whole.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from ._warnings import warn_caller

#: Rows per block when summing squared deviations (bounds the float64 copy).
BLOCK_ROWS = 4096
#: ``scaling="auto"``: the encoder sees a feature whose standard deviation is
#: below this fraction of the median one (of the non-constant features) as
#: if its standard deviation were that.
SCALE_FLOOR = 0.3
#: ``scaling="auto"``: features are taken to be on one fixed scale when more
#: than this fraction of the non-constant ones reach the smallest value of
#: the non-constant ones, and more than this fraction the largest.
SHARED_BOUNDS = 0.5


def check_some_observed(X: np.ndarray, columns: np.ndarray | None = None) -> None:
    """Refuse data with no observed value at all (every entry NaN, or every
    entry of the ``columns`` that count, where given): there is nothing to
    fit, and its statistics would come from the empty rows."""
    if columns is not None:
        empty = empty_rows(X, columns)
        if len(X) and empty is not None and empty.all():
            raise ValueError(f"X has no observed value: {no_value(columns)}.")
        return
    blocks = range(0, len(X), BLOCK_ROWS)
    if len(X) and not any((~np.isnan(X[i : i + BLOCK_ROWS])).any() for i in blocks):
        raise ValueError(f"X has no observed value: {no_value(None)}.")


def no_value(columns: np.ndarray | None) -> str:
    """What a row with no observed value is, where only ``columns`` count
    (None: every column)."""
    if columns is None:
        return "every entry is NaN"
    return "every entry is NaN, or in a column the first fit saw no value of"


def mean_and_std(
    X: np.ndarray, *, per_feature: bool, names=None, blockwise: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of X per feature (or over all entries,
    repeated per feature), in float64.

    ``np.std`` would hold ``X - mean`` in float64 for the whole array (twice
    the memory of float32 data); here the deviations are summed a block of
    rows at a time. ``names`` labels the columns in warnings (their
    positions by default). ``blockwise`` sums complete data a block at a
    time too, as rows that only come a block at a time must be: the same
    means, to the last bit, whether such rows are in memory or not.
    """
    axis = 0 if per_feature else None
    blocks = range(0, len(X), BLOCK_ROWS)
    never_observed = np.zeros(X.shape[1], dtype=bool)
    # One pass for the counts and the sums (rows read from disk, or encoded
    # as they are read, cost a pass each).
    counts, total = 0, 0
    for i in blocks:
        block = X[i : i + BLOCK_ROWS]
        missing = np.isnan(block)
        counts = counts + (~missing).sum(axis=0)
        total = total + _sum_observed(block, missing.any(), axis, dtype=np.float64)
    complete = not np.any(counts < len(X))
    if not complete:
        # Missing entries (NaN) are left out; a feature with none observed
        # is centred on 0 and, being constant, not scaled.
        never_observed = counts == 0
        observed = counts if per_feature else counts.sum()
        if per_feature and never_observed.any():
            _warn_never_observed(
                observed,
                "they are ignored, their values counted as missing (inverse_transform, "
                "and AutoEncoderImputer, give 0 there)",
                names,
            )
        mean = total / np.maximum(observed, 1)
    else:
        # Complete data: the mean exactly as before missing values were allowed.
        observed = len(X) if per_feature else X.shape[0] * X.shape[1]
        if isinstance(X, np.ndarray) and not blockwise:
            mean = X.mean(axis=axis, dtype=np.float64)
        else:  # rows made a block at a time (EncodedRows)
            mean = total / observed
    squares = sum(
        _sum_observed(np.square(X[i : i + BLOCK_ROWS] - mean), not complete, axis) for i in blocks
    )
    std = np.sqrt(squares / np.maximum(observed, 1))
    std = _without_underflow(X, mean, std, observed, axis)
    mean = np.broadcast_to(mean, X.shape[1]).copy()
    # A feature never observed is centred on 0 whatever the scaling, not on
    # the other features' mean: it is reconstructed as 0 (its warning says
    # so), and the estimator reads its later values as missing.
    mean[never_observed] = 0.0
    return mean, np.broadcast_to(std, X.shape[1]).copy()


def _sum_observed(values: np.ndarray, missing: bool, axis, dtype=None) -> np.ndarray:
    """``np.nansum(values, axis)``; with no ``missing`` entry (NaN) a plain
    sum, the same to the last bit without nansum's copy of the block (the
    passes of the scaling were 0.1 s of a 1.4 s fit of 60,000 x 784 on a GPU)."""
    if missing:
        return np.nansum(values, axis=axis, dtype=dtype)
    return values.sum(axis=axis, dtype=dtype)


#: Below this, a standard deviation's squares lost digits to underflow.
TINY_STD = 1e-150


def _without_underflow(X, mean, std, observed, axis):
    """``std`` where it is below ``TINY_STD`` but the values differ, measured
    in units of their range: deviations below about 1e-154 square to
    subnormal numbers or 0 in float64, and data in units of 1e-165 was taken
    for constant (every row scored alike). (Deviations whose squares
    overflow stay refused: one entry of 1e300 among ordinary values would
    leave the others a single scaled value.)"""
    if np.all(std >= TINY_STD):
        return std
    blocks = range(0, len(X), BLOCK_ROWS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column never observed
        # fmin / fmax over the blocks too: a block missing every entry of a
        # feature gives NaN, which np.min let through, and the feature was
        # taken for constant.
        low = np.fmin.reduce([np.nanmin(X[i : i + BLOCK_ROWS], axis=axis) for i in blocks])
        high = np.fmax.reduce([np.nanmax(X[i : i + BLOCK_ROWS], axis=axis) for i in blocks])
    spread = np.asarray(high - low, dtype=np.float64)
    redo = (np.asarray(std) < TINY_STD) & (spread > 0)
    if not redo.any():
        return std
    unit = np.where(redo, spread, 1.0)
    squares = sum(
        np.nansum(np.square((X[i : i + BLOCK_ROWS] - mean) / unit), axis=axis) for i in blocks
    )
    rescued = unit * np.sqrt(squares / np.maximum(observed, 1))
    return np.where(redo, rescued, std)


def fit_scaling(
    X: np.ndarray, scaling: str, *, unit_interval: bool
) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, scale)`` for ``scaling`` in {"auto", "feature", "global", "none"}
    (see :func:`fit_input_scaling` for "auto")."""
    mean, scale, _ = fit_input_scaling(X, scaling, unit_interval=unit_interval)
    return mean, scale


def _check_float32_range(X: np.ndarray) -> None:
    """Refuse data that float32 reads as zeros, unscaled: every value of 1e-300
    data became 0, and every row got the same code and score, silently."""
    largest = 0.0
    # In blocks of about 2**18 entries: X may be a large memmap, and fit keeps
    # no copy of a float32 X.
    step = max(1, 2**18 // max(1, X.shape[1]))
    for start in range(0, len(X), step):
        block = np.abs(X[start : start + step])
        if not np.isnan(block).all():
            largest = max(largest, float(np.nanmax(block)))
    if 0.0 < largest < float(np.finfo(np.float32).tiny):
        raise ValueError(
            f"Input X is too small for float32 without scaling (its largest value is "
            f"{largest:.3g}): the network would read it as zeros. Use scaling='auto'."
        )


def fit_input_scaling(
    X: np.ndarray, scaling: str, *, unit_interval: bool, names=None, blockwise: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(mean, scale, gain)`` for ``scaling`` in {"auto", "feature", "global", "none"}.

    ``"auto"`` scales data on one fixed scale (:func:`on_one_scale`) by one
    scale, the root mean square of the features' standard deviations, and
    other data as ``"feature"`` does. ``gain`` is the encoder's per-feature
    input gain (:func:`input_gain`), None (no attenuation) except with
    ``"auto"`` on data not on one fixed scale.

    ``unit_interval`` (binary cross-entropy) keeps the data as it is, and
    requires it in [0, 1]. Constant features (up to rounding) are centred but
    not scaled. Raises a ValueError when X is too large to standardise.
    ``names`` labels the columns in warnings; ``blockwise`` is
    :func:`mean_and_std`'s.
    """
    n_features = X.shape[1]
    if unit_interval:
        check_unit_interval(X)
    elif scaling == "none":
        _check_float32_range(X)
    # An overflow shows as a non-finite statistic, reported below.
    with np.errstate(over="ignore", invalid="ignore"):
        if unit_interval or scaling == "none":
            mean, scale = np.zeros(n_features), np.ones(n_features)
        else:
            per_feature = scaling in ("auto", "feature")
            mean, scale = mean_and_std(X, per_feature=per_feature, names=names, blockwise=blockwise)
    # Constant features (up to rounding) have no spread of their own. Relative
    # to the mean only, as StandardScaler's test is: a feature measured in
    # small units (a spread of 1e-6, say) is not constant, whatever the dtype.
    # A spread within the rounding of the float64 mean (up to about 1e3
    # epsilons of it, summed over many blocks) is measured again around a
    # value the feature takes, which holds no rounding: a spread of 1.5 at
    # 1e13 (770 epsilons of it) was taken for a constant, centred 1.34 off
    # and amplified 1,500 times.
    eps = np.finfo(np.float64).eps
    constant = scale <= 1e3 * eps * np.abs(mean)
    if per_feature_scaling(scaling, unit_interval):
        # An overflowed spread is measured again too: a constant of 1e200 has
        # a mean rounded by 1e184, whose square overflows (refused, where
        # 1e150 and 1e307 were taken as the constants they are). One scale
        # for every feature is not measured again: such data are refused.
        constant |= np.isinf(scale) & np.isfinite(mean)
    if per_feature_scaling(scaling, unit_interval) and constant.any():
        columns = np.flatnonzero(constant)
        # Centred on a value the feature takes, not on the rounded mean: a
        # constant of 1e25 is 2**31 from its float64 mean, which the network
        # then saw as a constant input of 4e9 (and its codes collapsed).
        value = _observed_value(X, columns, mean[columns])
        spread = _spread_around(X, columns, value)
        varying = spread > CONSTANT_ULPS * eps * np.abs(value)
        constant[columns[varying]] = False
        mean[columns[~varying]] = value[~varying]
    scale[constant] = 1.0
    too_large = ~(np.isfinite(mean) & np.isfinite(scale))
    if too_large.any():
        columns = np.flatnonzero(too_large).tolist()
        if names is not None:
            columns = list(dict.fromkeys(np.asarray(names, dtype=object)[columns].tolist()))
        # Names are strings (a DataFrame's); otherwise positions, said so:
        # columns named 1, 2, 3 are at positions 0, 1, 2.
        where = "" if all(isinstance(c, str) for c in columns) else "at positions "
        raise ValueError(
            f"Input X contains values too large to standardise, in the columns {where}{columns}."
        )
    gain = None
    if scaling == "auto" and not unit_interval:
        if on_one_scale(X, constant):
            # One unit: every feature keeps its spread relative to the others.
            # Their root mean square, relative to the largest: spreads of
            # 9e153 squared to infinity, and every feature's scale with them.
            spread = scale[~constant]
            top = spread.max()
            scale[~constant] = top * np.sqrt(np.mean(np.square(spread / top)))
        else:
            gain = input_gain(scale, constant)
    if constant.any() and not constant.all():
        # A constant feature is centred and divided by the median scale of
        # the others (StandardScaler divides it by 1): a deviation from the
        # constant then weighs in the score as a deviation of a typical
        # feature, whatever the units of X. Divided by 1, a constant of data
        # in units of 1e-6 that jumped by 95 units (9.5e-5) counted 1e-6 as
        # much as in units of 1, and was missed.
        scale[constant] = np.median(scale[~constant])
    return mean, scale, gain


#: A feature is constant when its values lie within this many float64
#: epsilons of one of them (root mean square): the rounding of a computation
#: that gave the same number, not a spread.
CONSTANT_ULPS = 64

#: How far outside [0, 1] binary cross-entropy lets an entry be: the rounding
#: of a MinMaxScaler (1 + 2.2e-16) or of float32 arithmetic (1 + 1.2e-7) is
#: not a value outside the interval.
UNIT_TOLERANCE = 1e-6


def check_unit_interval(X: np.ndarray, columns: np.ndarray | None = None) -> None:
    """Raise a ValueError if X (missing entries left out) leaves [0, 1] by
    more than ``UNIT_TOLERANCE``, as binary cross-entropy cannot train on it.
    ``columns`` (booleans), where given, are the columns that count: values
    in a column the fit saw no value of are read as missing."""
    if columns is not None:
        X = _Columns(X, columns)
    blocks = range(0, len(X), BLOCK_ROWS)
    # fmin / fmax leave missing entries out, within a block and across them:
    # Python's min kept a first block of missing entries' NaN, every
    # comparison after it was False, and values of 7 were taken for [0, 1].
    # (NaN for no observed entry at all: nothing to refuse.)
    low = np.fmin.reduce(
        [np.fmin.reduce(X[i : i + BLOCK_ROWS], axis=None) for i in blocks], initial=np.nan
    )
    high = np.fmax.reduce(
        [np.fmax.reduce(X[i : i + BLOCK_ROWS], axis=None) for i in blocks], initial=np.nan
    )
    if low < -UNIT_TOLERANCE or high > 1 + UNIT_TOLERANCE:
        raise ValueError(
            "loss='binary_crossentropy' needs X in [0, 1], but X ranges over "
            f"[{float(low)!r}, {float(high)!r}]. Scale X (e.g. MinMaxScaler) or use "
            "loss='squared_error'."
        )


class _Columns:
    """The ``columns`` of ``X``, a block of rows at a time (no copy of ``X``)."""

    def __init__(self, X: np.ndarray, columns: np.ndarray) -> None:
        self.X, self.columns = X, columns

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, rows: slice) -> np.ndarray:
        return self.X[rows][:, self.columns]


def per_feature_scaling(scaling: str, unit_interval: bool) -> bool:
    """Whether each feature gets a mean of its own."""
    return not unit_interval and scaling in ("auto", "feature")


def column_means(X: np.ndarray, names=None, *, warn: bool = True) -> np.ndarray:
    """Each column's mean over its observed entries (0 for a column with
    none, with a warning naming it by ``names`` unless not ``warn``), in
    float64, a block of rows at a time."""
    # One pass (rows read from disk, or encoded as they are read, cost a
    # pass each).
    total, observed = 0, 0
    for i in range(0, len(X), BLOCK_ROWS):
        block = X[i : i + BLOCK_ROWS]
        missing = np.isnan(block)
        total = total + _sum_observed(block, missing.any(), 0, dtype=np.float64)
        observed = observed + (~missing).sum(axis=0)
    if warn and np.any(observed == 0):
        _warn_never_observed(
            observed,
            "they are ignored, their values counted as missing (inverse_transform, and "
            "AutoEncoderImputer, give 0 there)",
            names,
        )
    return total / np.maximum(observed, 1)


def never_observed(X: np.ndarray) -> np.ndarray | None:
    """Which columns of ``X`` hold no observed value (every entry NaN), or
    None when every column holds one; a block of rows at a time, stopping
    once every column has shown a value (the first block, usually)."""
    seen = np.zeros(X.shape[1], dtype=bool)
    for i in range(0, len(X), BLOCK_ROWS):
        seen |= ~np.isnan(X[i : i + BLOCK_ROWS]).all(axis=0)
        if seen.all():
            return None
    return ~seen


def _warn_never_observed(observed: np.ndarray, consequence: str, names=None) -> None:
    """Warn that the features with no ``observed`` entry keep ``consequence``
    (whatever later chunks of a stream hold), by ``names`` (the input columns
    of the entries; their positions by default)."""
    never = np.flatnonzero(observed == 0)
    if names is not None:
        # Once per column: a categorical column has several entries.
        never = list(dict.fromkeys(np.asarray(names, dtype=object)[never].tolist()))
    else:
        never = never.tolist()
    warn_caller(
        f"Features {never} have no observed value in the data the scaling is fitted on: "
        f"{consequence}, and stay so until the next fit (partial_fit does not change it)."
    )


def _spread_around(X: np.ndarray, columns: np.ndarray, value: np.ndarray) -> np.ndarray:
    """The root mean square of the ``columns`` of X less ``value`` (over
    their observed entries), a block of rows at a time."""
    squares, counts = np.zeros(len(columns)), np.zeros(len(columns))
    for start in range(0, len(X), BLOCK_ROWS):
        block = np.asarray(X[start : start + BLOCK_ROWS][:, columns], dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            squares += np.nansum(np.square(block - value), axis=0)
        counts += (~np.isnan(block)).sum(axis=0)
    return np.sqrt(squares / np.maximum(counts, 1))


def _observed_value(X: np.ndarray, columns: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """One value each of the (constant) ``columns`` of X takes: its first
    observed entry, or ``fallback`` where none is observed."""
    values = np.array(fallback, dtype=np.float64)
    for i, j in enumerate(columns):
        for start in range(0, len(X), BLOCK_ROWS):
            block = np.asarray(X[start : start + BLOCK_ROWS][:, j], dtype=np.float64)
            seen = block[~np.isnan(block)]
            if len(seen):
                values[i] = seen[0]
                break
    return values


def on_one_scale(X: np.ndarray, constant: np.ndarray) -> bool:
    """Whether the non-constant features of X are measured on one fixed
    scale: more than ``SHARED_BOUNDS`` (half) of them reach the smallest value
    of their entries, more than half the largest, and every one of them at
    least one of the two (missing entries and constant features left out: a
    constant column of 7 beside 0/1 indicators is a one-scale table).

    Pixel intensities, 0/1 indicators and columns already min-max scaled
    pass. Continuous measurements in their own units do not: there each
    bound is reached by one feature, whatever their spreads (so two features
    share a scale only if both reach both bounds), and standardised data have
    no shared bounds. Nor does a table of indicators with a measurement
    among them that reaches neither bound: its columns are in mixed units.
    """
    if np.count_nonzero(~constant) < 2:
        return False
    lows, highs = [], []
    for i in range(0, len(X), BLOCK_ROWS):
        block = X[i : i + BLOCK_ROWS]
        lows.append(np.fmin.reduce(block, axis=0))
        highs.append(np.fmax.reduce(block, axis=0))
    # In float64: the range of float32 values near its largest overflowed to
    # inf, its tolerance with it, and every feature "reached" both bounds
    # (a table with one column at +-2e38 was divided by 5e37 throughout).
    low = np.fmin.reduce(lows).astype(np.float64)[~constant]
    high = np.fmax.reduce(highs).astype(np.float64)[~constant]
    bottom, top = low.min(), high.max()
    # Bounds equal up to rounding (a MinMaxScaler's 0.9999999999999999).
    tolerance = 1e-9 * (top - bottom)
    at_bottom, at_top = low <= bottom + tolerance, high >= top - tolerance
    # A feature that reaches neither bound is a measurement in its own units
    # (rates of 5e-4 +- 1e-4 among 0/1 indicators): divided by the one scale
    # they were 4,600 times quieter than the indicators, the network ignored
    # them, and a value 100 of their standard deviations out ranked 959th of
    # 1,000 rows. A pixel or an indicator reaches a bound (its blank, its 0).
    if not np.all(at_bottom | at_top):
        return False
    return bool(min(at_bottom.mean(), at_top.mean()) > SHARED_BOUNDS)


def input_gain(scale: np.ndarray, constant: np.ndarray) -> np.ndarray | None:
    """The factor the encoder multiplies each standardised feature by:
    ``min(1, scale / floor)`` with ``floor = SCALE_FLOOR * median(scale)``
    over the non-constant features, so that no feature's deviation, in its
    own units, reaches the encoder divided by less than ``floor``. None when no
    feature needs attenuating. A constant feature's gain is 1: its scale, 1
    here, becomes the median scale afterwards, which needs no attenuation
    (read as 1, it was attenuated in data of large units: a gain of 0.027
    for X * 128 where X gave 1, a review).
    """
    if constant.all():
        return None
    floor = SCALE_FLOOR * np.median(scale[~constant])
    gain = np.minimum(1.0, scale / floor)
    gain[constant] = 1.0
    # A spread at the floor up to rounding is at it: no gain (else a feature
    # a hair below would make the encoder's input an attenuated copy).
    gain[gain > 1.0 - 1e-6] = 1.0
    return gain if np.any(gain < 1.0) else None


def as_tensor(X: np.ndarray, device: torch.device) -> torch.Tensor:
    """``X`` as a float32 tensor on ``device``, sharing memory where it can."""
    with np.errstate(over="ignore"):
        # Overflow to inf is reported by the caller's finiteness test.
        X = X.astype(np.float32, copy=False)
    if not X.flags.writeable or any(stride < 0 for stride in X.strides):
        # torch cannot share a read-only buffer (a read-only memmap, say), nor
        # one read backwards (float32 rows reversed, X[::-1], failed every
        # method with torch's error).
        X = X.copy()
    return torch.from_numpy(X).to(device)


def _scaled_in_float64(
    X: np.ndarray, mean: np.ndarray, scale: np.ndarray, device: torch.device
) -> torch.Tensor:
    """``(X - mean) / scale`` computed in ``X``'s dtype (float64), as a
    float32 tensor."""
    with np.errstate(over="ignore"):
        # In place after the subtraction: one copy of X, not two.
        scaled = X - mean.astype(X.dtype)
        scaled /= scale.astype(X.dtype)
    return as_tensor(scaled, device)


def scaled_tensor(
    X: np.ndarray,
    mean: np.ndarray,
    scale: np.ndarray,
    device: torch.device,
    *,
    overflow: bool = False,
) -> torch.Tensor:
    """``(X - mean) / scale`` as a float32 tensor on ``device``.

    Raises a ValueError when a scaled value does not fit in float32, unless
    ``overflow``, where such a value is infinite (for scores: the row is as
    abnormal as a row can be).
    """
    # Whether every value is finite, where a step below has summed them.
    finite = None
    if np.all(mean == 0.0) and np.all(scale == 1.0):
        # ``scaling="none"`` (or binary cross-entropy): no arithmetic, no copy
        # beyond the cast to float32.
        x = as_tensor(X, device)
    elif X.dtype == np.float32:
        # float32 rows are scaled where they are trained on, with the same
        # float32 arithmetic as numpy's: on a GPU, the host keeps no scaled
        # copy of the data and does none of the work.
        x = as_tensor(X, device)
        centre = torch.as_tensor(mean.astype(np.float32), device=device)
        divisor = torch.as_tensor(scale.astype(np.float32), device=device)
        if x.device.type == "cpu":
            # On the CPU ``x`` may share X's memory: never write to it.
            x = torch.sub(x, centre).div_(divisor)
        else:
            x.sub_(centre).div_(divisor)
        finite = bool(torch.isfinite(x.sum()))
        if not finite and torch.isinf(x).any():
            # float32's own arithmetic overflowed: -3.3e38 less a mean of
            # 2e37 is beyond its range, though both are within it, and the
            # standardised value (-6.6) is not. Then in float64, as float64
            # rows are (float32 rows near its limit were refused, a probe).
            x = _scaled_in_float64(X.astype(np.float64), mean, scale, device)
            finite = None
    else:
        x = _scaled_in_float64(X, mean, scale, device)
    # A sum is far cheaper than an elementwise test, and is finite whenever
    # every value is; only when it is not (a huge value, or the sum itself
    # overflowing) are the values tested one by one.
    # Missing entries stay NaN (the network fills them); only an infinity is
    # an error.
    if overflow or finite:
        return x
    if not torch.isfinite(x.sum()) and torch.isinf(x).any():
        raise ValueError(
            "Input X contains values too large for float32 once standardised with the "
            "scaling learned at fit."
        )
    return x


class ScaledRows:
    """The rows of ``X`` standardised on demand, a batch at a time.

    For data larger than scikit-learn's ``working_memory`` (a ``numpy.memmap``
    of millions of rows, say): fitting then never holds a scaled copy of all
    of it, only of the rows it is working on. Indexing with a slice or a
    tensor of row indices gives the scaled rows as a float32 tensor on
    ``device``, with the same arithmetic as :func:`scaled_tensor` on the whole
    array, so training and scoring see the same numbers either way.
    """

    def __init__(
        self, X: np.ndarray, mean: np.ndarray, scale: np.ndarray, device: torch.device
    ) -> None:
        self.X, self.mean, self.scale, self.device = X, mean, scale, device
        self.shape = X.shape
        # Scaling is monotone in each feature, so the scaled extremes are the
        # extremes' scaled values: finite there means finite everywhere.
        # One pass (rows read from disk, or encoded as they are read, cost
        # a pass each).
        lows, highs, self.missing = [], [], False
        for i in range(0, len(X), BLOCK_ROWS):
            block = X[i : i + BLOCK_ROWS]
            lows.append(np.fmin.reduce(block, axis=0))
            highs.append(np.fmax.reduce(block, axis=0))
            self.missing = self.missing or bool(np.isnan(block).any())
        # A column the fit saw no value of is centred on NaN: every scaled
        # row holds NaN there, as the one tensor of the in-memory path does
        # (counted from the raw rows alone, its later values reached the loss
        # as numbers, and a fit in batches diverged where one in memory
        # trained; a probe).
        self.never_observed = np.isnan(mean)
        self.missing = self.missing or bool(self.never_observed.any())
        low, high = np.fmin.reduce(lows)[None], np.fmax.reduce(highs)[None]
        self._low = scaled_tensor(low, mean, scale, device)[0]
        self._high = scaled_tensor(high, mean, scale, device)[0]

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index: slice | torch.Tensor) -> torch.Tensor:
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        return scaled_tensor(self.X[index], self.mean, self.scale, self.device)

    def amin(self, dim: int) -> torch.Tensor:
        """Per-feature minimum of the scaled rows (``dim=0`` only)."""
        return self._low

    def amax(self, dim: int) -> torch.Tensor:
        """Per-feature maximum of the scaled rows (``dim=0`` only)."""
        return self._high


class RowSubset:
    """The rows ``indices`` of a :class:`ScaledRows`, scaled when a batch of
    them is asked for: a hold-out split, or the training rows with an
    observed value, that copies nothing."""

    def __init__(self, rows: ScaledRows, indices: torch.Tensor) -> None:
        self.rows, self.indices = rows, indices
        self.device = rows.device
        self.shape = (len(indices), *rows.shape[1:])
        # Of all the rows: what decides whether to count missing entries.
        self.missing = rows.missing

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: slice | torch.Tensor) -> torch.Tensor:
        return self.rows[self.indices[index]]


def rows_for_training(
    X: np.ndarray, mean: np.ndarray, scale: np.ndarray, device: torch.device, working_memory: float
) -> torch.Tensor | ScaledRows:
    """The scaled training rows: one tensor when its float32 copy fits in
    ``working_memory`` MiB, else :class:`ScaledRows`, scaled batch by batch."""
    # Rows encoded a block at a time (EncodedRows) are so because they are large.
    if isinstance(X, np.ndarray) and X.shape[0] * X.shape[1] * 4 <= working_memory * 2**20:
        return scaled_tensor(X, mean, scale, device)
    return ScaledRows(X, mean, scale, device)


def empty_rows(X: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray | None:
    """Which rows of ``X`` have no observed entry (every one NaN); None when
    none is empty. A block of rows at a time: no mask the size of ``X``.

    ``columns`` (booleans), where given, are the columns that count: a
    column the fit saw no value of reads every later value as missing, and
    a row whose only value lies there scored on its code alone, among the
    most normal rows (a review).
    """
    if not isinstance(X, np.ndarray):  # rows encoded a block at a time
        return (
            X.empty_rows() if columns is None else X.columns(np.flatnonzero(columns)).empty_rows()
        )
    if columns is not None:
        X = _Columns(X, columns)
    else:
        # A NaN anywhere makes the sum NaN (finite input: an overflow gives
        # inf, or NaN as inf - inf, which the exact test below settles).
        with np.errstate(over="ignore", invalid="ignore"):
            if not np.isnan(np.sum(X, dtype=np.float64)):
                return None
    if not len(X):
        return None
    blocks = range(0, len(X), BLOCK_ROWS)
    empty = np.concatenate([np.isnan(X[i : i + BLOCK_ROWS]).all(axis=1) for i in blocks])
    return empty if empty.any() else None


def rows_with_values(x: torch.Tensor | ScaledRows) -> np.ndarray | None:
    """Which (scaled) training rows have an observed entry; None when all do."""
    if not has_missing(x):
        return None
    if isinstance(x, ScaledRows):
        never = x.never_observed
        empty = empty_rows(x.X, ~never if never.any() else None)
        return None if empty is None else ~empty
    observed = (~torch.isnan(x).all(dim=1)).cpu().numpy()
    return None if observed.all() else observed


def has_missing(x: torch.Tensor | ScaledRows | RowSubset) -> bool:
    """Whether the (scaled) training rows hold a missing entry (NaN)."""
    if isinstance(x, ScaledRows | RowSubset):
        return x.missing
    return bool(torch.isnan(x.sum()))
