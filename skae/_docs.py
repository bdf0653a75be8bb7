"""Shared parts of the estimators' docstrings.

Every kind of autoencoder has the same core parameters and attributes; their
documentation lives here once and is spliced into each class docstring by
:func:`fill_doc`, at the place marked ``%(parameters)s`` / ``%(attributes)s``.
"""

from __future__ import annotations

import re
from typing import TypeVar

T = TypeVar("T")


PARAMETERS = """\
    n_components : "auto" or int, default="auto"
        Size of the code (the bottleneck). ``"auto"`` gives one code per 32
        features, at least 2 and at most 32: 2 up to 95 features, 24 for the
        784 pixels of MNIST. Two codes suit a table of a few dozen features,
        and squeeze wide data (images, embeddings) so hard that the
        reconstruction error is mostly normal variation the codes cannot
        hold. On a table of 1 or 2 features ``"auto"`` gives as many codes
        as features or more, so nothing is reduced (the network can copy
        ``X``, so its reconstruction errors say little), without the
        warning an explicit ``n_components`` that large gives (to the plain
        kinds, and to the others with their corruption or penalty at 0): set
        ``n_components=1`` on 2 features for a reduction (1 feature cannot be
        reduced). Set it to the dimension
        wanted for a reduction; the fitted value is ``n_components_``.
    hidden_layer_sizes : "auto", int or array-like of int, default="auto"
        Widths of the encoder's hidden layers; the decoder mirrors them. An
        empty tuple gives a linear autoencoder. ``"auto"`` sizes the network
        from its input width ``n_features`` (a categorical column counts one
        input per category): two layers, the first the power of two nearest
        to ``n_features`` in ratio (128 from 91) within [64, 512], the second half as wide (at least
        32): (64, 32) up to 90 inputs, (512, 256) from 363 (MNIST). More
        codes than ``n_components="auto"`` gives widen it: the second layer
        has about 16 units per code (the power of two nearest to 16 per
        code, at most 256: 64 for 5 codes), the first twice as many, so
        that 16 codes of 64 features come out of (512, 256), not (64, 32).
        With ``architecture="conv"``, ``"auto"`` is (16, 32) channels.
    activation : {"relu", "tanh", "logistic", "identity", "gelu"}, default="relu"
        Activation of the hidden layers. The code layer and the output layer
        are linear, except the sparse kind's codes (ReLU, or sigmoid with
        ``sparsity="kl"``).
    architecture : {"dense", "conv"}, default="dense"
        ``"dense"``: fully connected layers of ``hidden_layer_sizes`` units.
        ``"conv"``: strided 3x3 convolutions with ``hidden_layer_sizes``
        channels, for images passed as rows of ``C * H * W`` pixels (or as a
        4-D array), any objective. Whichever was passed,
        :meth:`inverse_transform` and :meth:`sample` return rows of pixels,
        ``(n_samples, C * H * W)`` in ``image_shape_``'s C-order (reshape
        them to ``(-1, *image_shape_)`` for images).
    image_shape : tuple of int (channels, height, width), default=None
        Shape of one image, with ``architecture="conv"`` (a dense network
        does not use it, as it does not use a kind's other parameters that
        do not apply to it). None means the
        shape of a 4-D array's images ``(n_samples, C, H, W)``; for rows of
        pixels, one channel of a square image, or, when ``n_features`` is not
        a square, a one-row image (a 1-D signal).
    scaling : {"auto", "feature", "global", "none"}, default="auto"
        Internal scaling, learned at the first ``fit`` or ``partial_fit``.
        ``"feature"`` standardises each feature (mean 0, standard deviation 1;
        a constant feature is centred and divided by the others' median
        standard deviation), as
        :class:`~sklearn.preprocessing.StandardScaler` does: right for tabular
        data in mixed units. ``"auto"`` first asks whether the features are
        measured on one fixed scale: more than half of the varying features
        reach the smallest value among the varying features, more than half
        the largest (a constant column does not count),
        and every one at least one of the two (pixel intensities, 0/1
        indicators, columns already min-max scaled; a rate of 0.05 +- 0.01
        among indicators reaches neither, and makes the units mixed).
        Then each feature is centred and all are divided by one scale, the
        root mean square of the standard deviations of the features that
        vary (a constant one is left out of it), so a quiet feature (a
        border pixel) stays as quiet as it is. Otherwise it standardises
        each feature as ``"feature"`` does (the loss, the scores and the
        reconstructions treat every feature alike), but the encoder sees a
        feature whose standard deviation is below 0.3 times the median one
        attenuated to that: a near-constant feature (a sensor that barely
        moves) does not turn small noise into thousands of its standard
        deviations, so noise there cannot explode through the network. Data
        whose features have spreads within that factor of the median
        (standardised data) train exactly as with
        ``"feature"``. The spreads are compared in the features' own units,
        so the model then depends on them: a feature recorded in kilometres
        rather than metres can fall below the floor and be attenuated
        (recorded in metres rather than kilometres, it cannot); ``"feature"``
        does not depend on the units. The floor is relative to the median
        spread, so when more than half of the features are near-constant the
        median is one of theirs and none is attenuated.
        ``"global"`` subtracts one mean and divides by one
        standard deviation over all entries, for data in one unit that
        ``"auto"`` does not recognise as such. ``"none"`` leaves the data as
        it is (the variational kind's Gaussian decoder, its
        ``loss="squared_error"``, then has its standard deviations in the
        data's own units, bounded to [0.0067, 20] (``exp(-5)`` to
        ``exp(3)``, what keeps a near-constant feature from making the
        likelihood infinite): data whose spread is outside that range need
        another scaling). The network computes in float32, about 7
        significant digits: data left far from 0 against its spread (values
        near 1e5 that vary by 0.01) keep little of the spread, and a row's
        score then moves with the rows scored beside it (at 1e5, by up to
        0.15 of the scores' interquartile range); centre such data first.
        :meth:`inverse_transform` and :meth:`sample` always return the
        original units. Whatever the scaling, outside training the encoder
        sees each feature clipped to the range it had in the training data;
        reconstruction errors are measured against the unclipped input.
        Ignored with ``loss="binary_crossentropy"``, which takes data in
        [0, 1] as is. A categorical column's one-hot entries are standardised
        as a :class:`~sklearn.preprocessing.StandardScaler` would (centred on
        the categories' frequencies ``f``, divided by ``sqrt(f (1 - f))``).
    categorical_features : "from_dtype", array-like of str, int or bool, or None, \
            default="from_dtype"
        Which columns are categories, not numbers, as in
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
        ``"from_dtype"``: the pandas columns of dtype ``category`` (or a
        pyarrow dictionary), ``object`` (strings), ``string`` or ``bool``
        (none for a numpy array; an
        ``object`` column that holds only numbers is numeric; one of
        numbers with a few other values, text or bools, is categorical, with
        a warning naming them). A list of
        column names or indices, or a boolean mask of ``n_features``
        entries, names them; None: every column is numeric. Each categorical
        column is one-hot encoded inside the estimator (its categories
        learned at the first fit: sorted, or a pandas category's own, or
        a pyarrow dictionary's, in its order) and
        reconstructed by a softmax over its categories with a cross-entropy
        loss, so it counts once, like a numeric column, in the loss,
        :meth:`score_samples` and :meth:`explain`. :meth:`inverse_transform`
        and :meth:`sample` then return a DataFrame with the input's columns,
        the most probable category in each categorical column (a sample's is
        drawn from the decoder's probabilities), each column in its dtype
        (numbers as :meth:`inverse_transform` describes: integer columns
        rounded, an object column of numbers, or a bool column read as a
        number, as float64). A
        category not seen at fit is encoded as no category, as
        :class:`~sklearn.preprocessing.OneHotEncoder` does with
        ``handle_unknown="ignore"``, and scored as a category of probability
        ``1 / (n_samples + 1)``: unusual; so is a category that the column's
        pandas dtype lists but no row of the first fit holds (a
        cross-validation fold keeps every category of its dtype), which is
        never predicted either. A missing one (NaN, None) is left
        out as a missing number is; but a categorical column with no
        category observed (every entry missing, whatever categories its
        dtype lists) is refused with a ValueError naming it, as there is
        nothing to learn it from (drop the column; an all-missing numeric
        column is accepted with a warning, and so is an ``object`` column
        holding nothing but None or NaN, which ``"from_dtype"`` reads as
        numeric, as it holds no text). A categorical column of more than 255
        categories is refused with a ValueError naming it, as
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor` refuses it
        (an identifier, most likely: group its rare values first, or leave it
        out). Needs ``architecture="dense"``.
    loss : {"squared_error", "huber", "binary_crossentropy"}, default="huber"
        Reconstruction loss. ``"huber"`` (not for
        :class:`VariationalAutoEncoder`, whose loss names its likelihood)
        trains on a Huber loss with a
        threshold of one unit of the scaled input (a feature's standard
        deviation; for pixels, their shared scale) and scores on the squared
        error: an entry within its feature's spread
        costs its squared error, one beyond it grows linearly, so a group of
        anomalies far from the other training rows is learned less. It is the
        default of :class:`AutoEncoder` and :class:`ConvolutionalAutoEncoder`,
        where it gained on the real anomaly sets, the clustered anomalies and
        one-class MNIST (``AutoEncoder``, three seeds: mean ROC-AUC 0.740 to
        0.742, 0.907 to 0.914 and 0.896 to 0.909) for a loss on ADBench's
        dependency anomalies (0.755 to 0.747), and left held-out
        reconstruction error as it was. The denoising, sparse and contractive
        kinds default to ``"squared_error"``: their corruption or penalty
        already limits what the network fits, and there the Huber loss lost
        on most views (``benchmarks/results/detection_ablation_14.md``).
        Its price: on large real tables the plain kind scores lower than
        with the squared error (three seeds, full size: skin 0.764 to
        0.719, campaign 0.736 to 0.704, ALOI 0.538 to 0.527); prefer
        ``"squared_error"`` there if labelled data can confirm it. With
        ``scaling="none"`` the threshold is one unit of the data as given:
        on data in large units the loss is then nearly an absolute error.
        ``"binary_crossentropy"`` is for data in [0, 1]
        (e.g. pixel intensities); the decoder then ends in a sigmoid. ``fit``
        and ``partial_fit`` then refuse values outside [0, 1] (beyond a
        rounding of 1e-6) with a ValueError; such a value has likelihood 0,
        so a row holding one scores ``-inf`` in :meth:`score_samples` (an
        outlier for ``predict``) and :meth:`score`, and :meth:`explain` gives
        its column the ``-inf`` (its cross-entropy has no lower bound, and a
        far value came out as the most normal of rows). For held-out data
        (cross-validation, :class:`~sklearn.model_selection.GridSearchCV`)
        bring the data into [0, 1] by fixed bounds (pixels / 255, or
        :class:`~sklearn.preprocessing.MinMaxScaler` with ``clip=True``): a
        scaler fitted on one fold puts the other fold's darker or brighter
        values outside, and every such fold scores ``-inf``.
    max_epochs : "auto" or int, default="auto"
        Number of passes over the training data (an upper bound with
        ``early_stopping=True``). ``"auto"`` is a budget of about 150,000
        samples seen, ``ceil(150000 / n_samples)`` epochs, at least 10 and at
        most 20: 20 epochs up to 7,894 rows, 15 at 10,000, 10 from 15,000.
        Above 600,000 rows each of the 10 epochs is a fresh random subset of
        600,000 rows, so the cost of training stops growing with the rows
        (as each tree of :class:`~sklearn.ensemble.IsolationForest` sees a
        subsample); an int ``max_epochs`` makes full passes.
        The cap suits outlier detection, where longer training lets the
        network learn to reconstruct the outliers in the training data too;
        for the best reconstructions, as in dimensionality reduction on
        small data, train longer (``max_epochs=100`` or more;
        ``benchmarks/quality.py``). :class:`VariationalAutoEncoder`, the
        density model, caps the same budget at 200 epochs instead of 20.
    batch_size : "auto" or int, default="auto"
        Mini-batch size. Fewer samples than ``batch_size`` gives one batch.
        ``"auto"`` is 64, and 256 for a fit (or a ``partial_fit`` chunk) of
        more than 200,000 rows: a step of this small network costs little
        more at 256 rows than at 64, so a large table's fixed budget of
        epochs (``max_epochs``) sees three times the rows at about the same
        cost (on 1,000,000 rows, mean ROC-AUC 0.900 to 0.919;
        ``benchmarks/results/large.md``).
    lr : "auto" or float, default="auto"
        Learning rate of the Adam optimiser. ``"auto"`` is ``1e-3 *
        sqrt(b / 64)`` for batches of ``b`` rows: 1e-3 at a batch of 64, 2e-3
        at 256 (the square-root rule for Adam: a batch four times larger, a
        rate twice as large). ``b`` is ``batch_size``, or the rows of the fit
        when they are fewer, since they make one batch whatever
        ``batch_size`` says, but not below 64: a table smaller than a batch of
        64 trains at the rate of 64 (or of a smaller ``batch_size``). A
        :meth:`partial_fit` chunk smaller than a batch trains at the rate of
        its own rows, 64 or not: each chunk is one step, and a stream of
        one-row chunks at the rate of 64 rows took every step with far more
        noise (400 such rows raised a digits model's held-out error by 70%).
        A rate a learning-rate schedule moved stays when the schedule is
        removed (``callbacks=None``, as a loaded model has them) until the
        rate ``lr`` gives changes: ``lr`` set to another value, or with
        ``lr="auto"`` a :meth:`partial_fit` chunk whose rows give another
        rate; a continued fit then trains from that rate. A schedule starts
        again from each new rate too, so with ``lr="auto"`` a stream of
        chunks of varying sizes below a batch restarts it at each change of
        size: give ``lr`` a number to let a schedule run across such chunks.
    weight_decay : float, default=0.0
        L2 penalty (Adam's ``weight_decay``). A penalty keeps the network from
        fitting a small group of near-identical training rows exactly, so that
        such a group of anomalies still scores as unusual; the strength needed
        depends on the data (1e-2 to 1e-1 on the tables measured), and it also
        fits the normal rows less precisely, so the default is none
        (``benchmarks/results/near_duplicates.md``).
    early_stopping : bool or "auto", default="auto"
        Hold out ``validation_fraction`` of the training data and stop when
        its loss has not improved for ``patience`` epochs; the weights of the
        best epoch of that fit are kept (a fit with ``warm_start=True`` keeps
        its own best epoch, as :class:`~sklearn.neural_network.MLPRegressor`
        does, even if an earlier fit ended better on the held-out rows).
        Applies to :meth:`fit` only. ``"auto"`` is on
        when ``validation_fraction`` times the rows comes to at least 20 (200
        training rows at the default fraction, not 199 whose tenth rounds to
        20; rows with every entry missing do not count), the
        training rows at most 200,000, and the table
        has 91 columns or more, a categorical column counting one per
        category as in ``hidden_layer_sizes`` (any number for
        :class:`VariationalAutoEncoder`, whose up to 200 epochs can memorise
        a narrow table too). A wide table gets a wide network (see
        ``hidden_layer_sizes``), which scores the rows it trained on far
        better than new ones; with ``contamination="auto"`` the threshold is
        then drawn on the held-out rows (see ``contamination``): on 400 rows
        of 768 features, a fence on the training rows flagged 69% to 88% of
        new normal rows. Fewer rows are too few to judge a loss on; above
        200,000 rows the training budget is fixed (``max_epochs``), and a
        held-out tenth scored at every epoch would cost more the more rows
        there are. On narrower tables the 20 epochs learn the training rows
        little, and every row trains.
    validation_fraction : float, default=0.1
        Fraction of the training data held out when early stopping is on,
        rounded to the nearest number of rows (halves to even, as Python's
        ``round``; scikit-learn's ``train_test_split`` rounds up): 25 rows
        hold out 2 at the default; a fraction that rounds to no row, or to
        every row, is refused.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping;
        an epoch improves on the best when its loss is lower by more than
        1e-4 of the best's size (skorch's ``EarlyStopping`` threshold).
    contamination : "auto" or float in (0, 0.5], default="auto"
        Expected proportion of outliers in the training data; sets
        ``offset_``. With a float, ``offset_`` is that percentile of the
        training scores. With ``"auto"``, Tukey's rule: a sample is an
        outlier when its score is below ``Q1 - 1.5 * IQR`` of the training
        scores, or, when early stopping held out 20 rows or more, the lower of
        that fence and the held-out rows' one: the network did not train on
        them, so they score as new rows will (a small, wide table's training
        rows are learned so well that a fence on their scores flagged most new
        normal rows, and fewer training rows are flagged with it), and the
        training rows' fence, drawn on ten times the rows, caps one that the
        chance of a few dozen held-out rows lifts. Either threshold
        is lowered by 1e-5 of its size and of the scores' spread, so that a
        score tied with it (binary or duplicated rows) counts as an inlier
        whatever batch it is scored in (float32 rounding moves a score by up
        to about 3e-6 of them with the batch);
        with ties, or training scores within that margin of the threshold,
        fewer than ``contamination`` may be flagged.
    tail_screen : float or None, default=None
        With a number, :meth:`fit` leaves out of training the rows that lie
        far out in their numeric columns: a row's term is the mean over its
        observed entries in the numeric columns that vary of
        ``-log min(F(x), 1 - F(x-))``, each entry's two-sided tail under its
        column's empirical distribution in ``X``, divided by ``1 + log 2``
        (the mean of a column of distinct values), so that a typical row's
        term is about 1 (less on columns of many ties: on digits' pixels the
        median row's is 0.55 and the largest 0.94, so that 2 leaves none
        out); a row whose term is above ``tail_screen`` is left
        out, at most a tenth of the rows (the farthest out), none from fewer
        than 50 rows (rows with no such entry are kept, and count towards
        neither number). A rare value counts as far out as its rarity: a 0/1
        column's 1 seen in 5% of the rows as -log(0.05) / (1 + log 2) = 1.8
        typical entries. A group of anomalies far from the normal rows in
        many columns (a process in another state) is otherwise learned as
        the normal rows are, and then scored as normal. At 2, measured with
        :class:`AutoEncoder` over three seeds
        (``benchmarks/results/detection_ablation_22.md``): the clustered
        anomalies of ``benchmarks/detection.py`` 0.914 to 0.923 ROC-AUC, the
        21 real sets 0.742 to 0.744 (average precision 0.408 to 0.421),
        one-class MNIST unchanged (0.909), dependency anomalies 0.747 to
        0.746. A group far out in one column of a few is not caught (its
        mean over the columns stays low), and a large group only in part:
        its own size bounds how rare its values look (a group of 5% of the
        rows has tails of at most -log(0.05), 1.8 typical entries, in each
        column; 20 rows of 300 shifted by 6 in all 4 columns: about half left
        out, 10 and 11 of them in two draws). A clean table loses few rows where
        it is wide (the term is a mean over the columns), more where it is
        narrow: of independent normal columns, 6.8% of the rows of one, 2.9%
        of two, 1.3% of three, 0.27% of five, none of ten; their tails then
        score as outliers. Not the default: it does not gain on every view,
        and it trains on fewer rows than ``X`` for the sake of detection,
        where a reduction is expected to represent every row. The scaling is
        still the whole of ``X``'s, and the threshold (``offset_``) is drawn
        on every row's score, the rows left out included; the rest of what
        the scores are made of comes from the rows trained on, and so does
        ``early_stopping``'s count of rows (``n_screened_`` says how many
        were left out). Categorical columns are not ranked (a rare category
        is loud in the score already); :meth:`partial_fit`, which sees a
        chunk at a time, trains on every row. After a screened ``fit`` it
        draws the threshold on a sample of the rows left out too, in
        proportion, for as long as the fit's rows are among the 256 it keeps
        between calls (see :meth:`partial_fit`): on the rows kept alone, a
        chunk of 20 normal rows made it flag twice the share of new normal
        rows.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict; ``"auto"`` takes a GPU when torch sees one.
        Outputs are always numpy arrays. Read by :meth:`fit` (and by
        ``skae.load``'s own ``device``): set after fitting, it changes
        nothing until the next fit, as any parameter; ``device_`` is where
        the fitted model runs. ``partial_fit`` continues a fitted model
        where it is, and refuses a ``device`` that is not ``device_``'s
        (``skae.load(path, device=...)`` moves a saved model).
    random_state : int, RandomState instance or None, default=None
        Seeds every random draw of a fit (initial weights, shuffling, the
        held-out split). Fitting leaves numpy's and torch's global random
        state unchanged, so with None each fit draws a fresh seed from the
        operating system and differs from the last, and ``np.random.seed``
        does not make it reproducible (it does for scikit-learn's
        estimators, which draw from numpy's global generator): pass an int.
        A fit that continues the fitted network (``warm_start=True``,
        ``partial_fit``) draws on from the generator the first fit seeded,
        which the model keeps (and saves): a continuation is reproducible
        whatever ``random_state`` is then, and a new value takes effect at
        the next fit that starts afresh (:class:`~sklearn.neural_network.MLPRegressor`
        re-seeds at every call instead).
    verbose : int, default=0
        0 is silent, 1 prints a table of losses per epoch with the estimated
        time left (``time_left``, seconds), and a progress line every 5
        seconds within a long epoch; 2 adds a progress bar per epoch.
    warm_start : bool, default=False
        When True and the estimator is already fitted, ``fit`` trains the
        fitted network for ``max_epochs`` more epochs (keeping the scaling
        learned at the first fit) instead of starting afresh, like
        :class:`~sklearn.neural_network.MLPRegressor`. ``partial_fit`` always
        continues. With early stopping, such a fit holds out the rows the
        fit it continues held out (when it has as many rows and the same
        ``validation_fraction``), so that its epochs and ``offset_`` are
        judged on rows the network has not trained on.
    callbacks : list of skorch callbacks, default=None
        Extra :mod:`skorch.callbacks` (or ``(name, callback)`` tuples), e.g.
        ``LRScheduler`` or ``Checkpoint``. They are copied at fit. Callbacks
        that score predictions against targets (``EpochScoring``,
        ``BatchScoring``) do not apply, and are refused with a ValueError:
        an autoencoder has no ``y``, and its losses are in ``net_.history``
        already. A callback that monitors a validation score (``Checkpoint``,
        ``EarlyStopping``: ``"valid_loss"``) needs ``early_stopping=True``,
        whose held-out rows give it, and ``fit`` (``partial_fit`` holds out
        none); without them it is refused with a ValueError.
    accelerator : accelerate.Accelerator, default=None
        Train through Hugging Face Accelerate (skorch's
        ``skorch.hf.AccelerateMixin``): mixed precision, or one model
        on several GPUs or processes when the script is started with
        ``accelerate launch`` or ``torchrun``. Each process trains on its share
        of every epoch's batches and the gradients are averaged, so
        ``batch_size`` stays the size of one step's batch over all processes.
        The accelerator places the model, so ``device`` is not used. Not
        saved by ``save``. See the "Scaling out" page. The accelerator
        lists the network and its optimiser while they train; each ``fit``
        or ``partial_fit`` takes them off its lists at the end, also when
        it fails, so one ``Accelerator`` serves any number of fits without
        holding their weights. An ``Accelerator`` belongs to
        the process that made it: in a search in worker processes
        (``GridSearchCV(n_jobs=2)`` with joblib's default backend) the first
        fit in each worker fails, and its candidate scores NaN with a
        ``FitFailedWarning``, while later ones may train, so the search
        compares a subset that depends on the scheduling: search in one
        process (``n_jobs=1``). Gradient accumulation is refused (multiply
        ``batch_size`` instead), and so is a ``partial_fit`` with another
        accelerator than the fit's (``warm_start=True`` continues with it).

"""

ATTRIBUTES = """\
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is the torch module and
        ``net_.history`` the training history.
    mean_ : ndarray of shape (n_inputs,)
        Per-feature mean used for the internal standardisation. ``n_inputs``
        is ``n_features_in_``, or with categorical columns the width of the
        encoded rows: one entry per category of each categorical column (its
        one-hot block: the mean is the category's frequency ``f`` in the
        training rows and ``scale_`` is ``sqrt(f * (1 - f))``, as a
        :class:`~sklearn.preprocessing.StandardScaler` after a
        :class:`~sklearn.preprocessing.OneHotEncoder` would give; a category
        the training rows never or always show has scale 1), one per numeric
        column.
    scale_ : ndarray of shape (n_inputs,)
        What the internal scaling divides each feature by: its standard
        deviation, or one scale shared by every feature (``scaling="global"``,
        or ``"auto"`` on data on one fixed scale). A constant feature (one
        whose spread is at most 1,000 float64 epsilons times its mean, and
        whose root mean square distance from a value it takes at most 64
        epsilons times that value: close to
        :class:`~sklearn.preprocessing.StandardScaler`'s test, not the same)
        is divided by
        the median scale of the other features (1 when every feature is
        constant), so that a deviation from it scores alike in any units of
        ``X``; :meth:`inverse_transform` and :meth:`sample` give it back as
        that constant.
    error_scale_ : ndarray of shape (`n_features_in_`,)
        Mean reconstruction error of each (standardised) feature on the
        training data, as :meth:`score_samples` measures it (the squared
        error, or the cross-entropy above each entry's own entropy): over
        every row given to :meth:`fit`, the tenth ``early_stopping`` holds
        out included, but not the rows ``tail_screen`` leaves out;
        :meth:`score_samples` divides by it. A numeric feature
        constant in the training data takes the median of the varying numeric
        features' (its own, the network's near-zero error there, made its
        noise the loudest term of normal rows, and a deviation from the
        constant a million times a typical feature's). When every numeric
        feature is constant there is no such median, and each keeps its own
        (at least 1e-6): the features then weigh unequally, and any
        deviation from the training row scores as an outlier. Not set by the
        variational kind.
    noise_variance_ : float
        Mean squared error of the training reconstructions over their
        observed entries, in the units of ``X`` (at least 1e-6 times the mean
        of ``scale_ ** 2``): the least variance of the Gaussian observation
        model of :meth:`score`, which uses its logarithm, so that data whose
        variance float64 cannot hold (units of 1e-165: ``noise_variance_`` is
        then 0) still get a finite score.
        (Data in units of about 1e152 and more are refused at fit, as too
        large to standardise.) Not set by the variational kind, whose decoder is its
        own observation model.
    latent_density_ : sklearn.mixture.GaussianMixture
        Density of the training codes, which :meth:`sample` draws from: full
        covariances, with 1, 2, 4 or 10 components (at most as many as there
        are distinct codes, and none with more free parameters than the codes
        it is fitted on), whichever has the lowest BIC. Not set by the
        variational kind, whose code density is its prior N(0, I).
    code_mean_ : ndarray of shape (`n_components_`,)
        Mean of the training codes; with ``code_covariance_``, the one
        Gaussian whose log-density is the code term of :meth:`score_samples`.
        Not set by the variational kind.
    code_covariance_ : ndarray of shape (`n_components_`, `n_components_`)
        Covariance of the training codes (plus 1e-6 on the diagonal, and
        each code's float32 resolution, 1e-10 times its mean square);
        with fewer than 10 training rows per code, Ledoit and Wolf's shrunk
        estimate (``sklearn.covariance.ledoit_wolf``), as the sample
        covariance of so few codes has directions of almost no variance.
    offset_ : float
        Threshold on :meth:`score_samples`; ``decision_function`` is
        ``score_samples - offset_``.
    n_screened_ : int
        How many training rows the last :meth:`fit` left out of training
        (see ``tail_screen``; 0 without it); 0 after a first
        :meth:`partial_fit`.
    missing_shift_ : ndarray of shape (`n_features_in_` + 1,)
        With ``missing_scale_``, the calibration of the score of a row with
        ``m`` observed entries: ``missing_shift_[m] + missing_scale_[m] *
        s``, which gives such rows the median and lower tail (the distance
        down to the 5% quantile) of the training rows' scores (fitted on
        training rows scored again with holes). The identity for complete
        rows when the training rows were complete.
    missing_scale_ : ndarray of shape (`n_features_in_` + 1,)
        See ``missing_shift_``.
    missing_centre_ : float
        The median of the training rows' calibrated scores, around which
        ``missing_column_scale_`` scales a row's score.
    missing_column_scale_ : ndarray of shape (`n_features_in_`,)
        Per input column, the factor on the distance from
        ``missing_centre_`` of the calibrated score of a row missing it: a
        row missing columns ``J`` scores ``missing_centre_ + g * (c -
        missing_centre_)``, ``c`` its score calibrated for its count and
        ``g`` the geometric mean of the factors of ``J``. It gives the rows
        missing each column the lower tail of all rows missing one (fitted
        on training rows with one column removed); below 1 for a column
        whose absence leaves others poorly reconstructed.
    n_iter_ : int
        Number of epochs the network has trained, over the first fit and
        every continuation since (``warm_start`` fits and ``partial_fit``
        calls): one per row of ``net_.history``. (MLPRegressor's counts the
        last call's epochs only.)
    device_ : torch.device
        The device the model lives on.
    n_components_ : int
        The number of codes: ``n_components``, or what ``"auto"`` gave for
        ``n_features_in_``.
    is_categorical_ : ndarray of shape (`n_features_in_`,) of bool, or None
        Which input columns are categorical (see ``categorical_features``);
        None when none is.
    categories_ : list of ndarray
        The categories of each categorical column, in column order (the
        order of their one-hot entries). Set only when ``is_categorical_`` is
        not None.
    hidden_layer_sizes_ : tuple of int
        The widths (channels with ``architecture="conv"``) of the hidden
        layers: ``hidden_layer_sizes``, or what ``"auto"`` gave.
    image_shape_ : tuple of int
        The ``(C, H, W)`` shape of one image: ``image_shape``, or what the
        rows' length (or a 4-D ``X``'s shape) gave. Set only with
        ``architecture="conv"``.
    n_features_in_ : int
        Number of features seen during :term:`fit`.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when ``X`` has
        feature names that are all strings.

"""


def _attribute_blocks(text: str) -> list[tuple[str, str]]:
    """``text``'s entries as (name, lines) pairs, in order."""
    blocks: list[tuple[str, str]] = []
    for line in text.splitlines(keepends=True):
        match = re.match(r"    (\w+) : ", line)
        if match:
            blocks.append((match.group(1), line))
        elif blocks:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + line)
    return blocks


def fill_doc(
    cls: T | None = None,
    *,
    defaults: dict[str, str] | None = None,
    choices: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
):
    """Class decorator: splice the shared parameter and attribute docs in.

    A kind's own parameters and attributes follow the markers in its docstring.
    ``defaults`` replaces the documented default of the named parameters (a
    kind whose signature differs), ``choices`` their documented values (a
    kind that takes fewer), ``without`` leaves out the named attributes
    (those the kind never sets).
    """

    def decorate(cls: T) -> T:
        parameters = PARAMETERS
        # A parameter's header line is "    name : values, default=default".
        for what, edits, header, replacement in (
            ("default", defaults, r"^(    {} : .*default=).*$", r"\g<1>{}"),
            ("values", choices, r"^(    {} : ).*(, default=.*)$", r"\g<1>{}\g<2>"),
        ):
            for name, value in (edits or {}).items():
                parameters, found = re.subn(
                    header.format(name), replacement.format(value), parameters, flags=re.M
                )
                if found != 1:
                    raise ValueError(f"no documented {what} of {name!r} to replace")
        attributes = "".join(
            lines for name, lines in _attribute_blocks(ATTRIBUTES) if name not in without
        )
        cls.__doc__ = cls.__doc__.replace(
            "    %(parameters)s\n", parameters.rstrip() + "\n"
        ).replace("    %(attributes)s\n", attributes.rstrip() + "\n")
        return cls

    return decorate if cls is None else decorate(cls)
