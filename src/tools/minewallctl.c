// SPDX-License-Identifier: GPL-2.0-or-later
/* minewallctl: send one request to minewalld's control socket and print the answer. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "conf.h"
#include "ctl_proto.h"

enum { EXIT_OK = 0, EXIT_CMD = 1, EXIT_USAGE = 2, EXIT_NOT_RUNNING = 3, EXIT_DENIED = 4 };

/* A response line may be as long as a daemon's JSON document line. */
#define REPLY_LINE_MAX (CTL_MAX_OUTPUT + 2)

/* To stdout with status 0 when asked for (-h, --help), else to stderr with status 2.
 * Every command the daemon serves is listed (tests/tools.sh compares this
 * with the daemon's own `help`). */
static void usage_to(FILE *out, int code) __attribute__((noreturn));
static void usage_to(FILE *out, int code)
{
	fprintf(out,
		"usage: minewallctl [-s SOCKET] [-j|--json] COMMAND [ARGS]\n"
		"       minewallctl -h | --help | --version\n"
		"  -s, --socket SOCKET  control socket (default $MINEWALL_SOCKET or %s)\n"
		"  -j, --json           JSON output for scripts\n"
		"commands:\n"
		"  status                        uptime, config, queues, flows, verdicts, detections\n"
		"  stats                         every counter\n"
		"  events [-f] [N]               the last N events (default 20); -f: follow\n"
		"  reload                        reread the configuration, print what changed\n"
		"  blocks list [detect|dns|list|feed|feed:NAME]\n"
		"                                kernel blocks with their time left\n"
		"  blocks add ENTRY [SECONDS]    block an address, prefix or address:port\n"
		"  blocks del ENTRY              remove a block added here or by the daemon\n"
		"  allow list                    destinations never blocked, and their origin\n"
		"  allow add|del ADDRESS[/LEN]   add or remove one\n"
		"  hosts list                    internal hosts' escalation tiers\n"
		"  hosts release ADDRESS         back to watch, throttle or quarantine lifted\n"
		"  feeds list                    subscribed feeds: serial in force, last fetch\n"
		"  feeds sync [NAME]             fetch one or every feed now\n"
		"  feeds publish                 publish this gateway's own feed now\n"
		"  notify list                   notify receivers: counters, last failure\n"
		"  notify test NAME              queue a test notice for that receiver\n"
		"  probes                        recent probes of suspect TLS servers, their outcome\n"
		"  help                          the commands the running daemon knows\n"
		"exit status: 0 ok, 1 the daemon refused, 2 usage, 3 not running, 4 denied\n"
		"See minewallctl(8).\n",
		CONF_DEFAULT_CONTROL_SOCKET);
	exit(code);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	usage_to(stderr, EXIT_USAGE);
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "minewallctl: socket path too long: %s\n", path);
		exit(EXIT_USAGE);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("minewallctl: socket");
		exit(EXIT_CMD);
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == ENOENT || errno == ECONNREFUSED) {
		fprintf(stderr, "minewallctl: minewalld is not running (no socket at %s)\n", path);
		exit(EXIT_NOT_RUNNING);
	}
	if (errno == EACCES || errno == EPERM) {
		fprintf(stderr, "minewallctl: permission denied on %s "
			"(run as root or as a member of the control group)\n", path);
		exit(EXIT_DENIED);
	}
	fprintf(stderr, "minewallctl: cannot connect to %s: %s\n", path, strerror(errno));
	exit(EXIT_NOT_RUNNING);
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read lines until the status line (or EOF when following). */
static int read_reply(int fd, bool follow)
{
	static char buf[REPLY_LINE_MAX];
	size_t len = 0;
	char code[32];

	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(buf, '\n', len))) {
			const char *text;
			size_t ll = (size_t)(nl - buf);

			*nl = '\0';
			switch (ctl_reply_parse(buf, &text, code, sizeof(code))) {
			case CTL_REPLY_DATA:
				puts(text);
				if (follow)
					fflush(stdout);
				break;
			case CTL_REPLY_OK:
				return EXIT_OK;
			case CTL_REPLY_ERROR:
				fflush(stdout);
				fprintf(stderr, "minewallctl: %s\n", text);
				if (strcmp(code, "denied") == 0)
					return EXIT_DENIED;
				/* Wrong arguments, as the daemon judges them: a usage error. */
				if (strcmp(code, "usage") == 0 || strcmp(code, "unknown-command") == 0) {
					fprintf(stderr, "minewallctl: see minewallctl --help\n");
					return EXIT_USAGE;
				}
				return EXIT_CMD;
			case CTL_REPLY_INVALID:
				fprintf(stderr, "minewallctl: unexpected reply from minewalld\n");
				return EXIT_CMD;
			}
			memmove(buf, buf + ll + 1, len - ll - 1);
			len -= ll + 1;
		}
		if (len == sizeof(buf)) {
			fprintf(stderr, "minewallctl: reply line too long\n");
			return EXIT_CMD;
		}
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (follow && n == 0)
				return EXIT_OK;
			fprintf(stderr, "minewallctl: minewalld closed the connection without an answer\n");
			return EXIT_CMD;
		}
		len += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *path = getenv("MINEWALL_SOCKET");
	char req[CTL_MAX_LINE];
	size_t len = 0;
	bool json = false, follow = false;
	int ch, i, fd, rc;

	if (!path || !path[0])
		path = CONF_DEFAULT_CONTROL_SOCKET;
	/* '+': options after the command belong to it (events -f). */
	while ((ch = getopt_long(argc, argv, "+js:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = true; break;
		case 's': path = optarg; break;
		case 'h': usage_to(stdout, EXIT_OK);
		case 'V':
			printf("minewallctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	len = (size_t)snprintf(req, sizeof(req), "%s", json ? "json" : "");
	for (i = optind; i < argc; i++) {
		const char *a = argv[i];

		if (!a[0] || strchr(a, ' ') || strchr(a, '\n')) {
			fprintf(stderr, "minewallctl: arguments cannot be empty or contain spaces\n");
			return EXIT_USAGE;
		}
		if (strcmp(a, "-f") == 0 && i > optind && strcmp(argv[optind], "events") == 0)
			follow = true;
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s", len ? " " : "", a);
		if (len >= sizeof(req) - 1) {
			fprintf(stderr, "minewallctl: request too long\n");
			return EXIT_USAGE;
		}
	}
	req[len++] = '\n';
	fd = ctl_connect(path);
	if (send_all(fd, req, len) < 0) {
		/* A refused peer may be hung up on before it finishes sending: read why. */
		if (errno != EPIPE && errno != ECONNRESET) {
			perror("minewallctl: send");
			close(fd);
			return EXIT_CMD;
		}
	}
	if (!follow)
		shutdown(fd, SHUT_WR);
	rc = read_reply(fd, follow);
	close(fd);
	return rc;
}
