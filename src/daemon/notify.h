/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications out of the gateway: receivers (webhook, exec) and the delivery
 * engine, one thread that runs every attempt, its timeout and its retries, so
 * that neither the main loop nor a queue worker ever waits for a receiver.
 * The main thread only queues (a bounded queue per receiver) and reads counters. */
#ifndef MW_NOTIFY_H
#define MW_NOTIFY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "log.h"

/* A document is at most this long: the event, the host and its recent detections. */
#define NOTIFY_DOC_MAX		16384
#define NOTIFY_ID_MAX		48
/* A failure as the log and minewallctl show it: "outcome: reason". */
#define NOTIFY_ERROR_MAX	224

enum notify_outcome {
	NOTIFY_DELIVERED = 0,	/* an attempt got a 2xx answer, or the command exited 0 */
	NOTIFY_REJECTED,	/* an attempt got another status, or the command failed */
	NOTIFY_TIMEOUT,		/* an attempt outlived the timeout (a command is killed) */
	NOTIFY_ERROR,		/* an attempt got no answer (connect, TLS), or no command ran */
	NOTIFY_GAVE_UP,		/* a delivery whose every attempt failed */
	NOTIFY_DROPPED,		/* a delivery never tried: queue full, receiver gone, exit */
	NOTIFY_COALESCED,	/* a detection inside its host's coalesce window: not sent */
	NOTIFY_OUTCOMES
};
const char *notify_outcome_name(enum notify_outcome o);

/* One receiver's counters, by name for the engine's whole life: a reload that
 * keeps the name keeps them. Both threads update them. */
struct notify_counters {
	char name[64];
	_Atomic uint64_t n[NOTIFY_OUTCOMES];
	_Atomic unsigned int queued;	/* deliveries accepted and not yet finished */
	_Atomic unsigned int running;	/* attempts in flight (delivery thread) */
	char last_error[NOTIFY_ERROR_MAX];	/* under the engine's lock */
	time_t last_error_time;
	/* The delivery thread's: failed attempts and lost deliveries are logged
	 * under limits of their own per receiver, so that neither a storm of
	 * retries nor a noisy receiver hides what another lost. */
	struct log_ratelimit rl_attempt, rl_gave_up;
	struct notify_counters *next;
};

/* One receiver's settings. Immutable once notify_configure has given it its
 * counters; shared by reference between the main and the delivery thread. */
struct notify_rcv {
	_Atomic unsigned int refs;
	char name[64];
	int type;			/* enum conf_notify_type */
	bool events[CONF_NEV_COUNT];
	int min_tier;
	char *url;			/* webhook */
	uint8_t *key;			/* webhook: HMAC-SHA256 secret, or NULL */
	size_t key_len;
	char **argv;			/* exec: NULL-terminated */
	uint32_t timeout_s, retries, backoff_s, backoff_max_s, concurrency, queue_max, coalesce_s;
	struct notify_counters *cnt;
};

/* From a validated config record; the secret file is read (and checked
 * again: a regular file of the daemon's uid, mode 0600, 16..4096 bytes of
 * which trailing white space is not part of the key). NULL with err set. */
struct notify_rcv *notify_rcv_new(const struct conf_notify *c, char *err, size_t errsize);
struct notify_rcv *notify_rcv_ref(struct notify_rcv *r);
void notify_rcv_unref(struct notify_rcv *r);

struct notify;

/* Start the delivery thread (after the capability drop: it and the commands
 * it runs inherit the reduced set). NULL on error (logged). */
struct notify *notify_new(void);
/* Stop: no new attempt starts; those in flight get up to grace_ms, then
 * transfers are cut and commands killed. Queued deliveries are dropped (counted
 * and logged). */
void notify_free(struct notify *n, unsigned int grace_ms);
/* The receivers from now on; each gets the counters of its name. A queued
 * delivery is sent with the settings of the receiver of its name when its turn
 * comes, or dropped if there is none any more. 0 or -1 (out of memory). */
int notify_configure(struct notify *n, struct notify_rcv *const *rcv, unsigned int count);
/* Queue one delivery of doc (copied) to r, which notify_configure gave its
 * counters. Never blocks: past r->queue_max waiting deliveries it is dropped
 * and counted. event names it in a header (X-Minewall-Event) or the
 * environment (MINEWALL_EVENT). 0, or -1 when dropped. */
int notify_submit(struct notify *n, struct notify_rcv *r, const char *event, const char *id,
		  const char *doc, size_t len);
/* The last failure of the receiver named, as "reason" (empty when none), and when. */
void notify_last_error(struct notify *n, const char *name, char *buf, size_t size, time_t *when);

#endif
