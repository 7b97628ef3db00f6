/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * Reading a carrier's JSON answer: jansson parses it, and a value is then asked for by a
 * path and compared as text. What this adds to jansson is what a carrier plugin needs:
 *
 *   - a body is read as exactly `len` bytes (it need not be NUL-terminated), one JSON
 *     value of any type, nothing after it but white space;
 *   - objects keep the last of duplicate keys, as most parsers do;
 *   - "\u0000" inside a string is allowed, and such a string never equals a C string;
 *   - an answer that is JSON but for bytes that are not UTF-8 (gateways that answer in
 *     GBK) is read with each such byte as U+FFFD, so that its codes still match;
 *   - nesting is bounded by jansson (JSON_PARSER_MAX_DEPTH, 2048 in Debian 12): deeper
 *     is not JSON, never a crash;
 *   - numbers are jansson's: integers within 64 bits, reals within a double; a body with a
 *     larger number is not readable at all.
 *
 * A path is object keys separated by dots, and array indexes either as a segment of their
 * own or in brackets: "code", "result.status", "data.0.sid" and "data[0].sid" are all
 * paths; a key that holds '.', '[' or ']' cannot be named.
 */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses text (len bytes). Returns 0 with *ret set (json_decref() it), -ENODATA for an
 * empty body, -EBADMSG when it is not one JSON value, -ENOMEM. */
int json_read(const char *text, size_t len, json_t **ret);

/* Whether path is well formed: no empty segment ("a..b", ".a", "a.", "a[]"), indexes
 * only digits. */
bool json_path_is_valid(const char *path);

/* The value at path, or NULL (absent, or the path walks into something else). */
json_t *json_at(const json_t *root, const char *path);

/*
 * The scalar at path as text into buf (NUL-terminated): a string as it is (escapes
 * decoded), an integer in decimal, a real with ".0" when it is whole (0.0, 1500.0 for
 * 1.5e3) and else in the shortest form that reads back as the same double (0.1, 1e+20),
 * and true, false, null. Returns the length of the text (for a string holding "\u0000" more
 * than strlen(buf)), -ENOENT when there is no scalar at path, -ENOBUFS when the text does
 * not fit into size bytes.
 */
int json_text_at(const json_t *root, const char *path, char *buf, size_t size);
