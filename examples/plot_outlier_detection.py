"""
=================================================
Outlier detection on tabular data
=================================================

An autoencoder learns to reconstruct the bulk of its training data, so it
reconstructs rare, unusual rows badly; skae turns that into an outlier score
with the same API as :class:`~sklearn.ensemble.IsolationForest`. This example
uses the breast cancer table that ships with scikit-learn (30 measurements of
cell nuclei, in very different units): benign tumours are the normal rows and
a few malignant ones play the outliers. It shows how to

* put the detector in a :class:`~sklearn.pipeline.Pipeline` with a
  preprocessing step,
* compare it with :class:`~sklearn.ensemble.IsolationForest` on ROC curves,
* choose ``contamination``, which turns scores into +1 / -1 labels,
* and see which columns made each outlier an outlier.
"""

# %%
# A contaminated table with missing values
# ----------------------------------------
# The training data of an outlier detector is unlabelled and contains some
# outliers already: here 5% of the rows are malignant. Real tables also have
# gaps, so 2% of the entries are removed at random. The labels are kept
# aside, for evaluation only.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.metrics import RocCurveDisplay, precision_score, recall_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from skae import AutoEncoder, VariationalAutoEncoder

X, y = load_breast_cancer(return_X_y=True)
rng = np.random.RandomState(0)
benign = np.flatnonzero(y == 1)
malignant = rng.choice(np.flatnonzero(y == 0), size=round(0.05 / 0.95 * len(benign)), replace=False)
rows = np.concatenate([benign, malignant])
X = X[rows]
is_outlier = np.isin(rows, malignant)
X[rng.uniform(size=X.shape) < 0.02] = np.nan

X_train, X_test, outlier_train, outlier_test = train_test_split(
    X, is_outlier, test_size=0.5, stratify=is_outlier, random_state=0
)
print(
    f"{len(X_train)} training rows ({outlier_train.sum()} outliers), "
    f"{len(X_test)} test rows ({outlier_test.sum()} outliers)"
)

# %%
# The detectors
# -------------
# skae's estimators and :class:`~sklearn.ensemble.IsolationForest` both
# accept missing values; here each pipeline first fills them with the
# feature's median, so that the three detectors see the same complete rows
# (the last section uses skae's own handling). The autoencoders then
# standardise every feature
# internally, which the wildly different units of this table need. The plain
# autoencoder's defaults are tuned for outlier detection (at most 20 epochs, so
# that the network does not learn to reconstruct the outliers of the training
# data too); the variational one, a density model, trains up to 200.

detectors = {
    "AutoEncoder": make_pipeline(SimpleImputer(strategy="median"), AutoEncoder(random_state=0)),
    "VariationalAutoEncoder": make_pipeline(
        SimpleImputer(strategy="median"), VariationalAutoEncoder(random_state=0)
    ),
    "IsolationForest": make_pipeline(
        SimpleImputer(strategy="median"), IsolationForest(random_state=0)
    ),
}
for detector in detectors.values():
    detector.fit(X_train)

# %%
# ROC curves
# ----------
# ``score_samples`` is higher for more normal rows, for every detector here,
# so its negative ranks rows from most to least abnormal. The ROC curve
# follows that ranking on the held-out rows and does not depend on any
# threshold.

fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
for name, detector in detectors.items():
    RocCurveDisplay.from_predictions(
        outlier_test, -detector.score_samples(X_test), name=name, ax=ax
    )
ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
ax.set_title("Malignant rows among benign ones (test set)")
ax.legend(loc="lower right")
plt.show()

# %%
# Choosing ``contamination``
# --------------------------
# ``predict`` labels a row an outlier (-1) when ``decision_function``, that
# is ``score_samples - offset_``, is negative. ``offset_`` is set at fit from
# the training scores and ``contamination``:
#
# * a float is the expected fraction of outliers in the training data, and
#   ``offset_`` is that percentile of the training scores;
# * ``"auto"`` (the default) sets ``offset_`` at Tukey's lower fence,
#   ``Q1 - 1.5 * IQR`` of the training scores: a row is an outlier when its
#   score is far below the typical range, however many such rows there are.
#
# The network does not depend on ``contamination``, and with a fixed
# ``random_state`` a refit trains exactly the same network, so only the
# threshold moves.

train_scores = detectors["AutoEncoder"].score_samples(X_train)
settings = ["auto", 0.02, 0.05, 0.1]
offsets = {}
print(f"{'contamination':>13}  {'offset_':>8}  {'flagged':>7}  {'precision':>9}  {'recall':>6}")
for contamination in settings:
    detector = detectors["AutoEncoder"].set_params(autoencoder__contamination=contamination)
    detector.fit(X_train)
    offsets[contamination] = detector[-1].offset_
    predicted_outlier = detector.predict(X_test) == -1
    print(
        f"{contamination!s:>13}  {offsets[contamination]:8.2f}  {predicted_outlier.mean():7.1%}  "
        f"{precision_score(outlier_test, predicted_outlier):9.2f}  "
        f"{recall_score(outlier_test, predicted_outlier):6.2f}"
    )

# %%
# The histogram shows the training scores and the threshold of each setting.
# A smaller ``contamination`` lowers ``offset_``: fewer rows are flagged, and
# recall falls. Precision need not rise: the test set holds only nine
# malignant rows, so one row more or less found moves it a lot. The fraction
# flagged among the test rows stays near ``contamination`` (new rows tend to
# score a little lower than the training rows the network has learned, which
# can push it above). Here the benign rows' scores have a long lower tail,
# and Tukey's fence (``"auto"``) falls inside it: it flags more rows than the
# true 5% and misses few malignant ones. When the fraction of outliers is
# known, pass it; otherwise ``"auto"`` gives a threshold without that
# knowledge, worth checking on a few labelled rows.
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
bins = np.linspace(np.percentile(train_scores, 0.5), train_scores.max(), 50)
ax.hist(
    np.clip(train_scores[~outlier_train], bins[0], None),
    bins=bins,
    color="tab:blue",
    alpha=0.7,
    label="benign rows",
)
ax.hist(
    np.clip(train_scores[outlier_train], bins[0], None),
    bins=bins,
    color="tab:red",
    alpha=0.7,
    label="malignant rows",
)
for (contamination, offset), style in zip(offsets.items(), ["-", "--", "-.", ":"], strict=True):
    ax.axvline(
        offset, color="black", linestyle=style, label=f"offset_, contamination={contamination}"
    )
ax.set_xlabel("score_samples on the training rows (lowest values clipped)")
ax.set_ylabel("rows")
ax.legend(fontsize=8)
plt.show()

# %%
# Which columns made a row an outlier
# -----------------------------------
# ``explain`` splits each row's ``score_samples`` into one term per column and
# a last term for the code: the lower a column's term, the more that column
# made the row look abnormal. Here the autoencoder is fitted on the incomplete
# rows themselves, without the imputer: a missing entry is left out of the
# loss and of the score, and its term is 0. The heat map shows the terms of
# the ten test rows that score lowest, with their true label. For most of
# them the code term, whether the row's code lies among the training codes,
# weighs most: these rows are abnormal as a whole, in the combination of their
# measurements, more than in any one of them. The printout below names, for
# each row, the column whose term is lowest.
names = load_breast_cancer().feature_names
native = AutoEncoder(random_state=0).fit(X_train)
scores = native.score_samples(X_test)
print(
    f"ROC-AUC of the AutoEncoder on the incomplete rows: {roc_auc_score(outlier_test, -scores):.3f}"
)
lowest = np.argsort(scores)[:10]
terms = native.explain(X_test[lowest])

fig, ax = plt.subplots(figsize=(9, 4), layout="constrained")
image = ax.imshow(terms, cmap="viridis", aspect="auto")
ax.set_xticks(range(terms.shape[1]), [*names, "code"], rotation=90, fontsize=7)
ax.set_yticks(
    range(len(lowest)),
    [f"row {i} ({'malignant' if outlier_test[i] else 'benign'})" for i in lowest],
    fontsize=7,
)
fig.colorbar(image, ax=ax, label="term (lower: more abnormal)")
ax.set_title("What made the ten lowest-scoring test rows abnormal")
plt.show()

# %%
# The column with the lowest term, for each of those rows:
for row, row_terms in zip(lowest, terms, strict=True):
    worst = int(np.argmin(row_terms[:-1]))
    label = "malignant" if outlier_test[row] else "benign"
    print(f"row {row:3d} ({label:9s}): {names[worst]} ({row_terms[worst]:.2f})")
