"""Wiring: build the Slack client and Bolt app, the X client, the bridge and the scheduler from settings."""

import logging
import os
import weakref
from concurrent.futures import Executor
from contextlib import contextmanager

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.exc import SQLAlchemyError

from bot.chats.slack.chat import SlackChat
from bot.domain.bridge import Bridge, BridgeConfig
from bot.domain.sources import AccountSource, Sources, TermSource
from bot.listener_pool import ListenerPool
from bot.networks.bluesky import settings as bluesky_settings
from bot.networks.x import settings as x_settings
from bot.settings import DEFAULT_DATABASE_URL, ConfigError, Settings
from bot.sources_file import NETWORKS
from storage import schema
from storage.engine import make_engine
from storage.health import READ_ONLY, database_state, plain_reason
from storage.network_sessions import KeptSessions

log = logging.getLogger(__name__)


def build_slack_client(settings: Settings) -> WebClient:
    # Only 429s are retried here (after Retry-After): a post whose answer was lost is settled by the
    # mirror from stored state, never blindly sent again.
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=30,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=20)],
    )


def build_sources(settings: Settings) -> Sources | None:
    """ACCOUNTS_FILE's accounts, one adapter each on its network (replies go out from the account written to), and
    its tracked terms; None without the file: then the X_* settings are the one account."""
    listed = settings.sources
    if listed is None:
        return None
    accounts = [
        AccountSource(
            entry.name,
            NETWORKS[entry.network].build_account_network(entry, settings, listed.path),
            entry.channel,
            entry.campaign,
            entry.dm_channel,
        )
        for entry in listed.accounts
    ]
    terms = [TermSource(t.term, t.channel, t.campaign, t.account) for t in listed.terms]
    return Sources(accounts, terms, problems=listed.problems)


def build_engine(settings: Settings):
    engine = make_engine(settings.database_url)
    check_schema(engine, settings)
    check_writable(engine)
    return engine


def check_writable(engine) -> None:
    """Every mention, click and reply is recorded: a database that cannot be written stops the start."""
    try:
        state = database_state(engine)
    except SQLAlchemyError as err:
        raise ConfigError(f"DATABASE_URL: the database could not be used ({plain_reason(err)})") from None
    if state == READ_ONLY:
        raise ConfigError(
            "DATABASE_URL: the database is read-only (a read-only file, folder or URL, a standby server, or a "
            "read-only user): the bridge records every mention, click and reply, so it needs to write"
        )


def check_schema(engine, settings: Settings) -> None:
    """Refuse to start on a database that is behind the code; only the default SQLite file is migrated here."""
    try:
        state = schema.status(engine)
        if state.up_to_date:
            return
        if not state.known:
            log.warning(
                "the database is at revision %s, which this version does not know (head %s): "
                "it was migrated by a newer version",
                state.current,
                state.head,
            )
            return
        if settings.database_url == DEFAULT_DATABASE_URL:
            before, after = schema.upgrade(engine)
            log.info(
                "migrated the default SQLite database (%s) from %s to revision %s",
                engine.url.database,
                before.current or "empty",
                after.current,
            )
            return
    except schema.SchemaError as err:
        raise ConfigError(f"DATABASE_URL: {err}") from None
    except SQLAlchemyError as err:
        raise ConfigError(f"DATABASE_URL: the database could not be used ({plain_reason(err)})") from None
    raise ConfigError(
        f"the database (DATABASE_URL) is at revision {state.current or 'none (empty)'} and this version needs "
        f"{state.head}: run `python -m bot migrate` first"
    )


def x_unavailable(settings: Settings) -> str | None:
    """Why this process cannot reach X, when the brand's X settings are not all set (only `web` starts so)."""
    missing = settings.missing_x_credentials()
    if not missing:
        return None
    return f"this bridge has no X credentials yet ({', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set)"


# The Teams wing of each bridge built with Teams' settings (its SDK loop, sign-in, chat): what the front and the
# checks need beside the bridge.
_TEAMS: "weakref.WeakKeyDictionary[Bridge, object]" = weakref.WeakKeyDictionary()


def teams_wing(bridge: Bridge):
    return _TEAMS.get(bridge)


def build_chat(settings: Settings, client: WebClient | None):
    """Slack's chat, Teams' chat, or both behind one router; and the Teams wing (None without Teams)."""
    slack = None
    if settings.has_slack() or client is not None or not settings.has_teams():
        slack = SlackChat(client or build_slack_client(settings), rate_per_channel=settings.mirror_rate_per_channel)
    if not settings.has_teams():
        return slack, None
    from bot.chats.teams import setup

    wing = setup.build(settings)
    if slack is None:
        return wing.chat, wing
    from bot.chats.router import ChatRouter

    return ChatRouter(slack, wing.chat, teams_digest_channel=settings.teams_digest_channel), wing


def _single_account_networks(settings: Settings) -> dict:
    """Without ACCOUNTS_FILE: the brand's X account (from the X_* settings) and its Bluesky account beside it (with
    BLUESKY_HANDLE); or its Bluesky account alone, when no X credential is set at all."""
    networks = {} if settings.bluesky_only() else {x_settings.NAME: x_settings.build_network(settings)}
    if settings.bluesky_handle:
        networks[bluesky_settings.NAME] = bluesky_settings.build_network(settings)
    return networks


def build_bridge(settings: Settings, *, engine=None, client: WebClient | None = None) -> Bridge:
    sources = build_sources(settings)
    # With ACCOUNTS_FILE, the first account's channel stands in where one channel is needed (e.g. the digests).
    inbox = settings.inbox_channel or (sources.all_accounts[0].channel if sources else None)
    without_x = x_unavailable(settings)
    config = BridgeConfig(
        inbox_channel=inbox,
        campaign=settings.campaign,
        overflow_channels=settings.overflow_channels,
        overlap_seconds=settings.poll_overlap_seconds,
        overlap_every=settings.poll_overlap_every,
        settle_seconds=settings.reply_settle_seconds,
        allowed_agents=settings.allowed_agents,
        agent_usergroup=settings.agent_usergroup,
        timezone=settings.timezone,
        digest_channel=settings.digest_channel or inbox,
        sla_minutes=settings.sla_first_response_minutes,
        business_hours=settings.business_hours,
        digest_time=settings.digest_time,
        alert_mention=settings.alert_mention,
        alert_warning_ratio=settings.alert_warning_percent / 100,
        reply_delay_seconds=settings.reply_delay_seconds,
        reassign_by_anyone=settings.reassign_by_anyone,
        readback_after_seconds=settings.thread_readback_after_seconds,
        network_unavailable=without_x,
        reopen_within_days=settings.reopen_within_days,
    )
    chat, wing = build_chat(settings, client)
    networks = sources.networks() if sources else _single_account_networks(settings)
    if without_x:  # the account is never asked of X: nothing here signs in, reads or posts
        sources = Sources(
            [AccountSource("default", n, inbox, settings.campaign, problem=without_x) for n in networks.values()]
        )
    engine = engine or build_engine(settings)
    for network in networks.values():
        if hasattr(network, "keep_sessions_in"):  # a network whose sign-ins are limited keeps its session
            network.keep_sessions_in(KeptSessions(engine))
    bridge = Bridge(engine, chat, networks, config, sources=sources)
    for network in networks.values():
        if hasattr(network, "use_clock"):  # a network that counts its own limits counts on the bridge's clock
            network.use_clock(lambda: bridge.clock())
    if wing is not None:
        _TEAMS[bridge] = wing
    return bridge


def build_teams_front(bridge: Bridge, pool: Executor):
    """The handler of POST /api/messages (None when Teams is not configured)."""
    wing = teams_wing(bridge)
    if wing is None:
        return None
    from bot.chats.teams import setup

    return setup.build_front(wing, bridge, pool)


@contextmanager
def _without_oauth_env():
    """Bolt turns OAuth on by itself when both client credentials are in the environment; this is a
    single-workspace bot with a bot token, so hide them while the app is built."""
    saved = {k: os.environ.pop(k) for k in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def build_app(settings: Settings, bridge: Bridge, *, executor: Executor | None = None) -> App:
    from handlers.slack import register, responses

    executor = executor or ListenerPool()
    answers = ListenerPool(responses.POOL_THREADS, name="respond")
    if isinstance(executor, ListenerPool):
        executor.answers = answers  # so that waiting for the listeners waits for their answers too
    with _without_oauth_env():
        app = App(
            client=bridge.chat.client,
            signing_secret=settings.slack_signing_secret,
            process_before_response=False,
            request_verification_enabled=True,
            listener_executor=executor,
        )
    register(app, bridge, answers=answers)
    return app
