"""Warnings that point at the user's line, however deep in skae they arise."""

from __future__ import annotations

import os
import sys
import warnings

import skorch

#: skae's own folder: a frame or warning whose file lies in it is skae's.
PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: skorch, the training engine: a callback's warning passes through its loop.
_ENGINE = os.path.dirname(os.path.abspath(skorch.__file__)) + os.sep

#: scikit-learn's wrappers around an estimator's methods (``fit``'s
#: ``_fit_context``, ``set_output``'s): passed through, as skae's frames are.
_WRAPPERS = tuple(
    os.path.join("sklearn", *parts) for parts in (("base.py",), ("utils", "_set_output.py"))
)
#: Their frames passed through: the wrappers, and the mixins' ``fit_transform``
#: and ``fit_predict``, which are the estimator's own methods.
_PASSED = ("wrapper", "wrapped", "fit_transform", "fit_predict")


def warn_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` with the location of the first frame outside skae
    (and skorch, which runs its training).

    A fixed ``stacklevel`` is right for one call path only: the warning of a
    row with no observed value, raised in ``score_samples``, pointed into
    skae when ``predict`` or ``decision_function`` had called it.
    """
    # stacklevel 2 is the frame that called this function.
    frame, level = sys._getframe(1), 2
    while frame is not None and (
        frame.f_code.co_filename.startswith((PACKAGE, _ENGINE))
        or (frame.f_code.co_name in _PASSED and frame.f_code.co_filename.endswith(_WRAPPERS))
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


#: Where a net holds the warnings of its callbacks until ``fit`` has judged
#: the training (:func:`warn_after_training`).
_HELD = "_skae_held_warnings"


def warn_after_training(
    net: object, message: str, category: type[Warning], yields_to_failure: bool = False
) -> None:
    """Hold a warning that a training callback raises about the fit (a
    penalty that won) until ``fit`` has checked that the training did not
    diverge: a fit that blew up is reported by its error alone (a probe: lr=3
    warned that the contraction penalty won, with a smaller weight as the
    advice, then raised that training diverged, with a lower learning rate).
    ``yields_to_failure``: dropped as well when ``fit`` reports a collapse or
    flattened reconstructions, whose message names every setting that holds
    the network back (a warning that blames one of them only)."""
    vars(net).setdefault(_HELD, []).append((message, category, yields_to_failure))


def held_warnings(net: object) -> list[tuple[str, type[Warning], bool]]:
    """The warnings :func:`warn_after_training` held for ``net`` (message,
    category, whether it yields to a reported failure), taken from it."""
    return vars(net).pop(_HELD, [])
