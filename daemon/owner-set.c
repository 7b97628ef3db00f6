/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "owner-set.h"

typedef struct Owner {
        char *key;                      /* "sms\n13900000002" */
        char *first_unit;
        unsigned n_units;
} Owner;

struct OwnerSet {
        void *root;                     /* tsearch(3) tree of Owner */
        unsigned merged_owners, merged_units;
};

static int owner_cmp(const void *a, const void *b) {
        return strcmp(((const Owner *) a)->key, ((const Owner *) b)->key);
}

static void owner_free(void *p) {
        Owner *w = p;

        free(w->key);
        free(w->first_unit);
        free(w);
}

OwnerSet *owner_set_new(void) {
        return calloc(1, sizeof(OwnerSet));
}

OwnerSet *owner_set_free(OwnerSet *o) {
        if (!o)
                return NULL;
        tdestroy(o->root, owner_free);
        free(o);
        return NULL;
}

int owner_set_add(OwnerSet *o, const char *channel, const char *recipient, const char *unit,
                  const char **ret_first) {
        _cleanup_free_ char *key = NULL;
        Owner probe, *w, **found;

        *ret_first = NULL;
        if (asprintf(&key, "%s\n%s", channel, recipient) < 0)
                return -ENOMEM;
        probe.key = key;
        found = tfind(&probe, &o->root, owner_cmp);
        if (found) {
                w = *found;
                /* the second unit makes the owner one of those merged, with both units */
                if (++w->n_units == 2) {
                        o->merged_owners++;
                        o->merged_units++;
                }
                o->merged_units++;
                *ret_first = w->first_unit;
                return 0;
        }
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (Owner) { .key = TAKE_PTR(key), .first_unit = strdup(unit), .n_units = 1 };
        if (!w->first_unit || !tsearch(w, &o->root, owner_cmp)) {
                owner_free(w);
                return -ENOMEM;
        }
        return 0;
}

void owner_set_merged(const OwnerSet *o, unsigned *ret_owners, unsigned *ret_units) {
        *ret_owners = o->merged_owners;
        *ret_units = o->merged_units;
}
