"""The partner's attribute mapping: its two file forms, what ``check_mapping`` finds against the bundled reference
data, the registration ``apply_mapping`` implies, the ``mapping`` command, the run checks MAP-01 and MAP-02, and
the reference partner's own mapping and adapter route."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from rich.console import Console

from conformance import checks  # noqa: F401  (registers MAP-01 and MAP-02)
from conformance.facts import Facts, Request
from conformance.mapping import (
    Mapping,
    MappingError,
    amount,
    apply_mapping,
    category,
    check_mapping,
    load_mapping,
    parse_csv,
    parse_yaml,
)
from conformance.mapping_cli import add_mapping_parser, mapping_main
from conformance.model import Result, Severity, Status
from conformance.registry import CHECKS, judge
from examples.reference_partner.app import Partner
from examples.reference_partner.integration import Integration, load_members
from simulator.domain.reference import ReferenceData, bundled
from tests.support import ROOT, free_port

REFERENCE_MAPPING = ROOT / "examples" / "reference_partner" / "mapping.yaml"

CLEAN = """
culture: EN-US
birth_date: dob
postal_code: zip
fields:
  gender:
    question: 1001007
    values: {m: 2000247, f: 2000246}
    labels: {m: Male, f: Female}
  income:
    question: 1001107
    values: {"<10k": 2002313, "10-15k": 2002314, "150k+": 2002334, undisclosed: 2002335, unknown: null}
  kids: {question: 1001109, values: {"0": 2002346, "01": 2002349}}
  hobbies: {question: 1012227, multi: true, values: {fishing: 3055275, music: 3055272}}
  employment_id: {question: 1012395, passthrough: true}
  answers: {passthrough: true, questions: [1001101]}
"""

CLEAN_CSV = """field,value,question,answer,label,multi
# the same mapping as CLEAN, as a spreadsheet would export it
culture,EN-US,,,,
birth_date,dob,,,,
postal_code,zip,,,,
gender,m,1001007,2000247,Male,
gender,f,1001007,2000246,Female,
income,<10k,1001107,2002313,,
income,10-15k,1001107,2002314,,
income,150k+,1001107,2002334,,
income,undisclosed,1001107,2002335,,
income,unknown,1001107,-,,
kids,0,1001109,2002346,,
kids,01,1001109,2002349,,
hobbies,fishing,1012227,3055275,,yes
hobbies,music,1012227,3055272,,
employment_id,*,1012395,*,,
answers,{QuestionID},1001101,*,,
"""


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return bundled()


def codes(mapping: Mapping, reference: ReferenceData, culture: str = "EN-US") -> list[str]:
    return [f.code for f in check_mapping(mapping, reference, culture)]


def with_fields(fields: str) -> Mapping:
    """A mapping with birth date, postal code and gender right, plus ``fields`` (YAML under ``fields:``)."""
    gender = "  gender: {question: 1001007, values: {m: 2000247, f: 2000246}}\n"
    return parse_yaml(f"birth_date: dob\npostal_code: zip\nfields:\n{gender}{fields}", "test.yaml")


# --- the two forms -----------------------------------------------------------------------------------------------
def test_yaml_keeps_the_partners_values_as_written() -> None:
    m = parse_yaml(CLEAN + "  smoker: {question: 1001007, values: {yes: 2000247, no: 2000246, on: 2000247}}\n")
    assert (m.culture, m.birth_date, m.postal_code) == ("EN-US", "dob", "zip")
    assert m.fields["gender"].values == {"m": 2000247, "f": 2000246}
    assert m.fields["gender"].labels == {"m": "Male", "f": "Female"}
    assert m.fields["kids"].values == {"0": 2002346, "01": 2002349}  # "01" is not the number 1
    assert set(m.fields["smoker"].values) == {"yes", "no", "on"}  # words, not booleans
    assert m.fields["income"].values["unknown"] is None
    assert m.fields["hobbies"].multi and not m.fields["gender"].multi
    assert m.fields["employment_id"].passthrough and not m.fields["employment_id"].keyed
    assert m.fields["answers"].keyed and m.fields["answers"].questions == (1001101,)


def test_csv_and_yaml_forms_are_the_same_mapping() -> None:
    yaml_form, csv_form = parse_yaml(CLEAN, "m.yaml"), parse_csv(CLEAN_CSV, "m.csv")
    assert csv_form.fields == yaml_form.fields
    assert (csv_form.culture, csv_form.birth_date, csv_form.postal_code) == ("EN-US", "dob", "zip")


def test_load_mapping_reads_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "m.csv").write_text("\ufeff" + CLEAN_CSV, encoding="utf-8")  # Excel's byte order mark
    (tmp_path / "m.yml").write_text(CLEAN, encoding="utf-8")
    assert load_mapping(tmp_path / "m.csv").fields == load_mapping(tmp_path / "m.yml").fields
    assert load_mapping(tmp_path / "m.csv").source == str(tmp_path / "m.csv")


@pytest.mark.parametrize(
    ("text", "place", "fix"),
    [
        ("fields: {gender: {question: 1001007, values: {m: male}}}", "fields.gender.values.m", "as a number"),
        ("fields: {gender: {values: {m: 2000247}}}", "fields.gender", "add question"),
        ("fields: {gender: {question: 1001007}}", "fields.gender", "add values"),
        ("fields: {gender: {question: 1001007, value: {m: 2000247}}}", "fields.gender.value", "use question"),
        ("gender: {question: 1001007}", "gender", "fields go under fields"),
        ("fields: {g: {question: 1001007, values: {m: 2000247}, labels: {x: X}}}", "fields.g.labels.x", "add it"),
        ("fields: {g: {question: 1, passthrough: true, values: {m: 2}}}", "fields.g", "passthrough"),
        ("fields: {g: {question: 1, passthrough: maybe}}", "fields.g.passthrough", "true or false"),
        ("fields:\n  gender: [1\n", "line 3", "YAML syntax"),
        ("- just a list", "the top level", "write the keys"),
    ],
)
def test_yaml_errors_name_the_file_the_place_and_the_fix(text: str, place: str, fix: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_yaml(text, "partner.yaml")
    message = str(caught.value)
    assert message.startswith(f"partner.yaml: {place}:") and "Fix:" in message and fix in message, message


@pytest.mark.parametrize(
    ("text", "place", "fix"),
    [
        ("field,value,question\ngender,m,1001007\n", "line 1", "start with field,value"),
        ("field,value,question,answer,colour\n", "line 1", "use the columns"),
        ("field,value,question,answer\ngender,m,1001007,2000247\ngender,f,1001012,2000246\n", "line 3", "one question"),
        ("field,value,question,answer\ngender,m,1001007,2000247\ngender,m,1001007,2000246\n", "line 3", "one row"),
        ("field,value,question,answer\ngender,m,1001007,\n", "line 2, column answer", "or -"),
        ("field,value,question,answer\ngender,m,gender,2000247\n", "line 2, column question", "as a number"),
        ("field,value,question,answer\nbirth_date,,,\n", "line 2", "birth_date,<partner field>"),
        (
            "field,value,question,answer,label\ngender,m,1001007,2000247,\nx,*,1001007,*,\nx,y,1001007,1,\n",
            "line 3",
            "not both",
        ),
    ],
)
def test_csv_errors_name_the_file_the_line_and_the_fix(text: str, place: str, fix: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_csv(text, "partner.csv")
    message = str(caught.value)
    assert message.startswith(f"partner.csv: {place}") and "Fix:" in message and fix in message, message


def test_an_unreadable_file_is_a_mapping_error(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"missing\.yaml: the file: cannot be read .* Fix: give the path"):
        load_mapping(tmp_path / "missing.yaml")


# --- findings ----------------------------------------------------------------------------------------------------
def test_a_clean_mapping_has_no_finding(reference: ReferenceData) -> None:
    assert check_mapping(parse_yaml(CLEAN), reference, "EN-US") == []
    assert check_mapping(parse_csv(CLEAN_CSV), reference, "en-us") == []


def test_the_reference_partners_mapping_is_clean(reference: ReferenceData) -> None:
    mapping = load_mapping(REFERENCE_MAPPING)
    assert check_mapping(mapping, reference, mapping.culture or "EN-US") == []
    assert check_mapping(mapping, reference, "EN-US") == []


def test_a_reversed_gender_is_caught_with_the_right_answer_to_use(reference: ReferenceData) -> None:
    m = parse_yaml(
        "birth_date: b\npostal_code: p\nfields: {gender: {question: 1001007, values: {m: 2000246, f: 2000247}}}"
    )
    findings = check_mapping(m, reference, "EN-US")
    assert [(f.code, f.severity, f.field, f.value) for f in findings] == [
        ("MAP-LABEL-CONTRADICTS", Severity.MUST, "gender", "m"),
        ("MAP-LABEL-CONTRADICTS", Severity.MUST, "gender", "f"),
    ]
    assert "'Female': map it to 2000247 (Male)" in findings[0].message


def test_labels_are_compared_in_the_cultures_language(reference: ReferenceData) -> None:
    m = with_fields("  sexe: {question: 1001007, values: {h: 2000246}, labels: {h: Homme}}\n")
    [finding] = check_mapping(m, reference, "FR-FR")
    assert finding.code == "MAP-LABEL-CONTRADICTS" and "'Femme': map it to 2000247 (Homme)" in finding.message


@pytest.mark.parametrize(
    ("fields", "code", "severity", "says"),
    [
        ("  x: {question: 999, values: {a: 1}}\n", "MAP-UNKNOWN-QUESTION", "MUST", "not a question of culture en-us"),
        ("  region: {question: 1001540, values: {ne: 2006372}}\n", "MAP-COMPUTED-QUESTION", "MUST", "Census region"),
        ("  age: {question: 1001538, values: {a: 2006352}}\n", "MAP-COMPUTED-QUESTION", "MUST", "map birth_date"),
        ("  ids: {passthrough: true, questions: [1001568]}\n", "MAP-COMPUTED-QUESTION", "MUST", "DMA"),
        (
            "  income: {question: 1001107, values: {x: 2000246}}\n",
            "MAP-WRONG-QUESTION",
            "MUST",
            "of QuestionID 1001007",
        ),
        ("  income: {question: 1001107, values: {x: 42}}\n", "MAP-UNKNOWN-ANSWER", "MUST", "which no question"),
        ("  edu: {question: 1001101, multi: true, values: {x: 2002273}}\n", "MAP-MULTI-INTO-SINGLE", "MUST", "single"),
        ("  ok: {question: 1001007, values: {yes: 2000247}}\n", None, None, ""),
        ("  zip5: {question: 1001042, values: {a: 2224509}}\n", "MAP-OPEN-ENDED", "SHOULD", "postal_code: <field>"),
        (
            "  income: {question: 1001107, values: {a: 2002313, b: 2002313}, labels: {a: Under 5k, b: 5-10k}}\n",
            "MAP-SAME-ANSWER",
            "SHOULD",
            "'a' (Under 5k), 'b' (5-10k) all map to AnswerID 2002313",
        ),
        (
            "  income: {question: 1001107, values: {'<25k': 2002334, '25-50k': 2002322, '50k+': 2002313}}\n",
            "MAP-REVERSED-SCALE",
            "MUST",
            "the scale is reversed",
        ),
    ],
)
def test_each_finding(reference: ReferenceData, fields: str, code: str | None, severity: str, says: str) -> None:
    findings = check_mapping(with_fields(fields), reference, "EN-US")
    if code is None:
        assert findings == []
        return
    assert [(f.code, str(f.severity)) for f in findings] == [(code, severity)]
    assert says in findings[0].message and findings[0].message.endswith(".")


def test_required_attributes_are_findings(reference: ReferenceData) -> None:
    m = parse_yaml("fields: {income: {question: 1001107, values: {x: 2002313}}}")
    assert codes(m, reference) == ["MAP-NO-BIRTH-DATE", "MAP-NO-POSTAL-CODE", "MAP-NO-GENDER"]


def test_a_yes_no_contradiction_and_same_meaning_values(reference: ReferenceData) -> None:
    m = with_fields("  g2: {question: 1001007, values: {m: 2000247, male: 2000247, Man: 2000247}}\n")
    assert codes(m, reference) == []  # three ways to say male: not a lossy mapping
    assert category("No, never") == "no" and category("Oui") == "yes" and category("Mujer") == "female"
    assert category("Non-binary") == "no" and category("Prefer not to say") is None


def test_amounts_order_ranges_and_bounds() -> None:
    assert amount("<25k") < amount("25-50k") == 25_000 < amount("50-75k") < amount("100k+")
    assert amount("Less than $10,000") < amount("$10,000 - $14,999") < amount("$150,000 or more")
    assert amount("Female") is None and amount("10 +") == 10


def test_an_unknown_culture_is_a_mapping_error(reference: ReferenceData) -> None:
    with pytest.raises(MappingError, match=r"xx-yy is not a culture .* Fix: use one of EN-US"):
        check_mapping(parse_yaml(CLEAN), reference, "xx-yy")


# --- apply_mapping -----------------------------------------------------------------------------------------------
def test_apply_mapping_turns_a_record_into_registration_fields() -> None:
    record = {
        "dob": "1990-05-01",
        "zip": " 07001 ",
        "gender": "F",  # case does not matter
        "income": "unknown",  # mapped to no answer
        "kids": "01",
        "hobbies": ["fishing", "music"],
        "employment_id": 3056605,
        "answers": {"1001101": [2002273], "1001007": [2000247]},  # 1001007 is not a question this field carries
        "colour": "blue",  # not mapped: ignored
    }
    out = apply_mapping(parse_yaml(CLEAN), record)
    assert out["BirthDate"] == "05/01/1990" and out["PostalCode"] == "07001"
    assert out["answers"] == {
        1001007: {2000246},
        1001109: {2002349},
        1012227: {3055275, 3055272},
        1012395: {3056605},
        1001101: {2002273},
    }
    assert out["unmapped"] == [("answers.1001007", "[2000247]")]


def test_apply_mapping_reports_values_the_mapping_lacks() -> None:
    out = apply_mapping(parse_yaml(CLEAN), {"dob": "05/01/1990", "gender": "x", "income": None})
    assert out["BirthDate"] == "05/01/1990" and out["PostalCode"] is None
    assert out["answers"] == {} and out["unmapped"] == [("gender", "x")]


# --- the mapping command -----------------------------------------------------------------------------------------
def command(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_mapping_parser(parser.add_subparsers(dest="command"))
    console = Console(record=True, width=200)
    status = mapping_main(parser.parse_args(["mapping", *argv]), console)
    return status, console.export_text()


def test_command_passes_a_clean_mapping(tmp_path: Path) -> None:
    status, text = command(
        str(REFERENCE_MAPPING), "--junit", str(tmp_path / "j.xml"), "--html", str(tmp_path / "m.html")
    )
    assert status == 0 and "mapping OK" in text and "culture EN-US" in text
    assert (
        "<testsuite" in (tmp_path / "j.xml").read_text()
        and "MAP-LABEL-CONTRADICTS" in (tmp_path / "m.html").read_text()
    )


def test_command_fails_on_a_must_finding_and_writes_json(tmp_path: Path) -> None:
    path = tmp_path / "reversed.yaml"
    path.write_text("birth_date: b\npostal_code: p\nfields: {gender: {question: 1001007, values: {m: 2000246}}}\n")
    status, text = command(str(path), "--json", str(tmp_path / "out" / "m.json"))
    assert status == 1 and "MAP-LABEL-CONTRADICTS: gender 'm' maps to AnswerID 2000246" in text
    doc = json.loads((tmp_path / "out" / "m.json").read_text())
    assert doc["verdict"] == "NOT READY" and doc["partner"] == str(path) and doc["counts"]["fail"] == 1
    [failed] = [r for r in doc["results"] if r["status"] == "fail"]
    assert failed["id"] == "MAP-LABEL-CONTRADICTS" and failed["step"] == "Member registration"
    assert "map it to 2000247 (Male)" in failed["evidence"][0]["summary"]


def test_command_only_warns_on_should_findings(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(CLEAN + "  zip5: {question: 1001042, values: {a: 2224509}}\n")
    status, text = command(str(path), "--culture", "en-us")
    assert status == 0 and "MAP-OPEN-ENDED" in text


@pytest.mark.parametrize(
    ("content", "argv", "says"),
    [
        (None, (), "cannot be read"),
        ("fields: [", (), "not valid YAML"),
        (CLEAN, ("--culture", "XX-YY"), "not a culture"),
    ],
)
def test_command_exits_2_on_a_bad_file(tmp_path: Path, content: str | None, argv: tuple[str, ...], says: str) -> None:
    path = tmp_path / "m.yaml"
    if content is not None:
        path.write_text(content)
    status, text = command(str(path), *argv)
    assert status == 2 and says in text and "Traceback" not in text and len(text.strip().splitlines()) == 1


# --- the run checks ----------------------------------------------------------------------------------------------
def write(id: int, member: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
    """A journal entry of the partner's member write."""
    return {
        "id": id,
        "at": "2026-01-01T00:00:00",
        "wall_at": "2026-01-01T00:00:00",
        "method": method,
        "path": "/IntegratedPanelService/api/Respondent",
        "query": "",
        "route": "member_add" if method == "POST" else "member_update",
        "panel_guid": "panel",
        "member_code": member,
        "quota_id": None,
        "status": 201 if method == "POST" else 200,
        "result_code": None,
        "request_headers": {},
        "request_body": json.dumps({"MemberCode": member, **body}),
        "response_body": "{}",
        "note": None,
    }


def facts(mapping: Mapping | None, records: dict[str, Any] | None, entries: list[dict[str, Any]]) -> Facts:
    f = Facts(panel="panel", api_key="key", sandbox=None)  # type: ignore[arg-type]  # the checks never ask it
    f.requests = [Request.from_entry(e) for e in entries]
    f.mapping, f.member_records = mapping, records
    return f


def run_check(check_id: str, f: Facts) -> Result:
    info, fn = CHECKS[check_id]
    return judge(info, fn(f))


@pytest.fixture(scope="module")
def partner_members() -> list[Any]:
    return [m for m in load_members() if not m.preexisting]


def test_map_01_passes_a_partner_that_sends_its_mapping(partner_members: list[Any]) -> None:
    entries = [write(i, m.code, m.registration()) for i, m in enumerate(partner_members, 1)]
    records = {m.code: _record(m) for m in partner_members}
    result = run_check("MAP-01", facts(load_mapping(REFERENCE_MAPPING), records, entries))
    assert result.status is Status.PASS, [e.summary for e in result.evidence]
    assert f"of {len(partner_members)} member(s) registered as the mapping says" in result.message


def test_map_01_catches_a_reversed_gender_with_evidence() -> None:
    record = {"birth": "1990-05-01", "gender": "male", "postal": "07001", "answers": {"1001107": [2002321]}}
    body = {
        "BirthDate": "05/01/1990",
        "PostalCode": "07001",
        "RegistrationAnswers": [
            {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]},
            {"QuestionID": 1001107, "Answers": [{"AnswerID": 2002321}]},
        ],
    }
    f = facts(load_mapping(REFERENCE_MAPPING), {"RP-MAX": record}, [write(7, "RP-MAX", body)])
    result = run_check("MAP-01", f)
    assert result.status is Status.FAIL
    [e] = result.evidence
    assert e.member == "RP-MAX" and e.journal_id == 7 and e.request and "POST" in e.request
    assert e.summary == (
        "member RP-MAX: gender (QuestionID 1001007): the mapping says 2000247 (Male), the partner sent 2000246 (Female)"
    )


def test_map_01_merges_the_post_and_later_puts() -> None:
    record = {"birth": "1990-05-01", "gender": "female", "postal": "SW1A 1AA", "answers": {"1001101": [2002274]}}
    entries = [
        write(
            1,
            "M",
            {
                "BirthDate": "1/1/1980",
                "PostalCode": "x",
                "AnsweredQuestions": [{"QuestionID": 1001007, "AnswerID": 2000247}],
            },
        ),
        write(
            2,
            "M",
            {
                "BirthDate": "05/01/1990",
                "PostalCode": "sw1a1aa",
                "AnsweredQuestions": [{"QuestionID": 1001101, "AnswerID": 2002270}],  # RegistrationAnswers wins
                "RegistrationAnswers": [
                    {"QuestionID": 1001007, "Answers": [{"AnswerID": 2000246}]},
                    {"QuestionID": 1001101, "Answers": [{"AnswerID": 2002274}]},
                ],
            },
            "PUT",
        ),
    ]
    result = run_check("MAP-01", facts(load_mapping(REFERENCE_MAPPING), {"M": record}, entries))
    assert result.status is Status.PASS and result.message.startswith("4 attribute(s) of 1 member(s)")


def test_map_01_names_what_was_never_sent_and_leaves_values_the_mapping_lacks_alone() -> None:
    """A record value the mapping does not cover says nothing of what should have been sent: not judged here."""
    record = {"birth": "1990-05-01", "gender": "nonbinary", "postal": "07001"}
    f = facts(load_mapping(REFERENCE_MAPPING), {"M": record}, [write(3, "M", {"PostalCode": "07001"})])
    summaries = [e.summary for e in run_check("MAP-01", f).evidence]
    assert summaries == ["member M: birth (BirthDate): the mapping says 05/01/1990, nothing was sent"]


@pytest.mark.parametrize(
    ("mapping", "records", "says"),
    [
        (None, {"M": {}}, 'mapping = "mapping.yaml"'),
        (REFERENCE_MAPPING, None, "GET {adapter}/members/{MemberCode}"),
        (REFERENCE_MAPPING, {"OTHER": {"gender": "male"}}, "no member the partner wrote"),
    ],
)
def test_map_01_not_exercised_without_a_mapping_or_records(
    mapping: Path | None, records: dict[str, Any] | None, says: str
) -> None:
    f = facts(load_mapping(mapping) if mapping else None, records, [write(1, "M", {"BirthDate": "05/01/1990"})])
    result = run_check("MAP-01", f)
    assert result.status is Status.NOT_EXERCISED and says in result.message


def test_map_02_judges_the_mapping_against_the_reference_data() -> None:
    clean = run_check("MAP-02", facts(load_mapping(REFERENCE_MAPPING), None, []))
    assert clean.status is Status.PASS and clean.message.startswith("5 mapped value(s) agree with the en-us")
    reversed_ = parse_yaml("birth_date: b\npostal_code: p\nfields: {g: {question: 1001007, values: {m: 2000246}}}")
    failed = run_check("MAP-02", facts(reversed_, None, []))
    assert failed.status is Status.FAIL
    assert [e.summary.split(":")[0] for e in failed.evidence] == ["MAP-LABEL-CONTRADICTS g 'm'"]
    advisory = parse_yaml(CLEAN + "  zip5: {question: 1001042, values: {a: 2224509}}\n", "adv.yaml")
    passed = run_check("MAP-02", facts(advisory, None, []))
    assert (
        passed.status is Status.PASS
        and "1 SHOULD finding(s): see toluna-conformance mapping adv.yaml" in passed.message
    )
    nothing = run_check("MAP-02", facts(None, None, []))
    assert nothing.status is Status.NOT_EXERCISED and "mapping =" in nothing.message


# --- the reference partner ---------------------------------------------------------------------------------------
def _record(member: Any) -> dict[str, Any]:
    """What the reference partner's adapter answers for a member (see ``test_the_adapter_route``)."""
    answers = {str(q): sorted(ids) for q, ids in member.answers.items()}
    record = {"code": member.code, "birth": member.birth.isoformat(), "gender": member.gender, "postal": member.postal}
    return {**record, "answers": answers}


@pytest.fixture(scope="module")
def partner_url() -> Iterator[tuple[str, Integration]]:
    integration = Integration(None, load_members())  # type: ignore[arg-type]  # the route never calls Toluna
    port = free_port()
    server = Partner(integration).serve("127.0.0.1", port)
    yield f"http://127.0.0.1:{port}", integration
    server.shutdown()
    server.server_close()


def test_the_adapter_route_answers_the_partners_own_record(partner_url: tuple[str, Integration]) -> None:
    url, integration = partner_url
    member = integration.members["RP-ANNA"]
    answer = requests.get(f"{url}/adapter/members/RP-ANNA", timeout=5)
    assert answer.status_code == 200
    record = answer.json()
    assert record == _record(member) and record["gender"] == "female"
    expected = apply_mapping(load_mapping(REFERENCE_MAPPING), record)
    registration = member.registration()
    assert expected["BirthDate"] == registration["BirthDate"] and expected["PostalCode"] == registration["PostalCode"]
    sent = {a["QuestionID"]: {x["AnswerID"] for x in a["Answers"]} for a in registration["RegistrationAnswers"]}
    assert expected["answers"] == sent and expected["unmapped"] == []
    assert requests.get(f"{url}/adapter/members/NOBODY", timeout=5).status_code == 404
