/* SPDX-License-Identifier: MIT */

#include <stdio.h>

#include "money.h"
#include "render.h"
#include "timeutil.h"

int64_t render_deadline_day(const Config *c, int64_t today) {
        unsigned m, d, day = (unsigned) (c->deadline_day > 0 ? c->deadline_day : 15);
        int y;

        civil_from_days(today, &y, &m, &d);
        if (d > day) {
                if (++m > 12) {
                        m = 1;
                        y++;
                }
        }
        /* a deadline_day of 31 in a 30-day month falls on the month's last day */
        for (unsigned dd = day; dd >= 28; dd--) {
                int64_t n = days_from_civil(y, m, dd);
                int yy;
                unsigned mm, ddd;

                civil_from_days(n, &yy, &mm, &ddd);
                if (mm == m)
                        return n;
        }
        return days_from_civil(y, m, day);
}

static char *format_month_day(int64_t day, char *buf, size_t len) {
        unsigned m, d;
        int y;

        civil_from_days(day, &y, &m, &d);
        snprintf(buf, len, "%u月%u日", m, d);
        return buf;
}

void render_context_init(RenderContext *ctx, const Config *c, const Debtor *d, int64_t today) {
        *ctx = (RenderContext) { .config = c, .debtor = d, .today = today, .units = d->unit };
        money_format(d->owed, ctx->amount, sizeof(ctx->amount));
        money_format(d->late_fee, ctx->late_fee, sizeof(ctx->late_fee));
        money_format(d->owed + d->late_fee, ctx->total, sizeof(ctx->total));
        money_format(d->prepaid_balance, ctx->prepaid_balance, sizeof(ctx->prepaid_balance));
        format_month_day(render_deadline_day(c, today), ctx->deadline, sizeof(ctx->deadline));
        if (d->promise_day >= 0)
                format_month_day(d->promise_day, ctx->promise_date, sizeof(ctx->promise_date));
        snprintf(ctx->days_overdue, sizeof(ctx->days_overdue), "%d",
                 d->days_overdue > 0 ? d->days_overdue : 0);
}

void render_context_set_group(RenderContext *ctx, const RenderGroup *g) {
        ctx->units = g->units;
        money_format(g->owed, ctx->amount, sizeof(ctx->amount));
        money_format(g->late_fee, ctx->late_fee, sizeof(ctx->late_fee));
        money_format(g->owed + g->late_fee, ctx->total, sizeof(ctx->total));
}

const char *render_lookup(const char *name, void *userdata) {
        const RenderContext *ctx = userdata;
        const Debtor *d = ctx->debtor;
        const Config *c = ctx->config;

        if (streq(name, "owner"))
                return d->owner;
        if (streq(name, "unit") || streq(name, "units"))
                return ctx->units;
        if (streq(name, "building"))
                return d->building;
        if (streq(name, "amount"))
                return ctx->amount;
        if (streq(name, "late_fee"))
                return ctx->late_fee;
        if (streq(name, "total"))
                return ctx->total;
        if (streq(name, "deadline"))
                return ctx->deadline;
        if (streq(name, "periods"))
                return d->periods;
        if (streq(name, "days_overdue"))
                return ctx->days_overdue;
        if (streq(name, "promise_date"))
                return ctx->promise_date;
        if (streq(name, "bank_account"))
                return c->bank_account;
        if (streq(name, "signature"))
                return c->signature;
        if (streq(name, "estate"))
                return c->estate;
        if (streq(name, "office_phone"))
                return c->office_phone;
        if (streq(name, "staff"))
                return d->staff;
        if (streq(name, "prepaid_balance"))
                return ctx->prepaid_balance;
        if (streq(name, "category"))
                return category_to_chinese(d->category);
        return NULL;
}
