// SPDX-License-Identifier: GPL-2.0-or-later
/* The packet path: pkt -> flow -> detectors -> verdict. Read it top to bottom. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "detect.h"
#include "domain_set.h"
#include "engine.h"
#include "ep_table.h"
#include "log.h"
#include "pkt.h"
#include "pool_domains.h"
#include "relay_track.h"
#include "verdict.h"

/* Learned addresses live at least this long, whatever the answer's TTL said,
 * so a miner that connects a minute after its lookup is still caught. */
#define LEARNED_TTL_MIN_S 600
#define LEARNED_TTL_MAX_S 86400
#define LEARNED_TAG_DNS 2
/* Relay correlation: hosts remembered, and how long one leg counts. */
#define RELAY_HOSTS 16384
#define RELAY_WINDOW_MS (3600u * 1000u)

struct engine {
	const struct mw_conf *conf;
	const struct pool_lists *lists;
	struct flow_table *flows;
	struct ep_table *learned;
	struct relay_track *relays;
	bool relays_owned;	/* false when borrowed from another engine (workers share one) */
	struct det_env env;
	struct verdict_policy pol;
	engine_event_cb on_event;
	void *event_arg;
	struct engine_stats st;
	bool observe;		/* offline: keep asking detectors after a block */
	bool learn_only;	/* offline look-ahead pass: only detectors that teach */
	const struct ep_table *allow;		/* destinations never blocked, or NULL */
	const struct domain_set *allow_names;	/* domains never blocked, or NULL */
	/* The lists' and the feeds' domains, or NULL: the lists' alone. */
	const struct pool_domains *pdom;
	engine_learn_cb on_learn;
	void *learn_arg;
};

/* State for one packet while the detectors run. */
struct judge {
	struct engine *e;
	struct flow *fl;
	uint32_t mark;
	const struct timeval *ts;
	uint64_t now_ms;
	struct queue_verdict *v;
	bool blocked;
	bool inbound;		/* the packet carries the INBOUND mark: opened from outside */
};

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
	char detail[sizeof(f->detail) + 16 + sizeof(src)];
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
		.inbound = j->inbound,
	};

	/* A name a feed lists says which feeds (and whether the lists too):
	 * a list-only name reads as it always did. */
	if (dom_tag & POOL_DOM_FEEDS) {
		pool_domains_source(j->e->pdom, dom_tag, src, sizeof(src));
		snprintf(detail, sizeof(detail), "%s%ssource=%s", f->detail, f->detail[0] ? " " : "",
			 src);
		ev.detail = detail;
	}
	if (f->suspect) {
		j->e->st.suspects++;
	} else {
		j->e->st.detections++;
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

/* Whether the flow's destination, or the name the finding concerns, is allowlisted. */
static bool engine_allowlisted(const struct engine *e, const struct flow *fl,
			       const struct det_finding *f)
{
	if (e->allow && ep_table_lookup(e->allow, fl->key.family, fl->key.addr[1], fl->key.port[1], 0))
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

/* A detector matched. Report it once per flow and detector, then act. */
static int engine_on_match(void *arg, unsigned int idx, const struct det_finding *f)
{
	struct judge *j = arg;
	enum conf_action act = engine_action_for(j->e, idx);
	uint32_t bit = 1u << idx, dom_tag = engine_domain_tag(j->e, f);
	bool allowlisted = false, alert_only = dom_tag && !(dom_tag & POOL_DOM_BLOCK);
	int stop = 0;

	/* The allowlist is checked before anything is blocked; the event says
	 * it overrode the detection. A suspect's says so too: the prober
	 * leaves allowlisted destinations alone. */
	if ((act != ACT_ALERT || f->suspect) && engine_allowlisted(j->e, j->fl, f)) {
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
	if (!(j->fl->det_matched & bit)) {
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

/* Whether the flow has used up what we may inspect of it. */
static bool engine_budget_spent(const struct engine *e, const struct flow *fl)
{
	if (fl->packets[0] + fl->packets[1] >= e->conf->inspect_packets)
		return true;
	if (fl->stream[0].full && fl->stream[1].full)
		return true;
	/* No buffer could be had: what one packet showed was all we could judge. */
	return !fl->buf && (fl->bytes[0] || fl->bytes[1]);
}

void engine_packet(struct engine *e, const uint8_t *data, size_t len, uint32_t mark,
		   uint64_t now_ms, const struct timeval *ts, struct queue_verdict *v)
{
	struct judge j = { .e = e, .mark = mark, .ts = ts, .now_ms = now_ms, .v = v,
			   .inbound = verdict_inbound(&e->pol, mark) };
	struct det_stream s = { 0 };
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

	/* A look-ahead pass asks only the detectors that can teach addresses. */
	if (created && e->learn_only)
		j.fl->det_done = engine_all_detectors() & ~engine_teachers();

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
	 *    it, so no byte reaches the pool unjudged. */
	if (p.payload_len)
		gap = flow_stream_add(e->flows, j.fl, dir, &p);

	/* 5. The detectors. */
	s.key = &j.fl->key;
	s.dir = dir;
	s.data[FLOW_ORIG] = flow_stream_data(j.fl, FLOW_ORIG, &s.len[FLOW_ORIG]);
	s.data[FLOW_REPLY] = flow_stream_data(j.fl, FLOW_REPLY, &s.len[FLOW_REPLY]);
	s.full[FLOW_ORIG] = j.fl->stream[FLOW_ORIG].full;
	s.full[FLOW_REPLY] = j.fl->stream[FLOW_REPLY].full;
	/* Last look: no more bytes will come (FIN/RST in this direction, or the
	 * flow's budget is spent), so undecided detectors decide on what is here. */
	if (p.tcp_flags & (PKT_TCP_FIN | PKT_TCP_RST))
		s.full[dir] = true;
	if (engine_budget_spent(e, j.fl))
		s.full[FLOW_ORIG] = s.full[FLOW_REPLY] = true;
	if (!j.fl->buf && p.payload_len) {
		/* No reassembly buffer: judge this packet's bytes alone. */
		s.data[dir] = p.payload;
		s.len[dir] = p.payload_len;
	}
	s.pkt_data = p.payload;
	s.pkt_len = p.payload_len;
	s.midstream = j.fl->midstream;
	e->env.now_ms = now_ms;
	out = detect_run(&e->env, j.fl, &s, engine_on_match, &j);

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
	if (gap && p.proto == IPPROTO_TCP) {
		e->st.held++;
		verdict_hold(v);
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
