#!/bin/bash
# 21-org: ORG mailboxes from directory groups on a private slapd: three levels of nesting, a
# cycle, a member outside the base, an owner without RPPS, a posixGroup (memberUid), a
# groupOfUniqueNames ("#'0101'B" suffix) and a group of 20,000 members; read back with openpyxl.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1796083200
SAMPLE=$MS_SRC/tests/fixtures/sample
S=dc=chu-exemple,dc=fr
P=ou=people,$S
G=ou=groups,$S
D=chu-exemple.fr

# 20,000 generated people, every one valid, and "org-big" holding all of them
"$MS_PY" "$MS_SRC/tests/fixtures/gen-people.py" -n 20000 --big-group 20000 >"$MS_TMP/people.ldif" ||
	bail "gen-people.py"

person() {     # uid sn profession [rpps]
	printf 'dn: uid=%s,%s\nobjectClass: inetOrgPerson\nobjectClass: medimailPerson\n' "$1" "${5:-$P}"
	printf 'uid: %s\ncn: %s\nsn: %s\ngivenName: Test\nmail: %s@%s\nmedimailProfession: %s\n' \
		"$1" "$2" "$2" "$1" "$D" "$3"
	[ -n "${4:-}" ] && printf 'medimailRPPS: %s\n' "$4"
	echo
}
group() {      # cn class owner members...
	local cn=$1 class=$2 owner=$3 m
	shift 3
	printf 'dn: cn=%s,%s\nobjectClass: %s\n' "$cn" "$G" "$class"
	case $cn in org-*) printf 'objectClass: medimailOrgMailbox\nmail: %s@%s\n' "$cn" "$D" ;; esac
	printf 'cn: %s\n' "$cn"
	[ -n "$owner" ] && printf 'owner: uid=%s,%s\n' "$owner" "$P"
	for m in "$@"; do printf '%s\n' "$m"; done
	echo
}
{
	printf 'dn: ou=externes,%s\nobjectClass: organizationalUnit\nou: externes\n\n' "$S"
	person resp1 Responsable Médecin 10001045367
	person nores Sansrpps "Personnel administratif"
	for u in a1 a2 a3 b1 u1 u2 q1 q2; do person "$u" "Agent" "Secrétaire médical"; done
	person ext1 Externe "Secrétaire médical" "" "ou=externes,$S"
	group org-nest groupOfNames resp1 "member: cn=lvl1,$G"
	group lvl1 groupOfNames "" "member: cn=lvl2,$G" "member: uid=a1,$P"
	group lvl2 groupOfNames "" "member: cn=lvl3,$G" "member: uid=a2,$P"
	group lvl3 groupOfNames "" "member: uid=a3,$P"
	group org-cycle groupOfNames resp1 "member: cn=cyc-a,$G"
	group cyc-a groupOfNames "" "member: cn=cyc-b,$G" "member: uid=b1,$P"
	group cyc-b groupOfNames "" "member: cn=cyc-a,$G"
	group org-ext groupOfNames resp1 "member: uid=a1,$P" "member: uid=ext1,ou=externes,$S"
	group org-noresp groupOfNames nores "member: uid=a1,$P"
	group org-posix posixGroup resp1 "gidNumber: 7001" "memberUid: u1" "memberUid: U2"
	group org-unique groupOfUniqueNames resp1 "uniqueMember: uid=q1,$P#'0101'B" \
		"uniqueMember: uid=q2,$P"
} >"$MS_TMP/org.ldif"

at_exit slapd_stop
slapd_setup "$MS_TMP/ldap" "$MS_TMP/people.ldif" "$MS_TMP/org.ldif" || bail "slapd_setup"
slapd_start || bail "slapd_start"
CONF=$MS_TMP/medimail-sync.conf
OUT=$MS_TMP/out
slapd_sample_conf "$CONF" "$OUT" "$MS_TMP/state.db"

ms_run -c "$CONF" plan
case $MS_RC in 0|4) ok "plan completes (exit $MS_RC)" ;; *) not_ok "plan completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
cp "$MS_OUT" "$MS_TMP/plan.out"
like "$MS_OUT" "^warning: cn=org-cycle,$G: .*org-cycle: .*cyc-a" "the cycle is reported, naming its groups"
like "$MS_OUT" "^warning: cn=org-ext,$G: .*org-member-unknown: .*ext1" "the member outside the base is reported with its group"
like "$MS_OUT" "^rejected: cn=org-noresp,$G: Identifiant resp: org-responsible-rpps: " \
	"the ORG whose owner has no RPPS is rejected with that reason"
like "$MS_OUT" "20010 people, [0-9]+ groups, 7 ORG mailboxes, [0-9]+ searches" \
	"20,010 people under the base (not the one outside it) and 7 ORG mailboxes read"
searches=$(sed -nE 's/.* ([0-9]+) searches$/\1/p' "$MS_OUT" | head -1)
diag "LDAP searches for 20,010 people and the groups: $searches"

ms_run -c "$CONF" apply
case $MS_RC in 0|4) ok "apply completes" ;; *) not_ok "apply completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
X=$(ls "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1)
[ -n "$X" ] || bail "no loadusers file"
"$MS_PY" - "$X" >"$MS_TMP/orgs" <<'PY'
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
it = ws.iter_rows(values_only=True)
h = list(next(it))
c, t, r = h.index("Compte(s) de connexion"), h.index("Type BAL"), h.index("Identifiant resp")
for row in it:
    if row[t] == "ORG":
        print(row[0], row[r] or "", row[c] or "", sep="\t")
PY
org() { awk -F'\t' -v a="$1@chu-exemple.fr" '$1 == a { print $3 }' "$MS_TMP/orgs"; }
is "$(org org-nest)" "a1@$D;a2@$D;a3@$D" "three levels of nesting give the three members"
is "$(org org-cycle)" "b1@$D" "the cycle resolves to its one person"
is "$(org org-ext)" "a1@$D" "the member outside the base is left out"
is "$(org org-noresp)" "" "the ORG without a valid responsible is not written"
is "$(org org-posix)" "u1@$D;u2@$D" "posixGroup memberUid resolves to people (case-insensitive uid)"
is "$(org org-unique)" "q1@$D;q2@$D" "groupOfUniqueNames with the #'0101'B suffix"
is "$(org tous)" "" "the 20,000-member ORG does not fit an XLSX cell: not written"
like "$MS_TMP/plan.out" "^rejected: cn=org-big,$G: Compte\(s\) de connexion: cell-too-long: .* [0-9]{6} characters" \
	"... and reported with its length, never truncated"
is "$(awk -F'\t' '$1 == "org-nest@chu-exemple.fr" { print $2 }' "$MS_TMP/orgs")" 10001045367 \
	"the responsible's RPPS comes from the owner"

# Same directory, same bytes: a second state-less apply gives the same rows in the same order.
ms_run -c "$CONF" plan --json "$MS_TMP/p2.json"
"$MS_PY" - "$X" >"$MS_TMP/rows1" <<'PY'
import sys, openpyxl
for r in openpyxl.load_workbook(sys.argv[1], read_only=True).active.iter_rows(values_only=True):
    print(r)
PY
rm -f "$MS_TMP/state.db"*
mkdir -p "$OUT/2" && sed -e "s|$OUT|$OUT/2|" "$CONF" >"$CONF.2"
ms_run -c "$CONF.2" apply
X2=$(ls "$OUT"/2/loadusers-*.xlsx 2>/dev/null | head -1)
"$MS_PY" - "$X2" >"$MS_TMP/rows2" <<'PY'
import sys, openpyxl
for r in openpyxl.load_workbook(sys.argv[1], read_only=True).active.iter_rows(values_only=True):
    print(r)
PY
check "the same directory gives the same rows in the same order" cmp "$MS_TMP/rows1" "$MS_TMP/rows2"

# A BAL type rule on (nested) group membership: the people are then all read before mapping.
rm -f "$MS_TMP/state.db"*
mkdir -p "$OUT/rule"
sed -e "s|$OUT|$OUT/rule|" -e "s|^bal-rule \"default\"|bal-rule \"lvl1\" { type = INT  if-member-of = \"cn=lvl1,$G\" }\nbal-rule \"default\"|" \
	"$CONF" >"$CONF.rule"
grep -q 'if-member-of' "$CONF.rule" || bail "rule config"
ms_run -c "$CONF.rule" apply
case $MS_RC in 0|4) ok "apply with an if-member-of rule completes" ;; *) not_ok "apply with an if-member-of rule (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
XR=$(ls "$OUT"/rule/loadusers-*.xlsx 2>/dev/null | head -1)
"$MS_PY" - "$XR" >"$MS_TMP/types" <<'PY'
import sys, openpyxl
it = openpyxl.load_workbook(sys.argv[1], read_only=True).active.iter_rows(values_only=True)
h = list(next(it))
t = h.index("Type BAL")
for r in it:
    print(r[0], r[t])
PY
is "$(grep -E '^(a1|a2|a3|b1)@' "$MS_TMP/types" | sort | tr '\n' ' ')" \
	"a1@$D INT a2@$D INT a3@$D INT b1@$D MED " \
	"members of lvl1, directly or through lvl2 and lvl3, are INT; others MED"
is "$(wc -l <"$MS_TMP/types")" "$(($(wc -l <"$MS_TMP/rows1") - 1))" \
	"the same number of rows as without the rule"

# CSV output has no cell limit: the big ORG carries its 20,000 connexion accounts.
rm -f "$MS_TMP/state.db"*
mkdir -p "$OUT/csv" && sed -e "s|$OUT|$OUT/csv|; s|format *= *xlsx|format = csv|" "$CONF" >"$CONF.csv"
ms_run -c "$CONF.csv" apply
case $MS_RC in 0|4) ok "CSV apply completes" ;; *) not_ok "CSV apply completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
C=$(ls "$OUT"/csv/loadusers-*.csv 2>/dev/null | head -1)
"$MS_PY" - "$C" >"$MS_TMP/big" <<'PY'
import csv, sys
csv.field_size_limit(1 << 30)
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = list(csv.reader(f, delimiter=";"))
h = rows[0]
for r in rows[1:]:
    if r[0] == "tous@chu-exemple.fr":
        print("\n".join(r[h.index("Compte(s) de connexion")].split(";")))
PY
is "$(grep -c @ "$MS_TMP/big")" 20000 "the 20,000-member group has 20,000 connexion accounts"
is "$(sort "$MS_TMP/big" | uniq -d | wc -l)" 0 "... without duplicates"
check "... sorted" env LC_ALL=C sort -c "$MS_TMP/big"
done_testing
