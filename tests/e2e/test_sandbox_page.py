"""The sandbox page in a real browser: `resident-bot sandbox` driven by headless Chromium.

The sandbox is started as the command a person runs; Selenium uses the system's
``chromium`` and ``chromedriver`` (Debian packages; CI installs them). A Chinese
resident registers by sharing a contact and files a complaint with a photo; the
project group sees the card; the clock moves 25 h and the region sees the escalation;
staff take and resolve; the resident rates it; the manager's /stats shows the chart and
/export downloads an XLSX (the browser saves it; openpyxl opens it). A second, shorter
test covers the rest of the page: a photo from the file picker, a forum group's topic per
ticket, a message edited in place, +1 day and Start over. ``SANDBOX_SCREENSHOTS=docs``
writes the screenshots to docs/.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.common.exceptions import (  # noqa: E402
    ElementClickInterceptedException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bot.config.orgfile.loader import EXAMPLE_ORGANISATION_PATH, load_organisation  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
DOCS = Path(__file__).parents[2] / "docs"
STEP = 30.0  # seconds a browser step may take on a slow, busy machine

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
    pytest.mark.skipif(
        bool(os.environ.get("TEST_POSTGRES_URL")),
        reason="the sandbox always uses its own SQLite file: it runs in the SQLite pass",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    """``resident-bot sandbox`` on a free port with its data in tmp_path; its page's URL."""
    port = free_port()
    log = (tmp_path / "sandbox.log").open("w")
    command = [sys.executable, "-m", "bot.app.cli.main", "sandbox", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--data", str(tmp_path / "data")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "DATABASE_URL")},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if get_json(url + "api/state")["status"] in ("seeding", "ready"):
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "sandbox.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
    printed = (tmp_path / "sandbox.log").read_text()
    assert f"open http://127.0.0.1:{port}/" in printed
    assert "Traceback" not in printed, printed


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """Where the browser saves what is downloaded."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def browser(downloads: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(argument)
    options.add_argument("--window-size=1500,900")
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(
        service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)), options=options
    )
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The sandbox page as a person uses it: panes by key, buttons by their label."""

    def __init__(self, driver: webdriver.Chrome, shots: Path) -> None:
        self.driver = driver
        self.shots = shots

    def until(self, condition, what: str, timeout: float = STEP):
        try:
            return WebDriverWait(
                self.driver,
                timeout,
                ignored_exceptions=(
                    StaleElementReferenceException,
                    ElementClickInterceptedException,
                ),
            ).until(lambda _driver: condition())
        except TimeoutException:
            self.driver.save_screenshot(str(self.shots / "timed-out.png"))
            raise AssertionError(f"timed out waiting for {what}") from None

    def pane(self, key: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, f'section.pane[data-pane="{key}"]')

    def element(self, key: str, selector: str) -> WebElement:
        """The last element matching ``selector`` in the pane (waits for one)."""
        return self.until(
            lambda: (self.pane(key).find_elements(By.CSS_SELECTOR, selector) or [None])[-1],
            f"{selector} in the {key} pane",
        )

    def messages(self, key: str) -> list[WebElement]:
        return self.pane(key).find_elements(By.CSS_SELECTOR, ".messages .msg")

    def text_of(self, key: str) -> str:
        return self.pane(key).find_element(By.CSS_SELECTOR, ".messages").text

    def sees(self, key: str, fragment: str, timeout: float = STEP) -> WebElement:
        """The last message in the pane containing ``fragment`` (waits for it)."""

        def found():
            for message in reversed(self.messages(key)):
                if fragment in message.text:
                    return message
            return None

        return self.until(found, f"{fragment!r} in the {key} pane", timeout)

    def sees_text(self, key: str, fragment: str, timeout: float = STEP) -> str:
        """The text of the last message in the pane containing ``fragment``, read while
        waiting (the page may redraw the message between finding and reading it)."""

        def found() -> str | None:
            for message in reversed(self.messages(key)):
                text = message.text
                if fragment in text:
                    return text
            return None

        return self.until(found, f"{fragment!r} in the {key} pane", timeout)

    def sees_all(self, key: str, *fragments: str, timeout: float = STEP) -> str:
        """The text of the last message in the pane containing every fragment."""

        def found() -> str | None:
            for message in reversed(self.messages(key)):
                text = message.text
                if all(fragment in text for fragment in fragments):
                    return text
            return None

        return self.until(found, f"{fragments!r} in the {key} pane", timeout)

    def _click(self, key: str, selector: str, label: str, what: str) -> None:
        def clicked() -> bool:
            buttons = [
                b
                for b in self.pane(key).find_elements(By.CSS_SELECTOR, selector)
                if b.text.strip() == label
            ]
            if not buttons:
                return False
            self.driver.execute_script(
                "arguments[0].scrollIntoView({block: 'center'})", buttons[-1]
            )
            buttons[-1].click()
            return True

        self.until(clicked, f"{what} {label!r} in the {key} pane")

    def press(self, key: str, label: str) -> None:
        """Press the inline button ``label`` on the latest message that has it."""
        self._click(key, ".inline-btn", label, "inline button")

    def press_on(self, key: str, fragment: str, label: str) -> None:
        """Press ``label`` on the latest message containing ``fragment`` (a ticket's card)."""

        def clicked() -> bool:
            message = self.sees(key, fragment)
            button = message.find_element(By.XPATH, f'.//button[normalize-space(.)="{label}"]')
            button.click()
            return True

        self.until(clicked, f"{label!r} on {fragment!r} in the {key} pane")

    def keyboard(self, key: str, label: str) -> None:
        self._click(key, ".kb-btn", label, "keyboard button")

    def type(self, key: str, text: str) -> None:
        field = self.pane(key).find_element(By.CSS_SELECTOR, ".text-input")
        field.send_keys(text)
        self.pane(key).find_element(By.CSS_SELECTOR, ".send-btn").click()

    def reply(self, key: str, message: WebElement, text: str) -> None:
        message.find_element(By.CSS_SELECTOR, ".reply-btn").click()
        self.type(key, text)

    def act_as(self, key: str, name: str) -> None:
        select = self.pane(key).find_element(By.CSS_SELECTOR, ".speaker-select")
        select.find_element(By.XPATH, f'.//option[normalize-space(.)="{name}"]').click()

    def seeded(self, what: str = "the sandbox's seed (Alice's and 王秀英's tickets)") -> None:
        """Wait for the seeded sandbox: a cold start is slow."""
        self.until(lambda: body_status(self.driver) == "ready", what, timeout=180)

    def register(self, key: str, name: str, *place: str) -> None:
        """/start, consent, the name, the contact shared by its keyboard button, the unit
        chosen step by step (estate, building, unit): the request goes to the staff group."""
        self.type(key, "/start")
        self.press(key, "✅ 我同意")
        self.sees(key, "姓名")
        self.type(key, name)
        share = self.element(key, ".kb-btn.contact")
        assert share.text == "📱 分享我的电话号码"
        share.click()
        self.press(key, "🏠 选择我的房屋")
        for step in place:
            self.press(key, step)

    def show_only(self, *keys: str) -> None:
        for entry in self.driver.find_elements(By.CSS_SELECTOR, "#people label"):
            box = entry.find_element(By.TAG_NAME, "input")
            if box.is_selected() != (entry.get_attribute("data-pane") in keys):
                box.click()

    def local_now(self) -> datetime:
        """The sandbox's clock as the page shows it (the organisation's local time)."""
        return datetime.strptime(self.driver.find_element(By.ID, "now").text, "%Y-%m-%d %H:%M")

    def move_time(self, hours: int) -> None:
        before = self.driver.find_element(By.ID, "now").text
        self.driver.find_element(By.ID, "hours").send_keys(str(hours))
        self.driver.find_element(By.ID, "move").click()
        self.until(lambda: self.driver.find_element(By.ID, "now").text != before, "the clock")

    def screenshot(self, name: str) -> Path:
        """A small PNG (256 colours) of the window, in tmp and, if asked, in docs/."""
        from PIL import Image

        time.sleep(0.6)  # let the new-message highlight fade
        image = Image.open(io.BytesIO(self.driver.get_screenshot_as_png())).convert("RGB")
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        path = self.shots / name
        small.save(path, optimize=True)
        if os.environ.get("SANDBOX_SCREENSHOTS") == "docs":
            shutil.copy(path, DOCS / name)
        return path


def test_a_complaint_from_registration_to_rating_statistics_and_export_in_the_browser(
    sandbox_url: str, browser: webdriver.Chrome, tmp_path: Path, downloads: Path
) -> None:
    page = Page(browser, tmp_path)
    browser.get(sandbox_url)
    page.seeded()
    page.sees("alice", "SG-000002")  # seeded: Alice's complaint, nobody has answered yet
    page.show_only("xiaoming", "project", "region", "manager")

    # 小明 registers: agrees, gives his name, shares his contact with the keyboard button.
    page.register("xiaoming", "张小明", "阳光花园", "1号楼", "201")
    page.sees("project", "张小明 申请登记为 阳光花园 1号楼 201")
    page.act_as("project", "王芳")
    page.press("project", "✅ 批准")
    page.sees("xiaoming", "物业已确认您的房屋")

    # A complaint with the sample photo.
    page.keyboard("xiaoming", "📣 投诉")
    page.press("xiaoming", "水管漏水")
    page.press("xiaoming", "🏠 1号楼 201")
    page.type("xiaoming", "楼上漏水，卫生间天花板一直在滴水。")
    page.sees("xiaoming", "不发照片")
    page.pane("xiaoming").find_element(By.CSS_SELECTOR, ".sample-btn").click()
    page.sees("xiaoming", "已添加照片：1/5")
    page.press("xiaoming", "完成")
    page.press("xiaoming", "否")  # not urgent
    page.press("xiaoming", "✅ 提交")
    page.sees("xiaoming", "SG-000004")
    assert "楼上漏水" in page.sees_text("project", "SG-000004 · 投诉")
    page.element("project", ".inline-btn")
    page.element("project", ".photos img")
    page.screenshot("sandbox-complaint.png")

    # 25 hours without an answer: the 24 h first-response promise was missed an hour ago,
    # and the example organisation's ladder tells the region 1 hour after a missed one.
    page.move_time(25)
    overdue = page.sees_text("project", "🔺")
    assert "SG-000004" in overdue and "首次响应" in overdue
    escalation = page.sees_all("region", "🔺", "SG-000004", "第 2 级")
    assert "首次响应" in escalation
    # The regional digest lists it as overdue too, once the digest's time of day has come.
    # The sandbox starts at the real time, so 25 hours on may be before it (started after
    # 23:00, the clock is past midnight; a day the bot slept through gets no digest).
    digest_at = load_organisation(EXAMPLE_ORGANISATION_PATH).digest.time_of_day
    now = page.local_now()
    if now.time() < digest_at:
        page.move_time(
            math.ceil((datetime.combine(now.date(), digest_at) - now) / timedelta(hours=1))
        )
    page.sees("region", "每日简报")
    page.screenshot("sandbox-escalation.png")

    # Staff take it and resolve it, answering the bot's prompt with a reply.
    page.show_only("xiaoming", "project", "manager")
    page.press_on("project", "SG-000004 · 投诉", "接单")
    page.sees("xiaoming", "物业已受理工单 SG-000004")
    page.press_on("project", "SG-000004 · 投诉", "办结")
    prompt = page.sees("project", "SG-000004 做了哪些处理")
    page.reply("project", prompt, "已修好楼上的水管，天花板已干。")
    page.sees("project", "SG-000004 已办结")

    # 小明 says it is fixed and rates it.
    page.press("xiaoming", "✅ 已解决")
    page.press("xiaoming", "5⭐")
    page.sees("xiaoming", "您的回答：⭐⭐⭐⭐⭐")

    # The manager's statistics with the chart, and the XLSX export.
    page.type("manager", "/stats")
    chart = page.element("manager", ".photos img")
    page.until(
        lambda: browser.execute_script("return arguments[0].naturalWidth", chart) > 0, "chart"
    )
    browser.execute_script("arguments[0].scrollIntoView({block: 'end'})", chart)
    page.screenshot("sandbox-stats.png")
    page.type("manager", "/export")
    link = page.element("manager", "a.document")
    name = link.find_element(By.CSS_SELECTOR, ".name").text
    assert name.endswith(".xlsx")
    link.click()  # the browser downloads it, as a person's would

    def downloaded() -> Path | None:
        saved = downloads / name
        partial = list(downloads.glob("*.crdownload"))
        return saved if saved.exists() and saved.stat().st_size and not partial else None

    workbook = page.until(downloaded, f"{name} in the downloads folder")
    from openpyxl import load_workbook

    assert load_workbook(workbook).sheetnames


def test_upload_topics_a_day_later_an_edit_in_place_and_starting_over_in_the_browser(
    sandbox_url: str, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The page's other controls: 小明 registers in the office complex, whose staff group
    has Topics on (the approval edits the request in place); files a repair with a photo
    from the file picker, and the ticket gets its own topic in that pane; +1 day moves the
    clock a day; Start over gives back the freshly seeded sandbox."""
    from PIL import Image

    page = Page(browser, tmp_path)
    browser.get(sandbox_url)
    page.seeded()
    page.show_only("xiaoming", "binjiang")

    page.register("xiaoming", "张小明", "滨江商务广场", "A座写字楼", "A1001")
    request = page.sees("binjiang", "张小明 申请登记为 滨江商务广场 A座写字楼 A1001")
    request_id = request.get_attribute("data-id")
    assert not request.find_elements(By.CSS_SELECTOR, ".edited")
    page.press("binjiang", "✅ 批准")
    page.sees("xiaoming", "物业已确认您的房屋")

    # The request card is edited where it is: the verdict added, the buttons gone.
    def edited() -> WebElement | None:
        found = page.pane("binjiang").find_elements(
            By.CSS_SELECTOR, f'.msg[data-id="{request_id}"]'
        )
        if found and "已由 陈静 批准" in found[0].text:
            return found[0]
        return None

    card = page.until(edited, "the request card edited in place")
    assert card.find_element(By.CSS_SELECTOR, ".edited").text == "edited"
    assert not card.find_elements(By.CSS_SELECTOR, ".inline-btn")
    assert sum("申请登记为" in m.text for m in page.messages("binjiang")) == 1

    # A repair with a photo chosen in the file picker (not the sample).
    upload = tmp_path / "ceiling.png"
    Image.new("RGB", (320, 200), (70, 130, 180)).save(upload)
    page.keyboard("xiaoming", "🔧 报修")
    page.press("xiaoming", "水管漏水")
    page.press("xiaoming", "🏠 A座写字楼 A1001")
    page.type("xiaoming", "会议室的空调管一直在滴水。")
    page.sees("xiaoming", "不发照片")
    page.pane("xiaoming").find_element(By.CSS_SELECTOR, ".photo-input").send_keys(str(upload))
    page.sees("xiaoming", "已添加照片：1/5")
    sent_photo = page.element("xiaoming", ".msg.out .photos img")
    page.until(
        lambda: browser.execute_script("return arguments[0].naturalWidth", sent_photo) == 320,
        "the uploaded photo in 小明's chat",
    )
    page.press("xiaoming", "完成")
    page.press("xiaoming", "否")  # not urgent
    page.press("xiaoming", "✅ 提交")
    page.sees("xiaoming", "BJ-000001")

    # The office complex's group is a forum: the ticket has a topic, its card in it.
    def topic() -> WebElement | None:
        for section in page.pane("binjiang").find_elements(By.CSS_SELECTOR, ".topic-section"):
            head = section.find_element(By.CSS_SELECTOR, ".topic-head").text
            if "BJ-000001" in head and "BJ-000001 · 报修" in section.text:
                return section
        return None

    section = page.until(topic, "BJ-000001's topic in the office complex's group")
    head = section.find_element(By.CSS_SELECTOR, ".topic-head").text
    assert head.startswith("# ") and "BJ-000001 · 水管漏水 · A座写字楼 A1001" in head
    assert section.find_elements(By.CSS_SELECTOR, ".photos img")  # the photo is there too
    general = page.pane("binjiang").find_element(By.CSS_SELECTOR, '.topic-section[data-topic="0"]')
    assert "申请登记为" in general.text and "BJ-000001" not in general.text
    # A reply in the topic is written in the topic: it reaches the resident.
    page.reply("binjiang", page.sees("binjiang", "BJ-000001 · 报修"), "师傅十分钟后到。")
    page.sees("xiaoming", "师傅十分钟后到")
    assert "师傅十分钟后到" in page.until(topic, "the answer in the topic").text
    page.screenshot("sandbox-topics.png")

    # +1 day.
    before = page.local_now()
    browser.find_element(By.CSS_SELECTOR, '.step[data-hours="24"]').click()
    page.until(lambda: browser.find_element(By.ID, "ahead").text == "+1 d 0 h", "+1 d")
    after = page.local_now()
    assert timedelta(hours=24) <= after - before <= timedelta(hours=24, minutes=5)

    # Start over: the chats and the clock as the first start left them.
    browser.find_element(By.ID, "reset").click()
    page.until(lambda: browser.switch_to.alert, "the are-you-sure question").accept()
    page.until(lambda: not page.messages("xiaoming"), "小明's chat emptied")
    page.seeded("the sandbox seeded again")
    page.sees("alice", "SG-000002")
    assert browser.find_element(By.ID, "ahead").text == ""
    assert not page.messages("binjiang") and not page.messages("xiaoming")
    assert "BJ-000001" not in browser.find_element(By.TAG_NAME, "body").text


def body_status(browser: webdriver.Chrome) -> str | None:
    return browser.find_element(By.TAG_NAME, "body").get_attribute("data-status")
