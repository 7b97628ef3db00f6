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
        /* formatted values, filled by render_context_init */
        char amount[32], late_fee[32], total[32], prepaid_balance[32];
        char deadline[32], promise_date[32], days_overdue[16];
} RenderContext;

void render_context_init(RenderContext *ctx, const Config *c, const Debtor *d, int64_t today);

/* template_lookup_t over a RenderContext. */
const char *render_lookup(const char *name, void *userdata);

/* The deadline a reminder names: the next config deadline_day (the late-fee day, 15 by
 * default) on or after today. */
int64_t render_deadline_day(const Config *c, int64_t today);
