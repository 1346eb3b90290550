/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fetching feed files over https, http and file with libcurl: limits, conditional GET, backoff. */
#ifndef MW_FEED_FETCH_H
#define MW_FEED_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evloop;

enum feed_fetch_status { FETCH_OK = 0, FETCH_UNCHANGED, FETCH_ERROR };

#define FETCH_ETAG_MAX		256
#define FETCH_DATE_MAX		64
#define FETCH_REASON_MAX	256

/* Validators of the last good download; empty strings when unknown. */
struct feed_fetch_cache {
	char etag[FETCH_ETAG_MAX];
	char last_modified[FETCH_DATE_MAX];
};

struct feed_fetch_opts {
	long connect_timeout;	/* seconds */
	long total_timeout;	/* seconds, the whole transfer */
	size_t max_size;	/* bytes; the download is cut past it */
};

struct feed_fetch_result {
	enum feed_fetch_status status;
	long code;		/* HTTP status, 0 for file:// */
	bool missing;		/* 404 or 410, or no such file:// file */
	uint8_t *body;		/* malloc'd, NUL-terminated (not counted in len) on FETCH_OK */
	size_t len;
	struct feed_fetch_cache cache;	/* validators the server sent */
	char reason[FETCH_REASON_MAX];
};

/* Once, before any thread: curl_global_init. 0 or -1. */
int feed_fetch_global_init(void);
void feed_fetch_opts_default(struct feed_fetch_opts *o);

/* Download url, blocking. cond (may be NULL) adds If-None-Match /
 * If-Modified-Since; a 304 gives FETCH_UNCHANGED. Never returns -1: every
 * failure is FETCH_ERROR with a reason. Free with feed_fetch_result_fini. */
enum feed_fetch_status feed_fetch_get(const char *url, const struct feed_fetch_opts *o,
				      const struct feed_fetch_cache *cond,
				      struct feed_fetch_result *r);
void feed_fetch_result_fini(struct feed_fetch_result *r);

/* Seconds to wait after the n-th consecutive failure (n >= 1): base * 2^(n-1)
 * capped at cap, then jittered into [d/2, d] with rnd (any 32-bit random). */
unsigned int feed_backoff(unsigned int failures, unsigned int base, unsigned int cap,
			  uint32_t rnd);

/* A list job's items: fetched in order; an item flagged FETCH_IF_PREV_OK only
 * when the one before it gave FETCH_OK (a signature after its file); the
 * first error of an item not FETCH_OPTIONAL skips all that follow (a chain
 * with a hole is of no use). */
#define FETCH_LIST_MAX		520
#define FETCH_IF_PREV_OK	1u
#define FETCH_OPTIONAL		2u

struct feed_fetch_item {
	char *url;			/* malloc'd by feed_fetch_job_add */
	size_t max_size;		/* 0: the job's opts.max_size */
	struct feed_fetch_cache cond;	/* conditional GET when not empty */
	unsigned int flags;
	struct feed_fetch_result r;	/* out */
};

/* One fetch of a feed: its body (conditional), then, when the body changed,
 * its .minisig and its optional .keys document with .keys.minisig. Or, when
 * items are added, those files instead (an index, its deltas). */
struct feed_fetch_job {
	/* In: set by the caller, read by the fetch thread. */
	char *url;
	struct feed_fetch_cache cond;
	struct feed_fetch_opts opts;
	int want_keys;
	struct feed_fetch_item *items;	/* a list job when n_items > 0 */
	size_t n_items;
	/* Out: set by the fetch thread. */
	struct feed_fetch_result body, sig, keys, keys_sig;
	/* Called in the event loop's thread once the job is done. */
	void (*done)(struct feed_fetch_job *job, void *arg);
	void *arg;
	struct feed_fetch_job *next;	/* queue link, private */
};

/* Run a job synchronously (the fetch thread does this; tests may too). */
void feed_fetch_job_run(struct feed_fetch_job *job);
/* Forget the results (the items stay, their results reset). */
void feed_fetch_job_clear(struct feed_fetch_job *job);
/* Append an item (cond may be NULL). 0, or -1 when full or out of memory. */
int feed_fetch_job_add(struct feed_fetch_job *job, const char *url, size_t max_size,
		       const struct feed_fetch_cache *cond, unsigned int flags);
/* Free the items and their results: the job is a plain feed job again. */
void feed_fetch_job_free_items(struct feed_fetch_job *job);

/* A fetch thread that runs jobs in order and reports them through an eventfd
 * the event loop watches. The thread touches nothing but the job; it keeps one
 * libcurl handle, so connections (HTTP keep-alive) and TLS sessions are reused
 * from one poll to the next. */
struct feed_fetcher;
struct feed_fetcher *feed_fetcher_new(struct evloop *loop);
/* Queue a job; the caller keeps it alive until done() ran. 0 or -1. */
int feed_fetcher_submit(struct feed_fetcher *fx, struct feed_fetch_job *job);
/* Stops the thread (after its current transfer) and drops queued jobs
 * without calling done(). */
void feed_fetcher_free(struct feed_fetcher *fx);

#endif
