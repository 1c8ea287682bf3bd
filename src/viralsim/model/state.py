"""Model state: NumPy columns over consumers, and seller x consumer matrices.

Row ``s`` of every (S, n) matrix is the relation between seller ``s`` and each node. Seller
nodes themselves are nodes of the friendship graph (a seller is a person with a circle of
friends, seed 001 L82) but never act as consumers: ``is_consumer`` is False there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from viralsim.network import Topology

#: tie codes of ``State.tie``: how a consumer is connected to a seller
NO_TIE, STRANGER, WEAK, STRONG = 0, 1, 2, 3
TIE_NAMES = {NO_TIE: "none", STRANGER: "stranger", WEAK: "weak", STRONG: "strong"}

#: purchase channels, the order of the stimulus components (see rules.purchase)
CHANNELS = ("ad", "prize", "value", "message", "reply", "group", "referral", "conformity", "reseller")
REFERRAL = CHANNELS.index("referral")
CONFORMITY = CHANNELS.index("conformity")
RESELLER = CHANNELS.index("reseller")


@dataclass(eq=False)
class State:
    """Everything that changes during a run (plus the fixed graph).

    Consumer columns have length ``n``; relation matrices have shape ``(S, n)``.
    """

    topo: Topology
    seller_nodes: np.ndarray          # (S,) node id of each seller
    is_consumer: np.ndarray           # (n,) bool
    degree: np.ndarray                # (n,) float64, friends in the graph
    organic: np.ndarray               # (2, n) friends' personal posts in the feed per slot
    # consumer columns
    need: np.ndarray                  # (n,) bool: an unmet need for the product category
    tolerant: np.ndarray              # (n,) bool: never mutes or blocks a seller
    activity: np.ndarray              # (n,) platform activity in [0, 1]
    commercial_share: np.ndarray      # (n,) today's commercial share of the feed
    # seller x consumer relation
    tie: np.ndarray                   # (S, n) int8, NO_TIE/STRANGER/WEAK/STRONG
    trust: np.ndarray                 # (S, n) float64 in [0, 1]
    baseline: np.ndarray              # (S, n) float64, trust relaxes toward it
    annoyance: np.ndarray             # (S, n) float64 >= 0
    memory: np.ndarray                # (S, n) float64, recent ad exposures (wear-out)
    referral: np.ndarray              # (S, n) float64, pull of recent recommendations
    referrer: np.ndarray              # (S, n) int32, last recommender (-1 none)
    referrer_strong: np.ndarray       # (S, n) bool, tie type of that recommendation
    root: np.ndarray                  # (S, n) int32, cascade root of the first purchase (-1)
    purchases: np.ndarray             # (S, n) int32
    bought_friends: np.ndarray        # (S, n) int32, friends who bought from the seller
    reseller_friends: np.ndarray      # (S, n) int32, friends who resell for the seller
    aware: np.ndarray                 # (S, n) bool
    muted: np.ndarray                 # (S, n) bool: hides the seller's Moments (tie kept)
    blocked: np.ndarray               # (S, n) bool: blocked/unfriended (acts as a removed tie)
    in_group: np.ndarray              # (S, n) bool
    engaged: np.ndarray               # (S, n) bool: may feel a pull beyond today's contacts
                                      #   (a recommendation, a friend who bought, a group)
    reseller: np.ndarray              # (S, n) bool
    group_activity: np.ndarray        # (S,) float64 in [0, 1]
    day: int = 0
    trace_cascades: bool = True
    cascade_log: list = field(default_factory=list)   # arrays (seller, parent, child, day)
    scratch: "Day | None" = field(default=None, repr=False)   # the day's counters, reused daily

    @property
    def n(self) -> int:
        return self.topo.n

    @property
    def n_sellers(self) -> int:
        return len(self.seller_nodes)

    def contacts(self, s: int) -> np.ndarray:
        """Boolean mask of the seller's current contacts (followers): tied and not blocked."""
        return (self.tie[s] > NO_TIE) & ~self.blocked[s]

    def check_invariants(self) -> None:
        """Raise AssertionError if the state is inconsistent (used by tests)."""
        assert np.all((self.trust >= 0) & (self.trust <= 1)), "trust outside [0, 1]"
        assert np.all(self.annoyance >= 0), "negative annoyance"
        assert np.all((self.activity >= 0) & (self.activity <= 1)), "activity outside [0, 1]"
        assert not np.any(self.need & ~self.is_consumer), "a seller node has a need"
        assert not np.any(self.purchases[:, ~self.is_consumer]), "a seller node bought"
        assert not np.any(self.blocked & (self.tie == NO_TIE)), "blocked without a tie"
        assert np.all(self.bought_friends >= 0) and np.all(self.reseller_friends >= 0)
        assert not np.any((self.bought_friends > 0) & ~self.engaged), "a pull not marked engaged"
        assert not np.any(self.in_group & ~self.engaged), "a group member not marked engaged"


#: the Day counters in buffer order: name and dtype (int16 suffices for one day's counts, posts
#: per day being capped at 1000, and halves memory traffic; reseller ads can exceed it)
_DAY_FIELDS = (
    ("seen_ad", np.int16), ("seen_prize", np.int16), ("seen_value", np.int16), ("seen_life", np.int16),
    ("seen_ad_idle", np.int16), ("seen_prize_idle", np.int16), ("messages", np.int16),
    ("group_seen", np.int16), ("seen_reseller", np.int32), ("solicited", np.bool_),
    ("replied", np.bool_), ("touched", np.bool_), ("saw_posts", np.bool_), ("impulse", np.bool_),
)


@dataclass(eq=False)
class Day:
    """Scratch counters of one day, all (S, n) unless noted; zeroed every day.

    Every counter is a view into one byte buffer (``_buffer``), so the daily reset is a single
    memset instead of one per counter.
    """

    seen_ad: np.ndarray
    seen_prize: np.ndarray
    seen_value: np.ndarray
    seen_life: np.ndarray
    seen_ad_idle: np.ndarray          # ads seen in the idle slot
    seen_prize_idle: np.ndarray       # prize posts seen in the idle slot
    messages: np.ndarray              # direct messages received
    group_seen: np.ndarray            # group value posts read today
    seen_reseller: np.ndarray
    solicited: np.ndarray             # bool, message answered a need
    replied: np.ndarray               # bool, enquiry answered today
    touched: np.ndarray               # bool, any contact with the seller today
    saw_posts: np.ndarray             # bool, read a post about the seller's product today
    impulse: np.ndarray               # bool, an ad created a want for the seller's product today
    commercial_load: np.ndarray       # (n,) commercial posts in the feed today
    _buffer: np.ndarray = field(repr=False)

    def reach(self, s: int) -> int:
        """Consumers touched by seller ``s`` today (call after all contact rules)."""
        return int(np.count_nonzero(self.touched[s]))

    def reset(self) -> "Day":
        """Zero every counter in place (reusing the buffer saves allocation and page faults)."""
        self._buffer.fill(0)
        return self

    @classmethod
    def for_state(cls, state: "State") -> "Day":
        """The state's scratch Day, zeroed (created on first use)."""
        day = state.scratch
        if day is None or day.touched.shape != (state.n_sellers, state.n):
            state.scratch = day = cls.empty(state.n_sellers, state.n)
            return day
        return day.reset()

    def __reduce__(self):
        # Copies and pickles must keep the counters views of one buffer, or reset() would miss them.
        return (Day.from_buffer, (self._buffer, *self.touched.shape))

    @classmethod
    def empty(cls, n_sellers: int, n: int) -> "Day":
        """A zeroed Day for ``n_sellers`` sellers and ``n`` nodes."""
        return cls.from_buffer(np.zeros(cls._buffer_size(n_sellers, n), dtype=np.uint8), n_sellers, n)

    @staticmethod
    def _buffer_size(n_sellers: int, n: int) -> int:
        return n * 8 + sum(n_sellers * n * np.dtype(dt).itemsize for _, dt in _DAY_FIELDS)

    @classmethod
    def from_buffer(cls, buffer: np.ndarray, n_sellers: int, n: int) -> "Day":
        """A Day whose counters are views into ``buffer`` (uint8, ``_buffer_size`` bytes)."""
        # commercial_load (float64) goes first so that every view is aligned to its item size
        views = {"commercial_load": buffer[:n * 8].view(np.float64)}
        at = n * 8
        for name, dt in _DAY_FIELDS:
            size = n_sellers * n * np.dtype(dt).itemsize
            views[name] = buffer[at:at + size].view(dt).reshape(n_sellers, n)
            at += size
        return cls(**views, _buffer=buffer)
