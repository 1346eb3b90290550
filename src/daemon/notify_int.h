/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the delivery engine's files only: notify.c (queue, thread,
 * retries), notify_webhook.c (HTTP POST with libcurl) and notify_exec.c (a
 * command with the document on its stdin). Everything here belongs to the
 * delivery thread. */
#ifndef MW_NOTIFY_INT_H
#define MW_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <curl/curl.h>

#include "notify.h"

#define NOTIFY_WHY_MAX		160

/* One delivery: a document for one receiver, attempted until it is delivered
 * or its retries run out. */
struct notify_job {
	struct notify_job *next;
	char name[64];			/* the receiver's, resolved again before each attempt */
	struct notify_rcv *rcv;		/* settings of the attempt in flight, or NULL */
	struct notify_counters *cnt;
	char event[24];
	char id[NOTIFY_ID_MAX];
	char *doc;
	size_t len;
	unsigned int attempts;		/* started so far */
	uint64_t due_ms;		/* monotonic: the next attempt not before */
	bool running;
	/* webhook attempt */
	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	/* exec attempt */
	pid_t pid;
	int pidfd;			/* readable when the command exited; -1: poll */
	int outfd;			/* the command's stdout and stderr */
	char out[NOTIFY_WHY_MAX];	/* their first bytes, for the log */
	size_t out_len;
	uint64_t deadline_ms;
	bool killed;
};

/* notify_webhook.c: add the POST of j->doc to multi. 0, or -1 with why. */
int notify_webhook_start(CURLM *multi, struct notify_job *j, char *why, size_t size);
/* The transfer is done with rc: its outcome (why says more when not delivered). */
enum notify_outcome notify_webhook_finish(CURLM *multi, struct notify_job *j, CURLcode rc,
					  char *why, size_t size);
/* Cut a transfer in flight. */
void notify_webhook_abort(CURLM *multi, struct notify_job *j);
/* The signature header's value for body under key: "sha256=" and 64 hex digits. */
void notify_webhook_sign(const uint8_t *key, size_t key_len, const char *body, size_t len,
			 char out[72]);

/* notify_exec.c: start the command with j->doc on its stdin. 0, or -1 with why. */
int notify_exec_start(struct notify_job *j, char *why, size_t size);
/* Read its output, reap it, kill it past its deadline. true when it is gone,
 * with *o and why set. */
bool notify_exec_poll(struct notify_job *j, uint64_t now_ms, enum notify_outcome *o, char *why,
		      size_t size);
/* Kill it and reap it (the daemon is stopping). */
void notify_exec_abort(struct notify_job *j);

#endif
