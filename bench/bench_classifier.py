"""Classifier quality and speed.

Run: python bench/bench_classifier.py  (prints a report, writes bench/results/classifier.json)

* quality: 5-fold stratified cross-validation on the intent files, macro-F1 over the four VOC types
  (dialogue examples count as "none", so a greeting taken for a complaint is a complaint false
  positive), ours against word TF-IDF + logistic regression on the same folds; the held-out file
  tests/data/heldout.tsv through the full classifier (rules included), as `vocdesk intents eval`;
  the real-world register file tests/data/realworld.tsv (when present) per language and per class;
* speed: classify latency on one core after warm-up over 10,000 generated messages of mixed length,
  over Korean and over English messages of 10–500 characters, and the worst case where no word of a
  message was seen before; training time; load time and memory in a fresh process, from the cached
  model.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one core: before numpy is imported

import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import AppConfig, load_config  # noqa: E402
from intents.classifier import IntentClassifier  # noqa: E402
from intents.evaluate import cross_validate, evaluate, read_rows  # noqa: E402
from intents.loader import load, load_intents, training_set, voc_types  # noqa: E402
from intents.metrics import NONE, report  # noqa: E402

HELDOUT = ROOT / "tests" / "data" / "heldout.tsv"
REALWORLD = ROOT / "tests" / "data" / "realworld.tsv"
DEV = ROOT / "bench" / "data" / "registers_dev.tsv"  # written with the issue-14 examples: used for tuning
VOC_LABELS = ("inquiry", "complaint", "suggestion", "praise")
RESULTS = ROOT / "bench" / "results" / "classifier.json"

_LOAD_PROBE = """
import json, sys, time, tracemalloc
def status(key):  # kB, from the kernel: includes Kiwi's C++ memory, which tracemalloc cannot see
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key + ":")) / 1024
t0 = time.perf_counter()
from bot.config import load_config
from intents import load_classifier
t1 = time.perf_counter()
config = load_config(sys.argv[1], {})
rss0 = status("VmRSS")
if sys.argv[2] == "memory":
    tracemalloc.start()
t2 = time.perf_counter()
classifier = load_classifier(config)
t3 = time.perf_counter()
peak = tracemalloc.get_traced_memory()[1] / 2**20 if sys.argv[2] == "memory" else 0.0
classifier.classify("워밍업 메시지입니다")
print(json.dumps({"import_s": t1 - t0, "load_s": t3 - t2, "python_peak_mb": peak,
                  "rss_before_mb": rss0, "rss_after_mb": status("VmRSS"), "rss_peak_mb": status("VmHWM")}))
"""

# Pieces of customer messages: Korean and English, polite and blunt, typos, ㅠㅠ, no punctuation.
_OPEN = ["", "", "안녕하세요 ", "수고 많으십니다. ", "저기요 ", "Hi, ", "Hello, ", "문의드립니다. ", "급해서 남깁니다 "]
_CLOSE = ["", "", " 감사합니다", " 빠른 답변 부탁드려요", " ㅠㅠ", " ㅋㅋ", " Thanks.", " 확인 부탁드립니다.", "!!",
          " please."]
_BODY = [
    "{branch}지점에 {product} 신청했는데 {n}주째 연락이 없어요",
    "{product} 심사 결과 언제 나오나요?",
    "{product} 보증료가 어떻게 계산되는지 알고 싶습니다",
    "{person} 정말 친절하게 설명해 주셔서 감사했습니다",
    "상담원이 반말을 하고 전화를 끊어버렸어요 어이없네요",
    "{product} 신청을 모바일로도 할 수 있게 해주시면 좋겠어요",
    "{n}월 {d}일에 방문하기로 했는데 담당자가 자리에 없어서 헛걸음했습니다",
    "서류를 {n}번이나 다시 냈는데 또 보완하라고 하네요",
    "{product} 관련 내부 심사 기준을 공개해 주실 수 있나요",
    "{product} 연장 신청 절차가 어떻게 되나요",
    "보험금 지급이 늦어져서 {money}원 손해를 봤습니다 보상해 주세요",
    "홈페이지 로그인이 계속 안돼요 공인인증서 오류",
    "{branch}지점 {person} 덕분에 일이 잘 풀렸어요 칭찬합니다",
    "my {product_en} application has been pending for {n} weeks, nobody answers",
    "how do I apply for {product_en}? which documents do I need",
    "the staff at the {branch_en} branch was really kind and helpful, thank you",
    "it would be great if you allowed online signatures for {product_en}",
    "I lost {money} won because of your delay and I want compensation",
    "지금 {product} 처리 어디까지 됐나요",
    "상담원 연결해 주세요",
    "{product} 신청했는데 review 중이라고만 하네요 언제 끝나요",
    "처리가왜이렇게늦어요 하루하루 이자나가는데",
    "사이트 개편 잘 하셨네요 훨씬 보기 편해요",
]
_SLOTS = {
    "branch": ["강남", "부산", "대구", "광주", "인천", "수원", "대전"],
    "branch_en": ["Gangnam", "Busan", "Daegu", "Incheon"],
    "product": ["운전자금 보증", "수출신용보증", "단기수출보험", "보증서 발급", "보증 연장", "환변동보험"],
    "product_en": ["export credit insurance", "credit guarantee", "guarantee renewal"],
    "person": ["김 대리님", "이 과장님", "박 주임님", "최 차장님", "담당 심사역님"],
}


_BODY_EN = [
    "my {product_en} application has been pending for {n} weeks, nobody answers",
    "how do I apply for {product_en}? which documents do I need",
    "the staff at the {branch_en} branch was really kind and helpful, thank you",
    "it would be great if you allowed online signatures for {product_en}",
    "I need to change the phone number on my {product_en} account",
    "@BlueRiverBank my card still hasn't arrived, it's been {n} weeks #fail",
    "Please add an option to download the {product_en} certificate as a PDF.",
    "I was charged twice for the {product_en} fee this month",
    "when does the {branch_en} office open on monday?",
    "great, another {n} hour wait on the hotline. thanks a lot",
    "the new app is so much faster, love it",
    "Consider supporting passkeys instead of SMS codes on the portal.",
]
_BODY_KO = [b for b in _BODY if re.search("[가-힣]", b)] + [
    "이거 {product} 언제 돼?", "{product} 신청 어케 해", "{branch}지점 주차요금 감면 제도 개선 건의",
    "참 빠르네요 {n}주째 기다리는 중 ㅋㅋ", "왜 {product} 거절됐는지 알려달라고요", "앱 깔끔하고 빨라요 최고👍",
]


def by_language(n: int, seed: int, bodies: list[str]) -> list[str]:
    """``n`` messages of one language, each cut at a word boundary to a length drawn from 10–500 characters."""
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        target = rng.randint(10, 500)
        text = ""
        while len(text) < target:
            text += " " + rng.choice(bodies).format(
                n=rng.randint(2, 12), d=rng.randint(1, 28), money=f"{rng.randint(1, 900)},000,000",
                **{k: rng.choice(v) for k, v in _SLOTS.items()},
            )
        cut = text.strip()[:target].rsplit(" ", 1)[0] if len(text.strip()) > target else text.strip()
        if 10 <= len(cut) <= 500:
            out.append(cut)
    return out


def messages(n: int, seed: int) -> list[str]:
    """``n`` messages of mixed length: ~70% one sentence, ~25% two to four, ~5% long (up to ~2,500 chars)."""
    rng = random.Random(seed)

    def sentence() -> str:
        text = rng.choice(_BODY).format(
            n=rng.randint(2, 12), d=rng.randint(1, 28), money=f"{rng.randint(1, 900)},000,000",
            **{k: rng.choice(v) for k, v in _SLOTS.items()},
        )
        if rng.random() < 0.15:
            text = text.replace(" ", "", rng.randint(1, 3))  # spacing errors
        return text

    out = []
    for _ in range(n):
        roll = rng.random()
        count = 1 if roll < 0.70 else rng.randint(2, 4) if roll < 0.95 else rng.randint(8, 60)
        body = " ".join(sentence() for _ in range(count))
        out.append(rng.choice(_OPEN) + body + rng.choice(_CLOSE))
    return out


def baseline_predictor() -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def predict(train_texts: list[str], train_labels: list[str], test: list[str]) -> list[str]:
        model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=5000))
        model.fit(train_texts, train_labels)
        return [str(p) for p in model.predict(test)]

    return predict


def latency(classifier: IntentClassifier, texts: list[str]) -> dict[str, float]:
    times = []
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter_ns()
        classifier.classify(text)
        times.append(time.perf_counter_ns() - t0)
    total = time.perf_counter() - start
    times.sort()

    def pct(p: float) -> float:
        return times[min(len(times) - 1, int(p * len(times)))] / 1e6

    return {"n": len(texts), "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
            "max_ms": times[-1] / 1e6, "mean_ms": statistics.fmean(times) / 1e6, "messages_per_s": len(texts) / total}


def load_probe(config_path: Path) -> dict[str, float]:
    """Load time (median of 3 fresh processes, all cores allowed) and memory (one more, traced)."""

    def probe(mode: str) -> dict[str, float]:
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_PROBE, str(config_path), mode], capture_output=True, text=True, check=True,
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=_all_cores,
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    runs = [probe("time") for _ in range(3)]
    timing = {key: statistics.median(r[key] for r in runs) for key in ("import_s", "load_s")}
    memory = probe("memory")
    return {**timing, **{k: memory[k] for k in ("python_peak_mb", "rss_before_mb", "rss_after_mb", "rss_peak_mb")}}


def _all_cores() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


def temp_config(folder: Path) -> AppConfig:
    """The project's config.toml with the repository's intents and a fresh model cache."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = text.replace('intents_dir = "intents"', f'intents_dir = "{(ROOT / "intents").as_posix()}"')
    text = text.replace('cache_dir = "var/model"', f'cache_dir = "{(folder / "model").as_posix()}"')
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, {})


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory(prefix="vocdesk-bench-") as tmp:
        config = temp_config(Path(tmp))
        texts, labels = training_set(load_intents(config))
        kinds = voc_types(config)
        print(f"intent files: {len(set(labels))} intents, {len(texts)} examples")

        t0 = time.perf_counter()
        ours = cross_validate(texts, labels, kinds, folds=5)
        cv_seconds = time.perf_counter() - t0
        base = cross_validate(texts, labels, kinds, folds=5, predictor=baseline_predictor())
        print(f"5-fold CV macro-F1, VOC types:  ours {ours['macro_f1']:.4f}   baseline {base['macro_f1']:.4f}")
        print(f"5-fold CV macro-F1, intents:    ours {ours['intents']['macro_f1']:.4f}   "
              f"baseline {base['intents']['macro_f1']:.4f}   ({cv_seconds:.1f} s for ours)")

        t0 = time.perf_counter()
        loaded = load(config, force=True)
        train_seconds = time.perf_counter() - t0
        classifier = loaded.classifier
        model_file = loaded.cache_file.stat().st_size if loaded.cache_file else 0
        heldout = evaluate(classifier, read_rows(HELDOUT)) if HELDOUT.exists() else None
        base_heldout = None
        if heldout is not None:
            rows = read_rows(HELDOUT)
            guesses = baseline_predictor()(texts, labels, [r.text for r in rows])
            base_heldout = report([r.voc_type for r in rows], [kinds[g].value if g in kinds else NONE for g in guesses],
                                  macro_over=VOC_LABELS)
            print(f"held-out ({heldout['n']} rows) macro-F1, VOC types: ours {heldout['macro_f1']:.4f}   "
                  f"baseline {base_heldout['macro_f1']:.4f};  intents: ours {heldout['intents']['macro_f1']:.4f}")

        realworld = realworld_scores(classifier)
        dev = realworld_scores(classifier, DEV, "register dev (tuning set)")

        for text in messages(2_000, seed=1):  # warm-up: code paths, caches, the word memory
            classifier.classify(text)
        workload = messages(10_000, seed=2)
        warm = latency(classifier, workload)
        per_language = {}
        for lang, bodies, seed in (("ko", _BODY_KO, 4), ("en", _BODY_EN, 5)):
            for text in by_language(1_000, seed, bodies):  # warm-up for this language
                classifier.classify(text)
            per_language[lang] = latency(classifier, by_language(5_000, seed + 10, bodies))
            print(f"latency, one core, {lang}, 5000 messages of 10–500 chars: p50 {per_language[lang]['p50_ms']:.3f} ms"
                  f"  p99 {per_language[lang]['p99_ms']:.3f} ms  max {per_language[lang]['max_ms']:.2f} ms")
        cold_texts = messages(1_000, seed=3)
        cold_times = []
        for text in cold_texts:  # nothing remembered: every word of the message is new to the scorer
            fresh = IntentClassifier(classifier.model, classifier.rules, classifier.voc_types)
            t1 = time.perf_counter_ns()
            fresh.classify(text)
            cold_times.append(time.perf_counter_ns() - t1)
        cold_times.sort()
        cold = {"n": len(cold_times), "p50_ms": cold_times[len(cold_times) // 2] / 1e6,
                "p99_ms": cold_times[int(0.99 * len(cold_times))] / 1e6}
        lengths = sorted(len(t) for t in workload)
        print(f"latency, one core, {warm['n']} messages (length p50 {lengths[5000]}, p99 {lengths[9900]}, "
              f"max {lengths[-1]} chars): p50 {warm['p50_ms']:.3f} ms  p99 {warm['p99_ms']:.3f} ms  "
              f"max {warm['max_ms']:.2f} ms  → {warm['messages_per_s']:.0f} messages/s")
        print(f"latency with no word remembered ({cold['n']} messages): p50 {cold['p50_ms']:.3f} ms  "
              f"p99 {cold['p99_ms']:.3f} ms")

        probe = load_probe(config.path)
        print(f"fresh process: imports {probe['import_s']:.2f} s, load_classifier {probe['load_s']:.2f} s (cached "
              f"model {model_file / 2**20:.1f} MB, Kiwi start included); Python allocations peak during load "
              f"{probe['python_peak_mb']:.1f} MB; RSS {probe['rss_before_mb']:.0f} MB before load, "
              f"{probe['rss_after_mb']:.0f} MB after (peak {probe['rss_peak_mb']:.0f} MB)")
        print(f"training from scratch: {train_seconds:.1f} s")

    result = {
        "data": {"intents": len(set(labels)), "examples": len(texts)},
        "cv": {"folds": 5, "ours": _brief(ours), "baseline_word_tfidf_logreg": _brief(base), "ours_s": cv_seconds},
        "heldout": {"ours": _brief(heldout), "baseline_word_tfidf_logreg": _brief(base_heldout)},
        "realworld": realworld, "register_dev": dev,
        "latency_warm": warm, "latency_by_language_10_500_chars": per_language, "latency_no_word_remembered": cold,
        "load": {**probe, "model_file_mb": model_file / 2**20}, "training_s": train_seconds,
        "environment": {"python": platform.python_version(), "machine": platform.machine(), "cpu": _cpu(),
                        **{lib: metadata.version(lib) for lib in ("scikit-learn", "numpy", "kiwipiepy")}},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


def realworld_scores(
    classifier: IntentClassifier, path: Path = REALWORLD, name: str = "real-world",
) -> dict[str, Any] | None:
    """Macro-F1 over the VOC types, overall, per language and per class, on a file with a lang column
    (tests/data/realworld.tsv); only figures are printed, never the file's lines."""
    if not path.exists():
        print(f"{name} set: {path.relative_to(ROOT)} not found, skipped")
        return None
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t"))
    predicted = [found.voc_type.value if (found := classifier.classify(r["text"])).voc_type else NONE for r in rows]
    scores: dict[str, Any] = {}
    for lang in ("all", *sorted({r.get("lang") or "?" for r in rows})):
        picked = [i for i, r in enumerate(rows) if lang == "all" or (r.get("lang") or "?") == lang]
        result = report([rows[i]["voc_type"] for i in picked], [predicted[i] for i in picked], macro_over=VOC_LABELS)
        scores[lang] = {"n": result["n"], "accuracy": result["accuracy"], "macro_f1": result["macro_f1"],
                        "f1": {k: v["f1"] for k, v in result["per_class"].items() if k in VOC_LABELS}}
        per_class = "  ".join(f"{k} {v:.3f}" for k, v in scores[lang]["f1"].items())
        print(f"{name} ({lang}, {result['n']} rows) macro-F1 {result['macro_f1']:.4f}  F1: {per_class}")
    return scores


def _brief(result: dict[str, Any] | None) -> dict[str, Any] | None:
    if result is None:
        return None
    brief = {k: result[k] for k in ("n", "accuracy", "macro_f1", "per_class")}
    if "intents" in result:
        brief["intents"] = {k: result["intents"][k] for k in ("accuracy", "macro_f1")}
    return brief


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
