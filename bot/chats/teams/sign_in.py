"""The bot's own tokens for the Bot Connector (and Graph): client credentials with MSAL, cached until they expire.

It is the Agents SDK's MsalAuth with one seam: the authority is TEAMS_AUTH_URL/TEAMS_TENANT_ID, and for an
authority that is not Microsoft's (a proxy, a stand-in) MSAL's instance discovery, which would ask
login.microsoftonline.com about it, is turned off. MSAL takes only https authorities; a stand-in's certificate is
trusted the standard way (REQUESTS_CA_BUNDLE, since MSAL's HTTP client is requests).
"""

from urllib.parse import urlsplit

from microsoft_agents.authentication.msal import MsalAuth
from microsoft_agents.hosting.core import AgentAuthConfiguration, ConnectionManager
from msal import ConfidentialClientApplication

CONNECTOR_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_AUTHORITIES = ("login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn")


class TeamsSignIn(MsalAuth):
    def _create_client_application(self, tenant_id: str | None = None):
        config = self._msal_configuration
        authority = MsalAuth._resolve_authority(config, tenant_id)
        known = urlsplit(authority).hostname in MICROSOFT_AUTHORITIES
        return ConfidentialClientApplication(
            client_id=config.CLIENT_ID,
            authority=authority,
            client_credential=config.CLIENT_SECRET,
            instance_discovery=None if known else False,
            token_cache=self._token_cache,
        )

    def token(self, scope: str = CONNECTOR_SCOPE, *, force_refresh: bool = False) -> str:
        """A token for `scope` (sync: MSAL's own call, which reads its cache first)."""
        result = self._get_client().acquire_token_for_client(scopes=[scope], force_refresh=force_refresh)
        if "access_token" not in result:
            raise SignInRefused(result.get("error") or "error", result.get("error_description") or "")
        return result["access_token"]


class SignInRefused(Exception):
    def __init__(self, code: str, description: str):
        super().__init__(f"{code}: {description.splitlines()[0] if description else ''}")
        self.code, self.description = code, description


def configuration(app_id: str, password: str, tenant_id: str, auth_url: str) -> AgentAuthConfiguration:
    return AgentAuthConfiguration(
        client_id=app_id,
        client_secret=password,
        tenant_id=tenant_id,
        authority=f"{auth_url.rstrip('/')}/{tenant_id}",
        scopes=[CONNECTOR_SCOPE],
    )


def connections(config: AgentAuthConfiguration) -> ConnectionManager:
    """The SDK's connection manager, with our sign-in as its one service connection."""
    return ConnectionManager(provider_factory=TeamsSignIn, connections_configurations={"SERVICE_CONNECTION": config})
