// SPDX-License-Identifier: GPL-2.0-or-later
/* What the detectors see of a flow: its streams, or what its proxy tunnels carry. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "engine_int.h"
#include "tunnel.h"

/* Rounds of detectors and tunnel steps on one packet: each tunnel is opened
 * and answered at most once, and one more round judges what is left. */
#define ENGINE_TUNNEL_ROUNDS (2 * TUNNEL_DEPTH_MAX + 2)

/* The detectors' view: the streams as they are now (cut to the innermost
 * tunnel's bytes when there is one). */
static void engine_view(const struct judge *j, struct det_stream *s)
{
	const struct flow *fl = j->fl;
	const struct pkt *p = j->p;

	memset(s, 0, sizeof(*s));
	s->key = tunnel_key(fl);
	s->dir = j->dir;
	s->data[FLOW_ORIG] = flow_stream_data(fl, FLOW_ORIG, &s->len[FLOW_ORIG]);
	s->data[FLOW_REPLY] = flow_stream_data(fl, FLOW_REPLY, &s->len[FLOW_REPLY]);
	s->full[FLOW_ORIG] = fl->stream[FLOW_ORIG].full;
	s->full[FLOW_REPLY] = fl->stream[FLOW_REPLY].full;
	/* Until every proxy on the way said yes, the reply side holds their
	 * answers, not the tunnel's bytes: the detectors see none of it. */
	if (!tunnel_replied(fl)) {
		s->data[FLOW_REPLY] = NULL;
		s->len[FLOW_REPLY] = 0;
		s->full[FLOW_REPLY] = s->full[FLOW_REPLY] || tunnel_reply_lost(fl);
	}
	/* Last look: no more bytes will come (FIN/RST in this direction, or the
	 * flow's budget is spent), so undecided detectors decide on what is here. */
	if (p->tcp_flags & (PKT_TCP_FIN | PKT_TCP_RST))
		s->full[j->dir] = true;
	if (engine_budget_spent(j->e, fl))
		s->full[FLOW_ORIG] = s->full[FLOW_REPLY] = true;
	if (!fl->buf && p->payload_len) {
		/* No reassembly buffer: judge this packet's bytes alone. */
		s->data[j->dir] = p->payload;
		s->len[j->dir] = p->payload_len;
	}
	s->pkt_data = p->payload;
	s->pkt_len = p->payload_len;
	s->midstream = fl->midstream;
}

/* A tunnel the engine does not follow is reported, never passed as clean:
 * one nested deeper than TUNNEL_DEPTH_MAX with the relay's action (no
 * known benign use), one whose request does not end within the flow's
 * budget as an alert (long or slow heads are benign too, and the admin's
 * inspect_bytes and inspect_packets decide). */
static enum detect_outcome engine_tunnel_suspect(struct judge *j, enum tunnel_step st,
						 const char *what, enum detect_outcome out)
{
	int idx = detect_index("relay");
	struct det_finding f;
	int stop;

	if (idx < 0)
		return out;
	memset(&f, 0, sizeof(f));
	if (st == TUNNEL_TOO_DEEP) {
		snprintf(f.dialect, sizeof(f.dialect), "too-deep");
		snprintf(f.detail, sizeof(f.detail), "%.80s inside %u tunnels: not followed", what,
			 TUNNEL_DEPTH_MAX);
	} else {
		snprintf(f.dialect, sizeof(f.dialect), "unseen");
		snprintf(f.detail, sizeof(f.detail),
			 "%.80s: its end is past the flow's inspection budget, the tunnel is not "
			 "judged", what);
		j->alert_only = true;
	}
	j->suspect = true;
	stop = engine_on_match(j, (unsigned int)idx, &f);
	j->suspect = j->alert_only = false;
	return stop ? DETECT_STOPPED : out;
}

enum detect_outcome engine_detect(struct judge *j)
{
	struct engine *e = j->e;
	struct flow *fl = j->fl;
	enum detect_outcome out = DETECT_PENDING;
	bool done[2] = { false, false };
	enum tunnel_step st;
	struct det_stream s;
	unsigned int round;
	char what[128];
	uint32_t seen;

	if (j->p->tcp_flags & (PKT_TCP_FIN | PKT_TCP_RST))
		done[j->dir] = true;
	e->env.now_ms = j->now_ms;
	for (round = 0; round < ENGINE_TUNNEL_ROUNDS; round++) {
		engine_view(j, &s);
		j->inner = tunnel_depth(fl) > 0;
		out = detect_run(&e->env, fl, &s, engine_on_match, j);
		if (out == DETECT_STOPPED || (fl->state == FLOW_BLOCKED && !e->observe))
			return out;
		st = tunnel_step(fl, done, engine_budget_spent(e, fl), what, sizeof(what));
		switch (st) {
		case TUNNEL_NONE:
			return out;
		case TUNNEL_MORE:
			/* Every detector gave up on the handshake, but what it
			 * opens is still to be judged. */
			return out == DETECT_CLEAN ? DETECT_PENDING : out;
		case TUNNEL_OPENED:
			/* As if the target had been dialled: every detector
			 * starts again, with the flow's budget. */
			e->st.tunnels++;
			fl->det_done = engine_det_start(e);
			seen = fl->packets[FLOW_ORIG] + fl->packets[FLOW_REPLY];
			fl->tunnel_pkts = (uint16_t)(seen > UINT16_MAX ? UINT16_MAX : seen);
			break;
		case TUNNEL_REPLIED:
			break;
		case TUNNEL_TOO_DEEP:
		case TUNNEL_UNSEEN:
			j->inner = tunnel_depth(fl) > 0;
			return engine_tunnel_suspect(j, st, what, out);
		}
	}
	/* Not reached with TUNNEL_DEPTH_MAX tunnels opened and answered; if it
	 * were, the bytes as they are now are still judged before the verdict. */
	engine_view(j, &s);
	j->inner = tunnel_depth(fl) > 0;
	return detect_run(&e->env, fl, &s, engine_on_match, j);
}

void engine_tunnel_event(const struct judge *j, unsigned int idx, const struct det_finding *f,
			 struct mw_event *ev, struct engine_names *nm)
{
	const struct flow_key *k = &j->fl->key, *in = tunnel_key(j->fl);
	char a[64];

	pkt_addr_str(k->family, k->addr[1], a, sizeof(a));
	/* The tunnel check's own findings name themselves; a detector's
	 * finding says which detector and dialect were found inside. */
	if (j->suspect)
		snprintf(nm->dialect, sizeof(nm->dialect), "%s", f->dialect);
	else
		snprintf(nm->dialect, sizeof(nm->dialect), "%s%s%.24s", detectors[idx]->name,
			 f->dialect[0] ? "/" : "", f->dialect);
	snprintf(nm->detail, sizeof(nm->detail), k->family == AF_INET6 ? "proxy=[%s]:%u%s%s%s" :
		 "proxy=%s:%u%s%s%s", a, k->port[1], tunnel_chain(j->fl), f->detail[0] ? " " : "",
		 f->detail);
	/* What enforcement may block: the target a nested request names, or
	 * the innermost tunnel's when it is an address; never the proxy. */
	memset(&nm->target, 0, sizeof(nm->target));
	if (f->target.family) {
		nm->target = f->target;
	} else if (in->family) {
		nm->target.family = in->family;
		nm->target.port = in->port[1];
		memcpy(nm->target.addr, in->addr[1], sizeof(nm->target.addr));
	}
	ev->detector = "relay";
	ev->dialect = nm->dialect;
	ev->detail = nm->detail;
	ev->target = nm->target.family ? &nm->target : NULL;
}
