/* SPDX-License-Identifier: MIT */

/* dunnctl history UNIT: everything that happened to a household, oldest first — category
 * moves with their reasons, notes, opt-outs, payments and every message. Recipients are
 * masked unless --reveal, as in `dunnctl log`. */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "ctl.h"
#include "mask.h"
#include "money.h"
#include "store-history.h"
#include "store-household.h"
#include "timeutil.h"

typedef enum HistoryColumn {
        COL_TIME, COL_KIND, COL_SOURCE, COL_CHANNEL, COL_RECIPIENT, COL_STATUS, COL_AMOUNT,
        COL_DETAIL, COL_TEXT, _COL_MAX,
} HistoryColumn;

typedef struct HistoryRows {
        Table *table;
        const Ctl *ctl;
        bool reveal, with_text;
} HistoryRows;

/* "unreachable (无法联系类), door visit: 所有手机号无效 (…)" */
static void describe_category(const HistoryEntry *e, char *buf, size_t len) {
        Category c = category_from_string(strempty(e->category));
        const char *chinese = c >= 0 ? category_to_chinese(c) : "?";

        snprintf(buf, len, "%s (%s)%s%s%s%s", strempty(e->category), chinese,
                 e->promise_date ? ", promised for " : "", strempty(e->promise_date),
                 c == CATEGORY_UNREACHABLE ? ", door visit" : "",
                 e->text ? ": " : "");
}

static int add_history_row(const HistoryEntry *e, void *userdata) {
        HistoryRows *rows = userdata;
        char when[64], amount[MONEY_BUFSZ], recipient[MASK_BUFSZ], detail[1024];
        const char *cells[_COL_MAX] = {};
        _cleanup_free_ char *joined = NULL;

        cells[COL_TIME] = ctl_local_time(rows->ctl, e->time, "%Y-%m-%d %H:%M:%S", when, sizeof(when));
        cells[COL_KIND] = history_kind_to_string(e->kind);
        cells[COL_SOURCE] = e->source;
        switch (e->kind) {
        case HISTORY_CATEGORY:
                describe_category(e, detail, sizeof(detail));
                if (e->text && asprintf(&joined, "%s%s", detail, e->text) < 0)
                        return -ENOMEM;
                cells[COL_DETAIL] = joined ? joined : detail;
                break;
        case HISTORY_NOTE:
        case HISTORY_OPT_OUT:
        case HISTORY_OPT_IN:
                cells[COL_DETAIL] = e->text;
                break;
        case HISTORY_PAYMENT:
                cells[COL_AMOUNT] = money_format_plain(e->amount, amount, sizeof(amount));
                snprintf(detail, sizeof(detail), "paid on %s%s%s%s%s", strempty(e->paid_at),
                         !isempty(e->method) ? ", " : "", strempty(e->method),
                         !isempty(e->reference) ? ", reference " : "", strempty(e->reference));
                cells[COL_DETAIL] = detail;
                break;
        case HISTORY_MESSAGE:
                cells[COL_CHANNEL] = e->channel;
                cells[COL_RECIPIENT] = rows->reveal || isempty(e->recipient)
                        ? e->recipient
                        : mask_recipient(e->channel, e->recipient, recipient, sizeof(recipient));
                cells[COL_STATUS] = e->status;
                cells[COL_AMOUNT] = money_format_plain(e->amount, amount, sizeof(amount));
                snprintf(detail, sizeof(detail), "%s%s%s", strempty(e->occurrence),
                         !isempty(e->error) ? ": " : "", strempty(e->error));
                cells[COL_DETAIL] = detail;
                cells[COL_TEXT] = e->message;
                break;
        default:
                return -EBADMSG;
        }
        return table_add_row(rows->table, cells, rows->with_text ? _COL_MAX : _COL_MAX - 1);
}

static void history_help(void) {
        printf("dunnctl history UNIT [--format table|csv|json] [--reveal] [--text]\n\n"
               "Everything that happened to a household, oldest first, one line each:\n"
               "  category  a category move: the new category, its promise date, and the reason\n"
               "            or staff note (automatic moves say why: a broken promise, every\n"
               "            phone number invalid …); an unreachable one owes a door visit\n"
               "  note      a staff note (dunnctl note, an import)\n"
               "  opt-out   a contact opted out, by whom and why (dunnctl optout); opt-in\n"
               "  payment   a payment, with the day it was paid, method and reference\n"
               "  message   every outbox row of the household: occurrence, channel, recipient,\n"
               "            status, amount, and the carrier's error\n"
               "Times are local (the config's timezone); `source` is who wrote the entry\n"
               "(dunnctl, import, carrier, payment, campaign; a message's carrier).\n"
               "  --reveal  show recipients unmasked (notes and reasons are stored masked)\n"
               "  --text    include each message's text (always in csv/json)\n");
}

int verb_history(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "format", required_argument, NULL, 'f' },
                { "reveal", no_argument, NULL, 'R' },
                { "text", no_argument, NULL, 't' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        static const char *const columns[] = { "time", "kind", "source", "channel", "recipient",
                                               "status", "amount", "detail", "text", NULL };
        static const char *const columns_no_text[] = { "time", "kind", "source", "channel",
                                                       "recipient", "status", "amount", "detail",
                                                       NULL };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        bool reveal = false, with_text = false;
        HistoryRows rows;
        int64_t id;
        int c, r;

        ctl_reset_getopt();
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'f':
                        if (ctl_parse_format(optarg, &format) != 0)
                                return EXIT_USAGE;
                        break;
                case 'R':
                        reveal = true;
                        break;
                case 't':
                        with_text = true;
                        break;
                case 'h':
                        history_help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1) {
                ctl_error("usage: dunnctl history UNIT [--format table|csv|json] [--reveal] [--text]");
                return EXIT_USAGE;
        }
        r = ctl_open_store(ctl, STORE_OPEN_MIGRATE, &s);
        if (r != 0)
                return r;
        r = store_household_find(s, argv[optind], &id);
        if (r == -ENOENT) {
                ctl_error("unknown unit '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (r < 0) {
                ctl_error("cannot read the history of '%s': %s", argv[optind], store_errmsg(s));
                return EXIT_RUNTIME;
        }
        with_text = with_text || format != TABLE_FORMAT_TABLE;
        t = table_new(with_text ? columns : columns_no_text);
        if (!t)
                return EXIT_RUNTIME;
        (void) table_set_numeric(t, COL_AMOUNT);
        if (table_stream(t, format, stdout) < 0)
                return EXIT_RUNTIME;
        rows = (HistoryRows) { .table = t, .ctl = ctl, .reveal = reveal,
                               .with_text = with_text };
        r = store_history_each(s, id, add_history_row, &rows);
        if (r == -ENOMEM) {
                ctl_error("out of memory");
                return EXIT_RUNTIME;
        }
        if (r < 0) {
                ctl_error("cannot read the history of '%s': %s", argv[optind], store_errmsg(s));
                return EXIT_RUNTIME;
        }
        return table_print(t, format, stdout) < 0 ? EXIT_RUNTIME : 0;
}
