/*
 * fuzz_template.c - the template engine and its transforms (src/map.c). The input's first
 * line is a template ("{sn|trim|upper}", "{mail||uid|lower}@{$cp}"...); every other line
 * "name: value" is a value of the entry the template is expanded against (a line without
 * ": " is ignored; "\0" in a value is a NUL byte, so binary values are reached). map_compile()
 * compiles the template; map_expand() expands it against the entry and a structure, twice (the
 * result must not change). Each value also goes through the transforms the engine exposes:
 * phone, digits, idnat (RPPS and ADELI), every date form and the date's AA-MM-JJ text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "map.h"
#include "model.h"

static void transforms(const char *v)
{
	bool ok;
	long long t;

	free(map_phone(v, &ok));
	free(map_digits(v));
	free(map_idnat(v, false, &ok));
	free(map_idnat(v, true, &ok));
	for (int f = DATE_FORM_AUTO; f <= DATE_FORM_DMY; f++)
		if (map_date_read(v, (enum date_form)f, &t) == DATE_OK)
			free(map_date_text(t));
}

/* "name: value" lines into e; "\0" (backslash, zero) in a value stands for a NUL byte. */
static void read_entry(struct entry *e, const char *p, const char *end)
{
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *sep;
		char *v;
		size_t n = 0;

		sep = memmem(p, (size_t)(eol - p), ": ", 2);
		if (sep && sep > p) {
			v = xmalloc((size_t)(eol - sep));
			for (const char *q = sep + 2; q < eol; q++) {
				if (q[0] == '\\' && q + 1 < eol && q[1] == '0') {
					v[n++] = '\0';
					q++;
				} else {
					v[n++] = *q;
				}
			}
			v[n] = '\0';
			attr_add_value(e, entry_attr_add(e, p, (size_t)(sep - p)), v, n);
			transforms(v);
			free(v);
		}
		p = eol + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf_structure st = {
		.name = "chu", .raison_sociale = "CHU d'Exemple", .adresse1 = "1 avenue",
		.cp = "34000", .ville = "MONTPELLIER", .departement = "Hérault",
		.region = "Occitanie", .id_type = "FINESS", .id = "340780477",
	};
	const char *p = (const char *)data, *end = p + size;
	const char *nl = memchr(p, '\n', size);
	char *text = xstrndup(p, nl ? (size_t)(nl - p) : size), *err = NULL, *a, *b;
	struct map_template *t = map_compile(text, &err);
	struct findings f = { 0 };
	struct entry e = { 0 };

	e.dn = xstrdup("uid=fuzz,ou=people,dc=example");
	if (nl)
		read_entry(&e, nl + 1, end);
	if (!t) {
		if (!err)
			abort();        /* a refused template says why */
		goto out;
	}
	a = map_expand(t, &e, &st, &f, e.dn, 1, NULL);
	b = map_expand(t, &e, &st, &f, e.dn, 1, NULL);
	if (strcmp(a, b) != 0)
		abort();        /* expanding is a function of the entry */
	free(a);
	free(b);
out:
	map_template_free(t);
	findings_free(&f);
	entry_free(&e);
	free(text);
	free(err);
	return 0;
}
