"""The temporary folder on disk where ``klynge validate`` builds the published graph of large files.

A graph too large for memory (the EU27 synthetic files: 4.9 M triples stated, 13 M published) is built the
way ``klynge load`` builds a store: the engine's bulk loader streams the files into a store on disk, and the
entailment passes write what they derive to a file beside it. Here that store lives in a folder of its own
(under the system's temporary folder, ``TMPDIR``, or ``--scratch DIR``), named with the process id, which is
removed when the run ends: normally, on an error, on Ctrl-C, SIGTERM or SIGHUP. A folder left by a run that
could not clean up (killed by SIGKILL, the machine stopped) is removed by the next run that uses the same place.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from klynge.engines.disk_store import alive

PREFIX = "klynge-validate-"
REMOVE_TRIES = 5
_MADE: set[Scratch] = set()  # the folders made and not yet removed, for cleaned_up()
HOW_TO_FIX = "free some space there, or choose another folder with --scratch DIR (or the TMPDIR variable)"


class ScratchError(Exception):
    """The temporary store cannot be made or written; the message says where, why and what to do."""


class Scratch:
    """A temporary folder of this process's own for a store on disk: made by ``make()``, removed by ``remove()``
    (which may be called whether or not it was made)."""

    def __init__(self, parent: Path | None = None) -> None:
        self.place = Path(parent) if parent is not None else Path(tempfile.gettempdir())
        self.folder: Path | None = None

    def make(self) -> Path:
        """Make the folder (and remove what killed runs left beside it). Signals wait until the folder is
        recorded, so that an interrupted run always knows what to remove."""
        remove_stale(self.place)
        stops = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        earlier = signal.pthread_sigmask(signal.SIG_BLOCK, stops)
        try:
            self.folder = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.place))
            _MADE.add(self)
        except OSError as error:
            raise ScratchError(
                f"cannot make a temporary store in {self.place}: {error.strerror or error}; the files are too "
                f"large to check in memory, so klynge validate builds their graph on disk: {HOW_TO_FIX}"
            ) from None
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, earlier)
        return self.folder

    def names(self, message: str) -> bool:
        """Whether an error message is about a file in the scratch folder (the store's, not an input's)."""
        return self.folder is not None and str(self.folder) in message

    def failed(self, error: OSError) -> ScratchError:
        """A write into the scratch folder that failed (disk full, file too large, removed under us)."""
        reason = error.strerror or str(error)
        return ScratchError(f"cannot write in the temporary folder {self.place}: {reason}; {HOW_TO_FIX}")

    def remove(self) -> None:
        """Remove the folder and everything in it, saying so on stderr if that fails. The store in it must be
        let go first: while it is open the engine may still be writing files into it."""
        if self.folder is None:
            return
        for _ in range(REMOVE_TRIES):
            gc.collect()
            shutil.rmtree(self.folder, ignore_errors=True)
            if not self.folder.exists():
                _MADE.discard(self)
                return
            time.sleep(0.2)
        print(f"klynge validate: could not remove the temporary store {self.folder}; remove it", file=sys.stderr)


def remove_stale(place: Path) -> None:
    """Remove the scratch folders in ``place`` whose process has gone (killed before it could remove them)."""
    try:
        leftovers = list(place.glob(f"{PREFIX}*-*"))
    except OSError:
        return
    for leftover in leftovers:
        pid = leftover.name[len(PREFIX) :].split("-", 1)[0]
        if leftover.is_dir() and pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def cleaned_up() -> Iterator[None]:
    """Every scratch folder made within the block is removed at its end, however it ends; within it SIGTERM and
    SIGHUP (unless ignored) stop the run as Ctrl-C does, so that it does end through here. (Outside the main
    thread signals cannot be handled; the folders are still removed.)"""
    earlier = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) != signal.SIG_IGN:  # nohup's ignored SIGHUP stays ignored
                earlier[signum] = signal.signal(signum, _interrupt)
    try:
        yield
    except BaseException as error:
        traceback.clear_frames(error.__traceback__)  # the frames' references would keep a store open
        raise
    finally:
        for scratch in list(_MADE):
            scratch.remove()
        for signum, handler in earlier.items():
            signal.signal(signum, handler)
