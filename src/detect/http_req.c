/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded HTTP/1.x request parser used by the HTTP-based detectors. */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http_req.h"

static const char *const http_methods[] = {
	"GET", "POST", "PUT", "HEAD", "OPTIONS", "CONNECT", "DELETE", "PATCH", "TRACE",
};

enum http_parse http_req_method_check(const uint8_t *buf, size_t len)
{
	bool prefix = false;
	size_t i;

	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t n = strlen(http_methods[i]);

		if (len > n) {
			if (memcmp(buf, http_methods[i], n) == 0 && buf[n] == ' ')
				return HTTP_OK;
		} else if (memcmp(buf, http_methods[i], len) == 0) {
			prefix = true;
		}
	}
	return prefix ? HTTP_INCOMPLETE : HTTP_INVALID;
}

/* tchar of RFC 9110. */
static bool is_tchar(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Offset of the next "\n" from pos, or len. */
static size_t find_lf(const uint8_t *b, size_t len, size_t pos)
{
	const uint8_t *p = pos < len ? memchr(b + pos, '\n', len - pos) : NULL;

	return p ? (size_t)(p - b) : len;
}

static int parse_request_line(const uint8_t *b, size_t eol, struct http_req *req)
{
	size_t i = 0, t;

	while (i < eol && is_tchar(b[i]))
		i++;
	if (i == 0 || i >= eol || b[i] != ' ')
		return -1;
	req->method = b;
	req->method_len = i;
	t = ++i;
	while (i < eol && b[i] > ' ' && b[i] < 0x7f)
		i++;
	if (i == t || i >= eol || b[i] != ' ')
		return -1;
	req->target = b + t;
	req->target_len = i - t;
	i++;
	if (eol - i != 8 || memcmp(b + i, "HTTP/1.", 7) != 0 || b[i + 7] < '0' || b[i + 7] > '9')
		return -1;
	req->version_minor = (unsigned int)(b[i + 7] - '0');
	return 0;
}

static int parse_content_length(const struct http_header *h, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (h->value_len == 0 || h->value_len > 15)
		return -1;
	for (i = 0; i < h->value_len; i++) {
		if (h->value[i] < '0' || h->value[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(h->value[i] - '0');
	}
	*out = v;
	return 0;
}

enum http_parse http_req_parse(const uint8_t *buf, size_t len, struct http_req *req)
{
	size_t pos, eol, lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD;
	enum http_parse m;

	memset(req, 0, sizeof(*req));
	m = http_req_method_check(buf, len);
	if (m != HTTP_OK)
		return m;
	eol = find_lf(buf, lim, 0);
	if (eol >= lim)
		return len >= HTTP_MAX_HEAD ? HTTP_INVALID : HTTP_INCOMPLETE;
	if (eol == 0 || buf[eol - 1] != '\r' || parse_request_line(buf, eol - 1, req) < 0)
		return HTTP_INVALID;
	pos = eol + 1;
	for (;;) {
		struct http_header h;
		size_t colon, e, v;

		eol = find_lf(buf, lim, pos);
		if (eol >= lim)
			return len >= HTTP_MAX_HEAD ? HTTP_INVALID : HTTP_INCOMPLETE;
		if (eol == pos || buf[eol - 1] != '\r')
			return HTTP_INVALID;	/* bare LF line endings: not a client we judge */
		e = eol - 1;
		if (e == pos) {
			req->body_off = eol + 1;
			return HTTP_OK;
		}
		for (colon = pos; colon < e && is_tchar(buf[colon]); colon++)
			;
		if (colon == pos || colon >= e || buf[colon] != ':')
			return HTTP_INVALID;
		v = colon + 1;
		while (v < e && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		while (e > v && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
			e--;
		h.name = buf + pos;
		h.name_len = colon - pos;
		h.value = buf + v;
		h.value_len = e - v;
		if (h.name_len == 14 && strncasecmp((const char *)h.name, "Content-Length", 14) == 0) {
			uint64_t cl;

			if (parse_content_length(&h, &cl) < 0 ||
			    (req->has_content_length && cl != req->content_length))
				return HTTP_INVALID;
			req->has_content_length = true;
			req->content_length = cl;
		}
		if (req->n_headers < HTTP_MAX_HEADERS)
			req->headers[req->n_headers++] = h;
		pos = eol + 1;
	}
}

const struct http_header *http_req_header(const struct http_req *req, const char *name)
{
	size_t n = strlen(name);
	unsigned int i;

	for (i = 0; i < req->n_headers; i++)
		if (req->headers[i].name_len == n &&
		    strncasecmp((const char *)req->headers[i].name, name, n) == 0)
			return &req->headers[i];
	return NULL;
}

bool http_header_has_token(const struct http_header *h, const char *token)
{
	size_t n = strlen(token), i = 0;

	while (i < h->value_len) {
		size_t s;

		while (i < h->value_len && (h->value[i] == ',' || h->value[i] == ' ' || h->value[i] == '\t'))
			i++;
		s = i;
		while (i < h->value_len && h->value[i] != ',' && h->value[i] != ' ' && h->value[i] != '\t')
			i++;
		if (i - s == n && strncasecmp((const char *)h->value + s, token, n) == 0)
			return true;
	}
	return false;
}
