/* SPDX-License-Identifier: MIT */
#pragma once

/* Planning one occurrence: select the schedule's debtors and render the message for each.
 * Streams — one household at a time, memory independent of the estate's size — and writes
 * nothing: `dunnctl preview` prints what it yields, a run writes it to the outbox. */

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "debtor.h"
#include "store.h"
#include "store-outbox.h"
#include "template.h"

typedef struct PlanItem {
        const Debtor *debtor;
        const char *channel;            /* where it goes; NULL when skipped */
        int64_t contact_id;             /* 0 when skipped */
        const char *recipient;          /* NULL when skipped */
        TemplateVariant variant;
        const char *template_name;      /* "deadline/monthly" */
        const char *text;
        const char *subject;            /* NULL unless the template has one */
        SmsCount sms;
        const char *skip_reason;        /* why nothing goes out, or NULL */
} PlanItem;

/* Called once per selected household, in unit order; everything in item lives until the
 * callback returns. Return 0 to go on, or a negative errno to stop with it. */
typedef int (*plan_each_t)(const PlanItem *item, void *userdata);

/* The debtors schedule sc selects at `at`, rendered. Disputed households are never
 * selected, whatever the schedule says. Returns 0 or a negative errno. */
int plan_each(const Config *c, Store *s, const ConfigSchedule *sc, time_t at, plan_each_t each,
              void *userdata);

/* The renderer a run's claims use (store-outbox.h): a row whose household paid part since
 * the plan is rendered again, for the same schedule and day, with what is owed now. It
 * also renders the one message of an owner's households (the planner's second pass, and
 * the claim when some of them paid): the row's unit first, the others after it. */
typedef struct PlanRefresh {
        const Config *config;
        Store *store;
        const ConfigSchedule *schedule;
        time_t at;                      /* the time the occurrence stands for */
} PlanRefresh;

int plan_refresh_render(const OutboxRow *row, const OutboxGroup *group, OutboxText *ret,
                        void *userdata);
