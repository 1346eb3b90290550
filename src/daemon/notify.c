// SPDX-License-Identifier: GPL-2.0-or-later
/* The delivery engine: receivers, a bounded queue per receiver, one thread for every attempt.
 *
 * Why one thread around curl_multi_poll and not curl driven by the evloop: the
 * evloop has no timers, and a command's timeout, a retry's backoff and curl's
 * own timeouts all are. The thread waits in curl_multi_poll on curl's sockets
 * and, as extra descriptors, each running command's pidfd and output pipe;
 * curl_multi_wakeup brings it back when the main thread queues something. The
 * main thread never waits for it: notify_submit takes a mutex held only for a
 * few list operations, and a full queue drops the delivery (counted). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "clock.h"
#include "feed_fetch.h"
#include "log.h"
#include "notify.h"
#include "notify_int.h"

/* The thread looks at the clock at least this often. */
#define NOTIFY_TICK_MS		1000
/* A command without a pidfd (kernels before 5.3) is reaped by polling. */
#define NOTIFY_REAP_MS		100

struct notify {
	pthread_t thread;
	bool started;
	CURLM *multi;
	pthread_mutex_t lock;
	/* Under lock: what the main thread hands over, and the counters. */
	struct notify_job *inbox, **inbox_tail;
	struct notify_rcv *rcv[CONF_MAX_RECEIVERS];
	unsigned int n_rcv;
	struct notify_counters *counters;	/* one per name ever configured */
	bool stop;
	uint64_t stop_deadline_ms;
	/* The delivery thread's own: every delivery in order, waiting or in flight. */
	struct notify_job *jobs;
};

static const char *const outcome_names[NOTIFY_OUTCOMES] = {
	[NOTIFY_DELIVERED] = "delivered", [NOTIFY_REJECTED] = "rejected",
	[NOTIFY_TIMEOUT] = "timeout", [NOTIFY_ERROR] = "error", [NOTIFY_GAVE_UP] = "gave_up",
	[NOTIFY_DROPPED] = "dropped", [NOTIFY_COALESCED] = "coalesced",
};

const char *notify_outcome_name(enum notify_outcome o)
{
	return (unsigned int)o < NOTIFY_OUTCOMES ? outcome_names[o] : "?";
}

/* ---- the delivery thread ---------------------------------------------------- */

static void job_free(struct notify_job *j)
{
	notify_rcv_unref(j->rcv);
	free(j->doc);
	free(j);
}

/* Under lock: the current receiver of a name, referenced, or NULL. */
static struct notify_rcv *rcv_lookup(struct notify *n, const char *name)
{
	struct notify_rcv *r = NULL;
	unsigned int i;

	pthread_mutex_lock(&n->lock);
	for (i = 0; i < n->n_rcv; i++)
		if (strcmp(n->rcv[i]->name, name) == 0)
			r = notify_rcv_ref(n->rcv[i]);
	pthread_mutex_unlock(&n->lock);
	return r;
}

static void set_last_error(struct notify *n, struct notify_counters *c, const char *why)
{
	pthread_mutex_lock(&n->lock);
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	c->last_error_time = time(NULL);
	pthread_mutex_unlock(&n->lock);
}

/* A delivery leaves the queue: delivered, given up or dropped. */
static void job_done(struct notify_job **pp, struct notify_job *j)
{
	*pp = j->next;
	atomic_fetch_sub(&j->cnt->queued, 1);
	job_free(j);
}

/* The attempt in flight ended with o. Delivered, retried after a backoff, or given up. */
static void attempt_end(struct notify *n, struct notify_job **pp, enum notify_outcome o,
			const char *why, uint64_t now, bool stopping)
{
	struct notify_job *j = *pp;
	struct notify_rcv *r = j->rcv;
	char line[NOTIFY_ERROR_MAX];
	unsigned int delay;

	j->running = false;
	j->rcv = NULL;
	atomic_fetch_sub(&j->cnt->running, 1);
	atomic_fetch_add(&j->cnt->n[o], 1);
	if (o == NOTIFY_DELIVERED) {
		log_debug("notify %s: delivery %s (%s) delivered at attempt %u", j->name, j->id,
			  j->event, j->attempts);
		notify_rcv_unref(r);
		job_done(pp, j);
		return;
	}
	snprintf(line, sizeof(line), "%s: %s", outcome_names[o], why);
	set_last_error(n, j->cnt, line);
	if (stopping || j->attempts > r->retries) {
		atomic_fetch_add(&j->cnt->n[NOTIFY_GAVE_UP], 1);
		log_warnx_rl(&j->cnt->rl_gave_up, "notify %s: gave up on delivery %s (%s) after %u attempt%s: %s",
			     j->name, j->id, j->event, j->attempts, j->attempts == 1 ? "" : "s", line);
		notify_rcv_unref(r);
		job_done(pp, j);
		return;
	}
	delay = feed_backoff(j->attempts, r->backoff_s, r->backoff_max_s, randombytes_random());
	j->due_ms = now + (uint64_t)delay * 1000u;
	log_warnx_rl(&j->cnt->rl_attempt, "notify %s: attempt %u of delivery %s (%s) failed: %s; next in %u s",
		     j->name, j->attempts, j->id, j->event, line, delay);
	notify_rcv_unref(r);
}

/* Start what is due, in order, within each receiver's concurrency. */
static void start_due(struct notify *n, uint64_t now)
{
	struct notify_job **pp = &n->jobs, *j;

	while ((j = *pp)) {
		struct notify_rcv *r;
		char why[NOTIFY_WHY_MAX] = "";
		int rc;

		if (j->running || j->due_ms > now) {
			pp = &j->next;
			continue;
		}
		if (!(r = rcv_lookup(n, j->name))) {
			/* Its receiver left the config at a reload. */
			atomic_fetch_add(&j->cnt->n[NOTIFY_DROPPED], 1);
			job_done(pp, j);
			continue;
		}
		if (atomic_load(&j->cnt->running) >= r->concurrency) {
			notify_rcv_unref(r);
			pp = &j->next;
			continue;
		}
		j->rcv = r;
		j->running = true;
		j->attempts++;
		atomic_fetch_add(&j->cnt->running, 1);
		rc = r->type == CONF_NOTIFY_WEBHOOK ? notify_webhook_start(n->multi, j, why, sizeof(why))
						    : notify_exec_start(j, why, sizeof(why));
		if (rc < 0) {
			attempt_end(n, pp, NOTIFY_ERROR, why, now, false);
			if (*pp == j)
				pp = &j->next;
			continue;
		}
		pp = &j->next;
	}
}

static struct notify_job **find_job(struct notify *n, const struct notify_job *j)
{
	struct notify_job **pp;

	for (pp = &n->jobs; *pp && *pp != j; pp = &(*pp)->next)
		;
	return pp;
}

/* Transfers curl finished, then commands that exited or ran out of time. */
static void collect(struct notify *n, uint64_t now, bool stopping)
{
	struct notify_job **pp, *j;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(n->multi, &left))) {
		char why[NOTIFY_WHY_MAX] = "";
		enum notify_outcome o;
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		j = (struct notify_job *)priv;
		o = notify_webhook_finish(n->multi, j, msg->data.result, why, sizeof(why));
		pp = find_job(n, j);
		if (*pp)
			attempt_end(n, pp, o, why, now, stopping);
	}
	for (pp = &n->jobs; (j = *pp);) {
		char why[NOTIFY_WHY_MAX] = "";
		enum notify_outcome o;

		if (j->running && j->rcv->type == CONF_NOTIFY_EXEC &&
		    notify_exec_poll(j, now, &o, why, sizeof(why))) {
			attempt_end(n, pp, o, why, now, stopping);
			if (*pp == j)
				pp = &j->next;
			continue;
		}
		pp = &j->next;
	}
}

/* How long the thread may sleep, and the descriptors of running commands. */
static int wait_plan(struct notify *n, uint64_t now, struct curl_waitfd *fds, unsigned int *nfds,
		     unsigned int max)
{
	uint64_t wake = now + NOTIFY_TICK_MS;
	struct notify_job *j;

	*nfds = 0;
	for (j = n->jobs; j; j = j->next) {
		if (!j->running) {
			if (j->due_ms > now && j->due_ms < wake)
				wake = j->due_ms;
			continue;
		}
		if (j->rcv->type != CONF_NOTIFY_EXEC)
			continue;
		if (j->deadline_ms < wake)
			wake = j->deadline_ms > now ? j->deadline_ms : now;
		if (j->pidfd < 0 && now + NOTIFY_REAP_MS < wake)
			wake = now + NOTIFY_REAP_MS;
		if (j->pidfd >= 0 && *nfds < max)
			fds[(*nfds)++] = (struct curl_waitfd){ .fd = j->pidfd, .events = CURL_WAIT_POLLIN };
		if (j->outfd >= 0 && *nfds < max)
			fds[(*nfds)++] = (struct curl_waitfd){ .fd = j->outfd, .events = CURL_WAIT_POLLIN };
	}
	/* A command left out of the descriptors (too many) is reaped by polling. */
	if (*nfds == max && now + NOTIFY_REAP_MS < wake)
		wake = now + NOTIFY_REAP_MS;
	return (int)(wake - now);
}

/* Stopping: the waiting go now; those in flight at the deadline. */
static bool drain(struct notify *n, uint64_t now, uint64_t deadline)
{
	struct notify_job **pp = &n->jobs, *j;
	unsigned int dropped = 0, cut = 0;
	bool any = false;

	while ((j = *pp)) {
		if (j->running && now < deadline) {
			any = true;
			pp = &j->next;
			continue;
		}
		if (j->running) {
			if (j->rcv->type == CONF_NOTIFY_WEBHOOK)
				notify_webhook_abort(n->multi, j);
			else
				notify_exec_abort(j);
			atomic_fetch_sub(&j->cnt->running, 1);
			cut++;
		} else {
			dropped++;
		}
		atomic_fetch_add(&j->cnt->n[NOTIFY_DROPPED], 1);
		job_done(pp, j);
	}
	if (dropped || cut)
		log_warnx("notify: stopping: %u queued deliveries dropped, %u attempts cut short",
			  dropped, cut);
	return any;
}

static void *notify_main(void *arg)
{
	struct notify *n = arg;
	struct curl_waitfd fds[256];

	for (;;) {
		struct notify_job *in;
		unsigned int nfds;
		uint64_t now, deadline;
		bool stopping;
		int running, wait_ms;

		pthread_mutex_lock(&n->lock);
		in = n->inbox;
		n->inbox = NULL;
		n->inbox_tail = &n->inbox;
		stopping = n->stop;
		deadline = n->stop_deadline_ms;
		pthread_mutex_unlock(&n->lock);
		if (in) {
			struct notify_job **tail = &n->jobs;

			while (*tail)
				tail = &(*tail)->next;
			*tail = in;
		}
		now = now_monotonic_ms();
		if (stopping && !drain(n, now, deadline))
			break;
		if (!stopping)
			start_due(n, now);
		curl_multi_perform(n->multi, &running);
		now = now_monotonic_ms();
		collect(n, now, stopping);
		/* What collect freed a slot for starts now, not at the next wake-up. */
		if (!stopping)
			start_due(n, now);
		wait_ms = wait_plan(n, now, fds, &nfds, sizeof(fds) / sizeof(fds[0]));
		if (stopping && deadline > now && deadline - now < (uint64_t)wait_ms)
			wait_ms = (int)(deadline - now);
		curl_multi_poll(n->multi, fds, nfds, wait_ms, NULL);
	}
	return NULL;
}

/* ---- the main thread's side --------------------------------------------------- */

struct notify *notify_new(void)
{
	struct notify *n;

	if (feed_fetch_global_init() < 0 || sodium_init() < 0) {
		log_warnx("notify: libcurl or libsodium initialisation failed");
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->inbox_tail = &n->inbox;
	n->multi = curl_multi_init();
	if (!n->multi || pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		log_warnx("notify: cannot start the delivery thread");
		if (n->multi)
			curl_multi_cleanup(n->multi);
		pthread_mutex_destroy(&n->lock);
		free(n);
		return NULL;
	}
	n->started = true;
	return n;
}

void notify_free(struct notify *n, unsigned int grace_ms)
{
	struct notify_counters *c;
	struct notify_job *j;
	unsigned int i;

	if (!n)
		return;
	pthread_mutex_lock(&n->lock);
	n->stop = true;
	n->stop_deadline_ms = now_monotonic_ms() + grace_ms;
	pthread_mutex_unlock(&n->lock);
	curl_multi_wakeup(n->multi);
	pthread_join(n->thread, NULL);
	/* Whatever was queued after the thread's last look. */
	while ((j = n->inbox)) {
		n->inbox = j->next;
		job_free(j);
	}
	curl_multi_cleanup(n->multi);
	for (i = 0; i < n->n_rcv; i++)
		notify_rcv_unref(n->rcv[i]);
	while ((c = n->counters)) {
		n->counters = c->next;
		free(c);
	}
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Under lock: the counters of a name, made when new. */
static struct notify_counters *counters_of(struct notify *n, const char *name)
{
	struct notify_counters *c;

	for (c = n->counters; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->next = n->counters;
	n->counters = c;
	return c;
}

int notify_configure(struct notify *n, struct notify_rcv *const *rcv, unsigned int count)
{
	struct notify_rcv *old[CONF_MAX_RECEIVERS];
	unsigned int i, n_old;
	int rc = 0;

	if (count > CONF_MAX_RECEIVERS)
		return -1;
	pthread_mutex_lock(&n->lock);
	for (i = 0; i < count; i++)
		if (!rcv[i]->cnt && !(rcv[i]->cnt = counters_of(n, rcv[i]->name)))
			rc = -1;
	if (rc == 0) {
		memcpy(old, n->rcv, sizeof(old));
		n_old = n->n_rcv;
		for (i = 0; i < count; i++)
			n->rcv[i] = notify_rcv_ref(rcv[i]);
		n->n_rcv = count;
	}
	pthread_mutex_unlock(&n->lock);
	if (rc < 0)
		return -1;
	for (i = 0; i < n_old; i++)
		notify_rcv_unref(old[i]);
	curl_multi_wakeup(n->multi);
	return 0;
}

int notify_submit(struct notify *n, struct notify_rcv *r, const char *event, const char *id,
		  const char *doc, size_t len)
{
	struct notify_job *j;

	if (!r->cnt)
		return -1;
	if (atomic_fetch_add(&r->cnt->queued, 1) >= r->queue_max)
		goto drop;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->doc = malloc(len + 1))) {
		free(j);
		goto drop;
	}
	memcpy(j->doc, doc, len);
	j->doc[len] = '\0';
	j->len = len;
	snprintf(j->name, sizeof(j->name), "%s", r->name);
	snprintf(j->event, sizeof(j->event), "%s", event);
	snprintf(j->id, sizeof(j->id), "%s", id);
	j->cnt = r->cnt;
	j->pid = -1;
	j->pidfd = j->outfd = -1;
	j->due_ms = now_monotonic_ms();
	pthread_mutex_lock(&n->lock);
	*n->inbox_tail = j;
	n->inbox_tail = &j->next;
	pthread_mutex_unlock(&n->lock);
	curl_multi_wakeup(n->multi);
	return 0;
drop:
	atomic_fetch_sub(&r->cnt->queued, 1);
	atomic_fetch_add(&r->cnt->n[NOTIFY_DROPPED], 1);
	return -1;
}

void notify_last_error(struct notify *n, const char *name, char *buf, size_t size, time_t *when)
{
	struct notify_counters *c;

	buf[0] = '\0';
	*when = 0;
	pthread_mutex_lock(&n->lock);
	for (c = n->counters; c; c = c->next) {
		if (strcmp(c->name, name) == 0) {
			snprintf(buf, size, "%s", c->last_error);
			*when = c->last_error_time;
			break;
		}
	}
	pthread_mutex_unlock(&n->lock);
}
