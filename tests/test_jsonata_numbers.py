"""Numbers and date/time in JSONata exactly as jsonata-js 2.0.6 (the version Step
Functions runs) handles them (issue 20). Every expected value was printed by jsonata-js
2.0.6 itself."""

from __future__ import annotations

import pytest

from asl2durable.runtime.asl_jsonata import QueryEvaluationError, evaluate


def value_of(expr: str, **bindings: object) -> object:
    return evaluate("{% " + expr + " %}", bindings, field="Output")


def code_of(expr: str, **bindings: object) -> str | None:
    with pytest.raises(QueryEvaluationError) as caught:
        value_of(expr, **bindings)
    return caught.value.code


class TestNumberToString:
    """$string and ``&`` write a number as jsonata-js does: rounded to 15 significant
    digits, then written by JavaScript (in full from 1e-6 up to 1e21)."""

    @pytest.mark.parametrize(
        ("expr", "text"),
        [
            ("$string(5890840712243076)", "5890840712243080"),
            ("'order-' & 9007199254740991", "order-9007199254740990"),
            ("$string([1e300*10])", "[1e+301]"),
            ("$string(123456789012345678)", "123456789012346000"),
            ("$string(1234567890123455)", "1234567890123460"),
            ('$string({"b": 1e21, "a": [0.1+0.2, -0]})', '{"b":1e+21,"a":[0.3,0]}'),
        ],
    )
    def test_fifteen_significant_digits(self, expr, text):
        assert value_of(expr) == text
        assert value_of("$string(1/3) & ' ' & (0.1 + 0.2)") == "0.333333333333333 0.3"

    def test_in_full_from_a_millionth_up_to_1e21(self):
        assert value_of("$string(1e20)") == "100000000000000000000"
        assert value_of("$string([1e21, 2.5e+25, 1e-7, 0.000001, -1.5e-9])") == "[1e+21,2.5e+25,1e-7,0.000001,-1.5e-9]"
        assert value_of("1.5 & '/' & 1e-7") == "1.5/1e-7"

    def test_a_bound_number_is_written_the_same_way(self):
        assert value_of("$string($n) & '|' & $n", n=5890840712243076) == "5890840712243080|5890840712243080"

    def test_objects_keep_javascripts_key_order_and_text(self):
        assert value_of('$string({"b": 1, "10": 2, "2": 3})') == '{"2":3,"10":2,"b":1}'
        assert value_of('$string({"a": "é\\u0001\\""}, true)') == '{\n  "a": "é\\u0001\\""\n}'
        assert value_of("$string([1, $sum])") == '[1,""]'

    def test_the_largest_numbers_round_up_to_infinity_written_as_null(self):
        assert value_of("'x' & $n & $string([$n])", n=1.7976931348623157e308) == "xnull[null]"

    @pytest.mark.parametrize("expr", ["$string(1/0)", "$string(-1/0)", "$string(0/0)", "'x' & 1/0"])
    def test_infinity_and_nan_cannot_be_written(self, expr):
        assert code_of(expr) == "D3001"

    def test_infinity_is_a_number_until_it_is_written_or_negated(self):
        assert value_of("(1/0) > 5") is True
        with pytest.raises(QueryEvaluationError, match=r"D1001: Number out of range: null$"):
            value_of("$string([1/0])")
        assert code_of("-(1/0)") == "D1001"


class TestArithmetic:
    """Arithmetic on doubles as JavaScript does it: Infinity and NaN carry on until a
    function or operator refuses them; ``%`` keeps the fraction."""

    @pytest.mark.parametrize(("expr", "result"), [("5.5 % 2", 1.5), ("-5.5 % 2", -1.5), ("$x % 0.75", 0.5)])
    def test_results(self, expr, result):
        assert value_of(expr, x=2) == result


class TestPower:
    """$power fails with D3061 whenever the result is not a finite number."""

    @pytest.mark.parametrize(
        "expr", ["$power(-2, 1/3)", "$power(100, 1000)", "$power(-10, 1001)", "$power(1, 1/0)", "$power(0, -1)"]
    )
    def test_not_a_finite_number(self, expr):
        assert code_of(expr) == "D3061"

    def test_the_message_writes_numbers_as_javascript(self):
        with pytest.raises(QueryEvaluationError, match=r"D3061: .* base=100000000000000000000, exponent=1000$"):
            value_of("$power(1e20, 1000)")

    def test_finite_results_only(self):
        assert value_of("[$power(2, 0.5), $power(2, 10), $power(-2, 3)]") == [1.4142135623730951, 1024, -8]
        assert code_of("$power(-2, 0.5)") == "D3061"


class TestPictureErrors:
    """Picture errors of $formatInteger, $parseInteger, $fromMillis and $toMillis carry
    jsonata-js's codes and messages (jsonata-python raises them as Python errors)."""

    @pytest.mark.parametrize(
        ("expr", "message"),
        [
            (
                "$formatInteger(123456, 'α')",
                ('D3130: Formatting or parsing an integer as a sequence starting with "α" is not supported by this '
                 "implementation"),
            ),
            (
                "$parseInteger('50', '#')",
                ('D3130: Formatting or parsing an integer as a sequence starting with "#" is not supported by this '
                 "implementation"),
            ),
            (
                "$formatInteger(5, 'Ab;o')",
                ('D3130: Formatting or parsing an integer as a sequence starting with "Ab" is not supported by this '
                 "implementation"),
            ),
            ("$formatInteger(12340, '##0０')", "D3131: In a decimal digit pattern, all digits must be from the same decimal group"),
            ("$toMillis('2018-05-22', '[Y]-[M]-[q]')", 'D3132: Unknown component specifier "q" in date/time picture string'),
            ("$fromMillis(0, '[q]')", 'D3132: Unknown component specifier "q" in date/time picture string'),
            (
                "$fromMillis(0, '[H01]:[mN]')",
                ("D3133: The 'name' modifier can only be applied to months and days in the date/time picture string, "
                 'not "m"'),
            ),
            (
                "$toMillis('2018-05-22', '[YN]-[M]-[D]')",
                ("D3133: The 'name' modifier can only be applied to months and days in the date/time picture string, "
                 'not "Y"'),
            ),
            (
                "$fromMillis(1230757500000, '[Z010101t]', '+0530')",
                "D3134: The timezone integer format specifier cannot have more than four digits",
            ),
            ("$fromMillis(0, '[YN]-[M')", "D3135: No matching closing bracket ']' in date/time picture string"),
            ("$toMillis('2018-22', '[Y]-[D]')", "D3136: The date/time picture string is missing specifiers required to parse the timestamp"),
            ("$toMillis('2018-32-5', '[X]-[W]-[F1]')", "D3136: The date/time picture string is missing specifiers required to parse the timestamp"),
        ],
    )
    def test_code_and_message(self, expr, message):
        with pytest.raises(QueryEvaluationError) as caught:
            value_of(expr)
        assert str(caught.value).endswith("threw an error during evaluation. " + message)

    def test_a_picture_that_is_fine_still_works(self):
        assert value_of("$fromMillis(0, '[PN] [FNn]')") == "AM Thursday"
        assert code_of("$fromMillis(0, '[dN]')") == "D3133"


class TestToMillisWithoutPicture:
    """Without a picture $toMillis takes what jsonata-js's ISO 8601 pattern takes (D3110
    otherwise) and reads it as JavaScript's Date.parse does."""

    @pytest.mark.parametrize("timestamp", ["2018-02-03 11:15:33", "2018-02-03T11", "2018-02-03T11:15"])
    def test_not_iso_8601(self, timestamp):
        with pytest.raises(QueryEvaluationError, match=rf'D3110: .* Given "{timestamp}"$'):
            value_of("$toMillis($t)", t=timestamp)

    @pytest.mark.parametrize(
        ("timestamp", "millis"),
        [
            ("2018-02", 1517443200000),
            ("2018-02-30", 1519948800000),
            ("2018-04-31", 1525132800000),
            ("2018-02-03T24:00:00", 1517702400000),
            ("2018-02-03T11:15:33.9999-0130", 1517661933999),
            ("2018T11:15:33Z", 1514805333000),
            ("0000-01-01", -62167219200000),
        ],
    )
    def test_read_as_date_parse_reads_it(self, timestamp, millis):
        assert value_of("$toMillis($t)", t=timestamp) == millis
        assert value_of("$toMillis('2018-02-30')") == 1519948800000  # rolls over

    @pytest.mark.parametrize("timestamp", ["2018-13-01", "2018-02-32", "2018-02-03T24:00:01", "2018-02-03-04"])
    def test_what_date_parse_cannot_read_is_nan(self, timestamp):
        assert value_of("$toMillis($t)", t=timestamp) == "NaN"


class TestFormatNumber:
    """$formatNumber is jsonata-js's own: its digits, and its picture errors (the last
    check that fails is the one reported)."""

    @pytest.mark.parametrize(
        ("expr", "text"),
        [
            ("$formatNumber(0.123, '#.e9')", "0.1e0"),
            ("$formatNumber(1234.5, '#;(#)')", "1234"),
            ("$formatNumber(1e25, '#,###.##')", "1e,+25.0"),
            ("$formatNumber(9.995, '0.00')", "10.00"),
        ],
    )
    def test_digits(self, expr, text):
        assert value_of(expr) == text
        assert value_of("$formatNumber(1234567.891, '#,##,###.0##')") == "12,34,567.891"

    @pytest.mark.parametrize(
        ("picture", "code"),
        [(".e0", "D3085"), ("0+.e0", "D3086"), ("0,,0", "D3089"), ("#0.0e0,0", "D3093")],
    )
    def test_picture_errors(self, picture, code):
        assert code_of("$formatNumber(20, $p)", p=picture) == code

    def test_messages_quote_as_jsonata_js(self):
        with pytest.raises(QueryEvaluationError, match="D3089: .* instances of the 'grouping-separator' character$"):
            value_of("$formatNumber(20, '0,,0')")

    def test_many_places(self):
        assert value_of("$formatNumber(1e20, '#.0000000000')") == "100000000000000000000.0000000000"
        assert value_of("$formatNumber(123456789.123, '#.000000000000000000000000')") == (
            "123456789.122999995946884155273438"
        )


class TestFormatInteger:
    """$formatInteger rounds down (Math.floor) and, past 2**53, counts with
    JavaScript's doubles."""

    @pytest.mark.parametrize(
        ("expr", "text"),
        [
            ("$formatInteger(1e+46, 'w')", "ten billion trillion trillion trillion"),
            ("$formatInteger(1e+46, 'W;o')", "TEN BILLION TRILLION TRILLION TRILLIONTH"),
            ("$formatInteger(-1.5, 'w')", "-two"),
            ("$formatInteger(-1.5, '0')", "-2"),
            ("$formatInteger(123456789012345678901, '#,##0')", "123,456,789,012,345,680,000"),
            (
                "$formatInteger(123456789012345678901, 'Ww')",
                (
                    "One Hundred and Twenty-Three Million, Four Hundred and Fifty-Six Thousand, Seven Hundred and "
                    "Eighty-Nine Trillion, Twelve Billion, Three Hundred and Forty-Five Million, Six Hundred and "
                    "Eighty-Eight Thousand and Sixty-Four"
                ),
            ),
        ],
    )
    def test_as_jsonata_js(self, expr, text):
        assert value_of(expr) == text
        assert value_of("$formatInteger(21, 'w;o') & ' ' & $formatInteger(1234567, 'W')") == (
            "twenty-first ONE MILLION, TWO HUNDRED AND THIRTY-FOUR THOUSAND, FIVE HUNDRED AND SIXTY-SEVEN"
        )


class TestRound:
    """$round rounds halves to even after shifting the point through the number's
    text, as jsonata-js does, for any size and number of places."""

    @pytest.mark.parametrize(
        ("expr", "result"),
        [("$round(1e300, 2)", 1e300), ("$round(123.456, 100)", 123.456)],
    )
    def test_as_jsonata_js(self, expr, result):
        assert value_of(expr) == result
        assert value_of("[$round(2.675, 2), $round(-2.5), $round(1234.5678, -2), $round(5.55e-10, 11)]") == [
            2.68,
            -2,
            1200,
            5.6e-10,
        ]


class TestFromMillisTimezone:
    """$fromMillis reads the timezone as jsonata-js does: parseInt, then
    Math.floor(offset / 100) hours and offset % 100 minutes ("-0130" is -2:-30)."""

    @pytest.mark.parametrize(
        ("timezone", "text"),
        [
            ("-0130", "21:30 -02:30 GMT-02:30"),
            ("-0030", "22:30 -01:30 GMT-01:30"),
            ("+01:30", "00:01 +00:01 GMT+00:01"),
            ("-0130x", "21:30 -02:30 GMT-02:30"),
        ],
    )
    def test_offsets(self, timezone, text):
        assert value_of("$fromMillis(0, '[H01]:[m01] [Z] [z]', $tz)", tz=timezone) == text
        assert value_of("$fromMillis(0, '[H01]:[m01] [Z]', '+0530')") == "05:30 +05:30"

    def test_far_dates_keep_their_millisecond(self):
        """jsonata-python reads the date from float seconds, coarser than a
        microsecond past about 2242: 8422-01-01T12:16:28.399Z came out as .398."""
        assert value_of("$fromMillis(203605532188399)") == "8422-01-01T12:16:28.399Z"
        picture = "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01].[f001]"
        assert value_of("$fromMillis(43381972193672, $p, '-1200')", p=picture) == "3344-09-19 15:49:53.672"


class TestToMillisWithPicture:
    """A year from 0 to 99 is 1900 to 1999, as JavaScript's Date.UTC takes it."""

    def test_two_digit_years(self):
        assert value_of("$toMillis('38-1-8', '[Y,2]-[M]-[D]')") == -1009238400000
        picture = "[Y0001]-[M01]-[D01]T[H01]:[m01]"
        assert value_of("$toMillis('0099-12-31T23:59', $p)", p=picture) == 946684740000


class TestParseInteger:
    """$parseInteger reads decimal digits with JavaScript's parseInt after taking out
    the grouping separators (a regular grouping: commas only)."""

    @pytest.mark.parametrize(
        ("expr", "result"),
        [
            ("$parseInteger('12 345', '# ##0')", 12),
            ("$parseInteger('1.5', '0')", 1),
            ("$parseInteger('0x1A', '0')", 26),
            ("$parseInteger('abc', '0')", "NaN"),
        ],
    )
    def test_as_parse_int(self, expr, result):
        assert value_of(expr) == result
        assert value_of("[$parseInteger('12th', '0;o'), $parseInteger('1,234,567', '#,##0')]") == [12, 1234567]


class TestNow:
    """$now(picture, timezone) is $fromMillis of the evaluation's time, with all of
    its jsonata-js behaviour."""

    def test_now_is_from_millis(self):
        assert value_of("$now('[H01]:[m01] [Z]', '-0130') = $fromMillis($millis(), '[H01]:[m01] [Z]', '-0130')")
        assert code_of("$now('[q]')") == "D3132"
