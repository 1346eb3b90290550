// SPDX-License-Identifier: GPL-2.0-or-later
/* Fuzz target: arbitrary bytes as a capture file for minewalld -r: offline.c's
 * own reader of classic pcap files (libpcap reads pcapng and the rest), then
 * the link layer and the whole engine behind it, both passes. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>

#include "conf.h"
#include "log.h"
#include "offline.h"
#include "pool_lists.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small tables, so eviction and buffer exhaustion are reached; no list files. */
static const char conf_text[] =
	"detect = { blocklists = { domains = [ ]; endpoints = [ ]; ports = [ ]; }; };\n"
	"flows = { max = 1024; buffers = 16; };\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mw_conf *c;
	static struct pool_lists *l;
	static FILE *sink;
	static int fd = -1;
	char path[64];

	if (!c) {
		log_init("fuzz_capture", 1, LOG_LVL_ERR);
		if (conf_load_string(conf_text, "/nonexistent/fuzz.conf", &c, stderr) < 0)
			abort();
		l = pool_lists_load(c, stderr);
		sink = fopen("/dev/null", "w");
		fd = memfd_create("capture", MFD_CLOEXEC);
		if (!l || !sink || fd < 0)
			abort();
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* Any result is fine; reading out of bounds, leaking or crashing is not. */
	offline_run(path, c, l, sink);
	return 0;
}
