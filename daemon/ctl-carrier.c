/* SPDX-License-Identifier: MIT */

/* dunnctl subcommands about carriers: carriers (what is loaded), test-carrier (one message,
 * outside any campaign, with the classified outcome). */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "carrier.h"
#include "ctl.h"
#include "transfer.h"
#include "mask.h"
#include "phone.h"
#include "template.h"

static int open_carriers(Ctl *ctl, CarrierSet **ret) {
        ConfigErrors errors = {};
        int r;

        r = ctl_load_config(ctl, true);
        if (r != 0)
                return r;
        r = carrier_set_open(ctl->config, ret, &errors);
        for (size_t i = 0; i < errors.n; i++)
                fprintf(stderr, "%s\n", errors.lines[i]);
        config_errors_clear(&errors);
        if (r < 0) {
                ctl_error("cannot load the carriers");
                return EXIT_USAGE;
        }
        return 0;
}

int verb_carriers(Ctl *ctl, int argc, char *argv[]) {
        static const char *const columns[] = { "carrier", "plugin", "abi", "channel", "rate", "burst",
                                               "concurrency", "keep_alive", "state", NULL };
        _cleanup_(carrier_set_freep) CarrierSet *cs = NULL;
        _cleanup_(table_freep) Table *t = NULL;
        TableFormat format = TABLE_FORMAT_TABLE;
        int r;

        if (argc > 1 && streq(argv[1], "--help")) {
                printf("dunnctl carriers [--format table|csv|json]\n\nThe configured carriers as "
                       "loaded: plugin file, ABI, channel, rate (messages/s,\n0 = unlimited), burst, "
                       "requests in flight, whether connections are kept\nalive (only for carriers "
                       "whose requests carry an idempotency key).\n");
                return 0;
        }
        if (argc == 3 && streq(argv[1], "--format")) {
                if (ctl_parse_format(argv[2], &format) != 0)
                        return EXIT_USAGE;
        } else if (argc > 1) {
                ctl_error("usage: dunnctl carriers [--format table|csv|json]");
                return EXIT_USAGE;
        }
        r = open_carriers(ctl, &cs);
        if (r != 0)
                return r;
        t = table_new(columns);
        if (!t)
                return EXIT_RUNTIME;
        for (size_t i = 0; i < cs->n; i++) {
                const Carrier *c = &cs->carriers[i];
                char abi[16], rate[32], burst[16], conc[16];
                const char *cells[9];

                snprintf(abi, sizeof(abi), "%u", c->api->abi);
                snprintf(rate, sizeof(rate), "%g", c->config->rate);
                snprintf(burst, sizeof(burst), "%u", c->config->burst);
                snprintf(conc, sizeof(conc), "%u", c->config->concurrency);
                cells[0] = c->name;
                cells[1] = c->path;
                cells[2] = abi;
                cells[3] = c->channel;
                cells[4] = rate;
                cells[5] = burst;
                cells[6] = conc;
                cells[7] = c->api->deliver ? "-" :
                           (c->properties & (DUNND_CARRIER_IDEMPOTENT | DUNND_CARRIER_REUSE_SAFE)) ? "yes" : "no";
                cells[8] = "ready";
                if (table_add_row(t, cells, 9) < 0)
                        return EXIT_RUNTIME;
        }
        return table_print(t, format, stdout) < 0 ? EXIT_RUNTIME : 0;
}

int verb_test_carrier(Ctl *ctl, int argc, char *argv[]) {
        static const struct option options[] = {
                { "to", required_argument, NULL, 't' },
                { "text", required_argument, NULL, 'x' },
                { "subject", required_argument, NULL, 's' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        _cleanup_(carrier_set_freep) CarrierSet *cs = NULL;
        const char *to = NULL, *text = "【dunnd】这是一条测试消息，请忽略。(dunnd test message)";
        const char *subject = "dunnd test";
        char recipient[256], masked[MASK_BUFSZ];
        struct dunnd_outcome o;
        Carrier *c;
        int ch, r;

        ctl_reset_getopt();
        while ((ch = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (ch) {
                case 't':
                        to = optarg;
                        break;
                case 'x':
                        text = optarg;
                        break;
                case 's':
                        subject = optarg;
                        break;
                case 'h':
                        printf("dunnctl test-carrier NAME --to ADDRESS [--text T] [--subject S]\n\n"
                               "Send one message through a configured carrier, outside any campaign\n"
                               "(nothing is written to the database), and print the classified outcome:\n"
                               "sent, transient, throttled, invalid_recipient, rejected, unknown or\n"
                               "carrier_failure. Exit status 0 only when it was sent. Through a kannel\n"
                               "carrier it also says how many parts the text is: kannel.conf's\n"
                               "max-messages must allow the longest reminder's.\n");
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 1 || !to) {
                ctl_error("usage: dunnctl test-carrier NAME --to ADDRESS [--text T]");
                return EXIT_USAGE;
        }
        r = open_carriers(ctl, &cs);
        if (r != 0)
                return r;
        c = carrier_set_find(cs, argv[optind]);
        if (!c) {
                ctl_error("no carrier named '%s' (see dunnctl carriers)", argv[optind]);
                return EXIT_USAGE;
        }
        snprintf(recipient, sizeof(recipient), "%s", to);
        if (streq(c->channel, "sms") && phone_normalize(to, recipient) < 0) {
                ctl_error("'%s' is not a mainland mobile number", to);
                return EXIT_USAGE;
        }
        if (streq(c->channel, "email") && email_validate(to) < 0) {
                ctl_error("'%s' is not an e-mail address", to);
                return EXIT_USAGE;
        }
        struct dunnd_message m = {
                .dispatch_id = (uint64_t) time(NULL),
                .occurrence = "test-carrier",
                .channel = c->channel,
                .recipient = recipient,
                .recipient_name = "",
                .unit = "test",
                .subject = streq(c->channel, "email") ? subject : NULL,
                .text = text,
        };
        r = transfer_send_blocking(c, &m, &o);
        if (r < 0) {
                ctl_error("cannot send: %s", strerror(-r));
                return EXIT_RUNTIME;
        }
        printf("%s via '%s': %s%s%s%s%s\n", mask_recipient(c->channel, recipient, masked, sizeof(masked)),
               c->name, outcome_class_to_string(o.klass), o.message_id[0] ? " id=" : "", o.message_id,
               o.error[0] ? ": " : "", o.error);
        /* Kannel splits a long text into at most its sendsms-user's max-messages parts (1 by
         * default), drops the rest, and still answers "Accepted": nothing here can see it */
        if (streq(c->config->plugin, "kannel")) {
                SmsCount sms;

                sms_count(text, &sms);
                printf("note: this text is %zu SMS part(s); the sendsms-user of kannel.conf must allow "
                       "max-messages >= the parts of the longest reminder (Kannel's default, 1, sends "
                       "only the first part and still answers Accepted)\n", sms.parts);
        }
        return o.klass == DUNND_OUTCOME_SENT ? 0 : EXIT_RUNTIME;
}
