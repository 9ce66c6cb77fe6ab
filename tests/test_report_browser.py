"""The report page in a real browser: headless Chromium, driven by Selenium through Debian's
chromedriver, shows what a person would see of a run with a bug, a precision finding and a
warning: the findings' headings in order of severity, each picture with its blamed node in red,
the engine's HTML as text, filters that hide and show findings, and a copy button that puts the
reproducer on the clipboard. A screenshot of the whole page is saved to ``$GRADTRIO_ARTIFACTS``
(default ``test-artifacts/`` in the checkout) for a person to look at.

Skipped, naming what is missing, without Chromium or its driver (``apt-get install chromium
chromium-driver``) or Selenium (in the test extra)."""

import os
import shutil
import time
from pathlib import Path

import pytest
from gradtrio.checks.cli import main

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[test]')"
)
from selenium.webdriver.common.by import By  # noqa: E402 - only once selenium is known

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
THREE = f"{ENGINES / 'three_severities_html_in_messages.py'}:Value"
RED = "rgb(198, 40, 40)"  # the blamed node's outline


def artifacts() -> Path:
    """Where screenshots go: ``$GRADTRIO_ARTIFACTS``, else ``test-artifacts/`` in the checkout."""
    directory = Path(os.environ.get("GRADTRIO_ARTIFACTS") or ROOT / "test-artifacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None:
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    if driver is None:
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root, in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=1200,1000",
    ):
        options.add_argument(argument)
    # The service names the driver: Selenium then never tries to download one.
    browser = webdriver.Chrome(service=webdriver.ChromeService(driver), options=options)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page of a run of the engine with one finding of each severity."""
    reports = tmp_path_factory.mktemp("reports")
    code = main(
        ["--engine", THREE, "--examples", "30", "--deep", "0", "--quiet", "--no-corpus"]
        + ["--report-dir", str(reports)]
    )
    assert code == 1
    page = (reports / "latest").resolve() / "index.html"
    assert page.is_file()
    return page


def shown(browser, css):
    return [e for e in browser.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()]


def test_a_person_sees_each_finding_with_its_picture_and_the_blamed_node(browser, page):
    browser.get(page.as_uri())
    headings = [h.text for h in shown(browser, "article.finding h4")]
    assert [h.split()[0] for h in headings] == ["bug", "precision", "warning"], headings
    assert all(" failure " in h for h in headings)
    for article in shown(browser, "article.finding"):
        picture = article.find_element(By.CSS_SELECTOR, "figure svg")
        assert picture.is_displayed()
        assert picture.size["width"] > 100 and picture.size["height"] > 20
        (blamed,) = article.find_elements(By.CSS_SELECTOR, "svg g.blamed rect")
        assert blamed.value_of_css_property("stroke") == RED
        assert blamed.size["width"] > 20
        caption = article.find_element(By.CSS_SELECTOR, "figcaption").text
        assert caption.startswith("blamed: n")
    # The engine's <script> and <img onerror> are shown, not run.
    assert "pwned" not in browser.title
    printed = shown(browser, "pre.output")[0].text
    assert "<script>document.title='pwned'</script>" in printed
    assert browser.execute_script("return document.images.length") == 0
    assert shown(browser, "table.coverage") and shown(browser, "pre#rerun")

    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1200, height)
    try:
        assert browser.save_screenshot(str(artifacts() / "report-page.png"))
    finally:
        browser.set_window_size(1200, 1000)


def test_the_filters_hide_and_show_findings_and_copy_puts_the_reproducer_on_the_clipboard(
    browser, page
):
    browser.get(page.as_uri())
    counter = browser.find_element(By.ID, "shown")
    assert counter.text == "3 of 3 findings shown"

    bug = browser.find_element(By.CSS_SELECTOR, "input[data-filter=severity][value=bug]")
    bug.click()
    assert [a.get_attribute("data-severity") for a in shown(browser, "article.finding")] == [
        "precision",
        "warning",
    ]
    assert not shown(browser, "section.severity[data-severity=bug]")
    assert counter.text == "2 of 3 findings shown"
    crash = browser.find_element(By.CSS_SELECTOR, "input[data-filter=kind][value=crash]")
    crash.click()  # the warning is exp's OverflowError, a crash
    assert [a.get_attribute("data-severity") for a in shown(browser, "article.finding")] == [
        "precision"
    ]
    bug.click()
    crash.click()
    assert len(shown(browser, "article.finding")) == 3
    assert counter.text == "3 of 3 findings shown"

    browser.execute_cdp_cmd(
        "Browser.setPermission",
        {"permission": {"name": "clipboard-read"}, "setting": "granted"},
    )
    article = shown(browser, "article.finding")[0]
    number = article.get_attribute("id").removeprefix("failure-")
    button = article.find_element(By.CSS_SELECTOR, f"button[data-copy=source-{number}]")
    button.click()
    for _ in range(50):
        if button.text != "copy":
            break
        time.sleep(0.05)
    assert button.text == "copied"
    pasted = browser.execute_async_script(
        "const done = arguments[0]; navigator.clipboard.readText().then(done, String);"
    )
    assert pasted == (page.parent / f"failure-{number}.py").read_text()
