// SPDX-License-Identifier: GPL-2.0-or-later
/* Relay detector: HTTP CONNECT and SOCKS4/4a/5 requests whose target is a
 * known pool (listed address or address:port, listed domain, or listed pool port). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "det_app.h"
#include "domain_set.h"
#include "ep_table.h"
#include "proxy_parse.h"

/* Which evidence counts: a listed endpoint (address, CIDR or address:port), a
 * listed domain, or a listed pool port. A pool port alone counts because a
 * proxy tunnel to 3333/4444/14444 is what a miner behind a proxy does, and the
 * port list is the admin's. Whatever the target, the tunnel's bytes are
 * judged too once it opens (tunnel.c). */
static enum det_result judge(const struct det_env *env, const struct proxy_target *t,
			     const char *dialect, struct det_finding *out)
{
	char shown[PROXY_MAX_NAME + 16], matched[PROXY_MAX_NAME + 1];
	const char *why = NULL;
	size_t i;

	if (t->family && env->pool_endpoints &&
	    ep_table_lookup(env->pool_endpoints, t->family, t->addr, t->port, 0))
		why = "pool endpoint";
	else if (t->family && env->learned &&
		 ep_table_lookup(env->learned, t->family, t->addr, t->port, env->now_ms ? env->now_ms : 1))
		why = "pool address learned from DNS";
	else if (!t->family && t->name_len && env->pool_domains &&
		 domain_set_match(env->pool_domains, t->name, t->name_len, matched, sizeof(matched)) == 1)
		why = "pool domain";
	else if (det_port_listed(env, t->port))
		why = "pool port";
	if (!why)
		return DET_NO;
	snprintf(out->dialect, sizeof(out->dialect), "%s", dialect);
	if (!t->family) {
		for (i = 0; i < t->name_len && i < sizeof(out->name) - 1; i++)
			out->name[i] = (t->name[i] > 0x20 && t->name[i] < 0x7f) ? t->name[i] : '?';
		out->name[i] = '\0';
	} else {
		/* The pool's own address: what enforcement blocks (never the proxy). */
		out->target.family = t->family;
		out->target.port = t->port;
		memcpy(out->target.addr, t->addr, sizeof(out->target.addr));
	}
	proxy_target_str(t, 100, shown, sizeof(shown));
	snprintf(out->detail, sizeof(out->detail), "%s to %.120s (%s)", dialect, shown, why);
	return DET_MATCH;
}

static enum det_result proxy_inspect(const struct det_env *env, const struct det_stream *s,
				     struct det_finding *out)
{
	const uint8_t *b = s->data[FLOW_ORIG], *r = s->data[FLOW_REPLY];
	size_t len = s->len[FLOW_ORIG], rlen = s->len[FLOW_REPLY];
	struct proxy_request rq;
	enum det_result res;

	/* A tunnel is set up by the first bytes; midstream we cannot see them. */
	if (s->midstream)
		return DET_NO;
	if (len == 0)
		return rlen ? DET_NO : DET_MORE;
	res = proxy_request(b, len, s->full[FLOW_ORIG], &rq);
	/* A SOCKS5 server that refused every method, or answered something
	 * else, carries no tunnel. */
	if (b[0] == 0x05 && len >= 2 && b[1] != 0 && res != DET_NO &&
	    ((rlen >= 1 && r[0] != 0x05) || (rlen >= 2 && r[1] == 0xff)))
		return DET_NO;
	if (res != DET_MATCH)
		return res;
	return judge(env, &rq.target, proxy_kind_name(rq.kind), out);
}

const struct detector det_proxy = {
	.name = "relay",
	.protos = DET_P_TCP,
	.inspect = proxy_inspect,
};
