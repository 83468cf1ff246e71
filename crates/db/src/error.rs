use thiserror::Error;

/// What went wrong talking to PostgreSQL, in the terms callers act on.
#[derive(Debug, Error)]
pub enum DbError {
    /// No row matched: in a tenant transaction this is also what another tenant's row
    /// looks like, which is why the API answers 404 for both.
    #[error("not found")]
    NotFound,
    /// A unique, foreign-key or check constraint refused the write; the name says which.
    #[error("constraint `{constraint}` refused the write")]
    Constraint {
        /// The constraint's name as declared in the migrations.
        constraint: String,
    },
    /// The database cannot be reached or its pool is exhausted.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Anything else: a bug or an operational fault, never the client's doing.
    #[error(transparent)]
    Other(#[from] OtherDbError),
}

/// The opaque remainder of [`DbError`]; its `Display` may hold SQL details, so it is logged,
/// never sent to clients.
#[derive(Debug, Error)]
#[error("{0}")]
pub struct OtherDbError(#[source] pub sqlx::Error);

/// Result alias for database calls.
pub type DbResult<T> = Result<T, DbError>;

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => DbError::NotFound,
            sqlx::Error::Database(ref db) if server_going_away(db.code().as_deref()) => {
                DbError::Unavailable(err)
            }
            sqlx::Error::Database(ref db) => match db.constraint() {
                Some(name) => DbError::Constraint {
                    constraint: name.to_owned(),
                },
                None => DbError::Other(OtherDbError(err)),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                DbError::Unavailable(err)
            }
            other => DbError::Other(OtherDbError(other)),
        }
    }
}

/// Whether an error the server sent means it is away for now, rather than that the
/// statement was wrong: a connection exception (`08000`, `08003` no connection, `08006`
/// connection failure, `08001`/`08004` could not connect; not `08P01`, a protocol
/// violation, which is a bug), the server shutting down (`57P01` admin shutdown, `57P02`
/// crash shutdown) or starting up (`57P03` cannot connect now), too many connections
/// (`53300`), or a server that became read-only in a failover (`25006`). These answer 503
/// like a refused connection, not 500.
fn server_going_away(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "08000"
                | "08003"
                | "08006"
                | "08001"
                | "08004"
                | "57P01"
                | "57P02"
                | "57P03"
                | "53300"
                | "25006"
        )
    )
}

impl DbError {
    /// The name of the constraint that refused a write, if that is what happened.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Constraint { constraint } => Some(constraint),
            _ => None,
        }
    }
}
