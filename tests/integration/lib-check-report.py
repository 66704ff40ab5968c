#!/usr/bin/python3
"""lib-check-report.py - read an XLSX report of medimail-sync back with openpyxl (a reader that
is not our writer) and check what issue 7 asks for.

usage: lib-check-report.py REPORT.xlsx [--update COLUMN OLD NEW] [--rejected COLUMN VALUE]
                           [--count SHEET N] [--summary TEXT]
  --update    the "Mises à jour" sheet has a line with that column header, old and new value
  --rejected  the "Rejets" sheet has a line with that column header and value, and the value
              cell carries a fill colour
  --count     SHEET holds N data rows (header excluded)
  --summary   some cell of the "Résumé" sheet contains TEXT
Every option may repeat. Exits 0 when every check passes, 1 otherwise, saying which failed.
"""
import argparse
import os
import stat
import sys

import openpyxl

SHEETS = ["Résumé", "Créations", "Mises à jour", "Expirations", "Renommages", "Rejets",
          "Avertissements", "ORG"]


def header_index(ws):
    return {c.value: i for i, c in enumerate(ws[1]) if c.value is not None}


def data_rows(ws):
    return list(ws.iter_rows(min_row=2))


def text(cell):
    return "" if cell.value is None else str(cell.value)


def fill_rgb(cell):
    fill = cell.fill
    if fill is None or fill.fill_type in (None, "none"):
        return None
    rgb = fill.fgColor.rgb if fill.fgColor is not None else None
    if not isinstance(rgb, str) or rgb in ("00000000", "FFFFFFFF"):
        return None
    return rgb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--update", nargs=3, action="append", default=[],
                    metavar=("COLUMN", "OLD", "NEW"))
    ap.add_argument("--rejected", nargs=2, action="append", default=[],
                    metavar=("COLUMN", "VALUE"))
    ap.add_argument("--count", nargs=2, action="append", default=[], metavar=("SHEET", "N"))
    ap.add_argument("--summary", action="append", default=[])
    a = ap.parse_args()
    errors = []

    mode = stat.S_IMODE(os.stat(a.report).st_mode)
    if mode & 0o077:
        errors.append("mode %o: readable by others" % mode)
    wb = openpyxl.load_workbook(a.report)
    for name in SHEETS:
        if name not in wb.sheetnames:
            errors.append("no sheet %r (sheets: %s)" % (name, wb.sheetnames))
            continue
        ws = wb[name]
        if ws.freeze_panes != "A2":
            errors.append("%s: header row not frozen (%s)" % (name, ws.freeze_panes))
        if not ws.auto_filter.ref or not ws.auto_filter.ref.startswith("A1:"):
            errors.append("%s: no autofilter" % name)
    if errors:
        return report(errors)

    ws = wb["Mises à jour"]
    h = header_index(ws)
    for col, old, new in a.update:
        if not any(text(r[h["Colonne"]]) == col and text(r[h["Ancienne valeur"]]) == old and
                   text(r[h["Nouvelle valeur"]]) == new for r in data_rows(ws)):
            errors.append("Mises à jour: no line %s: %r -> %r" % (col, old, new))

    ws = wb["Rejets"]
    h = header_index(ws)
    for col, value in a.rejected:
        rows = [r for r in data_rows(ws)
                if text(r[h["Colonne"]]) == col and text(r[h["Valeur"]]) == value]
        if not rows:
            errors.append("Rejets: no line %s = %r" % (col, value))
        elif not fill_rgb(rows[0][h["Valeur"]]):
            errors.append("Rejets: %s = %r has no fill colour" % (col, value))

    for name, n in a.count:
        got = len(data_rows(wb[name])) if name in wb.sheetnames else -1
        if got != int(n):
            errors.append("%s: %d data rows, expected %s" % (name, got, n))

    cells = [text(c) for row in wb["Résumé"].iter_rows() for c in row]
    for t in a.summary:
        if not any(t in c for c in cells):
            errors.append("Résumé: no cell contains %r" % t)
    return report(errors)


def report(errors):
    for e in errors:
        print("lib-check-report: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
