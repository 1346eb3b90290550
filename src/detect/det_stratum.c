/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Stratum v1 detector: newline-delimited JSON-RPC of Bitcoin stratum, ethproxy,
 * EthereumStratum and cryptonote (XMRig) pools, decided by method, params and id. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "det_app.h"
#include "json_scan.h"

/* Complete lines looked at per direction before giving up. */
#define STRATUM_MAX_LINES 4
/* Bytes of a midstream prefix checked for binary (non-JSON) content. */
#define STRATUM_TEXT_PROBE 64

enum dialect { D_BITCOIN, D_ETHPROXY, D_ETHSTRATUM, D_CRYPTONOTE, D_COINHIVE };

static const char *const dialect_names[] = {
	[D_BITCOIN] = "bitcoin",
	[D_ETHPROXY] = "ethproxy",
	[D_ETHSTRATUM] = "ethereumstratum",
	[D_CRYPTONOTE] = "cryptonote",
	[D_COINHIVE] = "coinhive",
};

/* Requests a miner sends; params must be an array. */
static const char *const bitcoin_client[] = {
	"mining.subscribe", "mining.authorize", "mining.configure", "mining.extranonce.subscribe",
	"mining.submit", "mining.get_transactions", "mining.suggest_difficulty",
	"mining.suggest_target", "mining.multi_version", NULL,
};

/* Notifications a pool pushes; params must be an array. */
static const char *const bitcoin_server[] = {
	"mining.notify", "mining.set_difficulty", "mining.set_target", "mining.set_extranonce",
	"mining.set_version_mask", NULL,
};

static const char *const ethproxy_client[] = {
	"eth_submitLogin", "eth_getWork", "eth_submitWork", "eth_submitHashrate", NULL,
};

static bool in_list(const struct json_span *s, const char *const *list)
{
	for (; *list; list++)
		if (json_string_eq(s, *list))
			return true;
	return false;
}

/* Object o has every key in keys (NULL-terminated). */
static bool has_keys(const struct json_span *o, const char *const *keys)
{
	struct json_span v;

	for (; *keys; keys++)
		if (json_object_get(o, *keys, &v) != 1)
			return false;
	return true;
}

static bool has_key(const struct json_span *o, const char *key)
{
	struct json_span v;

	return json_object_get(o, key, &v) == 1;
}

static enum det_result found(struct det_finding *f, enum dialect d, const struct json_span *what,
			     const char *label, const struct json_span *arg, bool confirmed)
{
	char name[48], val[72];

	snprintf(f->dialect, sizeof(f->dialect), "%s", dialect_names[d]);
	if (what && json_string_copy(what, name, sizeof(name)) < 0)
		name[0] = '\0';
	if (!what)
		snprintf(name, sizeof(name), "%s", "reply");
	if (label && arg && json_string_copy(arg, val, sizeof(val)) >= 0)
		snprintf(f->detail, sizeof(f->detail), "%s %s=%s", name, label, val);
	else
		snprintf(f->detail, sizeof(f->detail), "%s", name);
	f->confirmed = f->confirmed || confirmed;
	return DET_MATCH;
}

static enum det_result client_bitcoin(const struct json_rpc *r, struct det_finding *f)
{
	struct json_span el, agent;
	unsigned int i;
	bool has_agent;

	if (r->params.type != JSON_ARRAY || r->id.type == JSON_ABSENT)
		return DET_NO;
	if (!json_string_eq(&r->method, "mining.subscribe"))
		return found(f, D_BITCOIN, &r->method, NULL, NULL, false);
	has_agent = json_array_get(&r->params, 0, &agent) == 1 && agent.type == JSON_STRING;
	/* NiceHash EthereumStratum/1.0.0 names its protocol in the first params. */
	for (i = 0; i < 4 && json_array_get(&r->params, i, &el) == 1; i++)
		if (json_string_prefix(&el, "EthereumStratum/"))
			return found(f, D_ETHSTRATUM, &r->method, "proto", &el, false);
	return found(f, D_BITCOIN, &r->method, has_agent ? "agent" : NULL, &agent, false);
}

static enum det_result client_cryptonote(const struct json_rpc *r, struct det_finding *f)
{
	static const char *const submit_keys[] = { "job_id", "nonce", NULL };
	struct json_span agent;

	if (r->params.type != JSON_OBJECT || r->id.type == JSON_ABSENT)
		return DET_NO;
	if (json_string_eq(&r->method, "login")) {
		if (!has_key(&r->params, "login") ||
		    !(has_key(&r->params, "pass") || has_key(&r->params, "agent") ||
		      has_key(&r->params, "algo")))
			return DET_NO;
		if (json_object_get(&r->params, "agent", &agent) == 1 && agent.type == JSON_STRING)
			return found(f, D_CRYPTONOTE, &r->method, "agent", &agent, false);
		return found(f, D_CRYPTONOTE, &r->method, NULL, NULL, false);
	}
	if (json_string_eq(&r->method, "submit") && has_keys(&r->params, submit_keys))
		return found(f, D_CRYPTONOTE, &r->method, NULL, NULL, false);
	if (json_string_eq(&r->method, "keepalived") && has_key(&r->params, "id"))
		return found(f, D_CRYPTONOTE, &r->method, NULL, NULL, false);
	return DET_NO;
}

/* A cryptonote job object: {"blob": "...", "target": "...", ...}. */
static bool is_job(const struct json_span *o)
{
	struct json_span blob, target;

	return json_object_get(o, "blob", &blob) == 1 && blob.type == JSON_STRING &&
	       json_object_get(o, "target", &target) == 1 && target.type == JSON_STRING;
}

/* Coinhive's browser protocol: {"type": "auth", "params": {"site_key": ...}}. */
static enum det_result coinhive(const struct json_rpc *r, int from, struct det_finding *f)
{
	static const char *const submit_keys[] = { "job_id", "nonce", "result", NULL };
	struct json_span key;

	if (r->params.type != JSON_OBJECT)
		return DET_NO;
	if (from != STRATUM_FROM_SERVER) {
		if (json_string_eq(&r->type, "auth") &&
		    json_object_get(&r->params, "site_key", &key) == 1 && key.type == JSON_STRING)
			return found(f, D_COINHIVE, &r->type, "site_key", &key, false);
		if (json_string_eq(&r->type, "submit") && has_keys(&r->params, submit_keys))
			return found(f, D_COINHIVE, &r->type, NULL, NULL, false);
	}
	if (from != STRATUM_FROM_CLIENT && json_string_eq(&r->type, "job") && is_job(&r->params))
		return found(f, D_COINHIVE, &r->type, NULL, NULL, true);
	return DET_NO;
}

static enum det_result server_msg(const struct json_rpc *r, struct det_finding *f)
{
	struct json_span job;

	if (r->method.type == JSON_STRING) {
		if (in_list(&r->method, bitcoin_server) && r->params.type == JSON_ARRAY)
			return found(f, D_BITCOIN, &r->method, NULL, NULL, true);
		if (json_string_eq(&r->method, "job") && r->params.type == JSON_OBJECT &&
		    is_job(&r->params))
			return found(f, D_CRYPTONOTE, &r->method, NULL, NULL, true);
		return DET_NO;
	}
	/* The login reply of a cryptonote pool carries the first job. */
	if (r->result.type == JSON_OBJECT && json_object_get(&r->result, "job", &job) == 1 &&
	    job.type == JSON_OBJECT && is_job(&job))
		return found(f, D_CRYPTONOTE, NULL, NULL, NULL, true);
	return DET_NO;
}

static enum det_result client_msg(const struct json_rpc *r, struct det_finding *f)
{
	if (r->method.type != JSON_STRING)
		return DET_NO;
	if (in_list(&r->method, bitcoin_client))
		return client_bitcoin(r, f);
	if (json_string_eq(&r->method, "mining.hello")) {
		if (r->params.type != JSON_OBJECT && r->params.type != JSON_ARRAY)
			return DET_NO;
		return found(f, D_ETHSTRATUM, &r->method, NULL, NULL, false);
	}
	if (in_list(&r->method, ethproxy_client)) {
		if (r->id.type == JSON_ABSENT ||
		    (r->params.type != JSON_ARRAY && r->params.type != JSON_ABSENT))
			return DET_NO;
		return found(f, D_ETHPROXY, &r->method, NULL, NULL, false);
	}
	return client_cryptonote(r, f);
}

enum det_result stratum_classify_line(const uint8_t *line, size_t len, int from,
				      struct det_finding *f)
{
	struct json_rpc r;

	if (json_scan_rpc(line, len, &r) < 0)
		return DET_NO;
	if (r.type.type == JSON_STRING && r.method.type == JSON_ABSENT)
		return coinhive(&r, from, f);
	if (from != STRATUM_FROM_SERVER && client_msg(&r, f) == DET_MATCH)
		return DET_MATCH;
	if (from != STRATUM_FROM_CLIENT && server_msg(&r, f) == DET_MATCH)
		return DET_MATCH;
	/* A response to some request: neutral, the next line may tell. */
	if (r.method.type == JSON_ABSENT && r.id.type != JSON_ABSENT &&
	    (r.result.type != JSON_ABSENT || r.error.type != JSON_ABSENT))
		return DET_MORE;
	return DET_NO;
}

static size_t skip_blank(const uint8_t *b, size_t len, size_t pos)
{
	while (pos < len && (b[pos] == ' ' || b[pos] == '\t' || b[pos] == '\r' || b[pos] == '\n'))
		pos++;
	return pos;
}

/* JSON text has no control bytes other than blanks; TLS and other binary
 * protocols almost always do within their first bytes. */
static bool looks_binary(const uint8_t *b, size_t len)
{
	size_t i, n = len < STRATUM_TEXT_PROBE ? len : STRATUM_TEXT_PROBE;

	for (i = 0; i < n; i++)
		if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\r' && b[i] != '\n') || b[i] == 0x7f)
			return true;
	return false;
}

/* Judge one direction's prefix line by line. skip_first: the prefix may start
 * inside a line (midstream), so a bad first line is not held against it. */
static enum det_result scan_lines(const uint8_t *b, size_t len, bool full, int from,
				  bool skip_first, struct det_finding *f)
{
	size_t pos = 0, q;
	unsigned int n;
	const uint8_t *nl;

	if (skip_first) {
		if (looks_binary(b, len))
			return DET_NO;
		pos = skip_blank(b, len, 0);
		if (pos < len && b[pos] != '{') {
			nl = memchr(b, '\n', len);
			if (!nl)
				return full ? DET_NO : DET_MORE;
			pos = (size_t)(nl - b) + 1;
			skip_first = false;
		}
	}
	for (n = 0; n < STRATUM_MAX_LINES; n++) {
		enum det_result r;

		pos = skip_blank(b, len, pos);
		if (pos >= len)
			return full ? DET_NO : DET_MORE;
		if (b[pos] != '{')
			return DET_NO;
		/* Cheap reject before waiting for a whole line: "{" then a key or "}". */
		q = skip_blank(b, len, pos + 1);
		if (q < len && b[q] != '"' && b[q] != '}')
			return DET_NO;
		nl = memchr(b + pos, '\n', len - pos);
		if (!nl)
			return full ? DET_NO : DET_MORE;
		r = stratum_classify_line(b + pos, (size_t)(nl - b) - pos, from, f);
		if (r == DET_MATCH)
			return r;
		if (r == DET_NO && !(skip_first && n == 0))
			return DET_NO;
		pos = (size_t)(nl - b) + 1;
	}
	return DET_NO;
}

/* The pool's first lines confirm a client match (login reply with a job, notify). */
static void confirm(const struct det_stream *s, struct det_finding *out)
{
	struct det_finding tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (s->len[FLOW_REPLY] &&
	    scan_lines(s->data[FLOW_REPLY], s->len[FLOW_REPLY], true, STRATUM_FROM_SERVER, false,
		       &tmp) == DET_MATCH && tmp.confirmed)
		out->confirmed = true;
}

static enum det_result stratum_inspect(const struct det_env *env, const struct det_stream *s,
				       struct det_finding *out)
{
	enum det_result r[2];
	int d;

	if (!s->midstream) {
		if (s->len[FLOW_ORIG] == 0) {
			/* Stratum servers never speak first. */
			size_t p;

			if (s->len[FLOW_REPLY] == 0)
				return DET_MORE;
			p = skip_blank(s->data[FLOW_REPLY], s->len[FLOW_REPLY], 0);
			if (p < s->len[FLOW_REPLY] && s->data[FLOW_REPLY][p] != '{')
				return DET_NO;
			return s->full[FLOW_REPLY] ? DET_NO : DET_MORE;
		}
		r[0] = scan_lines(s->data[FLOW_ORIG], s->len[FLOW_ORIG], s->full[FLOW_ORIG],
				  STRATUM_FROM_CLIENT, false, out);
		if (r[0] == DET_MATCH)
			confirm(s, out);
		return r[0];
	}
	/* Midstream: either side may be first, and the roles may be swapped. */
	for (d = 0; d < 2; d++) {
		r[d] = DET_MORE;
		if (s->len[d] == 0)
			continue;
		r[d] = scan_lines(s->data[d], s->len[d], s->full[d], STRATUM_FROM_ANY, true, out);
		if (r[d] == DET_MATCH)
			return DET_MATCH;
		if (r[d] == DET_NO)
			return DET_NO;
	}
	return DET_MORE;
}

const struct detector det_stratum = {
	.name = "stratum",
	.protos = DET_P_TCP,
	.session = true,
	.inspect = stratum_inspect,
};
