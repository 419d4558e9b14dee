"""How a member's visit to a survey ends: Toluna's end-page events, rejection types, and what each one records.

One place per fact: the end page (a panel setting name), the participation status it leaves (the ids of
``SurveyWaveExclusions``), the status Toluna's reports show, the ``Reason`` of a termination notification, and the
rejection type (``RespondentRejectionTypeID``) that enhanced terminates add to non-qualified end pages and to
pre-start notifications.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from . import questions as q
from .codes import ResultCode as RC


@dataclass(frozen=True, slots=True)
class Rejection:
    rejection_id: int
    name: str
    description: str


#: Respondent rejection types. Ids 2 ... 163 are Toluna's documented ones (best practices, rejection types page);
#: Toluna names SurveyClosed, SurveyNotLive and SurveyOnHold without documenting their ids, so the sandbox gives
#: them ids of its own from 9001 (see the README's fidelity notes).
REJECTIONS: dict[str, Rejection] = {
    r.name: r
    for r in (
        Rejection(2, "MaxDailySurveys", "The member reached the daily limit of 5 completes or 25 starts (UTC)."),
        Rejection(4, "SurveyTaken", "The member has already taken the survey."),
        Rejection(10, "RestartNotAllowed", "The member used an invite link that was already used."),
        Rejection(11, "QuotaOnHold", "The member was invited to a quota that is on hold."),
        Rejection(14, "NotQualified", "The member does not qualify for the survey."),
        Rejection(19, "SubQuotaFull", "The subquotas the member matches are full."),
        Rejection(23, "ExcludedSurveyTaken", "A previous participation excludes the member from this survey."),
        Rejection(57, "AccountGroupSurveyTaken", "Another member of the account group has taken the survey."),
        Rejection(70, "IncorrectRespondentCountry", "The member is not in the survey's country."),
        Rejection(96, "DeviceTypeIDNotSupportForSurvey", "The member's device is not supported by the survey."),
        Rejection(97, "VerificationFailed", "The member failed the survey's verification (fraud score)."),
        Rejection(99, "ScreenedOut", "The member was screened out after entering the survey."),
        Rejection(103, "NonQuotaDemographicRejection", "A demographic outside the quota does not match."),
        Rejection(9001, "SurveyClosed", "The survey is closed."),
        Rejection(9002, "SurveyNotLive", "The survey or quota is not live for this partner."),
        Rejection(9003, "SurveyOnHold", "The survey has no completes remaining."),
    )
}


class EndPage(StrEnum):
    """Toluna's end-page events; the value is the panel setting holding the partner's URL."""

    QUALIFIED = "Qualified URL"
    TERMINATED = "Terminate URL"
    QUOTA_FULL = "Quota Full URL"
    FRAUD_TERMINATE = "Fraud Terminate URL"
    DFP_FAILURE = "Digital Finger Printing Failure URL"
    NO_SURVEYS = "No Surveys URL"
    SURVEY_TAKEN = "Survey Taken URL"
    NO_COOKIES = "No Cookies URL"
    SURVEY_NOT_AVAILABLE = "Survey Not Available URL"
    NOT_QUALIFIED = "Not Qualified URL"
    MAX_SURVEYS_REACHED = "Max Surveys Reached URL"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One way a visit ends: the button a person presses, or what an automated caller names."""

    key: str  # what automated callers send (outcome=qualified)
    label: str
    end_page: EndPage
    status_id: int  # participation status left behind (9 qualified, 10 quota full, 3 otherwise)
    report_status: str  # the reports' status name
    reason: str | None  # termination notification Reason; None for a complete
    rejection: str | None  # rejection type name for enhanced terminates

    @property
    def qualified(self) -> bool:
        return self.end_page is EndPage.QUALIFIED


def _outcome(key: str, label: str, page: EndPage, status: str, reason: str | None, rejection: str | None) -> Outcome:
    status_id = {"Qualified": q.QUALIFIED, "QuotaFull": q.QUOTA_FULL}.get(status, q.TERMINATED)
    return Outcome(key, label, page, status_id, status, reason, rejection)


OUTCOMES: dict[str, Outcome] = {
    o.key: o
    for o in (
        _outcome("qualified", "Qualified", EndPage.QUALIFIED, "Qualified", None, None),
        _outcome("terminated", "Terminated", EndPage.TERMINATED, "Terminated", "Terminated", "ScreenedOut"),
        _outcome("quota_full", "Quota Full", EndPage.QUOTA_FULL, "QuotaFull", "QuotaFull", "SubQuotaFull"),
        _outcome(
            "fraud_terminate",
            "Fraud Terminate",
            EndPage.FRAUD_TERMINATE,
            "FraudTerminated",
            "Terminated",
            "VerificationFailed",
        ),
        _outcome("not_qualified", "Not Qualified", EndPage.NOT_QUALIFIED, "Terminated", "NotQualified", "NotQualified"),
        _outcome("survey_taken", "Survey Taken", EndPage.SURVEY_TAKEN, "Terminated", "SurveyTaken", "SurveyTaken"),
        _outcome(
            "survey_not_available",
            "Survey Not Available",
            EndPage.SURVEY_NOT_AVAILABLE,
            "Terminated",
            "SurveyNotAvailable",
            "SurveyClosed",
        ),
        _outcome("no_surveys", "No Surveys", EndPage.NO_SURVEYS, "Terminated", "NoSurveysAvailable", "SurveyNotLive"),
        _outcome(
            "max_surveys_reached",
            "Max Surveys Reached",
            EndPage.MAX_SURVEYS_REACHED,
            "Terminated",
            "MaxSurveysReached",
            "MaxDailySurveys",
        ),
        _outcome("no_cookies", "No Cookies", EndPage.NO_COOKIES, "Terminated", "NoCookie", None),
        _outcome(
            "dfp_failure",
            "Digital Fingerprint Failure",
            EndPage.DFP_FAILURE,
            "Terminated",
            "Terminated",
            "VerificationFailed",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class PreStart:
    """A click refused before the survey starts: where the member lands and what the partner is told."""

    outcome: Outcome
    rejection: Rejection
    activity: str  # the ActivityDetails report status


def _pre(outcome: str, rejection: str, activity: str) -> PreStart:
    return PreStart(OUTCOMES[outcome], REJECTIONS[rejection], activity)


#: What GenerateInvite's refusal means when the member clicks an invite that was good when it was made.
_PRE_START: dict[RC, PreStart] = {
    RC.QUOTA_NOT_LIVE: _pre("survey_not_available", "QuotaOnHold", "QuotaOnHold"),
    RC.INTERVALLIC_QUOTA_NOTAVAILBLE: _pre("survey_not_available", "QuotaOnHold", "QuotaOnHold"),
    RC.QUOTA_NOT_ES_ENABLED: _pre("survey_not_available", "SurveyNotLive", "SurveyNotLive"),
    RC.NO_QUOTA_ID: _pre("survey_not_available", "SurveyClosed", "SurveyClosed"),
    RC.SURVEY_DOES_NOT_EXIST: _pre("survey_not_available", "SurveyClosed", "SurveyNotFound"),
    RC.SURVEY_NOT_ENABLED_FOR_IP_ES: _pre("survey_not_available", "SurveyNotLive", "SurveyNotLive"),
    RC.SURVEY_NOT_AVAILABLE_FOR_PARTNER: _pre("survey_not_available", "SurveyNotLive", "SurveyNotLive"),
    RC.SURVEY_EXCLUDED: _pre("survey_not_available", "SurveyNotLive", "RejectedOther"),
    RC.SURVEY_STUDY_TYPE_EXCLUDED: _pre("survey_not_available", "SurveyNotLive", "RejectedOther"),
    RC.SURVEY_CUSTOMER_EXCLUDED: _pre("survey_not_available", "SurveyNotLive", "RejectedOther"),
    RC.QUOTA_FULL: _pre("quota_full", "SurveyOnHold", "QuotaFull"),
    RC.SUB_QUOTA_FULL: _pre("quota_full", "SubQuotaFull", "QuotaFull"),
    RC.SURVEY_COMPLETES_CAP_ACHIEVED: _pre("quota_full", "SurveyOnHold", "SurveyOnHold"),
    RC.SURVEY_IPPARTNER_COMPLETES_ALLOCATION_ACHIEVED: _pre("quota_full", "SurveyOnHold", "SurveyOnHold"),
    RC.IP_EXTERNAL_RESPONDENTTYPE_FULL: _pre("quota_full", "SurveyOnHold", "SurveyOnHold"),
    RC.STARTS_THRESHOLD_ACHIEVED: _pre("quota_full", "SurveyOnHold", "SurveyOnHold"),
    RC.SURVEY_TAKEN: _pre("survey_taken", "SurveyTaken", "SurveyTaken"),
    RC.ACCOUNT_GROUP_SURVEY_TAKEN: _pre("survey_taken", "AccountGroupSurveyTaken", "SurveyTaken"),
    RC.EXCLUDED_SURVEY_TAKEN: _pre("survey_taken", "ExcludedSurveyTaken", "SurveyTaken"),
    RC.PREVIOUSLY_TERMINATED_SCREENER: _pre("not_qualified", "NotQualified", "RejectedOther"),
    RC.MAX_DAILY_EXCEEDED: _pre("max_surveys_reached", "MaxDailySurveys", "RejectedOther"),
    RC.MAX_WEEKLY_EXCEEDED: _pre("max_surveys_reached", "MaxDailySurveys", "RejectedOther"),
    RC.MEMBER_BLOCKED: _pre("no_surveys", "SurveyNotLive", "MemberBlocked"),
    RC.MEMBER_NOT_ACTIVE: _pre("no_surveys", "SurveyNotLive", "MemberBlocked"),
    RC.MEMBER_NOT_ROUTABLE: _pre("no_surveys", "SurveyNotLive", "RejectedOther"),
    RC.NO_MEMBER_FOUND: _pre("no_surveys", "SurveyNotLive", "RejectedOther"),
    RC.DEVICETYPE_NOT_SUPPORTED_FOR_SURVEY: _pre("no_surveys", "DeviceTypeIDNotSupportForSurvey", "RejectedOther"),
    RC.SURVEY_VERIFICATION_LEVEL_FAILED: _pre("fraud_terminate", "VerificationFailed", "RejectedOther"),
    RC.MEMBER_DOES_NOT_MATCH_QUOTA: _pre("not_qualified", "NotQualified", "RejectedOther"),
    RC.NON_QUOTA_DEMOGRAPHIC_REJECTION: _pre("not_qualified", "NonQuotaDemographicRejection", "RejectedOther"),
    RC.MEMBER_GID_NOT_AVAILABLE: _pre("not_qualified", "NotQualified", "RejectedOther"),
}

#: An invite link clicked again after the member finished with it, and one clicked again while its survey is
#: open elsewhere (another browser, another session).
LINK_USED = _pre("survey_taken", "SurveyTaken", "SurveyTaken")
RESTART = _pre("survey_taken", "RestartNotAllowed", "SurveyTaken")
_OTHER = _pre("survey_not_available", "SurveyNotLive", "RejectedOther")


#: A termination notification's Reason -> the outcome that sends it (``trigger terminate --reason``).
BY_REASON: dict[str, str] = {
    "QuotaFull": "quota_full",
    "SurveyTaken": "survey_taken",
    "Terminated": "terminated",
    "SurveyNotAvailable": "survey_not_available",
    "NoSurveysAvailable": "no_surveys",
    "NoCookie": "no_cookies",
    "MaxSurveysReached": "max_surveys_reached",
    "NotQualified": "not_qualified",
}


def pre_start_named(rejection: str) -> PreStart | None:
    """The pre-start rejection for a rejection type name (``trigger prestart --rejection QuotaOnHold``)."""
    found = next((p for p in (*_PRE_START.values(), LINK_USED, RESTART) if p.rejection.name == rejection), None)
    if found is None and rejection in REJECTIONS:
        return PreStart(OUTCOMES["survey_not_available"], REJECTIONS[rejection], "RejectedOther")
    return found


def pre_start(code: RC) -> PreStart:
    """The pre-start rejection for a decision that refuses the click (any code the chain can give)."""
    return _PRE_START.get(code, _OTHER)
