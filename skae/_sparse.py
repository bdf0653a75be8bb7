"""Sparse autoencoder: a sparsity penalty on the code."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn

from ._base import BaseAutoEncoder
from ._docs import fill_doc
from ._latent import ActivatedLatent
from ._net import Penalty
from ._penalties import (
    PENALTY_WON_EPOCHS,
    KLSparsity,
    L1Sparsity,
    checked_rows,
    inference_outputs,
    no_better_than_means,
)
from ._training_checks import MIN_ROWS_FOR_FAILURE, training_steps
from ._warnings import warn_after_training

#: ReLU codes non-zero on fewer than this share of the training rows' code
#: entries at the end of training, after codes died and were revived ...
SILENT_SHARE = 0.3
#: ... whose reconstructions are no better than the features' means
#: (``no_better_than_means``): the penalty won over the reconstruction.
#: (Healthy fits of 20 epochs had 34-90% of their entries live. A fit of one
#: epoch can have fewer live entries than that at its start: it has revived
#: no code.) Judged in a fit of ``PENALTY_WON_EPOCHS`` epochs or more: after 2
#: epochs a healthy model can have revived a code and still reconstruct no
#: better than the means.
SILENT_EPOCHS = PENALTY_WON_EPOCHS
#: ... and of this many optimiser steps or more (40 steps of sparsity_weight=100
#: on 200 rows silence the codes as surely as more).
SILENT_STEPS = 20


class ReviveDeadCodes(Callback):
    """Give ReLU codes that no training row activates a fresh start.

    A ReLU code whose input is negative for every row gets no gradient from
    the reconstruction, and the L1 penalty only pushes it further down: it is
    dead for good, and a model with few codes loses a large part of its
    capacity (3 codes on a rank-3 table: one of them dead for 3 seeds of 5,
    with a reconstruction error 30 times that of the other seeds). Before each
    epoch this looks at the codes of up to ``rows`` training rows; a code
    positive on none of them gets new random input weights and a bias that
    makes it positive on about half of those rows, and weights into the
    decoder in a random direction, as long as a live code's. The optimiser's
    running moments of those weights are reset: the first to zero, the
    second to the live codes' mean. A revived code that the decoder ignored
    (zero weights there) and whose moments started from zero died again
    within the epoch, every epoch: its only gradient was the penalty's, which
    Adam took for full steps of the learning rate (a probe: default fits on
    digits and on a 384-feature table ended with 1-3 of 8 and 2-9 of 16 codes
    zero on every row; now none, and the held-out reconstruction error is
    10-43% lower at 16 codes; ``benchmarks/results/sparse_revival.md``). The
    number of codes revived is recorded in the history (``revived_codes``).

    The draws come from a generator seeded by torch's seed (which the
    estimator sets from ``random_state``) and the epoch, so a fit stays
    deterministic and every process of a data-parallel fit revives alike.
    """

    def __init__(self, rows: int = 2048) -> None:
        self.rows = rows

    def _dead(self, net: NeuralNet, X: torch.Tensor, generator: torch.Generator):
        """Up to ``rows`` random rows of ``X``, and which codes none of them
        activates."""
        module = net.unwrapped(net.module_)
        rows = X[torch.randperm(len(X), generator=generator)[: self.rows].to(X.device)]
        was_training = module.training
        module.eval()  # missing entries filled, as the codes of transform see them
        with torch.no_grad():
            dead = ~(module.encoder_output(rows) > 0).any(dim=0)
        module.train(was_training)
        return rows, dead

    def on_train_end(self, net: NeuralNet, X: object = None, **kwargs) -> None:
        """Warn when the penalty silenced the codes: codes died during
        training, most entries are zero at its end, and the reconstructions
        are no better than the features' means (in the median row). A revival in the last epochs
        leaves a few live codes, so the check for every code constant (the
        collapse) missed a sparsity_weight of 100 on 2 seeds in 3, while the
        model reconstructed nothing."""
        revived = [row.get("revived_codes", 0) for row in net.history]
        rows = checked_rows(X, self.rows, MIN_ROWS_FOR_FAILURE)
        if rows is None or len(revived) < SILENT_EPOCHS or not any(revived):
            return
        # Nor in a fit of few steps, where the network has not learned yet
        # whatever the penalty (a probe: 10 steps on 100 rows said the
        # penalty silenced the codes, and at sparsity_weight=0 the fit was
        # as far from learning, 1.005 of the means' error both ways).
        if training_steps(net) < SILENT_STEPS:
            return
        out = inference_outputs(net, rows)
        live = float((out["z"] > 0).double().mean())
        if live == 0.0 or live >= SILENT_SHARE:
            return  # every code dead is the collapse, which is reported after training
        if no_better_than_means(net, rows, out):
            warn_after_training(
                net,
                f"The sparsity penalty silenced the codes: {live:.1%} of the training rows' "
                "code entries are non-zero at the end of training, and the reconstructions "
                "are no better than the features' means. Try a smaller sparsity_weight, or "
                "a lower learning rate.",
                ConvergenceWarning,
            )

    def on_epoch_begin(self, net: NeuralNet, dataset_train: object = None, **kwargs) -> None:
        module = net.unwrapped(net.module_)
        X = getattr(dataset_train, "X", None)
        if X is None or len(X) == 0:
            return
        if getattr(net, "skae_chunk", False) and len(X) < self.rows:
            # A sparse code is zero on most rows: on a partial_fit chunk of
            # fewer rows than a fit judges on, live codes looked dead, and
            # 100 one-row chunks reset 617 of them, leaving reconstructions
            # no better than the means (a probe). A fit judges on all its
            # rows, however few: a code none of them activates is dead.
            net.history.record("revived_codes", 0)
            return
        generator = torch.Generator().manual_seed(torch.initial_seed() + len(net.history))
        rows, dead = self._dead(net, X, generator)
        encoder_out = [m for m in module.encoder.modules() if isinstance(m, nn.Linear)][-1]
        decoder_in = [m for m in module.decoder.modules() if isinstance(m, nn.Linear)][0]
        was_training = module.training
        module.eval()
        with torch.no_grad():
            n_dead = int(dead.sum())
            if n_dead:
                self._reset(net, encoder_out, decoder_in, dead, generator)
                # The bias that puts each revived code's median at zero.
                encoder_out.bias[dead] = 0.0
                pre = module.encoder_output(rows)[:, dead]
                encoder_out.bias[dead] = -pre.median(dim=0).values
        module.train(was_training)
        net.history.record("revived_codes", n_dead)

    @staticmethod
    def _reset(
        net: NeuralNet,
        encoder_out: nn.Linear,
        decoder_in: nn.Linear,
        dead: torch.Tensor,
        generator: torch.Generator,
    ) -> None:
        # torch's own initialisation of a linear layer's weights.
        bound = 1.0 / math.sqrt(encoder_out.in_features)
        weight = torch.rand(
            (int(dead.sum()), encoder_out.in_features), generator=generator, dtype=torch.float32
        )
        encoder_out.weight[dead] = ((2 * weight - 1) * bound).to(encoder_out.weight)
        live = ~dead
        if live.any():
            # A random direction into the decoder, as long as a live code's:
            # with zero weights there, the penalty was a revived code's only
            # gradient and killed it again within the epoch.
            direction = torch.randn(
                (decoder_in.out_features, int(dead.sum())), generator=generator, dtype=torch.float32
            )
            length = decoder_in.weight[:, live].norm(dim=0).mean()
            direction = direction / direction.norm(dim=0, keepdim=True).clamp_min(1e-12)
            decoder_in.weight[:, dead] = (direction * length).to(decoder_in.weight)
        else:
            decoder_in.weight[:, dead] = 0.0
        parts = [
            (encoder_out.weight, (dead,), (live,)),
            (encoder_out.bias, (dead,), (live,)),
            (decoder_in.weight, (slice(None), dead), (slice(None), live)),
        ]
        for param, index, live_index in parts:
            for name, moment in net.optimizer_.state.get(param, {}).items():
                if name == "step" or moment.shape != param.shape:
                    continue
                # Second moments from the live codes', not 0 (the docstring).
                fresh = moment[live_index].mean() if name == "exp_avg_sq" and live.any() else 0.0
                moment[index] = fresh


@fill_doc(defaults={"loss": '"squared_error"'})
class SparseAutoEncoder(BaseAutoEncoder):
    """Sparse autoencoder: a penalty drives code entries to zero.

    The reconstruction loss gets a sparsity penalty on the codes ``z = f(x)``,
    either L1 on non-negative (ReLU) codes,

    .. math:: L = L_{rec} + \\lambda \\frac{1}{n} \\sum_i \\lVert z_i \\rVert_1,

    or, for sigmoid codes in (0, 1), the KL divergence between a target
    activation rate :math:`\\rho` and each unit's mean activation
    :math:`\\hat\\rho_j` over the batch,

    .. math:: L = L_{rec} + \\lambda \\sum_j \\rho \\log\\frac{\\rho}{\\hat\\rho_j}
              + (1 - \\rho) \\log\\frac{1 - \\rho}{1 - \\hat\\rho_j}.

    With a weight strong enough for the data, each sample is then described
    by a few active units, which makes the codes easier to interpret and lets
    the code be overcomplete (``n_components`` larger than the number of
    features) without learning the identity. The default weight is mild: on
    most tables most code entries stay non-zero (see the user guide's
    :ref:`kind_sparse`); raise ``sparsity_weight`` step by step for sparser
    codes, until ``fit`` warns. The default suits the L1 penalty; the KL penalty
    needs a weight of about 0.1 to 1 before the units' mean activation
    approaches ``sparsity_target`` (on digits with 16 codes, a target of 0.05
    gave a mean activation of 0.43 at 1e-3, 0.07 at 0.1 and 0.05 at 1;
    ``benchmarks/doc_figures.py``, section 17).

    An L1 code that no training row activates gets no gradient and would stay
    dead: before each epoch such codes get new input weights, weights into the
    decoder in a random direction, and the optimiser state of a live code, so
    that training puts them to use; ``net_.history`` records how many as
    ``revived_codes``. A ``partial_fit`` chunk of fewer than 2,048 rows
    revives none: on so few rows a live sparse code can be zero on every one.
    Too strong a penalty or too high a learning rate kills every code again
    within an epoch, and ``fit`` then warns (a ``ConvergenceWarning``): that
    the network collapsed when every code is dead at the end, or that the
    penalty silenced the codes when, in a fit of 5 epochs and 20 optimiser
    steps or more, codes died
    during training, they are non-zero on under 30% of the training rows'
    entries at its end, and the median row is reconstructed no better than
    by the features' means. The KL penalty
    keeps sigmoid codes alive at their target rate, so a weight that wins
    over the reconstruction there is not detected: check that the
    ``train_reconstruction`` column of ``net_.history`` fell over the epochs.

    Parameters
    ----------
    %(parameters)s
    sparsity : {"l1", "kl"}, default="l1"
        The penalty: L1 on ReLU codes, or KL divergence to ``sparsity_target``
        on sigmoid codes.
    sparsity_weight : float, default=1e-3
        Weight :math:`\\lambda` of the penalty.
    sparsity_target : float in (0, 1), default=0.05
        Target mean activation :math:`\\rho` of each unit (``sparsity="kl"``),
        approached only at a weight of about 0.1 or more.

    Attributes
    ----------
    %(attributes)s

    See Also
    --------
    AutoEncoder : Linear codes and no penalty.
    sklearn.decomposition.DictionaryLearning : Linear sparse coding.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import SparseAutoEncoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> sae = SparseAutoEncoder(n_components=128, max_epochs=5, random_state=0).fit(X)
    >>> sae.transform(X).shape
    (1797, 128)
    """

    _parameter_constraints: dict = {
        **BaseAutoEncoder._parameter_constraints,
        "sparsity": [StrOptions({"l1", "kl"})],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    }
    # L1 sparsity gives ReLU codes, KL sigmoid ones: another network.
    _network_parameter_names = (*BaseAutoEncoder._network_parameter_names, "sparsity")

    def __init__(
        self,
        n_components: str | int = "auto",
        *,
        hidden_layer_sizes: str | tuple[int, ...] = "auto",
        activation: str = "relu",
        architecture: str = "dense",
        image_shape: tuple[int, int, int] | None = None,
        scaling: str = "auto",
        categorical_features: str | list | np.ndarray | None = "from_dtype",
        loss: str = "squared_error",
        max_epochs: str | int = "auto",
        batch_size: str | int = "auto",
        lr: str | float = "auto",
        weight_decay: float = 0.0,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        patience: int = 10,
        contamination: str | float = "auto",
        tail_screen: float | None = None,
        device: str = "cpu",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        callbacks: list | None = None,
        accelerator: object | None = None,
        sparsity: str = "l1",
        sparsity_weight: float = 1e-3,
        sparsity_target: float = 0.05,
    ) -> None:
        super().__init__(
            n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            architecture=architecture,
            image_shape=image_shape,
            scaling=scaling,
            categorical_features=categorical_features,
            loss=loss,
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            contamination=contamination,
            tail_screen=tail_screen,
            device=device,
            random_state=random_state,
            verbose=verbose,
            warm_start=warm_start,
            callbacks=callbacks,
            accelerator=accelerator,
        )
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.sparsity_target = sparsity_target

    def _make_latent(self) -> nn.Module:
        return ActivatedLatent(nn.Sigmoid() if self.sparsity == "kl" else nn.ReLU())

    def _make_callbacks(self) -> list[tuple[str, Callback]]:
        # Sigmoid codes (KL) never stop receiving gradient; ReLU codes can.
        return [] if self.sparsity == "kl" else [("revive_dead_codes", ReviveDeadCodes())]

    _regulariser_parameter = "sparsity_weight"

    def _regulariser_off(self) -> str | None:
        return "sparsity_weight=0" if self.sparsity_weight == 0 else None

    def _make_penalties(self) -> dict[str, Penalty]:
        if self.sparsity == "kl":
            return {"sparsity": KLSparsity(self.sparsity_weight, self.sparsity_target)}
        return {"sparsity": L1Sparsity(self.sparsity_weight)}
