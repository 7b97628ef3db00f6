/* SPDX-License-Identifier: MIT */
#pragma once

/* The schema migrations: migration i brings the database from user_version i to i+1. An
 * applied migration is never edited; a change of schema is a new entry. */

#include <stddef.h>

extern const char *const store_migrations[];
extern const size_t store_n_migrations;
