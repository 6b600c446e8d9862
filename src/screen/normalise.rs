//! Text as a reader sees it, for the marking and SIN rules.
//!
//! A marking can be stored in many ways that all read the same: `TRÈS` with a combining
//! grave accent, full-width `ＴＯＰ ＳＥＣＲＥＴ`, a Cyrillic `Е` in `SЕCRET`, a zero-width
//! space or a soft hyphen inside the word, or letters spread out (`S E C R E T`,
//! `S.E.C.R.E.T.`). [`normalise`] gives the text the rules match (a [`View`]), with a map
//! from every byte of it back to the stored text, so that findings quote and redact the
//! original. Steps, one character at a time:
//!
//! 1. compatibility decomposition (NFKD, `unicode-normalization`): full-width forms,
//!    ligatures, NBSP and other compatibility characters fold to their plain letters, and
//!    accents come apart from their letters, however they were stored;
//! 2. every combining mark (General Category M) is dropped, so `É`, `E` + U+0301 and `E`
//!    all read `E` (the rules then need no accented spellings: `PROTEGE B`, `TRES SECRET`);
//!    the result is what NFKC followed by accent stripping gives;
//! 3. default-ignorable code points are dropped: zero-width space and joiners, soft
//!    hyphen, word joiner, bidirectional controls, variation selectors, BOM (the UTS #39
//!    skeleton's own filter, from `unicode-security`);
//! 4. a letter that UTS #39 lists as confusable with one ASCII letter becomes that letter,
//!    in the same case (Cyrillic `Е`→`E`, `і`→`i`, Greek `Ο`→`O`), from `unicode-security`'s
//!    `skeleton`. ASCII itself is left alone: the skeleton also maps `m`→`rn`, `I`→`l` and
//!    `0`→`O`, which would make ordinary words and numbers unreadable to the rules;
//! 5. `_` reads as a space (`TOP_SECRET`, `employee_sin`).
//!
//! Case is kept: the rules use it (an upper-case `SECRET` in prose is a marking, a
//! lower-case one is a word) and match case-insensitively, with Unicode case folding,
//! where case carries nothing (`Classification: secret`).
//!
//! [`collapse`] then joins letters spread out by single separators, for a second look by
//! the marking rules only (a spread-out word is never an identifier).
//!
//! Most cells need none of this: [`is_plain`] says when a text is ASCII without `_` and
//! without three single letters in a row, and the matcher then matches the stored text
//! directly.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_security::skeleton;

/// The text the rules match, and where each of its bytes came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct View {
    pub text: String,
    /// For byte `i` of `text`, the byte range in the stored text of the character it came
    /// from (a character dropped leaves no entry; a character that folds to several, as
    /// `ﬁ`, gives them all the same range).
    src: Vec<(usize, usize)>,
}

impl View {
    /// The stored text's byte range for the view's byte range `start..end` (on character
    /// boundaries of the view, `start < end`).
    pub(crate) fn original(&self, start: usize, end: usize) -> (usize, usize) {
        debug_assert!(start < end && end <= self.src.len());
        (self.src[start].0, self.src[end - 1].1)
    }

    fn with_capacity(n: usize) -> Self {
        View {
            text: String::with_capacity(n),
            src: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, c: char, from: (usize, usize)) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.src.push(from);
        }
    }
}

/// Whether [`normalise`] and [`collapse`] would leave `text` as it is: it is ASCII, has
/// no `_`, and has no three single letters in a row that [`collapse`] would join.
pub(crate) fn is_plain(text: &str) -> bool {
    let b = text.as_bytes();
    // One pass: most cells are short, and this runs on every one.
    let mut spread = Spread::default();
    for (i, &c) in b.iter().enumerate() {
        if c >= 0x80 || c == b'_' {
            return false;
        }
        if c.is_ascii_alphabetic() && spread.letter(b, i) {
            return false;
        }
    }
    true
}

/// Whether ASCII text has three single letters (no letter or digit either side) with a
/// gap of one or two separator bytes between each: a condition every run that
/// [`collapse`] joins meets.
fn may_collapse(b: &[u8]) -> bool {
    let mut spread = Spread::default();
    (0..b.len()).any(|i| b[i].is_ascii_alphabetic() && spread.letter(b, i))
}

/// Single letters in a row so far, for [`may_collapse`].
#[derive(Default)]
struct Spread {
    run: usize,
    last_end: Option<usize>,
}

impl Spread {
    /// Takes the ASCII letter at `b[i]`; true once three single letters are in a row.
    fn letter(&mut self, b: &[u8], i: usize) -> bool {
        let alone_before = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let alone_after = i + 1 == b.len() || !b[i + 1].is_ascii_alphanumeric();
        if !(alone_before && alone_after) {
            self.run = 0;
            self.last_end = None;
            return false;
        }
        self.run = match self.last_end {
            Some(e) if is_gap(&b[e..i]) => self.run + 1,
            _ => 1,
        };
        self.last_end = Some(i + 1);
        self.run >= 3
    }
}

/// A gap between spread-out letters: one space, dot or hyphen, or a dot and a space.
fn is_gap(g: &[u8]) -> bool {
    matches!(g, [b' ' | b'.' | b'-'] | [b'.', b' '])
}

/// The text as a reader sees it (steps 1-5 of the module docs).
pub(crate) fn normalise(text: &str) -> View {
    let mut view = View::with_capacity(text.len());
    each_seen(text, |c, from| view.push(c, from));
    view
}

/// [`normalise`]'s text alone, into `out` (cleared first): no offset map to build.
pub(crate) fn normalise_into(text: &str, out: &mut String) {
    out.clear();
    each_seen(text, |c, _| out.push(c));
}

/// Each character of the seen text, with the byte range of the stored character it came
/// from.
fn each_seen(text: &str, mut emit: impl FnMut(char, (usize, usize))) {
    for (i, c) in text.char_indices() {
        let from = (i, i + c.len_utf8());
        if c.is_ascii() {
            emit(if c == '_' { ' ' } else { c }, from);
            continue;
        }
        if let Some(&base) = latin().get((c as usize).wrapping_sub(LATIN_FIRST as usize)) {
            if base != 0 {
                emit(char::from(base), from);
                continue;
            }
        }
        decompose_compatible(c, |d| {
            if d.is_ascii() {
                emit(if d == '_' { ' ' } else { d }, from);
            } else if !is_combining_mark(d) {
                if let Some(r) = fold(d) {
                    emit(r, from);
                }
            }
        });
    }
}

/// The first character of the Latin-1 Supplement and Latin Extended-A blocks that
/// [`latin`] covers: French text's accented letters.
const LATIN_FIRST: char = '\u{c0}';
const LATIN_LAST: char = '\u{17f}';

/// For each character `LATIN_FIRST..=LATIN_LAST`, the one ASCII letter the general path
/// makes of it (`é` → `e`), or 0 where it makes anything else. Worked out once from the
/// same crate calls as the general path, so it cannot disagree with it; it only saves
/// their lookups on the accented letters of every French cell.
fn latin() -> &'static [u8] {
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (LATIN_FIRST..=LATIN_LAST)
            .map(|c| {
                let mut out = Vec::new();
                decompose_compatible(c, |d| {
                    if d.is_ascii() {
                        out.push(d);
                    } else if !is_combining_mark(d) {
                        out.extend(fold(d));
                    }
                });
                match out.as_slice() {
                    [a] if a.is_ascii_alphabetic() => *a as u8,
                    _ => 0,
                }
            })
            .collect()
    })
}

/// Whether [`collapse`] might join letters in `text`: [`may_collapse`]'s condition, over
/// characters, in one pass without allocating (French text keeps its dashes and quotes,
/// so this runs on many cells).
pub(crate) fn may_collapse_text(text: &str) -> bool {
    if text.is_ascii() {
        return may_collapse(text.as_bytes());
    }
    let mut chars = text.chars().peekable();
    let mut prev_alnum = false;
    let (mut run, mut after_letter) = (0usize, false);
    let mut gap: [char; 2] = ['\0'; 2];
    let mut gap_len = 0usize;
    while let Some(c) = chars.next() {
        let next_alnum = chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_alphabetic() {
            if prev_alnum || next_alnum {
                run = 0;
                after_letter = false;
            } else {
                let gap_ok = after_letter && gap_len <= 2 && is_gap_chars(&gap[..gap_len]);
                run = if gap_ok { run + 1 } else { 1 };
                if run >= 3 {
                    return true;
                }
                after_letter = true;
                gap_len = 0;
            }
        } else if after_letter {
            if gap_len < 2 {
                gap[gap_len] = c;
            }
            gap_len += 1;
        }
        prev_alnum = c.is_alphanumeric();
    }
    false
}

fn is_gap_chars(g: &[char]) -> bool {
    matches!(g, [' ' | '.' | '-'] | ['.', ' '])
}

/// One decomposed non-ASCII character: `None` when it is default-ignorable, its ASCII
/// look-alike letter when it has one, else itself.
fn fold(d: char) -> Option<char> {
    let (first, more) = skeleton_of(d);
    let first = first?;
    // An upper-case letter: its lower case says which letter it looks like (Cyrillic `І`
    // has the skeleton `l`, its lower case `і` the skeleton `i`), and it keeps its case.
    if d.is_uppercase() {
        let mut lower = d.to_lowercase();
        if let (Some(l), None) = (lower.next(), lower.next()) {
            if let (Some(a), false) = skeleton_of(l) {
                if a.is_ascii_alphabetic() {
                    return Some(a.to_ascii_uppercase());
                }
            }
        }
    }
    if !more && first.is_ascii_alphabetic() {
        return Some(first);
    }
    Some(d)
}

/// The first character of `c`'s UTS #39 skeleton without combining marks (`None` for a
/// default-ignorable character), and whether more follow.
fn skeleton_of(c: char) -> (Option<char>, bool) {
    let mut buf = [0u8; 4];
    let mut sk = skeleton(c.encode_utf8(&mut buf)).filter(|x| !is_combining_mark(*x));
    let first = sk.next();
    (first, sk.next().is_some())
}

/// `view` with spread-out letters joined: three or more single letters of one case (no
/// letter or digit either side), each gap one space, dot or hyphen or a dot and a space, read as one
/// word (`S E C R E T`, `S.E.C.R.E.T.`, `T O P  S E C R E T` → `TOP  SECRET`). `None`
/// when there is nothing to join.
pub(crate) fn collapse(view: &View) -> Option<View> {
    let chars: Vec<(usize, char)> = view.text.char_indices().collect();
    let alnum = |k: usize| chars.get(k).is_some_and(|(_, c)| c.is_alphanumeric());
    let single =
        |k: usize| chars[k].1.is_alphabetic() && (k == 0 || !alnum(k - 1)) && !alnum(k + 1);
    // The index of the next single letter after a gap from letter `k`, if any.
    let next_letter = |k: usize| -> Option<usize> {
        let c1 = chars.get(k + 1)?.1;
        let c2 = chars.get(k + 2).map(|x| x.1);
        let after = if c1 == '.' && c2 == Some(' ') {
            k + 3
        } else if matches!(c1, ' ' | '.' | '-') {
            k + 2
        } else {
            return None;
        };
        // Letters of one case only: "a S E C R E T" is a word and a marking.
        let same_case = |a: usize| chars[a].1.is_uppercase() == chars[k].1.is_uppercase();
        (after < chars.len() && single(after) && same_case(after)).then_some(after)
    };
    let mut keep = vec![true; chars.len()];
    let mut joined = false;
    let mut k = 0;
    while k < chars.len() {
        if !single(k) {
            k += 1;
            continue;
        }
        let mut letters = vec![k];
        while let Some(n) = next_letter(*letters.last().unwrap_or(&k)) {
            letters.push(n);
        }
        if letters.len() >= 3 {
            joined = true;
            for w in letters.windows(2) {
                keep[w[0] + 1..w[1]].iter_mut().for_each(|x| *x = false);
            }
        }
        k = letters.last().map_or(k, |&l| l + 1);
    }
    if !joined {
        return None;
    }
    let mut out = View::with_capacity(view.text.len());
    for (idx, &(b, c)) in chars.iter().enumerate() {
        if keep[idx] {
            out.push(c, view.src[b]);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(text: &str) -> String {
        let v = normalise(text);
        collapse(&v).unwrap_or(v).text
    }

    #[test]
    fn spellings_read_as_a_reader_sees_them() {
        let cases = [
            ("TRE\u{300}S SECRET", "TRES SECRET"),
            ("TRÈS SECRET", "TRES SECRET"),
            ("PROTÉGÉ B", "PROTEGE B"),
            ("ＴＯＰ ＳＥＣＲＥＴ", "TOP SECRET"),
            ("S\u{415}CR\u{415}T", "SECRET"), // Cyrillic capital Ie
            ("\u{421}ONFIDENTIAL", "CONFIDENTIAL"), // Cyrillic capital Es
            ("CONF\u{406}DENTIAL", "CONFIDENTIAL"), // Cyrillic capital Byelorussian I
            ("\u{39f}\u{391}", "OA"),         // Greek capitals
            ("s\u{435}cret", "secret"),       // Cyrillic small ie
            ("SE\u{200b}CRET", "SECRET"),
            ("SE\u{ad}CRET", "SECRET"),
            ("SE\u{2060}CR\u{200d}ET\u{fe0f}", "SECRET"),
            ("\u{202e}SECRET\u{202c}", "SECRET"),
            ("TOP\u{a0}SECRET", "TOP SECRET"),
            ("TOP_SECRET", "TOP SECRET"),
            ("S E C R E T", "SECRET"),
            ("T O P  S E C R E T", "TOP  SECRET"),
            ("S.E.C.R.E.T.", "SECRET."),
            ("S. E. C. R. E. T.", "SECRET."),
            ("S-E-C-R-E-T", "SECRET"),
            ("S_E_C_R_E_T", "SECRET"),
            ("secret//rel to can", "secret//rel to can"),
            ("ﬁle", "file"),
            ("Québec, Nouvelle-Écosse", "Quebec, Nouvelle-Ecosse"),
            ("a b", "a b"),                    // two single letters are left alone
            ("x S E C R E T y", "x SECRET y"), // letters of one case
            ("046 454 286", "046 454 286"),
            ("０４６ ４５４ ２８６", "046 454 286"),
        ];
        for (text, want) in cases {
            assert_eq!(seen(text), want, "{text:?}");
        }
    }

    #[test]
    fn offsets_lead_back_to_the_stored_text() {
        let text = "x S\u{200b} \u{415} C R E T y";
        let v = normalise(text);
        let c = collapse(&v).expect("spread letters");
        assert_eq!(c.text, "x SECRET y");
        let at = c.text.find("SECRET").unwrap();
        let (s, e) = c.original(at, at + "SECRET".len());
        assert_eq!(&text[s..e], "S\u{200b} \u{415} C R E T");
        let text = "ＴＯＰ";
        let v = normalise(text);
        assert_eq!(v.original(1, 2), (3, 6));
    }

    /// The Latin table gives what the general path gives, for every character it covers.
    #[test]
    fn the_latin_table_agrees_with_the_general_path() {
        let mut covered = 0;
        for c in LATIN_FIRST..=LATIN_LAST {
            let mut general = String::new();
            decompose_compatible(c, |d| {
                if d.is_ascii() {
                    general.push(d);
                } else if !is_combining_mark(d) {
                    general.extend(fold(d));
                }
            });
            assert_eq!(normalise(&c.to_string()).text, general, "{c:?}");
            covered += usize::from(latin()[c as usize - LATIN_FIRST as usize] != 0);
        }
        assert!(covered > 100, "{covered}");
        assert_eq!(
            normalise("Île-du-Prince-Édouard").text,
            "Ile-du-Prince-Edouard"
        );
    }

    #[test]
    fn spread_letters_are_seen_in_any_text() {
        for (text, want) in [
            ("— S E C", true),
            ("été S E C", true),
            ("S — E C", false),
            ("Ligne 1 — ete, 943", false),
            ("a b", false),
        ] {
            assert_eq!(may_collapse_text(text), want, "{text:?}");
        }
    }

    /// The fast path is exact: whenever [`is_plain`] says a text is plain, normalising and
    /// collapsing it change nothing.
    #[test]
    fn plain_texts_are_left_as_they_are() {
        let pieces = [
            "a", "B", " ", ".", "-", ". ", "S", "E", "C", "x1", "12", "_", "é", "Е", "\u{200b}",
            "TOP", "  ", "/", "(",
        ];
        let mut rng = fastrand::Rng::with_seed(5);
        let mut plain = 0;
        for _ in 0..50_000 {
            let mut text = String::new();
            for _ in 0..rng.usize(1..12) {
                text.push_str(pieces[rng.usize(..pieces.len())]);
            }
            if is_plain(&text) {
                plain += 1;
                let v = normalise(&text);
                assert_eq!(v.text, text);
                assert_eq!(collapse(&v), None, "{text:?}");
            }
        }
        assert!(plain > 5_000, "only {plain} plain texts");
        assert!(!is_plain("S E C"));
        assert!(is_plain("S E"));
        assert!(is_plain("Secretariat 2024-05-01"));
    }
}
