"""Phrases that must always escalate: a small, careful rule `Screener`.

The node screens with these rules until the trained model lands, and then with both
(`combine`): a rule can only raise a text's level, never lower it. Each rule is one regular
expression for one category, written for UK English as people type it: slang ("ctb",
"unalive", "kms", "sh"), text-speak, missing apostrophes and common misspellings. Rules are
for what must never be missed, so they lean towards escalating; the trained model is what
tells metaphor ("this exam will kill me") from intent. A few guards keep the commonest
metaphors and past-tense recovery talk out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from actors.screening import CATEGORIES, NOTHING, Screener, Screening, level_of
from actors.text import INVISIBLE

# Tolerant pieces: apostrophes optional or curly, common misspellings, "u" for "you".
_I = r"(?:i|im|i'm|i’m|ive|i've|i’ve|i'll|i’ll|ill|id|i'd|i’d)"
_MYSELF = r"(?:my ?self|meself|myslef|mysefl|my ?sef)"
_CANT = r"(?:can'?t|can’t|cant|cannot|can not)"
_TONIGHT = r"(?:to ?night|tonite|2nite|2night|today|tomorrow|tmrw|this weekend|now)"
_KILL = r"(?:kill|kil|end|hang|off|top)"

# (category, pattern). Patterns are matched case-insensitively against the text with runs of
# whitespace collapsed; `\b` keeps "ctb" from matching inside other words.
_RULES: tuple[tuple[str, str], ...] = (
    # Suicidal intent or plan, or saying goodbye.
    (
        "suicidal_intent",
        rf"\b(?:going to|gonna|gna|will|want(?:ing)? to|wanna|about to|"
        rf"plan(?:ning)? to|decided to|ready to|need to|trying to) ({_KILL}) {_MYSELF}\b",
    ),
    ("suicidal_intent", rf"\b{_KILL}(?:ing)? {_MYSELF} {_TONIGHT}\b"),
    ("suicidal_intent", r"\b(?:kms|kys myself|ctb|c\.t\.b|catch(?:ing)? the bus tonight)\b"),
    ("suicidal_intent", r"\bun-?aliv(?:e|ing) (?:my ?self|meself)\b"),
    (
        "suicidal_intent",
        r"\b(?:end|ending|finish|finishing) (?:it|it all|everything|my life)"
        r"(?: all)? (?:to ?night|tonite|2nite|today|tomorrow|this week(?:end)?|soon|now)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:want|wanna|going|gonna|ready|decided|plan(?:ning)?) to "
        r"(?:end|take) (?:it all|my (?:own )?life|my life)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:want|wanna|going|gonna) to (?:die|be dead) "
        r"(?:to ?night|tonite|2nite|today|now)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:this is|this'?ll be|this will be) my (?:last|final) "
        r"(?:post|message|night|day)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:writ(?:e|ing)|wrote|left) (?:a |my )?(?:suicide|goodbye) "
        r"(?:note|letter)s?\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:writ(?:e|ing)|wrote) (?:letters|notes) to my "
        r"(?:kids|children|family|mum|mam|dad|partner)\b",
    ),
    ("suicidal_intent", r"\bgoodbye (?:every ?one|all|guys|every1)\b"),
    (
        "suicidal_intent",
        rf"\b{_I} (?:have|'ve)? ?(?:decided|made up my mind)\b.{{0,40}}"
        r"\b(?:end|die|go|gone|not be here)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:suicide|suicidal) (?:plan|attempt) (?:to ?night|tonite|today|now)\b",
    ),
    (
        "suicidal_intent",
        r"\b(?:going to|gonna|gna|will|about to|plan(?:ning)? to|want to|wanna) "
        r"(?:take an? |do an? )?(?:od|overdose)\b",
    ),
    ("suicidal_intent", r"\bi(?:'?m| am) (?:actively )?suicidal\b"),
    (
        "suicidal_intent",
        rf"\b(?:won'?t|wont|will not) (?:be here|wake up|see) "
        rf"(?:to ?morrow|tmrw|in the morning|{_TONIGHT})\b",
    ),
    (
        "suicidal_intent",
        rf"\b{_CANT} do (?:this|it) any ?more\b.{{0,60}}"
        r"\b(?:end|die|over|goodbye|tonight|tonite)\b",
    ),
    # Current self-harm, or injuries needing care now.
    (
        "self_harm_current",
        r"\b(?:just|have just|i'?ve just|ive just) (?:cut|sh'?d|self[- ]?harmed|"
        r"hurt (?:my ?self|meself)|burn(?:ed|t) (?:my ?self|meself))\b",
    ),
    (
        "self_harm_current",
        r"\b(?:cutting|harming|hurting|burning) (?:my ?self|meself) "
        r"(?:right )?now\b",
    ),
    (
        "self_harm_current",
        r"\b(?:relapsed|sh'?d|self[- ]?harmed|cut) (?:again )?"
        r"(?:to ?night|tonite|2nite|today|just now|an hour ago)\b",
    ),
    ("self_harm_current", r"\b(?:won'?t|wont|will not|can'?t|cant) stop (?:the )?bleeding\b"),
    ("self_harm_current", r"\b(?:cuts?|wounds?) (?:are |is )?(?:deep|gaping|won'?t close)\b"),
    ("self_harm_current", r"\bneed (?:stitches|steri ?strips)\b"),
    (
        "self_harm_current",
        r"\b(?:i'?ve |ive |i have |just )(?:taken|took|done) (?:an? )?(?:od|overdose)\b",
    ),
    # Eating-disorder medical danger now.
    (
        "ed_medical_risk",
        r"\b(?:keep|kept|keeps|been|am|i'?m) (?:fainting|passing out|blacking out)\b",
    ),
    ("ed_medical_risk", r"\b(?:fainted|passed out|blacked out) (?:again|today|twice|at)\b"),
    ("ed_medical_risk", r"\bchest (?:pain|pains|hurts|is hurting|feels tight)\b"),
    (
        "ed_medical_risk",
        r"\b(?:heart|hart) (?:is )?(?:racing|pounding|skipping|fluttering|"
        r"doing (?:weird|funny) things)\b",
    ),
    ("ed_medical_risk", r"\bpalpitations?\b"),
    ("ed_medical_risk", r"\bblood (?:when|after|while) (?:i )?(?:purg|throw|threw|sick|vomit)"),
    ("ed_medical_risk", r"\b(?:purg(?:e|ing)|throwing up|being sick|vomiting).{0,30}\bblood\b"),
    (
        "ed_medical_risk",
        r"\b(?:can'?t|cant|cannot) keep (?:water|fluids|anything|any ?thing) down\b",
    ),
    (
        "ed_medical_risk",
        r"\bhaven'?t (?:eaten|ate|had anything to eat) (?:in|for) "
        r"(?:days|[3-9] days|a week|over a week)\b",
    ),
    (
        "ed_medical_risk",
        r"\b(?:really |so |very )?(?:confused|dizzy) and "
        r"(?:can'?t|cant) (?:stand|think|see)\b",
    ),
    # Safeguarding: current abuse or neglect of a child or adult at risk.
    (
        "safeguarding",
        r"\b(?:he|she|they|my (?:dad|mum|mam|step ?dad|step ?mum|partner|husband|"
        r"wife|boyfriend|girlfriend|brother|uncle|carer)) (?:hits|hit|beats|beat|hurts|touches|"
        r"touched|chokes|choked|strangled|kicks|kicked) me\b",
    ),
    ("safeguarding", r"\b(?:scared|afraid|frightened|terrified) to go home\b"),
    ("safeguarding", r"\b(?:not|don'?t feel|dont feel) safe (?:at home|in my house|at my house)\b"),
    ("safeguarding", r"\b(?:being|been) (?:abused|hit|beaten|touched|raped) (?:at home|by)\b"),
    ("safeguarding", r"\blocks? me (?:in|out)\b"),
    # Perinatal risk to mother or baby.
    (
        "perinatal_risk",
        r"\b(?:thoughts? of|thinking about|want to|wanna|urge to|going to) "
        r"(?:hurt|hurting|harm|harming|shake|shaking|smother|smothering|drown|drowning) "
        r"(?:the|my) (?:baby|newborn|little one|son|daughter)\b",
    ),
    (
        "perinatal_risk",
        r"\b(?:baby|babies|kids|children) (?:would be|are|is|will be) better off "
        r"without me\b",
    ),
    ("perinatal_risk", r"\b(?:the )?baby (?:isn'?t|is not) (?:mine|my baby|real)\b"),
    (
        "perinatal_risk",
        r"\b(?:voices?|someone) (?:telling|tell|told) me to (?:hurt|harm) "
        r"(?:the|my) baby\b",
    ),
    # Harm to others.
    (
        "harm_to_others",
        r"\b(?:going to|gonna|will|want to|wanna|plan(?:ning)? to) "
        r"(?:kill|stab|hurt|batter|attack) (?:him|her|them|my (?:dad|mum|mam|partner|husband|wife|"
        r"boss|brother|sister|neighbour)|that (?:man|woman|guy|girl|lad))\b"
        r"(?!.{0,20}\b(?:lol|haha|jk|if (?:they|he|she) (?:eat|take|finish))\b)",
    ),
    # Self-harm urges, not acted on.
    (
        "self_harm_urges",
        r"\b(?:urges?|urging|want(?:ing)?|wanna|tempted|craving) (?:to )?"
        r"(?:sh|self[- ]?harm|cut|hurt (?:my ?self|meself))\b",
    ),
    ("self_harm_urges", r"\b(?:fighting|resisting|battling) (?:the )?(?:urge|urges)\b"),
    ("self_harm_urges", r"\b(?:the )?(?:sh|self[- ]?harm|cutting) urges?\b"),
    # Passive ideation, without intent or plan.
    (
        "passive_ideation",
        r"\b(?:wish|wishing) (?:i|id|i'd) (?:could )?(?:just )?"
        r"(?:disappear|not wake up|never wake up|was dead|were dead|wasn'?t here|"
        r"wasn'?t born|hadn'?t been born|could sleep for ever|could sleep forever)\b",
    ),
    (
        "passive_ideation",
        r"\b(?:don'?t|dont|do not) want to (?:be here|exist|wake up|be alive)"
        r"(?: any ?more)?\b",
    ),
    (
        "passive_ideation",
        r"\b(?:what'?s|whats|what is) the point (?:of me|in me|of living|"
        r"of being alive|of anything|any ?more)\b",
    ),
    ("passive_ideation", rf"\b{_CANT} (?:see|find) (?:a|any) (?:way out|point|future)\b"),
    (
        "passive_ideation",
        r"\b(?:every ?one|everybody|they|family|world) (?:would be|is|'?d be) "
        r"better off without me\b",
    ),
    ("passive_ideation", rf"\b{_CANT} (?:do|go on|cope with) (?:this|it|life) any ?more\b"),
    ("passive_ideation", r"\b(?:tired|sick) of (?:being alive|living|existing)\b"),
    ("passive_ideation", r"\b(?:suicidal thoughts|thoughts of suicide|feeling suicidal)\b"),
    ("passive_ideation", r"\bun-?alive\b"),
    (
        "passive_ideation",
        r"\b(?:i )?(?:just )?(?:want|wanna) to die\b|\bbetter off dead\b|"
        r"\bno (?:reason|point) (?:to|in) (?:live|living|go on|going on)\b|"
        r"\b(?:don'?t|dont) want to (?:live|go on)\b",
    ),
    ("passive_ideation", r"\b(?:suicidle|sucidal|suicdal|suicidel|suisidal)\b"),
    # Pro-eating-disorder encouragement.
    ("pro_ed", r"\b(?:ana|mia) (?:buddy|buddies|coach|tips?|sister|sisters)\b"),
    ("pro_ed", r"\b(?:thinspo|thinspiration|meanspo|bonespo|fitspo|pro-?ana|pro-?mia)\b"),
    (
        "pro_ed",
        r"\b(?:tips?|tricks?|how) (?:to|for) (?:hide|hiding) (?:not eating|"
        r"(?:my|your) (?:food|eating|weight)|purging)\b",
    ),
    # Weight, calorie, BMI and exercise numbers (`ed_numbers`) are left to the trained model:
    # outside an eating-disorder context they are ordinary (a baby's weigh-in, a charity 10k).
)

# Guards: a match inside one of these is not counted (metaphor, quotes, recovery talk).
_GUARDS: tuple[str, ...] = (
    r"\b(?:exam|exams|essay|homework|work|boss|job|traffic|this heat|these shoes|my feet|"
    r"the kids|that film|the ending) (?:will|is going to|is gonna|gonna) (?:kill|end) me\b",
    r"\bcould (?:murder|kill) (?:a|for a) (?:cuppa|brew|tea|coffee|pint|pizza|burger)\b",
    r"\b(?:years?|months?) (?:ago|clean)\b",
)


@dataclass(frozen=True)
class Rule:
    category: str
    pattern: re.Pattern[str]


def compile_rules(rules: Iterable[tuple[str, str]] = _RULES) -> tuple[Rule, ...]:
    """Compile (category, pattern) pairs; an unknown category is a programming error."""
    compiled = []
    for category, pattern in rules:
        if category not in CATEGORIES:
            raise ValueError(f"unknown screening category {category!r}")
        compiled.append(Rule(category, re.compile(pattern, re.IGNORECASE)))
    return tuple(compiled)


def _normalised(text: str) -> str:
    """Text as a reader sees it: compatibility forms folded (fullwidth and "bold" letters),
    invisible characters inside words dropped ("my\u200dself" reads as "myself")."""
    text = "".join(
        char
        for char in unicodedata.normalize("NFKC", text)
        if char not in INVISIBLE and unicodedata.category(char) != "Cf"
    )
    text = text.replace("’", "'").replace("‘", "'")
    return " ".join(text.lower().split())


class RuleScreener:
    """A `Screener` of phrases that must always escalate. Score: 1.0 for an urgent match,
    0.7 for a concern match, 0 otherwise (rules are certain or silent)."""

    def __init__(
        self,
        rules: Iterable[tuple[str, str]] = _RULES,
        guards: Iterable[str] = _GUARDS,
    ) -> None:
        self.rules = compile_rules(rules)
        self.guards = tuple(re.compile(guard, re.IGNORECASE) for guard in guards)

    def screen(self, text: str) -> Screening:
        text = _normalised(text)
        for guard in self.guards:
            text = guard.sub(" ", text)
        found = [rule.category for rule in self.rules if rule.pattern.search(text)]
        categories = tuple(c for c in CATEGORIES if c in found)
        level = level_of(categories)
        if level == "none":
            return NOTHING
        return Screening(level, categories, 1.0 if level == "urgent" else 0.7)


_RANK = {"none": 0, "concern": 1, "urgent": 2}


@dataclass(frozen=True)
class Combined:
    """Several screeners as one: the highest level and score, the union of categories."""

    screeners: tuple[Screener, ...]

    def screen(self, text: str) -> Screening:
        results = [screener.screen(text) for screener in self.screeners]
        if not results:
            return NOTHING
        found = {c for result in results for c in result.categories}
        level = max((result.level for result in results), key=_RANK.__getitem__)
        return Screening(
            level,
            tuple(c for c in CATEGORIES if c in found),
            max(result.score for result in results),
        )


def combine(*screeners: Screener) -> Screener:
    """One screener from several (e.g. the trained model and these rules)."""
    return Combined(tuple(screeners))
