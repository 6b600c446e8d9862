#!/usr/bin/env python3
"""Writes ogpipe's hostile corpus (issue 18) into a folder, for measuring the readers:
zip bombs with honest and lying sizes, long CSV fields and lines, a damaged BIFF record
length, and CSV encodings. Nothing here is committed: the files are large.

    python3 tests/corpus/make_hostile.py OUT_DIR [--big]

--big adds the 500 MiB CSV field. Then, for each file:
    /usr/bin/time -f "%e s %M KB" ogpipe convert OUT_DIR/FILE -o /tmp/out.csv
"""
import os
import struct
import sys
import zipfile
import zlib

MiB = 1 << 20


def xlsx_bomb(path, inflated, lie):
    """An xlsx whose sheet part inflates to about `inflated` bytes; with `lie`, its
    local and central headers claim 1,000 bytes (below 2 GiB, so no zip64 fields)."""
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
          '<sheets><sheet name="Data" sheetId="1" r:id="rIdS"/></sheets></workbook>')
    wbrels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_rels/.rels", rels)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels", wbrels)
        row = b'<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaa</t></is></c></row>'
        chunk = row * (MiB // len(row))
        # Zip64 only when it must be: a lying zip64 entry would also lie about its
        # compressed size, which makes a truncated file, not a bomb.
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=inflated >= (1 << 31) - 1) as f:
            f.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(inflated // len(chunk)):
                f.write(chunk)
            f.write(b"</sheetData></worksheet>")
    if lie:
        data = bytearray(open(path, "rb").read())
        i = 0
        while True:
            i = data.find(b"PK", i)
            if i < 0 or i + 46 > len(data):
                break
            sig = bytes(data[i:i + 4])
            if sig == b"PK\x03\x04":
                data[i + 22:i + 26] = struct.pack("<I", 1000)
            elif sig == b"PK\x01\x02":
                data[i + 24:i + 28] = struct.pack("<I", 1000)
            i += 2
        open(path, "wb").write(data)


def csv_quoted(path, size):
    """One quoted field of `size` bytes full of delimiters."""
    with open(path, "wb") as f:
        f.write(b'id,text\n1,"')
        chunk = b"x,y," * (MiB // 4)
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write(b'"\n')


def csv_long_line(path, size):
    """One line of `size` bytes of short unquoted fields (over the header's width)."""
    with open(path, "wb") as f:
        f.write(b"a,b\n")
        chunk = b"1," * (MiB // 2)
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.write(b"1\n")


def xls_bad_length(src, path):
    """The sample xls with its first LABELSST record claiming 14 bytes instead of 10."""
    data = bytearray(open(src, "rb").read())
    at = data.find(b"\xfd\x00\x0a\x00")
    if at < 0:
        raise SystemExit("no LABELSST record found in " + src)
    data[at + 2:at + 4] = struct.pack("<H", 14)
    open(path, "wb").write(data)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    j = lambda name: os.path.join(out, name)
    xlsx_bomb(j("bomb_honest.xlsx"), 3 << 30, lie=False)
    xlsx_bomb(j("bomb_honest_1900m.xlsx"), 1900 * MiB, lie=False)
    xlsx_bomb(j("bomb_lying_1900m.xlsx"), 1900 * MiB, lie=True)
    csv_quoted(j("field_10m.csv"), 10 * MiB)
    csv_quoted(j("field_100m.csv"), 100 * MiB)
    if "--big" in sys.argv:
        csv_quoted(j("field_500m.csv"), 500 * MiB)
    csv_long_line(j("line_100m.csv"), 100 * MiB)
    xls_bad_length(os.path.join(root, "samples/data/regional_outreach.xls"), j("bad_length.xls"))
    with open(j("unterminated.csv"), "wb") as f:
        f.write(b'id,name\n1,ok\n2,"never closed\n' + b"3,x\n" * 1000)
    with open(j("mixed.csv"), "wb") as f:
        f.write(b"ville\nQu\xe9bec\nMontr\xc3\xa9al\n")
    with open(j("cp1252.csv"), "wb") as f:
        f.write(b"nom;ville\n" + b"a;b\n" * 20000 + b"Jos\xe9;Qu\xe9bec\n")
    with open(j("c1.csv"), "wb") as f:
        f.write(b"a,b\n1,\x81\n")
    with open(j("utf16le.csv"), "wb") as f:
        f.write(b"\xff\xfe" + "nom\tville\r\nZoë\tMontréal\r\n".encode("utf-16-le"))
    with open(j("utf16_nobom.csv"), "wb") as f:
        f.write("a,b\r\n1,2\r\n".encode("utf-16-le"))
    with open(j("nul.csv"), "wb") as f:
        f.write(b"a,b\n1,2\n3,\x004\n")


if __name__ == "__main__":
    main()
