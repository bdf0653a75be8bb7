"""
=====================================================
Outliers in a mixed table with missing values
=====================================================

Real tables mix numbers with categories and have gaps. skae takes such a
``pandas.DataFrame`` as it comes: columns of dtype ``category``,
``object`` (strings) or ``bool`` are categorical (``categorical_features=
"from_dtype"``, as :class:`~sklearn.ensemble.HistGradientBoostingRegressor`
names it), each reconstructed by its own softmax head, and a missing entry
(``NaN``, ``None``) is left out of the loss and of the score. This example
fits a detector on a table of card payments with no preprocessing at all,
lists the rows that score lowest, and shows which column made each of them an
outlier with :meth:`~skae.AutoEncoder.explain`.
"""

# %%
# A table of payments
# -------------------
# Each payment has an amount, a number of items (1 to 6), the hour of the day,
# a channel, the customer's country and whether the card was present. The
# amount follows the number of items, in-store payments are made during the
# day with the card present, and online ones at any hour without it. Four
# kinds of outlier are planted, 6 rows each: an amount six times what its
# number of items costs, an in-store payment at 3 a.m., an online payment with
# the card present (a pair of categories never seen together), and a country
# seen in no other row. Then 5% of all entries are removed.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skae import AutoEncoder

rng = np.random.RandomState(0)
n = 2000
online = rng.uniform(size=n) < 0.4
items = rng.randint(1, 7, n)
table = pd.DataFrame(
    {
        "amount": items * rng.lognormal(3, 0.2, n),
        "items": items.astype(float),
        "hour": np.where(online, rng.uniform(0, 24, n), rng.normal(14, 2.5, n)),
        "channel": pd.Categorical(np.where(online, "online", "store")),
        "country": pd.Categorical(rng.choice(["FR", "DE", "ES", "IT"], n, p=[0.3, 0.3, 0.2, 0.2])),
        "card_present": ~online,
    }
)
store, web = np.flatnonzero(~online[:60]), np.flatnonzero(online[:60])
planted = {"amount": store[:6], "hour": store[6:12], "card_present": web[:6], "country": web[6:12]}
table.loc[planted["amount"], "amount"] *= 6
table.loc[planted["hour"], "hour"] = 3.0
table.loc[planted["card_present"], "card_present"] = True
table["country"] = table["country"].cat.add_categories("NZ")
table.loc[planted["country"], "country"] = "NZ"

missing = rng.uniform(size=table.shape) < 0.05
table = table.mask(missing)
# The flag stays boolean where it is observed: a missing flag is None.
table["card_present"] = table["card_present"].astype(object)
print(table.head())
print(f"{int(missing.sum())} entries missing")

# %%
# Fit and score, no preprocessing
# -------------------------------
# The detector standardises the numbers, one-hot encodes the categories and
# reconstructs each with its own loss; the categories it learned are those of
# the training rows. (Here the detector is fitted on the table it scores, as
# an unsupervised detector is: the planted rows are part of its training
# data.)
detector = AutoEncoder(random_state=0).fit(table)
scores = detector.score_samples(table)
lowest = np.argsort(scores)[:30]
truth = pd.Series("", index=table.index)
for column, rows in planted.items():
    truth[rows] = column
print(pd.DataFrame({"score": scores[lowest], "planted in": truth[lowest]}, index=lowest))

# %%
# Which column made each of them an outlier
# -----------------------------------------
# ``explain`` returns, for each row, one term per input column (a categorical
# column counts once) and the code term, that add up to ``score_samples``. The
# lower a column's term, the more that column made the row abnormal. Each
# column is set in turn to the value the model predicts for it from the
# others, and the row's reconstruction part of the score is shared by how much
# each such repair makes the row more normal: a wrong value disturbs the
# reconstructions of the other columns too, but only setting it right repairs
# them all. A missing entry's term is 0.
#
# In the heat map, the new country and the amounts too large for their items
# are named by their own column. An online payment with the card present is a
# pair of values that do not go together, and either, set right, makes the row
# normal: the blame goes to the flag or to the channel. Unplanted rows are
# among the lowest too: online payments at night, at the edge of what the
# table holds, and a payment whose card flag is missing. The flag goes with
# the channel, and with it missing the model's guess at the row can still go
# wrong, though less than when the missing entry was read as its mean; its
# terms then fall on observed values that are normal. The calibration of
# such rows' scores allows for which column is missing (the user guide's
# section on missing values), which lifts such a row, but not above every
# planted one.
terms = detector.explain(table.iloc[lowest])
named = terms.drop(columns="code").idxmin(axis=1) == truth[lowest]
n_planted = int((truth[lowest] != "").sum())
print(f"planted rows among the 30 lowest: {n_planted}, named by their column: {int(named.sum())}")

# Each row's column terms as shares of their sum, so that rows of very
# different scores read on one scale (the terms of a row are all <= 0).
per_column = terms.drop(columns="code")
shares = per_column.div(per_column.sum(axis=1), axis=0)
fig, ax = plt.subplots(figsize=(7, 7), layout="constrained")
image = ax.imshow(shares.to_numpy(), cmap="Reds", vmin=0, vmax=1, aspect="auto")
ax.set_xticks(range(shares.shape[1]), shares.columns, rotation=45, ha="right")
ax.set_yticks(
    range(len(lowest)),
    [f"row {i} ({truth[i] or 'not planted'}), score {scores[i]:.0f}" for i in lowest],
    fontsize=7,
)
fig.colorbar(image, ax=ax, label="share of the row's column terms")
ax.set_title("What made the 30 lowest-scoring payments abnormal")
plt.show()

# %%
# The column with the lowest term for each of them, against the planted one:
for row, row_terms in terms.drop(columns="code").iterrows():
    print(f"row {row:4d}: {row_terms.idxmin():12s} planted: {truth[row] or '-'}")

# %%
# Where every planted row ranks among the 2,000 (0 is the lowest score), and
# the column ``explain`` names for it. The night-time store payments score
# lower than most rows, but none of them among the 30 lowest (their hour
# is common for online payments); two of them lost the planted hour to the
# removed entries and are as normal as any row. A planted row that does not stand out is not
# named reliably either.
rank = np.argsort(np.argsort(scores))
for column, rows in planted.items():
    named = detector.explain(table.iloc[rows]).drop(columns="code").idxmin(axis=1)
    print(f"{column:12s} ranks {rank[rows]}, named {named.tolist()}")
