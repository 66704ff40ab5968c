#!/bin/bash
# 20-incremental: the nightly-timer scenario of issue 5 on a private slapd.
#   run 1 creates everything; a directory change (3 added, 2 changed, 2 deleted, 1 disabled,
#   1 mail changed, 1 future end date, 1 member moved between ORG groups) makes run 2 write
#   exactly those rows; run 3 has nothing to do; deleting 30 % of the people trips the safety
#   limit (nothing written, state unchanged) until --force; SIGKILL at each step of apply loses
#   no change; a server stopped mid-search fails the run; a second apply hits the lock.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1796083200      # 2026-12-01 00:00 UTC: expiries are dated 26-12-01
P=ou=people,dc=chu-exemple,dc=fr
G=ou=groups,dc=chu-exemple,dc=fr
D=chu-exemple.fr

# 40 plain staff members (MED, in no group) beside the sample, so that the scenario's
# departures stay under the default limit of 10 % of managed accounts.
staff_ldif() {
	local i
	for ((i = $1; i <= $2; i++)); do
		printf 'dn: uid=staff%02d,%s\nobjectClass: inetOrgPerson\nobjectClass: medimailPerson\n' "$i" "$P"
		printf 'uid: staff%02d\ncn: Agent %02d\nsn: Agent%02d\ngivenName: Aline\n' "$i" "$i" "$i"
		printf 'mail: staff%02d@%s\ntelephoneNumber: 04 67 33 20 %02d\n' "$i" "$D" "$i"
		printf 'medimailProfession: Personnel administratif\n\n'
	done
}
staff_ldif 1 40 >"$MS_TMP/staff.ldif"
sample_server "$MS_TMP/staff.ldif"
OUT=$MS_TMP/out
STATE=$MS_TMP/state.db
CONF=$MS_TMP/medimail-sync.conf
slapd_sample_conf "$CONF.in" "$OUT" "$STATE"
# The contract end date of the schema is written ahead as Date de péremption.
sed -e 's|^\(\s*structure\s*=\s*"chu"\)|\1\n\tend-date-attribute = "medimailAccountEndDate"|' \
	"$CONF.in" >"$CONF"
grep -q 'end-date-attribute' "$CONF" || bail "config edit"

# rows FILE: "address<TAB>Type BAL<TAB>Date de péremption<TAB>Téléphone (1)" per data row, sorted
rows() {
	"$MS_PY" - "$1" <<'PY'
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
it = ws.iter_rows(values_only=True)
h = list(next(it))
ix = [h.index(n) for n in ("Adresse mail", "Type BAL", "Date de péremption", "Téléphone (1)")]
out = sorted("\t".join((r[i] or "") for i in ix) for r in it)
print("\n".join(out))
PY
}
newest() { ls -t "$OUT"/loadusers-*.xlsx 2>/dev/null | head -1; }
nfiles() { count_files "$OUT" 'loadusers-*.xlsx'; }
dump() { state_dump "$STATE"; }
integrity() { "$MS_PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$STATE"; }

# Run 1: a full export
ms_run -c "$CONF" apply
case $MS_RC in 0|4) ok "run 1: apply completes (exit $MS_RC)" ;; *) not_ok "run 1: apply completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
is "$(nfiles)" 1 "run 1: one loadusers file"
R1=$(newest)
rows "$R1" >"$MS_TMP/run1.rows"
is "$(grep -c '^staff' "$MS_TMP/run1.rows")" 40 "run 1: the 40 staff accounts are created"
like "$MS_TMP/run1.rows" "^equipe\.nuit@$D	ORG" "run 1: the ORG mailboxes are created"

# The directory changes
cat >"$MS_TMP/change.ldif" <<EOF2
$(staff_ldif 41 43 | sed 's/^dn: /\ndn: /' | sed '1d')

dn: uid=staff01,$P
changetype: modify
replace: telephoneNumber
telephoneNumber: +33 4 67 99 99 01

dn: uid=staff02,$P
changetype: modify
replace: sn
sn: Agent-Deux

dn: uid=staff03,$P
changetype: delete

dn: uid=staff04,$P
changetype: delete

dn: uid=staff05,$P
changetype: modify
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z

dn: uid=staff06,$P
changetype: modify
replace: mail
mail: staff06.nouveau@$D

dn: uid=staff07,$P
changetype: modify
replace: medimailAccountEndDate
medimailAccountEndDate: 20270115000000Z

dn: cn=Infirmiers de nuit,$G
changetype: modify
delete: member
member: uid=smoreau,$P

dn: cn=Secrétariat de cardiologie,$G
changetype: modify
add: member
member: uid=smoreau,$P
EOF2
# ldapmodify -a: the staff entries without changetype are additions
ldapmodify -a -x -H "$SLAPD_URI" -D "$SLAPD_ROOTDN" -w "$SLAPD_ROOTPW" -f "$MS_TMP/change.ldif" \
	>"$MS_TMP/change.log" 2>&1 || { diag_file "$MS_TMP/change.log"; bail "directory change"; }

# Run 2: exactly the changes
ms_run -c "$CONF" apply
case $MS_RC in 0|4) ok "run 2: apply completes" ;; *) not_ok "run 2: apply completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
is "$(nfiles)" 2 "run 2: a second loadusers file"
R2=$(newest)
rows "$R2" >"$MS_TMP/run2.rows"
sort >"$MS_TMP/run2.expected" <<EOF2
equipe.nuit@$D	ORG		
secretariat.cardiologie@$D	ORG		
staff01@$D	MED		0467999901
staff02@$D	MED		0467332002
staff03@$D	MED	26-12-01	0467332003
staff04@$D	MED	26-12-01	0467332004
staff05@$D	MED	26-12-01	0467332005
staff06.nouveau@$D	MED		0467332006
staff06@$D	MED	26-12-01	0467332006
staff07@$D	MED	27-01-15	0467332007
staff41@$D	MED		0467332041
staff42@$D	MED		0467332042
staff43@$D	MED		0467332043
EOF2
if diff -u "$MS_TMP/run2.expected" "$MS_TMP/run2.rows" >"$MS_TMP/run2.diff"; then
	ok "run 2: the file holds exactly the 13 expected rows"
else
	not_ok "run 2: the file holds exactly the 13 expected rows"
	diag_file "$MS_TMP/run2.diff" 40
fi
like "$MS_OUT" "^  rename +0 +0 +0 +1 +1\$" "run 2: the mail change is planned as one rename"
"$MS_PY" - "$R2" "$D" <<'PY' >"$MS_TMP/orgs"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
it = ws.iter_rows(values_only=True)
h = list(next(it))
for r in it:
    if r[h.index("Type BAL")] == "ORG":
        print(r[0], r[h.index("Compte(s) de connexion")])
PY
like "$MS_TMP/orgs" "^secretariat\.cardiologie@.* .*sophie\.moreau@" "run 2: the moved member joins the secretariat's connexion accounts"
unlike "$MS_TMP/orgs" "^equipe\.nuit@.*sophie\.moreau@" "run 2: ... and leaves the night team's"

# Run 3: nothing changed
ms_run -c "$CONF" apply
case $MS_RC in 0|4) ok "run 3: apply completes" ;; *) not_ok "run 3: apply completes (exit $MS_RC)" ;; esac
is "$(nfiles)" 2 "run 3: no new file"
like "$MS_OUT" "^nothing to do\$" "run 3: the summary says nothing to do"

# Safety: 30 % of the people leave at once
dump >"$MS_TMP/state.before"
for i in $(seq 8 25); do printf 'dn: uid=staff%02d,%s\nchangetype: delete\n\n' "$i" "$P"; done \
	>"$MS_TMP/mass.ldif"
slapd_modify "$MS_TMP/mass.ldif" || bail "mass delete"
ms_run -c "$CONF" apply
exit_is 3 "safety: deleting 30 % of the people makes apply exit 3"
is "$(nfiles)" 2 "safety: no loadusers file written"
dump >"$MS_TMP/state.after"
check "safety: the state is unchanged" cmp "$MS_TMP/state.before" "$MS_TMP/state.after"
like "$MS_OUT" "safety limit expire-percent tripped" "safety: the summary names the limit"
ms_run -c "$CONF" apply --force
case $MS_RC in 0|4) ok "safety: apply --force goes through" ;; *) not_ok "safety: apply --force goes through (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
is "$(nfiles)" 3 "safety: --force writes the file"
is "$(rows "$(newest)" | grep -c '	26-12-01	')" 18 "safety: it holds the 18 expiries"

# Crash safety: SIGKILL at each step of apply; the next apply still owes the change
n=0
for point in after-file before-rename state-mid; do
	n=$((n + 1))
	printf 'dn: uid=staff3%d,%s\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 0467000%03d\n' \
		"$n" "$P" "$n" >"$MS_TMP/crash.ldif"
	slapd_modify "$MS_TMP/crash.ldif" || bail "crash change"
	MEDIMAIL_SYNC_CRASH_AT=$point "$MS_BIN" -c "$CONF" apply >/dev/null 2>&1
	is "$?" 137 "crash at $point: the process is killed"
	ms_run -c "$CONF" apply
	case $MS_RC in 0|4) ok "crash at $point: the next apply completes" ;; *) not_ok "crash at $point: the next apply completes (exit $MS_RC)"; diag_file "$MS_ERR" ;; esac
	like <(rows "$(newest)") "^staff3$n@$D	MED		0467000$(printf %03d $n)\$" \
		"crash at $point: the next apply writes the change still owed"
	is "$(integrity)" ok "crash at $point: PRAGMA integrity_check is ok"
	is "$(count_files "$OUT" '.loadusers-*')" 0 "crash at $point: no temporary file left behind"
done

# A server that stops in the middle of a paged search fails the run
sed -e 's|page-size *= *[0-9]*|page-size = 5|' "$CONF" >"$CONF.slow"
dump >"$MS_TMP/state.before"
before=$(nfiles)
MEDIMAIL_SYNC_PAGE_DELAY_MS=300 "$MS_BIN" -c "$CONF.slow" apply >"$MS_TMP/slow.out" 2>"$MS_TMP/slow.err" &
pid=$!
sleep 1.5
slapd_stop
wait $pid
is "$?" 1 "search failure: apply exits 1 when slapd stops mid-search"
like "$MS_TMP/slow.err" "ldaps://127\.0\.0\.1:[0-9]+.*(lost|contact)" "search failure: the message names the URI and the cause"
is "$(nfiles)" "$before" "search failure: no file written"
dump >"$MS_TMP/state.after"
check "search failure: the state is unchanged" cmp "$MS_TMP/state.before" "$MS_TMP/state.after"
unlike "$MS_TMP/slow.out" "expire +[0-9]+ +[0-9]+ +[0-9]+ +[1-9]" "search failure: nobody is planned to expire"

# Two apply at once: the second one gives up at once on the lock
slapd_start || bail "slapd restart"
MEDIMAIL_SYNC_PAGE_DELAY_MS=300 "$MS_BIN" -c "$CONF.slow" apply >/dev/null 2>&1 &
pid=$!
sleep 0.5
ms_run -c "$CONF" apply
exit_is 5 "lock: a second apply exits 5"
like "$MS_ERR" "lock" "lock: the message says another run holds the lock"
wait $pid
case $? in 0|4) ok "lock: the first apply completes" ;; *) not_ok "lock: the first apply completes" ;; esac
done_testing
