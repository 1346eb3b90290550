/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the bounded JSON scanner. */
#include "config.h"

#include <stdlib.h>

#include "json_scan.h"
#include "unit.h"

/* Scan a literal from an exact-size heap copy (no terminator to lean on); the
 * copy lives until the next call because the spans point into it. */
static int rpc(const char *s, struct json_rpc *r)
{
	static uint8_t *b;
	size_t n = strlen(s);

	free(b);
	b = malloc(n ? n : 1);
	memcpy(b, s, n);
	return json_scan_rpc(b, n, r);
}

static int valid(const char *s)
{
	struct json_span v;
	size_t end;

	return json_scan_value((const uint8_t *)s, strlen(s), &v, &end) == 0 && end == strlen(s);
}

static void test_rpc_members(void)
{
	static const char line[] =
		"{\"id\": 0, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/3.7.2\"]}";
	struct json_rpc r;
	struct json_span el;
	char buf[32];

	CHECK(json_scan_rpc((const uint8_t *)line, sizeof(line) - 1, &r) == 0);
	CHECK(r.n_members == 3);
	CHECK(r.method.type == JSON_STRING);
	CHECK(json_string_eq(&r.method, "mining.subscribe"));
	CHECK(!json_string_eq(&r.method, "mining.sub"));
	CHECK(json_string_prefix(&r.method, "mining."));
	CHECK(r.id.type == JSON_NUMBER && r.id.len == 1 && r.id.p[0] == '0');
	CHECK(r.params.type == JSON_ARRAY && r.params.count == 1);
	CHECK(json_array_get(&r.params, 0, &el) == 1);
	CHECK(json_string_copy(&el, buf, sizeof(buf)) == 13);
	CHECK_STR(buf, "cgminer/3.7.2");
	CHECK(json_array_get(&r.params, 1, &el) == 0);
	CHECK(json_object_get(&r.params, "x", &el) == -1);
	CHECK(r.result.type == JSON_ABSENT && r.error.type == JSON_ABSENT);
}

static void test_objects(void)
{
	static const char line[] =
		"{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":{\"id\":\"1\",\"job\":{\"blob\":\"0405\","
		"\"job_id\":\"6774\",\"target\":\"69ba0000\"},\"status\":\"OK\"},\"error\":null}\n";
	struct json_rpc r;
	struct json_span job, v, k;

	CHECK(rpc(line, &r) == 0);
	CHECK(r.method.type == JSON_ABSENT);
	CHECK(r.error.type == JSON_NULL);
	CHECK(r.jsonrpc.type == JSON_STRING && json_string_eq(&r.jsonrpc, "2.0"));
	CHECK(r.result.type == JSON_OBJECT && r.result.count == 3);
	CHECK(json_object_get(&r.result, "job", &job) == 1 && job.type == JSON_OBJECT);
	CHECK(job.count == 3);
	CHECK(json_object_get(&job, "target", &v) == 1 && json_string_eq(&v, "69ba0000"));
	CHECK(json_object_get(&job, "nonce", &v) == 0);
	CHECK(json_object_key(&job, 1, &k) == 1 && json_string_eq(&k, "job_id"));
	CHECK(json_object_key(&job, 3, &k) == 0);
	CHECK(json_array_get(&job, 0, &v) == -1);
}

static void test_escapes(void)
{
	struct json_rpc r;
	char buf[16];
	char small[4];

	CHECK(rpc("{\"method\":\"mi\\u006eing.notify\",\"params\":[\"a\\\"b\\\\c\\/\"]}", &r) == 0);
	CHECK(json_string_eq(&r.method, "mining.notify"));
	CHECK(rpc("{\"method\":\"x\\u00e9\\n\"}", &r) == 0);
	CHECK(json_string_copy(&r.method, buf, sizeof(buf)) == 3);
	CHECK_STR(buf, "x??");	/* non-ASCII and control characters are masked */
	CHECK(json_string_copy(&r.method, small, sizeof(small)) == 3);
	CHECK(rpc("{\"method\":\"abcdef\"}", &r) == 0);
	CHECK(json_string_copy(&r.method, small, sizeof(small)) == 6);
	CHECK_STR(small, "abc");
	/* First occurrence wins. */
	CHECK(rpc("{\"method\":\"a\",\"method\":\"b\"}", &r) == 0 && json_string_eq(&r.method, "a"));
}

static void test_malformed(void)
{
	struct json_rpc r;
	char deep[64];
	int i;

	CHECK(rpc("", &r) == -1);
	CHECK(rpc("{", &r) == -1);
	CHECK(rpc("{\"id\":1", &r) == -1);
	CHECK(rpc("{\"id\":1}}", &r) == -1);			/* trailing garbage */
	CHECK(rpc("{\"id\":1} x", &r) == -1);
	CHECK(rpc("[1,2]", &r) == -1);				/* not an object */
	CHECK(rpc("{\"id\":1,}", &r) == -1);			/* trailing comma */
	CHECK(rpc("{\"id\" 1}", &r) == -1);
	CHECK(rpc("{id:1}", &r) == -1);
	CHECK(rpc("{\"a\":\"\\x\"}", &r) == -1);		/* bad escape */
	CHECK(rpc("{\"a\":\"\\u12g4\"}", &r) == -1);		/* bad \u */
	CHECK(rpc("{\"a\":\"\\u12\"}", &r) == -1);		/* short \u at the end */
	CHECK(rpc("{\"a\":\"tab\there\"}", &r) == -1);		/* raw control char */
	CHECK(rpc("{\"a\":\"open}", &r) == -1);
	CHECK(rpc("{\"a\":tru}", &r) == -1);
	CHECK(rpc("{\"a\":01}", &r) == -1);
	CHECK(rpc("{\"a\":1.}", &r) == -1);
	CHECK(rpc("{\"a\":-}", &r) == -1);
	CHECK(rpc("{\"a\":[1,2}", &r) == -1);
	CHECK(rpc("{\"a\":1e}", &r) == -1);
	CHECK(valid("-0.5e+10"));
	CHECK(valid("[true,false,null,\"\",{}]"));
	CHECK(valid(" {}"));
	CHECK(!valid(" {} "));	/* end stops right after the value */
	CHECK(!valid("nul"));
	/* Depth 16 is allowed, 17 is not. */
	for (i = 0; i < 16; i++)
		deep[i] = '[';
	for (i = 0; i < 16; i++)
		deep[16 + i] = ']';
	deep[32] = '\0';
	CHECK(valid(deep));
	memmove(deep + 1, deep, 33);
	deep[0] = '[';
	deep[33] = ']';
	deep[34] = '\0';
	CHECK(!valid(deep));
}

int main(void)
{
	test_rpc_members();
	test_objects();
	test_escapes();
	test_malformed();
	return UNIT_DONE();
}
