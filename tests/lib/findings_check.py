#!/usr/bin/python3
"""findings_check.py - compare the findings a plan or apply printed with the expected ones.

    findings_check.py OUTPUT EXPECTED.tsv [--sub NAME=VALUE ...] [--label TEXT]

OUTPUT is the standard output of "medimail-sync plan" (or apply) run under LC_ALL=C.UTF-8:
its finding lines read "rejected: WHERE: COLUMN: RULE: MESSAGE (value "VALUE")" or
"warning: ...". EXPECTED.tsv has one line per finding, tab-separated (# comments allowed):

    kind      rejected | warning
    where     the DN (compared without case)
    column    the column header, "-" for none; "A|B" accepts either
    rule      the rule id
    value     the value; "*" not checked; empty: no value
    message   optional: a regular expression the message must contain (case-insensitive)

@NAME@ in EXPECTED is replaced by the --sub values. The findings must be exactly the expected
ones: each expected finding once (a duplicate is an extra), nothing else. Prints "ok - ..." or
"not ok - ..." lines with "#" details, for tests/lib/common.sh (py_tap).
"""
import argparse
import re
import sys

import expected_tsv

LINE = re.compile(r"^(rejected|warning): (.*?): (.+?): ([a-z0-9-]+): (.*)$")
VALUE = ' (value "'


def parse_output(path):
    found = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            m = LINE.match(ln.rstrip("\n"))
            if not m:
                continue
            kind, where, col, rule, msg = m.groups()
            value = None
            i = msg.rfind(VALUE)
            if i >= 0 and msg.endswith('")'):
                value = msg[i + len(VALUE):-2]
                msg = msg[:i]
            found.append({"kind": kind, "where": where, "col": col, "rule": rule,
                          "value": value, "msg": msg, "line": ln.rstrip("\n")})
    return found


def parse_expected(path, subs):
    return [{"kind": c[0], "where": c[1], "cols": c[2].split("|"), "rule": c[3],
             "value": c[4], "msg": c[5], "text": "\t".join(c).rstrip("\t")}
            for c in expected_tsv.records(path, subs, 6)]


def matches(e, g):
    if e["kind"] != g["kind"] or e["where"].lower() != g["where"].lower():
        return False
    if e["rule"] != g["rule"] or g["col"] not in e["cols"]:
        return False
    if e["value"] != "*" and (g["value"] or "") != e["value"]:
        return False
    return not e["msg"] or re.search(e["msg"], g["msg"], re.I) is not None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("expected")
    ap.add_argument("--sub", action="append", default=[])
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    subs = dict(x.split("=", 1) for x in a.sub)
    got = parse_output(a.output)
    exp = parse_expected(a.expected, subs)
    used = [False] * len(got)
    missing = []
    for e in exp:
        for i, g in enumerate(got):
            if not used[i] and matches(e, g):
                used[i] = True
                break
        else:
            missing.append(e["text"])
    extra = [g["line"] for i, g in enumerate(got) if not used[i]]
    label = a.label or "findings"
    good = not missing and not extra
    print(("ok - " if good else "not ok - ") +
          "%s: exactly the %d expected findings" % (label, len(exp)))
    if not good:
        for m in missing[:15]:
            print("#   missing: " + m)
        for x in extra[:15]:
            print("#   extra:   " + x)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
