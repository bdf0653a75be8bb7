"""Fitted attributes and their documentation agree, as scikit-learn's own
``test_docstring_parameters`` demands: every public attribute a fit sets is in
the class's Attributes section, and every one listed there is set (or says
when it is not)."""

import inspect
import re

import numpy as np
import pandas as pd
import pytest
from conftest import FAST_ESTIMATORS

from skae import AutoEncoderImputer

#: Attributes whose documentation says when they are absent.
CONDITIONAL = {"categories_", "feature_names_in_", "image_shape_"}


def documented_attributes(cls: type) -> set[str]:
    doc = inspect.getdoc(cls)
    section = re.search(r"^Attributes\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    return set(re.findall(r"^(\w+) : ", section.group(1), re.M))


def fitted_attributes(estimator) -> set[str]:
    return {name for name in vars(estimator) if name.endswith("_") and not name.startswith("_")}


def _table() -> pd.DataFrame:
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(64, 3)), columns=["a", "b", "c"])
    frame.loc[::7, "b"] = np.nan
    frame["kind"] = pd.Categorical(rng.choice(["x", "y"], size=64))
    return frame


@pytest.mark.parametrize("name", sorted(FAST_ESTIMATORS))
@pytest.mark.parametrize("data", ["array", "table", "images"])
def test_fitted_attributes_are_documented(name, data):
    make = FAST_ESTIMATORS[name]
    if data == "images":
        X = np.random.RandomState(0).uniform(size=(48, 64))
        estimator = make(architecture="conv", hidden_layer_sizes=(4,), max_epochs=1).fit(X)
    elif data == "table":
        if name == "ConvolutionalAutoEncoder":
            pytest.skip("images, not tables")
        estimator = make(max_epochs=1).fit(_table())
    else:
        X = np.random.RandomState(0).normal(size=(48, 64))
        estimator = make(max_epochs=1).fit(X)
    documented = documented_attributes(type(estimator))
    fitted = fitted_attributes(estimator)
    assert fitted - documented == set()
    assert documented - fitted <= CONDITIONAL
    if data == "images":
        assert "image_shape_" in fitted
    if data == "table":
        assert {"categories_", "feature_names_in_"} <= fitted


def test_imputer_attributes_are_documented():
    estimator = FAST_ESTIMATORS["AutoEncoder"](max_epochs=1)
    imputer = AutoEncoderImputer(estimator, random_state=0).fit(_table())
    documented = documented_attributes(AutoEncoderImputer)
    fitted = fitted_attributes(imputer)
    assert fitted - documented == set()
    assert documented - fitted <= CONDITIONAL


@pytest.mark.parametrize("name", sorted(FAST_ESTIMATORS) + ["AutoEncoderImputer"])
def test_every_parameter_is_documented_with_its_default(name):
    """Mutation audit: ContractiveAutoEncoder's default contraction_weight
    changed in the signature (0.1 to 0.01) went unseen, the tests setting
    their own. Every parameter of ``__init__`` is in the Parameters section,
    and its ``default=`` there is the signature's (as Python reads it)."""
    import ast

    import skae

    cls = getattr(skae, name)
    signature = inspect.signature(cls.__init__).parameters
    doc = inspect.getdoc(cls)
    section = re.search(r"^Parameters\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    documented = dict(re.findall(r"^(\w+) : (.*)$", section.group(1), re.M))
    assert set(signature) - {"self"} == set(documented)
    for parameter, kind in documented.items():
        default = re.search(r"default=(.*)$", kind)
        assert default, f"{parameter}: no default= in {kind!r}"
        assert ast.literal_eval(default.group(1).strip()) == signature[parameter].default, parameter


def test_a_default_for_no_documented_parameter_is_refused():
    """Mutation audit: fill_doc refuses a ``defaults`` entry that names no
    documented parameter (a typo left the documented default as it was,
    silently). The mutant ignored it."""
    from skae._docs import fill_doc

    def make():
        # As the compiler keeps a class body's docstring: indented by 4.
        return type(
            "Kind",
            (),
            {
                "__doc__": "A kind.\n\n    Parameters\n    ----------\n    %(parameters)s\n\n"
                "    Attributes\n    ----------\n    %(attributes)s\n"
            },
        )

    with pytest.raises(ValueError, match="no_such_parameter"):
        fill_doc(make(), defaults={"no_such_parameter": "1"})
    documented = fill_doc(make(), defaults={"loss": '"squared_error"'})
    assert 'loss : {"squared_error", "huber", "binary_crossentropy"}, default="squared_error"' in (
        documented.__doc__
    )


def test_the_attributes_keep_their_descriptions():
    """Mutation audit: the shared Attributes section is spliced in with each
    attribute's description, not its first line alone. The mutant kept the
    ``name : type`` lines and dropped every description."""
    from skae import AutoEncoder

    doc = inspect.getdoc(AutoEncoder)
    assert "Per-feature mean used for the internal standardisation" in doc
    assert "Threshold on :meth:`score_samples`" in doc
    section = re.search(r"^Attributes\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    entries = re.split(r"^(?=\w+ : )", section.group(1), flags=re.M)
    entries = [entry for entry in entries if entry.strip()]
    assert len(entries) == len(documented_attributes(AutoEncoder)) > 10
    for entry in entries:
        name, *description = entry.rstrip("\n").split("\n")
        assert any(line.startswith("    ") and line.strip() for line in description), name


@pytest.mark.parametrize("name", sorted(FAST_ESTIMATORS))
def test_the_documented_values_of_a_parameter_are_those_it_takes(name):
    """A probe: VariationalAutoEncoder's docstring listed "huber" among its
    losses, which fit refuses. Each parameter documented as a set of strings
    takes exactly those strings (scikit-learn's StrOptions)."""
    from sklearn.utils._param_validation import StrOptions

    import skae

    cls = getattr(skae, name)
    doc = inspect.getdoc(cls)
    checked = 0
    for parameter, values in re.findall(r"^(\w+) : \{([^}]*)\}", doc, re.M):
        documented = re.findall(r'"([^"]*)"', values)
        taken = set()
        for constraint in cls._parameter_constraints.get(parameter, []):
            if isinstance(constraint, StrOptions):
                taken |= set(constraint.options) - set(constraint.deprecated)
        if taken:
            assert set(documented) == taken, parameter
            checked += 1
    assert checked
