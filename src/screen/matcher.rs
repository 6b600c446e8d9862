//! The core recogniser: markings, personal identifiers and custom patterns in one text.
//!
//! Every other part of the screen (cells, XML, workbook containers) reduces what it reads
//! to text and calls [`Matcher::hits`] (or [`Matcher::scan`], with what it knows of a
//! SIN's context). The rules are documented on [`Matcher`]; they aim to catch every real
//! marking, however it is spelled, while letting ordinary prose ("the secret to good
//! data", "protected areas", "Secretariat") through, and to never put a raw identifier
//! into an excerpt.

use std::cell::RefCell;

use regex::Regex;

use super::normalise::{self, View};
use super::prescan::Prescan;
use super::rule::Rule;
use super::{ScreenConfig, ScreenError};

/// Longest excerpt shown, in characters, before the `…` markers.
const EXCERPT_CHARS: usize = 40;

/// How far from a bare nine-digit number a SIN label counts, in characters (Microsoft
/// Purview's window for its Canada SIN type).
const LABEL_WINDOW: usize = 300;

/// Classification levels, for the rules that accept any case (label, brackets, whole
/// text). `[\s-]+` lets "PROTECTED-B" and a non-breaking space through. The rules match
/// the normalised text, where accents are gone, but still accept them for callers that
/// match stored text.
const LEVELS: &str = r"top[\s-]+secret|tr[eè]s[\s-]+secret|secret|confidential|confidentiel|protected[\s-]+[abc]|prot[eé]g[eé][\s-]+[abc]";

/// Byte ranges in one text.
type Ranges = Vec<(usize, usize)>;

/// What a text alone cannot tell about a bare nine-digit number: whether the column's
/// header, or another cell of the row, names a SIN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SinContext {
    pub labelled: bool,
}

/// A match before allowlisting and redaction, in the stored text's byte offsets.
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

/// Everything [`Matcher::scan`] found in a text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Scan {
    /// Findings.
    pub hits: Vec<Hit>,
    /// Bare, Luhn-valid nine-digit numbers with no SIN label in the text or the
    /// [`SinContext`]: a SIN if the caller finds a label elsewhere (another cell of the
    /// row), else not a finding. Rule `sin`, excerpt redacted.
    pub unlabelled: Vec<Hit>,
}

thread_local! {
    /// The normalised text of the last text that was not plain, reused: most such texts
    /// (French words) are ruled out by the prescan of their normalised form, and need no
    /// offset map.
    static SEEN: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Recognises markings and identifiers in text.
///
/// **Normalisation.** The marking and SIN rules match the text as a reader sees it
/// ([`normalise`](super::normalise)): compatibility forms folded (NFKC), accents and other
/// combining marks dropped, zero-width and other default-ignorable characters removed,
/// confusable letters (Cyrillic, Greek) read as their Latin look-alikes, `_` read as a
/// space; and the marking rules look a second time with letters spread out by single
/// spaces, dots or hyphens joined (`S E C R E T`, `S.E.C.R.E.T.`). Findings quote the
/// stored text. Email, phone and custom patterns match the stored text.
///
/// **Markings** (rule `marking`) are recognised when any of these holds:
/// 1. an upper-case distinctive phrase appears anywhere as whole words: `TOP SECRET`
///    (also `TOPSECRET`), `TRÈS SECRET`/`TRES SECRET`, `PROTECTED A|B|C`, `PROTÉGÉ A|B|C`
///    (accents optional), `CANADIAN EYES ONLY`, `CAN EYES ONLY`, `EYES ONLY`,
///    `RÉSERVÉ AUX CANADIENS`, `NOFORN`, `REL TO`, `FOUO`, `FOR OFFICIAL USE ONLY`;
/// 2. `protected`/`protégé` in any case is followed by the level letter `A` (upper case
///    only, so "protected a species" passes) or `B`/`C` (any case) as a whole word
///    ("Protected B" is a marking, "Protected areas" is not);
/// 3. a `//` marking string: a level or its abbreviation (`TS`, `S`, `C`, `U`, `PA`..`PC`)
///    directly before `//` and a capital after (`TS//SI`, `SECRET//CANADIAN EYES ONLY`,
///    `U//FOUO`); in any case, a level word before `//` and a letter after
///    (`secret//rel to can`), or an abbreviation before `//` and a caveat after
///    (`s//rel can`, `ts//si`); or `//` opening a caveat in any case (`//REL CAN`,
///    `//noforn`, `//CEO`); `CEO` is only a caveat here, never alone (it is also a job
///    title);
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
/// Words that merely contain a level are not markings: "Secretariat", "Secretary
/// General", "protected areas", "confidentiality" (no rule matches a level inside a
/// longer word, and lower-case levels in prose are words).
///
/// **SIN** (rule `sin`): nine digits, bare or grouped 3-3-3 by one kind of separator
/// (space, hyphen or dot), not part of a longer number (digits, decimals, or
/// space-grouped thousands around it), with a valid Luhn check digit, whatever the first
/// digit; and then either written grouped (`046 454 286`, `046-454-286`, `046.454.286`),
/// or with a SIN label (`SIN`, `NAS`, `social insurance`, `assurance sociale`, as whole
/// words, any case) within 300 characters in the same text, or in a column whose header
/// (or a row that) names one ([`SinContext`]). A bare number with no such context (a
/// barrel count, an invoice number) is not a SIN.
///
/// **Other identifiers**: `email`: the usual `local@domain.tld`; `phone`: North American
/// numbers with separators or parentheses (`613-555-0123`, `(613) 555-0123`,
/// `+1 613 555 0123`, `+16135550123`), area code and exchange starting 2-9; a bare
/// 10-digit number is not flagged, as amounts and ids look the same. `custom:<name>`:
/// each configured pattern.
///
/// **Allowlist**: a match is dropped when its text equals an allowlist entry ignoring case
/// and surrounding spaces, or an allowlist pattern matches the whole of it.
pub(crate) struct Matcher {
    strong: Regex,
    protected: Regex,
    slashes: Regex,
    slashes_any: Regex,
    caveat: Regex,
    label: Regex,
    bracketed: Regex,
    portion: Regex,
    whole: Regex,
    single: Regex,
    sin: Regex,
    sin_label: Regex,
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

/// The texts the rules look at, how their offsets lead back to the stored text, and
/// which rule families might match each.
struct Views {
    /// `None` when the text is plain (the rules match it as it is), or when the prescan
    /// of its normalised form rules markings and SINs out.
    seen: Option<View>,
    /// The seen text with spread-out letters joined, when there were any.
    collapsed: Option<View>,
    /// The prescan of the seen text (of the stored text when it is plain).
    seen_scan: Prescan,
    collapsed_scan: Prescan,
    /// The prescan of the stored text, for the email and phone rules.
    stored_scan: Prescan,
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
                r"\b(?:TOP[\s-]*SECRET|TR[EÈ]S[\s-]+SECRET|PROTECTED[\s-]+[ABC]|PROT[EÉ]G[EÉ][\s-]+[ABC]|CANADIAN[\s-]+EYES[\s-]+ONLY|CAN[\s-]+EYES[\s-]+ONLY|EYES[\s-]+ONLY|R[EÉ]SERV[EÉ][\s-]+AUX[\s-]+CANADIENS|NOFORN|REL[\s-]+TO|FOUO|FOR[\s-]+OFFICIAL[\s-]+USE[\s-]+ONLY)\b",
            ),
            protected: builtin(r"\b(?i:protected|prot[eé]g[eé])[\s-]+(?:A|(?i:b|c))\b"),
            slashes: builtin(
                r"(?:^|[^\p{L}\p{N}/:])((?:TOP SECRET|TR[EÈ]S SECRET|SECRET|CONFIDENTIAL|CONFIDENTIEL|UNCLASSIFIED|PROTECTED [ABC]|PROT[EÉ]G[EÉ] [ABC]|TS|S|C|U|P[ABC])//[A-Z][A-Z/ ,-]*)",
            ),
            slashes_any: builtin(
                r"(?i)(?:^|[^\p{L}\p{N}/:])((?:top\s+secret|tr[eè]s\s+secret|secret|confidential|confidentiel|protected\s+[abc]|prot[eé]g[eé]\s+[abc])//\p{L}[\p{L}/ ,-]*|(?:ts|s|c|u|p[abc])//(?:rel|noforn|nf|ceo|si|tk|fouo|orcon|fvey|canadian\s+eyes\s+only|can\s+eyes\s+only)\b[\p{L}/ ,-]*)",
            ),
            caveat: builtin(
                r"(?:^|[\s(\[])(//(?i:rel|noforn|nf|ceo|si|tk|fouo|orcon|fvey|canadian eyes only)\b[A-Z/ ,-]*)",
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
            sin: builtin(r"\b([0-9]{3})([ .-]?)([0-9]{3})([ .-]?)([0-9]{3})\b"),
            sin_label: builtin(
                r"(?i)\b(?:sins?|nas|s\.i\.n|n\.a\.s|social\s+insurance|assurance\s+sociale?)\b",
            ),
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
    /// excerpts. Allowlisted matches are left out. A bare nine-digit number counts as a
    /// SIN only with a label in `text` itself.
    pub(crate) fn hits(&self, text: &str) -> Vec<Hit> {
        self.scan(text, SinContext::default()).hits
    }

    /// [`Matcher::hits`], with what the caller knows of a SIN's context, and the bare
    /// numbers that only a label elsewhere would make SINs.
    pub(crate) fn scan(&self, text: &str, ctx: SinContext) -> Scan {
        self.scan_after(text, ctx, None)
    }

    /// Whether `text`, as a reader sees it, names a SIN (`SIN`, `NAS`, `Employee_SIN`,
    /// `Numéro d'assurance sociale`): for a column header or a label cell.
    pub(crate) fn names_sin(&self, text: &str) -> bool {
        if normalise::is_plain(text) {
            self.sin_label.is_match(text)
        } else {
            self.sin_label.is_match(&normalise::normalise(text).text)
        }
    }

    /// The views of `text` the rules need: none for a plain text; for another, the
    /// normalised text with its offset map, but only if the prescan of it (or of its
    /// collapsed form) leaves a marking or a SIN possible. `forced` replaces the prescans.
    fn views(text: &str, forced: Option<Prescan>) -> Views {
        let scan_of = |t: &str| forced.unwrap_or_else(|| Prescan::of(t));
        if normalise::is_plain(text) {
            let scan = scan_of(text);
            return Views {
                seen: None,
                collapsed: None,
                seen_scan: scan,
                collapsed_scan: Prescan::NONE,
                stored_scan: scan,
            };
        }
        let stored_scan = scan_of(text);
        // First without the map, into a reused buffer: most such texts stop here.
        let possible = forced.is_some()
            || SEEN.with(|buf| {
                let mut buf = buf.borrow_mut();
                normalise::normalise_into(text, &mut buf);
                let scan = Prescan::of(&buf);
                scan.marking || scan.sin || normalise::may_collapse_text(&buf)
            });
        if !possible {
            return Views {
                seen: None,
                collapsed: None,
                seen_scan: Prescan::NONE,
                collapsed_scan: Prescan::NONE,
                stored_scan,
            };
        }
        let seen = normalise::normalise(text);
        let collapsed = normalise::collapse(&seen);
        Views {
            seen_scan: scan_of(&seen.text),
            collapsed_scan: collapsed
                .as_ref()
                .map_or(Prescan::NONE, |c| scan_of(&c.text)),
            seen: Some(seen),
            collapsed,
            stored_scan,
        }
    }

    /// [`Matcher::scan`] running only the built-in rules that the prescans say might
    /// match (custom patterns always run); `Some(Prescan::ALL)` gives the unfiltered
    /// matcher.
    fn scan_after(&self, text: &str, ctx: SinContext, forced: Option<Prescan>) -> Scan {
        if text.trim().is_empty() {
            return Scan::default();
        }
        let views = Self::views(text, forced);
        let Views {
            seen: seen_view,
            collapsed,
            seen_scan,
            collapsed_scan,
            stored_scan,
        } = &views;
        if !seen_scan.any()
            && !collapsed_scan.marking
            && !stored_scan.email
            && !stored_scan.phone
            && self.custom.is_empty()
        {
            return Scan::default();
        }
        let seen = seen_view.as_ref().map_or(text, |v| v.text.as_str());
        let back = |(s, e): (usize, usize)| match seen_view {
            Some(v) => v.original(s, e),
            None => (s, e),
        };
        let mut marks: Vec<(usize, usize)> = Vec::new();
        if seen_scan.marking {
            marks.extend(self.marking_spans(seen).into_iter().map(back));
        }
        if let (Some(c), true) = (collapsed, collapsed_scan.marking) {
            marks.extend(
                self.marking_spans(&c.text)
                    .into_iter()
                    .map(|(s, e)| c.original(s, e)),
            );
        }
        let markings = merge(marks).into_iter().map(|(start, end)| Span {
            rule: Rule::Marking,
            start,
            end,
        });
        let (held, bare) = if seen_scan.sin {
            self.sin_spans(seen, ctx)
        } else {
            (Vec::new(), Vec::new())
        };
        let sin_span = |s| {
            let (start, end) = back(s);
            Span {
                rule: Rule::Sin,
                start,
                end,
            }
        };
        let mut pii: Vec<Span> = held.into_iter().map(sin_span).collect();
        let bare: Vec<Span> = bare.into_iter().map(sin_span).collect();
        self.stored_identifier_spans(text, *stored_scan, &mut pii);
        let mut spans: Vec<Span> = markings.collect();
        // Most text is clean: skip building the masked copy for it.
        if pii.is_empty() && spans.is_empty() && bare.is_empty() {
            return Scan::default();
        }
        // Every identifier, and every number that might be a SIN, is masked in every
        // excerpt, allowlisted or not: an excerpt is shown to people who need not see any
        // of them.
        let mut masked_spans: Vec<&Span> = pii.iter().chain(&bare).collect();
        masked_spans.sort_by_key(|s| s.start);
        let masked = mask(text, &masked_spans);
        spans.extend(pii);
        spans.sort_by_key(|s| s.start);
        let hit = |s: Span| -> Option<Hit> {
            let raw = &text[s.start..s.end];
            if self.allowed(raw) {
                return None;
            }
            Some(Hit {
                excerpt: excerpt(&masked, text, s.start, s.end),
                raw: raw.to_string(),
                rule: s.rule,
            })
        };
        Scan {
            hits: spans.into_iter().filter_map(hit).collect(),
            unlabelled: bare.into_iter().filter_map(hit).collect(),
        }
    }

    /// `text` cut to an excerpt from its start, with every identifier masked: for
    /// findings about a whole value (a formula) rather than a match in it.
    pub(crate) fn redacted(&self, text: &str) -> String {
        let views = Self::views(text, Some(Prescan::ALL));
        let seen = views.seen.as_ref().map_or(text, |v| v.text.as_str());
        let (held, bare) = self.sin_spans(seen, SinContext::default());
        let mut pii: Vec<Span> = held
            .into_iter()
            .chain(bare)
            .map(|(s, e)| {
                let (start, end) = match &views.seen {
                    Some(v) => v.original(s, e),
                    None => (s, e),
                };
                Span {
                    rule: Rule::Sin,
                    start,
                    end,
                }
            })
            .collect();
        self.stored_identifier_spans(text, Prescan::ALL, &mut pii);
        pii.sort_by_key(|s| s.start);
        let refs: Vec<&Span> = pii.iter().collect();
        let masked = mask(text, &refs);
        excerpt(&masked, text, 0, 0)
    }

    fn allowed(&self, raw: &str) -> bool {
        let raw = raw.trim();
        let lower = raw.to_lowercase();
        self.allow.contains(&lower) || self.allow_patterns.iter().any(|p| p.is_match(raw))
    }

    /// Marking matches in `text`, in its byte offsets, unmerged.
    fn marking_spans(&self, text: &str) -> Vec<(usize, usize)> {
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
        for re in [&self.slashes, &self.slashes_any, &self.caveat] {
            found.extend(
                re.captures_iter(text)
                    .filter_map(|c| c.get(1))
                    .map(|m| (m.start(), m.end_trimmed(text)))
                    .filter(|(s, e)| s < e),
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
        found
    }

    /// Luhn-valid nine-digit numbers in the seen text (its byte offsets): those that are
    /// SINs by their shape or their context, and the bare ones that are not, yet.
    fn sin_spans(&self, seen: &str, ctx: SinContext) -> (Ranges, Ranges) {
        let (mut held, mut bare) = (Vec::new(), Vec::new());
        // `is_match` first: a miss is settled without the captures' allocation.
        if !self.sin.is_match(seen) {
            return (held, bare);
        }
        let mut labels: Option<Ranges> = None;
        for c in self.sin.captures_iter(seen) {
            let (Some(m), Some(s1), Some(s2)) = (c.get(0), c.get(2), c.get(4)) else {
                continue;
            };
            if s1.as_str() != s2.as_str()
                || part_of_longer_number(seen, m.start(), m.end(), s1.as_str())
            {
                continue;
            }
            let digits: Vec<u32> = m
                .as_str()
                .bytes()
                .filter(u8::is_ascii_digit)
                .map(|b| u32::from(b - b'0'))
                .collect();
            if !luhn_valid(&digits) {
                continue;
            }
            let grouped = !s1.as_str().is_empty();
            let labelled = grouped
                || ctx.labelled
                || label_near(
                    seen,
                    labels.get_or_insert_with(|| {
                        self.sin_label
                            .find_iter(seen)
                            .map(|l| (l.start(), l.end()))
                            .collect()
                    }),
                    m.start(),
                    m.end(),
                );
            if labelled {
                held.push((m.start(), m.end()));
            } else {
                bare.push((m.start(), m.end()));
            }
        }
        (held, bare)
    }

    /// Email, phone and custom matches in the stored text.
    fn stored_identifier_spans(&self, text: &str, scan: Prescan, out: &mut Vec<Span>) {
        if scan.email {
            out.extend(self.email.find_iter(text).map(|m| Span {
                rule: Rule::Email,
                start: m.start(),
                end: m.end(),
            }));
        }
        let phone_matches = if scan.phone {
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
    }
}

/// Whether one of the `labels` (byte ranges in `text`) lies within [`LABEL_WINDOW`]
/// characters of the number at `start..end`.
fn label_near(text: &str, labels: &[(usize, usize)], start: usize, end: usize) -> bool {
    labels.iter().any(|&(ls, le)| {
        let gap = if le <= start {
            &text[le..start]
        } else if ls >= end {
            &text[end..ls]
        } else {
            return true;
        };
        // A byte count at most the window settles it without counting characters.
        gap.len() <= LABEL_WINDOW || gap.chars().count() <= LABEL_WINDOW
    })
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
fn mask(text: &str, spans: &[&Span]) -> Vec<char> {
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
    // Any numeral, not only ASCII digits: a full-width SIN is a SIN.
    let digit_positions: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i].is_numeric())
        .collect();
    let keep_last_digits = |n: usize| -> Vec<char> {
        let keep_from = digit_positions.len().saturating_sub(n);
        let kept: Vec<usize> = digit_positions[keep_from..].to_vec();
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if c.is_numeric() && !kept.contains(&i) {
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

    /// Pieces that generated texts are made of: near misses and hits of every rule.
    const FRAGMENTS: &[&str] = &[
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
        "protége",
        " B",
        " b",
        " A",
        " C",
        " c",
        "RÉSERVÉ AUX CANADIENS",
        "Réservé aux Canadiens",
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
        "_",
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
        "É",
        "@",
        "jane@example.ca",
        ".ca",
        "x",
        "confidential",
        "CONFIDENTIEL",
        "\u{212a}",
        "ı",
        "١٢٣",
        "\u{a0}",
        "\u{2009}",
        "\u{3000}",
        "—",
        "’",
        "½",
        "²",
        "\t",
        "BDG-",
        "12345",
        "bdg-",
        "\u{200b}",
        "\u{ad}",
        "\u{202e}",
        "\u{fe0f}",
        "\u{300}",
        "\u{301}",
        "\u{415}",
        "\u{435}",
        "\u{421}",
        "\u{39f}",
        "ＳＥＣＲＥＴ",
        "Ｔ",
        "S E C R E T",
        "S.E.C.R.E.T.",
        "T O P",
        "_",
        "SIN",
        "NAS",
        "sin: ",
        "social insurance",
        "046.454.286",
        "046454286",
        "secret//rel to can",
        "s//rel can",
    ];

    /// Markings as people write them, to be cased and accented at random.
    const PHRASES: &[&str] = &[
        "top secret",
        "très secret",
        "tres secret",
        "secret",
        "confidential",
        "confidentiel",
        "protected a",
        "protected b",
        "protected c",
        "protégé a",
        "protégé b",
        "protege c",
        "canadian eyes only",
        "can eyes only",
        "eyes only",
        "réservé aux canadiens",
        "noforn",
        "rel to can",
        "fouo",
        "for official use only",
        "classification: secret",
        "cote de sécurité : protégé b",
        "niveau de sécurité: confidentiel",
        "security classification : top secret",
        "[secret]",
        "(protected b)",
        "secret//canadian eyes only",
        "ts//si",
        "s//rel can",
        "u//fouo",
        "//rel can",
        "(ts) para",
        "(s//rel to can) x",
        "protected-b",
        "top\u{a0}secret",
        "t o p  s e c r e t",
        "s.e.c.r.e.t.",
        "top_secret",
        "tre\u{300}s secret",
        "s\u{435}cret",
        "se\u{200b}cret",
        "se\u{ad}cret",
        "ｓｅｃｒｅｔ",
    ];

    fn recase(rng: &mut fastrand::Rng, s: &str) -> String {
        match rng.u8(..4) {
            0 => s.to_uppercase(),
            1 => s.to_string(),
            2 => {
                let mut out = String::new();
                let mut start = true;
                for c in s.chars() {
                    if start {
                        out.extend(c.to_uppercase());
                    } else {
                        out.push(c);
                    }
                    start = !c.is_alphanumeric();
                }
                out
            }
            _ => s
                .chars()
                .map(|c| {
                    if rng.bool() {
                        c.to_uppercase().next().unwrap_or(c)
                    } else {
                        c
                    }
                })
                .collect(),
        }
    }

    fn digits(rng: &mut fastrand::Rng, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + rng.u8(..10))).collect()
    }

    /// A SIN with a valid check digit, grouped at random.
    fn sin(rng: &mut fastrand::Rng) -> String {
        let mut d: Vec<u32> = (0..8).map(|_| rng.u32(..10)).collect();
        d[0] = rng.u32(0..10);
        let check = (0..10).find(|c| {
            let mut all = d.clone();
            all.push(*c);
            luhn_valid(&all)
        });
        d.push(check.unwrap_or(0));
        let s: String = d
            .iter()
            .map(|x| char::from_digit(*x, 10).unwrap_or('0'))
            .collect();
        let sep = ["", " ", "-", "\u{a0}", "."][rng.usize(..5)];
        let sep2 = if rng.u8(..8) == 0 { " " } else { sep };
        format!("{}{sep}{}{sep2}{}", &s[..3], &s[3..6], &s[6..])
    }

    /// A phone number in one of the shapes the phone rule accepts, or a near miss.
    fn phone(rng: &mut fastrand::Rng) -> String {
        let area = format!("{}{}", rng.u8(2..10), digits(rng, 2));
        let exch = format!("{}{}", rng.u8(2..10), digits(rng, 2));
        let line = digits(rng, 4);
        let sep = [" ", "-", ".", "\u{a0}", "\t", "", "\u{2009}"][rng.usize(..7)];
        match rng.u8(..7) {
            0 => format!("{area}{sep}{exch}{sep}{line}"),
            1 => format!("({area}){sep}{exch}-{line}"),
            2 => format!("( {area} ) {exch}{sep}{line}"),
            3 => format!("+1 {area} {exch} {line}"),
            4 => format!("1-{area}-{exch}-{line}"),
            5 => format!("+1{area}{exch}{line}"),
            _ => format!("+1 ({area}) {exch}.{line}"),
        }
    }

    fn email(rng: &mut fastrand::Rng) -> String {
        let local = ["jane.doe", "j", "a_b+c", "Info", "x-y"][rng.usize(..5)];
        let domain = [
            "example.ca",
            "dept.gc.ca",
            "public.example",
            "a.b.co",
            "x.c",
        ][rng.usize(..5)];
        format!("{local}@{domain}")
    }

    /// A random text from fragments, markings, identifiers and odd characters, with a
    /// character sometimes dropped so that near misses appear too.
    fn generated(rng: &mut fastrand::Rng) -> String {
        let mut text = String::new();
        for _ in 0..rng.usize(1..7) {
            let piece = match rng.u8(..10) {
                0 => {
                    let phrase = PHRASES[rng.usize(..PHRASES.len())];
                    recase(rng, phrase)
                }
                1 => sin(rng),
                2 => phone(rng),
                3 => email(rng),
                4 => format!("BDG-{}", digits(rng, 5)),
                5 => {
                    let n = rng.usize(1..12);
                    digits(rng, n)
                }
                _ => FRAGMENTS[rng.usize(..FRAGMENTS.len())].to_string(),
            };
            text.push_str(&piece);
        }
        if rng.u8(..5) == 0 {
            let cut: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            let at = cut[rng.usize(..cut.len())];
            text.remove(at);
        }
        text
    }

    /// The texts the rules look at for `text`: itself when plain, else its normalised
    /// and collapsed forms.
    fn seen_texts(text: &str) -> Vec<String> {
        if normalise::is_plain(text) {
            return vec![text.to_string()];
        }
        let v = normalise::normalise(text);
        let mut buf = String::new();
        normalise::normalise_into(text, &mut buf);
        assert_eq!(buf, v.text);
        let c = normalise::collapse(&v);
        if c.is_some() {
            assert!(normalise::may_collapse_text(&v.text), "{text:?}");
        }
        let mut out = vec![v.text];
        out.extend(c.map(|c| c.text));
        out
    }

    /// The prescan is sound: whenever one of a family's regexes matches a text the rules
    /// look at, the prescan of that text says the family might match; and the matcher
    /// after the prescans finds exactly what the unfiltered matcher finds, custom
    /// patterns and bare SIN candidates included.
    #[test]
    fn the_prescan_never_hides_a_match() {
        let m = matcher();
        let markings = [
            &m.strong,
            &m.protected,
            &m.slashes,
            &m.slashes_any,
            &m.caveat,
            &m.label,
            &m.bracketed,
            &m.portion,
            &m.whole,
            &m.single,
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        let mut found: std::collections::BTreeMap<String, usize> = Default::default();
        for _ in 0..150_000 {
            let text = generated(&mut rng);
            for seen in seen_texts(&text) {
                let scan = Prescan::of(&seen);
                if markings.iter().any(|re| re.is_match(&seen)) {
                    assert!(scan.marking, "marking in {seen:?}");
                }
                // Every nine-digit candidate the SIN rule weighs, held or bare, has the
                // shape the prescan looks for.
                let (held, bare) = m.sin_spans(&seen, SinContext::default());
                if !held.is_empty() || !bare.is_empty() {
                    assert!(scan.sin, "SIN shape in {seen:?}");
                }
            }
            let scan = Prescan::of(&text);
            if m.phone.is_match(&text) {
                assert!(scan.phone, "phone in {text:?}");
            }
            if m.email.is_match(&text) {
                assert!(scan.email, "email in {text:?}");
            }
            let got = m.scan(&text, SinContext::default());
            let all = m.scan_after(&text, SinContext::default(), Some(Prescan::ALL));
            assert_eq!(got, all, "{text:?}");
            for h in got.hits {
                *found.entry(h.rule.to_string()).or_default() += 1;
            }
            *found.entry("bare".into()).or_default() += got.unlabelled.len();
        }
        // The texts did exercise every rule, many times.
        for rule in ["marking", "sin", "phone", "email", "custom:badge", "bare"] {
            let n = found.get(rule).copied().unwrap_or(0);
            assert!(n > 1000, "only {n} {rule} hits in {found:?}");
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
            ("SIN 130692544 filed", "sin", "********4", "1306"),
            ("046 454 286", "sin", "*** *** **6", "454"),
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
            "130 692 545",         // Luhn fails
            "130692545",           // Luhn fails
            "846 454 281",         // Luhn fails
            "id 130692544 filed",  // bare, and "id" is no SIN label
            "046454286",           // bare: no shape, no label
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

    /// Issue 17's spellings: each reads as a marking to a reader, and is one.
    #[test]
    fn markings_are_recognised_however_they_are_spelled() {
        let cases = [
            ("decomposed accent", "TRE\u{300}S SECRET"),
            ("decomposed accents", "PROTE\u{301}GE\u{301} B"),
            ("decomposed, lower case", "Tre\u{300}s secret"),
            ("no accent", "PROTEGE B"),
            ("lower-case caveat", "secret//rel to can"),
            ("lower-case abbreviation", "s//rel to can"),
            ("lower-case ts//si", "ts//si"),
            ("lower-case caveat alone", "see //rel can"),
            ("lower-case noforn caveat", "data //noforn"),
            ("full-width", "ＴＯＰ ＳＥＣＲＥＴ"),
            ("full-width word", "ＳＥＣＲＥＴ"),
            ("full-width in prose", "This file is ＳＥＣＲＥＴ."),
            ("Cyrillic Ie", "S\u{415}CR\u{415}T"),
            ("Cyrillic TOP", "\u{422}\u{41e}\u{420} SECRET"),
            ("Cyrillic lower case", "Classification: s\u{435}cr\u{435}t"),
            ("Cyrillic I", "CONF\u{406}DENTIAL"),
            ("Greek capitals", "\u{3a4}\u{39f}P SECRET"),
            ("zero-width space", "SE\u{200b}CRET"),
            ("zero-width space between words", "TOP\u{200b}SECRET"),
            ("zero-width joiner", "TOP SE\u{200d}CRET"),
            ("soft hyphen", "SE\u{ad}CRET"),
            ("soft hyphen in phrase", "PROTEC\u{ad}TED B"),
            ("word joiner", "TOP\u{2060} SECRET"),
            ("bidi controls", "\u{202a}TOP SECRET\u{202c}"),
            ("bidi isolate", "\u{2066}Secret\u{2069}"),
            ("variation selector", "SE\u{fe0f}CRET"),
            ("BOM", "\u{feff}SECRET"),
            ("spaced", "S E C R E T"),
            ("spaced, two words", "T O P  S E C R E T"),
            ("spaced in prose", "This is S E C R E T, keep it"),
            ("spaced lower case", "s e c r e t"),
            ("dotted", "S.E.C.R.E.T."),
            ("dotted and spaced", "S. E. C. R. E. T."),
            ("hyphenated letters", "S-E-C-R-E-T"),
            ("underscored", "TOP_SECRET"),
            ("underscored letters", "S_E_C_R_E_T"),
            ("underscored level", "PROTECTED_B"),
            ("non-breaking space", "TOP\u{a0}SECRET"),
            ("ideographic space", "TOP\u{3000}SECRET"),
            ("mixed evasions", "Ｔ О Р  S Е С R Е Т\u{200b}"),
        ];
        let m = matcher();
        for (what, text) in cases {
            let hits = m.hits(text);
            let rules: Vec<String> = hits.iter().map(|h| h.rule.to_string()).collect();
            assert_eq!(rules, vec!["marking"], "{what}: {text:?}");
            // The finding quotes the stored text, not the normalised one.
            assert!(text.contains(&hits[0].raw), "{what}: {:?}", hits[0].raw);
        }
        assert_eq!(
            m.hits("ＴＯＰ ＳＥＣＲＥＴ")[0].excerpt,
            "ＴＯＰ ＳＥＣＲＥＴ"
        );
        assert_eq!(m.hits("a S E C R E T file")[0].raw, "S E C R E T");
        assert_eq!(
            m.hits("x T O P  S E C R E T y")[0].raw,
            "T O P  S E C R E T"
        );
    }

    /// Words that contain a level, and spread or look-alike text that reads as no
    /// marking, pass.
    #[test]
    fn clean_look_alikes_pass() {
        let cases = [
            "secretariat",
            "Secretariat",
            "SECRETARIAT",
            "Secretary General",
            "SECRETARY GENERAL",
            "Treasury Board Secretariat",
            "TREASURY BOARD SECRETARIAT",
            "Secrétariat du Conseil du Trésor",
            "protected area",
            "Protected Areas Strategy",
            "PROTECTED AREAS STRATEGY",
            "Aires protégées du Canada",
            "the confidential-ity of records",
            "Confidentiality agreement",
            "confidentiality",
            "CONFIDENTIALITY",
            "secret_santa_2024",
            "the s e c r e t to good data",
            "U S A",
            "A B C D",
            "e.g. a b",
            "Ｓecretariat",
            "S\u{435}cretary of State",
            "Prot\u{435}cted areas",
            "https://open.canada.ca//data",
            "// todo",
            "c//d",
        ];
        for text in cases {
            assert!(rules(text).is_empty(), "{text:?} gave {:?}", rules(text));
        }
    }

    #[test]
    fn sins_are_found_by_shape_or_label() {
        let m = matcher();
        let found = [
            "046 454 286",
            "046-454-286",
            "046.454.286",
            "046\u{a0}454\u{a0}286",
            "０４６ ４５４ ２８６",
            "SIN 046454286",
            "SIN: 046454286",
            "sin:046454286",
            "NAS : 046454286",
            "Numéro d'assurance sociale 046454286",
            "numéro d’assurance sociale : 046454286",
            "social insurance number 046454286",
            "Social_Insurance_No 046454286",
            "046454286 (SIN)",
            "applicant 130 692 544",
            "employee_sin=130692544",
            "123 456 782",
        ];
        for text in found {
            let hits = m.hits(text);
            assert_eq!(hits.len(), 1, "{text:?}: {hits:?}");
            assert_eq!(hits[0].rule, Rule::Sin, "{text:?}");
            for secret in ["454", "692", "456"] {
                assert!(!hits[0].excerpt.contains(secret), "{}", hits[0].excerpt);
            }
        }
        let far = format!("SIN {} 046454286", "x".repeat(LABEL_WINDOW + 1));
        let not_found = [
            "046454286",
            "130692544",
            "invoice 046454286",
            "program code 130692544",
            "046 454 287",
            "046.454.2867",
            "1.046.454.286",
            "046-454 286",
            "basin 046454286",
            "NASA 046454286",
            far.as_str(),
        ];
        for text in not_found {
            let scan = m.scan(text, SinContext::default());
            assert!(scan.hits.is_empty(), "{text:?}: {:?}", scan.hits);
        }
        let wide = m.hits("０４６ ４５４ ２８６");
        assert_eq!(wide[0].excerpt, "*** *** **６");
        // A bare number is held back as a candidate, masked, for a label elsewhere...
        let scan = m.scan("046454286", SinContext::default());
        assert_eq!(scan.unlabelled.len(), 1);
        assert_eq!(scan.unlabelled[0].excerpt, "********6");
        // ...and is a SIN when the column or row names one.
        let scan = m.scan("046454286", SinContext { labelled: true });
        assert_eq!(scan.hits.len(), 1);
        assert!(scan.unlabelled.is_empty());
        // A candidate is masked in the excerpt of any other finding.
        let hits = m.hits("SECRET ref 046454286");
        assert_eq!(hits.len(), 1);
        assert!(!hits[0].excerpt.contains("454"), "{}", hits[0].excerpt);
    }

    #[test]
    fn headers_that_name_a_sin() {
        let m = matcher();
        for h in [
            "SIN",
            "sin",
            "NAS",
            "Employee SIN",
            "EMPLOYEE_SIN",
            "S.I.N.",
            "Social Insurance Number",
            "Numéro d'assurance sociale",
            "NAS / SIN",
        ] {
            assert!(m.names_sin(h), "{h:?}");
        }
        for h in [
            "barrels", "Basin", "Sinclair", "NASA", "id", "invoice", "Axis",
        ] {
            assert!(!m.names_sin(h), "{h:?}");
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
