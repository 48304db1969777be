/* config: defaults, configuration file and environment; see config.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/config.h"
#include "core/priv.h"

enum type { T_PATH, T_SECONDS, T_MSEC, T_TEXT, T_BOOL, T_UID, T_SELF, T_NETS };

/* Every setting once: its file name, its environment names, where it goes. */
static const struct setting {
	const char *name;
	const char *env;	/* RELAYGATE_ name */
	const char *compat;	/* relay-ctrl name, or NULL */
	enum type type;
	size_t off;
	size_t size;
} settings[] = {
	{ "dir", "RELAYGATE_DIR", NULL, T_PATH,
	    offsetof(struct config, dir), sizeof ((struct config *)0)->dir },
	{ "expiry", "RELAYGATE_EXPIRY", "RELAY_CTRL_EXPIRY", T_SECONDS,
	    offsetof(struct config, expiry), 0 },
	{ "relayclient", "RELAYGATE_RELAYCLIENT", "RELAY_CTRL_RELAYCLIENT", T_TEXT,
	    offsetof(struct config, relayclient),
	    sizeof ((struct config *)0)->relayclient },
	{ "lock_timeout_ms", "RELAYGATE_LOCK_TIMEOUT_MS", NULL, T_MSEC,
	    offsetof(struct config, lock_timeout_ms), 0 },
	{ "sync", "RELAYGATE_SYNC", NULL, T_BOOL,
	    offsetof(struct config, sync), 0 },
	{ "spool", "RELAYGATE_SPOOL", "RELAY_CTRL_DIR", T_PATH,
	    offsetof(struct config, spool), sizeof ((struct config *)0)->spool },
	{ "rules", "RELAYGATE_RULES", NULL, T_PATH,
	    offsetof(struct config, rules), sizeof ((struct config *)0)->rules },
	{ "rules_cdb", "RELAYGATE_RULES_CDB", NULL, T_PATH,
	    offsetof(struct config, rules_cdb), sizeof ((struct config *)0)->rules_cdb },
	{ "passwords", "RELAYGATE_PASSWORDS", NULL, T_PATH,
	    offsetof(struct config, passwords), sizeof ((struct config *)0)->passwords },
	{ "apop_only", "RELAYGATE_APOP_ONLY", NULL, T_BOOL,
	    offsetof(struct config, apop_only), 0 },
	{ "plain_networks", "RELAYGATE_PLAIN_NETWORKS", NULL, T_NETS,
	    offsetof(struct config, plain_networks),
	    sizeof ((struct config *)0)->plain_networks },
	{ "min_uid", "RELAYGATE_MIN_UID", NULL, T_UID,
	    offsetof(struct config, min_uid), 0 },
	{ "ext_separator", "RELAYGATE_EXT_SEPARATOR", NULL, T_TEXT,
	    offsetof(struct config, ext_separator),
	    sizeof ((struct config *)0)->ext_separator },
	{ "dotpassword", "RELAYGATE_DOTPASSWORD", NULL, T_BOOL,
	    offsetof(struct config, dotpassword), 0 },
	{ "fail_delay_ms", "RELAYGATE_FAIL_DELAY_MS", NULL, T_MSEC,
	    offsetof(struct config, fail_delay_ms), 0 },
	{ "user", "RELAYGATE_USER", NULL, T_TEXT,
	    offsetof(struct config, user), sizeof ((struct config *)0)->user },
	{ "group", "RELAYGATE_GROUP", NULL, T_TEXT,
	    offsetof(struct config, group), sizeof ((struct config *)0)->group },
	{ "peer_check", "RELAYGATE_PEER_CHECK", NULL, T_BOOL,
	    offsetof(struct config, peer_check), 0 },
	{ "self_service", "RELAYGATE_SELF_SERVICE", NULL, T_SELF,
	    offsetof(struct config, self_service), 0 },
	{ "pgsql", "RELAYGATE_PGSQL", NULL, T_TEXT,
	    offsetof(struct config, pgsql), sizeof ((struct config *)0)->pgsql },
	{ "host_name", "RELAYGATE_HOST_NAME", NULL, T_TEXT,
	    offsetof(struct config, host_name), sizeof ((struct config *)0)->host_name },
	{ "checkpw_timeout", "RELAYGATE_CHECKPW_TIMEOUT", NULL, T_SECONDS,
	    offsetof(struct config, checkpw_timeout), 0 },
};

int
config_env_trusted(void)
{
	return !priv_setid();
}

void
config_env_ignored(char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	if (config_env_trusted())
		return;
	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const char *names[2] = { settings[i].env, settings[i].compat };
		int k;

		for (k = 0; k < 2; k++)
			if (names[k] != NULL && getenv(names[k]) != NULL && n < size)
				n += (size_t)snprintf(buf + n, size - n, "%s%s",
				    n ? ", " : "", names[k]);
	}
	if (getenv("RELAYGATE_CONF") != NULL && n < size)
		snprintf(buf + n, size - n, "%sRELAYGATE_CONF", n ? ", " : "");
}

int
config_number(const char *what, const char *s, long min, long max,
    const char *unit, long *out, struct err *e)
{
	char *end;
	long v;

	errno = 0;
	if (s == NULL || !isdigit((unsigned char)*s)) {
		err_set(e, ERR_PERM, 0, "%s: \"%s\" is not a whole number%s%s",
		    what, s == NULL ? "" : s, *unit ? " of " : "", unit);
		return -1;
	}
	v = strtol(s, &end, 10);
	if (*end != '\0') {
		err_set(e, ERR_PERM, 0, "%s: \"%s\" is not a whole number%s%s",
		    what, s, *unit ? " of " : "", unit);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		err_set(e, ERR_PERM, 0, "%s: %s is out of range (%ld to %ld)",
		    what, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
assign(struct config *c, const struct setting *st, const char *value,
    const char *where, struct err *e)
{
	char *dst = (char *)c + st->off;
	struct addr any;
	struct err why;
	long v;

	switch (st->type) {
	case T_PATH:
	case T_TEXT:
	case T_NETS:
		if (strlen(value) >= st->size) {
			err_set(e, ERR_PERM, 0, "%s: too long", where);
			return -1;
		}
		if (st->type == T_PATH && value[0] != '/') {
			err_set(e, ERR_PERM, 0, "%s: must be an absolute path", where);
			return -1;
		}
		/* A network list is checked whole now, not at the first login it would fail. */
		if (st->type == T_NETS && (addr_parse("0.0.0.0", &any, NULL) < 0 ||
		    addr_in_list(&any, value, &why) < 0)) {
			err_set(e, ERR_PERM, 0, "%s: %s", where, why.msg);
			return -1;
		}
		memcpy(dst, value, strlen(value) + 1);
		return 0;
	case T_UID:
		if (config_number(where, value, 0, 4294967294L, "", &v, e) < 0)
			return -1;
		*(long *)(void *)dst = v;
		return 0;
	case T_SECONDS:
	case T_MSEC:
		if (st->type == T_SECONDS ?
		    config_number(where, value, 1, CONFIG_EXPIRY_MAX, "seconds", &v, e) :
		    config_number(where, value, 0, 600000L, "milliseconds", &v, e))
			return -1;
		*(long *)(void *)dst = v;
		return 0;
	case T_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(int *)(void *)dst = 1;
		else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(int *)(void *)dst = 0;
		else {
			err_set(e, ERR_PERM, 0, "%s: must be yes or no", where);
			return -1;
		}
		return 0;
	case T_SELF:
		if (strcmp(value, "first") == 0)
			*(int *)(void *)dst = CONFIG_SELF_FIRST;
		else if (strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*(int *)(void *)dst = CONFIG_SELF_CHANGE;
		else if (strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*(int *)(void *)dst = CONFIG_SELF_NO;
		else {
			err_set(e, ERR_PERM, 0, "%s: must be yes, no or first", where);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct setting *
find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
		if (strcmp(settings[i].name, name) == 0)
			return &settings[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	    end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* /dev/null, which names "no settings" (RELAYGATE_CONF=/dev/null). */
static int
is_null_device(const struct stat *sb)
{
	struct stat null;

	return S_ISCHR(sb->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && sb->st_rdev == null.st_rdev;
}

/* One "name = value" per line; '#' starts a comment line. */
static int
read_file(struct config *c, const char *path, int must_exist, int trusted, struct err *e)
{
	FILE *f;
	char line[1024], where[PATH_MAX + 32];
	char *name, *value, *eq;
	const struct setting *st;
	struct stat sb;
	int lineno = 0, rc = 0, fd;

	/* Not blocking, and only a regular file: a FIFO there must not hang a login. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		/* A file the caller named that is not there: the caller's mistake. */
		err_set(e, errno == ENOENT ? ERR_PERM : ERR_TEMP, errno, "open %s", path);
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !(S_ISREG(sb.st_mode) || is_null_device(&sb))) {
		err_set(e, ERR_TEMP, 0, "read %s: not a regular file", path);
		close(fd);
		return -1;
	}
	/* Set-id: only a file root alone may change is worth trusting. */
	if (!trusted && (sb.st_uid != 0 || (sb.st_mode & (S_IWGRP | S_IWOTH)) ||
	    !S_ISREG(sb.st_mode))) {
		err_set(e, ERR_PERM, 0, "%s: not a file that root alone may change; "
		    "refusing it", path);
		close(fd);
		return -1;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		err_set(e, ERR_TEMP, errno, "read %s", path);
		close(fd);
		return -1;
	}
	snprintf(c->file, sizeof c->file, "%s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			err_set(e, ERR_PERM, 0, "%s line %d: line too long", path, lineno);
			rc = -1;
			break;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			err_set(e, ERR_PERM, 0, "%s line %d: expected name = value",
			    path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		snprintf(where, sizeof where, "%s line %d: %s", path, lineno, name);
		if ((st = find(name)) == NULL) {
			err_set(e, ERR_PERM, 0, "%s line %d: unknown setting \"%s\"",
			    path, lineno, name);
			rc = -1;
			break;
		}
		if ((rc = assign(c, st, value, where, e)) < 0)
			break;
	}
	if (rc == 0 && ferror(f)) {
		err_set(e, ERR_TEMP, errno, "read %s", path);
		rc = -1;
	}
	fclose(f);
	return rc;
}

int
config_load(struct config *c, const char *path, int trust_env, struct err *e)
{
	const char *v;
	size_t i;
	int must_exist = 1;

	memset(c, 0, sizeof *c);
	snprintf(c->dir, sizeof c->dir, "%s", RG_STOREDIR);
	c->expiry = 900;
	c->lock_timeout_ms = 5000;
	c->sync = 1;
	snprintf(c->spool, sizeof c->spool, "/var/spool/relay-ctrl");
	snprintf(c->rules, sizeof c->rules, "/etc/tcp.smtp");
	snprintf(c->rules_cdb, sizeof c->rules_cdb, "/etc/tcp.smtp.cdb");
	snprintf(c->passwords, sizeof c->passwords, "%s", RG_SYSCONFDIR "/relaygate/passwords.db");
	c->apop_only = 1;
	c->min_uid = 1000;
	snprintf(c->ext_separator, sizeof c->ext_separator, "-");
	c->fail_delay_ms = 1000;
	snprintf(c->user, sizeof c->user, "%s", RG_STORE_USER);
	snprintf(c->group, sizeof c->group, "%s", RG_STORE_GROUP);
	c->peer_check = 1;
	c->self_service = CONFIG_SELF_CHANGE;
	c->checkpw_timeout = 60;

	if (path == NULL && trust_env)
		path = getenv("RELAYGATE_CONF");
	if (path == NULL || *path == '\0') {
		path = CONFIG_FILE;
		must_exist = 0;
	}
	if (read_file(c, path, must_exist, trust_env, e) < 0)
		return -1;
	if (!trust_env)
		return 0;
	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		const struct setting *st = &settings[i];
		const char *name = st->env;

		v = getenv(name);
		if (v == NULL && st->compat != NULL)
			v = getenv(name = st->compat);
		if (v != NULL && assign(c, st, v, name, e) < 0)
			return -1;
	}
	return 0;
}
