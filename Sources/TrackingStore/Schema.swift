import MLflowCore

/// The database schema as an ordered list of migrations, versioned with `PRAGMA user_version`.
///
/// Migration `n` (1-based) takes a database from version `n-1` to `n`. Migrations are only
/// appended, never edited once released. `Schema.migrate` applies the missing ones in one
/// `BEGIN IMMEDIATE` transaction, so concurrent workers starting together apply them once.
public enum Schema {
    /// The version this build writes and understands.
    public static var currentVersion: Int { migrations.count }

    static let migrations: [String] = [
        // 1: experiments, runs, metrics (history + latest), params, tags, dataset inputs.
        """
        CREATE TABLE experiments (
            experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            artifact_location TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            creation_time INTEGER NOT NULL,
            last_update_time INTEGER NOT NULL
        );
        CREATE TABLE experiment_tags (
            experiment_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (experiment_id, key)
        ) WITHOUT ROWID;
        -- run_key is the compact integer every per-run table joins on; run_id is the public id.
        CREATE TABLE runs (
            run_key INTEGER PRIMARY KEY,
            run_id TEXT NOT NULL UNIQUE,
            experiment_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            user_id TEXT NOT NULL,
            status INTEGER NOT NULL,
            start_time INTEGER NOT NULL,
            end_time INTEGER,
            artifact_uri TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL
        );
        CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
        -- Metric history, clustered in get-history order; the key makes an identical point a no-op.
        -- NaN is stored as value 0 with is_nan = 1 (SQLite would turn NaN into NULL).
        CREATE TABLE metrics (
            run_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            is_nan INTEGER NOT NULL,
            PRIMARY KEY (run_key, key, timestamp, step, value, is_nan)
        ) WITHOUT ROWID;
        -- One row per run and key: the point with the largest (step, timestamp, value).
        CREATE TABLE latest_metrics (
            run_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            step INTEGER NOT NULL,
            timestamp INTEGER NOT NULL,
            value REAL NOT NULL,
            is_nan INTEGER NOT NULL,
            PRIMARY KEY (run_key, key)
        ) WITHOUT ROWID;
        CREATE TABLE params (
            run_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_key, key)
        ) WITHOUT ROWID;
        CREATE TABLE tags (
            run_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_key, key)
        ) WITHOUT ROWID;
        CREATE TABLE datasets (
            dataset_key INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            source_type TEXT NOT NULL,
            source TEXT NOT NULL,
            schema TEXT,
            profile TEXT,
            UNIQUE (experiment_id, name, digest)
        );
        CREATE TABLE run_inputs (
            run_key INTEGER NOT NULL,
            dataset_key INTEGER NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (run_key, dataset_key)
        ) WITHOUT ROWID;
        CREATE TABLE run_input_tags (
            run_key INTEGER NOT NULL,
            dataset_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_key, dataset_key, key)
        ) WITHOUT ROWID;
        """,
        // 2: MLflow 3 logged models, and the models runs use and produce.
        """
        CREATE TABLE logged_models (
            model_key INTEGER PRIMARY KEY,
            model_id TEXT NOT NULL UNIQUE,
            experiment_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            artifact_location TEXT NOT NULL,
            creation_time INTEGER NOT NULL,
            last_updated_time INTEGER NOT NULL,
            status INTEGER NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            model_type TEXT,
            source_run_id TEXT,
            status_message TEXT
        );
        CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, creation_time);
        CREATE TABLE logged_model_tags (
            model_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_key, key)
        ) WITHOUT ROWID;
        CREATE TABLE logged_model_params (
            model_key INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_key, key)
        ) WITHOUT ROWID;
        CREATE TABLE run_model_outputs (
            run_key INTEGER NOT NULL,
            model_id TEXT NOT NULL,
            step INTEGER NOT NULL,
            PRIMARY KEY (run_key, model_id)
        ) WITHOUT ROWID;
        CREATE TABLE run_model_inputs (
            run_key INTEGER NOT NULL,
            model_id TEXT NOT NULL,
            PRIMARY KEY (run_key, model_id)
        ) WITHOUT ROWID;
        """,
    ]

    /// Brings the database to `currentVersion`, creating the default experiment in a new one.
    /// Throws when the file was written by a newer mlflow-fcgi.
    static func migrate(_ db: SQLiteConnection, now: Int64) throws {
        if try version(of: db) == currentVersion { return }
        try db.writeTransaction {
            let found = try version(of: db)
            if found > currentVersion {
                throw MLflowError(
                    .internalError,
                    "The database schema is version \(found), newer than this mlflow-fcgi understands (\(currentVersion)). Upgrade mlflow-fcgi to use it.")
            }
            for version in found..<currentVersion {
                try db.execute(migrations[version])
                if version == 0 { try createDefaultExperiment(db, now: now) }
            }
            try db.execute("PRAGMA user_version = \(currentVersion)")
        }
    }

    static func version(of db: SQLiteConnection) throws -> Int {
        Int(try db.first("PRAGMA user_version") { $0.int64(0) } ?? 0)
    }

    private static func createDefaultExperiment(_ db: SQLiteConnection, now: Int64) throws {
        try db.run(
            """
            INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
            VALUES (0, 'Default', ?, 'active', ?, ?)
            """, [.text(ArtifactLocation.forExperiment("0")), .integer(now), .integer(now)])
    }
}
