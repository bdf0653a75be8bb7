"""One estimator used from several Python threads: training excludes the rest.

A fitted estimator predicts from many threads at once (a server's): its
methods only read the fitted state, and each gives what it gives alone. A
``partial_fit`` (or a refit) in one thread while others predicted did harm
both ways: the network is one torch module, switched to evaluation mode by
every prediction and to training mode by every training step, so some of
the fit's steps ran without their training behaviour (the variational
kind's sampling) and some predictions with it, drawing from the fit's
seeded generator; the fit was no longer reproducible, and predictions mixed
half-updated weights with the previous statistics (809 of 827 matched
neither model). So each estimator has a lock that many readers share and a
fit holds alone (:func:`reading`; a fit takes ``lock_of(estimator).write()``);
a thread that holds it to write may read too (a fit scores its training rows).
"""

from __future__ import annotations

import functools
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class ReadWriteLock:
    """Shared by readers, held alone by one writer (reentrant for it). A
    waiting writer goes before new readers (a thread predicting in a loop
    kept a fit waiting for ever); a thread already reading reads again
    without waiting (``predict`` calls ``score_samples``)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers: dict[int, int] = {}  # reads held, per thread
        self._writer: int | None = None
        self._depth = 0
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._condition:
            if self._writer != me and me not in self._readers:
                while self._writer is not None or self._waiting:
                    self._condition.wait()
            self._readers[me] = self._readers.get(me, 0) + 1
        try:
            yield
        finally:
            with self._condition:
                self._readers[me] -= 1
                if not self._readers[me]:
                    del self._readers[me]
                    self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        me = threading.get_ident()
        with self._condition:
            if self._writer != me:
                self._waiting += 1
                try:
                    while self._writer is not None or self._readers:
                        self._condition.wait()
                finally:
                    self._waiting -= 1
                self._writer = me
            self._depth += 1
        try:
            yield
        finally:
            with self._condition:
                self._depth -= 1
                if not self._depth:
                    self._writer = None
                    self._condition.notify_all()


#: Each live estimator's lock (not an attribute: a lock neither pickles nor
#: belongs in the state that ``clone`` and ``save`` read).
_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _new_locks() -> None:
    """A fork copies each lock as it is: one that a thread of the parent held
    (a fit), which the child does not have, would never be released there.
    The child's estimators start with fresh locks; a thread of the child
    inside a method holds its old lock, which it releases as it leaves."""
    global _LOCKS, _GUARD
    _LOCKS = weakref.WeakKeyDictionary()
    _GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_new_locks)


def lock_of(estimator: object) -> ReadWriteLock:
    """The lock of ``estimator``, made on first use."""
    with _GUARD:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = ReadWriteLock()
        return lock


def reading(method: Callable) -> Callable:
    """Run ``method`` under its estimator's lock, shared with other readers."""

    @functools.wraps(method)
    def read(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock_of(self).read():
            return method(self, *args, **kwargs)

    return read
