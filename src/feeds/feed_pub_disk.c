// SPDX-License-Identifier: GPL-2.0-or-later
/* The publisher's directory: signed files written atomically, taken up again at start, pruned. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "feed_file.h"
#include "feed_pub_int.h"
#include "feed_text.h"
#include "log.h"

#define PUB_FILE_MAX	(1u << 30)	/* our own snapshot: the detections we hold */

int feed_pub_write_signed(struct feed_pub *p, const char *name, const char *body, size_t len,
			  bool sig_first)
{
	char *sig = NULL, sname[96], err[256];
	int rc, ret = -1;

	rc = feed_index_is((const uint8_t *)body, len) ?
	     feed_index_sign((const uint8_t *)body, len, &p->sk, &sig, err, sizeof(err)) :
	     feed_sign((const uint8_t *)body, len, &p->sk, &sig, err, sizeof(err));
	if (rc < 0) {
		log_warnx("publish: signing %s: %s", name, err);
		return -1;
	}
	snprintf(sname, sizeof(sname), "%s.minisig", name);
	/* Feeds: body first, so a reader holding the new signature finds its
	 * body. The index: signature first, since readers poll the index and
	 * fetch its signature only when it changed. */
	if (sig_first)
		rc = feed_file_write(p->dir, sname, sig, strlen(sig)) < 0 ||
		     feed_file_write(p->dir, name, body, len) < 0;
	else
		rc = feed_file_write(p->dir, name, body, len) < 0 ||
		     feed_file_write(p->dir, sname, sig, strlen(sig)) < 0;
	if (rc) {
		log_warn("publish: writing %s/%s", p->dir, name);
		goto out;
	}
	ret = 0;
out:
	free(sig);
	return ret;
}

/* Read and parse one of our files, checked against its link when given. */
static int read_feed(struct feed_pub *p, const char *name, const struct feed_index_link *k,
		     struct feed *f)
{
	struct feed_limits lim = { PUB_FILE_MAX, 10000000, 4096 };
	uint8_t *buf = NULL, h[FEED_HASH_BYTES];
	size_t len;
	char err[256];
	int ret = -1;

	memset(f, 0, sizeof(*f));
	if (feed_file_read(p->dir, name, PUB_FILE_MAX, &buf, &len) < 0)
		return -1;
	if (k) {
		crypto_generichash(h, sizeof(h), buf, len, NULL, 0);
		if (len != k->size || memcmp(h, k->hash, sizeof(h)) != 0) {
			log_warnx("publish: %s/%s is not the file the index names", p->dir, name);
			goto out;
		}
	}
	if (feed_parse(buf, len, &lim, f, err, sizeof(err)) != FEED_OK) {
		log_warnx("publish: %s/%s: %s", p->dir, name, err);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* The newest set: the snapshot the index names and its deltas merged on it. */
static int rebuild(struct feed_pub *p)
{
	const struct feed_index *x = p->idx;
	char name[FEED_INDEX_NAME_MAX];
	struct feed f, next;
	size_t i;
	int k;

	if (read_feed(p, "feed", &x->snapshot, &p->cur) < 0)
		return -1;
	k = x->snapshot.serial == x->serial ? (int)x->n_links : feed_index_find(x, x->snapshot.serial);
	for (i = (size_t)(k < 0 ? 0 : k); k >= 0 && i < x->n_links; i++) {
		feed_index_delta_name(x->links[i].base, x->links[i].serial, name);
		if (read_feed(p, name, &x->links[i], &f) < 0)
			return -1;
		if (feed_merge(&p->cur, &f, &next) < 0) {
			feed_fini(&f);
			return -1;
		}
		feed_fini(&f);
		feed_fini(&p->cur);
		p->cur = next;
	}
	return p->cur.serial == x->serial ? 0 : -1;
}

void feed_pub_load(struct feed_pub *p)
{
	uint8_t *buf = NULL;
	size_t len;
	char err[256];

	if (feed_file_read(p->dir, "index", FEED_INDEX_MAX_SIZE, &buf, &len) < 0) {
		if (errno != ENOENT)
			log_warn("publish: cannot read %s/index; starting at serial 1", p->dir);
		return;
	}
	if (feed_index_is(buf, len)) {
		if (feed_index_parse(buf, len, p->idx, err, sizeof(err)) == FEED_OK) {
			p->serial = p->idx->serial;
			p->have_idx = true;
			p->prev_snapshot = p->idx->n_links ? p->idx->links[0].base : 0;
		} else {
			log_warnx("publish: %s/index: %s; starting at serial 1", p->dir, err);
		}
	} else {
		/* The index of earlier versions: "serial N". */
		char *nl = memchr(buf, '\n', len);

		if (!(len > 7 && memcmp(buf, "serial ", 7) == 0 && nl &&
		      feed_u64_parse((const char *)buf + 7, (size_t)(nl - (char *)buf - 7),
				     &p->serial) == 0))
			log_warnx("publish: %s/index is malformed; starting at serial 1", p->dir);
	}
	free(buf);
	if (p->have_idx && rebuild(p) == 0) {
		p->have_cur = true;
		return;
	}
	feed_fini(&p->cur);
	if (p->have_idx)
		log_warnx("publish: the files of serial %llu cannot be read back: the next "
			  "publication is a snapshot", (unsigned long long)p->serial);
	p->have_idx = false;
	/* Without an index of this version: the snapshot alone, when it is the newest. */
	if (p->serial && read_feed(p, "feed", NULL, &p->cur) == 0) {
		if (p->cur.serial == p->serial)
			p->have_cur = true;
		else
			feed_fini(&p->cur);
	}
}

static bool named(const struct feed_index *x, uint64_t base, uint64_t serial)
{
	int k = feed_index_find(x, base);

	return k >= 0 && x->links[k].serial == serial;
}

void feed_pub_prune(struct feed_pub *p, time_t now)
{
	char path[4096];
	unsigned long long b, s;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n;

	if (!p->have_idx || !(d = opendir(p->dir)))
		return;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "delta-%llu-%llu%n", &b, &s, &n) != 2 ||
		    (de->d_name[n] && strcmp(de->d_name + n, ".minisig") != 0) ||
		    named(p->idx, b, s))
			continue;
		snprintf(path, sizeof(path), "%s/%s", p->dir, de->d_name);
		if (stat(path, &st) == 0 && now - st.st_mtime >= PUB_DELTA_GRACE)
			feed_file_remove(p->dir, de->d_name);
	}
	closedir(d);
}
