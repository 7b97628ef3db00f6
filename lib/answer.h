/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Log-safe text from a carrier's answer. An answer is untrusted bytes from the network and
 * often quotes the recipient ("invalid number 13912345678"); what goes into an outcome's
 * error (and from there into the log and the journal) is cut short, has no control
 * characters, never ends in half a UTF-8 sequence, and shows the recipient only masked:
 * 13912345678 -> 139****5678, zhang@example.com -> z***@example.com.
 */

#include <stdbool.h>
#include <stddef.h>

/* Up to `max` bytes of body (len bytes, need not be NUL-terminated) into dst (size bytes,
 * always NUL-terminated): leading white space skipped, control characters as spaces, no
 * UTF-8 sequence cut, trailing spaces dropped. */
void answer_excerpt(char *dst, size_t size, const char *body, size_t len, size_t max);

/* answer_excerpt() of text that may quote the recipient. Masking the excerpt afterwards
 * misses an occurrence the cut goes through ("mobile=1391234567"), so this masks while it
 * copies and cuts only the masked text. */
void answer_excerpt_masked(char *dst, size_t size, const char *body, size_t len, size_t max,
                           const char *recipient);

/* Replaces every whole occurrence of recipient (4 bytes or more) in s (a NUL-terminated
 * string in a buffer of size bytes, at most 512) by its masked form. */
void answer_mask_recipient(char *s, size_t size, const char *recipient);

/* Whether body (len bytes, need not be NUL-terminated) contains needle. */
bool answer_contains(const char *body, size_t len, const char *needle);
