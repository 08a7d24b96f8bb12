/*
 * json_reader.c - the suite's JSON reader (support/json.c) holds to RFC
 * 8259, so that a command's malformed --json fails its test: what the
 * grammar refuses is refused, values are found by key and index, strings
 * come back decoded.
 *
 *   $ ./build/suite --filter 'json_reader/?*'
 */
#include <string.h>

#include <criterion/criterion.h>
#include "asserts.h"

#include "json.h"

static const struct {
	const char *text;
	int ok;
} docs[] = {
	{ "{}", 1 }, { " [ ] ", 1 }, { "0", 1 }, { "-0.5e+3", 1 }, { "\"a\\u00e9\\n\"", 1 },
	{ "{\"a\": [1, true, false, null, {\"b\": \"c\"}]}", 1 },
	{ "", 0 }, { "{", 0 }, { "[1,]", 0 }, { "{\"a\": 1,}", 0 }, { "{\"a\" 1}", 0 },
	{ "{a: 1}", 0 }, { "01", 0 }, { "1.", 0 }, { ".5", 0 }, { "1e", 0 }, { "+1", 0 },
	{ "\"tab\there\"", 0 }, { "\"\\x\"", 0 }, { "\"\\u12g4\"", 0 }, { "\"open", 0 },
	{ "{} {}", 0 }, { "[1] x", 0 }, { "nul", 0 }, { "True", 0 }, { "'a'", 0 },
};

Test(json_reader, grammar)
{
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct json_doc d;
		int rc = json_parse(&d, docs[i].text, strlen(docs[i].text));

		cr_assert(eq(int, rc == 0, docs[i].ok), "json_reader: \"%s\" %s (%s)", docs[i].text,
			  rc == 0 ? "accepted" : "refused", d.error);
		json_free(&d);
	}
}

Test(json_reader, lookup)
{
	static const char text[] = "{\"name\": \"a\\\"b\\\\c\\u00e9\", \"list\": [10, -2.5, {\"k\": null}], "
				   "\"empty\": {}}";
	const struct json_value *list, *k;
	struct json_doc d;
	char buf[32];

	cr_assert(eq(int, json_parse(&d, text, strlen(text)), 0), "json_reader: %s", d.error);
	cr_assert(eq(str, (char *)json_text(json_get(&d, json_root(&d), "name"), buf, sizeof(buf)),
		     "a\"b\\c\xc3\xa9"), "json_reader: a decoded string");
	list = json_get(&d, json_root(&d), "list");
	cr_assert(list != NULL && list->type == JSON_ARRAY && list->count == 3, "json_reader: list");
	cr_assert(json_number(json_at(&d, list, 0)) == 10 && json_number(json_at(&d, list, 1)) == -2.5,
		  "json_reader: numbers");
	cr_assert(eq(ptr, (void *)json_at(&d, list, 3), NULL), "json_reader: past the end");
	k = json_get(&d, json_at(&d, list, 2), "k");
	cr_assert(k != NULL && k->type == JSON_NULL, "json_reader: a nested null");
	cr_assert(eq(sz, json_get(&d, json_root(&d), "empty")->count, 0), "json_reader: {}");
	cr_assert(eq(ptr, (void *)json_get(&d, json_root(&d), "nam"), NULL), "json_reader: a key's prefix");
	json_free(&d);
}
