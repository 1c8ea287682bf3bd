"""The configs and experiments the repository ships load, and every config runs a few days to
finite outputs: a file a reader is told to run must not have rotted with the schema."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from viralsim.config.load import load_config
from viralsim.experiment.spec import load_experiment
from viralsim.model import simulate

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))


def test_the_repository_ships_configs_and_experiments():
    assert len(CONFIGS) >= 5 and len(EXPERIMENTS) >= 5, (CONFIGS, EXPERIMENTS)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_config_runs_to_finite_outputs(path):
    """Three days, or up to the day after its last event (an event must fall within the run)."""
    days = max([3] + [e.day + 1 for e in load_config(path).events])
    config = load_config(path, overrides=[f"days={days}"])
    result = simulate(config)
    daily = result.daily.select_dtypes("number")
    assert len(daily) == days * len(config.sellers), len(daily)
    assert np.isfinite(daily.to_numpy(dtype=float)).all()


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_a_shipped_experiment_loads_with_its_runs(path):
    experiment = load_experiment(path)
    assert len(experiment.runs) >= 1
    configs = list(experiment.runs.point_configs())
    assert configs and all(c.days >= 1 for c in configs)
