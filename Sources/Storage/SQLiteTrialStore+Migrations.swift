import GRDB

extension SQLiteTrialStore {
    /// The schema, as named migrations that only go forward: a database is brought up to date
    /// each time it is opened. A released migration is never edited; a change is a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-studies-trials-reports") { db in
            try db.execute(sql: """
                CREATE TABLE study (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    spec TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'running',
                    created_at DOUBLE NOT NULL
                );
                CREATE TABLE trial (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    study_id INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
                    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','pruned')),
                    params TEXT NOT NULL,
                    value DOUBLE,
                    step INTEGER,
                    attempt INTEGER NOT NULL DEFAULT 1 CHECK (attempt >= 1),
                    worker TEXT,
                    started_at DOUBLE,
                    finished_at DOUBLE,
                    reason TEXT,
                    stderr_tail TEXT
                );
                CREATE INDEX trial_by_study ON trial(study_id, state);
                CREATE TABLE report (
                    trial_id INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
                    step INTEGER NOT NULL,
                    value DOUBLE NOT NULL,
                    reported_at DOUBLE NOT NULL,
                    PRIMARY KEY (trial_id, step)
                );
                """)
        }
        // SQLite cannot add a CHECK to an existing column: the study table is rebuilt (GRDB runs
        // the migration with foreign keys off and checks them before it commits, so the trials
        // that reference a study keep it). A state no release writes becomes `interrupted`:
        // not known to be over, so the next coordinator resumes the study.
        migrator.registerMigration("v2-study-state-check") { db in
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'study'")
            try db.execute(sql: """
                CREATE TABLE study_new (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    spec TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'running'
                        CHECK (state IN ('running','finished','stopped','interrupted')),
                    created_at DOUBLE NOT NULL
                );
                INSERT INTO study_new (id, name, spec, state, created_at)
                    SELECT id, name, spec,
                           CASE WHEN state IN ('running','finished','stopped','interrupted') THEN state
                                ELSE 'interrupted' END,
                           created_at
                    FROM study;
                DROP TABLE study;
                ALTER TABLE study_new RENAME TO study;
                """)
            // Ids of deleted studies are never reused: keep the AUTOINCREMENT high-water mark.
            if let sequence {
                try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'study'")
                try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('study', ?)", arguments: [sequence])
            }
        }
        // Configurations a person chose (initial_configurations, `sextant enqueue`) and trials to
        // rerun (`sextant retry`) wait in `queue` until a coordinator uses them; `used_at` records
        // that, so a resumed coordinator never runs one twice. A rerun keeps the attempt it
        // replaces, with its reports, in `attempt`.
        migrator.registerMigration("v3-queue-attempts") { db in
            try db.execute(sql: """
                CREATE TABLE queue (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    study_id INTEGER NOT NULL REFERENCES study(id) ON DELETE CASCADE,
                    kind TEXT NOT NULL CHECK (kind IN ('initial','enqueued','retry')),
                    params TEXT CHECK ((kind = 'retry') = (params IS NULL)),
                    retry_of INTEGER REFERENCES trial(id) ON DELETE CASCADE
                        CHECK ((kind = 'retry') = (retry_of IS NOT NULL)),
                    created_at DOUBLE NOT NULL,
                    used_at DOUBLE,
                    trial_id INTEGER REFERENCES trial(id) ON DELETE SET NULL
                );
                CREATE INDEX queue_waiting ON queue(study_id, id) WHERE used_at IS NULL;
                CREATE TABLE attempt (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    trial_id INTEGER NOT NULL REFERENCES trial(id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL CHECK (attempt >= 1),
                    state TEXT NOT NULL CHECK (state IN ('completed','failed','pruned')),
                    value DOUBLE,
                    step INTEGER,
                    worker TEXT,
                    started_at DOUBLE,
                    finished_at DOUBLE,
                    reason TEXT,
                    stderr_tail TEXT,
                    reports TEXT NOT NULL DEFAULT '[]'
                );
                CREATE INDEX attempt_by_trial ON attempt(trial_id);
                """)
        }
        // A trial of a study with several objectives or constraints keeps every final value it
        // reported, as a JSON object (NULL for a study that reads only its metric).
        migrator.registerMigration("v4-trial-values") { db in
            try db.execute(sql: #"ALTER TABLE trial ADD COLUMN "values" TEXT"#)
        }
        // An earlier attempt keeps the values it reported, as its trial did.
        migrator.registerMigration("v5-attempt-values") { db in
            try db.execute(sql: #"ALTER TABLE attempt ADD COLUMN "values" TEXT"#)
        }
        // What the curve model predicted of a trial before its reports (a study with a fidelity),
        // so that a restarted coordinator judges a running trial's curve against it as before.
        migrator.registerMigration("v6-curve-priors") { db in
            try db.execute(sql: """
                CREATE TABLE curve_prior (
                    trial_id INTEGER PRIMARY KEY REFERENCES trial(id) ON DELETE CASCADE,
                    mean DOUBLE NOT NULL,
                    low DOUBLE NOT NULL,
                    high DOUBLE NOT NULL
                );
                """)
        }
        return migrator
    }
}
