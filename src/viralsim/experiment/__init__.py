"""Experiments: sweeps of many runs from a YAML spec, on any executor, into a results folder.

>>> from viralsim.experiment import load_experiment, run_sweep, read_results  # doctest: +SKIP
>>> exp = load_experiment("experiments/spam_vs_community.yaml", replicates=3)  # doctest: +SKIP
>>> outcome = run_sweep(exp, executor="processes")                             # doctest: +SKIP
>>> read_results(outcome.out_dir).summary_stats                                # doctest: +SKIP

Modules: :mod:`~viralsim.experiment.spec` (the spec and its validation),
:mod:`~viralsim.experiment.design` (design factors and tables), :mod:`~viralsim.experiment.seeds`
(run seeds), :mod:`~viralsim.experiment.runner` (one run, one chunk),
:mod:`~viralsim.experiment.warmup` (a process ready to simulate),
:mod:`~viralsim.experiment.executors` and :mod:`~viralsim.experiment.sweep` (the driver). The
results folder itself (parts, resume, merge, reading) is :mod:`viralsim.results.sweep_folder`;
``docs/experiments.md`` documents the format and the outputs.
"""

__all__ = ["Experiment", "ExperimentError", "Results", "ResultsError", "RunTask", "SweepOutcome",
           "experiment_from_dict", "load_experiment", "merge", "read_results", "run_one", "run_sweep"]


def __getattr__(name):
    # Lazy imports: importing the package (e.g. a spawned worker unpickling a task) stays cheap,
    # and the package's own modules can import each other without importing all of it.
    if name in ("load_experiment", "experiment_from_dict", "Experiment", "ExperimentError"):
        from viralsim.experiment import spec  # lazy: see above

        return getattr(spec, name)
    if name in ("run_sweep", "SweepOutcome"):
        from viralsim.experiment import sweep  # lazy: see above

        return getattr(sweep, name)
    if name in ("merge", "read_results", "Results", "ResultsError"):
        from viralsim.results import sweep_folder  # lazy: see above

        return getattr(sweep_folder, name)
    if name in ("run_one", "RunTask"):
        from viralsim.experiment import runner  # lazy: see above

        return getattr(runner, name)
    raise AttributeError(name)
