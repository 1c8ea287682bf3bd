"""Mesa shell: ViralModel (a mesa.Model) and Seller agents around the array engine.

Mesa owns the seeded generator (``model.rng``), the step counter and the DataCollector; the
consumer population lives in NumPy columns (``model.state``) and is advanced by
:func:`viralsim.model.pipeline.run_day`. Per-consumer views are available for inspection and the
teaching app via :meth:`ViralModel.consumers`.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from viralsim._rng import streams
from viralsim.config.schema import RunConfig, SellerSpec, Strategy
from viralsim.metrics import (
    COUNT_COLUMNS,
    DAILY_COLUMNS,
    LAST_COLUMNS,
    MARKET_COLUMNS,
    SUM_COLUMNS,
    RunResult,
    SellerSeries,
    cascade_sizes,
    group_frame,
    grouped,
    summarize,
    summarize_series,
)
from viralsim.model import pipeline, relations
from viralsim.model.events import EventQueue, work_out
from viralsim.model.outputs import BREAKDOWN_WIDTH, BREAKDOWNS, FLOW_KEYS, STOCK_COLUMNS
from viralsim.model.rules.feed import organic_load
from viralsim.model.rules.plan import empty_plans
from viralsim.model.sellers import SellerGroups, init_state, seller_table, sellers_of
from viralsim.model.stepping import run_days
from viralsim.network import Topology
from viralsim.network.build import build_network

_BREAKDOWNS = tuple(name for name, _ in BREAKDOWNS)
#: where each recorded value goes in a day's (S, len(DAILY_COLUMNS)) block
_STOCK_AT = np.array([DAILY_COLUMNS.index(c) for c in STOCK_COLUMNS])
_FLOW_ROWS = np.array([j for j, k in enumerate(FLOW_KEYS) if k in DAILY_COLUMNS])
_FLOW_AT = np.array([DAILY_COLUMNS.index(FLOW_KEYS[j]) for j in _FLOW_ROWS])
_PURCHASES, _FOLLOWERS = DAILY_COLUMNS.index("purchases"), DAILY_COLUMNS.index("followers")
#: days per compiled call of a batch run (a progress bar moves this often; the recorded arrays
#: of a batch are this many days of flows, breakdowns and stocks)
BATCH_DAYS = 30
#: Mesa DataCollector's per-seller values (docs/model.md §4)
_AGENT_REPORTS = ("purchases", "customers", "mean_trust", "mean_annoyance", "muted", "blocked", "followers", "revenue")


def _reporter(column: str):
    """DataCollector reporter of one daily column for a Seller (NaN before the first day)."""
    j, cast = DAILY_COLUMNS.index(column), int if column in COUNT_COLUMNS else float

    def report(seller: Seller):
        days = seller.model._daily
        return cast(days[-1][seller.index, j]) if days else np.nan
    return report


class Seller(mesa.Agent):
    """A 微商: a person in the graph who sells one product with one strategy.

    The strategy can be replaced between steps (``seller.strategy = ...``) for what-if and
    teaching use; the change takes effect on the next day. Her daily actions are drawn inside
    the compiled day (rules.plan), from her own random stream.
    """

    def __init__(self, model: ViralModel, name: str, spec: SellerSpec, index: int, node: int):
        super().__init__(model)
        self.name = name
        self.spec = spec
        self.strategy = spec.resolved
        self.product = spec.product
        self.index = index
        self.node = node

    @property
    def today(self) -> dict:
        """The seller's row of the last recorded day (``day``, ``seller`` and DAILY_COLUMNS); {} before day 1."""
        return self.model.daily_row(self.index)


class ViralModel(mesa.Model):
    """One market: a friendship graph, its consumers and one or more sellers.

    Timed events (``config.events``, docs/model.md §3.3.22) act at the start of their day, however
    the days are run: :meth:`step` and :meth:`run` both stop a compiled batch at an event's day.

    Parameters
    ----------
    config : RunConfig
        Validated configuration; ``config.seed`` seeds everything (graph, placement, dynamics).
    topology : Topology, optional
        Use this graph instead of building ``config.network`` (e.g. to share one graph between
        scenarios); the network stream is then unused.
    collect : bool, default True
        Fill Mesa's ``datacollector`` every day. Batch runs (:func:`simulate`, sweeps) switch it
        off: everything it holds is also in :meth:`result`, which costs nothing extra per day.

    """

    #: the sellers' actions of every day, fixed (``rules.plan.Plans`` arrays), or None to draw them
    #: each day from the strategies (verification fixes them to compare engines on one day)
    fixed_plans = None

    def __init__(self, config: RunConfig, *, topology: Topology | None = None, collect: bool = True):
        st = streams(config.seed)
        super().__init__(rng=st.dynamics)
        self.state = None
        self.config = config
        self.topology = topology if topology is not None else build_network(config.network, rng=st.network)
        #: every seller, the named ones first, then the populations' members (``<population>#<k>``)
        self.setups = sellers_of(config, self.topology.n, st.placement)
        self.state = init_state(config, self.topology, self.setups, rng=st.placement, key_rng=st.dynamics)
        self._plans = empty_plans(self.state.n_sellers)
        nodes = self.state.seller_nodes
        #: the named sellers as Mesa agents (members of populations are rows of the seller table)
        self.sellers = [Seller(self, name, spec, i, int(nodes[i]))
                        for i, (name, spec) in enumerate(config.sellers.items())]
        self._strategies: list[Strategy] = [s.strategy for s in self.sellers]
        #: the population members' strategies and every seller's preset today (events may switch them)
        self._member_strategies: list[Strategy] = [x.strategy for x in self.setups[len(self.sellers):]]
        self._presets: list[str] = [x.preset for x in self.setups]
        self._events = EventQueue(config.events)
        self._groups = SellerGroups(self.setups)
        n_s = self.state.n_sellers
        # Recorded days live in arrays; result() builds frames. Named sellers: their whole
        # (S, len(DAILY_COLUMNS)) block per day; every seller: what the run summary needs.
        self._days: list[int] = []
        self._daily: list[np.ndarray] = []
        self._group_days: list[np.ndarray] = []
        self._market: list[tuple] = []
        self._totals = np.zeros((n_s, BREAKDOWN_WIDTH))
        self._purchases: list[np.ndarray] = []
        self._sums = {c: np.zeros(n_s) for c in SUM_COLUMNS}
        self._last = np.full((n_s, len(DAILY_COLUMNS)), np.nan)
        self._followers_max = np.full(n_s, -np.inf)
        #: relations the last compiled call made a day (the table is grown ahead of the next call)
        self._rows_a_day = 0.0
        self.collect = collect
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, j=j: m._market[-1][j] if m._market else np.nan)
                             for j, k in enumerate(MARKET_COLUMNS, start=1)},
            agent_reporters={k: _reporter(k) for k in _AGENT_REPORTS},
        )

    @property
    def config(self) -> RunConfig:
        """The configuration in force: the run's, with the settings of the events so far.

        Replacing it between days changes the rules' constants, the seller table (folding,
        price factors, ...) and the friends' posts in the feeds from the next day on (what-if and
        teaching use; the network and the sellers stay); it also becomes the run's config
        (:attr:`run_config`, reported by :meth:`result`). The events still to come are those of
        the config the model was built with."""
        return self._config

    @config.setter
    def config(self, value: RunConfig) -> None:
        self.run_config = value
        self._enforce(value)

    def _enforce(self, value: RunConfig) -> None:
        """Make ``value`` the config in force from the next day on."""
        self._config = value
        self.params = pipeline.prepare(value)
        st = self.state
        if st is not None:
            self._sync_strategies(force=True)
            st.people.organic0[:], st.people.organic1[:] = organic_load(st.people.degree, value.feed)

    @property
    def day(self) -> int:
        """Days simulated so far."""
        return self.state.day

    def step(self) -> None:
        """One day: the compiled pipeline applies every rule (viralsim.model.pipeline), then the
        day's flows and stocks are recorded."""
        self._advance(1)
        if self.collect:
            self.datacollector.collect(self)

    def _advance(self, n_days: int) -> None:
        """Run ``n_days`` days and record them (Mesa's step counter is the caller's: ``step`` is
        counted by Mesa, :meth:`run` counts its batches itself).

        The days go in compiled calls that end before each event's day, whose events act
        between two calls: a batch and day-by-day steps see every event at the same moment."""
        left = n_days
        while left > 0:
            self._fire_events()
            k = left
            upcoming = self._events.next_day()
            if upcoming is not None:
                k = min(k, upcoming - 1 - self.day)
            self._run_compiled(k)
            left -= k

    def _fire_events(self) -> None:
        """Apply the events of the coming day (docs/model.md §3.3.22)."""
        for event in self._events.due(self.day + 1):
            k = len(self.sellers)
            names = [x.name for x in self.setups]
            strategies = [s.strategy for s in self.sellers] + self._member_strategies
            change = work_out(event, self.config, names, [x.population for x in self.setups], self._presets,
                              strategies)
            for s, spec in change.specs.items():
                self.sellers[s].spec = spec
                self.sellers[s].product = change.products[s]
            for s, strategy in change.strategies.items():
                if s < k:
                    self.sellers[s].strategy = strategy
                else:
                    self._member_strategies[s - k] = strategy
            for s, preset in change.presets.items():
                self._presets[s] = preset
            if change.config is not self._config or change.strategies:
                self._enforce(change.config)
            if change.shocked.size:
                # Those who know the seller (aware) trust her less; nobody else has a relation
                # that remembers her (relations.py), so they meet her later at the prior.
                rel, m = self.state.rel, self.state.n_relations
                hit = np.isin(rel.seller[:m], change.shocked) & rel.aware[:m]
                trust = rel.trust[:m]
                trust[hit] *= change.trust_factor

    def _run_compiled(self, n_days: int) -> None:
        """Run ``n_days`` days in one compiled call and record them."""
        self._sync_strategies()
        st = self.state
        n_s = st.n_sellers
        flows = np.zeros((n_days, len(FLOW_KEYS), n_s))
        breakdowns = np.zeros((n_days, n_s, BREAKDOWN_WIDTH))
        stocks = np.empty((n_days, n_s, len(STOCK_COLUMNS)))
        market = np.empty((n_days, len(pipeline.MARKET_SUMS)))
        if self.fixed_plans is not None:
            for name, value in zip(self._plans._fields, self.fixed_plans):
                if name != "capacity":
                    getattr(self._plans, name)[...] = value
        self._make_room(n_days)
        before = st.n_relations
        st.rel, links = pipeline.run_days(
            st.key, st.day, n_days, self.fixed_plans is None, st.trace_cascades, self.params, st.graph, st.people,
            st.sellers, self._plans, st.rel, st.degree_order, flows, breakdowns, stocks, market, st.group_buys)
        self._rows_a_day = (st.n_relations - before) / n_days
        if links.shape[1]:
            st.cascade_log.append(links)
        st.day += n_days
        self._record(flows, breakdowns, stocks, market)

    def _make_room(self, n_days: int) -> None:
        """Grow the relation table before a compiled call of ``n_days`` days when it may not hold
        twice the relations the last call made in as many days (at least an eighth more rows).

        A table that fills up inside compiled code is grown there, with the old and the new
        table alive together (:func:`relations.reserve`); grown here, it peaks at one table and
        a column (:func:`relations.make_room`). Growing is exact: the numbers do not depend on
        when or how the table grew."""
        st = self.state
        used = st.n_relations
        extra = int(np.ceil(2.0 * self._rows_a_day * n_days))
        if extra == 0 or used + extra <= relations.capacity(st.rel):
            return
        box = [st.rel]
        st.rel = None                   # (``box`` holds the only reference: see make_room)
        st.rel = relations.make_room(box, max(extra, used // 8))

    def _sync_strategies(self, *, force: bool = False) -> None:
        """Rebuild the seller table when a named seller's strategy was replaced since the last day
        (or, with ``force``, in any case: the config in force or a member's strategy changed)."""
        if not force and all(a.strategy is b for a, b in zip(self.sellers, self._strategies)):
            return
        self._strategies = [s.strategy for s in self.sellers]
        k = len(self.sellers)
        strategies = self._strategies + self._member_strategies
        products = [s.product for s in self.sellers] + [x.product for x in self.setups[k:]]
        st = self.state
        st.sellers = seller_table(self.config, strategies, products, st.sellers.node,
                                  group_activity=st.sellers.group_activity, brand=st.sellers.brand)

    def _record(self, flows: np.ndarray, breakdowns: np.ndarray, stocks: np.ndarray, market: np.ndarray) -> None:
        """Keep the recorded days (a stack of them: day d's arrays at index d) in the arrays
        :meth:`result` reads; the running sums add day after day, as if recorded one by one."""
        st = self.state
        n_days = flows.shape[0]
        first = st.day - n_days + 1
        block = np.empty((n_days, st.n_sellers, len(DAILY_COLUMNS)))
        block[:, :, _STOCK_AT] = stocks
        block[:, :, _FLOW_AT] = flows[:, _FLOW_ROWS].transpose(0, 2, 1)
        self._days.extend(range(first, st.day + 1))
        self._daily.extend(block[:, :len(self.sellers)].copy())
        self._group_days.extend(grouped(block, self._groups))
        for d in range(n_days):
            self._totals += breakdowns[d]
        self._purchases.extend(block[:, :, _PURCHASES].copy())
        for c in SUM_COLUMNS:
            j = DAILY_COLUMNS.index(c)
            # (a cumulative sum adds the days in order, as one addition a day would)
            self._sums[c] = np.cumsum(np.concatenate([self._sums[c][None], block[:, :, j]]), axis=0)[-1]
        self._last = block[-1]
        np.maximum(self._followers_max, block[:, :, _FOLLOWERS].max(axis=0), out=self._followers_max)
        n = st.n
        purchases = flows[:, FLOW_KEYS.index("purchases")].sum(axis=1)
        for d in range(n_days):
            self._market.append((first + d, float(market[d, 0] / n), float(market[d, 1] / n), int(market[d, 2]),
                                 float(purchases[d])))

    def daily_row(self, s: int) -> dict:
        """Seller ``s``'s row of the last recorded day as a dict ({} before the first day)."""
        if not self._daily:
            return {}
        row = {"day": self._days[-1], "seller": self.sellers[s].name}
        for c, v in zip(DAILY_COLUMNS, self._daily[-1][s]):
            row[c] = int(v) if c in COUNT_COLUMNS else float(v)
        return row

    def run(self, days: int | None = None, *, progress: bool = False) -> ViralModel:
        """Run ``days`` days (default: the config's horizon minus days already run).

        With ``collect`` off (batch runs) the days go in compiled batches of up to
        :data:`BATCH_DAYS`: the same numbers as day-by-day steps, without Python between
        days. With ``collect`` on, Mesa's DataCollector needs each day: one step a day."""
        if self.collect:
            return run_days(self, days, progress=progress)
        days = self.config.days - self.day if days is None else days
        bar = None
        if progress:
            from tqdm import tqdm  # (lazy: only interactive runs show a bar)
            bar = tqdm(total=days, desc=self.config.name, unit="day", leave=False)
        done = 0
        while done < days:
            k = min(BATCH_DAYS, days - done)
            self._advance(k)
            self.steps += k             # (Mesa counts the steps it wraps; a batch counts its own)
            done += k
            if bar is not None:
                bar.update(k)
        if bar is not None:
            bar.close()
        return self

    def result(self) -> RunResult:
        """Time series, summary and cascades of the days run so far."""
        all_names = [x.name for x in self.setups]
        names = np.array(all_names[:len(self.sellers)], dtype=object)
        daily, market = self._frames(names)
        sizes = cascade_sizes(self.state, all_names)
        starts = np.cumsum([0] + [w for _, w in BREAKDOWNS])
        totals = [{k: self._totals[s, starts[j]:starts[j + 1]] for j, k in enumerate(_BREAKDOWNS)}
                  for s in range(len(all_names))]
        n_days = len(self._days)
        series = SellerSeries(
            days=np.array(self._days, dtype=np.int64),
            purchases=np.stack(self._purchases) if n_days else np.zeros((0, len(all_names))),
            sums=self._sums, last={c: self._last[:, DAILY_COLUMNS.index(c)] for c in LAST_COLUMNS},
            followers_max=self._followers_max)
        summary = summarize_series(all_names, [x.preset for x in self.setups], series, totals, sizes) if n_days \
            else summarize(daily, sizes, {}, {})
        if self.state.cascade_log:
            log = np.concatenate(self.state.cascade_log, axis=1)
            cascades = pd.DataFrame({"seller": np.array(all_names, dtype=object)[log[0]], "parent": log[1],
                                     "child": log[2], "day": log[3]})
        else:
            cascades = pd.DataFrame({"seller": pd.Series(dtype=object), "parent": pd.Series(dtype=np.int64),
                                     "child": pd.Series(dtype=np.int64), "day": pd.Series(dtype=np.int64)})
        groups = group_frame(self._days, self._group_days, self._groups.labels, self._groups.sizes)
        return RunResult(self.run_config, daily, market, summary, cascades, sizes, groups)

    def _frames(self, names: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The recorded days as the ``daily`` and ``market`` frames of a RunResult."""
        if not self._daily:
            return (pd.DataFrame([], columns=["day", "seller", *DAILY_COLUMNS]),
                    pd.DataFrame([], columns=["day", *MARKET_COLUMNS]))
        block = np.stack(self._daily)                     # (days, S, columns)
        n_days, n_s = block.shape[:2]
        data = {"day": np.repeat(np.array(self._days, dtype=np.int64), n_s), "seller": np.tile(names, n_days)}
        for j, c in enumerate(DAILY_COLUMNS):
            data[c] = block[:, :, j].ravel().astype(np.int64 if c in COUNT_COLUMNS else np.float64)
        market = pd.DataFrame(self._market, columns=["day", *MARKET_COLUMNS])
        return pd.DataFrame(data), market

    def consumers(self, seller: int | str = 0) -> pd.DataFrame:
        """Per-consumer view toward one seller (a copy): tie, trust, annoyance, muted, ... ."""
        s = seller if isinstance(seller, int) else [x.name for x in self.sellers].index(seller)
        st = self.state
        ids = np.flatnonzero(st.is_consumer)
        frame = {"node": ids}
        for name in ("tie", "trust", "annoyance", "aware", "muted", "blocked", "purchases", "in_group", "reseller"):
            frame[name] = st.column(name, s)[ids]
        frame["tie"] = pd.Categorical.from_codes(frame["tie"], [relations.TIE_NAMES[i] for i in range(4)])
        frame["need"] = st.need[ids]
        frame["activity"] = st.activity[ids]
        return pd.DataFrame({k: frame[k] for k in ("node", "tie", "trust", "annoyance", "aware", "muted", "blocked",
                                                   "purchases", "need", "activity", "in_group", "reseller")})



def simulate(config: RunConfig, *, progress: bool = False, topology: Topology | None = None) -> RunResult:
    """Run one configuration to its horizon with the engine it names and return its RunResult."""
    if config.engine == "reference":
        from viralsim.model.reference import ReferenceModel

        return ReferenceModel(config, topology=topology).run(progress=progress).result()
    return ViralModel(config, topology=topology, collect=False).run(progress=progress).result()
