"""The private skorch net that trains every autoencoder.

Differences from a stock :class:`skorch.NeuralNet`:

* batches are sliced from one tensor that already lives on the training
  device (no per-row ``Dataset.__getitem__`` and collation, no per-batch
  host-to-device copy);
* the loss is a sum of named terms (the reconstruction plus any penalties);
  when there is more than one, each is logged per epoch in ``history``;
* an optional corruption is applied to training inputs only;
* a loss that is not finite, or an optimizer state that overflowed, stops
  training with :class:`FloatingPointError`;
* with ``verbose``, the log tells the time left (:class:`TimeLeft`).
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from copy import deepcopy

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
)
from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present

from ._scaling import RowSubset, ScaledRows
from ._warnings import warn_caller

#: Early stopping that kept the first epoch warns once training ran this many
#: epochs, or stopped.
MIN_EPOCHS_TO_WARN = 5

Penalty = Callable[[torch.nn.Module, torch.Tensor, dict[str, torch.Tensor]], torch.Tensor]
Corruption = Callable[[torch.Tensor], torch.Tensor]


class TensorData:
    """A dataset that is just a tensor of rows."""

    def __init__(self, X: torch.Tensor) -> None:
        self.X = X

    def __len__(self) -> int:
        return len(self.X)


class TensorBatches:
    """Iterate over mini-batches sliced from a tensor.

    Shuffling draws a permutation on the tensor's device from torch's global
    generator, which the estimator seeds inside :func:`torch.random.fork_rng`.
    ``rows`` caps the rows of each shuffled pass: a large table's epoch is
    then a random subset of it.

    ``shard=(rank, n_processes)`` splits each shuffled epoch between processes
    trained in data parallel, as :class:`torch.utils.data.DistributedSampler`
    does: every process draws the same permutation (the same seed), pads it
    by repeating its first rows to a multiple of ``n_processes``, and takes
    every ``n_processes``-th row from ``rank`` on, in batches of
    ``ceil(batch_size / n_processes)``. The processes' batches at one step
    then make up one batch of about ``batch_size`` rows, and all processes
    take the same number of steps. Each process then draws its training noise
    (corruption, the reparameterisation) from a stream of its own for the
    epoch, so that the shards are not corrupted alike; the shared stream,
    restored after the epoch, gives the next epoch's order.
    """

    def __init__(
        self,
        X: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        shard: tuple[int, int] = (0, 1),
        rows: int | None = None,
    ) -> None:
        self.X = X
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.shard = shard
        self.rows = rows
        self._epochs = 0

    @property
    def _n_rows(self) -> int:
        """Rows visited per pass: all, or with ``rows`` a random subset of them."""
        n = len(self.X)
        return min(n, self.rows) if self.shuffle and self.rows else n

    def __len__(self) -> int:
        n_processes = self.shard[1]
        rows = math.ceil(self._n_rows / n_processes)
        return math.ceil(rows / math.ceil(self.batch_size / n_processes))

    def __iter__(self) -> Iterator[torch.Tensor]:
        n = len(self.X)
        rank, n_processes = self.shard
        if self.shuffle:
            # With ``rows``, each pass visits a fresh random subset of that
            # many rows (without replacement), as each tree of an
            # IsolationForest sees its own subsample.
            order = torch.randperm(n, device=self.X.device)[: self._n_rows]
            if n_processes > 1:
                # Padded to a multiple of the processes from the rows visited
                # (with ``rows``, fewer than ``n``): padded from ``n``, a subset
                # of 256 of 1,001 rows gave one process 129 rows and 5 steps,
                # the other 128 rows and 4.
                pad = -len(order) % n_processes
                order = torch.cat([order, order[:pad]])[rank::n_processes]
            step = math.ceil(self.batch_size / n_processes)
            with self._noise_stream(rank) if n_processes > 1 else nullcontext():
                for start in range(0, len(order), step):
                    yield self.X[order[start : start + step]]
        else:
            for start in range(0, n, self.batch_size):
                yield self.X[start : start + self.batch_size]

    @contextmanager
    def _noise_stream(self, rank: int) -> Iterator[None]:
        """This process's own random stream for one epoch's steps; the shared
        stream is restored afterwards."""
        devices = [self.X.device] if self.X.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(hash((torch.initial_seed(), self._epochs, rank)) % 2**63)
            self._epochs += 1
            yield


class HoldOutSplit:
    """skorch ``train_split``: hold out a random fraction of rows for validation.

    ``rows`` (the indices a previous fit held out) are held out again when
    they still fit the data: a warm start on the same rows then judges its
    epochs, and places ``offset_``, on rows it never trained on, as
    :class:`~sklearn.neural_network.MLPRegressor` does with an integer
    ``random_state``.
    """

    def __init__(self, fraction: float, rows: np.ndarray | None = None) -> None:
        self.fraction = fraction
        self.rows = rows
        #: The rows held out by the last call, until the estimator takes them
        #: (:meth:`take_held_out`) to place ``offset_``.
        self.held_out = None
        #: Their indices, until the estimator takes them (:meth:`take_held_out_index`).
        self.held_out_index = None
        #: How many rows with no observed value the estimator left out of
        #: the rows it split, for the refusal of a split that leaves none.
        self.left_out = 0

    def take_held_out(self) -> torch.Tensor | RowSubset | None:
        """The rows the last call held out, forgotten here (not pickled with
        the fitted net)."""
        held_out, self.held_out = getattr(self, "held_out", None), None
        return held_out

    def take_held_out_index(self) -> np.ndarray | None:
        """The indices of the rows the last call held out, forgotten here."""
        index, self.held_out_index = getattr(self, "held_out_index", None), None
        return index

    def _order(self, n: int, n_valid: int, device: torch.device) -> torch.Tensor:
        """The held-out rows' indices, then the others'."""
        rows, self.rows = getattr(self, "rows", None), None
        if (
            rows is not None
            and rows.shape == (n_valid,)
            and rows.min(initial=0) >= 0
            and rows.max(initial=0) < n
            and len(np.unique(rows)) == n_valid
        ):
            held = torch.tensor(rows, dtype=torch.long, device=device)
            keep = torch.ones(n, dtype=torch.bool, device=device)
            keep[held] = False
            return torch.cat([held, torch.arange(n, device=device)[keep]])
        return torch.randperm(n, device=device)

    def __call__(self, dataset: TensorData, y: object = None) -> tuple[TensorData, TensorData]:
        n = len(dataset)
        n_valid = int(round(self.fraction * n))
        if n_valid < 1 or n - n_valid < 1:
            left_out = getattr(self, "left_out", 0)
            counted = f" (of {n + left_out}, those with an observed value)" if left_out else ""
            raise ValueError(
                # Not "early_stopping=True": "auto" turns it on too (a probe).
                f"Early stopping needs at least one training and one validation "
                f"sample, but validation_fraction={self.fraction} of n_samples={n}"
                f"{counted} gives {n_valid} validation samples. Use more samples, a "
                f"different validation_fraction, or early_stopping=False."
            )
        order = self._order(n, n_valid, dataset.X.device)
        # Kept with the fitted model: int32 where the rows allow (half the size).
        index_type = np.int32 if n <= np.iinfo(np.int32).max else np.int64
        self.held_out_index = order[:n_valid].cpu().numpy().astype(index_type)
        if isinstance(dataset.X, ScaledRows):
            # Data scaled batch by batch stay where they are: each part reads
            # its rows when a batch asks for them.
            parts = RowSubset(dataset.X, order[n_valid:]), RowSubset(dataset.X, order[:n_valid])
        else:
            parts = dataset.X[order[n_valid:]], dataset.X[order[:n_valid]]
        self.held_out = parts[1]
        return TensorData(parts[0]), TensorData(parts[1])


class HoldOutEarlyStopping(EarlyStopping):
    """:class:`~skorch.callbacks.EarlyStopping` that stands aside on epochs
    without a validation loss, i.e. when ``partial_fit`` trains on the whole
    chunk.

    ``plateau``, a history key and a level, marks the epochs that end with
    that key below the level: they do not count towards ``patience`` (an
    improvement still counts as one). The variational kind names its KL term
    below the level of codes left unused, the plateau it starts in.
    """

    def __init__(
        self, *args: object, plateau: tuple[str, float] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plateau = plateau

    def on_train_begin(self, net: NeuralNet, **kwargs: object) -> None:
        super().on_train_begin(net, **kwargs)
        self.best_criterion_weights_ = None
        self.first_epoch_ = len(net.history) + 1

    def _calc_new_threshold(self, score: float) -> float:
        # A relative threshold of the loss's size: skorch's multiplies the
        # signed loss, so for a negative one (the variational kind's Gaussian
        # likelihood) the bar lay above it, a worse epoch counted as an
        # improvement, training never stopped and the worst epoch was kept.
        change = self.threshold * abs(score) if self.threshold_mode == "rel" else self.threshold
        return score - change if self.lower_is_better else score + change

    def on_epoch_end(self, net: NeuralNet, **kwargs: object) -> None:
        if self.monitor not in net.history[-1]:
            return
        best = self.best_epoch_
        if self.plateau is not None:
            key, level = self.plateau
            if net.history[-1].get(key, math.inf) < level:
                # Counted back below: an epoch without improvement leaves
                # the misses as they were, so the fit cannot stop here.
                self.misses_ -= 1
        self._held_messages: list[tuple[str, object]] | None = []
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            # skorch runs its table (PrintLog) after every other callback,
            # so the epoch that stopped the fit was left out of it (a probe:
            # 16 lines printed for 17 epochs): its line, then the message.
            print_log = dict(net.callbacks_).get("print_log")
            if print_log is not None:
                print_log.on_epoch_end(net, **kwargs)
            raise
        finally:
            held, self._held_messages = self._held_messages, None
            for text, verbose in held:
                super()._sink(text, verbose)
            # The criterion learns too (the variational kind's noise scales):
            # the best epoch's is kept with the best module.
            if self.load_best and self.best_epoch_ != best:
                self.best_criterion_weights_ = deepcopy(net.criterion_.state_dict())

    def _sink(self, text: str, verbose: object) -> None:
        held = getattr(self, "_held_messages", None)  # None if pickled before it
        if held is None:
            super()._sink(text, verbose)
        else:
            held.append((text, verbose))

    def on_train_end(self, net: NeuralNet, **kwargs: object) -> None:
        # In data-parallel training the best weights were copied from the
        # wrapped module ("module." keys); the net has unwrapped it by now.
        if self.load_best and self.best_model_weights_ is not None:
            consume_prefix_in_state_dict_if_present(self.best_model_weights_, "module.")
        restore = (
            self.load_best
            and self.best_criterion_weights_ is not None
            and self.best_epoch_ != net.history[-1]["epoch"]
        )
        super().on_train_end(net, **kwargs)
        if restore:
            consume_prefix_in_state_dict_if_present(self.best_criterion_weights_, "module.")
            net.criterion_.load_state_dict(self.best_criterion_weights_)
        if self.load_best and self.best_epoch_ == getattr(self, "first_epoch_", None):
            # The held-out loss never improved on the first epoch: the model
            # kept is that of one epoch. A variational fit stopped in the
            # plateau before its codes are used (a probe: 1 seed in 8 with
            # one code, no better than a fair coin per feature) without a word.
            # Only a fit that stopped (patience ran out) or ran
            # MIN_EPOCHS_TO_WARN epochs: a fit of 2 epochs whose second did
            # not improve is too short to say anything, one of 10 that never
            # improved with a patience of 10 is not (a probe: it was silent).
            epochs = len(net.history) - self.first_epoch_ + 1
            if epochs > min(self.patience, MIN_EPOCHS_TO_WARN - 1):
                warn_caller(
                    f"Early stopping kept the model of the first of {epochs} epochs: the "
                    "held-out rows' loss never improved on it. Unless the data have no "
                    "structure to learn, the model is hardly trained: try a larger "
                    "patience, or early_stopping=False.",
                    ConvergenceWarning,
                )
        # Restored, the copies are the net's own weights again: kept, they
        # doubled a pickle's size and, from a GPU fit, made it fail to load
        # where there is no GPU (skorch maps only the net's modules).
        self.best_model_weights_ = None
        self.best_criterion_weights_ = None


class TimeLeft(Callback):
    """Log the estimated time left of training, at least every ``every`` seconds.

    At the end of each epoch the estimate goes to ``history`` as
    ``time_left`` (seconds), which the epoch's log line shows. When an epoch
    is long (a large table), a line with the epoch's progress and the time
    left is printed every ``every`` seconds in between, unless a progress
    bar (``verbose=2``) shows them. The estimate assumes
    every remaining step costs what the steps so far cost on average; early
    stopping can end training sooner.
    """

    def __init__(self, every: float = 5.0) -> None:
        self.every = every

    def on_train_begin(self, net: NeuralNet, X: object = None, **kwargs: object) -> None:
        self._start = self._last = time.perf_counter()
        self._steps = 0
        self._epochs_done = 0

    def on_epoch_begin(self, net: NeuralNet, dataset_train: object = None, **kwargs) -> None:
        self._steps_per_epoch = len(net.get_iterator(dataset_train, training=True))
        self._epoch_steps = 0

    def on_batch_end(self, net: NeuralNet, training: bool = False, **kwargs: object) -> None:
        if not training:
            return
        self._steps += 1
        self._epoch_steps += 1
        now = time.perf_counter()
        if now - self._last < self.every:
            return
        self._last = now
        if "progress_bar" in dict(net.callbacks_):
            # verbose=2: the bar shows the steps and the time left, and a
            # line printed under it would break it.
            return
        # The history's numbering, as the table's rows (a warm start or a
        # partial_fit continues it; the epochs of this call started at 1).
        epoch = len(net.history)
        print_log = dict(net.callbacks_).get("print_log")
        sink = print_log.sink if print_log is not None else print
        sink(
            f"  epoch {epoch}: {self._epoch_steps}/{self._steps_per_epoch} steps, "
            f"{now - self._start:.0f} s so far, about {self._left(net, now):.0f} s left"
        )

    def on_epoch_end(self, net: NeuralNet, **kwargs: object) -> None:
        self._epochs_done += 1
        self._epoch_steps = 0
        self._last = now = time.perf_counter()
        net.history.record("time_left", round(self._left(net, now), 1))

    def _left(self, net: NeuralNet, now: float) -> float:
        epochs = getattr(net, "_epochs_planned", net.max_epochs)
        steps_left = (epochs - self._epochs_done) * self._steps_per_epoch - self._epoch_steps
        return max(steps_left, 0) * (now - self._start) / max(self._steps, 1)


#: An ANSI colour code, as skorch's table marks the best epochs with.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


class PlainPrintLog(PrintLog):
    """skorch's table of epochs, without its colours where the output is not
    a terminal (a log file, a notebook's captured stream): the escape codes
    were noise there, and scikit-learn's verbose output has none."""

    def format_row(self, row: dict, key: str, color: str) -> object:
        text = super().format_row(row, key, color)
        if isinstance(text, str) and not getattr(sys.stdout, "isatty", lambda: False)():
            return _COLOUR.sub("", text)
        return text


class AutoEncoderNet(NeuralNet):
    """skorch net for autoencoders (private; built by the estimators).

    Parameters
    ----------
    module : AutoEncoderModule
        The initialised torch module.
    criterion : torch.nn.Module
        Per-sample reconstruction loss (see :mod:`skae._reconstruction`).
    penalties : mapping of str to callable, default=None
        Extra loss terms ``penalty(module, x_in, out) -> scalar tensor``,
        added to the reconstruction term and logged under their names.
    corruption : callable, default=None
        ``corruption(x) -> x_tilde``, applied to training batches only.
    rows_per_epoch : int, default=None
        Rows of each training epoch, a fresh random subset each time; None
        for all of them.
    **kwargs
        Passed to :class:`skorch.NeuralNet`.
    """

    def __init__(
        self,
        module: torch.nn.Module,
        criterion: torch.nn.Module,
        *args: object,
        penalties: Mapping[str, Penalty] | None = None,
        corruption: Corruption | None = None,
        rows_per_epoch: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(module, criterion, *args, **kwargs)
        self.penalties = penalties
        self.corruption = corruption
        self.rows_per_epoch = rows_per_epoch

    @property
    def _default_callbacks(self) -> list[tuple[str, Callback]]:
        return [
            (name, PlainPrintLog() if name == "print_log" else callback)
            for name, callback in super()._default_callbacks
        ]

    # --- learning-rate schedules across calls ----------------------------
    def schedules(self) -> dict[str, tuple[type, dict]]:
        """The class and state of each started learning-rate schedule, by
        callback name."""
        return {
            name: (type(callback.lr_scheduler_), deepcopy(callback.lr_scheduler_.state_dict()))
            for name, callback in getattr(self, "callbacks_", [])
            if isinstance(callback, LRScheduler)
            and getattr(callback, "lr_scheduler_", None) is not None
        }

    def restore_schedules(self, states: Mapping[str, tuple[type, dict]]) -> None:
        """Put the schedules back as :meth:`schedules` found them (the
        optimiser's rates are restored with the optimiser's state)."""
        for name, callback in getattr(self, "callbacks_", []):
            scheduler = getattr(callback, "lr_scheduler_", None)
            if name in states and type(scheduler) is states[name][0]:
                scheduler.load_state_dict(deepcopy(states[name][1]))

    def _resume_best_scores(self) -> None:
        """Start each scoring callback from the best score in the history.

        skorch's scoring callbacks keep their best score so far in
        themselves, so fresh ones (a loaded model's, a warm start's, those
        set since) would call the first epoch of this call the best
        (``train_loss_best``) whatever came before, where the same model
        kept in memory compares it with every epoch in its history."""
        for _, callback in getattr(self, "callbacks_", []):
            if not isinstance(callback, PassthroughScoring | EpochScoring):
                continue
            if getattr(callback, "skae_best_of", None) is self.history:
                # Resumed before, and kept up to date since by skorch: a scan
                # of the history at every call of a stream made each call
                # slower (97 ms after 200,000 one-row calls).
                continue
            callback.skae_best_of = self.history
            lower = callback.lower_is_better
            # A NaN epoch never counted as best (comparisons with NaN fail).
            scores = [row.get(callback.name) for row in self.history]
            scores = [s for s in scores if isinstance(s, float | int) and math.isfinite(s)]
            if scores and lower is not None:
                callback.best_score_ = min(scores) if lower else max(scores)

    def notify(self, method_name: str, **cb_kwargs: object) -> None:
        if method_name != "on_train_begin":
            return super().notify(method_name, **cb_kwargs)
        # skorch's LRScheduler builds a new torch scheduler at each call,
        # started at the history's epoch: building it takes a step (a
        # chainable schedule such as ExponentialLR then moves the rate twice
        # per one-epoch partial_fit), and a warm start's fresh optimiser
        # restarts from ``lr``. Continue each schedule where it stopped: the
        # callbacks' own (partial_fit), or those of the net a warm start
        # continues (``skae_schedules``, set by the estimator); or, when
        # ``lr`` was set since (``skae_restart_schedules``), from that rate.
        restart = getattr(self, "skae_restart_schedules", False)
        carried = {} if restart else {**self.schedules(), **getattr(self, "skae_schedules", {})}
        self.skae_schedules, self.skae_restart_schedules = {}, False
        rates = [group["lr"] for group in self.optimizer_.param_groups]
        # torch resumes a schedule (skorch starts it at the history's epoch)
        # only with the optimiser's starting rate recorded: a model trained
        # without one, or a loaded one, has none. (Not at a first fit: torch
        # records it then, after a schedule such as CyclicLR set its own.)
        if len(self.history):
            for group in self.optimizer_.param_groups:
                group.setdefault("initial_lr", group["lr"])
        self._resume_best_scores()
        super().notify(method_name, **cb_kwargs)
        for name, callback in self.callbacks_:
            scheduler = getattr(callback, "lr_scheduler_", None)
            if scheduler is None or not isinstance(callback, LRScheduler):
                continue
            kind, state = carried.get(name, (None, None))
            if restart or type(scheduler) is not kind:
                if not (restart or len(self.history)):
                    continue  # a first fit: the schedule starts as skorch built it
                # A new schedule on a model in training (its callbacks set
                # since, or a loaded model's) starts from the rate the
                # optimiser has, or from ``lr`` when that was set since: not
                # one step past it (building it took a step).
                start = [self.lr] * len(rates) if restart else rates
                state = scheduler.state_dict()
                for key in ("base_lrs", "_last_lr") if restart else ("_last_lr",):
                    if key in state:
                        state[key] = list(start)
                if callback.step_every == "batch" and "last_epoch" in state:
                    # skorch starts it at the history's epoch count; stepped
                    # per batch, it has taken one step per batch so far.
                    state["last_epoch"] = callback.batch_idx_
                if isinstance(scheduler, torch.optim.lr_scheduler.CosineAnnealingWarmRestarts):
                    # CosineAnnealingWarmRestarts also keeps its place in its
                    # cycle, which skorch's start derived with one restart at
                    # most: from the step count, as torch's step(epoch) does.
                    state["T_cur"], state["T_i"] = _restart_phase(
                        state["last_epoch"], state["T_0"], state["T_mult"]
                    )
            scheduler.load_state_dict(state)
            # The rates it had reached (none recorded: as skorch left them).
            last = state.get("_last_lr", [])
            for group, lr in zip(self.optimizer_.param_groups, last, strict=False):
                group["lr"] = lr

    # --- data -----------------------------------------------------------
    def get_dataset(self, X: object, y: object = None) -> TensorData:
        if isinstance(X, TensorData):
            return X
        if isinstance(X, ScaledRows):
            return TensorData(X)
        return TensorData(torch.as_tensor(X, device=self.device))

    def get_iterator(self, dataset: TensorData, training: bool = False) -> TensorBatches:
        rows = self.rows_per_epoch if training else None
        return TensorBatches(dataset.X, self.batch_size, shuffle=training, rows=rows)

    # --- loss -----------------------------------------------------------
    def loss_terms(
        self, out: dict[str, torch.Tensor], x: torch.Tensor, x_in: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """The named terms whose sum is the training loss, for one batch."""
        terms = {"reconstruction": self.criterion_(out, x).mean()}
        for name, penalty in (self.penalties or {}).items():
            terms[name] = penalty(self.unwrapped(self.module_), x_in, out)
        return terms

    def get_loss(
        self,
        y_pred: dict[str, torch.Tensor],
        y_true: torch.Tensor,
        X: torch.Tensor | None = None,
        training: bool = False,
    ) -> torch.Tensor:
        terms = self.loss_terms(y_pred, y_true, y_true if X is None else X)
        # Summed from the first term, not from 0: one kernel fewer per batch.
        loss, *others = terms.values()
        for term in others:
            loss = loss + term
        self._accumulate(terms, len(y_true))
        return loss

    def _accumulate(self, terms: dict[str, torch.Tensor], n: int) -> None:
        # Summed as tensors, read once per epoch: no per-batch device sync.
        sums = self._epoch_sums
        if len(terms) > 1:
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + value.detach() * n
            # The first batch's terms, from weights no step of the epoch has
            # touched: which of them a divergence started in.
            self._first_terms = getattr(self, "_first_terms", None) or {
                name: value.detach() for name, value in terms.items()
            }
        sums["n"] = sums.get("n", 0) + n

    # --- hooks for data-parallel training (see :mod:`skae._accelerate`) ---
    def unwrapped(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` itself, not a wrapper that a parallel trainer put around it."""
        return module

    def backward(self, loss: torch.Tensor) -> None:
        loss.backward()

    def autocast(self) -> AbstractContextManager:
        """The context of a training forward pass (mixed precision, if any)."""
        return nullcontext()

    def average_over_processes(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` averaged over the processes that train together: each
        saw its own share of the batches, and their histories must agree."""
        return values

    # --- steps ----------------------------------------------------------
    def _set_training(self, training: bool = True) -> None:
        # skorch calls this on every batch, and Module.train walks every
        # submodule (23 us a call), a large part of the per-batch overhead.
        # The walk is skipped while the top-level modules are in that mode.
        modules = [getattr(self, name + "_") for name in self._modules + self._criteria]
        if any(isinstance(m, torch.nn.Module) and m.training != training for m in modules):
            super()._set_training(training)

    def train_step_single(self, batch: torch.Tensor, **fit_params: object) -> dict:
        self._set_training(True)
        x_in = self.corruption(batch) if self.corruption is not None else batch
        if any(getattr(p, "needs_input_grad", False) for p in (self.penalties or {}).values()):
            # The penalty differentiates the codes with respect to the input:
            # recording it in this forward pass spares the penalty a second one.
            x_in = x_in.detach().requires_grad_(True)
        with self.autocast():
            out = self.infer(x_in, **fit_params)
            loss = self.get_loss(out, batch, X=x_in, training=True)
        self.backward(loss)
        return {"loss": loss, "y_pred": out}

    def validation_step(self, batch: torch.Tensor, **fit_params: object) -> dict:
        self._set_training(False)
        # A penalty that differentiates the encoder enables grad for itself.
        with torch.no_grad():
            out = self.infer(batch, **fit_params)
            loss = self.get_loss(out, batch, X=batch, training=False)
        return {"loss": loss, "y_pred": out}

    def fit_loop(self, X: object, y: object = None, epochs: int | None = None, **fit_params):
        # What this call will train, for TimeLeft: partial_fit runs fewer
        # epochs than max_epochs.
        self._epochs_planned = self.max_epochs if epochs is None else epochs
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def _smaller_weights(self) -> str:
        """The end of a divergence's advice naming what else sizes the loss
        or its gradient: the penalties' weights, a weight decay, Gaussian
        input noise (noise_std=1e30 diverged with advice on the rate and the
        input alone, both as the user had left them)."""
        named = [f"weight of the penalty term {name!r}" for name in self.penalties or {}]
        decay = getattr(self, "optimizer__weight_decay", 0.0) or 0.0
        if decay > 0:
            named.append(f"weight_decay (now {decay:g})")
        std = getattr(self.corruption, "std", None)
        if std is not None:
            named.append(f"noise_std (now {std:g})")
        return ", or a smaller " + " or ".join(named) if named else ""

    def run_single_epoch(
        self, iterator: TensorBatches | None, training: bool, prefix: str, step_fn, **fit_params
    ) -> None:
        # skorch's loop, less its per-batch ``loss.item()``: batch losses stay on
        # the device and reach the history together, one sync per epoch.
        if iterator is None:
            return
        self._epoch_sums: dict = {}
        self._first_terms: dict | None = None
        losses: list[torch.Tensor] = []
        # A schedule that reads each batch's loss (ReduceLROnPlateau stepped
        # per batch) has it at once, as in skorch's loop.
        each_batch = self._batch_losses_read()
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            losses.append(step["loss"].detach())
            self.history.record_batch(prefix + "_batch_size", len(batch))
            if each_batch:
                self.history.record_batch(prefix + "_loss", losses[-1].item())
            self.notify("on_batch_end", batch=batch, training=training, **step)
        self.history.record(prefix + "_batch_count", len(losses))
        if not losses:
            return
        values = self.average_over_processes(torch.stack(losses).float()).tolist()
        for row, value in zip(self.history[-1]["batches"][-len(values) :], values, strict=True):
            row[prefix + "_loss"] = value
        bad = [v for v in values if not math.isfinite(v)]
        if bad:
            advice = (
                f"Try a lower learning rate than lr={self.lr}, or check the input for "
                f"extreme values{self._smaller_weights()}."
            )
            # Which terms the first batch broke in: a penalty alone (beta=1e39,
            # say) is its weight's doing, which a lower learning rate does not
            # mend. (After a bad step every term is NaN.)
            first = self._first_terms if not math.isfinite(values[0]) else None
            broken = [n for n, v in (first or {}).items() if not torch.isfinite(v).all()]
            penalties = [name for name in broken if name in self.penalties]
            if penalties and len(penalties) == len(broken):
                advice = (
                    f"The penalty term {', '.join(map(repr, penalties))} is not finite: try "
                    f"a smaller weight for it, or a lower learning rate than lr={self.lr}."
                )
            elif (
                math.isfinite(values[0])
                and not any(math.isinf(v) for v in values)
                and self._optimizer_state_nan()
            ):
                # A finite first loss, then NaN losses and running averages
                # and nothing infinite: the signature of a NaN gradient under a finite
                # value (a probe's penalty), where an overflow leaves inf.
                advice += (
                    " If a loss's or penalty's gradient can be NaN where its value is "
                    "finite (torch.where over a NaN, a square root at 0), that is the cause."
                )
            raise FloatingPointError(
                f"Training diverged: the {prefix} loss is {bad[0]} at epoch "
                f"{len(self.history)}. {advice}"
            )
        if training and not self._optimizer_state_finite():
            # A loss that grows linearly (Huber) stays finite on an extreme
            # value where the squared error overflows, but the gradient's
            # square in Adam's running average can still overflow: the
            # parameters it feeds then never move again, silently.
            # A finite loss with a NaN gradient is a hook's doing (torch.where
            # over a NaN, a square root at 0), not an overflow (a probe was
            # sent to lower the learning rate).
            cause = (
                "a gradient that is NaN though the loss is finite: check the loss and "
                "penalty hooks (torch.where over a NaN, a square root at 0)"
                if self._optimizer_state_nan()
                else "a gradient beyond float32's range"
            )
            raise FloatingPointError(
                f"Training diverged: the optimizer's running averages overflowed at epoch "
                f"{len(self.history)} ({cause}). Check the input for extreme values, or "
                f"try a lower learning rate than lr={self.lr}{self._smaller_weights()}."
            )
        sums, self._epoch_sums = self._epoch_sums, {}
        n = sums.pop("n")
        for name, value in sums.items():
            self.history.record(f"{prefix}_{name}", (self.average_over_processes(value) / n).item())

    def _optimizer_state(self) -> list[torch.Tensor]:
        """The floating-point tensors of the optimizer's state (Adam's
        running averages)."""
        optimizer = getattr(self, "optimizer_", None)
        return [
            value
            for state in (optimizer.state.values() if optimizer is not None else ())
            for value in state.values()
            if torch.is_tensor(value) and value.is_floating_point()
        ]

    def _optimizer_state_finite(self) -> bool:
        """Whether the optimizer's state is finite, in one device sync."""
        checks = [torch.isfinite(value).all() for value in self._optimizer_state()]
        return not checks or bool(torch.stack(checks).all())

    def _optimizer_state_nan(self) -> bool:
        """Whether the optimizer's state holds a NaN and no inf (an overflow
        leaves inf there)."""
        values = self._optimizer_state()
        return any(bool(torch.isnan(v).any()) for v in values) and not any(
            bool(torch.isinf(v).any()) for v in values
        )

    def _batch_losses_read(self) -> bool:
        """Whether a callback reads each batch's loss as the batch ends: a
        metric-driven schedule (ReduceLROnPlateau) stepped per batch."""
        for _, callback in getattr(self, "callbacks_", []):
            policy = getattr(callback, "policy_", getattr(callback, "policy", None))
            plateau = policy in ("ReduceLROnPlateau", torch.optim.lr_scheduler.ReduceLROnPlateau)
            if plateau and getattr(callback, "step_every", None) == "batch":
                return True
        return False

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_epoch_sums", None)
        state.pop("_first_terms", None)
        # ``module`` and ``criterion`` were passed as instances, so they are
        # ``module_`` and ``criterion_``, which skorch stores apart so they can
        # be loaded on another device. Pickling them again here would tie the
        # file to the training device (and store the weights twice).
        state["module"] = state["criterion"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self.module, self.criterion = self.module_, self.criterion_


class NetSnapshot:
    """A network as pickle would store it, taken now: its weights, optimiser
    and loss serialised (skorch's ``__getstate__``), its history and
    callbacks copied, so that training after this moment does not reach the
    pickle (see the estimators' ``__getstate__``). It unpickles, or
    deep-copies, as the network. The live tensors are serialised, not copies
    of them: a tensor's pickle names its storage by address, and copies
    pickled the same model to other bytes each time (Dask hashes a
    function's pickle to name it)."""

    def __init__(self, net: NeuralNet) -> None:
        self.net_class = type(net)
        self.state = net.__getstate__()
        # Both are changed in place by training (a schedule's step count).
        # What they refer to of the network's serialised parts (a schedule's
        # optimiser) is kept as it is, not copied: a copy's new tensors gave
        # the pickle other bytes each time.
        serialised = {
            id(value): value
            for name, value in vars(net).items()
            if any(name.startswith(prefix) for prefix in net.cuda_dependent_attributes_)
        }
        for name in ("history_", "callbacks_"):
            if name in self.state:
                self.state[name] = deepcopy(self.state[name], dict(serialised))

    def __reduce__(self) -> tuple:
        return _net_from_state, (self.net_class, self.state)

    def restore(self) -> NeuralNet:
        """The network (skorch's ``__setstate__`` consumes its state: a copy)."""
        return _net_from_state(self.net_class, dict(self.state))


def _net_from_state(net_class: type, state: dict) -> NeuralNet:
    net = net_class.__new__(net_class)
    net.__setstate__(state)
    return net


def _restart_phase(step: int, first: int, factor: int) -> tuple[int, int]:
    """Where ``step`` falls in CosineAnnealingWarmRestarts' cycles of
    ``first``, ``first * factor``, ... steps: the steps into its cycle, and
    the cycle's length."""
    if factor == 1:
        return step % first, first
    length = first
    while step >= length:
        step -= length
        length *= factor
    return step, length
