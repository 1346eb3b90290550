/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SipHash-1-3 over whole 64-bit words, for the flow family's keyed tables:
 * keyed so that a remote sender cannot aim many entries at one chain without
 * knowing the per-table key. */
#ifndef MW_SIPHASH_H
#define MW_SIPHASH_H

#include <stdint.h>

#define SIP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)					\
	do {								\
		v0 += v1; v1 = SIP_ROTL(v1, 13); v1 ^= v0; v0 = SIP_ROTL(v0, 32); \
		v2 += v3; v3 = SIP_ROTL(v3, 16); v3 ^= v2;			\
		v0 += v3; v3 = SIP_ROTL(v3, 21); v3 ^= v0;			\
		v2 += v1; v1 = SIP_ROTL(v1, 17); v1 ^= v2; v2 = SIP_ROTL(v2, 32); \
	} while (0)

/* The n words of m (built in registers by the caller, not read back from a
 * byte array: that read stalls on store forwarding), keyed by k0, k1. */
static inline uint32_t siphash13_words(uint64_t k0, uint64_t k1, const uint64_t *m, unsigned int n)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ULL;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dULL;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ULL;
	uint64_t v3 = k1 ^ 0x7465646279746573ULL;
	uint64_t t;
	unsigned int i;

	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	t = (uint64_t)(n * 8) << 56;
	v3 ^= t;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= t;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return (uint32_t)(v0 ^ v1 ^ v2 ^ v3);
}

#endif
