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

/* One line per feed: the serial in force and when it was applied (also when
 * a later fetch was refused), its entries, and how the last fetches went. */
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
		ctl_resp_printf(r, "%-20s %8s %-20s %9s %9s %9s %8s %7s %-20s %s\n", "NAME",
				"SERIAL", "ACCEPTED", "ENTRIES", "BLOCKED", "ALERTONLY", "REJECTED",
				"LAG", "LAST FETCH OK", "URL");
	for (i = 0; i < n; i++) {
		const struct df_feed *x = df_find(df, st[i].name);
		bool in_force = x && x->applied_at;
		unsigned long long serial = in_force ? x->serial : st[i].serial;
		size_t entries = in_force ? x->n + x->ndoms : st[i].entries;
		char ok[32], errt[32], acc[32], url[600], err[520], lag[24];
		long long lag_s = st[i].issued ? (long long)(now - st[i].issued) : -1;

		time_str(ok, sizeof(ok), st[i].last_ok);
		time_str(errt, sizeof(errt), st[i].last_error_time);
		time_str(acc, sizeof(acc), in_force ? x->applied_at : 0);
		if (r->json) {
			df_json_str(url, sizeof(url), st[i].url ? st[i].url : "");
			df_json_str(err, sizeof(err), st[i].last_error);
			ctl_resp_printf(r, "%s{\"name\":\"%s\",\"url\":\"%s\",\"have\":%s,\"serial\":%llu,"
					"\"accepted\":%lld,\"restored\":%s,"
					"\"expires\":%lld,\"last_ok\":%lld,\"last_error\":\"%s\","
					"\"last_error_time\":%lld,\"rejected\":%lu,\"errors\":%lu,"
					"\"entries\":%zu,\"blocked\":%zu,\"alert_only\":%zu,"
					"\"domains\":%zu,\"domains_alert_only\":%zu,\"next_fetch\":%lld,"
					"\"issued\":%lld,\"lag\":%lld,\"index\":%s,\"polls_304\":%lu,"
					"\"polls_200\":%lu,\"polls_error\":%lu,\"delta_applies\":%lu,"
					"\"snapshot_applies\":%lu,\"fallbacks\":%lu}",
					i ? "," : "", st[i].name, url, in_force || st[i].have ? "true" : "false",
					serial, (long long)(in_force ? x->applied_at : 0),
					in_force && x->restored ? "true" : "false", (long long)st[i].expires,
					(long long)st[i].last_ok, err, (long long)st[i].last_error_time,
					st[i].rejected, st[i].errors, entries, x ? x->blocked : 0,
					x ? x->alerted : 0, x ? x->dom_blocked + x->dom_alerted : 0,
					x ? x->dom_alerted : 0, (long long)st[i].next_fetch,
					(long long)st[i].issued, lag_s, st[i].index ? "true" : "false",
					st[i].polls[FEED_POLL_304], st[i].polls[FEED_POLL_200],
					st[i].polls[FEED_POLL_ERROR], st[i].delta_applies,
					st[i].snapshot_applies, st[i].fallbacks);
		} else {
			char ser[24];

			if (in_force || st[i].have)
				snprintf(ser, sizeof(ser), "%llu", serial);
			else
				snprintf(ser, sizeof(ser), "-");
			if (lag_s >= 0)
				snprintf(lag, sizeof(lag), "%llds", lag_s);
			else
				snprintf(lag, sizeof(lag), "-");
			ctl_resp_printf(r, "%-20s %8s %-20s %9zu %9zu %9zu %8lu %7s %-20s %s\n",
					st[i].name, ser, acc, entries, x ? x->blocked : 0,
					x ? x->alerted : 0, st[i].rejected, lag, ok,
					st[i].url ? st[i].url : "");
			if (in_force && x->restored)
				ctl_resp_printf(r, "  serial %llu restored from feed.state_dir at start\n",
						serial);
			if (st[i].last_error[0])
				ctl_resp_printf(r, "  last error %s: %s\n", errt, st[i].last_error);
		}
	}
	if (r->json)
		ctl_resp_printf(r, "]\n");
	return 0;
}

void daemon_feeds_stats(const struct daemon *d, struct mwstats *st)
{
	struct daemon_feeds *df = d->feeds;
	struct feed_sub_status fs[CONF_MAX_FEEDS];
	size_t n = df && df->subs ? feed_subs_status(df->subs, fs, CONF_MAX_FEEDS) : 0, i;

	st->n_feeds = 0;
	for (i = 0; i < n && i < CONF_MAX_FEEDS && i < MWSTATS_MAX_FEEDS; i++) {
		const struct df_feed *x = df_find(df, fs[i].name);
		struct mwstats_feed *m = &st->feeds[st->n_feeds++];

		snprintf(m->name, sizeof(m->name), "%.63s", fs[i].name);
		m->in_force = x && x->applied_at;
		m->serial = m->in_force ? x->serial : fs[i].have ? fs[i].serial : 0;
		m->issued = fs[i].issued;
		m->accepted = m->in_force ? x->applied_at : 0;
		m->last_ok = fs[i].last_ok;
		m->last_error_time = fs[i].last_error_time;
		m->entries = m->in_force ? x->n + x->ndoms : fs[i].entries;
		m->blocked = x ? x->blocked : 0;
		memcpy(m->polls, fs[i].polls, sizeof(m->polls));
		m->delta_applies = fs[i].delta_applies;
		m->snapshot_applies = fs[i].snapshot_applies;
		m->fallbacks = fs[i].fallbacks;
		m->rejected = fs[i].rejected;
		m->errors = fs[i].errors;
	}
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


const struct ctl_command df_ctl_cmds[] = {
	{ "feeds", cmd_feeds, "feeds list | sync [NAME] | publish: subscribed feeds; fetch now; "
	  "publish our detections now" },
	{ NULL, NULL, NULL },
};
