"""The table of settings that --help, the start-up check and the doctor read from names every setting the README's
table documents, and no other; each command's settings are known ones."""

import re
from pathlib import Path

from bot.command_settings import COMMAND_SETTINGS, SETTINGS
from bot.settings import Settings, from_env

ROOT = Path(__file__).resolve().parents[2]


def readme_settings() -> set[str]:
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("## Settings", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z_]+)`", row)}


def test_the_table_and_the_readme_name_the_same_settings():
    assert set(SETTINGS) == readme_settings()


def test_every_setting_a_command_reads_is_one_the_bot_has():
    fields = set(Settings.__dataclass_fields__)
    for command, needs in COMMAND_SETTINGS.items():
        assert set(needs) <= set(SETTINGS), command
        assert {name.lower() for name in needs} <= fields, command


def test_the_defaults_help_shows_are_the_ones_the_bot_applies():
    applied = from_env({})
    for setting in SETTINGS.values():
        value = getattr(applied, setting.name.lower())
        if setting.default is None or value is None:
            continue
        if isinstance(value, bool):
            assert setting.default == str(value).lower(), setting.name
        elif isinstance(value, int | float):
            assert float(setting.default) == value, setting.name
        elif isinstance(value, str):
            assert setting.default == value, setting.name
        elif hasattr(value, "strftime"):
            assert setting.default == value.strftime("%H:%M"), setting.name


def test_every_credential_a_setting_holds_is_masked_in_the_logs():
    """A token, a secret, a key or a password set in the environment is among the values the log filter masks."""
    credentials = [name for name in SETTINGS if name.endswith(("_TOKEN", "_SECRET", "_PASSWORD", "_KEY"))]
    env = {name: f"value-of-{name.lower()}" for name in credentials}
    env["SLACK_APP_TOKEN"] = "xapp-value-of-slack_app_token"
    env.update(BLUESKY_HANDLE="acme.test", TEAMS_APP_ID="00000000-0000-0000-0000-000000000001")

    masked = from_env(env).secrets()

    assert len(credentials) >= 10
    assert [name for name in credentials if env[name] not in masked] == []
