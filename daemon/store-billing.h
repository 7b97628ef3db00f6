/* SPDX-License-Identifier: MIT */
#pragma once

/* What `dunnctl bill` reads: every household with what its fee depends on, in id order
 * and in batches, so the billing transaction can write charges between two reads (no
 * statement is left stepping over the table it updates) and memory stays flat. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "property.h"
#include "store.h"

typedef struct BillHousehold {
        int64_t id;
        char unit[64];
        PropertyType property_type;     /* the store's CHECK keeps it one of the five */
        int64_t area_centi;             /* 1/100 m² */
        bool vacant;
        bool prepaid;
        int64_t prepaid_balance;        /* fen */
} BillHousehold;

/* Up to max households with id > after_id, in id order: *ret_n of them (0 = no more). */
int store_billing_households(Store *s, int64_t after_id, BillHousehold *ret, size_t max,
                             size_t *ret_n);

/* 1 when the household already has a charge for period (with *ret_fen), 0 when not. */
int store_billing_charge_find(Store *s, int64_t household_id, const char *period,
                              int64_t *ret_fen);
