"""Timed events in the run config: their forms, and the one-line refusals of bad ones (§3.3.22)."""

from __future__ import annotations

import pytest
from config_helpers import config_error as _error

from viralsim.cli import main
from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig, config_after

BASE = """\
name: demo
seed: 4
days: 100
network: {kind: friend_circles, n: 200}
sellers:
  spam: {strategy: spam}
  me: {strategy: community, posts_per_day: 2}
populations:
  micro: {count: 10, mix: {spam: 1, community: 1}}
"""


@pytest.fixture
def cfg(write):
    return write(BASE)


def _events(write, events: str):
    return write(BASE + "events:\n" + events)


def test_no_events_by_default(cfg):
    assert load_config(cfg).events == []


def test_dotted_and_nested_settings_are_one_mapping(write):
    path = _events(write, """\
  - day: 60
    set: {platform.moderation: harassment_prompt, platform: {fold_threshold: 20}}
""")
    event = load_config(path).events[0]
    assert event.kind == "set"
    assert event.set == {"platform": {"moderation": "harassment_prompt", "fold_threshold": 20}}


def test_the_config_in_force_follows_the_events_in_day_order(write):
    """Events act by day, then as listed; a switch records a named seller's new spec."""
    config = load_config(_events(write, """\
  - day: 90
    set: {platform.fold_threshold: 5}
  - day: 60
    set: {platform: {moderation: harassment_prompt, fold_threshold: 50}}
  - day: 70
    switch: {sellers: [me], to: spam, set: {posts_per_day: 7}}
  - day: 80
    shock: {trust_factor: 0.5, presets: [spam]}
"""))
    in_force = config
    for i in (1, 2, 3, 0):
        in_force = config_after(in_force, config.events[i], i)
    assert in_force.platform.moderation == "harassment_prompt" and in_force.platform.fold_threshold == 5
    me = in_force.sellers["me"]
    assert me.strategy == "spam" and me.posts_per_day == 7 and me.resolved.posts_per_day == 7
    assert me.resolved.content == RunConfig().sellers["seller"].model_copy(update={"strategy": "spam"}).resolved.content
    assert in_force.events == config.events and config.sellers["me"].strategy == "community"


@pytest.mark.parametrize(("events", "expected"), [
    ("  - {day: 101, set: {platform.moderation: harassment_prompt}}\n",
     "events.0.day = 101 is not allowed: must be <= days = 100"),
    ("  - {day: 0, shock: {trust_factor: 0.5}}\n", "events.0.day = 0 is not allowed: must be >= 1"),
    ("  - {day: 5, set: {platform.moderation: harrasment_prompt}}\n",
     "events.0.set.platform.moderation = 'harrasment_prompt' is not allowed: must be one of 'none', "
     "'harassment_prompt' (did you mean 'harassment_prompt'?) (in the config in force from day 5)"),
    ("  - {day: 5, set: {platform.moderaton: harassment_prompt}}\n",
     "events.0.set: unknown field 'platform.moderaton'; did you mean 'moderation'?"),
    ("  - {day: 5, set: {network.n: 500}}\n",
     "events.0.set.network cannot be changed by an event: the friendship graph is built once"),
    ("  - {day: 5, set: {populations.micro.count: 5}}\n", "events.0.set.populations cannot be changed by an event"),
    ("  - {day: 5, set: {trust.prior_weak: 0.5}}\n", "events.0.set.trust.prior_weak cannot be changed by an event"),
    ("  - {day: 5, set: {sellers.me.circle_size: 5}}\n", "events.0.set.sellers.me.circle_size cannot be changed"),
    ("  - {day: 5, set: {sellers.you.posts_per_day: 5}}\n",
     "events.0.set.sellers.you: no such seller, and an event cannot add one"),
    ("  - {day: 5, set: {sellers.me.strategy: comunity}}\n",
     "events.0.set.sellers.me.strategy = 'comunity' is not allowed: must be one of 'big_v', 'broadcast', "
     "'community'"),
    ("  - {day: 5, set: {sellers: {spam: {strategy: ''}}}}\n",
     "events.0.set.sellers.spam.strategy = '' is not allowed: must be one of"),
    ("  - {day: 5, set: {sellers.me.posts_per_day: -1}}\n",
     "events.0.set.sellers.me.posts_per_day = -1 is not allowed: must be >= 0"),
    ("  - {day: 5, set: {platform.moderation: none, platform: {moderation: none}}}\n",
     "platform.moderation is given twice"),
    ("  - {day: 5}\n", "events.0 = {day: 5} is not allowed: give exactly one of set (settings), switch"),
    ("  - {day: 5, shock: {trust_factor: 1.5}}\n", "events.0.shock.trust_factor = 1.5 is not allowed: must be <= 1"),
    ("  - {day: 5, shock: {trust_factor: 0.5, sellers: [mee]}}\n",
     "events.0.shock.sellers = [mee] is not allowed: no seller 'mee'; known: spam, me (did you mean 'me'?)"),
    ("  - {day: 5, shock: {trust_factor: 0.5, populations: [macro]}}\n",
     "events.0.shock.populations = [macro] is not allowed: no population 'macro'; known: micro"),
    ("  - {day: 5, switch: {to: comunity}}\n",
     "events.0.switch.to = 'comunity' is not allowed: must be one of"),
    ("  - {day: 5, switch: {populations: [micro], set: {posts_per_dy: 3}}}\n",
     "'posts_per_dy' is not a strategy field; did you mean 'posts_per_day'?"),
    ("  - {day: 5, switch: {populations: [micro], set: {posts_per_day: 5000}}}\n",
     "events.0.switch.set.posts_per_day = 5000 is not allowed: must be <= 1000"),
    ("  - {day: 5, switch: {sellers: [me]}}\n", "give the preset to switch to (`to`), strategy fields"),
])
def test_bad_events_are_refused_in_one_line_naming_the_event(write, events, expected):
    message = _error(_events(write, events))
    assert expected in message, message


def test_the_second_event_is_checked_against_the_config_the_first_left(write):
    """A switch to the spam preset leaves no `posts_per_day` override to merge content into."""
    message = _error(_events(write, """\
  - {day: 5, set: {sellers.me.content: {ad: 0.9}}}
"""))
    assert "events.0.set.sellers.me.content" in message and "must sum to 1" in message


def test_an_event_set_from_the_command_line_says_so(cfg, write):
    path = _events(write, "  - {day: 60, set: {platform.moderation: harassment_prompt}}\n")
    assert load_config(path, overrides=["events.0.day=30"]).events[0].day == 30
    message = _error(path, overrides=["events.0.day=300"])
    assert "events.0.day = 300 is not allowed" in message and "(from the command line)" in message


def test_the_cli_refuses_a_bad_event_with_exit_code_2_and_no_traceback(write, capsys):
    path = _events(write, "  - {day: 5, set: {network.n: 500}}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "events.0.set.network cannot be changed by an event" in err
