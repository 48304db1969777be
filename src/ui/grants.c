/*
 * grants: the home screen, the live grants and pins, one page at a time.
 *
 * The screen holds only the rows it shows.  Its state is an order, a
 * filter, the key of the top row and the selected address, never a row
 * number: each read starts at the top key, and the cursor is put back on
 * the same address (or, if that grant went, on the one that took its
 * place).  A tick costs one stat (view_changed) unless the store moved;
 * the countdown is recomputed from the stored expiry at every draw.
 * Actions name the address and act on the grant as it was shown, through
 * the core's *_seen calls, so a grant that changed or went meanwhile is
 * reported, never touched.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/relay.h"
#include "core/view.h"
#include "ui/draw.h"
#include "ui/screen.h"

#define BUDGET_MS 50		/* per read, for a user-substring filter */

enum tag {
	T_NONE, T_FILTER, T_REVOKE, T_UNPIN, T_PIN_RC, T_PIN_NOTE, T_EXTEND,
	T_ALLOW_ADDR, T_ALLOW_TTL,
};

struct grants {
	enum view_order order;
	struct view_filter filter;
	char filter_text[DIALOG_TEXT_MAX];	/* "" no filter */
	struct view_key top;		/* the first row's key; len 0: the start */
	char sel[ADDR_TEXT_MAX];	/* the selected address; "" none */
	int sel_i;			/* its row in rows[] */
	struct view_row *rows, *scratch;	/* the page, and room for a look around */
	size_t n, cap;
	struct view_token token;
	char error[sizeof ((struct err *)0)->msg];	/* the last read failed */
	int searching;			/* a user filter's walk ran out of time */
	struct view_key resume;		/* where it goes on from */
	/* what the open dialog acts on */
	struct grant seen;
	struct addr addr;
	int own_rc;
	char rc[DIALOG_TEXT_MAX];	/* its RELAYCLIENT, checked by the core */
};

static const char *const order_names[] = { "address", "remaining", "user" };

static struct grants *
state(struct screen *s)
{
	if (s->p == NULL && (s->p = calloc(1, sizeof(struct grants))) == NULL)
		ui_fatal(s->ui, "grants screen: out of memory");
	return s->p;
}

/* Room for a page of rows; 0, or -1 (fatal: out of memory). */
static int
room(struct screen *s, struct grants *g)
{
	size_t want = s->ui->page > 0 ? (size_t)s->ui->page : 1;
	struct view_row *r, *sc;

	if (want <= g->cap)
		return 0;
	r = realloc(g->rows, want * sizeof *r);
	if (r != NULL)
		g->rows = r;
	sc = realloc(g->scratch, want * sizeof *sc);
	if (sc != NULL)
		g->scratch = sc;
	if (r == NULL || sc == NULL) {
		ui_fatal(s->ui, "grants screen: out of memory for %zu rows", want);
		return -1;
	}
	g->cap = want;
	return 0;
}

static size_t
page_size(const struct screen *s)
{
	return s->ui->page > 0 ? (size_t)s->ui->page : 1;
}

/* Read up to max rows into out; 0, or -1 with g->error set. */
static int
read_rows(struct screen *s, struct grants *g, enum view_from from, const struct view_key *k,
    size_t max, struct view_row *out, size_t *n, int *partial, struct view_key *resume)
{
	struct err e;

	*partial = 0;
	if (view_read(s->ui->c, g->order, &g->filter, from, k, max, s->ui->now, BUDGET_MS,
	    out, n, partial, resume, &e) < 0) {
		/* No store yet (ENOENT): an empty list, said as such below. */
		if (e.errnum == ENOENT) {
			g->error[0] = '\0';
			*n = 0;
			return 0;
		}
		snprintf(g->error, sizeof g->error, "%s", e.msg);
		*n = 0;
		return -1;
	}
	g->error[0] = '\0';
	return 0;
}

/* Put the cursor back on the selected address, or on the row that took its place. */
static void
reselect(struct grants *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->rows[i].g.addr, g->sel) == 0) {
			g->sel_i = (int)i;
			return;
		}
	if (g->n == 0) {
		g->sel_i = 0;
		g->sel[0] = '\0';
		return;
	}
	if (g->sel_i >= (int)g->n)
		g->sel_i = (int)g->n - 1;
	if (g->sel_i < 0)
		g->sel_i = 0;
	snprintf(g->sel, sizeof g->sel, "%s", g->rows[g->sel_i].g.addr);
}

/* Read the page from the top key (or from k with from), then find the cursor. */
static void
load(struct screen *s, struct grants *g, enum view_from from, const struct view_key *k)
{
	int partial = 0;

	if (room(s, g) < 0)
		return;
	if (read_rows(s, g, from, k, page_size(s), g->rows, &g->n, &partial, &g->resume) == 0 &&
	    g->n > 0)
		g->top = g->rows[0].key;
	else if (from == VIEW_FIRST)
		g->top.len = 0;
	g->searching = partial && from != VIEW_BEFORE && from != VIEW_LAST;
	reselect(g);
}

static void
load_top(struct screen *s, struct grants *g)
{
	load(s, g, g->top.len ? VIEW_AT : VIEW_FIRST, &g->top);
	/* Rows went from the end: pull the page back so it stays full. */
	if (g->n < page_size(s) && g->top.len > 0 && !g->searching && g->error[0] == '\0')
		load(s, g, VIEW_LAST, NULL);
}

/* A user filter's walk goes on where the budget cut it off. */
static void
search_on(struct screen *s, struct grants *g)
{
	size_t got = 0;
	int partial = 0;

	if (g->n >= page_size(s)) {
		g->searching = 0;
		return;
	}
	if (read_rows(s, g, VIEW_AFTER, &g->resume, page_size(s) - g->n, g->rows + g->n,
	    &got, &partial, &g->resume) < 0) {
		g->searching = 0;
		return;
	}
	if (g->n == 0 && got > 0)
		g->top = g->rows[0].key;
	g->n += got;
	g->searching = partial;
	reselect(g);
}

/*
 * Show grant x with the cursor on it, offset rows below the top if there
 * are as many before it.  1 done, 0 it is not in the view (gone, or
 * filtered out).
 */
static int
locate(struct screen *s, struct grants *g, const struct grant *x, int offset)
{
	struct view_key k, resume;
	size_t n = 0;
	int partial;

	if (room(s, g) < 0)
		return 0;
	view_key_of(g->order, x, &k);
	if (read_rows(s, g, VIEW_AT, &k, 1, g->scratch, &n, &partial, &resume) < 0 || n == 0 ||
	    strcmp(g->scratch[0].g.addr, x->addr) != 0)
		return 0;
	if (offset >= (int)page_size(s))
		offset = (int)page_size(s) - 1;
	g->top = k;
	if (offset > 0 && read_rows(s, g, VIEW_BEFORE, &k, (size_t)offset, g->scratch, &n,
	    &partial, &resume) == 0 && n > 0)
		g->top = g->scratch[0].key;
	snprintf(g->sel, sizeof g->sel, "%s", x->addr);
	load_top(s, g);
	return 1;
}

/* Re-read after a change: the cursor's address, wherever it is now. */
static void
refresh_page(struct screen *s, struct grants *g)
{
	struct grant x;
	struct addr a;
	struct err e;
	int offset = g->sel_i;

	load_top(s, g);
	if (g->sel[0] == '\0' || (g->n > 0 && strcmp(g->rows[g->sel_i].g.addr, g->sel) == 0))
		return;
	/* Not on this page: still there (moved), or gone (keep the neighbour). */
	if (addr_parse(g->sel, &a, &e) == 0 && relay_get(s->ui->c, &a, &x, &e) == 1 &&
	    grant_live(&x, s->ui->now) && locate(s, g, &x, offset))
		return;
	reselect(g);
}

static int
grants_enter(struct screen *s)
{
	struct grants *g = state(s);

	if (g == NULL)
		return 0;
	memset(&g->token, 0, sizeof g->token);
	view_changed(s->ui->c, &g->token, s->ui->now);
	refresh_page(s, g);
	return UI_REDRAW;
}

static int
grants_tick(struct screen *s)
{
	struct grants *g = state(s);
	size_t i;
	int stale = 0;

	if (g == NULL)
		return 0;
	for (i = 0; i < g->n && !stale; i++)
		stale = !grant_live(&g->rows[i].g, s->ui->now);
	if (view_changed(s->ui->c, &g->token, s->ui->now) || stale || g->cap < page_size(s) ||
	    g->n > page_size(s) || (g->n < page_size(s) && g->error[0] != '\0'))
		refresh_page(s, g);
	else if (g->searching)
		search_on(s, g);
	return UI_REDRAW;
}

/* --- drawing --- */

static void
remaining_text(int64_t left, char *buf, size_t size)
{
	if (left < 0)
		snprintf(buf, size, "pinned");
	else if (left == 0)
		snprintf(buf, size, "expired");
	else if (left < 3600)
		snprintf(buf, size, "%lld:%02lld", (long long)left / 60, (long long)left % 60);
	else if (left < 100 * 3600)
		snprintf(buf, size, "%lldh%02lldm", (long long)left / 3600,
		    (long long)left % 3600 / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", (long long)left / 86400,
		    (long long)left % 86400 / 3600);
}

static void
granted_text(int64_t t, int64_t now, char *buf, size_t size)
{
	time_t tt = (time_t)t, tn = (time_t)now;
	struct tm tm, today;

	if (localtime_r(&tt, &tm) == NULL || localtime_r(&tn, &today) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	if (strftime(buf, size, tm.tm_yday == today.tm_yday && tm.tm_year == today.tm_year ?
	    "%H:%M:%S" : "%d %b %y", &tm) == 0)
		snprintf(buf, size, "?");
}

enum { C_ADDR, C_LEFT, C_USER, C_PROTO, C_GRANTED, C_RC, C_NOTE, NCOLS };

static const char *const col_titles[NCOLS] = {
	"ADDRESS", "LEFT", "USER", "PROTO", "GRANTED", "RELAYCLIENT", "NOTE" };

/* Column widths for a body w wide: the note takes what is left. */
static void
columns(int w, int width[NCOLS])
{
	static const int base[NCOLS] = { 20, 8, 9, 6, 9, 11, 0 };
	int i, extra = w - 80, used = 2, more;

	for (i = 0; i < NCOLS; i++)
		width[i] = base[i];
	more = extra / 2 > 19 ? 19 : extra > 0 ? extra / 2 : 0;
	width[C_ADDR] += more;		/* room for a whole IPv6 address first */
	extra -= more;
	if (extra > 0) {
		width[C_USER] += extra / 4 > 12 ? 12 : extra / 4;
		width[C_RC] += extra / 4 > 14 ? 14 : extra / 4;
	}
	for (i = 0; i < C_NOTE; i++)
		used += width[i] + 1;
	width[C_NOTE] = w - used > 0 ? w - used : 0;
}

static void
draw_row(const struct screen *s, const struct view_row *r, int y, const struct rect *b,
    const int width[NCOLS], int selected)
{
	const struct grant *x = &r->g;
	char left[32], granted[32];
	const char *cell[NCOLS];
	attr_t a = theme_attr(selected ? ROLE_SELECTED : x->pinned ? ROLE_PINNED : ROLE_NORMAL);
	int i, col = b->x + 2;

	remaining_text(grant_remaining(x, s->ui->now), left, sizeof left);
	granted_text(x->granted, s->ui->now, granted, sizeof granted);
	cell[C_ADDR] = x->addr;
	cell[C_LEFT] = left;
	cell[C_USER] = x->user;
	cell[C_PROTO] = x->proto;
	cell[C_GRANTED] = granted;
	cell[C_RC] = relay_relayclient(s->ui->c, x);
	cell[C_NOTE] = x->note;
	draw_fill(y, b->x, b->w, a);
	draw_text(y, b->x, 2, x->pinned ? "* " : "  ", a);
	for (i = 0; i < NCOLS; i++) {
		draw_cell(y, col, width[i], cell[i], a);
		col += width[i] + 1;
	}
}

static void
grants_draw(struct screen *s, const struct rect *b)
{
	struct grants *g = state(s);
	int width[NCOLS], i, col = b->x + 2;
	char buf[DIALOG_TEXT_MAX + 64];

	if (g == NULL)
		return;
	columns(b->w, width);
	draw_fill(b->y, b->x, b->w, theme_attr(ROLE_TITLE));
	for (i = 0; i < NCOLS; i++) {
		draw_text(b->y, col, width[i], col_titles[i], theme_attr(ROLE_TITLE));
		col += width[i] + 1;
	}
	for (i = 0; i < (int)g->n && i < b->h - 1; i++)
		draw_row(s, &g->rows[i], b->y + 1 + i, b, width, i == g->sel_i);
	if (g->error[0] != '\0') {
		draw_text(b->y + 2, b->x + 2, b->w - 4, g->error, theme_attr(ROLE_ALERT));
	} else if (g->n == 0 && !g->searching) {
		if (g->filter_text[0] != '\0')
			snprintf(buf, sizeof buf, "no grants match \"%s\"", g->filter_text);
		else
			snprintf(buf, sizeof buf, "no grants yet");
		draw_text(b->y + 2, b->x + 2, b->w - 4, buf, theme_attr(ROLE_DIM));
	}
}

static void
grants_info(struct screen *s, char *buf, size_t size)
{
	struct grants *g = state(s);

	if (g == NULL)
		return;
	snprintf(buf, size, "%s%s%.40s%ssort: %s", g->searching ? "searching...  " : "",
	    g->filter_text[0] ? "filter: " : "", g->filter_text, g->filter_text[0] ? "  " : "",
	    order_names[g->order]);
}

/* --- moving --- */

/* Move the cursor one row, scrolling by one at the page's edges. */
static int
step(struct screen *s, struct grants *g, int down)
{
	struct view_key resume;
	size_t n = 0;
	int partial;

	if (g->n == 0)
		return UI_BEEP;
	if (down && g->sel_i + 1 < (int)g->n) {
		g->sel_i++;
	} else if (!down && g->sel_i > 0) {
		g->sel_i--;
	} else {
		if (read_rows(s, g, down ? VIEW_AFTER : VIEW_BEFORE,
		    down ? &g->rows[g->n - 1].key : &g->rows[0].key, 1, g->scratch, &n,
		    &partial, &resume) < 0 || n == 0)
			return n == 0 && g->error[0] == '\0' ? UI_BEEP : UI_REDRAW;
		snprintf(g->sel, sizeof g->sel, "%s", g->scratch[0].g.addr);
		g->top = down ? (g->n > 1 ? g->rows[1].key : g->scratch[0].key) : g->scratch[0].key;
		load_top(s, g);
		return UI_REDRAW;
	}
	snprintf(g->sel, sizeof g->sel, "%s", g->rows[g->sel_i].g.addr);
	return UI_REDRAW;
}

/* A page up or down: the cursor keeps its row on the screen. */
static int
page(struct screen *s, struct grants *g, int down)
{
	struct view_key resume;
	size_t n = 0;
	int partial, at = g->sel_i;

	if (g->n == 0)
		return UI_BEEP;
	if (read_rows(s, g, down ? VIEW_AFTER : VIEW_BEFORE,
	    down ? &g->rows[g->n - 1].key : &g->rows[0].key, page_size(s), g->scratch, &n,
	    &partial, &resume) < 0)
		return UI_REDRAW;
	if (n == 0) {		/* no more that way: to the first or last row */
		g->sel_i = down ? (int)g->n - 1 : 0;
		snprintf(g->sel, sizeof g->sel, "%s", g->rows[g->sel_i].g.addr);
		return UI_REDRAW;
	}
	g->top = g->scratch[0].key;
	g->sel[0] = '\0';
	load_top(s, g);
	g->sel_i = at < (int)g->n ? at : (int)g->n - 1;
	reselect(g);
	snprintf(g->sel, sizeof g->sel, "%s", g->n ? g->rows[g->sel_i].g.addr : "");
	return UI_REDRAW;
}

static int
ends(struct screen *s, struct grants *g, int last)
{
	g->sel[0] = '\0';
	load(s, g, last ? VIEW_LAST : VIEW_FIRST, NULL);
	g->sel_i = last ? (int)g->n - 1 : 0;
	if (g->sel_i < 0)
		g->sel_i = 0;
	snprintf(g->sel, sizeof g->sel, "%s", g->n ? g->rows[g->sel_i].g.addr : "");
	return UI_REDRAW;
}

/* Sort by the next order, the cursor on the same address. */
static int
sort(struct screen *s, struct grants *g)
{
	struct grant x;
	int had = g->n > 0, offset = g->sel_i;

	if (had)
		x = g->rows[g->sel_i].g;
	g->order = (g->order + 1) % 3;
	g->top.len = 0;
	if (!had || !locate(s, g, &x, offset))
		load(s, g, VIEW_FIRST, NULL);
	return UI_REDRAW;
}

/* --- acting --- */

/* The selected grant, captured for the dialog about to open; 0, or -1 none. */
static int
capture(struct screen *s, struct grants *g)
{
	struct err e;

	if (g->n == 0 || g->sel_i < 0 || g->sel_i >= (int)g->n)
		return -1;
	g->seen = g->rows[g->sel_i].g;
	if (addr_parse(g->seen.addr, &g->addr, &e) < 0) {
		ui_status(s->ui, 1, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* What a change on g->addr came to, said once; flags for the frame. */
static int
outcome(struct screen *s, struct grants *g, int r, const struct err *e, const char *done)
{
	struct dialog *d = &s->ui->dialog;

	switch (r) {
	case RELAY_DONE:
		ui_status(s->ui, 0, "%s %s", done, g->addr.text);
		refresh_page(s, g);
		return UI_REDRAW;
	case RELAY_UNCHANGED:
		dialog_message(d, "Nothing changed", "%s: nothing to do; nothing changed",
		    g->addr.text);
		break;
	case RELAY_GONE:
		dialog_message(d, "Nothing changed",
		    "%s is gone (expired or removed); nothing changed", g->addr.text);
		break;
	case RELAY_CHANGED:
		dialog_message(d, "Nothing changed", "%s changed meanwhile; nothing changed",
		    g->addr.text);
		break;
	default:	/* REFUSED, or -1 */
		dialog_message(d, r < 0 ? "Error" : "Refused", "%s: %s", g->addr.text, e->msg);
		break;
	}
	refresh_page(s, g);
	return UI_DIALOG | UI_REDRAW;
}

/* A number of seconds typed into the open dialog; 0, or -1 (error shown). */
static int
seconds(struct dialog *d, long *ttl)
{
	struct err e;

	if (config_number("the time", d->input, 1, LONG_MAX / 2, "seconds", ttl, &e) == 0)
		return 0;
	dialog_error(d, "%s", e.msg);
	return -1;
}

static int
ask(struct screen *s, struct grants *g, enum request r)
{
	struct dialog *d = &s->ui->dialog;
	const struct config *c = s->ui->c;
	char left[32];

	if (r == REQ_ADD) {
		dialog_prompt(d, T_ALLOW_ADDR, "Allow an address", NULL,
		    "Address to let relay (IPv4 or IPv6):");
		return UI_DIALOG | UI_REDRAW;
	}
	if (capture(s, g) < 0)
		return UI_BEEP;
	switch (r) {
	case REQ_DELETE:
		if (g->seen.pinned)
			dialog_confirm(d, T_UNPIN, "Unpin", "Unpin %s?\nIt is a pin (by %s); it stops relaying at once.",
			    g->addr.text, g->seen.user);
		else
			dialog_confirm(d, T_REVOKE, "Revoke", "Revoke the grant of %s (user %s)?\nIt stops relaying at once.",
			    g->addr.text, g->seen.user);
		break;
	case REQ_UNPIN:
		if (!g->seen.pinned) {
			ui_status(s->ui, 1, "%s is not pinned", g->addr.text);
			return UI_BEEP;
		}
		dialog_confirm(d, T_UNPIN, "Unpin", "Unpin %s?\nIt stops relaying at once.",
		    g->addr.text);
		break;
	case REQ_PIN:
		dialog_prompt(d, T_PIN_RC, "Pin", g->seen.has_relayclient ? g->seen.relayclient : NULL,
		    "Pin %s for good.\nRELAYCLIENT for it (empty: the configured one, \"%s\"):",
		    g->addr.text, c->relayclient);
		break;
	case REQ_EDIT:
		if (g->seen.pinned) {
			ui_status(s->ui, 1, "%s is pinned: it never expires", g->addr.text);
			return UI_BEEP;
		}
		snprintf(left, sizeof left, "%ld", c->expiry);
		dialog_prompt(d, T_EXTEND, "Extend", left, "Let %s relay for how many seconds from now?\n(it has %lld left)",
		    g->addr.text, (long long)grant_remaining(&g->seen, s->ui->now));
		break;
	default:
		return UI_BEEP;
	}
	return UI_DIALOG | UI_REDRAW;
}

static int
set_filter(struct screen *s, struct grants *g, struct dialog *d)
{
	struct view_filter f;
	struct err e;

	memset(&f, 0, sizeof f);
	if (d->input[0] != '\0' && view_filter_parse(&f, d->input, &e) < 0) {
		dialog_error(d, "%s", e.msg);
		return UI_DIALOG | UI_REDRAW;
	}
	g->filter = f;
	snprintf(g->filter_text, sizeof g->filter_text, "%s", d->input);
	g->top.len = 0;
	load(s, g, VIEW_FIRST, NULL);
	return UI_REDRAW;
}

static int
allowed(struct screen *s, struct grants *g, struct dialog *d)
{
	struct grant x;
	struct err e;
	long ttl;
	int r;

	if (seconds(d, &ttl) < 0)
		return UI_DIALOG | UI_REDRAW;
	r = relay_allow(s->ui->c, &g->addr, s->ui->actor, RELAY_PROTO_MANUAL, ttl, s->ui->now, &e);
	if (r < 0 && e.kind == ERR_PERM) {
		dialog_error(d, "%s", e.msg);
		return UI_DIALOG | UI_REDRAW;
	}
	if (r == RELAY_UNCHANGED) {
		dialog_message(d, "Nothing changed", "%s is pinned; left as it is", g->addr.text);
		return UI_DIALOG | UI_REDRAW;
	}
	if (r != RELAY_DONE)
		return outcome(s, g, r, &e, "allowed");
	ui_status(s->ui, 0, "allowed %s for %ld s", g->addr.text, ttl);
	if (relay_get(s->ui->c, &g->addr, &x, &e) == 1 && locate(s, g, &x, g->sel_i))
		return UI_REDRAW;
	refresh_page(s, g);
	return UI_REDRAW;
}

static int
answer(struct screen *s, struct grants *g, struct dialog *d)
{
	const struct config *c = s->ui->c;
	struct err e;
	char ttl_text[32];
	int capped = 0, r;
	long ttl;

	switch (d->tag) {
	case T_FILTER:
		return set_filter(s, g, d);
	case T_REVOKE:
		r = relay_revoke_seen(c, &g->addr, &g->seen, s->ui->now, &e);
		return outcome(s, g, r, &e, "revoked");
	case T_UNPIN:
		r = relay_unpin_seen(c, &g->addr, &g->seen, s->ui->now, &e);
		return outcome(s, g, r, &e, "unpinned");
	case T_PIN_RC:
		g->own_rc = d->len > 0;
		snprintf(g->rc, sizeof g->rc, "%s", d->input);
		dialog_prompt(d, T_PIN_NOTE, "Pin", g->seen.pinned ? g->seen.note : NULL,
		    "A note on the pin of %s (optional):", g->addr.text);
		return UI_DIALOG | UI_REDRAW;
	case T_PIN_NOTE:
		r = relay_pin(c, &g->addr, s->ui->actor, g->own_rc ? g->rc : NULL, d->input,
		    s->ui->now, &e);
		if (r < 0 && e.kind == ERR_PERM) {
			dialog_error(d, "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		return outcome(s, g, r, &e, "pinned");
	case T_EXTEND:
		if (seconds(d, &ttl) < 0)
			return UI_DIALOG | UI_REDRAW;
		r = relay_extend(c, &g->addr, &g->seen, ttl, s->ui->now, &capped, &e);
		r = outcome(s, g, r, &e, "extended");
		if (capped && !(r & UI_DIALOG))
			ui_status(s->ui, 0, "extended %s, capped at the longest lifetime (%ld s)",
			    g->addr.text, (long)RELAY_TTL_MAX);
		return r;
	case T_ALLOW_ADDR:
		if (addr_parse(d->input, &g->addr, &e) < 0) {
			dialog_error(d, "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		snprintf(ttl_text, sizeof ttl_text, "%ld", c->expiry);
		dialog_prompt(d, T_ALLOW_TTL, "Allow an address", ttl_text,
		    "Let %s relay for how many seconds?", g->addr.text);
		return UI_DIALOG | UI_REDRAW;
	case T_ALLOW_TTL:
		return allowed(s, g, d);
	}
	return UI_REDRAW;
}

static int
grants_act(struct screen *s, enum request r, struct dialog *d)
{
	struct grants *g = state(s);

	if (g == NULL)
		return 0;
	switch (r) {
	case REQ_UP: return step(s, g, 0);
	case REQ_DOWN: return step(s, g, 1);
	case REQ_PGUP: return page(s, g, 0);
	case REQ_PGDN: return page(s, g, 1);
	case REQ_TOP: return ends(s, g, 0);
	case REQ_BOTTOM: return ends(s, g, 1);
	case REQ_SORT: return sort(s, g);
	case REQ_FILTER:
		dialog_prompt(&s->ui->dialog, T_FILTER, "Filter", g->filter_text,
		    "Show grants whose address starts with, or user holds:\n(192.0.2.  10.1.0.0/16  2001:db8:  alice; empty: all)");
		return UI_DIALOG | UI_REDRAW;
	case REQ_ANSWER: return answer(s, g, d);
	case REQ_CANCEL: return UI_REDRAW;
	default: return ask(s, g, r);
	}
}

static void
grants_done(struct screen *s)
{
	struct grants *g = s->p;

	if (g == NULL)
		return;
	free(g->rows);
	free(g->scratch);
	free(g);
	s->p = NULL;
}

static const struct action grants_actions[] = {
	{ REQ_UP, "up", 0, 0 },
	{ REQ_DOWN, "down", 0, 0 },
	{ REQ_PGUP, "page up", 0, 0 },
	{ REQ_PGDN, "page down", 0, 0 },
	{ REQ_TOP, "first grant", 0, 0 },
	{ REQ_BOTTOM, "last grant", 0, 0 },
	{ REQ_ADD, "allow", 1, 1 },
	{ REQ_DELETE, "revoke", 1, 1 },
	{ REQ_PIN, "pin", 1, 1 },
	{ REQ_UNPIN, "unpin", 1, 1 },
	{ REQ_EDIT, "extend", 1, 1 },
	{ REQ_FILTER, "filter", 0, 1 },
	{ REQ_SORT, "sort", 0, 1 },
	{ REQ_NONE, NULL, 0, 0 },
};

const struct screen_ops grants_ops = {
	.title = "Grants",
	.actions = grants_actions,
	.enter = grants_enter,
	.tick = grants_tick,
	.draw = grants_draw,
	.info = grants_info,
	.act = grants_act,
	.done = grants_done,
};
