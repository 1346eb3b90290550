/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two clocks minewall reads, in milliseconds. */
#ifndef MW_CLOCK_H
#define MW_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t now_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wall clock in ms since the epoch: what persisted expiries are written in. */
static inline uint64_t now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
