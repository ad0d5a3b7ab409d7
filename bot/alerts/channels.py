"""Where staff alerts go in Slack: each department's channel (``[departments.*] slack_channel``, else
``[slack] default_channel``) and the escalation channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class Channels:
    departments: Mapping[str, str]
    default: str = ""
    escalation: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Channels:
        slack = settings.slack
        return cls({k: d.slack_channel for k, d in settings.departments.items() if d.slack_channel},
                   slack.default_channel, slack.escalation_channel)

    def of(self, department: str) -> str:
        """The department's channel ("" when neither it nor the default has one)."""
        return self.departments.get(department) or self.default
