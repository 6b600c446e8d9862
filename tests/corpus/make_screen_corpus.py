#!/usr/bin/env python3
"""Write the screen's adversarial corpus into tests/corpus/screen/ (issue 17, item 7).

Every file is either *leaky* (a classification marking, a SIN, or content a reader of
the published data would not see) or a *clean look-alike* that must pass. The list of
cases, with what each one tests, is written to tests/corpus/screen/cases.tsv, which the
integration test `tests/integration/corpus.rs` reads: it runs both `ogpipe screen` and
`ogpipe run` over every file and asserts that each leaky file is held by both and each
clean file passes both.

Producers (real ones, as the files a department gets are made):
  - xlsx, xlsm: openpyxl (pip install openpyxl; made with 3.1.5). A few features openpyxl
    cannot write (phonetic runs, XML comments and processing instructions in parts,
    header codes splitting a word, values under merged cells, back-slashed part names)
    are patched into the zip afterwards, as a hand-edited or foreign producer's file
    would have them.
  - ods, xls: LibreOffice headless, `soffice --headless --convert-to ods|xls`, from
    Debian's `libreoffice-calc-nogui` (made with 7.4.7). Some ods cases are then patched
    (`<text:s/>`, `<text:tab/>`, `<text:line-break/>` inside a word).
  - xlsb: no producer is available on Debian or PyPI (LibreOffice reads xlsb but cannot
    write it), so the corpus has none.
  - csv, xml: written here.

How to run (from the repository root):

  pip install openpyxl
  apt-get install libreoffice-calc-nogui
  python3 tests/corpus/make_screen_corpus.py

The files are committed (a few KB each); ogpipe's tests do not need Python or
LibreOffice. Values are made up; the SINs are textbook test numbers.

`needs` in cases.tsv is `matcher` for a case that depends on the text normalisation of
issue 17 item 1 and the SIN rule of item 4 (src/screen/matcher.rs), `-` otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "screen")
CASES = []  # (file, expect, category, needs, what)
TO_CONVERT = {"ods": [], "xls": []}  # xlsx sources to convert with LibreOffice
ODS_PATCHES = []  # (ods file, function over content.xml)

# The cases below write as they are declared: start from an empty folder.
if os.path.isdir(ROOT):
    shutil.rmtree(ROOT)
os.makedirs(ROOT)


def case(name, expect, category, needs, what):
    CASES.append((name, expect, category, needs or "-", what))


# ---------------------------------------------------------------- helpers


def book(rows, title="Data"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    return wb, ws


def table(cell):
    """A small table with one chosen cell."""
    return [["year", "program", "count"], [2024, "Outreach", 12], [2025, cell, 14]]


def save(wb, name):
    path = os.path.join(ROOT, name)
    wb.save(path)
    return path


def patch_zip(path, edits, renames=None, extra=None):
    """Rewrites members of a zip: edits[name] = fn(text) -> text; renames[old] = new."""
    renames = renames or {}
    with zipfile.ZipFile(path) as z:
        missing = set(edits) - set(z.namelist())
    assert not missing, f"{path}: no member {missing}"
    tmp = path + ".tmp"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data.decode("utf-8")).encode("utf-8")
            name = renames.get(info.filename, info.filename)
            ct = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = ct
            dst.writestr(zi, data)
        for name, data in (extra or {}).items():
            zi = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    os.replace(tmp, path)


def sub1(pattern, repl):
    def f(text):
        new, n = re.subn(pattern, repl, text, count=1)
        assert n == 1, f"pattern {pattern!r} not found"
        return new

    return f


def write_text(name, text, encoding="utf-8"):
    with open(os.path.join(ROOT, name), "w", encoding=encoding, newline="") as f:
        f.write(text)


def csv_of(cell, header="note"):
    value = '"' + cell.replace('"', '""') + '"'
    return f"year,{header}\n2024,plain text\n2025,{value}\n"


def xml_of(cell):
    esc = cell.replace("&", "&amp;").replace("<", "&lt;")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<records>\n'
        "  <record><year>2024</year><note>plain text</note></record>\n"
        f"  <record><year>2025</year><note>{esc}</note></record>\n</records>\n"
    )


def all_formats(stem, text, category, needs, what, expect="leak", formats=None):
    """One text in a cell of xlsx, xlsm, ods, xls, csv and xml."""
    formats = formats or ["xlsx", "xlsm", "ods", "xls", "csv", "xml"]
    for fmt in formats:
        name = f"{expect}-{stem}.{fmt}"
        if fmt in ("xlsx", "xlsm"):
            wb, _ = book(table(text))
            save(wb, name)
        elif fmt in ("ods", "xls"):
            src = f"{expect}-{stem}.{fmt}-src.xlsx"
            wb, _ = book(table(text))
            save(wb, src)
            TO_CONVERT[fmt].append((src, name))
        elif fmt == "csv":
            write_text(name, csv_of(text))
        elif fmt == "xml":
            write_text(name, xml_of(text))
        case(name, expect, category, needs, f"{what} ({fmt})")


# ---------------------------------------------------------------- spellings

SPELLINGS = [
    # (stem, text, needs, what)
    ("nfd-accent", "TRE\u0300S SECRET", "matcher", "decomposed accent, E + combining grave"),
    ("lowercase-rel", "secret//rel to can", "matcher", "lower-case marking string"),
    ("fullwidth", "\uff34\uff2f\uff30 \uff33\uff25\uff23\uff32\uff25\uff34", "matcher", "full-width letters"),
    ("cyrillic", "TOP S\u0415CRET", "matcher", "Cyrillic look-alike letter"),
    ("zero-width", "TOP SE\u200bCRET", "matcher", "zero-width space inside the word"),
    ("soft-hyphen", "TOP SE\u00adCRET", "matcher", "soft hyphen inside the word"),
    ("spaced", "S E C R E T", "matcher", "letters separated by spaces"),
    ("spaced-two", "T O P  S E C R E T", "matcher", "spaced letters, two spaces between words"),
    ("dotted", "S.E.C.R.E.T.", "matcher", "dotted letters"),
    ("nbsp", "TOP\u00a0SECRET", "", "no-break space"),
    ("line-break", "TOP\nSECRET", "", "line break between the words"),
    ("protege-b", "PROTEGE B", "", "PROTEGE B without accents"),
    ("rel-to", "SECRET//REL TO CAN, USA", "", "marking string"),
]
for stem, text, needs, what in SPELLINGS:
    formats = ["xlsx", "ods", "xls", "csv", "xml"]
    if stem in ("fullwidth", "nbsp", "protege-b"):
        formats.append("xlsm")
    all_formats(f"spelling-{stem}", text, "spelling", needs, what, formats=formats)

# ---------------------------------------------------------------- SINs

SINS = [
    ("sin-zero-spaced", "046 454 286", "matcher", "SIN starting with 0, 3-3-3 with spaces"),
    ("sin-zero-bare-label", "SIN: 046454286", "matcher", "SIN starting with 0, labelled"),
    ("sin-spaced", "130 692 544", "", "SIN 3-3-3 with spaces"),
    ("sin-dashed", "130-692-544", "", "SIN 3-3-3 with dashes"),
    ("sin-dotted", "130.692.544", "matcher", "SIN 3-3-3 with dots"),
    ("sin-nas", "NAS 130692544", "", "SIN labelled NAS"),
]
for stem, text, needs, what in SINS:
    all_formats(stem, text, "sin", needs, what, formats=["xlsx", "ods", "csv", "xml"])

# A bare SIN in a column whose header names it.
wb, ws = book([["name", "SIN"], ["A", 130692544], ["B", 46454286]])
ws["B3"].number_format = "000000000"
save(wb, "leak-sin-column.xlsx")
case("leak-sin-column.xlsx", "leak", "sin", "", "bare Luhn-valid number in a column headed SIN")
write_text("leak-sin-column.csv", "name,social insurance number\nA,046454286\nB,130692544\n")
case("leak-sin-column.csv", "leak", "sin", "", "bare SIN numbers under a header naming them")

# ---------------------------------------------------------------- places (xlsx)


def footer_case(name, footer_xml, what, needs=""):
    wb, ws = book(table("plain"))
    ws.oddFooter.center.text = "PLACEHOLDERFOOTER"
    path = save(wb, name)
    patch_zip(
        path,
        {"xl/worksheets/sheet1.xml": sub1(r"<oddFooter>[^<]*</oddFooter>", f"<oddFooter>{footer_xml}</oddFooter>")},
    )
    case(name, "leak", "place", needs, what)


footer_case("leak-footer-bold-split.xlsx", "TOP SE&amp;BCRET", "footer: &B splits the word")
footer_case("leak-footer-font-split.xlsx", "&amp;CTOP SEC&amp;\"Arial,Bold\"RET", "footer: &\"font,style\" splits the word")
footer_case("leak-footer-colour.xlsx", "&amp;LTOP &amp;KFF0000SECRET", "footer: &K colour before the word")
footer_case("leak-footer-size.xlsx", "&amp;RTOP SE&amp;12CRET", "footer: &12 font size splits the word")
footer_case("leak-footer-sections.xlsx", "&amp;L&amp;P&amp;CPROTECTED B&amp;R&amp;D", "footer: marking between &L, &C, &R")


# Header (not footer), also in ods and xls through LibreOffice.
def header_book(text):
    wb, ws = book(table("plain"))
    ws.oddHeader.center.text = text
    return wb


save(header_book("TOP SECRET"), "leak-place-header.xlsx")
case("leak-place-header.xlsx", "leak", "place", "", "page header (xlsx)")
for fmt in ("ods", "xls"):
    src = f"leak-place-header.{fmt}-src.xlsx"
    save(header_book("TOP SECRET"), src)
    TO_CONVERT[fmt].append((src, f"leak-place-header.{fmt}"))
    case(f"leak-place-header.{fmt}", "leak", "place", "", f"page header ({fmt})")


def sheet_name_book(title):
    wb, ws = book(table("plain"), title="Data")
    ws2 = wb.create_sheet(title)
    ws2.append(["x"])
    return wb


for fmt in ("xlsx", "ods", "xls"):
    name = f"leak-place-sheet-name.{fmt}"
    if fmt == "xlsx":
        save(sheet_name_book("TOP SECRET"), name)
    else:
        src = name + "-src.xlsx"
        save(sheet_name_book("TOP SECRET"), src)
        TO_CONVERT[fmt].append((src, name))
    case(name, "leak", "place", "", f"sheet name ({fmt})")
save(sheet_name_book("\uff34\uff2f\uff30 \uff33\uff25\uff23\uff32\uff25\uff34"), "leak-place-sheet-name-fullwidth.xlsx")
case("leak-place-sheet-name-fullwidth.xlsx", "leak", "place", "matcher", "full-width sheet name")

# Defined names: the name and the value.
wb, ws = book(table("plain"))
wb.defined_names["SECRET"] = DefinedName("SECRET", attr_text="Data!$A$1")
save(wb, "leak-place-defined-name.xlsx")
case("leak-place-defined-name.xlsx", "leak", "place", "", "defined name's name")
wb, ws = book(table("plain"))
wb.defined_names["label"] = DefinedName("label", attr_text='"TOP SECRET"')
save(wb, "leak-place-defined-value.xlsx")
case("leak-place-defined-value.xlsx", "leak", "place", "", "defined name's value")
wb, ws = book(table("plain"))
wb.defined_names["TOP_SECRET"] = DefinedName("TOP_SECRET", attr_text="Data!$A$1")
save(wb, "leak-place-defined-name-underscore.xlsx")
case("leak-place-defined-name-underscore.xlsx", "leak", "place", "matcher", "defined name TOP_SECRET")


def validation_book(**kw):
    wb, ws = book(table("plain"))
    dv = DataValidation(**kw)
    ws.add_data_validation(dv)
    dv.add("B2:B10")
    return wb


# xls: the xls screen does not read data-validation (DV) records yet.
for fmt in ("xlsx", "ods"):
    name = f"leak-place-validation-list.{fmt}"
    wb = validation_book(type="list", formula1='"TOP SECRET,PUBLIC"')
    if fmt == "xlsx":
        save(wb, name)
    else:
        save(wb, name + "-src.xlsx")
        TO_CONVERT[fmt].append((name + "-src.xlsx", name))
    case(name, "leak", "place", "", f"data-validation list ({fmt})")
save(
    validation_book(type="whole", operator="between", formula1="1", formula2="9", promptTitle="Note", prompt="PROTECTED B", showInputMessage=True),
    "leak-place-validation-prompt.xlsx",
)
case("leak-place-validation-prompt.xlsx", "leak", "place", "", "data-validation input message")
save(
    validation_book(type="whole", operator="between", formula1="1", formula2="9", errorTitle="TOP SECRET", error="no", showErrorMessage=True),
    "leak-place-validation-error.xlsx",
)
case("leak-place-validation-error.xlsx", "leak", "place", "", "data-validation error title")


def comment_book(text):
    wb, ws = book(table("plain"))
    ws["B2"].comment = Comment(text, "author")
    return wb


for fmt in ("xlsx", "ods", "xls"):
    name = f"leak-place-comment.{fmt}"
    wb = comment_book("TOP SECRET draft")
    if fmt == "xlsx":
        save(wb, name)
    else:
        save(wb, name + "-src.xlsx")
        TO_CONVERT[fmt].append((name + "-src.xlsx", name))
    case(name, "leak", "place", "", f"comment / note ({fmt})")


def chart_book(title):
    wb, ws = book([["year", "count"], [2024, 3], [2025, 5]])
    chart = BarChart()
    chart.title = title
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    ws.add_chart(chart, "D2")
    return wb


save(chart_book("TOP SECRET"), "leak-place-chart-title.xlsx")
case("leak-place-chart-title.xlsx", "leak", "place", "", "chart title")
path = save(chart_book("PLACEHOLDERTITLE"), "leak-place-chart-split-runs.xlsx")
patch_zip(
    path,
    {"xl/charts/chart1.xml": sub1(r"<a:r>(?:(?!</a:r>).)*PLACEHOLDERTITLE</a:t></a:r>", '<a:r><a:t>TOP SE</a:t></a:r><a:r><a:rPr b="1"/><a:t>CRET</a:t></a:r>')},
)
case("leak-place-chart-split-runs.xlsx", "leak", "place", "", "chart title split across two text runs")

# Phonetic run of a cell's string (openpyxl writes strings inline; a shared string's
# `<si>` has the same `rPh` element).
wb, ws = book(table("PHONETICHOST"))
path = save(wb, "leak-place-phonetic.xlsx")
patch_zip(
    path,
    {"xl/worksheets/sheet1.xml": sub1(r"<t>PHONETICHOST</t>", '<t>kanji</t><rPh sb="0" eb="5"><t>TOP SECRET</t></rPh><phoneticPr fontId="0"/>')},
)
case("leak-place-phonetic.xlsx", "leak", "place", "", "phonetic run of a cell's string")
wb, ws = book(table("plain"))
path = save(wb, "leak-place-phonetic-shared.xlsx")
patch_zip(
    path,
    {
        "xl/worksheets/sheet1.xml": sub1(r'<c r="B3" t="inlineStr"><is><t>plain</t></is></c>', '<c r="B3" t="s"><v>0</v></c>'),
        "[Content_Types].xml": sub1(r"</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
        "xl/_rels/workbook.xml.rels": sub1(r"</Relationships>", '<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    },
    extra={"xl/sharedStrings.xml": '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>kanji</t><rPh sb="0" eb="5"><t>TOP SECRET</t></rPh><phoneticPr fontId="0"/></si></sst>'},
)
case("leak-place-phonetic-shared.xlsx", "leak", "place", "", "phonetic run of a shared string")

# XML comments, processing instructions and element names inside parts.
wb, ws = book(table("plain"))
path = save(wb, "leak-place-part-comment.xlsx")
patch_zip(path, {"xl/worksheets/sheet1.xml": sub1(r"<sheetData>", "<!-- TOP SECRET --><sheetData>")})
case("leak-place-part-comment.xlsx", "leak", "place", "", "XML comment inside a worksheet part")
wb, ws = book(table("plain"))
path = save(wb, "leak-place-part-pi.xlsx")
patch_zip(path, {"xl/workbook.xml": sub1(r"<sheets>", "<?classification TOP SECRET?><sheets>")})
case("leak-place-part-pi.xlsx", "leak", "place", "", "processing instruction inside the workbook part")
wb, ws = book(table("plain"))
path = save(wb, "leak-place-part-element.xlsx")
patch_zip(
    path,
    {},
    extra={"customXml/item1.xml": '<?xml version="1.0"?><root><TOP-SECRET>1</TOP-SECRET></root>'},
)
case("leak-place-part-element.xlsx", "leak", "place", "", "element name in a custom XML part")
wb, ws = book(table("plain"))
path = save(wb, "leak-place-part-attribute-name.xlsx")
patch_zip(path, {"xl/worksheets/sheet1.xml": sub1(r"<sheetData>", '<sheetData xmlns:x="urn:x" x:SECRET="1">')})
case("leak-place-part-attribute-name.xlsx", "leak", "place", "", "attribute name inside a worksheet part")

# Custom document properties: the name and the value.
try:
    from openpyxl.packaging.custom import StringProperty
except ImportError:  # openpyxl < 3.1
    StringProperty = None
if StringProperty is not None:
    wb, ws = book(table("plain"))
    wb.custom_doc_props.append(StringProperty(name="MSIP_Label_Secret_Enabled", value="true"))
    save(wb, "leak-place-custom-property-msip.xlsx")
    case("leak-place-custom-property-msip.xlsx", "leak", "place", "matcher", "custom property name MSIP_Label_Secret_Enabled")
    wb, ws = book(table("plain"))
    wb.custom_doc_props.append(StringProperty(name="SECRET", value="yes"))
    save(wb, "leak-place-custom-property-name.xlsx")
    case("leak-place-custom-property-name.xlsx", "leak", "place", "", "custom property named SECRET")
    wb, ws = book(table("plain"))
    wb.custom_doc_props.append(StringProperty(name="Classification", value="PROTECTED B"))
    save(wb, "leak-place-custom-property-value.xlsx")
    case("leak-place-custom-property-value.xlsx", "leak", "place", "", "custom property value")

# Hyperlinks: the tooltip and the target.
wb, ws = book(table("link"))
ws["B3"].hyperlink = "https://example.gc.ca/docs"
ws["B3"].hyperlink.tooltip = "TOP SECRET"
save(wb, "leak-place-hyperlink-tooltip.xlsx")
case("leak-place-hyperlink-tooltip.xlsx", "leak", "place", "", "hyperlink tooltip")
wb, ws = book(table("link"))
ws["B3"].hyperlink = "https://example.gc.ca/TOP%20SECRET/report"
save(wb, "leak-place-hyperlink-target.xlsx")
case("leak-place-hyperlink-target.xlsx", "leak", "place", "", "hyperlink target, percent-encoded space")
wb, ws = book(table("link"))
ws["B3"].hyperlink = "#'Data'!A1"
ws["B3"].hyperlink.display = "SECRET"
save(wb, "leak-place-hyperlink-display.xlsx")
case("leak-place-hyperlink-display.xlsx", "leak", "place", "", "hyperlink display text")

# ods: words joined by <text:s/>, <text:tab/>, <text:line-break/>.
for stem, markup in (("space", "<text:s/>"), ("tab", "<text:tab/>"), ("line-break", "<text:line-break/>")):
    name = f"leak-place-ods-{stem}.ods"
    wb, ws = book(table("TOPJOINSECRET"))
    save(wb, name + "-src.xlsx")
    TO_CONVERT["ods"].append((name + "-src.xlsx", name))
    ODS_PATCHES.append((name, sub1("TOPJOINSECRET", f"TOP{markup}SECRET")))
    case(name, "leak", "place", "", f"ods cell text joined by {markup}")

# XML sources: names, processing instructions, comments.
XML_PLACES = [
    ("element-underscore", "<records><record><TOP_SECRET>1</TOP_SECRET></record></records>", "matcher", "element TOP_SECRET (a column header)"),
    ("element-dash", "<records><record><TOP-SECRET>1</TOP-SECRET></record></records>", "", "element TOP-SECRET"),
    ("element-secret", "<records><record><SECRET>1</SECRET></record></records>", "", "element SECRET"),
    ("attribute-name", '<records><record SECRET="yes"><n>1</n></record></records>', "", "attribute named SECRET"),
    ("attribute-value", '<records><record class="TOP SECRET"><n>1</n></record></records>', "", "attribute value"),
    ("pi", "<?classification TOP SECRET?><records><record><n>1</n></record></records>", "", "processing instruction"),
    ("comment", "<records><!-- PROTECTED B --><record><n>1</n></record></records>", "", "comment"),
    ("char-ref", "<records><record><n>TOP&#x20;SECRET</n></record></records>", "", "numeric character reference"),
]
for stem, body, needs, what in XML_PLACES:
    name = f"leak-place-xml-{stem}.xml"
    write_text(name, '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n")
    case(name, "leak", "place", needs, f"XML source: {what}")
write_text("leak-place-csv-header.csv", "year,TOP SECRET\n2024,1\n")
case("leak-place-csv-header.csv", "leak", "place", "", "CSV header")

# ---------------------------------------------------------------- hidden content


def hidden_case(name, build, what, fmts=("xlsx",), needs="", xlsx_patch=None, ods_patch=None):
    """`xlsx_patch` edits each xlsx written (openpyxl drops a height or width of 0), before
    LibreOffice converts it; `ods_patch` edits content.xml where LibreOffice drops it."""
    for fmt in fmts:
        wb = build()
        file = name.replace(".xlsx", f".{fmt}")
        written = file if fmt in ("xlsx", "xlsm") else file + "-src.xlsx"
        save(wb, written)
        if xlsx_patch:
            patch_zip(os.path.join(ROOT, written), xlsx_patch)
        if written != file:
            TO_CONVERT[fmt].append((written, file))
        if fmt == "ods" and ods_patch:
            ODS_PATCHES.append((file, ods_patch))
        case(file, "leak", "hidden", needs, f"{what} ({fmt})")


def rows_zero():
    wb, ws = book(table("draft figure"))
    ws.row_dimensions[3].height = 0
    return wb


def outline_collapsed():
    wb, ws = book(table("draft figure") + [[2026, "x", 1]])
    ws.row_dimensions.group(3, 4, outline_level=1, hidden=True)
    return wb


def col_zero():
    wb, ws = book(table("draft figure"))
    ws.column_dimensions["C"].width = 0
    return wb


def col_hidden():
    wb, ws = book(table("draft figure"))
    ws.column_dimensions["C"].hidden = True
    return wb


def white_on_white():
    wb, ws = book(table("draft figure"))
    ws["B3"].font = Font(color="FFFFFF")
    ws["B3"].fill = PatternFill("solid", fgColor="FFFFFF")
    return wb


def same_colour():
    wb, ws = book(table("draft figure"))
    ws["B3"].font = Font(color="336699")
    ws["B3"].fill = PatternFill("solid", fgColor="336699")
    return wb


def white_default():
    wb, ws = book(table("draft figure"))
    ws["B3"].font = Font(color="FFFFFF")
    return wb


def tiny_font():
    wb, ws = book(table("draft figure"))
    ws["B3"].font = Font(size=1)
    return wb


def fmt_book(code, value="draft figure"):
    def build():
        wb, ws = book(table(value))
        ws["B3"].number_format = code
        return wb

    return build


def fmt_number_book(code):
    def build():
        wb, ws = book(table("x"))
        ws["C3"].number_format = code
        return wb

    return build


ROW_ZERO = {"xl/worksheets/sheet1.xml": sub1(r'<row r="3" customHeight="1">', '<row r="3" ht="0" customHeight="1">')}
hidden_case(
    "leak-hidden-row-zero-height.xlsx",
    rows_zero,
    "row of height 0",
    # LibreOffice reads a height of 0 as the default height, so its xls has none.
    fmts=("xlsx", "ods"),
    xlsx_patch=ROW_ZERO,
    ods_patch=sub1(r'(<style:style style:name="ro2" style:family="table-row"><style:table-row-properties style:row-height=")[^"]*"', r'\g<1>0in"'),
)
hidden_case("leak-hidden-outline-collapsed.xlsx", outline_collapsed, "collapsed outline rows", fmts=("xlsx", "ods", "xls"))
COL_ZERO = {"xl/worksheets/sheet1.xml": sub1(r"<sheetData>", '<cols><col min="3" max="3" width="0" customWidth="1"/></cols><sheetData>')}


def ods_col_zero(text):
    # LibreOffice keeps the column apart but reads a width of 0 as the default width.
    return sub1(
        r'(<style:style style:name="co2" style:family="table-column"><style:table-column-properties [^>]*style:column-width=")[^"]*"',
        r'\g<1>0in"',
    )(text)


hidden_case(
    "leak-hidden-column-zero-width.xlsx",
    col_zero,
    "column of width 0",
    # LibreOffice reads a width of 0 as the default width, so its xls has none.
    fmts=("xlsx", "ods"),
    xlsx_patch=COL_ZERO,
    ods_patch=ods_col_zero,
)
hidden_case("leak-hidden-column-hidden.xlsx", col_hidden, "hidden column", fmts=("xlsx", "ods"))
# xls: fonts and fills are not read by the xls screen yet, so no xls cases for them.
hidden_case("leak-hidden-white-on-white.xlsx", white_on_white, "white text on white fill", fmts=("xlsx", "ods"))
hidden_case("leak-hidden-same-colour.xlsx", same_colour, "text coloured as its fill", fmts=("xlsx", "ods"))
hidden_case("leak-hidden-white-default.xlsx", white_default, "white text on the default background", fmts=("xlsx", "ods"))
hidden_case("leak-hidden-tiny-font.xlsx", tiny_font, "font size 1", fmts=("xlsx", "ods"))
hidden_case("leak-hidden-format-empty-text.xlsx", fmt_book('0;0;0;""'), 'number format 0;0;0;"" on text')
hidden_case("leak-hidden-format-replacing-text.xlsx", fmt_book(';;;"public"'), 'number format ;;;"public" on text')
hidden_case("leak-hidden-format-triple.xlsx", fmt_book(";;;"), "number format ;;; on text", fmts=("xlsx", "xls"))
hidden_case("leak-hidden-format-number-empty.xlsx", fmt_number_book('"";"";""'), 'number format "";""; "" on a number')
hidden_case("leak-hidden-format-number-replacing.xlsx", fmt_number_book('"n/a"'), 'number format "n/a" replacing a number')


def very_hidden():
    wb, ws = book(table("plain"))
    ws2 = wb.create_sheet("Extra")
    ws2.append(["draft figure"])
    ws2.sheet_state = "veryHidden"
    return wb


hidden_case("leak-hidden-sheet-very-hidden.xlsx", very_hidden, "very hidden sheet", fmts=("xlsx",))

# A value under a merged cell: openpyxl drops covered values, so the merge is patched in.
wb, ws = book([["title", "draft figure"], [2024, 1]])
path = save(wb, "leak-hidden-merged-covered.xlsx")
patch_zip(path, {"xl/worksheets/sheet1.xml": sub1(r"</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')})
case("leak-hidden-merged-covered.xlsx", "leak", "hidden", "", "value under a merged cell (xlsx)")
name = "leak-hidden-merged-covered.ods"
wb, ws = book([["title", "COVEREDVALUE"], [2024, 1]])
save(wb, name + "-src.xlsx")
TO_CONVERT["ods"].append((name + "-src.xlsx", name))
ODS_PATCHES.append(
    (
        name,
        sub1(
            r'<table:table-cell ([^>]*)office:value-type="string"([^>]*)><text:p>title</text:p></table:table-cell><table:table-cell[^>]*><text:p>COVEREDVALUE</text:p></table:table-cell>',
            r'<table:table-cell \1office:value-type="string"\2 table:number-columns-spanned="2" table:number-rows-spanned="1"><text:p>title</text:p></table:table-cell><table:covered-table-cell office:value-type="string"><text:p>draft figure</text:p></table:covered-table-cell>',
        ),
    )
)
case(name, "leak", "hidden", "", "value under a covered cell (ods)")

# ---------------------------------------------------------------- one verdict: limits

# A zip bomb: a part of 4 MiB that packs to a few KB (over limits.max_compression_ratio).
wb, ws = book(table("plain"))
path = save(wb, "leak-limit-zip-bomb.xlsx")
patch_zip(path, {}, extra={"customXml/item1.xml": "<root>" + "<a/>" * (1 << 20) + "</root>"})
case("leak-limit-zip-bomb.xlsx", "leak", "limit", "", "zip bomb: a part expanding over 100 times")
# XML nested deeper than limits.max_xml_depth.
deep = "".join(f"<l{i}>" for i in range(100)) + "x" + "".join(f"</l{i}>" for i in reversed(range(100)))
write_text("leak-limit-xml-depth.xml", '<?xml version="1.0"?>\n<records><record>' + deep + "</record></records>\n")
case("leak-limit-xml-depth.xml", "leak", "limit", "", "XML nested deeper than limits.max_xml_depth")
write_text("leak-limit-xml-dtd.xml", '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e "x">]>\n<records><record><n>&e;</n></record></records>\n')
case("leak-limit-xml-dtd.xml", "leak", "limit", "", "XML with a DTD")
write_text("leak-limit-not-a-zip.xlsx", "this is not a workbook\n")
case("leak-limit-not-a-zip.xlsx", "leak", "limit", "", "xlsx that is not a zip")

# ---------------------------------------------------------------- part names


def rename_parts(path, fn):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    patch_zip(path, {}, renames={n: fn(n) for n in names})


wb = comment_book("TOP SECRET draft")
path = save(wb, "leak-partname-backslash-comment.xlsx")
rename_parts(path, lambda n: n.replace("/", "\\") if n.startswith("xl/") else n)
case("leak-partname-backslash-comment.xlsx", "leak", "partname", "", "comment in a part named with back-slashes")
wb = comment_book("TOP SECRET draft")
path = save(wb, "leak-partname-uppercase-comment.xlsx")
rename_parts(path, lambda n: n.replace("comments", "COMMENTS").replace(".xml", ".XML") if "comments" in n else n)
case("leak-partname-uppercase-comment.xlsx", "leak", "partname", "", "comment part in upper case")

# ---------------------------------------------------------------- clean look-alikes

CLEAN_TEXTS = [
    ("secretariat", "Treasury Board Secretariat", "secretariat"),
    ("secretary-general", "Secretary General of NATO", "Secretary General"),
    ("protected-area", "protected area network", "protected area"),
    ("secret-prose", "the secret to good data is care", "secret in prose"),
    ("confidentiality", "Confidentiality of returns is kept by law", "confidentiality in prose"),
    ("top-secretary", "top secretary of the year award", "top secretary"),
    ("classification-unclassified", "Classification: unclassified", "unclassified label"),
    ("invoice", "Invoice INV-2024-123456789", "invoice number, not Luhn-valid"),
    ("phone-like-code", "Program 2024-555", "program code"),
    ("protege-species", "espece protegee a risque", "protegee in prose"),
]
for stem, text, what in CLEAN_TEXTS:
    all_formats(f"{stem}", text, "clean", "", what, expect="clean", formats=["xlsx", "ods", "csv", "xml"])

wb, ws = book([["program_code", "requests"], [130692544, 12], [200000009, 3]])
save(wb, "clean-program-code-numeric.xlsx")
case("clean-program-code-numeric.xlsx", "clean", "clean", "matcher", "Luhn-valid 9-digit program code in a numeric column")
write_text("clean-program-code-numeric.csv", "program_code,requests\n130692544,12\n200000009,3\n")
case("clean-program-code-numeric.csv", "clean", "clean", "matcher", "Luhn-valid 9-digit program code in a numeric column (csv)")
write_text("clean-barrel-count.csv", "month,barrels\n2024-01,123456789\n2024-02,987654321\n")
case("clean-barrel-count.csv", "clean", "clean", "", "9-digit counts, not Luhn-valid")


def clean_styles():
    wb, ws = book(table("visible note"))
    ws["B3"].font = Font(color="000000", size=8)
    ws["B3"].fill = PatternFill("solid", fgColor="FFFF00")
    ws["C3"].number_format = '#,##0;(#,##0);"-"'
    ws["C2"].number_format = "0.00;-0.00;0"
    ws.oddFooter.center.text = "Page &P of &N"
    ws.oddHeader.left.text = "Annual report"
    return wb


# No clean xls: the screen holds every xls file as not fully inspected (see
# src/screen/container/xls.rs), by design until it reads all of it.
for fmt in ("xlsx", "ods"):
    name = f"clean-styles.{fmt}"
    if fmt == "xlsx":
        save(clean_styles(), name)
    else:
        save(clean_styles(), name + "-src.xlsx")
        TO_CONVERT[fmt].append((name + "-src.xlsx", name))
    case(name, "clean", "clean", "", f"dark text on a yellow fill, 8 pt, accounting format, page numbers ({fmt})")

wb, ws = book([["title", None], [2024, 1]])
path = save(wb, "clean-merged-empty.xlsx")
patch_zip(path, {"xl/worksheets/sheet1.xml": sub1(r"</sheetData>", '</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')})
case("clean-merged-empty.xlsx", "clean", "clean", "", "merged title over an empty cell")

wb, ws = book(table("plain") + [[2026, "x", 1]])
ws.row_dimensions.group(3, 4, outline_level=1, hidden=False)
save(wb, "clean-outline-expanded.xlsx")
case("clean-outline-expanded.xlsx", "clean", "clean", "", "outline group left expanded")

wb = validation_book(type="list", formula1='"Ottawa,Toronto"')
save(wb, "clean-validation-list.xlsx")
case("clean-validation-list.xlsx", "clean", "clean", "", "data-validation list of cities")

wb, ws = book(table("plain"))
path = save(wb, "clean-partname-backslash.xlsx")
rename_parts(path, lambda n: n.replace("/", "\\") if n.startswith("xl/") else n)
case("clean-partname-backslash.xlsx", "clean", "partname", "", "clean workbook whose part names use back-slashes")
wb, ws = book(table("plain"))
path = save(wb, "clean-partname-uppercase.xlsx")
rename_parts(path, lambda n: n.replace("sharedStrings", "SharedStrings").replace("worksheets", "Worksheets"))
case("clean-partname-uppercase.xlsx", "clean", "partname", "", "clean workbook whose part names differ in case from their references")

for stem, body in (
    ("elements", "<records><record><secretariat>Treasury Board</secretariat><protected_area>Banff</protected_area></record></records>"),
    ("attributes", '<records><record classification="unclassified" lang="en"><n>1</n></record></records>'),
    ("pi-comment", '<?xml-stylesheet href="style.xsl"?><records><!-- generated by the secretariat --><record><n>1</n></record></records>'),
):
    name = f"clean-xml-{stem}.xml"
    write_text(name, '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n")
    case(name, "clean", "clean", "", f"XML {stem} with look-alike words")

for stem, markup in (("space", "<text:s/>"), ("tab", "<text:tab/>")):
    name = f"clean-ods-{stem}.ods"
    wb, ws = book(table("protectedJOINarea"))
    save(wb, name + "-src.xlsx")
    TO_CONVERT["ods"].append((name + "-src.xlsx", name))
    ODS_PATCHES.append((name, sub1("protectedJOINarea", f"protected{markup}area")))
    case(name, "clean", "clean", "", f"ods 'protected area' joined by {markup}")

# ---------------------------------------------------------------- convert, patch, index


def convert():
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    try:
        for fmt, pairs in TO_CONVERT.items():
            if not pairs:
                continue
            out = tempfile.mkdtemp(prefix=f"lo-{fmt}-")
            filt = "xls:MS Excel 97" if fmt == "xls" else "ods"
            srcs = [os.path.join(ROOT, s) for s, _ in pairs]
            subprocess.run(
                ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", filt, "--outdir", out] + srcs,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            for src, dest in pairs:
                made = os.path.join(out, os.path.splitext(os.path.basename(src))[0] + "." + fmt)
                shutil.move(made, os.path.join(ROOT, dest))
                os.remove(os.path.join(ROOT, src))
            shutil.rmtree(out)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    convert()
    for name, fn in ODS_PATCHES:
        patch_zip(os.path.join(ROOT, name), {"content.xml": fn})
    with open(os.path.join(ROOT, "cases.tsv"), "w", encoding="utf-8") as f:
        f.write("file\texpect\tcategory\tneeds\twhat\n")
        for row in CASES:
            f.write("\t".join(row) + "\n")
    leaks = sum(1 for c in CASES if c[1] == "leak")
    print(f"{len(CASES)} files: {leaks} leaky, {len(CASES) - leaks} clean", file=sys.stderr)
