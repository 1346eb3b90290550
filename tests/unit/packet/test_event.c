// SPDX-License-Identifier: GPL-2.0-or-later
/* Event JSON: string escaping, exact buffer bounds, one whole mining event. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "event.h"
#include "unit.h"

/* event_json_string into the first size bytes of buf (at least 16, all 'X'
 * before), starting at pos. */
static int jstr(char *buf, size_t size, size_t *pos, const char *s)
{
	memset(buf, 'X', 16);
	return event_json_string(buf, size, pos, s);
}

int main(void)
{
	char buf[512];
	size_t pos;
	struct flow_key k = { .family = AF_INET, .proto = IPPROTO_TCP, .port = { 40000, 3333 } };
	struct mw_event ev = {
		.type = EVENT_MINING,
		.ts = { 1536681131, 55764 },
		.key = &k,
		.detector = "stratum",
		.dialect = "bitcoin",
		.detail = "method=mining.subscribe agent=\"cg\\miner\"\n",
		.action = ACT_REJECT,
		.confirmed = true,
	};

	/* Fractions out of range carry into the seconds; the years stay 0001-9999. */
	{
		struct timeval tv = { 1536681139, 1000000 };

		event_timestamp(buf, sizeof(buf), &tv);
		CHECK_STR(buf, "2018-09-11T15:52:20.000000+0000");
		tv.tv_sec = 1536681139;
		tv.tv_usec = -1;
		event_timestamp(buf, sizeof(buf), &tv);
		CHECK_STR(buf, "2018-09-11T15:52:18.999999+0000");
		tv.tv_sec = 0;
		tv.tv_usec = 0x7fffffff;
		event_timestamp(buf, sizeof(buf), &tv);
		CHECK_STR(buf, "1970-01-01T00:35:47.483647+0000");
		tv.tv_sec = (time_t)1 << 40;
		tv.tv_usec = 0;
		event_timestamp(buf, sizeof(buf), &tv);
		CHECK_STR(buf, "9999-12-31T23:59:59.999999+0000");
	}

	/* Quotes and backslashes escaped, control and non-ASCII bytes as \u00XX. */
	pos = 0;
	CHECK(jstr(buf, sizeof(buf), &pos, "a\"b\\c\n\x01\x7f\xe9z") == 0);
	CHECK_STR(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00e9z\"");
	CHECK(pos == strlen(buf));
	pos = 0;
	CHECK(jstr(buf, sizeof(buf), &pos, "") == 0);
	CHECK_STR(buf, "\"\"");
	CHECK(pos == 2);

	/* Appends at pos. */
	memcpy(buf, "ab", 2);
	pos = 2;
	CHECK(event_json_string(buf, sizeof(buf), &pos, "c") == 0);
	CHECK_STR(buf, "ab\"c\"");
	CHECK(pos == 5);

	/* Bounds: "abc" needs 5 bytes and a NUL. */
	pos = 0;
	CHECK(jstr(buf, 6, &pos, "abc") == 0);
	CHECK_STR(buf, "\"abc\"");
	pos = 0;
	CHECK(jstr(buf, 5, &pos, "abc") == -1);
	CHECK(buf[5] == 'X');
	/* An escape that does not fit whole fails; nothing is written past size. */
	pos = 0;
	CHECK(jstr(buf, 9, &pos, "\x01") == 0);
	CHECK_STR(buf, "\"\\u0001\"");
	pos = 0;
	CHECK(jstr(buf, 8, &pos, "\x01") == -1);
	CHECK(buf[8] == 'X');
	pos = 0;
	CHECK(jstr(buf, 3, &pos, "\"") == -1);
	CHECK(buf[3] == 'X');
	pos = 3;
	CHECK(jstr(buf, 3, &pos, "a") == -1);
	pos = 2;
	CHECK(jstr(buf, 3, &pos, "") == -1);

	/* A whole event, in EVE field names. */
	inet_pton(AF_INET, "198.51.100.2", k.addr[0]);
	inet_pton(AF_INET, "203.0.113.2", k.addr[1]);
	CHECK(event_format_json(buf, sizeof(buf), &ev) > 0);
	CHECK_STR(buf, "{\"timestamp\":\"2018-09-11T15:52:11.055764+0000\",\"event_type\":\"mining\","
		  "\"src_ip\":\"198.51.100.2\",\"src_port\":40000,\"dest_ip\":\"203.0.113.2\","
		  "\"dest_port\":3333,\"proto\":\"TCP\",\"detector\":\"stratum\",\"dialect\":\"bitcoin\","
		  "\"detail\":\"method=mining.subscribe agent=\\\"cg\\\\miner\\\"\\u000a\","
		  "\"action\":\"reject\",\"confirmed\":true}");
	/* Too small a buffer fails whole. */
	CHECK(event_format_json(buf, 200, &ev) == -1);
	return UNIT_DONE();
}
