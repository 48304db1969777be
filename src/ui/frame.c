/*
 * frame: the console's terminal, its one loop, and everything around the
 * screens: header, tabs, status line, footer, dialogs, keys to requests.
 *
 * One loop owns time, keys and the terminal.  It waits for a key until the
 * next tick (a CLOCK_MONOTONIC deadline on the next wall-clock second, so
 * the countdown turns with the clock), and at each tick runs the expiry
 * schedule, reads the header's counts, lets the shown screen look for
 * changes, and draws one frame.  Nothing else wakes it.  A dialog and
 * "terminal too small" are states of this loop, never loops of their own,
 * so expiry keeps running.  Signal handlers only set a flag; every way out
 * goes through teardown(), which ends curses and puts the terminal's own
 * settings back.
 */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include "core/relay.h"
#include "core/sched.h"
#include "core/view.h"
#include "ui/draw.h"
#include "ui/screen.h"
#include "ui/ui.h"

#define MIN_LINES 24
#define MIN_COLS 80
#define HEADER_ROWS 3		/* two of header, one of tabs */
#define FOOTER_ROWS 2		/* status line and keys */
#define DEAD_AFTER 100		/* getch errors in a row, each long before its timeout */
#define INTERVAL_MS 10000L

static volatile sig_atomic_t got_signal;

static void
on_signal(int sig)
{
	got_signal = sig;
}

struct frame {
	struct ui ui;
	struct screen screens[4];
	int cur;
	enum request pending;		/* a switch or quit waiting on the screen's question */
	int sweeping;			/* the console runs the schedule (not read-only) */
	struct sched sched;
	long interval_ms;
	struct view_counts counts;
	char counts_err[sizeof ((struct err *)0)->msg];
	int overdue;
	FILE *timing;			/* RELAYGATE_UI_TIMING */
	int quit;
	struct termios saved;
	SCREEN *term;
};

static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t
mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t
wall_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void
ui_status(struct ui *u, int alert, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->status, sizeof u->status, fmt, ap);
	va_end(ap);
	u->status_alert = alert;
}

void
ui_fatal(struct ui *u, const char *fmt, ...)
{
	va_list ap;

	if (u->fatal)
		return;		/* the first one says what went wrong */
	va_start(ap, fmt);
	vsnprintf(u->fatal_msg, sizeof u->fatal_msg, fmt, ap);
	va_end(ap);
	u->fatal = 1;
}

/* --- the header, tabs, status line and footer --- */

static void
clock_text(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL || strftime(buf, size, "%H:%M:%S", &tm) == 0)
		snprintf(buf, size, "?");
}

static void
draw_header(struct frame *f)
{
	attr_t h = theme_attr(ROLE_HEADER), al = theme_attr(ROLE_ALERT);
	struct ui *u = &f->ui;
	char buf[PATH_MAX + 64], when[32];
	int x, flags_w;
	const char *flags = u->readonly && u->paused ? "READ-ONLY  PAUSED " :
	    u->readonly ? "READ-ONLY " : u->paused ? "PAUSED " : "";

	draw_fill(0, 0, COLS, h);
	flags_w = draw_width(flags);
	x = draw_text(0, 0, COLS - flags_w - 1, " relaygate console   store ", h);
	draw_text(0, x, COLS - flags_w - 1 - x, u->c->dir, h);
	if (*flags)
		draw_text(0, COLS - flags_w, flags_w, flags, al);

	draw_fill(1, 0, COLS, h);
	if (f->counts_err[0] != '\0') {
		snprintf(buf, sizeof buf, " counts: %s", f->counts_err);
		draw_text(1, 0, COLS, buf, al);
		return;
	}
	snprintf(buf, sizeof buf, " %ld timed   %ld pinned   %ld expired, not swept   ",
	    f->counts.timed - f->counts.expired, f->counts.pinned, f->counts.expired);
	x = draw_text(1, 0, COLS, buf, h);
	if (f->sweeping && f->sched.failing) {
		snprintf(buf, sizeof buf, "sweep failed: %s", f->sched.err.msg);
		draw_text(1, x, COLS - x, buf, al);
	} else if (!f->sweeping && f->overdue) {
		draw_text(1, x, COLS - x, "no expiry loop is running", al);
	} else if (!f->sweeping) {
		draw_text(1, x, COLS - x, "not sweeping (read-only)", h);
	} else if (f->sched.last_ms == 0) {
		draw_text(1, x, COLS - x, "no sweep yet", h);
	} else {
		clock_text(f->sched.last_ms / 1000, when, sizeof when);
		snprintf(buf, sizeof buf, "swept %s, removed %ld", when, f->sched.last_removed);
		draw_text(1, x, COLS - x, buf, h);
	}
}

static void
draw_tabs(struct frame *f)
{
	char buf[200];
	int i, x = 0, w;

	draw_fill(2, 0, COLS, theme_attr(ROLE_TAB));
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof buf, " %d %s ", i + 1, f->screens[i].ops->title);
		x += draw_text(2, x, COLS - x, buf,
		    theme_attr(i == f->cur ? ROLE_TAB_ACTIVE : ROLE_TAB));
		x += draw_text(2, x, COLS - x, " ", theme_attr(ROLE_TAB));
	}
	buf[0] = '\0';
	if (f->screens[f->cur].ops->info != NULL)
		f->screens[f->cur].ops->info(&f->screens[f->cur], buf, sizeof buf);
	w = draw_width(buf);
	if (w > COLS - x - 1)
		w = COLS - x - 1;
	draw_text(2, COLS - w - 1, w, buf, theme_attr(ROLE_TAB));
}

/* One footer entry: the key in reverse, its label; returns the new x. */
static int
footer_item(int x, enum request r, const char *label)
{
	char key[16];

	if (!keys_short(r, key, sizeof key) || x + draw_width(key) + draw_width(label) + 2 > COLS)
		return x;
	x += draw_text(LINES - 1, x, COLS - x, key, theme_attr(ROLE_KEY));
	x += 1 + draw_text(LINES - 1, x + 1, COLS - x - 1, label, theme_attr(ROLE_NORMAL));
	return x + 1;
}

static void
draw_footer(struct frame *f)
{
	const struct action *a;
	struct ui *u = &f->ui;
	int x = 0;

	if (u->status[0] != '\0')
		draw_cell(LINES - 2, 0, COLS, u->status,
		    theme_attr(u->status_alert ? ROLE_ALERT : ROLE_NORMAL));
	for (a = f->screens[f->cur].ops->actions; a->req != REQ_NONE; a++)
		if (a->footer && !(a->writes && u->readonly))
			x = footer_item(x, a->req, a->label);
	for (a = keys_global; a->req != REQ_NONE; a++)
		if (a->footer)
			x = footer_item(x, a->req,
			    a->req == REQ_PAUSE && u->paused ? "resume" : a->label);
}

static void
draw_frame(struct frame *f)
{
	struct screen *s = &f->screens[f->cur];
	struct rect body;
	int cy = 0, cx = 0, cursor = 0;
	char buf[100];

	erase();
	if (LINES < MIN_LINES || COLS < MIN_COLS) {
		snprintf(buf, sizeof buf, "terminal too small: need %dx%d, have %dx%d",
		    MIN_COLS, MIN_LINES, COLS, LINES);
		draw_text(0, 0, COLS, buf, A_NORMAL);
	} else {
		draw_header(f);
		draw_tabs(f);
		body.y = HEADER_ROWS;
		body.x = 0;
		body.h = LINES - HEADER_ROWS - FOOTER_ROWS;
		body.w = COLS;
		s->ops->draw(s, &body);
		draw_footer(f);
		if (f->ui.dialog.kind != DIALOG_NONE)
			cursor = dialog_draw(&f->ui.dialog, LINES, COLS, &cy, &cx);
	}
	curs_set(cursor);	/* ERR on a terminal without cursor control: fine */
	if (cursor)
		move(cy, cx);
	refresh();
}

/* --- the tick --- */

/* The header's counts, and whether nobody is sweeping. */
static void
read_counts(struct frame *f)
{
	struct err e;

	f->counts_err[0] = '\0';
	f->overdue = 0;
	if (view_counts(f->ui.c, f->ui.now, &f->counts, &e) == 0) {
		f->overdue = sched_overdue(&f->counts, f->interval_ms, f->ui.now);
		return;
	}
	memset(&f->counts, 0, sizeof f->counts);
	/* No store yet (ENOENT): nothing to count, and nothing wrong. */
	if (e.errnum != ENOENT)
		snprintf(f->counts_err, sizeof f->counts_err, "%s", e.msg);
}

static void
tick(struct frame *f)
{
	struct screen *s = &f->screens[f->cur];
	int64_t start = mono_us();
	int health = 0;

	f->ui.now = wall_ms() / 1000;
	if (f->sweeping && sched_step(&f->sched, f->ui.c, wall_ms(), &health) != 0)
		f->ui.now = wall_ms() / 1000;	/* a sweep may take a while */
	if (health)
		ui_status(&f->ui, f->sched.failing, f->sched.failing ?
		    "sweep failed: %s; trying again each interval" : "sweeping works again",
		    f->sched.err.msg);
	read_counts(f);
	if (!f->ui.paused && s->ops->tick != NULL)
		s->ops->tick(s);
	draw_frame(f);
	if (f->timing != NULL &&
	    (fprintf(f->timing, "%lld\n", (long long)(mono_us() - start)) < 0 ||
	    fflush(f->timing) == EOF)) {
		ui_status(&f->ui, 1, "RELAYGATE_UI_TIMING: write failed; timing stopped");
		fclose(f->timing);
		f->timing = NULL;
	}
}

/* Milliseconds from now to just after the next wall-clock second. */
static long
to_next_second(void)
{
	return 1000 - (long)(wall_ms() % 1000) + 5;
}

/* --- keys --- */

static void
switch_to(struct frame *f, int i)
{
	struct screen *s = &f->screens[i];

	f->cur = i;
	f->ui.now = wall_ms() / 1000;
	if (s->ops->enter != NULL)
		s->ops->enter(s);
}

/*
 * A screen switch or quit.  With ask, the screen shown may want to ask
 * first (unsaved rules): then r waits until its dialog says go on.
 */
static void
go(struct frame *f, enum request r, int ask)
{
	struct screen *s = &f->screens[f->cur];
	int to = f->cur;

	if (ask && s->ops->leave != NULL && !s->ops->leave(s)) {
		f->pending = r;
		return;
	}
	f->pending = REQ_NONE;
	switch (r) {
	case REQ_QUIT: f->quit = 1; return;
	case REQ_NEXT_SCREEN: to = (f->cur + 1) % 4; break;
	case REQ_PREV_SCREEN: to = (f->cur + 3) % 4; break;
	case REQ_GRANTS: to = 0; break;
	case REQ_RULES: to = 1; break;
	case REQ_PASSWORDS: to = 2; break;
	case REQ_HELP: to = 3; break;
	default: return;
	}
	if (to != f->cur)
		switch_to(f, to);
}

static void
flags(struct frame *f, int fl)
{
	if (fl & UI_BEEP)
		beep();
	if (!(fl & UI_DIALOG))
		dialog_close(&f->ui.dialog);
	if ((fl & UI_PROCEED) && f->pending != REQ_NONE)
		go(f, f->pending, 0);
}

static void
dialog_input(struct frame *f, int ch)
{
	struct screen *s = &f->screens[f->cur];
	struct dialog *d = &f->ui.dialog;

	switch (dialog_key(d, ch)) {
	case DIALOG_KEEP:
		break;
	case DIALOG_CANCEL:
		s->ops->act(s, REQ_CANCEL, d);
		dialog_close(d);
		f->pending = REQ_NONE;
		break;
	case DIALOG_SUBMIT:
		f->ui.now = wall_ms() / 1000;
		flags(f, s->ops->act(s, REQ_ANSWER, d));
		break;
	}
}

static void
key(struct frame *f, int ch)
{
	struct screen *s = &f->screens[f->cur];
	const struct action *a;
	enum request r;

	if (f->ui.dialog.kind != DIALOG_NONE) {
		dialog_input(f, ch);
		return;
	}
	f->ui.status[0] = '\0';
	r = keys_request(ch);
	switch (r) {
	case REQ_NONE:
		return;
	case REQ_QUIT: case REQ_NEXT_SCREEN: case REQ_PREV_SCREEN:
	case REQ_GRANTS: case REQ_RULES: case REQ_PASSWORDS: case REQ_HELP:
		go(f, r, 1);
		return;
	case REQ_PAUSE:
		f->ui.paused = !f->ui.paused;
		if (!f->ui.paused && s->ops->tick != NULL)
			s->ops->tick(s);
		return;
	case REQ_REDRAW:
		clear();
		return;
	default:
		break;
	}
	a = screen_action(s->ops, r);
	if (a == NULL || (a->writes && f->ui.readonly)) {
		if (a != NULL)
			ui_status(&f->ui, 1, "read-only: %s is not available", a->label);
		beep();
		return;
	}
	f->ui.now = wall_ms() / 1000;
	flags(f, s->ops->act(s, r, NULL));
}

/* --- the loop --- */

static void
run(struct frame *f)
{
	int64_t next = mono_ms(), asked;
	long wait;
	int ch, fast = 0;

	while (!f->quit && !f->ui.fatal && !got_signal) {
		if (mono_ms() >= next) {
			tick(f);
			next = mono_ms() + to_next_second();
		}
		wait = (long)(next - mono_ms());
		timeout(wait > 0 ? (int)wait : 0);
		asked = mono_ms();
		ch = getch();
		if (ch == ERR) {
			/* A timeout comes when asked; errors long before it, again and
			 * again, mean the terminal is gone (EIO, hangup). */
			if (!got_signal && wait > 20 && mono_ms() - asked < wait / 2) {
				if (++fast >= DEAD_AFTER)
					f->quit = 1;
			} else {
				fast = 0;
			}
			continue;
		}
		fast = 0;
		if (ch == KEY_RESIZE)
			f->ui.page = LINES - HEADER_ROWS - FOOTER_ROWS - 1;
		else
			key(f, ch);
		if (ch == KEY_RESIZE && !f->ui.paused && f->screens[f->cur].ops->tick != NULL)
			f->screens[f->cur].ops->tick(&f->screens[f->cur]);
		draw_frame(f);
	}
}

/* --- set-up and teardown --- */

static int
catch_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;	/* no SA_RESTART: getch returns at once */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	return 0;
}

/* Read-only by choice, or because this user cannot write the store. */
static void
choose_readonly(struct ui *u, const struct ui_opts *o)
{
	struct err e;

	if (o->readonly) {
		u->readonly = 1;
		return;
	}
	if (!view_writable(u->c, &e)) {
		snprintf(u->readonly_why, sizeof u->readonly_why, "read-only: %s", e.msg);
		u->readonly = 1;
	}
}

static int
want_mono(const struct ui_opts *o)
{
	const char *nc = getenv("NO_COLOR");

	return o->no_color || (nc != NULL && *nc != '\0');
}

/* The terminal, in the console's modes.  0, or -1 with the message printed. */
static int
setup_terminal(struct frame *f, const struct ui_opts *o)
{
	const char *term = getenv("TERM");

	if (term == NULL || *term == '\0') {
		fprintf(stderr, "relaygate: TERM is not set; cannot drive the terminal\n");
		return -1;
	}
	if (tcgetattr(STDIN_FILENO, &f->saved) < 0) {
		perror("relaygate: tcgetattr standard input");
		return -1;
	}
	if ((f->term = newterm(NULL, stdout, stdin)) == NULL) {
		fprintf(stderr, "relaygate: unknown terminal type \"%s\"\n", term);
		return -1;
	}
	set_term(f->term);
	set_escdelay(25);	/* Esc closes a dialog at once (the default waits 1 s) */
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	leaveok(stdscr, FALSE);
	theme_init(want_mono(o));
	return 0;
}

static void
teardown(struct frame *f)
{
	int i;

	for (i = 0; i < 4; i++)
		if (f->screens[i].ops->done != NULL)
			f->screens[i].ops->done(&f->screens[i]);
	dialog_close(&f->ui.dialog);
	if (f->term != NULL) {
		endwin();
		delscreen(f->term);
		f->term = NULL;
	}
	/* endwin restores what curses saved; put back what we found, too. */
	tcsetattr(STDIN_FILENO, TCSADRAIN, &f->saved);
	if (f->timing != NULL)
		fclose(f->timing);
}

static int
open_timing(struct frame *f)
{
	/* RELAYGATE_UI_TIMING=FILE (for tools/bench-console): each tick's cost, in µs, one a line. */
	const char *path = getenv("RELAYGATE_UI_TIMING");

	if (path == NULL || *path == '\0')
		return 0;
	if ((f->timing = fopen(path, "a")) == NULL) {
		fprintf(stderr, "relaygate: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int
ui_run(const struct config *c, const struct ui_opts *o)
{
	static const struct screen_ops *const ops[4] = {
		&grants_ops, &rules_ops, &passwords_ops, &help_ops };
	static struct frame f;
	int i, status = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "relaygate: the console needs a terminal on standard input and output\n");
		return 2;
	}
	memset(&f, 0, sizeof f);
	f.ui.c = c;
	f.interval_ms = o->interval_ms > 0 ? o->interval_ms : INTERVAL_MS;
	for (i = 0; i < 4; i++) {
		f.screens[i].ops = ops[i];
		f.screens[i].ui = &f.ui;
	}
	if (setlocale(LC_ALL, "") == NULL)
		setlocale(LC_ALL, "C");
	if (open_timing(&f) < 0)
		return 111;
	if (catch_signals() < 0) {
		perror("relaygate: sigaction");
		return 111;
	}
	if (setup_terminal(&f, o) < 0) {
		if (f.timing != NULL)
			fclose(f.timing);
		return 111;
	}
	relay_actor(f.ui.actor, sizeof f.ui.actor);
	choose_readonly(&f.ui, o);
	if (f.ui.readonly_why[0] != '\0')
		ui_status(&f.ui, 1, "%s", f.ui.readonly_why);
	f.sweeping = !f.ui.readonly;
	sched_init(&f.sched, f.interval_ms, wall_ms());
	f.ui.page = LINES - HEADER_ROWS - FOOTER_ROWS - 1;
	f.ui.now = wall_ms() / 1000;
	switch_to(&f, 0);
	run(&f);
	teardown(&f);
	if (f.ui.fatal) {
		fprintf(stderr, "relaygate: %s\n", f.ui.fatal_msg);
		status = 111;
	}
	return status;
}
