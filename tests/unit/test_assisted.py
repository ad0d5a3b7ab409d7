"""The VOC actions an assistant that keeps its own conversation (Rasa) asks for, on the in-memory fakes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.assisted import Answer, Ask, AssistedDesk
from bot.conversation.classification import VocType
from bot.conversation.dialogue import DialogueDeps
from bot.ports import UnitOfWorkFactory
from tests.fakes import KST, BrokenOutboxUnitOfWork, ScriptedClassifier, Store, classification, fake_uow_factory

ROOT = Path(__file__).resolve().parents[2]
C, Q = VocType.COMPLAINT, VocType.INQUIRY
TABLE = {
    "불친절": classification("unfriendly_service", C, 0.91, ("other_complaint", C, 0.05)),
    "rude": classification("unfriendly_service", C, 0.88),
    "늦어": classification("delay_complaint", C, 0.7),
    "안녕": classification("greet", None, 0.95),
    "새 유형": classification("unknown_complaint", C, 0.8),
}
UNFRIENDLY = "창구 직원이 너무 불친절했어요"


@pytest.fixture
def store() -> Store:
    return Store()


def desk(store: Store, uow: UnitOfWorkFactory | None = None) -> AssistedDesk:
    settings = load_config(ROOT / "config.toml", {}).settings
    deps = DialogueDeps(
        uow=uow or fake_uow_factory(store), routing=RoutingTable.from_settings(settings),
        classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),
        calendar=WorkCalendar.build(settings.calendar.windows()), settings=settings,
        clock=FixedClock(datetime(2026, 9, 22, 10, 0, tzinfo=KST)),  # a Tuesday
    )
    return AssistedDesk(deps, "rasa")


def text(answer: Answer) -> str:
    return "\n".join(answer.says)


async def test_opening_files_the_classified_intent_with_its_legal_deadline(store: Store) -> None:
    answer = await desk(store).open_ticket(Ask("user-7", UNFRIENDLY, message_key="user-7:m1"))
    assert dict(answer.facts) == {"ticket_number": "VOC-2026-000001", "due_date": "2026-10-02T18:00:00+09:00",
                                  "department": "service_quality", "text": None, "intent": None}
    assert "접수번호: VOC-2026-000001" in text(answer) and "2026년 10월 2일(금)까지" in text(answer)
    assert "CS혁신팀" in text(answer) and "불친절 신고는 7일 이내" in text(answer)  # the intent's remedy
    ticket = store.tickets["VOC-2026-000001"]
    assert (ticket.channel, ticket.intent, ticket.confidence) == ("rasa", "unfriendly_service", 0.91)
    customer = store.customers[ticket.customer_id]
    assert (customer.channel, customer.external_id) == ("rasa", "user-7")
    assert [o["kind"] for o in store.outbox] == ["ticket_opened", "remedy_open"]  # the remedy case opened with it
    assert store.commits == 1


async def test_the_assistant_s_intent_wins_when_vocdesk_routes_it(store: Store) -> None:
    answer = await desk(store).open_ticket(Ask("u", UNFRIENDLY, intent="delay_complaint"))
    ticket = store.tickets[str(answer.facts["ticket_number"])]
    assert (ticket.intent, ticket.confidence) == ("delay_complaint", 0.0)
    await desk(store).open_ticket(Ask("u", UNFRIENDLY, intent="greet"))  # not a VOC intent: the classifier's
    assert store.tickets["VOC-2026-000002"].intent == "unfriendly_service"


async def test_an_intent_outside_the_routing_table_files_as_its_type_s_catch_all(store: Store) -> None:
    answer = await desk(store).open_ticket(Ask("u", "새 유형의 불만"))
    assert store.tickets[str(answer.facts["ticket_number"])].intent == "other_complaint"


async def test_a_redelivered_request_opens_nothing_twice_and_says_the_same_ticket(store: Store) -> None:
    first = await desk(store).open_ticket(Ask("u", UNFRIENDLY, message_key="u:m1"))
    again = await desk(store).open_ticket(Ask("u", UNFRIENDLY, message_key="u:m1"))
    assert again.facts == first.facts and "VOC-2026-000001" in text(again)
    assert list(store.tickets) == ["VOC-2026-000001"] and len(store.outbox) == 2  # opened + its remedy case
    other = await desk(store).open_ticket(Ask("u", UNFRIENDLY, message_key="u:m2"))
    assert other.facts["ticket_number"] == "VOC-2026-000002"


async def test_personal_numbers_are_redacted_before_storing_and_the_customer_is_told(store: Store) -> None:
    answer = await desk(store).open_ticket(Ask("u", f"{UNFRIENDLY} 제 번호는 010-1234-5678, 주민번호 900101-1234567"))
    stored = store.tickets["VOC-2026-000001"].text
    assert "1234-5678" not in stored and "1234567" not in stored and "010-****-5678" in stored
    assert answer.says[0].startswith("개인정보 보호를 위해")


async def test_nothing_is_filed_for_no_words_a_greeting_or_a_text_too_long(store: Store) -> None:
    assert "먼저 적어" in text(await desk(store).open_ticket(Ask("u", "   ")))
    assert "먼저 적어" in text(await desk(store).open_ticket(Ask("u", "ㅠㅠ")))
    greeting = await desk(store).open_ticket(Ask("u", "안녕하세요"))
    assert "조금 더 자세히" in text(greeting) and not greeting.facts
    assert "너무 깁니다" in text(await desk(store).open_ticket(Ask("u", "불친절 " * 2000)))
    assert not store.tickets and store.commits == 0


async def test_english_is_answered_in_english_and_a_valid_mobile_is_kept_for_notices(store: Store) -> None:
    answer = await desk(store).open_ticket(Ask("u", "The clerk was rude to me", phone="010-9876-5432"))
    assert "Your case is filed." in text(answer) and "by Fri 2 Oct 2026" in text(answer)
    ticket = store.tickets["VOC-2026-000001"]
    assert ticket.contact_phone == "010-9876-5432" and store.customers[ticket.customer_id].locale == "en"


async def test_a_failure_mid_action_leaves_no_ticket_and_a_retry_opens_it(store: Store) -> None:
    broken = desk(store, lambda: BrokenOutboxUnitOfWork(store))
    with pytest.raises(ConnectionResetError):
        await broken.open_ticket(Ask("u", UNFRIENDLY, message_key="u:m1"))
    assert not store.tickets and not store.inbound and store.commits == 0
    assert "잠시 후 다시" in text(broken.unavailable(Ask("u", UNFRIENDLY)))
    answer = await desk(store).open_ticket(Ask("u", UNFRIENDLY, message_key="u:m1"))
    assert answer.facts["ticket_number"] == "VOC-2026-000001"


async def test_classify_gives_type_intent_confidence_and_keeps_the_redacted_words(store: Store) -> None:
    found = desk(store).classify(Ask("u", f"{UNFRIENDLY} 010-1234-5678"))
    assert dict(found.facts) == {"voc_type": "complaint", "intent": "unfriendly_service", "confidence": 0.91,
                                 "text": f"{UNFRIENDLY} 010-****-5678"}
    assert dict(desk(store).classify(Ask("u", "안녕하세요")).facts) == {
        "voc_type": None, "intent": "greet", "confidence": 0.95}
    assert not found.says and not store.commits


async def test_status_of_the_customer_s_own_ticket_only(store: Store) -> None:
    await desk(store).open_ticket(Ask("owner", UNFRIENDLY))
    mine = await desk(store).status(Ask("owner", "VOC-2026-000001 어떻게 됐나요?"))
    assert mine.facts["status"] == "received" and mine.facts["due_date"] == "2026-10-02T18:00:00+09:00"
    assert "VOC-2026-000001 [접수]" in text(mine) and "2026년 10월 2일(금)까지" in text(mine)
    assert (await desk(store).status(Ask("owner", "뭐였더라", number="1"))).facts["ticket_number"] == \
        "VOC-2026-000001"
    theirs = await desk(store).status(Ask("someone-else", "VOC-2026-000001"))
    assert "찾을 수 없습니다" in text(theirs) and not theirs.facts
    assert "접수번호를 알려" in text(await desk(store).status(Ask("owner", "제 접수 건 어떻게 됐어요")))
    assert store.commits == 1  # asking commits nothing


async def test_handoff_stores_the_request_and_its_staff_alert_together_once_per_message(store: Store) -> None:
    answer = await desk(store).handoff(Ask("u", "상담원 연결해 주세요 010-1234-5678", message_key="u:m9"))
    assert dict(answer.facts) == {"handoff": True} and "상담 직원에게 연결을 요청했습니다" in text(answer)
    (handoff,) = store.handoffs
    assert (handoff.channel, handoff.text) == ("rasa", "상담원 연결해 주세요 010-****-5678")
    (alert,) = store.outbox
    assert alert["kind"] == "handoff" and alert["payload"]["handoff_id"] == handoff.id
    await desk(store).handoff(Ask("u", "상담원 연결해 주세요", message_key="u:m9"))
    assert len(store.handoffs) == 1 and store.commits == 1


async def test_a_failed_handoff_stores_nothing(store: Store) -> None:
    with pytest.raises(ConnectionResetError):
        await desk(store, lambda: BrokenOutboxUnitOfWork(store)).handoff(Ask("u", "상담원", message_key="k"))
    assert not store.handoffs and not store.inbound


async def test_words_too_long_to_file_are_classified_but_not_kept_for_opening(store: Store) -> None:
    found = desk(store).classify(Ask("u", "직원이 불친절 " + "가" * 5000))
    assert found.facts["intent"] == "unfriendly_service" and "text" not in found.facts
