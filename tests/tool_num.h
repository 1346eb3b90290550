/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Numeric command-line arguments of the test and bench tools. */
#ifndef MW_TOOL_NUM_H
#define MW_TOOL_NUM_H

#include <errno.h>
#include <stdlib.h>

/* s as an unsigned number in base (0: C prefixes) no larger than max; anything
 * else (empty, trailing bytes, overflow, too large) calls usage(), which does
 * not return. */
static inline unsigned long tool_num(const char *s, int base, unsigned long max,
				     void (*usage)(void))
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, base);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > max)
		usage();
	return v;
}

#endif
