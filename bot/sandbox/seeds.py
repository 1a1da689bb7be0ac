"""The cases a sandbox starts with: customers writing in Spanish and English, in every state a case can be in.

Everything goes through the real paths: the customers post on FakeX, the worker's cycle mirrors the mentions,
and the agents click and type through signed Slack requests.
"""

import time
from datetime import UTC, datetime, timedelta

from bot.sandbox.runtime import BRAND_HANDLE, INBOX, Sandbox

LUCIA, SAM = "U0LUCIA", "U0SAM"

CUSTOMERS = {
    "maria_g": ("María García", "Madrid", 1234),
    "jamesoc": ("James O'Connor", "Dublin, Ireland", 312),
    "cruiz_mx": ("Carlos Ruiz", "Ciudad de México", 8710),
    "priya_shah": ("Priya Shah", "London", 45200),
    "lauraben": ("Laura Benítez", "Valencia", 87),
}

# (handle, minutes ago, text)
MENTIONS = [
    (
        "maria_g",
        95,
        f"@{BRAND_HANDLE} Hola, mi pedido #A1234 lleva 5 días de retraso y nadie me responde. ¿Podéis ayudarme?",
    ),
    (
        "priya_shah",
        70,
        f"@{BRAND_HANDLE} I was charged twice for order #B7781 😡 I need a refund today please",
    ),
    (
        "cruiz_mx",
        55,
        f"@{BRAND_HANDLE} ¿Hacen envíos a México? No encuentro la opción en la web 🤔",
    ),
    (
        "jamesoc",
        25,
        f"@{BRAND_HANDLE} the app keeps logging me out since the 4.2 update. iPhone 15, iOS 18. Any fix?",
    ),
    (
        "lauraben",
        6,
        f"@{BRAND_HANDLE} gracias por la rapidez con la devolución, ¡todo perfecto! 👏",
    ),
]


class SeedTimeout(RuntimeError):
    pass


def _wait(condition, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SeedTimeout(f"seeding: {what} did not happen within {timeout:.0f}s")
        time.sleep(0.05)


def _card(sandbox: Sandbox, handle: str) -> dict:
    for message in sandbox.slack.messages(INBOX):
        if f"|@{handle}>" in str(message.get("blocks")):
            return message
    return {}


def _button(card: dict, action_id: str) -> str | None:
    for block in card.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element["value"]
    return None


def _act(sandbox: Sandbox, agent: str, handle: str, action_id: str) -> None:
    _wait(lambda: _button(_card(sandbox, handle), action_id), f"the {action_id} button on @{handle}'s card")
    card = _card(sandbox, handle)
    sandbox.click(agent, INBOX, card["ts"], action_id, _button(card, action_id))
    _wait(lambda: _button(_card(sandbox, handle), action_id) is None, f"{action_id} on @{handle}'s case")


def _reply(sandbox: Sandbox, agent: str, handle: str, text: str) -> None:
    card = _card(sandbox, handle)
    before = len(sandbox.x.brand_posts())
    sandbox.say(agent, INBOX, text, thread_ts=card["ts"])
    _wait(lambda: len(sandbox.x.brand_posts()) > before, f"the reply to @{handle} on X")


def seed(sandbox: Sandbox) -> None:
    now = datetime.now(UTC)
    posts = {}
    for handle, minutes_ago, text in MENTIONS:
        name, location, followers = CUSTOMERS[handle]
        posts[handle] = sandbox.post_as_customer(
            handle,
            text,
            name=name,
            location=location,
            followers=followers,
            created_at=now - timedelta(minutes=minutes_ago),
            poll=False,
        )
    sandbox.poll()
    _wait(lambda: all(_card(sandbox, h) for h in CUSTOMERS), "the first cards")

    # María's case: claimed, answered in public, then a follow-up from her lands in the thread.
    _act(sandbox, LUCIA, "maria_g", "case_claim")
    _reply(
        sandbox,
        LUCIA,
        "maria_g",
        "¡Hola María! Sentimos mucho el retraso. Tu pedido #A1234 sale hoy del almacén; "
        "te escribimos por DM con el número de seguimiento.",
    )
    answer = sandbox.x.brand_posts()[0]
    sandbox.post_as_customer("maria_g", f"@{BRAND_HANDLE} ¡Gracias! Quedo atenta al DM 🙏", in_reply_to=answer["id"])

    # Priya's case: claimed, with an internal note that never leaves Slack.
    _act(sandbox, SAM, "priya_shah", "case_claim")
    sandbox.say(
        SAM,
        INBOX,
        "note: billing confirms the double charge, refund goes out today",
        _card(sandbox, "priya_shah")["ts"],
    )

    # Carlos's case: answered and resolved.
    _act(sandbox, SAM, "cruiz_mx", "case_claim")
    _reply(
        sandbox,
        SAM,
        "cruiz_mx",
        "¡Hola Carlos! Sí, enviamos a todo México: elige el país al pagar, en el paso de envío. Llega en 3-5 días.",
    )
    _act(sandbox, SAM, "cruiz_mx", "case_resolve")
    # James's and Laura's cases stay open, waiting for someone to claim them.
