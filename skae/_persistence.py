"""Saving and loading fitted estimators without pickle.

A model file is a zip archive of two members:

``skae.json``
    the format and package versions, the estimator's class name and
    hyper-parameters, its fitted scalars (``offset_``, ``n_iter_``, ...) and
    the training history;
``tensors.pt``
    every array: the network's and the criterion's weights, the optimiser's
    state (so ``partial_fit`` continues the training exactly), the scaling, and the fitted
    arrays of the code density. It is written with :func:`torch.save` and read
    with ``torch.load(weights_only=True)``, whose unpickler only rebuilds
    tensors and plain containers.

Loading therefore never runs code from the file: the class is looked up by
name among the kinds of :class:`~skae.BaseAutoEncoder` already imported
(skae's own by their names, others by module and name), and everything else
is JSON or tensors.
Callbacks are code, so they are not saved.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import secrets
import stat
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np
import torch
from sklearn.mixture import GaussianMixture
from skorch.history import History

from ._warnings import warn_caller

FORMAT = "skae-model"
#: Fitted arrays whose entries divide or multiply a score: positive.
POSITIVE_ARRAYS = {
    "scale_",
    "error_scale_",
    "missing_scale_",
    "missing_column_scale_",
    "density/weights_",
}
#: What ``load``'s ``device`` takes.
DEVICES = (None, "cpu", "cuda", "auto")
#: Bumped whenever a change makes older readers misread new files.
FORMAT_VERSION = 1
METADATA = "skae.json"
TENSORS = "tensors.pt"
#: The temporary file of a save is named after the target when its name has
#: at most this many bytes (file systems allow 255; the name grows by 14).
TEMPORARY_NAME_BYTES = 200
#: A member of a file is refused when it would expand past this many bytes
#: and this many times its compressed size: weights barely compress, so only
#: a file made to exhaust the memory (a "zip bomb") does that.
MAX_EXPANDED_BYTES, MAX_EXPANSION = 64 * 2**20, 100

#: Fitted attributes that are not plain arrays or scalars, saved their own way.
_SPECIAL = {"net_", "latent_density_", "device_"}
#: Private state saved too: the seeds that let training continue exactly, and
#: the container chosen with ``set_output``.
_PRIVATE_STATE = {
    "_never_observed",
    "_base_seed",
    "_n_training_calls",
    "_sklearn_output_config",
    "_categorical_kinds",
    "_numeric_kinds",
    "_unseen_nats",
    "_column_labels",
    "_column_label_text",
    "_network",
    "_statistics_rows",
    "_rows_since_density",
    "_log_noise_variance",
    "_held_out_rows",
    "_recent_screened",
    "_screened_share",
    "_recent_fit_rows",
    "_refill_missing",
}


def save(estimator: Any, path: str | os.PathLike, *, imputer: Any = None) -> None:
    """Write the fitted ``estimator`` to ``path`` (see the module docstring);
    with ``imputer``, the :class:`~skae.AutoEncoderImputer` it is the
    ``estimator_`` of, which :func:`load` then returns."""
    from sklearn.utils.validation import check_is_fitted

    from . import __version__

    path = os.fsdecode(os.fspath(path))
    check_is_fitted(estimator)
    # load refuses what the constraints refuse: never write such a file.
    estimator._validate_params()
    estimator._check_image_shape()
    estimator._check_same_network(estimator._network_parameters(), "save")
    tensors: dict[str, Any] = {}
    fitted: dict[str, Any] = {}
    for name, value in vars(estimator).items():
        if name in _SPECIAL or not (name.endswith("_") or name in _PRIVATE_STATE):
            continue
        if isinstance(value, np.ndarray) and value.dtype != object:
            tensors[f"array/{name}"] = torch.from_numpy(np.ascontiguousarray(value))
        else:
            fitted[name] = _to_json(value, name)

    net = estimator.net_
    tensors["module"] = {k: v.cpu() for k, v in net.module_.state_dict().items()}
    tensors["criterion"] = {k: v.cpu() for k, v in net.criterion_.state_dict().items()}
    tensors["optimizer"] = _to_cpu(net.optimizer_.state_dict())
    recent = getattr(estimator, "_recent_rows", None)
    if recent is not None:
        # The rows partial_fit refits the scores' statistics on, standardised.
        tensors["recent_rows"] = recent.detach().to("cpu", torch.float32)
    density = getattr(estimator, "latent_density_", None)
    if density is not None:
        for name, value in vars(density).items():
            if name.endswith("_") and isinstance(value, np.ndarray):
                tensors[f"density/{name}"] = torch.from_numpy(np.ascontiguousarray(value))
        fitted["latent_density_"] = {
            "params": {k: v for k, v in density.get_params().items() if k != "random_state"},
            "scalars": {
                k: _to_json(v, k)
                for k, v in vars(density).items()
                if k.endswith("_") and not isinstance(v, np.ndarray)
            },
        }

    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skae_version": __version__,
        "torch_version": torch.__version__,
        "class": _class_name(type(estimator)),
        "params": _params_as_json(estimator),
        "fitted": fitted,
        "history": _history_as_json(net.history),
        # The rate the net was built with: the optimiser's may differ, moved
        # by a schedule (kept at load), or lr may have been set since (which
        # the next partial_fit applies, as in memory).
        "net_lr": float(net.lr),
        # ... and the batch: batch_size="auto" resolves it for a fit's rows,
        # which a loaded model no longer has (it rebuilt the net at 64).
        "net_batch_size": int(net.batch_size),
    }
    if imputer is not None:
        metadata["imputer"] = _imputer_as_json(imputer)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    # Written beside the target, then renamed over it in one step: a failure
    # midway (a full disk, a crash) leaves the file that was there intact.
    # Through a symbolic link, the file it points to is the target, as open()
    # would write to it; the link stays.
    if path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        # As open() does: a name ending in a separator is a folder's.
        raise IsADirectoryError(f"Cannot save to {path}: it names a folder.")
    target = os.path.realpath(path)
    if os.path.islink(target):
        # What realpath leaves of a loop of links, where open() fails.
        raise OSError(errno.ELOOP, f"Cannot save to {path}: its symbolic links form a loop.")
    folder = os.path.dirname(target)
    # Named here: the temporary file's name would otherwise be the one reported.
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise NotADirectoryError(f"Cannot save to {path}: {folder} is not a folder.")
        raise FileNotFoundError(f"Cannot save to {path}: the folder {folder} does not exist.")
    if os.path.isdir(target):
        raise IsADirectoryError(f"Cannot save to {path}: it is a folder.")
    if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        # A device or a pipe would be replaced by the renamed file, not written to.
        raise ValueError(f"Cannot save to {path}: it exists and is not a regular file.")

    def write(file: BinaryIO) -> None:
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(METADATA, json.dumps(metadata, indent=1))
            archive.writestr(TENSORS, buffer.getvalue())

    replace_file(target, write)


def _read_only_file_system(path: str) -> bool:
    """Whether ``path`` lies on a file system mounted read-only (False where
    that cannot be told)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows), or not readable
        return False


def replace_file(target: str, write: Callable[[BinaryIO], None]) -> None:
    """Write a new file with ``write`` beside ``target``, then rename it over
    ``target`` in one step: a failure midway (a full disk, a crash) leaves the
    file that was there whole, and no partial file behind.

    A file the user may not write is refused as ``open()`` refuses it: the
    rename needs only the folder's permission, and replaced a read-only file
    (``chmod 444``), silently."""
    if os.path.exists(target) and not os.access(target, os.W_OK):
        if _read_only_file_system(target):
            # As open() says it: a file system mounted read-only, not the
            # file's permissions, which the user would otherwise go and check.
            raise OSError(errno.EROFS, "Cannot save: read-only file system", target)
        raise PermissionError(errno.EACCES, "Cannot save: permission denied", target)
    try:
        handle, temporary = _new_file_beside(target)
    except OSError as exc:
        if exc.errno is None:
            raise
        # Named after the target and its folder, not after a temporary file
        # the user never asked for (a missing folder, or one the system
        # refuses files in, such as /proc, named only the temporary file).
        folder = os.path.dirname(target) or os.curdir
        if isinstance(exc, PermissionError):
            reason = f"the folder {folder} is not writable"
        else:
            reason = f"no new file can be made in the folder {folder} ({exc.strerror})"
        raise type(exc)(
            exc.errno,
            f"Cannot save: {reason} (save writes a new file there and renames it over the target)",
            target,
        ) from exc
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if os.path.exists(target):  # the mode of the file it replaces
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def _new_file_beside(target: str) -> tuple[int, str]:
    """A new file in ``target``'s folder, open for writing: its descriptor and
    its name.

    Created with the mode a plain ``open()`` gives a new file (the process's
    umask applied by the system, not read by changing it, which would touch
    every thread's new files), and named after the target, unless that name
    would pass the file system's limit on a name's length."""
    folder, name = os.path.split(target)
    prefix = f".{name}." if len(os.fsencode(name)) <= TEMPORARY_NAME_BYTES else ".skae."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f"{prefix}{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"Cannot save beside {target}: no free temporary name.")


def load(path: str | os.PathLike, *, device: str | None = None) -> Any:
    """Load an estimator written by :meth:`~skae.AutoEncoder.save`.

    Loading never runs code from the file: the hyper-parameters and fitted
    scalars are JSON, the weights and arrays are tensors read with
    ``torch.load(weights_only=True)``, and the class is looked up by name
    among skae's estimators.

    Parameters
    ----------
    path : str or path-like
        The file.
    device : {"cpu", "cuda", "auto"}, default=None
        Where the loaded model computes; it becomes its ``device`` parameter.
        None keeps the saved ``device``, falling back to the CPU (with a
        warning) when that asks for a GPU this machine does not have.

    Returns
    -------
    estimator : BaseAutoEncoder or AutoEncoderImputer
        The fitted estimator, giving the same ``transform``,
        ``score_samples`` and ``predict`` output as the one saved (an
        imputer's file gives the imputer back).

    Raises
    ------
    ValueError
        If the file is not a skae model, is truncated or corrupted, or was
        written by an incompatible version of skae.

    See Also
    --------
    AutoEncoder.save : Write a fitted estimator to a file.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoEncoder, load
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.skae")
    >>> ae.save(path)
    >>> bool((load(path).transform(X) == ae.transform(X)).all())
    True
    """
    path = os.fsdecode(os.fspath(path))
    # The caller's argument, checked before the file is blamed for it.
    if device not in DEVICES:
        raise ValueError(
            f"device must be one of {sorted(d for d in DEVICES if d)} or None, got {device!r}."
        )
    if device is not None:
        from ._base import _resolve_device

        _resolve_device(device)  # "cuda" without a GPU: the same error as fit's
    metadata, tensors = _read(path)
    try:
        estimator = _build(metadata, tensors, path, device, imputed="imputer" in metadata)
        if "imputer" in metadata:
            return _rebuild_imputer(metadata["imputer"], estimator, path)
        return estimator
    except (
        KeyError,
        AttributeError,
        TypeError,
        IndexError,
        StopIteration,
        RuntimeError,  # torch's, for sizes it cannot build; RecursionError
        ArithmeticError,
    ) as exc:
        # A file whose parts have the wrong types, names or values: not a model.
        raise ValueError(f"{path} is not a well-formed skae model file: {exc!r}") from exc
    except ValueError as exc:
        # skae's own checks name the file; anything else came from a value the
        # file holds (a tuple of letters for the widths, say).
        if path in str(exc):
            raise
        raise ValueError(f"{path} is not a well-formed skae model file: {exc}") from exc


def _build(
    metadata: dict, tensors: dict, path: str | os.PathLike, device: str | None, *, imputed: bool
) -> Any:
    """The estimator ``metadata`` and ``tensors`` describe (see :func:`load`);
    ``imputed``: it is an imputer's, trained as :class:`~skae.AutoEncoderImputer`
    trains it."""
    cls = _estimator_class(metadata["class"], path)
    params = {k: _from_json(v) for k, v in metadata["params"].items()}
    if device is not None:
        params["device"] = device
    elif params.get("device") == "cuda" and not torch.cuda.is_available():
        warn_caller(
            f"{path} was saved with device='cuda', but torch sees no GPU here: loading on the CPU.",
        )
        params["device"] = "cpu"
    try:
        estimator = cls(**params)
        estimator._validate_params()
        # What fit checks beyond the constraints' types.
        estimator._check_image_shape()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path} holds parameters this version of skae rejects: {exc}") from exc
    if imputed:
        # Not a parameter, so not in the file: further training of the
        # loaded estimator (partial_fit) goes on as the imputer began it.
        estimator._refill_missing = False

    from ._base import _resolve_device

    fitted = dict(metadata["fitted"])
    density = fitted.pop("latent_density_", None)
    for name, value in fitted.items():
        setattr(estimator, _fitted_name(cls, name, path), _from_json(value))
    for key, value in tensors.items():
        if key.startswith("array/"):
            name = _fitted_name(cls, key.removeprefix("array/"), path)
            setattr(estimator, name, value.numpy())
    if density is not None:
        estimator.latent_density_ = _rebuild_mixture(density, tensors)
    estimator._complete_older_fit()
    _check_complete(estimator, path)
    _check_categorical(estimator, path)
    try:
        # An edited activation, loss or class would run the recorded weights
        # as another model, silently.
        estimator._check_same_network(estimator._network_parameters(), "load")
    except ValueError as exc:
        raise ValueError(f"{path} is not a well-formed skae model file: {exc}") from exc
    estimator.device_ = _resolve_device(estimator.device)
    _check_shapes(estimator, tensors["module"], path)
    _check_arrays(estimator, path)
    from ._base import _SeededTorch

    # Building the module draws random weights, soon overwritten: keep the
    # global generators as they were. A fit in another thread draws from the
    # same generator: this save and restore waits for it (else the restore
    # rewound that fit's draws, and it was no longer reproducible).
    with _SeededTorch._lock, torch.random.fork_rng(devices=[]):
        net = estimator._make_net(
            estimator._n_inputs(), estimator.device_, holdout=bool(estimator.early_stopping)
        )
        net.initialize()
    for part, module, stored in (
        ("network", net.module_, tensors["module"]),
        ("criterion", net.criterion_, tensors["criterion"]),
    ):
        # load_state_dict casts: complex weights lost their imaginary part
        # (torch's warning only), integer and half ones loaded rounded and
        # scored otherwise (a probe). A fit stores its modules' own dtypes.
        for name, value in module.state_dict().items():
            given = stored.get(name) if isinstance(stored, dict) else None
            if isinstance(given, torch.Tensor) and given.dtype != value.dtype:
                raise ValueError(
                    f"{path}: the {part}'s tensor {name!r} is stored as {given.dtype}; "
                    f"a fit stores {value.dtype}."
                )
    try:
        net.module_.load_state_dict(tensors["module"])
        net.criterion_.load_state_dict(tensors["criterion"])
        net.optimizer_.load_state_dict(tensors["optimizer"])
    except (KeyError, RuntimeError, ValueError) as exc:
        raise ValueError(f"{path}: the saved weights do not fit the model: {exc}") from exc
    for part, module in (("network", net.module_), ("criterion", net.criterion_)):
        # A NaN weight scored every row -inf and flagged it, without a word.
        # (A buffer may be infinite: the clipping range of a file older
        # than it is unbounded.)
        for name, value in module.named_parameters():
            if not torch.isfinite(value).all():
                raise ValueError(f"{path}: the {part}'s weight {name!r} holds NaN or inf.")
        for name, value in module.named_buffers():
            if value.is_floating_point() and torch.isnan(value).any():
                raise ValueError(f"{path}: the {part}'s buffer {name!r} holds NaN.")
            # What a fit gives (_scaling.input_gain, the standardised fill):
            # an infinite fill loaded and silently moved the scores of rows
            # with missing entries, a gain of 0 or less their predictions.
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "input_fill" and not torch.isfinite(value).all():
                raise ValueError(f"{path}: the {part}'s buffer {name!r} holds inf.")
            if leaf == "input_gain" and not ((value > 0) & (value <= 1)).all():
                raise ValueError(
                    f"{path}: the {part}'s buffer {name!r} holds values outside (0, 1]."
                )
    _check_optimizer(net.optimizer_, path)
    # The optimiser's state holds the rate it last trained with, which a
    # schedule may have moved: kept, unless ``lr`` was set after the fit (or
    # the file is older than "net_lr"); ``lr`` and ``weight_decay`` set
    # before the save apply to the next partial_fit, as they would in memory.
    saved_rate = metadata.get("net_lr")
    if saved_rate is not None and not (
        isinstance(saved_rate, float) and math.isfinite(saved_rate) and saved_rate > 0
    ):
        # No fit trains at such a rate ("abc" was replaced by 0.001, and -1
        # became net_.lr while the optimiser kept its own).
        raise ValueError(f"{path}: net_lr must be a positive number, got {saved_rate!r}.")
    keep_rate = saved_rate == estimator.lr
    if isinstance(estimator.lr, str) and isinstance(saved_rate, float):
        # lr="auto" is resolved for each call's batch: the saved rate stands,
        # as in memory, until a partial_fit's batch asks for another.
        net.lr, keep_rate = saved_rate, True
    saved_batch = metadata.get("net_batch_size")
    if isinstance(estimator.batch_size, str) and saved_batch is not None:
        if not isinstance(saved_batch, int) or isinstance(saved_batch, bool) or saved_batch < 1:
            raise ValueError(f"{path}: net_batch_size must be a positive integer.")
        net.batch_size = saved_batch
    for group in net.optimizer_.param_groups:
        if not keep_rate:
            group["lr"] = net.lr
        group["weight_decay"] = estimator.weight_decay
    history = metadata["history"]
    if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
        raise ValueError(f"{path}: the history must be a list of epochs (JSON objects).")
    # n_iter_ counts on from the history's finished epochs (a history cut
    # short loaded, and partial_fit then took n_iter_ from 2 down to 1).
    finished = [row["train_loss"] for row in history if "train_loss" in row]
    if (
        len(finished) != estimator.n_iter_
        or not all(_is_number(loss) for loss in finished)
        or not all(
            isinstance(row.get("epoch"), int) and not isinstance(row["epoch"], bool)
            for row in history
        )
    ):
        raise ValueError(
            f"{path}: the history must hold n_iter_ = {estimator.n_iter_} finished epochs, "
            "each with an integer 'epoch' and a numeric 'train_loss'."
        )
    net.history = History(history)
    estimator.net_ = net
    recent = tensors.get("recent_rows")
    if recent is not None:
        estimator._recent_rows = _checked_recent_rows(recent, estimator, path)
    fit_rows = getattr(estimator, "_recent_fit_rows", None)
    if fit_rows is not None and (recent is None or fit_rows > len(recent)):
        raise ValueError(
            f"{path}: _recent_fit_rows ({fit_rows}) counts more of the fit's rows than "
            "recent_rows holds."
        )
    return estimator


def _check_screened_sample(estimator: Any, path: str | os.PathLike) -> None:
    """Refuse a sample of the rows ``tail_screen`` left out (the threshold
    of ``partial_fit`` is drawn on them) that is not what a fit keeps: all
    three of its parts or none, float32 rows of the model's width, each with
    an observed entry and no more than ``n_screened_``, a share no larger
    than the screen leaves out (a tenth of the rows: a ninth of those
    trained on) and a count of rows kept within ``MIN_REFRESH_ROWS`` (and
    within the recent rows, checked with them)."""
    from ._base import _SCREENED_STATE, MIN_REFRESH_ROWS
    from ._screen import MAX_SCREEN_SHARE

    present = [hasattr(estimator, name) for name in _SCREENED_STATE]
    if not any(present):
        return
    rows = getattr(estimator, "_recent_screened", None)
    share = getattr(estimator, "_screened_share", None)
    fit_rows = getattr(estimator, "_recent_fit_rows", None)
    if not (
        all(present)
        and isinstance(rows, np.ndarray)
        and rows.dtype == np.float32
        and rows.ndim == 2
        and 1 <= rows.shape[0] <= MIN_REFRESH_ROWS
        and rows.shape[1] == estimator._n_inputs()
        and not np.isinf(rows).any()
        and not np.isnan(rows).all(axis=1).any()
        and isinstance(getattr(estimator, "n_screened_", None), int)
        and rows.shape[0] <= estimator.n_screened_
        and _is_number(share)
        and 0.0 < share <= MAX_SCREEN_SHARE / (1.0 - MAX_SCREEN_SHARE) * (1.0 + 1e-9)
        and isinstance(fit_rows, int)
        and not isinstance(fit_rows, bool)
        and 1 <= fit_rows <= MIN_REFRESH_ROWS
    ):
        raise ValueError(
            f"{path}: _recent_screened, _screened_share and _recent_fit_rows must come "
            f"together: 1 to {MIN_REFRESH_ROWS} float32 rows of {estimator._n_inputs()} "
            "entries (no infinity, each with an observed entry), no more than "
            "n_screened_, a share in (0, 1/9] and a count of 1 to "
            f"{MIN_REFRESH_ROWS} rows."
        )


def _checked_recent_rows(recent: Any, estimator: Any, path: str | os.PathLike) -> torch.Tensor:
    """The file's recent training rows (kept on the CPU, as a fit keeps them),
    refused unless they are what the model's statistics can be refitted on."""
    from ._base import MIN_REFRESH_ROWS

    width = estimator._n_inputs()
    if (
        not isinstance(recent, torch.Tensor)
        or recent.dtype != torch.float32
        or recent.dim() != 2
        or not 1 <= recent.shape[0] <= MIN_REFRESH_ROWS
        or recent.shape[1] != width
        or bool(torch.isinf(recent).any())
        # A fit keeps no row without an observed entry (such a row has no
        # score): rows of NaN loaded, and the next small partial_fit refitted
        # offset_ so that it flagged 84% of the training rows, silently.
        or bool(torch.isnan(recent).all(dim=1).any())
    ):
        raise ValueError(
            f"{path}: recent_rows must be 1 to {MIN_REFRESH_ROWS} float32 rows of {width} "
            "entries with no infinity, each with an observed (not NaN) entry."
        )
    # They were trained on, so the clipping range of the encoder's input,
    # which covers every row trained on, holds them (rows multiplied by 1e30
    # in a file loaded, and the next partial_fit refitted the scores on them).
    buffers = dict(estimator.net_.module_.named_buffers())
    low, high = buffers.get("input_low"), buffers.get("input_high")
    if low is not None and high is not None and low.numel() == width:
        # A missing entry (NaN) compares False either way: it is in range. (It
        # was read as 0, which lies in the range only where each column is
        # centred: a file saved with scaling="none" could not be loaded.)
        outside = (recent < low.cpu().reshape(1, -1)) | (recent > high.cpu().reshape(1, -1))
        if bool(outside.any()):
            raise ValueError(
                f"{path}: recent_rows lie outside the range of the rows the model was "
                "trained on (the encoder's input_low and input_high): the file was edited."
            )
    return recent


def _params_as_json(estimator: Any) -> dict:
    """``estimator``'s hyper-parameters as JSON, less what a file cannot hold
    (callbacks and an accelerator are dropped, a RandomState becomes None),
    with a warning for each."""
    params = estimator.get_params(deep=False)
    if params.get("callbacks"):
        warn_caller(
            "Callbacks are code and are not saved: the loaded model has callbacks=None.",
        )
    params["callbacks"] = None
    if params.get("accelerator") is not None:
        warn_caller(
            "The accelerator belongs to the training run and is not saved: the loaded "
            "model has accelerator=None.",
        )
        params["accelerator"] = None
    # It only matters for a refit; the fitted seeds are saved separately.
    params["random_state"] = _storable_seed(params.get("random_state"), "model")
    return {k: _to_json(v, k) for k, v in params.items()}


def _storable_seed(random_state: Any, whose: str) -> int | None:
    """``random_state`` as JSON holds it: an int, or None with a warning for
    a RandomState instance."""
    if random_state is None:
        return None
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        return int(random_state)  # JSON has no numpy integers
    warn_caller(
        f"A RandomState instance cannot be stored as JSON: the loaded {whose} has "
        "random_state=None."
    )
    return None


def _imputer_as_json(imputer: Any) -> dict:
    """An :class:`~skae.AutoEncoderImputer`'s own parameters and fitted
    attributes (its ``estimator_`` is the model of the file)."""
    template = imputer.estimator
    if template is not None:
        output = getattr(template, "_sklearn_output_config", None)
        template = {"class": _class_name(type(template)), "params": _params_as_json(template)}
        if output:
            # clone carries it into estimator_ at each refit.
            template["output"] = {str(k): str(v) for k, v in output.items()}
    random_state = _storable_seed(imputer.random_state, "imputer")
    fitted = {"n_features_in_": imputer.n_features_in_, "categorical": imputer._categorical}
    levels = getattr(imputer, "_numeric_levels", {})
    if levels:
        fitted["numeric_levels"] = {str(j): [float(v) for v in lv] for j, lv in levels.items()}
    if hasattr(imputer, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(name) for name in imputer.feature_names_in_]
    # The container chosen with set_output, as the estimator's own file keeps it.
    output = getattr(imputer, "_sklearn_output_config", None)
    if output:
        fitted["output"] = {str(k): str(v) for k, v in output.items()}
    return {
        "estimator": template,
        "random_state": random_state,
        "fitted": _to_json(fitted, "imputer"),
    }


def _rebuild_imputer(saved: dict, estimator: Any, path: str | os.PathLike) -> Any:
    from ._imputer import AutoEncoderImputer

    template = saved["estimator"]
    if template is not None:
        cls = _estimator_class(template["class"], path)
        output = template.get("output")
        template = cls(**{k: _from_json(v) for k, v in template["params"].items()})
        if output is not None:
            _check_output_config(output, f"{path}: the imputer's estimator's")
            template.set_output(transform=output.get("transform"))
    imputer = AutoEncoderImputer(template, random_state=saved["random_state"])
    try:
        imputer._validate_params()
    except ValueError as exc:
        raise ValueError(f"{path} holds imputer parameters skae rejects: {exc}") from exc
    fitted = saved["fitted"]
    if int(fitted["n_features_in_"]) != estimator.n_features_in_:
        raise ValueError(f"{path}: the imputer's n_features_in_ does not fit its model.")
    imputer.n_features_in_ = int(fitted["n_features_in_"])
    if not isinstance(fitted["categorical"], bool):
        raise ValueError(f"{path}: the imputer's 'categorical' must be true or false.")
    # The imputer's part of the file describes its model: an edit that
    # disagrees loaded, and transform failed later blaming the data (or, for
    # the flag, with a TypeError from deep inside).
    if fitted["categorical"] != (getattr(estimator, "is_categorical_", None) is not None):
        raise ValueError(
            f"{path}: the imputer's 'categorical' does not fit its model's categorical columns."
        )
    imputer._categorical = fitted["categorical"]
    imputer._numeric_levels = _checked_levels(fitted.get("numeric_levels", {}), imputer, path)
    names = fitted.get("feature_names_in_")
    known = getattr(estimator, "feature_names_in_", None)
    if (names is None) != (known is None) or (
        names is not None and [str(n) for n in known] != names
    ):
        raise ValueError(f"{path}: the imputer's feature_names_in_ are not its model's.")
    if names is not None:
        imputer.feature_names_in_ = np.asarray(names, dtype=object)
    output = fitted.get("output")
    if output is not None:
        _check_output_config(output, f"{path}: the imputer's")
        imputer.set_output(transform=output.get("transform"))
    imputer.estimator_ = estimator
    return imputer


def _check_output_config(output: Any, whose: str) -> None:
    """The container a file's ``set_output`` chose: a dict of ``"transform"``
    to one scikit-learn knows (an edited one loaded, and every transform
    failed with scikit-learn's message, which names no file)."""
    if (
        not isinstance(output, dict)
        or set(output) - {"transform"}
        or output.get("transform") not in ("default", "pandas", "polars")
    ):
        raise ValueError(f"{whose} output configuration is malformed.")


def _checked_levels(levels: Any, imputer: Any, path: str | os.PathLike) -> dict:
    """The imputer's levels of each category of numbers read as numbers (a
    file before them has none: the batch's own are used)."""
    n = imputer.n_features_in_
    checked = {}
    if not isinstance(levels, dict):
        raise ValueError(f"{path}: the imputer's numeric_levels are malformed.")
    for key, values in levels.items():
        if (
            not isinstance(key, str)
            or not key.isdigit()
            or int(key) >= n
            or not isinstance(values, list)
            or not values
            or not all(_is_number(v) and math.isfinite(v) for v in values)
        ):
            raise ValueError(
                f"{path}: the imputer's numeric_levels must map column positions below {n} "
                "to lists of finite numbers."
            )
        checked[int(key)] = np.asarray(values, dtype=np.float64)
    return checked


def _fitted_name(cls: type, name: str, path: str | os.PathLike) -> str:
    """``name`` if it is one a fit sets (ends with "_", or is private state
    skae saves), so a file cannot overwrite a method or anything else."""
    fitted = name.endswith("_") and not name.startswith("__") and not hasattr(cls, name)
    if not (fitted or name in _PRIVATE_STATE):
        raise ValueError(
            f"{path} sets {name!r}, which is not a fitted attribute of {cls.__name__}."
        )
    return name


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


#: The largest cross-entropy of an unseen category, log(n_samples + 1), that
#: a file may hold: n_samples below 2**64.
MAX_UNSEEN_NATS = 64 * math.log(2)


#: What every fitted model holds, beyond its kind's ``_scoring_attributes``.
_REQUIRED = (
    "n_features_in_",
    "mean_",
    "scale_",
    "offset_",
    "n_iter_",
    "_base_seed",
    "_n_training_calls",
)


#: Fitted attributes that go together.
_PAIRS = (
    ("code_mean_", "code_covariance_"),
    ("missing_shift_", "missing_scale_"),
    ("missing_centre_", "missing_column_scale_"),
)


def _check_complete(estimator: Any, path: str | os.PathLike) -> None:
    """A file missing a fitted part would load and fail later (``sample``
    without its code density, ``partial_fit`` without its seeds)."""
    required = (*_REQUIRED, *type(estimator)._scoring_attributes)
    missing = [name for name in required if not hasattr(estimator, name)]
    # Parts that older files lack together (then scored as before them),
    # never one without the other.
    for pair in _PAIRS:
        held = [hasattr(estimator, name) for name in pair]
        if any(held) and not all(held):
            missing.append(pair[held.index(False)])
    if missing:
        raise ValueError(f"{path} is not a well-formed skae model file: it lacks {missing}.")


def _check_categorical(estimator: Any, path: str | os.PathLike) -> None:
    """The categorical layout: edited, it loaded and failed in pandas, numpy
    or pyarrow at the first call (or, with a missing value for a category,
    encoded rows differently, silently)."""
    import pandas as pd

    from ._categorical import series_of

    mask = getattr(estimator, "is_categorical_", None)
    if mask is None:
        return
    n_features = getattr(estimator, "n_features_in_", -1)
    if not (
        isinstance(mask, np.ndarray)
        and mask.dtype == bool
        and mask.shape == (n_features,)
        and mask.any()
    ):
        raise ValueError(
            f"{path}: is_categorical_ must be one boolean per input column, some True."
        )
    categories = getattr(estimator, "categories_", None)
    kinds = getattr(estimator, "_categorical_kinds", None)
    n_categorical = int(mask.sum())
    if not (
        isinstance(categories, list)
        and isinstance(kinds, list)
        and len(categories) == len(kinds) == n_categorical
    ):
        raise ValueError(
            f"{path}: categories_ and _categorical_kinds must hold one entry per "
            f"categorical column ({n_categorical})."
        )
    for j, (values, kind) in enumerate(zip(categories, kinds, strict=True)):
        where = f"{path}: categorical column {j}"
        if not (isinstance(values, np.ndarray) and values.ndim == 1 and len(values)):
            raise ValueError(f"{where}: its categories must be a non-empty list.")
        try:
            unique = len(pd.unique(values)) == len(values)
            missing = bool(pd.isna(values).any())
        except TypeError:  # an unhashable value
            unique, missing = False, True
        if not unique or missing:
            raise ValueError(f"{where}: its categories must be distinct values, none missing.")
        dtype = _rebuilt_dtype(kind, where, values)
        if dtype is not None:
            try:
                # What inverse_transform and sample build: an edited kind
                # ("int64" for strings) loaded, and they failed in pandas.
                series_of(values, dtype, values)
            except (TypeError, ValueError, ArithmeticError) as exc:
                raise ValueError(
                    f"{where}: its categories are not values of its dtype {kind[:80]!r}: {exc}"
                ) from exc
    _check_numeric_kinds(estimator, path, n_features - n_categorical)


def _rebuilt_dtype(kind: Any, where: str, categories: np.ndarray | None = None):
    """The dtype a column of a file is decoded to, from its name ``kind``
    (with the ``categories`` of a category column); None where pyarrow,
    which it needs, is missing here (only decoding needs it, and says so).
    A ValueError naming ``where`` for anything else than such a name."""
    import pandas as pd

    from ._categorical import _category_dtype, _dtype_from_name

    if not isinstance(kind, str):
        raise ValueError(f"{where}: its dtype must be named by a string, got {kind!r}.")
    try:
        if kind.startswith(("category", "ordered category")):
            return _category_dtype(kind, categories)
        return pd.api.types.pandas_dtype(_dtype_from_name(kind))
    except ImportError:
        return None
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: its dtype {kind[:80]!r} cannot be rebuilt: {exc}") from exc


def _check_numeric_kinds(estimator: Any, path: str | os.PathLike, n_numeric: int) -> None:
    """The dtypes the numeric columns of a model with categorical ones are
    decoded to: absent (a file from before they were kept: float64), or one
    numeric dtype's name per numeric column."""
    import pandas as pd

    kinds = getattr(estimator, "_numeric_kinds", None)
    if kinds is None:
        return
    if not (isinstance(kinds, list) and len(kinds) == n_numeric):
        raise ValueError(
            f"{path}: _numeric_kinds must hold one entry per numeric column ({n_numeric})."
        )
    for j, kind in enumerate(kinds):
        where = f"{path}: numeric column {j}"
        dtype = _rebuilt_dtype(kind, where)
        if dtype is None:
            continue
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ValueError(f"{where}: its dtype {kind[:80]!r} is not one of numbers.")


def _check_scalars(estimator: Any, path: str | os.PathLike) -> None:
    """The fitted numbers: a NaN threshold or a negative noise variance would
    give NaN predictions or a ``score`` of -inf without a word."""
    offset = getattr(estimator, "offset_", None)
    if not _is_number(offset) or not math.isfinite(offset):
        raise ValueError(f"{path}: offset_ must be a finite number, got {offset!r}.")
    if hasattr(estimator, "noise_variance_"):
        from ._base import variance_from_log

        # score uses the log (finite where the variance underflows to 0).
        variance = estimator.noise_variance_
        log = getattr(estimator, "_log_noise_variance", None)
        if not (
            _is_number(variance)
            and _is_number(log)
            and math.isfinite(log)
            and math.isclose(variance, variance_from_log(log), rel_tol=1e-9)
        ):
            raise ValueError(
                f"{path}: noise_variance_ must be a finite positive number (or 0 or "
                "infinity where float64 ends), the exp of a finite _log_noise_variance; "
                f"got {variance!r} and {log!r}."
            )
    for name in ("n_components_", "_n_training_calls", "_base_seed"):
        value = getattr(estimator, name, 1)
        least = 1 if name == "n_components_" else 0
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise ValueError(f"{path}: {name} must be an integer >= {least}, got {value!r}.")
    for name in ("_statistics_rows", "_rows_since_density"):
        rows = getattr(estimator, name, 0)
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 0:
            raise ValueError(f"{path}: {name} must be a non-negative integer, got {rows!r}.")
    held_out = getattr(estimator, "_held_out_rows", None)
    if held_out is not None and not (
        isinstance(held_out, np.ndarray)
        and held_out.ndim == 1
        and held_out.dtype.kind in "iu"
        and held_out.min(initial=0) >= 0
    ):
        # The rows a warm start holds out again (HoldOutSplit).
        raise ValueError(f"{path}: _held_out_rows must be row indices (non-negative integers).")
    _check_screened_sample(estimator, path)
    centre = getattr(estimator, "missing_centre_", 0.0)
    if not _is_number(centre) or not math.isfinite(centre):
        # Every score of a row with missing entries would be NaN.
        raise ValueError(f"{path}: missing_centre_ must be a finite number, got {centre!r}.")
    for name in ("n_iter_", "n_screened_"):
        count = getattr(estimator, name, 0)
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"{path}: {name} must be a non-negative integer, got {count!r}.")
    output = getattr(estimator, "_sklearn_output_config", None)
    if output is not None:
        _check_output_config(output, f"{path}: the estimator's")
    if not isinstance(getattr(estimator, "_refill_missing", True), bool):
        raise ValueError(f"{path}: _refill_missing must be true or false.")
    unseen = getattr(estimator, "_unseen_nats", 1.0)
    if not _is_number(unseen) or not 0 < unseen <= MAX_UNSEEN_NATS:
        # An unseen category's loss, log(n_samples + 1): every score of a row
        # holding one (1e30 divided by zero in the scaled units).
        raise ValueError(
            f"{path}: _unseen_nats must be a positive number of at most {MAX_UNSEEN_NATS:.1f} "
            f"(the log of 2**64), got {unseen!r}."
        )
    width = (getattr(estimator, "n_features_in_", -1),)
    for name in ("feature_names_in_", "_column_label_text"):
        strings = getattr(estimator, name, None)
        if strings is not None and not (
            isinstance(strings, np.ndarray)
            and strings.shape == width
            and all(isinstance(value, str) for value in strings)
        ):
            raise ValueError(f"{path}: {name} must be one string per input column.")
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(set(names)) != len(names):
        # fit refuses repeated column names; loaded, every prediction failed
        # on scikit-learn's check of the names, which blames the data.
        raise ValueError(f"{path}: feature_names_in_ must name each input column once.")
    labels = getattr(estimator, "_column_labels", None)
    if labels is not None and not (
        isinstance(labels, np.ndarray) and labels.dtype.kind in "iu" and labels.shape == width
    ):
        raise ValueError(f"{path}: _column_labels must be one integer per input column.")


def _check_arrays(estimator: Any, path: str | os.PathLike) -> None:
    """The fitted arrays against the network's sizes: a file whose arrays
    do not fit would otherwise broadcast into wrong scores, or fail later."""
    n_inputs, k = estimator._n_inputs(), estimator.n_components_
    expected = {"mean_": (n_inputs,), "scale_": (n_inputs,)}
    if hasattr(estimator, "code_mean_"):
        expected.update(
            code_mean_=(k,), code_covariance_=(k, k), error_scale_=(estimator.n_features_in_,)
        )
    _check_scalars(estimator, path)
    # JSON gives a float; the fit sets a numpy float64, as scikit-learn's
    # detectors do (a probe: the types differed after a load).
    estimator.offset_ = np.float64(estimator.offset_)
    if hasattr(estimator, "missing_shift_"):
        calibration = (estimator.n_features_in_ + 1,)
        expected.update(missing_shift_=calibration, missing_scale_=calibration)
    if hasattr(estimator, "missing_column_scale_"):
        expected.update(missing_column_scale_=(estimator.n_features_in_,))
    if getattr(estimator, "missing_terms_", None) is not None:
        # The variational kind's (files saved before it lack it: scored as then).
        expected.update(missing_terms_=(estimator.n_features_in_,))
    density = getattr(estimator, "latent_density_", None)
    if density is not None:
        expected.update(_mixture_shapes(density, k, path))
    for name, shape in expected.items():
        value = (
            getattr(density, name.removeprefix("density/"), None)
            if name.startswith("density/")
            else getattr(estimator, name, None)
        )
        if value is None:
            raise ValueError(f"{path} lacks the fitted array {name!r}.")
        if np.shape(value) != shape:
            raise ValueError(
                f"{path}: the fitted array {name!r} has shape {np.shape(value)}, but the "
                f"model needs {shape}."
            )
        value = np.asarray(value)
        if value.dtype.kind != "f" or not np.isfinite(value).all():
            raise ValueError(
                f"{path}: the fitted array {name!r} must hold finite real numbers, got "
                f"{value.dtype} values{'' if np.isfinite(value).all() else ' with NaN or inf'}."
            )
        if name in POSITIVE_ARRAYS and not (value > 0).all():
            raise ValueError(f"{path}: the fitted array {name!r} must be positive.")
    never = getattr(estimator, "_never_observed", None)
    if never is not None and (np.shape(never) != (n_inputs,) or np.asarray(never).dtype != bool):
        raise ValueError(f"{path}: the fitted array '_never_observed' must be {n_inputs} booleans.")
    _check_densities(estimator, density, path)


def _check_densities(estimator: Any, density: Any, path: str | os.PathLike) -> None:
    """The code densities, finite but maybe not densities: a covariance that
    is not positive definite, or mixture weights that do not sum to 1, loaded
    and failed later in numpy's linear algebra or sampling."""
    covariances = {}
    if hasattr(estimator, "code_covariance_"):
        covariances["code_covariance_"] = estimator.code_covariance_[None]
    if density is not None:
        weights = np.asarray(density.weights_)
        # Its parameters are those of a mixture skae fitted: valid for
        # GaussianMixture, as many components as weights, and no starting
        # values (an edited n_components=5 beside 2 components loaded as an
        # inconsistent GaussianMixture).
        try:
            density._validate_params()
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}: the code density's parameters: {exc}") from exc
        if density.n_components != len(weights):
            raise ValueError(
                f"{path}: the code density's n_components ({density.n_components}) must "
                f"be its number of components ({len(weights)})."
            )
        starts = ("weights_init", "means_init", "precisions_init")
        if any(getattr(density, name) is not None for name in starts):
            raise ValueError(f"{path}: the code density must have no starting values (*_init).")
        if not math.isclose(float(weights.sum()), 1.0, rel_tol=1e-6):
            raise ValueError(f"{path}: the code density's weights_ must sum to 1.")
        shaped = np.asarray(density.covariances_)
        if density.covariance_type == "full":
            covariances["density/covariances_"] = shaped
        elif density.covariance_type == "tied":
            covariances["density/covariances_"] = shaped[None]
        elif not (shaped > 0).all():  # diagonal or spherical: variances
            raise ValueError(f"{path}: the code density's covariances_ must be positive.")
    for name, matrices in covariances.items():
        for matrix in matrices:
            try:
                np.linalg.cholesky(matrix)
            except np.linalg.LinAlgError:
                ok = False
            else:
                # Up to rounding: a product of the codes need not be
                # symmetric to the last bit, and an off-diagonal 1e-17 is 0.
                scale = float(np.abs(np.diag(matrix)).max())
                ok = np.allclose(matrix, matrix.T, rtol=1e-6, atol=1e-9 * scale)
            if not ok:
                raise ValueError(
                    f"{path}: the fitted array {name!r} must be a symmetric positive "
                    "definite covariance."
                )
    if density is not None:
        _check_precisions(density, path)


def _check_precisions(density: Any, path: str | os.PathLike) -> None:
    """The mixture's precisions are its covariances' inverses, as a fit
    leaves them: ``latent_density_.score_samples`` reads them, not the
    covariances (a file with its Cholesky factors negated loaded, and gave
    NaN densities; a probe)."""
    covariances = np.asarray(density.covariances_, dtype=np.float64)
    factors = np.asarray(density.precisions_cholesky_, dtype=np.float64)
    precisions = np.asarray(density.precisions_, dtype=np.float64)
    if density.covariance_type in ("full", "tied"):
        if density.covariance_type == "tied":
            covariances, factors, precisions = covariances[None], factors[None], precisions[None]
        diagonals = np.diagonal(factors, axis1=1, axis2=2)
        inverses = np.linalg.inv(covariances)
        products = np.einsum("nij,nkj->nik", factors, factors)
    else:  # diagonal or spherical: variances, their inverses and square roots
        diagonals = factors
        inverses = 1.0 / covariances
        products = factors**2
    # Up to the rounding of a float64 fit, relative to the largest entry.
    close = {"rtol": 1e-4, "atol": 1e-6 * float(np.abs(inverses).max())}
    if not (
        (diagonals > 0).all()
        and np.allclose(products, inverses, **close)
        and np.allclose(precisions, inverses, **close)
    ):
        raise ValueError(
            f"{path}: the code density's precisions_cholesky_ and precisions_ must be the "
            "Cholesky factor and the inverse of its covariances_, as a fit leaves them."
        )


def _mixture_shapes(mixture: GaussianMixture, k: int, path: str | os.PathLike) -> dict:
    """The shapes the code density's arrays must have for ``k`` codes."""
    weights = getattr(mixture, "weights_", None)
    if weights is None or np.ndim(weights) != 1:
        raise ValueError(f"{path}: the code density's weights_ must be one row of numbers.")
    n = len(weights)
    covariance = {
        "full": (n, k, k),
        "tied": (k, k),
        "diag": (n, k),
        "spherical": (n,),
    }.get(mixture.covariance_type)
    if covariance is None:
        raise ValueError(f"{path}: the code density's covariance_type is not one skae fits.")
    return {
        "density/weights_": (n,),
        "density/means_": (n, k),
        "density/covariances_": covariance,
        "density/precisions_cholesky_": covariance,
        "density/precisions_": covariance,
    }


def _check_shapes(estimator: Any, weights: dict, path: str | os.PathLike) -> None:
    """Compare the network the parameters declare with the stored weights
    before allocating it: a file whose JSON lies about the sizes (say
    ``hidden_layer_sizes=(10**7, 10**7)``) must raise a clear error, not
    exhaust the memory."""
    sizes = estimator.hidden_layer_sizes
    if not isinstance(sizes, str):
        # "auto" may resolve differently in another version of skae; a
        # number or a list must be what the model was built with.
        declared_sizes = estimator._hidden_layer_sizes(estimator._n_inputs())
        if list(estimator.hidden_layer_sizes_) != declared_sizes:
            raise ValueError(
                f"{path}: the parameters declare hidden_layer_sizes={declared_sizes}, but "
                f"the model was fitted with hidden_layer_sizes_="
                f"{list(estimator.hidden_layer_sizes_)}."
            )
    # On the meta device, modules hold shapes but no memory.
    with torch.device("meta"):
        declared = estimator._checked_module(estimator._n_inputs()).state_dict()
    # A name the file lacks is left to load_state_dict, which knows the
    # buffers that older files did not have (the clipping range: both ends).
    ends = [name for name in ("input_low", "input_high") if name in weights]
    if len(ends) == 1:
        raise ValueError(
            f"{path} is not a well-formed skae model file: its network holds {ends[0]!r} "
            "without the other end of the clipping range."
        )
    for name, value in weights.items():
        if name in declared and tuple(declared[name].shape) != tuple(value.shape):
            raise ValueError(
                f"{path}: the saved weights do not fit the model: the parameters declare "
                f"{name!r} of shape {tuple(declared[name].shape)}, but the file stores "
                f"{tuple(value.shape)}."
            )


# --- reading --------------------------------------------------------------------
def _read(path: str | os.PathLike) -> tuple[dict, dict]:
    # Opened first: an error of the path (none there, a folder, no
    # permission, a file where a folder should be, a loop of links, a name
    # too long) is open()'s, not a damaged file's.
    with open(path, "rb") as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                for member in (METADATA, TENSORS):
                    _check_expansion(archive.getinfo(member), path)
                text = archive.read(METADATA)
                raw = archive.read(TENSORS)
        except (
            zipfile.BadZipFile,
            zlib.error,
            KeyError,
            EOFError,
            OSError,
            # zipfile's for a damaged header (an "encrypted" flag; its
            # NotImplementedError for an unknown compression method or version).
            RuntimeError,
        ) as exc:
            raise ValueError(
                f"{path} is not a readable skae model file (truncated or corrupted?): {exc}"
            ) from exc
    try:
        metadata = json.loads(text)
    except (ValueError, RecursionError) as exc:
        # Besides malformed JSON: bytes in no Unicode encoding, an integer of
        # more digits than Python converts, nesting too deep. Their own
        # messages named neither the file nor what was wrong with it.
        raise ValueError(
            f"{path} is not a readable skae model file (truncated or corrupted?): its "
            f"{METADATA} is not valid JSON: {exc}"
        ) from exc
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skae model file.")
    version = metadata.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{path} is not a skae model file: its format_version is {version!r}.")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} was written by skae {metadata.get('skae_version')} in model format "
            f"{version}; this skae reads format {FORMAT_VERSION}. Load it with a matching "
            "version of skae."
        )
    try:
        tensors = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a bad archive
        raise ValueError(
            f"{path}: the tensors could not be read safely (corrupted, or not written by "
            f"skae): {exc}"
        ) from exc
    if not isinstance(tensors, dict) or not {"module", "criterion", "optimizer"} <= set(tensors):
        raise ValueError(f"{path}: the tensors member is incomplete.")
    return metadata, tensors


def _check_optimizer(optimizer: torch.optim.Optimizer, path: str | os.PathLike) -> None:
    """Refuse an optimiser state that the next ``partial_fit`` would fail on
    or diverge with: it loaded silently, and the step then failed with torch's
    internal assertion (a moment of the wrong shape) or as a divergence that
    blamed the learning rate (a NaN moment or rate)."""
    for group in optimizer.param_groups:
        for key, value in group.items():
            if key == "params":
                continue
            for number in value if isinstance(value, tuple | list) else (value,):
                if isinstance(number, torch.Tensor):
                    finite = not number.is_floating_point() or bool(torch.isfinite(number).all())
                else:
                    finite = not isinstance(number, float) or math.isfinite(number)
                if not finite:
                    raise ValueError(f"{path}: the optimiser's {key!r} is NaN or infinite.")
        _check_optimizer_ranges(group, path)
        for param in group["params"]:
            for name, value in optimizer.state.get(param, {}).items():
                if not isinstance(value, torch.Tensor) or not value.is_floating_point():
                    continue
                if value.dim() and value.shape != param.shape:
                    raise ValueError(
                        f"{path}: the optimiser's {name!r} has shape {tuple(value.shape)}, "
                        f"but its weight has {tuple(param.shape)}."
                    )
                if not torch.isfinite(value).all():
                    raise ValueError(f"{path}: the optimiser's {name!r} holds NaN or inf.")
                if (name.endswith("_sq") or name == "step") and (value < 0).any():
                    # A running mean of squares (Adam's): its square root is
                    # taken. A negative step count loaded, and the next
                    # partial_fit reported a divergence that blamed the rate.
                    raise ValueError(f"{path}: the optimiser's {name!r} holds negative values.")


#: Settings of an optimiser's group that torch's optimisers refuse negative
#: when built (a state loaded into one is not checked again).
_NON_NEGATIVE_SETTINGS = ("lr", "eps", "weight_decay", "momentum")


def _check_optimizer_ranges(group: dict, path: str | os.PathLike) -> None:
    """Refuse the settings no optimiser is built with: a negative rate loaded,
    and the next ``partial_fit`` climbed the loss until it diverged, with a
    message that blamed a rate of 0.001 (the parameter's)."""

    def number(value: Any) -> Any:  # torch allows a one-element tensor here
        return value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value

    for key in _NON_NEGATIVE_SETTINGS:
        value = number(group.get(key))
        if _is_number(value) and value < 0:
            raise ValueError(f"{path}: the optimiser's {key!r} is negative ({value!r}).")
    betas = group.get("betas")
    if isinstance(betas, tuple | list):
        if any(_is_number(b) and not 0.0 <= b < 1.0 for b in map(number, betas)):
            raise ValueError(f"{path}: the optimiser's betas must lie in [0, 1), got {betas}.")


def _check_expansion(info: zipfile.ZipInfo, path: str | os.PathLike) -> None:
    """Refuse a member that would expand far past its compressed size."""
    if info.file_size > max(MAX_EXPANDED_BYTES, MAX_EXPANSION * info.compress_size):
        raise ValueError(
            f"{path} is not a skae model file: its member {info.filename!r} would expand "
            f"from {info.compress_size:,} to {info.file_size:,} bytes."
        )


def _class_name(cls: type) -> str:
    """How a file names its estimator's class: skae's kinds by their names
    (as files always have), a kind defined elsewhere with its module, so
    that a user's class named ``AutoEncoder`` does not load as skae's."""
    if cls.__module__.split(".")[0] == "skae":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def _estimator_class(name: str, path: str | os.PathLike) -> type:
    from ._base import BaseAutoEncoder

    kinds, todo = [], [BaseAutoEncoder]
    while todo:
        cls = todo.pop()
        kinds.append(cls)
        todo.extend(cls.__subclasses__())
    found = [cls for cls in kinds if _class_name(cls) == name and cls is not BaseAutoEncoder]
    # A qualified name can hold dots of its own (nested classes, <locals>).
    script = name.startswith("__main__.")
    qualname = name.removeprefix("__main__.")
    if not found and "." not in name:
        # A file from before kinds were saved with their module: a unique
        # kind of that name, defined outside skae.
        found = [cls for cls in kinds if cls.__name__ == name and cls is not BaseAutoEncoder]
    if not found and script:
        # A kind written in a script, since moved to a module (a file cannot
        # name the module it will be imported from): a unique kind of that
        # name defined outside skae.
        found = [
            cls
            for cls in kinds
            if cls.__qualname__ == qualname and cls.__module__.split(".")[0] != "skae"
        ]
    if not found:
        if script:
            hint = (
                f"it was defined in a script: define or import a subclass named {qualname!r} "
                "before loading"
            )
        elif "." in name:
            hint = "import the module that defines it before loading (load never imports one)"
        else:
            hint = "skae has no kind of that name"
        raise ValueError(f"{path} holds a {name!r}, which is not a skae kind defined here: {hint}.")
    if len(found) > 1:
        raise ValueError(f"{path} holds a {name!r}, and more than one class has that name.")
    return found[0]


def _rebuild_mixture(saved: dict, tensors: dict) -> GaussianMixture:
    mixture = GaussianMixture(**saved["params"])
    for name, value in saved["scalars"].items():
        setattr(mixture, name, _from_json(value))
    for key, value in tensors.items():
        if key.startswith("density/"):
            setattr(mixture, key.removeprefix("density/"), value.numpy())
    return mixture


# --- JSON -----------------------------------------------------------------------


def _to_json(value: Any, name: str) -> Any:
    """``value`` as JSON; tuples and object arrays are tagged so they come back."""
    if isinstance(value, np.generic):
        value = _python_scalar(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple):
        return {"__tuple__": [_to_json(v, name) for v in value]}
    if isinstance(value, list | range):
        # A range comes back as a list, as a pandas Index does (fit takes
        # either for categorical_features or hidden_layer_sizes).
        return [_to_json(v, name) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return {"__object_array__": [_to_json(v, name) for v in value.tolist()]}
    if type(value).__module__.startswith("pandas") and hasattr(value, "tolist"):
        # A pandas Index or Series of column names (categorical_features).
        return [_to_json(v, name) for v in value.tolist()]
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        # A parameter given as an array (a mask, sizes): it comes back as one.
        # A long double array's list holds long doubles: as float64 in JSON.
        numbers = value.astype(np.float64) if value.dtype.kind == "f" else value
        return {"__array__": numbers.tolist(), "__dtype__": value.dtype.str}
    if isinstance(value, dict):
        return {str(k): _to_json(v, name) for k, v in value.items()}
    hint = (
        " A categorical column of other values (intervals of pd.cut, timestamps) can be "
        "converted before fit, for example with .astype(str);"
        if "categor" in name
        else ""
    )
    raise TypeError(
        f"Cannot save {name}: {type(value).__name__} is not JSON (the file stores numbers, "
        f"strings, booleans and lists of them).{hint} Or pickle the model."
    )


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_from_json(v) for v in value["__tuple__"])
        if "__object_array__" in value:
            return np.array([_from_json(v) for v in value["__object_array__"]], dtype=object)
        if "__array__" in value:
            dtype = np.dtype(value["__dtype__"])
            if dtype.kind not in "biuf":
                raise ValueError(f"an array of dtype {dtype} is not one skae saves")
            return np.array(value["__array__"], dtype=dtype)
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def _python_scalar(value: np.generic) -> Any:
    """A numpy scalar as the Python object it holds: a number by its kind (a
    long double's ``item()`` is a long double), anything else by ``item()``."""
    return _numpy_scalar(value) if value.dtype.kind in "biuf" else value.item()


def _numpy_scalar(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (a callback may record
    ``np.float32``), for :func:`json.dumps`; anything else is refused."""
    # Converted by kind, not by ``item()``: a long double's item is itself.
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"b": bool, "i": int, "u": int, "f": float}[value.dtype.kind](value)
    raise TypeError(f"{type(value).__name__} is not JSON")


#: A history value that is not JSON, left out of the file.
_LEFT_OUT = object()


def _history_as_json(history: History) -> list:
    """The history as JSON, without the values that are not (a callback's
    objects), with a warning naming their keys. Only those are left out:
    the whole history was, and a loaded model's ``n_iter_`` and a schedule
    given again started from epoch 0."""
    left_out: set[str] = set()

    def as_json(value: Any, key: str) -> Any:
        try:
            return json.loads(json.dumps(value, default=_numpy_scalar))
        except (TypeError, ValueError):
            pass
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            kept = {k: as_json(v, k) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v is not _LEFT_OUT}
        if isinstance(value, list):
            items = [as_json(v, key) for v in value]
            if all(item is not _LEFT_OUT for item in items):
                return items
        left_out.add(str(key))
        return _LEFT_OUT

    rows = [as_json(row, "") for row in history.to_list()]
    if left_out:
        warn_caller(
            f"net_.history holds values that are not JSON under {sorted(left_out)} (from a "
            "callback?); they are not saved, the rest of the history is.",
        )
    return [row for row in rows if row is not _LEFT_OUT]


def _to_cpu(state: Any) -> Any:
    """``state`` with its tensors on the CPU and numpy scalars as Python
    numbers (an ``lr`` given as ``np.float64`` lands in the optimiser's state,
    and ``torch.load(weights_only=True)`` refuses numpy objects)."""
    if isinstance(state, torch.Tensor):
        return state.cpu()
    if isinstance(state, np.generic):
        return _python_scalar(state)
    if isinstance(state, dict):
        return {k: _to_cpu(v) for k, v in state.items()}
    if isinstance(state, list | tuple):
        return type(state)(_to_cpu(v) for v in state)
    return state
