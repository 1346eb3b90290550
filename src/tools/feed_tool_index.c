// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall-feed index: the signed index of a feed directory, and verify and show of one. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed.h"
#include "feed_index.h"
#include "feed_text.h"
#include "feed_tool.h"

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* One file of the directory: parsed, its size and hash into k. */
static void read_link(const char *path, struct feed *f, struct feed_index_link *k)
{
	struct feed_limits lim = { 1u << 30, 10000000, 4096 };
	uint8_t *body;
	size_t len;
	char err[256];
	enum feed_verdict v;

	body = slurp(path, lim.max_size, &len);
	v = feed_parse(body, len, &lim, f, err, sizeof(err));
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: %s: %s", path, feed_verdict_str(v), err);
	k->base = f->kind == FEED_DELTA ? f->base : 0;
	k->serial = f->serial;
	k->size = len;
	memcpy(k->hash, f->hash, sizeof(k->hash));
	free(body);
}

int cmd_index(struct opts *o, int argc, char **argv)
{
	struct feed_index *x = calloc(1, sizeof(*x));
	struct feed f;
	char name[FEED_INDEX_NAME_MAX], err[256], *text;
	int64_t now = o->issued ? o->issued : (int64_t)time(NULL);
	size_t len;
	int i;

	if (!x)
		fail(EX_SYS, "out of memory");
	if (!o->out || optind >= argc)
		usage();
	if (argc - optind - 1 > FEED_INDEX_MAX_LINKS)
		fail(EX_USAGE, "at most %d deltas", FEED_INDEX_MAX_LINKS);
	read_link(argv[optind], &f, &x->snapshot);
	if (f.kind != FEED_SNAPSHOT)
		fail(EX_REJECT, "%s: the first file must be the snapshot", argv[optind]);
	snprintf(x->provider, sizeof(x->provider), "%s", f.provider);
	x->serial = f.serial;
	feed_fini(&f);
	for (i = optind + 1; i < argc; i++) {
		struct feed_index_link *k = &x->links[x->n_links];

		read_link(argv[i], &f, k);
		if (f.kind != FEED_DELTA || strcmp(f.provider, x->provider) != 0)
			fail(EX_REJECT, "%s: not a delta of provider %s", argv[i], x->provider);
		feed_fini(&f);
		/* Subscribers find a delta by its name beside the index. */
		feed_index_delta_name(k->base, k->serial, name);
		if (strcmp(base_name(argv[i]), name) != 0)
			fail(EX_USAGE, "%s: a delta from %llu to %llu must be named %s", argv[i],
			     (unsigned long long)k->base, (unsigned long long)k->serial, name);
		x->n_links++;
	}
	if (x->n_links)
		x->serial = x->links[x->n_links - 1].serial;
	x->issued = now;
	x->expires = now + (int64_t)(o->expires_in ? o->expires_in : 86400);
	if (feed_index_write(x, &text, &len) < 0)
		fail(EX_SYS, "cannot write the index");
	/* The rules a subscriber checks: a chain from the snapshot to the newest. */
	if (feed_index_parse((const uint8_t *)text, len, x, err, sizeof(err)) != FEED_OK)
		fail(EX_REJECT, "%s", err);
	spit(o->out, text, len, 0);
	printf("%s: serial %llu, snapshot %llu, %zu deltas\n", o->out, (unsigned long long)x->serial,
	       (unsigned long long)x->snapshot.serial, x->n_links);
	free(text);
	free(x);
	return EX_OK;
}

static void print_index(const struct feed_index *x)
{
	char iss[21], exp[21], tc[512];
	size_t i;

	feed_time_format(x->issued, iss);
	feed_time_format(x->expires, exp);
	printf("provider %s\nserial %llu\nissued %s\nexpires %s\nsnapshot %llu (%llu bytes)\n",
	       x->provider, (unsigned long long)x->serial, iss, exp,
	       (unsigned long long)x->snapshot.serial, (unsigned long long)x->snapshot.size);
	for (i = 0; i < x->n_links; i++)
		printf("delta %llu-%llu (%llu bytes)\n", (unsigned long long)x->links[i].base,
		       (unsigned long long)x->links[i].serial, (unsigned long long)x->links[i].size);
	if (feed_index_trusted_comment(x, tc, sizeof(tc)) == 0)
		printf("trusted comment: %s\n", tc);
}

void index_verify(const char *file, const uint8_t *body, size_t len, const uint8_t *sig,
		  size_t slen, const struct minisign_pubkey *keys, size_t nkeys, time_t now)
{
	struct feed_index *x = malloc(sizeof(*x));
	struct feed_policy pol;
	enum feed_verdict v;
	char err[512];

	if (!x)
		fail(EX_SYS, "out of memory");
	v = feed_index_verify(body, len, (const char *)sig, slen, keys, nkeys, x, err, sizeof(err));
	if (v == FEED_OK) {
		feed_policy_default(&pol);
		v = feed_index_accept(NULL, x, &pol, now, err, sizeof(err));
	}
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: rejected (%s): %s", file, feed_verdict_str(v), err);
	printf("index verified\n");
	print_index(x);
	free(x);
}

void index_show(const char *file, const uint8_t *body, size_t len, bool tc_only)
{
	struct feed_index *x = malloc(sizeof(*x));
	enum feed_verdict v;
	char err[512], tc[512];

	if (!x)
		fail(EX_SYS, "out of memory");
	v = feed_index_parse(body, len, x, err, sizeof(err));
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: %s: %s", file, feed_verdict_str(v), err);
	if (tc_only) {
		feed_index_trusted_comment(x, tc, sizeof(tc));
		printf("%s\n", tc);
	} else {
		printf("unverified index\n");
		print_index(x);
	}
	free(x);
}
