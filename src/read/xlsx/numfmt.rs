//! Whether a number format shows a number as a date-time, a duration, or a number.
//! A cell stores a date as a serial number; only its style's format says it is one.

/// What a number format makes of a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Other,
    /// Days since the epoch of the workbook's date system: a date or a time of day.
    DateTime,
    /// A date and a time of day both shown (`yyyy-mm-dd hh:mm`): a value at midnight
    /// is still a date-time, not a date.
    Timestamp,
    /// Elapsed time (`[h]:mm`), shown as an ISO 8601 duration.
    Duration,
}

/// The built-in formats (ECMA-376 Part 1, §18.8.30), which a workbook uses by id
/// without declaring: 14–22 and 45–47, and the East Asian date and time formats that
/// Excel shows in those locales (27–36, 50–58).
pub(crate) fn builtin(id: u32) -> Kind {
    match id {
        46 => Kind::Duration,
        22 => Kind::Timestamp,
        14..=21 | 27..=36 | 45 | 47 | 50..=58 => Kind::DateTime,
        _ => Kind::Other,
    }
}

/// Classifies a format code by its first section (the one positive numbers use):
/// an elapsed-time token (`[h]`, `[mm]`, `[ss]`) makes a duration; a date or time
/// token (`y m d h s`, or the East Asian era tokens `e g`) outside quoted text,
/// escapes and brackets makes a date-time.
pub(crate) fn classify(code: &str) -> Kind {
    let chars: Vec<char> = code.chars().collect();
    let (mut date, mut time) = (false, false);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            ';' => break,
            '"' => {
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                i += 1;
            }
            // An escaped character, a space as wide as a character, a fill character.
            '\\' | '_' | '*' => i += 1,
            '[' => {
                let start = i;
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                let inner = &chars[start..i.min(chars.len())];
                i += 1;
                let first = inner.first().map(char::to_ascii_lowercase);
                let elapsed = matches!(first, Some('h' | 'm' | 's'))
                    && inner.iter().all(|b| Some(b.to_ascii_lowercase()) == first);
                if elapsed {
                    return Kind::Duration;
                }
            }
            // `General` is a keyword, not tokens.
            'g' | 'G' if is_general(&chars[i - 1..]) => i += 6,
            // `E+` and `E-` are scientific notation.
            'e' | 'E' if matches!(chars.get(i), Some('+' | '-')) => {}
            // A month or a minute: either way a date-time format.
            'm' | 'M' => date |= !time,
            'y' | 'Y' | 'd' | 'D' | 'e' | 'E' | 'g' | 'G' => date = true,
            'h' | 'H' | 's' | 'S' => time = true,
            _ => {}
        }
    }
    match (date, time) {
        (true, true) if has_day_or_year(code) => Kind::Timestamp,
        (false, false) => Kind::Other,
        _ => Kind::DateTime,
    }
}

/// Whether the first section has a day, year or era token: `m` alone (`mm:ss`) is a
/// minute, so a format is a timestamp only with one of these beside its time.
fn has_day_or_year(code: &str) -> bool {
    let first = code.split(';').next().unwrap_or("");
    let mut quoted = false;
    first.chars().any(|c| {
        if c == '"' {
            quoted = !quoted;
        }
        !quoted && matches!(c, 'y' | 'Y' | 'd' | 'D' | 'e' | 'E' | 'g' | 'G')
    })
}

fn is_general(rest: &[char]) -> bool {
    rest.len() >= 7
        && rest[..7]
            .iter()
            .zip("general".chars())
            .all(|(a, b)| a.to_ascii_lowercase() == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_and_duration_formats_are_recognised() {
        for code in [
            "yyyy-mm-dd",
            "d/m/yy",
            "dd\\ mmm\\ yyyy",
            "[$-F800]dddd, mmmm dd, yyyy",
            "h:mm AM/PM",
            "[Red]yyyy-mm-dd",
            "mm:ss.0",
            "yyyy\"年\"m\"月\"d\"日\"",
            "yyyy-mm-dd;@",
        ] {
            assert_eq!(classify(code), Kind::DateTime, "{code}");
        }
        for code in ["yyyy-mm-dd hh:mm:ss", "d/m/yy h:mm", "m/d/yyyy h:mm AM/PM"] {
            assert_eq!(classify(code), Kind::Timestamp, "{code}");
        }
        for code in ["[h]:mm:ss", "[mm]:ss", "[ss].00", "[H]:MM"] {
            assert_eq!(classify(code), Kind::Duration, "{code}");
        }
    }

    #[test]
    fn number_and_text_formats_are_not_dates() {
        for code in [
            "General",
            "0.00",
            "#,##0.00 \"days\"",
            "0.00E+00",
            "0\\d",
            "_(* #,##0_);_(* (#,##0);_(* \"-\"_);_(@_)",
            "[$$-409]#,##0.00",
            "[Red][<0]0.0;0.0",
            "@",
            "0;\"dd\"",
            ";;;",
        ] {
            assert_eq!(classify(code), Kind::Other, "{code}");
        }
    }

    #[test]
    fn builtin_ids_follow_the_standard() {
        assert_eq!(builtin(14), Kind::DateTime);
        assert_eq!(builtin(21), Kind::DateTime);
        assert_eq!(builtin(22), Kind::Timestamp);
        assert_eq!(builtin(46), Kind::Duration);
        assert_eq!(builtin(0), Kind::Other);
        assert_eq!(builtin(49), Kind::Other);
    }
}
