/*
 * config: the one source of settings for every relaygate program.
 *
 * Built-in defaults, then the file /etc/relaygate.conf (or $RELAYGATE_CONF),
 * then the environment: RELAYGATE_* names, and relay-ctrl's RELAY_CTRL_*
 * names so that a migration is a one-line change.  A program running with
 * real and effective ids differing (a setuid or setgid install) takes no
 * path and no option from the environment: only the default file counts.
 */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <limits.h>

#include "core/err.h"

#define CONFIG_FILE "/etc/relaygate.conf"
#define CONFIG_VALUE_MAX 256

struct config {
	char dir[PATH_MAX];		/* grants store directory */
	long expiry;			/* seconds a login grants relay */
	char relayclient[CONFIG_VALUE_MAX];	/* RELAYCLIENT for grants */
	long lock_timeout_ms;		/* longest wait for the store lock */
	int sync;			/* fsync commits (1) or not (0) */
	char spool[PATH_MAX];		/* relay-ctrl spool, for import-spool */
	char rules[PATH_MAX];		/* the admin's tcp.smtp */
	char rules_cdb[PATH_MAX];	/* what tcpserver -x reads */
	char passwords[PATH_MAX];	/* the POP password store */
	int apop_only;			/* users with a secret: APOP only */
	char plain_networks[CONFIG_VALUE_MAX];	/* USER/PASS only from these ("": any) */
	long min_uid;			/* accounts below this uid are refused */
	char ext_separator[4];		/* user-ext logins ("": none) */
	int dotpassword;		/* fall back to ~/Maildir/.password */
	long fail_delay_ms;		/* pause after a failed login */
	long checkpw_timeout;		/* seconds relaygate-checkpw may take in all */
	char file[PATH_MAX];		/* the configuration file read, or "" */
};

/* Longest grant lifetime accepted anywhere: one year. */
#define CONFIG_EXPIRY_MAX 31536000L

/*
 * Fill c from defaults, file and (when trust_env) the environment.  path
 * names the file explicitly (NULL: $RELAYGATE_CONF or CONFIG_FILE); an
 * explicit or $RELAYGATE_CONF file must exist, the default one may not.
 * -1 and e on an unreadable file or a bad setting (with its line number).
 */
int config_load(struct config *c, const char *path, int trust_env, struct err *e);

/* 1 when real and effective user and group ids agree, so the environment may be trusted. */
int config_env_trusted(void);

/* Parse a whole number (of unit, e.g. "seconds") in [min, max]; -1 and e otherwise. */
int config_number(const char *what, const char *s, long min, long max,
    const char *unit, long *out, struct err *e);

#endif
