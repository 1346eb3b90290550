// SPDX-License-Identifier: GPL-2.0-or-later
/* Detections counted by detector and dialect, in a small fixed table. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mwstats.h"

void mwstats_tally_add(struct mwstats_tally *t, const char *detector, const char *dialect)
{
	struct mwstats_tally_entry *e;
	char det[sizeof(e->detector)], dia[sizeof(e->dialect)];
	unsigned int i;

	snprintf(det, sizeof(det), "%s", detector ? detector : "");
	snprintf(dia, sizeof(dia), "%s", dialect ? dialect : "");
	for (i = 0; i < t->n; i++) {
		e = &t->e[i];
		if (strcmp(e->detector, det) == 0 && strcmp(e->dialect, dia) == 0) {
			e->count++;
			return;
		}
	}
	if (t->n == MWSTATS_MAX_TALLY) {
		t->other++;
		return;
	}
	e = &t->e[t->n++];
	memcpy(e->detector, det, sizeof(det));
	memcpy(e->dialect, dia, sizeof(dia));
	e->count = 1;
}
