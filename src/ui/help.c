/*
 * help: every key, made from the key table (keys.c) and each screen's
 * actions, so Help cannot drift from what the keys do.  In read-only mode
 * the keys that change something are left out, as in the footer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/draw.h"
#include "ui/screen.h"

#define HELP_LINES 120
#define HELP_WIDTH 120

struct help {
	char line[HELP_LINES][HELP_WIDTH];
	int heading[HELP_LINES];
	int n, top;
};

static struct help *
state(struct screen *s)
{
	if (s->p == NULL && (s->p = calloc(1, sizeof(struct help))) == NULL)
		ui_fatal(s->ui, "help screen: out of memory");
	return s->p;
}

static void
add(struct help *h, int heading, const char *text)
{
	if (h->n >= HELP_LINES)
		return;
	snprintf(h->line[h->n], HELP_WIDTH, "%s", text);
	h->heading[h->n++] = heading;
}

static void
section(struct help *h, const char *title, const struct action *a, int readonly)
{
	char keys[64], line[HELP_WIDTH];

	add(h, 0, "");
	add(h, 1, title);
	for (; a->req != REQ_NONE; a++) {
		if (a->writes && readonly)
			continue;
		if (!keys_names(a->req, keys, sizeof keys))
			continue;
		snprintf(line, sizeof line, "  %-22s %s", keys, a->label);
		add(h, 0, line);
	}
}

static int
help_enter(struct screen *s)
{
	struct help *h = state(s);
	const struct screen_ops *const screens[] = { &grants_ops, &rules_ops, &passwords_ops };
	char title[64];
	size_t i;

	if (h == NULL)
		return 0;
	h->n = h->top = 0;
	add(h, 1, "relaygate console: keys");
	if (s->ui->readonly)
		add(h, 0, "READ-ONLY: the keys that change something are left out.");
	section(h, "Everywhere", keys_global, s->ui->readonly);
	for (i = 0; i < sizeof screens / sizeof screens[0]; i++) {
		snprintf(title, sizeof title, "%s screen", screens[i]->title);
		section(h, title, screens[i]->actions, s->ui->readonly);
	}
	add(h, 0, "");
	add(h, 1, "In a dialog");
	add(h, 0, "  y Y                    yes (anything else is no: confirmations default to no)");
	add(h, 0, "  Enter                  OK, in a prompt");
	add(h, 0, "  Esc                    cancel");
	add(h, 0, "  Backspace ^U           delete a character, the whole line");
	add(h, 0, "");
	add(h, 1, "The header");
	add(h, 0, "  timed / pinned / expired, not swept: the grants in the store now;");
	add(h, 0, "  the last sweep and what it removed (the console sweeps while open,");
	add(h, 0, "  unless read-only); the store; READ-ONLY or PAUSED when so.");
	return UI_REDRAW;
}

static void
help_draw(struct screen *s, const struct rect *b)
{
	struct help *h = state(s);
	int i, y;

	if (h == NULL)
		return;
	draw_cell(b->y, b->x, b->w, "  Help", theme_attr(ROLE_TITLE));
	for (i = h->top, y = b->y + 1; i < h->n && y < b->y + b->h; i++, y++)
		draw_text(y, b->x + 2, b->w - 2, h->line[i],
		    h->heading[i] ? A_BOLD : theme_attr(ROLE_NORMAL));
}

static int
help_act(struct screen *s, enum request r, struct dialog *d)
{
	struct help *h = state(s);
	int last;

	(void)d;
	if (h == NULL)
		return 0;
	last = h->n - s->ui->page > 0 ? h->n - s->ui->page : 0;
	switch (r) {
	case REQ_UP: h->top = h->top > 0 ? h->top - 1 : 0; break;
	case REQ_DOWN: h->top = h->top < last ? h->top + 1 : last; break;
	case REQ_PGUP: h->top = h->top > s->ui->page ? h->top - s->ui->page : 0; break;
	case REQ_PGDN: h->top = h->top + s->ui->page < last ? h->top + s->ui->page : last; break;
	case REQ_TOP: h->top = 0; break;
	case REQ_BOTTOM: h->top = last; break;
	default: return UI_REDRAW;
	}
	return UI_REDRAW;
}

static void
help_done(struct screen *s)
{
	free(s->p);
	s->p = NULL;
}

static const struct action help_actions[] = {
	{ REQ_UP, "up", 0, 0 },
	{ REQ_DOWN, "down", 0, 0 },
	{ REQ_PGUP, "page up", 0, 0 },
	{ REQ_PGDN, "page down", 0, 0 },
	{ REQ_TOP, "top", 0, 0 },
	{ REQ_BOTTOM, "bottom", 0, 0 },
	{ REQ_NONE, NULL, 0, 0 },
};

const struct screen_ops help_ops = {
	.title = "Help",
	.actions = help_actions,
	.enter = help_enter,
	.draw = help_draw,
	.act = help_act,
	.done = help_done,
};
