"""The one number reader (mapping.numbers) and the typed-value chooser (mapping.typed), issue 19.

``3,6`` is never 36: under a decimal-comma locale it is 3.6, elsewhere it is ambiguous and refused with
a hint; thousands marks are read only between groups of three digits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okr_sync.connectors.typed import number_or_problem, numbers_in
from okr_sync.mapping.numbers import NumberError, field_number, leading_number, number_format, read_number
from okr_sync.mapping.typed import TypedValue, choose_manual

EN, PT = number_format("en"), number_format("pt-BR")
LOCALES = ["en", "pt-BR", "pt_BR", "es", "es-MX", "de-CH", "fr", "en-GB"]


@pytest.mark.parametrize(("locale", "decimal"), [
    ("en", "."), ("pt-BR", ","), ("pt_BR", ","), ("pt-PT", ","), ("es", ","), ("es-ES", ","), ("es-MX", "."),
    ("de", ","), ("de-CH", "."), ("fr", ","), ("en-GB", "."), ("ja", "."), (None, "."),
], ids=str)
def test_the_locale_decides_the_decimal_mark(locale: str | None, decimal: str) -> None:
    assert number_format(locale).decimal == decimal


@pytest.mark.parametrize(("text", "en", "pt"), [
    ("3,6", None, 3.6), ("3.6", 3.6, None), ("1,234", 1234.0, 1.234), ("1.234", 1.234, 1234.0),
    ("1.234,5", None, 1234.5), ("1,234.5", 1234.5, None), ("1 234,5", None, 1234.5),
    ("1\u202f234.5", 1234.5, None), ("1\u00a0234", 1234.0, 1234.0), ("1_000_000", 1e6, 1e6),
    ("-2,5", None, -2.5), ("\u22122.5", -2.5, None), ("+7", 7.0, 7.0), ("42", 42.0, 42.0),
    ("1,234,567.25", 1234567.25, None), ("1.234.567,25", None, 1234567.25), (" 0,5 ", None, 0.5),
], ids=str)
def test_reading_in_en_and_pt_br(text: str, en: float | None, pt: float | None) -> None:
    for fmt, want in ((EN, en), (PT, pt)):
        if want is None:
            with pytest.raises(NumberError) as caught:
                read_number(text, fmt)
            assert caught.value.ambiguous and "write" in caught.value.reason
        else:
            assert read_number(text, fmt) == want


def test_an_ambiguous_value_says_how_to_write_it() -> None:
    with pytest.raises(NumberError) as caught:
        read_number("3,6", EN)
    assert caught.value.reason == "'3,6' is ambiguous in locale en, which writes 1,234.5; write 3.6"
    with pytest.raises(NumberError) as caught:
        read_number("3.6", PT)
    assert caught.value.reason == "'3.6' is ambiguous in locale pt-BR, which writes 1.234,5; write 3,6"


@pytest.mark.parametrize("text", ["", "abc", "3,6x", "1..2", "1.2.3", "1,2,3", "5.", "--1", "1 23", "nan", "inf"],
                         ids=repr)
def test_what_is_not_a_number_is_refused_in_every_locale(text: str) -> None:
    for locale in LOCALES:
        with pytest.raises(NumberError):
            read_number(text, number_format(locale))


def test_words_may_follow_a_typed_value() -> None:
    assert leading_number("3,6 — survey of November", PT) == 3.6
    assert leading_number("85% of answers", EN) == 85.0
    assert leading_number("4.1.", EN) == 4.1
    with pytest.raises(NumberError):
        leading_number("3,6 — survey", EN)
    with pytest.raises(NumberError):
        leading_number("about 3", EN)


def test_field_values_as_numbers() -> None:
    assert field_number(3, EN) == 3.0 and field_number(2.5, PT) == 2.5
    assert field_number(None, EN) is None and field_number(True, EN) is None and field_number("  ", EN) is None
    assert field_number("12,5", PT) == 12.5
    with pytest.raises(NumberError):
        field_number(float("nan"), EN)
    unread: list[str] = []
    assert number_or_problem("field 'Recovered'", "12,5", EN, unread) is None
    assert unread == ["field 'Recovered' not used: '12,5' is ambiguous in locale en, which writes 1,234.5; "
                      "write 12.5"]


def test_description_lines_are_read_in_the_locale_and_unreadable_ones_reported() -> None:
    text = "Notes\nCases closed: 1.204\nsatisfaction: 4,5\nother: 9\nRecovered: 3.6"
    found, unread = numbers_in(text, ["Cases closed", "Satisfaction", "Recovered"], PT)
    assert found == {"Cases closed": 1204.0, "Satisfaction": 4.5}
    assert unread == ["'Recovered: 3.6' not used: '3.6' is ambiguous in locale pt-BR, which writes 1.234,5; "
                      "write 3,6"]
    assert numbers_in("Cases closed: 1,204", ["Cases closed"], EN) == ({"Cases closed": 1204.0}, [])


# -- properties ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=3, allow_nan=False,
                      allow_infinity=False)


def written(value: Decimal, decimal: str, group: str) -> str:
    """``value`` written with the given marks, grouped by thousands (``group`` may be empty)."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    fraction = fraction.rstrip("0")
    groups = [whole[max(0, i - 3):i] for i in range(len(whole), 0, -3)][::-1]
    return sign + group.join(groups) + (decimal + fraction if fraction else "")


@given(amounts, st.sampled_from(LOCALES), st.sampled_from(["mark", "", " ", "\u202f"]))
def test_a_number_written_the_locales_way_reads_back(value: Decimal, locale: str, grouping: str) -> None:
    fmt = number_format(locale)
    group = fmt.group if grouping == "mark" else grouping
    assert read_number(written(value, fmt.decimal, group), fmt) == float(value)


@given(st.integers(0, 999), st.integers(0, 99).map(str) | st.integers(1000, 99999).map(str),
       st.sampled_from(LOCALES))
def test_the_other_mark_without_three_digits_after_it_is_never_a_number(whole: int, tail: str, locale: str) -> None:
    """``3,6`` under en, ``3.6`` under pt-BR: ambiguous, never 36."""
    fmt = number_format(locale)
    with pytest.raises(NumberError) as caught:
        read_number(f"{whole}{fmt.group}{tail}", fmt)
    assert caught.value.ambiguous


@given(st.text(max_size=12), st.sampled_from(LOCALES))
def test_any_text_is_a_finite_number_or_a_clear_refusal(text: str, locale: str) -> None:
    try:
        value = read_number(text, number_format(locale))
    except NumberError as exc:
        assert exc.reason
    else:
        assert value == value and abs(value) != float("inf")


# -- which typed value counts ----------------------------------------------------------------------

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def typed(text: str, author: str, hours: int) -> TypedValue:
    return TypedValue(text, author, author.title(), T0 + timedelta(hours=hours))


def by(value: TypedValue, owner: str) -> bool:
    return value.author == owner


def test_the_newest_owner_value_counts_and_newer_others_are_said_not_to() -> None:
    values = [typed("3,2", "ana", 0), typed("3,6", "bruno", 2), typed("3,4", "ana", 1), typed("x", "ana", 3)]
    manual, ignored = choose_manual(values, owners=["ana"], is_owner=by, fmt=PT)
    assert manual is not None and (manual.value, manual.author, manual.at) == (3.4, "Ana", T0 + timedelta(hours=1))
    assert [i.sentence() for i in ignored] == [
        "value x typed by Ana on 2026-11-20, not used: 'x' is not a number; write e.g. 3,6",
        "value 3,6 typed by Bruno on 2026-11-20, not used: Bruno is not the KR owner",
    ]


def test_any_owner_counts_and_a_kr_without_owner_takes_no_ones_value() -> None:
    values = [typed("4", "bruno", 1), typed("3", "ana", 0)]
    manual, ignored = choose_manual(values, owners=["ana", "bruno"], is_owner=by, fmt=EN)
    assert manual is not None and manual.value == 4.0 and ignored == ()
    manual, ignored = choose_manual(values, owners=[], is_owner=by, fmt=EN)
    assert manual is None and [i.reason for i in ignored] == [
        "the KR has no owner in okr-sync.yaml; add owner (or owners)"] * 2
