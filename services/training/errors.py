"""Domain errors of the training service; the servicer maps each to a status code in one table."""

from collections.abc import Mapping


class TrainingError(Exception):
    """A training rule refused the request."""


class UnknownStaff(TrainingError):
    """No such person in training's roster."""


class UnknownUnit(TrainingError):
    """No such unit in training's roster."""


class UnknownCertificationType(TrainingError):
    """No such certification type."""


class UnknownRenewal(TrainingError):
    """No such renewal submission."""


class NotIdentified(TrainingError):
    """The call carries no Slack identity, or one training does not know."""


class NotPermitted(TrainingError):
    """The caller may not see or do this."""


class AlreadyDecided(TrainingError):
    """The renewal was verified or rejected already; a decision is final."""


class InvalidInput(TrainingError):
    def __init__(self, violations: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in violations.items()))
        self.violations = dict(violations)
