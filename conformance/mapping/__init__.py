"""A partner's attribute mapping: its own fields and values, and the Toluna QuestionIDs and AnswerIDs it sends for
them; what is wrong with it against Toluna's reference data; and the registration it implies for a member.

Why it exists: a partner that maps its "male" to Toluna's AnswerID for Female passes every other check (the ids
exist, the body is valid), and its members are then sampled into the wrong quotas. Only the partner's own mapping,
read against the answers' translations, tells the mistake apart.

YAML form::

    culture: EN-US            # optional; the command's --culture wins
    birth_date: dob           # the partner field holding the birth date (ISO or MM/DD/YYYY)
    postal_code: zip          # the partner field holding the postal code
    fields:
      gender:                 # the partner's field
        question: 1001007
        values: {m: 2000247, f: 2000246}      # partner value -> AnswerID (null: send no answer)
        labels: {m: Male, f: Female}          # optional: what the partner means by each value, in its words
        multi: false                          # optional: the field holds several values (a list)
      employment_id:          # the field already holds the AnswerID (a list with multi: true)
        question: 1012395
        passthrough: true
      answers:                # the field already holds Toluna ids: {QuestionID: [AnswerID, ...]}
        passthrough: true
        questions: [1001107, 1001101]         # optional: the questions it carries (others are not mapped)

Keys of ``values`` and ``labels`` are read as the text the partner wrote (``01`` stays ``01``, ``yes`` stays
``yes``); ``yes``/``no``/``on``/``off`` elsewhere are words, not booleans.

CSV form (a header, then one row per partner value; rows whose field starts with ``#`` are comments)::

    field,value,question,answer,label,multi
    culture,EN-US,,,,
    birth_date,dob,,,,
    postal_code,zip,,,,
    gender,m,1001007,2000247,Male,
    gender,f,1001007,2000246,Female,
    hobbies,fishing,1012227,3055275,,yes
    income,undisclosed,1001107,-,,
    employment_id,*,1012395,*,,
    answers,{QuestionID},1001107,*,,

``culture``, ``birth_date`` and ``postal_code`` rows name the culture and the partner's fields in ``value``; an
``answer`` of ``-`` sends no answer for that value; a ``value`` of ``*`` is a field already holding AnswerIDs of the
row's question, and ``{QuestionID}`` a field holding ``{QuestionID: [AnswerID, ...]}`` (one row per question it
carries); ``label`` and ``multi`` (yes/true/1 on any row of the field) are optional columns.

Findings (``check_mapping``), each with a code, MUST or SHOULD, the field and value, and the fix:
``MAP-NO-BIRTH-DATE``, ``MAP-NO-POSTAL-CODE``, ``MAP-NO-GENDER`` (Toluna cannot place a member without them),
``MAP-UNKNOWN-QUESTION``, ``MAP-COMPUTED-QUESTION`` (region, DMA, MSA and age are Toluna's to compute),
``MAP-WRONG-QUESTION`` (the AnswerID belongs to another question), ``MAP-UNKNOWN-ANSWER``, ``MAP-MULTI-INTO-SINGLE``,
``MAP-LABEL-CONTRADICTS`` and ``MAP-REVERSED-SCALE`` (all MUST); ``MAP-SAME-ANSWER`` and ``MAP-OPEN-ENDED`` (SHOULD).

The label comparison is deliberately small: the partner's words (its label, else its value) and the answer's
translation are normalised (case, accents, punctuation) and put in a category when their whole text or first word is
a known gender word (male, m, man, homme, hombre, mann, ... / female, f, woman, femme, mujer, frau, ...) or a yes/no
word (yes, y, oui, si, ja / no, n, non, nein); two categories of the same kind that differ contradict. A scale is
reversed when at least two of a question's values carry an amount (``<25k``, ``25-50k``, ``100k+``, ``$10,000 -
$14,999``: the lower bound, just below it for "less than"/"<") on both sides and the partner's ascending amounts map
to strictly descending translations. Values that are codes rather than amounts should carry labels.
"""

from __future__ import annotations

from .applying import apply_mapping, as_date, birth_date
from .checking import amount, category, check_mapping, normalise, resolve_culture
from .model import DEFAULT_CULTURE, RULES, FieldMap, Finding, Mapping, MappingError
from .reading import load_mapping, parse_csv, parse_yaml

__all__ = [
    "DEFAULT_CULTURE",
    "RULES",
    "FieldMap",
    "Finding",
    "Mapping",
    "MappingError",
    "amount",
    "apply_mapping",
    "as_date",
    "birth_date",
    "category",
    "check_mapping",
    "load_mapping",
    "normalise",
    "parse_csv",
    "parse_yaml",
    "resolve_culture",
]
