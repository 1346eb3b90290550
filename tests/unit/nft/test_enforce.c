// SPDX-License-Identifier: GPL-2.0-or-later
/* enforce: set names, entry kinds, element key encoding and decoding. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "enforce.h"
#include "ep_table.h"
#include "unit.h"

static struct ep_entry ep4(const char *a, unsigned int plen, uint16_t port)
{
	struct ep_entry e = { .family = AF_INET, .plen = (uint8_t)plen, .port = port };

	inet_pton(AF_INET, a, e.addr);
	return e;
}

static struct ep_entry ep6(const char *a, unsigned int plen, uint16_t port)
{
	struct ep_entry e = { .family = AF_INET6, .plen = (uint8_t)plen, .port = port };

	inet_pton(AF_INET6, a, e.addr);
	return e;
}

static void test_names(void)
{
	char b[64], small[8];

	CHECK(enforce_set_name(b, sizeof(b), ENF_DETECT, NULL, ENF_ADDR, AF_INET) == 0);
	CHECK_STR(b, "detect_addr4");
	CHECK(enforce_set_name(b, sizeof(b), ENF_LIST, NULL, ENF_CIDR, AF_INET6) == 0);
	CHECK_STR(b, "list_cidr6");
	CHECK(enforce_set_name(b, sizeof(b), ENF_DNS, NULL, ENF_EP, AF_INET) == 0);
	CHECK_STR(b, "dns_ep4");
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, "abuse-ch", ENF_CIDR, AF_INET6) == 0);
	CHECK_STR(b, "feed_abuse-ch_cidr6");
	/* The longest feed name fits in 31 characters, one more does not. */
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, "abcdefghijklmnopqrst",
			       ENF_CIDR, AF_INET) == 0);
	CHECK(strlen(b) == ENF_SET_NAME_MAX);
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, "abcdefghijklmnopqrstu",
			       ENF_ADDR, AF_INET) == -1 && errno == EINVAL);
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, "a b", ENF_ADDR, AF_INET) == -1);
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, "", ENF_ADDR, AF_INET) == -1);
	CHECK(enforce_set_name(b, sizeof(b), ENF_FEED, NULL, ENF_ADDR, AF_INET) == -1);
	CHECK(enforce_set_name(b, sizeof(b), ENF_LIST, "x", ENF_ADDR, AF_INET) == -1);
	CHECK(enforce_set_name(b, sizeof(b), ENF_LIST, NULL, ENF_ADDR, AF_UNIX) == -1);
	CHECK(enforce_set_name(small, sizeof(small), ENF_LIST, NULL, ENF_ADDR, AF_INET) == -1);
	CHECK(enforce_source_parse("dns") == ENF_DNS);
	CHECK(enforce_source_parse("feeds") == -1);
	CHECK_STR(enforce_source_name(ENF_FEED), "feed");
}

static void test_kinds(void)
{
	struct ep_entry e;

	e = ep4("192.0.2.1", 32, 0);
	CHECK(enforce_entry_kind(&e) == ENF_ADDR);
	e = ep4("192.0.2.0", 24, 0);
	CHECK(enforce_entry_kind(&e) == ENF_CIDR);
	e = ep4("192.0.2.1", 32, 3333);
	CHECK(enforce_entry_kind(&e) == ENF_EP);
	e = ep4("192.0.2.0", 24, 3333);		/* a prefix with a port: no set */
	CHECK(enforce_entry_kind(&e) == -1);
	e = ep4("192.0.2.0", 33, 0);
	CHECK(enforce_entry_kind(&e) == -1);
	e = ep6("2001:db8::", 129, 0);
	CHECK(enforce_entry_kind(&e) == -1);
	e.family = 0;
	CHECK(enforce_entry_kind(&e) == -1);
}

static void test_encode(void)
{
	static const uint8_t ep_key[] = { 203, 0, 113, 5, 0x0d, 0x05, 0, 0 };
	struct enforce_key k[2];
	struct ep_entry e, d;

	e = ep4("203.0.113.5", 32, 3333);
	CHECK(enforce_encode(&e, ENF_EP, k) == 1);
	CHECK(k[0].len == 8 && memcmp(k[0].data, ep_key, 8) == 0);
	CHECK(enforce_decode(AF_INET, ENF_EP, &k[0], NULL, &d) == 0);
	CHECK(d.port == 3333 && memcmp(d.addr, e.addr, 4) == 0 && d.plen == 32);
	CHECK(enforce_encode(&e, ENF_ADDR, k) == -1);

	/* Host bits are cleared; the end is one past the last address. */
	e = ep4("198.51.100.77", 24, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 2);
	CHECK(k[0].len == 4 && memcmp(k[0].data, "\xc6\x33\x64\x00", 4) == 0 && !k[0].end);
	CHECK(memcmp(k[1].data, "\xc6\x33\x65\x00", 4) == 0 && k[1].end);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], &k[1], &d) == 0);
	CHECK(d.plen == 24 && memcmp(d.addr, "\xc6\x33\x64\x00", 4) == 0);

	/* Carry across bytes; a range up to the top has no end element. */
	e = ep4("10.255.255.0", 24, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 2);
	CHECK(memcmp(k[1].data, "\x0b\x00\x00\x00", 4) == 0);
	e = ep4("255.255.255.0", 24, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 1);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], NULL, &d) == 0 && d.plen == 24);
	e = ep4("0.0.0.0", 0, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 1);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], NULL, &d) == 0 && d.plen == 0);
	/* A single address in an interval set (allowlists). */
	e = ep4("192.0.2.9", 32, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 2);
	CHECK(memcmp(k[1].data, "\xc0\x00\x02\x0a", 4) == 0);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], &k[1], &d) == 0 && d.plen == 32);

	e = ep6("2001:db8:5:ffff::", 48, 0);
	CHECK(enforce_encode(&e, ENF_CIDR, k) == 2);
	CHECK(k[0].len == 16 && k[0].data[5] == 0x05 && k[0].data[6] == 0);
	CHECK(k[1].data[5] == 0x06 && k[1].data[4] == 0x00 && k[1].data[3] == 0xb8);
	CHECK(enforce_decode(AF_INET6, ENF_CIDR, &k[0], &k[1], &d) == 0 && d.plen == 48);

	e = ep6("2001:db8::1", 128, 443);
	CHECK(enforce_encode(&e, ENF_EP, k) == 1 && k[0].len == 20);
	CHECK(k[0].data[16] == 0x01 && k[0].data[17] == 0xbb);

	/* A range that is no prefix, or keys of the wrong length. */
	k[0].len = 4;
	memcpy(k[0].data, "\x0a\x00\x00\x00", 4);
	k[1] = k[0];
	memcpy(k[1].data, "\x0a\x00\x00\x03", 4);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], &k[1], &d) == -1);
	memcpy(k[0].data, "\x0a\x00\x00\x01", 4);
	memcpy(k[1].data, "\x0a\x00\x00\x03", 4);
	CHECK(enforce_decode(AF_INET, ENF_CIDR, &k[0], &k[1], &d) == -1);
	CHECK(enforce_decode(AF_INET6, ENF_ADDR, &k[0], NULL, &d) == -1);
	k[0].len = 8;
	memset(k[0].data, 0, 8);
	CHECK(enforce_decode(AF_INET, ENF_EP, &k[0], NULL, &d) == -1);	/* port 0 */
}

int main(void)
{
	test_names();
	test_kinds();
	test_encode();
	return UNIT_DONE();
}
