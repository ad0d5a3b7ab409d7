"""What a new user hit in the conversation (issue 8): each defect reproduced, then pinned."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.casework.routing import RoutingTable
from bot.casework.staff import Staff, StaffAction
from bot.casework.tickets import Action, Status
from bot.casework.workcalendar import WorkCalendar
from bot.clock import FixedClock
from bot.config import load_config
from bot.conversation.classification import VocType
from bot.conversation.dialogue import Dialogue, DialogueDeps
from bot.conversation.messages import Inbound, Reply
from bot.conversation.texts import LOCALES, Catalog, placeholders
from bot.errors import ConfigError
from tests.fakes import KST, ScriptedClassifier, Store, classification, fake_uow_factory

ROOT = Path(__file__).resolve().parents[2]
C, Q, S, P = VocType.COMPLAINT, VocType.INQUIRY, VocType.SUGGESTION, VocType.PRAISE
HANGUL = re.compile(r"[\uac00-\ud7a3]")

TABLE = {
    "상담원": classification("human_handoff", None, 1.0, source="rule"),
    "talk to a person": classification("human_handoff", None, 1.0, source="rule"),
    "세 번이나 방문": classification("repeat_visit", C, 0.86, ("unfriendly_service", C, 0.1)),
    "불친절": classification("unfriendly_service", C, 0.91, ("other_complaint", C, 0.05)),
    "rude": classification("unfriendly_service", C, 0.88, ("other_complaint", C, 0.07)),
    "감사": classification("staff_praise", P, 0.9, ("other_praise", P, 0.05)),
    "서류": classification("procedure_question", Q, 0.8, ("general_inquiry", Q, 0.1)),
    "Hello": classification("greet", None, 0.95),
    "How do I": classification("procedure_question", Q, 0.8, ("general_inquiry", Q, 0.1)),
}


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 9, 22, 10, 0, tzinfo=KST))


@pytest.fixture
def dialogue(store: Store, clock: FixedClock) -> Dialogue:
    settings = load_config(ROOT / "config.toml", {}).settings
    deps = DialogueDeps(
        uow=fake_uow_factory(store), classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),
        routing=RoutingTable.from_settings(settings), calendar=WorkCalendar.build(settings.calendar.windows()),
        clock=clock, settings=settings,
    )
    return Dialogue(deps)


def staff(store: Store, clock: FixedClock) -> Staff:
    settings = load_config(ROOT / "config.toml", {}).settings
    return Staff(fake_uow_factory(store), WorkCalendar.build(settings.calendar.windows()), clock,
                 frozenset(settings.departments))


async def say(d: Dialogue, text: str = "", choice: str | None = None, user: str = "u1", **kw: str) -> list[Reply]:
    return await d.handle(Inbound("test", user, text=text, choice=choice, **kw))


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


def choice_ids(replies: list[Reply]) -> list[str]:
    return [c.id for r in replies for c in r.choices]


async def consent(d: Dialogue, user: str = "u1") -> None:
    await say(d, "/start", user=user)
    await say(d, choice="consent:yes", user=user)


async def file(d: Dialogue, text: str = "직원이 불친절했어요", user: str = "u1") -> str:
    await say(d, text, user=user)
    await say(d, choice="confirm:yes", user=user)
    done = joined(await say(d, choice="contact:skip", user=user))
    found = re.search(r"VOC-\d{4}-\d{6}", done)
    assert found, done
    return found.group(0)


# -- hand-off from every step ---------------------------------------------------------------------

@pytest.mark.parametrize("steps", [
    ["직원이 불친절했어요"],                           # at the confirm step
    ["직원이 불친절했어요", "confirm:yes"],            # at the phone step
    ["직원이 불친절했어요", "confirm:other", "pick:none"],  # at the type choice
])
async def test_talk_to_a_person_works_mid_flow(dialogue: Dialogue, store: Store, steps: list[str]) -> None:
    await consent(dialogue)
    for step in steps:
        await (say(dialogue, choice=step) if ":" in step else say(dialogue, step))
    replies = joined(await say(dialogue, "상담원 연결"))
    assert "연결을 요청" in replies
    (handoff,) = store.handoffs
    assert handoff.text == "직원이 불친절했어요" and handoff.status == "open"
    assert [r["kind"] for r in store.outbox] == ["handoff"]
    assert not store.tickets


async def test_a_customer_without_consent_gets_the_phone_number_and_nothing_is_stored(
        dialogue: Dialogue, store: Store) -> None:
    await say(dialogue, "/start")
    await say(dialogue, choice="consent:no")
    replies = joined(await say(dialogue, "상담원 연결해 주세요"))
    assert "1588-6565" in replies and "평일 09:00-18:00" in replies
    assert not store.handoffs and not store.outbox


# -- the customer sees the staff's words -----------------------------------------------------------

async def test_status_shows_the_answer_and_what_a_supplement_request_asks(
        dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    await consent(dialogue)
    number = await file(dialogue)
    desk = staff(store, clock)
    await desk.act(number, StaffAction("request-supplement", "staff:kim", reason="방문 일시와 지점명을 알려 주세요"))
    waiting = joined(await say(dialogue, f"/status {number}"))
    assert "방문 일시와 지점명을 알려 주세요" in waiting and "멈춰" in waiting
    await desk.act(number, StaffAction("supplement", "staff:kim"))
    await desk.act(number, StaffAction("answer", "staff:kim", answer="사실을 확인해 해당 직원을 교육했습니다."))
    answered = joined(await say(dialogue, f"/status {number}"))
    assert "답변 완료" in answered and "사실을 확인해 해당 직원을 교육했습니다." in answered
    assert "사실을 확인해" in joined(await say(dialogue, "/status"))  # recently answered cases are listed too


async def test_a_message_on_a_ticket_waiting_for_a_supplement_is_the_supplement(
        dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    await consent(dialogue)
    number = await file(dialogue)
    before = store.tickets[number].due_at
    await staff(store, clock).act(number, StaffAction("request-supplement", "staff:kim", reason="지점명"))
    clock.advance(timedelta(days=2))  # Thursday: two working days passed while paused
    asked = await say(dialogue, "강남지점이었고 9월 21일 오후 3시였습니다")
    assert choice_ids(asked) == [f"append:{number}", "append:new"] and "보완" in joined(asked)
    done = joined(await say(dialogue, choice=f"append:{number}"))
    assert "보완 내용을 제출" in done
    ticket = store.tickets[number]
    assert ticket.status is Status.IN_PROGRESS and ticket.paused_since is None
    assert ticket.events[-1].action is Action.SUPPLEMENT and "강남지점" in ticket.events[-1].data["text"]
    assert ticket.due_at > before  # the paused days were excluded, no more
    assert store.outbox[-1]["kind"] == "ticket_supplement"


async def test_after_a_transfer_status_names_the_new_department(
        dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    await consent(dialogue)
    number = await file(dialogue)
    await staff(store, clock).act(number, StaffAction("transfer", "staff:kim", department="legal", reason="법령"))
    status = joined(await say(dialogue, f"/status {number}"))
    assert "법무실" in status and "CS혁신팀" not in status


# -- two matters, related messages, remedies, feelings ---------------------------------------------

async def test_two_complaints_in_one_message_are_offered_as_two_tickets(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    asked = await say(dialogue, "세 번이나 방문했는데 서류 또 가져오래요. 그리고 상담 직원도 불친절했어요")
    assert choice_ids(asked) == ["two:separate", "two:together"]
    assert "재방문" in joined(asked) and "불친절" in joined(asked)
    await say(dialogue, choice="two:separate")
    await say(dialogue, choice="confirm:yes")
    second = joined(await say(dialogue, choice="contact:skip"))
    assert "VOC-2026-000001" in second and "두 번째" in second
    await say(dialogue, choice="confirm:yes")  # the phone was skipped once: not asked again
    assert [t.intent for t in store.tickets.values()] == ["repeat_visit", "unfriendly_service"]
    assert "불친절" in store.tickets["VOC-2026-000002"].text


async def test_praise_after_a_complaint_is_a_new_case_without_asking(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    await file(dialogue)
    replies = await say(dialogue, "지난번 상담해 주신 분께 감사드립니다")
    assert "append:new" not in choice_ids(replies) and "confirm:yes" in choice_ids(replies)
    related = await say(dialogue, "추가로 말씀드리면 그 직원이 반말도 했어요 불친절")
    assert choice_ids(related)[0] == "append:VOC-2026-000001"


async def test_unfriendly_service_intake_promises_an_investigation_not_money(dialogue: Dialogue) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절했어요")
    await say(dialogue, choice="confirm:yes")
    done = joined(await say(dialogue, choice="contact:skip"))
    assert "7일 이내" in done and "확인되면" in done
    assert "고객에게 1만원 보상" not in done


@pytest.mark.parametrize("feeling", ["😡😡😡", "ㅠㅠ", "ㅜㅜ 😭"])
async def test_an_angry_emoji_gets_a_prompt_to_tell_what_happened(dialogue: Dialogue, feeling: str) -> None:
    await consent(dialogue)
    replies = joined(await say(dialogue, feeling))
    assert "어떤 일이 있으셨는지" in replies and "안녕하세요" not in replies
    first_contact = joined(await say(dialogue, feeling, user="new"))
    assert "어떤 일이 있으셨는지" in first_contact and "동의" in first_contact


# -- language ----------------------------------------------------------------------------------------

async def test_an_english_conversation_sees_no_korean(dialogue: Dialogue, store: Store) -> None:
    replies = await say(dialogue, "Hello")
    replies += await say(dialogue, choice="consent:yes")
    replies += await say(dialogue, "The clerk was rude to me")
    replies += await say(dialogue, choice="confirm:yes")
    replies += await say(dialogue, choice="contact:skip")
    replies += await say(dialogue, "/status")
    texts = [r.text for r in replies] + [c.label for r in replies for c in r.choices]
    assert all(not HANGUL.search(t) for t in texts), [t for t in texts if HANGUL.search(t)]
    assert any("Kept: 3 years" in t for t in texts) and any("within 7 days" in t for t in texts)


async def test_the_language_follows_a_run_of_messages_not_one_phrase(dialogue: Dialogue) -> None:
    await consent(dialogue)
    assert HANGUL.search(joined(await say(dialogue, "How do I apply?"))) is not False  # still Korean
    await say(dialogue, "/cancel")
    assert HANGUL.search(joined(await say(dialogue, "서류는 어떻게 내나요?")))
    await say(dialogue, "/cancel")
    await say(dialogue, "How do I apply for a guarantee?")
    english = joined(await say(dialogue, "How do I send the documents?"))
    assert not HANGUL.search(english)


async def test_an_explicit_switch_changes_the_language_at_once(dialogue: Dialogue) -> None:
    await consent(dialogue)
    assert "English" in joined(await say(dialogue, "English please"))
    assert "Please tell us" in joined(await say(dialogue, "/start"))
    assert "한국어" in joined(await say(dialogue, "/lang ko"))


# -- input forms ------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["+82 10-1234-5678", "010 1234 5678 입니다"])
async def test_phone_input_in_common_forms_is_accepted(dialogue: Dialogue, store: Store, typed: str) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절했어요")
    await say(dialogue, choice="confirm:yes")
    assert "접수되었습니다" in joined(await say(dialogue, typed))
    assert store.tickets["VOC-2026-000001"].contact_phone == "010-1234-5678"


async def test_status_by_the_short_number_of_this_year(dialogue: Dialogue) -> None:
    await consent(dialogue)
    await file(dialogue)
    assert "VOC-2026-000001 [접수]" in joined(await say(dialogue, "/status 1"))
    assert "VOC-2026-000031" in joined(await say(dialogue, "/status 31"))  # not found, but understood


async def test_asking_in_words_to_cancel_offers_withdrawal(dialogue: Dialogue, store: Store) -> None:
    await consent(dialogue)
    number = await file(dialogue)
    asked = await say(dialogue, "접수한 거 취소할게요")
    assert choice_ids(asked) == [f"cancel:{number}", f"keep:{number}"]
    await say(dialogue, "네")
    assert store.tickets[number].status is Status.WITHDRAWN


# -- personal data ------------------------------------------------------------------------------------

RAW = ("900101-1234567", "4111 1111 1111 1111", "110-123-456789", "010-9876-5432")
CARRIER = ("직원이 불친절했어요. 주민번호 900101-1234567, 카드 4111 1111 1111 1111, 계좌 110-123-456789, "
           "폰 010-9876-5432")


async def test_personal_numbers_never_reach_the_store(dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    await consent(dialogue)
    told = joined(await say(dialogue, CARRIER))
    assert "주민등록번호" in told and "저장하지 않습니다" in told
    await say(dialogue, choice="confirm:yes")
    await say(dialogue, "010-5555-6666")  # the contact number is kept whole: the notices need it
    await say(dialogue, "추가로 " + CARRIER)  # appended
    await say(dialogue, choice="append:VOC-2026-000001")
    await say(dialogue, CARRIER, user="u2")  # abandoned before consent
    await consent(dialogue, user="u3")
    await say(dialogue, CARRIER, user="u3")  # abandoned draft
    await say(dialogue, "상담원 연결", user="u3")  # handed off with the draft
    await staff(store, clock).act("VOC-2026-000001", StaffAction(
        "answer", "staff:kim", answer="고객님 번호 010-9876-5432로 연락드렸습니다"))
    dump = repr(store)
    assert not [raw for raw in RAW if raw in dump]
    assert "010-5555-6666" in dump  # only as the contact number
    ticket = store.tickets["VOC-2026-000001"]
    assert "****-****-****-1111" in ticket.text and "010-****-5432" in ticket.answer


async def test_an_abandoned_draft_is_forgotten_after_its_time(
        dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    await consent(dialogue)
    await say(dialogue, "직원이 불친절했어요")
    clock.advance(timedelta(days=2))
    replies = joined(await say(dialogue, choice="confirm:yes"))
    assert "지웠습니다" in replies and not store.tickets
    assert "불친절" not in repr(store.conversations)


async def test_stale_drafts_are_purged_in_bulk(dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    from bot.conversation.dialogue import DRAFT_STEPS

    await consent(dialogue)
    await say(dialogue, "직원이 불친절했어요")
    async with fake_uow_factory(store)() as uow:
        assert await uow.conversations.purge(clock.now() + timedelta(minutes=1), DRAFT_STEPS) == 1
        await uow.commit()
    assert "불친절" not in repr(store.conversations)


# -- the catalog ------------------------------------------------------------------------------------------

def test_every_text_key_exists_in_every_locale_with_the_same_placeholders() -> None:
    catalog = Catalog.load()
    ko = catalog.tables["ko"]
    for locale in LOCALES:
        table = catalog.tables[locale]
        assert set(table) == set(ko), f"{locale}: {set(ko) ^ set(table)}"
        for key, value in table.items():
            assert placeholders(value) == placeholders(ko[key]), f"{locale}.{key}"


def test_every_key_the_code_uses_is_in_the_catalog() -> None:
    catalog = Catalog.load()
    used: set[str] = set()
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"(?:say|ask|choice|self\.t)\(\s*[A-Z_]*,?\s*\"([a-z_.]+)\"", source))
    assert used and not [k for k in used if not catalog.has(k)]


def test_an_admin_override_replaces_a_sentence_and_a_typo_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "ko.toml").write_text('ask_text = "무엇이든 적어 주세요."\n', encoding="utf-8")
    assert Catalog.load(tmp_path).text("ko", "ask_text") == "무엇이든 적어 주세요."
    (tmp_path / "en.toml").write_text('ask_txt = "Tell us"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="ask_txt"):
        Catalog.load(tmp_path)
    (tmp_path / "en.toml").write_text('opened = "Filed."\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="placeholders"):
        Catalog.load(tmp_path)



async def test_a_busy_database_gets_a_clear_retry_message_and_stores_nothing(store: Store, clock: FixedClock) -> None:
    from bot.errors import DatabaseBusy

    class Busy:
        async def __aenter__(self) -> None:
            raise DatabaseBusy(10.0)

        async def __aexit__(self, *exc: object) -> None:
            return None

    settings = load_config(ROOT / "config.toml", {}).settings
    busy = Dialogue(DialogueDeps(
        uow=Busy, classifier=ScriptedClassifier(TABLE, classification("out_of_scope", None, 0.3)),  # type: ignore[arg-type]
        routing=RoutingTable.from_settings(settings), calendar=WorkCalendar.build(settings.calendar.windows()),
        clock=clock, settings=settings,
    ))
    (reply,) = await busy.handle(Inbound("test", "u1", text="The clerk was rude"))
    assert "send it again" in reply.text and not store.customers


async def test_status_tells_the_customer_when_another_legal_stop_holds_the_clock(
        dialogue: Dialogue, store: Store, clock: FixedClock) -> None:
    """민원처리법 시행령 제20조 2호 (an information-system outage): the customer sees the clock is stopped."""
    from bot.casework.deadlines import Stop

    await consent(dialogue)
    number = await file(dialogue)
    await staff(store, clock).act(number, StaffAction("pause", "staff:kim", stop=Stop.OUTAGE, reason="전산 장애"))
    stopped = joined(await say(dialogue, f"/status {number}"))
    assert "멈춰 있습니다" in stopped and "보완" not in stopped
