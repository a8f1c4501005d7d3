"""Atomic file writes: a temporary file in the destination's folder, flushed to disk, then renamed over it.

A crash at any moment leaves either the previous file or the complete new one, never a truncated file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_write(path: Path | str, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary sibling of `path` for writing; on a clean exit it replaces `path`, on an error it is removed.

    The caller checks that the folder exists (to raise its own typed error); `mode` is "wb" or "w".
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        # mkstemp creates the file private (0600); give it the permissions any new file gets (0666 less the umask).
        os.fchmod(handle, 0o666 & ~_umask())
        with os.fdopen(handle, mode) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
