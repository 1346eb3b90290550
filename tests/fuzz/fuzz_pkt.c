// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: pkt_parse on arbitrary bytes, then the flow table and stream reassembly. */
#include "config.h"

#include <stdlib.h>

#include "flow.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A tiny table so that eviction, expiry and pool exhaustion are all reached. */
static struct flow_table *fuzz_table(void)
{
	static struct flow_table *ft;
	const struct flow_table_cfg cfg = {
		.max_flows = 4, .max_buffers = 2, .inspect_bytes = 64, .idle_timeout_ms = 50,
	};

	if (!ft)
		ft = flow_table_new(&cfg);
	if (!ft)
		abort();
	return ft;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t now;
	struct flow_table *ft = fuzz_table();
	enum flow_dir dir;
	struct flow_stats st;
	struct flow *f;
	struct pkt p;
	size_t len;
	bool created;

	now += 10;
	if (pkt_parse(data, size, &p) < 0)
		return 0;
	/* The payload must lie inside the input. */
	if (p.payload && (p.payload < data || p.payload_len > size ||
			  p.payload > data + size - p.payload_len))
		abort();
	if (!p.payload && p.payload_len)
		abort();
	f = flow_lookup_or_add(ft, &p, now, &dir, &created);
	if (!f)
		return 0;
	if (flow_lookup(ft, &p, &dir) != f)
		abort();
	if (flow_stream_add(ft, f, dir, &p) < 0)
		abort();
	if (flow_stream_data(f, dir, &len) && len > 64)
		abort();
	if (size & 1)
		flow_release_buf(ft, f);
	flow_expire(ft, now);
	flow_table_stats(ft, &st);
	if (st.active > 4 || st.buffers_in_use > 2)
		abort();
	return 0;
}
