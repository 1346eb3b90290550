// SPDX-License-Identifier: GPL-2.0-or-later
/* minewall-feed: make keys, build, index, sign, verify and show signed pool feeds. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "feed.h"
#include "feed_index.h"
#include "feed_text.h"
#include "feed_tool.h"
#include "minisign.h"

#define LIST_LINE_MAX	4096
#define PASSWORD_MAX	1024

static const char *prog = "minewall-feed";

/* To stdout with status 0 when asked for (-h, --help), else to stderr with status 2. */
static void usage_to(FILE *out, int code) __attribute__((noreturn));
static void usage_to(FILE *out, int code)
{
	fprintf(out,
		"usage: %s keygen [-p PUBKEY] [-s SECKEY] [-W] [--password-fd N] [--kdf-fast]\n"
		"       %s build -o FILE --provider ID --serial N [--kind snapshot|delta]\n"
		"             [--base-feed PREV] [--expires-in SECONDS] [--issued TIME]\n"
		"             [--ttl SECONDS] [--reason TEXT] LISTFILE...\n"
		"       %s keys -o FILE --provider ID --serial N --current PUBKEY [--next PUBKEY]\n"
		"             [--expires-in SECONDS]\n"
		"       %s index -o FILE [--expires-in SECONDS] [--issued TIME] SNAPSHOT [DELTA...]\n"
		"       %s sign -s SECKEY [-x SIGFILE] [--password-fd N] FILE\n"
		"       %s verify -p PUBKEY [-p PUBKEY]... [-x SIGFILE] [--at UNIXTIME] FILE\n"
		"       %s show [-t] FILE\n"
		"       %s -h | --help | --version\n"
		"See minewall-feed(1).\n", prog, prog, prog, prog, prog, prog, prog, prog);
	exit(code);
}

void usage(void)
{
	usage_to(stderr, EX_USAGE);
}

void fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Whole file, at most max bytes (max + 1 read tells the caller it is larger). */
uint8_t *slurp(const char *path, size_t max, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0;
	FILE *f;

	f = fopen(path, "rb");
	if (!f)
		fail(EX_SYS, "%s: %s", path, strerror(errno));
	/* Size the buffer by the file, never beyond the limit. */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < max)
		max = (size_t)st.st_size;
	buf = malloc(max + 2);
	if (!buf)
		fail(EX_SYS, "out of memory");
	while (n < max + 1) {
		size_t r = fread(buf + n, 1, max + 1 - n, f);

		if (r == 0)
			break;
		n += r;
	}
	if (ferror(f))
		fail(EX_SYS, "%s: read error", path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

void spit(const char *path, const void *data, size_t len, int excl)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (excl ? O_EXCL : O_TRUNC), 0644);
	size_t off = 0;

	if (fd < 0)
		fail(EX_SYS, "%s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fail(EX_SYS, "%s: write: %s", path, strerror(errno));
		off += (size_t)n;
	}
	if (close(fd) < 0)
		fail(EX_SYS, "%s: close: %s", path, strerror(errno));
}

static uint64_t num_arg(const char *what, const char *s)
{
	uint64_t v;

	if (feed_u64_parse(s, strlen(s), &v) < 0)
		fail(EX_USAGE, "%s: \"%s\" is not a decimal number", what, s);
	return v;
}

/* The password from a file descriptor (first line) or MINEWALL_FEED_PASSWORD. */
static char *get_password(int fd)
{
	char *pw = sodium_malloc(PASSWORD_MAX + 1);
	const char *env = getenv("MINEWALL_FEED_PASSWORD");
	size_t n = 0;

	if (!pw)
		fail(EX_SYS, "out of memory");
	if (fd >= 0) {
		while (n < PASSWORD_MAX) {
			ssize_t r = read(fd, pw + n, 1);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || pw[n] == '\n')
				break;
			n++;
		}
		pw[n] = '\0';
	} else if (env) {
		if (strlen(env) > PASSWORD_MAX)
			fail(EX_USAGE, "password too long");
		memcpy(pw, env, strlen(env) + 1);
	} else {
		sodium_free(pw);
		return NULL;
	}
	if (pw[0] == '\0')
		fail(EX_USAGE, "empty password");
	return pw;
}

static void load_seckey(const char *path, int pwfd, struct minisign_seckey *sk)
{
	char err[256], *pw = NULL;
	size_t len;
	uint8_t *text = slurp(path, 4096, &len);
	int enc = minisign_seckey_encrypted((const char *)text, len);

	if (enc > 0) {
		pw = get_password(pwfd);
		if (!pw)
			fail(EX_USAGE, "%s is encrypted: give --password-fd or MINEWALL_FEED_PASSWORD",
			     path);
	}
	if (minisign_seckey_parse((const char *)text, len, pw, sk, err, sizeof(err)) < 0)
		fail(EX_REJECT, "%s: %s", path, err);
	sodium_memzero(text, len);
	free(text);
	if (pw)
		sodium_free(pw);
}

void load_pubkey(const char *path, struct minisign_pubkey *pk)
{
	char err[256];
	size_t len;
	uint8_t *text = slurp(path, 4096, &len);

	if (minisign_pubkey_parse((const char *)text, len, pk, err, sizeof(err)) < 0)
		fail(EX_REJECT, "%s: %s", path, err);
	free(text);
}

enum { OPT_PWFD = 256, OPT_KDF_FAST, OPT_PROVIDER, OPT_SERIAL, OPT_KIND, OPT_BASE,
       OPT_EXPIRES, OPT_ISSUED, OPT_TTL, OPT_REASON, OPT_CURRENT, OPT_NEXT, OPT_AT };

static const struct option long_opts[] = {
	{ "password-fd", required_argument, NULL, OPT_PWFD },
	{ "kdf-fast", no_argument, NULL, OPT_KDF_FAST },
	{ "provider", required_argument, NULL, OPT_PROVIDER },
	{ "serial", required_argument, NULL, OPT_SERIAL },
	{ "kind", required_argument, NULL, OPT_KIND },
	{ "base-feed", required_argument, NULL, OPT_BASE },
	{ "expires-in", required_argument, NULL, OPT_EXPIRES },
	{ "issued", required_argument, NULL, OPT_ISSUED },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "current", required_argument, NULL, OPT_CURRENT },
	{ "next", required_argument, NULL, OPT_NEXT },
	{ "at", required_argument, NULL, OPT_AT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void parse_opts(int argc, char **argv, const char *shortopts, struct opts *o)
{
	int c;

	while ((c = getopt_long(argc, argv, shortopts, long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (o->npub == MAX_PINNED)
				fail(EX_USAGE, "at most %d public keys", MAX_PINNED);
			o->pub[o->npub++] = optarg;
			break;
		case 's': o->sec = optarg; break;
		case 'o': o->out = optarg; break;
		case 'x': o->sig = optarg; break;
		case 'W': o->nopass = true; break;
		case 't': o->tc_only = true; break;
		case OPT_PWFD: o->pwfd = (int)num_arg("--password-fd", optarg); break;
		case OPT_KDF_FAST: o->kdf_fast = true; break;
		case OPT_PROVIDER: o->provider = optarg; break;
		case OPT_SERIAL: o->serial = num_arg("--serial", optarg); o->have_serial = true; break;
		case OPT_KIND:
			if (strcmp(optarg, "delta") == 0)
				o->delta = true;
			else if (strcmp(optarg, "snapshot") != 0)
				fail(EX_USAGE, "--kind is snapshot or delta");
			break;
		case OPT_BASE: o->base = optarg; break;
		case OPT_EXPIRES: o->expires_in = num_arg("--expires-in", optarg); break;
		case OPT_ISSUED:
			if (feed_time_parse(optarg, strlen(optarg), &o->issued) < 0)
				fail(EX_USAGE, "--issued takes YYYY-MM-DDTHH:MM:SSZ");
			break;
		case OPT_TTL: o->ttl = num_arg("--ttl", optarg); break;
		case OPT_REASON: o->reason = optarg; break;
		case OPT_CURRENT: o->current = optarg; break;
		case OPT_NEXT: o->next = optarg; break;
		case OPT_AT: o->at = (int64_t)num_arg("--at", optarg); break;
		case 'h': usage_to(stdout, EX_OK);
		default: usage();
		}
	}
}

static int cmd_keygen(struct opts *o)
{
	struct minisign_pubkey pk;
	struct minisign_seckey sk;
	const char *pub = o->npub ? o->pub[0] : "minewall-feed.pub";
	const char *sec = o->sec ? o->sec : "minewall-feed.key";
	char err[256], text[160], hex[17], *pw = NULL;

	if (!o->nopass) {
		pw = get_password(o->pwfd);
		if (!pw)
			fail(EX_USAGE, "give -W (no password), --password-fd or MINEWALL_FEED_PASSWORD");
	}
	if (access(pub, F_OK) == 0)
		fail(EX_SYS, "%s exists; not overwriting", pub);
	if (minisign_keygen(&pk, &sk) < 0)
		fail(EX_SYS, "key generation failed");
	if (minisign_seckey_write(sec, &sk, pw, o->kdf_fast ?
				  crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE : 0,
				  o->kdf_fast ? crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE : 0,
				  err, sizeof(err)) < 0)
		fail(EX_SYS, "%s", err);
	sodium_memzero(&sk, sizeof(sk));
	if (pw)
		sodium_free(pw);
	if (minisign_pubkey_format(&pk, text, sizeof(text)) < 0)
		fail(EX_SYS, "cannot format the public key");
	spit(pub, text, strlen(text), 1);
	minisign_keyid_hex(pk.keyid, hex);
	printf("key id %s\nsecret key: %s\npublic key: %s\n", hex, sec, pub);
	return EX_OK;
}

static bool is_type(const char *s)
{
	return !strcmp(s, "ip") || !strcmp(s, "cidr") || !strcmp(s, "ip:port") || !strcmp(s, "domain");
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One list file: "[TYPE] VALUE [TTL] [REASON...]" lines, '#' comments. */
static void read_list(const char *path, const struct opts *o, struct feed_entry **es, size_t *n,
		      size_t *cap)
{
	char line[LIST_LINE_MAX + 2], err[200];
	unsigned int lineno = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		fail(EX_SYS, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *tok[64], *p = line, *type = NULL, *value, reason[FEED_REASON_MAX] = "";
		size_t nt = 0, i = 0, rl = 0;
		uint64_t ttl = o->ttl;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			fail(EX_REJECT, "%s:%u: line longer than %d bytes", path, lineno, LIST_LINE_MAX);
		for (char *h = line; *h; h++) {
			if (*h == '#' && (h == line || *(h - 1) == ' ' || *(h - 1) == '\t')) {
				*h = '\0';
				break;
			}
		}
		while (nt < 64 && (tok[nt] = strtok_r(nt ? NULL : p, " \t\r\n", &p)))
			nt++;
		if (nt == 0)
			continue;
		if (is_type(tok[0])) {
			type = tok[i++];
			if (i == nt)
				fail(EX_REJECT, "%s:%u: %s without a value", path, lineno, type);
		}
		value = tok[i++];
		if (i < nt && all_digits(tok[i]))
			ttl = num_arg("TTL", tok[i++]);
		for (; i < nt; i++) {
			int w = snprintf(reason + rl, sizeof(reason) - rl, "%s%s", rl ? " " : "", tok[i]);

			if (w < 0 || (size_t)w >= sizeof(reason) - rl)
				fail(EX_REJECT, "%s:%u: reason longer than %d bytes", path, lineno,
				     FEED_REASON_MAX - 1);
			rl += (size_t)w;
		}
		if (!rl && o->reason)
			snprintf(reason, sizeof(reason), "%s", o->reason);
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			*es = realloc(*es, *cap * sizeof(**es));
			if (!*es)
				fail(EX_SYS, "out of memory");
		}
		if (feed_entry_set(&(*es)[*n], FEED_ADD, type, value, ttl, reason, err, sizeof(err)) < 0)
			fail(EX_REJECT, "%s:%u: %s", path, lineno, err);
		(*n)++;
	}
	fclose(f);
}

static int cmd_build(struct opts *o, int argc, char **argv)
{
	struct feed_limits lim;
	struct feed next, prev, delta, *outf = &next;
	struct feed_entry *es = NULL;
	size_t n = 0, cap = 0, len;
	char err[256], *text;
	int64_t issued = o->issued ? o->issued : (int64_t)time(NULL);
	int i;

	if (!o->out || !o->provider || !o->have_serial || optind >= argc)
		usage();
	if (o->delta != !!o->base)
		fail(EX_USAGE, "--kind delta goes with --base-feed PREV");
	for (i = optind; i < argc; i++)
		read_list(argv[i], o, &es, &n, &cap);
	if (feed_build_snapshot(&next, o->provider, o->serial, issued,
				issued + (int64_t)(o->expires_in ? o->expires_in : 86400),
				es, n, err, sizeof(err)) < 0)
		fail(EX_REJECT, "%s", err);
	free(es);
	if (o->delta) {
		uint8_t *pb;

		/* Our own earlier snapshot: as large as build writes them. */
		lim = (struct feed_limits){ 1u << 30, 10000000, 4096 };
		pb = slurp(o->base, lim.max_size, &len);
		if (feed_parse(pb, len, &lim, &prev, err, sizeof(err)) != FEED_OK)
			fail(EX_REJECT, "%s: %s", o->base, err);
		free(pb);
		if (feed_build_delta(&delta, &prev, &next, err, sizeof(err)) < 0)
			fail(EX_REJECT, "%s", err);
		feed_fini(&prev);
		outf = &delta;
	}
	if (feed_write(outf, &text, &len) < 0)
		fail(EX_SYS, "cannot write the feed");
	spit(o->out, text, len, 0);
	printf("%s: %s serial %llu, %zu entries\n", o->out, feed_kind_str(outf->kind),
	       (unsigned long long)outf->serial, outf->n_entries);
	free(text);
	feed_fini(&next);
	if (o->delta)
		feed_fini(&delta);
	return EX_OK;
}

static int cmd_keys(struct opts *o)
{
	struct feed_keys k;
	int64_t now = o->issued ? o->issued : (int64_t)time(NULL);
	size_t len;
	char *text;

	if (!o->out || !o->provider || !o->have_serial || !o->current)
		usage();
	memset(&k, 0, sizeof(k));
	if (!feed_provider_valid(o->provider, strlen(o->provider)))
		fail(EX_USAGE, "provider must be 1-63 of [A-Za-z0-9._-]");
	snprintf(k.provider, sizeof(k.provider), "%s", o->provider);
	k.serial = o->serial;
	k.issued = now;
	k.expires = now + (int64_t)(o->expires_in ? o->expires_in : 30 * 86400);
	load_pubkey(o->current, &k.current);
	if (o->next) {
		load_pubkey(o->next, &k.next);
		k.has_next = true;
	}
	if (feed_keys_write(&k, &text, &len) < 0)
		fail(EX_SYS, "cannot write the keys document");
	spit(o->out, text, len, 0);
	free(text);
	return EX_OK;
}

static bool is_keys_doc(const uint8_t *b, size_t len)
{
	return len >= 19 && memcmp(b, "minewall-feed-keys ", 19) == 0;
}

static int cmd_sign(struct opts *o, int argc, char **argv)
{
	struct minisign_seckey sk;
	char sigpath[4096], err[256], *sig;
	const char *file;
	uint8_t *body;
	size_t len;
	int r;

	if (!o->sec || optind != argc - 1)
		usage();
	file = argv[optind];
	load_seckey(o->sec, o->pwfd, &sk);
	body = slurp(file, 64u << 20, &len);
	if (is_keys_doc(body, len))
		r = feed_keys_sign(body, len, &sk, &sig, err, sizeof(err));
	else if (feed_index_is(body, len))
		r = feed_index_sign(body, len, &sk, &sig, err, sizeof(err));
	else
		r = feed_sign(body, len, &sk, &sig, err, sizeof(err));
	sodium_memzero(&sk, sizeof(sk));
	if (r < 0)
		fail(EX_REJECT, "%s: %s", file, err);
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", file);
	spit(o->sig ? o->sig : sigpath, sig, strlen(sig), 0);
	free(sig);
	free(body);
	return EX_OK;
}

static void print_header(const struct feed *f)
{
	char iss[21], exp[21], tc[512];

	feed_time_format(f->issued, iss);
	feed_time_format(f->expires, exp);
	printf("provider %s\nkind %s\nserial %llu\n", f->provider, feed_kind_str(f->kind),
	       (unsigned long long)f->serial);
	if (f->kind == FEED_DELTA)
		printf("base %llu\n", (unsigned long long)f->base);
	printf("issued %s\nexpires %s\nentries %zu\n", iss, exp, f->n_entries);
	if (feed_trusted_comment(f, tc, sizeof(tc)) == 0)
		printf("trusted comment: %s\n", tc);
}

static int cmd_verify(struct opts *o, int argc, char **argv)
{
	struct minisign_pubkey keys[MAX_PINNED];
	struct feed_limits lim;
	struct feed_policy pol;
	struct feed f;
	enum feed_verdict v;
	char sigpath[4096], err[512], hex[17];
	const char *file;
	uint8_t *body, *sig;
	size_t len, slen, i;
	time_t now = o->at ? (time_t)o->at : time(NULL);

	if (!o->npub || optind != argc - 1)
		usage();
	file = argv[optind];
	for (i = 0; i < o->npub; i++)
		load_pubkey(o->pub[i], &keys[i]);
	feed_limits_default(&lim);
	body = slurp(file, lim.max_size, &len);
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", file);
	sig = slurp(o->sig ? o->sig : sigpath, 2 * MINISIGN_TRUSTED_MAX, &slen);
	if (is_keys_doc(body, len)) {
		struct feed_keys k;

		v = feed_keys_verify(body, len, (const char *)sig, slen, keys, o->npub, now, &k,
				     err, sizeof(err));
		if (v != FEED_OK)
			fail(EX_REJECT, "%s: rejected (%s): %s", file, feed_verdict_str(v), err);
		minisign_keyid_hex(k.current.keyid, hex);
		printf("keys document verified\nprovider %s\nserial %llu\ncurrent %s\n", k.provider,
		       (unsigned long long)k.serial, hex);
		if (k.has_next)
			minisign_keyid_hex(k.next.keyid, hex);
		printf("next %s\n", k.has_next ? hex : "none");
		free(body);
		free(sig);
		return EX_OK;
	}
	if (feed_index_is(body, len)) {
		index_verify(file, body, len, sig, slen, keys, o->npub, now);
		free(body);
		free(sig);
		return EX_OK;
	}
	v = feed_verify(body, len, (const char *)sig, slen, keys, o->npub, &lim, &f, err, sizeof(err));
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: rejected (%s): %s", file, feed_verdict_str(v), err);
	/* No saved state here: the checks that need none (time, entries). */
	feed_policy_default(&pol);
	if (f.kind == FEED_DELTA) {
		struct feed_state st = { .have = true, .serial = f.base };

		memcpy(st.provider, f.provider, sizeof(st.provider));
		v = feed_accept(&st, &f, &pol, now, err, sizeof(err));
	} else {
		v = feed_accept(NULL, &f, &pol, now, err, sizeof(err));
	}
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: rejected (%s): %s", file, feed_verdict_str(v), err);
	minisign_keyid_hex(f.keyid, hex);
	printf("feed verified with key %s\n", hex);
	print_header(&f);
	feed_fini(&f);
	free(body);
	free(sig);
	return EX_OK;
}

static int cmd_show(struct opts *o, int argc, char **argv)
{
	struct feed_limits lim;
	struct feed f;
	enum feed_verdict v;
	char err[512], tc[512];
	uint8_t *body;
	size_t len, i;

	if (optind != argc - 1)
		usage();
	feed_limits_default(&lim);
	body = slurp(argv[optind], lim.max_size, &len);
	if (is_keys_doc(body, len)) {
		struct feed_keys k;

		v = feed_keys_parse(body, len, &k, err, sizeof(err));
		if (v != FEED_OK)
			fail(EX_REJECT, "%s: %s", argv[optind], err);
		feed_keys_trusted_comment(&k, tc, sizeof(tc));
		printf(o->tc_only ? "%s\n" : "unverified keys document\ntrusted comment: %s\n", tc);
		free(body);
		return EX_OK;
	}
	if (feed_index_is(body, len)) {
		index_show(argv[optind], body, len, o->tc_only);
		free(body);
		return EX_OK;
	}
	v = feed_parse(body, len, &lim, &f, err, sizeof(err));
	if (v != FEED_OK)
		fail(EX_REJECT, "%s: %s: %s", argv[optind], feed_verdict_str(v), err);
	if (o->tc_only) {
		feed_trusted_comment(&f, tc, sizeof(tc));
		printf("%s\n", tc);
	} else {
		printf("unverified feed\n");
		print_header(&f);
		for (i = 0; i < f.n_entries; i++)
			printf("%s %s %s %llu%s%s\n", f.entries[i].op == FEED_DEL ? "del" : "add",
			       feed_type_str(f.entries[i].type), f.entries[i].value,
			       (unsigned long long)f.entries[i].ttl, f.entries[i].reason[0] ? " " : "",
			       f.entries[i].reason);
	}
	feed_fini(&f);
	free(body);
	return EX_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;

	memset(&o, 0, sizeof(o));
	o.pwfd = -1;
	o.ttl = 86400;
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		usage_to(stdout, EX_OK);
	if (!strcmp(argv[1], "--version")) {
		printf("minewall-feed %s\n", PACKAGE_VERSION);
		return EX_OK;
	}
	if (sodium_init() < 0)
		fail(EX_SYS, "libsodium initialisation failed");
	cmd = argv[1];
	argc--;
	argv++;
	if (!strcmp(cmd, "keygen")) {
		parse_opts(argc, argv, "hp:s:W", &o);
		return cmd_keygen(&o);
	} else if (!strcmp(cmd, "build")) {
		parse_opts(argc, argv, "ho:", &o);
		return cmd_build(&o, argc, argv);
	} else if (!strcmp(cmd, "keys")) {
		parse_opts(argc, argv, "ho:", &o);
		return cmd_keys(&o);
	} else if (!strcmp(cmd, "index")) {
		parse_opts(argc, argv, "o:", &o);
		return cmd_index(&o, argc, argv);
	} else if (!strcmp(cmd, "sign")) {
		parse_opts(argc, argv, "hs:x:", &o);
		return cmd_sign(&o, argc, argv);
	} else if (!strcmp(cmd, "verify")) {
		parse_opts(argc, argv, "hp:x:", &o);
		return cmd_verify(&o, argc, argv);
	} else if (!strcmp(cmd, "show")) {
		parse_opts(argc, argv, "ht", &o);
		return cmd_show(&o, argc, argv);
	}
	usage();
}
