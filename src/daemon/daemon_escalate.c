// SPDX-License-Identifier: GPL-2.0-or-later
/* Host escalation in the daemon: tier changes into the kernel, their events, refused connections. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon_enforce_int.h"
#include "daemon_notify.h"
#include "escalate.h"
#include "event.h"
#include "log.h"
#include "mwstats.h"
#include "nlbatch.h"
#include "pkt.h"
#include "pool_lists.h"
#include "refused_count.h"

/* The refused sets are read this often; each read is two netlink dumps. */
#define REFUSED_POLL_MS		2000u
/* Detections one read may feed to escalation in all: bounded work per tick. */
#define REFUSED_BUDGET		4096u

/* ---- tiers ------------------------------------------------------------- */

static void tier_event(struct daemon *d, const struct escalate_change *c)
{
	char ts[48], addr[INET6_ADDRSTRLEN], json[512], text[512];
	struct timeval tv;

	gettimeofday(&tv, NULL);
	event_timestamp(ts, sizeof(ts), &tv);
	pkt_addr_str(c->host.family, c->host.addr, addr, sizeof(addr));
	snprintf(json, sizeof(json),
		 "{\"timestamp\":\"%s\",\"event_type\":\"tier\",\"src_ip\":\"%s\",\"tier\":\"%s\","
		 "\"previous\":\"%s\",\"reason\":\"%s\",\"detections\":%u,\"expires_in\":%llu}",
		 ts, addr, escalate_tier_name(c->host.tier), escalate_tier_name(c->from), c->why,
		 c->host.detections,
		 (unsigned long long)(c->host.tier_until_ms > now_wall_ms() ?
				      (c->host.tier_until_ms - now_wall_ms()) / 1000u : 0));
	snprintf(text, sizeof(text), "tier %s: %s -> %s (%s, %u detections)", addr,
		 escalate_tier_name(c->from), escalate_tier_name(c->host.tier), c->why,
		 c->host.detections);
	daemon_enforce_emit(d, ts, json, text);
	daemon_notify_tier(d, c, json, text);
}

void daemon_escalate_apply(struct daemon *d, const struct escalate_change *c)
{
	struct daemon_enforce *de = d->enf;
	uint64_t now = now_wall_ms();
	uint32_t left = c->host.tier_until_ms > now ? (uint32_t)((c->host.tier_until_ms - now + 999) / 1000u) : 0;

	if (enforce_begin(de->enf) < 0 ||
	    enforce_host_tier(de->enf, c->host.family, c->host.addr, c->host.tier, left) < 0 ||
	    enforce_commit(de->enf) < 0) {
		log_warnx("tier change for a host not applied: %s", enforce_error(de->enf));
		enforce_abort(de->enf);
	}
	tier_event(d, c);
	de->dirty = true;
}

/* ---- connections refused in the kernel --------------------------------- */

struct refused_arg {
	struct daemon *d;
	uint64_t now;
	uint32_t budget;		/* detections left for this read */
	uint32_t cap;			/* detections per host and read */
};

/* A host's refused connections, counter from -> e->packets: one detection
 * for every enforce.refused_per_detection of them (counted on the kernel's
 * running counter, so no remainder is lost between reads), at most cap,
 * unless the host is allowlisted (as for a detection). Each tier it climbs
 * gets its event, reason "refused". */
static void on_refused(const struct refused_elem *e, uint64_t from, uint32_t n, void *arg)
{
	struct refused_arg *a = arg;
	struct daemon_enforce *de = a->d->enf;
	uint64_t k = a->d->conf->refused_per_detection ? a->d->conf->refused_per_detection : 1;
	uint64_t det = e->packets / k - from / k;
	struct escalate_change ch;
	uint32_t i;

	(void)n;
	if (daemon_enforce_allowlisted(de, e->family, e->addr))
		return;
	if (det > a->cap)
		det = a->cap;
	for (i = 0; i < det && a->budget > 0; i++, a->budget--) {
		if (escalate_note(de->esc, e->family, e->addr, a->now, &ch)) {
			ch.why = "refused";
			daemon_escalate_apply(a->d, &ch);
		}
	}
}

/* Enough detections per host and read to reach the highest tier at once. */
static uint32_t refused_cap(const struct mw_conf *c)
{
	uint32_t cap = c->esc_throttle_after > c->esc_quarantine_after ? c->esc_throttle_after
									: c->esc_quarantine_after;

	return cap < 1 ? 1 : cap > 1024 ? 1024 : cap;
}

void daemon_escalate_refused_poll(struct daemon *d, uint64_t now)
{
	struct daemon_enforce *de = d->enf;
	struct refused_arg a = { d, now, REFUSED_BUDGET, refused_cap(d->conf) };

	if (!d->conf->count_refused) {
		/* Off: when it comes back on, its first read is a baseline. */
		refused_count_reset(de->refused);
		return;
	}
	if (de->refused_last_ms != 0 && now >= de->refused_last_ms &&
	    now - de->refused_last_ms < REFUSED_POLL_MS)
		return;
	de->refused_last_ms = now;
	if (de->refused_nl == NULL) {
		de->refused_nl = nlbatch_open();
		if (de->refused_nl == NULL) {
			log_warnx_rl(&de->rl, "refused connections not counted: no netlink socket");
			return;
		}
	}
	de->refused_seq += 2;
	if (refused_count_dump(de->refused, de->refused_nl, de->refused_seq) < 0) {
		log_warnx_rl(&de->rl, "refused connections not read: %s", strerror(errno));
		return;
	}
	de->refused_total += refused_count_diff(de->refused, UINT32_MAX, on_refused, &a);
}

uint64_t daemon_enforce_refused(const struct daemon *d)
{
	return d->enf ? d->enf->refused_total : 0;
}

void daemon_enforce_stats(const struct daemon *d, struct mwstats *st)
{
	const struct daemon_enforce *de = d->enf;

	if (!de)
		return;
	st->hosts[ENF_WATCH] = escalate_count(de->esc, ENF_WATCH);
	st->hosts[ENF_THROTTLE] = escalate_count(de->esc, ENF_THROTTLE);
	st->hosts[ENF_QUARANTINE] = escalate_count(de->esc, ENF_QUARANTINE);
	st->blocks_detect = ep_table_count(de->dyn[DYN_DETECT]);
	st->blocks_dns = ep_table_count(de->dyn[DYN_DNS]);
	st->blocks_list = d->lists ? ep_table_count(d->lists->endpoints) : 0;
}
