/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"
#include "money.h"

/* Anything beyond ±10^15 fen (10 trillion yuan) is certainly a typo or garbage in an import
 * file, and keeping values this small leaves ample headroom for sums and late fees. */
#define MONEY_FEN_MAX INT64_C(1000000000000000)

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* '¥' is U+00A5 (C2 A5) and '￥' the fullwidth form U+FFE5 (EF BF A5); Chinese input
 * methods produce the latter, Excel exports often the former. Returns the byte length of
 * the sign at s, or 0. */
static size_t currency_sign_len(const char *s) {
        if ((unsigned char) s[0] == 0xC2 && (unsigned char) s[1] == 0xA5)
                return 2;
        if ((unsigned char) s[0] == 0xEF && (unsigned char) s[1] == 0xBF && (unsigned char) s[2] == 0xA5)
                return 3;
        return 0;
}

/* Adds one digit to *v, remembering (rather than failing right away) that the value got too
 * large: the syntax check must still run to the end, so that "99999999999999999x" reports
 * -EINVAL rather than -ERANGE. */
static void accumulate(uint64_t *v, bool *too_big, char digit) {
        if (*too_big)
                return;
        *v = *v * 10 + (uint64_t) (digit - '0');
        if (*v > (uint64_t) MONEY_FEN_MAX)
                *too_big = true;
}

int money_parse_yuan(const char *s, int allow_negative, int64_t *ret_fen) {
        bool negative = false, have_currency = false, too_big = false;
        uint64_t fen = 0;
        size_t n, k;

        if (!s)
                return -EINVAL;

        while (is_blank(*s))
                s++;

        /* Both "-¥12.00" (accounting style) and "¥-12.00" occur in the wild; take either
         * order, but each at most once. */
        for (int i = 0; i < 2; i++) {
                if (*s == '-' && !negative) {
                        negative = true;
                        s++;
                } else if (!have_currency && (n = currency_sign_len(s)) > 0) {
                        have_currency = true;
                        s += n;
                }
        }
        if (negative && !allow_negative)
                return -EINVAL;

        /* Integer part: either plain digits, or a first group of 1-3 digits followed by
         * groups of exactly 3 after each ','. The first group is measured before deciding,
         * so "1,2345" and "12,34" fail rather than being read as something else. */
        for (n = 0; is_digit(s[n]); n++)
                ;
        if (n == 0)
                return -EINVAL;

        if (s[n] == ',') {
                /* A separated number never starts with a zero ("0,123" is not canonical). */
                if (n > 3 || s[0] == '0')
                        return -EINVAL;
                for (k = 0; k < n; k++)
                        accumulate(&fen, &too_big, s[k]);
                s += n;
                while (*s == ',') {
                        s++;
                        for (k = 0; k < 3; k++) {
                                if (!is_digit(s[k]))
                                        return -EINVAL;
                                accumulate(&fen, &too_big, s[k]);
                        }
                        s += 3;
                }
                if (is_digit(*s))
                        return -EINVAL;
        } else {
                for (k = 0; k < n; k++)
                        accumulate(&fen, &too_big, s[k]);
                s += n;
        }

        /* Fraction: '.' and then 1 or 2 digits; a third digit would be below one fen. */
        accumulate(&fen, &too_big, '0');
        accumulate(&fen, &too_big, '0');
        if (*s == '.') {
                s++;
                if (!is_digit(s[0]))
                        return -EINVAL;
                if (is_digit(s[1])) {
                        if (is_digit(s[2]))
                                return -EINVAL;
                        if (!too_big)
                                fen += (uint64_t) (s[0] - '0') * 10 + (uint64_t) (s[1] - '0');
                        s += 2;
                } else {
                        if (!too_big)
                                fen += (uint64_t) (s[0] - '0') * 10;
                        s += 1;
                }
                if (fen > (uint64_t) MONEY_FEN_MAX)
                        too_big = true;
        }

        while (is_blank(*s))
                s++;
        if (*s != '\0')
                return -EINVAL;
        if (too_big)
                return -ERANGE;

        if (ret_fen)
                *ret_fen = negative ? -(int64_t) fen : (int64_t) fen;
        return 0;
}

/* Like strncpy done right: copies as much of src as fits, always NUL-terminates. The output
 * is ASCII, so cutting anywhere is harmless. */
static char *copy_out(const char *src, char *buf, size_t buflen) {
        size_t l;

        if (!buf || buflen == 0)
                return buf;
        l = strlen(src);
        if (l >= buflen)
                l = buflen - 1;
        memcpy(buf, src, l);
        buf[l] = '\0';
        return buf;
}

static char *format_fen(int64_t fen, bool separators, char *buf, size_t buflen) {
        /* Built backwards into tmp. The magnitude is taken as unsigned, so that INT64_MIN
         * (whose negation does not exist as int64_t) formats correctly too. */
        char tmp[MONEY_BUFSZ + 8];
        char *p = tmp + sizeof(tmp);
        uint64_t v = fen < 0 ? -(uint64_t) fen : (uint64_t) fen;
        unsigned digits = 0;

        *--p = '\0';
        *--p = (char) ('0' + v % 10);
        v /= 10;
        *--p = (char) ('0' + v % 10);
        v /= 10;
        *--p = '.';
        do {
                if (separators && digits > 0 && digits % 3 == 0)
                        *--p = ',';
                *--p = (char) ('0' + v % 10);
                v /= 10;
                digits++;
        } while (v > 0);
        if (fen < 0)
                *--p = '-';

        return copy_out(p, buf, buflen);
}

char *money_format(int64_t fen, char *buf, size_t buflen) {
        return format_fen(fen, true, buf, buflen);
}

char *money_format_plain(int64_t fen, char *buf, size_t buflen) {
        return format_fen(fen, false, buf, buflen);
}

int64_t money_scale(int64_t amount, int64_t rate, int64_t denominator) {
        __int128 p, q, r;
        unsigned __int128 ar, ad;

        /* Division by zero has no meaningful answer; callers pass constants, so this is a
         * programming error we'd rather not turn into SIGFPE in the daemon. */
        if (denominator == 0)
                return 0;

        p = (__int128) amount * rate;
        q = p / denominator;
        r = p % denominator;

        /* C division truncates toward zero, so q is already rounded toward zero; move one
         * step away from zero when the remainder is at least half the denominator. */
        ar = r < 0 ? (unsigned __int128) -r : (unsigned __int128) r;
        ad = denominator < 0 ? (unsigned __int128) -(__int128) denominator : (unsigned __int128) denominator;
        if (ar * 2 >= ad) {
                if ((p < 0) != (denominator < 0))
                        q -= 1;
                else
                        q += 1;
        }

        /* Outside the documented input range the result may not fit; saturate rather than
         * wrap, so a bogus value at least keeps its sign. */
        if (q > INT64_MAX)
                return INT64_MAX;
        if (q < INT64_MIN)
                return INT64_MIN;
        return (int64_t) q;
}

const char *money_rounding_to_string(MoneyRounding r) {
        static const char *const names[_MONEY_ROUNDING_MAX] = {
                [MONEY_ROUND_HALF_UP] = "half-up",
                [MONEY_ROUND_DOWN] = "down",
                [MONEY_ROUND_UP] = "up",
        };
        return (unsigned) r < _MONEY_ROUNDING_MAX ? names[r] : NULL;
}

MoneyRounding money_rounding_from_string(const char *s) {
        for (int i = 0; i < _MONEY_ROUNDING_MAX; i++)
                if (s && strcmp(s, money_rounding_to_string((MoneyRounding) i)) == 0)
                        return (MoneyRounding) i;
        return _MONEY_ROUNDING_INVALID;
}

int64_t money_scale_rounded(int64_t amount, int64_t rate, int64_t denominator, MoneyRounding rule) {
        __int128 p, q;

        if (rule == MONEY_ROUND_HALF_UP)
                return money_scale(amount, rate, denominator);
        /* only non-negative amounts are rounded down or up: a late fee, a cap */
        if (denominator <= 0 || amount < 0 || rate < 0)
                return 0;
        p = (__int128) amount * rate;
        q = p / denominator;
        if (rule == MONEY_ROUND_UP && p % denominator != 0)
                q += 1;
        return q > INT64_MAX ? INT64_MAX : (int64_t) q;
}

int64_t money_late_fee(const LateFeeRule *rule, int64_t unpaid, int64_t due_day, int64_t today) {
        int64_t days, fee;

        if (!rule || rule->daily_permyriad <= 0 || unpaid <= 0 || due_day < 0)
                return 0;
        days = today - due_day - rule->grace_days;
        if (days <= 0)
                return 0;
        /* unpaid × days stays far below 10^15 × 10^5; money_scale_rounded works in 128 bits */
        fee = money_scale_rounded(unpaid * days, rule->daily_permyriad, 10000, rule->rounding);
        if (rule->cap_percent > 0) {
                /* a cap is a limit: never a fraction of a fen above it */
                int64_t cap = money_scale_rounded(unpaid, rule->cap_percent, 100, MONEY_ROUND_DOWN);
                if (fee > cap)
                        fee = cap;
        }
        return fee;
}

int64_t money_bill_amount(int64_t fen_per_m2, int64_t area_centi, int months, int factor_percent) {
        /* price < 10^6 fen, area < 10^9 centi-m², months <= 120: the product fits in 64 bits
         * before the factor; money_scale multiplies by it in 128 */
        if (fen_per_m2 <= 0 || area_centi <= 0 || months <= 0 || factor_percent <= 0)
                return 0;
        return money_scale(fen_per_m2 * area_centi * months, factor_percent, 10000);
}
