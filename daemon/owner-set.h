/* SPDX-License-Identifier: MIT */
#pragma once

/* The owners a streamed plan reaches, for `dunnctl preview`: the households that go to the
 * same recipient on the same channel are one owner's, and get one message when the plan
 * is run (store-merge.h does it in the store). One entry per recipient seen. */

#include <stddef.h>

typedef struct OwnerSet OwnerSet;

OwnerSet *owner_set_new(void);
OwnerSet *owner_set_free(OwnerSet *o);
static inline void owner_set_freep(OwnerSet **o) {
        if (*o)
                *o = owner_set_free(*o);
}

/* Counts unit for (channel, recipient). *ret_first is the unit that came first for them
 * (borrowed, lives as long as o), or NULL when this one is the first. Returns 0 or
 * -ENOMEM. */
int owner_set_add(OwnerSet *o, const char *channel, const char *recipient, const char *unit,
                  const char **ret_first);

/* The owners with more than one unit so far, and how many units they have in all. */
void owner_set_merged(const OwnerSet *o, unsigned *ret_owners, unsigned *ret_units);
