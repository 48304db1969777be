/*
 * ui: the ncurses administrator console, all that src/relaygate.c calls.
 *
 * The console shows the grants live, runs the expiry schedule while it is
 * open, and edits the rules and POP passwords, all through the core; see
 * relaygate(8), CONSOLE.
 */
#ifndef RG_UI_H
#define RG_UI_H

#include "core/config.h"

struct ui_opts {
	int readonly;		/* --readonly: view only */
	int no_color;		/* --no-color: the monochrome theme */
	long interval_ms;	/* the sweep interval (0: 10 s) */
};

/*
 * Run the console on the terminal of stdin and stdout until the admin quits
 * or a signal ends it; the terminal is restored on every way out.  Returns
 * the exit status: 0, 2 (no terminal), 111 (unknown terminal, or a fatal
 * error, reported on stderr after the screen is restored).
 */
int ui_run(const struct config *c, const struct ui_opts *o);

#endif
