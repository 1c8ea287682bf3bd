"""tools/calibrate.py, the script that regenerates the calibration table of docs/model.md §5.1:
it runs, measures every target and check, and its measures read what they say."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def calibrate():
    spec = importlib.util.spec_from_file_location("calibrate", ROOT / "tools" / "calibrate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate"] = module        # (dataclasses look their module up)
    spec.loader.exec_module(module)
    yield module
    del sys.modules["calibrate"]


def test_the_tables_name_every_target_and_check(calibrate):
    text = calibrate.tables(2, ["days=40"], False, None)
    for item in calibrate.TARGETS + calibrate.CHECKS:
        assert item.name in text
    assert "nan" not in text
    assert len(re.findall(r"\[-?\d+\.\d{3}, -?\d+\.\d{3}\]", text)) == len(calibrate.TARGETS) + len(calibrate.CHECKS)


def test_the_read_rate_falls_with_less_attention(calibrate):
    """The funnel target's quantity: every post read when attention exceeds the feed, and about
    the share attention / feed when it does not (rho of §3.3.7)."""
    settings = calibrate.merge_settings(calibrate.competent_poster(), {"days": 30})
    full = calibrate.sample(settings, calibrate.read_rate, 2, [], None, calibrate.attention(1000.0))
    scarce = calibrate.sample(settings, calibrate.read_rate, 2, [], None, calibrate.attention(5.0))
    assert full.min() > 0.99
    assert 0.05 < scarce.max() < 0.5


def test_the_doc_holds_one_calibration_block(calibrate):
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert len(calibrate._BLOCK.findall(text)) == 1
    for item in calibrate.TARGETS:
        assert item.name in text, "regenerate the table: python tools/calibrate.py --doc"
