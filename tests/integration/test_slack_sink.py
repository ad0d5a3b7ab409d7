"""Staff alerts through the real Slack sink (slack_sdk's AsyncWebClient) against the fake Slack Web API on
127.0.0.1, on SQLite and PostgreSQL: the card, its thread, chat.update, deadline warnings, escalation, digest,
and Slack's failures (429 with Retry-After, 5xx, timeouts, refusals)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from bot.casework.staff import StaffAction
from bot.clock import FixedClock
from storage.uow import Database
from tests.fake_slack import FakeSlack, fake_slack
from tests.fakes import KST
from tests.integration.slack_support import open_ticket, slack_desk

CS = FakeSlack.channel_id("#voc-cs")  # service_quality's channel
MONDAY = datetime(2026, 9, 14, 10, 0, tzinfo=KST)  # due Tue 09-22 18:00 (the 7th working day)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with fake_slack() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


def card_text(fake: FakeSlack, channel: str = CS) -> str:
    (posted,) = fake.in_channel(channel)
    return "\n".join(str(b) for b in posted.blocks)


async def test_a_new_ticket_posts_its_card_to_the_department_channel(fake: FakeSlack, database: Database,
                                                                      clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        text = "직원이 불친절. 연락처 010-1234-5678, 주민번호 900101-1234567"
        number = await open_ticket(database, MONDAY, text=text)
        await desk.dispatch()
    (posted,) = fake.in_channel(CS)
    text = card_text(fake)
    assert number in posted.text and number in text
    assert "불만 · 불친절 신고" in text and "2026년 9월 22일(화)까지" in text and "근무시간 6일 7시간 남음" in text
    assert "010-****-5678" in text and "1234-5678" not in text.replace("010-****-5678", "")
    assert "900101" not in text and "[주민등록번호 삭제]" in text
    actions = next(b for b in posted.blocks if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "voc_claim", "voc_answer", "voc_supplement", "voc_extend", "voc_transfer"]
    assert {e["value"] for e in actions["elements"]} == {f"{number}|0"}
    async with database.uow() as uow:
        thread = await uow.alerts.thread(number)
    assert thread is not None and (thread.channel, thread.ts) == (CS, posted.ts)


async def test_later_messages_go_into_the_thread_and_the_card_follows_the_status(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        await desk.staff.act(number, StaffAction("assign", "kim (slack:U0KIM)", assignee="kim"))
        await desk.staff.act(number, StaffAction("answer", "kim (slack:U0KIM)", answer="사과드립니다."))
        await desk.dispatch()
    (card,) = fake.in_channel(CS)
    replies = fake.thread(CS, card.ts)
    assert [r.text for r in replies] == [f"{number}: 담당자 배정 (kim (<@U0KIM>)): 담당자 kim",
                                         f"{number}: 답변 완료 (kim (<@U0KIM>))"]
    assert card.updates == 2 and "답변 완료" in card_text(fake)
    assert [e["action_id"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]] == ["voc_close"]
    assert desk.customers.sent[-1].kind == "answered"  # the customer heard the answer


async def test_the_ladder_warns_once_per_step_in_the_thread_and_escalates_when_overdue(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock, digest_time="") as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        counts = []
        for now in (datetime(2026, 9, 14, 12, 0, tzinfo=KST), datetime(2026, 9, 17, 14, 30, tzinfo=KST),
                    datetime(2026, 9, 19, 11, 0, tzinfo=KST), datetime(2026, 9, 21, 18, 0, tzinfo=KST),
                    datetime(2026, 9, 22, 9, 0, tzinfo=KST), datetime(2026, 9, 22, 18, 30, tzinfo=KST),
                    datetime(2026, 9, 22, 18, 30, tzinfo=KST)):
            clock.at = now
            counts.append((await desk.sweep(now)).warnings)
            await desk.dispatch()
    assert counts == [0, 1, 0, 1, 1, 1, 0]  # half (Thu), 1d (Mon evening), due_day, overdue; Saturday: nothing
    (card,) = fake.in_channel(CS)
    thread = [r.text for r in fake.thread(CS, card.ts)]
    assert [t.split(":", 1)[1].split("—")[0].strip() for t in thread] == [
        "처리기한의 절반이 지났습니다", "처리기한이 다가옵니다", "오늘이 처리기한입니다", "처리기한이 지났습니다"]
    assert "근무시간 1일 남음" in thread[1] and "기한 경과" in thread[3]
    (escalated,) = fake.in_channel(FakeSlack.channel_id("#voc-escalation"))
    assert number in escalated.text and f"<#{CS}>" in escalated.text
    permalink = f"https://vocdesk-test.slack.com/archives/{CS}/p{card.ts.replace('.', '')}"
    assert f"<{permalink}|스레드 보기>" in escalated.text  # chat.getPermalink of the card


async def test_across_chuseok_and_a_substitute_holiday_each_step_comes_once_in_the_ticket_thread(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    """Received the day before 추석 (09-24..26) with 개천절's substitute holiday (10-05) before the due date: each
    step is swept at its instant and again a minute later, and on the weekend and holidays nothing comes."""
    received = datetime(2026, 9, 23, 10, 0, tzinfo=KST)
    async with slack_desk(fake, database, clock, digest_time="") as desk:
        clock.at = received
        number = await open_ticket(database, received)
        await desk.dispatch()
        async with database.uow() as uow:
            ticket = await uow.tickets.get(number)
        assert ticket is not None and ticket.due_at == datetime(2026, 10, 6, 18, 0, tzinfo=KST)
        counts = {}
        for day in (24, 25, 26, 27):  # 추석 and a Sunday
            counts[f"09-{day}"] = (await desk.sweep(datetime(2026, 9, day, 15, 0, tzinfo=KST))).warnings
        # 55 working hours from receipt to due (7 on 09-23, then 6 days of 8): half is 27.5 h in, Wed 14:30
        for name, at in (("half", datetime(2026, 9, 30, 14, 30, tzinfo=KST)),
                         ("1d", datetime(2026, 10, 2, 18, 0, tzinfo=KST)),  # Friday: Mon 10-05 is a holiday
                         ("holiday", datetime(2026, 10, 5, 12, 0, tzinfo=KST)),
                         ("due_day", datetime(2026, 10, 6, 9, 0, tzinfo=KST)),
                         ("overdue", datetime(2026, 10, 6, 18, 0, 1, tzinfo=KST))):
            clock.at = at
            counts[name] = (await desk.sweep(at)).warnings
            counts[name + " again"] = (await desk.sweep(at + timedelta(minutes=1))).warnings
            await desk.dispatch()
    assert counts == {"09-24": 0, "09-25": 0, "09-26": 0, "09-27": 0, "half": 1, "half again": 0, "1d": 1,
                      "1d again": 0, "holiday": 0, "holiday again": 0, "due_day": 1, "due_day again": 0,
                      "overdue": 1, "overdue again": 0}
    (card,) = fake.in_channel(CS)
    assert [m.text.split(":", 1)[1].split("—")[0].strip() for m in fake.thread(CS, card.ts)] == [
        "처리기한의 절반이 지났습니다", "처리기한이 다가옵니다", "오늘이 처리기한입니다", "처리기한이 지났습니다"]


@pytest.mark.parametrize("failure", ["ratelimited", "message_not_found"])
async def test_the_escalation_goes_out_without_the_link_when_slack_cannot_give_it(
        fake: FakeSlack, database: Database, clock: FixedClock, failure: str) -> None:
    async with slack_desk(fake, database, clock, digest_time="") as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        fake.fail_next("chat.getPermalink", 429 if failure == "ratelimited" else 200, error=failure,
                       headers={"Retry-After": "30"} if failure == "ratelimited" else None)
        overdue = datetime(2026, 9, 22, 18, 30, tzinfo=KST)
        clock.at = overdue
        assert (await desk.sweep(overdue)).warnings == 1
        await desk.dispatch()
    (escalated,) = fake.in_channel(FakeSlack.channel_id("#voc-escalation"))
    assert number in escalated.text and f"(<#{CS}> 스레드)" in escalated.text
    assert len(fake.thread(CS, fake.in_channel(CS)[0].ts)) == 1  # the warning in the thread too


async def test_a_429_waits_for_retry_after_and_loses_nothing(fake: FakeSlack, database: Database,
                                                             clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        await open_ticket(database, MONDAY)
        fake.fail_next("chat.postMessage", 429, headers={"Retry-After": "7"})
        await desk.dispatch()
        assert fake.in_channel(CS) == []
        async with database.uow() as uow:
            (row,) = [r for r in await uow.deliveries.rows("pending", None) if r.sink == "staff"]
        assert row.next_attempt_at == MONDAY + timedelta(seconds=7) and "rate limit" in row.last_error
        clock.advance(timedelta(seconds=7))
        await desk.dispatch()
    assert len(fake.in_channel(CS)) == 1


@pytest.mark.parametrize("failure", ["503", "timeout"])
async def test_an_outage_delays_the_alert(fake: FakeSlack, database: Database, clock: FixedClock,
                                          failure: str) -> None:
    async with slack_desk(fake, database, clock) as desk:
        await open_ticket(database, MONDAY)
        if failure == "503":
            fake.fail_next("chat.postMessage", 503, error="service_unavailable")
        else:
            fake.delay = 1.5  # longer than the client's timeout
        await desk.dispatch()
        fake.delay = 0.0
        assert fake.in_channel(CS) == []
        clock.advance(timedelta(hours=1))
        await desk.dispatch()
    assert len(fake.in_channel(CS)) == 1


async def test_a_refusal_is_dead_lettered_and_staff_are_told(fake: FakeSlack, database: Database,
                                                             clock: FixedClock) -> None:
    fake.refused_channels.add(CS)
    async with slack_desk(fake, database, clock) as desk:
        await open_ticket(database, MONDAY)
        await desk.dispatch()
        async with database.uow() as uow:
            dead = await uow.deliveries.rows("dead", None)
    assert {r.kind for r in dead} == {"ticket_opened", "delivery_dead"}  # the dead letter went the same way
    assert "not_in_channel" in next(r.last_error for r in dead if r.kind == "ticket_opened")


async def test_without_a_department_channel_the_default_channel_gets_it(fake: FakeSlack, database: Database,
                                                                         clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        desk.sink.channels = type(desk.sink.channels)({}, "#voc-alerts", "")
        await open_ticket(database, MONDAY)
        await desk.dispatch()
    assert len(fake.in_channel(FakeSlack.channel_id("#voc-alerts"))) == 1


async def test_a_transfer_posts_a_new_card_for_the_new_department(fake: FakeSlack, database: Database,
                                                                 clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        await desk.staff.act(number, StaffAction("transfer", "kim", department="legal", reason="법령 해석 필요"))
        await desk.dispatch()
        await desk.staff.act(number, StaffAction("note", "lee", reason="검토 중"))
        await desk.dispatch()
    (old,) = fake.in_channel(CS)
    assert "이관" in fake.thread(CS, old.ts)[0].text
    legal = FakeSlack.channel_id("#voc-legal")
    (new,) = fake.in_channel(legal)
    assert [r.text for r in fake.thread(legal, new.ts)] == [
        f"{number}: 이관 (kim): → 법무실 — 법령 해석 필요", f"{number}: 메모 (lee): 검토 중"]


async def test_a_deleted_card_is_posted_again(fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        fake.messages.clear()  # someone deleted the card
        await desk.staff.act(number, StaffAction("start", "kim"))
        await desk.dispatch()
    (card,) = fake.in_channel(CS)
    assert [r.text for r in fake.thread(CS, card.ts)] == [f"{number}: 처리 시작 (kim)"]


async def test_the_morning_digest_per_department(fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        late = await open_ticket(database, MONDAY - timedelta(days=14), user="u1")
        soon = await open_ticket(database, MONDAY - timedelta(days=6), user="u2")
        await open_ticket(database, MONDAY, user="u3")
        await open_ticket(database, MONDAY, department="legal", intent="statute_question", user="u4")
        await desk.dispatch()
        morning = datetime(2026, 9, 15, 8, 59, tzinfo=KST)
        assert (await desk.sweep(morning)).digests == 0
        assert (await desk.sweep(morning + timedelta(minutes=1))).digests == 2
        assert (await desk.sweep(morning + timedelta(hours=3))).digests == 0  # once a day
        await desk.dispatch()
    digest = fake.in_channel(CS)[-1].text
    assert digest.startswith("📋 2026-09-15 CS혁신팀 민원 현황: 처리 중 3건, 기한 임박 1건, 기한 경과 1건")
    assert late in digest and soon in digest
    assert "법무실 민원 현황: 처리 중 1건" in fake.in_channel(FakeSlack.channel_id("#voc-legal"))[-1].text


async def test_a_customer_message_on_an_open_ticket_goes_into_its_thread_masked(
        fake: FakeSlack, database: Database, clock: FixedClock) -> None:
    async with slack_desk(fake, database, clock) as desk:
        number = await open_ticket(database, MONDAY)
        await desk.dispatch()
        async with database.uow() as uow:  # as the dialogue appends a message to the customer's open ticket
            ticket = await uow.tickets.get(number)
            assert ticket is not None
            event = ticket.add_customer_message(MONDAY, f"customer:{ticket.customer_id}", "제 번호는 010-2222-3333 <b>")
            await uow.tickets.save(ticket)
            await uow.outbox.put("customer_message", {
                "number": number, "at": MONDAY.isoformat(), "status": ticket.status.value,
                "due_at": ticket.due_at.isoformat(), "text": event.data.get("text", ""),
            }, dedupe_key=f"{number}:{len(ticket.events)}")
            await uow.commit()
        await desk.dispatch()
    (card,) = fake.in_channel(CS)
    (reply,) = fake.thread(CS, card.ts)
    assert reply.text.endswith("고객 추가 내용: 제 번호는 010-****-3333 &lt;b&gt;")
