/*
 * rules: the tcp.smtp screen.  A local copy of the admin's rules, shown
 * line by line with the comments and numbered as `relaygate rules list`
 * numbers them; add, edit, delete and move change the copy, each typed
 * line checked by the core's parser before it is taken; save hands the
 * copy to ruleset_replace, which compiles the cdb atomically and refuses
 * if the file changed meanwhile.  "Test an address" asks the compiled cdb
 * what tcpserver would do.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ruleset.h"
#include "ui/draw.h"
#include "ui/screen.h"

enum tag { T_NONE, T_ADD, T_EDIT, T_DELETE, T_TEST, T_LEAVE };

struct rules_screen {
	int loaded;
	char *orig;			/* the text as read: what a save replaces */
	size_t olen;
	struct rules r;			/* the local copy */
	struct rules_errors file_errs;	/* the file itself does not parse */
	struct rules_errors errs;	/* the last save's errors, by line of the copy */
	int dirty;			/* the copy differs from the file */
	int sel, top;			/* line indexes */
	char error[sizeof ((struct err *)0)->msg];	/* could not read the file */
};

static struct rules_screen *
state(struct screen *s)
{
	if (s->p == NULL && (s->p = calloc(1, sizeof(struct rules_screen))) == NULL)
		ui_fatal(s->ui, "rules screen: out of memory");
	return s->p;
}

static void
drop(struct rules_screen *rs)
{
	rules_free(&rs->r);
	free(rs->orig);
	rs->orig = NULL;
	rs->olen = 0;
	rs->loaded = rs->dirty = 0;
	memset(&rs->errs, 0, sizeof rs->errs);
	memset(&rs->file_errs, 0, sizeof rs->file_errs);
}

static void
load(struct screen *s, struct rules_screen *rs)
{
	struct err e;

	drop(rs);
	rs->error[0] = '\0';
	if (ruleset_snapshot(s->ui->c, &rs->orig, &rs->olen, &e) < 0) {
		snprintf(rs->error, sizeof rs->error, "%s", e.msg);
		return;
	}
	if (rules_parse(rs->orig, rs->olen, &rs->r, &rs->file_errs) < 0) {
		ui_fatal(s->ui, "rules screen: out of memory reading %s", s->ui->c->rules);
		return;
	}
	rs->loaded = 1;
	if (rs->sel >= (int)rs->r.n)
		rs->sel = rs->r.n > 0 ? (int)rs->r.n - 1 : 0;
}

/* The rule number of line i (0 for a comment or blank line). */
static size_t
rule_number(const struct rules *r, int i)
{
	size_t n = 0;
	int k;

	if (i < 0 || i >= (int)r->n || r->lines[i].kind != RULES_RULE)
		return 0;
	for (k = 0; k <= i; k++)
		n += r->lines[k].kind == RULES_RULE;
	return n;
}

/* The line index of rule n. */
static int
line_of(const struct rules *r, size_t n)
{
	const struct rules_line *l = rules_nth(r, n);

	return l != NULL ? (int)(l - r->lines) : (int)r->n - 1;
}

static int
rules_enter(struct screen *s)
{
	struct rules_screen *rs = state(s);

	if (rs != NULL && !rs->dirty)
		load(s, rs);
	return UI_REDRAW;
}

static int
rules_leave(struct screen *s)
{
	struct rules_screen *rs = state(s);

	if (rs == NULL || !rs->dirty)
		return 1;
	dialog_confirm(&s->ui->dialog, T_LEAVE, "Unsaved rules",
	    "The rules have changes that are not saved.\nDrop them? (n, then w, saves them)");
	return 0;
}

/* --- drawing --- */

static const char *
line_error(const struct rules_screen *rs, int i)
{
	size_t k;

	for (k = 0; k < rs->errs.n && k < RULES_ERRORS_MAX; k++)
		if (rs->errs.e[k].line == (size_t)i + 1)
			return rs->errs.e[k].msg;
	return NULL;
}

static void
draw_file_errors(const struct screen *s, const struct rules_screen *rs, const struct rect *b)
{
	char buf[PATH_MAX + 100];
	size_t k;

	snprintf(buf, sizeof buf, "%s has errors; fix them with relaygate rules edit:",
	    s->ui->c->rules);
	draw_text(b->y + 1, b->x + 2, b->w - 4, buf, theme_attr(ROLE_ALERT));
	for (k = 0; k < rs->file_errs.n && k < RULES_ERRORS_MAX && (int)k < b->h - 3; k++) {
		snprintf(buf, sizeof buf, "line %zu: %s", rs->file_errs.e[k].line,
		    rs->file_errs.e[k].msg);
		draw_text(b->y + 3 + (int)k, b->x + 4, b->w - 6, buf, theme_attr(ROLE_NORMAL));
	}
}

static void
rules_draw(struct screen *s, const struct rect *b)
{
	struct rules_screen *rs = state(s);
	const struct rules_line *l;
	const char *msg;
	char num[16];
	attr_t a;
	int i, y, used;

	if (rs == NULL)
		return;
	draw_cell(b->y, b->x, b->w, "   #  tcp.smtp", theme_attr(ROLE_TITLE));
	if (rs->error[0] != '\0') {
		draw_text(b->y + 2, b->x + 2, b->w - 4, rs->error, theme_attr(ROLE_ALERT));
		return;
	}
	if (rs->file_errs.n > 0) {
		draw_file_errors(s, rs, b);
		return;
	}
	if (rs->r.n == 0)
		draw_text(b->y + 2, b->x + 2, b->w - 4, "no rules yet (a adds one)",
		    theme_attr(ROLE_DIM));
	if (rs->sel < rs->top)
		rs->top = rs->sel;
	if (rs->sel >= rs->top + b->h - 1)
		rs->top = rs->sel - (b->h - 2);
	for (i = rs->top, y = b->y + 1; i < (int)rs->r.n && y < b->y + b->h; i++, y++) {
		l = &rs->r.lines[i];
		msg = line_error(rs, i);
		a = theme_attr(i == rs->sel ? ROLE_SELECTED : msg ? ROLE_ALERT :
		    l->kind == RULES_RULE ? ROLE_NORMAL : ROLE_DIM);
		num[0] = '\0';
		if (l->kind == RULES_RULE)
			snprintf(num, sizeof num, "%4zu", rule_number(&rs->r, i));
		draw_fill(y, b->x, b->w, a);
		draw_text(y, b->x, 4, num, a);
		used = draw_text(y, b->x + 6, b->w - 6, l->text, a);
		if (msg != NULL) {
			draw_text(y, b->x + 6 + used, b->w - 6 - used, "  <- ", a);
			draw_text(y, b->x + 11 + used, b->w - 11 - used, msg, a);
		}
	}
}

static void
rules_info(struct screen *s, char *buf, size_t size)
{
	struct rules_screen *rs = state(s);

	if (rs != NULL)
		snprintf(buf, size, "%zu rules%s", rules_count(&rs->r),
		    rs->dirty ? "  MODIFIED (w saves)" : "");
}

/* --- acting --- */

/* A rule typed into the open dialog, or the error shown at that line. */
static int
typed_rule(struct dialog *d, int line, struct rules_line *l)
{
	struct err e;

	if (rules_parse_rule(d->input, l, &e) == 0)
		return 0;
	dialog_error(d, "line %d: %s", line + 1, e.msg);
	return -1;
}

static void
changed(struct rules_screen *rs)
{
	rs->dirty = 1;
	memset(&rs->errs, 0, sizeof rs->errs);
}

static int
add_rule(struct screen *s, struct rules_screen *rs, struct dialog *d)
{
	struct rules_line l;
	struct err e;
	size_t before = 0;
	int i, at = (int)rs->r.n;

	/* After the selected line: before the next rule, or at the end. */
	for (i = rs->sel + 1; rs->r.n > 0 && i < (int)rs->r.n; i++)
		if (rs->r.lines[i].kind == RULES_RULE) {
			before = rule_number(&rs->r, i);
			at = i;
			break;
		}
	if (typed_rule(d, at, &l) < 0)
		return UI_DIALOG | UI_REDRAW;
	if (rules_insert(&rs->r, &l, before, &e) < 0) {
		rules_line_free(&l);
		dialog_error(d, "%s", e.msg);
		return UI_DIALOG | UI_REDRAW;
	}
	rs->sel = before ? line_of(&rs->r, before) : (int)rs->r.n - 1;
	changed(rs);
	ui_status(s->ui, 0, "rule added; w saves and compiles");
	return UI_REDRAW;
}

static int
edit_rule(struct screen *s, struct rules_screen *rs, struct dialog *d)
{
	struct rules_line l;

	if (typed_rule(d, rs->sel, &l) < 0)
		return UI_DIALOG | UI_REDRAW;
	rules_line_free(&rs->r.lines[rs->sel]);
	rs->r.lines[rs->sel] = l;
	changed(rs);
	ui_status(s->ui, 0, "rule changed; w saves and compiles");
	return UI_REDRAW;
}

static int
save(struct screen *s, struct rules_screen *rs)
{
	struct dialog *d = &s->ui->dialog;
	char *next, list[DIALOG_TEXT_MAX] = "";
	size_t len, k, n = 0;
	struct err e;
	int r;

	if ((next = rules_text(&rs->r, &len)) == NULL) {
		ui_fatal(s->ui, "rules screen: out of memory");
		return 0;
	}
	r = ruleset_replace(s->ui->c, rs->orig, rs->olen, next, len, &rs->errs, &e);
	if (r == 0) {
		free(rs->orig);
		rs->orig = next;
		rs->olen = len;
		rs->dirty = 0;
		ui_status(s->ui, 0, "saved %s and compiled %s", s->ui->c->rules, s->ui->c->rules_cdb);
		return UI_REDRAW;
	}
	free(next);
	if (r < 0) {
		memset(&rs->errs, 0, sizeof rs->errs);
		dialog_message(d, "Not saved", "%s", e.msg);
		return UI_DIALOG | UI_REDRAW;
	}
	for (k = 0; k < rs->errs.n && k < 5 && n < sizeof list; k++)
		n += (size_t)snprintf(list + n, sizeof list - n, "\nline %zu: %s",
		    rs->errs.e[k].line, rs->errs.e[k].msg);
	dialog_message(d, "Not saved", "The rules have %zu error%s; nothing changed.%s",
	    rs->errs.n, rs->errs.n == 1 ? "" : "s", list);
	return UI_DIALOG | UI_REDRAW;
}

static int
test(struct screen *s, struct rules_screen *rs, struct dialog *d)
{
	struct rules_answer a;
	char text[DIALOG_TEXT_MAX], addr[80];
	size_t n, i;
	struct err e;

	if (ruleset_check(s->ui->c, d->input, NULL, NULL, &a, &e) < 0) {
		dialog_error(d, "%s", e.msg);
		return UI_DIALOG | UI_REDRAW;
	}
	snprintf(addr, sizeof addr, "%.60s", d->input);
	if (!a.found)
		n = (size_t)snprintf(text, sizeof text, "%s: no rule matches;\ntcpserver allows the connection (the default).", addr);
	else
		n = (size_t)snprintf(text, sizeof text, "%s: rule \"%s\":\n%s connection", addr,
		    a.key, a.deny ? "deny" : "allow");
	for (i = 0; a.found && !a.deny && i < a.nenv && n < sizeof text; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "\nset %s=\"%s\"",
		    a.env[i].name, a.env[i].value);
	if (rs->dirty && n < sizeof text)
		snprintf(text + n, sizeof text - n, "\n(by the compiled cdb: the unsaved changes are not in it)");
	dialog_message(d, "What tcpserver would do", "%s", text);
	return UI_DIALOG | UI_REDRAW;
}

static int
answer(struct screen *s, struct rules_screen *rs, struct dialog *d)
{
	struct err e;
	size_t n = rule_number(&rs->r, rs->sel);

	switch (d->tag) {
	case T_ADD: return add_rule(s, rs, d);
	case T_EDIT: return edit_rule(s, rs, d);
	case T_TEST: return test(s, rs, d);
	case T_DELETE:
		if (rules_delete(&rs->r, n, &e) < 0) {
			dialog_message(d, "Error", "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		if (rs->sel >= (int)rs->r.n && rs->sel > 0)
			rs->sel--;
		changed(rs);
		ui_status(s->ui, 0, "rule %zu deleted; w saves and compiles", n);
		return UI_REDRAW;
	case T_LEAVE:
		drop(rs);	/* the next visit reads the file again */
		return UI_PROCEED | UI_REDRAW;
	}
	return UI_REDRAW;
}

static int
move_rule(struct screen *s, struct rules_screen *rs, int down)
{
	size_t n = rule_number(&rs->r, rs->sel), to;
	struct err e;

	if (n == 0 || (!down && n == 1) || (down && n == rules_count(&rs->r)))
		return UI_BEEP;
	to = down ? n + 1 : n - 1;
	if (rules_move(&rs->r, n, to, &e) < 0) {
		ui_status(s->ui, 1, "%s", e.msg);
		return UI_BEEP | UI_REDRAW;
	}
	rs->sel = line_of(&rs->r, to);
	changed(rs);
	return UI_REDRAW;
}

static int
needs_rule(struct screen *s, struct rules_screen *rs)
{
	if (rule_number(&rs->r, rs->sel) != 0)
		return 1;
	ui_status(s->ui, 1, "not a rule: comments and blank lines are kept as they are");
	return 0;
}

static int
rules_act(struct screen *s, enum request r, struct dialog *d)
{
	struct rules_screen *rs = state(s);
	struct dialog *dl = &s->ui->dialog;
	int last;

	if (rs == NULL)
		return 0;
	if (r == REQ_ANSWER)
		return answer(s, rs, d);
	if (r == REQ_CANCEL)
		return UI_REDRAW;
	if (r == REQ_TEST) {
		dialog_prompt(dl, T_TEST, "Test an address", NULL,
		    "What would tcpserver do for a client at (address):");
		return UI_DIALOG | UI_REDRAW;
	}
	if (!rs->loaded || rs->file_errs.n > 0)
		return UI_BEEP;
	last = rs->r.n > 0 ? (int)rs->r.n - 1 : 0;
	switch (r) {
	case REQ_UP: rs->sel = rs->sel > 0 ? rs->sel - 1 : 0; return UI_REDRAW;
	case REQ_DOWN: rs->sel = rs->sel < last ? rs->sel + 1 : last; return UI_REDRAW;
	case REQ_PGUP: rs->sel = rs->sel > s->ui->page ? rs->sel - s->ui->page : 0; return UI_REDRAW;
	case REQ_PGDN: rs->sel = rs->sel + s->ui->page < last ? rs->sel + s->ui->page : last; return UI_REDRAW;
	case REQ_TOP: rs->sel = 0; return UI_REDRAW;
	case REQ_BOTTOM: rs->sel = last; return UI_REDRAW;
	case REQ_MOVE_UP: return move_rule(s, rs, 0);
	case REQ_MOVE_DOWN: return move_rule(s, rs, 1);
	case REQ_SAVE: return save(s, rs);
	case REQ_ADD:
		dialog_prompt(dl, T_ADD, "Add a rule", NULL,
		    "A rule, added after the selected line:\nADDRESS:allow,VAR=\"value\",...  or  ADDRESS:deny");
		return UI_DIALOG | UI_REDRAW;
	case REQ_EDIT:
		if (!needs_rule(s, rs))
			return UI_BEEP;
		dialog_prompt(dl, T_EDIT, "Edit a rule", rs->r.lines[rs->sel].text,
		    "Rule %zu:", rule_number(&rs->r, rs->sel));
		return UI_DIALOG | UI_REDRAW;
	case REQ_DELETE:
		if (!needs_rule(s, rs))
			return UI_BEEP;
		dialog_confirm(dl, T_DELETE, "Delete a rule", "Delete rule %zu?\n%s",
		    rule_number(&rs->r, rs->sel), rs->r.lines[rs->sel].text);
		return UI_DIALOG | UI_REDRAW;
	default:
		return UI_BEEP;
	}
}

static void
rules_done(struct screen *s)
{
	struct rules_screen *rs = s->p;

	if (rs == NULL)
		return;
	drop(rs);
	free(rs);
	s->p = NULL;
}

static const struct action rules_actions[] = {
	{ REQ_UP, "up", 0, 0 },
	{ REQ_DOWN, "down", 0, 0 },
	{ REQ_PGUP, "page up", 0, 0 },
	{ REQ_PGDN, "page down", 0, 0 },
	{ REQ_TOP, "first line", 0, 0 },
	{ REQ_BOTTOM, "last line", 0, 0 },
	{ REQ_ADD, "add", 1, 1 },
	{ REQ_EDIT, "edit", 1, 1 },
	{ REQ_DELETE, "delete", 1, 1 },
	{ REQ_MOVE_DOWN, "move down", 1, 1 },
	{ REQ_MOVE_UP, "move up", 1, 1 },
	{ REQ_SAVE, "save", 1, 1 },
	{ REQ_TEST, "test", 0, 1 },
	{ REQ_NONE, NULL, 0, 0 },
};

const struct screen_ops rules_ops = {
	.title = "Rules",
	.actions = rules_actions,
	.enter = rules_enter,
	.leave = rules_leave,
	.draw = rules_draw,
	.info = rules_info,
	.act = rules_act,
	.done = rules_done,
};
