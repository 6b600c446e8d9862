//! Open Packaging Conventions (ECMA-376 Part 2), the zip layout of xlsx, xlsm and xlsb:
//! parts name each other through relationship parts, by targets relative to themselves.
//! Shared by the reader (which finds the sheet to read), preflight's format sniffing
//! ([`crate::read::Format::sniff_reader`]) and the screen (which finds every part a
//! person might not see), so that all three resolve a part name the same way.
//!
//! Part names are compared as ECMA-376 Part 2 §9.1.1.1 says: ASCII case-insensitively.
//! Real files also carry zip member names with `\` separators (written by some non-Office
//! producers); a reader such as Excel takes them as `/`, so they are read as `/` here.

/// A part's relationships part: `xl/workbook.xml` → `xl/_rels/workbook.xml.rels`.
pub(crate) fn rels_path(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// A relationship target, relative to the part that names it, as a member name
/// (`/xl/a.xml` is absolute; `../x.xml` climbs; never above the package root).
pub(crate) fn resolve(from_part: &str, target: &str) -> String {
    if let Some(abs) = target.strip_prefix('/') {
        return abs.to_string();
    }
    let mut dir: Vec<&str> = from_part.split('/').collect();
    dir.pop();
    for seg in target.split('/') {
        match seg {
            ".." => {
                dir.pop();
            }
            "." | "" => {}
            s => dir.push(s),
        }
    }
    dir.join("/")
}

/// The member of `names` that a part name denotes. Producers differ in letter case and
/// some write `\` separators, and the OPC compares part names case-insensitively.
pub(crate) fn find_member<'n>(
    names: impl IntoIterator<Item = &'n str>,
    part: &str,
) -> Option<&'n str> {
    names.into_iter().find(|n| same_part(n, part))
}

/// Whether two part names denote the same part: ASCII case ignored, `\` read as `/`, a
/// leading `/` (the OPC's absolute form) ignored.
pub(crate) fn same_part(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('/'), b.trim_start_matches('/'));
    let norm = |c: u8| match c {
        b'\\' => b'/',
        c => c.to_ascii_lowercase(),
    };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| norm(x) == norm(y))
}

/// A member name as a part name: `\` separators read as `/`.
pub(crate) fn part_name(member: &str) -> String {
    member.replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_the_naming_part() {
        assert_eq!(
            resolve("xl/workbook.xml", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl/workbook.xml", "/xl/worksheets/s.xml"),
            "xl/worksheets/s.xml"
        );
        assert_eq!(
            resolve("xl/worksheets/sheet1.xml", "../comments1.xml"),
            "xl/comments1.xml"
        );
        assert_eq!(resolve("", "xl/workbook.xml"), "xl/workbook.xml");
        assert_eq!(resolve("a.xml", "../../x.xml"), "x.xml");
    }

    #[test]
    fn rels_sit_beside_their_part() {
        assert_eq!(rels_path("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
        assert_eq!(rels_path(""), "_rels/.rels");
    }

    #[test]
    fn members_match_without_case_or_separator_style() {
        let names = ["XL/Worksheets\\Sheet1.xml", "xl/styles.xml"];
        assert_eq!(
            find_member(names, "xl/worksheets/sheet1.xml"),
            Some("XL/Worksheets\\Sheet1.xml")
        );
        assert_eq!(find_member(names, "xl/sharedStrings.xml"), None);
        assert_eq!(find_member(names, "/XL/STYLES.XML"), Some("xl/styles.xml"));
        assert!(!same_part("xl/a.xml", "xl/ab.xml"));
        assert_eq!(
            part_name("xl\\worksheets\\Sheet1.xml"),
            "xl/worksheets/Sheet1.xml"
        );
    }
}
