/* SPDX-License-Identifier: MIT */
#pragma once

/* `dunnctl calendar EXPR [--base-time 'YYYY-MM-DD HH:MM:SS'] [--iterations N]`: prints the
 * normalized form of a calendar expression and its next elapses, like `systemd-analyze calendar`.
 * argv[0] is "calendar". Times (the base time and the output) are in the expression's zone, else
 * default_tz (the config's timezone), else the local zone. Returns 0, or 2 on a usage error or an
 * invalid expression (with a message on stderr). */
int verb_calendar(int argc, char *argv[], const char *default_tz);
