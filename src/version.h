/* version: the one version of every relaygate program (--version). */
#ifndef RG_VERSION_H
#define RG_VERSION_H

#define RELAYGATE_VERSION "0.1"

#endif
