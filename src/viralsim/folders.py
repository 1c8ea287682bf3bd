"""Output folders: a signature that marks what viralsim wrote, atomic replacement, one writer.

**Signature.** Every folder a command writes (``run``, ``sweep``, ``report``, ``whatif`` and
``demo`` output) holds a small file ``.viralsim-folder.json``::

    {"viralsim_folder": "run", "format": 1, "id": "<32 hex digits>", "created_utc": "..."}

A command replaces, empties or writes into an existing folder only if the folder is empty or
carries a valid signature of the command's own kind. Anything else is refused with one line
and left untouched: a folder of the user's own files (even one that holds a ``manifest.json``),
a viralsim folder of another kind (a ``run --out`` over a sweep's results), a damaged signature,
or a folder written by an older viralsim before folders were signed (delete it yourself or
choose another folder: viralsim cannot tell it from someone else's files). The content of the
signature is checked, not only its presence.

**Atomic replacement** (:func:`write_folder`). A folder is assembled in a hidden sibling
``.<name>.tmp~<pid>~<host>~<random>`` that gets its signature first, and renamed into place
when complete. An existing folder is first renamed aside to ``.<name>.old~<pid>~<host>~<random>``
and deleted once the new one is in place; just before, the target is checked again, so a
folder that changed hands meanwhile is not replaced. Siblings left by a killed process
(``tmp``, ``old`` and the ``trash`` of a discarded sweep folder) are cleaned the next time the
folder is written, and only those whose name has exactly this form for this folder, that were
made on this host by a process that is no longer alive, and that hold a signature or nothing
at all. An ``old`` sibling whose folder is missing (a kill between the two renames) is put
back rather than deleted.

**Lock** (:func:`lock_folder`). Commands that write into a folder over a long time (a sweep,
merge, finalize, a report inside a sweep's folder) hold an OS lock (``flock``) for their whole
life. The lock of folder ``F`` is the file ``.F.viralsim-lock`` beside ``F``, in its parent:

* it can be taken before ``F`` exists, so creating ``F`` is covered too;
* it survives ``F`` being renamed aside and replaced (``--restart``), so a process holding it
  never holds the lock of a folder that has gone;
* it is never deleted (deleting lock files races with processes about to lock them) and holds
  nothing but the holder's description, so it can never take a user file with it.

The kernel releases the lock when its process dies, even by ``kill -9``; the holder's
description written into the file is only shown in the refusal message and never decides
anything, so a stale description cannot block. Shards of one sweep (``--shard``) share the
lock, so that the shards of a job array can fill one folder at once, and so do readers (the
source folders of a merge, a report written outside the folder); everything else holds it
exclusively. On a filesystem without locks (some cluster filesystems), a warning is issued and
the command goes on unlocked.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import socket
import stat
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

__all__ = [
    "SIGNATURE",
    "KINDS",
    "FolderError",
    "FolderInUseError",
    "read_signature",
    "write_signature",
    "folder_state",
    "check_folder",
    "clean_siblings",
    "write_folder",
    "lock_path",
    "lock_folder",
    "short_error",
]

SIGNATURE = ".viralsim-folder.json"
FORMAT = 1
#: kind -> how messages name a folder of that kind
KINDS = {
    "run": "results folder",
    "sweep": "experiment results folder",
    "report": "report folder",
    "whatif": "what-if folder",
    "demo": "demo folder",
}
#: files that mark an unsigned folder as written by an older viralsim
_LEGACY_MARKERS = ("manifest.json", "plan.json")
_MAX_SIGNATURE_BYTES = 4096
_ID = re.compile(r"^[0-9a-f]{32}$")
_SIBLING = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old|trash)~(?P<pid>\d+)~(?P<host>[A-Za-z0-9._-]+)~[0-9a-f]{8}$")

T = TypeVar("T")


class FolderError(FileExistsError):
    """An output folder that viralsim may not write; the message is one line for the user."""


class FolderInUseError(Exception):
    """Another process holds the folder's lock; the message names it."""


# ---------------------------------------------------------------------------------------------
# Signature
# ---------------------------------------------------------------------------------------------


def host() -> str:
    """This host's name as it appears in temporary names (safe as one path component)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", socket.gethostname()) or "host"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_signature(folder: str | Path, kind: str) -> str:
    """Sign ``folder`` as a viralsim folder of ``kind``; returns the signature's random id."""
    if kind not in KINDS:
        raise ValueError(f"unknown folder kind {kind!r}")
    folder = Path(folder)
    ident = uuid.uuid4().hex
    record = {"viralsim_folder": kind, "format": FORMAT, "id": ident, "created_utc": utc_now()}
    tmp = folder / f".tmp-signature~{os.getpid()}~{host()}~{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(record) + "\n", encoding="utf-8", newline="\n")
        os.replace(tmp, folder / SIGNATURE)
    finally:
        if tmp.exists():
            tmp.unlink()
    return ident


def read_signature(folder: str | Path) -> dict | None:
    """The signature of ``folder``: None if it has none, FolderError if the file is not a valid
    signature (wrong content, too large, not a regular file, a format newer than this code)."""
    path = Path(folder) / SIGNATURE
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_SIGNATURE_BYTES:
        raise FolderError(f"{path} is not a viralsim signature (not a small regular file); refusing to "
                          f"touch {folder}: choose another folder")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FolderError(f"{path} is not a valid viralsim signature ({short_error(exc)}); refusing to touch "
                          f"{folder}: choose another folder") from None
    problem = None
    if not isinstance(data, dict):
        problem = "not a JSON object"
    elif data.get("viralsim_folder") not in KINDS:
        problem = f"unknown kind {data.get('viralsim_folder')!r}"
    elif type(data.get("format")) is not int:
        problem = "no format number"
    elif data["format"] > FORMAT:
        raise FolderError(f"{folder} was written by a newer viralsim (folder format {data['format']}, this "
                          f"one reads {FORMAT}); upgrade viralsim or choose another folder")
    elif data["format"] < 1:
        problem = f"format {data['format']}"
    elif not isinstance(data.get("id"), str) or not _ID.match(data["id"]):
        problem = "no valid id"
    if problem:
        raise FolderError(f"{path} is not a valid viralsim signature ({problem}); refusing to touch {folder}: "
                          "choose another folder")
    return data


def folder_state(folder: str | Path, kind: str, *, option: str = "--out") -> tuple[str, str | None]:
    """Whether a command writing a ``kind`` folder may use ``folder``, without writing anything.

    Returns
    -------
    (state, id)
        ``("absent", None)``, ``("empty", None)`` (an empty directory) or ``("ours", id)`` (a
        folder signed as ``kind``; ``id`` is its signature's id).

    Raises
    ------
    FolderError
        One line naming the folder and what to do: it is a file, holds anything but a
        signature of ``kind`` (a folder of another kind, of an older viralsim, someone's
        files), or its signature is damaged.
    """
    folder = Path(folder)
    if not folder.exists() and not folder.is_symlink():
        return "absent", None
    if not folder.is_dir():
        raise FolderError(f"{folder} exists and is not a directory; choose another {option}")
    noun = KINDS[kind]
    signature = read_signature(folder)
    if signature is None:
        try:
            names = [e.name for e in os.scandir(folder)]
        except OSError as exc:
            raise FolderError(f"cannot read {folder}: {exc.strerror or exc}") from None
        if not names:
            return "empty", None
        if any(n in names for n in _LEGACY_MARKERS):
            raise FolderError(
                f"{folder} looks like a results folder of an older viralsim (it has no {SIGNATURE}); viralsim "
                f"does not replace or delete such folders: delete it yourself or choose another {option}")
        raise FolderError(f"{folder} exists and is not a viralsim {noun} (no {SIGNATURE}); refusing to write "
                          f"into it: choose another {option} or an empty folder")
    if signature["viralsim_folder"] != kind:
        other = signature["viralsim_folder"]
        raise FolderError(f"{folder} is a viralsim {KINDS[other]} written by `viralsim {other}`, which "
                          f"`viralsim {kind}` does not replace: choose another {option}")
    return "ours", signature["id"]


def check_folder(folder: str | Path, kind: str, *, option: str = "--out") -> str:
    """Check that a ``kind`` folder can be written at ``folder``; returns its state.

    :func:`folder_state`, plus: the nearest existing parent must be a writable directory
    (PermissionError otherwise). Nothing is written.
    """
    folder = Path(folder).absolute()
    state, _ = folder_state(folder, kind, option=option)
    parent = folder.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot create {folder}: {parent} is not a writable directory")
    return state


# ---------------------------------------------------------------------------------------------
# Atomic replacement and leftovers of killed processes
# ---------------------------------------------------------------------------------------------


def sibling(target: Path, what: str) -> Path:
    """A new temporary sibling of ``target``: ``.<name>.<what>~<pid>~<host>~<random>``."""
    return target.parent / f".{target.name}.{what}~{os.getpid()}~{host()}~{uuid.uuid4().hex[:8]}"


def clean_siblings(target: str | Path) -> int:
    """Remove the temporary siblings of ``target`` that killed processes on this host left.

    Only siblings named exactly as :func:`sibling` names them for ``target``, of dead processes
    of this host, holding a valid signature or nothing at all. An ``old`` sibling whose target
    is missing is renamed back into place instead. Returns how many were handled.
    """
    target = Path(target).absolute()
    parent = target.parent
    if not parent.is_dir():
        return 0
    me = host()
    handled = 0
    try:
        entries = sorted(os.scandir(parent), key=lambda e: e.name)
    except OSError:
        return 0
    for entry in entries:
        m = _SIBLING.match(entry.name)
        if not m or m["name"] != target.name or m["host"] != me or pid_alive(int(m["pid"])):
            continue
        path = Path(entry.path)
        if path.is_symlink() or not path.is_dir():
            continue
        try:
            if next(os.scandir(path), None) is None:
                path.rmdir()
                handled += 1
                continue
            if read_signature(path) is None:
                continue
        except (OSError, FolderError):
            continue
        if m["what"] == "old" and not (target.exists() or target.is_symlink()):
            try:
                path.rename(target)
                handled += 1
            except OSError:
                pass
            continue
        shutil.rmtree(path, ignore_errors=True)
        handled += 1
    return handled


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (one owned by someone else counts)."""
    if pid <= 0:
        return True  # never a process of ours: treat as alive, i.e. leave its files alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_folder(target: str | Path, kind: str, fill: Callable[[Path], T], *, option: str = "--out") -> T:
    """Write a ``kind`` folder at ``target`` atomically and return what ``fill`` returned.

    ``fill(folder)`` writes the contents into a signed temporary sibling, which is then
    renamed into place, replacing an earlier ``kind`` folder only once the new one is
    complete. If anything fails, the temporary folder is removed and ``target`` is left as it
    was. FolderError (nothing written) if ``target`` may not be written (:func:`folder_state`).
    """
    target = Path(target)
    if target.is_symlink() and target.is_dir():
        # A link to a folder: the folder itself is replaced and the link kept (renaming the
        # link would leave the link aside and put a plain folder in its place).
        target = target.resolve()
    target = target.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_siblings(target)
    state, ident = folder_state(target, kind, option=option)
    tmp = sibling(target, "tmp")
    try:
        tmp.mkdir()
        write_signature(tmp, kind)
        result = fill(tmp)
        _swap_into_place(tmp, target, kind, state, ident, option)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise named(exc, target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def named(exc: OSError, path: str | Path) -> OSError:
    """``exc``, or the same error naming ``path`` if it names no file (as some writers raise it),
    so that the one-line message says where the disk was full or the permission missing."""
    if exc.filename is None and exc.errno is not None:
        renamed = type(exc)(exc.errno, exc.strerror or os.strerror(exc.errno), str(path))
        renamed.__cause__ = exc
        return renamed
    return exc


def _swap_into_place(tmp: Path, target: Path, kind: str, state: str, ident: str | None, option: str) -> None:
    now, now_ident = folder_state(target, kind, option=option)
    if (now == "ours") != (state == "ours") or now_ident != ident:
        raise FolderError(f"{target} changed while it was being written (another process?); "
                          f"nothing was replaced: run again or choose another {option}")
    if now == "absent":
        tmp.rename(target)
        return
    if now == "empty":
        target.rmdir()
        tmp.rename(target)
        return
    old = sibling(target, "old")
    target.rename(old)
    try:
        moved = read_signature(old)
    except FolderError:
        moved = None
    if moved is None or moved.get("id") != ident:
        # replaced by someone else between the check above and the rename: not ours to delete
        old.rename(target)
        raise FolderError(f"{target} changed while it was being written (another process?); "
                          f"nothing was replaced: run again or choose another {option}")
    try:
        tmp.rename(target)
    except BaseException:
        old.rename(target)
        raise
    # The new folder is in place; failing to delete the old copy must not fail the command.
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Lock
# ---------------------------------------------------------------------------------------------

_HELD: dict[str, str] = {}          # resolved folder -> mode, for the locks this process holds
_HELD_GUARD = threading.Lock()
_HOLDER_BYTES = 1024
_UNSUPPORTED = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}


def lock_path(folder: str | Path) -> Path:
    """The lock file of ``folder``: ``.<name>.viralsim-lock`` in its parent (symlinks resolved,
    so every path to one folder shares one lock)."""
    folder = Path(folder).resolve()
    return folder.parent / f".{folder.name}.viralsim-lock"


@contextlib.contextmanager
def lock_folder(folder: str | Path, command: str, *, shared: bool = False, wait: float = 0.0) -> Iterator[None]:
    """Hold the lock of ``folder`` for the ``with`` block.

    Parameters
    ----------
    folder : path
        The folder (it need not exist yet; for an exclusive lock its parent is created).
    command : str
        What this process does (``sweep``, ``merge``, ...), shown to a process that is refused.
    shared : bool
        Share the lock with other shared holders (shards of one sweep); exclusive otherwise.
    wait : float
        Seconds to wait for the lock before giving up.

    Raises
    ------
    FolderInUseError
        Another process holds the lock (in a conflicting mode); the message names it.
    OSError
        The lock file cannot be created (e.g. a read-only parent) for an exclusive lock.

    Notes
    -----
    Re-entrant within a process: a nested request for a folder this process already holds
    is a no-op, so that library functions that lock (finalize) work inside a sweep.
    """
    key = str(Path(folder).resolve())
    with _HELD_GUARD:
        nested = key in _HELD
    if nested:
        yield
        return
    path = lock_path(folder)
    if shared and not path.parent.is_dir():
        # A reader of a folder that does not exist has nothing to protect; its caller reports it.
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        if not shared or exc.errno not in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            # A reader of a folder nobody can write to needs no lock.
            yield
            return
    try:
        if not _acquire(fd, shared, wait, folder, path):
            yield
            return
        with _HELD_GUARD:
            _HELD[key] = "shared" if shared else "exclusive"
        try:
            _write_holder(fd, command, shared)
            yield
        finally:
            with _HELD_GUARD:
                _HELD.pop(key, None)
            # Leave the file as found: empty, unless another shared holder has described itself since.
            with contextlib.suppress(OSError):
                holder = _parse_holder(os.pread(fd, _HOLDER_BYTES + 1, 0))
                if not shared or (holder and holder.get("pid") == os.getpid()
                                  and holder.get("host") == socket.gethostname()):
                    os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock


def _acquire(fd: int, shared: bool, wait: float, folder, path: Path) -> bool:
    """Take the flock; False if the filesystem has no locks (then the caller goes on unlocked)."""
    try:
        import fcntl  # POSIX only
    except ImportError:  # pragma: no cover - Windows: no shared locks, no flock
        return _acquire_portable(path, wait, folder)
    mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        try:
            fcntl.flock(fd, mode)
            return True
        except OSError as exc:
            if exc.errno in _UNSUPPORTED:
                warnings.warn(f"{path}: the filesystem does not support locks; nothing stops another process "
                              f"from writing {folder} at the same time", RuntimeWarning, stacklevel=4)
                return False
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            raise FolderInUseError(_busy_message(folder, path))
        time.sleep(0.1)


def _acquire_portable(path: Path, wait: float, folder) -> bool:  # pragma: no cover - Windows only
    import filelock  # only where the OS has no flock (Windows)

    lock = filelock.FileLock(str(path) + ".win", timeout=max(0.0, wait))
    try:
        lock.acquire()
    except filelock.Timeout:
        raise FolderInUseError(_busy_message(folder, path)) from None
    return True


def _write_holder(fd: int, command: str, shared: bool) -> None:
    """Describe this holder in the lock file (a fixed-size record at offset 0, so that shared
    holders overwrite each other whole). Skipped if the file holds something else."""
    try:
        current = os.pread(fd, _HOLDER_BYTES + 1, 0)
        recorded = _parse_holder(current)
        if current.strip() and recorded is None:
            return
        if shared and recorded is not None and recorded.get("mode") == "shared" and not _stale(recorded):
            return  # another shard described itself and may still run: keep its description
        record = {"command": command, "host": socket.gethostname(), "pid": os.getpid(), "since_utc": utc_now(),
                  "mode": "shared" if shared else "exclusive"}
        data = json.dumps(record, ensure_ascii=True).encode()[: _HOLDER_BYTES - 1]
        os.pwrite(fd, data.ljust(_HOLDER_BYTES - 1) + b"\n", 0)
    except OSError:
        pass  # the description is a courtesy; the flock is what counts


def _stale(holder: dict) -> bool:
    """Whether a recorded holder is known to be gone (a process of this host that has exited)."""
    pid = holder.get("pid")
    return holder.get("host") == socket.gethostname() and isinstance(pid, int) and not pid_alive(pid)


def _parse_holder(raw: bytes) -> dict | None:
    try:
        data = json.loads(raw.decode("utf-8").strip())
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not {"command", "host", "pid", "since_utc"} <= set(data):
        return None
    return data


def _busy_message(folder, path: Path) -> str:
    try:
        holder = _parse_holder(path.read_bytes()[:_HOLDER_BYTES + 1])
    except OSError:
        holder = None
    base = f"{folder} is in use by another viralsim process"
    advice = "wait for it to finish or stop it, then run again"
    if holder is None:
        return f"{base} (lock {path.name}); {advice}"
    who = (f"{_clip(holder['command'])} (pid {holder['pid']} on host {_clip(holder['host'])}, "
           f"since {_clip(holder['since_utc'])})")
    if holder.get("mode") == "shared":
        who += " and possibly other shards"
    if _stale(holder):
        return f"{base}; the last recorded holder, {who}, has exited; {advice}"
    return f"{base}: {who}; {advice}"


def _clip(value, limit: int = 120) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short_error(exc: BaseException) -> str:
    """The first line of an exception's message (its type name if it has none), shortened to one line."""
    text = str(exc).strip().splitlines()
    return _clip(text[0] if text else type(exc).__name__, 160)
