/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The signed index of a published feed: the newest serial, the snapshot and the chain of deltas. */
#ifndef MW_FEED_INDEX_H
#define MW_FEED_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "feed.h"

#define FEED_INDEX_MAGIC	"minewall-feed-index 1"
#define FEED_INDEX_MAX_LINKS	256		/* deltas one index lists at most */
#define FEED_INDEX_MAX_SIZE	(64 * 1024)	/* bytes of an index file */
#define FEED_INDEX_LINE_MAX	256
#define FEED_INDEX_NAME_MAX	48		/* "delta-BASE-SERIAL" and a NUL */

/* One published file the index vouches for: its serials, size and hash. */
struct feed_index_link {
	uint64_t base;		/* a delta's base; 0 for the snapshot */
	uint64_t serial;
	uint64_t size;		/* bytes of the file */
	uint8_t hash[FEED_HASH_BYTES];	/* BLAKE2b-256 of the file */
};

struct feed_index {
	char provider[FEED_PROVIDER_MAX];
	uint64_t serial;	/* the newest serial published */
	int64_t issued, expires;
	struct feed_index_link snapshot;	/* the file "feed" */
	/* Deltas in serial order, each based on the previous one's serial, the
	 * last ending at serial; the snapshot's serial is one of their bases or
	 * serial itself. */
	struct feed_index_link links[FEED_INDEX_MAX_LINKS];
	size_t n_links;
	uint8_t hash[FEED_HASH_BYTES];	/* of the index file */
	bool verified;
};

/* Parse an index (not its signature): bounded, every rule of the chain checked. */
enum feed_verdict feed_index_parse(const uint8_t *buf, size_t len, struct feed_index *out,
				   char *err, size_t errsize);
/* "minewall-feed-index 1 provider=P serial=N snapshot=S issued=T expires=T deltas=N blake2b=HEX" */
int feed_index_trusted_comment(const struct feed_index *x, char *out, size_t outsize);
/* Verify the signature against the pinned keys (prehashed only) BEFORE
 * parsing, then the trusted comment against the header; out->verified on FEED_OK. */
enum feed_verdict feed_index_verify(const uint8_t *body, size_t len, const char *sig_text,
				    size_t sig_len, const struct minisign_pubkey *keys, size_t nkeys,
				    struct feed_index *out, char *err, size_t errsize);
/* The feed policy's header checks for an index after last (NULL or !have:
 * nothing applied): provider, rollback (FEED_E_ROLLBACK), the same serial
 * (FEED_UNCHANGED), expiry, issue time in the future, validity. */
enum feed_verdict feed_index_accept(const struct feed_state *last, const struct feed_index *x,
				    const struct feed_policy *pol, time_t now,
				    char *reason, size_t reasonsize);
/* The position of the delta based on serial base, or -1. */
int feed_index_find(const struct feed_index *x, uint64_t base);
/* The canonical text (sets x->hash) into a malloc'd buffer. 0 or -1. */
int feed_index_write(struct feed_index *x, char **out, size_t *outlen);
/* Sign an index file with the trusted comment its header gives. */
int feed_index_sign(const uint8_t *body, size_t len, const struct minisign_seckey *sk,
		    char **sig_out, char *err, size_t errsize);
/* The file name of a delta: "delta-BASE-SERIAL". */
void feed_index_delta_name(uint64_t base, uint64_t serial, char out[FEED_INDEX_NAME_MAX]);
/* Whether a document starts like an index. */
bool feed_index_is(const uint8_t *buf, size_t len);

#endif
