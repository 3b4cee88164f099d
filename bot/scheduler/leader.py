"""Leader election with a redis-py Lock: held with a TTL, renewed while leading.

A leader that dies stops renewing; its lock expires after the TTL and the next poll of a
standby takes it. A leader that cannot renew (the lock expired, someone else holds it, or
Redis does not answer) steps down at once: it cannot prove it still leads.
"""

from __future__ import annotations

import contextlib
import logging

import redis
from redis.exceptions import LockError, RedisError

log = logging.getLogger(__name__)


class LeaderElection:
    """`poll()` every poll interval (well under the TTL); `leading` says whether to run jobs."""

    def __init__(self, client: redis.Redis, *, name: str, ttl_seconds: float) -> None:
        # thread_local=False: the poller thread renews a lock that another thread acquired.
        self.lock = client.lock(name, timeout=ttl_seconds, blocking=False, thread_local=False)
        self.leading = False

    def poll(self) -> bool:
        """Renew while leading, try to take over otherwise; whether this process leads now."""
        was_leading = self.leading
        try:
            if self.leading:
                self.lock.reacquire()  # resets the TTL; raises if the lock is no longer ours
            else:
                self.leading = bool(self.lock.acquire(blocking=False))
        except LockError:
            self.leading = False
        except RedisError as error:
            log.warning("leader lock unreachable (%s); not leading", type(error).__name__)
            self.leading = False
        if self.leading != was_leading:
            log.info("scheduler %s", "leads" if self.leading else "stands by")
        return self.leading

    def resign(self) -> None:
        """Release the lock (a clean stop hands over at once, without waiting for the TTL)."""
        if self.leading:
            self.leading = False
            with contextlib.suppress(LockError, RedisError):
                self.lock.release()
