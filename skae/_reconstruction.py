"""Per-sample reconstruction losses, used as the skorch criterion.

Each criterion maps the module's output dict and the clean input to one loss
per sample; training takes the batch mean. ``score_samples`` reads each
criterion's ``score_terms``, which may differ from the training loss: the
Huber loss scores squared errors, the binary cross-entropy scores its excess
over the entropy floor, and a categorical column trains on cross-entropy and
scores a standardised squared error.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Bounds on the learned log standard deviation of a Gaussian decoder, in units
#: of the feature's standard deviation: a (near-)constant feature cannot drive
#: the likelihood to infinity.
LOG_SCALE_MIN, LOG_SCALE_MAX = -5.0, 3.0

#: How near 0 or 1 a probability pinned as a logit comes (``pinned``): the
#: other value costs log(1000), 6.9 nats. Nearer, float32 cannot carry it:
#: 1 - 1e-6 is off by 1% there, and ONNX's cross-entropy with it by 0.013.
PIN_EPS = 1e-3


class PerFeatureLoss(nn.Module):
    """A loss computed per feature, then averaged (or summed) over features.

    ``masked`` (set at fit when the training data have missing entries)
    leaves out the NaN terms of missing entries: the mean is over a row's
    observed entries, the sum is the likelihood of the observed entries
    alone. Complete data skip the masking, which costs a pass per batch.
    """

    #: Mean over features (True) or sum (False, for log-likelihoods).
    averages = True
    #: The loss per entry above :meth:`floor` of an output that knows nothing
    #: of the data, for a loss whose reconstructions are bounded (a blown-up
    #: network still reconstructs within the bounds; its loss shows it);
    #: None where the reconstructions' own error shows it.
    uninformed: float | None = None

    def __init__(self) -> None:
        super().__init__()
        self.masked = False

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def column_missing(self, x: torch.Tensor) -> torch.Tensor:
        """Which entries of each row are missing (one per term of :meth:`per_feature`)."""
        return torch.isnan(x)

    def column_unseen(self, x: torch.Tensor) -> torch.Tensor | None:
        """Which entries of each row hold a category unseen at fit (one per
        term of :meth:`per_feature`); None where no entry can."""
        return None

    def score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The per-feature errors an outlier score is made of: the loss's own."""
        return self.per_feature(out, x)

    def floor(self, x: torch.Tensor) -> torch.Tensor:
        """The least :meth:`per_feature` can be for ``x``, a perfect
        reconstruction's loss (NaN where ``x`` is missing): 0 here."""
        return x * 0.0

    def pinned(self, x_hat: torch.Tensor, mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """The decoder's output ``x_hat`` with its entries at ``mask`` set so
        that :meth:`reconstruct` gives ``values`` there."""
        return torch.where(mask, values.to(x_hat.dtype), x_hat)

    def draw(
        self, out: dict[str, torch.Tensor], noise: torch.Tensor, uniform: torch.Tensor
    ) -> torch.Tensor:
        """Rows drawn around the reconstruction: :meth:`reconstruct` plus
        ``noise`` (the caller's draws, one per entry; ``uniform``, draws in
        (0, 1) of the same shape, is for the categorical columns of
        :class:`MixedTypeLoss`)."""
        return self.reconstruct(out) + noise

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        if not self.masked:
            terms = self.per_feature(out, x)
            return terms.mean(dim=1) if self.averages else terms.sum(dim=1)
        # The terms of a filled target, then zeroed: a NaN term, even zeroed
        # afterwards, would make the gradient NaN.
        missing = torch.isnan(x)
        terms = self.per_feature(out, torch.nan_to_num(x, nan=0.0)).masked_fill(missing, 0.0)
        total = terms.sum(dim=1)
        if not self.averages:
            return total
        return total / (~missing).sum(dim=1).clamp(min=1)


class SquaredError(PerFeatureLoss):
    """Mean squared error over features, per sample, for real-valued data."""

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return (out["x_hat"] - x).square()

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return out["x_hat"]


class HuberError(SquaredError):
    """Trained on a Huber loss, scored on the squared error.

    Within ``DELTA`` of its target (1: one standard deviation of a standardised
    feature) an entry costs its squared error, as under :class:`SquaredError`,
    so normal rows are fitted as tightly; beyond, the cost grows linearly
    (``2 DELTA |e| - DELTA^2``, continuous with its slope), so a group of rows
    far from the rest (anomalies among the training rows) pulls the network no
    harder than rows at the edge of the spread, and is learned less. The
    outlier scores stay squared errors: what the network did not learn stands
    out by its square (``benchmarks/results/detection_ablation_13.md``).

    This is twice PyTorch's ``huber_loss``: at half the squared error, the
    terms that other losses add to it (a sparsity or contractive penalty, a
    categorical column's cross-entropy, whose weights were set against the
    squared error) weighed twice as much (``detection_ablation_14.md``).
    """

    #: The threshold between the quadratic and the linear part, in the units
    #: the network trains in (standardised features): not searched.
    DELTA = 1.0

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return 2.0 * F.huber_loss(out["x_hat"], x, reduction="none", delta=self.DELTA)

    def score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The squared errors, as :class:`SquaredError` scores."""
        return (out["x_hat"] - x).square()


class WrappedLoss(PerFeatureLoss):
    """Another loss, changed where a subclass says: the base of a kind that
    reweights, trims or adds to its parent's loss.

    Every method a subclass does not override is ``inner``'s: its terms, its
    reconstruction, the errors an outlier score is made of
    (:meth:`~PerFeatureLoss.score_terms`: a :class:`HuberError` scores with the
    squared error), its floor, draws and pinned values, and whether it
    averages. ``masked`` (set by the estimator when the data miss entries)
    is set on ``inner`` too. A subclass overrides :meth:`per_feature` (what
    training minimises), and :meth:`score_terms` if the score should change
    with it; it does not override :meth:`forward`, which leaves out the
    missing entries. On a table with categorical columns the kind's loss is
    that of the numeric columns (``n_features`` is their number, and
    ``per_feature`` sees them alone), and the estimator adds the categorical
    columns' cross-entropy beside it, unchanged: ``net_.criterion_`` is then
    the combination, which holds this loss.

    Parameters
    ----------
    inner : PerFeatureLoss
        The loss it changes, typically the parent kind's
        ``super()._make_criterion(n_features)``.
    """

    def __init__(self, inner: PerFeatureLoss) -> None:
        if not isinstance(inner, PerFeatureLoss):
            raise TypeError(f"WrappedLoss wraps a PerFeatureLoss; got {type(inner).__name__}.")
        nn.Module.__init__(self)
        self.inner = inner
        self.averages = inner.averages
        self.uninformed = inner.uninformed
        self.masked = inner.masked

    @property
    def masked(self) -> bool:
        return self.inner.masked

    @masked.setter
    def masked(self, value: bool) -> None:
        self.inner.masked = value

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return self.inner.per_feature(out, x)

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.inner.reconstruct(out)

    def column_missing(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.column_missing(x)

    def column_unseen(self, x: torch.Tensor) -> torch.Tensor | None:
        return self.inner.column_unseen(x)

    def score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return self.inner.score_terms(out, x)

    def floor(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner.floor(x)

    def pinned(self, x_hat: torch.Tensor, mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        return self.inner.pinned(x_hat, mask, values)

    def draw(
        self, out: dict[str, torch.Tensor], noise: torch.Tensor, uniform: torch.Tensor
    ) -> torch.Tensor:
        return self.inner.draw(out, noise, uniform)


class BinaryCrossEntropy(PerFeatureLoss):
    """Mean binary cross-entropy over features, per sample, for data in [0, 1].

    The decoder outputs logits; the sigmoid is applied here (and in
    :meth:`reconstruct`) so the loss is computed in its numerically stable
    form.
    """

    #: Probability 1/2 everywhere: at most log 2 above the entropy.
    uninformed = math.log(2.0)

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["x_hat"], x, reduction="none")

    def floor(self, x: torch.Tensor) -> torch.Tensor:
        """The entropy of each entry's Bernoulli(x), the cross-entropy at logit(x)."""
        # x log x with 0 log 0 = 0, as xlogy gives it, in operators ONNX has
        # (the graph of skae.to_onnx scores with it).
        tiny = torch.finfo(x.dtype).tiny
        return -(x * torch.log(x.clamp_min(tiny)) + (1 - x) * torch.log((1 - x).clamp_min(tiny)))

    def score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """The cross-entropy above its floor (the entry's entropy): a perfect
        reconstruction costs 0 whatever the value. The raw cross-entropy of
        an entry of 0.5 is log 2 at best and of 1.0 is 0, so rows of 0s and
        1s, far from data in (0, 1), scored as the most normal."""
        # Clamped: an entry outside [0, 1] has no entropy; such rows are
        # scored -inf apart (``_outside_unit_interval``).
        return self.per_feature(out, x) - self.floor(x.clamp(0.0, 1.0))

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(out["x_hat"])

    def pinned(self, x_hat: torch.Tensor, mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """As :meth:`PerFeatureLoss.pinned`, in logits: a value of 0 or 1
        within ``PIN_EPS`` of it, so that its cross-entropy stays finite."""
        logits = torch.logit(values, eps=PIN_EPS).to(x_hat.dtype)
        return torch.where(mask, logits, x_hat)


class GaussianNLL(PerFeatureLoss):
    """Negative log-likelihood of x under N(x_hat, diag(sigma^2)), per sample, in nats.

    ``sigma`` is one learned standard deviation per feature, so the decoder is
    a proper density and the loss is comparable with probabilistic PCA's.
    """

    averages = False

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(n_features))

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        log_scale = self.log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
        z = (x - out["x_hat"]) * torch.exp(-log_scale)
        # log_scale + log(2 pi) / 2 + z^2 / 2 in one pass over the batch.
        return torch.addcmul(log_scale + 0.5 * math.log(2 * math.pi), z, z, value=0.5)

    def floor(self, x: torch.Tensor) -> torch.Tensor:
        """The normaliser, ``log sigma + log(2 pi) / 2``, of each entry."""
        log_scale = self.log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
        return log_scale + 0.5 * math.log(2 * math.pi) + x * 0.0

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return out["x_hat"]


class BernoulliNLL(PerFeatureLoss):
    """Negative log-likelihood of x in [0, 1] under Bernoulli(sigmoid(logits)), in nats."""

    averages = False

    def __init__(self, n_features: int) -> None:
        super().__init__()

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(out["x_hat"], x, reduction="none")

    floor = BinaryCrossEntropy.floor
    uninformed = BinaryCrossEntropy.uninformed
    pinned = BinaryCrossEntropy.pinned

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        return torch.sigmoid(out["x_hat"])


class MixedTypeLoss(PerFeatureLoss):
    """``numeric``'s loss on the numeric columns and each categorical
    column's cross-entropy: one term per input column, in the input's order.

    ``blocks`` holds ``(start, stop)`` of every input column in the encoded
    input and ``is_categorical`` which are categorical
    (:class:`skae._categorical.CategoricalEncoding`). A categorical column's
    one-hot entries are its target and the decoder's outputs there its
    logits. The cross-entropy is the negative log-probability of the observed
    category, in nats, so it is a likelihood term as much as a loss: it adds
    to a sum (``numeric.averages`` False) as well as to a mean. A one-hot
    block of zeros (a category unseen at fit) costs ``unseen_nats``; a block
    of NaN is missing, and left out as a missing number is.

    The network works on standardised one-hot entries (the estimator centres
    them on the categories' training frequencies, ``mean``, and divides them
    by ``scale``): the loss undoes that to get the one-hot target, and
    :meth:`reconstruct` gives the probabilities standardised the same way, so
    that the estimator's ``x * scale_ + mean_`` turns both back.
    """

    def __init__(
        self,
        numeric: PerFeatureLoss,
        blocks: list[tuple[int, int]],
        is_categorical: list[bool],
        unseen_nats: float,
        mean: np.ndarray,
        scale: np.ndarray,
    ) -> None:
        super().__init__()
        self.numeric = numeric
        self.averages = numeric.averages
        # The divergence check reads it. A category's probabilities are
        # bounded whatever the numbers' loss, so a blown-up network shows in
        # its cross-entropy, not in how far its reconstructions are: where
        # the numbers' loss has no level of its own, the least an output that
        # knows nothing costs a column of two categories, log 2. Without it,
        # fits blown up to 9e5 (binary cross-entropy) and 8e6 (the default
        # loss, 13 categorical columns) were kept (reviews).
        self.uninformed = numeric.uninformed if numeric.uninformed is not None else math.log(2.0)
        self.unseen_nats = float(unseen_nats)
        self.categorical_blocks = [b for b, c in zip(blocks, is_categorical, strict=True) if c]
        numeric_at = [start for (start, _), c in zip(blocks, is_categorical, strict=True) if not c]
        # Terms come out numeric first, categorical second; ``order`` puts
        # them back in the input's order. Buffers, to follow the device.
        position = [0] * len(blocks)
        for rank, j in enumerate(
            [j for j, c in enumerate(is_categorical) if not c]
            + [j for j, c in enumerate(is_categorical) if c]
        ):
            position[j] = rank
        self.register_buffer("numeric_at", torch.tensor(numeric_at, dtype=torch.long), False)
        self.register_buffer("order", torch.tensor(position, dtype=torch.long), False)
        # The first entry of each column: NaN there means the column is missing.
        firsts = [start for start, _ in blocks]
        self.register_buffer("first_entry", torch.tensor(firsts, dtype=torch.long), False)
        # The categorical blocks side by side, padded to the widest, so that
        # one softmax serves them all: ``gather`` (n_categorical, width) holds
        # each category's encoded position, ``padding`` marks the filler;
        # ``frequency`` and ``spread`` are the standardisation's mean and
        # scale of each entry, gathered once.
        width = max(stop - start for start, stop in self.categorical_blocks)
        gather = torch.zeros((len(self.categorical_blocks), width), dtype=torch.long)
        padding = torch.ones((len(self.categorical_blocks), width), dtype=torch.bool)
        for i, (start, stop) in enumerate(self.categorical_blocks):
            gather[i, : stop - start] = torch.arange(start, stop)
            padding[i, : stop - start] = False
        self.register_buffer("gather", gather, False)
        self.register_buffer("padding", padding, False)
        frequency = torch.as_tensor(mean, dtype=torch.float32)[gather]
        spread = torch.as_tensor(scale, dtype=torch.float32)[gather]
        self.register_buffer("frequency", frequency.masked_fill(padding, 0.0), False)
        self.register_buffer("spread", spread.masked_fill(padding, 1.0), False)
        # The filler, and the categories no training row held (a pandas dtype
        # lists them; the estimator encodes them as no category, as unseen
        # ones): never predicted. A column never observed keeps them all.
        absent = (self.frequency <= 0) & (self.frequency.sum(dim=1, keepdim=True) > 0)
        self.register_buffer("excluded", padding | absent, False)
        self.register_buffer("column_weight", self._column_weights(is_categorical), False)

    def _column_weights(self, is_categorical: list[bool]) -> torch.Tensor:
        """The weight of each input column's term in the training loss.

        Averaged with squared errors in standardised units (the deterministic
        kinds), a categorical column's cross-entropy is multiplied by
        ``(K - 1) / H``, ``K`` its number of categories and ``H`` the entropy
        of their training frequencies. Predicting the frequencies then costs
        ``K - 1``, the column's degrees of freedom, as it costs after a
        ``OneHotEncoder`` and a ``StandardScaler`` (each independent entry a
        variance of 1), where a numeric column predicted by its mean costs 1.
        Unweighted, a column of three balanced categories cost about 1.1 and
        one with a category seen in 2% of the rows about 0.1: the network
        spent its codes on the numbers, and rare categories and unseen
        combinations scored worse than after one-hot encoding outside
        (``benchmarks/results/categorical.md``). Summed as log-likelihoods
        (the variational kind), every term is in nats already: weights of 1.
        """
        weight = torch.ones(len(is_categorical))
        if not self.averages:
            return weight
        f = self.frequency.double()
        entropy = -(f * torch.log(f.clamp(min=1e-12))).masked_fill(self.padding, 0.0).sum(dim=1)
        n_categories = (~self._excluded()).sum(dim=1)
        # A column with one category has no entropy, and nothing to learn.
        categorical = ((n_categories - 1) / entropy.clamp(min=1e-3)).float()
        weight[torch.as_tensor(is_categorical, dtype=torch.bool)] = categorical
        return weight

    def _excluded(self) -> torch.Tensor:
        # A loss pickled before ``excluded`` existed excludes the filler only.
        return getattr(self, "excluded", self.padding)

    def _logits(self, x_hat: torch.Tensor) -> torch.Tensor:
        """The categorical columns' logits, (n_samples, n_categorical, width),
        the filler at -inf."""
        return x_hat[:, self.gather].masked_fill(self._excluded(), -math.inf)

    def _targets(self, x: torch.Tensor) -> torch.Tensor:
        """The categorical columns' one-hot targets (filler 0),
        (n_samples, n_categorical, width)."""
        return (x[:, self.gather] * self.spread + self.frequency).masked_fill(self.padding, 0.0)

    def _blocks(self, out: dict[str, torch.Tensor], x: torch.Tensor):
        """Logits (filler -inf) and one-hot targets (filler 0) of the
        categorical columns, each (n_samples, n_categorical, width)."""
        return self._logits(out["x_hat"]), self._targets(x)

    @staticmethod
    def _unseen(target: torch.Tensor) -> torch.Tensor:
        # Zeros, up to the rounding of centring and uncentring in float32.
        return target.sum(dim=-1) < 0.5

    def _cross_entropy(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        # The filler's log-probability is -inf; 0 there, so that 0 * it is 0.
        log_p = F.log_softmax(logits, dim=-1).masked_fill(self._excluded(), 0.0)
        # NaN targets (missing) give NaN terms.
        nll = -(target * log_p).sum(dim=-1)
        return torch.where(self._unseen(target), self.unseen_nats, nll)

    def _numeric_out(self, out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``out`` as the numeric columns' loss sees it: their entries alone."""
        numeric = {**out, "x_hat": out["x_hat"][:, self.numeric_at]}
        if "missing" in out:
            numeric["missing"] = out["missing"][:, self.numeric_at]
        return numeric

    def per_feature(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        numeric = self.numeric.per_feature(self._numeric_out(out), x[:, self.numeric_at])
        categorical = self._cross_entropy(*self._blocks(out, x))
        return torch.cat([numeric, categorical], dim=1)[:, self.order]

    def column_missing(self, x: torch.Tensor) -> torch.Tensor:
        """Which input columns of each row are missing: (n_samples, n_columns)."""
        return torch.isnan(x[:, self.first_entry])

    def column_unseen(self, x: torch.Tensor) -> torch.Tensor:
        """Which input columns of each row hold a category unseen at fit:
        (n_samples, n_columns), False for every numeric column."""
        numeric = torch.zeros((len(x), len(self.numeric_at)), dtype=torch.bool, device=x.device)
        return torch.cat([numeric, self._unseen(self._targets(x))], dim=1)[:, self.order]

    def floor(self, x: torch.Tensor) -> torch.Tensor:
        """The numeric loss's floor, and 0 for a category (its cross-entropy
        when predicted with certainty)."""
        numeric = self.numeric.floor(x[:, self.numeric_at])
        # x * 0: NaN where the column is missing, as its loss is.
        categorical = x[:, self.gather[:, 0]] * 0.0
        return torch.cat([numeric, categorical], dim=1)[:, self.order]

    def score_terms(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Per input column, the error an outlier score is made of.

        Numbers as the numeric loss scores them (its :meth:`score_terms`). A categorical column's
        error is measured as a number's is, in standardised units: the
        squared error of its predicted probabilities against its one-hot
        entries, each divided by the entry's training variance
        ``f (1 - f)`` (``f`` the category's frequency), summed over the
        column's categories. The cross-entropy trains the softmax well, but
        as a score it grows only with the log of a category's rarity: a
        category seen in 2% of the rows costs 3.9 nats where one seen in 10%
        costs 2.3. Standardised, the first costs about 49 where the second
        costs 9, as after a :class:`~sklearn.preprocessing.OneHotEncoder`
        and a :class:`~sklearn.preprocessing.StandardScaler`. An unseen
        category costs what a category of frequency ``1 / (n_samples + 1)``
        predicted with probability 0 would: ``n_samples + 1`` for its own
        entry, plus the errors of the categories predicted in its place (its
        one-hot block is all zeros), which a rare category's row pays too.
        Without them, a category never seen scored as more normal than one
        seen once.
        """
        # The numeric loss's own score terms (binary cross-entropy's above
        # each entry's entropy), as without categorical columns.
        numeric = self.numeric.score_terms(self._numeric_out(out), x[:, self.numeric_at])
        logits, target = self._blocks(out, x)
        floor = math.exp(-self.unseen_nats)  # 1 / (n_samples + 1)
        variance = (self.frequency * (1 - self.frequency)).clamp(min=floor)
        squared = (target - torch.softmax(logits, dim=-1)).square() / variance
        error = squared.masked_fill(self.padding, 0.0).sum(dim=-1)
        # An unseen category's own entry (which it has none of) adds
        # n_samples + 1 to the errors of the categories predicted instead,
        # as a rare category's row pays them too.
        categorical = torch.where(self._unseen(target), error + 1.0 / floor, error)
        return torch.cat([numeric, categorical], dim=1)[:, self.order]

    def forward(self, out: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        # A model pickled before the weights existed trains unweighted.
        weight = getattr(self, "column_weight", None)
        weight = 1.0 if weight is None else weight
        if not self.masked:
            terms = self.per_feature(out, x) * weight
            return terms.mean(dim=1) if self.averages else terms.sum(dim=1)
        missing = self.column_missing(x)
        filled = torch.nan_to_num(x, nan=0.0)
        terms = (self.per_feature(out, filled) * weight).masked_fill(missing, 0.0)
        total = terms.sum(dim=1)
        if not self.averages:
            return total
        return total / (~missing).sum(dim=1).clamp(min=1)

    def pinned(self, x_hat: torch.Tensor, mask: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        """As the numeric loss pins its entries, at the numeric entries of
        ``mask`` only (a category's entries are logits of a softmax)."""
        numeric = torch.zeros_like(mask)
        numeric[self.numeric_at] = True
        return self.numeric.pinned(x_hat, mask & numeric, values)

    def reconstruct(self, out: dict[str, torch.Tensor]) -> torch.Tensor:
        """Numbers as the numeric loss reconstructs them, and each
        categorical column's probabilities."""
        x_hat = out["x_hat"]
        result = torch.empty_like(x_hat)
        result[:, self.numeric_at] = self.numeric.reconstruct(self._numeric_out(out))
        self._put_categories(result, torch.softmax(self._logits(x_hat), dim=-1))
        return result

    def _put_categories(self, result: torch.Tensor, probabilities: torch.Tensor) -> None:
        """Write each categorical column's ``probabilities`` (n_samples,
        n_categorical, width), standardised as the network's entries are,
        into its entries of the encoded rows ``result``."""
        standardised = (probabilities - self.frequency) / self.spread
        # The real entries by flat position: indexing with the 2-D mask
        # itself would not export to ONNX (skae.to_onnx).
        keep = (~self.padding).flatten().nonzero()[:, 0]
        result[:, self.gather.flatten()[keep]] = standardised.flatten(1)[:, keep]

    def draw(
        self, out: dict[str, torch.Tensor], noise: torch.Tensor, uniform: torch.Tensor
    ) -> torch.Tensor:
        """Numbers as :meth:`PerFeatureLoss.draw` draws them, and in each
        categorical column one category, drawn from its predicted
        probabilities with the ``uniform`` draws of its entries, one-hot and
        standardised: noise on the probabilities would leave no category
        whole, and a block far from one-hot is read as a category unseen at
        fit."""
        result = super().draw(out, noise, uniform)
        logits = self._logits(out["x_hat"])
        # The Gumbel-max trick: the argmax of logits plus Gumbel noise is a
        # draw from their softmax (fillers' -inf never win).
        tiny = torch.finfo(uniform.dtype).tiny
        gumbel = -torch.log(-torch.log(uniform[:, self.gather].clamp(tiny, 1.0 - 1e-7)))
        choice = (logits + gumbel.to(logits.dtype)).argmax(dim=-1)
        self._put_categories(result, F.one_hot(choice, logits.shape[-1]).to(result.dtype))
        return result

    def categorical_log_likelihood(self, out: dict[str, torch.Tensor], x: torch.Tensor):
        """Per row, the log-probability of its observed categories, in nats
        (0 for a missing one)."""
        logits, target = self._blocks(out, x)
        nll = self._cross_entropy(logits.double(), target.double())
        return -nll.nan_to_num(0.0).sum(dim=1)


#: The decoder likelihoods of a variational autoencoder, by ``loss``.
LIKELIHOODS: dict[str, type[nn.Module]] = {
    "squared_error": GaussianNLL,
    "binary_crossentropy": BernoulliNLL,
}

RECONSTRUCTION_LOSSES: dict[str, type[nn.Module]] = {
    "squared_error": SquaredError,
    "huber": HuberError,
    "binary_crossentropy": BinaryCrossEntropy,
}
