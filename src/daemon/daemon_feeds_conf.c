// SPDX-License-Identifier: GPL-2.0-or-later
/* Feeds in the daemon from the config: start, reload (what changed is made anew), stop. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_server.h"
#include "daemon_enforce.h"
#include "daemon_feeds.h"
#include "daemon_feeds_int.h"
#include "enforce.h"
#include "ep_table.h"
#include "feed_fetch.h"
#include "feed_pub.h"
#include "feed_sub.h"
#include "log.h"

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whether the subscriptions' part of two configs differs. */
static bool subs_differ(const struct mw_conf *a, const struct mw_conf *b)
{
	unsigned int i, j;

	if (a->n_feeds != b->n_feeds || !str_eq(a->feed_state_dir, b->feed_state_dir) ||
	    a->feed_corroborate != b->feed_corroborate || a->feed_min_prefix4 != b->feed_min_prefix4 ||
	    a->feed_min_prefix6 != b->feed_min_prefix6 || a->feed_ttl_min != b->feed_ttl_min ||
	    a->feed_ttl_max != b->feed_ttl_max || a->feed_skew != b->feed_skew ||
	    a->feed_connect_timeout != b->feed_connect_timeout || a->feed_timeout != b->feed_timeout)
		return true;
	for (i = 0; i < a->n_feeds; i++) {
		const struct conf_feed *x = &a->feeds[i], *y = &b->feeds[i];

		if (!str_eq(x->name, y->name) || !str_eq(x->url, y->url) ||
		    !str_eq(x->provider, y->provider) || x->n_pubkeys != y->n_pubkeys ||
		    x->interval != y->interval || x->poll != y->poll || x->action != y->action ||
		    x->max_size != y->max_size || x->max_entries != y->max_entries)
			return true;
		for (j = 0; j < x->n_pubkeys; j++)
			if (!str_eq(x->pubkeys[j], y->pubkeys[j]))
				return true;
	}
	return false;
}

static bool pub_differ(const struct mw_conf *a, const struct mw_conf *b)
{
	return !str_eq(a->publish_dir, b->publish_dir) ||
	       !str_eq(a->publish_secret_key, b->publish_secret_key) ||
	       !str_eq(a->publish_provider, b->publish_provider) ||
	       a->publish_interval != b->publish_interval || a->publish_validity != b->publish_validity ||
	       a->publish_debounce_ms != b->publish_debounce_ms;
}

/* The feed table for c; feeds kept by name keep their applied entries (the
 * corroboration of the others counts them while the new subscriptions start). */
static void table_from(struct daemon_feeds *df, const struct mw_conf *c, struct df_feed *old,
		       unsigned int nold)
{
	unsigned int i, j;

	memset(df->feed, 0, sizeof(df->feed));
	df->n = 0;
	for (i = 0; i < c->n_feeds && i < CONF_MAX_FEEDS; i++) {
		struct df_feed *x = &df->feed[df->n++];

		for (j = 0; j < nold; j++) {
			if ((old[j].eps || old[j].doms) && strcmp(old[j].name, c->feeds[i].name) == 0) {
				*x = old[j];
				old[j].eps = NULL;
				old[j].kern = NULL;
				old[j].doms = NULL;
				break;
			}
		}
		snprintf(x->name, sizeof(x->name), "%s", c->feeds[i].name);
		x->action = (enum conf_feed_action)c->feeds[i].action;
		x->seen_rejected = x->seen_errors = 0;
	}
	df->corroborate = c->feed_corroborate;
}

static struct feed_subs *subs_open(struct daemon *d, const struct mw_conf *c)
{
	struct feed_subs *s;

	if (!c->n_feeds)
		return NULL;
	s = feed_subs_new(c, d->loop, df_on_apply, d);
	if (!s) {
		log_warnx("feeds: subscriptions not created");
		return NULL;
	}
	if (df_protect_set(d, s) < 0) {
		feed_subs_free(s);
		return NULL;
	}
	return s;
}

int daemon_feeds_init(struct daemon *d)
{
	struct daemon_feeds *df = calloc(1, sizeof(*df));

	if (!df)
		return -1;
	d->feeds = df;
	df->lists = d->lists;
	if (feed_fetch_global_init() < 0) {
		log_warnx("feeds: libcurl initialisation failed");
		return -1;
	}
	table_from(df, d->conf, NULL, 0);
	if (d->conf->n_feeds) {
		if (!(df->subs = subs_open(d, d->conf)))
			return -1;
		/* Cached feeds are applied here, before the first fetch. */
		df->starting = true;
		if (feed_subs_start(df->subs) < 0) {
			df->starting = false;
			return -1;
		}
		df->starting = false;
	}
	df->pub = df_pub_open(d, d->conf);
	if (d->ctl && !df->registered && ctl_server_register(d->ctl, df_ctl_cmds, d) == 0)
		df->registered = true;
	log_info("feeds: %u subscribed%s", df->n, df->pub ? ", publishing" : "");
	return 0;
}

int daemon_feeds_reload(struct daemon *d, const struct mw_conf *nc, const struct pool_lists *nl)
{
	struct daemon_feeds *df = d->feeds;
	struct df_feed old[CONF_MAX_FEEDS];
	unsigned int nold, i;

	if (!df)
		return 0;
	df->lists = nl;
	if (pub_differ(d->conf, nc)) {
		feed_pub_free(df->pub);
		df->pub = df_pub_open(d, nc);
	}
	if (!subs_differ(d->conf, nc)) {
		if (df->subs && df_protect_set(d, df->subs) < 0)
			log_warnx("reload: feeds keep their previous protected ranges");
		/* The lists may have changed: the feeds' domains join the new ones. */
		if (df->pd)
			df_domains_refresh(d, nl);
		return 0;
	}
	/* The old subscriptions go first (their fetch thread with them); the
	 * new ones load each feed's state and last good copy from disk. */
	feed_subs_free(df->subs);
	df->subs = NULL;
	memcpy(old, df->feed, sizeof(old));
	nold = df->n;
	table_from(df, nc, old, nold);
	/* Feeds dropped take their domains with them; the others keep theirs
	 * under their new place in the table (a tag bit is a table index). */
	df_domains_refresh(d, nl);
	for (i = 0; i < nold; i++) {
		struct enforcer *e = daemon_enforcer(d);

		free(old[i].doms);
		if (!old[i].eps)
			continue;
		/* A feed no longer subscribed: empty its sets (best effort; its
		 * rules are gone with the new ruleset anyway). */
		if (e && enforce_begin(e) == 0) {
			if (enforce_sync_source(e, ENF_FEED, old[i].name, NULL, 0) < 0 ||
			    enforce_commit(e) < 0)
				enforce_abort(e);
		}
		free(old[i].eps);
		free(old[i].kern);
	}
	if (nc->n_feeds) {
		df->subs = subs_open(d, nc);
		df->starting = true;
		if (!df->subs || feed_subs_start(df->subs) < 0) {
			df->starting = false;
			log_warnx("reload: feeds not restarted; their sets keep what they hold");
			return -1;
		}
		df->starting = false;
	}
	log_info("reload: %u feeds subscribed", df->n);
	return 0;
}

void daemon_feeds_fini(struct daemon *d)
{
	struct daemon_feeds *df = d->feeds;
	unsigned int i;

	if (!df)
		return;
	feed_subs_free(df->subs);
	feed_pub_free(df->pub);
	free(df->protect);
	/* The workers outlive us (they drain the queues): back to the lists'
	 * own domains first. */
	df_domains_publish(d, NULL);
	for (i = 0; i < df->n; i++) {
		free(df->feed[i].eps);
		free(df->feed[i].kern);
		free(df->feed[i].doms);
	}
	free(df);
	d->feeds = NULL;
}
