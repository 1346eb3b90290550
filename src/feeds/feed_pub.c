// SPDX-License-Identifier: GPL-2.0-or-later
/* Our own signed feed: a delta within a second of a detection, a snapshot each interval,
 * the signed index written last.
 *
 * Each publication makes the next serial: the set we block now, the delta
 * from the newest set published before, and the index naming the snapshot
 * and the chain of deltas (feed_index.h). A detection pokes the publisher;
 * publish.debounce_ms later one delta carries every change made meanwhile, so
 * a burst makes one delta and a subscriber polling the index sees it on its
 * next poll. The snapshot ("feed") is written every publish.interval, or
 * sooner when PUB_MAX_SINCE_SNAPSHOT deltas followed the last one. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <sodium.h>

#include "evloop.h"
#include "feed.h"
#include "feed_file.h"
#include "feed_pub.h"
#include "feed_pub_int.h"
#include "feed_text.h"
#include "log.h"

static void on_debounce(struct evloop *loop, int fd, void *arg);

/* The canonical value text of an address entry. */
static int ep_text(const struct ep_entry *e, char *out, size_t outsize)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int full = e->family == AF_INET ? 32 : 128;

	if (!inet_ntop(e->family, e->addr, a, sizeof(a)))
		return -1;
	if (e->port)
		snprintf(out, outsize, e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, e->port);
	else if (e->plen < full)
		snprintf(out, outsize, "%s/%u", a, e->plen);
	else
		snprintf(out, outsize, "%s", a);
	return 0;
}

struct feed_pub *feed_pub_new(const struct mw_conf *c, struct evloop *loop,
			      feed_pub_collect_cb collect, void *arg)
{
	struct feed_pub *p;
	uint8_t *buf = NULL;
	size_t len;
	char err[256], host[64];

	errno = 0;
	if (!c->publish_dir || !c->publish_secret_key)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto err;
	p->tfd = -1;
	if (!(p->dir = strdup(c->publish_dir)) || !(p->idx = calloc(1, sizeof(*p->idx))))
		goto err;
	p->collect = collect;
	p->arg = arg;
	p->interval = c->publish_interval;
	p->validity = c->publish_validity;
	p->debounce_ms = c->publish_debounce_ms;
	if (c->publish_provider)
		snprintf(p->provider, sizeof(p->provider), "%s", c->publish_provider);
	else if (gethostname(host, sizeof(host)) == 0 && feed_provider_valid(host, strnlen(host, sizeof(host))))
		snprintf(p->provider, sizeof(p->provider), "%s", host);
	else
		snprintf(p->provider, sizeof(p->provider), "minewall");
	if (feed_file_read(NULL, c->publish_secret_key, 64 * 1024, &buf, &len) < 0) {
		log_warn("publish: cannot read %s", c->publish_secret_key);
		goto err;
	}
	if (minisign_seckey_parse((const char *)buf, len, NULL, &p->sk, err, sizeof(err)) < 0) {
		log_warnx("publish: %s: %s", c->publish_secret_key, err);
		errno = EINVAL;
		goto err;
	}
	free(buf);
	buf = NULL;
	/* The serial survives restarts through the index; the newest set gives the next delta. */
	feed_pub_load(p);
	if (loop) {
		p->loop = loop;
		p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->tfd < 0 || evloop_add(loop, p->tfd, on_debounce, p) < 0) {
			if (p->tfd >= 0)
				close(p->tfd);
			p->tfd = -1;
			goto err;
		}
	}
	return p;
err:
	free(buf);
	feed_pub_free(p);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

/* The entries of what we block now, as a snapshot of the next serial. */
static int next_build(struct feed_pub *p, time_t now, struct feed *next)
{
	struct feed_pub_item *items = NULL;
	struct feed_entry *e = NULL;
	char err[256], val[FEED_VALUE_MAX];
	size_t n = 0, i, k = 0;
	int ret = -1;

	if (p->collect(&items, &n, p->arg) < 0)
		return -1;
	e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		goto out;
	for (i = 0; i < n; i++) {
		const char *v = items[i].domain;

		if (!v) {
			if (ep_text(&items[i].ep, val, sizeof(val)) < 0)
				continue;
			v = val;
		}
		if (feed_entry_set(&e[k], FEED_ADD, NULL, v, items[i].ttl, items[i].reason, err,
				   sizeof(err)) == 0)
			k++;
		else
			log_debug("publish: skipping %s: %s", v, err);
	}
	if (feed_build_snapshot(next, p->provider, p->serial + 1, now, now + p->validity, e, k,
				err, sizeof(err)) < 0) {
		log_warnx("publish: %s", err);
		goto out;
	}
	ret = 0;
out:
	free(e);
	free(items);
	return ret;
}

/* A TTL counts from the issue time of the feed in force, and a block's time
 * left shrinks every second: republished as is, every entry would be in every
 * delta. An entry keeps its published TTL while that overshoots the time it
 * has left by at most a tenth (at least a minute); a block made longer, or
 * shorter than that, is published again. */
static void ttl_keep(const struct feed *cur, struct feed *next)
{
	size_t i = 0, j = 0;

	while (i < cur->n_entries && j < next->n_entries) {
		const struct feed_entry *a = &cur->entries[i];
		struct feed_entry *b = &next->entries[j];
		int c = feed_entry_cmp(a, b);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			uint64_t tol = a->ttl / 10 > 60 ? a->ttl / 10 : 60;

			if (a->ttl >= b->ttl && a->ttl - b->ttl <= tol &&
			    strcmp(a->reason, b->reason) == 0)
				b->ttl = a->ttl;
			i++;
			j++;
		}
	}
}

static size_t since_snapshot(const struct feed_index *x)
{
	int k = feed_index_find(x, x->snapshot.serial);

	return k < 0 ? 0 : x->n_links - (size_t)k;
}

/* The new index: the snapshot (new or kept), the kept deltas and link. */
static void index_next(struct feed_pub *p, time_t now, const struct feed *next,
		       const struct feed_index_link *snap, const struct feed_index_link *link)
{
	struct feed_index *x = p->idx;
	size_t drop = 0, i;

	if (!p->have_idx)
		x->n_links = 0;
	if (snap) {
		p->prev_snapshot = p->have_idx ? x->snapshot.serial : 0;
		x->snapshot = *snap;
	}
	if (link) {
		if (x->n_links == FEED_INDEX_MAX_LINKS)
			drop = 1;
		memmove(x->links, x->links + drop, (x->n_links - drop) * sizeof(*x->links));
		x->n_links -= drop;
		x->links[x->n_links++] = *link;
	} else {
		x->n_links = 0;
	}
	/* Keep the deltas since the snapshot before this one, at most PUB_KEEP_LINKS. */
	for (drop = 0; drop < x->n_links; drop++)
		if (x->links[drop].base >= p->prev_snapshot && x->n_links - drop <= PUB_KEEP_LINKS)
			break;
	/* Never the deltas that lead from the snapshot. */
	for (i = 0; i < drop; i++)
		if (x->links[i].base == x->snapshot.serial)
			drop = i;
	memmove(x->links, x->links + drop, (x->n_links - drop) * sizeof(*x->links));
	x->n_links -= drop;
	snprintf(x->provider, sizeof(x->provider), "%s", p->provider);
	x->serial = next->serial;
	x->issued = now;
	x->expires = now + p->validity;
}

/* One publication: the delta from the newest set (when there is one) and,
 * with snapshot or when needed, the snapshot; then the index. */
static int publish(struct feed_pub *p, time_t now, bool snapshot)
{
	struct feed next, delta;
	struct feed_index_link snap, link;
	char *text = NULL, err[256], name[FEED_INDEX_NAME_MAX];
	size_t len;
	int ret = -1;

	memset(&next, 0, sizeof(next));
	memset(&delta, 0, sizeof(delta));
	if (next_build(p, now, &next) < 0)
		return -1;
	if (!p->have_cur || !p->have_idx || since_snapshot(p->idx) + 1 >= PUB_MAX_SINCE_SNAPSHOT)
		snapshot = true;
	if (p->have_cur) {
		ttl_keep(&p->cur, &next);
		if (feed_build_delta(&delta, &p->cur, &next, err, sizeof(err)) < 0) {
			log_warnx("publish: delta: %s", err);
			goto out;
		}
		if (!snapshot && !delta.n_entries) {
			ret = 0;	/* nothing changed: no new serial */
			goto out;
		}
		if (feed_write(&delta, &text, &len) < 0)
			goto out;
		feed_index_delta_name(p->cur.serial, next.serial, name);
		if (feed_pub_write_signed(p, name, text, len, false) < 0)
			goto out;
		link = (struct feed_index_link){ p->cur.serial, next.serial, len, { 0 } };
		memcpy(link.hash, delta.hash, sizeof(link.hash));
		free(text);
		text = NULL;
	}
	if (snapshot) {
		if (feed_write(&next, &text, &len) < 0 ||
		    feed_pub_write_signed(p, "feed", text, len, false) < 0)
			goto out;
		snap = (struct feed_index_link){ 0, next.serial, len, { 0 } };
		memcpy(snap.hash, next.hash, sizeof(snap.hash));
		free(text);
		text = NULL;
		p->last_snapshot = now;
	}
	/* The index last: whoever reads it finds everything it names. */
	index_next(p, now, &next, snapshot ? &snap : NULL, p->have_cur ? &link : NULL);
	if (feed_index_write(p->idx, &text, &len) < 0 ||
	    feed_pub_write_signed(p, "index", text, len, true) < 0) {
		/* The files it would have named are there; the old index stays. */
		p->have_idx = false;
		goto out;
	}
	p->have_idx = true;
	p->serial = next.serial;
	feed_fini(&p->cur);
	p->cur = next;
	memset(&next, 0, sizeof(next));
	p->have_cur = true;
	feed_pub_prune(p, now);
	ret = 0;
out:
	free(text);
	feed_fini(&next);
	feed_fini(&delta);
	return ret;
}

int feed_pub_now(struct feed_pub *p, time_t now)
{
	return publish(p, now, true);
}

int feed_pub_delta(struct feed_pub *p, time_t now)
{
	return publish(p, now, false);
}

int feed_pub_tick(struct feed_pub *p, time_t now)
{
	if (p->last_snapshot && now - p->last_snapshot < (time_t)p->interval)
		return 0;
	return feed_pub_now(p, now);
}

static void on_debounce(struct evloop *loop, int fd, void *arg)
{
	struct feed_pub *p = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	p->armed = false;
	if (feed_pub_delta(p, time(NULL)) < 0)
		log_warnx("publish: delta not written (the next detection or snapshot tries again)");
}

void feed_pub_poke(struct feed_pub *p)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	/* Armed once for the first change: the ones that follow join it. */
	if (p->tfd < 0 || p->armed)
		return;
	its.it_value.tv_sec = p->debounce_ms / 1000;
	its.it_value.tv_nsec = (long)(p->debounce_ms % 1000) * 1000000L;
	if (!p->debounce_ms)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(p->tfd, 0, &its, NULL) < 0) {
		log_warn("publish: timerfd_settime");
		return;
	}
	p->armed = true;
}

uint64_t feed_pub_serial(const struct feed_pub *p)
{
	return p->serial;
}

void feed_pub_free(struct feed_pub *p)
{
	if (!p)
		return;
	if (p->tfd >= 0) {
		evloop_del(p->loop, p->tfd);
		close(p->tfd);
	}
	feed_fini(&p->cur);
	free(p->idx);
	free(p->dir);
	sodium_memzero(&p->sk, sizeof(p->sk));
	free(p);
}
