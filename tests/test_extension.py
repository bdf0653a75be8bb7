"""A new kind written from the hooks that ``skae._base`` documents."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils.estimator_checks import check_outliers_fit_predict, check_outliers_train

from skae import AutoEncoder, BaseAutoEncoder, DenoisingAutoEncoder, load
from skae._architectures import AutoEncoderModule
from skae._reconstruction import PerFeatureLoss, SquaredError, WrappedLoss

_rng = np.random.RandomState(0)
# Two factors and a little noise: two codes can learn them.
X = _rng.normal(size=(200, 2)) @ _rng.normal(size=(2, 6)) + 0.1 * _rng.normal(size=(200, 6))
FAST = {"n_components": 2, "max_epochs": 5, "random_state": 0}


class AbsoluteError(PerFeatureLoss):
    """Each entry's absolute error."""

    def per_feature(self, out, x):
        return (out["x_hat"] - x).abs()

    def reconstruct(self, out):
        return out["x_hat"]


class AbsoluteErrorKind(BaseAutoEncoder):
    def _make_criterion(self, n_features):
        return AbsoluteError()


class ReconstructionOnly(BaseAutoEncoder):
    """A score of its own: minus the mean squared reconstruction error."""

    def _score_samples_scaled(self, module, x):
        return -(module(x)["x_hat"] - x).square().mean(dim=1).double()


def test_a_criterion_from_the_documented_hook_trains_and_scores():
    model = AbsoluteErrorKind(**{**FAST, "max_epochs": 20}).fit(X)
    losses = model.net_.history[:, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    # Its score is its own loss: the absolute errors, each feature's divided
    # by its training mean, minus the code term.
    with torch.no_grad():
        x = torch.as_tensor((X - model.mean_) / model.scale_, dtype=torch.float32)
        out = model.net_.module_(x)
        errors = (out["x_hat"] - x).abs().double().numpy()
    expected = (errors / model.error_scale_).mean(axis=1)
    code_term = model._code_term(out["z"]).numpy()
    np.testing.assert_allclose(code_term - model.score_samples(X), expected, rtol=1e-4)


def test_training_with_missing_entries_gives_reconstruct_the_full_inference_output():
    """Training fills half the rows' missing entries through the criterion's
    ``reconstruct``: it got ``{"x_hat": ...}`` alone, and a ``reconstruct``
    that reads the codes (documented as reading the module's output) failed
    on incomplete data only, with a bare KeyError."""
    seen = []

    class CodeAwareError(AbsoluteError):
        def reconstruct(self, out):
            seen.append(sorted(out))
            return out["x_hat"] + 0.0 * out["z"].sum(dim=1, keepdim=True)

    class CodeAwareKind(BaseAutoEncoder):
        def _make_criterion(self, n_features):
            return CodeAwareError()

    holed = X.copy()
    holed[::3, 1] = np.nan
    model = CodeAwareKind(**FAST).fit(holed)
    assert np.isfinite(model.score_samples(holed)).all()
    assert ["x_hat", "z"] in seen

    # A VAE's reconstruct sees its inference dict too: the code at its mean,
    # with the mean and log-variance, and no noise drawn for it.
    from skae import VariationalAutoEncoder

    vae = VariationalAutoEncoder(max_epochs=1, random_state=0).fit(holed)
    module = vae.net_.module_
    module.train()
    x = torch.as_tensor((holed[:50] - vae.mean_) / vae.scale_, dtype=torch.float32)
    with torch.no_grad():
        h = module._encoded(x.nan_to_num(0.0))
        state = torch.get_rng_state()
        out = module._inference_output(h)
        assert torch.equal(torch.get_rng_state(), state)
    assert sorted(out) == ["logvar", "mu", "x_hat", "z"]
    assert torch.equal(out["z"], out["mu"])
    assert module.latent.training


def test_a_criterion_that_is_not_a_per_feature_loss_is_refused_by_name():
    class Plain(torch.nn.Module):
        def forward(self, out, x):
            return (out["x_hat"] - x).abs().mean(dim=1)

    class PlainKind(BaseAutoEncoder):
        def _make_criterion(self, n_features):
            return Plain()

    with pytest.raises(TypeError, match="PlainKind._make_criterion must return .*PerFeatureLoss"):
        PlainKind(**FAST).fit(X)


def test_a_module_that_is_not_an_autoencoder_module_is_refused_by_name():
    """Re-probe finding: a plain module whose forward returns the dict the
    losses read failed at fit with a bare AttributeError (set_input_gain)."""

    class Tiny(torch.nn.Module):
        def __init__(self, n_features):
            super().__init__()
            self.encoder = torch.nn.Linear(n_features, 2)
            self.decoder = torch.nn.Linear(2, n_features)

        def forward(self, x):
            z = self.encoder(x)
            return {"z": z, "x_hat": self.decoder(z)}

    class TinyKind(BaseAutoEncoder):
        def _make_module(self, n_features):
            return Tiny(n_features)

    with pytest.raises(TypeError, match="TinyKind._make_module must return .*AutoEncoderModule"):
        TinyKind(**FAST).fit(X)

    class Wrapped(BaseAutoEncoder):
        def _make_module(self, n_features):
            tiny = Tiny(n_features)
            return AutoEncoderModule(tiny.encoder, tiny.decoder, n_features=n_features)

    model = Wrapped(**FAST).fit(X)
    assert model.transform(X).shape == (len(X), 2)


class LinearKind(BaseAutoEncoder):
    """A kind whose module is built with ``n_features_given`` (None: omitted)."""

    n_features_given = None

    def _make_module(self, n_features):
        encoder = torch.nn.Linear(n_features, self.n_components)
        decoder = torch.nn.Linear(self.n_components, n_features)
        if self.n_features_given is None:
            return AutoEncoderModule(encoder, decoder)
        return AutoEncoderModule(encoder, decoder, n_features=self.n_features_given)


def test_a_module_built_without_n_features_fits_saves_and_loads(tmp_path):
    """Probe finding: n_features is optional to AutoEncoderModule, but a
    module built without it trained every epoch and then failed with a bare
    torch error (its input range 0-d); its input side is now sized at fit."""
    model = LinearKind(**FAST).fit(X)
    # The clipping range is each feature's training range, in scaled units.
    scaled = (X - model.mean_) / model.scale_
    np.testing.assert_allclose(model.net_.module_.input_low.numpy(), scaled.min(axis=0), rtol=1e-5)
    assert np.isfinite(model.score_samples(X)).all()
    model.save(tmp_path / "linear.skae")
    np.testing.assert_array_equal(load(tmp_path / "linear.skae").transform(X), model.transform(X))


def test_a_module_built_for_another_number_of_features_is_refused_before_training():
    class FiveFeatures(LinearKind):
        n_features_given = 5

    with pytest.raises(ValueError, match="built with n_features=5, but the data have 6"):
        FiveFeatures(**FAST).fit(X)


def test_a_score_of_its_own_sets_the_threshold():
    # The training scores of the built-in score came on the way of a pass the
    # fit makes anyway; a kind's own score must be the one thresholded.
    model = ReconstructionOnly(**FAST, contamination=0.1).fit(X)
    scores = model.score_samples(X)
    residuals = (model.inverse_transform(model.transform(X)) - X) / model.scale_
    np.testing.assert_allclose(scores, -np.square(residuals).mean(axis=1), rtol=1e-4, atol=1e-6)
    assert model.offset_ == pytest.approx(np.percentile(scores, 10), rel=1e-4)
    assert np.mean(model.predict(X) == -1) == pytest.approx(0.1, abs=0.01)


@pytest.mark.parametrize("check", [check_outliers_train, check_outliers_fit_predict])
def test_a_score_of_its_own_passes_the_outlier_checks(check):
    check("ReconstructionOnly", ReconstructionOnly(**FAST))


def test_explain_refuses_a_score_without_its_terms():
    model = ReconstructionOnly(**FAST).fit(X)
    with pytest.raises(NotImplementedError, match="_feature_terms_scaled"):
        model.explain(X[:3])


def test_a_kind_whose_init_leaves_parameters_out_is_refused_by_name():
    """It failed with a bare KeyError: 'n_components'."""
    from skae import AutoEncoder

    class Narrow(AutoEncoder):
        def __init__(self, extra=1, max_epochs=2, random_state=None):
            super().__init__(max_epochs=max_epochs, random_state=random_state)
            self.extra = extra

    with pytest.raises(TypeError, match=r"Narrow.__init__ must take every parameter.*n_components"):
        Narrow(random_state=0).fit(X)


def test_hooks_that_break_the_training_loss_or_the_score_are_refused_by_name():
    """A penalty named "reconstruction" replaced the reconstruction term (and
    "batch_count" overwrote the history's); a score of shape (n, d) set
    offset_ from its first column; terms overridden without the score made
    explain's rows add up to something else."""
    from skae._penalties import L1Sparsity

    for name in ("reconstruction", "batch_count"):

        class Clash(BaseAutoEncoder):
            def _make_penalties(self, name=name):
                return {name: L1Sparsity(1e-3)}

        with pytest.raises(ValueError, match=f"other than .*got \\['{name}'\\]"):
            Clash(**FAST).fit(X)

    class Wide(BaseAutoEncoder):
        def _score_samples_scaled(self, module, x):
            return -(module(x)["x_hat"] - x).square()

        def _feature_terms_scaled(self, module, x):
            return torch.zeros(len(x), x.shape[1] + 1)

    with pytest.raises(TypeError, match=r"Wide._score_samples_scaled must return one number"):
        Wide(**FAST).fit(X)

    class TermsOnly(BaseAutoEncoder):
        def _feature_terms_scaled(self, module, x):
            return torch.zeros(len(x), x.shape[1] + 1)

    model = TermsOnly(**FAST).fit(X)
    with pytest.raises(NotImplementedError, match="overrides _feature_terms_scaled but not"):
        model.explain(X[:3])


def test_a_module_with_batch_statistics_fits_and_scores_with_no_extra_pass():
    """Regression-hunt finding: sizing the inference batches by a pass of the
    network on one row of zeros broke a subclass's batch normalisation
    (which needs two rows), and showed the user's forward hooks an extra
    input. The batches are sized from the layers, without a pass."""
    from skae import AutoEncoder

    class BatchNormAE(AutoEncoder):
        def _make_module(self, n_features):
            k = self._n_codes()
            encoder = torch.nn.Sequential(
                torch.nn.Linear(n_features, 16),
                torch.nn.BatchNorm1d(16, track_running_stats=False),
                torch.nn.ReLU(),
                torch.nn.Linear(16, k),
            )
            decoder = torch.nn.Sequential(
                torch.nn.Linear(k, 16), torch.nn.ReLU(), torch.nn.Linear(16, n_features)
            )
            return AutoEncoderModule(encoder, decoder, self._make_latent(), n_features)

    X = np.random.RandomState(0).normal(size=(300, 6))
    model = BatchNormAE(n_components=2, max_epochs=2, random_state=0).fit(X)
    assert model.score_samples(X).shape == (300,)
    seen = []
    model.net_.module_.encoder.register_forward_hook(lambda m, i, o: seen.append(len(i[0])))
    model.transform(X[:5])
    assert seen == [5]


def test_a_penalty_with_an_empty_name_is_refused_by_name():
    """Mutation audit (m21): a penalty's name becomes its history column
    ("train_" + name): an empty one made a column "train_" that names nothing,
    so it is refused with the reserved names; the mutant trained with it."""

    class Nameless(BaseAutoEncoder):
        def _make_penalties(self):
            return {"": lambda module, x, out: out["z"].square().mean()}

    with pytest.raises(ValueError, match=r"must name its terms with strings.*got \[''\]"):
        Nameless(**FAST).fit(X)


class TrimmedLoss(WrappedLoss):
    """The parent's loss with each entry's term capped at ``cap``."""

    cap = float("inf")

    def per_feature(self, out, x):
        return super().per_feature(out, x).clamp(max=self.cap)


class TrimmedKind(AutoEncoder):
    cap = float("inf")

    def _make_criterion(self, n_features):
        loss = TrimmedLoss(super()._make_criterion(n_features))
        loss.cap = self.cap
        return loss


def test_a_wrapped_loss_keeps_everything_of_the_parents_it_does_not_change():
    """A kind that changes its parent's loss wraps it: a probe's wrapper
    written to the documented two methods scored with the Huber loss where
    the parent scores with the squared error, and failed on missing entries.
    Uncapped, the wrapped kind is the parent, on complete and incomplete
    data; capped, training changes and the scores stay squared errors."""
    holes = X.copy()
    holes[np.random.RandomState(1).rand(*X.shape) < 0.1] = np.nan
    for data in (X, holes):
        parent = AutoEncoder(**FAST).fit(data)
        same = TrimmedKind(**FAST).fit(data)
        np.testing.assert_array_equal(same.error_scale_, parent.error_scale_)
        np.testing.assert_allclose(same.score_samples(8 * X), parent.score_samples(8 * X))
    capped = TrimmedKind(**FAST)
    capped.cap = 0.01
    capped.fit(X)
    assert not np.allclose(capped.transform(X), AutoEncoder(**FAST).fit(X).transform(X))
    with torch.no_grad():
        x = torch.as_tensor((X - capped.mean_) / capped.scale_, dtype=torch.float32)
        terms = capped.net_.criterion_.score_terms(capped.net_.module_(x), x)
    assert terms.max() > 0.01  # the squared errors, not the capped terms
    with pytest.raises(TypeError, match="WrappedLoss wraps a PerFeatureLoss"):
        WrappedLoss(torch.nn.MSELoss())


class TrainingWeightedLoss(WrappedLoss):
    """The parent's terms, feature 0's doubled in training only."""

    def per_feature(self, out, x):
        terms = super().per_feature(out, x)
        return terms * torch.tensor([2.0] + [1.0] * (x.shape[1] - 1)) if self.training else terms

    def score_terms(self, out, x):
        return self.per_feature(out, x)


class TrainingWeightedKind(AutoEncoder):
    def _make_criterion(self, n_features):
        return TrainingWeightedLoss(super()._make_criterion(n_features))


def test_a_failed_partial_fit_scores_with_the_loss_in_eval_mode():
    """A probe: a partial_fit that raised mid-epoch left the loss in
    training mode (skorch switches it; the restore put back its state, not
    its mode), and a kind whose loss weighs entries otherwise in training
    scored differently after the failed call (9 of 300 predictions moved)."""
    from skorch.callbacks import Callback

    class Boom(Callback):
        armed = False

        def on_epoch_end(self, net, **kwargs):
            if self.armed:
                raise RuntimeError("boom")

    model = TrainingWeightedKind(loss="squared_error", callbacks=[Boom()], **FAST).fit(X)
    before = model.score_samples(X)
    Boom.armed = True  # on the class: the net holds a copy of the callback
    with pytest.raises(RuntimeError, match="boom"):
        model.partial_fit(X[:50])
    np.testing.assert_array_equal(model.score_samples(X), before)


def test_a_kind_that_overrides_inference_rows_as_documented_fits_and_scores():
    """The base documents overriding _inference_rows() to run fewer rows at
    a time; a review found a session's change calling it with an argument,
    and such a kind failed in fit."""

    class FewRowsAtATime(AutoEncoder):
        def _inference_rows(self):
            return 7

    model = FewRowsAtATime(**FAST).fit(X)
    parent = AutoEncoder(**FAST).fit(X)
    np.testing.assert_allclose(model.transform(X), parent.transform(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.score_samples(X), parent.score_samples(X), rtol=1e-5)


def test_a_convolution_of_any_dimension_is_not_counted_as_dense_work():
    """The thread rule counts a step's multiply-adds over the dense layers
    and gives up on convolutions: a network of Conv1d layers was counted by
    its small linear layers alone and trained on one thread (a probe)."""
    from skae._threads import step_multiply_adds

    for conv in (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose1d):
        network = torch.nn.Sequential(conv(4, 256, 3), torch.nn.Flatten(), torch.nn.Linear(8, 2))
        assert step_multiply_adds(network, 64) is None
    assert step_multiply_adds(torch.nn.Sequential(torch.nn.Linear(8, 2)), 64) == 64 * 16


def test_a_penalty_named_as_a_history_column_of_skorch_is_refused():
    """A penalty "loss_best" recorded as train_loss_best, which skorch's own
    column overwrote: its values never reached the history (a probe)."""

    class Clashing(BaseAutoEncoder):
        def _make_penalties(self):
            return {"loss_best": lambda module, x, out: out["z"].square().mean()}

    with pytest.raises(ValueError, match=r"other than \[.*'loss_best'.*got \['loss_best'\]"):
        Clashing(**FAST).fit(X)


class NaNGradientLoss(SquaredError):
    """A finite loss whose gradient is NaN: torch.where leaves out the NaN
    of the branch it does not take from the value, not from the gradient."""

    def per_feature(self, out, x):
        far = out["x_hat"] - 1e6
        return super().per_feature(out, x) + torch.where(far > 0, far.sqrt(), 0.0)


def test_a_nan_gradient_under_a_finite_loss_is_named():
    """A finite first loss, then NaN weights and running averages without an
    inf: a NaN gradient, which was reported as a divergence or a gradient
    beyond float32's range, with a lower learning rate as the advice (a
    probe)."""

    class NaNGradientKind(BaseAutoEncoder):
        def _make_criterion(self, n_features):
            return NaNGradientLoss()

        def _score_samples_scaled(self, module, x):
            return -(module(x)["x_hat"] - x).square().mean(dim=1).double()

    with pytest.raises(FloatingPointError, match="gradient can be NaN where its value is finite"):
        NaNGradientKind(**FAST).fit(X)


def test_an_optimiser_state_with_an_inf_is_not_read_as_a_nan_gradient():
    """Mutation audit (m38): NaN beside an inf in the optimiser's running
    averages is an overflow (reported as a gradient beyond float32's range),
    not the NaN gradient of a finite loss; only NaN without an inf is."""
    import types

    from skae._net import AutoEncoderNet

    def state(*values):
        optimizer = types.SimpleNamespace(state={0: {"exp_avg": torch.tensor(values)}})
        net = types.SimpleNamespace(optimizer_=optimizer)
        net._optimizer_state = types.MethodType(AutoEncoderNet._optimizer_state, net)
        return AutoEncoderNet._optimizer_state_nan(net)

    assert state(float("nan"), 1.0)
    assert not state(float("nan"), float("inf"))
    assert not state(1.0, float("inf"))
    assert not state(1.0, 2.0)


class HiddenEntriesLoss(WrappedLoss):
    """A masked autoencoder's loss: the entries the masking hid weigh fully,
    the others ``visible_weight`` (1 is the parent's loss)."""

    visible_weight = 0.0
    hidden_shares: list

    def per_feature(self, out, x):
        terms = super().per_feature(out, x)
        if not self.training:
            return terms
        hidden = out["missing"] & ~torch.isnan(x)
        type(self).hidden_shares.append((hidden.float().mean().item(), out["missing"].shape))
        return torch.where(hidden, terms, self.visible_weight * terms)


class MaskedKind(DenoisingAutoEncoder):
    def _make_criterion(self, n_features):
        return HiddenEntriesLoss(super()._make_criterion(n_features))


@pytest.mark.parametrize("table", ["numbers", "mixed"])
def test_a_loss_on_the_entries_a_masking_hid_reads_them_from_the_output(table):
    """A probe found a masked autoencoder's loss (on the hidden entries alone)
    could not be written with the hooks: the criterion got the clean rows,
    a penalty the corrupted ones, neither both. The module's output now
    holds the entries it filled as missing. Weighing every entry fully, the
    kind is its parent; on the hidden entries alone, it trains on them."""
    data = X
    if table == "mixed":
        data = pd.DataFrame(X, columns=list("abcdef"))
        data["kind"] = pd.Categorical(np.where(X[:, 0] > 0, "up", "down"))
    fast = {**FAST, "noise": "mask", "mask_rate": 0.3}
    HiddenEntriesLoss.hidden_shares = []
    HiddenEntriesLoss.visible_weight = 1.0
    same = MaskedKind(**fast).fit(data)
    parent = DenoisingAutoEncoder(**fast).fit(data)
    np.testing.assert_array_equal(same.transform(data), parent.transform(data))
    shares = [share for share, _ in HiddenEntriesLoss.hidden_shares]
    assert 0.25 < np.mean(shares) < 0.35
    # The numeric columns' loss sees their entries alone.
    assert {shape[1] for _, shape in HiddenEntriesLoss.hidden_shares} == {6}
    HiddenEntriesLoss.visible_weight = 0.0
    hidden_only = MaskedKind(**{**fast, "max_epochs": 20}).fit(data)
    # Out of training the loss is in eval mode, as scoring and the training
    # checks read it (it stayed in training mode after a fit, a review).
    assert not hidden_only.net_.criterion_.training
    losses = hidden_only.net_.history[:, "train_loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert not np.allclose(hidden_only.transform(data), parent.transform(data))


def test_the_losses_per_row_values_and_what_a_wrapper_keeps():
    """Mutation audit of ``skae/_reconstruction.py`` (M2, M5, M6, M8, M9)."""
    import math

    from skae._reconstruction import BinaryCrossEntropy, GaussianNLL, HuberError

    ones, out = torch.ones(2, 4), {"x_hat": torch.zeros(2, 4)}
    # A complete row's loss is the mean over its features, not the sum (4
    # times the loss, the learning rate's and the penalties' scale moved).
    assert SquaredError()(out, ones).tolist() == [1.0, 1.0]
    assert HuberError()(out, ones).tolist() == [1.0, 1.0]
    # A wrapper keeps what its inner loss is: a summed likelihood stays
    # summed (averaged, it was a quarter of the inner loss here), and the
    # cross-entropy's uninformed level (log 2) reaches the divergence check.
    likelihood = GaussianNLL(4)
    wrapped = WrappedLoss(likelihood)
    assert wrapped.averages is False
    assert torch.equal(wrapped(out, ones), likelihood(out, ones))
    assert WrappedLoss(BinaryCrossEntropy()).uninformed == pytest.approx(math.log(2))
    # A binary feature constant at 1 or 0 is pinned 1e-3 inside the unit
    # interval: its term is -log(1 - 1e-3) (at 1e-6 it was 1e-6; ONNX and
    # torch differ there in float32).
    bce = BinaryCrossEntropy()
    pinned = bce.pinned(torch.zeros(1, 2), torch.tensor([True, True]), torch.tensor([1.0, 0.0]))
    assert pinned[0].tolist() == pytest.approx([math.log(999), -math.log(999)], rel=1e-5)
    terms = bce.score_terms({"x_hat": pinned}, torch.tensor([[1.0, 0.0]]))
    assert terms[0].tolist() == pytest.approx([-math.log(1 - 1e-3)] * 2, rel=1e-3)
    # A Gaussian decoder's log sigma is bounded below at -5: a near-constant
    # feature cannot drive the likelihood up without bound.
    gaussian = GaussianNLL(2)
    with torch.no_grad():
        gaussian.log_scale[:] = -8.0
    floor = gaussian.floor(torch.zeros(1, 2))
    assert floor[0].tolist() == pytest.approx([-5.0 + 0.5 * math.log(2 * math.pi)] * 2, rel=1e-6)
