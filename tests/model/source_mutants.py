"""Source mutants of the fast engine: one rule's kernel with one plausible slip, compiled into a
day of its own, so a stylized-fact test can show that it fails for a wrong rule.

The docking suite's mutants (tests/docking/mutants.py) change a rule's constants; a wrong rule
that no constant expresses (a folded post that still fills the feed) needs the rule's code
changed. :func:`mutant_day` takes a kernel's source, replaces one exact fragment (the slip; the
fragment must occur exactly once, so a mutant cannot silently go stale when the rule is
rewritten), compiles it, and compiles ``pipeline.run_day`` / ``run_days`` again around it. While
the context is active, every model built in this process runs the mutated day. The compiled
mutant is not cached on disk: each one costs a compilation of the day (about a minute), so the
tests that use them carry the ``slow`` marker.
"""

from __future__ import annotations

import contextlib
import inspect
import textwrap
import types
from unittest import mock

import numba

from viralsim.model import pipeline

_OPTIONS = {"nogil": True, "fastmath": False, "error_model": "numpy"}     # as viralsim._jit.kernel


def _recompiled(dispatcher, **replace):
    """``dispatcher``'s Python function compiled again with some of its globals replaced."""
    f = dispatcher.py_func
    scope = {**f.__globals__, **replace}
    g = types.FunctionType(f.__code__, scope, f.__name__, f.__defaults__, f.__closure__)
    return numba.njit(**_OPTIONS)(g)


def _mutated(dispatcher, old: str, new: str):
    f = dispatcher.py_func
    source = textwrap.dedent(inspect.getsource(f))
    if source.count(old) != 1:
        raise AssertionError(f"mutant of {f.__name__}: the fragment to replace occurs {source.count(old)} times")
    source = source.replace(old, new)
    lines = source.splitlines()
    source = "\n".join(lines[1:] if lines[0].startswith("@") else lines)     # drop the decorator
    scope = dict(f.__globals__)
    exec(compile(source, f"<mutant of {f.__qualname__}>", "exec"), scope)
    return numba.njit(**_OPTIONS)(scope[f.__name__])


@contextlib.contextmanager
def mutant_day(module, name: str, old: str, new: str, via: str | tuple | None = None,
               day_name: str | None = None):
    """Run days with ``module.name`` (a kernel that ``pipeline.run_day`` calls directly, or that
    ``module.via`` calls and ``run_day`` calls ``via``) mutated: ``old`` replaced by ``new`` in
    its source. ``via`` may be a chain of kernels of ``module``, innermost caller first (``name``
    is called by ``via[0]``, which is called by ``via[1]``, ..., and ``run_day`` calls the
    last). A caller in another module is given as a pair ``(module, name)`` in the chain. ``day_name``: the name
    under which ``run_day`` calls the last of them, if the pipeline imports it under another
    name."""
    mutant = _mutated(getattr(module, name), old, new)
    for caller in (via,) if isinstance(via, str) else via or ():
        where, caller = caller if isinstance(caller, tuple) else (module, caller)
        mutant, name = _recompiled(getattr(where, caller), **{name: mutant}), caller
    day = _recompiled(pipeline.run_day, **{day_name or name: mutant})
    days = _recompiled(pipeline.run_days, run_day=day)
    with mock.patch.object(pipeline, "run_days", days):
        yield
