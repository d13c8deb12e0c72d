"""The validation report for staff (validation_report.py): what it says, in which order,
that it holds no personal value, and that headless Chromium opens it with no console
message and no network request."""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pytest

from nhi_migration import dbt_runner, layouts, paths, validation_report
from nhi_migration.validation import checks as gate_checks
from nhi_migration.validation import database

AS_OF = "2017-11-10"
HOUSEHOLDS = 150


@dataclass
class Round:
    round_id: str
    result: subprocess.CompletedProcess[str]
    page: Path

    @property
    def html(self) -> str:
        return self.page.read_text(encoding="utf-8")

    def descriptions(self) -> list[str]:
        project = layouts.read_project(dbt_runner.target_dir(self.round_id) / "manifest.json")
        facts = database.round_facts(project)
        seeds_schema = project.layouts[0].schema.rsplit("_", 1)[0] + "_seeds"
        checks = gate_checks.build_checks(project, facts, database.code_sets(seeds_schema),
                                         database.field_rules(project))
        return [check.description for check in checks]


def _report(done) -> Round:
    page = validation_report.page_path(paths.round_work_dir(done.round_id) / "gx")
    return Round(done.round_id, done.result, page)


@pytest.fixture(scope="module")
def passed(passed_round):
    """Round PYGOK1: the 150 households (seed 3) run once per session (conftest)."""
    return _report(passed_round)


@pytest.fixture(scope="module")
def failed(failed_round):
    """The same extract with the wrong --expected-households: one expectation fails
    (round PYGFL1, conftest)."""
    return _report(failed_round)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&amp;", "&")


def test_the_report_states_the_round_and_every_expectation_with_its_status(passed):
    assert passed.page.is_file()
    assert oct(passed.page.stat().st_mode & 0o777) == "0o600"
    assert str(passed.page) in passed.result.stdout  # the summary names it
    html = passed.html
    text = _text(html)
    project = layouts.read_project(dbt_runner.target_dir("PYGOK1") / "manifest.json")
    facts = database.round_facts(project)
    assert "抽出回次 PYGOK1" in text and f"基準日 {AS_OF}" in text
    assert f"期待世帯数 {HOUSEHOLDS} 世帯" in text
    assert facts.dbt_invocation_id in text
    ran = re.search(r"<code>(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00)</code>", html)
    assert ran, "the run time in JST with +09:00"
    assert "（日本時間）" in text
    descriptions = passed.descriptions()
    assert len(descriptions) > 100
    rows = re.findall(r'<tr class="(pass|fail)"><td class="status">(✔ 合格|✘ 不合格)</td>'
                      r"<td>(.*?)<br>", html)
    assert sorted(d for _, _, d in rows) == sorted(escape(d) for d in descriptions)
    assert {(c, s) for c, s, _ in rows} == {("pass", "✔ 合格")}
    assert f"合格：検査 {len(descriptions)} 件すべて合格しました。" in text
    assert (f"KT010 の件数 = 期待世帯数 {HOUSEHOLDS}（§1 expected households） "
            f"expect_table_row_count_to_equal 実際 {HOUSEHOLDS} 件（期待 {HOUSEHOLDS} 件）"
            ) in text
    assert "不適合 0 行" in text
    for file_id in [f"KT0{n}0.dat" for n in range(1, 9)] + ["ROUND"]:
        assert f'href="#{file_id.removesuffix(".dat")}"' in html, file_id


def test_the_stock_data_docs_are_not_built_any_more(passed):
    gx_folder = passed.page.parent
    assert [p.relative_to(gx_folder).as_posix() for p in gx_folder.rglob("*.html")] == [
        validation_report.PAGE_NAME]
    assert list(gx_folder.rglob("validations/**/*.json"))  # GX's own results are kept
    assert "data_docs" not in passed.result.stdout


def test_a_failing_round_shows_the_failure_first_and_in_words(failed):
    html, text = failed.html, _text(failed.html)
    assert str(failed.page) in failed.result.stdout
    total = len(failed.descriptions())
    assert (f"不合格：検査 {total} 件のうち 1 件が不合格です（KT010）。"
            "この回次は出力できません。") in text
    wrong = (f"KT010 の件数 = 期待世帯数 {HOUSEHOLDS + 1:,}（§1 expected households）")
    observed = f"実際 {HOUSEHOLDS} 件（期待 {HOUSEHOLDS + 1} 件）"
    assert f"{wrong} expect_table_row_count_to_equal {observed}" in text
    assert f"不合格の検査： KT010.dat：{wrong}（{observed}）" in text
    # the first file in the overview and the first section are KT010, its first row the failure
    assert re.search(r"<tbody><tr class=\"fail\"><td><a href=\"#KT010\">", html)
    sections = re.findall(r'<section id="(\w+)">', html)
    assert sections[0] == "KT010" and len(sections) == 9
    first = html[html.index('<section id="KT010">'):]
    assert first.index('class="fail"') < first.index('class="pass"')
    assert html.count('<tr class="fail"><td class="status">✘ 不合格</td>') == 1
    assert f"期待世帯数 {HOUSEHOLDS + 1} 世帯" in text


def test_the_report_loads_nothing_and_runs_no_script(passed, failed):
    for done in (passed, failed):
        html = done.html
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", html, re.IGNORECASE)
        assert not re.search(r"<(script|link|img|iframe|object|embed)\b", html, re.IGNORECASE)
        assert not re.search(r"\b(src|srcset)=|@import|url\(", html, re.IGNORECASE)
        assert not re.search(r"\bon[a-z]+=", html, re.IGNORECASE)
        assert re.findall(r'href="([^"]*)"', html) and all(
            href.startswith("#") for href in re.findall(r'href="([^"]*)"', html))
        assert "@page { size: A4" in html and "@media print" in html


# --- headless Chromium over the DevTools protocol (a pipe, no port) ------------------------
@dataclass
class Browser:
    """A minimal DevTools-protocol client over --remote-debugging-pipe (fd 3 in, fd 4 out)."""

    process: subprocess.Popen[bytes]
    commands: int
    replies: int
    log: Path
    events: list[dict] = field(default_factory=list)
    buffer: bytes = b""
    next_id: int = 0

    @classmethod
    def start(cls, chromium: str, profile: Path) -> Browser:
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        arguments = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-extensions",
                     f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        log = profile.parent / "chromium.log"
        # bash, not sh: dash redirects only one-digit descriptors
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                ["/bin/bash", "-c", f'exec "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
                 "bash", *arguments],
                pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL,
                stderr=stderr)
        os.close(to_browser_r)
        os.close(from_browser_w)
        return cls(process, to_browser_w, from_browser_r, log)

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.replies], [], [], max(0.0, deadline - time.time()))
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                raise EOFError("chromium closed the pipe: "
                               + self.log.read_text(errors="replace")[-1000:])
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self.next_id += 1
        message: dict = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.time() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def settle(self, seconds: float) -> None:
        deadline = time.time() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (TimeoutError, EOFError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.commands)
        os.close(self.replies)


@dataclass
class Visit:
    console: list[str]  # console messages, uncaught exceptions, browser log entries
    requests: list[str]  # every URL the page asked for
    pdf: bytes


def visit(browser: Browser, url: str) -> Visit:
    """Open ``url`` in a fresh tab, let it settle, print it on A4; what it logged and asked."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget",
                           {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(f"{domain}.enable", session=session)
    browser.events.clear()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_for("Page.loadEventFired")
    browser.settle(1.0)
    pdf = base64.b64decode(browser.send("Page.printToPDF", {
        "preferCSSPageSize": True, "printBackground": True}, session=session)["data"])
    events = [e for e in browser.events if e.get("sessionId") == session]
    console = []
    for event in events:
        params = event.get("params", {})
        if event["method"] == "Runtime.consoleAPICalled":
            words = (str(a.get("value", a.get("description"))) for a in params["args"])
            console.append(f"console.{params['type']}: " + " ".join(words))
        elif event["method"] == "Runtime.exceptionThrown":
            console.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif event["method"] == "Log.entryAdded":
            console.append(f"log.{params['entry']['level']}: {params['entry']['text']}")
    requests = [e["params"]["request"]["url"] for e in events
                if e["method"] == "Network.requestWillBeSent"]
    browser.send("Target.closeTarget", {"targetId": target})
    return Visit(console, requests, pdf)


@pytest.fixture()
def browser(tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("needs headless Chromium to open the report (no `chromium` on PATH); "
                    "apt-get install chromium")
    started = Browser.start(chromium, tmp_path / "profile")
    yield started
    started.close()


def test_chromium_opens_the_report_with_no_console_message_and_no_request(
        passed, failed, browser, tmp_path):
    for done in (passed, failed):
        seen = visit(browser, done.page.as_uri())
        assert seen.console == [], seen.console
        assert seen.requests == [done.page.as_uri()], seen.requests
        assert seen.pdf.startswith(b"%PDF") and len(seen.pdf) > 10_000
        pages = len(re.findall(rb"/Type\s*/Page[^s]", seen.pdf))
        assert pages >= 2, "a multi-page A4 print"
        box = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", seen.pdf)
        assert box and (round(float(box.group(1))), round(float(box.group(2)))) == (595, 842)

    # The check can fail: a page with a script error and a request is caught.
    bad = tmp_path / "bad.html"
    bad.write_text("<!doctype html><html><body><img src=\"http://127.0.0.1:9/x.png\">"
                   "<script>console.error('planted'); undefinedFunction();</script>"
                   "</body></html>", encoding="utf-8")
    seen = visit(browser, bad.as_uri())
    assert any("planted" in line for line in seen.console), seen.console
    assert any(line.startswith("exception:") for line in seen.console), seen.console
    assert "http://127.0.0.1:9/x.png" in seen.requests
