"""How the CPU trains and scores: one thread for work too small to split, denormals flushed."""

import contextlib
import multiprocessing
import os
import sys
import threading
import time

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

from skae import AutoEncoder, ConvolutionalAutoEncoder
from skae._latent_density import fit_code_density
from skae._locking import ReadWriteLock
from skae._threads import (
    PARALLEL_STEP_MACS,
    _flushing_denormals,
    one_thread,
    step_multiply_adds,
    step_threads,
)


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


def test_step_threads_restores_the_count(two_threads):
    small = nn.Linear(10, 10)
    with step_threads(small, 64, torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2
    big = nn.Linear(1000, PARALLEL_STEP_MACS // 1000)
    with step_threads(big, 64, torch.device("cpu")):
        assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError), step_threads(small, 64, torch.device("cpu")):
        raise RuntimeError("a failed step")
    assert torch.get_num_threads() == 2
    with one_thread("cpu", small=False):
        assert torch.get_num_threads() == 2
    with one_thread("meta"):  # not a CPU: left alone
        assert torch.get_num_threads() == 2


def test_few_rows_score_on_one_thread_many_on_every_thread(two_threads):
    X = np.random.RandomState(0).standard_normal((5000, 10))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X[:300])
    seen = []

    def record(module, xb):
        seen.append(torch.get_num_threads())
        return module(xb)["z"]

    model._apply(model._scaled_tensor(X[:20], model.device_), record)
    model._apply(model._scaled_tensor(X, model.device_), record)
    # 20 rows are one small pass; 5,000 rows are batches of 4,096 (22
    # million multiply-adds), worth splitting.
    assert seen == [1, 2, 2]
    assert torch.get_num_threads() == 2


def test_the_code_density_fits_on_one_thread_with_the_same_result(two_threads, monkeypatch):
    codes = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    seen = []
    fit_mixture = fit_code_density.__globals__["_fit_mixture"]

    def recording(*args):
        seen.append(torch.get_num_threads())
        return fit_mixture(*args)

    monkeypatch.setattr("skae._latent_density._fit_mixture", recording)
    on_two = fit_code_density(codes, 0)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == 2
    torch.set_num_threads(1)
    on_one = fit_code_density(codes, 0)
    np.testing.assert_array_equal(on_two.means_, on_one.means_)
    np.testing.assert_array_equal(on_two.covariances_, on_one.covariances_)


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


class RecordFlushing(Callback):
    """Records whether torch flushes denormal floats at the end of every epoch."""

    def initialize(self):
        self.seen = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(_flushing_denormals())


def test_training_flushes_denormals_and_restores_the_setting():
    X = np.random.RandomState(0).standard_normal((200, 10))
    assert not _flushing_denormals()
    model = AutoEncoder(max_epochs=2, random_state=0, callbacks=[RecordFlushing()]).fit(X)
    (record,) = [cb for _, cb in model.net_.callbacks_ if isinstance(cb, RecordFlushing)]
    assert record.seen == [True, True]
    assert not _flushing_denormals()
    # A user's own setting survives a fit.
    torch.set_flush_denormal(True)
    try:
        AutoEncoder(max_epochs=1, random_state=0).fit(X)
        assert _flushing_denormals()
    finally:
        torch.set_flush_denormal(False)


def test_a_users_flushing_survives_a_fit_under_a_float64_default_dtype():
    """Review finding: the probe of the setting ran in the default dtype, in
    which 1e-39 is not denormal under float64: it read "not flushing", and
    the fit turned the caller's flushing off on exit."""
    X = np.random.RandomState(0).standard_normal((100, 4))
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.set_flush_denormal(True)
    try:
        AutoEncoder(max_epochs=1, random_state=0).fit(X)
        assert torch.tensor(1e-39, dtype=torch.float32).item() == 0.0
    finally:
        torch.set_flush_denormal(False)
        torch.set_default_dtype(dtype)


def _silenced_feature_run(flush, monkeypatch):
    """A model whose first input falls silent: one partial_fit with it, then
    nine epochs of 100 steps where it sits exactly at its training mean, so
    the first layer's weights from it get zero gradients and Adam's first
    moments for them decay by 0.9 a step, past 1.2e-38 into denormals."""
    if not flush:
        monkeypatch.setattr("skae._base.flush_denormals", lambda device: contextlib.nullcontext())
    rng = np.random.RandomState(0)
    X = rng.standard_normal((6400, 6))
    model = AutoEncoder(n_components=2, random_state=0).partial_fit(X)
    silent = X.copy()
    silent[:, 0] = model.mean_[0]
    for _ in range(9):
        model.partial_fit(silent)
    first = next(m for m in model.net_.module_.modules() if isinstance(m, torch.nn.Linear))
    moment = model.net_.optimizer_.state[first.weight]["exp_avg"][:, 0].abs()
    return model, silent, moment


def test_flushed_denormals_leave_the_trained_network_as_it_is(monkeypatch):
    kept, silent, kept_moment = _silenced_feature_run(False, monkeypatch)
    monkeypatch.undo()
    flushed, _, flushed_moment = _silenced_feature_run(True, monkeypatch)
    tiny = torch.finfo(torch.float32).tiny
    # Without flushing the moments are denormal; flushed, they are zero ...
    assert torch.any((kept_moment > 0) & (kept_moment < tiny))
    assert torch.all((flushed_moment == 0) | (flushed_moment >= tiny))
    assert torch.any(flushed_moment == 0)
    # ... and the weights they would have moved are the same to the last bit.
    np.testing.assert_array_equal(kept.transform(silent), flushed.transform(silent))
    np.testing.assert_array_equal(kept.score_samples(silent), flushed.score_samples(silent))


# --- regressions from a mutation audit of skae/_locking.py -----------------------
class _WatchedCondition(threading.Condition):
    """A condition that records the threads that have waited on it: a thread
    in it is blocked by the lock, which a test can see without sleeping."""

    def __init__(self):
        super().__init__()
        self.waited = set()

    def wait(self, timeout=None):
        self.waited.add(threading.get_ident())
        return super().wait(timeout)


def _watched_lock():
    lock = ReadWriteLock()
    lock._condition = _WatchedCondition()
    return lock


class _Holder:
    """A daemon thread that takes ``acquire()`` and holds it until released
    (5 s at most, so that a failing test leaves no thread behind)."""

    def __init__(self, acquire):
        self.inside = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(acquire,), daemon=True)
        self.thread.start()

    def _run(self, acquire):
        with acquire():
            self.inside.set()
            self.release.wait(5)


def _waits(lock, holder):
    """Whether ``holder``'s thread blocks on ``lock`` (True) or gets in
    (False), whichever it does first."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if holder.inside.is_set():
            return False
        if holder.thread.ident in lock._condition.waited:
            return not holder.inside.is_set()
        time.sleep(0.001)
    raise AssertionError("the thread neither got in nor waited within 5 s")


def _finish(*holders):
    for holder in holders:
        holder.release.set()
    for holder in holders:
        holder.thread.join(5)
        assert not holder.thread.is_alive()


def test_a_writer_waits_while_another_thread_reads():
    """Mutation audit: the write lock is held alone, so a writer waits while
    another thread holds a read, and gets in once it ends. The mutant's
    writer waited for other writers only and went in beside the reader (a
    fit beside a prediction: the harm _locking.py is there to prevent)."""
    lock = _watched_lock()
    reader = _Holder(lock.read)
    writer = None
    try:
        assert reader.inside.wait(5)
        writer = _Holder(lock.write)
        assert _waits(lock, writer)
        reader.release.set()
        assert writer.inside.wait(5)
    finally:
        _finish(*[h for h in (reader, writer) if h is not None])


def test_a_new_reader_waits_while_a_writer_waits():
    """Mutation audit: a waiting writer goes before new readers (a thread
    predicting in a loop kept a fit waiting for ever), so a reader that comes
    while a writer waits waits too, gets in after the writer, and not
    before. The mutant's new reader went in beside the first."""
    lock = _watched_lock()
    first = _Holder(lock.read)
    holders = [first]
    try:
        assert first.inside.wait(5)
        writer = _Holder(lock.write)
        holders.append(writer)
        assert _waits(lock, writer)
        second = _Holder(lock.read)
        holders.append(second)
        assert _waits(lock, second)
        first.release.set()
        assert writer.inside.wait(5)
        assert not second.inside.is_set()
        writer.release.set()
        assert second.inside.wait(5)
    finally:
        _finish(*holders)


def test_the_write_lock_is_reentrant_for_its_own_thread():
    """Mutation audit: a thread holding the write lock takes it again without
    waiting (the lock is documented reentrant for its writer), and leaves it
    free for other threads once both end. The mutant's nested write() waited
    for its own thread's writer: a deadlock (run here in a thread, with a
    timeout)."""
    lock = ReadWriteLock()
    nested = threading.Event()

    def write_twice():
        with lock.write(), lock.write():
            nested.set()

    thread = threading.Thread(target=write_twice, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert nested.is_set()
    other = _Holder(lock.write)
    try:
        assert other.inside.wait(5)
    finally:
        _finish(other)


def test_a_reader_reads_again_while_a_writer_waits():
    """Mutation audit: a thread already reading reads again without waiting
    (predict calls score_samples), also while a writer waits; the mutant's
    nested read waited for the writer, which waited for it: a deadlock."""
    lock = _watched_lock()
    inside, release, nested = threading.Event(), threading.Event(), threading.Event()

    def read_twice():
        with lock.read():
            inside.set()
            release.wait(5)
            with lock.read():
                nested.set()

    reader = threading.Thread(target=read_twice, daemon=True)
    reader.start()
    writer = None
    try:
        assert inside.wait(5)
        writer = _Holder(lock.write)
        assert _waits(lock, writer)
        release.set()
        assert nested.wait(5)
        assert writer.inside.wait(5)
    finally:
        release.set()
        reader.join(5)
        assert not reader.is_alive()
        if writer is not None:
            _finish(writer)


def test_a_nested_write_keeps_the_lock_until_the_outer_one_ends():
    """Mutation audit: the end of a nested write leaves the lock held by its
    thread until the outer write ends; the mutant let another writer in."""
    lock = _watched_lock()
    inner_done, release = threading.Event(), threading.Event()

    def write_nested():
        with lock.write():
            with lock.write():
                pass
            inner_done.set()
            release.wait(5)

    owner = threading.Thread(target=write_nested, daemon=True)
    owner.start()
    other = None
    try:
        assert inner_done.wait(5)
        other = _Holder(lock.write)
        assert _waits(lock, other)
        release.set()
        assert other.inside.wait(5)
    finally:
        release.set()
        owner.join(5)
        assert not owner.is_alive()
        if other is not None:
            _finish(other)


def test_a_fit_off_the_cpu_leaves_the_cpus_denormals_alone():
    """Mutation audit: flushing denormals is for the CPU's arithmetic; a fit
    on another device (here torch's "meta") leaves the CPU's setting as it
    was."""
    from skae._threads import flush_denormals

    assert not _flushing_denormals()
    with flush_denormals(torch.device("meta")):
        assert not _flushing_denormals()
    with flush_denormals(torch.device("cpu")):
        assert _flushing_denormals()
    assert not _flushing_denormals()


def _counting_lock():
    """A lock whose condition counts each thread's waits."""
    lock = ReadWriteLock()
    lock._condition = _CountingCondition()
    return lock


class _CountingCondition(threading.Condition):
    """A condition that counts the waits of each thread: a thread woken that
    has to wait again shows as a second wait."""

    def __init__(self):
        super().__init__()
        self.waits = {}

    def wait(self, timeout=None):
        me = threading.get_ident()
        self.waits[me] = self.waits.get(me, 0) + 1
        return super().wait(timeout)

    def waited(self, thread, times):
        """Wait (5 s at most) until ``thread`` has waited ``times`` times."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with self:
                if self.waits.get(thread.ident, 0) >= times:
                    return True
            time.sleep(0.001)
        return False


def test_the_end_of_a_read_wakes_every_waiting_thread():
    """Mutation audit: the end of a read wakes every thread waiting on the
    lock (notify_all), not one. Readers A and C hold the lock, writer W
    waits, then reader B waits behind W. C's end wakes W, which waits again
    (A still reads). A's end must wake W again: with the mutant's notify()
    it woke only the first waiter, B, which waited again for W, and W was
    never woken (a fit waiting for ever)."""
    lock = _counting_lock()
    condition = lock._condition
    a = _Holder(lock.read)
    c = _Holder(lock.read)
    holders = [a, c]
    try:
        assert a.inside.wait(5) and c.inside.wait(5)
        w = _Holder(lock.write)
        holders.append(w)
        assert condition.waited(w.thread, 1)
        b = _Holder(lock.read)
        holders.append(b)
        assert condition.waited(b.thread, 1)
        c.release.set()
        c.thread.join(5)
        assert not c.thread.is_alive()
        # W was woken and waits again for A; B has not got in.
        assert condition.waited(w.thread, 2)
        assert not w.inside.is_set() and not b.inside.is_set()
        a.release.set()
        assert w.inside.wait(5), "the writer was not woken when the last reader left"
        assert not b.inside.is_set()
        w.release.set()
        assert b.inside.wait(5)
    finally:
        _finish(*holders)


@pytest.mark.parametrize("imputer", [False, True])
def test_a_prediction_takes_the_lock_to_read(imputer):
    """Mutation audit: a prediction takes its estimator's lock, and to read:
    it runs beside another thread's read, and waits for a write (a fit). The
    mutant's prediction took the lock to write: two threads predicting with
    one model took turns, and one predicting while another held a read
    waited for it. The imputer's transform once took no lock (a refit in
    another thread mixed the new fit's columns with the old estimator)."""
    import pandas as pd

    from skae import AutoEncoderImputer, _locking

    X = np.random.RandomState(0).standard_normal((64, 5))
    model = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)
    if imputer:
        # A table with a categorical column, whose path took no lock at all.
        X = pd.DataFrame(X, columns=list("abcde")).assign(k=pd.Categorical(["u", "v"] * 32))
        X.iloc[::3, 1] = np.nan
        model = AutoEncoderImputer(model)
    model.fit(X)
    expected = model.transform(X)
    lock = _watched_lock()
    _locking._LOCKS[model] = lock

    def predict(results):
        results.append(model.transform(X))

    try:
        for hold, blocks in ((lock.read, False), (lock.write, True)):
            results = []
            predicting = threading.Thread(target=predict, args=(results,), daemon=True)
            with hold():
                predicting.start()
                if blocks:
                    deadline = time.monotonic() + 5
                    while predicting.ident not in lock._condition.waited:
                        assert time.monotonic() < deadline, "the prediction did not wait"
                        time.sleep(0.001)
                    assert not results
                else:
                    predicting.join(10)
                    assert not predicting.is_alive(), "the prediction waited for a read"
            predicting.join(10)
            assert not predicting.is_alive()
            if imputer:
                pd.testing.assert_frame_equal(results[0], expected)
            else:
                np.testing.assert_array_equal(results[0], expected)
    finally:
        del _locking._LOCKS[model]


def test_the_locks_do_not_keep_their_estimators_alive():
    """Mutation audit: the registry of locks holds its estimators weakly, so
    an estimator that is no longer used is freed with its lock. The mutant's
    plain dict kept every estimator that had ever predicted (its network,
    its data's statistics) for the life of the process."""
    import gc
    import weakref

    from skae import _locking

    X = np.random.RandomState(0).standard_normal((64, 5))
    model = AutoEncoder(n_components=2, hidden_layer_sizes=(8,), max_epochs=1, random_state=0)
    model.fit(X).transform(X)
    assert model in _locking._LOCKS
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_the_locked_methods_keep_their_name_doc_and_signature():
    """Mutation audit: the lock's decorator keeps the name, docstring and
    signature of the methods it wraps (help(), the API reference and
    scikit-learn's checks read them). The mutant dropped functools.wraps:
    every locked method was called "read", with no docstring, and took
    ``*args, **kwargs``."""
    import inspect

    assert AutoEncoder.transform.__name__ == "transform"
    assert AutoEncoder.score_samples.__doc__ and "Parameters" in AutoEncoder.score_samples.__doc__
    assert "X" in inspect.signature(AutoEncoder.score).parameters
    assert "args" not in inspect.signature(AutoEncoder.transform).parameters


# --- regressions from a mutation audit of skae/_threads.py ------------------------
def test_a_step_of_the_threshold_splits_one_just_below_does_not(two_threads):
    """Mutation audit: a step of exactly PARALLEL_STEP_MACS (1.5 million)
    multiply-adds keeps every thread, one of a multiply-add fewer runs on
    one. The mutants moved the boundary (``<=``) or the constant."""
    assert PARALLEL_STEP_MACS == 1_500_000
    at = nn.Linear(1000, 1500)
    below = nn.Linear(1, 1_499_999)
    assert step_multiply_adds(at, 1) == 1_500_000
    assert step_multiply_adds(below, 1) == 1_499_999
    with step_threads(at, 1, torch.device("cpu")):
        assert torch.get_num_threads() == 2
    with step_threads(below, 1, torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


def test_a_network_with_transposed_convolutions_has_no_dense_count():
    """Mutation audit: step_multiply_adds counts dense layers only, so a
    network with convolutions gets None (its work unknown: every thread),
    transposed convolutions (a convolutional decoder) included. The mutant
    looked for Conv2d only, and a transposed-convolution network got the
    count of its small dense layer: one thread for a large step."""
    module = nn.Sequential(
        nn.Linear(2, 64), nn.Unflatten(1, (4, 4, 4)), nn.ConvTranspose2d(4, 1, 3)
    )
    assert not any(isinstance(m, nn.Conv2d) for m in module.modules())
    assert step_multiply_adds(module, 64) is None


def _fit_and_predict_in_child(model, X, queue):
    """In a forked child: a new fit, and a prediction of ``model``. On one
    torch thread: torch's OpenMP pool does not survive a fork, and a child of
    a parent that used several threads hangs in its first parallel operation,
    skae or not (the user guide says so)."""
    torch.set_num_threads(1)
    fitted = AutoEncoder(max_epochs=1, random_state=1).fit(X)
    queue.put((fitted.n_iter_, model.predict(X[:3]).tolist()))


@pytest.mark.skipif(
    not hasattr(os, "register_at_fork") or sys.platform == "darwin",
    reason="the fork start method (Linux)",
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Python 3.12+: fork with threads
def test_a_fork_while_another_thread_fits_leaves_the_child_free_to_fit():
    """A probe: a fork copied the lock on torch's generator held by a fit
    in another thread, which the child does not have, and every fit in the
    child waited for ever; so did a prediction of a model that a thread of
    the parent was training."""
    X = np.random.RandomState(0).normal(size=(100, 4))
    model = AutoEncoder(max_epochs=1, random_state=0).fit(X)
    expected = model.predict(X[:3]).tolist()
    from skae._base import _SeededTorch
    from skae._locking import lock_of

    held, done = threading.Event(), threading.Event()

    def fitting():
        # What a fit in progress holds: the generator's lock and its
        # estimator's, to write.
        with _SeededTorch(0, torch.device("cpu")), lock_of(model).write():
            held.set()
            done.wait(60)

    thread = threading.Thread(target=fitting)
    thread.start()
    try:
        assert held.wait(10)
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        child = context.Process(target=_fit_and_predict_in_child, args=(model, X, queue))
        child.start()
        child.join(60)
        if child.is_alive():
            child.kill()
            child.join()
        assert child.exitcode == 0
        assert queue.get(timeout=5) == (1, expected)
    finally:
        done.set()
        thread.join()


def test_convolutional_fits_in_threads_give_what_they_give_alone(two_threads):
    """A probe: fits took turns for their training only; the statistics pass
    after it set torch's process-wide thread count to one (the code mixture)
    while another thread's convolutional network trained on two, and a
    convolutional network's results depend on the count: 4 of 8 fits came
    out other than alone (scores 1e-6 apart)."""
    from concurrent.futures import ThreadPoolExecutor

    X = np.abs(np.random.RandomState(0).standard_normal((300, 9)))

    def fit(seed):
        model = ConvolutionalAutoEncoder(max_epochs=3, random_state=seed)
        return model.fit(X).score_samples(X)

    alone = [fit(seed) for seed in range(8)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(fit, range(8)))
    for one, other in zip(alone, together, strict=True):
        np.testing.assert_array_equal(one, other)


class _StartsAnUpdate(Callback):
    """Copied with its estimator's parameters: once armed, starts
    ``update(rows)`` in another thread there and waits until it has finished
    or is waiting for the estimator's lock."""

    update = rows = estimator = None
    started: list = []

    def __getstate__(self):
        cls = type(self)
        if cls.update is not None:
            from skae._locking import lock_of

            update, cls.update = cls.update, None
            thread = threading.Thread(target=update, args=(cls.rows,), daemon=True)
            thread.start()
            lock = lock_of(cls.estimator)
            while thread.is_alive() and not lock._waiting:
                time.sleep(0.001)
            cls.started.append(thread)
        return dict(vars(self))


@pytest.mark.parametrize("how", ["pickle", "deepcopy", "imputer"])
def test_a_copy_holds_the_lock_until_the_whole_state_is_copied(how):
    """A probe: pickle walks what __getstate__ returns after it returns, and
    that was the live attributes, read under the lock but copied without it:
    a partial_fit in another thread ran in the middle of the pickle, whose
    copy held the old offset_ with the new network (scores of neither model),
    and a fit of an imputer during its pickle changed the dictionary being
    pickled (RuntimeError). A callback among the parameters, copied with
    them, starts the other thread's update at that point."""
    import copy
    import pickle

    from skae import AutoEncoderImputer

    X = np.random.RandomState(0).standard_normal((400, 6))
    if how == "imputer":
        X[::4, 1] = np.nan
    # A schedule refers to the optimiser, which the copy must not copy anew
    # (its tensors' new addresses pickled to other bytes each time).
    from skorch.callbacks import LRScheduler

    schedule = LRScheduler(policy="StepLR", step_size=1)
    network = AutoEncoder(max_epochs=2, random_state=0, callbacks=[_StartsAnUpdate(), schedule])
    model = AutoEncoderImputer(network, random_state=0) if how == "imputer" else network
    model.fit(X[:200])

    def output(fitted):
        if how == "imputer":
            return np.asarray(fitted.transform(X[:50]))
        return fitted.score_samples(X[:50])

    before = output(model)
    _StartsAnUpdate.started = []
    _StartsAnUpdate.rows, _StartsAnUpdate.estimator = X[200:] * 3.0, model
    _StartsAnUpdate.update = model.fit if how == "imputer" else model.partial_fit
    try:
        if how == "deepcopy":
            snapshot = copy.deepcopy(model)
        else:
            snapshot = pickle.loads(pickle.dumps(model))
    finally:
        _StartsAnUpdate.update = _StartsAnUpdate.estimator = None
    (thread,) = _StartsAnUpdate.started
    thread.join(60)
    assert not thread.is_alive()
    after = output(model)
    assert not np.array_equal(before, after)
    # The copy is the model before the update, whose training after the copy
    # began does not reach it.
    np.testing.assert_array_equal(output(snapshot), before)
    if how != "imputer":
        # copy.copy hands the state on without pickling it (a review: the
        # network's snapshot was set as the network).
        np.testing.assert_array_equal(output(copy.copy(model)), after)
    # And a model pickles to the same bytes each time (Dask names a task by
    # them): a copy of the state taken with new tensors did not, as a
    # tensor's pickle names its storage by address.
    assert pickle.dumps(model) == pickle.dumps(model)


class _CountingLock:
    """A reentrant lock that counts the threads waiting for it."""

    def __init__(self):
        self._lock = threading.RLock()
        self._guard = threading.Lock()
        self.waiting = 0

    def acquire(self):
        if self._lock.acquire(blocking=False):
            return True
        with self._guard:
            self.waiting += 1
        try:
            return self._lock.acquire()
        finally:
            with self._guard:
                self.waiting -= 1

    def release(self):
        self._lock.release()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


def test_a_fit_takes_its_thread_count_in_the_fits_turn(two_threads, monkeypatch):
    """A review: torch sets a thread's own thread count from the process's at
    the thread's first parallel operation, for good. A worker whose first fit
    prepared its rows while another fit's statistics pass had the count at
    one trained on one thread from then on (other last bits for a
    convolutional network, and slower). A fit now takes its count in the
    fits' turn, before any other operation."""
    from skae import _base

    lock = _CountingLock()
    monkeypatch.setattr(_base._SeededTorch, "_lock", lock)
    X = np.random.RandomState(0).standard_normal((6000, 16))
    seen = []

    def work():
        AutoEncoder(hidden_layer_sizes=(8,), max_epochs=1, random_state=0).fit(X)
        seen.append(torch.get_num_threads())

    with lock:  # another fit's statistics pass, on one thread
        torch.set_num_threads(1)
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        deadline = time.monotonic() + 60
        while not lock.waiting:
            assert time.monotonic() < deadline, "the fit did not wait for its turn"
            time.sleep(0.001)
        torch.set_num_threads(2)
    worker.join(120)
    assert seen == [2]
