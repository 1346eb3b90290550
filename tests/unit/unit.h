/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Minimal unit-test helpers: count checks, report failures with file:line. */
#ifndef MW_UNIT_H
#define MW_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_checks, unit_failures;

#define CHECK(cond)							\
	do {								\
		unit_checks++;						\
		if (!(cond)) {						\
			unit_failures++;				\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
		}							\
	} while (0)

#define CHECK_STR(a, b) CHECK(strcmp((a), (b)) == 0)

/* Return value for main(): 0 when every check passed. */
#define UNIT_DONE()							\
	(printf("%s: %d checks, %d failed\n", __FILE__, unit_checks,	\
		unit_failures), unit_failures ? 1 : 0)

#endif
