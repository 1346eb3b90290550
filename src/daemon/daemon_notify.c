// SPDX-License-Identifier: GPL-2.0-or-later
/* Notifications in the daemon: which receiver hears of what, coalescing per host, life cycle.
 *
 * A storm of detections from one host makes one notice per tier change: tier
 * changes always go out (escalation itself limits them), and a receiver that
 * also wants detections hears of a host at most once per its coalesce window,
 * a tier notice included; the next notice says how many were held back. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "ctl_server.h"
#include "daemon_notify.h"
#include "daemon_notify_int.h"
#include "escalate.h"
#include "log.h"
#include "mwstats.h"
#include "notify.h"
#include "notify_doc.h"

/* In-flight deliveries get this long when the daemon stops. */
#define NOTIFY_GRACE_MS		1000

static const char *const event_names[CONF_NEV_COUNT] = {
	[CONF_NEV_DETECTION] = "detection", [CONF_NEV_WATCH] = "watch",
	[CONF_NEV_THROTTLE] = "throttle", [CONF_NEV_QUARANTINE] = "quarantine",
	[CONF_NEV_RELEASE] = "release", [CONF_NEV_FEED_REJECTED] = "feed_rejected",
	[CONF_NEV_PROBE_CONFIRMED] = "probe_confirmed",
};

const char *dn_event_name(enum conf_notify_event e)
{
	return (unsigned int)e < CONF_NEV_COUNT ? event_names[e] : "?";
}

/* ---- receivers from the config -------------------------------------------- */

struct notify_set *daemon_notify_prepare(const struct mw_conf *c, FILE *errs)
{
	struct notify_set *s = calloc(1, sizeof(*s));
	unsigned int i;
	int rc = 0;

	if (!s) {
		if (errs)
			fprintf(errs, "%s: out of memory\n", c->path);
		return NULL;
	}
	for (i = 0; i < c->n_receivers && i < CONF_MAX_RECEIVERS; i++) {
		char err[256];

		s->rcv[s->n] = notify_rcv_new(&c->receivers[i], err, sizeof(err));
		if (!s->rcv[s->n]) {
			if (errs)
				fprintf(errs, "%s: notify receiver \"%s\": %s\n", c->path,
					c->receivers[i].name, err);
			rc = -1;
			continue;
		}
		s->n++;
	}
	if (rc < 0) {
		daemon_notify_set_free(s);
		return NULL;
	}
	return s;
}

void daemon_notify_set_free(struct notify_set *s)
{
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		notify_rcv_unref(s->rcv[i]);
	free(s);
}

/* The engine and the host table are made for the first receiver only: without
 * notify { } nothing runs and nothing is allocated. */
static int engine_up(struct daemon_notify *dn)
{
	if (!dn->eng && !(dn->eng = notify_new()))
		return -1;
	if (!dn->hosts && !(dn->hosts = notify_hosts_new()))
		return -1;
	return 0;
}

int daemon_notify_init(struct daemon *d, struct notify_set *s)
{
	struct daemon_notify *dn = calloc(1, sizeof(*dn));

	if (!dn) {
		daemon_notify_set_free(s);
		return -1;
	}
	d->notify = dn;
	dn->set = s;
	if (gethostname(dn->gateway, sizeof(dn->gateway) - 1) < 0)
		snprintf(dn->gateway, sizeof(dn->gateway), "minewall");
	/* Delivery ids stay unique across restarts: the start time, then a count. */
	dn->id_base = now_wall_ms();
	if (d->ctl && ctl_server_register(d->ctl, dn_ctl_cmds, d) == 0)
		dn->registered = true;
	if (s && s->n) {
		if (engine_up(dn) < 0 || notify_configure(dn->eng, s->rcv, s->n) < 0) {
			log_warnx("notify: receivers not started");
			return -1;
		}
		log_info("notify: %u receiver%s", s->n, s->n == 1 ? "" : "s");
	}
	return 0;
}

void daemon_notify_reload(struct daemon *d, struct notify_set *s)
{
	struct daemon_notify *dn = d->notify;
	int old_slot[CONF_MAX_RECEIVERS];
	unsigned int i, k;

	if (!dn) {
		daemon_notify_set_free(s);
		return;
	}
	if (s->n && engine_up(dn) < 0) {
		log_warnx("reload: notify receivers not started; keeping the previous ones");
		daemon_notify_set_free(s);
		return;
	}
	if (dn->eng && notify_configure(dn->eng, s->rcv, s->n) < 0) {
		log_warnx("reload: notify receivers not changed (out of memory)");
		daemon_notify_set_free(s);
		return;
	}
	/* Coalescing windows follow their receiver by name. */
	for (i = 0; i < s->n; i++) {
		old_slot[i] = -1;
		for (k = 0; dn->set && k < dn->set->n; k++)
			if (strcmp(dn->set->rcv[k]->name, s->rcv[i]->name) == 0)
				old_slot[i] = (int)k;
	}
	if (dn->hosts)
		notify_hosts_remap(dn->hosts, old_slot, s->n);
	daemon_notify_set_free(dn->set);
	dn->set = s;
	if (s->n)
		log_info("reload: notify: %u receiver%s", s->n, s->n == 1 ? "" : "s");
}

void daemon_notify_fini(struct daemon *d)
{
	struct daemon_notify *dn = d->notify;

	if (!dn)
		return;
	notify_free(dn->eng, NOTIFY_GRACE_MS);
	notify_hosts_free(dn->hosts);
	daemon_notify_set_free(dn->set);
	free(dn);
	d->notify = NULL;
}

/* ---- notices ---------------------------------------------------------------- */

int dn_submit(struct daemon *d, unsigned int slot, struct notify_doc_in *in)
{
	static char doc[NOTIFY_DOC_MAX];
	struct daemon_notify *dn = d->notify;
	struct notify_rcv *r = dn->set->rcv[slot];
	int len;

	snprintf(dn->last_id, sizeof(dn->last_id), "%llx-%llu", (unsigned long long)dn->id_base,
		 (unsigned long long)++dn->seq);
	in->id = dn->last_id;
	in->gateway = dn->gateway;
	len = notify_doc_build(doc, sizeof(doc), in);
	if (len < 0) {
		log_warnx_rl(&dn->rl, "notify %s: %s notice too large, not sent", r->name, in->event);
		atomic_fetch_add(&r->cnt->n[NOTIFY_DROPPED], 1);
		return -1;
	}
	if (notify_submit(dn->eng, r, in->event, in->id, doc, (size_t)len) < 0) {
		log_warnx_rl(&dn->rl, "notify %s: queue full (%u waiting), %s notice dropped",
			     r->name, r->queue_max, in->event);
		return -1;
	}
	return 0;
}

static bool active(const struct daemon *d)
{
	return d->notify && d->notify->eng && d->notify->set && d->notify->set->n;
}

void daemon_notify_note(struct daemon *d, const struct mw_event *ev)
{
	if (active(d) && ev->type == EVENT_MINING && !ev->inbound)
		notify_hosts_note(d->notify->hosts, ev, now_wall_ms());
}

void daemon_notify_detection(struct daemon *d, const struct mw_event *ev,
			     const struct escalate_host *eh)
{
	struct daemon_notify *dn = d->notify;
	enum enforce_tier tier = eh ? eh->tier : ENF_WATCH;
	char eve[1024], text[1024], line[1024 + 96];
	struct notify_host *h;
	uint64_t now = now_wall_ms();
	unsigned int i;
	bool formatted = false, probe;

	if (!active(d) || ev->type != EVENT_MINING || ev->inbound)
		return;
	/* The prober's confirmation of a suspect TLS server is a detection too:
	 * a receiver asking for either hears of it, as "probe_confirmed". */
	probe = strcmp(ev->detector, "probe") == 0;
	h = notify_hosts_find(dn->hosts, ev->key->family, ev->key->addr[0]);
	for (i = 0; i < dn->set->n; i++) {
		struct notify_rcv *r = dn->set->rcv[i];
		struct notify_doc_in in = { .type = "detection",
					    .event = probe ? "probe_confirmed" : "detection" };
		uint32_t held = 0;

		if (!(r->events[CONF_NEV_DETECTION] ||
		      (probe && r->events[CONF_NEV_PROBE_CONFIRMED])) ||
		    (int)tier < r->min_tier)
			continue;
		if (!h || !notify_host_due(h, i, r->coalesce_s, now, &held)) {
			atomic_fetch_add(&r->cnt->n[NOTIFY_COALESCED], 1);
			continue;
		}
		if (!formatted) {
			if (event_format_json(eve, sizeof(eve), ev) < 0 ||
			    event_format_text(text, sizeof(text), ev) < 0)
				return;
			snprintf(line, sizeof(line), "minewall on %s: %s", dn->gateway, text);
			formatted = true;
		}
		in.ts = &ev->ts;
		in.text = line;
		in.eve = eve;
		in.family = ev->key->family;
		in.addr = ev->key->addr[0];
		in.tier = escalate_tier_name(tier);
		in.detections = eh ? eh->detections : 0;
		in.expires_in = eh && eh->tier_until_ms > now ? (eh->tier_until_ms - now) / 1000u : 0;
		in.held = held;
		in.host = h;
		in.evidence = true;
		dn_submit(d, i, &in);
	}
}

static enum conf_notify_event tier_event_of(const struct escalate_change *c)
{
	if (c->host.tier == ENF_THROTTLE)
		return CONF_NEV_THROTTLE;
	if (c->host.tier == ENF_QUARANTINE)
		return CONF_NEV_QUARANTINE;
	return c->why && strcmp(c->why, "release") == 0 ? CONF_NEV_RELEASE : CONF_NEV_WATCH;
}

void daemon_notify_tier(struct daemon *d, const struct escalate_change *c, const char *eve,
			const char *text)
{
	struct daemon_notify *dn = d->notify;
	enum conf_notify_event e = tier_event_of(c);
	enum enforce_tier top = c->host.tier > c->from ? c->host.tier : c->from;
	struct notify_host *h;
	uint64_t now = now_wall_ms();
	struct timeval tv;
	char line[700];
	unsigned int i;

	if (!active(d))
		return;
	gettimeofday(&tv, NULL);
	snprintf(line, sizeof(line), "minewall on %s: %s", dn->gateway, text);
	h = notify_hosts_find(dn->hosts, c->host.family, c->host.addr);
	for (i = 0; i < dn->set->n; i++) {
		struct notify_rcv *r = dn->set->rcv[i];
		struct notify_doc_in in = { .type = "tier", .event = dn_event_name(e) };

		/* A release from quarantine is a quarantine receiver's business too. */
		if (!r->events[e] || (int)top < r->min_tier)
			continue;
		in.ts = &tv;
		in.text = line;
		in.eve = eve;
		in.family = c->host.family;
		in.addr = c->host.addr;
		in.tier = escalate_tier_name(c->host.tier);
		in.previous = escalate_tier_name(c->from);
		in.detections = c->host.detections;
		in.expires_in = c->host.tier_until_ms > now ? (c->host.tier_until_ms - now) / 1000u : 0;
		in.host = h;
		in.evidence = c->why && strcmp(c->why, "detections") == 0;
		if (h) {
			in.held = h->held[i];
			h->held[i] = 0;
			h->sent_ms[i] = now;
		}
		dn_submit(d, i, &in);
	}
}

void daemon_notify_feed_rejected(struct daemon *d, const char *eve, const char *text)
{
	struct daemon_notify *dn = d->notify;
	struct timeval tv;
	char line[700];
	unsigned int i;

	if (!active(d))
		return;
	gettimeofday(&tv, NULL);
	snprintf(line, sizeof(line), "minewall on %s: %s", dn->gateway, text);
	for (i = 0; i < dn->set->n; i++) {
		struct notify_doc_in in = { .type = "feed", .event = "feed_rejected", .ts = &tv,
					    .text = line, .eve = eve };

		if (dn->set->rcv[i]->events[CONF_NEV_FEED_REJECTED])
			dn_submit(d, i, &in);
	}
}

void daemon_notify_stats(const struct daemon *d, struct mwstats *st)
{
	const struct daemon_notify *dn = d->notify;
	unsigned int i;

	st->n_notify = 0;
	if (!dn || !dn->eng || !dn->set)
		return;
	for (i = 0; i < dn->set->n && i < CONF_MAX_RECEIVERS; i++)
		if (dn->set->rcv[i]->cnt)
			st->notify[st->n_notify++] = dn->set->rcv[i]->cnt;
}
