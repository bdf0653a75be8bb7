"""Training through Hugging Face Accelerate (``accelerator=``)."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose, assert_array_equal

from skae import AutoEncoder, ContractiveAutoEncoder, VariationalAutoEncoder, load
from skae._architectures import AutoEncoderModule

accelerate = pytest.importorskip("accelerate")
pytestmark = pytest.mark.usefixtures("fresh_accelerator_state")

WORKER = Path(__file__).with_name("_accelerate_worker.py")
sys.path.insert(0, str(WORKER.parent))
from _accelerate_worker import EARLY_STOPPING, PARAMS, data, fitted_arrays  # noqa: E402


@pytest.mark.parametrize("n_rows", [256, 7])
def test_shards_split_each_epoch_and_draw_their_own_noise(n_rows):
    """What each of two processes iterates, simulated in one: the same seed
    gives both the same order, which they split; their noise differs; and the
    shared stream continues as if only the order had been drawn."""
    from skae._net import TensorBatches

    X = torch.arange(float(n_rows))[:, None]
    rows, noise, after = [], [], []
    for rank in range(2):
        torch.manual_seed(0)
        batches = TensorBatches(X, batch_size=32, shuffle=True, shard=(rank, 2))
        seen = []
        for _ in range(2):  # epochs
            for batch in batches:
                seen.append(batch[:, 0])
                noise.append(torch.randn(3))
        assert len(seen) == 2 * len(batches)
        rows.append(seen)
        after.append(torch.randn(1))
    # Step by step the two shards have the same size and make up the whole
    # epoch (the odd row count is padded by repeating one row).
    for first, second in zip(rows[0], rows[1], strict=True):
        assert len(first) == len(second)
    epoch = torch.cat(rows[0][: len(rows[0]) // 2] + rows[1][: len(rows[1]) // 2])
    assert set(epoch.tolist()) == set(range(n_rows))
    assert len(epoch) == n_rows + n_rows % 2
    half = len(noise) // 2
    assert not torch.equal(torch.stack(noise[:half]), torch.stack(noise[half:]))
    # Mutation audit: each epoch draws fresh noise (a stream seeded only by
    # the rank repeated the first epoch's noise in every epoch).
    steps = len(batches)
    assert not torch.equal(torch.stack(noise[:steps]), torch.stack(noise[steps:half]))
    torch.manual_seed(0)
    torch.randperm(n_rows)
    torch.randperm(n_rows)
    assert torch.equal(after[0], after[1]) and torch.equal(after[0], torch.randn(1))


@pytest.mark.parametrize("n_rows, subset", [(1001, 256), (1000, 255)])
def test_shards_of_a_row_subset_take_equal_steps(n_rows, subset):
    """Mutation audit: with a subset of the rows per epoch (``rows``), the
    padding to a multiple of the processes came from all the rows: 256 of
    1,001 rows gave one process 129 rows in 5 steps, the other 128 in 4 (a
    data-parallel step waits for every process)."""
    from skae._net import TensorBatches

    X = torch.arange(float(n_rows))[:, None]
    shards = []
    for rank in range(2):
        torch.manual_seed(0)
        batches = TensorBatches(X, 64, shuffle=True, shard=(rank, 2), rows=subset)
        shards.append([len(batch) for batch in batches])
        assert len(shards[-1]) == len(batches)
    assert shards[0] == shards[1]
    assert sum(shards[0]) == math.ceil(subset / 2)


@pytest.mark.parametrize("cls", [AutoEncoder, VariationalAutoEncoder, ContractiveAutoEncoder])
def test_one_process_trains_as_without_an_accelerator(cls):
    X = data()
    plain = cls(**PARAMS).fit(X)
    accelerated = cls(**PARAMS, accelerator=accelerate.Accelerator(cpu=True)).fit(X)
    assert type(accelerated.net_).__name__ == "AcceleratedAutoEncoderNet"
    # Unwrapped after training: a plain module, as the inference code expects.
    assert type(accelerated.net_.module_) is AutoEncoderModule
    trained = accelerated.net_.module_.state_dict()
    for name, value in plain.net_.module_.state_dict().items():
        assert torch.equal(value, trained[name]), name
    assert_array_equal(plain.score_samples(X), accelerated.score_samples(X))
    assert plain.net_.history[:, "train_loss"] == accelerated.net_.history[:, "train_loss"]


def test_partial_fit_leaves_no_prepared_models_behind():
    X = data()
    accelerator = accelerate.Accelerator(cpu=True)
    model = AutoEncoder(**PARAMS, accelerator=accelerator)
    for _ in range(3):
        model.partial_fit(X)
        # The accelerator holds no finished model (no buffers kept per chunk).
        assert accelerator._models == []
    assert model.n_iter_ == 3


def test_refits_leave_no_optimisers_on_the_accelerator():
    """Probe finding: each fit added its optimiser to the accelerator, a
    parameter, and nothing removed it: the accelerator held every earlier
    fit's optimiser state, and scikit-learn's check that fit leaves its
    parameters unchanged failed. The optimiser is listed while it trains (the
    accelerator unscales and clips the gradients of the optimisers it lists)."""
    from skorch.callbacks import Callback

    listed = []

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            listed.append(len(accelerator._optimizers))

    X = data()
    accelerator = accelerate.Accelerator(cpu=True)
    model = AutoEncoder(**PARAMS, accelerator=accelerator, callbacks=[Record()])
    for _ in range(2):
        model.fit(X)
        assert accelerator._optimizers == []
    model.partial_fit(X)
    assert accelerator._optimizers == [] and accelerator._schedulers == []
    assert listed == [1] * 7
    # Probe finding: a call that fails while training (skorch skips
    # on_train_end) left its module and optimiser listed, and the net marked
    # as wrapped.
    diverging = X.copy()
    diverging[:, 0] = 1e30
    for call in (model.partial_fit, AutoEncoder(**PARAMS, accelerator=accelerator, lr=1e30).fit):
        with pytest.raises(FloatingPointError):
            call(diverging if call == model.partial_fit else X)
        assert accelerator._models == [] and accelerator._optimizers == []
    assert not model.net_._wrapped_with_accelerator


def test_an_accelerator_that_would_train_wrongly_is_refused():
    from sklearn.utils._param_validation import InvalidParameterError

    X = data()
    with pytest.raises(InvalidParameterError, match="an instance such as"):
        AutoEncoder(**PARAMS, accelerator=accelerate.Accelerator).fit(X)
    accumulating = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
    with pytest.raises(ValueError, match="gradient_accumulation_steps=2"):
        AutoEncoder(**PARAMS, accelerator=accumulating).fit(X)


def test_an_object_without_the_accelerator_interface_is_refused_before_training():
    """Probe finding: an object with the four methods the parameter check asked
    for passed it and failed inside fit with an AttributeError."""
    from sklearn.utils._param_validation import InvalidParameterError

    class Partial:
        def prepare(self, *args):
            return args

        backward = autocast = reduce = prepare

    X = data()
    with pytest.raises(InvalidParameterError, match="'accelerator' parameter.*unwrap_model"):
        AutoEncoder(**PARAMS, accelerator=Partial()).fit(X)

    class NoPlacement(Partial):
        accumulate = unwrap_model = gather_for_metrics = wait_for_everyone = Partial.prepare
        print = Partial.prepare
        process_index, num_processes = 0, 1

    model = AutoEncoder(**PARAMS, accelerator=NoPlacement())
    with pytest.raises(InvalidParameterError, match="no attribute 'device', 'device_placement'"):
        model.fit(X)
    assert not hasattr(model, "net_")


@pytest.mark.parametrize("replacement", ["another", None])
def test_partial_fit_refuses_a_changed_accelerator(replacement):
    """partial_fit continued on the accelerator of the fit, whatever was set."""
    X = data()
    first = accelerate.Accelerator(cpu=True)
    model = AutoEncoder(**PARAMS, accelerator=first).fit(X)
    before = model.score_samples(X)
    other = accelerate.Accelerator(cpu=True) if replacement == "another" else None
    with pytest.raises(ValueError, match="accelerator of AutoEncoder changed"):
        model.set_params(accelerator=other).partial_fit(X)
    assert_array_equal(model.score_samples(X), before)
    model.set_params(accelerator=first).partial_fit(X)
    assert model.n_iter_ == PARAMS["max_epochs"] + 1
    # And the other way: a model fitted without one.
    plain = AutoEncoder(**PARAMS).fit(X)
    with pytest.raises(ValueError, match="accelerator of AutoEncoder changed"):
        plain.set_params(accelerator=first).partial_fit(X)


def test_the_log_goes_through_the_accelerators_print(capsys):
    """Printed once, by the main process: the scoring line was a plain print,
    repeated by every process."""
    X = data()
    accelerator = accelerate.Accelerator(cpu=True)
    lines = []
    accelerator.print = lambda *args, **kwargs: lines.append(" ".join(map(str, args)))
    AutoEncoder(**PARAMS, accelerator=accelerator, verbose=1).fit(X)
    assert any(line.startswith("Scoring the 256 training rows") for line in lines)
    assert "Scoring" not in capsys.readouterr().out


def test_mixed_precision_trains_in_bfloat16_and_returns_float32():
    from skorch.callbacks import Callback

    class LayerDtypes(Callback):
        """The dtypes a hidden layer computes in during training."""

        def on_train_begin(self, net, **kwargs):
            self.seen = set()
            linear = next(m for m in net.module_.modules() if isinstance(m, torch.nn.Linear))
            self.hook = linear.register_forward_hook(lambda m, i, out: self.seen.add(out.dtype))

        def on_train_end(self, net, **kwargs):
            self.hook.remove()

    rng = np.random.RandomState(0)
    X = (rng.normal(size=(256, 2)) @ rng.normal(size=(2, 10))).astype(np.float32)
    accelerator = accelerate.Accelerator(cpu=True, mixed_precision="bf16")
    params = {**PARAMS, "max_epochs": 20, "lr": 3e-3}
    model = AutoEncoder(
        **params, callbacks=[("dtypes", LayerDtypes())], accelerator=accelerator
    ).fit(X)
    assert dict(model.net_.callbacks_)["dtypes"].seen == {torch.bfloat16}
    # It learns about as well as in float32.
    losses = model.net_.history[:, "train_loss"]
    full_precision = AutoEncoder(**params).fit(X).net_.history[-1, "train_loss"]
    assert losses[-1] < 0.5 * losses[0]
    assert losses[-1] < 1.1 * full_precision
    # The weights stay float32, and inference runs in float32.
    assert all(p.dtype == torch.float32 for p in model.net_.module_.parameters())
    codes = model.transform(X)
    assert codes.dtype == np.float32 and np.all(np.isfinite(codes))


def test_the_accelerator_is_not_saved(tmp_path):
    X = data()
    model = AutoEncoder(**PARAMS, accelerator=accelerate.Accelerator(cpu=True)).fit(X)
    with pytest.warns(UserWarning, match="accelerator=None"):
        model.save(tmp_path / "model.skae")
    loaded = load(tmp_path / "model.skae")
    assert loaded.accelerator is None
    assert_allclose(loaded.score_samples(X), model.score_samples(X))


def test_two_processes_train_one_model(tmp_path):
    """Two CPU processes (gloo, loopback) train one model in data parallel.

    Each takes half of every batch; the gradients are averaged, and with
    halves of equal size their average is the whole batch's gradient. So both
    processes end with the weights that one process gets from the whole
    batches, up to float rounding, and with the same history; early stopping
    stops them at the same epoch and restores the same best weights. A chunk
    that diverges leaves the model as it was (probe finding: skorch skipped
    the unwrapping, and the rollback failed to load the weights into the
    DistributedDataParallel wrapper, leaving a model that could not
    transform).
    """
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc-per-node", "2", str(WORKER), str(tmp_path)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    ranks = [dict(np.load(tmp_path / f"rank{k}.npz")) for k in range(2)]
    assert int(ranks[0]["n_processes"]) == 2
    assert int(ranks[0]["still_prepared"]) == int(ranks[1]["still_prepared"]) == 0

    X = data()
    single = AutoEncoder(**PARAMS).fit(X)
    single.partial_fit(X)
    expected = fitted_arrays(single, X)
    stopped = AutoEncoder(**EARLY_STOPPING).fit(X)
    expected.update({f"early/{k}": v for k, v in fitted_arrays(stopped, X).items()})
    assert dict(stopped.net_.callbacks_)["early_stopping"].best_epoch_ < len(stopped.net_.history)
    for name, value in expected.items():
        # The processes agree exactly: they hold one model.
        assert_array_equal(ranks[0][name], ranks[1][name], err_msg=name)
        if "rows_per_epoch" not in name:
            assert_allclose(ranks[0][name], value, rtol=1e-4, atol=1e-5, err_msg=name)
    # Each process trained on half of the rows in every epoch: 256, or the
    # 230 left beside the early-stopping hold-out.
    assert_array_equal(expected["rows_per_epoch"], [256] * 4)
    assert_array_equal(ranks[0]["rows_per_epoch"], [128] * 4)
    assert set(expected["early/rows_per_epoch"]) == {230}
    assert_array_equal(ranks[0]["early/rows_per_epoch"], expected["early/rows_per_epoch"] // 2)
    # Each process corrupts its shard with noise of its own; the model is still one.
    denoising = [name for name in ranks[0] if name.startswith("denoising/")]
    assert denoising
    for name in denoising:
        assert_array_equal(ranks[0][name], ranks[1][name], err_msg=name)


def test_a_fit_through_an_accelerator_keeps_its_device_and_validates_in_bfloat16():
    """Mutation audit (C2, C9): after training the net's device is the
    accelerator's (what a pickle or save records), and unwrapping the
    prepared module keeps its mixed-precision forward, so the held-out
    rows' passes run in bfloat16 as training does."""
    from skorch.callbacks import Callback

    class ValidationDtypes(Callback):
        def on_train_begin(self, net, **kwargs):
            self.seen = set()
            linear = next(m for m in net.module_.modules() if isinstance(m, torch.nn.Linear))

            def record(module, inputs, out):
                if not module.training:
                    self.seen.add(out.dtype)

            self.hook = linear.register_forward_hook(record)

        def on_train_end(self, net, **kwargs):
            self.hook.remove()

    rng = np.random.RandomState(0)
    X = (rng.normal(size=(256, 2)) @ rng.normal(size=(2, 10))).astype(np.float32)
    accelerator = accelerate.Accelerator(cpu=True, mixed_precision="bf16")
    model = AutoEncoder(
        **{**PARAMS, "max_epochs": 2},
        early_stopping=True,
        callbacks=[("dtypes", ValidationDtypes())],
        accelerator=accelerator,
    ).fit(X)
    assert str(model.net_.device) == str(accelerator.device)
    assert dict(model.net_.callbacks_)["dtypes"].seen == {torch.bfloat16}
