/*
 * dialog: confirm, prompt, hidden input and message boxes, and the line
 * editor behind prompts (see dialog.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <curses.h>

#include "ui/dialog.h"
#include "ui/draw.h"

#define CTRL(c) ((c) & 0x1f)
#define ESC 27

static void
open_dialog(struct dialog *d, enum dialog_kind kind, int tag, const char *title,
    const char *fmt, va_list ap)
{
	dialog_close(d);
	d->kind = kind;
	d->tag = tag;
	snprintf(d->title, sizeof d->title, "%s", title);
	vsnprintf(d->text, sizeof d->text, fmt, ap);
}

void
dialog_confirm(struct dialog *d, int tag, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	open_dialog(d, DIALOG_CONFIRM, tag, title, fmt, ap);
	va_end(ap);
}

void
dialog_prompt(struct dialog *d, int tag, const char *title, const char *initial,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	open_dialog(d, DIALOG_PROMPT, tag, title, fmt, ap);
	va_end(ap);
	if (initial != NULL) {
		snprintf(d->input, sizeof d->input, "%s", initial);
		d->len = strlen(d->input);
	}
}

void
dialog_secret(struct dialog *d, int tag, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	open_dialog(d, DIALOG_SECRET, tag, title, fmt, ap);
	va_end(ap);
}

void
dialog_message(struct dialog *d, const char *title, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	open_dialog(d, DIALOG_MESSAGE, 0, title, fmt, ap);
	va_end(ap);
}

void
dialog_error(struct dialog *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->error, sizeof d->error, fmt, ap);
	va_end(ap);
	if (d->kind == DIALOG_SECRET) {	/* typed again from scratch */
		explicit_bzero(d->input, sizeof d->input);
		d->len = 0;
	}
}

void
dialog_close(struct dialog *d)
{
	explicit_bzero(d->input, sizeof d->input);
	memset(d, 0, sizeof *d);
}

/* Remove the last character (all of a UTF-8 sequence) from the input. */
static void
rubout(struct dialog *d)
{
	while (d->len > 0) {
		unsigned char b = (unsigned char)d->input[--d->len];

		d->input[d->len] = '\0';
		if ((b & 0xc0) != 0x80)
			break;
	}
}

static enum dialog_outcome
edit_key(struct dialog *d, int ch)
{
	switch (ch) {
	case ESC:
		return DIALOG_CANCEL;
	case '\n': case '\r': case KEY_ENTER:
		return DIALOG_SUBMIT;
	case KEY_BACKSPACE: case 127: case CTRL('h'):
		rubout(d);
		break;
	case CTRL('u'):
		explicit_bzero(d->input, sizeof d->input);
		d->len = 0;
		break;
	default:
		/* Bytes of text only; a control character is never taken in. */
		if (ch >= 0x20 && ch < 0x100 && ch != 0x7f && d->len + 1 < sizeof d->input) {
			d->input[d->len++] = (char)ch;
			d->input[d->len] = '\0';
		}
		return DIALOG_KEEP;
	}
	d->error[0] = '\0';
	return DIALOG_KEEP;
}

enum dialog_outcome
dialog_key(struct dialog *d, int ch)
{
	switch (d->kind) {
	case DIALOG_CONFIRM:
		if (ch == 'y' || ch == 'Y')
			return DIALOG_SUBMIT;
		if (ch == 'n' || ch == 'N' || ch == ESC || ch == '\n' || ch == '\r' ||
		    ch == KEY_ENTER || ch == 'q')
			return DIALOG_CANCEL;
		return DIALOG_KEEP;
	case DIALOG_PROMPT:
	case DIALOG_SECRET:
		return edit_key(d, ch);
	case DIALOG_MESSAGE:
	case DIALOG_NONE:
		break;
	}
	return DIALOG_CANCEL;
}

/*
 * The next line of s within width columns: its length in bytes, and how
 * many bytes to skip to the line after (a '\n' or a space broken at).
 */
static size_t
next_line(const char *s, int width, size_t *skip)
{
	char buf[DIALOG_TEXT_MAX];
	size_t n = strcspn(s, "\n"), cut = n, sp = 0, i;

	*skip = s[n] == '\n' ? n + 1 : n;
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (draw_width(buf) <= width)
		return n;
	for (i = n; i > 0; i--) {	/* the longest prefix that fits */
		buf[i] = '\0';
		if (draw_width(buf) <= width)
			break;
	}
	cut = i > 0 ? i : 1;
	for (i = cut; i > 0; i--)
		if (s[i] == ' ') {
			sp = i;
			break;
		}
	if (sp > 0)
		cut = sp;
	*skip = s[cut] == ' ' ? cut + 1 : cut;
	return cut;
}

/* The text's lines within width: count them, and draw them when y >= 0. */
static int
text_lines(const char *s, int y, int x, int width, attr_t a)
{
	char line[DIALOG_TEXT_MAX];
	size_t n, skip;
	int k = 0;

	while (*s != '\0') {
		n = next_line(s, width, &skip);
		memcpy(line, s, n);
		line[n] = '\0';
		if (y >= 0)
			draw_text(y + k, x, width, line, a);
		k++;
		s += skip;
	}
	return k;
}

static const char *
hint(const struct dialog *d)
{
	switch (d->kind) {
	case DIALOG_CONFIRM: return "y yes    n or Enter no (default)";
	case DIALOG_PROMPT: return "Enter OK    Esc cancel    ^U clear";
	case DIALOG_SECRET: return "(not shown as you type)    Enter OK    Esc cancel";
	default: return "any key closes this";
	}
}

static void
frame_box(int y, int x, int h, int w, const char *title, attr_t a)
{
	int i;

	for (i = 0; i < h; i++)
		draw_fill(y + i, x, w, a);
	attrset(a);
	mvaddch(y, x, ACS_ULCORNER);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attrset(A_NORMAL);
	if (*title != '\0') {
		draw_text(y, x + 2, 1, " ", a);
		draw_text(y, x + 3, w - 6, title, a | A_BOLD);
		draw_text(y, x + 3 + draw_width(title), 1, " ", a);
	}
}

int
dialog_draw(const struct dialog *d, int lines, int cols, int *cy, int *cx)
{
	attr_t a = theme_attr(ROLE_DIALOG), ea = theme_attr(ROLE_DIALOG_ERROR);
	int w = cols - 4 < 72 ? cols - 4 : 72, inner = w - 4, h, y, x, ntext, nerr = 0;
	int input = d->kind == DIALOG_PROMPT || d->kind == DIALOG_SECRET;
	int shown, start;

	if (d->kind == DIALOG_NONE || w < 20)
		return 0;
	ntext = text_lines(d->text, -1, 0, inner, a);
	if (d->error[0] != '\0')
		nerr = text_lines(d->error, -1, 0, inner, ea);
	h = 2 + 1 + ntext + (input ? 2 : 0) + (nerr ? nerr + 1 : 0) + 2;
	if (h > lines)
		h = lines;
	y = (lines - h) / 2;
	x = (cols - w) / 2;
	frame_box(y, x, h, w, d->title, a);
	y += 2;
	text_lines(d->text, y, x + 2, inner, a);
	y += ntext + 1;
	if (input) {
		draw_fill(y, x + 2, inner, theme_attr(ROLE_INPUT));
		shown = 0;
		if (d->kind == DIALOG_PROMPT) {
			/* The tail of a long line, so the end being typed shows. */
			for (start = 0; draw_width(d->input + start) > inner - 1; start++)
				;
			while ((d->input[start] & 0xc0) == 0x80)
				start++;
			shown = draw_text(y, x + 2, inner - 1, d->input + start,
			    theme_attr(ROLE_INPUT));
		}
		*cy = y;
		*cx = x + 2 + shown;
		y += 2;
	}
	if (nerr) {
		text_lines(d->error, y, x + 2, inner, ea);
		y += nerr + 1;
	}
	draw_text(y, x + 2, inner, hint(d), a | A_DIM);
	return input;
}
