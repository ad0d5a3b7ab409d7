"""The classifier trained on the small fixture set: routing, rules, odd input, the fast scorer."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import AppConfig, load_config
from bot.conversation.classification import Classifier, VocType
from bot.errors import IntentFileError
from intents import load_classifier, load_rule_classifier
from intents.classifier import IntentClassifier
from intents.features import Morphology, normalize
from intents.loader import load_intents, training_set
from intents.model import tokens, train
from intents.scorer import Scorer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intents"
VOC = {
    "general_inquiry": "inquiry", "delay_complaint": "complaint", "unfriendly_service": "complaint",
    "improvement_proposal": "suggestion", "staff_praise": "praise",
}


def write_config(folder: Path, intents_dir: Path, voc: dict[str, str] = VOC) -> AppConfig:
    lines = [
        'desk_department = "desk"',
        f'[classifier]\nintents_dir = "{intents_dir.as_posix()}"\ncache_dir = "{(folder / "cache").as_posix()}"',
        '[policies.simple]\nperiod = 7\nunit = "days"',
        '[departments.desk]\nname = "고객지원부"',
        '[departments.cs]\nname = "CS혁신팀"',
    ]
    for name, kind in voc.items():
        department = '\ndepartment = "cs"' if name == "unfriendly_service" else ""
        lines.append(f'[intents.{name}]\nvoc_type = "{kind}"\npolicy = "simple"{department}')
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_config(path, {})


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> AppConfig:
    return write_config(tmp_path_factory.mktemp("classifier"), FIXTURES)


@pytest.fixture(scope="module")
def classifier(config: AppConfig) -> IntentClassifier:
    return load_classifier(config)


@pytest.mark.parametrize(
    ("text", "intent", "voc_type"),
    [
        ("안녕하세요", "greet", None),
        ("대구지점 영업시간 좀 알려주세요", "general_inquiry", VocType.INQUIRY),
        ("보증 심사가 한 달째 안 끝나서 너무 답답합니다", "delay_complaint", VocType.COMPLAINT),
        ("the officer was rude and yelled at me", "unfriendly_service", VocType.COMPLAINT),
        ("모바일 앱으로 서류를 낼 수 있게 해 주시면 좋겠어요", "improvement_proposal", VocType.SUGGESTION),
        ("박 대리님 정말 친절하셔서 감사했습니다", "staff_praise", VocType.PRAISE),
    ],
)
def test_texts_route_to_their_intent(
    classifier: IntentClassifier, text: str, intent: str, voc_type: VocType | None
) -> None:
    found = classifier.classify(text)
    assert (found.intent, found.voc_type, found.source) == (intent, voc_type, "model")
    assert found.confidence > found.alternatives[0].confidence


def test_admin_rules_override_the_model(classifier: IntentClassifier) -> None:
    text = "박 대리님 정말 친절하셨는데 옆 직원은 반말을 하더라고요"
    assert classifier.rank(text)[0].intent == "staff_praise"  # what the model alone thinks
    found = classifier.classify(text)
    assert (found.intent, found.voc_type, found.confidence, found.source) == (
        "unfriendly_service", VocType.COMPLAINT, 1.0, "rule")
    assert found.alternatives[0].intent == "staff_praise"
    assert "unfriendly_service" not in {c.intent for c in found.alternatives}


def test_a_rule_can_name_a_dialogue_intent_without_examples(classifier: IntentClassifier) -> None:
    found = classifier.classify("상담원 연결 부탁드려요")
    assert (found.intent, found.voc_type, found.source) == ("human_handoff", None, "rule")
    assert classifier.classify("can I speak to a human please").intent == "human_handoff"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x07\x1b[31m", "\u200b\ufeff", "🙂🙂", "????", "ㅋㅋㅋㅋㅋ"])
def test_text_without_words_never_fails(classifier: IntentClassifier, text: str) -> None:
    found = classifier.classify(text)
    assert 0.0 <= found.confidence <= 1.0
    if not normalize(text):
        assert (found.intent, found.confidence, found.alternatives) == ("out_of_scope", 0.0, ())


def test_huge_and_odd_text(classifier: IntentClassifier) -> None:
    huge = "심사가 너무 늦어요 " * 12_000  # ~120 KB
    assert len(huge) > 100_000
    assert classifier.classify(huge).intent == "delay_complaint"
    assert classifier.classify("ＷＨＹ ＩＳ ＭＹ ＣＬＡＩＭ ＴＡＫＩＮＧ ＳＯ ＬＯＮＧ？").intent == "delay_complaint"
    decomposed = unicodedata.normalize("NFD", "심사가 한 달째 너무 늦어요")  # jamo, as some phones send it
    assert classifier.classify(decomposed).intent == "delay_complaint"
    assert classifier.classify("\ud800 lone surrogate 심사 늦어요").voc_type == VocType.COMPLAINT
    assert classifier.classify("가나다라마바사아자차카타파하" * 30).confidence <= 1.0  # one endless "word"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_a_sound_classification(classifier: IntentClassifier, text: str) -> None:
    found = classifier.classify(text)
    confidences = [found.confidence, *(c.confidence for c in found.alternatives)]
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert len(found.alternatives) <= 3
    if found.source == "model":
        assert confidences == sorted(confidences, reverse=True)
    for c in (found, *found.alternatives):
        assert c.voc_type == (VocType(VOC[c.intent]) if c.intent in VOC else None)


def test_it_satisfies_the_port(classifier: IntentClassifier) -> None:
    port: Classifier = classifier
    assert port.classify("hello").intent == "greet"


def test_probabilities_sum_to_one(classifier: IntentClassifier) -> None:
    ranked = classifier.rank("서류 제출 온라인으로 되게 해주세요")
    assert len(ranked) == len(classifier.intents)
    assert sum(c.confidence for c in ranked) == pytest.approx(1.0)


def test_the_fast_scorer_equals_the_model_on_tokens(config: AppConfig) -> None:
    texts, labels = training_set(load_intents(config))
    model = train(texts, labels, {y: y for y in labels})
    scorer = Scorer(model)
    probes = [
        *texts[:10], "전혀 본 적 없는 낱말들: 가나다라 마바사 아자차 카타파 하하하 호호호 히히히",
        "hello hello hello rude rude", "", "a", "?? !!", "보증 보증 보증 심사 심사",
    ]
    for text in probes * 2:  # twice: the second time every word comes from the scorer's memory
        norm = normalize(text)
        expected = model.probabilities(tokens(norm, Morphology(model.lexicon)))
        assert np.allclose(scorer.probabilities(norm), expected)


def test_two_intents_train_and_score(config: AppConfig) -> None:
    texts = ["안녕하세요", "hello", "안녕", "너무 늦어요", "왜 이렇게 느려요", "still waiting"]
    labels = ["greet"] * 3 + ["delay_complaint"] * 3
    model = train(texts, labels, {"greet": "greet", "delay_complaint": "voc:complaint"})
    p = Scorer(model).probabilities(normalize("처리가 너무 늦어요"))
    assert model.labels[int(p.argmax())] == "delay_complaint" and p.sum() == pytest.approx(1.0)


def test_one_example_of_an_intent_is_enough_to_train() -> None:
    groups = {"greet": "greet", "delay_complaint": "voc:complaint"}
    model = train(["안녕", "hello", "늦어요"], ["greet", "greet", "delay_complaint"], groups)
    assert model.labels == ("delay_complaint", "greet")


def test_an_intent_without_metadata_names_its_file_and_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, FIXTURES, {k: v for k, v in VOC.items() if k != "staff_praise"})
    with pytest.raises(IntentFileError) as caught:
        load_intents(config)
    assert caught.value.file == str(FIXTURES / "voc.yml") and caught.value.line == 52
    assert "staff_praise" in caught.value.problem


def test_the_rule_classifier_loads_without_training(config: AppConfig) -> None:
    rules = load_rule_classifier(config)
    assert rules.classify("직원이 반말을 해요").intent == "unfriendly_service"
    assert rules.classify("직원분 친절해요").intent == "out_of_scope"
