"""Wait for the OS threads an embedded granian server starts, so the process exits cleanly.

Why this exists: granian runs its HTTP server on Rust threads (a tokio runtime, threads it
starts on demand, and a thread that waits for the stop signal). On shutdown, that signal
thread tells Python the worker has stopped (the future ``Server.serve()`` awaits is
resolved) from inside a ``Python::attach`` block, and only afterwards drops the runtime
and leaves the interpreter. So ``serve()`` can return, and the program can reach
interpreter finalization, while granian threads still have to take the GIL once more.
CPython before 3.14 answers a thread that takes the GIL during finalization with
``pthread_exit``; its forced unwind runs into a Rust frame that must not unwind, and Rust
aborts the whole process ("panic in a function that cannot unwind", SIGABRT, status 134)
after the program's output was printed. (CPython 3.14 makes such threads hang instead,
gh-87135.) Seen here: ``mockserver verify --api all --mock`` aborted in about half the
runs on a busy machine, and at its exit two or three granian threads were still running
in about half of them.

One of those threads can outlive the stop for long: granian's thread for blocking work ends
only when the last handle to it is dropped, and a request cut off by the stop can leave
granian objects that hold such a handle in a Python reference cycle. Only the cyclic
garbage collector frees them -- at the latest during interpreter finalization, which is
exactly when the thread must not wake up. (Seen here: after 1 stop in 4 with requests in
flight, a thread named after the server still waited 10 s later; a ``gc.collect()`` ended
it within 30 ms.)

The cure: no server stop counts as done until its Rust threads have ended, and a stop
that finds one still waiting collects those cycles now, while the interpreter is whole.
The threads are found by name: Linux gives a new thread its creator's name, so
`ServerThreads.name_this_thread` gives the thread that starts the server a name of its
own, every thread granian starts from it (and every thread those start) carries that
name, and `wait_ended` waits until no thread but Python's own has it. Other libraries' threads, started meanwhile from other
threads, are never waited for. Where threads cannot be listed or named (no
``/proc/self/task``, as on macOS) both are no-ops.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import threading
import time

log = logging.getLogger("mockserver.server")

_TASKS = "/proc/self/task"

# How long a stop may wait for granian's threads. They end within milliseconds of the stop;
# the bound is a safety net against waiting forever on a thread some bug keeps alive.
THREAD_END_TIMEOUT = 10.0

# Threads that end on their own do so within milliseconds of the stop; one still there after
# 10 ms waits for the garbage collector, which runs then, and again at these later times in
# case the cycle holding it only became collectable meanwhile.
COLLECT_AT = (0.01, 0.1, 1.0)

# A stopping runtime can still start a thread for blocking work a moment after all of its
# threads seemed gone (seen: 0.3 ms later, in 1 stop of ~100 with requests in flight), so
# "all gone" counts only once it has held this long.
SETTLE = 0.02

_numbers = itertools.count(1)
_names_used: set[str] = set()  # every server name of this process, for the check at exit


class ServerThreads:
    """The OS threads of one embedded server, known by the name they inherit."""

    def __init__(self, name: str | None = None):
        """`name`: the threads' name (one server per process may take "mockserver"); default unique.

        Linux keeps 15 bytes of a thread name: "mockserver-" and up to 4 digits.
        """
        self.name = name or f"mockserver-{next(_numbers) % 10_000}"
        if not _names_used:
            atexit.register(_wait_at_exit)
        _names_used.add(self.name)

    def name_this_thread(self) -> None:
        """Name the calling thread; call it in the thread that is about to start the server."""
        name_current_thread(self.name)

    def running(self) -> set[int]:
        """Ids of the threads that carry this server's name, Python's own threads left out."""
        return _threads_named({self.name})

    def wait_ended(self, timeout: float = THREAD_END_TIMEOUT) -> bool:
        """Wait until the server's own threads have all ended; False after `timeout` s."""
        return _wait_gone({self.name}, timeout)


def name_current_thread(name: str) -> None:
    """Give the calling OS thread `name` (at most 15 bytes), which the threads it starts inherit.

    A thread of the mock's own that is no server's (``--watch``'s) takes a name of its own,
    so a stop never waits for it, nor for any thread a library starts from it.
    """
    try:
        with open(f"{_TASKS}/{threading.get_native_id()}/comm", "w") as comm:
            comm.write(name)
    except OSError:  # no /proc (macOS): nothing to wait for later either
        pass


def _threads_named(names: set[str]) -> set[int]:
    try:
        ids = os.listdir(_TASKS)
    except OSError:
        return set()
    # Python's own threads that carry the name (the one that started the server, those it
    # started) are not granian's. A granian thread that ran Python code is listed by
    # threading as a "dummy" thread, though: those are not left out.
    python = {thread.native_id for thread in threading.enumerate()
              if not isinstance(thread, threading._DummyThread)}
    named = set()
    for tid in ids:
        try:
            with open(f"{_TASKS}/{tid}/comm") as comm:
                if comm.read().rstrip("\n") in names:
                    named.add(int(tid))
        except OSError:  # the thread ended while we looked
            continue
    return named - python


def _wait_gone(names: set[str], timeout: float) -> bool:
    """Wait until no thread carries one of `names` for SETTLE s; False after `timeout` s.

    Threads still there after a short grace are waiting for granian objects that only the
    cyclic garbage collector frees (see the module docstring): collect them once.
    """
    started = time.monotonic()
    collections, quiet_since = list(COLLECT_AT), None
    while True:
        alive = _threads_named(names)
        now = time.monotonic()
        if not alive:
            # (A Python thread that has just ended, or not yet started, may be counted for an
            # instant: the settle time absorbs that too.)
            quiet_since = quiet_since or now
            if now - quiet_since >= SETTLE:
                return True
        else:
            quiet_since = None
            if collections and now > started + collections[0]:
                gc.collect()
                del collections[0]
            if now > started + timeout:
                log.warning("%d thread(s) of the HTTP server still run %s s after it stopped",
                            len(alive), timeout)
                return False
        time.sleep(0.001)


def _wait_at_exit() -> None:
    # atexit runs before the interpreter starts finalizing: a server thread that some stop
    # did not see (or a server never stopped) can still end safely now.
    if _threads_named(_names_used):
        _wait_gone(_names_used, THREAD_END_TIMEOUT)
