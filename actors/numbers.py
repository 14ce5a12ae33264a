"""Eating-disorder numbers: finding weights, BMI, calories, clothing sizes and exercise amounts
in a text, and showing that text to a reader with them masked or hidden.

People recovering from an eating disorder compare numbers, and a number read in a peer's post
can pull them back. A subnet's `numbers` setting (published in its Group document, so every
node renders a post the same way) says what a reader sees: `shown`, `masked` (a placeholder the
reader may open) or `hidden` (the number never reaches the reader).

How it finds them: precompiled regular expressions over UK English, each a number (digits such
as "52.5", "1,200", "8½", "20k", or words such as "eight" and "twelve hundred") beside a unit
("kg", "st", "lbs", "cals", "km", "steps") or after a context word ("BMI of", "weigh", "size",
"UK", "burned"). A few rules then look at the words around the match: "pounds" is a weight only
near "weigh", "lost", "gained"… (else it is money); "minutes" and "hours" are exercise only in a
sentence about the gym, running, walking…; "1st" and "21st" are dates, not stones; steps count
from 500 up ("the 12 steps" is a programme). Dates, times, phone numbers, money and ordinary
counts ("3 kids", "2 weeks", "room 5", "bus 42") match no pattern.

Limits: the detector judges words, not intent, so a baby's weigh-in is a weight here too (the
subnet's setting decides whether weights are masked at all); numbers written only in words
beyond the hundreds, and units misspelled past the usual short forms, are missed.

No library does this job: quantity extractors (quantulum3 and the like) know SI units but not
"8st 4", "uk 8", "cals" or BMI, and are far too slow to run every time a page is rendered.
`find` takes well under a millisecond for a typical post (`bench/number_masking.py` prints figures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Setting = Literal["shown", "masked", "hidden"]
SETTINGS: tuple[Setting, ...] = ("shown", "masked", "hidden")
DEFAULT: Setting = "shown"
HIDDEN_TEXT = "[number hidden]"


class Kind(StrEnum):
    WEIGHT = "weight"
    BMI = "bmi"
    CALORIES = "calories"
    SIZE = "size"
    EXERCISE = "exercise"


@dataclass(frozen=True, slots=True)
class Span:
    """Characters `start:end` of the text are a number (and its unit, if written after it)."""

    start: int
    end: int
    kind: Kind


@dataclass(frozen=True, slots=True)
class Part:
    """A piece of a text as a reader sees it: `masked` parts are shown only when asked for."""

    text: str
    masked: bool = False
    kind: Kind | None = None


# --- building blocks -------------------------------------------------------------------------

_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty "
    "ninety hundred thousand"
).split()
_WORD = "(?:" + "|".join(sorted(_WORDS, key=len, reverse=True)) + ")"
_WORD_NUMBER = rf"\b{_WORD}(?:(?:\s+and\s+|[\s-]+){_WORD})*\b"
# Not part of a longer token: no letter, digit, currency sign or slash just before, and no
# "10:" or "10." (so neither half of "10:30" or "10.30", nor "£20", "A4", "5/6").
_EDGE = r"(?<![\w/£$€#+])(?<!\d[.,:])"
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?[½¼¾]?(?:\s?k\b)?(?![\d:/]|[.,]\d)"
# The lookaheads let the scan skip most positions at once (it runs over every text rendered).
_NUM = rf"(?:(?=\d){_EDGE}{_DIGITS}|(?=[zotfsenh]){_WORD_NUMBER})(?:\s+and\s+a\s+half)?"
_SMALL = r"\d{1,2}(?:\.\d+)?[½¼¾]?(?![\d:/]|[.,]\d)"
_NUMBER = re.compile(rf"{_NUM}(?:\s*(?:-|–|to|or)\s*{_NUM})?", re.IGNORECASE)
"""A candidate: a number or a range of numbers ("8-9", "50 to 45"). Every rule starts here."""

# After a context word, the number must not be a duration, an age, a time or a count of people.
_COUNT_AFTER = re.compile(
    r"\s*(?:%|years?|yrs?|y/?o\b|months?|weeks?|days?|nights?|times?|hours?|hrs?|minutes?|"
    r"mins?|seconds?|secs?|o'?clock|[ap]\.?m\b|people|kids|children|members|posts)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?\n]")
_WINDOW = 48
_WEIGHT_CONTEXT = re.compile(
    r"\b(?:weigh\w*|lost|lose|losing|loss|gain\w*|put\s+on|piled\s+on|heavier|lighter|"
    r"scales?|stone|kg|bmi|cw|gw|ugw|hw|lw)\b",
    re.IGNORECASE,
)
_WEIGHT_CHANGE = re.compile(r"\b(?:weigh\w*|lost|lose|losing|gain\w*|put\s+on|piled\s+on)\b", re.I)
_WEIGHT_AFTER = re.compile(
    r"\s*(?:heavier|lighter|over|under|on\s+the\s+scales|of\s+weight)\b", re.IGNORECASE
)
_EXERCISE_CONTEXT = re.compile(
    r"\b(?:treadmill|gym|run|runs|ran|running|jog\w*|walk\w*|hike|hiking|swim\w*|swam|"
    r"cycl\w*|bike|biking|spin|spinning|exercis\w*|workouts?|work(?:ed|ing)?\s+out|cardio|hiit|"
    r"yoga|pilates|cross[\s-]?trainer|elliptical|rowing|rower|rowed|stepper|skipping|zumba|"
    r"aerobics|laps|lengths|training|fitness|steps)\b",
    re.IGNORECASE,
)
_TRAVEL_AFTER = re.compile(
    r"\s*(?:away|from|each\s+way|drive|driving|by\s+(?:car|train|bus)|on\s+the\s+"
    r"(?:bus|train|motorway))\b",
    re.IGNORECASE,
)
_TRAVEL_BEFORE = re.compile(r"\b(?:drove|drive|driving|commute\w*|travel\w*|flew)\b", re.I)
_EAT_TAIL = re.compile(
    r"\s*(?:$|[.,;!?)]|today|yesterday|tonight|a\s+day|per\s+day|each\s+day|a\s+week|"
    r"max\b|tops\b|or\s+(?:less|under|so)|ish\b|and\b|but\b|so\b|then\b)",
    re.IGNORECASE,
)
_ORDINAL_ONE = re.compile(r"(?<!1)1$")
_SIZE_NUMBER = re.compile(r"(?:\d{1,2}|zero)(?:\s?(?:-|–|to|or)\s?\d{1,2})?", re.IGNORECASE)
_VALUE = re.compile(r"\s*([\d,]+(?:\.\d+)?)([½¼¾])?(\s?k)?", re.IGNORECASE)


def _filler(words: str) -> str:
    """Any run of `words` (a regex alternation), "'s" and ':', '=', '-' between a context word
    and its number: "BMI of about 15", "weight: 52", "my BMI's 15"."""
    return rf"(?:\s*(?:[:=–-]|['’]s\b|(?:{words})\b))*"


# Words between a measure and its number in a statement: "my weight went from 60 to 48",
# "BMI is now just under 16", "calories today: 800".
_STATEMENT = _filler(
    r"is|was|has|had|now|still|at|about|around|just|only|under|over|below|above|nearly|almost|"
    r"exactly|like|maybe|of|less\s+than|more\s+than|went|gone|got|from|down|up|to|dropped|"
    r"back|score|today|yesterday|this\s+(?:morning|week)"
)


def _clause_before(text: str, start: int) -> str:
    """Up to `_WINDOW` characters before `start`, cut at the sentence's beginning."""
    window = text[max(0, start - _WINDOW) : start]
    ends = list(_SENTENCE_END.finditer(window))
    return window[ends[-1].end() :] if ends else window


def _clause_after(text: str, end: int) -> str:
    window = text[end : end + _WINDOW]
    stop = _SENTENCE_END.search(window)
    return window[: stop.start()] if stop else window


def _value(number: str) -> float | None:
    """The value of a number as written in digits ("1,200", "20k", "8½"); None for words."""
    match = _VALUE.match(number)
    if match is None:
        return None
    value = float(match.group(1).replace(",", ""))
    value += {"½": 0.5, "¼": 0.25, "¾": 0.75}.get(match.group(2) or "", 0.0)
    return value * 1000 if match.group(3) else value


# --- rules ---------------------------------------------------------------------------------------
# Each candidate number is tried against every rule: `before` must match the text just before it
# (from its cue word up to the number: the pattern ends in `$`), `after` the text just after it;
# then `accept` looks at the words around. The span is the number, or with `through` the number
# and what `after` matched (its unit). `counts` off refuses a number followed by "years",
# "days", "people"…


@dataclass(frozen=True, slots=True)
class _Seen:
    """A candidate number in its text, and what a rule's `after` pattern matched."""

    text: str
    start: int
    end: int
    after: re.Match[str] | None

    @property
    def number(self) -> str:
        return self.text[self.start : self.end]


Accept = Callable[[_Seen], bool]


def _always(_seen: _Seen) -> bool:
    return True


def _stones(seen: _Seen) -> bool:
    """'1st', '21st' are dates unless pounds follow or the sentence is about weight; a
    capitalised 'St' after a space is a street or a saint ('10 St John's Road')."""
    after = seen.after
    assert after is not None
    if after.group("unit") == "St" and after.group("gap"):
        return False
    if after.group("unit").lower() == "st" and not after.group("gap") and not after.group("lbs"):
        if _ORDINAL_ONE.search(seen.number):
            return bool(_WEIGHT_CONTEXT.search(_clause_before(seen.text, seen.start)))
    return True


def _pounds(seen: _Seen) -> bool:
    """'Pounds' is money unless the sentence speaks of weight."""
    assert seen.after is not None
    return bool(
        _WEIGHT_CHANGE.search(_clause_before(seen.text, seen.start))
        or _WEIGHT_AFTER.match(seen.text, seen.after.end())
    )


def _distance(seen: _Seen) -> bool:
    """A distance travelled by car, bus or train, or how far away a place is, is not exercise."""
    assert seen.after is not None
    return not _TRAVEL_AFTER.match(seen.text, seen.after.end()) and not _TRAVEL_BEFORE.search(
        _clause_before(seen.text, seen.start)
    )


def _duration(seen: _Seen) -> bool:
    """Minutes and hours are exercise only in a sentence about exercise."""
    assert seen.after is not None
    around = (
        _clause_before(seen.text, seen.start) + " " + _clause_after(seen.text, seen.after.end())
    )
    return bool(_EXERCISE_CONTEXT.search(around))


def _measure(seen: _Seen) -> bool:
    """'28 waist', '24 inch waist'; not '2 hip replacements'."""
    assert seen.after is not None
    value = _value(seen.number)
    return bool(seen.after.group("unit")) or (value is not None and value >= 20)


def _many_steps(seen: _Seen) -> bool:
    """Steps are exercise from 500 up; "the 12 steps" is a programme."""
    value = _value(seen.number)
    return (value is not None and value >= 500) or "thousand" in seen.number.lower()


def _burned(seen: _Seen) -> bool:
    value = _value(seen.number)
    return value is None or value >= 50


def _eaten(seen: _Seen) -> bool:
    """'ate about 600 today': calories without the word; not a year, nor "ate 3 biscuits"."""
    value = _value(seen.number)
    if value is None or value < 100 or (1900 <= value <= 2099 and "," not in seen.number):
        return False
    return bool(_EAT_TAIL.match(seen.text, seen.end))


def _clothing_size(seen: _Seen) -> bool:
    return _SIZE_NUMBER.fullmatch(seen.number) is not None


def _thousands(seen: _Seen) -> bool:
    """'10k' as a race: the number must be written with k."""
    return seen.number.lower().endswith("k")


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: Kind
    cue: str = ""
    before: re.Pattern[str] | None = None
    after: re.Pattern[str] | None = None
    through: bool = True
    accept: Accept = _always
    counts: bool = True


def _re(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_RULES: tuple[_Rule, ...] = (
    # Weights
    _Rule(
        Kind.WEIGHT,
        after=_re(
            r"(?P<gap>\s?)(?P<unit>stones?|st)\b"
            rf"(?P<lbs>\s*(?:and\s+)?{_SMALL}\s?(?:lbs?|pounds?|oz)?\b)?"
        ),
        accept=_stones,
    ),
    _Rule(Kind.WEIGHT, after=_re(r"\s?(?:kgs?|kilos?|kilo's|kilograms?|kilogrammes?)\b")),
    _Rule(Kind.WEIGHT, after=_re(rf"\s?lbs?\b(?:\s?{_SMALL}\s?oz\b)?")),
    _Rule(Kind.WEIGHT, after=_re(r"\s?pounds?\b"), accept=_pounds),
    _Rule(Kind.WEIGHT, after=_re(r"\s?%\s?(?:body\s?fat|bf)\b")),
    _Rule(
        Kind.WEIGHT,
        cue="weigh",
        before=_re(r"\bweigh(?:s|ed|ing|t)?\b(?:\s+in)?" + _STATEMENT + r"\s*$"),
        counts=False,
    ),
    _Rule(Kind.WEIGHT, "goal", _re(r"\b(?:u?gw|cw|hw|lw)\s?[:=]\s?$"), counts=False),
    _Rule(Kind.WEIGHT, "goal", _re(r"\b(?:UGW|GW|CW|HW|LW)\s$", 0), counts=False),
    # BMI
    _Rule(
        Kind.BMI,
        cue="bmi",
        before=_re(r"\bbmi\b" + _STATEMENT + r"\s*$"),
        counts=False,
    ),
    _Rule(Kind.BMI, after=_re(r"\s+bmi\b"), through=False),
    # Calories
    _Rule(Kind.CALORIES, after=_re(r"\s?(?:k?cals?|kcals?|calories|calorie|kilocalories)\b")),
    _Rule(
        Kind.CALORIES,
        cue="calories",
        before=_re(r"\b(?:k?cals?|calories|calorie)\b" + _STATEMENT + r"\s*$"),
        counts=False,
    ),
    _Rule(
        Kind.CALORIES,
        cue="burn",
        before=_re(
            r"\bburn(?:s|ed|t|ing)?\s+(?:off\s+)?(?:about\s+|around\s+|over\s+|at\s+least\s+)?$"
        ),
        accept=_burned,
        counts=False,
    ),
    _Rule(
        Kind.CALORIES,
        cue="eat",
        before=_re(
            r"\b(?:ate|eat|eats|eating|eaten|intake|allowance)\b"
            + _filler(
                r"is|was|only|just|about|around|under|less\s+than|no\s+more\s+than|maybe|"
                r"like|over"
            )
            + r"\s*$"
        ),
        accept=_eaten,
        counts=False,
    ),
    # Clothing sizes and body measurements
    _Rule(
        Kind.SIZE,
        cue="size",
        before=_re(r"(?<!shoe )(?<!font )(?<!batch )\bsize\s?$"),
        accept=_clothing_size,
        counts=False,
    ),
    _Rule(Kind.SIZE, "uk", _re(r"\buk\s?(?:size\s?)?$"), accept=_clothing_size, counts=False),
    _Rule(
        Kind.SIZE,
        cue="age",
        before=_re(r"\bage\s$"),
        after=_re(r"(?=\s(?:clothes|jeans|trousers|tops?|dress(?:es)?|leggings|section)\b)"),
    ),
    _Rule(
        Kind.SIZE,
        after=_re(r"\s?(?P<unit>inch(?:es)?|in|cm|\"|”|'')?\s?(?:waist|hips?|thighs?|bust)\b"),
        accept=_measure,
    ),
    _Rule(
        Kind.SIZE,
        cue="body",
        before=_re(
            r"\b(?:waist|hips|thighs?|bust)\b" + _filler(r"is|was|of|now|measur\w+") + r"\s*$"
        ),
        after=_re(r"(?:\s?(?:inch(?:es)?|in|cm|\"|”))?"),
        counts=False,
    ),
    # Exercise
    _Rule(Kind.EXERCISE, after=_re(r"\s?steps\b"), accept=_many_steps),
    _Rule(
        Kind.EXERCISE,
        cue="steps",
        before=_re(r"\bsteps\b" + _STATEMENT + r"\s*$"),
        accept=_many_steps,
        counts=False,
    ),
    _Rule(
        Kind.EXERCISE,
        after=_re(r"\s?(?:km|kms|kilomet(?:re|er)s?|miles?)\b(?!/)"),
        accept=_distance,
    ),
    _Rule(
        Kind.EXERCISE,
        after=_re(r"(?=\s+(?:fun\s+)?(?:run|race|jog|walk)\b)"),
        through=False,
        accept=_thousands,
    ),
    _Rule(
        Kind.EXERCISE,
        cue="ran",
        before=_re(
            r"\b(?:ran|run|running|jogged|jog|walked|walk|did|do|doing|done)\s+"
            r"(?:a\s+|another\s+|my\s+|the\s+|an\s+extra\s+)?$"
        ),
        after=_re(r"(?!\s?(?:steps|salary|followers))"),
        through=False,
        accept=_thousands,
    ),
    _Rule(Kind.EXERCISE, after=_re(r"\s?(?:mins?|minutes?|hrs?|hours?)\b"), accept=_duration),
    _Rule(
        Kind.EXERCISE,
        after=_re(
            r"\s?(?:sit[\s-]?ups?|crunch(?:es)?|squats?|burpees?|push[\s-]?ups?|press[\s-]?ups?|"
            r"star\s?jumps?|jumping\s?jacks?|lunges?|laps?|lengths?|reps)\b"
        ),
    ),
)


# The words a `before` pattern starts with, by the pattern's `cue`: one pass over the words of
# a text says where a `before` pattern can start at all.
_CUE_WORDS: dict[str, str] = {
    word: cue
    for cue, words in {
        "weigh": "weigh weighs weighed weighing weight",
        "goal": "ugw gw cw hw lw",
        "bmi": "bmi",
        "calories": "cal cals kcal kcals calorie calories",
        "steps": "steps",
        "burn": "burn burns burned burnt burning",
        "eat": "ate eat eats eating eaten intake allowance",
        "size": "size",
        "uk": "uk",
        "age": "age",
        "body": "waist hips thigh thighs bust",
        "ran": "ran run running jogged jog walked walk did do doing done",
    }.items()
    for word in words.split()
}
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _trimmed(text: str, start: int, end: int) -> int:
    """`end`, moved back over any spaces a pattern took after the number or unit."""
    piece = text[start:end]
    return end - (len(piece) - len(piece.rstrip()))


# Any unit a rule without a `before` pattern looks for: most numbers in a text ("3 kids") are
# followed by none and have no cue word before them, and are passed over with one regex call.
_ANY_UNIT = re.compile(
    "|".join(
        re.sub(r"\(\?P<\w+>", "(?:", rule.after.pattern)
        for rule in _RULES
        if rule.before is None and rule.after is not None
    ),
    re.IGNORECASE,
)


def _spans_of(text: str, start: int, end: int, cues: list[tuple[str, int]]) -> list[Span]:
    """What every rule makes of the candidate number `text[start:end]`; `cues` are where the
    words of `_CUE_WORDS` start in the text, so a `before` pattern is tried only from those."""
    near = [(name, at) for name, at in cues if start - _WINDOW <= at < start]
    if not near and _ANY_UNIT.match(text, end) is None:
        return []
    spans = []
    for rule in _RULES:
        after = rule.after.match(text, end) if rule.after is not None else None
        if rule.after is not None and after is None:
            continue
        if rule.before is not None and not any(
            name == rule.cue and rule.before.match(text, at, start) for name, at in near
        ):
            continue
        if not rule.counts and _COUNT_AFTER.match(text, end):
            continue
        if not rule.accept(_Seen(text, start, end, after)):
            continue
        stop = after.end() if after is not None and rule.through else end
        spans.append(Span(start, _trimmed(text, start, stop), rule.kind))
    return spans


# --- the contract ------------------------------------------------------------------------------


def find(text: str) -> list[Span]:
    """Every eating-disorder number in `text`, in order, none overlapping (where two rules
    match the same characters, the longer match wins)."""
    found: list[Span] = []
    cues: list[tuple[str, int]] | None = None
    for candidate in _NUMBER.finditer(text):
        if cues is None:
            cues = [
                (cue, word.start())
                for word in _LATIN_WORD.finditer(text)
                if (cue := _CUE_WORDS.get(word.group().lower()))
            ]
        start, end = candidate.span()
        found.extend(_spans_of(text, start, _trimmed(text, start, end), cues))
    found.sort(key=lambda span: (span.start, span.start - span.end))
    spans: list[Span] = []
    for span in found:
        if spans and span.start < spans[-1].end:
            last = spans[-1]
            if span.end > last.end:  # overlapping rules: one span covering both
                spans[-1] = Span(last.start, span.end, last.kind)
            continue
        spans.append(span)
    return spans


def parts(text: str, setting: str) -> list[Part]:
    """`text` as a reader sees it under a subnet's `setting`: unchanged when numbers are shown;
    each number a `masked` part when masked; each number replaced by "[number hidden]" (and so
    never sent to the reader) when hidden. An unknown setting is treated as `masked`."""
    if setting == "shown":
        return [Part(text)]
    result: list[Part] = []
    at = 0
    for span in find(text):
        if span.start > at:
            result.append(Part(text[at : span.start]))
        number = text[span.start : span.end]
        result.append(
            Part(HIDDEN_TEXT, kind=span.kind)
            if setting == "hidden"
            else Part(number, masked=True, kind=span.kind)
        )
        at = span.end
    if at < len(text) or not result:
        result.append(Part(text[at:]))
    return result


def masked(text: str, placeholder: str = HIDDEN_TEXT) -> str:
    """`text` with every eating-disorder number replaced by `placeholder`."""
    return "".join(
        placeholder if part.kind is not None else part.text for part in parts(text, "hidden")
    )
