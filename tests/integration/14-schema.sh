#!/bin/bash
# 14-schema: schema/medimail.schema loads in slaptest; schema/medimail.ldif loads into cn=config
# both offline (slapadd -n0) and online (ldapadd to a running slapd); the three schema files
# define the same names and OIDs; the sample hospital loads with it. Needs no binary.
. "$(dirname "$0")/../lib/common.sh"
. "$MS_LIB/slapd.sh"
S=$MS_SRC/schema
at_exit slapd_stop

# slapd.conf syntax
mkdir -p "$MS_TMP/conf/db"
cat >"$MS_TMP/conf/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $S/medimail.schema
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
directory $MS_TMP/conf/db
suffix "dc=chu-exemple,dc=fr"
EOC
check "slaptest loads schema/medimail.schema" slaptest -Q -u -f "$MS_TMP/conf/slapd.conf"

# online: a cn=config slapd without the schema, then ldapadd of medimail.ldif
SLAPD_MEDIMAIL_LDIF=none slapd_setup "$MS_TMP/online" || bail "slapd_setup (no schema)"
slapd_start || bail "slapd_start"
check "ldapadd of schema/medimail.ldif into a running cn=config" slapd_config_add "$S/medimail.ldif"
cat >"$MS_TMP/p.ldif" <<EOP
dn: ou=people,$SLAPD_SUFFIX
objectClass: organizationalUnit
ou: people

dn: uid=t1,ou=people,$SLAPD_SUFFIX
objectClass: inetOrgPerson
objectClass: medimailPerson
uid: t1
cn: T1
sn: T1
medimailRPPS: 10003456018
medimailAccountEndDate: 20251231000000Z

dn: cn=g1,ou=people,$SLAPD_SUFFIX
objectClass: groupOfNames
objectClass: medimailOrgMailbox
cn: g1
member: uid=t1,ou=people,$SLAPD_SUFFIX
mail: g1@chu-exemple.fr
medimailDescription: Secrétariat
medimailResponsible: uid=t1,ou=people,$SLAPD_SUFFIX
EOP
check "entries using medimailPerson and medimailOrgMailbox can be added online" slapd_add "$MS_TMP/p.ldif"
is "$(slapd_search -LLL '(medimailAccountEndDate<=20260101000000Z)' dn | grep -c '^dn:')" 1 \
	"medimailAccountEndDate has an ordering match"
slapd_stop

# offline: slapadd -n0 of medimail.ldif (what the integration fixtures use), then the sample
slapd_setup "$MS_TMP/offline" "$MS_SRC/tests/fixtures/sample/hospital.ldif"
result $? "slapadd -n0 of schema/medimail.ldif, then the sample hospital"
slapd_start || bail "slapd_start"
n=$(slapd_config_search -b "cn=schema,cn=config" "(cn=*medimail)" olcAttributeTypes olcObjectClasses |
	grep -cE '^olc(AttributeTypes|ObjectClasses):')
is "$n" 13 "cn=config holds the 11 attribute types and 2 object classes"
export LDAPTLS_CACERT=$SLAPD_CA
n=$(ldapsearch -x -H "$SLAPD_LDAPS_URI" -D "$SLAPD_READER_DN" -y "$SLAPD_READER_PWFILE" -LLL \
	-b "ou=people,$SLAPD_SUFFIX" '(medimailRPPS=*)' 1.1 | grep -c '^dn:')
is "$n" 8 "the reader sees the 8 sample people with an RPPS over ldaps"

# the three files agree
"$MS_PY" - "$S" >"$MS_TMP/cmp.out" 2>&1 <<'PY'
import re, sys
d = sys.argv[1]
sch = open(d + "/medimail.schema").read()
arc = re.search(r"objectidentifier medimailOID\s+(\S+)", sch).group(1)
def names(txt, pat):
    return sorted((arc + "." + k + "." + n, name) for k, n, name in re.findall(pat, txt))
s = names(sch, r"medimail(Attr|Class):(\d+) NAME '(\w+)'")
s = [(o.replace(".Attr.", ".1.").replace(".Class.", ".2."), n) for o, n in s]
l = names(open(d + "/medimail.ldif").read(), r"medimail(Attr|Class):(\d+) NAME '(\w+)'")
l = [(o.replace(".Attr.", ".1.").replace(".Class.", ".2."), n) for o, n in l]
ad = open(d + "/medimail-ad.ldf").read()
a = sorted(re.findall(r"(?:attributeID|governsID): (\S+)\n(?:.*\n)*?lDAPDisplayName: (\w+)", ad))
ok = s == l == a and len(s) == 13 and arc.startswith("2.25.")
print("schema", s, "\nldif", l, "\nad", a)
sys.exit(0 if ok else 1)
PY
rc=$?
result $rc "medimail.schema, medimail.ldif and medimail-ad.ldf define the same 13 names and OIDs"
[ $rc -eq 0 ] || diag_file "$MS_TMP/cmp.out" 40
grep -q "$(sed -n 's/^objectidentifier medimailOID[[:space:]]*//p' "$S/medimail.schema")" "$S/README"
result $? "schema/README documents the OID arc"
done_testing
