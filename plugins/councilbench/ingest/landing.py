"""Landing: keep every fetched file immutably under its content hash, before anything
else looks at it (the lifecycle then records it in the ledger), and quarantine links to
rejected files for people to find.

Files are streamed to disk while hashed (a 200 MB return never sits in memory), then
moved into ``<state>/landing/<sha[:2]>/<sha>`` and made read-only, so storing the same
bytes twice is the same file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from councilbench.core import settings

CHUNK = 1 << 20


def size_words(n: int) -> str:
    """A file's size as a person says it: 1.5 MB, 12.0 KB, 300 bytes."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} bytes"


def limit_words(n: int) -> str:
    """A size limit as a person says it: whole megabytes where it is one (20 MB)."""
    mb = n / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else size_words(n)


def landing_root() -> Path:
    return settings.state_path("landing")


def quarantine_root() -> Path:
    return settings.state_path("quarantine")


def store_stream(chunks: Iterable[bytes]) -> tuple[str, int, Path]:
    """Write chunks to the landing store; return (sha256, size, path). Idempotent."""
    digest = hashlib.sha256()
    size = 0
    root = landing_root()
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                tmp.write(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        sha = digest.hexdigest()
        final = root / sha[:2] / sha
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.chmod(tmp_name, 0o444)  # immutable: nothing downstream may edit a landed file
            os.replace(tmp_name, final)
        return sha, size, final
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def store_file(path: Path) -> tuple[str, int, Path]:
    with open(path, "rb") as f:
        return store_stream(iter(lambda: f.read(CHUNK), b""))


def store_bytes(data: bytes) -> tuple[str, int, Path]:
    return store_stream([data])


def iter_file(f: BinaryIO) -> Iterable[bytes]:
    return iter(lambda: f.read(CHUNK), b"")


def quarantine(landed_path: Path, *, subject: str, period: str, suffix: str = "") -> Path:
    """A named hard link (or copy) of a rejected file under quarantine/, for people to
    find; the landed original stays where it is, untouched."""
    target_dir = quarantine_root() / subject / period
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{Path(landed_path).name[:12]}{suffix}"
    if not target.exists():
        try:
            os.link(landed_path, target)
        except OSError:
            shutil.copy2(landed_path, target)
    return target
