/* SPDX-License-Identifier: MIT */
#pragma once

/* The property types (物业类型) a fee standard is set for: the store's CHECK constraint,
 * the import's column and the config's `fees.standards` name the same five. */

typedef enum PropertyType {
        PROPERTY_MULTI_STOREY,          /* 多层 */
        PROPERTY_MID_RISE,              /* 小高层 */
        PROPERTY_TOWNHOUSE,             /* 联排别墅 */
        PROPERTY_VILLA,                 /* 独立别墅 */
        PROPERTY_COMMERCIAL,            /* 商业 */
        _PROPERTY_TYPE_MAX,
        _PROPERTY_TYPE_INVALID = -22,   /* -EINVAL */
} PropertyType;

/* "多层" ... "商业": how the store and the office write them. */
const char *property_type_to_string(PropertyType t);
PropertyType property_type_from_string(const char *s);
