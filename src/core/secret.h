/*
 * secret: what a process that holds a password does first: it can dump no
 * core and be read by no debugger of its user (PR_SET_DUMPABLE).
 */
#ifndef RG_SECRET_H
#define RG_SECRET_H

/* 0, or -1 and errno. */
int secret_protect_process(void);

#endif
