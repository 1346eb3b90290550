// SPDX-License-Identifier: GPL-2.0-or-later
/* Publishing: snapshots, deltas and the signed index on disk, verified by our code, by
 * minewall-feed verify and (when installed) by stock minisign; deltas alone, restarts. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "feed_index.h"
#include "feed_pub.h"
#include "../feed/feedgen.h"
#include "unit.h"

static int round_no;

static int collect(struct feed_pub_item **items, size_t *n, void *arg)
{
	struct feed_pub_item *it = calloc(3, sizeof(*it));
	char err[64];

	static const char *const first[] = { "198.51.100.7", "198.51.100.8", "198.51.100.8",
					     "198.51.100.9" };

	ep_parse(first[round_no], &it[0].ep, err, sizeof(err));
	/* Round 2 adds one; the TTL ticking down a few seconds changes nothing. */
	it[0].ttl = 3600 - (uint64_t)round_no;
	it[0].reason = "stratum";
	ep_parse("[2001:db8::1]:3333", &it[1].ep, err, sizeof(err));
	it[1].ttl = 600;
	it[2].domain = "pool.example.net";
	it[2].ttl = 86400;
	*items = it;
	*n = 3;
	if (round_no == 2) {
		it = realloc(it, 4 * sizeof(*it));
		memset(&it[3], 0, sizeof(it[3]));
		ep_parse("203.0.113.0/24", &it[3].ep, err, sizeof(err));
		it[3].ttl = 600;
		*items = it;
		*n = 4;
	}
	return 0;
}

static void verify(const char *dir, const char *name, const struct minisign_pubkey *pk,
		   enum feed_kind kind, uint64_t serial, size_t n)
{
	char sname[128], err[256];
	char *body = slurp_s(dir, name), *sig;
	struct feed_limits lim;
	struct feed f;

	snprintf(sname, sizeof(sname), "%s.minisig", name);
	sig = slurp_s(dir, sname);
	feed_limits_default(&lim);
	CHECK(feed_verify((uint8_t *)body, strlen(body), sig, strlen(sig), pk, 1, &lim, &f, err,
			  sizeof(err)) == FEED_OK);
	CHECK(f.kind == kind && f.serial == serial && f.n_entries == n);
	feed_fini(&f);
	free(body);
	free(sig);
}

int main(void)
{
	char dir[] = "/tmp/mwpub.XXXXXX", key[128], pub[128], text[1024], cmd[1024], pkf[128];
	const char *bd = getenv("top_builddir");
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	struct mw_conf *c = NULL;
	struct feed_pub *p;
	char err[256], *idx;

	if (!mkdtemp(dir))
		return 99;
	minisign_keygen(&pk, &sk);
	snprintf(key, sizeof(key), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	CHECK(minisign_seckey_write(key, &sk, NULL, 0, 0, err, sizeof(err)) == 0);
	minisign_pubkey_format(&pk, pkf, sizeof(pkf));
	CHECK(feed_file_write(dir, "k.pub", pkf, strlen(pkf)) == 0);

	/* Off without a key. */
	snprintf(text, sizeof(text), "feed = { publish = { interval = 60; }; };");
	CHECK(conf_load_string(text, "/tmp/x.conf", &c, stderr) == 0);
	CHECK(feed_pub_new(c, NULL, collect, NULL) == NULL);
	conf_free(c);

	snprintf(text, sizeof(text), "feed = { publish = { dir = \"%s\"; secret_key = \"%s\"; "
		 "provider = \"gw-1\"; interval = 60; }; };", dir, key);
	CHECK(conf_load_string(text, "/tmp/x.conf", &c, stderr) == 0);
	p = feed_pub_new(c, NULL, collect, NULL);
	CHECK(p != NULL);
	CHECK(feed_pub_tick(p, time(NULL)) == 0);
	CHECK(feed_pub_serial(p) == 1);
	CHECK(feed_pub_tick(p, time(NULL)) == 0 && feed_pub_serial(p) == 1);	/* not due */
	feed_pub_free(p);
	/* A restart continues the serial and deltas from the saved snapshot. */
	round_no = 1;
	p = feed_pub_new(c, NULL, collect, NULL);
	CHECK(p && feed_pub_serial(p) == 1);
	CHECK(feed_pub_tick(p, time(NULL)) == 0 && feed_pub_serial(p) == 2);
	feed_pub_free(p);
	idx = slurp_s(dir, "index");
	{
		char *isig = slurp_s(dir, "index.minisig");
		struct feed_index x;

		CHECK(feed_index_verify((uint8_t *)idx, strlen(idx), isig, strlen(isig), &pk, 1, &x,
					err, sizeof(err)) == FEED_OK);
		CHECK(x.serial == 2 && x.snapshot.serial == 2 && x.n_links == 1);
		CHECK(x.links[0].base == 1 && x.links[0].serial == 2);
		CHECK(strcmp(x.provider, "gw-1") == 0);
		free(isig);
	}
	free(idx);
	verify(dir, "feed", &pk, FEED_SNAPSHOT, 2, 3);
	verify(dir, "delta-1-2", &pk, FEED_DELTA, 2, 2);

	/* A delta alone: nothing changed, no new serial; a change, one delta and
	 * the index moves, the snapshot stays. A restart takes up the chain. */
	p = feed_pub_new(c, NULL, collect, NULL);
	CHECK(p && feed_pub_serial(p) == 2);
	CHECK(feed_pub_delta(p, time(NULL)) == 0 && feed_pub_serial(p) == 2);
	round_no = 2;
	CHECK(feed_pub_delta(p, time(NULL)) == 0 && feed_pub_serial(p) == 3);
	feed_pub_free(p);
	p = feed_pub_new(c, NULL, collect, NULL);
	CHECK(p && feed_pub_serial(p) == 3);
	round_no = 3;
	CHECK(feed_pub_delta(p, time(NULL)) == 0 && feed_pub_serial(p) == 4);
	feed_pub_free(p);
	verify(dir, "feed", &pk, FEED_SNAPSHOT, 2, 3);
	verify(dir, "delta-2-3", &pk, FEED_DELTA, 3, 1);	/* the TTL kept */
	verify(dir, "delta-3-4", &pk, FEED_DELTA, 4, 3);
	{
		char *isig = slurp_s(dir, "index.minisig");
		struct feed_index x;

		idx = slurp_s(dir, "index");
		CHECK(feed_index_verify((uint8_t *)idx, strlen(idx), isig, strlen(isig), &pk, 1, &x,
					err, sizeof(err)) == FEED_OK);
		CHECK(x.serial == 4 && x.snapshot.serial == 2 && x.n_links == 3);
		CHECK(feed_index_find(&x, 2) == 1 && feed_index_find(&x, 3) == 2);
		free(isig);
		free(idx);
	}

	if (bd) {
		snprintf(cmd, sizeof(cmd), "%s/minewall-feed verify -p %s %s/feed >/dev/null && "
			 "%s/minewall-feed verify -p %s %s/delta-1-2 >/dev/null", bd, pub, dir,
			 bd, pub, dir);
		CHECK(system(cmd) == 0);
	}
	if (system("command -v minisign >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd), "minisign -Vq -p %s -m %s/feed && "
			 "minisign -Vq -p %s -m %s/delta-1-2", pub, dir, pub, dir);
		CHECK(system(cmd) == 0);
	} else {
		printf("minisign not installed: stock verification skipped\n");
	}
	conf_free(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 99;
	return UNIT_DONE();
}
