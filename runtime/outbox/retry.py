"""When a failed delivery is tried again: exponential backoff with a cap, then given up."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 10.0       # seconds before the second attempt
    factor: float = 2.0
    cap: float = 3600.0      # never more than an hour between attempts
    attempts: int = 8        # then the delivery is "failed" (an admin may retry it by hand)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1, 2, …)."""
        return min(self.cap, self.base * self.factor ** (attempt - 1))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.attempts
