"""The scikit-learn protocol, checked once for every kind of autoencoder."""

import copy
import inspect
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from skorch.callbacks import Callback, LRScheduler

import skae
from skae import (
    AutoEncoder,
    AutoEncoderImputer,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
    load,
)

# --- fitting and fitted attributes -------------------------------------------


def test_fit_sets_attributes_and_history(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    assert est.n_features_in_ == 5
    assert est.n_iter_ == est.max_epochs == len(est.net_.history)
    assert_allclose(est.mean_, blobs.mean(axis=0))
    assert_allclose(est.scale_, blobs.std(axis=0))
    losses = est.net_.history[:, "train_loss"]
    assert np.all(np.isfinite(losses))
    # The net learns: the loss falls by half its first value (or more: the
    # VAE's negative log-likelihood can go below zero).
    assert losses[-1] < losses[0] - 0.5 * abs(losses[0])


def test_transform_shapes_and_dtypes(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    codes = est.transform(blobs)
    assert codes.shape == (200, 2) and codes.dtype == np.float64
    assert est.transform(blobs.astype(np.float32)).dtype == np.float32
    assert_allclose(est.fit_transform(blobs), codes, rtol=1e-6)
    back = est.inverse_transform(codes)
    assert back.shape == blobs.shape and back.dtype == np.float64
    # As documented (GaussianMixture.sample's way): float64 from float32 rows.
    narrow = make_estimator().fit(blobs.astype(np.float32))
    assert narrow.sample(3, random_state=0).dtype == np.float64


def test_inverse_transform_returns_original_units(make_estimator, blobs):
    params = {"max_epochs": 60}
    if make_estimator.__name__ == "SparseAutoEncoder":
        # ReLU codes are non-negative: each signed direction of the data
        # takes two of them (its positive and its negative part).
        params["n_components"] = 4
    est = make_estimator(**params).fit(blobs)
    back = est.inverse_transform(est.transform(blobs))
    # The data has rank 2 plus a little noise: two codes reconstruct each feature
    # to a small fraction of its spread, in its own (very different) units.
    relative_error = np.sqrt(((back - blobs) ** 2).mean(axis=0)) / blobs.std(axis=0)
    assert np.all(relative_error < 0.35), relative_error


def test_fewer_samples_than_batch_size(make_estimator, blobs):
    est = make_estimator(batch_size=512).fit(blobs[:7])
    assert est.net_.history[-1, "train_batch_count"] == 1
    assert est.transform(blobs[:7]).shape == (7, 2)


def test_single_sample_fits(make_estimator, blobs):
    """It fits, and says that a scaling measured on one row holds nothing
    (partial_fit said so of a first chunk; fit did not)."""
    with pytest.warns(UserWarning, match="X has 1 row.*every feature is taken as constant"):
        est = make_estimator().fit(blobs[:1])
    assert np.all(np.isfinite(est.transform(blobs[:3])))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        make_estimator().fit(blobs[:10])  # enough rows: no warning


# --- scikit-learn integration --------------------------------------------------


@pytest.mark.parametrize("name", [name for name in skae.__all__ if name.endswith("AutoEncoder")])
def test_a_misspelled_parameter_names_the_class_the_user_typed(name):
    """AutoEncoder keeps the base's parameters, and its errors named
    BaseAutoEncoder.__init__, a class the user never typed (a probe); a
    user's subclass keeps its parent's parameters under its own name."""
    cls = getattr(skae, name)
    with pytest.raises(TypeError, match=rf"^{name}\.__init__\(\) got an unexpected keyword"):
        cls(n_component=2)
    child = type("Child", (cls,), {})
    assert inspect.signature(child) == inspect.signature(cls)
    assert child().get_params() == cls().get_params()
    with pytest.raises(TypeError, match=r"^Child\.__init__\(\) got an unexpected keyword"):
        child(n_component=2)


def test_clone_gives_unfitted_copy_with_same_params(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        twin.transform(blobs)


def test_pickle_round_trip_gives_identical_outputs(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    loaded = pickle.loads(pickle.dumps(est))
    assert_array_equal(loaded.transform(blobs), est.transform(blobs))
    assert_array_equal(loaded.score_samples(blobs), est.score_samples(blobs))
    assert_array_equal(loaded.predict(blobs), est.predict(blobs))


def test_grid_search_without_scorer_uses_score(make_estimator, blobs):
    search = GridSearchCV(make_estimator(), {"n_components": [1, 3]}, cv=3).fit(blobs)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    if not isinstance(search.best_estimator_, VariationalAutoEncoder):
        # score is the mean negative reconstruction error: more components fit
        # better. (A likelihood, as the VAE's, need not prefer more.)
        assert search.best_params_ == {"n_components": 3}


def test_cross_val_score_in_pipeline(make_estimator, blobs):
    scores = cross_val_score(make_pipeline(StandardScaler(), make_estimator()), blobs, cv=3)
    # Held-out log-likelihoods of the standardised data: better than the
    # standard normal's, which knows nothing of the correlations.
    standard_normal = -0.5 * blobs.shape[1] * (np.log(2 * np.pi) + 1)
    assert scores.shape == (3,) and np.all(scores > standard_normal)


def test_feature_names_and_pandas_output(make_estimator, blobs):
    columns = [f"f{i}" for i in range(5)]
    frame = pd.DataFrame(blobs, columns=columns)
    est = make_estimator().set_output(transform="pandas").fit(frame)
    assert_array_equal(est.feature_names_in_, columns)
    prefix = type(est).__name__.lower()
    assert_array_equal(est.get_feature_names_out(), [f"{prefix}0", f"{prefix}1"])
    codes = est.transform(frame)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == [f"{prefix}0", f"{prefix}1"]
    assert_array_equal(codes.index, frame.index)


# --- determinism ---------------------------------------------------------------


def test_same_random_state_gives_identical_codes(make_estimator, blobs):
    first = make_estimator(random_state=3).fit(blobs).transform(blobs)
    second = make_estimator(random_state=3).fit(blobs).transform(blobs)
    other = make_estimator(random_state=4).fit(blobs).transform(blobs)
    assert_array_equal(first, second)
    assert not np.allclose(first, other)


def test_unseeded_fits_differ(make_estimator, blobs):
    first = make_estimator(random_state=None).fit(blobs).transform(blobs)
    second = make_estimator(random_state=None).fit(blobs).transform(blobs)
    assert not np.allclose(first, second)


def test_fit_leaves_global_random_state_alone(make_estimator, blobs):
    torch_state = torch.random.get_rng_state()
    numpy_state = np.random.get_state()[1].copy()  # noqa: NPY002 (the legacy global is the point)
    for random_state in (0, None):
        est = make_estimator(random_state=random_state).fit(blobs)
        est.partial_fit(blobs)
        est.sample(5, random_state=0)
    assert torch.equal(torch.random.get_rng_state(), torch_state)
    assert_array_equal(np.random.get_state()[1], numpy_state)  # noqa: NPY002


def test_inference_is_deterministic(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    assert_array_equal(est.transform(blobs), est.transform(blobs))
    assert_array_equal(est.score_samples(blobs), est.score_samples(blobs))


def test_a_few_rows_are_computed_in_a_padded_batch(make_estimator, blobs):
    """The BLAS computes a batch of a few rows with other kernels than a
    larger one, and a row alone scored otherwise in the last bits than in a
    batch (check_methods_subset_invariance). Outside training the encoder and
    the decoder pad a small batch with copies of its last row, and return the
    rows they were given; in training they do not."""
    from skae._architectures import MIN_INFERENCE_ROWS

    est = make_estimator().fit(blobs)
    module = est.net_.module_
    seen = []
    hooks = [
        part.register_forward_hook(lambda layer, inputs, output: seen.append(len(inputs[0])))
        for part in (module.encoder, module.decoder)
    ]
    try:
        module.eval()
        x = torch.as_tensor(blobs[:3], dtype=torch.float32)
        with torch.no_grad():
            out = module(x)
            assert seen == [MIN_INFERENCE_ROWS] * 2
            assert len(out["z"]) == 3 and len(out["x_hat"]) == 3
            whole = module(torch.as_tensor(blobs[:40], dtype=torch.float32))
        assert_allclose(out["x_hat"].numpy(), whole["x_hat"][:3].numpy(), rtol=1e-5, atol=1e-6)
        seen.clear()
        module.train()
        module(x)
        assert seen == [3, 3]
    finally:
        module.eval()
        for hook in hooks:
            hook.remove()
    # A row alone gets its batch's score, to rounding whatever the BLAS.
    alone = np.concatenate([est.score_samples(blobs[i : i + 1]) for i in range(5)])
    assert_allclose(alone, est.score_samples(blobs)[:5], rtol=1e-5)


# --- outlier detection -----------------------------------------------------------


def test_outlier_api_is_consistent(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    scores = est.score_samples(blobs)
    assert scores.shape == (200,) and np.all(np.isfinite(scores))
    assert_allclose(est.decision_function(blobs), scores - est.offset_)
    assert_array_equal(est.predict(blobs), np.where(scores < est.offset_, -1, 1))
    assert est.predict(blobs).dtype.kind == "i"


def test_auto_contamination_is_tukeys_fence(make_estimator, blobs):
    # On the training rows: without rows held out (else on theirs,
    # tests/test_outliers.py).
    est = make_estimator(early_stopping=False).fit(blobs)
    q1, q3 = np.percentile(est.score_samples(blobs), [25, 75])
    fence = q1 - 1.5 * (q3 - q1)
    # Just below it (1e-5 of its size and the spread): ties stay inliers.
    assert est.offset_ < fence
    assert est.offset_ == pytest.approx(fence, abs=2e-5 * (abs(fence) + q3 - q1))


@pytest.mark.parametrize("contamination", [0.05, 0.2])
def test_float_contamination_flags_that_fraction(make_estimator, blobs, contamination):
    labels = make_estimator(contamination=contamination).fit_predict(blobs)
    assert np.mean(labels == -1) == pytest.approx(contamination, abs=1 / 200)


def test_far_points_are_flagged(make_estimator, blobs):
    rng = np.random.RandomState(1)
    far = blobs[:5] + 20 * blobs.std(axis=0) * rng.choice([-1, 1], size=(5, 5))
    est = make_estimator(max_epochs=40).fit(blobs)
    assert np.all(est.predict(far) == -1)
    assert est.score_samples(far).max() < est.score_samples(blobs).min()


# --- sampling --------------------------------------------------------------------


def test_sample_looks_like_training_data(make_estimator, blobs):
    est = make_estimator(max_epochs=40).fit(blobs)
    drawn = est.sample(500, random_state=0)
    assert drawn.shape == (500, 5) and drawn.dtype == np.float64
    # Original units: means within a few tenths of a standard deviation.
    assert np.all(np.abs(drawn.mean(0) - blobs.mean(0)) < 0.3 * blobs.std(0))
    assert np.all(drawn.std(0) > 0.3 * blobs.std(0))


def test_sample_is_repeatable(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    assert_array_equal(est.sample(4, random_state=0), est.sample(4, random_state=0))
    assert not np.allclose(est.sample(4, random_state=0), est.sample(4, random_state=1))


# --- partial_fit -----------------------------------------------------------------


def test_partial_fit_continues_training(make_estimator, blobs):
    est = make_estimator()
    for _ in range(40):
        est.partial_fit(blobs)
    losses = est.net_.history[:, "train_loss"]
    assert len(losses) == 40 and est.n_iter_ == 40
    assert losses[-1] < losses[0] - 0.5 * abs(losses[0])
    scaling = est.mean_.copy()
    est.partial_fit(blobs[:50] + 1000)
    assert_array_equal(est.mean_, scaling)


def test_partial_fit_after_fit_keeps_weights(make_estimator, blobs):
    est = make_estimator(early_stopping=True, max_epochs=5).fit(blobs)
    weights = [p.detach().clone() for p in est.net_.module_.parameters()]
    net = est.net_
    est.partial_fit(blobs)
    assert est.net_ is net and len(est.net_.history) == est.n_iter_
    moved = [
        not torch.equal(a, b) for a, b in zip(weights, est.net_.module_.parameters(), strict=True)
    ]
    assert any(moved)


def test_partial_fit_rejects_other_feature_count(make_estimator, blobs):
    est = make_estimator().partial_fit(blobs)
    with pytest.raises(ValueError, match="X has 4 features, but .* is expecting 5"):
        est.partial_fit(blobs[:, :4])


def test_fit_again_starts_afresh_unless_warm_start(make_estimator, blobs):
    est = make_estimator(max_epochs=4).fit(blobs)
    codes, loss = est.transform(blobs), est.net_.history[-1, "train_loss"]
    # A second fit with the same seed retraces the first exactly.
    assert_array_equal(est.fit(blobs).transform(blobs), codes)
    assert est.n_iter_ == 4
    # With warm_start it continues where the first fit ended, not from scratch.
    first_epoch = est.net_.history[0, "train_loss"]
    est.set_params(warm_start=True).fit(blobs)
    assert est.n_iter_ == 8 and len(est.net_.history) == 8
    # Its first epoch is already nearer the trained loss than an untrained one.
    assert est.net_.history[4, "train_loss"] < (first_epoch + loss) / 2
    assert not np.array_equal(est.transform(blobs), codes)
    # The scaling learned at the first fit stays: the weights depend on it.
    scaling = est.mean_.copy()
    est.fit(blobs + 1.0)
    assert_array_equal(est.mean_, scaling)


def test_warm_start_keeps_the_architecture(make_estimator, blobs):
    est = make_estimator(max_epochs=2, warm_start=True).fit(blobs)
    with pytest.raises(ValueError, match="warm_start=True continues the fitted network"):
        est.set_params(n_components=3).fit(blobs)
    with pytest.raises(ValueError, match="X has 4 features"):
        est.set_params(n_components=2).fit(blobs[:, :4])


# --- training controls -------------------------------------------------------------


def test_early_stopping_uses_held_out_loss(make_estimator, blobs):
    est = make_estimator(early_stopping=True, patience=2, max_epochs=300).fit(blobs)
    history = est.net_.history
    assert "valid_loss" in history[-1]
    assert est.n_iter_ < 300
    # The best epoch's weights are restored.
    valid = history[:, "valid_loss"]
    assert int(np.argmin(valid)) == len(valid) - 1 - 2


def test_a_fit_that_stopped_early_keeps_no_copy_of_the_best_weights(blobs):
    """Restored, the best epoch's weights are the net's own: the callback
    lets its copies go. Kept, they doubled a pickle and, from a GPU fit, made
    it fail to unpickle without a GPU (skorch maps only the net's modules to
    the CPU; seen on an H200)."""
    est = VariationalAutoEncoder(
        n_components=2, hidden_layer_sizes=(8,), early_stopping=True, patience=2, random_state=0
    ).fit(blobs)
    stopping = dict(est.net_.callbacks_)["early_stopping"]
    assert stopping.best_epoch_ >= 1
    assert stopping.best_model_weights_ is None and stopping.best_criterion_weights_ is None


def _held_out_rows_of_each_fit(est, X, fits: int) -> list[np.ndarray]:
    """The (scaled) rows each of ``fits`` calls of ``est.fit(X)`` held out,
    sorted, as its first epoch saw them."""
    seen: list[np.ndarray] = []

    class Record(Callback):
        def on_train_begin(self, net, **kwargs):
            self.first = True

        def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
            if self.first:
                rows = dataset_valid.X.detach().cpu().numpy()
                seen.append(rows[np.lexsort(rows.T)])
                self.first = False

    est.set_params(callbacks=[Record()])
    for _ in range(fits):
        est.fit(X)
    return seen


def test_a_warm_start_holds_out_the_rows_the_last_fit_held_out(blobs, tmp_path):
    """A warm start that drew a new held-out tenth judged its epochs, and drew
    the fence of ``contamination="auto"``, partly on rows the last fit had
    trained on. The same rows stay out, as in MLPRegressor with an integer
    random_state; a fit that does not continue draws afresh."""
    X = np.vstack([blobs, blobs * 1.01])  # 400 rows: 40 held out
    warm = VariationalAutoEncoder(max_epochs=2, warm_start=True, random_state=0)
    first, second = _held_out_rows_of_each_fit(warm, X, fits=2)
    assert len(first) == 40
    assert_array_equal(first, second)
    # Another validation_fraction, or other rows: drawn afresh, no error.
    warm.set_params(validation_fraction=0.2).fit(X)
    assert len(warm._held_out_rows) == 80
    warm.fit(X[:300])
    assert len(warm._held_out_rows) == 60
    # Without warm_start each fit draws its own rows (seeded: the same here,
    # so the seed of a second fit is changed).
    cold = VariationalAutoEncoder(max_epochs=2, random_state=0)
    a, b = _held_out_rows_of_each_fit(cold, X, fits=1) + _held_out_rows_of_each_fit(
        cold.set_params(random_state=1), X, fits=1
    )
    assert not np.array_equal(a, b)
    # Kept by save and load: a loaded model continues as the saved one.
    warm.set_params(callbacks=None).save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    (continued,) = _held_out_rows_of_each_fit(warm, X[:300], fits=1)
    (continued_after_load,) = _held_out_rows_of_each_fit(loaded, X[:300], fits=1)
    assert_array_equal(continued, continued_after_load)


def test_as_many_codes_as_inputs_warns_for_the_plain_kind_only(blobs):
    """Probe finding: a grid search without a scorer picked 20 codes for 10
    features, since a plain autoencoder that can copy its input reconstructs
    held-out rows best; PCA refuses more components than features. The
    convolutional kind, the plain one with convolutions, warns too (it did
    not, where AutoEncoder(architecture="conv") did)."""
    with pytest.warns(UserWarning, match="n_components=5 is at least the 5 inputs") as record:
        AutoEncoder(n_components=5, max_epochs=1, random_state=0).fit(blobs)
    assert record[0].filename == __file__
    images = np.random.RandomState(0).rand(50, 16)
    for conv in (
        ConvolutionalAutoEncoder(n_components=16, image_shape=(1, 4, 4), max_epochs=1),
        AutoEncoder(n_components=16, architecture="conv", image_shape=(1, 4, 4), max_epochs=1),
    ):
        with pytest.warns(UserWarning, match="n_components=16 is at least the 16 inputs"):
            conv.fit(images)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoEncoder(n_components=4, max_epochs=1, random_state=0).fit(blobs)
        # Kinds whose training keeps them from copying: overcomplete codes are theirs.
        SparseAutoEncoder(n_components=8, max_epochs=1, random_state=0).fit(blobs)
        DenoisingAutoEncoder(n_components=8, max_epochs=1, random_state=0).fit(blobs)
        DenoisingAutoEncoder(n_components=8, noise="mask", max_epochs=1).fit(blobs)
        ContractiveAutoEncoder(n_components=8, max_epochs=1, random_state=0).fit(blobs)
        VariationalAutoEncoder(n_components=8, max_epochs=1, random_state=0).fit(blobs)


@pytest.mark.parametrize(
    "est, setting",
    [
        (DenoisingAutoEncoder(noise_std=0.0), "noise_std=0"),
        (DenoisingAutoEncoder(noise="mask", mask_rate=0.0), "mask_rate=0"),
        (SparseAutoEncoder(sparsity_weight=0.0), "sparsity_weight=0"),
        (ContractiveAutoEncoder(contraction_weight=0.0), "contraction_weight=0"),
        # A later probe: without the KL term the posterior's spread shrinks to 0.
        (VariationalAutoEncoder(beta=0.0), "beta=0"),
    ],
)
def test_a_kind_with_its_regulariser_off_warns_of_as_many_codes_as_inputs(blobs, est, setting):
    """Found by an independent probe: with its corruption or penalty at 0, a
    kind is a plain autoencoder that can copy X, yet only AutoEncoder warned
    of as many codes as inputs."""
    est.set_params(n_components=5, max_epochs=1, random_state=0)
    with pytest.warns(UserWarning, match=f"5 inputs of the network: .* with {setting} can"):
        est.fit(blobs)


def test_verbose_prints_epoch_table(make_estimator, blobs, capsys):
    make_estimator(max_epochs=2).fit(blobs)
    assert capsys.readouterr().out == ""
    est = make_estimator(max_epochs=2, verbose=1).fit(blobs)
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out and "time_left" in out
    # Captured, the output is no terminal: skorch's colour codes were noise there.
    assert "\x1b[" not in out
    # The estimate of the time left ends at zero.
    left = est.net_.history[:, "time_left"]
    assert len(left) == 2 and left[0] >= 0 and left[-1] == 0
    make_estimator(max_epochs=2, verbose=2).fit(blobs)
    assert "it/s" in capsys.readouterr().err  # the per-epoch progress bar


def test_user_callbacks_run_on_a_copy(make_estimator, blobs):
    class CountEpochs(Callback):
        def __init__(self):
            self.n = 0

        def on_epoch_end(self, net, **kwargs):
            self.n += 1

    counter = CountEpochs()
    est = make_estimator(max_epochs=4, callbacks=[counter]).fit(blobs)
    assert counter.n == 0  # the estimator's parameter is not changed by fit
    copies = [cb for _, cb in est.net_.callbacks_ if isinstance(cb, CountEpochs)]
    assert len(copies) == 1 and copies[0].n == 4


def test_nan_loss_raises_and_leaves_estimator_unfitted(make_estimator, blobs):
    class Poison(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) == 3:
                with torch.no_grad():
                    next(net.module_.parameters()).fill_(float("nan"))

    est = make_estimator(max_epochs=10, callbacks=[Poison()])
    with pytest.raises(FloatingPointError, match="epoch 3.*lower learning rate"):
        est.fit(blobs)
    with pytest.raises(NotFittedError):
        est.transform(blobs)


def test_a_callback_during_the_first_fit_finds_it_not_fitted(make_estimator, blobs):
    """Inference called from a callback before the first fit has finished
    raised an AttributeError on a missing ``net_``; scikit-learn's answer is
    NotFittedError."""
    raised = []

    class Probe(Callback):
        def on_epoch_end(self, net, **kwargs):
            for call in (lambda: est.predict(blobs[:3]), lambda: est.sample(2)):
                with pytest.raises(NotFittedError) as info:
                    call()
                raised.append(info.type)

    est = make_estimator(max_epochs=1, callbacks=[Probe()])
    est.fit(blobs)
    assert raised == [NotFittedError, NotFittedError]
    assert set(np.unique(est.predict(blobs[:3]))) <= {-1, 1}


def test_a_fit_that_ends_far_worse_than_the_means_is_warned():
    """Between the start and the divergence error (10 times worse), a run
    left the reconstructions 5 times worse than the features' means and came
    back without a word."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    X[:, 1] = 2 * X[:, 0] + 0.1 * rng.randn(200)
    with pytest.warns(ConvergenceWarning, match="times worse .* learned nothing usable") as record:
        DenoisingAutoEncoder(2, lr=0.7, max_epochs=20, random_state=0).fit(X)
    assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = DenoisingAutoEncoder(2, max_epochs=20, random_state=0).fit(X)
    assert model.net_.history[-1, "train_loss"] < model.net_.history[0, "train_loss"]
    # The spread of one row is 0: one-row chunks of a healthy model warned.
    low_rank = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.randn(300, 6)
    model = ContractiveAutoEncoder(n_components=2, max_epochs=40, random_state=0).fit(low_rank)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for i in range(30):
            model.partial_fit(low_rank[i : i + 1])


def test_one_row_chunks_of_a_model_that_fits_well_are_not_called_diverged():
    """The spread of one row is 0, so the reference of the divergence test
    was the row's own tiny error: a model that reconstructs its data to 1e-3
    was refused as diverged at the 107th one-row chunk."""
    rng = np.random.RandomState(0)
    t = rng.normal(size=(3000, 2))
    X = np.hstack([t, t @ rng.normal(size=(2, 4))]) + 0.001 * rng.normal(size=(3000, 6))
    model = AutoEncoder(random_state=0, max_epochs=20).fit(X[:2000])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for i in range(2000, 2120):
            model.partial_fit(X[i : i + 1])
    assert model.n_iter_ == 20 + 120


@pytest.mark.parametrize(
    "make, term",
    [
        (lambda: VariationalAutoEncoder(beta=1e39, lr=1e-12), "kl"),
        (lambda: SparseAutoEncoder(sparsity_weight=1e39, lr=1e-12), "sparsity"),
        (lambda: ContractiveAutoEncoder(contraction_weight=1e39, lr=1e-12), "contraction"),
    ],
)
def test_a_penalty_that_overflows_is_named_not_the_learning_rate(blobs, make, term):
    """Every loss was inf from the first batch on, and the message said to
    lower the learning rate, which changed nothing."""
    with pytest.raises(FloatingPointError, match=f"penalty term '{term}' is not finite"):
        make().set_params(max_epochs=2, random_state=0).fit(blobs)


@pytest.mark.parametrize(
    "make, named",
    [
        (lambda: DenoisingAutoEncoder(noise_std=1e30), r"noise_std \(now 1e\+30\)"),
        (lambda: AutoEncoder(weight_decay=1e30), r"weight_decay \(now 1e\+30\)"),
        (
            lambda: SparseAutoEncoder(sparsity_weight=1e30),
            "a smaller weight of the penalty term 'sparsity'",
        ),
    ],
)
def test_a_divergence_names_the_weights_that_size_the_loss(blobs, make, named):
    """Found by a probe: noise_std=1e30 (or a huge weight decay or penalty
    weight) diverged with advice on the learning rate and the input alone,
    both as the user had left them."""
    with pytest.raises(FloatingPointError, match=f"Training diverged.*{named}"):
        make().set_params(max_epochs=2, random_state=0).fit(blobs)
    # A plain model's advice names no weight it does not have.
    with pytest.raises(FloatingPointError) as error:
        AutoEncoder(lr=1e8, max_epochs=2, random_state=0).fit(blobs)
    assert "smaller" not in str(error.value)


def test_a_sparsity_target_below_float32s_range_trains():
    """1e-40 became 0 in float32: 0 * log(0) made every loss NaN."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    for target in (1e-40, 1e-100, 1e-310):  # 1e-310: flushed to 0 in training
        model = SparseAutoEncoder(
            sparsity="kl", sparsity_target=target, max_epochs=2, random_state=0
        ).fit(X)
        assert np.isfinite(model.net_.history[:, "train_loss"]).all()


def test_the_imputer_is_not_fitted_during_its_first_fit():
    """A transform from a callback during the imputer's first fit raised an
    AttributeError on estimator_."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    X[::5, 0] = np.nan
    seen = []

    class Probe(Callback):
        def on_epoch_end(self, net, **kwargs):
            with pytest.raises(NotFittedError):
                imputer.transform(X)
            seen.append(True)

    imputer = AutoEncoderImputer(AutoEncoder(max_epochs=1, random_state=0, callbacks=[Probe()]))
    imputer.fit(X)
    assert seen == [True] and not np.isnan(imputer.transform(X)).any()


def test_the_best_epoch_is_taken_again_after_a_rolled_back_call():
    """A failed partial_fit removes its epochs from the history; the scoring
    callbacks kept the best score of a removed epoch, and train_loss_best
    compared new epochs with it."""

    class FailOnce(Callback):
        def initialize(self):
            self.calls_ = 0
            return self

        def on_train_end(self, net, **kwargs):
            self.calls_ += 1
            if self.calls_ == 3:
                raise RuntimeError("boom")

    X = np.random.RandomState(0).normal(size=(400, 4)).astype(np.float32)
    model = AutoEncoder(n_components=2, max_epochs=3, random_state=0, callbacks=[("f", FailOnce())])
    for i in range(8):
        chunk = X[50 * i : 50 * i + 50] * (0.01 if i == 2 else 1)  # an easy chunk, rolled back
        try:
            model.partial_fit(chunk)
        except RuntimeError:
            pass
    losses = model.net_.history[:, "train_loss"]
    best = model.net_.history[:, "train_loss_best"]
    running = np.minimum.accumulate(losses)
    assert best == [bool(loss == low) for loss, low in zip(losses, running, strict=True)]
    assert model.n_iter_ == len(losses) == 7


def test_a_finite_divergence_is_reported_too(make_estimator, blobs):
    """A learning rate of 100 blows the losses up (to 1e8 and more at 10
    already for the dense kinds) without reaching inf: the fit raises rather
    than return useless outputs."""
    est = make_estimator(max_epochs=10, lr=100.0)
    with pytest.raises(FloatingPointError, match="diverged.*lower learning rate"):
        est.fit(blobs)
    with pytest.raises(NotFittedError):
        est.transform(blobs)


@pytest.mark.parametrize("lr", [300.0, 1e4])
def test_a_divergence_of_bounded_reconstructions_is_reported(make_estimator, lr):
    """With binary cross-entropy the reconstructions stay in [0, 1] however
    far the network blows up (losses of 1e8 at lr=30 came back as a fitted
    model); the loss shows it."""
    X = np.random.RandomState(0).rand(200, 16)
    est = make_estimator(max_epochs=4, lr=lr, loss="binary_crossentropy")
    if est.architecture == "conv":
        est.set_params(image_shape=(1, 4, 4))
    with pytest.raises(FloatingPointError, match="diverged.*lower learning rate"):
        est.fit(X)
    with pytest.raises(NotFittedError):
        est.transform(X)
    # A sound run on the same data is not taken for one.
    est.set_params(lr=1e-2).fit(X)
    assert est.n_iter_ == 4


def test_warm_start_resumes_a_learning_rate_schedule(blobs):
    schedule = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
    est = AutoEncoder(max_epochs=2, warm_start=True, callbacks=[schedule], random_state=0)
    est.fit(blobs).fit(blobs)
    assert est.n_iter_ == 4
    # The schedule resumed from the copied history's epoch (it halves the
    # rate every epoch), not from the start.
    assert est.net_.optimizer_.param_groups[0]["lr"] <= est.net_.lr / 8


@pytest.mark.parametrize(
    "schedule",
    [
        {"policy": "StepLR", "step_size": 1, "gamma": 0.5},
        {"policy": "ExponentialLR", "gamma": 0.5},
        {"policy": "StepLR", "step_size": 2, "gamma": 0.5},
    ],
    ids=["step", "exponential", "step-of-two"],
)
def test_a_schedule_takes_one_step_per_epoch_across_calls(blobs, schedule):
    """skorch rebuilds the torch scheduler at every call: a warm start began
    again at lr, and each one-epoch partial_fit moved the rate twice."""
    est = AutoEncoder(max_epochs=3, callbacks=[LRScheduler(**schedule)], random_state=0)
    est.fit(blobs)
    est.set_params(warm_start=True).fit(blobs)
    est.partial_fit(blobs).partial_fit(blobs)
    step = schedule.get("step_size", 1)
    expected = [est.net_.lr * 0.5 ** (epoch // step) for epoch in range(8)]
    assert_allclose(est.net_.history[:, "event_lr"], expected)


def _scheduled(**params):
    schedule = LRScheduler(policy="StepLR", step_size=1, gamma=0.5)
    params = {"max_epochs": 2, **params}
    return AutoEncoder(callbacks=[schedule], random_state=0, **params)


class _FailOnce(Callback):
    """Raises at the end of the next epoch after ``armed`` is set."""

    armed = False

    def on_epoch_end(self, net, **kwargs):
        if _FailOnce.armed:
            _FailOnce.armed = False
            raise OSError("disk full")


def test_a_failed_partial_fit_puts_the_schedule_back(blobs):
    est = _scheduled()
    est.set_params(callbacks=[*est.callbacks, _FailOnce()]).fit(blobs)
    _FailOnce.armed = True
    with pytest.raises(OSError):
        est.partial_fit(blobs)
    est.partial_fit(blobs)
    # The third epoch's rate, as if the failed call had not happened.
    assert_allclose(est.net_.history[:, "event_lr"], [1e-3, 5e-4, 2.5e-4])


def test_a_new_lr_restarts_the_schedule_from_it(blobs):
    """partial_fit applies an lr set since the fit, with or without a
    schedule, in memory and in a pickled copy alike (the schedule put its
    own rate back over it)."""
    est = _scheduled().fit(blobs)
    for model in (est, pickle.loads(pickle.dumps(est))):
        model.set_params(lr=0.01).partial_fit(blobs).partial_fit(blobs)
        assert_allclose(model.net_.history[:, "event_lr"], [1e-3, 5e-4, 0.01, 0.005])


def test_a_loaded_model_trains_on_at_the_rate_its_schedule_reached(blobs, tmp_path):
    est = _scheduled().fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        est.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    assert loaded.net_.optimizer_.param_groups[0]["lr"] == est.net_.optimizer_.param_groups[0]["lr"]
    twin = pickle.loads(pickle.dumps(est)).set_params(callbacks=None)
    assert_allclose(
        loaded.partial_fit(blobs).transform(blobs), twin.partial_fit(blobs).transform(blobs)
    )
    # An lr set before the save is the next partial_fit's, as in memory.
    with pytest.warns(UserWarning, match="Callbacks are code"):
        est.set_params(lr=0.01).save(tmp_path / "changed.skae")
    assert load(tmp_path / "changed.skae").net_.optimizer_.param_groups[0]["lr"] == 0.01


def test_schedules_go_on_through_rebuilt_callbacks_loads_and_failures(blobs, tmp_path):
    """Re-probe findings: verbose set between calls rebuilt the callbacks
    and StepLR stepped twice; a schedule put back on a loaded model did too;
    a failed partial_fit forgot an lr set before it."""
    one_fit = _scheduled(max_epochs=3).fit(blobs).net_.history[:, "event_lr"]
    est = _scheduled().fit(blobs)
    est.set_params(verbose=1).partial_fit(blobs)
    assert_allclose(est.net_.history[:, "event_lr"], one_fit)
    est = _scheduled().fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        est.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    loaded.set_params(callbacks=_scheduled().callbacks).partial_fit(blobs)
    assert_allclose(loaded.net_.history[:, "event_lr"], one_fit)

    est = _scheduled()
    est.set_params(callbacks=[*est.callbacks, _FailOnce()]).fit(blobs)
    est.set_params(lr=0.01)
    _FailOnce.armed = True
    with pytest.raises(OSError):
        est.partial_fit(blobs)
    est.partial_fit(blobs)
    assert est.net_.history[-1, "event_lr"] == 0.01


def test_a_schedule_added_to_a_model_trained_without_one(blobs, tmp_path):
    """partial_fit raised torch's KeyError (no initial_lr); a loaded model's
    warm start began again at lr instead of the rate its schedule reached."""
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    est.set_params(callbacks=_scheduled().callbacks).partial_fit(blobs)
    assert est.net_.history[-1, "event_lr"] == est.net_.lr == pytest.approx(1e-3)
    scheduled = _scheduled().fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        scheduled.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    loaded.set_params(callbacks=_scheduled().callbacks, warm_start=True).fit(blobs)
    one_fit = _scheduled(max_epochs=4).fit(blobs)
    assert_allclose(loaded.net_.history[:, "event_lr"], one_fit.net_.history[:, "event_lr"])


def test_a_one_cycle_schedule_goes_on_through_a_warm_start(blobs):
    """OneCycleLR keeps max_lr and min_lr in the optimiser: a warm start's
    fresh optimiser lacked them (KeyError inside torch)."""
    schedule = LRScheduler(policy=torch.optim.lr_scheduler.OneCycleLR, max_lr=0.01, total_steps=4)
    est = AutoEncoder(max_epochs=2, warm_start=True, callbacks=[schedule], random_state=0)
    est.fit(blobs).fit(blobs)
    assert est.n_iter_ == 4
    one_fit = AutoEncoder(max_epochs=4, callbacks=[schedule], random_state=0).fit(blobs)
    assert_allclose(est.net_.history[:, "event_lr"], one_fit.net_.history[:, "event_lr"])


def _schedule_through_a_load(blobs, tmp_path, schedule, epochs):
    """One fit of ``epochs + 3`` epochs under ``schedule``, and a fit of
    ``epochs`` saved, loaded, given the schedule again and continued by three
    partial_fits: both estimators (four batches an epoch)."""
    params = {"callbacks": [schedule], "batch_size": len(blobs) // 4 + 1, "random_state": 0}
    one_fit = AutoEncoder(max_epochs=epochs + 3, **params).fit(blobs)
    est = AutoEncoder(max_epochs=epochs, **params).fit(blobs)
    with pytest.warns(UserWarning, match="Callbacks are code"):
        est.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae").set_params(callbacks=[schedule])
    for _ in range(3):
        loaded.partial_fit(blobs)
    return loaded, one_fit


def _batch_rates(est):
    return [[b["event_lr"] for b in epoch["batches"]] for epoch in est.net_.history]


def test_a_per_batch_schedule_goes_on_after_a_load(blobs, tmp_path):
    """Put back on a loaded model, a schedule stepped per batch went on from
    the epoch count (skorch's start), not the batch count: OneCycleLR climbed
    back to its peak."""
    schedule = LRScheduler(
        policy=torch.optim.lr_scheduler.OneCycleLR, max_lr=0.05, total_steps=24, step_every="batch"
    )
    loaded, one_fit = _schedule_through_a_load(blobs, tmp_path, schedule, 3)
    assert_allclose(_batch_rates(loaded), _batch_rates(one_fit))


@pytest.mark.parametrize(
    ("step_every", "t_0", "t_mult"), [("batch", 3, 2), ("batch", 5, 1), ("epoch", 3, 1)]
)
def test_warm_restarts_keep_their_cycle_after_a_load(blobs, tmp_path, step_every, t_0, t_mult):
    """Re-probe finding: put back on a loaded model, CosineAnnealingWarmRestarts
    went on at the right step but in the wrong cycle (skorch's start derives
    its place in the cycle with one restart at most)."""
    schedule = LRScheduler(
        policy=torch.optim.lr_scheduler.CosineAnnealingWarmRestarts,
        T_0=t_0,
        T_mult=t_mult,
        step_every=step_every,
    )
    # Seven epochs: past more than one restart, where skorch's start went wrong.
    loaded, one_fit = _schedule_through_a_load(blobs, tmp_path, schedule, 7)
    if step_every == "epoch":
        assert_allclose(loaded.net_.history[:, "event_lr"], one_fit.net_.history[:, "event_lr"])
    else:
        assert_allclose(_batch_rates(loaded), _batch_rates(one_fit))


def test_a_plateau_schedule_stepped_per_batch_reads_each_batch_loss(blobs):
    """Re-probe finding: batch losses reached the history at the end of the
    epoch, so ReduceLROnPlateau stepped per batch found no train_loss."""
    schedule = LRScheduler(
        policy="ReduceLROnPlateau", step_every="batch", patience=0, factor=0.5, threshold=10.0
    )
    est = AutoEncoder(max_epochs=2, callbacks=[schedule], random_state=0).fit(blobs)
    batches = [b for epoch in est.net_.history for b in epoch["batches"]]
    rates = [b["event_lr"] for b in batches]
    # No batch improves the loss tenfold: each halves the rate.
    assert rates[0] == est.net_.lr and rates[-1] < rates[0] / 100
    assert all(np.isfinite(b["train_loss"]) for b in batches)


def test_a_cyclic_schedule_starts_at_its_base_rate(blobs):
    """Its first batch ran at lr: the optimiser's starting rate, recorded
    before skorch built the schedule, took the place of CyclicLR's own."""
    seen = []

    class FirstRate(Callback):
        def on_batch_begin(self, net, training=False, **kwargs):
            seen.append(net.optimizer_.param_groups[0]["lr"])

    schedule = LRScheduler(
        policy="CyclicLR", base_lr=1e-4, max_lr=1e-2, step_size_up=3, step_every="batch"
    )
    AutoEncoder(max_epochs=1, lr=0.01, callbacks=[FirstRate(), schedule], random_state=0).fit(blobs)
    assert seen[0] == pytest.approx(1e-4)


def test_a_one_cycle_warm_up_goes_on_through_a_warm_start(blobs, tmp_path):
    """Split during the warm-up, the warm start's optimiser started the
    climb from lr instead of the schedule's own starting rate."""

    def model(epochs, **params):
        schedule = LRScheduler(
            policy=torch.optim.lr_scheduler.OneCycleLR,
            max_lr=0.05,
            total_steps=40,
            step_every="batch",
        )
        size = len(blobs) // 4 + 1
        return AutoEncoder(
            lr=0.03,
            max_epochs=epochs,
            batch_size=size,
            callbacks=[schedule],
            random_state=0,
            **params,
        )

    def rates(est):
        return [b["event_lr"] for epoch in est.net_.history for b in epoch["batches"]]

    one_fit = model(6).fit(blobs)
    warm = model(1, warm_start=True).fit(blobs)
    warm.set_params(max_epochs=5).fit(blobs)
    assert_allclose(rates(warm), rates(one_fit))
    with pytest.warns(UserWarning, match="Callbacks are code"):
        model(1).fit(blobs).save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    loaded.set_params(callbacks=model(1).callbacks, warm_start=True, max_epochs=5).fit(blobs)
    assert_allclose(rates(loaded), rates(one_fit))


def test_early_stopping_restores_the_best_noise_scales_too(blobs):
    """The variational decoder's noise scales live in the criterion; the best
    epoch's are restored with the best module."""
    best = {}

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            epoch = net.history[-1, "epoch"]
            best[epoch] = net.criterion_.log_scale.detach().clone()

    est = VariationalAutoEncoder(
        n_components=2,
        hidden_layer_sizes=(8,),
        lr=0.05,
        early_stopping=True,
        patience=3,
        max_epochs=200,
        callbacks=[Record()],
        random_state=0,
    ).fit(blobs)
    valid = est.net_.history[:, "valid_loss"]
    best_epoch = int(np.argmin(valid)) + 1
    assert best_epoch < len(valid)  # it stopped after the best
    assert_array_equal(est.net_.criterion_.log_scale.detach(), best[best_epoch])
    # Training went on after the best epoch, and moved the scales.
    assert not torch.equal(best[best_epoch], best[best_epoch + 1])


def test_keyboard_interrupt_keeps_the_finished_epochs(make_estimator, blobs):
    class Interrupt(Callback):
        def on_epoch_begin(self, net, **kwargs):
            if len(net.history) == 4:
                raise KeyboardInterrupt

    est = make_estimator(max_epochs=10, callbacks=[Interrupt()]).fit(blobs)
    # skorch stops at the interrupt; the estimator is fitted on the epochs done,
    # and the interrupted epoch's stub row is not in the history.
    assert est.n_iter_ == 3 and len(est.net_.history) == 3
    assert np.all(np.isfinite(est.net_.history[:, "train_loss"]))
    est.set_params(warm_start=True, max_epochs=2, callbacks=None).fit(blobs)
    assert est.net_.history[:, "epoch"] == [1, 2, 3, 4, 5]
    assert est.transform(blobs).shape == (200, 2)
    assert np.isfinite(est.offset_)


class _InterruptAtTrainEnd(Callback):
    def on_train_end(self, net, **kwargs):
        raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("call", "where"),
    [
        ("fit", "scoring pass"),
        ("first fit", "scoring pass"),
        ("fit", "train end"),
        ("partial_fit", "train end"),
    ],
)
def test_keyboard_interrupt_after_the_epochs_leaves_the_estimator_as_it_was(
    make_estimator, blobs, monkeypatch, call, where
):
    """Error-state probe finding: Ctrl-C after the epochs (skorch catches it
    only in its epoch loop), in the pass that fits the scores' statistics,
    escaped with the new weights and the old statistics: predict flagged
    most of the training rows."""
    est = make_estimator(max_epochs=2)
    before = None
    if call != "first fit":
        est.fit(blobs)
        before = (est.score_samples(blobs), est.offset_, est.n_iter_, len(est.net_.history))
    if where == "scoring pass":

        def interrupted(self, x, seed):
            raise KeyboardInterrupt

        monkeypatch.setattr(type(est), "_fit_missing_calibration", interrupted)
    else:
        est.set_params(callbacks=[_InterruptAtTrainEnd()])
    est.set_params(lr=0.05)
    with pytest.raises(KeyboardInterrupt):
        est.partial_fit(blobs) if call == "partial_fit" else est.fit(blobs)
    monkeypatch.undo()
    if before is None:
        with pytest.raises(NotFittedError):
            est.predict(blobs)
        return
    after = (est.score_samples(blobs), est.offset_, est.n_iter_, len(est.net_.history))
    assert_array_equal(after[0], before[0])
    assert after[1:] == before[1:]


def test_cuda_without_gpu_is_a_clear_error(make_estimator, blobs):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ValueError, match="device='cuda'.*no CUDA device"):
        make_estimator(device="cuda").fit(blobs)
    assert make_estimator(device="auto").fit(blobs).device_ == torch.device("cpu")


# --- unfitted use and invalid parameters (bad data: test_bad_input.py) ---


def test_methods_before_fit_raise_not_fitted(make_estimator, blobs):
    est = make_estimator()
    for method in ("transform", "inverse_transform", "score_samples", "predict"):
        with pytest.raises(NotFittedError):
            getattr(est, method)(blobs)
    with pytest.raises(NotFittedError):
        est.sample(2)


@pytest.mark.parametrize(
    "params",
    [
        {"n_components": 0},
        {"lr": -1.0},
        {"contamination": 0.7},
        {"device": "tpu"},
        {"activation": "swish"},
        {"batch_size": 0},
    ],
)
def test_invalid_parameters(make_estimator, blobs, params):
    with pytest.raises(InvalidParameterError):
        make_estimator(**params).fit(blobs)


def test_binary_crossentropy_needs_unit_interval(make_estimator, blobs):
    unit = (blobs - blobs.min(0)) / np.ptp(blobs, axis=0)
    est = make_estimator(loss="binary_crossentropy").fit(unit)
    assert_array_equal(est.mean_, 0)
    assert_array_equal(est.scale_, 1)
    back = est.inverse_transform(est.transform(unit))
    assert back.min() >= 0 and back.max() <= 1
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        make_estimator(loss="binary_crossentropy").fit(blobs)
    # A value outside [0, 1] has likelihood 0: its row scores -inf and is an
    # outlier (its cross-entropy has no lower bound: a far value came out as
    # the most normal row of all); explain puts the -inf on that column.
    far = unit[:3].copy()
    far[:, 0] = -5.0
    far[1, 0], far[1, 3] = np.nan, 1.5
    assert_array_equal(est.score_samples(far), -np.inf)
    assert_array_equal(est.predict(far), -1)
    assert est.score(far) == -np.inf and np.isfinite(est.score(unit))
    far.setflags(write=False)  # as a memmap opened read-only: no torch warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        terms = est.explain(far)
    assert np.isneginf(terms[[0, 2], 0]).all() and np.isneginf(terms[1, 3])
    assert np.isfinite(terms[1, [0, 1, 2, 4]]).all()
    assert np.isfinite(est.score_samples(unit)).all()
    # Rounding is not a value outside: a MinMaxScaler gives 1 + 2.2e-16.
    rounded = unit.copy()
    rounded[0, 0] = 1 + 2.2e-16
    make_estimator(loss="binary_crossentropy").fit(rounded)
    assert np.isfinite(est.score_samples(rounded)).all()
    # A continued fit checks the range as the first one does, and changes nothing.
    offset = est.offset_
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        est.partial_fit(unit * 255)
    assert est.offset_ == offset


def test_training_mode_is_set_for_each_pass(make_estimator, blobs):
    """skorch's per-batch mode switch is skipped when already in that mode, so
    check the modes still follow the passes: train for training batches, eval
    for validation and inference."""
    modes = []

    class RecordMode(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            first_child = next(net.module_.children())
            modes.append((training, net.module_.training, first_child.training))

    est = make_estimator(max_epochs=2, early_stopping=True, callbacks=[RecordMode()]).fit(blobs)
    assert {(True, True, True), (False, False, False)} == set(modes)
    assert not est.net_.module_.training  # left in eval mode by the scoring pass
    est.partial_fit(blobs)
    assert modes[-1] == (True, True, True)


def test_long_epochs_print_progress_with_the_time_left(blobs, capsys, monkeypatch):
    """Within an epoch, a line at least every ``every`` seconds (here every
    step) gives the steps done and the time left."""
    from skae._net import TimeLeft

    monkeypatch.setattr(TimeLeft.__init__, "__defaults__", (0.0,))
    est = AutoEncoder(max_epochs=2, batch_size=50, verbose=1, random_state=0).fit(blobs)
    lines = [line for line in capsys.readouterr().out.splitlines() if "steps" in line]
    # 4 steps per epoch of 200 rows, one line after each.
    assert len(lines) == 8
    assert lines[0].startswith("  epoch 1: 1/4 steps") and "s left" in lines[0]
    assert lines[-1].startswith("  epoch 2: 4/4 steps") and "about 0 s left" in lines[-1]
    # partial_fit trains one epoch, the third of the history, and says so
    # (it said "epoch 1", where the table's row says 3).
    capsys.readouterr()
    est.partial_fit(blobs)
    last = [ln for ln in capsys.readouterr().out.splitlines() if "4/4" in ln][0]
    assert last.startswith("  epoch 3: 4/4 steps") and "about 0 s left" in last
    # verbose=2: the progress bar shows them; no line breaks into it.
    AutoEncoder(max_epochs=2, batch_size=50, verbose=2, random_state=0).fit(blobs)
    captured = capsys.readouterr()
    assert "0/4" in captured.err  # the bar
    assert "steps," not in captured.out + captured.err


def test_callbacks_must_be_skorch_callbacks(blobs):
    with pytest.raises(ValueError, match="callbacks must hold skorch callbacks"):
        AutoEncoder(max_epochs=1, callbacks=[object()]).fit(blobs)
    # A probe: a pair named by a number failed inside skorch, with a
    # TypeError that did not name the entry.
    from skorch.callbacks import Callback

    with pytest.raises(ValueError, match="pair is named by a string; got \\(1, "):
        AutoEncoder(max_epochs=1, callbacks=[(1, Callback())]).fit(blobs)


@pytest.mark.parametrize(
    "name", ["print_log", "early_stopping", "train_loss", "time_left", "progress_bar"]
)
def test_a_callback_named_as_one_of_the_trainings_own_is_refused_by_that_name(blobs, name):
    """skorch's message said the user had set the name twice. The names the
    settings add (early stopping, verbose's) are taken whatever the
    settings: a probe's "time_left" worked at verbose=0 and failed at 1."""
    from skorch.callbacks import Callback

    model = AutoEncoder(max_epochs=1, callbacks=[(name, Callback())])
    with pytest.raises(ValueError, match=f"the name '{name}' is taken by one of the training"):
        model.fit(blobs)
    model.set_params(callbacks=[("mine", Callback())]).fit(blobs)
    assert "mine" in dict(model.net_.callbacks_)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_callbacks_that_score_against_targets_are_refused(blobs, early_stopping):
    """Silent without early stopping; skorch's error about datasets with it."""
    from skorch.callbacks import BatchScoring, EpochScoring

    for callback in (EpochScoring("neg_mean_squared_error"), ("b", BatchScoring("r2"))):
        model = AutoEncoder(max_epochs=1, early_stopping=early_stopping, callbacks=[callback])
        with pytest.raises(ValueError, match="Scoring scores predictions against targets"):
            model.fit(blobs)


def test_callbacks_that_watch_a_validation_score_need_the_held_out_rows(blobs, tmp_path):
    """Without early stopping's held-out rows skorch failed in the first
    epoch with a KeyError ("Key 'valid_loss' was not found in history")."""
    from skorch.callbacks import Checkpoint, EarlyStopping

    for callback in (EarlyStopping(patience=2), Checkpoint(dirname=str(tmp_path))):
        model = AutoEncoder(max_epochs=2, callbacks=[callback], random_state=0)
        with pytest.raises(ValueError, match="monitors 'valid_loss.*early_stopping=True"):
            model.fit(blobs)
        assert not hasattr(model, "net_")
        model.set_params(early_stopping=True)
        # A probe: it said to set early_stopping=True, which it was.
        with pytest.raises(ValueError, match="partial_fit holds out none: use fit with early_"):
            model.partial_fit(blobs)
        model.fit(blobs)
        assert "valid_loss" in model.net_.history[-1]
        # Kept from fit, it is refused before partial_fit's epoch, which
        # moves nothing.
        weights = copy.deepcopy(model.net_.module_.state_dict())
        with pytest.raises(ValueError, match="partial_fit holds out none"):
            model.partial_fit(blobs)
        for name, value in model.net_.module_.state_dict().items():
            assert torch.equal(value, weights[name])
    # Watching the training loss needs no held-out rows.
    watching = EarlyStopping(monitor="train_loss", patience=2)
    AutoEncoder(max_epochs=2, callbacks=[watching], random_state=0).fit(blobs)


def test_verbose_says_when_it_scores_the_training_rows(blobs, capsys):
    AutoEncoder(max_epochs=1, verbose=1, random_state=0).fit(blobs)
    assert "Scoring the 200 training rows" in capsys.readouterr().out


def test_fits_in_threads_are_reproducible_and_leave_the_generator(blobs):
    """Fits in threads of one process take turns on torch's generator: each
    gives what it gives alone, and the caller's state is left as it was."""
    from concurrent.futures import ThreadPoolExecutor

    def fit(_):
        return AutoEncoder(n_components=2, max_epochs=3, random_state=0).fit(blobs).transform(blobs)

    alone = fit(0)
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(fit, range(4)))
    for codes in results:
        assert_array_equal(codes, alone)
    assert torch.equal(torch.rand(3), expected)


def test_partial_fit_refuses_a_changed_network(make_estimator, blobs):
    """As IncrementalPCA.partial_fit refuses another n_components: the fitted
    network would go on, and get_params would no longer describe it."""
    est = make_estimator(max_epochs=2).partial_fit(blobs)
    codes = est.transform(blobs)
    for name, value in [("n_components", 5), ("hidden_layer_sizes", (5,)), ("scaling", "none")]:
        before = est.get_params()[name]
        with pytest.raises(ValueError, match=f"partial_fit continues the fitted network.*{name}"):
            est.set_params(**{name: value}).partial_fit(blobs)
        est.set_params(**{name: before})
    assert_array_equal(est.transform(blobs), codes)
    # What only changes the training goes on.
    est.set_params(lr=1e-4).partial_fit(blobs)
    assert est.n_iter_ == 2


def test_a_dense_network_ignores_a_changed_image_shape(blobs, tmp_path):
    """Probe finding: a dense network does not use image_shape (documented),
    yet a changed one was refused by partial_fit and save. A convolutional
    network, which does, still refuses it."""
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    est.set_params(image_shape=(1, 1, 5)).partial_fit(blobs)
    est.save(tmp_path / "dense.skae")
    assert_array_equal(load(tmp_path / "dense.skae").transform(blobs), est.transform(blobs))
    images = np.random.RandomState(0).rand(64, 16)
    conv = AutoEncoder(architecture="conv", image_shape=(1, 4, 4), max_epochs=1, random_state=0)
    conv.fit(images)
    with pytest.raises(ValueError, match="partial_fit continues the fitted network.*image_shape"):
        conv.set_params(image_shape=(1, 2, 8)).partial_fit(images)


def test_a_parameter_written_otherwise_for_the_same_network_is_accepted(blobs, tmp_path):
    """The number "auto" gave, the widths it gave, the same categorical
    columns as a mask or names: the fitted network, not a change."""
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    est.set_params(n_components=est.n_components_, hidden_layer_sizes=est.hidden_layer_sizes_)
    est.partial_fit(blobs)
    est.save(tmp_path / "model.skae")
    with pytest.raises(ValueError, match="n_components"):
        est.set_params(n_components=est.n_components_ + 1).partial_fit(blobs)
    frame = pd.DataFrame(blobs, columns=list("abcde"))
    frame["kind"] = np.where(blobs[:, 0] > 0, "x", "y")
    est = AutoEncoder(max_epochs=2, categorical_features=[5], random_state=0).fit(frame)
    for same in ([False] * 5 + [True], ["kind"], np.array([5])):
        est.set_params(categorical_features=same).partial_fit(frame)
    with pytest.raises(ValueError, match="categorical_features"):
        est.set_params(categorical_features=[4, 5]).partial_fit(frame)
    # A DataFrame's dtypes are not kept: "from_dtype" after it is a change.
    with pytest.raises(ValueError, match="categorical_features"):
        est.set_params(categorical_features="from_dtype").partial_fit(frame)
    # An array of numbers has no dtypes to read: None and "from_dtype" both
    # mean no categorical column, and the same for save and a warm start.
    for first, then in [(None, "from_dtype"), ("from_dtype", None)]:
        est = AutoEncoder(max_epochs=2, categorical_features=first, random_state=0).fit(blobs)
        est.set_params(categorical_features=then).partial_fit(blobs)
        est.save(tmp_path / "model.skae")
        est.set_params(warm_start=True).fit(blobs)
        with pytest.raises(ValueError, match="categorical_features"):
            est.set_params(categorical_features=[0]).partial_fit(blobs)


def test_partial_fit_trains_with_the_training_parameters_set_since(blobs):
    """lr, weight_decay and batch_size set after a fit apply to the next
    partial_fit, as to a warm start (they were ignored until a save and a
    load rebuilt the net)."""
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    est.set_params(lr=0.02, weight_decay=0.01, batch_size=25).partial_fit(blobs)
    group = est.net_.optimizer_.param_groups[0]
    assert group["lr"] == 0.02 and group["weight_decay"] == 0.01
    assert len(est.net_.history[-1, "batches"]) == len(blobs) // 25


@pytest.mark.parametrize(
    "cls, changed, term",
    [
        (VariationalAutoEncoder, {"beta": 3.0}, "train_kl"),
        (SparseAutoEncoder, {"sparsity_weight": 2.0}, "train_sparsity"),
        (ContractiveAutoEncoder, {"contraction_weight": 1.0}, "train_contraction"),
    ],
)
def test_partial_fit_trains_with_the_loss_terms_set_since(blobs, cls, changed, term):
    """A kind's own loss parameters apply to the next partial_fit, as after
    a save and a load: the penalty term it logs is the one set since."""
    zero = {name: 0.0 if name != "beta" else 1.0 for name in changed}
    # Every row in fit's one batch, as in partial_fit's (none held out).
    est = cls(
        max_epochs=1,
        lr=1e-12,
        batch_size=len(blobs),
        early_stopping=False,
        random_state=0,
        **zero,
    )
    est.fit(blobs)
    before = est.net_.history[-1, term]
    est.set_params(**changed).partial_fit(blobs)
    after = est.net_.history[-1, term]
    if cls is VariationalAutoEncoder:  # beta x KL, the weights unmoved at lr=1e-12
        assert after == pytest.approx(3.0 * before, rel=1e-4)
    else:
        assert before == 0.0 and after > 0.0


def test_partial_fit_validates_the_parameters_it_applies(blobs):
    """scikit-learn skips the check for a fitted model's partial_fit; here the
    parameters set since are used, so a bad one must not train silently."""
    from sklearn.utils._param_validation import InvalidParameterError

    est = SparseAutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    good = est.get_params()
    for bad in ({"sparsity_weight": -3.0}, {"lr": 0.0}, {"batch_size": 0}):
        with pytest.raises(InvalidParameterError, match=next(iter(bad))):
            est.set_params(**bad).partial_fit(blobs)
        est.set_params(**good)
    assert est.partial_fit(blobs).n_iter_ == 2


def test_partial_fit_corrupts_with_the_noise_set_since(blobs):
    est = DenoisingAutoEncoder(noise_std=0.0, max_epochs=20, random_state=0).fit(blobs)
    # The weights held still: only the inputs' corruption can move the loss.
    est.set_params(lr=1e-12, batch_size=len(blobs)).partial_fit(blobs)
    clean = est.net_.history[-1, "train_loss"]
    est.set_params(noise_std=3.0).partial_fit(blobs)
    assert est.net_.history[-1, "train_loss"] > 2 * clean


def test_warm_start_refuses_another_loss_or_activation(blobs):
    est = AutoEncoder(max_epochs=2, warm_start=True, random_state=0).fit(blobs)
    unit = (blobs - blobs.min(axis=0)) / np.ptp(blobs, axis=0)
    with pytest.raises(ValueError, match="warm_start=True continues the fitted network"):
        est.set_params(loss="binary_crossentropy").fit(unit)
    with pytest.raises(ValueError, match="warm_start=True continues the fitted network"):
        est.set_params(loss="squared_error", activation="tanh").fit(blobs)


class _CountEpochs(Callback):
    """Counts epochs in a class attribute: the net runs a copy of it."""

    epochs = 0

    def on_epoch_end(self, net, **kwargs):
        type(self).epochs += 1


@pytest.mark.parametrize("loaded", [False, True])
def test_partial_fit_takes_callbacks_and_verbose_set_since(blobs, tmp_path, capsys, loaded):
    """As lr and batch_size set since, and as a warm start does; a loaded
    model (whose callbacks are None) could otherwise never report."""
    import skae

    est = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    if loaded:
        est.save(tmp_path / "model.skae")
        est = skae.load(tmp_path / "model.skae")
    capsys.readouterr()
    _CountEpochs.epochs = 0
    est.set_params(verbose=1, callbacks=[_CountEpochs()]).partial_fit(blobs)
    assert _CountEpochs.epochs == 1
    assert "train_loss" in capsys.readouterr().out
    # Unchanged parameters keep the callbacks running, and unset stops them.
    est.partial_fit(blobs)
    assert _CountEpochs.epochs == 2
    capsys.readouterr()
    est.set_params(verbose=0, callbacks=None).partial_fit(blobs)
    assert _CountEpochs.epochs == 2
    assert capsys.readouterr().out == ""
    # verbose alone set since rebuilds them too (a mutation audit).
    est.set_params(verbose=1).partial_fit(blobs)
    assert "train_loss" in capsys.readouterr().out


def test_fit_ignores_torch_default_dtype(make_estimator, blobs):
    """A user's torch.set_default_dtype(torch.float64) made every fit fail
    (float32 rows, float64 weights); the fit is the float32 one, and the
    user's default stays."""
    expected = make_estimator().fit(blobs).score_samples(blobs)
    torch.set_default_dtype(torch.float64)
    try:
        est = make_estimator().fit(blobs)
        assert torch.get_default_dtype() == torch.float64
        assert_allclose(est.score_samples(blobs), expected, rtol=1e-6)
        assert np.all(np.isfinite(est.partial_fit(blobs).score_samples(blobs)))
    finally:
        torch.set_default_dtype(torch.float32)


def test_fit_in_inference_mode_trains_as_outside(make_estimator, blobs):
    """Training needs autograd: inside torch.inference_mode() fit failed with
    a bare autograd error (under no_grad it already trained)."""
    expected = make_estimator().fit(blobs).partial_fit(blobs).score_samples(blobs)
    with torch.inference_mode():
        est = make_estimator().fit(blobs).partial_fit(blobs)
        assert torch.is_inference_mode_enabled()
    assert_allclose(est.score_samples(blobs), expected, rtol=1e-6)


def test_small_numpy_integers_as_sizes(blobs):
    """Re-probe finding: an int8 n_components or a uint8 batch_size passed
    the parameter checks and overflowed in the count of a step's work
    (OverflowError: 3328 out of bounds for int8)."""
    est = AutoEncoder(n_components=np.int8(2), batch_size=np.uint8(32), max_epochs=1)
    assert est.set_params(random_state=0).fit(blobs).n_components_ == 2


def test_small_numpy_integer_codes_build_the_network_a_python_int_builds():
    """Re-probe finding: 2 x np.int8(100) outputs of a variational encoder
    overflowed to -56 (a bare RuntimeError), and the "auto" hidden widths
    for np.int8(40) codes wrapped round to (64, 32), narrower than the codes
    (the loaded model, whose n_components is an int, then refused a warm
    start)."""
    X = np.random.RandomState(0).standard_normal((60, 5))
    vae = VariationalAutoEncoder(n_components=np.int8(100), max_epochs=1, random_state=0)
    assert vae.fit(X).transform(X).shape == (60, 100)
    small = AutoEncoder(n_components=np.int8(40), max_epochs=1, random_state=0).fit(X)
    assert small.hidden_layer_sizes_ == AutoEncoder(n_components=40).fit(X).hidden_layer_sizes_
    assert small.hidden_layer_sizes_ == (512, 256)
    assert isinstance(small.n_components_, int)


def test_a_diverging_partial_fit_keeps_the_model_it_continued():
    """A chunk the network diverges on raises, and leaves the model that the
    stream trained so far (it was left unfitted: one bad chunk lost it)."""
    X = np.random.RandomState(15).normal(size=(1000, 4))
    # The squared error, whose loss overflows (the Huber loss's case, an
    # overflowing optimizer state, is the test below).
    est = AutoEncoder(loss="squared_error", random_state=0)
    for start in range(0, 1000, 500):
        est.partial_fit(X[start : start + 500])
    scores, n_iter = est.score_samples(X), est.n_iter_
    bad = X[:100].copy()
    bad[0, 0] = 1e25
    with pytest.raises(FloatingPointError, match="train loss is inf"):
        est.partial_fit(bad)
    assert est.n_iter_ == n_iter
    assert_array_equal(est.score_samples(X), scores)
    est.partial_fit(X[:500])
    assert est.n_iter_ == n_iter + 1


def test_an_overflowing_optimizer_state_is_divergence_even_with_a_finite_loss():
    """Under the Huber loss a value of 1e25 costs about 2e25, a finite loss,
    but its gradient's square overflows Adam's running average, and the
    weights it feeds would never move again: that is reported as divergence,
    and the model continued is kept, its optimizer state finite."""
    X = np.random.RandomState(15).normal(size=(500, 4))
    est = AutoEncoder(loss="huber", random_state=0).partial_fit(X)
    scores = est.score_samples(X)
    bad = X[:100].copy()
    bad[0, 0] = 1e25
    with pytest.raises(FloatingPointError, match="optimizer's running averages overflowed"):
        est.partial_fit(bad)
    assert_array_equal(est.score_samples(X), scores)
    state = est.net_.optimizer_.state.values()
    assert all(torch.isfinite(v).all() for s in state for v in s.values() if torch.is_tensor(v))
    # The loss of such an entry is finite (the squared error's is not): the
    # check of the loss alone would have let the pass through.
    error = {"x_hat": torch.tensor([[1e25]])}
    assert torch.isfinite(est.net_.criterion_.per_feature(error, torch.zeros(1, 1))).all()


def test_a_diverging_warm_start_keeps_the_fitted_model(blobs):
    est = AutoEncoder(max_epochs=2, random_state=0).fit(blobs)
    scores = est.score_samples(blobs)
    with pytest.raises(FloatingPointError):
        est.set_params(warm_start=True, lr=100.0, max_epochs=10).fit(blobs)
    assert est.n_iter_ == 2
    assert_array_equal(est.score_samples(blobs), scores)


def test_partial_fit_keeps_a_copy_of_256_rows():
    """The rows partial_fit keeps for the next small chunk are 256 copied
    rows: not a view of the whole chunk (it went into every pickle: 4 MB
    for a 50,000-row chunk, 0.16 MB after fit), nor of the caller's array
    (float32 without scaling arithmetic), which it may write to."""
    rng = np.random.RandomState(0)
    data = rng.rand(2000, 20).astype(np.float32)

    def stream(overwrite: bool) -> AutoEncoder:
        est = AutoEncoder(loss="binary_crossentropy", max_epochs=1, random_state=0)
        chunk = data[:1000].copy()
        est.partial_fit(chunk)
        if overwrite:
            chunk[:] = 0.5
        # A small chunk: the statistics are refitted on the rows kept.
        return est.partial_fit(data[1000:1010].copy())

    kept, overwritten = stream(False), stream(True)
    assert kept.offset_ == overwritten.offset_
    assert_array_equal(kept.score_samples(data), overwritten.score_samples(data))
    big = AutoEncoder(max_epochs=1, random_state=0).partial_fit(rng.normal(size=(20_000, 20)))
    small = AutoEncoder(max_epochs=1, random_state=0).fit(rng.normal(size=(256, 20)))
    assert len(pickle.dumps(big)) < 1.5 * len(pickle.dumps(small))


def test_early_stopping_stops_on_a_negative_loss_that_worsens():
    """skorch's relative threshold multiplies the signed loss: below zero (the
    variational kind's Gaussian likelihood) a worse epoch counted as an
    improvement, training ran every epoch and kept the worst."""
    from skae import VariationalAutoEncoder
    from skae._net import HoldOutEarlyStopping

    stopping = HoldOutEarlyStopping(monitor="valid_loss", threshold=1e-4)
    assert stopping._calc_new_threshold(-3.67) == pytest.approx(-3.67 * (1 + 1e-4))
    assert stopping._calc_new_threshold(3.67) == pytest.approx(3.67 * (1 - 1e-4))
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 8)) + 0.001 * rng.normal(size=(400, 8))
    model = VariationalAutoEncoder(n_components=2, lr=1e-2, max_epochs=60, random_state=0)
    model.set_params(warm_start=True).fit(X)
    before = model.n_iter_
    # A learning rate too small to help and a weight decay that hurts.
    model.set_params(lr=1e-7, weight_decay=1e3, early_stopping=True, patience=3, max_epochs=25)
    model.fit(X)
    valid = model.net_.history[before:, "valid_loss"]
    assert max(valid) < 0
    assert model.n_iter_ - before == 4


def test_partial_fit_after_fit_trains_on_the_whole_chunk(monkeypatch):
    """Early stopping switched off after a fit still held rows out (and
    refused a 5-row chunk); a fit whose auto epochs are row subsets left
    partial_fit training on a subset of its chunk."""
    import skae._sizing as sizing

    X = np.random.RandomState(0).normal(size=(300, 6))
    model = AutoEncoder(max_epochs=3, batch_size=32, random_state=0, early_stopping=True)
    model.fit(X).set_params(early_stopping=False).partial_fit(X)
    assert "valid_loss" not in model.net_.history[-1]
    assert model.net_.history[-1, "train_batch_count"] == 10  # 300 rows
    model.partial_fit(X[:5])
    monkeypatch.setattr(sizing, "ROWS_PER_EPOCH", 100)
    model = AutoEncoder(batch_size=32, random_state=0).fit(X)
    assert model.net_.history[0, "train_batch_count"] == 4  # 100 rows
    model.partial_fit(X)
    assert model.net_.history[-1, "train_batch_count"] == 10


def test_predicting_in_another_thread_leaves_a_partial_fit_as_it_is_alone():
    """Each prediction switched the shared module to evaluation mode, some of
    the fit's steps ran so (the variational kind stopped sampling), and the
    predictions mixed half-trained weights with the old statistics."""
    import threading

    from skae import VariationalAutoEncoder

    rng = np.random.RandomState(0)
    X, chunk, new = (
        rng.normal(size=(400, 6)),
        rng.normal(size=(3000, 6)) + 0.3,
        rng.normal(size=(200, 6)),
    )
    fitted = pickle.dumps(
        VariationalAutoEncoder(max_epochs=3, batch_size=16, random_state=0).fit(X)
    )
    alone = pickle.loads(fitted).partial_fit(chunk)
    before = pickle.loads(fitted).score_samples(new)
    model = pickle.loads(fitted)
    stop, seen = threading.Event(), []

    def predict() -> None:
        while not stop.is_set():
            seen.append(model.score_samples(new))

    thread = threading.Thread(target=predict)
    thread.start()
    try:
        while not seen:  # the predictions run before and during the fit
            stop.wait(0.001)
        model.partial_fit(chunk)
    finally:
        stop.set()
        thread.join()
    after = alone.score_samples(new)
    assert_array_equal(model.score_samples(new), after)
    for scores in seen:  # each one of the two models', never a mixture
        assert np.array_equal(scores, before) or np.array_equal(scores, after)


# --- loss terms, divergence, hold-out and schedule details --------------------


def test_the_logged_loss_terms_are_row_weighted_means_that_add_up_to_the_loss():
    """100 rows in batches of 32 (the last of 4): each term's epoch value is
    its mean over the rows, as the loss's, so the terms add up to it."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    model = SparseAutoEncoder(max_epochs=2, batch_size=32, sparsity_weight=0.1, random_state=0)
    history = model.fit(X).net_.history
    for epoch in history:
        sizes = [batch["train_batch_size"] for batch in epoch["batches"]]
        losses = [batch["train_loss"] for batch in epoch["batches"]]
        assert sizes == [32, 32, 32, 4]
        assert epoch["train_loss"] == pytest.approx(np.average(losses, weights=sizes), rel=1e-6)
        assert 0.0 < epoch["train_sparsity"] < epoch["train_reconstruction"]
        total = epoch["train_reconstruction"] + epoch["train_sparsity"]
        assert total == pytest.approx(epoch["train_loss"], rel=1e-5)


@pytest.mark.parametrize("first, factor", [(1, 2), (3, 2), (2, 3), (5, 1)])
def test_the_restart_phase_is_cosine_annealing_warm_restarts_own(first, factor):
    """The place in the cycles that skae derives for a loaded model is the
    one the torch schedule reaches by stepping, at a restart (step 1 of
    cycles 1, 2, 4: (0, 2)) and within a cycle."""
    from skae._net import _restart_phase

    assert [_restart_phase(s, 1, 2) for s in (1, 3, 7)] == [(0, 2), (0, 4), (0, 8)]
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedule = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        optimizer, T_0=first, T_mult=factor
    )
    for step in range(40):
        assert _restart_phase(step, first, factor) == (schedule.T_cur, schedule.T_i), step
        optimizer.step()
        schedule.step()


def test_a_pass_whose_middle_batch_loss_is_not_finite_diverged():
    """Every batch loss of a pass is checked, not the last one only: a
    validation pass (no step spreads the inf) whose second of three batches
    overflows raises."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    # The squared error, whose loss overflows on 1e30 (the Huber loss's grows
    # linearly and stays finite).
    net = (
        AutoEncoder(
            n_components=2, loss="squared_error", max_epochs=1, batch_size=64, random_state=0
        )
        .fit(X)
        .net_
    )
    rows = torch.zeros(192, 4)
    rows[70] = 1e30
    batches = [rows[:64], rows[64:128], rows[128:]]
    net.history.new_epoch()
    with pytest.raises(FloatingPointError, match="the valid loss is inf"):
        net.run_single_epoch(batches, training=False, prefix="valid", step_fn=net.validation_step)
    losses = [batch["valid_loss"] for batch in net.history[-1]["batches"]]
    assert np.isfinite(losses[0]) and losses[1] == np.inf and np.isfinite(losses[2])


def test_a_reconstruction_that_overflows_with_the_penalty_blames_the_learning_rate():
    """The penalty is named only when it alone overflows: with the
    reconstruction's loss infinite too, the advice is the learning rate
    and the input."""
    X = np.random.RandomState(0).normal(size=(64, 3)) * 1e25
    model = SparseAutoEncoder(
        sparsity_weight=1e39, scaling="none", lr=1e-12, max_epochs=1, random_state=0
    )
    with pytest.raises(FloatingPointError, match="diverged") as error:
        model.fit(X)
    assert "Try a lower learning rate than lr=1e-12" in str(error.value)
    assert "is not finite" not in str(error.value)
    # Listed last among what sizes the loss, not named as the cause.
    assert str(error.value).endswith("or a smaller weight of the penalty term 'sparsity'.")


@pytest.mark.parametrize(
    "n, fraction, n_valid", [(7, 0.1, 1), (208, 0.1, 21), (30, 0.26, 8), (10, 0.86, 9)]
)
def test_early_stopping_holds_out_the_rounded_fraction(n, fraction, n_valid):
    """validation_fraction * n_samples rounded to the nearest row: 0.7 is
    one row, 20.8 are 21."""
    X = np.random.RandomState(0).normal(size=(n, 3))
    model = AutoEncoder(
        n_components=1,
        max_epochs=2,
        early_stopping=True,
        validation_fraction=fraction,
        random_state=0,
    ).fit(X)
    for epoch in model.net_.history:
        batches = epoch["batches"]
        assert sum(b.get("valid_batch_size", 0) for b in batches) == n_valid
        assert sum(b.get("train_batch_size", 0) for b in batches) == n - n_valid


@pytest.mark.parametrize("n, fraction", [(2, 0.9), (3, 0.9), (1, 0.5), (10, 0.01)])
def test_early_stopping_without_a_row_on_either_side_says_why(n, fraction):
    """A fraction that leaves no training row (2 rows at 0.9) or no
    validation row is skae's ValueError (it was an IndexError)."""
    X = np.random.RandomState(0).normal(size=(n, 3))
    model = AutoEncoder(
        n_components=1, max_epochs=2, early_stopping=True, validation_fraction=fraction
    )
    with pytest.raises(ValueError, match="needs at least one training and one validation"):
        model.fit(X)


def test_early_stopping_left_on_auto_is_not_called_true_in_the_refusal():
    """The variational kind's ``early_stopping="auto"`` holds rows out too; the
    refusal of a fraction that takes every row named a setting the user had
    not made (``early_stopping=True``; a probe)."""
    X = np.random.RandomState(0).normal(size=(200, 3))
    model = VariationalAutoEncoder(max_epochs=2, validation_fraction=0.999, random_state=0)
    with pytest.raises(ValueError, match="^Early stopping needs") as error:
        model.fit(X)
    assert "early_stopping=True" not in str(error.value)


def test_a_boolean_mask_without_a_true_is_all_numeric(blobs):
    """categorical_features=[False] * n_features names no categorical column:
    the model is the one of the default numeric spec."""
    mask = [False] * blobs.shape[1]
    model = AutoEncoder(max_epochs=2, categorical_features=mask, random_state=0).fit(blobs)
    numeric = AutoEncoder(max_epochs=2, categorical_features=None, random_state=0).fit(blobs)
    assert model.is_categorical_ is None
    back = model.inverse_transform(model.transform(blobs[:5]))
    assert isinstance(back, np.ndarray) and back.dtype == np.float64
    assert_array_equal(model.transform(blobs), numeric.transform(blobs))


def test_the_kl_sparsity_penalty_is_its_formula_down_to_a_rate_of_1e6():
    """weight * sum_j KL(rho || rho_hat_j), the mean activations held in
    [1e-6, 1 - 1e-6] only: a target of 0.001 and activations of 1e-4
    (below it), 0.3 and 1e-9 (held at 1e-6)."""
    from skae._penalties import KLSparsity

    rates = np.array([1e-4, 0.3, 1e-9])
    z = torch.tensor(np.tile(rates, (8, 1)), dtype=torch.float64)
    rho, rho_hat = 1e-3, np.clip(rates, 1e-6, 1 - 1e-6)
    kl = rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    penalty = KLSparsity(2.0, rho)(None, None, {"z": z})
    assert float(penalty) == pytest.approx(2.0 * kl.sum(), rel=1e-9)


def test_the_time_left_is_the_remaining_epochs_and_zero_at_the_end(blobs):
    """Steps slowed to at least 20 ms: after the first of two epochs of 4
    steps, 4 steps are left (at least 0.08 s); after the last, none."""
    import time

    class Slow(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                time.sleep(0.02)

    model = AutoEncoder(
        max_epochs=2, batch_size=50, verbose=1, callbacks=[Slow()], random_state=0
    ).fit(blobs)
    left = model.net_.history[:, "time_left"]
    assert left[0] >= 0.05 and left[1] == 0.0


def test_a_warm_start_on_fewer_rows_draws_a_new_held_out_set():
    """Mutation audit: a warm start holds out the rows the last fit held out
    only where they are rows of the new X; one beyond its end (row 49 of 50,
    refitted on 49) is a new draw, not an IndexError."""
    X = np.random.RandomState(0).normal(size=(50, 4))
    est = AutoEncoder(max_epochs=1, early_stopping=True, warm_start=True, random_state=9)
    est.fit(X)
    assert 49 in est._held_out_rows
    # Kept with the model in int32 where the rows allow (half the size).
    assert est._held_out_rows.dtype == np.int32
    est.fit(X[:49])
    assert len(est._held_out_rows) == 5 and est._held_out_rows.max() < 49


def test_a_loss_of_one_term_logs_no_terms():
    """Mutation audit: the history logs each term of the loss only when there
    is more than one (the plain kind's loss is its reconstruction)."""
    X = np.random.RandomState(0).normal(size=(64, 4))
    history = AutoEncoder(max_epochs=1, random_state=0).fit(X).net_.history
    assert not any("reconstruction" in key for key in history[-1])
    sparse = SparseAutoEncoder(max_epochs=1, random_state=0).fit(X).net_.history
    assert {"train_reconstruction", "train_sparsity"} <= set(sparse[-1])


def test_a_pickled_net_holds_its_weights_once():
    """Mutation audit: the net's pickled state keeps the weights in their
    state dicts only, not the modules too (which stored them twice)."""
    X = np.random.RandomState(0).normal(size=(64, 4))
    est = AutoEncoder(hidden_layer_sizes=(64,), max_epochs=1, random_state=0).fit(X)
    state = est.net_.__getstate__()
    assert state["module"] is None and state["criterion"] is None
    copy_ = pickle.loads(pickle.dumps(est))
    assert_array_equal(copy_.score_samples(X), est.score_samples(X))


def test_the_time_left_on_a_clock_of_one_second_a_step(blobs, capsys, monkeypatch):
    """Mutation audit: with a clock that reads one second later at each look
    (each step, each epoch's end), the estimate is exact: two epochs of 4
    steps. After step 1 of 8, 7 steps are left at 1 s each; at the end of
    the first epoch, 4 steps at 5 s / 4 steps; at the end, none; and a
    partial_fit (one epoch) ends with none left. Lines come every ``every``
    seconds since the last one (here 2.5: every third look)."""
    from types import SimpleNamespace

    from skae import _net

    ticks = iter(range(10_000))
    monkeypatch.setattr(_net, "time", SimpleNamespace(perf_counter=lambda: float(next(ticks))))
    monkeypatch.setattr(_net.TimeLeft.__init__, "__defaults__", (0.0,))
    params = dict(max_epochs=2, batch_size=50, early_stopping=False, verbose=1, random_state=0)
    est = AutoEncoder(**params).fit(blobs)
    lines = [line for line in capsys.readouterr().out.splitlines() if "steps," in line]
    assert lines[0] == "  epoch 1: 1/4 steps, 1 s so far, about 7 s left"
    assert lines[1] == "  epoch 1: 2/4 steps, 2 s so far, about 6 s left"
    assert list(est.net_.history[:, "time_left"]) == [5.0, 0.0]
    est.partial_fit(blobs)
    assert est.net_.history[-1, "time_left"] == 0.0
    monkeypatch.setattr(_net.TimeLeft.__init__, "__defaults__", (2.5,))
    capsys.readouterr()
    AutoEncoder(**params).fit(blobs)
    lines = [line for line in capsys.readouterr().out.splitlines() if "steps," in line]
    assert [line.split(",")[0] for line in lines] == [
        "  epoch 1: 3/4 steps",
        "  epoch 2: 3/4 steps",
    ]


def test_progress_counts_the_training_steps_only(blobs, capsys, monkeypatch):
    """Mutation audit: with early stopping, the validation batch is not a
    training step: 180 training rows in batches of 50 print 1/4 to 4/4 each
    epoch (counted, it printed 5/4)."""
    from skae._net import TimeLeft

    monkeypatch.setattr(TimeLeft.__init__, "__defaults__", (0.0,))
    AutoEncoder(max_epochs=2, batch_size=50, early_stopping=True, verbose=1, random_state=0).fit(
        blobs
    )
    lines = [line for line in capsys.readouterr().out.splitlines() if "steps," in line]
    assert [line.split(":")[1].split()[0] for line in lines] == ["1/4", "2/4", "3/4", "4/4"] * 2


def test_the_pickled_net_stores_its_module_and_criterion_once(blobs):
    """Mutation audit: the net's state leaves out ``module`` and
    ``criterion`` (the instances skorch keeps apart as ``module_`` and
    ``criterion_``), so a pickle holds the weights once."""
    est = AutoEncoder(max_epochs=1, random_state=0).fit(blobs)
    state = est.net_.__getstate__()
    assert state["module"] is None and state["criterion"] is None
    loaded = pickle.loads(pickle.dumps(est))
    assert loaded.net_.module is loaded.net_.module_
    assert loaded.net_.criterion is loaded.net_.criterion_
    np.testing.assert_array_equal(loaded.transform(blobs), est.transform(blobs))


def test_held_out_rows_with_a_repeat_are_drawn_anew():
    """Mutation audit: indices to hold out again are used only when they
    are distinct (a file could list one row twice): with a repeat they are
    drawn anew, so the two parts still make up every row once."""
    import torch

    from skae._net import HoldOutSplit, TensorData

    split = HoldOutSplit(0.1, rows=np.zeros(10, dtype=np.int64))
    train, valid = split(TensorData(torch.arange(100.0)[:, None]))
    assert len(train) == 90 and len(valid) == 10
    rows = np.concatenate([train.X[:, 0].numpy(), valid.X[:, 0].numpy()])
    np.testing.assert_array_equal(np.sort(rows), np.arange(100.0))
    assert len(np.unique(split.held_out_index)) == 10


def test_a_warm_start_that_keeps_its_first_epoch_warns_too():
    """Mutation audit: the warning that early stopping kept the first
    epoch's model counts this fit's epochs (the history continues across a
    warm start): a second fit at a rate too small to learn warns as the
    first did."""
    X = np.random.RandomState(0).normal(size=(300, 4))
    est = AutoEncoder(
        n_components=2,
        early_stopping=True,
        lr=1e-12,
        max_epochs=6,
        patience=5,
        warm_start=True,
        random_state=0,
    )
    for _ in range(2):
        with pytest.warns(ConvergenceWarning, match="kept the model of the first of 6 epochs"):
            est.fit(X)
    assert len(est.net_.history) == 12


def test_a_partial_fit_that_fails_in_an_epoch_leaves_the_network_out_of_training():
    """Mutation audit: an epoch that raised left the module and the loss in
    training mode, where the masking kind's loss weighs the entries its
    corruption hid (the scores were right only because scoring sets the
    mode each time)."""

    class Fail(Callback):
        def on_batch_end(self, net, **kwargs):
            if net.skae_chunk:
                raise RuntimeError("a failing callback")

    X = np.random.RandomState(0).normal(size=(300, 6))
    model = DenoisingAutoEncoder(max_epochs=2, random_state=0, callbacks=[("fail", Fail())])
    model.fit(X)
    assert not model.net_.module_.training and not model.net_.criterion_.training
    scores = model.score_samples(X[:20])
    with pytest.raises(RuntimeError, match="a failing callback"):
        model.partial_fit(X)
    assert not model.net_.module_.training and not model.net_.criterion_.training
    assert_array_equal(model.score_samples(X[:20]), scores)
