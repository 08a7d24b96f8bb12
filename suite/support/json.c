/*
 * json.c - see json.h. A recursive descent over RFC 8259's grammar, no
 * more lenient than it: no trailing commas, no leading zeros, no raw
 * control characters in strings, one value per document.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define DEPTH_MAX 64

struct reader {
	struct json_doc *doc;
	const char *s, *end, *p;
};

static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->doc->error, sizeof(r->doc->error), "at byte %ld: ", (long)(r->p - r->s));
	va_start(ap, fmt);
	vsnprintf(r->doc->error + n, sizeof(r->doc->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static void space(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static long new_value(struct reader *r, enum json_type type)
{
	struct json_doc *d = r->doc;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct json_value *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL)
			return fail(r, "out of memory");
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n] = (struct json_value){ .type = type, .text = r->p, .next = -1, .first = -1 };
	return (long)d->n++;
}

static int digits(struct reader *r)
{
	const char *p = r->p;

	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	return r->p > p ? 0 : fail(r, "a digit expected");
}

static int number(struct reader *r)
{
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p < r->end && *r->p == '0')
		r->p++;
	else if (digits(r) < 0)
		return -1;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (digits(r) < 0)
			return -1;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (digits(r) < 0)
			return -1;
	}
	return 0;
}

static int string(struct reader *r)
{
	if (r->p >= r->end || *r->p != '"')
		return fail(r, "a string expected");
	for (r->p++; r->p < r->end && *r->p != '"'; r->p++) {
		if ((unsigned char)*r->p < 0x20)
			return fail(r, "a raw control character in a string");
		if (*r->p != '\\')
			continue;
		if (++r->p >= r->end)
			break;
		if (*r->p == 'u') {
			for (int i = 0; i < 4; i++)
				if (++r->p >= r->end || strchr("0123456789abcdefABCDEF", *r->p) == NULL)
					return fail(r, "a bad \\u escape");
		} else if (strchr("\"\\/bfnrt", *r->p) == NULL) {
			return fail(r, "a bad escape '\\%c'", *r->p);
		}
	}
	if (r->p >= r->end)
		return fail(r, "an unterminated string");
	r->p++;
	return 0;
}

static long value(struct reader *r, int depth);

/* An array or an object: its members, linked in order. */
static int members(struct reader *r, long self, char close, int depth)
{
	long last = -1;

	r->p++;
	space(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t keylen = 0;
		long m;

		space(r);
		if (close == '}') {
			key = r->p + 1;
			if (string(r) < 0)
				return -1;
			keylen = (size_t)(r->p - 1 - key);
			space(r);
			if (r->p >= r->end || *r->p != ':')
				return fail(r, "':' expected");
			r->p++;
		}
		if ((m = value(r, depth + 1)) < 0)
			return -1;
		r->doc->v[m].key = key;
		r->doc->v[m].keylen = keylen;
		if (last < 0)
			r->doc->v[self].first = m;
		else
			r->doc->v[last].next = m;
		last = m;
		r->doc->v[self].count++;
		space(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		return fail(r, "',' or '%c' expected", close);
	}
}

static long value(struct reader *r, int depth)
{
	static const struct { const char *word; enum json_type type; } words[] = {
		{ "null", JSON_NULL }, { "false", JSON_FALSE }, { "true", JSON_TRUE },
	};
	long self;
	int rc;

	space(r);
	if (depth > DEPTH_MAX)
		return fail(r, "nested deeper than %d", DEPTH_MAX);
	if (r->p >= r->end)
		return fail(r, "a value expected, the end found");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].word);

		if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i].word, n) == 0) {
			if ((self = new_value(r, words[i].type)) < 0)
				return -1;
			r->p += n;
			r->doc->v[self].len = n;
			return self;
		}
	}
	switch (*r->p) {
	case '{': self = new_value(r, JSON_OBJECT); break;
	case '[': self = new_value(r, JSON_ARRAY); break;
	case '"': self = new_value(r, JSON_STRING); break;
	default:
		if (*r->p != '-' && (*r->p < '0' || *r->p > '9'))
			return fail(r, "a value expected, '%c' found", *r->p);
		self = new_value(r, JSON_NUMBER);
	}
	if (self < 0)
		return -1;
	switch (r->doc->v[self].type) {
	case JSON_OBJECT: rc = members(r, self, '}', depth); break;
	case JSON_ARRAY: rc = members(r, self, ']', depth); break;
	case JSON_STRING: rc = string(r); break;
	default: rc = number(r);
	}
	if (rc < 0)
		return -1;
	r->doc->v[self].len = (size_t)(r->p - r->doc->v[self].text);
	return self;
}

int json_parse(struct json_doc *doc, const char *text, size_t len)
{
	struct reader r = { doc, text, text + len, text };

	memset(doc, 0, sizeof(*doc));
	if (value(&r, 0) < 0)
		return -1;
	space(&r);
	if (r.p != r.end)
		return fail(&r, "more after the value");
	return 0;
}

void json_free(struct json_doc *doc)
{
	free(doc->v);
	memset(doc, 0, sizeof(*doc));
}

const struct json_value *json_root(const struct json_doc *doc)
{
	return doc->n > 0 ? &doc->v[0] : NULL;
}

const struct json_value *json_get(const struct json_doc *doc, const struct json_value *obj,
				  const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (long i = obj->first; i >= 0; i = doc->v[i].next)
		if (doc->v[i].keylen == strlen(key) && memcmp(doc->v[i].key, key, doc->v[i].keylen) == 0)
			return &doc->v[i];
	return NULL;
}

const struct json_value *json_at(const struct json_doc *doc, const struct json_value *arr, size_t i)
{
	long at;

	if (arr == NULL || arr->type != JSON_ARRAY)
		return NULL;
	for (at = arr->first; at >= 0 && i > 0; i--)
		at = doc->v[at].next;
	return at >= 0 ? &doc->v[at] : NULL;
}

const char *json_text(const struct json_value *v, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (v == NULL || v->type != JSON_STRING)
		return buf;
	for (const char *p = v->text + 1; p < v->text + v->len - 1 && n + 4 < size; p++) {
		unsigned c = (unsigned char)*p;

		if (c == '\\') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

			p++;
			if (*p == 'u') {
				c = (unsigned)strtoul((char[5]){ p[1], p[2], p[3], p[4], '\0' }, NULL, 16);
				p += 4;
				if (c >= 0x800) {      /* UTF-8, surrogates left as they are */
					buf[n++] = (char)(0xe0 | c >> 12);
					buf[n++] = (char)(0x80 | (c >> 6 & 0x3f));
					c = 0x80 | (c & 0x3f);
				} else if (c >= 0x80) {
					buf[n++] = (char)(0xc0 | c >> 6);
					c = 0x80 | (c & 0x3f);
				}
			} else {
				c = (unsigned char)to[strchr(from, *p) - from];
			}
		}
		buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

double json_number(const struct json_value *v)
{
	return v != NULL && v->type == JSON_NUMBER ? strtod(v->text, NULL) : 0;
}
