"""save / load without pickle: round trips, continued training, and bad files."""

import functools
import importlib.util
import io
import json
import os
import pickle
import sys
import warnings
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import FAST_ESTIMATORS
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, LRScheduler

import skae
from skae import AutoEncoder, load
from skae._persistence import FORMAT_VERSION, METADATA, TENSORS


def _outputs(model, X):
    return {
        "transform": model.transform(X),
        "score_samples": model.score_samples(X),
        "predict": model.predict(X),
        "decision_function": model.decision_function(X),
        "inverse_transform": model.inverse_transform(model.transform(X)),
        "sample": model.sample(5, random_state=0),
    }


@pytest.fixture
def frame(blobs):
    return pd.DataFrame(blobs, columns=[f"f{i}" for i in range(blobs.shape[1])])


def test_round_trip_gives_identical_outputs(make_estimator, frame, tmp_path):
    model = make_estimator(max_epochs=3).fit(frame)
    path = tmp_path / "model.skae"
    model.save(path)
    loaded = load(path)

    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert loaded.offset_ == model.offset_
    # Each fitted attribute comes back in its type (offset_ came back a
    # Python float, a numpy float64 at fit; a probe).
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_") and name != "net_":
            assert type(getattr(loaded, name)) is type(value), name
            assert getattr(getattr(loaded, name), "dtype", None) == getattr(value, "dtype", None)
    assert loaded.n_iter_ == model.n_iter_ == 3
    assert len(loaded.net_.history) == 3
    expected, got = _outputs(model, frame), _outputs(loaded, frame)
    for method in expected:
        assert got[method].dtype == expected[method].dtype, method
        assert_array_equal(got[method], expected[method], err_msg=method)
    # Feature names are checked as at fit.
    with pytest.raises(ValueError, match="feature names"):
        loaded.transform(frame[frame.columns[::-1]])


def test_partial_fit_after_load_continues_exactly(make_estimator, blobs, tmp_path):
    # The optimiser's state and the seeds are saved, so training goes on as if
    # the model had never left memory.
    model = make_estimator(max_epochs=2).fit(blobs)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    model.partial_fit(blobs)
    loaded.partial_fit(blobs)
    assert_array_equal(loaded.transform(blobs), model.transform(blobs))
    assert loaded.n_iter_ == model.n_iter_ == 3


def test_the_history_marks_the_best_epoch_after_load_and_warm_start(blobs, tmp_path):
    # skorch's scoring callbacks keep the best loss in themselves, not in the
    # history: a loaded model's and a warm start's fresh ones must still
    # compare a new epoch with every earlier one, as the model kept in memory
    # does. An epoch on rows ten times further out is not the best one.
    model = AutoEncoder(max_epochs=3, random_state=0).fit(blobs)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    warm = clone(model).fit(blobs).set_params(warm_start=True, max_epochs=1)
    for trained in (model.partial_fit(blobs * 10), loaded.partial_fit(blobs * 10)):
        history = trained.net_.history
        assert history[-1, "train_loss"] > min(history[:-1, "train_loss"])
        assert history[:, "train_loss_best"] == [True, True, True, False]
    history = warm.fit(blobs * 10).net_.history
    assert history[:, "train_loss_best"] == [True, True, True, False]
    # Every epoch after, whether best or not, is judged against all before it.
    for _ in range(4):
        loaded.partial_fit(blobs)
    losses = loaded.net_.history[:, "train_loss"]
    expected = [loss < min(losses[:i], default=np.inf) for i, loss in enumerate(losses)]
    assert loaded.net_.history[:, "train_loss_best"] == expected
    assert any(expected[4:])


def test_a_worse_epoch_after_a_load_is_not_the_best(blobs, tmp_path):
    """A loaded model's fresh scoring callback takes the best loss of the
    saved history, the lowest: an epoch between the lowest and the highest
    loss so far is not marked best."""
    model = AutoEncoder(max_epochs=15, lr=1e-2, random_state=0).fit(blobs)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    # Rows 1.3 times further from the mean: a loss above the best epoch's,
    # below the first, untrained epoch's.
    loaded.partial_fit(blobs.mean(axis=0) + 1.3 * (blobs - blobs.mean(axis=0)))
    history = loaded.net_.history
    losses = history[:, "train_loss"]
    assert min(losses[:-1]) < losses[-1] < max(losses[:-1])
    assert history[-1, "train_loss_best"] is False
    assert history[:-1, "train_loss_best"] == model.net_.history[:, "train_loss_best"]


def test_convolutional_round_trip_keeps_the_image_shape(digits, tmp_path):
    X = digits[0][:200]
    model = skae.ConvolutionalAutoEncoder(
        hidden_layer_sizes=(4,), max_epochs=2, random_state=0
    ).fit(X.reshape(-1, 1, 8, 8))
    model.save(tmp_path / "conv.skae")
    loaded = load(tmp_path / "conv.skae")
    assert loaded.image_shape_ == (1, 8, 8)
    assert_array_equal(loaded.transform(X), model.transform(X))


def test_set_output_is_kept(frame, tmp_path):
    model = AutoEncoder(max_epochs=2, random_state=0).set_output(transform="pandas").fit(frame)
    model.save(tmp_path / "m.skae")
    codes = load(tmp_path / "m.skae").transform(frame)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == ["autoencoder0", "autoencoder1"]


def test_pickle_and_joblib_still_work(blobs, tmp_path):
    model = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    # blobs mixes units 0.1 to 1000: the encoder's input gain is in use.
    assert model.net_.module_.attenuate
    joblib.dump(model, tmp_path / "m.joblib")
    model.save(tmp_path / "m.skae")
    for restored in (
        pickle.loads(pickle.dumps(model)),
        joblib.load(tmp_path / "m.joblib"),
        load(tmp_path / "m.skae"),
    ):
        assert restored.net_.module_.attenuate
        assert_array_equal(restored.net_.module_.input_gain, model.net_.module_.input_gain)
        assert_array_equal(restored.score_samples(blobs), model.score_samples(blobs))


def test_save_needs_a_fitted_model(tmp_path):
    with pytest.raises(NotFittedError):
        AutoEncoder().save(tmp_path / "m.skae")
    assert not (tmp_path / "m.skae").exists()


def test_callbacks_are_not_saved(blobs, tmp_path):
    model = AutoEncoder(
        max_epochs=2, random_state=0, callbacks=[LRScheduler(policy="StepLR", step_size=1)]
    ).fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    assert loaded.callbacks is None
    assert_array_equal(loaded.transform(blobs), model.transform(blobs))


def test_load_on_a_named_device(blobs, tmp_path):
    model = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae", device="cpu")
    assert loaded.device == "cpu" and loaded.device_.type == "cpu"
    # Global random state is untouched by loading.
    state = torch.get_rng_state()
    load(tmp_path / "m.skae")
    assert torch.equal(state, torch.get_rng_state())


# --- bad files --------------------------------------------------------------------


@pytest.fixture
def saved(blobs, tmp_path):
    path = tmp_path / "good.skae"
    AutoEncoder(max_epochs=2, random_state=0).fit(blobs).save(path)
    return path


def _rewrite(src, dst, *, metadata=None, tensors=None):
    with zipfile.ZipFile(src) as archive:
        meta = json.loads(archive.read(METADATA))
        raw = archive.read(TENSORS)
    if metadata is not None:
        meta = metadata(meta)
    with zipfile.ZipFile(dst, "w") as archive:
        archive.writestr(METADATA, json.dumps(meta))
        archive.writestr(TENSORS, raw if tensors is None else tensors)
    return dst


def test_truncated_file_is_reported(saved, tmp_path):
    data = saved.read_bytes()
    for cut in (len(data) // 2, 100, 0):
        bad = tmp_path / f"cut{cut}.skae"
        bad.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="not a readable skae model file"):
            load(bad)


def test_corrupted_bytes_are_reported(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    # Flip bytes inside the compressed members: the zip checksums catch it.
    for i in range(200, len(data) - 200, 97):
        data[i] ^= 0xFF
    bad = tmp_path / "flipped.skae"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a readable skae model file"):
        load(bad)


@pytest.mark.parametrize("offset, bits", [(6, 0xFF), (8, 0x01), (10, 0x0F)])
def test_a_damaged_zip_header_is_reported(saved, tmp_path, offset, bits):
    # zipfile raises RuntimeError ("encrypted") or NotImplementedError (an
    # unknown version or compression method) for these bytes of the first
    # central directory entry; a prober found them outside the ValueError.
    data = bytearray(saved.read_bytes())
    data[data.find(b"PK\x01\x02") + offset] ^= bits
    bad = tmp_path / "header.skae"
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="not a readable skae model file"):
        load(bad)


def test_a_member_that_would_expand_far_is_refused_before_it_is_read(saved, tmp_path):
    # 80 MB of JSON whitespace deflate to 80 kB: read, it would take the memory.
    bomb = _rewrite(saved, tmp_path / "bomb.skae")
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA, " " * 80 * 2**20)
        archive.writestr(TENSORS, b"")
    with pytest.raises(ValueError, match="would expand from"):
        load(bomb)


def test_metadata_nested_too_deep_or_out_of_range_is_not_a_model(saved, tmp_path):
    deep = tmp_path / "deep.skae"
    with zipfile.ZipFile(deep, "w") as archive:
        archive.writestr(METADATA, "[" * 100_000 + "]" * 100_000)
        archive.writestr(TENSORS, b"")
    with pytest.raises(ValueError, match="not a readable skae model file"):
        load(deep)
    # A count the network cannot be built with (torch's RuntimeError before).
    bad = _rewrite(saved, tmp_path / "n.skae", metadata=lambda m: _forged(m, n_features_in_=-1))
    with pytest.raises(ValueError, match="skae model file"):
        load(bad)


def test_a_path_that_cannot_be_read_says_why(tmp_path):
    # As open() says it, not as a corrupted file.
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    # A probe: these were "not a readable skae model file (corrupted?)".
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(NotADirectoryError):
        load(tmp_path / "file.txt" / "model.skae")
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    with pytest.raises(OSError, match="symbolic links") as error:
        load(tmp_path / "loop")
    assert not isinstance(error.value, ValueError)
    with pytest.raises(OSError, match="too long"):
        load(tmp_path / ("a" * 300 + ".skae"))


def test_parameters_given_as_a_range_are_saved(frame, tmp_path):
    """fit takes a range for categorical_features or hidden_layer_sizes; save
    refused it (a TypeError about categorical values). It comes back as a
    list, as a pandas Index does."""
    table = frame.copy()
    table["k"] = np.where(table.iloc[:, 0] > 0, "p", "q").astype(object)
    last = table.shape[1] - 1
    model = AutoEncoder(
        hidden_layer_sizes=range(8, 9),
        categorical_features=range(last, last + 1),
        max_epochs=2,
        random_state=0,
    ).fit(table)
    model.save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    assert loaded.hidden_layer_sizes == [8] and loaded.categorical_features == [last]
    assert_array_equal(loaded.score_samples(table), model.score_samples(table))


def test_not_a_model_file(tmp_path):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="not a readable skae model file"):
        load(other)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.skae")


def test_incompatible_format_version(saved, tmp_path):
    def newer(meta):
        meta["format_version"] = FORMAT_VERSION + 1
        return meta

    bad = _rewrite(saved, tmp_path / "newer.skae", metadata=newer)
    with pytest.raises(ValueError, match=f"this skae reads format {FORMAT_VERSION}"):
        load(bad)


def test_unknown_class_or_parameter(saved, tmp_path):
    def foreign(meta):
        meta["class"] = "Popen"
        return meta

    def bad_param(meta):
        meta["params"]["n_components"] = -3
        return meta

    with pytest.raises(ValueError, match="skae has no kind of that name"):
        load(_rewrite(saved, tmp_path / "a.skae", metadata=foreign))
    with pytest.raises(ValueError, match="parameters this version of skae rejects"):
        load(_rewrite(saved, tmp_path / "b.skae", metadata=bad_param))


class _Payload:
    """Pickles to a call of ``os.mkdir``: code that must never run at load."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (os.mkdir, (self.target,))


def test_loading_never_runs_code_from_the_file(saved, tmp_path):
    import io

    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"module": _Payload(str(marker))}, buffer)
    bad = _rewrite(saved, tmp_path / "evil.skae", tensors=buffer.getvalue())
    with pytest.raises(ValueError, match="could not be read safely"):
        load(bad)
    assert not marker.exists()


def test_weights_that_do_not_fit_the_model(saved, tmp_path):
    def wider(meta):
        meta["params"]["n_components"] = 3
        return meta

    # The parameters contradict the network the file records...
    with pytest.raises(
        ValueError, match="not those its network was built with: n_components 'auto' -> 3"
    ):
        load(_rewrite(saved, tmp_path / "w.skae", metadata=wider))

    def wider_record(meta):
        meta = wider(meta)
        meta["fitted"]["_network"]["n_components"] = "3"
        return meta

    # ... or, edited alike, its weights.
    with pytest.raises(ValueError, match="do not fit the model"):
        load(_rewrite(saved, tmp_path / "w.skae", metadata=wider_record))


def test_every_estimator_factory_is_covered():
    # The round-trip test runs over the shared list of kinds.
    assert {cls.__name__ for cls in map(type, (f() for f in FAST_ESTIMATORS.values()))} == {
        name for name in skae.__all__ if name.endswith("AutoEncoder") and name != "BaseAutoEncoder"
    }


def test_a_file_from_before_the_clipping_and_the_code_gaussian_loads(blobs, tmp_path):
    """Files written before the encoder's clipping range, its input gain and
    the one-Gaussian code term existed load with the range unbounded, a gain
    of one and score with the mixture, as they did."""
    import io

    import numpy as np

    from skae._latent_density import log_density

    # Such files were fitted with plain per-feature scaling, on the squared
    # error (the Huber loss came later).
    model = AutoEncoder(max_epochs=2, scaling="feature", loss="squared_error", random_state=0).fit(
        blobs
    )
    path = tmp_path / "new.skae"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    for name in ("input_low", "input_high", "input_gain"):
        del tensors["module"][name]
    for name in ("code_mean_", "code_covariance_"):
        del tensors[f"array/{name}"]
    buffer = io.BytesIO()
    torch.save(tensors, buffer)

    def before_auto_components(meta):
        # n_components was a number, and there was no n_components_ nor
        # noise_variance_.
        meta["params"]["n_components"] = 2
        del meta["fitted"]["n_components_"]
        del meta["fitted"]["noise_variance_"]
        return meta

    old = load(
        _rewrite(
            path, tmp_path / "old.skae", metadata=before_auto_components, tensors=buffer.getvalue()
        )
    )
    assert old.n_components_ == 2
    # The mean training loss per feature, in the original units: the training
    # MSE with squared_error.
    assert old.noise_variance_ == pytest.approx(model.noise_variance_, rel=1e-5)
    assert old.score(blobs) == pytest.approx(model.score(blobs), rel=1e-5)
    assert not hasattr(old, "code_mean_")
    assert torch.isinf(old.net_.module_.input_high).all()
    assert not old.net_.module_.attenuate
    assert (old.net_.module_.input_gain == 1.0).all()
    # The mixture-based score, written out.
    x = torch.as_tensor((blobs - old.mean_) / old.scale_, dtype=torch.float32)
    with torch.no_grad():
        out = old.net_.module_(x)
        errors = old.net_.criterion_.per_feature(out, x).double().numpy()
        latent = log_density(old.latent_density_, out["z"]).numpy()
    expected = latent / 2 - (errors / old.error_scale_).mean(axis=1)
    np.testing.assert_allclose(old.score_samples(blobs), expected, rtol=1e-5, atol=1e-6)


def test_a_pickle_from_before_the_clipping_range_still_works(blobs):
    model = AutoEncoder(3, max_epochs=2, random_state=0).fit(blobs)
    module = model.net_.module_
    for name in ("input_low", "input_high"):
        del module._buffers[name]
    # Before n_components="auto", n_components was the number and there was
    # no n_components_ (3, not the "auto" default's 2: a mutation audit).
    del model.n_components_
    # Nor a record of the parameters the network was built from.
    del model._network
    old = pickle.loads(pickle.dumps(model))
    assert old.n_components_ == 3
    codes = old.transform(blobs)
    assert codes.shape == (len(blobs), 3)
    old.partial_fit(blobs)
    assert torch.isinf(old.net_.module_.input_low).all()


def test_a_file_that_lies_about_its_sizes_fails_before_allocating(saved, tmp_path):
    """Declared sizes are checked against the stored weights on the meta
    device: 10**7-wide layers would need 400 TB if they were built."""

    def huge(meta):
        meta["params"]["hidden_layer_sizes"] = [10**7, 10**7]
        meta["fitted"]["hidden_layer_sizes_"] = [10**7, 10**7]
        return meta

    with pytest.raises(ValueError, match=r"declare 'encoder.0.weight' of shape \(10000000, 5\)"):
        load(_rewrite(saved, tmp_path / "huge.skae", metadata=huge))


def test_a_file_whose_sizes_disagree_with_its_parameters_is_refused(saved, tmp_path):
    def lie(meta):
        meta["params"]["hidden_layer_sizes"] = [10**7, 10**7]
        return meta

    with pytest.raises(ValueError, match=r"hidden_layer_sizes 'auto' -> \(10000000, 10000000\)"):
        load(_rewrite(saved, tmp_path / "lie.skae", metadata=lie))

    def consistent_lie(meta):
        meta = lie(meta)
        meta["fitted"]["_network"]["hidden_layer_sizes"] = "[10000000, 10000000]"
        return meta

    with pytest.raises(ValueError, match=r"declare hidden_layer_sizes=\[10000000, 10000000\]"):
        load(_rewrite(saved, tmp_path / "lie.skae", metadata=consistent_lie))


def test_a_file_from_before_the_widths_counted_the_codes_loads(blobs, tmp_path):
    # Six codes of five features: "auto" now gives (256, 128); a file written
    # before the codes counted holds the (64, 32) network it was fitted with.
    model = AutoEncoder(n_components=6, max_epochs=2, random_state=0).fit(blobs)
    assert model.hidden_layer_sizes_ == (256, 128)
    old_rule = AutoEncoder(n_components=6, hidden_layer_sizes=(64, 32), max_epochs=2)
    old_rule.fit(blobs)
    path = tmp_path / "old.skae"
    old_rule.save(path)

    def before(meta):
        meta["params"]["hidden_layer_sizes"] = "auto"
        meta["fitted"]["_network"]["hidden_layer_sizes"] = '"auto"'
        del meta["fitted"]["hidden_layer_sizes_"]
        return meta

    loaded = load(_rewrite(path, tmp_path / "before.skae", metadata=before))
    assert loaded.hidden_layer_sizes_ == (64, 32)
    assert_array_equal(loaded.transform(blobs), old_rule.transform(blobs))


def test_a_failed_save_leaves_the_previous_file(blobs, tmp_path, monkeypatch):
    import numpy as np

    path = tmp_path / "model.skae"
    first = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    first.save(path)
    second = AutoEncoder(max_epochs=2, random_state=1).fit(blobs)

    def fail(self, name, data, *args, **kwargs):
        if name == TENSORS:
            raise OSError("No space left on device")
        return original(self, name, data, *args, **kwargs)

    original = zipfile.ZipFile.writestr
    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail)
    with pytest.raises(OSError, match="No space"):
        second.save(path)
    monkeypatch.undo()
    # The first model is still there, whole, and no temporary file is left.
    np.testing.assert_array_equal(load(path).transform(blobs), first.transform(blobs))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skae"]
    second.save(path)
    np.testing.assert_array_equal(load(path).transform(blobs), second.transform(blobs))


def test_a_saved_file_has_the_usual_permissions(blobs, tmp_path):
    umask = os.umask(0o022)
    try:
        path = tmp_path / "model.skae"
        model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
        model.save(path)
        assert path.stat().st_mode & 0o777 == 0o644
        # Overwriting keeps the mode the file had.
        path.chmod(0o600)
        model.save(path)
        assert path.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)


def test_save_refuses_a_file_the_user_may_not_write(blobs, tmp_path, monkeypatch):
    """The rename needs only the folder's permission: a read-only file was
    replaced, silently, where open() raises PermissionError. (Root may write
    anything, so the system's answer is stood in for.)"""
    path = tmp_path / "model.skae"
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    model.save(path)
    before = path.read_bytes()
    access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: os.fspath(p) != str(path) and access(p, mode, **kw)
    )
    other = AutoEncoder(max_epochs=2, random_state=1).fit(blobs)
    with pytest.raises(PermissionError, match="permission denied"):
        other.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.skae"]  # no temporary left


def test_save_on_a_read_only_file_system_says_so(blobs, tmp_path, monkeypatch):
    """Found by a probe: a file on a file system mounted read-only was
    refused as "permission denied" (errno 13), where open() says "Read-only
    file system" (errno 30). (The mount is stood in for.)"""
    import errno

    path = tmp_path / "model.skae"
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    model.save(path)
    before = path.read_bytes()
    access, statvfs = os.access, os.statvfs

    class ReadOnly:
        def __init__(self, real):
            self.f_flag = real.f_flag | os.ST_RDONLY

    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: os.fspath(p) != str(path) and access(p, mode, **kw)
    )
    monkeypatch.setattr(os, "statvfs", lambda p: ReadOnly(statvfs(p)))
    with pytest.raises(OSError, match="read-only file system") as error:
        model.save(path)
    assert error.value.errno == errno.EROFS and not isinstance(error.value, PermissionError)
    assert path.read_bytes() == before


def test_save_in_a_folder_the_user_may_not_write_names_the_folder(blobs, tmp_path, monkeypatch):
    """The error named a temporary file the user never asked for."""
    from skae import _persistence

    def refused(target):
        raise PermissionError(13, "Permission denied", target + ".tmp")

    monkeypatch.setattr(_persistence, "_new_file_beside", refused)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(PermissionError, match=f"the folder {tmp_path} is not writable") as info:
        model.save(tmp_path / "model.skae")
    assert info.value.filename == str(tmp_path / "model.skae")

    def no_such_file(target):  # what /proc answers: no file may be made there
        raise FileNotFoundError(2, "No such file or directory", target + ".tmp")

    monkeypatch.setattr(_persistence, "_new_file_beside", no_such_file)
    with pytest.raises(
        FileNotFoundError, match=f"no new file can be made in the folder {tmp_path}"
    ) as info:
        model.save(tmp_path / "model.skae")
    assert info.value.filename == str(tmp_path / "model.skae")


def test_save_leaves_the_process_umask_alone(blobs, tmp_path, monkeypatch):
    # Reading the umask means setting it, for every thread of the process
    # (another thread's new files came out world-writable): the new file
    # gets the umask from the system instead.
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    umask = os.umask(0o027)
    try:

        def refuse(mask):
            raise AssertionError("save changed the process's umask")

        monkeypatch.setattr(os, "umask", refuse)
        model.save(tmp_path / "model.skae")
    finally:
        monkeypatch.undo()
        os.umask(umask)
    assert (tmp_path / "model.skae").stat().st_mode & 0o777 == 0o640


def test_save_takes_the_longest_names_a_file_system_allows(blobs, tmp_path):
    # The temporary file beside it must not need a longer name than the target.
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    path = tmp_path / ("m" * 250 + ".skae")
    model.save(path)
    model.save(path)
    assert_array_equal(load(path).transform(blobs), model.transform(blobs))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_numpy_hyper_parameters_save_and_load(blobs, tmp_path):
    """As a grid search's best_estimator_ has them: an lr from np.logspace
    ended in the optimiser's state, which the safe loader refused."""
    import numpy as np

    est = AutoEncoder(
        max_epochs=2,
        lr=np.float64(1e-3),
        weight_decay=np.float32(1e-5),
        hidden_layer_sizes=np.array([8, 4]),
        random_state=0,
    ).fit(blobs)
    path = tmp_path / "numpy.skae"
    est.save(path)
    loaded = load(path)
    assert_array_equal(loaded.transform(blobs), est.transform(blobs))
    assert_array_equal(loaded.hidden_layer_sizes, [8, 4])
    assert isinstance(loaded.hidden_layer_sizes, np.ndarray)


@pytest.mark.parametrize(
    "forge",
    [
        lambda m: {k: v for k, v in m.items() if k != "params"},
        lambda m: {**m, "params": [1, 2]},
        lambda m: {**m, "fitted": [1, 2]},
        lambda m: {**m, "history": 3},
        lambda m: {**m, "fitted": {**m["fitted"], "transform": 1}},
        lambda m: {**m, "fitted": {**m["fitted"], "__class__": "x"}},
        lambda m: {**m, "fitted": {**m["fitted"], "_make_net": 1}},
    ],
    ids=["no-params", "params-list", "fitted-list", "history-int", "method", "dunder", "private"],
)
def test_a_malformed_file_is_a_value_error(saved, tmp_path, forge):
    bad = _rewrite(saved, tmp_path / "bad.skae", metadata=forge)
    with pytest.raises(ValueError, match="bad.skae"):
        load(bad)


def test_fitted_arrays_that_do_not_fit_the_network_are_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    tensors["array/mean_"] = tensors["array/mean_"][:1]
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    bad = _rewrite(saved, tmp_path / "bad.skae", tensors=buffer.getvalue())
    with pytest.raises(ValueError, match="'mean_' has shape"):
        load(bad)


def test_saving_where_a_file_cannot_go_names_the_path(blobs, tmp_path):
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    with pytest.raises(FileNotFoundError, match="no/such"):
        est.save(tmp_path / "no" / "such" / "model.skae")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        est.save(tmp_path)
    assert os.listdir(tmp_path) == []


def test_the_imputer_saves_and_loads(blobs, tmp_path):
    import numpy as np

    from skae import AutoEncoderImputer, DenoisingAutoEncoder

    holes = blobs.copy()
    holes[::5, 1] = np.nan
    for template in (None, DenoisingAutoEncoder(noise="mask", max_epochs=3, random_state=0)):
        imputer = AutoEncoderImputer(template, random_state=0).fit(holes)
        path = tmp_path / "imputer.skae"
        imputer.save(path)
        loaded = load(path)
        assert isinstance(loaded, AutoEncoderImputer)
        assert_array_equal(loaded.transform(holes), imputer.transform(holes))
        assert loaded.get_params(deep=False)["random_state"] == 0
        assert type(loaded.estimator) is type(template)


def test_a_loaded_imputer_continues_training_as_the_imputer_trains(blobs, tmp_path):
    """The imputer trains its estimator on rows filled with the means only, a
    choice that is not a parameter: loaded from a file, the estimator had
    the detector's fill back, and trained on differently from a pickled
    copy of the same imputer."""
    import pickle

    import numpy as np

    from skae import AutoEncoder, AutoEncoderImputer

    holes = blobs.copy()
    holes[::5, 1] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0)).fit(holes)
    imputer.save(tmp_path / "imputer.skae")
    loaded = load(tmp_path / "imputer.skae")
    copied = pickle.loads(pickle.dumps(imputer))
    assert loaded.estimator_.net_.module_.output_map is None
    for model in (loaded, copied):
        model.estimator_.partial_fit(holes)
    assert_array_equal(loaded.transform(holes), copied.transform(holes))
    # A detector's file keeps the fill.
    imputer.estimator_.__class__(max_epochs=1, random_state=0).fit(holes).save(
        tmp_path / "detector.skae"
    )
    assert load(tmp_path / "detector.skae").net_.module_.output_map is not None


def test_the_imputer_keeps_its_estimators_output_container(blobs, tmp_path):
    """clone carries the template's set_output into estimator_ at each
    refit: a loaded imputer's template had lost it (a probe), and a refit
    made an estimator_ whose transform returned arrays, not frames."""
    from skae import AutoEncoderImputer

    holes = blobs.copy()
    holes[::5, 1] = np.nan
    template = AutoEncoder(max_epochs=2, random_state=0).set_output(transform="pandas")
    AutoEncoderImputer(template, random_state=0).fit(holes).save(tmp_path / "imputer.skae")
    loaded = load(tmp_path / "imputer.skae")
    assert loaded.estimator._sklearn_output_config == {"transform": "pandas"}
    assert isinstance(loaded.fit(holes).estimator_.transform(holes), pd.DataFrame)


def test_the_imputer_of_a_frame_with_categories_saves_and_loads(tmp_path):
    import numpy as np

    from skae import AutoEncoderImputer

    rng = np.random.RandomState(0)
    a = rng.normal(size=200)
    frame = pd.DataFrame({"a": a, "b": 2 * a, "k": pd.Categorical(np.where(a > 0, "p", "q"))})
    frame.loc[::4, "b"] = np.nan
    frame.loc[1::4, "k"] = np.nan
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=3, random_state=0)).fit(frame)
    imputer.save(tmp_path / "frame.skae")
    loaded = load(tmp_path / "frame.skae")
    pd.testing.assert_frame_equal(loaded.transform(frame), imputer.transform(frame))
    assert list(loaded.feature_names_in_) == ["a", "b", "k"]


def test_the_imputer_keeps_its_output_container(tmp_path):
    import numpy as np

    from skae import AutoEncoderImputer

    X = np.random.RandomState(0).normal(size=(100, 3))
    X[::4, 1] = np.nan
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=2, random_state=0))
    imputer.set_output(transform="pandas").fit(frame).save(tmp_path / "pandas.skae")
    # A DataFrame after loading too (it came back as an array).
    filled = load(tmp_path / "pandas.skae").transform(frame)
    pd.testing.assert_frame_equal(filled, imputer.transform(frame))


def _forged(metadata: dict, **fitted) -> dict:
    return {**metadata, "fitted": {**metadata["fitted"], **fitted}}


def _without(metadata: dict, name: str) -> dict:
    return {**metadata, "fitted": {k: v for k, v in metadata["fitted"].items() if k != name}}


def _density_params(metadata: dict, **params) -> dict:
    """Found by an independent probe: an edited mixture parameter (5
    components beside the 2 the arrays hold, a negative reg_covar) loaded."""
    density = metadata["fitted"]["latent_density_"]
    edited = {**density, "params": {**density["params"], **params}}
    return _forged(metadata, latent_density_=edited)


def test_a_changed_network_parameter_is_shown_as_python_writes_it(blobs, tmp_path):
    """A probe: the message read "image_shape (1, 1, 5) -> null"."""
    from skae import ConvolutionalAutoEncoder

    model = ConvolutionalAutoEncoder(image_shape=(1, 1, 5), max_epochs=1, random_state=0)
    model.fit(blobs).set_params(image_shape=None)
    for call in (model.partial_fit, lambda X: model.save(tmp_path / "m.skae")):
        with pytest.raises(ValueError, match=r"image_shape \(1, 1, 5\) -> None\b"):
            call(blobs)


def _with_params(metadata: dict, **params) -> dict:
    return {**metadata, "params": {**metadata["params"], **params}}


@pytest.mark.parametrize(
    "forge, message",
    [
        (lambda m: {**m, "fitted": {**m["fitted"], "offset_": "abc"}}, "offset_ must be a finite"),
        (lambda m: _without(m, "offset_"), r"lacks \['offset_'\]"),
        (lambda m: _without(m, "latent_density_"), r"lacks \['latent_density_'\]"),
        (lambda m: _without(m, "_n_training_calls"), r"lacks \['_n_training_calls'\]"),
        (lambda m: _forged(m, _base_seed="x"), "_base_seed must be an integer >= 0"),
        (lambda m: _forged(m, _base_seed=-1), "_base_seed must be an integer >= 0"),
        # Settings that contradict the network the file records.
        (lambda m: _with_params(m, activation="tanh"), "activation 'relu' -> 'tanh'"),
        (lambda m: _with_params(m, loss="binary_crossentropy"), "loss 'huber' -> 'binary"),
        (lambda m: {**m, "class": "SparseAutoEncoder"}, "kind 'AutoEncoder' -> 'Sparse"),
        (lambda m: _forged(m, offset_=float("nan")), "offset_ must be a finite"),
        (lambda m: _forged(m, noise_variance_=-1.0), "noise_variance_ must be a finite positive"),
        (lambda m: _forged(m, noise_variance_=0.0), "noise_variance_ must be a finite positive"),
        (lambda m: _forged(m, noise_variance_=float("inf")), "noise_variance_ must be a finite"),
        (lambda m: _forged(m, noise_variance_="1"), "noise_variance_ must be a finite positive"),
        (lambda m: _forged(m, n_iter_=-3), "n_iter_ must be a non-negative integer"),
        (lambda m: _forged(m, n_iter_=2.5), "n_iter_ must be a non-negative integer"),
        (lambda m: _forged(m, _statistics_rows=-1), "_statistics_rows must be a non-negative"),
        (lambda m: _forged(m, _rows_since_density=1.5), "_rows_since_density must be a non-"),
        (lambda m: _forged(m, _held_out_rows="rows"), "_held_out_rows must be row indices"),
        (lambda m: _forged(m, _screened_share=0.5), "_screened_share and _recent_fit_rows must"),
        (
            lambda m: _forged(m, _held_out_rows={"__array__": [-1, 2], "__dtype__": "<i8"}),
            "_held_out_rows must be row indices",
        ),
        (lambda m: _forged(m, n_components_=0), "n_components_ must be an integer >= 1"),
        (lambda m: _forged(m, _n_training_calls=-1), "_n_training_calls must be an integer"),
        (lambda m: _forged(m, _unseen_nats=float("inf")), "_unseen_nats must be a positive"),
        (lambda m: _forged(m, _unseen_nats=0.0), "_unseen_nats must be a positive number"),
        (lambda m: _forged(m, _unseen_nats=1e30), "_unseen_nats must be a positive number"),
        (lambda m: _forged(m, feature_names_in_=5), "feature_names_in_ must be one string"),
        (
            lambda m: _forged(m, _column_label_text={"__object_array__": ["a"]}),
            "_column_label_text must be one string per input column",
        ),
        (lambda m: {**m, "net_lr": "abc"}, "net_lr must be a positive number"),
        (lambda m: {**m, "net_lr": -1.0}, "net_lr must be a positive number"),
        (lambda m: {**m, "net_lr": float("inf")}, "net_lr must be a positive number"),
        (lambda m: _density_params(m, n_components=5), r"n_components \(5\) must be"),
        (lambda m: _density_params(m, reg_covar=-1), "code density's parameters"),
        (lambda m: _density_params(m, init_params="bogus"), "code density's parameters"),
        (lambda m: _density_params(m, means_init=[[0.0, 0.0]]), "no starting values"),
        (lambda m: {**m, "history": "epochs"}, "history must be a list of epochs"),
        (lambda m: {**m, "history": [1, 2]}, "history must be a list of epochs"),
        (
            lambda m: {**m, "params": {**m["params"], "image_shape": [0, 4, 4]}},
            "'image_shape' parameter",
        ),
    ],
)
def test_a_file_whose_fitted_numbers_are_wrong_is_refused(saved, tmp_path, forge, message):
    """A NaN threshold, a noise variance that is not positive (``score``
    would be -inf) or a negative iteration count is a damaged file."""
    bad = _rewrite(saved, tmp_path / "bad.skae", metadata=forge)
    with pytest.raises(ValueError, match=message):
        load(bad)


def test_a_file_without_its_error_scales_is_refused(saved, tmp_path):
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    for forged in (tensors["array/error_scale_"][:1], None):
        changed = dict(tensors)
        if forged is None:
            del changed["array/error_scale_"]
        else:
            changed["array/error_scale_"] = forged
        buffer = io.BytesIO()
        torch.save(changed, buffer)
        bad = _rewrite(saved, tmp_path / "bad.skae", tensors=buffer.getvalue())
        with pytest.raises(ValueError, match="error_scale_"):
            load(bad)


@pytest.mark.parametrize(
    "key, message",
    [
        ("array/code_mean_", r"lacks \['code_mean_'\]"),
        ("array/missing_shift_", r"lacks \['missing_shift_'\]"),
        ("array/missing_column_scale_", r"lacks \['missing_column_scale_'\]"),
        ("module/input_low", "'input_high' without the other end"),
        ("module/input_high", "'input_low' without the other end"),
    ],
)
def test_a_file_with_half_of_a_pair_is_refused(saved, tmp_path, key, message):
    """Older files lack both halves (and score as before them); one half
    alone is a damaged file, which scored differently without a word."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    part, _, name = key.partition("/")
    if part == "module":
        del tensors["module"][name]
    else:
        del tensors[key]
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    with pytest.raises(ValueError, match=message):
        load(_rewrite(saved, tmp_path / "bad.skae", tensors=buffer.getvalue()))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t["module"]["input_fill"].__setitem__(0, np.inf), "'input_fill' holds inf"),
        (lambda t: t["module"]["input_gain"].__setitem__(0, 0.0), r"outside \(0, 1\]"),
        (lambda t: t["module"]["input_gain"].__setitem__(0, -1.0), r"outside \(0, 1\]"),
        (lambda t: t["module"]["input_gain"].__setitem__(0, np.inf), r"outside \(0, 1\]"),
        (lambda t: t["optimizer"]["state"][0]["step"].fill_(-5), "'step' holds negative"),
    ],
    ids=["inf fill", "zero gain", "negative gain", "inf gain", "negative step"],
)
def test_a_file_whose_input_buffers_or_step_no_fit_gives_is_refused(saved, tmp_path, edit, message):
    """Probe finding: an infinite fill of missing entries loaded and moved
    the scores of rows with missing entries (0.287 for 0.807), a gain of 0
    or less the predictions, and a negative Adam step count loaded and the
    next partial_fit reported a divergence that blamed the learning rate.
    The file as saved, and a gain below 1, load."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    lowered = {**tensors, "module": dict(tensors["module"])}
    lowered["module"]["input_gain"] = torch.full_like(tensors["module"]["input_gain"], 0.5)
    for changed, refused in ((tensors, False), (lowered, False), (tensors, True)):
        if refused:
            edit(changed)
        buffer = io.BytesIO()
        torch.save(changed, buffer)
        path = _rewrite(saved, tmp_path / "edited.skae", tensors=buffer.getvalue())
        if not refused:
            load(path)
            continue
        with pytest.raises(ValueError, match=message):
            load(path)


@pytest.mark.parametrize(
    "text", [b"\xff\xfe{", b'{"format": ' + b"9" * 5000 + b"}"], ids=["not unicode", "long int"]
)
def test_metadata_that_is_not_json_python_reads_names_the_file(saved, tmp_path, text):
    """Probe finding: bytes in no Unicode encoding, or an integer of 5,000
    digits, raised Python's own message, naming neither the file nor what
    was wrong with it."""
    with zipfile.ZipFile(saved) as archive:
        raw = archive.read(TENSORS)
    bad = tmp_path / "bad.skae"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr(METADATA, text)
        archive.writestr(TENSORS, raw)
    with pytest.raises(ValueError, match=r"bad\.skae is not a readable skae model file .*JSON"):
        load(bad)


@pytest.mark.parametrize(
    "recent",
    [
        torch.zeros((3, 7)),  # not the model's width
        torch.zeros((300, 4)),  # more rows than kept
        torch.full((3, 4), float("inf")),
        # Probe finding: a fit keeps no row without an observed entry; such
        # rows loaded, and the next small partial_fit flagged 84% of rows.
        torch.tensor([[0.0, 0.0, 0.0, 0.0], [float("nan")] * 4]),
        torch.zeros((3, 4), dtype=torch.float64),
        torch.zeros(4),
    ],
)
def test_a_file_whose_recent_rows_are_wrong_is_refused(blobs, tmp_path, recent):
    """The rows partial_fit refits the statistics on are in the file: rows
    of another width or too many, or infinite, are a damaged file."""
    AutoEncoder(max_epochs=1, random_state=0).fit(blobs[:, :4]).save(tmp_path / "m.skae")
    with zipfile.ZipFile(tmp_path / "m.skae") as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    assert tensors["recent_rows"].shape == (min(len(blobs), 256), 4)
    tensors["recent_rows"] = recent
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    bad = _rewrite(tmp_path / "m.skae", tmp_path / "bad.skae", tensors=buffer.getvalue())
    with pytest.raises(ValueError, match="recent_rows must be 1 to 256 float32 rows of 4"):
        load(bad)


def test_a_file_whose_recent_rows_lie_outside_the_training_range_is_refused(blobs, tmp_path):
    """Probe finding: the kept rows multiplied by 1e30 loaded, and the next
    partial_fit refitted the scores' statistics on them. Every kept row was
    trained on, so the encoder's clipping range (which covers those rows)
    holds them; the file's own rows load."""
    path = tmp_path / "m.skae"
    AutoEncoder(max_epochs=1, random_state=0).fit(blobs[:, :4]).save(path)
    load(path)  # the rows as saved lie in the range
    with zipfile.ZipFile(path) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    tensors["recent_rows"] = tensors["recent_rows"] * 1e30
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    bad = _rewrite(path, tmp_path / "bad.skae", tensors=buffer.getvalue())
    with pytest.raises(ValueError, match="recent_rows lie outside the range"):
        load(bad)


@pytest.mark.parametrize(
    "params", [{"contamination": 2.0}, {"lr": -1.0}, {"image_shape": (0, 2, 2)}]
)
def test_save_refuses_parameters_load_would_refuse(blobs, tmp_path, params):
    path = tmp_path / "model.skae"
    model = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    model.save(path)
    before = path.read_bytes()
    model.set_params(**params)
    (name,) = params
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of AutoEncoder"):
        model.save(path)
    assert path.read_bytes() == before


def test_categories_that_are_not_json_are_refused_and_the_old_file_kept(tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "bin": pd.cut(rng.normal(size=100), 3)})
    path = tmp_path / "model.skae"
    AutoEncoder(max_epochs=1, random_state=0).fit(frame[["x"]]).save(path)
    before = path.read_bytes()
    model = AutoEncoder(max_epochs=1, random_state=0).fit(frame)
    with pytest.raises(TypeError, match=r"Interval is not JSON.*astype\(str\)"):
        model.save(path)
    assert path.read_bytes() == before
    # Converted, the column saves and comes back.
    converted = frame.astype({"bin": str})
    model = AutoEncoder(max_epochs=1, random_state=0).fit(converted)
    model.save(path)
    assert_array_equal(load(path).score_samples(converted), model.score_samples(converted))


def test_a_history_with_numpy_scalars_is_saved(blobs, tmp_path):
    """A callback that recorded np.float32 made the whole history, the
    built-in columns too, be dropped with a warning."""
    from skorch.callbacks import Callback

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("w_norm", np.float32(1.5))
            # A long double's item() is a long double: save recursed without end.
            net.history.record("long", np.longdouble(1.25))
            net.history.record("flag", np.bool_(True))

    model = AutoEncoder(max_epochs=2, callbacks=[Record()], random_state=0).fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        model.save(tmp_path / "model.skae")
    history = load(tmp_path / "model.skae").net_.history
    assert len(history) == 2 and history[:, "w_norm"] == [1.5, 1.5]
    assert history[:, "long"] == [1.25, 1.25] and history[:, "flag"] == [True, True]
    assert history[:, "train_loss"] == model.net_.history[:, "train_loss"]


def test_a_history_value_that_is_not_json_is_left_out_alone(blobs, tmp_path):
    """An object a callback recorded left the whole history out: the loaded
    model's n_iter_ went from 3 to 1 after one partial_fit, and a schedule
    given again started over."""
    from skorch.callbacks import Callback

    class Note(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("note", object())
            net.history.record_batch("batch_note", object())

    model = AutoEncoder(max_epochs=3, callbacks=[Note()], random_state=0).fit(blobs)
    with pytest.warns(UserWarning, match=r"not JSON under \['batch_note', 'note'\]"):
        model.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    history = loaded.net_.history
    assert len(history) == 3 and "note" not in history[-1]
    assert history[:, "train_loss"] == model.net_.history[:, "train_loss"]
    assert (
        history[-1, "batches"][0]["train_loss"]
        == model.net_.history[-1, "batches"][0]["train_loss"]
    )
    assert "batch_note" not in history[-1, "batches"][0]
    # A dict whose keys JSON cannot take (numpy integers) is left out too; it
    # raised json's TypeError.
    counts = dict(zip(*np.unique([0, 1, 1], return_counts=True), strict=True))
    model.net_.history.record("counts", counts)
    with pytest.warns(UserWarning, match=r"under \['batch_note', 'counts', 'note'\]"):
        model.save(tmp_path / "model.skae")
    model.set_params(callbacks=None)
    assert loaded.partial_fit(blobs).n_iter_ == model.partial_fit(blobs).n_iter_ == 4


def test_save_refuses_parameters_changed_since_the_fit(blobs, tmp_path):
    """The file rebuilds the network from the parameters it stores: another
    activation loaded as a different model, other widths as an unloadable file."""
    path = tmp_path / "model.skae"
    model = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    model.save(path)
    before = path.read_bytes()
    for name, value in [
        ("activation", "tanh"),
        ("n_components", 3),
        ("loss", "binary_crossentropy"),
    ]:
        original = model.get_params()[name]
        model.set_params(**{name: value})
        with pytest.raises(ValueError, match=f"save stores the parameters.*{name}"):
            model.save(path)
        assert path.read_bytes() == before
        model.set_params(**{name: original})
    # What does not build the network may change: the file keeps it.
    model.set_params(contamination=0.2).save(path)
    assert load(path).contamination == 0.2


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_save_writes_through_a_symbolic_link(saved, blobs, tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "v1.skae"
    target.write_bytes(saved.read_bytes())
    link = tmp_path / "current.skae"
    link.symlink_to(target)
    model = AutoEncoder(max_epochs=3, random_state=1).fit(blobs)
    model.save(link)
    assert link.is_symlink()
    assert_array_equal(load(target).score_samples(blobs), model.score_samples(blobs))


def test_save_refuses_a_loop_of_symbolic_links(blobs, tmp_path):
    """As open() does; the loop stayed a link's name, replaced by the file."""
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(OSError, match="symbolic links form a loop"):
        model.save(tmp_path / "a")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_save_refuses_a_path_that_is_not_a_regular_file(blobs, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="not a regular file"):
        model.save(pipe)
    assert pipe.is_fifo()


def test_save_under_a_file_says_it_is_not_a_folder(saved, blobs):
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        model.save(saved / "inner.skae")


def test_paths_may_be_bytes(saved, blobs, tmp_path):
    path = os.fsencode(tmp_path / "bytes.skae")
    model = load(os.fsencode(saved))
    model.save(path)
    assert_array_equal(load(path).transform(blobs), model.transform(blobs))
    with pytest.raises(TypeError, match="NoneType"):
        load(None)


def test_load_checks_its_device_argument_before_the_file(saved, tmp_path):
    with pytest.raises(ValueError, match="device must be one of.*'bogus'"):
        load(saved, device="bogus")
    with pytest.raises(ValueError, match="device must be one of"):
        load(tmp_path / "absent.skae", device="gpu")


def _with_tensor(src, dst, name, value):
    """A copy of the file ``src`` at ``dst`` whose tensor ``name`` is ``value``."""
    with zipfile.ZipFile(src) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    tensors[name] = value
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    return _rewrite(src, dst, tensors=buffer.getvalue())


def test_a_file_whose_code_density_lies_about_its_sizes_is_refused(saved, tmp_path):
    means = torch.zeros(5, 5, dtype=torch.float64)
    bad = _with_tensor(saved, tmp_path / "density.skae", "density/means_", means)
    with pytest.raises(ValueError, match=r"'density/means_' has shape \(5, 5\)"):
        load(bad)


def test_malformed_values_are_reported_as_a_malformed_file(saved, tmp_path):
    def version_as_text(meta):
        meta["format_version"] = "1"
        return meta

    def widths_of_letters(meta):
        meta["params"]["hidden_layer_sizes"] = {"__tuple__": "ab"}
        return meta

    with pytest.raises(ValueError, match="its format_version is '1'"):
        load(_rewrite(saved, tmp_path / "v.skae", metadata=version_as_text))
    with pytest.raises(ValueError, match="w.skae is not a well-formed skae model file"):
        load(_rewrite(saved, tmp_path / "w.skae", metadata=widths_of_letters))


def test_categorical_features_as_an_index_or_a_string_array_save(tmp_path):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 3)), columns=list("abc"))
    frame["e"] = np.where(rng.normal(size=120) > 0, "x", "y")
    for names in (frame.select_dtypes(exclude="number").columns, np.array(["e"])):
        model = AutoEncoder(max_epochs=2, categorical_features=names, random_state=0).fit(frame)
        model.save(tmp_path / "m.skae")
        loaded = load(tmp_path / "m.skae")
        assert_array_equal(loaded.score_samples(frame), model.score_samples(frame))
        # The same columns: partial_fit goes on.
        loaded.partial_fit(frame)


def test_a_path_ending_in_a_separator_names_a_folder(blobs, tmp_path):
    model = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    with pytest.raises(IsADirectoryError, match="names a folder"):
        model.save(str(tmp_path / "new") + os.sep)
    assert not (tmp_path / "new").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here")
def test_loading_on_a_missing_gpu_blames_the_argument_not_the_file(saved):
    with pytest.raises(ValueError, match="cuda") as error:
        load(saved, device="cuda")
    assert "well-formed" not in str(error.value)


def test_fitted_arrays_of_another_dtype_or_not_finite_are_refused(saved, tmp_path):
    for name, value, match in [
        ("array/missing_shift_", torch.zeros(6, dtype=torch.complex128), "finite real numbers"),
        ("array/scale_", torch.full((5,), float("nan"), dtype=torch.float64), "NaN or inf"),
        ("array/missing_scale_", -torch.ones(6, dtype=torch.float64), "must be positive"),
        ("array/missing_column_scale_", -torch.ones(5, dtype=torch.float64), "must be positive"),
        ("array/missing_column_scale_", torch.ones(6, dtype=torch.float64), "shape"),
    ]:
        bad = _with_tensor(saved, tmp_path / "bad.skae", name, value)
        with pytest.raises(ValueError, match=match):
            load(bad)


def test_the_columns_calibration_is_checked_and_an_older_file_scores_by_count(saved, tmp_path):
    """A NaN centre made every score of a row with missing entries NaN; a
    file saved before the columns' factors (neither part) loads and
    calibrates a row by its count of observed entries alone."""

    def centre(value):
        def edit(meta):
            meta["fitted"]["missing_centre_"] = value
            return meta

        return edit

    with pytest.raises(ValueError, match="missing_centre_ must be a finite number"):
        load(_rewrite(saved, tmp_path / "nan.skae", metadata=centre(float("nan"))))
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    del tensors["array/missing_column_scale_"]
    buffer = io.BytesIO()
    torch.save(tensors, buffer)

    def drop(meta):
        del meta["fitted"]["missing_centre_"]
        return meta

    older = load(_rewrite(saved, tmp_path / "old.skae", metadata=drop, tensors=buffer.getvalue()))
    model = load(saved)
    assert not hasattr(older, "missing_column_scale_")
    rows = np.random.RandomState(0).normal(size=(20, 5))
    rows[:, 1] = np.nan
    model.missing_column_scale_ = np.ones(5)
    assert_allclose(older.score_samples(rows), model.score_samples(rows), rtol=1e-12)


def test_a_file_whose_error_scales_are_not_positive_is_refused(saved, tmp_path):
    """The error scales divide each feature's error in the score: a negative
    one loaded and flipped the sign of that feature's term."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    negative = -tensors["array/error_scale_"]
    bad = _with_tensor(saved, tmp_path / "bad.skae", "array/error_scale_", negative)
    with pytest.raises(ValueError, match="'error_scale_' must be positive"):
        load(bad)


def test_a_file_whose_code_covariance_is_not_symmetric_is_refused(saved, tmp_path):
    """A Cholesky factorisation reads one triangle only: an edited upper
    triangle passed it and loaded, scoring and sampling with another matrix."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    covariance = tensors["array/code_covariance_"].clone()
    covariance[0, 1] += 5.0
    bad = _with_tensor(saved, tmp_path / "bad.skae", "array/code_covariance_", covariance)
    with pytest.raises(ValueError, match="'code_covariance_' must be a symmetric positive"):
        load(bad)


def _edited_categories(meta, categories=None, kinds=None):
    if categories is not None:
        meta["fitted"]["categories_"] = [{"__object_array__": c} for c in categories]
    if kinds is not None:
        meta["fitted"]["_categorical_kinds"] = kinds
    return meta


def test_a_file_whose_categorical_layout_is_edited_is_refused(tmp_path):
    """These loaded and failed at the first call, inside pandas, numpy or
    pyarrow (or, with a missing category, encoded rows differently)."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 2)), columns=list("ab"))
    frame["e"] = pd.Categorical(rng.choice(["x", "y", "z"], 120))
    path = tmp_path / "good.skae"
    AutoEncoder(max_epochs=1, random_state=0).fit(frame).save(path)
    load(path).transform(frame)
    mask = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
    with pytest.raises(ValueError, match="is_categorical_ must be one boolean per input column"):
        load(_with_tensor(path, tmp_path / "mask.skae", "array/is_categorical_", mask))
    forged = [
        ({"categories": [["x", "y", "z"], ["p"]]}, "one entry per categorical column"),
        ({"categories": [["x", "x", "z"]]}, "distinct values, none missing"),
        ({"categories": [["x", None, "z"]]}, "distinct values, none missing"),
        ({"categories": [[]]}, "non-empty list"),
        ({"kinds": ["notadtype"]}, "'notadtype' cannot be rebuilt"),
        ({"kinds": [3]}, "named by a string"),
    ]
    if importlib.util.find_spec("pyarrow") is not None:
        forged.append(({"kinds": ["arrow-schema:AAAA"]}, "cannot be rebuilt"))
    for edit, message in forged:
        edited = functools.partial(_edited_categories, **edit)
        bad = _rewrite(path, tmp_path / "bad.skae", metadata=edited)
        with pytest.raises(ValueError, match=message):
            load(bad)


def test_a_file_whose_densities_or_weights_are_not_valid_is_refused(saved, tmp_path):
    """Finite but invalid: these loaded and failed later in numpy's linear
    algebra or sampling, or (a NaN weight) scored every row -inf."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    weight = dict(tensors["module"])
    weight["encoder.0.weight"] = weight["encoder.0.weight"] * float("nan")
    for name, value, match in [
        ("array/code_covariance_", -tensors["array/code_covariance_"], "positive definite"),
        ("density/covariances_", -tensors["density/covariances_"], "positive definite"),
        ("density/weights_", 5 * tensors["density/weights_"], "weights_ must sum to 1"),
        ("module", weight, "weight 'encoder.0.weight' holds NaN or inf"),
        # A probe: the mixture's precisions are what its densities read.
        ("density/precisions_cholesky_", -tensors["density/precisions_cholesky_"], "Cholesky"),
        ("density/precisions_", 10 * tensors["density/precisions_"], "inverse of its cov"),
    ]:
        with pytest.raises(ValueError, match=match):
            load(_with_tensor(saved, tmp_path / "bad.skae", name, value))


def test_a_file_saved_before_the_network_record_still_refuses_changes(saved, blobs, tmp_path):
    def without_record(meta):
        del meta["fitted"]["_network"]
        return meta

    old = load(_rewrite(saved, tmp_path / "old.skae", metadata=without_record))
    old.set_params(n_components=4)
    with pytest.raises(ValueError, match="partial_fit continues.*n_components"):
        old.partial_fit(blobs)
    with pytest.raises(ValueError, match="save stores the parameters.*n_components"):
        old.save(tmp_path / "old.skae")
    assert load(tmp_path / "old.skae").n_components_ == 2


def test_lr_and_weight_decay_set_before_a_save_apply_after_the_load(tmp_path):
    X = np.random.RandomState(0).normal(size=(200, 4))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    model.set_params(lr=0.1, weight_decay=0.5).save(tmp_path / "m.skae")
    loaded = load(tmp_path / "m.skae")
    model.partial_fit(X)
    loaded.partial_fit(X)
    pairs = zip(model.net_.module_.parameters(), loaded.net_.module_.parameters(), strict=True)
    for before, after in pairs:
        assert torch.equal(before, after)


def test_long_double_parameters_and_categories_are_saved(blobs, tmp_path):
    """Re-probe finding: a long double's item() is a long double: save gave
    json's TypeError for long double categories, and wrote a file that load
    refused ("weights only load failed") for a long double lr, which the
    optimiser keeps."""
    path = tmp_path / "model.skae"
    params = {"lr": np.longdouble(1e-3), "contamination": np.longdouble(0.1)}
    model = AutoEncoder(max_epochs=2, random_state=0, **params).fit(blobs)
    model.save(path)
    loaded = load(path)
    assert loaded.lr == pytest.approx(1e-3) and loaded.contamination == pytest.approx(0.1)
    assert_allclose(loaded.score_samples(blobs), model.score_samples(blobs))
    codes = np.column_stack([blobs[:, 0], np.arange(len(blobs)) % 3]).astype(np.longdouble)
    model = AutoEncoder(max_epochs=2, categorical_features=[1], random_state=0).fit(codes)
    model.save(path)
    assert_allclose(load(path).score_samples(codes), model.score_samples(codes))


def _own_autoencoder_class():
    """A kind of a user's own that happens to be named AutoEncoder."""

    class AutoEncoder(skae.BaseAutoEncoder):
        def _score_samples_scaled(self, module, x):
            return -(module(x)["x_hat"] - x).square().mean(dim=1).double()

        def _feature_terms_scaled(self, module, x):
            terms = -(module(x)["x_hat"] - x).square().double() / x.shape[1]
            return terms, torch.zeros(len(x), dtype=torch.float64)

    return AutoEncoder


def test_a_kind_named_like_skaes_loads_as_itself(tmp_path):
    """Re-probe finding: the file named the class by its bare name, so a
    user's kind called AutoEncoder loaded as skae's, with other scores."""
    cls = _own_autoencoder_class()
    X = np.random.RandomState(0).standard_normal((80, 4))
    model = cls(max_epochs=2, random_state=0).fit(X)
    model.save(tmp_path / "own.skae")
    loaded = load(tmp_path / "own.skae")
    assert type(loaded) is cls
    assert_allclose(loaded.score_samples(X), model.score_samples(X), rtol=1e-6)
    # skae's own kind still loads as itself, named as files always named it.
    AutoEncoder(max_epochs=1, random_state=0).fit(X).save(tmp_path / "skae.skae")
    with zipfile.ZipFile(tmp_path / "skae.skae") as archive:
        assert json.loads(archive.read(METADATA))["class"] == "AutoEncoder"
    assert type(load(tmp_path / "skae.skae")) is AutoEncoder


def test_a_kind_defined_in_a_script_loads_once_defined_or_moved(tmp_path):
    """Re-probe finding: a kind written in a script is saved as
    ``__main__.Name``; loaded from another script without it, the error said
    the file held no skae estimator and to import a module (``__main__``
    cannot be); and once the class had moved to a module, the file could not
    be loaded at all."""

    class ScriptKind(AutoEncoder):
        pass

    X = np.random.RandomState(0).standard_normal((80, 4))
    model = ScriptKind(max_epochs=2, random_state=0).fit(X)
    model.save(tmp_path / "own.skae")

    def named(name):
        def rename(meta):
            meta["class"] = name
            return meta

        return _rewrite(tmp_path / "own.skae", tmp_path / "renamed.skae", metadata=rename)

    # Written in a script, defined in a module now: found by its name.
    loaded = load(named(f"__main__.{ScriptKind.__qualname__}"))
    assert type(loaded) is ScriptKind
    assert_allclose(loaded.score_samples(X), model.score_samples(X), rtol=1e-6)
    with pytest.raises(ValueError, match="define or import a subclass named 'Gone' before"):
        load(named("__main__.Gone"))
    # load never imports a module a file names (that would run its code).
    with pytest.raises(ValueError, match="import the module that defines it before loading"):
        load(named("no_such_package.kinds.Gone"))
    assert "no_such_package" not in sys.modules


def test_a_failed_write_leaves_the_file_that_was_there(tmp_path):
    """replace_file (save's and the demo figure's way of writing): a write
    that fails midway leaves the previous file whole and nothing beside it
    (the demo's figure was written in place: a full disk left a truncated
    PNG where the previous one had been)."""
    from skae._persistence import replace_file

    target = tmp_path / "figure.png"
    target.write_bytes(b"previous figure")

    def fail_midway(file):
        file.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        replace_file(str(target), fail_midway)
    assert target.read_bytes() == b"previous figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figure.png"]
    replace_file(str(target), lambda file: file.write(b"new figure"))
    assert target.read_bytes() == b"new figure"


def test_a_model_loaded_with_joblib_mmap_scores_without_warnings(tmp_path):
    """joblib.load(mmap_mode="r") maps the fitted arrays read-only: torch
    warned ("The given NumPy array is not writable") at every scoring."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    X[::9, 2] = np.nan
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    joblib.dump(model, tmp_path / "model.joblib")
    mapped = joblib.load(tmp_path / "model.joblib", mmap_mode="r")
    assert not mapped.error_scale_.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = mapped.score_samples(X)
        terms = mapped.explain(X)
    np.testing.assert_array_equal(scores, model.score_samples(X))
    np.testing.assert_allclose(terms.sum(axis=1), scores, rtol=1e-6)


def test_the_imputer_saves_a_numpy_seed_and_warns_of_a_generator(blobs, tmp_path):
    """A numpy integer seed passes the imputer's validation, and JSON has no
    such type; a RandomState cannot be stored, and is dropped with a warning,
    as the estimator's own is."""
    import numpy as np

    from skae import AutoEncoder, AutoEncoderImputer

    holes = blobs.copy()
    holes[::5, 1] = np.nan
    path = tmp_path / "imputer.skae"
    template = AutoEncoder(max_epochs=2, random_state=0)
    AutoEncoderImputer(template, random_state=np.int64(3)).fit(holes).save(path)
    assert load(path).get_params(deep=False)["random_state"] == 3
    imputer = AutoEncoderImputer(template, random_state=np.random.RandomState(0)).fit(holes)
    with pytest.warns(UserWarning, match="the loaded imputer has random_state=None") as record:
        imputer.save(path)
    assert record[0].filename == __file__
    assert load(path).get_params(deep=False)["random_state"] is None
    model = AutoEncoder(max_epochs=2, random_state=np.random.RandomState(0)).fit(holes)
    with pytest.warns(UserWarning, match="the loaded model has random_state=None") as record:
        model.save(path)
    assert record[0].filename == __file__
    # The imputer's template, one call deeper, warns at the caller's line too.
    seeded = AutoEncoder(max_epochs=2, random_state=np.random.RandomState(0))
    with pytest.warns(UserWarning, match="the loaded model has") as record:
        AutoEncoderImputer(seeded, random_state=0).fit(holes).save(path)
    assert {warning.filename for warning in record} == {__file__}


def test_loading_in_another_thread_leaves_a_fit_reproducible(saved, blobs):
    """load() saves and restores torch's global generator: run beside a fit
    without waiting its turn, it rewound the fit's draws."""
    import threading

    alone = AutoEncoder(max_epochs=5, random_state=0).fit(blobs).score_samples(blobs)
    state = torch.get_rng_state()
    stop = threading.Event()

    def keep_loading() -> None:
        while not stop.is_set():
            load(saved)

    loader = threading.Thread(target=keep_loading)
    loader.start()
    try:
        for _ in range(3):
            model = AutoEncoder(max_epochs=5, random_state=0).fit(blobs)
            assert_array_equal(model.score_samples(blobs), alone)
    finally:
        stop.set()
        loader.join()
    assert torch.equal(torch.get_rng_state(), state)


def test_a_zero_dimensional_array_of_widths_is_one_layer(blobs, tmp_path):
    """np.array(8) passed the checks and failed in the build: "iteration over
    a 0-d array"."""
    est = AutoEncoder(max_epochs=1, hidden_layer_sizes=np.array(8), random_state=0).fit(blobs)
    assert est.hidden_layer_sizes_ == (8,)
    est.save(tmp_path / "m.skae")
    assert_array_equal(load(tmp_path / "m.skae").transform(blobs), est.transform(blobs))


def test_a_pickle_from_before_the_log_noise_variance_was_kept_still_scores():
    """Mutation audit: a model pickled by a version that kept only
    noise_variance_ (no _log_noise_variance) gets the log back from it when
    unpickled, and score() gives what it gave before. The mutant left it
    out: score() raised AttributeError."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    expected = model.score(X)
    del model._log_noise_variance  # as an older version pickled it
    old = pickle.loads(pickle.dumps(model))
    assert old.score(X) == pytest.approx(expected, rel=1e-12)


#: What _EpochHook calls at each epoch's end (a callback that pickles with
#: the model holds no function of a test).
_EPOCH_HOOKS: list = []


class _EpochHook(Callback):
    def on_epoch_end(self, net, **kwargs) -> None:
        for hook in _EPOCH_HOOKS:
            hook()


@pytest.mark.parametrize("copy_as", ["save", "pickle", "onnx"])
def test_a_copy_taken_during_a_refit_in_another_thread_is_the_finished_fit(copy_as, tmp_path):
    """save, pickle and to_onnx read the fitted state without the lock the
    predictions wait on: taken while another thread refitted, the copy held
    the new fit's scaling with the old network (and loaded without a word)."""
    import threading

    rng = np.random.RandomState(0)
    X, other = rng.normal(size=(200, 5)), rng.gamma(2.0, size=(250, 5))
    other, new = other[:200], other[200:]
    model = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    copies: list = []
    started: list[threading.Thread] = []

    def copy_now() -> None:
        if copy_as == "save":
            model.save(tmp_path / "m.skae")
            copies.append(load(tmp_path / "m.skae"))
        elif copy_as == "pickle":
            copies.append(pickle.loads(pickle.dumps(model)))
        else:
            copies.append(skae.to_onnx(model).SerializeToString())

    def copy_from_another_thread() -> None:
        if not started:  # once, in the refit's first epoch
            thread = threading.Thread(target=copy_now)
            started.append(thread)
            thread.start()
            thread.join(timeout=1.0)  # the copy must wait for the fit

    model.set_params(callbacks=[_EpochHook()])
    _EPOCH_HOOKS.append(copy_from_another_thread)
    try:
        model.fit(other)
    finally:
        _EPOCH_HOOKS.clear()
    started[0].join()
    expected = model.score_samples(new)
    if copy_as == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(copies[0])
        (scores,) = session.run(["score_samples"], {"X": new.astype(np.float32)})
        assert_allclose(scores, expected, rtol=1e-4)
    else:
        assert_array_equal(copies[0].score_samples(new), expected)


@pytest.mark.parametrize(
    "edit, message",
    [
        ("shape", "'exp_avg' has shape"),
        ("nan_moment", "'exp_avg_sq' holds NaN"),
        ("negative_moment", "'exp_avg_sq' holds negative"),
        ("nan_rate", "'lr' is NaN"),
        # Probe findings: a negative rate climbed the loss until it diverged,
        # with a message that blamed a rate of 0.001.
        ("negative_rate", r"'lr' is negative \(-1.0\)"),
        ("negative_eps", "'eps' is negative"),
        ("beta_of_one", r"betas must lie in \[0, 1\)"),
    ],
)
def test_a_file_whose_optimiser_state_is_damaged_is_refused(saved, tmp_path, edit, message):
    """The optimiser's state loaded unchecked; the next partial_fit then failed
    with torch's internal assertion or a divergence blamed on the rate."""
    with zipfile.ZipFile(saved) as archive:
        tensors = torch.load(io.BytesIO(archive.read(TENSORS)), weights_only=True)
    state = tensors["optimizer"]["state"][0]
    if edit == "shape":
        state["exp_avg"] = torch.zeros(state["exp_avg"].numel() + 1)
    elif edit == "nan_moment":
        state["exp_avg_sq"][...] = float("nan")
    elif edit == "negative_moment":
        state["exp_avg_sq"][...] = -1.0
    elif edit == "negative_rate":
        tensors["optimizer"]["param_groups"][0]["lr"] = -1.0
    elif edit == "negative_eps":
        tensors["optimizer"]["param_groups"][0]["eps"] = -1e-8
    elif edit == "beta_of_one":
        tensors["optimizer"]["param_groups"][0]["betas"] = (0.9, 1.0)
    else:
        tensors["optimizer"]["param_groups"][0]["lr"] = float("nan")
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    damaged = _rewrite(saved, tmp_path / "damaged.skae", tensors=buffer.getvalue())
    with pytest.raises(ValueError, match=f"damaged.skae: the optimiser's {message}"):
        load(damaged)
    load(_rewrite(saved, tmp_path / "whole.skae")).partial_fit(np.ones((5, 5)))


def test_a_model_joblib_loaded_with_mmap_continues_training_without_warnings(tmp_path):
    """Found by an independent probe: joblib.load(mmap_mode="r") gives
    read-only fitted arrays, and partial_fit handed them to torch, which
    warned of undefined behaviour (the code density's bound, the held-out
    rows of a warm start). They are copied now. In a fresh process: torch
    gives that warning once per process, and another test may have had it."""
    import subprocess
    import sys

    script = f"""
import warnings
import joblib
import numpy as np
from skae import AutoEncoder
X = np.random.RandomState(0).normal(size=(400, 5))
X[::7, 2] = np.nan
path = {str(tmp_path / "model.joblib")!r}
joblib.dump(AutoEncoder(max_epochs=2, early_stopping=True, random_state=0).fit(X), path)
loaded = joblib.load(path, mmap_mode="r")
assert not loaded.code_mean_.flags.writeable
warnings.simplefilter("error", UserWarning)
loaded.partial_fit(X[:300])
loaded.set_params(warm_start=True).fit(X)
assert np.isfinite(loaded.score_samples(X)).all()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_file_whose_batch_size_is_not_positive_is_refused(saved, tmp_path):
    """Mutation audit: the check of the saved net_batch_size had no test."""
    bad = _rewrite(saved, tmp_path / "bad.skae", metadata=lambda m: {**m, "net_batch_size": 0})
    with pytest.raises(ValueError, match="net_batch_size must be a positive integer"):
        load(bad)


def test_an_imputer_file_whose_width_does_not_fit_is_refused(tmp_path):
    """Mutation audit: the check of the imputer's saved n_features_in_ had no test."""
    from skae import AutoEncoderImputer, DenoisingAutoEncoder

    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    X[::5, 1] = np.nan
    AutoEncoderImputer(DenoisingAutoEncoder(max_epochs=1, random_state=0)).fit(X).save(
        tmp_path / "imputer.skae"
    )

    def wider(meta):
        meta["imputer"]["fitted"]["n_features_in_"] = 5
        return meta

    bad = _rewrite(tmp_path / "imputer.skae", tmp_path / "bad.skae", metadata=wider)
    with pytest.raises(ValueError, match="imputer's n_features_in_ does not fit"):
        load(bad)


def test_a_file_whose_counts_or_names_no_fit_gives_is_refused(tmp_path):
    """A probe: repeated column names loaded, then every prediction failed on
    scikit-learn's check of the names; a count of screened rows that is no
    count loaded as it was."""
    frame = pd.DataFrame(np.random.RandomState(0).normal(size=(80, 4)), columns=list("abcd"))
    path = tmp_path / "named.skae"
    AutoEncoder(max_epochs=2, random_state=0, tail_screen=2.0).fit(frame).save(path)
    assert load(path).n_screened_ == 0
    repeated = {"__object_array__": ["a", "a", "c", "d"]}
    for fitted, match in [
        ({"feature_names_in_": repeated}, "name each input column once"),
        ({"n_screened_": "lots"}, "n_screened_ must be a non-negative integer"),
        ({"n_screened_": -1}, "n_screened_ must be a non-negative integer"),
    ]:
        bad = _rewrite(path, tmp_path / "bad.skae", metadata=functools.partial(_forged, **fitted))
        with pytest.raises(ValueError, match=match):
            load(bad)


def test_a_screened_sample_no_fit_gives_is_refused(tmp_path):
    """A probe: a share above what the screen leaves out, more screened rows
    kept than n_screened_, and more of the fit's rows counted than the file
    keeps all loaded, and partial_fit ran on them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:12] += 7
    model = AutoEncoder(tail_screen=2.0, random_state=0).fit(X)
    model.save(tmp_path / "screened.skae")
    assert load(tmp_path / "screened.skae")._recent_fit_rows == model._recent_fit_rows
    for forge, message in (
        (lambda m: _forged(m, _screened_share=0.2), "a share in \\(0, 1/9\\]"),
        (lambda m: _forged(m, n_screened_=3), "no more than n_screened_"),
        (lambda m: _forged(m, _recent_fit_rows=250), "counts more of the fit's rows"),
    ):
        bad = _rewrite(tmp_path / "screened.skae", tmp_path / "bad.skae", metadata=forge)
        with pytest.raises(ValueError, match=message):
            load(bad)


def test_a_copy_keeps_its_own_epoch_history():
    """Mutation audit (m33): a copy's history is its own. Shared with the
    original, two later ``partial_fit`` calls on the original gave the copy 5
    epochs where it was fitted with 3."""
    import copy

    X = np.random.RandomState(0).normal(size=(200, 4))
    model = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    copied = copy.copy(model)
    model.partial_fit(X)
    model.partial_fit(X)
    assert len(model.net_.history) == 5
    assert len(copied.net_.history) == 3
    assert copied.net_.history is not model.net_.history
