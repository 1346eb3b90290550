// SPDX-License-Identifier: GPL-2.0-or-later
/* privs: the /proc status parser, capability names and the set minewalld keeps. */
#include "config.h"

#include <linux/capability.h>

#include "privs.h"
#include "unit.h"

/* A real /proc/PID/status of minewalld after the drop (kernel 6.18), trimmed. */
static const char status_dropped[] =
	"Name:\tminewalld\n"
	"Umask:\t0022\n"
	"State:\tS (sleeping)\n"
	"Uid:\t0\t0\t0\t0\n"
	"CapInh:\t0000000000000000\n"
	"CapPrm:\t0000000000001000\n"
	"CapEff:\t0000000000001000\n"
	"CapBnd:\t0000000000001000\n"
	"CapAmb:\t0000000000000000\n"
	"NoNewPrivs:\t1\n"
	"Seccomp:\t0\n";

static void test_parse(void)
{
	struct privs_sets s;
	char buf[sizeof(status_dropped) + 64];

	CHECK(privs_parse_status(status_dropped, sizeof(status_dropped) - 1, &s) == 0);
	CHECK(s.eff == PRIVS_BIT(CAP_NET_ADMIN) && s.prm == PRIVS_BIT(CAP_NET_ADMIN));
	CHECK(s.bnd == PRIVS_BIT(CAP_NET_ADMIN) && s.inh == 0 && s.amb == 0);
	CHECK(s.eff == privs_daemon_keep());

	/* A full root set, the last line without a newline. */
	static const char root[] = "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
		"CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000";
	CHECK(privs_parse_status(root, sizeof(root) - 1, &s) == 0);
	CHECK(s.eff == 0x1ffffffffffULL && s.bnd == 0x1ffffffffffULL && s.amb == 0);

	/* The length is the bound: the text is cut before CapAmb's value. */
	CHECK(privs_parse_status(root, sizeof(root) - 1 - 16, &s) == -1);
	/* A missing line, a duplicate, a bad digit, 17 digits, an empty value. */
	CHECK(privs_parse_status(status_dropped, 90, &s) == -1);
	snprintf(buf, sizeof(buf), "%sCapEff:\t0000000000000000\n", status_dropped);
	CHECK(privs_parse_status(buf, strlen(buf), &s) == -1);
	static const char bad[] = "CapInh:\t0\nCapPrm:\t0\nCapEff:\t00g0\nCapBnd:\t0\nCapAmb:\t0\n";
	CHECK(privs_parse_status(bad, sizeof(bad) - 1, &s) == -1);
	static const char wide[] = "CapInh:\t0\nCapPrm:\t0\nCapEff:\t00000000000000001\n"
		"CapBnd:\t0\nCapAmb:\t0\n";
	CHECK(privs_parse_status(wide, sizeof(wide) - 1, &s) == -1);
	static const char empty[] = "CapInh:\t0\nCapPrm:\t0\nCapEff:\t\nCapBnd:\t0\nCapAmb:\t0\n";
	CHECK(privs_parse_status(empty, sizeof(empty) - 1, &s) == -1);
	/* Short values are fine; a key inside another line is not one. */
	static const char shortv[] = "CapInh: 0\nCapPrm: 1000\nCapEff: 1000\nCapBnd: 1001\n"
		"CapAmb: 0\nXCapEff: 1\n";
	CHECK(privs_parse_status(shortv, sizeof(shortv) - 1, &s) == 0);
	CHECK(s.eff == 0x1000 && s.bnd == 0x1001);
	CHECK(privs_parse_status("", 0, &s) == -1);
}

static void test_names(void)
{
	char buf[64];

	CHECK(privs_names(PRIVS_BIT(CAP_NET_ADMIN), buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "cap_net_admin");
	CHECK(privs_names(PRIVS_BIT(CAP_CHOWN) | PRIVS_BIT(CAP_NET_ADMIN), buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "cap_chown,cap_net_admin");
	CHECK(privs_names(PRIVS_BIT(40) | PRIVS_BIT(63), buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "cap_checkpoint_restore,cap_63");
	CHECK(privs_names(0, buf, sizeof(buf)) == 0);
	CHECK_STR(buf, "none");
	/* Exactly fits, one byte short, no room at all. */
	CHECK(privs_names(PRIVS_BIT(CAP_NET_ADMIN), buf, 14) == 0);
	CHECK_STR(buf, "cap_net_admin");
	CHECK(privs_names(PRIVS_BIT(CAP_NET_ADMIN), buf, 13) == -1);
	CHECK_STR(buf, "");
	CHECK(privs_names(0, buf, 4) == -1);
	CHECK(privs_names(0, buf, 0) == -1);
}

int main(void)
{
	test_parse();
	test_names();
	return UNIT_DONE();
}
