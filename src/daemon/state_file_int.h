/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the state file: the parser on a buffer and the line encoder (for
 * state_read/state_write, the tests and the fuzz target), and what the
 * writer (state_file.c) and the reader (state_file_read.c) share. */
#ifndef MW_STATE_FILE_INT_H
#define MW_STATE_FILE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "state_file.h"

#define STATE_LINE_MAX	512	/* bytes in a line, newline not counted */
#define STATE_MAGIC	"minewall-state 1"
#define STATE_MS_MAX	253402300799999ULL	/* 9999-12-31T23:59:59.999Z */
#define STATE_REASON_MAX	63

/* By enum enforce_tier: "watch", "throttle", "quarantine". */
extern const char *const state_tier_names[];

/* Parse a whole state file held in buf into st (which must be empty), skipping
 * items expired at now_ms. 0, or -1 with st emptied, *line the line at fault
 * (one past the last for a missing end) and the message in err. */
int state_parse(const char *buf, size_t len, struct state *st, uint64_t now_ms,
		unsigned int *line, char *err, size_t errsize);

/* One item as its line, without the newline. 0, or -1 (EINVAL) with a reason. */
int state_format(const struct state_item *it, char *buf, size_t size, char *err, size_t errsize);

/* Split path into its directory ("." when it has none) and base name. 0, or
 * -1 with ENAMETOOLONG when the directory does not fit in dsize. */
int state_path_split(const char *path, char *dir, size_t dsize, const char **base);

#endif
