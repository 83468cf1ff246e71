//! Python tools the tests run as real servers (moto for S3, aiosmtpd for SMTP), pinned in
//! tests/requirements.txt and installed with pip on first use.

use std::process::{Command, Stdio};

/// Installs tests/requirements.txt unless `module` already imports.
pub fn ensure(module: &str) {
    let installed = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        install_requirements();
    }
}

/// Installs tests/requirements.txt with pip (already installed pins are left as they are).
pub fn install_requirements() {
    let requirements = concat!(env!("CARGO_MANIFEST_DIR"), "/requirements.txt");
    let status = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ])
        .status()
        .expect("run pip");
    assert!(status.success(), "pip install -r {requirements} failed");
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}
