// SPDX-License-Identifier: GPL-2.0-or-later
/* ctl_proto: request tokens, garbage and oversized lines, framing, replies; evring; peers. */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_server.h"
#include "evring.h"
#include "mwstats.h"
#include "unit.h"

static struct ctl_req req;

static int parse(const char *s, const char **why)
{
	*why = NULL;
	return ctl_req_parse(s, strlen(s), &req, why);
}

static void test_tokens(void)
{
	const char *why;

	CHECK(parse("status", &why) == 0);
	CHECK(req.argc == 1 && !req.json);
	CHECK_STR(req.argv[0], "status");
	CHECK(req.argv[1] == NULL);

	CHECK(parse("  events   -f  20 ", &why) == 0);
	CHECK(req.argc == 3);
	CHECK_STR(req.argv[0], "events");
	CHECK_STR(req.argv[1], "-f");
	CHECK_STR(req.argv[2], "20");

	CHECK(parse("json stats", &why) == 0);
	CHECK(req.json && req.argc == 1);
	CHECK_STR(req.argv[0], "stats");
	CHECK(req.argv[1] == NULL);

	/* Only a leading json is the flag; later it is an argument. */
	CHECK(parse("events json", &why) == 0);
	CHECK(!req.json && req.argc == 2);
	CHECK_STR(req.argv[1], "json");

	/* A CR before the newline is allowed (telnet, socat crlf). */
	CHECK(parse("status\r", &why) == 0);
	CHECK(req.argc == 1);
	CHECK_STR(req.argv[0], "status");

	/* No quoting: quotes are ordinary characters. */
	CHECK(parse("a \"b c\"", &why) == 0);
	CHECK(req.argc == 3);
	CHECK_STR(req.argv[1], "\"b");

	/* UTF-8 is printable text. */
	CHECK(parse("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", &why) == 0);
	CHECK(req.argc == 3);
	CHECK_STR(req.argv[1], "\xe2\x82\xac");
}

static void test_garbage(void)
{
	char big[CTL_MAX_LINE + 10];
	const char *why;
	int i;

	CHECK(parse("", &why) == -1);
	CHECK_STR(why, "empty request");
	CHECK(parse("    ", &why) == -1);
	CHECK_STR(why, "empty request");
	CHECK(parse("json", &why) == -1);
	CHECK_STR(why, "empty request");
	CHECK(parse("sta\ttus", &why) == -1);
	CHECK_STR(why, "request must be printable text");
	CHECK(parse("status\x7f", &why) == -1);
	CHECK(parse("\x1b[2J", &why) == -1);
	CHECK(ctl_req_parse("st\0tus", 6, &req, &why) == -1);
	CHECK_STR(why, "request must be printable text");
	/* A CR anywhere but last is a control byte. */
	CHECK(parse("sta\rtus", &why) == -1);
	/* Broken UTF-8: lone continuation, overlong, surrogate, truncated, beyond U+10FFFF, C1. */
	CHECK(parse("\x80", &why) == -1);
	CHECK(parse("\xc0\xaf", &why) == -1);
	CHECK(parse("\xe0\x80\xaf", &why) == -1);
	CHECK(parse("\xed\xa0\x80", &why) == -1);
	CHECK(parse("caf\xc3", &why) == -1);
	CHECK(parse("\xf4\x90\x80\x80", &why) == -1);
	CHECK(parse("\xc2\x85", &why) == -1);
	CHECK(parse("\xff", &why) == -1);

	/* Too many tokens. */
	big[0] = '\0';
	for (i = 0; i < CTL_MAX_ARGS; i++)
		strcat(big, "a ");
	CHECK(parse(big, &why) == 0 && req.argc == CTL_MAX_ARGS);
	strcat(big, "b");
	CHECK(parse(big, &why) == -1);
	CHECK_STR(why, "too many arguments");

	/* Oversized: the longest accepted line is CTL_MAX_LINE - 1 bytes before '\n'. */
	memset(big, 'x', sizeof(big));
	CHECK(ctl_req_parse(big, CTL_MAX_LINE - 1, &req, &why) == 0);
	CHECK(strlen(req.argv[0]) == CTL_MAX_LINE - 1);
	CHECK(ctl_req_parse(big, CTL_MAX_LINE, &req, &why) == -1);
	CHECK_STR(why, "request line too long");
	CHECK(ctl_req_parse(big, sizeof(big), &req, &why) == -1);
}

static char *frame(struct ctl_resp *r, int rc)
{
	char *out = NULL;
	size_t len = 0;

	CHECK(ctl_frame(r, rc, &out, &len) == 0);
	CHECK(out && strlen(out) == len);
	return out;
}

static void test_frame(void)
{
	struct ctl_resp r;
	char *out;

	ctl_resp_init(&r, 1024, false);
	out = frame(&r, 0);
	CHECK_STR(out, "ok\n");
	free(out);

	ctl_resp_printf(&r, "a %d\nok\n", 1);
	ctl_resp_printf(&r, "last");
	out = frame(&r, 0);
	/* A body line that reads "ok" stays a data line. */
	CHECK_STR(out, " a 1\n ok\n last\nok\n");
	free(out);

	CHECK(ctl_resp_error(&r, "usage", "usage: x\nsecond line") == -1);
	out = frame(&r, -1);
	CHECK_STR(out, " a 1\n ok\n last\nerror usage usage: x second line\n");
	free(out);
	ctl_resp_free(&r);

	/* A handler that fails without saying why. */
	ctl_resp_init(&r, 1024, false);
	out = frame(&r, -1);
	CHECK_STR(out, "error failed command failed\n");
	free(out);
	ctl_resp_free(&r);

	/* Past the bound the body is replaced by one error. */
	ctl_resp_init(&r, 16, false);
	CHECK(ctl_resp_printf(&r, "0123456789") == 0);
	CHECK(ctl_resp_printf(&r, "0123456789") == -1);
	CHECK(r.overflow);
	CHECK(ctl_resp_printf(&r, "x") == -1);
	out = frame(&r, 0);
	CHECK_STR(out, "error too-large response exceeds the size limit\n");
	free(out);
	ctl_resp_free(&r);

	/* Following: the body, and no status line. */
	ctl_resp_init(&r, 1024, true);
	ctl_resp_printf(&r, "{\"a\":1}\n");
	ctl_resp_follow(&r, "events");
	out = frame(&r, 0);
	CHECK_STR(out, " {\"a\":1}\n");
	free(out);
	ctl_resp_free(&r);

	/* JSON strings are escaped. */
	ctl_resp_init(&r, 1024, true);
	CHECK(ctl_resp_json_str(&r, "a\"b\\c\nd") == 0);
	CHECK_STR(r.buf, "\"a\\\"b\\\\c\\u000ad\"");
	ctl_resp_free(&r);
}

static void test_reply(void)
{
	const char *text;
	char code[16];

	CHECK(ctl_reply_parse(" data", &text, code, sizeof(code)) == CTL_REPLY_DATA);
	CHECK_STR(text, "data");
	CHECK(ctl_reply_parse(" ", &text, code, sizeof(code)) == CTL_REPLY_DATA);
	CHECK_STR(text, "");
	CHECK(ctl_reply_parse("ok", &text, code, sizeof(code)) == CTL_REPLY_OK);
	CHECK(ctl_reply_parse("error denied permission denied", &text, code, sizeof(code)) ==
	      CTL_REPLY_ERROR);
	CHECK_STR(code, "denied");
	CHECK_STR(text, "permission denied");
	CHECK(ctl_reply_parse("error busy", &text, code, sizeof(code)) == CTL_REPLY_ERROR);
	CHECK_STR(code, "busy");
	CHECK_STR(text, "");
	/* A code longer than the buffer is cut, never overrun. */
	CHECK(ctl_reply_parse("error abcdefghijklmnopqrstuvwxyz msg", &text, code, 8) == CTL_REPLY_ERROR);
	CHECK_STR(code, "abcdefg");
	CHECK(ctl_reply_parse("oK", &text, code, sizeof(code)) == CTL_REPLY_INVALID);
	CHECK(ctl_reply_parse("ok ", &text, code, sizeof(code)) == CTL_REPLY_INVALID);
	CHECK(ctl_reply_parse("error", &text, code, sizeof(code)) == CTL_REPLY_INVALID);
	CHECK(ctl_reply_parse("error  x", &text, code, sizeof(code)) == CTL_REPLY_INVALID);
	CHECK(ctl_reply_parse("", &text, code, sizeof(code)) == CTL_REPLY_INVALID);
}

static void test_ring(void)
{
	struct evring *r = evring_new(3);
	char t[16], j[16];
	int i;

	CHECK(evring_new(0) == NULL);
	CHECK(r && evring_count(r) == 0);
	CHECK(evring_text(r, 0) == NULL);
	for (i = 0; i < 5; i++) {
		snprintf(t, sizeof(t), "t%d", i);
		snprintf(j, sizeof(j), "{\"n\":%d}", i);
		CHECK(evring_push(r, t, j) == 0);
	}
	CHECK(evring_count(r) == 3);
	CHECK_STR(evring_text(r, 0), "t2");
	CHECK_STR(evring_json(r, 0), "{\"n\":2}");
	CHECK_STR(evring_text(r, 2), "t4");
	CHECK_STR(evring_json(r, 2), "{\"n\":4}");
	CHECK(evring_json(r, 3) == NULL);
	evring_free(r);
	evring_free(NULL);
}

static void test_tally(void)
{
	static struct mwstats_tally t;
	char name[16];
	int i;

	mwstats_tally_add(&t, "stratum", "bitcoin");
	mwstats_tally_add(&t, "stratum", "bitcoin");
	mwstats_tally_add(&t, "stratum", "");
	mwstats_tally_add(&t, "dns", NULL);
	CHECK(t.n == 3);
	CHECK_STR(t.e[0].detector, "stratum");
	CHECK_STR(t.e[0].dialect, "bitcoin");
	CHECK(t.e[0].count == 2 && t.e[1].count == 1);
	CHECK_STR(t.e[2].dialect, "");
	/* Long dialects are cut; the table is bounded. */
	mwstats_tally_add(&t, "x", "0123456789012345678901234567890123456789");
	CHECK(strlen(t.e[3].dialect) == MWSTATS_DIALECT_MAX - 1);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		mwstats_tally_add(&t, "stratum", name);
	}
	CHECK(t.n == MWSTATS_MAX_TALLY);
	CHECK(t.other == 100 - (MWSTATS_MAX_TALLY - 4));
}

static void test_peer(void)
{
	CHECK(ctl_peer_allowed(0, 0, 1, (gid_t)-1) == 1);
	CHECK(ctl_peer_allowed(0, 1234, 1, 999) == 1);
	CHECK(ctl_peer_allowed(1000, 1000, 1, (gid_t)-1) == 0);
	CHECK(ctl_peer_allowed(1000, 999, 0, 999) == 1);
	CHECK(ctl_peer_allowed(1000, 1000, 0, 999) == 0);
	/* Supplementary groups come from /proc: our own process, with our own uid. */
	if (geteuid() != 0) {
		gid_t groups[64];
		int n = getgroups(64, groups);

		if (n > 0 && groups[0] != getegid())
			CHECK(ctl_peer_allowed(geteuid(), getegid(), getpid(), groups[0]) == 1);
	}
	/* A pid that is not the peer's user does not count. */
	CHECK(ctl_peer_allowed(12345, 12345, getpid(), 0) == (geteuid() == 12345));
	CHECK(ctl_peer_allowed(12345, 12345, 999999999, 0) == 0);
}

int main(void)
{
	test_tokens();
	test_garbage();
	test_frame();
	test_reply();
	test_ring();
	test_tally();
	test_peer();
	return UNIT_DONE();
}
