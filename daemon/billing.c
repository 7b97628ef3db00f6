/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "billing.h"
#include "money.h"
#include "store-billing.h"
#include "store-ledger.h"
#include "timeutil.h"

#define BATCH 512

int billing_due_day(const FeeStandards *fees, const char *period, int64_t *ret_day) {
        unsigned y, m, day;
        char tail;

        if (!period || strlen(period) != 7 || period[4] != '-' ||
            sscanf(period, "%4u-%2u%c", &y, &m, &tail) != 2 || y < 1970 || m < 1 || m > 12)
                return -EINVAL;
        day = (unsigned) (fees->due_day > 0 ? fees->due_day : 15);
        /* due_day 31 in a 30-day month is the 30th, in February the 28th or 29th */
        while (day > 28) {
                int yy;
                unsigned mm, dd;

                civil_from_days(days_from_civil((int) y, m, day), &yy, &mm, &dd);
                if (mm == m)
                        break;
                day--;
        }
        *ret_day = days_from_civil((int) y, m, day);
        return 0;
}

typedef struct Biller {
        const Config *config;
        Store *store;
        const char *period;
        int months;
        bool dry_run;
        int64_t today, due_day;
        char now[STORE_TIMESTAMP_BUFSZ];
        char draw_key[64];
        BillResult *result;
} Biller;

static void count(BillTotals *t, const BillHousehold *h, int64_t fen) {
        t->households++;
        t->area_centi += h->area_centi;
        t->fen += fen;
        if (h->vacant)
                t->vacant++;
}

/* The advance pays what it can of the new charge; an advance that runs out with money
 * still owed switches the owner to the prepaid-used-up text (debtor_prepaid_used_up). */
static int draw_advance(Biller *b, const BillHousehold *h, int64_t fen) {
        int64_t draw = h->prepaid_balance < fen ? h->prepaid_balance : fen;
        bool added = false;
        int r;

        if (!h->prepaid || draw <= 0)
                return 0;
        if (!b->dry_run) {
                r = store_prepaid_draw(b->store, h->id, draw, b->today, b->draw_key, b->now, &added);
                if (r < 0)
                        return r;
                if (!added)
                        return 0;
        }
        b->result->prepaid_drawn++;
        b->result->prepaid_fen += draw;
        if (draw < fen)
                b->result->prepaid_used_up++;
        return 0;
}

static int bill_one(Biller *b, const BillHousehold *h) {
        const FeeStandards *fees = &b->config->fees;
        BillResult *res = b->result;
        int64_t fen, price;
        bool added = true;
        int r;

        if (h->property_type < 0)
                return -EBADMSG;
        price = fees->fen_per_m2[h->property_type];
        if (price <= 0) {
                if (res->no_standard++ == 0)
                        res->missing_standard = h->property_type;
                return 0;
        }
        fen = money_bill_amount(price, h->area_centi, b->months,
                                h->vacant ? fees->vacant_percent : 100);
        if (fen <= 0) {
                res->no_area++;
                return 0;
        }
        if (b->dry_run) {
                r = store_billing_charge_find(b->store, h->id, b->period, NULL);
                added = r == 0;
        } else
                r = store_charge_add_new(b->store, h->id, &(ChargeRecord) {
                                                 .period = b->period, .fen = fen, .due_day = b->due_day,
                                         }, &added);
        if (r < 0)
                return r;
        if (!added) {
                res->already_billed++;
                return 0;
        }
        count(&res->by_type[h->property_type], h, fen);
        count(&res->total, h, fen);
        return draw_advance(b, h, fen);
}

static int bill_all(Biller *b) {
        _cleanup_free_ BillHousehold *batch = calloc(BATCH, sizeof(BillHousehold));
        int64_t after = 0;
        size_t n;
        int r;

        if (!batch)
                return -ENOMEM;
        do {
                r = store_billing_households(b->store, after, batch, BATCH, &n);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n; i++) {
                        r = bill_one(b, &batch[i]);
                        if (r < 0)
                                return r;
                }
                if (n > 0)
                        after = batch[n - 1].id;
        } while (n == BATCH);
        return b->result->no_standard ? -ENOENT : 0;
}

int billing_run(const Config *c, Store *s, const char *period, int months, bool dry_run,
                int64_t today, BillResult *ret) {
        _cleanup_rollback_ Store *tx = NULL;
        Biller b = {
                .config = c, .store = s, .period = period, .months = months,
                .dry_run = dry_run, .today = today, .result = ret,
        };
        int r;

        *ret = (BillResult) {};
        if (months < 1 || months > BILL_MONTHS_MAX || billing_due_day(&c->fees, period, &b.due_day) < 0)
                return -EINVAL;
        store_now(b.now, sizeof(b.now));
        /* one drawdown per household and period: a re-run finds it by this key */
        snprintf(b.draw_key, sizeof(b.draw_key), "bill:%s:prepaid", period);
        if (dry_run)
                return bill_all(&b);

        r = store_begin(s);
        if (r < 0)
                return r;
        tx = s;
        r = bill_all(&b);
        if (r < 0)
                return r;       /* rolled back: a half-billed period is never left behind */
        r = store_commit(s);
        if (r < 0)
                return r;
        tx = NULL;
        return 0;
}
