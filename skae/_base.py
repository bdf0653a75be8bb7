"""The scikit-learn protocol, once, for every kind of autoencoder.

:class:`BaseAutoEncoder` owns seeding, the skorch net, ``fit`` /
``partial_fit``, ``transform`` / ``inverse_transform``, outlier scoring and
sampling; the input side (checking ``X``, the categorical encoding, the
scaling, missing entries) is :class:`skae._input.InputSide`, which it
inherits. A kind of autoencoder subclasses it and overrides only the hooks
that make it different; :class:`BaseAutoEncoder`'s Notes list the hooks.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
import json
import math
import os
import threading
import types
from numbers import Integral, Real

import numpy as np
import torch
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    OutlierMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    StrOptions,
)
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import BatchScoring, Callback, EpochScoring, ProgressBar

from ._architectures import (
    ACTIVATIONS,
    AutoEncoderModule,
    conv_autoencoder,
    dense_autoencoder,
)
from ._attribution import repair_gains, share_by_gain
from ._calibration import (
    calibration_rows,
    filled_copy,
    fit_calibration,
    fit_column_scale,
    holed_copies,
    one_hole_copies,
)
from ._docs import fill_doc
from ._input import EncodedRows, InputSide, as_pandas, check_no_temporal_columns
from ._latent import DeterministicLatent
from ._latent_density import (
    bound_codes,
    fit_code_density,
    fit_code_gaussian,
    gaussian_log_density,
    log_density,
    sample_codes,
)
from ._locking import lock_of, reading
from ._net import (
    AutoEncoderNet,
    Corruption,
    HoldOutEarlyStopping,
    HoldOutSplit,
    NetSnapshot,
    Penalty,
    TimeLeft,
)
from ._reconstruction import (
    RECONSTRUCTION_LOSSES,
    MixedTypeLoss,
    PerFeatureLoss,
    SquaredError,
)
from ._scaling import (
    as_tensor,
    check_some_observed,
    check_unit_interval,
    empty_rows,
    has_missing,
    no_value,
    rows_for_training,
    rows_with_values,
)
from ._screen import screened_rows, select_rows, tail_terms
from ._sizing import (
    MAX_EPOCHS,
    MIN_VALIDATION_ROWS,
    WIDE_FEATURES,
    auto_batch_size,
    auto_early_stopping,
    auto_epochs,
    auto_hidden_layer_sizes,
    auto_lr,
    auto_n_components,
    auto_rows_per_epoch,
)
from ._threads import flush_denormals, step_threads
from ._training_checks import (
    FLAT_SHARE,
    check_not_diverged,
    check_trained,
    reconstruction_error,
    training_steps,
)
from ._warnings import held_warnings, warn_caller

#: Rows per forward pass at inference, at most; fewer when scikit-learn's
#: ``working_memory`` holds fewer rows' activations (see ``_inference_rows``).
INFERENCE_BATCH_SIZE = 4096
#: Float32 copies of a row's input a score holds besides the network's
#: activations: the input, its reconstruction, the error and its square.
ROW_COPIES = 4
#: A first partial_fit chunk of fewer rows fits the scaling with a warning: a
#: stream that began with one row kept a scale of 1 for every feature (held-out
#: error 91 times the variance's, where a first chunk of 10 rows gave 0.79).
MIN_SCALING_ROWS = 10
#: Names a penalty cannot take: the reconstruction term's, and those the
#: history records beside the terms (``train_loss``, skorch's
#: ``train_loss_best``, ``train_batch_count``; "n" counts the rows of the
#: epoch's sums).
RESERVED_TERMS = frozenset({"reconstruction", "loss", "loss_best", "batch_count", "n"})
#: How far below the contamination's percentile of the training scores
#: ``offset_`` lies, relative to its size and the scores' spread: ties at it
#: stay inliers despite the network's batch-dependent float32 rounding.
TIE_TOLERANCE = 1e-5
#: partial_fit fits the scores' statistics on at least this many of the
#: latest rows (IsolationForest's subsample size).
MIN_REFRESH_ROWS = 256
#: What a screened fit keeps for partial_fit's threshold (see
#: ``BaseAutoEncoder._keep_screened_sample``).
_SCREENED_STATE = ("_recent_screened", "_screened_share", "_recent_fit_rows")
#: From small chunks, the sampling density and the missing-value calibration
#: are refitted once this many rows are new (see ``_rows_for_statistics``).
DENSITY_REFRESH_ROWS = MIN_REFRESH_ROWS // 4
#: When ``partial_fit`` refits the scores' statistics, no row counts for
#: more than this many times a feature's typical error (``error_scale_``
#: before the call), nor its code for more than this many times the codes'
#: typical squared distance from their median (``bound_codes``, which widens
#: it for a stream that moved): one value 1e6 standard
#: deviations out in a chunk of 10 rows multiplied every feature's error
#: scale by about 1e8, and the detector went from flagging 100% of clear
#: outliers to 19.5%. A normal row's error is this far out with odds below
#: 1e-20 (for Gaussian errors), so a clean stream's statistics do not move.
ROW_BOUND = 100.0
#: ``partial_fit`` warns when it multiplies ``error_scale_`` by this much or
#: more in the median feature. With each row bounded (``ROW_BOUND``), that
#: takes about a tenth of the rows far out at once: a stream's drift moves
#: some features' errors, not every feature's tenfold between two calls.
ERROR_SCALE_JUMP = 10.0
#: ... once the median feature's error scale is at least this, in the scaled
#: units (a hundredth of a standardised feature's variance): below it the
#: model reconstructs nearly perfectly, and a tenfold change (1e-5 to 4e-4
#: after a change of learning rate, on rows the fit had trained on) moved no
#: row's label, yet sent the user looking for corrupt values.
ERROR_SCALE_FLOOR = 1e-2

#: The start of the error a warm start with a changed network raises.
WARM_START_SAME_NETWORK = (
    "warm_start=True continues the fitted network, so the architecture parameters "
    "(n_components, hidden_layer_sizes, architecture, image_shape, loss) must not "
    "change between fits"
)
#: The parameters a first fit builds the network and the input side from.
#: ``partial_fit`` and a warm start continue what was built, so a change of
#: any of them is refused rather than ignored (a kind adds its own).
NETWORK_PARAMETERS = (
    "n_components",
    "hidden_layer_sizes",
    "activation",
    "architecture",
    "image_shape",
    "scaling",
    "categorical_features",
    "loss",
)
#: What training calls on an ``accelerator`` (skae's hooks in ``_accelerate``
#: and skorch's ``AccelerateMixin``): an object without one of them passed the
#: parameter check and failed inside ``fit`` with an ``AttributeError``.
ACCELERATOR_METHODS = (
    "prepare",
    "backward",
    "autocast",
    "reduce",
    "accumulate",
    "unwrap_model",
    "gather_for_metrics",
    "wait_for_everyone",
    "print",
)
ACCELERATOR_ATTRIBUTES = ("device", "process_index", "num_processes", "device_placement")
#: The channel counts of common images (grey, RGB, RGBA): a 4-D array whose
#: last axis has one and whose second does not looks channels-last.
IMAGE_CHANNELS = (1, 3, 4)
#: The channels of ``hidden_layer_sizes="auto"`` with ``architecture="conv"``.
AUTO_CONV_CHANNELS = (16, 32)

#: The training rows' per-feature errors are kept from the pass that
#: measures their scale when they take at most this share of scikit-learn's
#: ``working_memory`` (64 MiB of the default 1 GiB), else computed again in a
#: second pass: kept, on top of the scaled copy of X that training holds, an
#: 800,000 x 50 float32 table (153 MiB) peaked at 2.5 times its size during
#: fit, where the second pass costs one forward pass over the rows.
KEPT_ERRORS_SHARE = 1 / 16
#: Floor on ``noise_variance_``, relative to the mean of ``scale_ ** 2``: a
#: network that reconstructs its training data exactly must not give held-out
#: data an infinite likelihood.
MIN_NOISE_VARIANCE = 1e-6

#: Tukey's fence: with ``contamination="auto"``, a sample is an outlier when
#: its score is below the first quartile minus this many interquartile ranges.
AUTO_FENCE = 1.5


def _channels_last(shape: tuple[int, int, int]) -> bool:
    """Whether an image shape read as (C, H, W) looks like (H, W, C): its last
    axis has 1, 3 or 4 entries and its first does not, and it is an image, not
    a 1-D signal (H = 1: (2, 1, 4) is two channels of 4 samples)."""
    return shape[2] in IMAGE_CHANNELS and shape[0] not in IMAGE_CHANNELS and shape[1] != 1


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was requested, but torch finds no CUDA device.")
    return torch.device(device)


def _finite(values: np.ndarray, method: str) -> np.ndarray:
    """``values``, or a ValueError if the network overflowed computing them."""
    if not np.isfinite(values).all():
        raise ValueError(
            f"{method} overflowed: the network's float32 arithmetic cannot represent the "
            "result for some rows, which lie far outside the range of the training data."
        )
    return values


def variance_from_log(log_variance: float) -> float:
    """``exp(log_variance)``: 0 below the smallest float64, infinity above
    the largest (data in units of 1e-165; near the largest, a variance
    from errors far above the data's spread)."""
    try:
        return math.exp(log_variance)
    except OverflowError:
        return math.inf


def _log_noise_variance(
    feature_errors: np.ndarray, scale: np.ndarray, observed: np.ndarray | None = None
) -> float:
    """The log of the variance of :meth:`BaseAutoEncoder.score`'s Gaussian,
    its maximum-likelihood value: the mean squared reconstruction error in the
    original units over the observed entries, from the per-feature means in
    standardised units and the number of entries ``observed`` in each
    (all alike by default). Weighting the features alike instead put it 9
    times too high where a feature reconstructed badly was mostly missing.

    Computed in units of the largest scale: data in units of 1e-165 have a
    variance below the smallest float64 (it underflowed to 0, and ``score``
    was -inf), whose log is an ordinary number.
    """
    unit = float(np.max(scale))
    squares = np.square(scale / unit)
    weights = np.ones(len(scale)) if observed is None else np.asarray(observed, dtype=np.float64)
    total = float(weights.sum())
    mean_error = float((weights * feature_errors) @ squares) / total if total > 0 else 0.0
    relative = max(mean_error, MIN_NOISE_VARIANCE * float(squares.mean()))
    return math.log(relative) + 2.0 * math.log(unit)


def _gaussian_log_likelihood(terms, log_variance: float, unit: float):
    """Each row's log-likelihood from :meth:`BaseAutoEncoder._likelihood_terms`
    (a tensor or an array), under the isotropic Gaussian of variance
    ``exp(log_variance)`` in the units of X; squares are in units of ``unit``."""
    squares, observed, categorical = terms[:, 0], terms[:, 1], terms[:, 2]
    relative_variance = math.exp(log_variance - 2.0 * math.log(unit))
    log_normaliser = 0.5 * observed * (math.log(2 * math.pi) + log_variance)
    return -0.5 * squares / relative_variance - log_normaliser + categorical


def _observed(terms: torch.Tensor, missing: bool) -> torch.Tensor:
    """``terms`` with the NaN of missing entries as 0, when there may be any."""
    return terms.nan_to_num(0.0) if missing else terms


@contextlib.contextmanager
def _float32_default():
    """torch's default dtype float32 while a network is built: the data go
    in as float32, and a user's ``torch.set_default_dtype(torch.float64)``
    made every fit fail (float32 rows, float64 weights)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def _activation_floats(module: torch.nn.Module, width: int) -> int:
    """Floats per row that a forward pass of ``module`` holds, as read off
    its layers: ``ROW_COPIES`` copies of the row, each linear layer's
    outputs, and each convolution's maps (its channels times the row's
    ``width``, a bound on its positions where no map is wider than the row,
    as in skae's architectures). A subclass's layers that widen the row
    beyond that (upsampling past it, recurrent or embedding layers) are not
    counted: such a kind overrides ``_inference_rows``.

    Read off the layers, not measured by a pass: a pass on one row failed
    in a subclass's batch normalisation (which needs two rows), showed an
    extra input to the user's forward hooks, and, run by threads at once,
    counted each other's layers."""
    floats = ROW_COPIES * width
    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            floats += layer.out_features
        elif isinstance(layer, torch.nn.modules.conv._ConvNd):
            floats += layer.out_channels * width
    return floats


def _one_per_row(values: torch.Tensor, x: torch.Tensor, estimator: object, hook: str):
    """``values``, if a hook gave one number per row of ``x``; else a
    TypeError naming the hook."""
    if tuple(values.shape) != (len(x),):
        raise TypeError(
            f"{type(estimator).__name__}.{hook} must return one number per row, of shape "
            f"({len(x)},); got a tensor of shape {tuple(values.shape)}."
        )
    return values


def _defined_by(cls: type, name: str) -> type:
    """The class of ``cls``'s method resolution order that defines ``name``."""
    return next(klass for klass in cls.__mro__ if name in vars(klass))


def _network_state(net: AutoEncoderNet) -> tuple:
    """What training changes in place in ``net``: the weights and buffers,
    the optimiser's state, the criterion's, the history's length and the
    learning-rate schedules' states, and the rate and weight decay the
    optimiser was last given."""
    parts = (net.module_, net.optimizer_, net.criterion_)
    states = tuple(copy.deepcopy(part.state_dict()) for part in parts)
    decay = getattr(net, "optimizer__weight_decay", None)
    return states + (len(net.history), net.schedules(), net.lr, decay)


def _random_rows(x, rng: np.random.RandomState) -> torch.Tensor:
    """A random ``MIN_REFRESH_ROWS`` of the rows ``x`` (all of fewer), in
    random order, on the rows' device: a chunk after them pushes the first out, and
    in table order a table sorted anomalies first lost every anomaly from
    them to a chunk of 20 rows, and the threshold ``partial_fit`` drew on
    them moved into the normal rows (1% to 7% of new normal rows flagged; a
    probe). The same draws as ``rng.choice``; read in table order."""
    order = rng.permutation(len(x))[:MIN_REFRESH_ROWS]
    kept = np.sort(order)
    rows = x[torch.as_tensor(kept, device=x.device)]
    place = torch.as_tensor(np.searchsorted(kept, order), device=rows.device)
    return rows[place]


def _subset_rows(x, n_rows: int, rng: np.random.RandomState):
    """Up to ``n_rows`` rows of ``x``, in their order, drawn with ``rng`` when
    there are more: the same rows whether ``x`` is in memory or scaled batch
    by batch (a memmap, a large table with categorical columns)."""
    if len(x) <= n_rows:
        return x[:n_rows]
    chosen = torch.as_tensor(np.sort(rng.choice(len(x), n_rows, replace=False)))
    return x[chosen.to(x.device) if isinstance(x, torch.Tensor) else chosen]


def _restore_network(net: AutoEncoderNet, state: tuple) -> None:
    """Put ``net`` back as :func:`_network_state` found it."""
    module, optimizer, criterion, epochs, schedules, lr, decay = state
    net.module_.load_state_dict(module)
    net.optimizer_.load_state_dict(optimizer)
    net.criterion_.load_state_dict(criterion)
    # Out of training, as a fit leaves them: an epoch that raised left both
    # in training mode (a mutation audit), where a kind's loss weighs
    # entries otherwise, for whatever reads them without setting it.
    net.module_.eval()
    net.criterion_.eval()
    del net.history[epochs:]
    for _, callback in getattr(net, "callbacks_", []):
        # Their best scores may come from the epochs just removed: taken
        # again from the history at the next call (train_loss_best compared
        # new epochs with a rolled-back one).
        if hasattr(callback, "skae_best_of"):
            del callback.skae_best_of
    net.restore_schedules(schedules)
    # The rate and decay the optimiser's state holds again (the net's
    # attributes are what the next call compares lr and weight_decay with): a
    # set since applies again next time. (A weight_decay set before a failed
    # partial_fit was never applied after it.)
    net.lr = lr
    if decay is None:
        vars(net).pop("optimizer__weight_decay", None)
    else:
        net.optimizer__weight_decay = decay


def _mark_missing(net: AutoEncoderNet, missing: bool) -> None:
    """Tell the module and the loss whether the training rows hold NaN (the
    module also fills the NaN a masking corruption makes)."""
    makes_missing = getattr(net.corruption, "makes_missing", False)
    net.unwrapped(net.module_).fill_missing = missing or makes_missing
    net.unwrapped(net.criterion_).masked = missing


class _SeededTorch:
    """Context manager: torch's global generators seeded, then restored on exit.

    Every random draw of a fit (initial weights, shuffling, corruption,
    reparameterisation) comes from torch's global generator inside this
    context, so a fit is reproducible from ``random_state`` and leaves the
    caller's global random state untouched.

    The generator is the process's, so fits in threads of one process (a
    threading joblib backend, a Dask worker's threads) take turns here: run
    at once, their draws would mix and each restore would undo another's.
    """

    _lock = threading.RLock()

    def __init__(self, seed: int, device: torch.device) -> None:
        self.seed = seed
        self.devices = [device.index or 0] if device.type == "cuda" else []

    def __enter__(self) -> None:
        # The lock as it is now: a fork may replace the class's (below).
        self._held = type(self)._lock
        self._held.acquire()
        try:
            self._fork = torch.random.fork_rng(devices=self.devices)
            self._fork.__enter__()
            torch.manual_seed(self.seed)
        except BaseException:
            self._held.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            self._fork.__exit__(*exc)
        finally:
            self._held.release()

    @classmethod
    def turn(cls) -> threading.RLock:
        """A fit's turn without the seeding, for its statistics pass and for
        the moment a fit's thread takes its own torch thread count: that pass
        lowers the process's count to one (small passes, the code mixture), and
        a thread whose first torch operation fell in that moment kept one
        thread, so a convolutional network it trained came out other than
        alone (4 of 8 fits at two threads, a probe)."""
        return cls._lock


def _new_generator_lock() -> None:
    """A fork copies the lock as it is: held by a fit in another thread, which
    the child does not have, it was never released there, and every fit of
    the child waited for ever (a probe)."""
    _SeededTorch._lock = threading.RLock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_generator_lock)


def _shown(text: str) -> str:
    """A parameter as the network's record holds it (JSON text), as the user
    set it, in Python: a JSON list is a tuple (a ``hidden_layer_sizes`` of
    ``(8,)`` read ``[8]``), null None (a probe), a string quoted as repr does."""
    value = json.loads(text)
    return repr(tuple(value)) if isinstance(value, list) else repr(value)


#: The names of the callbacks skorch gives every net (its epoch timer, loss
#: records and printed log).
_NET_CALLBACKS = ("epoch_timer", "train_loss", "valid_loss", "print_log")
#: ... and those a fit adds as its settings ask: taken whatever they ask, so
#: that a callback's name does not stop working at another ``verbose``.
_OPTIONAL_CALLBACKS = ("early_stopping", "time_left", "progress_bar")


def _checked_callbacks(
    callbacks: list | None, *, validated: bool = True, partial: bool = False
) -> list:
    """``callbacks``, each a skorch callback or a ``(name, callback)`` pair
    named by a string; a ValueError naming the first that is not, or,
    without held-out rows (not ``validated``; ``partial`` for partial_fit's),
    the first that watches a validation score."""
    for entry in callbacks or []:
        callback = entry[1] if isinstance(entry, tuple) and len(entry) == 2 else entry
        if not isinstance(callback, Callback):
            raise ValueError(
                "callbacks must hold skorch callbacks (skorch.callbacks.Callback "
                f"instances) or (name, callback) pairs; got {entry!r}."
            )
        if isinstance(entry, tuple) and not isinstance(entry[0], str):
            # skorch's TypeError from building the parameter names did not
            # say which entry.
            raise ValueError(
                f"callbacks: a (name, callback) pair is named by a string; got {entry!r}."
            )
        if isinstance(callback, EpochScoring | BatchScoring):
            # They score predictions against y: silent without early
            # stopping, and skorch's error about datasets with it.
            raise ValueError(
                f"{type(callback).__name__} scores predictions against targets, which an "
                "autoencoder has none of; its losses are in net_.history already."
            )
        monitor = getattr(callback, "monitor", None)
        if not validated and isinstance(monitor, str) and monitor.startswith("valid_"):
            # skorch's KeyError from deep in the first epoch said only that
            # the history had no such key.
            advice = (
                "partial_fit holds out none: use fit with early_stopping=True"
                if partial
                else "set early_stopping=True"
            )
            raise ValueError(
                f"{type(callback).__name__} monitors {monitor!r}, a score of the rows "
                f"that early_stopping=True holds out in fit; {advice}, or monitor "
                "'train_loss'."
            )
    return list(callbacks or [])


def _init_named_for(cls: type) -> object:
    """The ``__init__`` that ``cls`` inherits, under ``cls``'s name, for a
    kind that keeps its parent's parameters: a misspelled keyword to
    ``AutoEncoder`` was "BaseAutoEncoder.__init__() got an unexpected
    keyword argument", a class the user never typed (a probe)."""
    init = cls.__init__
    qualname = f"{cls.__qualname__}.__init__"
    code = init.__code__
    if hasattr(code, "co_qualname"):  # Python 3.11+ names a call's errors by it
        code = code.replace(co_qualname=qualname)
    named = types.FunctionType(
        code,
        init.__globals__,
        init.__name__,
        init.__defaults__,
        init.__closure__,
    )
    named.__kwdefaults__ = init.__kwdefaults__
    named.__qualname__ = qualname
    named.__doc__ = init.__doc__
    named.__annotations__ = init.__annotations__
    named.__module__ = cls.__module__
    return named


@fill_doc
class BaseAutoEncoder(
    InputSide, ClassNamePrefixFeaturesOutMixin, TransformerMixin, OutlierMixin, BaseEstimator
):
    """Base class of skae's autoencoders: the scikit-learn protocol, once.

    Not for direct use: fit one of its subclasses, which choose the loss,
    the latent component, the penalties and the corruption. A new kind of
    autoencoder subclasses it and overrides only those hooks (Notes below).

    Parameters
    ----------
    %(parameters)s

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    AutoEncoder : The plain autoencoder.
    DenoisingAutoEncoder : Trained on corrupted inputs.
    SparseAutoEncoder : With a sparsity penalty on the codes.
    VariationalAutoEncoder : A generative model with a Gaussian latent.
    ContractiveAutoEncoder : With a penalty on the encoder's Jacobian.
    ConvolutionalAutoEncoder : Convolutional defaults for images.

    Notes
    -----
    The hooks a kind overrides (each a private method):

    ``_make_module(n_features)``
        the architecture (and the latent component, for a variational model),
        a ``skae._architectures.AutoEncoderModule(encoder, decoder, latent,
        n_features)``: the encoder maps the standardised rows to what the
        latent component splits (``n_components`` values, twice that for a
        variational one), the decoder maps the codes back, and its ``forward``
        returns the dict the losses read (``"z"``, ``"x_hat"``, and
        ``"missing"``, the entries of its input that it filled as missing,
        when it looked for them: always outside training, and in training
        when the rows miss entries or a corruption hides some); it adds the
        input side's clipping, gain and filling of missing entries. Inference
        runs as many rows at a time as scikit-learn's ``working_memory``
        holds, counting each linear layer's outputs and each convolution's
        channels times the input width; a network whose layers hold more per
        row (upsampling past the input, recurrent layers) overrides
        ``_inference_rows()`` to return fewer. Outside training, an encoder
        or decoder made only of the layers skae builds (linear, convolutions,
        activations, reshapes) computes a batch of fewer than 16 rows padded
        with copies of its last row, so that a row's result does not depend
        on the rows around it (its forward hooks see the padded batch); one
        with other layers is run as it is given. A training batch can hold
        one row (the last of a fit whose rows exceed a multiple of
        ``batch_size`` by one, a one-row ``partial_fit`` chunk): a layer that
        needs two (``BatchNorm1d`` in training) fails there with torch's
        error;
    ``_make_criterion(n_features)``
        the reconstruction loss, a subclass of
        ``skae._reconstruction.PerFeatureLoss`` that defines
        ``per_feature(out, x)`` (each entry's loss, of shape
        ``(n_samples, n_features)``, from the module's output dict and the
        clean standardised input; in training with a masking corruption,
        the entries it hid are ``out["missing"] & ~torch.isnan(x)``, on
        which a masked autoencoder's loss dwells) and ``reconstruct(out)`` (the
        reconstruction, in the standardised units of ``x``). The estimator
        also calls what the base class provides: ``score_terms(out, x)``
        (each entry's error in the outlier score: the loss's own unless
        overridden), ``floor``, ``draw``, ``pinned``, ``column_missing`` and
        ``column_unseen``, and it sets ``masked`` when the data miss entries,
        which ``forward`` reads to leave them out (do not override
        ``forward``). To change the parent kind's loss (reweight it, trim
        it), return a subclass of ``skae._reconstruction.WrappedLoss`` around
        ``super()._make_criterion(n_features)`` that overrides
        ``per_feature``: everything else stays the parent's (the plain kind's
        Huber loss keeps scoring with the squared error). On a table with
        categorical columns the hook makes the numeric columns' loss
        (``n_features`` is their number), beside which the estimator puts
        the categorical columns' cross-entropy;
    ``_make_penalties()``
        extra named loss terms (sparsity, contraction, KL divergence), a dict
        of callables ``penalty(module, x_in, out)`` returning a scalar, each
        recorded in ``net_.history`` as ``train_<name>`` (and ``valid_<name>``
        with early stopping); the names "reconstruction", "loss", "loss_best",
        "batch_count" and "n" are taken. ``x_in`` is the network's input: in
        training, the corrupted batch when the kind has a corruption (the
        criterion gets the clean one, and the entries a masking corruption
        hid through ``out["missing"]``). The fitted net keeps the penalties, so
        they must pickle: instances of module-level classes or
        ``functools.partial`` objects, not lambdas or closures;
    ``_make_corruption()``
        the input corruption applied during training only (denoising), a
        callable on the batch; one that sets entries to NaN (masking) sets a
        class attribute ``makes_missing = True``, so that the network fills
        them as missing entries;
    ``_score_samples_scaled(module, x)``
        the per-sample normality score on standardised data; a kind that
        overrides it overrides ``_feature_terms_scaled(module, x)`` too: the
        score's terms, one per feature and the code term, that add up to it
        (what :meth:`~BaseAutoEncoder.explain` shares out);
    ``_log_likelihood_scaled(module, x)``
        optional: the per-sample log-likelihood that
        :meth:`~BaseAutoEncoder.score` averages, comparable across models
        fitted to the same data, for a kind whose decoder is a density of
        its own (the variational kind); without it, ``score`` is the
        deterministic kinds' Gaussian around the reconstruction.

    A kind's ``__init__`` takes every parameter of the kind it extends, as
    scikit-learn requires, and a kind that adds none needs no ``__init__``.
    A parameter of its own is validated as scikit-learn validates its
    estimators': extend the parent's ``_parameter_constraints``
    (``{**AutoEncoder._parameter_constraints, "code_weight":
    [Interval(Real, 0, None, closed="left")]}``). A kind whose penalty or
    corruption is what keeps it from copying its input returns, from
    ``_regulariser_off()``, the setting that turns it off
    (``"code_weight=0"``) or None, and names the weight in the class
    attribute ``_regulariser_parameter``: ``fit`` then warns of as many
    codes as inputs when it is off, as it does for the plain kind, and the
    warnings of a collapsed fit advise a smaller weight. scikit-learn's
    ``check_estimator`` runs a kind's checks in seconds with
    ``max_epochs=2``. A parameter of its own that shapes the network or
    what its weights mean (read by ``_make_module``, say) goes in the class
    attribute ``_network_parameter_names`` (extend the parent's tuple): a
    warm start, ``partial_fit`` and :meth:`save` then refuse a change of it
    since the fit, as they do for ``hidden_layer_sizes``. The core
    signature's ``loss`` defaults to ``"huber"`` (the plain kind's); a kind
    that adds a penalty or a corruption defaults it to ``"squared_error"``,
    as the denoising, sparse and contractive kinds do: their weights were
    set against the squared error, and the Huber loss lost there
    (``benchmarks/results/detection_ablation_14.md``).

    Examples
    --------
    >>> from skae import AutoEncoder, BaseAutoEncoder
    >>> issubclass(AutoEncoder, BaseAutoEncoder)
    True
    >>> kinds = BaseAutoEncoder.__subclasses__()
    >>> sorted(cls.__name__ for cls in kinds if cls.__module__.startswith("skae."))[:2]
    ['AutoEncoder', 'ContractiveAutoEncoder']
    """

    #: The most epochs ``max_epochs="auto"`` gives (see :mod:`skae._sizing`).
    _auto_max_epochs: int = MAX_EPOCHS

    #: The fewest input columns on which ``early_stopping="auto"`` holds rows
    #: out (see :func:`~skae._sizing.auto_early_stopping`).
    _auto_early_stopping_features: int = WIDE_FEATURES

    #: Whether nothing but the bottleneck keeps the network from copying its
    #: input, so that ``fit`` warns of as many codes as inputs or more (see
    #: also :meth:`_regulariser_off`).
    _bottleneck_only: bool = False

    #: Reconstructions whose spread is at most this share of the inputs'
    #: make ``fit`` warn that they were flattened (0: only ones that are the
    #: same for every row); see :func:`~skae._training_checks.check_not_diverged`.
    _flat_share: float = FLAT_SHARE

    #: What the scores and :meth:`sample` need beyond the scaling and
    #: ``offset_``, in a model file of any version (one from before the code
    #: Gaussian scores with the mixture).
    _scoring_attributes: tuple[str, ...] = ("error_scale_", "latent_density_")

    _parameter_constraints: dict = {
        "n_components": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            StrOptions({"auto"}),
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "architecture": [StrOptions({"dense", "conv"})],
        "image_shape": ["array-like", None],
        "scaling": [StrOptions({"auto", "feature", "global", "none"})],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "loss": [StrOptions(set(RECONSTRUCTION_LOSSES))],
        "max_epochs": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "lr": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "contamination": [StrOptions({"auto"}), Interval(Real, 0, 0.5, closed="right")],
        "tail_screen": [Interval(Real, 0, None, closed="neither"), None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "callbacks": [list, None],
        "accelerator": [HasMethods(list(ACCELERATOR_METHODS)), None],
    }

    def __init__(
        self,
        n_components: str | int = "auto",
        *,
        hidden_layer_sizes: str | tuple[int, ...] = "auto",
        activation: str = "relu",
        architecture: str = "dense",
        image_shape: tuple[int, int, int] | None = None,
        scaling: str = "auto",
        categorical_features: str | list | np.ndarray | None = "from_dtype",
        loss: str = "huber",
        max_epochs: str | int = "auto",
        batch_size: str | int = "auto",
        lr: str | float = "auto",
        weight_decay: float = 0.0,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 10,
        contamination: str | float = "auto",
        tail_screen: float | None = None,
        device: str = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator: object | None = None,
    ) -> None:
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.architecture = architecture
        self.image_shape = image_shape
        self.scaling = scaling
        self.categorical_features = categorical_features
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.contamination = contamination
        self.tail_screen = tail_screen
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.accelerator = accelerator

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" not in cls.__dict__:
            cls.__init__ = _init_named_for(cls)

    # ------------------------------------------------------------------
    # Hooks: what a kind of autoencoder may override.
    # ------------------------------------------------------------------
    def _make_latent(self) -> torch.nn.Module:
        """The latent component between encoder and decoder (see :mod:`skae._latent`)."""
        return DeterministicLatent()

    def _make_module(self, n_features: int) -> torch.nn.Module:
        """The torch module: the chosen architecture around the latent component."""
        if self.architecture == "conv":
            return conv_autoencoder(
                self.image_shape_,
                self._n_codes(),
                self._network_sizes(n_features),
                self.activation,
                self._make_latent(),
            )
        return dense_autoencoder(
            n_features,
            self._n_codes(),
            self._network_sizes(n_features),
            self.activation,
            self._make_latent(),
        )

    def _make_criterion(self, n_features: int) -> torch.nn.Module:
        """The per-sample reconstruction loss."""
        return RECONSTRUCTION_LOSSES[self.loss]()

    def _make_penalties(self) -> dict[str, Penalty]:
        """Named loss terms added to the reconstruction term."""
        return {}

    def _make_corruption(self) -> Corruption | None:
        """The corruption of training inputs, or None."""
        return None

    def _checked_penalties(self) -> dict[str, Penalty]:
        """:meth:`_make_penalties`, refusing the names the training loss and
        its history already use: a penalty named "reconstruction" replaced
        the reconstruction term, and one named "batch_count" overwrote the
        history's ``train_batch_count``."""
        penalties = self._make_penalties()
        taken = sorted(set(penalties).intersection(RESERVED_TERMS))
        odd = [name for name in penalties if not isinstance(name, str) or not name]
        if taken or odd:
            raise ValueError(
                f"{type(self).__name__}._make_penalties must name its terms with strings "
                f"other than {sorted(RESERVED_TERMS)}; got {taken or odd}."
            )
        return penalties

    def _early_stopping_plateau(self) -> tuple[str, float] | None:
        """A history key and a level below which an epoch does not count
        towards early stopping's ``patience`` (a plateau the kind's training
        starts in and leaves slowly); None for none."""
        return None

    def _make_callbacks(self) -> list[tuple[str, Callback]]:
        """Named skorch callbacks the kind's training needs (before the user's)."""
        return []

    def _score_samples_scaled(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample score of standardised ``x``; higher is more normal.

        The mean over features of the reconstruction loss, each feature's
        divided by its mean on the training data (``error_scale_``), is
        subtracted from the mean over code dimensions of the code's
        log-density under one Gaussian fitted to the training codes
        (``code_mean_``, ``code_covariance_``). A sample is abnormal when it
        reconstructs badly, or when its code lies far from the training codes.
        """
        out = module(x)
        return self._combined_score(self._score_terms(out, x), out["z"])

    def _score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The criterion's per-feature errors of the scores, each input that
        was constant in every training row reconstructed as that constant (as
        :meth:`inverse_transform` reconstructs it), not as the network's
        output there: measured from that output, a row moved towards it
        scored as more normal than the training rows (all-constant data
        moved by 0.01 in one feature went from the fence to inside it)."""
        constant = self._constant_inputs()
        if constant is not None and constant[0].any():
            flat, value = constant
            x_hat = out["x_hat"]
            mask = torch.as_tensor(flat, device=x_hat.device)
            values = torch.as_tensor(value, dtype=x_hat.dtype, device=x_hat.device)
            out = {**out, "x_hat": self.net_.criterion_.pinned(x_hat, mask, values)}
        return self.net_.criterion_.score_terms(out, x)

    def _scores_scaled(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """:meth:`_score_samples_scaled`, calibrated for the rows' missing
        entries (:mod:`skae._calibration`): what :meth:`score_samples` gives."""
        scores = self._score_samples_scaled(module, x)
        table = self._row_calibration(x)
        if table is not None:
            shift, scale = table
            scores = shift + scale * scores.double()
        outside = self._outside_unit_interval(x)
        if outside is not None:
            # A likelihood of 0: as abnormal as a row can be (ONNX too).
            scores = torch.where(outside.any(dim=1), -math.inf, scores)
        return scores

    def _row_calibration(self, x: torch.Tensor):
        """Per row, the calibration's shift and scale for its missing entries
        (float64 tensors of shape (n_samples,); a calibrated score is ``shift +
        scale * score``); None for a model without them (fitted by an earlier
        version). The shift and scale of the row's number of observed input
        columns, then its distance from ``missing_centre_`` times the
        geometric mean of ``missing_column_scale_`` over its missing columns
        (none in a model saved before them)."""
        shift = getattr(self, "missing_shift_", None)
        if shift is None:
            return None
        missing = self.net_.criterion_.column_missing(x)
        counts = (~missing).sum(dim=1)
        # Copies (small): a read-only array (joblib's mmap_mode) made torch warn.
        shift = torch.tensor(shift, dtype=torch.float64, device=x.device)[counts]
        scale = torch.tensor(self.missing_scale_, dtype=torch.float64, device=x.device)[counts]
        column_scale = getattr(self, "missing_column_scale_", None)
        if column_scale is None:
            return shift, scale
        log_scale = torch.log(torch.tensor(column_scale, dtype=torch.float64, device=x.device))
        factor = torch.exp((missing.double() @ log_scale) / (missing.sum(dim=1).clamp(min=1)))
        centre = float(self.missing_centre_)
        return centre + factor * (shift - centre), factor * scale

    def _fit_missing_calibration(self, x, seed: int) -> None:
        """Fit ``missing_shift_`` and ``missing_scale_`` (by count of observed
        columns) on training rows re-scored with holes, and with their missing
        entries filled; then ``missing_centre_`` and ``missing_column_scale_``
        (by which columns are missing) on the same rows with one column
        removed (:mod:`skae._calibration`)."""
        rng = np.random.RandomState(seed % 2**32)
        rows = _subset_rows(x, calibration_rows(len(x), x.shape[1]), rng)
        encoding = self._encoding()
        if encoding is None:
            blocks = [(j, j + 1) for j in range(rows.shape[1])]
        else:
            blocks = encoding.blocks()
        copies = holed_copies(rows, blocks, rng)
        filled = filled_copy(
            rows,
            self.net_.criterion_,
            lambda batch, fn: self._apply(batch, fn, on_device=True, draws=False),
            rng,
        )
        if filled is not None:
            # Level -1: rows not as the training rows were (the reference is level 0).
            copies = itertools.chain(copies, [(-1, filled)])

        def rescore(rescored: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
            raw = self._apply(rescored, self._score_samples_scaled, dtype=np.float64)[:, 0]
            missing = self.net_.criterion_.column_missing(rescored)
            return raw, (~missing).sum(dim=1).cpu().numpy()

        scores, counts, levels = [], [], []
        for level, rescored in copies:
            raw, count = rescore(rescored)
            scores.append(raw)
            counts.append(count)
            levels.append(np.full(len(rescored), level))
        shift, scale = fit_calibration(
            np.concatenate(scores),
            np.concatenate(counts),
            np.concatenate(levels) == 0,
            len(blocks),
            drawn=np.concatenate(levels) == -1,
        )
        # The training rows' own (level 0), calibrated: every count's median.
        natural = shift[counts[0]] + scale[counts[0]] * scores[0]
        natural = natural[np.isfinite(natural)]
        centre = float(np.median(natural)) if len(natural) else 0.0
        calibrated, removed = [], []
        for lost, rescored in one_hole_copies(rows, blocks, rng):
            raw, count = rescore(rescored)
            calibrated.append(shift[count] + scale[count] * raw)
            removed.append(lost)
        column_scale = np.ones(len(blocks))
        if calibrated:
            column_scale = fit_column_scale(
                np.concatenate(calibrated), np.concatenate(removed), centre, len(blocks)
            )
        self.missing_shift_, self.missing_scale_ = shift, scale
        self.missing_centre_, self.missing_column_scale_ = centre, column_scale

    def _constant_error_scale(self, observed, numeric, numeric_columns) -> None:
        """Give each numeric column that is constant in the training rows
        (its clipping range a point) the median error scale of the varying
        ones. Its own, the mean of the network's near-zero error there, was
        about 1e-6: the network's noise on the constant, 30-50 times louder
        than a varying column's errors, took most of the blame in flagged
        normal rows, and a deviation from the constant counted a million
        times a typical feature's, where its scaling (the median spread)
        meant it to count as one."""
        module = self.net_.module_
        low = getattr(module, "input_low", None)
        if low is None or low.numel() == 0:
            return
        point = (module.input_low == module.input_high).reshape(-1).cpu().numpy()
        if numeric is None:
            constant, is_numeric = point.copy(), np.ones(len(observed), dtype=bool)
        else:
            constant = np.zeros(len(observed), dtype=bool)
            constant[numeric_columns] = point[numeric]
            is_numeric = np.zeros(len(observed), dtype=bool)
            is_numeric[numeric_columns] = True
        constant &= observed
        # Of the numbers: a categorical column's error is a cross-entropy.
        varying = ~constant & observed & is_numeric
        if constant.any() and varying.any():
            self.error_scale_[constant] = np.median(self.error_scale_[varying])

    def _combined_score(self, errors: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The score of :meth:`_score_samples_scaled` from per-feature errors and codes."""
        # In float64, as :meth:`_contributions_scaled` computes the terms: the
        # explanation of a score near 0 adds up to it to the last digits
        # (float32 rounding of the sum differed by 1e-7, 1e-4 of such a score).
        errors = errors.double()
        scale = torch.tensor(self.error_scale_, dtype=torch.float64, device=errors.device)
        missing = torch.isnan(errors)
        if missing.any():
            # The mean over a row's observed entries only.
            observed = (~missing).sum(dim=1).clamp(min=1)
            reconstruction = (errors.masked_fill(missing, 0.0) @ (1.0 / scale)) / observed
        else:
            reconstruction = errors @ (1.0 / (len(scale) * scale))
        return self._code_term(z) - reconstruction

    def _code_term(self, z: torch.Tensor) -> torch.Tensor:
        """The code term of :meth:`_score_samples_scaled`: the codes' mean
        log-density per code dimension, in float64."""
        if hasattr(self, "code_mean_"):
            latent = gaussian_log_density(self.code_mean_, self.code_covariance_, z)
        else:
            # A model saved before the one-Gaussian code term keeps its scores.
            latent = log_density(self.latent_density_, z)
        return latent / self.n_components_

    def _feature_terms_scaled(
        self, module: torch.nn.Module, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The terms of :meth:`_score_samples_scaled` before any sharing: one
        per feature, (n_samples, n_features), and the code term,
        (n_samples,), in float64; they add up to the score. Here each
        feature's reconstruction loss, divided by its training mean and by the
        number of the row's observed entries, negated."""
        out = module(x)
        errors = self._score_terms(out, x).double()
        # Divided by the number of observed entries: a missing one adds 0.
        observed = (~torch.isnan(errors)).sum(dim=1, keepdim=True).clamp(min=1)
        scale = torch.tensor(self.error_scale_, device=x.device)
        # A missing entry adds 0; an overflow stays infinite, as in the score.
        terms = -errors.masked_fill(torch.isnan(errors), 0.0) / (observed * scale)
        return terms, self._code_term(out["z"])

    def _contributions_scaled(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-sample terms of :meth:`_score_samples_scaled`, one per feature
        and the code term last, that add up to the score: the features' part
        shared by how much repairing each raises it (:mod:`skae._attribution`)."""
        terms, code = self._feature_terms_scaled(module, x)
        criterion = self.net_.criterion_
        encoding = self._encoding()
        if encoding is None:
            blocks = [(j, j + 1) for j in range(x.shape[1])]
            is_categorical = [False] * x.shape[1]
        else:
            blocks, is_categorical = encoding.blocks(), list(encoding.is_categorical)
        gains = repair_gains(
            lambda rows: self._repaired_score(module, rows),
            lambda rows: criterion.reconstruct(module.output_at_means(rows)),
            x,
            terms,
            blocks,
            is_categorical,
            torch.tensor(self.mean_, dtype=x.dtype, device=x.device),
            torch.tensor(self.scale_, dtype=x.dtype, device=x.device),
        )
        contributions = torch.cat([share_by_gain(terms, gains), code[:, None]], dim=1)
        table = self._row_calibration(x)
        if table is None:
            return contributions
        # The calibration of a row with missing entries scales every term and
        # moves the code term, so that the terms still add up to the score.
        shift, scale = table
        contributions = contributions * scale[:, None]
        contributions[:, -1] += shift
        return contributions

    def _repaired_score(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """The part of the score a repair of :meth:`explain` is measured on:
        the features' (:mod:`skae._attribution`)."""
        return self._feature_terms_scaled(module, x)[0].sum(dim=1)

    def _likelihood_factors(
        self,
    ) -> tuple[tuple[torch.Tensor, torch.Tensor] | None, torch.Tensor, float]:
        """What :meth:`_likelihood_terms` needs of the fitted model, read once
        per call of :meth:`score` rather than once per batch (the input
        range lives on the network's device): the mask of the features
        constant in training and their scaled values (None without any),
        each numeric entry's scale in units of the largest, and that unit
        (1 without numeric features)."""
        constant = self._constant_inputs()
        scale = self.scale_
        encoding = self._encoding()
        if encoding is not None:
            scale = scale[encoding.numeric_positions()]
        unit = float(np.max(scale)) if len(scale) else 1.0
        pinned = None
        if constant is not None and constant[0].any():
            pinned = torch.as_tensor(constant[0]), torch.as_tensor(constant[1])
        return pinned, torch.as_tensor(scale / unit), unit

    def _likelihood_terms(
        self,
        module: torch.nn.Module,
        x: torch.Tensor,
        factors: tuple[torch.Tensor | None, torch.Tensor, float],
    ) -> torch.Tensor:
        """Per sample of standardised ``x``, what the Gaussian of :meth:`score`
        needs, as the columns of a float64 tensor: the squared residuals of
        the observed numeric entries summed in units of the largest numeric
        scale (squares in the units of X may underflow: data in units of
        1e-165), their number, the log-probability of the
        observed categories, and 1 for a row with an entry of likelihood 0
        (:meth:`_outside_unit_interval`). ``factors``: from
        :meth:`_likelihood_factors`."""
        pinned, scale, _ = factors
        out = module(x)
        criterion = self.net_.criterion_
        reconstruction = criterion.reconstruct(out)
        if pinned is not None:
            # A feature constant in every training row is reconstructed as
            # that constant, as inverse_transform reconstructs it.
            flat, value = (part.to(x.device) for part in pinned)
            reconstruction = torch.where(flat, value.to(reconstruction.dtype), reconstruction)
        residual = (reconstruction - x).double()
        categorical = torch.zeros(len(x), dtype=torch.float64, device=x.device)
        if isinstance(criterion, MixedTypeLoss):
            # The numeric entries' Gaussian, and the observed categories' probabilities.
            residual = residual[:, criterion.numeric_at]
            categorical = categorical + criterion.categorical_log_likelihood(out, x)
        residual = residual * scale.to(x.device)
        # The density of the observed entries: a missing one is left out.
        observed = (~torch.isnan(residual)).sum(dim=1).double()
        squares = residual.nan_to_num(0.0).square().sum(dim=1)
        outside = self._outside_unit_interval(x)
        flag = torch.zeros_like(squares) if outside is None else outside.any(dim=1).double()
        return torch.stack([squares, observed, categorical, flag], dim=1)

    def _fit_scoring(
        self, x: torch.Tensor, seed: int, *, density: bool = True, bounded: bool = False
    ) -> np.ndarray | None:
        """Fit what :meth:`_score_samples_scaled` and :meth:`_sample_codes` need,
        on the standardised training data ``x``: the per-feature mean of the
        reconstruction loss, the code Gaussian and (with ``density``) the
        mixture on the training codes that :meth:`sample` draws from. With
        ``bounded`` (a continued ``partial_fit``), each row's errors and code
        count up to ``ROW_BOUND`` times the typical ones of the statistics
        being replaced.

        Returns the training scores when they came on the way (saving a pass
        over the data), else None.
        """
        criterion = self.net_.criterion_
        # One error per input column (a categorical column's is one term).
        n_samples, n_features = len(x), self.n_features_in_
        error_sum = torch.zeros(n_features, dtype=torch.float64, device=x.device)
        # The squared errors of the reconstructions, for ``noise_variance_``:
        # with squared_error they are the per-feature losses already summed.
        # With categorical columns, of the numeric entries only.
        encoding = self._encoding()
        squared_loss = isinstance(criterion, SquaredError)
        numeric = None if encoding is None else encoding.numeric_positions()
        numeric_columns = None if encoding is None else np.flatnonzero(~encoding.is_categorical)
        n_squared = n_features if numeric is None else len(numeric)
        squared_sum = torch.zeros(n_squared, dtype=torch.float64, device=x.device)
        # Observed entries per feature: the means leave missing ones out.
        # Complete data (the common case) skip the two passes that needs.
        missing = has_missing(x)
        observed = torch.full((n_features,), float(n_samples), dtype=torch.float64, device=x.device)
        if missing:
            observed.zero_()
        # The training scores need every row's per-feature errors, whose scale
        # is only known once all rows are seen. Within ``KEPT_ERRORS_SHARE``
        # of scikit-learn's ``working_memory`` they are kept from this pass
        # (float32, as computed); beyond it a second pass recomputes them.
        budget = KEPT_ERRORS_SHARE * get_config()["working_memory"] * 2**20
        keep = n_samples * n_features * 4 <= budget
        errors = (
            torch.empty((n_samples, n_features), dtype=torch.float32, device=x.device)
            if keep
            else None
        )
        cap = None
        if bounded and np.shape(getattr(self, "error_scale_", None)) == (n_features,):
            cap = torch.as_tensor(ROW_BOUND * self.error_scale_, device=x.device)
        done = 0

        def codes_and_errors(module: torch.nn.Module, xb: torch.Tensor) -> torch.Tensor:
            nonlocal error_sum, squared_sum, observed, done
            out = module(xb)
            batch_errors = self._score_terms(out, xb)
            if missing:
                observed = observed + (~criterion.column_missing(xb)).sum(dim=0)
            counted = _observed(batch_errors.double(), missing)
            unseen = criterion.column_unseen(xb)
            if unseen is not None and bool(unseen.any()):
                # A category unseen at the first fit (met in partial_fit or a
                # warm start) costs at least n_samples + 1: counted in the column's
                # error scale, a few such rows made every unseen category
                # look usual. Left out, as a missing entry is.
                counted = counted.masked_fill(unseen, 0.0)
                observed = observed - unseen.sum(dim=0)
            if cap is not None:
                counted = torch.minimum(counted, cap)
            error_sum = error_sum + counted.sum(dim=0)
            if not squared_loss:
                squared = (criterion.reconstruct(out) - xb).square()
                if numeric is not None:
                    squared = squared[:, numeric]
                squared_sum = squared_sum + _observed(squared.double(), missing).sum(dim=0)
            if errors is not None:
                errors[done : done + len(xb)] = batch_errors
            done += len(xb)
            return out["z"]

        # The codes stay on the device: the mixture is fitted there.
        codes = self._apply(x, codes_and_errors, on_device=True, draws=False)
        fitted_codes = codes
        if bounded and hasattr(self, "code_mean_"):
            fitted_codes = bound_codes(codes, self.code_covariance_, ROW_BOUND)
        # A feature the model reconstructs perfectly must not divide by zero.
        counts = np.maximum(observed.cpu().numpy(), 1)
        self.error_scale_ = np.maximum(error_sum.cpu().numpy() / counts, 1e-6)
        self._check_finite_error_scale()
        # A feature never observed here has no error to measure: its
        # errors count in the standardised units, not 1e6 times louder.
        self.error_scale_[observed.cpu().numpy() == 0] = 1.0
        encoding = self._encoding()
        if encoding is not None:
            # Nor has a categorical column with one category at fit: any
            # other is unseen, and costs 2 (n_samples + 1) in standardised units
            # (-6.7e7 in a score, divided by a training error of 0).
            columns = zip(encoding.blocks(), encoding.is_categorical, strict=True)
            for j, ((start, stop), categorical) in enumerate(columns):
                if categorical and np.count_nonzero(self.mean_[start:stop] > 0) <= 1:
                    self.error_scale_[j] = 1.0
        self._constant_error_scale(observed.cpu().numpy() > 0, numeric, numeric_columns)
        squared_sum = (error_sum if squared_loss else squared_sum).cpu().numpy().copy()
        # A feature constant in every training row is reconstructed as that
        # constant (inverse_transform's reconstruction): no error, whatever
        # the network's output for it.
        constant = self._constant_inputs()
        if constant is not None:
            flat = constant[0]
            squared_sum[flat if numeric is None else flat[numeric]] = 0.0
        entries = observed.cpu().numpy()
        if numeric is None:
            log_variance = _log_noise_variance(squared_sum / counts, self.scale_, entries)
        elif len(numeric):
            numeric_counts = counts[numeric_columns]
            log_variance = _log_noise_variance(
                squared_sum / numeric_counts, self.scale_[numeric], entries[numeric_columns]
            )
        else:
            log_variance = 0.0
        self._set_noise_variance(log_variance)
        self.code_mean_, self.code_covariance_ = fit_code_gaussian(fitted_codes)
        if density:
            self.latent_density_ = fit_code_density(fitted_codes, seed)
        # The kept errors make the built-in score only: a kind with a score
        # of its own gets its training scores from that score.
        if errors is None or not self._builtin_score():
            return None
        step = INFERENCE_BATCH_SIZE
        scores = [
            self._combined_score(errors[i : i + step], codes[i : i + step])
            for i in range(0, n_samples, step)
        ]
        return torch.cat(scores).cpu().numpy()

    def _check_finite_error_scale(self) -> None:
        """Raise a FloatingPointError when the training rows' errors overflow
        float32: every score and the threshold were then inf or NaN, and
        nothing was flagged (data of 1e20 with scaling="none", where a
        Huber loss trains on, but its squared errors overflow)."""
        overflowed = ~np.isfinite(self.error_scale_)
        if not overflowed.any():
            return
        names = getattr(self, "feature_names_in_", None)
        columns = np.flatnonzero(overflowed)
        labels = columns.tolist() if names is None else names[columns].tolist()
        advice = self._own_units_advice() or "The network diverged: try a lower learning rate."
        raise FloatingPointError(
            f"The reconstruction errors of the training rows overflow float32 in the "
            f"columns {labels}, so no row could be scored. {advice}"
        )

    def _own_units_advice(self) -> str:
        """With ``scaling="none"``, the advice for numbers beyond float32 (the
        network then works in the data's own units); "" otherwise."""
        if self.scaling != "none":
            return ""
        return (
            "With scaling='none' the network works in the data's own units, which may be "
            "too large for float32: let it scale them (scaling='auto'), or divide X by a "
            "constant."
        )

    def _builtin_score(self) -> bool:
        """Whether :meth:`_score_samples_scaled` is this class's (not a kind's own)."""
        return _defined_by(type(self), "_score_samples_scaled") is BaseAutoEncoder

    def _sample_codes(self, n_samples: int, rng: np.random.RandomState) -> np.ndarray:
        """Draw codes for :meth:`sample`."""
        return sample_codes(self.latent_density_, n_samples, rng)

    # ------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> BaseAutoEncoder:
        """Fit the autoencoder to ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, partial=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None) -> BaseAutoEncoder:
        """Train for one more epoch on ``X``.

        The first call fits the internal scaling on ``X`` and initialises the
        network; later calls continue from the current weights with the same
        scaling, like :meth:`sklearn.decomposition.IncrementalPCA.partial_fit`.
        Early stopping does not apply. What the scores are made of
        (``offset_``, ``error_scale_``, the code Gaussian and the code density
        used by :meth:`sample`) is refitted after each call, with the network
        as it now is, on the latest ``X`` when it has at least 256 rows, else
        on the last 256 of the rows the model keeps for this (a random 256 of
        the last ``fit``'s rows, then the latest chunks'); at the start of a
        stream of small chunks, on all of them once they are more than the
        statistics came from (a one-row chunk alone made every row an
        outlier). From small chunks, the density used by :meth:`sample` and
        the calibration of rows with missing entries (most of such a call's
        cost) are refitted once 64 rows are new since they were, the rest at
        every call. Rows with no observed value (every entry NaN, or NaN but
        in features the first fit saw no value of) count in
        none of these numbers and set none of the statistics. In these refits
        no row counts for more than ``ROW_BOUND`` (100) times a feature's
        typical reconstruction error before the call, nor its code for more
        than 100 times the codes' typical squared distance from their median
        (in the codes' spread before the call, or their own where it is
        wider, so that the statistics follow a stream that drifts): one
        corrupt value does not switch the detector off. A chunk that
        multiplies the typical errors tenfold or more (many rows far out,
        such as a change of units) warns. The rows kept
        (standardised, at most 256) go with the model into pickles and
        files, so that ``partial_fit`` continues there as it would have here.
        A chunk with no observed value at all is refused.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A chunk of training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The estimator.
        """
        return self._fit(X, partial=True)

    def _fit(self, X, *, partial: bool) -> BaseAutoEncoder:
        # Torch sets a thread's own thread count from the process's at the
        # thread's first parallel operation, for good. A worker thread whose
        # first fit began while another fit's small pass had the count at one
        # trained on one thread ever after (other last bits for a
        # convolutional network, and slower): it is set here, in the fits'
        # turn, before any other operation of the fit (a review).
        with _SeededTorch.turn():
            torch.get_num_threads()
        # Alone: not beside a prediction in another thread (:mod:`skae._locking`).
        with lock_of(self).write():
            return self._fit_alone(X, partial=partial)

    def _fit_alone(self, X, *, partial: bool) -> BaseAutoEncoder:
        # partial_fit always continues a fitted model; fit only with warm_start.
        first = not (hasattr(self, "net_") and (partial or self.warm_start))
        # A fit replaces attributes, never mutates them, so this shallow copy
        # is the whole previous fit, but for the network that partial_fit
        # trains in place (a warm start trains a new one).
        before = dict(vars(self))
        network = _network_state(self.net_) if partial and not first else None
        try:
            # Training needs autograd, also when called in inference mode
            # (whose tensors cannot be recorded: a bare autograd error).
            with torch.inference_mode(False):
                return self._train(X, partial=partial, first=first)
        except (Exception, KeyboardInterrupt):
            # A fit that fails (refused input, a diverging loss, a failing callback, a
            # failed density) leaves the estimator as the call found it, as
            # scikit-learn's do when they refuse their input: the previous fit whole,
            # or unfitted (NotFittedError), never parts of two fits, nor new weights
            # with the old scores' statistics. So does a Ctrl-C that reaches here:
            # skorch keeps the model of an interrupted epoch loop, but one in the pass
            # after it (the scores' statistics) leaves them unmade.
            # Restored in place, never emptied on the way: another thread
            # predicting meanwhile saw no net_ (NotFittedError).
            for name in set(vars(self)) - set(before):
                delattr(self, name)
            vars(self).update(before)
            if network is not None:
                _restore_network(self.net_, network)
            raise

    def _train(self, X, *, partial: bool, first: bool) -> BaseAutoEncoder:
        if partial and not first:
            # scikit-learn skips this for a fitted model's partial_fit, but
            # the parameters set since now apply (lr, beta, ...): a negative
            # penalty weight or lr=0 must not train silently.
            self._validate_params()
        if partial:
            # Before the epoch: a callback kept from fit that watches the
            # held-out rows' score failed at its end, with skorch's KeyError.
            _checked_callbacks(self.callbacks, validated=False, partial=True)
        network = self._network_parameters()
        if not first:
            self._check_same_network(network, "partial_fit" if partial else "warm_start=True")
        X = self._validated(X, reset=first, training=True)
        if not first and self.loss == "binary_crossentropy":
            # The first fit checks it with the scaling; a continued one must
            # too, in the columns whose values count.
            check_unit_interval(X, self._observed_columns())
        # An accelerator places the model itself (one device per process).
        self._check_accelerator(continuing=partial and not first)
        if self.accelerator is not None:
            device = self.accelerator.device
        else:
            device = _resolve_device(self.device)
            if partial and not first and device.type != self.device_.type:
                # The network stays where it was fitted, and the chunk went
                # to the new device: torch's own mismatch error, mid-training.
                raise ValueError(
                    f"device={self.device!r} places training on {device.type}, but the "
                    f"fitted model is on {self.device_.type} (device_): partial_fit continues "
                    "the model where it is. Set device back, refit, or save the model and "
                    "load it with skae.load(path, device=...)."
                )
        # Nothing observed: nothing to fit, and a partial_fit epoch on it
        # would still move the weights (the optimiser's momentum).
        check_some_observed(X, None if first else self._observed_columns())
        if first:
            self._validate_architecture(X.shape[1])
            if len(X) < MIN_SCALING_ROWS and self.scaling != "none":
                # fit too: on one to three rows its detector flagged 72-100% of
                # new rows from the same distribution, without a word.
                what = "The first partial_fit chunk" if partial else "X"
                advice = (
                    "Start the stream with a larger chunk, or fit on a sample first."
                    if partial
                    else "Fit on more rows."
                )
                warn_caller(
                    f"{what} has {len(X)} row(s): the scaling is fitted on it and kept, so "
                    "each feature's spread is measured on so few rows (on one row, none: "
                    f"every feature is taken as constant). {advice}"
                )
            self._fit_scaling(X)
            self._base_seed = self._draw_base_seed()
            self._n_training_calls = 0
        # Larger than working memory (a memmap, say): scaled batch by batch.
        memory = get_config()["working_memory"]
        # With tail_screen, fit leaves out the rows far out in their columns
        # (skae._screen); partial_fit, which sees a chunk at a time, trains
        # on every row.
        # The scaling above is the whole table's, as a user reads it.
        left_out = screened = None
        if not partial:
            left_out = self._screened_rows(X)
            self.n_screened_ = 0 if left_out is None else int(left_out.sum())
        elif first:
            self.n_screened_ = 0
        # Rows with no observed value teach nothing: they are left out of
        # training, as they are of the held-out rows and of the scores'
        # statistics. Kept, each was a row of zero loss in the batch means:
        # 300 of them beside 300 rows halved the training loss (and its
        # gradient), which the held-out loss then seemed to overfit (a probe).
        empty = empty_rows(X, self._observed_columns())
        kept = None if empty is None else ~empty
        if left_out is not None:
            screened = rows_for_training(
                select_rows(X, left_out), self._centre(), self.scale_, device, memory
            )
            kept = ~left_out if kept is None else kept & ~left_out
        if kept is not None:
            X = select_rows(X, kept)
        x = rows_for_training(X, self._centre(), self.scale_, device, memory)
        seed = int(
            np.random.SeedSequence([self._base_seed, self._n_training_calls]).generate_state(1)[0]
        )
        self._n_training_calls += 1

        missing = has_missing(x)
        with _SeededTorch(seed, device):
            if partial and not first:
                net = self.net_
                self._refresh_training_parameters(net, len(X))
                # One pass over the whole chunk, whatever the fit set: early
                # stopping (for fit only, as in MLPRegressor) held rows out
                # even after it was switched off, and a large table's auto
                # epochs (subsets of 200,000 rows) left the rest untrained.
                net.set_params(train_split=None)
                net.rows_per_epoch = None
                epochs = {"epochs": 1}
            else:
                self.hidden_layer_sizes_ = tuple(self._hidden_layer_sizes(X.shape[1]))
                net = self._make_net(
                    X.shape[1], device, holdout=not partial, chunk=partial, n_samples=len(X)
                )
                net.initialize()
                if empty is not None and isinstance(net.train_split, HoldOutSplit):
                    # For the refusal of a split that leaves no row, in the
                    # rows the user passed.
                    net.train_split.left_out = int(empty.sum())
                if first:
                    gain, fill = self._input_gain, self._input_fill
                    built = net.unwrapped(net.module_)
                    built.set_input_gain(
                        None if gain is None else torch.as_tensor(gain, dtype=torch.float32)
                    )
                    built.set_input_fill(
                        None if fill is None else torch.as_tensor(fill, dtype=torch.float32)
                    )
                else:
                    self._continue_from(net)
                    if isinstance(net.train_split, HoldOutSplit):
                        # The rows the last fit held out stay out: its
                        # training rows would judge the epochs too kindly.
                        net.train_split.rows = getattr(self, "_held_out_rows", None)
                # The net is initialised (and maybe warm): train, don't reset.
                epochs = {"epochs": 1} if partial else {}
            _mark_missing(net, missing)
            # What a callback sees is a chunk of the data, not all of it.
            net.skae_chunk = partial
            module = net.unwrapped(net.module_)
            criterion = net.unwrapped(net.criterion_)
            before = reconstruction_error(module, criterion, x)
            try:
                with step_threads(module, net.batch_size, device), flush_denormals(device):
                    net.partial_fit(x, **epochs)
            finally:
                # Taken before the check, whatever happens: a fit that
                # diverged, or failed, drops them with it.
                held = held_warnings(net)
            after = reconstruction_error(module, criterion, x)
            failed = check_not_diverged(
                module,
                criterion,
                x,
                before,
                after,
                net.lr,
                flat_share=self._flat_share,
                held_back_by=self._held_back_by(),
            )
            untrained = (
                first
                and not failed
                and check_trained(x, before, after[0], training_steps(net), net.lr)
            )
            # A network that did not move was judged by the training's own
            # checks as it was initialised: "the corruption won" beside
            # "untrained" at lr=1e-9 blamed a default noise_std.
            for message, category, yields_to_failure in [] if untrained else held:
                if not (failed and yields_to_failure):
                    warn_caller(message, category)

        # Out of training, the loss as scoring and the checks read it: a
        # kind's loss may weigh entries otherwise in training (a masked
        # autoencoder's, on the entries its corruption hid).
        criterion.eval()
        # The clipping range of the encoder's input covers every row trained on.
        module.extend_input_range(x, reset=first)
        self.net_ = net
        self._network = network
        if first or not partial:
            # A new network was built, with this many codes; partial_fit
            # continues the fitted one whatever n_components says now.
            self.n_components_ = self._n_codes()
        self.device_ = device
        # Finished epochs only: a KeyboardInterrupt can leave a stub last row
        # (its steps are in the weights); dropped, so that the history's rows
        # are the epochs n_iter_ counts, and a warm start numbers on from them.
        while len(net.history) and "train_loss" not in net.history[-1]:
            del net.history[-1]
        # Counted on from the rows counted before (the net keeps the count):
        # a count over the whole history at every call of a stream made each
        # call slower.
        rows, count = getattr(net, "skae_epochs_counted", (0, 0))
        if rows > len(net.history):
            rows, count = 0, 0
        count += sum("train_loss" in row for row in net.history[rows:])
        net.skae_epochs_counted = (len(net.history), count)
        self.n_iter_ = count
        split = net.train_split
        held_out = split.take_held_out() if isinstance(split, HoldOutSplit) else None
        if not partial:
            self._held_out_rows = (
                split.take_held_out_index() if isinstance(split, HoldOutSplit) else None
            )
        # The statistics pass takes its turn too (see _SeededTorch.turn).
        with _SeededTorch.turn():
            rows, whole = self._rows_for_statistics(x, partial, first, seed, screened)
            if partial and rows is not None:
                screened = self._screened_in_window(rows.device)
            if rows is not None:
                # Scales from fewer rows (a stream's first small chunks) are
                # expected to move a lot: compared from MIN_REFRESH_ROWS rows on.
                settled = getattr(self, "_statistics_rows", MIN_REFRESH_ROWS) >= MIN_REFRESH_ROWS
                scale_before = (
                    getattr(self, "error_scale_", None)
                    if partial and not first and settled
                    else None
                )
                # Bounded by the statistics being replaced, settled or not: one
                # row 1e10 standard deviations out in a chunk after a fit on 200
                # rows made the codes' Gaussian or mixture fail.
                try:
                    self._fit_detector_and_density(
                        rows,
                        seed,
                        whole=whole,
                        held_out=held_out,
                        bounded=partial and not first,
                        screened=screened,
                    )
                except ValueError as exc:
                    if not failed:
                        raise
                    # The mixture on the codes of a run that blew up fails (a
                    # covariance that is not positive definite): the cause is the
                    # training, which n_components, as that error advises, is not.
                    raise FloatingPointError(
                        "Training failed (see the ConvergenceWarning above) and left codes "
                        "that the scores cannot be fitted on (the error this one was raised "
                        f"from). Try a lower learning rate than lr={net.lr}."
                    ) from exc
                self._warn_if_error_scales_jumped(scale_before)
        return self

    def _screened_rows(self, X) -> np.ndarray | None:
        """Which rows of the checked ``X`` fit leaves out of training (see
        ``tail_screen`` and :mod:`skae._screen`); None for none."""
        if self.tail_screen is None:
            return None
        return screened_rows(tail_terms(self._numeric_columns(X), len(X)), self.tail_screen)

    def _warn_if_error_scales_jumped(self, before: np.ndarray | None) -> None:
        """Warn when a ``partial_fit`` multiplied the features' typical
        reconstruction errors (``error_scale_``) by ``ERROR_SCALE_JUMP`` or
        more in the median feature. Each row counts for ``ROW_BOUND`` times
        the typical error at most, so that takes many rows far outside the
        data seen so far (new units, a broken sensor): the detector then
        flags far fewer rows."""
        after = getattr(self, "error_scale_", None)
        if before is None or after is None or np.shape(before) != np.shape(after):
            return
        with np.errstate(divide="ignore", invalid="ignore"):
            growth = float(np.nanmedian(after / before))
        if growth >= ERROR_SCALE_JUMP and float(np.nanmedian(after)) >= ERROR_SCALE_FLOOR:
            warn_caller(
                f"partial_fit multiplied the typical reconstruction errors (error_scale_) "
                f"by {growth:.3g} in the median feature: many of the rows in this chunk, "
                f"or among the last {MIN_REFRESH_ROWS} rows trained on, lie far outside "
                "the data seen so far, and the detector now flags far fewer rows. Check "
                "them for corrupt values or changed units, and refit without them."
            )

    def _rows_for_statistics(self, x, partial: bool, first: bool, seed: int, screened=None):
        """The rows the scores' statistics are fitted on, or None to keep
        them, and whether to refit all of them (else the ones the scores need
        at every call only).

        A ``fit`` whose ``tail_screen`` left rows out (``screened``) keeps a
        sample of them too, as many for each row kept as it left out for
        each row it trained on: ``partial_fit`` draws the threshold on them
        with the rows kept while the fit's rows are among those (see
        :meth:`_screened_in_window`).

        A ``fit``'s rows. For ``partial_fit``: the chunk when it has
        ``MIN_REFRESH_ROWS`` rows or more; else the last ``MIN_REFRESH_ROWS``
        of the rows kept (scaled) between calls and the chunk's: a random
        ``MIN_REFRESH_ROWS`` of the last fit's rows, then each chunk's last
        ones. Each small chunk after a fit thus refits them on 256 rows,
        with the network as it now is (kept, they flagged up to 71% of
        held-out normal rows at ``contamination=0.1`` after 100 one-row
        chunks: the network had moved on). Until the rows kept are that many
        (a stream started with small chunks) the statistics are refitted on
        all of them when they are more than the statistics came from, else
        kept: a stream's first row alone does not set them for the next 255
        (every row was an outlier), nor are they re-estimated from a handful
        of rows.

        From the last rows of small chunks, the mixture that :meth:`sample`
        draws from and the calibration of rows with missing entries (most of
        the cost of such a call: 27 ms a one-row call refitting them each
        time, 6 ms with this rule) are refitted once ``DENSITY_REFRESH_ROWS``
        rows are new since they were; ``offset_``, ``error_scale_`` and the
        code Gaussian, what the scores and ``predict`` need, at every call
        (``benchmarks/results/small_chunks.md``).
        """
        # ``x`` holds no row without an observed value: _train left them out
        # (a chunk of 300 rows, 290 of them empty, refits offset_ on its 10).
        if not partial:
            rng = np.random.RandomState(seed % 2**32)
            self._recent_rows = _random_rows(x, rng).detach().to("cpu", copy=True)
            self._keep_screened_sample(screened, len(x), rng)
            self._statistics_rows = len(x)
            self._rows_since_density = 0
            return x, True
        self._slide_screened_window(0 if first else len(getattr(self, "_recent_rows", ())), len(x))
        # A chunk's rows as a fit's: a random MIN_REFRESH_ROWS, in random
        # order (its last ones, in table order, left a chunk sorted anomalies
        # first without any; a review).
        tail = _random_rows(x, np.random.RandomState(seed % 2**32))
        previous = None if first else getattr(self, "_recent_rows", None)
        if previous is None and not first:
            # The rows the statistics came from are not kept (a file or pickle
            # of an earlier version): they stop matching the network as it
            # trains on, so they count as fitted on fewer rows than
            # DENSITY_REFRESH_ROWS and are refitted once that many are new
            # (waiting for 256 flagged up to 95% of held-out normal rows).
            self._statistics_rows = min(
                getattr(self, "_statistics_rows", MIN_REFRESH_ROWS), DENSITY_REFRESH_ROWS - 1
            )
        if previous is not None and len(tail) < MIN_REFRESH_ROWS:
            tail = torch.cat([previous.to(tail.device), tail])[-MIN_REFRESH_ROWS:]
        # A copy: a view would keep the whole chunk (in pickles and files
        # too), or the caller's own array, which it may write to. On the CPU,
        # as the estimator's other statistics, so that a pickle of a GPU fit
        # loads where there is no GPU.
        self._recent_rows = tail.detach().to("cpu", copy=True)
        if len(x) >= MIN_REFRESH_ROWS:
            self._statistics_rows = len(x)
            self._rows_since_density = 0
            return x, True
        # Statistics of unknown origin (a file saved before their row count
        # was) count as a full set.
        fitted_on = 0 if first else getattr(self, "_statistics_rows", MIN_REFRESH_ROWS)
        if len(tail) >= MIN_REFRESH_ROWS or len(tail) > fitted_on:
            self._statistics_rows = len(tail)
            # Not known (a file of an earlier version): due now.
            since = getattr(self, "_rows_since_density", DENSITY_REFRESH_ROWS) + len(x)
            whole = fitted_on < MIN_REFRESH_ROWS or since >= DENSITY_REFRESH_ROWS
            self._rows_since_density = 0 if whole else since
            return tail, whole
        return None, False

    def _keep_screened_sample(self, screened, n_kept: int, rng: np.random.RandomState) -> None:
        """Keep (scaled, on the CPU) as many of the rows a fit's
        ``tail_screen`` left out (``screened``) per row kept for
        ``partial_fit`` as it left out per row trained on (``n_kept``): a
        threshold drawn on the kept rows alone flagged twice the share of
        new normal rows after a chunk of 20 normal rows (5.0% to 10.6%, a
        probe)."""
        self._forget_screened_sample()
        if screened is None or len(screened) == 0:
            return
        observed = rows_with_values(screened)
        n_screened = len(screened) if observed is None else int(observed.sum())
        share = n_screened / n_kept
        count = min(n_screened, round(share * len(self._recent_rows)))
        if count == 0:
            return
        candidates = np.arange(len(screened)) if observed is None else np.flatnonzero(observed)
        chosen = np.sort(rng.choice(candidates, count, replace=False))
        rows = screened[torch.as_tensor(chosen, device=screened.device)]
        self._recent_screened = rows.detach().to("cpu", torch.float32).numpy().copy()
        self._screened_share = float(share)
        self._recent_fit_rows = len(self._recent_rows)

    def _slide_screened_window(self, n_recent: int, n_new: int) -> None:
        """Count the fit's rows still among the ``n_recent`` rows kept once
        ``n_new`` rows of a chunk join them (the last ``MIN_REFRESH_ROWS``
        are kept); forget the screened rows when none is."""
        dropped = n_recent + n_new - min(MIN_REFRESH_ROWS, n_recent + n_new)
        fit_rows = getattr(self, "_recent_fit_rows", 0) - dropped
        if fit_rows > 0:
            self._recent_fit_rows = fit_rows
        else:
            self._forget_screened_sample()

    def _forget_screened_sample(self) -> None:
        for name in _SCREENED_STATE:
            if hasattr(self, name):
                delattr(self, name)

    def _screened_in_window(self, device) -> torch.Tensor | None:
        """The screened rows (see :meth:`_keep_screened_sample`) for as many
        of the fit's rows as are still kept, or None."""
        rows = getattr(self, "_recent_screened", None)
        if rows is None:
            return None
        count = min(len(rows), round(self._screened_share * self._recent_fit_rows))
        if count == 0:
            return None
        return torch.as_tensor(rows[:count], device=device)

    _network_parameter_names: tuple[str, ...] = NETWORK_PARAMETERS

    def _check_accelerator(self, continuing: bool) -> None:
        """Refuse an ``accelerator`` that would train wrongly: the class, not
        an instance (its attributes are properties, which torch was handed);
        gradient accumulation, which skorch's step defeats (it zeroes the
        gradients before each batch, and accelerate's zeroing acts at the
        synchronising step: every batch but the last of each group was
        lost); and, in ``partial_fit``, another accelerator than the one the
        net was prepared with (it kept training on that one)."""
        accelerator = self.accelerator
        name = type(self).__name__
        if continuing and getattr(self.net_, "accelerator", None) is not accelerator:
            raise ValueError(
                f"The accelerator of {name} changed since the model was fitted; "
                "partial_fit continues on the one the network was prepared with. "
                "To go on training with another, call fit with warm_start=True."
            )
        if accelerator is None:
            return
        if isinstance(accelerator, type):
            raise InvalidParameterError(
                f"The 'accelerator' parameter of {name} must be an instance such as "
                f"accelerate.Accelerator(), not the class {accelerator.__name__}."
            )
        missing = [a for a in ACCELERATOR_ATTRIBUTES if not hasattr(accelerator, a)]
        if missing:
            raise InvalidParameterError(
                f"The 'accelerator' parameter of {name} must be an "
                f"accelerate.Accelerator or an object with its interface; it has "
                f"no attribute {', '.join(map(repr, missing))}."
            )
        steps = getattr(accelerator, "gradient_accumulation_steps", 1)
        if steps != 1:
            raise ValueError(
                f"{name} does not accumulate gradients: the accelerator has "
                f"gradient_accumulation_steps={steps}. Multiply batch_size instead "
                "(the same gradient per step)."
            )

    def _refresh_training_parameters(self, net, n_samples: int) -> None:
        """Give the network ``partial_fit`` continues the training parameters
        as they are now (a warm start builds its net from them): ``lr``,
        ``weight_decay``, ``batch_size`` and the kind's own loss terms and
        corruption (``beta``, ``sparsity_weight``, ``noise_std``,
        ``contraction_weight``, ...) set since were ignored, until a save and
        a load rebuilt the net from them. A rate a scheduler has moved is
        left alone unless ``lr`` itself changed (or, with ``lr="auto"``, the
        batch of the ``n_samples`` rows of this call)."""
        batch_size = self._batch_size(n_samples)
        lr = self._lr(batch_size, n_samples, chunk=True)
        if net.lr != lr:
            net.lr = lr
            for group in net.optimizer_.param_groups:
                group["lr"] = group["initial_lr"] = lr
            # A schedule starts again from the new rate.
            net.skae_restart_schedules = True
        if getattr(net, "optimizer__weight_decay", None) != self.weight_decay:
            net.optimizer__weight_decay = self.weight_decay
            for group in net.optimizer_.param_groups:
                group["weight_decay"] = self.weight_decay
        net.batch_size = batch_size
        # Stateless objects made from the parameters: rebuilt, not patched.
        net.penalties = self._checked_penalties()
        net.corruption = self._make_corruption()
        # Callbacks and verbose output set since (a loaded model has none):
        # rebuilt then only, so that a scheduler's state carries over calls.
        built_from = getattr(net, "skae_callbacks_from", None)
        source = self._callbacks_source()
        if built_from is not None and (
            built_from[0] is not source[0] or built_from[1:] != source[1:]
        ):
            progress = {"callbacks": self._training_callbacks(holdout=False)}
            progress["verbose"] = int(bool(self.verbose))
            if self.accelerator is not None:
                sink = self.accelerator.print if self.verbose else print
                progress["callbacks__print_log__sink"] = sink
            # A schedule of the same name and kind goes on where it stopped.
            schedules = net.schedules()
            net.set_params(**progress)
            net.initialize_callbacks()  # set_params leaves the old ones running
            net.skae_schedules = schedules
        net.skae_callbacks_from = source

    def _callbacks_source(self) -> tuple:
        """What the net's callbacks are built from: the user's ``callbacks``
        (compared by identity), ``verbose`` and the kind's own parameters,
        which its checks read (a check of ``beta=50`` kept after
        ``set_params(beta=0)`` warned of a beta no longer set)."""
        own = {
            name: value
            for name, value in self.get_params(deep=False).items()
            if name not in BaseAutoEncoder._parameter_constraints
        }
        return (self.callbacks, self.verbose, own)

    def _network_parameters(self) -> dict[str, str]:
        """The parameters the network is built from, each as a JSON string
        (comparable after a save and a load, whatever their types)."""
        params = self.get_params(deep=False)
        left_out = [name for name in self._network_parameter_names if name not in params]
        if left_out:
            # As scikit-learn requires, for get_params and clone to see them.
            raise TypeError(
                f"{type(self).__name__}.__init__ must take every parameter of the kind it "
                f"extends, as scikit-learn's estimators do; it leaves out {left_out}."
            )
        network = {
            name: json.dumps(np.asarray(params[name]).tolist(), default=str)
            for name in self._network_parameter_names
        }
        # The kind too: a file whose class was edited builds another model
        # around the same weights.
        network["kind"] = json.dumps(type(self).__name__)
        return network

    def _fitted_loss(self) -> str:
        """The loss the fitted network was trained with: scoring follows it,
        as PCA's ``transform`` follows its fitted components, whatever
        ``loss`` has been set to since (a refit that changed it and was
        refused keeps the previous fit)."""
        fitted = getattr(self, "_network", None) or {}
        return json.loads(fitted["loss"]) if "loss" in fitted else self.loss

    def _fitted_architecture(self) -> str:
        """The architecture of the fitted network: the input checks of the
        methods that use it follow it, as :meth:`_fitted_loss`, whatever
        ``architecture`` has been set to since."""
        fitted = getattr(self, "_network", None) or {}
        return json.loads(fitted["architecture"]) if "architecture" in fitted else self.architecture

    def _check_same_network(self, network: dict[str, str], caller: str) -> None:
        """Refuse to continue (``caller``: "partial_fit", "warm_start=True"),
        to save ("save") or to load ("load") a fitted network whose
        parameters have changed since it was built."""
        # Set by every fit, and at load for files and pickles from before it.
        fitted = getattr(self, "_network", None) or {}
        changed = [
            name
            for name in network
            if name in fitted
            and fitted[name] != network[name]
            and not self._resolves_as_fitted(name)
        ]
        if not changed:
            return
        details = ", ".join(
            f"{name} {_shown(fitted[name])} -> {_shown(network[name])}" for name in changed
        )
        if caller == "load":
            raise ValueError(f"its parameters are not those its network was built with: {details}.")
        if caller == "save":
            # The file rebuilds the network from the parameters it stores.
            raise ValueError(
                "save stores the parameters the network is rebuilt from, so they must be "
                f"those the fitted network was built with; changed since the fit: {details}. "
                "Set them back, or fit again."
            )
        raise ValueError(
            f"{caller} continues the fitted network, so the parameters it was built "
            f"from must not change between fits; changed: {details}. Call fit (with "
            "warm_start=False) to build a new network."
        )

    def _resolves_as_fitted(self, name: str) -> bool:
        """Whether the parameter ``name``, written otherwise than at the fit,
        still gives the fitted network: the number of codes "auto" gave, the
        widths it gave, the fitted images' shape, or the same categorical
        columns as a mask, indices or names."""
        try:
            if name == "n_components":
                return self._n_codes() == self.n_components_
            if name == "hidden_layer_sizes":
                sizes = self._hidden_layer_sizes(self._n_inputs())
                return tuple(sizes) == tuple(self.hidden_layer_sizes_)
            if name == "image_shape":
                if self._fitted_architecture() == "dense" == self.architecture:
                    # A dense network does not use it (a probe: a changed
                    # image_shape was refused by partial_fit and save).
                    return True
                fitted = getattr(self, "image_shape_", None)
                asked = self.image_shape
                return (
                    fitted is not None
                    and asked is not None
                    and tuple(int(v) for v in np.ravel(asked)) == tuple(fitted)
                )
            if name == "categorical_features":
                return self._same_categorical_columns()
        except (ValueError, TypeError, AttributeError):
            pass
        return False

    def _continue_from(self, net: AutoEncoderNet) -> None:
        """Start ``net`` (fresh callbacks and optimiser, as a warm-started
        MLPRegressor has) from the fitted weights and history of ``net_``."""
        try:
            new_module, new_criterion = net.unwrapped(net.module_), net.unwrapped(net.criterion_)
            # The layers, activations and loss as printed: a change of loss or
            # activation keeps the weights' shapes, so loading would not see it.
            if str(new_module) != str(self.net_.module_) or type(new_criterion) is not type(
                self.net_.criterion_
            ):
                raise RuntimeError("the network or the loss differs from the fitted one")
            new_module.load_state_dict(self.net_.module_.state_dict())
            new_criterion.load_state_dict(self.net_.criterion_.state_dict())
        except RuntimeError as exc:
            raise ValueError(f"{WARM_START_SAME_NETWORK}: {exc}") from exc
        net.history = copy.deepcopy(self.net_.history)
        # A learning-rate schedule resumes from the copied history's epoch,
        # which torch allows only with the optimiser's starting rate recorded,
        # and with what the schedule keeps in the optimiser (OneCycleLR's
        # max_lr and min_lr).
        # It goes on from the rate it had reached, unless lr was set since (a
        # loaded model's schedule is gone, its optimiser's rate not).
        keep_rate = net.lr == self.net_.lr
        old_groups = self.net_.optimizer_.param_groups
        # The starting rate too (OneCycleLR's warm-up climbs from it), unless
        # lr was set since: the schedule then restarts from lr.
        skip = ("params",) if keep_rate else ("params", "initial_lr")
        for group, old in zip(net.optimizer_.param_groups, old_groups, strict=False):
            for key, value in old.items():
                if key not in skip:
                    group.setdefault(key, value)
            group.setdefault("initial_lr", group["lr"])
            if keep_rate:
                group["lr"] = old["lr"]
        if keep_rate:
            net.skae_schedules = self.net_.schedules()

    #: The parameter whose weight keeps this kind from copying its input (a
    #: penalty's weight, a corruption's level), named in the advice of the
    #: training's warnings; None for none.
    _regulariser_parameter: str | None = None

    def _held_back_by(self) -> str:
        """The settings that pull the network towards a constant, as the
        training's warnings name them ("" for none)."""
        names = []
        if self._regulariser_parameter is not None and self._regulariser_off() is None:
            names.append(self._regulariser_parameter)
        if self.weight_decay > 0:
            names.append("weight_decay")
        return " or ".join(names)

    def _regulariser_off(self) -> str | None:
        """The setting that turns off what keeps this kind from copying its
        input (a corruption or penalty of 0), or None: with it, the kind is a
        plain autoencoder, warned of as many codes as inputs as
        ``_bottleneck_only`` kinds are."""
        return None

    def _validate_architecture(self, n_features: int) -> None:
        self._check_image_shape()
        off = self._regulariser_off()
        if (
            (self._bottleneck_only or off is not None)
            and not isinstance(self.n_components, str)
            and self.n_components >= n_features
        ):
            # PCA refuses more components than features; a network can train
            # with them, but then learns to copy X, which every held-out
            # reconstruction, and so score() and a grid search, reward.
            kind = type(self).__name__ + (f" with {off}" if off is not None else "")
            warn_caller(
                f"n_components={self.n_components} is at least the {n_features} inputs of "
                f"the network: {kind} can then copy X, and its codes need "
                "not hold any structure. score() (held-out reconstruction) favours such "
                "a model in a grid search. Use fewer codes than inputs, or a kind whose "
                "training keeps it from copying (DenoisingAutoEncoder, SparseAutoEncoder, "
                "ContractiveAutoEncoder, VariationalAutoEncoder)."
            )
        if isinstance(self.hidden_layer_sizes, str):
            sizes = np.asarray(self._hidden_layer_sizes(n_features), dtype=object)
        else:
            sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        # A bool is an int to Python: True was a layer of 1 unit.
        if sizes.ndim != 1 or not all(
            isinstance(s, Integral | np.integer) and not isinstance(s, bool | np.bool_) and s >= 1
            for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        if self.architecture == "conv":
            self.image_shape_ = self._resolve_image_shape(n_features)
        elif hasattr(self, "image_shape_"):
            # A dense refit of a conv fit: the attribute is set with
            # architecture="conv" only (a probe: (1, 8, 8) outlived a refit
            # on 10 features).
            del self.image_shape_

    def _resolve_image_shape(self, n_features: int) -> tuple[int, int, int]:
        images = self.__dict__.pop("_input_image_shape", None)
        if self.image_shape is None and images is not None:
            if _channels_last(images):
                # Many image libraries give (n, H, W, C); read as (n, C, H, W)
                # they train without error on images of H channels.
                warn_caller(
                    f"X has the shape (n_samples, {', '.join(map(str, images))}), read as "
                    f"(n_samples, channels, height, width): {images[0]} channels of "
                    f"{images[1]} x {images[2]} pixels. If the images are channels-last "
                    "(n_samples, height, width, channels), move the axis first: "
                    "np.moveaxis(X, -1, 1).",
                    UserWarning,
                )
            return images  # a 4-D array's own (C, H, W)
        if self.image_shape is None:
            # A square single-channel image if the row is one, else a 1-D signal.
            side = int(round(np.sqrt(n_features)))
            return (1, side, side) if side * side == n_features else (1, 1, n_features)
        shape = tuple(int(v) for v in np.ravel(self.image_shape))
        if len(shape) != 3 or min(shape) < 1 or math.prod(shape) != n_features:
            raise ValueError(
                f"image_shape={tuple(self.image_shape)!r} does not match X: it must be "
                f"(channels, height, width) with channels * height * width == n_features "
                f"({n_features})."
            )
        if _channels_last(shape):
            # (28, 28, 1) is how image libraries name a grey digit's shape.
            channels, height, width = shape
            warn_caller(
                f"image_shape={shape} is read as (channels, height, width): {channels} "
                f"channels of {height} x {width} pixels. If it is (height, width, "
                f"channels), pass image_shape={(width, channels, height)} with each row's "
                "pixels channel by channel (np.moveaxis(images, -1, 1) before flattening).",
                UserWarning,
            )
        return shape

    def _n_codes(self) -> int:
        """``n_components``, "auto" resolved for the ``n_features_in_`` seen at fit."""
        if self.n_components == "auto":
            return auto_n_components(self.n_features_in_)
        # A Python int: arithmetic on a numpy int8 (network widths, the
        # variational encoder's 2 x n_components outputs) overflowed.
        return int(self.n_components)

    def _hidden_layer_sizes(self, n_features: int, *, count_codes: bool = True) -> list[int]:
        """``hidden_layer_sizes``, "auto" resolved for ``n_features`` inputs
        (and the codes, unless ``count_codes`` is False: the rule of older fits)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, str):  # "auto"
            if self.architecture == "conv":
                return list(AUTO_CONV_CHANNELS)
            codes = self._n_codes() if count_codes else None
            return list(auto_hidden_layer_sizes(n_features, codes))
        # np.ndim: a 0-d array (np.array(8)) is a number too, not a sequence.
        return [int(sizes)] if np.ndim(sizes) == 0 else [int(s) for s in sizes]

    def _network_sizes(self, n_features: int) -> list[int]:
        """The hidden sizes of the network to build: those of the fit (a loaded
        model is rebuilt as it was trained), else resolved from the parameters."""
        fitted = getattr(self, "hidden_layer_sizes_", None)
        return list(fitted) if fitted is not None else self._hidden_layer_sizes(n_features)

    def _draw_base_seed(self) -> int:
        if self.random_state is None:
            # Fresh OS entropy: leaves numpy's global generator untouched.
            return int(np.random.SeedSequence().generate_state(1)[0])
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _n_epochs(self, n_samples: int) -> int:
        """``max_epochs``, with ``"auto"`` resolved for ``n_samples`` rows."""
        if self.max_epochs == "auto":
            return auto_epochs(n_samples, self._auto_max_epochs)
        return int(self.max_epochs)

    def _rows_per_epoch(self, n_samples: int) -> int | None:
        """Rows per epoch of ``fit``: all (None) unless ``max_epochs="auto"``
        subsamples a large table."""
        return auto_rows_per_epoch(n_samples) if self.max_epochs == "auto" else None

    def _batch_size(self, n_samples: int | None) -> int:
        """``batch_size``, with ``"auto"`` resolved for ``n_samples`` training
        rows (None: a net rebuilt by ``load``)."""
        if isinstance(self.batch_size, str):
            return auto_batch_size(n_samples)
        return int(self.batch_size)

    def _lr(self, batch_size: int, n_samples: int | None = None, *, chunk: bool = False) -> float:
        """``lr``, with ``"auto"`` resolved for batches of ``batch_size`` rows
        out of ``n_samples`` (None: a net rebuilt by ``load``) of a fit, or
        of a ``partial_fit`` ``chunk``."""
        if isinstance(self.lr, str):
            return auto_lr(batch_size, n_samples, chunk=chunk)
        return float(self.lr)

    def _make_net(
        self,
        n_features: int,
        device: torch.device,
        *,
        holdout: bool,
        chunk: bool = False,
        n_samples: int | None = None,
    ) -> AutoEncoderNet:
        """The skorch net for ``n_samples`` training rows (None: a net
        rebuilt by ``load``); ``holdout`` for ``fit``, where early stopping
        may hold rows out; ``chunk`` for ``partial_fit`` (the rate of its
        rows)."""
        use_holdout = holdout and self._early_stopping_on(n_samples)
        callbacks = self._training_callbacks(use_holdout)
        batch_size = self._batch_size(n_samples)
        net_class, placement = AutoEncoderNet, {"device": device}
        if self.accelerator is not None:
            from ._accelerate import AcceleratedAutoEncoderNet

            # skorch leaves the placement to the accelerator (device=None).
            # The log goes through the accelerator's print, on the main
            # process only; skorch's plain print keeps ``verbose=0`` quiet.
            sink = self.accelerator.print if self.verbose else print
            net_class = AcceleratedAutoEncoderNet
            placement = {"accelerator": self.accelerator, "callbacks__print_log__sink": sink}
        with _float32_default():
            module, criterion = self._checked_module(n_features), self._criterion(n_features)
        if getattr(self, "_refill_missing", True):
            # Training fills half the rows' missing entries as the loss
            # reconstructs them (:class:`~skae._architectures.AutoEncoderModule`).
            module.set_output_map(criterion.reconstruct)
        net = net_class(
            module=module,
            criterion=criterion,
            penalties=self._checked_penalties(),
            corruption=self._make_corruption(),
            optimizer=torch.optim.Adam,
            optimizer__weight_decay=self.weight_decay,
            # One kernel for the whole update instead of a loop over the
            # parameters: 10-25% faster epochs on a CPU, same algorithm.
            optimizer__fused=True,
            lr=self._lr(batch_size, n_samples, chunk=chunk),
            # Without rows (a net rebuilt by ``load``) the length is unused.
            max_epochs=self._n_epochs(n_samples or 1),
            # fit only: a pass of partial_fit is over the chunk it is given.
            rows_per_epoch=self._rows_per_epoch(n_samples) if holdout and n_samples else None,
            batch_size=batch_size,
            train_split=HoldOutSplit(self.validation_fraction) if use_holdout else None,
            callbacks=callbacks,
            verbose=int(bool(self.verbose)),
            **placement,
        )
        # What partial_fit compares with, to rebuild the callbacks if set since.
        net.skae_callbacks_from = self._callbacks_source()
        return net

    def _early_stopping_on(self, n_samples: int | None, n_features: int | None = None) -> bool:
        """``early_stopping``, with ``"auto"`` resolved for ``n_samples``
        training rows (None: a net rebuilt by ``load``, which trains on only
        if refitted, when the rows are known; see
        :func:`~skae._sizing.auto_early_stopping`)."""
        if self.early_stopping != "auto":
            return bool(self.early_stopping)
        if n_samples is None:
            return True
        if n_features is None:
            # The network's inputs, as its auto widths count them: 30
            # categorical columns of 10 categories make a (256, 128) network,
            # held out as wide (it counted 30 columns; a review).
            n_features = self._n_inputs()
        return auto_early_stopping(
            n_samples, n_features, self.validation_fraction, self._auto_early_stopping_features
        )

    def _training_callbacks(self, holdout: bool) -> list:
        """The net's callbacks: early stopping on the held-out rows (with
        ``holdout``), the progress that ``verbose`` asks for, the kind's own
        and the user's ``callbacks``."""
        callbacks: list = []
        # The progress first: the epoch at which early stopping ends the fit
        # has its time left and its bar closed too.
        if self.verbose:
            callbacks.append(("time_left", TimeLeft()))
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        if holdout:
            callbacks.append(
                (
                    "early_stopping",
                    HoldOutEarlyStopping(
                        monitor="valid_loss",
                        patience=self.patience,
                        load_best=True,
                        plateau=self._early_stopping_plateau(),
                    ),
                )
            )
        callbacks.extend(self._make_callbacks())
        users = _checked_callbacks(self.callbacks, validated=holdout)
        # skorch's message for a clash said the user had set the name twice.
        own = {name for name, _ in callbacks} | set(_NET_CALLBACKS) | set(_OPTIONAL_CALLBACKS)
        for entry in users:
            if isinstance(entry, tuple) and entry[0] in own:
                raise ValueError(
                    f"callbacks: the name {entry[0]!r} is taken by one of the training's own "
                    f"callbacks ({', '.join(sorted(own))}); give yours another name."
                )
        # Copies, so that fitting never changes the objects the user passed.
        callbacks.extend(copy.deepcopy(users))
        return callbacks

    def _criterion(self, n_features: int) -> torch.nn.Module:
        """The kind's criterion, with the categorical columns' cross-entropy
        beside it when there are any."""
        encoding = self._encoding()
        if encoding is None:
            return self._checked_criterion(n_features)
        numeric = self._checked_criterion(len(encoding.numeric_positions()))
        return MixedTypeLoss(
            numeric,
            encoding.blocks(),
            list(encoding.is_categorical),
            encoding.unseen_nats,
            self.mean_,
            self.scale_,
        )

    def _checked_module(self, n_features: int) -> AutoEncoderModule:
        """:meth:`_make_module`'s network, refused by name if it is not an
        ``AutoEncoderModule`` (whose input side the estimator sets), with
        its input side sized to ``n_features``."""
        module = self._make_module(n_features)
        if not isinstance(module, AutoEncoderModule):
            raise TypeError(
                f"{type(self).__name__}._make_module must return a "
                "skae._architectures.AutoEncoderModule (an encoder, a latent "
                "component and a decoder; see BaseAutoEncoder's Notes); got "
                f"{type(module).__name__}."
            )
        # n_features is optional to the module, never to its buffers.
        module.size_input(n_features)
        return module

    def _checked_criterion(self, n_features: int) -> PerFeatureLoss:
        """:meth:`_make_criterion`'s loss, refused by name if it is not a
        :class:`~skae._reconstruction.PerFeatureLoss` (scoring, missing
        entries and the decoder need its per-entry terms)."""
        criterion = self._make_criterion(n_features)
        if not isinstance(criterion, PerFeatureLoss):
            raise TypeError(
                f"{type(self).__name__}._make_criterion must return a "
                "skae._reconstruction.PerFeatureLoss (defining per_feature and "
                f"reconstruct); got {type(criterion).__name__}."
            )
        return criterion

    def _column_log_scale(self) -> np.ndarray:
        """Per input column, the log of its standardisation's scale (0 for a
        categorical column): the change of units of a density."""
        encoding = self._encoding()
        if encoding is None:
            return np.log(self.scale_)
        log_scale = np.zeros(self.n_features_in_)
        log_scale[~encoding.is_categorical] = np.log(self.scale_[encoding.numeric_positions()])
        return log_scale

    def _fit_detector_and_density(
        self,
        x: torch.Tensor,
        seed: int,
        *,
        whole: bool = True,
        held_out=None,
        bounded: bool = False,
        screened=None,
    ) -> None:
        """Fit ``offset_`` and what the scores need on the training rows ``x``;
        with ``whole``, also the density :meth:`sample` draws from and the
        calibration of rows with missing entries (else kept). ``held_out``:
        the rows early stopping held out, on which ``contamination="auto"``
        places ``offset_``. ``bounded``: see :meth:`_fit_scoring`.
        ``screened``: the rows ``tail_screen`` left out of training, whose
        scores ``offset_`` is drawn on with the others'."""
        # The statistics of a few rows (a small chunk's partial_fit) are
        # small operations all through, on the codes as in the passes: one
        # thread, as _apply gives such a pass.
        rows = min(len(x), INFERENCE_BATCH_SIZE)
        with step_threads(self.net_.module_, rows, self.device_):
            self._fit_statistics(x, seed, whole, held_out, bounded, screened)

    def _fit_statistics(
        self,
        x: torch.Tensor,
        seed: int,
        whole: bool,
        held_out=None,
        bounded: bool = False,
        screened=None,
    ) -> None:
        if self.verbose:
            # After the last epoch's line: a pass over every training row,
            # which on a large table takes a while of its own.
            # Through the accelerator's print: once, by the main process.
            sink = print if self.accelerator is None else self.accelerator.print
            sink(f"Scoring the {len(x):,} training rows (offset_, code density)...", flush=True)
        scores = self._fit_scoring(x, seed, density=whole, bounded=bounded)
        if scores is None:
            scores = self._apply(x, self._checked_score, dtype=np.float64)[:, 0]
        if whole:
            self._fit_missing_calibration(x, seed)
        scores, _ = self._calibrated(x, scores)
        unseen = self._rows_with_unseen_categories(x)
        if unseen is not None and unseen.any() and hasattr(self, "offset_"):
            # A category unseen at the first fit (in partial_fit or a warm
            # start) scores as unusual by design, about -(n_samples + 1) per
            # entry: with 30% of a chunk holding one, the fence fell among
            # them (offset_ -5.2 to -1.6e8) and predict flagged nothing, 50
            # standard deviations out included (a probe). The threshold is
            # placed on the other rows, as their error scales are; with none
            # (every row of the chunk holds one), the last threshold stays:
            # drawn on those rows, it fell from -3.4 to -105 and rows 15
            # standard deviations out were no longer flagged (a mutation
            # audit).
            scores = scores[~unseen]
        if screened is not None:
            # The threshold is drawn on every training row's score, the rows
            # the screen left out of training included (they are most of the
            # outliers it exists for): a float contamination flags that share
            # of the rows fit was given, and "auto" is Tukey's fence on their
            # scores, as without the screen.
            # (Each has an observed entry: its term is above the level.)
            raw = self._apply(screened, self._checked_score, dtype=np.float64)[:, 0]
            calibrated, _ = self._calibrated(screened, raw)
            unseen = self._rows_with_unseen_categories(screened)
            if unseen is not None:
                # As for the rows trained on (above): such a row's score is
                # far out by design, and would move the fence among them.
                calibrated = calibrated[~unseen]
            scores = np.concatenate([scores, calibrated])
        if len(scores) == 0:
            return
        q1, q3 = np.percentile(scores, [25.0, 75.0])
        if self.contamination == "auto":
            threshold = float(q1 - AUTO_FENCE * (q3 - q1))
        else:
            threshold = float(np.percentile(scores, 100.0 * self.contamination))
        if held_out is not None and self.contamination == "auto":
            # Rows the network did not train on score as new rows will. On
            # a small, wide table the training rows are learned so much
            # better that a fence on their scores flagged most new normal
            # rows (the variational kind: 63% of held-out digit-0 images of
            # MNIST, 95% of 400 rows of 768 features).
            raw = self._apply(held_out, self._checked_score, dtype=np.float64)[:, 0]
            calibrated, counts = self._calibrated(held_out, raw)
            keep = np.ones(len(calibrated), dtype=bool)
            if counts is not None:
                keep &= counts > 0  # no observed value: no score
            unseen = self._rows_with_unseen_categories(held_out)
            if unseen is not None:
                # As for the training rows: far out by design (a warm start on
                # 30% rows of a new category drew this fence at -36 where the
                # training rows' was -4, and flagged 0.2% of rows shifted 1.5
                # standard deviations; a probe).
                keep &= ~unseen
            calibrated = calibrated[keep]
            if len(calibrated) >= MIN_VALIDATION_ROWS:
                h1, h3 = np.percentile(calibrated, [25.0, 75.0])
                held_out_fence = float(h1 - AUTO_FENCE * (h3 - h1))
                # The lower of the two fences: the held-out rows' guards
                # against the training rows' that overfitting lifts; the
                # training rows' (drawn on ten times the rows) against a
                # held-out one that chance lifts: quartiles of 20 to 40
                # scores let a variational model on 300 rows flag 1% to
                # 15% of new normal rows as the seed went.
                if held_out_fence < threshold:
                    threshold, q1, q3 = held_out_fence, h1, h3
        # Just below the threshold: a row whose score ties it (binary or
        # duplicated data, or identical training scores) is an inlier, as
        # IsolationForest's strict "<" makes it, whatever the float32 rounding
        # of the batch it is scored in (about 1e-7 relative) does to its score.
        self.offset_ = threshold - TIE_TOLERANCE * (abs(threshold) + (q3 - q1))
        if not math.isfinite(self.offset_):
            # A step that blew the network up without a non-finite loss (one
            # step of lr=1e7 on 30 rows, the variational kind): every score
            # -inf, offset_ NaN, and predict flagged nothing (a probe).
            # partial_fit caps each row's errors, so data too large for float32
            # in their own units end here, not in the error scales.
            units = self._own_units_advice()
            raise FloatingPointError(
                "Training diverged: the outlier scores of the training rows are not finite "
                f"(offset_ would be {self.offset_}). {units + ' Or t' if units else 'T'}ry a "
                f"lower learning rate than lr={self.net_.lr}."
            )

    def _rows_with_unseen_categories(self, x) -> np.ndarray | None:
        """Which of the (scaled) rows ``x`` hold a category unseen at the
        first fit; None without categorical columns."""
        if self._encoding() is None:
            return None
        criterion = self.net_.criterion_

        def flags(module: torch.nn.Module, xb: torch.Tensor) -> torch.Tensor:
            unseen = criterion.column_unseen(xb)
            if unseen is None:
                return torch.zeros((len(xb), 1), dtype=torch.float64, device=xb.device)
            return unseen.any(dim=1, keepdim=True).double()

        return self._apply(x, flags, dtype=np.float64, draws=False)[:, 0] > 0

    def _calibrated(self, x, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The raw scores of the (scaled) rows ``x`` mapped by their number of
        observed entries (:mod:`skae._calibration`), and those numbers (None
        when every row is complete)."""
        if not has_missing(x):
            last = len(self.missing_shift_) - 1  # every row complete
            return self.missing_shift_[last] + self.missing_scale_[last] * scores, None
        # A pass for the counts only where they vary (a large table read
        # from disk would be read once more).

        def table(_, rows: torch.Tensor) -> torch.Tensor:
            shift, scale = self._row_calibration(rows)
            counts = (~self.net_.criterion_.column_missing(rows)).sum(dim=1)
            return torch.stack([shift, scale, counts.double()], dim=1)

        shift, scale, counts = self._apply(x, table, dtype=np.float64, draws=False).T
        return shift + scale * scores, counts.astype(int)

    # ------------------------------------------------------------------
    # Scaling
    # ------------------------------------------------------------------
    # ------------------------------------------------------------------
    # Inference
    # ------------------------------------------------------------------
    def _apply(
        self,
        x,
        fn,
        *,
        scale_input: bool = False,
        dtype=np.float32,
        on_device: bool = False,
        overflow: bool = False,
        draws: bool = True,
    ) -> np.ndarray | torch.Tensor:
        """Run ``fn(module, batch)`` over ``x`` in batches, in eval mode.

        ``x`` is a torch tensor (already scaled) or a numpy array (scaled per
        batch when ``scale_input``; with ``overflow``, a value too large for
        float32 once scaled is infinite, else refused). Only one batch of
        activations is alive at a time; the results land in one preallocated
        numpy array of ``dtype``, or, with ``on_device``, in one tensor on
        the model's device (no host round trip per batch). Without
        ``draws``, ``fn`` runs one code per row (encoding, decoding, counts),
        not the kind's scoring draws (:meth:`_scoring_rows`).
        """
        module = self.net_.module_
        module.eval()
        # A kind's loss may weigh entries otherwise in training, and a call
        # that raised mid-epoch left it in training mode (a probe).
        self.net_.criterion_.eval()
        out = None
        step = self._inference_rows()
        if draws:
            step = self._scoring_rows(step)
        # A few rows (a partial_fit chunk's statistics, one row to predict)
        # are too few to split over threads, as a small training step is.
        rows = min(len(x), step)
        with torch.inference_mode(), step_threads(module, rows, self.device_):
            for start in range(0, len(x), step):
                batch = x[start : start + step]
                if scale_input:
                    batch = self._scaled_tensor(batch, self.device_, overflow=overflow)
                elif isinstance(batch, np.ndarray):
                    batch = as_tensor(batch, self.device_)
                result = fn(module, batch).reshape(len(batch), -1)
                if not on_device:
                    result = result.cpu().numpy()
                if out is None:
                    shape = (len(x), result.shape[1])
                    out = (
                        torch.empty(shape, dtype=result.dtype, device=result.device)
                        if on_device
                        else np.empty(shape, dtype=dtype)
                    )
                out[start : start + len(batch)] = result
        if out is None:
            raise ValueError("Found array with 0 sample(s) while a minimum of 1 is required.")
        return out

    def _scoring_rows(self, rows: int) -> int:
        """Rows per batch of a scoring pass of :meth:`_apply`, where a pass
        of one code per row takes ``rows``: a kind that decodes many codes
        per row to score it (the variational kind's importance draws) scores
        fewer at a time."""
        return rows

    def _inference_rows(self) -> int:
        """Rows per batch of :meth:`_apply`: as many as scikit-learn's
        ``working_memory`` holds the activations of, from 1 to
        ``INFERENCE_BATCH_SIZE`` (scoring passes: :meth:`_scoring_rows`).

        4,096 rows whatever the width held 328 MB per float32 copy of a
        batch at 20,000 features, and a score holds several at once; a
        convolutional network holds its channels' maps besides. A kind whose
        own layers hold more than :func:`_activation_floats` reads off them
        overrides this."""
        floats = _activation_floats(self.net_.module_, len(self.mean_))
        rows = get_config()["working_memory"] * 2**20 / (4 * floats)
        if not rows < INFERENCE_BATCH_SIZE:  # inf (no limit) or NaN included
            return INFERENCE_BATCH_SIZE
        return max(1, int(rows))

    def _checked_score(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """A kind's own :meth:`_score_samples_scaled` on the training rows,
        refused unless one number per row: a ``(n, d)`` result set ``offset_``
        from its first column, and scoring failed later with torch's error."""
        return _one_per_row(self._score_samples_scaled(module, x), x, self, "_score_samples_scaled")

    def _log_likelihood_checked(self, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """:meth:`_log_likelihood_scaled`, -inf for a row with an entry of
        likelihood 0 (:meth:`_outside_unit_interval`)."""
        log_likelihood = _one_per_row(
            self._log_likelihood_scaled(module, x), x, self, "_log_likelihood_scaled"
        )
        outside = self._outside_unit_interval(x)
        if outside is None:
            return log_likelihood
        return torch.where(outside.any(dim=1), -math.inf, log_likelihood)

    def _profiled_log_likelihood(self, terms: np.ndarray, unit: float) -> np.ndarray:
        """Each row's log-likelihood under :meth:`score`'s Gaussian, at the
        larger of the training variance and the mean squared error of the
        observed numeric entries of all the ``terms``' rows (squares in
        units of ``unit``)."""
        log_variance = self._log_noise_variance
        squares, observed = terms[:, 0], terms[:, 1]
        with np.errstate(over="ignore", invalid="ignore"):
            total = float(np.sum(squares))
        n_observed = float(np.sum(observed))
        if n_observed > 0 and total > 0 and math.isfinite(total):
            log_variance = max(log_variance, math.log(total / n_observed) + 2.0 * math.log(unit))
        with np.errstate(over="ignore", invalid="ignore"):
            log_likelihood = _gaussian_log_likelihood(terms, log_variance, unit)
        # A NaN is an overflow inside the network; an entry outside [0, 1]
        # has likelihood 0 under the binary cross-entropy.
        return np.where(np.isnan(log_likelihood) | (terms[:, 3] > 0), -np.inf, log_likelihood)

    @reading
    def transform(self, X) -> np.ndarray:
        """Encode ``X`` into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the dtype of ``X`` (float32 or float64).
        """
        X = self._check_input(X, blocks=True)

        def encode(module: torch.nn.Module, xb: torch.Tensor) -> torch.Tensor:
            return module.encode(xb)

        encoded = self._apply(X, encode, scale_input=True, dtype=X.dtype, draws=False)
        return _finite(encoded, "transform")

    @reading
    def inverse_transform(self, X) -> np.ndarray:
        """Decode codes back to the input space, in the original units.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`. A missing code (NaN) is
            filled with the training codes' mean (``code_mean_``; the
            prior's, 0, for the variational kind), as a missing input is
            filled with its feature's mean.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features), or DataFrame
            The reconstructions, in the units of the training data. A model
            with categorical columns returns a DataFrame with the input's
            columns (string or integer labels; an array's, or other labels such as
            a MultiIndex, are numbered 0, 1, ...), each column in its dtype:
            categories as categories, numbers in their own dtype (integer
            columns rounded, within the dtype's range; a pyarrow decimal
            column rounded to its digits, within its precision; an object
            column of numbers, or a bool column that ``categorical_features``
            leaves numeric, as float64: its reconstructions, near 0 and 1,
            are not rounded).
        """
        check_is_fitted(self)
        Z = self._check_codes(X)
        # Codes from transform's pandas output keep their rows' index.
        index = X.index if hasattr(X, "iloc") else None
        if self._encoding() is not None:  # a DataFrame: categorical columns
            return self._decode(Z, "inverse_transform", index=index)
        if Z.dtype == np.float64:
            return self._decoded_units(Z, "inverse_transform")
        # float32 codes: decoded in float64 a block at a time, into the
        # float32 result (whole, the float64 reconstructions and their copy
        # held three times the result's memory at once).
        decoded = np.empty((len(Z), self.n_features_in_), dtype=Z.dtype)
        limit = np.finfo(Z.dtype).max
        for start in range(0, len(Z), INFERENCE_BATCH_SIZE):
            rows = slice(start, start + INFERENCE_BATCH_SIZE)
            block = self._decoded_units(Z[rows], "inverse_transform")
            if block.max(initial=0.0) > limit or block.min(initial=0.0) < -limit:
                raise ValueError(
                    f"The reconstructions, in the units of the training data, do not fit in "
                    f"{Z.dtype}, the dtype of the codes: pass float64 codes."
                )
            decoded[rows] = block
        return decoded

    def _check_codes(self, Z) -> np.ndarray:
        # Dates read as numbers were nanosecond counts, decoded as codes.
        check_no_temporal_columns(Z, None)
        Z = check_array(
            Z, dtype=[np.float64, np.float32], input_name="X", ensure_all_finite="allow-nan"
        )
        if Z.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}.inverse_transform "
                f"is expecting {self.n_components_} features (n_components_) as input."
            )
        missing = np.isnan(Z)
        if missing.any():
            Z = np.where(missing, self._missing_code_fill().astype(Z.dtype), Z)
        if np.abs(Z).max() > np.finfo(np.float32).max:
            raise ValueError("X contains codes too large for float32, the network's precision.")
        return Z

    def _missing_code_fill(self) -> np.ndarray:
        """What a missing code (NaN) is decoded as: the training codes' mean
        (the prior's, 0, for the variational kind), as a missing input is
        its feature's mean."""
        return getattr(self, "code_mean_", np.zeros(self.n_components_))

    def _decode(self, Z: np.ndarray, method: str, index=None, random_state=None) -> np.ndarray:
        encoding = self._encoding()
        if encoding is None:
            return self._decoded_units(Z, method)
        columns = getattr(self, "feature_names_in_", None)
        if columns is None:
            columns = getattr(self, "_column_labels", range(self.n_features_in_))
        # A block of rows at a time, into arrays made once: the decoded layout
        # holds a probability per category (100,000 rows of 5 columns of 255
        # categories: 1 GB), the frame one label per column.
        numbers = np.empty((len(Z), len(encoding.numeric_positions())))
        chosen = np.empty((len(Z), len(encoding.categories)), dtype=np.intp)
        for start in range(0, len(Z), INFERENCE_BATCH_SIZE):
            rows = slice(start, start + INFERENCE_BATCH_SIZE)
            decoded = self._decoded_units(Z[rows], method)
            numbers[rows], chosen[rows] = encoding.choose(decoded, random_state)
        return encoding.frame(numbers, chosen, list(columns), index)

    def _decoded_units(self, Z: np.ndarray, method: str) -> np.ndarray:
        """The decoder's reconstructions of codes ``Z`` in the encoded layout,
        in the units of ``X`` (category probabilities as they are)."""
        criterion = self.net_.criterion_

        def decode(module: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
            return criterion.reconstruct({"x_hat": module.decode(z)})

        decoded = _finite(self._apply(Z, decode, dtype=np.float64, draws=False), method)
        # In place: 50,000 rows of 512 features are 200 MB a copy.
        scale, shift = self._output_map()
        decoded *= scale
        decoded += shift
        return decoded

    # ------------------------------------------------------------------
    # Outlier detection
    # ------------------------------------------------------------------
    @reading
    def score_samples(self, X) -> np.ndarray:
        """Normality score of each sample: the higher, the more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            For the deterministic kinds,

            .. math:: s(x) = \\frac{1}{k} \\log p(f(x))
                      - \\frac{1}{d} \\sum_{j=1}^{d} \\frac{\\ell_j(x)}{\\bar\\ell_j}

            where :math:`\\ell_j` is feature j's reconstruction loss,
            :math:`\\bar\\ell_j` its mean over the training data
            (``error_scale_``) and :math:`p` one Gaussian fitted to the
            training codes (``code_mean_``, ``code_covariance_``): a sample is
            abnormal when it reconstructs worse than training samples do, or
            when its code lies far from the training codes. One Gaussian, not
            the mixture of ``latent_density_``, so that a tight group of
            anomalies in the training data cannot claim a mixture component
            and a high density of its own. Each term is a mean per
            dimension, so neither swamps the other. The variational kind
            returns a log-likelihood instead. A sample so far outside the
            training data that the network's float32 arithmetic overflows,
            or with a value too large for float32 once standardised (which
            :meth:`fit` and :meth:`transform` refuse), scores ``-inf``: it
            is as abnormal as a sample can be. A sample
            with no observed value (every entry NaN, or NaN but in features
            the fit saw no value of, whose values are read as missing)
            scores ``offset_``, the threshold, with a warning: nothing tells
            either way. The score
            of a row with missing entries is made of means over its observed
            entries, then calibrated for their number (``missing_shift_``,
            ``missing_scale_``): fewer terms spread more, and one threshold
            flagged a third of normal rows missing 9 of 10 entries; and for
            which columns are missing (``missing_column_scale_``): a missing
            column tied to an observed one leaves it poorly reconstructed.
        """
        X = self._check_input(X, blocks=True)
        # A value too large for float32 once standardised (1e300 among
        # numbers near 1) is infinite there, and its row scores -inf: one
        # such row failed the whole batch, where IsolationForest flags it.
        scores = self._apply(
            X, self._scores_scaled, scale_input=True, dtype=np.float64, overflow=True
        )
        # The input is finite, so a NaN can only come from an overflow inside the
        # network (inf - inf): such a row is maximally abnormal, not unscorable.
        scores = np.where(np.isnan(scores[:, 0]), -np.inf, scores[:, 0])
        empty = self._rows_without_values(X)
        if empty is not None:
            scores[empty] = self.offset_
        return scores

    def _observed_columns(self) -> np.ndarray | None:
        """The network's inputs whose values count (booleans), or None for
        all: a column the scaling saw no value of reads every later value as
        missing (:meth:`_centre`)."""
        never = getattr(self, "_never_observed", None)
        return None if never is None or not never.any() else ~never

    def _rows_without_values(
        self,
        X: np.ndarray | EncodedRows,
        what: str = "they score offset_, the threshold between inliers and outliers",
        empty: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """The rows of (checked) ``X`` with no observed entry (``empty``
        when the caller has them), or None, with a warning that says
        ``what`` becomes of them.

        Their terms would sum over nothing, which would make them the most
        normal rows of all: with no evidence either way, they score
        ``offset_``, the threshold (inliers by a hair), and :meth:`score`
        leaves them out.
        """
        if empty is None:
            empty = empty_rows(X, self._observed_columns())
        if empty is None:
            return None
        warn_caller(
            f"{int(empty.sum())} row(s) of X have no observed value "
            f"({no_value(self._observed_columns())}): {what}."
        )
        return empty

    @reading
    def explain(self, X):
        """What made each sample score as it does: one term per input feature,
        and the code term, that add up to :meth:`score_samples`.

        The lower a feature's term, the more that feature made the sample
        look abnormal. The features share the part of the score they make
        (for the deterministic kinds minus the mean of their reconstruction
        losses, each divided by its mean on the training data; for
        :class:`VariationalAutoEncoder` the sum of their decoder
        log-likelihoods, each less that of a perfect reconstruction, in the
        standardised units) by blame: each feature's share is in proportion
        to how much that part rises when the feature alone is *repaired*,
        set to the value the model predicts for it from the other features
        (for a categorical column, the best scoring of its three most
        probable categories). One abnormal value moves the code, and the
        reconstructions of the other features move with it: a moved number
        can flip a category's prediction, and the category's loss was then
        often the largest of the row although the number was the value to
        blame. The numeric features repaired in a row are the 8 with the
        lowest terms of their own, and so are the categorical columns; for
        the others the gain of a repair is taken to be minus their own term,
        what setting them right would gain if the code did not move, so the
        number of passes does not grow with the number of columns: one pass
        of the network over the rows for the terms, up to two per repaired
        numeric feature and four per repaired categorical column, at most 49
        in all (each as wide as the encoded row), where :meth:`score_samples`
        makes one (a pass of the variational kind decodes the draws of its
        score, 8 or more). The repairs share as
        much of the part as they gain together; the rest keeps the
        proportions of the features' own terms, so a row that no repair
        makes more normal keeps them.

        The code term is the rest of the score: the codes' log-density for
        the deterministic kinds; for the variational kind, minus the KL
        divergence of the posterior from the prior (and, with
        ``n_importance_samples`` > 1, the importance weights' correction),
        the decoder likelihoods' normalisers (a perfect reconstruction's
        log-likelihood) and the change of units back to the data's, minus
        the sum of the logs of ``scale_``: in a feature's term these would
        make the feature in the largest units, or with the widest decoder
        variance, the lowest of every row, whatever the row holds.

        A row with missing entries is calibrated as :meth:`score_samples`
        calibrates it (``missing_shift_`` and ``missing_scale_`` of its
        number of observed entries): its terms are multiplied by the scale
        and the shift goes to the code term, so their order within the row is
        kept, but across rows of different counts the terms compare on the
        calibrated scale, and the code term is then not the codes'
        log-density alone.

        The terms are not measured from a typical row: the code term holds
        the log-density's normaliser (per code: about -1.4 for codes of unit
        spread, higher, even positive, where they spread less) and each
        feature's term its typical loss, so on a row that is only mildly
        unusual the lowest term is often the code's. To ask
        which entries are unusual *for this row*, subtract each term's median
        over the training rows, ``explain(X) - explain(X_train).median()``
        with pandas: on tables with a legitimate rare flag (true in 5% or
        10% of the rows), the flagged rows holding it were named for the flag
        by 80-97% of them so, against 9-40% by the terms as returned (four
        tables, ``benchmarks/doc_figures.py``, section 9).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to explain.

        Returns
        -------
        contributions : ndarray of shape (n_samples, n_features + 1), or DataFrame
            Row ``i`` adds up to ``score_samples(X)[i]``; the last column is the
            code term. With a pandas DataFrame ``X``, a DataFrame with ``X``'s
            index and columns, and ``"code"`` last (``"code_"`` if ``X`` has a
            column named ``"code"``, ``"code__"`` if it has ``"code_"`` too, and
            so on: ``result.iloc[:, -1]`` is always the code term).

        Examples
        --------
        >>> import numpy as np
        >>> from skae import AutoEncoder
        >>> X = np.random.RandomState(0).normal(size=(300, 4))
        >>> ae = AutoEncoder(random_state=0).fit(X)
        >>> odd = X[:1].copy()
        >>> odd[0, 2] = 8.0
        >>> int(np.argmin(ae.explain(odd)[0, :-1]))
        2
        """
        X = as_pandas(X)
        frame = X if hasattr(X, "columns") else None
        X = self._check_input(X, blocks=True)
        terms_by = _defined_by(type(self), "_feature_terms_scaled")
        score_by = _defined_by(type(self), "_score_samples_scaled")
        if terms_by is not score_by:
            # Terms of another score would not add up to this one.
            overridden, other = (
                ("_score_samples_scaled", "_feature_terms_scaled")
                if issubclass(score_by, terms_by)
                else ("_feature_terms_scaled", "_score_samples_scaled")
            )
            raise NotImplementedError(
                f"{type(self).__name__} overrides {overridden} but not {other}: the "
                "terms explain shares out must add up to the score; override both."
            )
        if isinstance(X, EncodedRows):
            step = INFERENCE_BATCH_SIZE
            terms = np.concatenate(
                [self._explained_rows(X[start : start + step]) for start in range(0, len(X), step)]
            )
        else:
            terms = self._explained_rows(X)
        # A missing entry's term is a negated 0: read as 0, not -0.0.
        terms += 0.0
        empty = self._rows_without_values(X)
        if empty is not None:
            # No feature contributes; the score (offset_) is the last entry's.
            terms[empty] = 0.0
            terms[empty, -1] = self.offset_
        if frame is None:
            return terms
        import pandas as pd

        # "code", or "code_" and so on if X has a column of that name.
        code = "code"
        while code in set(frame.columns):
            code += "_"
        return pd.DataFrame(terms, index=frame.index, columns=[*frame.columns, code])

    def _explained_rows(self, X: np.ndarray) -> np.ndarray:
        """:meth:`explain`'s terms of the rows of checked ``X``, before rows
        with no observed entry are set apart."""
        # In numpy: a read-only X (a memmap) would make torch warn.
        outside = self._outside_unit_interval(X)
        if outside is not None and outside.any():
            # Explained as the nearest values in [0, 1], and each entry
            # outside as a term of -inf, the score of its row. Only those
            # entries move (a row within rounding of [0, 1] is explained as
            # alone), values beyond float32's range too.
            X = np.where(outside, np.clip(X, 0.0, 1.0), X)
        else:
            outside = None
        terms = self._apply(
            X, self._contributions_scaled, scale_input=True, dtype=np.float64, overflow=True
        )
        if outside is not None:
            encoding = self._encoding()
            widths = [1] * self.n_features_in_ if encoding is None else encoding.widths
            column = np.repeat(np.arange(self.n_features_in_), widths)
            rows, entries = np.nonzero(outside)
            terms[rows, column[entries]] = -np.inf
        return terms

    @reading
    def score(self, X, y=None) -> float:
        """Mean log-likelihood of ``X``, in nats per sample: higher is better.

        Comparable across the deterministic kinds' models fitted to the same
        data (any ``n_components``, ``hidden_layer_sizes``, deterministic
        kind or training length), and across the variational kind's, so
        :class:`~sklearn.model_selection.GridSearchCV` needs no scorer. For
        the deterministic kinds it ranks models by how well they reconstruct
        unseen rows: more codes score higher as long as they reconstruct
        held-out data better (``PCA.score``, a density over the codes as
        well, charges each code and peaks near the data's dimension; the
        variational kind's bound does too).

        For the deterministic kinds, the observation model is a Gaussian
        around the reconstruction :math:`\\hat x`, isotropic in the units of
        ``X``, of variance :math:`\\sigma^2`:

        .. math:: \\log p(x) = -\\frac{\\lVert x - \\hat x \\rVert^2}{2 \\sigma^2}
                  - \\frac{d}{2} \\log (2 \\pi \\sigma^2)

        :math:`\\sigma^2` is the larger of the mean squared error of the
        training reconstructions (``noise_variance_``) and that of the rows
        scored (over their observed entries), the maximum-likelihood
        variance no smaller than the training one: a model is never more
        confident about new rows than about its training rows, and where
        the new rows' error is the larger, as it mostly is, the score is
        :math:`-\\frac{d}{2}(1 + \\log 2 \\pi m)` for their mean squared
        error :math:`m`, so a model that reconstructs them better scores
        higher, however well it fits its training rows. At the training
        variance alone, a long fit's training error far below its held-out
        error cost it more than a better reconstruction gained: on 90 rows
        of rank 3, a search with no scorer picked 1 epoch (held-out error
        2.41, worse than the column means) over 200 (0.046). So ``score`` of
        a batch is not the mean of a score of each row; nor is it the mean
        of :meth:`score_samples`, whose normalised errors and code term rank
        the samples of one model but are on a different scale in every
        model. The internal ``scaling`` is how the network is trained, not
        part of this model: as with :class:`~sklearn.decomposition.PCA`,
        features in mixed units weigh by their variance, so standardise
        them in a :class:`~sklearn.pipeline.Pipeline` for a score in which
        each counts alike. It is the likelihood of :math:`x` given its own
        code, not a density marginal over the codes (it can exceed what any
        density of the data reaches): compare it across skae's
        deterministic models, not with ``PCA.score`` or the variational
        kind's. Categorical columns add the log-probability of each
        observed category. With ``loss="binary_crossentropy"``, a value
        outside [0, 1] has likelihood 0 (see ``loss``): a batch holding one
        scores ``-inf``, whatever the kind.

        The variational kind returns its bound on the log-likelihood, in the
        same units: the mean of :meth:`score_samples` on complete rows of a
        model fitted on complete rows (with more than 4 codes, its ELBO's
        expectation is taken on 2k points of every axis where
        :meth:`score_samples` takes 8: see ``n_importance_samples``); on
        rows with missing entries, the
        likelihood of the observed entries as it is (``score_samples`` adds
        the missing columns' typical terms and calibrates it for the number
        observed, to rank
        rows; so does it for complete rows of a model fitted on incomplete
        ones). A row whose value overflows the float32 network once scaled
        (1e30 on a table of unit scale) has likelihood 0 there, as its
        :meth:`score_samples` is ``-inf``: a batch holding one scores
        ``-inf``, where the deterministic kinds' Gaussian on the error stays
        finite.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            The mean log-likelihood, in nats per sample.
        """
        X = self._check_input(X, blocks=True)
        # A kind's own log-likelihood, or the deterministic kinds' Gaussian.
        profiled = not hasattr(self, "_log_likelihood_scaled")
        if profiled:
            factors = self._likelihood_factors()
            hook = functools.partial(self._likelihood_terms, factors=factors)
        else:
            hook = self._log_likelihood_checked
        empty = empty_rows(X, self._observed_columns())
        if empty is not None and empty.all():
            # Refused before the warning that they are left out of the mean
            # (both came, a probe).
            raise ValueError(f"X has no observed value: {no_value(self._observed_columns())}.")
        rows = self._apply(X, hook, scale_input=True, dtype=np.float64)
        if empty is not None:
            self._rows_without_values(X, "they are left out of the mean", empty=empty)
            rows = rows[~empty]
        if profiled:
            return float(np.mean(self._profiled_log_likelihood(rows, factors[2])))
        # As in score_samples: a NaN is an overflow inside the network.
        log_likelihood = rows[:, 0]
        return float(np.mean(np.where(np.isnan(log_likelihood), -np.inf, log_likelihood)))

    @reading
    def decision_function(self, X) -> np.ndarray:
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Shifted scores; below zero means outlier.
        """
        return self.score_samples(X) - self.offset_

    @reading
    def predict(self, X) -> np.ndarray:
        """Label each sample as inlier (+1) or outlier (-1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 for inliers, -1 for outliers.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    # ------------------------------------------------------------------
    # Sampling
    # ------------------------------------------------------------------
    @reading
    def sample(self, n_samples: int = 1, random_state=None) -> np.ndarray:
        """Generate new samples that look like the training data.

        Codes are drawn from the model's code density and decoded: for the
        deterministic kinds ``latent_density_``, a Gaussian mixture fitted to
        the training codes; for :class:`VariationalAutoEncoder` its prior
        N(0, I). The numbers are the decoder's mean; the category of each
        categorical column is drawn from the decoder's probabilities (where
        :meth:`inverse_transform` gives the most probable one), so that a
        category the codes do not determine comes out as often as in the
        training data, not never.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws. None draws from numpy's global random state
            (and advances it), as ``random_state=None`` does throughout
            scikit-learn (``sklearn.utils.check_random_state``); the
            estimator's own ``random_state`` seeds training only.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), or DataFrame
            Generated samples, in the units of the training data: float64,
            whatever the training data's dtype (as
            ``GaussianMixture.sample``; the model does not
            keep an array's dtype); a DataFrame for a model with categorical
            columns, each column in its dtype, as :meth:`inverse_transform`.
        """
        check_is_fitted(self)
        if (
            not isinstance(n_samples, Integral | np.integer)
            or isinstance(n_samples, bool | np.bool_)  # as layer widths: True is no count
            or n_samples < 1
        ):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        rng = check_random_state(random_state)
        codes = self._sample_codes(int(n_samples), rng).astype(np.float32)
        return self._decode(codes, "sample", random_state=rng)

    # ------------------------------------------------------------------
    # scikit-learn plumbing
    # ------------------------------------------------------------------
    @reading
    def save(self, path: str | os.PathLike) -> None:
        """Save the fitted estimator to ``path`` without pickle.

        The file holds the hyper-parameters and fitted scalars as JSON and
        every array and weight as tensors; :func:`skae.load` reads it back
        without running code from the file. Callbacks are not saved, nor is a
        ``RandomState`` instance given as ``random_state`` (the loaded model has
        None; the fitted weights do not depend on it), each with a warning. Pickle
        and joblib work too, but loading a pickle can run arbitrary code.
        The file is written beside ``path`` and renamed into place, so a
        failed save leaves any previous file at ``path`` whole; a symbolic
        link at ``path`` is followed, and a path that exists but is not a
        regular file (a device, a pipe) is refused.

        The network is rebuilt from the parameters the file stores, so those
        it is built from (``n_components``, ``hidden_layer_sizes``,
        ``activation``, ``architecture``, ``image_shape``, ``scaling``,
        ``categorical_features``, ``loss``; ``sparsity`` for
        :class:`SparseAutoEncoder`) must be what they were at the fit; a
        change made with ``set_params`` since is refused.

        Parameters
        ----------
        path : str, bytes or path-like
            Where to write the file (conventionally ``*.skae``).

        Raises
        ------
        ValueError
            If a parameter the network is built from has changed since the
            fit, or ``path`` is a device, a pipe or another file that is not
            a regular one.
        IsADirectoryError
            If ``path`` is a folder.
        TypeError
            If a parameter or a fitted value is not one the file can store
            as JSON or as an array: categories that are intervals
            (``pandas.cut``) or timestamps, say. Convert such a column
            (``.astype(str)``) before the fit to save the model.
        """
        from ._persistence import save

        save(self, path)

    def __getstate__(self) -> dict:
        # Under the lock, as save and the predictions: a pickle (or deepcopy)
        # taken while another thread fitted held the new fit's scaling with
        # the old or a half-trained network. Pickle walks the state after
        # this returns, and the state is the live attributes, so it is copied
        # while the lock is held (a probe: the old offset_ with a network
        # trained since): shallowly, as a fit rebinds the attributes, but for
        # the network, which training changes in place (NetSnapshot).
        with lock_of(self).read():
            # skorch maps net_'s tensors to the CPU when unpickled without a
            # GPU; a tensor of the estimator's own on a GPU would fail to
            # unpickle there, so any is stored from the CPU.
            state = {
                name: value.cpu() if isinstance(value, torch.Tensor) else value
                for name, value in super().__getstate__().items()
            }
            if "net_" in state:
                state["net_"] = NetSnapshot(state["net_"])
            return state

    def __setstate__(self, state: dict) -> None:
        if isinstance(state.get("net_"), NetSnapshot):
            # copy.copy passes __getstate__'s state on without pickling it.
            state = {**state, "net_": state["net_"].restore()}
        super().__setstate__(state)
        if "tail_screen" not in state:
            # Pickled before the parameter: it trained on every row.
            self.tail_screen = None
        if "net_" in state:
            # skorch maps a CUDA model to the CPU when unpickled without a GPU.
            self.device_ = torch.device(self.net_.device)
            self._complete_older_fit()

    def _complete_older_fit(self) -> None:
        """Set the fitted attributes that a model pickled or saved by an
        earlier version lacks, from what it has."""
        if not hasattr(self, "_network"):
            # Its parameters as stored are those its network was built from.
            self._network = self._network_parameters()
        if not hasattr(self, "n_components_"):
            # Fitted before n_components="auto": n_components was the number.
            self.n_components_ = self.n_components
        if not hasattr(self, "hidden_layer_sizes_"):
            # Fitted before "auto" widths counted the codes.
            sizes = self._hidden_layer_sizes(self.n_features_in_, count_codes=False)
            self.hidden_layer_sizes_ = tuple(sizes)
        if hasattr(self, "error_scale_") and not hasattr(self, "noise_variance_"):
            # Fitted before score's likelihood: the mean training loss per
            # standardised feature, in the original units (the training MSE
            # itself with squared_error, the loss's own mean otherwise).
            self._set_noise_variance(_log_noise_variance(self.error_scale_, self.scale_))
        if hasattr(self, "noise_variance_") and not hasattr(self, "_log_noise_variance"):
            # Saved before its log was kept. A variance that is no positive
            # number is left for the load's checks to refuse by name.
            with contextlib.suppress(TypeError, ValueError):
                self._log_noise_variance = math.log(self.noise_variance_)

    def _set_noise_variance(self, log_variance: float) -> None:
        """``noise_variance_``, and the log :meth:`score` uses, which stays
        finite where the variance itself underflows to 0 (tiny units)."""
        self._log_noise_variance = log_variance
        self.noise_variance_ = variance_from_log(log_variance)

    @property
    def _n_features_out(self) -> int:
        return self.n_components_

    def fit_predict(self, X, y=None, **kwargs) -> np.ndarray:
        """Fit to ``X`` and label its rows: +1 inlier, -1 outlier.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data (dense: a sparse matrix is refused, as by every
            method).
        y : Ignored
            Not used, present for API consistency by convention.
        **kwargs : dict
            Passed to :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            +1 for the inliers, -1 for the outliers, as :meth:`predict`.
        """
        return super().fit_predict(X, y, **kwargs)

    def __sklearn_is_fitted__(self) -> bool:
        # The threshold is the last thing a fit sets: a method called during
        # the first fit (from a callback) raises NotFittedError rather than
        # an AttributeError on whichever attribute is still missing.
        return "offset_" in vars(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        # Missing entries are filled by the network and left out of the loss.
        tags.input_tags.allow_nan = True
        # Categorical columns are one-hot encoded inside (categorical_features),
        # as HistGradientBoosting* take them, and like theirs the tag stays
        # False: it says the input IS integer-coded categories (OneHotEncoder,
        # CategoricalNB), and scikit-learn's checks then feed only rounded
        # non-negative integers, which would leave continuous data untested.
        tags.input_tags.categorical = False
        return tags
