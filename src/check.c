/*
 * check.c - the Medimail rules: the rule table, the checker (severities and code lists) and
 * the checks of a row against the per-type requirements of the 36 columns. Pure functions:
 * rows in, findings out.
 *
 * The rules are the table check_rules[] (one line per rule, in column order, to compare with
 * src/columns.c); the code lists are in check_list.c, the shapes of single values (identifier
 * keys, dates, mail addresses, CP) in check_ident.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_int.h"
#include "i18n.h"

#define MAX_CELL 32767   /* characters in an XLSX cell */

enum rule_id {
	R_REQUIRED, R_NOT_CONCERNED, R_RECOMMENDED, R_TOO_LONG,
	R_MAIL_SYNTAX, R_MAIL_LOWER, R_MAIL_DUP, R_NOM_UPPER, R_RPPS_OR_ADELI, R_RPPS_FORMAT,
	R_RPPS_KEY, R_ADELI_FORMAT, R_ADELI_KEY, R_CP_FORMAT, R_VILLE_UPPER, R_DEP_LIST,
	R_CP_DEP, R_CP_UNKNOWN, R_REGION_LIST, R_DEP_REGION, R_PHONE, R_PROFESSION_LIST,
	R_SPECIALITE_LIST, R_DIPLOME_REQUIRED, R_DIPLOME_LIST, R_LIBERAL_LIST, R_TYPE_BAL,
	R_ID_TYPE_LIST, R_FINESS_KEY, R_FINESS_CORSICA, R_SIREN_KEY, R_SIRET_KEY, R_RESP_RPPS,
	R_CIVILITE_REQUIRED, R_CIVILITE_LIST, R_MSSANTE_LOCAL, R_APICRYPT_LOCAL,
	R_APICRYPT_SPE_REQUIRED, R_DATE, R_CONNEXION, R_IDNAT_FORMAT, R_TABLE_UNMATCHED,
	R_END_DATE_UNREADABLE, R_DISABLED_UNREADABLE, R_INVALID_UTF8, R_VALUE_LONG, R_NO_BAL_RULE,
	R_NAT_RPPS_ABSENT, R_NAT_ADELI_ABSENT,
	R_NAT_NAME, R_NAT_PROFESSION, R_NAT_UNMATCHED, R_CSV_HEADER, R_CSV_COLUMNS, R_CSV_QUOTE,
	R_CSV_BINARY, R_DATE_CENTURY, R_CONTROL, R_FORMULA, R_CP1252,
	R_MISSING_ID, R_ORG_NO_RESP, R_ORG_RESP_UNKNOWN, R_ORG_RESP_RPPS, R_ORG_MEMBER_EXCLUDED,
	R_ORG_MAIL_PERSONAL, R_ORG_CYCLE, R_ORG_MEMBER_UNKNOWN, R_STALE_ACCOUNT, R_NRULES
};

#define E SEV_ERROR
#define W SEV_WARNING
#define OFF SEV_OFF
const struct check_rule_info check_rules[] = {
	/* every column, by its requirement code for the row's type (columns.c); where the
	 * guide's table differs from its comments, col_req() below says so */
	[R_REQUIRED]        = { "required",         E,   "an O cell is empty" },
	[R_NOT_CONCERNED]   = { "not-concerned",    E,   "an NC cell is filled (not Structure)" },
	[R_RECOMMENDED]     = { "recommended",      OFF, "an R cell is empty" },
	[R_TOO_LONG]        = { "cell-too-long",    E,   "a cell over 32767 characters" },
	/* 1 Adresse mail */
	[R_MAIL_SYNTAX]     = { "mail-syntax",      E,   "1: not an RFC 5321 mailbox" },
	[R_MAIL_LOWER]      = { "mail-lowercase",   E,   "1: not in lower case" },
	[R_MAIL_DUP]        = { "mail-duplicate",   E,   "1: used twice (file, accounts)" },
	/* 2 NOM */
	[R_NOM_UPPER]       = { "nom-uppercase",    E,   "2: not in upper case" },
	/* 4 RPPS, 5 ADELI */
	[R_RPPS_OR_ADELI]   = { "rpps-or-adeli",    E,   "4-5: PER with neither RPPS nor ADELI" },
	[R_RPPS_FORMAT]     = { "rpps-format",      E,   "4: not 11 digits (no spaces)" },
	[R_RPPS_KEY]        = { "rpps-key",         E,   "4: wrong Luhn key" },
	[R_ADELI_FORMAT]    = { "adeli-format",     E,   "5: not 9 digits (no spaces)" },
	[R_ADELI_KEY]       = { "adeli-key",        E,   "5: wrong Luhn key" },
	/* 10 CP, 11 VILLE, 12 Département, 13 Région */
	[R_CP_FORMAT]       = { "cp-format",        E,   "10: not 5 digits" },
	[R_VILLE_UPPER]     = { "ville-uppercase",  E,   "11: not in upper case" },
	[R_DEP_LIST]        = { "departement-list", E,   "12: not in the list of départements" },
	[R_CP_DEP]          = { "cp-departement",   E,   "10/12: Département does not match CP" },
	[R_CP_UNKNOWN]      = { "cp-unknown",       W,   "10: no département for this CP" },
	[R_REGION_LIST]     = { "region-list",      E,   "13: not in the list of régions" },
	[R_DEP_REGION]      = { "departement-region", E, "12/13: Région not the département's" },
	/* 14-15 Téléphone */
	[R_PHONE]           = { "phone-format",     E,   "14-15: not 10 digits starting with 0" },
	/* 16 Profession, 17 Spécialité, 18 Diplôme, 19 Activité libérale, 20 Type BAL */
	[R_PROFESSION_LIST] = { "profession-list",  E,   "16: not in the list of professions" },
	[R_SPECIALITE_LIST] = { "specialite-list",  E,   "17: not in the list of spécialités" },
	[R_DIPLOME_REQUIRED] = { "diplome-required", E,  "18: INT, medico-social profession" },
	[R_DIPLOME_LIST]    = { "diplome-list",     E,   "18: not in the configured list" },
	[R_LIBERAL_LIST]    = { "liberal-list",     E,   "19: not OUI or NON" },
	[R_TYPE_BAL]        = { "type-bal",         E,   "20: not the row's type" },
	/* 21 Type identifiant structure resp, 22 Identifiant structure resp */
	[R_ID_TYPE_LIST]    = { "id-type-list",     E,   "21: not FINESS, SIRET or SIREN" },
	[R_FINESS_KEY]      = { "finess-key",       E,   "22: FINESS bad or wrong key" },
	[R_FINESS_CORSICA]  = { "finess-corsica",   W,   "22: FINESS 2A/2B, key unverifiable" },
	[R_SIREN_KEY]       = { "siren-key",        E,   "22: SIREN not 9 digits or wrong key" },
	[R_SIRET_KEY]       = { "siret-key",        E,   "22: SIRET not 14 digits or wrong key" },
	/* 27 Identifiant resp */
	[R_RESP_RPPS]       = { "resp-rpps",        E,   "27: not a valid RPPS" },
	/* 29 Civilité exercice */
	[R_CIVILITE_REQUIRED] = { "civilite-required", E, "29: INT Médecin, Pharmacien..." },
	[R_CIVILITE_LIST]   = { "civilite-list",    E,   "29: not in the list of civilités" },
	/* 30 MSSanté adresse, 31 Apicrypt adresse, 32 Apicrypt spécialité */
	[R_MSSANTE_LOCAL]   = { "mssante-local-part",  E, "30: not a local part (before @)" },
	[R_APICRYPT_LOCAL]  = { "apicrypt-local-part", E, "31: not a local part (before @)" },
	[R_APICRYPT_SPE_REQUIRED] = { "apicrypt-specialite-required", E,
				      "32: empty while Apicrypt adresse is filled" },
	/* 33 Date de péremption, 35 Compte(s) de connexion */
	[R_DATE]            = { "date-format",      E,   "33: not AA-MM-JJ or not a real date" },
	[R_CONNEXION]       = { "connexion-mailbox", E,  "35: an account is not a mailbox" },
	/* reading the directory: emitted by the mapper (idnat:, table:) and the collector;
	 * here so that severity = { ... } can change them */
	[R_IDNAT_FORMAT]    = { "idnat-format",     W,   "4-5: idnat: neither RPPS nor ADELI" },
	[R_TABLE_UNMATCHED] = { "table-unmatched",  OFF, "table: a value no key matches" },
	[R_END_DATE_UNREADABLE] = { "end-date-unreadable", E, "end date cannot be read" },
	[R_DISABLED_UNREADABLE] = { "disabled-unreadable", E,
				    "disabled marker cannot be read" },
	[R_INVALID_UTF8]    = { "invalid-utf8",     E,   "an attribute value not UTF-8 (dropped)" },
	[R_VALUE_LONG]      = { "value-too-long",   E,   "a value over 4096 bytes (dropped)" },
	[R_NO_BAL_RULE]     = { "no-bal-rule",      E,   "20: no bal-rule matched the person" },
	/* the national directory (natcheck.c, and the mapper for national-unmatched) */
	[R_NAT_RPPS_ABSENT] = { "national-rpps-absent",  W, "4/27: RPPS not in the extract" },
	[R_NAT_ADELI_ABSENT] = { "national-adeli-absent", W, "5: ADELI not in the extract" },
	[R_NAT_NAME]        = { "national-name",    E,   "2-3/24-25: not the name of the "
						       "RPPS/ADELI holder" },
	[R_NAT_PROFESSION]  = { "national-profession", W, "16/26: not the holder's profession" },
	[R_NAT_UNMATCHED]   = { "national-unmatched", OFF, "national: a label of no list value" },
	/* validate FILE only */
	[R_CSV_HEADER]      = { "csv-header",       E,   "header cell is not the guide's text" },
	[R_CSV_COLUMNS]     = { "csv-columns",      E,   "record without exactly 36 cells" },
	[R_CSV_QUOTE]       = { "csv-quote",        E,   "quoted cell still open at end of file" },
	[R_CSV_BINARY]      = { "csv-binary",       E,   "NUL byte in a record" },
	[R_DATE_CENTURY]    = { "date-century",     E,   "33: XLSX/XLS date outside 2000-2099" },
	/* every cell, whatever reads or writes it */
	[R_CONTROL]         = { "control-character", E,  "a C0/C1 control, DEL, CR or LF" },
	[R_FORMULA]         = { "csv-formula",      E,   "CSV: starts with = + - @ (a formula)" },
	[R_CP1252]          = { "windows-1252",     E,   "CSV windows-1252: a character it lacks" },
	/* the collector (collect.c, org.c) and the run (run.c) */
	[R_MISSING_ID]      = { "missing-id",       E,   "no usable stable id attribute" },
	[R_ORG_NO_RESP]     = { "org-no-responsible", E, "ORG: no owner, no default-owner" },
	[R_ORG_RESP_UNKNOWN] = { "org-responsible-unknown", E,
				 "ORG: the owner is not a person read" },
	[R_ORG_RESP_RPPS]   = { "org-responsible-rpps", E, "ORG: the owner has no valid RPPS" },
	[R_ORG_MEMBER_EXCLUDED] = { "org-member-excluded", W,
				    "ORG: a member is not a connexion account" },
	[R_ORG_MAIL_PERSONAL] = { "org-mail-personal", E, "ORG: the address is a member's own" },
	[R_ORG_CYCLE]       = { "org-cycle",        W,   "ORG: nested groups form a cycle" },
	[R_ORG_MEMBER_UNKNOWN] = { "org-member-unknown", W,
				   "ORG: a member is neither person nor group" },
	[R_STALE_ACCOUNT]   = { "stale-account",    W,   "written earlier, rejected now" },
};
const size_t check_nrules = ARRAY_SIZE(check_rules);
#undef E
#undef W
#undef OFF

static int rule_by_id(const char *id)
{
	for (int i = 0; i < R_NRULES; i++)
		if (strcmp(check_rules[i].id, id) == 0)
			return i;
	return -1;
}

struct checker *check_new(const struct config *c, char **err)
{
	struct checker *ck = xcalloc(1, sizeof(*ck));
	size_t i;
	int r;

	*err = NULL;
	ck->sev = xcalloc(R_NRULES, sizeof(*ck->sev));
	for (i = 0; i < R_NRULES; i++)
		ck->sev[i] = check_rules[i].sev;
	ck->form = c ? c->output.value_form : FORM_LABEL;
	ck->xlsx = !c || c->output.format == OUT_XLSX;
	ck->csv = c && c->output.format == OUT_CSV;
	ck->cp1252 = ck->csv && c->output.csv_encoding &&
		     (!strcasecmp(c->output.csv_encoding, "windows-1252") ||
		      !strcasecmp(c->output.csv_encoding, "cp1252"));
	ck->translit = ck->cp1252 && c->output.csv_transliterate;
	for (i = 0; c && i < c->nsev; i++) {
		r = rule_by_id(c->sev_rule[i]);
		if (r < 0) {
			*err = xasprintf("severity: unknown rule \"%s\"", c->sev_rule[i]);
			goto fail;
		}
		ck->sev[r] = c->sev_value[i];
	}
	for (i = 0; c && i < c->nlist; i++) {
		if (check_list_by_name(c->list_name[i]) < 0) {
			*err = xasprintf("list \"%s\": unknown list", c->list_name[i]);
			goto fail;
		}
	}
	for (i = 0; c && i < c->nlist_replace; i++) {
		if (check_list_by_name(c->list_replace[i]) < 0) {
			*err = xasprintf("list \"%s\": unknown list", c->list_replace[i]);
			goto fail;
		}
	}
	for (r = 0; r < L_NLISTS; r++)
		check_list_build(ck, r, c);
	return ck;
fail:
	check_free(ck);
	return NULL;
}

void check_free(struct checker *ck)
{
	if (!ck)
		return;
	for (int i = 0; i < L_NLISTS; i++) {
		hmap_free(ck->lists[i].index);
		hmap_free(ck->lists[i].spelt);
		free(ck->lists[i].items);
	}
	for (size_t i = 0; i < ck->nowned; i++)
		free(ck->owned[i]);
	free(ck->owned);
	free(ck->sev);
	free(ck);
}

const struct check_rule_info *check_rule_find(const char *id)
{
	int r = rule_by_id(id);

	return r < 0 ? NULL : &check_rules[r];
}

enum severity check_severity(const struct checker *ck, const char *rule)
{
	int r = rule_by_id(rule);

	return r < 0 ? SEV_ERROR : ck->sev[r];
}

/* State of one check_row() call. */
struct rowctx {
	const struct checker *ck;
	const struct row *row;
	enum bal_type type;
	const char *where;
	struct findings *f;
	size_t nerrors;
};

static void add(struct rowctx *x, int col, enum rule_id r, const char *value, const char *fmt,
		...) PRINTF(5, 6);

static void add(struct rowctx *x, int col, enum rule_id r, const char *value, const char *fmt,
		...)
{
	enum severity sev = x->ck->sev[r];
	va_list ap;
	char *msg;

	if (sev == SEV_OFF)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	findings_add(x->f, sev, x->where, col, check_rules[r].id, value, "%s", msg);
	free(msg);
	if (sev == SEV_ERROR)
		x->nerrors++;
}

/* The rules of every cell, whatever its column: characters a file cannot carry faithfully.
 * Returns false when the cell is at fault (the column's own checks are then skipped). */
static bool check_chars(struct rowctx *x, int col, const char *v)
{
	const char *p = v;
	uint32_t cp;
	size_t n;
	bool ok = true, bad1252 = false;

	while (*p) {
		n = check_next_cp(p, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			add(x, col, R_CONTROL, v, _("%s holds the control character U+%04X at "
			    "byte %zu (CR, LF, TAB and other controls cannot be imported)"),
			    columns[col].header, (unsigned)cp, (size_t)(p - v) + 1);
			return false;
		}
		if (x->ck->cp1252 && !bad1252 && cp1252_byte(cp) < 0) {
			add(x, col, R_CP1252, v, _("%s holds U+%04X, which windows-1252 cannot "
			    "write (output csv-encoding)%s"), columns[col].header, (unsigned)cp,
			    !x->ck->translit ?
			    _("; csv-transliterate = true writes letters such as \"Ł\" as \"L\"") :
			    _(", even transliterated"));
			bad1252 = true;
			ok = false;
		}
		p += n;
	}
	if (x->ck->csv && strchr("=+-@", *v)) {
		add(x, col, R_FORMULA, v, _("%s starts with \"%c\": a spreadsheet would read the "
		    "CSV cell as a formula, and writing it otherwise would change the value"),
		    columns[col].header, *v);
		ok = false;
	}
	return ok;
}

/* Requirement of a column for the row's type, with the conditional cases of the guide. */
static enum req col_req(int col, enum bal_type type)
{
	if (type == BAL_INT && col == COL_CIVILITE)
		return REQ_OSC;        /* only for Médecin, Pharmacien, Chirurgien-Dentiste */
	if (type == BAL_PER && (col == COL_RPPS || col == COL_ADELI))
		return REQ_OSC;        /* one of the two */
	return column_req(col, type);
}

static void check_upper(struct rowctx *x, int col, enum rule_id r, const char *v)
{
	const unsigned char *p = (const unsigned char *)v;
	char *up;

	/* plain ASCII without a lower-case letter: nothing to compare */
	while (*p && *p < 0x80 && !(*p >= 'a' && *p <= 'z'))
		p++;
	if (!*p)
		return;
	up = utf8_upper(v);

	if (strcmp(up, v) != 0)
		add(x, col, r, v, _("%s must be in upper case (\"%s\")"), columns[col].header, up);
	free(up);
}

static void check_person_id(struct rowctx *x, int col, const char *v, bool rpps)
{
	size_t len = rpps ? 11 : 9;

	if (!all_digits(v, len))
		add(x, col, rpps ? R_RPPS_FORMAT : R_ADELI_FORMAT, v,
		    _("%s must be exactly %zu digits, without spaces"), columns[col].header, len);
	else if (!check_luhn(v))
		add(x, col, rpps ? R_RPPS_KEY : R_ADELI_KEY, v,
		    _("%s has a wrong check key (Luhn)"), columns[col].header);
}

static void check_in_list(struct rowctx *x, int col, int li, enum rule_id r, const char *v)
{
	if (!check_list_find(x->ck, li, v))
		add(x, col, r, v, _("%s is not a value of the %s list"), columns[col].header,
		    check_list_defs[li].name);
}

static void check_connexion(struct rowctx *x, const char *v)
{
	const char *p = v;
	size_t n = 0;

	while (*p) {
		size_t len = strcspn(p, ";");
		char *raw = xstrndup(p, len), *acc = str_trim(raw);

		if (*acc) {
			n++;
			if (!check_mailbox(acc))
				add(x, COL_CONNEXION, R_CONNEXION, acc,
				    _("connexion account \"%s\" is not a lower-case mail address"),
				    acc);
		}
		free(acc);
		free(raw);
		p += len;
		if (*p == ';')
			p++;
	}
	if (n == 0)
		add(x, COL_CONNEXION, R_CONNEXION, v, _("no connexion account is given"));
}

static void check_mail(struct rowctx *x, const char *v)
{
	if (!check_mailbox_syntax(v))
		add(x, COL_MAIL, R_MAIL_SYNTAX, v, _("not a valid mail address (RFC 5321)"));
	if (check_has_ascii_upper(v))
		add(x, COL_MAIL, R_MAIL_LOWER, v, _("the mail address must be in lower case"));
}

/* MSSanté adresse, Apicrypt adresse: the part before @ */
static void check_local(struct rowctx *x, int col, const char *v)
{
	if (!check_local_part(v))
		add(x, col, col == COL_MSSANTE ? R_MSSANTE_LOCAL : R_APICRYPT_LOCAL, v,
		    _("%s takes the part of the address before @ only"), columns[col].header);
}

/* Checks of one filled cell that do not depend on other cells. */
static void check_cell(struct rowctx *x, int col, const char *v)
{
	switch (col) {
	case COL_MAIL:
		check_mail(x, v);
		break;
	case COL_NOM:
		check_upper(x, col, R_NOM_UPPER, v);
		break;
	case COL_VILLE:
		check_upper(x, col, R_VILLE_UPPER, v);
		break;
	case COL_RPPS:
		check_person_id(x, col, v, true);
		break;
	case COL_ADELI:
		check_person_id(x, col, v, false);
		break;
	case COL_CP:
		if (!all_digits(v, 5))
			add(x, col, R_CP_FORMAT, v, _("CP must be 5 digits"));
		break;
	case COL_DEPARTEMENT:
		check_in_list(x, col, L_DEPARTEMENT, R_DEP_LIST, v);
		break;
	case COL_REGION:
		check_in_list(x, col, L_REGION, R_REGION_LIST, v);
		break;
	case COL_TEL1:
	case COL_TEL2:
		if (!check_phone(v))
			add(x, col, R_PHONE, v, _("a telephone number is 10 digits starting "
						       "with 0, without spaces or dots"));
		break;
	case COL_PROFESSION:
		check_in_list(x, col, L_PROFESSION, R_PROFESSION_LIST, v);
		break;
	case COL_SPECIALITE:
		check_in_list(x, col, L_SPECIALITE, R_SPECIALITE_LIST, v);
		break;
	case COL_DIPLOME:
		if (x->ck->lists[L_DIPLOME].n > 0)
			check_in_list(x, col, L_DIPLOME, R_DIPLOME_LIST, v);
		break;
	case COL_LIBERAL:
		check_in_list(x, col, L_LIBERAL, R_LIBERAL_LIST, v);
		break;
	case COL_TYPE_BAL:
		if (strcmp(v, bal_type_name(x->type)) != 0)
			add(x, col, R_TYPE_BAL, v, _("Type BAL must be %s for this account"),
			    bal_type_name(x->type));
		break;
	case COL_TYPE_ID_STRUCT:
		check_in_list(x, col, L_ID_TYPE, R_ID_TYPE_LIST, v);
		break;
	case COL_ID_RESP:
		if (!check_rpps(v))
			add(x, col, R_RESP_RPPS, v, _("Identifiant resp must be the RPPS number "
			    "(11 digits, valid key) of the responsible"));
		break;
	case COL_CIVILITE:
		check_in_list(x, col, L_CIVILITE, R_CIVILITE_LIST, v);
		break;
	case COL_MSSANTE:
	case COL_APICRYPT:
		check_local(x, col, v);
		break;
	case COL_PEREMPTION:
		if (!check_date(v))
			add(x, col, R_DATE, v,
			    _("Date de péremption must be a real date AA-MM-JJ"));
		break;
	case COL_CONNEXION:
		check_connexion(x, v);
		break;
	default:
		break;
	}
}

/* Column 22 against the type named in column 21. */
static void check_id_struct(struct rowctx *x)
{
	const char *t = row_get(x->row, COL_TYPE_ID_STRUCT);
	const char *v = row_get(x->row, COL_ID_STRUCT);
	int fin;

	if (!*v || !check_list_find(x->ck, L_ID_TYPE, t) || col_req(COL_ID_STRUCT, x->type) == REQ_NC)
		return;
	if (strcmp(t, "FINESS") == 0) {
		fin = check_finess(v);
		if (fin == 0)
			add(x, COL_ID_STRUCT, R_FINESS_KEY, v,
			    _("not a FINESS number (9 characters with a valid key)"));
		else if (fin == 2)
			add(x, COL_ID_STRUCT, R_FINESS_CORSICA, v,
			    _("Corsican FINESS number: its key cannot be verified"));
	} else if (strcmp(t, "SIRET") == 0 && !check_siret(v)) {
		add(x, COL_ID_STRUCT, R_SIRET_KEY, v,
		    _("not a SIRET number (14 digits, valid key)"));
	} else if (strcmp(t, "SIREN") == 0 && !check_siren(v)) {
		add(x, COL_ID_STRUCT, R_SIREN_KEY, v,
		    _("not a SIREN number (9 digits, valid key)"));
	}
}

/* CP, Département and Région agree. */
static void check_geography(struct rowctx *x)
{
	const char *cp = row_get(x->row, COL_CP);
	const char *dv = row_get(x->row, COL_DEPARTEMENT), *rv = row_get(x->row, COL_REGION);
	const struct code_entry *dep = check_list_find(x->ck, L_DEPARTEMENT, dv);
	const struct code_entry *reg = check_list_find(x->ck, L_REGION, rv);

	if (!all_digits(cp, 5))
		return;
	if (!check_cp_departement(cp) && !str_empty(dv))
		add(x, COL_CP, R_CP_UNKNOWN, cp, _("no département is known for CP %s"), cp);
	else if (dep && dep->code && !check_cp_accepts(cp, dep->code))
		add(x, COL_DEPARTEMENT, R_CP_DEP, dv, _("CP %s is not in département %s "
		    "(expected %s)"), cp, dv, check_cp_departement(cp));
	if (dep && reg && dep->parent && reg->code && strcmp(dep->parent, reg->code) != 0)
		add(x, COL_REGION, R_DEP_REGION, rv, _("département %s is not in région %s"),
		    dv, rv);
}

/* The OSC cells and the rules that combine several cells. */
static void check_conditions(struct rowctx *x)
{
	const struct row *r = x->row;
	const struct code_entry *prof = check_list_find(x->ck, L_PROFESSION, row_get(r, COL_PROFESSION));

	if (x->type == BAL_PER && str_empty(row_get(r, COL_RPPS)) &&
	    str_empty(row_get(r, COL_ADELI)))
		add(x, COL_RPPS, R_RPPS_OR_ADELI, NULL,
		    _("a PER account needs an RPPS or an ADELI"));
	if (x->type == BAL_INT && prof && (prof->flags & CODE_MEDICO_SOCIAL) &&
	    str_empty(row_get(r, COL_DIPLOME)))
		add(x, COL_DIPLOME, R_DIPLOME_REQUIRED, NULL,
		    _("Diplôme is required for an INT with a medico-social profession"));
	if (x->type == BAL_INT && prof && prof->code &&
	    (!strcmp(prof->code, "10") || !strcmp(prof->code, "21") || !strcmp(prof->code, "40"))
	    && str_empty(row_get(r, COL_CIVILITE)))
		add(x, COL_CIVILITE, R_CIVILITE_REQUIRED, NULL, _("Civilité exercice is required "
		    "for an INT who is Médecin, Pharmacien or Chirurgien-Dentiste"));
	if (!str_empty(row_get(r, COL_APICRYPT)) && str_empty(row_get(r, COL_APICRYPT_SPECIALITE)))
		add(x, COL_APICRYPT_SPECIALITE, R_APICRYPT_SPE_REQUIRED, NULL,
		    _("Apicrypt spécialité is required when Apicrypt adresse is filled"));
	check_geography(x);
	check_id_struct(x);
}

size_t check_row(const struct checker *ck, const struct row *row, enum bal_type type,
		 const char *where, struct findings *f)
{
	return check_row_cut(ck, row, type, where, NULL, f);
}

size_t check_row_cut(const struct checker *ck, const struct row *row, enum bal_type type,
		     const char *where, const size_t *more, struct findings *f)
{
	struct rowctx x = { ck, row, type, where, f, 0 };
	int col;

	if (type < 0 || type >= BAL_NTYPES) {
		add(&x, COL_TYPE_BAL, R_TYPE_BAL, row_get(row, COL_TYPE_BAL),
		    _("unknown Type BAL: PER, INT, ORG or MED expected"));
		goto out;
	}
	for (col = 0; col < NCOLS; col++) {
		const char *v = row_get(row, (enum col)col);
		enum req req = col_req(col, type);
		bool empty = str_empty(v);
		size_t extra = more ? more[col] : 0;

		if (x.ck->xlsx && (extra > 0 || strlen(v) > MAX_CELL) &&
		    utf8_len(v) + extra > MAX_CELL) {
			add(&x, col, R_TOO_LONG, NULL,
			    _("%s holds %zu characters, more than an XLSX cell can hold "
			      "(32767); CSV output has no such limit"),
			    columns[col].header, utf8_len(v) + extra);
			continue;
		}
		if (!empty && !check_chars(&x, col, v))
			continue;
		if (req == REQ_O && empty)
			add(&x, col, R_REQUIRED, NULL, _("%s is required for a %s account"),
			    columns[col].header, bal_type_name(type));
		else if (req == REQ_NC && !empty)
			add(&x, col, R_NOT_CONCERNED, v, _("%s must be empty for a %s account"),
			    columns[col].header, bal_type_name(type));
		else if (req == REQ_R && empty)
			add(&x, col, R_RECOMMENDED, NULL, _("%s is recommended"),
			    columns[col].header);
		else if (!empty)
			check_cell(&x, col, v);
	}
	check_conditions(&x);
out:
	return x.nerrors;
}

/* Duplicate addresses: address (ASCII case-folded) -> its first holder. */
struct check_unique {
	struct hmap *seen;
	const struct checker *ck;
	char **owned;            /* the where copies of check_unique_where */
	size_t nowned, cap;
};

struct check_unique *check_unique_new(const struct checker *ck)
{
	struct check_unique *u = xcalloc(1, sizeof(*u));

	u->seen = hmap_new(true);   /* addresses compare without case */
	u->ck = ck;
	return u;
}

const void *check_unique_put(struct check_unique *u, const char *mail, const void *holder)
{
	if (str_empty(mail))
		return NULL;
	return hmap_add(u->seen, mail, (void *)holder);
}

const char *check_unique_where(struct check_unique *u, const char *mail, const char *where)
{
	char *copy;
	const char *prev;

	if (str_empty(mail))
		return NULL;
	copy = xstrdup(where ? where : "");
	prev = check_unique_put(u, mail, copy);
	if (prev) {
		free(copy);
		return prev;
	}
	xgrow(&u->owned, &u->cap, u->nowned + 1, sizeof(*u->owned));
	u->owned[u->nowned++] = copy;
	return NULL;
}

bool check_unique_add(struct check_unique *u, const char *mail, const char *where,
		      struct findings *f)
{
	const char *prev = check_unique_where(u, mail, where);

	if (!prev)
		return true;
	findings_add(f, u->ck ? u->ck->sev[R_MAIL_DUP] : check_rules[R_MAIL_DUP].sev, where,
		     COL_MAIL, check_rules[R_MAIL_DUP].id, mail,
		     _("this address is already used by %s"), prev);
	return false;
}

void check_unique_free(struct check_unique *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nowned; i++)
		free(u->owned[i]);
	free(u->owned);
	hmap_free(u->seen);
	free(u);
}
