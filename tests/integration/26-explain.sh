#!/bin/bash
# 26-explain: "medimail-sync explain DN|ADDRESS" on the sample hospital (private slapd): a PER
# by DN, an INT by address, an ORG mailbox by its address, a rejected entry, an unknown one;
# each line checked against what the sample's LDIF and config say (tests/fixtures/sample).
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
need_bin
export MEDIMAIL_SYNC_NOW=1796083200      # 2026-12-01 00:00 UTC
P=ou=people,dc=chu-exemple,dc=fr
sample_server
CONF=$MS_TMP/medimail-sync.conf
slapd_sample_conf "$CONF" "$MS_TMP/out" "$MS_TMP/state.db"

# a PER, by DN written in another spelling: RPPS stored as "8"+RPPS (strip:8)
ms_run -c "$CONF" explain "UID=fdupont, ou=People,dc=chu-exemple,dc=fr"
exit_is 0 "explain a valid PER by DN (other spelling): exit 0"
cp "$MS_OUT" "$MS_TMP/per.out"
like "$MS_OUT" "^entry +uid=fdupont,$P\$" "the entry's DN"
like "$MS_OUT" "^directory +\"annuaire\": ldaps://127\.0\.0\.1:[0-9]+, structure \"chu\"" \
	"the directory and the structure"
like "$MS_OUT" "^leaving +no\$" "not leaving"
like "$MS_OUT" "^  bal-rule \"per-rpps\" \(type PER\)" "the first BAL rule tried"
like "$MS_OUT" "if-column \"rpps\": cell \"10003456026\" -> yes" "... its condition, on the RPPS cell"
like "$MS_OUT" "^type +PER\$" "type PER"
like "$MS_OUT" "^next apply +create: " "the next apply creates it (empty state)"
like "$MS_OUT" "^ 4 RPPS +\"10003456026\"" "column 4 holds the RPPS without its 8"
like "$MS_OUT" "medimailRPPS: \"810003456026\"" "... read from medimailRPPS"
like "$MS_OUT" "strip:8.* -> \"10003456026\"" "... and the step that removed the 8"
like "$MS_OUT" "^14 Téléphone \(1\) +\"0467330202\"" "column 14: the phone in national form"
like "$MS_OUT" "telephoneNumber: \"04\.67\.33\.02\.02\"" "... from the dotted value"
like "$MS_OUT" "^12 Département +\"Hérault\"" "column 12: the département"
like "$MS_OUT" "normalised by the checks.*\"Hérault\"" "... derived from CP by the checks"
is "$(grep -c '^ *[0-9][0-9]* [^ ]' "$MS_OUT" | head -1)" 36 "36 columns are listed"

# an INT, by address in upper case
ms_run -c "$CONF" explain "Lucas.Faure@CHU-Exemple.fr"
exit_is 0 "explain an INT by address: exit 0"
cp "$MS_OUT" "$MS_TMP/int.out"
like "$MS_OUT" "^entry +uid=lfaure,$P\$" "the address finds lfaure"
like "$MS_OUT" "bal-rule \"per-rpps\".*" "the PER rules are tried first"
like "$MS_OUT" "^    does not hold" "... and do not hold"
like "$MS_OUT" "^  type INT, from bal-rule \"internes\"" "the rule that matched"
like "$MS_OUT" "^29 Civilité exercice +\"Docteur\"" "column 29: the civilité d'exercice"

# an ORG mailbox, by its address
ms_run -c "$CONF" explain secretariat.cardiologie@chu-exemple.fr
exit_is 0 "explain an ORG mailbox by address: exit 0"
cp "$MS_OUT" "$MS_TMP/org.out"
like "$MS_OUT" "^entry +cn=Secrétariat de cardiologie,ou=groups,dc=chu-exemple,dc=fr\$" "the group"
like "$MS_OUT" "^responsible owner: uid=hmartin,$P\$" "the responsible, from owner"
like "$MS_OUT" "^connexion +celine\.guerin@chu-exemple\.fr\$" "the connexion accounts, sorted"
like "$MS_OUT" "^ +helene\.martin@chu-exemple\.fr\$" "... helene.martin"
like "$MS_OUT" "^ 2 NOM +\"SECRÉTARIAT DE CARDIOLOGIE\"" "NOM of the ORG in upper case"
like "$MS_OUT" "template \(org\.nom, read on cn=Secrétariat" "... from the org section's template"
like "$MS_OUT" "^24 Nom resp +\"MARTIN\"" "Nom resp from the owner's entry"
like "$MS_OUT" "template \(org\.responsible-nom, read on uid=hmartin," "... read on the owner's entry"

# a nested group with a rejected member
ms_run -c "$CONF" explain equipe.nuit@chu-exemple.fr
like "$MS_OUT" "member uid=glemoine,$P is rejected in this run: not a connexion account" \
	"ORG: a member left out, with why"

# a rejected entry
ms_run -c "$CONF" explain uid=bchevalier,$P
exit_is 4 "explain a rejected entry: exit 4"
cp "$MS_OUT" "$MS_TMP/rejected.out"
like "$MS_OUT" "^next apply +rejected: nothing is written" "the next apply writes nothing"
like "$MS_OUT" "^  error: required: " "the finding, under findings"
like "$MS_OUT" "^16 Profession +\(empty\)" "column 16 is empty"
like "$MS_OUT" "medimailProfession: no value" "... no medimailProfession"

# unknown
ms_run -c "$CONF" explain nobody@chu-exemple.fr
exit_is 1 "explain an unknown address: exit 1"
like "$MS_ERR" "no entry read has the DN or the address \"nobody@chu-exemple\.fr\"" "... says so"
done_testing
