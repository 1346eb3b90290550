// SPDX-License-Identifier: GPL-2.0-or-later
/* The fetch thread: feed jobs (a feed, its signature and keys) and list jobs (an index, its
 * deltas) run in order on one kept libcurl handle, results handed back to the event loop.
 *
 * Why a thread and not curl_multi_socket_action in the evloop: our evloop watches only
 * readable fds and has no timers, while curl needs write interest and its own timeouts.
 * Transfers are small and few (a conditional GET of the index every few seconds, a delta
 * now and then), so one thread running them in order costs nothing, and it touches only
 * the job it was given: results come back through an eventfd the evloop reads, and every
 * decision about a feed is taken in the daemon's thread. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "evloop.h"
#include "feed_fetch.h"
#include "feed_fetch_int.h"
#include "log.h"

#define SMALL_MAX	(64 * 1024)	/* signatures and keys documents */

static void list_run(struct feed_fetch_job *job, void *h, const atomic_bool *stop)
{
	bool skip = false;
	size_t i;

	for (i = 0; i < job->n_items; i++) {
		struct feed_fetch_item *it = &job->items[i];
		struct feed_fetch_opts o = job->opts;
		bool cond = it->cond.etag[0] || it->cond.last_modified[0];

		if (skip || ((it->flags & FETCH_IF_PREV_OK) &&
			     (i == 0 || job->items[i - 1].r.status != FETCH_OK))) {
			feed_fetch_fail(&it->r, "not fetched");
			continue;
		}
		if (it->max_size)
			o.max_size = it->max_size;
		if (feed_fetch_with(h, it->url, &o, cond ? &it->cond : NULL, &it->r, stop) ==
		    FETCH_ERROR && !(it->flags & FETCH_OPTIONAL))
			skip = true;
	}
}

static void job_run(struct feed_fetch_job *job, void *h, const atomic_bool *stop)
{
	struct feed_fetch_opts small = job->opts;
	size_t ul;
	char *u;

	if (job->n_items) {
		list_run(job, h, stop);
		return;
	}
	ul = strlen(job->url);
	u = malloc(ul + sizeof(".keys.minisig"));
	if (!u) {
		feed_fetch_fail(&job->body, "out of memory");
		return;
	}
	if (feed_fetch_with(h, job->url, &job->opts, &job->cond, &job->body, stop) != FETCH_OK)
		goto out;
	/* Signatures and keys documents are small; a large one is an attack. */
	small.max_size = SMALL_MAX;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.minisig", job->url);
	if (feed_fetch_with(h, u, &small, NULL, &job->sig, stop) != FETCH_OK)
		goto out;
	if (!job->want_keys)
		goto out;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.keys", job->url);
	if (feed_fetch_with(h, u, &small, NULL, &job->keys, stop) != FETCH_OK)
		goto out;
	snprintf(u, ul + sizeof(".keys.minisig"), "%s.keys.minisig", job->url);
	feed_fetch_with(h, u, &small, NULL, &job->keys_sig, stop);
out:
	free(u);
}

void feed_fetch_job_run(struct feed_fetch_job *job)
{
	void *h = feed_fetch_handle_new();

	job_run(job, h, NULL);
	feed_fetch_handle_free(h);
}

void feed_fetch_job_clear(struct feed_fetch_job *job)
{
	size_t i;

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
	for (i = 0; i < job->n_items; i++) {
		feed_fetch_result_fini(&job->items[i].r);
		memset(&job->items[i].r, 0, sizeof(job->items[i].r));
		job->items[i].r.status = FETCH_ERROR;
		snprintf(job->items[i].r.reason, sizeof(job->items[i].r.reason), "not fetched");
	}
}

int feed_fetch_job_add(struct feed_fetch_job *job, const char *url, size_t max_size,
		       const struct feed_fetch_cache *cond, unsigned int flags)
{
	struct feed_fetch_item *it;

	if (job->n_items == FETCH_LIST_MAX)
		return -1;
	/* One allocation for the longest list: jobs are few and short-lived. */
	if (!job->items && !(job->items = calloc(FETCH_LIST_MAX, sizeof(*job->items))))
		return -1;
	it = &job->items[job->n_items];
	memset(it, 0, sizeof(*it));
	if (!(it->url = strdup(url)))
		return -1;
	it->max_size = max_size;
	if (cond)
		it->cond = *cond;
	it->flags = flags;
	it->r.status = FETCH_ERROR;
	snprintf(it->r.reason, sizeof(it->r.reason), "not fetched");
	job->n_items++;
	return 0;
}

void feed_fetch_job_free_items(struct feed_fetch_job *job)
{
	size_t i;

	for (i = 0; i < job->n_items; i++) {
		feed_fetch_result_fini(&job->items[i].r);
		free(job->items[i].url);
	}
	free(job->items);
	job->items = NULL;
	job->n_items = 0;
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
	void *h = feed_fetch_handle_new();

	for (;;) {
		struct feed_fetch_job *job, **pp;

		pthread_mutex_lock(&fx->lock);
		while (!fx->todo && !atomic_load(&fx->stop))
			pthread_cond_wait(&fx->wake, &fx->lock);
		if (atomic_load(&fx->stop)) {
			pthread_mutex_unlock(&fx->lock);
			feed_fetch_handle_free(h);
			return NULL;
		}
		job = fx->todo;
		fx->todo = job->next;
		pthread_mutex_unlock(&fx->lock);

		job_run(job, h, &fx->stop);

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
