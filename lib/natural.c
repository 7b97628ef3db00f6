/* SPDX-License-Identifier: MIT */

#include "natural.h"

static int is_digit(char c) {
        return c >= '0' && c <= '9';
}

int natural_compare(const char *a, size_t alen, const char *b, size_t blen) {
        size_t i = 0, j = 0;
        int zeros_tiebreak = 0;

        while (i < alen && j < blen) {
                if (is_digit(a[i]) && is_digit(b[j])) {
                        size_t za = 0, zb = 0, na, nb, ea, eb;

                        while (i + za < alen && a[i + za] == '0')
                                za++;
                        while (j + zb < blen && b[j + zb] == '0')
                                zb++;
                        for (ea = i + za; ea < alen && is_digit(a[ea]); ea++)
                                ;
                        for (eb = j + zb; eb < blen && is_digit(b[eb]); eb++)
                                ;
                        na = ea - (i + za);
                        nb = eb - (j + zb);
                        /* more significant digits: the larger number */
                        if (na != nb)
                                return na < nb ? -1 : 1;
                        for (size_t k = 0; k < na; k++)
                                if (a[i + za + k] != b[j + zb + k])
                                        return a[i + za + k] < b[j + zb + k] ? -1 : 1;
                        if (!zeros_tiebreak && za != zb)
                                zeros_tiebreak = za > zb ? -1 : 1;
                        i = ea;
                        j = eb;
                        continue;
                }
                if (a[i] != b[j])
                        return (unsigned char) a[i] < (unsigned char) b[j] ? -1 : 1;
                i++;
                j++;
        }
        if (i < alen || j < blen)
                return i < alen ? 1 : -1;
        return zeros_tiebreak;
}
