/* SPDX-License-Identifier: MIT */
#pragma once

/* The debtor selection over the store: the households that owe (a partial index on
 * balance > 0, so the ones that paid are never read), in unit order, each with its charges
 * settled by debtor_settle(). Streams: memory does not grow with the estate. */

#include "debtor.h"

int store_debtors_each(Store *s, const DebtorQuery *q, debtor_each_t each, void *userdata);
