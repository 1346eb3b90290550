/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signed mining-pool feeds: format, verification, acceptance policy, building. */
#ifndef MW_FEED_H
#define MW_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "ep_table.h"
#include "minisign.h"

#define FEED_VERSION		1
#define FEED_MAGIC		"minewall-feed 1"	/* first line of a feed */
#define FEED_TC_MAX		512	/* longest trusted comment we make */
#define FEED_PROVIDER_MAX	64	/* [A-Za-z0-9._-]{1,63} */
#define FEED_VALUE_MAX		254	/* a domain name of 253 characters */
#define FEED_REASON_MAX		128	/* printable text, at most 127 bytes */
#define FEED_HASH_BYTES		32	/* BLAKE2b-256 of the whole feed file */

/* Every verdict the feed code gives; FEED_OK is 0. feed_parse, feed_verify and
 * feed_accept return one of these, never -1. */
enum feed_verdict {
	FEED_OK = 0,
	FEED_UNCHANGED,		/* same serial, same content: nothing to do */
	FEED_E_SIGNATURE,	/* signature or trusted-comment signature invalid */
	FEED_E_KEY_UNPINNED,	/* signed by a key we do not pin */
	FEED_E_COMMENT,		/* trusted comment does not match the header */
	FEED_E_LEGACY,		/* non-prehashed ("Ed") signature */
	FEED_E_ROLLBACK,	/* serial lower than the last applied */
	FEED_E_CONFLICT,	/* same serial as the last applied, other content */
	FEED_E_EXPIRED,		/* expires <= now */
	FEED_E_FUTURE,		/* issued later than now + skew */
	FEED_E_BASE,		/* delta whose base is not our serial */
	FEED_E_SIZE,		/* larger than max_size */
	FEED_E_COUNT,		/* more entries than allowed, or than/fewer than announced */
	FEED_E_MALFORMED,	/* a line does not parse */
	FEED_E_PROTECTED,	/* an entry covers or falls in a protected range */
	FEED_E_BROAD,		/* a prefix broader than the policy allows */
	FEED_E_PROVIDER,	/* provider is not the one we subscribed to */
	FEED_E_SYSTEM,		/* out of memory and the like */
	FEED_VERDICT_MAX
};

enum feed_kind { FEED_SNAPSHOT = 0, FEED_DELTA };
enum feed_op { FEED_ADD = 0, FEED_DEL };
enum feed_type { FEED_T_IP = 0, FEED_T_CIDR, FEED_T_IPPORT, FEED_T_DOMAIN };

struct feed_entry {
	uint8_t op;		/* enum feed_op */
	uint8_t type;		/* enum feed_type */
	uint64_t ttl;		/* seconds, as published; feed_accept clamps it */
	struct ep_entry ep;	/* parsed address for ip, cidr and ip:port */
	char value[FEED_VALUE_MAX];	/* canonical text */
	char reason[FEED_REASON_MAX];
};

struct feed {
	char provider[FEED_PROVIDER_MAX];
	enum feed_kind kind;
	uint64_t serial;
	uint64_t base;		/* delta: the serial it applies to; snapshot: 0 */
	int64_t issued, expires;	/* Unix seconds, UTC */
	uint64_t announced;	/* the "entries" header */
	struct feed_entry *entries;
	size_t n_entries;
	uint8_t hash[FEED_HASH_BYTES];	/* of the bytes parsed */
	/* Set by feed_verify only. */
	bool verified;
	uint8_t keyid[MINISIGN_KEYID_BYTES];
	unsigned int clamped;	/* TTLs feed_accept clamped */
};

struct feed_limits {
	size_t max_size;	/* bytes of the feed file */
	size_t max_entries;
	size_t max_line;	/* bytes of one line, newline excluded */
};

/* What the subscriber remembers of the last feed it applied from a provider. */
struct feed_state {
	bool have;		/* false: nothing applied yet */
	char provider[FEED_PROVIDER_MAX];
	uint64_t serial;
	enum feed_kind kind;	/* of the file applied last: a snapshot and a delta
				 * of one serial are different files */
	int64_t expires;
	uint8_t hash[FEED_HASH_BYTES];
};

struct feed_policy {
	const char *provider;	/* required provider id; NULL accepts any */
	int64_t max_skew;	/* seconds "issued" may lie in the future */
	int64_t max_validity;	/* longest expires - issued; 0 = no limit */
	uint64_t min_ttl, max_ttl;	/* add TTLs are clamped into [min, max] */
	uint8_t min_plen4, min_plen6;	/* shortest prefix accepted per family */
	const struct ep_entry *protect;	/* never blocked: own addresses, resolvers, allowlist */
	size_t n_protect;
};

void feed_limits_default(struct feed_limits *lim);
void feed_policy_default(struct feed_policy *pol);
const char *feed_verdict_str(enum feed_verdict v);
const char *feed_kind_str(enum feed_kind k);
const char *feed_type_str(enum feed_type t);

/* Release what a feed owns; the struct may be reused. */
void feed_fini(struct feed *f);

/* Parse a feed file (not its signature). out is filled even for an unsigned
 * feed, with verified false. Errors in err name the line: "line 7: ...". */
enum feed_verdict feed_parse(const uint8_t *buf, size_t len, const struct feed_limits *lim,
			     struct feed *out, char *err, size_t errsize);

/* The signature part of feed_verify and feed_keys_verify: parse sig_text,
 * refuse legacy signatures, find the pinned key by id and verify the
 * prehashed signature over body. FEED_OK with *sig_out (malloc'd, free it)
 * and *key_out (when not NULL) set; else the failure's verdict and err. */
enum feed_verdict feed_signature_check(const uint8_t *body, size_t len, const char *sig_text,
					size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
					struct minisign_sig **sig_out,
					const struct minisign_pubkey **key_out, char *err, size_t errsize);

/* Verify body with the .minisig text against the pinned keys (prehash
 * required), THEN parse it and check the trusted comment equals the one the
 * header gives. out->verified is true on FEED_OK. */
enum feed_verdict feed_verify(const uint8_t *body, size_t len, const char *sig_text, size_t sig_len,
			      const struct minisign_pubkey *keys, size_t nkeys,
			      const struct feed_limits *lim, struct feed *out,
			      char *err, size_t errsize);

/* Decide whether a verified feed may be applied after last (NULL or !have:
 * first feed). Clamps add TTLs in place (f->clamped counts them), which is why
 * f is not const. FEED_OK, FEED_UNCHANGED or a rejection with reason text.
 * The serial last holds, in the other kind (a snapshot after a delta of that
 * serial, or the reverse), is FEED_UNCHANGED: the two files differ by nature. */
enum feed_verdict feed_accept(const struct feed_state *last, struct feed *f,
			      const struct feed_policy *pol, time_t now,
			      char *reason, size_t reasonsize);

/* Remember an applied feed; a snapshot or delta both move serial and hash. */
void feed_state_update(struct feed_state *st, const struct feed *f);
/* Persist state as one text line and read it back (bounded). */
int feed_state_format(const struct feed_state *st, char *out, size_t outsize);
int feed_state_parse(const char *text, size_t len, struct feed_state *st, char *err, size_t errsize);

/* The canonical trusted comment for a feed's header and hash. */
int feed_trusted_comment(const struct feed *f, char *out, size_t outsize);

/* Canonical entry order: by type, then by value text. */
int feed_entry_cmp(const struct feed_entry *a, const struct feed_entry *b);

/* Fill one entry from loose text (type NULL: guess from value), normalising
 * the value (lower-case names, canonical addresses). 0 or -1 with err. */
int feed_entry_set(struct feed_entry *e, enum feed_op op, const char *type, const char *value,
		   uint64_t ttl, const char *reason, char *err, size_t errsize);

/* Building: a snapshot from entries (copied, sorted, duplicates merged: the
 * last one wins) and a delta from two snapshots of one provider. */
int feed_build_snapshot(struct feed *out, const char *provider, uint64_t serial,
			int64_t issued, int64_t expires, const struct feed_entry *e, size_t n,
			char *err, size_t errsize);
int feed_build_delta(struct feed *out, const struct feed *prev, const struct feed *next,
		     char *err, size_t errsize);
/* The full set after f on top of cur: a snapshot is the set itself; a delta's
 * adds replace and its dels remove cur's entries of the same type and value.
 * out becomes a sorted FEED_SNAPSHOT of adds with f's header. Both inputs
 * are sorted and free of duplicates (feed_parse and the builders see to it),
 * so this is one merge pass. 0, or -1 out of memory. */
int feed_merge(const struct feed *cur, const struct feed *f, struct feed *out);
/* feed_merge of delta f onto cur, in cur's own memory: cur becomes the set
 * with f's header. 0, or -1 (f not a delta, out of memory: cur unchanged). */
int feed_merge_into(struct feed *cur, const struct feed *f);
/* Two consecutive deltas as one (d2's base is d1's serial): d2's header with
 * d1's base, the last operation on each entry. Merging it onto a set gives
 * what merging d1, then d2 gives. 0, or -1 (not consecutive, out of memory). */
int feed_compose(const struct feed *d1, const struct feed *d2, struct feed *out);
/* The canonical text of a feed into a malloc'd buffer; sets f->hash. */
int feed_write(struct feed *f, char **out, size_t *outlen);
/* Sign a feed file: parses it, and signs it with the trusted comment its
 * header gives. *sig_out is the malloc'd .minisig text. */
int feed_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
	      char **sig_out, char *err, size_t errsize);

/* Key rotation document: the provider's current key and the next one, signed
 * by the current key. */
struct feed_keys {
	char provider[FEED_PROVIDER_MAX];
	uint64_t serial;
	int64_t issued, expires;
	struct minisign_pubkey current;
	bool has_next;
	struct minisign_pubkey next;
	uint8_t hash[FEED_HASH_BYTES];
	bool verified;
};

enum feed_verdict feed_keys_parse(const uint8_t *buf, size_t len, struct feed_keys *out,
				  char *err, size_t errsize);
/* Verify as feed_verify does; the signing key must also be the document's
 * "current" key. Expiry is checked against now. */
enum feed_verdict feed_keys_verify(const uint8_t *body, size_t len, const char *sig_text,
				   size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
				   time_t now, struct feed_keys *out, char *err, size_t errsize);
int feed_keys_write(struct feed_keys *k, char **out, size_t *outlen);
int feed_keys_trusted_comment(const struct feed_keys *k, char *out, size_t outsize);
int feed_keys_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
		   char **sig_out, char *err, size_t errsize);

#endif
