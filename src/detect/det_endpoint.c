// SPDX-License-Identifier: GPL-2.0-or-later
/* Known pool endpoints: the flow's server address and port against the endpoint table. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>

#include "det_net.h"
#include "ep_table.h"

/* Decides at the first packet, payload or not (a SYN is enough). The lists'
 * entries never expire; addresses learned from DNS answers do, on the
 * packet's clock. */
static enum det_result endpoint_inspect(const struct det_env *env, const struct det_stream *s,
					struct det_finding *out)
{
	const struct flow_key *k = s->key;
	const struct ep_entry *e;
	char dst[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	char entry[INET6_ADDRSTRLEN + 16];
	int v6 = k->family == AF_INET6;

	const char *source = "list";

	if (k->family != AF_INET && k->family != AF_INET6)
		return DET_NO;
	e = env->pool_endpoints ?
		ep_table_lookup(env->pool_endpoints, k->family, k->addr[1], k->port[1], 0) : NULL;
	if (!e && env->learned) {
		e = ep_table_lookup(env->learned, k->family, k->addr[1], k->port[1],
				    env->now_ms ? env->now_ms : 1);
		source = "learned";
	}
	if (!e)
		return DET_NO;
	if (!inet_ntop(k->family, k->addr[1], dst, sizeof(dst)) ||
	    !inet_ntop(e->family, e->addr, net, sizeof(net)))
		return DET_NO;
	if (e->port)
		snprintf(entry, sizeof(entry), v6 ? "[%s/%u]:%u" : "%s/%u:%u", net, e->plen, e->port);
	else
		snprintf(entry, sizeof(entry), "%s/%u", net, e->plen);
	snprintf(out->dialect, sizeof(out->dialect), "%s", source);
	snprintf(out->detail, sizeof(out->detail), v6 ? "dest=[%s]:%u entry=%s source=%s" :
		 "dest=%s:%u entry=%s source=%s", dst, k->port[1], entry, source);
	return DET_MATCH;
}

const struct detector det_endpoint = {
	.name = "endpoint",
	.protos = DET_P_TCP | DET_P_UDP,
	.inspect = endpoint_inspect,
};
