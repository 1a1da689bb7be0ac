"""A person in a real browser: Debian's Chromium, driven by Playwright, on the sandbox's page."""

import os
import re
from pathlib import Path

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


def claim_and_answer(card, reply: str) -> None:
    """As Lucía, on the Slack side: claim the card, then answer in its thread."""
    card.locator("button[data-action=case_claim]").click()
    card.get_by_text(re.compile(r"Claimed\s+by\s+@Lucía Ortega")).wait_for()
    card.locator("form.reply input[name=text]").fill(reply)
    card.locator("form.reply button[type=submit]").click()


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
    reply = "Hi Nora, sorry about that! A courier will be at your door tomorrow morning."
    claim_and_answer(card, reply)

    x.locator(".tweet.brand", has_text=reply).wait_for()
    card.get_by_text("1 public reply").wait_for()
    assert any(p["text"] == reply for p in sandbox.x.brand_posts())

    page.screenshot(path=str(tmp_path / "sandbox.png"))
    assert (tmp_path / "sandbox.png").stat().st_size > 10_000


def test_a_person_posts_on_bluesky_and_sees_the_brands_reply_there(browser, sandbox):
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(sandbox.url)
    slack, social = page.locator("#slack-feed"), page.locator("#x-feed")
    social.locator(".tweet.on-bsky", has_text="arrived without the charger").wait_for()  # the seeded Bluesky case

    # As a customer on Bluesky: choosing the network puts its brand's handle at the head of the text.
    page.fill("form.x-compose input[name=handle]", "@olga")
    page.fill("form.x-compose input[name=name]", "Olga Weiss")
    page.select_option("form.x-compose select[name=network]", "bluesky")
    text = page.locator("form.x-compose textarea[name=text]")
    assert text.input_value() == "@acme.bsky.social "
    text.fill(text.input_value() + "the app charges me in dollars, not euros")
    page.click("form.x-compose button[type=submit]")

    card = slack.locator(".entry", has_text="charges me in dollars").first
    card.wait_for()
    assert "Olga Weiss" in card.inner_text() and "@olga.bsky.social" in card.inner_text()
    assert text.input_value() == "@acme.bsky.social ", "the box is ready for the next post on Bluesky"

    reply = "Hi Olga, prices follow the store's country: switch it to Germany in Settings."
    claim_and_answer(card, reply)

    social.locator(".tweet.on-bsky.brand", has_text=reply).wait_for()
    [mention] = [p for p in sandbox.bluesky.posts.values() if "charges me in dollars" in p["record"]["text"]]
    assert [r["record"]["text"] for r in sandbox.bluesky.replies_to(mention["uri"])] == [reply]
    shot(page, "sandbox-bluesky")


SHOTS = Path(os.environ.get("SCREENSHOTS_DIR", Path(__file__).resolve().parents[1] / "screenshots"))


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def overflows(page) -> list[str]:
    """Elements wider than the window (a long URL that does not wrap pushes the page sideways)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.msg-body *, .tweet-body *')]
             .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
             .map(e => e.tagName + ': ' + (e.textContent || '').slice(0, 60))"""
    )


def test_the_first_digests_show_two_weeks_of_history_and_links_stay_on_the_page(browser, sandbox):
    expect = pytest.importorskip("playwright.sync_api").expect
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(sandbox.url + "?channel=C0DIGESTS")
    page.get_by_text(re.compile(r"^SLA digest · ")).first.wait_for()  # yesterday's, posted by the worker at start

    feed = page.locator("#slack-feed")
    daily = feed.locator(".entry", has_text="SLA digest").first
    assert re.search(r"Cases opened\s+[1-9]", daily.inner_text()), daily.inner_text()
    chart = feed.locator("figure.file img").first
    chart.wait_for()
    assert chart.evaluate("img => img.naturalWidth") > 0
    shot(page, "sandbox-digests")

    # The week's digest names its breaches; "the case" opens the card on this page, not a Slack that is not there.
    # On a Monday the worker also posted last week's at start, maybe with no breach: this week's is the newest.
    weeklies = feed.locator(".entry", has_text="Weekly SLA digest")
    before = weeklies.count()
    page.click("button:has-text('Post the digests now')")
    expect(weeklies).to_have_count(before + 1, timeout=20_000)
    breach = weeklies.last.locator("a[data-pane=slack]").first
    breach.wait_for()
    assert "slack.com" not in breach.get_attribute("href")
    breach.click()
    page.wait_for_url(re.compile(r"channel=C0INBOX.*#m\d+"))
    target = page.locator(".msg.flash").first
    target.wait_for()
    assert target.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight }")

    # "View on X" shows the post in the X pane.
    view = page.locator("#slack-feed a:has-text('View on X')").last
    assert view.get_attribute("href").startswith("#x")
    view.click()
    post = page.locator("#x-feed .tweet.flash")
    post.wait_for()
    assert post.get_attribute("id") == view.get_attribute("href")[1:]
    shot(page, "sandbox-link-to-x")


def test_the_page_works_at_1024_px_and_long_urls_wrap(browser, sandbox):
    url = "https://example.com/orders/" + "a1b2c3d4e5" * 12 + "?utm_source=twitter&utm_medium=social"
    sandbox.post_as_customer("wrap_test", f"@AcmeSupport the tracking link is broken: {url}")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.set_default_timeout(20_000)
    page.goto(sandbox.url)
    card = page.locator("#slack-feed .entry", has_text="tracking link is broken").first
    card.wait_for()
    card.scroll_into_view_if_needed()

    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert overflows(page) == []
    assert page.locator("#x-feed").is_visible() and page.locator("#slack-feed").is_visible()
    shot(page, "sandbox-1024px")


def test_on_a_phone_the_slack_and_x_panes_switch_with_tabs(browser, sandbox):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.set_default_timeout(20_000)
    page.goto(sandbox.url)
    page.get_by_text("mi pedido #A1234").first.wait_for()
    slack, x = page.locator("section.slack"), page.locator("section.x")

    assert slack.is_visible() and not x.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 and overflows(page) == []
    shot(page, "sandbox-phone-slack")

    page.click(".tab[data-tab=x]")
    assert x.is_visible() and not slack.is_visible()
    page.fill("form.x-compose input[name=handle]", "@phone_user")
    page.fill("form.x-compose textarea[name=text]", "@AcmeSupport writing from my phone")
    page.click("form.x-compose button[type=submit]")
    page.locator("#x-feed .tweet", has_text="writing from my phone").wait_for()
    shot(page, "sandbox-phone-x")

    page.click(".tab[data-tab=slack]")
    page.locator("#slack-feed .entry", has_text="writing from my phone").first.wait_for()
    assert slack.is_visible() and not x.is_visible()
