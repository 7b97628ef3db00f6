/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "plan.h"
#include "render.h"
#include "store-household.h"
#include "timeutil.h"
#include "variant.h"

typedef struct Planner {
        const Config *config;
        Store *store;
        const ConfigSchedule *schedule;
        int64_t today;
        plan_each_t each;
        void *userdata;
} Planner;

/* The first usable contact on the schedule's channels, in their order. Households that
 * are unreachable by phone are not texted: their other contacts are tried. */
static int pick_contact(Planner *p, const Debtor *d, PlanItem *item, char **ret_address) {
        char *const *channels = p->schedule->channels;
        size_t n = p->schedule->n_channels, k;
        char *no_sms[8];
        int r;

        if (d->category == CATEGORY_UNREACHABLE) {
                size_t m = 0;

                for (size_t i = 0; i < n && m < ELEMENTSOF(no_sms); i++)
                        if (!streq(channels[i], "sms"))
                                no_sms[m++] = channels[i];
                channels = no_sms;
                n = m;
        }
        r = store_contact_pick(p->store, d->household_id, channels, n, &k, &item->contact_id,
                               ret_address);
        if (r <= 0)
                return r;
        item->channel = channels[k];
        item->recipient = *ret_address;
        return 1;
}

static int plan_one(const Debtor *d, void *userdata) {
        Planner *p = userdata;
        const ConfigTemplate *tpl = p->schedule->template;
        _cleanup_free_ char *address = NULL, *text = NULL, *subject = NULL;
        char tname[160];
        RenderContext ctx;
        PlanItem item = { .debtor = d };
        int r;

        r = pick_contact(p, d, &item, &address);
        if (r < 0)
                return r;
        if (r == 0)
                item.skip_reason = "no usable contact on the schedule's channels";
        render_context_init(&ctx, p->config, d, p->today);
        item.variant = variant_pick_debtor(tpl, d);
        r = template_render(tpl->variant[item.variant], render_lookup, &ctx, &text);
        if (r < 0)
                return r;
        /* rendered for every row: a row that fails over to e-mail needs it */
        if (tpl->subject) {
                r = template_render(tpl->subject, render_lookup, &ctx, &subject);
                if (r < 0)
                        return r;
        }
        item.text = text;
        item.subject = subject;
        sms_count(text, &item.sms);
        snprintf(tname, sizeof(tname), "%s/%s", tpl->name, variant_to_string(item.variant));
        item.template_name = tname;
        return p->each(&item, p->userdata);
}

int plan_each(const Config *c, Store *s, const ConfigSchedule *sc, time_t at, plan_each_t each,
              void *userdata) {
        Planner p = {
                .config = c,
                .store = s,
                .schedule = sc,
                .today = local_day(at, c->timezone),
                .each = each,
                .userdata = userdata,
        };
        DebtorQuery q = {
                .today = p.today,
                /* disputed households never get an automatic reminder */
                .categories = sc->categories & ~(1u << CATEGORY_DISPUTED),
                .buildings = sc->buildings,
                .min_overdue_days = sc->min_overdue_days > 0 ? sc->min_overdue_days : INT_MIN,
                .promise_eve = sc->promise_eve,
                .late_fee = c->late_fee,
        };

        if (q.categories == 0)
                return -EINVAL;
        return debtors_each(s, &q, plan_one, &p);
}
