// SPDX-License-Identifier: GPL-2.0-or-later
/* The prober's mining handshakes and the judge of a suspect server's answer. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "det_app.h"
#include "json_scan.h"
#include "probe_reply.h"

/* Lines of an answer looked at; a pool says what it is in its first few. */
#define REPLY_MAX_LINES 8
#define PROBE_AGENT "minewall-probe/1.0"

static const char *const dialect_names[PROBE_N_DIALECTS] = {
	[PROBE_CRYPTONOTE] = "cryptonote",
	[PROBE_BITCOIN] = "bitcoin",
	[PROBE_ETHSTRATUM] = "ethereumstratum",
	[PROBE_ETHPROXY] = "ethproxy",
	[PROBE_GETWORK] = "getwork",
};

const char *probe_dialect_name(enum probe_dialect d)
{
	return (unsigned int)d < PROBE_N_DIALECTS ? dialect_names[d] : "?";
}

int probe_request(enum probe_dialect d, const char *host, char *buf, size_t size)
{
	static const char getwork[] = "{\"id\":1,\"method\":\"getwork\",\"params\":[]}";
	int n = -1;

	switch (d) {
	case PROBE_CRYPTONOTE:
		/* No real wallet: a pool answers with a job or an error about the address. */
		n = snprintf(buf, size, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":"
			     "{\"login\":\"x\",\"pass\":\"x\",\"agent\":\"%s\",\"algo\":[\"rx/0\","
			     "\"cn/r\",\"cn/0\"]}}\n", PROBE_AGENT);
		break;
	case PROBE_BITCOIN:
		n = snprintf(buf, size, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"%s\"]}\n",
			     PROBE_AGENT);
		break;
	case PROBE_ETHSTRATUM:
		n = snprintf(buf, size, "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"%s\","
			     "\"EthereumStratum/1.0.0\"]}\n", PROBE_AGENT);
		break;
	case PROBE_ETHPROXY:
		n = snprintf(buf, size, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitLogin\","
			     "\"params\":[\"0x0000000000000000000000000000000000000000\"],"
			     "\"worker\":\"probe\"}\n"
			     "{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[]}\n");
		break;
	case PROBE_GETWORK:
		n = snprintf(buf, size, "POST / HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
			     "Authorization: Basic eDp4\r\nContent-Type: application/json\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			     host, PROBE_AGENT, sizeof(getwork) - 1, getwork);
		break;
	case PROBE_N_DIALECTS:
		break;
	}
	return n < 0 || (size_t)n >= size ? -1 : n;
}

static void account(char *what, size_t wsize, const char *label, const struct json_span *s)
{
	char val[72];

	if (s && json_string_copy(s, val, sizeof(val)) >= 0)
		snprintf(what, wsize, "%s%s", label, val);
	else
		snprintf(what, wsize, "%s", label);
}

/* Hex digits only, at least min of them. */
static bool hex_string(const struct json_span *s, size_t min)
{
	size_t i;

	if (s->type != JSON_STRING || s->len < min)
		return false;
	for (i = 0; i < s->len; i++)
		if (!((s->p[i] >= '0' && s->p[i] <= '9') || (s->p[i] >= 'a' && s->p[i] <= 'f') ||
		      (s->p[i] >= 'A' && s->p[i] <= 'F')))
			return false;
	return true;
}

static bool has_word(const char *msg, const char *const *words)
{
	size_t n = strlen(msg), k;

	for (; *words; words++)
		for (k = 0; k + strlen(*words) <= n; k++)
			if (strncasecmp(msg + k, *words, strlen(*words)) == 0)
				return true;
	return false;
}

/* Words only a pool's errors use: about the worker, wallet or subscription.
 * A server that does not know the method often names it back ("method
 * eth_submitLogin does not exist"): such an answer is never a pool's. */
static bool pool_error_text(const char *msg)
{
	static const char *const words[] = {
		"worker", "wallet", "address", "miner", "not subscribed", "job not found", NULL,
	};
	static const char *const unknown[] = {
		"method", "not exist", "not found", "not available", "unknown", "unsupported", NULL,
	};

	return has_word(msg, words) && !has_word(msg, unknown);
}

/* An error member: {"code":..,"message":".."} or stratum's [code, "message", ..]. */
static enum probe_verdict error_verdict(const struct json_span *err, char *what, size_t wsize)
{
	struct json_span m, c;
	char msg[80] = "", code[16] = "";
	bool rpc_own;

	if (err->type == JSON_OBJECT && json_object_get(err, "code", &c) == 1 &&
	    c.type == JSON_NUMBER)
		snprintf(code, sizeof(code), "%.*s", (int)(c.len < 15 ? c.len : 15), (const char *)c.p);
	if (err->type == JSON_OBJECT && json_object_get(err, "message", &m) == 1)
		json_string_copy(&m, msg, sizeof(msg));
	else if (err->type == JSON_ARRAY && json_array_get(err, 1, &m) == 1)
		json_string_copy(&m, msg, sizeof(msg));
	else if (err->type == JSON_STRING)
		json_string_copy(err, msg, sizeof(msg));
	/* JSON-RPC's own errors (parse error, invalid request, method not
	 * found) say nothing about mining, whatever their text. */
	rpc_own = strcmp(code, "-32700") == 0 || strcmp(code, "-32600") == 0 ||
		  strcmp(code, "-32601") == 0;
	if (!rpc_own && msg[0] && pool_error_text(msg)) {
		snprintf(what, wsize, "error: %s", msg);
		return PROBE_MINING;
	}
	snprintf(what, wsize, "json-rpc error: %s", msg[0] ? msg : "(no message)");
	return PROBE_NOT_MINING;
}

/* A subscription: [subscriptions, extranonce1, extranonce2_size] (Bitcoin)
 * or [["mining.notify", id, "EthereumStratum/1.0.0"], extranonce] (NiceHash). */
static bool subscription(const struct json_span *res, char *what, size_t wsize,
			 enum probe_dialect *shown)
{
	struct json_span subs, en1, en2, el;

	if (res->type != JSON_ARRAY || json_array_get(res, 0, &subs) != 1 ||
	    json_array_get(res, 1, &en1) != 1 || !hex_string(&en1, 2))
		return false;
	if (subs.type != JSON_ARRAY && subs.type != JSON_NULL)
		return false;
	if (json_array_get(res, 2, &en2) == 1 && en2.type == JSON_NUMBER) {
		account(what, wsize, "subscribe extranonce1=", &en1);
		*shown = PROBE_BITCOIN;
		return true;
	}
	if (subs.type == JSON_ARRAY && json_array_get(&subs, 2, &el) == 1 &&
	    json_string_prefix(&el, "EthereumStratum/")) {
		account(what, wsize, "subscribe EthereumStratum extranonce=", &en1);
		*shown = PROBE_ETHSTRATUM;
		return true;
	}
	return false;
}

/* An ethproxy work package: ["0x<header>", "0x<seed>", "0x<target>", ...]. */
static bool eth_work(const struct json_span *res)
{
	struct json_span el;
	unsigned int i;

	if (res->type != JSON_ARRAY || res->count < 3)
		return false;
	for (i = 0; i < 3; i++)
		if (json_array_get(res, i, &el) != 1 || !json_string_prefix(&el, "0x") ||
		    el.len < 2 + 32)
			return false;
	return true;
}

/* A getwork answer: {"data": "<hex>", "target": "<hex>", ...}. */
static bool getwork_result(const struct json_span *res)
{
	struct json_span data, target;

	return res->type == JSON_OBJECT && json_object_get(res, "data", &data) == 1 &&
	       hex_string(&data, 64) && json_object_get(res, "target", &target) == 1 &&
	       hex_string(&target, 8);
}

/* One JSON line of a Stratum dialect. PROBE_MORE: neutral, read on. */
static enum probe_verdict line_verdict(enum probe_dialect d, const uint8_t *line, size_t len,
				       char *what, size_t wsize, enum probe_dialect *shown)
{
	struct det_finding f;
	struct json_rpc r;

	memset(&f, 0, sizeof(f));
	/* What only a pool sends: notify, set_difficulty, a job. */
	if (stratum_classify_line(line, len, STRATUM_FROM_SERVER, &f) == DET_MATCH && f.confirmed) {
		if (strcmp(f.dialect, "cryptonote") == 0) {
			*shown = PROBE_CRYPTONOTE;
			snprintf(what, wsize, "%s", strcmp(f.detail, "reply") == 0 ?
				 "login result with a job (blob, target)" : "job (blob, target)");
		} else {
			snprintf(what, wsize, "%s %s", f.dialect, f.detail);
		}
		return PROBE_MINING;
	}
	if (json_scan_rpc(line, len, &r) < 0) {
		snprintf(what, wsize, "garbage");
		return PROBE_NOT_MINING;
	}
	if (r.error.type != JSON_ABSENT && r.error.type != JSON_NULL)
		return error_verdict(&r.error, what, wsize);
	if ((d == PROBE_BITCOIN || d == PROBE_ETHSTRATUM) &&
	    subscription(&r.result, what, wsize, shown))
		return PROBE_MINING;
	if (d == PROBE_ETHPROXY && eth_work(&r.result)) {
		snprintf(what, wsize, "eth_getWork work package");
		return PROBE_MINING;
	}
	if (r.method.type == JSON_ABSENT && r.id.type != JSON_ABSENT && r.result.type != JSON_ABSENT) {
		struct json_span en1;

		/* ethproxy's login answer is a bare true: the work package decides. */
		if (d == PROBE_ETHPROXY && r.result.type == JSON_BOOL)
			return PROBE_MORE;
		/* ZCash pools subscribe with [session, nonce1] only: their
		 * set_target or notify follows. */
		if ((d == PROBE_BITCOIN || d == PROBE_ETHSTRATUM) && r.result.type == JSON_ARRAY &&
		    json_array_get(&r.result, 1, &en1) == 1 && hex_string(&en1, 2))
			return PROBE_MORE;
		snprintf(what, wsize, "json-rpc result, not a pool's");
		return PROBE_NOT_MINING;
	}
	/* A request or notification we do not know: read on. */
	return PROBE_MORE;
}

static enum probe_verdict http_verdict(const uint8_t *buf, size_t len, bool eof, char *what,
				       size_t wsize)
{
	const uint8_t *hdr_end;
	struct json_rpc r;
	size_t body;
	unsigned int code = 0, i;

	if (len < 12)
		goto short_;
	for (i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			goto garbage;
		code = code * 10 + (buf[i] - '0');
	}
	hdr_end = memmem(buf, len, "\r\n\r\n", 4);
	if (!hdr_end)
		goto short_;
	body = (size_t)(hdr_end - buf) + 4;
	if (code != 200) {
		snprintf(what, wsize, "http %u", code);
		return PROBE_NOT_MINING;
	}
	while (body < len && (buf[body] == ' ' || buf[body] == '\r' || buf[body] == '\n'))
		body++;
	if (body < len && buf[body] != '{') {
		snprintf(what, wsize, "http 200, not JSON");
		return PROBE_NOT_MINING;
	}
	if (body < len && json_scan_rpc(buf + body, len - body, &r) == 0) {
		if (getwork_result(&r.result)) {
			snprintf(what, wsize, "getwork work (data, target)");
			return PROBE_MINING;
		}
		if (r.error.type != JSON_ABSENT && r.error.type != JSON_NULL)
			return error_verdict(&r.error, what, wsize);
		snprintf(what, wsize, "http 200, not a pool's answer");
		return PROBE_NOT_MINING;
	}
short_:
	if (!eof)
		return PROBE_MORE;
	snprintf(what, wsize, len ? "http, incomplete answer" : "closed");
	return PROBE_NOT_MINING;
garbage:
	snprintf(what, wsize, "garbage");
	return PROBE_NOT_MINING;
}

enum probe_verdict probe_reply_classify(enum probe_dialect d, const uint8_t *buf, size_t len,
					bool eof, char *what, size_t wsize,
					enum probe_dialect *shown)
{
	size_t pos = 0;
	unsigned int n;

	*shown = d;
	while (pos < len && (buf[pos] == ' ' || buf[pos] == '\t' || buf[pos] == '\r' ||
			     buf[pos] == '\n'))
		pos++;
	if (pos == len) {
		if (!eof)
			return PROBE_MORE;
		snprintf(what, wsize, len ? "blank" : "closed");
		return PROBE_NOT_MINING;
	}
	if (len - pos >= 5 && memcmp(buf + pos, "HTTP/", 5) == 0) {
		if (d == PROBE_GETWORK)
			return http_verdict(buf + pos, len - pos, eof, what, wsize);
		snprintf(what, wsize, "http answer");
		return PROBE_NOT_MINING;
	}
	if (d == PROBE_GETWORK) {
		if (len - pos < 5 && memcmp(buf + pos, "HTTP/", len - pos) == 0 && !eof)
			return PROBE_MORE;
		snprintf(what, wsize, "garbage");
		return PROBE_NOT_MINING;
	}
	if (buf[pos] != '{') {
		snprintf(what, wsize, buf[pos] == 0x15 || buf[pos] == 0x16 ? "tls" : "garbage");
		return PROBE_NOT_MINING;
	}
	for (n = 0; n < REPLY_MAX_LINES && pos < len; n++) {
		const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		enum probe_verdict v;

		if (!nl && !eof)
			return PROBE_MORE;
		v = line_verdict(d, buf + pos, end - pos, what, wsize, shown);
		if (v != PROBE_MORE)
			return v;
		pos = end + 1;
		while (pos < len && (buf[pos] == ' ' || buf[pos] == '\r' || buf[pos] == '\n'))
			pos++;
	}
	if (!eof && n < REPLY_MAX_LINES)
		return PROBE_MORE;
	snprintf(what, wsize, "no mining answer");
	return PROBE_NOT_MINING;
}
