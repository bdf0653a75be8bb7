"""The screen of the training rows by their marginal tails (``tail_screen``)."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import KINDS
from sklearn import clone, config_context, get_config
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import InvalidParameterError

from skae import AutoEncoder, DenoisingAutoEncoder, VariationalAutoEncoder
from skae._scaling import ScaledRows, rows_for_training
from skae._screen import (
    CONTINUOUS_MEAN,
    MAX_SCREEN_SHARE,
    MIN_SCREEN_ROWS,
    KeptRows,
    column_tails,
    screened_rows,
    select_rows,
    tail_terms,
)

FAST = dict(hidden_layer_sizes=(16,), max_epochs=15, random_state=0)
SCREEN = dict(tail_screen=2.0, **FAST)


def _clustered(n: int = 400, n_group: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Normal rows on a correlated plane, and a tight group of anomalies far
    out in every column: what the network learns as normal unless it is
    left out."""
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(n, 2))
    X = latent @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(n, 6))
    group = 6.0 + 0.05 * rng.normal(size=(n_group, 6))
    y = np.r_[np.zeros(n), np.ones(n_group)]
    return np.vstack([X, group]), y


def test_column_tails_are_the_two_sided_empirical_tails():
    tails = column_tails(np.array([1.0, 2.0, 3.0, 4.0, np.nan]))
    expected = -np.log([0.25, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(tails[:4], expected)
    assert np.isnan(tails[4])
    # A constant column has no tail.
    np.testing.assert_array_equal(column_tails(np.full(5, 3.0)), np.zeros(5))
    # Tied values share their tail: 3 of the 4 are at most 0.
    tails = column_tails(np.array([0.0, 0.0, 0.0, 1.0]))
    np.testing.assert_allclose(tails, -np.log([0.75, 0.75, 0.75, 0.25]))
    assert np.isnan(column_tails(np.array([np.nan, np.nan]))).all()


def test_tail_terms_are_rank_based_and_a_typical_row_is_one():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    terms = tail_terms(X.T, len(X))
    # Each column's tails over the mean of a continuous column's, 1 + log 2.
    expected = np.mean([column_tails(column) for column in X.T], axis=0) / CONTINUOUS_MEAN
    np.testing.assert_allclose(terms, expected)
    assert terms.mean() == pytest.approx(1.0, abs=0.03)
    # The units and any increasing map of a column change nothing.
    moved = np.c_[np.exp(X[:, 0]), 1e6 * X[:, 1] - 3, X[:, 2] ** 3, X[:, 3]]
    np.testing.assert_allclose(tail_terms(moved.T, len(X)), terms)
    # A missing entry: the row's mean over its observed entries.
    holed = X.copy()
    holed[0, :3] = np.nan
    expected = column_tails(X[:, 3])[0] / CONTINUOUS_MEAN
    assert tail_terms(holed.T, len(X))[0] == pytest.approx(expected)
    # No observed entry, or no column that varies: no term.
    holed[1] = np.nan
    assert np.isnan(tail_terms(holed.T, len(X))[1])
    assert np.isnan(tail_terms(np.ones((3, 10)), 10)).all()


def test_a_constant_column_does_not_pull_the_terms_down():
    """A probe finding: counted as 0 in each row's mean, one constant
    column of three made a typical row's term 0.67, and nothing was left
    out; so did a column constant where observed."""
    rng = np.random.RandomState(0)
    base = rng.normal(size=(1000, 2))
    terms = tail_terms(base.T, len(base))
    for extra in (np.ones((1000, 1)), np.ones((1000, 2)), np.where(base[:, :1] > 0, np.nan, 4.0)):
        np.testing.assert_allclose(tail_terms(np.c_[base, extra].T, len(base)), terms)
    model = AutoEncoder(**SCREEN).fit(np.c_[base, np.ones(1000)])
    assert model.n_screened_ == int((terms > 2.0).sum()) > 0


def test_screened_rows_level_share_and_fewest_rows():
    terms = np.r_[np.ones(90), np.linspace(2.5, 3.5, 10)]
    np.testing.assert_array_equal(screened_rows(terms, 2.0), np.arange(100) >= 90)
    assert screened_rows(terms, None) is None
    assert screened_rows(terms, 4.0) is None
    assert screened_rows(terms[: MIN_SCREEN_ROWS - 1], 0.5) is None
    # More rows above the level than the share: the farthest out, no more.
    terms = np.r_[np.ones(50), np.arange(3.0, 53.0)]
    out = screened_rows(terms, 2.0)
    assert out.sum() == int(MAX_SCREEN_SHARE * 100)
    np.testing.assert_array_equal(np.flatnonzero(out), np.arange(90, 100))
    # Rows without a term (nothing observed) are kept and count towards
    # neither bound (a probe: 49 rows and 3 empty ones lost 4).
    few = np.r_[np.ones(MIN_SCREEN_ROWS - 4), [5.0, 6.0, 7.0], np.full(3, np.nan)]
    assert screened_rows(few, 2.0) is None
    many = np.r_[np.ones(50), np.arange(3.0, 53.0), np.full(20, np.nan)]
    out = screened_rows(many, 2.0)
    assert out.sum() == 10 and not out[-20:].any()


def _n_far(X: np.ndarray) -> int:
    terms = tail_terms(X.T, len(X))
    return int((terms > 2.0).sum())


def test_the_far_group_is_above_the_level():
    X, y = _clustered()
    terms = tail_terms(X.T, len(X))
    assert (terms[y == 1] > 2.0).all()
    assert 0 < (terms[y == 0] > 2.0).sum() <= 5


def test_fit_leaves_a_far_group_out_and_then_flags_it():
    X, y = _clustered()
    screened = AutoEncoder(**SCREEN).fit(X)
    everything = AutoEncoder(**FAST).fit(X)
    assert screened.n_screened_ == _n_far(X) and everything.n_screened_ == 0
    assert AutoEncoder().get_params()["tail_screen"] is None
    # Trained on, the group reconstructs nearly as the normal rows do; left
    # out, it stands out ten times further below them.
    scores, before = screened.score_samples(X), everything.score_samples(X)
    gap = np.median(scores[y == 0]) - np.median(scores[y == 1])
    gap_before = np.median(before[y == 0]) - np.median(before[y == 1])
    assert gap > 5 * gap_before > 0
    assert roc_auc_score(y, -scores) == 1.0
    assert (screened.predict(X)[y == 1] == -1).all()
    # The rows trained on set the typical errors the scores divide by.
    assert np.median(screened.error_scale_) < 0.5 * np.median(everything.error_scale_)


@pytest.mark.parametrize("kind", [DenoisingAutoEncoder, VariationalAutoEncoder])
def test_every_kind_screens(kind):
    X, _ = _clustered()
    assert kind(**SCREEN).fit(X).n_screened_ == _n_far(X)
    assert kind(**FAST).fit(X).n_screened_ == 0


def test_a_float_contamination_counts_the_rows_left_out():
    """``contamination=0.1`` flags a tenth of the training rows, the rows
    left out included (a fence on the others' scores alone flagged them and
    a tenth of the rest)."""
    X, _ = _clustered()
    model = AutoEncoder(contamination=0.1, **SCREEN).fit(X)
    assert model.n_screened_ == _n_far(X)
    assert (model.predict(X) == -1).sum() == pytest.approx(0.1 * len(X), abs=1)


def test_the_screen_reads_the_observed_numeric_entries_only():
    X, _ = _clustered()
    X[::7, 0] = np.nan
    n_far = _n_far(X)
    assert n_far >= 16
    assert AutoEncoder(**SCREEN).fit(X).n_screened_ == n_far
    # A rare category is no reason to leave a row out; the numbers are.
    rng = np.random.RandomState(1)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["c"] = pd.Categorical(np.where(rng.uniform(size=len(X)) < 0.03, "rare", "common"))
    model = AutoEncoder(**SCREEN).fit(frame)
    assert model.n_screened_ == n_far
    frame.iloc[:, :6] = rng.normal(size=(len(X), 6))
    assert AutoEncoder(**SCREEN).fit(frame).n_screened_ < 4


def test_the_screen_is_the_same_when_the_rows_are_read_batch_by_batch():
    """A table larger than ``working_memory`` trains on the same rows,
    read as they are needed (a memmap is not copied whole)."""
    X, _ = _clustered()
    whole = AutoEncoder(**SCREEN).fit(X)
    # 0.001 MiB: the rows kept (about 400 x 6 float32, 9.5 KiB) are scaled
    # batch by batch (0.01 MiB held them whole, and tested nothing new).
    with config_context(working_memory=0.001):
        memory = get_config()["working_memory"]
        rows = rows_for_training(X[:400], np.zeros(6), np.ones(6), torch.device("cpu"), memory)
        assert isinstance(rows, ScaledRows)
        batched = AutoEncoder(**SCREEN).fit(X)
    assert batched.n_screened_ == whole.n_screened_ == _n_far(X)
    np.testing.assert_allclose(batched.offset_, whole.offset_, rtol=1e-5)
    np.testing.assert_allclose(batched.score_samples(X), whole.score_samples(X), rtol=1e-4)


def test_partial_fit_trains_on_every_row_and_warm_start_screens():
    X, _ = _clustered()
    model = AutoEncoder(**SCREEN).partial_fit(X)
    assert model.n_screened_ == 0
    fitted = AutoEncoder(**SCREEN).fit(X)
    fitted.partial_fit(X)
    assert fitted.n_screened_ == _n_far(X)  # the last fit's
    warm = AutoEncoder(warm_start=True, **SCREEN).fit(X[:300])
    assert warm.n_screened_ == _n_far(X[:300])
    warm.fit(X)
    assert warm.n_screened_ == _n_far(X)


def test_partial_fit_draws_the_threshold_on_the_rows_left_out_too(tmp_path):
    """A probe: after a screened fit, a partial_fit of 20 normal rows drew
    offset_ on the rows kept alone, and flagged twice the share of new
    normal rows (5.0% to 10.6%; 10% of the training rows to 14%). A sample
    of the rows left out, in proportion, is kept for it while the fit's own
    rows are among those kept, and saved with the model."""
    import skae

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:12] += 7
    new = rng.normal(size=(2000, 4))
    model = AutoEncoder(tail_screen=2.0, contamination=0.1, random_state=0).fit(X)
    assert model.n_screened_ == 8
    assert model._recent_screened.shape == (8, 4) and model._recent_fit_rows == 192
    flagged = np.mean(model.predict(new) == -1)
    model.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    chunk = rng.normal(size=(20, 4))
    model.partial_fit(chunk)
    assert np.mean(model.predict(new) == -1) < 1.5 * flagged
    assert abs(np.mean(model.predict(X) == -1) - 0.1) < 0.02
    loaded.partial_fit(chunk)
    assert loaded.offset_ == model.offset_
    # Once the fit's rows have left the rows kept, so have the screened ones.
    for _ in range(12):
        model.partial_fit(rng.normal(size=(20, 4)))
    assert not hasattr(model, "_recent_screened") and not hasattr(model, "_recent_fit_rows")


def test_the_fit_rows_kept_are_counted_as_chunks_push_them_out():
    """The screened sample follows the fit's rows among the 256 kept: a
    chunk pushes out as many of the oldest as the kept rows overflow by, and
    one of 256 rows or more all of them."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    X[:12] += 7
    model = AutoEncoder(tail_screen=2.0, contamination=0.1, random_state=0).fit(X)
    share = model._screened_share
    assert model._recent_fit_rows == 192 and share == pytest.approx(8 / 192)
    for size, left in ((20, 192), (50, 186), (7, 179), (100, 79)):
        model.partial_fit(rng.normal(size=(size, 4)))
        assert model._recent_fit_rows == left
        assert len(model._screened_in_window(torch.device("cpu"))) == round(share * left)
    model.partial_fit(rng.normal(size=(256, 4)))
    assert not hasattr(model, "_recent_fit_rows") and not hasattr(model, "_screened_share")


def test_too_few_rows_are_not_screened():
    X, _ = _clustered(n=40, n_group=2)
    assert AutoEncoder(**SCREEN).fit(X).n_screened_ == 0


@pytest.mark.parametrize("level", [0, -1.0, "2"])
def test_a_level_that_is_no_positive_number_is_refused(level):
    X, _ = _clustered()
    with pytest.raises(InvalidParameterError, match="tail_screen"):
        AutoEncoder(tail_screen=level, **FAST).fit(X)


def test_a_pickle_from_before_the_screen_trains_on_every_row():
    X, _ = _clustered()
    model = AutoEncoder(**SCREEN).fit(X)
    state = model.__getstate__()
    del state["tail_screen"]
    older = AutoEncoder.__new__(AutoEncoder)
    older.__setstate__(state)
    assert older.get_params()["tail_screen"] is None
    np.testing.assert_array_equal(older.score_samples(X), model.score_samples(X))


def test_the_auto_fence_is_drawn_on_every_training_row():
    """Tukey's fence of ``contamination="auto"`` is on the scores of the rows
    fit was given, the rows left out included, as without the screen."""
    X, _ = _clustered()
    model = AutoEncoder(**SCREEN).fit(X)
    q1, q3 = np.percentile(model.score_samples(X), [25, 75])
    assert model.offset_ == pytest.approx(q1 - 1.5 * (q3 - q1), rel=1e-4)
    kept = model.score_samples(X)[tail_terms(X.T, len(X)) <= 2.0]
    k1, k3 = np.percentile(kept, [25, 75])
    assert abs(model.offset_ - (k1 - 1.5 * (k3 - k1))) > 1e-2


def test_a_rare_value_counts_by_its_rarity_not_by_its_column():
    """A 0/1 indicator that is 1 in 5% of the rows: divided by its column's
    own mean tail (about 0.2), each 1 counted 15 times a typical entry and
    every such row was left out (a probe); by a continuous column's, 1.8."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(2000, 8)), rng.uniform(size=2000) < 0.05]
    ones = X[:, -1] == 1
    assert column_tails(X[:, -1])[ones].max() / CONTINUOUS_MEAN < 2.0
    assert not (tail_terms(X.T, len(X))[ones] > 2.0).any()
    assert AutoEncoder(**SCREEN).fit(X).n_screened_ == _n_far(X) < 10


def test_the_level_and_the_bounds_are_exact():
    assert screened_rows(np.r_[np.ones(MIN_SCREEN_ROWS - 1), 5.0], 2.0) is not None
    out = screened_rows(np.r_[np.ones(98), 2.0, 3.0], 2.0)
    np.testing.assert_array_equal(np.flatnonzero(out), [99])  # above, not at
    # Ties at the cap: the first rows, reproducibly.
    out = screened_rows(np.r_[np.ones(80), np.full(20, 3.0)], 2.0)
    np.testing.assert_array_equal(np.flatnonzero(out), np.arange(80, 90))
    # Also past the sizes a default sort keeps in order (mutation audit: an
    # unstable sort chose other tied rows of 1,000).
    out = screened_rows(np.r_[np.ones(800), np.full(200, 3.0)], 2.0)
    np.testing.assert_array_equal(np.flatnonzero(out), np.arange(800, 900))
    # The cap rounds down: 59 rows leave out 5.
    assert screened_rows(np.r_[np.ones(51), np.full(8, 3.0)], 2.0).sum() == 5
    X, _ = _clustered()
    terms = tail_terms(X.T, len(X))
    assert AutoEncoder(**{**SCREEN, "tail_screen": 1e3}).fit(X).n_screened_ == 0
    level3 = AutoEncoder(**{**SCREEN, "tail_screen": 3.0}).fit(X).n_screened_
    assert level3 == int((terms > 3.0).sum()) != _n_far(X)
    assert type(level3) is int


def test_an_empty_column_warns_of_nothing():
    X, _ = _clustered()
    X[:, 2] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        terms = tail_terms(X.T, len(X))
    np.testing.assert_allclose(terms, tail_terms(np.delete(X, 2, axis=1).T, len(X)))


def test_every_kind_takes_the_parameter():
    for kind in KINDS:
        assert clone(kind(tail_screen=2.0)).get_params()["tail_screen"] == 2.0
        assert kind().get_params()["tail_screen"] is None


def test_large_values_are_ranked_in_float64():
    """At 1e8 float32 steps by 8: read through it, the values would tie."""
    X = 1e8 + _clustered()[0]
    assert AutoEncoder(**SCREEN).fit(X).n_screened_ == _n_far(X) > 0


def test_a_float_contamination_is_a_percentile_of_every_rows_score():
    """The rows left out are scored, calibrated for their missing entries,
    with the others."""
    X, _ = _clustered()
    X[400:416:2, 1] = np.nan
    X[::7, 0] = np.nan
    model = AutoEncoder(contamination=0.02, **SCREEN).fit(X)
    assert model.n_screened_ > 0.02 * len(X)
    assert model.offset_ == pytest.approx(np.percentile(model.score_samples(X), 2), rel=1e-4)


@pytest.mark.filterwarnings("ignore:1 row.s. of X have no observed value")
def test_rows_read_a_block_at_a_time_are_the_rows_kept():
    """A table with a categorical column beyond ``working_memory`` is encoded
    a block at a time, and the rows kept are read from it by index (the far
    group first, so that the first rows are not the rows kept)."""
    X, y = _clustered()
    order = np.r_[np.arange(400, 416), np.arange(400)]
    X, y = X[order], y[order]
    X[::7, 0] = np.nan
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["c"] = pd.Categorical(np.where(np.arange(len(X)) % 2 == 0, "a", "b"))
    frame.iloc[5, :] = np.nan
    whole = AutoEncoder(**SCREEN).fit(frame)
    with config_context(working_memory=0.01):
        batched = AutoEncoder(**SCREEN).fit(frame)
        batched_scores = batched.score_samples(frame)
    scores = whole.score_samples(frame)
    n_far = _n_far(frame.iloc[:, :6].to_numpy())
    assert batched.n_screened_ == whole.n_screened_ == n_far
    np.testing.assert_allclose(batched_scores, scores, rtol=1e-4)
    observed = ~np.isnan(scores)
    assert roc_auc_score(y[observed], -scores[observed]) > 0.99


def test_select_rows_reads_a_memmap_without_copying_it(tmp_path):
    rows = np.array([[np.nan, 1.0], [np.nan, np.nan], [1.0, 1.0], [2.0, np.nan]])
    np.save(tmp_path / "rows.npy", rows)
    X = np.load(tmp_path / "rows.npy", mmap_mode="r")
    kept = select_rows(X, np.array([True, True, False, True]))
    assert isinstance(kept, KeptRows) and kept.shape == (3, 2) and len(kept) == 3
    np.testing.assert_array_equal(kept[:], rows[[0, 1, 3]])
    np.testing.assert_array_equal(kept[np.array([2, 0])], rows[[3, 0]])
    np.testing.assert_array_equal(kept.empty_rows(), [False, True, False])
    with pytest.raises(TypeError, match="rows only"):
        kept[0, 1]
    in_memory = select_rows(rows, np.array([False, True, True, False]))
    assert type(in_memory) is np.ndarray
    np.testing.assert_array_equal(in_memory, rows[1:3])


@pytest.mark.filterwarnings("ignore:.*categor")
def test_rows_left_out_with_an_unseen_category_do_not_set_the_threshold():
    """A warm start's rows holding a category the first fit did not see are
    left out of the threshold, those the screen left out of training too."""
    X, _ = _clustered()
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["c"] = pd.Categorical(np.where(np.arange(len(X)) % 2 == 0, "a", "b"))
    model = AutoEncoder(warm_start=True, contamination=0.02, **SCREEN).fit(frame)
    later = frame.copy()
    later["c"] = later["c"].cat.add_categories("new")
    later.loc[400:, "c"] = "new"  # the far group, which the screen leaves out
    model.fit(later)
    assert model.n_screened_ >= 16
    scores = model.score_samples(later)
    seen = (later["c"] != "new").to_numpy()
    assert model.offset_ == pytest.approx(np.percentile(scores[seen], 2), rel=1e-4)


def _screened_far_rows(n: int, n_far: int) -> np.ndarray:
    """``n`` seeded normal rows of 4 features, the first ``n_far`` moved 7
    out in every one: rows the screen leaves out."""
    X = np.random.RandomState(0).normal(size=(n, 4))
    X[:n_far] += 7
    return X


def test_a_fit_on_more_rows_than_it_keeps_keeps_its_screened_sample_in_proportion(tmp_path):
    """Mutation audit: a fit on more than MIN_REFRESH_ROWS rows keeps 256 of
    them, and its screened sample in proportion to those: the share is the
    rows left out per row trained on (not per row kept), the sample holds
    that share of 256 rows (not every row left out), and the count of the
    fit's rows among those kept is 256 (not every row trained on, which the
    file's check refuses). The sample is a random choice of the rows left
    out, not the first of them. The mutants of each (tests of 200 rows, all
    kept, could not tell them apart) survived."""
    import skae

    X = _screened_far_rows(3000, 200)
    model = AutoEncoder(tail_screen=2.0, contamination=0.1, max_epochs=2, random_state=0).fit(X)
    n_screened = model.n_screened_
    assert 100 < n_screened <= 200
    share = model._screened_share
    assert model._recent_fit_rows == 256 and len(model._recent_rows) == 256
    assert share == pytest.approx(n_screened / (3000 - n_screened), rel=1e-12)
    assert len(model._recent_screened) == round(share * 256) < n_screened
    # Unscaled, the sample's rows are rows of X, spread over the far group
    # (the first of the rows left out all lie among X's first 20).
    raw = model._recent_screened.astype(np.float64) * model.scale_ + model.mean_
    distance = ((raw[:, None, :] - X[None]) ** 2).sum(axis=-1)
    assert distance.min(axis=1).max() < 1e-8
    assert distance.argmin(axis=1).max() > 100
    model.save(tmp_path / "m.skae")
    loaded = skae.load(tmp_path / "m.skae")
    np.testing.assert_array_equal(loaded._recent_screened, model._recent_screened)
    assert loaded._recent_fit_rows == 256 and loaded._screened_share == share
    chunk = np.random.RandomState(1).normal(size=(20, 4))
    assert loaded.partial_fit(chunk).offset_ == model.partial_fit(chunk).offset_


def test_chunks_that_push_out_the_last_fit_row_forget_the_screened_sample(tmp_path):
    """Mutation audit: once chunks have pushed every one of the fit's rows
    out of the 256 kept (192 rows, then 64 and 192 more), the screened
    sample goes with them. The mutant kept it with a count of 0 fit rows,
    which the file's check then refused at load."""
    import skae

    rng = np.random.RandomState(1)
    model = AutoEncoder(tail_screen=2.0, contamination=0.1, max_epochs=3, random_state=0)
    model.fit(_screened_far_rows(200, 12))
    assert model._recent_fit_rows == 192 and len(model._recent_screened) == 8
    model.partial_fit(rng.normal(size=(64, 4)))
    assert model._recent_fit_rows == 192
    model.partial_fit(rng.normal(size=(192, 4)))
    for name in ("_recent_screened", "_screened_share", "_recent_fit_rows"):
        assert not hasattr(model, name)
    model.save(tmp_path / "m.skae")
    assert not hasattr(skae.load(tmp_path / "m.skae"), "_recent_screened")


@pytest.mark.parametrize("warm_start", [False, True])
def test_a_fit_without_the_screen_forgets_the_last_fit_s_screened_sample(warm_start):
    """Mutation audit: a fit that screens nothing (tail_screen=None), cold or
    warm, drops the screened sample of the fit before it: its rows are no
    longer among those kept. The mutant kept it, and partial_fit drew the
    threshold on rows of another fit."""
    X = _screened_far_rows(200, 12)
    model = AutoEncoder(
        tail_screen=2.0, contamination=0.1, max_epochs=3, warm_start=warm_start, random_state=0
    ).fit(X)
    assert len(model._recent_screened) == 8
    model.set_params(tail_screen=None).fit(X)
    assert model.n_screened_ == 0
    for name in ("_recent_screened", "_screened_share", "_recent_fit_rows"):
        assert not hasattr(model, name)


def test_a_window_that_holds_none_of_the_screened_sample_draws_on_the_rows_kept():
    """Mutation audit: when so few of the fit's rows are left among those
    kept that their share of the screened sample rounds to no row (12 rows
    at 8/192), partial_fit draws the threshold on the rows kept alone. The
    mutant handed an empty sample on, and partial_fit raised "Found array
    with 0 sample(s)"."""
    rng = np.random.RandomState(1)
    model = AutoEncoder(tail_screen=2.0, contamination=0.1, max_epochs=3, random_state=0)
    model.fit(_screened_far_rows(200, 12))
    model.partial_fit(rng.normal(size=(64, 4)))
    model.partial_fit(rng.normal(size=(180, 4)))
    assert model._recent_fit_rows == 12
    assert model._screened_in_window(torch.device("cpu")) is None
    model.partial_fit(rng.normal(size=(5, 4)))
    assert model._recent_fit_rows == 7
    assert np.isfinite(model.offset_)
