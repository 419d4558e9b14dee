"""Partners that break exactly one of Toluna's rules: the reference partner with one behaviour changed, each named
after the check that must catch it. ``python -m tests.conformance.mutants NAME [--port P]`` serves one (the change is
made for the whole process, which serves nothing else)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import examples.reference_partner.integration as integration_module
from examples.reference_partner import sampling
from examples.reference_partner.app import Partner, parse_notification
from examples.reference_partner.integration import Integration, Member, load_members
from examples.reference_partner.toluna import Toluna

Survey = dict[str, Any]


# --- sampling ------------------------------------------------------------------------------------------------
def _first_layer_only(profile: sampling.Profile, quota: Survey, today: date) -> bool:
    layers = quota.get("Layers") or []
    return not layers or any(sampling.subquota_matches(profile, sq, today) for sq in layers[0]["SubQuotas"])


def _questions_ored(profile: sampling.Profile, subquota: Survey, today: date) -> bool:
    qas = subquota.get("QuestionsAndAnswers") or []
    return not qas or any(
        profile.question_matches(qa["QuestionID"], set(qa["AnswerIDs"]), qa["AnswerValues"], today) for qa in qas
    )


def _patch_question(rule: Callable[[int, bool | None], bool | None]) -> None:
    """Wrap the partner's per-question answer: ``rule(question, answer)`` may change it."""
    original = sampling.Profile.question_matches

    def question_matches(self: sampling.Profile, question: int, *args: Any) -> bool | None:
        return rule(question, original(self, question, *args))

    sampling.Profile.question_matches = question_matches  # type: ignore[method-assign]


def every_layer() -> None:
    """SMP-01: only the first layer is checked."""
    integration_module.quota_matches = _first_layer_only


def and_across() -> None:
    """SMP-02: a subquota's questions ORed instead of ANDed."""
    sampling.subquota_matches = _questions_ored


def year_age() -> None:
    """SMP-03: age as a difference of years (a birthday later this year is missed)."""
    sampling.age = lambda birth, today: today.year - birth.year


def no_postal() -> None:
    """SMP-04: postal targets not checked."""
    _patch_question(lambda q, found: True if q == sampling.POSTAL else found)


def unanswered_ok() -> None:
    """SMP-05: an unanswered question taken as a match."""
    _patch_question(lambda q, found: True if found is None else found)


def any_gender() -> None:
    """SMP-06: gender targets not checked."""
    _patch_question(lambda q, found: True if q == sampling.GENDER else found)


# --- the integration -----------------------------------------------------------------------------------------
class WrongGuid(Integration):
    """INV-01: one GetQuotas call names another panel."""

    def refresh(self) -> None:
        own = self.toluna.es
        self.toluna.es = own.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
        self.toluna.quotas()
        self.toluna.es = own
        super().refresh()


class Hammer(Integration):
    """INV-02: GetQuotas polled a dozen times a cycle."""

    def refresh(self) -> None:
        for _ in range(12):
            self.polled_at = None
            super().refresh()


class TwoQuotas(Integration):
    """SMP-07: a member asked for every matching quota of a survey."""

    def invite(self) -> int:
        asked = 0
        today = integration_module.datetime.now(integration_module.UTC).date()
        for survey in self.inventory.get("Surveys", []):
            quotas = survey["Quotas"]
            if len(quotas) < 2 or survey.get("IsSurveyRecontact"):
                continue
            for m in self.members.values():
                if all(self.eligible(m, survey, q, today) for q in quotas):
                    for q in quotas:
                        answer = self.toluna.invite(m.code, q["QuotaID"])
                        if answer.status == 200:
                            self.invited[(m.code, survey["SurveyID"], survey["WaveID"])] = answer.body["URL"]
                        self.final.add((m.code, q["QuotaID"]))
                        asked += 1
        return asked + super().invite()


class IgnoreStatus(Integration):
    """SMP-08: inactive, blocked and opted-out members invited like the others, and asked again after a refusal."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        for m in self.members.values():
            m.status = "registered"

    def eligible(self, m: Member, survey: Survey, quota: Survey, today: date) -> bool:
        active, m.active = m.active, True
        self.unroutable.clear()
        try:
            return super().eligible(m, survey, quota, today)
        finally:
            m.active = active


class IgnoreExclusions(Integration):
    """SMP-09: SurveyWaveExclusions not read."""

    @staticmethod
    def excluded(m: Member, survey: Survey) -> bool:
        return False


class HardcodedQuota(Integration):
    """SMP-10: a quota id kept from elsewhere (on hold from the start) is asked for too."""

    def invite(self) -> int:
        routable = [m for m in self.members.values() if m.active and m.code not in self.unroutable]
        for m in routable[:2]:
            self.toluna.invite(m.code, 5200101)
        return super().invite()


class OwnRecontact(Integration):
    """SMP-11: recontact quotas sampled like any other, whatever the lists say."""

    def read_recontact_lists(self) -> None:
        super().read_recontact_lists()
        for codes in self.recontact.values():
            codes.update(self.members)


class RetryRefusals(Integration):
    """INV-03: a refused invite asked again in the next cycle."""

    def ask(self, m: Member, survey: Survey, quota: Survey) -> int:
        got = super().ask(m, survey, quota)
        self.final.clear()
        return got


class Storm(Integration):
    """INV-04: TECHNICAL_ERROR retried at once, again and again."""

    def __init__(self, toluna: Toluna, *args: Any, **kw: Any) -> None:
        super().__init__(toluna, *args, **kw)
        plain = toluna.invite

        def invite(member: str, quota: int, retries: int = 3) -> Any:
            answer = plain(member, quota, retries=0)
            for _ in range(8):
                if answer.result_code != 36:
                    break
                answer = plain(member, quota, retries=0)
            return answer

        toluna.invite = invite  # type: ignore[method-assign]


class ForbiddenLoop(Integration):
    """INV-05: a call refused with 403 (a wrong key) is tried again in a loop."""

    def refresh(self) -> None:
        key, self.toluna.key = self.toluna.key, "not-the-key"
        for _ in range(8):
            self.toluna.forbidden = False
            self.toluna.quotas()
        self.toluna.key, self.toluna.forbidden = key, False
        super().refresh()


class StopEarly(Integration):
    """RC-01: only the first page read."""

    def read_list(self, quota: int) -> set[str]:
        page = self.toluna.recontact_page(quota, None)
        return set(page.body["MemberCodes"]) if page.status == 200 else set()


class BadCursor(Integration):
    """RC-02: the next page asked after the second-to-last code of the page before."""

    def read_list(self, quota: int) -> set[str]:
        codes: set[str] = set()
        after = None
        while True:
            page = self.toluna.recontact_page(quota, after)
            got = page.body["MemberCodes"] if page.status == 200 else []
            codes.update(got)
            if page.status != 200 or not page.body["HasAdditionalMembers"] or len(got) < 2:
                return codes
            after = got[-2]


class BigPages(Integration):
    """RC-03: maxResults above Toluna's limit tried first."""

    def read_list(self, quota: int) -> set[str]:
        self.toluna.recontact_page(quota, None, size=20_000)
        return super().read_list(quota)


class PastEnd(Integration):
    """RC-04: one page more after the last."""

    def read_list(self, quota: int) -> set[str]:
        codes = super().read_list(quota)
        self.toluna.recontact_page(quota, max(codes) if codes else None)
        return codes


class ForgetHistory(Integration):
    """TRK-01: what the member took before is not checked (exclusions still are)."""

    @staticmethod
    def took(m: Member, survey_wave: tuple[int, int]) -> bool:
        return False


class SurveyIdentity(Integration):
    """TRK-02: a survey is taken as one whatever its wave."""

    @staticmethod
    def took(m: Member, survey_wave: tuple[int, int]) -> bool:
        return any(s == survey_wave[0] for s, _ in m.history)


def _refuse(method: str, prefix: str, status: int, when: Callable[[Partner, bytes, str], bool] | None = None) -> None:
    """Make the partner answer ``status`` to requests under ``prefix`` (when ``when(partner, body, type)`` says so).
    A POST's body is read first, so the refusal is an answer, not a broken connection."""
    original = Partner.handler

    def handler(self: Partner) -> Any:
        base = original(self)
        partner = self

        class Refusing(base):  # type: ignore[misc, valid-type]
            def _refused(self) -> bool:
                if not self.path.startswith(prefix):
                    return False
                body = b""
                if self.command == "POST":
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    self.rfile = io.BytesIO(body)  # the partner's own handler reads it again
                    self.headers.replace_header("Content-Length", str(len(body)))
                if when is None or when(partner, body, self.headers.get("Content-Type", "")):
                    self._send(status, "{}")
                    return True
                return False

            def do_GET(self) -> None:
                if method != "GET" or not self._refused():
                    super().do_GET()

            def do_POST(self) -> None:
                if method != "POST" or not self._refused():
                    super().do_POST()

        return Refusing

    Partner.handler = handler  # type: ignore[method-assign]


def broken_end_page() -> None:
    """END-01: the Quota Full end page fails."""
    _refuse("GET", "/toluna/end/quotafull", 500)


def failing_terminations() -> None:
    """NOT-01: the termination endpoint fails Toluna's terminations."""
    _refuse("POST", "/toluna/notify/terminate", 500, lambda p, body, kind: not _unreadable(p, body, kind))


def _unknown_quota(partner: Partner, body: bytes, content_type: str) -> bool:
    known = {q["QuotaID"] for s in partner.integration.inventory.get("Surveys", []) for q in s["Quotas"]}
    return (
        not _unreadable(partner, body, content_type)
        and int(parse_notification(body, content_type).get("QuotaID", 0)) not in known
    )


def only_own_quotas() -> None:
    """NOT-02: quota notifications about quotas the partner does not have are refused."""
    _refuse("POST", "/toluna/notify/quota", 400, _unknown_quota)


def _repeat(partner: Partner, body: bytes, _type: str) -> bool:
    seen = getattr(partner, "_seen_completions", set())
    partner._seen_completions = seen | {body}  # type: ignore[attr-defined]
    return body in seen


def refuses_repeats() -> None:
    """NOT-03: a completion that comes again is refused (409)."""
    _refuse("POST", "/toluna/notify/complete", 409, _repeat)


def json_only() -> None:
    """NOT-04: XML notifications are refused."""
    _refuse("POST", "/toluna/notify/quota", 400, lambda _p, body, _t: body.lstrip().startswith(b"<"))


class DeafToNotifications(Integration):
    """NOT-05: quota status and survey closed notifications are answered but not acted on."""

    def notified(self, kind: str, doc: dict[str, Any]) -> None:
        if kind not in ("quota", "survey"):
            super().notified(kind, doc)


class NoVersionHeader(Integration):
    """REG-01: a member read back without the version 2 Accept header."""

    def register(self) -> None:
        super().register()
        self.toluna.http.get(
            f"{self.toluna.core}/Respondent",
            params={"memberCode": "RP-ANNA", "partnerGUID": self.toluna.panel},
            timeout=30,
        )


def _extra_member(**fields: Any) -> Member:
    base = load_members()[0]
    return replace(base, code=fields.pop("code"), active=False, **fields)


class NoBirthDate(Integration):
    """REG-02: a member added without a birth date."""

    def register(self) -> None:
        super().register()
        if "RP-NOBIRTH" not in self.registered:
            doc = _extra_member(code="RP-NOBIRTH").registration()
            del doc["BirthDate"]
            self.toluna.add_member(doc)
            self.registered.add("RP-NOBIRTH")


class WritesComputed(Integration):
    """REG-03: a computed answer (DMA) sent with a member."""

    def register(self) -> None:
        kim = self.members["RP-KIM"]
        kim.answers[1001568] = {2112087}
        super().register()


class PostsAgain(Integration):
    """REG-04: a member's change sent with POST again."""

    def update(self, m: Member, now: float) -> None:
        self.toluna.add_member({**m.registration(), **m.changes})
        m.changes = {}


class NoPause(Integration):
    """REG-05: a member's change sent straight after adding it."""

    def register(self) -> None:
        super().register()
        for m in self.members.values():
            if m.changes:
                self.toluna.update_member({"MemberCode": m.code, **m.changes})
                m.changes = {}


class UnknownAnswer(Integration):
    """REG-06: an answer id the culture does not have."""

    def register(self) -> None:
        self.members["RP-KIM"].answers[1001101] = {2009999}
        super().register()


class CreditsEveryCompletion(Integration):
    """ADP-01: every completion notification credited, repeats included."""

    def notified(self, kind: str, doc: dict[str, Any]) -> None:
        super().notified(kind, doc)
        if kind == "complete":
            self.repeats = getattr(self, "repeats", {})
            key = str(doc["UniqueCode"])
            self.repeats[key] = self.repeats.get(key, 0) + 1
            self.credits[key] = {(i, 0) for i in range(self.repeats[key])}


def trusts_any_redirect() -> None:
    """ADP-02: any end page URL is taken as genuine."""
    Partner.redirect_is_genuine = staticmethod(lambda url: True)  # type: ignore[method-assign]


class NeverRereads(Integration):
    """INV-06: GetQuotas read once, at the start, and never again."""

    def refresh(self) -> None:
        if not self.inventory:
            super().refresh()


class InArrivalOrder(Integration):
    """NOT-06: quota statuses applied in the order they arrive, whatever their UpdateDateTimeUTC."""

    def notified(self, kind: str, doc: dict[str, Any]) -> None:
        if kind == "quota":
            self.quota_news.pop(int(doc["QuotaID"]), None)
        super().notified(kind, doc)


def trusts_any_completion() -> None:
    """NOT-07: completions credited without checking their EncryptedValue."""
    Partner.completion_is_genuine = staticmethod(lambda doc: True)  # type: ignore[method-assign]


def _unreadable(_partner: Partner, body: bytes, content_type: str) -> bool:
    try:
        parse_notification(body, content_type)
    except Exception:
        return True
    return False


def crashes_on_malformed() -> None:
    """NOT-08: an unreadable notification answered 500 (the endpoint's error page)."""
    _refuse("POST", "/toluna/notify/", 500, _unreadable)


def accepts_malformed() -> None:
    """NOT-09: an unreadable notification answered 200, as if it had been understood."""
    _refuse("POST", "/toluna/notify/", 200, _unreadable)


class QuotaFullPerMember(Integration):
    """INV-07: QUOTA_FULL and QUOTA_NOT_LIVE taken as refusals of one member: the quota is asked for the others."""

    def ask(self, m: Member, survey: Survey, quota: Survey) -> int:
        held_before = quota["QuotaID"] in self.held
        got = super().ask(m, survey, quota)
        if not held_before and quota["QuotaID"] in self.held:
            self.held.discard(quota["QuotaID"])
            self.final.add((m.code, quota["QuotaID"]))
        return got


class ReversedGender(Integration):
    """MAP-01: the partner's "female" registered (and sampled) as Toluna's Male and "male" as Female, where its
    mapping file says otherwise."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        integration_module.GENDERS.update(female=2000247, male=2000246)


class SlowRun(Integration):
    """RUN-01: POST /run answered only after SLOW_RUN_SECONDS (the cycle itself is done at once)."""

    def cycle(self) -> dict[str, int]:
        done = super().cycle()
        time.sleep(float(os.environ.get("SLOW_RUN_SECONDS", "40")))
        return done


# --- correct integrations that differ from the reference partner: each must be READY -----------------------
class Upsert(Integration):
    """Every write is a POST, and a PUT of the same body when Toluna answers 409 (the member exists)."""

    def update(self, m: Member, now: float) -> None:
        body = {**m.registration(), **m.changes}
        if self.toluna.add_member(body).status == 409:
            self.lock.release()  # the cycle holds it: notifications are answered while this member's second passes
            try:
                time.sleep(1.1)  # the same member at most once a second
            finally:
                self.lock.acquire()
            self.toluna.update_member(body)
        m.changes = {}
        self.written[m.code] = time.monotonic()


class OwnLinks(Integration):
    """Members are sent the partner's own link, which adds the partner's parameters to Toluna's invite URL."""

    def link(self, invite_url: str) -> str:
        token = f"t{len(self.links) + 1}"
        self.links[token] = f"{invite_url}&rp_src=email&rp_rid={token}"
        return f"{os.environ['PARTNER_BASE']}/go/{token}"


class SettingsFromPanel(Integration):
    """The end-page encryption parameter's name read from the panel's Settings, not from configuration."""

    def __init__(self, toluna: Toluna, *args: Any, **kw: Any) -> None:
        super().__init__(toluna, *args, **kw)
        os.environ.pop("TOLUNA_ENCRYPTION_PARAMETER", None)
        settings = toluna.http.get(
            toluna.core + "/Settings", params={"partnerGUID": toluna.panel}, headers={"API_AUTH_KEY": toluna.key}
        ).json()
        name = next(s["Value"] for s in settings if s["Name"] == "Standard EncryptionResult Parameter Name")
        os.environ["TOLUNA_ENCRYPTION_PARAMETER"] = name


def secret_header() -> None:
    """Notification endpoints that answer 401 without the partner's shared-secret header."""
    original = Partner.handler

    def handler(self: Partner) -> Any:
        base = original(self)

        class Guarded(base):  # type: ignore[misc, valid-type]
            def do_POST(self) -> None:
                if self.path.startswith("/toluna/notify/") and self.headers.get("X-Partner-Secret") != SECRET:
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    self._send(401, "{}")
                    return
                super().do_POST()

        return Guarded

    Partner.handler = handler  # type: ignore[method-assign]


SECRET = "s3cret-partner-value"


class RespondentDriven(Integration):
    """No batches: POST /run keeps members and the inventory current; a member asking for a survey gets an invite
    then, for the best quota it matches (or the one asked for)."""

    def cycle(self) -> dict[str, int]:
        with self.busy():
            self.register()
            if not self.forbidden:
                self.refresh()
                self.read_recontact_lists()
            return {"members": len(self.registered), "invites": len(self.invited), "asked": 0}

    def respondent(self, member: str, quota: int | None = None) -> str | None:
        with self.busy():
            m = self.members.get(member)
            if m is None or self.forbidden:
                return None
            self.refresh()
            today = integration_module.datetime.now(integration_module.UTC).date()
            for survey in self.inventory.get("Surveys", []):
                if (survey["SurveyID"], survey["WaveID"]) in self.closed:
                    continue
                for q in survey["Quotas"]:
                    if quota not in (None, q["QuotaID"]) or q["QuotaID"] in self.held:
                        continue
                    if self.eligible(m, survey, q, today) and self.ask(m, survey, q):
                        return self.by_quota[(m.code, q["QuotaID"])]
            return None


#: name -> (patch applied at start, the Integration class); names are the checks that must catch them.
MUTANTS: dict[str, tuple[Callable[[], None] | None, type[Integration]]] = {
    "INV-06": (None, NeverRereads),
    "INV-07": (None, QuotaFullPerMember),
    "NOT-06": (None, InArrivalOrder),
    "NOT-07": (trusts_any_completion, Integration),
    "NOT-08": (crashes_on_malformed, Integration),
    "NOT-09": (accepts_malformed, Integration),
    "MAP-01": (None, ReversedGender),
    "RUN-01": (None, SlowRun),
    "INV-01": (None, WrongGuid),
    "INV-02": (None, Hammer),
    "SMP-01": (every_layer, Integration),
    "SMP-02": (and_across, Integration),
    "SMP-03": (year_age, Integration),
    "SMP-04": (no_postal, Integration),
    "SMP-05": (unanswered_ok, Integration),
    "SMP-06": (any_gender, Integration),
    "SMP-07": (None, TwoQuotas),
    "SMP-08": (None, IgnoreStatus),
    "SMP-09": (None, IgnoreExclusions),
    "SMP-10": (None, HardcodedQuota),
    "SMP-11": (None, OwnRecontact),
    "INV-03": (None, RetryRefusals),
    "INV-04": (None, Storm),
    "INV-05": (None, ForbiddenLoop),
    "RC-01": (None, StopEarly),
    "RC-02": (None, BadCursor),
    "RC-03": (None, BigPages),
    "RC-04": (None, PastEnd),
    "TRK-01": (None, ForgetHistory),
    "TRK-02": (None, SurveyIdentity),
    "END-01": (broken_end_page, Integration),
    "NOT-01": (failing_terminations, Integration),
    "NOT-02": (only_own_quotas, Integration),
    "NOT-03": (refuses_repeats, Integration),
    "NOT-04": (json_only, Integration),
    "NOT-05": (None, DeafToNotifications),
    "REG-01": (None, NoVersionHeader),
    "REG-02": (None, NoBirthDate),
    "REG-03": (None, WritesComputed),
    "REG-04": (None, PostsAgain),
    "REG-05": (None, NoPause),
    "REG-06": (None, UnknownAnswer),
    "ADP-01": (None, CreditsEveryCompletion),
    "ADP-02": (trusts_any_redirect, Integration),
}


#: The mutants ``make test`` runs (``make mutants`` runs them all): one to three per family of checks, chosen for the
#: rules that need a moment of the run to break them (an expired inventory, a refused key, forged and malformed
#: notifications, a repeated POST) and for the mistakes partners make most (age, exclusions, recontact cursors).
CI_SLICE = frozenset(
    {
        "INV-05", "INV-06",
        "NOT-06", "NOT-07", "NOT-08",
        "SMP-03", "SMP-09",
        "RC-02", "TRK-01", "END-01", "REG-04", "ADP-02", "MAP-01", "RUN-01",
    }
)  # fmt: skip

#: What a mutant breaks besides its own check, where one mistake breaks two rules (the test asserts exactly these).
ALSO_FAILS: dict[str, set[str]] = {
    "REG-04": {"REG-07"},  # a change POSTed again is a needless POST too
    # the members Toluna knew before keep their true gender: the partner's own sampling now disagrees with Toluna
    "MAP-01": {"SMP-06", "TRK-02"},
    "NOT-08": {"NOT-09"},  # a 500 is not a 4xx either
}

#: Correct integrations unlike the reference partner: name -> (patch, class, the run's settings). Each is READY.
VARIANTS: dict[str, tuple[Callable[[], None] | None, type[Integration], dict[str, Any]]] = {
    "upsert": (None, Upsert, {}),
    "own-links": (None, OwnLinks, {"respondent": True}),
    "settings-from-panel": (
        None,
        SettingsFromPanel,
        {"settings": {"Standard EncryptionResult Parameter Name": "tolunaSig"}},
    ),
    "notification-header": (secret_header, Integration, {"notification_headers": {"X-Partner-Secret": SECRET}}),
    "respondent-driven": (None, RespondentDriven, {"respondent": True}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.conformance.mutants",
        description="Serve one mutant or variant of the reference partner. The sandbox it talks to comes from the "
        "environment, as toluna-conformance run --partner-cmd gives it: TOLUNA_SANDBOX_URL (default "
        "http://127.0.0.1:8080), TOLUNA_PANEL_GUID, TOLUNA_API_KEY.",
    )
    parser.add_argument("name", choices=sorted({*MUTANTS, *VARIANTS}))
    parser.add_argument(
        "--port",
        type=int,
        default=8081,
        help="port to serve the partner on (default 8081: the reference partner's, where the default scenario's "
        "end pages and notification URLs point)",
    )
    args = parser.parse_args(argv)
    missing = [name for name in ("TOLUNA_PANEL_GUID", "TOLUNA_API_KEY") if name not in os.environ]
    if missing:
        parser.error(f"set {' and '.join(missing)} (the panel of the sandbox the partner talks to; see --help)")
    patch, cls = MUTANTS[args.name] if args.name in MUTANTS else VARIANTS[args.name][:2]
    if patch is not None:
        patch()
    os.environ["PARTNER_BASE"] = f"http://127.0.0.1:{args.port}"
    server = Partner(cls(Toluna.from_env(), load_members())).serve("127.0.0.1", args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
