/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "macro.h"
#include "phone.h"

/* The longest accepted input has 15 digits ("0086" + 11); anything longer is refused while
 * collecting, so the digit buffer cannot overflow however long the input is. */
#define PHONE_DIGITS_MAX 15

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_mobile(const char *d, size_t n) {
        if (n != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9')
                return false;
        for (size_t i = 2; i < n; i++)
                if (!is_digit(d[i]))
                        return false;
        return true;
}

int phone_normalize(const char *in, char out[static PHONE_BUFSZ]) {
        char digits[PHONE_DIGITS_MAX + 1];
        const char *national;
        bool plus = false;
        size_t n = 0;

        if (!in)
                return -EINVAL;

        /* '+' may only introduce the number, i.e. appear before any digit. Spaces and dashes
         * are what people and spreadsheets put in for readability; nothing else is
         * silently dropped, so that e.g. "138 0013 8000 ext 1" is not mistaken for a
         * mobile. */
        for (const char *p = in; *p; p++) {
                if (*p == ' ' || *p == '-')
                        continue;
                if (*p == '+') {
                        if (plus || n > 0)
                                return -EINVAL;
                        plus = true;
                        continue;
                }
                if (!is_digit(*p) || n >= PHONE_DIGITS_MAX)
                        return -EINVAL;
                digits[n++] = *p;
        }
        digits[n] = '\0';

        national = digits;
        if (plus) {
                /* "+" is only meaningful with the country code, and only China's. */
                if (n != 13 || strncmp(digits, "86", 2) != 0)
                        return -EINVAL;
                national += 2;
        } else if (n == 15 && strncmp(digits, "0086", 4) == 0)
                national += 4;
        else if (n == 13 && strncmp(digits, "86", 2) == 0)
                /* A bare "86" is only taken as country code when the total length says so:
                 * an 11-digit number starting with 86 is not a mobile anyway, but this
                 * keeps the rule explicit. */
                national += 2;

        if (!is_mobile(national, n - (size_t) (national - digits)))
                return -EINVAL;

        memcpy(out, national, 11);
        out[11] = '\0';
        return 0;
}

bool phone_is_valid(const char *in) {
        char buf[PHONE_BUFSZ];

        return phone_normalize(in, buf) == 0;
}

static bool is_blank_or_control(unsigned char c) {
        return c <= ' ' || c == 0x7F;
}

int email_validate(const char *s) {
        const char *at, *d;
        bool dot = false;
        size_t label;

        if (!s)
                return -EINVAL;

        at = strchr(s, '@');
        if (!at || at == s || strchr(at + 1, '@'))
                return -EINVAL;

        for (const char *p = s; p < at; p++)
                if (is_blank_or_control((unsigned char) *p))
                        return -EINVAL;

        /* Domain: labels separated by single dots, at least two of them; blanks would let
         * a typo like "a@example .com" through to the mail server. */
        d = at + 1;
        label = 0;
        for (const char *p = d;; p++) {
                if (*p == '.' || *p == '\0') {
                        if (label == 0)
                                return -EINVAL;
                        if (*p == '\0')
                                break;
                        dot = true;
                        label = 0;
                        continue;
                }
                if (is_blank_or_control((unsigned char) *p))
                        return -EINVAL;
                label++;
        }
        if (!dot)
                return -EINVAL;

        return 0;
}
