"""How a verify run treats SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job).

While the checks run, either signal stops them as Ctrl-C does: the check under way becomes
an error, what the run created is deleted, and the run ends early. Once the checks are
over, while the summary and reports are written, a signal is only noted, so that the
reports are always whole. The run then exits with the shell's status for the signal
(130 for SIGINT, 143 for SIGTERM).
"""

from __future__ import annotations

import signal
import threading

_NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class RunSignals:
    """A context for the whole run; `hold()` once the checks are over."""

    def __init__(self):
        self.number: int | None = None  # the signal received, if any
        self._holding = False
        self._previous: dict[int, object] = {}

    @property
    def received(self) -> str:
        """The signal received, in words."""
        return _NAMES.get(self.number, f"signal {self.number}")

    @property
    def status(self) -> int:
        """The exit status for the signal received (128 + its number)."""
        return 128 + (self.number or signal.SIGINT)

    def hold(self) -> None:
        """From now on a signal is noted, not acted on."""
        self._holding = True

    def _on_signal(self, signum, frame) -> None:
        self.number = self.number or signum
        if not self._holding:
            raise KeyboardInterrupt

    def __enter__(self) -> RunSignals:
        # Only the main thread may set handlers (verify called from another thread: left
        # alone), and a signal the run was started to ignore (`nohup`, `&`) stays ignored.
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc_info) -> bool:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        return False
