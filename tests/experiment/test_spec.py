"""Experiment specs: what is accepted, and a one-line error naming file, path and value otherwise."""

from __future__ import annotations

import copy

import pytest
from experiment_helpers import GRID_SPEC, write_spec

from viralsim.cli import main
from viralsim.experiment.spec import ExperimentError, experiment_from_dict, load_experiment

BASE_SPEC = {"name": "t", "base": "base.yaml", "seed": 1, "replicates": 2}

BAD = {
    # unknown paths, with suggestions
    "misspelt field": ({"design": {"factors": {"sellers.spam.post_per_day": {"levels": [1, 2]}}}},
                       "design.factors['sellers.spam.post_per_day']: unknown field 'sellers.spam.post_per_day'; "
                       "did you mean 'posts_per_day'?"),
    "misspelt seller": ({"design": {"factors": {"sellers.spm.posts_per_day": {"levels": [1, 2]}}}},
                        "unknown key 'spm' in 'sellers.spm.posts_per_day'"),
    "misspelt section": ({"design": {"factors": {"trsut.half_life": {"levels": [10, 20]}}}},
                         "did you mean 'trust'?"),
    "field of another network kind": ({"design": {"factors": {"network.k": {"levels": [2, 4]}}}},
                                      "valid fields for kind 'friend_circles'"),
    "path below a value": ({"design": {"factors": {"days.x": {"levels": [1]}}}}, "days is a single value"),
    "misspelt scenario path": ({"scenarios": {"a": {"platform.moderaton": "none"}}},
                               "scenarios.a: unknown field 'platform.moderaton'; did you mean 'moderation'?"),
    "misspelt top-level key": ({"replicate": 3}, "unknown field 'replicate'; did you mean 'replicates'?"),
    "seed as a factor": ({"design": {"factors": {"seed": {"levels": [1, 2]}}}}, "'seed' cannot be set here"),
    # bad values
    "value out of range": ({"design": {"factors": {"sellers.spam.posts_per_day": {"levels": [1, 2000]}}}},
                           "sellers.spam.posts_per_day = 2000 is not allowed: must be <= 1000"),
    "bad scenario value": ({"scenarios": {"a": {"platform.moderation": "nonee"}}},
                           "platform.moderation = 'nonee' is not allowed: must be one of 'none', "
                           "'harassment_prompt' (did you mean 'none'?) (in scenario 'a')"),
    "range beyond the schema": ({"design": {"kind": "lhs", "samples": 4,
                                            "factors": {"wom.recommend_prob": {"range": [0.5, 1.5]}}}},
                                "range [0.5, 1.5] reaches outside what the config allows: wom.recommend_prob = 1.5"),
    "reversed range": ({"design": {"kind": "lhs", "samples": 4, "factors": {"trust.half_life": {"range": [9, 2]}}}},
                       "range [9, 2]: low must be below high"),
    "loguniform from 0": ({"design": {"kind": "lhs", "samples": 4,
                                      "factors": {"trust.half_life": {"range": [0, 2], "dist": "loguniform"}}}},
                          "needs a range above 0"),
    "bad design kind": ({"design": {"kind": "grd", "factors": {"network.n": {"levels": [100]}}}},
                        "design.kind = 'grd' is not allowed: must be one of 'grid', 'zip', 'random', 'lhs', "
                        "'sobol', 'morris' (did you mean 'grid'?)"),
    "bad distribution": ({"design": {"kind": "lhs", "samples": 4,
                                     "factors": {"trust.half_life": {"range": [1, 2], "dist": "lognormal"}}}},
                         "design.factors['trust.half_life'].dist = 'lognormal' is not allowed"),
    "sobol sample not a power of 2": ({"design": {"kind": "sobol", "samples": 10,
                                                  "factors": {"trust.half_life": {"range": [1, 2]}}}},
                                      "samples = 10 is not allowed: a sobol design needs a power of 2 (e.g. 8 or 16)"),
    "sampled design without samples": ({"design": {"kind": "lhs", "factors": {"trust.half_life": {"range": [1, 2]}}}},
                                       "a lhs design needs samples"),
    "grid with a bare range": ({"design": {"factors": {"trust.half_life": {"range": [1, 2]}}}},
                               "a grid design needs discrete values"),
    "zip of unequal lengths": ({"design": {"kind": "zip", "factors": {"trust.half_life": {"levels": [1, 2]},
                                                                      "network.n": {"levels": [300, 400, 500]}}}},
                               "every factor needs the same number of levels"),
    "levels and range": ({"design": {"factors": {"network.n": {"levels": [300], "range": [1, 2]}}}},
                         "give either levels or range, not both"),
    "bad stop metric": ({"stop": {"metric": "customer", "value": 3}}, "did you mean 'customers'?"),
    "bad stop seller": ({"stop": {"metric": "customers", "value": 3, "seller": "spm"}},
                        "stop.seller = 'spm' is not allowed"),
    "bad output metric": ({"outputs": {"metrics": ["purchase"]}},
                          "outputs.metrics: 'purchase' is not a daily seller metric; did you mean 'purchases'?"),
    "zero every": ({"outputs": {"every": 0}}, "outputs.every = 0 is not allowed"),
    "bad name": ({"name": "my experiment"}, "name = 'my experiment' is not allowed"),
    "missing base file": ({"base": "nope.yaml"}, "base = 'nope.yaml': no such config file"),
    "bad inline base": ({"base": {"network": {"kind": "friend_circles", "n": 5}}},
                        "base.network.n = 5 is not allowed: must be >= 10"),
    "uniform over a whole-number setting": ({"design": {"kind": "lhs", "samples": 4,
                                                        "factors": {"network.n": {"range": [300, 400]}}}},
                                            "use dist: integer"),
    # wrong types
    "wrong type of level": ({"design": {"factors": {"network.n": {"levels": [300, "many"]}}}},
                            "network.n = 'many' is not allowed: must be a whole number"),
    "wrong type of replicates": ({"replicates": "many"}, "replicates = 'many' is not allowed: must be a whole number"),
    "wrong type of range": ({"design": {"kind": "lhs", "samples": 2,
                                        "factors": {"trust.half_life": {"range": [1, "x"]}}}},
                            "design.factors['trust.half_life'].range.1 = 'x' is not allowed: must be a number"),
    "factor not a mapping": ({"design": {"factors": {"network.n": 300}}}, "must be a mapping"),
    # empty designs, bad replicate counts
    "empty factors": ({"design": {"kind": "grid", "factors": {}}}, "design.factors is empty"),
    "empty levels": ({"design": {"factors": {"network.n": {"levels": []}}}}, "must have at least 1 item"),
    "empty scenarios": ({"scenarios": {}}, "scenarios"),
    "zero replicates": ({"replicates": 0}, "replicates = 0 is not allowed: must be >= 1"),
    "negative replicates": ({"replicates": -3}, "replicates = -3 is not allowed: must be >= 1"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_specs_are_one_line_errors(tmp_path, case):
    change, expected = BAD[case]
    path = write_spec(tmp_path, {**BASE_SPEC, **change})
    with pytest.raises(ExperimentError) as info:
        load_experiment(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert expected in message, message


def test_bad_spec_on_the_command_line_writes_nothing(tmp_path, capsys):
    path = write_spec(tmp_path, {**BASE_SPEC, "design": {"factors": {"sellers.spam.post_per_day": {"levels": [1]}}}})
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--executor", "serial"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and err.count("\n") == 1
    assert "did you mean 'posts_per_day'?" in err
    assert not out.exists() and not (tmp_path / "results").exists()


@pytest.mark.parametrize("args, expected", [
    (["--set", "replicates=0"], "replicates = 0 is not allowed: must be >= 1 (input should be greater than or "
                                "equal to 1) (from the command line)"),
    (["--replicates", "0"], "argument --replicates: must be a whole number >= 1"),
    (["--shard", "2/2"], "shards are numbered 0..N-1"),
    (["--shard", "x"], "expected I/N"),
    (["--scheduler", "tcp://h:1"], "--scheduler needs --executor dask"),
    (["--set", "design"], "expected KEY=VALUE"),
])
def test_bad_sweep_arguments(tmp_path, capsys, args, expected):
    path = write_spec(tmp_path, BASE_SPEC)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err
    assert not (tmp_path / "out").exists()


def test_missing_experiment_file(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such experiment file" in capsys.readouterr().err


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path, capsys):
    path = write_spec(tmp_path, GRID_SPEC)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "8 runs = 2 scenarios x 2 points (grid design) x 2 replicates" in out
    assert "8 to run" in out
    assert not (tmp_path / "out").exists()


def test_runs_are_ordered_and_configured(tmp_path):
    exp = load_experiment(write_spec(tmp_path, GRID_SPEC))
    assert len(exp) == 8
    assert [r.run for r in exp.runs] == list(range(8))
    assert exp.runs[0].run_id == "both-p0-r0" and exp.runs[-1].run_id == "spam_alone-p1-r1"
    for run in exp.runs:
        assert run.config.seed == run.seed
        assert run.config.sellers["spam"].posts_per_day == dict(run.factors)["sellers.spam.posts_per_day"]
        assert set(run.config.sellers) == ({"spam", "community"} if run.scenario == "both" else {"spam"})
        assert run.config.days == 20


def test_overrides_days_and_inline_base(tmp_path):
    spec = {**BASE_SPEC, "base": {"days": 50, "network": {"kind": "friend_circles", "n": 200},
                                  "sellers": {"me": {"strategy": "kol"}}}}
    path = write_spec(tmp_path, spec)
    exp = load_experiment(path, overrides=["days=12", "scenarios={a: {}, b: {trust.half_life: 5}}"], replicates=3)
    assert len(exp) == 6 and {r.config.days for r in exp.runs} == {12}
    assert {r.config.trust.half_life for r in exp.runs if r.scenario == "b"} == {5}
    assert {r.config.trust.half_life for r in exp.runs if r.scenario == "a"} == {60}


def test_a_set_into_a_scenario_changes_one_setting_not_its_section(tmp_path):
    """``--set scenarios.<name>.<path>=v`` sets that one setting of the scenario: a scenario's keys
    are dotted paths, so a nested mapping would replace the whole section (here every seller of
    the scenario, whose spam seller would lose her strategy)."""
    path = write_spec(tmp_path, {**BASE_SPEC, "scenarios": {"both": {}, "spam_alone": {"sellers.community": None}}})
    exp = load_experiment(path, overrides=["scenarios.spam_alone.sellers.spam.posts_per_day=10",
                                           "scenarios.both.trust.half_life=5"])
    alone = next(r.config for r in exp.runs if r.scenario == "spam_alone")
    both = next(r.config for r in exp.runs if r.scenario == "both")
    base = load_experiment(path)
    base_spam = next(r.config for r in base.runs if r.scenario == "spam_alone").sellers["spam"]
    assert set(alone.sellers) == {"spam"}
    assert alone.sellers["spam"].posts_per_day == 10
    assert alone.sellers["spam"].strategy == base_spam.strategy and base_spam.posts_per_day != 10
    assert set(both.sellers) == {"spam", "community"} and both.trust.half_life == 5
    # a new scenario made by --set, and a path into a seller the scenario does not have
    made = load_experiment(path, overrides=["scenarios.slow.trust.half_life=7"])
    assert {r.config.trust.half_life for r in made.runs if r.scenario == "slow"} == {7}
    with pytest.raises(ExperimentError, match="unknown key 'rival'"):
        load_experiment(path, overrides=["scenarios.both.sellers.rival.posts_per_day=3"])


def test_scenarios_can_add_sellers_by_mapping_only(tmp_path):
    added = write_spec(tmp_path, {**BASE_SPEC, "scenarios": {"three": {"sellers.rival": {"strategy": "kol"}}}})
    assert set(load_experiment(added).runs[0].config.sellers) == {"spam", "community", "rival"}
    deep = write_spec(tmp_path, {**BASE_SPEC, "scenarios": {"three": {"sellers.rival.strategy": "kol"}}})
    with pytest.raises(ExperimentError, match="unknown key 'rival'"):
        load_experiment(deep)


def test_resolved_experiment_reloads_to_the_same_fingerprint(tmp_path):
    exp = load_experiment(write_spec(tmp_path, GRID_SPEC))
    again = tmp_path / "again"
    again.mkdir()
    (again / "experiment.yaml").write_text(exp.to_yaml(), encoding="utf-8")
    reloaded = load_experiment(again / "experiment.yaml")
    assert reloaded.fingerprint == exp.fingerprint
    assert [r.seed for r in reloaded.runs] == [r.seed for r in exp.runs]


def test_fingerprint_tracks_what_changes_results(tmp_path):
    base = load_experiment(write_spec(tmp_path, GRID_SPEC)).fingerprint
    changed = copy.deepcopy(GRID_SPEC)
    changed["seed"] = 12
    assert experiment_from_dict(changed, base_dir=tmp_path).fingerprint != base
    outputs = copy.deepcopy(GRID_SPEC)
    outputs["outputs"] = {"every": 2}
    assert experiment_from_dict(outputs, base_dir=tmp_path).fingerprint != base
    same = copy.deepcopy(GRID_SPEC)
    same["description"] = "text only"
    assert experiment_from_dict(same, base_dir=tmp_path).fingerprint == base


@pytest.mark.parametrize("every", [0, 100_001, 2**63, True, 1.5])
def test_recording_step_is_bounded(tmp_path, every):
    """outputs.every beyond the longest horizon overflowed the recorded-day arithmetic of every
    run (2**63: OverflowError in each run); it is refused when the spec loads."""
    from viralsim.experiment.spec import ExperimentError, experiment_from_dict

    spec = {"base": {"days": 5, "network": {"kind": "friend_circles", "n": 50}}, "outputs": {"every": every}}
    with pytest.raises(ExperimentError, match=r"outputs\.every = .* is not allowed: must be a whole number of days "
                                              r"from 1 to 100,000"):
        experiment_from_dict(spec, base_dir=tmp_path)
