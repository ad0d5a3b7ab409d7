from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.tickets import Status
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound, Reply
from tests.fakes import KST, Races, RacingUnitOfWork, ScriptedClassifier, Store, classification, fake_uow_factory

ROOT = Path(__file__).resolve().parents[2]
C, Q, S = VocType.COMPLAINT, VocType.INQUIRY, VocType.SUGGESTION

TABLE = {
    "불친절": classification("unfriendly_service", C, 0.91, ("other_complaint", C, 0.05)),
    "rude": classification("unfriendly_service", C, 0.88, ("other_complaint", C, 0.07)),
    "애매": classification("procedure_question", Q, 0.41, ("delay_complaint", C, 0.38),
                         ("improvement_proposal", S, 0.12)),
    "안녕": classification("greet", None, 0.95),
    "상담원": classification("human_handoff", None, 1.0, source="rule"),
    "날씨": classification("out_of_scope", None, 0.8),
}


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 22, 10, 0, tzinfo=KST))


def make_dialogue(store: Store, clock: FixedClock) -> tuple[Dialogue, ScriptedClassifier]:
    config = load_config(ROOT / "config.toml", {})
    settings = config.settings
    classifier = ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3))
    deps = DialogueDeps(
        uow=fake_uow_factory(store), classifier=classifier, routing=RoutingTable.from_settings(settings),
        calendar=WorkCalendar.build(settings.calendar.windows()), clock=clock, settings=settings,
    )
    return Dialogue(deps), classifier


@pytest.fixture
def dialogue(store: Store, clock: FixedClock) -> Dialogue:
    return make_dialogue(store, clock)[0]


async def say(d: Dialogue, text: str = "", choice: str | None = None, user: str = "u1", **kw: str) -> list[Reply]:
    return await d.handle(Inbound("test", user, text=text, choice=choice, **kw))


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def consent(d: Dialogue, user: str = "u1") -> None:
    await say(d, "/start", user=user)
    await say(d, choice="consent:yes", user=user)


async def file_complaint(d: Dialogue) -> list[Reply]:
    """Consent, an unfriendly-service complaint, confirmed, no contact number: VOC-2026-000001."""
    await consent(d)
    await say(d, "직원이 불친절")
    await say(d, choice="confirm:yes")
    return await say(d, choice="contact:skip")


async def test_full_conversation_opens_ticket_with_legal_due_date(dialogue: Dialogue, store: Store) -> None:
    first = await say(dialogue, "/start")
    assert "개인정보" in joined(first)
    assert [c.id for c in first[-1].choices] == ["consent:yes", "consent:no"]
    assert "자유롭게" in joined(await say(dialogue, choice="consent:yes"))
    asked = await say(dialogue, "창구 직원이 너무 불친절했어요")
    assert "불만 · 불친절 신고" in joined(asked)
    assert "휴대전화번호" in joined(await say(dialogue, choice="confirm:yes"))
    done = joined(await say(dialogue, "010-1234-5678"))
    assert "VOC-2026-000001" in done
    assert "CS혁신팀" in done
    assert "2026년 10월 2일(금)까지" in done
    assert "1만원" in done  # the remedy of an unfriendly-service report
    ticket = store.tickets["VOC-2026-000001"]
    assert (ticket.intent, ticket.voc_type, ticket.status) == ("unfriendly_service", C, Status.RECEIVED)
    assert ticket.contact_phone == "010-1234-5678"
    assert [o["kind"] for o in store.outbox] == ["ticket_opened", "remedy_open"]
    # the service standard's remedy case opened with the ticket, in the same unit of work
    (remedy,) = store.remedies.values()
    assert (remedy.number, remedy.kind.value, remedy.amount, remedy.department) == (
        "VOC-2026-000001", "kindness", 10_000, "service_quality")
    assert remedy.legal_due_at == datetime(2026, 10, 3, 0, 0, tzinfo=KST)  # 7 days, by the deadline engine
    assert [e.action.value for e in ticket.events] == ["receive", "remedy"]


async def test_text_before_consent_is_not_kept_and_the_customer_is_told(dialogue: Dialogue, store: Store) -> None:
    await say(dialogue, "창구 직원이 너무 불친절했어요 정말 화가 납니다")
    assert "불친절" not in repr(store.conversations)
    assert "다시 보내 주세요" in joined(await say(dialogue, choice="consent:yes"))


async def test_declined_consent_stores_no_text(dialogue: Dialogue, store: Store) -> None:
    await say(dialogue, "창구 직원이 너무 불친절했어요")
    replies = await say(dialogue, choice="consent:no")
    assert "저장하지 않았습니다" in joined(replies)
    assert not store.tickets
    assert "불친절" not in repr(store.conversations) + repr(store.customers)
    assert not next(iter(store.customers.values())).has_consent


async def test_typed_number_and_label_pick_a_choice(dialogue: Dialogue, store: Store) -> None:
    await say(dialogue, "/start")
    await say(dialogue, "1")  # the first choice: consent
    await say(dialogue, "직원이 불친절")
    await say(dialogue, "네, 접수합니다")
    await say(dialogue, "건너뛰기")
    assert list(store.tickets) == ["VOC-2026-000001"]


async def test_unsure_classification_asks_to_choose_then_by_type(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    pick = await say(dialogue, "이거 좀 애매한 내용인데요")
    assert [c.id for c in pick[-1].choices] == [
        "pick:procedure_question", "pick:delay_complaint", "pick:improvement_proposal", "pick:none"]
    by_type = await say(dialogue, choice="pick:none")
    assert [c.id for c in by_type[-1].choices][:4] == [
        "type:inquiry", "type:complaint", "type:suggestion", "type:praise"]
    await say(dialogue, choice="type:suggestion")
    await say(dialogue, choice="contact:skip")
    (ticket,) = store.tickets.values()
    assert (ticket.intent, ticket.voc_type) == ("other_suggestion", S)


async def test_other_type_after_confirmation_offers_alternatives(dialogue: Dialogue) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절")
    replies = await say(dialogue, choice="confirm:other")
    assert [c.id for c in replies[-1].choices] == ["pick:other_complaint", "pick:none"]


async def test_repeated_failures_hand_off_to_a_person(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    for _ in range(2):
        assert "다시 적어" in joined(await say(dialogue, "오늘 날씨 어때"))
    assert "연결" in joined(await say(dialogue, "날씨 알려줘"))
    assert [r["kind"] for r in store.outbox] == ["handoff"]


async def test_handoff_intent(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    assert "연결" in joined(await say(dialogue, "상담원 연결해 주세요"))
    assert store.outbox[0]["kind"] == "handoff"


async def test_restart_in_the_middle_of_a_conversation(store: Store, clock: FixedClock) -> None:
    first, _ = make_dialogue(store, clock)
    await consent(first)
    await say(first, "직원이 불친절")
    second, _ = make_dialogue(store, clock)  # a new process on the same database
    await say(second, choice="confirm:yes")
    await say(second, choice="contact:skip")
    assert list(store.tickets) == ["VOC-2026-000001"]


async def test_redelivered_message_is_handled_once(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절", message_key="m1")
    await say(dialogue, choice="confirm:yes", message_key="m2")
    await say(dialogue, choice="contact:skip", message_key="m3")
    assert await say(dialogue, choice="contact:skip", message_key="m3") == []
    assert len(store.tickets) == 1


async def test_status_shows_only_own_tickets(dialogue: Dialogue) -> None:
    await file_complaint(dialogue)
    mine = joined(await say(dialogue, "/status VOC-2026-000001"))
    assert "접수" in mine and "2026년 10월 2일(금)까지" in mine
    assert "VOC-2026-000001" in joined(await say(dialogue, "/status"))
    await consent(dialogue, user="u2")
    assert "찾을 수 없습니다" in joined(await say(dialogue, "/status VOC-2026-000001", user="u2"))


async def test_cancel_withdraws_after_confirmation(dialogue: Dialogue, store: Store) -> None:
    await file_complaint(dialogue)
    ask = await say(dialogue, "/cancel")
    assert [c.id for c in ask[-1].choices] == ["cancel:VOC-2026-000001", "keep:VOC-2026-000001"]
    assert store.tickets["VOC-2026-000001"].status is Status.RECEIVED
    await say(dialogue, "네")
    assert store.tickets["VOC-2026-000001"].status is Status.WITHDRAWN
    assert store.outbox[-1]["kind"] == "ticket_withdrawn"


async def test_cancel_during_a_draft_discards_it(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절")
    assert "취소" in joined(await say(dialogue, "/cancel"))
    assert not store.tickets


async def test_message_while_a_ticket_is_open_can_be_appended(dialogue: Dialogue, store: Store) -> None:
    await file_complaint(dialogue)
    ask = await say(dialogue, "그리고 그 직원이 전화도 불친절하게 끊었어요")
    assert ask[-1].choices[0].id == "append:VOC-2026-000001"
    await say(dialogue, choice="append:VOC-2026-000001")
    events = store.tickets["VOC-2026-000001"].events
    assert events[-1].action.value == "customer_message"
    assert len(store.tickets) == 1


async def test_english_customer_gets_english(dialogue: Dialogue) -> None:
    await say(dialogue, "/start", locale="en")
    await say(dialogue, choice="consent:yes")
    await say(dialogue, "The staff member was rude to me")
    await say(dialogue, choice="confirm:yes")
    done = joined(await say(dialogue, choice="contact:skip"))
    assert "Your case is filed" in done and "by Fri 2 Oct 2026" in done


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\x1b[31m", "\u200b"])
async def test_empty_or_control_only_text(dialogue: Dialogue, text: str) -> None:
    await consent(dialogue)
    assert "비어 있습니다" in joined(await say(dialogue, text))


async def test_huge_text_is_refused_clearly(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    replies = await say(dialogue, "불친절" * 40_000)
    assert "너무 깁니다" in joined(replies)
    assert not store.tickets


async def test_control_characters_are_removed_from_ticket_text(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이\x00 불친절\x1b했어요")
    await say(dialogue, choice="confirm:yes")
    await say(dialogue, choice="contact:skip")
    assert store.tickets["VOC-2026-000001"].text == "직원이 불친절했어요"


async def test_a_turn_that_loses_a_race_on_its_ticket_runs_again(store: Store, clock: FixedClock) -> None:
    dialogue, _ = make_dialogue(store, clock)
    await file_complaint(dialogue)
    await say(dialogue, "/cancel")
    races = Races(left=1)  # staff saved the ticket between this turn's read and its write
    dialogue.deps.uow = lambda: RacingUnitOfWork(store, races)
    done = await say(dialogue, choice="cancel:VOC-2026-000001")
    assert races.lost == 1
    assert "취하했습니다" in joined(done)
    assert store.tickets["VOC-2026-000001"].status is Status.WITHDRAWN
    assert [r["kind"] for r in store.outbox].count("ticket_withdrawn") == 1


async def test_the_question_for_the_contact_number_says_it_expects_a_phone_until_one_is_given(
        dialogue: Dialogue) -> None:
    from bot.conversation.messages import EXPECTS_PHONE

    await consent(dialogue)
    asked = await say(dialogue, "직원이 불친절")
    assert [r.expects for r in asked] == [None] * len(asked)
    (question,) = await say(dialogue, choice="confirm:yes")
    assert question.expects == EXPECTS_PHONE and [c.id for c in question.choices] == ["contact:skip"]
    again = await say(dialogue, "12345")
    assert again[-1].expects == EXPECTS_PHONE
    done = await say(dialogue, "010-1234-5678")
    assert "VOC-2026-" in joined(done) and all(r.expects is None for r in done)
