"""Routing is data: an intent maps to its VOC type, deadline policy, department and remedy."""

from __future__ import annotations

from dataclasses import dataclass

from bot.casework.deadlines import Period
from bot.config import Settings
from bot.conversation.classification import VocType


@dataclass(frozen=True)
class Route:
    intent: str
    voc_type: VocType
    label: str
    label_en: str
    policy_name: str
    period: Period
    department: str
    department_name: str
    department_name_en: str
    remedy: str


class RoutingTable:
    def __init__(self, routes: dict[str, Route]) -> None:
        self._routes = routes

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutingTable:
        routes = {}
        for name, meta in settings.intents.items():
            dept_key = meta.department or settings.desk_department
            dept = settings.departments[dept_key]
            routes[name] = Route(
                intent=name, voc_type=meta.voc_type, label=meta.label or name,
                label_en=meta.label_en or meta.label or name, policy_name=meta.policy,
                period=settings.policies[meta.policy].to_period(), department=dept_key,
                department_name=dept.name, department_name_en=dept.name_en or dept.name,
                remedy=meta.remedy,
            )
        return cls(routes)

    def __contains__(self, intent: object) -> bool:
        return intent in self._routes

    def route(self, intent: str) -> Route:
        return self._routes[intent]

    def intents_of(self, voc_type: VocType) -> list[Route]:
        return [r for r in self._routes.values() if r.voc_type is voc_type]

    def default_for(self, voc_type: VocType) -> Route:
        """The catch-all intent of a VOC type, used when the customer picks only the type."""
        routes = self.intents_of(voc_type)
        for prefix in ("other_", "general_"):
            for r in routes:
                if r.intent.startswith(prefix):
                    return r
        return routes[0]
