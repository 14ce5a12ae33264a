"""The eating-disorder number detector, as a table: what a reader would see masked, and what
stays as written (dates, times, phone numbers, money, ordinary counts)."""

from __future__ import annotations

import pytest

from actors.numbers import HIDDEN_TEXT, Kind, Part, find, masked, parts

W, B, C, S, E = Kind.WEIGHT, Kind.BMI, Kind.CALORIES, Kind.SIZE, Kind.EXERCISE

# (text, [(the characters masked, kind), ...])
MASKED: list[tuple[str, list[tuple[str, Kind]]]] = [
    # weights
    ("I'm 8st 4 now", [("8st 4", W)]),
    ("down to 8 stone 4lb this week", [("8 stone 4lb", W)]),
    ("8 stone 4 lbs", [("8 stone 4 lbs", W)]),
    ("I was 9st", [("9st", W)]),
    ("eight stone and falling", [("eight stone", W)]),
    ("I weigh 7 and a half stone", [("7 and a half stone", W)]),
    ("between 8-9 stone", [("8-9 stone", W)]),
    ("8½ stone", [("8½ stone", W)]),
    ("weighed 11st on Monday", [("11st", W)]),
    ("52kg", [("52kg", W)]),
    ("52.5 kilos", [("52.5 kilos", W)]),
    ("she's 45 kg", [("45 kg", W)]),
    ("lost 3lbs", [("3lbs", W)]),
    ("gained 2 lb", [("2 lb", W)]),
    ("lost 20 pounds since January", [("20 pounds", W)]),
    ("I weigh 52", [("52", W)]),
    ("my weight: 48.2", [("48.2", W)]),
    ("my weight is about 50", [("50", W)]),
    ("CW: 50, GW: 45", [("50", W), ("45", W)]),
    ("UGW 42 then", [("42", W)]),
    ("my weight went from 60 to 48", [("60 to 48", W)]),
    ("weight has dropped to 45", [("45", W)]),
    ("18% body fat", [("18% body fat", W)]),
    # BMI
    ("bmi 16", [("16", B)]),
    ("BMI of 15.8", [("15.8", B)]),
    ("My BMI is now 17", [("17", B)]),
    ("bmi: 14.5", [("14.5", B)]),
    ("my BMI's 15", [("15", B)]),
    ("they said a 16 bmi is too low", [("16", B)]),
    # calories
    ("1200 cals", [("1200 cals", C)]),
    ("500kcal", [("500kcal", C)]),
    ("no more than 1,200 calories", [("1,200 calories", C)]),
    ("five hundred calories", [("five hundred calories", C)]),
    ("burned 400 at the gym", [("400", C)]),
    ("I only ate 600 today", [("600", C)]),
    ("my intake is 900.", [("900", C)]),
    ("Calories today: 800", [("800", C)]),
    # clothing sizes and measurements
    ("size 6", [("6", S)]),
    ("a size 8-10 dress", [("8-10", S)]),
    ("size zero", [("zero", S)]),
    ("uk 8", [("8", S)]),
    ("UK size 10 jeans", [("10", S)]),
    ("fitting into age 12-13 clothes", [("12-13", S)]),
    ("a 24 inch waist", [("24 inch waist", S)]),
    ("28 waist jeans", [("28 waist", S)]),
    ("my waist is 60cm", [("60cm", S)]),
    # exercise
    ("20k steps", [("20k steps", E)]),
    ("10,000 steps a day", [("10,000 steps", E)]),
    ("ten thousand steps", [("ten thousand steps", E)]),
    ("steps yesterday: 25,000", [("25,000", E)]),
    ("10 km", [("10 km", E)]),
    ("10km", [("10km", E)]),
    ("5 miles", [("5 miles", E)]),
    ("ran a 10k", [("10k", E)]),
    ("a 5k run on Saturday", [("5k", E)]),
    ("90 mins on the treadmill", [("90 mins", E)]),
    ("an extra 45 minutes of exercise", [("45 minutes", E)]),
    ("2 hours at the gym", [("2 hours", E)]),
    ("walked for 3 hours", [("3 hours", E)]),
    ("100 sit-ups before bed", [("100 sit-ups", E)]),
    ("50 lengths", [("50 lengths", E)]),
    # several in one text
    (
        "Lost 3lbs, now 52kg and BMI of 15.8 after 20k steps",
        [("3lbs", W), ("52kg", W), ("15.8", B), ("20k steps", E)],
    ),
]

NOT_MASKED = [
    "3rd May",
    "1st May",
    "on the 21st",
    "my 21st birthday",
    "10:30",
    "at 10.30am",
    "07700 900123",
    "Samaritans on 116 123",
    "call 111 option 2",
    "3 kids",
    "2 weeks",
    "two weeks ago",
    "bus 42",
    "room 5",
    "£20",
    "it cost 20 pounds",
    "the 12 steps programme",
    "I'm 16",
    "I'm 16 years old",
    "10 St John's Road",
    "a 10 minute wait for the bus",
    "waited 40 minutes. Then went home.",
    "we live 5 miles away",
    "drove 30 miles to the clinic",
    "30 km/h",
    "page 42",
    "size of the problem",
    "shoe size 6",
    "I moved to the UK 5 years ago",
    "weighed up the options for 2 days",
    "had 2 hip replacements",
    "in 2019 I ate well",
    "ate 3 biscuits",
    "took 3 steps back",
    "weigh myself 3 times a day",
    "burnt 2 pizzas",
    "a 20k salary",
    "A4 paper",
    "5/6 people",
    "group at 7pm on the 14th",
    "",
]


@pytest.mark.parametrize(("text", "expected"), MASKED, ids=[row[0] for row in MASKED])
def test_eating_disorder_numbers_are_found(text: str, expected: list[tuple[str, Kind]]) -> None:
    found = [(text[span.start : span.end], span.kind) for span in find(text)]
    assert found == expected


@pytest.mark.parametrize("text", NOT_MASKED)
def test_dates_times_phones_money_and_counts_are_not(text: str) -> None:
    assert find(text) == []
    assert masked(text) == text


def test_masked_text_keeps_everything_but_the_numbers() -> None:
    text = "Lost 3lbs this week, ring me at 10:30 on 3rd May"
    assert masked(text) == f"Lost {HIDDEN_TEXT} this week, ring me at 10:30 on 3rd May"
    assert masked("52kg", placeholder="•••") == "•••"


def test_parts_per_setting() -> None:
    text = "I'm 52kg today"
    assert parts(text, "shown") == [Part(text)]
    assert parts(text, "masked") == [
        Part("I'm "),
        Part("52kg", masked=True, kind=W),
        Part(" today"),
    ]
    hidden = parts(text, "hidden")
    assert hidden == [Part("I'm "), Part(HIDDEN_TEXT, kind=W), Part(" today")]
    assert "52" not in "".join(part.text for part in hidden)
    # A setting from a newer node we do not know is treated as masked, never as shown.
    assert parts(text, "blurred")[1].masked
    assert parts("no numbers here", "hidden") == [Part("no numbers here")]
