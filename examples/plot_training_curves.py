"""
=====================================================
Training curves, early stopping and skorch callbacks
=====================================================

skae trains every model on a private :class:`skorch.NeuralNet`, kept after
fitting as ``net_``. Its ``history`` records the losses of every epoch, which
is how to see whether a model trained long enough, or too long. This example
plots those curves, stops training early on a held-out fraction of the data,
and adds a learning-rate schedule through a skorch callback.
"""

# %%
# Watch an epoch table
# --------------------
# ``verbose=1`` prints one line per epoch. A model with a penalty, such as the
# sparse autoencoder, logs each term of its loss next to the total.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from skorch.callbacks import LRScheduler

from skae import AutoEncoder, SparseAutoEncoder

X, y = load_digits(return_X_y=True)
sparse = SparseAutoEncoder(n_components=16, max_epochs=5, verbose=1, random_state=0).fit(X)

# %%
# The same numbers are in ``net_.history``, one row per epoch. Indexing it
# with a column name gives that column for every epoch.
history = sparse.net_.history
print("columns:", sorted(key for key in history[-1] if key != "batches"))
print("train_sparsity per epoch:", [round(v, 4) for v in history[:, "train_sparsity"]])

# %%
# Stop early
# ----------
# With ``early_stopping=True``, ``fit`` holds out ``validation_fraction`` of
# the rows (10% by default), records their loss after every epoch as
# ``valid_loss``, and stops once it has not improved for ``patience``
# epochs (an improvement must exceed a relative threshold of 1e-4, skorch's
# default). The weights of the best epoch, ``patience`` epochs before the
# end, are restored; ``n_iter_`` counts the epochs that ran, and
# ``max_epochs`` becomes an upper bound.
#
# A learning-rate schedule is one of skorch's callbacks:
# :class:`skorch.callbacks.LRScheduler` wraps any scheduler of
# ``torch.optim.lr_scheduler`` and records the learning rate of each epoch in
# the history as ``event_lr``. Callbacks are passed as a list, and copied at
# each fit so that the list itself is never modified.

model = AutoEncoder(
    n_components=8,
    scaling="global",
    max_epochs=400,
    early_stopping=True,
    patience=10,
    callbacks=[LRScheduler(policy="StepLR", step_size=40, gamma=0.5)],
    random_state=0,
).fit(X)

history = model.net_.history
train_loss = history[:, "train_loss"]
valid_loss = history[:, "valid_loss"]
best_epoch = model.n_iter_ - model.patience
print(f"stopped after {model.n_iter_} epochs; the best validation loss was at epoch {best_epoch}")

# %%
# Plot the curves
# ---------------
# The training loss keeps falling while the validation loss levels off: past
# that point the network learns the training rows rather than digits in
# general. After each halving of the learning rate, both losses settle a
# little lower.

epochs = history[:, "epoch"]
# The epoch that triggers early stopping ends before the scheduler records it.
learning_rates = [row.get("event_lr") for row in history]

fig, (ax_loss, ax_lr) = plt.subplots(
    2, 1, figsize=(7, 5.5), sharex=True, height_ratios=[3, 1], layout="constrained"
)
ax_loss.plot(epochs, train_loss, label="train_loss")
ax_loss.plot(epochs, valid_loss, label="valid_loss (held-out rows)")
ax_loss.axvline(best_epoch, color="grey", linestyle="--", label=f"best epoch ({best_epoch})")
ax_loss.set(yscale="log", ylabel="mean Huber loss", title="AutoEncoder on load_digits")
ax_loss.legend()
ax_lr.step(epochs, learning_rates, where="post", color="tab:green")
ax_lr.set(yscale="log", xlabel="epoch", ylabel="learning rate")
plt.show()

# %%
# Continue training
# -----------------
# ``partial_fit`` trains one more epoch on the data it is given, from the
# current weights, and appends to the same history; early stopping does not
# apply to it. It is the way to train on data that arrives in chunks.
n_before = len(model.net_.history)
for _ in range(3):
    model.partial_fit(X)
print(
    f"{len(model.net_.history) - n_before} more epochs, last train_loss "
    f"{model.net_.history[-1, 'train_loss']:.4f}"
)
