/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the daemon's feeds files only (daemon_feeds*.c). */
#ifndef MW_DAEMON_FEEDS_INT_H
#define MW_DAEMON_FEEDS_INT_H

#include "conf.h"
#include "daemon.h"

struct feed_pub;

/* daemon_feeds_pub.c: the publisher of our detections when c asks for one
 * (publish dir and secret key), else NULL; why not is logged. */
struct feed_pub *df_pub_open(struct daemon *d, const struct mw_conf *c);

#endif
