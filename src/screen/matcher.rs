//! The core recogniser: markings, personal identifiers and custom patterns in one text.
//!
//! Every other part of the screen (cells, XML, workbook containers) reduces what it reads
//! to text and calls [`Matcher::hits`]. The rules are documented on [`Matcher`]; they aim
//! to catch every real marking while letting ordinary prose ("the secret to good data",
//! "protected areas") through, and to never put a raw identifier into an excerpt.

use regex::Regex;

use super::rule::Rule;
use super::{ScreenConfig, ScreenError};

/// Longest excerpt shown, in characters, before the `…` markers.
const EXCERPT_CHARS: usize = 40;

/// Classification levels, for the rules that accept any case (label, brackets, whole
/// text). `[\s-]+` lets "PROTECTED-B" and a non-breaking space through.
const LEVELS: &str = r"top[\s-]+secret|tr[eè]s[\s-]+secret|secret|confidential|confidentiel|protected[\s-]+[abc]|prot[eé]g[eé][\s-]+[abc]";

/// A match before allowlisting and redaction.
struct Span {
    rule: Rule,
    start: usize,
    end: usize,
}

/// One hit in a text: the rule, a redacted excerpt, and the raw match (kept private by
/// [`super::Finding`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hit {
    pub rule: Rule,
    pub excerpt: String,
    pub raw: String,
}

/// Recognises markings and identifiers in text.
///
/// **Markings** (rule `marking`) are recognised when any of these holds:
/// 1. an upper-case distinctive phrase appears anywhere as whole words: `TOP SECRET`,
///    `TRÈS SECRET`/`TRES SECRET`, `PROTECTED A|B|C`, `PROTÉGÉ A|B|C` (accents optional),
///    `CANADIAN EYES ONLY`, `CAN EYES ONLY`, `EYES ONLY`, `RÉSERVÉ AUX CANADIENS`,
///    `NOFORN`, `REL TO`, `FOUO`, `FOR OFFICIAL USE ONLY`;
/// 2. `protected`/`protégé` in any case is followed by the level letter `A` (upper case
///    only, so "protected a species" passes) or `B`/`C` (any case) as a whole word
///    ("Protected B" is a marking, "Protected areas" is not);
/// 3. a `//` marking string: a level or its abbreviation (`TS`, `S`, `C`, `U`, `PA`..`PC`)
///    directly before `//` and a capital after (`TS//SI`, `SECRET//CANADIAN EYES ONLY`,
///    `U//FOUO`), or `//` opening a caveat (`//REL CAN`, `//NOFORN`, `//CEO`); `CEO` is
///    only a caveat here, never alone (it is also a job title);
/// 4. a label then a level, any case: `Classification: secret`, `Classification : PROTÉGÉ
///    B`, `Security classification:`, `Cote de sécurité :`, `Niveau de sécurité :`;
/// 5. a level in brackets or parentheses, any case (`[Secret]`, `(PROTECTED B)`), or a
///    portion mark `(TS)`/`(S)`/`(S//REL CAN)` opening a line (`(C)` is left alone: it is
///    the copyright sign);
/// 6. the whole text, ignoring surrounding spaces and punctuation, is a level in any case
///    (a cell or property that just says "Secret");
/// 7. the single words `SECRET`, `CONFIDENTIAL`, `CONFIDENTIEL` in upper case: when the
///    text also has lower-case letters (so the word stands out as a marking), or when it
///    opens a line of all-capital text ("SECRET - DO NOT COPY", but not "THE SECRET TO
///    SUCCESS").
///
/// **Identifiers**: `sin`: nine digits, bare or grouped 3-3-3 by one kind of separator
/// (space or hyphen), first digit not 0 or 8, valid Luhn check digit, not part of a
/// longer number (digits, decimals, or space-grouped thousands around it); `email`: the
/// usual `local@domain.tld`; `phone`: North American numbers with separators or
/// parentheses (`613-555-0123`, `(613) 555-0123`, `+1 613 555 0123`, `+16135550123`),
/// area code and exchange starting 2-9; a bare 10-digit number is not flagged, as amounts
/// and ids look the same. `custom:<name>`: each configured pattern.
///
/// **Allowlist**: a match is dropped when its text equals an allowlist entry ignoring case
/// and surrounding spaces, or an allowlist pattern matches the whole of it.
pub(crate) struct Matcher {
    strong: Regex,
    protected: Regex,
    slashes: Regex,
    caveat: Regex,
    label: Regex,
    bracketed: Regex,
    portion: Regex,
    whole: Regex,
    single: Regex,
    sin: Regex,
    email: Regex,
    phone: Regex,
    custom: Vec<(String, Regex)>,
    allow: Vec<String>,
    allow_patterns: Vec<Regex>,
}

fn builtin(pattern: &str) -> Regex {
    // safety: the built-in patterns are constants covered by the unit tests below.
    Regex::new(pattern).expect("built-in screen pattern compiles")
}

impl Matcher {
    /// # Errors
    /// [`ScreenError::BadPattern`] naming the config field of a regex that does not compile.
    pub(crate) fn new(cfg: &ScreenConfig) -> Result<Self, ScreenError> {
        let mut custom = Vec::with_capacity(cfg.patterns.len());
        for (i, p) in cfg.patterns.iter().enumerate() {
            let re = Regex::new(&p.regex).map_err(|e| ScreenError::BadPattern {
                field: format!("screen.patterns[{i}].regex"),
                reason: e.to_string(),
            })?;
            custom.push((p.name.clone(), re));
        }
        let mut allow_patterns = Vec::with_capacity(cfg.allowlist_patterns.len());
        for (i, p) in cfg.allowlist_patterns.iter().enumerate() {
            let re = Regex::new(&format!("^(?:{p})$")).map_err(|e| ScreenError::BadPattern {
                field: format!("screen.allowlist_patterns[{i}]"),
                reason: e.to_string(),
            })?;
            allow_patterns.push(re);
        }
        Ok(Matcher {
            strong: builtin(
                r"\b(?:TOP[\s-]+SECRET|TR[EÈ]S[\s-]+SECRET|PROTECTED[\s-]+[ABC]|PROT[EÉ]G[EÉ][\s-]+[ABC]|CANADIAN[\s-]+EYES[\s-]+ONLY|CAN[\s-]+EYES[\s-]+ONLY|EYES[\s-]+ONLY|R[EÉ]SERV[EÉ][\s-]+AUX[\s-]+CANADIENS|NOFORN|REL[\s-]+TO|FOUO|FOR[\s-]+OFFICIAL[\s-]+USE[\s-]+ONLY)\b",
            ),
            protected: builtin(r"\b(?i:protected|prot[eé]g[eé])[\s-]+(?:A|(?i:b|c))\b"),
            slashes: builtin(
                r"(?:^|[^\p{L}\p{N}/:])((?:TOP SECRET|TR[EÈ]S SECRET|SECRET|CONFIDENTIAL|CONFIDENTIEL|UNCLASSIFIED|PROTECTED [ABC]|PROT[EÉ]G[EÉ] [ABC]|TS|S|C|U|P[ABC])//[A-Z][A-Z/ ,-]*)",
            ),
            caveat: builtin(
                r"(?:^|[\s(\[])(//(?:REL|NOFORN|NF|CEO|SI|TK|FOUO|ORCON|FVEY|CANADIAN EYES ONLY)\b[A-Z/ ,-]*)",
            ),
            label: builtin(&format!(
                r"(?i)\b(?:security\s+)?(?:classification(?:\s+de\s+s[eé]curit[eé])?|cote\s+de\s+s[eé]curit[eé]|niveau\s+de\s+s[eé]curit[eé])\s*:\s*(?:{LEVELS})\b"
            )),
            bracketed: builtin(&format!(r"(?i)[\[(]\s*(?:{LEVELS})\s*[\])]")),
            portion: builtin(r"(?m)^[ \t]*\((?:TS|S)(?://[A-Z ,/-]+)?\)"),
            whole: builtin(&format!(
                r"(?i)^[\s\p{{P}}]*(?:{LEVELS}|canadian\s+eyes\s+only|noforn)[\s\p{{P}}]*$"
            )),
            single: builtin(r"\b(?:SECRET|CONFIDENTIAL|CONFIDENTIEL)\b"),
            sin: builtin(r"\b(\d{3})([ -]?)(\d{3})([ -]?)(\d{3})\b"),
            email: builtin(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b"),
            phone: builtin(
                r"(?:\+?1[\s.-]?)?(?:\(\s*[2-9]\d{2}\s*\)[\s.-]?|[2-9]\d{2}[\s.-])[2-9]\d{2}[\s.-]\d{4}\b|\+1[2-9]\d{2}[2-9]\d{6}\b",
            ),
            custom,
            allow: cfg
                .allowlist
                .iter()
                .map(|a| a.trim().to_lowercase())
                .collect(),
            allow_patterns,
        })
    }

    /// Every marking, identifier and custom match in `text`, in order, with redacted
    /// excerpts. Allowlisted matches are left out.
    pub(crate) fn hits(&self, text: &str) -> Vec<Hit> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let mut pii = self.identifier_spans(text);
        let markings = self.marking_spans(text);
        // Most text is clean: skip building the masked copy for it.
        if pii.is_empty() && markings.is_empty() {
            return Vec::new();
        }
        pii.sort_by_key(|s| s.start);
        // Every identifier is masked in every excerpt, allowlisted or not: an excerpt is
        // shown to people who need not see any of them.
        let masked = mask(text, &pii);
        let mut spans: Vec<Span> = markings.into_iter().chain(pii).collect();
        spans.sort_by_key(|s| s.start);
        spans
            .into_iter()
            .filter_map(|s| {
                let raw = &text[s.start..s.end];
                if self.allowed(raw) {
                    return None;
                }
                Some(Hit {
                    excerpt: excerpt(&masked, text, s.start, s.end),
                    raw: raw.to_string(),
                    rule: s.rule,
                })
            })
            .collect()
    }

    /// `text` cut to an excerpt from its start, with every identifier masked: for
    /// findings about a whole value (a formula) rather than a match in it.
    pub(crate) fn redacted(&self, text: &str) -> String {
        let mut pii = self.identifier_spans(text);
        pii.sort_by_key(|s| s.start);
        let masked = mask(text, &pii);
        excerpt(&masked, text, 0, 0)
    }

    fn allowed(&self, raw: &str) -> bool {
        let raw = raw.trim();
        let lower = raw.to_lowercase();
        self.allow.contains(&lower) || self.allow_patterns.iter().any(|p| p.is_match(raw))
    }

    /// False only when no marking rule can match `text`: a fast pre-filter, exact by
    /// construction (see [`may_have_marking`]).
    fn may_have_marking(&self, text: &str) -> bool {
        may_have_marking(text)
    }

    fn marking_spans(&self, text: &str) -> Vec<Span> {
        if !self.may_have_marking(text) {
            return Vec::new();
        }
        let mut found: Vec<(usize, usize)> = Vec::new();
        for re in [
            &self.strong,
            &self.protected,
            &self.label,
            &self.bracketed,
            &self.portion,
        ] {
            found.extend(re.find_iter(text).map(|m| (m.start(), m.end())));
        }
        for re in [&self.slashes, &self.caveat] {
            found.extend(
                re.captures_iter(text)
                    .filter_map(|c| c.get(1))
                    .map(|m| (m.start(), m.end_trimmed(text))),
            );
        }
        if self.whole.is_match(text) {
            let start = text.len() - text.trim_start().len();
            found.push((start, text.trim_end().len()));
        }
        let has_lower = text.chars().any(char::is_lowercase);
        for m in self.single.find_iter(text) {
            let line_start = text[..m.start()].rfind('\n').map_or(0, |i| i + 1);
            let opens_line = text[line_start..m.start()]
                .chars()
                .all(|c| c.is_whitespace() || c.is_ascii_punctuation());
            if has_lower || opens_line {
                found.push((m.start(), m.end()));
            }
        }
        merge(found)
            .into_iter()
            .map(|(start, end)| Span {
                rule: Rule::Marking,
                start,
                end,
            })
            .collect()
    }

    fn identifier_spans(&self, text: &str) -> Vec<Span> {
        let mut out = Vec::new();
        let hint = IdentifierHint::of(text);
        // `is_match` first: a miss is settled without the captures' allocation.
        let sin_matches = if hint.sin_digits >= 9 && hint.sin_shape && self.sin.is_match(text) {
            Some(self.sin.captures_iter(text))
        } else {
            None
        };
        for c in sin_matches.into_iter().flatten() {
            let (Some(m), Some(s1), Some(s2)) = (c.get(0), c.get(2), c.get(4)) else {
                continue;
            };
            if s1.as_str() != s2.as_str()
                || part_of_longer_number(text, m.start(), m.end(), s1.as_str())
            {
                continue;
            }
            let digits: Vec<u32> = m
                .as_str()
                .chars()
                .filter_map(|ch| ch.to_digit(10))
                .collect();
            if digits[0] != 0 && digits[0] != 8 && luhn_valid(&digits) {
                out.push(Span {
                    rule: Rule::Sin,
                    start: m.start(),
                    end: m.end(),
                });
            }
        }
        if hint.at_sign {
            out.extend(self.email.find_iter(text).map(|m| Span {
                rule: Rule::Email,
                start: m.start(),
                end: m.end(),
            }));
        }
        let phone_matches = if hint.phone_digits >= 10 && hint.phone_shape {
            Some(self.phone.find_iter(text))
        } else {
            None
        };
        for m in phone_matches.into_iter().flatten() {
            let before = text[..m.start()].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric()) {
                continue;
            }
            out.push(Span {
                rule: Rule::Phone,
                start: m.start(),
                end: m.end(),
            });
        }
        for (name, re) in &self.custom {
            out.extend(re.find_iter(text).filter(|m| !m.is_empty()).map(|m| Span {
                rule: Rule::Custom(name.clone()),
                start: m.start(),
                end: m.end(),
            }));
        }
        out
    }
}

/// Words one of which every case-insensitive marking rule needs: the levels' `prot`,
/// `secret` and `confidenti` (`protected`, `label`, `bracketed`, `whole`), `whole`'s
/// `canadian` and `noforn`, and `label`'s `classification`, `cote` and `niveau`.
const MARKING_WORDS: [&[u8]; 8] = [
    b"prot",
    b"secret",
    b"confidenti",
    b"canadian",
    b"classification",
    b"cote",
    b"noforn",
    b"niveau",
];

/// A necessary condition for every marking rule, checked in one pass over the bytes: a
/// text for which it is false cannot match any of them. Each rule needs at least one of:
/// - two ASCII capitals in a row: `strong` (every phrase, even `RÉSERVÉ` through `SERV`),
///   `single`, and `portion`'s `(TS`;
/// - one of [`MARKING_WORDS`] in any ASCII case;
/// - `//`: `slashes` and `caveat`; `(S`: `portion`.
///
/// The rules' `(?i)` is Unicode-aware, and two non-ASCII letters fold to ASCII ones:
/// `ſ` (long s) to `s` and `K` (Kelvin sign) to `k`; a text with either always passes,
/// as does one with `ı` (dotless i, whose capital is `I`), to be safe.
fn may_have_marking(text: &str) -> bool {
    let b = text.as_bytes();
    let mut prev = 0u8;
    for (i, &c) in b.iter().enumerate() {
        let hit = match c {
            b'A'..=b'Z' if prev.is_ascii_uppercase() => true,
            b'/' => prev == b'/',
            b'S' => prev == b'(',
            0xC5 => b.get(i + 1) == Some(&0xBF),
            0xC4 => b.get(i + 1) == Some(&0xB1),
            0xE2 => b.get(i + 1..i + 3) == Some(&[0x84, 0xAA][..]),
            _ => false,
        };
        if hit {
            return true;
        }
        let words: &[&[u8]] = match c | 0x20 {
            _ if !c.is_ascii_alphabetic() => &[],
            b'p' => &MARKING_WORDS[..1],
            b's' => &MARKING_WORDS[1..2],
            b'c' => &MARKING_WORDS[2..6],
            b'n' => &MARKING_WORDS[6..],
            _ => &[],
        };
        let rest = &b[i..];
        if words
            .iter()
            .any(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))
        {
            return true;
        }
        prev = c;
    }
    false
}

/// Cheap counts that rule identifier regexes out before they run.
struct IdentifierHint {
    /// The most digits in one stretch of digits, spaces and hyphens (a SIN needs 9).
    sin_digits: usize,
    /// The most digits in one stretch of digits, white space and `.()+-` (a phone
    /// number needs 10).
    phone_digits: usize,
    /// Whether the digit runs can form a SIN: within one stretch of digits, spaces and
    /// hyphens holding 9 digits, a run of exactly 3, 6 or 9 digits (the regex's `\b`
    /// keeps a match from starting or ending inside a longer run).
    sin_shape: bool,
    /// Whether the runs can form a phone number: a run of exactly 3 digits (the
    /// exchange) and one of exactly 4 (the line), or a `+` (the `+1` form).
    phone_shape: bool,
    at_sign: bool,
}

impl IdentifierHint {
    /// One pass over the characters. `\d` and `\s` are Unicode-aware, so any numeric
    /// character counts as a digit and any white space extends a phone stretch.
    fn of(text: &str) -> IdentifierHint {
        let mut hint = IdentifierHint {
            sin_digits: 0,
            phone_digits: 0,
            sin_shape: false,
            phone_shape: false,
            at_sign: false,
        };
        // Most text has too few digits for either pattern and no `@`: settle that with
        // whole-slice scans before walking the characters.
        // A non-ASCII character takes at least two bytes, so half the non-ASCII bytes
        // bounds the non-ASCII numerals.
        let (ascii_digits, high_bytes) = text.bytes().fold((0, 0), |(d, h), b| {
            (
                d + usize::from(b.is_ascii_digit()),
                h + usize::from(b >= 0x80),
            )
        });
        hint.at_sign = text.as_bytes().contains(&b'@');
        if ascii_digits + high_bytes / 2 < 9 && !hint.at_sign {
            return hint;
        }
        let (mut sin_run, mut phone_run) = (0, 0);
        // `pure` counts ASCII digits in a row; `stretch_369` says the current SIN stretch
        // holds a run of 3, 6 or 9. A non-ASCII numeral (which `\d` may or may not
        // count) makes both shapes possible, to stay exact.
        let (mut pure, mut stretch_369, mut run3, mut run4) = (0usize, false, false, false);
        for c in text.chars() {
            if c.is_ascii_digit() {
                pure += 1;
            } else {
                match pure {
                    3 => run3 = true,
                    4 => run4 = true,
                    _ => {}
                }
                stretch_369 |= matches!(pure, 3 | 6 | 9);
                pure = 0;
            }
            let (digit, sin_keeps, phone_keeps) = match c {
                '0'..='9' => (true, true, true),
                ' ' | '-' => (false, true, true),
                '\t' | '\n' | '\x0B' | '\x0C' | '\r' | '.' | '(' | ')' | '+' => {
                    hint.phone_shape |= c == '+';
                    (false, false, true)
                }
                '@' => {
                    hint.at_sign = true;
                    (false, false, false)
                }
                c if c.is_ascii() => (false, false, false),
                c if c.is_numeric() => {
                    hint.sin_shape = true;
                    hint.phone_shape = true;
                    (true, true, true)
                }
                c => (false, false, c.is_whitespace()),
            };
            if digit {
                sin_run += 1;
                phone_run += 1;
                hint.sin_digits = hint.sin_digits.max(sin_run);
                hint.phone_digits = hint.phone_digits.max(phone_run);
            } else {
                if !sin_keeps {
                    hint.sin_shape |= stretch_369 && sin_run >= 9;
                    stretch_369 = false;
                    sin_run = 0;
                }
                if !phone_keeps {
                    phone_run = 0;
                }
            }
        }
        match pure {
            3 => run3 = true,
            4 => run4 = true,
            _ => {}
        }
        stretch_369 |= matches!(pure, 3 | 6 | 9);
        hint.sin_shape |= stretch_369 && sin_run >= 9;
        hint.phone_shape |= run3 && run4;
        hint
    }
}

trait EndTrimmed {
    fn end_trimmed(&self, text: &str) -> usize;
}

impl EndTrimmed for regex::Match<'_> {
    /// The match end without trailing spaces and commas, so excerpts end on the marking.
    fn end_trimmed(&self, text: &str) -> usize {
        let s = &text[self.start()..self.end()];
        self.start() + s.trim_end_matches([' ', ',', '-', '/']).len()
    }
}

/// Joins overlapping or touching spans, so one marking string gives one finding.
fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// A nine-digit run that is really part of a bigger number: more digits, a decimal part,
/// or a further space/hyphen-grouped group ("1 123 456 782" is a French-formatted amount).
fn part_of_longer_number(text: &str, start: usize, end: usize, sep: &str) -> bool {
    let before = &text[..start];
    let after = &text[end..];
    let digit_after = |s: &str, n: usize| s.chars().nth(n).is_some_and(|c| c.is_ascii_digit());
    let digit_before = |s: &str| s.chars().next_back().is_some_and(|c| c.is_ascii_digit());
    for p in [".", ","] {
        if after.starts_with(p) && digit_after(after, 1) {
            return true;
        }
        if let Some(b) = before.strip_suffix(p) {
            if digit_before(b) {
                return true;
            }
        }
    }
    for p in [sep, " ", "\u{a0}"] {
        if p.is_empty() {
            continue;
        }
        if after.starts_with(p) && digit_after(after, p.chars().count()) {
            return true;
        }
        if let Some(b) = before.strip_suffix(p) {
            if digit_before(b) {
                return true;
            }
        }
    }
    false
}

/// The Luhn check used by Social Insurance Numbers.
fn luhn_valid(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// The text with every identifier span masked character for character (so byte offsets
/// into the original still find the same characters), and line breaks and other control
/// characters shown as spaces.
fn mask(text: &str, spans: &[Span]) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    let mut spans = spans.iter().peekable();
    let mut pos = 0;
    while pos < text.len() {
        while spans.peek().is_some_and(|s| s.end <= pos) {
            spans.next();
        }
        match spans.peek() {
            Some(s) if s.start <= pos => {
                out.extend(mask_value(&s.rule, &text[pos..s.end]));
                pos = s.end;
            }
            next => {
                let stop = next.map_or(text.len(), |s| s.start);
                out.extend(
                    text[pos..stop]
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c }),
                );
                pos = stop;
            }
        }
    }
    out
}

/// One masked identifier, the same number of characters long: SIN `***-***-**2`, phone
/// `(***) ***-**67`, email `j******@e******.ca`, custom patterns wholly masked.
fn mask_value(rule: &Rule, raw: &str) -> Vec<char> {
    let chars: Vec<char> = raw.chars().collect();
    let digit_positions: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_ascii_digit())
        .collect();
    let keep_last_digits = |n: usize| -> Vec<char> {
        let keep_from = digit_positions.len().saturating_sub(n);
        let kept: Vec<usize> = digit_positions[keep_from..].to_vec();
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if c.is_ascii_digit() && !kept.contains(&i) {
                    '*'
                } else {
                    c
                }
            })
            .collect()
    };
    match rule {
        Rule::Sin => keep_last_digits(1),
        Rule::Phone => keep_last_digits(2),
        Rule::Email => {
            let at = chars.iter().position(|&c| c == '@').unwrap_or(0);
            let tld = chars.iter().rposition(|&c| c == '.').unwrap_or(chars.len());
            chars
                .iter()
                .enumerate()
                .map(|(i, &c)| {
                    if i == 0 || i == at || i == at + 1 || i >= tld {
                        c
                    } else {
                        '*'
                    }
                })
                .collect()
        }
        _ => chars
            .iter()
            .map(|&c| if c.is_whitespace() { c } else { '*' })
            .collect(),
    }
}

/// At most [`EXCERPT_CHARS`] characters of `masked` around the match at byte range
/// `start..end` of `text`, with `…` where it was cut.
fn excerpt(masked: &[char], text: &str, start: usize, end: usize) -> String {
    let cs = text[..start].chars().count();
    let ce = cs + text[start..end].chars().count();
    let len = ce - cs;
    let (from, to) = if len >= EXCERPT_CHARS {
        (cs, cs + EXCERPT_CHARS)
    } else {
        let ctx = (EXCERPT_CHARS - len) / 2;
        let from = cs.saturating_sub(ctx);
        (from, (ce + ctx).min(masked.len()))
    };
    let mut s = String::new();
    if from > 0 {
        s.push('…');
    }
    s.extend(&masked[from..to]);
    if to < masked.len() {
        s.push('…');
    }
    s.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::CustomPattern;

    /// The pre-filters are sound: whenever a rule's regex matches a text, the filter
    /// lets the text through. Texts are random mixes of fragments near every rule.
    #[test]
    fn prefilters_never_hide_a_match() {
        let m = Matcher::new(&ScreenConfig::default()).unwrap();
        let fragments = [
            "TOP SECRET",
            "top secret",
            "TRÈS",
            "SECRET",
            "Secret",
            "ſecret",
            "PROTECTED",
            "protected",
            "Protégé",
            "PROTÉGÉ",
            " B",
            " b",
            " A",
            " C",
            "RÉSERVÉ AUX CANADIENS",
            "CANADIAN EYES ONLY",
            "Canadian eyes only",
            "noforn",
            "NOFORN",
            "FOUO",
            "REL TO",
            "//",
            "TS//SI",
            "U//FOUO",
            "(S)",
            "(TS)",
            "(S//REL CAN)",
            "[",
            "]",
            "(",
            ")",
            "Classification",
            "classification",
            "cote de sécurité",
            "Niveau de sécurité",
            "Security",
            ":",
            " : ",
            " ",
            "\n",
            "-",
            ".",
            "+1",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "8",
            "9",
            "0",
            "613",
            "555",
            "0123",
            "046",
            "454",
            "286",
            "130 692 544",
            "(613) 555-0123",
            "+16135550123",
            "a",
            "é",
            "@",
            "jane@example.ca",
            ".ca",
            "x",
            "confidential",
            "CONFIDENTIEL",
            "K",
            "ı",
            "١٢٣",
            "\u{a0}",
            "\t",
        ];
        let markings = [
            &m.strong,
            &m.protected,
            &m.slashes,
            &m.caveat,
            &m.label,
            &m.bracketed,
            &m.portion,
            &m.whole,
            &m.single,
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        let mut text = String::new();
        for _ in 0..200_000 {
            text.clear();
            for _ in 0..rng.usize(1..7) {
                text.push_str(fragments[rng.usize(..fragments.len())]);
            }
            if markings.iter().any(|re| re.is_match(&text)) {
                assert!(m.may_have_marking(&text), "{text:?}");
            }
            let hint = IdentifierHint::of(&text);
            if m.sin.is_match(&text) {
                assert!(hint.sin_digits >= 9 && hint.sin_shape, "{text:?}");
            }
            if m.phone.is_match(&text) {
                assert!(hint.phone_digits >= 10 && hint.phone_shape, "{text:?}");
            }
            if m.email.is_match(&text) {
                assert!(hint.at_sign, "{text:?}");
            }
        }
    }

    fn matcher() -> Matcher {
        let cfg = ScreenConfig {
            allowlist: vec!["Info@Dept.gc.ca".into()],
            allowlist_patterns: vec![r"[a-z]+@public\.example".into()],
            patterns: vec![CustomPattern {
                name: "badge".into(),
                regex: r"\bBDG-\d{5}\b".into(),
            }],
            ..ScreenConfig::default()
        };
        Matcher::new(&cfg).unwrap()
    }

    fn rules(text: &str) -> Vec<String> {
        matcher()
            .hits(text)
            .into_iter()
            .map(|h| h.rule.to_string())
            .collect()
    }

    #[test]
    fn markings_are_recognised() {
        let cases = [
            "TOP SECRET",
            "Secret",
            "confidential",
            "This report is SECRET.",
            "SECRET - DO NOT COPY",
            "Protected B",
            "PROTECTED A",
            "protected b",
            "Protégé B",
            "PROTEGE C",
            "TRÈS SECRET",
            "Très secret",
            "TRES SECRET",
            "SECRET//CANADIAN EYES ONLY",
            "TS//SI",
            "see //REL CAN",
            "(S//REL TO CAN, USA) para",
            "(TS) The operation",
            "CANADIAN EYES ONLY",
            "approved for release NOFORN",
            "REL TO CAN, AUS, GBR",
            "Classification: secret",
            "Classification : PROTÉGÉ B",
            "cote de sécurité : confidentiel",
            "[Secret] minutes",
            "notes (PROTECTED B) here",
            "U//FOUO",
            "Caveat: RÉSERVÉ AUX CANADIENS",
            "CONFIDENTIEL",
        ];
        for text in cases {
            assert_eq!(rules(text), vec!["marking"], "{text:?}");
        }
    }

    #[test]
    fn ordinary_words_are_not_markings() {
        let cases = [
            "the secret to good data",
            "Secret Santa gift exchange",
            "THE SECRET TO SUCCESS",
            "Protected areas of Canada",
            "PROTECTED AREAS",
            "protected a species at risk",
            "Species protected by law",
            "Confidential informants were consulted in the study",
            "CEO salary",
            "https://open.canada.ca//data",
            "// TODO",
            "(C) 2024 Crown copyright",
            "NAME(S)",
            "Classification: unclassified",
            "Secretary of State",
        ];
        for text in cases {
            assert!(rules(text).is_empty(), "{text:?} gave {:?}", rules(text));
        }
    }

    #[test]
    fn identifiers_are_recognised_and_masked() {
        let cases = [
            ("SIN 130 692 544", "sin", "*** *** **4", "130"),
            ("130-692-544", "sin", "***-***-**4", "692"),
            ("id 130692544 filed", "sin", "********4", "1306"),
            (
                "write jane.doe@example.gc.ca now",
                "email",
                "j*******@e*********.ca",
                "jane",
            ),
            ("call (613) 555-0123", "phone", "(***) ***-**23", "555"),
            ("tel 613-555-0123", "phone", "***-***-**23", "555"),
            ("+1 613 555 0123", "phone", "+* *** *** **23", "613"),
            ("badge BDG-12345", "custom:badge", "*********", "12345"),
        ];
        for (text, rule, masked, secret) in cases {
            let hits = matcher().hits(text);
            assert_eq!(hits.len(), 1, "{text:?}: {hits:?}");
            assert_eq!(hits[0].rule.to_string(), rule);
            assert!(
                hits[0].excerpt.contains(masked),
                "{text:?}: {}",
                hits[0].excerpt
            );
            assert!(!hits[0].excerpt.contains(secret), "{}", hits[0].excerpt);
        }
    }

    #[test]
    fn identifier_look_alikes_pass() {
        let cases = [
            "046 454 286",         // Luhn valid, but starts with 0
            "130 692 545",         // Luhn fails
            "130692545",           // Luhn fails
            "846 454 281",         // starts with 8 (Luhn valid otherwise irrelevant)
            "1 130 692 544",       // French-formatted amount
            "130692544.25",        // decimal
            "1130692544",          // ten digits
            "130 692-544",         // mixed separators
            "Info@dept.gc.ca",     // allowlisted exactly, any case
            "news@public.example", // allowlisted by pattern
            "6135550123",          // bare ten digits: an amount as often as a phone
            "2021-555-1234",       // not a phone: area code would start with 0
            "-12.5",
        ];
        for text in cases {
            assert!(rules(text).is_empty(), "{text:?} gave {:?}", rules(text));
        }
    }

    #[test]
    fn excerpts_are_capped_and_mask_surrounding_identifiers() {
        let text = format!(
            "{} SECRET contact jane@example.ca {}",
            "x".repeat(60),
            "y".repeat(60)
        );
        let hits = matcher().hits(&text);
        assert_eq!(hits.len(), 2);
        for h in &hits {
            assert!(
                h.excerpt.chars().count() <= EXCERPT_CHARS + 2,
                "{}",
                h.excerpt
            );
            assert!(!h.excerpt.contains("jane"), "{}", h.excerpt);
        }
        assert!(hits[0].excerpt.contains("SECRET"));
        assert_eq!(hits[1].raw, "jane@example.ca");
    }

    #[test]
    fn one_marking_string_is_one_finding() {
        let hits = matcher().hits("SECRET//CANADIAN EYES ONLY");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].excerpt, "SECRET//CANADIAN EYES ONLY");
    }

    #[test]
    fn bad_custom_pattern_names_its_field() {
        let cfg = ScreenConfig {
            patterns: vec![
                CustomPattern {
                    name: "a".into(),
                    regex: "ok".into(),
                },
                CustomPattern {
                    name: "b".into(),
                    regex: "ok".into(),
                },
                CustomPattern {
                    name: "c".into(),
                    regex: "(".into(),
                },
            ],
            ..ScreenConfig::default()
        };
        match Matcher::new(&cfg) {
            Err(ScreenError::BadPattern { field, .. }) => {
                assert_eq!(field, "screen.patterns[2].regex")
            }
            Err(other) => panic!("wrong error {other}"),
            Ok(_) => panic!("bad pattern accepted"),
        }
    }

    #[test]
    fn luhn_checks_known_sins() {
        let d = |s: &str| s.chars().filter_map(|c| c.to_digit(10)).collect::<Vec<_>>();
        assert!(luhn_valid(&d("046454286")));
        assert!(luhn_valid(&d("130692544")));
        assert!(!luhn_valid(&d("046454287")));
    }
}
