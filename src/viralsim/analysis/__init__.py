"""Analysis of experiment results: sensitivity indices, figures and HTML reports.

Every function takes pandas DataFrames (the tables of a results folder, or any DataFrame with
the same columns), so the analysis of a folder written by ``viralsim sweep`` and of data built
in Python is the same code: :mod:`~viralsim.analysis.sensitivity` (SALib),
:mod:`~viralsim.analysis.plots` (matplotlib) and :mod:`~viralsim.analysis.report` (a Jinja2
template, tables by pandas' Styler). The
statistics across replicates that a results folder stores are :mod:`viralsim.results.stats`.
"""
