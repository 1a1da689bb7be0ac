"""X's checks for `python -m bot doctor`: the brand's credentials read the mentions, the access token may post (as
far as X says without posting), the bearer token is accepted. Nothing is posted."""

from dataclasses import replace

import requests
import tweepy

from bot.checks import FAIL, OK, SKIP, header
from bot.networks.x.network import RebasedTransport
from bot.networks.x.settings import NAME

WRITE_LEVELS = ("read-write", "read-write-directmessages")


def _client(settings, *, user: bool) -> tweepy.Client:
    if user:
        client = tweepy.Client(
            consumer_key=settings.x_api_key,
            consumer_secret=settings.x_api_secret,
            access_token=settings.x_access_token,
            access_token_secret=settings.x_access_token_secret,
            return_type=requests.Response,
        )
    else:
        client = tweepy.Client(bearer_token=settings.x_bearer_token, return_type=requests.Response)
    client.session.mount("https://", RebasedTransport(settings.x_api_url, timeout=(5, 15)))
    return client


def _failure(doctor, name: str, err: Exception, settings, credentials: str) -> None:
    if isinstance(err, tweepy.Unauthorized):
        doctor.add(
            name,
            FAIL,
            f"X refused {credentials} (401 Unauthorized)",
            "in the developer portal (your app → Keys and tokens) regenerate them and copy them again",
        )
    elif isinstance(err, tweepy.TooManyRequests):
        doctor.add(name, SKIP, "X's rate limit is reached for now: try again in 15 minutes")
    elif isinstance(err, tweepy.HTTPException):
        messages = "; ".join(str(m) for m in err.api_messages) or str(err)
        doctor.add(
            name,
            FAIL,
            f"X answered {err.response.status_code}: {messages}",
            "check the app's access level and its Project in the developer portal",
        )
    else:
        doctor.add(
            name,
            FAIL,
            f"X could not be reached at X_API_URL={settings.x_api_url} ({type(err).__name__})",
            "check the network, a proxy, or X_API_URL (leave it unset for X itself)",
        )


def run(doctor, settings) -> None:
    """X's lines of `python -m bot doctor`: the brand's credentials (each X account of ACCOUNTS_FILE's), the bearer
    token. `doctor` collects the lines (add, not_set, checks)."""
    if settings.sources is not None:
        _file_accounts(doctor, settings)
        return
    missing = settings.missing_x_credentials()
    if settings.bluesky_only():
        doctor.add("X", SKIP, "not served: the brand is on Bluesky alone (BLUESKY_HANDLE is set, no X_* credential)")
    elif missing:
        doctor.not_set("X reading mentions", *missing)
        doctor.add("X posting as the brand", SKIP, "not checked without the brand's credentials")
    else:
        _user(doctor, settings)
    if settings.x_bearer_token:
        _bearer(doctor, settings)


def _file_accounts(doctor, settings) -> None:
    """Each X account of ACCOUNTS_FILE, its credentials checked as for the single account."""
    for entry in settings.sources.accounts:
        if entry.network != NAME:
            continue
        c = entry.credentials
        account = replace(
            settings,
            x_api_key=c["api_key"],
            x_api_secret=c["api_secret"],
            x_access_token=c["access_token"],
            x_access_token_secret=c["access_token_secret"],
        )
        first = len(doctor.checks)
        _user(doctor, account)
        doctor.checks[first:] = [
            replace(check, name=f'{check.name} ("{entry.name}")') for check in doctor.checks[first:]
        ]
    if settings.x_bearer_token:
        _bearer(doctor, settings)


def _user(doctor, settings) -> None:
    client = _client(settings, user=True)
    credentials = (
        "the brand's user-context credentials (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET)"
    )
    try:
        me = client.get_me(user_auth=True)
        brand = me.json()["data"]
        client.get_users_mentions(brand["id"], max_results=5, user_auth=True)
    except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError) as err:
        _failure(doctor, "X reading mentions", err, settings, credentials)
        doctor.add("X posting as the brand", SKIP, "not checked: the credentials do not work for reading")
        return
    doctor.add("X reading mentions", OK, f"signed in as @{brand['username']} ({brand['id']}); its mentions can be read")
    level = header(me.headers, "x-access-level")
    if level is None:
        doctor.add(
            "X posting as the brand",
            SKIP,
            "not provable without posting, and the doctor never posts: make sure the app's permissions are "
            "'Read and write' and the access token was generated after they were set; the first reply will tell",
        )
    elif level in WRITE_LEVELS:
        doctor.add(
            "X posting as the brand",
            OK,
            f"the access token may post (x-access-level: {level}); nothing was posted to prove it",
        )
    else:
        doctor.add(
            "X posting as the brand",
            FAIL,
            f"the access token may only read (x-access-level: {level})",
            "set the app's User authentication settings to 'Read and write', then regenerate the access token "
            "and secret (a token keeps the permissions it was made with)",
        )


def _bearer(doctor, settings) -> None:
    try:
        _client(settings, user=False).get_user(username="XDevelopers")
    except tweepy.NotFound:
        pass  # the token was accepted; the account does not matter
    except (tweepy.TweepyException, requests.RequestException) as err:
        _failure(doctor, "X bearer token", err, settings, "X_BEARER_TOKEN")
        return
    doctor.add("X bearer token", OK, "accepted for app-only reads (optional: the bridge reads with the brand's tokens)")
