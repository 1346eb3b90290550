/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One probe of one suspect endpoint, run on a prober thread: TLS (no
 * certificate check) and then plain text, every mining dialect in turn,
 * within one deadline. Blocking, with every wait bounded. */
#ifndef MW_PROBE_NET_H
#define MW_PROBE_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "probe_reply.h"

enum probe_outcome {
	PROBE_CONFIRMED = 0,	/* a dialect's answer in a mining protocol's shape */
	PROBE_NEGATIVE,		/* answers (or silence), none a pool's */
	PROBE_UNREACHABLE,	/* no connection */
	PROBE_SKIPPED,		/* not probed: allowlisted, protected, internal, outside probe.only */
	PROBE_LIMITED,		/* not probed: over probe.rate or the queue full */
	PROBE_N_OUTCOMES
};

/* "confirmed", "negative", "unreachable", "skipped", "limited". */
const char *probe_outcome_name(enum probe_outcome o);

struct probe_job {
	/* What to probe and how. */
	uint8_t family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t timeout_ms;		/* the whole probe */
	uint32_t mark;			/* SO_MARK: the ruleset lets it out uninspected */
	struct sockaddr_storage src;	/* bound source address when src_len */
	socklen_t src_len;
	char ifname[IFNAMSIZ];		/* SO_BINDTODEVICE when not empty */
	void *ssl_ctx;			/* the prober's SSL_CTX, shared */
	const volatile bool *stop;	/* the daemon is stopping: end early */
	/* What came of it. */
	enum probe_outcome outcome;
	enum probe_dialect dialect;	/* the one that confirmed (or answered last) */
	bool answered;			/* some dialect got an answer (else silence) */
	bool tls;			/* that answer came over TLS */
	char got[128];			/* what the server answered, in words */
	uint32_t elapsed_ms;
	unsigned int connections;	/* connections opened */
};

/* A client SSL_CTX that checks no certificate (pools use self-signed ones);
 * NULL on failure. Free with probe_net_ctx_free. */
void *probe_net_ctx_new(void);
void probe_net_ctx_free(void *ctx);

/* Run the probe: fills the outcome fields of j. */
void probe_net_run(struct probe_job *j);

#endif
