"""Test harness shared by the test modules: a guard against calls that hang."""
from __future__ import annotations

import contextlib
import signal


@contextlib.contextmanager
def alarm(seconds: float):
    """Fail (TimeoutError) instead of hanging: the block may run at most ``seconds``."""
    def expire(signum, frame):
        raise TimeoutError(f"still running {seconds} s after the start")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
