// SPDX-License-Identifier: GPL-2.0-or-later
/* Each feed's last good copy in state_dir: saved as signed, verified again at start-up. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed_file.h"
#include "feed_sub_int.h"
#include "feed_text.h"
#include "log.h"

#define SIG_MAX		(64 * 1024)

/* ---- persistence in state_dir ----
 * NAME.state          the feed_state line: the commit point, written last
 * NAME.snapshot(.minisig)   the last snapshot as the provider signed it
 * NAME.delta.SERIAL(.minisig)  deltas applied on top of it, in serial order
 * NAME.keys           keys learnt by rotation, one public key line each */

static int file_save(struct feed_subs *s, struct feed_sub *sub, const struct sub_file *f)
{
	char fn[FEED_PROVIDER_MAX + 48];

	if (f->kind == FEED_SNAPSHOT)
		snprintf(fn, sizeof(fn), "%s.snapshot", sub->name);
	else
		snprintf(fn, sizeof(fn), "%s.delta.%llu", sub->name, (unsigned long long)f->serial);
	if (feed_file_write(s->state_dir, fn, f->body, f->len) < 0)
		return -1;
	strcat(fn, ".minisig");
	return feed_file_write(s->state_dir, fn, f->sig, f->sig_len);
}

int feed_sub_persist(struct feed_subs *s, struct feed_sub *sub, const struct sub_file *files,
		     size_t n)
{
	char fn[FEED_PROVIDER_MAX + 48], st[256];
	uint64_t snap = 0, ser;
	DIR *d;
	struct dirent *de;
	size_t nl = strlen(sub->name), i;

	for (i = 0; i < n; i++) {
		if (file_save(s, sub, &files[i]) < 0)
			return -1;
		if (files[i].kind == FEED_SNAPSHOT)
			snap = files[i].serial;
	}
	if (feed_state_format(&sub->st, st, sizeof(st)) < 0)
		return -1;
	snprintf(fn, sizeof(fn), "%s.state", sub->name);
	if (feed_file_write(s->state_dir, fn, st, strlen(st)) < 0)
		return -1;
	if (!snap) {
		sub->cached_deltas += (unsigned int)n;
		return 0;
	}
	sub->cached_snapshot = snap;
	sub->cached_deltas = (unsigned int)(n - 1);
	/* A new snapshot makes the deltas up to it useless: drop them, after the state moved. */
	d = opendir(s->state_dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		const char *p = de->d_name + nl + 7;
		size_t pl;

		if (strncmp(de->d_name, sub->name, nl) != 0 ||
		    strncmp(de->d_name + nl, ".delta.", 7) != 0)
			continue;
		pl = strcspn(p, ".");
		if (feed_u64_parse(p, pl, &ser) < 0 || ser <= snap)
			feed_file_remove(s->state_dir, de->d_name);
	}
	closedir(d);
	return 0;
}

int feed_sub_persist_keys(struct feed_subs *s, struct feed_sub *sub)
{
	char fn[FEED_PROVIDER_MAX + 16], *buf;
	size_t i, len = 0;
	int ret;

	buf = malloc((sub->nkeys - sub->npinned) * 128 + 1);
	if (!buf)
		return -1;
	buf[0] = '\0';
	for (i = sub->npinned; i < sub->nkeys; i++) {
		if (minisign_pubkey_format(&sub->keys[i], buf + len, 128) < 0) {
			free(buf);
			return -1;
		}
		len += strlen(buf + len);
	}
	snprintf(fn, sizeof(fn), "%s.keys", sub->name);
	ret = feed_file_write(s->state_dir, fn, buf, len);
	free(buf);
	return ret;
}

/* ---- start-up from state_dir ---- */

static int delta_serial_cmp(const void *a, const void *b)
{
	const uint64_t *p = a, *q = b;

	return *p < *q ? -1 : *p > *q;
}

/* Verify one cached file pair as if fetched. */
static enum feed_verdict load_one(struct feed_subs *s, struct feed_sub *sub, const char *fn,
				  struct feed_state *chain, time_t now)
{
	struct feed_fetch_job job;
	char sfn[FEED_PROVIDER_MAX + 64];
	struct feed f;
	struct feed_policy pol = s->pol;
	enum feed_verdict v = FEED_E_SYSTEM;
	char err[512];

	memset(&job, 0, sizeof(job));
	memset(&f, 0, sizeof(f));
	snprintf(sfn, sizeof(sfn), "%s.minisig", fn);
	if (feed_file_read(s->state_dir, fn, sub->lim.max_size, &job.body.body, &job.body.len) < 0 ||
	    feed_file_read(s->state_dir, sfn, SIG_MAX, &job.sig.body, &job.sig.len) < 0) {
		if (errno != ENOENT)
			log_warn("feed %s: cannot read %s/%s", sub->name, s->state_dir, fn);
		goto out;
	}
	v = feed_verify(job.body.body, job.body.len, (const char *)job.sig.body, job.sig.len,
			sub->keys, sub->nkeys, &sub->lim, &f, err, sizeof(err));
	if (v == FEED_OK) {
		pol.provider = sub->provider;
		v = feed_accept(chain, &f, &pol, feed_sub_link_time(&f, now, false), err, sizeof(err));
	}
	if (v != FEED_OK) {
		log_warnx("feed %s: cached %s refused (%s): %s", sub->name, fn,
			  feed_verdict_str(v), err);
		goto out;
	}
	feed_state_update(chain, &f);
	if (f.kind == FEED_SNAPSHOT)
		sub->cached_snapshot = f.serial;
	else
		sub->cached_deltas++;
	{
		struct feed want;

		if (feed_merge(&sub->cur, &f, &want) < 0) {
			v = FEED_E_SYSTEM;
			goto out;
		}
		feed_fini(&sub->cur);
		sub->cur = want;
	}
out:
	feed_fini(&f);
	feed_fetch_job_clear(&job);
	return v;
}

void feed_sub_load(struct feed_subs *s, struct feed_sub *sub, time_t now)
{
	char fn[FEED_PROVIDER_MAX + 64], err[256];
	struct feed_state chain = { 0 };
	uint8_t *buf = NULL;
	uint64_t *serials = NULL;
	size_t len, n = 0, cap = 0, i, nl = strlen(sub->name);
	DIR *d;
	struct dirent *de;

	snprintf(fn, sizeof(fn), "%s.keys", sub->name);
	if (feed_file_read(s->state_dir, fn, 64 * 1024, &buf, &len) == 0) {
		const char *p = (const char *)buf, *e = p + len;

		/* Two lines per key, as minisign_pubkey_format writes them. */
		while (p < e && sub->nkeys < SUB_MAX_KEYS) {
			const char *l2 = memchr(p, '\n', (size_t)(e - p)), *l3;

			if (!l2 || !(l3 = memchr(l2 + 1, '\n', (size_t)(e - l2 - 1))))
				break;
			if (minisign_pubkey_parse(p, (size_t)(l3 + 1 - p), &sub->keys[sub->nkeys],
						  err, sizeof(err)) == 0 &&
			    !feed_sub_key_known(sub, &sub->keys[sub->nkeys]))
				sub->nkeys++;
			p = l3 + 1;
		}
		free(buf);
	}
	snprintf(fn, sizeof(fn), "%s.state", sub->name);
	if (feed_file_read(s->state_dir, fn, 4096, &buf, &len) < 0)
		return;
	if (feed_state_parse((const char *)buf, len, &sub->st, err, sizeof(err)) < 0) {
		log_warnx("feed %s: %s/%s: %s", sub->name, s->state_dir, fn, err);
		memset(&sub->st, 0, sizeof(sub->st));
		free(buf);
		return;
	}
	free(buf);
	sub->status.have = sub->st.have;
	sub->status.serial = sub->st.serial;
	/* The snapshot, then every delta up to the recorded serial, each verified again. */
	d = opendir(s->state_dir);
	while (d && (de = readdir(d))) {
		uint64_t ser;
		const char *p = de->d_name + nl + 7;

		if (strncmp(de->d_name, sub->name, nl) != 0 ||
		    strncmp(de->d_name + nl, ".delta.", 7) != 0 || strchr(p, '.') ||
		    feed_u64_parse(p, strlen(p), &ser) < 0 || ser > sub->st.serial)
			continue;
		if (n == cap) {
			uint64_t *q = realloc(serials, (cap = cap ? cap * 2 : 16) * sizeof(*q));

			if (!q)
				break;
			serials = q;
		}
		serials[n++] = ser;
	}
	if (d)
		closedir(d);
	if (n)
		qsort(serials, n, sizeof(*serials), delta_serial_cmp);
	/* Each link as of a moment it was valid; only the newest must be fresh. */
	snprintf(fn, sizeof(fn), "%s.snapshot", sub->name);
	if (load_one(s, sub, fn, &chain, now) != FEED_OK)
		goto fail;
	for (i = 0; i < n; i++) {
		if (serials[i] <= chain.serial)
			continue;
		snprintf(fn, sizeof(fn), "%s.delta.%llu", sub->name, (unsigned long long)serials[i]);
		if (load_one(s, sub, fn, &chain, now) != FEED_OK)
			goto fail;
	}
	free(serials);
	if ((int64_t)now >= chain.expires) {
		log_warnx("feed %s: cached serial %llu has expired", sub->name,
			  (unsigned long long)chain.serial);
		goto drop;
	}
	if (chain.serial != sub->st.serial ||
	    sodium_memcmp(chain.hash, sub->st.hash, FEED_HASH_BYTES) != 0) {
		log_warnx("feed %s: cached files end at serial %llu, state says %llu",
			  sub->name, (unsigned long long)chain.serial,
			  (unsigned long long)sub->st.serial);
		goto drop;
	}
	if (s->apply(sub->name, &sub->cur, &(struct feed_apply_info){ FEED_SNAPSHOT, 0,
		     sub->cached_deltas, true }, s->arg) < 0) {
		feed_sub_error(sub, now, false, "apply of the cached serial %llu failed",
			       (unsigned long long)sub->st.serial);
		goto drop;
	}
	sub->applied = true;
	feed_sub_ok(sub, now);
	log_info("feed %s: applied cached serial %llu, %zu entries", sub->name,
		 (unsigned long long)sub->st.serial, sub->cur.n_entries);
	return;
fail:
	free(serials);
drop:
	/* The state stays: it still refuses replays of older feeds. */
	sub->cached_snapshot = 0;
	sub->cached_deltas = 0;
	feed_fini(&sub->cur);
	memset(&sub->cur, 0, sizeof(sub->cur));
}
