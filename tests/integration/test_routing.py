"""Routing is data: with the shipped intent files and config.toml, a text lands on the right intent, VOC type,
deadline and department — checked without running any channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.config import load_config
from bot.conversation.classification import Classifier
from intents import load_classifier

ROUTES = [
    # text, intent, VOC type, deadline policy, department
    ("회의록 정보공개청구 하려고 합니다", "disclosure_request", "inquiry", "10일", "disclosure"),
    ("신용보증기금법 제23조 해석 부탁드립니다", "statute_question", "inquiry", "14일", "legal"),
    ("How do I renew my credit guarantee online?", "procedure_question", "inquiry", "7일", "voc_desk"),
    ("창구 직원이 너무 불친절했어요", "unfriendly_service", "complaint", "7일", "service_quality"),
    ("서류를 잘못 안내받아서 지점을 세 번이나 갔어요", "repeat_visit", "complaint", "7일", "service_quality"),
    ("보증료를 과다 청구해서 손해를 봤습니다 배상해 주세요", "financial_damage", "complaint", "7일", "mediation"),
    ("The website keeps crashing when I upload documents", "other_complaint", "complaint", "7일", "voc_desk"),
    ("온라인 신청 서류를 간소화하면 좋겠습니다", "improvement_proposal", "suggestion", "14일", "planning"),
    ("부산지점 김 대리님 정말 친절하셨어요 감사합니다", "staff_praise", "praise", "7일", "voc_desk"),
]


@pytest.fixture(scope="module")
def shipped(shipped_config_file: Path) -> tuple[Classifier, RoutingTable]:
    config = load_config(shipped_config_file, {})
    return load_classifier(config), RoutingTable.from_settings(config.settings)


@pytest.mark.parametrize(("text", "intent", "voc_type", "deadline", "department"), ROUTES)
def test_text_routes_to_intent_type_deadline_and_department(
    shipped: tuple[Classifier, RoutingTable], text: str, intent: str, voc_type: str, deadline: str,
    department: str,
) -> None:
    classifier, routing = shipped
    found = classifier.classify(text)
    route = routing.route(found.intent)
    assert (found.intent, route.voc_type.value, str(route.period), route.department) == (
        intent, voc_type, deadline, department)


def test_dialogue_intents_are_recognised(shipped: tuple[Classifier, RoutingTable]) -> None:
    classifier, routing = shipped
    handoff = classifier.classify("상담원 연결해 주세요")
    assert (handoff.intent, handoff.voc_type, handoff.source) == ("human_handoff", None, "rule")
    assert handoff.intent not in routing


def test_two_matters_in_one_message_each_read_on_their_own(shipped: tuple[Classifier, RoutingTable]) -> None:
    """The issue's example: the dialogue cuts the message and both pieces are confident, different VOCs."""
    from bot.conversation.intake import matters

    classifier, _ = shipped
    pieces = matters("세 번이나 방문했는데 서류 또 가져오래요. 그리고 상담 직원도 불친절했어요")
    readings = [classifier.classify(p) for p in pieces]
    assert [r.intent for r in readings] == ["repeat_visit", "unfriendly_service"]
    assert all(r.confidence >= 0.55 for r in readings)


def test_talk_to_a_person_is_a_rule_in_both_languages(shipped: tuple[Classifier, RoutingTable]) -> None:
    classifier, _ = shipped
    for text in ("상담원 연결", "talk to a person"):
        assert (classifier.classify(text).intent, classifier.classify(text).source) == ("human_handoff", "rule")
