"""What makes each kind of autoencoder different, measured on load_digits."""

import inspect
import warnings

import numpy as np
import pytest
import torch
from conftest import KINDS as ALL_KINDS
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, make_low_rank_matrix
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch.callbacks import Callback

from skae import (
    AutoEncoder,
    BaseAutoEncoder,
    ContractiveAutoEncoder,
    ConvolutionalAutoEncoder,
    DenoisingAutoEncoder,
    SparseAutoEncoder,
    VariationalAutoEncoder,
)
from skae._net import TensorData
from skae._penalties import jacobian_frobenius_sq
from skae._sparse import ReviveDeadCodes
from skae._training_checks import collapsed_codes
from skae._variational import UNUSED_CODES_KL

KINDS = list(ALL_KINDS)


@pytest.fixture(scope="module")
def split(digits):
    X, y = digits
    X_train, X_test, _, _ = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return X_train, X_test


def _mse(model, X, target):
    return float(np.mean((model.inverse_transform(model.transform(X)) - target) ** 2))


def _n_parameters(model):
    return sum(p.numel() for p in model.net_.module_.parameters())


# --- the shared signature -------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_every_kind_takes_every_core_parameter(kind):
    """Each kind repeats the core signature (scikit-learn needs explicit
    parameters); this keeps the copies from drifting."""
    core = inspect.signature(BaseAutoEncoder.__init__).parameters
    own = inspect.signature(kind.__init__).parameters
    # The Huber loss is the default where it won (detection_ablation_14.md);
    # the penalised, corrupted and variational kinds keep the squared error.
    squared = {"loss": "squared_error"}
    own_defaults = {
        ConvolutionalAutoEncoder: {"architecture": "conv"},
        VariationalAutoEncoder: {"early_stopping": "auto", **squared},
        DenoisingAutoEncoder: squared,
        SparseAutoEncoder: squared,
        ContractiveAutoEncoder: squared,
    }.get(kind, {})
    for name, param in core.items():
        assert name in own, name
        expected = own_defaults.get(name, param.default)
        assert own[name].default == expected, name
        assert own[name].kind == param.kind, name
    # The docstring states the kind's own default of the loss.
    assert f'default="{own["loss"].default}"' in next(
        line for line in kind.__doc__.splitlines() if line.strip().startswith("loss : ")
    )


# --- denoising ------------------------------------------------------------------------


def test_denoising_learns_the_clean_rows_where_it_could_copy_its_input():
    """Mutation audit (m31): the loss compares the reconstruction with the
    clean rows, not the corrupted input. With as many codes as features a
    network trained on the corrupted input learns to copy it: the mutant's
    reconstructions of noisy rows were as far from the clean ones as the
    noise (0.50), the denoiser's 0.09 (here 0.99 and 0.20 of the noise)."""
    rng = np.random.RandomState(0)
    clean = rng.normal(size=(1200, 2)) @ rng.normal(size=(2, 10))
    train, test = clean[:1000], clean[1000:]
    # Enough steps for the copy to be learnt (after 10 epochs of 500 rows
    # the mutant's error was still a quarter of the noise's).
    dae = DenoisingAutoEncoder(noise_std=0.5, n_components=10, max_epochs=20, random_state=0)
    dae.fit(train)
    noisy = test + 0.5 * dae.scale_ * rng.normal(size=test.shape)
    cleaned = dae.inverse_transform(dae.transform(noisy))
    noise = np.mean((noisy - test) ** 2)
    assert np.mean((cleaned - test) ** 2) < 0.4 * noise


def test_denoising_cleans_noisy_digits_better_than_ae_and_pca(split):
    X_train, X_test = split
    noisy = X_test + np.random.RandomState(0).normal(scale=4.0, size=X_test.shape)
    same = dict(n_components=16, scaling="global", max_epochs=100, random_state=0)
    dae = DenoisingAutoEncoder(noise_std=0.5, **same).fit(X_train)
    ae = AutoEncoder(**same).fit(X_train)
    best_pca = min(_mse(PCA(k).fit(X_train), noisy, X_test) for k in range(1, 40))
    dae_mse = _mse(dae, noisy, X_test)
    assert dae_mse < _mse(ae, noisy, X_test)
    assert dae_mse < best_pca


def test_corruption_applies_in_training_only(blobs):
    dae = DenoisingAutoEncoder(noise="mask", mask_rate=0.5, max_epochs=3, random_state=0)
    dae.fit(blobs)
    x = torch.ones(1000, 5)
    masked = dae.net_.corruption(x)
    # Masking makes about mask_rate of the entries missing, for the network
    # to fill as it fills missing entries.
    assert set(masked[~masked.isnan()].unique().tolist()) == {1.0}
    assert abs(float(masked.isnan().float().mean()) - 0.5) < 0.05
    # Inference never corrupts: the same input gives the same codes, and
    # those codes are the clean encoder's output.
    assert_array_equal(dae.transform(blobs), dae.transform(blobs))
    module = dae.net_.module_
    with torch.no_grad():
        clean = module.encode(dae._scaled_tensor(blobs, dae.device_)).numpy()
    assert_allclose(dae.transform(blobs), clean, rtol=1e-6)


@pytest.mark.parametrize("scaling", ["none", "global", "feature"])
def test_masking_fills_as_a_missing_entry(scaling):
    """A masked entry reaches the encoder as a missing one would, the
    feature's training mean, whatever the scaling (it was 0 in scaled units:
    the raw value 0 without scaling, far from every value of these data).
    (The mean alone here: training also fills half the rows' missing entries
    with the network's reconstruction, tested in test_missing.py.)"""
    X = 10.0 + np.random.RandomState(0).normal(size=(256, 3))
    dae = DenoisingAutoEncoder(
        noise="mask", mask_rate=0.3, n_components=2, max_epochs=1, scaling=scaling, random_state=0
    ).fit(X)
    fill = (X.mean(axis=0) - dae.mean_) / dae.scale_
    seen = []
    module = dae.net_.module_
    module.set_output_map(None)

    def keep_training_inputs(layer, args):
        if layer.training:
            seen.append(args[0].detach())

    hook = module.encoder.register_forward_pre_hook(keep_training_inputs)
    try:
        dae.partial_fit(X)
    finally:
        hook.remove()
    inputs = torch.cat(seen).double().numpy()
    at_fill = np.isclose(inputs, fill, rtol=0, atol=1e-5)
    assert abs(at_fill.mean() - 0.3) < 0.05
    assert not np.isnan(inputs).any()
    assert np.all(inputs > (X.min() - dae.mean_) / dae.scale_ - 1e-5)


# --- sparse ----------------------------------------------------------------------------


@pytest.mark.parametrize("n_components", [32, 96], ids=["undercomplete", "overcomplete"])
def test_sparse_codes_are_mostly_zero(split, n_components):
    X_train, X_test = split
    # The same (64, 32) network for both: with "auto" widths, 32 or 96 codes
    # get a (512, 256) one, where the plain model gains more than the sparse
    # one (held-out MSE 3.5 to 0.95 against 3.8 to 2.5 at 32 codes).
    same = dict(
        n_components=n_components,
        hidden_layer_sizes=(64, 32),
        scaling="global",
        max_epochs=60,
        random_state=0,
    )
    sae = SparseAutoEncoder(**same).fit(X_train)
    ae = AutoEncoder(**same).fit(X_train)
    sparse_zeros = np.mean(np.abs(sae.transform(X_test)) < 1e-3)
    dense_zeros = np.mean(np.abs(ae.transform(X_test)) < 1e-3)
    assert sparse_zeros > 0.3 and sparse_zeros > 20 * dense_zeros
    # ... at a comparable reconstruction error.
    assert _mse(sae, X_test, X_test) < 1.25 * _mse(ae, X_test, X_test)
    assert "train_sparsity" in sae.net_.history[-1]


def _low_rank_table(n_rows=1000, rank=3, seed=0):
    rng = np.random.RandomState(seed)
    return rng.standard_normal((n_rows, rank)) @ rng.standard_normal((rank, 10))


def test_dead_relu_code_is_revived_with_a_decoder_column_as_long_as_a_live_one(blobs):
    sae = SparseAutoEncoder(
        n_components=3, hidden_layer_sizes=(16,), max_epochs=5, random_state=0
    ).fit(blobs)
    module = sae.net_.module_
    encoder_out = module.encoder[-1]
    with torch.no_grad():  # kill code 0: negative for every row
        encoder_out.weight[0] = 0.0
        encoder_out.bias[0] = -1.0
    codes = sae.transform(blobs)
    assert_array_equal(codes[:, 0], 0.0)
    before = sae.inverse_transform(codes)

    x = torch.as_tensor((blobs - sae.mean_) / sae.scale_, dtype=torch.float32)
    sae.net_.history.new_epoch()
    ReviveDeadCodes().on_epoch_begin(sae.net_, dataset_train=TensorData(x))
    assert sae.net_.history[-1, "revived_codes"] == 1
    revived = sae.transform(blobs)
    # Alive on about half the rows, the other codes untouched ...
    assert 0.3 < np.mean(revived[:, 0] > 0) < 0.7
    assert_array_equal(revived[:, 1:], codes[:, 1:])
    # ... and seen by the decoder, through a column as long as a live
    # code's: with a zero column the penalty alone trained it, and killed it.
    columns = sae.net_.module_.decoder[0].weight.detach().norm(dim=0)
    assert float(columns[0]) == pytest.approx(float(columns[1:].mean()), rel=1e-5)
    moved = np.abs(sae.inverse_transform(revived) - before).max(axis=1)
    assert np.all(moved[revived[:, 0] == 0] < 1e-5) and moved[revived[:, 0] > 0].min() > 0


def test_sparse_relu_codes_stay_alive_and_reconstruct():
    # Three ReLU codes on rank-3 data: a dead code would lose a third of the
    # variance (relative error about 1/3). Two of these seeds lose a code in
    # training (the revival count says so) and get it back.
    X = _low_rank_table()
    revived = 0
    for seed in range(6):
        sae = SparseAutoEncoder(n_components=3, random_state=seed).fit(X)
        revived += sum(sae.net_.history[:, "revived_codes"])
        assert np.all(np.mean(sae.transform(X) > 0, axis=0) > 0.1)
        relative_mse = np.mean((sae.inverse_transform(sae.transform(X)) - X) ** 2) / X.var()
        assert relative_mse < 0.25
    assert revived >= 2


def test_a_default_fit_ends_without_dead_codes():
    """Codes that died were revived before every epoch and died again within
    it, the same ones each time: default fits ended with 2-9 of 16 codes
    zero on every row, without a word (a probe; 3 and 7 of 16 on this table).
    Revived with a decoder column and the live codes' second moments, they
    stay alive."""
    X = make_low_rank_matrix(1000, 50, effective_rank=5, random_state=0) * 10
    for seed in (0, 1):
        sae = SparseAutoEncoder(n_components=16, random_state=seed).fit(X)
        assert (sae.transform(X) > 0).any(axis=0).all()
        assert sum(sae.net_.history[:, "revived_codes"]) > 0  # codes did die


def test_partial_fit_chunks_smaller_than_a_fit_judges_on_revive_no_code():
    """A sparse code is zero on most rows: judged on one-row partial_fit
    chunks, live codes looked dead and were reset (100 such chunks reset 617
    codes of a fitted model; a probe). A chunk judges only from as many rows
    as a fit judges on (``rows``, 2,048)."""
    X = load_breast_cancer().data
    X = X[np.random.RandomState(0).permutation(len(X))]
    sae = SparseAutoEncoder(n_components=16, random_state=0).fit(X)
    for i in range(60):
        sae.partial_fit(X[i : i + 1])
    assert sum(sae.net_.history[-60:, "revived_codes"]) == 0

    rows = np.random.RandomState(1).normal(size=(2048, 5))
    for n, revived in [(2047, 0), (2048, 1)]:
        chunked = SparseAutoEncoder(
            n_components=3, hidden_layer_sizes=(16,), max_epochs=2, random_state=0
        ).fit(rows[:200])
        with torch.no_grad():  # kill code 0: negative for every row
            chunked.net_.module_.encoder[-1].weight[0] = 0.0
            chunked.net_.module_.encoder[-1].bias[0] = -1.0
        chunked.net_.skae_chunk = True
        x = torch.as_tensor((rows[:n] - chunked.mean_) / chunked.scale_, dtype=torch.float32)
        chunked.net_.history.new_epoch()
        ReviveDeadCodes().on_epoch_begin(chunked.net_, dataset_train=TensorData(x))
        assert chunked.net_.history[-1, "revived_codes"] == revived


def test_codes_that_all_died_again_in_the_last_epoch_are_reported():
    """Revived before each epoch, every code died again in it (too high a
    learning rate for the penalty): transform gave zeros and the
    reconstructions the features' means, without a word."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5)
    X[:, 1] = 2 * X[:, 0] + 0.1 * rng.randn(200)
    with pytest.warns(
        ConvergenceWarning, match="Every one of the 2 codes takes one value"
    ) as record:
        sae = SparseAutoEncoder(2, lr=0.1, max_epochs=20, random_state=0).fit(X)
    assert record[0].filename == __file__  # the user's line, not skorch's loop
    # Reported once, as the collapse (mutation audit: not also as silenced).
    assert not [w for w in record if "silenced" in str(w.message)]
    assert_array_equal(sae.transform(X), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy = SparseAutoEncoder(2, lr=0.01, max_epochs=20, random_state=0).fit(X)
    assert (healthy.transform(X) > 0).any(axis=0).all()
    # A few rows may all leave a healthy code at 0: one-row chunks warned.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for i in range(40):
            healthy.partial_fit(X[i : i + 1])


def test_some_dead_codes_are_not_reported_as_every_code_dead(blobs):
    """Mutation audit: the ConvergenceWarning "Every one of the N codes takes
    one value" is for a model whose codes all collapsed; a code at 0 on every
    row while the others live is normal for a sparse model (``.any()`` for
    ``.all()`` raised a false alarm there)."""
    sae = SparseAutoEncoder(
        n_components=3, hidden_layer_sizes=(16,), max_epochs=5, random_state=0
    ).fit(blobs)
    x = torch.as_tensor((blobs - sae.mean_) / sae.scale_, dtype=torch.float32)
    module = sae.net_.module_
    encoder_out = module.encoder[-1]
    with torch.no_grad():  # kill code 0: negative for every row
        encoder_out.weight[0] = 0.0
        encoder_out.bias[0] = -1.0
    codes = sae.transform(blobs)
    assert_array_equal(codes[:, 0], 0.0)
    assert (codes[:, 1:] > 0).any(axis=0).all()
    assert collapsed_codes(module, x)[:2] == (0, 0)
    with torch.no_grad():  # every code dead: that is reported
        encoder_out.weight.zero_()
        encoder_out.bias.fill_(-1.0)
    assert collapsed_codes(module, x)[0] == 3
    assert collapsed_codes(module, x)[2]


def test_a_revived_code_starts_with_fresh_optimiser_moments():
    """Mutation audit: reviving a dead code resets the optimiser's running
    moments of its weights (its encoder row and bias, its decoder column),
    and only those: the first moments to zero, the second to the live
    codes' mean (from zero, Adam took the penalty's small gradient for full
    steps, and the code died again within the epoch; a probe)."""
    from skorch.dataset import Dataset

    from skae._sparse import ReviveDeadCodes

    X = np.random.RandomState(0).normal(size=(200, 5))
    sae = SparseAutoEncoder(n_components=3, hidden_layer_sizes=(16,), max_epochs=5, random_state=0)
    sae.fit(X)
    encoder = sae.net_.module_.encoder[-1]
    decoder = [m for m in sae.net_.module_.decoder.modules() if isinstance(m, torch.nn.Linear)][0]
    with torch.no_grad():
        encoder.weight[0] = 0.0
        encoder.bias[0] = -1.0  # code 0 is dead on every row
    x = torch.as_tensor((X - sae.mean_) / sae.scale_, dtype=torch.float32)
    sae.net_.history.new_epoch()
    ReviveDeadCodes().on_epoch_begin(sae.net_, dataset_train=Dataset(x))
    state = sae.net_.optimizer_.state
    assert torch.all(state[encoder.weight]["exp_avg"][0] == 0)
    assert state[encoder.bias]["exp_avg"][0] == 0
    assert torch.all(state[decoder.weight]["exp_avg"][:, 0] == 0)
    assert torch.any(state[encoder.weight]["exp_avg"][1] != 0)
    for param, dead, live in [
        (encoder.weight, (0,), (slice(1, None),)),
        (encoder.bias, (0,), (slice(1, None),)),
        (decoder.weight, (slice(None), 0), (slice(None), slice(1, None))),
    ]:
        second = state[param]["exp_avg_sq"]
        assert torch.all(second[dead] == second[live].mean())
        assert float(second[live].mean()) > 0


def test_the_silenced_codes_warning_needs_revivals_in_a_fit_of_five_epochs():
    """Mutation audit: the warning needs codes that died during training
    (revivals) in a fit of SILENT_EPOCHS epochs or more."""
    from skorch.history import History

    from skae._sparse import ReviveDeadCodes
    from skae._warnings import held_warnings

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sae = SparseAutoEncoder(
            n_components=2, sparsity_weight=100.0, max_epochs=10, random_state=0
        ).fit(X)
    x = torch.as_tensor((X - sae.mean_) / sae.scale_, dtype=torch.float32)
    full = sae.net_.history
    assert any(full[:, "revived_codes"])
    # The callback holds its warning until fit has judged the training
    # (held_warnings): fit emits it after the divergence checks.
    held_warnings(sae.net_)
    sae.net_.history = History([{**row, "revived_codes": 1} for row in full[:4]])
    ReviveDeadCodes().on_train_end(sae.net_, X=x)  # 4 epochs: too short
    sae.net_.history = History([{**row, "revived_codes": 0} for row in full])
    ReviveDeadCodes().on_train_end(sae.net_, X=x)  # no code died
    assert held_warnings(sae.net_) == []
    sae.net_.history = full
    ReviveDeadCodes().on_train_end(sae.net_, X=x)
    [(message, category, yields_to_failure)] = held_warnings(sae.net_)
    assert "silenced" in message and category is ConvergenceWarning
    # The sparse kind's own diagnosis stands beside a reported flattening.
    assert not yields_to_failure
    # Exactly SILENT_EPOCHS (5) with a revival is enough (mutation audit S3).
    sae.net_.history = History([{**row, "revived_codes": 1} for row in full[:5]])
    ReviveDeadCodes().on_train_end(sae.net_, X=x)
    assert "silenced" in held_warnings(sae.net_)[0][0]
    sae.net_.history = full


@pytest.mark.parametrize("live, warned", [(0.29, True), (0.31, False), (0.0, False)])
def test_the_silenced_codes_warning_needs_fewer_than_30_percent_live_entries(
    monkeypatch, live, warned
):
    """Mutation audit: SILENT_SHARE (0.3) was pinned on neither side; every
    code dead (0 live) is the collapse, reported by fit's own check."""
    import skae._sparse as sparse
    from skae._warnings import held_warnings

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    sae = SparseAutoEncoder(n_components=4, max_epochs=5, random_state=0).fit(X)
    x = torch.as_tensor((X - sae.mean_) / sae.scale_, dtype=torch.float32)
    codes = torch.zeros(100, 4)
    codes.view(-1)[: round(live * codes.numel())] = 1.0
    monkeypatch.setattr(sparse, "inference_outputs", lambda net, rows: {"z": codes})
    monkeypatch.setattr(sparse, "no_better_than_means", lambda net, rows, out: True)
    history = sae.net_.history
    sae.net_.history = type(history)([{**row, "revived_codes": 1} for row in history])
    sparse.ReviveDeadCodes().on_train_end(sae.net_, X=x)
    assert bool(held_warnings(sae.net_)) is warned


@pytest.mark.parametrize("n_components", [2, 8])
def test_a_penalty_that_silenced_the_codes_is_reported(n_components):
    """Found by an independent probe: sparsity_weight=100 left the codes
    zero on 96% of the rows and reconstructions no better than the means,
    without a word (a revival in the last epochs kept a few codes live, so
    the collapse check did not fire). The default weight says nothing."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    strong = SparseAutoEncoder(
        n_components=n_components, sparsity_weight=100.0, max_epochs=10, random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="The sparsity penalty silenced the codes"):
        strong.fit(X)
    assert (strong.transform(X) > 0).mean() < 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy = SparseAutoEncoder(n_components=n_components, max_epochs=30, random_state=0)
        healthy.fit(X)
    means = np.mean((X - X.mean(axis=0)) ** 2)
    assert np.mean((strong.inverse_transform(strong.transform(X)) - X) ** 2) > 0.99 * means
    assert np.mean((healthy.inverse_transform(healthy.transform(X)) - X) ** 2) < 0.6 * means


def test_a_fit_of_few_steps_does_not_blame_the_sparsity_penalty():
    """A probe: 5 epochs on 100 rows (10 steps) said the penalty silenced
    the codes; at sparsity_weight=0 the fit was as far from learning (1.005
    of the means' error both ways): the fit was too short to judge."""
    rng = np.random.RandomState(3)
    X = rng.randn(600, 3) @ rng.randn(3, 12) + 0.1 * rng.randn(600, 12)
    X = X[rng.choice(600, 100, replace=False)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SparseAutoEncoder(max_epochs=5, random_state=3).fit(X)
    assert not [w for w in caught if "silenced the codes" in str(w.message)]


def test_silenced_codes_are_reported_for_rows_scaled_a_batch_at_a_time():
    """Mutation audit: data beyond working_memory is scaled a batch at a
    time, and the check unwrapped it to its raw rows and skipped itself: the
    same silenced model was reported in memory and not beyond it."""
    import sklearn

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    strong = SparseAutoEncoder(n_components=2, sparsity_weight=100.0, max_epochs=10, random_state=0)
    with sklearn.config_context(working_memory=1e-4):
        with pytest.warns(ConvergenceWarning, match="The sparsity penalty silenced the codes"):
            strong.fit(X)


def test_kl_codes_are_never_revived_and_their_target_is_inside_0_1():
    """Mutation audit: the revival of dead codes is for ReLU codes (a
    sigmoid code is never exactly 0), and a KL target of 0 or 1 has no
    divergence to aim at; neither was pinned."""
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.RandomState(0).normal(size=(200, 5))
    kl = SparseAutoEncoder(sparsity="kl", max_epochs=2, random_state=0).fit(X)
    assert "revived_codes" not in kl.net_.history[-1]
    relu = SparseAutoEncoder(max_epochs=2, random_state=0).fit(X)
    assert "revived_codes" in relu.net_.history[-1]
    for target in (0.0, 1.0):
        with pytest.raises(InvalidParameterError, match="sparsity_target"):
            SparseAutoEncoder(sparsity="kl", sparsity_target=target, max_epochs=1).fit(X)


def test_the_variational_score_is_a_bound_whatever_beta_trained_it():
    """Mutation audit: beta weighs the KL term in training only; the score
    is the plain ELBO, so setting beta after the fit changes nothing, and
    explain's terms add up to it. A row with no observed entry scores a
    finite number (the code term), not NaN."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    vae = VariationalAutoEncoder(beta=4.0, n_components=2, max_epochs=3, random_state=0).fit(X)
    rows = np.vstack([X[:20], np.full((1, 6), np.nan)])
    with pytest.warns(UserWarning, match="no observed"):
        scores = vae.score_samples(rows)
    assert np.isfinite(scores).all()
    with pytest.warns(UserWarning, match="no observed"):
        assert_allclose(vae.explain(rows).sum(axis=1), scores, rtol=1e-10)
    complete = vae.score_samples(X[:20])
    vae.set_params(beta=1.0)
    assert_allclose(vae.score_samples(X[:20]), complete, rtol=1e-12)
    vae.set_params(beta=0.25)
    assert_allclose(vae.score_samples(X[:20]), complete, rtol=1e-12)


def test_a_healthy_binary_model_is_not_said_to_be_silenced():
    """Found by a mutation audit: the check compared the data with the
    decoder's output, which under the binary cross-entropy is logits, and
    warned "silenced" on a model reconstructing digits at 0.4 of the means'
    error. The silenced model of the binary kind is still reported."""
    X = load_digits().data / 16.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy = SparseAutoEncoder(
            n_components=32, loss="binary_crossentropy", max_epochs=10, random_state=0
        ).fit(X)
    means = np.mean((X - X.mean(axis=0)) ** 2)
    assert np.mean((healthy.inverse_transform(healthy.transform(X)) - X) ** 2) < 0.6 * means


class _Collapse(Callback):
    """Kills the encoder's last layer at the end of training: every code is
    then its bias, the same for every row."""

    def on_train_end(self, net, **kwargs):
        module = net.module_
        last = [m for m in module.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
        with torch.no_grad():
            last.weight.zero_()


@pytest.mark.parametrize("cls", ALL_KINDS)
def test_a_network_that_collapsed_to_a_constant_is_reported(cls):
    """Codes that are the same for every training row are reported, for
    every kind; a healthy fit, and a fit of rows that are all the same, say
    nothing."""
    rng = np.random.RandomState(0)
    image = {"image_shape": (1, 4, 4)} if cls is ConvolutionalAutoEncoder else {}
    X = rng.uniform(size=(300, 16)) if image else rng.normal(size=(300, 5))
    collapse = [("collapse", _Collapse())]
    with pytest.warns(ConvergenceWarning, match="Every one of the 2 codes takes one value"):
        model = cls(max_epochs=2, callbacks=collapse, random_state=0, **image).fit(X)
    codes = model.transform(X)
    assert_array_equal(codes, np.broadcast_to(codes[0], codes.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        healthy = cls(max_epochs=5, random_state=0, **image).fit(X)
        assert (healthy.transform(X).std(axis=0) > 1e-3).all()
        cls(max_epochs=2, random_state=0, **image).fit(np.ones((100, X.shape[1])))


def test_the_checks_judge_rows_spread_over_the_table():
    """Probe finding: the checks after training judged the first 256 rows
    alone. A table sorted with 300 like rows first hid a collapse (their
    spread is 0, which skips the checks) and warned a healthy fit of
    collapsed codes (rows 1e-7 apart, on a few codes); in either order now
    the same verdict."""
    rng = np.random.RandomState(0)
    varied = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 6))
    alike = np.repeat(varied[:1], 300, axis=0)
    sorted_rows = np.vstack([alike, varied])
    shuffled = sorted_rows[rng.permutation(len(sorted_rows))]
    collapse = [("collapse", _Collapse())]
    for X in (sorted_rows, shuffled):
        with pytest.warns(ConvergenceWarning, match="Every one of the 2 codes takes one value"):
            AutoEncoder(max_epochs=2, callbacks=collapse, random_state=0).fit(X)
    near = np.vstack([alike + 1e-7 * rng.normal(size=alike.shape), varied])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for X in (near, near[rng.permutation(len(near))]):
            assert AutoEncoder(max_epochs=5, random_state=0).fit(X).n_iter_ == 5


def test_a_network_whose_reconstructions_are_not_finite_diverged():
    """Probe finding: reconstructions that training left NaN were read as
    missing entries, an error of 0: the check passed them, and the fit
    failed later, on the scores, with advice on the units rather than the
    learning rate."""
    X = np.random.RandomState(0).normal(size=(200, 5))
    model = AutoEncoder(max_epochs=1, batch_size=256, lr=1e20, random_state=0)
    match = r"not finite \(NaN or infinite\) at the end.*lr=1e\+20"
    with pytest.raises(FloatingPointError, match=match):
        model.fit(X)
    assert not hasattr(model, "net_")


class _DeadDecoder(Callback):
    """Kills the decoder's last layer at the end of training: the codes
    still vary, but every row is reconstructed as its bias."""

    def on_train_end(self, net, **kwargs):
        module = net.module_
        last = [m for m in module.decoder.modules() if isinstance(m, torch.nn.Linear)][-1]
        with torch.no_grad():
            last.weight.zero_()


@pytest.mark.parametrize("cls", [c for c in ALL_KINDS if c is not ConvolutionalAutoEncoder])
def test_a_decoder_that_collapsed_is_reported(cls):
    """A blow-up can kill the decoder alone (lr=1 on the breast-cancer table
    left live codes and one reconstruction for every row): that is reported
    too, and inverse_transform shows why."""
    X = np.random.RandomState(0).normal(size=(300, 5))
    dead = [("dead", _DeadDecoder())]
    with pytest.warns(ConvergenceWarning, match="Every training row has the same reconstruction"):
        model = cls(max_epochs=2, callbacks=dead, random_state=0).fit(X)
    assert (model.transform(X).std(axis=0) > 1e-3).all()
    X_back = model.inverse_transform(model.transform(X))
    assert_allclose(X_back, np.broadcast_to(X_back[0], X_back.shape))


def _factor_table(seed: int = 0) -> np.ndarray:
    """300 rows of 16 features from 3 factors, in their own units and offsets."""
    rng = np.random.RandomState(seed)
    weights = rng.randn(3, 16)
    X = rng.randn(300, 3) @ weights + 0.1 * rng.randn(300, 16)
    return X * rng.uniform(0.5, 5, 16) + rng.uniform(-10, 10, 16)


def test_reconstructions_flattened_by_a_penalty_are_reported():
    """Found by an independent probe: weight_decay=1 (and other penalties)
    left reconstructions that vary by a thousandth of the data's spread or
    less, no better than the means, without a word. A fit of one epoch,
    whose reconstructions vary by about a hundredth, says nothing, nor does
    a variational model (data without structure: reconstructing the means
    is its optimum)."""
    X = _factor_table()
    # The advice names the setting that flattened them (a probe: "a smaller
    # penalty" to a kind with none, and none for weight_decay's collapse).
    with pytest.warns(ConvergenceWarning, match="hardly vary.*or a smaller weight_decay\\.$"):
        flat = AutoEncoder(weight_decay=1.0, max_epochs=20, random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning, match="or a smaller weight_decay"):
        AutoEncoder(weight_decay=10.0, random_state=0).fit(X)
    back = flat.inverse_transform(flat.transform(X))
    assert (back.std(axis=0) < 1e-3 * X.std(axis=0)).all()
    # Mutation audit: a constant feature has no spread to compare with; it
    # counted as infinitely unflattened, and one such column silenced this.
    with_constant = np.column_stack([X, np.full(len(X), 7.0)])
    with pytest.warns(ConvergenceWarning, match="reconstructions of the training rows hardly vary"):
        AutoEncoder(weight_decay=1.0, max_epochs=20, random_state=0).fit(with_constant)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        AutoEncoder(max_epochs=1, random_state=0).fit(X)
        AutoEncoder(max_epochs=20, random_state=0).fit(X)
        noise = np.random.RandomState(1).normal(size=(300, 5))
        VariationalAutoEncoder(max_epochs=20, early_stopping=False, random_state=0).fit(noise)
        # A convolutional network starts flatter still (1e-4 to 7e-4 of the
        # rows' spread), and a second epoch may not yet spread it: not a
        # failure (a scan of 880 short and long fits warned here).
        iris = load_iris().data
        for cls in (AutoEncoder, DenoisingAutoEncoder):
            cls(architecture="conv", max_epochs=2, random_state=0).fit(iris)


def test_the_training_checks_judge_enough_rows_against_the_right_references():
    """Mutation audit: the checks after training were pinned only through
    whole fits, which never reached these branches. A chunk of fewer than
    MIN_ROWS_FOR_FAILURE rows is judged neither untrained nor worse than the
    means (the spread of a few rows says little); a reference is the larger
    of the error before training and the features' variance, so an error
    that grew from near 0 to a fifth of the variance has not diverged; and
    binary cross-entropy's excess is compared with that of an output that
    knows nothing as well as with its own before training."""
    from types import SimpleNamespace

    from skae._training_checks import MIN_ROWS_FOR_FAILURE, check_not_diverged, check_trained

    few, enough = torch.zeros(10, 3), torch.zeros(MIN_ROWS_FOR_FAILURE, 3)
    plain, bernoulli = SimpleNamespace(uninformed=None), SimpleNamespace(uninformed=np.log(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        check_trained(few, (1.0, 1.0, 0.0, 1.0), 1.0, 100, 1e-9)
        failed = check_not_diverged(None, plain, few, (0.1, 0.1, 0, 1), (0.5, 0.1, 0, 1), 0.1)
        assert not failed
        assert not check_not_diverged(None, plain, few, (0.01, 1, 0, 1), (0.2, 1, 0, 1), 0.01)
        check_not_diverged(None, bernoulli, few, (0.01, 1, 0.01, 1), (0.02, 1, 0.2, 1), 0.01)
    with pytest.warns(ConvergenceWarning, match="network is as it started"):
        check_trained(enough, (1.0, 1.0, 0.0, 1.0), 1.0, 100, 1e-9)
    with pytest.raises(FloatingPointError, match="diverged"):
        check_not_diverged(None, plain, few, (0.01, 0.01, 0, 1), (0.2, 0.01, 0, 1), 0.01)
    with pytest.raises(FloatingPointError, match="nats per entry"):
        check_not_diverged(None, bernoulli, few, (0.01, 1, 0.01, 1), (0.02, 1, 7.0, 1), 0.01)


def test_variance_from_log_overflows_to_inf_and_underflows_to_0():
    """Mutation audit: a log-variance beyond float64's range is an infinite
    variance (a diverged scale), not 0."""
    from skae._base import variance_from_log

    assert variance_from_log(1000.0) == np.inf
    assert variance_from_log(-1000.0) == 0.0
    assert variance_from_log(np.log(4.0)) == pytest.approx(4.0)


@pytest.mark.parametrize(
    "model, named",
    [
        (AutoEncoder(), ""),
        (AutoEncoder(weight_decay=0.1), "weight_decay"),
        (DenoisingAutoEncoder(), "noise_std"),
        (DenoisingAutoEncoder(noise="mask"), "mask_rate"),
        (DenoisingAutoEncoder(noise_std=0.0), ""),
        (SparseAutoEncoder(weight_decay=1.0), "sparsity_weight or weight_decay"),
        (ContractiveAutoEncoder(), "contraction_weight"),
        (VariationalAutoEncoder(beta=0.0), ""),
    ],
)
def test_the_training_warnings_name_what_holds_the_network_back(model, named):
    """A probe: the collapse warnings advised "a smaller penalty" to a kind
    with none, and nothing about the weight_decay that had collapsed it."""
    assert model._held_back_by() == named


def test_rows_of_a_few_distinct_values_may_have_a_few_codes():
    """Mutation audit: codes on a few points are a collapse only when the
    rows hold more distinct values than that; 200 rows of 5 patterns have 5
    codes by right, and were not to be warned of."""
    rng = np.random.RandomState(0)
    patterns = rng.normal(size=(5, 4))
    X = patterns[rng.randint(0, 5, 200)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = AutoEncoder(2, hidden_layer_sizes=(16,), max_epochs=20, random_state=0).fit(X)
    assert len(np.unique(model.transform(X).round(5), axis=0)) == 5


def test_codes_collapsed_to_a_few_points_are_reported():
    """Found by an independent probe: lr=1 with gelu left the 200 training
    rows of the convolutional kind on 6 distinct codes, a held-out row then
    scored far below a far outlier, and fit said nothing."""
    X = _factor_table()[np.random.RandomState(1).permutation(300)[100:]]
    model = ConvolutionalAutoEncoder(
        activation="gelu", lr=1.0, max_epochs=20, image_shape=(1, 4, 4), random_state=0
    )
    with pytest.warns(ConvergenceWarning, match="codes take only [2-8] distinct values"):
        model.fit(X)
    assert len(np.unique(model.transform(X), axis=0)) <= 8


def test_a_learning_rate_that_kills_every_unit_is_reported():
    """The collapse as a user meets it: at lr=0.3 every unit of the
    denoising kind dies, and its reconstructions, the features' means, are
    no worse than the means, so the check on the error alone let it pass."""
    X = np.random.RandomState(0).normal(size=(300, 5))
    X[-5:] += 8
    with pytest.warns(ConvergenceWarning, match="Every one of the 2 codes takes one value"):
        model = DenoisingAutoEncoder(lr=0.3, random_state=0).fit(X)
    assert_array_equal(model.transform(X).std(axis=0), 0.0)


def test_kl_sparsity_reaches_target_rate(split):
    X_train, X_test = split
    sae = SparseAutoEncoder(
        n_components=32,
        sparsity="kl",
        sparsity_weight=0.1,
        sparsity_target=0.05,
        max_epochs=60,
        random_state=0,
    ).fit(X_train)
    codes = sae.transform(X_test)
    assert codes.min() >= 0 and codes.max() <= 1  # sigmoid codes
    assert abs(codes.mean() - 0.05) < 0.02


def test_kl_sparsity_gives_sigmoid_codes(blobs):
    """Mutation audit: sparsity="kl" penalises a firing rate in (0, 1), so its
    codes are sigmoids, strictly inside (0, 1): none exactly 0, as ReLU codes
    (the L1 penalty's) are on many rows."""
    sae = SparseAutoEncoder(
        n_components=8, sparsity="kl", sparsity_weight=0.1, max_epochs=5, random_state=0
    ).fit(blobs)
    codes = sae.transform(blobs)
    assert np.all(codes > 0) and np.all(codes < 1)
    relu = SparseAutoEncoder(n_components=8, max_epochs=5, random_state=0).fit(blobs)
    assert np.any(relu.transform(blobs) == 0)


# --- variational --------------------------------------------------------------------------


def test_vae_likelihood_beats_pca_and_factor_analysis(split):
    X_train, X_test = split
    rng = np.random.RandomState(0)
    # Dequantise the integer pixels the same way for every model.
    X_train = X_train + rng.uniform(size=X_train.shape)
    X_test = X_test + rng.uniform(size=X_test.shape)
    vae = VariationalAutoEncoder(n_components=8, max_epochs=100, random_state=0).fit(X_train)
    vae_ll = vae.score_samples(X_test).mean()
    assert vae_ll > PCA(8).fit(X_train).score_samples(X_test).mean()
    assert vae_ll > FactorAnalysis(8, random_state=0).fit(X_train).score_samples(X_test).mean()
    # The importance-weighted bound is tighter than the ELBO.
    iwae_ll = vae.set_params(n_importance_samples=50).score_samples(X_test).mean()
    assert iwae_ll > vae_ll
    history = vae.net_.history[-1]
    assert history["train_loss"] == pytest.approx(
        history["train_reconstruction"] + history["train_kl"], rel=1e-5
    )


def test_vae_codes_posterior_and_prior_samples(blobs):
    vae = VariationalAutoEncoder(n_components=2, max_epochs=30, lr=1e-2, random_state=0)
    vae.fit(blobs)
    mean, variance = vae.posterior(blobs)
    assert_array_equal(mean, vae.transform(blobs))
    assert np.all(variance > 0)
    assert not hasattr(vae, "latent_density_")
    # sample() decodes draws from N(0, I).
    z = np.random.RandomState(5).standard_normal((4, 2))
    assert_allclose(vae.sample(4, random_state=5), vae.inverse_transform(z), rtol=1e-5)
    # Scores are deterministic, and a higher beta gives a smaller KL term.
    assert_array_equal(vae.score_samples(blobs), vae.score_samples(blobs))
    strong = VariationalAutoEncoder(
        n_components=2, max_epochs=30, lr=1e-2, beta=4.0, random_state=0
    ).fit(blobs)
    kl = vae.net_.history[-1, "train_kl"]
    assert strong.net_.history[-1, "train_kl"] / 4.0 < kl


def test_beta_zero_is_accepted():
    """Mutation audit: beta is documented in [0, inf): beta=0 (a Gaussian
    decoder with no KL term in the loss) is a valid setting, not refused."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    vae = VariationalAutoEncoder(beta=0.0, max_epochs=2, random_state=0).fit(X)
    assert np.isfinite(vae.score(X))
    history = vae.net_.history[-1]
    assert history["train_loss"] == pytest.approx(history["train_reconstruction"], rel=1e-6)


def test_the_posterior_log_variance_is_clamped():
    """Mutation audit: the posterior log-variance is clamped to [LOGVAR_MIN,
    LOGVAR_MAX] so that exp() never overflows: an encoder whose log-variance
    output is huge (as after a bad step) gives the variance exp(LOGVAR_MAX)
    (it was 5e21) and finite scores; a very negative one exp(LOGVAR_MIN)."""
    from skae._latent import LOGVAR_MAX, LOGVAR_MIN

    X = np.random.RandomState(0).normal(size=(200, 4))
    vae = VariationalAutoEncoder(n_components=2, max_epochs=5, random_state=0).fit(X)
    logvar_bias = vae.net_.module_.encoder[-1].bias[2:]
    with torch.no_grad():
        logvar_bias += 50.0
    _, variance = vae.posterior(X[:5])
    assert_allclose(variance, np.exp(LOGVAR_MAX), rtol=1e-5)
    assert np.all(np.isfinite(vae.score_samples(X[:5])))
    with torch.no_grad():
        logvar_bias -= 200.0
    _, variance = vae.posterior(X[:5])
    assert_allclose(variance, np.exp(LOGVAR_MIN), rtol=1e-5)
    # Mutation audit: the documented bounds themselves (the test above reads
    # them from the module, so moved bounds passed it).
    assert (LOGVAR_MIN, LOGVAR_MAX) == (-12.0, 8.0)


def test_the_training_code_is_drawn_with_the_posterior_standard_deviation():
    """Mutation audit: in training the code is mu + exp(logvar / 2) * eps,
    so its spread is the posterior's standard deviation (drawn with
    exp(logvar), it was twice as wide and every variational test passed);
    at inference it is mu."""
    from skae._latent import GaussianLatent

    latent = GaussianLatent().train()
    torch.manual_seed(0)
    h = torch.cat([torch.zeros(20_000, 1), torch.full((20_000, 1), np.log(4.0))], dim=1)
    z = latent(h)["z"]
    assert abs(z.std().item() - 2.0) < 0.05 and abs(z.mean().item()) < 0.05
    assert torch.equal(latent.eval()(h)["z"], torch.zeros(20_000, 1))


@pytest.mark.parametrize("n_draws", [2, 50])
def test_the_importance_weighted_bound_matches_an_independent_computation(n_draws):
    """Mutation audit: with K > 1 draws (2 too: not the ELBO's points) the bound is log mean_k
    p(x|z_k) p(z_k) / q(z_k|x), q the posterior's Gaussian with its variance (without the log-
    variance in log q, or with the variance for the standard deviation in the draws, the bound
    rose 0.2 to 0.5 nats per row, above log p(x)). Recomputed here from posterior(),
    inverse_transform and the decoder's standard deviations in the original units."""
    from skae import _variational
    from skae._reconstruction import LOG_SCALE_MAX, LOG_SCALE_MIN

    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    vae = VariationalAutoEncoder(
        n_components=2, hidden_layer_sizes=(16,), max_epochs=30, random_state=0
    ).fit(X)
    rows = X[:20]
    elbo = vae.score_samples(rows)
    bound = vae.set_params(n_importance_samples=n_draws).score_samples(rows)
    mean, variance = vae.posterior(rows)
    # The bound's fixed draws: a row's score does not depend on a generator's state.
    eps = _variational._fixed_draws(n_draws, 2)[:, 0].double().numpy()
    z = mean + np.sqrt(variance) * eps[:, None]  # (K, n, 2)
    x_hat = vae.inverse_transform(z.reshape(-1, 2)).reshape(n_draws, len(rows), -1)
    log_scale = vae.net_.criterion_.log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
    sigma = np.exp(log_scale.detach().double().numpy()) * vae.scale_
    log_w = (
        norm.logpdf(rows, x_hat, sigma).sum(axis=2)
        + norm.logpdf(z).sum(axis=2)
        - norm.logpdf(z, mean, np.sqrt(variance)).sum(axis=2)
    )
    assert_allclose(bound, logsumexp(log_w, axis=0) - np.log(n_draws), rtol=1e-4)
    if n_draws > 2:
        assert bound.mean() > elbo.mean()


def test_the_denoising_noise_has_the_documented_standard_deviation():
    """Mutation audit: Gaussian corruption adds N(0, noise_std^2) noise (the
    tests of denoising could not tell its standard deviation from its variance)."""
    X = np.random.RandomState(0).normal(size=(100, 5))
    model = DenoisingAutoEncoder(noise_std=3.0, max_epochs=1, random_state=0).fit(X)
    noisy = model.net_.corruption(torch.zeros(20000, 5))
    assert float(noisy.std()) == pytest.approx(3.0, abs=0.1)


def _binary_mixture(n_rows: int, rng: np.random.RandomState) -> np.ndarray:
    """Rows of 12 binary features from three groups: mostly the first six on,
    mostly the last six on, or fair coins (weights 0.4, 0.4, 0.2)."""
    centres = np.array([[0.9] * 6 + [0.1] * 6, [0.1] * 6 + [0.9] * 6, [0.5] * 12])
    pick = rng.choice(3, size=n_rows, p=[0.4, 0.4, 0.2])
    return (rng.uniform(size=(n_rows, 12)) < centres[pick]).astype(float)


def test_the_importance_weighted_bound_stays_near_the_exact_log_likelihood():
    """Found by an independent probe: the K draws shared by every row were
    independent normal draws, and one far draw (the 200th) lifted the mean
    bound 0.11 nats above the exact log-likelihood of a 2-code model, 0.05
    at K = 199 and 201. With 2 codes the exact value is a sum over a grid of
    codes; the bound of the even (Sobol) draws stays near it and smooth in K."""
    rng = np.random.RandomState(0)
    X, rows = _binary_mixture(300, rng), _binary_mixture(100, rng)
    vae = VariationalAutoEncoder(
        n_components=2,
        loss="binary_crossentropy",
        max_epochs=60,
        early_stopping=False,
        random_state=1,
    ).fit(X)
    grid = np.linspace(-7, 7, 300)
    z = np.stack(np.meshgrid(grid, grid), axis=-1).reshape(-1, 2)
    p = np.clip(vae.inverse_transform(z), 1e-12, 1 - 1e-12)
    log_prior = norm.logpdf(z).sum(axis=1) + 2 * np.log(grid[1] - grid[0])
    exact = logsumexp(rows @ np.log(p).T + (1 - rows) @ np.log(1 - p).T + log_prior, axis=1)
    bounds = {
        k: vae.set_params(n_importance_samples=k).score_samples(rows).mean()
        for k in (50, 199, 200, 201, 1000)
    }
    for k, bound in bounds.items():
        assert abs(bound - exact.mean()) < 0.03, (k, bound - exact.mean())
    assert max(bounds[199], bounds[200], bounds[201]) - min(bounds.values()) < 0.03
    assert abs(bounds[200] - bounds[199]) < 0.005


def test_early_stopping_waits_while_the_variational_codes_are_unused():
    """Found by independent probes: the variational kind's default early
    stopping ended in the plateau its training starts in, posterior on the
    prior and codes unused, and kept a model no better than a fair coin per
    feature (one code, this table: stopped after 11 epochs, first kept; a
    table of three copied bits: 2 of 4 seeds, silently, at a later epoch of
    the plateau). Epochs whose KL term is below UNUSED_CODES_KL do not count
    towards patience now: the fits leave the plateau and learn."""
    rng = np.random.RandomState(0)
    X = _binary_mixture(600, rng)
    coins = 12 * np.log(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        one = VariationalAutoEncoder(n_components=1, loss="binary_crossentropy", random_state=0)
        one.fit(X)
    assert one.score(X) > coins + 1
    history = one.net_.history
    assert one.n_iter_ > 11 and min(history[:11, "train_kl"]) < UNUSED_CODES_KL
    bits = (np.random.RandomState(0).uniform(size=(500, 10)) > 0.5).astype(float)
    bits[:, 1], bits[:, 2] = bits[:, 0], 1 - bits[:, 0]
    for seed in (0, 3):
        vae = VariationalAutoEncoder(
            n_components=2, loss="binary_crossentropy", random_state=seed
        ).fit(bits)
        assert vae.score(bits) > 10 * np.log(0.5) + 0.5
    # Without the KL term nothing holds the codes on the prior: no plateau.
    assert VariationalAutoEncoder(beta=0.0)._early_stopping_plateau() is None
    # The logged KL term is weighted by beta, and so is its level (a mutation
    # audit: at beta=4 an epoch of 0.03 nats a row, codes unused, counted).
    for beta in (0.5, 4.0):
        plateau = VariationalAutoEncoder(beta=beta)._early_stopping_plateau()
        assert plateau == ("train_kl", pytest.approx(beta * UNUSED_CODES_KL))


def test_early_stopping_that_keeps_the_first_epoch_warns():
    """Found by an independent probe: a fit whose held-out loss never
    improved on its first epoch kept that epoch's model and said nothing. It
    warns now; a fit whose best epoch is a later one does not."""
    rng = np.random.RandomState(0)
    X = _binary_mixture(600, rng)
    coins = 12 * np.log(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        trained = VariationalAutoEncoder(
            n_components=2, loss="binary_crossentropy", random_state=0
        ).fit(X)
    assert trained.score(X) > coins + 1
    # Too short to stop: 2 epochs whose second did not improve say nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        VariationalAutoEncoder(
            n_components=1, loss="binary_crossentropy", max_epochs=2, random_state=0
        ).fit(X)
    # Probe finding: 10 epochs that never improved, with a patience of 10,
    # ended at max_epochs without stopping, and said nothing.
    with pytest.warns(
        ConvergenceWarning, match="kept the model of the first of 10 epochs"
    ) as record:
        VariationalAutoEncoder(
            n_components=1, loss="binary_crossentropy", max_epochs=10, random_state=0
        ).fit(X)
    # Mutation audit: the warning points at the caller's line, not skorch's.
    assert record[0].filename == __file__
    # ... and starts at MIN_EPOCHS_TO_WARN (5) epochs: 4 say nothing.
    with pytest.warns(ConvergenceWarning, match="kept the model of the first of 5 epochs"):
        VariationalAutoEncoder(
            n_components=1, loss="binary_crossentropy", max_epochs=5, random_state=0
        ).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        VariationalAutoEncoder(
            n_components=1, loss="binary_crossentropy", max_epochs=4, random_state=0
        ).fit(X)


def test_score_does_not_charge_the_units_of_missing_columns():
    """Mutation audit: score() is the density of the observed entries in the
    original units, so the change of units (log scale_) counts for the
    observed columns only: rows whose large-unit columns are missing score
    the same whatever those columns' units (charging them cost 3 log 1000 =
    20.7 nats), while complete rows pay for the units. Whatever a missing
    entry is filled with, the two models see the same standardised data."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(300, 6))
    units = np.array([1.0, 1.0, 1.0, 1000.0, 1000.0, 1000.0])
    same = dict(
        n_components=2, hidden_layer_sizes=(16,), max_epochs=10, scaling="feature", random_state=0
    )
    small = VariationalAutoEncoder(**same).fit(X)
    large = VariationalAutoEncoder(**same).fit(X * units)
    rows = X[:50].copy()
    rows[:, 3:] = np.nan
    assert_allclose(large.score(rows * units), small.score(rows), atol=1e-3)
    assert_allclose(
        large.score(X[:50] * units), small.score(X[:50]) - 3 * np.log(1000.0), atol=1e-3
    )


# --- contractive ---------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [(6,), (6, 5)], ids=["one-layer", "two-layer"])
def test_contraction_matches_autograd_jacobian(hidden):
    cae = ContractiveAutoEncoder(n_components=3, hidden_layer_sizes=hidden, activation="tanh")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = cae._make_module(4).double()
        x = torch.randn(7, 4, dtype=torch.float64)
    ours = jacobian_frobenius_sq(module.encode, x, exact=True)
    expected = torch.stack(
        [torch.autograd.functional.jacobian(module.encode, row[None]).square().sum() for row in x]
    )
    assert_allclose(ours.detach().numpy(), expected.numpy(), rtol=1e-5, atol=1e-8)
    # The stochastic estimate is unbiased: its mean over many draws converges.
    draws = torch.stack(
        [jacobian_frobenius_sq(module.encode, x, exact=False).detach() for _ in range(4000)]
    )
    assert_allclose(draws.mean(0).numpy(), expected.numpy(), rtol=0.1)


def test_contraction_reuses_the_training_forward_pass():
    # In training the net lets the forward pass record the input's gradient, and
    # the penalty differentiates those codes: the same value as running the
    # encoder again, with one encoder pass fewer.
    cae = ContractiveAutoEncoder(n_components=3, hidden_layer_sizes=(6, 5), activation="tanh")
    penalty = cae._make_penalties()["contraction"]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = cae._make_module(4).double()
        x = torch.randn(7, 4, dtype=torch.float64)
    x_grad = x.clone().requires_grad_(True)
    reused = penalty(module, x_grad, module(x_grad))
    rerun = penalty(module, x, module(x))
    assert reused.requires_grad and rerun.requires_grad
    assert_allclose(reused.item(), rerun.item(), rtol=1e-12)
    assert reused.item() > 0


def test_the_exact_jacobian_is_exact_with_many_codes():
    """Mutation audit: jacobian="exact" takes the exact Frobenius norm whatever
    n_components ("auto" does up to 16 codes only); with 20 codes the penalty
    was the stochastic estimate, off by 80% and changing with torch's seed."""
    cae = ContractiveAutoEncoder(
        n_components=20, hidden_layer_sizes=(8,), activation="tanh", jacobian="exact"
    )
    penalty = cae._make_penalties()["contraction"]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = cae._make_module(6).double()
        x = torch.randn(5, 6, dtype=torch.float64)
    expected = torch.stack(
        [torch.autograd.functional.jacobian(module.encode, row[None]).square().sum() for row in x]
    ).mean()
    for seed in (0, 1):
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            value = penalty(module, x, module(x)).item()
        assert_allclose(value, cae.contraction_weight * expected.item(), rtol=1e-10)


@pytest.mark.parametrize("n_components, same_as", [(16, "exact"), (17, "stochastic")])
def test_auto_jacobian_is_exact_up_to_sixteen_codes(n_components, same_as):
    """Mutation audit: jacobian="auto" trains as "exact" with 16 codes and
    as "stochastic" from 17 on (the boundary moved by one went unseen)."""
    X = np.random.RandomState(0).normal(size=(64, 20))
    params = dict(n_components=n_components, max_epochs=2, random_state=0)
    losses = {
        jacobian: ContractiveAutoEncoder(jacobian=jacobian, **params)
        .fit(X)
        .net_.history[:, "train_loss"]
        for jacobian in ("auto", "exact", "stochastic")
    }
    other = "stochastic" if same_as == "exact" else "exact"
    assert losses["auto"] == losses[same_as]
    assert losses["auto"] != losses[other]


@pytest.mark.parametrize("params", [{"noise": "mask", "mask_rate": 1.0}, {"noise_std": -0.1}])
def test_a_denoising_corruption_that_leaves_nothing_is_refused(params):
    """Mutation audit: masking every entry (mask_rate=1) leaves nothing to
    learn from, and a negative noise level is no level: both are refused by
    the parameters' ranges."""
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.RandomState(0).normal(size=(32, 4))
    with pytest.raises(InvalidParameterError, match=next(iter(params.keys() - {"noise"}))):
        DenoisingAutoEncoder(max_epochs=1, **params).fit(X)


def test_an_unknown_jacobian_is_refused():
    """Mutation audit: without its constraint, a misspelt jacobian trained
    silently with the stochastic estimate."""
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.RandomState(0).normal(size=(32, 4))
    with pytest.raises(InvalidParameterError, match="jacobian"):
        ContractiveAutoEncoder(jacobian="exakt", max_epochs=1).fit(X)


def test_contractive_codes_are_less_sensitive(split):
    X_train, X_test = split
    same = dict(n_components=8, max_epochs=60, random_state=0)
    models = [AutoEncoder(**same).fit(X_train), ContractiveAutoEncoder(**same).fit(X_train)]
    sensitivity = []
    for model in models:
        x = model._scaled_tensor(X_test, model.device_)
        norm = jacobian_frobenius_sq(model.net_.module_.encode, x, exact=True).mean().item()
        # Per unit of code variance, so shrinking the codes does not count.
        sensitivity.append(norm / model.transform(X_test).var(axis=0).sum())
    assert sensitivity[1] < 0.8 * sensitivity[0]


# --- convolutional ------------------------------------------------------------------------


def test_convolutional_beats_dense_with_fewer_parameters(split):
    X_train, X_test = split
    same = dict(n_components=8, max_epochs=100, random_state=0)
    conv = ConvolutionalAutoEncoder(image_shape=(1, 8, 8), **same).fit(X_train)
    # A dense network of the conv's order of size (13,064 weights; "auto"
    # gives 8 codes of 64 features a (256, 128) one, 101,192 weights).
    small = dict(hidden_layer_sizes=(64, 32), **same)
    for dense in (
        AutoEncoder(**small).fit(X_train),
        AutoEncoder(scaling="global", **small).fit(X_train),
    ):
        assert _n_parameters(conv) < _n_parameters(dense)
        assert _mse(conv, X_test, X_test) < _mse(dense, X_test, X_test)


@pytest.mark.parametrize("image_shape", [(1, 28, 28), (1, 7, 9), (3, 5, 5), (2, 1, 6)])
def test_convolutional_handles_any_image_size(image_shape):
    rng = np.random.RandomState(0)
    images = rng.rand(20, *image_shape)
    conv = ConvolutionalAutoEncoder(
        n_components=3,
        hidden_layer_sizes=(4, 8),
        max_epochs=2,
        random_state=0,
        image_shape=image_shape,
    )
    codes = conv.fit(images.reshape(20, -1)).transform(images.reshape(20, -1))
    assert codes.shape == (20, 3)
    # Each convolution of the encoder is followed by the activation (a
    # mutation audit: without them the encoder was affine, and passed).
    layers = list(conv.net_.module_.encoder)
    convolutions = [i for i, layer in enumerate(layers) if isinstance(layer, torch.nn.Conv2d)]
    assert len(convolutions) == 2
    assert all(isinstance(layers[i + 1], torch.nn.ReLU) for i in convolutions)
    # Rows are read as (C, H, W), and the decoder's output is linear: its last
    # layer before the flattening is a transposed convolution, no activation.
    # Every layer with weights has a bias.
    assert layers[0].unflattened_size == image_shape
    decoder = list(conv.net_.module_.decoder)
    assert isinstance(decoder[-1], torch.nn.Flatten)
    assert isinstance(decoder[-2], torch.nn.ConvTranspose2d)
    weighted = [m for m in conv.net_.module_.modules() if hasattr(m, "weight")]
    assert weighted and all(m.bias is not None for m in weighted)
    # 4-D input works as well, and gives the same codes.
    assert_array_equal(conv.transform(images), codes)
    assert conv.inverse_transform(codes).shape == (20, int(np.prod(image_shape)))
    assert conv.sample(2, random_state=0).shape == (2, int(np.prod(image_shape)))


def test_a_convolutional_row_scores_alike_alone_and_in_a_batch():
    """Mutation audit: the convolutions count as row-wise layers, so a batch of
    one row is padded as a dense network's is, and a row's codes and score do
    not depend on the rows beside it (unpadded, they moved by 1e-7)."""
    X = np.random.RandomState(0).rand(64, 1, 28, 28)
    model = ConvolutionalAutoEncoder(n_components=8, max_epochs=1, random_state=0).fit(X)
    codes, scores = model.transform(X), model.score_samples(X)
    for i in range(0, 64, 13):
        assert_array_equal(model.transform(X[i : i + 1]), codes[i : i + 1])
        assert_allclose(model.score_samples(X[i : i + 1]), scores[i : i + 1], rtol=1e-12)


def test_the_convolutional_kinds_auto_sizes_follow_the_architecture():
    """Probe finding: the class's default hidden_layer_sizes=(16, 32) were
    channels, and with architecture="dense" became two dense layers of 16 and
    32 units on any input width. "auto" gives channels to the convolutions and
    the dense rule to dense layers."""
    rng = np.random.RandomState(0)
    X = rng.rand(60, 64)
    conv = ConvolutionalAutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(X)
    channels = [
        m.out_channels for m in conv.net_.module_.modules() if isinstance(m, torch.nn.Conv2d)
    ]
    assert channels == [16, 32]
    same = ConvolutionalAutoEncoder(
        n_components=2, hidden_layer_sizes=(16, 32), max_epochs=1, random_state=0
    ).fit(X)
    assert_array_equal(same.transform(X), conv.transform(X))

    dense = ConvolutionalAutoEncoder(n_components=2, architecture="dense", max_epochs=1)
    plain = AutoEncoder(n_components=2, max_epochs=1)

    def widths(model):
        layers = model.set_params(random_state=0).fit(X).net_.module_.modules()
        return [m.out_features for m in layers if isinstance(m, torch.nn.Linear)]

    assert widths(dense) == widths(plain)
    assert widths(dense)[:2] == [64, 32]


def test_convolutional_without_channels_reconstructs_linearly():
    """With no convolutions the decoder's output layer is its linear one: a
    ReLU after it held every scaled reconstruction at or above the mean."""
    X = np.random.RandomState(0).normal(size=(300, 16))
    conv = ConvolutionalAutoEncoder(
        n_components=15, hidden_layer_sizes=(), image_shape=(1, 4, 4), max_epochs=30, lr=1e-2
    )
    conv.set_params(random_state=0).fit(X)
    scaled = (conv.inverse_transform(conv.transform(X)) - conv.mean_) / conv.scale_
    assert (scaled < 0).mean() > 0.4
    assert np.mean((scaled - (X - conv.mean_) / conv.scale_) ** 2) < 0.2


def test_a_dense_refit_of_a_conv_fit_drops_its_image_shape():
    """A probe: image_shape_ (set with architecture="conv" only) outlived a
    dense refit on 10 features as (1, 8, 8)."""
    rng = np.random.RandomState(0)
    model = SparseAutoEncoder(architecture="conv", max_epochs=1, random_state=0)
    model.fit(rng.rand(100, 64))
    assert model.image_shape_ == (1, 8, 8)
    model.set_params(architecture="dense").fit(rng.rand(100, 10))
    assert not hasattr(model, "image_shape_")
    # Its "auto" widths are a dense network's, not the convolutions' channels
    # (a mutation audit: read from the last fit's architecture, they were).
    fresh = SparseAutoEncoder(architecture="dense", max_epochs=1, random_state=0)
    assert model.hidden_layer_sizes_ == fresh.fit(rng.rand(100, 10)).hidden_layer_sizes_
    # A refit refused keeps the fitted model whole, its image shape too.
    model.set_params(architecture="conv").fit(rng.rand(100, 64))
    with pytest.raises(ValueError):
        model.set_params(architecture="dense").fit(rng.rand(100, 10, 1))
    assert model.image_shape_ == (1, 8, 8)


def test_convolutional_rejects_wrong_image_shape():
    X = np.random.RandomState(0).rand(10, 64)
    with pytest.raises(ValueError, match="image_shape=.* does not match X"):
        ConvolutionalAutoEncoder(image_shape=(1, 7, 7), max_epochs=1).fit(X)
    # A product past int64 is compared exactly: numpy's wraps to 64 here
    # ((2**62 + 1) * 64 mod 2**64), which torch then failed to allocate.
    with pytest.raises(ValueError, match="image_shape=.* does not match X"):
        ConvolutionalAutoEncoder(image_shape=(1, 2**62 + 1, 64), max_epochs=1).fit(X)
    conv = ConvolutionalAutoEncoder(max_epochs=1, random_state=0).fit(X)
    assert conv.image_shape_ == (1, 8, 8)
    with pytest.raises(ValueError, match="images of shape"):
        conv.transform(X.reshape(10, 1, 4, 16))


def test_empty_images_are_refused_naming_the_shape_passed():
    """Not the flattened (0, 64) that scikit-learn's check would see."""
    conv = ConvolutionalAutoEncoder(max_epochs=1)
    with pytest.raises(ValueError, match=r"0 sample\(s\) \(shape=\(0, 1, 8, 8\)\)"):
        conv.fit(np.empty((0, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(5, 1, 0, 8\)\)"):
        conv.fit(np.empty((5, 1, 0, 8)))
    conv.fit(np.random.RandomState(0).rand(20, 1, 8, 8))
    with pytest.raises(ValueError, match=r"shape=\(0, 1, 8, 8\)"):
        conv.transform(np.empty((0, 1, 8, 8)))


@pytest.mark.parametrize("kind", [ConvolutionalAutoEncoder, AutoEncoder], ids=lambda k: k.__name__)
def test_a_four_dimensional_array_gives_its_own_image_shape(kind):
    images = np.random.RandomState(0).rand(30, 3, 5, 7)
    params = {"n_components": 2, "hidden_layer_sizes": (4, 8), "max_epochs": 2, "random_state": 0}
    if kind is AutoEncoder:
        params["architecture"] = "conv"
    model = kind(**params).fit(images)
    # Not guessed from the 105 features (a 1 x 1 x 105 signal): the array's (C, H, W).
    assert model.image_shape_ == (3, 5, 7)
    given = kind(**params, image_shape=(3, 5, 7)).fit(images.reshape(30, -1))
    assert_array_equal(model.transform(images), given.transform(images))
    assert model.score_samples(images).shape == (30,)
    # A fresh fit checks new images against the parameter, not the last fit's shape.
    model.set_params(image_shape=None).fit(images[:, :1, :4, :4])
    assert model.image_shape_ == (1, 4, 4)
    model.set_params(image_shape=(1, 15, 7)).fit(images.reshape(30, 1, 15, 7))
    assert model.image_shape_ == (1, 15, 7)
    with pytest.raises(ValueError, match="0 sample"):
        model.transform(images[:0].reshape(0, 1, 15, 7))


def test_the_input_checks_follow_the_fitted_architecture():
    """Probe finding: after set_params(architecture=...), predict-time checks
    read the new value: a conv model refused its own 4-D images, and a dense
    model took 4-D arrays, flattened, into its dense network."""
    images = np.random.RandomState(0).rand(30, 1, 4, 4)
    rows = images.reshape(30, 16)
    conv = ConvolutionalAutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(images)
    codes = conv.transform(images)
    conv.set_params(architecture="dense")
    assert_array_equal(conv.transform(images), codes)
    assert_array_equal(conv.transform(rows), codes)
    dense = AutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(rows)
    dense.set_params(architecture="conv")
    with pytest.raises(ValueError, match="dim 4"):
        dense.transform(images)


def test_warm_start_refuses_a_changed_image_shape():
    X = np.random.RandomState(0).rand(30, 105)
    conv = ConvolutionalAutoEncoder(
        n_components=2, max_epochs=1, image_shape=(3, 5, 7), warm_start=True, random_state=0
    ).fit(X)
    with pytest.raises(ValueError, match=r"warm_start.*image_shape \(3, 5, 7\) -> \(1, 15, 7\)"):
        conv.set_params(image_shape=(1, 15, 7)).fit(X)
    assert conv.image_shape_ == (3, 5, 7)
    # None reads rows as a 1-D signal, (1, 1, 105), not the fitted shape (a
    # mutation audit: continued silently with (3, 5, 7)).
    with pytest.raises(ValueError, match=r"warm_start.*image_shape \(3, 5, 7\) -> None"):
        conv.set_params(image_shape=None).fit(X)
    fresh = ConvolutionalAutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(X)
    assert fresh.image_shape_ == (1, 1, 105)


@pytest.mark.parametrize(
    "kind", [VariationalAutoEncoder, DenoisingAutoEncoder], ids=lambda k: k.__name__
)
def test_any_objective_on_the_convolutional_architecture(split, kind):
    X_train, X_test = split
    model = kind(
        n_components=8,
        architecture="conv",
        hidden_layer_sizes=(16, 32),
        scaling="global",
        max_epochs=30,
        random_state=0,
    ).fit(X_train)
    layers = [type(m) for m in model.net_.module_.modules()]
    assert torch.nn.Conv2d in layers and torch.nn.ConvTranspose2d in layers
    losses = model.net_.history[:, "train_loss"]
    assert losses[-1] < losses[0] - 0.3 * abs(losses[0])
    mean_mse = float(np.mean((X_test - X_train.mean(axis=0)) ** 2))
    assert _mse(model, X_test, X_test) < 0.6 * mean_mse


def test_vae_bernoulli_likelihood_for_unit_interval_data(split):
    X_train, X_test = split
    vae = VariationalAutoEncoder(
        n_components=4, loss="binary_crossentropy", max_epochs=20, random_state=0
    ).fit(X_train / 16)
    assert type(vae.net_.criterion_).__name__ == "BernoulliNLL"
    scores = vae.score_samples(X_test / 16)
    assert np.all(np.isfinite(scores))
    # Digits are likelier than uniform noise in [0, 1] of the same shape.
    noise = np.random.RandomState(0).uniform(size=X_test.shape)
    assert np.median(scores) > np.max(vae.score_samples(noise))
    drawn = vae.sample(5, random_state=0)
    assert drawn.min() >= 0 and drawn.max() <= 1
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\]"):
        VariationalAutoEncoder(loss="binary_crossentropy").fit(X_train)


def test_the_elbo_has_no_error_common_to_every_row(monkeypatch):
    # Fixed draws shared by the rows: 8 standard normal ones put the mean
    # bound 0.18 nats above its expectation here. The cubature points have the
    # moments of N(0, I) exactly, and agree with a 4,000-draw average.
    from skae import _variational

    for k in (1, 2, 3, 4, 5, 24):
        eps = _variational._elbo_draws(k).double()[:, 0]
        # As many decodes as 8 draws cost (12 for 3 codes), whatever k.
        assert _variational.ELBO_DRAWS <= len(eps) <= 12
        assert_allclose(eps.mean(dim=0), 0, atol=1e-6)
        assert_allclose(eps.square().sum(dim=1).mean(), k, rtol=1e-6)
        if k <= 4:  # the cubature points: the covariance of N(0, I) exactly
            assert_allclose(eps.T @ eps / len(eps), np.eye(k), atol=1e-5)
        # score's: the cubature points on every axis, whatever k.
        every = _variational._elbo_draws(k, every_axis=True).double()[:, 0]
        assert len(every) == max(_variational.ELBO_DRAWS, 2 * k, 12 if k == 3 else 0)
        assert_allclose(every.mean(dim=0), 0, atol=1e-6)
        assert_allclose(every.T @ every / len(every), np.eye(k), atol=1e-5)
    rng = np.random.RandomState(0)
    t = rng.uniform(0, 2 * np.pi, 500)
    X = np.c_[np.cos(t), np.sin(t), np.cos(2 * t), 0.3 * t] + 0.05 * rng.normal(size=(500, 4))
    vae = VariationalAutoEncoder(
        n_components=2, hidden_layer_sizes=(32, 16), max_epochs=40, random_state=0
    ).fit(X)
    bound = vae.score_samples(X)
    many = torch.randn(4000, 1, 2, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(_variational, "_elbo_draws", lambda *args: many)
    monte_carlo = vae.score_samples(X)
    assert abs(bound.mean() - monte_carlo.mean()) < 0.05


@pytest.mark.parametrize("value", [0, -1, 2.5, 10**9])
def test_n_importance_samples_set_after_the_fit_is_checked_when_scoring(value):
    """It is read at each scoring: 0, -1 or 2.5 set after the fit reached
    torch ("stack expects a non-empty TensorList", ...), and 10**9 its
    allocator (a probe finding), with errors that did not name it."""
    from sklearn.utils._param_validation import InvalidParameterError

    X = np.random.RandomState(0).normal(size=(100, 4))
    vae = VariationalAutoEncoder(max_epochs=2, random_state=0).fit(X)
    vae.set_params(n_importance_samples=value)
    for method in (vae.score_samples, vae.score, vae.explain):
        with pytest.raises(InvalidParameterError, match="n_importance_samples"):
            method(X)
    with pytest.raises(InvalidParameterError, match=r"range \[1, 1000000\]"):
        VariationalAutoEncoder(n_importance_samples=value).fit(X)


def test_importance_weighted_scores_take_fewer_rows_at_a_time(monkeypatch):
    """K draws per row: as many rows per batch as the ELBO's 8 draws hold, so
    scoring memory does not grow with K (1.3 GB at K=300 for 4,096 rows of
    32 codes); the scores do not depend on the batches."""
    from skae import _base

    X = np.random.RandomState(0).normal(size=(300, 6))
    vae = VariationalAutoEncoder(max_epochs=2, random_state=0).fit(X)
    monkeypatch.setattr(_base, "INFERENCE_BATCH_SIZE", 64)
    assert vae._scoring_rows(vae._inference_rows()) == 64
    vae.set_params(n_importance_samples=32)
    assert vae._inference_rows() == 64 and vae._scoring_rows(64) == 16
    batched = vae.score_samples(X)
    monkeypatch.setattr(_base, "INFERENCE_BATCH_SIZE", 4096)
    assert_allclose(vae.score_samples(X), batched, rtol=1e-5)


def test_importance_draws_do_not_shrink_the_batches_of_one_code_per_row(monkeypatch):
    """transform, posterior, inverse_transform and sample take one code per
    row: at K=10**6 they ran one row per batch (1.1 s to transform 6,000 rows
    instead of 0.003 s; a probe) and refused an invalid K they do not use."""
    from skae import _base

    X = np.random.RandomState(0).normal(size=(300, 6))
    vae = VariationalAutoEncoder(max_epochs=2, random_state=0).fit(X)
    monkeypatch.setattr(_base, "INFERENCE_BATCH_SIZE", 64)
    codes, decoded = vae.transform(X), vae.inverse_transform(vae.transform(X))
    shrunk = []
    monkeypatch.setattr(vae, "_scoring_rows", lambda rows: shrunk.append(rows) or 1)
    for value in (10**6, 0):  # 0: invalid, and unused here
        vae.set_params(n_importance_samples=value)
        assert_allclose(vae.transform(X), codes)
        assert_allclose(vae.inverse_transform(codes), decoded)
        assert vae.posterior(X)[0].shape == codes.shape
        assert vae.sample(5, random_state=0).shape == (5, 6)
        assert shrunk == []
    vae.set_params(n_importance_samples=32).score_samples(X)
    assert shrunk == [64]


def test_partial_fit_checks_the_kl_term_at_the_beta_set_since():
    """The check that the KL term won is the kind's callback, built from
    beta: partial_fit after set_params(beta=...) ran the check of the first
    fit's beta (a warning naming beta=50 at beta=0, none at a new beta=50)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(300, 6))
    params = dict(n_components=2, max_epochs=10, early_stopping=False, random_state=0)
    with pytest.warns(UserWarning, match="beta=50"):
        vae = VariationalAutoEncoder(beta=50.0, **params).fit(X)
    vae.set_params(beta=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vae.partial_fit(X)
    assert "kl_won_check" not in dict(vae.net_.callbacks_)
    vae = VariationalAutoEncoder(beta=1.0, **params).fit(X)
    vae.set_params(beta=50.0)
    assert "kl_won_check" not in dict(vae.net_.callbacks_)
    with pytest.warns(UserWarning, match="beta=50"):
        for _ in range(10):
            vae.partial_fit(X)


def test_many_importance_draws_are_decoded_in_groups(monkeypatch):
    """K draws score K / 8 times fewer rows per batch; decoded one draw at a
    time, every call had a handful of rows and the time grew as K squared
    (200 rows: 61 s at K=5,000). Groups of K / 8 draws decode about one
    batch's rows per call; the scores and the explanation stay the same."""
    from skae import _variational

    X = np.random.RandomState(0).normal(size=(64, 5))
    vae = VariationalAutoEncoder(max_epochs=2, random_state=0).fit(X)
    vae.set_params(n_importance_samples=512)  # 64 rows per batch: one batch
    module = vae.net_.module_
    calls = []
    decode = module.decode
    monkeypatch.setattr(module, "decode", lambda z: calls.append(len(z)) or decode(z))
    scores = vae.score_samples(X)
    assert len(calls) == 8 and set(calls) == {64 * 64}  # one per 64 draws, not 512
    terms = vae.explain(X)
    assert_allclose(terms.sum(axis=1), scores, rtol=1e-12, atol=1e-9)
    monkeypatch.setattr(_variational, "ELBO_DRAWS", 512)  # one draw per call
    calls.clear()
    assert_allclose(vae.score_samples(X), scores, rtol=1e-6)
    assert len(calls) == 512 and set(calls) == {64}


def test_the_score_of_many_codes_has_no_error_common_to_every_row(monkeypatch):
    """With more than 4 codes, score_samples' 8 points cover 4 directions: an
    error common to the rows (up to 1.19 nats on digits), which reordered
    models by score. score takes the cubature points of every axis."""
    from skae import _variational

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 3)) @ rng.normal(size=(3, 12))
    X = np.tanh(X) + 0.05 * rng.normal(size=X.shape)
    vae = VariationalAutoEncoder(
        n_components=8, hidden_layer_sizes=(32, 16), max_epochs=30, random_state=0
    ).fit(X)
    score = vae.score(X)
    many = torch.randn(20000, 1, 8, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(_variational, "_elbo_draws", lambda *args: many - many.mean(dim=0))
    monte_carlo = vae.score(X)
    assert abs(score - monte_carlo) < 0.05
    # Which draws each asks for (mutation audit: this data's gap is too small
    # to tell them by value): score every axis, score_samples the 8 points.
    asked = []
    monkeypatch.setattr(
        _variational,
        "_elbo_draws",
        lambda k, every_axis=False: asked.append(every_axis) or many - many.mean(dim=0),
    )
    vae.score(X)
    assert asked and all(asked)
    asked.clear()
    vae.score_samples(X)
    assert asked and not any(asked)


def test_a_constant_feature_cannot_drive_the_vae_likelihood_past_the_log_scale_floor():
    """Mutation audit: the decoder's log standard deviation is clamped at -5: a
    constant feature is worth at most 5 - log(2 pi) / 2 nats, however far down
    training drives its parameter."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 6))
    X[:, 0] = 3.0
    vae = VariationalAutoEncoder(
        n_components=2,
        hidden_layer_sizes=(16,),
        max_epochs=20,
        lr=0.05,
        batch_size=16,
        # All 20 epochs: the held-out loss would stop training before the bound.
        early_stopping=False,
        random_state=0,
    ).fit(X)
    criterion = vae.net_.criterion_
    # Training takes the constant feature's log-scale to the bound, and it stays there.
    assert criterion.log_scale[0].item() <= -5.0
    floor = criterion.floor(torch.zeros(3, 6)).detach().numpy()
    assert_allclose(floor[:, 0], -5.0 + 0.5 * np.log(2 * np.pi), rtol=1e-6)
    assert np.all(floor[:, 1:] > -5.0 + 0.5 * np.log(2 * np.pi))
    # Below the bound the parameter changes nothing: the score stays bounded.
    scores = vae.score_samples(X[:20])
    with torch.no_grad():
        criterion.log_scale[0] = -20.0
    assert_array_equal(vae.score_samples(X[:20]), scores)
    assert np.all(np.isfinite(scores))


@pytest.mark.parametrize("lr", [1e-3, 1e-5])
def test_a_decoder_dead_from_a_one_unit_layer_is_reported_with_the_width_to_change(lr):
    """A probe: a hidden layer of one ReLU unit, dead from its
    initialisation, collapses the decoder at every learning rate, and the
    warning's only advice was a lower one (than 1e-7, at 1e-7)."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 2) @ rng.randn(2, 8) + 0.1 * rng.randn(200, 8)
    model = AutoEncoder(n_components=2, hidden_layer_sizes=(1,), lr=lr, max_epochs=3)
    with pytest.warns(ConvergenceWarning, match="decoder collapsed.*wider hidden_layer_sizes"):
        model.set_params(random_state=0).fit(X)
    back = model.inverse_transform(model.transform(X))
    assert_allclose(back, np.broadcast_to(back[0], back.shape))


def test_flatness_is_the_largest_spread_of_any_feature():
    """Mutation audit: reconstructions are flat when flat in every feature;
    the smallest ratio called a model flat that reconstructed two features
    and left a third (noise, say) at its mean, and its fit warned."""
    from skae._training_checks import flatness

    rows = torch.randn(200, 3, generator=torch.Generator().manual_seed(0))
    x_hat = rows.clone()
    x_hat[:, 2] = 0.0
    assert flatness(rows, x_hat) == pytest.approx(1.0)
    assert flatness(rows, torch.zeros_like(rows)) == 0.0


def test_a_collapsed_variational_posterior_is_judged_by_its_means():
    """Mutation audit: the collapse check runs the network as transform does
    (evaluation mode, the posterior means); in training mode a variational
    encoder whose means all collapsed to one point drew codes that vary, and
    the collapse went unreported."""
    from skae._training_checks import collapsed_codes

    X = np.random.RandomState(0).normal(size=(200, 5)).astype(np.float32)
    vae = VariationalAutoEncoder(n_components=2, max_epochs=1, random_state=0).fit(X)
    module = vae.net_.module_
    last = [m for m in module.encoder.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    module.train()
    assert collapsed_codes(module, torch.as_tensor(X))[0] == 2
    assert module.training
