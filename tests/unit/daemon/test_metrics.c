// SPDX-License-Identifier: GPL-2.0-or-later
/* metrics: request judgement, listen addresses, and the exposition text. */
#include "config.h"

#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "detect.h"
#include "addr_port.h"
#include "metrics.h"
#include "unit.h"

static int check_str(const char *s)
{
	return metrics_http_check((const uint8_t *)s, strlen(s));
}

static void test_http(void)
{
	static uint8_t big[METRICS_MAX_REQUEST + 100];
	size_t n;

	CHECK(check_str("GET /metrics HTTP/1.1\r\nHost: gw:9477\r\nAccept: */*\r\n\r\n") == 200);
	CHECK(check_str("GET /metrics HTTP/1.0\r\n\r\n") == 200);
	CHECK(check_str("GET /metrics?name[]=up HTTP/1.1\r\n\r\n") == 200);
	CHECK(check_str("GET / HTTP/1.1\r\n\r\n") == 404);
	CHECK(check_str("GET /metricsx HTTP/1.1\r\n\r\n") == 404);
	CHECK(check_str("GET /metric HTTP/1.1\r\n\r\n") == 404);
	CHECK(check_str("GET http://gw/metrics HTTP/1.1\r\n\r\n") == 404);
	CHECK(check_str("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n") == 405);
	CHECK(check_str("HEAD /metrics HTTP/1.1\r\n\r\n") == 405);
	/* Incomplete heads wait for more. */
	CHECK(check_str("") == 0);
	CHECK(check_str("GE") == 0);
	CHECK(check_str("GET /metrics HTTP/1.1\r\n") == 0);
	CHECK(check_str("GET /metrics HTTP/1.1\r\nHost: x\r\n") == 0);
	/* Garbage. */
	CHECK(check_str("\x16\x03\x01\x02\x00") == 400);
	CHECK(check_str("BREW /pot HTCPCP/1.0\r\n\r\n") == 400);
	CHECK(check_str("GET /metrics HTTP/2.0\r\n\r\n") == 400);
	CHECK(check_str("GET /metrics HTTP/1.1\n\n") == 400);
	CHECK(check_str("GET  /metrics HTTP/1.1\r\n\r\n") == 400);
	CHECK(check_str("GET /metrics HTTP/1.1\r\nno colon\r\n\r\n") == 400);
	CHECK(check_str("GET /metrics HTTP/1.1\r\nContent-Length: x\r\n\r\n") == 400);
	/* Oversized heads are refused at the bound, never read past. */
	n = (size_t)snprintf((char *)big, sizeof(big), "GET /metrics HTTP/1.1\r\nX: ");
	memset(big + n, 'a', sizeof(big) - n);
	CHECK(metrics_http_check(big, METRICS_MAX_REQUEST - 1) == 0);
	CHECK(metrics_http_check(big, METRICS_MAX_REQUEST) == 400);
	CHECK(metrics_http_check(big, sizeof(big)) == 400);
}

static void test_listen(void)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	char buf[64];
	socklen_t len;

	CHECK(addr_port_parse("127.0.0.1:9477", &ss, &len) == 0);
	CHECK(ss.ss_family == AF_INET && len == sizeof(*sin) && ntohs(sin->sin_port) == 9477);
	CHECK(sin->sin_addr.s_addr == htonl(0x7f000001));
	CHECK(addr_port_parse("0.0.0.0:1", &ss, &len) == 0);
	CHECK(addr_port_parse("[::1]:65535", &ss, &len) == 0);
	CHECK(ss.ss_family == AF_INET6 && len == sizeof(*sin6) && ntohs(sin6->sin6_port) == 65535);
	inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
	CHECK_STR(buf, "::1");
	CHECK(addr_port_parse("[2001:db8::1]:9477", &ss, &len) == 0);
	CHECK(addr_port_parse("", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:0", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:65536", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:123456", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:94x7", &ss, &len) == -1);
	CHECK(addr_port_parse("127.0.0.1:-1", &ss, &len) == -1);
	CHECK(addr_port_parse("localhost:9477", &ss, &len) == -1);
	CHECK(addr_port_parse("::1:9477", &ss, &len) == -1);
	CHECK(addr_port_parse("[::1]9477", &ss, &len) == -1);
	CHECK(addr_port_parse("[::1", &ss, &len) == -1);
	CHECK(addr_port_parse("[127.0.0.1]:80", &ss, &len) == -1);
	CHECK(addr_port_parse("[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", &ss, &len) == -1);
	CHECK(addr_port_parse("256.0.0.1:80", &ss, &len) == -1);
}

static void test_render(void)
{
	static struct mwstats_tally t;
	struct mwstats st = { .start_time = 1700000000, .flow_capacity = 1024, .tally = &t };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	st.queue.packets = 10;
	st.queue.accepted = 8;
	st.queue.dropped = 2;
	st.flows.active = 3;
	st.reloads_failed = 1;
	mwstats_tally_add(&t, "stratum", "bitcoin");
	mwstats_tally_add(&t, "stratum", "we\"ird");
	metrics_render(f, &st);
	fclose(f);
	CHECK(strstr(text, "# HELP minewall_up ") != NULL);
	CHECK(strstr(text, "# TYPE minewall_up gauge\nminewall_up 1\n") != NULL);
	CHECK(strstr(text, "\nminewall_start_time_seconds 1700000000\n") != NULL);
	CHECK(strstr(text, "# TYPE minewall_packets_queued_total counter\n"
			   "minewall_packets_queued_total 10\n") != NULL);
	CHECK(strstr(text, "minewall_verdicts_total{action=\"accept\"} 8\n"
			   "minewall_verdicts_total{action=\"drop\"} 2\n"
			   "minewall_verdicts_total{action=\"repeat\"} 0\n") != NULL);
	CHECK(strstr(text, "minewall_detections_total{detector=\"stratum\",dialect=\"bitcoin\"} 1\n") != NULL);
	CHECK(strstr(text, "minewall_detections_total{detector=\"stratum\",dialect=\"we\\\"ird\"} 1\n") != NULL);
	/* Detectors without detections show a zero series. */
	CHECK(strstr(text, "minewall_detections_total{detector=\"sv2\",dialect=\"\"} 0\n") != NULL);
	CHECK(strstr(text, "\nminewall_flows 3\n") != NULL);
	CHECK(strstr(text, "\nminewall_flow_table_capacity 1024\n") != NULL);
	CHECK(strstr(text, "minewall_reloads_total{result=\"ok\"} 0\n"
			   "minewall_reloads_total{result=\"failed\"} 1\n") != NULL);
	CHECK(strstr(text, "minewall_queue_enobufs_total 0\n") != NULL);
	CHECK(strstr(text, "minewall_learned_addresses_total 0\n") != NULL);
	CHECK(strstr(text, "minewall_malformed_packets_total 0\n") != NULL);
	CHECK(strstr(text, "minewall_flows_created_total 0\n") != NULL);
	CHECK(strstr(text, "minewall_flows_evicted_total 0\n") != NULL);
	CHECK(strstr(text, "minewall_queue_errors_total 0\n") != NULL);
	CHECK(len > 0 && text[len - 1] == '\n');
	free(text);
}

/* Per-feed families: one sample per feed, none for a feed without the value
 * (a lag needs an issue time), in the order of the feeds. */
static void test_render_feeds(void)
{
	static struct mwstats_tally t;
	static struct mwstats st = { .tally = &t, .now = 1700000100, .n_feeds = 2 };
	struct mwstats_feed *a = &st.feeds[0], *b = &st.feeds[1];
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	snprintf(a->name, sizeof(a->name), "isp-a");
	a->in_force = true;
	a->serial = 18446744073709551615u;
	a->issued = 1700000090;
	a->accepted = 1700000040;
	a->last_ok = 1700000095;
	a->entries = 4;
	a->polls[0] = 7;
	a->polls[2] = 1;
	a->delta_applies = 3;
	a->fallbacks = 2;
	a->rejected = 5;
	snprintf(b->name, sizeof(b->name), "b\"q");
	b->last_error_time = 1700000001;
	b->errors = 9;
	metrics_render(f, &st);
	fclose(f);
	CHECK(strstr(text, "# TYPE minewall_feed_serial gauge\n"
			   "minewall_feed_serial{feed=\"isp-a\"} 18446744073709551615\n"
			   "minewall_feed_serial{feed=\"b\\\"q\"} 0\n") != NULL);
	CHECK(strstr(text, "# TYPE minewall_feed_lag_seconds gauge\n"
			   "minewall_feed_lag_seconds{feed=\"isp-a\"} 10\n# HELP") != NULL);
	CHECK(strstr(text, "minewall_feed_age_seconds{feed=\"isp-a\"} 60\n"
			   "minewall_feed_age_seconds{feed=\"b\\\"q\"} -1\n") != NULL);
	CHECK(strstr(text, "minewall_feed_entries{feed=\"isp-a\"} 4\n") != NULL);
	CHECK(strstr(text, "minewall_feed_last_success_timestamp_seconds{feed=\"isp-a\"} 1700000095\n"
			   "minewall_feed_last_success_timestamp_seconds{feed=\"b\\\"q\"} 0\n") != NULL);
	CHECK(strstr(text, "minewall_feed_last_error_timestamp_seconds{feed=\"b\\\"q\"} 1700000001\n")
	      != NULL);
	CHECK(strstr(text, "minewall_feed_polls_total{feed=\"isp-a\",result=\"304\"} 7\n"
			   "minewall_feed_polls_total{feed=\"isp-a\",result=\"200\"} 0\n"
			   "minewall_feed_polls_total{feed=\"isp-a\",result=\"error\"} 1\n") != NULL);
	CHECK(strstr(text, "minewall_feed_applies_total{feed=\"isp-a\",via=\"delta\"} 3\n") != NULL);
	CHECK(strstr(text, "# TYPE minewall_feed_fallbacks_total counter\n"
			   "minewall_feed_fallbacks_total{feed=\"isp-a\"} 2\n") != NULL);
	CHECK(strstr(text, "minewall_feed_failures_total{feed=\"isp-a\",kind=\"rejected\"} 5\n") != NULL);
	CHECK(strstr(text, "minewall_feed_failures_total{feed=\"b\\\"q\",kind=\"error\"} 9\n") != NULL);
	free(text);
}

int main(void)
{
	test_http();
	test_listen();
	test_render();
	test_render_feeds();
	return UNIT_DONE();
}
