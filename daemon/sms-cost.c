/* SPDX-License-Identifier: MIT */

#include <stdio.h>

#include "macro.h"
#include "money.h"
#include "sms-cost.h"

int64_t sms_cost_fen(uint64_t parts, int price_fen) {
        if (price_fen <= 0)
                return 0;
        /* parts of a real campaign are far below 2^63 / 10^4 */
        return (int64_t) parts * price_fen;
}

void sms_tally_add(SmsTally *t, const char *channel, const SmsCount *count, int price_fen) {
        if (!channel || !streq(channel, "sms") || count->parts == 0)
                return;
        t->messages++;
        t->parts += count->parts;
        if (count->parts > 1)
                t->multipart++;
        t->cost_fen += sms_cost_fen(count->parts, price_fen);
}

void sms_tally_add_parts(SmsTally *t, unsigned messages, uint64_t parts, int price_fen) {
        t->messages += messages;
        t->parts += parts;
        t->cost_fen += sms_cost_fen(parts, price_fen);
}

char *sms_tally_format(const SmsTally *t, int price_fen, char *buf, size_t len) {
        char cost[MONEY_BUFSZ];

        if (price_fen > 0)
                snprintf(buf, len, "%u SMS, %llu part%s, %s yuan (%d fen a part)", t->messages,
                         (unsigned long long) t->parts, t->parts == 1 ? "" : "s",
                         money_format(t->cost_fen, cost, sizeof(cost)), price_fen);
        else
                snprintf(buf, len, "%u SMS, %llu part%s (no sms_price_fen configured)", t->messages,
                         (unsigned long long) t->parts, t->parts == 1 ? "" : "s");
        return buf;
}

char *sms_parts_format(size_t parts, int price_fen, char *buf, size_t len) {
        char cost[MONEY_BUFSZ];

        if (price_fen > 0)
                snprintf(buf, len, "%zu part%s, %s yuan", parts, parts == 1 ? "" : "s",
                         money_format(sms_cost_fen(parts, price_fen), cost, sizeof(cost)));
        else
                snprintf(buf, len, "%zu part%s", parts, parts == 1 ? "" : "s");
        return buf;
}
