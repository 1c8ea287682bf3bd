"""The fuzz suite writes its outcome counts when asked (``VIRALSIM_FUZZ_REPORT``, see outcomes)."""

from __future__ import annotations

import outcomes
import pytest


@pytest.fixture(scope="session", autouse=True)
def _report():
    yield
    outcomes.record()
