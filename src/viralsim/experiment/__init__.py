"""Experiments: sweeps of many runs from a YAML spec, on any executor, into a results folder.

>>> from viralsim.experiment import load_experiment, run_sweep, read_results  # doctest: +SKIP
>>> exp = load_experiment("experiments/spam_vs_community.yaml", replicates=3)  # doctest: +SKIP
>>> outcome = run_sweep(exp, executor="processes")                             # doctest: +SKIP
>>> read_results(outcome.out_dir).summary_stats                                # doctest: +SKIP

Modules: :mod:`~viralsim.experiment.spec` (the spec and its validation),
:mod:`~viralsim.experiment.design` (design tables), :mod:`~viralsim.experiment.seeds` (run
seeds), :mod:`~viralsim.experiment.runner` (one run, one chunk), :mod:`~viralsim.experiment.executors`,
:mod:`~viralsim.experiment.sweep` (the driver) and :mod:`~viralsim.experiment.store` (results
folders, resume, merge). ``docs/experiments.md`` documents the format and the outputs.
"""

_EXPORTS = {
    "load_experiment": "viralsim.experiment.spec",
    "experiment_from_dict": "viralsim.experiment.spec",
    "Experiment": "viralsim.experiment.spec",
    "ExperimentError": "viralsim.experiment.spec",
    "run_sweep": "viralsim.experiment.sweep",
    "SweepOutcome": "viralsim.experiment.sweep",
    "merge": "viralsim.experiment.store",
    "read_results": "viralsim.experiment.store",
    "Results": "viralsim.experiment.store",
    "ResultsError": "viralsim.experiment.store",
    "run_one": "viralsim.experiment.runner",
    "RunTask": "viralsim.experiment.runner",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    # Lazy, so that importing the package (e.g. by a spawned worker) stays cheap.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
