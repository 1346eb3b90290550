// SPDX-License-Identifier: GPL-2.0-or-later
/* The control wire format: request tokenizer, response builder and framing. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "event.h"

/* Length of the UTF-8 sequence at p (at most n bytes), or 0 if it is not one
 * (overlong forms, surrogates, beyond U+10FFFF and C1 controls are refused). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
		return 0;
	return len;
}

int ctl_req_parse(const char *line, size_t len, struct ctl_req *req, const char **why)
{
	const unsigned char *p = (const unsigned char *)line;
	size_t i, first;
	char *s;

	memset(req, 0, sizeof(*req));
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (len >= CTL_MAX_LINE) {
		*why = "request line too long";
		return -1;
	}
	for (i = 0; i < len;) {
		size_t n = 1;

		if (p[i] >= 0x80)
			n = utf8_len(p + i, len - i);
		else if (p[i] < 0x20 || p[i] == 0x7f)
			n = 0;
		if (n == 0) {
			*why = "request must be printable text";
			return -1;
		}
		i += n;
	}
	memcpy(req->buf, line, len);
	req->buf[len] = '\0';
	for (s = req->buf;;) {
		while (*s == ' ')
			s++;
		if (!*s)
			break;
		if (req->argc == CTL_MAX_ARGS) {
			*why = "too many arguments";
			return -1;
		}
		req->argv[req->argc++] = s;
		while (*s && *s != ' ')
			s++;
		if (*s)
			*s++ = '\0';
	}
	first = req->argc > 0 && strcmp(req->argv[0], "json") == 0;
	if (first) {
		req->json = true;
		memmove(req->argv, req->argv + 1, (req->argc - 1) * sizeof(req->argv[0]));
		req->argv[--req->argc] = NULL;
	}
	if (req->argc == 0) {
		*why = "empty request";
		return -1;
	}
	return 0;
}

void ctl_resp_init(struct ctl_resp *r, size_t max, bool json)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->json = json;
}

void ctl_resp_free(struct ctl_resp *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

static int resp_reserve(struct ctl_resp *r, size_t n)
{
	size_t cap;
	char *p;

	if (r->overflow)
		return -1;
	if (r->len + n + 1 > r->max) {
		r->overflow = true;
		return -1;
	}
	if (r->len + n + 1 <= r->cap)
		return 0;
	cap = r->cap ? r->cap : 1024;
	while (cap < r->len + n + 1)
		cap *= 2;
	if (cap > r->max)
		cap = r->max;
	p = realloc(r->buf, cap);
	if (!p) {
		r->overflow = true;
		return -1;
	}
	r->buf = p;
	r->cap = cap;
	return 0;
}

int ctl_resp_printf(struct ctl_resp *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || resp_reserve(r, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->buf + r->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->len += (size_t)n;
	return 0;
}

int ctl_resp_error(struct ctl_resp *r, const char *code, const char *fmt, ...)
{
	va_list ap;
	size_t i;

	r->err_code = code;
	va_start(ap, fmt);
	vsnprintf(r->err_msg, sizeof(r->err_msg), fmt, ap);
	va_end(ap);
	/* The status line is one line. */
	for (i = 0; r->err_msg[i]; i++)
		if (r->err_msg[i] == '\n' || r->err_msg[i] == '\r')
			r->err_msg[i] = ' ';
	return -1;
}

void ctl_resp_follow(struct ctl_resp *r, const char *topic)
{
	r->follow = topic;
}

int ctl_resp_json_str(struct ctl_resp *r, const char *s)
{
	size_t need = strlen(s) * 6 + 3, pos = 0;

	if (resp_reserve(r, need) < 0)
		return -1;
	if (event_json_string(r->buf + r->len, need, &pos, s) < 0)
		return -1;
	r->len += pos;
	r->buf[r->len] = '\0';
	return 0;
}

int ctl_frame(const struct ctl_resp *r, int rc, char **out, size_t *out_len)
{
	size_t i, lines = 0, cap, n = 0;
	const char *code = r->err_code ? r->err_code : "failed";
	bool ok = rc == 0 && !r->overflow;
	char *p;

	for (i = 0; i < r->len; i++)
		lines += r->buf[i] == '\n';
	lines++;
	cap = r->len + lines + sizeof(r->err_msg) + 64;
	p = malloc(cap);
	if (!p)
		return -1;
	if (r->overflow) {
		code = "too-large";
	} else {
		/* Each body line, the last one even without its '\n'. */
		for (i = 0; i < r->len;) {
			const char *e = memchr(r->buf + i, '\n', r->len - i);
			size_t l = e ? (size_t)(e - (r->buf + i)) : r->len - i;

			p[n++] = ' ';
			memcpy(p + n, r->buf + i, l);
			n += l;
			p[n++] = '\n';
			i += l + 1;
		}
	}
	if (ok && !r->follow)
		n += (size_t)snprintf(p + n, cap - n, "ok\n");
	else if (!ok)
		n += (size_t)snprintf(p + n, cap - n, "error %s %s\n", code,
				      r->overflow ? "response exceeds the size limit" :
				      r->err_msg[0] ? r->err_msg : "command failed");
	/* NUL-terminated too, whatever the last branch wrote (a follow writes none). */
	p[n] = '\0';
	*out = p;
	*out_len = n;
	return 0;
}

enum ctl_reply ctl_reply_parse(const char *line, const char **text, char *code_buf, size_t code_size)
{
	const char *sp;
	size_t n;

	*text = "";
	if (line[0] == ' ') {
		*text = line + 1;
		return CTL_REPLY_DATA;
	}
	if (strcmp(line, "ok") == 0)
		return CTL_REPLY_OK;
	if (strncmp(line, "error ", 6) != 0 || !line[6] || line[6] == ' ')
		return CTL_REPLY_INVALID;
	sp = strchr(line + 6, ' ');
	n = sp ? (size_t)(sp - (line + 6)) : strlen(line + 6);
	if (n >= code_size)
		n = code_size - 1;
	memcpy(code_buf, line + 6, n);
	code_buf[n] = '\0';
	*text = sp ? sp + 1 : "";
	return CTL_REPLY_ERROR;
}
