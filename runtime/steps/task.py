"""Task steps: someone does work the flow waits for, and marks it complete."""
from __future__ import annotations

from runtime.steps.human import HumanStepHandler


class TaskHandler(HumanStepHandler):
    action = "complete"
