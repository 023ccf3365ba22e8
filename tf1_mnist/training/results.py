"""What a run returns: the training loop's account, and the run's (test accuracy, predictions)."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainResult:
    first_step: int
    last_step: int
    seconds: float
    interrupted_by: int | None = None
    """The signal (SIGINT, SIGTERM) that stopped the run early, if one did."""
    evaluated_at: int | None = None
    """The step of the loop's last evaluation (validation, PR curves), if it made one."""

    @property
    def steps_per_second(self) -> float:
        steps = self.last_step - self.first_step
        return steps / self.seconds if self.seconds > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class RunResult:
    model: str
    training: TrainResult | None = None
    test_loss: float | None = None
    test_accuracy: float | None = None
    predictions: tuple[tuple[int, int], ...] = ()
    """(true digit, predicted digit) of each sample predicted with ``is_train=0``."""
