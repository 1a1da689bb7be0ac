"""The Teams wing built from settings: the SDK loop, the bot's sign-in, the connector, the chat, and the front that
serves POST /api/messages."""

import logging
from dataclasses import dataclass

from bot.chats.teams.channel_reads import ChannelReads
from bot.chats.teams.chat import TeamsChat
from bot.chats.teams.connector import Connector
from bot.chats.teams.inbound_auth import InboundAuth, OpenIdKeys
from bot.chats.teams.sdk_loop import SdkLoop
from bot.chats.teams.sign_in import TeamsSignIn, configuration, connections

BOT_NAME = "Social Inbox"  # the bot's name in the app package: Teams puts it in the text of an @mention


@dataclass
class TeamsWing:
    loop: SdkLoop
    sign_in: TeamsSignIn
    connector: Connector
    chat: TeamsChat
    settings: object

    def stop(self) -> None:
        self.connector.close()
        self.loop.stop()


def build(settings) -> TeamsWing:
    if settings.log_level != "DEBUG":  # the SDK says every call it makes at INFO
        logging.getLogger("microsoft_agents").setLevel(logging.WARNING)
    loop = SdkLoop()
    config = configuration(
        settings.teams_app_id, settings.teams_app_password, settings.teams_tenant_id, settings.teams_auth_url
    )
    sign_in = TeamsSignIn(config)
    connector = Connector(loop, sign_in, settings.teams_service_url)
    reads = ChannelReads(sign_in, settings.teams_graph_url)
    chat = TeamsChat(
        connector,
        reads,
        tenant_id=settings.teams_tenant_id,
        app_id=settings.teams_app_id,
        bot_name=BOT_NAME,
        home_channel=settings.teams_inbox_channel or settings.teams_digest_channel,
    )
    return TeamsWing(loop, sign_in, connector, chat, settings)


def build_front(wing: TeamsWing, bridge, pool):
    """The WSGI app of POST /api/messages: the SDK's CloudAdapter and AgentApplication, our handlers."""
    from microsoft_agents.hosting.aiohttp import CloudAdapter
    from microsoft_agents.hosting.core import AgentApplication, MemoryStorage, TurnState

    from bot.chats.teams.front import TeamsFront
    from handlers.teams import register

    settings = wing.settings
    manager = connections(
        configuration(
            settings.teams_app_id, settings.teams_app_password, settings.teams_tenant_id, settings.teams_auth_url
        )
    )
    adapter = CloudAdapter(connection_manager=manager)
    adapter.on_turn_error = None  # a failed turn is answered 500 (handlers/teams/errors.py), never a chat message
    app = AgentApplication[TurnState](storage=MemoryStorage(), connection_manager=manager)
    register(app, bridge, wing.chat, pool)
    auth = InboundAuth(settings.teams_app_id, settings.teams_tenant_id, OpenIdKeys(settings.teams_openid_url))
    return TeamsFront(wing.loop, adapter, app, auth, wing.chat)
