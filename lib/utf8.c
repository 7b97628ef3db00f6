/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "utf8.h"

int utf8_decode(const char *s, size_t len, uint32_t *ret_cp) {
        const unsigned char *p = (const unsigned char *) s;
        uint32_t cp, min;
        size_t n;

        assert(s || len == 0);

        if (len == 0)
                return -EILSEQ;

        if (p[0] < 0x80) {
                if (ret_cp)
                        *ret_cp = p[0];
                return 1;
        }

        /* 0x80-0xBF are continuation bytes, 0xC0/0xC1 could only start overlong two-byte forms
         * and 0xF5-0xFF would encode beyond U+10FFFF: none of them can start a sequence. */
        if (p[0] >= 0xC2 && p[0] <= 0xDF) {
                n = 2;
                cp = p[0] & 0x1F;
                min = 0x80;
        } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
                n = 3;
                cp = p[0] & 0x0F;
                min = 0x800;
        } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
                n = 4;
                cp = p[0] & 0x07;
                min = 0x10000;
        } else
                return -EILSEQ;

        if (len < n)
                return -EILSEQ;

        for (size_t i = 1; i < n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return -EILSEQ;
                cp = (cp << 6) | (p[i] & 0x3F);
        }

        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return -EILSEQ;

        if (ret_cp)
                *ret_cp = cp;
        return (int) n;
}

bool utf8_is_valid(const char *s, size_t len) {
        assert(s || len == 0);

        for (size_t i = 0; i < len;) {
                int r = utf8_decode(s + i, len - i, NULL);
                if (r < 0)
                        return false;
                i += (size_t) r;
        }

        return true;
}

long utf8_length(const char *s) {
        size_t len, i = 0;
        long n = 0;

        assert(s);

        len = strlen(s);
        while (i < len) {
                int r = utf8_decode(s + i, len - i, NULL);
                if (r < 0)
                        return -EILSEQ;
                i += (size_t) r;
                n++;
        }

        return n;
}

typedef struct Range {
        uint32_t first, last;
} Range;

/* Sorted, so a binary search can be used. */
static const Range wide_ranges[] = {
        { 0x1100,  0x115F  },   /* Hangul Jamo initial consonants */
        { 0x2E80,  0x303E  },   /* CJK radicals … CJK symbols and punctuation (【】。、) */
        { 0x3041,  0x33FF  },   /* Hiragana, Katakana, Bopomofo, CJK compatibility */
        { 0x3400,  0x4DBF  },   /* CJK extension A */
        { 0x4E00,  0x9FFF  },   /* CJK unified ideographs */
        { 0xA000,  0xA4CF  },   /* Yi */
        { 0xAC00,  0xD7A3  },   /* Hangul syllables */
        { 0xF900,  0xFAFF  },   /* CJK compatibility ideographs */
        { 0xFE30,  0xFE4F  },   /* CJK compatibility forms */
        { 0xFF00,  0xFF60  },   /* Fullwidth forms (，：！) */
        { 0xFFE0,  0xFFE6  },   /* Fullwidth signs (￥) */
        { 0x1F300, 0x1F64F },   /* Emoji: pictographs, emoticons */
        { 0x1F900, 0x1F9FF },   /* Emoji: supplemental symbols and pictographs */
        { 0x20000, 0x2FFFD },   /* CJK extensions B-F, plane 2 */
        { 0x30000, 0x3FFFD },   /* Plane 3 */
};

static bool in_ranges(uint32_t cp, const Range *r, size_t n) {
        size_t lo = 0, hi = n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (cp < r[mid].first)
                        hi = mid;
                else if (cp > r[mid].last)
                        lo = mid + 1;
                else
                        return true;
        }

        return false;
}

int utf8_codepoint_width(uint32_t cp) {
        /* C0 controls, DEL and C1 controls do not advance the cursor (or do something worse);
         * either way they take no column of their own. */
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
                return 0;
        if (cp < 0x300)
                return 1;
        /* Combining diacritics attach to the previous character; U+200B-200F are zero-width
         * space/joiners and direction marks. */
        if (cp <= 0x36F || (cp >= 0x200B && cp <= 0x200F))
                return 0;
        if (in_ranges(cp, wide_ranges, ELEMENTSOF(wide_ranges)))
                return 2;
        return 1;
}

size_t utf8_width(const char *s) {
        size_t len, i = 0, w = 0;

        assert(s);

        len = strlen(s);
        while (i < len) {
                uint32_t cp;
                int r = utf8_decode(s + i, len - i, &cp);

                if (r < 0) {
                        /* Terminals typically show a replacement glyph per bad byte. */
                        w += 1;
                        i++;
                        continue;
                }

                w += (size_t) utf8_codepoint_width(cp);
                i += (size_t) r;
        }

        return w;
}

#define ELLIPSIS "\xe2\x80\xa6"         /* U+2026, one column */

/* Finds how many bytes of s (of length len) fit into max_width columns and max_bytes bytes,
 * never splitting a code point. Zero-width code points after the last included character are
 * kept, since combining marks belong to the character before them. */
static size_t fit_prefix(const char *s, size_t len, size_t max_width, size_t max_bytes) {
        size_t i = 0, w = 0;

        while (i < len) {
                uint32_t cp;
                size_t n, cw;
                int r;

                r = utf8_decode(s + i, len - i, &cp);
                if (r < 0) {
                        n = 1;
                        cw = 1;
                } else {
                        n = (size_t) r;
                        cw = (size_t) utf8_codepoint_width(cp);
                }

                if (w + cw > max_width || i + n > max_bytes)
                        break;

                w += cw;
                i += n;
        }

        return i;
}

char *utf8_truncate_width(const char *s, size_t max_width, char *buf, size_t buflen) {
        size_t len, n;

        assert(s);
        assert(buf || buflen == 0);

        if (buflen == 0)
                return buf;

        len = strlen(s);

        /* Everything fits: plain copy. */
        if (len < buflen && utf8_width(s) <= max_width) {
                memcpy(buf, s, len + 1);
                return buf;
        }

        /* It has to be cut. Reserve one column and three bytes for the ellipsis when there is
         * room for it at all; otherwise cut silently. */
        if (max_width >= 1 && buflen >= sizeof(ELLIPSIS)) {
                n = fit_prefix(s, len, max_width - 1, buflen - sizeof(ELLIPSIS));
                memcpy(buf, s, n);
                memcpy(buf + n, ELLIPSIS, sizeof(ELLIPSIS));
                return buf;
        }

        n = fit_prefix(s, len, max_width, buflen - 1);
        memcpy(buf, s, n);
        buf[n] = '\0';
        return buf;
}
