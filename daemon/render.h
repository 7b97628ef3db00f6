/* SPDX-License-Identifier: MIT */
#pragma once

/* The facts a template can name, for one debtor at one moment: the bridge between the
 * store's integers (fen, day numbers) and the text an owner reads. */

#include "config.h"
#include "debtor.h"
#include "template.h"

typedef struct RenderContext {
        const Config *config;
        const Debtor *debtor;
        int64_t today;
        const char *units;              /* {{units}}: the debtor's unit, or the group's */
        /* formatted values, filled by render_context_init */
        char amount[32], late_fee[32], total[32], prepaid_balance[32];
        char deadline[32], promise_date[32], days_overdue[16];
} RenderContext;

void render_context_init(RenderContext *ctx, const Config *c, const Debtor *d, int64_t today);

/* One message for the households of one owner (same recipient, same channel): the
 * debtor of the context is the first of them, and the text names them all. */
typedef struct RenderGroup {
        const char *units;              /* "2-1-1501、2-1-1502、P-101" */
        int64_t owed, late_fee;         /* fen, summed over the households */
} RenderGroup;

/* Makes ctx speak for the group: {{units}} and {{unit}} name every unit (a template
 * written for one household must not name one unit beside the sum of three), {{amount}},
 * {{late_fee}} and {{total}} are the sums. g must live as long as ctx is used. */
void render_context_set_group(RenderContext *ctx, const RenderGroup *g);

/* The separator of the units in {{units}}. */
#define RENDER_UNITS_SEPARATOR "、"

/* template_lookup_t over a RenderContext. */
const char *render_lookup(const char *name, void *userdata);

/* The deadline a reminder names: the next config deadline_day (the late-fee day, 15 by
 * default) on or after today. */
int64_t render_deadline_day(const Config *c, int64_t today);
