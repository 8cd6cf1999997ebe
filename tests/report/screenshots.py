"""Screenshots of what people see (issue 20, acceptance 1): the report at 1280 px, 390 px and printed (A4 print
media, page 1), and a Jira home, a GitLab home and a Planner task as the sandbox emulators store them,
rendered the way each tracker renders its markup (Jira wiki markup, GitLab Markdown, Planner plain text)
into a plain page shaped like the tracker (title, fields, description, comments).

``python -m tests.report.screenshots`` rewrites ``docs/screenshots/``; the browser test writes the same
files into a temporary folder and fails on any console error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import escape
from pathlib import Path
from typing import Any

from okr_sync.reports.html import build_report, render_html
from okr_sync.sandbox.fixtures.demo_story import AS_OF

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOMES = {"jira": "OBJ1-KR1", "gitlab": "OBJ1-KR3", "planner": "OBJ2-KR2"}
"""One KR per tracker whose home item is shown."""

_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>
body{{margin:0;font:15px/1.5 system-ui,sans-serif;color:#172b4d;background:{bg}}}
header{{background:{bar};color:#fff;padding:10px 18px;font-weight:600}}main{{max-width:900px;margin:16px auto;
background:#fff;border:1px solid #dfe1e6;border-radius:6px;padding:18px}}h1{{font-size:1.4rem;margin:0 0 8px}}
.meta{{color:#44546f;font-size:.9rem;margin-bottom:12px}}.label{{display:inline-block;background:#e9f2ff;
border-radius:4px;padding:0 6px;margin-right:4px}}h2{{font-size:1rem;margin:16px 0 6px}}
.body{{border-left:3px solid #dfe1e6;padding:4px 10px;margin:6px 0}}.plain{{white-space:pre-wrap}}
.body ul{{margin:4px 0;padding-left:22px}}.body p{{margin:4px 0}}
.comment{{border-top:1px solid #dfe1e6;padding-top:6px;margin-top:10px}}.who{{color:#44546f;font-size:.85rem}}
</style></head><body><header>{tracker}</header><main><h1>{title}</h1><div class="meta">{meta}</div>
<h2>{description_label}</h2><div class="body">{description}</div>{comments}</main></body></html>"""


def _text(value: Any) -> str:
    """A stored body as text: wiki markup and Markdown as stored; Atlassian documents by their text nodes."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                found.append(str(node.get("text", "")))
            for child in node.get("content", []) or []:
                walk(child)
            if node.get("type") in ("paragraph", "listItem", "heading"):
                found.append("\n")
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return "".join(found) if found else json.dumps(value, ensure_ascii=False, indent=1)


def markdown_html(text: str) -> str:
    """GitLab Markdown as GitLab shows it (HTML comments, such as okr-sync's markers, stay invisible)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(text)


_WIKI_LINK = re.compile(r"\[([^|\]]+)\|([^\]]+)\]")
_WIKI_BOLD = re.compile(r"(?<![\w\\])\*(\S[^*]*?)\*(?!\w)")


def wiki_html(text: str) -> str:
    """Jira wiki markup as Jira shows it, for what okr-sync writes: headings, bullets, bold, links; anchors
    invisible, backslash escapes resolved."""
    out: list[str] = []
    for line in re.sub(r"\{anchor:[^}]*\}", "", text).splitlines():
        bullet = re.match(r"^(\*+)\s+(.*)$", line)
        heading = re.match(r"^h([1-6])\.\s+(.*)$", line)
        body = bullet.group(2) if bullet else heading.group(2) if heading else line
        html = escape(body)
        html = _WIKI_LINK.sub(lambda m: f'<a href="{m.group(2)}">{m.group(1)}</a>', html)
        html = _WIKI_BOLD.sub(r"<b>\1</b>", html)
        html = re.sub(r"\\(.)", r"\1", html)
        if bullet:
            out.append(f'<div style="margin-left:{len(bullet.group(1)) * 14}px">• {html}</div>')
        elif heading:
            out.append(f"<h{heading.group(1)}>{html}</h{heading.group(1)}>")
        else:
            out.append(f"<div>{html or '&nbsp;'}</div>")
    return "".join(out)


def plain_html(text: str) -> str:
    """Plain text (Planner notes) as Planner shows it: as typed, line breaks kept."""
    return f'<div class="plain">{escape(text)}</div>'


def _page(tracker: str, title: str, meta: str, description: str, comments: list[tuple[str, str]],
          *, bg: str, bar: str, description_label: str = "Description") -> str:
    blocks = "".join(f'<div class="comment"><div class="who">{escape(who)}</div><div class="body">{body}'
                     "</div></div>" for who, body in comments)
    return _PAGE.format(title=escape(title), tracker=escape(tracker), meta=meta, description=description,
                        comments=f"<h2>Activity</h2>{blocks}" if blocks else "", bg=bg, bar=bar,
                        description_label=escape(description_label))


def tracker_pages(state: dict[str, Any], homes: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(file stem, HTML) of the Jira home, the GitLab home and the Planner task as the emulators store them."""
    jira_key = homes[HOMES["jira"]].key
    issue = next(i for i in state["jira"]["issues"] if i["key"] == jira_key)
    fields = " ".join(f'<span class="label">{escape(str(k))}: {escape(str(v))}</span>'
                      for k, v in issue["fields"].items() if v not in (None, [], ""))
    yield "jira-home", _page(
        "Jira (sandbox)", f"{issue['key']} {issue['summary']}",
        f"{escape(issue['status'])} · labels {escape(', '.join(issue['labels']) or '–')}<br>{fields}",
        wiki_html(_text(issue["description"])),
        [(str(c["author"]), wiki_html(_text(c["body"]))) for c in issue["comments"]],
        bg="#f7f8f9", bar="#0c66e4")
    project, _, iid = homes[HOMES["gitlab"]].key.rpartition("#")
    found = next(i for i in state["gitlab"]["issues"]
                 if i["iid"] == int(iid) and i.get("references", {}).get("full", project).startswith(project))
    notes = [n for n in state["gitlab"]["notes"] if n["noteable_id"] == found["id"] and not n["system"]]
    labels = "".join(f'<span class="label">{escape(lb)}</span>' for lb in found["labels"])
    yield "gitlab-home", _page(
        "GitLab (sandbox)", f"{found['title']} #{found['iid']}", f"{escape(found['state'])} · {labels}",
        markdown_html(_text(found["description"])),
        [(n["author"]["username"], markdown_html(_text(n["body"]))) for n in notes],
        bg="#fbfafd", bar="#6b4fbb")
    task_id = homes[HOMES["planner"]].key
    task = next(t for t in state["planner"]["tasks"] if t["id"] == task_id)
    details = next((d for d in state["planner"]["taskDetails"] if d["id"] == task_id), {})
    categories = ", ".join(k for k, v in (task.get("appliedCategories") or {}).items() if v) or "–"
    yield "planner-task", _page(
        "Microsoft Planner (sandbox)", task["title"],
        f"{task.get('percentComplete', 0)} % complete · categories {escape(categories)}",
        plain_html(_text(details.get("description"))), [], bg="#f5f5f5", bar="#31752f", description_label="Notes")


def shoot(out: Path, run: Any, state: dict[str, Any]) -> list[str]:
    """Write every screenshot into ``out``; the console errors, page errors and outside requests seen."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    report = build_report(run.engine.domain, run.store, run.computed, AS_OF, settings=run.settings)
    pages = {"report": render_html(report), **dict(tracker_pages(state, run.engine.domain.homes()))}
    for stem, html in pages.items():
        (out / f"{stem}.html").write_text(html, encoding="utf-8")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for stem, width, name in (("report", 1280, "report-1280"), ("report", 390, "report-390"),
                                      ("jira-home", 1024, "jira-home"), ("gitlab-home", 1024, "gitlab-home"),
                                      ("planner-task", 1024, "planner-task")):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.on("console", lambda m, n=name: problems.append(f"{n} console {m.type}: {m.text}")
                        if m.type in ("error", "warning") else None)
                page.on("pageerror", lambda e, n=name: problems.append(f"{n} page error: {e}"))
                page.on("request", lambda r, n=name: problems.append(f"{n} fetched {r.url}")
                        if not r.url.startswith("file://") else None)
                page.goto((out / f"{stem}.html").as_uri(), wait_until="load")
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                page.close()
            page = browser.new_page()
            page.goto((out / "report.html").as_uri(), wait_until="load")
            page.pdf(path=str(out / "report-print.pdf"), format="A4", print_background=True)
            page.close()
            pdf = browser.new_page(viewport={"width": 794, "height": 1123})
            pdf.emulate_media(media="print")
            pdf.goto((out / "report.html").as_uri(), wait_until="load")
            pdf.screenshot(path=str(out / "report-print.png"), full_page=False)
            pdf.close()
        finally:
            browser.close()
    for stem in pages:
        (out / f"{stem}.html").unlink()
    return problems


def main() -> None:
    """Regenerate ``docs/screenshots/`` from a fresh demo sync (``python -m tests.report.screenshots``)."""
    import tempfile

    from tests.checkin.demo_support import synced_demo

    with tempfile.TemporaryDirectory() as tmp, synced_demo(Path(tmp), checkin_week="2026-W47",
                                                           strict=False) as run:
        problems = shoot(DOCS, run, run.control.state())
    (DOCS / "report-print.pdf").unlink(missing_ok=True)
    print("\n".join(problems) or f"screenshots written to {DOCS}")


if __name__ == "__main__":
    main()
