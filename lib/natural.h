/* SPDX-License-Identifier: MIT */
#pragma once

/* Natural order for unit codes: runs of digits compare as numbers, so "3-2-1201" comes
 * before "10-1-101" (strverscmp() does the same, but needs NUL-terminated strings, and
 * SQLite's collations get lengths). */

#include <stddef.h>

/* < 0, 0 or > 0. Numbers compare by value; with equal values the one with more leading
 * zeros comes first ("01" < "1"), so different strings never compare equal. */
int natural_compare(const char *a, size_t alen, const char *b, size_t blen);
