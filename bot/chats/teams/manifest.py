"""The Teams app package (`python -m bot teams-app --out FILE.zip`): manifest.json and its two icons, ready to
upload (Teams → Apps → Manage your apps → Upload an app, or the Teams Developer Portal)."""

import io
import json
import zipfile

from bot.chats.teams.setup import BOT_NAME

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
COMMANDS = [
    {"title": "social-stats", "description": "Figures for a period: social-stats [today|7d|YYYY-MM-DD] [@agent]"},
    {"title": "social-replies", "description": "Saved replies: social-replies list | add NAME TEXT | remove NAME"},
]
ACCENT = "#1F6FEB"


def manifest(app_id: str, *, version: str = "1.0.0", website: str = "https://example.com/social-inbox") -> dict:
    return {
        "$schema": SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": app_id,
        "developer": {
            "name": "Social Inbox Bridge",
            "websiteUrl": website,
            "privacyUrl": f"{website}/privacy",
            "termsOfUseUrl": f"{website}/terms",
        },
        "name": {"short": BOT_NAME, "full": f"{BOT_NAME}: customer mentions on X as cases"},
        "description": {
            "short": "Claim and answer customers' X mentions from a Teams channel.",
            "full": "Each customer mention of the brand's X accounts becomes a card in the inbox channel. An agent "
            "claims it; the owner's replies in its thread are posted on X from the brand account. Daily SLA and "
            "resolution digests, and social-stats on demand.",
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["team", "personal"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": ["team", "personal"], "commands": COMMANDS}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "webApplicationInfo": {"id": app_id, "resource": f"api://botid-{app_id}"},
        "authorization": {
            "permissions": {"resourceSpecific": [{"name": "ChannelMessage.Read.Group", "type": "Application"}]}
        },
    }


def _icon(size: int, *, outline: bool) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0) if outline else ACCENT)
    draw = ImageDraw.Draw(image)
    ink = (255, 255, 255, 255)
    pad = size // 5
    draw.rounded_rectangle(
        [pad, pad, size - pad, size - pad * 2], radius=size // 10, outline=ink, width=max(1, size // 16)
    )
    draw.polygon([(pad * 2, size - pad * 2), (pad * 2, size - pad), (pad * 3, size - pad * 2)], fill=ink)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def package(app_id: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(app_id), indent=2))
        archive.writestr("color.png", _icon(192, outline=False))
        archive.writestr("outline.png", _icon(32, outline=True))
    return out.getvalue()
