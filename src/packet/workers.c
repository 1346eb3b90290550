// SPDX-License-Identifier: GPL-2.0-or-later
/* Queue workers: one thread per NFQUEUE, each with its own engine. The
 * packet path (worker_on_packet) takes no lock but one: the SYN log's, once
 * per new TCP flow (synlog.c). Other locks guard only the mailboxes
 * (findings, which are rare), the published counters (once per batch) and
 * view changes (reloads, allowlist edits). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/time.h>

#include "clock.h"
#include "log.h"
#include "synlog.h"
#include "workers.h"

#define WORKER_MAILBOX 1024	/* findings waiting for the main thread, per worker */
#define WORKER_INBOX 4096	/* addresses learned by others, waiting for this worker */
#define WORKER_TICK_MS 1000	/* flow and learned-address expiry */
#define WORKER_VIEW_WAIT_S 5	/* a worker not taking a new view by then is stuck */

enum msg_kind { MSG_EVENT, MSG_LEARN };

/* A finding copied out of the worker: the event's strings and key live here. */
struct worker_msg {
	enum msg_kind kind;
	enum event_type type;
	struct timeval ts;
	bool has_key, has_dialect, has_detail;
	struct flow_key key;
	const char *detector;	/* static: a detector's name or "relay" */
	char dialect[32];
	char detail[EVENT_DETAIL_MAX];
	enum conf_action action;
	bool confirmed, allowlisted, inbound, has_target;
	struct det_addr target;
	unsigned int n_learned;
	struct det_learned learned[DET_MAX_LEARNED];
};

/* Worker -> main thread. */
struct mailbox {
	pthread_mutex_t lock;
	struct worker_msg *m;
	unsigned int head, n;
	uint64_t lost;
};

/* Other workers -> this worker: addresses they learned. */
struct inbox {
	pthread_mutex_t lock;
	atomic_uint pending;
	struct det_learned *buf;
	unsigned int n;
	uint64_t lost;
};

struct worker {
	struct workers *ws;
	unsigned int idx;
	pthread_t thread;
	bool started;
	struct queue *q;
	struct engine *engine;
	int wake_fd;			/* eventfd: a new view, or stop */
	struct mailbox out;
	struct inbox in;
	struct det_learned *spare;	/* swapped with in.buf when taking the inbox */
	uint64_t view_gen;		/* the view this worker uses */
	uint64_t queue_gen;		/* the queue settings it applied */
	uint64_t last_tick_ms;
	struct log_ratelimit rl;
	/* Counters published after every batch, for workers_get_stats. */
	pthread_mutex_t st_lock;
	struct engine_stats est;
	struct flow_stats fst;
	struct queue_stats qst;		/* since this worker took the queue (qbase) */
	struct queue_stats qbase;	/* a kept queue's counts from the previous workers */
};

struct workers {
	struct worker *w;
	unsigned int n;
	struct workers_cb cb;
	int event_fd;			/* the main thread's wake-up */
	atomic_bool stop;
	/* The view: written by the main thread under view_lock, generation
	 * published in view_gen_pub for the workers' lock-free check. */
	pthread_mutex_t view_lock;
	pthread_cond_t view_cond;
	struct workers_view view;
	struct queue_cfg qc;
	uint64_t view_gen, queue_gen;
	atomic_uint_fast64_t view_gen_pub;
};

static void wake(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("workers: eventfd write");
}

/* ---- worker side ------------------------------------------------------- */

static struct worker_msg *mailbox_slot(struct worker *w)
{
	struct mailbox *mb = &w->out;

	if (mb->n == WORKER_MAILBOX) {
		mb->lost++;
		return NULL;
	}
	return &mb->m[(mb->head + mb->n) % WORKER_MAILBOX];
}

static void copy_str(char *dst, size_t size, const char *src, bool *has)
{
	*has = src != NULL;
	if (src)
		snprintf(dst, size, "%s", src);
	else
		dst[0] = '\0';
}

static void worker_on_event(void *arg, const struct mw_event *ev)
{
	struct worker *w = arg;
	struct worker_msg *m;
	bool lost;

	pthread_mutex_lock(&w->out.lock);
	m = mailbox_slot(w);
	lost = m == NULL;
	if (m) {
		m->kind = MSG_EVENT;
		m->type = ev->type;
		m->ts = ev->ts;
		m->has_key = ev->key != NULL;
		if (ev->key)
			m->key = *ev->key;
		m->detector = ev->detector;
		copy_str(m->dialect, sizeof(m->dialect), ev->dialect, &m->has_dialect);
		copy_str(m->detail, sizeof(m->detail), ev->detail, &m->has_detail);
		m->action = ev->action;
		m->confirmed = ev->confirmed;
		m->allowlisted = ev->allowlisted;
		m->inbound = ev->inbound;
		m->has_target = ev->target != NULL;
		if (ev->target)
			m->target = *ev->target;
		m->n_learned = ev->learned_addrs ? (ev->learned < DET_MAX_LEARNED ? ev->learned : DET_MAX_LEARNED) : 0;
		if (m->n_learned)
			memcpy(m->learned, ev->learned_addrs, m->n_learned * sizeof(m->learned[0]));
		w->out.n++;
	}
	pthread_mutex_unlock(&w->out.lock);
	if (lost)
		log_warnx_rl(&w->rl, "queue %u: findings arrive faster than the main thread takes them; "
			     "some are not logged or enforced", queue_num(w->q));
	else
		wake(w->ws->event_fd);
}

/* An address this worker learned: the main thread enforces it, the other
 * workers learn it too (before this packet's verdict leaves). */
static void worker_on_learn(void *arg, const struct det_learned *l, unsigned int n)
{
	struct worker *w = arg;
	struct workers *ws = w->ws;
	struct worker_msg *m;
	unsigned int i, k;

	for (i = 0; i < ws->n; i++) {
		struct inbox *in = &ws->w[i].in;

		if (i == w->idx)
			continue;
		pthread_mutex_lock(&in->lock);
		for (k = 0; k < n; k++) {
			if (in->n < WORKER_INBOX)
				in->buf[in->n++] = l[k];
			else
				in->lost++;
		}
		atomic_store_explicit(&in->pending, 1, memory_order_release);
		pthread_mutex_unlock(&in->lock);
	}
	pthread_mutex_lock(&w->out.lock);
	m = mailbox_slot(w);
	if (m) {
		m->kind = MSG_LEARN;
		m->n_learned = n < DET_MAX_LEARNED ? n : DET_MAX_LEARNED;
		memcpy(m->learned, l, m->n_learned * sizeof(m->learned[0]));
		w->out.n++;
	}
	pthread_mutex_unlock(&w->out.lock);
	if (m)
		wake(ws->event_fd);
}

static void worker_take_inbox(struct worker *w)
{
	struct det_learned *got;
	uint64_t now = now_monotonic_ms();
	unsigned int n, i;

	pthread_mutex_lock(&w->in.lock);
	got = w->in.buf;
	n = w->in.n;
	w->in.buf = w->spare;
	w->in.n = 0;
	atomic_store_explicit(&w->in.pending, 0, memory_order_relaxed);
	pthread_mutex_unlock(&w->in.lock);
	for (i = 0; i < n; i++)
		engine_add_learned(w->engine, &got[i], now);
	w->spare = got;
}

/* The packet path, as the queue calls it. */
static void worker_on_packet(void *arg, const struct queue_packet *p, struct queue_verdict *v)
{
	struct worker *w = arg;
	struct timeval tv;

	if (atomic_load_explicit(&w->in.pending, memory_order_acquire))
		worker_take_inbox(w);
	gettimeofday(&tv, NULL);
	engine_packet(w->engine, p->data, p->len, p->mark, now_monotonic_ms(), &tv, v);
}

/* Take a new view between batches, never in the middle of one. */
static void worker_take_view(struct worker *w)
{
	struct workers *ws = w->ws;
	struct workers_view v;
	struct queue_cfg qc;
	uint64_t gen, qgen;

	if (atomic_load_explicit(&ws->view_gen_pub, memory_order_acquire) == w->view_gen)
		return;
	pthread_mutex_lock(&ws->view_lock);
	v = ws->view;
	qc = ws->qc;
	gen = ws->view_gen;
	qgen = ws->queue_gen;
	pthread_mutex_unlock(&ws->view_lock);

	engine_reconfigure(w->engine, v.conf, v.lists);
	engine_set_pool_domains(w->engine, v.pool_domains);
	engine_set_allow(w->engine, v.allow, v.allow_names);
	if (qgen != w->queue_gen) {
		qc.num = queue_num(w->q);
		if (queue_configure(w->q, &qc) < 0)
			log_warnx("queue %u: keeping the previous queue settings", qc.num);
		w->queue_gen = qgen;
	}
	pthread_mutex_lock(&ws->view_lock);
	w->view_gen = gen;
	pthread_cond_broadcast(&ws->view_cond);
	pthread_mutex_unlock(&ws->view_lock);
}

static void worker_publish(struct worker *w)
{
	struct queue_stats q;

	queue_get_stats(w->q, &q);
	pthread_mutex_lock(&w->st_lock);
	engine_get_stats(w->engine, &w->est);
	engine_flow_stats(w->engine, &w->fst);
	w->qst.packets = q.packets - w->qbase.packets;
	w->qst.accepted = q.accepted - w->qbase.accepted;
	w->qst.dropped = q.dropped - w->qbase.dropped;
	w->qst.repeated = q.repeated - w->qbase.repeated;
	w->qst.verdict_msgs = q.verdict_msgs - w->qbase.verdict_msgs;
	w->qst.enobufs = q.enobufs - w->qbase.enobufs;
	w->qst.errors = q.errors - w->qbase.errors;
	pthread_mutex_unlock(&w->st_lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd[2] = {
		{ .fd = queue_fd(w->q), .events = POLLIN },
		{ .fd = w->wake_fd, .events = POLLIN },
	};
	sigset_t all;

	/* Signals are the main thread's (signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!atomic_load_explicit(&w->ws->stop, memory_order_acquire)) {
		uint64_t now, junk;

		if (poll(pfd, 2, WORKER_TICK_MS) < 0 && errno != EINTR) {
			log_warn("queue %u: poll", queue_num(w->q));
			break;
		}
		if (pfd[1].revents & POLLIN && read(w->wake_fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
			log_warn("queue %u: eventfd read", queue_num(w->q));
		worker_take_view(w);
		if (queue_process(w->q, worker_on_packet, w) < 0)
			log_warnx_rl(&w->rl, "queue %u: receive failed; packets follow the fail mode",
				     queue_num(w->q));
		now = now_monotonic_ms();
		if (now - w->last_tick_ms >= WORKER_TICK_MS) {
			engine_tick(w->engine, now);
			/* SYNs of flows that send nothing: read them before the
			 * socket fills, and let old ones go. */
			if (w->idx == 0 && w->ws->view.syns)
				synlog_tick(w->ws->view.syns, now);
			w->last_tick_ms = now;
		}
		worker_publish(w);
	}
	/* Whatever the kernel still holds for us gets its verdict before the
	 * socket closes (a closing queue drops what it holds). */
	worker_take_view(w);
	queue_process(w->q, worker_on_packet, w);
	worker_publish(w);
	return NULL;
}

/* ---- main thread side -------------------------------------------------- */

static void deliver(struct workers *ws, struct worker_msg *m)
{
	if (m->kind == MSG_LEARN) {
		if (ws->cb.on_learn)
			ws->cb.on_learn(ws->cb.arg, m->learned, m->n_learned);
		return;
	}
	if (ws->cb.on_event) {
		struct mw_event ev = {
			.type = m->type,
			.ts = m->ts,
			.key = m->has_key ? &m->key : NULL,
			.detector = m->detector,
			.dialect = m->has_dialect ? m->dialect : NULL,
			.detail = m->has_detail ? m->detail : NULL,
			.action = m->action,
			.confirmed = m->confirmed,
			.allowlisted = m->allowlisted,
			.inbound = m->inbound,
			.target = m->has_target ? &m->target : NULL,
			.learned = m->n_learned,
			.learned_addrs = m->n_learned ? m->learned : NULL,
		};

		ws->cb.on_event(ws->cb.arg, &ev);
	}
}

void workers_drain(struct workers *ws)
{
	static struct worker_msg m;	/* one at a time, off the main loop's stack */
	unsigned int i, k;
	uint64_t junk;
	bool more = false;

	if (ws->event_fd < 0)
		return;
	if (read(ws->event_fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		log_warn("workers: eventfd read");
	for (i = 0; i < ws->n; i++) {
		struct mailbox *mb = &ws->w[i].out;

		/* Bounded per call, so timers and the control socket keep their turn. */
		for (k = 0; k < WORKER_MAILBOX; k++) {
			pthread_mutex_lock(&mb->lock);
			if (mb->n == 0) {
				pthread_mutex_unlock(&mb->lock);
				break;
			}
			m = mb->m[mb->head];
			mb->head = (mb->head + 1) % WORKER_MAILBOX;
			mb->n--;
			pthread_mutex_unlock(&mb->lock);
			deliver(ws, &m);
		}
		if (k == WORKER_MAILBOX)
			more = true;
	}
	if (more)
		wake(ws->event_fd);
}

int workers_fd(const struct workers *ws) { return ws->event_fd; }
unsigned int workers_count(const struct workers *ws) { return ws->n; }

static bool all_took(const struct workers *ws, uint64_t gen)
{
	unsigned int i;

	for (i = 0; i < ws->n; i++)
		if (ws->w[i].started && ws->w[i].view_gen < gen)
			return false;
	return true;
}

/* Publish ws->view (already updated under view_lock by the caller) and wait
 * until every worker uses it. */
static int workers_publish(struct workers *ws)
{
	struct timespec deadline;
	uint64_t gen;
	unsigned int i;
	int rc = 0;

	gen = ws->view_gen;
	atomic_store_explicit(&ws->view_gen_pub, gen, memory_order_release);
	pthread_mutex_unlock(&ws->view_lock);
	for (i = 0; i < ws->n; i++)
		wake(ws->w[i].wake_fd);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += WORKER_VIEW_WAIT_S;
	pthread_mutex_lock(&ws->view_lock);
	while (!all_took(ws, gen)) {
		if (pthread_cond_timedwait(&ws->view_cond, &ws->view_lock, &deadline) == ETIMEDOUT) {
			rc = all_took(ws, gen) ? 0 : -1;
			break;
		}
	}
	pthread_mutex_unlock(&ws->view_lock);
	if (rc < 0)
		log_warnx("workers: a queue worker did not take the new configuration within %d s; "
			  "the previous one stays in memory", WORKER_VIEW_WAIT_S);
	return rc;
}

int workers_set_conf(struct workers *ws, const struct mw_conf *conf, const struct pool_lists *lists,
		     const struct queue_cfg *qc)
{
	pthread_mutex_lock(&ws->view_lock);
	ws->view.conf = conf;
	ws->view.lists = lists;
	ws->view_gen++;
	if (qc) {
		ws->qc = *qc;
		ws->queue_gen++;
	}
	return workers_publish(ws);
}

int workers_set_allow(struct workers *ws, const struct ep_table *allow,
		      const struct domain_set *allow_names)
{
	pthread_mutex_lock(&ws->view_lock);
	ws->view.allow = allow;
	ws->view.allow_names = allow_names;
	ws->view_gen++;
	return workers_publish(ws);
}

int workers_set_pool_domains(struct workers *ws, const struct pool_domains *pd)
{
	pthread_mutex_lock(&ws->view_lock);
	ws->view.pool_domains = pd;
	ws->view_gen++;
	return workers_publish(ws);
}

/* Add one worker's counters to st; gauges (what is live now) only when the
 * worker is live. */
static void stats_add(struct workers_stats *st, struct worker *w, bool gauges)
{
	unsigned int k;

	pthread_mutex_lock(&w->st_lock);
	st->engine.packets += w->est.packets;
	st->engine.malformed += w->est.malformed;
	st->engine.untracked += w->est.untracked;
	st->engine.held += w->est.held;
	st->engine.flows_clean += w->est.flows_clean;
	st->engine.flows_blocked += w->est.flows_blocked;
	st->engine.detections += w->est.detections;
	for (k = 0; k < sizeof(st->engine.detections_by) / sizeof(st->engine.detections_by[0]); k++)
		st->engine.detections_by[k] += w->est.detections_by[k];
	st->engine.learned += w->est.learned;
	st->engine.relays += w->est.relays;
	st->engine.tunnels += w->est.tunnels;
	st->engine.verdict_loops += w->est.verdict_loops;
	st->engine.syn_found += w->est.syn_found;
	st->engine.syn_missing += w->est.syn_missing;
	st->engine.syn_restarted += w->est.syn_restarted;
	if (gauges) {
		st->flows.active += w->fst.active;
		st->flows.buffers_in_use += w->fst.buffers_in_use;
		st->flows.memory_bytes += w->fst.memory_bytes;
	}
	st->flows.created += w->fst.created;
	st->flows.evicted += w->fst.evicted;
	st->flows.expired += w->fst.expired;
	st->flows.no_buffer += w->fst.no_buffer;
	st->queue.packets += w->qst.packets;
	st->queue.accepted += w->qst.accepted;
	st->queue.dropped += w->qst.dropped;
	st->queue.repeated += w->qst.repeated;
	st->queue.verdict_msgs += w->qst.verdict_msgs;
	st->queue.enobufs += w->qst.enobufs;
	st->queue.errors += w->qst.errors;
	pthread_mutex_unlock(&w->st_lock);
	pthread_mutex_lock(&w->out.lock);
	st->mailbox_lost += w->out.lost;
	pthread_mutex_unlock(&w->out.lock);
	pthread_mutex_lock(&w->in.lock);
	st->mailbox_lost += w->in.lost;
	pthread_mutex_unlock(&w->in.lock);
}

void workers_get_stats(struct workers *ws, const struct workers_stats *retired,
		       struct workers_stats *st)
{
	unsigned int i;

	if (retired)
		*st = *retired;
	else
		memset(st, 0, sizeof(*st));
	for (i = 0; ws && i < ws->n; i++)
		stats_add(st, &ws->w[i], true);
	memset(&st->syns, 0, sizeof(st->syns));
	if (ws && ws->view.syns)
		synlog_get_stats(ws->view.syns, &st->syns);
}

static void worker_free(struct worker *w)
{
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	engine_free(w->engine);
	queue_close(w->q);
	free(w->out.m);
	free(w->in.buf);
	free(w->spare);
	pthread_mutex_destroy(&w->out.lock);
	pthread_mutex_destroy(&w->in.lock);
	pthread_mutex_destroy(&w->st_lock);
}

void workers_stop(struct workers *ws, struct queue **keep, struct workers_stats *retired)
{
	unsigned int i;

	if (!ws)
		return;
	atomic_store_explicit(&ws->stop, true, memory_order_release);
	for (i = 0; i < ws->n; i++) {
		if (!ws->w[i].started)
			continue;
		wake(ws->w[i].wake_fd);
		pthread_join(ws->w[i].thread, NULL);
		ws->w[i].started = false;
	}
	/* What they found last is still logged and enforced. */
	workers_drain(ws);
	/* Their final counts live on in the sums of the workers that follow. */
	for (i = 0; retired && i < ws->n; i++)
		stats_add(retired, &ws->w[i], false);
	if (keep) {
		for (i = 0; i < ws->n; i++) {
			keep[i] = ws->w[i].q;
			ws->w[i].q = NULL;
		}
	}
	/* Free the engines that borrow worker 0's relay tracker first. */
	for (i = ws->n; i-- > 0;)
		worker_free(&ws->w[i]);
	if (ws->event_fd >= 0)
		close(ws->event_fd);
	pthread_mutex_destroy(&ws->view_lock);
	pthread_cond_destroy(&ws->view_cond);
	free(ws->w);
	free(ws);
}

static int worker_init(struct workers *ws, unsigned int i, struct queue *q)
{
	struct worker *w = &ws->w[i];
	const struct workers_view *v = &ws->view;

	w->ws = ws;
	w->idx = i;
	w->q = q;
	/* A queue kept across a reload brings the old workers' counts, which
	 * are already in retired. */
	queue_get_stats(q, &w->qbase);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&w->out.lock, NULL);
	pthread_mutex_init(&w->in.lock, NULL);
	pthread_mutex_init(&w->st_lock, NULL);
	w->out.m = calloc(WORKER_MAILBOX, sizeof(*w->out.m));
	w->in.buf = calloc(WORKER_INBOX, sizeof(*w->in.buf));
	w->spare = calloc(WORKER_INBOX, sizeof(*w->spare));
	w->engine = engine_new_part(v->conf, v->lists, ws->n, worker_on_event, w);
	if (w->wake_fd < 0 || !w->out.m || !w->in.buf || !w->spare || !w->engine)
		return -1;
	engine_set_learn_cb(w->engine, worker_on_learn, w);
	engine_set_synlog(w->engine, v->syns);
	engine_set_pool_domains(w->engine, v->pool_domains);
	engine_set_allow(w->engine, v->allow, v->allow_names);
	if (i > 0)
		engine_share_relays(w->engine, ws->w[0].engine);
	w->last_tick_ms = now_monotonic_ms();
	return 0;
}

struct workers *workers_start(struct queue **queues, unsigned int n, const struct workers_view *v,
			      const struct workers_cb *cb)
{
	struct workers *ws = calloc(1, sizeof(*ws));
	unsigned int i;
	int err;

	if (!ws)
		goto fail_queues;
	ws->w = calloc(n, sizeof(*ws->w));
	if (!ws->w) {
		free(ws);
		goto fail_queues;
	}
	ws->n = n;
	ws->cb = *cb;
	ws->view = *v;
	pthread_mutex_init(&ws->view_lock, NULL);
	pthread_cond_init(&ws->view_cond, NULL);
	ws->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	for (i = 0; i < n; i++)
		ws->w[i].wake_fd = -1;
	if (ws->event_fd < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (worker_init(ws, i, queues[i]) < 0) {
			log_warnx("queue %u: cannot set up its worker (out of memory?)", queue_num(queues[i]));
			/* The queues after this one are not owned by a worker yet. */
			while (++i < n)
				ws->w[i].q = queues[i];
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		err = pthread_create(&ws->w[i].thread, NULL, worker_main, &ws->w[i]);
		if (err) {
			log_warnx("queue %u: cannot start its worker thread: %s", queue_num(queues[i]), strerror(err));
			goto fail;
		}
		ws->w[i].started = true;
		/* top -H and ps -L show which queue a busy thread serves. */
		{
			char name[16];

			snprintf(name, sizeof(name), "mw-queue-%u", queue_num(queues[i]));
			pthread_setname_np(ws->w[i].thread, name);
		}
	}
	return ws;
fail:
	workers_stop(ws, NULL, NULL);
	return NULL;
fail_queues:
	for (i = 0; i < n; i++)
		queue_close(queues[i]);
	return NULL;
}
