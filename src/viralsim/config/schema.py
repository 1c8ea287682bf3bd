"""Validated configuration of one viralsim run, and the registry of its parameters.

Every parameter of the model is declared here once: its type, default and validation bounds
(pydantic), and, as a :class:`Param` in the field's ``Annotated`` metadata, what it means for
people: a short label, the unit, the meaning, the source, and the sensible range for sliders
and sweeps. :mod:`viralsim.config.registry` walks these declarations; the parameter tables of
``docs/model.md`` (ODD protocol, section "Details / Parameters"), ``viralsim params``, the web
app's sliders and the network generators' defaults are read from them. The models are frozen and
reject unknown keys, so a typo in a YAML file is an error that names the dotted path of the bad
field, never a silently ignored setting.

Every number is finite and bounded. Bounds are pydantic ``Field(ge=.., le=..)`` metadata (read
them off ``model_fields``), chosen generous for real use but so that the products the model
forms (rates x population x days, prices x purchases, per-post weights x posts seen) stay far
from float overflow. Types are strict: ``true`` is not a number, ``1`` is not a boolean, ``3.0``
and ``"3"`` are not whole numbers (a whole number is accepted where a real number is expected).
Settings that only make sense together (a lattice degree and the population, block sizes and
link probabilities) are checked together, with the message on the field to change.

A seller's strategy (her preset with the spec's overrides on top) is resolved once, when the
:class:`RunConfig` holding her is validated, and read with :attr:`SellerSpec.resolved`.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from viralsim.config.messages import PlacedError, describe_error, did_you_mean, not_one_of, show_value
from viralsim.config.presets import PresetError, preset_data, preset_names


@dataclass(frozen=True)
class Param:
    """What a parameter is, for people: the registry entry carried by every schema field.

    Attributes
    ----------
    label : short name for a user interface ("Trust half-life")
    unit : unit of the value ("days", "posts/day", "yuan", "prob", "share", "—" for none)
    meaning : what the parameter does, in one phrase (the "Meaning" column of docs/model.md)
    source : where the value or the mechanism comes from ("seed 003 L79; value by judgement")
    ui : the sensible range ``(low, high)`` or ``(low, high, step)`` for sliders and sweeps,
        where it is narrower than the validation bounds (which are generous on purpose)
    allowed : constraints beyond the field's own bounds, in words ("≤ n − 1")
    """

    label: str
    unit: str
    meaning: str
    source: str = "—"
    ui: tuple[float, float] | tuple[float, float, float] | None = None
    allowed: str | None = None


def param_of(model: type[BaseModel], name: str) -> Param:
    """The :class:`Param` of field ``name`` of ``model`` (KeyError naming the field without one)."""
    info = model.model_fields[name]
    found = [m for m in info.metadata if isinstance(m, Param)] + _params_in(info.annotation)
    if not found:
        raise KeyError(f"{model.__name__}.{name} carries no Param")
    return found[0]


def _params_in(annotation: Any) -> list[Param]:
    # Optional fields (the seller's strategy overrides) keep their Param inside ``X | None``.
    out: list[Param] = []
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is Annotated:
            out += [m for m in arg.__metadata__ if isinstance(m, Param)]
    return out


def default_of(model: type[BaseModel], name: str) -> Any:
    """The schema default of field ``name`` of ``model``, for code that must use the same value."""
    return model.model_fields[name].get_default(call_default_factory=True)


Prob = Annotated[float, Field(ge=0.0, le=1.0)]
#: half-lives and mean durations in days: the model steps one day, so a hundredth of a day
#: already decays to 2^-100 within a step (anything shorter behaves the same); 10^6 days (2,700
#: years) is "never" for any horizon
HalfLife = Annotated[float, Field(ge=0.01, le=1e6)]
#: money per unit or action, in yuan: from one fen up to ten million; revenue and cost sums
#: (price x purchases over n people and 10^5 days) stay below 10^20
Price = Annotated[float, Field(ge=0.01, le=1e7)]
Money = Annotated[float, Field(ge=0.0, le=1e7)]
#: per-post and per-message annoyance weights; the mute and block thresholds are hundreds, so
#: one post worth a thousand is already an instant block
Weight = Annotated[float, Field(ge=0.0, le=1000.0)]
#: posts per day (seller, reseller, group, friend): the feed multiplies them by the degree (up to
#: the population) and annoyance weights
PostsPerDay = Annotated[float, Field(ge=0.0, le=1000.0)]
#: annoyance scales (mute and block thresholds, half-effect): the hazards raise them to the power
#: steepness <= 20, which stays finite for scales in [0.01, 10^6]
AnnoyanceScale = Annotated[float, Field(ge=0.01, le=1e6)]

#: most population of the generated networks (the generators keep node ids in int32)
MAX_PEOPLE = 50_000_000
#: longest horizon of a run, in days
MAX_DAYS = 100_000
#: the deepest reseller level told apart (levels are kept in one byte; deeper ones count as this)
MAX_RESELLER_LEVEL = 127
#: largest seed a run accepts (and an experiment's root seed: the largest signed 64-bit integer)
MAX_SEED = 2**63 - 1
#: most friendships a generated network may have: a billion edges need tens of GB to build
#: (about 70 bytes per edge at peak), so anything larger cannot be built on the machines this
#: runs on; it also keeps n x degree products far from integer overflow
MAX_EDGES = 1_000_000_000
#: smallest non-zero link probability of a stochastic block model: smaller ones cannot be drawn
#: by geometric skipping in 64-bit positions, and over the largest allowed network
#: (5 x 10^7 people, about 10^15 pairs) they give no link at all on average
MIN_SBM_PROB = 1e-15
#: default share of strong ties among friendships: seed 000 L209, "微信联系人中大约70%是家人、
#: 朋友等熟人群体" (about 70 % of WeChat contacts are family, friends and other acquaintances)
STRONG_SHARE = 0.7


class Frozen(BaseModel):
    # strict: booleans are not numbers, numbers are not booleans, 3.0 and "3" are not whole
    # numbers; a whole number is still a valid real number. allow_inf_nan: every number finite.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _known(info: ValidationInfo, *names: str) -> bool:
    """True when the fields a cross-check needs passed their own validation."""
    return all(name in info.data for name in names)


# ---------------------------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------------------------

#: the ``kind`` tag of every network model (the registry lists it once, as ``network.kind``)
_KIND = Param(label="Network kind", unit="—", meaning="which generator builds the friendship graph", source="§3.2")
#: population of the generated networks
_PEOPLE = Param(label="Network size", unit="people", meaning="population", ui=(50, 10_000, 50))
_STRONG_SHARE = Param(label="Strong-tie share", unit="share", meaning="share of friendships that are strong ties",
                      source="seed 000 L209 (about 70 % of WeChat contacts are family and friends)")


class FriendCirclesNet(Frozen):
    """Overlapping friend circles (family, classmates, colleagues, interest groups)."""

    kind: Annotated[Literal["friend_circles"], _KIND] = "friend_circles"
    n: Annotated[int, Field(ge=10, le=MAX_PEOPLE), _PEOPLE] = 2000
    #: the generator's limit is 1000; fewer than n - 1 (there is nobody else to know), and
    #: n x weak ties / 2 at most MAX_EDGES
    weak_ties_per_person: Annotated[float, Field(ge=0.0, le=1000.0), Param(
        label="Weak ties per person", unit="ties", meaning="mean weak ties (acquaintances) per person",
        source="tuned to a 0.70 strong share (seed 000 L209)", ui=(0, 30, 1),
        allowed="≤ n − 1, n × ties / 2 ≤ 10^9")] = 6.0

    @field_validator("weak_ties_per_person")
    @classmethod
    def _weak_ties_fit(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "n"):
            n = info.data["n"]
            if value > n - 1:
                raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n}: nobody has more acquaintances "
                                 "than there are other people)")
            if n * value / 2 > MAX_EDGES:
                raise ValueError(f"must be <= {2 * MAX_EDGES / n:g} with network.n = {n} "
                                 f"(n x weak ties / 2 would exceed {MAX_EDGES:,} friendships)")
        return value


class WattsStrogatzNet(Frozen):
    """Small-world ring lattice with random rewiring (Watts & Strogatz 1998)."""

    kind: Annotated[Literal["watts_strogatz"], _KIND]
    n: Annotated[int, Field(ge=10, le=MAX_PEOPLE), _PEOPLE] = 2000
    #: even, at most n - 1 (the ring has n - 1 others), n x k / 2 at most MAX_EDGES
    k: Annotated[int, Field(ge=2, le=1_000_000), Param(
        label="Lattice degree", unit="friends", meaning="friends per person on the ring lattice (k/2 each side)",
        source="Watts & Strogatz 1998", ui=(2, 40, 2), allowed="even, ≤ n − 1, n k / 2 ≤ 10^9")] = 10
    p: Annotated[Prob, Param(label="Rewiring probability", unit="prob",
                             meaning="probability each lattice edge is rewired", source="Watts & Strogatz 1998")] = 0.1
    strong_share: Annotated[Prob, _STRONG_SHARE] = STRONG_SHARE

    @field_validator("k")
    @classmethod
    def _k_fits(cls, value: int, info: ValidationInfo) -> int:
        if value % 2:
            raise ValueError("must be even (k/2 neighbours on each side of the ring)")
        if _known(info, "n"):
            n = info.data["n"]
            if value > n - 1:
                raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n})")
            if n * value // 2 > MAX_EDGES:
                raise ValueError(f"must be <= {2 * MAX_EDGES // n} with network.n = {n} "
                                 f"(n x k / 2 would exceed {MAX_EDGES:,} friendships)")
        return value


def _check_m(value: int, info: ValidationInfo) -> int:
    if _known(info, "n"):
        n = info.data["n"]
        if value > n - 1:
            raise ValueError(f"must be <= n - 1 = {n - 1} (network.n = {n}: a newcomer links to existing people)")
        if n * value > MAX_EDGES:
            raise ValueError(f"must be <= {MAX_EDGES // n} with network.n = {n} "
                             f"(n x m would exceed {MAX_EDGES:,} friendships)")
    return value


def _links_per_newcomer(source: str) -> Param:
    # at most n - 1, and n x m at most MAX_EDGES (_check_m)
    return Param(label="Links per newcomer", unit="friends", meaning="links each newcomer makes", source=source,
                 ui=(1, 20, 1), allowed="≤ n − 1, n m ≤ 10^9")


class HolmeKimNet(Frozen):
    """Preferential attachment with triad formation (Holme & Kim 2002)."""

    kind: Annotated[Literal["holme_kim"], _KIND]
    n: Annotated[int, Field(ge=10, le=5_000_000), _PEOPLE] = 2000
    m: Annotated[int, Field(ge=1, le=100_000), _links_per_newcomer("Holme & Kim 2002")] = 5
    p: Annotated[Prob, Param(label="Triad formation", unit="prob", meaning="probability a link closes a triangle",
                             source="Holme & Kim 2002")] = 0.3
    strong_share: Annotated[Prob, _STRONG_SHARE] = STRONG_SHARE

    _m_fits = field_validator("m")(_check_m)


class BarabasiAlbertNet(Frozen):
    """Preferential attachment (Barabási & Albert 1999)."""

    kind: Annotated[Literal["barabasi_albert"], _KIND]
    n: Annotated[int, Field(ge=10, le=5_000_000), _PEOPLE] = 2000
    m: Annotated[int, Field(ge=1, le=100_000), _links_per_newcomer("Barabási & Albert 1999")] = 5
    strong_share: Annotated[Prob, _STRONG_SHARE] = STRONG_SHARE

    _m_fits = field_validator("m")(_check_m)


class StochasticBlockNet(Frozen):
    """Blocks of ``sizes`` people; the total is the population, in [2, MAX_PEOPLE]. Link
    probabilities are 0 or at least MIN_SBM_PROB, and the expected number of links at most
    MAX_EDGES (checked on ``p_in`` for links within blocks, on ``p_out`` for all)."""

    kind: Annotated[Literal["sbm"], _KIND]
    sizes: Annotated[
        list[Annotated[int, Field(ge=1, le=MAX_PEOPLE)]], Field(min_length=1, max_length=1_000_000),
        Param(label="Block sizes", unit="people", meaning="people in each block (community)",
              source="Holland et al. 1983", allowed="2 to 5·10^7 people in all"),
    ] = [500, 500, 500, 500]
    p_in: Annotated[Prob, Param(label="Link probability within blocks", unit="prob",
                                meaning="probability two people of the same block are friends",
                                source="Holland et al. 1983",
                                allowed="0 or ≥ 10^−15; expected links within blocks ≤ 10^9")] = 0.03
    p_out: Annotated[Prob, Param(label="Link probability between blocks", unit="prob",
                                 meaning="probability two people of different blocks are friends",
                                 source="Holland et al. 1983",
                                 allowed="0 or ≥ 10^−15; expected links in all ≤ 10^9")] = 0.001

    @field_validator("sizes")
    @classmethod
    def _total_fits(cls, value: list[int]) -> list[int]:
        total = sum(value)
        if not 2 <= total <= MAX_PEOPLE:
            raise ValueError(f"the blocks must hold 2 to {MAX_PEOPLE:,} people in all, got {total:,}")
        return value

    @field_validator("p_in", "p_out")
    @classmethod
    def _drawable(cls, value: float) -> float:
        if 0.0 < value < MIN_SBM_PROB:
            raise ValueError(f"must be 0 or >= {MIN_SBM_PROB:g} (smaller link probabilities cannot be drawn)")
        return value

    @field_validator("p_in")
    @classmethod
    def _within_fits(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "sizes"):
            pairs = _within_pairs(info.data["sizes"])
            if value * pairs > MAX_EDGES:
                raise ValueError(f"must be <= {MAX_EDGES / pairs:.3g} with these block sizes ({pairs:,} pairs "
                                 f"within blocks; at most {MAX_EDGES:,} links)")
        return value

    @field_validator("p_out")
    @classmethod
    def _between_fits(cls, value: float, info: ValidationInfo) -> float:
        if _known(info, "sizes", "p_in"):
            sizes = info.data["sizes"]
            n = sum(sizes)
            within = _within_pairs(sizes)
            between = n * (n - 1) // 2 - within
            room = MAX_EDGES - info.data["p_in"] * within
            if value * between > room:
                raise ValueError(f"must be <= {max(room, 0) / between:.3g} with these block sizes and p_in = "
                                 f"{info.data['p_in']:g} ({between:,} pairs between blocks; at most "
                                 f"{MAX_EDGES:,} links in all)")
        return value


def _within_pairs(sizes: list[int]) -> int:
    return sum(s * (s - 1) // 2 for s in sizes)


class CompleteNet(Frozen):
    """Complete graph: the mean-field limit used to dock the model with the Bass (1969) model."""

    kind: Annotated[Literal["complete"], _KIND]
    n: Annotated[int, Field(ge=2, le=MAX_PEOPLE), Param(
        label="Network size", unit="people", meaning="population; everybody knows everybody (Bass docking)",
        source="Bass 1969", ui=(50, 10_000, 50))] = 10_000


class EdgeListNet(Frozen):
    """A real network from a SNAP-style edge list; ``facebook`` names the bundled ego-Facebook file.

    A relative ``path`` is read from the working directory. The file itself (exists, readable,
    parses, has an edge) is checked when the config is loaded (``viralsim.config.load``).
    """

    kind: Annotated[Literal["edgelist"], _KIND]
    path: Annotated[str, Field(min_length=1, max_length=4096), Param(
        label="Edge-list file", unit="—", meaning="edge-list file, or `facebook` for the bundled ego-Facebook network",
        source="McAuley & Leskovec 2012",
        allowed="a readable SNAP edge list, relative to the working directory (checked when the config loads)",
    )] = "facebook"
    strength_method: Annotated[Literal["embeddedness", "random"], Param(
        label="Tie typing", unit="—",
        meaning="how ties are typed strong or weak: by embeddedness (shared friends) or at random")] = "embeddedness"
    strong_share: Annotated[Prob, _STRONG_SHARE] = STRONG_SHARE


NetworkSpec = Annotated[
    (
        FriendCirclesNet
        | WattsStrogatzNet
        | HolmeKimNet
        | BarabasiAlbertNet
        | StochasticBlockNet
        | CompleteNet
        | EdgeListNet
    ),
    Field(discriminator="kind"),
]


# ---------------------------------------------------------------------------------------------
# Consumer behaviour
# ---------------------------------------------------------------------------------------------


class FeedParams(Frozen):
    """Feed and attention (seed 003 L79: attention is a limited budget; seed 000 L461, seed 002 L349)."""

    #: (up to 10^7: docking setups read "every post", with 10^6)
    attention_per_day: Annotated[float, Field(gt=0.0, le=1e7), Param(
        label="Attention", unit="posts/day", ui=(1, 120, 0.1),
        meaning="posts a fully active consumer reads per day, summed over both slots",
        source="calibrated (§5): seed 000 L155 (2,089 of 4,219 fans opened a campaign); seed 003 L79 "
               "(attention is limited)")] = 11.8
    friend_posts_per_day: Annotated[PostsPerDay, Param(
        label="Friends' posts", unit="posts/friend/day", ui=(0, 5, 0.1),
        meaning="personal-life posts each friend adds to the feed per day", source="judgement")] = 1.0
    idle_share: Annotated[Prob, Param(
        label="Idle-slot reading share", unit="share",
        meaning="share of reading (and of friends' posts) in the idle slot (evenings, weekends)",
        source="seed 003 L79 (users peak 22–24 h)")] = 0.6
    idle_hours_share: Annotated[Prob, Param(
        label="Idle share of hours", unit="share",
        meaning="share of clock hours that are idle (outside workdays 08–18); where `mixed` posts land",
        source="seed 003 L81, L115 (27–30 % of hours busy)")] = 0.7
    activity_sensitivity: Annotated[Prob, Param(
        label="Activity sensitivity", unit="—",
        meaning="κ: drop of equilibrium platform activity per unit commercial share of the feed",
        source="seed 000 L461; seed 002 L349; value by judgement")] = 0.6
    activity_half_life: Annotated[HalfLife, Param(
        label="Activity half-life", unit="days", ui=(1, 60, 1),
        meaning="half-life of the adjustment of platform activity to the feed's commercial share",
        source="judgement")] = 7.0


class TrustParams(Frozen):
    """Trust per consumer x seller in [0, 1] (seed 000 L113, L137, L209; seed 003 L65)."""

    enabled: Annotated[bool, Param(
        label="Trust rules", unit="—",
        meaning="trust rules on; off means no relaxation, no trust events, gates = 1")] = True
    prior_strong: Annotated[Prob, Param(
        label="Trust prior, strong tie", unit="trust",
        meaning="initial trust and relaxation baseline toward a seller who is a strong friend",
        source="seed 000 L113, L209; seed 003 L19 (ordering strong > weak > stranger); values by judgement")] = 0.6
    prior_weak: Annotated[Prob, Param(
        label="Trust prior, weak tie", unit="trust", meaning="same, weak tie", source="as `trust.prior_strong`")] = 0.35
    prior_stranger: Annotated[Prob, Param(
        label="Trust prior, stranger", unit="trust", meaning="same, stranger or no tie",
        source="as `trust.prior_strong`")] = 0.2
    half_life: Annotated[HalfLife, Param(
        label="Trust half-life", unit="days", ui=(5, 180, 5),
        meaning="half-life of relaxation toward the baseline when nothing happens",
        source="Kronrod & Huber 2019 (slow vs fast); Jøsang & Ismail 2002; value by judgement")] = 60.0
    gain_value: Annotated[Prob, Param(
        label="Trust gain per value post", unit="fraction", meaning="gain toward 1 per value-content post read",
        source="seed 003 L65 (non-ad content moves attitudes)")] = 0.02
    gain_reply: Annotated[Prob, Param(
        label="Trust gain per reply", unit="fraction", meaning="gain toward 1 per answered enquiry",
        source="seed 001 L32, L41")] = 0.10
    gain_good_purchase: Annotated[Prob, Param(
        label="Trust gain per good purchase", unit="fraction", meaning="gain toward 1 after a satisfying purchase",
        source="seed 000 L137, L209")] = 0.15
    gain_recommendation: Annotated[Prob, Param(
        label="Trust transfer", unit="fraction",
        meaning="share of the gap to the recommender's trust a recommendation closes (× tie weight)",
        source="seed 002 L239 (sharers' trust endorsement); seed 003 L19")] = 0.5
    group_gain_multiplier: Annotated[float, Field(ge=1.0, le=10.0), Param(
        label="Group trust multiplier", unit="×", meaning="factor on value-content gains inside a small group",
        source="seed 002 L359–361")] = 1.5
    loss_bad_purchase: Annotated[Prob, Param(
        label="Trust loss per bad purchase", unit="fraction",
        meaning="loss toward 0 after a bad purchase (lost faster than gained)",
        source="seed 000 L137; Slovic 1993")] = 0.40
    loss_warning: Annotated[Prob, Param(
        label="Trust loss per warning", unit="fraction",
        meaning="loss per warning (negative word of mouth) from a friend, × tie weight; also the platform warning",
        source="seed 004 L119; seed 002 L345")] = 0.15
    loss_per_unwanted: Annotated[Prob, Param(
        label="Trust loss per unwanted contact", unit="fraction",
        meaning="maximal loss per unwanted contact (ad, unsolicited message) when annoyed: "
                "T (1 − l A/(A + A_half)) per contact (selling before trust backfires)",
        source="seed 001 L34; calibrated (§5)")] = 0.002
    loss_unanswered: Annotated[Prob, Param(
        label="Trust loss per unanswered enquiry", unit="fraction",
        meaning="loss for an enquiry the seller does not answer", source="seed 002 L283")] = 0.03


class AnnoyanceParams(Frozen):
    """Annoyance: a fast-decaying stock fed by commercial exposures (Kronrod & Huber 2019)."""

    enabled: Annotated[bool, Param(
        label="Annoyance rules", unit="—",
        meaning="annoyance rules on; off means no annoyance, no wear-out, no erosion")] = True
    half_life: Annotated[HalfLife, Param(
        label="Annoyance half-life", unit="days", ui=(0.5, 30, 0.5),
        meaning="half-life of annoyance (fast compared with trust)", source="Kronrod & Huber 2019")] = 3.0
    weight_ad: Annotated[Weight, Param(
        label="Annoyance per ad", unit="annoyance/post", ui=(0, 10, 0.1),
        meaning="annoyance per ad read (also resellers' ads and spillover)",
        source="seed 000 L239–241 (hard ads and promotions annoy)")] = 1.0
    weight_prize: Annotated[Weight, Param(
        label="Annoyance per prize post", unit="annoyance/post", ui=(0, 10, 0.1),
        meaning="annoyance per prize or flash-sale post read", source="seed 000 L241")] = 0.5
    weight_value: Annotated[Weight, Param(
        label="Annoyance per value post", unit="annoyance/post", ui=(0, 10, 0.05),
        meaning="annoyance per value post read (feed or group)",
        source="seed 002 L175 (selling itself is not the harm)")] = 0.05
    weight_life: Annotated[Weight, Param(
        label="Annoyance per life post", unit="annoyance/post", ui=(0, 10, 0.05),
        meaning="annoyance per personal-life post read")] = 0.0
    weight_message: Annotated[Weight, Param(
        label="Annoyance per message", unit="annoyance/message", ui=(0, 20, 0.5),
        meaning="annoyance per unsolicited direct message",
        source="seed 001 L23 (accosting is harassment); calibrated (§5.1): seed 001 L24, deleting a pushing "
               "account is the first reaction")] = 20.6
    solicited_factor: Annotated[Prob, Param(
        label="Solicited-message factor", unit="×",
        meaning="factor on the message weight when the message answers a need the consumer has",
        source="seed 001 L23, L30")] = 0.2
    low_trust_factor: Annotated[float, Field(ge=0.0, le=100.0), Param(
        label="Low-trust annoyance factor", unit="—", ui=(0, 5, 0.1),
        meaning="extra annoyance at low trust: weight × (1 + f (1 − T))", source="seed 001 L34")] = 1.0
    idle_ad_factor: Annotated[float, Field(ge=1.0, le=10.0), Param(
        label="Idle-slot ad factor", unit="×", meaning="factor on ads and prize posts read in the idle slot",
        source="seed 003 L133")] = 1.5
    #: (at least a hundredth of an exposure: below that every ad after the first is worthless)
    wearout_exposures: Annotated[float, Field(ge=0.01, le=1e6), Param(
        label="Wear-out scale", unit="exposures", ui=(1, 50, 1),
        meaning="wear-out scale E_w: the k-th recent ad persuades 1/(1 + k/E_w) as much as the first "
                "and irritates (1 + k/(k + E_w)) times as much",
        source="Batra & Ray 1986 (wear-out after 3–10 exposures)")] = 10.0
    exposure_memory_half_life: Annotated[HalfLife, Param(
        label="Ad memory half-life", unit="days", ui=(1, 60, 1),
        meaning="half-life of the recent-ad memory E", source="judgement")] = 7.0
    load_spillover: Annotated[Prob, Param(
        label="Load spillover", unit="share",
        meaning="share of other sellers' ads read that adds to annoyance toward every seller she "
                "follows (total commercial load irritates)",
        source="seed 003 L321")] = 0.2
    half_effect: Annotated[AnnoyanceScale, Param(
        label="Annoyance half-effect", unit="annoyance", ui=(5, 500, 5),
        meaning="annoyance at which the purchase probability halves and trust erosion per unwanted contact "
                "reaches half its maximum (same scale as the mute threshold)",
        source="judgement")] = 50.0


class TieParams(Frozen):
    """Mute (屏蔽, hide their Moments), unmute and block/unfriend (拉黑) hazards (seed 000 L467); ties
    strengthened by interaction and eroded by selling (seed 002 L337; seed 000 L455)."""

    mute_threshold: Annotated[AnnoyanceScale, Param(
        label="Mute threshold", unit="annoyance", ui=(1, 2000, 1),
        meaning="annoyance at which the daily mute hazard of a consumer of median tolerance reaches half its "
                "maximum (consumer i's: this × her tolerance)",
        source="calibrated (§5): China Youth Daily 2015")] = 181.0
    block_threshold: Annotated[AnnoyanceScale, Param(
        label="Block threshold", unit="annoyance", ui=(1, 4000, 1),
        meaning="annoyance at which the daily block hazard of a consumer of median tolerance reaches half its "
                "maximum (consumer i's: this × her tolerance)",
        source="calibrated (§5): China Youth Daily 2015; twice the mute threshold by judgement")] = 362.0
    mute_max: Annotated[Prob, Param(
        label="Maximal mute hazard", unit="1/day", meaning="maximal daily mute hazard", source="judgement")] = 0.25
    block_max: Annotated[Prob, Param(
        label="Maximal block hazard", unit="1/day", meaning="maximal daily block hazard", source="judgement")] = 0.10
    steepness: Annotated[float, Field(ge=0.5, le=20.0), Param(
        label="Hazard steepness", unit="—", ui=(0.5, 8, 0.1),
        meaning="Hill exponent h of the mute, block and unmute hazards: hazard = max × A^h / (A^h + threshold^h), "
                "zero at A = 0",
        source="judgement (§5): a steady annoyance a tenth of a consumer's threshold mutes under 1 % of "
               "consumers in 180 days")] = 4.0
    strong_block_factor: Annotated[Prob, Param(
        label="Strong-tie block factor", unit="×",
        meaning="factor on the block hazard for strong ties (they still block)", source="seed 000 L467")] = 0.5
    rupture_max: Annotated[Prob, Param(
        label="Rupture after a bad purchase", unit="prob",
        meaning="r_max: a dissatisfied buyer who is a contact blocks the seller with probability "
                "r_max × min(1, gap) × (1 − T), gap = what was expected minus what was delivered (quality "
                "units), T her trust before the purchase (0: bad purchases never break ties)",
        source="seed 000 L137 (a product problem breaks the shop–customer relationship) vs L209 (trust-based "
               "buyers bear bad experiences), L327; value by judgement: no seed gives a rate, 1 lets a total "
               "failure (gap 1) break a tie in proportion to the distrust (1 − T)")] = 1.0
    #: (a spread of 5 puts one consumer in a million at 10^-11 or 10^11 times the median thresholds)
    tolerance_spread: Annotated[float, Field(ge=0.0, le=5.0), Param(
        label="Tolerance spread", unit="—", ui=(0, 2, 0.05),
        meaning="σ: each consumer's tolerance, a factor on her mute and block thresholds, is lognormal with "
                "median 1 and log standard deviation σ (0: everyone alike)",
        source="judgement (§5): the 10th and 90th percentile consumers differ 13-fold")] = 1.0
    unmute_half_life: Annotated[HalfLife, Param(
        label="Unmute half-life", unit="days", ui=(5, 365, 5),
        meaning="half-life of a mute once annoyance has faded: daily unmute hazard "
                "(1 − 2^(−1/half-life)) × (1 − H(A)), H the mute hazard's Hill function",
        source="judgement: mutes are reversible (WeChat's hide-Moments switch); no source gives a rate")] = 60.0
    fatigue_ads: Annotated[float, Field(ge=0.0, le=1e6), Param(
        label="Ad fatigue: ads that halve tolerance", unit="ads read", ui=(0, 2000, 10),
        meaning="F_½: a consumer's tolerance is τ / (1 + F / F_½), F the commercial pushes she has read from any "
                "seller (ads, prize posts, resellers' ads and forwards, unsolicited messages), fading with the "
                "fatigue half-life; 0: no fatigue",
        source="seed 004 L83 (消费者对各种营销路数心知肚明…早已经厌倦排斥: consumers see through marketing and "
               "tire of it), seed 000 L101 (审美疲劳); off by default (judgement): no source gives a size "
               "(docs/model.md §3.3.18a, §5.1)")] = 0.0
    fatigue_half_life: Annotated[HalfLife, Param(
        label="Ad fatigue half-life", unit="days", ui=(7, 720, 1),
        meaning="h_F: half-life of the fatigue stock F (the pushes read long ago weigh less)",
        source="judgement: a habit of months (早已经厌倦: long tired of), not of days")] = 180.0
    bond_per_interaction: Annotated[Prob, Param(
        label="Tie gain per interaction", unit="prob",
        meaning="chance that one two-way interaction (an answered enquiry, a message answering her need) moves a "
                "stranger contact up to a weak tie; a weak tie moves up to strong at this × the strong-tie factor",
        source="seed 002 L337, L367; seed 003 L19; value by judgement (§5): a stranger who talks with the seller "
               "every third day becomes a weak tie in about two months (1 / 20 interactions)")] = 0.05
    bond_per_content: Annotated[Prob, Param(
        label="Tie gain per value post read", unit="prob",
        meaning="the same chance per value post read in the feed or post read in her group (one-way contact)",
        source="seed 002 L337 (maintain with quality content), L359-361; value by judgement: a tenth of an "
               "interaction")] = 0.005
    strong_bond_factor: Annotated[Prob, Param(
        label="Strong-tie gain factor", unit="×",
        meaning="factor on both gains for a weak tie becoming strong (a friend takes longer to make than an "
                "acquaintance)",
        source="seed 003 L303, L335, L339 (deepening a relationship costs labour); value by judgement")] = 0.4
    erode_per_sale: Annotated[Prob, Param(
        label="Tie loss per sale", unit="prob",
        meaning="chance that a purchase on a strong or weak tie moves it one step down (strong to weak, weak to "
                "stranger contact)",
        source="seed 000 L455 (a transaction makes the friendship stiff, even estranged); value by judgement: "
               "one friendship in twenty cools a step per sale, since trust-based buyers come back (L209)")] = 0.05
    erode_per_push: Annotated[Prob, Param(
        label="Tie loss per hard push", unit="prob",
        meaning="the same chance per hard push on a strong or weak tie: an ad or prize post read, an unsolicited "
                "message",
        source="seed 000 L455, L461 (fact 6: commercial intensity erodes tie strength); value by judgement: "
               "about 350 pushes read, half a year of a heavy ad poster, cool half of the friendships a step")] = 0.002


class PurchaseParams(Frozen):
    """Needs, purchase, repurchase (seed 000 L107, L117, L155; seed 001 L88; seed 002 L367)."""

    need_rate: Annotated[Prob, Param(
        label="Need rate", unit="1/day", ui=(0, 0.1, 0.005),
        meaning="daily probability that a consumer without a need develops one (category demand)",
        source="seed 001 L88; value by judgement")] = 0.02
    need_duration: Annotated[HalfLife, Param(
        label="Need duration", unit="days", ui=(1, 60, 1),
        meaning="mean duration of an unmet need before it lapses", source="judgement")] = 14.0
    consumption_days: Annotated[float, Field(ge=0.0, le=10_000.0), Param(
        label="Consumption period", unit="days", ui=(0, 180, 5),
        meaning="mean days a purchase covers the category (0: no satiation): until it is used up no need arises "
                "and ads create no want, so advertising can bring purchases forward but not multiply them",
        source="judgement: about a month's supply of facial masks, the seeds' example product (seed 000 L467)")] = 30.0
    impulse_per_ad: Annotated[Prob, Param(
        label="Impulse wants per ad", unit="wants per effective ad",
        meaning="k: one-day wants created per effective ad read, 1 − exp(−k W) (advertising taps latent needs)",
        source="seed 004 L133; value by judgement")] = 0.01
    novelty_boost: Annotated[float, Field(ge=0.0, le=100.0), Param(
        label="Novelty boost", unit="×", ui=(0, 5, 0.1),
        meaning="ν: a seller's ads and impulse wants count 1 + ν 2^(−(D − 1)/h_N) times on the D-th day a "
                "consumer is pushed by her (novelty, habituating with exposure; 0: no novelty)",
        source="seed 000 L465 (面对新生事物，先入为主: early sales from novelty); seed 004 L427; off by "
               "default (judgement): no source gives a size, and at ν = 1 every stranger a seller adds is "
               "naive, so a stranger-adding seller's sales double for good instead of booming early "
               "(docs/model.md §3.3.11)")] = 0.0
    novelty_half_life: Annotated[HalfLife, Param(
        label="Novelty half-life", unit="pushed days", ui=(1, 60, 1),
        meaning="h_N: days of being pushed (seeing the seller's ads or getting her message) that halve the novelty "
                "boost",
        source="judgement: a new format in the feed becomes familiar within one to two weeks of daily sight")] = 7.0
    face_strong: Annotated[Prob, Param(
        label="Face purchase, strong tie", unit="prob/day",
        meaning="φ_s: daily stimulus to buy without a need, out of face (面子/人情), for a strong-tie friend pushed "
                "by the seller today, at full obligation; gated by the tie's trust prior, not by eroded trust or "
                "annoyance",
        source="seed 000 L105, L209 (friendship-based trade among 熟人); seed 001 L31 (人情味); value by judgement: "
               "off by default: no source gives a size; at 0.01 (about one close friend in four or five "
               "supporting her once in two months) it adds little to a spam seller's sales and does not make "
               "them rise over weeks (docs/model.md §3.3.14)")] = 0.0
    face_weak: Annotated[Prob, Param(
        label="Face purchase, weak tie", unit="prob/day",
        meaning="φ_w: the same for a weak-tie friend (strangers and followers owe no face)",
        source="seed 000 L105, L209; Granovetter 1973; off by default with face_strong (a third of it when "
               "on, judgement)")] = 0.0
    face_half_days: Annotated[HalfLife, Param(
        label="Face obligation half point", unit="pushed days", ui=(1, 90, 1),
        meaning="D_½: the obligation to support a friend's business grows as D / (D + D_½) with the days D she "
                "has been pushed by it",
        source="judgement: 捧场 follows once the friend has been selling for a couple of weeks, not on her first "
               "post")] = 14.0
    ad_conversion: Annotated[Prob, Param(
        label="Ad conversion", unit="prob/ad", meaning="purchase stimulus per worn-in ad read (also resellers' ads)",
        source="seed 000 L107; judgement")] = 0.02
    prize_conversion: Annotated[Prob, Param(
        label="Prize-post conversion", unit="prob/post",
        meaning="purchase stimulus per prize or flash-sale post read",
        source="seed 002 L263; seed 003 L127 (prize posts pull most)")] = 0.04
    value_conversion: Annotated[Prob, Param(
        label="Value-post conversion", unit="prob/post",
        meaning="purchase stimulus per value post read (feed or group)",
        source="seed 000 L179; calibrated (§5)")] = 0.005
    message_conversion: Annotated[Prob, Param(
        label="Message conversion", unit="prob/message", meaning="purchase stimulus per direct message",
        source="seed 001 L23; judgement")] = 0.05
    reply_conversion: Annotated[Prob, Param(
        label="Reply conversion", unit="prob", meaning="purchase stimulus on the day an enquiry is answered",
        source="seed 001 L30, L32")] = 0.25
    group_conversion: Annotated[Prob, Param(
        label="Group conversion", unit="prob/day",
        meaning="purchase stimulus per active group day for a member (× group activity)",
        source="seed 002 L357–369")] = 0.02
    #: (the stimulus is capped at 1 a day, so q beyond 100 changes nothing)
    conformity: Annotated[float, Field(ge=0.0, le=100.0), Param(
        label="Conformity", unit="prob", ui=(0, 1, 0.05),
        meaning="q: purchase stimulus × share of friends who bought from the seller",
        source="seed 000 L117; network Bass q")] = 0.1
    enquiry_prob: Annotated[Prob, Param(
        label="Enquiry probability", unit="prob",
        meaning="probability a consumer with a need who saw the seller's content asks a question (× trust gate)",
        source="seed 000 L205; seed 004 L17")] = 0.2
    interest_threshold: Annotated[Prob, Param(
        label="Interest threshold", unit="trust",
        meaning="trust at which a contact counts as interested (funnel metric; group invitations)",
        source="judgement")] = 0.5
    reference_price: Annotated[Price, Param(
        label="Reference price", unit="yuan", ui=(1, 1000, 1),
        meaning="price at which the price factor (reference_price / price)^elasticity is 1")] = 100.0
    #: (price ratios span at most 10^9, so the factor stays below 10^90)
    price_elasticity: Annotated[float, Field(ge=0.0, le=10.0), Param(
        label="Price elasticity", unit="—", ui=(0, 3, 0.1),
        meaning="exponent of the price factor on the purchase probability", source="judgement")] = 1.0
    value_price_weight: Annotated[float, Field(ge=0.0, le=2.0), Param(
        label="Price weight of satisfaction", unit="quality per log price ratio", ui=(0, 1, 0.05),
        meaning="k_p: the expectation a purchase must meet rises by k_p × ln(price / reference_price) (a "
                "dear product must deliver more; a bargain, less): value for money",
        source="seed 002 L369 (trust rests on quality and value for money, 性价比), seed 000 L327 (overcharging "
               "breeds disgust); value by judgement: paying twice the reference price takes 0.14 off the "
               "probability of satisfaction")] = 0.2
    trust_gating: Annotated[bool, Param(
        label="Trust gating", unit="—",
        meaning="trust gates purchases: probability × T^h / (T^h + T_half^h); off means × 1",
        source="seed 001 L34; seed 004 L17")] = True
    trust_half: Annotated[Prob, Param(
        label="Trust gate half point", unit="trust", meaning="T_half: trust at which the gate is 1/2",
        source="seed 002 L367 (deals need accumulated trust); calibrated (§5)")] = 0.5
    trust_steepness: Annotated[float, Field(ge=0.5, le=20.0), Param(
        label="Trust gate steepness", unit="—", ui=(0.5, 5, 0.1), meaning="Hill exponent h of the trust gate",
        source="calibrated (§5)")] = 2.0
    always_need: Annotated[bool, Param(
        label="Always need", unit="—", meaning="needs always present and never cleared by purchase (Bass docking)",
        source="§6.1")] = False
    repurchase: Annotated[bool, Param(
        label="Repurchase", unit="—",
        meaning="customers may buy again from the same seller; off makes a purchase a one-time adoption "
                "(independent-cascade and SI docking)",
        source="§6")] = True


class WomParams(Frozen):
    """Word of mouth after purchase (Goldenberg, Libai & Muller 2001: beta_s > beta_w)."""

    recommend_prob: Annotated[Prob, Param(
        label="Recommendation probability", unit="prob/friend",
        meaning="probability a satisfied buyer recommends the seller to each friend",
        source="seed 004 L121; judgement")] = 0.25
    strong_persuasion: Annotated[Prob, Param(
        label="Strong-tie persuasion", unit="prob/day",
        meaning="beta_s: purchase pull added per recommendation over a strong tie",
        source="Goldenberg et al. 2001 (0.01–0.07); §5")] = 0.06
    weak_persuasion: Annotated[Prob, Param(
        label="Weak-tie persuasion", unit="prob/day",
        meaning="beta_w: purchase pull added per recommendation over a weak tie",
        source="Goldenberg et al. 2001 (0.005–0.015)")] = 0.01
    referral_half_life: Annotated[HalfLife, Param(
        label="Referral half-life", unit="days", ui=(1, 60, 1),
        meaning="half-life of a recommendation's pull", source="simplification (§5)")] = 14.0
    warn_prob: Annotated[Prob, Param(
        label="Warning probability", unit="prob/friend",
        meaning="probability a dissatisfied buyer warns each friend (negative word of mouth)",
        source="seed 000 L327; seed 004 L119")] = 0.3
    block_warn_prob: Annotated[Prob, Param(
        label="Blocker warning probability", unit="prob/friend",
        meaning="probability a consumer who blocks the seller warns each friend", source="judgement")] = 0.05
    weak_tie_weight: Annotated[Prob, Param(
        label="Weak-tie weight", unit="×",
        meaning="weight of weak ties relative to strong ones in trust transfer and warnings",
        source="Granovetter 1973; judgement")] = 0.5


class FollowParams(Frozen):
    """Following (关注/加好友): consumers without a tie add the seller as a contact (seed 000 L161–183;
    seed 001 L34; seed 002 L277, L369)."""

    after_purchase: Annotated[Prob, Param(
        label="Following after a purchase", unit="prob/purchase",
        meaning="probability a satisfied buyer without a tie adds the seller after the purchase, at a fully "
                "open trust gate (× G_T(T))",
        source="seed 002 L369 (customers become fans); seed 001 L34 (service turns non-followers into fans); "
               "value by judgement (§5)")] = 0.5
    after_referral: Annotated[Prob, Param(
        label="Following after a recommendation", unit="prob/recommendation",
        meaning="probability a consumer without a tie adds the seller per recommendation received, at a fully "
                "open trust gate (× G_T(T))",
        source="seed 000 L163, L183 (recommending the account; snowball fans); seed 002 L277; value by "
               "judgement (§5)")] = 0.1
    in_group: Annotated[Prob, Param(
        label="Following on joining a group", unit="prob/member",
        meaning="probability a consumer without a tie adds the seller on joining her group, at a fully open "
                "trust gate (× G_T(T))",
        source="seed 002 L369 (communities turn customers into fans); value by judgement (§5)")] = 0.5


class ForwardParams(Frozen):
    """Forwarding (转发) of a seller's posts by the consumers who read them, to their own Moments
    (seed 000 L163; seed 003 L95, L127–135). All probabilities 0: nobody forwards (the default)."""

    prize_prob: Annotated[Prob, Param(
        label="Forwarding a prize post", unit="prob/post read",
        meaning="probability a consumer forwards a prize post of the seller she read today, at fully open trust "
                "and annoyance gates (× G_T(T) G_A(A))",
        source="seed 003 L127 (prize-activity posts are forwarded most); seed 000 L163; value by judgement: the "
               "study gives the order, not the size")] = 0.0
    value_prob: Annotated[Prob, Param(
        label="Forwarding a value post", unit="prob/post read",
        meaning="the same for a value post (brand news, useful content)",
        source="seed 003 L127, L135 (brand events second); value by judgement")] = 0.0
    ad_prob: Annotated[Prob, Param(
        label="Forwarding an ad", unit="prob/post read",
        meaning="the same for an ad (product promotion)",
        source="seed 003 L127 (product posts forwarded least); value by judgement")] = 0.0
    forwarded_prob: Annotated[Prob, Param(
        label="Forwarding a forward", unit="prob/post read",
        meaning="the same for a friend's forward of the seller's post she read (the next generation of the "
                "cascade)",
        source="seed 003 L95 (forwards count every generation A→B→C→D); value by judgement")] = 0.0
    idle_factor: Annotated[float, Field(ge=1.0, le=100.0), Param(
        label="Idle-time forwarding factor", unit="×", ui=(1, 3, 0.1),
        meaning="prize posts read in the idle slot are forwarded this many times as often, ads read there this "
                "many times less often (probabilities capped at 1)",
        source="seed 003 L127 (idle time forwards more), L133 (reversed for product posts); value by judgement")] = (
        1.5)


class PlatformParams(Frozen):
    """Platform moderation (seed 002 L341-355: 骚扰提示)."""

    moderation: Annotated[Literal["none", "harassment_prompt"], Param(
        label="Platform moderation", unit="—",
        meaning="moderation rule: `harassment_prompt` folds marketing posts flagged by their text, their image or "
                "their account's posting frequency",
        source="seed 002 L341–355")] = "none"
    flag_text: Annotated[Prob, Param(
        label="Text flag rate", unit="share",
        meaning="share of marketing posts (ads, prize posts) whose text the platform recognises as goods or "
                "merchant marketing and folds",
        source="seed 002 L347 (trigger 1, \"文字含有商品、商家营销信息\"); rate by judgement (§5)")] = 0.5
    flag_image: Annotated[Prob, Param(
        label="Image flag rate", unit="share",
        meaning="share of marketing posts whose image the platform recognises as marketing and folds (checked "
                "independently of the text)",
        source="seed 002 L347 (trigger 2, \"图片含有营销信息\"); rate by judgement (§5)")] = 0.5
    #: (sellers post at most 1000 a day, so a threshold of 1000 or more never folds)
    fold_threshold: Annotated[float, Field(ge=0.0, le=10_000.0), Param(
        label="Fold threshold", unit="posts/day", ui=(0, 200, 5),
        meaning="posts per day above which all of an account's marketing posts are folded (trigger 3)",
        source="seed 002 L347 (\"一天在朋友圈内百十条信息\")")] = 100.0
    fold_view_prob: Annotated[Prob, Param(
        label="Folded-block view probability", unit="1/day",
        meaning="daily probability a viewer opens a seller's folded posts (about once a year)",
        source="seed 002 L345 (\"同意或者不同意\"), L351 (\"用户看不到你的信息\": mostly unseen); "
               "free choice (§5)")] = 0.0027
    max_contacts: Annotated[int, Field(ge=1, le=100_000), Param(
        label="Contacts per account", unit="contacts", ui=(100, 10_000, 100),
        meaning="most contacts a seller's account can hold (not counting those who blocked her): her circle is "
                "cut to it and she adds no stranger and gains no follower beyond it",
        source="WeChat's limit of 5,000 friends per personal account")] = 5000


# ---------------------------------------------------------------------------------------------
# Sellers
# ---------------------------------------------------------------------------------------------

_SHARES_SUM = "ad + value + life + prize = 1 (± 10^−6)"


class ContentMix(Frozen):
    """Shares of a seller's posts by content type; must sum to 1."""

    ad: Annotated[Prob, Param(
        label="Ad share of posts", unit="share", ui=(0, 1, 0.05), meaning="share of posts that are hard ads",
        source="seed 000 L239–241", allowed=_SHARES_SUM)] = 0.5
    value: Annotated[Prob, Param(
        label="Value share", unit="share", ui=(0, 1, 0.05), meaning="share of posts that are value content",
        source="seed 003 L65", allowed=_SHARES_SUM)] = 0.2
    life: Annotated[Prob, Param(
        label="Life share", unit="share", ui=(0, 1, 0.05), meaning="share of posts about personal life",
        allowed=_SHARES_SUM)] = 0.3
    prize: Annotated[Prob, Param(
        label="Prize share", unit="share", ui=(0, 1, 0.05), meaning="share of posts that are prizes or flash sales",
        source="seed 002 L263", allowed=_SHARES_SUM)] = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self) -> ContentMix:
        total = self.ad + self.value + self.life + self.prize
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"content shares must sum to 1 (ad+value+life+prize), got {total:g}")
        return self


class GroupParams(Frozen):
    """社群: small WeChat groups of ~100 (seed 002 L357-371)."""

    enabled: Annotated[bool, Param(
        label="Groups", unit="—", meaning="the seller runs small groups", source="seed 002 L357–371")] = False
    invites_per_day: Annotated[float, Field(ge=0.0, le=100_000.0), Param(
        label="Group invitations", unit="people/day", ui=(0, 20, 1),
        meaning="members a seller invites per day (customers first, then interested contacts)",
        source="seed 002 L369")] = 0.0
    posts_per_day: Annotated[PostsPerDay, Param(
        label="Group posts", unit="posts/day", ui=(0, 10, 0.5), meaning="value posts per day inside the groups",
        source="seed 002 L371")] = 2.0
    size: Annotated[int, Field(ge=2, le=500), Param(
        label="Group size", unit="members", meaning="members per group (sets the number of groups, so the cost only)",
        source="seed 002 L371 (\"百人群\")")] = 100
    half_life: Annotated[HalfLife, Param(
        label="Group activity half-life", unit="days", ui=(1, 60, 1),
        meaning="half-life of group activity without value content", source="seed 002 L371; judgement")] = 10.0
    sustain_posts_per_day: Annotated[float, Field(gt=0.0, le=1000.0), Param(
        label="Posts that sustain a group", unit="posts/day", ui=(0.5, 10, 0.5),
        meaning="value posts per day that keep a group fully active; fewer give a lower equilibrium activity",
        source="judgement")] = 2.0
    advocacy: Annotated[float, Field(ge=1.0, le=10.0), Param(
        label="Group advocacy", unit="×",
        meaning="factor on members' recommendation probability, capped at 1 (customers become fans and "
                "endorsers in post-purchase communities)",
        source="seed 002 L369; seed 004 L393")] = 2.0


class GroupBuyParams(Frozen):
    """拼团: a group that the buyer's friends must fill within a window (seed 002 L261-265, L277)."""

    enabled: Annotated[bool, Param(
        label="Group-buy", unit="—",
        meaning="buyers open a group-buy instead of buying at once: the group sells, at the group price, only "
                "if enough friends join before it closes",
        source="seed 002 L261–263")] = False
    size: Annotated[int, Field(ge=2, le=100), Param(
        label="Group-buy size", unit="members", ui=(2, 10, 1),
        meaning="members a group-buy needs, its opener included",
        source="judgement: two-person groups are the commonest on group-buy apps (common knowledge, not in the "
               "seeds); the smallest group that needs a friend")] = 2
    window_days: Annotated[int, Field(ge=1, le=365), Param(
        label="Group-buy window", unit="days", ui=(1, 14, 1),
        meaning="days a group stays open, the day it is opened included; unfilled by then, it fails",
        source="judgement: group-buy apps close a group after 24 hours (common knowledge, not in the seeds)")] = 1
    discount: Annotated[float, Field(ge=0.0, le=0.9), Param(
        label="Group-buy discount", unit="share of price", ui=(0, 0.5, 0.05),
        meaning="the group price is the price times (1 − discount)",
        source="seed 002 L261, L263 (group price below the solo price); judgement: the fission preset's "
               "referral discount, 0.15")] = 0.15
    invite_conversion: Annotated[Prob, Param(
        label="Invitation conversion", unit="prob/invitation", ui=(0, 1, 0.05),
        meaning="purchase stimulus of one friend's invitation to join her group (before the price factor and "
                "the trust and annoyance gates); only a friend with a need or an impulse toward the seller joins",
        source="seed 002 L261, L277 (each participant recruits her friends; the bargain-seeking mindset); "
               "judgement: a personal, timely appeal, as strong as an answered enquiry (purchase.reply_conversion)")] \
        = 0.25


class BigVParams(Frozen):
    """大咖带货: the seller is herself the influencer, whose personal brand devalues as she sells
    (seed 000 L467)."""

    enabled: Annotated[bool, Param(
        label="Big-V seller", unit="—",
        meaning="the seller is a big-V (大咖): she starts with an audience of fans, and her personal brand, which "
                "weights everything that sells her product, devalues with each commercial post she publishes",
        source="seed 000 L467")] = False
    audience: Annotated[int, Field(ge=0, le=100_000), Param(
        label="Big-V audience", unit="people", ui=(0, 2000, 50),
        meaning="consumers who follow her as fans from day 0: the nearest consumers to her in the friendship "
                "graph (her friends, then their friends, and so on), as many as her contact limit leaves room for",
        source="seed 000 L467 (her circle); seed 004 L225 (popular accounts reach associated similar groups); "
               "judgement: a few times the ~77 fans of a micro-store (seed 001 L82)")] = 300
    fan_trust: Annotated[Prob, Param(
        label="Fan trust", unit="trust", ui=(0, 1, 0.05),
        meaning="trust of her fans on day 0 and the baseline it relaxes to (a consumer who already trusts her more "
                "keeps her own)",
        source="seed 004 L399, L417–421 (opinion leaders shape perception); judgement: a fan trusts the big-V "
               "she follows as she trusts a close friend (`trust.prior_strong`, 0.6)")] = 0.6
    brand_decay: Annotated[Prob, Param(
        label="Brand decay", unit="fraction/post", ui=(0, 0.1, 0.005),
        meaning="fraction of her personal brand B lost with each commercial post (ad or prize) she publishes: "
                "B ← B (1 − d) per post; B multiplies every component of the purchase stimulus toward her but face",
        source="seed 000 L467 (the brand devalues as her selling spreads, 时间稍久); judgement: 1%, so that her "
               "brand halves after about 70 commercial posts, two months at the big_v preset's 1.2 ads a day")] \
        = 0.01


#: The seller's time, valued at what she could earn with it elsewhere: 30 yuan an hour. An
#: assumption: the sources call Moments selling "near zero cost" in money (seed 000 L105) but
#: one-to-one chat "labour-intensive" (seed 003 L339), and give no wage. 30 yuan/h is about the
#: average pay of urban private-sector employees in China (National Bureau of Statistics, 2023:
#: 68,340 yuan a year over about 2,000 working hours, 34 yuan/h), rounded down because most 微商
#: sell in their spare time. Action costs are the seller's time at this wage, so that a strategy
#: that works harder pays for it in profit (docs/model.md §3.3.20).
SELLER_WAGE_PER_HOUR = 30.0
#: minutes of the seller's time per action (assumptions, by judgement): a post (pick pictures,
#: write, publish), a direct message, a stranger added (find her, send the request), a reply to
#: an enquiry (a short one-to-one chat), a group run for a day (its value posts, moderation and
#: members' questions: the default two group posts take about 4 minutes of it)
ACTION_MINUTES = {"post": 2.0, "message": 1.0, "stranger": 1.0, "reply": 2.0, "group_day": 10.0}


def _time_cost(action: str) -> float:
    """Default cost of ``action`` in yuan: its minutes of the seller's time at her wage."""
    return round(ACTION_MINUTES[action] * SELLER_WAGE_PER_HOUR / 60.0, 2)


def _time_source(action: str, more: str = "") -> str:
    """The registry's source of a time cost: the minutes and the wage it assumes, spelled out."""
    return (f"assumption: {ACTION_MINUTES[action]:g} min of the seller's time at {SELLER_WAGE_PER_HOUR:g} yuan/h "
            f"(§3.3.20){more}")


class Strategy(Frozen):
    """What a seller does each day; presets live in ``configs/presets``."""

    @classmethod
    def from_preset(cls, name: str) -> Strategy:
        """The Strategy of preset ``name``; ValueError naming the allowed presets otherwise.

        Raises :class:`~viralsim.config.presets.PresetError` (a ValueError) if the preset's file
        is broken, and pydantic's ValidationError if its fields are invalid.
        """
        return cls.model_validate(preset_data(name))

    posts_per_day: Annotated[PostsPerDay, Param(
        label="Posts per day", unit="posts/day", ui=(0, 150, 1), meaning="Moments posts per day")] = 3.0
    content: Annotated[ContentMix, Param(
        label="Content mix", unit="share", meaning="shares of the posts by content type")] = ContentMix()
    posting_slot: Annotated[Literal["busy", "idle", "mixed"], Param(
        label="Posting slot", unit="—", meaning="when posts are published", source="seed 003 L79")] = "mixed"
    strangers_per_day: Annotated[float, Field(ge=0.0, le=10_000.0), Param(
        label="Strangers added", unit="people/day", ui=(0, 50, 1),
        meaning="strangers added as contacts per day (海量添加好友)", source="seed 000 L137, L245")] = 0.0
    messages_per_day: Annotated[float, Field(ge=0.0, le=10_000.0), Param(
        label="Direct messages", unit="messages/day", ui=(0, 50, 1),
        meaning="direct (private-chat) sales messages per day", source="seed 001 L23")] = 0.0
    contact: Annotated[Literal["push", "need"], Param(
        label="Message targeting", unit="—",
        meaning="whom messages go to: every contact (`push`) or contacts with a need (`need`)",
        source="seed 001 L23, L30")] = "push"
    service_capacity: Annotated[float, Field(ge=0.0, le=1e6), Param(
        label="Service capacity", unit="replies/day", ui=(0, 200, 5), meaning="enquiries answered per day",
        source="seed 001 L32; seed 002 L283")] = 10.0
    groups: Annotated[GroupParams, Param(
        label="Groups", unit="—", meaning="small WeChat groups the seller runs")] = GroupParams()
    group_buy: Annotated[GroupBuyParams, Param(
        label="Group-buy", unit="—", meaning="group-buys (拼团) the seller's buyers open and their friends fill")] \
        = GroupBuyParams()
    big_v: Annotated[BigVParams, Param(
        label="Big-V", unit="—", meaning="the seller is a big-V (大咖) whose brand devalues as she sells")] \
        = BigVParams()
    referral_reward: Annotated[float, Field(ge=0.0, le=0.9), Param(
        label="Referral reward", unit="share of price", ui=(0, 0.5, 0.05),
        meaning="referral discount (裂变): a purchase on a friend's recommendation pays the price times (1 − reward), "
                "and rewards make buyers recommend; group-buys proper are `group_buy`",
        source="seed 002 L261–265")] = 0.0
    reseller_prob: Annotated[Prob, Param(
        label="Reseller probability", unit="prob",
        meaning="probability a satisfied buyer becomes a reseller (全员分销)", source="seed 002 L235")] = 0.0
    reseller_posts_per_day: Annotated[PostsPerDay, Param(
        label="Reseller posts", unit="ads/day", ui=(0, 20, 1), meaning="ads a reseller posts per day to her friends",
        source="seed 002 L171")] = 0.0
    reseller_commission: Annotated[Prob, Param(
        label="Reseller commission", unit="share of price",
        meaning="commission per reseller sale, paid to the reseller whose ad made it (level 1); with stock-loading "
                "her discount on the wholesale price instead",
        source="seed 002 L235")] = 0.2
    reseller_levels: Annotated[int, Field(ge=0, le=MAX_RESELLER_LEVEL), Param(
        label="Reseller levels", unit="levels", ui=(0, 10, 1),
        meaning="deepest level of the reseller tree (多级分销): a buyer recruited through a reseller of the "
                f"last level does not resell; commission reaches at most this many levels; 0 = unlimited (up to "
                f"{MAX_RESELLER_LEVEL} levels are told apart)",
        source="seed 002 L169 (人人店: unlimited-level distribution), L171; judgement: 0 (unlimited) keeps the "
               "recruitment rule of one-click distribution as it was")] = 0
    reseller_upline_share: Annotated[Prob, Param(
        label="Upline share", unit="ratio", ui=(0, 1, 0.05),
        meaning="commission per level: a sale pays commission × share^(k−1) of the price to the reseller k−1 "
                "levels above the one who made it (her upline, the upline's upline, ...)",
        source="seed 002 L169, L171; judgement: the seeds give no split; 0 pays the reseller who made the sale "
               "alone, the one-level commission of 全员分销 (L235)")] = 0.0
    stock_units: Annotated[int, Field(ge=0, le=10_000), Param(
        label="Stock-loading", unit="units", ui=(0, 50, 1),
        meaning="units a new reseller buys upfront at the wholesale price, price × (1 − commission) (压货), and "
                "again each time she sells out; her sales draw it down; 0 = one-click distribution, no stock",
        source="seed 002 L171 (压货/囤货 微商), L235 (一键分销, no stock-loading); judgement: 0, the L235 model")] = 0
    stock_patience_days: Annotated[int, Field(ge=1, le=3650), Param(
        label="Stock patience", unit="days", ui=(1, 120, 1),
        meaning="a reseller whose stock has not moved (no sale, no restocking) for this many days is loaded: "
                "she is disappointed, stops reselling and may warn her friends",
        source="seed 002 L171 (怕被囤货受骗); judgement: a month, the span of a monthly target, the seeds give no "
               "number")] = 30
    stock_fear_units: Annotated[float, Field(gt=0.0, le=1e6), Param(
        label="Stock fear", unit="units", ui=(1, 100, 1),
        meaning="stock at which the fear of stock-loading halves the chance to become a reseller: "
                "P(recruit) = reseller_prob × fear / (fear + stock_units)",
        source="seed 002 L171 (怕被囤货受骗 deters entry); judgement: 10 units, the seeds give no number")] = 10.0
    kol_seeds: Annotated[int, Field(ge=0, le=100_000), Param(
        label="KOL seeds", unit="people", ui=(0, 50, 1),
        meaning="highest-degree consumers given the product free on day 0 to seed word of mouth",
        source="seed 004 L225, L399")] = 0
    kol_reach: Annotated[Prob, Param(
        label="KOL reach", unit="prob/friend", meaning="probability a satisfied seed recommends to each friend",
        source="judgement")] = 0.5
    cost_per_post: Annotated[Money, Param(
        label="Cost per post", unit="yuan", ui=(0, 100, 1),
        meaning="cost per Moments post: the seller's time to pick pictures, write and publish it",
        source=_time_source("post"))] = _time_cost("post")
    cost_per_message: Annotated[Money, Param(
        label="Cost per message", unit="yuan", ui=(0, 100, 1),
        meaning="cost per direct message: the seller's time to write and send it",
        source=_time_source("message"))] = _time_cost("message")
    cost_per_stranger: Annotated[Money, Param(
        label="Cost per stranger", unit="yuan", ui=(0, 100, 1),
        meaning="cost per stranger added: the seller's time to find her and send the request",
        source=_time_source("stranger"))] = _time_cost("stranger")
    cost_per_reply: Annotated[Money, Param(
        label="Cost per reply", unit="yuan", ui=(0, 100, 1),
        meaning="cost per answered enquiry: the seller's time in the one-to-one chat",
        source=_time_source("reply", "; seed 003 L339 (one-to-one chat is labour-intensive)"))] = _time_cost("reply")
    cost_per_kol: Annotated[Money, Param(
        label="Cost per KOL", unit="yuan", ui=(0, 1000, 10), meaning="fee per KOL seed (plus the unit cost)")] = 0.0
    cost_group_per_day: Annotated[Money, Param(
        label="Cost per group-day", unit="yuan/day", ui=(0, 100, 1),
        meaning="cost per group per day: the seller's time for its value posts, moderation and questions",
        source=_time_source("group_day"))] = _time_cost("group_day")


class Product(Frozen):
    """What a seller sells."""

    quality: Annotated[Prob, Param(
        label="Product quality", unit="prob", ui=(0, 1, 0.05),
        meaning="probability a purchase satisfies when the price is the reference price and the ads do not "
                "oversell (`hype` 0); in general P(satisfied) = quality − hype − k_p ln(price / reference_price), "
                "clipped to [0, 1]",
        source="seed 002 L369, L373 (quality is the basis of word of mouth); judgement")] = 0.85
    hype: Annotated[Prob, Param(
        label="Hype", unit="quality", ui=(0, 0.5, 0.05),
        meaning="how much the seller's ads overstate the quality (the promise is quality + hype): it raises "
                "the expectation every purchase must meet",
        source="seed 000 L367 (reliable promises earn stickiness), L137 (hard-sell spam); seed 004 L119; "
               "judgement: the seeds give no size, 0 = honest ads")] = 0.0
    price: Annotated[Price, Param(label="Price", unit="yuan", ui=(1, 1000, 1), meaning="price per unit")] = 100.0
    unit_cost: Annotated[Money, Param(
        label="Unit cost", unit="yuan", ui=(0, 1000, 1), meaning="cost per unit sold or given away")] = 50.0


STRATEGY_FIELDS = tuple(Strategy.model_fields)


def _override(name: str) -> Any:
    """The type of an optional override of strategy field ``name``: the strategy field's own type,
    bounds and :class:`Param`, or None ("take the preset's value")."""
    info = Strategy.model_fields[name]
    if info.metadata:
        return Annotated[(info.annotation, *info.metadata)] | None
    return info.annotation | None


class SellerSpec(Frozen):
    """One seller: a preset strategy, optional overrides of any strategy field, a product.

    The resolved strategy (:attr:`resolved`) is not one of the spec's fields: dumps and hashes of
    configs see only what the user wrote.
    """

    strategy: Annotated[str, Param(
        label="Strategy preset", unit="—", meaning="the strategy preset", source="`configs/presets`",
        allowed="a preset name (`viralsim presets`)")] = "community"
    placement: Annotated[Literal["random", "hub", "median"], Param(
        label="Placement", unit="—", meaning="node of the network the seller takes",
        source="seed 001 L82; seed 000 L467")] = "median"
    circle_size: Annotated[int, Field(ge=0, le=100_000), Param(
        label="Circle size", unit="contacts", ui=(0, 500, 10),
        meaning="contacts the seller starts with; tops up her graph neighbourhood with weak acquaintances",
        source="seed 001 L82 (~77 fans per micro-store)")] = 80
    product: Annotated[Product, Param(label="Product", unit="—", meaning="what the seller sells")] = Product()
    # Optional overrides: any field of Strategy; None means "take the preset's value".
    posts_per_day: _override("posts_per_day") = None
    content: _override("content") = None
    posting_slot: _override("posting_slot") = None
    strangers_per_day: _override("strangers_per_day") = None
    messages_per_day: _override("messages_per_day") = None
    contact: _override("contact") = None
    service_capacity: _override("service_capacity") = None
    groups: _override("groups") = None
    group_buy: _override("group_buy") = None
    big_v: _override("big_v") = None
    referral_reward: _override("referral_reward") = None
    reseller_prob: _override("reseller_prob") = None
    reseller_posts_per_day: _override("reseller_posts_per_day") = None
    reseller_commission: _override("reseller_commission") = None
    reseller_levels: _override("reseller_levels") = None
    reseller_upline_share: _override("reseller_upline_share") = None
    stock_units: _override("stock_units") = None
    stock_patience_days: _override("stock_patience_days") = None
    stock_fear_units: _override("stock_fear_units") = None
    kol_seeds: _override("kol_seeds") = None
    kol_reach: _override("kol_reach") = None
    cost_per_post: _override("cost_per_post") = None
    cost_per_message: _override("cost_per_message") = None
    cost_per_stranger: _override("cost_per_stranger") = None
    cost_per_reply: _override("cost_per_reply") = None
    cost_per_kol: _override("cost_per_kol") = None
    cost_group_per_day: _override("cost_group_per_day") = None

    @model_validator(mode="before")
    @classmethod
    def _nested_over_the_preset(cls, data: Any) -> Any:
        """A mechanism's section given as an override (``groups``, ``group_buy``, ...) changes the preset's
        values it names and keeps the others: ``groups: {posts_per_day: 0.5}`` on a community
        seller keeps her groups running with fewer posts, where taking the other fields from
        the section's defaults would switch them off. The spec then holds the whole section, so
        a dump of the config reloads to the same strategy."""
        if not isinstance(data, Mapping):
            return data
        nested = [k for k in NESTED_STRATEGY_FIELDS if isinstance(data.get(k), Mapping)]
        if not nested:
            return data
        try:
            preset = Strategy.from_preset(data.get("strategy", "community"))
        except (ValueError, TypeError):
            return data                 # (the preset's own check names the problem)
        out = dict(data)
        for k in nested:
            out[k] = {**getattr(preset, k).model_dump(), **data[k]}
        return out

    # The resolved strategy, filled on first use: when the config holding the spec is validated
    # (RunConfig), or loaded (viralsim.config.load), or else where the strategy is first read.
    _resolved: Strategy | None = PrivateAttr(default=None)

    @property
    def resolved(self) -> Strategy:
        """The seller's full strategy: her preset with this spec's overrides on top.

        Raises ValueError for an unknown preset, :class:`~viralsim.config.presets.PresetError`
        for a broken preset file and pydantic's ValidationError for an invalid one (the loader,
        :func:`viralsim.config.load.load_config`, reports each as a one-line ConfigError).
        """
        if self._resolved is None:
            self._resolved = self.resolve()
        return self._resolved

    def resolve(self) -> Strategy:
        """The seller's strategy worked out afresh: her preset with this spec's overrides on top
        (:attr:`resolved` keeps it); raises as :attr:`resolved` does."""
        base = Strategy.from_preset(self.strategy).model_dump()
        base.update({k: (v.model_dump() if hasattr(v, "model_dump") else v) for k, v in self.overrides().items()})
        return Strategy.model_validate(base)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> SellerSpec:
        """A copy; with ``update`` its strategy is resolved again, from the changed fields."""
        copy = super().model_copy(update=update, deep=deep)
        if update:
            copy._resolved = None
        return copy

    def __eq__(self, other: object) -> bool:
        # The cached strategy follows from the fields: specs with equal fields are equal,
        # whether or not either has resolved its strategy yet.
        if isinstance(other, SellerSpec):
            return type(self) is type(other) and self.__dict__ == other.__dict__
        return NotImplemented

    def overrides(self) -> dict:
        """Strategy fields set explicitly in this spec (not None)."""
        return {k: getattr(self, k) for k in STRATEGY_FIELDS if getattr(self, k) is not None}


#: strategy fields that are a mechanism's section (``groups``, ``group_buy``, ...): a spec's override
#: of one merges over the preset's. Not ``content``: a mix must be given whole (its shares sum to
#: 1), and a partial one is refused as written.
NESTED_STRATEGY_FIELDS = tuple(name for name in STRATEGY_FIELDS
                               if isinstance(Strategy.model_fields[name].annotation, type)
                               and issubclass(Strategy.model_fields[name].annotation, BaseModel)
                               and Strategy.model_fields[name].annotation is not ContentMix)

#: most sellers of one run, named and in populations together
MAX_SELLERS = 100_000
#: strategy fields a population can draw per member (numbers; ``groups``, ``group_buy`` and ``content`` are not)
VARIABLE_FIELDS = tuple(name for name, info in Strategy.model_fields.items() if info.annotation in (float, int))


class PopulationSpec(Frozen):
    """Many sellers at once: how many, which strategies, who they are (seed 002 L175: many people
    in every circle sell something). Members are named ``<population>#<k>``; their strategies,
    places and circles are drawn from the run's seed when the market is built."""

    count: Annotated[int | None, Field(ge=0, le=MAX_SELLERS), Param(
        label="Sellers", unit="sellers", ui=(0, 1000, 10), meaning="number of sellers in the population",
        allowed="give `count` or `share`, not both")] = None
    share: Annotated[float | None, Field(ge=0.0, le=1.0), Param(
        label="Share of people", unit="share", ui=(0.0, 0.2, 0.005),
        meaning="sellers as a share of the network's people (rounded)",
        allowed="give `count` or `share`, not both")] = None
    mix: Annotated[dict[str, Annotated[float, Field(gt=0.0, le=1e6)]], Field(min_length=1, max_length=100), Param(
        label="Preset mix", unit="weights", meaning="strategy presets and their weights; each member draws one",
        source="`configs/presets`", allowed="preset names (`viralsim presets`), positive weights")] = {"community": 1.0}
    vary: Annotated[dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]], Field(max_length=50), Param(
        label="Varied fields", unit="—",
        meaning="strategy fields drawn per member, uniformly in [low, high] (whole numbers rounded), "
                "over the preset's value",
        allowed="numeric strategy fields, low <= high within the field's bounds")] = {}
    placement: Annotated[Literal["random", "hub", "median", "circle"], Param(
        label="Who sells", unit="—",
        meaning="random people; the best-connected (`hub`); typical ones (`median`); or whole friend circles "
                "(`circle`: a random person, then her friends, and so on)",
        source="seed 001 L82; seed 000 L467")] = "random"
    circle_size: Annotated[int, Field(ge=0, le=100_000), Param(
        label="Circle size", unit="contacts", ui=(0, 500, 10),
        meaning="contacts each member starts with (her graph friends topped up with acquaintances)",
        source="seed 001 L82 (~77 fans per micro-store)")] = 80
    product: Annotated[Product, Param(label="Product", unit="—", meaning="the members' product")] = Product()

    @model_validator(mode="after")
    def _one_size(self) -> PopulationSpec:
        if (self.count is None) == (self.share is None):
            raise ValueError("give exactly one of count (a number of sellers) and share (a share of people)")
        return self

    @field_validator("mix")
    @classmethod
    def _known_presets(cls, value: dict) -> dict:
        known = preset_names()
        for name in value:
            if name not in known:
                raise ValueError(f"unknown strategy preset {name!r}; known: {', '.join(known)}")
        return value

    @field_validator("vary")
    @classmethod
    def _varied_fields(cls, value: dict) -> dict:
        for name, (low, high) in value.items():
            if name not in VARIABLE_FIELDS:
                raise ValueError(f"{name!r} cannot vary; numeric strategy fields: {', '.join(VARIABLE_FIELDS)}")
            if not low <= high:
                raise ValueError(f"{name}: low {low!r} is above high {high!r}")
            info = Strategy.model_fields[name]
            for bound in (low, high):
                try:
                    TypeAdapter(Annotated[(float, *info.metadata)]).validate_python(bound)
                except ValidationError as exc:
                    raise ValueError(f"{name}: {bound!r} is outside the field's bounds "
                                     f"({exc.errors()[0]['msg']})") from None
        return value

    def size(self, n: int) -> int:
        """Members in a network of ``n`` people."""
        return int(self.count) if self.count is not None else int(round(self.share * n))


# ---------------------------------------------------------------------------------------------
# Timed events
# ---------------------------------------------------------------------------------------------

#: most events of one run
MAX_EVENTS = 1000

#: settings an event's ``set`` cannot change, and why: they are used when the market is built
#: (graph, sellers' places and circles, population members, tolerance, trust priors of the
#: relations already made), or belong to the run rather than to a day
FIXED_SETTINGS = {
    "name": "the run's name names its results",
    "seed": "the seed draws the whole market",
    "days": "the horizon belongs to the run, not to a day",
    "network": "the friendship graph is built once, before day 1",
    "populations": "population members are drawn once, when the market is built (change their strategies "
                   "with a `switch` event)",
    "trace_cascades": "cascades are traced for the whole run or not at all",
    "engine": "the engine runs the whole run",
    "events": "an event cannot schedule events",
    "trust.prior_strong": "the trust priors are the baselines of the relations already made",
    "trust.prior_weak": "the trust priors are the baselines of the relations already made",
    "trust.prior_stranger": "the trust priors are the baselines of the relations already made",
    "ties.tolerance_spread": "each consumer's tolerance is drawn when the market is built",
    "platform.max_contacts": "the sellers' circles are cut to it when the market is built",
    "sellers.<name>.placement": "a seller's place in the graph is chosen when the market is built",
    "sellers.<name>.circle_size": "a seller's circle is made when the market is built",
}


def nest_paths(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """``{"platform.moderation": v}`` as ``{"platform": {"moderation": v}}``, nested mappings merged.

    Both spellings may be mixed (``{platform.moderation: ..., platform: {fold_threshold: ...}}``);
    a setting given twice is refused, naming it."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        parts = key.split(".") if isinstance(key, str) else [key]
        if any(p == "" for p in parts):
            raise ValueError(f"{key!r} is not a dotted path such as platform.moderation")
        node = out
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            here = ".".join(str(p) for p in parts[:depth + 1])
            if last:
                if isinstance(value, Mapping):
                    inner = nest_paths(value)
                    if part in node:
                        if not isinstance(node[part], dict):
                            raise ValueError(f"{here} is given twice")
                        node[part] = _merge_new(node[part], inner, here)
                    else:
                        node[part] = inner
                elif part in node:
                    raise ValueError(f"{here} is given twice")
                else:
                    node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise ValueError(f"{here} is given twice")
                node = child
    return out


def _merge_new(old: dict, new: dict, where: str) -> dict:
    out = dict(old)
    for k, v in new.items():
        here = f"{where}.{k}"
        if k not in out:
            out[k] = v
        elif isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = _merge_new(out[k], v, here)
        else:
            raise ValueError(f"{here} is given twice")
    return out


def merge_settings(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` on top: a mapping merges into a mapping key by key, anything
    else (a number, a list, ``null``) replaces the value. Neither argument is changed."""
    out = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_settings(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class SellerSelector(Frozen):
    """Which sellers an event is about: named sellers, whole populations, or every seller who
    follows a strategy preset on the event's day. The lists add up; all empty means every seller
    of the market (the whole product category)."""

    sellers: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                       Field(min_length=0, max_length=1000), Param(
        label="Sellers hit", unit="—", meaning="named sellers the event is about",
        allowed="names under `sellers`")] = []
    populations: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                           Field(min_length=0, max_length=100), Param(
        label="Populations hit", unit="—", meaning="populations whose every member the event is about",
        allowed="names under `populations`")] = []
    presets: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                       Field(min_length=0, max_length=100), Param(
        label="Presets hit", unit="—",
        meaning="strategy presets: the event is about every seller following one on its day "
                "(all three lists empty: every seller)",
        source="seed 002 L231 (the 3·15 exposure hit no-name 微商 as a kind)",
        allowed="preset names (`viralsim presets`)")] = []

    @property
    def everyone(self) -> bool:
        """True when no list names anyone: the event is about every seller."""
        return not (self.sellers or self.populations or self.presets)

    def picks(self, name: str, population: str, preset: str) -> bool:
        """True for a seller of this name, population ("" for a named seller) and preset."""
        return (self.everyone or name in self.sellers or (population != "" and population in self.populations)
                or preset in self.presets)


class TrustShock(SellerSelector):
    """An exogenous blow to the sellers' reputation: a scandal (seed 002 L227–235: the 2015 3·15
    exposure of fake goods sold through 微商 was "灭顶的灾难" for no-name sellers, L231)."""

    trust_factor: Annotated[Prob, Param(
        label="Trust factor", unit="×",
        meaning="factor on the trust every consumer who knows a selected seller has in her; trust then "
                "relaxes back toward its baseline (`trust.half_life`)",
        source="seed 002 L231; size by judgement")]


class StrategySwitch(SellerSelector):
    """Selected sellers change strategy: a new preset, new values of some strategy fields, or both
    (seed 002 L227–235: after the 3·15 shock a brand switched to 全员分销)."""

    to: Annotated[str | None, Field(min_length=1, max_length=200), Param(
        label="New preset", unit="—",
        meaning="preset the selected sellers switch to (their earlier overrides dropped); none: keep their "
                "strategy and change the fields of `set`",
        source="`configs/presets`", allowed="a preset name (`viralsim presets`)")] = None
    set: Annotated[dict[str, Any], Field(max_length=100), Param(
        label="Strategy fields", unit="—",
        meaning="strategy fields and their new values, on top of the preset `to` or of each seller's strategy",
        allowed="strategy fields (as under `sellers.<name>`; dotted paths allowed)")] = {}

    @field_validator("set", mode="before")
    @classmethod
    def _nest(cls, value: Any) -> Any:
        return nest_paths(value) if isinstance(value, Mapping) else value

    @field_validator("set")
    @classmethod
    def _strategy_fields(cls, value: dict) -> dict:
        for name in value:
            if name not in STRATEGY_FIELDS:
                close = difflib.get_close_matches(name, STRATEGY_FIELDS, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"strategy fields: {', '.join(STRATEGY_FIELDS)}"
                raise ValueError(f"{name!r} is not a strategy field; {hint}")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> StrategySwitch:
        if self.to is None and not self.set:
            raise ValueError("give the preset to switch to (`to`), strategy fields to change (`set`), or both")
        return self

    def apply(self, current: Strategy) -> Strategy:
        """The strategy a seller following ``current`` has after the switch."""
        base = Strategy.from_preset(self.to) if self.to is not None else current
        return Strategy.model_validate(merge_settings(base.model_dump(), self.set)) if self.set else base


class Event(Frozen):
    """Something that happens on a day of the run: settings change (``set``), sellers change
    strategy (``switch``), or a scandal lowers trust in sellers (``shock``); exactly one per event.

    An event of day ``d`` takes effect at the start of day ``d``: after day ``d - 1`` is recorded
    and before anything of day ``d`` happens, so day ``d``'s row is the first to show it. Events of
    the same day act in the order they are listed."""

    day: Annotated[int, Field(ge=1, le=MAX_DAYS), Param(
        label="Event day", unit="day", ui=(1, 730, 1),
        meaning="day whose start the event takes effect at (the day's row is the first to show it)",
        allowed="≤ `days`")]
    set: Annotated[dict[str, Any] | None, Field(min_length=1, max_length=100), Param(
        label="Settings changed", unit="—",
        meaning="config settings and their new values from this day on, e.g. `platform.moderation: "
                "harassment_prompt` (a crackdown, seed 002 L341–355); mappings merge, other values replace",
        source="seed 002 L347–351",
        allowed="settings used day by day (not the network, populations, seed, days, trust priors, "
                "`ties.tolerance_spread`, `platform.max_contacts`, a seller's placement or circle)")] = None
    switch: Annotated[StrategySwitch | None, Param(
        label="Strategy switch", unit="—", meaning="sellers changing strategy on the day")] = None
    shock: Annotated[TrustShock | None, Param(
        label="Trust shock", unit="—", meaning="a scandal lowering consumers' trust in sellers on the day",
        source="seed 002 L227–235")] = None

    @field_validator("set", mode="before")
    @classmethod
    def _nest(cls, value: Any) -> Any:
        return nest_paths(value) if isinstance(value, Mapping) else value

    @model_validator(mode="after")
    def _one_kind(self) -> Event:
        given = [k for k in ("set", "switch", "shock") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of set (settings), switch (strategies) and shock (trust)"
                             + (f"; got {', '.join(given)}" if given else ""))
        return self

    @property
    def kind(self) -> str:
        """``set``, ``switch`` or ``shock``."""
        return next(k for k in ("set", "switch", "shock") if getattr(self, k) is not None)


def event_order(events: Sequence[Event]) -> list[int]:
    """Indices of ``events`` in the order they act: by day, then as listed."""
    return sorted(range(len(events)), key=lambda i: events[i].day)


class RunConfig(Frozen):
    """A complete, validated run: network, behaviour, platform, sellers, horizon and seed."""

    name: Annotated[str, Param(label="Run name", unit="—", meaning="run name (names the results folder)")] = "run"
    seed: Annotated[int, Field(ge=0, le=MAX_SEED), Param(
        label="Seed", unit="—", meaning="seed of the run's SeedSequence (§3.1)")] = 0
    days: Annotated[int, Field(ge=1, le=MAX_DAYS), Param(
        label="Days", unit="days", ui=(30, 730, 30), meaning="horizon")] = 180
    network: Annotated[NetworkSpec, Param(
        label="Network kind", unit="—", meaning="friendship graph: the generator or edge list", source="§3.2")] = (
        FriendCirclesNet())
    feed: Annotated[FeedParams, Param(label="Feed", unit="—", meaning="feed and attention (§3.3.7)")] = FeedParams()
    trust: Annotated[TrustParams, Param(label="Trust", unit="—", meaning="trust rules")] = TrustParams()
    annoyance: Annotated[AnnoyanceParams, Param(
        label="Annoyance", unit="—", meaning="annoyance, wear-out and trust erosion (§3.3.15)")] = AnnoyanceParams()
    ties: Annotated[TieParams, Param(label="Ties", unit="—", meaning="mute and block hazards (§3.3.18)")] = TieParams()
    purchase: Annotated[PurchaseParams, Param(
        label="Purchase", unit="—", meaning="needs, purchase and repurchase")] = PurchaseParams()
    wom: Annotated[WomParams, Param(label="Word of mouth", unit="—", meaning="word of mouth after purchase")] = (
        WomParams())
    follow: Annotated[FollowParams, Param(
        label="Following", unit="—", meaning="consumers adding the seller as a contact (§3.3.23)")] = FollowParams()
    forward: Annotated[ForwardParams, Param(
        label="Forwarding", unit="—", meaning="consumers forwarding the sellers' posts to their Moments (§3.3.25)")] = (
        ForwardParams())
    platform: Annotated[PlatformParams, Param(
        label="Platform", unit="—", meaning="platform moderation (§3.3.21)")] = PlatformParams()
    #: (each seller adds state arrays the size of the population)
    sellers: Annotated[dict[str, SellerSpec], Field(max_length=1000), Param(
        label="Sellers", unit="—", meaning="the named sellers (reported day by day)",
        allowed="with the populations: at least one seller, and at most one per person")] = {
        "seller": SellerSpec()}
    populations: Annotated[dict[str, PopulationSpec], Field(max_length=100), Param(
        label="Seller populations", unit="—",
        meaning="many sellers at once, reported by population and by strategy (day by day) and one by one "
                "(run summary)", source="seed 002 L175; seed 003 L321")] = {}
    trace_cascades: Annotated[bool, Param(
        label="Trace cascades", unit="—",
        meaning="record cascade edges (who converted whom); off saves memory in large sweeps. Cascade roots, "
                "and so cascade sizes, are kept either way")] = True
    engine: Annotated[Literal["fast", "reference"], Param(
        label="Engine", unit="—",
        meaning="`fast`: the array engine (compiled loops over NumPy columns); `reference`: one Mesa agent per "
                "consumer, slow and readable, for verification and teaching (up to a few thousand consumers)",
        source="§6")] = "fast"
    events: Annotated[list[Event], Field(max_length=MAX_EVENTS), Param(
        label="Events", unit="—",
        meaning="timed events: settings changed, strategies switched and trust shocks, each at the start of a "
                "day (§3.3.22)",
        source="seed 002 L227–235 (3·15 scandal), L341–355 (platform crackdown)")] = []

    @field_validator("sellers")
    @classmethod
    def _room_for_sellers(cls, value: dict, info: ValidationInfo) -> dict:
        # Sellers are people of the network, each on a node of her own.
        n = network_size(info.data["network"]) if _known(info, "network") else None
        if n is not None and len(value) > n:
            raise ValueError(too_many_sellers(len(value), n, "the network"))
        return value

    @field_validator("populations")
    @classmethod
    def _room_for_populations(cls, value: dict, info: ValidationInfo) -> dict:
        n = network_size(info.data["network"]) if _known(info, "network") else None
        named = len(info.data["sellers"]) if _known(info, "sellers") else 0
        for name in value:
            if "#" in name:
                raise ValueError(f"population name {name!r}: '#' is reserved for member names")
        total = named + sum(p.size(n) if n is not None else (p.count or 0) for p in value.values())
        if total > MAX_SELLERS:
            raise ValueError(f"{total} sellers in all; at most {MAX_SELLERS} are allowed")
        if n is not None and total > n:
            raise ValueError(too_many_sellers(total, n, "the network"))
        if not named and total == 0:
            raise ValueError("no seller: name one under `sellers` or give a population a count or share above 0")
        return value

    @model_validator(mode="after")
    def _resolve_strategies(self) -> RunConfig:
        # Each seller's strategy is resolved once, here. A preset that cannot be used (unknown
        # name, broken file) is left to whoever reads the strategy: the loader reports it with
        # the field's path and the allowed names.
        for spec in self.sellers.values():
            with contextlib.suppress(ValueError):
                _ = spec.resolved
        return self

    @model_validator(mode="after")
    def _events_fit(self) -> RunConfig:
        # Each event is checked against the config in force on its day (the run's config with
        # the earlier events applied), so a bad change is refused when the file is read, not
        # on day 90 of a run; the message names the event, the setting and its value.
        for i, event in enumerate(self.events):
            if event.day > self.days:
                raise PlacedError(f"events.{i}.day", f" = {event.day} is not allowed: must be <= days = {self.days} "
                                  "(an event takes effect at the start of its day, within the run)")
        try:
            for spec in self.sellers.values():
                _ = spec.resolved
        except ValueError:
            return self         # (an unusable preset: the loader names it; events wait for it)
        config = self
        for i in event_order(self.events):
            _check_event(config, self.events[i], i)
            config = config_after(config, self.events[i], i)
        return self


def too_many_sellers(sellers: int, n: int, network: str) -> str:
    """The refusal of ``sellers`` sellers in a ``network`` of ``n`` people (sellers are people
    of the network, each on a node of her own)."""
    return f"{sellers} sellers need a network of at least {sellers} people; {network} has {n}"


def network_size(spec: Any) -> int | None:
    """People in a generated network, None for an edge list (known once the file is read)."""
    if isinstance(spec, StochasticBlockNet):
        return sum(spec.sizes)
    return getattr(spec, "n", None)


# ---------------------------------------------------------------------------------------------
# Events against the run config
# ---------------------------------------------------------------------------------------------


def config_after(config: RunConfig, event: Event, index: int | None = None) -> RunConfig:
    """The config in force from ``event``'s day on, when ``config`` was in force the day before.

    ``set`` merges its settings in; ``switch`` gives the named sellers it selects their new
    strategy (as their spec: the preset ``to`` without the earlier overrides, the fields of
    ``set`` as overrides); ``shock`` changes no setting. The result keeps ``config``'s events.

    Raises
    ------
    PlacedError
        Naming ``events.<index>...``, the setting, its value and what is allowed: a setting the
        market fixed when it was built, a seller the run does not have, a value the schema refuses.
    """
    where = f"events.{index}" if index is not None else "event"
    if event.shock is not None:
        return config
    data = config.model_dump(mode="json")
    data["events"] = []
    if event.set is not None:
        where += ".set"
        _check_fixed(event.set, config, where)
        data = merge_settings(data, event.set)
    else:
        where += ".switch"
        switch = event.switch
        for name, spec in config.sellers.items():
            if not switch.picks(name, "", spec.strategy):
                continue
            new = _switched(switch, spec.resolved, where, event.day)
            written = data["sellers"][name]
            if switch.to is not None:
                written.update({"strategy": switch.to, **dict.fromkeys(STRATEGY_FIELDS)})
            dumped = new.model_dump(mode="json")
            written.update({field: dumped[field] for field in switch.set})
    try:
        out = RunConfig.model_validate(data)
    except ValidationError as exc:
        raise _placed(exc, where, event.day) from None
    if event.set is not None:
        # The schema takes any name for a seller's preset (the loader checks the run's own
        # sellers, :func:`viralsim.config.load.resolve_strategies`), so a ``set`` that gives a
        # seller another preset is checked here, or the run would meet it on the event's day.
        for name, spec in out.sellers.items():
            if spec != config.sellers[name]:
                _check_resolves(spec, f"{where}.sellers.{name}", event.day)
    return out.model_copy(update={"events": config.events})


def _check_resolves(spec: SellerSpec, where: str, day: int) -> None:
    """Refuse a seller spec that an event made and that does not resolve to a strategy: an
    unknown preset, or a preset whose fields with the spec's overrides break a rule of the
    strategy's."""
    names = preset_names()
    if spec.strategy not in names:
        raise PlacedError(f"{where}.strategy", f"{not_one_of(spec.strategy, names)} (in the config in force from "
                          f"day {day})")
    try:
        _ = spec.resolved
    except PresetError as exc:
        raise PlacedError(f"{where}.strategy", f" = {spec.strategy!r} cannot be used: {exc} (in the config in force "
                          f"from day {day})") from None
    except ValidationError as exc:
        raise _strategy_refusal(exc, where, f" (in the config in force from day {day})") from None


def _switched(switch: StrategySwitch, current: Strategy, where: str, day: int) -> Strategy:
    try:
        return switch.apply(current)
    except ValidationError as exc:
        raise _strategy_refusal(exc, f"{where}.set", f" (the event on day {day})") from None


def _strategy_refusal(exc: ValidationError, where: str, tail: str) -> PlacedError:
    """A strategy that ``where`` (a seller's spec, or a switch's fields) made and the schema
    refuses, as a PlacedError naming the field below ``where`` when the error has one."""
    errors = exc.errors(include_url=False)
    detail, path = describe_error(errors[0], Strategy, ())
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if path and detail.startswith(path):
        return PlacedError(f"{where}.{path}", f"{detail[len(path):]}{more}{tail}")
    return PlacedError(where, f": {detail}{more}{tail}")


def _placed(exc: ValidationError, where: str, day: int) -> PlacedError:
    """A refused config in force as a PlacedError naming the event's setting."""
    errors = exc.errors(include_url=False)
    detail, path = describe_error(errors[0], RunConfig, ())
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    tail = f"{more} (in the config in force from day {day})"
    if path and detail.startswith(path):
        return PlacedError(f"{where}.{path}", detail[len(path):] + tail)
    return PlacedError(where, f": {detail}{tail}")


def _check_fixed(changes: Mapping[str, Any], config: RunConfig, where: str) -> None:
    """Refuse a change to a setting the market fixed when it was built, or to a seller it lacks."""
    for key, value in changes.items():
        if key in FIXED_SETTINGS:
            raise PlacedError(f"{where}.{key}", f" cannot be changed by an event: {FIXED_SETTINGS[key]}")
        if key == "sellers":
            if not isinstance(value, Mapping):
                raise PlacedError(f"{where}.sellers", f" = {show_value(value)} is not allowed: give the changes "
                                  "of named sellers, e.g. sellers.NAME.posts_per_day")
            for name, spec in value.items():
                if name not in config.sellers:
                    raise PlacedError(f"{where}.sellers.{name}", ": no such seller, and an event cannot add one (the "
                                      "sellers are placed when the market is built); sellers: "
                                      + ", ".join(config.sellers) + did_you_mean(name, list(config.sellers)))
                if not isinstance(spec, Mapping):
                    raise PlacedError(f"{where}.sellers.{name}", f" = {show_value(spec)} is not allowed: give the "
                                      "seller's changed fields (an event cannot remove a seller)")
                for field in spec:
                    if f"sellers.<name>.{field}" in FIXED_SETTINGS:
                        raise PlacedError(f"{where}.sellers.{name}.{field}", " cannot be changed by an event: "
                                          + FIXED_SETTINGS[f"sellers.<name>.{field}"])
        elif isinstance(value, Mapping):
            for field in value:
                if f"{key}.{field}" in FIXED_SETTINGS:
                    raise PlacedError(f"{where}.{key}.{field}", " cannot be changed by an event: "
                                      + FIXED_SETTINGS[f"{key}.{field}"])


def _check_event(config: RunConfig, event: Event, index: int) -> None:
    """The sellers, populations and presets an event names exist; a switch fits every strategy it meets."""
    selector = event.switch if event.switch is not None else event.shock
    if selector is None:
        return
    where = f"events.{index}.{event.kind}"
    known = {"sellers": list(config.sellers), "populations": list(config.populations), "presets": preset_names()}
    for field, names in known.items():
        for name in getattr(selector, field):
            if name not in names:
                what = {"sellers": "seller", "populations": "population", "presets": "strategy preset"}[field]
                raise PlacedError(f"{where}.{field}", f" = {show_value(getattr(selector, field))} is not allowed: "
                                  f"no {what} {name!r}; known: {', '.join(names) or 'none'}{did_you_mean(name, names)}")
    switch = event.switch
    if switch is None:
        return
    if switch.to is not None and switch.to not in known["presets"]:
        raise PlacedError(f"{where}.to", not_one_of(switch.to, known["presets"]))
    # Population members follow a preset of their population's mix (with some numbers varied):
    # the change must fit each of them, as it must fit each named seller (config_after).
    if switch.to is None:
        for pop_name, pop in config.populations.items():
            for preset in pop.mix:
                if switch.picks("", pop_name, preset):
                    _switched(switch, Strategy.from_preset(preset), where, event.day)
    else:
        _switched(switch, Strategy(), where, event.day)
