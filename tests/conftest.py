"""Suite-wide set-up."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Compile (first run on a machine, ~20 s) or load the engine's kernels once per worker, up
    front, so that no single test (a browser test waiting for the app, say) pays for it."""
    from viralsim.experiment.warmup import warm_up

    warm_up()
