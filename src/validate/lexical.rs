//! The lexical forms of Table Schema types: hand-written parsers over `&str` that never
//! allocate, so validating a million rows costs no more than reading them.
//!
//! Choices where the spec leaves room (each is tested below):
//! - number follows XML Schema `decimal` plus an exponent (`E` or `e`): `-0`, `+1`, `.5`,
//!   `5.` and `1.5e-3` are numbers; `NaN`, `INF` and `-INF` are accepted in any case, as
//!   the spec says. Spaces are not allowed unless `bareNumber` is false.
//! - integer follows XML Schema `integer`: an optional sign and digits. Leading zeros are
//!   allowed (`007` is the integer 7, as XML Schema says); exponents are not (`1e3` is a
//!   number, not an integer).
//! - datetime is `YYYY-MM-DDThh:mm:ss`, an optional fraction, then an optional `Z` or
//!   `±hh:mm` zone; zoned values are compared in UTC, unzoned ones as written.
//! - time is `hh:mm:ss` with an optional fraction; leap seconds (`:60`) are refused.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use regex::Regex;

fn digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// Whether `s` is a number in the spec's grammar, not counting the special words.
/// Returns `Some(true)` when it has a fraction or exponent, `Some(false)` for bare digits.
pub(crate) fn number_shape(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int = digits(&b[i..]);
    i += int;
    let mut fractional = false;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac = digits(&b[i..]);
        i += frac;
        if int + frac == 0 {
            return None;
        }
        fractional = true;
    } else if int == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
        let exp = digits(&b[i..]);
        if exp == 0 {
            return None;
        }
        i += exp;
        fractional = true;
    }
    (i == b.len()).then_some(fractional)
}

/// Strips what `bareNumber: false` allows around a number: `€95`, `95 %`, ` 95 `.
pub(crate) fn strip_non_bare(s: &str) -> &str {
    s.trim_start_matches(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.')))
        .trim_end_matches(|c: char| !(c.is_ascii_digit() || c == '.'))
}

/// A number, special words included.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    if let Some(x) = plain_decimal(s) {
        return Some(x);
    }
    if number_shape(s).is_some() {
        return s.parse().ok();
    }
    let (sign, word) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if word.eq_ignore_ascii_case("nan") && sign > 0.0 && !s.starts_with('+') {
        Some(f64::NAN)
    } else if word.eq_ignore_ascii_case("inf") {
        Some(sign * f64::INFINITY)
    } else {
        None
    }
}

/// Up to 10^22, every power of ten is exact in an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The fast path for the common number: a sign, digits, a point, digits, at most 15
/// digits in all and no exponent (`90580.15`, `-0`, `.5`). The digits make an integer
/// below 2^53 and the point a power of ten below 10^22; both are exact as f64, so one
/// division gives the correctly rounded value, as a full parser would (Clinger's fast
/// path). `None` sends anything else (exponents, long digit strings, words, errors) to
/// the full grammar, which decides.
fn plain_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let (negative, body) = match b {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut scale = None;
    for (i, &c) in body.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                if digits > 15 {
                    return None;
                }
            }
            b'.' if scale.is_none() => scale = Some(body.len() - i - 1),
            _ => return None,
        }
    }
    if digits == 0 {
        return None;
    }
    let x = mantissa as f64 / POW10[scale.unwrap_or(0)];
    Some(if negative { -x } else { x })
}

/// An integer in the spec's lexical form.
pub(crate) enum Integer {
    Small(i64),
    /// Too large for `i64`; kept as its nearest double for comparisons.
    Big(f64),
}

pub(crate) fn parse_integer(s: &str) -> Option<Integer> {
    let b = s.as_bytes();
    let digits = match b {
        [b'-' | b'+', rest @ ..] => rest,
        _ => b,
    };
    // Fast path: 18 digits or fewer cannot overflow an i64, so one pass decides.
    if (1..=18).contains(&digits.len()) {
        let mut n: i64 = 0;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            n = n * 10 + i64::from(d);
        }
        return Some(Integer::Small(if b[0] == b'-' { -n } else { n }));
    }
    if number_shape(s) != Some(false) {
        return None;
    }
    Some(match s.parse::<i64>() {
        Ok(i) => Integer::Small(i),
        Err(_) => Integer::Big(s.parse().ok()?),
    })
}

/// Digits with more than one character that start with `0`: an identifier, not a count.
pub(crate) fn has_leading_zero(s: &str) -> bool {
    let d = s.trim_start_matches(['+', '-']).as_bytes();
    d.len() > 1 && d[0] == b'0' && d[1].is_ascii_digit()
}

fn num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0')))
}

/// `YYYY-MM-DD`, leap days included only in leap years.
pub(crate) fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(num(&b[..4])? as i32, num(&b[5..7])?, num(&b[8..])?)
}

/// `hh:mm:ss` with an optional fraction of up to nanoseconds.
pub(crate) fn parse_iso_time(s: &str) -> Option<NaiveTime> {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let nanos = match &b[8..] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            num(frac)? * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    NaiveTime::from_hms_nano_opt(num(&b[..2])?, num(&b[3..5])?, num(&b[6..8])?, nanos)
}

/// `YYYY-MM-DDThh:mm:ss[.f][Z|±hh:mm]`, zoned values moved to UTC.
pub(crate) fn parse_iso_datetime(s: &str) -> Option<NaiveDateTime> {
    if s.len() < 19 || s.as_bytes()[10] != b'T' || !s.is_char_boundary(10) {
        return None;
    }
    let date = parse_iso_date(&s[..10])?;
    let rest = &s[11..];
    let zone_at = rest.find(['Z', '+', '-']).unwrap_or(rest.len());
    let time = parse_iso_time(&rest[..zone_at])?;
    let offset_minutes: i64 = match &rest.as_bytes()[zone_at..] {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = i64::from(num(&[*h1, *h2])?);
            let m = i64::from(num(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    date.and_time(time)
        .checked_sub_signed(TimeDelta::minutes(offset_minutes))
}

/// `YYYY`.
pub(crate) fn parse_year(s: &str) -> Option<i32> {
    (s.len() == 4)
        .then(|| num(s.as_bytes()))
        .flatten()
        .map(|y| y as i32)
}

/// `YYYY-MM`.
pub(crate) fn parse_yearmonth(s: &str) -> Option<(i32, u32)> {
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' {
        return None;
    }
    let month = num(&b[5..])?;
    (1..=12)
        .contains(&month)
        .then_some((num(&b[..4])? as i32, month))
}

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^-?P(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$")
        .expect("constant regex")
});

/// XML Schema `duration`, which Table Schema follows: `-?PnYnMnDTnHnMnS` with at least
/// one part, no bare `T`, a fraction only on seconds and written with a point. ISO 8601's
/// weeks (`P1W`) and comma fractions (`PT0,5S`) are not XML Schema, so not durations.
pub(crate) fn is_duration(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    body.len() > 1 && !body.ends_with('T') && DURATION.is_match(s)
}

/// `local@domain.tld`: one `@`, no spaces, a dot inside the domain. Deliverability is
/// not checked; this catches typing and column-shift mistakes.
pub(crate) fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `scheme:rest` (RFC 3986 scheme) with no spaces.
pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `8-4-4-4-12` hexadecimal digits.
pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Padded base64.
pub(crate) fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    s.len() % 4 == 0
        && s.len() - body.len() <= 2
        && body
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_xml_decimal_with_exponent() {
        for (s, ok) in [
            ("0", true),
            ("-0", true),
            ("+100000.00", true),
            ("-1.23", true),
            (".5", true),
            ("5.", true),
            ("1e5", true),
            ("1.5E-3", true),
            ("NaN", true),
            ("nan", true),
            ("INF", true),
            ("-INF", true),
            ("-inf", true),
            ("", false),
            (".", false),
            ("-", false),
            ("1e", false),
            ("1,000", false),
            (" 1", false),
            ("1 ", false),
            ("abc", false),
            ("0x10", false),
            ("1.2.3", false),
            ("infinity", false),
            ("-NaN", false),
        ] {
            assert_eq!(parse_number(s).is_some(), ok, "{s:?}");
        }
    }

    #[test]
    fn the_decimal_fast_path_agrees_with_the_full_parser() {
        for s in [
            "0",
            "-0",
            "+0",
            "007",
            "-007.50",
            "90580.15",
            ".5",
            "5.",
            "-.5",
            "0.1",
            "0.3",
            "123456789012345",
            "1234567890.12345",
            ".000000000000001",
            "900719925474.099",
            "999999999999999",
            "-999999999999999",
        ] {
            let fast = plain_decimal(s).unwrap_or_else(|| panic!("{s:?} takes the fast path"));
            let full: f64 = s.parse().expect("a number");
            assert_eq!(fast.to_bits(), full.to_bits(), "{s:?}");
        }
        // -0 keeps its sign, as the full parser's does (keys treat it as 0 anyway).
        assert!(plain_decimal("-0").is_some_and(|x| x == 0.0 && x.is_sign_negative()));
        // Left to the full grammar: exponents, 16+ digits, words, and what is not a number.
        for s in [
            "1e5",
            "1.5E-3",
            "1234567890123456",
            "0.1234567890123456",
            "NaN",
            "INF",
            "",
            ".",
            "-",
            "+",
            "1.2.3",
            "1,000",
            " 1",
            "1 ",
            "١",
        ] {
            assert_eq!(plain_decimal(s), None, "{s:?}");
        }
        assert_eq!(parse_number("1e5"), Some(100000.0));
        assert_eq!(
            parse_number("1234567890123456789"),
            Some(1234567890123456789.0)
        );
        assert_eq!(parse_number("."), None);
    }

    #[test]
    fn the_integer_fast_path_stops_at_18_digits() {
        let small = |s| match parse_integer(s) {
            Some(Integer::Small(i)) => Some(i),
            _ => None,
        };
        assert_eq!(small("-0"), Some(0));
        assert_eq!(small("+007"), Some(7));
        assert_eq!(small("999999999999999999"), Some(999_999_999_999_999_999));
        assert_eq!(small("-999999999999999999"), Some(-999_999_999_999_999_999));
        // 19 digits: the full path, which still fits i64 at the edges and goes Big past.
        assert_eq!(small("9223372036854775807"), Some(i64::MAX));
        assert_eq!(small("-9223372036854775808"), Some(i64::MIN));
        assert!(matches!(
            parse_integer("9223372036854775808"),
            Some(Integer::Big(_))
        ));
        for s in [
            "", "+", "-", "--1", "+-1", "1-", "1 ", "1.", "1e3", "٣", "0x1",
        ] {
            assert!(parse_integer(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn integers_allow_leading_zeros_but_not_exponents() {
        for (s, ok) in [
            ("0", true),
            ("-0", true),
            ("+7", true),
            ("007", true),
            ("99999999999999999999999", true),
            ("1.0", false),
            ("1e3", false),
            ("1.5", false),
            ("", false),
            ("-", false),
            ("NaN", false),
        ] {
            assert_eq!(parse_integer(s).is_some(), ok, "{s:?}");
        }
        assert!(matches!(parse_integer("007"), Some(Integer::Small(7))));
    }

    #[test]
    fn leading_zeros_are_detected() {
        for (s, want) in [
            ("007", true),
            ("-01", true),
            ("0", false),
            ("0.5", false),
            ("10", false),
        ] {
            assert_eq!(has_leading_zero(s), want, "{s:?}");
        }
    }

    #[test]
    fn non_bare_numbers_lose_currency_and_percent() {
        for (s, want) in [
            ("€95", "95"),
            ("95%", "95"),
            ("EUR 95.5 ", "95.5"),
            ("-3 $", "-3"),
        ] {
            assert_eq!(strip_non_bare(s), want);
        }
    }

    #[test]
    fn dates_know_leap_years() {
        for (s, ok) in [
            ("2024-02-29", true),
            ("2000-02-29", true),
            ("2023-02-29", false),
            ("1900-02-29", false),
            ("2024-13-01", false),
            ("2024-1-01", false),
            ("2024/01/01", false),
            ("20240101", false),
            ("2024-01-01T00:00:00", false),
        ] {
            assert_eq!(parse_iso_date(s).is_some(), ok, "{s:?}");
        }
    }

    #[test]
    fn datetimes_take_fractions_and_zones() {
        let utc = |s| parse_iso_datetime(s).map(|d| d.to_string());
        assert_eq!(
            utc("2024-01-01T12:00:00").as_deref(),
            Some("2024-01-01 12:00:00")
        );
        assert_eq!(
            utc("2024-01-01T12:00:00Z").as_deref(),
            Some("2024-01-01 12:00:00")
        );
        assert_eq!(
            utc("2024-01-01T12:00:00.5").as_deref(),
            Some("2024-01-01 12:00:00.500")
        );
        assert_eq!(
            utc("2024-01-01T12:00:00-05:00").as_deref(),
            Some("2024-01-01 17:00:00")
        );
        for s in [
            "2024-01-01",
            "2024-01-01 12:00:00",
            "2024-01-01T25:00:00",
            "2024-01-01T12:00",
            "2024-01-01T12:00:00+5",
            "2023-02-29T00:00:00",
            "2024-01-01T12:00:00.",
        ] {
            assert_eq!(parse_iso_datetime(s), None, "{s:?}");
        }
    }

    #[test]
    fn times_years_and_yearmonths() {
        assert!(parse_iso_time("23:59:59").is_some());
        assert!(parse_iso_time("00:00:00.123").is_some());
        for s in ["24:00:00", "23:59:60", "9:00:00", "12:00"] {
            assert!(parse_iso_time(s).is_none(), "{s:?}");
        }
        assert_eq!(parse_year("2024"), Some(2024));
        for s in ["24", "20245", "-202", "２０２４"] {
            assert_eq!(parse_year(s), None, "{s:?}");
        }
        assert_eq!(parse_yearmonth("2024-02"), Some((2024, 2)));
        for s in ["2024-13", "2024-2", "2024-00", "202402"] {
            assert_eq!(parse_yearmonth(s), None, "{s:?}");
        }
    }

    #[test]
    fn durations_follow_xml_schema() {
        for (s, ok) in [
            ("P1Y2M3DT4H5M6S", true),
            ("-P1D", true),
            ("P3W", false),
            ("P1Y2W", false),
            ("PT0,5S", false),
            ("-P", false),
            ("--P1D", false),
            ("P1.5D", false),
            ("PT0.5S", true),
            ("P1D", true),
            ("P", false),
            ("PT", false),
            ("P1DT", false),
            ("1D", false),
            ("P1H", false),
        ] {
            assert_eq!(is_duration(s), ok, "{s:?}");
        }
    }

    #[test]
    fn string_formats() {
        assert!(is_email("a.b@canada.ca"));
        for s in ["a@b", "@b.ca", "a b@c.ca", "a@@b.ca", "a@b.ca."] {
            assert!(!is_email(s), "{s:?}");
        }
        assert!(is_uri("https://open.canada.ca/data"));
        assert!(is_uri("urn:isbn:0451450523"));
        for s in ["open.canada.ca", "https://a b", "1http://x", "http:"] {
            assert!(!is_uri(s), "{s:?}");
        }
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(!is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(is_base64("aGVsbG8="));
        assert!(!is_base64("aGVsbG8"));
    }
}
