/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded JSON scanner: validates one JSON value in place and hands out spans
 * (no allocation, no copies) for the JSON-RPC members the detectors look at. */
#ifndef MW_JSON_SCAN_H
#define MW_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

enum json_type {
	JSON_ABSENT = 0,	/* member not present */
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

/* One value inside the scanned buffer. For strings p/len cover the raw
 * (still escaped) text between the quotes; for other types the whole value.
 * count is the number of elements (array) or members (object). */
struct json_span {
	const uint8_t *p;
	size_t len;
	enum json_type type;
	unsigned int count;
};

/* The top-level members of a JSON-RPC style object. Absent ones have type JSON_ABSENT. */
struct json_rpc {
	struct json_span method;
	struct json_span id;
	struct json_span params;
	struct json_span result;
	struct json_span error;
	struct json_span type;		/* coinhive-style {"type": "auth", ...} */
	struct json_span jsonrpc;
	unsigned int n_members;
};

/* Validate one JSON value at the start of buf (leading whitespace allowed) and
 * describe it in out. *end (if not NULL) gets the offset just past the value.
 * 0, or -1 when the text is malformed, truncated or nested deeper than JSON_MAX_DEPTH. */
int json_scan_value(const uint8_t *buf, size_t len, struct json_span *out, size_t *end);

/* buf must hold exactly one JSON object (surrounding whitespace allowed).
 * Fills rpc with its top-level members (first occurrence wins). 0 or -1. */
int json_scan_rpc(const uint8_t *buf, size_t len, struct json_rpc *rpc);

/* Member `key` of an object span: 1 found (out filled), 0 absent, -1 not an object. */
int json_object_get(const struct json_span *obj, const char *key, struct json_span *out);
/* Element idx of an array span: 1 found, 0 out of range, -1 not an array. */
int json_array_get(const struct json_span *arr, unsigned int idx, struct json_span *out);
/* Key idx of an object span, as a string span: 1 found, 0 out of range, -1 not an object. */
int json_object_key(const struct json_span *obj, unsigned int idx, struct json_span *key);

/* Decode a string span into dst (NUL-terminated, truncated to dstsize - 1;
 * non-ASCII and control characters become '?'). Returns the decoded length
 * before truncation, or -1 when s is not a string. */
int json_string_copy(const struct json_span *s, char *dst, size_t dstsize);
/* True when s is a string whose decoded text equals lit exactly. */
bool json_string_eq(const struct json_span *s, const char *lit);
/* True when s is a string whose decoded text starts with prefix. */
bool json_string_prefix(const struct json_span *s, const char *prefix);

#endif
