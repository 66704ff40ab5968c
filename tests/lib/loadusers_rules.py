"""loadusers_rules.py - the rules of the Medimail guide, cell by cell, written for the tests
apart from the program's own checker (src/check.c), so that a file the program calls clean is
checked by a second, independent reading of the guide's column table (section 3; the
program's own is src/columns.c).

    check_rows(rows) -> list of "ADDRESS: COLUMN: why (value)" strings, empty when clean

rows are dicts {header text: cell text} as xlsx_check.py reads them. Code lists (professions,
civilités, spécialités, départements, régions) are read from src/data/, the data the guide's
lists are built from; cells must hold their labels (output value-form = label, the default).
The connexion accounts of an ORG row must be nominative rows of the same file: check a first
apply, not an incremental one.
"""
import os
import re

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "data")
TYPES = ("PER", "INT", "ORG", "MED")

# header: requirement for PER, INT, ORG, MED (guide, section 3). Structure is NC for every type
# in the guide's table, but its comment says to fill it when the administrator manages several
# structures: optional here.
REQ = {
    "Adresse mail": "O O O O", "NOM": "O O O O", "Prénom": "O O O O",
    "RPPS": "OSC NC NC NC", "ADELI": "OSC NC NC NC", "Raison Sociale": "R R R R",
    "Service de rattachement": "F F F F", "Adresse (1)": "R R R R", "Adresse (2)": "F F F F",
    "CP": "O O O O", "VILLE": "O O O O", "Département": "O O O O", "Région": "O O O O",
    "Téléphone (1)": "F F F F", "Téléphone (2)": "F F F F", "Profession": "O O O O",
    "Spécialité": "R R R R", "Diplôme": "NC OSC NC NC", "Activité libérale": "O O O O",
    "Type BAL": "O O O O", "Type identifiant structure resp": "NC O O NC",
    "Identifiant structure resp": "NC O O NC", "Adresse de retour": "NC NC NC NC",
    "Nom resp": "NC NC O NC", "Prénom resp": "NC NC O NC", "Profession resp": "NC NC O NC",
    "Identifiant resp": "NC NC O NC", "Description fonctionnelle": "NC NC O NC",
    "Civilité exercice": "NC OSC NC NC", "MSSanté adresse": "F F F NC",
    "Apicrypt adresse": "F F F F", "Apicrypt spécialité": "F F F F",
    "Date de péremption": "F F F F", "Alias": "NC NC NC NC",
    "Compte(s) de connexion": "NC NC O NC", "Structure": "F F F F",
}

MAIL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                  r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def luhn(s):
    total = 0
    for i, ch in enumerate(reversed(s)):
        x = int(ch)
        if i % 2:
            x = x * 2 - 9 if x > 4 else x * 2
        total += x
    return total % 10 == 0


def digits(s, n):
    return len(s) == n and s.isascii() and s.isdigit()


def real_date(s):
    m = re.match(r"^(\d\d)-(\d\d)-(\d\d)$", s)
    if not m:
        return False
    y, mo, d = 2000 + int(m.group(1)), int(m.group(2)), int(m.group(3))
    mdays = [31, 29 if y % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    return 1 <= mo <= 12 and 1 <= d <= mdays[mo - 1]


def tsv(name, col):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        lines = [ln.rstrip("\n").split("\t") for ln in f][1:]
    return [ln for ln in lines if len(ln) > col and ln[col]]


_lists = None


def lists():
    global _lists
    if _lists is None:
        deps = {ln[0]: (ln[1], ln[3]) for ln in tsv("departements.tsv", 3)}
        _lists = {
            "profession": {ln[1] for ln in tsv("tre_g15_profession_sante.tsv", 1)}
            | {ln[1] for ln in tsv("professions_extra.tsv", 1)},
            "civilite": {ln[1] for ln in tsv("tre_r11_civilite_exercice.tsv", 1)},
            "specialite": {ln[1] for ln in tsv("tre_r38_specialite_ordinale.tsv", 1)},
            "deps": deps,
            "regions": {ln[1] for ln in tsv("regions.tsv", 1)},
            "cp_exceptions": {(ln[0], ln[4]) for ln in
                              tsv("postal_code_cross_departement_exceptions.tsv", 4)},
        }
    return _lists


def cp_departements(cp):
    """The département codes a postal code may have."""
    codes = {dep for c, dep in lists()["cp_exceptions"] if c == cp}
    if cp.startswith("20"):
        codes.add("2A" if cp < "20200" else "2B")
    elif cp.startswith("97"):
        codes.add(cp[:3])
    else:
        codes.add(cp[:2])
    return codes


def check_row(r, nominative):
    bad = []
    t = r.get("Type BAL", "")

    def err(col, why):
        bad.append("%s: %s: %s (%r)" % (r.get("Adresse mail", "?"), col, why, r.get(col, "")))

    if t not in TYPES:
        err("Type BAL", "not PER, INT, ORG or MED")
        return bad
    ti = TYPES.index(t)
    for col, req in REQ.items():
        v = r.get(col, "")
        q = req.split()[ti]
        if v != v.strip() or "  " in v or any(ord(c) < 32 for c in v):
            err(col, "blanks at an end, doubled, or control characters")
        if q == "O" and not v:
            err(col, "required for %s" % t)
        if q == "NC" and v:
            err(col, "must be empty for %s" % t)
    v = r.get("Adresse mail", "")
    if not MAIL.match(v) or len(v) > 254:
        err("Adresse mail", "not a lower-case mail address")
    for col in ("NOM", "VILLE"):
        if r.get(col, "") != r.get(col, "").upper():
            err(col, "not in upper case")
    if t == "PER" and not (r["RPPS"] or r["ADELI"]):
        err("RPPS", "a PER needs an RPPS or an ADELI")
    for col, n in (("RPPS", 11), ("ADELI", 9), ("Identifiant resp", 11)):
        v = r.get(col, "")
        if v and not (digits(v, n) and luhn(v)):
            err(col, "not %d digits with a valid key" % n)
    for col in ("Téléphone (1)", "Téléphone (2)"):
        v = r.get(col, "")
        if v and not (digits(v, 10) and v[0] == "0"):
            err(col, "not 10 digits starting with 0")
    cp, dep, reg = r.get("CP", ""), r.get("Département", ""), r.get("Région", "")
    deps = lists()["deps"]
    if not digits(cp, 5):
        err("CP", "not 5 digits")
    else:
        want = [deps[c] for c in cp_departements(cp) if c in deps]
        if dep not in [w[0] for w in want]:
            err("Département", "not the label of the département of CP %s" % cp)
        elif reg not in [w[1] for w in want if w[0] == dep]:
            err("Région", "not the région of %s" % dep)
    if r.get("Activité libérale", "") not in ("OUI", "NON"):
        err("Activité libérale", "not OUI or NON")
    idt, idv = r.get("Type identifiant structure resp", ""), r.get("Identifiant structure resp", "")
    if idt and idt not in ("FINESS", "SIRET", "SIREN"):
        err("Type identifiant structure resp", "not FINESS, SIRET or SIREN")
    n = {"FINESS": 9, "SIREN": 9, "SIRET": 14}.get(idt)
    if n and idv and not (digits(idv, n) and luhn(idv)):
        err("Identifiant structure resp", "not a %s with a valid key" % idt)
    prof = r.get("Profession", "")
    for col, name in (("Profession", "profession"), ("Profession resp", "profession"),
                      ("Civilité exercice", "civilite"), ("Spécialité", "specialite")):
        v = r.get(col, "")
        if v and v not in lists()[name]:
            err(col, "not a label of the %s list" % name)
    if t == "INT" and prof in ("Médecin", "Pharmacien", "Chirurgien-Dentiste") and \
            not r.get("Civilité exercice", ""):
        err("Civilité exercice", "required for an INT %s" % prof)
    for col in ("MSSanté adresse", "Apicrypt adresse"):
        v = r.get(col, "")
        if v and not LOCAL.match(v):
            err(col, "not the part of an address before @")
    if r.get("Apicrypt adresse", "") and not r.get("Apicrypt spécialité", ""):
        err("Apicrypt spécialité", "required when Apicrypt adresse is filled")
    v = r.get("Date de péremption", "")
    if v and not real_date(v):
        err("Date de péremption", "not a real date AA-MM-JJ")
    if t == "ORG":
        acc = [x for x in r.get("Compte(s) de connexion", "").split(";")]
        if not acc or any(not MAIL.match(x) for x in acc) or len(set(acc)) != len(acc):
            err("Compte(s) de connexion", "not distinct lower-case addresses separated by ;")
        missing = [x for x in acc if x not in nominative]
        if missing:
            err("Compte(s) de connexion", "not PER, INT or MED rows of the file: %s"
                % ";".join(missing))
    return bad


def check_rows(rows):
    nominative = {r.get("Adresse mail", "") for r in rows
                  if r.get("Type BAL", "") in ("PER", "INT", "MED")}
    bad = []
    for r in rows:
        bad.extend(check_row(r, nominative))
    return bad
