/* SPDX-License-Identifier: MIT */

/* The baseline for `dunnctl run`: the cheapest honest thing a cron script could do for the
 * same messages. Per message: one SQLite transaction marking a queue row as sent (WAL,
 * synchronous=FULL, like dunnd's store), one write() of the message's JSON line to an
 * O_APPEND outbox, and — in "durable" mode — fdatasync() of the outbox. "nosync" mode leaves
 * out the fdatasync (the SQLite commit stays durable), like the file carrier's sync = false.
 *
 *   baseline durable|nosync DB LINES OUTBOX
 *
 * LINES is a file of JSON lines (the ones dunnd wrote); one message per line. Setting up the
 * queue table is not timed; the loop is. Prints "MESSAGES SECONDS" on stdout. */

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, sqlite3 *db) {
        fprintf(stderr, "baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : strerror(errno));
        exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
                die(sql, db);
}

static double now(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(int argc, char *argv[]) {
        sqlite3 *db;
        sqlite3_stmt *ins, *upd, *begin, *commit;
        char **lines = NULL, *line = NULL;
        size_t n = 0, cap = 0, linecap = 0;
        ssize_t len;
        int durable, fd;
        FILE *in;
        double t0, t1;

        if (argc != 5 || (strcmp(argv[1], "durable") != 0 && strcmp(argv[1], "nosync") != 0)) {
                fprintf(stderr, "usage: baseline durable|nosync DB LINES OUTBOX\n");
                return 2;
        }
        durable = strcmp(argv[1], "durable") == 0;

        in = fopen(argv[3], "re");
        if (!in)
                die(argv[3], NULL);
        while ((len = getline(&line, &linecap, in)) > 0) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        lines = realloc(lines, cap * sizeof(*lines));
                        if (!lines)
                                die("realloc", NULL);
                }
                lines[n] = strndup(line, (size_t) len);
                if (!lines[n])
                        die("strndup", NULL);
                n++;
        }
        fclose(in);
        free(line);

        /* the queue: one pending row per message */
        if (sqlite3_open(argv[2], &db) != SQLITE_OK)
                die(argv[2], db);
        exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                 "CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY, status TEXT NOT NULL,"
                 "  sent_at INTEGER)");
        exec(db, "BEGIN");
        if (sqlite3_prepare_v2(db, "INSERT INTO queue (id, status) VALUES (?1, 'pending')", -1,
                               &ins, NULL) != SQLITE_OK)
                die("prepare", db);
        for (size_t i = 0; i < n; i++) {
                sqlite3_bind_int64(ins, 1, (sqlite3_int64) i + 1);
                if (sqlite3_step(ins) != SQLITE_DONE)
                        die("insert", db);
                sqlite3_reset(ins);
        }
        sqlite3_finalize(ins);
        exec(db, "COMMIT");

        if (sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(db, "UPDATE queue SET status = 'sent', sent_at = ?2"
                                   " WHERE id = ?1 AND status = 'pending'", -1, &upd, NULL) != SQLITE_OK)
                die("prepare", db);

        fd = open(argv[4], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                die(argv[4], NULL);

        t0 = now();
        for (size_t i = 0; i < n; i++) {
                size_t l = strlen(lines[i]);

                if (sqlite3_step(begin) != SQLITE_DONE)
                        die("begin", db);
                sqlite3_reset(begin);
                sqlite3_bind_int64(upd, 1, (sqlite3_int64) i + 1);
                sqlite3_bind_int64(upd, 2, (sqlite3_int64) time(NULL));
                if (sqlite3_step(upd) != SQLITE_DONE || sqlite3_changes(db) != 1)
                        die("update", db);
                sqlite3_reset(upd);
                if (sqlite3_step(commit) != SQLITE_DONE)
                        die("commit", db);
                sqlite3_reset(commit);
                if (write(fd, lines[i], l) != (ssize_t) l)
                        die("write", NULL);
                if (durable && fdatasync(fd) < 0)
                        die("fdatasync", NULL);
        }
        t1 = now();

        close(fd);
        sqlite3_finalize(upd);
        sqlite3_finalize(begin);
        sqlite3_finalize(commit);
        sqlite3_close(db);
        for (size_t i = 0; i < n; i++)
                free(lines[i]);
        free(lines);
        printf("%zu %.6f\n", n, t1 - t0);
        return 0;
}
