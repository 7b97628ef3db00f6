/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <string.h>

#include "answer.h"

/* The masked form of a recipient of length rl (>= 4). */
static void recipient_masked(const char *recipient, size_t rl, char masked[64]) {
        const char *at = strchr(recipient, '@');

        if (at)
                snprintf(masked, 64, "%c***%.40s", recipient[0], at);
        else if (rl >= 7)
                snprintf(masked, 64, "%.3s****%.4s", recipient, recipient + rl - 4);
        else
                snprintf(masked, 64, "****");
}

void answer_mask_recipient(char *s, size_t size, const char *recipient) {
        char masked[64], out[512];
        size_t rl, ml, o = 0;
        const char *p;

        if (!s || !recipient || (rl = strlen(recipient)) < 4 || size > sizeof(out))
                return;
        recipient_masked(recipient, rl, masked);
        ml = strlen(masked);
        if (!strstr(s, recipient))
                return;
        for (p = s; *p && o + 1 < size;) {
                if (strncmp(p, recipient, rl) == 0) {
                        size_t n = ml < size - 1 - o ? ml : size - 1 - o;

                        memcpy(out + o, masked, n);
                        o += n;
                        p += rl;
                } else
                        out[o++] = *p++;
        }
        out[o] = 0;
        memcpy(s, out, o + 1);
}

void answer_excerpt(char *dst, size_t size, const char *body, size_t len, size_t max) {
        size_t n = 0, i = 0;

        if (size == 0)
                return;
        if (!body)
                len = 0;
        if (max > size - 1)
                max = size - 1;
        while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
                i++;
        for (; i < len && n < max; i++) {
                unsigned char c = (unsigned char) body[i];

                dst[n++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        }
        /* drop a trailing partial UTF-8 sequence */
        if (n > 0 && i < len) {
                size_t k = n;

                while (k > 0 && ((unsigned char) dst[k - 1] & 0xc0) == 0x80)
                        k--;
                if (k > 0) {
                        unsigned char lead = (unsigned char) dst[k - 1];
                        size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;

                        if (n - (k - 1) < need)
                                n = k - 1;
                }
        }
        while (n > 0 && dst[n - 1] == ' ')
                n--;
        dst[n] = 0;
}

void answer_excerpt_masked(char *dst, size_t size, const char *body, size_t len,
                                      size_t max, const char *recipient) {
        char masked[64], tmp[512];
        size_t i = 0, o = 0, rl, ml;

        if (size == 0)
                return;
        if (!body)
                len = 0;
        if (!recipient || (rl = strlen(recipient)) < 4) {
                answer_excerpt(dst, size, body, len, max);
                return;
        }
        recipient_masked(recipient, rl, masked);
        ml = strlen(masked);
        if (max > size - 1)
                max = size - 1;
        if (max > sizeof(tmp) - sizeof(masked) - 1)
                max = sizeof(tmp) - sizeof(masked) - 1;
        while (i < len && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t'))
                i++;
        /* one byte past max when there is more, so answer_excerpt() sees that it cuts */
        while (i < len && o <= max) {
                if (len - i >= rl && memcmp(body + i, recipient, rl) == 0) {
                        memcpy(tmp + o, masked, ml);
                        o += ml;
                        i += rl;
                } else
                        tmp[o++] = body[i++];
        }
        answer_excerpt(dst, size, tmp, o, max);
}

bool answer_contains(const char *body, size_t len, const char *needle) {
        return body && len > 0 && memmem(body, len, needle, strlen(needle)) != NULL;
}
