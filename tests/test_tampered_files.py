"""Load-time checks of tampered files, and save's atomicity, that a mutation
audit of ``skae/_persistence.py`` (thirty-eighth session) found unpinned."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
import torch
from test_persistence import _forged, _rewrite, _with_tensor

from skae import AutoEncoder, load
from skae._persistence import (
    FORMAT_VERSION,
    MAX_EXPANDED_BYTES,
    METADATA,
    TENSORS,
    _check_expansion,
)


@pytest.fixture
def saved(blobs, tmp_path):
    path = tmp_path / "good.skae"
    AutoEncoder(max_epochs=2, random_state=0).fit(blobs).save(path)
    return path


def _tensors(path):
    with zipfile.ZipFile(path) as archive:
        return torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)


def _resave(path, dst, tensors):
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return _rewrite(path, dst, tensors=buffer.getvalue())


def test_a_file_of_an_older_format_is_refused(saved, tmp_path):
    bad = _rewrite(
        saved, tmp_path / "old.skae", metadata=lambda m: {**m, "format_version": FORMAT_VERSION - 1}
    )
    with pytest.raises(ValueError, match=f"in model format {FORMAT_VERSION - 1}; this skae reads"):
        load(bad)


def test_a_boolean_format_version_is_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "b.skae", metadata=lambda m: {**m, "format_version": True})
    with pytest.raises(ValueError, match="its format_version is True"):
        load(bad)


def test_a_member_expanding_under_the_floor_loads(saved, tmp_path):
    # 4 MiB of trailing whitespace deflate ~1000x: under 64 MiB, so it loads.
    with zipfile.ZipFile(saved) as archive:
        text, raw = archive.read(METADATA), archive.read(TENSORS)
    padded = tmp_path / "padded.skae"
    with zipfile.ZipFile(padded, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, text + b" " * (4 * 2**20))
        archive.writestr(TENSORS, raw)
    load(padded)


def test_a_large_member_that_compresses_little_loads():
    """Mutation audit: past the floor, a member is refused for its ratio to
    its compressed size, not its size: the weights of a large model (70 MiB,
    65 MiB compressed, 2,000 features and 1,500 units) loaded."""
    size = MAX_EXPANDED_BYTES + 6 * 2**20
    large = zipfile.ZipInfo(TENSORS)
    large.file_size, large.compress_size = size, size - 5 * 2**20
    _check_expansion(large, "model.skae")
    large.compress_size = 2**19  # 140 times
    with pytest.raises(ValueError, match="would expand from 524,288 to"):
        _check_expansion(large, "model.skae")


def test_a_tensors_member_that_would_expand_far_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        text = archive.read(METADATA)
    bomb = tmp_path / "bomb.skae"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, text)
        archive.writestr(TENSORS, b"\0" * (80 * 2**20))
    with pytest.raises(ValueError, match="'tensors.pt' would expand from"):
        load(bomb)


def test_a_negative_beta_is_refused(saved, tmp_path):
    t = _tensors(saved)
    t["optimizer"]["param_groups"][0]["betas"] = (-0.1, 0.999)
    with pytest.raises(ValueError, match=r"betas must lie in \[0, 1\)"):
        load(_resave(saved, tmp_path / "b.skae", t))


def test_a_rate_of_zero_is_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "z.skae", metadata=lambda m: {**m, "net_lr": 0.0})
    with pytest.raises(ValueError, match="net_lr must be a positive number"):
        load(bad)


def test_recent_rows_below_the_training_range_are_refused(saved, tmp_path):
    t = _tensors(saved)
    t["recent_rows"] = t["recent_rows"].clone()
    t["recent_rows"][0, 0] = t["module"]["input_low"].reshape(-1)[0] - 1.0
    with pytest.raises(ValueError, match="recent_rows lie outside the range"):
        load(_resave(saved, tmp_path / "r.skae", t))


@pytest.mark.parametrize(
    "history",
    [[], [{"epoch": 1, "train_loss": 1.0}], [{"epoch": "x"}, {"epoch": 2}], "cut", "text"],
)
def test_a_history_that_does_not_count_n_iter_epochs_is_refused(saved, tmp_path, history):
    """A history cut short loaded, and partial_fit then counted n_iter_ down."""

    def edit(metadata):
        rows = metadata["history"]
        assert len(rows) == 2 and all("train_loss" in row for row in rows)
        if history == "cut":
            return {**metadata, "history": rows[:1]}
        if history == "text":
            return {**metadata, "history": [rows[0], {**rows[1], "train_loss": "low"}]}
        return {**metadata, "history": history}

    with pytest.raises(ValueError, match="the history must hold n_iter_ = 2 finished epochs"):
        load(_rewrite(saved, tmp_path / "h.skae", metadata=edit))
    assert load(saved).partial_fit(np.ones((5, 5))).n_iter_ == 3


def test_held_out_rows_that_are_not_indices_are_refused(saved, tmp_path):
    bad = _rewrite(
        saved,
        tmp_path / "h.skae",
        metadata=lambda m: _forged(m, _held_out_rows={"__array__": [0.0, 1.5], "__dtype__": "<f8"}),
    )
    with pytest.raises(ValueError, match="_held_out_rows must be row indices"):
        load(bad)


def test_column_labels_that_are_not_integers_are_refused(saved, tmp_path):
    bad = _rewrite(
        saved,
        tmp_path / "c.skae",
        metadata=lambda m: _forged(m, _column_labels={"__array__": [0.5] * 5, "__dtype__": "<f8"}),
    )
    with pytest.raises(ValueError, match="_column_labels must be one integer per input column"):
        load(bad)


def test_an_array_dtype_skae_never_saves_is_refused(saved, tmp_path):
    bad = _rewrite(
        saved,
        tmp_path / "d.skae",
        metadata=lambda m: _forged(m, _held_out_rows={"__array__": ["a"], "__dtype__": "<U1"}),
    )
    with pytest.raises(ValueError, match="is not one skae saves"):
        load(bad)


def test_a_negative_mixture_weight_is_refused(saved, tmp_path):
    w = _tensors(saved)["density/weights_"].clone()
    w[-1] += 2 * w[0]
    w[0] = -w[0]  # still sums to 1
    with pytest.raises(ValueError, match="'density/weights_' must be positive"):
        load(_with_tensor(saved, tmp_path / "w.skae", "density/weights_", w))


def test_a_categorical_mask_without_a_true_is_refused(tmp_path):
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=list("ab"))
    frame["e"] = pd.Categorical(rng.choice(["x", "y", "z"], 120))
    path = tmp_path / "good.skae"
    AutoEncoder(max_epochs=1, random_state=0).fit(frame).save(path)
    mask = torch.zeros(3, dtype=torch.bool)
    with pytest.raises(
        ValueError, match="is_categorical_ must be one boolean per input column, some True"
    ):
        load(_with_tensor(path, tmp_path / "m.skae", "array/is_categorical_", mask))


@pytest.fixture
def imputer_file(tmp_path):
    from skae import AutoEncoderImputer

    X = np.random.RandomState(0).normal(size=(100, 4))
    X[::5, 1] = np.nan
    AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(X).save(tmp_path / "i.skae")
    return tmp_path / "i.skae"


def test_an_imputer_s_categorical_flag_must_be_a_boolean(imputer_file, tmp_path):
    def edit(m):
        m["imputer"]["fitted"]["categorical"] = "yes"
        return m

    with pytest.raises(ValueError, match="'categorical' must be true or false"):
        load(_rewrite(imputer_file, tmp_path / "b.skae", metadata=edit))


def test_an_imputer_s_output_configuration_is_checked(imputer_file, tmp_path):
    def edit(m):
        m["imputer"]["fitted"]["output"] = {"transform": "pandas", "fit": "x"}
        return m

    with pytest.raises(ValueError, match="output configuration is malformed"):
        load(_rewrite(imputer_file, tmp_path / "b.skae", metadata=edit))


@pytest.mark.parametrize("output", [{"transform": "bogus"}, {"fit": "pandas"}, "pandas"])
def test_an_estimator_s_output_configuration_is_checked(saved, tmp_path, output):
    """A probe: the imputer's part of a file had its output checked, the
    estimator's not: an edited one loaded, and every transform failed."""
    bad = _rewrite(
        saved, tmp_path / "o.skae", metadata=lambda m: _forged(m, _sklearn_output_config=output)
    )
    with pytest.raises(ValueError, match="the estimator's output configuration is malformed"):
        load(bad)


def test_categories_that_are_not_values_of_their_dtype_are_refused(tmp_path):
    """A probe: a string column's dtype edited to "int64" loaded and scored,
    and inverse_transform and sample failed inside pandas."""
    import pandas as pd

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"c": rng.choice(["a", "b", "c"], 100), "x": rng.normal(size=100)})
    path = tmp_path / "good.skae"
    AutoEncoder(max_epochs=1, random_state=0).fit(frame).save(path)
    bad = _rewrite(
        path, tmp_path / "k.skae", metadata=lambda m: _forged(m, _categorical_kinds=["int64"])
    )
    with pytest.raises(
        ValueError, match="categorical column 0: its categories are not values of its dtype 'int64'"
    ):
        load(bad)


@pytest.mark.parametrize(
    "buffer, before",
    [("refill_inference", False), ("refill_passes", 1)],
    ids=["refill", "repeated"],
)
def test_a_model_saved_or_pickled_before_a_refill_rule_scores_as_it_did(tmp_path, buffer, before):
    """Scoring fills a missing entry with the reconstruction at the means
    (``refill_inference``), and tries three such fills, each from the last
    (``refill_passes``). A model saved before either has its missing-entry
    calibration fitted on scores without it, and keeps scoring so: its file
    has no such tensor, its pickle no such buffer."""
    import pickle

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 6))
    X[rng.rand(*X.shape) < 0.1] = np.nan
    model = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    holed = X[:50].copy()
    holed[:, 2] = np.nan
    now = model.score_samples(holed)
    state = getattr(model.net_.module_, buffer)
    current = state.clone()
    state.fill_(before)
    then = model.score_samples(holed)
    state.copy_(current)
    assert np.abs(now - then).max() > 1e-4
    model.save(tmp_path / "new.skae")
    tensors = _tensors(tmp_path / "new.skae")
    del tensors["module"][buffer]
    older = load(_resave(tmp_path / "new.skae", tmp_path / "old.skae", tensors))
    np.testing.assert_array_equal(older.score_samples(holed), then)
    np.testing.assert_array_equal(load(tmp_path / "new.skae").score_samples(holed), now)
    pickled = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(pickled.score_samples(holed), now)
    del pickled.net_.module_._buffers[buffer]
    np.testing.assert_array_equal(pickled.score_samples(holed), then)


def test_an_estimator_saved_from_an_imputer_trains_on_as_the_imputer_s(tmp_path):
    """A probe: the imputer's estimator_ saved on its own lost the flag that
    it does not refill missing entries from its reconstructions in training,
    so the loaded one's partial_fit went another way than in memory."""
    from skae import AutoEncoderImputer

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    X[rng.rand(*X.shape) < 0.2] = np.nan
    estimator = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(X).estimator_
    estimator.save(tmp_path / "e.skae")
    loaded = load(tmp_path / "e.skae")
    assert loaded._refill_missing is False
    np.testing.assert_array_equal(
        loaded.partial_fit(X[:50]).transform(X), estimator.partial_fit(X[:50]).transform(X)
    )
    bad = _rewrite(
        tmp_path / "e.skae", tmp_path / "r.skae", metadata=lambda m: _forged(m, _refill_missing=1)
    )
    with pytest.raises(ValueError, match="_refill_missing must be true or false"):
        load(bad)


def test_a_module_buffer_holding_nan_is_refused(saved, tmp_path):
    t = _tensors(saved)
    t["module"]["input_low"] = t["module"]["input_low"].clone()
    t["module"]["input_low"].reshape(-1)[0] = float("nan")
    with pytest.raises(ValueError, match="buffer 'input_low' holds NaN"):
        load(_resave(saved, tmp_path / "n.skae", t))


@pytest.mark.parametrize("dtype", [torch.complex64, torch.int64, torch.float16, torch.float64])
def test_a_weight_of_a_dtype_no_fit_gives_is_refused(saved, tmp_path, dtype):
    """A probe: load_state_dict cast such weights, and the model loaded (the
    complex ones without their imaginary part, the others rounded), scoring
    otherwise than the model saved."""
    t = _tensors(saved)
    weight = next(name for name in t["module"] if name.endswith("weight"))
    t["module"][weight] = t["module"][weight].to(dtype)
    with pytest.raises(ValueError, match=f"{weight!r} is stored as {dtype}; a fit stores"):
        load(_resave(saved, tmp_path / "w.skae", t))


def test_a_method_ending_in_an_underscore_is_not_set(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "r.skae", metadata=lambda m: _forged(m, _repr_html_=1))
    with pytest.raises(ValueError, match="'_repr_html_', which is not a fitted attribute"):
        load(bad)


def test_a_bare_class_name_two_classes_share_is_refused(blobs, tmp_path):
    made = []
    for module in ("first_mod", "second_mod"):
        made.append(type("Twin", (AutoEncoder,), {"__module__": module}))
    made[0](max_epochs=1, random_state=0).fit(blobs).save(tmp_path / "t.skae")

    def bare(m):
        m["class"] = "Twin"
        return m

    with pytest.raises(ValueError, match="more than one class has that name"):
        load(_rewrite(tmp_path / "t.skae", tmp_path / "b.skae", metadata=bare))


def test_a_new_file_takes_the_umask(blobs, tmp_path):
    umask = os.umask(0o002)
    try:
        AutoEncoder(max_epochs=1, random_state=0).fit(blobs).save(tmp_path / "m.skae")
    finally:
        os.umask(umask)
    assert (tmp_path / "m.skae").stat().st_mode & 0o777 == 0o664


def test_an_auto_rate_is_restored_on_the_net(saved):
    loaded = load(saved)
    with zipfile.ZipFile(saved) as archive:
        rate = json.loads(archive.read(METADATA))["net_lr"]
    assert loaded.lr == "auto" and loaded.net_.lr == rate


def test_never_observed_of_the_wrong_shape_is_refused(saved, tmp_path):
    bad = _with_tensor(
        saved, tmp_path / "n.skae", "array/_never_observed", torch.zeros(3, dtype=torch.bool)
    )
    with pytest.raises(ValueError, match="'_never_observed' must be 5 booleans"):
        load(bad)


def test_a_file_of_another_format_is_refused(saved, tmp_path):
    bad = _rewrite(saved, tmp_path / "f.skae", metadata=lambda m: {**m, "format": "other-model"})
    with pytest.raises(ValueError, match="is not a skae model file"):
        load(bad)


def test_a_file_that_cannot_be_read_is_not_called_corrupted(saved, monkeypatch):
    from skae import _persistence

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(saved))

    # The module's open(): root reads a file of mode 000.
    monkeypatch.setattr(_persistence, "open", refuse, raising=False)
    with pytest.raises(PermissionError):
        load(saved)


def test_an_interrupted_save_leaves_no_temporary_file(blobs, tmp_path, monkeypatch):
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    original = zipfile.ZipFile.writestr

    def interrupt(self, name, data, *a, **k):
        if name == TENSORS:
            raise KeyboardInterrupt
        return original(self, name, data, *a, **k)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.save(tmp_path / "m.skae")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("scaling", ["none", "global"])
def test_a_model_with_missing_training_entries_saved_unscaled_loads(tmp_path, scaling):
    """Found by a mutation audit: the kept training rows' missing entries
    were read as 0 when checked against the encoder's range, which holds 0
    only where each column is centred on its own (not without scaling, nor
    with one scale for a column far from the others): the file saved and
    could not load."""
    rng = np.random.RandomState(0)
    if scaling == "none":
        X = 5 + 5 * rng.uniform(size=(200, 4))
        X[::3, 1] = np.nan
    else:
        X = rng.uniform(size=(200, 4)) + [0.0, 0.0, 0.0, 50.0]
        X[::3, 3] = np.nan
    model = AutoEncoder(max_epochs=2, random_state=0, scaling=scaling).fit(X)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))


@pytest.mark.parametrize(
    "levels", [{"9": [1.0]}, {"4": [1.0]}, {"1": []}, {"1": ["a"]}, {"x": [1.0]}, [1.0]]
)
def test_an_imputer_s_numeric_levels_are_checked(imputer_file, tmp_path, levels):
    """The levels of a category of numbers an imputer fills from: positions
    of its columns, each with a list of finite numbers."""

    def edit(m):
        m["imputer"]["fitted"]["numeric_levels"] = levels
        return m

    with pytest.raises(ValueError, match="numeric_levels"):
        load(_rewrite(imputer_file, tmp_path / "b.skae", metadata=edit))


# --- a mutation audit of _persistence and _imputer (forty-first session) ----------
@pytest.mark.parametrize(
    "key, value, message",
    [
        ("categorical", True, "'categorical' does not fit"),
        ("feature_names_in_", ["x0", "x1", "x2", "x3"], "feature_names_in_ are not its model's"),
        ("output", {"transform": "bogus"}, "output configuration is malformed"),
    ],
)
def test_an_imputer_s_part_of_the_file_must_describe_its_model(
    imputer_file, tmp_path, key, value, message
):
    """The imputer's flag, names and output container were read as they
    were: a file edited there loaded, and transform failed later, blaming
    the data (names), the output ("must be in [...]"), or with a TypeError
    (a flag that said categorical on a model of numbers)."""

    def edit(m):
        m["imputer"]["fitted"][key] = value
        return m

    with pytest.raises(ValueError, match=message):
        load(_rewrite(imputer_file, tmp_path / "b.skae", metadata=edit))


def test_an_imputer_s_feature_names_must_be_its_model_s(tmp_path):
    import pandas as pd

    from skae import AutoEncoderImputer

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    X.iloc[::5, 1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0)).fit(X)
    imputer.save(tmp_path / "i.skae")
    np.testing.assert_array_equal(load(tmp_path / "i.skae").transform(X), imputer.transform(X))
    for names in (["a"], ["a", "a", "c"], ["c", "b", "a"], [1, 2, 3], None):

        def edit(m, names=names):
            fitted = m["imputer"]["fitted"]
            if names is None:
                del fitted["feature_names_in_"]
            else:
                fitted["feature_names_in_"] = names
            return m

        with pytest.raises(ValueError, match="feature_names_in_ are not its model's"):
            load(_rewrite(tmp_path / "i.skae", tmp_path / "b.skae", metadata=edit))


def test_a_zero_scale_is_refused(saved, tmp_path):
    """Mutation audit: the scales must be positive, not merely non-negative
    (a scale of 0 divides by zero at the next transform)."""
    scale = _tensors(saved)["array/scale_"].clone()
    scale[0] = 0.0
    with pytest.raises(ValueError, match="'scale_' must be positive"):
        load(_with_tensor(saved, tmp_path / "z.skae", "array/scale_", scale))


@pytest.mark.parametrize(
    "value", [torch.zeros(5, dtype=torch.float64), torch.zeros(4, dtype=torch.bool)]
)
def test_never_observed_columns_must_be_one_boolean_per_column(saved, tmp_path, value):
    with pytest.raises(ValueError, match="'_never_observed' must be 5 booleans"):
        load(_with_tensor(saved, tmp_path / "n.skae", "array/_never_observed", value))


def test_the_saved_batch_size_is_the_loaded_net_s(saved, tmp_path):
    """Mutation audit: the batch a fit trained with is what partial_fit goes
    on with (the saved model has batch_size="auto")."""

    def edit(m):
        m["net_batch_size"] = 7
        return m

    assert load(_rewrite(saved, tmp_path / "b.skae", metadata=edit)).net_.batch_size == 7


def test_a_cuda_model_loads_on_the_cpu_where_torch_sees_no_gpu(saved, tmp_path, monkeypatch):
    """Mutation audit: only a GPU-only test pinned the fallback."""

    def edit(m):
        m["params"]["device"] = "cuda"
        return m

    bad = _rewrite(saved, tmp_path / "c.skae", metadata=edit)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="no GPU"):
        model = load(bad)
    assert model.device == "cpu" and model.device_.type == "cpu"


@pytest.fixture(scope="module")
def screened_file(tmp_path_factory):
    """A saved model whose fit screened rows out, and its screened sample."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    X[:12] += 7
    path = tmp_path_factory.mktemp("screened") / "good.skae"
    model = AutoEncoder(tail_screen=2.0, max_epochs=3, random_state=0).fit(X)
    model.save(path)
    assert model._recent_screened.shape == (8, 4)
    # Rewritten as the forgeries are, unforged, it loads with its sample.
    same = load(_resave(path, path.parent / "same.skae", _tensors(path)))
    np.testing.assert_array_equal(same._recent_screened, model._recent_screened)
    assert same._recent_fit_rows == 192
    return path, model._recent_screened


def _screened_forgery(case, rows):
    """(fitted metadata, tensors to set, tensors to drop) of each forgery."""
    bad = rows.copy()
    if case == "width":
        return {}, {"_recent_screened": np.c_[bad, bad[:, :1]]}, ()
    if case == "inf":
        bad[0, 0] = np.inf
        return {}, {"_recent_screened": bad}, ()
    if case == "empty_row":
        bad[0] = np.nan
        return {}, {"_recent_screened": bad}, ()
    if case == "float64":
        return {}, {"_recent_screened": bad.astype(np.float64)}, ()
    if case == "no_rows":
        return {}, {"_recent_screened": bad[:0]}, ()
    if case == "bool_count":
        return {"_recent_fit_rows": True}, {}, ()
    if case == "share_0":
        return {"_screened_share": 0.0}, {}, ()
    if case == "too_many_rows":
        # More rows than partial_fit keeps (n_screened_ raised to match).
        return {"n_screened_": 300}, {"_recent_screened": bad[np.arange(300) % len(bad)]}, ()
    assert case == "no_recent_rows"
    return {}, {}, ("recent_rows",)


@pytest.mark.parametrize(
    "case",
    [
        "width",
        "inf",
        "empty_row",
        "float64",
        "no_rows",
        "bool_count",
        "share_0",
        "too_many_rows",
        "no_recent_rows",
    ],
)
def test_a_forged_screened_sample_is_refused(screened_file, tmp_path, case):
    """Mutation audit: each part of the check of a screened model's sample
    (the rows partial_fit draws its threshold on with the rows kept) is
    needed: rows of another width, an infinite entry, a row with no observed
    entry, float64 rows, no rows, a count of fit rows that is a boolean, a
    share of 0, more rows than partial_fit keeps (the next chunk's threshold
    was drawn on them), and a count of fit rows with no recent rows to count them in
    each loaded while its own clause was missing."""
    path, rows = screened_file
    fitted, arrays, dropped = _screened_forgery(case, rows)
    tensors = _tensors(path)
    for name, value in arrays.items():
        tensors[f"array/{name}"] = torch.from_numpy(value)
    for name in dropped:
        del tensors[name]
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    bad = _rewrite(
        path,
        tmp_path / "bad.skae",
        metadata=lambda m: _forged(m, **fitted),
        tensors=buffer.getvalue(),
    )
    if case == "no_recent_rows":
        message = r"_recent_fit_rows \(192\) counts more of the fit's rows than recent_rows"
    else:
        message = "_recent_screened, _screened_share and _recent_fit_rows must come together"
    with pytest.raises(ValueError, match=message):
        load(bad)


def test_a_variational_model_from_before_the_typical_terms_scores_as_it_did(tmp_path):
    """The variational kind scores a row with missing entries as the observed
    entries' likelihood plus each missing column's typical term
    (``missing_terms_``); a model saved or pickled before has its
    calibration fitted on the observed terms scaled to a whole row, and keeps
    scoring so. A file whose typical terms do not fit the columns is refused."""
    import pickle

    from skae import VariationalAutoEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) @ rng.normal(size=(3, 5))
    model = VariationalAutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert model.missing_terms_.shape == (5,) and np.isfinite(model.missing_terms_).all()
    holed = X[:40].copy()
    holed[:, 1] = np.nan
    typical = model.score_samples(holed)
    pickled = pickle.loads(pickle.dumps(model))
    del pickled.missing_terms_
    scaled = pickled.score_samples(holed)
    assert np.abs(typical - scaled).max() > 1e-3
    np.testing.assert_array_equal(pickled.score_samples(X[:40]), model.score_samples(X[:40]))
    model.save(tmp_path / "new.skae")
    tensors = _tensors(tmp_path / "new.skae")
    del tensors["array/missing_terms_"]
    older = load(_resave(tmp_path / "new.skae", tmp_path / "old.skae", tensors))
    np.testing.assert_array_equal(older.score_samples(holed), scaled)
    np.testing.assert_array_equal(load(tmp_path / "new.skae").score_samples(holed), typical)
    tensors["array/missing_terms_"] = torch.zeros(4, dtype=torch.float64)
    bad = _resave(tmp_path / "new.skae", tmp_path / "bad.skae", tensors)
    with pytest.raises(ValueError, match=r"'missing_terms_' has shape \(4,\)"):
        load(bad)
