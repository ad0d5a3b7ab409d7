"""``vocdesk intents ...`` and ``vocdesk classify`` through typer, on a copy of the fixture intents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from bot.cli.context import CliState
from bot.config import load_config
from bot.errors import IntentFileError
from intents.cli import classify_command, intents_app
from intents.loader import load
from intents.nlu import load_dir, load_file

FIXTURES = Path(__file__).parent.parent / "fixtures" / "intents"
VOC = {
    "general_inquiry": "inquiry", "delay_complaint": "complaint", "unfriendly_service": "complaint",
    "improvement_proposal": "suggestion", "staff_praise": "praise",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES, tmp_path / "intents")
    lines = [
        'desk_department = "desk"',
        '[classifier]\nintents_dir = "intents"\ncache_dir = "var/model"',
        '[policies.simple]\nperiod = 7\nunit = "days"',
        '[departments.desk]\nname = "고객지원부"',
    ]
    lines += [
        f'[intents.{name}]\nvoc_type = "{kind}"\npolicy = "simple"\nlabel = "{name}"'
        for name, kind in VOC.items()
    ]
    (tmp_path / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def run(folder: Path, *args: str) -> Result:
    app = typer.Typer()

    @app.callback()
    def root(ctx: typer.Context) -> None:
        ctx.obj = CliState(config_option=folder / "config.toml", environ={})

    app.add_typer(intents_app, name="intents")
    app.command("classify")(classify_command)
    return CliRunner().invoke(app, list(args))


def test_train_then_classify_reuses_the_cached_model(folder: Path) -> None:
    result = run(folder, "intents", "train")
    assert result.exit_code == 0, result.output
    assert "trained on 6 intents, 58 examples, 4 rule patterns" in result.output
    assert len(list((folder / "var" / "model").glob("classifier-*.pickle"))) == 1

    result = run(folder, "classify", "보증 심사가 한 달째 안 끝나서 답답합니다", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert set(found) >= {"intent", "voc_type", "confidence", "alternatives"}
    assert (found["intent"], found["voc_type"]) == ("delay_complaint", "complaint")
    assert [set(a) for a in found["alternatives"]] == [{"intent", "voc_type", "confidence"}] * 3

    config = load_config(folder / "config.toml", {})
    assert load(config).trained is False  # nothing changed: the cached model is used


def test_a_changed_or_damaged_cache_means_training_again(folder: Path) -> None:
    config = load_config(folder / "config.toml", {})
    first = load(config)
    assert first.trained and first.cache_file is not None
    assert load(config).trained is False

    with (folder / "intents" / "dialogue.yml").open("a", encoding="utf-8") as f:
        f.write("    - 좋은 아침입니다\n")
    changed = load(config)
    assert changed.trained and changed.cache_file != first.cache_file
    assert not first.cache_file.exists()  # the stale model was removed

    assert changed.cache_file is not None
    changed.cache_file.write_bytes(b"not a pickle")
    assert load(config).trained  # a damaged cache is retrained, not a crash
    assert load(config).trained is False


def test_classify_without_json_prints_a_table(folder: Path) -> None:
    result = run(folder, "classify", "직원이 반말을 했어요")
    assert result.exit_code == 0, result.output
    assert "unfriendly_service" in result.output and "admin rule" in result.output


def test_check_passes_on_clean_files_and_fails_on_conflicts(folder: Path) -> None:
    result = run(folder, "intents", "check")
    assert result.exit_code == 0, result.output
    assert "OK" in result.output

    with (folder / "intents" / "dialogue.yml").open("a", encoding="utf-8") as f:
        f.write("- intent: out_of_scope\n  examples: |\n    - 영업시간이 어떻게 되나요?\n")
    result = run(folder, "intents", "check")
    assert result.exit_code == 1
    assert "voc.yml:6: conflicting example: also in intent 'out_of_scope'" in result.output


def test_eval_reads_tsv_and_csv_and_prints_one_json_object(folder: Path) -> None:
    tsv = folder / "heldout.tsv"
    tsv.write_text(
        "text\tvoc_type\tintent\n"
        "부산지점은 몇 시에 문 닫나요\tinquiry\tgeneral_inquiry\n"
        "두 달째 보험금이 안 들어와요 너무 늦어요\tcomplaint\tdelay_complaint\n"
        "상담원이 반말하고 전화를 끊었어요\tcomplaint\tunfriendly_service\n"
        "Please let us upload documents in the mobile app\tsuggestion\timprovement_proposal\n"
        "김 주임님 친절하게 도와주셔서 감사합니다\tpraise\tstaff_praise\n",
        encoding="utf-8",
    )
    result = run(folder, "intents", "eval", str(tsv), "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert set(scores) >= {"n", "accuracy", "macro_f1", "per_class", "confusion", "intents"}
    assert scores["n"] == 5 and scores["intents"]["n"] == 5
    assert set(scores["per_class"]) <= {"inquiry", "complaint", "suggestion", "praise", "none"}

    csv = folder / "types.csv"
    csv.write_text('type,text\ninquiry,"영업시간, 알려주세요"\npraise,정말 친절했어요 감사합니다\n', encoding="utf-8")
    result = run(folder, "intents", "eval", str(csv), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["n"] == 2 and "intents" not in json.loads(result.output)

    result = run(folder, "intents", "eval", str(tsv))
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "confusion matrix" in result.output


def test_eval_names_the_line_of_a_bad_label(folder: Path) -> None:
    bad = folder / "bad.tsv"
    bad.write_text("text\tvoc_type\n좋아요\tpraise\n별로예요\tcomplain\n", encoding="utf-8")
    result = run(folder, "intents", "eval", str(bad))
    assert isinstance(result.exception, IntentFileError)
    assert str(result.exception).startswith(f"{bad}:3: unknown voc_type 'complain'")


def test_cv_reports_stratified_cross_validation(folder: Path) -> None:
    result = run(folder, "intents", "cv", "--folds", "3", "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    assert scores["folds"] == 3 and scores["n"] == 58
    assert 0.0 <= scores["macro_f1"] <= 1.0 and set(scores["intents"]["per_class"]) >= set(VOC)


def test_import_then_export_gives_the_same_data(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("rasa")
    source = outside / "extra.yml"
    source.write_text(
        'version: "3.1"\nnlu:\n- intent: human_handoff\n  examples: |\n    - 사람이랑 얘기하고 싶어요\n'
        "    - talk to a [human](who)\n- synonym: 상담원\n  examples: |\n    - 상담사\n",
        encoding="utf-8",
    )
    result = run(folder, "intents", "import-rasa", str(source))
    assert result.exit_code == 0, result.output
    assert (folder / "intents" / "extra.yml").read_bytes() == source.read_bytes()

    refused = run(folder, "intents", "import-rasa", str(source))
    assert isinstance(refused.exception, IntentFileError) and "--force" in str(refused.exception)
    assert run(folder, "intents", "import-rasa", str(source), "--force").exit_code == 0

    exported = outside / "all.yml"
    result = run(folder, "intents", "export-rasa", str(exported))
    assert result.exit_code == 0, result.output
    assert exported.read_text(encoding="utf-8").startswith('version: "3.1"\n')
    assert load_file(exported) == load_dir(folder / "intents")
    assert load_file(exported).intent("human_handoff") == load_file(source).intent("human_handoff")

    again = run(folder, "intents", "export-rasa", str(exported))
    assert isinstance(again.exception, IntentFileError) and "--force" in str(again.exception)
    inside = run(folder, "intents", "export-rasa", str(folder / "intents" / "all.yml"))
    assert isinstance(inside.exception, IntentFileError)


def test_import_refuses_an_intent_defined_in_another_file(folder: Path) -> None:
    source = folder / "greetings.yml"
    source.write_text('nlu:\n- intent: greet\n  examples: |\n    - 하이요\n', encoding="utf-8")
    result = run(folder, "intents", "import-rasa", str(source))
    assert isinstance(result.exception, IntentFileError)
    assert "already defined at" in str(result.exception)
    assert not (folder / "intents" / "greetings.yml").exists()


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n  - oops: [\n', 6, "not valid YAML"),
        ('version: "3.1"\nnlu:\n- intent: goodbye\n', 3, "has no examples"),
        ('nlu:\n- intent: greet\n  examples: |\n    - 하이\n', 2, "'greet' is already defined at"),
    ],
)
def test_broken_intent_files_name_the_file_and_line(folder: Path, content: str, line: int, words: str) -> None:
    broken = folder / "intents" / "zz_broken.yml"
    broken.write_text(content, encoding="utf-8")
    for args in (("intents", "train"), ("classify", "hi"), ("intents", "check")):
        result = run(folder, *args)
        assert isinstance(result.exception, IntentFileError), result.output
        assert str(result.exception).startswith(f"{broken}:{line}: ") and words in str(result.exception)
