/* SPDX-License-Identifier: MIT */
#pragma once

/* A growing NUL-terminated byte buffer, shared by the daemon and the carrier plugins. An
 * allocation failure sticks (`oom`), so a caller appends freely and checks once at the end
 * instead of after every append. */

#include <stdbool.h>
#include <stddef.h>

typedef struct Buf {
        char *data;             /* NUL-terminated once anything was added */
        size_t len, cap;
        bool oom;
} Buf;

void buf_add(Buf *b, const void *s, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal: "..." with the escapes RFC 8259 requires; valid UTF-8 passes
 * through, a stray byte becomes \ufffd (a document parsers reject helps nobody); NULL is
 * written as null. */
void buf_put_json_string(Buf *b, const char *s);
/* The same escaping without the quotes and without null: what goes between the quotes of a
 * string in a JSON template ("text": "{{text}}"). NULL adds nothing. */
void buf_put_json_escaped(Buf *b, const char *s);

/* Forgets the contents, keeps the memory. */
void buf_clear(Buf *b);
/* Hands the string over (never NULL unless out of memory) and empties the buffer. */
char *buf_steal(Buf *b);
void buf_free(Buf *b);
/* Buffers may hold passwords and message text: wipes the memory before freeing it. */
void buf_wipe(Buf *b);

static inline void buf_freep(Buf *b) {
        buf_free(b);
}
static inline void buf_wipep(Buf *b) {
        buf_wipe(b);
}
