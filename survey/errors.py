"""What the data side refuses, as exceptions a face can show: each message says what was expected."""

from __future__ import annotations


class StoreError(ValueError):
    """A request the store refuses; the message says what was expected."""


class NotFound(StoreError):
    pass


class ValidationProblem(StoreError):
    """Invalid response data. `problems` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class LinkUnavailable(StoreError):
    """The link cannot take answers now. Subclasses say why; respondents see none of it."""


class UnknownLink(LinkUnavailable):
    pass


class SurveyClosed(LinkUnavailable):
    pass


class AlreadySubmitted(LinkUnavailable):
    pass


class IncompleteAnswers(StoreError):
    """Required answers are missing; `topics` lists their keys in survey order."""

    def __init__(self, topics: list[str]):
        self.topics = topics
        super().__init__(f"{len(topics)} topic(s) not answered: {', '.join(topics)}")
