"""``/openapi.json``: member management v2, the dashboard, reference data and the reports: routes that answer
``{"Message": ...}`` when they refuse."""

from __future__ import annotations

from typing import Any

from .openapi_parts import (
    GUID,
    INTEGER,
    array_of,
    json_answer,
    json_body,
    message,
    operation,
    path,
    query,
    ref,
)
from .reports import PREFIXES as REPORT_PREFIXES

API = "/IntegratedPanelService/api"
V2 = (
    " Send 'Accept: application/json;version=2.0' (without it: 400). Like Toluna's, the route takes no key: the"
    " PartnerGUID names the panel."
)
BAD = message("Refused: the message says why")
NO_KEY: list[dict[str, list[str]]] = []


def _members() -> dict[str, Any]:
    tag = "Member management v2"
    no_body = {"description": "Done (no body)"}
    body = json_body(ref("MemberRequest"))
    return {
        f"{API}/Respondent": {
            "post": operation(
                "AddMember",
                "Add a member." + V2,
                tag,
                {
                    "201": {"description": "Added (no body)"},
                    "400": BAD,
                    "409": message("The member exists already, or was written less than 1000 ms ago"),
                },
                body=body,
                security=NO_KEY,
            ),
            "put": operation(
                "UpdateMember",
                "Update a member." + V2,
                tag,
                {
                    "200": no_body,
                    "400": BAD,
                    "404": message("No such member"),
                    "409": message("The member was written less than 1000 ms ago"),
                },
                body=body,
                security=NO_KEY,
            ),
            "get": operation(
                "GetMember",
                "Read a member." + V2,
                tag,
                {"200": json_answer("The member", ref("Member")), "400": BAD},
                [query("partnerGUID", GUID, True), query("memberCode", required=True)],
                security=NO_KEY,
            ),
        }
    }


def _dashboard() -> dict[str, Any]:
    tag = "Dashboard"
    partner = [query("partnerGuid", GUID, True), query("memberCode", required=True)]
    surveys = json_answer("The surveys offered to the member now", ref("DashboardSurveys"))
    return {
        f"{API}/Surveys": {
            "get": operation(
                "GetSurveys",
                "The surveys Toluna offers one member now, each with the member's own URL. No key: partnerGuid"
                " names the panel.",
                tag,
                {"200": surveys, "400": BAD},
                [
                    *partner,
                    query("numberOfSurveys", {"type": "integer", "minimum": 1}),
                    {
                        **query("deviceTypeIds", {"type": "array", "items": INTEGER}),
                        "style": "form",
                        "explode": True,
                    },
                    query("mobileCompatible", {"type": "string", "enum": ["true", "false"]}),
                ],
                security=NO_KEY,
            )
        },
        f"{API}/Surveys/RegisterMemberAndGetSurveys": {
            "post": operation(
                "RegisterMemberAndGetSurveys",
                "Add the member when it is new (an existing one is left as it is), then GetSurveys for it.",
                tag,
                {
                    "200": surveys,
                    "400": BAD,
                    "409": message("The member was written less than 1000 ms ago"),
                },
                body=json_body(ref("RegisterMemberAndGetSurveysRequest")),
                security=NO_KEY,
            )
        },
        f"{API}/Profile/GetNextProfileURL": {
            "get": operation(
                "GetNextProfileURL",
                "The URL (a JSON string) of the member's next profile page to fill.",
                "Dashboard",
                {
                    "200": json_answer("The profile page's URL", {"type": "string"}),
                    "400": BAD,
                    "404": message("The member's profile is complete"),
                },
                [*partner, query("returnURL", required=True), query("cancelURL", required=True)],
                security=NO_KEY,
            )
        },
    }


def _reference_data() -> dict[str, Any]:
    tag = "Reference data"
    key = [{"PartnerAuthKey": []}]
    base = "/IPUtilityService/ReferenceData"
    forbidden = message("Missing or wrong PARTNER_AUTH_KEY")
    lists = {
        "Cultures": ("GetCultures", "Culture"),
        "DeviceTypes": ("GetDeviceTypes", "DeviceType"),
        "StudyTypes": ("GetStudyTypes", "StudyType"),
        "Currencies": ("GetCurrencies", "Currency"),
        "QuestionCategories": ("GetQuestionCategories", "QuestionCategory"),
        "RejectionTypes": ("GetRejectionTypes", "RejectionType"),
        "Rejectiontypes": ("GetRejectiontypes", "RejectionType"),
    }
    out: dict[str, Any] = {
        f"{base}/{name}": {
            "get": operation(
                op_id,
                f"Reference data: {name}.",
                tag,
                {"200": json_answer(f"Every {item}", array_of(item)), "403": forbidden},
                security=key,
            )
        }
        for name, (op_id, item) in lists.items()
    }
    out[f"{base}/QuestionsAndAnswersData"] = {
        "post": operation(
            "GetQuestionsAndAnswersData",
            "The questions and answers of 1 to 5 cultures, optionally filtered.",
            tag,
            {"200": json_answer("The questions", ref("Questions")), "400": BAD, "403": forbidden},
            body=json_body(ref("QuestionsAndAnswersRequest")),
            security=key,
        )
    }
    out[f"{base}/QuestionAndAnswersData/{{questionId}}/{{cultureId}}"] = {
        "get": operation(
            "GetQuestionAndAnswersData",
            "One question as a one-item list; an empty list for a question the culture does not have; an empty body"
            " (200) for a computed question, as Toluna documents it.",
            tag,
            {"200": json_answer("The question, if any", ref("Questions")), "403": forbidden},
            [path("questionId", INTEGER), path("cultureId", INTEGER)],
            security=key,
        )
    }
    return out


def _reports(prefix: str, legacy: bool) -> dict[str, Any]:
    tag = "Reports" + (" (IntergratedPanelService spelling)" if legacy else "")
    suffix = "Typo" if legacy else ""
    partner = query("SamplePartnerGuid", GUID, True, "The panel (no key: the GUID names it)")
    span = [query("StartDate", required=True), query("EndDate", required=True)]
    wave = query("WaveID", INTEGER)
    missing = message("No survey of that name or id")

    def report(op_id: str, summary: str, schema: str, params: list[dict[str, Any]], found: bool = True) -> dict:
        responses = {"200": json_answer(summary, ref(schema)), "400": BAD, **({"404": missing} if found else {})}
        return {"get": operation(op_id + suffix, summary + ".", tag, responses, [partner, *params], security=NO_KEY)}

    by_name = ("SurveyStatusByName", "A survey's status by name", "SurveyStatusReport", [path("surveyName")])
    return {
        f"{prefix}/Surveys/{{surveyId}}/StatusByID": report(
            "SurveyStatusByID", "A survey's status by id", "SurveyStatusReport", [path("surveyId")]
        ),
        f"{prefix}/Surveys/{{surveyName}}/StatusByName": report(*by_name),
        f"{prefix}/Survey/{{surveyName}}/StatusByName": report(by_name[0] + "Singular", *by_name[1:]),
        f"{prefix}/Surveys/{{surveyName}}/MemberStatus": report(
            "SurveyMemberStatus",
            "Every member's status in one survey",
            "SurveyMemberStatusReport",
            [path("surveyName"), *span, wave],
        ),
        f"{prefix}/Members/{{memberCode}}/SurveyStatus": report(
            "MemberSurveyStatus",
            "One member's status in every survey",
            "MemberSurveyStatusReport",
            [path("memberCode"), *span],
            found=False,
        ),
        f"{prefix}/Surveys/PanelActivitySummary": report(
            "PanelActivitySummary", "Outcome counts of the panel", "PanelActivitySummaryReport", span, found=False
        ),
        f"{prefix}/Surveys/PanelCompletes": report(
            "PanelCompletes", "The panel's completes", "PanelCompletesReport", span, found=False
        ),
        f"{prefix}/Surveys/{{memberCode}}/{{surveyName}}/ActivityDetails": report(
            "MemberActivityDetails",
            "One member's visits to one survey",
            "MemberActivityDetailsReport",
            [path("memberCode"), path("surveyName"), wave],
        ),
    }


def paths() -> dict[str, Any]:
    out = {**_members(), **_dashboard(), **_reference_data()}
    for i, prefix in enumerate(REPORT_PREFIXES):
        out.update(_reports(prefix, legacy=i > 0))
    return out
