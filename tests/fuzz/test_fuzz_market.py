"""Property-based fuzzing of seller populations and timed events: refused cleanly, or run to finite outputs.

``test_fuzz_config`` draws every scalar field of the run config, but a population is a mapping
entry and an event a list item, so their fields are fuzzed here, on the same small market with
a population of six sellers added:

* a population case sets one to three of the population's fields (its count or share, placement,
  circle size, product) and may give it other strategy fields to vary per member and another
  preset mix, each to a wrong, extreme, boundary or valid value;
* an event case adds one event on a drawn day: a ``set`` of one to three settings drawn from
  every field of the run config (those the market fixed when it was built included: an event
  must refuse them), a ``switch`` of some sellers to a preset and strategy fields, or a trust
  ``shock``.

As in ``test_fuzz_config``, ``viralsim validate`` must refuse a case in one line naming a field
the case set (exit 2), or accept it, and an accepted case must simulate to finite outputs: an
event is checked when the config is read, never first met on its day. The default suite draws
a hundred cases each; ``pytest -m slow tests/fuzz`` draws 3,000.
"""

from __future__ import annotations

import copy
import dataclasses

import outcomes
import pytest
import schema_cases as sc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_config import BASE, LEAVES, config_case

from viralsim.config.presets import preset_names
from viralsim.config.schema import STRATEGY_FIELDS, VARIABLE_FIELDS, Event, RunConfig

MARKET = copy.deepcopy(BASE)
MARKET["populations"] = {"crowd": {"count": 6, "mix": {"spam": 1.0, "community": 1.0, "fission": 0.5}}}

#: the population's own scalar fields (count, share, placement, circle size, product); its mix
#: and varied fields are mappings, drawn in population_cases
POPULATION_LEAVES = [leaf for leaf in sc.leaves(RunConfig, instances={("populations",): ["crowd"]})
                     if leaf.path[:2] == ("populations", "crowd") and leaf.path[2] not in ("mix", "vary")]
#: a seller's fields as a strategy field of an event's switch (or a varied field) names them
STRATEGY_LEAVES = [dataclasses.replace(leaf, path=leaf.path[2:]) for leaf in LEAVES
                   if leaf.path[:2] == ("sellers", "spam") and leaf.path[2] in STRATEGY_FIELDS]
VARIED = {leaf.dotted: leaf for leaf in STRATEGY_LEAVES if leaf.dotted in VARIABLE_FIELDS}
#: every setting of the run config an event's ``set`` may name (a network kind's fields need the kind)
SETTING_LEAVES = [leaf for leaf in LEAVES if not leaf.context]
EVENT_LEAVES = {leaf.dotted: leaf for leaf in sc.leaves(Event)}
SELECTORS = [{}, {"sellers": ["spam"]}, {"populations": ["crowd"]}, {"presets": ["community"]},
             {"sellers": ["community"], "presets": ["spam"]}]

FAST = settings(max_examples=100, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
LONG = settings(FAST, max_examples=3000)


def test_the_population_and_event_fields_are_all_drawn():
    """Every field of a population and of an event is among the drawn ones: a schema reader
    that skipped a union member or a nested model would leave it unfuzzed."""
    assert {leaf.dotted for leaf in POPULATION_LEAVES} >= {
        "populations.crowd.count", "populations.crowd.share", "populations.crowd.placement",
        "populations.crowd.circle_size", "populations.crowd.product.price"}
    assert {"day", "switch.to", "shock.trust_factor"} <= set(EVENT_LEAVES)
    assert {"posts_per_day", "messages_per_day", "strangers_per_day"} <= set(VARIED)
    assert len(SETTING_LEAVES) > 150 and "sellers.spam.strategy" in {leaf.dotted for leaf in SETTING_LEAVES}


@st.composite
def population_cases(draw):
    """(config, fields the case set, description)."""
    assignments = draw(sc.assignments(POPULATION_LEAVES))
    data = sc.apply(MARKET, assignments)
    crowd = data["populations"]["crowd"]
    fields = [leaf.dotted for leaf, _ in assignments]
    if "share" in crowd and "populations.crowd.count" not in fields:
        del crowd["count"]                  # (a population gives its count or its share)
    if any(leaf.path[-1] in ("count", "share") for leaf, _ in assignments):
        fields.append("populations")        # (the sellers in all are checked against the network)
    what = [f"{leaf.dotted}={value!r:.60}" for leaf, value in assignments]
    if draw(st.integers(0, 2)) == 0:
        vary = {}
        for name in draw(st.lists(st.sampled_from(sorted(VARIED)), min_size=1, max_size=2, unique=True)):
            low, high = draw(sc.values(VARIED[name])), draw(sc.values(VARIED[name]))
            if all(type(v) in (int, float) for v in (low, high)) and high < low:
                low, high = high, low       # (mostly in order: a reversed range is one refusal)
            vary[name] = [low, high]
        crowd["vary"] = vary
        fields.append("populations.crowd.vary")
        what.append(f"vary={vary!r:.200}")
    if draw(st.integers(0, 3)) == 0:
        weights = st.one_of(st.floats(1e-3, 1e6), st.sampled_from([0, -1, 1e7, float("nan"), float("inf"), "x"]))
        names = st.one_of(st.sampled_from(preset_names()), st.sampled_from(["", "spamm", "../spam"]))
        crowd["mix"] = draw(st.dictionaries(names, weights, min_size=1, max_size=4))
        fields.append("populations.crowd.mix")
        what.append(f"mix={crowd['mix']!r:.200}")
    return data, fields, " ".join(what)


@st.composite
def event_cases(draw):
    """(config, fields the case set, description): the market with one event."""
    # (a day within the run five times in six: the day's own wrong values are few)
    day = draw(sc.values(EVENT_LEAVES["day"]) if draw(st.integers(0, 5)) == 0 else st.integers(1, MARKET["days"]))
    fields = ["events.0.day"]
    kind = draw(st.sampled_from(["set", "switch", "shock"]))
    if kind == "set":
        assignments = draw(sc.assignments(SETTING_LEAVES))
        body = sc.apply({}, assignments)
        fields += [f"events.0.set.{leaf.dotted}" for leaf, _ in assignments]
    elif kind == "switch":
        body = dict(draw(st.sampled_from(SELECTORS)))
        assignments = draw(st.lists(st.sampled_from(STRATEGY_LEAVES), max_size=3, unique_by=lambda leaf: leaf.dotted)
                           .flatmap(lambda leaves: st.tuples(*[st.tuples(st.just(leaf), sc.values(leaf))
                                                               for leaf in leaves]).map(list)))
        if assignments:
            body["set"] = sc.apply({}, assignments)
        # the new preset: none (a switch of fields alone) or a known one, and a wrong one in six
        pick = draw(st.integers(0, 5))
        if pick == 0:
            body["to"] = draw(sc.values(EVENT_LEAVES["switch.to"]))
        elif pick > 2 or not assignments:
            body["to"] = draw(st.sampled_from(preset_names()))
        fields += ["events.0.switch", "events.0.switch.to"]
        fields += [f"events.0.switch.set.{leaf.dotted}" for leaf, _ in assignments]
    else:
        body = dict(draw(st.sampled_from(SELECTORS)))
        body["trust_factor"] = draw(sc.values(EVENT_LEAVES["shock.trust_factor"]))
        fields += ["events.0.shock", "events.0.shock.trust_factor"]
    data = copy.deepcopy(MARKET)
    data["events"] = [{"day": day, kind: body}]
    return data, fields, f"event {data['events'][0]!r:.300}"


@FAST
@given(population_cases())
def test_population_fuzz(case):
    outcomes.COUNTS["population: " + config_case(*case)] += 1


@FAST
@given(event_cases())
def test_event_fuzz(case):
    outcomes.COUNTS["event: " + config_case(*case)] += 1


@pytest.mark.slow
@LONG
@given(population_cases())
def test_population_fuzz_long(case):
    outcomes.COUNTS["population: " + config_case(*case)] += 1


@pytest.mark.slow
@LONG
@given(event_cases())
def test_event_fuzz_long(case):
    outcomes.COUNTS["event: " + config_case(*case)] += 1
