"""A person in a real browser: Debian's Chromium, driven by Playwright, on the sandbox's page."""

import os
import re

import pytest

from bot.sandbox import Sandbox

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except sync_api.Error as err:
            pytest.skip(f"Chromium at {CHROMIUM} could not be started: {str(err).splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def sandbox(tmp_path):
    with Sandbox(tmp_path / "data") as running:
        yield running


def test_a_person_posts_a_mention_claims_it_replies_and_sees_the_reply_on_x(browser, sandbox, tmp_path):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(sandbox.url)
    slack, x = page.locator("#slack-feed"), page.locator("#x-feed")
    page.get_by_text("mi pedido #A1234").first.wait_for()

    # As a customer, on the X side.
    page.fill("form.x-compose input[name=handle]", "@nora_q")
    page.fill("form.x-compose input[name=name]", "Nora Quinn")
    page.fill("form.x-compose textarea[name=text]", "@AcmeSupport my parcel says delivered but it is not here")
    page.click("form.x-compose button[type=submit]")

    card = slack.locator(".entry", has_text="my parcel says delivered").first
    card.wait_for()
    assert "Nora Quinn" in card.inner_text()

    # As the agent, on the Slack side.
    card.locator("button[data-action=case_claim]").click()
    card.get_by_text(re.compile(r"Claimed\s+by\s+@Lucía Ortega")).wait_for()
    reply = "Hi Nora, sorry about that! A courier will be at your door tomorrow morning."
    card.locator("form.reply input[name=text]").fill(reply)
    card.locator("form.reply button[type=submit]").click()

    x.locator(".tweet.brand", has_text=reply).wait_for()
    card.get_by_text("1 public reply").wait_for()
    assert any(p["text"] == reply for p in sandbox.x.brand_posts())

    page.screenshot(path=str(tmp_path / "sandbox.png"))
    assert (tmp_path / "sandbox.png").stat().st_size > 10_000
