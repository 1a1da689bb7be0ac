"""ACCOUNTS_FILE: the brand accounts, their channels and campaigns, and the tracked terms (YAML).

The file names the environment variables that hold each account's tokens, never the tokens themselves; each account
says its `network:` (default x), whose wing says which credentials it takes. A wrong entry (missing credentials, a
duplicate, an unknown key or network) is reported by name and left out; the others are served. Only a file that
cannot be used at all (missing, not YAML, nothing usable in it) stops the start."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.networks.bluesky import settings as bluesky_settings
from bot.networks.x import settings as x_settings

ACCOUNT_KEYS = frozenset({"name", "network", "channel", "campaign", "dm_channel", "credentials"})
# Each network's wing: its name, the credential keys an account names, the values that may be left unset.
NETWORKS = {x_settings.NAME: x_settings, bluesky_settings.NAME: bluesky_settings}
DEFAULT_NETWORK = x_settings.NAME
DEFAULT_TERM_EXAMPLE = x_settings.TERM_EXAMPLE  # terms are searched with the first account's network
TERM_KEYS = frozenset({"term", "channel", "campaign", "account"})


class SourcesFileError(ValueError):
    """The file cannot be used at all; the message says why."""


@dataclass(frozen=True)
class AccountEntry:
    name: str
    channel: str
    campaign: str | None
    dm_channel: str | None
    credentials: dict[str, str | None]  # the network's keys (X: api_key, api_secret, access_token, ...)
    network: str = DEFAULT_NETWORK


@dataclass(frozen=True)
class TermEntry:
    term: str
    channel: str
    campaign: str
    account: str | None


@dataclass(frozen=True)
class SourcesFile:
    path: str
    accounts: tuple[AccountEntry, ...]
    terms: tuple[TermEntry, ...]
    problems: tuple[str, ...] = field(default_factory=tuple)

    def secrets(self) -> list[str]:
        return [v for a in self.accounts for v in a.credentials.values() if v]


def _text(value) -> str | None:
    if value is None or isinstance(value, bool | dict | list):
        return None
    text = str(value).strip()
    return text or None


def load(path: str, env) -> SourcesFile:
    """Read the file; credentials are looked up in `env` by the names the file gives."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise SourcesFileError(f"{path} cannot be read ({err.strerror or type(err).__name__})") from None
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        raise SourcesFileError(f"{path} is not valid YAML{at}: {getattr(err, 'problem', None) or err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("accounts"), list) or not data["accounts"]:
        raise SourcesFileError(f"{path} must have an `accounts:` list with at least one account (see the README)")
    unknown = sorted(set(data) - {"accounts", "terms"})
    problems: list[str] = [f"{path}: unknown section(s) {', '.join(map(str, unknown))} ignored"] if unknown else []
    accounts = _accounts(path, data["accounts"], env, problems)
    terms = _terms(path, data.get("terms") or [], {a.name for a in accounts}, problems)
    if not accounts:
        raise SourcesFileError(f"{path}: no account can be served: " + "; ".join(problems))
    return SourcesFile(path=path, accounts=tuple(accounts), terms=tuple(terms), problems=tuple(problems))


def _accounts(path: str, items: list, env, problems: list[str]) -> list[AccountEntry]:
    accounts: list[AccountEntry] = []
    names: set[str] = set()
    tokens: dict[str, str] = {}
    for number, item in enumerate(items, start=1):
        label = f"account #{number}"
        if not isinstance(item, dict):
            problems.append(f"{path}: {label} is not a mapping of name, channel, campaign, credentials; skipped")
            continue
        name = _text(item.get("name"))
        label = f'account "{name}"' if name else label
        skip = _account_problem(item, name, names, env)
        if skip:
            problems.append(f"{path}: {label}: {skip}; this account is skipped")
            continue
        names.add(name)
        network = _network_of(item)
        credentials = _credentials(NETWORKS[network].CREDENTIAL_KEYS, item["credentials"], env)
        token = f"{network}:{credentials.get('access_token') or credentials.get('handle')}"
        if token in tokens:
            problems.append(
                f'{path}: {label}: its access token is the one of account "{tokens[token]}" (a duplicate account); '
                "this account is skipped"
            )
            continue
        tokens[token] = name
        accounts.append(
            AccountEntry(
                name=name,
                channel=_text(item.get("channel")),
                campaign=_text(item.get("campaign")),
                dm_channel=_text(item.get("dm_channel")),
                credentials=credentials,
                network=network,
            )
        )
    return accounts


def _account_problem(item: dict, name: str | None, names: set[str], env) -> str | None:
    unknown = sorted(set(map(str, item)) - ACCOUNT_KEYS)
    if unknown:
        return f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(ACCOUNT_KEYS))})"
    if not name:
        return "it has no `name`"
    if name in names:
        return "the name appears twice (a duplicate account)"
    if _network_of(item) not in NETWORKS:
        known = ", ".join(sorted(NETWORKS))
        return f"its network {_text(item.get('network'))!r} is not one the bridge knows (known: {known})"
    if not _text(item.get("channel")):
        return "it has no `channel` (a Slack channel ID such as C0123456789)"
    wing = NETWORKS[_network_of(item)]
    if _text(item.get("dm_channel")) and not wing.DIRECT_MESSAGES:
        return f"it has a `dm_channel`, but the bridge does not read {wing.DISPLAY_NAME}'s direct messages: remove it"
    creds = item.get("credentials")
    if not isinstance(creds, dict):
        return "it has no `credentials` (the names of the environment variables with its tokens)"
    keys = wing.CREDENTIAL_KEYS
    unknown = sorted(set(map(str, creds)) - set(keys))
    if unknown:
        return f"unknown credential key(s) {', '.join(unknown)} (known: {', '.join(keys)})"
    missing = [k for k, (_, required) in keys.items() if required and not _text(creds.get(k))]
    if missing:
        return f"credentials lack {', '.join(missing)} (the name of an environment variable)"
    unset = []
    for key, (default, _) in keys.items():
        variable = _text(creds.get(key)) or default
        if key not in wing.OPTIONAL_VALUES and not _text(env.get(variable)):
            unset.append(variable)
    if unset:
        return f"{', '.join(unset)} {'is' if len(unset) == 1 else 'are'} not set (missing credentials)"
    return None


def _network_of(item: dict) -> str:
    return (_text(item.get("network")) or DEFAULT_NETWORK).lower()


def _credentials(keys: dict, creds: dict, env) -> dict[str, str | None]:
    return {key: _text(env.get(_text(creds.get(key)) or default)) for key, (default, _) in keys.items()}


def _terms(path: str, items, accounts: set[str], problems: list[str]) -> list[TermEntry]:
    if not isinstance(items, list):
        problems.append(f"{path}: `terms:` is not a list; no term is tracked")
        return []
    terms: list[TermEntry] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        term = _text(item.get("term")) if isinstance(item, dict) else None
        label = f'term "{term}"' if term else f"term #{number}"
        if not isinstance(item, dict):
            problem = "it is not a mapping of term, channel, campaign"
        elif unknown := sorted(set(map(str, item)) - TERM_KEYS):
            problem = f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(TERM_KEYS))})"
        elif not term:
            problem = f"it has no `term` ({DEFAULT_TERM_EXAMPLE})"
        elif term.casefold() in seen:
            problem = "it appears twice"
        elif not _text(item.get("channel")):
            problem = "it has no `channel` (a Slack channel ID such as C0123456789)"
        elif _text(item.get("account")) and _text(item.get("account")) not in accounts:
            problem = f'it names account "{_text(item.get("account"))}", which is not served'
        else:
            problem = None
        if problem:
            problems.append(f"{path}: {label}: {problem}; this term is not tracked")
            continue
        seen.add(term.casefold())
        terms.append(
            TermEntry(
                term=term,
                channel=_text(item["channel"]),
                campaign=_text(item.get("campaign")) or term,
                account=_text(item.get("account")),
            )
        )
    return terms
