// SPDX-License-Identifier: GPL-2.0-or-later
/* notify: the HMAC signature, the per-host memory and coalescing, the document, and the
 * delivery engine with real commands (tee, false, sleep) and a webhook nobody answers. */
#include <signal.h>
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "notify.h"
#include "notify_doc.h"
#include "notify_int.h"
#include "unit.h"

/* RFC 4231, test case 2. */
static void test_sign(void)
{
	char sig[72];

	notify_webhook_sign((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, sig);
	CHECK_STR(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static struct flow_key key_of(const char *client, uint16_t port)
{
	struct flow_key k = { .family = AF_INET, .proto = 6, .port = { port, 3333 } };

	inet_pton(AF_INET, client, k.addr[0]);
	inet_pton(AF_INET, "203.0.113.2", k.addr[1]);
	return k;
}

static void test_hosts(void)
{
	struct notify_hosts *t = notify_hosts_new();
	struct flow_key k = key_of("198.51.100.2", 40000);
	struct mw_event ev = { .type = EVENT_MINING, .key = &k, .detector = "stratum",
			       .dialect = "bitcoin", .detail = "mining.subscribe", .action = ACT_REJECT };
	struct notify_host *h, *h2;
	uint32_t held = 99;
	int map[2] = { -1, 0 };
	unsigned int i;

	CHECK(t != NULL);
	if (!t)
		return;
	CHECK(notify_hosts_find(t, AF_INET, k.addr[0]) == NULL);
	for (i = 0; i < 7; i++) {
		k.port[0] = (uint16_t)(40000 + i);
		h = notify_hosts_note(t, &ev, 1000 + i);
	}
	CHECK(h == notify_hosts_find(t, AF_INET, k.addr[0]));
	CHECK(h->n_recent == NOTIFY_RECENT);
	CHECK(h->recent[h->head].key.port[0] == 40006);
	CHECK(h->recent[(h->head + 1) % NOTIFY_RECENT].key.port[0] == 40002);	/* the oldest kept */

	/* Coalescing: the first notice goes, the next two within 60 s are held, then one goes
	 * and says two were held; a window of 0 lets every one through. */
	CHECK(notify_host_due(h, 0, 60, 10000, &held) && held == 0);
	CHECK(!notify_host_due(h, 0, 60, 20000, &held));
	CHECK(!notify_host_due(h, 0, 60, 69999, &held));
	CHECK(notify_host_due(h, 0, 60, 70000, &held) && held == 2);
	CHECK(notify_host_due(h, 1, 0, 70000, &held) && notify_host_due(h, 1, 0, 70001, &held));
	CHECK(!notify_host_due(h, CONF_MAX_RECEIVERS, 0, 1, &held));
	/* A reload moves slot 0 to slot 1 and drops the old slot 1. */
	CHECK(!notify_host_due(h, 0, 60, 80000, &held) && h->held[0] == 1);
	notify_hosts_remap(t, map, 2);
	CHECK(h->held[0] == 0 && h->held[1] == 1 && h->sent_ms[1] == 70000);

	/* Another host has its own entry. */
	k = key_of("198.51.100.3", 1);
	h2 = notify_hosts_note(t, &ev, 5);
	CHECK(h2 != h && h2->n_recent == 1);
	notify_hosts_free(t);
}

static void test_doc(void)
{
	struct notify_hosts *t = notify_hosts_new();
	struct flow_key k = key_of("198.51.100.2", 40000);
	struct mw_event ev = { .type = EVENT_MINING, .key = &k, .detector = "stratum",
			       .dialect = "bitcoin", .detail = "a \"quoted\"\nline", .action = ACT_DROP };
	struct timeval tv = { 1700000000, 5 };
	struct notify_doc_in in = {
		.id = "x-1", .type = "tier", .event = "throttle", .gateway = "gw1", .text = "t",
		.ts = &tv, .eve = "{\"event_type\":\"tier\"}", .family = AF_INET, .tier = "throttle",
		.previous = "watch", .detections = 3, .expires_in = 600, .held = 2,
		.evidence = true,
	};
	static const char want[] = "{\"id\":\"x-1\",\"type\":\"tier\",\"event\":\"throttle\","
		"\"timestamp\":\"2023-11-14T22:13:20.000005+0000\",\"gateway\":\"gw1\","
		"\"text\":\"t\",\"host\":{\"ip\":\"198.51.100.2\",\"tier\":\"throttle\","
		"\"previous\":\"watch\",\"detections\":3,\"expires_in\":600},\"coalesced\":2,"
		"\"eve\":{\"event_type\":\"tier\"},\"evidence\":{";
	char buf[NOTIFY_DOC_MAX], small[900];
	unsigned int i;
	int n;

	if (!t)
		return;
	ev.ts = tv;
	for (i = 0; i < 3; i++)
		in.host = notify_hosts_note(t, &ev, 1);
	in.addr = k.addr[0];
	n = notify_doc_build(buf, sizeof(buf), &in);
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strncmp(buf, want, strlen(want)) == 0);
	CHECK(strstr(buf, "\"detail\":\"a \\\"quoted\\\"\\u000aline\"") != NULL);
	CHECK(strstr(buf, "\"recent\":[{") != NULL && buf[n - 1] == '}' && buf[n - 2] == ']');
	/* Too small for every recent detection: fewer, still whole. */
	n = notify_doc_build(small, sizeof(small), &in);
	CHECK(n > 0 && small[n - 1] == '}' && strstr(small, "\"recent\":[") != NULL);
	CHECK(n > 0 && (size_t)n < strlen(buf));
	CHECK(notify_doc_build(small, 40, &in) == -1);
	/* No host: null, no evidence. */
	in.addr = NULL;
	in.host = NULL;
	n = notify_doc_build(buf, sizeof(buf), &in);
	CHECK(n > 0 && strstr(buf, "\"host\":null,\"coalesced\":2,\"eve\":{\"event_type\":\"tier\"},"
			      "\"evidence\":null,\"recent\":[]}") != NULL);
	notify_hosts_free(t);
}

static struct notify_rcv *exec_rcv(const char *name, char **argv, unsigned int argc,
				   uint32_t timeout, uint32_t retries, uint32_t queue)
{
	struct conf_notify c = { .name = (char *)name, .type = CONF_NOTIFY_EXEC, .timeout = timeout,
				 .retries = retries, .backoff = 1, .backoff_max = 1, .concurrency = 1,
				 .queue = queue };
	char err[128];
	unsigned int i;

	for (i = 0; i < argc; i++)
		c.command[i] = argv[i];
	c.n_command = argc;
	return notify_rcv_new(&c, err, sizeof(err));
}

/* Wait up to 15 s for a receiver's queue to empty. */
static bool settled(const struct notify_rcv *r)
{
	uint64_t end = now_monotonic_ms() + 15000;

	while (now_monotonic_ms() < end) {
		if (atomic_load(&r->cnt->queued) == 0)
			return true;
		usleep(20000);
	}
	return false;
}

static void test_engine(void)
{
	char out[] = "/tmp/mw-test-notify.XXXXXX", got[64] = "", err[NOTIFY_ERROR_MAX];
	char *tee[] = { "/usr/bin/tee", out }, *fail[] = { "/usr/bin/false" };
	char *hang[] = { "/usr/bin/sleep", "30" }, *none[] = { "/nonexistent/minewall-cmd" };
	struct conf_notify wc = { .name = "web", .type = CONF_NOTIFY_WEBHOOK,
				  .url = "http://127.0.0.1:1/h", .timeout = 2, .retries = 1,
				  .backoff = 1, .backoff_max = 1, .concurrency = 2, .queue = 10 };
	struct notify_rcv *r[6];
	struct notify *n;
	const char *doc = "{\"type\":\"test\"}";
	FILE *f;
	time_t when;
	int fd = mkstemp(out);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	r[0] = exec_rcv("tee", tee, 2, 5, 0, 10);
	r[1] = exec_rcv("false", fail, 1, 5, 1, 10);
	r[2] = exec_rcv("hang", hang, 2, 1, 0, 1);
	r[3] = exec_rcv("none", none, 1, 5, 0, 10);
	r[4] = notify_rcv_new(&wc, err, sizeof(err));
	r[5] = exec_rcv("gone", hang, 2, 1, 0, 10);
	CHECK(r[0] && r[1] && r[2] && r[3] && r[4] && r[5]);
	n = notify_new();
	CHECK(n != NULL);
	if (!n || !r[0] || !r[1] || !r[2] || !r[3] || !r[4] || !r[5])
		return;
	CHECK(notify_configure(n, r, 6) == 0);
	CHECK(notify_submit(n, r[0], "test", "id-0", doc, strlen(doc)) == 0);
	CHECK(notify_submit(n, r[1], "test", "id-1", doc, strlen(doc)) == 0);
	CHECK(notify_submit(n, r[2], "test", "id-2", doc, strlen(doc)) == 0);
	/* hang's queue holds one: the second is dropped at once. */
	CHECK(notify_submit(n, r[2], "test", "id-2b", doc, strlen(doc)) == -1);
	CHECK(atomic_load(&r[2]->cnt->n[NOTIFY_DROPPED]) == 1);
	CHECK(notify_submit(n, r[3], "test", "id-3", doc, strlen(doc)) == 0);
	CHECK(notify_submit(n, r[4], "test", "id-4", doc, strlen(doc)) == 0);
	/* gone holds one attempt (1 s) and one waiting; a reload without it drops the waiting one. */
	CHECK(notify_submit(n, r[5], "test", "id-5", doc, strlen(doc)) == 0);
	CHECK(notify_submit(n, r[5], "test", "id-6", doc, strlen(doc)) == 0);
	usleep(200000);
	CHECK(notify_configure(n, r, 5) == 0);

	CHECK(settled(r[0]) && settled(r[1]) && settled(r[2]) && settled(r[3]) && settled(r[4]) &&
	      settled(r[5]));
	CHECK(atomic_load(&r[0]->cnt->n[NOTIFY_DELIVERED]) == 1);
	f = fopen(out, "r");
	CHECK(f && fgets(got, sizeof(got), f) && strcmp(got, doc) == 0);
	if (f)
		fclose(f);
	CHECK(atomic_load(&r[1]->cnt->n[NOTIFY_REJECTED]) == 2);
	CHECK(atomic_load(&r[1]->cnt->n[NOTIFY_GAVE_UP]) == 1);
	notify_last_error(n, "false", err, sizeof(err), &when);
	CHECK_STR(err, "rejected: exit 1");
	CHECK(when > 0);
	CHECK(atomic_load(&r[2]->cnt->n[NOTIFY_TIMEOUT]) == 1);
	CHECK(atomic_load(&r[2]->cnt->n[NOTIFY_GAVE_UP]) == 1);
	CHECK(atomic_load(&r[3]->cnt->n[NOTIFY_ERROR]) == 1);
	notify_last_error(n, "none", err, sizeof(err), &when);
	CHECK(strstr(err, "error: minewall notify: execve failed: errno 2") != NULL);
	CHECK(atomic_load(&r[4]->cnt->n[NOTIFY_ERROR]) == 2);
	CHECK(atomic_load(&r[4]->cnt->n[NOTIFY_GAVE_UP]) == 1);
	CHECK(atomic_load(&r[5]->cnt->n[NOTIFY_TIMEOUT]) == 1);
	CHECK(atomic_load(&r[5]->cnt->n[NOTIFY_DROPPED]) == 1);
	CHECK(atomic_load(&r[0]->cnt->running) == 0 && atomic_load(&r[2]->cnt->running) == 0);

	/* Stopping: a hanging attempt is cut at the grace time, a queued one dropped. */
	CHECK(notify_submit(n, r[1], "test", "id-7", doc, strlen(doc)) == 0);
	{
		struct notify_rcv *h2 = exec_rcv("hang2", hang, 2, 60, 0, 10);
		uint64_t t0;

		CHECK(h2 && notify_configure(n, (struct notify_rcv *[]){ h2 }, 1) == 0);
		CHECK(h2 && notify_submit(n, h2, "test", "id-8", doc, strlen(doc)) == 0);
		usleep(200000);
		t0 = now_monotonic_ms();
		notify_free(n, 300);
		CHECK(now_monotonic_ms() - t0 < 3000);
		notify_rcv_unref(h2);
	}
	for (fd = 0; fd < 6; fd++)
		notify_rcv_unref(r[fd]);
	unlink(out);
}

int main(void)
{
	/* As minewalld does: a receiver that exits without reading its stdin
	 * (false, a missing command) must fail its delivery, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	test_sign();
	test_hosts();
	test_doc();
	test_engine();
	return UNIT_DONE();
}
