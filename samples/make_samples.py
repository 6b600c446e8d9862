#!/usr/bin/env python3
"""Regenerate ogpipe's sample data files in samples/data/.

What it makes (all values are made up; no real personal data, no
classification markings, no hidden sheets, comments, macros or defined names):

  annual_report_statistics.xlsx  sheets "Statistics" (18 rows) and "Notes" (2 rows)
  atip_requests.ods              sheet "Requests" (12 rows: dates, ints, decimals, booleans)
  security_screening.csv         UTF-8, comma-delimited, one quoted field with a comma (15 rows)
  publications.xml               bilingual Dublin Core listing (8 records)
  public_inquiries.csv           Windows-1252, semicolon-delimited, CRLF, dot decimals (12 rows)
  regional_outreach.xls          Excel 97-2003 (BIFF8) sheet "Outreach" (12 rows)
  operational_statistics.xlsx    sheet "Statistics" (6 rows), the file the manifest withholds

How to run (from the repository root):

  pip install openpyxl odfpy xlwt && python3 samples/make_samples.py

The output is deterministic: fixed values, fixed document dates, and zip
entries (xlsx, ods) rewritten with a fixed timestamp, so running it twice
gives byte-identical files (made with openpyxl 3.1.5, odfpy 1.4.1, xlwt 1.3.0;
other library versions may change bytes, not content). The files are
committed; ogpipe's users and tests do not need Python.
"""

import csv
import datetime as dt
import io
import os
import re
import zipfile
from xml.sax.saxutils import escape, quoteattr

import openpyxl
import xlwt
from openpyxl.styles import Alignment, Font
from odf.opendocument import OpenDocumentSpreadsheet
from odf.number import DateStyle, Day, Month, Text as NumberText, Year
from odf.style import Style, TableColumnProperties
from odf.table import Table, TableCell, TableColumn, TableRow
from odf.text import P

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

# Fixed document timestamp (docProps created/modified, zip entry times).
FIXED_DT = dt.datetime(2025, 1, 1, 0, 0, 0)
FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
CREATOR = "ogpipe samples"

FISCAL_YEARS = ["2019-2020", "2020-2021", "2021-2022",
                "2022-2023", "2023-2024", "2024-2025"]


def path(name):
    return os.path.join(OUT, name)


def normalize_zip(filename, rewrite=None):
    """Rewrite a zip (xlsx/ods) with fixed entry timestamps, same order and
    compression; `rewrite` maps entry name -> function(bytes) -> bytes."""
    rewrite = rewrite or {}
    with zipfile.ZipFile(filename) as zin:
        entries = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(filename, "w") as zout:
        for info, data in entries:
            if info.filename in rewrite:
                data = rewrite[info.filename](data)
            zi = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            zi.compress_type = info.compress_type
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            zout.writestr(zi, data)


def fix_core_xml(data):
    """openpyxl stamps dcterms:modified with the current time on save."""
    stamp = FIXED_DT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                  rb"\g<1>" + stamp + rb"\g<2>", data)


def new_workbook():
    wb = openpyxl.Workbook()
    p = wb.properties
    p.creator = CREATOR
    p.lastModifiedBy = None
    p.title = None
    p.created = FIXED_DT
    p.modified = FIXED_DT
    return wb


def write_header(ws, headers, widths):
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, w in enumerate(widths):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = w


def save_xlsx(wb, name):
    wb.save(path(name))
    normalize_zip(path(name), {"docProps/core.xml": fix_core_xml})


# --------------------------------------------------------------------------
# 1. annual_report_statistics.xlsx
# --------------------------------------------------------------------------
MEASURES = [
    ("Threat reduction measures", "Mesures de réduction de la menace"),
    ("Public engagement events", "Activités de mobilisation du public"),
    ("Security screening advice provided", "Avis de filtrage de sécurité fournis"),
]
# value per fiscal year, per measure (same order as MEASURES)
ANNUAL_VALUES = {
    "2019-2020": (17, 64, 1184),
    "2020-2021": (21, 38, 1097),
    "2021-2022": (26, 51, 1231),
    "2022-2023": (24, 87, 1302),
    "2023-2024": (31, 112, 1375),
    "2024-2025": (29, 126, 1418),
}
# publication date of each year's report
PUBLISHED_ON = {
    "2019-2020": dt.date(2020, 5, 20),
    "2020-2021": dt.date(2021, 4, 29),
    "2021-2022": dt.date(2022, 5, 12),
    "2022-2023": dt.date(2023, 4, 20),
    "2023-2024": dt.date(2024, 5, 16),
    "2024-2025": dt.date(2025, 5, 22),
}

NOTES = [
    ("Values are counts for the fiscal year, April 1 to March 31.\n"
     'Figures for "2024-2025" are preliminary and may be revised.',
     "Les valeurs sont des totaux pour l'exercice, du 1er avril au 31 mars.\n"
     "Les chiffres de « 2024-2025 » sont préliminaires et peuvent être révisés."),
    ('A "public engagement event" is a presentation, round table or workshop,\n'
     "in person or virtual, delivered to people outside the federal government.",
     "Une « activité de mobilisation du public » est une présentation, une table ronde\n"
     'ou un atelier, en personne ou virtuel, offert hors du gouvernement fédéral ("externe").'),
]


def make_annual_report():
    wb = new_workbook()
    ws = wb.active
    ws.title = "Statistics"
    write_header(ws, ["fiscal_year", "measure_en", "measure_fr", "value", "published_on"],
                 [12, 36, 40, 10, 14])
    for fy in FISCAL_YEARS:
        for (en, fr), value in zip(MEASURES, ANNUAL_VALUES[fy]):
            ws.append([fy, en, fr, value, PUBLISHED_ON[fy]])
            ws.cell(row=ws.max_row, column=5).number_format = "yyyy-mm-dd"

    notes = wb.create_sheet("Notes")
    write_header(notes, ["note_en", "note_fr"], [70, 80])
    for en, fr in NOTES:
        notes.append([en, fr])
        for cell in notes[notes.max_row]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    save_xlsx(wb, "annual_report_statistics.xlsx")


# --------------------------------------------------------------------------
# 2. atip_requests.ods
# --------------------------------------------------------------------------
# month, received, completed, pages, on-time %, extension taken
ATIP = [
    (dt.date(2024, 4, 1), 112, 98, 6240, 87.5, True),
    (dt.date(2024, 5, 1), 127, 119, 7315, 91.25, False),
    (dt.date(2024, 6, 1), 104, 110, 5980, 89.75, False),
    (dt.date(2024, 7, 1), 96, 101, 4875, 92.5, False),
    (dt.date(2024, 8, 1), 88, 90, 4410, 93.0, False),
    (dt.date(2024, 9, 1), 131, 117, 8022, 85.25, True),
    (dt.date(2024, 10, 1), 142, 128, 9137, 84.5, True),
    (dt.date(2024, 11, 1), 119, 125, 7604, 88.75, False),
    (dt.date(2024, 12, 1), 83, 94, 3962, 90.5, False),
    (dt.date(2025, 1, 1), 137, 112, 8451, 86.0, True),
    (dt.date(2025, 2, 1), 124, 130, 7788, 91.75, False),
    (dt.date(2025, 3, 1), 148, 141, 9873, 89.25, True),
]


def fmt_num(x):
    """Plain decimal text: 87.5 -> '87.5', 93.0 -> '93', 112 -> '112'."""
    return ("%.2f" % x).rstrip("0").rstrip(".") if isinstance(x, float) else str(x)


def fmt_dec(x):
    """Decimal text with a dot and at least one decimal: 12.5, 3.0, 9.25."""
    s = "%.2f" % x
    return s[:-1] if s.endswith("0") else s


def make_atip():
    doc = OpenDocumentSpreadsheet()
    # ISO date display style for the month column
    ds = DateStyle(name="N_ISODATE")
    ds.addElement(Year(style="long"))
    ds.addElement(NumberText(text="-"))
    ds.addElement(Month(style="long"))
    ds.addElement(NumberText(text="-"))
    ds.addElement(Day(style="long"))
    doc.automaticstyles.addElement(ds)
    date_cell = Style(name="ce_date", family="table-cell", datastylename="N_ISODATE")
    doc.automaticstyles.addElement(date_cell)
    col_style = Style(name="co_wide", family="table-column")
    col_style.addElement(TableColumnProperties(columnwidth="1.2in"))
    doc.automaticstyles.addElement(col_style)

    table = Table(name="Requests")
    headers = ["month", "requests_received", "requests_completed",
               "pages_processed", "completed_on_time_pct", "extension_taken"]
    table.addElement(TableColumn(numbercolumnsrepeated=len(headers), stylename=col_style))

    tr = TableRow()
    for h in headers:
        c = TableCell(valuetype="string")
        c.addElement(P(text=h))
        tr.addElement(c)
    table.addElement(tr)

    for month, rec, comp, pages, pct, ext in ATIP:
        tr = TableRow()
        c = TableCell(valuetype="date", datevalue=month.isoformat(), stylename=date_cell)
        c.addElement(P(text=month.isoformat()))
        tr.addElement(c)
        for v in (rec, comp, pages, pct):
            c = TableCell(valuetype="float", value=fmt_num(v))
            c.addElement(P(text=fmt_num(v)))
            tr.addElement(c)
        c = TableCell(valuetype="boolean", booleanvalue="true" if ext else "false")
        c.addElement(P(text="TRUE" if ext else "FALSE"))
        tr.addElement(c)
        table.addElement(tr)

    doc.spreadsheet.addElement(table)
    doc.save(path("atip_requests.ods"))

    def fix_meta(data):
        # odfpy stamps its own version as the generator; keep it neutral.
        return re.sub(rb"<meta:generator>[^<]*</meta:generator>",
                      b"<meta:generator>" + CREATOR.encode() + b"</meta:generator>", data)
    normalize_zip(path("atip_requests.ods"), {"meta.xml": fix_meta})


# --------------------------------------------------------------------------
# 3. security_screening.csv (UTF-8, comma, LF line endings)
# --------------------------------------------------------------------------
PROGRAMS = [
    ("Government Screening", "Filtrage pour le gouvernement"),
    ("Site Access", "Accès aux sites"),
    ("Immigration and Citizenship Screening",
     "Filtrage pour l'immigration et la citoyenneté"),
    ("Provinces, Territories and Municipalities",
     "Provinces, territoires et municipalités"),
    ("Refugee Claimants Screening", "Filtrage des demandeurs d'asile"),
]
# (requests_received, median_days) per fiscal year, per program
SCREENING = {
    "2022-2023": [(61250, 12.5), (54830, 3.0), (412600, 8.5), (2140, 21.0), (38920, 6.5)],
    "2023-2024": [(64410, 11.0), (57105, 2.5), (436980, 9.25), (2385, 18.5), (44150, 7.0)],
    "2024-2025": [(66875, 10.5), (58960, 2.5), (451215, 7.75), (2510, 17.25), (47730, 6.0)],
}


def make_screening():
    with open(path("security_screening.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["fiscal_year", "program_en", "program_fr",
                    "requests_received", "median_days"])
        for fy, rows in SCREENING.items():
            for (en, fr), (received, days) in zip(PROGRAMS, rows):
                w.writerow([fy, en, fr, received, fmt_dec(days)])


# --------------------------------------------------------------------------
# 4. publications.xml
# --------------------------------------------------------------------------
PUB_BASE = "https://www.canada.ca/en/security-intelligence-service/corporate/publications/"
PUBLICATIONS = [
    ("PUB-2020-01", "report", "Public Report 2019", "Rapport public 2019",
     "2020-05-20", 48, "public-report-2019.html"),
    ("PUB-2021-01", "report", "Public Report 2020", "Rapport public 2020",
     "2021-04-29", 46, "public-report-2020.html"),
    ("PUB-2022-01", "report", "Public Report 2021", "Rapport public 2021",
     "2022-05-12", 52, "public-report-2021.html"),
    ("PUB-2022-02", "guide",
     "Protecting Your Research: A Guide for Academic Institutions",
     "Protéger vos recherches : guide à l'intention des établissements d'enseignement",
     "2022-10-06", 24, "protecting-your-research.html"),
    ("PUB-2023-01", "report", "Public Report 2022", "Rapport public 2022",
     "2023-04-20", 44, "public-report-2022.html"),
    ("PUB-2023-02", "brochure", "Foreign Interference & You", "L'ingérence étrangère & vous",
     "2023-09-14", 12, "foreign-interference-and-you.html"),
    ("PUB-2024-01", "report", "Public Report 2023", "Rapport public 2023",
     "2024-05-16", 42, "public-report-2023.html"),
    ("PUB-2024-02", "guide",
     "Safeguarding Science: Economic Security Guidance for Businesses",
     "Protéger la science : conseils sur la sécurité économique à l'intention des entreprises",
     "2024-11-21", 18, "safeguarding-science-businesses.html"),
]


def make_publications():
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<publications xmlns="http://example.org/ogpipe/publications"'
           ' xmlns:dc="http://purl.org/dc/elements/1.1/">']
    for pid, ptype, en, fr, date, pages, slug in PUBLICATIONS:
        out += [
            "  <publication id=%s type=%s>" % (quoteattr(pid), quoteattr(ptype)),
            '    <dc:title xml:lang="en">%s</dc:title>' % escape(en),
            '    <dc:title xml:lang="fr">%s</dc:title>' % escape(fr),
            "    <dc:date>%s</dc:date>" % date,
            "    <pages>%d</pages>" % pages,
            "    <url>%s</url>" % escape(PUB_BASE + slug),
            "  </publication>",
        ]
    out.append("</publications>")
    with open(path("publications.xml"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(out) + "\n")


# --------------------------------------------------------------------------
# 5. public_inquiries.csv (Windows-1252, semicolon, CRLF, dot decimals)
# --------------------------------------------------------------------------
INQUIRIES = [
    ("2024-04", "Téléphone", 214, 1.5),
    ("2024-04", "Courriel", 387, 3.25),
    ("2024-04", "Formulaire Web", 529, 2.75),
    ("2024-05", "Téléphone", 198, 1.25),
    ("2024-05", "Courriel", 402, 3.5),
    ("2024-05", "Formulaire Web", 561, 2.5),
    ("2024-06", "Téléphone", 176, 1.75),
    ("2024-06", "Courriel", 365, 4.0),
    ("2024-06", "Formulaire Web", 498, 3.0),
    ("2024-07", "Téléphone", 152, 2.0),
    ("2024-07", "Courriel", 341, 3.75),
    ("2024-07", "Formulaire Web", 476, 2.25),
]


def make_inquiries():
    with open(path("public_inquiries.csv"), "w", encoding="cp1252", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\r\n")
        w.writerow(["mois", "canal", "demandes_reçues", "délai_moyen_jours"])
        for month, canal, n, days in INQUIRIES:
            w.writerow([month, canal, n, fmt_dec(days)])


# --------------------------------------------------------------------------
# 6. regional_outreach.xls (Excel 97-2003 via xlwt)
# --------------------------------------------------------------------------
REGIONS = [
    ("Atlantic", "Atlantique"),
    ("Quebec", "Québec"),
    ("Ontario", "Ontario"),
    ("Prairies", "Prairies"),
    ("British Columbia", "Colombie-Britannique"),
    ("Northern Canada", "Nord du Canada"),
]
# (sessions_held, participants, first_session) per fiscal year, per region
OUTREACH = {
    "2023-2024": [(14, 612, dt.date(2023, 4, 18)), (22, 1045, dt.date(2023, 4, 12)),
                  (31, 1580, dt.date(2023, 4, 6)), (12, 497, dt.date(2023, 5, 3)),
                  (18, 824, dt.date(2023, 4, 25)), (5, 143, dt.date(2023, 6, 14))],
    "2024-2025": [(16, 688, dt.date(2024, 4, 16)), (25, 1172, dt.date(2024, 4, 10)),
                  (34, 1711, dt.date(2024, 4, 4)), (13, 540, dt.date(2024, 5, 8)),
                  (20, 903, dt.date(2024, 4, 23)), (6, 171, dt.date(2024, 6, 19))],
}


def make_outreach():
    wb = xlwt.Workbook(encoding="utf-8")
    # xlwt writes the WRITEACCESS user name as raw bytes, but BIFF8 readers
    # expect a unicode-string header (u16 length, u8 flags = 0, compressed).
    wb.owner = "%c\x00\x00%s" % (len(CREATOR), CREATOR)
    ws = wb.add_sheet("Outreach")
    bold = xlwt.easyxf("font: bold on")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    headers = ["region_en", "region_fr", "fiscal_year", "sessions_held",
               "participants", "first_session"]
    for c, h in enumerate(headers):
        ws.write(0, c, h, bold)
    for c, width in enumerate([20, 24, 12, 14, 14, 14]):
        ws.col(c).width = 256 * width
    r = 1
    for fy, rows in OUTREACH.items():
        for (en, fr), (sessions, participants, first) in zip(REGIONS, rows):
            ws.write(r, 0, en)
            ws.write(r, 1, fr)
            ws.write(r, 2, fy)
            ws.write(r, 3, sessions)
            ws.write(r, 4, participants)
            ws.write(r, 5, first, date_style)
            r += 1
    wb.save(path("regional_outreach.xls"))


# --------------------------------------------------------------------------
# 7. operational_statistics.xlsx (withheld by its manifest; content innocuous)
# --------------------------------------------------------------------------
OPERATIONAL = {
    "2019-2020": (24, 23),
    "2020-2021": (19, 19),
    "2021-2022": (27, 25),
    "2022-2023": (31, 30),
    "2023-2024": (28, 27),
    "2024-2025": (33, 31),
}


def make_operational():
    wb = new_workbook()
    ws = wb.active
    ws.title = "Statistics"
    write_header(ws, ["fiscal_year", "warrant_applications", "approved"], [12, 22, 12])
    for fy in FISCAL_YEARS:
        ws.append([fy, *OPERATIONAL[fy]])
    save_xlsx(wb, "operational_statistics.xlsx")


def main():
    os.makedirs(OUT, exist_ok=True)
    make_annual_report()
    make_atip()
    make_screening()
    make_publications()
    make_inquiries()
    make_outreach()
    make_operational()
    for name in sorted(os.listdir(OUT)):
        print("%-32s %7d bytes" % (name, os.path.getsize(path(name))))


if __name__ == "__main__":
    main()
