/* SPDX-License-Identifier: MIT */
#pragma once

/* UTF-8 helpers: validation, decoding, terminal display width (CJK = 2 columns). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s (at most len bytes). Returns its byte length (1-4) with
 * *ret_cp set, or -EILSEQ for an invalid, overlong or truncated sequence or a surrogate. */
int utf8_decode(const char *s, size_t len, uint32_t *ret_cp);

bool utf8_is_valid(const char *s, size_t len);

/* Number of code points, or -EILSEQ. */
long utf8_length(const char *s);

/* Display width of one code point on a terminal: 0 for combining marks and control
 * characters, 2 for East Asian Wide/Fullwidth (CJK, Hangul, fullwidth forms, CJK
 * punctuation like 【】，。), 1 otherwise. */
int utf8_codepoint_width(uint32_t cp);

/* Display width of a string; invalid bytes count as 1 column each. */
size_t utf8_width(const char *s);

/* Copies at most max_width columns of s into buf (always NUL-terminated, never splitting a
 * code point); appends "…" when it had to cut. Returns buf. */
char *utf8_truncate_width(const char *s, size_t max_width, char *buf, size_t buflen);
