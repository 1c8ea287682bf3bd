"""Sparse seller–consumer relations: one row per pair that has anything to remember.

A relation exists once a seller and a consumer have met: a contact of any tie type, a stranger
the seller added, a friend reached by a recommendation or a warning, a friend of a buyer or of a
reseller, a group member, a buyer, a KOL seed. A pair without a relation has the values every
new relation starts with (no tie, trust at the stranger prior and equal to its baseline, nothing
else), which are fixed points of the daily dynamics: trust relaxes toward its baseline and the
stocks decay toward 0. So the sparse table holds exactly what the dense seller × consumer
matrices held, and a day costs O(consumers + relations + posts delivered), never
O(sellers × consumers).

Layout: every column is a NumPy array of the table's capacity; the first ``size`` rows are in
use, in the order the relations were made (never reordered, never removed: a blocked contact
keeps her row with ``blocked`` set). An open-addressing hash table (``index``: linear probing)
maps the key ``seller × n + node`` to the row. A slot is one word, ``key << shift | row``, when
the key's bits and the row's fit in the 63 bits of a non-negative int64: ``shift`` is 32 when
every key is below 2^31, else 63 less the bits of the largest key (29 for 10,000 sellers among a
million people: up to 2^29 rows, a table of some 70 GB); otherwise, or once the table would
outgrow the rows that ``shift`` holds, two words, the key and its row side by side (``meta``'s
``shift`` is then 0).
Two views, by seller and by consumer, keep each key's rows in the order they were made (for a
seller, the order her random stream meets them, so a seller's draws do not depend on other
sellers' relations), side by side in a segment of a pool with room to spare (``seller_seg`` and
``node_seg``: start, count and room of the key's segment; ``seller_pool`` and ``node_pool``):
the rows a day makes are appended in O(1) copies each on average (a full segment moves to the
end of the pool with twice the room; the pool is rebuilt without holes, with room for half of
each key's rows again, when its entries in use pass twice the rows: see
:func:`segment_view`), where a CSR view costs a pass over every key and a copy of every row each
day (a million consumers in a market of a
million people; two million rows in a market of 1,000 sellers among 100,000), and the rules
that walk a seller's or a consumer's rows read them side by side.

The table is a NamedTuple of arrays, which compiled code takes and returns as a value: when a
rule has to add more rows than the capacity holds, :func:`reserve` returns a grown copy and the
caller carries on with it (row numbers never change). The old and the new table are then alive
together, so the model grows the table ahead, between compiled calls, when the coming days may
fill it (:func:`make_room`: a column at a time, at a peak of one table and a column).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from viralsim._jit import kernel

#: tie codes of ``Relations.tie``: how a consumer is connected to a seller
NO_TIE, STRANGER, WEAK, STRONG = 0, 1, 2, 3
TIE_NAMES = {NO_TIE: "none", STRANGER: "stranger", WEAK: "weak", STRONG: "strong"}

#: the lasting columns of a relation: name, dtype, value of a new relation (None: the stranger
#: prior of trust, a run constant; see :func:`empty`)
STATE_COLUMNS = (
    ("seller", np.int32, -1),           # seller index
    ("node", np.int32, -1),             # consumer node id
    ("tie", np.int8, NO_TIE),           # NO_TIE/STRANGER/WEAK/STRONG
    ("trust", np.float64, None),        # in [0, 1]
    ("baseline", np.float64, None),     # trust relaxes toward it (the tie's prior)
    ("annoyance", np.float64, 0.0),     # >= 0
    ("memory", np.float64, 0.0),        # recent ad exposures (wear-out)
    ("referral", np.float64, 0.0),      # pull of recent recommendations
    ("referrer", np.int32, -1),         # last recommender (-1 none)
    ("referrer_strong", np.bool_, False),   # tie type of that recommendation
    ("root", np.int32, -1),             # cascade root of the first purchase (-1)
    ("purchases", np.int32, 0),
    ("bought_friends", np.int32, 0),    # friends who bought from the seller
    ("reseller_friends", np.int32, 0),  # friends who resell for the seller
    ("aware", np.bool_, False),
    ("muted", np.bool_, False),         # hides the seller's Moments (tie kept)
    ("blocked", np.bool_, False),       # blocked/unfriended (acts as a removed tie)
    ("in_group", np.bool_, False),
    ("engaged", np.bool_, False),       # may feel a pull beyond today's contacts
    ("reseller", np.bool_, False),
    ("pushed", np.int32, 0),            # days the seller pushed her (own ads seen or a message)
    ("forwarded", np.int32, 0),         # the seller's posts her friends forwarded yesterday, in her feed today
)
#: the reseller-tree columns (rules.resell), kept in a side table with one entry per relation
#: whose consumer was ever recruited as a reseller (every other relation has the values below):
#: name, dtype, value of a relation without an entry. Fields ``tree_<name>`` of the table,
#: indexed by entry; :func:`tree_entry` finds a row's entry, :func:`tree_column` gives a column
#: by row.
TREE_COLUMNS = (
    ("upline", np.int32, -1),           # the reseller who recruited her (-1: the seller herself)
    ("level", np.int8, 0),              # her level in the reseller tree (0 never a reseller)
    ("stock", np.int16, 0),             # units of the seller's product she holds to resell
    ("stock_day", np.int32, -1),        # the last day her stock moved (loaded, sold, restocked)
)
#: the day's counters of a relation, zeroed every morning (int16 suffices for one day's counts:
#: posts per day are at most 1000 and a contact gets at most one message a day; reseller ads can
#: exceed it)
DAY_COLUMNS = (
    ("seen_ad", np.int16), ("seen_prize", np.int16), ("seen_value", np.int16), ("seen_life", np.int16),
    ("seen_ad_idle", np.int16), ("seen_prize_idle", np.int16), ("messages", np.int16),
    ("group_seen", np.int16), ("seen_reseller", np.int32), ("solicited", np.bool_),
    ("replied", np.bool_), ("touched", np.bool_), ("saw_posts", np.bool_), ("impulse", np.bool_),
    ("opened", np.bool_), ("seen_forward", np.int32),
)


class Relations(NamedTuple):
    """The relation table (see the module docstring). ``meta`` holds ``size, n, views_size,
    shift, tree, pool, seller_pool`` (shift: the row's bits in one-word hash slots, 0 for
    two-word ones; tree: reseller-tree entries; pool, seller_pool: entries of the by-consumer and
    the by-seller view's pools in use); ``prior`` the trust a new relation starts with."""

    seller: np.ndarray
    node: np.ndarray
    tie: np.ndarray
    trust: np.ndarray
    baseline: np.ndarray
    annoyance: np.ndarray
    memory: np.ndarray
    referral: np.ndarray
    referrer: np.ndarray
    referrer_strong: np.ndarray
    root: np.ndarray
    purchases: np.ndarray
    bought_friends: np.ndarray
    reseller_friends: np.ndarray
    aware: np.ndarray
    muted: np.ndarray
    blocked: np.ndarray
    in_group: np.ndarray
    engaged: np.ndarray
    reseller: np.ndarray
    pushed: np.ndarray
    forwarded: np.ndarray
    seen_ad: np.ndarray
    seen_prize: np.ndarray
    seen_value: np.ndarray
    seen_life: np.ndarray
    seen_ad_idle: np.ndarray
    seen_prize_idle: np.ndarray
    messages: np.ndarray
    group_seen: np.ndarray
    seen_reseller: np.ndarray
    solicited: np.ndarray
    replied: np.ndarray
    touched: np.ndarray
    saw_posts: np.ndarray
    impulse: np.ndarray
    opened: np.ndarray
    seen_forward: np.ndarray
    index: np.ndarray           # hash slots (-1 empty): key seller * n + node << shift | row, or key, row
    seller_seg: np.ndarray      # (3, S) view by seller: the start, count and room of her segment
    seller_pool: np.ndarray     #   of the pool: her rows are seller_pool[start:start + count]
    node_seg: np.ndarray        # (3, n) view by consumer: the start, count and room of her segment
    node_pool: np.ndarray       #   of the pool: her rows are node_pool[start:start + count]
    tree_index: np.ndarray      # hash slots (-1 empty): relation row << 32 | its reseller-tree entry
    tree_row: np.ndarray        # int64: the relation row of each reseller-tree entry
    tree_upline: np.ndarray     # the reseller-tree columns (TREE_COLUMNS), by entry
    tree_level: np.ndarray
    tree_stock: np.ndarray
    tree_stock_day: np.ndarray
    meta: np.ndarray            # int64: size, n, rows covered by the views, shift of the packed key,
                                #   reseller-tree entries, entries of the consumer view's pool and of
                                #   the seller view's pool in use
    prior: np.ndarray           # float64: (trust of a new relation,)


_SIZE, _N, _VIEWS, _SHIFT, _TREE, _POOL, _SELLER_POOL = 0, 1, 2, 3, 4, 5, 6
#: bits of the row in a one-word hash slot when every key is below 2^31 (and always in the
#: reseller-tree index, whose keys are rows)
_ROW_BITS = 32
assert tuple(Relations._fields[:len(STATE_COLUMNS) + len(DAY_COLUMNS)]) == (
    tuple(c[0] for c in STATE_COLUMNS) + tuple(c[0] for c in DAY_COLUMNS))


def empty(n: int, n_sellers: int, capacity: int, prior: float, *, row_bits: int = _ROW_BITS) -> Relations:
    """A table for ``n`` nodes and ``n_sellers`` sellers with room for ``capacity`` relations.

    ``row_bits`` caps the row's bits in a one-word hash slot (tests use it to reach the layouts
    of huge markets in small ones)."""
    capacity = max(int(capacity), 16)
    cols = {}
    for name, dt, value in STATE_COLUMNS:
        cols[name] = np.full(capacity, prior if value is None else value, dtype=dt)
    for name, dt in DAY_COLUMNS:
        cols[name] = np.zeros(capacity, dtype=dt)
    shift = min(packed_shift(n_sellers * n, capacity), row_bits)
    # (no reseller-tree entries: the side table starts empty and grows with the recruits)
    tree = {"tree_" + name: np.full(0, value, dtype=dt) for name, dt, value in TREE_COLUMNS}
    return Relations(**cols, index=_new_index(capacity, shift), seller_seg=np.zeros((3, n_sellers), np.int64),
                     seller_pool=np.zeros(0, np.int32), node_seg=np.zeros((3, n), np.int64),
                     node_pool=np.zeros(0, np.int32), tree_index=np.full(32, -1, dtype=np.int64),
                     tree_row=np.zeros(0, np.int64), **tree, meta=np.array([0, n, 0, shift, 0, 0, 0], dtype=np.int64),
                     prior=np.array([prior]))


def _new_index(capacity: int, shift: int):
    """An empty hash index for ``capacity`` rows: 1.25–2.5 slots a row (see :func:`reserve`). A slot
    holds the key and its row together, packed into one word (``shift`` > 0) or in two words
    side by side: a lookup reads one cache line, not one in a key array and another in a row
    array; packed, a slot costs 8 bytes instead of 16."""
    size = int(_index_slots(capacity))
    return np.full(size if shift else 2 * size, -1, dtype=np.int64)


@kernel
def _index_slots(cap):
    """Slots of the hash index for a table of ``cap`` rows: 1.25–2.5 a row (see :func:`reserve`)."""
    return np.int64(1) << max(5, _bit_length(cap + cap // 4 - 1))


@kernel
def _index_shift(shift, cap):
    """The row's bits in a one-word slot once the table has ``cap`` rows: ``shift``, or 0
    (two-word slots) when the rows would no longer fit beside the key."""
    return shift if shift > 0 and cap <= (np.int64(1) << shift) else 0


@kernel
def packed_shift(n_keys, capacity):
    """The row's bits in a one-word hash slot for keys below ``n_keys`` and up to ``capacity``
    rows: 32 when every key is below 2^31, else 63 less the bits of the largest key; 0 (two-word
    slots) when that leaves too few bits for the rows."""
    return _index_shift(min(_ROW_BITS, 63 - _bit_length(max(n_keys - 1, 0))), capacity)


@kernel
def size(rel):
    """Rows in use."""
    return rel.meta[_SIZE]


@kernel
def viewed(rel):
    """Rows the by-seller and by-consumer views cover (rows 0 .. viewed - 1; rows made since
    :func:`with_views` are in neither)."""
    return rel.meta[_VIEWS]


@kernel
def _slot(key, mask):
    """Home slot of a key (Fibonacci hashing; the multiply spreads consecutive keys)."""
    return np.int64((np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)) & mask


@kernel
def find(rel, s, node):
    """Row of the relation between seller ``s`` and ``node``, or -1."""
    return find_row(rel.index, rel.meta, s, node)


@kernel
def _find_packed(index, key, shift):
    """The value stored with ``key`` in a hash of one-word slots (``key << shift | value``, -1
    empty; linear probing), or -1."""
    mask = index.shape[0] - 1
    low = (np.int64(1) << shift) - 1
    j = _slot(key, mask)
    while True:
        k = index[j]
        if k < 0:
            return -1
        if (k >> shift) == key:
            return k & low
        j = (j + 1) & mask


@kernel
def find_row(index, meta, s, node):
    """:func:`find` on the table's arrays (hot loops pass arrays, never the whole table: a
    NamedTuple of dozens of arrays costs far more to pass than the lookup itself)."""
    key = np.int64(s) * meta[_N] + node
    shift = meta[_SHIFT]
    if shift > 0:
        return _find_packed(index, key, shift)
    mask = (index.shape[0] >> 1) - 1
    j = _slot(key, mask)
    while True:
        k = index[2 * j]
        if k == key:
            return index[2 * j + 1]
        if k < 0:
            return -1
        j = (j + 1) & mask


@kernel
def _insert_key(index, shift, key, row):
    if shift > 0:
        mask = index.shape[0] - 1
        j = _slot(key, mask)
        while index[j] >= 0:
            j = (j + 1) & mask
        index[j] = (key << shift) | row
        return
    mask = (index.shape[0] >> 1) - 1
    j = _slot(key, mask)
    while index[2 * j] >= 0:
        j = (j + 1) & mask
    index[2 * j] = key
    index[2 * j + 1] = row


@kernel
def add(rel, s, node):
    """Row of the (s, node) relation, made with the new-relation values if it did not exist.

    The caller has reserved room (:func:`reserve`); a full table raises instead of writing past
    its end."""
    return add_row(rel.index, rel.meta, rel.seller, rel.node, s, node)


@kernel
def add_row(index, meta, seller, node_col, s, node):
    """:func:`add` on the table's arrays."""
    row = find_row(index, meta, s, node)
    if row >= 0:
        return row
    row = meta[_SIZE]
    if row >= seller.shape[0]:
        raise ValueError("relations: the table is full (reserve room before adding)")
    seller[row] = s
    node_col[row] = node
    meta[_SIZE] = row + 1
    _insert_key(index, meta[_SHIFT], np.int64(s) * meta[_N] + node, row)
    return row


@kernel
def grown(a, capacity):
    """``a`` copied into a new array of ``capacity`` entries (the rest uninitialised): a buffer
    that has filled up, made larger."""
    out = np.empty(capacity, a.dtype)
    out[:a.shape[0]] = a
    return out


@kernel
def _grown_fill(a, capacity, value):
    out = np.empty(capacity, a.dtype)
    out[:a.shape[0]] = a
    out[a.shape[0]:] = value
    return out


@kernel
def reserve(rel, extra):
    """The table with room for ``extra`` more relations: ``rel`` itself, or a copy with at least
    1.5 times the capacity (rows keep their numbers; new rows hold the new-relation values).

    Memory: a row costs about 114 bytes of columns, 14–24 of views (4-byte entries by seller and
    by consumer, 1.7–3 entries a row each with the spare room and the holes) and 10–20
    of hash slots (20–40 with two-word slots; the hash holds 1.25–2.5 slots per row of capacity,
    so its load factor stays at most 0.8: linear probing then needs about 3 probes per hit at
    worst, 8 slots to a cache line, and 1.5 at half load). Growing by 1.5 rather
    than 2 leaves a quarter of the table unused on average instead of half, and while the copy
    is made both tables are alive: the peak is 2.5 tables, not 3. (The reseller-tree side table
    grows on its own: :func:`reserve_tree`.)"""
    used = rel.meta[_SIZE]
    capacity = rel.seller.shape[0]
    if used + extra <= capacity:
        return rel
    cap = max(capacity + capacity // 2, used + extra)
    p = rel.prior[0]
    meta = rel.meta.copy()              # (a meta of its own: the old table keeps the size that fits its arrays)
    meta[_SHIFT] = _index_shift(meta[_SHIFT], cap)
    index = _indexed(rel.seller, rel.node, used, meta[_N], _index_slots(cap), meta[_SHIFT])
    return Relations(
        _grown_fill(rel.seller, cap, -1), _grown_fill(rel.node, cap, -1), _grown_fill(rel.tie, cap, NO_TIE),
        _grown_fill(rel.trust, cap, p), _grown_fill(rel.baseline, cap, p), _grown_fill(rel.annoyance, cap, 0.0),
        _grown_fill(rel.memory, cap, 0.0), _grown_fill(rel.referral, cap, 0.0), _grown_fill(rel.referrer, cap, -1),
        _grown_fill(rel.referrer_strong, cap, False), _grown_fill(rel.root, cap, -1),
        _grown_fill(rel.purchases, cap, 0), _grown_fill(rel.bought_friends, cap, 0),
        _grown_fill(rel.reseller_friends, cap, 0), _grown_fill(rel.aware, cap, False),
        _grown_fill(rel.muted, cap, False), _grown_fill(rel.blocked, cap, False),
        _grown_fill(rel.in_group, cap, False), _grown_fill(rel.engaged, cap, False),
        _grown_fill(rel.reseller, cap, False), _grown_fill(rel.pushed, cap, 0),
        _grown_fill(rel.forwarded, cap, 0),
        _grown_fill(rel.seen_ad, cap, 0), _grown_fill(rel.seen_prize, cap, 0), _grown_fill(rel.seen_value, cap, 0),
        _grown_fill(rel.seen_life, cap, 0), _grown_fill(rel.seen_ad_idle, cap, 0),
        _grown_fill(rel.seen_prize_idle, cap, 0), _grown_fill(rel.messages, cap, 0),
        _grown_fill(rel.group_seen, cap, 0), _grown_fill(rel.seen_reseller, cap, 0),
        _grown_fill(rel.solicited, cap, False), _grown_fill(rel.replied, cap, False),
        _grown_fill(rel.touched, cap, False), _grown_fill(rel.saw_posts, cap, False),
        _grown_fill(rel.impulse, cap, False), _grown_fill(rel.opened, cap, False),
        _grown_fill(rel.seen_forward, cap, 0),
        index, rel.seller_seg, rel.seller_pool, rel.node_seg, rel.node_pool, rel.tree_index, rel.tree_row,
        rel.tree_upline, rel.tree_level, rel.tree_stock, rel.tree_stock_day, meta, rel.prior)


def capacity(rel: Relations) -> int:
    """Rows the table has room for."""
    return int(rel.seller.shape[0])


def make_room(box: list, extra: int) -> Relations:
    """The table in ``box`` (a list holding it, which this empties) with room for ``extra``
    more relations, grown between compiled calls: like :func:`reserve`, with the peak of a
    table and a column instead of two and a half tables.

    Compiled code cannot let go of the old table while it builds the new one (the caller holds
    it until the call returns), so :func:`reserve` peaks at the old and the new table together.
    Here the caller hands the table over (``box``: no name of the caller's keeps it alive) and
    each column is copied into its new array and released before the next one is made. A market
    that grows by millions of relations a month (a million people among 10,000 sellers) then
    peaks at about one table instead of 2.5. Rows keep their numbers; the new rows hold the
    new-relation values; the hash index is rebuilt only when the new capacity needs more slots
    (or two-word ones), as :func:`reserve` rebuilds it."""
    rel = box.pop()
    used = int(rel.meta[_SIZE])
    cap = capacity(rel)
    if used + extra <= cap:
        return rel
    cap = used + int(extra)
    cols = dict(zip(rel._fields, rel))
    del rel                             # (from here on ``cols`` holds the only reference)
    p = float(cols["prior"][0])
    for name, _dt, value in STATE_COLUMNS + tuple((name, dt, dt(0).item()) for name, dt in DAY_COLUMNS):
        old = cols.pop(name)
        # (made by compiled code, as reserve's are: 64-byte aligned, where NumPy's large arrays
        # start 16 bytes into a page and the vectorized loops' loads straddle cache lines)
        new = _grown_fill(old[:used], cap, p if value is None else value)   # (the values reserve passes)
        del old                         # (released before the next column is made)
        cols[name] = new
    meta = cols["meta"].copy()
    shift = int(_index_shift(meta[_SHIFT], cap))
    slots = int(_index_slots(cap))
    index = cols["index"]
    if shift != meta[_SHIFT] or (index.shape[0] if shift else index.shape[0] // 2) < slots:
        meta[_SHIFT] = shift
        cols["index"] = None
        del index
        cols["index"] = _indexed(cols["seller"], cols["node"], used, meta[_N], slots, shift)
    cols["meta"] = meta
    return Relations(**cols)


@kernel
def _indexed(seller, node, used, n, slots, shift):
    """A hash index of ``slots`` slots (one-word when ``shift`` > 0, else two-word) holding rows
    0 .. used - 1."""
    index = np.full(slots if shift > 0 else 2 * slots, -1, dtype=np.int64)
    for row in range(used):
        _insert_key(index, shift, np.int64(seller[row]) * n + node[row], row)
    return index


@kernel
def _bit_length(x):
    b = 0
    while x > 0:
        x >>= 1
        b += 1
    return b


@kernel
def clear_day(rel):
    """Zero the day's counters of every row in use."""
    m = rel.meta[_SIZE]
    rel.seen_ad[:m] = 0
    rel.seen_prize[:m] = 0
    rel.seen_value[:m] = 0
    rel.seen_life[:m] = 0
    rel.seen_ad_idle[:m] = 0
    rel.seen_prize_idle[:m] = 0
    rel.messages[:m] = 0
    rel.group_seen[:m] = 0
    rel.seen_reseller[:m] = 0
    rel.solicited[:m] = False
    rel.replied[:m] = False
    rel.touched[:m] = False
    rel.saw_posts[:m] = False
    rel.impulse[:m] = False
    rel.opened[:m] = False
    rel.seen_forward[:m] = 0


@kernel
def counting_view(keys, n_keys, m):
    """(ptr, rows): rows 0..m-1 grouped by ``keys[row]`` in [0, n_keys), stably (a counting sort)."""
    ptr = np.zeros(n_keys + 1, np.int64)
    for row in range(m):
        ptr[keys[row] + 1] += 1
    for k in range(n_keys):
        ptr[k + 1] += ptr[k]
    at = ptr[:n_keys].copy()
    rows = np.empty(m, np.int64)
    for row in range(m):
        k = keys[row]
        rows[at[k]] = row
        at[k] += 1
    return ptr, rows


@kernel
def seller_groups(rel, rows, k, n_sellers):
    """(ptr, order): entries 0..k-1 of ``rows`` (rows of the table) grouped by their seller,
    stably: seller s's are ``rows[order[ptr[s]:ptr[s + 1]]]``, in the order they come in ``rows``
    (the order her stream meets them)."""
    keys = np.empty(k, np.int64)
    for j in range(k):
        keys[j] = rel.seller[rows[j]]
    return counting_view(keys, n_sellers, k)


@kernel
def segment_view(keys, seg, pool, used, v, m):
    """Append rows v..m-1 to their keys' segments of ``pool`` (``seg[0, k]``, ``seg[1, k]``,
    ``seg[2, k]``: start, count and room of key k's segment; ``used``: pool entries in use), in
    place. A full segment moves to the end of the pool with twice the room (its old place
    becomes a hole); the pool grows by half when that needs room, and is rebuilt without holes,
    each segment with room for half its rows again, when the entries in use pass twice the rows.
    A day's rows cost O(1) copies each on average, where a CSR view copies every row each day it
    is extended: a key moves only once its room is full, and a move gives it at most six times
    the rows it gained since its last move or the rebuild (a key rebuilt with c rows has room
    for 1.5c; it moves after gaining c/2, to room 3c), so the room of more than m/2 entries that
    the moves add between two rebuilds takes more than m/12 new rows. (Rebuilt at three times
    the rows, the pools held 3-4 entries a row, 10 bytes a row more than now.) Returns (pool,
    used).
    The pool holds rows as int32 (4 bytes a row instead of 8: with its spare room it costs about
    what a CSR view of int64 rows did), which holds any table that fits in memory (2^31 rows
    would take some 300 GB)."""
    if m > 2**31 - 1:
        raise ValueError("relations: more than 2^31 - 1 relations")
    n_keys = seg.shape[1]
    for row in range(v, m):
        k = keys[row]
        c = seg[1, k]
        if c == seg[2, k]:
            room = max(2, 2 * c)
            if used + room > pool.shape[0]:
                pool = grown(pool, max(used + room, pool.shape[0] + pool.shape[0] // 2))
            start = seg[0, k]
            for j in range(c):
                pool[used + j] = pool[start + j]
            seg[0, k] = used
            seg[2, k] = room
            used += room
        pool[seg[0, k] + c] = row
        seg[1, k] = c + 1
    if used > 2 * m + 1024:
        # Rebuilt without holes, each segment with room for half its rows again: packed with no
        # room, every key that gains a row moves at once, and when every key gains rows each day
        # (a market's sellers) the moves pass the bound again the next day: a full copy a day.
        total = 0
        for k in range(n_keys):
            total += seg[1, k] + (seg[1, k] + 1) // 2
        packed = np.empty(total + total // 8 + 1024, np.int32)
        at = 0
        for k in range(n_keys):
            start, c = seg[0, k], seg[1, k]
            for j in range(c):
                packed[at + j] = pool[start + j]
            seg[0, k] = at
            seg[2, k] = c + (c + 1) // 2
            at += seg[2, k]
        pool, used = packed, at
    return pool, used


@kernel
def with_views(rel):
    """The table with its by-seller and by-consumer views covering every row in use (the views
    of the rows covered before are extended, not rebuilt)."""
    m = rel.meta[_SIZE]
    v = rel.meta[_VIEWS]
    if v == m:
        return rel
    s_pool, s_used = segment_view(rel.seller, rel.seller_seg, rel.seller_pool, rel.meta[_SELLER_POOL], v, m)
    pool, used = segment_view(rel.node, rel.node_seg, rel.node_pool, rel.meta[_POOL], v, m)
    rel.meta[_SELLER_POOL] = s_used
    rel.meta[_POOL] = used
    rel.meta[_VIEWS] = m
    return Relations(
        rel.seller, rel.node, rel.tie, rel.trust, rel.baseline, rel.annoyance, rel.memory, rel.referral,
        rel.referrer, rel.referrer_strong, rel.root, rel.purchases, rel.bought_friends, rel.reseller_friends,
        rel.aware, rel.muted, rel.blocked, rel.in_group, rel.engaged, rel.reseller, rel.pushed, rel.forwarded,
        rel.seen_ad, rel.seen_prize, rel.seen_value, rel.seen_life, rel.seen_ad_idle, rel.seen_prize_idle,
        rel.messages, rel.group_seen, rel.seen_reseller, rel.solicited, rel.replied, rel.touched, rel.saw_posts,
        rel.impulse, rel.opened, rel.seen_forward, rel.index, rel.seller_seg, s_pool, rel.node_seg, pool,
        rel.tree_index, rel.tree_row, rel.tree_upline, rel.tree_level, rel.tree_stock, rel.tree_stock_day, rel.meta,
        rel.prior)


# -- the reseller-tree side table -----------------------------------------------------------------
# Four columns that only resellers use (rules.resell) would cost every relation 11 bytes; a
# market's resellers are a small share of its relations (none in most markets), so they live
# in a side table: an entry per relation whose consumer was ever recruited (made at recruitment,
# never removed: a loaded reseller keeps her units), found through a hash on the relation row.


@kernel
def tree_size(rel):
    """Reseller-tree entries in use."""
    return rel.meta[_TREE]


@kernel
def tree_entry(rel, row):
    """Reseller-tree entry of relation ``row``, or -1 (never recruited: the columns' defaults)."""
    return _find_packed(rel.tree_index, np.int64(row), _ROW_BITS)


@kernel
def tree_stock(rel, row):
    """Units relation ``row`` holds to resell (0 without a reseller-tree entry)."""
    e = tree_entry(rel, row)
    return np.int64(rel.tree_stock[e]) if e >= 0 else np.int64(0)


@kernel
def reserve_tree(rel, extra):
    """The table with room for ``extra`` more reseller-tree entries: ``rel`` itself, or a copy
    whose side table is at least twice as large (the relation columns are shared, not copied)."""
    used = rel.meta[_TREE]
    capacity = rel.tree_row.shape[0]
    if used + extra <= capacity:
        return rel
    cap = max(2 * capacity, used + extra, 16)
    index = np.full(1 << max(5, _bit_length(2 * cap - 1)), -1, dtype=np.int64)     # 2-4 slots an entry
    for e in range(used):
        _insert_key(index, _ROW_BITS, rel.tree_row[e], e)
    return Relations(
        rel.seller, rel.node, rel.tie, rel.trust, rel.baseline, rel.annoyance, rel.memory, rel.referral,
        rel.referrer, rel.referrer_strong, rel.root, rel.purchases, rel.bought_friends, rel.reseller_friends,
        rel.aware, rel.muted, rel.blocked, rel.in_group, rel.engaged, rel.reseller, rel.pushed, rel.forwarded,
        rel.seen_ad, rel.seen_prize, rel.seen_value, rel.seen_life, rel.seen_ad_idle, rel.seen_prize_idle,
        rel.messages, rel.group_seen, rel.seen_reseller, rel.solicited, rel.replied, rel.touched, rel.saw_posts,
        rel.impulse, rel.opened, rel.seen_forward, rel.index, rel.seller_seg, rel.seller_pool, rel.node_seg,
        rel.node_pool, index,
        _grown_fill(rel.tree_row, cap, -1), _grown_fill(rel.tree_upline, cap, -1), _grown_fill(rel.tree_level, cap, 0),
        _grown_fill(rel.tree_stock, cap, 0), _grown_fill(rel.tree_stock_day, cap, -1), rel.meta.copy(), rel.prior)


@kernel
def add_tree_entry(rel, row):
    """Reseller-tree entry of relation ``row``, made with the default values if it had none.
    The caller has reserved room (:func:`reserve_tree`); a full side table raises."""
    e = tree_entry(rel, row)
    if e >= 0:
        return e
    e = rel.meta[_TREE]
    if e >= rel.tree_row.shape[0]:
        raise ValueError("relations: the reseller-tree table is full (reserve room before adding)")
    rel.tree_row[e] = row
    rel.meta[_TREE] = e + 1
    _insert_key(rel.tree_index, _ROW_BITS, np.int64(row), e)
    return e


def tree_column(rel: Relations, name: str) -> np.ndarray:
    """Reseller-tree column ``name`` by relation row (rows in use; the default without an entry)."""
    m, k = int(rel.meta[_SIZE]), int(rel.meta[_TREE])
    dt, value = {c[0]: c[1:] for c in TREE_COLUMNS}[name]
    out = np.full(m, value, dtype=dt)
    out[rel.tree_row[:k]] = getattr(rel, "tree_" + name)[:k]
    return out


def column_by_row(rel: Relations, name: str) -> np.ndarray:
    """Relation column ``name`` by row (at least the rows in use): a column of the table, or a
    reseller-tree column spread over the rows (:func:`tree_column`)."""
    if name in TREE_NAMES:
        return tree_column(rel, name)
    return getattr(rel, name)


#: the names of the reseller-tree columns
TREE_NAMES = tuple(c[0] for c in TREE_COLUMNS)
#: the value of each lasting column (reseller-tree ones included) for a pair without a relation
#: (None: the stranger prior of trust)
NEW_VALUES = {c[0]: c[2] for c in STATE_COLUMNS + TREE_COLUMNS}


def dense(rel: Relations, name: str, n_sellers: int) -> np.ndarray:
    """Column ``name`` as a (sellers, n) matrix, absent pairs at the new-relation value.

    For inspection, tests and small teaching markets only: it costs sellers × n memory."""
    n = int(rel.meta[_N])
    m = int(rel.meta[_SIZE])
    col = column_by_row(rel, name)
    value = NEW_VALUES.get(name, 0)
    if value is None:
        value = float(rel.prior[0])
    out = np.full((n_sellers, n), value, dtype=col.dtype)
    out[rel.seller[:m], rel.node[:m]] = col[:m]
    return out
