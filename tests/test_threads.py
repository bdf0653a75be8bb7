"""The training loop's thread count: one thread for steps too small to split."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

from skae import AutoEncoder, ConvolutionalAutoEncoder
from skae._threads import PARALLEL_STEP_MACS, step_multiply_adds, training_threads


class RecordThreads(Callback):
    """Records torch's thread count at the end of every epoch."""

    def initialize(self):
        self.seen = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_step_multiply_adds_counts_the_dense_layers():
    module = nn.Sequential(nn.Linear(50, 64), nn.ReLU(), nn.Linear(64, 2), nn.Linear(2, 50))
    assert step_multiply_adds(module, 64) == 64 * (50 * 64 + 64 * 2 + 2 * 50)
    assert step_multiply_adds(nn.Sequential(nn.Conv2d(1, 4, 3), nn.Linear(4, 2)), 64) is None


def test_training_threads_restores_the_count(two_threads):
    small = nn.Linear(10, 10)
    with training_threads(small, 64, torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    big = nn.Linear(1000, PARALLEL_STEP_MACS // 1000)
    with training_threads(big, 64, torch.device("cpu")):
        assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), training_threads(small, 64, torch.device("cpu")):
        raise RuntimeError("a failed step")
    assert torch.get_num_threads() == 2


def threads_seen(model):
    """What the fitted model's RecordThreads callback saw (the net holds a copy)."""
    (record,) = [cb for _, cb in model.net_.callbacks_ if isinstance(cb, RecordThreads)]
    return record.seen


def test_a_small_network_trains_on_one_thread(two_threads):
    X = np.random.RandomState(0).standard_normal((200, 10))
    model = AutoEncoder(max_epochs=3, random_state=0, callbacks=[RecordThreads()]).fit(X)
    assert threads_seen(model) == [1, 1, 1]
    assert torch.get_num_threads() == 2
    # A wide one, and a convolutional one, keep torch's threads.
    wide = AutoEncoder(hidden_layer_sizes=(1024, 512), max_epochs=1, callbacks=[RecordThreads()])
    assert threads_seen(wide.fit(X)) == [2]
    conv = ConvolutionalAutoEncoder(max_epochs=1, callbacks=[RecordThreads()])
    assert threads_seen(conv.fit(np.abs(X[:, :9]))) == [2]


def test_the_thread_count_does_not_change_the_result(two_threads):
    X = np.random.RandomState(0).standard_normal((300, 8))
    fitted = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    torch.set_num_threads(1)
    again = AutoEncoder(max_epochs=3, random_state=0).fit(X)
    np.testing.assert_array_equal(fitted.transform(X), again.transform(X))
