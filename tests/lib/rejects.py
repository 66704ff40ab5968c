#!/usr/bin/python3
"""rejects.py - every error rule rejects its row (issue 17, defect 3), for 34-rejects.sh.

  rejects.py gen DIR          write DIR/people.ldif: one valid person, one valid ORG, and
                              one entry per recipe below, each faulty in one way
  rejects.py check RUN REPORT LOADUSERS STATE
                              RUN is "csv" or "xlsx"; REPORT the apply's XLSX report (its
                              Rejections sheet lists every finding; stdout shows 50). Prints
                              "ok - ..." / "not ok - ..." lines (py_tap).

The rule ids are read from the source, not from this file: every id of check_rules[]
(src/check.c) and every id a findings_add(..., SEV_ERROR, ...) names in src/. Each of them has
a recipe (the entry that raises it, and the run where it does) or a line in NOT_HERE saying
why this run cannot raise it: a new rule id fails the test until it gets one or the other.
Then, whatever the rule: no DN of the report's Rejections sheet is on its Creations sheet or
an active account of the state, and the loadusers file holds the valid rows only.
"""
import base64
import csv
import io
import os
import re
import sqlite3
import sys

import openpyxl

SRC = os.environ.get("MS_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
P = "ou=people,dc=chu-exemple,dc=fr"
G = "ou=groups,dc=chu-exemple,dc=fr"
D = "chu-exemple.fr"
# a template reads at most 4096 bytes of a value (value-too-long); the cell of 40,000
# characters comes from 4,000 '#' that adresse-2's replace:/#/##########/g makes ten times longer
LONG = "#" * 4000

# rule id[#variant] -> (uid or group cn, the runs where it is raised, attributes that differ from a
# valid MED person; None removes the attribute). Groups are built in gen().
RECIPES = {
    "required": ("nomail", "csv xlsx", {"x-mail": None}),
    "mail-syntax": ("badmail", "csv xlsx", {"x-mail": "bad.mail.chu-exemple.fr"}),
    "mail-lowercase": ("upmail", "csv xlsx", {"x-mail": "Up@" + D}),
    "mail-duplicate": ("dup1", "csv xlsx", {"x-mail": "dup@" + D}),
    "nom-uppercase": ("lownom", "csv xlsx", {"sn": "Dupont"}),
    "rpps-or-adeli": ("perbare", "csv xlsx", {"x-type": "PER"}),
    "rpps-format": ("rppsfmt", "csv xlsx", {"x-type": "PER", "x-rpps": "1234"}),
    "rpps-key": ("rppskey", "csv xlsx", {"x-type": "PER", "x-rpps": "10001045368"}),
    "adeli-format": ("adelifmt", "csv xlsx", {"x-type": "PER", "x-adeli": "12"}),
    "adeli-key": ("adelikey", "csv xlsx", {"x-type": "PER", "x-adeli": "012600632"}),
    "cp-format": ("cpfmt", "csv xlsx", {"x-cp": "3400"}),
    "ville-uppercase": ("ville", "csv xlsx", {"x-ville": "Montpellier"}),
    "departement-list": ("deplist", "csv xlsx", {"x-departement": "Atlantide"}),
    "cp-departement": ("cpdep", "csv xlsx", {"x-departement": "Gard"}),
    "region-list": ("reglist", "csv xlsx", {"x-region": "Atlantide"}),
    "departement-region": ("depreg", "csv xlsx", {"x-region": "Bretagne"}),
    "profession-list": ("proflist", "csv xlsx", {"x-profession": "Astronaute"}),
    "specialite-list": ("spelist", "csv xlsx", {"x-specialite": "Astrologie"}),
    "diplome-required": ("diplreq", "csv xlsx",
                         {"x-type": "INT", "x-profession": "Assistant de service social"}),
    "liberal-list": ("liblist", "csv xlsx", {"x-liberal": "PEUT-ETRE"}),
    "id-type-list": ("idtype", "csv xlsx", {"x-type": "INT", "x-idtype": "DUNS"}),
    "finess-key": ("finess", "csv xlsx", {"x-type": "INT", "x-id": "340780478"}),
    "siren-key": ("siren", "csv xlsx", {"x-type": "INT", "x-idtype": "SIREN",
                                        "x-id": "552008444"}),
    "siret-key": ("siret", "csv xlsx", {"x-type": "INT", "x-idtype": "SIRET",
                                        "x-id": "73282932000075"}),
    "civilite-required": ("civreq", "csv xlsx", {"x-type": "INT", "x-profession": "Médecin"}),
    "civilite-list": ("civlist", "csv xlsx", {"x-type": "INT", "x-profession": "Médecin",
                                              "x-civilite": "Sire"}),
    "mssante-local-part": ("mssante", "csv xlsx", {"x-type": "INT", "x-mssante": "a@b.fr"}),
    "phone-format": ("phone", "csv xlsx", {"x-tel": "04 67 33 00 00"}),
    "apicrypt-local-part": ("apicrypt", "csv xlsx", {"x-apicrypt": "a@b.fr",
                                                     "x-apispe": "Cardiologie"}),
    "apicrypt-specialite-required": ("apispe", "csv xlsx", {"x-apicrypt": "jdupont"}),
    "date-format": ("datefmt", "csv xlsx", {"x-peremption": "99-99-99"}),
    "end-date-unreadable": ("enddate", "csv xlsx", {"x-end": "tomorrow"}),
    "disabled-unreadable": ("disabled", "csv xlsx", {"x-flags": "many"}),
    "cell-too-long": ("toolong", "xlsx", {"x-adresse-2": LONG}),
    "value-too-long": ("longvalue", "csv xlsx", {"x-adresse-2": "x" * 4097}),
    # bal-rule "int-title" reads title with if-match: a value it cannot read rejects the row
    # rather than letting the next rule (MED) hold
    "value-too-long#rule": ("longtitle", "csv xlsx", {"title": "Interne " + "x" * 4200}),
    "control-character": ("control", "csv xlsx", {"sn": b"DU\x01PONT"}),
    "csv-formula": ("formula", "csv", {"x-mail": "=cmd@" + D}),
    "windows-1252": ("lukasz", "csv", {"sn": "ŁUKASZ", "givenName": "Łukasz"}),
    "invalid-utf8": ("latin1", "csv xlsx", {"x-adresse-2": b"Ren\xe9"}),
    "no-bal-rule": ("nobal", "csv xlsx", {"x-type": "NONE"}),
    "missing-id": ("noid", "csv xlsx", {"entryUUID": None}),
    # ORG mailboxes (groups, see gen)
    "org-no-responsible": ("org-noowner", "csv xlsx", None),
    "org-responsible-unknown": ("org-ghost", "csv xlsx", None),
    "org-responsible-rpps": ("org-medowner", "csv xlsx", None),
    "resp-rpps": ("org-medowner", "csv xlsx", None),
    "org-mail-personal": ("org-personal", "csv xlsx", None),
    # an ORG row whose description falls back to cn: the finding names a column that is
    # filled all the same, and rejects the row (it did not, before issue 17)
    "invalid-utf8#org": ("org-latin1", "csv xlsx", None),
}

NOT_HERE = {
    "not-concerned": "the mapping empties the NC cells of a type (test_map.c); validate only",
    "type-bal": "the mapping writes Type BAL from the bal-rule; validate only",
    "diplome-list": "needs a list \"diplome\" section; covered by test_check.c",
    "connexion-mailbox": "built from accepted members' addresses; validate only",
    "csv-header": "validate FILE only (30-validate.sh)",
    "csv-columns": "validate FILE only (30-validate.sh)",
    "csv-quote": "validate FILE only (30-validate.sh)",
    "csv-binary": "validate FILE only (30-validate.sh)",
    "date-century": "validate FILE only (30-validate.sh)",
    "national-name": "needs a national-directory section (18-national-run.sh)",
}

BASE = {
    "objectClass": "inetOrgPerson", "sn": "DUPONT", "givenName": "Jean", "cn": "Jean Dupont",
    "x-type": "MED", "x-cp": "34000", "x-ville": "MONTPELLIER", "x-liberal": "NON",
    "x-profession": "Personnel administratif", "x-specialite": "Gériatrie",
    "x-idtype": "FINESS", "x-id": "340780477", "x-adresse-1": "1 avenue de l'Hôpital",
}


def ldif_line(name, value):
    raw = value if isinstance(value, bytes) else value.encode()
    safe = all(0x20 <= b < 0x7f for b in raw) and not raw.startswith((b" ", b":", b"<"))
    if safe:
        return "%s: %s\n" % (name, raw.decode())
    return "%s:: %s\n" % (name, base64.b64encode(raw).decode())


def person(uid, n, attrs):
    a = dict(BASE)
    a["uid"] = uid
    a["x-mail"] = uid + "@" + D
    a["entryUUID"] = "00000000-0000-4000-8000-%012d" % n
    a.update(attrs or {})
    out = "dn: uid=%s,%s\n" % (uid, P)
    for k, v in a.items():
        if v is not None:
            out += ldif_line(k, v)
    return out + "\n"


def group(cn, n, owner, members, mail=None, extra=""):
    out = "dn: cn=%s,%s\nobjectClass: groupOfNames\ncn: %s\n%s" % (cn, G, cn, extra)
    out += "entryUUID: 00000000-0000-4000-9000-%012d\n" % n
    out += "mail: %s\n" % (mail or cn + "@" + D)
    if owner:
        out += "owner: %s\n" % owner
    for m in members:
        out += "member: uid=%s,%s\n" % (m, P)
    return out + "\n"


def gen(d):
    n = 0
    text = "dn: %s\nobjectClass: organizationalUnit\nou: people\n\n" % P
    text += "dn: %s\nobjectClass: organizationalUnit\nou: groups\n\n" % G
    people = [("valid", {}), ("resp", {"x-type": "PER", "x-rpps": "10001045367",
                                       "x-profession": "Médecin"}),
              ("dup2", {"x-mail": "dup@" + D})]
    for rule, (uid, runs, attrs) in sorted(RECIPES.items()):
        if attrs is not None:
            people.append((uid, attrs))
    for uid, attrs in people:
        n += 1
        text += person(uid, n, attrs)
    r = "uid=resp," + P
    text += group("org-valid", 1, r, ["valid"])
    text += group("org-noowner", 2, None, ["valid"])
    text += group("org-ghost", 3, "uid=ghost," + P, ["valid"])
    text += group("org-medowner", 4, "uid=rppskey," + P, ["resp"])
    text += group("org-personal", 5, r, ["valid"], mail="valid@" + D)
    text += group("org-latin1", 6, r, ["valid"], extra=ldif_line("description", b"Bad\xe9"))
    with open(os.path.join(d, "people.ldif"), "w") as f:
        f.write(text)


def source_rule_ids():
    """Every rule id of check_rules[] and every id raised as an error in src/*.c."""
    ids = set()
    with open(os.path.join(SRC, "src", "check.c"), encoding="utf-8") as f:
        check = f.read()
    table = check[check.index("check_rules[] = {"):check.index("check_nrules")]
    ids |= set(re.findall(r'\[R_[A-Z0-9_]+\]\s*=\s*\{\s*"([a-z0-9-]+)",\s*E\b', table))
    for name in os.listdir(os.path.join(SRC, "src")):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(SRC, "src", name), encoding="utf-8") as f:
            body = f.read()
        for m in re.finditer(r'findings_add\(([^;]*?)\);', body, re.S):
            args = m.group(1)
            if "SEV_ERROR" in args.split(",")[1]:
                ids |= set(re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+|[a-z]+)"', args)[:1])
    return ids


def emit(ok, desc, detail=None):
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok and detail:
        for line in str(detail).splitlines()[:20]:
            print("# " + line)


def rows_of(path):
    if not path:
        return []
    if path.endswith(".csv"):
        with open(path, encoding="cp1252", newline="") as f:
            return [r[0] for r in list(csv.reader(f, delimiter=";"))[1:]]
    wb = openpyxl.load_workbook(path, read_only=True)
    return [r[0] for r in list(wb.active.iter_rows(values_only=True))[1:]]


def check(run, report, loadusers, state):
    ids = source_rule_ids()
    emit(len(ids) >= 40, "the source names %d error rule ids" % len(ids))
    covered = {k.split("#")[0] for k in RECIPES}
    missing = sorted(i for i in ids if i not in covered and i not in NOT_HERE)
    emit(not missing, "every error rule id has a recipe or a reason", ", ".join(missing))
    wb = openpyxl.load_workbook(report, read_only=True)
    rejected, created = {}, set()
    for r in list(wb["Rejections"].iter_rows(values_only=True))[1:]:
        rejected.setdefault(r[0], set()).add(r[3])
    sheet = list(wb["Creations"].iter_rows(values_only=True))
    dncol = sheet[0].index("Entry (DN)") if sheet and "Entry (DN)" in sheet[0] else 0
    created = {r[dncol] for r in sheet[1:]}
    mails = set(rows_of(loadusers))
    db = sqlite3.connect(state)
    active = {dn for (dn,) in db.execute("select dn from accounts where status = 'active'")}
    for rule, (name, runs, attrs) in sorted(RECIPES.items()):
        if run not in runs.split():
            continue
        dn = "uid=%s,%s" % (name, P) if attrs is not None else "cn=%s,%s" % (name, G)
        emit(rule.split("#")[0] in rejected.get(dn, ()),
             "%s: %s is rejected with %s" % (run, name, rule.split("#")[0]),
             "its findings: %s" % sorted(rejected.get(dn, ())))
    leaked = ["%s is active in the state" % dn for dn in sorted(rejected) if dn in active]
    leaked += ["%s is on the Creations sheet" % dn for dn in sorted(rejected) if dn in created]
    emit(len(created) >= 3, "%s: the Creations sheet lists %d entries" % (run, len(created)))
    emit(not leaked and len(rejected) >= 30,
         "%s: none of the %d rejected entries is created or active in the state" % (run, len(rejected)),
         "\n".join(leaked))
    # written: the valid entries, and the recipes of the other run (valid in this one)
    want = {"valid@" + D, "resp@" + D, "org-valid@" + D}
    for rule, (name, runs, attrs) in RECIPES.items():
        if attrs is not None and run not in runs.split():
            want.add(attrs.get("x-mail", name + "@" + D))
    emit(mails == want, "%s: the loadusers file holds the %d valid rows, no rejected one"
         % (run, len(want)), "extra: %s\nmissing: %s" % (sorted(mails - want),
                                                        sorted(want - mails)))
    emit({"uid=valid," + P, "uid=resp," + P, "cn=org-valid," + G} <= active,
         "%s: the valid entries are active in the state" % run, sorted(active))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(*sys.argv[2:6])
