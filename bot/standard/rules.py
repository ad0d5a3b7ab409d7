"""The remedies' terms as the domain reads them (from ``[remedies]``), and which remedy an intent opens.

Routing is data: ``[intents.*] remedy`` names a kind, ``[remedies.<kind>]`` says what it promises."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.casework.deadlines import Period, Unit

if TYPE_CHECKING:
    from bot.config import Settings


class RemedyKind(StrEnum):
    KINDNESS = "kindness"  # 친절서비스 보증
    ACCURACY = "accuracy"  # 서비스 정확성 보증 (재방문, 약속 불이행)
    DAMAGE = "damage"  # 피해보상 (민원조정위원회)


@dataclass(frozen=True)
class Terms:
    kind: RemedyKind
    label: str
    amount: int
    repeat_amount: int
    repeat_visits: int
    investigate: Period
    steps: tuple[str, ...]
    department: str = ""

    def amount_for(self, visits: int) -> int:
        """The compensation in won: the repeat amount from ``repeat_visits`` visits on (KODIT: 3회 이상 2만원)."""
        if self.repeat_amount and visits >= self.repeat_visits:
            return self.repeat_amount
        return self.amount


@dataclass(frozen=True)
class RemedyRules:
    terms: Mapping[RemedyKind, Terms]
    by_intent: Mapping[str, RemedyKind]

    def for_intent(self, intent: str) -> Terms | None:
        kind = self.by_intent.get(intent)
        return self.terms[kind] if kind is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> RemedyRules:
        terms = {kind: terms_of(settings, kind) for kind in RemedyKind}
        by_intent = {name: RemedyKind(meta.remedy) for name, meta in settings.intents.items() if meta.remedy}
        return cls(terms, by_intent)


def terms_of(settings: Settings, kind: str) -> Terms:
    """The terms of remedy ``kind`` (a key of ``[remedies]``)."""
    t = settings.remedies.terms(kind)
    return Terms(RemedyKind(kind), t.label, t.amount, t.repeat_amount, t.repeat_visits,
                 Period(t.investigate_days, Unit.DAYS), tuple(t.steps), t.department)
