// SPDX-License-Identifier: GPL-2.0-or-later
/* Feeds in the daemon: the minewallctl feeds command (list, sync, publish) and their metrics. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl_server.h"
#include "daemon_feeds.h"
#include "daemon_feeds_int.h"
#include "feed_pub.h"
#include "feed_sub.h"
#include "mwstats.h"

static void time_str(char *out, size_t size, time_t t)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm))
		snprintf(out, size, "never");
	else
		strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int feeds_list(struct daemon_feeds *df, struct ctl_resp *r)
{
	struct feed_sub_status st[CONF_MAX_FEEDS];
	size_t n = df->subs ? feed_subs_status(df->subs, st, CONF_MAX_FEEDS) : 0, i;
	time_t now = time(NULL);

	if (n > CONF_MAX_FEEDS)
		n = CONF_MAX_FEEDS;
	if (r->json)
		ctl_resp_printf(r, "[");
	else
		ctl_resp_printf(r, "%-20s %8s %9s %9s %9s %8s %7s %-20s %s\n", "NAME", "SERIAL",
				"ENTRIES", "BLOCKED", "ALERTONLY", "REJECTED", "LAG", "LAST OK", "URL");
	for (i = 0; i < n; i++) {
		const struct df_feed *x = df_find(df, st[i].name);
		char ok[32], errt[32], url[600], err[520], lag[24];
		long long lag_s = st[i].issued ? (long long)(now - st[i].issued) : -1;

		time_str(ok, sizeof(ok), st[i].last_ok);
		time_str(errt, sizeof(errt), st[i].last_error_time);
		if (r->json) {
			df_json_str(url, sizeof(url), st[i].url ? st[i].url : "");
			df_json_str(err, sizeof(err), st[i].last_error);
			ctl_resp_printf(r, "%s{\"name\":\"%s\",\"url\":\"%s\",\"have\":%s,\"serial\":%llu,"
					"\"expires\":%lld,\"last_ok\":%lld,\"last_error\":\"%s\","
					"\"last_error_time\":%lld,\"rejected\":%lu,\"errors\":%lu,"
					"\"entries\":%zu,\"blocked\":%zu,\"alert_only\":%zu,"
					"\"domains\":%zu,\"domains_alert_only\":%zu,\"next_fetch\":%lld,"
					"\"issued\":%lld,\"lag\":%lld,\"index\":%s,\"polls_304\":%lu,"
					"\"polls_200\":%lu,\"polls_error\":%lu,\"delta_applies\":%lu,"
					"\"snapshot_applies\":%lu,\"fallbacks\":%lu}",
					i ? "," : "", st[i].name, url, st[i].have ? "true" : "false",
					(unsigned long long)st[i].serial, (long long)st[i].expires,
					(long long)st[i].last_ok, err, (long long)st[i].last_error_time,
					st[i].rejected, st[i].errors, st[i].entries, x ? x->blocked : 0,
					x ? x->alerted : 0, x ? x->dom_blocked + x->dom_alerted : 0,
					x ? x->dom_alerted : 0, (long long)st[i].next_fetch,
					(long long)st[i].issued, lag_s, st[i].index ? "true" : "false",
					st[i].polls[FEED_POLL_304], st[i].polls[FEED_POLL_200],
					st[i].polls[FEED_POLL_ERROR], st[i].delta_applies,
					st[i].snapshot_applies, st[i].fallbacks);
		} else {
			char ser[24];

			if (st[i].have)
				snprintf(ser, sizeof(ser), "%llu", (unsigned long long)st[i].serial);
			else
				snprintf(ser, sizeof(ser), "-");
			if (lag_s >= 0)
				snprintf(lag, sizeof(lag), "%llds", lag_s);
			else
				snprintf(lag, sizeof(lag), "-");
			ctl_resp_printf(r, "%-20s %8s %9zu %9zu %9zu %8lu %7s %-20s %s\n", st[i].name,
					ser, st[i].entries, x ? x->blocked : 0, x ? x->alerted : 0,
					st[i].rejected, lag, ok, st[i].url ? st[i].url : "");
			if (st[i].last_error[0])
				ctl_resp_printf(r, "  last error %s: %s\n", errt, st[i].last_error);
		}
	}
	if (r->json)
		ctl_resp_printf(r, "]\n");
	return 0;
}

static int cmd_feeds(void *arg, const struct ctl_req *q, struct ctl_resp *r)
{
	struct daemon *d = arg;
	struct daemon_feeds *df = d->feeds;
	const char *sub = q->argc > 1 ? q->argv[1] : "list";

	if (!df)
		return ctl_resp_error(r, "failed", "feeds are not running");
	if (strcmp(sub, "list") == 0 && q->argc <= 2)
		return feeds_list(df, r);
	if (strcmp(sub, "sync") == 0 && q->argc <= 3) {
		const char *name = q->argc == 3 ? q->argv[2] : NULL;

		if (!df->subs || feed_subs_sync_now(df->subs, name) < 0)
			return ctl_resp_error(r, "failed", name ? "no feed named %s" : "no feeds%s",
					      name ? name : " configured");
		return r->json ? ctl_resp_printf(r, "{\"sync\":\"%s\"}\n", name ? name : "*") :
				 ctl_resp_printf(r, "fetching %s now\n", name ? name : "every feed");
	}
	if (strcmp(sub, "publish") == 0 && q->argc == 2) {
		if (!df->pub)
			return ctl_resp_error(r, "failed", "publishing is off (feed.publish needs dir "
					      "and secret_key)");
		if (feed_pub_now(df->pub, time(NULL)) < 0)
			return ctl_resp_error(r, "failed", "publishing failed (see the log)");
		return r->json ? ctl_resp_printf(r, "{\"published\":%llu}\n",
						 (unsigned long long)feed_pub_serial(df->pub)) :
				 ctl_resp_printf(r, "published serial %llu\n",
						 (unsigned long long)feed_pub_serial(df->pub));
	}
	return ctl_resp_error(r, "usage", "feeds list | sync [NAME] | publish");
}

void daemon_feeds_stats(const struct daemon *d, struct mwstats *ms)
{
	const struct daemon_feeds *df = d->feeds;
	struct feed_sub_status st[CONF_MAX_FEEDS];
	size_t n = df && df->subs ? feed_subs_status(df->subs, st, CONF_MAX_FEEDS) : 0, i;

	ms->n_feeds = 0;
	for (i = 0; i < n && i < CONF_MAX_FEEDS; i++) {
		struct mwstats_feed *f = &ms->feeds[ms->n_feeds++];

		_Static_assert(sizeof(f->name) == sizeof(st[i].name), "feed name sizes");
		memcpy(f->name, st[i].name, sizeof(f->name));
		f->name[sizeof(f->name) - 1] = '\0';
		f->have = st[i].have;
		f->serial = st[i].serial;
		f->issued = st[i].issued;
		f->entries = st[i].entries;
		memcpy(f->polls, st[i].polls, sizeof(f->polls));
		f->delta_applies = st[i].delta_applies;
		f->snapshot_applies = st[i].snapshot_applies;
		f->fallbacks = st[i].fallbacks;
		f->rejected = st[i].rejected;
		f->errors = st[i].errors;
	}
}

const struct ctl_command df_ctl_cmds[] = {
	{ "feeds", cmd_feeds, "feeds list | sync [NAME] | publish: subscribed feeds; fetch now; "
	  "publish our detections now" },
	{ NULL, NULL, NULL },
};
