/* SPDX-License-Identifier: MIT */
#pragma once

/* Mainland China mobile numbers: 11 digits matching 1[3-9]\d{9}, written with an optional
 * +86 / 0086 / 86 prefix (86 only when 13 digits in all), spaces and dashes. Stored and
 * passed around in the 11-digit national form. Landlines are not mobiles. */

#include <stdbool.h>
#include <stddef.h>

#define PHONE_BUFSZ 12

/* Normalizes into out (PHONE_BUFSZ bytes): "+86 138-0013-8000" -> "13800138000".
 * Returns 0 or -EINVAL. */
int phone_normalize(const char *in, char out[static PHONE_BUFSZ]);

bool phone_is_valid(const char *in);

/* Simple e-mail address check: one '@', non-empty local part without blanks or control
 * characters, a domain with at least one dot and no empty labels. Returns 0 or -EINVAL. */
int email_validate(const char *s);
