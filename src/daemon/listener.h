/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One listening stream socket in the event loop with its bounded table of
 * non-blocking clients: accept, admit or refuse, find a client by its fd,
 * drop it, and a one-second timer that drops the clients their owner says
 * have expired. The control socket and the metrics endpoint are its owners;
 * what a client says and how long it may stay are theirs. */
#ifndef MW_LISTENER_H
#define MW_LISTENER_H

#include <stdbool.h>
#include <stdint.h>

#include "evloop.h"

struct listener_ops {
	const char *name;	/* "control", "metrics": in log lines */
	/* NULL to admit a freshly accepted fd, or a line to send it before it is
	 * closed. Optional. */
	const char *(*admit)(void *owner, int fd);
	/* The new client's state (it keeps fd), or NULL when out of resources. */
	void *(*client_new)(void *owner, int fd);
	void (*client_free)(void *client);
	/* The client's fd is ready (read and write until EAGAIN); slot is the
	 * client's place for listener_drop. */
	void (*client_io)(void *owner, void *client, unsigned int slot);
	/* true: drop the client now (idle, past its deadline). */
	bool (*client_expired)(void *owner, void *client, uint64_t now_ms);
	const char *full_line;	/* sent when the table is full; NULL: just close */
	const char *oom_line;	/* sent when client_new fails; NULL: just close */
};

struct listener;

/* Watch the bound, listening, non-blocking fd; the listener owns it from here
 * on, also on failure. max clients at once. NULL on error (logged). */
struct listener *listener_open(struct evloop *loop, int fd, unsigned int max,
			       const struct listener_ops *ops, void *owner);
/* Drop every client, close the socket and the timer. */
void listener_close(struct listener *l);
/* The client in slot, or NULL; slots are 0 .. max - 1. */
void *listener_client(const struct listener *l, unsigned int slot);
unsigned int listener_max(const struct listener *l);
/* Stop watching the client's fd, close it and free the client. */
void listener_drop(struct listener *l, unsigned int slot);
/* CLOCK_MONOTONIC in milliseconds, the clock of client_expired. */
uint64_t listener_now_ms(void);

#endif
