"""What the analysis compiles from its tables, kept on disk by content hash.

The gazetteer's and the organizations' phrase matchers and jusText's stopword set take about
0.4 s to build from their YAML files and word lists, in every process that analyses (the
crawl's fork server, `explain`, `rescore`, each test process); loaded from a pickle they take
a few milliseconds. A cached object is found under a key that hashes everything it was built
from: the analysis' own code and tables (every file of this package and domain.py), the
Python version, and the versions of the libraries given by the caller. Change any of them
and the object is built again, never read stale.

The cache is a folder of the user's: `$NEWSALERT_CACHE_DIR`, else `$XDG_CACHE_HOME/newsalert`,
else `~/.cache/newsalert`; `NEWSALERT_CACHE_DIR=` (empty) turns it off. A pickle runs code when
it is loaded, so a folder that another user owns or may write to is never read; a file that
cannot be read or unpickled is built again and replaced; a folder that cannot be written to
only costs the time to build. Each name keeps the files of its last KEPT_KEYS keys used.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import logging
import os
import pickle
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_DIR_ENV = "NEWSALERT_CACHE_DIR"
KEPT_KEYS = 3  # the keys kept for each name: the one in use and the two used before it
PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is turned off."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit is not None:
        return Path(explicit).expanduser() if explicit.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "newsalert"


def compiled(name: str, build: Callable[[], T], *, libraries: Iterable[str] = ()) -> T:
    """The object `build()` returns, from the cache when it holds one built from the same
    code, tables and `libraries` (distribution names whose versions count)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}-{_key(tuple(libraries))}.pickle"
    if _trusted(folder):
        try:
            with path.open("rb") as file:
                loaded: T = pickle.load(file)
            _touch(path)
            return loaded
        except FileNotFoundError:
            pass
        except Exception as exc:  # a truncated or foreign file: built again below
            log.debug("compiled %s: %s unreadable (%s); building it again", name, path, exc)
    value = build()
    _store(folder, path, name, value)
    return value


def _touch(path: Path) -> None:
    """Mark `path` used now (its modification time), so it outlives the keys not used lately."""
    with contextlib.suppress(OSError):
        os.utime(path)


@cache
def _code_hash() -> bytes:
    from newsalert import domain

    digest = hashlib.sha256(sys.version.encode())
    for path in sorted([*PACKAGE.iterdir(), Path(domain.__file__)]):
        if path.suffix in (".py", ".yaml") and path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def _key(libraries: tuple[str, ...]) -> str:
    digest = hashlib.sha256(_code_hash())
    for library in libraries:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"{library}=={version}\0".encode())
    return digest.hexdigest()[:32]


def _trusted(folder: Path) -> bool:
    """Whether `folder` is ours alone: owned by this user, writable by nobody else."""
    try:
        info = folder.stat()
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _store(folder: Path, path: Path, name: str, value: object) -> None:
    """Write `value` atomically (a reader sees the old file or the whole new one), and remove
    what earlier code or tables left under the same name."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder):
            log.debug("compiled %s: %s is not this user's alone; not caching there", name, folder)
            return
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}-", suffix=".tmp")
    except OSError as exc:
        log.debug("compiled %s: cannot cache it in %s (%s)", name, folder, exc)
        return
    try:
        with os.fdopen(descriptor, "wb") as file:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        # Older keys go, but not the few used last: two versions run by the same user (a
        # service and a checkout) keep one each instead of rebuilding after each other.
        others = sorted(
            (other for other in folder.glob(f"{name}-*.pickle") if other != path),
            key=lambda other: other.stat().st_mtime,
            reverse=True,
        )
        for stale in others[KEPT_KEYS - 1 :]:
            stale.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.debug("compiled %s: cannot cache it in %s (%s)", name, folder, exc)
        Path(temporary).unlink(missing_ok=True)
