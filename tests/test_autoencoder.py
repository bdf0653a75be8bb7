"""The vanilla AutoEncoder: it learns, and it works inside scikit-learn's tools."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoEncoder


def _held_out_mse(model, X_test):
    return float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))


@pytest.fixture(scope="module")
def digits_split(digits):
    X, y = digits
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def test_learns_digits_better_than_mean_and_pca(digits_split):
    X_train, X_test, _, _ = digits_split
    mean_mse = float(np.mean((X_test - X_train.mean(axis=0)) ** 2))

    # Longer than the default (tuned for outlier detection) for good reconstructions.
    ae8 = AutoEncoder(n_components=8, max_epochs=100, random_state=0).fit(X_train)
    assert _held_out_mse(ae8, X_test) < 0.4 * mean_mse

    ae2 = AutoEncoder(n_components=2, max_epochs=100, random_state=0).fit(X_train)
    pca2 = PCA(n_components=2).fit(X_train)
    assert _held_out_mse(ae2, X_test) < _held_out_mse(pca2, X_test)


def test_grid_search_over_pipeline(digits_split):
    X_train, X_test, y_train, y_test = digits_split
    pipe = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("autoencoder", AutoEncoder(n_components=8, max_epochs=30, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    search = GridSearchCV(pipe, {"autoencoder__n_components": [2, 8]}, cv=3)
    search.fit(X_train[:600], y_train[:600])
    # Two codes cannot separate ten digits as well as eight can.
    assert search.best_params_ == {"autoencoder__n_components": 8}
    assert search.score(X_test, y_test) > 0.8
