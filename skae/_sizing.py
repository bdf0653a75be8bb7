"""Defaults that follow the data: the ``"auto"`` values of ``n_components``,
``hidden_layer_sizes``, ``max_epochs``, ``batch_size`` and ``lr``.

A fixed network and a fixed number of epochs cannot suit both a table of 8
features and 300 rows and 784 pixels of 8,000 images. The rules here
size the codes and the network from ``n_features`` and the training length from
``n_samples``, the way :class:`~sklearn.ensemble.IsolationForest` fixes
``max_samples``; ``benchmarks/detection.py`` and ``benchmarks/quality.py``
hold the measurements that chose the constants.

Training length
    A budget of samples seen: ``ceil(SAMPLES_SEEN / n_samples)`` epochs,
    clipped to [``MIN_EPOCHS``, ``MAX_EPOCHS``]: 20 epochs up to 7,894 rows,
    then fewer, down to 10 from 15,000 rows, so that a large table costs
    less per row. The cap stays at 20 because longer training on small
    tables lets the network learn the anomalies in its training data too:
    with a cap of 200 (small tables trained for up to 200 epochs) the mean
    ROC-AUC on the 21 ADBench sets fell from 0.744 to 0.731, and on the
    clustered synthetic type from 0.910 to 0.881, although reconstructions
    improve (``benchmarks/results/detection_ablation.md``). Re-examined at
    the later defaults (``n_components="auto"``), the 200-epoch cap still
    lost on five of seven views, among them the real sets (0.740 to 0.728),
    the clustered type (0.910 to 0.880) and a 512-feature stand-in for
    embeddings (0.902 to 0.887), and won on two (dependency, global)
    (``benchmarks/results/detection_ablation_2.md``, section 5).
    Above ``LARGE_TABLE_ROWS`` (200,000) rows a table is large: the 10
    epochs go by in batches of ``LARGE_BATCH_SIZE`` (256) rows (see
    "Batch size and learning rate" below), and above ``ROWS_PER_EPOCH``
    (600,000) rows each epoch is a fresh random subset of that many rows, so
    the budget stops growing at 6,000,000 samples seen (23,440 steps of
    256): a default fit on 10,000,000 rows trains no longer than on
    600,000, and only its single passes (scaling, the training scores) grow
    with the rows (``benchmarks/results/large.md``). A step of 256 rows
    costs little more than one of 64 (the network is small: a step is
    tens of small operations whatever its rows), so an epoch of 600,000
    rows at 256 costs about what one of 200,000 rows at 64, the rule
    before, did (200,000 rows of 50 features on one thread: 1.36 s an
    epoch at 256 rows a step, 3.96 s at 64), and the
    training cost of a large table stays about that of a table of 200,000
    rows.
    :class:`~skae.VariationalAutoEncoder` keeps the budget but caps it at
    ``VARIATIONAL_MAX_EPOCHS`` (200): it is the density model, its KL term
    slows training, and the likelihood it reports keeps improving long
    after 20 epochs. On dequantised digits (``n_components=8``) its
    held-out log-likelihood goes from 38.0 nats at 20 epochs (below
    FactorAnalysis's 41.0) to 51.4 at the 105 epochs the budget gives,
    2% short of 200 epochs (with the (64, 32) network of the time; the
    (256, 128) one that 8 codes now get reaches 53.25 at the budget, and
    overfits by 200 epochs: 44.45). As a detector it pays for it on the clustered
    type (mean ROC-AUC 0.892 to 0.837, seed 0) and on the real sets
    (``benchmarks/results/detection_ablation_2.md``); the default detector
    is :class:`~skae.AutoEncoder`.

    Up to 200 epochs is long enough to memorise a small, wide table: on
    400 rows of 768 features its held-out ``score`` (the mean
    log-likelihood) fell to -1012 where 20 epochs gave 1673, and on
    one-class MNIST (digit 0, 686 training rows) to -987 against -784.
    Its ``early_stopping="auto"`` therefore holds out
    ``validation_fraction`` of the rows and keeps the epoch whose held-out
    loss was lowest, once that holds at least ``MIN_VALIDATION_ROWS`` rows
    (200 training rows at the default tenth): 1711 and -556 nats on those
    two, and 56.3 nats on the dequantised digits where the 105 epochs gave
    53.3. Fewer rows than that are too few to judge a loss on.
Batch size and learning rate
    ``batch_size="auto"`` is ``BATCH_SIZE`` (64) rows up to
    ``LARGE_TABLE_ROWS`` training rows and ``LARGE_BATCH_SIZE`` (256) above,
    and ``lr="auto"`` is ``LR`` (1e-3) times the square root of the batch
    size over 64 (2e-3 at 256), the square-root rule for Adam under which a
    larger batch takes about the same path in fewer steps. On a table of
    1,000,000 rows (50 features, planted anomalies; five seeds) the large
    batch, with three times the rows per epoch at about the same cost,
    raised the mean ROC-AUC from 0.900 to 0.919 (20 full epochs at 64:
    0.927), and on donors (433,528 training rows; ten seeds) from 0.800 to
    0.827 (20 full epochs: 0.836), with a spread of 0.2 between seeds either
    way; the batch of 256 at the old learning rate gained half as much on
    the first (0.913). At
    batch 64 a step is too small to split between threads; at 256 a second
    thread helps a little (``benchmarks/large_seeds.py``,
    ``benchmarks/results/large.md``). Up to 200,000 rows the batch stays
    64: every table that chose the other defaults trains as before.

    Nor does it shrink on small tables, although 20 epochs at 64 give a
    table of 56 rows 20 steps in all: a batch halved down to 16 rows until
    an epoch takes 16 steps (below 1,024 rows) gained the local, global
    and dependency types for every kind and lost the clustered type and
    the real sets' average precision for every kind (the plain
    autoencoder's 0.408 to 0.401, below IsolationForest's 0.402;
    ``benchmarks/results/detection_ablation_19.md``), the trade of every
    longer training on small tables.
Early stopping
    ``early_stopping="auto"`` holds ``validation_fraction`` of the rows
    out, keeps the epoch whose held-out loss was lowest, and lets
    ``contamination="auto"`` draw its fence on the held-out rows' scores
    (capped by the training rows' fence),
    once they number ``MIN_VALIDATION_ROWS`` (200 training rows at the
    default tenth) and up to ``LARGE_TABLE_ROWS`` training rows (above, the
    training budget is fixed, and a held-out tenth scored at every epoch
    would cost more the more rows there are). For the kinds of 20 epochs
    it needs ``WIDE_FEATURES`` (91) columns, where the auto widths grow past
    64-32: such a network learns its training rows so much better than new
    ones that a fence on the training scores flagged 85% and 81% of new
    normal rows of two 400 x 768 tables (1.5% and 0.4% on the held-out
    rows), and 13.7% of new normal digits of one-class MNIST (10.3%), with
    ROC-AUC unchanged on every view (``benchmarks/results/
    detection_ablation_11.md``). On narrower tables 20 epochs barely learn
    their rows (new normal rows flagged about as often either way), and
    holding a tenth out cost a tenth of the steps: a small table's
    reconstructions got 3-13% worse.
Network width
    The first hidden layer has the power of two nearest to ``n_features`` in
    ratio (on a log scale: 91 features give 128),
    within [``MIN_WIDTH``, ``MAX_WIDTH``]; the second half as many, at
    least ``MIN_WIDTH // 2``. Narrow tables keep a 64-32 network; wide data
    (images, embeddings) get one wide enough to carry them. The narrowest
    tables keep it too: a 16-8 network for 3 or 4 features kept a small
    group of near-identical training anomalies from being learned (lowest
    ROC-AUC 0.28 -> 0.64), but it reconstructed two codes of an S curve
    five times worse than PCA, where 64-32 does better than PCA
    (``benchmarks/results/detection_ablation_16.md``).

    The layers next to the code must also carry the codes: the second
    layer has about ``WIDTH_PER_CODE`` (16) units per code (the power of
    two nearest to that, at most ``MAX_WIDTH // 2``: 64 for 5 codes), and
    the first twice as many.
    With ``n_components="auto"`` (one code per 32 features) this never
    changes the widths above, so the detection defaults do not move; it
    matters when a user asks for more codes than that, as in dimensionality
    reduction. Without it, 16 codes of the 64 digit pixels came out of a
    64-32 network, a narrower funnel before the code than the code itself
    needs: held-out reconstruction error 0.0246 where PCA's is 0.0116; with
    it (512-256) 0.0097. The same rule, checked on nine ADBench tables of 21
    to 166 features reduced to an eighth and a quarter of their features,
    lowered the held-out error on all 16 problems that it changes (to 0.29
    to 0.98 times the error of the narrower network), for 0.9 to 3.3 times
    the fit time (``benchmarks/results/reduction_widths.md``). A wider
    detector was measured too and rejected: it learns the outliers in its
    training data (``benchmarks/results/detection_ablation_3.md``).
Number of codes
    One code per ``FEATURES_PER_CODE`` (32) features, at least
    ``MIN_COMPONENTS`` (2) and at most ``MAX_COMPONENTS`` (32): two codes up
    to 95 features, 24 for the 784 pixels of MNIST. Two codes squeeze wide
    data so hard that the reconstruction error is mostly the normal
    variation they cannot hold, and anomalies drown in it. On one-class
    MNIST (three seeds) the mean ROC-AUC rose from 0.863 to 0.894 (PCA
    reconstruction 0.898) and the average precision from 0.377 to 0.411;
    on musk (166 features, every view) it did not move; on InternetAds
    (1,555 sparse binary features) it fell from 0.648 to 0.605
    (``benchmarks/results/detection_ablation_2.md``).
    At least two, not one: one code keeps a small group of near-identical
    training anomalies in most 3- to 6-feature tables from being learned, but
    below 64 features it lost the local, dependency and global types and
    the real sets (local 0.875 -> 0.859, dependency 0.747 -> 0.717,
    ``benchmarks/results/detection_ablation_17.md``).
"""

from __future__ import annotations

import math

#: Samples seen by a default fit on large tables (about 2,300 mini-batches of 64).
SAMPLES_SEEN = 150_000
MIN_EPOCHS = 10
MAX_EPOCHS = 20
VARIATIONAL_MAX_EPOCHS = 200
#: The fewest held-out rows ``early_stopping="auto"`` stops on.
MIN_VALIDATION_ROWS = 20
#: The fewest columns on which ``early_stopping="auto"`` holds rows out for
#: the kinds that train 20 epochs: where ``hidden_layer_sizes="auto"`` grows
#: past 64-32 (91 features; see "Early stopping" above).
WIDE_FEATURES = 91
#: Training rows above which a table is large: ``batch_size="auto"`` grows
#: to ``LARGE_BATCH_SIZE`` and ``early_stopping="auto"`` holds no rows out.
LARGE_TABLE_ROWS = 200_000
#: Rows of one epoch of a default fit on a larger table (a random subset,
#: fresh each epoch): the training cost stops growing with the rows.
ROWS_PER_EPOCH = 600_000
BATCH_SIZE = 64
LARGE_BATCH_SIZE = 256
#: The learning rate of ``lr="auto"`` at a batch of ``BATCH_SIZE`` rows.
LR = 1e-3
MIN_WIDTH = 64
MAX_WIDTH = 512
FEATURES_PER_CODE = 32
#: Units per code in the hidden layer next to the code.
WIDTH_PER_CODE = 16
MIN_COMPONENTS = 2
MAX_COMPONENTS = 32


def auto_epochs(n_samples: int, max_epochs: int = MAX_EPOCHS) -> int:
    """The number of epochs of ``max_epochs="auto"`` for ``n_samples`` rows,
    at most ``max_epochs``."""
    return int(min(max_epochs, max(MIN_EPOCHS, math.ceil(SAMPLES_SEEN / max(n_samples, 1)))))


def auto_rows_per_epoch(n_samples: int) -> int | None:
    """The rows of each epoch of ``max_epochs="auto"``: all of them (None) up
    to ``ROWS_PER_EPOCH``, else a fresh random subset of that many."""
    return ROWS_PER_EPOCH if n_samples > ROWS_PER_EPOCH else None


def auto_batch_size(n_samples: int | None) -> int:
    """The batch of ``batch_size="auto"`` for ``n_samples`` training rows
    (None: a net rebuilt by ``load``, which has none yet)."""
    large = n_samples is not None and n_samples > LARGE_TABLE_ROWS
    return LARGE_BATCH_SIZE if large else BATCH_SIZE


def auto_lr(batch_size: int, n_samples: int | None = None, *, chunk: bool = False) -> float:
    """The learning rate of ``lr="auto"`` at batches of ``batch_size`` rows
    out of ``n_samples`` (None: not known yet): ``LR`` at ``BATCH_SIZE``,
    scaled by the square root of the ratio. The batch is the one trained on:
    fewer rows than ``batch_size`` make one batch of them, and a rate from
    the nominal batch of 10,000,000 on 200 rows (0.395) diverged (a probe).
    A table smaller than ``BATCH_SIZE`` keeps the rate of ``BATCH_SIZE``, or
    of a smaller ``batch_size``: the defaults were chosen at that rate on
    small tables, where a rate of their own rows cost ADBench's synthetic
    Hepatitis tables up to 0.05 ROC-AUC. A ``partial_fit`` ``chunk`` takes
    the rate of its own rows: it is one step, not one of a fit's many
    epochs, and a stream of one-row chunks at the rate of 64 rows took each
    step with 64 times the gradient noise (400 such rows raised a digits
    model's held-out error by 70%; at their own rate, by 1%)."""
    rows = int(batch_size)
    if n_samples is not None:
        rows = min(rows, n_samples if chunk else max(n_samples, BATCH_SIZE))
    return LR * math.sqrt(rows / BATCH_SIZE)


def auto_early_stopping(
    n_samples: int, n_features: int, validation_fraction: float, min_features: int
) -> bool:
    """Whether ``early_stopping="auto"`` holds rows out of a fit on
    ``n_samples`` rows of ``n_features`` columns: from ``MIN_VALIDATION_ROWS``
    held-out rows (unrounded: from 200 rows at the default tenth, not 195)
    up to ``LARGE_TABLE_ROWS``, on tables of ``min_features`` columns or more
    (the kind's; ``WIDE_FEATURES`` but for the variational kind), counted as
    the network's inputs (a categorical column one per category)."""
    return (
        validation_fraction * n_samples >= MIN_VALIDATION_ROWS
        and n_samples <= LARGE_TABLE_ROWS
        and n_features >= min_features
    )


def _power_of_two(x: float) -> int:
    return 2 ** round(math.log2(max(x, 1)))


def auto_hidden_layer_sizes(n_features: int, n_components: int | None = None) -> tuple[int, int]:
    """The widths of ``hidden_layer_sizes="auto"`` for ``n_features`` inputs
    and ``n_components`` codes (None: the widths from the features alone, the
    rule before the codes counted)."""
    first = int(min(MAX_WIDTH, max(MIN_WIDTH, _power_of_two(n_features))))
    second = max(MIN_WIDTH // 2, first // 2)
    if n_components is not None:
        second = max(second, min(MAX_WIDTH // 2, _power_of_two(WIDTH_PER_CODE * n_components)))
        first = max(first, 2 * second)
    return first, second


def auto_n_components(n_features: int) -> int:
    """The number of codes of ``n_components="auto"`` for ``n_features`` inputs."""
    return int(min(MAX_COMPONENTS, max(MIN_COMPONENTS, n_features // FEATURES_PER_CODE)))
