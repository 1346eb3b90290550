// SPDX-License-Identifier: GPL-2.0-or-later
/* The subscription state machine driven with hand-made fetch results: apply, every rejection
 * keeping the last good state, deltas, restart from state_dir, key rotation, corroboration. */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "feed_sub.h"
#include "../feed/feedgen.h"
#include "unit.h"

static struct minisign_pubkey pk, pk2;
static struct minisign_seckey sk, sk2;
static int applied, fail_apply;
static struct feed last;

static int on_apply(const char *name, const struct feed *f, const struct feed_apply_info *how,
		    void *arg)
{
	size_t i;

	if (fail_apply)
		return -1;
	applied++;
	feed_fini(&last);
	last = *f;
	last.entries = calloc(f->n_entries + 1, sizeof(*f->entries));
	for (i = 0; i < f->n_entries; i++)
		last.entries[i] = f->entries[i];
	return 0;
}

static bool last_has(const char *v)
{
	size_t i;

	for (i = 0; i < last.n_entries; i++)
		if (strcmp(last.entries[i].value, v) == 0)
			return true;
	return false;
}

/* A job as the fetch thread would leave it. */
static void job_set(struct feed_fetch_job *j, const char *body, size_t blen, const char *sig)
{
	feed_fetch_job_clear(j);
	j->body.status = FETCH_OK;
	j->body.body = (uint8_t *)strndup(body, blen);
	j->body.len = blen;
	j->sig.status = FETCH_OK;
	j->sig.body = (uint8_t *)strdup(sig);
	j->sig.len = strlen(sig);
	j->keys.status = FETCH_ERROR;
	j->keys_sig.status = FETCH_ERROR;
}

static enum feed_verdict feed_in(struct feed_subs *s, const char *name,
				 const struct minisign_seckey *key, uint64_t serial,
				 const char *const *v, size_t n, const struct feed *base,
				 struct feed *keep, time_t now)
{
	struct feed_fetch_job j;
	char *body, *sig;
	size_t blen;
	enum feed_verdict r;

	memset(&j, 0, sizeof(j));
	if (gen_feed(key, name, serial, now - 10, v, n, keep, base, &body, &blen, &sig) < 0)
		return FEED_E_SYSTEM;
	job_set(&j, body, blen, sig);
	r = feed_subs_process(s, name, &j, now);
	feed_fetch_job_clear(&j);
	free(body);
	free(sig);
	return r;
}

static void test_pure(void)
{
	unsigned int i, d;

	CHECK(conf_feed_corroborate(FEED_ACT_BLOCK, 1, 0) == FEED_ACT_BLOCK);
	CHECK(conf_feed_corroborate(FEED_ACT_BLOCK, 1, 2) == FEED_ACT_THROTTLE);
	CHECK(conf_feed_corroborate(FEED_ACT_BLOCK, 2, 2) == FEED_ACT_BLOCK);
	CHECK(conf_feed_corroborate(FEED_ACT_BLOCK, 3, 2) == FEED_ACT_BLOCK);
	CHECK(conf_feed_corroborate(FEED_ACT_ALERT, 5, 2) == FEED_ACT_ALERT);
	CHECK(conf_feed_corroborate(FEED_ACT_THROTTLE, 5, 2) == FEED_ACT_THROTTLE);
	CHECK(feed_backoff(1, 10, 1000, 0) == 5);
	CHECK(feed_backoff(1, 10, 1000, 5) == 10);
	CHECK(feed_backoff(2, 10, 1000, 0) == 10);
	CHECK(feed_backoff(3, 10, 1000, 0) == 20);
	CHECK(feed_backoff(40, 10, 1000, 0) == 500);
	CHECK(feed_backoff(40, 10, 1000, 500) == 1000);
	CHECK(feed_backoff(40, 10, 1000, 501) == 500);
	for (i = 0; i < 1000; i++) {
		d = feed_backoff(i % 12 + 1, 10, 300, (uint32_t)rand());
		if (d > 300 || d < 5)
			break;
	}
	CHECK(i == 1000);
}

static void test_machine(const char *dir)
{
	static const char *const v2[] = { "198.51.100.7", "pool.example.net" };
	static const char *const v3[] = { "198.51.100.7", "pool.example.net", "203.0.113.0/24" };
	static const char *const v4[] = { "pool.example.net", "203.0.113.0/24", "198.51.100.9:3333" };
	static const char *const vbad[] = { "192.0.2.1" };
	struct mw_conf *c = gen_conf(dir, &pk, "file:///nonexistent/a", NULL, 0);
	struct feed_subs *s;
	struct feed_sub_status st[2];
	struct feed f3;
	struct feed_fetch_job j;
	char *state, *body, *sig;
	size_t blen;
	time_t now = time(NULL);
	struct ep_entry prot;
	char err[64];

	memset(&j, 0, sizeof(j));
	CHECK(c != NULL);
	if (!c)
		return;
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(s != NULL);
	CHECK(feed_subs_start(s) == 0);
	CHECK(applied == 0);

	CHECK(feed_in(s, "isp-a", &sk, 2, v2, 2, NULL, NULL, now) == FEED_OK);
	CHECK(applied == 1 && last.n_entries == 2 && last.serial == 2);
	state = slurp_s(dir, "isp-a.state");
	CHECK(strstr(state, "serial=2 ") != NULL);
	CHECK(feed_in(s, "isp-a", &sk, 2, v2, 2, NULL, NULL, now) == FEED_UNCHANGED);
	CHECK(applied == 1);

	/* Rejections: the state file does not move and apply is not called. */
	gen_feed(&sk, "isp-a", 3, now - 10, v3, 3, NULL, NULL, &body, &blen, &sig);
	body[blen - 2] ^= 1;	/* garbage: one flipped byte under a good signature */
	job_set(&j, body, blen, sig);
	CHECK(feed_subs_process(s, "isp-a", &j, now) == FEED_E_SIGNATURE);
	free(body);
	free(sig);
	CHECK(feed_in(s, "isp-a", &sk, 1, v2, 2, NULL, NULL, now) == FEED_E_ROLLBACK);
	CHECK(feed_in(s, "isp-a", &sk2, 3, v3, 3, NULL, NULL, now) == FEED_E_KEY_UNPINNED);
	CHECK(feed_in(s, "isp-b", &sk, 3, v3, 3, NULL, NULL, now) == FEED_E_SYSTEM);	/* no such sub */
	gen_feed(&sk, "isp-other", 3, now - 10, v3, 3, NULL, NULL, &body, &blen, &sig);
	job_set(&j, body, blen, sig);
	CHECK(feed_subs_process(s, "isp-a", &j, now) == FEED_E_PROVIDER);
	free(body);
	free(sig);
	ep_parse("192.0.2.0/24", &prot, err, sizeof(err));
	CHECK(feed_subs_set_protect(s, &prot, 1) == 0);
	CHECK(feed_in(s, "isp-a", &sk, 3, vbad, 1, NULL, NULL, now) == FEED_E_PROTECTED);
	feed_fetch_job_clear(&j);
	j.body.status = FETCH_ERROR;
	snprintf(j.body.reason, sizeof(j.body.reason), "HTTP status 404");
	CHECK(feed_subs_process(s, "isp-a", &j, now) == FEED_E_SYSTEM);
	fail_apply = 1;
	CHECK(feed_in(s, "isp-a", &sk, 3, v3, 3, NULL, NULL, now) == FEED_E_SYSTEM);
	fail_apply = 0;
	{
		char *again = slurp_s(dir, "isp-a.state");

		CHECK_STR(again, state);
		free(again);
	}
	CHECK(applied == 1 && last.serial == 2);
	CHECK(feed_subs_status(s, st, 2) == 1);
	CHECK(st[0].serial == 2 && st[0].rejected == 5 && st[0].errors == 2);
	CHECK(st[0].failures == 7 && st[0].entries == 2);
	CHECK(strstr(st[0].last_error, "apply failed") != NULL);
	free(state);

	/* The refused apply did not advance the state: the same feed now applies. */
	CHECK(feed_in(s, "isp-a", &sk, 3, v3, 3, NULL, &f3, now) == FEED_OK);
	CHECK(applied == 2 && last.n_entries == 3);
	feed_subs_status(s, st, 2);
	CHECK(st[0].failures == 0 && st[0].serial == 3 && st[0].last_ok == now);
	/* A delta 3 -> 4 is merged: the callback sees the whole set. */
	CHECK(feed_in(s, "isp-a", &sk, 4, v4, 3, &f3, NULL, now) == FEED_OK);
	CHECK(applied == 3 && last.serial == 4 && last.n_entries == 3 && last.kind == FEED_SNAPSHOT);
	CHECK(last_has("198.51.100.9:3333") && last_has("203.0.113.0/24") && !last_has("198.51.100.7"));
	{
		char *d = slurp_s(dir, "isp-a.delta.4");

		CHECK(strstr(d, "kind delta") != NULL);
		free(d);
	}
	/* A delta on a base we do not have. */
	CHECK(feed_in(s, "isp-a", &sk, 6, v4, 3, &f3, NULL, now) == FEED_E_BASE);
	feed_subs_free(s);

	/* Restart: snapshot 3 plus delta 4 verified again and applied before any fetch. */
	applied = 0;
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(feed_subs_start(s) == 0);
	CHECK(applied == 1 && last.serial == 4 && last.n_entries == 3);
	CHECK(last_has("198.51.100.9:3333") && !last_has("198.51.100.7"));
	CHECK(feed_in(s, "isp-a", &sk, 3, v3, 3, NULL, NULL, now) == FEED_E_ROLLBACK);
	feed_subs_free(s);

	/* A tampered cache is refused, but the state still refuses replays. */
	{
		char *snap = slurp_s(dir, "isp-a.snapshot");

		snap[strlen(snap) - 3] ^= 1;
		feed_file_write(dir, "isp-a.snapshot", snap, strlen(snap));
		free(snap);
	}
	applied = 0;
	s = feed_subs_new(c, NULL, on_apply, NULL);
	CHECK(feed_subs_start(s) == 0);
	CHECK(applied == 0);
	CHECK(feed_in(s, "isp-a", &sk, 3, v3, 3, NULL, NULL, now) == FEED_E_ROLLBACK);
	CHECK(feed_in(s, "isp-a", &sk, 5, v3, 3, NULL, NULL, now) == FEED_OK);
	CHECK(applied == 1 && last.serial == 5);
	{
		char *d = slurp_s(dir, "isp-a.delta.4");

		CHECK_STR(d, "");	/* a new snapshot drops the old deltas */
		free(d);
	}
	feed_subs_free(s);
	feed_fini(&f3);
	conf_free(c);
}

static void test_rotation(const char *dir)
{
	static const char *const v[] = { "198.51.100.7" };
	struct mw_conf *c = gen_conf(dir, &pk, "file:///nonexistent/a", NULL, 0);
	struct feed_subs *s = feed_subs_new(c, NULL, on_apply, NULL);
	struct feed_keys k;
	struct feed_fetch_job j;
	char *kb, *ks, *body, *sig, err[256];
	size_t klen, blen;
	time_t now = time(NULL);

	memset(&j, 0, sizeof(j));
	memset(&k, 0, sizeof(k));
	CHECK(feed_subs_start(s) == 0);
	CHECK(feed_in(s, "isp-a", &sk2, 1, v, 1, NULL, NULL, now) == FEED_E_KEY_UNPINNED);
	snprintf(k.provider, sizeof(k.provider), "isp-a");
	k.serial = 1;
	k.issued = now - 10;
	k.expires = now + 86400;
	k.current = pk;
	k.has_next = true;
	k.next = pk2;
	CHECK(feed_keys_write(&k, &kb, &klen) == 0);
	CHECK(feed_keys_sign((uint8_t *)kb, klen, &sk, &ks, err, sizeof(err)) == 0);
	gen_feed(&sk2, "isp-a", 1, now - 10, v, 1, NULL, NULL, &body, &blen, &sig);
	job_set(&j, body, blen, sig);
	j.keys.status = j.keys_sig.status = FETCH_OK;
	j.keys.body = (uint8_t *)strndup(kb, klen);
	j.keys.len = klen;
	j.keys_sig.body = (uint8_t *)strdup(ks);
	j.keys_sig.len = strlen(ks);
	CHECK(feed_subs_process(s, "isp-a", &j, now) == FEED_OK);
	feed_fetch_job_clear(&j);
	feed_subs_free(s);
	/* The learnt key survives a restart. */
	s = feed_subs_new(c, NULL, on_apply, NULL);
	applied = 0;
	CHECK(feed_subs_start(s) == 0);
	CHECK(applied == 1 && last.serial == 1);
	CHECK(feed_in(s, "isp-a", &sk2, 2, v, 1, NULL, NULL, now) == FEED_OK);
	feed_subs_free(s);
	free(kb);
	free(ks);
	free(body);
	free(sig);
	conf_free(c);
}

static void test_corroborate(const char *dir)
{
	static const char *const va[] = { "198.51.100.7", "pool.example.net" };
	static const char *const vb[] = { "pool.example.net" };
	struct mw_conf *c = gen_conf(dir, &pk, "file:///x/a", "file:///x/b", 2);
	struct feed_subs *s = feed_subs_new(c, NULL, on_apply, NULL);
	struct feed_entry e;
	char err[64];
	time_t now = time(NULL);

	CHECK(feed_subs_start(s) == 0);
	CHECK(feed_in(s, "isp-a", &sk, 1, va, 2, NULL, NULL, now) == FEED_OK);
	CHECK(feed_in(s, "isp-b", &sk, 1, vb, 1, NULL, NULL, now) == FEED_OK);
	feed_entry_set(&e, FEED_ADD, NULL, "pool.example.net", 60, NULL, err, sizeof(err));
	CHECK(feed_subs_listed_by(s, &e) == 2);
	CHECK(feed_subs_decide(s, "isp-a", &e) == FEED_ACT_BLOCK);
	feed_entry_set(&e, FEED_ADD, NULL, "198.51.100.7", 60, NULL, err, sizeof(err));
	CHECK(feed_subs_listed_by(s, &e) == 1);
	CHECK(feed_subs_decide(s, "isp-a", &e) == FEED_ACT_THROTTLE);
	feed_subs_free(s);
	conf_free(c);
}

int main(void)
{
	char d1[] = "/tmp/mwsub.XXXXXX", d2[] = "/tmp/mwsub.XXXXXX", d3[] = "/tmp/mwsub.XXXXXX";
	char cmd[128];

	if (!mkdtemp(d1) || !mkdtemp(d2) || !mkdtemp(d3))
		return 99;
	minisign_keygen(&pk, &sk);
	minisign_keygen(&pk2, &sk2);
	test_pure();
	test_machine(d1);
	test_rotation(d2);
	test_corroborate(d3);
	feed_fini(&last);
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", d1, d2, d3);
	if (system(cmd) != 0)
		return 99;
	return UNIT_DONE();
}
