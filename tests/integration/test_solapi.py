"""The SOLAPI sink against a fake SOLAPI on 127.0.0.1 that checks the HMAC header and the body shape."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.notices.model import AlimTalk, Dead, Outgoing, Retry, Sent
from handlers.solapi import SolapiSink, byte_length, sms_type
from tests.fake_solapi import API_KEY, API_SECRET, FakeSolapi, fake_solapi


@pytest.fixture
def fake() -> Iterator[FakeSolapi]:
    with fake_solapi() as server:
        yield server


@pytest.fixture
async def sink(fake: FakeSolapi) -> AsyncIterator[SolapiSink]:
    async with httpx.AsyncClient(base_url=fake.base_url, timeout=0.5) as client:
        yield SolapiSink(client, api_key=API_KEY, api_secret=API_SECRET, sender="02-1234-5678", pf_id="KA01PF_TEST")


def notice(key: str, to: str = "010-1234-5678", text: str = "접수되었습니다") -> Outgoing:
    return Outgoing(key, "ticket_opened", "sms", to, text, AlimTalk(
        "VOC_RECEIPT", {"접수번호": "VOC-2026-000001", "처리기한": "2026년 10월 2일(금)"},
        "[신용보증기금] VOC-2026-000001 접수, 기한 10/2"))


async def test_alimtalk_is_sent_with_kakao_options_and_a_valid_signature(sink: SolapiSink, fake: FakeSolapi) -> None:
    outcomes = await sink.send([notice("k1"), notice("k2", to="010-2222-3333")])
    assert sorted(o.key for o in outcomes if isinstance(o, Sent)) == ["k1", "k2"]
    assert not fake.auth_errors
    (request,) = fake.requests
    first = request["messages"][0]
    assert first["type"] == "ATA" and first["to"] == "01012345678" and first["from"] == "0212345678"
    variables = {"#{접수번호}": "VOC-2026-000001", "#{처리기한}": "2026년 10월 2일(금)"}
    assert first["kakaoOptions"]["variables"] == variables


async def test_a_refused_alimtalk_goes_again_as_sms(sink: SolapiSink, fake: FakeSolapi) -> None:
    fake.kakao_refuses.add("01099998888")
    outcomes = await sink.send([notice("k1", to="010-9999-8888")])
    assert [type(o) for o in outcomes] == [Sent]
    assert [m["type"] for m in fake.accepted] == ["SMS"]
    assert fake.accepted[0]["text"].startswith("[신용보증기금]")


async def test_a_per_message_failure_inside_a_200_is_dead(sink: SolapiSink, fake: FakeSolapi) -> None:
    fake.failing.add("01000000000")
    outcomes = await sink.send([notice("bad", to="010-0000-0000"), notice("ok")])
    by_key = {o.key: o for o in outcomes}
    assert isinstance(by_key["bad"], Dead) and "3059" in by_key["bad"].reason
    assert isinstance(by_key["ok"], Sent)


@pytest.mark.parametrize(("status", "headers", "after"), [
    (500, {}, None), (503, {"Retry-After": "7"}, 7.0), (429, {"Retry-After": "2"}, 2.0), (408, {}, None),
])
async def test_transient_http_errors_are_retried(sink: SolapiSink, fake: FakeSolapi, status: int,
                                                 headers: dict[str, str], after: float | None) -> None:
    fake.statuses.append((status, headers))
    (outcome,) = await sink.send([notice("k1")])
    assert isinstance(outcome, Retry) and outcome.after == after
    (again,) = await sink.send([notice("k1")])  # recovered
    assert isinstance(again, Sent) and fake.delivered()["k1"] == 1


async def test_a_timeout_is_retried(sink: SolapiSink, fake: FakeSolapi) -> None:
    fake.delay = 1.0
    (outcome,) = await sink.send([notice("k1")])
    assert isinstance(outcome, Retry) and "timed out" in outcome.reason


async def test_a_permanent_4xx_is_dead(sink: SolapiSink, fake: FakeSolapi) -> None:
    fake.statuses.append((400, {}))
    (outcome,) = await sink.send([notice("k1")])
    assert isinstance(outcome, Dead) and "400" in outcome.reason


async def test_a_wrong_secret_is_refused_by_the_fake(fake: FakeSolapi) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as client:
        wrong = SolapiSink(client, api_key=API_KEY, api_secret="not-the-secret", sender="0212345678", pf_id="PF")
        (outcome,) = await wrong.send([notice("k1")])
    assert isinstance(outcome, Dead) and fake.auth_errors == ["SignatureDoesNotMatch"]


def test_sms_or_lms_by_cp949_bytes() -> None:
    assert byte_length("똠") == 2 and sms_type("가" * 45) == "SMS" and sms_type("가" * 46) == "LMS"
