/*
 * config: the one source of settings for every relaygate program.
 *
 * Built-in defaults, then the file /etc/relaygate.conf (or $RELAYGATE_CONF),
 * then the environment: RELAYGATE_* names, and relay-ctrl's RELAY_CTRL_*
 * names so that a migration is a one-line change.  A program running with
 * real and effective ids differing (a setuid or setgid install) takes no
 * path and no option from the environment: only the default file counts,
 * and only if root owns it and nobody else may write it.
 */
#ifndef RG_CONFIG_H
#define RG_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "core/err.h"

/* Where make install puts things (Makefile: SYSCONFDIR, STOREDIR, STORE_USER, STORE_GROUP). */
#ifndef RG_SYSCONFDIR
#define RG_SYSCONFDIR "/etc"
#endif
#ifndef RG_STOREDIR
#define RG_STOREDIR "/var/lib/relaygate"
#endif
#ifndef RG_STORE_USER
#define RG_STORE_USER "relaygate"
#endif
#ifndef RG_STORE_GROUP
#define RG_STORE_GROUP "relaygate"
#endif

#define CONFIG_FILE RG_SYSCONFDIR "/relaygate.conf"
#define CONFIG_VALUE_MAX 256
#define CONFIG_NAME_MAX 64
#define CONFIG_CONNINFO_MAX 1024

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
	char user[CONFIG_NAME_MAX];	/* the store's owner (relaygate init) */
	char group[CONFIG_NAME_MAX];	/* the store's group (relaygate init) */
	int peer_check;			/* allow: the client must be stdin's peer */
	int self_service;		/* relaygate-passwd: CONFIG_SELF_* */
	char pgsql[CONFIG_CONNINFO_MAX];	/* relaygate sync: libpq connection string; "" none */
	char host_name[CONFIG_VALUE_MAX];	/* this host, as sync records it; "": gethostname */
	long checkpw_timeout;		/* seconds relaygate-checkpw may take in all */
	char file[PATH_MAX];		/* the configuration file read, or "" */
};

/* self_service: no; yes, a user changes the secret they have; first, and sets one when they have none. */
enum { CONFIG_SELF_NO = 0, CONFIG_SELF_CHANGE = 1, CONFIG_SELF_FIRST = 2 };

/* Longest grant lifetime accepted anywhere: one year. */
#define CONFIG_EXPIRY_MAX 31536000L

/*
 * Fill c from defaults, file and (when trust_env) the environment.  path
 * names the file explicitly (NULL: $RELAYGATE_CONF or CONFIG_FILE); an
 * explicit or $RELAYGATE_CONF file must exist (ERR_PERM, errnum ENOENT,
 * when it does not), the default one may not.  Without trust_env the file
 * must belong to root and be writable by nobody else.
 * -1 and e on an unreadable file or a bad setting (with its line number).
 */
int config_load(struct config *c, const char *path, int trust_env, struct err *e);

/*
 * 1 when the program was not started set-user-id or set-group-id (see
 * priv.h), so the environment may be trusted.
 */
int config_env_trusted(void);

/*
 * The settings the environment named that were not taken because it is
 * not trusted, as "RELAY_CTRL_EXPIRY, RELAYGATE_DIR" into buf ("" none).
 */
void config_env_ignored(char *buf, size_t size);

/* Parse a whole number (of unit, e.g. "seconds") in [min, max]; -1 and e otherwise. */
int config_number(const char *what, const char *s, long min, long max,
    const char *unit, long *out, struct err *e);

#endif
