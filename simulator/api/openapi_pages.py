"""``/openapi.json``: the pages a member's browser sees (survey entry, profile pages) and the document itself."""

from __future__ import annotations

from typing import Any

from simulator.domain.urls import INVITE_PATH, PROFILE_PATH

from .openapi_parts import HTML, JSON, html_answer, json_answer, operation, query, redirect, ref

FORM = "application/x-www-form-urlencoded"
TOO_BIG = html_answer("The body is larger than the sandbox accepts")


def _form(properties: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": properties, "additionalProperties": {"type": "string"}}
    return {"required": False, "content": {FORM: {"schema": schema}}}


def _html_or_json(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {HTML: {"schema": {"type": "string"}}, JSON: {"schema": ref("Message")}},
    }


def _survey_entry() -> dict[str, Any]:
    tag = "Survey pages"
    params = [
        query("od", description="The invite's token (the invite URL's od parameter)"),
        query("di", description="The token under its other name"),
        query("outcome", description="qualified, terminated, quota_full, ... or auto: end the visit at once"),
    ]
    answers = {
        "200": html_answer("The survey page (or a page saying the visit has ended)"),
        "302": redirect("To the partner's end page for the outcome"),
        "400": html_answer("An unknown outcome, or a POST without one"),
        "404": html_answer("No invite has this token"),
        "409": html_answer("The visit has ended: nothing to do"),
    }
    post_answers = {**answers, "400": _html_or_json("An unknown outcome, a POST without one, or a body not read")}
    post_answers["413"] = TOO_BIG
    return {
        "get": operation("SurveyEntry", "Where invite URLs lead: the survey page.", tag, answers, params),
        "post": operation(
            "SurveyOutcome",
            "The survey page's form: the outcome the member picked.",
            tag,
            post_answers,
            params,
            body=_form({"outcome": {"type": "string"}, "ref": {"type": "string"}}),
        ),
    }


def _profile_page() -> dict[str, Any]:
    tag = "Survey pages"
    params = [
        query("guid", description="The panel"),
        query("mc", description="The member code"),
        query("pt", {"type": "integer"}, description="The profile category (0: birth date, gender, postal code)"),
        query("redirect", description="Where Save goes"),
        query("cancel", description="Where Cancel goes"),
    ]
    refused = _html_or_json("Unknown panel or member, a category that is not a number, an answer that does not fit")
    form = {
        "action": {"type": "string", "enum": ["save", "cancel"]},
        "BirthDate": {"type": "string"},
        "PostalCode": {"type": "string"},
        "gender": {"type": "string"},
    }
    return {
        "get": operation(
            "ProfilePage",
            "A profile page: one category's questions.",
            tag,
            {"200": html_answer("The page"), "400": refused},
            params,
        ),
        "post": operation(
            "SaveProfilePage",
            "A profile page's form: the answers (q<QuestionID> fields) saved to the member, then to redirect.",
            tag,
            {
                "302": redirect("To redirect (or cancel), or to the panel's Qualified end page"),
                "400": refused,
                "413": TOO_BIG,
            },
            params,
            body=_form(form),
        ),
    }


def paths() -> dict[str, Any]:
    return {
        INVITE_PATH: _survey_entry(),
        PROFILE_PATH: _profile_page(),
        "/openapi.json": {
            "get": operation(
                "OpenAPI",
                "This document.",
                "Sandbox",
                {"200": json_answer("OpenAPI 3.1", {"type": "object", "required": ["openapi", "paths"]})},
            )
        },
    }
