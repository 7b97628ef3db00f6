/* SPDX-License-Identifier: MIT */

#include "category.h"
#include "macro.h"

static const struct {
        const char *key;
        const char *chinese;
        const char *aliases[3];
} categories[_CATEGORY_MAX] = {
        [CATEGORY_NEW] = { "new", "未分类", { "新", NULL } },
        [CATEGORY_PROMISED] = { "promised", "近期交纳类", { "承诺缴费", "近期交纳", NULL } },
        [CATEGORY_UNCLEAR] = { "unclear", "暂未明确类", { "暂未明确", NULL } },
        [CATEGORY_UNREACHABLE] = { "unreachable", "无法联系类", { "无法联系", "联系不上", NULL } },
        [CATEGORY_AWAY] = { "away", "异地出差类", { "异地出差", "出差在外", NULL } },
        [CATEGORY_DISPUTED] = { "disputed", "特殊拒交类", { "特殊拒交", "因投诉拒缴", NULL } },
};

const char *category_to_string(Category c) {
        return c >= 0 && c < _CATEGORY_MAX ? categories[c].key : NULL;
}

const char *category_to_chinese(Category c) {
        return c >= 0 && c < _CATEGORY_MAX ? categories[c].chinese : NULL;
}

Category category_from_string(const char *s) {
        if (!s)
                return _CATEGORY_INVALID;
        for (int c = 0; c < _CATEGORY_MAX; c++) {
                if (streq(s, categories[c].key) || streq(s, categories[c].chinese))
                        return (Category) c;
                for (int i = 0; categories[c].aliases[i]; i++)
                        if (streq(s, categories[c].aliases[i]))
                                return (Category) c;
        }
        return _CATEGORY_INVALID;
}
