"""``/openapi.json``: the web console's pages (``/`` and ``/console/...``) and the forms they post. Pages are open;
a form's POST needs a loopback client or the admin token (``X-Sandbox-Token``, or the form field
``sandbox_token``), and answers with a 303 back to a page."""

from __future__ import annotations

from typing import Any

from .openapi_parts import HTML, JSON, html_answer, operation, path, query, redirect, ref

TAG = "Console"
FORM = "application/x-www-form-urlencoded"
TOKEN_SECURITY: list[dict[str, list[str]]] = [{}, {"SandboxToken": []}]
REFUSED = html_answer("Not a loopback client and no admin token (or a wrong one), or a form sent from another origin")
BACK = redirect("Back to the page, a one-line note (the outcome, or why nothing changed) in the console_note cookie")


def _form(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    token = {"sandbox_token": {"type": "string", "description": "The admin token (non-loopback clients)"}}
    schema = {"type": "object", "properties": {**properties, **token}, "required": required}
    return {"required": True, "content": {FORM: {"schema": schema}}}


def _page(
    operation_id: str, summary: str, answers: dict[str, Any], params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"get": operation(operation_id, summary, TAG, answers, params)}


def _action(
    operation_id: str, summary: str, body: dict[str, Any], params: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    answers = {"303": BACK, "403": REFUSED}
    return {"post": operation(operation_id, summary, TAG, answers, params, body=body, security=TOKEN_SECURITY)}


def paths() -> dict[str, Any]:
    live = {"live": {"type": "string", "enum": ["true", "false"]}}
    integer = {"type": "integer"}
    signed_in = redirect("Signed in: the token in an HttpOnly, SameSite=Strict cookie for this sandbox's pages")
    sign_in = {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "sandbox_token": {"type": "string", "description": "The admin token"},
                        "next": {"type": "string", "description": "The page to go back to (one of this sandbox's)"},
                    },
                    "required": ["sandbox_token"],
                }
            }
        },
    }
    return {
        "/console/login": {
            "post": operation(
                "ConsoleSignIn",
                "Sign in to a console that asks every client for the admin token (a workspace's, or serve "
                "--require-token): a page asked for without the token answers 401 with this form.",
                TAG,
                {"303": signed_in, "403": html_answer("A wrong token, or a form sent from another origin")},
                body=sign_in,
            )
        },
        "/": _page(
            "ConsoleOverview",
            "The console's overview: panels (a hint of the API key), surveys, waves, quotas, the clock.",
            {"200": html_answer("The page")},
        ),
        "/console/quotas/{quota_id}/state": _action(
            "ConsoleQuotaState",
            "Put a quota live or on hold (as PUT /_sandbox/quotas/{quota_id}).",
            _form(live, ["live"]),
            [path("quota_id", integer)],
        ),
        "/console/quotas/{quota_id}/notify": _action(
            "ConsoleQuotaNotify",
            "Send a quota status notification (as POST /_sandbox/events/quota-status).",
            _form(live, ["live"]),
            [path("quota_id", integer)],
        ),
        "/console/surveys/{survey_id}/state": _action(
            "ConsoleSurveyState",
            "Close or reopen a survey: every wave, or wave_id's (as PUT /_sandbox/surveys/{survey_id}).",
            _form(
                {"status": {"type": "string", "enum": ["open", "closed"]}, "wave_id": {"type": "string"}}, ["status"]
            ),
            [path("survey_id", integer)],
        ),
        "/console/clock/advance": _action(
            "ConsoleAdvanceClock",
            "Move the sandbox clock on (as POST /_sandbox/clock/advance).",
            _form(
                {"amount": {"type": "string"}, "unit": {"type": "string", "enum": ["minutes", "hours", "days"]}},
                ["amount", "unit"],
            ),
        ),
        "/console/outbox": _page(
            "ConsoleOutbox",
            "The current run's notifications, newest first, each with its delivery attempts.",
            {"200": html_answer("The page"), "400": html_answer("An unknown status or kind (the page says which)")},
            [
                query("status", {"type": "string"}, description="pending, delivered or failed"),
                query("kind", {"type": "string"}, description="complete, terminate, prestart, quota, survey, ..."),
            ],
        ),
        "/console/outbox/{notification_id}/resend": _action(
            "ConsoleResend",
            "Deliver a notification again, as a new one (as POST /_sandbox/outbox/{id}/resend).",
            _form({}, []),
            [path("notification_id", integer)],
        ),
        "/console/members": _page(
            "ConsoleMembers",
            "Find a member by its exact code (in one panel, or in any): the panels holding it, each a link.",
            {"200": html_answer("The page"), "404": html_answer("No member holds the code (the page says so)")},
            [query("code", description="The member code"), query("panel", description="A panel's GUID")],
        ),
        "/console/members/{code}": _page(
            "ConsoleMember",
            "One member: status, profile answers named from the reference data, participations, visits; with quota, "
            "the decision GenerateInvite would take now and the sampling tree (as GET /_sandbox/explain).",
            {"200": html_answer("The page"), "404": html_answer("No such member in the panel")},
            [
                path("code"),
                query("panel", description="The panel's GUID (default: the first panel)"),
                query("quota", description="A QuotaID to explain the member against"),
            ],
        ),
        "/console/journal": _page(
            "ConsoleJournal",
            "The request journal, newest first, filtered; with after and format=json, the newer entries' rows (the "
            "page's live update).",
            {
                "200": {
                    "description": "The page, or (format=json) the rows of the entries after the id given",
                    "content": {
                        HTML: {"schema": {"type": "string"}},
                        JSON: {
                            "schema": {
                                "type": "object",
                                "properties": {"Last": integer, "Count": integer, "Rows": {"type": "string"}},
                                "required": ["Last", "Count", "Rows"],
                            }
                        },
                    },
                },
                "400": {
                    "description": "A filter that is not a whole number or an ISO time: the page names it (with "
                    "format=json, a {Message} body names it)",
                    "content": {HTML: {"schema": {"type": "string"}}, JSON: {"schema": ref("Message")}},
                },
            },
            [
                query("route", description="A journal route: quotas, invite, member_add, ..."),
                query("member", description="A member code"),
                query("quota", integer, description="A QuotaID"),
                query("code", integer, description="An External Sample result code"),
                query("since", description="An ISO time on the sandbox clock (UTC when no offset is given)"),
                query("until", description="An ISO time on the sandbox clock"),
                query("after", integer, description="Only entries after this journal id"),
                query("format", {"type": "string", "enum": ["json"]}, description="json: rows for the live update"),
            ],
        ),
        "/console/runs": _page(
            "ConsoleRuns",
            "The conformance reports in the reports directory (serve --reports), newest first.",
            {"200": html_answer("The page")},
        ),
        "/console/runs/{name}": _page(
            "ConsoleRunReport",
            "One report file (.html or .json) of the reports directory, by its plain name.",
            {"200": html_answer("The report"), "404": html_answer("No such report in the directory")},
            [path("name")],
        ),
    }
