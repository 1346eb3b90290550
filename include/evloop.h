/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny epoll event loop: file descriptors with callbacks, run until stopped. */
#ifndef MW_EVLOOP_H
#define MW_EVLOOP_H

#include <stdbool.h>

struct evloop;
typedef void (*evloop_cb)(struct evloop *loop, int fd, void *arg);

struct evloop *evloop_new(void);
void evloop_free(struct evloop *loop);
/* Watch fd for input (and hang-ups/errors). 0 or -1. */
int evloop_add(struct evloop *loop, int fd, evloop_cb cb, void *arg);
/* Choose what a watched fd is called back for: readable, writable, both (or
 * neither: errors and hang-ups only). The callback is not told which: it reads
 * and writes non-blocking until EAGAIN. 0 or -1. */
int evloop_mod(struct evloop *loop, int fd, bool read, bool write);
int evloop_del(struct evloop *loop, int fd);
/* Dispatch until evloop_stop(). 0, or -1 if epoll itself failed. */
int evloop_run(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
