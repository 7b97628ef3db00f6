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
        /* the households the frequency caps hold back today, by id: read once per plan
         * (one query over the week's occurrences), not once per household */
        ReminderCount *capped;
        size_t n_capped, allocated;
} Planner;

/* The first usable contact on the schedule's channels, in their order. Contacts marked
 * invalid (a dead number: an unreachable household's) and opted-out ones are never used:
 * an unreachable household is texted on a phone still alive, or reached on its next
 * channel. 1 with the item's channel and recipient; 0 with the reason it is skipped. */
static int pick_contact(Planner *p, const Debtor *d, PlanItem *item, char **ret_address) {
        char *const *channels = p->schedule->channels;
        size_t n = p->schedule->n_channels, k;
        int r;

        r = store_contact_pick(p->store, d->household_id, channels, n, &k, &item->contact_id,
                               ret_address);
        if (r < 0)
                return r;
        if (r == 0) {
                r = store_contact_opted_out_only(p->store, d->household_id, channels, n);
                if (r < 0)
                        return r;
                item->skip_reason = r > 0 ? "opted out: every usable contact on the schedule's "
                                            "channels opted out"
                                          : "no usable contact on the schedule's channels";
                return 0;
        }
        item->channel = channels[k];
        item->recipient = *ret_address;
        return 1;
}

/* The text (and e-mail subject) of the schedule's template for d, as of today; with a
 * group, for all the households of d's owner (d the first of them). */
static int render_texts(const Config *c, const ConfigSchedule *sc, const Debtor *d,
                        const RenderGroup *group, int64_t today, TemplateVariant *ret_variant,
                        char **ret_text, char **ret_subject) {
        const ConfigTemplate *tpl = sc->template;
        RenderContext ctx;
        int r;

        *ret_text = *ret_subject = NULL;
        render_context_init(&ctx, c, d, today);
        if (group)
                render_context_set_group(&ctx, group);
        *ret_variant = variant_pick_debtor(tpl, d);
        r = template_render(tpl->variant[*ret_variant], render_lookup, &ctx, ret_text);
        if (r < 0)
                return r;
        /* rendered for every row: a row that fails over to e-mail needs it */
        if (tpl->subject) {
                r = template_render(tpl->subject, render_lookup, &ctx, ret_subject);
                if (r < 0) {
                        free(*ret_text);
                        *ret_text = NULL;
                        return r;
                }
        }
        return 0;
}

/* The frequency caps, over every schedule and channel: a household that had (or has
 * coming) its reminders for the day or the week is skipped, reason in why. */
static bool over_caps(const Config *c, const ReminderCount *n) {
        return (c->caps_per_day > 0 && n->day >= (unsigned) c->caps_per_day) ||
               (c->caps_per_week > 0 && n->week >= (unsigned) c->caps_per_week);
}

static int add_capped(const ReminderCount *n, void *userdata) {
        Planner *p = userdata;

        if (!over_caps(p->config, n))
                return 0;
        if (p->n_capped == p->allocated) {
                size_t want = p->allocated ? p->allocated * 2 : 64;
                ReminderCount *more = realloc(p->capped, want * sizeof(*more));

                if (!more)
                        return -ENOMEM;
                p->capped = more;
                p->allocated = want;
        }
        p->capped[p->n_capped++] = *n;        /* in id order: the store sorts them */
        return 0;
}

static int load_caps(Planner *p) {
        char day[DATE_BUFSZ], first[DATE_BUFSZ];

        if (p->config->caps_per_day <= 0 && p->config->caps_per_week <= 0)
                return 0;
        return store_outbox_reminders_each(p->store, date_format(p->today - 6, first),
                                           date_format(p->today, day), add_capped, p);
}

static int reminder_cmp(const void *key, const void *elem) {
        int64_t id = *(const int64_t *) key, other = ((const ReminderCount *) elem)->household_id;

        return id < other ? -1 : id > other;
}

/* The frequency caps, over every schedule and channel: a household that had (or has
 * coming) its reminders for the day or the week is skipped, reason in why. */
static bool check_caps(const Planner *p, const Debtor *d, char *why, size_t len) {
        const Config *c = p->config;
        const ReminderCount *n;
        char day[DATE_BUFSZ];

        n = p->n_capped ? bsearch(&d->household_id, p->capped, p->n_capped, sizeof(*p->capped),
                                  reminder_cmp)
                        : NULL;
        if (!n)
                return false;
        date_format(p->today, day);
        if (c->caps_per_day > 0 && n->day >= (unsigned) c->caps_per_day)
                snprintf(why, len, "capped: %u reminder(s) on %s already (caps.per_day = %d)",
                         n->day, day, c->caps_per_day);
        else
                snprintf(why, len, "capped: %u reminder(s) in the 7 days to %s already "
                         "(caps.per_week = %d)", n->week, day, c->caps_per_week);
        return true;
}

static int plan_one(const Debtor *d, void *userdata) {
        Planner *p = userdata;
        _cleanup_free_ char *address = NULL, *text = NULL, *subject = NULL;
        char tname[160], capped[160];
        PlanItem item = { .debtor = d };
        int r;

        r = pick_contact(p, d, &item, &address);
        if (r < 0)
                return r;
        if (r > 0 && check_caps(p, d, capped, sizeof(capped))) {
                item.skip_reason = capped;
                item.channel = NULL;
                item.recipient = NULL;
                item.contact_id = 0;
        }
        r = render_texts(p->config, p->schedule, d, NULL, p->today, &item.variant, &text, &subject);
        if (r < 0)
                return r;
        item.text = text;
        item.subject = subject;
        sms_count(text, &item.sms);
        snprintf(tname, sizeof(tname), "%s/%s", p->schedule->template->name,
                 variant_to_string(item.variant));
        item.template_name = tname;
        return p->each(&item, p->userdata);
}

/* The households a text names, read back from the store as planned: the others first
 * (their units and sums), then the first, whose Debtor the text is rendered from. */
typedef struct Refreshing {
        const PlanRefresh *refresh;
        int64_t today;
        OutboxText *text;
        RenderGroup group;              /* the others' sums, then everyone's */
        Buf others;                     /* "、2-1-1502、P-101" */
        Buf units;                      /* "2-1-1501、2-1-1502、P-101" */
} Refreshing;

static int add_other(const Debtor *d, void *userdata) {
        Refreshing *f = userdata;

        buf_puts(&f->others, RENDER_UNITS_SEPARATOR);
        buf_puts(&f->others, d->unit);
        f->group.owed += d->owed;
        f->group.late_fee += d->late_fee;
        return f->others.oom ? -ENOMEM : 0;
}

static int render_first(const Debtor *d, void *userdata) {
        Refreshing *f = userdata;
        const RenderGroup *group = NULL;
        TemplateVariant variant;
        SmsCount sms;
        int r;

        /* others that paid in full are no debtors any more: then it is d's text alone */
        if (f->others.len > 0) {
                buf_puts(&f->units, d->unit);
                buf_puts(&f->units, f->others.data);
                if (f->units.oom)
                        return -ENOMEM;
                f->group.units = f->units.data;
                f->group.owed += d->owed;
                f->group.late_fee += d->late_fee;
                group = &f->group;
        }
        r = render_texts(f->refresh->config, f->refresh->schedule, d, group, f->today, &variant,
                         &f->text->text, &f->text->subject);
        if (r < 0)
                return r;
        sms_count(f->text->text, &sms);
        f->text->parts = (unsigned) sms.parts;
        return 0;
}

int plan_refresh_render(const OutboxRow *row, const OutboxGroup *group, OutboxText *ret,
                        void *userdata) {
        const PlanRefresh *rf = userdata;
        Refreshing f = {
                .refresh = rf,
                .today = local_day(rf->at, rf->config->timezone),
                .text = ret,
        };
        DebtorQuery q = {
                .today = f.today,
                .min_overdue_days = INT_MIN,
                .late_fee = rf->config->late_fee,
        };
        int r = 0;

        /* the figures come from the store, as the plan's did (group->balance is the
         * store's too); the first unit is the row's own */
        *ret = (OutboxText) {};
        if (!rf->schedule)
                return 0;
        for (size_t i = 1; i < group->n_units && r >= 0; i++) {
                q.unit = group->units[i];
                r = debtors_each(rf->store, &q, add_other, &f);
        }
        if (r >= 0) {
                q.unit = row->unit;
                r = debtors_each(rf->store, &q, render_first, &f);
        }
        buf_free(&f.others);
        buf_free(&f.units);
        return r;
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

        int r;

        if (q.categories == 0)
                return -EINVAL;
        r = load_caps(&p);
        if (r >= 0)
                r = debtors_each(s, &q, plan_one, &p);
        free(p.capped);
        return r;
}
