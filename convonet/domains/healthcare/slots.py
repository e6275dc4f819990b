"""Clinical intake slots: symptoms, pain level, allergies, medications, chief complaint.

Symptoms come from a fixed vocabulary (deterministic and honest: an unknown complaint is kept
as said, never guessed into a known one).
"""

import re

SYMPTOMS = (
    "shortness of breath", "chest pain", "back pain", "stomach ache", "stomachache",
    "abdominal pain", "sore throat", "runny nose", "stuffy nose", "ear ache", "earache",
    "toothache", "joint pain", "muscle aches", "body aches", "blurred vision",
    "loss of taste", "loss of smell", "high blood pressure", "headache", "migraine", "fever",
    "cough", "chills", "nausea", "vomiting", "diarrhea", "constipation", "dizziness", "dizzy",
    "fatigue", "tired", "rash", "itching", "swelling", "congestion", "sneezing", "wheezing",
    "insomnia", "anxiety", "nauseous", "nauseated", "feverish", "coughing", "throwing up",
    "cramps", "bleeding", "numbness", "cold", "flu", "sprain",
    "knee pain", "neck pain", "shoulder pain", "hip pain", "foot pain", "tooth pain",
)  # fmt: skip
_SYNONYMS = {"stomachache": "stomach ache", "earache": "ear ache", "dizzy": "dizziness",
             "tired": "fatigue", "nauseous": "nausea", "nauseated": "nausea",
             "feverish": "fever", "coughing": "cough", "throwing up": "vomiting"}  # fmt: skip
SYMPTOM_PATTERN = re.compile(
    r"\b(?:" + "|".join(re.escape(s) for s in sorted(SYMPTOMS, key=len, reverse=True)) + r")\b"
)
_PAIN_IN = re.compile(r"\bpain in (?:my|the) ([a-z]+)\b|\bmy ([a-z]+) (?:hurts|is hurting)\b")
_NEGATED = re.compile(r"\b(?:no|not|without|don't have|do not have)\s+(?:a\s+|any\s+)?$")


def symptoms(text: str) -> list[str]:
    """The symptoms named, in the order said, without repeats or negated ones ("no fever")."""
    found: list[tuple[int, str]] = []
    for match in SYMPTOM_PATTERN.finditer(text):
        if _NEGATED.search(text[max(0, match.start() - 20) : match.start()]):
            continue
        found.append((match.start(), _SYNONYMS.get(match.group(), match.group())))
    for match in _PAIN_IN.finditer(text):
        found.append((match.start(), f"{match.group(1) or match.group(2)} pain"))
    result: list[str] = []
    for _, name in sorted(found):
        if name not in result:
            result.append(name)
    return result


_PAIN = (
    re.compile(r"\b(\d{1,2})\s*(?:out of|/|on a scale of)\s*10\b"),
    re.compile(
        r"\bpain(?: level)?(?: is| was| of)?(?: about| around| like)?(?: an?)?\s+(\d{1,2})\b"
    ),
    re.compile(r"\b(?:it's|it is|rate it|i'd say)(?: about| around| a| an)*\s+(\d{1,2})\b"),
)  # fmt: skip


def pain_level(text: str) -> int | None:
    """A pain score from 0 to 10 ("pain is a 7 out of 10", "7/10")."""
    for pattern in _PAIN:
        match = pattern.search(text)
        if match and 0 <= int(match.group(1)) <= 10:
            return int(match.group(1))
    return None


_CLAUSE_END = r"(?=[.;!?]|,\s*(?:and\s+)?(?:i|my|it|the|pain|but)\b|\s+and\s+(?:i|my)\b|\s+but\b|$)"
_ALLERGY = re.compile(
    rf"\b(?:allergic to|allergies(?: are| to| include|:)?|allergy to)\s+(.+?){_CLAUSE_END}"
)
_MEDICATION = re.compile(
    rf"\b(?:i take|i'm taking|i am taking|i'm on|i am on|medications?(?: are| is| include|:)?|"
    rf"taking)\s+(.+?){_CLAUSE_END}"
)  # fmt: skip
_NONE = re.compile(r"^(?:no|none|nothing|any|no known)\b")


def _items(phrase: str) -> list[str]:
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+", phrase)
    cleaned = [re.sub(r"^(?:some|a|an|the)\s+", "", p.strip(" .")) for p in parts]
    return [p for p in cleaned if p and not _NONE.match(p)]


def allergies(text: str) -> list[str]:
    """Allergies said ("allergic to penicillin and peanuts"); none for "no allergies"."""
    match = _ALLERGY.search(text)
    return _items(match.group(1)) if match else []


def medications(text: str) -> list[str]:
    """Medications said ("I take ibuprofen and lisinopril")."""
    match = _MEDICATION.search(text)
    return _items(match.group(1)) if match else []


_STRONG = re.compile(
    rf"\b(?:chief complaint is|main (?:complaint|problem|issue|concern) is|"
    rf"i'm here (?:for|because of|about)|i am here (?:for|because of|about)|"
    rf"coming in (?:for|about)|the problem is|reason for (?:my|the) visit is)\s+(.+?){_CLAUSE_END}"
)
_WEAK = re.compile(
    rf"\b(?:i've been having|i have been having|i've got|i have got|i have|suffering from|"
    rf"i'm having|i am having|i feel|i'm feeling|i am feeling)\s+(.+?){_CLAUSE_END}"
)


def _said(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    said = re.sub(r"^(?:a|an|the|some|really bad|bad|terrible)\s+", "", match.group(1))
    said = re.split(r",|\s+and\s+|\s+with\s+", said)[0].strip(" .")
    return said if said and not _NONE.match(said) else None


def chief_complaint(text: str) -> str | None:
    """The main reason for the visit.

    Said as such ("my main problem is ..."), else the first known symptom, else what the
    caller says they have or feel ("I have a rash on my arm").
    """
    found = symptoms(text)
    return _said(_STRONG.search(text)) or (found[0] if found else _said(_WEAK.search(text)))
