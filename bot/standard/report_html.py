"""The report as one HTML file a department head can read: Korean labels, the same figures as the JSON, and charts
drawn as inline SVG (no script, no external file, nothing to install)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from bot.casework.lifecycle import Status

TYPE_KO = {"inquiry": "문의", "complaint": "불만", "suggestion": "제안", "praise": "칭찬"}
CHANNEL_KO = {"telegram": "텔레그램", "kakao": "카카오톡", "web": "홈페이지", "console": "전화·방문(콘솔)",
              "rasa": "챗봇", "sms": "문자"}
REASON_KO = {"cooperation": "타 기관·부서 협조", "fact_check": "사실 확인·현장 조사", "force_majeure": "불가항력",
             "comparable": "그 밖의 사유"}
KIND_KO = {"kindness": "친절서비스 보증", "accuracy": "서비스 정확성 보증", "damage": "피해보상"}
COLORS = ("#1f5fa8", "#2e8b57", "#c0392b", "#d68910", "#7d3c98", "#5d6d7e", "#148f77", "#a04000")
STYLE = """body{font-family:'Noto Sans KR','Malgun Gothic','Apple SD Gothic Neo',sans-serif;margin:2rem auto;
max-width:60rem;color:#1b1b1b;line-height:1.5}h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;
border-bottom:2px solid #1f5fa8;padding-bottom:.2rem;margin-top:2rem}.cards{display:flex;flex-wrap:wrap;gap:.8rem}
.card{border:1px solid #d5d8dc;border-radius:.5rem;padding:.6rem 1rem;min-width:9rem}.card b{display:block;
font-size:1.5rem;color:#1f5fa8}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem}table{border-collapse:
collapse;width:100%}td,th{border-bottom:1px solid #e5e7e9;padding:.25rem .5rem;text-align:left}td.n{text-align:right}
.muted{color:#5d6d7e;font-size:.9rem}"""


def bars(title: str, values: Mapping[str, float], *, unit: str = "건", width: int = 440, percent: bool = False) -> str:
    """A horizontal bar chart as inline SVG, largest first, each bar labelled with its value."""
    items = list(values.items())[:10]
    top = max((v for _, v in items), default=0) or 1
    row, label_w = 26, 130
    height = row * len(items) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="0" y="16" font-size="14" font-weight="bold">'
             f"{html.escape(title)}</text>"]
    for i, (name, value) in enumerate(items):
        y = 28 + i * row
        w = (width - label_w - 70) * value / top
        shown = f"{value * 100:.1f}%" if percent else f"{value:,.0f}{unit}"
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{html.escape(name[:16])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" fill="{COLORS[i % len(COLORS)]}"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="12">{shown}</text>')
    if not items:
        parts.append('<text x="0" y="44" font-size="12" fill="#5d6d7e">자료 없음</text>')
    return "".join(parts) + "</svg>"


def columns(title: str, values: Mapping[str, int], *, width: int = 900, height: int = 220) -> str:
    """A column chart (the monthly trend) as inline SVG."""
    items = list(values.items())
    top = max((v for _, v in items), default=0) or 1
    step = (width - 40) / max(len(items), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{html.escape(title)}"><text x="0" y="16" font-size="14" font-weight="bold">'
             f"{html.escape(title)}</text>"]
    base = height - 24
    for i, (name, value) in enumerate(items):
        h = (base - 40) * value / top
        x = 20 + i * step
        parts.append(f'<rect x="{x + step * .15:.1f}" y="{base - h:.1f}" width="{step * .7:.1f}" height="{h:.1f}" '
                     f'fill="#1f5fa8"/><text x="{x + step / 2:.1f}" y="{base - h - 4:.1f}" font-size="11" '
                     f'text-anchor="middle">{value:,}</text><text x="{x + step / 2:.1f}" y="{height - 6}" '
                     f'font-size="11" text-anchor="middle">{html.escape(name[2:] if len(name) > 5 else name)}</text>')
    return "".join(parts) + "</svg>"


def _table(headers: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(
        f'<td class="n">{v:,}</td>' if isinstance(v, int) else f"<td>{html.escape(str(v))}</td>" for v in row)
        + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(report: Mapping[str, Any], *, institution: str, departments: Mapping[str, str],
           intents: Mapping[str, str], title: str = "고객의 소리(VOC) 분석 보고서") -> str:
    p = report["period"]
    def dept(key: str) -> str:
        return departments.get(key, key)

    rate = report["on_time_rate"]
    sat = report["satisfaction"]
    scope = f" · {dept(p['department'])}" if p.get("department") else ""
    cards = [("접수", f"{report['total']:,}건"), ("답변", f"{report['answered']:,}건"),
             ("기한 내 처리율", "-" if rate is None else f"{rate * 100:.1f}%"),
             ("처리일수 중앙값", "-" if report["median_processing_days"] is None
              else f"{report['median_processing_days']:.1f}일"),
             ("기한 경과 미처리", f"{report['overdue_count']:,}건"),
             ("처리기간 연장", f"{report['extensions']['count']:,}건"),
             ("만족도 평균", "-" if sat["mean"] is None else f"{sat['mean']:.2f} / 5"),
             ("만족도 응답률", "-" if sat["response_rate"] is None else f"{sat['response_rate'] * 100:.1f}%"),
             ("보상", f"{report['remedies']['count']:,}건 · {report['remedies']['won_paid']:,}원 지급")]
    out = [f'<!doctype html><html lang="ko"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
           f"<style>{STYLE}</style></head><body>",
           f"<h1>{html.escape(institution)} {html.escape(title)}</h1>",
           f'<p class="muted">기간 {p["from"]} ~ {p["to"]} (접수일 기준){html.escape(scope)} · 작성 '
           f'{html.escape(p["generated_at"][:16].replace("T", " "))}</p>',
           '<h2>요약</h2><div class="cards">' + "".join(
               f"<div class=\"card\">{html.escape(k)}<b>{html.escape(v)}</b></div>" for k, v in cards) + "</div>",
           "<h2>월별 접수 추이</h2>" + columns("월별 접수 건수", report["by_month"]),
           '<h2>유형·부서·채널별 접수</h2><div class="grid">',
           bars("유형별", {TYPE_KO.get(k, k): v for k, v in report["by_type"].items()}),
           bars("채널별", {CHANNEL_KO.get(k, k): v for k, v in report["by_channel"].items()}),
           bars("부서별", {dept(k): v for k, v in report["by_department"].items()}),
           bars("부서별 기한 내 처리율", {dept(k): v for k, v in report["on_time_by_department"].items()},
                percent=True),
           "</div>",
           "<h2>반복되는 주제 (유형별 상위 의도)</h2>" + _table(("유형", "주제", "건수"), [
               (TYPE_KO.get(t, t), item["label"], item["count"]) for t, items in report["topics"].items()
               for item in items]),
           '<h2>만족도 조사</h2><div class="grid">',
           bars("점수 분포", {f"{r}점": n for r, n in sorted(sat["ratings"].items(), reverse=True)}, unit="명"),
           _table(("항목", "값"), [("조사 안내", sat["invited"]), ("응답", sat["responses"]),
                                 ("불만족(1~2점)", sat["low"])]),
           "</div>",
           '<h2>처리기간 연장과 보상</h2><div class="grid">',
           bars("연장 사유", {REASON_KO.get(k, k or "미상"): v for k, v in report["extensions"]["reasons"].items()}),
           bars("보상 유형", {KIND_KO.get(k, k): v for k, v in report["remedies"]["by_kind"].items()}),
           "</div>",
           f"<h2>기한 경과 미처리 ({report['overdue_count']:,}건)</h2>" + _table(
               ("접수번호", "부서", "상태", "처리기한"),
               [(o["number"], dept(o["department"]), Status(o["status"]).label_ko, o["due_at"][:16].replace("T", " "))
                for o in report["overdue"][:50]]),
           '<p class="muted">기한 내 처리율: 답변한 건 중 첫 답변이 법정 처리기간 안에 나간 비율 '
           "(일 단위 기간은 마지막 날 24:00, 시간 단위 기간은 기한 시각까지; 민원처리법 제19조). "
           "근거: 한국무역보험공사 고객지원 업무요강 제15조, 신용보증기금 고객응대 서비스 이행표준.</p></body></html>"]
    return "".join(out)
