"""The report page of a run (``index.html``), read as HTML without a browser: the findings by
severity with what each oracle gave, the picture with the blamed node, the case, the blame and a
reproducer that runs; the settings and the coverage; a clean run's page; a hostile engine's
words kept as text; nothing loaded from elsewhere; and a page that cannot be written costs
neither the failure reports nor the JSON. (``test_report_browser.py`` looks at it in Chromium.)"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from gradtrio.checks.engines.spec import load_engine
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Severity
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.report.page import render_page
from gradtrio.checks.report.summary import summary
from gradtrio.checks.search.run import Finding, RunResult, run
from gradtrio.checks.search.sweep import REGIONS, Cell
from gradtrio.strategies import Expression, Node
from test_report import run_snippet

ENGINES = Path(__file__).parent / "engines"
THREE = f"{ENGINES / 'three_severities_html_in_messages.py'}:Value"
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
QUICK = ["--examples", "30", "--deep", "0", "--quiet", "--no-corpus"]  # a later --examples wins
VOID = {"meta", "input", "br", "img", "link", "hr"}


class Element:
    def __init__(self, tag, attrs):
        self.tag, self.attrs, self.children, self.parts = tag, dict(attrs), [], []

    @property
    def text(self):
        return "".join(p if isinstance(p, str) else p.text for p in self.parts)

    @property
    def classes(self):
        return set(self.attrs.get("class", "").split())

    def all(self, tag=None, **attrs):
        """Every element below this one with the tag and the attributes given (``cls`` a class)."""
        found = []
        for child in self.children:
            wanted = tag is None or child.tag == tag
            for key, value in attrs.items():
                wanted = wanted and (
                    value in child.classes if key == "cls" else child.attrs.get(key) == value
                )
            if wanted:
                found.append(child)
            found += child.all(tag, **attrs)
        return found

    def one(self, tag=None, **attrs):
        (found,) = self.all(tag, **attrs)
        return found


class Page(HTMLParser):
    """The page as a tree of elements: enough to read what it says, with html.parser."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.open[-1].children.append(element)
        self.open[-1].parts.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        element = Element(tag, attrs)
        self.open[-1].children.append(element)
        self.open[-1].parts.append(element)

    def handle_endtag(self, tag):
        while self.open[-1].tag != tag:  # the parser closes what the page left open
            self.open.pop()
        self.open.pop()

    def handle_data(self, data):
        self.open[-1].parts.append(data)


def verdict_of(result, article):
    """The verdict an article of the page shows: ``failure-N`` is the run's N-th finding."""
    return result.findings[int(article.attrs["id"].removeprefix("failure-")) - 1].verdict


@pytest.fixture(scope="module")
def three():
    """A run of the engine with a bug, a precision finding and a warning, and its page."""
    engine = load_engine(THREE, isolated=True)  # in a worker: what the engine prints is kept
    result = run(engine, examples=30, deep=0, progress=False)
    result.settings = {"seed": 0, "examples": 30, "max_nodes": 12}
    _, reports = summary(result, "gradtrio run --engine X")
    html = render_page(result, reports, "gradtrio run --engine X")
    return result, html, Page(html).root


def test_the_findings_are_listed_by_severity_each_with_its_heading(three):
    result, _, page = three
    articles = page.all("article")
    severities = [a.attrs["data-severity"] for a in articles]
    assert sorted(severities, key=lambda s: Severity(s).rank) == severities
    assert set(severities) == {"bug", "precision", "warning"}
    for article in articles:
        n = int(article.attrs["id"].removeprefix("failure-"))
        verdict = verdict_of(result, article)
        assert article.attrs["data-kind"] == verdict.kind.value
        assert article.attrs["data-severity"] == verdict.severity.value
        heading = article.one("h4").text
        assert heading.startswith(f"{verdict.severity.value} failure {n}: {verdict.kind.value}")
        assert article.one("p", cls="reason").text == verdict.reason
    (section,) = [
        s for s in page.all("section", cls="severity") if s.attrs["data-severity"] == "bug"
    ]
    assert section.all("article") == [a for a in articles if a.attrs["data-severity"] == "bug"]


def test_each_finding_has_its_picture_with_the_blamed_node(three):
    result, _, page = three
    for article in page.all("article"):
        verdict = verdict_of(result, article)
        svg = article.one("svg")
        e = verdict.expression
        assert {g.attrs["data-node"] for g in svg.all("g")} == {e.name(i) for i in range(e.size)}
        (blamed,) = svg.all("g", cls="blamed")
        assert blamed.attrs["data-node"] == e.name(verdict.blame.node)
        assert verdict.blame.reason in article.one("figcaption").text


def test_the_oracle_table_shows_what_each_oracle_gave(three):
    result, _, page = three
    (bug,) = [a for a in page.all("article") if a.attrs["data-severity"] == "bug"]
    verdict = verdict_of(result, bug)
    table = bug.one("table", cls="oracles")
    rows = {row.one("th").text: [td.text for td in row.all("td")] for row in table.all("tr")[1:]}
    assert list(rows) == ["engine", "sympy", "torch", "fd", "tolerance"]
    assert [float(x) for x in rows["engine"]] == [verdict.engine.value, *verdict.engine.grads]
    assert [float(x) for x in rows["torch"]] == [verdict.torch.value, *verdict.torch.grads]
    assert float(rows["sympy"][1]) == float(verdict.reference.grads[0])
    # the engine's wrong gradient is marked, its right value is not
    wrong = [td.text for td in table.all("td", cls="wrong")]
    assert wrong == [rows["engine"][1]]
    # a crash: what the engine did instead of giving numbers
    (warning,) = [a for a in page.all("article") if a.attrs["data-severity"] == "warning"]
    engine_row = warning.one("table", cls="oracles").all("tr")[1]
    assert engine_row.one("th").text == "engine"
    assert [td.text for td in engine_row.all("td")] == ["raised OverflowError", "-"]


def test_the_case_and_its_reproducer_are_shown_and_the_reproducer_runs(three, tmp_path):
    result, _, page = three
    for article in page.all("article"):
        verdict = verdict_of(result, article)
        e = verdict.expression
        listing = article.one("div", cls="listing").one("pre").text.splitlines()
        inputs = [f"{e.name(i)} = {x!r}" for i, x in enumerate(verdict.point)]
        assert listing == [*inputs, *str(e).split("; ")]
        number = article.attrs["id"].removeprefix("failure-")
        source = article.one("pre", id=f"source-{number}").text
        done = run_snippet(source, tmp_path)
        if verdict.kind.value == "crash":  # the warning: exp raises
            assert "OverflowError" in done.stderr
            continue
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1] == f"grads: {verdict.engine.grads!r}"


def test_what_the_engine_says_stays_text(three):
    _, html, page = three
    assert len(page.all("script")) == 1 and "src" not in page.one("script").attrs
    assert not page.all("img")
    assert not [
        (e.tag, name) for e in page.all() for name in e.attrs if name.lower().startswith("on")
    ]
    assert HOSTILE not in html
    outputs = [pre.text for pre in page.all("pre", cls="output")]
    assert any(HOSTILE in text for text in outputs)  # the bug's mul printed it
    reasons = [p.text for p in page.all("p", cls="reason")]
    assert any(HOSTILE in text for text in reasons)  # the warning's OverflowError says it
    assert "pwned" not in page.one("head").one("title").text


def test_the_page_loads_nothing_from_elsewhere(three):
    _, html, page = three
    assert not page.all("link") and not [e for e in page.all() if "src" in e.attrs]
    links = [a.attrs["href"] for a in page.all("a")]
    assert all(re.fullmatch(r"#[a-z]+|failure-\d+\.(txt|py|dot|svg)", link) for link in links)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg\")", html)
    assert len(html.encode()) < 200_000


def test_the_settings_counts_and_coverage_are_on_the_page(three):
    result, _, page = three
    assert page.one("pre", id="rerun").text == "gradtrio run --engine X"
    settings = {
        row.one("th").text: row.one("td").text
        for table in page.all("table", cls="settings")
        for row in table.all("tr")
    }
    assert settings["engine"] == THREE and settings["seed"] == "0"
    assert settings["examples"] == "30" and settings["strict"] == "no"
    assert settings["bug findings"] == "1" and settings["warning findings"] == "1"
    assert settings["cases judged"].startswith(f"{result.examples:,} (")
    table = page.one("table", cls="coverage")
    header = [th.text for th in table.one("thead").all("th")][1:]
    assert header == list(REGIONS)
    rows = {row.one("th").text: [td.text for td in row.all("td")] for row in table.all("tr")[1:]}
    coverage, cell = result.coverage, Cell("mul", "nodes", "unit")
    cases = coverage.judged[cell] + coverage.skipped[cell] + coverage.failed[cell]
    assert coverage.failed[cell]  # the wrong mul fails there
    assert rows["mul (nodes)"][REGIONS.index("unit")] == f"{coverage.judged[cell]}/{cases}!"
    assert all(not text.endswith("!") for text in rows["add (left)"][:5])


def test_filters_offer_every_severity_and_each_kind_found(three):
    result, _, page = three
    boxes = page.one("form", cls="filters").all("input")
    severity = [b.attrs["value"] for b in boxes if b.attrs["data-filter"] == "severity"]
    kind = [b.attrs["value"] for b in boxes if b.attrs["data-filter"] == "kind"]
    assert severity == ["bug", "precision", "warning"]
    assert sorted(kind) == sorted({v.kind.value for v in result.failures})
    assert all("checked" in b.attrs for b in boxes)


def test_a_clean_run_gets_a_page_with_its_coverage():
    engine = ValueClassEngine.load()
    result = run(engine, examples=10, deep=0, progress=False)
    assert result.passed and not result.findings
    page = Page(render_page(result, [], "gradtrio run")).root
    assert not page.all("article") and not page.all("form")
    assert "No findings" in page.one("p", cls="clean").text
    assert page.one("header").classes == {"passed"}
    assert page.one("p", cls="outcome").text.startswith("PASSED")
    rows = page.one("table", cls="coverage").all("tr")[1:]
    assert len(rows) == len(result.coverage.rows()) > 20


def test_a_graph_too_large_to_draw_is_named_and_its_reproducer_linked():
    recursive = ValueClassEngine.load(f"{ENGINES / 'recursive_backward.py'}:Value")
    chain = Expression(1, tuple(Node("tanh", (i,)) for i in range(10_000)))
    verdict = judge(recursive, chain, (0.5,))
    assert verdict.limitation is not None
    result = RunResult(recursive.spec, sorted(recursive.ops), adapter=recursive)
    result.findings.append(Finding(verdict))
    result.note_limitations([verdict])
    html = render_page(result, ["the report"], "gradtrio run", files=[["failure-1.py"]])
    page = Page(html).root
    article = page.one("article")
    assert not article.all("svg")
    assert "10,000 op nodes: too many to draw here" in article.one("figure").text
    assert "failure-1.dot" in article.one("figure").text
    assert [a.attrs["href"] for a in article.all("a")] == ["failure-1.py", "failure-1.py"]
    assert verdict.limitation.text in [
        li.text for li in page.one("section", id="limitations").all("li")
    ]
    assert len(html.encode()) < 100_000


def test_the_command_line_writes_the_page_and_names_it(tmp_path, capsys):
    out = tmp_path / "run.json"
    code = main(
        ["--engine", THREE, *QUICK, "--report-dir", str(tmp_path / "r"), "--json", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 1
    data = json.loads(out.read_text())
    page = Path(data["report_page"])
    assert page == Path(data["report_dir"]) / "index.html" and page.is_file()
    assert err.splitlines()[-1] == f"gradtrio: report page: {page}"
    names = {p.name for p in page.parent.iterdir()}
    links = {a.attrs["href"] for a in Page(page.read_text()).root.all("a")}
    files = {link for link in links if not link.startswith("#")}
    assert files and files <= names


def test_a_clean_run_from_the_command_line_gets_its_page(tmp_path, capsys):
    out = tmp_path / "run.json"
    reports = tmp_path / "r"
    code = main([*QUICK, "--examples", "10", "--json", str(out), "--report-dir", str(reports)])
    err = capsys.readouterr().err
    assert code == 0
    data = json.loads(out.read_text())
    assert data["failures"] == [] and data["output_errors"] == []
    assert sorted(p.name for p in Path(data["report_dir"]).iterdir()) == ["index.html"]
    assert f"gradtrio: report page: {data['report_page']}" in err


@pytest.mark.parametrize(
    "fault",
    [PermissionError(13, "Permission denied"), RuntimeError("the template is broken")],
    ids=["unwritable", "unrenderable"],
)
def test_a_page_that_cannot_be_written_keeps_the_reports_and_the_json(
    fault, tmp_path, capsys, monkeypatch
):
    import gradtrio.checks.report.files as files

    def broken(*args, **kwargs):
        raise fault

    monkeypatch.setattr(files, "render_page", broken)
    out = tmp_path / "run.json"
    code = main(
        ["--engine", THREE, *QUICK, "--report-dir", str(tmp_path / "r"), "--json", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 1  # the findings decide it
    data = json.loads(out.read_text())
    assert data["report_page"] is None and len(data["failures"]) == 3
    names = {p.name for p in Path(data["report_dir"]).iterdir()}
    assert {f"failure-{n}.txt" for n in (1, 2, 3)} <= names and "index.html" not in names
    (problem,) = [p for p in data["output_errors"] if "report page" in p]
    assert str(fault.strerror if isinstance(fault, OSError) else fault) in problem
    assert f"gradtrio: warning: {problem}" in captured.err
    assert "Traceback" not in captured.out + captured.err
