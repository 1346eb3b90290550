/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HTTP getwork detector: JSON-RPC mining calls over HTTP POST (getwork,
 * getblocktemplate, Ethereum eth_getWork family) and the X-Mining-Extensions header. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "det_app.h"
#include "http_req.h"
#include "json_scan.h"

/* Bodies larger than this are not mining calls worth waiting for. */
#define GETWORK_MAX_BODY 16384
/* A serialized block is at least an 80-byte header, hex encoded. */
#define GETWORK_MIN_BLOCK_HEX 160

struct getwork_method {
	const char *name;
	const char *dialect;
};

static const struct getwork_method getwork_methods[] = {
	{ "getwork", "getwork" },
	{ "getblocktemplate", "getblocktemplate" },
	{ "eth_getWork", "eth-getwork" },
	{ "eth_submitWork", "eth-getwork" },
	{ "eth_submitHashrate", "eth-getwork" },
	{ "eth_submitLogin", "eth-getwork" },
};

/* submitblock is also what a node operator's tools send, so only a call that
 * carries a whole serialized block counts. */
static bool submitblock_mining(const struct json_rpc *r)
{
	struct json_span blk;

	return json_array_get(&r->params, 0, &blk) == 1 && blk.type == JSON_STRING &&
	       blk.len >= GETWORK_MIN_BLOCK_HEX;
}

/* Judge the JSON-RPC body (an object, or the first call of a batch). 1 mining, 0 not. */
static int body_classify(const uint8_t *b, size_t len, struct det_finding *f)
{
	struct json_span top, first;
	struct json_rpc r;
	char name[40];
	size_t i;

	if (json_scan_value(b, len, &top, NULL) < 0)
		return 0;
	if (top.type == JSON_ARRAY) {
		if (json_array_get(&top, 0, &first) != 1 || first.type != JSON_OBJECT)
			return 0;
		top = first;
	}
	if (top.type != JSON_OBJECT || json_scan_rpc(top.p, top.len, &r) < 0 ||
	    r.method.type != JSON_STRING)
		return 0;
	if (json_string_copy(&r.method, name, sizeof(name)) < 0)
		return 0;
	for (i = 0; i < sizeof(getwork_methods) / sizeof(getwork_methods[0]); i++) {
		if (strcmp(name, getwork_methods[i].name) == 0) {
			snprintf(f->dialect, sizeof(f->dialect), "%s", getwork_methods[i].dialect);
			snprintf(f->detail, sizeof(f->detail), "HTTP POST %s", name);
			return 1;
		}
	}
	if (strcmp(name, "submitblock") == 0 && submitblock_mining(&r)) {
		snprintf(f->dialect, sizeof(f->dialect), "getblocktemplate");
		snprintf(f->detail, sizeof(f->detail), "HTTP POST submitblock");
		return 1;
	}
	return 0;
}

/* Header bytes go to logs: keep them printable. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static enum det_result getwork_inspect(const struct det_env *env, const struct det_stream *s,
				       struct det_finding *out)
{
	const uint8_t *b = s->data[FLOW_ORIG];
	size_t len = s->len[FLOW_ORIG], avail;
	const struct http_header *xme;
	struct http_req req;
	enum http_parse rc;

	/* Wait for the client even when the server spoke first: some pools answer
	 * an idle connection with an HTTP error before cgminer sends its POST. */
	if (len == 0)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	rc = http_req_parse(b, len, &req);
	if (rc == HTTP_INVALID)
		return DET_NO;
	if (rc == HTTP_INCOMPLETE)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;

	/* Only mining software sends this header (cgminer, bfgminer, sgminer). */
	xme = http_req_header(&req, "X-Mining-Extensions");
	if (xme) {
		int vlen = (int)(xme->value_len < 80 ? xme->value_len : 80);
		size_t n;

		/* The header alone decides, but a body on its way names the call:
		 * wait for it (bounded), the pool gets no usable request meanwhile. */
		avail = len - req.body_off;
		if (req.has_content_length && req.content_length > avail &&
		    req.content_length <= GETWORK_MAX_BODY && !s->full[FLOW_ORIG])
			return DET_MORE;
		if (req.has_content_length && req.content_length <= avail &&
		    body_classify(b + req.body_off, (size_t)req.content_length, out)) {
			n = strlen(out->detail);
			snprintf(out->detail + n, sizeof(out->detail) - n,
				 ", X-Mining-Extensions: %.*s", vlen, (const char *)xme->value);
		} else {
			snprintf(out->dialect, sizeof(out->dialect), "getwork");
			snprintf(out->detail, sizeof(out->detail), "X-Mining-Extensions: %.*s",
				 vlen, (const char *)xme->value);
		}
		sanitize(out->detail);
		return DET_MATCH;
	}
	if (req.method_len != 4 || memcmp(req.method, "POST", 4) != 0)
		return DET_NO;
	if (!req.has_content_length || req.content_length == 0 ||
	    req.content_length > GETWORK_MAX_BODY)
		return DET_NO;
	avail = len - req.body_off;
	if (avail < req.content_length)
		return s->full[FLOW_ORIG] ? DET_NO : DET_MORE;
	return body_classify(b + req.body_off, (size_t)req.content_length, out) ? DET_MATCH : DET_NO;
}

const struct detector det_getwork = {
	.name = "getwork",
	.protos = DET_P_TCP,
	.session = true,
	.inspect = getwork_inspect,
};
