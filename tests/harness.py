"""Test harness shared by the test modules: hypothesis settings, a guard against hangs."""
from __future__ import annotations

import contextlib
import signal

from hypothesis import HealthCheck, settings


def profile(examples: int):
    """Settings of a property test: ``examples`` examples, reproducible, no time limit."""
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


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
