// SPDX-License-Identifier: GPL-2.0-or-later
/* Feed downloads: libcurl easy handles in one fetch thread, results handed to the event loop.
 *
 * Why a thread and not curl_multi_socket_action in the evloop: our evloop watches only
 * readable fds and has no timers, while curl needs write interest and its own timeouts.
 * Feeds are fetched every few minutes, so one thread running transfers in order costs
 * nothing, and it touches only the job it was given: results come back through an eventfd
 * the evloop reads, and every decision about a feed is taken in the daemon's thread.
 *
 * Plain http:// is allowed: the minisign signature, not the transport, protects the
 * content, and feed_accept refuses replays. https:// always verifies the peer and its
 * name against the system CA store. Redirects may only lead to http(s), never file://. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <curl/curl.h>

#include "evloop.h"
#include "feed_fetch.h"
#include "log.h"

struct xfer {
	struct feed_fetch_result *r;
	size_t max_size, cap;
	bool too_big;
	const atomic_bool *stop;
};

int feed_fetch_global_init(void)
{
	static bool done;

	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	done = true;
	return 0;
}

void feed_fetch_opts_default(struct feed_fetch_opts *o)
{
	o->connect_timeout = 10;
	o->total_timeout = 60;
	o->max_size = 16u << 20;
}

unsigned int feed_backoff(unsigned int failures, unsigned int base, unsigned int cap,
			  uint32_t rnd)
{
	unsigned long long d = base ? base : 1;
	unsigned int i, half;

	for (i = 1; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* Jitter keeps many gateways from hammering a provider in step after an outage. */
	half = (unsigned int)(d / 2);
	return half + (unsigned int)(rnd % ((unsigned int)d - half + 1));
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct feed_fetch_result *r = x->r;
	size_t n = size * nmemb;

	/* A server may lie about Content-Length or send no length at all: count what arrives. */
	if (n > x->max_size - r->len) {
		x->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 16384;
		uint8_t *p;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > x->max_size + 1)
			cap = x->max_size + 1;
		p = realloc(r->body, cap);
		if (!p)
			return 0;
		r->body = p;
		x->cap = cap;
	}
	memcpy(r->body + r->len, ptr, n);
	r->len += n;
	return n;
}

/* Copy a header value, trimmed, if the line is "name: value". */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t outsize)
{
	size_t nl = strlen(name), i, j;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	for (i = nl + 1; i < n && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (j = n; j > i && (line[j - 1] == '\r' || line[j - 1] == '\n' || line[j - 1] == ' ');
	     j--)
		;
	if (j - i >= outsize)
		return;	/* an absurd validator is not worth remembering */
	memcpy(out, line + i, j - i);
	out[j - i] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	/* A redirect's headers come first; only the final response's validators count. */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		memset(&x->r->cache, 0, sizeof(x->r->cache));
	header_value(ptr, n, "ETag", x->r->cache.etag, sizeof(x->r->cache.etag));
	header_value(ptr, n, "Last-Modified", x->r->cache.last_modified,
		     sizeof(x->r->cache.last_modified));
	return n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct xfer *x = arg;

	return x->stop && atomic_load(x->stop) ? 1 : 0;
}

static enum feed_fetch_status fail(struct feed_fetch_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum feed_fetch_status fail(struct feed_fetch_result *r, const char *fmt, ...)
{
	va_list ap;

	free(r->body);
	r->body = NULL;
	r->len = 0;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
	r->status = FETCH_ERROR;
	return FETCH_ERROR;
}

static bool safe_header(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static enum feed_fetch_status fetch(const char *url, const struct feed_fetch_opts *o,
				    const struct feed_fetch_cache *cond,
				    struct feed_fetch_result *r, const atomic_bool *stop)
{
	struct xfer x = { .r = r, .max_size = o->max_size, .stop = stop };
	struct curl_slist *hdrs = NULL, *h;
	char errbuf[CURL_ERROR_SIZE] = "", line[FETCH_ETAG_MAX + 32];
	CURL *c;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	c = curl_easy_init();
	if (!c)
		return fail(r, "curl_easy_init failed");
	if (cond && cond->etag[0] && safe_header(cond->etag)) {
		snprintf(line, sizeof(line), "If-None-Match: %s", cond->etag);
		if ((h = curl_slist_append(hdrs, line)))
			hdrs = h;
	}
	if (cond && cond->last_modified[0] && safe_header(cond->last_modified)) {
		snprintf(line, sizeof(line), "If-Modified-Since: %s", cond->last_modified);
		if ((h = curl_slist_append(hdrs, line)))
			hdrs = h;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https,http");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP |
						     CURLPROTO_FILE));
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->total_timeout);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_size);
	curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	if (x.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return fail(r, "larger than max_size (%zu bytes)", o->max_size);
	if (rc != CURLE_OK)
		return fail(r, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	if (r->code == 304) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
		snprintf(r->reason, sizeof(r->reason), "not modified");
		r->status = FETCH_UNCHANGED;
		return FETCH_UNCHANGED;
	}
	if (r->code != 0 && r->code != 200)
		return fail(r, "HTTP status %ld", r->code);
	if (!r->body && !(r->body = malloc(1)))
		return fail(r, "out of memory");
	r->body[r->len] = '\0';
	snprintf(r->reason, sizeof(r->reason), "%zu bytes", r->len);
	r->status = FETCH_OK;
	return FETCH_OK;
}

enum feed_fetch_status feed_fetch_get(const char *url, const struct feed_fetch_opts *o,
				      const struct feed_fetch_cache *cond,
				      struct feed_fetch_result *r)
{
	return fetch(url, o, cond, r, NULL);
}

void feed_fetch_result_fini(struct feed_fetch_result *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
}

static void job_run(struct feed_fetch_job *job, const atomic_bool *stop)
{
	struct feed_fetch_opts small = job->opts;
	size_t ul = strlen(job->url);
	char *u = malloc(ul + sizeof(".keys.minisig"));

	if (!u) {
		fail(&job->body, "out of memory");
		return;
	}
	if (fetch(job->url, &job->opts, &job->cond, &job->body, stop) != FETCH_OK)
		goto out;
	/* Signatures and keys documents are small; a large one is an attack. */
	small.max_size = 64 * 1024;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.minisig", job->url);
	if (fetch(u, &small, NULL, &job->sig, stop) != FETCH_OK)
		goto out;
	if (!job->want_keys)
		goto out;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.keys", job->url);
	if (fetch(u, &small, NULL, &job->keys, stop) != FETCH_OK)
		goto out;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.keys.minisig", job->url);
	fetch(u, &small, NULL, &job->keys_sig, stop);
out:
	free(u);
}

void feed_fetch_job_run(struct feed_fetch_job *job)
{
	job_run(job, NULL);
}

void feed_fetch_job_clear(struct feed_fetch_job *job)
{
	feed_fetch_result_fini(&job->body);
	feed_fetch_result_fini(&job->sig);
	feed_fetch_result_fini(&job->keys);
	feed_fetch_result_fini(&job->keys_sig);
	memset(&job->body, 0, sizeof(job->body));
	memset(&job->sig, 0, sizeof(job->sig));
	memset(&job->keys, 0, sizeof(job->keys));
	memset(&job->keys_sig, 0, sizeof(job->keys_sig));
	/* Nothing fetched yet is not "ok". */
	job->body.status = job->sig.status = job->keys.status = job->keys_sig.status = FETCH_ERROR;
	snprintf(job->body.reason, sizeof(job->body.reason), "not fetched");
	snprintf(job->sig.reason, sizeof(job->sig.reason), "not fetched");
}

struct feed_fetcher {
	struct evloop *loop;
	int efd;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;
	struct feed_fetch_job *todo, *done;	/* FIFO in, LIFO out (order does not matter) */
};

static void *fetcher_main(void *arg)
{
	struct feed_fetcher *fx = arg;
	uint64_t one = 1;

	for (;;) {
		struct feed_fetch_job *job, **pp;

		pthread_mutex_lock(&fx->lock);
		while (!fx->todo && !atomic_load(&fx->stop))
			pthread_cond_wait(&fx->wake, &fx->lock);
		if (atomic_load(&fx->stop)) {
			pthread_mutex_unlock(&fx->lock);
			return NULL;
		}
		job = fx->todo;
		fx->todo = job->next;
		pthread_mutex_unlock(&fx->lock);

		job_run(job, &fx->stop);

		pthread_mutex_lock(&fx->lock);
		for (pp = &fx->done; *pp; pp = &(*pp)->next)
			;
		job->next = NULL;
		*pp = job;
		pthread_mutex_unlock(&fx->lock);
		if (write(fx->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("feed fetcher: eventfd write");
	}
}

/* In the loop's thread: hand each finished job back to its owner. */
static void on_done(struct evloop *loop, int fd, void *arg)
{
	struct feed_fetcher *fx = arg;
	struct feed_fetch_job *list, *job;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("feed fetcher: eventfd read");
	pthread_mutex_lock(&fx->lock);
	list = fx->done;
	fx->done = NULL;
	pthread_mutex_unlock(&fx->lock);
	while ((job = list)) {
		list = job->next;
		job->next = NULL;
		job->done(job, job->arg);
	}
}

struct feed_fetcher *feed_fetcher_new(struct evloop *loop)
{
	struct feed_fetcher *fx;

	if (feed_fetch_global_init() < 0)
		return NULL;
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return NULL;
	fx->loop = loop;
	atomic_init(&fx->stop, false);
	pthread_mutex_init(&fx->lock, NULL);
	pthread_cond_init(&fx->wake, NULL);
	fx->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fx->efd < 0)
		goto err;
	if (evloop_add(loop, fx->efd, on_done, fx) < 0)
		goto err;
	if (pthread_create(&fx->thread, NULL, fetcher_main, fx) != 0) {
		evloop_del(loop, fx->efd);
		goto err;
	}
	fx->started = true;
	return fx;
err:
	feed_fetcher_free(fx);
	return NULL;
}

int feed_fetcher_submit(struct feed_fetcher *fx, struct feed_fetch_job *job)
{
	struct feed_fetch_job **pp;

	feed_fetch_job_clear(job);
	job->next = NULL;
	pthread_mutex_lock(&fx->lock);
	for (pp = &fx->todo; *pp; pp = &(*pp)->next)
		;
	*pp = job;
	pthread_cond_signal(&fx->wake);
	pthread_mutex_unlock(&fx->lock);
	return 0;
}

void feed_fetcher_free(struct feed_fetcher *fx)
{
	if (!fx)
		return;
	if (fx->started) {
		pthread_mutex_lock(&fx->lock);
		atomic_store(&fx->stop, true);
		pthread_cond_signal(&fx->wake);
		pthread_mutex_unlock(&fx->lock);
		pthread_join(fx->thread, NULL);
		evloop_del(fx->loop, fx->efd);
	}
	if (fx->efd >= 0)
		close(fx->efd);
	pthread_mutex_destroy(&fx->lock);
	pthread_cond_destroy(&fx->wake);
	free(fx);
}
