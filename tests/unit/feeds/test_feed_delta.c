// SPDX-License-Identifier: GPL-2.0-or-later
/* Subscribing through the index and deltas over file://: a real publisher's files, a
 * subscriber polled inline. Deltas applied, the snapshot as fallback when a delta is missing
 * or bad, and every protection of a feed for the index and the deltas: signature, rollback,
 * expiry, issue time, the hash the index gives, the base chain. */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "feed_index.h"
#include "feed_pub.h"
#include "feed_sub.h"
#include "../feed/feedgen.h"
#include "unit.h"

static struct minisign_pubkey pk, pk2;
static struct minisign_seckey sk, sk2;
static const char *www;
static int applied;
static struct feed_apply_info last_how;
static struct feed last;

/* What the publisher blocks: the values of this round. */
static const char *const *pub_values;
static size_t pub_n;

static int collect(struct feed_pub_item **items, size_t *n, void *arg)
{
	struct feed_pub_item *it = calloc(pub_n ? pub_n : 1, sizeof(*it));
	char err[64];
	size_t i;

	for (i = 0; i < pub_n; i++) {
		if (ep_parse(pub_values[i], &it[i].ep, err, sizeof(err)) < 0)
			it[i].domain = pub_values[i];
		it[i].ttl = 3600;
	}
	*items = it;
	*n = pub_n;
	return 0;
}

static int on_apply(const char *name, const struct feed *f, const struct feed_apply_info *how,
		    void *arg)
{
	size_t i;

	applied++;
	last_how = *how;
	feed_fini(&last);
	last = *f;
	last.entries = calloc(f->n_entries + 1, sizeof(*f->entries));
	for (i = 0; i < f->n_entries; i++)
		last.entries[i] = f->entries[i];
	return 0;
}

static bool last_is(const char *const *v, size_t n)
{
	size_t i, j;

	if (last.n_entries != n)
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < last.n_entries; j++)
			if (strcmp(last.entries[j].value, v[i]) == 0)
				break;
		if (j == last.n_entries)
			return false;
	}
	return true;
}

static void put(const char *name, const void *data, size_t len)
{
	CHECK(feed_file_write(www, name, data, len) == 0);
}

/* A feed file and its signature, as a malicious or broken provider would. */
static void put_feed(const char *name, const struct minisign_seckey *key, const char *body,
		     size_t blen)
{
	char *sig, err[256], sname[96];

	CHECK(feed_sign((const uint8_t *)body, blen, key, &sig, err, sizeof(err)) == 0);
	put(name, body, blen);
	snprintf(sname, sizeof(sname), "%s.minisig", name);
	put(sname, sig, strlen(sig));
	free(sig);
}

static void link_of(struct feed_index_link *k, uint64_t base, uint64_t serial, const char *body,
		    size_t blen)
{
	k->base = base;
	k->serial = serial;
	k->size = blen;
	crypto_generichash(k->hash, sizeof(k->hash), (const uint8_t *)body, blen, NULL, 0);
}

static void put_index(struct feed_index *x, const struct minisign_seckey *key)
{
	char *text, *sig, err[256];
	size_t len;

	CHECK(feed_index_write(x, &text, &len) == 0);
	CHECK(feed_index_sign((const uint8_t *)text, len, key, &sig, err, sizeof(err)) == 0);
	put("index.minisig", sig, strlen(sig));
	put("index", text, len);
	free(text);
	free(sig);
}

static struct feed_sub_status status(struct feed_subs *s)
{
	struct feed_sub_status st;

	feed_subs_status(s, &st, 1);
	return st;
}

static void test_publisher_chain(const char *state)
{
	static const char *const v1[] = { "198.51.100.7", "pool.example.net" };
	static const char *const v2[] = { "198.51.100.7", "pool.example.net", "203.0.113.9" };
	static const char *const v3[] = { "pool.example.net", "203.0.113.9", "203.0.113.0/28" };
	static const char *const v4[] = { "203.0.113.9" };
	char url[600], text[1024], key[600], err[256], *idx, *isig;
	struct mw_conf *c, *pc = NULL;
	struct feed_subs *s;
	struct feed_pub *p;
	struct feed_sub_status st;

	snprintf(key, sizeof(key), "%s/k.key", www);
	CHECK(minisign_seckey_write(key, &sk, NULL, 0, 0, err, sizeof(err)) == 0);
	snprintf(text, sizeof(text), "feed = { publish = { dir = \"%s\"; secret_key = \"%s\"; "
		 "provider = \"isp-a\"; }; };", www, key);
	CHECK(conf_load_string(text, "/tmp/x.conf", &pc, stderr) == 0);
	p = feed_pub_new(pc, NULL, collect, NULL);
	CHECK(p != NULL);
	pub_values = v1;
	pub_n = 2;
	CHECK(feed_pub_now(p, time(NULL)) == 0);

	snprintf(url, sizeof(url), "file://%s/feed", www);
	c = gen_conf(state, &pk, url, NULL, 0);
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(s && feed_subs_start(s) == 0);
	/* Nothing applied yet: the snapshot the index names. */
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	CHECK(applied == 1 && last_how.via == FEED_SNAPSHOT && last_is(v1, 2));
	st = status(s);
	CHECK(st.index && st.serial == 1 && st.polls[FEED_POLL_200] == 1 && st.snapshot_applies == 1);
	/* The same index again: nothing to do. */
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_UNCHANGED && applied == 1);

	/* A detection: one delta, applied as a delta. */
	pub_values = v2;
	pub_n = 3;
	CHECK(feed_pub_delta(p, time(NULL)) == 0 && feed_pub_serial(p) == 2);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	CHECK(applied == 2 && last_how.via == FEED_DELTA && last_how.from == 1 &&
	      last_how.deltas == 1 && last_is(v2, 3));
	/* Two more, then one poll: both deltas, composed, in one apply. */
	pub_values = v3;
	CHECK(feed_pub_delta(p, time(NULL)) == 0);
	pub_values = v4;
	pub_n = 1;
	CHECK(feed_pub_now(p, time(NULL)) == 0 && feed_pub_serial(p) == 4);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	CHECK(applied == 3 && last_how.via == FEED_DELTA && last_how.deltas == 2 && last_is(v4, 1));
	st = status(s);
	CHECK(st.serial == 4 && st.delta_applies == 2 && st.fallbacks == 0 && st.issued > 0);

	/* A restart: the snapshot 1 and deltas 2..4 from state_dir, verified again. */
	feed_subs_free(s);
	applied = 0;
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(s && feed_subs_start(s) == 0);
	CHECK(applied == 1 && last_how.cached && last.serial == 4 && last_is(v4, 1));

	/* A missing delta: counted, and the snapshot instead (it is the newest). */
	isig = slurp_s(www, "index.minisig");
	idx = slurp_s(www, "index");
	pub_values = v3;
	pub_n = 3;
	CHECK(feed_pub_now(p, time(NULL)) == 0 && feed_pub_serial(p) == 5);
	CHECK(unlink(strcat(strcpy(text, www), "/delta-4-5")) == 0);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	st = status(s);
	CHECK(st.serial == 5 && st.fallbacks == 1 && st.snapshot_applies == 1 && last_is(v3, 3));
	CHECK(strstr(st.last_error, "delta 4-5: fetch") != NULL);
	/* A bad delta (one byte flipped under its signature): the same. */
	pub_values = v1;
	pub_n = 2;
	CHECK(feed_pub_now(p, time(NULL)) == 0);
	{
		char *d = slurp_s(www, "delta-5-6");

		d[strlen(d) - 3] ^= 1;
		put("delta-5-6", d, strlen(d));
		free(d);
	}
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	st = status(s);
	CHECK(st.serial == 6 && st.fallbacks == 2 && st.rejected >= 1 && last_is(v1, 2));
	CHECK(strstr(st.last_error, "delta 5-6") && strstr(st.last_error, "match the index"));

	/* Rollback: an older index, well signed, changes nothing. */
	put("index.minisig", isig, strlen(isig));
	put("index", idx, strlen(idx));
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_ROLLBACK);
	st = status(s);
	CHECK(st.serial == 6 && strstr(st.last_error, "rollback") && last_is(v1, 2));
	/* An index whose signature does not match (after one retry): refused. */
	idx[strlen(idx) - 2] ^= 1;
	put("index", idx, strlen(idx));
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_SIGNATURE);
	free(idx);
	free(isig);
	feed_pub_free(p);
	feed_subs_free(s);
	conf_free(c);
	conf_free(pc);
}

/* Crafted files on top of a subscriber at serial 10. */
static void test_crafted(const char *state)
{
	static const char *const v10[] = { "198.51.100.7" };
	static const char *const v11[] = { "198.51.100.7", "198.51.100.8" };
	static const char *const v12[] = { "198.51.100.8" };
	char url[600], *b10, *s10, *d11, *s11, *d12, *s12;
	size_t l10, l11, l12;
	struct feed f10, f11;
	struct feed_index x;
	struct mw_conf *c;
	struct feed_subs *s;
	struct feed_sub_status st;
	time_t now = time(NULL);

	memset(&x, 0, sizeof(x));
	CHECK(gen_feed(&sk, "isp-a", 10, now - 10, v10, 1, &f10, NULL, &b10, &l10, &s10) == 0);
	put("feed", b10, l10);
	put("feed.minisig", s10, strlen(s10));
	snprintf(x.provider, sizeof(x.provider), "isp-a");
	x.serial = 10;
	x.issued = now - 10;
	x.expires = now + 3600;
	link_of(&x.snapshot, 0, 10, b10, l10);
	put_index(&x, &sk);
	snprintf(url, sizeof(url), "file://%s/feed", www);
	c = gen_conf(state, &pk, url, NULL, 0);
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(s && feed_subs_start(s) == 0);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK && status(s).serial == 10);

	/* An expired index: refused, nothing fetched after it. */
	CHECK(gen_feed(&sk, "isp-a", 11, now - 5, v11, 2, &f11, &f10, &d11, &l11, &s11) == 0);
	put("delta-10-11", d11, l11);
	put("delta-10-11.minisig", s11, strlen(s11));
	x.serial = 11;
	link_of(&x.links[0], 10, 11, d11, l11);
	x.n_links = 1;
	x.issued = now - 7200;
	x.expires = now - 10;
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_EXPIRED && status(s).serial == 10);
	/* Issued in the future, beyond the skew allowed. */
	x.issued = now + 3600;
	x.expires = now + 7200;
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_FUTURE && status(s).serial == 10);
	/* Signed by a key we do not pin. */
	x.issued = now - 5;
	x.expires = now + 3600;
	put_index(&x, &sk2);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_KEY_UNPINNED && status(s).serial == 10);
	/* A good index: the delta applies. */
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK && status(s).serial == 11);
	CHECK(last_how.via == FEED_DELTA && last_is(v11, 2));

	/* An expired delta behind a fresh index: refused, the snapshot (10) and
	 * the same delta cannot help either; serial 11 stays. */
	CHECK(gen_feed(&sk, "isp-a", 12, now - 3 * 86400, v12, 1, NULL, &f11, &d12, &l12, &s12) == 0);
	put("delta-11-12", d12, l12);
	put("delta-11-12.minisig", s12, strlen(s12));
	x.serial = 12;
	link_of(&x.links[1], 11, 12, d12, l12);
	x.n_links = 2;
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_EXPIRED);
	st = status(s);
	CHECK(st.serial == 11 && st.fallbacks == 1 && strstr(st.last_error, "expired") && last_is(v11, 2));
	free(d12);
	free(s12);

	/* A delta whose header is not the one the index names (a delta 10-12
	 * listed as 11-12): refused though well signed and hashed. */
	CHECK(gen_feed(&sk, "isp-a", 12, now - 5, v12, 1, NULL, &f10, &d12, &l12, &s12) == 0);
	put_feed("delta-11-12", &sk, d12, l12);
	link_of(&x.links[1], 11, 12, d12, l12);
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_E_COMMENT);
	st = status(s);
	CHECK(st.serial == 11 && st.fallbacks == 2 && strstr(st.last_error, "not what the index"));
	free(d12);
	free(s12);
	/* The index lists a link bigger than max_size: not even fetched whole. */
	x.links[1].size = 1u << 30;
	put_index(&x, &sk);
	CHECK(feed_subs_poll_sync(s, "isp-a") != FEED_OK && status(s).serial == 11);

	free(b10);
	free(s10);
	free(d11);
	free(s11);
	feed_fini(&f10);
	feed_fini(&f11);
	feed_subs_free(s);
	conf_free(c);
}

/* A provider without an index: its snapshot, as before. */
static void test_no_index(const char *state)
{
	static const char *const v[] = { "198.51.100.7" };
	char url[600], *b, *sg;
	size_t l;
	struct mw_conf *c;
	struct feed_subs *s;
	struct feed_sub_status st;

	unlink(strcat(strcpy(url, www), "/index"));
	CHECK(gen_feed(&sk, "isp-a", 50, time(NULL) - 5, v, 1, NULL, NULL, &b, &l, &sg) == 0);
	put_feed("feed", &sk, b, l);
	snprintf(url, sizeof(url), "file://%s/feed", www);
	c = gen_conf(state, &pk, url, NULL, 0);
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(s && feed_subs_start(s) == 0);
	CHECK(feed_subs_poll_sync(s, "isp-a") == FEED_OK);
	st = status(s);
	CHECK(st.serial == 50 && !st.index && st.polls[FEED_POLL_ERROR] == 1 &&
	      st.snapshot_applies == 1 && st.errors == 0 && st.last_error[0] == '\0');
	free(b);
	free(sg);
	feed_subs_free(s);
	conf_free(c);
}

int main(void)
{
	char d0[] = "/tmp/mwdelta.XXXXXX", d1[] = "/tmp/mwdelta.XXXXXX", d2[] = "/tmp/mwdelta.XXXXXX";
	char d3[] = "/tmp/mwdelta.XXXXXX", cmd[256];

	if (!mkdtemp(d0) || !mkdtemp(d1) || !mkdtemp(d2) || !mkdtemp(d3))
		return 99;
	if (feed_fetch_global_init() < 0)
		return 99;
	www = d0;
	minisign_keygen(&pk, &sk);
	minisign_keygen(&pk2, &sk2);
	test_publisher_chain(d1);
	test_crafted(d2);
	test_no_index(d3);
	feed_fini(&last);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s %s", d0, d1, d2, d3);
	if (system(cmd) != 0)
		return 99;
	return UNIT_DONE();
}
