"""The console sink: notices written as log lines (the default provider, so ``make run`` shows every notice
without an account anywhere). Phone numbers are masked in every line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from bot.notices.model import Outcome, Outgoing, Sent
from bot.pii import mask, mask_phone

LABELS = {"sms": "알림톡/문자", "console": "고객 알림", "staff": "직원 알림", "telegram": "텔레그램"}


def render(message: Outgoing) -> str:
    """One notice as log text: ``[알림톡/문자 → 010-****-5678] (VOC_RECEIPT) …``."""
    to = mask_phone(message.to) if message.channel == "sms" else message.to
    template = f" ({message.alimtalk.template_id})" if message.alimtalk else ""
    body = mask(message.text).replace("\n", "\n    ")
    return f"[{LABELS.get(message.channel, message.channel)} → {to}]{template} {body}"


class ConsoleSink:
    """Writes each notice to ``stream`` and counts it sent."""

    batch_size = 500

    def __init__(self, name: str, stream: TextIO) -> None:
        self.name, self.stream = name, stream

    async def send(self, batch: Sequence[Outgoing]) -> list[Outcome]:
        for message in batch:
            self.stream.write(render(message) + "\n")
        self.stream.flush()
        return [Sent(m.key) for m in batch]
