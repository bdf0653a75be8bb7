"""``explain``: per-feature terms that add up to ``score_samples`` (issue 16)."""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import DENSE_KINDS, FAST_ESTIMATORS
from numpy.testing import assert_allclose, assert_array_equal

from skae import AutoEncoder, VariationalAutoEncoder
from skae._attribution import REPAIR_BUDGET, repair_gains, share_by_gain
from skae._reconstruction import BernoulliNLL, GaussianNLL, SquaredError

#: The kinds that take categorical columns.
DENSE_NAMES = [cls.__name__ for cls in DENSE_KINDS]


@pytest.fixture(scope="module")
def planted():
    """Training rows in mixed units, and 160 test rows each with one column
    (known) moved 6 standard deviations."""
    rng = np.random.RandomState(0)
    d = 8
    mixing = rng.normal(size=(3, d))
    units = np.logspace(-2, 2, d)

    def rows(n):
        return (rng.normal(size=(n, 3)) @ mixing + 0.3 * rng.normal(size=(n, d))) * units

    train, test = rows(1000), rows(160)
    columns = np.arange(160) % d
    signs = np.where(np.arange(160) % 2, 1.0, -1.0)
    test[np.arange(160), columns] += 6 * train.std(axis=0)[columns] * signs
    return train, test, columns


@pytest.fixture(scope="module")
def dependent():
    """A category that the numbers nearly determine (the sign of their first
    factor): training rows, rows with one number moved 5 standard deviations
    (which column, known), and rows with the category flipped."""
    rng = np.random.RandomState(0)
    loadings = rng.normal(size=(2, 4))

    def rows(n):
        z = rng.normal(size=(n, 2))
        frame = pd.DataFrame(z @ loadings + 0.3 * rng.normal(size=(n, 4)), columns=list("abcd"))
        frame["kind"] = pd.Categorical(np.where(z[:, 0] > 0, "hi", "lo"))
        return frame

    train, moved, flipped = rows(1000), rows(120), rows(120)
    columns = np.arange(len(moved)) % 4
    signs = np.where(np.arange(len(moved)) % 8 < 4, 1.0, -1.0)
    for i, j in enumerate(columns):
        moved.iloc[i, j] += 5 * train.iloc[:, j].std() * signs[i]
    flipped["kind"] = pd.Categorical(
        np.where(flipped["kind"] == "hi", "lo", "hi"), categories=["hi", "lo"]
    )
    return train, moved, columns, flipped


@pytest.mark.parametrize("kind", DENSE_NAMES)
def test_the_planted_column_explains_the_outlier_on_mixed_data(kind, dependent):
    """A moved number drags the predicted category across its boundary, so
    another column's error was the row's largest for 23-33% of those rows
    with the reconstruction errors as the terms (``benchmarks/explain.py``);
    the repair finds the number. A flipped category is found in the rows it makes outliers (near
    the boundary a flip is not abnormal)."""
    train, moved, columns, flipped = dependent
    est = FAST_ESTIMATORS[kind](max_epochs=20, hidden_layer_sizes=(32,)).fit(train)
    terms = est.explain(moved)
    hits = np.argmin(terms.to_numpy()[:, :-1], axis=1) == columns
    assert hits.mean() >= 0.9
    threshold = np.percentile(est.score_samples(train), 1)
    outliers = est.score_samples(flipped) < threshold
    assert outliers.mean() > 0.3
    lowest = est.explain(flipped).drop(columns="code").idxmin(axis=1)
    assert np.mean(lowest[outliers] == "kind") >= 0.9
    assert_allclose(terms.sum(axis=1), est.score_samples(moved), rtol=1e-10)


def test_the_terms_add_up_to_the_score(make_estimator, blobs):
    est = make_estimator().fit(blobs)
    terms = est.explain(blobs)
    assert terms.shape == (len(blobs), blobs.shape[1] + 1)
    scores = est.score_samples(blobs)
    # To the last digits, even for scores near 0 (np.allclose's tolerance
    # failed there when the score summed in float32).
    assert_allclose(terms.sum(axis=1), scores, rtol=1e-10, atol=1e-12)
    # Deterministic, like the scores.
    assert_array_equal(est.explain(blobs), terms)


def test_the_planted_column_explains_the_outlier(make_estimator, planted):
    """For at least 90% of the rows, the column that was moved has the lowest
    term, for every kind."""
    train, test, columns = planted
    est = make_estimator(max_epochs=20).fit(train)
    terms = est.explain(test)
    hits = np.argmin(terms[:, :-1], axis=1) == columns
    assert hits.mean() >= 0.9
    assert_allclose(terms.sum(axis=1), est.score_samples(test), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n_importance_samples", [1, 5])
def test_the_variational_terms_add_up_to_either_bound(n_importance_samples, blobs):
    est = FAST_ESTIMATORS["VariationalAutoEncoder"](n_importance_samples=n_importance_samples)
    est.fit(blobs)
    assert isinstance(est, VariationalAutoEncoder)
    assert_allclose(est.explain(blobs).sum(axis=1), est.score_samples(blobs), rtol=1e-10)


def test_a_dataframe_is_explained_by_its_columns(blobs):
    columns = [f"f{i}" for i in range(blobs.shape[1])]
    frame = pd.DataFrame(blobs, columns=columns, index=np.arange(len(blobs)) + 100)
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(frame)
    terms = est.explain(frame.iloc[:10])
    assert isinstance(terms, pd.DataFrame)
    assert list(terms.columns) == [*columns, "code"]
    assert_array_equal(terms.index, frame.index[:10])
    assert_allclose(terms.sum(axis=1), est.score_samples(frame.iloc[:10]), rtol=1e-5, atol=1e-5)


def test_explain_checks_its_input(blobs):
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(blobs)
    with pytest.raises(ValueError, match="features"):
        est.explain(blobs[:, :3])


def test_the_terms_add_up_with_missing_entries_and_scores_near_zero(make_estimator):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    X[rng.uniform(size=X.shape) < 0.25] = np.nan
    est = make_estimator(scaling="none", max_epochs=3).fit(X)
    scores = est.score_samples(X)
    terms = est.explain(X)
    assert_allclose(terms.sum(axis=1), scores, rtol=1e-10, atol=1e-12)
    missing = np.isnan(X)
    assert_array_equal(terms[:, :-1][missing], 0.0)
    # A missing entry's term reads 0, not -0.0.
    assert not np.signbit(terms[:, :-1][missing]).any()


def test_a_column_named_code_keeps_its_name(blobs):
    columns = ["a", "code", "b", "c", "d"]
    frame = pd.DataFrame(blobs, columns=columns)
    est = FAST_ESTIMATORS["AutoEncoder"]().fit(frame)
    terms = est.explain(frame.iloc[:5])
    assert list(terms.columns) == [*columns, "code_"]
    assert_allclose(terms.sum(axis=1), est.score_samples(frame.iloc[:5]), rtol=1e-10)


def test_the_variational_terms_do_not_single_out_the_largest_units():
    """A column in units 1,000 times larger is not the lowest term of rows
    that are normal (it was in 20 rows of 20 while the change of units
    counted in its term), and a planted deviation of 5 standard deviations
    in another column is found."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(600, 2)) @ rng.normal(size=(2, 5)) + 0.3 * rng.normal(size=(600, 5))
    X[:, 4] *= 1000.0
    train, test = X[:500], X[500:520].copy()
    est = VariationalAutoEncoder(n_components=2, max_epochs=60, random_state=0).fit(train)
    normal = est.explain(test)
    assert np.mean(np.argmin(normal[:, :-1], axis=1) == 4) < 0.5
    test[:, 1] += 5 * train[:, 1].std()
    terms = est.explain(test)
    assert np.mean(np.argmin(terms[:, :-1], axis=1) == 1) >= 0.9
    assert_allclose(terms.sum(axis=1), est.score_samples(test), rtol=1e-10)


@pytest.mark.parametrize(
    "make_estimator",
    [
        FAST_ESTIMATORS["AutoEncoder"],
        lambda: FAST_ESTIMATORS["VariationalAutoEncoder"](n_importance_samples=5),
    ],
    ids=["AutoEncoder", "VariationalAutoEncoder-importance"],
)
def test_an_overflowing_feature_explains_minus_infinity(make_estimator, blobs):
    """score_samples is -inf for a row the float32 network overflows on; the
    feature's term is -inf too, so the row still adds up (it was -3.7e307;
    with importance weights, whose draws all had likelihood 0, every term was
    NaN)."""
    est = make_estimator().fit(blobs)
    far = blobs[:1].copy()
    far[0, 2] = 1e25
    assert est.score_samples(far)[0] == -np.inf
    terms = est.explain(far)
    assert terms[0, 2] == -np.inf and terms[0].sum() == -np.inf
    assert np.isfinite(np.delete(terms[0], 2)).all()


def test_explain_passes_over_the_rows_as_documented():
    """One pass for the terms and two per repaired number (at most 8), four
    per categorical column (the rows were scored once more: 18 and 22). The
    prediction of a masked column reads it at its mean, not refilled."""
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(200, 10)), columns=[f"x{i}" for i in range(10)])
    frame["kind"] = pd.Categorical(rng.choice(["a", "b", "c"], len(frame)))
    for data, most in [(frame.drop(columns="kind"), 17), (frame, 21)]:
        est = AutoEncoder(max_epochs=2, random_state=0).fit(data)
        seen: list[int] = []
        est.net_.module_.encoder.register_forward_hook(
            lambda module, args, out, seen=seen: seen.append(len(args[0]))
        )
        est.explain(data)
        assert sum(seen) == most * len(data)


def test_the_reconstruction_part_is_shared_by_the_repairs_gains():
    terms = torch.tensor([[-1.0, -3.0, 0.0], [-0.5, -0.5, -1.0], [-np.inf, -1.0, -1.0]])
    gains = torch.tensor([[4.0, 0.0, -1.0], [0.0, 0.0, -0.2], [1.0, 1.0, 1.0]])
    shared = share_by_gain(terms, gains)
    # All of the first row's -4 goes to the column whose repair gains;
    # a row no repair helps, or an overflowing one, keeps its terms.
    assert_allclose(shared[0], [-4.0, 0.0, 0.0])
    assert_array_equal(shared[1:], terms[1:])


def test_the_repairs_share_only_what_they_gain():
    """Repairs that gain a quarter of the part share that quarter; the rest
    stays with the columns' own terms."""
    terms = torch.tensor([[-1.0, -3.0, 0.0]], dtype=torch.float64)
    gains = torch.tensor([[1.0, 0.0, -1.0]], dtype=torch.float64)
    shared = share_by_gain(terms, gains)
    assert_allclose(shared[0], [-1.0 - 0.75 * 1.0, -0.75 * 3.0, 0.0])
    assert_allclose(shared.sum(), terms.sum())


def test_a_gain_below_the_absolute_tolerance_is_none():
    """Mutation audit (A9): the tolerance on a gain is GAIN_TOLERANCE times
    (1 + |part|), so a row whose part is tiny (-2e-4) keeps its terms for a
    gain of 5e-6; relative to the part alone it took a share."""
    from skae._attribution import GAIN_TOLERANCE

    terms = torch.tensor([[-1e-4, -1e-4]], dtype=torch.float64)
    gains = torch.tensor([[0.5 * GAIN_TOLERANCE, 0.0]], dtype=torch.float64)
    assert_array_equal(share_by_gain(terms, gains), terms)
    # An infinite gain (an overflowing repair) leaves the terms too.
    infinite = torch.tensor([[np.inf, 0.0]], dtype=torch.float64)
    assert_array_equal(share_by_gain(terms, infinite), terms)


@pytest.mark.parametrize("kind", ["AutoEncoder", "VariationalAutoEncoder"])
def test_a_constant_column_is_not_blamed_for_a_normal_row(kind):
    """A column constant at fit and at its constant in a row repairs to
    the network's noise on it: that gained a rounding error more than the
    tolerance, and when no other repair gained, the whole reconstruction
    part of flagged normal rows (4-7% of them on this table)."""
    rng = np.random.RandomState(0)
    n = 1500
    varying = rng.normal(size=(n, 2)) @ rng.normal(size=(2, 5)) + 0.3 * rng.normal(size=(n, 5))
    X = np.c_[varying, np.full(n, 3.0)]
    model = {"AutoEncoder": AutoEncoder, "VariationalAutoEncoder": VariationalAutoEncoder}[kind]
    model = model(max_epochs=10, random_state=0).fit(X)
    flagged = X[model.predict(X) == -1]
    assert len(flagged) > 20
    terms = model.explain(flagged)[:, :-1]
    assert np.all(np.argmin(terms, axis=1) != 5)
    assert np.all(terms[:, 5] > 0.1 * terms.min(axis=1))


def test_a_gain_within_rounding_is_none():
    """Mutation audit: a gain below GAIN_TOLERANCE of the row's part leaves
    the row's terms exactly as they were (a clamp hid the difference from an
    approximate comparison)."""
    terms = torch.tensor([[-1.0, -1.0]], dtype=torch.float64)
    assert_array_equal(
        share_by_gain(terms, torch.tensor([[1e-6, 0.0]], dtype=torch.float64)), terms
    )
    assert not torch.equal(
        share_by_gain(terms, torch.tensor([[1e-3, 0.0]], dtype=torch.float64)), terms
    )


@pytest.mark.parametrize("wide", [False, True], ids=["same-scale", "one-wide-scale"])
def test_a_category_is_repaired_to_its_most_probable_values(wide):
    """Mutation audit: the repair tries the REPAIR_CANDIDATES categories the
    reconstruction finds most probable, by their probability (in the units
    of the one-hot, not standardised); with 2 or 3 categories every one is
    tried whichever the order. Six categories, the row at the last; only
    category 1, the most probable, restores the score."""
    probability = torch.tensor([0.02, 0.6, 0.15, 0.1, 0.08, 0.05], dtype=torch.float64)
    scale = torch.tensor([1.0, 10.0 if wide else 1.0, 1.0, 1.0, 1.0, 1.0], dtype=torch.float64)
    mean = torch.zeros(6, dtype=torch.float64)
    x = (torch.nn.functional.one_hot(torch.tensor([5]), 6).double() - mean) / scale

    def reconstruct(rows):  # in standardised units
        return ((probability - mean) / scale).expand(len(rows), 6).clone()

    def score(rows):  # 0 at category 1, -1 elsewhere
        return (rows[:, 1] * scale[1] + mean[1]) - 1.0

    gains = repair_gains(
        score, reconstruct, x, torch.tensor([[-1.0]]), [(0, 6)], [True], mean, scale
    )
    assert_allclose(gains, [[1.0]])


def test_a_repair_sets_a_column_to_what_the_others_predict():
    """On a toy model whose columns should be equal, the moved column's repair
    restores the score, the other's gains only its own estimate; a missing
    column gains nothing."""
    x = torch.tensor([[0.0, 3.0, 0.0], [1.0, 1.0, float("nan")]])

    def score(rows):  # every column should equal the first
        return -(rows[:, 1:] - rows[:, :1]).nan_to_num(0.0).square().sum(dim=1)

    def reconstruct(rows):  # a column predicted by the mean of the others
        mean = rows.nanmean(dim=1, keepdim=True).nan_to_num(0.0)
        return mean.expand_as(rows)

    own = torch.tensor([[0.0, -9.0, 0.0], [0.0, 0.0, 0.0]])
    gains = repair_gains(
        score,
        reconstruct,
        x,
        own,
        [(0, 1), (1, 2), (2, 3)],
        [False] * 3,
        torch.zeros(3),
        torch.ones(3),
    )
    # Row 0: column 1 repaired to 0 (the mean of 0 and 0) gains the whole 9;
    # column 0 repaired to 1.5 leaves 2.25 + 2.25; column 2 to 1.5 costs 2.25.
    assert_allclose(gains[0], [9.0 - 4.5, 9.0, -2.25])
    assert_array_equal(gains[1, 2], 0.0)


@pytest.mark.parametrize("kind", DENSE_NAMES)
def test_a_flipped_category_that_sets_the_numbers_is_named(kind):
    """Two numbers at +-3 by the category: a flipped category moves the code,
    and the numbers reconstruct badly; the variational kind's own
    log-likelihood terms named a number in every flagged row, the repair
    names the category."""
    rng = np.random.RandomState(0)

    def rows(n):
        high = rng.uniform(size=n) < 0.5
        v = np.where(high, 3.0, -3.0) + 0.3 * rng.normal(size=n)
        return pd.DataFrame(
            {
                "level": pd.Categorical(np.where(high, "hi", "lo")),
                "v": v,
                "w": -v + 0.3 * rng.normal(size=n),
                "u": rng.normal(size=n),
            }
        )

    train, odd = rows(600), rows(60)
    odd["level"] = odd["level"].map({"hi": "lo", "lo": "hi"})
    est = FAST_ESTIMATORS[kind](max_epochs=20, hidden_layer_sizes=(32,)).fit(train)
    flagged = est.score_samples(odd) < np.percentile(est.score_samples(train), 1)
    assert flagged.mean() > 0.9
    lowest = est.explain(odd).drop(columns="code").idxmin(axis=1)
    assert np.mean(lowest[flagged] == "level") >= 0.9


def test_the_variational_feature_terms_are_shortfalls_from_a_perfect_reconstruction(blobs):
    est = FAST_ESTIMATORS["VariationalAutoEncoder"]().fit(blobs)
    terms = est.explain(blobs)
    # At most 0: the decoder's normalisers are in the code term.
    assert np.all(terms[:, :-1] <= 1e-12)
    assert_allclose(terms.sum(axis=1), est.score_samples(blobs), rtol=1e-10)


def test_the_variational_terms_of_rows_with_missing_entries_are_shortfalls():
    """Mutation audit: with missing entries, a feature's term is its shortfall
    from a perfect reconstruction's likelihood, scaled to a whole row as the
    likelihood is: at most 0, and about 0 for a feature the model
    reconstructs perfectly. With the floor (log sigma + log(2 pi) / 2, -4.08
    for a constant feature) left unscaled, that feature's term was +1.9 in
    rows missing half their entries, though the terms still added up."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 6))
    X[:, 0] = 3.0
    vae = VariationalAutoEncoder(
        n_components=2,
        hidden_layer_sizes=(16,),
        max_epochs=20,
        lr=0.05,
        batch_size=16,
        random_state=0,
    ).fit(X)
    rows = X[:10].copy()
    rows[:, 3:] = np.nan
    terms = vae.explain(rows)
    assert_array_equal(terms[:, 3:6], 0.0)
    assert np.all(terms[:, :3] <= 1e-12)
    # The constant feature, reconstructed (3.000 in every row): near 0. Its
    # least term, -0.25 (-0.14 before scoring refilled the missing entries:
    # the calibration of rows with 3 of 6 entries now scales by 0.48, not
    # 0.37, and the raw term is a little larger), against +1.9 above.
    assert np.all(terms[:, 0] > -0.4)
    assert_allclose(terms.sum(axis=1), vae.score_samples(rows), rtol=1e-10)


def test_the_floor_of_each_likelihood_is_its_perfect_reconstructions_loss():
    x = torch.tensor([[0.0, 0.3, 1.0], [0.5, float("nan"), 0.9]])
    gaussian = GaussianNLL(3)
    with torch.no_grad():
        gaussian.log_scale.copy_(torch.tensor([-1.0, 0.0, 2.0]))
    with torch.no_grad():
        floor, perfect = gaussian.floor(x), gaussian.per_feature({"x_hat": x}, x)
    assert_allclose(floor, perfect, rtol=1e-6)
    bernoulli = BernoulliNLL(3)
    logits = torch.logit(x.clamp(1e-7, 1 - 1e-7))
    assert_allclose(
        bernoulli.floor(x), bernoulli.per_feature({"x_hat": logits}, x), atol=1e-5, rtol=1e-5
    )
    assert_allclose(SquaredError().floor(x), x * 0.0)


def test_a_rows_explanation_does_not_depend_on_its_batch():
    """A repair within float32 rounding gains nothing: it "gained" 2.5e-8
    in a batch and took the row's whole share there, not alone (a fuzzed
    table: 12 of 60 rows moved)."""
    n = 60
    rng = np.random.default_rng(0)
    for _ in range(2):
        rng.choice(list("abc"), n)
        rng.random(n)
    X = pd.DataFrame({"a": pd.Categorical(rng.choice(list("abc"), n)), "b": rng.random(n) < 0.5})
    model = AutoEncoder(n_components=2, hidden_layer_sizes=(4,), max_epochs=1, random_state=0)
    model.fit(X)
    alone = np.vstack([model.explain(X.iloc[[i]]).to_numpy() for i in range(n)])
    assert_allclose(alone, model.explain(X).to_numpy(), atol=1e-5)


def test_a_missing_entry_takes_no_blame():
    """A missing entry's term is exactly 0 (it adds nothing to the score),
    however the repairs of the other columns move the reconstruction; the
    moved column is blamed."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 6)) + 0.1 * rng.normal(size=(500, 6))
    model = AutoEncoder(n_components=2, max_epochs=20, random_state=0).fit(X)
    rows = X[:3].copy()
    rows[:, 0] += 5 * X[:, 0].std()
    rows[:, 3] = np.nan
    terms = model.explain(rows)
    assert_array_equal(terms[:, 3], 0.0)
    assert_array_equal(np.argmin(terms[:, :-1], axis=1), 0)
    assert_allclose(terms.sum(axis=1), model.score_samples(rows), rtol=1e-10)


def test_the_numbers_with_the_largest_errors_are_repaired_the_others_keep_their_terms():
    """Of 10 numeric columns the 8 with the lowest own terms are repaired;
    the other two gain minus their own terms. On a toy model that wants
    every entry 0 and predicts 1 for each, a repair of x gains x^2 - 1."""
    x = torch.arange(1.0, 11.0)[None]

    def score(rows):
        return -rows.nan_to_num(0.0).square().sum(dim=1)

    def reconstruct(rows):
        return torch.ones_like(rows)

    own = -x.square()
    gains = repair_gains(
        score,
        reconstruct,
        x,
        own,
        [(j, j + 1) for j in range(10)],
        [False] * 10,
        torch.zeros(10),
        torch.ones(10),
    )
    # Columns 0 and 1 (values 1, 2) are not repaired: their gains are 1 and 4.
    assert_allclose(gains[0], [1.0, 4.0, 8.0, 15.0, 24.0, 35.0, 48.0, 63.0, 80.0, 99.0])


@pytest.mark.parametrize("n, width", [(1, 1), (3000, 200)], ids=["one column", "in groups"])
def test_every_chosen_number_is_repaired_however_the_repairs_are_grouped(n, width):
    """Mutation audit: a single numeric column, and a batch so large that
    the repairs run a few columns at a time (REPAIR_BUDGET), repair every
    chosen column (a group one column short left one per group with minus
    its own term). The toy model of the test above: a repair of x gains
    x^2 - 1."""
    assert n == 1 or REPAIR_BUDGET // (n * width) < 8
    x = torch.arange(1.0, width + 1.0).repeat(n, 1)
    gains = repair_gains(
        lambda rows: -rows.nan_to_num(0.0).square().sum(dim=1),
        torch.ones_like,
        x,
        -x.square(),
        [(j, j + 1) for j in range(width)],
        [False] * width,
        torch.zeros(width),
        torch.ones(width),
    )
    top = x[:, -min(8, width) :]
    assert_allclose(gains[:, -min(8, width) :], top.square() - 1.0)


def test_the_categories_with_the_largest_errors_are_repaired_the_others_keep_their_terms():
    """Of 10 categorical columns each row repairs the 8 with the lowest own
    terms (repairing all of them made the cost grow with the square of their
    number); the other two gain minus their own terms. On a toy model where
    category 0 of column j adds j + 1 to the score and category 1 takes it
    away, repairing a column that holds category 1 gains 2 (j + 1)."""
    weight = torch.arange(1.0, 11.0)
    x = torch.tensor([0.0, 1.0]).repeat(10)[None].repeat(2, 1)  # category 1 everywhere
    scored = []

    def score(rows):
        scored.append(len(rows))
        return (rows[:, 0::2] - rows[:, 1::2]).nan_to_num(0.0) @ weight

    def reconstruct(rows):  # category 0 the more probable, in every column
        return torch.tensor([0.9, 0.1]).repeat(10).expand_as(rows)

    # Row 0's lowest own terms are those of columns 2-9, row 1's of columns
    # 0-7. Row 1's add up to twice row 0's (a mutation audit: columns 0 and 1,
    # repaired by row 1 alone, were measured from row 0's sum).
    own = torch.stack([-weight, -2.0 * weight.flip(0)])
    gains = repair_gains(
        score,
        reconstruct,
        x,
        own,
        [(2 * j, 2 * j + 2) for j in range(10)],
        [True] * 10,
        torch.zeros(20),
        torch.ones(20),
    )
    assert_allclose(gains[0], [1.0, 2.0] + [2.0 * w for w in range(3, 11)])
    # A repair gains its score less the sum of the row's own terms (-110).
    assert_allclose(gains[1], [55.0 + 2.0 * w for w in range(1, 9)] + [4.0, 2.0])
    # Two candidate categories for each of the 16 repairs, not each of 20.
    assert sum(scored) == 16 * 2


def test_a_category_is_repaired_as_the_other_columns_predict_it():
    """Mutation audit: the repair of a categorical column predicts it with its
    own block masked. A toy model echoes a category it sees and otherwise
    predicts category 1 (0.6 of 6), the one that restores the score; read
    with the block visible, the repair tried the row's own category 5 and
    gained 0."""
    prior = torch.tensor([0.02, 0.6, 0.15, 0.1, 0.08, 0.05], dtype=torch.float64)

    def reconstruct(rows):
        masked = torch.isnan(rows[:, :1])
        return torch.where(masked, prior.expand(len(rows), 6), rows.nan_to_num(0.0))

    x = torch.nn.functional.one_hot(torch.tensor([5]), 6).double()
    gains = repair_gains(
        lambda rows: rows[:, 1] - 1.0,
        reconstruct,
        x,
        torch.tensor([[-1.0]]),
        [(0, 6)],
        [True],
        torch.zeros(6, dtype=torch.float64),
        torch.ones(6, dtype=torch.float64),
    )
    assert_allclose(gains, [[1.0]])


def test_explain_takes_a_value_too_large_for_float32_as_score_samples_does():
    """With loss="binary_crossentropy", an entry outside [0, 1] is explained
    as a term of -inf, and so is one beyond float32's range (1e39), which
    score_samples scores -inf (it refused both once); the other entries'
    terms are those of the row with the entry at 1."""
    X = np.random.RandomState(0).uniform(size=(200, 4))
    model = AutoEncoder(loss="binary_crossentropy", max_epochs=2, random_state=0).fit(X)
    row = X[:1].copy()
    row[0, 2] = 1.5
    assert model.explain(row)[0, 2] == -np.inf
    at_one = row.copy()
    at_one[0, 2] = 1.0
    row[0, 2] = 1e39
    assert model.score_samples(row)[0] == -np.inf
    terms = model.explain(row)[0]
    assert terms[2] == -np.inf
    assert_allclose(np.delete(terms, 2), np.delete(model.explain(at_one)[0], 2))


def test_the_code_column_of_explain_is_named_apart_from_every_input_column():
    """Mutation audit: explain's DataFrame names its code term "code", with
    underscores added until no input column has that name: with columns
    "code" and "code_" it is "code__". The mutant added one underscore at
    most and gave two columns named "code_"."""
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["code", "code_", "x"])
    model = AutoEncoder(max_epochs=2, random_state=0).fit(X)
    terms = model.explain(X[:2])
    assert list(terms.columns) == ["code", "code_", "x", "code__"]


def test_repairs_of_one_categorical_column_leave_the_row_as_it_was():
    """Mutation audit: with 2 to 8 categorical columns the repairs run on the
    caller's rows themselves; without a copy, each candidate category was
    written into them, and the next column was repaired and scored with the
    last candidate tried in place of the row's own category (explanations
    of 10 of 20 rows moved, by up to 0.88 a term). Two 3-category columns,
    scaling the identity; the model predicts [0.6, 0.3, 0.1] for each and
    the score costs 1 per category 2: column 1's repair gains 1, column 0's
    nothing."""
    x = torch.tensor([[0.0, 1.0, 0.0, 0.0, 0.0, 1.0]], dtype=torch.float64)
    before = x.clone()

    def score(rows):
        return -(rows[:, 2] + rows[:, 5]).nan_to_num(0.0)

    def reconstruct(rows):
        return torch.tensor([0.6, 0.3, 0.1] * 2, dtype=rows.dtype).expand_as(rows).clone()

    gains = repair_gains(
        score,
        reconstruct,
        x,
        torch.tensor([[0.0, -1.0]], dtype=torch.float64),
        [(0, 3), (3, 6)],
        [True, True],
        torch.zeros(6, dtype=torch.float64),
        torch.ones(6, dtype=torch.float64),
    )
    np.testing.assert_allclose(gains, [[0.0, 1.0]])
    assert torch.equal(x, before)
