/*
 * cli: relaygate's batch mode, the scripting face of the engine.
 *
 * Each command takes its own arguments (argv[0] is the command's name),
 * prints stable, tab-separated (or JSON) output on stdout and errors on
 * stderr, and returns the exit status: 0 done, 1 a negative answer,
 * 2 usage, 111 temporary failure.
 */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/err.h"
#include "core/grant.h"

enum { EX_OK = 0, EX_NO = 1, EX_USAGE = 2, EX_TEMP = 111 };

struct command {
	const char *name;
	int (*run)(const struct config *c, int argc, char **argv);
	const char *usage;	/* arguments after the command's name */
	const char *about;	/* one line */
};

extern const struct command cli_commands[];

int cmd_list(const struct config *c, int argc, char **argv);
int cmd_allow(const struct config *c, int argc, char **argv);
int cmd_extend(const struct config *c, int argc, char **argv);
int cmd_revoke(const struct config *c, int argc, char **argv);
int cmd_pin(const struct config *c, int argc, char **argv);
int cmd_unpin(const struct config *c, int argc, char **argv);
int cmd_check(const struct config *c, int argc, char **argv);
int cmd_expire(const struct config *c, int argc, char **argv);
int cmd_stats(const struct config *c, int argc, char **argv);
int cmd_import_spool(const struct config *c, int argc, char **argv);
int cmd_rules(const struct config *c, int argc, char **argv);
int cmd_passwd(const struct config *c, int argc, char **argv);
int cmd_init(const struct config *c, int argc, char **argv);
int cmd_sync(const struct config *c, int argc, char **argv);
int cmd_verify(const struct config *c, int argc, char **argv);
int cmd_repair(const struct config *c, int argc, char **argv);

/* The expiry loop: sweeps every interval_ms, and at each expiry, until SIGTERM or SIGINT. */
int cli_expire_loop(const struct config *c, long interval_ms);

/* --- daemon.c: the foreground daemons (expire --loop, sync) --- */

/* Set by SIGTERM or SIGINT once cli_catch_stop is in place. */
extern volatile sig_atomic_t cli_stop;

/* SIGTERM and SIGINT set cli_stop and interrupt a wait.  0, or -1 and errno. */
int cli_catch_stop(void);

/* The wall clock, in milliseconds since the epoch. */
int64_t cli_now_ms(void);

/* Report e on stderr as "relaygate: ..." and give the exit status it means. */
int cli_fail(const struct err *e);

/* Usage of one command on f. */
void cli_usage(FILE *f, const char *name);

/* --- output.c --- */

/* "2026-11-22T22:31:42Z" */
void out_iso(int64_t t, char buf[32]);

/* One grant, as a line of list output. */
void out_grant_tsv(FILE *f, const struct config *c, const struct grant *g, int64_t now);
void out_grant_json(FILE *f, const struct config *c, const struct grant *g, int64_t now);

/* s as a JSON string, quotes included. */
void out_json_string(FILE *f, const char *s);

#endif
