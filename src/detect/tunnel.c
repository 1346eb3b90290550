// SPDX-License-Identifier: GPL-2.0-or-later
/* Following SOCKS and HTTP CONNECT tunnels: the flow's streams cut to what they carry. */
#include "config.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy_parse.h"
#include "tunnel.h"

/* A target's name in the chain is cut to this many bytes. */
#define TUNNEL_SHOWN_NAME 48

/*
 * In the flow buffer's aux room while fl->tunnel is not 0. Each tunnel's
 * request and answer are dropped from the streams once seen (flow_stream_drop),
 * so the detectors see the tunnel's bytes from their start and the inner
 * stream has the whole buffer again; what the detectors and the reports need
 * of the requests is kept here. The client side runs ahead: it may have
 * opened tunnels whose proxies have not answered yet (replied < depth).
 */
struct tunnel_state {
	uint8_t replied;		/* tunnels whose proxy said yes */
	uint8_t lost;			/* an answer we will never understand */
	uint8_t kind[TUNNEL_DEPTH_MAX];	/* enum proxy_kind of each tunnel, outermost first */
	struct flow_key key;		/* the client and the innermost target */
	char name[PROXY_MAX_NAME + 1];	/* the innermost target's name, or "" */
	char chain[TUNNEL_CHAIN_MAX];
};

_Static_assert(sizeof(struct tunnel_state) <= FLOW_AUX_BYTES, "tunnel state fits flow_aux");
_Static_assert(TUNNEL_DEPTH_MAX <= TUNNEL_DEPTH_MASK, "depth fits fl->tunnel");

static struct tunnel_state *tunnel_state(const struct flow *fl)
{
	return tunnel_depth(fl) ? flow_aux(fl) : NULL;
}

/* Open tunnel depth + 1 for rq: its request leaves the client stream. */
static void tunnel_open(struct flow *fl, unsigned int depth, const struct proxy_request *rq)
{
	struct tunnel_state *ts = flow_aux(fl);
	const struct proxy_target *t = &rq->target;
	char shown[TUNNEL_SHOWN_NAME + 48];
	size_t used, i;

	if (depth == 0) {
		memset(ts, 0, sizeof(*ts));
		ts->key = fl->key;
	}
	ts->kind[depth] = (uint8_t)rq->kind;
	ts->key.family = t->family;
	ts->key.port[1] = t->port;
	memset(ts->key.addr[1], 0, sizeof(ts->key.addr[1]));
	if (t->family)
		memcpy(ts->key.addr[1], t->addr, t->family == AF_INET ? 4 : 16);
	for (i = 0; !t->family && i < t->name_len && i < sizeof(ts->name) - 1; i++)
		ts->name[i] = (t->name[i] > 0x20 && t->name[i] < 0x7f) ? t->name[i] : '?';
	ts->name[i] = '\0';
	proxy_target_str(t, TUNNEL_SHOWN_NAME, shown, sizeof(shown));
	used = strlen(ts->chain);
	snprintf(ts->chain + used, sizeof(ts->chain) - used, " via=%s target=%s",
		 proxy_kind_name(rq->kind), shown);
	flow_stream_drop(fl, FLOW_ORIG, rq->end);
	fl->tunnel = (uint8_t)((fl->tunnel & ~TUNNEL_DEPTH_MASK) | (depth + 1));
}

/* "socks5 to host:port", or "socks5 request" while its target is unknown. */
static void tunnel_what(const struct proxy_request *rq, bool known, char *what, size_t size)
{
	char shown[TUNNEL_SHOWN_NAME + 48];

	if (!what || !size)
		return;
	if (!known) {
		snprintf(what, size, "%s request", proxy_kind_name(rq->kind));
		return;
	}
	proxy_target_str(&rq->target, TUNNEL_SHOWN_NAME, shown, sizeof(shown));
	snprintf(what, size, "%s to %s", proxy_kind_name(rq->kind), shown);
}

/* Whether the server already said something no proxy says before the
 * request is complete: SOCKS4 and HTTP proxies answer only then, a SOCKS5
 * one only its method choice (05 m) and RFC 1929 status before. Such a
 * flow is no tunnel being set up, whatever its first bytes look like. */
static bool tunnel_server_spoke(const struct flow *fl, const struct tunnel_state *ts,
				enum proxy_kind kind)
{
	const uint8_t *r;
	size_t len;

	/* The reply side is still busy with an outer proxy's answer. */
	if (ts && ts->replied < tunnel_depth(fl))
		return false;
	r = flow_stream_data(fl, FLOW_REPLY, &len);
	if (!len)
		return false;
	return kind != PROXY_SOCKS5 || r[0] != 0x05;
}

enum tunnel_step tunnel_step(struct flow *fl, const bool done[2], bool last, char *what,
			     size_t what_size)
{
	unsigned int depth = tunnel_depth(fl);
	struct tunnel_state *ts = tunnel_state(fl);
	struct proxy_request rq;
	const uint8_t *b;
	size_t len, end;
	enum det_result r;

	if (what && what_size)
		what[0] = '\0';
	if ((fl->tunnel & TUNNEL_STOPPED) || !fl->buf || fl->midstream ||
	    fl->key.proto != IPPROTO_TCP)
		return TUNNEL_NONE;

	/* The proxies answer in order, outermost first: each yes leaves the
	 * reply stream, and once every one said yes it carries the tunnel. */
	if (ts && ts->replied < depth && !ts->lost) {
		b = flow_stream_data(fl, FLOW_REPLY, &len);
		r = proxy_reply((enum proxy_kind)ts->kind[ts->replied], b, len, &end);
		if (r == DET_MATCH) {
			flow_stream_drop(fl, FLOW_REPLY, end);
			ts->replied++;
			return TUNNEL_REPLIED;
		}
		if (r == DET_NO || fl->stream[FLOW_REPLY].full || done[FLOW_REPLY])
			ts->lost = 1;
	}

	/* A request at the start of what the client sends (through the
	 * tunnels already open): one more tunnel. */
	b = flow_stream_data(fl, FLOW_ORIG, &len);
	if (len == 0)
		return TUNNEL_NONE;
	r = proxy_request(b, len, fl->stream[FLOW_ORIG].full || done[FLOW_ORIG], &rq);
	if (r == DET_NO)
		return TUNNEL_NONE;
	if (r == DET_MORE || rq.end == 0) {
		if (done[FLOW_ORIG] || tunnel_server_spoke(fl, ts, rq.kind))
			return TUNNEL_NONE;
		/* A request whose end the buffer cannot hold (headers padded past
		 * flows.inspect_bytes), or that is still under way when the
		 * flow's budget ends (sent a byte a packet): what follows it is
		 * never seen. */
		if (fl->stream[FLOW_ORIG].full || last) {
			tunnel_what(&rq, r == DET_MATCH, what, what_size);
			fl->tunnel |= TUNNEL_STOPPED;
			return TUNNEL_UNSEEN;
		}
		return TUNNEL_MORE;
	}
	tunnel_what(&rq, true, what, what_size);
	if (depth >= TUNNEL_DEPTH_MAX) {
		fl->tunnel |= TUNNEL_STOPPED;
		return TUNNEL_TOO_DEEP;
	}
	tunnel_open(fl, depth, &rq);
	return TUNNEL_OPENED;
}

const struct flow_key *tunnel_key(const struct flow *fl)
{
	const struct tunnel_state *ts = tunnel_state(fl);

	return ts ? &ts->key : &fl->key;
}

bool tunnel_replied(const struct flow *fl)
{
	const struct tunnel_state *ts = tunnel_state(fl);

	return !ts || ts->replied >= tunnel_depth(fl);
}

bool tunnel_reply_lost(const struct flow *fl)
{
	const struct tunnel_state *ts = tunnel_state(fl);

	return ts && ts->lost;
}

const char *tunnel_chain(const struct flow *fl)
{
	const struct tunnel_state *ts = tunnel_state(fl);

	return ts ? ts->chain : "";
}

const char *tunnel_name(const struct flow *fl)
{
	const struct tunnel_state *ts = tunnel_state(fl);

	return ts ? ts->name : "";
}
