/*
 * passwords: the POP (APOP) password screen.  User names only, never a
 * secret; a new secret is typed twice into a hidden dialog, checked and
 * stored by the core, and wiped from memory right after the core call.
 * When the password store cannot be opened (not root, not made yet) the
 * screen says why instead of a list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pop.h"
#include "ui/draw.h"
#include "ui/screen.h"

enum tag { T_NONE, T_USER, T_SECRET1, T_SECRET2, T_DELETE };

#define NAME_MAX_LEN 256

struct passwords {
	char (*names)[NAME_MAX_LEN];
	size_t n, cap;
	char error[sizeof ((struct err *)0)->msg];	/* the store could not be read */
	int sel, top;
	char user[NAME_MAX_LEN];	/* the open dialog's user */
	char first[DIALOG_TEXT_MAX];	/* the secret typed once, until typed again */
};

static struct passwords *
state(struct screen *s)
{
	if (s->p == NULL && (s->p = calloc(1, sizeof(struct passwords))) == NULL)
		ui_fatal(s->ui, "passwords screen: out of memory");
	return s->p;
}

static void
forget_secret(struct passwords *p)
{
	explicit_bzero(p->first, sizeof p->first);
}

static int
collect(const char *user, void *arg)
{
	struct passwords *p = arg;
	char (*nv)[NAME_MAX_LEN];

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		if ((nv = realloc(p->names, p->cap * sizeof *nv)) == NULL)
			return -1;
		p->names = nv;
	}
	snprintf(p->names[p->n++], NAME_MAX_LEN, "%s", user);
	return 0;
}

static void
load(struct screen *s, struct passwords *p)
{
	struct err e;

	p->n = 0;
	p->error[0] = '\0';
	if (pop_list(s->ui->c, collect, p, &e) < 0) {
		snprintf(p->error, sizeof p->error, "%s", e.msg);
		p->n = 0;
	}
	if (p->sel >= (int)p->n)
		p->sel = p->n > 0 ? (int)p->n - 1 : 0;
}

static int
passwords_enter(struct screen *s)
{
	struct passwords *p = state(s);

	if (p != NULL)
		load(s, p);
	return UI_REDRAW;
}

static void
passwords_draw(struct screen *s, const struct rect *b)
{
	struct passwords *p = state(s);
	char buf[sizeof p->error + 100];
	attr_t a;
	int i, y;

	if (p == NULL)
		return;
	draw_cell(b->y, b->x, b->w, "  USER (with a POP password)", theme_attr(ROLE_TITLE));
	if (p->error[0] != '\0') {
		snprintf(buf, sizeof buf, "The password store cannot be opened: %s", p->error);
		draw_text(b->y + 2, b->x + 2, b->w - 4, buf, theme_attr(ROLE_ALERT));
		return;
	}
	if (p->n == 0)
		draw_text(b->y + 2, b->x + 2, b->w - 4, "no POP passwords yet",
		    theme_attr(ROLE_DIM));
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + b->h - 1)
		p->top = p->sel - (b->h - 2);
	for (i = p->top, y = b->y + 1; i < (int)p->n && y < b->y + b->h; i++, y++) {
		a = theme_attr(i == p->sel ? ROLE_SELECTED : ROLE_NORMAL);
		draw_fill(y, b->x, b->w, a);
		draw_text(y, b->x + 2, b->w - 2, p->names[i], a);
	}
}

static void
passwords_info(struct screen *s, char *buf, size_t size)
{
	struct passwords *p = state(s);

	if (p != NULL && p->error[0] == '\0')
		snprintf(buf, size, "%zu users  %s", p->n, s->ui->c->passwords);
}

static int
ask_secret(struct screen *s, struct passwords *p)
{
	dialog_secret(&s->ui->dialog, T_SECRET1, "POP password",
	    "New POP password for %s:", p->user);
	return UI_DIALOG | UI_REDRAW;
}

static int
answer(struct screen *s, struct passwords *p, struct dialog *d)
{
	struct err e;
	int r;

	switch (d->tag) {
	case T_USER:
		if (pop_user_ok(d->input, &e) < 0) {
			dialog_error(d, "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		snprintf(p->user, sizeof p->user, "%.255s", d->input);
		return ask_secret(s, p);
	case T_SECRET1:
		if (pop_secret_ok(d->input, &e) < 0) {
			dialog_error(d, "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		memcpy(p->first, d->input, sizeof p->first);
		dialog_secret(d, T_SECRET2, "POP password", "Again, the POP password for %s:",
		    p->user);
		return UI_DIALOG | UI_REDRAW;
	case T_SECRET2:
		if (strcmp(p->first, d->input) != 0) {
			forget_secret(p);
			ask_secret(s, p);
			dialog_error(d, "the two did not match; nothing changed");
			return UI_DIALOG | UI_REDRAW;
		}
		r = pop_set_secret(s->ui->c, p->user, p->first, &e);
		forget_secret(p);
		explicit_bzero(d->input, sizeof d->input);
		if (r < 0) {
			dialog_message(d, "Not set", "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		ui_status(s->ui, 0, "POP password of %s set", p->user);
		break;
	case T_DELETE:
		if ((r = pop_delete(s->ui->c, p->user, &e)) < 0) {
			dialog_message(d, "Not deleted", "%s", e.msg);
			return UI_DIALOG | UI_REDRAW;
		}
		ui_status(s->ui, 0, r ? "POP password of %s deleted" : "%s had no POP password",
		    p->user);
		break;
	}
	load(s, p);
	return UI_REDRAW;
}

static int
passwords_act(struct screen *s, enum request r, struct dialog *d)
{
	struct passwords *p = state(s);
	int last;

	if (p == NULL)
		return 0;
	last = p->n > 0 ? (int)p->n - 1 : 0;
	switch (r) {
	case REQ_ANSWER: return answer(s, p, d);
	case REQ_CANCEL: forget_secret(p); return UI_REDRAW;
	case REQ_UP: p->sel = p->sel > 0 ? p->sel - 1 : 0; return UI_REDRAW;
	case REQ_DOWN: p->sel = p->sel < last ? p->sel + 1 : last; return UI_REDRAW;
	case REQ_PGUP: p->sel = p->sel > s->ui->page ? p->sel - s->ui->page : 0; return UI_REDRAW;
	case REQ_PGDN: p->sel = p->sel + s->ui->page < last ? p->sel + s->ui->page : last; return UI_REDRAW;
	case REQ_TOP: p->sel = 0; return UI_REDRAW;
	case REQ_BOTTOM: p->sel = last; return UI_REDRAW;
	case REQ_ADD:
		dialog_prompt(&s->ui->dialog, T_USER, "POP password", NULL,
		    "Set the POP password of which user?");
		return UI_DIALOG | UI_REDRAW;
	default:
		break;
	}
	if (p->n == 0 || p->error[0] != '\0')
		return UI_BEEP;
	snprintf(p->user, sizeof p->user, "%s", p->names[p->sel]);
	if (r == REQ_EDIT)
		return ask_secret(s, p);
	if (r == REQ_DELETE) {
		dialog_confirm(&s->ui->dialog, T_DELETE, "Delete a POP password",
		    "Delete the POP password of %s?\nAPOP logins as %s stop working.", p->user, p->user);
		return UI_DIALOG | UI_REDRAW;
	}
	return UI_BEEP;
}

static void
passwords_done(struct screen *s)
{
	struct passwords *p = s->p;

	if (p == NULL)
		return;
	forget_secret(p);
	free(p->names);
	free(p);
	s->p = NULL;
}

static const struct action passwords_actions[] = {
	{ REQ_UP, "up", 0, 0 },
	{ REQ_DOWN, "down", 0, 0 },
	{ REQ_PGUP, "page up", 0, 0 },
	{ REQ_PGDN, "page down", 0, 0 },
	{ REQ_TOP, "first user", 0, 0 },
	{ REQ_BOTTOM, "last user", 0, 0 },
	{ REQ_ADD, "set", 1, 1 },
	{ REQ_EDIT, "change", 1, 1 },
	{ REQ_DELETE, "delete", 1, 1 },
	{ REQ_NONE, NULL, 0, 0 },
};

const struct screen_ops passwords_ops = {
	.title = "Passwords",
	.actions = passwords_actions,
	.enter = passwords_enter,
	.draw = passwords_draw,
	.info = passwords_info,
	.act = passwords_act,
	.done = passwords_done,
};
