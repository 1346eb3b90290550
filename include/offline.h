/* SPDX-License-Identifier: GPL-2.0-or-later */
/* minewalld -r: the same engine over a capture file; events as JSON lines. */
#ifndef MW_OFFLINE_H
#define MW_OFFLINE_H

#include <stdio.h>

#include "conf.h"
#include "pool_lists.h"

/* Read path (pcap or pcapng), print one JSON line per event and a final stats
 * line to out. Changes nothing on the host. 0, or -1 if the file is unreadable. */
int offline_run(const char *path, const struct mw_conf *c, const struct pool_lists *lists, FILE *out);

#endif
