/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The detector interface and registry: a detector sees one flow's first bytes
 * and says "not me", "need more bytes" or "this is mining". */
#ifndef MW_DETECT_H
#define MW_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow.h"

struct domain_set;
struct ep_table;

enum det_result {
	DET_NO = 0,	/* not this protocol (or clean): do not ask again for this flow */
	DET_MORE,	/* undecided: call again when more bytes arrive */
	DET_MATCH,	/* mining: the finding is filled in */
};

#define DET_P_TCP 0x1
#define DET_P_UDP 0x2

#define DET_MAX_LEARNED 16

/* An address a detector learned (e.g. from a DNS answer for a pool domain). */
struct det_learned {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl;		/* seconds, as in the answer */
};

/* An endpoint: a tunnel's target given as an address. family 0: none. */
struct det_addr {
	uint8_t family;		/* AF_INET, AF_INET6, or 0 */
	uint16_t port;
	uint8_t addr[16];
};

struct det_finding {
	char dialect[32];	/* e.g. "bitcoin", "ethproxy", "ethereumstratum", "cryptonote", "" if none */
	char detail[160];	/* evidence in words: method, SNI, domain, target */
	char name[254];		/* the domain it concerns (SNI, DNS name, CONNECT host), or "" */
	bool confirmed;		/* the server's reply confirmed it */
	struct det_addr target;	/* relay: the tunnel's target when it is an address */
	bool suspect;		/* not mining yet: a flow worth probing its server for
				 * (reported as a "suspect" event, never blocked unless
				 * the admin sets the detector's action) */
	unsigned int n_learned;
	struct det_learned learned[DET_MAX_LEARNED];
};

/* What a detector sees: both directions' reassembled prefixes, from the start
 * of the stream (or from the first packet seen when midstream), plus the packet
 * that just arrived. For UDP each datagram is seen alone in pkt_data.
 * Inside a proxy tunnel (tunnel.h) the streams start where the tunnel's bytes
 * do and key->addr[1]/port[1] is the tunnel's target, as if the client had
 * dialled it; key->family is 0 when the target was given by name. */
struct det_stream {
	const struct flow_key *key;	/* key->addr[0]/port[0] is the client */
	enum flow_dir dir;		/* direction of the packet that just arrived */
	const uint8_t *data[2];		/* FLOW_ORIG, FLOW_REPLY */
	size_t len[2];
	bool full[2];			/* that direction's buffer is at its cap */
	const uint8_t *pkt_data;	/* payload of this packet */
	size_t pkt_len;
	bool midstream;			/* stream start not seen */
};

/* Read-only tables the detectors consult; owned by the engine, swapped on reload. */
struct det_env {
	const struct domain_set *pool_domains;	/* known pool domains */
	const struct ep_table *pool_endpoints;	/* known pool addresses, CIDRs, ip:port */
	const struct ep_table *learned;		/* addresses learned at run time (DNS answers), or NULL */
	uint64_t now_ms;			/* clock of the packet being judged, for expiring entries */
	const uint8_t *pool_ports;		/* bitmap of 65536 bits: known stratum ports, or NULL */
};

struct detector {
	const char *name;	/* "stratum", "getwork", "sv2", "tls-sni", "dns", "endpoint", "relay" */
	unsigned int protos;	/* DET_P_TCP | DET_P_UDP */
	bool whole_flow;	/* keeps watching past the flow's inspection budget
				 * (DNS: every transaction of a resolver flow) */
	bool session;		/* a match means client and server speak a mining
				 * protocol to each other (relay correlation) */
	bool teaches;		/* its findings can carry learned pool addresses */
	int (*init)(void);	/* may be NULL */
	enum det_result (*inspect)(const struct det_env *env, const struct det_stream *s,
				   struct det_finding *out);
	void (*fini)(void);	/* may be NULL */
};

static inline bool det_port_listed(const struct det_env *env, uint16_t port)
{
	return env->pool_ports && (env->pool_ports[port >> 3] & (1u << (port & 7)));
}

/* Registry (detect.c): every detector, in the order they are asked. */
extern const struct detector *const detectors[];
extern const unsigned int n_detectors;
int detect_init(void);
void detect_fini(void);
/* Index of a detector by name, or -1. */
int detect_index(const char *name);

enum detect_outcome {
	DETECT_PENDING = 0,	/* some detector still wants more bytes */
	DETECT_CLEAN,		/* every detector ruled the flow out */
	DETECT_STOPPED,		/* on_match asked to stop (the flow is being blocked) */
};

/* Called for each match; return non-zero to stop asking further detectors. */
typedef int (*detect_match_cb)(void *arg, unsigned int idx, const struct det_finding *f);

/* Ask every detector that has not ruled itself out for this flow (fl->det_done)
 * about the current bytes; a detector answering DET_NO is not asked again. */
enum detect_outcome detect_run(const struct det_env *env, struct flow *fl,
			       const struct det_stream *s, detect_match_cb on_match, void *arg);

#endif
