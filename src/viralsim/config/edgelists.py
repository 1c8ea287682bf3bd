"""Checking an edge-list file when a config is loaded, before anything runs.

:func:`viralsim.network.io.read_edgelist` builds the network when the run starts; this module
makes sure it will succeed: the file exists, is readable and every line parses. The check is at
least as strict as the reader, so a file that passes here reads there.

Messages never quote the file's contents: a config may point ``network.path`` at any file, and
a line of a file that is not an edge list (a key file, a password file) must not end up in a
terminal or a log. They name the line number and what is wrong with it instead.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from viralsim.edgelist_format import INT64, parse_fast

__all__ = ["EdgeListInfo", "EdgeListProblem", "check_edgelist"]

#: longest line read; SNAP lines are two ids and a few more columns
_MAX_LINE = 4096
#: a node id: optional sign and decimal digits (what both of the reader's parsers accept)
_ID = re.compile(rb"[+-]?[0-9]+")
_CACHE: dict[tuple, EdgeListInfo] = {}


class EdgeListProblem(ValueError):
    """The file cannot be used as an edge list; the message says why without quoting it."""


@dataclass(frozen=True)
class EdgeListInfo:
    """What a valid edge list holds: ``n`` people (distinct ids) and ``edges`` lines with two
    different ids (the reader drops self loops and merges repeated lines)."""

    n: int
    edges: int


def check_edgelist(path: str | Path) -> EdgeListInfo:
    """Check that ``path`` is a readable SNAP-style edge list with at least one friendship.

    Parameters
    ----------
    path : str or Path
        The file (``.gz`` allowed), as :func:`viralsim.network.io.read_edgelist` reads it.

    Returns
    -------
    EdgeListInfo

    Raises
    ------
    EdgeListProblem
        With a message such as ``does not exist``, ``cannot be read (Permission denied)`` or
        ``line 17: the second node id is not a whole number``; no text of the file is quoted.

    Notes
    -----
    Results are cached by path, size, modification time and inode, so a sweep that validates
    thousands of design points reads the file once.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise EdgeListProblem("does not exist") from None
    except OSError as exc:
        raise EdgeListProblem(f"cannot be read ({exc.strerror or exc})") from None
    except ValueError as exc:           # a NUL in the path: no file system allows one
        raise EdgeListProblem(f"cannot be read ({exc})") from None
    if not path.is_file():
        raise EdgeListProblem("is not a regular file")
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _CACHE:
        _CACHE[key] = _check(path)
    return _CACHE[key]


def _check(path: Path) -> EdgeListInfo:
    # The reader's own fast path first: when pandas parses the file, the reader will too. It
    # returns None on any failure (an unreadable file included), and the line scan then says
    # precisely what is wrong.
    data = parse_fast(path, 2)
    if data is None:
        data = _scan(path)
    if data.shape[0] == 0:
        raise EdgeListProblem("is not a valid edge list: it holds no edge (no line with two node ids)")
    loops = data[:, 0] == data[:, 1]
    edges = int(np.count_nonzero(~loops))
    if edges == 0:
        raise EdgeListProblem("is not a valid edge list: every line links a node to itself (no friendship)")
    n = int(np.unique(data).size)  # the reader keeps people seen only in self loops
    if n > np.iinfo(np.int32).max:
        raise EdgeListProblem(f"has {n:,} distinct node ids, more than a network may have")
    return EdgeListInfo(n=n, edges=edges)


def _lines(path: Path):
    """(line number, bytes) with universal newlines, as the reader's text mode numbers them."""
    opener = gzip.open if path.suffix == ".gz" else open
    number = 0
    with opener(path, "rb") as fh:
        while True:
            chunk = fh.readline(_MAX_LINE + 1)
            if not chunk:
                return
            if len(chunk) > _MAX_LINE and not chunk.endswith(b"\n"):
                raise EdgeListProblem(f"is not a valid edge list: line {number + 1} is longer than "
                                      f"{_MAX_LINE} characters")
            # "\r\n", "\r" and "\n" all end a line, as in the reader's universal-newline mode.
            parts = chunk.rstrip(b"\n").rstrip(b"\r").split(b"\r") if b"\r" in chunk else [chunk.rstrip(b"\n")]
            for part in parts:
                number += 1
                yield number, part


def _scan(path: Path) -> np.ndarray:
    rows: list[tuple[int, int]] = []
    try:
        for number, line in _lines(path):
            body = line.split(b"#", 1)[0].strip()
            if not body:
                continue
            fields = body.split()
            where = f"is not a valid edge list: line {number}"
            if len(fields) < 2:
                raise EdgeListProblem(f"{where} does not hold two node ids")
            ids = []
            for which, field in zip(("first", "second"), fields[:2]):
                if not _ID.fullmatch(field):
                    raise EdgeListProblem(f"{where}: the {which} node id is not a whole number")
                if len(field) > 20 or not INT64.min <= int(field) <= INT64.max:
                    raise EdgeListProblem(f"{where}: the {which} node id is out of range "
                                          f"(node ids must lie in [{INT64.min}, {INT64.max}])")
                ids.append(int(field))
            rows.append((ids[0], ids[1]))
    except (gzip.BadGzipFile, zlib.error, EOFError):
        raise EdgeListProblem("is not a valid gzip file (the name ends in .gz)") from None
    except OSError as exc:
        raise EdgeListProblem(f"cannot be read ({exc.strerror or exc})") from None
    return np.array(rows, dtype=np.int64).reshape(-1, 2)
