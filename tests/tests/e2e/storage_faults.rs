//! File storage that fails under an upload: a full disk answers 507, a storage directory
//! that cannot be written answers 503 with `Retry-After`, each a problem document, and
//! neither leaves a row or a file behind; once there is room again (or the directory is
//! writable), uploads work without restarting anything.
//!
//! The store is a small tmpfs of the test's own, mounted over a fresh directory (the tests
//! run as root, for whom permission bits do not stop a write: a read-only mount does).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use folio_db::Database;
use folio_tests::{TestApp, TestDatabase, problem};
use reqwest::StatusCode;

use crate::evidence::{component, content, form, portfolio, rows, upload};

/// A 1 MiB tmpfs mounted on a fresh directory; unmounted and removed when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "folio-small-disk-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self::mount_command(&["-t", "tmpfs", "-o", "size=1m", "tmpfs"], &dir);
        Self { dir }
    }

    fn mount_command(args: &[&str], dir: &Path) {
        let out = Command::new("mount")
            .args(args)
            .arg(dir)
            .output()
            .expect("run mount (util-linux)");
        assert!(
            out.status.success(),
            "mount {args:?} {}: {} (these tests need root and may mount a tmpfs)",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn read_only(&self, yes: bool) {
        let options = if yes { "remount,ro" } else { "remount,rw" };
        Self::mount_command(&["-o", options], &self.dir);
    }

    /// Every file under the store, as paths.
    fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.dir, &mut found);
        found
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn app_on(disk: &SmallDisk) -> TestApp {
    let database = TestDatabase::create().await;
    let db = Database::from_pool(database.pool.clone());
    let storage = folio_storage::Storage::new(&folio_storage::StorageConfig::Fs {
        root: disk.dir.clone(),
    })
    .unwrap();
    TestApp::spawn_on(
        database,
        db,
        storage,
        folio_tests::test_settings(),
        &folio_tests::redis_url(),
    )
    .await
}

#[tokio::test]
async fn a_full_disk_is_507_and_an_unwritable_store_503_and_neither_keeps_anything() {
    let disk = SmallDisk::mount();
    let app = app_on(&disk).await;
    let p = portfolio(&app, "northgate").await;
    let (learner, enrolment) = (p.token("learner"), p.enrolment("learner"));

    // 2 MB into a 1 MiB disk.
    let response = upload(
        &app,
        learner,
        enrolment,
        form(component(&p), "big.pdf", content(2_000_000, 1)),
    )
    .await;
    let body = problem(response, StatusCode::INSUFFICIENT_STORAGE).await;
    assert_eq!(body["title"], "Insufficient storage", "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was kept"),
        "{body}"
    );
    assert_eq!(rows(&app, "evidence").await, 0);
    assert_eq!(
        disk.files(),
        Vec::<PathBuf>::new(),
        "no partial file is left"
    );

    // A small file fits: nothing needs restarting.
    let response = upload(
        &app,
        learner,
        enrolment,
        form(component(&p), "small.pdf", content(20_000, 2)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(rows(&app, "evidence").await, 1);
    assert_eq!(disk.files().len(), 1);

    // The store's directory cannot be written: 503, try again shortly.
    disk.read_only(true);
    let response = upload(
        &app,
        learner,
        enrolment,
        form(component(&p), "again.pdf", content(20_000, 3)),
    )
    .await;
    assert_eq!(response.headers()["retry-after"], "5");
    let body = problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("File storage is unavailable"),
        "{body}"
    );
    assert_eq!(rows(&app, "evidence").await, 1);
    disk.read_only(false);
    assert_eq!(disk.files().len(), 1, "nothing half-written");
    let response = upload(
        &app,
        learner,
        enrolment,
        form(component(&p), "again.pdf", content(20_000, 3)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(rows(&app, "evidence").await, 2);
    app.finish().await;
}
