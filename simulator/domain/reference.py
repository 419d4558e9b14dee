"""Reference data: cultures, questions and answers (what partners map their profiles to), and the static lists
(device types, study types, currencies, categories). The QuestionsAndAnswersData filters are pure functions here.

A question belongs to one culture (its ``TranslatedQuestion.CultureID``). ``learned`` marks a question or answer
added because an inventory targets it and the reference data lacked it: a partner can then register members that
match every quota of an imported body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from . import questions as qid

COMPUTED = "ComputedType"
ANSWER_TYPES = ("SingleSelect", "MultiSelect", "OpenEnded", COMPUTED, "Container")
#: Questions whose member answer comes from the profile (BirthDate, PostalCode): never served, never learned.
FROM_PROFILE = frozenset({qid.AGE})


@dataclass(slots=True, frozen=True)
class Answer:
    answer_id: int
    translation: str
    internal_name: str = ""
    learned: bool = False


@dataclass(slots=True, frozen=True)
class Question:
    question_id: int
    culture_id: int
    internal_name: str
    display: str
    answer_type: str
    is_routable: bool
    answers: tuple[Answer, ...] = ()
    is_demographic: bool = False
    category_id: int | None = None
    help_text: str = ""
    sampling_sequence: int | None = None
    validation_regex: str | None = None
    children: tuple[Question, ...] = ()
    updated: str = "2024-01-15T00:00:00"
    learned: bool = False

    @property
    def computed(self) -> bool:
        return self.answer_type == COMPUTED

    def answer(self, answer_id: int) -> Answer | None:
        return next((a for a in self.answers if a.answer_id == answer_id), None)


@dataclass(slots=True, frozen=True)
class Culture:
    culture_id: int
    name: str  # "en-us", as Toluna writes it
    description: str
    country: str = ""  # for the minimum registration age


@dataclass(slots=True)
class ReferenceData:
    cultures: list[Culture] = field(default_factory=list)
    questions: dict[int, dict[int, Question]] = field(default_factory=dict)  # culture id -> question id -> question
    lists: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # DeviceTypes, StudyTypes, ...

    def culture(self, name: str) -> Culture | None:
        wanted = name.lower()
        return next((c for c in self.cultures if c.name == wanted), None)

    def question(self, culture_id: int, question_id: int) -> Question | None:
        return self.questions.get(culture_id, {}).get(question_id)

    def learn(self, culture_id: int, targets: list[tuple[int, tuple[int, ...]]]) -> int:
        """Add the questions and answers ``targets`` (question, answer ids) name that this culture lacks; how many
        were added. A learned question is single-select unless several of its answers are asked for at once."""
        known = self.questions.setdefault(culture_id, {})
        added = 0
        for question_id, answer_ids in targets:
            if question_id in FROM_PROFILE or question_id == qid.POSTAL_CODE:
                continue
            q = known.get(question_id)
            if q is None:
                q = Question(
                    question_id,
                    culture_id,
                    f"Question {question_id}",
                    f"Question {question_id}",
                    "SingleSelect",
                    True,
                    learned=True,
                )
                added += 1
            new = [Answer(a, f"Answer {a}", f"Answer {a}", learned=True) for a in answer_ids if q.answer(a) is None]
            if new:
                q = replace(q, answers=q.answers + tuple(new))
                added += len(new)
            known[question_id] = q
        return added


def select(
    data: ReferenceData,
    culture_ids: list[int],
    category_ids: list[int],
    since: datetime | None,
    computed: bool,
    routables: bool,
    demographics: bool,
) -> list[Question]:
    """QuestionsAndAnswersData: each filter narrows. Computed, routable and demographic questions come only when
    asked for (each defaults to false, as at Toluna); ``since`` keeps questions changed after it."""
    out = []
    for culture_id in culture_ids:
        for q in data.questions.get(culture_id, {}).values():
            if q.question_id in FROM_PROFILE:
                continue
            if category_ids and q.category_id not in category_ids:
                continue
            if since is not None and _updated(q) <= since:
                continue
            if (q.computed and not computed) or (q.is_routable and not routables):
                continue
            if q.is_demographic and not demographics:
                continue
            out.append(q)
    return out


def _updated(q: Question) -> datetime:
    value = datetime.fromisoformat(q.updated)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- Toluna's wire shape ---------------------------------------------------------------------------------------
def question_to_wire(q: Question) -> dict[str, Any]:
    return {
        "IsRoutable": q.is_routable,
        "InternalName": q.internal_name,
        "TranslatedQuestion": {
            "QuestionID": q.question_id,
            "CultureID": q.culture_id,
            "DisplayNameTranslation": q.display,
            "HelpTextTranslation": q.help_text,
            "SamplingSequenceNumber": q.sampling_sequence,
        },
        "ChildQuestions": [question_to_wire(c) for c in q.children] or None,
        "TranslatedAnswers": [
            {"AnswerID": a.answer_id, "Translation": a.translation, "AnswerInternalName": a.internal_name}
            for a in q.answers
        ],
        "AnswerType": q.answer_type,
        "AnswerValidationRegularExpression": q.validation_regex,
    }


def question_from_wire(d: dict[str, Any], demographic: bool = False, category_id: int | None = None) -> Question:
    t = d["TranslatedQuestion"]
    return Question(
        question_id=int(t["QuestionID"]),
        culture_id=int(t["CultureID"]),
        internal_name=d.get("InternalName") or "",
        display=t.get("DisplayNameTranslation") or "",
        answer_type=d.get("AnswerType") or "Container",
        is_routable=bool(d.get("IsRoutable")),
        answers=tuple(
            Answer(int(a["AnswerID"]), a.get("Translation") or "", a.get("AnswerInternalName") or "")
            for a in d.get("TranslatedAnswers") or []
        ),
        is_demographic=demographic,
        category_id=category_id,
        help_text=t.get("HelpTextTranslation") or "",
        sampling_sequence=t.get("SamplingSequenceNumber"),
        validation_regex=d.get("AnswerValidationRegularExpression"),
        children=tuple(question_from_wire(c) for c in d.get("ChildQuestions") or []),
    )


# --- the bundled data ------------------------------------------------------------------------------------------
def _bundled_question(d: dict[str, Any], culture_id: int) -> Question:
    return Question(
        question_id=d["QuestionID"],
        culture_id=culture_id,
        internal_name=d["InternalName"],
        display=d["Display"],
        answer_type=d["AnswerType"],
        is_routable=d["IsRoutable"],
        answers=tuple(Answer(a["AnswerID"], a["Translation"], a["AnswerInternalName"]) for a in d["Answers"]),
        is_demographic=d["IsDemographic"],
        category_id=d["CategoryID"],
        sampling_sequence=d["SamplingSequenceNumber"],
        validation_regex=d["AnswerValidationRegularExpression"],
        updated=d["Updated"],
    )


@cache
def _bundled_text() -> str:
    return resources.files("simulator").joinpath("data/reference.json").read_text(encoding="utf-8")


def bundled() -> ReferenceData:
    """The reference data every sandbox starts with (a fresh copy: callers may learn into it)."""
    raw = json.loads(_bundled_text())
    cultures = [Culture(c["CultureID"], c["Name"], c["Description"], c["Country"]) for c in raw["Cultures"]]
    by_name = {c.name: c.culture_id for c in cultures}
    questions = {
        by_name[name]: {q["QuestionID"]: _bundled_question(q, by_name[name]) for q in items}
        for name, items in raw["Questions"].items()
    }
    lists = {k: raw[k] for k in ("QuestionCategories", "DeviceTypes", "StudyTypes", "Currencies")}
    return ReferenceData(cultures, questions, lists)


@cache
def minimum_ages() -> dict[str, int]:
    raw = json.loads(resources.files("simulator").joinpath("data/minimum_ages.json").read_text(encoding="utf-8"))
    return dict(raw["ages"])


def minimum_age(culture: Culture | None) -> int:
    """The country's minimum registration age (16, Toluna's most common default, when the country is unknown)."""
    return minimum_ages().get(culture.country, 16) if culture else 16


# --- storage -----------------------------------------------------------------------------------------------------
def to_doc(data: ReferenceData) -> str:
    def question(q: Question) -> dict[str, Any]:
        return {
            **question_to_wire(q),
            "_demographic": q.is_demographic,
            "_category": q.category_id,
            "_updated": q.updated,
            "_learned": q.learned,
            "_learned_answers": [a.answer_id for a in q.answers if a.learned],
        }

    return json.dumps(
        {
            "cultures": [vars_of(c) for c in data.cultures],
            "questions": [question(q) for qs in data.questions.values() for q in qs.values()],
            "lists": data.lists,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def vars_of(c: Culture) -> dict[str, Any]:
    return {"culture_id": c.culture_id, "name": c.name, "description": c.description, "country": c.country}


def from_doc(text: str) -> ReferenceData:
    raw = json.loads(text)
    data = ReferenceData([Culture(**c) for c in raw["cultures"]], {}, raw["lists"])
    for d in raw["questions"]:
        q = question_from_wire(d, d.get("_demographic", False), d.get("_category"))
        learned = set(d.get("_learned_answers", []))
        q = replace(
            q,
            updated=d.get("_updated", q.updated),
            learned=d.get("_learned", False),
            answers=tuple(replace(a, learned=a.answer_id in learned) for a in q.answers),
        )
        data.questions.setdefault(q.culture_id, {})[q.question_id] = q
    return data


# --- building a sandbox's reference data -------------------------------------------------------------------------
def import_body(data: ReferenceData, body: list[dict[str, Any]]) -> int:
    """A Toluna QuestionsAndAnswersData body replaces the questions of the cultures it covers (cultures the data
    does not know yet are added); how many questions it brought."""
    imported: dict[int, dict[int, Question]] = {}
    for d in body:
        q = question_from_wire(d)
        imported.setdefault(q.culture_id, {})[q.question_id] = q
    for culture_id, questions in imported.items():
        data.questions[culture_id] = questions
        if all(c.culture_id != culture_id for c in data.cultures):
            data.cultures.append(Culture(culture_id, f"culture-{culture_id}", f"Culture {culture_id} (imported)"))
    return sum(len(q) for q in imported.values())


def culture_for(data: ReferenceData, name: str) -> Culture:
    """The culture of a panel's culture name, added (with an id of the sandbox's own) when the data lacks it."""
    found = data.culture(name)
    if found is None:
        found = Culture(9100 + len(data.cultures), name.lower(), f"{name} (sandbox)")
        data.cultures.append(found)
    return found


def targets_of(surveys: list[Any]) -> list[tuple[int, tuple[int, ...]]]:
    """Every (QuestionID, AnswerIDs and numeric AnswerValues) the surveys' quotas and hidden targets name."""
    out: list[tuple[int, tuple[int, ...]]] = []
    for s in surveys:
        targets = [t for q in s.quotas for layer in q.layers for sq in layer.subquotas for t in sq.targets]
        for t in [*targets, *s.state.hidden_targets]:
            numeric = tuple(int(v) for value in t.answer_values for v in value.split(",") if v.strip().isdigit())
            out.append((t.question_id, t.answer_ids + (numeric if t.question_id != qid.POSTAL_CODE else ())))
    return out
