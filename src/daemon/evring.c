// SPDX-License-Identifier: GPL-2.0-or-later
/* Ring of recent events for `minewallctl events`: one allocation per entry, bounded count. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evring.h"

struct evring_entry {
	char *text;	/* text, '\0', json, '\0' in one block */
	size_t text_len;
};

struct evring {
	unsigned int cap, head, count;	/* head: next slot to write */
	struct evring_entry e[];
};

struct evring *evring_new(unsigned int capacity)
{
	struct evring *r;

	if (capacity == 0)
		return NULL;
	r = calloc(1, sizeof(*r) + capacity * sizeof(r->e[0]));
	if (r)
		r->cap = capacity;
	return r;
}

void evring_free(struct evring *r)
{
	unsigned int i;

	if (!r)
		return;
	for (i = 0; i < r->cap; i++)
		free(r->e[i].text);
	free(r);
}

int evring_push(struct evring *r, const char *text, const char *json)
{
	size_t tl = strlen(text), jl = strlen(json);
	char *p = malloc(tl + jl + 2);

	if (!p)
		return -1;
	memcpy(p, text, tl + 1);
	memcpy(p + tl + 1, json, jl + 1);
	free(r->e[r->head].text);
	r->e[r->head] = (struct evring_entry){ p, tl };
	r->head = (r->head + 1) % r->cap;
	if (r->count < r->cap)
		r->count++;
	return 0;
}

unsigned int evring_count(const struct evring *r)
{
	return r->count;
}

static const struct evring_entry *evring_at(const struct evring *r, unsigned int i)
{
	if (i >= r->count)
		return NULL;
	return &r->e[(r->head + r->cap - r->count + i) % r->cap];
}

const char *evring_text(const struct evring *r, unsigned int i)
{
	const struct evring_entry *e = evring_at(r, i);

	return e ? e->text : NULL;
}

const char *evring_json(const struct evring *r, unsigned int i)
{
	const struct evring_entry *e = evring_at(r, i);

	return e ? e->text + e->text_len + 1 : NULL;
}
