/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded JSON scanner: recursive descent with a depth cap, spans into the input. */
#include "config.h"

#include <string.h>

#include "json_scan.h"

static size_t skip_ws(const uint8_t *b, size_t len, size_t pos)
{
	while (pos < len && (b[pos] == ' ' || b[pos] == '\t' || b[pos] == '\n' || b[pos] == '\r'))
		pos++;
	return pos;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* At b[*pos] == '"'. Leaves *pos after the closing quote. */
static int scan_string(const uint8_t *b, size_t len, size_t *pos, struct json_span *out)
{
	size_t i = *pos + 1, start = i;
	int k;

	while (i < len) {
		uint8_t c = b[i];

		if (c == '"') {
			out->type = JSON_STRING;
			out->p = b + start;
			out->len = i - start;
			out->count = 0;
			*pos = i + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return -1;
		switch (b[i + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			i += 2;
			break;
		case 'u':
			if (i + 6 > len)
				return -1;
			for (k = 2; k < 6; k++)
				if (hexval(b[i + k]) < 0)
					return -1;
			i += 6;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

static int scan_digits(const uint8_t *b, size_t len, size_t *pos)
{
	size_t i = *pos;

	while (i < len && b[i] >= '0' && b[i] <= '9')
		i++;
	if (i == *pos)
		return -1;
	*pos = i;
	return 0;
}

static int scan_number(const uint8_t *b, size_t len, size_t *pos, struct json_span *out)
{
	size_t i = *pos, start = i;

	if (i < len && b[i] == '-')
		i++;
	if (i >= len)
		return -1;
	if (b[i] == '0')
		i++;
	else if (scan_digits(b, len, &i) < 0)
		return -1;
	if (i < len && b[i] == '.') {
		i++;
		if (scan_digits(b, len, &i) < 0)
			return -1;
	}
	if (i < len && (b[i] == 'e' || b[i] == 'E')) {
		i++;
		if (i < len && (b[i] == '+' || b[i] == '-'))
			i++;
		if (scan_digits(b, len, &i) < 0)
			return -1;
	}
	out->type = JSON_NUMBER;
	out->p = b + start;
	out->len = i - start;
	out->count = 0;
	*pos = i;
	return 0;
}

static int scan_literal(const uint8_t *b, size_t len, size_t *pos, const char *lit,
			enum json_type type, struct json_span *out)
{
	size_t n = strlen(lit);

	if (len - *pos < n || memcmp(b + *pos, lit, n) != 0)
		return -1;
	out->type = type;
	out->p = b + *pos;
	out->len = n;
	out->count = 0;
	*pos += n;
	return 0;
}

static int scan_value(const uint8_t *b, size_t len, size_t *pos, int depth, struct json_span *out);

/* Arrays and objects share one loop; is_obj selects "key: value" members. */
static int scan_container(const uint8_t *b, size_t len, size_t *pos, int depth, int is_obj,
			  struct json_span *out)
{
	uint8_t close = is_obj ? '}' : ']';
	size_t i = *pos, start = i;
	unsigned int count = 0;
	struct json_span tmp;

	if (depth >= JSON_MAX_DEPTH)
		return -1;
	i = skip_ws(b, len, i + 1);
	if (i < len && b[i] == close) {
		i++;
		goto done;
	}
	for (;;) {
		if (is_obj) {
			if (i >= len || b[i] != '"' || scan_string(b, len, &i, &tmp) < 0)
				return -1;
			i = skip_ws(b, len, i);
			if (i >= len || b[i] != ':')
				return -1;
			i++;
		}
		if (scan_value(b, len, &i, depth + 1, &tmp) < 0)
			return -1;
		count++;
		i = skip_ws(b, len, i);
		if (i >= len)
			return -1;
		if (b[i] == close) {
			i++;
			break;
		}
		if (b[i] != ',')
			return -1;
		i = skip_ws(b, len, i + 1);
	}
done:
	out->type = is_obj ? JSON_OBJECT : JSON_ARRAY;
	out->p = b + start;
	out->len = i - start;
	out->count = count;
	*pos = i;
	return 0;
}

static int scan_value(const uint8_t *b, size_t len, size_t *pos, int depth, struct json_span *out)
{
	size_t i = skip_ws(b, len, *pos);
	int rc;

	if (i >= len)
		return -1;
	switch (b[i]) {
	case '{':
		rc = scan_container(b, len, &i, depth, 1, out);
		break;
	case '[':
		rc = scan_container(b, len, &i, depth, 0, out);
		break;
	case '"':
		rc = scan_string(b, len, &i, out);
		break;
	case 't':
		rc = scan_literal(b, len, &i, "true", JSON_BOOL, out);
		break;
	case 'f':
		rc = scan_literal(b, len, &i, "false", JSON_BOOL, out);
		break;
	case 'n':
		rc = scan_literal(b, len, &i, "null", JSON_NULL, out);
		break;
	default:
		rc = scan_number(b, len, &i, out);
		break;
	}
	if (rc == 0)
		*pos = i;
	return rc;
}

int json_scan_value(const uint8_t *buf, size_t len, struct json_span *out, size_t *end)
{
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	if (!buf || scan_value(buf, len, &pos, 0, out) < 0)
		return -1;
	if (end)
		*end = pos;
	return 0;
}

/* Walk the members of a validated container span. *pos starts at 0. */
static int container_next(const struct json_span *c, size_t *pos, struct json_span *key,
			  struct json_span *val)
{
	const uint8_t *b = c->p;
	size_t len = c->len, i = *pos;

	if (i == 0)
		i = 1;
	i = skip_ws(b, len, i);
	if (i < len && b[i] == ',')
		i = skip_ws(b, len, i + 1);
	if (i >= len || b[i] == '}' || b[i] == ']')
		return 0;
	if (c->type == JSON_OBJECT) {
		if (b[i] != '"' || scan_string(b, len, &i, key) < 0)
			return -1;
		i = skip_ws(b, len, i);
		if (i >= len || b[i] != ':')
			return -1;
		i++;
	}
	if (scan_value(b, len, &i, 1, val) < 0)
		return -1;
	*pos = i;
	return 1;
}

int json_object_get(const struct json_span *obj, const char *key, struct json_span *out)
{
	struct json_span k, v;
	size_t pos = 0;
	int rc;

	if (obj->type != JSON_OBJECT)
		return -1;
	while ((rc = container_next(obj, &pos, &k, &v)) == 1) {
		if (json_string_eq(&k, key)) {
			*out = v;
			return 1;
		}
	}
	return rc;
}

int json_array_get(const struct json_span *arr, unsigned int idx, struct json_span *out)
{
	struct json_span k, v;
	size_t pos = 0;
	unsigned int n = 0;
	int rc;

	if (arr->type != JSON_ARRAY)
		return -1;
	while ((rc = container_next(arr, &pos, &k, &v)) == 1) {
		if (n++ == idx) {
			*out = v;
			return 1;
		}
	}
	return rc;
}

int json_object_key(const struct json_span *obj, unsigned int idx, struct json_span *key)
{
	struct json_span k, v;
	size_t pos = 0;
	unsigned int n = 0;
	int rc;

	if (obj->type != JSON_OBJECT)
		return -1;
	while ((rc = container_next(obj, &pos, &k, &v)) == 1) {
		if (n++ == idx) {
			*key = k;
			return 1;
		}
	}
	return rc;
}

/* Next decoded character of a validated string, or -1 at its end. */
static int string_next(const struct json_span *s, size_t *i)
{
	const uint8_t *p = s->p;
	size_t j = *i;
	unsigned int cp;
	int c;

	if (j >= s->len)
		return -1;
	if (p[j] != '\\') {
		*i = j + 1;
		return p[j] < 0x80 ? p[j] : '?';
	}
	if (j + 1 >= s->len)
		return -1;
	switch (p[j + 1]) {
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'u':
		if (j + 6 > s->len)
			return -1;
		cp = (unsigned int)(hexval(p[j + 2]) << 12 | hexval(p[j + 3]) << 8 |
				    hexval(p[j + 4]) << 4 | hexval(p[j + 5]));
		*i = j + 6;
		return cp < 0x80 ? (int)cp : '?';
	default: c = p[j + 1]; break;
	}
	*i = j + 2;
	return c;
}

int json_string_copy(const struct json_span *s, char *dst, size_t dstsize)
{
	size_t i = 0, n = 0;
	int c;

	if (s->type != JSON_STRING)
		return -1;
	while ((c = string_next(s, &i)) >= 0) {
		if (c < 0x20 || c == 0x7f)
			c = '?';
		if (dstsize && n + 1 < dstsize)
			dst[n] = (char)c;
		n++;
	}
	if (dstsize)
		dst[n < dstsize ? n : dstsize - 1] = '\0';
	return n > 0x7fffffff ? 0x7fffffff : (int)n;
}

static bool string_match(const struct json_span *s, const char *lit, bool whole)
{
	size_t i = 0;
	int c;

	if (s->type != JSON_STRING)
		return false;
	for (; *lit; lit++) {
		c = string_next(s, &i);
		if (c != (uint8_t)*lit)
			return false;
	}
	return !whole || string_next(s, &i) < 0;
}

bool json_string_eq(const struct json_span *s, const char *lit)
{
	return string_match(s, lit, true);
}

bool json_string_prefix(const struct json_span *s, const char *prefix)
{
	return string_match(s, prefix, false);
}

int json_scan_rpc(const uint8_t *buf, size_t len, struct json_rpc *rpc)
{
	struct json_span obj, k, v;
	size_t end, pos = 0;
	int rc;

	memset(rpc, 0, sizeof(*rpc));
	if (json_scan_value(buf, len, &obj, &end) < 0 || obj.type != JSON_OBJECT)
		return -1;
	if (skip_ws(buf, len, end) != len)
		return -1;
	while ((rc = container_next(&obj, &pos, &k, &v)) == 1) {
		struct json_span *slot = NULL;

		rpc->n_members++;
		if (json_string_eq(&k, "method"))
			slot = &rpc->method;
		else if (json_string_eq(&k, "id"))
			slot = &rpc->id;
		else if (json_string_eq(&k, "params"))
			slot = &rpc->params;
		else if (json_string_eq(&k, "result"))
			slot = &rpc->result;
		else if (json_string_eq(&k, "error"))
			slot = &rpc->error;
		else if (json_string_eq(&k, "type"))
			slot = &rpc->type;
		else if (json_string_eq(&k, "jsonrpc"))
			slot = &rpc->jsonrpc;
		if (slot && slot->type == JSON_ABSENT)
			*slot = v;
	}
	return rc < 0 ? -1 : 0;
}
