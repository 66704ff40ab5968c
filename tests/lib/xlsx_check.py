#!/usr/bin/python3
"""xlsx_check.py - read a loadusers XLSX back with openpyxl (a reader that is not ours).

    xlsx_check.py FILE.xlsx [--expected ROWS.tsv] [--rows N] [--types PER=n,INT=n,...]
                  [--absent ADDR,...] [--strict]
    xlsx_check.py FILE.xlsx --dump          print the rows as TSV

--strict checks every cell of every row against the rules of the Medimail guide, independently
of the program (loadusers_rules.py): a file that a plan called clean must pass it.

Prints one line per check, "ok - desc" or "not ok - desc" followed by "#" detail lines; the
calling shell script numbers them (tests/lib/common.sh: xlsx_check).
"""
import argparse
import sys

# The 36 header texts, exactly as the Medimail guide writes them (section 3;
# the program's own table is src/columns.c).
HEADERS = [
    "Adresse mail", "NOM", "Prénom", "RPPS", "ADELI", "Raison Sociale",
    "Service de rattachement", "Adresse (1)", "Adresse (2)", "CP", "VILLE", "Département",
    "Région", "Téléphone (1)", "Téléphone (2)", "Profession", "Spécialité", "Diplôme",
    "Activité libérale", "Type BAL", "Type identifiant structure resp",
    "Identifiant structure resp", "Adresse de retour", "Nom resp", "Prénom resp",
    "Profession resp", "Identifiant resp", "Description fonctionnelle", "Civilité exercice",
    "MSSanté adresse", "Apicrypt adresse", "Apicrypt spécialité", "Date de péremption", "Alias",
    "Compte(s) de connexion", "Structure",
]

failed = False


def report(good, desc, details=()):
    global failed
    print(("ok - " if good else "not ok - ") + desc)
    if not good:
        failed = True
        for d in list(details)[:15]:
            print("#   " + str(d))


def cell(v):
    if v is None:
        return ""
    return str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xlsx")
    ap.add_argument("--expected")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--types")
    ap.add_argument("--absent", default="")
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("--strict", action="store_true")
    a = ap.parse_args()
    try:
        import openpyxl
        wb = openpyxl.load_workbook(a.xlsx, read_only=True)
    except Exception as e:  # noqa: BLE001 - any failure to open is one failed check
        report(False, "openpyxl opens %s" % a.xlsx, [repr(e)])
        return 1
    report(len(wb.sheetnames) == 1, "the workbook has one sheet", wb.sheetnames)
    ws = wb[wb.sheetnames[0]]
    rows = [[cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
    rows = [r + [""] * (36 - len(r)) for r in rows]
    if a.dump:
        for r in rows:
            print("\t".join(r))
        return 0
    if not rows:
        report(False, "the sheet has a header row")
        return 1
    head = rows[0][:36]
    report(head == HEADERS and len([c for c in rows[0] if c]) == 36,
           "first row is exactly the 36 header texts",
           ["col %d: got %r, expected %r" % (i + 1, g, e)
            for i, (g, e) in enumerate(zip(head, HEADERS)) if g != e])
    data = [dict(zip(HEADERS, r)) for r in rows[1:]]
    addrs = [r["Adresse mail"] for r in data]
    if a.rows is not None:
        report(len(data) == a.rows, "%d data rows" % a.rows, ["got %d rows" % len(data)])
    dups = sorted({x for x in addrs if addrs.count(x) > 1}) if len(addrs) < 20000 else \
        sorted({x for x, n in __import__("collections").Counter(addrs).items() if n > 1})
    report(not dups, "addresses are unique", dups)
    report(all(x and x == x.lower() for x in addrs), "addresses are in lower case",
           [x for x in addrs if not x or x != x.lower()])
    bad = [(r["Adresse mail"], r["NOM"]) for r in data if r["NOM"] != r["NOM"].upper()]
    report(not bad, "NOM is in upper case", bad)
    bad = [(r["Adresse mail"], r["VILLE"]) for r in data
           if not r["VILLE"] or r["VILLE"] != r["VILLE"].upper()]
    report(not bad, "VILLE is filled, in upper case", bad)
    bad = [(r["Adresse mail"], r["Type BAL"]) for r in data
           if r["Type BAL"] not in ("PER", "INT", "MED", "ORG")]
    report(not bad, "Type BAL is PER, INT, MED or ORG", bad)
    bad = [(r["Adresse mail"], c, r[c]) for r in data
           for c in ("RPPS", "ADELI", "Téléphone (1)", "Téléphone (2)") if not r[c].isdigit()
           and r[c] != ""]
    report(not bad, "RPPS, ADELI and telephones are digits only", bad)
    bad = [(r["Adresse mail"], r["RPPS"], r["ADELI"]) for r in data if r["Type BAL"] == "PER"
           and not (r["RPPS"] or r["ADELI"])]
    report(not bad, "every PER row has an RPPS or an ADELI", bad)
    bad = [(r["Adresse mail"], r["Type BAL"]) for r in data if r["Type BAL"] != "PER"
           and (r["RPPS"] or r["ADELI"])]
    report(not bad, "RPPS and ADELI are empty outside PER rows (NC)", bad)
    if a.types:
        want = dict((k, int(v)) for k, v in (x.split("=") for x in a.types.split(",")))
        got = {}
        for r in data:
            got[r["Type BAL"]] = got.get(r["Type BAL"], 0) + 1
        report(all(got.get(k, 0) == v for k, v in want.items()),
               "rows per type: %s" % a.types, ["got %s" % sorted(got.items())])
    if a.strict:
        import loadusers_rules
        bad = loadusers_rules.check_rows(data)
        report(not bad, "every cell keeps the Medimail rules (%d rows)" % len(data), bad)
    for x in [x for x in a.absent.split(",") if x]:
        report(x.lower() not in [y.lower() for y in addrs], "no row for %s" % x)
    if a.expected:
        exp_rows = []
        with open(a.expected, encoding="utf-8") as f:
            lines = [ln.rstrip("\n") for ln in f if not ln.startswith("#") and ln.strip()]
        cols = lines[0].split("\t")
        for ln in lines[1:]:
            exp_rows.append(dict(zip(cols, ln.split("\t") + [""] * len(cols))))
        by_addr = dict((r["Adresse mail"], r) for r in data)
        for kinds, label in ((("PER", "INT", "MED"), "PER, INT and MED"), (("ORG",), "ORG")):
            exp = [e for e in exp_rows if e["Type BAL"] in kinds]
            got = sorted(x for x in addrs if by_addr[x]["Type BAL"] in kinds)
            report(sorted(e["Adresse mail"] for e in exp) == got,
                   "the %s rows are exactly the expected accounts" % label,
                   ["missing: %s" % sorted(set(e["Adresse mail"] for e in exp) - set(got)),
                    "extra: %s" % sorted(set(got) - set(e["Adresse mail"] for e in exp))])
            diffs = []
            for e in exp:
                r = by_addr.get(e["Adresse mail"])
                if r is None:
                    continue
                for c in cols:
                    if e[c] != "*" and r.get(c, "") != e[c]:
                        diffs.append("%s: %s: got %r, expected %r"
                                     % (e["Adresse mail"], c, r.get(c, ""), e[c]))
            report(not diffs, "the %s rows hold the expected values" % label, diffs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
