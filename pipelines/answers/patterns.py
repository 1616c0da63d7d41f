"""What a German question asks for, and what a sentence offers: cheap patterns, no model.

`question_kind` reads the question word ("wann" → a date, "wie viele"/"wie hoch" → a number,
"wer" → an organisation or role, "was ist" → a definition) and two shapes the answer composer
treats on their own: "wie machen es andere" (one sentence per job centre or document) and
"was wurde vereinbart/beschlossen" (the agreements of one protocol as a list). The sentence
tests say whether a sentence holds a date, a number, an organisation or role, a definition, an
agreement, or only meeting logistics ("Die nächste Sitzung findet … statt", "Die Präsentationen
werden bereitgestellt").
"""

from __future__ import annotations

import re
from typing import Literal

from pipelines.text.german_dates import DAY_MONTH_NAME_YEAR, DAY_MONTH_YEAR, MONTH_NAME_YEAR

QuestionKind = Literal["date", "number", "who", "definition", "practice", "agreement", "other"]
QUESTION_KINDS: tuple[QuestionKind, ...] = (
    "date",
    "number",
    "who",
    "definition",
    "practice",
    "agreement",
    "other",
)

AGREEMENT_QUESTION = re.compile(
    r"\b(vereinbart|vereinbarung\w*|beschlossen|beschluss\w*|verabredet|festgelegt|"
    r"verständigt|geeinigt|abgesprochen)\b",
    re.IGNORECASE,
)
PRACTICE_QUESTION = re.compile(
    r"\banderen?\s+(jobcenter|kommunen|landkreise|kreise|städte|träger|ringe|mitglieder)\b|"
    r"\bwie\s+(machen|lösen|handhaben|organisieren|gestalten)\s+(es\s+)?(andere|die\s+anderen)\b|"
    r"\b(erfahrungen|praxisbeispiele?|beispiele|good\s+practice)\b",
    re.IGNORECASE,
)
DATE_QUESTION = re.compile(
    r"^\s*(wann|seit\s+wann|bis\s+wann|ab\s+wann|an\s+welchem\s+tag)\b", re.I
)
NUMBER_QUESTION = re.compile(
    r"\b(wie\s+(viele?|hoch|groß|lang|lange|oft|alt|weit|stark)|wieviele?|welche[rsn]?\s+"
    r"(anteil|quote|zahl|betrag|summe|höhe)|in\s+welchem\s+jahr|um\s+wie\s+viel)\b",
    re.IGNORECASE,
)
WHO_QUESTION = re.compile(
    r"^\s*(wer|wem|wen|welche[rsn]?\s+(jobcenter|stelle|behörde|kreis\w*|"
    r"träger|landkreis|stadt|kommune|partner|organisation))\b",
    re.I,
)
DEFINITION_QUESTION = re.compile(
    r"^\s*(was\s+(ist|sind|bedeutet|bedeuten|heißt|versteht\s+man\s+unter|meint)|"
    r"wofür\s+steht|was\s+genau\s+ist)\b",
    re.IGNORECASE,
)

YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?\s*(%|prozent|euro|€|mio|millionen|tsd)?", re.I)
NUMBER_WORD = re.compile(
    r"\b(zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|hundert|"
    r"tausend|hälfte|drittel|viertel|doppelt)\b",
    re.IGNORECASE,
)
ORGANISATION = re.compile(
    r"\b(jobcenter|landkreis|kreis|stadt|agentur\s+für\s+arbeit|bundesagentur|ministerium|"
    r"geschäftsstelle|amt|verein|kammer|ihk|hwk|träger|arbeitsgruppe|leitung|"
    r"\w*(beauftragte|koordinator|koordinatorin|berater|beraterin|fachkräfte?|manager\w*|"
    r"leiter|leiterin|team))\b",
    re.IGNORECASE,
)
DEFINITION = re.compile(
    r"\b(ist|sind)\s+(ein|eine|einer|der|die|das|kein|keine)\b|\bbezeichnet\b|\bbedeutet\b|"
    r"\bversteht\s+man\b|\bgemeint\s+ist\b|\bersetzt\b|\bheißt\b|\bdient\s+dazu\b|"
    r"\bwird\s+\w*\s*(erstellt|definiert)\b|:\s*$",
    re.IGNORECASE,
)
AGREEMENT = re.compile(
    r"\b(vereinbar\w*|beschl\w*|beschlie\w*|verständig\w*|einig\w*|verabred\w*|festgelegt|"
    r"übernimm\w*|übernehmen|erstell\w*\s+bis|bis\s+zu[mr]|arbeitsgruppe|entwickel\w*|"
    r"soll(en)?|werden\s+\w+\s+(prüfen|vorlegen|erarbeiten))\b",
    re.IGNORECASE,
)
AGREEMENT_SECTION = re.compile(
    r"vereinbar|beschl|ergebnis|verabred|nächste\s+schritte|absprachen", re.IGNORECASE
)
LOGISTICS = re.compile(
    r"\b(nächste[n]?\s+(sitzung|treffen|ringtreffen)|sitzung\s+\w*\s*findet|findet\s+am\b|"
    r"findet\s+.{0,80}\bstatt\b|tagesordnung|präsentationen?\s+(werden|wird)|"
    r"(werden|wird)\s+\w*\s*(bereitgestellt|versandt|verschickt|zur\s+verfügung\s+gestellt)|"
    r"begrüßt\w*|begrüßung|protokoll\s+(wird|der\s+letzten)|teilnehmende|teilnehmerliste|"
    r"herbsttagung|einladung|anmeldung\s+zur)\b",
    re.IGNORECASE,
)
LOGISTICS_QUESTION = re.compile(
    r"\b(sitzung|treffen|tagung|termin|einladung|tagesordnung|präsentation|teilnehm)\w*",
    re.IGNORECASE,
)
PROBLEM = re.compile(
    r"\b(problem\w*|herausforderung\w*|schwierig\w*|hürde\w*|fehlte\w*|fehlen\w*|"
    r"wussten\s+(aber\s+)?nicht|mangel\w*|kritik\w*|beklagt\w*)\b",
    re.IGNORECASE,
)


DEFINITION_SUBJECT = re.compile(
    r"^\s*(?:was\s+(?:genau\s+)?(?:ist|sind|bedeutet|bedeuten|heißt|meint)|"
    r"was\s+versteht\s+man\s+unter|wofür\s+steht)\s+"
    r"(?:(?:ein|eine|einer|einem|einen|der|die|das|dem|den|des)\s+)?"
    r"[„\"']?(?P<subject>[^?,;„“\"']+?)[“\"']?\s*(?:\?|,|;|$)",
    re.IGNORECASE,
)
SUBJECT_WORDS = 5
_ARTICLE = r"(?:(?:der|die|das|dem|den|des|ein|eine|einer|einem|einen)\s+)?"
_PARENTHESIS = r"[“\"']?\s*(?:\([^)]{0,80}\)\s*)?"


def definition_subject(question: str) -> str | None:
    """What a definition question asks about: "Was ist ein Kooperationsplan?" → Kooperationsplan.

    "Was ist X?", "Was sind X?", "Was bedeutet X?", "Was heißt X?", "Was versteht man unter
    X?", "Wofür steht X?", with or without an article; None for any other question.
    """
    match = DEFINITION_SUBJECT.search(question)
    if match is None:
        return None
    words = match.group("subject").split()
    return " ".join(words[:SUBJECT_WORDS]) if words else None


def defines(subject: str, text: str) -> bool:
    """True when the sentence says what `subject` is.

    "X ist/sind ein …", "X bezeichnet/bedeutet/meint/heißt/umfasst/ersetzt …", "X (§ 15 SGB II)
    ersetzt …", "Unter X versteht man …", "Als X gilt/wird …", "… ersetzt der X …", "… nennt man
    X". `subject` matches as a whole word with a case or plural ending ("Kooperationsplans").
    """
    words = [re.escape(word) for word in subject.split()]
    term = r"[„\"']?" + r"\s+".join(words) + r"(?:s|es|n|en|e)?(?!\w)"
    patterns = (
        rf"(?<!\w){term}{_PARENTHESIS}(?:ist|sind|bezeichnet|bedeutet|meint|heißt|umfasst|"
        rf"beschreibt|ersetzt|ersetzen|dient|dienen|steht\s+für)\b",
        rf"\bunter\s+{_ARTICLE}(?:\w+\s+)?{term}{_PARENTHESIS}(?:versteht|verstehen)\b",
        rf"\bals\s+{_ARTICLE}{term}{_PARENTHESIS}(?:gilt|gelten|wird|werden|bezeichnet)\b",
        rf"\b(?:ersetzt|ersetzen|nennt\s+man|bezeichnet\s+man\s+als)\s+{_ARTICLE}{term}",
    )
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in patterns)


def question_kind(question: str) -> QuestionKind:
    """The kind of answer the question asks for (the composer's two shapes first)."""
    if AGREEMENT_QUESTION.search(question):
        return "agreement"
    if PRACTICE_QUESTION.search(question):
        return "practice"
    if DATE_QUESTION.search(question):
        return "date"
    if NUMBER_QUESTION.search(question):
        return "number"
    if WHO_QUESTION.search(question):
        return "who"
    if DEFINITION_QUESTION.search(question):
        return "definition"
    return "other"


def has_date(text: str) -> bool:
    """A day, a month with year or a year."""
    return bool(
        DAY_MONTH_NAME_YEAR.search(text)
        or DAY_MONTH_YEAR.search(text)
        or MONTH_NAME_YEAR.search(text)
        or YEAR.search(text)
    )


def has_number(text: str) -> bool:
    """A figure other than a year alone, or a number word."""
    figures = [m.group() for m in NUMBER.finditer(text) if not YEAR.fullmatch(m.group().strip())]
    return bool(figures) or bool(NUMBER_WORD.search(text))


def offers(kind: QuestionKind, text: str) -> bool:
    """True when the sentence holds what a question of `kind` asks for."""
    if kind == "date":
        return has_date(text)
    if kind == "number":
        return has_number(text)
    if kind == "who":
        return bool(ORGANISATION.search(text))
    if kind == "definition":
        return bool(DEFINITION.search(text))
    if kind == "agreement":
        return bool(AGREEMENT.search(text))
    return False


def is_logistics(text: str) -> bool:
    """A sentence about the meeting itself: dates, places, agenda, slides, greetings."""
    return bool(LOGISTICS.search(text))
