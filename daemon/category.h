/* SPDX-License-Identifier: MIT */
#pragma once

/* The categories staff give a household after a call (the playbook's 分类). */

typedef enum Category {
        CATEGORY_NEW,           /* 未分类: not yet called; general reminders apply */
        CATEGORY_PROMISED,      /* 近期交纳类: named a pay date; reminded the day before */
        CATEGORY_UNCLEAR,       /* 暂未明确类: no date yet; reminded every day */
        CATEGORY_UNREACHABLE,   /* 无法联系类: number dead; other contacts + door visit */
        CATEGORY_AWAY,          /* 异地出差类: elsewhere; reminded with bank details */
        CATEGORY_DISPUTED,      /* 特殊拒交类: complaint; never an automatic reminder */
        _CATEGORY_MAX,
        _CATEGORY_INVALID = -22,
} Category;

#define CATEGORY_ALL ((1u << _CATEGORY_MAX) - 1)

const char *category_to_string(Category c);
/* The key ("promised") or the Chinese name ("近期交纳类", also "承诺缴费"...). */
Category category_from_string(const char *s);
const char *category_to_chinese(Category c);
