"""Issue 14: the shipped classifier reads customers the way they really write (none of these texts is a
training example): 반말 questions, board titles, statements of need, neutral time questions, short praise,
sarcasm, insistence; a greeting or goodbye wins only when nothing else is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.conversation.classification import VocType
from intents import load_classifier
from intents.classifier import IntentClassifier
from intents.loader import load_intents, training_set

CASES = [
    # informal (반말) questions are inquiries
    ("이거 언제 돼?", VocType.INQUIRY),
    ("환불 어케 해", VocType.INQUIRY),
    ("비번 바꾸는 법 알려줘", VocType.INQUIRY),
    ("수수료 얼마임?", VocType.INQUIRY),
    # a proposal written as a title that ends in a noun
    ("노인 일자리 확대 방안", VocType.SUGGESTION),
    ("공공시설 주차요금 감면 제도 개선 건의", VocType.SUGGESTION),
    ("청년 창업 보증 문턱 완화 건의", VocType.SUGGESTION),
    # a need stated, not asked
    ("I need to change my PIN", VocType.INQUIRY),
    ("I need to update my email address", VocType.INQUIRY),
    # a neutral 언제/when question is an inquiry, not a delay complaint
    ("심사 결과는 언제 나오나요?", VocType.INQUIRY),
    ("새 카드 언제 와요?", VocType.INQUIRY),
    ("when does the branch open?", VocType.INQUIRY),
    # insisting on an answer is still a question
    ("왜 거절됐는지 알려달라고요", VocType.INQUIRY),
    # short praise is a praise VOC, not a dialogue intent
    ("최고예요", VocType.PRAISE),
    ("감사합니다 덕분에 해결했어요", VocType.PRAISE),
    ("thanks so much!", VocType.PRAISE),
    # sarcasm and mockery are complaints, never praise
    ("참 빠르네요 한 달째 기다리는 중", VocType.COMPLAINT),
    ("ㅋㅋㅋ 일처리 진짜 대단하다", VocType.COMPLAINT),
    ("my card still hasn't arrived", VocType.COMPLAINT),
    ("I was charged twice", VocType.COMPLAINT),
    # forum-style feature requests
    ("Please add an option to export statements as PDF", VocType.SUGGESTION),
]


@pytest.fixture(scope="module")
def classifier(shipped_config_file: Path) -> IntentClassifier:
    return load_classifier(load_config(shipped_config_file, {}))


def test_no_case_is_a_training_example(shipped_config_file: Path) -> None:
    texts, _ = training_set(load_intents(load_config(shipped_config_file, {})))
    seen = {" ".join(t.casefold().split()) for t in texts}
    assert not [text for text, _ in CASES if " ".join(text.casefold().split()) in seen]


@pytest.mark.parametrize(("text", "voc_type"), CASES)
def test_real_registers_get_their_voc_type(classifier: IntentClassifier, text: str, voc_type: VocType) -> None:
    assert classifier.classify(text).voc_type is voc_type


@pytest.mark.parametrize(("text", "intent"), [
    ("안녕하세요", "greet"),
    ("hello", "greet"),
    ("감사합니다 수고하세요", "goodbye"),
    ("thanks, bye", "goodbye"),
])
def test_courtesy_alone_stays_a_dialogue_intent(classifier: IntentClassifier, text: str, intent: str) -> None:
    found = classifier.classify(text)
    assert (found.intent, found.voc_type) == (intent, None)


def test_a_greeting_with_something_to_say_is_that_voc(classifier: IntentClassifier) -> None:
    text = "안녕하세요 보증료 환불은 어떻게 받나요"
    found = classifier.classify(text)
    assert found.voc_type is VocType.INQUIRY
    assert all(c.voc_type is not None for c in found.alternatives)
    confidences = [found.confidence, *(c.confidence for c in found.alternatives)]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0 + 1e-9


def test_hand_off_and_status_still_work(classifier: IntentClassifier) -> None:
    for text in ("상담원 연결", "talk to a person"):
        found = classifier.classify(text)
        assert (found.intent, found.source) == ("human_handoff", "rule")
    assert classifier.classify("제 민원 어떻게 됐어요?").intent == "check_status"
