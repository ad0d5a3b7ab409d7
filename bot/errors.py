"""The vocdesk error tree: small, data-carrying, translated at the edges."""

from __future__ import annotations

from dataclasses import dataclass


class VocdeskError(Exception):
    """Base of every error vocdesk raises on purpose; the CLI prints it without a traceback."""


@dataclass
class ConfigError(VocdeskError):
    """A configuration file or value is wrong; names the file and the key."""

    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.problem}"


@dataclass
class IntentFileError(VocdeskError):
    """An intent file (Rasa NLU YAML) cannot be used; names the file and line."""

    file: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.problem}"


@dataclass
class IllegalTransition(VocdeskError):
    """A lifecycle action that the ticket's current status does not allow."""

    number: str
    status: str
    action: str

    def __str__(self) -> str:
        return f"ticket {self.number}: cannot {self.action} while {self.status}"


@dataclass
class ExtensionRefused(VocdeskError):
    """An extension that 민원처리법 시행령 제21조 does not allow."""

    number: str
    problem: str

    def __str__(self) -> str:
        return f"ticket {self.number}: extension refused: {self.problem}"


@dataclass
class ActionRefused(VocdeskError):
    """A staff action the law does not allow in the ticket's present state; ``problem`` names the article."""

    number: str
    action: str
    problem: str

    def __str__(self) -> str:
        return f"ticket {self.number}: cannot {self.action}: {self.problem}"


@dataclass
class ConcurrentUpdate(VocdeskError):
    """Someone else changed the ticket between our read and our write (optimistic locking)."""

    number: str

    def __str__(self) -> str:
        return f"ticket {self.number} was changed by someone else meanwhile; try again"


@dataclass
class TicketChanged(VocdeskError):
    """The ticket is no longer as the staff member saw it (another action came first): nothing was done."""

    number: str
    status: str

    def __str__(self) -> str:
        return f"ticket {self.number} changed meanwhile (now {self.status}); look again before acting"


@dataclass
class TicketNotFound(VocdeskError):
    number: str

    def __str__(self) -> str:
        return f"no ticket {self.number}"


@dataclass
class InputRejected(VocdeskError):
    """Customer or operator input that cannot be used as it is (empty, too long, unreadable)."""

    problem: str

    def __str__(self) -> str:
        return self.problem


@dataclass
class DatabaseBusy(VocdeskError):
    """No database connection came free within the configured bound; the caller may retry later."""

    waited_s: float

    def __str__(self) -> str:
        return f"the database is busy (waited {self.waited_s:.1f} s for a connection); please try again"


@dataclass
class MissingExtra(VocdeskError):
    """A command needs an optional part of vocdesk that is not installed (``pip install 'vocdesk[extra]'``)."""

    command: str
    extra: str
    package: str

    def __str__(self) -> str:
        return (f"'{self.command}' needs {self.package}, which is not installed: "
                f"pip install 'vocdesk[{self.extra}]' (or -e '.[{self.extra}]' in a source tree)")


@dataclass
class CannotListen(VocdeskError):
    """A server could not open its port (in use, or not allowed)."""

    host: str
    port: int
    reason: str

    def __str__(self) -> str:
        return f"cannot listen on {self.host}:{self.port}: {self.reason}"


@dataclass
class RemedyNotFound(VocdeskError):
    remedy_id: int

    def __str__(self) -> str:
        return f"no remedy {self.remedy_id}"


@dataclass
class RemedyRefused(VocdeskError):
    """A remedy action its kind or present status does not allow."""

    remedy_id: int
    action: str
    problem: str

    def __str__(self) -> str:
        return f"remedy {self.remedy_id}: {self.action} refused: {self.problem}"


@dataclass
class SurveyRefused(VocdeskError):
    """A rating that cannot be taken: unknown or expired invitation, already rated, out of range."""

    problem: str

    def __str__(self) -> str:
        return self.problem
