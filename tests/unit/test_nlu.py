"""Intent files (Rasa NLU YAML), admin rules, metrics and the consistency check: pure, no Kiwi."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.classification import VocType
from bot.errors import IntentFileError
from intents.check import check
from intents.evaluate import fold_of
from intents.metrics import NONE, report
from intents.nlu import Example, IntentBlock, NluData, RuleBlock, dump, parse
from intents.rules import RuleClassifier, RuleSet

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intents"

GOOD = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 안녕하세요
    - hello [Seoul](city) team

- intent: delay_complaint
  metadata:
    owner: cs
  examples: |
    - 심사가 너무 늦어요
- regex: intent:delay_complaint
  examples: |
    - \\d+주째
- lookup: intent:greet
  examples: |
    - 하이
- synonym: 신보
  examples: |
    - 신용보증기금
- regex: account_number
  examples: |
    - \\d{10}
"""


def test_parse_reads_intents_rules_and_lines() -> None:
    data = parse(GOOD, "good.yml")
    greet, delay = data.intents
    assert greet.name == "greet" and greet.line == 3 and greet.file == "good.yml"
    assert [(e.text, e.line) for e in greet.examples] == [("안녕하세요", 5), ("hello [Seoul](city) team", 6)]
    assert greet.examples[1].plain == "hello Seoul team"
    assert delay.extra == {"metadata": {"owner": "cs"}}
    assert [(r.kind, r.intent, r.patterns[0].text, r.line) for r in data.rules] == [
        ("regex", "delay_complaint", r"\d+주째", 13),
        ("lookup", "greet", "하이", 16),
    ]
    assert [next(iter(o)) for o in data.other] == ["synonym", "regex"]  # kept for export


def test_dump_then_parse_gives_the_same_data() -> None:
    data = parse(GOOD, "good.yml")
    assert parse(dump(data), "again.yml") == data
    for path in sorted(FIXTURES.glob("*.yml")):
        fixture = parse(path.read_text(encoding="utf-8"), str(path))
        assert parse(dump(fixture), "again.yml") == fixture


_TEXT = st.text(
    alphabet=st.sampled_from(list("가나다라마바사보증심사늦어요 abcXYZ019?!.,'\"#:[]-ㅋㅠ")), min_size=1, max_size=30
).map(str.strip).filter(lambda t: bool(t) and not t.startswith("-"))


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z_]{0,11}", fullmatch=True), st.lists(_TEXT, min_size=1, max_size=5),
                       min_size=1, max_size=4))
def test_round_trip_of_any_intents(intents: dict[str, list[str]]) -> None:
    data = NluData(tuple(IntentBlock(name, tuple(Example(t) for t in texts)) for name, texts in intents.items()))
    assert parse(dump(data), "x.yml") == data


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n   - bad: [\n', 6, "not valid YAML"),
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n- intent: bye\n', 6, "has no examples"),
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    hello\n', 6, "must start with '- '"),
        ('version: "3.1"\nnlu:\n- intent: a\n  examples: |\n    - x\n- intent: a\n  examples: |\n    - y\n', 6,
         "already defined at f.yml:3"),
        ('version: "3.1"\nnlu:\n- regex: intent:a\n  examples: |\n    - (unclosed\n', 5, "bad regular expression"),
        ('version: "3.1"\nnlu:\n- regex: intent:a\n  examples: |\n    - x*\n', 5, "matches empty text"),
        ('version: "1.0"\nnlu: []\n', 1, "version"),
        ("nlu: {}\n", 1, "expected an nlu: list"),
        ("stories: []\n", 1, "expected an nlu: list"),
        ('nlu:\n- intent: "a b"\n  examples: |\n    - x\n', 2, "bad intent name"),
    ],
)
def test_bad_files_name_the_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(IntentFileError) as caught:
        parse(text, "f.yml")
    assert (caught.value.file, caught.value.line) == ("f.yml", line)
    assert words in str(caught.value) and str(caught.value).startswith(f"f.yml:{line}: ")


def test_an_empty_file_is_an_error() -> None:
    with pytest.raises(IntentFileError, match="empty"):
        parse("", "empty.yml")


def test_an_intent_in_two_files_names_both_places() -> None:
    one = parse('nlu:\n- intent: greet\n  examples: |\n    - hi\n', "one.yml")
    two = parse('nlu:\n- intent: bye\n  examples: |\n    - bye\n- intent: greet\n  examples: |\n    - hey\n', "two.yml")
    with pytest.raises(IntentFileError) as caught:
        one.merged(two)
    assert str(caught.value) == "two.yml:5: intent 'greet' is already defined at one.yml:2"


def _rules(*blocks: tuple[str, str, tuple[str, ...]]) -> RuleSet:
    return RuleSet.from_data(
        NluData(rules=tuple(RuleBlock(kind, intent, tuple(Example(p) for p in ps)) for kind, intent, ps in blocks))  # type: ignore[arg-type]
    )


def test_keywords_ignore_case_and_width_and_match_english_whole_words() -> None:
    rules = _rules(("lookup", "unfriendly_service", ("rude staff", "rude", "반말")))
    assert rules.match("The RUDE \n\t Staff again")  # case and spacing
    assert rules.match("ＲＵＤＥ!")  # NFKC: full-width letters
    assert not rules.match("a prudent answer")
    assert rules.match("직원이반말을했어요")  # Korean keywords match inside words too
    assert rules.match("rude") and rules.match("so rude.") and rules.match("(rude)") and rules.match("무례rude")
    assert not rules.match("rudeness") and not rules.match("crude prudent rude2")


def test_the_longest_match_wins_then_regex_then_file_order() -> None:
    rules = _rules(
        ("lookup", "unfriendly_service", ("불친절",)),
        ("lookup", "staff_praise", ("불친절하지 않",)),
        ("regex", "delay_complaint", (r"\d주째",)),
        ("lookup", "other_complaint", ("3주째",)),
    )
    assert (found := rules.match("직원이 불친절했어요")) and found.intent == "unfriendly_service"
    assert (found := rules.match("전혀 불친절하지 않았어요")) and found.intent == "staff_praise"
    assert (found := rules.match("3주째 기다림")) and found.intent == "delay_complaint"
    assert rules.match("고맙습니다") is None
    assert rules.match("") is None


def test_rule_classifier_needs_no_model() -> None:
    rules = _rules(("lookup", "unfriendly_service", ("반말",)), ("regex", "human_handoff", (r"상담원.*연결",)))
    classifier = RuleClassifier(rules, {"unfriendly_service": VocType.COMPLAINT})
    found = classifier.classify("직원이 반말을 했어요")
    assert (found.intent, found.voc_type, found.confidence, found.source) == (
        "unfriendly_service", VocType.COMPLAINT, 1.0, "rule")
    assert classifier.classify("상담원 연결해 주세요").voc_type is None
    assert classifier.classify("날씨 좋네요").intent == "out_of_scope"
    assert classifier.classify("날씨 좋네요").confidence == 0.0


def test_report_counts_precision_recall_f1_and_the_confusion_matrix() -> None:
    gold = ["complaint", "complaint", "praise", "inquiry", NONE]
    predicted = ["complaint", "praise", "praise", "inquiry", "complaint"]
    result = report(gold, predicted, macro_over=("inquiry", "complaint", "suggestion", "praise"))
    assert result["n"] == 5 and result["accuracy"] == 0.6
    assert result["per_class"]["complaint"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert result["per_class"]["praise"]["precision"] == 0.5 and result["per_class"]["praise"]["recall"] == 1.0
    assert result["macro_f1"] == round((0.5 + 2 / 3 + 1.0) / 3, 4)  # none and the absent suggestion left out
    assert result["confusion"]["labels"] == ["complaint", "inquiry", "praise", NONE]
    assert result["confusion"]["matrix"][0] == [1, 0, 1, 0]


def test_folds_are_stratified() -> None:
    labels = ["a"] * 10 + ["b"] * 5 + ["c"] * 2
    folds = fold_of(labels, 5)
    for label in "ab":
        assert sorted(f for f, y in zip(folds, labels, strict=True) if y == label) == sorted(
            list(range(5)) * (labels.count(label) // 5))
    assert fold_of(labels, 5) == folds  # deterministic


def test_check_finds_duplicates_conflicts_missing_metadata_and_misrouting_rules() -> None:
    data = parse(
        'nlu:\n'
        '- intent: staff_praise\n  examples: |\n    - 친절해요\n    - 친절해요\n    - 불친절하지 않았어요\n'
        '- intent: delay_complaint\n  examples: |\n    - 친절해요\n'
        '- intent: mystery\n  examples: |\n    - ???\n'
        '- lookup: intent:unfriendly_service\n  examples: |\n    - 불친절\n'
        '- lookup: intent:nowhere\n  examples: |\n    - 어디\n',
        "f.yml",
    )
    configured = {"staff_praise": 1, "delay_complaint": 1, "unfriendly_service": 1, "financial_damage": 1}
    found = [str(p) for p in check(data, configured, "config.toml")]
    assert found == [
        "f.yml:5: duplicate example (first at f.yml:4)",
        "f.yml:9: conflicting example: also in intent 'staff_praise' (first at f.yml:4)",
        "f.yml:10: intent 'mystery' has no [intents.mystery] in config.toml and is not a dialogue intent",
        "config.toml: intent 'unfriendly_service' is configured but has no examples",
        "config.toml: intent 'financial_damage' is configured but has no examples",
        "f.yml:16: lookup rule for unknown intent 'nowhere'",
        "f.yml:6: lookup '불친절' (f.yml:15) sends this 'staff_praise' example to 'unfriendly_service'",
    ]
