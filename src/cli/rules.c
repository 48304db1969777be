/*
 * rules: relaygate rules ..., the face of core/ruleset: list, add, delete,
 * move, check, compile and edit tcp.smtp, as tcprules and tcprulescheck did.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/ruleset.h"

static const struct {
	const char *name, *usage;
} subs[] = {
	{ "list", "" },
	{ "add", "RULE [--before N]" },
	{ "delete", "N" },
	{ "move", "N M" },
	{ "check", "ADDR [--host NAME] [--info USER]" },
	{ "compile", "" },
	{ "edit", "" },
};

static void
usage(FILE *f)
{
	size_t i;

	for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
		fprintf(f, "%s relaygate rules %s%s%s\n", i ? "      " : "usage:",
		    subs[i].name, *subs[i].usage ? " " : "", subs[i].usage);
}

/* The errors of a rules text, one per line, with the file and line number. */
static int
report(const struct config *c, const struct rules_errors *errs, const char *what)
{
	size_t i;

	for (i = 0; i < errs->n && i < RULES_ERRORS_MAX; i++)
		fprintf(stderr, "relaygate: %s line %zu: %s\n", what ? what : c->rules,
		    errs->e[i].line, errs->e[i].msg);
	if (errs->n > RULES_ERRORS_MAX)
		fprintf(stderr, "relaygate: %s: %zu more errors\n", what ? what : c->rules,
		    errs->n - RULES_ERRORS_MAX);
	fprintf(stderr, "relaygate: %s has errors; nothing changed\n", what ? what : c->rules);
	return EX_USAGE;
}

static int
outcome(const struct config *c, int n, const struct rules_errors *errs, const struct err *e)
{
	if (n > 0)
		return report(c, errs, NULL);
	if (n < 0) {
		fprintf(stderr, "relaygate rules: %s\n", e->msg);
		return e->kind == ERR_PERM ? EX_USAGE : EX_TEMP;
	}
	return EX_OK;
}

static int
number(const char *s, size_t *n)
{
	char *end;
	unsigned long v;

	if (*s < '1' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 1000000)
		return -1;
	*n = (size_t)v;
	return 0;
}

struct edit_arg {
	const char *rule;
	size_t n, m;
};

static int
do_add(struct rules *r, void *arg, struct err *e)
{
	struct edit_arg *a = arg;
	struct rules_line l;

	if (rules_parse_rule(a->rule, &l, e) < 0)
		return -1;
	if (rules_insert(r, &l, a->n, e) < 0) {
		rules_line_free(&l);
		return -1;
	}
	return 0;
}

static int
do_delete(struct rules *r, void *arg, struct err *e)
{
	return rules_delete(r, ((struct edit_arg *)arg)->n, e);
}

static int
do_move(struct rules *r, void *arg, struct err *e)
{
	return rules_move(r, ((struct edit_arg *)arg)->n, ((struct edit_arg *)arg)->m, e);
}

static int
rules_list(const struct config *c)
{
	struct rules_errors errs;
	struct rules r;
	struct err e;
	size_t i, k = 0;
	int n;

	if ((n = ruleset_load(c, &r, &errs, &e)) < 0 && e.errnum == ENOENT) {
		/* No rules file yet is no rules, not a failure. */
		fprintf(stderr, "relaygate rules list: no rules: %s does not exist "
		    "(relaygate rules add makes it)\n", c->rules);
		return EX_OK;
	}
	if (n != 0)
		return outcome(c, n, &errs, &e);
	for (i = 0; i < r.n; i++)
		if (r.lines[i].kind == RULES_RULE)
			printf("%zu\t%s\n", ++k, r.lines[i].text);
	rules_free(&r);
	return EX_OK;
}

/* The answer in tcprulescheck's words, so its users read it as before. */
static int
rules_check(const struct config *c, const char *addr, const char *host, const char *info)
{
	struct rules_answer a;
	struct err e;
	size_t i;

	if (ruleset_check(c, addr, host, info, &a, &e) < 0) {
		fprintf(stderr, "relaygate rules check: %s\n", e.msg);
		return e.kind == ERR_PERM ? EX_USAGE : EX_TEMP;
	}
	if (!a.found) {
		printf("default:\nallow connection\n");
		return EX_OK;
	}
	printf("rule %s:\n", a.key);
	if (a.deny) {
		printf("deny connection\n");
		return EX_NO;
	}
	for (i = 0; i < a.nenv; i++)
		printf("set environment variable %s=%s\n", a.env[i].name, a.env[i].value);
	printf("allow connection\n");
	return EX_OK;
}

/* The whole of a file we wrote ourselves (the editor's copy). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 4096);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* $VISUAL or $EDITOR (or vi) on a copy; saved only if valid and nobody changed the file meanwhile. */
static int
rules_edit(const struct config *c)
{
	const char *editor = getenv("VISUAL"), *tmpdir = getenv("TMPDIR");
	char tmp[4096], *orig = NULL, *next = NULL;
	size_t olen = 0, nlen = 0;
	struct rules_errors errs;
	struct err e;
	pid_t pid;
	int fd, status, n, rc = EX_TEMP, keep = 1;

	if (editor == NULL || *editor == '\0')
		editor = getenv("EDITOR");
	if (editor == NULL || *editor == '\0')
		editor = "vi";
	snprintf(tmp, sizeof tmp, "%s/relaygate-rules.XXXXXX",
	    tmpdir != NULL && *tmpdir == '/' ? tmpdir : "/tmp");
	if (ruleset_snapshot(c, &orig, &olen, &e) < 0) {
		fprintf(stderr, "relaygate rules edit: %s\n", e.msg);
		return EX_TEMP;
	}
	if ((fd = mkstemp(tmp)) < 0 || write(fd, orig, olen) != (ssize_t)olen ||
	    close(fd) < 0) {
		perror("relaygate rules edit: write the copy");
		free(orig);
		return EX_TEMP;
	}
	/* The editor may carry arguments ("emacs -nw"): let the shell split it. */
	if (setenv("RELAYGATE_EDITOR", editor, 1) < 0) {
		perror("relaygate rules edit: setenv");
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", "exec $RELAYGATE_EDITOR \"$1\"", "sh", tmp,
		    (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		perror("relaygate rules edit: run the editor");
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "relaygate rules edit: the editor failed; nothing saved\n");
		goto out;
	}
	if ((next = slurp(tmp, &nlen)) == NULL) {
		perror("relaygate rules edit: read the copy");
		goto out;
	}
	n = ruleset_replace(c, orig, olen, next, nlen, &errs, &e);
	if (n > 0) {
		report(c, &errs, tmp);
		rc = EX_USAGE;
	} else if (n < 0) {
		fprintf(stderr, "relaygate rules edit: %s\n", e.msg);
		rc = e.kind == ERR_PERM ? EX_NO : EX_TEMP;
	} else {
		rc = EX_OK;
		keep = 0;
	}
out:
	if (keep)
		fprintf(stderr, "relaygate rules edit: your copy is kept in %s\n", tmp);
	else
		unlink(tmp);
	free(orig);
	free(next);
	return rc;
}

int
cmd_rules(const struct config *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "before", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'H' },
		{ "info", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	struct edit_arg a = { NULL, 0, 0 };
	struct rules_errors errs;
	const char *sub, *host = NULL, *info = NULL, *before = NULL;
	struct err e;
	int ch, n;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE : EX_OK;
	}
	sub = argv[1];
	argc--;
	argv++;
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (ch) {
		case 'b': before = optarg; break;
		case 'H': host = optarg; break;
		case 'i': info = optarg; break;
		case 'h': usage(stdout); return EX_OK;
		default:
			fprintf(stderr, "relaygate rules %s: %s %s\n", sub,
			    ch == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
#define NEED(k) do { if (argc != (k)) { fprintf(stderr, "relaygate rules %s: wrong number of arguments\n", sub); usage(stderr); return EX_USAGE; } } while (0)
	if ((before != NULL && strcmp(sub, "add") != 0) ||
	    ((host != NULL || info != NULL) && strcmp(sub, "check") != 0)) {
		fprintf(stderr, "relaygate rules %s: option not for this command\n", sub);
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(sub, "list") == 0) {
		NEED(0);
		return rules_list(c);
	}
	if (strcmp(sub, "check") == 0) {
		NEED(1);
		return rules_check(c, argv[0], host, info);
	}
	if (strcmp(sub, "compile") == 0) {
		NEED(0);
		return outcome(c, ruleset_compile(c, &errs, &e), &errs, &e);
	}
	if (strcmp(sub, "edit") == 0) {
		NEED(0);
		return rules_edit(c);
	}
	if (strcmp(sub, "add") == 0) {
		NEED(1);
		a.rule = argv[0];
		if (before != NULL && number(before, &a.n) < 0) {
			fprintf(stderr, "relaygate rules add: --before: \"%s\" is not a rule number\n", before);
			return EX_USAGE;
		}
		n = ruleset_change(c, 1, do_add, &a, &errs, &e);
		return outcome(c, n, &errs, &e);
	}
	if (strcmp(sub, "delete") == 0 || strcmp(sub, "move") == 0) {
		int del = strcmp(sub, "delete") == 0;

		NEED(del ? 1 : 2);
		if (number(argv[0], &a.n) < 0 || (!del && number(argv[1], &a.m) < 0)) {
			fprintf(stderr, "relaygate rules %s: rule numbers are 1, 2, ...\n", sub);
			return EX_USAGE;
		}
		n = ruleset_change(c, 0, del ? do_delete : do_move, &a, &errs, &e);
		return outcome(c, n, &errs, &e);
	}
#undef NEED
	fprintf(stderr, "relaygate rules: unknown command \"%s\"\n", sub);
	usage(stderr);
	return EX_USAGE;
}
