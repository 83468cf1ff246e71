//! Python tools the tests run as real servers and checkers (moto for S3, aiosmtpd for SMTP,
//! schemathesis, kubernetes-validate), pinned in tests/requirements.txt and installed by
//! `scripts/test-setup`, never by the tests.

use std::process::{Command, Stdio};

use crate::SETUP_SCRIPT;

/// Fails the test, naming [`SETUP_SCRIPT`], unless `module` imports in `python3`.
pub fn require(module: &str) {
    let imports = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    match imports {
        Ok(status) if status.success() => {}
        Ok(_) => panic!(
            "the Python module `{module}` (tests/requirements.txt) is not installed: run \
             {SETUP_SCRIPT}"
        ),
        Err(e) => {
            panic!("python3 ({e}): the tests need Python 3 with pip; then run {SETUP_SCRIPT}")
        }
    }
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}
