"""A corpus of broken scenario files, one per kind of mistake: each is refused with a ``ScenarioError`` naming the
file, the path inside it and the fix; none crashes, hangs or half-loads."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.domain.errors import ScenarioError
from simulator.scenario.limits import Limits
from simulator.scenario.loader import load_file

BASE = """\
name: broken
panels:
  - guid: 11111111-2222-3333-4444-555555555555
    culture: EN-US
    api_key: k
    daily_complete_limit: 5
    settings:
      Qualified URL: https://partner.example/end?mc=[MemberCode]&sid=[SurveyID]
      Quota Notification URL: https://partner.example/notify/quota
inventory:
  - culture: EN-US
    surveys:
      - SurveyID: 7
        WaveID: 8
        LOI: 10
        IR: 50
        StudyTypeID: 1
        ScheduledCompletionDate: '2027-03-31T23:59:59'
        Price: {Amount: 1.5, CurrencyID: 1}
        DeviceTypeIDs: [1]
        IsSurveyRecontact: true
        CompletesRequired: 10
        EstimatedCompletesRemaining: 10
        SurveyWaveExclusions: []
        Quotas:
          - QuotaID: 9
            CompletesRequired: 10
            EstimatedCompletesRemaining: 10
            Layers:
              - LayerID: 11
                SubQuotas:
                  - SubQuotaID: 12
                    CurrentCompletes: 0
                    MaxTargetCompletes: 10
                    QuestionsAndAnswers:
                      - {QuestionID: 1001538, AnswerIDs: [], AnswerValues: [18-99], IsRoutable: false}
members:
  - {code: M1, birth_date: '1990-06-15', gender: female}
"""
SURVEY = "inventory[0].surveys[0]"
QUOTA = f"{SURVEY}.Quotas[0]"
SUBQUOTA = f"{QUOTA}.Layers[0].SubQuotas[0]"
PANEL = "panels[0]"
AFTER = f"line {BASE.count(chr(10)) + 1}"  # the first line written after BASE
BODY = {  # a captured GetQuotas body, for the inventory files a scenario names
    "Surveys": [
        {
            "SurveyID": 70,
            "WaveID": 80,
            "LOI": 10,
            "IR": 50,
            "StudyTypeID": 1,
            "ScheduledCompletionDate": None,
            "Price": {"Amount": 1.5, "CurrencyID": 1},
            "DeviceTypeIDs": [1],
            "IsSurveyRecontact": False,
            "CompletesRequired": 10,
            "EstimatedCompletesRemaining": 10,
            "SurveyWaveExclusions": [],
            "Quotas": [{"QuotaID": 90, "CompletesRequired": 10, "EstimatedCompletesRemaining": 10, "Layers": []}],
        }
    ],
    "CountryID": 2000223,
    "CacheExpires": "2026-01-01T00:00:00",
}
ALIAS_BOMB = (  # 437 bytes that expand to 9^9 values
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def sub(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def with_body(body: dict[str, object] | str) -> Callable[[Path], str]:
    """A scenario whose inventory is the file ``body.json`` written beside it."""

    def write(directory: Path) -> str:
        (directory / "body.json").write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
        return sub("    surveys:\n", "    file: body.json\n    surveys_unused:\n", BASE).split("    surveys_unused:\n")[
            0
        ]

    return write


@dataclass(frozen=True)
class Broken:
    kind: str
    content: str | bytes | Callable[[Path], str]
    path: str  # the path inside the file the problem names
    fragment: str  # a piece of the problem's text
    limits: Limits | None = None


BROKEN = [
    # repeated keys, at any depth
    Broken("duplicate top-level key", BASE + "name: again\n", "name", "written twice"),
    Broken(
        "duplicate nested key",
        sub("        LOI: 10\n", "        LOI: 10\n        LOI: 12\n"),
        f"{SURVEY}.LOI",
        "written twice",
    ),
    Broken(
        "duplicate key in a flow mapping",
        sub("code: M1,", "code: M1, code: M2,"),
        "members[0].code",
        "line 38, columns 6 and 16",
    ),
    Broken(
        "duplicate setting",
        sub("      Quota Notification URL:", "      Qualified URL: https://b.example/\n      Quota Notification URL:"),
        f"{PANEL}.settings.Qualified URL",
        "written twice",
    ),
    # counts and numbers that must not be negative (or zero)
    Broken("negative LOI", sub("LOI: 10", "LOI: -5"), f"{SURVEY}.LOI", "-5 is below the minimum of 1"),
    Broken("zero LOI", sub("LOI: 10", "LOI: 0"), f"{SURVEY}.LOI", "0 is below the minimum of 1"),
    Broken(
        "negative remaining",
        sub(" " * 12 + "EstimatedCompletesRemaining: 10", " " * 12 + "EstimatedCompletesRemaining: -1"),
        f"{QUOTA}.EstimatedCompletesRemaining",
        "below the minimum of 0",
    ),
    Broken(
        "negative survey completes",
        sub("        CompletesRequired: 10\n", "        CompletesRequired: -10\n"),
        f"{SURVEY}.CompletesRequired",
        "below the minimum of 0",
    ),
    Broken(
        "negative current completes",
        sub("CurrentCompletes: 0", "CurrentCompletes: -3"),
        f"{SUBQUOTA}.CurrentCompletes",
        "below the minimum of 0",
    ),
    Broken("negative price", sub("Amount: 1.5", "Amount: -1.5"), f"{SURVEY}.Price.Amount", "below the minimum of 0"),
    Broken("incidence above 100", sub("IR: 50", "IR: 150"), f"{SURVEY}.IR", "above the maximum of 100"),
    Broken(
        "negative daily limit",
        sub("daily_complete_limit: 5", "daily_complete_limit: -1"),
        f"{PANEL}.daily_complete_limit",
        "below the minimum of 0",
    ),
    Broken(
        "negative max LOI",
        sub("api_key: k\n", "api_key: k\n    max_loi: -40\n"),
        f"{PANEL}.max_loi",
        "below the minimum of 1",
    ),
    Broken(
        "share above 1",
        BASE + "populations:\n  - {count: 3, missing_birth_date: 1.5}\n",
        "populations[0].missing_birth_date",
        "above the maximum of 1",
    ),
    Broken(
        "negative recontact width",
        BASE + "recontact:\n  - {quota: 9, generate: {count: 3, width: -2}}\n",
        "recontact[0].generate.width",
        "below the minimum of 1",
    ),
    Broken(
        "weights all zero",
        BASE + "populations:\n  - {count: 3, answers: {1001007: {2000246: 0, 2000247: 0}}}\n",
        "populations[0].answers.1001007",
        "no answer has a weight",
    ),
    Broken(
        "answer id not a number",
        BASE + "populations:\n  - {count: 3, answers: {1001007: {female: 1}}}\n",
        "populations[0].answers.1001007.female",
        "does not match",
    ),
    # dates that do not exist, and ranges that end before they start
    Broken(
        "impossible completion date",
        sub("2027-03-31T23:59:59", "2026-02-30T23:59:59"),
        f"{SURVEY}.ScheduledCompletionDate",
        "is not a date and time that exists",
    ),
    Broken("impossible birth date", sub("1990-06-15", "1990-02-30"), "members[0].birth_date", "is not a date"),
    Broken("born in two years", sub("'1990-06-15'", "'+2y'"), "members[0].birth_date", "after the scenario's today"),
    Broken("born after today", sub("1990-06-15", "2999-01-01"), "members[0].birth_date", "after the scenario's today"),
    Broken("impossible clock", BASE + "clock: {now: '2026-13-01T00:00:00Z'}\n", "clock.now", "is not a time"),
    Broken("clock past 9000", BASE + "clock: {now: '9500-01-01T00:00:00Z'}\n", "clock.now", "stays between 1900"),
    Broken("clock before 1900", BASE + "clock: {now: '1850-01-01T00:00:00Z'}\n", "clock.now", "stays between 1900"),
    Broken(
        "age range backwards",
        sub("AnswerValues: [18-99]", "AnswerValues: [65-18]"),
        f"{SUBQUOTA}.QuestionsAndAnswers[0].AnswerValues[0]",
        "ends before it starts",
    ),
    Broken(
        "age range not a range",
        sub("AnswerValues: [18-99]", "AnswerValues: [adults]"),
        f"{SUBQUOTA}.QuestionsAndAnswers[0].AnswerValues[0]",
        "not an age range",
    ),
    Broken(
        "population ages backwards",
        BASE + "populations:\n  - {count: 3, age: {min: 60, max: 20}}\n",
        "populations[0].age",
        "min 60 is above max 20",
    ),
    Broken(
        "timeline time overflows",
        BASE + "timeline:\n  - {at: '+99999999999d', quota: 9, change: {live: false}}\n",
        "timeline[0].at",
        "is not a time",
    ),
    Broken(
        "participation time overflows",
        BASE + "participations:\n  - {member: M1, survey: 7, status: 9, at: '-1e300d'}\n",
        "participations[0].at",
        "is not a time",
    ),
    # standard encryption
    Broken(
        "HMAC without a key",
        sub("api_key: k\n", "api_key: k\n    encryption_algorithm: HMAC-SHA256\n"),
        f"{PANEL}.encryption_key",
        "HMAC-SHA256 needs a key",
    ),
    Broken(
        "HMAC with an empty key",
        sub("api_key: k\n", "api_key: k\n    encryption_algorithm: HMAC-MD5\n    encryption_key: ''\n"),
        f"{PANEL}.encryption_key",
        "needs a key",
    ),
    Broken(
        "key too short",
        sub("api_key: k\n", "api_key: k\n    encryption_algorithm: HMAC-SHA1\n    encryption_key: abc\n"),
        f"{PANEL}.encryption_key",
        "3 characters long",
    ),
    Broken(
        "key not printable ASCII",
        sub(
            "api_key: k\n",
            'api_key: k\n    encryption_algorithm: HMAC-SHA1\n    encryption_key: "s\\u00e9cret-cl\\u00e9"\n',
        ),
        f"{PANEL}.encryption_key",
        "outside printable ASCII",
    ),
    Broken(
        "key for a keyless algorithm",
        sub("api_key: k\n", "api_key: k\n    encryption_algorithm: SHA256\n    encryption_key: supersecret\n"),
        f"{PANEL}.encryption_key",
        "SHA256 takes no key",
    ),
    Broken(
        "key without an algorithm",
        sub("api_key: k\n", "api_key: k\n    encryption_key: supersecret\n"),
        f"{PANEL}.encryption_key",
        "encryption stays off",
    ),
    # URLs
    Broken(
        "notification URL with ftp",
        sub("https://partner.example/notify/quota", "ftp://partner.example/q"),
        f"{PANEL}.settings.Quota Notification URL",
        "http:// or https://",
    ),
    Broken(
        "end page without a scheme",
        sub("https://partner.example/end?", "partner.example/end?"),
        f"{PANEL}.settings.Qualified URL",
        "http:// or https://",
    ),
    Broken(
        "URL without a host",
        sub("https://partner.example/notify/quota", "https:///notify/quota"),
        f"{PANEL}.settings.Quota Notification URL",
        "names no host",
    ),
    Broken(
        "URL with a bad port",
        sub("https://partner.example/notify/quota", "https://partner.example:99999/q"),
        f"{PANEL}.settings.Quota Notification URL",
        "is not a URL",
    ),
    Broken(
        "URL with a space",
        sub("https://partner.example/notify/quota", "https://partner.example/notify quota"),
        f"{PANEL}.settings.Quota Notification URL",
        "holds a space",
    ),
    Broken(
        "reconciliation URL",
        sub("api_key: k\n", "api_key: k\n    reconciliation_url: mailto:ops@partner.example\n"),
        f"{PANEL}.reconciliation_url",
        "http:// or https://",
    ),
    # Toluna's ids are Int32
    Broken("QuotaID beyond Int32", sub("QuotaID: 9", "QuotaID: 2147483648"), f"{QUOTA}.QuotaID", "beyond 2147483647"),
    Broken(
        "fault rule times beyond Int32",
        BASE + "faults:\n  - {route: invite, times: 24219032127573004910592}\n",
        "faults[0].times",
        "2147483647",
    ),
    Broken(
        "SurveyID beyond Int32", sub("SurveyID: 7", "SurveyID: 99999999999"), f"{SURVEY}.SurveyID", "beyond 2147483647"
    ),
    Broken("WaveID beyond Int32", sub("WaveID: 8", "WaveID: 4294967296"), f"{SURVEY}.WaveID", "beyond 2147483647"),
    Broken(
        "SubQuotaID beyond Int32", sub("SubQuotaID: 12", "SubQuotaID: 3000000000"), f"{SUBQUOTA}.SubQuotaID", "beyond"
    ),
    Broken(
        "AnswerID beyond Int32",
        sub("AnswerIDs: []", "AnswerIDs: [2147483648]"),
        f"{SUBQUOTA}.QuestionsAndAnswers[0].AnswerIDs[0]",
        "beyond",
    ),
    Broken("negative QuotaID", sub("QuotaID: 9", "QuotaID: -9"), f"{QUOTA}.QuotaID", "below the minimum of 1"),
    Broken(
        "member answer beyond Int32",
        sub("gender: female}", "gender: female, answers: {1001007: 9999999999}}"),
        "members[0].answers.1001007",
        "beyond",
    ),
    Broken(
        "member question id key beyond Int32",
        sub("gender: female}", "gender: female, answers: {9999999999: 1}}"),
        "members[0].answers.9999999999",
        "beyond 2147483647",
    ),
    Broken(
        "quota_state key beyond Int32",
        BASE + "quota_state:\n  '99999999999': {live: false}\n",
        "quota_state.99999999999",
        "beyond",
    ),
    Broken(
        "participation survey beyond Int32",
        BASE + "participations:\n  - {member: M1, survey: 2147483648, status: 9}\n",
        "participations[0].survey",
        "beyond",
    ),
    # values YAML reads as another type
    Broken("QuotaID 1e20 as a float", sub("QuotaID: 9", "QuotaID: 1.0e+20"), f"{QUOTA}.QuotaID", "not of type integer"),
    Broken("QuotaID 1e20 as text", sub("QuotaID: 9", "QuotaID: 1e20"), f"{QUOTA}.QuotaID", "not of type integer"),
    Broken("a float where an int is needed", sub("LOI: 10", "LOI: 10.0"), f"{SURVEY}.LOI", "not of type integer"),
    Broken("yes where an int is needed", sub("LOI: 10", "LOI: yes"), f"{SURVEY}.LOI", "True is not of type integer"),
    Broken("NaN", sub("Amount: 1.5", "Amount: .nan"), f"{SURVEY}.Price.Amount", "not a finite number"),
    Broken(
        "infinity in an int",
        sub("        CompletesRequired: 10\n", "        CompletesRequired: .inf\n"),
        f"{SURVEY}.CompletesRequired",
        "not a finite number",
    ),
    # the file itself
    Broken("Latin-1 file", sub("name: broken", "name: café").encode("latin-1"), "line 1", "not UTF-8 text"),
    Broken("binary file", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "", "binary data (a NUL byte at offset 8)"),
    Broken("binary file without NUL", b"\xff\xd8\xff\xe0JFIF", "line 1", "not UTF-8 text (byte 0xFF at offset 0)"),
    Broken("NUL bytes", BASE.encode() + b"\x00\x00", "", "binary data"),
    Broken("UTF-16 file", BASE.encode("utf-16"), "", "the file is UTF-16 text"),
    Broken("too big", BASE, "", "larger than 1,000 bytes", Limits(max_bytes=1000)),
    Broken("alias bomb", ALIAS_BOMB, "line 7", "aliases expand the document"),
    Broken(
        "too many aliases",
        BASE + "x: &v 1\ny: [" + ", ".join(["*v"] * 6) + "]\n",
        f"line {BASE.count(chr(10)) + 2}",
        "more than 5 aliases",
        Limits(max_aliases=5),
    ),
    Broken("recursive alias", BASE + "loop: &l [1, *l]\n", AFTER, "contains it"),
    Broken("deep YAML nesting", BASE + "deep: " + "[" * 200 + "]" * 200 + "\n", AFTER, "deeper than 64 levels"),
    Broken(
        "deep JSON nesting",
        '{"panels": ' + "[" * 100000 + "]" * 100000 + "}",
        "line 1, column 1011",
        "deeper than 64 levels",
    ),
    Broken("JSON repeated key", json.dumps({"panels": []})[:-1] + ', "panels": []}', "panels", "written twice"),
    Broken("not a mapping", "- a\n- b\n", "", "does not hold a mapping"),
    Broken("invalid YAML", "panels: [\n", "line 2, column 1", "not valid YAML"),
    # the captured inventory file a scenario names
    Broken(
        "inventory file beyond Int32",
        with_body(json.loads(json.dumps(BODY).replace('"QuotaID": 90', '"QuotaID": 2147483648'))),
        "inventory[0].file",
        "Surveys[0].Quotas[0].QuotaID: 2147483648 is beyond",
    ),
    Broken(
        "inventory file negative LOI",
        with_body(json.loads(json.dumps(BODY).replace('"LOI": 10', '"LOI": -10'))),
        "inventory[0].file",
        "Surveys[0].LOI: -10 is below the minimum of 1",
    ),
    Broken(
        "inventory file repeated key",
        with_body(json.dumps(BODY)[:-1] + ', "CountryID": 1}'),
        "inventory[0].file",
        "written twice",
    ),
    Broken(
        "inventory file deep JSON", with_body("[" * 100000 + "]" * 100000), "inventory[0].file", "deeper than 64 levels"
    ),
    Broken(
        "inventory file in Latin-1",
        with_body(json.dumps(BODY, ensure_ascii=False).replace("CacheExpires", "Caché")),
        "inventory[0].file",
        "not UTF-8",
    ),
]


def write(directory: Path, case: Broken) -> Path:
    path = directory / f"{case.kind.replace(' ', '-')}.yaml"
    content = case.content(directory) if callable(case.content) else case.content
    if isinstance(content, str):
        content = content.encode("utf-8")
    if case.kind == "inventory file in Latin-1":
        (directory / "body.json").write_bytes((directory / "body.json").read_text().encode("latin-1"))
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("case", BROKEN, ids=[c.kind for c in BROKEN])
def test_every_broken_file_is_refused_naming_file_path_and_fix(tmp_path: Path, case: Broken) -> None:
    path = write(tmp_path, case)
    with pytest.raises(ScenarioError) as caught:  # the alias bomb's 9^9 values would never finish expanding
        load_file(path, case.limits)
    error = caught.value
    assert error.file == str(path) and str(path) in str(error)
    matches = [p for p in error.problems if p.path == case.path and case.fragment in p.problem]
    assert matches, "\n".join(str(p) for p in error.problems)
    assert all(p.fix for p in error.problems)
