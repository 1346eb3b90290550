// SPDX-License-Identifier: GPL-2.0-or-later
/* Enforcement in the daemon: detections and learned addresses -> kernel blocks,
 * allowlists first; its life cycle. Tiers, state and commands are beside it. */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl_cmds.h"
#include "ctl_server.h"
#include "daemon_enforce_int.h"
#include "daemon_feeds.h"
#include "daemon_notify.h"
#include "domain_set.h"
#include "workers.h"
#include "ep_table.h"
#include "escalate.h"
#include "eventlog.h"
#include "log.h"
#include "nlbatch.h"
#include "pkt.h"
#include "pool_lists.h"
#include "refused_count.h"

const enum enforce_source daemon_enforce_dyn_source[DYN_N] = { ENF_DETECT, ENF_DNS };

void daemon_enforce_policy(const struct mw_conf *c, struct enforce_policy *p,
			   const char **feed_names)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	p->verdict[ENF_DETECT] = c->enf_verdict[0] ? ENF_REJECT : ENF_DROP;
	p->verdict[ENF_DNS] = c->enf_verdict[1] ? ENF_REJECT : ENF_DROP;
	p->verdict[ENF_LIST] = c->enf_verdict[2] ? ENF_REJECT : ENF_DROP;
	p->verdict[ENF_FEED] = c->enf_verdict[3] ? ENF_REJECT : ENF_DROP;
	p->throttle_bytes = c->throttle_rate;
	p->throttle_burst = c->throttle_burst;
	p->throttle_conns = c->throttle_conns;
	p->pool_conns = c->pool_port_conns;
	p->queue_pps = c->queue_rate;
	p->count_refused = c->count_refused;
	for (i = 0; i < c->n_feeds && i < ENF_MAX_FEEDS; i++)
		feed_names[i] = c->feeds[i].name;
	p->feeds = feed_names;
	p->n_feeds = i;
}

static void escalate_cfg_from(const struct mw_conf *c, struct escalate_cfg *ec)
{
	*ec = (struct escalate_cfg){
		.window_s = c->esc_window,
		.throttle_after = c->esc_throttle_after,
		.quarantine_after = c->esc_quarantine_after,
		.throttle_timeout_s = c->esc_throttle_timeout,
		.quarantine_timeout_s = c->esc_quarantine_timeout,
	};
}

struct enforcer *daemon_enforcer(struct daemon *d)
{
	return d->enf ? d->enf->enf : NULL;
}

/* ---- events ------------------------------------------------------------ */

void daemon_enforce_emit(struct daemon *d, const char *ts, const char *json, const char *text)
{
	eventlog_write_line(d->events, json, text);
	ctl_cmds_event_line(d->cmds, ts, text, json);
}

/* ---- allowlists -------------------------------------------------------- */

/* Resolve a name for the kernel's allow sets. Start-up and reload only. */
static void allow_resolve(struct ep_table *t, const char *name)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(name, NULL, &hints, &res);

	if (rc != 0) {
		log_warnx("allowlist: cannot resolve %s (%s); its name still matches", name,
			  gai_strerror(rc));
		return;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct ep_entry e = { 0 };

		if (ai->ai_family == AF_INET) {
			e.family = AF_INET;
			e.plen = 32;
			memcpy(e.addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			e.family = AF_INET6;
			e.plen = 128;
			memcpy(e.addr, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		ep_table_add(t, &e);
	}
	freeaddrinfo(res);
}

/* Items are addresses, prefixes or names (checked by the config parser). */
static void allow_load(char *const *items, unsigned int n, struct ep_table *t, struct domain_set *names)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ep_entry e;
		char err[64];

		if (ep_parse(items[i], &e, err, sizeof(err)) == 0) {
			ep_table_add(t, &e);
		} else {
			if (names)
				domain_set_add(names, items[i]);
			allow_resolve(t, items[i]);
		}
	}
}

static int copy_cb(const struct ep_entry *e, void *arg)
{
	ep_table_add(arg, e);
	return 0;
}

/* An exact entry (same prefix and port) is in t. */
bool daemon_enforce_ep_has(const struct ep_table *t, const struct ep_entry *e)
{
	const struct ep_entry *f = ep_table_lookup(t, e->family, e->addr, e->port, 0);

	return f && f->plen == e->plen && f->port == e->port && memcmp(f->addr, e->addr, 16) == 0;
}

struct diff_arg {
	struct enforcer *enf;
	const struct ep_table *other;
	enum enforce_allow which;
	bool add;
	size_t n;
};

static int allow_diff_cb(const struct ep_entry *e, void *arg)
{
	struct diff_arg *a = arg;

	if (daemon_enforce_ep_has(a->other, e))
		return 0;
	if (a->add)
		enforce_allow_add(a->enf, a->which, e);
	else
		enforce_allow_del(a->enf, a->which, e);
	a->n++;
	return 0;
}

/* Queue the changes that turn the allow set `have` into `want`. Prefixes
 * inside a broader one already listed are left to it (interval sets refuse
 * overlaps). */
static void allow_sync(struct enforcer *enf, enum enforce_allow which,
		       const struct ep_table *have, const struct ep_table *want)
{
	struct diff_arg del = { enf, want, which, false, 0 }, add = { enf, have, which, true, 0 };

	ep_table_foreach(have, allow_diff_cb, &del);
	ep_table_foreach(want, allow_diff_cb, &add);
}

static struct ep_table *allow_union(const struct daemon_enforce *de)
{
	struct ep_table *t = ep_table_new();

	if (!t)
		return NULL;
	ep_table_foreach(de->allow_static, copy_cb, t);
	ep_table_foreach(de->allow_dyn, copy_cb, t);
	return t;
}

void daemon_enforce_allowlists(const struct daemon *d, const struct ep_table **allow,
			       const struct domain_set **names)
{
	*allow = d->enf ? d->enf->allow_all : NULL;
	*names = d->enf ? d->enf->allow_names : NULL;
}

/* Hand the current allowlists to the queue workers. Only once they all use
 * them may the previous tables be freed: 0, or -1 when a worker did not take
 * them (the previous tables must then stay alive). */
static int allow_publish(struct daemon *d)
{
	struct daemon_enforce *de = d->enf;

	return d->workers ? workers_set_allow(d->workers, de->allow_all, de->allow_names) : 0;
}

/* Rebuild allow_all from its parts, queue the kernel difference and give
 * the workers the result (with allow_names, which the caller may have just
 * replaced: old_names is freed once they no longer use it). */
int daemon_enforce_allow_refresh(struct daemon *d, struct domain_set *old_names)
{
	struct daemon_enforce *de = d->enf;
	struct ep_table *all = allow_union(de), *old_all = de->allow_all;
	int rc = 0;

	if (all) {
		allow_sync(de->enf, ENF_ALLOW, de->allow_all, all);
		de->allow_all = all;
	} else {
		old_all = NULL;
		rc = -1;
	}
	if (allow_publish(d) < 0)
		return -1;	/* the old tables leak rather than be freed under a worker */
	ep_table_free(old_all);
	domain_set_free(old_names);
	return rc;
}

/* ---- lists and ports --------------------------------------------------- */

struct collect {
	struct ep_entry *v;
	size_t n, cap;
};

static int collect_cb(const struct ep_entry *e, void *arg)
{
	struct collect *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct ep_entry *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -1;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *e;
	c->v[c->n - 1].expires_ms = 0;
	c->v[c->n - 1].tag = 0;
	return 0;
}

static int lists_sync(struct daemon *d, const struct pool_lists *l)
{
	struct daemon_enforce *de = d->enf;
	struct collect c = { 0 };
	unsigned int p;
	int rc;

	ep_table_foreach(l->endpoints, collect_cb, &c);
	rc = enforce_sync_source(de->enf, ENF_LIST, NULL, c.v, c.n);
	free(c.v);
	for (p = 0; p < 65536; p++) {
		bool want = l->ports[p >> 3] & (1u << (p & 7));
		bool have = de->ports[p >> 3] & (1u << (p & 7));

		if (want != have)
			enforce_pool_port(de->enf, (uint16_t)p, want);
	}
	memcpy(de->ports, l->ports, sizeof(de->ports));
	return rc;
}

/* ---- blocks and tiers -------------------------------------------------- */

static void on_tier_expired(const struct escalate_change *c, void *arg)
{
	daemon_escalate_apply(arg, c);
}

/* Queue one dynamic block (and remember it for the state file). */
void daemon_enforce_block(struct daemon_enforce *de, int dyn, const struct ep_entry *e, uint32_t timeout_s)
{
	struct ep_entry rec = *e;

	rec.expires_ms = timeout_s ? now_wall_ms() + (uint64_t)timeout_s * 1000u : 0;
	rec.tag = 0;
	enforce_block_add(de->enf, daemon_enforce_dyn_source[dyn], NULL, e, timeout_s);
	ep_table_add(de->dyn[dyn], &rec);
	de->dirty = true;
}

bool daemon_enforce_allowlisted(const struct daemon_enforce *de, uint8_t family, const uint8_t *addr)
{
	return ep_table_lookup(de->allow_all, family, addr, 0, 0) != NULL;
}

/* A block queued, to be logged once it is in the kernel. */
struct learned_block {
	struct ep_entry e;
	uint32_t ttl;
};

void daemon_enforce_learned(struct daemon *d, const struct det_learned *l, unsigned int n)
{
	struct daemon_enforce *de = d->enf;
	const struct mw_conf *c = d->conf;
	struct learned_block learned[DET_MAX_LEARNED];
	unsigned int i, n_learned = 0;

	if (!de || enforce_begin(de->enf) < 0)
		return;
	if (n > DET_MAX_LEARNED)
		n = DET_MAX_LEARNED;
	for (i = 0; i < n; i++) {
		struct ep_entry e = { .family = l[i].family, .plen = l[i].family == AF_INET ? 32 : 128 };
		uint32_t ttl = l[i].ttl < c->dns_ttl_min ? c->dns_ttl_min :
			       l[i].ttl > c->dns_ttl_max ? c->dns_ttl_max : l[i].ttl;

		memcpy(e.addr, l[i].addr, 16);
		if (!daemon_enforce_allowlisted(de, e.family, e.addr)) {
			daemon_enforce_block(de, DYN_DNS, &e, ttl);
			learned[n_learned++] = (struct learned_block){ e, ttl };
		}
	}
	if (enforce_pending(de->enf) && enforce_commit(de->enf) < 0) {
		log_warnx_rl(&de->rl, "learned addresses not blocked: %s", enforce_error(de->enf));
		n_learned = 0;
	}
	enforce_abort(de->enf);
	for (i = 0; i < n_learned; i++) {
		char buf[80];

		log_info_rl(&de->rl_block, "block: %s in the kernel's dns set for %us (a pool "
			    "name's address)", ep_entry_str(&learned[i].e, buf, sizeof(buf)),
			    learned[i].ttl);
	}
}

static void enforce_event(struct daemon *d, const struct mw_event *ev)
{
	struct daemon_enforce *de = d->enf;
	const struct mw_conf *c = d->conf;
	const struct flow_key *k = ev->key;
	struct escalate_change ch;
	struct ep_entry blocked = { 0 };

	/* What a flow opened from outside carries is reported, never acted on:
	 * the protected host it reached is no pool, the remote peer none of
	 * ours to escalate. */
	if (!de || ev->type != EVENT_MINING || ev->allowlisted || ev->inbound)
		return;
	if (enforce_begin(de->enf) < 0)
		return;
	/* The endpoint that spoke a mining protocol. Not for DNS (the server is
	 * a resolver) nor CONNECT/SOCKS tunnels (the server is a proxy others
	 * use too): there the pool's own address is what gets blocked. */
	if (ev->action != ACT_ALERT && c->block_timeout && strcmp(ev->detector, "dns") != 0 &&
	    strcmp(ev->detector, "relay") != 0) {
		struct ep_entry e = {
			.family = k->family,
			.plen = k->family == AF_INET ? 32 : 128,
			.port = c->block_by_endpoint ? k->port[1] : 0,
		};

		memcpy(e.addr, k->addr[1], 16);
		if (!daemon_enforce_allowlisted(de, e.family, e.addr)) {
			daemon_enforce_block(de, DYN_DETECT, &e, c->block_timeout);
			blocked = e;
			/* What we publish changed: a delta goes out shortly (after
			 * the commit below, which the publisher reads back). */
			daemon_feeds_detected(d);
		}
	}
	/* Through a proxy, the tunnel's target when it was given as an
	 * address: the pool, blocked as if it had been dialled directly. The
	 * proxy never is; the flow's own verdict stopped this host's flow. */
	if (ev->action != ACT_ALERT && c->block_timeout && ev->target &&
	    (ev->target->family == AF_INET || ev->target->family == AF_INET6)) {
		const struct det_addr *t = ev->target;
		struct ep_entry e = {
			.family = t->family,
			.plen = t->family == AF_INET ? 32 : 128,
			.port = c->block_by_endpoint ? t->port : 0,
		};

		memcpy(e.addr, t->addr, 16);
		if (!daemon_enforce_allowlisted(de, e.family, e.addr)) {
			daemon_enforce_block(de, DYN_DETECT, &e, c->block_timeout);
			blocked = e;
			daemon_feeds_detected(d);
		}
	}
	if (!enforce_pending(de->enf)) {
		enforce_abort(de->enf);
	} else if (enforce_commit(de->enf) < 0) {
		log_warnx_rl(&de->rl, "block not installed: %s", enforce_error(de->enf));
		enforce_abort(de->enf);
	} else if (blocked.family) {
		char buf[80], src[INET6_ADDRSTRLEN];

		log_info_rl(&de->rl_block, "block: %s in the kernel's detect set for %us (%s%s%s "
			    "from %s)", ep_entry_str(&blocked, buf, sizeof(buf)), c->block_timeout,
			    ev->detector, ev->dialect[0] ? "/" : "", ev->dialect,
			    pkt_addr_str(k->family, k->addr[0], src, sizeof(src)));
	}
	/* The internal host that did it, unless it is itself allowlisted. An
	 * alert counts only when the admin asks for it (count_alerts): it is
	 * what the admin chose not to act on. */
	if (ev->action == ACT_ALERT && !c->esc_count_alerts)
		return;
	if (!daemon_enforce_allowlisted(de, k->family, k->addr[0]) &&
	    escalate_note(de->esc, k->family, k->addr[0], now_wall_ms(), &ch))
		daemon_escalate_apply(d, &ch);
}

/* Receivers hear of the detection after it was acted on, with the host's tier
 * then; the tier change it may cause carries it as its evidence. */
void daemon_enforce_event(struct daemon *d, const struct mw_event *ev)
{
	const struct escalate_host *h;

	daemon_notify_note(d, ev);
	enforce_event(d, ev);
	h = d->enf && ev->type == EVENT_MINING ?
		escalate_find(d->enf->esc, ev->key->family, ev->key->addr[0]) : NULL;
	daemon_notify_detection(d, ev, h);
}

/* ---- life cycle -------------------------------------------------------- */

int daemon_enforce_init(struct daemon *d)
{
	struct daemon_enforce *de = calloc(1, sizeof(*de));
	struct escalate_cfg ec;
	int i;

	if (!de)
		return -1;
	d->enf = de;
	escalate_cfg_from(d->conf, &ec);
	de->enf = enforcer_new();
	de->esc = escalate_new(d->conf->max_hosts, &ec);
	de->allow_static = ep_table_new();
	de->allow_dyn = ep_table_new();
	de->allow_all = ep_table_new();
	de->allow_names = domain_set_new();
	de->qallow = ep_table_new();
	for (i = 0; i < DYN_N; i++)
		de->dyn[i] = ep_table_new();
	de->refused = refused_count_new();
	de->refused_seq = (uint32_t)now_wall_ms();
	de->refused_nl = nlbatch_open();	/* before privileges are dropped */
	if (!de->enf || !de->esc || !de->allow_static || !de->allow_dyn || !de->allow_all ||
	    !de->allow_names || !de->qallow || !de->dyn[0] || !de->dyn[1] || !de->refused) {
		log_warnx("enforcement: out of memory or no netlink");
		return -1;
	}
	allow_load(d->conf->allow, d->conf->n_allow, de->allow_static, de->allow_names);
	if (enforce_begin(de->enf) < 0)
		return -1;
	{
		struct ep_table *q = ep_table_new();

		if (q) {
			allow_load(d->conf->quarantine_allow, d->conf->n_quarantine_allow, q, NULL);
			allow_sync(de->enf, ENF_QALLOW, de->qallow, q);
			ep_table_free(de->qallow);
			de->qallow = q;
		}
	}
	if (daemon_enforce_allow_refresh(d, NULL) < 0 || lists_sync(d, d->lists) < 0 ||
	    enforce_commit(de->enf) < 0) {
		log_warnx("enforcement sets not filled: %s", enforce_error(de->enf));
		enforce_abort(de->enf);
		return -1;
	}
	daemon_state_restore(d);
	/* The baseline: what the sets held before this start is not counted
	 * (a restart would count it twice), what comes after is. */
	de->refused_last_ms = 0;
	daemon_escalate_refused_poll(d, now_wall_ms());
	if (d->ctl)
		ctl_server_register(d->ctl, daemon_enforce_cmds, d);
	log_info("enforcement: %zu list endpoints in the kernel, %zu allowlist entries, blocks %s for %us",
		 ep_table_count(d->lists->endpoints), ep_table_count(de->allow_all),
		 d->conf->block_by_endpoint ? "by endpoint" : "by address", d->conf->block_timeout);
	return 0;
}

void daemon_enforce_tick(struct daemon *d)
{
	struct daemon_enforce *de = d->enf;
	uint64_t now;
	int i;

	if (!de)
		return;
	now = now_wall_ms();
	escalate_expire(de->esc, now, on_tier_expired, d);
	daemon_escalate_refused_poll(d, now);
	for (i = 0; i < DYN_N; i++)
		if (ep_table_expire(de->dyn[i], now))
			de->dirty = true;
	if (de->dirty && now - de->last_save_ms >= 1000)
		daemon_state_save(d);
}

int daemon_enforce_reload(struct daemon *d, const struct mw_conf *nc, const struct pool_lists *nl)
{
	struct daemon_enforce *de = d->enf;
	struct ep_table *st = ep_table_new(), *q = ep_table_new();
	struct domain_set *names = domain_set_new(), *old_names;
	struct escalate_cfg ec;

	if (!de)
		return 0;
	if (!st || !q || !names || enforce_begin(de->enf) < 0) {
		ep_table_free(st);
		ep_table_free(q);
		domain_set_free(names);
		return -1;
	}
	allow_load(nc->allow, nc->n_allow, st, names);
	allow_load(nc->quarantine_allow, nc->n_quarantine_allow, q, NULL);
	allow_sync(de->enf, ENF_QALLOW, de->qallow, q);
	ep_table_free(de->allow_static);
	de->allow_static = st;
	old_names = de->allow_names;
	de->allow_names = names;
	ep_table_free(de->qallow);
	de->qallow = q;
	if (daemon_enforce_allow_refresh(d, old_names) < 0 || lists_sync(d, nl) < 0 ||
	    enforce_commit(de->enf) < 0) {
		log_warnx("reload: enforcement sets not updated: %s", enforce_error(de->enf));
		enforce_abort(de->enf);
		return -1;
	}
	escalate_cfg_from(nc, &ec);
	escalate_set_cfg(de->esc, &ec);
	return 0;
}

void daemon_enforce_fini(struct daemon *d)
{
	struct daemon_enforce *de = d->enf;
	int i;

	if (!de)
		return;
	if (de->esc)
		daemon_state_save(d);
	enforcer_free(de->enf);
	escalate_free(de->esc);
	ep_table_free(de->allow_static);
	ep_table_free(de->allow_dyn);
	ep_table_free(de->allow_all);
	domain_set_free(de->allow_names);
	ep_table_free(de->qallow);
	for (i = 0; i < DYN_N; i++)
		ep_table_free(de->dyn[i]);
	refused_count_free(de->refused);
	if (de->refused_nl)
		nlbatch_close(de->refused_nl);
	free(de);
	d->enf = NULL;
}
