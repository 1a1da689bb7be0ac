"""The cases a sandbox starts with: two weeks of history, so the first digests and charts show what a manager
gets, and today's cases, in Spanish and English, in every state a case can be in, on X and one on Bluesky.

Today's cases go through the real paths: the customers post on FakeX (and one on FakeBluesky), the worker's cycle
mirrors the mentions, and the agents click and type through signed Slack requests. The history's posts do too (on
FakeX, dated in the past, read by the bridge's own cycle), but clicks and replies cannot be dated in the past over
HTTP: the claims, public replies and resolutions of the history are recorded with the storage functions the domain
uses, at their moments, the brand's answers posted on FakeX at those moments and the agents' messages left in the
threads.
"""

import random
import time
from datetime import UTC, date, datetime, timedelta

from bot.sandbox.runtime import AGENTS, BLUESKY_BRAND, BRAND_HANDLE, INBOX, Sandbox
from storage import cases

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

# On Bluesky, beside them: (handle, name, followers, minutes ago, text); it stays open, for someone to claim.
BLUESKY_MENTION = (
    "elif.bsky.social",
    "Elif Demir",
    640,
    40,
    f"@{BLUESKY_BRAND} my order #C2290 arrived without the charger 🔌 can you send it separately?",
)


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
    handle, name, followers, minutes_ago, text = BLUESKY_MENTION
    sandbox.post_on_bluesky(
        handle, text, name=name, followers=followers, created_at=now - timedelta(minutes=minutes_ago), poll=False
    )
    sandbox.poll()
    _wait(lambda: all(_card(sandbox, h) for h in [*CUSTOMERS, handle]), "the first cards")

    # María's case: claimed, answered in public, then a follow-up from her lands in the thread.
    _act(sandbox, LUCIA, "maria_g", "case_claim")
    _reply(
        sandbox,
        LUCIA,
        "maria_g",
        "¡Hola María! Sentimos mucho el retraso. Tu pedido #A1234 sale hoy del almacén; "
        "te escribimos por DM con el número de seguimiento.",
    )
    answer = max(sandbox.x.brand_posts(), key=lambda p: int(p["id"]))  # Lucía's, just sent (the history's are older)
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
    # James's, Laura's and Elif's (on Bluesky) cases stay open, waiting for someone to claim them.


# -- two weeks of history -------------------------------------------------------------------------------

HISTORY_DAYS = 14
# customers of the history (not today's: a new post of theirs soon after a resolution would reopen that case)
HISTORY_CUSTOMERS = [
    ("ana_torres", "Ana Torres", "Sevilla", "es"),
    ("mike_b", "Mike Brennan", "Manchester", "en"),
    ("lu_fernandez", "Lucía Fernández", "Buenos Aires", "es"),
    ("tomgreen", "Tom Green", "Leeds", "en"),
    ("pablo_m", "Pablo Martín", "Bilbao", "es"),
    ("sarah_k", "Sarah Kim", "Toronto", "en"),
    ("javi_r", "Javier Romero", "Zaragoza", "es"),
    ("emma_w", "Emma Walsh", "Cork", "en"),
    ("marta_ls", "Marta López", "Granada", "es"),
    ("dan_ok", "Daniel Okafor", "London", "en"),
    ("ines_g", "Inés Gil", "Valencia", "es"),
    ("oliviap", "Olivia Parker", "Bristol", "en"),
    ("raul_v", "Raúl Vega", "Monterrey", "es"),
    ("nina_h", "Nina Hoffmann", "Berlin", "en"),
    ("clara_s", "Clara Sanz", "Madrid", "es"),
    ("joe_d", "Joe Dawson", "Glasgow", "en"),
    ("elena_c", "Elena Castro", "Bogotá", "es"),
    ("amir_k", "Amir Khan", "Birmingham", "en"),
    ("sofia_mr", "Sofía Moreno", "Málaga", "es"),
    ("kate_l", "Kate Lewis", "Dublin", "en"),
    ("diego_f", "Diego Flores", "Lima", "es"),
    ("ben_t", "Ben Turner", "Cardiff", "en"),
    ("alba_n", "Alba Navarro", "Murcia", "es"),
    ("grace_h", "Grace Hill", "Edinburgh", "en"),
]
# (mention, the brand's answer), by language
TOPICS = {
    "es": [
        (
            "Mi pedido {order} no ha llegado y ya han pasado 6 días 😕",
            "¡Hola! Lo sentimos: tu pedido {order} sale hoy. Te escribimos por DM con el seguimiento.",
        ),
        (
            "¿Cómo cambio la talla de unas zapatillas? Me quedan pequeñas",
            "¡Hola! Desde Mis pedidos → Cambiar talla, sin coste. Te llegan en 2-3 días.",
        ),
        (
            "Me habéis cobrado dos veces el pedido {order}",
            "¡Hola! Confirmado el doble cargo: la devolución sale hoy y la verás en 3-5 días.",
        ),
        (
            "La app no me deja iniciar sesión desde ayer",
            "¡Hola! Actualiza a la versión 4.2.1: corrige el fallo de inicio de sesión. ¡Gracias por avisar!",
        ),
        (
            "¿Hacéis envíos a Canarias?",
            "¡Hola! Sí, enviamos a Canarias en 4-6 días; los aranceles se muestran al pagar.",
        ),
    ],
    "en": [
        (
            "my order {order} still hasn't arrived, it's been a week",
            "Hi! Sorry about that: {order} was delayed at the depot and goes out today. Tracking by DM.",
        ),
        (
            "how do I return a jacket bought online?",
            "Hi! Returns are free within 30 days: Orders → Return, then drop it at any post office.",
        ),
        (
            "I was charged twice for {order} 😡",
            "Hi! We see the double charge: the refund goes out today, 3-5 days to show up.",
        ),
        (
            "the app crashes when I open my basket",
            "Hi! Version 4.2.1 fixes the basket crash: please update and tell us if it persists.",
        ),
        ("do you ship to Canada?", "Hi! Yes, 5-8 days to Canada; duties are shown at checkout."),
    ],
}


def history_plan(today: date, tz, seed: int = 17) -> list[dict]:
    """Plausible cases over the days before `today`: more on weekdays, mostly answered within the hour (a few late,
    one or two closed without a reply), resolved within the day, by both agents."""
    rng = random.Random(seed)
    agents = list(AGENTS)
    plan, n = [], 0
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for _ in range(rng.randint(2, 5) if day.weekday() < 5 else rng.randint(1, 2)):
            handle, name, location, lang = HISTORY_CUSTOMERS[n % len(HISTORY_CUSTOMERS)]
            mention, answer = rng.choice(TOPICS[lang])
            order = f"#{rng.choice('ABCDE')}{rng.randint(1000, 9999)}"
            opened = datetime.combine(day, datetime.min.time(), tz).replace(hour=rng.randint(8, 19)).astimezone(UTC)
            opened += timedelta(minutes=rng.randint(0, 59))
            late = rng.random() < 0.1
            silent = not late and rng.random() < 0.05
            first_reply = timedelta(minutes=rng.randint(65, 190) if late else rng.randint(4, 50))
            plan.append(
                {
                    "handle": handle,
                    "name": name,
                    "location": location,
                    "followers": rng.choice([40, 180, 650, 2300, 15800]),
                    "text": mention.format(order=order),
                    "answer": None if silent else answer.format(order=order),
                    "agent": agents[n % 2] if rng.random() < 0.8 else agents[(n + 1) % 2],
                    "opened": opened,
                    "claimed": opened + first_reply * rng.uniform(0.3, 0.8),
                    "replied": opened + first_reply,
                    "resolved": opened + first_reply + timedelta(minutes=rng.randint(10, 240)),
                }
            )
            n += 1
    return plan


def seed_history(sandbox: Sandbox) -> int:
    """Two weeks of cases, before the worker starts: posted on FakeX at their moments, read by the bridge's
    cycle, worked on at their moments; returns how many."""
    bridge = sandbox.bridge
    plan = history_plan(bridge.metrics.today(), bridge.metrics.tz)
    brand = sandbox.x.user(BRAND_HANDLE)
    for case in plan:
        user = sandbox.customer(case["handle"], case["name"], case["location"], case["followers"])
        case["post"] = sandbox.x.post(user["id"], f"@{BRAND_HANDLE} {case['text']}", created_at=case["opened"])
        if case["answer"]:
            text = f"@{case['handle']} {case['answer']}"
            case["reply"] = sandbox.x.post(
                brand["id"], text, in_reply_to=case["post"]["id"], created_at=case["replied"]
            )
    bridge.ingest.poll()
    with bridge.session() as s:
        for case in plan:
            _work_on(s, bridge, case)
    bridge.mirror.run_once()
    with bridge.session(read_only=True) as s:
        threads = [(c, cases.find_case(s, **_key(bridge, c)).thread_id) for c in plan if c["answer"]]
    for case, thread_id in threads:  # the agents' thread messages that went out on X, as Slack keeps them
        sandbox.slack.add_human_message(INBOX, case["agent"], case["answer"], thread_id)
    return len(plan)


def _key(bridge, case) -> dict:
    account = bridge.account()
    return {
        "network": account.network,
        "account_id": account.account_id,
        "conversation_id": case["post"]["conversation_id"],
        "customer_id": case["post"]["author_id"],
    }


def _work_on(s, bridge, case) -> None:
    """Claim, public reply and resolution at their moments, as the domain records them."""
    row = cases.find_case(s, **_key(bridge, case))
    agent = case["agent"]
    if case["answer"]:
        cases.transition(s, case_id=row.id, from_status="open", to_status="claimed", new_owner=agent)
        cases.add_event(s, case_id=row.id, kind="claim", actor=agent, at=case["claimed"])
        cases.add_message(
            s,
            case_id=row.id,
            direction="out",
            network=row.network,
            post_id=case["reply"]["id"],
            author_id=case["reply"]["author_id"],
            author_handle=BRAND_HANDLE,
            text=case["reply"]["text"],
            posted_at=case["replied"],
            stored_at=case["replied"],
            agent=agent,
            in_reply_to=case["post"]["id"],
            state="sent",
        )
        cases.add_event(s, case_id=row.id, kind="reply", actor=agent, at=case["replied"])
        from_status = "claimed"
    else:
        from_status = "open"  # a thank-you or spam, closed without a reply
    cases.transition(
        s, case_id=row.id, from_status=from_status, to_status="resolved", owner_is=None, resolved_at=case["resolved"]
    )
    cases.add_event(s, case_id=row.id, kind="resolve", actor=agent, at=case["resolved"])
