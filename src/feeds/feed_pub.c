// SPDX-License-Identifier: GPL-2.0-or-later
/* Our own signed feed: a snapshot and a delta each interval, the index written last. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "feed_file.h"
#include "feed_pub.h"
#include "feed_text.h"
#include "log.h"

struct feed_pub {
	char *dir;
	char provider[FEED_PROVIDER_MAX];
	struct minisign_seckey sk;
	unsigned int interval, validity;
	feed_pub_collect_cb collect;
	void *arg;
	uint64_t serial;	/* last published, from "index" */
	struct feed prev;	/* last snapshot, for the next delta */
	bool have_prev;
	time_t last;
};

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

struct feed_pub *feed_pub_new(const struct mw_conf *c, feed_pub_collect_cb collect, void *arg)
{
	struct feed_pub *p;
	uint8_t *buf = NULL;
	size_t len;
	char err[256], host[64];
	struct feed_limits lim;

	errno = 0;
	if (!c->publish_dir || !c->publish_secret_key)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->dir = strdup(c->publish_dir)))
		goto err;
	p->collect = collect;
	p->arg = arg;
	p->interval = c->publish_interval;
	p->validity = c->publish_validity;
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
	/* The serial survives restarts through the index; the previous snapshot gives the delta. */
	if (feed_file_read(p->dir, "index", 4096, &buf, &len) == 0) {
		char *nl = memchr(buf, '\n', len);

		if (len > 7 && memcmp(buf, "serial ", 7) == 0 && nl &&
		    feed_u64_parse((const char *)buf + 7, (size_t)(nl - (char *)buf - 7), &p->serial) == 0)
			;
		else
			log_warnx("publish: %s/index is malformed; starting at serial 1", p->dir);
		free(buf);
		buf = NULL;
	}
	feed_limits_default(&lim);
	if (p->serial && feed_file_read(p->dir, "feed", lim.max_size, &buf, &len) == 0) {
		if (feed_parse(buf, len, &lim, &p->prev, err, sizeof(err)) == FEED_OK &&
		    p->prev.serial == p->serial)
			p->have_prev = true;
		else
			feed_fini(&p->prev);
	}
	free(buf);
	return p;
err:
	free(buf);
	feed_pub_free(p);
	if (!errno)
		errno = ENOMEM;
	return NULL;
}

static int write_signed(struct feed_pub *p, const char *name, const char *body, size_t len)
{
	char *sig = NULL, sname[96], err[256];
	int ret = -1;

	if (feed_sign((const uint8_t *)body, len, &p->sk, &sig, err, sizeof(err)) < 0) {
		log_warnx("publish: signing %s: %s", name, err);
		return -1;
	}
	snprintf(sname, sizeof(sname), "%s.minisig", name);
	/* Body first: a reader holding the new signature always finds its body. */
	if (feed_file_write(p->dir, name, body, len) < 0 ||
	    feed_file_write(p->dir, sname, sig, strlen(sig)) < 0) {
		log_warn("publish: writing %s/%s", p->dir, name);
		goto out;
	}
	ret = 0;
out:
	free(sig);
	return ret;
}

int feed_pub_now(struct feed_pub *p, time_t now)
{
	struct feed_pub_item *items = NULL;
	struct feed_entry *e = NULL;
	struct feed snap, delta;
	char *text = NULL, err[256], val[FEED_VALUE_MAX], name[96], idx[64];
	size_t n = 0, i, k = 0, len;
	int ret = -1;

	memset(&snap, 0, sizeof(snap));
	memset(&delta, 0, sizeof(delta));
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
	if (feed_build_snapshot(&snap, p->provider, p->serial + 1, now, now + p->validity, e, k,
				err, sizeof(err)) < 0) {
		log_warnx("publish: %s", err);
		goto out;
	}
	if (p->have_prev) {
		if (feed_build_delta(&delta, &p->prev, &snap, err, sizeof(err)) < 0 ||
		    feed_write(&delta, &text, &len) < 0) {
			log_warnx("publish: delta: %s", err);
			goto out;
		}
		snprintf(name, sizeof(name), "delta-%llu-%llu", (unsigned long long)p->prev.serial,
			 (unsigned long long)snap.serial);
		if (write_signed(p, name, text, len) < 0)
			goto out;
		free(text);
		text = NULL;
	}
	if (feed_write(&snap, &text, &len) < 0 || write_signed(p, "feed", text, len) < 0)
		goto out;
	/* The index last: whoever reads it finds everything it names. */
	snprintf(idx, sizeof(idx), "serial %llu\n", (unsigned long long)snap.serial);
	if (feed_file_write(p->dir, "index", idx, strlen(idx)) < 0) {
		log_warn("publish: writing %s/index", p->dir);
		goto out;
	}
	p->serial = snap.serial;
	feed_fini(&p->prev);
	p->prev = snap;
	memset(&snap, 0, sizeof(snap));
	p->have_prev = true;
	p->last = now;
	ret = 0;
out:
	free(text);
	free(e);
	free(items);
	feed_fini(&snap);
	feed_fini(&delta);
	return ret;
}

int feed_pub_tick(struct feed_pub *p, time_t now)
{
	if (p->last && now - p->last < (time_t)p->interval)
		return 0;
	return feed_pub_now(p, now);
}

uint64_t feed_pub_serial(const struct feed_pub *p)
{
	return p->serial;
}

void feed_pub_free(struct feed_pub *p)
{
	if (!p)
		return;
	feed_fini(&p->prev);
	free(p->dir);
	memset(&p->sk, 0, sizeof(p->sk));
	free(p);
}
