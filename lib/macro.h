/* SPDX-License-Identifier: MIT */
#pragma once

/* Small helpers shared by every module: cleanup attributes in the style of systemd's
 * cleanup-fundamental.h (our own code), and a few tiny string predicates. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _sentinel_ __attribute__((sentinel))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Hand ownership of a pointer over: returns it and clears the variable so that the
 * cleanup attribute no longer frees it. */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _ptr_ = (p);      \
                (p) = NULL;                     \
                _ptr_;                          \
        })

/* Defines funcp(type *p) that calls func(*p) when *p is set, for _cleanup_(funcp). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                 \
        static inline void func##p(type *p) {                   \
                if (*p)                                         \
                        (void) func(*p);                        \
        }

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

static inline int streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline int streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static inline const char *strempty(const char *s) {
        return s ? s : "";
}

static inline int isempty(const char *s) {
        return !s || !*s;
}

/* Frees a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **l) {
        if (!l)
                return;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
}
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
