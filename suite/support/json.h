/*
 * json.h - a strict JSON reader (RFC 8259) for the command's --json output:
 * a test parses what `ipcmp compare --json` and the others print, and then
 * asserts on the values, so that a malformed document fails as such.
 *
 * The document is read whole into a table of values; a value is found by
 * key (json_get) or index (json_at) from its parent, the root being
 * json_root. Strings are given back decoded (json_text).
 */
#ifndef SUITE_JSON_H
#define SUITE_JSON_H

#include <stddef.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	const char *text;          /* the value's first byte in the document */
	size_t len;                /* its bytes, quotes and brackets included */
	const char *key;           /* a member of an object: its key, raw */
	size_t keylen;
	long next;                 /* the next member or element, or -1 */
	long first;                /* an array or object: its first, or -1 */
	size_t count;              /* an array or object: how many it holds */
};

struct json_doc {
	struct json_value *v;
	size_t n, cap;
	char error[160];           /* why json_parse failed, and where */
};

/* 0, or -1 with doc->error set; the text must outlive the doc. */
int json_parse(struct json_doc *doc, const char *text, size_t len);
void json_free(struct json_doc *doc);
const struct json_value *json_root(const struct json_doc *doc);
/* A member of an object, an element of an array; NULL when there is none. */
const struct json_value *json_get(const struct json_doc *doc, const struct json_value *obj,
				  const char *key);
const struct json_value *json_at(const struct json_doc *doc, const struct json_value *arr, size_t i);
/* A string's text, decoded, into buf; "" when v is not a string. */
const char *json_text(const struct json_value *v, char *buf, size_t size);
double json_number(const struct json_value *v);   /* 0 when not a number */

#endif
