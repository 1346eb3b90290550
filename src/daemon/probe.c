// SPDX-License-Identifier: GPL-2.0-or-later
/* The prober on the main thread: suspects in, policy, rate and cache, probe threads, results out. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <sys/time.h>

#include "clock.h"
#include "ctl_cmds.h"
#include "daemon_enforce.h"
#include "daemon_enforce_int.h"
#include "ep_table.h"
#include "eventlog.h"
#include "evloop.h"
#include "feed_sub.h"
#include "log.h"
#include "probe.h"
#include "ruleset.h"

#define PROBE_CACHE 1024	/* endpoints remembered with their result */
#define PROBE_QUEUE 64		/* probes waiting for a thread */
#define PROBE_RECENT 64		/* results kept for minewallctl probes */
#define PROBE_HOSTS 8		/* suspect flows remembered per endpoint */
#define PROBE_THREADS_MAX 64

/* Never probed: this host, private and special-purpose ranges. The
 * documentation ranges the lab uses are public for this purpose. */
static const char *const internal_ranges[] = {
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
	"::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "fc00::/7", "fe80::/10", "ff00::/8",
};

/* WAITING: over probe.rate, started by probe_tick as the rate allows. */
enum ep_state { EP_FREE = 0, EP_WAITING, EP_PENDING, EP_DONE };

struct probe_ep {
	enum ep_state state;
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint64_t expires_ms;		/* monotonic: the result is in force until then */
	enum probe_outcome outcome;
	unsigned int n_hosts, suspects;
	struct flow_key hosts[PROBE_HOSTS];	/* suspect flows, addr[0] the internal host */
	char seen[80];			/* what the first suspect showed */
	struct probe_job result;	/* the last probe's outcome */
};

struct prober {
	struct daemon *d;
	/* Shared with the threads, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct probe_job *queue[PROBE_QUEUE];
	unsigned int q_head, q_n;
	struct probe_job *done[PROBE_QUEUE + PROBE_THREADS_MAX];
	unsigned int done_n;
	volatile bool stop;
	pthread_t th[PROBE_THREADS_MAX];
	unsigned int n_th;
	int efd;
	void *ssl_ctx;
	/* Main thread only. */
	unsigned int running;		/* probes queued or running */
	unsigned int waiting;		/* endpoints waiting for the rate */
	struct probe_ep cache[PROBE_CACHE];
	struct probe_record recent[PROBE_RECENT];
	unsigned int recent_head, recent_n;
	double tokens;
	uint64_t tokens_ms;
	struct ep_table *internal, *only, *own;
	struct probe_stats st;
	struct log_ratelimit rl;
};

static void *probe_thread(void *arg)
{
	struct prober *p = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct probe_job *j;

		while (!p->stop && p->q_n == 0)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->stop)
			break;
		j = p->queue[p->q_head];
		p->q_head = (p->q_head + 1) % PROBE_QUEUE;
		p->q_n--;
		pthread_mutex_unlock(&p->lock);
		probe_net_run(j);
		pthread_mutex_lock(&p->lock);
		p->done[p->done_n++] = j;
		if (write(p->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("probe: cannot wake the main thread");
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static struct probe_ep *cache_find(struct prober *p, uint8_t family, const uint8_t *addr, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < PROBE_CACHE; i++) {
		struct probe_ep *e = &p->cache[i];

		if (e->state != EP_FREE && e->family == family && e->port == port &&
		    memcmp(e->addr, addr, 16) == 0)
			return e;
	}
	return NULL;
}

/* A free slot, else the result that ends first. */
static struct probe_ep *cache_take(struct prober *p)
{
	struct probe_ep *best = NULL;
	unsigned int i;

	for (i = 0; i < PROBE_CACHE; i++) {
		struct probe_ep *e = &p->cache[i];

		if (e->state == EP_FREE)
			return e;
		if (e->state == EP_DONE && (!best || e->expires_ms < best->expires_ms))
			best = e;
	}
	return best;
}

static void recent_push(struct prober *p, const struct probe_job *j, unsigned int suspects,
			const char *reason)
{
	struct probe_record *r = &p->recent[(p->recent_head + p->recent_n) % PROBE_RECENT];

	if (p->recent_n == PROBE_RECENT)
		p->recent_head = (p->recent_head + 1) % PROBE_RECENT;
	else
		p->recent_n++;
	r->wall_ms = now_wall_ms();
	r->job = *j;
	r->job.ssl_ctx = NULL;
	r->suspects = suspects;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
}

void probe_recent_foreach(const struct prober *p, int (*cb)(const struct probe_record *r, void *arg),
			  void *arg)
{
	unsigned int i;

	for (i = 0; i < p->recent_n; i++)
		if (cb(&p->recent[(p->recent_head + i) % PROBE_RECENT], arg))
			return;
}

static void table_load(struct ep_table *t, char *const *items, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ep_entry e;
		char err[64];

		if (ep_parse(items[i], &e, err, sizeof(err)) == 0)
			ep_table_add(t, &e);
		else
			log_warnx("probe: \"%s\" is not an address or prefix; ignored", items[i]);
	}
}

/* probe.only and the gateway's own addresses and resolvers, from the running config. */
static void policy_load(struct prober *p)
{
	const struct mw_conf *c = p->d->conf;
	struct ep_entry *own = NULL;
	size_t n = 0, i;

	ep_table_free(p->only);
	ep_table_free(p->own);
	p->only = ep_table_new();
	p->own = ep_table_new();
	if (p->only)
		table_load(p->only, c->probe_only, c->n_probe_only);
	if (p->own && feed_protect_gather(NULL, NULL, 0, &own, &n) == 0) {
		for (i = 0; i < n; i++)
			ep_table_add(p->own, &own[i]);
		free(own);
	}
}

/* Why this endpoint must not be probed, or NULL. */
static const char *policy_refuses(const struct prober *p, uint8_t family, const uint8_t *addr)
{
	const struct daemon_enforce *de = p->d->enf;

	if (de && daemon_enforce_allowlisted(de, family, addr))
		return "allowlisted";
	if (ep_table_lookup(p->internal, family, addr, 0, 0))
		return "internal range";
	if (p->own && ep_table_lookup(p->own, family, addr, 0, 0))
		return "protected (own address or resolver)";
	if (p->only && ep_table_count(p->only) && !ep_table_lookup(p->only, family, addr, 0, 0))
		return "outside probe.only";
	return NULL;
}

/* probe.rate per minute, with a burst of a tenth of it (at least one). */
static bool rate_take(struct prober *p)
{
	uint64_t now = now_monotonic_ms();
	double rate = p->d->conf->probe_rate / 60000.0, burst = p->d->conf->probe_rate / 10.0;

	if (burst < 1)
		burst = 1;
	p->tokens += (double)(now - p->tokens_ms) * rate;
	p->tokens_ms = now;
	if (p->tokens > burst)
		p->tokens = burst;
	if (p->tokens < 1)
		return false;
	p->tokens -= 1;
	return true;
}

static void job_fill(const struct prober *p, struct probe_job *j, const struct probe_ep *e)
{
	const struct mw_conf *c = p->d->conf;

	memset(j, 0, sizeof(*j));
	j->family = e->family;
	memcpy(j->addr, e->addr, 16);
	j->port = e->port;
	j->timeout_ms = c->probe_timeout * 1000u;
	j->mark = ruleset_mark(c->mark_mask, MW_MARK_CLEAN);
	j->ssl_ctx = p->ssl_ctx;
	j->stop = &p->stop;
	if (c->probe_interface)
		snprintf(j->ifname, sizeof(j->ifname), "%s", c->probe_interface);
	if (c->probe_source) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&j->src;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&j->src;

		if (e->family == AF_INET && inet_pton(AF_INET, c->probe_source, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			j->src_len = sizeof(*sin);
		} else if (e->family == AF_INET6 &&
			   inet_pton(AF_INET6, c->probe_source, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			j->src_len = sizeof(*sin6);
		}
	}
}

static void ep_add_host(struct probe_ep *e, const struct mw_event *ev)
{
	unsigned int i;

	e->suspects++;
	for (i = 0; i < e->n_hosts; i++)
		if (e->hosts[i].family == ev->key->family &&
		    memcmp(e->hosts[i].addr[0], ev->key->addr[0], 16) == 0)
			return;
	if (e->n_hosts < PROBE_HOSTS)
		e->hosts[e->n_hosts++] = *ev->key;
}

/* A confirmed pool: each suspect host's flow becomes a detection (detector
 * "probe"): the endpoint into the detect sets, the host's escalation. */
static void confirm_hosts(struct prober *p, const struct probe_ep *e)
{
	struct daemon *d = p->d;
	char detail[300];
	unsigned int i;

	snprintf(detail, sizeof(detail), "seen: %s; probe: %s %s answered %s", e->seen,
		 e->result.tls ? "tls" : "plain", probe_dialect_name(e->result.dialect), e->result.got);
	for (i = 0; i < e->n_hosts; i++) {
		struct mw_event ev = {
			.type = EVENT_MINING,
			.key = &e->hosts[i],
			.detector = "probe",
			.dialect = probe_dialect_name(e->result.dialect),
			.detail = detail,
			.action = d->conf->action[CONF_DET_PROBE],
			.confirmed = true,
		};

		gettimeofday(&ev.ts, NULL);
		/* As on_event: the detection first, then what it causes. */
		eventlog_write(d->events, &ev);
		ctl_cmds_event(d->cmds, &ev);
		if (!d->stopping)
			daemon_enforce_event(d, &ev);
	}
}

static void submit(struct prober *p, struct probe_ep *e)
{
	struct probe_job *j = malloc(sizeof(*j));

	if (!j) {
		e->state = EP_FREE;
		return;
	}
	job_fill(p, j, e);
	pthread_mutex_lock(&p->lock);
	p->queue[(p->q_head + p->q_n) % PROBE_QUEUE] = j;
	p->q_n++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	p->running++;
}

void probe_suspect(struct daemon *d, const struct mw_event *ev)
{
	struct prober *p = d->probe;
	const struct flow_key *k = ev->key;
	struct probe_ep *e;
	struct probe_job refused;
	const char *why;

	if (!p || !d->conf->probe_enabled || !k || ev->inbound)
		return;
	p->st.suspects++;
	e = cache_find(p, k->family, k->addr[1], k->port[1]);
	if (e && e->state == EP_DONE && e->expires_ms <= now_monotonic_ms())
		e->state = EP_FREE;
	else if (e && (e->state == EP_PENDING || e->state == EP_WAITING)) {
		ep_add_host(e, ev);
		return;
	} else if (e) {
		/* A result in force: a pool's new suspect is one more detection. */
		if (e->outcome == PROBE_CONFIRMED) {
			struct probe_ep one = *e;

			one.n_hosts = 0;
			ep_add_host(&one, ev);
			confirm_hosts(p, &one);
		}
		return;
	}
	memset(&refused, 0, sizeof(refused));
	refused.family = k->family;
	memcpy(refused.addr, k->addr[1], 16);
	refused.port = k->port[1];
	why = ev->allowlisted ? "allowlisted" : policy_refuses(p, k->family, k->addr[1]);
	if (why) {
		refused.outcome = PROBE_SKIPPED;
	} else if (p->running + p->waiting >= PROBE_QUEUE) {
		refused.outcome = PROBE_LIMITED;
		why = "queue full";
	}
	if (why) {
		char addr[64];

		p->st.outcomes[refused.outcome]++;
		recent_push(p, &refused, 1, why);
		if (!inet_ntop(k->family, k->addr[1], addr, sizeof(addr)))
			snprintf(addr, sizeof(addr), "?");
		if (refused.outcome == PROBE_LIMITED)
			log_warnx_rl(&p->rl, "probe: suspect server %s port %u not probed: %s", addr,
				     k->port[1], why);
		else
			log_info("probe: suspect server %s port %u not probed: %s", addr, k->port[1], why);
		return;
	}
	e = cache_take(p);
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	e->state = EP_PENDING;
	e->family = k->family;
	memcpy(e->addr, k->addr[1], 16);
	e->port = k->port[1];
	snprintf(e->seen, sizeof(e->seen), "%s", ev->detail ? ev->detail : "");
	ep_add_host(e, ev);
	if (rate_take(p)) {
		submit(p, e);
	} else {
		/* Over the rate: waits its turn (probe_tick), oldest first. */
		e->state = EP_WAITING;
		e->expires_ms = now_monotonic_ms();
		p->waiting++;
	}
}

void probe_tick(struct daemon *d)
{
	struct prober *p = d->probe;

	while (p && p->waiting && d->conf->probe_enabled) {
		struct probe_ep *oldest = NULL;
		unsigned int i;

		for (i = 0; i < PROBE_CACHE; i++)
			if (p->cache[i].state == EP_WAITING &&
			    (!oldest || p->cache[i].expires_ms < oldest->expires_ms))
				oldest = &p->cache[i];
		if (!oldest) {
			p->waiting = 0;
			break;
		}
		if (!rate_take(p))
			break;
		oldest->state = EP_PENDING;
		p->waiting--;
		submit(p, oldest);
	}
}

static void finish(struct prober *p, struct probe_job *j)
{
	const struct mw_conf *c = p->d->conf;
	struct probe_ep *e = cache_find(p, j->family, j->addr, j->port);
	char addr[64];

	p->running--;
	p->st.outcomes[j->outcome]++;
	inet_ntop(j->family, j->addr, addr, sizeof(addr));
	log_info("probe: %s%s%s:%u %s after %ums, %u connections (%s%s%s: %s)",
		 j->family == AF_INET6 ? "[" : "", addr, j->family == AF_INET6 ? "]" : "", j->port,
		 probe_outcome_name(j->outcome), j->elapsed_ms, j->connections,
		 j->tls ? "tls" : "plain", j->got[0] ? " " : "", j->got[0] ?
		 probe_dialect_name(j->dialect) : "", j->got[0] ? j->got : "-");
	if (!e || e->state != EP_PENDING) {
		recent_push(p, j, 0, NULL);
		return;
	}
	e->state = EP_DONE;
	e->outcome = j->outcome;
	e->result = *j;
	e->expires_ms = now_monotonic_ms() + 1000ull *
			(j->outcome == PROBE_CONFIRMED ? c->probe_ttl_positive : c->probe_ttl_negative);
	recent_push(p, j, e->suspects, NULL);
	if (j->outcome == PROBE_CONFIRMED)
		confirm_hosts(p, e);
}

static void on_results(struct evloop *loop, int fd, void *arg)
{
	struct prober *p = arg;
	struct probe_job *got[PROBE_QUEUE + PROBE_THREADS_MAX];
	unsigned int n, i;
	uint64_t junk;

	if (read(fd, &junk, sizeof(junk)) < 0 && errno != EAGAIN)
		log_warn("probe: eventfd");
	pthread_mutex_lock(&p->lock);
	n = p->done_n;
	memcpy(got, p->done, n * sizeof(got[0]));
	p->done_n = 0;
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < n; i++) {
		finish(p, got[i]);
		free(got[i]);
	}
}

static void prober_free(struct prober *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_th; i++)
		pthread_join(p->th[i], NULL);
	for (i = 0; i < p->q_n; i++)
		free(p->queue[(p->q_head + i) % PROBE_QUEUE]);
	for (i = 0; i < p->done_n; i++)
		free(p->done[i]);
	if (p->efd >= 0) {
		evloop_del(p->d->loop, p->efd);
		close(p->efd);
	}
	probe_net_ctx_free(p->ssl_ctx);
	ep_table_free(p->internal);
	ep_table_free(p->only);
	ep_table_free(p->own);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

int probe_start(struct daemon *d)
{
	const struct mw_conf *c = d->conf;
	struct prober *p;
	unsigned int i;

	if (!c->probe_enabled)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -1;
	p->d = d;
	p->efd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->internal = ep_table_new();
	p->ssl_ctx = probe_net_ctx_new();
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!p->internal || !p->ssl_ctx || p->efd < 0 ||
	    evloop_add(d->loop, p->efd, on_results, p) < 0) {
		log_warnx("probe: cannot start (no memory, TLS context or eventfd)");
		goto err;
	}
	table_load(p->internal, (char *const *)internal_ranges,
		   sizeof(internal_ranges) / sizeof(internal_ranges[0]));
	policy_load(p);
	p->tokens_ms = now_monotonic_ms();
	p->tokens = c->probe_rate / 10.0 < 1 ? 1 : c->probe_rate / 10.0;
	for (i = 0; i < c->probe_concurrent && i < PROBE_THREADS_MAX; i++) {
		if (pthread_create(&p->th[i], NULL, probe_thread, p) != 0) {
			log_warnx("probe: cannot start thread %u", i);
			break;
		}
		p->n_th++;
	}
	if (!p->n_th)
		goto err;
	d->probe = p;
	probe_ctl_register(d, p);
	log_info("probe: suspect TLS servers are probed (%u at once, %u per minute, %us each)%s%s",
		 p->n_th, c->probe_rate, c->probe_timeout, c->probe_source ? ", from " : "",
		 c->probe_source ? c->probe_source : "");
	return 0;
err:
	prober_free(p);
	return -1;
}

void probe_reload(struct daemon *d)
{
	if (!d->probe) {
		probe_start(d);
		return;
	}
	policy_load(d->probe);
}

void probe_stop(struct daemon *d)
{
	prober_free(d->probe);
	d->probe = NULL;
}

void probe_get_stats(const struct daemon *d, struct probe_stats *st)
{
	const struct prober *p = d->probe;
	uint64_t now = now_monotonic_ms();
	unsigned int i;

	memset(st, 0, sizeof(*st));
	if (!p)
		return;
	*st = p->st;
	st->running = p->running + p->waiting;
	for (i = 0; i < PROBE_CACHE; i++)
		if (p->cache[i].state == EP_DONE && p->cache[i].expires_ms > now)
			st->cached++;
}
