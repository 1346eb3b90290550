// SPDX-License-Identifier: GPL-2.0-or-later
/* state_file: round trip of every kind, expiry, each corruption, every truncation, leftovers, atomic replace. */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "state_file.h"
#include "state_file_int.h"
#include "state_item_same.h"
#include "unit.h"

#define T0	1700000000000ULL

static char dir[64];
static char path[128];

static const char valid[] =
	"minewall-state 1\n"
	"block detect 198.51.100.7:3333 1700000600000 stratum login\n"
	"block dns 203.0.113.0/24 0\n"
	"block detect [2001:db8::1]:4444 0 sv2 handshake\n"
	"block dns 2001:db8::/32 0 pool.example\n"
	"block detect 198.51.100.0:80 0\n"
	"tier 10.0.0.5 throttle 3 1700000000000 1700000600000 1700000000000\n"
	"tier 2001:db8::5 quarantine 7 1700000000000 0 1700000001000\n"
	"allow allow 192.0.2.1 0 admin\n"
	"allow qallow 2001:db8:1::/48 1700000600000  two spaces\n"
	"end 9\n";

static void put(const char *p, const char *data, size_t len)
{
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0600);

	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	close(fd);
}

static char *get(const char *p, size_t *len)
{
	static char buf[65536];
	int fd = open(p, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Files in dir other than "state", removed; returns how many. */
static int sweep(const char *prefix_must)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];
	int n = 0;

	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "state") == 0)
			continue;
		if (prefix_must)
			CHECK(strncmp(de->d_name, prefix_must, strlen(prefix_must)) == 0);
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
		n++;
	}
	closedir(d);
	return n;
}

static struct state_item block(enum enforce_source src, const char *ep, uint64_t exp,
			       const char *reason)
{
	struct state_item it = { .kind = STATE_BLOCK, .source = src };
	char err[128];

	CHECK(ep_parse(ep, &it.ep, err, sizeof(err)) == 0);
	it.ep.expires_ms = exp;
	snprintf(it.reason, sizeof(it.reason), "%s", reason);
	return it;
}

static struct state_item allow(enum enforce_allow w, const char *ep, uint64_t exp,
			       const char *reason)
{
	struct state_item it = block(ENF_DETECT, ep, exp, reason);

	it.kind = STATE_ALLOW;
	it.source = 0;
	it.which = w;
	return it;
}

static struct state_item tier(int family, const char *a, enum enforce_tier t, uint32_t det,
			      uint64_t since, uint64_t until, uint64_t last)
{
	struct state_item it = { .kind = STATE_TIER };

	it.host.family = (uint8_t)family;
	CHECK(inet_pton(family, a, it.host.addr) == 1);
	it.host.tier = t;
	it.host.detections = det;
	it.host.tier_since_ms = since;
	it.host.tier_until_ms = until;
	it.host.last_ms = last;
	return it;
}

static void test_round_trip(void)
{
	struct state st, back;
	struct state_item items[12];
	char err[256];
	const char *text;
	size_t i, n = 0;

	items[n++] = block(ENF_DETECT, "198.51.100.7", T0 + 600000, "stratum login");
	items[n++] = block(ENF_DETECT, "198.51.100.7:3333", 0, "");
	items[n++] = block(ENF_DNS, "203.0.113.0/24", T0 + 1, "pool.example A");
	items[n++] = block(ENF_DETECT, "[2001:db8::1]:3333", 0, " lead and trail ");
	items[n++] = block(ENF_DNS, "2001:db8::/32", 0, "AAAA");
	items[n++] = block(ENF_DETECT, "2001:db8::7", 0, "x");
	items[n++] = block(ENF_DETECT, "::ffff:1.2.3.4", 0, "mapped");
	items[n++] = tier(AF_INET, "10.0.0.5", ENF_THROTTLE, 3, T0, T0 + 600000, T0);
	items[n++] = tier(AF_INET6, "2001:db8::5", ENF_QUARANTINE, 4294967295u, T0, 0, T0 + 5);
	items[n++] = tier(AF_INET, "10.0.0.6", ENF_WATCH, 0, 0, 0, 0);
	items[n++] = allow(ENF_ALLOW, "192.0.2.1", 0, "admin said so");
	items[n++] = allow(ENF_QALLOW, "2001:db8:1::/48", T0 + 10, "update server");
	state_init(&st);
	state_init(&back);
	for (i = 0; i < n; i++)
		CHECK(state_add(&st, &items[i]) == 0);
	CHECK(state_write(path, &st, err, sizeof(err)) == 0);
	text = get(path, NULL);
	CHECK(text != NULL);
	CHECK(strncmp(text, "minewall-state 1\n"
		      "block detect 198.51.100.7 1700000600000 stratum login\n"
		      "block detect 198.51.100.7:3333 0\n"
		      "block dns 203.0.113.0/24 1700000000001 pool.example A\n"
		      "block detect [2001:db8::1]:3333 0  lead and trail \n"
		      "block dns 2001:db8::/32 0 AAAA\n"
		      "block detect 2001:db8::7 0 x\n"
		      "block detect ::ffff:1.2.3.4 0 mapped\n"
		      "tier 10.0.0.5 throttle 3 1700000000000 1700000600000 1700000000000\n"
		      "tier 2001:db8::5 quarantine 4294967295 1700000000000 0 1700000000005\n"
		      "tier 10.0.0.6 watch 0 0 0 0\n"
		      "allow allow 192.0.2.1 0 admin said so\n"
		      "allow qallow 2001:db8:1::/48 1700000000010 update server\n"
		      "end 12\n", 4096) == 0);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(state_read(path, &back, 0, err, sizeof(err)) == 0);
	CHECK(back.n == n);
	for (i = 0; i < n && i < back.n; i++)
		CHECK(state_item_same(&items[i], &back.items[i]));
	/* Expired at T0+1: the dns block (T0+1 <= now) goes, the rest stays. */
	CHECK(state_read(path, &back, T0 + 1, err, sizeof(err)) == 0);
	CHECK(back.n == n - 1);
	CHECK(state_item_same(&back.items[2], &items[3]));
	/* At T0+600000: the first block, the throttle and the qallow are over too. */
	CHECK(state_read(path, &back, T0 + 600000, err, sizeof(err)) == 0);
	CHECK(back.n == n - 4);
	for (i = 0; i < back.n; i++)
		CHECK(back.items[i].ep.expires_ms == 0 && back.items[i].host.tier_until_ms == 0);
	CHECK(sweep(NULL) == 0);

	/* Control bytes in a reason are written as '?', long ones cut at 63. */
	state_fini(&st);
	items[0] = block(ENF_DETECT, "192.0.2.9", 0, "");
	memcpy(items[0].reason, "a\tb\nc\x7f\xc3\xa9", 9);
	CHECK(state_add(&st, &items[0]) == 0);
	items[1] = block(ENF_DETECT, "192.0.2.10", 0, "");
	memset(items[1].reason, 'r', 63);
	CHECK(state_add(&st, &items[1]) == 0);
	CHECK(state_write(path, &st, err, sizeof(err)) == 0);
	CHECK(state_read(path, &back, 0, err, sizeof(err)) == 0);
	CHECK(back.n == 2);
	CHECK_STR(back.items[0].reason, "a?b?c???");
	CHECK(strlen(back.items[1].reason) == 63);

	/* Items the file cannot hold fail the write before the disk is touched. */
	text = get(path, NULL);
	{
		char before[4096];

		snprintf(before, sizeof(before), "%s", text);
		items[2] = block(ENF_LIST, "192.0.2.11", 0, "");
		CHECK(state_add(&st, &items[2]) == 0);
		errno = 0;
		CHECK(state_write(path, &st, err, sizeof(err)) == -1 && errno == EINVAL);
		CHECK_STR(err, "item 3: block: source 2 is not kept in the state file");
		CHECK_STR(get(path, NULL), before);
		st.n--;
		items[2] = allow(ENF_ALLOW, "192.0.2.11:80", 0, "");
		CHECK(state_add(&st, &items[2]) == 0);
		CHECK(state_write(path, &st, err, sizeof(err)) == -1);
		CHECK_STR(err, "item 3: allow: invalid entry");
		st.n--;
		items[2] = block(ENF_DETECT, "192.0.2.11", 0, "");
		items[2].ep.plen = 24;	/* host bits set */
		CHECK(state_add(&st, &items[2]) == 0);
		CHECK(state_write(path, &st, err, sizeof(err)) == -1);
		CHECK_STR(err, "item 3: block: invalid entry");
		CHECK_STR(get(path, NULL), before);
		CHECK(sweep(NULL) == 0);
	}
	state_fini(&st);
	state_fini(&back);
}

struct bad {
	const char *text;
	const char *err;	/* after "path:" */
};

static const struct bad bads[] = {
	{ "", "1: empty file" },
	{ "minewall-state 2\nend 0\n", "1: not a state file (expected \"minewall-state 1\")" },
	{ "# state\nend 0\n", "1: not a state file (expected \"minewall-state 1\")" },
	{ "minewall-state 1\n", "2: missing end line (file truncated?)" },
	{ "minewall-state 1\nend 0", "2: last line has no newline (file truncated?)" },
	{ "minewall-state 1\nend 1\n", "2: end: count 1 but 0 items (file damaged?)" },
	{ "minewall-state 1\nblock dns 1.2.3.4 0\nend 0\n", "3: end: count 0 but 1 items (file damaged?)" },
	{ "minewall-state 1\nend 0\nend 0\n", "3: data after the end line" },
	{ "minewall-state 1\nend x\n", "2: end: expected end COUNT" },
	{ "minewall-state 1\nend 00\n", "2: end: expected end COUNT" },
	{ "minewall-state 1\nend 0 \n", "2: end: expected end COUNT" },
	{ "minewall-state 1\n\nend 0\n", "2: unknown item \"\"" },
	{ "minewall-state 1\nblocks 1.2.3.4\nend 0\n", "2: unknown item \"blocks\"" },
	{ "minewall-state 1\nblock nope 1.2.3.4 0\nend 1\n", "2: block: unknown source \"nope\"" },
	{ "minewall-state 1\nblock feed 1.2.3.4 0\nend 1\n",
	  "2: block: source \"feed\" is not kept in the state file" },
	{ "minewall-state 1\nblock detect 1.2.3.4\nend 1\n", "2: block: expected SOURCE EP EXPIRES_MS [REASON]" },
	{ "minewall-state 1\nblock detect  1.2.3.4 0\nend 1\n", "2: block: expected SOURCE EP EXPIRES_MS [REASON]" },
	{ "minewall-state 1\nblock detect 1.2.3.256 0\nend 1\n", "2: block: invalid IPv4 address \"1.2.3.256\"" },
	{ "minewall-state 1\nblock detect 1.2.3.4/24 0\nend 1\n",
	  "2: block: address \"1.2.3.4\" has bits set beyond /24" },
	{ "minewall-state 1\nblock detect [2001:db8::/32]:80 0\nend 1\n",
	  "2: block: \"[2001:db8::/32]:80\" has both a prefix and a port" },
	{ "minewall-state 1\nblock detect 1.2.3.4 -1\nend 1\n", "2: invalid expires_ms \"-1\"" },
	{ "minewall-state 1\nblock detect 1.2.3.4 253402300800000\nend 1\n",
	  "2: invalid expires_ms \"253402300800000\"" },
	{ "minewall-state 1\nblock detect 1.2.3.4 99999999999999999999999\nend 1\n",
	  "2: invalid expires_ms \"99999999999999999999999\"" },
	{ "minewall-state 1\nblock detect 1.2.3.4 0 a\tb\nend 1\n",
	  "2: reason has a control or non-ASCII byte at column 2" },
	{ "minewall-state 1\nblock detect 1.2.3.4 0 a\rb\nend 1\n",
	  "2: reason has a control or non-ASCII byte at column 2" },
	{ "minewall-state 1\nblock detect 1.2.3.4 0 "
	  "0123456789012345678901234567890123456789012345678901234567890123\nend 1\n",
	  "2: reason longer than 63 bytes" },
	{ "minewall-state 1\nallow both 1.2.3.4 0\nend 1\n", "2: allow: unknown list \"both\" (allow or qallow)" },
	{ "minewall-state 1\nallow allow 1.2.3.4:80 0\nend 1\n", "2: allow: \"1.2.3.4:80\" has a port" },
	{ "minewall-state 1\ntier 10.0.0.1 throttle 1 0 0\nend 1\n",
	  "2: tier: expected ADDR TIER DETECTIONS SINCE_MS UNTIL_MS LAST_MS" },
	{ "minewall-state 1\ntier 10.0.0.1 throttle 1 0 0 0 0\nend 1\n",
	  "2: tier: expected ADDR TIER DETECTIONS SINCE_MS UNTIL_MS LAST_MS" },
	{ "minewall-state 1\ntier 10.0.0.0/8 throttle 1 0 0 0\nend 1\n", "2: tier: invalid address \"10.0.0.0/8\"" },
	{ "minewall-state 1\ntier 10.0.0.1 jail 1 0 0 0\nend 1\n",
	  "2: tier: unknown tier \"jail\" (watch, throttle or quarantine)" },
	{ "minewall-state 1\ntier 10.0.0.1 watch 4294967296 0 0 0\nend 1\n", "2: invalid detections \"4294967296\"" },
	{ "minewall-state 1\ntier 10.0.0.1 watch 1 0 +5 0\nend 1\n", "2: invalid until_ms \"+5\"" },
	{ "minewall-state 1\nblock detect 1.2.3.4 0 a\0b\nend 1\n", "2: NUL byte in line" },
};

static void test_corrupt(void)
{
	char err[512], want[600];
	struct state st;
	size_t i;

	state_init(&st);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		size_t len = strlen(bads[i].text);
		int r;

		/* The NUL case: its length up to the final newline. */
		if (strstr(bads[i].err, "NUL"))
			len = sizeof("minewall-state 1\nblock detect 1.2.3.4 0 a\0b\nend 1\n") - 1;
		put(path, bads[i].text, len);
		/* Something in st beforehand: it must come back empty. */
		{
			struct state_item it = block(ENF_DNS, "192.0.2.1", 0, "old");

			state_add(&st, &it);
		}
		err[0] = '\0';
		r = state_read(path, &st, 0, err, sizeof(err));
		snprintf(want, sizeof(want), "%s:%s", path, bads[i].err);
		CHECK(r == 1);
		CHECK(st.n == 0);
		if (strcmp(err, want) != 0)
			fprintf(stderr, "case %zu: got \"%s\"\n       want \"%s\"\n", i, err, want);
		CHECK_STR(err, want);
		CHECK(access(path, F_OK) < 0 && errno == ENOENT);
		CHECK(sweep("state.corrupt-") == 1);
	}
	/* A line of 512 bytes is fine, 513 is not. */
	{
		char buf[1200], line[600];
		size_t l;

		memset(line, 'x', sizeof(line));
		memcpy(line, "block", 5);
		line[513] = '\0';
		l = (size_t)snprintf(buf, sizeof(buf), "minewall-state 1\n%s\nend 0\n", line);
		put(path, buf, l);
		CHECK(state_read(path, &st, 0, err, sizeof(err)) == 1);
		snprintf(want, sizeof(want), "%s:2: line longer than 512 bytes", path);
		CHECK_STR(err, want);
		CHECK(sweep("state.corrupt-") == 1);
		line[512] = '\0';
		l = (size_t)snprintf(buf, sizeof(buf), "minewall-state 1\n%s\nend 0\n", line);
		put(path, buf, l);
		CHECK(state_read(path, &st, 0, err, sizeof(err)) == 1);
		snprintf(want, sizeof(want), "%s:2: unknown item \"blockxxxxxxxxxxx\"", path);
		CHECK_STR(err, want);
		CHECK(sweep("state.corrupt-") == 1);
	}
	state_fini(&st);
}

/* Every proper prefix of a valid file is rejected and loads nothing. */
static void test_truncated(void)
{
	size_t len = sizeof(valid) - 1, cut;
	struct state st;
	char err[512];
	unsigned int failures = 0;

	state_init(&st);
	put(path, valid, len);
	CHECK(state_read(path, &st, 0, err, sizeof(err)) == 0);
	CHECK(st.n == 9);
	for (cut = 0; cut < len; cut++) {
		put(path, valid, cut);
		if (state_read(path, &st, 0, err, sizeof(err)) != 1 || st.n != 0 ||
		    access(path, F_OK) == 0)
			failures++;
		sweep("state.corrupt-");
	}
	CHECK(failures == 0);
	/* The same through the buffer parser. */
	for (cut = 0, failures = 0; cut < len; cut++) {
		unsigned int line;

		if (state_parse(valid, cut, &st, 0, &line, err, sizeof(err)) != -1 || st.n != 0)
			failures++;
	}
	CHECK(failures == 0);
	state_fini(&st);
}

static void test_files(void)
{
	struct state st;
	struct state_item it = block(ENF_DETECT, "192.0.2.44", 0, "x");
	char err[512], tmp[256], other[256];
	pid_t pid;
	int fd;

	state_init(&st);
	/* Missing: empty, 0. */
	unlink(path);
	state_add(&st, &it);
	CHECK(state_read(path, &st, 0, err, sizeof(err)) == 0 && st.n == 0);

	/* A leftover with our own pid (pid reuse after a crash) does not
	 * block the write. */
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	put(tmp, "garbage", 7);
	state_add(&st, &it);
	CHECK(state_write(path, &st, err, sizeof(err)) == 0);
	CHECK(access(tmp, F_OK) < 0);

	/* A leftover of a dead writer: ignored by the reader and removed. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)pid);
	put(tmp, "minewall-state 1\nhalf", 21);
	/* ... but not one of a live process (ours, the parent's pid). */
	snprintf(other, sizeof(other), "%s.tmp.%ld", path, (long)getppid());
	put(other, "x", 1);
	CHECK(state_read(path, &st, 0, err, sizeof(err)) == 0 && st.n == 1);
	CHECK(access(tmp, F_OK) < 0);
	CHECK(access(other, F_OK) == 0);
	unlink(other);

	/* Atomic replace: a reader holding the old file sees it whole; the
	 * name points at the new one; the inode changed. */
	{
		struct stat a, b;
		char buf[256];
		ssize_t n;

		fd = open(path, O_RDONLY);
		CHECK(fd >= 0 && fstat(fd, &a) == 0);
		state_add(&st, &it);
		state_add(&st, &it);
		CHECK(state_write(path, &st, err, sizeof(err)) == 0);
		CHECK(stat(path, &b) == 0 && a.st_ino != b.st_ino);
		n = read(fd, buf, sizeof(buf) - 1);
		CHECK(n > 0);
		buf[n > 0 ? n : 0] = '\0';
		CHECK_STR(buf, "minewall-state 1\nblock detect 192.0.2.44 0 x\nend 1\n");
		close(fd);
		CHECK(state_read(path, &st, 0, err, sizeof(err)) == 0 && st.n == 3);
	}
	CHECK(sweep(NULL) == 0);

	/* Write into a directory that does not exist: -1, errno, the tmp name. */
	{
		char bad[256], want[400];

		snprintf(bad, sizeof(bad), "%s/nodir/state", dir);
		errno = 0;
		CHECK(state_write(bad, &st, err, sizeof(err)) == -1 && errno == ENOENT);
		snprintf(want, sizeof(want), "%s.tmp.%ld: open: No such file or directory", bad,
			 (long)getpid());
		CHECK_STR(err, want);
	}
	/* A directory where the file should be: an I/O error, -1, nothing moved. */
	{
		char d2[256];

		snprintf(d2, sizeof(d2), "%s/adir", dir);
		CHECK(mkdir(d2, 0700) == 0);
		CHECK(state_read(d2, &st, 0, err, sizeof(err)) == -1);
		CHECK(access(d2, F_OK) == 0);
		rmdir(d2);
	}
	/* Empty state round trip. */
	state_fini(&st);
	CHECK(state_write(path, &st, err, sizeof(err)) == 0);
	CHECK_STR(get(path, NULL), "minewall-state 1\nend 0\n");
	CHECK(state_read(path, &st, 0, err, sizeof(err)) == 0 && st.n == 0);
	state_fini(&st);
}

static void test_parse_line_numbers(void)
{
	struct state st;
	char err[256];
	unsigned int line = 0;
	const char *t = "minewall-state 1\nblock dns 1.2.3.4 0\nblock dns 1.2.3.5 0\ntier x\nend 3\n";

	state_init(&st);
	CHECK(state_parse(t, strlen(t), &st, 0, &line, err, sizeof(err)) == -1);
	CHECK(line == 4 && st.n == 0);
	CHECK_STR(err, "tier: expected ADDR TIER DETECTIONS SINCE_MS UNTIL_MS LAST_MS");
	state_fini(&st);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/mw-state-test.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	test_round_trip();
	test_corrupt();
	test_truncated();
	test_files();
	test_parse_line_numbers();
	unlink(path);
	sweep(NULL);
	rmdir(dir);
	return UNIT_DONE();
}
