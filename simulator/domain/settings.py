"""The panel settings list (Get Settings): Toluna's names, in Toluna's order, with Toluna's descriptions."""

from __future__ import annotations

import difflib

from .model import Panel

#: (Name, Description) exactly as Toluna's settings list shows them.
SETTINGS: tuple[tuple[str, str], ...] = (
    ("Qualified URL", "Url where members are sent when they complete a survey."),
    ("Terminate URL", "Url where members are sent when they terminate a survey."),
    (
        "Quota Full URL",
        "Url where members are sent when they are not able to participate in a survey due to the quota being full.",
    ),
    ("Fraud Terminate URL", "Url where members are sent when they are marked as fraudulent activity in a survey. "),
    (
        "Digital Finger Printing Failure URL",
        "Url where members are sent when they are not able to be fingerprinted (fraud reduction).",
    ),
    ("No Surveys URL", "Url where members are sent when there are no surveys available. "),
    ("Survey Taken URL", "Url where members are sent when they have already taken the survey."),
    ("No Cookies URL", "Url where members are sent when a member does not have cookies enabled. "),
    ("Survey Not Available URL", "Url where members are sent when the survey is no longer available. "),
    ("Not Qualified URL", "Url where members are sent when they do not qualify for a survey. "),
    (
        "Max Surveys Reached URL",
        "Url where members are sent when they've taken the max number of surveys for that day.",
    ),
    ("Max Surveys To Fetch", "Max number of surveys returned in Dashboard Get Surveys call."),
    ("Invite Notification URL", "Url where invite notifications / requests are sent."),
    ("Completion Notification URL", "Url where member-status qualified complete notifications are sent."),
    ("Terminate Notification URL", "Url where member-status terminate notifications are sent."),
    ("Survey Notification URL", "Url where notifications are sent for surveys that are marked as closed."),
    ("Reference Data API Auth Key", "Authorization key needed to access Reference Data API."),
    ("Panel GUID", "Unique Identifier for Partner and this culture."),
    (
        "Quota Notifications Enabled",
        "Denotes whether the Sample Partner is enabled to receive the quota notifications.",
    ),
    ("Quota Notification URL", "URL where notifications are sent for quota status updates."),
    ("Standard EncryptionResult Parameter Name", "The name of parameter which will hold the encrypted value."),
)

NAMES = frozenset(name for name, _ in SETTINGS)


def unknown_setting(name: str) -> tuple[str, str] | None:
    """(problem, fix) when ``name`` is not one of Toluna's setting names, with the nearest name as the fix."""
    if name in NAMES:
        return None
    close = difflib.get_close_matches(name, sorted(NAMES), n=1)
    fix = f"write '{close[0]}'" if close else "use a name from Toluna's settings list (see the README)"
    return f"'{name}' is not a Toluna setting", fix


_DEFAULTS: dict[str, str | None] = {"Max Surveys To Fetch": "0", "Quota Notifications Enabled": "True"}


def settings_list(panel: Panel) -> list[dict[str, str | None]]:
    values = {
        **_DEFAULTS,
        **panel.settings,
        "Panel GUID": panel.guid,
        "Reference Data API Auth Key": panel.reference_data_key or None,
    }
    return [{"Name": n, "Description": d, "Value": values.get(n)} for n, d in SETTINGS]
