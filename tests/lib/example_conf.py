#!/usr/bin/python3
"""example_conf.py - an example configuration of conf/ pointed at the test's own servers.

    example_conf.py IN OUT [--replace OLD NEW ...] [--set WHERE=VALUE ...]

The example files name the servers, bind files and paths of a real installation; the tests run
them as they are, except for what --set and --replace change:

  --replace OLD NEW   every OLD in the text becomes NEW, before the options are set
                      (e.g. --replace DC=chu,DC=example DC=test,DC=lan)
  --set WHERE=VALUE   WHERE is OPTION (top level), SECTION.OPTION (output.directory) or
                      SECTION:TITLE.OPTION (directory:annuaire.uri). VALUE is written as it
                      is (quote strings yourself); "-" removes the option. An option the
                      section lacks is added at its end; a section the file lacks is added.

Comments and layout are kept; an option given over several lines ({ "a",\\n "b" }) is replaced
whole. Sections are recognised by a line ending with "{" (one-line sections are left alone).
"""
import argparse
import re
import sys

OPEN = re.compile(r'^\s*([a-z][a-z0-9-]*)\s*(?:"([^"]*)")?\s*\{\s*(#.*)?$')
CLOSE = re.compile(r"^\s*\}\s*(#.*)?$")
OPTION = re.compile(r"^(\s*)([a-z][a-z0-9-]*)\s*=\s*(.*)$")


def parse_sets(items):
    sets = {}
    for it in items:
        where, value = it.split("=", 1)
        sec, _, opt = where.rpartition(".")
        sets.setdefault(sec, []).append((opt, value))
    return sets


def section_id(name, title):
    return "%s:%s" % (name, title) if title is not None else name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--replace", action="append", nargs=2, default=[])
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    text = open(a.src, encoding="utf-8").read()
    for old, new in a.replace:
        text = text.replace(old, new)
    sets = parse_sets(a.set)
    done = set()       # (section, option) written
    seen = set()       # sections met
    out = []
    stack = []         # section ids
    skipping = False   # inside a multi-line option being replaced
    for ln in text.split("\n"):
        if skipping:
            if "}" in ln:
                skipping = False
            continue
        cur = stack[-1] if stack else ""
        m = OPEN.match(ln)
        if m:
            stack.append(section_id(m.group(1), m.group(2)))
            seen.add(stack[-1])
            out.append(ln)
            continue
        if CLOSE.match(ln) and stack:
            for opt, value in sets.get(cur, []):
                if (cur, opt) not in done and value != "-":
                    out.append("\t%s = %s" % (opt, value))
                    done.add((cur, opt))
            stack.pop()
            out.append(ln)
            continue
        m = OPTION.match(ln)
        if m and not ln.lstrip().startswith("#"):
            indent, opt, rest = m.groups()
            repl = [v for o, v in sets.get(cur, []) if o == opt]
            if repl:
                if rest.lstrip().startswith("{") and "}" not in rest:
                    skipping = True
                if repl[0] != "-":
                    out.append("%s%s = %s" % (indent, opt, repl[0]))
                done.add((cur, opt))
                continue
        out.append(ln)
    if out and out[-1] == "":
        out.pop()
    for opt, value in sets.get("", []):
        if ("", opt) not in done and value != "-":
            out.insert(0, "%s = %s" % (opt, value))
    for sec, items in sets.items():
        if sec and sec not in seen:
            name, _, title = sec.partition(":")
            out.append('%s%s {' % (name, ' "%s"' % title if title else ""))
            out += ["\t%s = %s" % (o, v) for o, v in items if v != "-"]
            out.append("}")
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
