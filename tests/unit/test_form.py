"""Form features, normalisation, the dialogue gate's courtesy remover and the eval report (pure: no Kiwi)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from bot.conversation.classification import Classification, VocType
from intents import report
from intents.evaluate import evaluate, read_rows
from intents.features import normalize
from intents.form import form_tokens, style_of, tail_of
from intents.gate import is_short, remainder


@pytest.mark.parametrize(("pairs", "tail", "style"), [
    ([("되", "VV"), ("어", "EF"), ("?", "SF")], "어/EF", "informal"),
    ([("하", "VV"), ("나요", "EF")], "나요/EF", "polite"),
    ([("건의", "NNG"), ("하", "XSV"), ("ᆸ니다", "EF")], "ᆸ니다/EF", "formal"),
    ([("해결", "NNG"), ("되", "XSV"), ("ᆷ", "EF"), ("ㅋㅋ", "SW")], "ᆷ/EF", "nominal"),
    ([("확대", "NNG"), ("방안", "NNG")], "NNG", "noun"),
    ([("알리", "VV"), ("어", "EC"), ("달", "VX"), ("라고", "EC"), ("요", "JX")], "라고/EC+요/JX", "quote"),
    ([("문의", "NNG"), ("요", "JX")], "요/JX", "polite"),
    ([("좋", "VA"), ("어요", "EF"), ("👍", "W_EMOJI")], "어요/EF", "polite"),
    ([("!", "SF")], "", "other"),
])
def test_the_ending_of_a_word_and_its_speech_style(pairs: list[tuple[str, str]], tail: str, style: str) -> None:
    assert tail_of(pairs) == tail
    assert style_of(tail) == style


def test_form_tokens_carry_register_question_and_marks() -> None:
    informal = form_tokens(normalize("이거 언제 돼?"), "어/EF", content=False)
    assert {"style:informal", "q", "wh:when", "qwh:when", "wh:when+informal", "vague"} <= set(informal)
    title = form_tokens(normalize("노인 일자리 확대 방안"), "NNG", content=True)
    assert {"style:noun", "title"} <= set(title) and "q" not in title and "vague" not in title
    mockery = form_tokens(normalize("ㅋㅋㅋㅋ 일처리 수준 😡"), "NNG", content=True)
    assert {"mark:laugh", "emoji:bad", "mix:laugh+bad"} <= set(mockery)
    sarcasm = form_tokens(normalize("great, another 3 hour delay. thanks @Bus_Co #fail"), "", content=True)
    assert {"style:latin", "mix:good+bad", "mark:mention", "mark:hashtag"} <= set(sarcasm)
    assert "q" in form_tokens(normalize("how do I reset my PIN"), "", content=True)
    assert [t for t in form_tokens("a" * 200, "", content=True) if t.startswith("chars:")] == ["chars:>120"]


def test_normalize_links_mentions_repeats_and_lone_jamo() -> None:
    text = normalize("@CardCo_Support 카드 언제 와요ㅠㅠㅠㅠ ㅋㅋㅋㅋㅋ https://t.co/AbC?x=1 www.example.com!!!!!")
    assert text == "@user 카드 언제 와요ㅠㅠ ㅋㅋ url url !!"
    assert normalize("mail me at kim@example.com") == "mail me at kim@example.com"


@pytest.mark.parametrize(("text", "rest"), [
    ("안녕하세요", ""),
    ("감사합니다 수고하세요~ ^^", ""),
    ("thanks so much!!", ""),
    ("ㅇㅋ 고마워 덕분에 해결됨", "덕분에 해결됨"),
    ("안녕하세요 보증료 환불은 어떻게 받나요", "보증료 환불은 어떻게 받나요"),
    ("hi, how do I reset my pin?", "how do i reset my pin?"),
])
def test_courtesy_formulas_are_taken_out(text: str, rest: str) -> None:
    assert remainder(normalize(text)) == rest


def test_long_texts_are_never_only_courtesy() -> None:
    assert is_short(normalize("감사합니다 수고하세요"))
    assert not is_short(normalize("감사합니다 " * 10))


class Scripted:
    """A classifier that answers from a table (fakes over mocks)."""

    def __init__(self, answers: dict[str, Classification]):
        self.answers = answers

    def classify(self, text: str) -> Classification:
        return self.answers[text]


def test_eval_lists_the_worst_errors_and_scores_each_language(tmp_path: Path) -> None:
    data = tmp_path / "set.tsv"
    data.write_text(
        "text\tvoc_type\tlang\tregister\n"
        "카드 언제 와?\tinquiry\tko\tinformal\n"
        "참 빠르네요\tcomplaint\tko\treview\n"
        "I need a new PIN\tinquiry\ten\tstatement_need\n"
        "love it\tpraise\ten\treview\n",
        encoding="utf-8",
    )
    rows = read_rows(data)
    assert [r.lang for r in rows] == ["ko", "ko", "en", "en"]
    fake = Scripted({
        "카드 언제 와?": Classification("general_inquiry", VocType.INQUIRY, 0.9),
        "참 빠르네요": Classification("other_praise", VocType.PRAISE, 0.8),
        "I need a new PIN": Classification("greet", None, 0.95),
        "love it": Classification("other_praise", VocType.PRAISE, 0.7),
    })
    result = evaluate(fake, rows, errors=5)
    assert [(e["line"], e["gold"], e["predicted"], e["confidence"]) for e in result["errors"]] == [
        (4, "inquiry", "none", 0.95), (3, "complaint", "praise", 0.8)]
    assert result["errors"][0]["text"] == "I need a new PIN" and result["errors"][0]["lang"] == "en"
    assert set(result["languages"]) == {"en", "ko"}
    assert result["languages"]["ko"]["n"] == 2 and result["languages"]["ko"]["accuracy"] == 0.5
    assert "errors" not in evaluate(fake, rows)

    console = Console(record=True, width=200)
    report.show(console, "set.tsv", result)
    shown = console.export_text()
    assert "lang=ko" in shown and "lang=en" in shown and "worst misclassified" in shown
    assert "I need a new PIN" in shown
