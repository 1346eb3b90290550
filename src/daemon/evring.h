/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The last N events in memory, each as a readable line and a JSON line. */
#ifndef MW_EVRING_H
#define MW_EVRING_H

struct evring;

struct evring *evring_new(unsigned int capacity);
void evring_free(struct evring *r);
/* Store a copy of both forms, dropping the oldest when full. 0 or -1 (no memory). */
int evring_push(struct evring *r, const char *text, const char *json);
unsigned int evring_count(const struct evring *r);
/* Entry i, 0 being the oldest held; NULL past the end. */
const char *evring_text(const struct evring *r, unsigned int i);
const char *evring_json(const struct evring *r, unsigned int i);

#endif
