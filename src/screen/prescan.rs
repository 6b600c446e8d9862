//! A cheap look at a text that rules the matcher's built-in regexes out.
//!
//! Almost every cell is clean, and the regexes cost far more than a look at the bytes.
//! [`Prescan::of`] says, for each family of built-in rules (markings, email, SIN, phone),
//! either "cannot match" or "might match", and the matcher runs only the families that
//! might. A "cannot" must be certain, so every condition here is a *necessary* condition
//! of its rules, argued on the rules below; the property tests in `matcher.rs` run the
//! prescan and the unfiltered matcher over generated texts and fail on any text whose
//! finding the prescan would have hidden.
//!
//! Custom patterns from `pipeline.toml` are arbitrary regexes and are not prescanned: the
//! matcher always runs them.
//!
//! One table-driven pass over the bytes ([`first_pass`]) settles the markings and the
//! email rule and counts digits. Only a text with enough digits for a SIN (most cells
//! have far fewer) is read again for the shapes of its digit stretches: over bytes for
//! ASCII and the non-ASCII characters of English and French text ([`identifiers_fast`]),
//! with `char` properties for anything else ([`identifiers_slow`]).

/// Which built-in rule families might match a text. `false` means "cannot match".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prescan {
    pub marking: bool,
    pub email: bool,
    pub sin: bool,
    pub phone: bool,
}

impl Prescan {
    /// No family can match.
    pub(crate) const NONE: Prescan = Prescan {
        marking: false,
        email: false,
        sin: false,
        phone: false,
    };

    /// Every family might match: the unfiltered matcher.
    pub(crate) const ALL: Prescan = Prescan {
        marking: true,
        email: true,
        sin: true,
        phone: true,
    };

    pub(crate) fn of(text: &str) -> Prescan {
        let first = first_pass(text.as_bytes());
        let mut scan = Prescan {
            marking: first.marking,
            email: first.at,
            sin: false,
            phone: false,
        };
        // A SIN needs nine `\d` digits and a phone number ten. `\d` is Unicode-aware, but
        // a non-ASCII numeral takes two bytes or more.
        if first.digits + first.high / 2 >= 9 {
            let ids = identifiers_fast(text.as_bytes()).unwrap_or_else(|| identifiers_slow(text));
            scan.sin = ids.sin;
            scan.phone = ids.phone;
        }
        scan
    }

    pub(crate) fn any(self) -> bool {
        self.marking || self.email || self.sin || self.phone
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

/// Whether `rest` starts with one of the [`MARKING_WORDS`], in any ASCII case.
fn starts_word(rest: &[u8]) -> bool {
    let words: &[&[u8]] = match rest[0] | 0x20 {
        b'p' => &MARKING_WORDS[..1],
        b's' => &MARKING_WORDS[1..2],
        b'c' => &MARKING_WORDS[2..6],
        b'n' => &MARKING_WORDS[6..],
        _ => &[],
    };
    words
        .iter()
        .any(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))
}

// Byte classes for the first pass. The first three pair up: a byte and the one before
// it sharing one of them is a marking sign (two capitals, `//`, and `(S`; `((` and `S(`
// come along, harmlessly).
const UPPER: u8 = 1;
const SLASH: u8 = 2;
const PAREN_S: u8 = 4;
const PAIRS: u8 = UPPER | SLASH | PAREN_S;
const ALNUM: u8 = 8;
/// The first letters of the [`MARKING_WORDS`], either case.
const WORD: u8 = 16;
const DIGIT: u8 = 32;
const HIGH: u8 = 64;
const AT: u8 = 128;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let mut f = 0;
        if b.is_ascii_uppercase() {
            f |= UPPER;
        }
        if b.is_ascii_alphanumeric() {
            f |= ALNUM;
        }
        if b.is_ascii_digit() {
            f |= DIGIT;
        }
        if matches!(b | 0x20, b'p' | b's' | b'c' | b'n') && b.is_ascii_alphabetic() {
            f |= WORD;
        }
        if b == b'/' {
            f |= SLASH;
        }
        if b == b'(' || b == b'S' {
            f |= PAREN_S;
        }
        if b == b'@' {
            f |= AT;
        }
        if b >= 0x80 {
            f |= HIGH;
        }
        t[c] = f;
        c += 1;
    }
    t
};

/// What the first pass found.
struct FirstPass {
    marking: bool,
    at: bool,
    /// ASCII digits.
    digits: usize,
    /// Bytes of non-ASCII characters.
    high: usize,
}

/// Markings, `@` and digit counts in one pass.
///
/// **Markings.** Every marking rule needs one of:
/// - two ASCII capitals in a row: `strong` (every phrase, even `RÉSERVÉ` through
///   `SERV`), `single`, and `portion`'s `(TS`;
/// - `//`: `slashes` and `caveat`; `(S`: `portion`;
/// - one of [`MARKING_WORDS`], in any ASCII case, at the start of a word: each
///   case-insensitive rule has a `\b`, `\s`, `-`, `[`/`(`, or `^[\s\p{P}]*` right before
///   its word, none of which can follow an ASCII letter or digit;
/// - a non-ASCII letter that the rules' Unicode-aware `(?i)` folds to an ASCII one: `ſ`
///   (long s, U+017F) folds to `s` and `K` (Kelvin sign, U+212A) to `k`. Both, and `ı`
///   (dotless i, U+0131, to be safe), make a marking possible; so does anything else in
///   U+2100..U+213F, whose lead bytes are checked alone.
fn first_pass(b: &[u8]) -> FirstPass {
    let (mut prev, mut seen, mut pairs, mut digits, mut high) = (0u8, 0u8, 0u8, 0usize, 0usize);
    let mut words = false;
    for (i, &c) in b.iter().enumerate() {
        let f = CLASSES[usize::from(c)];
        seen |= f;
        pairs |= f & prev;
        digits += usize::from(f & DIGIT != 0);
        high += usize::from(c >> 7);
        // Rare enough (a word start on one of four letters) to be worth the branch.
        if f & WORD != 0 && prev & ALNUM == 0 && !words {
            words = starts_word(&b[i..]);
        }
        prev = f;
    }
    let folds = seen & HIGH != 0
        && b.windows(2)
            .any(|w| matches!(w, [0xC4, 0xB1] | [0xC5, 0xBF] | [0xE2, 0x84]));
    FirstPass {
        marking: pairs & PAIRS != 0 || words || folds,
        at: seen & AT != 0,
        digits,
        high,
    }
}

/// What one character does to the identifier stretches.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Digit,
    /// `' '` and `-`: inside a SIN (`130 692 544`) and a phone number.
    SinSep,
    /// Other white space and `()+`: inside a phone number only.
    PhoneSep,
    /// `.`: inside a phone number, and between the groups of a dotted SIN
    /// (`046.454.286`).
    Dot,
    /// Anything else: ends both.
    Other,
}

/// Whether the digit stretches can hold a SIN or a phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identifiers {
    sin: bool,
    phone: bool,
}

/// The digit stretches so far, one character at a time.
///
/// - **SIN** (`\b([0-9]{3})([ .-]?)([0-9]{3})([ .-]?)([0-9]{3})\b`, both separators
///   the same): nine digits in one stretch of digits, spaces and hyphens, and, because
///   of the `\b` at both ends, a run of exactly 3, 6 or 9 digits in that stretch
///   (`ddd ddd ddd`, `ddd dddddd`, `dddddd-ddd`, `ddddddddd`); or, dotted, three runs of
///   exactly 3 digits each joined by one `.` (`ddd.ddd.ddd`).
/// - **phone**: ten digits in one stretch of digits, `\s` and `.()+-`; and either a `+`
///   (the `+1` form) or, somewhere, a run of exactly 3 digits (the exchange, between a
///   separator and a separator) and one of exactly 4 (the line, ended by `\b`).
#[derive(Default)]
struct Stretches {
    /// Digits in the current run of ASCII digits.
    run: usize,
    /// Digits in the current SIN stretch, and whether it holds a run of 3, 6 or 9.
    sin_digits: usize,
    sin_369: bool,
    sin: bool,
    /// Digits in the current phone stretch.
    phone_digits: usize,
    phone_ten: bool,
    run3: bool,
    run4: bool,
    plus: bool,
    /// Runs of exactly 3 digits joined by single dots, so far.
    dotted: usize,
    /// The last character was a `.` right after such a run.
    dot_pending: bool,
}

impl Stretches {
    fn push(&mut self, kind: Kind) {
        if kind == Kind::Digit {
            self.run += 1;
            self.sin_digits += 1;
            self.phone_digits += 1;
            self.phone_ten |= self.phone_digits >= 10;
            return;
        }
        let after_run = self.run > 0;
        self.end_run();
        self.dot_pending = after_run && kind == Kind::Dot && self.dotted > 0;
        if !self.dot_pending {
            self.dotted = 0;
        }
        if kind == Kind::Other {
            self.end_sin();
            self.phone_digits = 0;
        } else if matches!(kind, Kind::PhoneSep | Kind::Dot) {
            self.end_sin();
        }
    }

    fn end_run(&mut self) {
        if self.run > 0 {
            self.dotted = match (self.run, self.dot_pending) {
                (3, true) => self.dotted + 1,
                (3, false) => 1,
                _ => 0,
            };
            self.sin |= self.dotted >= 3;
        }
        match self.run {
            3 => self.run3 = true,
            4 => self.run4 = true,
            _ => {}
        }
        self.sin_369 |= matches!(self.run, 3 | 6 | 9);
        self.run = 0;
    }

    fn end_sin(&mut self) {
        self.sin |= self.sin_369 && self.sin_digits >= 9;
        self.sin_369 = false;
        self.sin_digits = 0;
    }

    fn finish(mut self) -> Identifiers {
        self.end_run();
        self.end_sin();
        Identifiers {
            sin: self.sin,
            phone: self.phone_ten && (self.plus || (self.run3 && self.run4)),
        }
    }
}

/// The stretches over bytes, or `None` when the text has a character not covered.
///
/// **Characters covered** besides ASCII, none of them a `\d` digit (Latin-1 and Latin
/// Extended-A have no decimal digits; `²` and `½` are numbers, but not decimal digits):
/// `U+0080..=U+017F`, of which `U+0085` and `U+00A0` are white space; and
/// `U+2000..=U+203F`, of which `U+2000..=U+200A`, `U+2028`, `U+2029` and `U+202F` are
/// white space.
fn identifiers_fast(b: &[u8]) -> Option<Identifiers> {
    let mut s = Stretches::default();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            let kind = match c {
                b'0'..=b'9' => Kind::Digit,
                b' ' | b'-' => Kind::SinSep,
                b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r' | b'(' | b')' => Kind::PhoneSep,
                b'.' => Kind::Dot,
                b'+' => {
                    s.plus = true;
                    Kind::PhoneSep
                }
                _ => Kind::Other,
            };
            s.push(kind);
            i += 1;
            continue;
        }
        let (kind, len) = match (c, b.get(i + 1).copied()) {
            // NEL and no-break space.
            (0xC2, Some(0x85 | 0xA0)) => (Kind::PhoneSep, 2),
            (0xC2..=0xC5, Some(_)) => (Kind::Other, 2),
            (0xE2, Some(0x80)) => match b.get(i + 2) {
                Some(0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) => (Kind::PhoneSep, 3),
                Some(_) => (Kind::Other, 3),
                None => return None,
            },
            _ => return None,
        };
        s.push(kind);
        i += len;
    }
    Some(s.finish())
}

/// The stretches over any text, with `char` properties. A numeral other than an ASCII
/// digit (which `\d` may count) makes both shapes possible, to stay exact.
fn identifiers_slow(text: &str) -> Identifiers {
    let mut s = Stretches::default();
    let mut numeral = false;
    for c in text.chars() {
        let kind = match c {
            '0'..='9' => Kind::Digit,
            ' ' | '-' => Kind::SinSep,
            '+' => {
                s.plus = true;
                Kind::PhoneSep
            }
            '.' => Kind::Dot,
            '(' | ')' => Kind::PhoneSep,
            c if c.is_whitespace() => Kind::PhoneSep,
            c if c.is_numeric() => {
                numeral = true;
                Kind::Digit
            }
            _ => Kind::Other,
        };
        s.push(kind);
    }
    let ids = s.finish();
    Identifiers {
        sin: ids.sin || numeral,
        phone: ids.phone || numeral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte path, where it answers, agrees with the `char` path: they state the same
    /// conditions. (`½` is left out: the `char` path counts any numeral as a possible
    /// digit, the byte path knows it is not `\d`.)
    #[test]
    fn byte_and_char_paths_agree() {
        let pieces = [
            "a",
            "Z",
            "SE",
            "é",
            "É",
            "—",
            "\u{a0}",
            "\u{2009}",
            "\u{85}",
            "’",
            "×",
            "1",
            "12",
            "123",
            "1234",
            "123456",
            "123456789",
            " ",
            "-",
            ".",
            "(",
            ")",
            "+",
            "@",
            "/",
            "x",
            "\n",
            "\t",
            "_",
            "ſ",
            "\u{212a}",
            "ı",
            "١",
            "\u{3000}",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        let mut text = String::new();
        let mut answered = 0;
        for _ in 0..100_000 {
            text.clear();
            for _ in 0..rng.usize(1..10) {
                text.push_str(pieces[rng.usize(..pieces.len())]);
            }
            if let Some(ids) = identifiers_fast(text.as_bytes()) {
                answered += 1;
                assert_eq!(ids, identifiers_slow(&text), "{text:?}");
            }
        }
        assert!(answered > 10_000, "the byte path answered {answered}");
    }

    #[test]
    fn unusual_characters_take_the_char_path() {
        for text in ["\u{212a}", "١٢٣", "a\u{3000}b", "\u{1680}", "日本"] {
            assert_eq!(identifiers_fast(text.as_bytes()), None, "{text:?}");
        }
        for text in [
            "Nouvelle-Écosse",
            "Ligne 1 — été",
            "«\u{a0}x\u{a0}»",
            "l’été",
        ] {
            assert!(identifiers_fast(text.as_bytes()).is_some(), "{text:?}");
        }
    }

    #[test]
    fn typical_clean_cells_are_ruled_out() {
        let cells = [
            "Bilan, trimestre 30",
            "Nouvelle-Écosse",
            "Ligne 1 — été, 943\nLigne 2",
            "90580.15",
            "1.7000000000000002",
            "2011-05-01T15:36:34",
            "947.3378085461388",
            "2009-11-03",
        ];
        for text in cells {
            assert!(
                !Prescan::of(text).any(),
                "{text:?}: {:?}",
                Prescan::of(text)
            );
        }
        // A word that opens a marking is enough for a look.
        assert!(Prescan::of("Protected areas of Canada").marking);
        assert!(Prescan::of("ſecret").marking);
    }
}
