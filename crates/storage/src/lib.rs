//! Files (evidence, course resources, exports) through opendal: the local filesystem by
//! default, S3-compatible object storage in production. Writes and reads stream; no file
//! is ever held whole in memory. Keys are built by Folio from ids only, never from names
//! users type, so no path can escape a tenant's namespace.

use std::fmt;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;
use opendal::{Operator, services};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Where files are kept.
#[derive(Clone)]
pub enum StorageConfig {
    /// A directory on the local filesystem.
    Fs {
        /// The root directory (created if missing).
        root: PathBuf,
    },
    /// An S3-compatible bucket.
    S3 {
        /// The endpoint, e.g. `https://s3.eu-west-2.amazonaws.com` or a MinIO URL.
        endpoint: String,
        /// The bucket.
        bucket: String,
        /// The region.
        region: String,
        /// Access key id.
        access_key_id: String,
        /// Secret access key (never printed).
        secret_access_key: String,
    },
}

impl fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageConfig::Fs { root } => f.debug_struct("Fs").field("root", root).finish(),
            StorageConfig::S3 {
                endpoint,
                bucket,
                region,
                ..
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("bucket", bucket)
                .field("region", region)
                .field("credentials", &"<redacted>")
                .finish(),
        }
    }
}

/// What went wrong storing or reading a file.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The upload is larger than allowed; nothing was kept.
    #[error("the file is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The upload had no bytes; nothing was kept.
    #[error("the file is empty")]
    Empty,
    /// Reading the upload failed (e.g. the client went away); nothing was kept.
    #[error("the upload was interrupted: {0}")]
    Interrupted(#[source] std::io::Error),
    /// No file under that key.
    #[error("no such file")]
    NotFound,
    /// The store has no room left (the disk or its quota is full); nothing was kept.
    #[error("the file store is full")]
    Full,
    /// The storage service failed.
    #[error("storage failed: {0}")]
    Backend(#[source] opendal::Error),
}

/// Whether an error from the store comes from a full disk or an exhausted quota
/// (`ENOSPC`, `EDQUOT`), somewhere in its chain of causes.
fn is_full(e: &opendal::Error) -> bool {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>()
            && (io.kind() == std::io::ErrorKind::StorageFull
                || matches!(io.raw_os_error(), Some(ENOSPC | EDQUOT)))
        {
            return true;
        }
        cause = c.source();
    }
    false
}

impl From<opendal::Error> for StorageError {
    fn from(e: opendal::Error) -> Self {
        if e.kind() == opendal::ErrorKind::NotFound {
            StorageError::NotFound
        } else if is_full(&e) {
            StorageError::Full
        } else {
            StorageError::Backend(e)
        }
    }
}

/// A file that has been stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, computed while it streamed through.
    pub sha256: [u8; 32],
}

/// The chunk size for writes to S3: multipart parts must be at least 5 MiB, and 8 MiB keeps
/// memory per upload bounded and small. The local filesystem takes each block as it comes.
const S3_WRITE_CHUNK: usize = 8 * 1024 * 1024;
/// The chunk size for reads.
const READ_CHUNK: usize = 8 * 1024 * 1024;
/// How much of an upload is read at a time: each block is hashed, counted and handed to the
/// store as it is.
const READ_BUFFER: usize = 256 * 1024;
/// Blocks read ahead of the store's writes, so that reading and hashing the next blocks
/// goes on while one is being written (bounds an upload's memory to about 1 MiB + the
/// store's own chunk).
const BLOCKS_IN_FLIGHT: usize = 4;

/// The file store.
#[derive(Clone, Debug)]
pub struct Storage {
    op: Operator,
    /// What the store is given at a time (`None`: each block as it comes).
    write_chunk: Option<usize>,
}

impl Storage {
    /// Opens the store described by `config`.
    pub fn new(config: &StorageConfig) -> Result<Self, StorageError> {
        let (op, write_chunk) = match config {
            StorageConfig::Fs { root } => {
                std::fs::create_dir_all(root).map_err(|e| {
                    StorageError::Backend(opendal::Error::new(
                        opendal::ErrorKind::Unexpected,
                        e.to_string(),
                    ))
                })?;
                (
                    Operator::new(services::Fs::default().root(&root.to_string_lossy()))?,
                    None,
                )
            }
            StorageConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key_id,
                secret_access_key,
            } => (
                Operator::new(
                    services::S3::default()
                        .endpoint(endpoint)
                        .bucket(bucket)
                        .region(region)
                        .access_key_id(access_key_id)
                        .secret_access_key(secret_access_key)
                        .disable_config_load()
                        .disable_ec2_metadata(),
                )?,
                Some(S3_WRITE_CHUNK),
            ),
        };
        Ok(Self { op, write_chunk })
    }

    /// Streams `reader` into `key`, hashing as it goes, refusing more than `max_bytes`.
    /// On any failure — too large, empty, interrupted, storage error — nothing is left
    /// under `key`.
    ///
    /// Blocks are read (whole, into buffers of their own that the store then keeps without
    /// copying) while the store writes the ones before them: one future reads, another
    /// writes, joined by a small bounded channel. The hash is computed on a blocking thread
    /// fed by a second such channel, so that it runs beside the reading (which parses the
    /// request) rather than after each block of it.
    pub async fn put<R: AsyncRead + Unpin>(
        &self,
        key: &str,
        mut reader: R,
        max_bytes: u64,
    ) -> Result<StoredFile, StorageError> {
        let mut writer = match self.write_chunk {
            Some(chunk) => self.op.writer_with(key).chunk(chunk).await?,
            None => self.op.writer(key).await?,
        };
        let mut size: u64 = 0;
        let (blocks, mut to_write) = tokio::sync::mpsc::channel::<Bytes>(BLOCKS_IN_FLIGHT);
        let (to_hash, mut hash_blocks) = tokio::sync::mpsc::channel::<Bytes>(BLOCKS_IN_FLIGHT);
        let hashing = tokio::task::spawn_blocking(move || {
            let mut hasher = Sha256::new();
            while let Some(block) = hash_blocks.blocking_recv() {
                hasher.update(&block);
            }
            <[u8; 32]>::from(hasher.finalize())
        });
        let read = async {
            loop {
                let block = read_block(&mut reader).await?;
                if block.is_empty() {
                    break;
                }
                size += block.len() as u64;
                if size > max_bytes {
                    return Err(StorageError::TooLarge { limit: max_bytes });
                }
                if to_hash.send(block.clone()).await.is_err() {
                    return Err(StorageError::Backend(opendal::Error::new(
                        opendal::ErrorKind::Unexpected,
                        "the upload's hashing stopped",
                    )));
                }
                if blocks.send(block).await.is_err() {
                    // The writer stopped on an error; it reports it.
                    break;
                }
            }
            drop(blocks);
            drop(to_hash);
            if size == 0 {
                return Err(StorageError::Empty);
            }
            Ok(())
        };
        let write = async {
            while let Some(block) = to_write.recv().await {
                if let Err(e) = writer.write(block).await {
                    to_write.close();
                    return Err(StorageError::from(e));
                }
            }
            Ok(())
        };
        let (read, written) = tokio::join!(read, write);
        // The reader has dropped its end of the hash channel, whichever way it stopped.
        let sha256 = hashing.await.map_err(|e| {
            StorageError::Backend(opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                format!("hashing the upload failed: {e}"),
            ))
        });
        let outcome = match (written, read, sha256) {
            (Err(e), _, _) | (Ok(()), Err(e), _) | (Ok(()), Ok(()), Err(e)) => Err(e),
            (Ok(()), Ok(()), Ok(sha256)) => writer
                .close()
                .await
                .map(|_| sha256)
                .map_err(StorageError::from),
        };
        match outcome {
            Ok(sha256) => Ok(StoredFile { size, sha256 }),
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::debug!(error = %abort, "aborting an upload");
                }
                // A filesystem writer may have created the file before the abort.
                self.delete(key).await;
                Err(e)
            }
        }
    }

    /// The content of `key` as a stream of chunks.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<impl Stream<Item = std::io::Result<Bytes>> + Send + 'static + use<>, StorageError>
    {
        let reader = self.op.reader_with(key).chunk(READ_CHUNK).await?;
        Ok(reader.into_bytes_stream(..).await?)
    }

    /// Removes `key`; a missing key is not an error. Failures are logged: they leave an
    /// unreferenced object, never a reference to a missing one.
    pub async fn delete(&self, key: &str) {
        if let Err(e) = self.op.delete(key).await
            && e.kind() != opendal::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, "could not delete a stored file");
        }
    }

    /// Whether `key` exists.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        Ok(self.op.exists(key).await?)
    }
}

/// The next block of up to [`READ_BUFFER`] bytes (fewer only at the end; empty at the end):
/// read into a buffer of its own, so that it is handed on without being copied again.
async fn read_block<R: AsyncRead + Unpin>(reader: &mut R) -> Result<Bytes, StorageError> {
    let mut block = BytesMut::with_capacity(READ_BUFFER);
    while block.len() < READ_BUFFER {
        let n = reader
            .read_buf(&mut block)
            .await
            .map_err(StorageError::Interrupted)?;
        if n == 0 {
            break;
        }
    }
    Ok(block.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (Storage, PathBuf) {
        let root = std::env::temp_dir().join(format!("folio-storage-{}", uuid::Uuid::new_v4()));
        (
            Storage::new(&StorageConfig::Fs { root: root.clone() }).expect("store"),
            root,
        )
    }

    #[tokio::test]
    async fn a_stored_file_reads_back_identical_with_its_hash() {
        let (store, root) = temp_store();
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let stored = store
            .put("t/a", &content[..], 10_000_000)
            .await
            .expect("put");
        assert_eq!(stored.size, content.len() as u64);
        assert_eq!(stored.sha256, <[u8; 32]>::from(Sha256::digest(&content)));
        let mut stream = std::pin::pin!(store.read("t/a").await.expect("read"));
        let mut back = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
            back.extend_from_slice(&chunk.expect("chunk"));
        }
        assert_eq!(back, content);
        let _ = std::fs::remove_dir_all(root);
    }

    #[tokio::test]
    async fn refused_uploads_leave_nothing_behind() {
        let (store, root) = temp_store();
        let big = vec![7u8; 1000];
        assert!(matches!(
            store.put("t/big", &big[..], 999).await,
            Err(StorageError::TooLarge { limit: 999 })
        ));
        assert!(!store.exists("t/big").await.expect("exists"));
        assert!(matches!(
            store.put("t/empty", &b""[..], 10).await,
            Err(StorageError::Empty)
        ));
        assert!(!store.exists("t/empty").await.expect("exists"));
        assert!(matches!(
            store.read("t/none").await,
            Err(StorageError::NotFound)
        ));
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn debug_hides_s3_credentials() {
        let config = StorageConfig::S3 {
            endpoint: "http://127.0.0.1:9000".into(),
            bucket: "b".into(),
            region: "eu-west-2".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
        };
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("very-secret") && !printed.contains("AKIAEXAMPLE"),
            "{printed}"
        );
    }
}
