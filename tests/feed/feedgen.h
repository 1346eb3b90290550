/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helpers: signed feeds made on the fly, a config naming them, files compared. */
#ifndef MW_TEST_FEEDGEN_H
#define MW_TEST_FEEDGEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "feed.h"
#include "feed_file.h"

/* A snapshot (base_feed NULL) or a delta against base_feed, of the given
 * "value" strings, signed with sk. Returns 0 and malloc'd body and sig. */
static __attribute__((unused)) int gen_feed(const struct minisign_seckey *sk, const char *provider, uint64_t serial,
		    int64_t issued, const char *const *values, size_t n, struct feed *keep,
		    const struct feed *base_feed, char **body, size_t *blen, char **sig)
{
	struct feed_entry *e = calloc(n ? n : 1, sizeof(*e));
	struct feed f, d;
	char err[256];
	size_t i;
	int ret = -1;

	memset(&f, 0, sizeof(f));
	memset(&d, 0, sizeof(d));
	for (i = 0; i < n; i++)
		if (feed_entry_set(&e[i], FEED_ADD, NULL, values[i], 3600, "test", err,
				   sizeof(err)) < 0)
			goto out;
	if (feed_build_snapshot(&f, provider, serial, issued, issued + 86400, e, n, err,
				sizeof(err)) < 0)
		goto out;
	if (base_feed) {
		if (feed_build_delta(&d, base_feed, &f, err, sizeof(err)) < 0)
			goto out;
		if (feed_write(&d, body, blen) < 0)
			goto out;
	} else if (feed_write(&f, body, blen) < 0) {
		goto out;
	}
	if (feed_sign((const uint8_t *)*body, *blen, sk, sig, err, sizeof(err)) < 0)
		goto out;
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "gen_feed: %s\n", err);
	free(e);
	feed_fini(&d);
	if (keep && ret == 0)
		*keep = f;
	else
		feed_fini(&f);
	return ret;
}

/* A config with one or two feeds pinning pk. */
static __attribute__((unused)) struct mw_conf *gen_conf(const char *state_dir, const struct minisign_pubkey *pk,
				const char *url_a, const char *url_b, unsigned int corroborate)
{
	struct mw_conf *c = NULL;
	char pkf[128], *nl, text[4096];

	minisign_pubkey_format(pk, pkf, sizeof(pkf));
	nl = strchr(pkf, '\n');	/* the key line, without the comment line */
	memmove(pkf, nl + 1, strlen(nl + 1) + 1);
	if ((nl = strchr(pkf, '\n')))
		*nl = '\0';
	snprintf(text, sizeof(text),
		 "feeds = ( { name = \"isp-a\"; url = \"%s\"; pubkeys = [ \"%s\" ]; interval = 30; }%s%s%s%s%s );\n"
		 "feed = { state_dir = \"%s\"; corroborate = %u; connect_timeout = 2; timeout = 3; };\n",
		 url_a, pkf, url_b ? ", { name = \"isp-b\"; url = \"" : "", url_b ? url_b : "",
		 url_b ? "\"; pubkeys = [ \"" : "", url_b ? pkf : "",
		 url_b ? "\" ]; action = \"block\"; }" : "", state_dir, corroborate);
	if (conf_load_string(text, "/tmp/test.conf", &c, stderr) < 0)
		return NULL;
	return c;
}

/* Whole file as a string ("" when absent), for "unchanged" checks. */
static __attribute__((unused)) char *slurp_s(const char *dir, const char *name)
{
	uint8_t *b;
	size_t n;

	if (feed_file_read(dir, name, 1u << 26, &b, &n) < 0)
		return strdup("");
	return (char *)b;
}

#endif
