"""expected_tsv.py - read an expected-results TSV file of the test fixtures.

    records(path, subs, ncols) -> list of lists of ncols strings

Lines are tab-separated; empty lines and lines starting with # are skipped; @NAME@ is replaced
by subs[NAME] first; missing trailing fields are "".
"""


def records(path, subs, ncols):
    out = []
    with open(path, encoding="utf-8") as f:
        for ln in f:
            ln = ln.rstrip("\n")
            for k, v in subs.items():
                ln = ln.replace("@%s@" % k, v)
            if ln.strip() and not ln.startswith("#"):
                out.append((ln.split("\t") + [""] * ncols)[:ncols])
    return out
