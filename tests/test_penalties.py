"""The penalties of the sparse, variational and contractive kinds, and the
parameters that set them and the denoising kind's corruption."""

import warnings

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError
from torch.distributions import Normal, kl_divergence

from skae import AutoEncoder, ContractiveAutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder
from skae._penalties import (
    PENALTY_WON_EPOCHS,
    Contraction,
    KLSparsity,
    gaussian_kl,
    jacobian_frobenius_sq,
)


def _contractive_module(cae, n_features=4, n_rows=7):
    """A seeded float64 module of ``cae`` and an input batch for it."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = cae._make_module(n_features).double()
        x = torch.randn(n_rows, n_features, dtype=torch.float64)
    return module, x


def test_gaussian_kl_is_the_kl_divergence_to_the_standard_normal():
    """Mutation audit: gaussian_kl is KL(N(mu, exp(logvar)) || N(0, I)) summed
    over the latent dimensions, as torch.distributions computes it, and 0
    for the prior itself. The mutant dropped the ``- 1.0`` of the formula:
    every KL came out half a nat per dimension too large."""
    rng = np.random.RandomState(0)
    mu = torch.from_numpy(rng.normal(size=(5, 3)))
    logvar = torch.from_numpy(rng.normal(size=(5, 3)))
    expected = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(dim=1)
    ours = gaussian_kl(mu, logvar)
    assert ours.shape == (5,)
    assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    zeros = torch.zeros(4, 3, dtype=torch.float64)
    assert_allclose(gaussian_kl(zeros, zeros).numpy(), np.zeros(4), atol=0)


def test_the_kl_sparsity_penalty_has_the_codes_dtype():
    """Mutation audit: KLSparsity computes in float64 (a tiny target made
    float32 NaN) but gives its term back in the codes' dtype, so that a
    float32 network's loss stays float32. The mutant left the term in
    float64."""
    z = torch.from_numpy(np.random.RandomState(0).uniform(size=(8, 3)).astype(np.float32))
    value = KLSparsity(weight=0.1, target=0.05)(None, z, {"z": z})
    assert value.dtype == torch.float32
    assert value.ndim == 0 and torch.isfinite(value) and value.item() > 0


def test_the_contraction_penalty_leaves_the_callers_input_alone():
    """Mutation audit: the Jacobian penalty differentiates a detached copy of
    its input, so the caller's tensor (in validation, the data's batch) does
    not come back requiring grad. The mutant dropped the ``.detach()`` and
    turned requires_grad on in the caller's tensor."""
    cae = ContractiveAutoEncoder(n_components=3, hidden_layer_sizes=(6,), activation="tanh")
    module, x = _contractive_module(cae)
    assert not x.requires_grad
    value = Contraction(0.1, exact=True)(module, x, module(x))
    assert value.item() > 0
    assert not x.requires_grad
    norms = jacobian_frobenius_sq(module.encode, x, exact=False)
    assert norms.shape == (len(x),)
    assert not x.requires_grad


@pytest.mark.parametrize("jacobian", ["exact", "stochastic"])
def test_a_contraction_weight_of_zero_is_the_plain_autoencoder(jacobian):
    """Review finding: at weight 0 the stochastic estimate still drew its
    N(0, I) vectors from the seeded generator, which shifted the shuffling:
    the same random_state gave another model than AutoEncoder's (scores
    0.39 apart on digits); the exact Jacobian cost 3x the fit for nothing."""
    X = np.random.RandomState(0).normal(size=(120, 5))
    common = {"n_components": 3, "max_epochs": 3, "loss": "squared_error", "random_state": 0}
    plain = AutoEncoder(**common).fit(X)
    model = ContractiveAutoEncoder(contraction_weight=0.0, jacobian=jacobian, **common).fit(X)
    assert_allclose(model.score_samples(X), plain.score_samples(X), rtol=1e-6)
    assert model.net_.history[-1]["train_contraction"] == 0.0


def test_the_contraction_penalty_reuses_the_forward_pass():
    """Mutation audit: when the input already requires grad and the codes
    were computed from it (training: the net asks for it with
    ``needs_input_grad``), the penalty differentiates those codes and does not
    run the encoder again. The mutant's condition always ran it again (a
    second encoder pass per step, with the same value, which the test of the
    value alone could not see)."""
    cae = ContractiveAutoEncoder(n_components=3, hidden_layer_sizes=(6, 5), activation="tanh")
    module, x = _contractive_module(cae)
    penalty = cae._make_penalties()["contraction"]
    calls = []
    handle = module.encoder.register_forward_hook(lambda *args: calls.append(1))
    try:
        x_grad = x.clone().requires_grad_(True)
        out = module(x_grad)
        assert len(calls) == 1
        reused = penalty(module, x_grad, out)
        assert len(calls) == 1
        # Without grad on the input the penalty has to run the encoder itself.
        rerun = penalty(module, x, module(x))
        assert len(calls) == 3
    finally:
        handle.remove()
    assert_allclose(reused.item(), rerun.item(), rtol=1e-12)


def test_contraction_weight_weights_the_penalty():
    """Mutation audit: ContractiveAutoEncoder's penalty is weighted by
    ``contraction_weight``. The mutant built it with 0.1 whatever the
    parameter, which the tests at the default could not see."""
    values = {}
    for weight in (0.1, 0.5):
        cae = ContractiveAutoEncoder(
            n_components=3, hidden_layer_sizes=(6,), activation="tanh", contraction_weight=weight
        )
        penalty = cae._make_penalties()["contraction"]
        assert penalty.weight == weight
        module, x = _contractive_module(cae)
        values[weight] = penalty(module, x, module(x)).item()
    assert values[0.1] > 0
    assert_allclose(values[0.5], 5 * values[0.1], rtol=1e-12)


def test_contraction_weight_must_not_be_negative_and_may_be_zero():
    """Mutation audit: contraction_weight is in [0, inf): a negative weight
    (which rewards an expanding encoder) is refused at fit with an error
    naming it, and 0 (no penalty) trains. The mutants moved the bound below
    0 or excluded 0 itself."""
    X = np.random.RandomState(0).normal(size=(32, 4))
    with pytest.raises(InvalidParameterError, match="contraction_weight"):
        ContractiveAutoEncoder(contraction_weight=-0.1, max_epochs=1).fit(X)
    model = ContractiveAutoEncoder(contraction_weight=0.0, max_epochs=1, random_state=0).fit(X)
    assert model.transform(X).shape == (32, model.n_components_)
    assert model._make_penalties()["contraction"].weight == 0.0


@pytest.mark.parametrize(
    "params", [{"noise_std": 0.0}, {"noise": "mask", "mask_rate": 0.0}], ids=["std", "mask"]
)
def test_a_denoising_corruption_of_zero_trains_on_the_clean_input(params):
    """Mutation audit: noise_std=0 and mask_rate=0 are in their ranges (the
    closed lower bound): the model fits, with no corruption at all. The
    mutants excluded 0 and refused both. A probe: a corruption of 0 still
    drew its noise, which moved the random streams, and trained another
    model than the plain autoencoder of the same loss (codes 0.02 apart)."""
    from skae import AutoEncoder

    X = np.random.RandomState(0).normal(size=(200, 4))
    model = DenoisingAutoEncoder(max_epochs=3, random_state=0, **params).fit(X)
    assert model.transform(X).shape == (200, model.n_components_)
    assert model._make_corruption() is None
    plain = AutoEncoder(loss="squared_error", max_epochs=3, random_state=0).fit(X)
    assert_allclose(model.transform(X), plain.transform(X))


def test_an_unknown_denoising_noise_is_refused():
    """Mutation audit: ``noise`` is one of "gaussian" and "mask"; the
    mutant's missing constraint let a misspelt one train silently with
    Gaussian noise."""
    X = np.random.RandomState(0).normal(size=(32, 4))
    with pytest.raises(InvalidParameterError, match="noise"):
        DenoisingAutoEncoder(noise="salt", max_epochs=1).fit(X)


def test_a_contraction_penalty_that_won_warns():
    """Found by an independent probe: contraction_weight=100 on wine gave
    reconstructions no better than the features' means (0.989 of their
    error) and no warning: they still varied by a hundredth of the data's
    spread, more than the check for flattened reconstructions allows. The
    default weight, and a fit too short to judge, say nothing."""
    from sklearn.datasets import load_wine

    X = load_wine().data
    params = {"n_components": 4, "max_epochs": 20, "random_state": 0}
    with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
        won = ContractiveAutoEncoder(contraction_weight=100.0, **params).fit(X)
    # A probe: a one-unit network reconstructs no better at the default
    # weight, and was told only to lower the weight.
    with pytest.warns(ConvergenceWarning, match="or wider hidden_layer_sizes"):
        ContractiveAutoEncoder(hidden_layer_sizes=(1,), n_components=1, random_state=0).fit(X)
    error = ((won.inverse_transform(won.transform(X)) - X) / X.std(axis=0)) ** 2
    assert error.mean() > 0.95
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ContractiveAutoEncoder(**params).fit(X)
        short = {**params, "max_epochs": PENALTY_WON_EPOCHS - 1}
        ContractiveAutoEncoder(contraction_weight=100.0, **short).fit(X)
        # Too short to learn, with a penalty too small to be the cause (a
        # probe: it said the penalty won, at contraction_weight=0 too).
        for weight in (0.0, 0.1):
            ContractiveAutoEncoder(
                n_components=2, max_epochs=5, contraction_weight=weight, random_state=0
            ).fit(X[60:])


def test_a_contraction_that_won_under_the_cross_entropy_warns():
    """A probe: under loss="binary_crossentropy", contraction_weight=10 on
    digits held every reconstruction at the pixel means, silently. The loss
    includes the pixels' entropy, so the penalty, which had driven itself to
    near 0, was under 1% of it. A healthy fit of the same loss stays silent."""
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.preprocessing import minmax_scale

    X = load_digits().data[:600] / 16.0
    params = {"loss": "binary_crossentropy", "random_state": 0}
    with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
        won = ContractiveAutoEncoder(n_components=8, contraction_weight=10.0, **params).fit(X)
    spread = won.inverse_transform(won.transform(X)).std(axis=0)
    assert spread.max() < 0.01 * X.std(axis=0).max()
    healthy = minmax_scale(load_breast_cancer().data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ContractiveAutoEncoder(contraction_weight=0.1, **params).fit(healthy)


def test_the_won_check_takes_a_reconstruction_at_its_floor():
    """A review: the penalty's share of the loss above its floor divided by
    zero when the reconstruction reached the floor (a perfect one), and the
    check failed the fit with a ZeroDivisionError."""
    X = np.random.RandomState(0).rand(200, 5)
    model = ContractiveAutoEncoder(max_epochs=6, random_state=0).fit(X)
    net = model.net_
    net.history[-1]["train_reconstruction"] = 0.0
    check = dict(net.callbacks_)["contraction_won_check"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        check.on_train_end(net, X=torch.as_tensor(X, dtype=torch.float32))


def test_a_corruption_that_won_warns():
    """A known gap: noise_std=100 on the breast-cancer table reconstructed
    every row as about the features' means (1.001 of their error in the
    median row) without a word, as a won contraction did. Masking 99% of
    wine's entries too. The default levels, a level of 0, and a fit of too
    few steps to judge (56 rows: the default model's median row is still
    0.99 of the means' error after its 20 steps) say nothing."""
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine

    cancer, wine = load_breast_cancer().data, load_wine().data
    with pytest.warns(ConvergenceWarning, match="corruption won.*smaller noise_std than 100"):
        won = DenoisingAutoEncoder(noise_std=100.0, random_state=0).fit(cancer)
    error = ((won.inverse_transform(won.transform(cancer)) - cancer) / cancer.std(axis=0)) ** 2
    assert error.mean() > 0.99
    with pytest.warns(ConvergenceWarning, match="corruption won.*smaller mask_rate than 0.99"):
        DenoisingAutoEncoder(noise="mask", mask_rate=0.99, random_state=0).fit(wine)
    # A probe: on iris a near-constant output beat the means in the median
    # row (0.97-0.99 of their error), and noise_std=50, beta=20 and
    # contraction_weight=100 were silent; reconstructions spread 2% of the
    # rows' own or less, in every feature, warn too.
    iris = load_iris().data
    with pytest.warns(ConvergenceWarning, match="corruption won"):
        flat = DenoisingAutoEncoder(noise_std=50.0, random_state=0).fit(iris)
    back = flat.inverse_transform(flat.transform(iris))
    assert (back.std(axis=0) < 0.02 * iris.std(axis=0)).all()
    with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
        ContractiveAutoEncoder(contraction_weight=100.0, random_state=0).fit(iris)
    # A network that did not move is reported as untrained alone: judged as
    # initialised, it "lost" to a default noise_std, and the advice was wrong.
    for model in (
        DenoisingAutoEncoder(lr=1e-9, random_state=0),
        VariationalAutoEncoder(beta=2.0, lr=1e-9, early_stopping=False, random_state=0),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(cancer)
        said = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
        assert len(said) == 1 and "untrained" in said[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for params in ({}, {"noise": "mask"}, {"noise_std": 1.0}, {"noise_std": 0.0}):
            DenoisingAutoEncoder(random_state=0, **params).fit(cancer)
            DenoisingAutoEncoder(random_state=0, **params).fit(wine)
        DenoisingAutoEncoder(noise_std=100.0, random_state=0).fit(cancer[:100])


def test_a_kl_term_that_won_warns_above_beta_1():
    """A known gap: beta=4 on wine left every code on the prior (KL 0.003
    nats a row) and the reconstructions at the means (0.992 of their error
    in the median row), silently. At beta=1 and 2 the codes are used; at
    beta=1 codes left on the prior are the ELBO's verdict on data without
    structure, not judged; nor is a fit too short."""
    from sklearn.datasets import load_iris, load_wine

    from skae import VariationalAutoEncoder

    X = load_wine().data
    with pytest.warns(ConvergenceWarning, match="KL term won.*beta=4"):
        won = VariationalAutoEncoder(beta=4.0, random_state=0).fit(X)
    assert won.net_.history[-1, "train_kl"] / 4.0 < 0.05
    with pytest.warns(ConvergenceWarning, match="KL term won.*beta=3"):
        VariationalAutoEncoder(beta=3.0, random_state=0).fit(load_iris().data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for beta in (1.0, 2.0):
            VariationalAutoEncoder(beta=beta, random_state=0).fit(X)
        short = {"max_epochs": PENALTY_WON_EPOCHS - 1, "random_state": 0}
        VariationalAutoEncoder(beta=100.0, **short).fit(X)
    assert not [w for w in caught if "KL term won" in str(w.message)]
    # Not judged at all at beta=1 or below.
    for beta in (0.0, 0.5, 1.0):
        assert VariationalAutoEncoder(beta=beta)._make_callbacks() == []


def test_the_contraction_check_reads_rows_scaled_a_batch_at_a_time_and_skips_small_chunks():
    """Mutation audit and probe: data beyond working_memory, scaled a batch
    at a time, skipped the check (the same won penalty warned in memory and
    not beyond it); and a stream of 50-row chunks was judged against each
    chunk's own means, and its 27th chunk of a healthy model warned."""
    import sklearn
    from sklearn.datasets import load_wine

    X = load_wine().data
    params = {"n_components": 4, "max_epochs": 20, "random_state": 0}
    with sklearn.config_context(working_memory=1e-4):
        with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
            ContractiveAutoEncoder(contraction_weight=100.0, **params).fit(X)
    rng = np.random.RandomState(0)
    stream = rng.normal(size=(2000, 3)) @ rng.normal(size=(3, 20))
    stream += 0.05 * rng.normal(size=stream.shape)
    model = ContractiveAutoEncoder(random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for start in range(0, len(stream), 50):
            model.partial_fit(stream[start : start + 50])
    reconstructed = model.inverse_transform(model.transform(stream))
    assert np.mean((reconstructed - stream) ** 2) < 0.8 * stream.var(axis=0).mean()


def test_a_fit_that_diverged_is_reported_by_its_error_alone():
    """A probe: lr=3 warned that the contraction penalty won (advice: a
    smaller weight), then raised that training diverged (advice: a lower
    learning rate). The penalty's warning waits for the fit to be judged."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2) @ rng.randn(2, 8) + 0.1 * rng.randn(200, 8)
    model = ContractiveAutoEncoder(n_components=2, max_epochs=10, lr=3, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(FloatingPointError, match="diverged"):
            model.fit(X)
    assert not [w for w in caught if "penalty won" in str(w.message)]
    assert not hasattr(model, "net_")


def _convergence_warnings(model, X) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X)
    return [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_a_won_warning_names_a_learning_rate_above_the_default():
    """A mutation audit: lr=0.3 left the denoising kind's reconstructions at
    the means at noise_std=0 as at its default, and the only advice was a
    smaller noise_std. Above the default rate the warning names it too; at
    the default rate it does not."""
    from sklearn.datasets import load_breast_cancer

    cancer = load_breast_cancer().data
    said = _convergence_warnings(DenoisingAutoEncoder(lr=0.3, random_state=0), cancer)
    assert len(said) == 1
    assert "smaller noise_std than 0.3, or a lower learning rate than lr=0.3." in said[0]
    said = _convergence_warnings(DenoisingAutoEncoder(noise_std=100.0, random_state=0), cancer)
    assert len(said) == 1 and said[0].endswith("Try a smaller noise_std than 100.0.")


def test_a_won_warning_yields_to_a_reported_collapse_or_flattening():
    """A mutation audit: weight_decay=10 (which fails alone, at noise_std=0
    or beta=0 too) was told that the reconstructions hardly vary, with
    weight_decay in the advice, and then that the corruption or the KL term
    won, blaming the kind's own parameter. The report of the failure names
    every setting that holds the network back; it stands alone."""
    from sklearn.datasets import load_wine

    wine = load_wine().data
    for model, own in (
        (DenoisingAutoEncoder(weight_decay=10.0, random_state=0), "noise_std"),
        (VariationalAutoEncoder(beta=1.5, weight_decay=10.0, random_state=0), "beta"),
    ):
        said = _convergence_warnings(model, wine)
        assert len(said) == 1, said
        assert "weight_decay" in said[0] and own in said[0]
        assert "won" not in said[0]


def test_the_won_check_judges_a_fit_of_its_epochs_and_a_penalty_of_few_steps():
    """Mutation audit: a fit of exactly PENALTY_WON_EPOCHS epochs is judged
    (the mutant asked for one more), and the floor of optimiser steps is for
    the kinds without a penalty term: a won contraction penalty makes its
    share of the loss after 8 steps as after 400 (the mutant applied the
    floor to it too, and 8 full-batch epochs on wine went silent)."""
    from sklearn.datasets import load_wine

    X = load_wine().data
    params = {"contraction_weight": 100.0, "n_components": 4, "random_state": 0}
    with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
        ContractiveAutoEncoder(max_epochs=PENALTY_WON_EPOCHS, **params).fit(X)
    with pytest.warns(ConvergenceWarning, match="contraction penalty won"):
        model = ContractiveAutoEncoder(max_epochs=8, batch_size=len(X), **params).fit(X)
    assert sum(row["train_batch_count"] for row in model.net_.history) == 8


def test_a_contraction_weight_of_zero_is_not_said_to_have_won():
    """Mutation audit: the contraction check judges only a penalty that
    makes a share of the loss. A one-unit network at contraction_weight=0
    reconstructs about as badly as at the default weight, but no penalty
    held it there: the fit says nothing. The mutant dropped the penalty's
    name from the check and told it to lower a weight of 0."""
    from sklearn.datasets import load_wine

    model = ContractiveAutoEncoder(
        hidden_layer_sizes=(1,), n_components=1, contraction_weight=0.0, random_state=0
    )
    assert _convergence_warnings(model, load_wine().data) == []


@pytest.mark.parametrize(
    "params", [{"noise_std": 0.0}, {"noise": "mask", "mask_rate": 0.0}], ids=["std", "mask"]
)
def test_a_denoising_corruption_that_is_off_is_not_judged(params):
    """Mutation audit: with its corruption off the denoising kind installs no
    check of a won corruption, and a one-unit network at noise_std=0, which
    reconstructs wine no better than the means, is not told to lower a
    noise_std of 0. The mutant dropped the early return and said so."""
    from sklearn.datasets import load_wine

    assert DenoisingAutoEncoder(**params)._make_callbacks() == []
    assert DenoisingAutoEncoder()._make_callbacks() != []
    model = DenoisingAutoEncoder(hidden_layer_sizes=(1,), n_components=1, random_state=0, **params)
    assert not [m for m in _convergence_warnings(model, load_wine().data) if "won" in m]


def test_a_kl_term_with_codes_in_use_is_not_said_to_have_won():
    """Mutation audit: the KL check judges only codes left on the prior (the
    last epoch's KL term below beta * UNUSED_CODES_KL). On 50 independent
    features beta=1.2 keeps codes in use (0.069 nats a row) that capture
    too little to beat the means' reconstruction in the median row: the
    data has no structure for them, the KL term did not win, and the fit
    says nothing. The mutants dropped that gate and said the KL term won."""
    from skae._variational import UNUSED_CODES_KL

    X = np.random.RandomState(0).normal(size=(300, 50))
    model = VariationalAutoEncoder(beta=1.2, n_components=4, random_state=0)
    assert _convergence_warnings(model, X) == []
    assert model.net_.history[-1, "train_kl"] / 1.2 > UNUSED_CODES_KL
    # Every other condition of the check holds: the gate alone decides.
    scale = model.scale_
    error = (((X - model.inverse_transform(model.transform(X))) / scale) ** 2).sum(axis=1)
    reference = (((X - X.mean(axis=0)) / scale) ** 2).sum(axis=1)
    assert np.median(error) >= 0.99 * np.median(reference)


@pytest.mark.parametrize(
    "model",
    [
        DenoisingAutoEncoder(random_state=0),
        ContractiveAutoEncoder(random_state=0),
        VariationalAutoEncoder(beta=2.0, random_state=0),
    ],
    ids=["denoising", "contractive", "variational"],
)
def test_constant_rows_are_not_said_to_be_flattened_by_a_regulariser(model):
    """Mutation audit: with no feature varying, reconstructions cannot be
    judged flat (flatness is inf, not 0), and a fit on constant rows says
    nothing of a penalty, corruption or KL term that won. The mutant's
    flatness of 0 warned of each."""
    assert _convergence_warnings(model, np.ones((200, 3))) == []


class _Criterion:
    """A criterion whose reconstructions are the module's ``x_hat``."""

    def reconstruct(self, out):
        return out["x_hat"]


def _stub_net():
    import types

    return types.SimpleNamespace(unwrapped=lambda part: part, criterion_=_Criterion())


def test_no_better_than_means_at_its_share_and_without_a_reference():
    """Mutation audit: reconstructions count as no better than the means
    from MEANS_SHARE (0.99) of their error in the median row: 0.995 of it
    does, 0.985 does not (the mutant's share of 1 let 0.995 pass). Rows
    most of which sit at the means give no reference (median error 0):
    not judged (the mutant without the guard judged any reconstruction of
    them no better than the means)."""
    from skae._penalties import no_better_than_means

    rows = torch.from_numpy(np.random.RandomState(0).normal(size=(101, 3)))
    centre = rows.mean(dim=0)
    # Each row's error is ``share`` times the means'.
    for share, expected in ((0.995, True), (0.985, False)):
        x_hat = centre + (1 - np.sqrt(share)) * (rows - centre)
        assert no_better_than_means(_stub_net(), rows, {"x_hat": x_hat}) is expected
    tied = torch.cat([torch.zeros(60, 3), torch.ones(20, 3), -torch.ones(20, 3)]).double()
    assert no_better_than_means(_stub_net(), tied, {"x_hat": tied + 1.0}) is False


def test_flattened_at_its_share():
    """Mutation audit: reconstructions are flattened at a spread of at most
    WON_FLAT_SHARE (0.02) of each feature's: 0.015 is, 0.03 is not (the
    mutants' 0.01 and 0.05 each turned one of them)."""
    from skae._penalties import flattened

    rows = torch.from_numpy(np.random.RandomState(0).normal(size=(200, 3)))
    standardised = (rows - rows.mean(dim=0)) / rows.std(dim=0, correction=0)
    for share, expected in ((0.015, True), (0.03, False)):
        assert flattened(_stub_net(), rows, {"x_hat": share * standardised}) is expected


def test_the_l1_penalty_sums_over_the_codes_and_averages_over_the_rows():
    """Mutation audit: the value was untested; a mean over the codes too
    divided sparsity_weight by their number, silently."""
    from skae._penalties import L1Sparsity

    z = torch.tensor([[1.0, -2.0, 0.0, 3.0], [0.0, 0.0, 1.0, 1.0]])
    assert float(L1Sparsity(0.5)(None, None, {"z": z})) == pytest.approx(0.5 * (6 + 2) / 2)


def test_the_floor_of_the_loss_is_averaged_as_training_averages_it():
    """Mutation audit: the binary cross-entropy averages over a row's entries,
    the Gaussian likelihood sums them; the floor swapped between the two was
    8 log 2 for rows of 0.5 under the first, so the rule that a penalty must
    be a share of the loss above it held for every penalty."""
    from skae._penalties import _mean_floor
    from skae._reconstruction import BinaryCrossEntropy, GaussianNLL

    rows = torch.full((10, 8), 0.5)
    assert _mean_floor(BinaryCrossEntropy(), rows) == pytest.approx(np.log(2), rel=1e-5)
    assert _mean_floor(GaussianNLL(8), rows) == pytest.approx(8 * 0.5 * np.log(2 * np.pi), rel=1e-5)


def test_no_better_than_the_means_is_judged_on_the_median_row():
    """Mutation audit: every row of the test above had the same ratio, so a
    pooled judgement passed it; one far row reconstructed exactly swamps the
    pooled error of 100 rows each reconstructed worse than by the means."""
    from types import SimpleNamespace

    from skae._penalties import no_better_than_means

    class Identity:
        def reconstruct(self, out):
            return out["x_hat"]

    net = SimpleNamespace(unwrapped=lambda part: part, criterion_=Identity())
    rows = torch.from_numpy(np.random.RandomState(0).normal(size=(101, 3)))
    rows[0] = 1e3
    centre = rows.mean(dim=0)
    x_hat = centre - 0.1 * (rows - centre)
    x_hat[0] = rows[0]
    assert no_better_than_means(net, rows, {"x_hat": x_hat}) is True
