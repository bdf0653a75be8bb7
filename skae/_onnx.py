"""Export to ONNX: a fitted estimator's inference as one graph, for
``onnxruntime`` and for scikit-learn pipelines converted with ``skl2onnx``.

:func:`to_onnx` traces the estimator's own inference code, from the data in
their original units to every output: the internal scaling, the network, and
the outlier score with its constants (the per-feature error scales, the
Gaussian on the training codes, the variational kind's fixed draws). Tracing
the code that skae runs, rather than restating the formulas, keeps the two
from drifting apart; the parts the trace cannot carry are written so that it
can (the code density factorises its covariance on the host, the variational
draws are a cached constant).

The trace records the path taken by its example rows, so the example holds a
missing entry: the masked branches, which give the same values on complete
rows, are the ones recorded, and the graph accepts NaN as the estimators do.

:func:`register_onnx_converters` registers a parser, a shape calculator and
a converter for every kind with ``skl2onnx``, so a fitted skae estimator
converts inside a :class:`~sklearn.pipeline.Pipeline` or behind a
:class:`~sklearn.compose.ColumnTransformer` like any scikit-learn step. The
converter embeds the graph of :func:`to_onnx`.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import io
import json
import math
import numbers
import os
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._base import BaseAutoEncoder
from ._locking import lock_of
from ._warnings import PACKAGE

#: The outputs of :func:`to_onnx`'s graph, named after the methods they equal.
OUTPUTS = ("transform", "inverse_transform", "score_samples", "decision_function", "predict")
#: The opset :func:`to_onnx` writes by default (onnxruntime 1.14 and later run it).
DEFAULT_OPSET = 18
#: The oldest opset the graphs can be written in: the scores clip integer
#: counts (``Clip`` takes integers from opset 12), and the convolutional
#: decoder unflattens its input (exported from opset 13).
MIN_OPSET = 13
#: The newest opset torch's tracing exporter writes.
MAX_OPSET = 20
#: What a missing ``onnx`` or ``skl2onnx`` is told to install.
INSTALL_HINT = 'pip install "skae[onnx]"'
#: skl2onnx's options for skae's operators: ``transform`` converts the
#: estimator as a transformer (one output, the codes); otherwise it converts
#: as an outlier detector, with IsolationForest's outputs ``label`` (predict)
#: and ``scores`` (decision_function), and ``score_samples`` on request.
SKL2ONNX_OPTIONS = {"transform": [False, True], "score_samples": [False, True]}


class _Inference(nn.Module):
    """A fitted estimator's inference, as a module of its raw input.

    ``forward`` maps the rows, in the units of the training data, to the
    outputs of :data:`OUTPUTS` (``mode="rows"``), codes to
    ``inverse_transform`` (``"decoder"``), or rows to the rows with their
    missing entries filled (``"impute"``, :class:`AutoEncoderImputer`), with
    the arithmetic of the estimator's methods.
    """

    def __init__(
        self, estimator: BaseAutoEncoder, *, mode: str, levels: dict | None = None
    ) -> None:
        super().__init__()
        self.estimator = estimator
        self.mode = mode
        #: ``"impute"``: each column of a category of numbers read as numbers,
        #: with the levels the imputer's fit saw, which its fills snap to.
        self.levels = sorted((levels or {}).items())
        for j, known in self.levels:
            self.register_buffer(f"levels{j}", torch.as_tensor(known, dtype=torch.float32))
        self.network = estimator.net_.module_
        self.criterion = estimator.net_.criterion_
        # The float32 arithmetic of ``scaled_tensor`` on float32 rows.
        # A column the fit saw no value of is centred on NaN: read as missing.
        self.register_buffer("mean32", torch.as_tensor(estimator._centre(), dtype=torch.float32))
        self.register_buffer("scale32", torch.as_tensor(estimator.scale_, dtype=torch.float32))
        # ``_decode``'s float64 arithmetic on the way back.
        scale, shift = estimator._output_map()
        self.register_buffer("mean64", torch.as_tensor(shift, dtype=torch.float64))
        self.register_buffer("scale64", torch.as_tensor(scale, dtype=torch.float64))
        encoding = estimator._encoding()
        #: Each input column's (start, stop, categorical) in the encoded input.
        self.columns = None
        #: Each numeric column's integer range, or None (a float column).
        self.integer_ranges = None
        if encoding is not None:
            self.columns = [
                (start, stop, bool(categorical))
                for (start, stop), categorical in zip(
                    encoding.blocks(), encoding.is_categorical, strict=True
                )
            ]
            kinds = encoding.numeric_kinds or ["float64"] * int((~encoding.is_categorical).sum())
            self.integer_ranges = [_integer_range(kind) for kind in kinds]

    def reconstruct(self, codes: torch.Tensor) -> torch.Tensor:
        decoded = self.criterion.reconstruct({"x_hat": self.network.decode(codes)})
        decoded = decoded.double() * self.scale64 + self.mean64
        if self.columns is not None:
            # One value per input column: a categorical column's most probable
            # category, as its index in ``categories_``; an integer column's
            # number rounded within its dtype's range, as inverse_transform
            # gives it (a float 2.197 where skae gave 2).
            ranges = iter(self.integer_ranges)
            values = []
            for start, stop, categorical in self.columns:
                if categorical:
                    values.append(decoded[:, start:stop].argmax(dim=1).double())
                    continue
                value, bounds = decoded[:, start], next(ranges)
                if bounds is not None:
                    value = torch.clamp(torch.round(value), *bounds)
                values.append(value)
            decoded = torch.stack(values, dim=1)
        return decoded.float()

    def _snapped(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` with each column of :attr:`levels` at its nearest level,
        as the imputer's ``transform`` fills it (the raw reconstruction, 5.02
        where it gave 5, was exported)."""
        if not self.levels:
            return values
        columns = list(values.unbind(dim=1))
        for j, _ in self.levels:
            known = getattr(self, f"levels{j}")
            columns[j] = known[(columns[j].unsqueeze(1) - known).abs().argmin(dim=1)]
        return torch.stack(columns, dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.mode == "decoder":
            # As inverse_transform: a missing code is the training codes' mean.
            fill = torch.as_tensor(self.estimator._missing_code_fill(), dtype=x.dtype)
            return (self.reconstruct(torch.where(torch.isnan(x), fill, x)),)
        scaled = (x - self.mean32) / self.scale32
        codes = self.network.encode(scaled)
        if self.mode == "impute":
            return (torch.where(torch.isnan(x), self._snapped(self.reconstruct(codes)), x),)
        score = self.estimator._scores_scaled(self.network, scaled)
        # As score_samples: a NaN is an overflow inside the network.
        score = torch.where(torch.isnan(score), -math.inf, score)
        # As score_samples: a row with no observed value scores offset_. In
        # the scaled row: a value in a column the fit saw no value of is NaN
        # there, as it is missing to score_samples (a review).
        empty = (~torch.isnan(scaled)).sum(dim=1) == 0
        offset = torch.full_like(score, self.estimator.offset_)
        score = torch.where(empty, offset, score)
        decision = score - self.estimator.offset_
        label = torch.where(decision < 0, -1, 1).to(torch.int64)
        return codes, self.reconstruct(codes), score, decision, label


def _integer_range(kind: str) -> tuple[float, float] | None:
    """The range of a numeric column decoded to the dtype named ``kind``
    (:func:`skae._categorical.numeric_kind`), as floats, or None for a
    float column."""
    import pandas as pd

    from ._categorical import _dtype_from_name

    dtype = pd.api.types.pandas_dtype(_dtype_from_name(kind))
    if not pd.api.types.is_integer_dtype(dtype):
        return None
    limits = np.iinfo(np.dtype(getattr(dtype, "numpy_dtype", dtype)))
    return float(limits.min), float(limits.max)


def _on_cpu(estimator: BaseAutoEncoder) -> BaseAutoEncoder:
    """``estimator``, or a copy of it on the CPU when it was fitted elsewhere."""
    if torch.device(estimator.device_).type == "cpu":
        return estimator
    estimator = copy.deepcopy(estimator)
    estimator.net_.module_.to("cpu")
    estimator.net_.criterion_.to("cpu")
    estimator.device_ = torch.device("cpu")
    return estimator


def _check_float32_units(estimator: BaseAutoEncoder) -> None:
    """Refuse a model whose data float32 cannot carry: the graph takes and
    gives float32 rows, and a feature in units of 1e-165, or a constant of
    1e39, became 0 or infinity there (scores off by up to 8.5)."""
    info = np.finfo(np.float32)
    scale, mean = np.asarray(estimator.scale_), np.abs(estimator.mean_)
    unrepresentable = (scale < info.tiny) | (scale > info.max) | (mean > info.max)
    if unrepresentable.any():
        raise ValueError(
            f"Features {np.flatnonzero(unrepresentable).tolist()} were fitted on values "
            f"float32 cannot hold (their means up to {mean[unrepresentable].max():.3g}, "
            f"scales from {scale[unrepresentable].min():.3g} to "
            f"{scale[unrepresentable].max():.3g}); the ONNX graph takes float32 rows. "
            "Refit on data in "
            "other units to export the model."
        )


def to_onnx(estimator: BaseAutoEncoder, *, decoder: bool = False, opset: int | None = None):
    """Export a fitted estimator's inference to an ONNX model.

    The graph takes float32 rows in the units of the training data (input
    ``"X"``, of shape ``(n_samples, n_features_in_)``; images flattened, NaN
    for a missing entry) and gives, as named outputs, what the estimator's
    methods give on them:

    - ``transform``: the codes (float32);
    - ``inverse_transform``: the reconstructions, ``inverse_transform`` of
      the codes (float32);
    - ``score_samples`` and ``decision_function`` (float64);
    - ``predict``: +1 for inliers, -1 for outliers (int64).

    The internal scaling and the score's constants are inside the graph, so
    ``onnxruntime`` alone serves the model, without PyTorch or skae. With
    ``decoder=True`` the graph is ``inverse_transform`` alone: float32 codes
    in (input ``"codes"``), reconstructions out.

    A model fitted with categorical columns (``is_categorical_``) takes one
    input per column instead, named after it (``feature_names_in_``, else
    ``"x0"``, ``"x1"``, ...) and of shape ``(n_samples, 1)``, as ``skl2onnx``
    names a DataFrame's columns: a numeric column as float32, a categorical
    one as strings, ``str`` of each category, the empty string for a
    missing entry (a zero category may come as ``"0.0"`` or ``"-0.0"``,
    and a float32 one as float32 writes it, ``"0.1"``, or as a float does,
    ``"0.10000000149011612"``). The graph one-hot encodes them as the
    estimator does (a category unseen at fit is all zeros and scores as
    unusual). Its ``inverse_transform`` gives one value per column, a
    categorical column's most probable category as its index in
    ``categories_`` (the model's metadata ``"categories"`` lists them, in
    JSON), and an integer column's number rounded within its dtype's range,
    as ``inverse_transform`` gives them.

    A fitted :class:`AutoEncoderImputer` exports as its ``transform``: input
    ``"X"``, output ``"transform"``, the rows with their missing entries
    filled (numeric data).

    Requires the ``onnx`` package (``pip install "skae[onnx]"``).

    Parameters
    ----------
    estimator : BaseAutoEncoder or AutoEncoderImputer
        A fitted skae estimator, on any device; the graph runs on the CPU.
    decoder : bool, default=False
        Export ``inverse_transform`` (codes in) instead of the methods of rows.
    opset : int, default=None
        The ONNX opset to write, from 13 (the first whose operators cover
        every kind: integer ``Clip``, ``Unflatten`` for the convolutions) to
        20; None for 18.

    Returns
    -------
    model : onnx.ModelProto
        Save it with ``onnx.save(model, path)``, or run it with
        ``onnxruntime.InferenceSession(model.SerializeToString())``.

    Raises
    ------
    ValueError
        If ``opset`` is not an integer in range; if a categorical model's
        columns cannot be inputs: a column named like an output, ``"X"`` (the
        name of the encoded rows inside the graph) or the empty string, the
        empty string as a category (it stands for a missing entry), or two
        categories of a column that are the same as strings (``1`` and
        ``"1"``); if the model was fitted on values float32 cannot hold (units
        of 1e-165, a constant of 1e39); or if an imputer was fitted with
        categorical columns.
    TypeError
        If ``estimator`` is not a skae estimator or an ``AutoEncoderImputer``,
        or ``decoder`` is not a bool.

    See Also
    --------
    register_onnx_converters : Convert skae estimators inside scikit-learn
        pipelines with ``skl2onnx``.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skae import AutoEncoder, to_onnx
    >>> X = np.random.RandomState(0).normal(size=(200, 4)).astype(np.float32)
    >>> ae = AutoEncoder(max_epochs=5, random_state=0).fit(X)
    >>> session = onnxruntime.InferenceSession(to_onnx(ae).SerializeToString())
    >>> scores, = session.run(["score_samples"], {"X": X[:3]})
    >>> bool(np.allclose(scores, ae.score_samples(X[:3]), rtol=1e-5))
    True
    """
    from ._imputer import AutoEncoderImputer

    if not isinstance(estimator, BaseAutoEncoder | AutoEncoderImputer):
        raise TypeError(
            "to_onnx exports skae's estimators and AutoEncoderImputer, got "
            f"{type(estimator).__name__}; skl2onnx converts scikit-learn's own "
            "(register_onnx_converters lets it convert skae's inside a pipeline)."
        )
    if not isinstance(decoder, bool | np.bool_):
        # A truthy "False" or "no" exported the decoder's graph, whose input
        # and outputs are another graph's.
        raise TypeError(f"decoder must be a bool, got {decoder!r}.")
    check_is_fitted(estimator)
    # Under the estimator's lock, as its predictions: an export while another
    # thread fitted traced the new weights with the old statistics.
    with lock_of(estimator).read():
        return _export(estimator, decoder, opset)


def _require(module: str, needed_by: str):
    """``module`` imported, or an ImportError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"{needed_by} needs the {module!r} package: {INSTALL_HINT}") from exc


def _export(estimator, decoder: bool, opset: int | None):
    """:func:`to_onnx` of a fitted estimator, under its lock."""
    onnx = _require("onnx", "to_onnx")

    from ._imputer import AutoEncoderImputer

    mode, levels = ("decoder" if decoder else "rows"), None
    if isinstance(estimator, AutoEncoderImputer):
        if decoder:
            raise ValueError("An AutoEncoderImputer has no decoder to export: decoder=False.")
        if getattr(estimator, "_categorical", False):
            raise ValueError(
                "An AutoEncoderImputer fitted with categorical columns does not export yet: "
                "it fills them in a DataFrame. Export its estimator_ instead."
            )
        levels = getattr(estimator, "_numeric_levels", None)
        estimator, mode = estimator.estimator_, "impute"
    opset = DEFAULT_OPSET if opset is None else opset
    if not (
        isinstance(opset, numbers.Integral)
        and not isinstance(opset, bool)
        and MIN_OPSET <= opset <= MAX_OPSET
    ):
        raise ValueError(
            f"opset must be an integer between {MIN_OPSET} and {MAX_OPSET}, got {opset!r}."
        )
    opset = int(opset)
    _check_float32_units(estimator)
    estimator = _on_cpu(estimator)
    graph = _Inference(estimator, mode=mode, levels=levels).eval()
    width = estimator.n_components_ if mode == "decoder" else estimator._n_inputs()
    example = torch.zeros(2, width, dtype=torch.float32)
    if mode != "decoder":
        # A missing entry: the trace records the masked branches.
        example[0, 0] = math.nan
    input_name = "codes" if mode == "decoder" else "X"
    outputs = {"rows": OUTPUTS, "decoder": ("inverse_transform",), "impute": ("transform",)}[mode]
    with torch.inference_mode():
        # Outside the trace first: what is cached on the way (the variational
        # draws) is then a constant of the graph, not an operation in it.
        graph(example)
    # The tracing exporter: torch 2.5 and later would otherwise use dynamo.
    exporter = inspect.signature(torch.onnx.export).parameters
    kwargs = {"dynamo": False} if "dynamo" in exporter else {}
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        # Tracing warns of every Python branch on a tensor: skae's own take
        # the branch every input may take (the example's missing entry
        # included). Those of a subclass's own modules are passed on: a branch
        # there is frozen into the graph as the example took it.
        warnings.simplefilter("always")
        torch.onnx.export(
            graph,
            (example,),
            buffer,
            input_names=[input_name],
            output_names=list(outputs),
            dynamic_axes={name: {0: "n_samples"} for name in (input_name, *outputs)},
            opset_version=opset,
            do_constant_folding=True,
            **kwargs,
        )
    # Raised in skae's code or in torch's own (a functional skae calls).
    known = (PACKAGE, os.path.dirname(os.path.abspath(torch.__file__)) + os.sep)
    for warning in caught:
        if issubclass(warning.category, torch.jit.TracerWarning) and not os.path.abspath(
            warning.filename
        ).startswith(known):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    model = onnx.load_model_from_string(buffer.getvalue())
    encoding = estimator._encoding()
    if encoding is not None and mode == "rows":
        _prepend_encoding(model, estimator, encoding)
    model.producer_name = "skae"
    from . import __version__

    model.producer_version = __version__
    model.doc_string = f"{type(estimator).__name__} exported by skae.to_onnx"
    onnx.helper.set_model_props(
        model,
        {
            "estimator": type(estimator).__name__,
            "offset": repr(float(estimator.offset_)),
            "n_components": str(estimator.n_components_),
            **(
                {}
                if encoding is None
                else {
                    "categories": json.dumps(
                        [[str(c) for c in cats] for cats in encoding.categories]
                    )
                }
            ),
        },
    )
    onnx.checker.check_model(model)
    return model


def _other_spellings(category) -> list[str]:
    """Strings other than ``str(category)`` that name the same category.

    A zero is 0.0 and -0.0 alike for skae (they compare equal), but not as
    strings; a float32 value (categories are kept as Python floats) is
    written ``"0.1"`` by float32 and ``"0.10000000149011612"`` as a float.
    A whole number is 1, 1.0 and True alike for skae: an integer column
    that a missing value made float is written ``"1.0"``, and the graph
    scored its categories as unseen. The graph takes every spelling, unless
    another category has it."""
    if isinstance(category, bool | np.bool_ | int | np.integer):
        spellings = [str(int(category))] if isinstance(category, bool | np.bool_) else []
        if float(category) == category:
            spellings.append(str(float(category)))
        if category == 0:
            spellings.append("-0.0")
    elif isinstance(category, float | np.floating) and np.isfinite(category):
        spellings = [str(-category)] if category == 0 else []
        with np.errstate(over="ignore"):  # beyond float32: no float32 spelling
            single = np.float32(category)
        if float(single) == float(category):
            spellings.append(str(single))
        if float(category).is_integer() and abs(category) < 2**53:
            spellings.append(str(int(category)))
    else:
        return []
    return list(dict.fromkeys(s for s in spellings if s != str(category)))


def _prepend_encoding(model, estimator: BaseAutoEncoder, encoding) -> None:
    """Give ``model`` (whose input ``"X"`` is the encoded rows) one input per
    input column, and the nodes that encode them as skae does.

    A numeric column is a float32 ``(n_samples, 1)`` input; a categorical one
    a string input holding ``str`` of its categories, "" for a missing entry:
    ``LabelEncoder`` finds each value's index in ``categories_`` (-1 when
    unseen), which becomes its one-hot block (all zeros when unseen), NaN
    where missing.
    """
    from onnx import TensorProto, helper, numpy_helper

    names = [str(c) for c in getattr(estimator, "feature_names_in_", [])] or [
        f"x{j}" for j in range(estimator.n_features_in_)
    ]
    if "" in names:
        raise ValueError(
            f"Column {names.index('')} has the empty name, which an ONNX input cannot "
            "have; rename it to export the model."
        )
    taken = set(OUTPUTS) | {"X"}
    clash = sorted(taken.intersection(names))
    if clash:
        raise ValueError(
            f"Columns {clash} have the names of the exported graph's outputs or of its "
            "encoded rows; rename them to export the model."
        )
    ours = sorted(name for name in names if name.startswith("skae/"))
    if ours:
        raise ValueError(
            f"Columns {ours} have names that begin with 'skae/', which the exported graph "
            "keeps for its own tensors; rename them to export the model."
        )
    graph = model.graph
    _rename_internal(graph, set(names))
    # The encoded rows get an internal name; the columns' names are the inputs.
    encoded = "skae/encoded"
    for node in graph.node:
        node.input[:] = [encoded if name == "X" else name for name in node.input]
    inputs, nodes, initializers, parts = [], [], [], []
    categories = iter(encoding.categories)
    # A category no row of the first fit held is encoded as none (index -1).
    absent = estimator._absent_categories()
    blocks = encoding.blocks()
    for j, (name, categorical) in enumerate(zip(names, encoding.is_categorical, strict=True)):
        if not categorical:
            inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 1]))
            parts.append(name)
            continue
        cats = next(categories)
        labels = [str(c) for c in cats]
        if "" in labels:
            raise ValueError(
                f"Column {name!r} has the empty string as a category, which the exported "
                "graph reads as a missing entry."
            )
        alike = sorted({label for label in labels if labels.count(label) > 1})
        if alike:
            # The graph's inputs are strings: it would take both for the first.
            raise ValueError(
                f"Column {name!r} has categories that are the same as strings ({alike}, "
                "say 1 and '1'), which the exported graph cannot tell apart; convert the "
                "column with .astype(str) before fit to export the model."
            )
        inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, [None, 1]))
        at = f"skae/column{j}"
        index = [-1 if absent[blocks[j][0] + k] else k for k in range(len(labels))]
        keys, values = list(labels), list(index)
        for k, category in enumerate(cats):
            for other in _other_spellings(category):
                if other not in labels and other not in keys:
                    keys.append(other)
                    values.append(index[k])
        initializers += [
            numpy_helper.from_array(np.arange(len(labels), dtype=np.int64)[None], f"{at}/range"),
            numpy_helper.from_array(np.array(np.nan, dtype=np.float32), f"{at}/nan"),
        ]
        nodes += [
            helper.make_node(
                "LabelEncoder",
                [name],
                [f"{at}/index"],
                domain="ai.onnx.ml",
                keys_strings=keys,
                values_int64s=values,
                default_int64=-1,
            ),
            helper.make_node("Equal", [f"{at}/index", f"{at}/range"], [f"{at}/hot"]),
            helper.make_node("Cast", [f"{at}/hot"], [f"{at}/onehot"], to=TensorProto.FLOAT),
            helper.make_node(
                "LabelEncoder",
                [name],
                [f"{at}/is_missing"],
                domain="ai.onnx.ml",
                keys_strings=[""],
                values_int64s=[1],
                default_int64=0,
            ),
            helper.make_node("Cast", [f"{at}/is_missing"], [f"{at}/missing"], to=TensorProto.BOOL),
            helper.make_node(
                "Where", [f"{at}/missing", f"{at}/nan", f"{at}/onehot"], [f"{at}/block"]
            ),
        ]
        parts.append(f"{at}/block")
    nodes.append(helper.make_node("Concat", parts, [encoded], axis=1))
    torch_nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + torch_nodes)
    graph.initializer.extend(initializers)
    del graph.input[:]
    graph.input.extend(inputs)
    model.opset_import.append(helper.make_opsetid("ai.onnx.ml", 2))


def _rename_internal(graph, names: set[str]) -> None:
    """Rename the graph's own tensors (initialisers such as ``mean32``, node
    outputs) that have the name of an input column, which becomes an input:
    a column named ``mean32`` gave a graph onnxruntime could not load."""
    internal = {init.name for init in graph.initializer}
    internal |= {name for node in graph.node for name in node.output}
    internal |= {info.name for info in graph.value_info}
    renamed = {name: f"skae/graph/{name}" for name in internal & names}
    if not renamed:
        return
    for node in graph.node:
        node.input[:] = [renamed.get(name, name) for name in node.input]
        node.output[:] = [renamed.get(name, name) for name in node.output]
    for tensor in (*graph.initializer, *graph.value_info):
        tensor.name = renamed.get(tensor.name, tensor.name)


# ----------------------------------------------------------------------
# skl2onnx
# ----------------------------------------------------------------------
def _parse(scope, model, inputs, custom_parsers=None):
    """skl2onnx's parser for a skae estimator: its outputs, by its options."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    options = scope.get_options(model, {"transform": False, "score_samples": False})
    operator = scope.declare_local_operator(_alias(type(model)), model)
    operator.inputs = inputs
    if options["transform"]:
        operator.outputs.append(scope.declare_local_variable("variable", FloatTensorType()))
        return operator.outputs
    operator.outputs.append(scope.declare_local_variable("label", Int64TensorType()))
    operator.outputs.append(scope.declare_local_variable("scores", FloatTensorType()))
    if options["score_samples"]:
        operator.outputs.append(scope.declare_local_variable("score_samples", FloatTensorType()))
    return operator.outputs


def _shapes(operator) -> None:
    """skl2onnx's shape calculator for a skae estimator."""
    from skl2onnx.common.data_types import FloatTensorType, Int64TensorType

    n = operator.inputs[0].get_first_dimension()
    estimator = operator.raw_operator
    if len(operator.outputs) == 1:
        operator.outputs[0].type = FloatTensorType([n, estimator.n_components_])
        return
    operator.outputs[0].type = Int64TensorType([n, 1])
    for output in operator.outputs[1:]:
        output.type = FloatTensorType([n, 1])


def _embed(scope, operator, container):
    """The graph of :func:`to_onnx` for the operator's estimator, added to
    skl2onnx's container with its names made unique and its inputs wired to
    the operator's; returns the map from the graph's names to the container's."""
    from onnx import helper, numpy_helper

    estimator = operator.raw_operator
    if container.target_opset < MIN_OPSET:
        raise ValueError(
            f"skae's estimators convert with a target_opset of {MIN_OPSET} or more, "
            f"got {container.target_opset}."
        )
    model = to_onnx(estimator, opset=min(container.target_opset, MAX_OPSET))
    prefix = scope.get_unique_variable_name(type(estimator).__name__)
    names: dict[str, str] = {"": ""}

    def local(name: str) -> str:
        if name not in names:
            names[name] = scope.get_unique_variable_name(f"{prefix}_{name}")
        return names[name]

    _wire_inputs(operator, container, model.graph.input, local)
    for tensor in model.graph.initializer:
        array = numpy_helper.to_array(tensor)
        container.add_initializer(local(tensor.name), tensor.data_type, list(array.shape), array)
    # Other domains' nodes (the encoding's LabelEncoder) keep the version
    # they were written for; skl2onnx would take the newest it knows.
    versions = {o.domain: o.version for o in model.opset_import if o.domain}
    for node in model.graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        inputs = list(node.input)
        while inputs and not inputs[-1]:
            # An omitted optional input (Clip's max): skl2onnx would look for
            # a tensor named "".
            inputs.pop()
        container.add_node(
            node.op_type,
            [local(name) for name in inputs],
            [local(name) for name in node.output],
            op_domain=node.domain,
            op_version=versions.get(node.domain),
            name=scope.get_unique_operator_name(f"{prefix}_{node.op_type}"),
            **attributes,
        )
    return local


def _convert(scope, operator, container) -> None:
    """skl2onnx's converter for a skae estimator: the codes, or the
    detector's label and scores."""
    from onnx import TensorProto

    local = _embed(scope, operator, container)
    if len(operator.outputs) == 1:
        container.add_node(
            "Identity", [local("transform")], [operator.outputs[0].full_name], name=local("codes")
        )
        return
    # Columns, as IsolationForest's converter gives its label and scores.
    column = local("column_shape")
    container.add_initializer(column, TensorProto.INT64, [2], [-1, 1])
    container.add_node(
        "Reshape", [local("predict"), column], [operator.outputs[0].full_name], name=local("label")
    )
    methods = ("decision_function", "score_samples")[: len(operator.outputs) - 1]
    for output, method in zip(operator.outputs[1:], methods, strict=True):
        as_float = local(f"{method}_float")
        container.add_node(
            "Cast", [local(method)], [as_float], name=local(f"cast_{method}"), to=TensorProto.FLOAT
        )
        container.add_node(
            "Reshape", [as_float, column], [output.full_name], name=local(f"reshape_{method}")
        )


def _shapes_imputer(operator) -> None:
    """skl2onnx's shape calculator for :class:`AutoEncoderImputer`."""
    from skl2onnx.common.data_types import FloatTensorType

    n = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = FloatTensorType([n, operator.raw_operator.n_features_in_])


def _convert_imputer(scope, operator, container) -> None:
    """skl2onnx's converter for :class:`AutoEncoderImputer`: the rows filled."""
    local = _embed(scope, operator, container)
    container.add_node(
        "Identity", [local("transform")], [operator.outputs[0].full_name], name=local("imputed")
    )


def _wire_inputs(operator, container, graph_inputs, local) -> None:
    """Feed the graph's inputs from the operator's: one to one (a DataFrame's
    columns, categorical ones as strings), or several numeric columns side
    by side into the one input ``"X"``; numbers cast to float32."""
    from onnx import TensorProto
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        Int32TensorType,
        Int64TensorType,
        StringTensorType,
    )

    sources = [source.full_name for source in operator.inputs]
    if len(graph_inputs) == 1 and len(sources) > 1:
        floats = [local(f"column{j}") for j in range(len(sources))]
        for j, (source, column) in enumerate(zip(sources, floats, strict=True)):
            container.add_node(
                "Cast", [source], [column], name=local(f"cast{j}"), to=TensorProto.FLOAT
            )
        container.add_node(
            "Concat", floats, [local(graph_inputs[0].name)], name=local("concat"), axis=1
        )
        return
    if len(graph_inputs) != len(sources):
        raise RuntimeError(
            f"{type(operator.raw_operator).__name__} was fitted on {len(graph_inputs)} "
            f"columns of mixed types, one input each, but is given {len(sources)} inputs. "
            "Inside a ColumnTransformer, skl2onnx hands a step its columns as one tensor: "
            "give a skae step numeric columns there (encode categories in front of it), "
            "or pass the DataFrame to the skae estimator itself."
        )
    for j, (graph_input, source) in enumerate(zip(graph_inputs, sources, strict=True)):
        to = graph_input.type.tensor_type.elem_type
        given = operator.inputs[j].type
        # skl2onnx types a bool column as booleans and an integer one as
        # integers; cast to strings they read "1"/"0" and "3", spellings the
        # graph takes for True/False and 3 (a model fitted on a bool column
        # did not convert). Floats are not cast: their strings need not be
        # Python's.
        as_strings = isinstance(
            given, StringTensorType | BooleanTensorType | Int64TensorType | Int32TensorType
        )
        if to != TensorProto.FLOAT and not as_strings:
            raise RuntimeError(
                f"Input {graph_input.name!r} is a categorical column: give it as strings "
                f"(StringTensorType), not {given}."
            )
        cast = to == TensorProto.FLOAT or not isinstance(given, StringTensorType)
        if to == TensorProto.FLOAT and len(given.shape or []) > 2:
            # Images (n_samples, C, H, W), as a convolutional model is fitted
            # on: the graph takes rows of pixels. Unflattened, the images
            # gave a model that converted and that onnxruntime refused.
            flat = local(f"flat{j}")
            container.add_node("Flatten", [source], [flat], name=local(f"flatten{j}"), axis=1)
            source = flat
        op = "Cast" if cast else "Identity"
        attributes = {"to": to} if cast else {}
        container.add_node(
            op, [source], [local(graph_input.name)], name=local(f"input{j}"), **attributes
        )


def _alias(cls: type) -> str:
    return f"Skae{cls.__name__}"


def _kinds() -> list[type]:
    """Every estimator class of skae (the six kinds, and their subclasses)."""
    seen, todo = [], [BaseAutoEncoder]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return [cls for cls in seen if not inspect.isabstract(cls)]


def _as_transformer(scope, step) -> None:
    """Convert ``step`` as scikit-learn calls it in that position: through
    ``transform``, unless the user's options already say otherwise."""
    from sklearn.pipeline import Pipeline

    if isinstance(step, Pipeline):
        # A pipeline used as a transformer transforms with its last step.
        _as_transformer(scope, step.steps[-1][1])
        return
    if not isinstance(step, BaseAutoEncoder):
        return
    options = scope.options or {}
    if id(step) in options or type(step) in options:
        return
    scope.add_options(id(step), {"transform": True})


def _transforming_parser(original, steps):
    """``original`` (skl2onnx's parser for a composite), after marking the
    children that the composite calls ``transform`` on (``steps(model)``)."""

    def parse(scope, model, inputs, custom_parsers=None):
        for step in steps(model):
            _as_transformer(scope, step)
        return original(scope, model, inputs, custom_parsers=custom_parsers)

    parse.skae_original = original
    return parse


def _pipeline_steps(model) -> list:
    # Every step but the last is a transformer.
    return [step for _, step in model.steps[:-1]]


def _union_steps(model) -> list:
    return [step for _, step in model.transformer_list]


def _column_steps(model) -> list:
    return [step for _, step, _ in model.transformers_]


def register_onnx_converters() -> None:
    """Register skae's estimators with ``skl2onnx``.

    After this call, ``skl2onnx.to_onnx`` converts a fitted skae estimator
    alone, as the last step of a :class:`~sklearn.pipeline.Pipeline` (behind
    a :class:`~sklearn.compose.ColumnTransformer`, say), or as a transformer
    inside one (``Pipeline([StandardScaler, AutoEncoder,
    LogisticRegression])``). As a transformer (a pipeline's intermediate
    step, a part of a ``ColumnTransformer`` or ``FeatureUnion``) its output
    is the codes, as ``transform`` gives. Otherwise it converts as an outlier
    detector with :class:`~sklearn.ensemble.IsolationForest`'s outputs:
    ``label`` (``predict``) and ``scores`` (``decision_function``, float32,
    shape ``(n_samples, 1)``), and ``score_samples`` with the option
    ``{"score_samples": True}``. The option ``{"transform": True}`` converts
    it as a transformer anywhere. :class:`AutoEncoderImputer` converts as
    the transformer it is (its output the rows filled). A model fitted on
    images takes what the sample given to ``skl2onnx`` holds: images
    ``(n_samples, C, H, W)`` or rows of pixels.

    Calling it again does nothing more. Requires ``skl2onnx``
    (``pip install "skae[onnx]"``).

    See Also
    --------
    to_onnx : Export one estimator's inference, every method as an output.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from skl2onnx import to_onnx as convert
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import AutoEncoder, register_onnx_converters
    >>> register_onnx_converters()
    >>> X = np.random.RandomState(0).normal(size=(200, 4)).astype(np.float32)
    >>> detector = make_pipeline(StandardScaler(), AutoEncoder(max_epochs=5, random_state=0))
    >>> detector = detector.fit(X)
    >>> onx = convert(detector, X[:1])
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> label, scores = session.run(None, {"X": X[:5]})
    >>> label.shape, scores.shape  # columns, as IsolationForest's converter gives
    ((5, 1), (5, 1))
    >>> bool(np.array_equal(label[:, 0], detector.predict(X[:5])))
    True
    """
    _require("skl2onnx", "register_onnx_converters")
    from skl2onnx import update_registered_converter, update_registered_parser
    from skl2onnx._parse import sklearn_parsers_map
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import FeatureUnion, Pipeline

    from ._imputer import AutoEncoderImputer

    for cls in _kinds():
        update_registered_converter(
            cls, _alias(cls), _shapes, _convert, parser=_parse, options=SKL2ONNX_OPTIONS
        )
    # The imputer is a plain transformer: skl2onnx's own parser gives it one output.
    update_registered_converter(
        AutoEncoderImputer, _alias(AutoEncoderImputer), _shapes_imputer, _convert_imputer
    )
    # skl2onnx parses each step without telling it where it stands; the
    # composites' parsers are wrapped to say which children transform.
    for composite, steps in (
        (Pipeline, _pipeline_steps),
        (FeatureUnion, _union_steps),
        (ColumnTransformer, _column_steps),
    ):
        original = sklearn_parsers_map[composite]
        if not hasattr(original, "skae_original"):
            update_registered_parser(composite, _transforming_parser(original, steps))
