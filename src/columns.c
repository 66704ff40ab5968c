/*
 * columns.c - the 36 columns of the loadusers file, line for line with the column table of
 * the Medimail account-creation guide (section 3): header text, config key, and the
 * requirement per BAL type (PER, INT, ORG, MED). O mandatory, OSC mandatory under a condition
 * (checked in check.c), R recommended, F optional, NC must be empty.
 */
#include <string.h>
#include "model.h"

#define O REQ_O
#define OSC REQ_OSC
#define R REQ_R
#define F REQ_F
#define NC REQ_NC

const struct column columns[NCOLS] = {
	/* header                               key                              PER  INT  ORG  MED */
	{ "Adresse mail",                       "adresse-mail",                  { O,  O,  O,  O  } },
	{ "NOM",                                "nom",                           { O,  O,  O,  O  } },
	{ "Prénom",                             "prenom",                        { O,  O,  O,  O  } },
	{ "RPPS",                               "rpps",                          { O,  NC, NC, NC } },
	{ "ADELI",                              "adeli",                         { O,  NC, NC, NC } },
	{ "Raison Sociale",                     "raison-sociale",                { R,  R,  R,  R  } },
	{ "Service de rattachement",            "service-de-rattachement",       { F,  F,  F,  F  } },
	{ "Adresse (1)",                        "adresse-1",                     { R,  R,  R,  R  } },
	{ "Adresse (2)",                        "adresse-2",                     { F,  F,  F,  F  } },
	{ "CP",                                 "cp",                            { O,  O,  O,  O  } },
	{ "VILLE",                              "ville",                         { O,  O,  O,  O  } },
	{ "Département",                        "departement",                   { O,  O,  O,  O  } },
	{ "Région",                             "region",                        { O,  O,  O,  O  } },
	{ "Téléphone (1)",                      "telephone-1",                   { F,  F,  F,  F  } },
	{ "Téléphone (2)",                      "telephone-2",                   { F,  F,  F,  F  } },
	{ "Profession",                         "profession",                    { O,  O,  O,  O  } },
	{ "Spécialité",                         "specialite",                    { R,  R,  R,  R  } },
	{ "Diplôme",                            "diplome",                       { NC, OSC, NC, NC } },
	{ "Activité libérale",                  "activite-liberale",             { O,  O,  O,  O  } },
	{ "Type BAL",                           "type-bal",                      { O,  O,  O,  O  } },
	{ "Type identifiant structure resp",    "type-identifiant-structure-resp", { NC, O,  O,  NC } },
	{ "Identifiant structure resp",         "identifiant-structure-resp",    { NC, O,  O,  NC } },
	{ "Adresse de retour",                  "adresse-de-retour",             { NC, NC, NC, NC } },
	{ "Nom resp",                           "nom-resp",                      { NC, NC, O,  NC } },
	{ "Prénom resp",                        "prenom-resp",                   { NC, NC, O,  NC } },
	{ "Profession resp",                    "profession-resp",               { NC, NC, O,  NC } },
	{ "Identifiant resp",                   "identifiant-resp",              { NC, NC, O,  NC } },
	{ "Description fonctionnelle",          "description-fonctionnelle",     { NC, NC, O,  NC } },
	{ "Civilité exercice",                  "civilite-exercice",             { NC, O,  NC, NC } },
	{ "MSSanté adresse",                    "mssante-adresse",               { F,  F,  F,  NC } },
	{ "Apicrypt adresse",                   "apicrypt-adresse",              { F,  F,  F,  F  } },
	{ "Apicrypt spécialité",                "apicrypt-specialite",           { F,  F,  F,  F  } },
	{ "Date de péremption",                 "date-de-peremption",            { F,  F,  F,  F  } },
	{ "Alias",                              "alias",                         { NC, NC, NC, NC } },
	{ "Compte(s) de connexion",             "comptes-de-connexion",          { NC, NC, O,  NC } },
	{ "Structure",                          "structure",                     { NC, NC, NC, NC } },
};

static const char *const bal_names[BAL_NTYPES] = { "PER", "INT", "ORG", "MED" };

const char *bal_type_name(enum bal_type t)
{
	if (t < 0 || t >= BAL_NTYPES)
		return "?";
	return bal_names[t];
}

enum bal_type bal_type_parse(const char *s)
{
	for (int i = 0; s && i < BAL_NTYPES; i++)
		if (strcmp(s, bal_names[i]) == 0)
			return (enum bal_type)i;
	return BAL_NONE;
}

int column_by_key(const char *key)
{
	for (int i = 0; key && i < NCOLS; i++)
		if (strcmp(columns[i].key, key) == 0)
			return i;
	return -1;
}

int column_by_header(const char *header)
{
	for (int i = 0; header && i < NCOLS; i++)
		if (strcmp(columns[i].header, header) == 0)
			return i;
	return -1;
}

enum req column_req(int col, enum bal_type type)
{
	if (col == COL_STRUCTURE)
		return REQ_F;
	return columns[col].req[type];
}
