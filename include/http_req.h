/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded HTTP/1.x request parser: request line, headers, Content-Length, body offset. */
#ifndef MW_HTTP_REQ_H
#define MW_HTTP_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 40
#define HTTP_MAX_HEAD 8192	/* request line + headers; longer is treated as invalid */

enum http_parse {
	HTTP_INVALID = -1,	/* cannot be an HTTP/1.x request */
	HTTP_INCOMPLETE = 0,	/* consistent so far, need more bytes */
	HTTP_OK = 1,		/* request line and headers complete */
};

struct http_header {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *value;	/* leading and trailing blanks trimmed */
	size_t value_len;
};

struct http_req {
	const uint8_t *method;
	size_t method_len;
	const uint8_t *target;
	size_t target_len;
	unsigned int version_minor;	/* HTTP/1.x */
	unsigned int n_headers;		/* headers stored (extra ones are parsed, not kept) */
	struct http_header headers[HTTP_MAX_HEADERS];
	bool has_content_length;
	uint64_t content_length;
	size_t body_off;		/* offset of the body in the buffer */
};

/* Cheap first look: could buf start an HTTP request with a known method?
 * HTTP_OK when a known method and a space are there, HTTP_INCOMPLETE when buf is
 * a proper prefix of one, HTTP_INVALID otherwise. */
enum http_parse http_req_method_check(const uint8_t *buf, size_t len);

/* Parse the request head at the start of buf. Header names are matched
 * case-insensitively by http_req_header. A malformed or conflicting
 * Content-Length makes the request invalid. */
enum http_parse http_req_parse(const uint8_t *buf, size_t len, struct http_req *req);

/* The first header called name (case-insensitive), or NULL. */
const struct http_header *http_req_header(const struct http_req *req, const char *name);

/* True when the header value contains token (case-insensitive), as a
 * comma/blank separated element. */
bool http_header_has_token(const struct http_header *h, const char *token);

#endif
