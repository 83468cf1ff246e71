//! A real S3-compatible server for tests: moto's server mode (PyPI `moto[server]`, pinned
//! in tests/requirements.txt, installed by scripts/test-setup), on a free port of
//! 127.0.0.1.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use folio_storage::StorageConfig;

/// A running moto server with one empty bucket; stopped when dropped.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    /// The bucket the tests use.
    pub bucket: String,
}

impl S3Server {
    /// Starts moto (failing if scripts/test-setup has not installed it) and creates a
    /// bucket.
    pub async fn start() -> Self {
        crate::python::require("moto.server");
        let port = crate::python::free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto server");
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "folio-test".into(),
        };
        let http = reqwest::Client::new();
        let mut up = false;
        for _ in 0..100 {
            if http.get(&server.endpoint).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(up, "moto server did not start on port {port}");
        let created = http
            .put(format!("{}/{}", server.endpoint, server.bucket))
            .send()
            .await
            .expect("create bucket");
        assert!(
            created.status().is_success(),
            "create bucket: {}",
            created.status()
        );
        server
    }

    /// A storage configuration pointing at this server.
    pub fn config(&self) -> StorageConfig {
        StorageConfig::S3 {
            endpoint: self.endpoint.clone(),
            bucket: self.bucket.clone(),
            region: "eu-west-2".into(),
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
        }
    }

    /// The keys in the bucket.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .await
            .expect("list bucket")
            .text()
            .await
            .expect("listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|part| part.split("</Key>").next().map(str::to_owned))
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
