"""Toluna's External Sample result codes: the one place where a code number meets its name.

Names are Toluna's exactly, typos included (``INTERVALLIC_QUOTA_NOTAVAILBLE``), because partners match on
the strings as well as the numbers.
"""

from __future__ import annotations

from enum import IntEnum


class ResultCode(IntEnum):
    SUCCESS = 1
    PANEL_DOES_NOT_EXIST = 3
    PANEL_NOT_ES_ENABLED = 4
    SURVEY_DOES_NOT_EXIST = 5
    SURVEY_NOT_FOR_RECONTACT = 6
    QUOTA_NOT_ES_ENABLED = 8
    QUOTA_NOT_LIVE = 9
    NO_QUOTA_ID = 10
    NO_MEMBER_FOUND = 12
    MEMBER_NOT_ROUTABLE = 13
    MEMBER_BLOCKED = 14
    SURVEY_NOT_ENABLED_FOR_IP_ES = 15
    MEMBER_DOES_NOT_MATCH_QUOTA = 16
    NO_RECONTACT_GID = 17
    NO_PANEL_GUID = 18
    NO_MEMBER_CODE = 19
    PANEL_INVALID_ES_REQUEST = 20
    NON_QUOTA_DEMOGRAPHIC_REJECTION = 21
    MEMBER_NOT_ACTIVE = 22
    SURVEY_STUDY_TYPE_EXCLUDED = 23
    SURVEY_CUSTOMER_EXCLUDED = 24
    SURVEY_EXCLUDED = 25
    ACCOUNT_GROUP_SURVEY_TAKEN = 26
    INTERVALLIC_QUOTA_NOTAVAILBLE = 27
    QUOTA_FULL = 28
    IP_EXTERNAL_RESPONDENTTYPE_FULL = 29
    EXCLUDED_SURVEY_TAKEN = 30
    DEVICETYPE_NOT_SUPPORTED_FOR_SURVEY = 31
    SURVEY_LOI_MISMATCH = 32
    IP_PROVIDER_COST_NOMATCH = 33
    SURVEY_VERIFICATION_LEVEL_FAILED = 34
    PREVIOUSLY_TERMINATED_SCREENER = 35
    TECHNICAL_ERROR = 36
    UNABLE_TO_GET_GID = 37
    SURVEY_TAKEN = 38
    MAX_DAILY_EXCEEDED = 39
    MAX_WEEKLY_EXCEEDED = 40
    SUB_QUOTA_FULL = 41
    SURVEY_NOT_AVAILABLE_FOR_PARTNER = 42
    MEMBER_GID_NOT_AVAILABLE = 43
    STARTS_THRESHOLD_ACHIEVED = 45
    SURVEY_COMPLETES_CAP_ACHIEVED = 46
    SURVEY_IPPARTNER_COMPLETES_ALLOCATION_ACHIEVED = 47

    def body(self) -> dict[str, object]:
        """Toluna's 400 body for this code."""
        return {"Result": self.name, "ResultCode": int(self)}


#: Every failure code Toluna documents for ES (3–47); SUCCESS is only used inside bulk-invite items.
ERROR_CODES: tuple[ResultCode, ...] = tuple(c for c in ResultCode if c is not ResultCode.SUCCESS)


#: Toluna's ids are .NET ints.
INT32_MAX = 2**31 - 1
