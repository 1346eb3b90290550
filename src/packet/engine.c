// SPDX-License-Identifier: GPL-2.0-or-later
/* The packet path: pkt -> flow -> detectors -> verdict. Read it top to bottom. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "detect.h"
#include "domain_set.h"
#include "engine_int.h"
#include "ep_table.h"
#include "log.h"
#include "pkt.h"
#include "pool_domains.h"
#include "relay_track.h"
#include "synlog.h"
#include "tunnel.h"
#include "verdict.h"

/* Learned addresses live at least this long, whatever the answer's TTL said,
 * so a miner that connects a minute after its lookup is still caught. */
#define LEARNED_TTL_MIN_S 600
#define LEARNED_TTL_MAX_S 86400
#define LEARNED_TAG_DNS 2
/* Relay correlation: hosts remembered, and how long one leg counts. */
#define RELAY_HOSTS 16384
#define RELAY_WINDOW_MS (3600u * 1000u)

static void engine_apply_conf(struct engine *e, const struct mw_conf *c, const struct pool_lists *l)
{
	e->conf = c;
	e->lists = l;
	e->env.pool_domains = e->pdom ? e->pdom->set : l->domains;
	e->env.pool_endpoints = l->endpoints;
	e->env.pool_ports = l->ports;
	e->env.learned = e->learned;
	e->pol.mark_mask = c->mark_mask;
	e->pol.fail_open = c->fail_open;
}

struct engine *engine_new(const struct mw_conf *c, const struct pool_lists *lists,
			  engine_event_cb on_event, void *arg)
{
	return engine_new_part(c, lists, 1, on_event, arg);
}

/* flows.max and flows.buffers are totals: each of `parts` engines gets its share. */
static uint32_t engine_share(uint32_t total, unsigned int parts, uint32_t floor)
{
	uint32_t n = parts > 1 ? total / parts : total;

	return n < floor ? (total < floor ? total : floor) : n;
}

struct engine *engine_new_part(const struct mw_conf *c, const struct pool_lists *lists,
			       unsigned int parts, engine_event_cb on_event, void *arg)
{
	struct flow_table_cfg fc = {
		.max_flows = engine_share(c->max_flows, parts, 1024),
		.max_buffers = engine_share(c->max_buffers, parts, 64),
		.inspect_bytes = c->inspect_bytes,
		.idle_timeout_ms = c->idle_timeout * 1000u,
	};
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->flows = flow_table_new(&fc);
	e->learned = ep_table_new();
	e->relays = relay_track_new(RELAY_HOSTS, RELAY_WINDOW_MS);
	e->relays_owned = true;
	if (!e->flows || !e->learned || !e->relays) {
		engine_free(e);
		return NULL;
	}
	e->on_event = on_event;
	e->event_arg = arg;
	engine_apply_conf(e, c, lists);
	return e;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->flows)
		flow_table_free(e->flows);
	ep_table_free(e->learned);
	if (e->relays_owned)
		relay_track_free(e->relays);
	free(e);
}

void engine_share_relays(struct engine *e, const struct engine *owner)
{
	if (e->relays_owned)
		relay_track_free(e->relays);
	e->relays = owner->relays;
	e->relays_owned = false;
}

void engine_set_allow(struct engine *e, const struct ep_table *allow,
		      const struct domain_set *allow_names)
{
	e->allow = allow;
	e->allow_names = allow_names;
}

void engine_set_pool_domains(struct engine *e, const struct pool_domains *pd)
{
	e->pdom = pd;
	e->env.pool_domains = pd ? pd->set : e->lists->domains;
}

void engine_set_learn_cb(struct engine *e, engine_learn_cb cb, void *arg)
{
	e->on_learn = cb;
	e->learn_arg = arg;
}

void engine_set_synlog(struct engine *e, struct synlog *sl)
{
	e->syns = sl;
}

void engine_set_learn_only(struct engine *e, bool learn_only)
{
	e->learn_only = learn_only;
}

void engine_set_observe(struct engine *e, bool observe)
{
	e->observe = observe;
}

void engine_reconfigure(struct engine *e, const struct mw_conf *c, const struct pool_lists *lists)
{
	engine_apply_conf(e, c, lists);
}

static uint32_t engine_all_detectors(void)
{
	return n_detectors >= 32 ? UINT32_MAX : (1u << n_detectors) - 1;
}

/* Detectors whose findings can teach addresses (bit mask). */
static uint32_t engine_teachers(void)
{
	uint32_t m = 0;
	unsigned int i;

	for (i = 0; i < n_detectors; i++)
		if (detectors[i]->teaches)
			m |= 1u << i;
	return m;
}

uint32_t engine_det_start(const struct engine *e)
{
	/* A look-ahead pass asks only the detectors that can teach addresses. */
	return e->learn_only ? engine_all_detectors() & ~engine_teachers() : 0;
}

/* Detectors still asking about this flow that watch whole flows (bit mask). */
static uint32_t engine_whole_flow_pending(const struct flow *fl)
{
	uint32_t m = 0;
	unsigned int i;

	for (i = 0; i < n_detectors; i++)
		if (detectors[i]->whole_flow && !(fl->det_done & (1u << i)))
			m |= 1u << i;
	return m;
}

static enum conf_action engine_action_for(const struct engine *e, unsigned int idx)
{
	int ci = conf_detector_index(detectors[idx]->name);

	return ci < 0 ? ACT_ALERT : e->conf->action[ci];
}

int engine_add_learned(struct engine *e, const struct det_learned *l, uint64_t now_ms)
{
	uint32_t ttl = l->ttl < LEARNED_TTL_MIN_S ? LEARNED_TTL_MIN_S :
		       l->ttl > LEARNED_TTL_MAX_S ? LEARNED_TTL_MAX_S : l->ttl;
	struct ep_entry ent = {
		.family = l->family,
		.plen = l->family == AF_INET ? 32 : 128,
		.expires_ms = now_ms + (uint64_t)ttl * 1000u,
		.tag = LEARNED_TAG_DNS,
	};

	memcpy(ent.addr, l->addr, sizeof(ent.addr));
	return ep_table_add(e->learned, &ent) < 0 ? -1 : 0;
}

static void engine_learn(struct judge *j, const struct det_finding *f)
{
	unsigned int i;

	/* An allowlisted name teaches nothing to block. */
	if (f->name[0] && j->e->allow_names &&
	    domain_set_match(j->e->allow_names, f->name, strlen(f->name), NULL, 0))
		return;
	for (i = 0; i < f->n_learned && i < DET_MAX_LEARNED; i++) {
		const struct det_learned *l = &f->learned[i];

		if (j->e->allow && ep_table_lookup(j->e->allow, l->family, l->addr, 0, 0))
			continue;
		if (engine_add_learned(j->e, l, j->now_ms) == 0)
			j->e->st.learned++;
		if (j->e->on_learn)
			j->e->on_learn(j->e->learn_arg, l, 1);
	}
}

static void engine_report(struct judge *j, unsigned int idx, const struct det_finding *f,
			  enum conf_action act, bool allowlisted, uint32_t dom_tag)
{
	char src[8 + (POOL_DOM_SOURCES_SHOWN + 1) * POOL_DOM_SOURCE_MAX];
	struct engine_names nm;
	struct mw_event ev = {
		.type = f->suspect ? EVENT_SUSPECT : EVENT_MINING,
		.ts = *j->ts,
		.key = &j->fl->key,
		.detector = detectors[idx]->name,
		.dialect = f->dialect,
		.detail = f->detail,
		.action = act,
		.confirmed = f->confirmed,
		.allowlisted = allowlisted,
		.learned = f->n_learned,
		.learned_addrs = f->learned,
		.target = f->target.family ? &f->target : NULL,
		.inbound = j->inbound,
	};
	size_t n;

	/* Inside a tunnel it is the relay's finding, named after the proxy. */
	if (j->inner) {
		engine_tunnel_event(j, idx, f, &ev, &nm);
		idx = (unsigned int)detect_index("relay");
	}
	/* A name a feed lists says which feeds (and whether the lists too):
	 * a list-only name reads as it always did. */
	if (dom_tag & POOL_DOM_FEEDS) {
		pool_domains_source(j->e->pdom, dom_tag, src, sizeof(src));
		if (ev.detail != nm.detail)
			snprintf(nm.detail, sizeof(nm.detail), "%s", f->detail);
		n = strlen(nm.detail);
		snprintf(nm.detail + n, sizeof(nm.detail) - n, "%ssource=%s", n ? " " : "", src);
		ev.detail = nm.detail;
	}
	if (f->suspect) {
		j->e->st.suspects++;
	} else {
		j->e->st.detections++;
		if (idx < sizeof(j->e->st.detections_by) / sizeof(j->e->st.detections_by[0]))
			j->e->st.detections_by[idx]++;
	}
	if (j->e->on_event)
		j->e->on_event(j->e->event_arg, &ev);
}

static int engine_host_str(const struct relay_host *h, char *buf, size_t size)
{
	char a[64];

	pkt_addr_str(h->family, h->addr, a, sizeof(a));
	return snprintf(buf, size, h->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, h->port);
}

/* Both legs of a relay seen: a host accepts mining connections and opens
 * its own. Reported on the flow that completed the picture. */
static void engine_relay_check(struct judge *j)
{
	const struct flow_key *k = &j->fl->key;
	struct relay_host c = { .family = k->family, .port = k->port[0] };
	struct relay_host s = { .family = k->family, .port = k->port[1] };
	struct relay_finding rf;
	char relay[80], in[80], out[80], detail[300];
	struct mw_event ev = {
		.type = EVENT_MINING, .ts = *j->ts, .key = k, .detector = "relay",
		.dialect = "mining-relay", .detail = detail, .action = ACT_ALERT,
		.inbound = j->inbound,
	};

	memcpy(c.addr, k->addr[0], 16);
	memcpy(s.addr, k->addr[1], 16);
	if (!relay_track_note(j->e->relays, &c, &s, j->now_ms, &rf))
		return;
	engine_host_str(&rf.relay, relay, sizeof(relay));
	engine_host_str(&rf.inbound, in, sizeof(in));
	engine_host_str(&rf.outbound, out, sizeof(out));
	snprintf(detail, sizeof(detail), "relay=%s inbound_from=%s outbound_to=%s", relay, in, out);
	j->e->st.relays++;
	if (j->e->on_event)
		j->e->on_event(j->e->event_arg, &ev);
}

/* Whether the flow's destination, or the name the finding concerns, is
 * allowlisted. Inside a tunnel the destination is the tunnel's target: an
 * allowlisted proxy does not make what it carries harmless. */
static bool engine_allowlisted(const struct engine *e, const struct flow_key *k,
			       const struct det_finding *f)
{
	if (e->allow && ep_table_lookup(e->allow, k->family, k->addr[1], k->port[1], 0))
		return true;
	return f->name[0] && e->allow_names &&
	       domain_set_match(e->allow_names, f->name, strlen(f->name), NULL, 0);
}

/* The tag of the pool domain the finding's name matched (0: none, or no
 * feed domains in use, so only the lists' meaning applies). */
static uint32_t engine_domain_tag(const struct engine *e, const struct det_finding *f)
{
	uint32_t tag = 0;

	if (!e->pdom || !f->name[0] ||
	    !domain_set_match_tag(e->pdom->set, f->name, strnlen(f->name, sizeof(f->name)), NULL, 0,
				  &tag))
		return 0;
	return tag;
}

/* A detector matched. Report it once per flow and detector, then act.
 * Inside a tunnel the detector's own action applies, as if the client had
 * dialled the target; the finding is reported as the relay's. */
int engine_on_match(void *arg, unsigned int idx, const struct det_finding *f)
{
	struct judge *j = arg;
	struct det_finding named;
	enum conf_action act = j->alert_only ? ACT_ALERT : engine_action_for(j->e, idx);
	uint32_t bit = 1u << idx, dom_tag;
	bool allowlisted = false, alert_only;
	int stop = 0;

	/* What a tunnel to a name carries concerns that name. */
	if (j->inner && !f->name[0] && tunnel_name(j->fl)[0]) {
		named = *f;
		snprintf(named.name, sizeof(named.name), "%s", tunnel_name(j->fl));
		f = &named;
	}
	dom_tag = engine_domain_tag(j->e, f);
	alert_only = dom_tag && !(dom_tag & POOL_DOM_BLOCK);
	/* The allowlist is checked before anything is blocked; the event says
	 * it overrode the detection. A suspect's says so too: the prober
	 * leaves allowlisted destinations alone. */
	if ((act != ACT_ALERT || f->suspect) &&
	    engine_allowlisted(j->e, j->inner ? tunnel_key(j->fl) : &j->fl->key, f)) {
		act = ACT_ALERT;
		allowlisted = true;
	}
	/* A name only alert (or uncorroborated) feeds list is reported, not
	 * blocked, and teaches no address to block. So is what a flow opened
	 * from outside carries: the protected host answering it is no pool,
	 * and what it tells the relay tracker is the relay's inbound leg. */
	if (alert_only || j->inbound)
		act = ACT_ALERT;
	else
		engine_learn(j, f);
	if (!(j->fl->det_matched & bit) || j->suspect) {
		j->fl->det_matched |= bit;
		engine_report(j, idx, f, act, allowlisted, dom_tag);
		if (detectors[idx]->session)
			engine_relay_check(j);
	}
	if (j->fl->state != FLOW_BLOCKED) {
		if (act == ACT_ALERT)
			return 0;
		j->fl->state = FLOW_BLOCKED;
		j->fl->action = (uint8_t)act;
		j->blocked = true;
		verdict_action(&j->e->pol, act, j->mark, j->v);
		/* Live, a blocked flow is over. A capture goes on, and every
		 * detector that recognises it is worth reporting. */
		stop = !j->e->observe;
	}
	/* Observing a blocked flow, this detector matching again could only
	 * repeat itself (a flow is reported once per detector), unless it
	 * teaches addresses: rescanning the stream on each packet is waste. */
	if (!detectors[idx]->teaches)
		j->fl->det_done |= bit;
	return stop;
}

/* The verdict for a packet of a clean flow. Normally it carries the CLEAN
 * mark, which the ruleset copies to the ct mark so the flow's later packets
 * skip the queue. flows.mark_clean = false withholds the mark: every packet
 * of every flow then comes to us (benchmarks of the full inspection cost,
 * debugging); the flow still stays clean here, so it is not judged again. */
static void engine_clean_verdict(const struct engine *e, uint32_t mark, struct queue_verdict *v)
{
	if (e->conf->mark_clean)
		verdict_clean(&e->pol, mark, v);
	else
		verdict_pass(v);
}

static void engine_flow_clean(struct judge *j)
{
	struct engine *e = j->e;

	j->fl->state = j->fl->det_matched ? FLOW_ALERTED : FLOW_CLEAN;
	flow_release_buf(e->flows, j->fl);
	e->st.flows_clean++;
	if (e->conf->log_decisions && e->on_event && !j->fl->det_matched) {
		struct mw_event ev = { .type = EVENT_DECISION, .ts = *j->ts, .key = &j->fl->key };

		e->on_event(e->event_arg, &ev);
	}
	engine_clean_verdict(e, j->mark, j->v);
}

bool engine_budget_spent(const struct engine *e, const struct flow *fl)
{
	uint32_t seen = fl->packets[0] + fl->packets[1];

	/* Inside a tunnel the packets count from where it opened. */
	if (seen - (seen < fl->tunnel_pkts ? seen : fl->tunnel_pkts) >= e->conf->inspect_packets)
		return true;
	if (fl->stream[0].full && fl->stream[1].full)
		return true;
	/* No buffer could be had: what one packet showed was all we could judge. */
	return !fl->buf && (fl->bytes[0] || fl->bytes[1]);
}

/* A TCP flow's packet that is no SYN, with the SYN log on. A new flow takes
 * its SYN's record. So does a judged flow: its packets skip the queue once
 * judged, so one that reaches us belongs to a new connection on the same
 * 5-tuple (a client port used again within flows.idle_timeout), and if the
 * log has that connection's SYN, the old judgement must not cover it: the
 * flow starts over. */
static void engine_syn_start(struct engine *e, struct flow **fl, const struct pkt *p,
			     uint64_t now_ms, enum flow_dir *dir, bool created)
{
	struct syn_rec r;

	if (!created && (*fl)->state == FLOW_INSPECT)
		return;
	if (synlog_take(e->syns, p, now_ms, &r) != 1) {
		if (created)
			e->st.syn_missing++;
		return;
	}
	if (!created) {
		flow_remove(e->flows, *fl);
		*fl = flow_lookup_or_add(e->flows, p, now_ms, dir, NULL);
		e->st.syn_restarted++;
	}
	flow_start_syn(*fl, r.saddr, r.sport, r.isn, dir);
	e->st.syn_found++;
}

void engine_packet(struct engine *e, const uint8_t *data, size_t len, uint32_t mark,
		   uint64_t now_ms, const struct timeval *ts, struct queue_verdict *v)
{
	struct judge j = { .e = e, .mark = mark, .ts = ts, .now_ms = now_ms, .v = v,
			   .inbound = verdict_inbound(&e->pol, mark) };
	enum detect_outcome out;
	enum flow_dir dir;
	struct pkt p;
	bool created;
	int gap = 0;

	e->st.packets++;
	verdict_pass(v);

	/* 0. A packet that comes back carrying our own drop or reject verdict
	 *    is in a loop: the ruleset failed to act on it. Drop it here rather
	 *    than answer it again; the count shows in the metrics and the main
	 *    thread warns about it. */
	if (verdict_returned(&e->pol, mark)) {
		e->st.verdict_loops++;
		verdict_drop(v);
		return;
	}

	/* 1. Headers, with bounds. A packet we cannot read follows the fail mode. */
	if (pkt_parse(data, len, &p) < 0) {
		e->st.malformed++;
		verdict_error(&e->pol, v);
		return;
	}

	/* 2. Its flow. Other protocols and fragments have none: let them pass. */
	j.fl = flow_lookup_or_add(e->flows, &p, now_ms, &dir, &created);
	if (!j.fl) {
		e->st.untracked++;
		return;
	}

	/* A TCP flow's first packet here is no SYN: the kernel forwarded the
	 *    SYN and logged it. Its record says where the stream starts, so an
	 *    out-of-order first segment is a gap to hold, never the start. A
	 *    flow without one (older than the log, or its record lost to an
	 *    overrun) is judged midstream, as a flow whose SYN was never seen.
	 *    A judged flow with a fresh SYN record is a new connection on its
	 *    5-tuple and starts over. */
	if (e->syns && p.proto == IPPROTO_TCP && !(p.tcp_flags & PKT_TCP_SYN))
		engine_syn_start(e, &j.fl, &p, now_ms, &dir, created);

	if (created)
		j.fl->det_done = engine_det_start(e);

	/* 3. A flow already judged keeps its judgement (packets queued before the
	 *    kernel saw the mark). */
	switch (j.fl->state) {
	case FLOW_CLEAN:
	case FLOW_ALERTED:
		engine_clean_verdict(e, mark, v);
		return;
	case FLOW_BLOCKED:
		verdict_action(&e->pol, (enum conf_action)j.fl->action, mark, v);
		if (!e->observe || j.fl->det_done == engine_all_detectors())
			return;
		break;
	}

	/* 4. Its bytes, in order. A segment beyond a gap waits for TCP to resend
	 *    it, so no byte reaches the pool unjudged. It taught the detectors
	 *    nothing, so they are not asked: on a stream with nothing new (or
	 *    still empty, when the first segment is the one missing) some would
	 *    answer "not me", and the flow would be let go before its first
	 *    bytes were seen. */
	if (p.payload_len)
		gap = flow_stream_add(e->flows, j.fl, dir, &p);
	if (gap && p.proto == IPPROTO_TCP && j.fl->state == FLOW_INSPECT) {
		e->st.held++;
		verdict_hold(v);
		return;
	}

	/* 5. The detectors, on the flow's bytes or what its proxy tunnels carry. */
	j.p = &p;
	j.dir = dir;
	out = engine_detect(&j);

	/* 6. The verdict. */
	if (j.fl->state == FLOW_BLOCKED) {
		if (j.blocked)
			e->st.flows_blocked++;
		if (!e->observe || out == DETECT_CLEAN || engine_budget_spent(e, j.fl)) {
			j.fl->det_done = engine_all_detectors();
			flow_release_buf(e->flows, j.fl);
		}
		return;
	}
	if (out == DETECT_CLEAN) {
		engine_flow_clean(&j);
		return;
	}
	if (engine_budget_spent(e, j.fl)) {
		uint32_t watching = engine_whole_flow_pending(j.fl);

		if (!watching) {
			engine_flow_clean(&j);
			return;
		}
		/* Only the detectors that watch whole flows go on. */
		j.fl->det_done |= engine_all_detectors() & ~watching;
	}
}

static int engine_copy_forever(const struct ep_entry *ent, void *arg)
{
	struct ep_entry copy = *ent;

	copy.expires_ms = 0;
	ep_table_add(arg, &copy);
	return 0;
}

void engine_preload_learned(struct engine *e, const struct engine *from)
{
	ep_table_foreach(from->learned, engine_copy_forever, e->learned);
}

void engine_tick(struct engine *e, uint64_t now_ms)
{
	flow_expire(e->flows, now_ms);
	ep_table_expire(e->learned, now_ms);
}

void engine_get_stats(const struct engine *e, struct engine_stats *st) { *st = e->st; }

void engine_flow_stats(const struct engine *e, struct flow_stats *st)
{
	flow_table_stats(e->flows, st);
}
