/* SPDX-License-Identifier: MIT */
#pragma once

/* Money is integer fen (分) everywhere; yuan strings exist only at the edges (CSV input,
 * template output). */

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
