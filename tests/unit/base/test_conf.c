// SPDX-License-Identifier: GPL-2.0-or-later
/* conf: the shipped file, defaults, golden error output in tests/conf, and edge cases. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "conf.h"
#include "log.h"
#include "unit.h"

#define BL SYSCONFDIR "/minewall/blocklists/"

static const char *top_srcdir(void)
{
	const char *t = getenv("top_srcdir");

	return t ? t : ".";
}

static void check_actions(const struct mw_conf *c, const char *expect)
{
	char got[128] = "";
	int i;

	for (i = 0; i < CONF_DET_COUNT; i++) {
		strcat(got, conf_action_name(c->action[i]));
		strcat(got, i + 1 < CONF_DET_COUNT ? " " : "");
	}
	CHECK_STR(got, expect);
}

/* Every value that is the same in the built-in defaults and the shipped file. */
static void check_common_defaults(const struct mw_conf *c)
{
	CHECK(c->queue_num == 0);
	CHECK(c->queue_count == 1);
	CHECK(c->copy_range == 4096);
	CHECK(c->queue_maxlen == 8192);
	CHECK(c->fail_open);
	CHECK(c->hook_output);
	CHECK(c->hook_forward);
	CHECK(c->n_interfaces == 0);
	CHECK(c->interfaces[0] == NULL);
	CHECK(c->mark_mask == 0x0f000000);
	CHECK(c->probe_enabled);
	CHECK(c->probe_source == NULL && c->probe_interface == NULL);
	CHECK(c->probe_timeout == 6 && c->probe_rate == 60 && c->probe_concurrent == 4);
	CHECK(c->probe_ttl_positive == 3600 && c->probe_ttl_negative == 3600);
	CHECK(c->n_probe_only == 0);
	CHECK(c->max_flows == 262144);
	CHECK(c->max_buffers == 16384);
	CHECK(c->inspect_bytes == 4096);
	CHECK(c->inspect_packets == 16);
	CHECK(c->idle_timeout == 120);
	CHECK(c->mark_clean);
	check_actions(c, "reject reject drop reject alert reject reject reject alert reject");
	CHECK(c->n_blocklist_domains == 1);
	CHECK(c->n_blocklist_endpoints == 1);
	CHECK(c->n_blocklist_ports == 1);
	CHECK(!c->log_syslog);
	CHECK(c->log_level == LOG_LVL_INFO);
	CHECK(c->event_log == NULL);
	CHECK(!c->log_decisions);
	CHECK_STR(c->ctl_socket, CONF_DEFAULT_CONTROL_SOCKET);
	CHECK(c->ctl_mode == 0660);
	CHECK(c->ctl_group == NULL);
	CHECK(c->metrics_listen == NULL);
}

static void test_shipped(void)
{
	char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 64];
	struct mw_conf *c = NULL;
	char *err = NULL;
	size_t errlen = 0;
	FILE *f = open_memstream(&err, &errlen);

	snprintf(path, sizeof(path), "%s/conf/minewall.conf", top_srcdir());
	CHECK(conf_load(path, &c, f) == 0);
	fclose(f);
	CHECK_STR(err, "");
	free(err);
	if (!c)
		return;
	check_common_defaults(c);
	CHECK_STR(c->path, path);
	/* The blocklists sit beside conf/ and are found from the config file's own directory. */
	snprintf(path, sizeof(path), "%s/conf", top_srcdir());
	CHECK(realpath(path, dir) != NULL);
	snprintf(want, sizeof(want), "%s/../blocklists/pool-domains.txt", dir);
	CHECK_STR(c->blocklist_domains[0], want);
	snprintf(want, sizeof(want), "%s/../blocklists/pool-endpoints.txt", dir);
	CHECK_STR(c->blocklist_endpoints[0], want);
	snprintf(want, sizeof(want), "%s/../blocklists/pool-ports.txt", dir);
	CHECK_STR(c->blocklist_ports[0], want);
	conf_free(c);
}

static void test_empty(void)
{
	char path[PATH_MAX];
	struct mw_conf *c = NULL;

	snprintf(path, sizeof(path), "%s/tests/conf/00-empty.conf", top_srcdir());
	CHECK(conf_load(path, &c, stderr) == 0);
	if (!c)
		return;
	check_common_defaults(c);
	CHECK_STR(c->blocklist_domains[0], BL "pool-domains.txt");
	CHECK_STR(c->blocklist_endpoints[0], BL "pool-endpoints.txt");
	CHECK_STR(c->blocklist_ports[0], BL "pool-ports.txt");
	conf_free(c);
}

/* Every setting away from its default, each bound just inside. */
static void test_full(void)
{
	char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 64];
	struct mw_conf *c = NULL;

	snprintf(path, sizeof(path), "%s/tests/conf/02-full-valid.conf", top_srcdir());
	CHECK(conf_load(path, &c, stderr) == 0);
	if (!c)
		return;
	CHECK(c->queue_num == 65520);
	CHECK(c->queue_count == 16);
	CHECK(c->copy_range == 65535);
	CHECK(c->queue_maxlen == 1048576);
	CHECK(!c->fail_open);
	CHECK(!c->hook_output);
	CHECK(c->hook_forward);
	CHECK(c->n_interfaces == 5);
	CHECK_STR(c->interfaces[0], "eth0");
	CHECK_STR(c->interfaces[1], "wan.10");
	CHECK_STR(c->interfaces[2], "br-lan");
	CHECK_STR(c->interfaces[3], "ppp0:1");
	CHECK_STR(c->interfaces[4], "a23456789012345");
	CHECK(c->mark_mask == 0xff000000u);
	CHECK(c->max_flows == 16777216);
	CHECK(c->max_buffers == 1048576);
	CHECK(c->inspect_bytes == 65535);
	CHECK(c->inspect_packets == 1000);
	CHECK(c->idle_timeout == 86400);
	CHECK(!c->mark_clean);
	check_actions(c, "alert drop reject alert drop alert drop alert alert reject");
	CHECK(c->n_blocklist_domains == 0);
	CHECK(c->blocklist_domains[0] == NULL);
	CHECK(c->n_blocklist_endpoints == 2);
	CHECK(c->n_blocklist_ports == 2);
	CHECK(c->log_syslog);
	CHECK(c->log_level == LOG_LVL_DEBUG);
	CHECK(c->log_decisions);
	snprintf(path, sizeof(path), "%s/tests/conf", top_srcdir());
	CHECK(realpath(path, dir) != NULL);
	CHECK_STR(c->blocklist_endpoints[0], "/abs/e.txt");
	snprintf(want, sizeof(want), "%s/rel/e.txt", dir);
	CHECK_STR(c->blocklist_endpoints[1], want);
	snprintf(want, sizeof(want), "%s/p2.txt", dir);
	CHECK_STR(c->blocklist_ports[1], want);
	snprintf(want, sizeof(want), "%s/events.json", dir);
	CHECK(c->event_log && strcmp(c->event_log, want) == 0);
	conf_free(c);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int conf_name_filter(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

/* tests/conf/NN-name.conf must produce exactly NN-name.expect: "OK" or the error lines. The
 * current directory is tests/conf, so messages carry short, stable file names. */
static void test_golden(void)
{
	char dir[PATH_MAX], cwd[PATH_MAX];
	struct dirent **list;
	int i, n, failed = 0;

	snprintf(dir, sizeof(dir), "%s/tests/conf", top_srcdir());
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	if (chdir(dir) != 0) {
		perror(dir);
		CHECK(0);
		return;
	}
	n = scandir(".", &list, conf_name_filter, alphasort);
	CHECK(n >= 20);
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char expect_path[300], *expect, *got = NULL;
		size_t gotlen = 0;
		struct mw_conf *c = NULL;
		FILE *f = open_memstream(&got, &gotlen);
		int r;

		snprintf(expect_path, sizeof(expect_path), "%.*s.expect",
			 (int)(strlen(name) - 5), name);
		r = conf_load(name, &c, f);
		if (r == 0)
			fputs("OK\n", f);
		fclose(f);
		/* Success and failure are all or nothing. */
		CHECK(r == 0 ? c != NULL && gotlen == 3 : c == NULL && gotlen > 0);
		conf_free(c);
		expect = slurp(expect_path);
		CHECK(expect != NULL);
		if (expect && strcmp(expect, got) != 0) {
			fprintf(stderr, "%s: output differs\n--- expected\n%s--- got\n%s---\n",
				name, expect, got);
			failed++;
		}
		CHECK(expect && strcmp(expect, got) == 0);
		free(expect);
		free(got);
		free(list[i]);
	}
	free(list);
	printf("golden: %d cases, %d failed\n", n, failed);
	CHECK(chdir(cwd) == 0);
}

static char *load_string_errors(const char *text, int *ret, struct mw_conf **c)
{
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	*c = NULL;
	*ret = conf_load_string(text, "/etc/minewall/x.conf", c, f);
	fclose(f);
	return err;
}

static void test_string(void)
{
	struct mw_conf *c;
	char *err;
	int r;

	err = load_string_errors("log = { events = \"ev.json\"; };\n"
				 "detect = { blocklists = { ports = [ \"p.txt\" ]; }; };", &r, &c);
	CHECK(r == 0);
	CHECK_STR(err, "");
	if (c) {
		CHECK_STR(c->event_log, "/etc/minewall/ev.json");
		CHECK_STR(c->blocklist_ports[0], "/etc/minewall/p.txt");
		CHECK_STR(c->blocklist_domains[0], BL "pool-domains.txt");
	}
	conf_free(c);
	free(err);

	/* No file name from libconfig: messages name the path given. */
	err = load_string_errors("queue = {\n num = 1;\n count = 0; };\nbad = 1;", &r, &c);
	CHECK(r == -1 && c == NULL);
	CHECK_STR(err, "/etc/minewall/x.conf:3: 'queue.count' must be in range 1..16 (got 0)\n"
		  "/etc/minewall/x.conf:4: unknown setting 'bad' at top level\n");
	free(err);

	err = load_string_errors("queue = {\n", &r, &c);
	CHECK(r == -1 && c == NULL);
	CHECK_STR(err, "/etc/minewall/x.conf:2: syntax error (a group opened with { is not closed with };)\n");
	free(err);

	/* 0x80000000 and up arrive from libconfig 1.5 as negative ints. */
	err = load_string_errors("protect = { mark_mask = 0xc0000000; };", &r, &c);
	CHECK(r == 0 && c && c->mark_mask == 0xc0000000u);
	conf_free(c);
	free(err);
	err = load_string_errors("protect = { mark_mask = 0x00000003; };", &r, &c);
	CHECK(r == 0 && c && c->mark_mask == 3);
	conf_free(c);
	free(err);
	/* A 64-bit literal in range is fine. */
	err = load_string_errors("flows = { max = 4096L; buffers = 0x10; };", &r, &c);
	CHECK(r == 0 && c && c->max_flows == 4096 && c->max_buffers == 16);
	conf_free(c);
	free(err);
	/* errs may be NULL. */
	c = NULL;
	CHECK(conf_load_string("queue = 1;", "x.conf", &c, NULL) == -1 && c == NULL);
	/* Feeds poll their index every 5 s; a detection's delta goes out after 1 s. */
	err = load_string_errors("feeds = ( { name = \"a\"; url = \"https://x/feed\"; pubkeys = [ "
				 "\"RWTu9q4Hhw/Alk+EbfFh9cT5ZzvZYaBfMer5WEEiyNoVx9Z55/raFlh5\" ]; } );",
				 &r, &c);
	CHECK(r == 0 && c && c->n_feeds == 1 && c->feeds[0].poll == 5 &&
	      c->feeds[0].interval == 300 && c->publish_debounce_ms == 1000);
	conf_free(c);
	free(err);
}

static void test_missing_file(void)
{
	struct mw_conf *c = NULL;
	char *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&err, &len);

	CHECK(conf_load("/nonexistent/minewall.conf", &c, f) == -1);
	fclose(f);
	CHECK(c == NULL);
	CHECK_STR(err, "/nonexistent/minewall.conf: No such file or directory\n");
	free(err);
}

/* @include is resolved from the config's directory, and errors name the included file. */
static void test_include(void)
{
	char dir[] = "/tmp/mw-conf-XXXXXX", main_path[64], inc[64], *err = NULL;
	struct mw_conf *c = NULL;
	size_t len = 0;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(main_path, sizeof(main_path), "%s/main.conf", dir);
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	f = fopen(main_path, "w");
	fputs("@include \"inc.conf\"\nqueue = { num = 7; };\n", f);
	fclose(f);
	f = fopen(inc, "w");
	fputs("log = { level = \"debug\"; };\n", f);
	fclose(f);
	CHECK(conf_load(main_path, &c, stderr) == 0);
	CHECK(c && c->queue_num == 7 && c->log_level == LOG_LVL_DEBUG);
	conf_free(c);
	c = NULL;

	f = fopen(inc, "w");
	fputs("log = {\n level = \"loud\"; };\n", f);
	fclose(f);
	f = open_memstream(&err, &len);
	CHECK(conf_load(main_path, &c, f) == -1 && c == NULL);
	fclose(f);
	/* libconfig 1.5 names an included file as the @include line spells it. */
	CHECK_STR(err, "inc.conf:2: 'log.level' must be one of \"error\", \"warning\", \"info\" "
		  "or \"debug\" (got \"loud\")\n");
	free(err);
	unlink(inc);
	unlink(main_path);
	rmdir(dir);
}

/* control { } and metrics { }: octal modes, names, addresses. */
static void test_control(void)
{
	char path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 16];
	struct mw_conf *c = NULL;
	char *err;
	int r;

	snprintf(path, sizeof(path), "%s/tests/conf/70-control-metrics.conf", top_srcdir());
	CHECK(conf_load(path, &c, stderr) == 0);
	CHECK(c && c->ctl_mode == 0600);
	CHECK(c && strcmp(c->ctl_socket, "/run/mw/ctl.sock") == 0);
	CHECK(c && c->ctl_group && strcmp(c->ctl_group, "mwadmin") == 0);
	CHECK(c && c->metrics_listen && strcmp(c->metrics_listen, "[::1]:9477") == 0);
	conf_free(c);

	/* A relative socket sits beside the config; hex modes are taken as written. */
	snprintf(path, sizeof(path), "%s/tests/conf/73-control-edges.conf", top_srcdir());
	c = NULL;
	CHECK(conf_load(path, &c, stderr) == 0);
	snprintf(path, sizeof(path), "%s/tests/conf", top_srcdir());
	CHECK(realpath(path, dir) != NULL);
	snprintf(want, sizeof(want), "%s/ctl.sock", dir);
	CHECK(c && strcmp(c->ctl_socket, want) == 0);
	CHECK(c && c->ctl_mode == 0777 && c->ctl_group == NULL && c->metrics_listen == NULL);
	conf_free(c);

	err = load_string_errors("control = { mode = 0; };", &r, &c);
	CHECK(r == 0 && c && c->ctl_mode == 0);
	conf_free(c);
	free(err);
	err = load_string_errors("control = { mode = 644; };", &r, &c);
	CHECK(r == 0 && c && c->ctl_mode == 0644);
	conf_free(c);
	free(err);
	err = load_string_errors("control = { mode = 1000; };", &r, &c);
	CHECK(r == -1 && c == NULL);
	CHECK_STR(err, "/etc/minewall/x.conf:1: 'control.mode' must be in range 0..0777 (got 01000)\n");
	free(err);
	err = load_string_errors("control = { mode = -1; };", &r, &c);
	CHECK(r == -1 && c == NULL);
	CHECK_STR(err, "/etc/minewall/x.conf:1: 'control.mode' must be written in octal digits 0-7, "
		  "like chmod (got -1)\n");
	free(err);
	err = load_string_errors("control = { group = \"-x\"; };", &r, &c);
	CHECK(r == -1 && c == NULL);
	free(err);
	err = load_string_errors("control = { group = \"abcdefghijklmnopqrstuvwxyz0123456\"; };", &r, &c);
	CHECK(r == -1 && c == NULL);
	CHECK_STR(err, "/etc/minewall/x.conf:1: 'control.group' must be a group name of at most 32 "
		  "characters (got \"abcdefghijklmnopqrstuvwxyz0123456\")\n");
	free(err);
	err = load_string_errors("metrics = { listen = \"0.0.0.0:9477\"; };", &r, &c);
	CHECK(r == 0 && c && strcmp(c->metrics_listen, "0.0.0.0:9477") == 0);
	conf_free(c);
	free(err);
}

/* notify { }: the receivers as parsed, their defaults, and the secret file's mode and size. */
static void test_notify(void)
{
	char path[PATH_MAX], key[] = "/tmp/mw-test-conf-key.XXXXXX", text[512], *err;
	const struct conf_notify *r;
	struct mw_conf *c = NULL;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/tests/conf/90-notify-valid.conf", top_srcdir());
	CHECK(conf_load(path, &c, stderr) == 0);
	CHECK(c && c->n_receivers == 2);
	if (c && c->n_receivers == 2) {
		r = &c->receivers[0];
		CHECK_STR(r->name, "chat");
		CHECK(r->type == CONF_NOTIFY_WEBHOOK);
		CHECK_STR(r->url, "https://chat.example.net/hooks/minewall");
		CHECK(r->secret_file == NULL && r->n_command == 0);
		CHECK(r->events[CONF_NEV_DETECTION] && r->events[CONF_NEV_PROBE_CONFIRMED]);
		CHECK(r->min_tier == 0 && r->timeout == 300 && r->retries == 100);
		CHECK(r->backoff == 3600 && r->backoff_max == 86400 && r->concurrency == 64);
		CHECK(r->queue == 10000 && r->coalesce == 86400);
		r = &c->receivers[1];
		CHECK_STR(r->name, "pause-instance");
		CHECK(r->type == CONF_NOTIFY_EXEC && r->url == NULL && r->n_command == 4);
		CHECK_STR(r->command[0], "/usr/local/lib/minewall/pause-instance");
		CHECK_STR(r->command[3], "reason with spaces");
		CHECK(!r->events[CONF_NEV_DETECTION] && !r->events[CONF_NEV_THROTTLE]);
		CHECK(r->events[CONF_NEV_QUARANTINE] && r->min_tier == 2);
		CHECK(r->timeout == 1 && r->retries == 0 && r->concurrency == 1 && r->coalesce == 0);
	}
	conf_free(c);

	/* No notify block: no receiver. One with only the required settings: the defaults. */
	err = load_string_errors("log = { level = \"info\"; };", &rc, &c);
	CHECK(rc == 0 && c && c->n_receivers == 0);
	conf_free(c);
	free(err);
	err = load_string_errors("notify = { receivers = ( { name = \"x\"; type = \"webhook\"; "
				 "url = \"http://[2001:db8::1]:80/h\"; } ); };", &rc, &c);
	CHECK(rc == 0 && c && c->n_receivers == 1);
	if (c && c->n_receivers == 1) {
		r = &c->receivers[0];
		CHECK(!r->events[CONF_NEV_DETECTION] && r->events[CONF_NEV_WATCH]);
		CHECK(r->events[CONF_NEV_THROTTLE] && r->events[CONF_NEV_QUARANTINE]);
		CHECK(r->events[CONF_NEV_RELEASE] && !r->events[CONF_NEV_FEED_REJECTED]);
		CHECK(r->min_tier == 0 && r->timeout == 10 && r->retries == 3 && r->backoff == 2);
		CHECK(r->backoff_max == 300 && r->concurrency == 4 && r->queue == 100);
		CHECK(r->coalesce == 60);
	}
	conf_free(c);
	free(err);

	/* The key file: 0644 is refused with its mode, 0600 of 32 bytes passes, 8 bytes do not. */
	fd = mkstemp(key);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "0123456789abcdef0123456789abcdef", 32) == 32);
	snprintf(text, sizeof(text), "notify = { receivers = ( { name = \"x\"; type = \"webhook\";\n"
		 "url = \"https://h/\"; secret_file = \"%s\"; } ); };", key);
	CHECK(fchmod(fd, 0644) == 0);
	err = load_string_errors(text, &rc, &c);
	CHECK(rc == -1 && c == NULL);
	CHECK(err && strstr(err, "/etc/minewall/x.conf:2: 'notify.receivers[0].secret_file': ") &&
	      strstr(err, "has mode 0644: group and others must have no access (chmod 600)"));
	free(err);
	CHECK(fchmod(fd, 0600) == 0);
	err = load_string_errors(text, &rc, &c);
	CHECK(rc == 0 && c && c->receivers[0].secret_file && strcmp(c->receivers[0].secret_file, key) == 0);
	conf_free(c);
	free(err);
	CHECK(ftruncate(fd, 8) == 0);
	err = load_string_errors(text, &rc, &c);
	CHECK(rc == -1 && err && strstr(err, "holds 8 bytes: a key is 16..4096 bytes"));
	free(err);
	close(fd);
	unlink(key);
}

static void test_names(void)
{
	CHECK(conf_detector_index("stratum") == CONF_DET_STRATUM);
	CHECK(conf_detector_index("getwork") == CONF_DET_GETWORK);
	CHECK(conf_detector_index("sv2") == CONF_DET_SV2);
	CHECK(conf_detector_index("tls-sni") == CONF_DET_TLS_SNI);
	CHECK(conf_detector_index("tls_sni") == CONF_DET_TLS_SNI);
	CHECK(conf_detector_index("dns") == CONF_DET_DNS);
	CHECK(conf_detector_index("endpoint") == CONF_DET_ENDPOINT);
	CHECK(conf_detector_index("relay") == CONF_DET_RELAY);
	CHECK(conf_detector_index("websocket") == CONF_DET_WEBSOCKET);
	CHECK(conf_detector_index("tls_suspect") == CONF_DET_TLS_SUSPECT);
	CHECK(conf_detector_index("tls-suspect") == CONF_DET_TLS_SUSPECT);
	CHECK(conf_detector_index("probe") == CONF_DET_PROBE);
	CHECK(conf_detector_index("tls") == -1);
	CHECK(conf_detector_index("tls-sni2") == -1);
	CHECK(conf_detector_index("") == -1);
	CHECK(conf_detector_index("Stratum") == -1);
	CHECK(conf_detector_index(NULL) == -1);
	CHECK_STR(conf_action_name(ACT_ALERT), "alert");
	CHECK_STR(conf_action_name(ACT_DROP), "drop");
	CHECK_STR(conf_action_name(ACT_REJECT), "reject");
	CHECK_STR(conf_action_name((enum conf_action)3), "?");
	conf_free(NULL);
}

int main(void)
{
	test_shipped();
	test_empty();
	test_full();
	test_golden();
	test_string();
	test_missing_file();
	test_include();
	test_control();
	test_notify();
	test_names();
	return UNIT_DONE();
}
