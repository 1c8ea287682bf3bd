"""Command line, run results folders (results.run_folder) and the run overview, against a fake RunResult.

The engine (``viralsim.model.simulate``) is replaced by a fake in every test but
``test_real_run_end_to_end``, which runs the real command on a tiny config.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from viralsim.cli import main
from viralsim.config.load import load_config
from viralsim.config.schema import RunConfig, SellerSpec
from viralsim.metrics import DAILY_COLUMNS, MARKET_COLUMNS, RunResult
from viralsim.results import run_folder, run_overview

SRC = Path(__file__).resolve().parents[1] / "src"

CONFIG = """\
name: demo
seed: 4
days: 12
network: {kind: friend_circles, n: 150}
sellers:
  spam: {strategy: spam}
  me: {strategy: community}
"""

FILES = {
    "config.yaml",
    "daily.parquet",
    "daily.csv",
    "market.csv",
    "summary.csv",
    "cascades.parquet",
    "cascade_sizes.csv",
    "groups.parquet",
    "columns.csv",
    "plot.png",
    "manifest.json",
    ".viralsim-folder.json",  # the signature (a random id): never byte-compared, not in the manifest
}
#: files that differ between two writes of the same result
VARYING = {"manifest.json", "plot.png", ".viralsim-folder.json"}


def make_result(config: RunConfig | None = None, *, traced: bool = True) -> RunResult:
    """A RunResult with the documented columns and awkward floats (thirds, tiny values)."""
    if config is None:
        config = RunConfig(
            name="fake",
            seed=7,
            days=20,
            sellers={"spam": SellerSpec(strategy="spam"), "me": SellerSpec(strategy="community")},
        )
    rng = np.random.default_rng(config.seed)
    days = np.arange(config.days)
    frames = []
    for k, seller in enumerate(config.sellers):
        frame = pd.DataFrame({"day": days, "seller": seller})
        for col in DAILY_COLUMNS:
            frame[col] = rng.integers(0, 50, size=len(days))
        frame["purchases"] = rng.poisson(3 + 2 * k, size=len(days))
        frame["revenue"] = frame["purchases"] * 100.0 / 3
        frame["cost"] = frame["purchases"] * 50.0 + 1e-7
        frame["mean_trust"] = rng.random(len(days)) / 3
        frame["mean_annoyance"] = rng.random(len(days)) * 7.1
        frame["followers"] = 150 + frame["day"] * 3
        frame["muted"] = frame["followers"] // (4 + k)
        frame["blocked"] = frame["day"] // 2
        frame["contacts"] = frame["followers"] + frame["blocked"]
        frames.append(frame)
    daily = pd.concat(frames, ignore_index=True)
    market = pd.DataFrame({"day": days})
    for col in MARKET_COLUMNS:
        market[col] = rng.random(len(days))
    market["with_need"] = rng.integers(0, 100, size=len(days))
    market["purchases"] = daily.groupby("day")["purchases"].sum().to_numpy()
    # A few of the columns metrics.summarize writes, under its names.
    totals = daily.groupby("seller", sort=False)[["purchases", "revenue", "cost"]].sum()
    last = daily.groupby("seller", sort=False).last()
    summary = pd.DataFrame(
        {
            "seller": list(config.sellers),
            "strategy": [s.strategy for s in config.sellers.values()],
            "purchases": totals["purchases"].to_numpy(),
            "revenue": totals["revenue"].to_numpy(),
            "profit": (totals["revenue"] - totals["cost"]).to_numpy(),
            "customers": last["customers"].to_numpy(),
            "followers_end": last["followers"].to_numpy(),
            "muted_blocked_share": ((last["muted"] + last["blocked"]) / last["contacts"]).to_numpy(),
            "mean_trust_end": last["mean_trust"].to_numpy(),
            "peak_day": [3 + 8 * k for k in range(len(config.sellers))],
        }
    )
    if traced:
        cascades = pd.DataFrame(
            {"seller": ["spam", "me", "me"], "parent": [1, 2, 5], "child": [3, 5, 9], "day": [2, 4, 6]}
        )
        sizes = pd.DataFrame({"seller": ["spam", "me"], "root": [1, 2], "size": [2, 3]})
    else:
        cascades = pd.DataFrame()
        sizes = pd.DataFrame()
    return RunResult(config=config, daily=daily, market=market, summary=summary, cascades=cascades, cascade_sizes=sizes)


@pytest.fixture
def result() -> RunResult:
    return make_result()


@pytest.fixture
def cfg(tmp_path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def fake_engine(monkeypatch):
    """Install a fake ``viralsim.model`` whose simulate() records its calls."""
    calls = []

    def simulate(config, *, progress=False):
        calls.append({"config": config, "progress": progress})
        return make_result(config)

    module = types.ModuleType("viralsim.model")
    module.simulate = simulate
    monkeypatch.setitem(sys.modules, "viralsim.model", module)
    return calls


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [sys.executable, "-m", "viralsim", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- results.run_folder: one run's results folder ---------------------------------------------


def test_write_run_writes_every_file(tmp_path, result):
    out = run_folder.write_run(result, tmp_path / "runs" / "a")
    assert out == tmp_path / "runs" / "a"
    assert {p.name for p in out.iterdir()} == FILES
    assert load_config(out / "config.yaml") == result.config
    assert pd.read_csv(out / "daily.csv").shape == result.daily.shape


def test_read_run_returns_the_tables(tmp_path, result):
    tables = run_folder.read_run(run_folder.write_run(result, tmp_path / "a", plot=False))
    assert set(tables) == {"daily", "market", "summary", "cascades", "cascade_sizes", "groups"}
    pd.testing.assert_frame_equal(tables["daily"], result.daily)
    pd.testing.assert_frame_equal(tables["market"], result.market)
    pd.testing.assert_frame_equal(tables["summary"], result.summary)
    pd.testing.assert_frame_equal(tables["cascades"], result.cascades)
    pd.testing.assert_frame_equal(tables["cascade_sizes"], result.cascade_sizes)
    pd.testing.assert_frame_equal(tables["groups"], result.groups)


def test_seller_names_survive_csv(tmp_path):
    config = RunConfig(name="odd", sellers={"001": SellerSpec(), "NA": SellerSpec(strategy="spam")})
    tables = run_folder.read_run(run_folder.write_run(make_result(config), tmp_path / "a", plot=False))
    assert tables["summary"]["seller"].tolist() == ["001", "NA"]
    assert set(tables["daily"]["seller"]) == {"001", "NA"}


def test_empty_cascades_keep_their_columns(tmp_path):
    tables = run_folder.read_run(run_folder.write_run(make_result(traced=False), tmp_path / "a", plot=False))
    assert list(tables["cascades"].columns) == ["seller", "parent", "child", "day"]
    assert len(tables["cascades"]) == 0
    assert list(tables["cascade_sizes"].columns) == ["seller", "root", "size"]


def test_same_result_gives_identical_bytes(tmp_path, result):
    # plot.png is left out of the comparison, so it is not drawn
    a = run_folder.write_run(result, tmp_path / "a", plot=False)
    b = run_folder.write_run(make_result(), tmp_path / "b", plot=False)
    compared = sorted(FILES - VARYING)
    assert {p.name for p in a.iterdir()} == set(compared) | {"manifest.json", ".viralsim-folder.json"}
    for name in compared:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert "\r\n" not in (a / "daily.csv").read_text(encoding="utf-8")


def test_manifest(tmp_path, result):
    start = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    end = datetime(2024, 5, 1, 12, 3, 30, tzinfo=UTC)
    out = run_folder.write_run(result, tmp_path / "a", plot=False, started=start, finished=end)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for key in ("viralsim", "python", "numpy", "networkx", "mesa", "pandas", "code"):
        assert key in manifest
    assert manifest["python"] == ".".join(map(str, sys.version_info[:3]))
    assert manifest["numpy"] == np.__version__ and manifest["pandas"] == pd.__version__
    assert manifest["seed"] == 7 and manifest["config_name"] == "fake"
    assert manifest["started_utc"] == "2024-05-01T12:00:00Z"
    assert manifest["finished_utc"] == "2024-05-01T12:03:30Z"
    # the commit once, in code (the package's checkout), never beside it as a null git_commit
    assert "git_commit" not in manifest and manifest["code"]["viralsim"] == manifest["viralsim"]
    assert manifest["code"].get("git_commit") is None or len(manifest["code"]["git_commit"]) == 40
    assert set(manifest["files"]) == FILES - VARYING


def test_failed_write_leaves_nothing(tmp_path, result, monkeypatch):
    def broken_plot(result, path):
        Path(path).write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(run_overview, "plot_run", broken_plot)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_folder.write_run(result, tmp_path / "a")
    assert listing(tmp_path) == set()


def test_existing_folder_replaced_only_when_complete(tmp_path, result, monkeypatch):
    out = run_folder.write_run(result, tmp_path / "a", plot=False)
    before = (out / "daily.csv").read_bytes()

    monkeypatch.setattr(run_overview, "plot_run", lambda result, path: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        run_folder.write_run(make_result(result.config.model_copy(update={"seed": 8})), out)
    assert (out / "daily.csv").read_bytes() == before
    assert listing(tmp_path) == {"a", *(f"a/{name}" for name in FILES - {"plot.png"})}

    monkeypatch.undo()
    run_folder.write_run(make_result(result.config.model_copy(update={"seed": 8})), out, plot=False)
    assert (out / "daily.csv").read_bytes() != before
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seed"] == 8
    assert {p.name for p in tmp_path.iterdir()} == {"a"}


def test_refuses_to_replace_a_folder_that_is_not_a_results_folder(tmp_path, result):
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work", encoding="utf-8")
    with pytest.raises(FileExistsError, match="not a viralsim results folder"):
        run_folder.write_run(result, precious)
    assert listing(precious) == {"thesis.tex"}
    assert {p.name for p in tmp_path.iterdir()} == {"docs"}


def test_read_run_needs_a_results_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        run_folder.read_run(tmp_path)


# --- report ----------------------------------------------------------------------------------------


def test_plot_is_png_and_leaves_no_pyplot_figures(tmp_path, result):
    import matplotlib.pyplot as plt

    path = run_overview.plot_run(result, tmp_path / "plot.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert plt.get_fignums() == []


def _table_rows(text: str) -> dict[str, dict[str, str]]:
    lines = text.splitlines()
    header = lines[0].replace("peak day", "peak_day").split()
    return {line.split()[0]: dict(zip(header, line.split())) for line in lines[2:] if not line.startswith("lost =")}


def test_summary_table_uses_summary_columns(result):
    text = run_overview.summary_table(result)
    assert "revenue and profit in yuan" in text.splitlines()[-1]
    rows = _table_rows(text)
    assert list(rows) == ["spam", "me"]
    summary = result.summary.set_index("seller")
    for seller, row in rows.items():
        expected = summary.loc[seller]
        assert row["strategy"] == expected["strategy"]
        assert row["sales"] == run_overview._compact(expected["purchases"])
        assert row["profit"] == run_overview._compact(expected["profit"])
        assert row["followers"] == str(expected["followers_end"])
        assert row["lost"] == f"{100 * expected['muted_blocked_share']:.1f}%"
        assert row["trust"] == f"{expected['mean_trust_end']:.2f}"
        assert row["peak_day"] == str(expected["peak_day"])


def test_summary_table_falls_back_to_daily(result):
    bare = RunResult(
        config=result.config,
        daily=result.daily,
        market=result.market,
        summary=result.summary[["seller"]],
        cascades=result.cascades,
        cascade_sizes=result.cascade_sizes,
    )
    full, fallback = _table_rows(run_overview.summary_table(result)), _table_rows(run_overview.summary_table(bare))
    for seller in full:
        for column in ("strategy", "sales", "revenue", "profit", "customers", "followers", "lost", "trust"):
            assert fallback[seller][column] == full[seller][column], (seller, column)
        assert fallback[seller]["peak_day"].isdigit()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (987, "987"),
        (12_345, "12.3k"),
        (999_999, "1.00M"),
        (-4_560, "-4.56k"),
        (0.25, "0.25"),
        (float("nan"), "-"),
    ],
)
def test_compact_numbers(value, text):
    assert run_overview._compact(value) == text


# --- CLI, in process with a fake engine ----------------------------------------------------------


def test_run_writes_default_folder_and_prints_summary(cfg, tmp_path, fake_engine, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(cfg), "--seed", "9", "--days", "15", "--set", "sellers.me.posts_per_day=1"]) == 0
    (call,) = fake_engine
    assert call["progress"] is True
    assert (call["config"].seed, call["config"].days, call["config"].sellers["me"].posts_per_day) == (9, 15, 1.0)
    out = tmp_path / "results" / "demo-seed9"
    assert {p.name for p in out.iterdir()} == FILES
    printed = capsys.readouterr().out
    assert "seller" in printed and "community" in printed
    assert printed.strip().endswith(str(Path("results") / "demo-seed9"))


def test_run_quiet_no_plot(cfg, tmp_path, fake_engine, capsys):
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--no-plot"]) == 0
    assert fake_engine[0]["progress"] is False
    assert "plot.png" not in {p.name for p in out.iterdir()}
    assert capsys.readouterr().out == f"{out}\n"


def test_engine_errors_are_not_swallowed(cfg, tmp_path, monkeypatch):
    module = types.ModuleType("viralsim.model")

    def simulate(config, *, progress=False):
        raise RuntimeError("engine bug")

    module.simulate = simulate
    monkeypatch.setitem(sys.modules, "viralsim.model", module)
    with pytest.raises(RuntimeError, match="engine bug"):
        main(["run", str(cfg), "--out", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_main_returns_codes_instead_of_exiting(cfg, capsys):
    assert main(["--help"]) == 0
    assert main(["validate", str(cfg), "--set", "days=0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("viralsim: error: ") and err.count("\n") == 1


def test_force_overrides_the_resource_estimate(cfg, tmp_path, fake_engine, monkeypatch, capsys):
    from viralsim import resources

    monkeypatch.setattr(resources, "available_memory", lambda: 2 << 30)
    big = ["--set", "network.n=50000000", "--quiet", "--no-plot"]
    assert main(["run", str(cfg), "--out", str(tmp_path / "refused"), *big]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "network.n (50,000,000)" in err and "2.0 GB is available" in err
    assert fake_engine == [] and not (tmp_path / "refused").exists()
    assert main(["run", str(cfg), "--out", str(tmp_path / "forced"), *big, "--force"]) == 0
    assert [call["config"].network.n for call in fake_engine] == [50_000_000]


# --- CLI, as a subprocess ---------------------------------------------------------------------------


def test_help_is_informative(tmp_path):
    top = cli("--help", cwd=tmp_path)
    assert top.returncode == 0
    for word in ("run", "validate", "presets", "params", "--set"):
        assert word in top.stdout
    run = cli("run", "--help", cwd=tmp_path)
    assert run.returncode == 0
    for word in ("--seed", "--out", "--days", "--no-plot", "--quiet", "daily.parquet", "manifest.json", "plot.png"):
        assert word in run.stdout


def test_help_does_not_import_heavy_modules(tmp_path):
    code = (
        "import sys; from viralsim.cli import main; main(['--help']); "
        "print(sorted(m for m in ('pandas', 'matplotlib', 'pydantic', 'viralsim.model') if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_validate_loads_only_the_config_reader(cfg, tmp_path):
    """`viralsim validate` answers without the engine, the network code, numba or pandas."""
    heavy = ("numba", "pandas", "scipy", "matplotlib", "mesa", "viralsim.network", "viralsim.model", "viralsim.metrics",
             "viralsim.results")
    code = (f"import sys; from viralsim.cli import main; assert main(['validate', {str(cfg)!r}]) == 0; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stderr


def test_validate_ok(cfg, tmp_path):
    done = cli("validate", str(cfg), "--set", "sellers.new.strategy=kol", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok: demo, 3 sellers\n", "")


def test_presets_lists_every_preset(tmp_path):
    from viralsim.config.presets import preset_names
    from viralsim.config.schema import Strategy

    done = cli("presets", cwd=tmp_path)
    assert done.returncode == 0
    for name in preset_names():
        line = next(line for line in done.stdout.splitlines() if line.startswith(name + " "))
        assert f"{Strategy.from_preset(name).posts_per_day:g}" in line.split()
        assert len(line.split()) > 3  # has a description


def test_params_lists_every_parameter(tmp_path):
    from viralsim.config.registry import rows

    done = cli("params", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["path", "default", "unit", "range", "meaning"]
    assert len(lines) == len(rows()) + 1
    half = next(line for line in lines if line.startswith("trust.half_life "))
    assert half.split()[:4] == ["trust.half_life", "60.0", "days", "[0.01,"]
    assert any(line.startswith("network.k [watts_strogatz] ") for line in lines)


def test_params_filters_by_prefix_in_every_format(tmp_path):
    from viralsim.config.schema import TrustParams

    text = cli("params", "trust", cwd=tmp_path)
    assert text.returncode == 0
    listed = [line.split()[0] for line in text.stdout.splitlines()[1:]]
    assert listed == [f"trust.{f}" for f in TrustParams.model_fields]
    data = json.loads(cli("params", "sellers.spam.groups", "--format", "json", cwd=tmp_path).stdout)
    assert [d["path"] for d in data][:2] == ["sellers.<name>.groups.enabled", "sellers.<name>.groups.invites_per_day"]
    assert all(d["path"].startswith("sellers.<name>.groups.") for d in data)
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(cli("params", "network.k", "--format", "csv", cwd=tmp_path).stdout)))
    assert [(t["path"], t["kind"], t["default"], t["ui_high"]) for t in table] == [
        ("network.k", "watts_strogatz", "10", "40")]
    md = cli("params", "days", "--format", "markdown", cwd=tmp_path).stdout.splitlines()
    assert md == ["| path | default | unit | range | meaning |", "|---|---|---|---|---|",
                  "| days | 180 | days | int in [1, 10^5] | horizon |"]


BAD_INPUT = {
    "config error": (["run", "demo.yaml", "--set", "sellers.spam.post_per_day=3"], "did you mean 'posts_per_day'?"),
    "out of range": (["run", "demo.yaml", "--set", "days=-5"], "days = -5 is not allowed"),
    "bad network kind": (["run", "demo.yaml", "--set", "network.kind=grid"], "network.kind = 'grid'"),
    "unknown preset": (["validate", "demo.yaml", "--set", "sellers.me.strategy=nope"], "sellers.me.strategy = 'nope'"),
    "unknown option": (["run", "demo.yaml", "--bogus"], "unrecognized arguments: --bogus"),
    "missing file": (["run", "missing.yaml"], "missing.yaml: no such config file"),
    "invalid --set": (["run", "demo.yaml", "--set", "days"], "--set 'days': expected KEY=VALUE"),
    "negative seed": (["run", "demo.yaml", "--seed", "-1"], "argument --seed"),
    "zero days": (["run", "demo.yaml", "--days", "0"], "argument --days"),
    "no command": ([], "missing command"),
    "unknown command": (["frobnicate"], "invalid choice: 'frobnicate'"),
    "missing config": (["run"], "required: CONFIG"),
    "out is not a results folder": (["run", "demo.yaml", "--out", "."], "not a viralsim results folder"),
    "unknown params prefix": (["params", "trsut"], "PREFIX = 'trsut' matches no parameter"),
    "unknown params format": (["params", "--format", "yaml"], "argument --format: invalid choice: 'yaml'"),
}


@pytest.mark.parametrize(("args", "fragment"), list(BAD_INPUT.values()), ids=list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_nothing_written(cfg, tmp_path, args, fragment):
    before = listing(tmp_path)
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("viralsim: error: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert fragment in done.stderr
    assert listing(tmp_path) == before


def _address_space_4gb():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def test_a_run_too_large_for_the_machine_is_refused_before_building_anything(cfg, tmp_path):
    """50 million consumers need some 36 GB; a process limited to 4 GB refuses them in one line
    (and quickly: the estimate reads the config only, no network is built)."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-m", "viralsim", "run", str(cfg), "--set", "network.n=50000000",
                           "--out", str(tmp_path / "big")], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, preexec_fn=_address_space_4gb)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
    line = done.stderr
    assert line.startswith("viralsim: error: ") and "network.n (50,000,000)" in line and "--force" in line
    assert "of memory at its peak, and 4.0 GB is available" in line
    assert not (tmp_path / "big").exists()


# --- integration with the real engine --------------------------------------------------------------


def test_real_run_end_to_end(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            name: tiny
            seed: 1
            days: 10
            network: {kind: friend_circles, n: 120}
            sellers:
              spam: {strategy: spam, circle_size: 30}
              me: {strategy: community, circle_size: 30}
            """
        ),
        encoding="utf-8",
    )
    done = cli("run", "tiny.yaml", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "results" / "tiny-seed1"
    assert done.stdout.strip() == str(Path("results") / "tiny-seed1")
    assert {p.name for p in out.iterdir()} == FILES
    tables = run_folder.read_run(out)
    assert set(tables["daily"]["seller"]) == {"spam", "me"}
    assert len(tables["market"]) == 10
    assert (out / "plot.png").read_bytes().startswith(b"\x89PNG")
