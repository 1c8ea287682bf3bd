"""Results on disk and the tables in them: what runs and sweeps write, and how it is read back.

Modules: :mod:`~viralsim.results.run_folder` (one run's results folder),
:mod:`~viralsim.results.run_overview` (a run's overview figure and summary table),
:mod:`~viralsim.results.sweep_folder` (an experiment's results folder: parts, resume, merge,
locks), :mod:`~viralsim.results.run_rows` (the rows each run of an experiment contributes),
:mod:`~viralsim.results.stats` (statistics across replicates) and
:mod:`~viralsim.results.provenance` (versions and the code that produced a folder).

Nothing here runs a simulation or knows about experiment specs: the experiment layer
(:mod:`viralsim.experiment`) drives runs and writes through these modules.
"""
