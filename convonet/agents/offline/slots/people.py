"""Who and which: names, emails, phone numbers, priorities, departments, roles, codes, teams.

Parsers read a prepared :class:`MappedText`; names and team names are read back from the
caller's original words.
"""

import re

from convonet.agents.offline.slots.mapped import MappedText


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that end a name ("my name is Jane Doe and I ..."); a name is 1-3 other words.
_NOT_NAME = _words(
    """a an and are at be born but by date dob email for from i i'm is it it's my need of on
    or phone please so thanks thank the this to today tomorrow tonight with would want
    party table reservation booking people guests number call me we our at around about
    here new patient like looking calling just yes no okay ok um uh record records file chart
    details information info profile id"""
)
_NAME_LEAD = re.compile(
    r"\b(?:my name is|my name's|name is|name's|names are|the name is|under the name(?: of)?|"
    r"under|call me|patient named|patient name is|patient is|for a patient named|"
    r"^(?:hi|hello|hey)?,?\s*this is|^(?:hi|hello|hey),?\s*i'm)\s+"
)
_WORD = re.compile(r"[a-z][a-z'-]*")


def _capitalise(word: str) -> str:
    return word[:1].upper() + word[1:]


def name_at(text: MappedText, start: int, *, limit: int = 3) -> str | None:
    """The name (1-``limit`` words) that starts at ``start`` in ``text``, capitalised."""
    words: list[str] = []
    pos = start
    for match in _WORD.finditer(text.text, start):
        gap = text.text[pos : match.start()]
        if (words and not re.fullmatch(r"\s+", gap)) or (not words and gap.strip(" ,:")):
            break
        if match.group() in _NOT_NAME or len(words) == limit:
            break
        words.append(_capitalise(text.original_of(*match.span()).strip(" .,")))
        pos = match.end()
    return " ".join(words) or None


def person_name(text: MappedText) -> str | None:
    """A name introduced as one ("my name is Jane Doe", "under Smith", "this is Ann")."""
    for match in _NAME_LEAD.finditer(text.text):
        found = name_at(text, match.end())
        if found:
            return found
    return None


def name_answer(text: MappedText) -> str | None:
    """A name given as a bare answer ("Jane Doe", "it's under Smith", "Smith, please")."""
    found = person_name(text)
    if found:
        return found
    start = re.match(r"\s*(?:(?:it's|it is|yes|sure|ok|okay|um|uh|the)[\s,]+)*", text.text)
    return name_at(text, start.end() if start else 0)


def split_name(name: str) -> tuple[str, str | None]:
    """First name and last name (``None`` when only one word was given)."""
    parts = name.split()
    return (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (parts[0], None)


_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_SPOKEN_EMAIL = re.compile(
    r"\b([a-z0-9][a-z0-9._+-]*(?:\s+(?:dot|underscore|dash)\s+[a-z0-9]+)*)\s+at\s+"
    r"([a-z0-9-]+(?:(?:\s+dot\s+|\.)[a-z0-9-]+)+)\b"
)


def email(text: str) -> str | None:
    """An email address, written or spoken ("jane dot doe at example dot com")."""
    match = _EMAIL.search(text)
    if match is not None:
        return match.group().strip(".")
    match = _SPOKEN_EMAIL.search(text)
    if match is None:
        return None
    spoken = {" dot ": ".", " underscore ": "_", " dash ": "-"}
    local, domain = match.group(1), match.group(2)
    for word, mark in spoken.items():
        local = re.sub(rf"\s*{word.strip()}\s*", mark, local)
        domain = re.sub(rf"\s*{word.strip()}\s*", mark, domain)
    return f"{local}@{domain}"


_PHONE = re.compile(
    r"\b(?:phone|number|cell|mobile|reach me at|call me at)(?: number)?(?: is)?\s*:?\s*"
    r"(\+?\d[\d\s(),.-]{5,24}\d)"
)


def phone(text: str) -> str | None:
    """A phone number said after "phone", "number", ... (digits only, ``+`` kept)."""
    match = _PHONE.search(text)
    if match is None:
        return None
    digits = re.sub(r"[^\d+]", "", match.group(1))
    return digits if 7 <= len(digits.lstrip("+")) <= 15 else None


_PRIORITIES = (
    ("urgent", re.compile(r"\b(?:urgent|urgently|asap|as soon as possible|critical)\b")),
    ("high", re.compile(r"\b(?:high(?:est)?[\s-]priority|priority (?:is )?high|important)\b")),
    ("low", re.compile(r"\b(?:low(?:est)?[\s-]priority|priority (?:is )?low|not important)\b")),
    ("medium", re.compile(r"\b(?:medium|normal|regular)[\s-]priority|priority (?:is )?medium\b")),
)
PRIORITY_WORDS = re.compile(
    r"(?:,?\s*(?:it's|it is|make it|mark it|with|set to|as)?\s*(?:an?\s+)?)"
    r"(?:urgent(?:ly)?|asap|as soon as possible|critical|(?:high|highest|low|lowest|medium|"
    r"normal|regular)[\s-]priority|priority (?:is )?(?:high|low|medium)|not important|"
    r"important)\b"
)


def priority(text: str) -> str | None:
    """A to-do priority: ``urgent``, ``high``, ``low`` or ``medium``."""
    if re.search(r"\bnot important\b", text):
        return "low"
    for name, pattern in _PRIORITIES:
        if pattern.search(text):
            return name
    return None


_DEPARTMENTS = (
    ("billing", r"billing|bill|invoices?|payments?|charges?|refunds?|accounts? receivable"),
    ("sales", r"sales|sales team|buy|purchase|pricing|quote|upgrade"),
    ("support", r"support|tech(?:nical)?|help ?desk|customer service|troubleshoot\w*"),
)
_NAMED_DEPARTMENT = re.compile(r"\b(?:the\s+)?([a-z]+)\s+(?:department|dept|team|desk)\b")
_TO_DEPARTMENT = re.compile(
    r"\b(?:transfer|connect|put|send|forward|route)\s+(?:me\s+)?(?:through\s+)?(?:to|with)\s+"
    r"(?:the\s+|someone\s+in\s+|somebody\s+in\s+)?([a-z]+)"
)


def department(text: str) -> str | None:
    """The department asked for: ``support``, ``sales``, ``billing`` or another named one."""
    for name, words in _DEPARTMENTS:
        if re.search(rf"\b(?:{words})\b", text):
            return name
    for pattern in (_NAMED_DEPARTMENT, _TO_DEPARTMENT):
        match = pattern.search(text)
        if match and match.group(1) not in _NOT_DEPARTMENT:
            return match.group(1)
    return None


_NOT_DEPARTMENT = _words(
    "a an someone somebody person human agent representative operator real live your my"
)
_ROLE = re.compile(r"\bas (?:an? |the )?(owner|admin|administrator|member|viewer)\b")


def team_role(text: str) -> str | None:
    """A team role ("as an admin")."""
    match = _ROLE.search(text)
    if match is None:
        return None
    return "admin" if match.group(1) == "administrator" else match.group(1)


_CODE_LEAD = re.compile(
    r"\b(?:confirmation|reference|booking|reservation)\s*(?:code|number|#)?\s*(?:is|:)?\s+"
    r"|\bcode\s*(?:is|:)?\s+"
)
_CODE_STOP = _words("please thanks thank for and at on is the to my tomorrow under")
_MIXED = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{5,10}\b")


def confirmation_code(text: str) -> str | None:
    """A confirmation code, typed ("ABC123") or spelled out ("a b c 1 2 3"), upper-cased."""
    for match in _CODE_LEAD.finditer(text):
        pieces: list[str] = []
        for token in re.split(r"[\s-]+", text[match.end() :].strip(" .,")):
            token = token.strip(".,")
            if not token or token in _CODE_STOP or not token.isalnum() or len(token) > 10:
                break
            pieces.append(token)
        code = "".join(pieces)
        spelled = all(len(piece) == 1 for piece in pieces)
        if 4 <= len(code) <= 12 and (spelled or any(c.isdigit() for c in code)):
            return code.upper()
    mixed = _MIXED.search(text)
    return mixed.group().upper() if mixed else None


_TEAM_CALLED = re.compile(r"\bteam\s+(?:called|named)\s+")
_TEAM_BEFORE = re.compile(r"\b(?:the|our|my)\s+((?:[a-z0-9][a-z0-9'-]*\s+){1,2}?)team\b")
_TEAM_AFTER = re.compile(
    r"\b(?:team|group)\s+(?!called|named|member|members|todo|todos|task|tasks|list|and|i|"
    r"to|for|with|as|please|of)([a-z0-9][a-z0-9'-]*)"
)
_NOT_TEAM = _words("my our the a new your this that")
_NOT_TEAM_WORDS = _NOT_TEAM | _words(
    "members member of on in for to with whole entire everyone people"
)


def team_name(text: MappedText) -> str | None:
    """The team meant ("the marketing team", "team alpha", "a team called Design Crew")."""
    match = _TEAM_CALLED.search(text.text)
    if match is not None:
        return name_at(text, match.end(), limit=4)
    match = _TEAM_BEFORE.search(text.text)
    if match is not None and not set(match.group(1).split()) & _NOT_TEAM_WORDS:
        return text.original_of(*match.span(1)).strip(" ,.")
    match = _TEAM_AFTER.search(text.text)
    if match is not None and match.group(1) not in _NOT_TEAM:
        return text.original_of(*match.span(1)).strip(" ,.")
    return None
