"""The column dictionary: unit, kind and meaning of every column of every table viralsim writes.

A results folder must say what its numbers are: a daily count is not a running total, and a
flow recorded every 10 days is not one day's flow. This module declares that once. The names
come from where they are declared (:data:`viralsim.metrics.DAILY_COLUMNS`, the engine's flows
and stocks in :mod:`viralsim.model.outputs`, :data:`viralsim.results.run_rows.META_COLUMNS`);
only what those lists do not say (unit, meaning, bounds) is written here, keyed by name.

Every writer asks :func:`table_columns` for the entries of the columns it writes, and an
undocumented column stops the write (:class:`UndocumentedColumn`) rather than reach a folder
without its description. The entries travel with the data twice:

* ``columns.csv`` in every run and experiment results folder: one row per (file, column) with
  ``file, column, unit, kind, description`` (:func:`columns_frame`). CSV, not JSON, because it
  is read next to the tables, in a spreadsheet as well as in pandas.
* each Parquet file's schema metadata under the key :data:`PARQUET_KEY`: a JSON list of
  ``{name, unit, kind, description}`` objects in column order (:func:`write_parquet`,
  :func:`read_parquet_columns`), so a file copied out of its folder still describes itself.

Both are pure functions of the columns written (and of ``outputs.every``), so the same seed
still gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from viralsim.config import registry
from viralsim.metrics import DAILY_COLUMNS
from viralsim.model.outputs import FLOW_KEYS, STOCK_COLUMNS
from viralsim.results.run_rows import MARKET_PREFIX

__all__ = ["Column", "KINDS", "TABLES", "PARQUET_KEY", "COLUMNS_FILE", "UndocumentedColumn", "table_columns",
           "bounds", "columns_frame", "write_parquet", "read_parquet_columns", "DAILY_FLOWS", "MARKET_FLOWS"]

#: the schema metadata key of a Parquet file's column dictionary (JSON)
PARQUET_KEY = b"viralsim.columns"
#: the column dictionary's file in a results folder
COLUMNS_FILE = "columns.csv"

#: what a column's ``kind`` says about summing or averaging it
KINDS = {
    "daily flow": "events of the row's day (of the days the row stands for, when a table records every k days); "
                  "sums over days give totals",
    "running total": "events summed from the first day to the row's day (summary tables: to the run's last day); "
                     "never sum over days",
    "level": "a stock or state at the end of the row's day (summary tables: of the run's last day); never sum "
             "over days",
    "statistic": "a derived measure of a run or of several runs (ratio, maximum, quantile, day of an event, "
                 "mean over replicates); not additive",
    "factor": "an input the experiment's design varies (a config path) or its design coordinate",
    "identifier": "names, numbers or labels that identify or describe a row (run, seller, day, status); "
                  "not a measurement",
}


@dataclass(frozen=True)
class Column:
    """One column's entry: name, unit, kind (a key of :data:`KINDS`), meaning, and the bounds of
    its values (None: unbounded on that side), which the stats table's intervals respect."""

    name: str
    unit: str
    kind: str
    description: str
    low: float | None = None
    high: float | None = None

    def record(self) -> dict:
        """The entry as written to files (bounds are for computing, not for readers)."""
        return {"name": self.name, "unit": self.unit, "kind": self.kind, "description": self.description}


class UndocumentedColumn(ValueError):
    """A table was about to be written with a column the dictionary has no entry for."""


_COUNT = (0.0, None)
_SHARE = (0.0, 1.0)

#: daily seller columns that are flows (the engine's flow table) and stocks, in DAILY_COLUMNS order
DAILY_FLOWS = tuple(c for c in DAILY_COLUMNS if c in FLOW_KEYS)
_DAILY_STOCKS = tuple(c for c in DAILY_COLUMNS if c in STOCK_COLUMNS)
#: market columns that count the day's events (the others are levels)
MARKET_FLOWS = ("purchases",)

# unit, meaning and bounds of the daily seller columns (their names and order: metrics.DAILY_COLUMNS)
_DAILY = {
    "posts": ("posts", "posts the seller published", _COUNT),
    "posts_folded": ("posts", "of those, marketing posts the platform folded (harassment prompt): read only by "
                     "viewers who open the folded block", _COUNT),
    "exposures_ad": ("exposures", "the seller's ad posts read by consumers", _COUNT),
    "exposures_value": ("exposures", "the seller's value posts read by consumers (group posts included)", _COUNT),
    "exposures_life": ("exposures", "the seller's life posts read by consumers", _COUNT),
    "exposures_prize": ("exposures", "the seller's prize posts read by consumers", _COUNT),
    "exposures_reseller": ("exposures", "ads of the seller's resellers read by consumers", _COUNT),
    "messages_sent": ("messages", "direct messages the seller sent", _COUNT),
    "reach": ("consumers", "consumers who read or received anything from the seller, each counted once a day "
              "(summed over days: consumer-days, not distinct people)", _COUNT),
    "aware": ("consumers", "consumers who know the seller", _COUNT),
    "interested": ("consumers", "aware consumers, not blocking the seller, whose trust reaches the interest "
                   "threshold", _COUNT),
    "customers": ("consumers", "consumers with at least one purchase from the seller", _COUNT),
    "repeat_customers": ("consumers", "consumers with at least two purchases from the seller", _COUNT),
    "purchases": ("purchases", "purchases from the seller", _COUNT),
    "purchases_wom": ("purchases", "purchases attributed to a friend's recommendation (referral channel)", _COUNT),
    "revenue": ("yuan", "the seller's revenue, after referral discounts", _COUNT),
    "cost": ("yuan", "the seller's cost: unit costs, action costs, commissions, KOL gifts", _COUNT),
    "mean_trust": ("trust (0 to 1)", "mean trust of the seller's contacts, blocked ones included (empty: no "
                   "contacts)", _SHARE),
    "mean_annoyance": ("annoyance", "mean annoyance of the same contacts", _COUNT),
    "followers": ("consumers", "contacts who have not blocked the seller", _COUNT),
    "contacts": ("consumers", "consumers ever tied to the seller, blocked ones included", _COUNT),
    "muted": ("consumers", "contacts who hide the seller's posts and have not blocked her", _COUNT),
    "blocked": ("consumers", "consumers who blocked or unfriended the seller", _COUNT),
    "new_followers": ("consumers", "consumers without a tie who added the seller as a contact (after a purchase, a "
                      "friend's recommendation or joining her group)", _COUNT),
    "ties_strengthened": ("consumers", "contacts whose tie to the seller moved up a step (stranger contact to weak, "
                          "weak to strong)", _COUNT),
    "ties_weakened": ("consumers", "contacts whose tie to the seller moved down a step (strong to weak, weak to "
                      "stranger contact)", _COUNT),
    "strong_ties": ("consumers", "followers with a strong tie to the seller", _COUNT),
    "weak_ties": ("consumers", "followers with a weak tie to the seller", _COUNT),
    "ties_broken": ("consumers", "contacts who blocked the seller after a purchase that disappointed them", _COUNT),
    "groups_opened": ("groups", "group-buys opened by the seller's buyers", _COUNT),
    "groups_filled": ("groups", "group-buys that reached their size and sold to every member", _COUNT),
    "groups_failed": ("groups", "group-buys that closed unfilled: nobody in them bought", _COUNT),
    "wom_positive": ("messages", "recommendations of the seller sent by consumers", _COUNT),
    "wom_negative": ("messages", "warnings against the seller sent by consumers", _COUNT),
    "enquiries": ("enquiries", "enquiries the seller received", _COUNT),
    "replies": ("replies", "enquiries the seller answered", _COUNT),
    "group_members": ("consumers", "members of the seller's groups", _COUNT),
    "resellers": ("consumers", "resellers of the seller", _COUNT),
    "reseller_stock": ("units", "units of the product the seller's resellers hold unsold, those who quit loaded "
                       "included", _COUNT),
    "reseller_depth": ("levels", "the deepest level of the seller's reseller tree (1: recruited by the seller)",
                       _COUNT),
    "commission": ("yuan", "commission paid to the seller's resellers (part of the cost)", _COUNT),
    "loaded_resellers": ("consumers", "resellers who quit with stock that had not sold for the patience period",
                         _COUNT),
    "forwards": ("posts", "the seller's posts consumers forwarded to their Moments, every generation", _COUNT),
    "forwards_read": ("posts", "friends' forwards of the seller's posts that consumers read", _COUNT),
    "brand": ("brand (0 to 1)", "the seller's personal brand, which weights her posts' persuasion: 1 but for a "
              "big-V seller, whose brand devalues with each commercial post (in groups: the sellers' mean weighted "
              "by their contacts)", _SHARE),
}

# unit, meaning and bounds of the market columns (names: metrics.MARKET_COLUMNS)
_MARKET = {
    "platform_activity": ("share (0 to 1)", "mean platform activity of consumers", _SHARE),
    "commercial_share": ("share (0 to 1)", "mean share of commercial posts in consumers' feeds", _SHARE),
    "with_need": ("consumers", "consumers with an unmet need", _COUNT),
    "purchases": ("purchases", "purchases from all sellers", _COUNT),
}

# the run summary (metrics.summarize): kind, unit, meaning, bounds
_SUMMARY = {
    "purchases": ("running total", "purchases", "purchases over the run", _COUNT),
    "revenue": ("running total", "yuan", "revenue over the run, after referral discounts", _COUNT),
    "cost": ("running total", "yuan", "cost over the run", _COUNT),
    "profit": ("running total", "yuan", "revenue minus cost over the run", (None, None)),
    "customers": ("level", "consumers", "consumers with at least one purchase, at the end", _COUNT),
    "repeat_customers": ("level", "consumers", "consumers with at least two purchases, at the end", _COUNT),
    "followers_end": ("level", "consumers", "followers (contacts not blocking) at the end", _COUNT),
    "followers_max": ("statistic", "consumers", "the most followers on any day", _COUNT),
    "new_followers": ("running total", "consumers", "consumers without a tie who added the seller as a contact, "
                      "over the run", _COUNT),
    "new_followers_purchase": ("running total", "consumers", "of them, satisfied buyers after a purchase", _COUNT),
    "new_followers_referral": ("running total", "consumers", "of them, consumers after a friend's recommendation",
                               _COUNT),
    "new_followers_group": ("running total", "consumers", "of them, consumers on joining the seller's group",
                            _COUNT),
    "ties_broken": ("running total", "consumers", "contacts who blocked the seller after a purchase that "
                    "disappointed them, over the run", _COUNT),
    "ties_broken_stranger": ("running total", "consumers", "of them, contacts with the stranger tie", _COUNT),
    "ties_broken_weak": ("running total", "consumers", "of them, weak-tie contacts", _COUNT),
    "ties_broken_strong": ("running total", "consumers", "of them, strong-tie contacts", _COUNT),
    "commission": ("running total", "yuan", "commission paid to resellers over the run (part of the cost)",
                   _COUNT),
    "loaded_resellers": ("running total", "consumers", "resellers who quit loaded with unsold stock over the run",
                         _COUNT),
    "forwards": ("running total", "posts", "the seller's posts forwarded by consumers over the run, every "
                 "generation", _COUNT),
    "forwards_read": ("running total", "posts", "friends' forwards of the seller's posts read over the run", _COUNT),
    "purchases_forward": ("running total", "purchases", "purchases attributed to friends' forwards of the seller's "
                          "posts over the run", _COUNT),
    "groups_opened": ("running total", "groups", "group-buys opened over the run", _COUNT),
    "groups_filled": ("running total", "groups", "group-buys filled (and sold) over the run", _COUNT),
    "groups_failed": ("running total", "groups", "group-buys that failed over the run", _COUNT),
    "purchases_group_buy": ("running total", "purchases", "purchases in filled group-buys over the run, at the "
                            "group price", _COUNT),
    "contacts": ("level", "consumers", "consumers ever tied to the seller, at the end", _COUNT),
    "strong_ties": ("level", "consumers", "followers with a strong tie at the end", _COUNT),
    "weak_ties": ("level", "consumers", "followers with a weak tie at the end", _COUNT),
    "ties_strengthened": ("running total", "consumers", "ties moved up a step over the run (a contact can count "
                          "more than once)", _COUNT),
    "ties_weakened": ("running total", "consumers", "ties moved down a step over the run", _COUNT),
    "buyers_per_follower": ("statistic", "customers per follower", "customers at the end / followers_max (empty: "
                            "no followers)", _COUNT),
    "muted": ("level", "consumers", "muted, not blocking contacts at the end", _COUNT),
    "blocked": ("level", "consumers", "consumers blocking the seller at the end", _COUNT),
    "muted_blocked_share": ("level", "share (0 to 1)", "(muted + blocked) / contacts at the end (empty: no "
                            "contacts)", _SHARE),
    "mean_trust_end": ("level", "trust (0 to 1)", "mean trust of the contacts at the end", _SHARE),
    "mean_annoyance_end": ("level", "annoyance", "mean annoyance of the contacts at the end", _COUNT),
    "time_to_half_sales": ("statistic", "day", "first day on which the purchases so far reach half the run's "
                           "purchases (empty: no purchases)", _COUNT),
    "peak_day": ("statistic", "day", "day of the maximum of the 7-day rolling mean of daily purchases", _COUNT),
    "peak_sales": ("statistic", "purchases per day", "that maximum", _COUNT),
    "late_vs_peak": ("statistic", "ratio", "mean daily purchases over the last 30 days / peak_sales", _COUNT),
    "purchases_wom": ("running total", "purchases", "referral purchases over the run", _COUNT),
    "wom_positive": ("running total", "messages", "recommendations sent over the run", _COUNT),
    "wom_negative": ("running total", "messages", "warnings sent over the run", _COUNT),
    "conv_per_exposure_strong": ("statistic", "purchases per exposure", "seller-made purchases by strong-tie "
                                 "contacts / posts read by strong-tie contacts, over the run", _COUNT),
    "conv_per_exposure_weak": ("statistic", "purchases per exposure", "the same for weak-tie contacts", _COUNT),
    "conv_per_exposure_stranger": ("statistic", "purchases per exposure", "the same for strangers", _COUNT),
    "wom_conv_strong": ("statistic", "purchases per recommendation", "referral purchases over strong ties / "
                        "recommendations sent over strong ties, over the run", _COUNT),
    "wom_conv_weak": ("statistic", "purchases per recommendation", "the same over weak ties", _COUNT),
    "cascades": ("level", "trees", "referral trees with at least one buyer, at the end", _COUNT),
    "cascade_median": ("statistic", "buyers", "median buyers per referral tree (empty: no trees)", _COUNT),
    "cascade_p99": ("statistic", "buyers", "99th percentile of buyers per referral tree (empty: no trees)", _COUNT),
    "cascade_max": ("statistic", "buyers", "buyers of the largest referral tree", _COUNT),
}


def _ident(name: str, unit: str, description: str) -> Column:
    return Column(name, unit, "identifier", description)


_DAY = _ident("day", "day", "day of the run (1 = the first simulated day)")
_SELLER = _ident("seller", "name", "the seller's name")
_STRATEGY = _ident("strategy", "name", "the seller's strategy preset")
_META = {
    "run": _ident("run", "index", "the run's number in the experiment (0-based)"),
    "run_id": _ident("run_id", "name", "the run's name: scenario, design point and replicate"),
    "scenario": _ident("scenario", "name", "the scenario of the run"),
    "point": _ident("point", "index", "the design point of the run (a row of design.csv)"),
    "replicate": _ident("replicate", "index", "the replicate of the run at its scenario and design point"),
    "seed": _ident("seed", "seed", "the run's random seed (derived from the root seed)"),
}
_DAYS_RUN = Column("days_run", "days", "level", "days the run lasted: its horizon, or fewer if the stop condition "
                   "ended it", *_COUNT)
_STATUS = {
    "status": _ident("status", "label", "ok, or failed (the run raised or its process died)"),
    "days_run": _DAYS_RUN,
    "stopped": _ident("stopped", "true/false", "whether the stop condition ended the run before its horizon"),
    "error": _ident("error", "text", "one line naming the error of a failed run (empty if ok)"),
    "traceback": _ident("traceback", "text", "the Python traceback of a failed run"),
}
#: the columns of the small tables of a run folder that no list elsewhere declares
_OTHER = {
    "groups": {"by": _ident("by", "label", "the grouping: population or strategy"),
               "group": _ident("group", "name", "the population's or strategy preset's name"),
               "sellers": Column("sellers", "sellers", "level", "sellers in the group", *_COUNT)},
    "cascades": {"parent": _ident("parent", "person", "the recommender whose recommendation the buyer followed"),
                 "child": _ident("child", "person", "the buyer")},
    "cascade_sizes": {"root": _ident("root", "person", "the person at the root of the referral tree"),
                      "size": Column("size", "buyers", "level", "buyers in the tree at the end of the run", *_COUNT)},
}
_STAT_OF = "the unit of the column named in metric"
_STATS = {
    "metric": _ident("metric", "name", "the column summarised over replicates (see its entry for unit and kind)"),
    "n": Column("n", "runs", "statistic", "replicates with a value (missing values are not counted)", *_COUNT),
    "mean": Column("mean", _STAT_OF, "statistic", "mean over the replicates"),
    "std": Column("std", _STAT_OF, "statistic", "standard deviation over the replicates (n - 1 in the "
                  "denominator)", *_COUNT),
    "ci_low": Column("ci_low", _STAT_OF, "statistic", "lower bound of the 95 % confidence interval of the mean; "
                     "within the metric's bounds (viralsim.results.stats)"),
    "ci_high": Column("ci_high", _STAT_OF, "statistic", "upper bound of that interval"),
}

#: the tables viralsim writes, by the name :func:`table_columns` knows them by
TABLES = {
    "daily": "one row per (day, named seller) of a run",
    "market": "one row per day of a run: the whole market",
    "summary": "one row per seller (and run): end-of-run KPIs",
    "cascades": "one row per referral purchase: who converted whom",
    "cascade_sizes": "one row per referral tree: its buyers",
    "groups": "one row per (day, grouping, group): sellers of a population or a strategy preset together",
    "table": "an experiment's long table: one row per run, recorded day and seller",
    "runs": "one row per run of an experiment: its status",
    "design": "one row per design point of an experiment",
    "stats": "statistics over replicates of the long table",
    "summary_stats": "statistics over replicates of the summary",
}


def _daily(name: str, every: int | str | None = 1) -> Column:
    """A daily seller column; flows say which days they sum when the table records every k days."""
    unit, text, (low, high) = _DAILY[name]
    return Column(name, unit, *_kind_text(name in DAILY_FLOWS, text, every), low, high)


def _market(name: str, every: int | str | None = 1, prefix: str = "") -> Column:
    unit, text, (low, high) = _MARKET[name]
    return Column(prefix + name, unit, *_kind_text(name in MARKET_FLOWS, text, every), low, high)


def _kind_text(flow: bool, text: str, every: int | str | None) -> tuple[str, str]:
    if not flow:
        return "level", text + ", at the end of the day"
    if every == 1:
        return "daily flow", text + ", that day"
    if every in (None, "end"):
        return "daily flow", text + ", summed over every day of the run (one row per run, on its last day)"
    return "daily flow", (text + f", summed over the {every} days ending on day (the last row of a run: the days "
                          "since the previous row)")


def _summary(name: str) -> Column:
    kind, unit, text, (low, high) = _SUMMARY[name]
    return Column(name, unit, kind, text, low, high)


def _factor(name: str, factors: Mapping[str, str]) -> Column | None:
    """A design factor (a config path), or its unit coordinate ``u:<path>`` in design.csv."""
    path = name.removeprefix("u:")
    if path not in factors:
        return None
    if name.startswith("u:"):
        return Column(name, "unit interval", "factor", f"the design point's coordinate of {path} on [0, 1] "
                      "(sampled designs)", *_SHARE)
    return Column(name, factors[path] or "see viralsim params", "factor", f"the config value {path} of the run")


def _lookup(table: str, name: str, factors: Mapping[str, str], every: int | str | None) -> Column | None:
    if table in ("daily", "groups", "table") and name in _DAILY:
        return _daily(name, every if table == "table" else 1)
    if table in ("daily", "groups", "market", "cascades", "table", "stats") and name == "day":
        if table == "table":
            return _ident("day", "day", "day of the run the row was recorded on (the last of the days it "
                          "stands for)")
        if table == "cascades":
            return _ident("day", "day", "day of the purchase")
        return _DAY
    if name == "seller" and table not in ("market", "runs", "design"):
        return _SELLER
    if table in ("table", "summary", "runs", "stats", "summary_stats") and name in _META:
        return _META[name]
    if table in ("table", "summary", "runs", "stats", "summary_stats", "design") and (
            found := _factor(name, factors)) is not None:
        return found
    if table == "market" and name in _MARKET:
        return _market(name)
    if table == "table" and name.startswith(MARKET_PREFIX) and name.removeprefix(MARKET_PREFIX) in _MARKET:
        return _market(name.removeprefix(MARKET_PREFIX), every, MARKET_PREFIX)
    if table == "summary":
        if name in _SUMMARY:
            return _summary(name)
        if name == "strategy":
            return _STRATEGY
        if name == "days_run":
            return _DAYS_RUN
    if table in _OTHER:
        return _OTHER[table].get(name)
    if table == "runs":
        return _STATUS.get(name)
    if table == "design" and name == "point":
        return _META["point"]
    if table in ("stats", "summary_stats"):
        return _STATS.get(name)
    return None


def table_columns(table: str, names: Iterable[str], *, factors: Mapping[str, str] | Iterable[str] = (),
                  every: int | str | None = 1) -> list[Column]:
    """The dictionary's entries of the columns ``names`` of ``table``, in that order.

    Parameters
    ----------
    table : str
        A key of :data:`TABLES` (``daily``, ``summary``, ``table``, ...).
    names : iterable of str
        The columns as written.
    factors : mapping of config path to unit, or iterable of config paths
        The experiment's design factors (their columns are named by their config path, and
        ``u:<path>`` in ``design.csv``); the unit defaults to the parameter registry's.
    every : int, 'end' or None
        ``outputs.every`` of the experiment: for the long table, whose flows sum the days each
        row stands for.

    Raises
    ------
    UndocumentedColumn
        If a column has no entry: a writer's table gained a column that nobody described.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; the dictionary knows {', '.join(TABLES)}")
    if not isinstance(factors, Mapping):
        factors = {path: _unit_of(path) for path in factors}
    out = []
    for name in names:
        found = _lookup(table, str(name), factors, every)
        if found is None:
            raise UndocumentedColumn(f"column {name!r} of the {table} table has no entry in the column dictionary "
                                     "(viralsim.results.columns); add one before writing it")
        out.append(found)
    return out


def _unit_of(path: str) -> str:
    """The parameter registry's unit of a factor's config path ('' if the registry does not know
    it, or knows it with different units, e.g. per network kind)."""
    try:
        units = {row.unit for row in registry.select(path) if row.path.split(".")[-1] == path.split(".")[-1]}
    except registry.UnknownPrefix:
        return ""
    return units.pop() if len(units) == 1 else ""


def bounds(table: str, name: str) -> tuple[float | None, float | None]:
    """The bounds of a column's values, ``(None, None)`` for a column the dictionary does not know
    (or knows without bounds): what :mod:`viralsim.results.stats` keeps its intervals within."""
    found = _lookup(table, name, {}, 1)
    return (None, None) if found is None else (found.low, found.high)


def columns_frame(files: Mapping[str, Iterable[Column]]) -> pd.DataFrame:
    """``columns.csv``: one row per (file, column), files in the order given."""
    rows = [{"file": file, "column": c.name, "unit": c.unit, "kind": c.kind, "description": c.description}
            for file, cols in files.items() for c in cols]
    return pd.DataFrame(rows, columns=["file", "column", "unit", "kind", "description"])


def write_parquet(df: pd.DataFrame, path: str | Path, cols: Iterable[Column]) -> None:
    """Write ``df`` as Parquet (zstd, no index, as pandas would) with the entries of its columns in
    the schema metadata under :data:`PARQUET_KEY`. Deterministic: no timestamps."""
    cols = list(cols)
    if [c.name for c in cols] != [str(c) for c in df.columns]:
        raise ValueError(f"{path}: the column entries do not match the table's columns")
    table = pa.Table.from_pandas(df, preserve_index=False)
    record = json.dumps([c.record() for c in cols], ensure_ascii=False, separators=(",", ":"))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), PARQUET_KEY: record.encode("utf-8")})
    pq.write_table(table, path, compression="zstd")


def read_parquet_columns(path: str | Path) -> list[dict]:
    """The column entries stored in a Parquet file's schema metadata ([] for a file without)."""
    metadata = pq.read_schema(path).metadata or {}
    raw = metadata.get(PARQUET_KEY)
    return json.loads(raw.decode("utf-8")) if raw else []
