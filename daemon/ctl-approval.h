/* SPDX-License-Identifier: MIT */
#pragma once

/* dunnctl's side of approval (show, approve, reject), and what other commands need of it:
 * an occurrence nobody approved in time is expired by whichever command looks first, so
 * none of them needs a daemon running to tell the truth. */

#include "campaign.h"
#include "ctl.h"

/* Expires the occurrences whose approval time ran out, saying so on stderr for each.
 * Returns 0 or an exit code. */
int ctl_expire_approvals(Ctl *ctl, Store *s);

/* What `dunnctl run` says of an occurrence it may not send (waiting, rejected, expired):
 * for a waiting one, how many messages wait and the commands that decide. Returns the
 * exit status (0: a prepared occurrence is what the run was for). */
int ctl_report_unapproved(Ctl *ctl, Store *s, const CampaignResult *res);
