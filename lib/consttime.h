/* SPDX-License-Identifier: MIT */
#pragma once

/* Comparing secrets (a receipt token, a signature) without telling an attacker, by how
 * long the comparison takes, how much of a guess was right. */

#include <stdbool.h>

/* Whether a and b are the same string. The time taken depends on the lengths only, never
 * on where the strings differ. NULL equals nothing. */
bool consttime_streq(const char *a, const char *b);
