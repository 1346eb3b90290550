/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NFQUEUE over libmnl: bind a queue, receive packets in batches, and give
 * every packet exactly one verdict. Knows nothing about detection. */
#ifndef MW_QUEUE_H
#define MW_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

struct queue;

struct queue_cfg {
	uint16_t num;
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t maxlen;	/* kernel queue length */
	bool fail_open;		/* kernel accepts instead of dropping when the queue is full */
};

struct queue_packet {
	uint32_t id;
	uint16_t hw_protocol;	/* host order: ETH_P_IP / ETH_P_IPV6 */
	uint8_t hook;
	uint32_t mark;		/* packet mark as queued */
	const uint8_t *data;	/* the IP packet, copy_range bytes at most */
	uint32_t len;		/* bytes present in data */
	uint32_t orig_len;	/* full packet length (> len when truncated) */
};

enum queue_action { QV_ACCEPT = 0, QV_DROP, QV_REPEAT };

struct queue_verdict {
	enum queue_action action;
	bool set_mark;
	uint32_t mark;		/* full new packet mark when set_mark */
};

/* Decide one packet. Called for every packet received; must fill v. */
typedef void (*queue_cb)(void *arg, const struct queue_packet *p, struct queue_verdict *v);

struct queue_stats {
	uint64_t packets;
	uint64_t accepted;
	uint64_t dropped;
	uint64_t repeated;
	uint64_t verdict_msgs;	/* netlink messages sent (batching makes this < packets) */
	uint64_t enobufs;	/* kernel could not deliver to us: packets lost to the fail mode */
	uint64_t errors;	/* malformed messages, failed sends */
};

/* Open a netlink socket, bind queue cfg->num with packet copy mode. NULL on error (logged). */
struct queue *queue_open(const struct queue_cfg *cfg);
/* Re-apply copy range, length and fail-open flag to an open queue. 0 or -1. */
int queue_configure(struct queue *q, const struct queue_cfg *cfg);
void queue_close(struct queue *q);
int queue_fd(const struct queue *q);
uint16_t queue_num(const struct queue *q);
/* Drain what the socket holds (non-blocking), deciding each packet through cb
 * and sending the verdicts batched. Returns packets handled, or -1 on a fatal error. */
int queue_process(struct queue *q, queue_cb cb, void *arg);
void queue_get_stats(const struct queue *q, struct queue_stats *st);

#endif
