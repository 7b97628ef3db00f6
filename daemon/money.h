/* SPDX-License-Identifier: MIT */
#pragma once

/* Money is integer fen (分) everywhere; yuan strings exist only at the edges (CSV input,
 * template output). */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_BUFSZ 32

/* Parses a yuan amount: optional leading '-' only if allow_negative, digits, an optional
 * '.' followed by 1 or 2 digits. Also accepts thousands separators in the canonical
 * positions ("1,234.50") and surrounding ASCII blanks, and a leading '¥' or '￥'. Anything
 * else (3 decimals, "1.", ".5", "1e3", empty, letters) is -EINVAL; beyond ±10^15 fen
 * -ERANGE. */
int money_parse_yuan(const char *s, int allow_negative, int64_t *ret_fen);

/* Formats fen as "1,234.56" ("-12.30", "0.00"). Returns buf. */
char *money_format(int64_t fen, char *buf, size_t buflen);

/* Formats without separators: "1234.56" (for CSV/JSON output). Returns buf. */
char *money_format_plain(int64_t fen, char *buf, size_t buflen);

/* amount × rate / denominator, rounded half away from zero, without overflow for any
 * amount below 10^15 fen and rate/denominator below 10^6. Used for late fees
 * (万分之五 per day: money_scale(amount * days, 5, 10000)). */
int64_t money_scale(int64_t amount, int64_t rate, int64_t denominator);

/* How a fraction of a fen is settled. Every amount rounded here is >= 0. */
typedef enum MoneyRounding {
        MONEY_ROUND_HALF_UP,            /* to the nearest fen, half a fen up (四舍五入) */
        MONEY_ROUND_DOWN,               /* the fraction dropped (舍去) */
        MONEY_ROUND_UP,                 /* any fraction makes a whole fen (进一) */
        _MONEY_ROUNDING_MAX,
        _MONEY_ROUNDING_INVALID = -EINVAL,
} MoneyRounding;

/* "half-up", "down", "up": the config's words. */
const char *money_rounding_to_string(MoneyRounding r);
MoneyRounding money_rounding_from_string(const char *s);

/* amount × rate / denominator for amount, rate >= 0 and denominator > 0, rounded by rule
 * (same range as money_scale). */
int64_t money_scale_rounded(int64_t amount, int64_t rate, int64_t denominator, MoneyRounding rule);

/* The late fee (滞纳金) rule, dunnd.conf's `late_fee` group. */
typedef struct LateFeeRule {
        int daily_permyriad;            /* per day, in 1/10000 of the unpaid amount; 0 = none */
        int grace_days;                 /* days after the due date that cost nothing */
        int cap_percent;                /* a charge's fee never exceeds this % of it; 0 = no cap */
        MoneyRounding rounding;
} LateFeeRule;

/* The late fee one charge has accrued by `today` (day numbers): with unpaid fen still owed
 * on a charge due on due_day, the days counted are today − due_day − grace_days (none on
 * or before the last grace day; due_day < 0, unknown, counts none), and
 *
 *     fee = round(unpaid × days × daily_permyriad / 10000)
 *     fee = min(fee, floor(unpaid × cap_percent / 100))       when cap_percent > 0
 *
 * A household's late fee is the sum over its unpaid charges, each rounded on its own (as a
 * bill lists them). */
int64_t money_late_fee(const LateFeeRule *rule, int64_t unpaid, int64_t due_day, int64_t today);

/* One period's fee for a unit: price in fen per m² per month, area in 1/100 m², months,
 * and a factor in percent (100, or the vacant-home factor):
 *
 *     amount = round_half_up(fen_per_m2 × area_centi × months × factor_percent / 10000)
 *
 * Rounded once, on the whole amount. */
int64_t money_bill_amount(int64_t fen_per_m2, int64_t area_centi, int months, int factor_percent);
