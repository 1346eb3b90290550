// SPDX-License-Identifier: GPL-2.0-or-later
/* A chain of fetched files the index vouches for: each verified and accepted, applied at once.
 *
 * Every file of the chain must have the size and BLAKE2b the signed index
 * gives, a valid signature of a pinned key, the serials the index gives, and
 * pass feed_accept against the state the links before it left: a delta's
 * base is the serial before it, serials only rise, entries obey the policy.
 * Only the newest link must be fresh: the ones before it are checked as of a
 * moment they were valid (feed_sub_link_time). The deltas are composed into
 * one and merged onto the set in force (or the snapshot) once, and the whole
 * result goes to apply() in one step: never half a feed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "feed_sub_int.h"
#include "log.h"

time_t feed_sub_link_time(const struct feed *f, time_t now, bool last)
{
	if (last || (int64_t)now < f->expires)
		return now;
	return (time_t)(f->expires - 1);
}

/* "snapshot 40" or "delta 40-41", for messages. */
static void link_name(const struct feed_index_link *k, bool snapshot, char *out, size_t size)
{
	if (snapshot)
		snprintf(out, size, "snapshot %llu", (unsigned long long)k->serial);
	else
		snprintf(out, size, "delta %llu-%llu", (unsigned long long)k->base,
			 (unsigned long long)k->serial);
}

/* One fetched file against its link: fetched, as the index says, signed,
 * accepted after chain. FEED_OK with *f filled, or the verdict with err. */
static enum feed_verdict link_check(struct feed_subs *s, struct feed_sub *sub,
				    const struct feed_index_link *k, bool snapshot,
				    const struct feed_fetch_result *b, const struct feed_fetch_result *g,
				    const struct feed_state *chain, time_t now, bool last, struct feed *f,
				    bool *rejected, char *err, size_t errsize)
{
	struct feed_policy pol = s->pol;
	uint8_t h[FEED_HASH_BYTES];
	enum feed_verdict v;
	char why[400];

	*rejected = false;
	memset(f, 0, sizeof(*f));
	if (b->status != FETCH_OK || !b->body) {
		snprintf(err, errsize, "fetch: %s", b->reason);
		return FEED_E_SYSTEM;
	}
	if (g->status != FETCH_OK || !g->body) {
		snprintf(err, errsize, "signature fetch: %s", g->reason);
		return FEED_E_SYSTEM;
	}
	*rejected = true;
	crypto_generichash(h, sizeof(h), b->body, b->len, NULL, 0);
	if (b->len != k->size || sodium_memcmp(h, k->hash, sizeof(h)) != 0) {
		snprintf(err, errsize, "%zu bytes that do not match the index (%llu bytes and its hash)",
			 b->len, (unsigned long long)k->size);
		return FEED_E_SIGNATURE;
	}
	v = feed_verify(b->body, b->len, (const char *)g->body, g->len, sub->keys, sub->nkeys,
			&sub->lim, f, why, sizeof(why));
	if (v != FEED_OK) {
		snprintf(err, errsize, "%s: %s", feed_verdict_str(v), why);
		return v;
	}
	if (f->serial != k->serial || f->kind != (snapshot ? FEED_SNAPSHOT : FEED_DELTA) ||
	    (!snapshot && f->base != k->base)) {
		snprintf(err, errsize, "its header (%s serial %llu) is not what the index names",
			 feed_kind_str(f->kind), (unsigned long long)f->serial);
		feed_fini(f);
		return FEED_E_COMMENT;
	}
	pol.provider = sub->provider;
	v = feed_accept(chain, f, &pol, feed_sub_link_time(f, now, last), why, sizeof(why));
	if (v != FEED_OK) {
		snprintf(err, errsize, "%s: %s", feed_verdict_str(v), why);
		feed_fini(f);
		return v == FEED_UNCHANGED ? FEED_E_CONFLICT : v;
	}
	return FEED_OK;
}

/* The chain's end against the state in force (a snapshot path starts from
 * nothing): FEED_OK to apply, FEED_UNCHANGED, or a rejection. */
static enum feed_verdict end_check(const struct feed_sub *sub, const struct feed_state *chain,
				   char *err, size_t errsize)
{
	const struct feed_state *st = &sub->st;

	if (!st->have || chain->serial > st->serial)
		return FEED_OK;
	if (chain->serial < st->serial) {
		snprintf(err, errsize, "rollback: the chain ends at serial %llu, below the applied %llu",
			 (unsigned long long)chain->serial, (unsigned long long)st->serial);
		return FEED_E_ROLLBACK;
	}
	if (chain->kind == st->kind && sodium_memcmp(chain->hash, st->hash, FEED_HASH_BYTES)) {
		snprintf(err, errsize, "serial %llu already applied with other content",
			 (unsigned long long)st->serial);
		return FEED_E_CONFLICT;
	}
	/* Same serial: nothing new, unless nothing is applied in this run. */
	return sub->applied ? FEED_UNCHANGED : FEED_OK;
}

enum feed_verdict feed_sub_chain(struct feed_subs *s, struct feed_sub *sub, bool with_snapshot,
				 time_t now)
{
	const struct feed_index *x = sub->idx;
	const struct feed_fetch_job *job = &sub->job;
	size_t off = with_snapshot ? 2 : 0, npairs, nfiles, first, i;
	uint64_t from;
	struct feed_state chain = { 0 };
	struct feed snap, delta, f, tmp, want;
	struct sub_file *files = NULL;
	enum feed_verdict v = FEED_E_SYSTEM;
	struct feed_apply_info how;
	bool rejected = false;
	char err[512] = "", what[64] = "the chain";

	memset(&snap, 0, sizeof(snap));
	memset(&delta, 0, sizeof(delta));
	memset(&want, 0, sizeof(want));
	npairs = job->n_items > off ? (job->n_items - off) / 2 : 0;
	nfiles = npairs + (with_snapshot ? 1 : 0);
	if (!nfiles || npairs > x->n_links || (!with_snapshot && !sub->applied)) {
		snprintf(err, sizeof(err), "nothing to apply");
		goto fail;
	}
	first = x->n_links - npairs;
	if (!with_snapshot)
		chain = sub->st;
	files = calloc(nfiles, sizeof(*files));
	if (!files) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	for (i = 0; i < nfiles; i++) {
		bool is_snap = with_snapshot && i == 0;
		const struct feed_index_link *k = is_snap ? &x->snapshot :
						  &x->links[first + i - (with_snapshot ? 1 : 0)];
		const struct feed_fetch_result *b = &job->items[2 * i].r, *g = &job->items[2 * i + 1].r;

		link_name(k, is_snap, what, sizeof(what));
		v = link_check(s, sub, k, is_snap, b, g, &chain, now, i + 1 == nfiles, &f, &rejected,
			       err, sizeof(err));
		if (v != FEED_OK)
			goto fail;
		feed_state_update(&chain, &f);
		files[i] = (struct sub_file){ f.kind, f.serial, b->body, g->body, b->len, g->len };
		if (is_snap) {
			snap = f;
		} else if (!delta.serial) {
			delta = f;
		} else {
			if (feed_compose(&delta, &f, &tmp) < 0) {
				feed_fini(&f);
				snprintf(err, sizeof(err), "out of memory");
				v = FEED_E_SYSTEM;
				goto fail;
			}
			feed_fini(&delta);
			feed_fini(&f);
			delta = tmp;
		}
	}
	snprintf(what, sizeof(what), "serial %llu", (unsigned long long)chain.serial);
	v = with_snapshot ? end_check(sub, &chain, err, sizeof(err)) : FEED_OK;
	rejected = v != FEED_OK && v != FEED_UNCHANGED;
	if (v == FEED_UNCHANGED) {
		feed_sub_ok(sub, now);
		goto out;
	}
	if (v != FEED_OK)
		goto fail;
	from = sub->applied ? sub->st.serial : 0;
	/* Compose first, merge once: a long chain on a large set costs one pass. */
	if (with_snapshot && delta.serial) {
		if (feed_merge(&snap, &delta, &want) < 0)
			goto oom;
	} else if (with_snapshot) {
		if (feed_merge(&snap, &snap, &want) < 0)
			goto oom;
	} else {
		/* On the set in force, in place: the old set is not kept for a
		 * failed apply, which then makes the next poll take the snapshot. */
		if (feed_merge_into(&sub->cur, &delta) < 0)
			goto oom;
		want = sub->cur;
		memset(&sub->cur, 0, sizeof(sub->cur));
		sub->applied = false;
	}
	how = (struct feed_apply_info){ with_snapshot ? FEED_SNAPSHOT : FEED_DELTA,
					from, (unsigned int)npairs, false };
	v = feed_sub_apply(s, sub, &want, &how, now);
	if (v != FEED_OK)
		goto out;
	sub->st = chain;
	if (feed_sub_persist(s, sub, files, nfiles) < 0)
		log_warn("feed %s: cannot save serial %llu in %s", sub->name,
			 (unsigned long long)chain.serial, s->state_dir);
	feed_sub_ok(sub, now);
	if (with_snapshot)
		log_info("feed %s: applied snapshot %llu%s%.0zu%s: serial %llu, %zu entries",
			 sub->name, (unsigned long long)x->snapshot.serial, npairs ? " and " : "",
			 npairs, npairs ? " deltas" : "", (unsigned long long)chain.serial,
			 sub->cur.n_entries);
	else
		log_info("feed %s: applied %zu delta%s: serial %llu -> %llu, %zu entries", sub->name,
			 npairs, npairs == 1 ? "" : "s", (unsigned long long)how.from,
			 (unsigned long long)chain.serial, sub->cur.n_entries);
	goto out;
oom:
	snprintf(err, sizeof(err), "out of memory");
	v = FEED_E_SYSTEM;
	rejected = false;
fail:
	feed_sub_error(sub, now, rejected, "%s: %s", what, err);
out:
	sub->last_v = v;
	feed_fini(&snap);
	feed_fini(&delta);
	feed_fini(&want);
	free(files);
	return v;
}
