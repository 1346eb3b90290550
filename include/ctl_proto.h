/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minewallctl wire format: one request line in, data lines and one status line out. */
#ifndef MW_CTL_PROTO_H
#define MW_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Request: one line of at most CTL_MAX_LINE bytes including its '\n' (a '\r'
 * before it is allowed), printable ASCII or UTF-8, tokens separated by spaces,
 * no quoting. An optional leading token "json" asks for JSON output:
 *     [json] COMMAND [ARG ...]\n
 * Response: data lines, each sent with one leading space, then one status line
 * without it:
 *      data line\n ...
 *     ok\n    or    error CODE MESSAGE\n
 * CODE is one word (bad-request, too-long, unknown-command, usage, failed,
 * too-large, denied, busy, timeout). A following request ("events -f") sends
 * data lines until either side closes.
 */
#define CTL_MAX_LINE 4096
#define CTL_MAX_ARGS 16
#define CTL_MAX_OUTPUT (1u << 20)	/* bytes a client may have unread before it is dropped */

struct ctl_req {
	bool json;
	unsigned int argc;		/* argv[0] is the command */
	char *argv[CTL_MAX_ARGS];	/* point into buf */
	char buf[CTL_MAX_LINE];
};

/* Parse one request line of len bytes, without its '\n'. 0, or -1 with *why set
 * to a short static message (the error code is then bad-request). */
int ctl_req_parse(const char *line, size_t len, struct ctl_req *req, const char **why);

/* What a handler writes: text (human table or JSON), or an error. */
struct ctl_resp {
	char *buf;
	size_t len, cap, max;
	bool overflow;
	bool json;			/* the request asked for JSON */
	const char *err_code;		/* set by ctl_resp_error */
	char err_msg[256];
	const char *follow;		/* topic to stream after the body, or NULL */
};

void ctl_resp_init(struct ctl_resp *r, size_t max, bool json);
void ctl_resp_free(struct ctl_resp *r);
/* Append text; past max the response is marked overflowed. 0 or -1. */
int ctl_resp_printf(struct ctl_resp *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail the request: code is one word. Returns -1 so handlers can `return ctl_resp_error(...)`. */
int ctl_resp_error(struct ctl_resp *r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* After the body, keep sending lines published on topic until the client leaves. */
void ctl_resp_follow(struct ctl_resp *r, const char *topic);
/* Append s as a JSON string with its quotes. */
int ctl_resp_json_str(struct ctl_resp *r, const char *s);

/* Frame a handler's outcome for the wire: every body line with its leading
 * space, then the status line (none when following and ok). *out is malloc'd and
 * NUL-terminated. 0 or -1. */
int ctl_frame(const struct ctl_resp *r, int rc, char **out, size_t *out_len);

enum ctl_reply { CTL_REPLY_DATA, CTL_REPLY_OK, CTL_REPLY_ERROR, CTL_REPLY_INVALID };
/* Classify one response line (without '\n'), for the client. DATA: *text is the
 * line without its space. ERROR: *code (copied into code_buf) and *text the message. */
enum ctl_reply ctl_reply_parse(const char *line, const char **text, char *code_buf, size_t code_size);

#endif
