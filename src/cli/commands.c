/* commands: the batch subcommands of relaygate, each a thin face on core/relay. */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/relay.h"
#include "core/text.h"
#include "core/view.h"

const struct command cli_commands[] = {
	{ "list", cmd_list, "[--all] [--json] [--sort address|expiry|user] [--limit N] [--from ADDR] [PREFIX]",
	  "grants and pins, one per line" },
	{ "allow", cmd_allow, "ADDR [--ttl SECONDS] [--user NAME]", "let ADDR relay for a while" },
	{ "extend", cmd_extend, "ADDR [--ttl SECONDS]", "give ADDR's grant a new lifetime from now" },
	{ "revoke", cmd_revoke, "ADDR", "remove ADDR's grant" },
	{ "pin", cmd_pin, "ADDR [--relayclient VALUE] [--note TEXT]", "let ADDR relay for good" },
	{ "unpin", cmd_unpin, "ADDR", "remove ADDR's pin" },
	{ "check", cmd_check, "ADDR", "may ADDR relay now? (exit 0 yes, 1 no)" },
	{ "expire", cmd_expire, "[--loop [--interval SECONDS]]", "forget expired grants (once, or as a loop)" },
	{ "stats", cmd_stats, "[--json]", "counts and store size" },
	{ "import-spool", cmd_import_spool, "[DIR]", "import a relay-ctrl spool directory" },
	{ "verify", cmd_verify, "", "check the store, changing nothing (exit 0 sound, 1 problems)" },
	{ "repair", cmd_repair, "", "repair a damaged store, keeping every readable grant and pin" },
	{ "passwd", cmd_passwd, "USER [--stdin] | --delete USER | --list | --init",
	  "set, delete or list POP (APOP) passwords" },
	{ "rules", cmd_rules, "list|add|delete|move|check|compile|edit ...",
	  "edit, check and compile tcp.smtp (as tcprules)" },
	{ "init", cmd_init, "[--check | --fix]",
	  "make the grants store, or check or fix its owners and modes" },
	{ "sync", cmd_sync, "[--timeout S] [--reconcile S] [--once] | --status [--json] | --init-schema | --leave",
	  "share grants with other hosts through PostgreSQL" },
	{ NULL, NULL, NULL, NULL },
};

int
cli_fail(const struct err *e)
{
	fprintf(stderr, "relaygate: %s\n", e->msg);
	return EX_TEMP;	/* the store's trouble, not the caller's words */
}

/* A change the engine refused for its arguments is a usage error; anything else is the store's. */
static int
change_failed(const char *cmd, const struct err *e)
{
	if (e->kind != ERR_PERM)
		return cli_fail(e);
	fprintf(stderr, "relaygate %s: %s\n", cmd, e->msg);
	return EX_USAGE;
}

void
cli_usage(FILE *f, const char *name)
{
	const struct command *c;

	for (c = cli_commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			fprintf(f, "usage: relaygate %s %s\n", c->name, c->usage);
}

/*
 * The options of every command: getopt_long, with --help, and our own
 * messages for unknown options and missing values.  Returns the option's
 * character or -1 at the end; *exit_now >= 0 when the command should
 * return that status at once (after --help or a bad option).
 */
static int
next_opt(int argc, char **argv, const struct option *lo, int *exit_now)
{
	int ch;

	*exit_now = -1;
	opterr = 0;
	ch = getopt_long(argc, argv, ":h", lo, NULL);
	switch (ch) {
	case 'h':
		cli_usage(stdout, argv[0]);
		*exit_now = EX_OK;
		break;
	case '?':
		if (optopt != 0)
			fprintf(stderr, "relaygate %s: unknown option -%c\n", argv[0], optopt);
		else
			fprintf(stderr, "relaygate %s: unknown option %s\n", argv[0],
			    argv[optind - 1]);
		cli_usage(stderr, argv[0]);
		*exit_now = EX_USAGE;
		break;
	case ':':
		fprintf(stderr, "relaygate %s: %s needs a value\n", argv[0], argv[optind - 1]);
		cli_usage(stderr, argv[0]);
		*exit_now = EX_USAGE;
		break;
	}
	return ch;
}

#define HELP { "help", no_argument, NULL, 'h' }
#define END { NULL, 0, NULL, 0 }

/* Exactly want operands left, or a usage error. */
static int
operands(int argc, char **argv, int want)
{
	if (argc - optind == want)
		return 0;
	fprintf(stderr, "relaygate %s: %s\n", argv[0],
	    argc - optind < want ? "missing address" : "too many arguments");
	cli_usage(stderr, argv[0]);
	return -1;
}

static int
parse_addr(const char *cmd, const char *s, struct addr *a)
{
	struct err e;

	if (addr_parse(s, a, &e) == 0)
		return 0;
	fprintf(stderr, "relaygate %s: %s\n", cmd, e.msg);
	return -1;
}

static int
flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return EX_OK;
	perror("relaygate: write standard output");
	return EX_TEMP;
}

static int
parse_sort(const char *s, enum view_order *o)
{
	if (strcmp(s, "address") == 0)
		*o = VIEW_BY_ADDR;
	else if (strcmp(s, "expiry") == 0)
		*o = VIEW_BY_EXPIRY;
	else if (strcmp(s, "user") == 0)
		*o = VIEW_BY_USER;
	else
		return -1;
	return 0;
}

/* Where --from ADDR starts in order o: ADDR's own place. 0, or an exit status. */
static int
list_start(const struct config *c, enum view_order o, const char *from, struct view_key *k)
{
	struct grant g;
	struct addr a;
	struct err e;
	int r;

	if (parse_addr("list", from, &a) < 0)
		return EX_USAGE;
	if (o == VIEW_BY_ADDR) {
		view_key_addr(&a, k);
		return 0;
	}
	if ((r = relay_get(c, &a, &g, &e)) < 0)
		return cli_fail(&e);
	if (r == 0) {
		fprintf(stderr, "relaygate list: %s has no grant to start from\n", a.text);
		return EX_NO;
	}
	view_key_of(o, &g, k);
	return 0;
}

/* Stream the window's rows, a chunk at a time (the lock is let go between). */
static int
list_rows(const struct config *c, enum view_order o, const struct view_filter *f,
    const struct view_key *from, long limit, int json)
{
	enum { CHUNK = 512 };
	struct view_row *rows;
	struct view_key pos;
	enum view_from how = from->len ? VIEW_AT : VIEW_FIRST;
	int64_t now = (int64_t)time(NULL);
	size_t n, i, want;
	struct err e;
	int partial;

	if ((rows = calloc(CHUNK, sizeof *rows)) == NULL) {
		perror("relaygate list");
		return EX_TEMP;
	}
	pos = *from;
	do {
		want = limit >= 0 && limit < CHUNK ? (size_t)limit : CHUNK;
		if (view_read(c, o, f, how, &pos, want, now, 0, rows, &n, &partial,
		    NULL, &e) < 0) {
			free(rows);
			return cli_fail(&e);
		}
		for (i = 0; i < n; i++)
			if (json)
				out_grant_json(stdout, c, &rows[i].g, now);
			else
				out_grant_tsv(stdout, c, &rows[i].g, now);
		if (n > 0)
			pos = rows[n - 1].key;
		how = VIEW_AFTER;
		if (limit >= 0)
			limit -= (long)n;
	} while (n == want && limit != 0);
	free(rows);
	return flush_stdout();
}

int
cmd_list(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "all", no_argument, NULL, 'a' }, { "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "from", required_argument, NULL, 'f' }, HELP, END };
	enum view_order o = VIEW_BY_ADDR;
	struct view_filter f;
	struct view_key from;
	const char *start = NULL;
	long limit = -1;
	struct err e;
	int ch, json = 0, x;

	memset(&f, 0, sizeof f);
	memset(&from, 0, sizeof from);
	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 'a')
			f.all = 1;
		else if (ch == 'j')
			json = 1;
		else if (ch == 'f')
			start = optarg;
		else if (ch == 's' && parse_sort(optarg, &o) < 0) {
			fprintf(stderr, "relaygate list: --sort: \"%s\" is not address, "
			    "expiry or user\n", optarg);
			return EX_USAGE;
		} else if (ch == 'n' && config_number("--limit", optarg, 0, LONG_MAX,
		    "lines", &limit, &e) < 0) {
			fprintf(stderr, "relaygate list: %s\n", e.msg);
			return EX_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "relaygate list: too many arguments\n");
		cli_usage(stderr, "list");
		return EX_USAGE;
	}
	if (argc - optind == 1 && view_filter_prefix(&f, argv[optind], &e) < 0) {
		fprintf(stderr, "relaygate list: %s\n", e.msg);
		return EX_USAGE;
	}
	if (limit == 0)
		return EX_OK;
	if (start != NULL && (x = list_start(c, o, start, &from)) != 0)
		return x;
	return list_rows(c, o, &f, &from, limit, json);
}

int
cmd_allow(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "user", required_argument, NULL, 'u' }, HELP, END };
	char actor[GRANT_USER_MAX];
	const char *user = actor;
	long ttl = c->expiry;
	struct addr a;
	struct err e;
	int ch, x, r;

	relay_actor(actor, sizeof actor);
	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 't' && config_number("--ttl", optarg, 1, RELAY_TTL_MAX,
		    "seconds", &ttl, &e) < 0) {
			fprintf(stderr, "relaygate allow: %s\n", e.msg);
			return EX_USAGE;
		}
		if (ch == 'u')
			user = optarg;
	}
	if (operands(argc, argv, 1) < 0 || parse_addr("allow", argv[optind], &a) < 0)
		return EX_USAGE;
	r = relay_allow(c, &a, user, RELAY_PROTO_MANUAL, ttl, (int64_t)time(NULL), &e);
	if (r < 0)
		return change_failed("allow", &e);
	if (r == RELAY_UNCHANGED)
		printf("%s is pinned; left as it is\n", a.text);
	return flush_stdout();
}

int
cmd_extend(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ttl", required_argument, NULL, 't' }, HELP, END };
	int64_t now = (int64_t)time(NULL);
	long ttl = c->expiry;
	struct addr a;
	struct err e;
	int ch, x, r, capped;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 't' && config_number("--ttl", optarg, 1, RELAY_TTL_MAX,
		    "seconds", &ttl, &e) < 0) {
			fprintf(stderr, "relaygate extend: %s\n", e.msg);
			return EX_USAGE;
		}
	}
	if (operands(argc, argv, 1) < 0 || parse_addr("extend", argv[optind], &a) < 0)
		return EX_USAGE;
	r = relay_extend(c, &a, NULL, ttl, now, &capped, &e);
	if (r < 0)
		return change_failed("extend", &e);
	if (r == RELAY_REFUSED) {
		fprintf(stderr, "relaygate extend: %s\n", e.msg);
		return EX_NO;
	}
	if (r == RELAY_GONE) {
		fprintf(stderr, "relaygate extend: %s has no live grant\n", a.text);
		return EX_NO;
	}
	return EX_OK;
}

/* revoke and unpin: one address, removed or a negative answer. */
static int
remove_cmd(const struct config *c, int argc, char **argv,
    int (*fn)(const struct config *, const struct addr *, struct err *),
    const char *absent)
{
	static const struct option lo[] = { HELP, END };
	struct addr a;
	struct err e;
	int ch, x, r;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1)
		if (x >= 0)
			return x;
	if (operands(argc, argv, 1) < 0 || parse_addr(argv[0], argv[optind], &a) < 0)
		return EX_USAGE;
	if ((r = fn(c, &a, &e)) < 0)
		return cli_fail(&e);
	if (r == RELAY_REFUSED) {
		fprintf(stderr, "relaygate %s: %s\n", argv[0], e.msg);
		return EX_NO;
	}
	if (r == RELAY_UNCHANGED) {
		fprintf(stderr, "relaygate %s: %s %s\n", argv[0], a.text, absent);
		return EX_NO;
	}
	return EX_OK;
}

int
cmd_revoke(const struct config *c, int argc, char **argv)
{
	return remove_cmd(c, argc, argv, relay_revoke, "has no grant");
}

int
cmd_unpin(const struct config *c, int argc, char **argv)
{
	return remove_cmd(c, argc, argv, relay_unpin, "is not pinned");
}

int
cmd_pin(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "relayclient", required_argument, NULL, 'r' },
		{ "note", required_argument, NULL, 'n' }, HELP, END };
	const char *relayclient = NULL, *note = "";
	char actor[GRANT_USER_MAX];
	struct addr a;
	struct err e;
	int ch, x;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 'r')
			relayclient = optarg;
		else if (ch == 'n')
			note = optarg;
	}
	if (operands(argc, argv, 1) < 0 || parse_addr("pin", argv[optind], &a) < 0)
		return EX_USAGE;
	relay_actor(actor, sizeof actor);
	if (relay_pin(c, &a, actor, relayclient, note, (int64_t)time(NULL), &e) < 0)
		return change_failed("pin", &e);
	return EX_OK;
}

int
cmd_check(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = { HELP, END };
	struct relay_decision d;
	int64_t now = (int64_t)time(NULL);
	char note[4 * GRANT_TEXT_MAX], rc[4 * GRANT_TEXT_MAX];
	struct addr a;
	struct err e;
	int ch, x;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1)
		if (x >= 0)
			return x;
	if (operands(argc, argv, 1) < 0 || parse_addr("check", argv[optind], &a) < 0)
		return EX_USAGE;
	if (relay_check(c, &a, now, &d, &e) < 0)
		return cli_fail(&e);
	switch (d.answer) {
	case RELAY_PIN:
		printf("%s may relay: pinned%s%s, RELAYCLIENT=\"%s\"\n", a.text,
		    d.grant.note[0] ? " - " : "", text_field(note, sizeof note, d.grant.note),
		    text_field(rc, sizeof rc, d.relayclient));
		break;
	case RELAY_GRANT:
		printf("%s may relay: granted, %" PRId64 "s left, RELAYCLIENT=\"%s\"\n",
		    a.text, grant_remaining(&d.grant, now), text_field(rc, sizeof rc, d.relayclient));
		break;
	case RELAY_NO:
		if (d.grant.expires != 0)
			printf("%s may not relay: grant expired %" PRId64 "s ago\n",
			    a.text, grant_overdue(&d.grant, now));
		else
			printf("%s may not relay: no grant\n", a.text);
		break;
	}
	x = flush_stdout();
	return x != EX_OK ? x : d.answer == RELAY_NO ? EX_NO : EX_OK;
}

/* "2", "0.5", "1.25": a number of seconds with up to 3 decimals, in ms. */
static int
parse_interval(const char *s, long *ms)
{
	long whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((whole = whole * 10 + (*p - '0')) > 86400)
			return -1;
	if (*p == '.') {
		if (p[1] == '\0')
			return -1;
		for (p++; *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (*p != '\0')
		return -1;
	*ms = whole * 1000 + frac;
	return *ms >= 1 && *ms <= 86400000L ? 0 : -1;
}

int
cmd_expire(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "loop", no_argument, NULL, 'l' },
		{ "interval", required_argument, NULL, 'i' }, HELP, END };
	long removed, tidied, interval_ms = 10000;
	int ch, x, loop = 0, have_interval = 0;
	struct err e;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 'l')
			loop = 1;
		if (ch == 'i') {
			if (parse_interval(optarg, &interval_ms) < 0) {
				fprintf(stderr, "relaygate expire: --interval: \"%s\" is not "
				    "a number of seconds from 0.001 to 86400\n", optarg);
				return EX_USAGE;
			}
			have_interval = 1;
		}
	}
	if (argc - optind != 0 || (have_interval && !loop)) {
		fprintf(stderr, "relaygate expire: %s\n", have_interval && !loop ?
		    "--interval goes with --loop" : "too many arguments");
		cli_usage(stderr, "expire");
		return EX_USAGE;
	}
	if (loop)
		return cli_expire_loop(c, interval_ms);
	if (relay_expire(c, (int64_t)time(NULL), &removed, &e) < 0 ||
	    relay_tidy(c, &tidied, &e) < 0)
		return cli_fail(&e);
	printf("removed\t%ld\n", removed);
	return flush_stdout();
}

int
cmd_stats(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' }, HELP, END };
	struct relay_stats s;
	struct err e;
	int ch, x, json = 0;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1) {
		if (x >= 0)
			return x;
		if (ch == 'j')
			json = 1;
	}
	if (argc - optind != 0) {
		fprintf(stderr, "relaygate stats: too many arguments\n");
		return EX_USAGE;
	}
	if (relay_stats(c, (int64_t)time(NULL), &s, &e) < 0)
		return cli_fail(&e);
	if (json)
		printf("{\"live\":%ld,\"pinned\":%ld,\"expired\":%ld,\"bytes\":%" PRId64 "}\n",
		    s.live, s.pinned, s.expired, s.bytes);
	else
		printf("live\t%ld\npinned\t%ld\nexpired\t%ld\nbytes\t%" PRId64 "\n",
		    s.live, s.pinned, s.expired, s.bytes);
	return flush_stdout();
}

static void
print_skip(const char *name, const char *why, void *arg)
{
	long *skipped = arg;
	char q[300];

	(*skipped)++;
	printf("skipped\t%s\t%s\n", text_escape(q, sizeof q, name), why);
}

int
cmd_import_spool(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = { HELP, END };
	const char *dir = c->spool;
	long imported, skipped = 0;
	struct err e;
	int ch, x;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1)
		if (x >= 0)
			return x;
	if (argc - optind > 1) {
		fprintf(stderr, "relaygate import-spool: too many arguments\n");
		return EX_USAGE;
	}
	if (argc - optind == 1)
		dir = argv[optind];
	if (relay_import_spool(c, dir, (int64_t)time(NULL), print_skip, &skipped,
	    &imported, &e) < 0)
		return cli_fail(&e);
	printf("imported\t%ld\n", imported);
	return flush_stdout();
}

static void
print_line(const char *line, void *arg)
{
	char q[2048];

	printf("%s\t%s\n", (const char *)arg, text_escape(q, sizeof q, line));
}

/* verify and repair: no options, no operands. */
static int
fsck_cmd(const struct config *c, int argc, char **argv,
    int (*fn)(const struct config *, void (*)(const char *, void *), void *,
    struct relay_fsck *, struct err *), const char *tag)
{
	static const struct option lo[] = { HELP, END };
	struct relay_fsck r;
	struct err e;
	int ch, x;

	while ((ch = next_opt(argc, argv, lo, &x)) != -1)
		if (x >= 0)
			return x;
	if (argc - optind != 0) {
		fprintf(stderr, "relaygate %s: too many arguments\n", argv[0]);
		cli_usage(stderr, argv[0]);
		return EX_USAGE;
	}
	if (fn(c, print_line, (void *)tag, &r, &e) < 0) {
		fflush(stdout);
		return cli_fail(&e);
	}
	printf("grants\t%ld\npinned\t%ld\n%s\t%ld\n", r.grants, r.pinned,
	    fn == relay_verify ? "problems" : "left out", r.problems);
	x = flush_stdout();
	return x != EX_OK ? x : fn == relay_verify && r.problems > 0 ? EX_NO : EX_OK;
}

int
cmd_verify(const struct config *c, int argc, char **argv)
{
	return fsck_cmd(c, argc, argv, relay_verify, "problem");
}

int
cmd_repair(const struct config *c, int argc, char **argv)
{
	return fsck_cmd(c, argc, argv, relay_repair, "done");
}
