"""Training through Hugging Face Accelerate: several GPUs (or processes), mixed
precision.

An estimator given ``accelerator=Accelerator(...)`` trains with
:class:`AcceleratedAutoEncoderNet`: skorch's ``skorch.hf.AccelerateMixin``
(which prepares the module, criterion and optimiser, and unwraps them after
training) on top of skae's own net. Started with ``accelerate launch`` or
``torchrun``, every process runs the same script on the same data; each trains
on its share of every shuffled epoch (see
:class:`~skae._net.TensorBatches`), the gradients are averaged across
processes at each step, and the per-epoch losses are averaged so that every
process keeps the same history and takes the same early-stopping decision.
The work after training (the scoring pass and the code density) runs in every
process on the same unwrapped weights, so each ends with the same fitted
estimator.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import torch
from skorch.callbacks import LRScheduler
from skorch.hf import AccelerateMixin

from ._net import AutoEncoderNet, TensorBatches, TensorData


class AcceleratedAutoEncoderNet(AccelerateMixin, AutoEncoderNet):
    """:class:`~skae._net.AutoEncoderNet` trained through an ``accelerate.Accelerator``."""

    # The mixin's own step unpacks (X, y) batches; skae's step reaches the
    # accelerator through the hooks below instead.
    train_step_single = AutoEncoderNet.train_step_single

    def get_iterator(self, dataset: TensorData, training: bool = False) -> TensorBatches:
        # The mixin would hand the iterator to ``accelerator.prepare``, which
        # shards torch DataLoaders only; skae's batches shard themselves.
        batches = AutoEncoderNet.get_iterator(self, dataset, training=training)
        if training:
            batches.shard = (self.accelerator.process_index, self.accelerator.num_processes)
        return batches

    def unwrapped(self, module: torch.nn.Module) -> torch.nn.Module:
        return self.accelerator.unwrap_model(module, keep_fp32_wrapper=True)

    def backward(self, loss: torch.Tensor) -> None:
        self.accelerator.backward(loss)

    def autocast(self) -> AbstractContextManager:
        return self.accelerator.autocast()

    def average_over_processes(self, values: torch.Tensor) -> torch.Tensor:
        return self.accelerator.reduce(values, reduction="mean")

    def _prepare_modules(self) -> None:
        # DistributedDataParallel refuses a module with nothing to train (the
        # squared error has no parameters), which the mixin would hand it; such
        # a module is only moved to the device.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if not isinstance(module, torch.nn.Module):
                continue
            if any(p.requires_grad for p in module.parameters()):
                setattr(self, name + "_", self.accelerator.prepare(module))
            else:
                module.to(self.accelerator.device)

    def _initialize_accelerator(self) -> AcceleratedAutoEncoderNet:
        if self._wrapped_with_accelerator:
            return self
        self._prepare_modules()
        for name in self._optimizers:
            optimizer = getattr(self, name + "_")
            if isinstance(optimizer, torch.optim.Optimizer):
                setattr(self, name + "_", self.accelerator.prepare(optimizer))
        # As skorch's AccelerateMixin does. With skorch 1.x ``policy_`` is the
        # scheduler's class, which prepare returns as it is (the scheduler
        # steps through LRScheduler, skipped steps included), so the
        # schedulers' half of _prepared_steppers finds none; it is kept for
        # a policy_ that is a scheduler, which prepare wraps.
        for _, callback in self.callbacks_:
            if isinstance(callback, LRScheduler):
                callback.policy_ = self.accelerator.prepare(callback.policy_)
        self._wrapped_with_accelerator = True
        return self

    def on_train_begin(self, net: AutoEncoderNet, X: object = None, y: object = None, **kwargs):
        # ``partial_fit`` continues a net whose modules were unwrapped at the
        # end of the last call: wrap them again, or the processes would train
        # apart. The optimiser, already prepared, holds the same parameters.
        if not self._wrapped_with_accelerator:
            self._prepare_modules()
            self._wrapped_with_accelerator = True
        # Registered again for the call (on_train_end let them go): the
        # accelerator unscales and clips the gradients of the optimisers it
        # lists.
        for listed, prepared in self._prepared_steppers():
            if not any(p is o for o in listed for p in prepared):
                listed.extend(prepared)
        return super().on_train_begin(net, X=X, y=y, **kwargs)

    def _prepared_steppers(self) -> list[tuple[list, list]]:
        """The accelerator's lists of optimisers and schedulers, each with the
        ones this net prepared."""
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        policies = [
            callback.policy_
            for _, callback in self.callbacks_
            if isinstance(callback, LRScheduler) and hasattr(callback, "policy_")
        ]
        pairs = []
        for attribute, mine in (("_optimizers", optimizers), ("_schedulers", policies)):
            listed = getattr(self.accelerator, attribute, None)
            if listed is not None:
                pairs.append(
                    (listed, [m for m in mine if type(m).__module__.startswith("accelerate")])
                )
        return pairs

    def partial_fit(self, X: object, y: object = None, classes: object = None, **fit_params):
        try:
            return super().partial_fit(X, y, classes=classes, **fit_params)
        except Exception:
            # skorch's partial_fit skips on_train_end when training raises (a
            # diverging loss, a failing callback): the module stayed wrapped,
            # in DistributedDataParallel, whose weights' names the estimator's
            # rollback could not load the last call's into (the model was
            # left unusable), and the accelerator kept this net's module and
            # optimiser. No wait for the other processes: they fail at the
            # same epoch, the losses being averaged, or not at all.
            wrappers = [getattr(self, name + "_") for name in self._modules + self._criteria]
            self._unwrap_accelerator()
            self._release(wrappers)
            raise

    def on_train_end(self, net: AutoEncoderNet, X: object = None, y: object = None, **kwargs):
        wrappers = [getattr(self, name + "_") for name in self._modules + self._criteria]
        super().on_train_end(net, X=X, y=y, **kwargs)
        self._release(wrappers)

    def _release(self, wrappers: list) -> None:
        """Take this net's prepared ``wrappers``, optimisers and schedulers off
        the accelerator's lists, and record its device."""
        # The accelerator keeps a reference to every model it prepared, and
        # each ``partial_fit`` prepares the modules anew: without this, every
        # chunk of a stream would leave a DistributedDataParallel wrapper (and
        # its gradient buckets) alive. It lists the module as prepared (one
        # process) or the module inside the wrapper (several; a probe found
        # each call of two processes leaving one behind): both are let go.
        mine = wrappers + [getattr(self, name + "_") for name in self._modules + self._criteria]
        prepared = getattr(self.accelerator, "_models", None)
        if prepared is not None:
            prepared[:] = [m for m in prepared if not any(m is w for w in mine)]
        # Its optimiser and schedulers too: each fit prepares new ones, and the
        # user's accelerator (a parameter) listed every earlier fit's, with the
        # weights they hold.
        for listed, mine in self._prepared_steppers():
            listed[:] = [o for o in listed if not any(o is m for m in mine)]
        # Unwrapped, the modules are plain modules on the accelerator's
        # device; saying so lets a pickled model load without skorch guessing.
        self.device = self.accelerator.device
