"""The model behind the web app: a ViralModel built from a config plus the app's levers.

This module needs no web stack (no Solara, no Mesa visualization), so the levers and the model
can be used and tested from plain Python. The page (:mod:`viralsim.app.page`) only draws them.

Levers and when they act
------------------------
*Per seller, from the next day* (the running model is changed between two steps): strategy
preset, posts per day, ad share of the posts, product quality.
*On Reset* (the market is rebuilt from the config with the levers applied): trust half-life,
platform moderation, network size, run number (seed). Reset also re-applies the per-seller
levers, so a reset market starts with everything the page shows.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from viralsim.config.load import ConfigError, load_config
from viralsim.config.presets import preset_names
from viralsim.config.registry import UiRange, ui_range
from viralsim.config.schema import ContentMix, Product, RunConfig, SellerSpec, Strategy, TrustParams, param_of
from viralsim.model import ViralModel
from viralsim.model.outputs import STOCK, STOCK_COLUMNS
from viralsim.model.relations import NO_TIE, STRANGER, STRONG, WEAK
from viralsim.model.stocks import stock_table

__all__ = [
    "AppModel",
    "Levers",
    "SellerLevers",
    "DEFAULT_APP_CONFIG",
    "MAX_NETWORK_SIZE",
    "START_NETWORK_SIZE",
    "app_config",
    "describe_market",
    "preset_defaults",
    "apply_levers",
    "default_levers",
    "rescale_content",
    "seller_spec",
    "Slider",
    "sliders",
    "SERIES_COLUMNS",
]

#: a person's tie to a seller, in words (the person panel)
TIE_WORDS = {NO_TIE: "not her contact", STRANGER: "a stranger she added", WEAK: "an acquaintance",
             STRONG: "a close friend"}

#: columns of :meth:`AppModel.series` after ``day`` and ``seller`` (and of the CSV export)
SERIES_COLUMNS = ("purchases", "customers", "mean_trust", "mean_annoyance", "muted", "blocked", "followers",
                  "revenue")

#: largest network the app draws: the network-size slider stops here even where the
#: parameter's own range goes further
MAX_NETWORK_SIZE = 1000
#: size the app starts with when the config's network is larger than MAX_NETWORK_SIZE
START_NETWORK_SIZE = 300

#: the market ``viralsim app`` shows without a CONFIG: a spam seller and a community seller
#: in one friend-circle network of 300 people (small enough to draw every person)
DEFAULT_APP_CONFIG: dict[str, Any] = {
    "name": "classroom",
    "seed": 1,
    "days": 365,
    "network": {"kind": "friend_circles", "n": 300},
    "sellers": {
        "spam": {"strategy": "spam"},
        "community": {"strategy": "community"},
    },
}


@dataclass(frozen=True)
class Slider:
    """A lever's slider, read from the parameter registry: label, unit and range."""

    label: str
    unit: str
    low: float
    high: float
    step: float

    @classmethod
    def of(cls, model: type, name: str, *, step: float = 1.0) -> Slider:
        """The slider of field ``name`` of schema class ``model`` (``step`` where the registry
        gives none)."""
        meta = param_of(model, name)
        rng: UiRange = ui_range(model, name)
        return cls(meta.label, meta.unit, rng.low, rng.high, rng.step if rng.step is not None else step)

    def value_text(self, value: float) -> str:
        """``value`` with the registry's unit, as a slider shows it: "120 posts/day", "85 %"
        (shares and probabilities in per cent), "60 days", "300 people"."""
        if self.unit in ("share", "prob"):
            return f"{100 * value:.0f} %"
        unit = "" if self.unit in ("", "—") else f" {self.unit}"
        return f"{value:,.4g}{unit}"

    def text(self, value: float) -> str:
        """Label and value: "Posts per day: 120 posts/day"."""
        return f"{self.label}: {self.value_text(value)}"


def sliders(config: RunConfig) -> dict[str, Slider]:
    """The sliders of the app's levers for ``config``: the market levers ``trust_half_life`` and
    ``network_size`` (None when the network kind has no size setting) and the seller levers
    ``posts_per_day``, ``ad_share`` and ``quality``."""
    out = {
        "trust_half_life": Slider.of(TrustParams, "half_life"),
        "posts_per_day": Slider.of(Strategy, "posts_per_day"),
        "ad_share": Slider.of(ContentMix, "ad"),
        "quality": Slider.of(Product, "quality"),
    }
    kind = type(config.network)
    if "n" in kind.model_fields:
        size = Slider.of(kind, "n")
        out["network_size"] = replace(size, high=min(size.high, MAX_NETWORK_SIZE))
    return out


def app_config(path: str | Path | None = None, overrides: tuple[str, ...] = ()) -> RunConfig:
    """The app's base configuration: ``path`` loaded like ``viralsim run`` does, or the default.

    Raises :class:`viralsim.config.load.ConfigError` for a bad file or override.
    """
    if path is None:
        config = RunConfig.model_validate(DEFAULT_APP_CONFIG)
        if overrides:
            # Route overrides through the loader so they get its checks and messages.
            with tempfile.TemporaryDirectory() as tmp:
                file = Path(tmp) / "classroom.yaml"
                file.write_text(yaml.safe_dump(DEFAULT_APP_CONFIG), encoding="utf-8")
                try:
                    config = load_config(file, overrides=list(overrides))
                except ConfigError as exc:
                    raise ConfigError(str(exc).replace(str(file), "the built-in classroom market")) from None
        return config
    return load_config(path, overrides=list(overrides))


@dataclass(frozen=True)
class SellerLevers:
    """The levers of one seller: what she posts and what she sells.

    Attributes
    ----------
    preset : name of a strategy preset (``viralsim presets``)
    posts_per_day : Moments posts per day (replaces the preset's)
    ad_share : share of those posts that are hard ads; the other content types keep their
        preset proportions (see :func:`rescale_content`)
    quality : probability that a purchase satisfies (``product.quality``)
    """

    preset: str
    posts_per_day: float
    ad_share: float
    quality: float


@dataclass(frozen=True)
class Levers:
    """Everything the app's control panel sets.

    Attributes
    ----------
    focus : the seller whose contacts the network drawing colours, and whose levers the panel shows
    sellers : per-seller levers, by seller name (every seller of the config)
    trust_half_life : days for trust to relax half-way back to its baseline (``trust.half_life``)
    moderation : platform harassment prompt on (``platform.moderation = harassment_prompt``)
    network_size : people in the network (``network.n``); None for networks without a size
        setting (``sbm``, ``edgelist``), which keep the config's graph
    seed : the market's random seed (graph, placement and dynamics)
    """

    focus: str
    sellers: Mapping[str, SellerLevers]
    trust_half_life: float
    moderation: bool
    network_size: int | None
    seed: int
    #: the config's network size when it was larger than the app draws (for a note on the page)
    scaled_from: int | None = field(default=None, compare=False)

    def seller(self, name: str | None = None) -> SellerLevers:
        """Levers of seller ``name`` (default: the focus seller)."""
        return self.sellers[name or self.focus]

    def with_seller(self, name: str, **changes: Any) -> Levers:
        """A copy with some levers of seller ``name`` changed."""
        sellers = dict(self.sellers)
        sellers[name] = replace(sellers[name], **changes)
        return replace(self, sellers=sellers)


def default_levers(config: RunConfig, focus: str | None = None) -> Levers:
    """The levers that reproduce ``config`` (network size capped at :data:`MAX_NETWORK_SIZE`).

    Parameters
    ----------
    config : RunConfig
        The base configuration.
    focus : str, optional
        Seller shown first; default: the first seller of the config.
    """
    sellers = {}
    for name, spec in config.sellers.items():
        strategy = spec.resolved
        sellers[name] = SellerLevers(
            preset=spec.strategy,
            posts_per_day=float(strategy.posts_per_day),
            ad_share=float(strategy.content.ad),
            quality=float(spec.product.quality),
        )
    n = getattr(config.network, "n", None)
    scaled_from = None
    if n is not None and n > MAX_NETWORK_SIZE:
        scaled_from, n = n, START_NETWORK_SIZE
    return Levers(
        focus=focus if focus is not None else next(iter(config.sellers)),
        sellers=sellers,
        trust_half_life=float(config.trust.half_life),
        moderation=config.platform.moderation != "none",
        network_size=n,
        seed=config.seed,
        scaled_from=scaled_from,
    )


def rescale_content(content: ContentMix, ad_share: float) -> ContentMix:
    """The content mix with the ad share set to ``ad_share``.

    The other types (value, life, prize) share the rest in their original proportions; if the
    mix had nothing but ads, the rest becomes personal-life posts.
    """
    ad = min(max(float(ad_share), 0.0), 1.0)
    if abs(ad - content.ad) < 1e-12:
        return content
    rest = {"value": content.value, "life": content.life, "prize": content.prize}
    total = sum(rest.values())
    if total <= 0.0:
        shares = {"value": 0.0, "life": 1.0 - ad, "prize": 0.0}
    else:
        shares = {k: v * (1.0 - ad) / total for k, v in rest.items()}
    # Put the rounding residue on the largest share so the mix sums to 1 exactly enough.
    largest = max(shares, key=shares.get)
    shares[largest] = max(0.0, 1.0 - ad - sum(v for k, v in shares.items() if k != largest))
    return ContentMix(ad=ad, **shares)


def seller_spec(spec: SellerSpec, levers: SellerLevers) -> SellerSpec:
    """The seller spec with her levers applied (preset, posts per day, ad share, quality)."""
    if levers.preset not in preset_names():
        raise ValueError(f"unknown strategy preset {levers.preset!r}; allowed: {', '.join(preset_names())}")
    under_preset = spec.model_copy(update={"strategy": levers.preset})
    base_content = under_preset.resolved.content
    return spec.model_copy(update={
        "strategy": levers.preset,
        "posts_per_day": float(levers.posts_per_day),
        "content": rescale_content(base_content, levers.ad_share),
        "product": spec.product.model_copy(update={"quality": float(levers.quality)}),
    })


def apply_levers(config: RunConfig, levers: Levers) -> RunConfig:
    """``config`` with every lever applied, validated like a config file."""
    data = config.model_dump()
    data["seed"] = int(levers.seed)
    data["trust"]["half_life"] = float(levers.trust_half_life)
    data["platform"]["moderation"] = "harassment_prompt" if levers.moderation else "none"
    if levers.network_size is not None and "n" in data["network"]:
        data["network"]["n"] = int(levers.network_size)
    data["sellers"] = {
        name: seller_spec(spec, levers.sellers[name]).model_dump() if name in levers.sellers else spec.model_dump()
        for name, spec in config.sellers.items()
    }
    return RunConfig.model_validate(data)


def _current(levers: Any) -> Levers | None:
    """Levers from a plain value or from a holder with ``.value`` (the page's reactive variable)."""
    if levers is None or isinstance(levers, Levers):
        return levers
    value = getattr(levers, "value", None)
    if isinstance(value, Levers):
        return value
    raise TypeError(f"levers must be Levers or hold Levers in .value, got {type(levers).__name__}")


class AppModel(ViralModel):
    """A :class:`~viralsim.model.ViralModel` built from a base config and the app's levers.

    The page rebuilds the model on Reset as ``AppModel(config, levers, **market levers)``, so a
    reset market gets the seller levers the panel shows at that moment.

    Parameters
    ----------
    config : RunConfig, optional
        Base configuration (default :data:`DEFAULT_APP_CONFIG`).
    levers : Levers or an object whose ``.value`` is Levers, optional
        Default: :func:`default_levers` of ``config``.
    trust_half_life, moderation, network_size : optional
        Market levers; when given they replace the ones in ``levers`` (the page's "Market"
        card passes them on Reset). ``network_size`` is ignored for
        networks without a size setting.
    run : int, optional
        Run number: the seed becomes the config's seed plus ``run`` (another market drawn from
        the same config: another graph, placement and history).

    Attributes
    ----------
    base_config : the config before levers
    levers : the levers the model was built with, updated by :meth:`set_seller_levers`
    focus : index of the focus seller
    """

    def __init__(
        self,
        config: RunConfig | None = None,
        levers: Any = None,
        *,
        trust_half_life: float | None = None,
        moderation: bool | None = None,
        network_size: int | None = None,
        run: int | None = None,
    ):
        base = config if config is not None else app_config()
        lv = _current(levers) or default_levers(base)
        market = {}
        if trust_half_life is not None:
            market["trust_half_life"] = float(trust_half_life)
        if moderation is not None:
            market["moderation"] = bool(moderation)
        if network_size is not None and lv.network_size is not None:
            market["network_size"] = int(network_size)
        if run is not None:
            market["seed"] = int(base.seed) + int(run)
        lv = replace(lv, **market)
        super().__init__(apply_levers(base, lv))
        self.base_config = base
        self.levers = lv
        self.focus = self.seller_index(lv.focus)
        # The page's own record, day 0 included: one row per day of every named seller's
        # numbers (for the status line, the charts and the CSV) and every person's trust in,
        # and annoyance at, each named seller (for the person panel). Day 0 is read off the
        # starting relations the way the engine reads a day's stocks, so the page shows the
        # numbers behind the day-0 picture instead of "n/a".
        self._rows: list[np.ndarray] = []
        self._trust: list[np.ndarray] = []
        self._annoyance: list[np.ndarray] = []
        self._remember(self._day0_rows())

    # --- sellers -------------------------------------------------------------------------------

    @property
    def seller_names(self) -> list[str]:
        return [s.name for s in self.sellers]

    def seller_index(self, name: str) -> int:
        try:
            return self.seller_names.index(name)
        except ValueError:
            raise ValueError(f"no seller {name!r}; sellers: {', '.join(self.seller_names)}") from None

    def set_focus(self, name: str) -> None:
        """Show seller ``name`` in the network drawing."""
        self.focus = self.seller_index(name)
        self.levers = replace(self.levers, focus=name)

    def set_seller_levers(self, name: str, levers: SellerLevers) -> None:
        """Change a seller's strategy and product quality from the next day on."""
        seller = self.sellers[self.seller_index(name)]
        spec = seller_spec(self.config.sellers[name], levers)
        seller.spec = spec
        seller.strategy = spec.resolved
        seller.product = spec.product
        self.levers = self.levers.with_seller(name, **vars(levers))

    # --- days ----------------------------------------------------------------------------------

    def step(self) -> None:
        """One day, then the page's record of it (see ``__init__``)."""
        super().step()
        rows = np.array([[seller.today.get(c, np.nan) for c in SERIES_COLUMNS] for seller in self.sellers],
                        dtype=float)
        self._remember(rows)

    def run_to(self, day: int, *, on_day: Callable[[AppModel], bool] | None = None) -> int:
        """Step until ``day`` (no further than the config's horizon, ``config.days``).

        ``on_day(model)`` is called after every day; returning False stops early (the page's
        Pause button). Returns the number of days run.
        """
        target = min(int(day), int(self.config.days))
        done = 0
        while self.day < target:
            self.step()
            done += 1
            if on_day is not None and on_day(self) is False:
                break
        return done

    def _day0_rows(self) -> np.ndarray:
        """Every named seller's numbers before the first day (no sales yet)."""
        st = self.state
        stocks = np.full((st.n_sellers, len(STOCK_COLUMNS)), np.nan)
        # (the threshold only sets the "interested" count, which the page does not show)
        stock_table(st.rel, st.n_sellers, 0.0, st.sellers.brand, stocks)
        rows = np.zeros((len(self.sellers), len(SERIES_COLUMNS)))
        for j, c in enumerate(SERIES_COLUMNS):
            if c in STOCK_COLUMNS:
                rows[:, j] = stocks[:len(self.sellers), getattr(STOCK, c)]
        return rows

    def _remember(self, rows: np.ndarray) -> None:
        st = self.state
        self._rows.append(rows)
        self._trust.append(np.stack([st.column("trust", s) for s in range(len(self.sellers))]).astype(np.float32))
        self._annoyance.append(
            np.stack([st.column("annoyance", s) for s in range(len(self.sellers))]).astype(np.float32))

    # --- views for the page --------------------------------------------------------------------

    def series(self) -> pd.DataFrame:
        """Daily rows so far, day 0 included, one per (day, seller).

        Returns a DataFrame with columns ``day, seller`` and :data:`SERIES_COLUMNS` (day 0: the
        starting contacts, trust and annoyance, no sales).
        """
        rows = np.stack(self._rows)                      # (days + 1, sellers, columns)
        n_days, n_sellers, _ = rows.shape
        df = pd.DataFrame(rows.reshape(n_days * n_sellers, -1), columns=list(SERIES_COLUMNS))
        for c in ("purchases", "customers", "muted", "blocked", "followers"):
            df[c] = df[c].round().astype(int)
        df.insert(0, "seller", self.seller_names * n_days)
        df.insert(0, "day", np.repeat(np.arange(n_days), n_sellers))
        return df

    def series_csv(self) -> bytes:
        """:meth:`series` as CSV (the page's data export)."""
        buf = io.StringIO()
        self.series().to_csv(buf, index=False)
        return buf.getvalue().encode("utf-8")

    def chart_data(self) -> dict[str, np.ndarray]:
        """The charts' numbers: ``day`` (days + 1) and, per key, a (sellers, days + 1) array:
        the series columns and ``sales_7d`` (sales per day, mean of the last 7 days)."""
        rows = np.stack(self._rows)
        out = {"day": np.arange(rows.shape[0], dtype=float)}
        for j, c in enumerate(SERIES_COLUMNS):
            out[c] = rows[:, :, j].T
        sales = out["purchases"]
        csum = np.cumsum(np.concatenate([np.zeros((sales.shape[0], 1)), sales[:, 1:]], axis=1), axis=1)
        days = np.arange(rows.shape[0])
        first = np.maximum(days - 6, 1)
        count = days - first + 1
        smooth = np.where(days >= 1, (csum[:, days] - csum[:, first - 1]) / np.maximum(count, 1), np.nan)
        out["sales_7d"] = smooth
        return out

    def person_history(self, node: int, seller: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Trust in, and annoyance at, seller ``seller`` (default: the shown one) of person
        ``node``, from day 0 to today."""
        s = self.focus if seller is None else seller
        return (np.array([day[s, node] for day in self._trust], dtype=float),
                np.array([day[s, node] for day in self._annoyance], dtype=float))

    def person(self, node: int) -> dict[str, Any]:
        """Today's facts about person ``node`` and the shown seller."""
        st = self.state
        s = self.focus
        if not 0 <= node < st.n:
            raise ValueError(f"no person {node}: people are numbered 0 to {st.n - 1}")
        tie = int(st.column("tie", s)[node])
        sellers = {int(x): name for x, name in zip(st.seller_nodes, self.seller_names)}
        return {
            "node": int(node),
            "seller_name": sellers.get(int(node)),
            "contact": tie > NO_TIE and int(node) not in sellers,
            "tie": TIE_WORDS.get(tie, "not her contact"),
            "trust": float(st.column("trust", s)[node]),
            "annoyance": float(st.column("annoyance", s)[node]),
            "muted": bool(st.column("muted", s)[node]),
            "blocked": bool(st.column("blocked", s)[node]),
            "friends": int(self.topology.degree[node]),
        }

    def status(self) -> dict[str, Any]:
        """Today's headline numbers for the focus seller (day 0: the starting contacts and trust)."""
        s = self.focus
        today = dict(zip(SERIES_COLUMNS, self._rows[-1][s]))
        sales = float(sum(day[s, 0] for day in self._rows))
        return {
            "day": self.day,
            "seller": self.sellers[s].name,
            "sales": int(round(sales)),
            "customers": int(today["customers"]),
            "muted": int(today["muted"]),
            "blocked": int(today["blocked"]),
            "followers": int(today["followers"]),
            "mean_trust": float(today["mean_trust"]),
        }


def describe_market(model: AppModel) -> str:
    """The market levers the model runs with, in words (shown under the day counter)."""
    c = model.config
    size = f"{model.state.n:,} people" if model.state is not None else ""
    moderation = "on" if c.platform.moderation != "none" else "off"
    return f"{size}, trust half-life {c.trust.half_life:g} days, moderation {moderation}, seed {c.seed}"


def preset_defaults(name: str) -> tuple[float, float]:
    """(posts per day, ad share) of preset ``name``: what the sliders jump to when it is chosen."""
    strategy = Strategy.from_preset(name)
    return float(strategy.posts_per_day), float(strategy.content.ad)
