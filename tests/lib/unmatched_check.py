#!/usr/bin/python3
"""unmatched_check.py - the values no key of a value table matched, as a plan reports them:
in its terminal summary, its JSON summary and its XLSX report.

    unmatched_check.py EXPECTED.tsv [--stdout FILE] [--json FILE] [--report FILE.xlsx]
                       [--sub NAME=VALUE ...]

EXPECTED.tsv lists, tab-separated, most frequent first then by table and value (# comments):
    table     the table's name
    value     the value as first met; "A|B" accepts either
    count     the number of entries that had it
    example   the DN of the first entry that had it; "A|B" accepts either. When value and
              example both list the same number of alternatives, they pair by position.
@NAME@ is replaced by the --sub values.

The layouts are the program's to choose; what is checked is what the reader needs:
  stdout  each value appears on a line that holds its count (as a word), and its example DN on
          that line or one of the next two that names no other expected value;
  json    one list holds an object per distinct value, no more, no less, in the expected order,
          each with the table, the value, the count (a number) and the example among its fields;
  report  one sheet has a row per distinct value, no more (rows naming a table of EXPECTED),
          each with the table, the value, the count and the example among its cells.
Prints "ok - ..." / "not ok - ..." lines for tests/lib/common.sh (py_tap).
"""
import argparse
import json
import re
import sys

import expected_tsv


def alts(s):
    return s.split("|")


def load(path, subs):
    return [{"table": t, "values": alts(v), "count": int(c), "examples": alts(e)}
            for t, v, c, e in expected_tsv.records(path, subs, 4)]


def pairs(e):
    """(value, example) pairs that are acceptable."""
    v, x = e["values"], e["examples"]
    if len(v) == len(x) > 1:
        return list(zip(v, x))
    return [(a, b) for a in v for b in x]


def report(good, desc, details=()):
    print(("ok - " if good else "not ok - ") + desc)
    for d in list(details)[:15] if not good else []:
        print("#   " + str(d))
    return good


def check_stdout(path, exp):
    lines = open(path, encoding="utf-8").read().split("\n")
    every = {v for e in exp for v in e["values"]}
    bad = []
    for e in exp:
        found = False
        for i, ln in enumerate(lines):
            # the DN on the value's line, or on a following line that names no other value
            near = [ln] + [w for w in lines[i + 1:i + 3]
                           if not any(o in w for o in every - set(e["values"]))]
            for v, x in pairs(e):
                if v in ln and re.search(r"(^|\D)%d(\D|$)" % e["count"], ln) and \
                        any(x.lower() in w.lower() for w in near):
                    found = True
        if not found:
            bad.append("no line with %s, count %d and its example DN" %
                       ("/".join(e["values"]), e["count"]))
    return report(not bad, "the summary lists each unmatched value with its count and a DN",
                  bad)


def strings(o):
    return [x for x in o.values() if isinstance(x, str)]


def obj_matches(o, e):
    s = strings(o)
    nums = [x for x in o.values() if isinstance(x, int) and not isinstance(x, bool)]
    return e["table"] in s and e["count"] in nums and \
        any(v in s and any(x.lower() == y.lower() for y in s) for v, x in pairs(e))


def lists_of_objects(o):
    if isinstance(o, list):
        if o and all(isinstance(x, dict) for x in o):
            yield o
        for x in o:
            yield from lists_of_objects(x)
    elif isinstance(o, dict):
        for x in o.values():
            yield from lists_of_objects(x)


def check_json(path, exp):
    try:
        root = json.load(open(path, encoding="utf-8"))
    except (OSError, ValueError) as err:
        return report(False, "the JSON summary lists the unmatched values", [repr(err)])
    for lst in lists_of_objects(root):
        if any(obj_matches(o, exp[0]) for o in lst):
            got = [next((i for i, e in enumerate(exp) if obj_matches(o, e)), None)
                   for o in lst]
            good = got == list(range(len(exp)))
            return report(good, "the JSON summary lists exactly the %d unmatched values, "
                          "most frequent first" % len(exp),
                          ["got, in order, expected lines %s" % got] + [json.dumps(o)
                                                                        for o in lst])
    return report(False, "the JSON summary lists the unmatched values",
                  ["no list of objects holds %s" % exp[0]])


def check_report(path, exp):
    try:
        import openpyxl
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception as err:  # noqa: BLE001 - a report that cannot be opened fails the check
        return report(False, "the XLSX report lists the unmatched values", [repr(err)])
    tables = {e["table"] for e in exp}
    for ws in wb.worksheets:
        rows = [["" if c is None else str(c) for c in r] for r in ws.iter_rows(values_only=True)]
        mine = [r for r in rows if tables & set(r)]
        hit = [e for e in exp if any(
            e["table"] in r and str(e["count"]) in r and
            any(v in r and any(x.lower() == c.lower() for c in r) for v, x in pairs(e))
            for r in mine)]
        if hit:
            good = len(hit) == len(exp) and len(mine) == len(exp)
            return report(good, "the XLSX report (sheet %s) has a row per unmatched value, "
                          "with its count and a DN" % ws.title,
                          ["matched %d of %d expected, %d rows name a table"
                           % (len(hit), len(exp), len(mine))] + ["\t".join(r) for r in mine])
    return report(False, "the XLSX report lists the unmatched values",
                  ["no sheet has a row for %s" % "/".join(exp[0]["values"])])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("expected")
    ap.add_argument("--stdout")
    ap.add_argument("--json")
    ap.add_argument("--report")
    ap.add_argument("--sub", action="append", default=[])
    a = ap.parse_args()
    exp = load(a.expected, dict(x.split("=", 1) for x in a.sub))
    ok = True
    if a.stdout:
        ok &= check_stdout(a.stdout, exp)
    if a.json:
        ok &= check_json(a.json, exp)
    if a.report:
        ok &= check_report(a.report, exp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
