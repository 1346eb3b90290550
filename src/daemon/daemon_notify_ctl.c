// SPDX-License-Identifier: GPL-2.0-or-later
/* minewallctl notify list | test NAME: the receivers, their counters, a test notice. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "daemon_notify_int.h"

static const char *const tier_names[] = { "watch", "throttle", "quarantine" };

static const char *target_of(const struct notify_rcv *r)
{
	return r->type == CONF_NOTIFY_WEBHOOK ? r->url : r->argv[0];
}

static void events_text(const struct notify_rcv *r, char *buf, size_t size)
{
	size_t len = 0;
	unsigned int e;

	buf[0] = '\0';
	for (e = 0; e < CONF_NEV_COUNT && len < size; e++)
		if (r->events[e])
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "",
						dn_event_name((enum conf_notify_event)e));
}

static void list_json(struct daemon_notify *dn, const struct notify_rcv *r, unsigned int i,
		      struct ctl_resp *resp)
{
	const struct notify_counters *c = r->cnt;
	char err[NOTIFY_ERROR_MAX];
	unsigned int e, k, first = 1;
	time_t when;

	notify_last_error(dn->eng, r->name, err, sizeof(err), &when);
	ctl_resp_printf(resp, "%s{\"name\":", i ? "," : "");
	ctl_resp_json_str(resp, r->name);
	ctl_resp_printf(resp, ",\"type\":\"%s\",\"target\":",
			r->type == CONF_NOTIFY_WEBHOOK ? "webhook" : "exec");
	ctl_resp_json_str(resp, target_of(r));
	ctl_resp_printf(resp, ",\"signed\":%s,\"events\":[", r->key ? "true" : "false");
	for (e = 0; e < CONF_NEV_COUNT; e++) {
		if (!r->events[e])
			continue;
		ctl_resp_printf(resp, "%s\"%s\"", first ? "" : ",",
				dn_event_name((enum conf_notify_event)e));
		first = 0;
	}
	ctl_resp_printf(resp, "],\"min_tier\":\"%s\",\"timeout\":%u,\"retries\":%u,"
			"\"concurrency\":%u,\"queue\":%u,\"coalesce\":%u,\"queued\":%u,\"running\":%u",
			tier_names[r->min_tier % 3], r->timeout_s, r->retries, r->concurrency,
			r->queue_max, r->coalesce_s, atomic_load(&c->queued), atomic_load(&c->running));
	for (k = 0; k < NOTIFY_OUTCOMES; k++)
		ctl_resp_printf(resp, ",\"%s\":%" PRIu64, notify_outcome_name((enum notify_outcome)k),
				(uint64_t)atomic_load(&c->n[k]));
	ctl_resp_printf(resp, ",\"last_error\":");
	ctl_resp_json_str(resp, err);
	ctl_resp_printf(resp, ",\"last_error_time\":%lld}", (long long)when);
}

static void list_text(struct daemon_notify *dn, const struct notify_rcv *r, struct ctl_resp *resp)
{
	const struct notify_counters *c = r->cnt;
	char err[NOTIFY_ERROR_MAX], events[160], ts[32];
	time_t when;
	struct tm tm;

	notify_last_error(dn->eng, r->name, err, sizeof(err), &when);
	events_text(r, events, sizeof(events));
	ctl_resp_printf(resp, "%-20s %-7s %9" PRIu64 " %8" PRIu64 " %7" PRIu64 " %6" PRIu64
			" %7" PRIu64 " %7" PRIu64 " %9" PRIu64 " %6u  %s\n", r->name,
			r->type == CONF_NOTIFY_WEBHOOK ? "webhook" : "exec",
			(uint64_t)atomic_load(&c->n[NOTIFY_DELIVERED]),
			(uint64_t)atomic_load(&c->n[NOTIFY_REJECTED]),
			(uint64_t)atomic_load(&c->n[NOTIFY_TIMEOUT]),
			(uint64_t)atomic_load(&c->n[NOTIFY_ERROR]),
			(uint64_t)atomic_load(&c->n[NOTIFY_GAVE_UP]),
			(uint64_t)atomic_load(&c->n[NOTIFY_DROPPED]),
			(uint64_t)atomic_load(&c->n[NOTIFY_COALESCED]), atomic_load(&c->queued),
			target_of(r));
	ctl_resp_printf(resp, "  events %s; min_tier %s; timeout %u s, %u retries%s\n", events,
			tier_names[r->min_tier % 3], r->timeout_s, r->retries,
			r->key ? "; signed" : "");
	if (err[0] && gmtime_r(&when, &tm) && strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm))
		ctl_resp_printf(resp, "  last error %s: %s\n", ts, err);
}

static int notify_list(struct daemon_notify *dn, struct ctl_resp *r)
{
	unsigned int i, n = dn->eng && dn->set ? dn->set->n : 0;

	if (r->json)
		ctl_resp_printf(r, "[");
	else
		ctl_resp_printf(r, "%-20s %-7s %9s %8s %7s %6s %7s %7s %9s %6s  %s\n", "NAME", "TYPE",
				"DELIVERED", "REJECTED", "TIMEOUT", "ERROR", "GAVE_UP", "DROPPED",
				"COALESCED", "QUEUED", "TARGET");
	for (i = 0; i < n; i++) {
		if (r->json)
			list_json(dn, dn->set->rcv[i], i, r);
		else
			list_text(dn, dn->set->rcv[i], r);
	}
	if (r->json)
		ctl_resp_printf(r, "]\n");
	return 0;
}

/* A test notice to one receiver, whatever events it asks for. */
static int notify_test(struct daemon *d, const char *name, struct ctl_resp *r)
{
	struct daemon_notify *dn = d->notify;
	char ts[48], eve[256], text[160];
	struct notify_doc_in in = { .type = "test", .event = "test" };
	struct timeval tv;
	unsigned int i;

	for (i = 0; dn->eng && dn->set && i < dn->set->n; i++)
		if (strcmp(dn->set->rcv[i]->name, name) == 0)
			break;
	if (!dn->eng || !dn->set || i == dn->set->n)
		return ctl_resp_error(r, "failed", "no notify receiver named %s", name);
	gettimeofday(&tv, NULL);
	event_timestamp(ts, sizeof(ts), &tv);
	snprintf(eve, sizeof(eve), "{\"timestamp\":\"%s\",\"event_type\":\"notify_test\","
		 "\"receiver\":\"%s\"}", ts, name);
	snprintf(text, sizeof(text), "minewall on %s: test notice for receiver %s", dn->gateway,
		 name);
	in.ts = &tv;
	in.eve = eve;
	in.text = text;
	if (dn_submit(d, i, &in) < 0)
		return ctl_resp_error(r, "failed", "the test notice was dropped (queue full)");
	return r->json ? ctl_resp_printf(r, "{\"queued\":\"%s\",\"receiver\":\"%s\"}\n", in.id, name)
		       : ctl_resp_printf(r, "test notice %s queued for %s (see notify list)\n", in.id,
					 name);
}

static int cmd_notify(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	const char *sub = q->argc > 1 ? q->argv[1] : "list";

	if (!d->notify)
		return ctl_resp_error(r, "failed", "notifications are not running");
	if (strcmp(sub, "list") == 0 && q->argc <= 2)
		return notify_list(d->notify, r);
	if (strcmp(sub, "test") == 0 && q->argc == 3)
		return notify_test(d, q->argv[2], r);
	return ctl_resp_error(r, "usage", "notify list | test NAME");
}

const struct ctl_command dn_ctl_cmds[] = {
	{ "notify", cmd_notify, "notify list | test NAME: receivers of detections and tier changes, "
	  "their counters; send a test notice" },
	{ NULL, NULL, NULL },
};
