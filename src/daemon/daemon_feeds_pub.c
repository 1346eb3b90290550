// SPDX-License-Identifier: GPL-2.0-or-later
/* Feeds in the daemon: our own detection blocks, as the kernel holds them, published as a signed feed. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon_enforce.h"
#include "daemon_feeds.h"
#include "daemon_feeds_int.h"
#include "enforce.h"
#include "feed_pub.h"
#include "log.h"

#define DF_NO_EXPIRY_TTL	86400	/* published TTL of a block without expiry */

struct pub_arg {
	struct feed_pub_item *v;
	size_t n, cap;
};

static int pub_item_cb(const struct ep_entry *e, void *arg)
{
	struct pub_arg *a = arg;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct feed_pub_item *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	a->v[a->n].ep = *e;
	a->v[a->n].ep.expires_ms = 0;
	a->v[a->n].ep.tag = 0;
	a->v[a->n].ttl = e->expires_ms ? (e->expires_ms + 999) / 1000u : DF_NO_EXPIRY_TTL;
	a->v[a->n].reason = "mining protocol seen";
	a->n++;
	return 0;
}

/* What we publish: the daemon's own detection blocks, as the kernel holds them. */
static int pub_collect(struct feed_pub_item **items, size_t *n, void *arg)
{
	struct daemon *d = arg;
	struct enforcer *e = daemon_enforcer(d);
	struct pub_arg a = { 0 };

	if (!e || enforce_list(e, ENF_DETECT, NULL, pub_item_cb, &a) != 0) {
		free(a.v);
		return -1;
	}
	*items = a.v;
	*n = a.n;
	return 0;
}

struct feed_pub *df_pub_open(struct daemon *d, const struct mw_conf *c)
{
	struct feed_pub *p;

	if (!c->publish_dir || !c->publish_secret_key)
		return NULL;
	if (mkdir(c->publish_dir, 0755) < 0 && errno != EEXIST)
		log_warn("publish: cannot create %s", c->publish_dir);
	p = feed_pub_new(c, d->loop, pub_collect, d);
	if (!p && errno)
		log_warnx("publish: off (%s)", strerror(errno));
	else if (p)
		log_info("publish: our detections into %s: a delta %ums after a detection, a "
			 "snapshot every %us", c->publish_dir, c->publish_debounce_ms,
			 c->publish_interval);
	return p;
}

void daemon_feeds_detected(struct daemon *d)
{
	if (d->feeds && d->feeds->pub)
		feed_pub_poke(d->feeds->pub);
}
