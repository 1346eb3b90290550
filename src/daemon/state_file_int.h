/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The state file parser on a buffer, for state_read() and the fuzz target. */
#ifndef MW_STATE_FILE_INT_H
#define MW_STATE_FILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "state_file.h"

#define STATE_LINE_MAX	512	/* bytes in a line, newline not counted */

/* Parse a whole state file held in buf into st (which must be empty), skipping
 * items expired at now_ms. 0, or -1 with st emptied, *line the line at fault
 * (one past the last for a missing end) and the message in err. */
int state_parse(const char *buf, size_t len, struct state *st, uint64_t now_ms,
		unsigned int *line, char *err, size_t errsize);

/* One item as its line, without the newline. 0, or -1 (EINVAL) with a reason. */
int state_format(const struct state_item *it, char *buf, size_t size, char *err, size_t errsize);

#endif
