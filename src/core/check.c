/*
 * check: relaygate-check's decision, once per SMTP connection: may this
 * client relay now, and with which RELAYCLIENT (relay_check, relay.h;
 * chain_check, chain.h).  It reads the store through grantread.h, never
 * libdb, and this file links nothing that does: relaygate-check is a small
 * static program whose cost per connection is an exec and a few reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chain.h"
#include "core/config.h"
#include "core/relay.h"
#include "stores/grantread.h"

const char *
relay_relayclient(const struct config *c, const struct grant *g)
{
	return g->pinned && g->has_relayclient ? g->relayclient : c->relayclient;
}

int
relay_check(const struct config *c, const struct addr *a, int64_t now,
    struct relay_decision *d, struct err *e)
{
	struct grantread db;
	struct grantdb_opts o;
	struct grant m;
	struct err me;
	int64_t expires;
	int pinned, r;

	memset(d, 0, sizeof *d);
	d->answer = RELAY_NO;
	memset(&o, 0, sizeof o);
	o.lock_timeout_ms = c->lock_timeout_ms;
	o.sync = c->sync;
	if (grantread_open(&db, c->dir, &o, e) < 0)
		return -1;
	/* grants.db alone decides; only a pin needs its details, and a pin
	 * whose details cannot be read still relays. */
	r = grantread_lookup(&db, a->text, &expires, &pinned, e);
	if (r == 1 && pinned) {
		memset(&m, 0, sizeof m);
		err_clear(&me);
		if (grantread_details(&db, a->text, &m, &me) == 1 && m.pinned) {
			d->grant = m;
		} else {
			snprintf(d->details_err, sizeof d->details_err, "%s",
			    me.msg[0] ? me.msg : "its details record is not a pin's");
		}
	}
	grantread_close(&db);
	if (r < 0)
		return -1;
	if (r == 0)
		return 0;
	snprintf(d->grant.addr, sizeof d->grant.addr, "%s", a->text);
	d->grant.pinned = pinned;
	d->grant.expires = pinned ? 0 : expires;
	if (d->details_err[0] != '\0')
		d->grant.has_relayclient = 0;
	if (!pinned)
		grant_cap(&d->grant, now);	/* a clock that was ahead when it was written */
	if (!grant_live(&d->grant, now))
		return 0;
	d->answer = pinned ? RELAY_PIN : RELAY_GRANT;
	snprintf(d->relayclient, sizeof d->relayclient, "%s", relay_relayclient(c, &d->grant));
	return 0;
}

void
chain_check(int64_t now, struct chain_result *r)
{
	struct relay_decision d;
	struct config c;
	struct addr a;
	struct err e;
	const char *from;

	memset(r, 0, sizeof *r);
	/* tcpserver's rules already decided: leave their word alone. */
	if (getenv("RELAYCLIENT") != NULL)
		return;
	if (chain_setup(&c, &a, &from, "no RELAYCLIENT", r) < 0)
		return;
	if (relay_check(&c, &a, now, &d, &e) < 0) {
		snprintf(r->log, sizeof r->log, "%s; no RELAYCLIENT for %s",
		    e.msg, a.text);
		return;
	}
	if (d.answer == RELAY_NO)
		return;
	if (d.answer == RELAY_PIN && d.details_err[0] != '\0')
		snprintf(r->log, sizeof r->log, "%s is pinned: relaying with the configured "
		    "RELAYCLIENT, as its details cannot be read: %s", a.text, d.details_err);
	r->set_relayclient = 1;
	memcpy(r->relayclient, d.relayclient, sizeof r->relayclient);
}
