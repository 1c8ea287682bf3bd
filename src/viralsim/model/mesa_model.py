"""Mesa shell: ViralModel (a mesa.Model) and Seller agents around the array engine.

Mesa owns the seeded generator (``model.rng``), the step counter and the DataCollector; the
consumer population lives in NumPy columns (``model.state``) and is advanced by
:func:`viralsim.model.engine.step`. Per-consumer views are available for inspection and the
teaching app via :meth:`ViralModel.consumers`.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from viralsim._rng import streams
from viralsim.config.presets import resolve_strategy
from viralsim.config.schema import RunConfig, SellerSpec
from viralsim.metrics import DAILY_COLUMNS, MARKET_COLUMNS, RunResult, cascade_sizes, seller_stocks, summarize
from viralsim.model import engine
from viralsim.model.plan import DayPlan, plan_day
from viralsim.model.state import TIE_NAMES
from viralsim.network import Topology
from viralsim.network.build import build_network

_BREAKDOWNS = ("channels", "exposures_by_tie", "seller_conversions_by_tie", "wom_sent_by_tie",
               "wom_conversions_by_tie")


def run_days(model, days: int | None, *, progress: bool = False):
    """Step ``model`` for ``days`` days (default: the rest of its config's horizon); shared by both engines."""
    days = model.config.days - model.day if days is None else days
    it = range(days)
    if progress:
        from tqdm import tqdm
        it = tqdm(it, desc=model.config.name, unit="day", leave=False)
    for _ in it:
        model.step()
    return model


class Seller(mesa.Agent):
    """A 微商: a person in the graph who sells one product with one strategy.

    The strategy can be replaced between steps (``seller.strategy = ...``) for what-if and
    teaching use; the change takes effect on the next day.
    """

    def __init__(self, model: "ViralModel", name: str, spec: SellerSpec, index: int, node: int):
        super().__init__(model)
        self.name = name
        self.spec = spec
        self.strategy = resolve_strategy(spec)
        self.product = spec.product
        self.index = index
        self.node = node
        self.plan: DayPlan | None = None
        self.today: dict = {}

    def step(self) -> None:
        """Decide today's actions from the strategy (integer counts drawn from the model's rng)."""
        cfg = self.model.config
        self.plan = plan_day(self.index, self.strategy, self.product, cfg.feed, cfg.platform, rng=self.model.rng)


class ViralModel(mesa.Model):
    """One market: a friendship graph, its consumers and one or more sellers.

    Parameters
    ----------
    config : RunConfig
        Validated configuration; ``config.seed`` seeds everything (graph, placement, dynamics).
    topology : Topology, optional
        Use this graph instead of building ``config.network`` (e.g. to share one graph between
        scenarios); the network stream is then unused.
    """

    def __init__(self, config: RunConfig, *, topology: Topology | None = None):
        st = streams(config.seed)
        super().__init__(rng=st.dynamics)
        self.config = config
        self.topology = topology if topology is not None else build_network(config.network, rng=st.network)
        specs = list(config.sellers.values())
        nodes = engine.place_sellers(self.topology, specs, rng=st.placement)
        self.state = engine.init_state(config, self.topology, nodes, rng=st.placement)
        self.sellers = [Seller(self, name, spec, i, int(node))
                        for i, ((name, spec), node) in enumerate(zip(config.sellers.items(), nodes))]
        self._rows: list[dict] = []
        self._market: list[dict] = []
        self._totals = {s.name: {k: 0.0 for k in _BREAKDOWNS} for s in self.sellers}
        self.datacollector = mesa.DataCollector(
            model_reporters={k: (lambda m, k=k: m._market[-1][k] if m._market else np.nan) for k in MARKET_COLUMNS},
            agent_reporters={k: (lambda a, k=k: a.today.get(k, np.nan))
                             for k in ("purchases", "customers", "mean_trust", "mean_annoyance", "muted", "blocked",
                                       "followers", "revenue")},
        )

    @property
    def day(self) -> int:
        """Days simulated so far."""
        return self.state.day

    def step(self) -> None:
        """One day: sellers plan, the engine applies all rules, metrics are recorded."""
        for seller in self.sellers:
            seller.step()
        flows = engine.step(self.state, [s.plan for s in self.sellers], self.config, rng=self.rng)
        self._record(flows)
        self.datacollector.collect(self)

    def _record(self, flows: dict) -> None:
        st = self.state
        for s in self.sellers:
            row = {"day": st.day, "seller": s.name}
            row.update(seller_stocks(st, s.index, self.config.purchase.interest_threshold))
            for k in engine.FLOW_KEYS:
                if k in DAILY_COLUMNS:
                    row[k] = float(flows[k][s.index])
            self._rows.append(row)
            s.today = row
            for k in _BREAKDOWNS:
                self._totals[s.name][k] = self._totals[s.name][k] + flows[k][s.index]
        # Seller nodes hold activity 0 and never receive commercial posts, so plain sums suffice.
        n_consumers = st.n - st.n_sellers
        self._market.append({
            "day": st.day,
            "platform_activity": float(st.activity.sum() / n_consumers),
            "commercial_share": float(st.commercial_share.sum() / n_consumers),
            "with_need": int(np.count_nonzero(st.need)),
            "purchases": float(flows["purchases"].sum()),
        })

    def run(self, days: int | None = None, *, progress: bool = False) -> "ViralModel":
        """Step ``days`` days (default: the config's horizon minus days already run)."""
        return run_days(self, days, progress=progress)

    def result(self) -> RunResult:
        """Time series, summary and cascades of the days run so far."""
        daily = pd.DataFrame(self._rows, columns=["day", "seller", *DAILY_COLUMNS])
        market = pd.DataFrame(self._market, columns=["day", *MARKET_COLUMNS])
        sizes = cascade_sizes(self.state, [s.name for s in self.sellers])
        strategies = {s.name: s.spec.strategy for s in self.sellers}
        summary = summarize(daily, sizes, self._totals, strategies)
        names = np.array([s.name for s in self.sellers], dtype=object)
        if self.state.cascade_log:
            log = np.concatenate(self.state.cascade_log, axis=1)
            cascades = pd.DataFrame({"seller": names[log[0]], "parent": log[1], "child": log[2], "day": log[3]})
        else:
            cascades = pd.DataFrame({"seller": pd.Series(dtype=object), "parent": pd.Series(dtype=np.int64),
                                     "child": pd.Series(dtype=np.int64), "day": pd.Series(dtype=np.int64)})
        return RunResult(self.config, daily, market, summary, cascades, sizes)

    def consumers(self, seller: int | str = 0) -> pd.DataFrame:
        """Per-consumer view toward one seller (a copy): tie, trust, annoyance, muted, ... ."""
        s = seller if isinstance(seller, int) else [x.name for x in self.sellers].index(seller)
        st = self.state
        ids = np.flatnonzero(st.is_consumer)
        return pd.DataFrame({
            "node": ids,
            "tie": pd.Categorical.from_codes(st.tie[s, ids], [TIE_NAMES[i] for i in range(4)]),
            "trust": st.trust[s, ids], "annoyance": st.annoyance[s, ids],
            "aware": st.aware[s, ids], "muted": st.muted[s, ids], "blocked": st.blocked[s, ids],
            "purchases": st.purchases[s, ids], "need": st.need[ids], "activity": st.activity[ids],
            "in_group": st.in_group[s, ids], "reseller": st.reseller[s, ids],
        })


def simulate(config: RunConfig, *, progress: bool = False, topology: Topology | None = None) -> RunResult:
    """Run one configuration to its horizon with the engine it names and return its RunResult."""
    if config.engine == "reference":
        from viralsim.model.reference import ReferenceModel

        return ReferenceModel(config, topology=topology).run(progress=progress).result()
    return ViralModel(config, topology=topology).run(progress=progress).result()
