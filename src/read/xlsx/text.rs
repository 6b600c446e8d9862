//! Text in SpreadsheetML: XML 1.0's rules (references, line ends) and OOXML's own
//! `_xHHHH_` escapes (ECMA-376 Part 1, §22.9.2.19 ST_Xstring), by which Excel stores
//! characters XML cannot carry, such as a carriage return or a control character.

use quick_xml::events::BytesRef;

/// Appends a text node's bytes, with XML 1.0 line-end handling (§2.11: `\r\n` and a lone
/// `\r` become `\n`), so a value reads as any XML processor would give it.
pub(crate) fn push_raw(out: &mut String, raw: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(raw).map_err(|e| format!("text is not valid UTF-8 ({e})"))?;
    if !text.contains('\r') {
        out.push_str(text);
        return Ok(());
    }
    let mut rest = text;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        rest = rest.strip_prefix('\n').unwrap_or(rest);
    }
    out.push_str(rest);
    Ok(())
}

/// Appends what a reference stands for ([`crate::read::xml::resolve_ref`]).
pub(crate) fn push_ref(out: &mut String, r: &BytesRef<'_>) -> Result<(), String> {
    out.push(crate::read::xml::resolve_ref(r)?);
    Ok(())
}

/// Decodes `_xHHHH_` escapes in place (UTF-16 code units; a surrogate pair is two
/// escapes). `_x005F_` is how a literal `_x…_` is written, so it decodes to `_`. An
/// escape that is not a valid character stays as written.
pub(super) fn unescape_ooxml(s: &mut String) {
    if !s.contains("_x") {
        return;
    }
    let src = std::mem::take(s);
    let mut out = String::with_capacity(src.len());
    let mut rest = src.as_str();
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match decode_at(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push_str("_x");
                rest = &rest[2..];
            }
        }
    }
    out.push_str(rest);
    *s = out;
}

/// One escaped character at the start of `s`, and the bytes it took.
fn decode_at(s: &str) -> Option<(char, usize)> {
    let unit = code_unit(s)?;
    if (0xD800..0xDC00).contains(&unit) {
        let low = code_unit(&s[7..])?;
        let c = char::decode_utf16([unit, low]).next()?.ok()?;
        return Some((c, 14));
    }
    Some((char::from_u32(u32::from(unit))?, 7))
}

fn code_unit(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() < 7 || &b[..2] != b"_x" || b[6] != b'_' {
        return None;
    }
    let hex = std::str::from_utf8(&b[2..6]).ok()?;
    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(hex, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescaped(s: &str) -> String {
        let mut s = s.to_string();
        unescape_ooxml(&mut s);
        s
    }

    #[test]
    fn ooxml_escapes_decode_and_others_stay() {
        assert_eq!(unescaped("a_x000D_b"), "a\rb");
        assert_eq!(unescaped("_x005F_x000D_"), "_x000D_");
        assert_eq!(unescaped("x_x00e9_"), "xé");
        assert_eq!(unescaped("_xD83D__xDE00_"), "😀");
        assert_eq!(unescaped("_xD83D_ alone"), "_xD83D_ alone");
        assert_eq!(
            unescaped("my_x_var _x12_ _xZZZZ_"),
            "my_x_var _x12_ _xZZZZ_"
        );
        assert_eq!(unescaped("plain"), "plain");
    }

    #[test]
    fn line_ends_normalise_as_xml_says() {
        let mut out = String::new();
        push_raw(&mut out, b"a\r\nb\rc\nd\r").expect("utf-8");
        assert_eq!(out, "a\nb\nc\nd\n");
        assert!(push_raw(&mut out, b"\xff").is_err());
    }
}
