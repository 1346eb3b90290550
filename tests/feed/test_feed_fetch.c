// SPDX-License-Identifier: GPL-2.0-or-later
/* feed_fetch against real servers (run by fetch.sh): ok, 304, 404, hang, endless body,
 * file://, redirects, and the subscription machine through the fetch thread and evloop. */
#include "config.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "evloop.h"
#include "feed_sub.h"
#include "feedgen.h"
#include "../unit/unit.h"

static const char *www, *state, *web, *hang, *stream;
static struct minisign_pubkey pk;
static struct minisign_seckey sk;
static int applied;
static uint64_t applied_serial;
static struct evloop *loop;

static void put(const char *name, const char *data, size_t len)
{
	CHECK(feed_file_write(www, name, data, len) == 0);
}

static void publish(uint64_t serial, const char *const *v, size_t n, bool garbage)
{
	char *body, *sig;
	size_t blen;

	CHECK(gen_feed(&sk, "isp-a", serial, time(NULL) - 10, v, n, NULL, NULL, &body, &blen,
		       &sig) == 0);
	if (garbage)
		memset(body + 20, 'Z', 10);
	put("feed", body, blen);
	put("feed.minisig", sig, strlen(sig));
	free(body);
	free(sig);
}

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_get(void)
{
	struct feed_fetch_opts o;
	struct feed_fetch_result r;
	struct feed_fetch_cache cache;
	struct timespec t0;
	char url[512];

	feed_fetch_opts_default(&o);
	o.connect_timeout = 2;
	o.total_timeout = 3;
	o.max_size = 1u << 20;
	put("hello", "hello\n", 6);
	snprintf(url, sizeof(url), "%s/hello", web);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_OK);
	CHECK(r.len == 6 && memcmp(r.body, "hello\n", 6) == 0 && r.code == 200);
	CHECK(r.cache.etag[0] == '"' && r.cache.last_modified[0]);
	cache = r.cache;
	feed_fetch_result_fini(&r);
	/* Conditional GET: nginx answers 304 to the ETag it gave. */
	CHECK(feed_fetch_get(url, &o, &cache, &r) == FETCH_UNCHANGED);
	CHECK(r.code == 304 && r.body == NULL);
	feed_fetch_result_fini(&r);
	put("hello", "hello, again\n", 13);
	CHECK(feed_fetch_get(url, &o, &cache, &r) == FETCH_OK && r.len == 13);
	feed_fetch_result_fini(&r);

	snprintf(url, sizeof(url), "%s/missing", web);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_ERROR);
	CHECK_STR(r.reason, "HTTP status 404");
	feed_fetch_result_fini(&r);

	/* Larger than max_size with an honest Content-Length. */
	o.max_size = 4;
	snprintf(url, sizeof(url), "%s/hello", web);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_ERROR);
	CHECK(strstr(r.reason, "max_size") != NULL);
	feed_fetch_result_fini(&r);
	o.max_size = 1u << 20;

	/* A server that never answers hits the total timeout. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(url, sizeof(url), "%s/feed", hang);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_ERROR);
	CHECK(since(&t0) >= 2.5 && since(&t0) < 6);
	CHECK(strstr(r.reason, "imeout") || strstr(r.reason, "timed out"));
	fprintf(stderr, "hang: %s after %.1fs\n", r.reason, since(&t0));
	feed_fetch_result_fini(&r);

	/* One that lies about Content-Length and streams forever is cut at max_size. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(url, sizeof(url), "%s/feed", stream);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_ERROR);
	CHECK(strstr(r.reason, "max_size") != NULL);
	CHECK(since(&t0) < 2.5 && r.body == NULL);
	fprintf(stderr, "stream: %s after %.2fs\n", r.reason, since(&t0));
	feed_fetch_result_fini(&r);

	/* file:// works; a redirect to file:// does not. */
	snprintf(url, sizeof(url), "file://%s/hello", www);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_OK && r.len == 13);
	feed_fetch_result_fini(&r);
	snprintf(url, sizeof(url), "%s/moved", web);
	CHECK(feed_fetch_get(url, &o, NULL, &r) == FETCH_ERROR);
	fprintf(stderr, "redirect to file: %s\n", r.reason);
	feed_fetch_result_fini(&r);
	CHECK(feed_fetch_get("ftp://127.0.0.1/x", &o, NULL, &r) == FETCH_ERROR);
	feed_fetch_result_fini(&r);
}

static int on_apply(const char *name, const struct feed *f, const struct feed_apply_info *how,
		    void *arg)
{
	applied++;
	applied_serial = f->serial;
	evloop_stop(loop);
	return 0;
}

/* A watchdog so a lost completion fails the test instead of hanging it. */
static void on_watchdog(struct evloop *l, int fd, void *arg)
{
	evloop_stop(l);
}

/* Full path: thread fetch, completion in the loop, verify, accept, apply, persist. */
static void test_subs(void)
{
	static const char *const v1[] = { "198.51.100.7", "pool.example.net" };
	static const char *const v2[] = { "198.51.100.8" };
	char url[512], *st1, *st2;
	struct mw_conf *c;
	struct feed_subs *s;
	struct feed_sub_status ss;
	struct feed_fetch_job j;
	int wfd;

	memset(&j, 0, sizeof(j));
	snprintf(url, sizeof(url), "%s/feed", web);
	c = gen_conf(state, &pk, url, NULL, 0);
	publish(5, v1, 2, false);
	loop = evloop_new();
	s = feed_subs_new(c, loop, on_apply, NULL);
	CHECK(s && feed_subs_start(s) == 0);
	wfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	timerfd_settime(wfd, 0, &(struct itimerspec){ .it_value = { 10, 0 } }, NULL);
	evloop_add(loop, wfd, on_watchdog, NULL);
	evloop_run(loop);
	CHECK(applied == 1 && applied_serial == 5);
	st1 = slurp_s(state, "isp-a.state");
	CHECK(strstr(st1, "serial=5 ") != NULL);

	/* Rejections through real fetches keep the state file and never call apply. */
	j.url = url;
	feed_fetch_opts_default(&j.opts);
	j.opts.total_timeout = 3;
	feed_fetch_job_clear(&j);
	publish(6, v2, 1, true);	/* garbage under a signature */
	feed_fetch_job_run(&j);
	CHECK(j.body.status == FETCH_OK);
	CHECK(feed_subs_process(s, "isp-a", &j, time(NULL)) == FEED_E_SIGNATURE);
	feed_fetch_job_clear(&j);
	publish(4, v2, 1, false);	/* a good signature on an older serial */
	feed_fetch_job_run(&j);
	CHECK(feed_subs_process(s, "isp-a", &j, time(NULL)) == FEED_E_ROLLBACK);
	feed_fetch_job_clear(&j);
	unlink("/nonexistent");
	snprintf(url, sizeof(url), "%s/missing", web);
	feed_fetch_job_run(&j);
	CHECK(feed_subs_process(s, "isp-a", &j, time(NULL)) == FEED_E_SYSTEM);
	feed_fetch_job_clear(&j);
	snprintf(url, sizeof(url), "%s/feed", hang);
	feed_fetch_job_run(&j);
	CHECK(feed_subs_process(s, "isp-a", &j, time(NULL)) == FEED_E_SYSTEM);
	feed_fetch_job_clear(&j);
	st2 = slurp_s(state, "isp-a.state");
	CHECK_STR(st1, st2);
	CHECK(applied == 1);
	feed_subs_status(s, &ss, 1);
	CHECK(ss.serial == 5 && ss.rejected == 2 && ss.errors == 2 && ss.failures == 4);
	free(st2);

	/* A newer good feed, fetched by the thread after sync_now. */
	publish(7, v2, 1, false);
	CHECK(feed_subs_sync_now(s, "isp-a") == 0);
	CHECK(feed_subs_sync_now(s, "nope") == -1);
	evloop_run(loop);
	CHECK(applied == 2 && applied_serial == 7);
	st2 = slurp_s(state, "isp-a.state");
	CHECK(strstr(st2, "serial=7 ") != NULL);
	free(st1);
	free(st2);
	feed_subs_free(s);
	evloop_del(loop, wfd);
	close(wfd);
	evloop_free(loop);
	conf_free(c);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: test_feed_fetch WWW STATE WEB HANG STREAM\n");
		return 99;
	}
	www = argv[1];
	state = argv[2];
	web = argv[3];
	hang = argv[4];
	stream = argv[5];
	if (feed_fetch_global_init() < 0)
		return 99;
	minisign_keygen(&pk, &sk);
	test_get();
	test_subs();
	return UNIT_DONE();
}
