/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel-side enforcement: the block, allow, tier and meter sets in table inet
 * minewall and their elements, changed in atomic netlink batches. */
#ifndef MW_ENFORCE_H
#define MW_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ep_entry;
struct nlbatch;

/* Who asked for a block. Each source has its own sets and its own verdict. */
enum enforce_source {
	ENF_DETECT = 0,		/* the daemon's detections */
	ENF_DNS,		/* addresses from DNS answers for pool domains */
	ENF_LIST,		/* blocklists/ files */
	ENF_FEED,		/* signed feeds: one set family per feed name */
	ENF_SOURCES
};

/* Shape of an entry, and so which set it goes to. */
enum enforce_kind {
	ENF_ADDR = 0,		/* one address: hash set, timeout */
	ENF_CIDR,		/* prefix: interval set, timeout */
	ENF_EP,			/* address . port: concatenation, timeout */
	ENF_KINDS
};

enum enforce_verdict {
	ENF_DROP = 0,
	ENF_REJECT,		/* TCP reset, else ICMP administratively prohibited */
};

/* Per internal host. WATCH has no kernel state: it clears the other two. */
enum enforce_tier {
	ENF_WATCH = 0,
	ENF_THROTTLE,		/* egress bytes/s and new connections/s per host */
	ENF_QUARANTINE,		/* egress dropped except to the qallow sets */
};

/* Destination allowlists. */
enum enforce_allow {
	ENF_ALLOW = 0,		/* never blocked by a block set (still queued) */
	ENF_QALLOW,		/* what a quarantined host may still reach */
};

/* Set names are kept within the 31 characters older kernels accepted
 * (NFT_SET_MAXNAMELEN was 32 with the NUL before Linux 4.16). */
#define ENF_SET_NAME_MAX	31
/* "feed_" NAME "_cidr4": the longest feed name that still fits. */
#define ENF_FEED_NAME_MAX	(ENF_SET_NAME_MAX - 11)
#define ENF_MAX_FEEDS		32

/* Policy the ruleset is built with (ruleset_cfg.policy). Zero rates turn the
 * matching rules off; a zeroed struct means: every source drops, nothing else. */
struct enforce_policy {
	enum enforce_verdict verdict[ENF_SOURCES];
	uint32_t throttle_bytes;	/* per throttled host: bytes/s of egress */
	uint32_t throttle_burst;	/* bytes; 0: one second's worth */
	uint32_t throttle_conns;	/* per throttled host: new connections/s */
	uint32_t pool_conns;		/* per source host: new TCP connections/s to @pool_ports */
	uint32_t queue_pps;		/* packets/s into the queue; the excess is
					 * accepted with bypass, dropped without */
	bool count_refused;		/* count refused new connections per host
					 * into the refused sets (refused_count.h) */
	const char *const *feeds;	/* feed names whose sets and rules exist */
	unsigned int n_feeds;
};

/* ---- set names (pure) ---------------------------------------------------- */

/* Name of a block set: "detect_addr4", "list_cidr6", "feed_abuse_ep4". feed is
 * used with ENF_FEED only and must be 1..ENF_FEED_NAME_MAX of [A-Za-z0-9_-].
 * family is AF_INET or AF_INET6. 0, or -1 with errno EINVAL. */
int enforce_set_name(char *buf, size_t size, enum enforce_source src,
		     const char *feed, enum enforce_kind kind, int family);

/* Which kind of set an entry belongs in: port -> EP (host address only),
 * full-length prefix -> ADDR, else CIDR. -1 for an invalid entry. */
int enforce_entry_kind(const struct ep_entry *ep);

bool enforce_feed_name_ok(const char *feed);

const char *enforce_source_name(enum enforce_source src);
/* "detect", "dns", "list", "feed" -> source; -1 when unknown. */
int enforce_source_parse(const char *s);

/* ---- element encoding (pure) -------------------------------------------- */

#define ENF_KEY_MAX	20	/* ipv6_addr . inet_service, port padded to 4 */

struct enforce_key {
	uint8_t data[ENF_KEY_MAX];
	uint8_t len;
	bool end;		/* NFT_SET_ELEM_INTERVAL_END */
};

/* The set elements for ep in a set of this kind: one key, or for intervals a
 * start key and (unless the range reaches the top of the address space) an
 * end key one past the last address. Host bits of a prefix are cleared.
 * Returns the number of keys (1 or 2), or -1 with errno EINVAL. */
int enforce_encode(const struct ep_entry *ep, enum enforce_kind kind,
		   struct enforce_key key[2]);

/* Back from keys read from the kernel: one key (ADDR, EP) or a start and an
 * end (CIDR; end NULL when the range runs to the top). 0 or -1. */
int enforce_decode(int family, enum enforce_kind kind,
		   const struct enforce_key *start, const struct enforce_key *end,
		   struct ep_entry *ep);

/* ---- used by ruleset_install -------------------------------------------- */

/* Add every set minewall's rules use (a no-op for sets that exist, so their
 * elements survive) and flush the rate meters (their per-host budgets follow
 * the policy being installed). Appended to b, table inet minewall. 0 or -1. */
int enforce_sets_emit(struct nlbatch *b, const struct enforce_policy *p);

/* ---- the enforcer --------------------------------------------------------- */

struct enforcer;

/* An enforcer with its own netlink socket. Probes whether the kernel deletes
 * absent elements quietly (NFT_MSG_DESTROYSETELEM, Linux 6.3); without that a
 * delete of an element that already expired fails the whole batch. NULL on error. */
struct enforcer *enforcer_new(void);
void enforcer_free(struct enforcer *e);
/* Whether deletes of absent elements are harmless on this kernel. */
bool enforce_quiet_delete(const struct enforcer *e);
struct ct_sweep_stats;
/* Counters of the conntrack sweeps the generation flips ran (ct_sweep.h);
 * zeros for a NULL enforcer. */
void enforce_sweep_stats(const struct enforcer *e, struct ct_sweep_stats *st);

/* Start a change set. Every call below queues changes; enforce_commit() sends
 * them as one atomic batch (chunked; element messages carry no NLM_F_ACK, the
 * kernel still reports every error) and enforce_abort() drops them. */
int enforce_begin(struct enforcer *e);
/* feed: the feed's name for ENF_FEED, else NULL. timeout_s 0: no expiry. */
int enforce_block_add(struct enforcer *e, enum enforce_source src, const char *feed,
		      const struct ep_entry *ep, uint32_t timeout_s);
int enforce_block_del(struct enforcer *e, enum enforce_source src, const char *feed,
		      const struct ep_entry *ep);
/* ep: an address or prefix (no port). */
int enforce_allow_add(struct enforcer *e, enum enforce_allow which, const struct ep_entry *ep);
int enforce_allow_del(struct enforcer *e, enum enforce_allow which, const struct ep_entry *ep);
/* family AF_INET/AF_INET6, addr 4 or 16 bytes. */
int enforce_host_tier(struct enforcer *e, int family, const uint8_t *addr,
		      enum enforce_tier tier, uint32_t timeout_s);
int enforce_pool_port(struct enforcer *e, uint16_t port, bool add);
/* 0, or -1: enforce_error() names the failing message and the reason. */
int enforce_commit(struct enforcer *e);
void enforce_abort(struct enforcer *e);
/* Elements queued since enforce_begin(). */
size_t enforce_pending(const struct enforcer *e);
const char *enforce_error(const struct enforcer *e);

/* Read a source's sets back (NFT_MSG_GETSETELEM dumps). cb gets each entry
 * with expires_ms = milliseconds left (0: no timeout) and tag = kind; a
 * nonzero return stops the walk and is returned. 0 or -1. */
int enforce_list(struct enforcer *e, enum enforce_source src, const char *feed,
		 int (*cb)(const struct ep_entry *ep, void *arg), void *arg);

/* Make a source's sets hold exactly wanted[] (no timeouts): reads the sets,
 * then queues only the difference (adds and deletes of single elements; no
 * set is rewritten). Needs enforce_begin() first; the caller commits. 0 or -1. */
int enforce_sync_source(struct enforcer *e, enum enforce_source src, const char *feed,
			const struct ep_entry *wanted, size_t n_wanted);
/* The same diff against have[], what the caller knows the sets hold (what it
 * last committed), without reading them back: dumping a large hash set costs
 * time quadratic in its size (each dump part walks it from the start). The
 * caller falls back to enforce_sync_source after a failed commit. 0 or -1. */
int enforce_sync_known(struct enforcer *e, enum enforce_source src, const char *feed,
		       const struct ep_entry *have, size_t n_have,
		       const struct ep_entry *wanted, size_t n_wanted);

#endif
