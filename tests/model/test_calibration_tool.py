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


def test_the_unfollow_share_counts_only_who_followed_in_the_window(calibrate):
    """Kwak's quantity, read off the daily table for one seller (where consumer and relation are
    one): of the contacts who see the flooder's Moments on day 9, the window's first, the share
    who mute or block her by day 60. Mutes are kept (unmute half-life 10^6 days) so the table's
    counts are the window's. A measure that also counted the mutes made before the window (the
    whole circle's lost share: 51 of 81) or that counted followers at the end (its denominator)
    would not match."""
    settings = calibrate.merge_settings(calibrate.heavy_poster(), {"days": 60, "ties": {"unmute_half_life": 1e6}})
    config = calibrate.config_of(settings, 0, [])
    daily = calibrate.simulate(config).daily.set_index("day")
    seeing = daily["contacts"] - daily["muted"] - daily["blocked"]
    expected = (seeing[9] - seeing[60]) / seeing[9]
    assert 0.2 < expected < 0.8             # (a window in which many, but not all, turn away)
    assert calibrate.Unfollowers(window=51)(config) == pytest.approx(expected, abs=1e-12)


def test_nobody_unfollows_a_market_nobody_minds(calibrate):
    """The seeds' market with thresholds no annoyance reaches: nobody mutes or blocks (the
    ruptures of failed purchases off), so the share is 0; with thresholds every ad crosses, nearly
    every consumer who follows a seller turns one away."""
    market = calibrate.many_sellers(0.01, 30)
    calm = calibrate.merge_settings(market, {"ties": {"mute_threshold": 1e6, "block_threshold": 1e6,
                                                      "rupture_max": 0.0}})
    touchy = calibrate.merge_settings(market, {"ties": {"mute_threshold": 0.01, "block_threshold": 0.02}})
    assert calibrate.sample(calm, calibrate.Unfollowers(), 2, [], None).max() == 0.0
    assert calibrate.sample(touchy, calibrate.Unfollowers(), 2, [], None).min() > 0.9
