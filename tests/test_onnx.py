"""ONNX export: onnxruntime gives what the estimators give, alone and in pipelines."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import DENSE_KINDS, FAST_ESTIMATORS
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skae import (
    AutoEncoder,
    AutoEncoderImputer,
    ConvolutionalAutoEncoder,
    VariationalAutoEncoder,
    register_onnx_converters,
    to_onnx,
)

onnx = pytest.importorskip("onnx")
onnxruntime = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
# The data hold a row with no observed value, which score_samples warns about.
pytestmark = pytest.mark.filterwarnings("ignore:.*no observed value")

#: float32 precision: each output within 1e-5 of skae's, relative to the
#: output's largest magnitude (an entry near zero has no relative precision).
RTOL = 1e-5


def _close(actual, expected):
    expected = np.asarray(expected, dtype=np.float64)
    atol = RTOL * np.abs(expected[np.isfinite(expected)]).max()
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=atol)


def _session(model):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _run(session, feeds):
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds), strict=True))


@pytest.fixture(scope="module")
def data():
    """Training rows in mixed units, and other rows to check on: drawn from
    the same model, with outliers, a missing entry and a row beyond the
    training range."""
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(2, 6))
    units = np.array([1.0, 10.0, 100.0, 0.1, 1000.0, 1.0])

    def draw(n):
        return ((rng.normal(size=(n, 2)) @ mixing + 0.1 * rng.normal(size=(n, 6))) * units).astype(
            np.float32
        )

    X, X_new = draw(200), draw(60)
    X_new[:5] += 5 * units.astype(np.float32)
    X_new[7, 3] = np.nan
    X_new[8, [0, 4]] = np.nan
    X_new[9] = np.nan  # nothing observed: scores offset_ in the graph too
    return X, X_new


@pytest.mark.parametrize("name", sorted(FAST_ESTIMATORS))
def test_onnxruntime_gives_every_method_of_every_kind(name, data):
    X, X_new = data
    params = {"image_shape": (1, 2, 3)} if name == "ConvolutionalAutoEncoder" else {}
    est = FAST_ESTIMATORS[name](**params).fit(X)
    out = _run(_session(to_onnx(est)), {"X": X_new})
    codes = est.transform(X_new)
    _close(out["transform"], codes)
    _close(out["inverse_transform"], est.inverse_transform(codes))
    _close(out["score_samples"], est.score_samples(X_new))
    _close(out["decision_function"], est.decision_function(X_new))
    np.testing.assert_array_equal(out["predict"], est.predict(X_new))
    # Outliers among the new rows: the labels are not all one.
    assert set(np.unique(out["predict"])) == {-1, 1}
    assert out["transform"].dtype == np.float32 and out["predict"].dtype == np.int64
    # A row's outputs do not depend on the rows it is batched with.
    one = _run(_session(to_onnx(est)), {"X": X_new[7:8]})
    _close(one["score_samples"], out["score_samples"][7:8])


@pytest.mark.parametrize(
    "est",
    [
        AutoEncoder(architecture="conv", image_shape=(1, 4, 4), hidden_layer_sizes=(4,)),
        AutoEncoder(loss="binary_crossentropy"),
        VariationalAutoEncoder(n_importance_samples=4),
        VariationalAutoEncoder(loss="binary_crossentropy"),
    ],
    ids=["conv", "bce", "iwae", "bernoulli"],
)
def test_onnxruntime_follows_architecture_and_loss(est):
    rng = np.random.RandomState(1)
    X = rng.uniform(size=(150, 16)).astype(np.float32)
    X_new = rng.uniform(size=(40, 16)).astype(np.float32)
    est.set_params(max_epochs=5, random_state=0).fit(X)
    if est.loss == "binary_crossentropy":
        # Outside [0, 1] a value has likelihood 0: -inf in the graph too.
        X_new[:3, 2] = [-0.5, 1.5, 40.0]
        assert np.isneginf(est.score_samples(X_new[:3])).all()
    out = _run(_session(to_onnx(est)), {"X": X_new})
    _close(out["transform"], est.transform(X_new))
    _close(out["inverse_transform"], est.inverse_transform(est.transform(X_new)))
    _close(out["score_samples"], est.score_samples(X_new))
    np.testing.assert_array_equal(out["predict"], est.predict(X_new))


@pytest.mark.parametrize("params", [{}, {"loss": "binary_crossentropy"}], ids=["feature", "bce"])
def test_a_column_never_observed_at_fit_is_read_as_missing_in_the_graph(params):
    rng = np.random.RandomState(1)
    X = rng.uniform(size=(150, 6)).astype(np.float32)
    X[:, 4] = np.nan
    with pytest.warns(UserWarning, match="no observed value"):
        est = AutoEncoder(max_epochs=3, random_state=0, **params).fit(X)
    X_new = rng.uniform(size=(40, 6)).astype(np.float32)  # column 4 now reports
    # A row whose only value is there has no observed value: offset_ (the
    # graph tested the raw row, and scored it on its code alone; a review).
    X_new[0, [0, 1, 2, 3, 5]] = np.nan
    out = _run(_session(to_onnx(est)), {"X": X_new})
    assert out["score_samples"][0] == pytest.approx(est.offset_)
    _close(out["transform"], est.transform(X_new))
    _close(out["score_samples"], est.score_samples(X_new))
    np.testing.assert_array_equal(out["predict"], est.predict(X_new))
    hidden = X_new.copy()
    hidden[:, 4] = np.nan
    _close(out["score_samples"], est.score_samples(hidden))


def test_decoder_graph_is_inverse_transform(data):
    X, _ = data
    est = AutoEncoder(n_components=3, max_epochs=5, random_state=0).fit(X)
    codes = np.random.RandomState(2).normal(size=(30, 3)).astype(np.float32)
    out = _run(_session(to_onnx(est, decoder=True)), {"codes": codes})
    assert list(out) == ["inverse_transform"]
    _close(out["inverse_transform"], est.inverse_transform(codes))
    codes[::3, 1] = np.nan
    out = _run(_session(to_onnx(est, decoder=True)), {"codes": codes})
    _close(out["inverse_transform"], est.inverse_transform(codes))


def test_exported_model_is_checked_and_described(data):
    X, _ = data
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    model = to_onnx(est, opset=17)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    props = {p.key: p.value for p in model.metadata_props}
    assert props["estimator"] == "AutoEncoder"
    assert float(props["offset"]) == est.offset_
    assert [i.name for i in model.graph.input] == ["X"]
    assert [o.name for o in model.graph.output] == [
        "transform",
        "inverse_transform",
        "score_samples",
        "decision_function",
        "predict",
    ]


def test_export_refuses_what_it_cannot_carry(data):
    X, _ = data
    with pytest.raises(Exception, match="not fitted"):
        to_onnx(AutoEncoder())
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    for opset in (30, 18.0, "18", True):
        with pytest.raises(ValueError, match="opset must be an integer between"):
            to_onnx(est, opset=opset)
    # Before 13 onnxruntime would refuse the graph (integer Clip, Unflatten).
    with pytest.raises(ValueError, match="between 13 and"):
        to_onnx(est, opset=12)
    colour = np.where(X[:, 1] > 0, "red", "")
    frame = pd.DataFrame({"size": X[:, 0], "colour": colour})
    with pytest.raises(ValueError, match="'colour' has the empty string as a category"):
        to_onnx(AutoEncoder(max_epochs=2, random_state=0).fit(frame))
    frame = pd.DataFrame({"predict": X[:, 0], "colour": np.where(X[:, 1] > 0, "red", "blue")})
    with pytest.raises(ValueError, match=r"Columns \['predict'\] have the names"):
        to_onnx(AutoEncoder(max_epochs=2, random_state=0).fit(frame))
    frame = pd.DataFrame({"": X[:, 0], "colour": np.where(X[:, 1] > 0, "red", "blue")})
    with pytest.raises(ValueError, match="Column 0 has the empty name"):
        to_onnx(AutoEncoder(max_epochs=2, random_state=0).fit(frame))
    # 1 and "1" are both the string "1" at the graph's input.
    alike = pd.Series(["1"] * len(X), dtype=object)
    alike[X[:, 1] > 0] = 1
    frame = pd.DataFrame({"size": X[:, 0], "code": alike})
    with pytest.raises(ValueError, match=r"'code' has categories that are the same as strings"):
        to_onnx(AutoEncoder(max_epochs=2, random_state=0).fit(frame))
    with pytest.raises(TypeError, match="got PCA"):
        to_onnx(PCA(2).fit(X))
    # The graph's rows are float32: 1e-165 is 0 there, 1e39 infinite.
    wide = X.astype(np.float64)
    # Mutation audit: a feature centred on 0 whose spread float32 cannot hold.
    spread = np.where(np.arange(len(X)) % 2, 1.0, -1.0)[:, None] * 1e39
    # A mean of -1e39 as of 1e39, and a feature whose scale is subnormal in
    # float32 (units of 1e-43: the graph's scores were 6e-3 off).
    for units in (
        wide * 1e-165,
        np.hstack([wide, np.full((len(X), 1), 1e39)]),
        np.hstack([wide, np.full((len(X), 1), -1e39)]),
        np.hstack([wide, spread]),
        np.hstack([wide, wide[:, :1] * 1e-43]),
    ):
        tiny = AutoEncoder(max_epochs=2, random_state=0).fit(units)
        with pytest.raises(ValueError, match="float32 cannot hold"):
            to_onnx(tiny)


def test_exported_file_scores_without_torch_or_skae(data, tmp_path):
    X, X_new = data
    est = VariationalAutoEncoder(max_epochs=5, random_state=0).fit(X)
    onnx.save(to_onnx(est), tmp_path / "model.onnx")
    np.save(tmp_path / "rows.npy", X_new)
    script = (
        "import sys\n"
        # Any import of torch or skae now fails.
        "sys.modules['torch'] = None\n"
        "sys.modules['skae'] = None\n"
        "import numpy as np, onnxruntime\n"
        f"folder = {str(tmp_path)!r}\n"
        "session = onnxruntime.InferenceSession(folder + '/model.onnx')\n"
        "rows = np.load(folder + '/rows.npy')\n"
        "np.save(folder + '/scores.npy', session.run(['score_samples'], {'X': rows})[0])\n"
        "assert 'torch' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    _close(np.load(tmp_path / "scores.npy"), est.score_samples(X_new))


# ----------------------------------------------------------------------
# skl2onnx
# ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def convert():
    register_onnx_converters()
    register_onnx_converters()  # twice does nothing more
    return skl2onnx.to_onnx


def _converts_like_fitted(convert, classifier, X_train, X_new):
    """Convert a fitted pipeline ending in LogisticRegression; onnxruntime
    must give its labels and, within 1e-5, its probabilities on ``X_new``."""
    model = convert(classifier, X_train[:1], options={LogisticRegression: {"zipmap": False}})
    label, proba = _session(model).run(None, {"X": X_new})
    np.testing.assert_array_equal(label, classifier.predict(X_new))
    np.testing.assert_allclose(proba, classifier.predict_proba(X_new), atol=1e-5)


def test_pipeline_with_codes_as_features_converts(convert, data):
    X, X_new = data
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    pipe = make_pipeline(
        StandardScaler(),
        AutoEncoder(n_components=3, max_epochs=5, random_state=0),
        LogisticRegression(),
    ).fit(X, y)
    _converts_like_fitted(convert, pipe, X, X_new)


def test_detector_behind_column_transformer_converts(convert, data):
    X, X_new = data
    rng = np.random.RandomState(3)

    def frame(rows):
        return pd.DataFrame(
            {"a": rows[:, 0], "b": rows[:, 1], "colour": rng.choice(["red", "blue"], len(rows))}
        )

    train, new = frame(X), frame(np.nan_to_num(X_new))
    encode = ColumnTransformer(
        [("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(), ["colour"])],
        sparse_threshold=0,
    )
    detector = make_pipeline(encode, AutoEncoder(max_epochs=5, random_state=0)).fit(train)
    types = skl2onnx.common.data_types
    model = convert(
        detector,
        initial_types=[
            ("a", types.FloatTensorType([None, 1])),
            ("b", types.FloatTensorType([None, 1])),
            ("colour", types.StringTensorType([None, 1])),
        ],
        options={AutoEncoder: {"score_samples": True}},
    )
    session = _session(model)
    assert [o.name for o in session.get_outputs()] == ["label", "scores", "score_samples"]
    feeds = {
        "a": new[["a"]].to_numpy(np.float32),
        "b": new[["b"]].to_numpy(np.float32),
        "colour": new[["colour"]].to_numpy(object),
    }
    label, scores, score_samples = session.run(None, feeds)
    np.testing.assert_array_equal(label, detector.predict(new)[:, None])
    assert scores.shape == (len(new), 1)
    _close(scores[:, 0], detector.decision_function(new))
    _close(score_samples[:, 0], detector.score_samples(new))


def test_union_and_transform_option_convert_codes(convert, data):
    X, X_new = data
    X_new = np.nan_to_num(X_new)  # PCA takes no missing values
    y = (X[:, 1] > np.median(X[:, 1])).astype(int)
    union = make_pipeline(
        StandardScaler(),
        make_union(PCA(2), VariationalAutoEncoder(n_components=2, max_epochs=5, random_state=0)),
        LogisticRegression(),
    ).fit(X, y)
    _converts_like_fitted(convert, union, X, X_new)

    # Alone, the option {"transform": True} gives the codes, from float64 rows too.
    est = AutoEncoder(max_epochs=5, random_state=0).fit(X)
    model = convert(est, X[:1].astype(np.float64), options={id(est): {"transform": True}})
    (codes,) = _session(model).run(None, {"X": X_new.astype(np.float64)})
    _close(codes, est.transform(X_new))


@pytest.mark.parametrize("cls", DENSE_KINDS, ids=lambda cls: cls.__name__)
def test_every_dense_kind_converts_as_detector(convert, cls, data):
    X, X_new = data
    est = FAST_ESTIMATORS[cls.__name__](max_epochs=3).fit(X)
    label, scores = _session(convert(est, X[:1])).run(None, {"X": X_new})
    # Columns, as a converted IsolationForest gives them.
    np.testing.assert_array_equal(label, est.predict(X_new)[:, None])
    _close(scores[:, 0], est.decision_function(X_new))


def test_a_model_fitted_on_images_converts_from_an_image_sample(convert):
    """Found by a probe: a convolutional model fitted on 4-D images, given a
    4-D sample, converted into a graph that onnxruntime refused (its input
    was the images, its first node wanted rows of pixels)."""
    rng = np.random.RandomState(0)
    images = rng.rand(100, 1, 4, 4).astype(np.float32)
    new = rng.rand(9, 1, 4, 4).astype(np.float32)
    new[0] += 3.0
    est = ConvolutionalAutoEncoder(max_epochs=2, random_state=0).fit(images)
    pipe = make_pipeline(ConvolutionalAutoEncoder(max_epochs=2, random_state=0)).fit(images)
    for model in (est, pipe):
        label, scores = _session(convert(model, images[:1])).run(None, {"X": new})
        np.testing.assert_array_equal(label, model.predict(new)[:, None])
        _close(scores[:, 0], model.decision_function(new))
    # Rows of pixels still convert as before.
    flat = new.reshape(len(new), -1)
    label, scores = _session(convert(est, flat[:1])).run(None, {"X": flat})
    np.testing.assert_array_equal(label, est.predict(flat)[:, None])


@pytest.fixture(scope="module")
def table():
    """A mixed table: numbers that depend on a category, a flag, and new rows
    with an unseen category, a missing category and a missing number."""
    rng = np.random.RandomState(4)
    n = 400
    colour = rng.choice(["red", "green", "blue"], n, p=[0.6, 0.3, 0.1])
    size = np.where(colour == "red", 1.0, 3.0) + 0.3 * rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "size": size,
            "colour": pd.Categorical(colour),
            "flag": rng.uniform(size=n) > 0.5,
            "weight": 10 * rng.normal(size=n),
        }
    )
    new = frame.iloc[:40].copy()
    new.loc[2, "colour"] = np.nan
    new["colour"] = new["colour"].astype(object)
    new.loc[3, "colour"] = "purple"
    new.loc[4, "size"] = np.nan
    return frame, new


def _feeds(est, frame):
    """A DataFrame as the exported graph's inputs: one per column."""
    feeds = {}
    for name, categorical in zip(frame.columns, est.is_categorical_, strict=True):
        column = frame[[name]]
        if categorical:
            feeds[name] = column.astype(object).where(column.notna(), "").astype(str).to_numpy()
        else:
            feeds[name] = column.to_numpy(np.float32)
    return feeds


@pytest.mark.parametrize("cls", DENSE_KINDS, ids=lambda cls: cls.__name__)
def test_categorical_columns_are_encoded_inside_the_graph(cls, table):
    frame, new = table
    est = FAST_ESTIMATORS[cls.__name__]().fit(frame)
    model = to_onnx(est)
    assert [(i.name, i.type.tensor_type.elem_type) for i in model.graph.input] == [
        ("size", onnx.TensorProto.FLOAT),
        ("colour", onnx.TensorProto.STRING),
        ("flag", onnx.TensorProto.STRING),
        ("weight", onnx.TensorProto.FLOAT),
    ]
    out = _run(_session(model), _feeds(est, new))
    _close(out["transform"], est.transform(new))
    _close(out["score_samples"], est.score_samples(new))
    np.testing.assert_array_equal(out["predict"], est.predict(new))
    # The unseen colour makes its row the least normal of all.
    assert np.argmin(out["score_samples"]) == 3
    # Reconstructions: numbers in their units, a category as its index.
    expected = est.inverse_transform(est.transform(new))
    _close(out["inverse_transform"][:, [0, 3]], expected[["size", "weight"]].to_numpy())
    categories = json.loads({p.key: p.value for p in model.metadata_props}["categories"])
    assert categories == [["blue", "green", "red"], ["False", "True"]]
    colours = np.array(categories[0])[out["inverse_transform"][:, 1].astype(int)]
    np.testing.assert_array_equal(colours, expected["colour"].astype(str))
    flags = out["inverse_transform"][:, 2].astype(bool)
    np.testing.assert_array_equal(flags, expected["flag"].to_numpy(bool))


def test_integer_columns_come_back_rounded_within_their_dtype_as_inverse_transform_gives(table):
    """Probe finding: the graph's reconstruction of an int64 column was the
    float 2.197 where inverse_transform gives 2; an int8 one is also held
    within -128..127."""
    frame, new = table
    frame = frame.assign(count=(frame["size"] * 3).round().astype(np.int64))
    frame["small"] = (frame["weight"] / 2).round().clip(-128, 127).astype(np.int8)
    new = new.assign(count=frame["count"].iloc[:40], small=frame["small"].iloc[:40])
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(frame)
    out = _run(_session(to_onnx(est)), _feeds(est, new))
    expected = est.inverse_transform(est.transform(new))
    reconstructed = out["inverse_transform"][:, [4, 5]]
    np.testing.assert_array_equal(reconstructed, expected[["count", "small"]].to_numpy(np.float32))
    assert (reconstructed == np.round(reconstructed)).all()


def test_columns_named_like_the_graphs_own_tensors_are_inputs(table):
    """A column named after an initialiser (``mean32``) or a node's output
    was both an input and that tensor: onnxruntime refused the graph. The
    graph's own tensors are renamed; names in its namespace are refused."""
    frame, new = table
    renames = {"size": "mean32", "weight": "/Sub_output_0"}
    frame, new = frame.rename(columns=renames), new.rename(columns=renames)
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(frame)
    out = _run(_session(to_onnx(est)), _feeds(est, new))
    _close(out["score_samples"], est.score_samples(new))
    ours = FAST_ESTIMATORS["AutoEncoder"]().fit(frame.rename(columns={"mean32": "skae/encoded"}))
    with pytest.raises(ValueError, match=r"begin with 'skae/'"):
        to_onnx(ours)


def test_a_category_no_training_row_held_is_encoded_as_none_in_the_graph(table):
    """skae encodes a category that the dtype lists but no row of the first
    fit held as none; the graph's LabelEncoder maps it to -1 as well."""
    frame, _ = table
    listed = frame.assign(
        colour=pd.Categorical(frame["colour"], categories=["blue", "green", "purple", "red"])
    )
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(listed)
    rows = listed.iloc[:10].assign(
        colour=pd.Categorical(["purple"] * 10, categories=listed["colour"].cat.categories)
    )
    out = _run(_session(to_onnx(est)), _feeds(est, rows))
    _close(out["transform"], est.transform(rows))
    _close(out["score_samples"], est.score_samples(rows))


def test_a_zero_category_is_one_category_in_the_graph_whatever_its_sign(table):
    # skae takes 0.0 and -0.0 for one category (they compare equal); the
    # graph reads strings, so it must take "0.0" and "-0.0" for it too.
    frame, _ = table
    rounded = frame.assign(level=np.round(frame["weight"] / 10))
    assert (np.signbit(rounded["level"]) & (rounded["level"] == 0)).any()
    assert (~np.signbit(rounded["level"]) & (rounded["level"] == 0)).any()
    est = FAST_ESTIMATORS["AutoEncoder"](categorical_features=["colour", "flag", "level"])
    est.fit(rounded)
    zeros = [c for c in est.categories_[-1] if c == 0]
    assert len(zeros) == 1
    out = _run(_session(to_onnx(est)), _feeds(est, rounded))
    _close(out["score_samples"], est.score_samples(rounded))
    _close(out["transform"], est.transform(rounded))


def test_float32_categories_are_found_as_float32_writes_them():
    # Categories are kept as Python floats, so a float32 0.1 is the string
    # "0.10000000149011612" in the graph; str() of the float32 value, "0.1",
    # must find it too.
    rng = np.random.RandomState(0)
    levels = np.array([0.1, 0.2, 0.7], dtype=np.float32)
    X = np.column_stack([rng.choice(levels, 300), rng.normal(size=(300, 2))]).astype(np.float32)
    est = FAST_ESTIMATORS["AutoEncoder"](categorical_features=[0]).fit(X)
    assert str(est.categories_[0][0]) == "0.10000000149011612"
    feeds = {"x0": X[:, :1].astype(str), "x1": X[:, 1:2], "x2": X[:, 2:3]}
    assert set(feeds["x0"].ravel()) == {"0.1", "0.2", "0.7"}
    out = _run(_session(to_onnx(est)), feeds)
    _close(out["score_samples"], est.score_samples(X))


def test_whole_number_categories_are_found_however_they_are_written():
    """skae takes 1, 1.0 and True for one category; an integer column that a
    missing value made float is written "1.0", which the graph scored as
    unseen (every such row flagged)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice([1, 2, 3], 300)})
    est = FAST_ESTIMATORS["AutoEncoder"](categorical_features=["c"]).fit(frame)
    session = _session(to_onnx(est))
    rows = frame.iloc[:20]
    expected = est.score_samples(rows)
    for spelling in (str, lambda v: str(float(v))):
        feeds = {"x": rows[["x"]].to_numpy(np.float32), "c": rows[["c"]].map(spelling).to_numpy()}
        _close(_run(session, feeds)["score_samples"], expected)
    # Zero too is 0, 0.0, -0.0 and False alike.
    from skae._onnx import _other_spellings

    assert _other_spellings(0) == ["0.0", "-0.0"]
    assert _other_spellings(False) == ["0", "0.0", "-0.0"]
    # Mutation audit: only the spellings of the same number. A fraction is
    # no integer, 1/3 no float32 value, 2**53 + 1 no float.
    assert _other_spellings(3) == ["3.0"] and _other_spellings(3.0) == ["3"]
    assert _other_spellings(float(np.float32(0.1))) == ["0.1"]
    assert _other_spellings(0.1) == [] and _other_spellings(2.5) == []
    assert _other_spellings(1 / 3) == []
    assert _other_spellings(2**53 + 1) == []


def test_categorical_model_converts_from_a_dataframe(convert, table):
    frame, new = table
    est = AutoEncoder(max_epochs=5, random_state=0).fit(frame)
    frame = frame.astype({"colour": object, "flag": str})
    model = convert(est, frame[:1], options={AutoEncoder: {"score_samples": True}})
    feeds = _feeds(est, new)
    for name in ("size", "weight"):
        feeds[name] = feeds[name].astype(np.float64)  # skl2onnx reads them as doubles
    label, scores, score_samples = _session(model).run(None, feeds)
    np.testing.assert_array_equal(label, est.predict(new)[:, None])
    _close(score_samples[:, 0], est.score_samples(new))
    # A categorical column declared as numbers is refused, by name.
    types = skl2onnx.common.data_types
    numbers = [(name, types.FloatTensorType([None, 1])) for name in frame.columns]
    with pytest.raises(RuntimeError, match="'colour' is a categorical column"):
        convert(est, initial_types=numbers)
    with pytest.raises(RuntimeError, match="fitted on 4 columns .* given 1 inputs"):
        convert(est, initial_types=[("X", types.FloatTensorType([None, 4]))])


def test_bool_and_integer_categorical_columns_convert_as_skl2onnx_types_them(convert):
    """Found by an independent probe: skl2onnx types a bool column as
    booleans (and an integer one as integers), and a model fitted on a
    DataFrame with a bool column did not convert ("give it as strings").
    They are cast to strings in the graph ("1"/"0", "3"), which name their
    categories; an integer never seen at fit is an unseen category there as
    in Python."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"v": rng.normal(size=300), "f": rng.uniform(size=300) > 0.5, "k": rng.randint(0, 3, 300)}
    )
    est = AutoEncoder(max_epochs=3, random_state=0, categorical_features=["f", "k"]).fit(frame)
    model = convert(est, frame[:1], options={AutoEncoder: {"score_samples": True}})
    new = frame[:40].copy()
    new.loc[:9, "k"] = 7
    feeds = {name: new[[name]].to_numpy() for name in new.columns}
    label, _, score_samples = _session(model).run(None, feeds)
    np.testing.assert_array_equal(label, est.predict(new)[:, None])
    _close(score_samples[:, 0], est.score_samples(new))
    assert (est.score_samples(new[:10]) < est.score_samples(frame[:10])).all()
    # int32 too (mutation audit: it was refused as "give it as strings").
    narrow = new.astype({"k": np.int32})
    model = convert(est, narrow[:1], options={AutoEncoder: {"score_samples": True}})
    feeds = {name: narrow[[name]].to_numpy() for name in narrow.columns}
    assert feeds["k"].dtype == np.int32
    _close(_session(model).run(None, feeds)[2][:, 0], est.score_samples(new))


def test_numbers_declared_as_strings_are_parsed_in_the_graph(convert):
    """Mutation audit: a numeric column that skl2onnx is told holds strings
    is cast to float32 in the graph (an identity made a graph onnxruntime
    refuses)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "c": rng.choice(["a", "b"], 300)})
    est = AutoEncoder(max_epochs=3, random_state=0).fit(frame)
    strings = skl2onnx.common.data_types.StringTensorType([None, 1])
    model = convert(est, initial_types=[("x", strings), ("c", strings)])
    rows = frame.iloc[:20]
    written = rows[["x"]].astype(np.float32).astype(str)
    feeds = {"x": written.to_numpy(), "c": rows[["c"]].to_numpy()}
    _close(_session(model).run(None, feeds)[1][:, 0], est.decision_function(rows))


def test_nullable_and_legacy_numeric_columns_decode_as_inverse_transform_does():
    """Mutation audit: a nullable ``Int64`` column exports (its range read
    from its numpy dtype) and comes back rounded as inverse_transform gives
    it; a model from before the numeric dtypes were kept decodes its numbers
    as float64, unrounded."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "n": pd.array(rng.randint(0, 9, 300), dtype="Int64"),
            "c": rng.choice(["a", "b"], 300),
        }
    )
    frame.loc[::10, "n"] = pd.NA
    est = AutoEncoder(max_epochs=3, random_state=0).fit(frame)
    rows = frame.iloc[1:9]
    feeds = {
        "x": rows[["x"]].to_numpy(np.float32),
        "n": rows[["n"]].astype("float32").to_numpy(np.float32),
        "c": rows[["c"]].to_numpy(object),
    }
    expected = est.inverse_transform(est.transform(rows))
    out = _run(_session(to_onnx(est)), feeds)["inverse_transform"]
    np.testing.assert_array_equal(out[:, 1], expected["n"].to_numpy(np.float32))
    _close(out[:, 0], expected["x"])
    del est._numeric_kinds  # as a model saved by an older skae
    out = _run(_session(to_onnx(est)), feeds)["inverse_transform"]
    assert (out[:, 1] != np.round(out[:, 1])).any()
    _close(out[:, :2], est.inverse_transform(est.transform(rows))[["x", "n"]].to_numpy(float))


def test_imputer_exports_and_converts_in_a_pipeline(convert, data):
    X, X_new = data
    rng = np.random.RandomState(5)
    holed = X.copy()
    holed[rng.uniform(size=X.shape) < 0.1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=5, random_state=0)).fit(holed)
    (filled,) = _session(to_onnx(imputer)).run(None, {"X": X_new})
    expected = imputer.transform(X_new)
    assert not np.isnan(filled).any()
    _close(filled, expected)
    # The observed entries pass through unchanged.
    observed = ~np.isnan(X_new)
    np.testing.assert_array_equal(filled[observed], X_new[observed])

    # skl2onnx types its output with every column (mutation audit: one).
    dims = convert(imputer, X[:1]).graph.output[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == X.shape[1]

    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    pipe = make_pipeline(
        AutoEncoderImputer(AutoEncoder(max_epochs=5, random_state=0)), LogisticRegression()
    ).fit(holed, y)
    _converts_like_fitted(convert, pipe, holed, X_new)

    with pytest.raises(ValueError, match="no decoder"):
        to_onnx(imputer, decoder=True)
    table = pd.DataFrame({"size": X[:, 0], "colour": np.where(X[:, 1] > 0, "red", "blue")})
    with pytest.raises(ValueError, match="categorical columns does not export"):
        to_onnx(AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(table))


def test_an_imputer_s_category_of_numbers_is_filled_with_its_levels_in_the_graph():
    """A probe's finding: the exported imputer filled a category of numbers
    read as numbers with its raw reconstruction (5.02, 4.85) where the
    imputer's transform gives the nearest level it was fitted with (5)."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=300)
    frame = pd.DataFrame(
        {
            "a": a,
            "b": a + 0.3 * rng.normal(size=300),
            "level": pd.Categorical(np.round(np.clip(2 * a + 5, 0, 10))),
        }
    )
    frame.loc[::7, "level"] = np.nan
    frame.loc[::5, "a"] = np.nan
    estimator = AutoEncoder(max_epochs=5, random_state=0, categorical_features=None)
    imputer = AutoEncoderImputer(estimator).fit(frame)
    rows = frame.astype({"level": float}).to_numpy(np.float32)
    (filled,) = _session(to_onnx(imputer)).run(None, {"X": rows})
    expected = imputer.transform(frame)
    assert set(np.unique(filled[::7, 2])) <= set(frame["level"].cat.categories)
    _close(filled, expected)


def test_export_leaves_the_estimator_as_it_was(data):
    X, X_new = data
    est = VariationalAutoEncoder(max_epochs=3, random_state=0).fit(X)
    before = est.score_samples(X_new)
    weights = {k: v.clone() for k, v in est.net_.module_.state_dict().items()}
    to_onnx(est)
    np.testing.assert_array_equal(est.score_samples(X_new), before)
    for name, value in est.net_.module_.state_dict().items():
        assert torch.equal(value, weights[name]), name
    # Training goes on after an export, and still learns.
    losses = est.net_.history[:, "train_loss"]
    est.partial_fit(X)
    assert est.net_.history[-1, "train_loss"] < losses[0]


def test_a_model_from_another_device_is_exported_from_a_cpu_copy(data):
    """The path a GPU-fitted model takes (the real GPU run is in test_gpu.py):
    the export works on a CPU copy and leaves the model as it was."""
    X, X_new = data
    est = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    est.device_ = torch.device("cuda")  # as if fitted there; the tensors stay here
    out = _run(_session(to_onnx(est)), {"X": X_new})
    assert est.device_ == torch.device("cuda")
    est.device_ = torch.device("cpu")
    _close(out["score_samples"], est.score_samples(X_new))


def test_a_column_transformer_of_mixed_columns_says_what_to_do():
    from skae import register_onnx_converters

    skl2onnx = pytest.importorskip("skl2onnx")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=200), "y": rng.normal(size=200), "k": rng.choice(["a", "b"], 200)}
    )
    ct = ColumnTransformer(
        [("ae", AutoEncoder(max_epochs=2, random_state=0), ["x", "k"]), ("s", "passthrough", ["y"])]
    ).fit(frame)
    register_onnx_converters()
    with pytest.raises(RuntimeError, match="give a skae step numeric columns"):
        skl2onnx.to_onnx(ct, frame[:1])


def test_a_subclass_branch_on_a_tensor_is_reported():
    """Probe finding: to_onnx silenced every warning of the trace, so a
    subclass's module that branched on a tensor (frozen into the graph as the
    example took it) exported without a word. Its TracerWarning is passed on;
    skae's own modules' are not."""
    import warnings

    from skae._architectures import DeterministicLatent

    class BranchingLatent(DeterministicLatent):
        def forward(self, h):
            if h.sum() > 0:  # frozen into the graph
                h = h * 1.0
            return super().forward(h)

    class Branching(AutoEncoder):
        def _make_latent(self):
            return BranchingLatent()

    X = np.random.RandomState(0).normal(size=(60, 4))
    plain = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        to_onnx(plain)
    assert not [w for w in caught if issubclass(w.category, torch.jit.TracerWarning)]
    model = Branching(max_epochs=1, random_state=0).fit(X)
    with pytest.warns(torch.jit.TracerWarning, match="Python boolean") as record:
        to_onnx(model)
    assert {w.filename for w in record} == {__file__}


# --- regressions from a mutation audit of skae/_onnx.py --------------------------
def test_a_categorical_column_named_like_the_encoded_rows_is_refused():
    """Mutation audit: a categorical model's graph keeps its encoded rows in a
    tensor named "X", so a column named "X" is refused with the columns
    named like the graph's outputs. The mutant (only the outputs' names
    taken) exported a graph where the column was the encoded rows too: its
    score_samples disagreed with the estimator's."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {"X": rng.normal(size=200), "colour": np.where(rng.normal(size=200) > 0, "red", "blue")}
    )
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(frame)
    with pytest.raises(ValueError, match=r"Columns \['X'\] have the names of the exported graph"):
        to_onnx(est)


def test_a_whole_number_float_category_is_found_written_as_an_integer():
    """Mutation audit: a float category 2.0 is the same category as 2 for
    skae, so the graph takes "2" as well as "2.0" for it and scores the rows
    as the estimator does. The mutant (no integer spelling for a float
    category) scored "2" as an unseen category, some 50 nats lower."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "size": rng.normal(size=300).astype(np.float32),
            "grade": rng.choice([1.0, 2.0, 3.0], size=300),
        }
    )
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=3, categorical_features=["grade"]).fit(frame)
    assert list(est.categories_[0]) == [1.0, 2.0, 3.0]
    rows = frame.iloc[:10].assign(grade=2.0)
    expected = est.score_samples(rows)
    session = _session(to_onnx(est))
    size = rows[["size"]].to_numpy(np.float32)
    for spelling in ("2.0", "2"):
        grade = np.full((len(rows), 1), spelling, dtype=object)
        _close(_run(session, {"size": size, "grade": grade})["score_samples"], expected)


def test_a_nested_pipeline_used_as_a_transformer_converts(convert, data):
    """Mutation audit: a pipeline ending in a skae estimator, used as a step
    of another pipeline, is called through transform, so its last step is
    converted as a transformer (its codes). The mutant (no nested-pipeline
    branch) converted the inner AutoEncoder as a detector, whose several
    outputs skl2onnx refused to feed to LogisticRegression."""
    X, X_new = data
    y = (X[:, 0] > np.median(X[:, 0])).astype(int)
    inner = make_pipeline(StandardScaler(), AutoEncoder(max_epochs=3, random_state=0))
    pipe = make_pipeline(inner, LogisticRegression()).fit(X, y)
    _converts_like_fitted(convert, pipe, X, X_new)


def test_the_metadata_gives_the_fitted_number_of_codes():
    """Mutation audit: the metadata's n_components is the fitted number of
    codes (n_components_, what the graph's transform gives), not the
    parameter; with the default n_components="auto" the mutant wrote
    "auto"."""
    X = np.random.RandomState(0).normal(size=(200, 6)).astype(np.float32)
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert est.n_components == "auto"
    props = {p.key: p.value for p in to_onnx(est).metadata_props}
    assert props["n_components"] == str(est.n_components_) == "2"


def test_the_default_export_uses_opset_18(data):
    """Mutation audit: to_onnx without an opset exports for opset 18, as
    documented (test_exported_model_is_checked_and_described passes 17
    itself). The mutant's default was 17."""
    X, _ = data
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(X)
    versions = {o.domain: o.version for o in to_onnx(est).opset_import}
    assert versions[""] == 18


@pytest.mark.parametrize("decoder", ["False", "no", 2, []])
def test_a_decoder_flag_that_is_not_a_bool_is_refused(data, decoder):
    """Found by an independent probe: decoder="False" (truthy) exported the
    decoder's graph, whose input is the codes, without a word."""
    X, _ = data
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(X)
    with pytest.raises(TypeError, match="decoder must be a bool"):
        to_onnx(est, decoder=decoder)
    assert to_onnx(est, decoder=np.bool_(True)).graph.input[0].name == "codes"


@pytest.mark.parametrize("opset", [13, 20])
def test_the_first_and_last_supported_opsets_export(data, opset):
    """Mutation audit: opsets 13 and 20, the ends of the supported range,
    export a model onnxruntime runs as the estimator scores."""
    X, X_new = data
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(X)
    model = to_onnx(est, opset=opset)
    onnx.checker.check_model(model)
    assert {o.domain: o.version for o in model.opset_import}[""] == opset
    _close(_run(_session(model), {"X": X_new})["score_samples"], est.score_samples(X_new))


def test_skl2onnx_types_the_codes_with_their_number(convert, data):
    """Mutation audit: converted as a transformer, the graph's output has
    the fitted number of codes as its second dimension."""
    X, _ = data
    est = AutoEncoder(n_components=3, max_epochs=2, random_state=0).fit(X)
    model = convert(est, X[:1], options={id(est): {"transform": True}})
    dims = model.graph.output[0].type.tensor_type.shape.dim
    assert dims[1].dim_value == 3


def test_the_decoder_graph_keeps_integer_columns_within_their_dtype():
    """Mutation audit: codes far out decode an int8 column to 127 at most, as
    inverse_transform does; unclamped, the graph gave 26011."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "i": rng.randint(-20, 20, size=200).astype(np.int8),
            "x": rng.normal(size=200),
            "kind": pd.Categorical(rng.choice(["a", "b"], size=200)),
        }
    )
    est = AutoEncoder(n_components=1, max_epochs=2, random_state=0).fit(frame)
    codes = np.array([[-1e4], [1e4]], dtype=np.float32)
    expected = est.inverse_transform(codes)["i"].to_numpy()
    assert set(expected) <= {-128, 127}
    (decoded,) = _session(to_onnx(est, decoder=True)).run(None, {"codes": codes})
    np.testing.assert_array_equal(decoded[:, 0], expected)


def test_a_network_that_gives_nan_flags_the_row_in_the_graph_too(data):
    """Mutation audit: a NaN score (an overflow inside the network) is -inf
    and an outlier in the graph, as score_samples gives; without the rule the
    graph scored NaN and called the row an inlier."""
    X, X_new = data
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(X)
    last = [m for m in est.net_.module_.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.bias[0] = float("nan")
    expected = est.score_samples(X_new[:4])
    assert np.isneginf(expected).all()
    out = _run(_session(to_onnx(est)), {"X": X_new[:4]})
    assert np.isneginf(out["score_samples"]).all()
    np.testing.assert_array_equal(out["predict"], -1)


def test_a_users_option_for_a_step_is_kept():
    """Mutation audit: skae marks an estimator used as a transformer with
    {"transform": True}, unless the user's options already name it (by id
    or by type)."""
    from skae._onnx import _as_transformer

    est = AutoEncoder()

    class Scope:
        def __init__(self, options):
            self.options, self.added = options, []

        def add_options(self, key, options):
            self.added.append((key, options))

    for options in ({id(est): {"transform": False}}, {AutoEncoder: {"score_samples": True}}):
        scope = Scope(options)
        _as_transformer(scope, est)
        assert scope.added == []
    scope = Scope(None)
    _as_transformer(scope, est)
    assert scope.added == [(id(est), {"transform": True})]


@pytest.mark.parametrize("module", ["onnx", "skl2onnx"])
def test_a_missing_onnx_package_names_the_extra_to_install(data, module, monkeypatch):
    """Found by an independent probe: without onnx (or skl2onnx) installed,
    to_onnx (register_onnx_converters) failed with a bare
    ModuleNotFoundError, where the docstrings promise the skae[onnx] extra."""
    X, _ = data
    est = FAST_ESTIMATORS["AutoEncoder"](max_epochs=2).fit(X)
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    call = (lambda: to_onnx(est)) if module == "onnx" else register_onnx_converters
    with pytest.raises(ImportError, match=rf"'{module}' package: pip install \"skae\[onnx\]\""):
        call()


def test_skl2onnx_below_the_oldest_opset_names_its_own_argument(convert, data):
    """Found by an independent probe: skl2onnx's target_opset=12 failed with
    "opset must be an integer between 13 and 20, got 12", an argument the
    user never passed; opsets past torch's newest (21) convert as before."""
    X, X_new = data
    est = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="target_opset of 13 or more, got 12"):
        convert(est, X[:1], target_opset=12, options={id(est): {"transform": True}})
    model = convert(est, X[:1], target_opset=21, options={id(est): {"transform": True}})
    (codes,) = _session(model).run(None, {"X": X_new[:10]})
    _close(codes, est.transform(X_new[:10]))


@pytest.mark.parametrize("target_opset", [13, 20])
@pytest.mark.parametrize("name", ["VariationalAutoEncoder", "ConvolutionalAutoEncoder"])
def test_skl2onnx_s_target_opset_reaches_the_embedded_graph(convert, data, name, target_opset):
    """Mutation audit: the converter exports the skae graph at skl2onnx's
    target_opset (an export at the default 18 inside an opset-13 model gave
    a Reshape attribute opset 13 does not have, refused by the checker)."""
    X, X_new = data
    est = FAST_ESTIMATORS[name](max_epochs=2).fit(X)
    model = convert(est, X[:1], target_opset=target_opset)
    onnx.checker.check_model(model, full_check=True)
    assert {o.domain: o.version for o in model.opset_import}[""] <= target_opset
    _, scores = _session(model).run(None, {"X": X_new[:20]})
    _close(scores[:, 0], est.decision_function(X_new[:20]))


def test_a_skae_step_inside_a_column_transformer_converts(convert):
    """Mutation audit: a skae estimator as one of a ColumnTransformer's
    steps (on some of the columns) converts and gives ct.transform (the
    tests so far put skae after the ColumnTransformer)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 3)).astype(np.float32), columns=["x", "y", "z"])
    ct = ColumnTransformer(
        [
            ("ae", AutoEncoder(n_components=2, max_epochs=2, random_state=0), ["x", "y"]),
            ("rest", "passthrough", ["z"]),
        ]
    ).fit(frame)
    model = convert(ct, frame[:1])
    feeds = {c: frame[[c]].to_numpy(np.float32) for c in frame.columns}
    (out,) = _session(model).run(None, feeds)
    assert out.shape == (200, 3)
    _close(out, ct.transform(frame))


def test_the_graph_reconstructs_and_scores_a_constant_binary_column_as_its_constant():
    """A column of ones taken as it is (binary cross-entropy): the graph
    decodes it as 1 and scores a 0 there as the estimator does."""
    rng = np.random.RandomState(0)
    X = (rng.uniform(size=(150, 6)) > 0.5).astype(np.float32)
    X[:, 0] = 1.0
    est = AutoEncoder(loss="binary_crossentropy", max_epochs=3, random_state=0).fit(X)
    X_new = X[:10].copy()
    X_new[:3, 0] = 0.0
    out = _run(_session(to_onnx(est)), {"X": X_new})
    np.testing.assert_array_equal(out["inverse_transform"][:, 0], 1.0)
    _close(out["score_samples"], est.score_samples(X_new))
    np.testing.assert_array_equal(out["predict"], est.predict(X_new))
    assert np.all(out["predict"][:3] == -1)
